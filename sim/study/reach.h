/*
 * sim/study/reach.h - one-pass TLB reach analysis: LRU stack distances.
 *
 * Mattson, Gecsei, Slutz and Traiger, "Evaluation techniques for storage
 * hierarchies", IBM Systems Journal 9(2), 1970: LRU is a stack algorithm -
 * a cache of k entries always holds the k most recently used keys - so one
 * pass that records, for every reference, its stack distance (1 + the
 * number of distinct keys used since the key's previous use; infinite on
 * first use) gives the exact miss count of every fully-associative LRU size
 * at once: misses(k) = references whose distance exceeds k. The same holds
 * per set for a set-associative LRU array whose set is a function of the
 * key (Hill and Smith, "Evaluating associativity in CPU caches", IEEE TC
 * 38(12), 1989): per-set distances give every associativity for one number
 * of sets.
 *
 * reach_stack is one such stack. The distance is counted with a Fenwick
 * tree over last-use stamps (Bennett and Kruskal, "LRU stack processing",
 * IBM J. R&D 19(4), 1975, counted distinct references with a tree over
 * times the same way): every key holds one live stamp, its last use, and
 * the distance of a reference is 1 + the live stamps newer than the key's.
 * O(log n) per reference, n the live keys: when the stamps run out the live
 * ones are renumbered in order (amortised O(1)). A reference to the key on
 * top of the stack (the previous reference's key) is distance 1 with no
 * tree work. Each stack also counts, for tumbling windows of 2^i of its
 * references, the distinct keys per window (the working set, Denning,
 * "The working set model for program behavior", CACM 11(5), 1968): a
 * reference is new to its window of 2^i iff its previous use lies in an
 * earlier window, i.e. for every i below the highest bit in which the two
 * times differ.
 *
 * reach is the analysis of a trace: per vCPU (each has its own TLBs), for
 * the data stream (R, W: what L1D serves) and the instruction stream (X:
 * L1I), one stack per page size: 4K, 16K, 64K, 2M and the combined entry
 * size of the configuration (min of the stage-1 and stage-2 leaf, as a TLB
 * entry of `slatsim run` covers). An access that crosses a page boundary is
 * two lookups, lower page first, as in run. Keys are the page, its ASID
 * unless the page is in the upper (kernel, global) half, and nothing of the
 * VMID: one trace vCPU is in one domain. When the combined size is not one
 * fixed size (thp, host.backing, guest.cont, several domains), a machine
 * of the configuration replays the trace alongside and says the size of
 * each translation.
 *
 * What run does to the TLBs, reach does to the stacks, or it refuses the
 * key: it stops after sim.max_records records; a prefetch record under
 * trace.prefetch=translate (run: looked up and filled at the page of its
 * first byte, not counted as the program's, dropped when the page is not
 * mapped yet) moves its page to the top of every stack where it is mapped
 * without counting a reference (reach_stack_touch_quiet), and sim.prefault
 * maps every page of the trace first; a zero-size access is one lookup of
 * the page of its address. The configuration's own machine maps the pages
 * as run's does and refuses what it refuses (a VA that is not canonical).
 * io.mode (the I/O model's accesses are not in the trace) and dirty
 * logging (it invalidates entries as the trace runs) are refused by name,
 * and so is a prefetch under translate when the combined size varies (its
 * fill's size is not known without mapping the page).
 *
 * Invalidation records remove the keys they cover. An invalidated entry
 * leaves an invalid way in a real array, which the next fill takes instead
 * of evicting, and LRU with invalid ways is not a stack algorithm: with
 * invalidations the curves are an approximation (reach_info says so).
 */
#ifndef SLATSIM_REACH_H
#define SLATSIM_REACH_H

#include "param.h"
#include "trace.h"

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- one stack */

typedef struct reach_stack reach_stack;

/* A stack whose histogram keeps distances 1..MAX_DIST exactly (larger ones
 * are counted together). NULL when out of memory. */
reach_stack *reach_stack_create(uint32_t max_dist);
void reach_stack_destroy(reach_stack *s);

#define REACH_COLD 0                  /* first use: infinite distance */
#define REACH_NOMEM UINT64_MAX

/* The head of every stack, visible so that the commonest reference - to
 * the key of the previous one, distance 1 - is an inline compare and an
 * increment (as tlb.h's MRU hit): such references are counted in PENDING
 * and accounted in bulk before the next other one. On the shipped capture
 * 86% of the references at 4K are to the top key (a call each before this
 * path: 1.1-1.4 s wall for reach then, 0.5-0.7 s with it and the list of
 * sim/study/reach.c, on this shared 2-core machine). */
typedef struct reach_stack_head {
	uint64_t top_key;   /* the previous reference's key (UINT64_MAX: none) */
	uint64_t pending;   /* references to it not yet accounted */
} reach_stack_head;

uint64_t reach_stack_touch_slow(reach_stack *s, uint64_t key);

/* Reference KEY (any value but UINT64_MAX): its stack distance, REACH_COLD,
 * or REACH_NOMEM (the reference is then not counted). */
static inline uint64_t reach_stack_touch(reach_stack *s, uint64_t key)
{
	reach_stack_head *h = (reach_stack_head *)s;
	if (key == h->top_key) {
		h->pending++;
		return 1;
	}
	return reach_stack_touch_slow(s, key);
}

/* Move KEY to the top of the stack (putting it there if absent) without
 * counting a reference: a fill that is not a lookup of the program - a
 * prefetch's, which run keeps out of the TLB miss counts. The stack stays
 * an LRU stack (every size's array takes the fill alike); the next
 * reference to KEY is at its distance from then, new to its working-set
 * window unless the program used KEY in that window. 0, or -1 (out of
 * memory; KEY is then not in the stack). */
int reach_stack_touch_quiet(reach_stack *s, uint64_t key);
/* 1 if KEY is in the stack. */
int reach_stack_has(const reach_stack *s, uint64_t key);

/* Remove KEY from the stack (its next reference is a first use): 1, or 0
 * when it was not there. */
int reach_stack_forget(reach_stack *s, uint64_t key);
/* Remove every key for which MATCH(key, CTX) is non-zero (NULL: all).
 * Returns how many were removed. */
uint64_t reach_stack_forget_if(reach_stack *s, int (*match)(uint64_t key, const void *ctx),
			       const void *ctx);

/* Histogram: H[0] first uses, H[d] references at distance d (1..max_dist),
 * H[max_dist + 1] those beyond; *N = max_dist + 2. */
const uint64_t *reach_stack_hist(reach_stack *s, size_t *n);
uint64_t reach_stack_refs(reach_stack *s);          /* references counted */
uint64_t reach_stack_keys(const reach_stack *s);    /* live keys (distinct, less forgotten) */

/* Working set: W[i] = the sum over tumbling windows of 2^i references of
 * the distinct keys in each (i = 0..63); the mean is W[i] / windows. */
void reach_stack_windows(reach_stack *s, uint64_t w[64]);

/* The keys from the top of the stack (most recent first): up to MAX into
 * OUT; returns how many. */
size_t reach_stack_top(const reach_stack *s, uint64_t *out, size_t max);

/* ---------------------------------------------------------------- the analysis */

enum { REACH_D = 0, REACH_I = 1, REACH_STREAMS = 2 };
enum { REACH_4K, REACH_16K, REACH_64K, REACH_2M, REACH_COMBINED, REACH_SIZES };

typedef struct reach reach;

typedef struct reach_cfg {
	uint32_t entries;         /* N: fully-associative curves for 1..N entries */
	uint32_t sets;            /* set-associative curves: sets (a power of two; 0: none) */
	uint32_t ways;            /*   for 1..ways ways */
	const param_reg *params;  /* the configuration (combined size); outlives R */
} reach_cfg;

/* TRACE_OK, or a code with a message (a bad configuration names the key;
 * so does one reach refuses: io.mode and dirtylog.mode other than off). */
int reach_create(reach **out, const reach_cfg *c, char *err, size_t errlen);
void reach_destroy(reach *r);

/* The trace records the analysis takes: sim.max_records (UINT64_MAX: no
 * limit). A caller reads no more than that, as run does. */
uint64_t reach_limit(const reach *r);

/* sim.prefault=1: before the first reach_feed, the records (up to the
 * limit) of a first pass over the trace, whose pages are then mapped from
 * the start, as run maps them. 0, or -1 as reach_feed. */
int reach_prefault(reach *r, const trace_rec *b, size_t n, size_t *failed);

/* N trace records in order (those past the limit are left out). 0, or -1
 * with reach_error() and *FAILED the index of the record that failed. */
int reach_feed(reach *r, const trace_rec *b, size_t n, size_t *failed);
/* After the last record: totals and curves. 0 or -1 (out of memory). */
int reach_finish(reach *r);
const char *reach_error(const reach *r);
int reach_error_code(const reach *r);

typedef struct reach_info {
	uint64_t records, instructions, invalidations, prefetches;
	uint64_t accesses[REACH_STREAMS];
	unsigned combined_shift;  /* log2 of the combined size; 0: it varies */
	int exact;                /* no invalidation made the curves approximate */
	uint32_t entries, sets, ways;
} reach_info;

const reach_info *reach_get_info(const reach *r);

/* One curve, after reach_finish: STREAM x SIZE. */
typedef struct reach_curve {
	uint64_t lookups;         /* a crossing access is two */
	uint64_t pages;           /* distinct keys (first uses) */
	const uint64_t *misses;   /* [k-1]: misses of a k-entry fully-associative LRU, k = 1..entries */
	const uint64_t *set_misses;   /* [w-1]: sets x w-way LRU, w = 1..ways (NULL: no sets) */
	const uint64_t *reach_bytes;  /* [k-1]: bytes the k most recent entries map at the end */
	uint64_t windows[64];     /* working set: sum of distinct pages over windows of 2^i */
	unsigned shift;           /* log2 of the page size (0: combined and it varies) */
} reach_curve;

void reach_get_curve(const reach *r, unsigned stream, unsigned size, reach_curve *out);
const char *reach_size_name(unsigned size);      /* "4k" ... "combined" */
const char *reach_stream_name(unsigned stream);  /* "d", "i" */

#endif
