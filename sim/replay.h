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
} replay_opts;

/* Replay R through M to its end (or sim.max_records), then machine_finish.
 * TRACE_OK, or a TRACE_E* code with a message naming the trace and where.
 * *ELAPSED (may be NULL): wall seconds of the replay. */
int replay_run(machine *m, trace_reader *r, const replay_opts *o, double *elapsed, char *err,
	       size_t errlen);

/* Map the footprint of R's accesses (sim.prefault) before a replay; R is
 * consumed (reopen the trace to replay it). TRACE_OK or a code. */
int replay_prefault(machine *m, trace_reader *r, char *err, size_t errlen);

#endif
