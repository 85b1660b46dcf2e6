/*
 * sim/replay.c - see replay.h.
 */
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress_line(trace_reader *r, uint64_t records, double t0, double t)
{
	uint64_t done, total;
	trace_progress(r, &done, &total);
	double el = t - t0, rate = el > 0 ? (double)records / el : 0;
	if (total > 0) {
		double frac = (double)done / (double)total;
		double eta = frac > 0 ? el / frac - el : 0;
		fprintf(stderr, "\r  %5.1f%%  %8.2f M records/s  elapsed %6.1f s  ETA %6.1f s ",
			100.0 * frac, rate / 1e6, el, eta);
	} else {
		fprintf(stderr, "\r  %llu records  %8.2f M records/s  elapsed %6.1f s ",
			(unsigned long long)records, rate / 1e6, el);
	}
	fflush(stderr);
}

/* "PATH: line N: MSG" (text formats) or "PATH: record N: MSG": where record
 * I of the batch just read, the trace's record REC, comes from; out of
 * memory is not the input's doing and names no place. Returns the code. */
static int where_failed(const machine *m, trace_reader *r, size_t i, uint64_t rec, char *err,
			size_t errlen)
{
	uint64_t line = trace_line_of(r, i);
	int code = machine_error_code(m);
	if (code == TRACE_ENOMEM)
		snprintf(err, errlen, "%s", machine_error(m));
	else if (line)
		snprintf(err, errlen, "%s: line %llu: %s", trace_path(r), (unsigned long long)line,
			 machine_error(m));
	else
		snprintf(err, errlen, "%s: record %llu: %s", trace_path(r),
			 (unsigned long long)rec, machine_error(m));
	return code;
}

int replay_open(trace_reader **r, const char *path, enum trace_format fmt, unsigned threads,
		char *err, size_t errlen)
{
	trace_open_opts oo = { .format = fmt, .flags = TRACE_OPEN_PREFETCH, .threads = threads };
	return trace_open_with(r, path, &oo, err, errlen);
}

/* Records to replay: sim.max_records and O->limit, the smaller. */
static uint64_t limit_of(const machine *m, const replay_opts *o)
{
	uint64_t l = (uint64_t)param_int(machine_params(m), "sim.max_records");
	l = l ? l : UINT64_MAX;
	return o && o->limit && o->limit < l ? o->limit : l;
}

static int seek(trace_reader *r, const replay_opts *o, char *err, size_t errlen)
{
	return o && o->skip ? trace_seek(r, o->skip, err, errlen) : TRACE_OK;
}

int replay_prefault(machine *m, trace_reader *r, const replay_opts *o, char *err, size_t errlen)
{
	uint64_t done = 0, limit = limit_of(m, o), skip = o ? o->skip : 0;
	int rc = seek(r, o, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	trace_rec *b = malloc(REPLAY_BATCH * sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory (prefaulting)");
		return TRACE_ENOMEM;
	}
	for (;;) {
		size_t want = limit - done < REPLAY_BATCH ? (size_t)(limit - done) : REPLAY_BATCH;
		if (!want)
			break;
		long n = trace_read(r, b, want, err, errlen);
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		size_t bad;
		if (machine_prefault(m, b, (size_t)n, &bad)) {
			rc = where_failed(m, r, bad, skip + done + bad, err, errlen);
			break;
		}
		done += (uint64_t)n;
	}
	free(b);
	return rc;
}

int replay_run(machine *m, trace_reader *r, const replay_opts *o, double *elapsed, char *err,
	       size_t errlen)
{
	double t0 = now(), last = t0;
	int shown = 0, rc = seek(r, o, err, errlen);
	uint64_t limit = limit_of(m, o), records = 0, skip = o ? o->skip : 0;
	uint64_t warm = o ? o->warmup : 0;   /* records still to warm up with */
	trace_rec *b = malloc(REPLAY_BATCH * sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory (replaying)");
		return TRACE_ENOMEM;
	}
	while (rc == TRACE_OK) {
		size_t want = limit - records < REPLAY_BATCH ? (size_t)(limit - records) : REPLAY_BATCH;
		if (warm && warm < want)
			want = (size_t)warm;   /* the window ends on a record boundary */
		if (want == 0)
			break;
		long n = trace_read(r, b, want, err, errlen);
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		size_t bad;
		if (machine_run(m, b, (size_t)n, skip + records, &bad)) {
			rc = where_failed(m, r, bad, skip + records + bad, err, errlen);
			break;
		}
		records += (uint64_t)n;
		if (warm) {
			warm -= (uint64_t)n;
			if (!warm)
				machine_warm(m);
		}
		if (machine_stopped(m))
			break;
		if (o && o->progress && (records & 0xffff) < REPLAY_BATCH) {
			double t = now();
			if (t - last >= 0.5) {
				progress_line(r, records, t0, t);
				last = t;
				shown = 1;
			}
		}
	}
	free(b);
	if (shown)
		fprintf(stderr, "\r%72s\r", "");
	if (rc == TRACE_OK && warm && !machine_stopped(m)) {
		snprintf(err, errlen, "%s: --warmup %llu: the trace ends after %llu record%s, inside "
			 "the warm-up window", trace_path(r), (unsigned long long)o->warmup,
			 (unsigned long long)records, records == 1 ? "" : "s");
		rc = TRACE_EFORMAT;
	}
	if (rc == TRACE_OK && machine_finish(m)) {
		snprintf(err, errlen, "%s", machine_error(m));
		rc = machine_error_code(m);
	}
	if (elapsed)
		*elapsed = now() - t0;
	return rc;
}
