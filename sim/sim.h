/*
 * sim/sim.h - the replay driver: one simulated machine fed by a trace.
 *
 * sim_params_register() registers every parameter of the driver and of the
 * modules it composes; sim_create() builds a machine from the validated
 * registry; sim_replay() streams a trace through it in batches. All counters
 * are registered in the machine's statistics registry. A machine owns all of
 * its state (no globals), so several can live in one process.
 */
#ifndef SLATSIM_SIM_H
#define SLATSIM_SIM_H

#include "param.h"
#include "stats.h"
#include "trace.h"

#include <stdio.h>

#define SLATSIM_VERSION "0.1.0"

typedef struct sim sim;

/* One dirty-logging round (dirtylog.mode != off): what was written, what
 * the mechanism reported, and what the logging cost. */
typedef struct sim_round {
	uint64_t instructions;      /* instructions retired when the round ended */
	uint64_t true_pages;        /* distinct 4 KB GPA pages written (trace) */
	uint64_t reported_pages;    /* 4 KB pages the mechanism reported */
	uint64_t missed_pages;      /* written, not reported */
	uint64_t extra_pages;       /* reported, not written */
	uint64_t cycles;            /* cycles.dirtylog spent in the round */
} sim_round;

typedef struct sim_replay_opts {
	int progress;            /* print a progress line to stderr */
} sim_replay_opts;

/* PARAM_OK, or PARAM_ERR when out of memory. */
int sim_params_register(param_reg *reg);

int sim_create(sim **out, const param_reg *params, char *err, size_t errlen);
void sim_destroy(sim *s);

/* Replay the whole trace. Returns 0, or a trace error code with a message. */
int sim_replay(sim *s, trace_reader *r, const sim_replay_opts *o, char *err, size_t errlen);

/* Map the trace's whole footprint (sim.prefault) before replay: the reader
 * is consumed; reopen the trace to replay it. */
int sim_prefault(sim *s, trace_reader *r, char *err, size_t errlen);

/* Build the mappings of GVA and print one translation step by step. */
int sim_explain(sim *s, uint64_t gva, unsigned access, uint16_t asid, FILE *f, char *err,
		size_t errlen);

stats_reg *sim_stats(sim *s);
/* Co-simulate every vCPU's PML unit with C from now on (set it before
 * sim_prefault and sim_replay; destroy C before the sim). */
struct cosim;
void sim_set_cosim(sim *s, struct cosim *c);
/* The record whose walk (or round) is running, 0-based: the co-simulation
 * reports it; it is only updated there, not on TLB hits. */
const uint64_t *sim_current_record(const sim *s);
/* The dirty-logging rounds of the replay (n = 0 when logging is off). */
const sim_round *sim_rounds(const sim *s, size_t *n);
double sim_elapsed_seconds(const sim *s);   /* wall time of the replay */

#endif
