/* libFuzzer target: config files and --set assignments. A config file is
 * read by path (param_load_file), so the input is written to one memory
 * file made once (memfd) and rewritten per input; the registry is made
 * once and copied per input. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "machine.h"
#include "param.h"

static param_reg *base, *work;   /* (the harness's, made once; WORK is reset to
				    BASE for each input: no 900 KB copy made per input) */
static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	base = param_create();
	work = param_create();
	fd = memfd_create("fuzz-config", 0);
	if (!base || !work || machine_params_register(base) != 0 || fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	param_reg *p = work;
	if (param_copy(p, base) != 0)
		abort();
	param_load_file(p, path, err, sizeof(err));
	char line[256];
	size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
	memcpy(line, data, n);
	line[n] = '\0';
	param_set_assignment(p, line, "--set", err, sizeof(err));
	return 0;
}
