/*
 * sim/sweep.h - one trace into many machines from one decode.
 *
 * A design-space sweep runs the same trace through many configurations.
 * Decoding dominates a replay of a compressed trace, so the points of a
 * sweep that share a trace share its decode: each batch of records read is
 * fed to every point's machine (machine_run) before the next is read.
 *
 * With THREADS > 1 the machines are dealt round-robin to that many worker
 * threads, each owning its machines (a machine is never touched by two
 * threads; machines share no state, machine.h). The decode is shared:
 * the calling thread decodes into a ring of SWEEP_SLOTS batches and every
 * worker reads every batch; a slot is reused once all workers are done
 * with it (a bounded queue: memory stays constant). Or, with per-thread
 * decode, each worker reads the trace itself (no synchronisation, the
 * decode paid once per thread); `make bench` measures both.
 *
 * A point that fails (a record its configuration refuses, out of memory)
 * stops alone, with its message naming the trace and the place; the others
 * go on. sim.max_records and sim.prefault are each point's own.
 */
#ifndef SLATSIM_SWEEP_H
#define SLATSIM_SWEEP_H

#include "machine.h"
#include "trace.h"

#include <stddef.h>

#define SWEEP_SLOTS 4

typedef struct sweep_job {
	machine *m;             /* built by the caller from its configuration */
	/* out */
	int code;               /* TRACE_OK, or the failure's TRACE_E* code */
	char err[1024];         /* the failure: "PATH: line N: ..." */
} sweep_job;

typedef struct sweep_opts {
	unsigned threads;       /* 1: everything on the calling thread */
	int per_thread_decode;  /* threads > 1: each worker decodes the trace itself */
} sweep_opts;

/* Replay TRACE (FMT) through every job's machine, to the end of the trace
 * or the machine's sim.max_records, then machine_finish. *HDR gets the
 * trace's header. Returns TRACE_OK (each job says how it ended), or a code
 * with a message when the trace itself could not be read: then every job
 * is failed with that message. */
int sweep_replay(const char *trace, enum trace_format fmt, sweep_job *jobs, size_t n,
		 const sweep_opts *o, trace_header *hdr, char *err, size_t errlen);

#endif
