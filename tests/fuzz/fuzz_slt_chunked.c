/* libFuzzer target: chunked .slt - reading it through, and seeking through
 * its index to a record named by the input's length, then reading on; then
 * the two decoding paths against each other: zlib's stream on the caller's
 * thread, and whole members inflated by libdeflate on a decoding thread
 * (sim.threads=2) must accept the same files and give the same records.
 * The input is read from memory, which reads as a regular file does (the
 * index and the members through pread). Records are asked for a replay
 * batch (4096) at a time: the reader decodes the first batch itself and
 * starts the thread at the second (traces/trace.c), so an input of fewer
 * records tests the decoding path without paying for a thread (7x the
 * executions a second), and one of more tests the thread too. */
#include "fuzz_common.h"

/* Read DATA through with THREADS; a digest of the records in *DIGEST and
 * their count in *N. Returns 1 when the whole trace read cleanly. */
static int read_all(const uint8_t *data, size_t size, unsigned threads, uint64_t *digest,
		    uint64_t *n)
{
	trace_open_opts o = { .format = TRACE_FMT_SLT, .threads = threads };
	trace_reader *r;
	char err[1024];
	*digest = 1469598103934665603ull;
	*n = 0;
	if (trace_open_mem(&r, data, size, "fuzz-input", &o, err, sizeof(err)) != TRACE_OK)
		return 0;
	static trace_rec buf[4096];
	long k;
	while ((k = trace_read(r, buf, 4096, err, sizeof(err))) > 0)
		for (long i = 0; i < k; i++) {
			if (!fuzz_rec_ok(&buf[i]))
				__builtin_trap();
			const uint64_t f[] = { buf[i].gva, buf[i].icount, buf[i].size, buf[i].kind,
					       buf[i].vcpu, buf[i].asid, buf[i].op };
			for (unsigned j = 0; j < sizeof(f) / sizeof(f[0]); j++)
				*digest = (*digest ^ f[j]) * 1099511628211ull;
			++*n;
		}
	trace_close(r);
	return k == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	trace_reader *r;
	trace_open_opts o = { .format = TRACE_FMT_SLT };
	if (trace_open_mem(&r, data, size, "fuzz-input", &o, err, sizeof(err)) == TRACE_OK) {
		if (trace_seek(r, size % 300, err, sizeof(err)) == TRACE_OK)
			fuzz_drain(r);
		else
			trace_close(r);
	}
	uint64_t d1, n1, d2, n2;
	int ok1 = read_all(data, size, 1, &d1, &n1);
	int ok2 = read_all(data, size, 2, &d2, &n2);
	if (ok1 != ok2 || (ok1 && (d1 != d2 || n1 != n2)))
		__builtin_trap();
	return 0;
}
