/* libFuzzer target: the drmemtrace reader (one per-thread file: zip, gzip,
 * zlib or plain), taking prefetches as TRACE_P. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reader_flags(data, size, TRACE_FMT_DRMEMTRACE, TRACE_OPEN_PREFETCH);
	return 0;
}
