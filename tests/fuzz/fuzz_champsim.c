/* libFuzzer target: the champsim reader. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reader(data, size, TRACE_FMT_CHAMPSIM);
	return 0;
}
