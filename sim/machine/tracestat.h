/*
 * sim/machine/tracestat.h - what a trace holds, independent of any model:
 * record counts by kind, vCPUs, and its footprint in distinct 4 KB, 64 KB and
 * 2 MB pages. A page counts when any byte of an access falls in it, so an
 * access that crosses a boundary touches both pages (crossing_4k counts those
 * accesses; since sizes are at most 4 KB an access touches at most two pages
 * of any size).
 */
#ifndef SLATSIM_TRACESTAT_H
#define SLATSIM_TRACESTAT_H

#include "pageset.h"
#include "trace.h"

/* One vCPU's share (tracestat_per_vcpu). */
typedef struct tracestat_vcpu {
	uint64_t records, reads, writes, ifetches, instructions;
} tracestat_vcpu;

typedef struct tracestat {
	uint64_t records, reads, writes, ifetches;
	uint64_t prefetches;       /* TRACE_P records (translated, not program accesses) */
	uint64_t zero_size;        /* accesses of 0 bytes (one lookup of their page) */
	uint64_t invalidations;   /* TRACE_INV records (not accesses: no footprint) */
	uint64_t vcpus;            /* distinct vCPU ids seen */
	uint64_t pages_4k, pages_4k_written, pages_64k, pages_2m;
	uint64_t crossing_4k;
	uint64_t instructions;     /* sum of icount */
	pageset p4k, p4kw, p64k, p2m;
	uint8_t vseen[TRACE_MAX_VCPUS];
	uint64_t last4k, last4kw;  /* memo: most recent page inserted */
	int pages;                 /* count pages (else only records and kinds) */
	tracestat_vcpu *per_vcpu;  /* NULL, or TRACE_MAX_VCPUS shares (tracestat_per_vcpu) */
} tracestat;

/* What one batch adds to the counts (the pages apart): computed once, it can
 * be applied to several tracestats (a sweep's machines). */
typedef struct tracestat_batch {
	uint64_t kinds[8], insns, crossing, zero;
	uint64_t vmask[TRACE_MAX_VCPUS / 64];   /* vCPUs present */
} tracestat_batch;

int tracestat_init(tracestat *t);   /* counts pages; clear t->pages to skip them */
void tracestat_free(tracestat *t);
/* Also count each vCPU's records, kinds and instructions into t->per_vcpu
 * from now on (trace info; a replay does not pay for it). 0, or -1 when out
 * of memory. */
int tracestat_per_vcpu(tracestat *t);
/* Account N records; returns 0, or -1 when out of memory. */
int tracestat_add(tracestat *t, const trace_rec *r, size_t n);
/* The same in two steps: count R[0..N) into C, then apply C (and, when T
 * counts pages, R's pages) to T. */
void tracestat_count(tracestat_batch *c, const trace_rec *r, size_t n);
int tracestat_apply(tracestat *t, const tracestat_batch *c, const trace_rec *r, size_t n);

#endif
