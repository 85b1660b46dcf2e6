/*
 * sim/study/replay.c - see replay.h.
 */
#include "replay.h"
#include "tracestat.h"

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

/* The decoding thread counts each batch's trace statistics too (the part of
 * machine_run that needs no machine): the replaying thread is the busier. */
static void count_ahead(const trace_rec *b, size_t n, void *aux)
{
	tracestat_count(aux, b, n);
}

int replay_vcpus(machine *m, const trace_rec *b, size_t n, const tracestat_batch *c,
		 size_t *ready)
{
	size_t k = machine_vcpu_needed(m, b, n, c);
	if (n && k == 0) {
		if (machine_add_vcpu(m, b[0].vcpu)) {
			*ready = 0;
			return -1;
		}
		k = 1 + machine_vcpu_needed(m, b + 1, n - 1, NULL);
	}
	*ready = k;
	return 0;
}

int replay_batch(machine *m, const trace_rec *b, size_t n, uint64_t rec_base,
		 const tracestat_batch *c, size_t *failed)
{
	/* The batch's counts answer at once when its vCPUs are all there (every
	 * batch but those holding a vCPU's first record): machine_run would
	 * count them anyway. */
	tracestat_batch own;
	if (!c) {
		tracestat_count(&own, b, n);
		c = &own;
	}
	*failed = 0;
	if (machine_vcpu_needed(m, b, n, c) == n)
		return machine_run_counted(m, b, n, rec_base, c, failed);
	for (size_t i = 0; i < n && !machine_stopped(m);) {
		size_t k, bad;
		if (replay_vcpus(m, b + i, n - i, NULL, &k)) {
			*failed = i;
			return -1;
		}
		if (machine_run(m, b + i, k, rec_base + i, &bad)) {
			*failed = i + bad;
			return -1;
		}
		i += k;
	}
	return 0;
}

int replay_open(trace_reader **r, const char *path, enum trace_format fmt, unsigned threads,
		char *err, size_t errlen)
{
	/* (0, sim.threads' default: the decoding thread where it pays - a
	 * binary format on a process with two CPUs or more, trace.h) */
	trace_open_opts oo = { .format = fmt, .threads = threads ? threads : 2,
			       .flags = TRACE_OPEN_PREFETCH | (threads ? 0 : TRACE_OPEN_AUTO_THREADS),
			       .batch_fn = count_ahead, .batch_aux = sizeof(tracestat_batch),
			       .batch_granule = REPLAY_BATCH };
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
	trace_rec *buf = malloc(REPLAY_BATCH * sizeof(*buf));
	const trace_rec *b;
	if (!buf) {
		snprintf(err, errlen, "out of memory (prefaulting)");
		return TRACE_ENOMEM;
	}
	for (;;) {
		size_t want = limit - done < REPLAY_BATCH ? (size_t)(limit - done) : REPLAY_BATCH;
		if (!want)
			break;
		long n = trace_read_ref(r, &b, NULL, buf, want, err, errlen);
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
	free(buf);
	return rc;
}

int replay_feed_open(replay_feed *f, machine *m, trace_reader *r, const replay_opts *o,
		     char *err, size_t errlen)
{
	*f = (replay_feed){ .m = m, .r = r, .o = o, .limit = limit_of(m, o),
			    .skip = o ? o->skip : 0, .warm = o ? o->warmup : 0, .t0 = now() };
	f->last = f->t0;
	int rc = seek(r, o, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	f->buf = malloc(REPLAY_BATCH * sizeof(*f->buf));
	if (!f->buf) {
		snprintf(err, errlen, "out of memory (replaying)");
		return TRACE_ENOMEM;
	}
	return TRACE_OK;
}

long replay_feed_next(replay_feed *f, char *err, size_t errlen)
{
	const replay_opts *o = f->o;
	if (o && o->progress && (f->records & 0xffff) < REPLAY_BATCH && f->records) {
		double t = now();
		if (t - f->last >= 0.5) {
			progress_line(f->r, f->records, f->t0, t);
			f->last = t;
			f->shown = 1;
		}
	}
	size_t want = f->limit - f->records < REPLAY_BATCH ? (size_t)(f->limit - f->records)
							   : REPLAY_BATCH;
	if (f->warm && f->warm < want)
		want = (size_t)f->warm;   /* the window ends on a record boundary */
	if (want == 0)
		return 0;
	const void *aux;
	long n = trace_read_ref(f->r, &f->b, &aux, f->buf, want, err, errlen);
	f->counted = aux;
	return n;
}

void replay_feed_done(replay_feed *f, size_t n)
{
	f->records += (uint64_t)n;
	if (f->warm) {
		f->warm -= (uint64_t)n;
		if (!f->warm)
			machine_warm(f->m);
	}
}

int replay_feed_failed(const replay_feed *f, size_t i, char *err, size_t errlen)
{
	return where_failed(f->m, f->r, i, f->skip + f->records + i, err, errlen);
}

int replay_feed_close(replay_feed *f, int rc, char *err, size_t errlen)
{
	free(f->buf);
	f->buf = NULL;
	f->b = NULL;
	if (f->shown)
		fprintf(stderr, "\r%72s\r", "");
	if (rc == TRACE_OK && f->skip && !f->records && !machine_stopped(f->m)) {
		/* As --warmup past the end is: a window with nothing in it is a
		 * mistake, not a run of zero records. */
		snprintf(err, errlen, "%s: --skip %llu: the trace ends before record %llu, "
			 "nothing is left to replay", trace_path(f->r),
			 (unsigned long long)f->skip, (unsigned long long)f->skip);
		rc = TRACE_EFORMAT;
	}
	if (rc == TRACE_OK && f->warm && !machine_stopped(f->m)) {
		snprintf(err, errlen, "%s: --warmup %llu: the trace ends after %llu record%s, inside "
			 "the warm-up window", trace_path(f->r), (unsigned long long)f->o->warmup,
			 (unsigned long long)f->records, f->records == 1 ? "" : "s");
		rc = TRACE_EFORMAT;
	}
	if (rc == TRACE_OK && machine_finish(f->m)) {
		snprintf(err, errlen, "%s", machine_error(f->m));
		rc = machine_error_code(f->m);
	}
	f->elapsed = now() - f->t0;
	return rc;
}

int replay_run(machine *m, trace_reader *r, const replay_opts *o, double *elapsed, char *err,
	       size_t errlen)
{
	replay_feed f;
	int rc = replay_feed_open(&f, m, r, o, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	for (;;) {
		long n = replay_feed_next(&f, err, errlen);
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		size_t bad;
		if (replay_batch(m, f.b, (size_t)n, f.skip + f.records, f.counted, &bad)) {
			rc = replay_feed_failed(&f, bad, err, errlen);
			break;
		}
		replay_feed_done(&f, (size_t)n);
		if (machine_stopped(m))
			break;
	}
	rc = replay_feed_close(&f, rc, err, errlen);
	if (elapsed)
		*elapsed = f.elapsed;
	return rc;
}
