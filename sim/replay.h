/*
 * sim/replay.h - a trace into a machine: batches of records read and fed
 * to machine_run, the sim.max_records limit, a progress line, and the
 * place of a failure in the trace (file and line for text formats, record
 * number for binary ones). Also the sim.prefault pass.
 */
#ifndef SLATSIM_REPLAY_H
#define SLATSIM_REPLAY_H

#include "machine.h"
#include "trace.h"

#define REPLAY_BATCH 4096

typedef struct replay_opts {
	int progress;            /* print a progress line to stderr */
	uint64_t skip;           /* start at this record (trace_seek: a chunked .slt's index) */
	uint64_t limit;          /* replay at most this many records (0: all) */
	uint64_t warmup;         /* the first this many replayed records warm the
				  * machine up and are not counted (machine_warm) */
} replay_opts;

/* Open PATH for a replay: prefetch records as such (TRACE_P), decoding on
 * THREADS threads (sim.threads). TRACE_OK or a code with a message. */
int replay_open(trace_reader **r, const char *path, enum trace_format fmt, unsigned threads,
		char *err, size_t errlen);

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
