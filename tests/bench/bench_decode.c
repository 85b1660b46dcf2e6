/*
 * tests/bench/bench_decode.c - decode and import throughput for 'make bench'.
 *
 *   bench_decode decode FILE      records/s of trace_read over FILE, bytes per
 *                                 record, peak RSS
 *   bench_decode lackey SLT OUT   write SLT as lackey text to OUT (the import
 *                                 benchmark's input)
 */
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	static trace_rec buf[4096];
	char err[1024];
	if (argc == 3 && strcmp(argv[1], "decode") == 0) {
		trace_reader *r;
		if (trace_open(&r, argv[2], TRACE_FMT_AUTO, err, sizeof(err)) != TRACE_OK) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		double t0 = now();
		uint64_t n = 0, sum = 0;
		long k;
		while ((k = trace_read(r, buf, 4096, err, sizeof(err))) > 0) {
			n += (uint64_t)k;
			sum += buf[k - 1].gva;   /* keep the decode observable */
		}
		double el = now() - t0;
		if (k < 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		struct stat st;
		stat(argv[2], &st);
		printf("decode: %llu records in %.3f s = %.1f M records/s; %.3f bytes/record; "
		       "peak RSS %ld KB (checksum %llx)\n", (unsigned long long)n, el,
		       (double)n / el / 1e6, (double)st.st_size / (double)n, peak_rss_kb(),
		       (unsigned long long)sum);
		trace_close(r);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "lackey") == 0) {
		trace_reader *r;
		if (trace_open(&r, argv[2], TRACE_FMT_AUTO, err, sizeof(err)) != TRACE_OK) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		FILE *f = fopen(argv[3], "w");
		if (!f)
			return 2;
		static char obuf[1 << 20];
		setvbuf(f, obuf, _IOFBF, sizeof(obuf));
		long k;
		while ((k = trace_read(r, buf, 4096, err, sizeof(err))) > 0) {
			for (long i = 0; i < k; i++) {
				const trace_rec *x = &buf[i];
				if (x->kind == TRACE_X)
					fprintf(f, "I  %08llx,%u\n", (unsigned long long)x->gva, x->size);
				else
					fprintf(f, " %c %08llx,%u\n", x->kind == TRACE_W ? 'S' : 'L',
						(unsigned long long)x->gva, x->size);
			}
		}
		fclose(f);
		trace_close(r);
		return k < 0 ? 2 : 0;
	}
	fprintf(stderr, "usage: bench_decode decode FILE | lackey SLT OUT\n");
	return 2;
}
