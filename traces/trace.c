/*
 * traces/trace.c - format detection and the reader front end.
 *
 * Decoding ahead (trace_open_opts.threads > 1): one background thread calls
 * the backend into PIPE_SLOTS batches of PIPE_RECS records; trace_read
 * copies out of the oldest filled batch, trace_read_ref lends it (the slot
 * goes back to the producer at the next call). The backend (and r->nrec)
 * belongs, from the first trace_read on, to whichever thread holds
 * 'decoding' (under the mutex): the producer, or the consumer itself when
 * it finds no batch ready and nobody decoding - then it decodes the next
 * batch into its own buffer rather than wait (issue 25: a decoding thread
 * that is slower than the replay, or a second core that is busy with
 * something else, made sim.threads=2 no faster than 1, or slower: the
 * consumer slept while the trace waited to be decoded). A batch of 0 (end)
 * or an error ends the producer, and trace_read meets it after every
 * record decoded before it, as without the thread.
 *
 * The producer decodes into a buffer of its own (it stays in its core's
 * L1/L2) and moves each batch into its slot with non-temporal stores where
 * the compiler has them (SSE2): the slot's cache lines were last read by
 * the consumer's core, and ordinary stores to them made every record the
 * decoder wrote wait for the other core to give its line up - the
 * decoder's own loop ran 2x slower on the shipped capture (perf: 0.23 s
 * against 0.115 s in slt_read, the stores' stalls), which is what made the
 * decoding thread the slower of the two.
 *
 * Detection looks at the decompressed content (a name ending ".slt" only
 * insists on the native magic, so a damaged header is reported as such):
 *   a directory                       -> drmemtrace (per-thread files)
 *   "SLTR" magic                      -> native .slt
 *   a zip archive, or a drmemtrace HEADER record then a MARKER (plain, or
 *   behind a zlib header)             -> drmemtrace (one per-thread file)
 *   NUL bytes in the first 64 KB, and every whole 64-byte record there
 *   shaped as ChampSim's (is_branch and branch_taken 0 or 1, ip not 0)
 *                                     -> ChampSim binary records
 *   first trace line "I  ..." or " L|S|M ..." (valgrind "==" lines and
 *   blank lines skipped)              -> lackey
 *   otherwise                         -> plain text
 * The ChampSim test rests on the structure of the whole window, never on one
 * byte: a text trace with a NUL in it (a crash's zero-filled tail, one stray
 * byte) stays text, and the text reader refuses it naming the NUL's byte
 * offset; other control bytes and bytes >= 0x80 prove nothing either (a
 * text comment may hold ESC, UTF-8 or Latin-1, and the text reader names
 * the line of a bad field). Binary content that is not ChampSim's shape is
 * refused the same way (--format champsim reads it anyway).
 */
#define _GNU_SOURCE   /* sched_getaffinity, CPU_COUNT */
#include "trace_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>

#define PIPE_SLOTS 8
#define PIPE_RECS  4096   /* a slot: a replay batch (REPLAY_BATCH), 96 KB */
#define PIPE_PIECE 1024   /* records the producer decodes at a time (24 KB) */
/* Pauses a thread spins for the other before it sleeps: at most about
 * 50 us on the AMD EPYC (family 25) this was measured on - a batch's
 * decode or replay takes 30-40 us, and a sleeping thread was woken 50-100
 * us late (the consumer of the shipped capture waited 250-600 times: 0.30
 * s median replay without the spin against 0.21 s with it). Each side's
 * budget adapts (spin_step): it halves after a spin that ended in sleep -
 * the other thread is not running, the machine's cores are taken, and
 * spinning only burnt this one's share (1.72 s median replay against 1.39
 * on one thread at load 13 before it adapted) - and doubles back after a
 * spin that worked. */
#define PIPE_SPIN     2048
#define PIPE_SPIN_MIN 16
#if defined(__SSE2__)
#include <emmintrin.h>
#define PIPE_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define PIPE_PAUSE() __asm__ __volatile__("yield")
#else
#define PIPE_PAUSE() ((void)0)
#endif
/* trace_open_mem: the window compressed bytes decode into (detection reads
 * the first 64 KB, as from a file) */
#define TRACE_MEM_WINDOW (64u << 10)

struct trace_pipe {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;              /* a waiter (prod_waits, cons_waits) is told of a
					   change of count, decoding, ended or stop */
	trace_rec *rec[PIPE_SLOTS];
	long n[PIPE_SLOTS];             /* a filled slot: its records, 0 = end, < 0 = error */
	char err[PIPE_SLOTS][512];
	unsigned head;                  /* oldest filled slot */
	atomic_uint count;              /* filled slots (changed under mu; read while
					   spinning without it) */
	size_t pos;                     /* records of the head slot already returned */
	int held;                       /* trace_read_ref lent the head slot out */
	void (*batch_fn)(const trace_rec *b, size_t n, void *aux);
	size_t aux_size, granule;       /* trace_open_opts.batch_* */
	unsigned char *aux[PIPE_SLOTS]; /* batch_fn's, per granule of each slot */
	int has_aux[PIPE_SLOTS];        /* batch_fn was called on the slot's records */
	int started, stop;
	unsigned asked;                 /* batches asked for before the thread started */
	int threadless;                 /* the thread could not start: the consumer decodes */
	int decoding;                   /* a thread is in the backend (the next batch) */
	int prod_waits, cons_waits;     /* asleep on cv: the producer, the consumer */
	int behind;                     /* the consumer decoded a batch itself lately */
	unsigned prod_spin, cons_spin;  /* each side's spin budget (its own thread's) */
	int ended;                      /* the consumer met the end or an error itself */
	long final;                     /* ... which is this (0 or the code) */
	char final_err[512];
	int sync;                       /* mu and cv initialised */
	uint64_t done, total;           /* trace_progress as of the last batch */
	trace_rec piece[PIPE_PIECE];    /* the producer's own: decoded here, then stored
					   into the slot */
};

static int pipe_create(trace_reader *r, const trace_open_opts *o, char *err, size_t errlen);
static void pipe_destroy(trace_reader *r);

static const char *const fmt_names[] = {
	[TRACE_FMT_AUTO] = "auto", [TRACE_FMT_SLT] = "slt", [TRACE_FMT_LACKEY] = "lackey",
	[TRACE_FMT_CHAMPSIM] = "champsim", [TRACE_FMT_TEXT] = "text",
	[TRACE_FMT_DRMEMTRACE] = "drmemtrace",
};

int trace_format_parse(const char *name, enum trace_format *out)
{
	for (int i = 0; i <= TRACE_FMT_DRMEMTRACE; i++) {
		if (strcmp(name, fmt_names[i]) == 0) {
			*out = (enum trace_format)i;
			return TRACE_OK;
		}
	}
	return TRACE_EFORMAT;
}

const char *trace_format_name(enum trace_format fmt)
{
	return (unsigned)fmt <= TRACE_FMT_DRMEMTRACE ? fmt_names[fmt] : "?";
}

#define DETECT_SCAN  65536u   /* bytes detection looks at */
#define CS_DETECT_REC 64u     /* ChampSim's input_instr (traces/champsim.c) */

/* Whether B[0..N) holds at least one whole ChampSim input_instr and every
 * whole one is shaped as ChampSim writes them: is_branch (byte 8) and
 * branch_taken (byte 9) are bools, and the instruction pointer (bytes 0..7)
 * is not 0. */
static int champsim_shaped(const uint8_t *b, size_t n)
{
	if (n < CS_DETECT_REC)
		return 0;
	for (size_t o = 0; o + CS_DETECT_REC <= n; o += CS_DETECT_REC) {
		static const uint8_t zero[8];
		if (b[o + 8] > 1 || b[o + 9] > 1 || memcmp(b + o, zero, 8) == 0)
			return 0;
	}
	return 1;
}

static enum trace_format detect(const struct instream_view *v)
{
	const uint8_t *b = v->buf + v->pos;
	size_t n = v->len - v->pos;
	if (n >= 4 && memcmp(b, "SLTR", 4) == 0)
		return TRACE_FMT_SLT;
	if (drmemtrace_sniff(b, n))
		return TRACE_FMT_DRMEMTRACE;
	size_t scan = n < DETECT_SCAN ? n : DETECT_SCAN;
	if (memchr(b, 0, scan) && champsim_shaped(b, scan))
		return TRACE_FMT_CHAMPSIM;
	/* Text: look at the first line that is not blank, a comment or valgrind's. */
	size_t i = 0;
	while (i < scan) {
		size_t e = i;
		while (e < scan && b[e] != '\n')
			e++;
		size_t len = e - i;
		const uint8_t *l = b + i;
		if (len >= 2 && l[0] == '=' && l[1] == '=') {
			i = e + 1;
			continue;
		}
		size_t k = 0;
		while (k < len && (l[k] == ' ' || l[k] == '\t' || l[k] == '\r'))
			k++;
		if (k == len || l[k] == '#') {
			i = e + 1;
			continue;
		}
		if (len >= 2 && l[0] == 'I' && l[1] == ' ')
			return TRACE_FMT_LACKEY;
		if (len >= 3 && l[0] == ' ' && (l[1] == 'L' || l[1] == 'S' || l[1] == 'M') &&
		    l[2] == ' ')
			return TRACE_FMT_LACKEY;
		return TRACE_FMT_TEXT;
	}
	/* Only valgrind lines (or nothing) in the window: lackey if any "==". */
	return (n >= 2 && b[0] == '=' && b[1] == '=') ? TRACE_FMT_LACKEY : TRACE_FMT_TEXT;
}

int trace_open(trace_reader **out, const char *path, enum trace_format fmt,
	       char *err, size_t errlen)
{
	trace_open_opts o = { .format = fmt };
	return trace_open_with(out, path, &o, err, errlen);
}

/* A new reader named PATH ("<stdin>" for "-"), or NULL. */
static trace_reader *reader_new(const char *path, const trace_open_opts *o)
{
	trace_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->open_flags = o->flags | (o->threads > 1 ? TRACE_OPEN_WHOLE_MEMBERS : 0);
	r->path = strdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
	if (!r->path) {
		free(r);
		return NULL;
	}
	return r;
}

/* Whether O asks for a decoding thread for R (its backend started). */
static int wants_pipe(const trace_reader *r, const trace_open_opts *o)
{
	if (o->threads < 2)
		return 0;
	if (!(o->flags & TRACE_OPEN_AUTO_THREADS))
		return 1;
	cpu_set_t cpus;
	return !r->line_based && sched_getaffinity(0, sizeof(cpus), &cpus) == 0 &&
	       CPU_COUNT(&cpus) >= 2;
}

/* R has its stream r->in open (from PATH, or memory): detect the format
 * unless O forces one, start the backend and, if asked, the decoding
 * thread. Closes R on an error. */
static int open_stream(trace_reader **out, trace_reader *r, const char *path,
		       const trace_open_opts *o, char *err, size_t errlen)
{
	enum trace_format fmt = o->format;
	int rc = instream_fill(r->in, err, errlen);
	if (rc != TRACE_OK)
		goto fail;
	if (instream_view(r->in)->len == 0) {
		/* Not an empty run: a zero-byte file is almost always a capture
		 * that failed or an output that was never written. */
		rc = trace_errf(err, errlen, TRACE_EFORMAT, path, "empty (0 bytes%s): not a trace",
				instream_comp(r->in) == IN_PLAIN ? "" : " once decompressed");
		goto fail;
	}
	struct instream_view *view = instream_view(r->in);
	if ((fmt == TRACE_FMT_AUTO || fmt == TRACE_FMT_TEXT || fmt == TRACE_FMT_LACKEY) &&
	    view->len - view->pos >= 3 && memcmp(view->buf + view->pos, "\xef\xbb\xbf", 3) == 0)
		view->pos += 3;   /* a UTF-8 byte order mark (editors write one) */
	if (fmt == TRACE_FMT_AUTO) {
		/* A file named .slt must be one: a wrong magic is reported as such
		 * rather than sniffed as some other format. */
		size_t pl = strlen(path);
		int named_slt = pl > 4 && strcmp(path + pl - 4, ".slt") == 0;
		fmt = named_slt ? TRACE_FMT_SLT : detect(instream_view(r->in));
	}
	r->hdr.format = fmt;
	switch (fmt) {
	case TRACE_FMT_SLT: rc = slt_reader_init(r, err, errlen); break;
	case TRACE_FMT_LACKEY: rc = lackey_reader_init(r, err, errlen); break;
	case TRACE_FMT_CHAMPSIM: rc = champsim_reader_init(r, err, errlen); break;
	case TRACE_FMT_TEXT: rc = text_reader_init(r, err, errlen); break;
	case TRACE_FMT_DRMEMTRACE: {
		/* The backend opens its own streams (a zip archive, zlib) from a
		 * file or memory; what cannot be opened twice (standard input, a
		 * pipe) it takes as it is. */
		instream *in = r->mem || instream_seekable(r->in) ? NULL : r->in;
		if (!in)
			instream_close(r->in);
		r->in = NULL;
		rc = drmemtrace_reader_init(r, r->path, 0, in, err, errlen);
		break;
	}
	default: rc = trace_errf(err, errlen, TRACE_EFORMAT, path, "bad format"); break;
	}
	if (rc == TRACE_OK && wants_pipe(r, o))
		rc = pipe_create(r, o, err, errlen);
	if (rc != TRACE_OK)
		goto fail;
	*out = r;
	return TRACE_OK;
fail:
	trace_close(r);
	return rc;
}

int trace_open_with(trace_reader **out, const char *path, const trace_open_opts *o,
		    char *err, size_t errlen)
{
	*out = NULL;
	trace_reader *r = reader_new(path, o);
	if (!r)
		return trace_oom(err, errlen, path);
	int rc;
	struct stat st;
	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* Only drmemtrace traces are directories. */
		if (o->format != TRACE_FMT_AUTO && o->format != TRACE_FMT_DRMEMTRACE) {
			rc = trace_errf(err, errlen, TRACE_EIO, path, "is a directory");
			goto fail;
		}
		r->hdr.format = TRACE_FMT_DRMEMTRACE;
		rc = drmemtrace_reader_init(r, path, 1, NULL, err, errlen);
		if (rc == TRACE_OK && wants_pipe(r, o))
			rc = pipe_create(r, o, err, errlen);
		if (rc != TRACE_OK)
			goto fail;
		*out = r;
		return TRACE_OK;
	}
	rc = instream_open(&r->in, path, err, errlen);
	if (rc != TRACE_OK)
		goto fail;
	return open_stream(out, r, path, o, err, errlen);
fail:
	trace_close(r);
	return rc;
}

int trace_open_mem(trace_reader **out, const void *data, size_t len, const char *name,
		   const trace_open_opts *o, char *err, size_t errlen)
{
	*out = NULL;
	trace_reader *r = reader_new(name, o);
	if (!r)
		return trace_oom(err, errlen, name);
	r->mem = data;
	r->memlen = len;
	int rc = instream_open_mem(&r->in, data, len, name, TRACE_MEM_WINDOW, 0, err, errlen);
	if (rc != TRACE_OK) {
		trace_close(r);
		return rc;
	}
	return open_stream(out, r, name, o, err, errlen);
}

/* One backend call, with the reader's end/error bookkeeping. */
static long read_direct(trace_reader *r, trace_rec *buf, size_t max, char *err, size_t errlen)
{
	if (r->done) {
		if (r->done < 0)
			snprintf(err, errlen, "%s", r->final_err);
		return r->done > 0 ? 0 : r->done;
	}
	if (r->line_based && max > r->lines_cap) {
		uint64_t *nl = realloc(r->lines, max * sizeof(*nl));
		if (!nl) {
			r->done = trace_oom(err, errlen, trace_path(r));
			snprintf(r->final_err, sizeof(r->final_err), "%s", err);
			return r->done;
		}
		r->lines = nl;
		r->lines_cap = max;
	}
	int n = r->be->read(r, buf, max, err, errlen);
	if (n < 0) {
		r->done = n;
		snprintf(r->final_err, sizeof(r->final_err), "%s", err);
	} else if (n == 0) {
		r->done = 1;
	}
	r->nrec += n > 0 ? (uint64_t)n : 0;
	return n;
}

uint64_t trace_line_of(const trace_reader *r, size_t i)
{
	/* With a decoding thread the backend's batches are not the caller's:
	 * no line to name (the caller names the record number instead). */
	return r->line_based && !r->pipe && i < r->lines_cap ? r->lines[i] : 0;
}

static void progress_direct(const trace_reader *r, uint64_t *done, uint64_t *total)
{
	if (r->be->progress)
		r->be->progress(r, done, total);
	else
		instream_progress(r->in, done, total);
}

/* Spin up to *BUDGET pauses until READY(P) holds; the budget follows
 * what happened (PIPE_SPIN above). Returns whether it holds. */
static int spin_step(struct trace_pipe *p, unsigned *budget,
		     int (*ready)(struct trace_pipe *p))
{
	for (unsigned i = 0; i < *budget; i++) {
		if (ready(p)) {
			*budget = *budget * 2 > PIPE_SPIN ? PIPE_SPIN : *budget * 2;
			return 1;
		}
		PIPE_PAUSE();
	}
	if (ready(p))
		return 1;
	*budget = *budget / 4 * 3 < PIPE_SPIN_MIN ? PIPE_SPIN_MIN : *budget / 4 * 3;
	return 0;
}

static int has_room(struct trace_pipe *p)
{
	return atomic_load_explicit(&p->count, memory_order_acquire) < PIPE_SLOTS;
}

static int has_batch(struct trace_pipe *p)
{
	return atomic_load_explicit(&p->count, memory_order_acquire) > 0;
}

/* N records from SRC into DST (a slot), past the caches where that can be
 * said: the lines go to memory without being read first. */
static void slot_store(trace_rec *dst, const trace_rec *src, size_t n)
{
#if defined(__SSE2__)
	size_t bytes = n * sizeof(*src), v = 0;
	if (((uintptr_t)dst & 15) == 0 && ((uintptr_t)src & 15) == 0) {
		for (; v + 16 <= bytes; v += 16)
			_mm_stream_si128((__m128i *)((char *)dst + v),
					 _mm_load_si128((const __m128i *)((const char *)src + v)));
	}
	memcpy((char *)dst + v, (const char *)src + v, bytes - v);
#else
	memcpy(dst, src, n * sizeof(*src));
#endif
}

/* Decode up to PIPE_RECS records into SLOT through the producer's piece
 * buffer. The count, 0 at the end, or an error code (the records before
 * it in the slot are withheld, as a larger batch would). */
static long fill_slot(trace_reader *r, struct trace_pipe *p, unsigned slot)
{
	long k = 0;
	while (k < PIPE_RECS) {
		size_t want = PIPE_RECS - (size_t)k < PIPE_PIECE ? PIPE_RECS - (size_t)k : PIPE_PIECE;
		long m = read_direct(r, p->piece, want, p->err[slot], sizeof(p->err[slot]));
		if (m < 0)
			return m;
		if (m == 0)
			break;
		slot_store(p->rec[slot] + k, p->piece, (size_t)m);
		k += m;
	}
#if defined(__SSE2__)
	_mm_sfence();   /* (the stores before the slot is published under the mutex) */
#endif
	return k;
}

static void *pipe_main(void *arg)
{
	trace_reader *r = arg;
	struct trace_pipe *p = r->pipe;
	/* (The first batch is this thread's: pipe_take set 'decoding' for it
	 * before it started, so that the consumer waits for it.) */
	for (int first = 1;; first = 0) {
		if (!first && !has_room(p))
			spin_step(p, &p->prod_spin, has_room);
		pthread_mutex_lock(&p->mu);
		while (!first && (p->count == PIPE_SLOTS || p->decoding) && !p->stop && !p->ended) {
			p->prod_waits = 1;
			pthread_cond_wait(&p->cv, &p->mu);
			p->prod_waits = 0;
		}
		unsigned slot = (p->head + p->count) % PIPE_SLOTS;
		/* batch_fn's work is the producer's, but once the consumer had to
		 * decode a batch itself (the producer behind), the consumer's
		 * until the producer is half a ring ahead again: so the two
		 * threads' shares balance (on the shipped capture the decode and
		 * the counts took 0.18 s, the replay 0.15 s). */
		if (p->behind && p->count >= PIPE_SLOTS / 2)
			p->behind = 0;
		int count = !p->behind;
		int stop = p->stop || p->ended;
		p->decoding = !stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		long k = fill_slot(r, p, slot);
		p->has_aux[slot] = p->batch_fn && count;
		for (long i = 0, j = 0; p->has_aux[slot] && i < k; i += (long)p->granule, j++)
			p->batch_fn(p->rec[slot] + i,
				    k - i < (long)p->granule ? (size_t)(k - i) : p->granule,
				    p->aux[slot] + (size_t)j * p->aux_size);
		uint64_t done, total;
		progress_direct(r, &done, &total);
		pthread_mutex_lock(&p->mu);
		p->decoding = 0;
		p->done = done;
		p->total = total;
		p->n[slot] = k;
		p->count++;
		if (p->cons_waits)
			pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (k <= 0)
			break;
	}
	return NULL;
}

static int pipe_create(trace_reader *r, const trace_open_opts *o, char *err, size_t errlen)
{
	struct trace_pipe *p = calloc(1, sizeof(*p));
	if (!p)
		return trace_errf(err, errlen, TRACE_ENOMEM, r->path, "out of memory (trace reader)");
	r->pipe = p;   /* pipe_destroy frees what was made */
	p->prod_spin = p->cons_spin = PIPE_SPIN;
	if (o->batch_fn && o->batch_granule && o->batch_aux) {
		p->batch_fn = o->batch_fn;
		p->aux_size = o->batch_aux;
		p->granule = o->batch_granule;
	}
	/* (the slots are made when the thread starts: pipe_take) */
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->sync = 1;
	return TRACE_OK;
}

static void pipe_destroy(trace_reader *r)
{
	struct trace_pipe *p = r->pipe;
	if (!p)
		return;
	if (p->started && !p->threadless) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->th, NULL);
	}
	if (p->sync) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
	}
	for (unsigned i = 0; i < PIPE_SLOTS; i++) {
		free(p->rec[i]);
		free(p->aux[i]);
	}
	free(p);
	r->pipe = NULL;
}

/* Make the slots; 0 when out of memory. */
static int pipe_slots(struct trace_pipe *p)
{
	size_t runs = p->batch_fn ? (PIPE_RECS + p->granule - 1) / p->granule : 0;
	for (unsigned i = 0; i < PIPE_SLOTS; i++) {
		if (!p->rec[i])
			p->rec[i] = malloc(PIPE_RECS * sizeof(trace_rec));
		if (runs && !p->aux[i])
			p->aux[i] = malloc(runs * p->aux_size);
		if (!p->rec[i] || (runs && !p->aux[i]))
			return 0;
	}
	return 1;
}

/* Give the head slot back to the producer. */
static void pipe_release(struct trace_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->head = (p->head + 1) % PIPE_SLOTS;
	p->count--;
	p->pos = 0;
	p->held = 0;
	if (p->prod_waits)
		pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Up to MAX records of the head slot at *OUT, through the background thread
 * (started by the first call); a slot wholly returned is held until the
 * next call. */
static long pipe_take(trace_reader *r, const trace_rec **out, const void **aux, trace_rec *buf,
		      size_t max, char *err, size_t errlen)
{
	struct trace_pipe *p = r->pipe;
	/* The first batch is decoded here, as when the thread is behind (below:
	 * nobody is decoding); the thread and its slots are made at the second,
	 * so that a trace of one batch - a small file, a fuzz input - does not
	 * pay for them (nor one that ended in it). */
	if (!p->started && p->asked++ > 0 && !p->ended) {
		/* A thread that cannot start (EAGAIN: no memory for its stack, or
		 * no thread left; or no memory for the slots) leaves every batch
		 * to this one, which decodes when nobody does: the same records,
		 * one thread's speed. */
		p->decoding = 1;   /* (the thread's first batch: see pipe_main) */
		p->threadless = !pipe_slots(p) ||
				pthread_create(&p->th, NULL, pipe_main, r) != 0;
		if (p->threadless)
			p->decoding = 0;
		p->started = 1;
	}
	if (p->held)
		pipe_release(p);
	pthread_mutex_lock(&p->mu);
	while (p->count == 0) {
		if (p->ended) {   /* (the end or the error this thread met decoding) */
			pthread_mutex_unlock(&p->mu);
			if (p->final < 0)
				snprintf(err, errlen, "%s", p->final_err);
			return p->final;
		}
		if (!p->decoding) {
			/* Nothing ready and nobody decoding: the next batch is this
			 * thread's to decode, into the caller's buffer. */
			p->decoding = 1;
			p->behind = p->started;   /* (the first batch: nobody behind) */
			pthread_mutex_unlock(&p->mu);
			long k = read_direct(r, buf, max, err, errlen);
			uint64_t done, total;
			progress_direct(r, &done, &total);
			pthread_mutex_lock(&p->mu);
			p->decoding = 0;
			p->done = done;
			p->total = total;
			if (k <= 0) {
				p->ended = 1;
				p->final = k;
				if (k < 0)
					snprintf(p->final_err, sizeof(p->final_err), "%s", err);
			}
			if (p->prod_waits)
				pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			*out = buf;
			if (aux)
				*aux = NULL;
			return k;
		}
		/* The producer is decoding the next batch: spin for it a while
		 * before sleeping. */
		pthread_mutex_unlock(&p->mu);
		spin_step(p, &p->cons_spin, has_batch);
		pthread_mutex_lock(&p->mu);
		if (p->count || p->ended || !p->decoding)
			continue;
		p->cons_waits = 1;
		pthread_cond_wait(&p->cv, &p->mu);
		p->cons_waits = 0;
	}
	unsigned slot = p->head;
	pthread_mutex_unlock(&p->mu);
	long k = p->n[slot];
	if (k <= 0) {   /* the end or an error: it stays in the slot for later calls */
		if (k < 0)
			snprintf(err, errlen, "%s", p->err[slot]);
		return k;
	}
	size_t take = (size_t)k - p->pos;
	if (take > max)
		take = max;
	*out = p->rec[slot] + p->pos;
	if (aux) {
		size_t run = (size_t)k - p->pos < p->granule ? (size_t)k - p->pos : p->granule;
		*aux = p->has_aux[slot] && p->pos % p->granule == 0 && take == run
		       ? p->aux[slot] + p->pos / p->granule * p->aux_size : NULL;
	}
	p->pos += take;
	if (p->pos == (size_t)k)
		p->held = 1;
	return (long)take;
}

static long pipe_read(trace_reader *r, trace_rec *buf, size_t max, char *err, size_t errlen)
{
	const trace_rec *v;
	long k = pipe_take(r, &v, NULL, buf, max, err, errlen);
	if (k > 0 && v != buf) {
		memcpy(buf, v, (size_t)k * sizeof(*buf));
		if (r->pipe->held)
			pipe_release(r->pipe);
	}
	return k;
}

long trace_read(trace_reader *r, trace_rec *buf, size_t max, char *err, size_t errlen)
{
	if (r->pipe)
		return pipe_read(r, buf, max, err, errlen);
	return read_direct(r, buf, max, err, errlen);
}

long trace_read_ref(trace_reader *r, const trace_rec **out, const void **aux, trace_rec *buf,
		    size_t max, char *err, size_t errlen)
{
	if (r->pipe)
		return pipe_take(r, out, aux, buf, max, err, errlen);
	*out = buf;
	if (aux)
		*aux = NULL;
	return read_direct(r, buf, max, err, errlen);
}

int trace_seek(trace_reader *r, uint64_t recno, char *err, size_t errlen)
{
	if (r->pipe && (r->pipe->started || r->pipe->asked))   /* (as before the thread) */
		return trace_errf(err, errlen, TRACE_EIO, r->path, "seek after reading began "
				  "with a decoding thread");
	if (r->done) {
		if (r->done < 0) {
			snprintf(err, errlen, "%s", r->final_err);
			return r->done;
		}
		return recno >= r->nrec ? TRACE_OK
		       : trace_errf(err, errlen, TRACE_EIO, r->path, "seek back after the end");
	}
	int rc = 1;
	if (r->be->seek)
		rc = r->be->seek(r, recno, err, errlen);
	if (rc == 1) {
		if (recno < r->nrec)
			return trace_errf(err, errlen, TRACE_EIO, r->path, "cannot seek back to "
					  "record %llu", (unsigned long long)recno);
		trace_rec scratch[512];
		while (r->nrec < recno && !r->done) {
			uint64_t want = recno - r->nrec;
			long k = read_direct(r, scratch, want < 512 ? (size_t)want : 512, err, errlen);
			if (k < 0)
				return (int)k;
		}
		return TRACE_OK;
	}
	if (rc != TRACE_OK) {
		r->done = rc;
		snprintf(r->final_err, sizeof(r->final_err), "%s", err);
	}
	return rc;
}

const trace_header *trace_get_header(const trace_reader *r) { return &r->hdr; }

int trace_nonfetched(const trace_reader *r, uint64_t *n)
{
	*n = 0;
	return r->be && r->be->nonfetched ? r->be->nonfetched(r, n) : 0;
}
const char *trace_path(const trace_reader *r) { return r->path; }

void trace_progress(const trace_reader *r, uint64_t *done, uint64_t *total)
{
	struct trace_pipe *p = r->pipe;
	if (p && p->started) {   /* the backend is the decoding thread's */
		pthread_mutex_lock(&p->mu);
		*done = p->done;
		*total = p->total;
		pthread_mutex_unlock(&p->mu);
		return;
	}
	progress_direct(r, done, total);
}

void trace_close(trace_reader *r)
{
	if (!r)
		return;
	pipe_destroy(r);   /* first: its thread may be in the backend */
	if (r->be && r->be->destroy)
		r->be->destroy(r);
	instream_close(r->in);
	free(r->lines);
	free(r->path);
	free(r);
}

/* An invalidation record: a known op, and the fields it does not use zero
 * (so every record has one encoding). */
static int inv_check(const trace_rec *rec, char *why, size_t whylen)
{
	unsigned op = rec->op & TRACE_INV_OP_MASK;
	if ((rec->op & ~(TRACE_INV_OP_MASK | TRACE_INV_BCAST)) || op > TRACE_INV_VA) {
		snprintf(why, whylen, "bad invalidation op 0x%x", rec->op);
		return -1;
	}
	if (rec->size || rec->icount || (op != TRACE_INV_VA && rec->gva) ||
	    (op == TRACE_INV_ALL && rec->asid)) {
		snprintf(why, whylen, "invalidation record with a field its op does not use "
			 "(size, icount, an address outside 'va', an ASID with 'all')");
		return -1;
	}
	return 0;
}

int trace_rec_check(const trace_rec *rec, unsigned vcpu_limit, char *why, size_t whylen)
{
	if (rec->vcpu >= vcpu_limit) {
		snprintf(why, whylen, "vcpu %u beyond the trace's vCPU count %u", rec->vcpu,
			 vcpu_limit);
		return -1;
	}
	if (rec->kind == TRACE_INV)
		return inv_check(rec, why, whylen);
	if (rec->kind == TRACE_P && rec->op > TRACE_PF_INSTR) {
		snprintf(why, whylen, "bad prefetch flavour %u", rec->op);
		return -1;
	}
	if (rec->kind != TRACE_P && rec->op) {
		snprintf(why, whylen, "access record with an invalidation op");
		return -1;
	}
	if (rec->kind > TRACE_P) {
		snprintf(why, whylen, "bad access kind %u", rec->kind);
		return -1;
	}
	if (rec->size > TRACE_MAX_SIZE) {
		snprintf(why, whylen, "access size %u out of range 0..%u", rec->size,
			 TRACE_MAX_SIZE);
		return -1;
	}
	/* A zero-size access names one byte's page and cannot wrap. */
	if (rec->size && rec->gva + (rec->size - 1u) < rec->gva) {
		snprintf(why, whylen, "access at 0x%llx of %u bytes wraps past the top of the "
			 "address space", (unsigned long long)rec->gva, rec->size);
		return -1;
	}
	return 0;
}

/* ---------- line helpers ---------- */

/* A NUL among the N bytes at P of IN's window, line LINENO: the error
 * naming its byte offset, else TRACE_OK. */
static int no_nul(instream *in, const uint8_t *p, size_t n, uint64_t lineno, char *err,
		  size_t errlen)
{
	const uint8_t *nul = memchr(p, '\0', n);
	if (!nul)
		return TRACE_OK;
	const struct instream_view *v = instream_view(in);
	return trace_errf(err, errlen, TRACE_EFORMAT, instream_path(in),
			  "line %llu (byte %llu): a NUL byte, which a text trace never holds "
			  "(a crash's zero-filled tail? a binary file? --format champsim reads "
			  "ChampSim's records)", (unsigned long long)lineno,
			  (unsigned long long)(v->base + (uint64_t)(nul - v->buf)));
}

void trace_free_priv(trace_reader *r)
{
	free(r->priv);
}

int trace_text_open_check(instream *in, char *err, size_t errlen)
{
	const struct instream_view *v = instream_view(in);
	size_t n = v->len - v->pos < DETECT_SCAN ? v->len - v->pos : DETECT_SCAN;
	const uint8_t *p = v->buf + v->pos, *nul = memchr(p, '\0', n);
	if (!nul)
		return TRACE_OK;
	uint64_t line = 1;
	for (const uint8_t *q = p; (q = memchr(q, '\n', (size_t)(nul - q))) != NULL; q++)
		line++;
	return no_nul(in, nul, 1, line, err, errlen);
}

int trace_next_line(instream *in, uint64_t *lineno, const char **line, size_t *len,
		    char *err, size_t errlen)
{
	struct instream_view *v = instream_view(in);
	int rc;
	for (int attempt = 0; attempt < 2; attempt++) {
		const uint8_t *start = v->buf + v->pos;
		size_t avail = v->len - v->pos;
		const uint8_t *nl = memchr(start, '\n', avail);
		size_t l;
		if (nl) {
			l = (size_t)(nl - start);
		} else if (v->eof) {
			if (avail == 0)
				return 0;
			l = avail;   /* last line without a newline */
		} else if (attempt == 0) {
			if ((rc = instream_fill(in, err, errlen)) != TRACE_OK)
				return rc;
			continue;
		} else {
			break;
		}
		++*lineno;
		/* (a NUL first: a zero-filled tail is one long line) */
		if ((rc = no_nul(in, start, l, *lineno, err, errlen)) != TRACE_OK)
			return rc;
		if (l > TRACE_MAX_LINE)
			return trace_errf(err, errlen, TRACE_EFORMAT, instream_path(in),
					  "line %llu: longer than %u characters",
					  (unsigned long long)*lineno, TRACE_MAX_LINE);
		v->pos += l + (nl != NULL);
		if (l > 0 && start[l - 1] == '\r')
			l--;
		*line = (const char *)start;
		*len = l;
		return 1;
	}
	if ((rc = no_nul(in, v->buf + v->pos, v->len - v->pos, *lineno + 1, err, errlen)))
		return rc;
	return trace_errf(err, errlen, TRACE_EFORMAT, instream_path(in),
			  "line %llu: longer than %u characters",
			  (unsigned long long)*lineno + 1, TRACE_MAX_LINE);
}

static const int8_t hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13,
	['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13,
	['D'] = 14, ['E'] = 15, ['F'] = 16,
};   /* digit value + 1; 0 = not a hex digit */

int trace_parse_hex(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	const char *d0 = p;
	uint64_t v = 0;
	while (p < end && hexval[(uint8_t)*p]) {
		if (v >> 60)
			return -1;
		v = (v << 4) | (uint64_t)(hexval[(uint8_t)*p] - 1);
		p++;
	}
	if (p == d0)
		return -1;
	*out = v;
	*pp = p;
	return 0;
}

int trace_parse_dec(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	const char *d0 = p;
	while (p < end && *p >= '0' && *p <= '9') {
		uint64_t d = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		p++;
	}
	if (p == d0)
		return -1;
	*out = v;
	*pp = p;
	return 0;
}
