/*
 * tests/check_cache.c - data cache arrays and the hierarchy (model/mmu/cache.h):
 * LRU arrays and the whole hierarchy against a naive reference model written
 * here from the policy's description (recency lists per set, no shared
 * code), count for count on random streams; then one case per rule of the
 * policy (write-allocate and write-back, L2 inclusive of L1, LLC a victim
 * cache of L2 per AMD SOG 57647 §2.6.3-2.6.4, the shared LLC, latencies),
 * replacement policies and refused geometries.
 */
#include "check_util.h"
#include "cache.h"
#include "rng.h"

#define LINE 64u

static cache_config cfg(unsigned sets, unsigned ways, unsigned latency)
{
	return (cache_config){ .sets = sets, .ways = ways, .line = LINE, .latency = latency,
			       .policy = CACHE_LRU, .seed = 3 };
}

static cache *mk(unsigned sets, unsigned ways, enum cache_policy p)
{
	cache_config c = cfg(sets, ways, 1);
	c.policy = p;
	cache *k;
	char err[160];
	ck_assert_msg(cache_create(&k, &c, "t", err, sizeof(err)) == 0, "%s", err);
	return k;
}

static cache_hier *mkh(const cache_hier_config *hc, cache *llc)
{
	cache_hier *h;
	char err[160];
	ck_assert_msg(cache_hier_create(&h, hc, llc, err, sizeof(err)) == 0, "%s", err);
	return h;
}

/* ------------------------------------------------ the reference model
 * LRU: a set is a list of lines ordered from most to least recently used; a
 * cache is an array of such lists. Bit-PLRU and random, whose victims
 * depend on where a line sits, keep a set as its ways instead (l[w] is way
 * w, valid or not), as cache.h states them: a PLRU touch sets the way's bit
 * and, when every bit of the set is set, clears the others; the victim is
 * the first invalid way, else (PLRU) the first way whose bit is clear, or
 * (random) way rng_below(ways) of the array's seeded stream. Nothing here
 * is shared with cache.c (rng.h is the library's generator). */

#define REF_MAX_WAYS 16

typedef struct ref_line { uint64_t line; int dirty, valid, bit; } ref_line;
typedef struct ref_set { ref_line l[REF_MAX_WAYS]; unsigned n; } ref_set;
typedef struct ref_cache {
	unsigned sets, ways;        /* sets 0: absent */
	enum cache_policy pol;
	rng r;
	ref_set *s;
	uint64_t hits, misses, fills, evictions, writebacks;
} ref_cache;

static ref_cache ref_new_p(unsigned sets, unsigned ways, enum cache_policy pol, uint64_t seed)
{
	ck_assert_uint_le(ways, REF_MAX_WAYS);
	ref_cache r = { .sets = sets, .ways = ways, .pol = pol };
	rng_seed(&r.r, seed);
	r.s = calloc(sets ? sets : 1, sizeof(ref_set));
	return r;
}

static ref_cache ref_new(unsigned sets, unsigned ways) { return ref_new_p(sets, ways, CACHE_LRU, 0); }

static ref_set *ref_set_of(ref_cache *r, uint64_t line) { return &r->s[line % r->sets]; }

/* Position of LINE in its set (list entry or way), or -1. */
static int ref_pos(ref_cache *r, uint64_t line)
{
	if (!r->sets)
		return -1;
	ref_set *s = ref_set_of(r, line);
	if (r->pol != CACHE_LRU) {
		for (unsigned w = 0; w < r->ways; w++)
			if (s->l[w].valid && s->l[w].line == line)
				return (int)w;
		return -1;
	}
	for (unsigned k = 0; k < s->n; k++)
		if (s->l[k].line == line)
			return (int)k;
	return -1;
}

/* Make entry K of LINE's set the most recent: LRU moves it to the front,
 * bit-PLRU sets its bit (and clears the others when all are set). */
static void ref_front(ref_cache *r, uint64_t line, int k)
{
	ref_set *s = ref_set_of(r, line);
	if (r->pol == CACHE_PLRU) {
		s->l[k].bit = 1;
		unsigned set = 0;
		for (unsigned w = 0; w < r->ways; w++)
			set += (unsigned)s->l[w].bit;
		if (set == r->ways)
			for (unsigned w = 0; w < r->ways; w++)
				s->l[w].bit = (int)w == k;
		return;
	}
	if (r->pol == CACHE_RANDOM)
		return;
	ref_line x = s->l[k];
	memmove(&s->l[1], &s->l[0], (size_t)k * sizeof(ref_line));
	s->l[0] = x;
}

/* Remove LINE; returns its dirty state or -1. */
static int ref_remove(ref_cache *r, uint64_t line)
{
	int k = ref_pos(r, line);
	if (k < 0)
		return -1;
	ref_set *s = ref_set_of(r, line);
	int d = s->l[k].dirty;
	if (r->pol != CACHE_LRU) {
		s->l[k].valid = 0;
		s->l[k].bit = 0;
		return d;
	}
	memmove(&s->l[k], &s->l[k + 1], (size_t)(s->n - (unsigned)k - 1) * sizeof(ref_line));
	s->n--;
	return d;
}

/* The way a PLRU or random set fills: the first invalid one, else by the
 * policy. */
static unsigned ref_victim_way(ref_cache *r, ref_set *s)
{
	for (unsigned w = 0; w < r->ways; w++)
		if (!s->l[w].valid)
			return w;
	if (r->pol == CACHE_RANDOM)
		return (unsigned)rng_below(&r->r, r->ways);
	for (unsigned w = 0; w < r->ways; w++)
		if (!s->l[w].bit)
			return w;
	return 0;
}

/* Insert LINE as the most recent; if present, make it so and or in DIRTY.
 * Returns 1 with *victim when a line was replaced. */
static int ref_insert(ref_cache *r, uint64_t line, int dirty, ref_line *victim)
{
	if (!r->sets)
		return 0;
	int k = ref_pos(r, line);
	ref_set *s = ref_set_of(r, line);
	if (k >= 0) {
		s->l[k].dirty |= dirty;
		ref_front(r, line, k);
		return 0;
	}
	int out = 0;
	r->fills++;
	if (r->pol != CACHE_LRU) {
		unsigned w = ref_victim_way(r, s);
		if (s->l[w].valid) {
			*victim = s->l[w];
			r->evictions++;
			r->writebacks += (uint64_t)victim->dirty;
			out = 1;
		}
		s->l[w] = (ref_line){ .line = line, .dirty = dirty, .valid = 1, .bit = s->l[w].bit };
		ref_front(r, line, (int)w);
		return out;
	}
	if (s->n == r->ways) {
		*victim = s->l[--s->n];
		r->evictions++;
		r->writebacks += (uint64_t)victim->dirty;
		out = 1;
	}
	memmove(&s->l[1], &s->l[0], s->n * sizeof(ref_line));
	s->l[0] = (ref_line){ .line = line, .dirty = dirty, .valid = 1 };
	s->n++;
	return out;
}

/* Look up: a hit moves the line to the front (and dirties it on a write). */
static int ref_lookup(ref_cache *r, uint64_t line, int write)
{
	if (!r->sets)
		return -1;
	int k = ref_pos(r, line);
	if (k < 0) {
		r->misses++;
		return -1;
	}
	r->hits++;
	ref_set *s = ref_set_of(r, line);
	int d = s->l[k].dirty;
	s->l[k].dirty |= write;
	ref_front(r, line, k);
	return d;
}

/* The hierarchy, restated: L1 (I or D) -> L2 (inclusive of both L1s) -> LLC
 * (filled by L2 victims; a data hit takes the line out, a fetch hit leaves
 * it) -> memory. Write-allocate; dirty victims written back one level down. */
typedef struct ref_hier {
	ref_cache l1i, l1d, l2;
	ref_cache *llc;
	uint64_t backinv;
} ref_hier;

static void ref_to_llc(ref_hier *h, ref_line v)
{
	ref_line w;
	if (h->llc)
		ref_insert(h->llc, v.line, v.dirty, &w);
}

static int ref_access(ref_hier *h, uint64_t line, int write, int fetch)
{
	ref_cache *l1 = fetch && h->l1i.sets ? &h->l1i : &h->l1d;
	if (ref_lookup(l1, line, write) >= 0)
		return CACHE_L1;
	int level, carried = 0;
	if (ref_lookup(&h->l2, line, 0) >= 0) {
		level = CACHE_L2;
	} else {
		int d = h->llc ? ref_lookup(h->llc, line, 0) : -1;
		if (d >= 0) {
			level = CACHE_LLC;
			if (!fetch) {
				ref_remove(h->llc, line);
				carried = d;
			}
		} else {
			level = CACHE_MEM;
		}
		ref_line v;
		if (h->l2.sets && ref_insert(&h->l2, line, carried, &v)) {
			/* inclusion: the victim leaves both L1s; dirty copies are
			 * written back through L2 */
			int a = ref_remove(&h->l1i, v.line), b = ref_remove(&h->l1d, v.line);
			h->backinv += (uint64_t)(a >= 0) + (uint64_t)(b >= 0);
			h->l1i.writebacks += (uint64_t)(a > 0);
			h->l1d.writebacks += (uint64_t)(b > 0);
			if (!v.dirty && (a > 0 || b > 0)) {
				h->l2.writebacks++;
				v.dirty = 1;
			}
			ref_to_llc(h, v);
		}
	}
	ref_line v;
	int l1_dirty = write || (carried && !h->l2.sets);
	if (ref_insert(l1, line, l1_dirty, &v)) {
		if (h->l2.sets) {
			int k = ref_pos(&h->l2, v.line);
			ck_assert_int_ge(k, 0);   /* inclusion */
			ref_set_of(&h->l2, v.line)->l[k].dirty |= v.dirty;
		} else {
			ref_to_llc(h, v);
		}
	}
	return level;
}

static void ref_free(ref_cache *r) { free(r->s); }

static void same_counts(const cache_counters *c, const ref_cache *r, const char *what)
{
	ck_assert_msg(c->hits == r->hits && c->misses == r->misses && c->fills == r->fills &&
		      c->evictions == r->evictions && c->writebacks == r->writebacks,
		      "%s: model h/m/f/e/wb %llu/%llu/%llu/%llu/%llu, reference %llu/%llu/%llu/%llu/%llu",
		      what, (unsigned long long)c->hits, (unsigned long long)c->misses,
		      (unsigned long long)c->fills, (unsigned long long)c->evictions,
		      (unsigned long long)c->writebacks, (unsigned long long)r->hits,
		      (unsigned long long)r->misses, (unsigned long long)r->fills,
		      (unsigned long long)r->evictions, (unsigned long long)r->writebacks);
}

/* ------------------------------------------------ against the reference */

/* One LRU array: lookup, fill on a miss (a write fills dirty), on random
 * streams over several geometries (direct-mapped to fully associative);
 * every victim address and every counter agrees. */
START_TEST(cache_lru_array_matches_reference_count_for_count)
{
	struct { unsigned sets, ways, pool; } g[] = {
		{ 64, 4, 400 }, { 16, 8, 300 }, { 1, 16, 40 }, { 128, 1, 500 }, { 32, 12, 800 },
	};
	for (size_t t = 0; t < sizeof(g) / sizeof(g[0]); t++) {
		cache *c = mk(g[t].sets, g[t].ways, CACHE_LRU);
		ref_cache r = ref_new(g[t].sets, g[t].ways);
		rng x;
		rng_seed(&x, 100 + t);
		uint64_t n = 0;
		for (int i = 0; i < 150000; i++) {
			/* skewed: half the accesses to an eighth of the pool; one in
			 * four repeats the last line (the most-recent-way fast path) */
			if (rng_below(&x, 4))
				n = rng_below(&x, 2) ? rng_below(&x, g[t].pool / 8)
						     : rng_below(&x, g[t].pool);
			uint64_t pa = n * LINE + rng_below(&x, LINE);
			int write = rng_below(&x, 4) == 0;
			int hm = cache_lookup(c, pa, write), hr = ref_lookup(&r, n, write);
			ck_assert_int_eq(hm, hr);
			if (hm >= 0)
				continue;
			uint64_t vm = 0;
			ref_line vr;
			int em = cache_fill(c, pa, write, &vm);
			int er = ref_insert(&r, n, write, &vr);
			ck_assert_int_eq(em >= 0, er);
			if (er) {
				ck_assert_uint_eq(vm, vr.line * LINE);
				ck_assert_int_eq(em, vr.dirty);
			}
		}
		same_counts(cache_stats(c), &r, "array");
		ck_assert_uint_gt(r.hits, 1000);
		ck_assert_uint_gt(r.writebacks, 1000);
		cache_destroy(c);
		ref_free(&r);
	}
}
END_TEST

/* The whole hierarchy: two vCPUs over one LLC, reads, writes and fetches
 * interleaved at random; every access is served by the same level in both
 * models and every counter of every array agrees at the end. Repeated
 * without an L1I, without an L2 and without an LLC, and with bit-PLRU and
 * random replacement: cache_access's inline path skips the replacement
 * update of a hit on its set's most recent way, which must change no
 * decision of any policy. */
START_TEST(cache_hierarchy_matches_reference_count_for_count)
{
	struct { int l1i, l2, llc; enum cache_policy pol; } v[] = {
		{ 1, 1, 1, CACHE_LRU }, { 0, 1, 1, CACHE_LRU }, { 1, 0, 1, CACHE_LRU },
		{ 1, 1, 0, CACHE_LRU }, { 1, 1, 1, CACHE_PLRU }, { 0, 1, 1, CACHE_PLRU },
		{ 1, 1, 1, CACHE_RANDOM }, { 0, 1, 1, CACHE_RANDOM },
	};
	for (size_t t = 0; t < sizeof(v) / sizeof(v[0]); t++) {
		enum cache_policy pol = v[t].pol;
		cache_hier_config hc = {
			.l1i = cfg(v[t].l1i ? 4 : 0, 2, 1), .l1d = cfg(8, 2, 2),
			.l2 = cfg(v[t].l2 ? 8 : 0, 4, 3), .mem_latency = 9,
		};
		hc.l1i.policy = hc.l1d.policy = hc.l2.policy = pol;
		cache_config lc = cfg(32, 4, 5);
		lc.policy = pol;
		cache *llc = NULL;
		char err[160];
		if (v[t].llc)
			ck_assert_int_eq(cache_create(&llc, &lc, "cache.llc", err, sizeof(err)), 0);
		cache_hier *h[2] = { mkh(&hc, llc), mkh(&hc, llc) };
		uint64_t seed = hc.l1d.seed;   /* every array's, as cfg() sets it */
		ref_cache rllc = ref_new_p(v[t].llc ? 32 : 0, 4, pol, seed);
		ref_hier r[2];
		for (int k = 0; k < 2; k++)
			r[k] = (ref_hier){ .l1i = ref_new_p(v[t].l1i ? 4 : 0, 2, pol, seed),
					   .l1d = ref_new_p(8, 2, pol, seed),
					   .l2 = ref_new_p(v[t].l2 ? 8 : 0, 4, pol, seed),
					   .llc = v[t].llc ? &rllc : NULL };
		static const unsigned lat[CACHE_LEVELS] = { 0, 3, 5, 9 };
		uint64_t served[CACHE_LEVELS] = { 0 };
		rng x;
		rng_seed(&x, 7 + t);
		uint64_t n = 0;
		for (int i = 0; i < 200000; i++) {
			int k = (int)rng_below(&x, 2);
			if (rng_below(&x, 4))   /* else the same line again */
				n = rng_below(&x, 3) ? rng_below(&x, 96) : rng_below(&x, 400);
			unsigned kind = (unsigned)rng_below(&x, 20);   /* 12 R, 5 W, 3 X */
			int write = kind >= 12 && kind < 17, fetch = kind >= 17;
			cache_result got = cache_access(h[k], n * LINE + 8 * rng_below(&x, 8), write,
							 fetch);
			int want = ref_access(&r[k], n, write, fetch);
			ck_assert_msg((int)got.level == want, "access %d: level %d, reference %d", i,
				      got.level, want);
			unsigned want_lat = want == CACHE_L1 ? (fetch && v[t].l1i ? 1u : 2u) : lat[want];
			ck_assert_uint_eq(got.latency, want_lat);
			served[want]++;
		}
		for (int k = 0; k < 2; k++) {
			same_counts(cache_hier_array_stats(h[k], CACHE_A_L1I), &r[k].l1i, "l1i");
			same_counts(cache_hier_array_stats(h[k], CACHE_A_L1D), &r[k].l1d, "l1d");
			same_counts(cache_hier_array_stats(h[k], CACHE_A_L2), &r[k].l2, "l2");
			ck_assert_uint_eq(cache_hier_stats(h[k])->back_invalidations, r[k].backinv);
		}
		same_counts(cache_hier_array_stats(h[0], CACHE_A_LLC), &rllc, "llc");
		for (int l = 0; l < CACHE_LEVELS; l++)
			ck_assert_uint_eq(cache_hier_stats(h[0])->served[l] +
					  cache_hier_stats(h[1])->served[l], served[l]);
		/* the stream exercised every level and every kind of traffic */
		for (int l = 0; l < CACHE_LEVELS; l++)
			if ((l != CACHE_LLC || v[t].llc) && (l != CACHE_L2 || v[t].l2))
				ck_assert_uint_gt(served[l], 1000);
		ck_assert_uint_gt(r[0].l1d.writebacks, 1000);
		if (v[t].l2)
			ck_assert_msg(r[0].backinv > 100, "back-invalidations %llu", (unsigned long long)r[0].backinv);
		if (v[t].llc)
			ck_assert_uint_gt(rllc.writebacks, 100);
		for (int k = 0; k < 2; k++) {
			cache_hier_destroy(h[k]);
			ref_free(&r[k].l1i);
			ref_free(&r[k].l1d);
			ref_free(&r[k].l2);
		}
		ref_free(&rllc);
		cache_destroy(llc);
	}
}
END_TEST

/* ------------------------------------------------ one rule each */

/* A small hierarchy: L1D 1 set x 2 ways, L2 1 x 4, LLC 1 x 4, so the
 * k-th distinct line evicts predictably; latencies 4/14/50, memory 200. */
typedef struct small { cache *llc; cache_hier *h; } small;

static small mk_small(int with_l1i)
{
	small s;
	cache_config lc = cfg(1, 4, 50);
	char err[160];
	ck_assert_int_eq(cache_create(&s.llc, &lc, "cache.llc", err, sizeof(err)), 0);
	cache_hier_config hc = { .l1i = cfg(with_l1i ? 1 : 0, 2, 4), .l1d = cfg(1, 2, 4),
				 .l2 = cfg(1, 4, 14), .mem_latency = 200 };
	s.h = mkh(&hc, s.llc);
	return s;
}

static void free_small(small *s)
{
	cache_hier_destroy(s->h);
	cache_destroy(s->llc);
}

#define L(n) ((uint64_t)(n) * LINE)

START_TEST(cache_latency_is_the_serving_levels)
{
	small s = mk_small(0);
	cache_result r = cache_access(s.h, L(1), 0, 0);
	ck_assert_int_eq(r.level, CACHE_MEM);
	ck_assert_uint_eq(r.latency, 200);
	r = cache_access(s.h, L(1) + 56, 0, 0);   /* same line */
	ck_assert_int_eq(r.level, CACHE_L1);
	ck_assert_uint_eq(r.latency, 4);
	cache_access(s.h, L(2), 0, 0);
	cache_access(s.h, L(3), 0, 0);             /* L1 holds 2, 3; L2 holds 1, 2, 3 */
	r = cache_access(s.h, L(1), 0, 0);
	ck_assert_int_eq(r.level, CACHE_L2);
	ck_assert_uint_eq(r.latency, 14);
	for (int n = 4; n <= 7; n++)               /* four more lines push 1 out of L2 */
		cache_access(s.h, L(n), 0, 0);
	r = cache_access(s.h, L(1), 0, 0);
	ck_assert_int_eq(r.level, CACHE_LLC);
	ck_assert_uint_eq(r.latency, 50);
	const cache_hier_counters *c = cache_hier_stats(s.h);
	ck_assert_uint_eq(c->served[CACHE_L1], 1);
	ck_assert_uint_eq(c->served[CACHE_L2], 1);
	ck_assert_uint_eq(c->served[CACHE_LLC], 1);
	ck_assert_uint_eq(c->served[CACHE_MEM], 7);
	free_small(&s);
}
END_TEST

/* cache_access_range: an access's bytes line by line, each line's cycles
 * beyond the L1's latency (L1 4, L2 14, memory 200 in mk_small), none for
 * an L1 hit and none when a level answers faster than the L1. */
START_TEST(cache_access_range_charges_each_line_beyond_l1)
{
	small s = mk_small(0);
	/* 8 bytes from 4 before the end of line 1: lines 1 and 2, both from
	 * memory: 2 x (200 - 4) */
	ck_assert_uint_eq(cache_access_range(s.h, L(2) - 4, 7, 0, 0), 392);
	ck_assert_uint_eq(cache_hier_stats(s.h)->served[CACHE_MEM], 2);
	ck_assert_uint_eq(cache_access_range(s.h, L(2) - 4, 7, 0, 0), 0);   /* L1 hits */
	ck_assert_uint_eq(cache_hier_stats(s.h)->served[CACHE_L1], 2);
	cache_access(s.h, L(3), 0, 0);
	cache_access(s.h, L(4), 0, 0);             /* the 2-way L1 now holds 3, 4 */
	/* lines 1 and 2 from L2; the L1 evicts 3, then 4 */
	ck_assert_uint_eq(cache_access_range(s.h, L(1), 2 * LINE - 1, 1, 0), 2 * (14 - 4));
	ck_assert_uint_eq(cache_access_range(s.h, L(2) + 8, 0, 0, 1), 0);   /* a fetch: L1D */
	ck_assert_uint_eq(cache_access_range(s.h, L(4) + 8, 0, 0, 1), 14 - 4);   /* L2 */
	const cache_counters *l1d = cache_hier_array_stats(s.h, CACHE_A_L1D);
	ck_assert_uint_eq(l1d->hits, 3);
	ck_assert_uint_eq(l1d->misses, 7);
	free_small(&s);

	/* An L2 faster than the L1 (10 against 3 cycles) takes nothing. */
	cache_hier_config hc = { .l1d = cfg(1, 1, 10), .l2 = cfg(1, 4, 3), .mem_latency = 30 };
	cache_hier *h = mkh(&hc, NULL);
	ck_assert_uint_eq(cache_access_range(h, L(1), 0, 0, 0), 30 - 10);
	cache_access(h, L(2), 0, 0);
	ck_assert_uint_eq(cache_access_range(h, L(1), 0, 0, 0), 0);   /* from L2 */
	ck_assert_int_eq(cache_access(h, L(2), 0, 0).level, CACHE_L2);
	cache_hier_destroy(h);
}
END_TEST

/* Write-allocate, write-back: a write miss fills L1 dirty; the dirty line is
 * written back to L2 when L1 evicts it, to the LLC when L2 evicts it, and to
 * memory when the LLC evicts it - one write-back counted at each level. */
START_TEST(cache_write_allocates_and_dirty_lines_are_written_back)
{
	small s = mk_small(0);
	cache_result r = cache_access(s.h, L(1), 1, 0);
	ck_assert_int_eq(r.level, CACHE_MEM);
	ck_assert_int_eq(cache_access(s.h, L(1), 0, 0).level, CACHE_L1);   /* allocated */
	cache_access(s.h, L(2), 0, 0);
	cache_access(s.h, L(3), 0, 0);             /* L1 evicts 1: dirty -> L2 */
	ck_assert_uint_eq(cache_hier_array_stats(s.h, CACHE_A_L1D)->writebacks, 1);
	ck_assert_uint_eq(cache_hier_array_stats(s.h, CACHE_A_L2)->writebacks, 0);
	cache_access(s.h, L(4), 0, 0);
	cache_access(s.h, L(5), 0, 0);             /* L2 (1..4) evicts 1: dirty -> LLC */
	ck_assert_uint_eq(cache_hier_array_stats(s.h, CACHE_A_L2)->writebacks, 1);
	ck_assert_uint_eq(cache_hier_array_stats(s.h, CACHE_A_L2)->evictions, 1);
	/* four more clean L2 victims push line 1 out of the 4-way LLC */
	for (int n = 6; n <= 9; n++)
		cache_access(s.h, L(n), 0, 0);
	const cache_counters *llc = cache_hier_array_stats(s.h, CACHE_A_LLC);
	ck_assert_uint_eq(llc->fills, 5);          /* victims 1, 2, 3, 4, 5 */
	ck_assert_uint_eq(llc->evictions, 1);
	ck_assert_uint_eq(llc->writebacks, 1);     /* line 1, to memory */
	ck_assert_int_eq(cache_access(s.h, L(1), 0, 0).level, CACHE_MEM);
	free_small(&s);
}
END_TEST

/* L2 is inclusive of L1I and L1D (SOG 57647 §2.6.3): when L2 evicts a line,
 * both L1s lose it, and a dirty L1 copy is written back with it. */
START_TEST(cache_l2_is_inclusive_of_both_l1s)
{
	small s = mk_small(1);
	cache_access(s.h, L(1), 1, 0);             /* L1D: 1 dirty; L2: 1 */
	ck_assert_int_eq(cache_access(s.h, L(1), 0, 1).level, CACHE_L2);   /* L1I: 1 */
	/* three more lines through L1I and L2, 1 kept hot in L1I (L1 hits do
	 * not touch L2, so 1 stays L2's least recent) */
	for (int n = 2; n <= 4; n++) {
		ck_assert_int_eq(cache_access(s.h, L(n), 0, 1).level, CACHE_MEM);
		ck_assert_int_eq(cache_access(s.h, L(1), 0, 1).level, CACHE_L1);
	}
	ck_assert_uint_eq(cache_hier_stats(s.h)->back_invalidations, 0);
	cache_access(s.h, L(5), 0, 1);             /* L2 evicts 1: out of both L1s */
	ck_assert_uint_eq(cache_hier_stats(s.h)->back_invalidations, 2);
	ck_assert_uint_eq(cache_hier_array_stats(s.h, CACHE_A_L1D)->writebacks, 1);
	ck_assert_uint_eq(cache_hier_array_stats(s.h, CACHE_A_L1I)->writebacks, 0);
	ck_assert_uint_eq(cache_hier_array_stats(s.h, CACHE_A_L2)->writebacks, 1);
	ck_assert_int_eq(cache_access(s.h, L(1), 0, 1).level, CACHE_LLC);
	ck_assert_int_eq(cache_access(s.h, L(1), 0, 0).level, CACHE_L2);
	free_small(&s);
}
END_TEST

/* The LLC is a victim cache of L2 (SOG 57647 §2.6.4): a miss fills L1 and L2
 * but not the LLC; L2 victims fill it; a data hit moves the line up and out
 * of the LLC; an instruction fetch hit leaves it there. A second vCPU over
 * the same LLC shows what it holds. */
START_TEST(cache_llc_is_a_victim_cache_of_l2)
{
	small s = mk_small(1);
	cache_hier_config hc = { .l1d = cfg(1, 2, 4), .l2 = cfg(1, 4, 14), .mem_latency = 200 };
	cache_hier *b = mkh(&hc, s.llc);
	const cache_counters *llc = cache_hier_array_stats(s.h, CACHE_A_LLC);
	for (int n = 1; n <= 4; n++)
		cache_access(s.h, L(n), 0, 0);
	ck_assert_uint_eq(llc->fills, 0);          /* memory fills skip the LLC */
	cache_access(s.h, L(5), 0, 0);
	cache_access(s.h, L(6), 0, 0);             /* L2 victims 1, 2 -> LLC */
	ck_assert_uint_eq(llc->fills, 2);
	ck_assert_int_eq(cache_access(s.h, L(1), 0, 0).level, CACHE_LLC);
	ck_assert_int_eq(cache_access(s.h, L(1), 0, 0).level, CACHE_L1);
	ck_assert_int_eq(cache_access(b, L(1), 0, 0).level, CACHE_MEM);   /* moved out */
	ck_assert_int_eq(cache_access(s.h, L(2), 0, 1).level, CACHE_LLC);
	ck_assert_int_eq(cache_access(b, L(2), 0, 0).level, CACHE_LLC);   /* fetch left it */
	cache_hier_destroy(b);
	free_small(&s);
}
END_TEST

/* One LLC serves several hierarchies: a line one vCPU's L2 evicted is an LLC
 * hit for another vCPU, and the LLC's counters are the totals. */
START_TEST(cache_llc_is_shared_between_vcpus)
{
	small a = mk_small(0);
	cache_hier_config hc = { .l1d = cfg(1, 2, 4), .l2 = cfg(1, 4, 14), .mem_latency = 200 };
	cache_hier *b = mkh(&hc, a.llc);
	for (int n = 1; n <= 5; n++)
		cache_access(a.h, L(n), 0, 0);     /* a's L2 evicts 1 into the LLC */
	ck_assert_int_eq(cache_access(b, L(1), 0, 0).level, CACHE_LLC);
	ck_assert_int_eq(cache_access(b, L(2), 0, 0).level, CACHE_MEM);   /* a's L2 has it */
	ck_assert_uint_eq(cache_hier_array_stats(b, CACHE_A_LLC)->hits, 1);
	ck_assert_uint_eq(cache_hier_array_stats(a.h, CACHE_A_LLC)->hits, 1);
	ck_assert_uint_eq(cache_hier_stats(a.h)->served[CACHE_LLC], 0);
	ck_assert_uint_eq(cache_hier_stats(b)->served[CACHE_LLC], 1);
	cache_hier_destroy(b);
	free_small(&a);
}
END_TEST

/* Bit-PLRU keeps a line touched between every other access, whatever the
 * associativity (11-way as Skylake-SP's LLC); random replacement with one
 * seed repeats itself exactly. */
START_TEST(cache_plru_keeps_a_hot_line_and_random_repeats_for_a_seed)
{
	cache *c = mk(1, 11, CACHE_PLRU);
	uint64_t v, hot_misses = 0;
	for (uint64_t i = 0; i < 5000; i++) {
		if (cache_lookup(c, L(1), 0) < 0) {
			hot_misses++;
			cache_fill(c, L(1), 0, &v);
		}
		if (cache_lookup(c, L(100 + i), 0) < 0)
			cache_fill(c, L(100 + i), 0, &v);
	}
	ck_assert_uint_eq(hot_misses, 1);
	cache_destroy(c);
	uint64_t m[2];
	for (int k = 0; k < 2; k++) {
		c = mk(16, 4, CACHE_RANDOM);
		for (uint64_t i = 0; i < 50000; i++)
			if (cache_lookup(c, L((i * 2654435761u) % 97), 0) < 0)
				cache_fill(c, L((i * 2654435761u) % 97), 0, &v);
		m[k] = cache_stats(c)->misses;
		cache_destroy(c);
	}
	ck_assert_uint_eq(m[0], m[1]);
}
END_TEST

START_TEST(cache_bad_geometry_is_refused_by_name)
{
	cache *c;
	char err[200];
	cache_config k = cfg(1000, 8, 4);
	ck_assert_int_eq(cache_create(&c, &k, "cache.l2", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cache.l2: sets must be a power of two (sets 1000, ways 8, line 64)");
	k = cfg(64, 8, 4);
	k.line = 48;
	ck_assert_int_eq(cache_create(&c, &k, "cache.l1d", err, sizeof(err)), -1);
	k = cfg(2048, 11, 77);   /* Skylake-SP LLC slice: 11 ways is fine */
	ck_assert_int_eq(cache_create(&c, &k, "cache.llc", err, sizeof(err)), 0);
	cache_hier_config hc = { .l1d = cfg(64, 8, 4), .l2 = cfg(1024, 16, 14) };
	hc.l2.line = 128;
	cache_hier *h;
	ck_assert_int_eq(cache_hier_create(&h, &hc, c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cache.l2: line 128 differs from cache.l1d.line 64; every level "
			 "must use one line size");
	hc.l2.line = 64;
	hc.l1d.sets = 0;
	ck_assert_int_eq(cache_hier_create(&h, &hc, c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cache.l1d: a hierarchy needs an L1D (sets > 0)");
	cache_destroy(c);
}
END_TEST

/* cache_config.index: lines at offset 0 of consecutive 4 KB pages (line
 * numbers 64 k) in 64 sets x 2 ways, three laps. Linear: every one in set
 * 0, two ways for 32 lines, LRU misses all 96. XOR: set (64 k ^ k) & 63 =
 * k, one line a set: 32 cold misses, 64 hits; 128 pages, two a set, fill
 * the 2 ways: 128 misses, 256 hits (linear: 384 misses). An invalidated
 * line is found in its folded set. Derived by hand. */
START_TEST(cache_xor_index_spreads_lines_at_one_page_offset)
{
	static const unsigned pages[] = { 32, 128 };
	static const uint64_t xor_hits[] = { 64, 256 }, xor_misses[] = { 32, 128 };
	for (unsigned p = 0; p < 2; p++)
		for (int x = 0; x < 2; x++) {
			cache_config k = cfg(64, 2, 1);
			k.index = x ? CACHE_INDEX_XOR : CACHE_INDEX_LINEAR;
			cache *c;
			char err[160];
			ck_assert_msg(cache_create(&c, &k, "cache.llc", err, sizeof(err)) == 0, "%s",
				      err);
			uint64_t v;
			for (int lap = 0; lap < 3; lap++)
				for (unsigned i = 0; i < pages[p]; i++)
					if (cache_lookup(c, L(64 * i), 0) < 0)
						cache_fill(c, L(64 * i), 0, &v);
			ck_assert_uint_eq(cache_stats(c)->hits, x ? xor_hits[p] : 0);
			ck_assert_uint_eq(cache_stats(c)->misses, x ? xor_misses[p] : 3 * pages[p]);
			if (x) {
				ck_assert_int_eq(cache_inv(c, L(64 * 5)), 0);
				ck_assert_int_lt(cache_lookup(c, L(64 * 5), 0), 0);
				ck_assert_int_eq(cache_lookup(c, L(64 * 6), 0), 0);
			}
			cache_destroy(c);
		}
	/* an L1 is indexed linearly: the hierarchy's inline path assumes it */
	cache_hier_config hc = { .l1d = cfg(64, 8, 4), .l2 = cfg(1024, 16, 14) };
	hc.l1d.index = CACHE_INDEX_XOR;
	cache_hier *h;
	char err[200];
	ck_assert_int_eq(cache_hier_create(&h, &hc, NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cache.l1d: an L1 is indexed linearly (index xor: the LLC)");
}
END_TEST

Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("cache");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cache_lru_array_matches_reference_count_for_count);
	tcase_add_test(tc, cache_hierarchy_matches_reference_count_for_count);
	tcase_add_test(tc, cache_latency_is_the_serving_levels);
	tcase_add_test(tc, cache_access_range_charges_each_line_beyond_l1);
	tcase_add_test(tc, cache_write_allocates_and_dirty_lines_are_written_back);
	tcase_add_test(tc, cache_l2_is_inclusive_of_both_l1s);
	tcase_add_test(tc, cache_llc_is_a_victim_cache_of_l2);
	tcase_add_test(tc, cache_llc_is_shared_between_vcpus);
	tcase_add_test(tc, cache_plru_keeps_a_hot_line_and_random_repeats_for_a_seed);
	tcase_add_test(tc, cache_bad_geometry_is_refused_by_name);
	tcase_add_test(tc, cache_xor_index_spreads_lines_at_one_page_offset);
	suite_add_tcase(s, tc);
	return s;
}
