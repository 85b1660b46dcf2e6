/* libFuzzer target: chunked .slt - reading it through, and seeking through
 * its index to a record named by the input's length, then reading on. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reader(data, size, TRACE_FMT_SLT);
	char path[64], err[1024];
	int fd = fuzz_memfile(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	trace_reader *r;
	if (trace_open(&r, path, TRACE_FMT_SLT, err, sizeof(err)) == TRACE_OK) {
		if (trace_seek(r, size % 300, err, sizeof(err)) == TRACE_OK) {
			static trace_rec buf[64];
			long n;
			while ((n = trace_read(r, buf, 64, err, sizeof(err))) > 0)
				for (long i = 0; i < n; i++)
					if (!fuzz_rec_ok(&buf[i]))
						__builtin_trap();
		}
		trace_close(r);
	}
	close(fd);
	return 0;
}
