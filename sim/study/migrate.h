/*
 * sim/study/migrate.h - live-migration pre-copy of the traced guest (domain 0) by
 * a control domain (slatsim migrate). The model, its sources and its
 * deviations are at the top of migrate.c.
 *
 * While the trace runs - the guest's cycles are the clock - the engine sends
 * guest memory at migrate.bandwidth: round 0 every populated page, each
 * later round what the dirty log reported (machine_harvest, any
 * dirtylog.mode), until migrate.policy's rules stop it (Xen's
 * xc_domain_save or xc_sr_save: see stop_rule in migrate.c); then
 * stop-and-copy sends the rest
 * with the guest paused. Every page sent is mapped into the control domain
 * (its own VMID, stage 1 and stage 2: entries its TLBs and walker see) by
 * migrate.map and read there. From ground truth it counts the pages whose
 * last write never reached the destination. The same records replayed on a
 * second machine without dirty logging give the guest's slowdown.
 */
#ifndef SLATSIM_MIGRATE_H
#define SLATSIM_MIGRATE_H

#include "machine.h"
#include "param.h"
#include "trace.h"

typedef struct migrate migrate;
struct migrate_round;

/* Where the guest's records come from: the trace, which the engine reads
 * once to populate the guest's memory and again (and again: migrate.loop)
 * to run it. */
typedef struct migrate_source {
	/* Up to MAX records into B: the count, 0 at the end, or a negative
	 * TRACE_E* code with a message in ERR. */
	long (*read)(void *ctx, trace_rec *b, size_t max, char *err, size_t errlen);
	/* From the first record again: TRACE_OK or a code with a message. */
	int (*rewind)(void *ctx, char *err, size_t errlen);
	void *ctx;
	const char *name;       /* the trace, for messages */
	/* Round I (R, the stop-and-copy last) has finished; NULL: nothing
	 * said. R is the engine's: read it now. */
	void (*round_done)(void *ctx, const struct migrate_round *r, size_t i);
} migrate_source;

/* One pre-copy round, or the stop-and-copy (FINAL). */
typedef struct migrate_round {
	double start_us, duration_us;   /* duration: sending, then the harvest */
	uint64_t pages_sent;
	uint64_t pages_skipped;         /* policy=legacy: dirtied again during the pass */
	uint64_t pages_dirtied;         /* what the harvest at its end reported */
	uint64_t map_cycles;            /* mapping, unmapping, flushes, references */
	int final;                      /* the stop-and-copy: the guest paused */
} migrate_round;

/* Check P (every refusal is TRACE_EFORMAT with one line naming the key) and
 * build the machines from copies of it: the guest's with its control
 * domain, and the baseline without dirty logging. TRACE_OK or a code with a
 * message. */
int migrate_create(migrate **out, const param_reg *p, char *err, size_t errlen);
void migrate_destroy(migrate *x);

/* Migrate: populate the guest from one pass over SRC, then run the
 * pre-copy and the stop-and-copy. TRACE_OK, or a code with a message naming
 * the trace and the record. */
int migrate_run(migrate *x, const migrate_source *src, char *err, size_t errlen);

/* The guest's machine: its statistics registry holds every machine
 * statistic and migrate.* after them; its parameters are the effective
 * configuration (P with the control domain and the dirty-logging default). */
machine *migrate_machine(migrate *x);
const param_reg *migrate_params(const migrate *x);
/* The rounds, the stop-and-copy last. */
const migrate_round *migrate_rounds(const migrate *x, size_t *n);
/* Why the pre-copy stopped, in words naming the parameter. */
const char *migrate_stop_reason(const migrate *x);
/* Records of one pass over the trace, and the guest's vCPUs. */
uint64_t migrate_trace_records(const migrate *x);
/* Times the trace was replayed from its start (migrate.loop): what
 * migrate.loops counts. */
uint64_t migrate_loops(const migrate *x);

#endif
