/*
 * model/mmu/cache.h - data caches: set-associative arrays and the per-vCPU
 * hierarchy (L1I, L1D, L2) over a last-level cache shared by several vCPUs,
 * through which the walker's descriptor reads and writes (and, when the
 * driver sends them, the trace's data accesses) pass.
 *
 * Modelling assumptions (sources in cache.c):
 *  - Physically indexed and tagged, one line size for every level, no
 *    sectors. Write-back, write-allocate: a write marks the line dirty in L1;
 *    a dirty line leaving a level by replacement is a write-back (counted).
 *  - Fills and inclusion follow AMD Zen 4 / Zen 5 (Software Optimization
 *    Guides 57647 §2.6.3-2.6.4 and 58455): a miss fills L1 and L2; L2 is
 *    inclusive of L1I and L1D (an L2 eviction drops the line from both L1s,
 *    and their dirt travels with it); the LLC is a victim cache of L2: it is
 *    filled only by L2 evictions (clean or dirty), and a data hit there moves
 *    the line up into L2 and L1 and drops it from the LLC. An instruction
 *    fetch that hits in the LLC leaves the line there. Skylake-SP's L3 is
 *    also filled by L2 victims (non-inclusive, AnandTech 11550 p.4).
 *  - A level's latency is the load-to-use latency of an access it serves (the
 *    way vendors quote them: L1 4, L2 14, L3 ~50 cycles on Zen 4); memory has
 *    its own. Write-backs are off the critical path and cost nothing.
 *  - Replacement: true LRU, bit-PLRU (one MRU bit per way; any associativity,
 *    e.g. 11- or 12-way) or random (seeded xoshiro256**); invalid ways first.
 *
 * Objects: a `cache` is one array; its owner creates it and, for the LLC,
 * hands the same one to several hierarchies (it must outlive them). A
 * `cache_hier` is one vCPU's private levels plus a pointer to the LLC.
 * Nothing is allocated after creation; no state is shared but the LLC.
 */
#ifndef SLATSIM_CACHE_H
#define SLATSIM_CACHE_H

#include "bits.h"

#include <stddef.h>
#include <stdint.h>

/* The level that served an access (per-level arrays are indexed by it). */
typedef enum cache_level {
	CACHE_L1 = 0,       /* L1I for a fetch when present, else L1D */
	CACHE_L2,
	CACHE_LLC,
	CACHE_MEM,
	CACHE_LEVELS
} cache_level;

/* The arrays of a hierarchy, for per-array statistics. */
typedef enum cache_array {
	CACHE_A_L1I = 0,
	CACHE_A_L1D,
	CACHE_A_L2,
	CACHE_A_LLC,        /* the shared LLC: totals over every hierarchy */
	CACHE_ARRAYS
} cache_array;

enum cache_policy { CACHE_LRU = 0, CACHE_PLRU = 1, CACHE_RANDOM = 2 };

/* How a line picks its set among the 2^n: linear, the line number's low n
 * bits; xor, those XOR the next n (a hashed index: cache.c). */
enum cache_index { CACHE_INDEX_LINEAR = 0, CACHE_INDEX_XOR = 1 };

typedef struct cache_config {
	unsigned sets;      /* power of two; 0: the level is absent */
	unsigned ways;
	unsigned line;      /* bytes, power of two, 8..4096, equal at every level */
	unsigned latency;   /* load-to-use cycles of an access this level serves */
	enum cache_policy policy;
	enum cache_index index;
	uint64_t seed;      /* random replacement */
} cache_config;

typedef struct cache_counters {
	uint64_t hits, misses;
	uint64_t fills;         /* lines inserted */
	uint64_t evictions;     /* valid lines replaced by a fill */
	uint64_t writebacks;    /* dirty lines written to the level below: evicted
				 * dirty, or (L1) dropped dirty by a back-invalidation */
} cache_counters;

/* ---------------------------------------------------------------- one array */

typedef struct cache cache;

/* Per set: the tag (line number + 1; 0: none) and the dirty byte of the
 * way touched last. A hit on that way needs no replacement update: it is
 * already its set's most recent line, and touching it again changes no
 * later decision of LRU (its stamp is the set's largest either way),
 * bit-PLRU (its bit is set and the set is not all ones after it was
 * touched) or random. */
typedef struct cache_mru {
	uint64_t tag;
	uint8_t *dirty;
} cache_mru;

/* The head of every cache, visible so the hit path can be inline (as
 * model/tlb/tlb.h's). mru is NULL for an absent array. */
typedef struct cache_head {
	cache_mru *mru;         /* [sets] */
	uint64_t set_mask;
	uint64_t xor_mask;      /* cache_index xor: set_mask, else 0 */
	unsigned xor_shift;     /* ... log2(sets) */
	unsigned line_shift;
	unsigned latency;
	cache_counters c;
} cache_head;

/* Returns 0, or -1 with a message naming NAME (e.g. "cache.l2") in err. An
 * absent level (sets 0) is a valid cache that never hits. */
int cache_create(cache **out, const cache_config *cfg, const char *name, char *err,
		 size_t errlen);
void cache_destroy(cache *c);

/* cache_lookup past its inline path. */
int cache_lookup_slow(cache *c, uint64_t pa, int write);

/* The set of line number LINE (cache_config.index). */
static inline uint64_t cache_set_of(const cache_head *c, uint64_t line)
{
	return set_index(line, c->xor_shift, c->xor_mask, c->set_mask);
}

/* The set's most recent way if it holds the line at PA, else NULL (the
 * array is present). */
static inline cache_mru *cache_mru_of(const cache_head *c, uint64_t pa)
{
	uint64_t t = (pa >> c->line_shift) + 1;
	cache_mru *m = &c->mru[cache_set_of(c, t - 1)];
	return m->tag == t ? m : NULL;
}

/* Look up the line holding PA. Hit: counts it, updates the replacement
 * state, marks the line dirty if WRITE, and returns the line's dirty state
 * before the access (0 or 1). Miss: counts it and returns -1. An absent
 * array misses without counting. Inline: a hit on the set's most recent
 * way (cache_mru). */
static inline int cache_lookup(cache *c, uint64_t pa, int write)
{
	cache_head *h = (cache_head *)c;
	cache_mru *m;
	if (h->mru && (m = cache_mru_of(h, pa))) {
		h->c.hits++;
		int was = *m->dirty;
		if (write)
			*m->dirty = 1;
		return was;
	}
	return cache_lookup_slow(c, pa, write);
}
/* Insert the line holding PA with DIRTY. If it is already present (a victim
 * written back twice) it is touched and DIRTY is or-ed in, and nothing is
 * counted. Otherwise counts a fill; if a valid line is replaced, counts an
 * eviction (and a write-back if it was dirty), stores its address in
 * *victim and returns its dirty state (0 or 1); returns -1 when nothing was
 * replaced. */
int cache_fill(cache *c, uint64_t pa, int dirty, uint64_t *victim);
/* Drop the line holding PA: returns its dirty state, or -1 if absent. */
int cache_inv(cache *c, uint64_t pa);
/* Mark the present line holding PA dirty without touching the replacement
 * state (a write-back from the level above); returns 0, or -1 if absent. */
int cache_set_dirty(cache *c, uint64_t pa);

int cache_present(const cache *c);
unsigned cache_latency(const cache *c);
unsigned cache_line_bytes(const cache *c);
const cache_counters *cache_stats(const cache *c);
unsigned cache_valid_lines(const cache *c);

/* ---------------------------------------------------------------- hierarchy */

typedef struct cache_hier_config {
	cache_config l1i;       /* absent: fetches use the L1D */
	cache_config l1d;       /* required */
	cache_config l2;        /* absent: L1 victims go to the LLC */
	unsigned mem_latency;   /* load-to-use cycles of an access memory serves */
} cache_hier_config;

typedef struct cache_hier_counters {
	uint64_t served[CACHE_LEVELS];  /* accesses by the level that served them */
	uint64_t back_invalidations;    /* L1 lines dropped to keep L2 inclusive */
} cache_hier_counters;

typedef struct cache_result {
	cache_level level;      /* the level that served the access */
	unsigned latency;       /* its load-to-use latency, cycles */
} cache_result;

typedef struct cache_hier cache_hier;

/* The head of every hierarchy, for the inline hit path. Indexed by kind
 * (0 data, 1 fetch): last[k].tag is the line number + 1 of the line the
 * last access of that kind used in its L1 while that line is its set's
 * most recent way (0: none), and last[k].dirty that way's dirty byte;
 * last[k].hits counts the inline path's hits, added to the L1's hits and
 * to served[CACHE_L1] when the counters are read; mru[k] and set_mask[k]
 * are the L1's (its head's). Only this hierarchy changes its L1s, and only
 * in cache_access_slow, which re-establishes both kinds' last lines. */
typedef struct cache_hier_last {
	uint64_t tag;
	uint8_t *dirty;
	uint64_t hits;
} cache_hier_last;

/* What the inline path reads first (line_shift, last) fits one 64-byte
 * line: the hierarchy is allocated 64-byte aligned. */
typedef struct cache_hier_head {
	unsigned line_shift;
	cache_hier_last last[2];
	const cache_mru *mru[2];
	uint64_t set_mask[2];
	unsigned l1_latency[2];
	cache_hier_counters c;
} cache_hier_head;

/* LLC: the shared last level, or NULL for none; it must outlive the
 * hierarchy and have the hierarchy's line size. Returns 0, or -1 with a
 * message naming the level in err. */
int cache_hier_create(cache_hier **out, const cache_hier_config *cfg, cache *llc, char *err,
		      size_t errlen);
void cache_hier_destroy(cache_hier *h);

/* cache_access past its inline path (cache_hit_fast). */
cache_result cache_access_slow(cache_hier *h, uint64_t pa, int is_write, int is_fetch);

/* The hit path inline. An L1 hit on its set's most recent way changes
 * nothing but a counter and the dirty bit (see cache_mru). First the line
 * the previous access of the kind used: one compare against the
 * hierarchy's head; then the set's most recent way: two loads. Returns 1
 * when the access (inside one line at PA) was such a hit, counted; else 0,
 * and nothing changed. On xz-compress.slt the first takes 14.3 M of the
 * 19.2 M L1 lookups, the second 4.3 M more. Measured: see cache.c. */
static inline int cache_hit_fast(cache_hier *h, uint64_t pa, int is_write, int is_fetch)
{
	cache_hier_head *hh = (cache_hier_head *)h;
	cache_hier_last *l = &hh->last[is_fetch != 0];
	uint64_t t = (pa >> hh->line_shift) + 1;
	if (t != l->tag) {
		const cache_mru *m = &hh->mru[is_fetch != 0][(t - 1) & hh->set_mask[is_fetch != 0]];
		if (m->tag != t)
			return 0;
		l->tag = t;
		l->dirty = m->dirty;
	}
	l->hits++;
	*l->dirty |= (uint8_t)(is_write != 0);
	return 1;
}

/* One access of any size inside one line at PA: looks it up L1 -> L2 -> LLC,
 * fills what missed, writes victims back; returns the level that served it
 * and that level's latency. FETCH: an instruction fetch (L1I). */
static inline cache_result cache_access(cache_hier *h, uint64_t pa, int is_write, int is_fetch)
{
	if (cache_hit_fast(h, pa, is_write, is_fetch))
		return (cache_result){ .level = CACHE_L1,
				       .latency = ((cache_hier_head *)h)->l1_latency[is_fetch != 0] };
	return cache_access_slow(h, pa, is_write, is_fetch);
}

/* The bytes [PA, PA + LEN] of one access (inside one page) line by line,
 * each as cache_access; returns the cycles the levels that served them
 * took beyond the latency of the access's L1 (an L1 hit's latency is part
 * of the core's pipeline: none for an L1 hit). cache_hit_range first: it
 * takes the common case in line. */
uint64_t cache_access_range(cache_hier *h, uint64_t pa, uint64_t len, int is_write, int is_fetch);

/* 1 when [PA, PA + LEN] lies in one line and cache_hit_fast hit it
 * (counted; no stall); else 0, and nothing changed. */
static inline int cache_hit_range(cache_hier *h, uint64_t pa, uint64_t len, int is_write,
				  int is_fetch)
{
	return !((pa ^ (pa + len)) >> ((cache_hier_head *)h)->line_shift) &&
	       cache_hit_fast(h, pa, is_write, is_fetch);
}

/* The counters, brought up to date with the inline path's hits. */
const cache_hier_counters *cache_hier_stats(cache_hier *h);
/* Counters of one array of H; CACHE_A_LLC gives the shared LLC's totals.
 * An absent array has zero counters. */
const cache_counters *cache_hier_array_stats(cache_hier *h, cache_array which);

#endif
