/*
 * lib/stats.h - the one statistics registry.
 *
 * Counters are plain uint64_t fields that their module bumps in place; the
 * registry only maps a dotted name to where the counter lives, once, at
 * setup. A counter may be a single field or the sum of the same field over an
 * array of per-vCPU structs (base, stride, count). A few derived ratios are
 * registered by the names of their numerator and denominator. Text and JSON
 * views read the registry in registration order (sim/output/report.c).
 */
#ifndef SLATSIM_STATS_H
#define SLATSIM_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct stats_reg stats_reg;

typedef enum stats_kind { STATS_COUNTER, STATS_RATIO } stats_kind;

stats_reg *stats_create(void);
void stats_destroy(stats_reg *reg);

/* 1 if a registration ran out of memory (the registry is then incomplete:
 * report it as out of memory after registering). */
int stats_failed(const stats_reg *reg);
/* A caller that could not register (out of memory) says so. */
void stats_mark_failed(stats_reg *reg);

/* NAME (registered) is a state at the end of the run - bytes held, entries
 * valid - not a count of events: stats_rebase leaves it alone. */
void stats_mark_gauge(stats_reg *reg, const char *name);
/* Start counting from now (a warm-up window ended): every counter reads
 * as its value minus its value now; gauges and ratios read as before. */
void stats_rebase(stats_reg *reg);

/* Register counter NAME at CTR. A duplicate name is a programming error. */
void stats_add(stats_reg *reg, const char *name, const uint64_t *ctr, const char *desc);

/* NAME is the sum over N structs of the counter at FIRST, FIRST+STRIDE, ... */
void stats_add_sum(stats_reg *reg, const char *name, const uint64_t *first,
		   size_t stride_bytes, size_t n, const char *desc);

/* NAME = value(NUM) / value(DEN), 0 when DEN is 0; both must be registered. */
void stats_add_ratio(stats_reg *reg, const char *name, const char *num,
		     const char *den, const char *desc);

size_t stats_count(const stats_reg *reg);
const char *stats_name_at(const stats_reg *reg, size_t i);
const char *stats_desc_at(const stats_reg *reg, size_t i);
stats_kind stats_kind_at(const stats_reg *reg, size_t i);
uint64_t stats_value_at(const stats_reg *reg, size_t i);   /* counters */
double stats_ratio_at(const stats_reg *reg, size_t i);     /* ratios */

/* Lookup by name; returns 0 and sets *found = 0 if missing. */
uint64_t stats_get(const stats_reg *reg, const char *name, int *found);

#endif
