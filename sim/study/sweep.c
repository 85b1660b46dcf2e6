/*
 * sim/study/sweep.c - see sweep.h.
 *
 * With threads, the shared decode is a ring of batches whose feeds the
 * threads claim one machine at a time (see "threads" below); the per-thread
 * decode deals the machines round-robin, each thread reading the trace.
 */
#include "sweep.h"
#include "replay.h"
#include "tracestat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- one job */

typedef struct jstate {
	sweep_job *j;
	uint64_t done, limit;    /* records fed; sim.max_records (UINT64_MAX: all) */
	uint64_t skip;           /* the trace's records before the first fed (--skip) */
	uint64_t warmup, warm;   /* --warmup; records of it still to feed */
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
static void feed(jstate *s, const trace_rec *b, size_t n, const tracestat_batch *c,
		 const uint64_t *lines, const char *path)
{
	if (s->stopped)
		return;
	size_t want = s->limit - s->done < n ? (size_t)(s->limit - s->done) : n;
	if (!want) {
		s->stopped = 1;
		return;
	}
	machine *m = s->j->m;
	/* The warm-up window ends on a record boundary, as replay.c's: a batch
	 * that holds its end is fed in two parts, the machine warmed between. */
	for (size_t at = 0; at < want && !s->stopped;) {
		size_t part = want - at, bad;
		if (s->warm && s->warm < part)
			part = (size_t)s->warm;
		/* The batch's trace counts were taken once for every job (unless
		 * this one takes part of it: then it counts its own part). */
		int rc = replay_batch(m, b + at, part, s->skip + s->done, part == n ? c : NULL,
				      &bad);
		if (rc) {
			if (lines && lines[at + bad])
				job_fail(s, machine_error_code(m), "%s: line %llu: %s", path,
					 lines[at + bad], machine_error(m));
			else
				job_fail(s, machine_error_code(m), "%s: record %llu: %s", path,
					 s->skip + s->done + bad, machine_error(m));
			return;
		}
		s->done += part;
		at += part;
		if (s->warm) {
			s->warm -= part;
			if (!s->warm)
				machine_warm(m);
		}
		if (machine_stopped(m))
			s->stopped = 1;
	}
}

/* The end of job S's replay of PATH: a window that left nothing to replay
 * or to measure fails it as run's does (replay.c, run.c's need_measured),
 * then machine_finish. */
static void finish(jstate *s, const char *path)
{
	machine *m = s->j->m;
	if (s->j->code != TRACE_OK)
		return;
	char msg[512];
	unsigned long long sk = (unsigned long long)s->skip, wu = (unsigned long long)s->warmup;
	msg[0] = '\0';
	if (machine_stopped(m))
		;
	else if (s->warmup && s->limit <= s->warmup)
		snprintf(msg, sizeof(msg), "sim.max_records=%llu: --warmup %llu leaves nothing of "
			 "it to count", (unsigned long long)s->limit, wu);
	else if (s->skip && !s->done)
		snprintf(msg, sizeof(msg), "%s: --skip %llu: the trace ends before record %llu, "
			 "nothing is left to replay", path, sk, sk);
	else if (s->warm)
		snprintf(msg, sizeof(msg), "%s: --warmup %llu: the trace ends after %llu record%s, "
			 "inside the warm-up window", path, wu, (unsigned long long)s->done,
			 s->done == 1 ? "" : "s");
	else if (s->warmup && s->done == s->warmup && s->skip)
		snprintf(msg, sizeof(msg), "%s: --warmup %llu: the trace ends after %llu records "
			 "(--skip %llu, then the warm-up), with the warm-up window: nothing is left "
			 "to measure", path, wu, sk + wu, sk);
	else if (s->warmup && s->done == s->warmup)
		snprintf(msg, sizeof(msg), "%s: --warmup %llu: the trace ends after %llu record%s, "
			 "with the warm-up window: nothing is left to measure", path, wu, wu,
			 wu == 1 ? "" : "s");
	if (msg[0]) {
		job_fail(s, TRACE_EFORMAT, NULL, NULL, 0, msg);
		return;
	}
	if (machine_finish(m))
		job_fail(s, machine_error_code(m), NULL, NULL, 0, machine_error(m));
}

/* Open PATH for the jobs S[0..N) and seek to their --skip (one for all). */
static int open_at(trace_reader **r, const char *path, enum trace_format fmt, jstate *const *s,
		   size_t n, char *err, size_t errlen)
{
	int rc = replay_open(r, path, fmt, 1, err, errlen);
	if (rc == TRACE_OK && n && s[0]->skip &&
	    (rc = trace_seek(*r, s[0]->skip, err, errlen)) != TRACE_OK)
		trace_close(*r);
	return rc;
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

/* Every job of S[0..N) fails with the trace's own error. */
static void fail_all(jstate **s, size_t n, int code, const char *msg)
{
	for (size_t i = 0; i < n; i++)
		if (s[i]->j->code == TRACE_OK)
			job_fail(s[i], code, NULL, NULL, 0, msg);
}

/* After a batch decoded from R (READ records so far): O's tick (the
 * progress) and its poll (a stop: TRACE_ESTOPPED, the message in ERR). O
 * NULL (a worker thread): nothing. */
static int after_batch(const sweep_opts *o, const trace_reader *r, uint64_t read, char *err,
		       size_t errlen)
{
	if (!o)
		return TRACE_OK;
	if (o->tick) {
		uint64_t done, total;
		trace_progress(r, &done, &total);
		o->tick(o->tick_ctx, done, total);
	}
	if (o->poll && o->poll(o->poll_ctx, read, err, errlen))
		return TRACE_ESTOPPED;
	return TRACE_OK;
}

/* Decode PATH on this thread and feed every batch to the jobs S[0..N).
 * O (NULL on a worker thread): its tick and poll after each batch. */
static int decode_and_feed(const char *path, enum trace_format fmt, jstate **s, size_t n,
			   trace_header *hdr, const sweep_opts *o, char *err, size_t errlen)
{
	uint64_t read = 0;
	trace_reader *r;
	int rc = open_at(&r, path, fmt, s, n, err, errlen);
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
			live += !s[i]->stopped;
		if (!live)
			break;
		long k = trace_read(r, b, REPLAY_BATCH, err, errlen);
		if (k <= 0) {
			rc = (int)k;
			break;
		}
		const uint64_t *l = lines_of(r, (size_t)k, lines);
		tracestat_batch c;
		tracestat_count(&c, b, (size_t)k);
		for (size_t i = 0; i < n; i++)
			feed(s[i], b, (size_t)k, &c, l, trace_path(r));
		read += (uint64_t)k;
		rc = after_batch(o, r, read, err, errlen);
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
	jstate *first = n ? &s[0] : NULL;
	int rc = open_at(&r, path, fmt, &first, n, err, errlen);
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
						 trace_path(r), s[i].skip + done[i] + bad,
						 machine_error(mm));
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

/* ---------------------------------------------------------------- threads
 *
 * Shared decode (issue 25: -j N scales). The calling thread decodes into a
 * ring of SWEEP_RING slots, a batch of REPLAY_BATCH records each (96 KB:
 * it stays in a core's L2 while the machines that core runs take it in
 * turn). A slot's work is one feed per machine; the threads claim those
 * feeds one at a time, so that the work balances itself whatever the
 * points cost (a grid whose first key is the page size gives machines
 * that differ by 3x; the decode is one more piece of work of the calling
 * thread, taken first whenever a slot is free). Each thread has a home
 * range of the machines - claimed from its front - and steals from the
 * back of the others' when its own are claimed, so a machine stays on one
 * core (its TLBs and tables in that core's caches) unless the balance
 * needs it elsewhere. A machine takes the slots in order: it is claimed
 * for slot k only once it has finished slot k - 1. A slot is decoded
 * again once every machine has finished it.
 *
 * The bookkeeping (claims, what each machine has done, which slots are
 * full) is under one mutex, taken twice per feed of 4,096 records (about
 * 30 us of a machine's work); the records are read without it (a slot is
 * written only while no machine may take it). A thread sleeps on the
 * condition variable only when nothing is claimable, and is woken only if
 * it sleeps. The SWEEP_CHUNK design before this one dealt the machines to
 * the threads in fixed shares (the decoding thread one fewer), and a -j 2
 * sweep whose halves cost differently waited on the slower half.
 */
#define SWEEP_RING 32   /* slots: the decoder runs up to 128 K records ahead (3 MB) */

typedef struct slot {
	trace_rec rec[REPLAY_BATCH];
	uint64_t line[REPLAY_BATCH];
	int has_lines;
	size_t n;
	tracestat_batch cnt;      /* the batch's trace counts, taken once */
	size_t *front, *back;     /* per home range: its unclaimed machines are [front, back) */
	size_t claimed, left;     /* machines claimed for it; not done with it (0: free) */
} slot;

typedef struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* new slot, a machine done with one, the end */
	slot *slots;
	jstate **s;               /* the machines */
	size_t n;
	uint64_t *done;           /* per machine: the slots it has finished */
	unsigned t;               /* threads, and home ranges */
	uint64_t published;       /* slots decoded */
	uint64_t open_from;       /* the oldest slot with a machine unclaimed */
	uint64_t end;             /* UINT64_MAX, or the slots there are (the decoder met
				     the end, an error, or every machine stopped) */
	size_t stopped;           /* machines that have stopped */
	unsigned sleeping;        /* threads waiting on cv */
	const char *path;
	enum trace_format fmt;
	const sweep_opts *o;      /* its tick and poll, asked by the decoder after each batch */
	uint64_t read;            /* records decoded (the decoder's) */
} ring;

typedef struct worker {
	ring *q;
	unsigned me;              /* its home range */
	jstate **s;               /* per-thread decode: its machines */
	size_t n;
	int rc;
	char err[1024];
} worker;

static void wake(ring *q)
{
	if (q->sleeping)
		pthread_cond_broadcast(&q->cv);
}

/* Claim a feed for thread ME (under the lock): a machine *MI ready for
 * slot *SEQ, from the oldest slot that has one - its home range's front
 * first, then the back of the next ranges'. 0 when none is. */
static int claim(ring *q, unsigned me, uint64_t *seq, size_t *mi)
{
	for (uint64_t k = q->open_from; k < q->published; k++) {
		slot *sl = &q->slots[k % SWEEP_RING];
		if (sl->claimed == q->n) {
			if (k == q->open_from)
				q->open_from++;
			continue;
		}
		for (unsigned d = 0; d < q->t; d++) {
			unsigned r = (me + d) % q->t;
			if (sl->front[r] == sl->back[r])
				continue;
			size_t i = d == 0 ? sl->front[r] : sl->back[r] - 1;
			if (q->done[i] != k)
				continue;   /* (still on an earlier slot) */
			if (d == 0)
				sl->front[r]++;
			else
				sl->back[r]--;
			sl->claimed++;
			*seq = k;
			*mi = i;
			return 1;
		}
	}
	return 0;
}

/* Feed slot SEQ to machine I (claimed; the lock not held), then say so. */
static void feed_one(ring *q, uint64_t seq, size_t i)
{
	slot *sl = &q->slots[seq % SWEEP_RING];
	jstate *s = q->s[i];
	int was = s->stopped;
	feed(s, sl->rec, sl->n, &sl->cnt, sl->has_lines ? sl->line : NULL, q->path);
	pthread_mutex_lock(&q->mu);
	q->done[i] = seq + 1;
	sl->left--;
	q->stopped += !was && s->stopped;
	wake(q);
	pthread_mutex_unlock(&q->mu);
}

/* Decode the next batch into its slot (free: the caller saw it so, under
 * the lock; not held now) and publish it, or the end. R NULL: the trace
 * could not be opened (*RC says why): the end at once. */
static void decode_one(ring *q, trace_reader *r, int *rc, char *err, size_t errlen)
{
	slot *sl = &q->slots[q->published % SWEEP_RING];
	long k = 0;
	int stopped = 0;
	if (r && *rc == TRACE_OK) {
		k = trace_read(r, sl->rec, REPLAY_BATCH, err, errlen);
		if (k < 0)
			*rc = (int)k;
	}
	if (k > 0) {
		sl->n = (size_t)k;
		tracestat_count(&sl->cnt, sl->rec, (size_t)k);
		sl->has_lines = lines_of(r, (size_t)k, sl->line) != NULL;
		q->read += (uint64_t)k;
		if (after_batch(q->o, r, q->read, err, errlen) != TRACE_OK) {
			*rc = TRACE_ESTOPPED;   /* (this batch is fed; none after it) */
			stopped = 1;
		}
	}
	pthread_mutex_lock(&q->mu);
	/* The slot's claims, under the lock: claim() looks at every slot from
	 * open_from, which passes this one's last use first (slots are freed
	 * in order: a machine finishes them in order). */
	while (q->open_from < q->published && q->slots[q->open_from % SWEEP_RING].claimed == q->n)
		q->open_from++;
	if (k > 0) {
		for (unsigned h = 0; h < q->t; h++) {
			sl->front[h] = q->n * h / q->t;
			sl->back[h] = q->n * (h + 1) / q->t;
		}
		sl->claimed = 0;
		sl->left = q->n;
		q->published++;
	}
	if (k <= 0 || stopped)
		q->end = q->published;
	wake(q);
	pthread_mutex_unlock(&q->mu);
}

/* A thread's loop: claim and feed until every slot is claimed after the
 * end. The decoding thread (R, or DECODER with a reader that failed to
 * open) decodes first whenever a slot is free. */
static void work(ring *q, unsigned me, int decoder, trace_reader *r, int *rc, char *err,
		 size_t errlen)
{
	pthread_mutex_lock(&q->mu);
	for (;;) {
		uint64_t seq;
		size_t i;
		if (decoder && q->end == UINT64_MAX &&
		    (q->stopped == q->n || q->slots[q->published % SWEEP_RING].left == 0)) {
			if (q->stopped == q->n) {   /* (every machine stopped: read no more) */
				q->end = q->published;
				wake(q);
				continue;
			}
			pthread_mutex_unlock(&q->mu);
			decode_one(q, r, rc, err, errlen);
			pthread_mutex_lock(&q->mu);
			continue;
		}
		if (claim(q, me, &seq, &i)) {
			pthread_mutex_unlock(&q->mu);
			feed_one(q, seq, i);
			pthread_mutex_lock(&q->mu);
			continue;
		}
		if (q->end != UINT64_MAX && q->open_from >= q->end)
			break;
		q->sleeping++;
		pthread_cond_wait(&q->cv, &q->mu);
		q->sleeping--;
	}
	pthread_mutex_unlock(&q->mu);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	if (w->s) {   /* per-thread decode */
		w->rc = decode_and_feed(w->q->path, w->q->fmt, w->s, w->n, NULL, NULL, w->err,
					sizeof(w->err));
		return NULL;
	}
	work(w->q, w->me, 0, NULL, &w->rc, w->err, sizeof(w->err));
	return NULL;
}

/* The shared decode on T threads (this one decoding). */
static int run_ring(ring *q, trace_header *hdr, char *err, size_t errlen)
{
	int rc = TRACE_OK;
	worker *w = calloc(q->t, sizeof(*w));
	pthread_t *tid = calloc(q->t, sizeof(*tid));
	size_t *ends = calloc((size_t)SWEEP_RING * 2 * q->t, sizeof(*ends));
	q->slots = calloc(SWEEP_RING, sizeof(*q->slots));
	q->done = calloc(q->n, sizeof(*q->done));
	if (!w || !tid || !ends || !q->slots || !q->done) {
		snprintf(err, errlen, "out of memory (sweep threads)");
		rc = TRACE_ENOMEM;
		goto out;
	}
	for (unsigned k = 0; k < SWEEP_RING; k++) {
		q->slots[k].front = ends + (size_t)k * 2 * q->t;
		q->slots[k].back = q->slots[k].front + q->t;
	}
	q->end = UINT64_MAX;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	trace_reader *r = NULL;
	rc = open_at(&r, q->path, q->fmt, q->s, q->n, err, errlen);
	if (rc != TRACE_OK)
		r = NULL;
	else
		*hdr = *trace_get_header(r);
	/* (A thread that cannot start leaves its home range to the others'
	 * stealing: with none started, this one does it all.) */
	unsigned started = 1;
	for (unsigned th = 1; th < q->t; th++) {
		w[th] = (worker){ .q = q, .me = th };
		if (pthread_create(&tid[th], NULL, worker_main, &w[th]) != 0)
			break;
		started++;
	}
	work(q, 0, 1, r, &rc, err, errlen);
	for (unsigned th = 1; th < started; th++)
		pthread_join(tid[th], NULL);
	if (r)
		trace_close(r);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
out:
	free(q->slots);
	free(q->done);
	free(ends);
	free(w);
	free(tid);
	return rc;
}

/* Per-thread decode: each thread decodes the trace itself for its share
 * of the jobs, dealt round-robin (thread 0 is this one). */
static int run_per_thread(const char *trace, enum trace_format fmt, jstate **all, size_t n,
			  unsigned t, const sweep_opts *o, trace_header *hdr, char *err,
			  size_t errlen)
{
	ring q = { .path = trace, .fmt = fmt };
	worker *w = calloc(t, sizeof(*w));
	pthread_t *tid = calloc(t, sizeof(*tid));
	jstate **order = calloc(n, sizeof(*order));
	if (!w || !tid || !order) {
		free(w);
		free(tid);
		free(order);
		snprintf(err, errlen, "out of memory (sweep threads)");
		return TRACE_ENOMEM;
	}
	size_t k = 0;
	for (unsigned th = 0; th < t; th++) {
		w[th] = (worker){ .q = &q, .s = &order[k] };
		for (size_t i = th; i < n; i += t)
			order[k + w[th].n++] = all[i];
		k += w[th].n;
	}
	unsigned started = 1;
	for (unsigned th = 1; th < t; th++) {
		if (pthread_create(&tid[th], NULL, worker_main, &w[th]) != 0)
			break;
		started++;
	}
	trace_reader *r;
	int rc = replay_open(&r, trace, fmt, 1, err, errlen);
	if (rc == TRACE_OK) {
		*hdr = *trace_get_header(r);
		trace_close(r);
		rc = decode_and_feed(trace, fmt, w[0].s, w[0].n, NULL, o, err, errlen);
	}
	for (unsigned th = 1; th < started; th++)
		pthread_join(tid[th], NULL);
	/* A thread that could not start: its jobs run here, after the others. */
	for (unsigned th = started; th < t; th++) {
		int r2 = decode_and_feed(trace, fmt, w[th].s, w[th].n, NULL, NULL, w[th].err,
					 sizeof(w[th].err));
		if (rc == TRACE_OK && r2 != TRACE_OK) {
			rc = r2;
			snprintf(err, errlen, "%s", w[th].err);
		}
	}
	for (unsigned th = 1; th < started; th++)
		if (w[th].rc != TRACE_OK && rc == TRACE_OK) {
			rc = w[th].rc;
			snprintf(err, errlen, "%s", w[th].err);
		}
	free(w);
	free(tid);
	free(order);
	return rc;
}

int sweep_replay(const char *trace, enum trace_format fmt, sweep_job *jobs, size_t n,
		 const sweep_opts *o, trace_header *hdr, char *err, size_t errlen)
{
	jstate *s = calloc(n ? n : 1, sizeof(*s));
	jstate **ps = calloc(n ? n : 1, sizeof(*ps));
	if (!s || !ps) {
		free(s);
		free(ps);
		snprintf(err, errlen, "out of memory (sweep)");
		return TRACE_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t l = (uint64_t)param_int(machine_params(jobs[i].m), "sim.max_records");
		jobs[i].code = TRACE_OK;
		jobs[i].err[0] = '\0';
		s[i] = (jstate){ .j = &jobs[i], .limit = l ? l : UINT64_MAX,
				 .skip = o ? o->skip : 0, .warmup = o ? o->warmup : 0,
				 .warm = o ? o->warmup : 0 };
		ps[i] = &s[i];
	}
	int rc = prefault(trace, fmt, s, n, err, errlen);
	unsigned t = o && o->threads > 1 ? o->threads : 1;
	if (t > n)
		t = n ? (unsigned)n : 1;
	ring q = { .path = trace, .fmt = fmt, .s = ps, .n = n, .t = t, .o = o };
	if (rc == TRACE_OK)
		rc = t == 1 ? decode_and_feed(trace, fmt, ps, n, hdr, o, err, errlen)
			: o->per_thread_decode ? run_per_thread(trace, fmt, ps, n, t, o, hdr, err,
							       errlen)
			: run_ring(&q, hdr, err, errlen);
	if (rc != TRACE_OK)
		fail_all(ps, n, rc, err);
	for (size_t i = 0; i < n; i++)
		finish(&s[i], trace);
	free(s);
	free(ps);
	return rc;
}

/* ---------------------------------------------------------------- XXH64 */

/* The five primes and the round of xxHash's XXH64 (xxhash.h, XXH64_round,
 * XXH64_mergeRound, XXH64_finalize, XXH64_avalanche). Input words are read
 * little-endian, as the reference does on every host. */
#define XXH_P1 UINT64_C(0x9E3779B185EBCA87)
#define XXH_P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define XXH_P3 UINT64_C(0x165667B19E3779F9)
#define XXH_P4 UINT64_C(0x85EBCA77C2B2AE63)
#define XXH_P5 UINT64_C(0x27D4EB2F165667C5)
#define XXH_STRIPE 32

static uint64_t xxh_rotl(uint64_t x, unsigned r) { return (x << r) | (x >> (64 - r)); }

static uint64_t xxh_le64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static uint32_t xxh_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t xxh_round(uint64_t acc, uint64_t in)
{
	acc += in * XXH_P2;
	return xxh_rotl(acc, 31) * XXH_P1;
}

static uint64_t xxh_merge(uint64_t acc, uint64_t v)
{
	acc ^= xxh_round(0, v);
	return acc * XXH_P1 + XXH_P4;
}

static void xxh_stripe(uint64_t *v, const unsigned char *p)
{
	for (unsigned i = 0; i < 4; i++)
		v[i] = xxh_round(v[i], xxh_le64(p + 8 * i));
}

void sweep_xxh64_init(sweep_xxh64 *h, uint64_t seed)
{
	memset(h, 0, sizeof(*h));
	h->seed = seed;
	h->v[0] = seed + XXH_P1 + XXH_P2;
	h->v[1] = seed + XXH_P2;
	h->v[2] = seed;
	h->v[3] = seed - XXH_P1;
}

void sweep_xxh64_update(sweep_xxh64 *h, const void *data, size_t n)
{
	const unsigned char *p = data;
	h->total += n;
	if (h->nbuf) {
		size_t k = XXH_STRIPE - h->nbuf < n ? XXH_STRIPE - h->nbuf : n;
		memcpy(h->buf + h->nbuf, p, k);
		h->nbuf += k;
		p += k;
		n -= k;
		if (h->nbuf < XXH_STRIPE)
			return;
		xxh_stripe(h->v, h->buf);
		h->nbuf = 0;
	}
	for (; n >= XXH_STRIPE; p += XXH_STRIPE, n -= XXH_STRIPE)
		xxh_stripe(h->v, p);
	memcpy(h->buf, p, n);
	h->nbuf = n;
}

uint64_t sweep_xxh64_digest(const sweep_xxh64 *h)
{
	uint64_t a;
	if (h->total >= XXH_STRIPE) {
		const uint64_t *v = h->v;
		a = xxh_rotl(v[0], 1) + xxh_rotl(v[1], 7) + xxh_rotl(v[2], 12) + xxh_rotl(v[3], 18);
		for (unsigned i = 0; i < 4; i++)
			a = xxh_merge(a, v[i]);
	} else {
		a = h->seed + XXH_P5;
	}
	a += h->total;
	const unsigned char *p = h->buf;
	size_t n = h->nbuf;
	for (; n >= 8; p += 8, n -= 8)
		a = xxh_rotl(a ^ xxh_round(0, xxh_le64(p)), 27) * XXH_P1 + XXH_P4;
	if (n >= 4) {
		a = xxh_rotl(a ^ (uint64_t)xxh_le32(p) * XXH_P1, 23) * XXH_P2 + XXH_P3;
		p += 4;
		n -= 4;
	}
	for (; n; p++, n--)
		a = xxh_rotl(a ^ *p * XXH_P5, 11) * XXH_P1;
	a ^= a >> 33;
	a *= XXH_P2;
	a ^= a >> 29;
	a *= XXH_P3;
	a ^= a >> 32;
	return a;
}

/* ---------------------------------------------------------------- fingerprints */

#define PRINT_BLOCK (1u << 20)   /* bytes read at a time while hashing */

/* "PATH: message" into ERR; returns CODE. */
static int print_err(char *err, size_t errlen, int code, const char *path, const char *fmt,
		     ...) __attribute__((format(printf, 5, 6)));
static int print_err(char *err, size_t errlen, int code, const char *path, const char *fmt,
		     ...)
{
	char m[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", path, m);
	return code;
}

static uint64_t mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * UINT64_C(1000000000) + (uint64_t)st->st_mtim.tv_nsec;
}

/* File PATH's entry F (its name already set). */
static int print_file(const char *path, sweep_file *f, unsigned char *buf, char *err,
		      size_t errlen)
{
	/* (O_NONBLOCK: a FIFO in a capture directory must not hang the sweep) */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st, st2;
	if (fd < 0)
		return print_err(err, errlen, TRACE_EIO, path, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return print_err(err, errlen, TRACE_EIO, path, "not a regular file (a sweep "
				  "fingerprints every file it reads)");
	}
	sweep_xxh64 h;
	sweep_xxh64_init(&h, 0);
	for (;;) {
		ssize_t k = read(fd, buf, PRINT_BLOCK);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			close(fd);
			return print_err(err, errlen, TRACE_EIO, path, "read error: %s",
					  strerror(e));
		}
		if (k == 0)
			break;
		sweep_xxh64_update(&h, buf, (size_t)k);
	}
	int same = fstat(fd, &st2) == 0 && st2.st_size == st.st_size &&
		   mtime_ns(&st2) == mtime_ns(&st) && h.total == (uint64_t)st.st_size;
	close(fd);
	if (!same)
		return print_err(err, errlen, TRACE_EIO, path, "changed while it was being read");
	f->bytes = (uint64_t)st.st_size;
	f->mtime_ns = mtime_ns(&st);
	f->xxh64 = sweep_xxh64_digest(&h);
	return TRACE_OK;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const sweep_file *)a)->name, ((const sweep_file *)b)->name);
}

void sweep_print_free(sweep_print *p)
{
	for (size_t i = 0; p->f && i < p->n; i++)
		free(p->f[i].name);
	free(p->f);
	p->f = NULL;
	p->n = 0;
}

/* Add NAME (relative) to P; its file is TRACE/NAME (TRACE for ""). */
static int print_add(sweep_print *p, size_t *cap, const char *trace, const char *name,
		     unsigned char *buf, char *err, size_t errlen)
{
	if (p->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		sweep_file *nf = realloc(p->f, nc * sizeof(*nf));
		if (!nf)
			return print_err(err, errlen, TRACE_ENOMEM, trace, "out of memory "
					  "(fingerprint)");
		p->f = nf;
		*cap = nc;
	}
	sweep_file *f = &p->f[p->n];
	size_t l = strlen(trace) + strlen(name) + 2;
	char *full = malloc(l);
	f->name = strdup(name);
	if (!full || !f->name) {
		free(full);
		free(f->name);
		return print_err(err, errlen, TRACE_ENOMEM, trace, "out of memory (fingerprint)");
	}
	snprintf(full, l, "%s%s%s", trace, *name ? "/" : "", name);
	int rc = print_file(full, f, buf, err, errlen);
	free(full);
	if (rc != TRACE_OK) {
		free(f->name);
		return rc;
	}
	p->n++;
	return TRACE_OK;
}

/* Every regular file of directory TRACE/SUB ("" or "trace") into P;
 * subdirectories are not read by the reader and are left out. */
static int print_dir(sweep_print *p, size_t *cap, const char *trace, const char *sub,
		     unsigned char *buf, char *err, size_t errlen)
{
	size_t l = strlen(trace) + strlen(sub) + 2;
	char *dir = malloc(l);
	if (!dir)
		return print_err(err, errlen, TRACE_ENOMEM, trace, "out of memory (fingerprint)");
	snprintf(dir, l, "%s%s%s", trace, *sub ? "/" : "", sub);
	DIR *dh = opendir(dir);
	if (!dh) {
		int rc = print_err(err, errlen, TRACE_EIO, dir, "cannot open directory: %s",
				    strerror(errno));
		free(dir);
		return rc;
	}
	int rc = TRACE_OK;
	struct dirent *de;
	while (rc == TRACE_OK && (de = readdir(dh))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		size_t fl = strlen(dir) + strlen(de->d_name) + 2;
		size_t nl = strlen(sub) + strlen(de->d_name) + 2;
		char *full = malloc(fl), *name = malloc(nl);
		if (!full || !name) {
			free(full);
			free(name);
			rc = print_err(err, errlen, TRACE_ENOMEM, trace, "out of memory "
					"(fingerprint)");
			break;
		}
		snprintf(full, fl, "%s/%s", dir, de->d_name);
		snprintf(name, nl, "%s%s%s", sub, *sub ? "/" : "", de->d_name);
		struct stat st, lst;
		/* (a subdirectory is not read; nor is a dangling symbolic link) */
		if ((stat(full, &st) == 0 && S_ISDIR(st.st_mode)) ||
		    (stat(full, &st) != 0 && errno == ENOENT && lstat(full, &lst) == 0)) {
			free(full);
			free(name);
			continue;
		}
		rc = print_add(p, cap, trace, name, buf, err, errlen);
		free(full);
		free(name);
	}
	closedir(dh);
	free(dir);
	return rc;
}

int sweep_fingerprint(const char *trace, sweep_print *out, char *err, size_t errlen)
{
	*out = (sweep_print){ 0 };
	unsigned char *buf = malloc(PRINT_BLOCK);
	if (!buf)
		return print_err(err, errlen, TRACE_ENOMEM, trace, "out of memory (fingerprint)");
	size_t cap = 0;
	struct stat st;
	int rc;
	if (stat(trace, &st) != 0) {
		rc = print_err(err, errlen, TRACE_EIO, trace, "cannot open trace: %s",
				strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		/* The reader's rule: DIR/trace/ when it is a directory, else DIR. */
		size_t l = strlen(trace) + sizeof("/trace");
		char *sub = malloc(l);
		struct stat ss;
		if (!sub) {
			rc = print_err(err, errlen, TRACE_ENOMEM, trace, "out of memory "
					"(fingerprint)");
		} else {
			snprintf(sub, l, "%s/trace", trace);
			int has = stat(sub, &ss) == 0 && S_ISDIR(ss.st_mode);
			free(sub);
			rc = print_dir(out, &cap, trace, has ? "trace" : "", buf, err, errlen);
		}
	} else {
		rc = print_add(out, &cap, trace, "", buf, err, errlen);
	}
	free(buf);
	if (rc != TRACE_OK) {
		sweep_print_free(out);
		return rc;
	}
	qsort(out->f, out->n, sizeof(*out->f), cmp_file);
	return TRACE_OK;
}

/* "TRACE" or "TRACE/NAME". */
static void file_label(char *b, size_t len, const char *trace, const char *name)
{
	snprintf(b, len, "%s%s%s", trace, *name ? "/" : "", name);
}

int sweep_print_diff(const char *trace, const sweep_print *was, const sweep_print *now,
		     char *msg, size_t len)
{
	char lab[2048];
	size_t i = 0, k = 0;
	while (i < was->n || k < now->n) {
		int c = i == was->n ? 1 : k == now->n ? -1 : strcmp(was->f[i].name, now->f[k].name);
		if (c < 0) {
			file_label(lab, sizeof(lab), trace, was->f[i].name);
			snprintf(msg, len, "%s: vanished since the sweep began (a file the trace "
				 "reader read)", lab);
			return 1;
		}
		if (c > 0) {
			file_label(lab, sizeof(lab), trace, now->f[k].name);
			snprintf(msg, len, "%s: appeared since the sweep began (the trace reader "
				 "would read it too)", lab);
			return 1;
		}
		const sweep_file *a = &was->f[i++], *b = &now->f[k++];
		const char *what = a->bytes != b->bytes ? "its size"
				 : a->xxh64 != b->xxh64 ? "its content (same size and time)"
				 : a->mtime_ns != b->mtime_ns ? "its modification time" : NULL;
		if (what) {
			if (a->xxh64 != b->xxh64 && a->mtime_ns != b->mtime_ns &&
			    a->bytes == b->bytes)
				what = "its content and modification time";
			file_label(lab, sizeof(lab), trace, a->name);
			snprintf(msg, len, "%s: changed since the sweep began (%s)", lab, what);
			return 1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- the directory */

char *sweep_dir_file(const char *dir, const char *name)
{
	size_t l = strlen(dir) + strlen(name) + 2;
	char *p = malloc(l);
	if (p)
		snprintf(p, l, "%s/%s", dir, name);
	return p;
}

char *sweep_dir_point(const char *dir, size_t n)
{
	char name[64];
	snprintf(name, sizeof(name), "points/%zu.json", n);
	return sweep_dir_file(dir, name);
}

int sweep_output_open(outset *outs, outfile **o, const char *path, const char *what,
		      char *err, size_t errlen)
{
	int rc = outfile_open(outs, o, path, what, 0, err, errlen);
	if (rc == 0)
		return TRACE_OK;
	return rc == OUTFILE_REFUSED ? TRACE_EIO : rc == OUTFILE_NOMEM ? TRACE_ENOMEM
		: TRACE_EOUTPUT;
}

int sweep_output_commit(outfile *o, char *err, size_t errlen)
{
	return outfile_commit(o, err, errlen) ? TRACE_EOUTPUT : TRACE_OK;
}
