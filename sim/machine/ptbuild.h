/*
 * sim/machine/ptbuild.h - the software that writes page tables (a guest kernel's or
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
	/* The value a new entry (a table entry or a leaf, as the encoders of
	 * mmu.h made it, at level index LEVEL) is written with; NULL: as made.
	 * A guest OS's stage 1 clears or presets the A/D flags here. */
	uint64_t (*new_entry)(void *ctx, unsigned level, uint64_t d);
} pt_space;

/* Software walk: 1 and the leaf (output base, size) if VA is mapped (a leaf
 * with Arm's AF = 0 is mapped), 0 if not; *depth is the level index where
 * the walk stopped. */
int pt_lookup(const pt_space *s, uint64_t va, uint64_t *out, unsigned *shift, unsigned *depth);

/* Map the 2^shift region holding VA to OUT with PERM, creating tables.
 * Returns 0, or -1 if a leaf or table already covers the spot (the caller
 * picks a smaller size) or memory ran out. */
int pt_map(pt_space *s, uint64_t va, uint64_t out, unsigned shift, unsigned perm);

/* Map the whole contiguous run (ARCH-FACTS §3.2) of 2^shift pages holding
 * VA: 2^cont_bits aligned entries at the level of SHIFT, to OUT (aligned to
 * the run) onwards, each with the contiguous hint. Returns 0, or -1 if the
 * level has no runs, a slot of the run is taken, or memory ran out (then
 * nothing is mapped unless memory ran out part way). */
int pt_map_cont(pt_space *s, uint64_t va, uint64_t out, unsigned shift, unsigned perm);

/* Remove the leaf of 2^shift mapping VA (the tables above it stay). Returns
 * 0, or -1 if no leaf of that size maps VA. The caller invalidates. */
int pt_unmap(pt_space *s, uint64_t va, unsigned shift);

/* 1 if the level-LEVEL entry covering VA is empty (nothing mapped under it). */
int pt_slot_empty(const pt_space *s, uint64_t va, unsigned level);

/* Called for a leaf: BASE is the input address it maps, LEVEL its level
 * index, PA the entry's physical address, D its value. Returns the value the
 * entry should hold (written back when it differs). */
typedef uint64_t (*pt_leaf_fn)(void *ctx, uint64_t base, unsigned level, uint64_t pa,
			       uint64_t d);

/* Visit every leaf whose region overlaps [lo, hi), in address order.
 * Returns the number of leaves visited, or -1 if a write-back failed. */
long pt_foreach_leaf(pt_space *s, uint64_t lo, uint64_t hi, pt_leaf_fn fn, void *ctx);

/* Find the leaf mapping VA: 1 with its level index, entry PA and value, or 0. */
int pt_find_leaf(const pt_space *s, uint64_t va, unsigned *level, uint64_t *pa, uint64_t *d);

/* Replace the block leaf at level index LEVEL mapping VA by a table of
 * next-level leaves covering the same output range with the same
 * permissions; FN (may be NULL) adjusts each new leaf. Returns 0 or -1. */
int pt_split(pt_space *s, uint64_t va, unsigned level, pt_leaf_fn fn, void *ctx);

#endif
