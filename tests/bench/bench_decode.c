/*
 * tests/bench/bench_decode.c - decode and import throughput for 'make bench'.
 *
 *   bench_decode decode FILE [THREADS]  records/s of trace_read over FILE,
 *                                       bytes per record, peak RSS (THREADS 2:
 *                                       with the background decoding thread)
 *   bench_decode lackey SLT OUT         write SLT as lackey text to OUT (the
 *                                       import benchmark's input)
 *   bench_decode chunk IN OUT [N]       rewrite IN as a chunked .slt, N records
 *                                       per chunk (TRACE_CHUNK_RECORDS_DEFAULT)
 *   bench_decode seek FILE N            time to reach record N: trace_seek (the
 *                                       index of a chunked file) vs decoding
 *   bench_decode replay FILE THREADS    replay FILE with the default
 *                                       configuration, the reader decoding on
 *                                       THREADS threads; prints records/s and a
 *                                       digest of every statistic (equal digests:
 *                                       identical statistics)
 */
#include "param.h"
#include "machine.h"
#include "replay.h"
#include "stats.h"
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

static trace_reader *open_or_die(const char *path, unsigned threads)
{
	char err[1024];
	trace_reader *r;
	trace_open_opts o = { .threads = threads };
	if (trace_open_with(&r, path, &o, err, sizeof(err)) != TRACE_OK) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	return r;
}

static int cmd_decode(const char *path, unsigned threads)
{
	static trace_rec buf[4096];
	char err[1024];
	trace_reader *r = open_or_die(path, threads);
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
	stat(path, &st);
	printf("decode: %llu records in %.3f s = %.1f M records/s; %.3f bytes/record; "
	       "peak RSS %ld KB (checksum %llx)\n", (unsigned long long)n, el,
	       (double)n / el / 1e6, (double)st.st_size / (double)n, peak_rss_kb(),
	       (unsigned long long)sum);
	trace_close(r);
	return 0;
}

static int cmd_lackey(const char *in, const char *outpath)
{
	static trace_rec buf[4096];
	char err[1024];
	trace_reader *r = open_or_die(in, 1);
	FILE *f = fopen(outpath, "w");
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

static int cmd_chunk(const char *in, const char *outpath, uint64_t per)
{
	static trace_rec buf[4096];
	char err[1024];
	trace_reader *r = open_or_die(in, 1);
	trace_header h = *trace_get_header(r);
	trace_writer_opts o = { .level = 6, .chunk_records = per };
	trace_writer *w;
	if (trace_writer_open_opts(&w, outpath, &h, &o, err, sizeof(err)) != TRACE_OK) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	long k;
	while ((k = trace_read(r, buf, 4096, err, sizeof(err))) > 0)
		if (trace_write(w, buf, (size_t)k, err, sizeof(err)) != TRACE_OK)
			break;
	trace_close(r);
	if (k != 0 || trace_writer_close(w, err, sizeof(err)) != TRACE_OK) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	return 0;
}

static int cmd_seek(const char *path, uint64_t n)
{
	char err[1024];
	trace_rec one, scratch[4096];
	double t0 = now();
	trace_reader *r = open_or_die(path, 1);
	if (trace_seek(r, n, err, sizeof(err)) != TRACE_OK || trace_read(r, &one, 1, err,
									 sizeof(err)) != 1) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	trace_close(r);
	double ts = now() - t0;
	t0 = now();
	r = open_or_die(path, 1);
	uint64_t got = 0;
	while (got < n) {
		long k = trace_read(r, scratch, n - got < 4096 ? (size_t)(n - got) : 4096, err,
				    sizeof(err));
		if (k <= 0)
			return 2;
		got += (uint64_t)k;
	}
	trace_rec two;
	trace_read(r, &two, 1, err, sizeof(err));
	trace_close(r);
	double td = now() - t0;
	printf("seek to record %llu: trace_seek %.4f s, decoding %.4f s (%.0fx); same record: %s\n",
	       (unsigned long long)n, ts, td, td / ts,
	       one.gva == two.gva && one.kind == two.kind ? "yes" : "NO");
	return one.gva == two.gva ? 0 : 1;
}

static int cmd_replay(const char *path, unsigned threads)
{
	char err[1024];
	param_reg *p = param_create();
	machine_params_register(p);
	machine *s;
	if (machine_create(&s, p, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	trace_reader *r;
	if (replay_open(&r, path, TRACE_FMT_AUTO, threads, err, sizeof(err)) != TRACE_OK) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	replay_opts o = { 0 };
	double t0 = now();
	if (replay_run(s, r, &o, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	double el = now() - t0;
	stats_reg *st = machine_stats(s);
	uint64_t digest = 1469598103934665603ull, records = 0;
	for (size_t i = 0; i < stats_count(st); i++) {
		if (stats_kind_at(st, i) == STATS_RATIO)
			continue;   /* derived from the counters */
		uint64_t v = stats_value_at(st, i);
		digest = (digest ^ v) * 1099511628211ull;
		if (strcmp(stats_name_at(st, i), "records") == 0)
			records = v;
	}
	printf("replay, decoding on %u thread%s: %llu records in %.3f s = %.1f M records/s "
	       "(statistics digest %016llx)\n", threads, threads > 1 ? "s" : "",
	       (unsigned long long)records, el, (double)records / el / 1e6,
	       (unsigned long long)digest);
	trace_close(r);
	machine_destroy(s);
	param_destroy(p);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "decode") == 0)
		return cmd_decode(argv[2], argc == 4 ? (unsigned)atoi(argv[3]) : 1);
	if (argc == 4 && strcmp(argv[1], "lackey") == 0)
		return cmd_lackey(argv[2], argv[3]);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "chunk") == 0)
		return cmd_chunk(argv[2], argv[3], argc == 5 ? strtoull(argv[4], NULL, 0)
							     : TRACE_CHUNK_RECORDS_DEFAULT);
	if (argc == 4 && strcmp(argv[1], "seek") == 0)
		return cmd_seek(argv[2], strtoull(argv[3], NULL, 0));
	if (argc == 4 && strcmp(argv[1], "replay") == 0)
		return cmd_replay(argv[2], (unsigned)atoi(argv[3]));
	fprintf(stderr, "usage: bench_decode decode FILE [THREADS] | lackey SLT OUT | "
		"chunk IN OUT [N] | seek FILE N | replay FILE THREADS\n");
	return 2;
}
