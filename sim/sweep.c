/*
 * sim/sweep.c - see sweep.h.
 *
 * The ring: slot k holds batch number seq (k = seq mod SWEEP_SLOTS); the
 * decoder fills it only when no worker still needs the batch it held
 * (pending == 0), and each worker takes the batches in order, waiting for
 * seq to appear. One mutex and two condition variables guard the slots'
 * bookkeeping; the records themselves are read without the lock (a slot's
 * records are written only while no worker may read them).
 */
#include "sweep.h"
#include "replay.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- one job */

typedef struct jstate {
	sweep_job *j;
	uint64_t done, limit;    /* records fed; sim.max_records (UINT64_MAX: all) */
	int stopped;
} jstate;

static void job_fail(jstate *s, int code, const char *fmt, const char *path, uint64_t where,
		     const char *msg)
{
	s->j->code = code;
	if (code == TRACE_ENOMEM || !path)
		snprintf(s->j->err, sizeof(s->j->err), "%s", msg);
	else
		snprintf(s->j->err, sizeof(s->j->err), fmt, path, (unsigned long long)where, msg);
	s->stopped = 1;
}

/* Batch B (N records, the first the trace's record BASE; LINES[i] the line
 * of record i for the text formats, else NULL) into job S. */
static void feed(jstate *s, const trace_rec *b, size_t n, const uint64_t *lines,
		 const char *path)
{
	if (s->stopped)
		return;
	size_t want = s->limit - s->done < n ? (size_t)(s->limit - s->done) : n;
	if (!want) {
		s->stopped = 1;
		return;
	}
	size_t bad;
	machine *m = s->j->m;
	if (machine_run(m, b, want, s->done, &bad)) {
		if (lines && lines[bad])
			job_fail(s, machine_error_code(m), "%s: line %llu: %s", path, lines[bad],
				 machine_error(m));
		else
			job_fail(s, machine_error_code(m), "%s: record %llu: %s", path,
				 s->done + bad, machine_error(m));
		return;
	}
	s->done += want;
	if (machine_stopped(m))
		s->stopped = 1;
}

static void finish(jstate *s)
{
	if (s->j->code == TRACE_OK && machine_finish(s->j->m))
		job_fail(s, machine_error_code(s->j->m), NULL, NULL, 0, machine_error(s->j->m));
}

/* A batch's line numbers when the format has lines (else NULL). */
static const uint64_t *lines_of(trace_reader *r, size_t n, uint64_t *buf)
{
	if (!n || !trace_line_of(r, 0))
		return NULL;
	for (size_t i = 0; i < n; i++)
		buf[i] = trace_line_of(r, i);
	return buf;
}

/* Every job of S..S+N fails with the trace's own error. */
static void fail_all(jstate *s, size_t n, int code, const char *msg)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].j->code == TRACE_OK)
			job_fail(&s[i], code, NULL, NULL, 0, msg);
}

/* Decode PATH on this thread and feed every batch to jobs S..S+N. */
static int decode_and_feed(const char *path, enum trace_format fmt, jstate *s, size_t n,
			   trace_header *hdr, char *err, size_t errlen)
{
	trace_reader *r;
	int rc = trace_open(&r, path, fmt, err, errlen);
	if (rc != TRACE_OK) {
		fail_all(s, n, rc, err);
		return rc;
	}
	if (hdr)
		*hdr = *trace_get_header(r);
	trace_rec *b = malloc(REPLAY_BATCH * sizeof(*b));
	uint64_t *lines = malloc(REPLAY_BATCH * sizeof(*lines));
	if (!b || !lines) {
		snprintf(err, errlen, "out of memory (sweep batches)");
		rc = TRACE_ENOMEM;
	}
	while (rc == TRACE_OK) {
		size_t live = 0;
		for (size_t i = 0; i < n; i++)
			live += !s[i].stopped;
		if (!live)
			break;
		long k = trace_read(r, b, REPLAY_BATCH, err, errlen);
		if (k <= 0) {
			rc = (int)k;
			break;
		}
		const uint64_t *l = lines_of(r, (size_t)k, lines);
		for (size_t i = 0; i < n; i++)
			feed(&s[i], b, (size_t)k, l, trace_path(r));
	}
	if (rc != TRACE_OK)
		fail_all(s, n, rc, err);
	free(b);
	free(lines);
	trace_close(r);
	return rc;
}

/* ---------------------------------------------------------------- prefault */

/* sim.prefault: map the footprint for the jobs that ask (one pass of its
 * own; the trace must be a file, read again for the replay). */
static int prefault(const char *path, enum trace_format fmt, jstate *s, size_t n, char *err,
		    size_t errlen)
{
	size_t want = 0;
	for (size_t i = 0; i < n; i++)
		want += param_bool(machine_params(s[i].j->m), "sim.prefault");
	if (!want)
		return TRACE_OK;
	trace_reader *r;
	int rc = trace_open(&r, path, fmt, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	trace_rec *b = malloc(REPLAY_BATCH * sizeof(*b));
	uint64_t *lines = malloc(REPLAY_BATCH * sizeof(*lines)), *done = calloc(n, sizeof(*done));
	if (!b || !lines || !done) {
		snprintf(err, errlen, "out of memory (sweep batches)");
		rc = TRACE_ENOMEM;
	}
	while (rc == TRACE_OK) {
		long k = trace_read(r, b, REPLAY_BATCH, err, errlen);
		if (k <= 0) {
			rc = (int)k;
			break;
		}
		const uint64_t *l = lines_of(r, (size_t)k, lines);
		for (size_t i = 0; i < n; i++) {
			if (s[i].stopped || !param_bool(machine_params(s[i].j->m), "sim.prefault"))
				continue;
			size_t m = s[i].limit - done[i] < (uint64_t)k ? (size_t)(s[i].limit - done[i])
								      : (size_t)k;
			size_t bad;
			if (m && machine_prefault(s[i].j->m, b, m, &bad)) {
				machine *mm = s[i].j->m;
				if (l && l[bad])
					job_fail(&s[i], machine_error_code(mm), "%s: line %llu: %s",
						 trace_path(r), l[bad], machine_error(mm));
				else
					job_fail(&s[i], machine_error_code(mm), "%s: record %llu: %s",
						 trace_path(r), done[i] + bad, machine_error(mm));
			}
			done[i] += m;
		}
	}
	free(b);
	free(lines);
	free(done);
	trace_close(r);
	return rc;
}

/* ---------------------------------------------------------------- threads */

/* A slot holds SWEEP_CHUNK batches: one hand-over per 32 K records keeps
 * the threads' synchronisation rare, while each batch (96 KB) is fed to
 * every machine in turn and stays in the core's L2. */
#define SWEEP_CHUNK 8

typedef struct slot {
	trace_rec rec[SWEEP_CHUNK][REPLAY_BATCH];
	uint64_t line[SWEEP_CHUNK][REPLAY_BATCH];
	int has_lines[SWEEP_CHUNK];
	size_t n[SWEEP_CHUNK];
	unsigned nb;              /* batches held; 0: the end (or a read error) */
	uint64_t seq;
	unsigned pending;         /* workers that have not taken it yet */
} slot;

typedef struct ring {
	pthread_mutex_t mu;
	pthread_cond_t ready, freed;
	slot *slots;
	const char *path;
	enum trace_format fmt;
	unsigned workers;
} ring;

typedef struct worker {
	ring *q;
	jstate *s;                /* this worker's jobs: s[0], s[stride], ... */
	size_t n, stride;
	int per_thread;
	int rc;
	char err[1024];
} worker;

static void *worker_main(void *arg)
{
	worker *w = arg;
	if (w->per_thread) {
		/* The jobs are S[0], S[STRIDE]...: decode for them alone. */
		jstate *own = malloc((w->n + 1) * sizeof(*own));
		if (!own) {
			snprintf(w->err, sizeof(w->err), "out of memory (sweep)");
			w->rc = TRACE_ENOMEM;
			return NULL;
		}
		for (size_t i = 0; i < w->n; i++)
			own[i] = w->s[i * w->stride];
		w->rc = decode_and_feed(w->q->path, w->q->fmt, own, w->n, NULL, w->err,
					sizeof(w->err));
		for (size_t i = 0; i < w->n; i++)
			w->s[i * w->stride] = own[i];
		free(own);
		return NULL;
	}
	ring *q = w->q;
	for (uint64_t seq = 0;; seq++) {
		slot *sl = &q->slots[seq % SWEEP_SLOTS];
		pthread_mutex_lock(&q->mu);
		while (sl->seq != seq || sl->pending == 0)
			pthread_cond_wait(&q->ready, &q->mu);
		pthread_mutex_unlock(&q->mu);
		unsigned nb = sl->nb;
		for (unsigned b = 0; b < nb; b++)
			for (size_t i = 0; i < w->n; i++)
				feed(&w->s[i * w->stride], sl->rec[b], sl->n[b],
				     sl->has_lines[b] ? sl->line[b] : NULL, q->path);
		pthread_mutex_lock(&q->mu);
		if (--sl->pending == 0)
			pthread_cond_broadcast(&q->freed);
		pthread_mutex_unlock(&q->mu);
		if (!nb)
			break;
	}
	return NULL;
}

/* The calling thread decodes into the ring until the end. */
static int decode_ring(ring *q, trace_header *hdr, char *err, size_t errlen)
{
	trace_reader *r = NULL;
	int rc = trace_open(&r, q->path, q->fmt, err, errlen);
	if (rc != TRACE_OK)
		r = NULL;
	for (uint64_t seq = 0;; seq++) {
		slot *sl = &q->slots[seq % SWEEP_SLOTS];
		pthread_mutex_lock(&q->mu);
		while (sl->pending)
			pthread_cond_wait(&q->freed, &q->mu);
		pthread_mutex_unlock(&q->mu);
		sl->nb = 0;
		while (rc == TRACE_OK && sl->nb < SWEEP_CHUNK) {
			if (seq == 0 && sl->nb == 0)
				*hdr = *trace_get_header(r);
			unsigned b = sl->nb;
			long k = trace_read(r, sl->rec[b], REPLAY_BATCH, err, errlen);
			if (k < 0)
				rc = (int)k;
			if (k <= 0)
				break;
			sl->n[b] = (size_t)k;
			sl->has_lines[b] = lines_of(r, (size_t)k, sl->line[b]) != NULL;
			sl->nb++;
		}
		pthread_mutex_lock(&q->mu);
		sl->seq = seq;
		sl->pending = q->workers;
		pthread_cond_broadcast(&q->ready);
		pthread_mutex_unlock(&q->mu);
		if (!sl->nb)
			break;
	}
	if (r)
		trace_close(r);
	return rc;
}

int sweep_replay(const char *trace, enum trace_format fmt, sweep_job *jobs, size_t n,
		 const sweep_opts *o, trace_header *hdr, char *err, size_t errlen)
{
	jstate *s = calloc(n ? n : 1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory (sweep)");
		return TRACE_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t l = (uint64_t)param_int(machine_params(jobs[i].m), "sim.max_records");
		jobs[i].code = TRACE_OK;
		jobs[i].err[0] = '\0';
		s[i] = (jstate){ .j = &jobs[i], .limit = l ? l : UINT64_MAX };
	}
	int rc = prefault(trace, fmt, s, n, err, errlen);
	if (rc != TRACE_OK) {
		fail_all(s, n, rc, err);
		free(s);
		return rc;
	}
	unsigned t = o && o->threads > 1 ? o->threads : 1;
	if (t > n)
		t = n ? (unsigned)n : 1;
	if (t == 1) {
		rc = decode_and_feed(trace, fmt, s, n, hdr, err, errlen);
	} else {
		ring q = { .path = trace, .fmt = fmt, .workers = t };
		worker *w = calloc(t, sizeof(*w));
		pthread_t *tid = calloc(t, sizeof(*tid));
		q.slots = calloc(SWEEP_SLOTS, sizeof(*q.slots));
		if (!w || !tid || !q.slots) {
			free(w);
			free(tid);
			free(q.slots);
			free(s);
			snprintf(err, errlen, "out of memory (sweep threads)");
			return TRACE_ENOMEM;
		}
		for (unsigned k = 0; k < SWEEP_SLOTS; k++)
			q.slots[k].seq = UINT64_MAX;
		pthread_mutex_init(&q.mu, NULL);
		pthread_cond_init(&q.ready, NULL);
		pthread_cond_init(&q.freed, NULL);
		unsigned started = 0;
		for (unsigned k = 0; k < t; k++) {
			/* Jobs k, k + t, k + 2t, ...: round-robin. */
			w[k] = (worker){ .q = &q, .s = &s[k], .stride = t,
					 .n = (n - k + t - 1) / t,
					 .per_thread = o->per_thread_decode };
			if (pthread_create(&tid[k], NULL, worker_main, &w[k]) != 0)
				break;
			started++;
		}
		/* A worker that could not start: its jobs run here, after. */
		q.workers = started;
		if (o->per_thread_decode || !started) {
			trace_reader *r;
			rc = trace_open(&r, trace, fmt, err, errlen);
			if (rc == TRACE_OK) {
				*hdr = *trace_get_header(r);
				trace_close(r);
			}
		} else {
			rc = decode_ring(&q, hdr, err, errlen);
		}
		for (unsigned k = 0; k < started; k++)
			pthread_join(tid[k], NULL);
		for (unsigned k = started; k < t; k++) {
			jstate *own = malloc(w[k].n * sizeof(*own) + 1);
			for (size_t i = 0; own && i < w[k].n; i++)
				own[i] = s[k + i * t];
			int r2 = own ? decode_and_feed(trace, fmt, own, w[k].n, NULL, err, errlen)
				     : TRACE_ENOMEM;
			for (size_t i = 0; own && i < w[k].n; i++)
				s[k + i * t] = own[i];
			free(own);
			if (rc == TRACE_OK)
				rc = r2;
		}
		for (unsigned k = 0; k < started && o->per_thread_decode; k++)
			if (w[k].rc != TRACE_OK && rc == TRACE_OK) {
				rc = w[k].rc;
				snprintf(err, errlen, "%s", w[k].err);
			}
		if (rc != TRACE_OK)
			fail_all(s, n, rc, err);
		pthread_cond_destroy(&q.ready);
		pthread_cond_destroy(&q.freed);
		pthread_mutex_destroy(&q.mu);
		free(q.slots);
		free(w);
		free(tid);
	}
	for (size_t i = 0; i < n; i++)
		finish(&s[i]);
	free(s);
	return rc;
}
