/* libFuzzer target: config files and --set assignments. */
#include "fuzz_common.h"
#include "param.h"
#include "machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[1024];
	int fd = fuzz_memfile(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	param_reg *p = param_create();
	machine_params_register(p);
	param_load_file(p, path, err, sizeof(err));
	char line[256];
	size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
	memcpy(line, data, n);
	line[n] = '\0';
	param_set_assignment(p, line, "--set", err, sizeof(err));
	param_destroy(p);
	close(fd);
	return 0;
}
