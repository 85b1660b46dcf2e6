/*
 * sim/ptbuild.h - the software that writes page tables (a guest kernel's or
 * a hypervisor's map routine), for any format the walker reads.
 *
 * A pt_space is one tree of tables: its geometry, its root, where its table
 * addresses live in physical memory (identity for stage 2 and native; through
 * stage 2 for a guest's tables) and how it allocates a table page. Tables are
 * written with the descriptor encoders of model/mmu/mmu.h and read back with
 * its decoder, so the walker sees exactly what this code wrote.
 */
#ifndef SLATSIM_PTBUILD_H
#define SLATSIM_PTBUILD_H

#include "mmu.h"

typedef struct pt_space {
	const mmu_geom *g;
	physmem *mem;
	uint64_t root;
	/* Where table address ADDR of this space lives in physmem. */
	int (*to_pa)(void *ctx, uint64_t addr, uint64_t *pa);
	/* Allocate a zeroed table page of BYTES (aligned to BYTES). */
	int (*alloc_table)(void *ctx, uint64_t bytes, uint64_t *addr);
	void *ctx;
	uint64_t table_bytes;      /* bytes of tables allocated, root included */
} pt_space;

/* Software walk: 1 and the leaf (output base, size) if VA is mapped, 0 if
 * not; *depth is the level index where the walk stopped. */
int pt_lookup(const pt_space *s, uint64_t va, uint64_t *out, unsigned *shift, unsigned *depth);

/* Map the 2^shift region holding VA to OUT with PERM, creating tables.
 * Returns 0, or -1 if a leaf or table already covers the spot (the caller
 * picks a smaller size) or memory ran out. */
int pt_map(pt_space *s, uint64_t va, uint64_t out, unsigned shift, unsigned perm);

/* 1 if the level-LEVEL entry covering VA is empty (nothing mapped under it). */
int pt_slot_empty(const pt_space *s, uint64_t va, unsigned level);

#endif
