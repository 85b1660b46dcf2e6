/*
 * sim/study/replay.h - a trace into a machine: batches of records read and fed
 * to machine_run, each vCPU added at its first record (machine_add_vcpu),
 * the sim.max_records limit, a progress line, and the place of a failure in
 * the trace (file and line for text formats, record number for binary
 * ones). Also the sim.prefault pass.
 */
#ifndef SLATSIM_REPLAY_H
#define SLATSIM_REPLAY_H

#include "machine.h"
#include "trace.h"

#define REPLAY_BATCH 4096

struct tracestat_batch;

/* B[0..N) into M as machine_run does, each vCPU added just before the first
 * record that needs it (machine_add_vcpu): what a driver feeding batches of
 * a trace calls. REC_BASE: the trace record number of B[0]. C (may be
 * NULL): the batch's counts (tracestat_count of exactly B[0..N)). 0, or -1
 * with machine_error() and *FAILED the index of the record that failed. */
int replay_batch(machine *m, const trace_rec *b, size_t n, uint64_t rec_base,
		 const struct tracestat_batch *c, size_t *failed);
/* For a driver feeding records a few at a time (machine_run_until): the
 * vCPU of B[0] is added if B[0] needs one not added yet, and *READY is the
 * number of records from B[0] before the next that needs a vCPU not added
 * (N when none; C as above). 0, or -1 with machine_error(). */
int replay_vcpus(machine *m, const trace_rec *b, size_t n, const struct tracestat_batch *c,
		 size_t *ready);

typedef struct replay_opts {
	int progress;            /* print a progress line to stderr */
	uint64_t skip;           /* start at this record (trace_seek: a chunked .slt's index) */
	uint64_t limit;          /* replay at most this many records (0: all) */
	uint64_t warmup;         /* the first this many replayed records warm the
				  * machine up and are not counted (machine_warm) */
} replay_opts;

/* Open PATH for a replay: prefetch records as such (TRACE_P), decoding on
 * THREADS threads (sim.threads; 0: 2 where it pays - a binary format, two
 * CPUs or more - else 1). TRACE_OK or a code with a message. */
int replay_open(trace_reader **r, const char *path, enum trace_format fmt, unsigned threads,
		char *err, size_t errlen);

/* A trace read in batches for a machine, for a driver that feeds the
 * records itself (replay_run below; the SystemC platform): --skip, --limit
 * and sim.max_records, the warm-up window (a batch ends where it does, and
 * the machine is warmed once its records are done), the progress line, and
 * the place of a failure. */
typedef struct replay_feed {
	machine *m;
	trace_reader *r;
	const replay_opts *o;
	const trace_rec *b;       /* the batch replay_feed_next read (in buf or lent
				     by the decoding thread) */
	trace_rec *buf;
	const struct tracestat_batch *counted;   /* the batch's counts, made by the
						     decoding thread, or NULL */
	uint64_t limit, skip;
	uint64_t records;         /* records done before the batch */
	uint64_t warm;            /* records still to warm up with */
	double t0, last, elapsed;
	int shown;
} replay_feed;

/* Seek to O->skip. TRACE_OK or a code with its message. */
int replay_feed_open(replay_feed *f, machine *m, trace_reader *r, const replay_opts *o,
		     char *err, size_t errlen);
/* The next batch into F->b: its record count, 0 at the end, or a TRACE_E*
 * code (< 0) with its message. */
long replay_feed_next(replay_feed *f, char *err, size_t errlen);
/* The first N records of the batch were replayed (all of it, unless the
 * machine stopped): counted, and the warm-up ends when its window does. */
void replay_feed_done(replay_feed *f, size_t n);
/* Record I of the batch failed in the machine: "PATH: line N: MSG" (text
 * formats) or "PATH: record N: MSG" into ERR; returns the code. */
int replay_feed_failed(const replay_feed *f, size_t i, char *err, size_t errlen);
/* The end (RC: how the feeding ended): a warm-up window not reached is an
 * error, then machine_finish; F->elapsed is set. Returns the final code. */
int replay_feed_close(replay_feed *f, int rc, char *err, size_t errlen);

/* Replay R through M from O->skip to its end (or O->limit, or
 * sim.max_records, whichever is first), then machine_finish.
 * TRACE_OK, or a TRACE_E* code with a message naming the trace and where.
 * *ELAPSED (may be NULL): wall seconds of the replay. */
int replay_run(machine *m, trace_reader *r, const replay_opts *o, double *elapsed, char *err,
	       size_t errlen);

/* Map the footprint of R's accesses (sim.prefault) before a replay; R is
 * consumed (reopen the trace to replay it). TRACE_OK or a code. */
int replay_prefault(machine *m, trace_reader *r, const replay_opts *o, char *err,
		    size_t errlen);

#endif
