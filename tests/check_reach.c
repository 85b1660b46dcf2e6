/*
 * tests/check_reach.c - the one-pass stack-distance analysis (sim/study/reach.h)
 * against references that share none of its structure: a linear LRU stack
 * (the textbook list, Mattson et al. 1970 §2), direct simulation of LRU
 * arrays of each size, and distinct keys counted per window with a scan.
 */
#include "check_util.h"
#include "check_sim.h"
#include "machine.h"
#include "reach.h"
#include "rng.h"

/* ---------------------------------------------------------------- references */

/* A linear LRU stack: keys most recent first. */
typedef struct lin {
	uint64_t *k;
	size_t n;
} lin;

/* Distance of KEY (1-based position before the move; 0 first use), then move
 * it to the top. */
static uint64_t lin_touch(lin *s, uint64_t key)
{
	size_t i = 0;
	while (i < s->n && s->k[i] != key)
		i++;
	uint64_t d = i < s->n ? i + 1 : 0;
	if (i == s->n)
		s->n++;
	memmove(&s->k[1], &s->k[0], i * sizeof(uint64_t));
	s->k[0] = key;
	return d;
}

static void lin_forget(lin *s, uint64_t key)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->k[i] == key) {
			memmove(&s->k[i], &s->k[i + 1], (s->n - i - 1) * sizeof(uint64_t));
			s->n--;
			return;
		}
}

/* An LRU array of WAYS ways and SETS sets, by direct simulation (per-entry
 * last-use times, the victim the oldest). Returns the misses of KEYS. */
static uint64_t lru_sim(const uint64_t *keys, const uint64_t *set_of, size_t n, unsigned sets,
			unsigned ways)
{
	uint64_t *tag = calloc((size_t)sets * ways, sizeof(uint64_t));
	uint64_t *when = calloc((size_t)sets * ways, sizeof(uint64_t));
	uint64_t misses = 0;
	for (size_t i = 0; i < n; i++) {
		size_t base = (size_t)set_of[i] * ways, hit = SIZE_MAX, victim = base;
		for (size_t w = base; w < base + ways; w++) {
			if (when[w] && tag[w] == keys[i])
				hit = w;
			if (when[w] < when[victim])
				victim = w;
		}
		if (hit == SIZE_MAX) {
			misses++;
			hit = victim;
			tag[hit] = keys[i];
		}
		when[hit] = i + 1;
	}
	free(tag);
	free(when);
	return misses;
}

/* ---------------------------------------------------------------- one stack */

/* Keys drawn from ALPHABET values, skewed (half the references to an eighth
 * of them), so that every distance occurs. */
static uint64_t draw(rng *r, uint64_t alphabet)
{
	uint64_t u = rng_next(r);
	uint64_t k = (u & 1) ? rng_below(r, alphabet / 8 + 1) : rng_below(r, alphabet);
	return k * UINT64_C(0x9e3779b97f4a7c15) >> 7;   /* spread, never all ones */
}

/* Every distance equals the linear stack's, through hash growth and many
 * renumberings of the stamps (100 K references over up to 3000 keys, the
 * stamp space starts at 16). */
START_TEST(stack_distance_equals_linear_stack)
{
	static const uint64_t alphabets[] = { 1, 2, 7, 100, 3000 };
	for (size_t a = 0; a < sizeof(alphabets) / sizeof(alphabets[0]); a++) {
		rng r;
		rng_seed(&r, 11 + a);
		reach_stack *s = reach_stack_create(64);
		lin ref = { .k = calloc(4000, sizeof(uint64_t)) };
		uint64_t hist[66] = { 0 };
		for (int i = 0; i < 100000; i++) {
			uint64_t key = draw(&r, alphabets[a]);
			uint64_t want = lin_touch(&ref, key), got = reach_stack_touch(s, key);
			ck_assert_msg(got == want, "alphabet %llu, reference %d: distance %llu, "
				      "linear stack %llu", (unsigned long long)alphabets[a], i,
				      (unsigned long long)got, (unsigned long long)want);
			hist[want > 64 ? 65 : want]++;
		}
		size_t n;
		const uint64_t *h = reach_stack_hist(s, &n);
		ck_assert_uint_eq(n, 66);
		for (size_t d = 0; d < 66; d++)
			ck_assert_uint_eq(h[d], hist[d]);
		ck_assert_uint_eq(reach_stack_refs(s), 100000);
		ck_assert_uint_eq(reach_stack_keys(s), ref.n);
		/* The top of the stack is the linear stack's order. */
		uint64_t top[4000];
		size_t nt = reach_stack_top(s, top, 4000);
		ck_assert_uint_eq(nt, ref.n);
		for (size_t i = 0; i < nt; i++)
			ck_assert_uint_eq(top[i], ref.k[i]);
		free(ref.k);
		reach_stack_destroy(s);
	}
}
END_TEST

static int match_odd(uint64_t key, const void *ctx)
{
	(void)ctx;
	return (int)((key >> 7) & 1);
}

/* A forgotten key is a first use next time; the others' distances no longer
 * count it (the linear stack with the key removed). */
START_TEST(forgotten_keys_leave_the_stack)
{
	rng r;
	rng_seed(&r, 5);
	reach_stack *s = reach_stack_create(1024);
	lin ref = { .k = calloc(600, sizeof(uint64_t)) };
	for (int i = 0; i < 60000; i++) {
		uint64_t key = draw(&r, 500);
		if (i % 97 == 0) {
			/* Touched first so that it is present, then forgotten. */
			ck_assert_uint_eq(reach_stack_touch(s, key), lin_touch(&ref, key));
			ck_assert_int_eq(reach_stack_forget(s, key), 1);
			ck_assert_int_eq(reach_stack_forget(s, key), 0);
			lin_forget(&ref, key);
			continue;
		}
		if (i % 5003 == 0) {
			/* Remove every key with bit 7 set, as an invalidation by ASID. */
			uint64_t before = ref.n, removed = reach_stack_forget_if(s, match_odd, NULL);
			for (size_t j = 0; j < ref.n;)
				if ((ref.k[j] >> 7) & 1)
					lin_forget(&ref, ref.k[j]);
				else
					j++;
			ck_assert_uint_eq(removed, before - ref.n);
		}
		ck_assert_uint_eq(reach_stack_touch(s, key), lin_touch(&ref, key));
	}
	ck_assert_uint_eq(reach_stack_forget_if(s, NULL, NULL), ref.n);
	ck_assert_uint_eq(reach_stack_keys(s), 0);
	ck_assert_uint_eq(reach_stack_touch(s, 42), REACH_COLD);
	free(ref.k);
	reach_stack_destroy(s);
}
END_TEST

/* Working set (Denning 1968): distinct keys per tumbling window of 2^i
 * references, counted by scanning each window. */
START_TEST(working_set_counts_distinct_keys_per_window)
{
	rng r;
	rng_seed(&r, 9);
	enum { N = 5000 };
	uint64_t keys[N];
	reach_stack *s = reach_stack_create(8);
	for (int i = 0; i < N; i++) {
		keys[i] = draw(&r, 300);
		reach_stack_touch(s, keys[i]);
	}
	uint64_t w[64];
	reach_stack_windows(s, w);
	for (unsigned lg = 0; lg < 14; lg++) {
		size_t len = (size_t)1 << lg;
		uint64_t sum = 0;
		for (size_t start = 0; start < N; start += len) {
			size_t end = start + len < N ? start + len : N;
			for (size_t i = start; i < end; i++) {
				size_t j = start;
				while (keys[j] != keys[i])
					j++;
				sum += j == i;   /* the first of its key in the window */
			}
		}
		ck_assert_msg(w[lg] == sum, "windows of 2^%u: %llu, scan %llu", lg,
			      (unsigned long long)w[lg], (unsigned long long)sum);
	}
	reach_stack_destroy(s);
}
END_TEST

/* ---------------------------------------------------------------- the analysis */

static reach *analyse(const param_reg *p, const trace_rec *recs, size_t n, uint32_t entries,
		      uint32_t sets, uint32_t ways)
{
	reach *r;
	char err[256];
	reach_cfg c = { .entries = entries, .sets = sets, .ways = ways, .params = p };
	ck_assert_msg(reach_create(&r, &c, err, sizeof(err)) == TRACE_OK, "%s", err);
	size_t failed;
	ck_assert_msg(reach_feed(r, recs, n, &failed) == 0, "%s", reach_error(r));
	ck_assert_int_eq(reach_finish(r), 0);
	return r;
}

/* Random accesses over a few MB in two ASIDs and the upper half, some
 * crossing a 4 KB page. */
static void accesses(trace_rec *out, size_t n, uint64_t seed)
{
	rng r;
	rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++) {
		trace_rec *x = &out[i];
		memset(x, 0, sizeof(*x));
		uint64_t u = rng_next(&r);
		x->kind = (uint8_t)(u % 3);
		x->asid = (uint16_t)((u >> 2) & 1);
		x->gva = ((u >> 3) & 7) == 0 ? UINT64_C(0xffffffff80000000) : UINT64_C(0x7f0000000000);
		x->gva += rng_below(&r, UINT64_C(3) << 20) & ~UINT64_C(3);
		x->size = 8;
		x->icount = x->kind == TRACE_X;
	}
}

/* The lookups of a stream at 2^SHIFT pages as (key, set) pairs, computed
 * straight from the records: every page from the first byte's to the
 * last's, the ASID unless the address is in the upper half. */
static size_t page_refs(const trace_rec *recs, size_t n, int instr, unsigned shift, uint64_t *key,
			uint64_t *set, unsigned sets)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const trace_rec *x = &recs[i];
		if ((x->kind == TRACE_X) != instr)
			continue;
		for (uint64_t p = x->gva >> shift; p <= (x->gva + x->size - 1) >> shift; p++) {
			int upper = (x->gva >> 63) != 0;
			key[m] = (p << 1 | (uint64_t)upper) * 65536 + (upper ? 0 : x->asid);
			set[m++] = sets ? p % sets : 0;
		}
	}
	return m;
}

/* Misses of every fully-associative size and every associativity of a
 * set-associative array equal direct LRU simulation of that array, per
 * stream and page size; a crossing access is two lookups. */
START_TEST(curves_equal_direct_lru_simulation)
{
	enum { N = 30000 };
	trace_rec *recs = malloc(N * sizeof(*recs));
	accesses(recs, N, 3);
	recs[10].gva = UINT64_C(0x7f0000000ffc);   /* crosses a 4K, 16K and 64K boundary */
	recs[10].kind = TRACE_R;
	param_reg *p = sim_params(NULL);
	reach *r = analyse(p, recs, N, 96, 8, 6);
	uint64_t *key = malloc(2 * N * sizeof(uint64_t)), *set = malloc(2 * N * sizeof(uint64_t));
	static const unsigned shifts[] = { 12, 14, 16, 21 };
	for (unsigned s = 0; s < REACH_STREAMS; s++)
		for (unsigned k = 0; k < REACH_SIZES; k++) {
			unsigned sh = k < REACH_COMBINED ? shifts[k] : 12;   /* default: 4k over thp */
			size_t m = page_refs(recs, N, s == REACH_I, sh, key, set, 8);
			reach_curve c;
			reach_get_curve(r, s, k, &c);
			ck_assert_uint_eq(c.lookups, m);
			ck_assert_uint_eq(c.shift, sh);
			for (unsigned e = 1; e <= 96; e += e < 8 ? 1 : 11) {
				uint64_t *zero = calloc(m, sizeof(uint64_t));
				uint64_t want = lru_sim(key, zero, m, 1, e);
				free(zero);
				ck_assert_msg(c.misses[e - 1] == want, "%s %s, %u entries: %llu, "
					      "simulated %llu", reach_stream_name(s), reach_size_name(k),
					      e, (unsigned long long)c.misses[e - 1],
					      (unsigned long long)want);
			}
			for (unsigned w = 1; w <= 6; w++)
				ck_assert_uint_eq(c.set_misses[w - 1], lru_sim(key, set, m, 8, w));
		}
	free(key);
	free(set);
	reach_destroy(r);
	param_destroy(p);
	free(recs);
}
END_TEST

/* The combined size follows the configuration: a 2M guest page over 4K
 * host pages is 4K entries (splintering), 2M over 2M is 2M; thp varies and
 * is read from a machine replaying alongside, whose first fault in an empty
 * 2M region maps 2M. */
START_TEST(combined_size_follows_the_configuration)
{
	trace_rec x[2] = {
		{ .gva = 0x40000000, .size = 8, .kind = TRACE_R },
		{ .gva = 0x40003000, .size = 8, .kind = TRACE_R },
	};
	struct { const char *sets[4]; unsigned shift; uint64_t pages; } t[] = {
		{ { "guest.page=2m", "host.page=4k", NULL }, 12, 2 },
		{ { "guest.page=2m", "host.page=2m", NULL }, 21, 1 },
		{ { "guest.page=2m", "virt=none", NULL }, 21, 1 },
		{ { "guest.page=thp", NULL }, 0, 1 },
		{ { "arch=arm64", "guest.granule=64k", "host.granule=64k", NULL }, 16, 1 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		param_reg *p = sim_params(t[i].sets);
		reach *r = analyse(p, x, 2, 4, 0, 0);
		ck_assert_uint_eq(reach_get_info(r)->combined_shift, t[i].shift);
		reach_curve c;
		reach_get_curve(r, REACH_D, REACH_COMBINED, &c);
		ck_assert_uint_eq(c.pages, t[i].pages);
		ck_assert_uint_eq(c.misses[0], t[i].pages);
		/* Reach: the pages mapped at the end, each its size. */
		ck_assert_uint_eq(c.reach_bytes[3], t[i].pages * (t[i].shift ? UINT64_C(1) << t[i].shift
								   : UINT64_C(2) << 20));
		reach_destroy(r);
		param_destroy(p);
	}
}
END_TEST

/* An invalidation by VA removes that page at every size: its next use
 * misses, and the curves say they are approximate from then on. */
START_TEST(invalidation_makes_the_next_use_a_miss)
{
	trace_rec x[4] = {
		{ .gva = 0x1000, .size = 8, .kind = TRACE_R },
		{ .gva = 0x2000, .size = 8, .kind = TRACE_R },
		{ .gva = 0x1000, .kind = TRACE_INV, .op = TRACE_INV_VA },
		{ .gva = 0x1000, .size = 8, .kind = TRACE_R },
	};
	param_reg *p = sim_params(NULL);
	reach *r = analyse(p, x, 2, 4, 0, 0);
	ck_assert_int_eq(reach_get_info(r)->exact, 1);
	reach_curve c;
	reach_get_curve(r, REACH_D, REACH_4K, &c);
	ck_assert_uint_eq(c.misses[3], 2);
	reach_destroy(r);
	r = analyse(p, x, 4, 4, 0, 0);
	reach_get_curve(r, REACH_D, REACH_4K, &c);
	ck_assert_uint_eq(c.misses[3], 3);            /* 0x1000 again: a miss */
	reach_get_curve(r, REACH_D, REACH_2M, &c);
	ck_assert_uint_eq(c.misses[3], 2);            /* the 2M page went too */
	ck_assert_int_eq(reach_get_info(r)->exact, 0);
	ck_assert_uint_eq(reach_get_info(r)->invalidations, 1);
	reach_destroy(r);
	param_destroy(p);
}
END_TEST

/* ---------------------------------------------------------------- issue 21 */

/* A quiet touch (a prefetch's fill) moves the key to the top as a reference
 * would but counts nothing: the distances of the counted references are
 * the linear stack's with every touch applied, the histogram and refs count
 * only them, and the working set is that of the counted references alone
 * (a key a quiet touch brought in is new to its window). */
START_TEST(quiet_touches_move_without_counting)
{
	rng r;
	rng_seed(&r, 21);
	enum { N = 40000 };
	reach_stack *s = reach_stack_create(32);
	lin ref = { .k = calloc(400, sizeof(uint64_t)) };
	uint64_t hist[34] = { 0 }, *counted = malloc(N * sizeof(uint64_t));
	size_t nc = 0;
	for (int i = 0; i < N; i++) {
		uint64_t key = draw(&r, 300);
		if (rng_below(&r, 4) == 0) {
			ck_assert_int_eq(reach_stack_touch_quiet(s, key), 0);
			lin_touch(&ref, key);
			ck_assert_int_eq(reach_stack_has(s, key), 1);
			continue;
		}
		uint64_t want = lin_touch(&ref, key), got = reach_stack_touch(s, key);
		ck_assert_msg(got == want, "reference %d: distance %llu, linear stack %llu", i,
			      (unsigned long long)got, (unsigned long long)want);
		hist[want > 32 ? 33 : want]++;
		counted[nc++] = key;
	}
	size_t n;
	const uint64_t *h = reach_stack_hist(s, &n);
	for (size_t d = 0; d < n; d++)
		ck_assert_uint_eq(h[d], hist[d]);
	ck_assert_uint_eq(reach_stack_refs(s), nc);
	uint64_t top[400];
	size_t nt = reach_stack_top(s, top, 400);
	ck_assert_uint_eq(nt, ref.n);
	for (size_t i = 0; i < nt; i++)
		ck_assert_uint_eq(top[i], ref.k[i]);
	uint64_t w[64];
	reach_stack_windows(s, w);
	for (unsigned lg = 0; lg < 12; lg++) {
		size_t len = (size_t)1 << lg;
		uint64_t sum = 0;
		for (size_t start = 0; start < nc; start += len)
			for (size_t i = start; i < start + len && i < nc; i++) {
				size_t j = start;
				while (counted[j] != counted[i])
					j++;
				sum += j == i;
			}
		ck_assert_msg(w[lg] == sum, "windows of 2^%u: %llu, scan %llu", lg,
			      (unsigned long long)w[lg], (unsigned long long)sum);
	}
	ck_assert_int_eq(reach_stack_has(s, UINT64_C(0x123456789)), 0);
	free(counted);
	free(ref.k);
	reach_stack_destroy(s);
}
END_TEST

/* After the top key is removed the next one is on top, and a reference to
 * it is new to its window if its last use was in an earlier one - not the
 * removed key's time. By hand, A B C, forget C, B: windows of 2 are {A, B}
 * and {C, B}, 4 distinct in all (3 was counted: B's previous use taken as
 * C's time); the one window of 4 references holds A, B, C: 3. */
START_TEST(working_set_after_a_removal)
{
	reach_stack *s = reach_stack_create(8);
	ck_assert_uint_eq(reach_stack_touch(s, 0xa), REACH_COLD);
	ck_assert_uint_eq(reach_stack_touch(s, 0xb), REACH_COLD);
	ck_assert_uint_eq(reach_stack_touch(s, 0xc), REACH_COLD);
	ck_assert_int_eq(reach_stack_forget(s, 0xc), 1);
	ck_assert_uint_eq(reach_stack_touch(s, 0xb), 1);
	uint64_t w[64];
	reach_stack_windows(s, w);
	ck_assert_uint_eq(w[0], 4);
	ck_assert_uint_eq(w[1], 4);
	ck_assert_uint_eq(w[2], 3);
	reach_stack_destroy(s);
}
END_TEST

/* run's count of a fully-associative LRU L1 of K entries (L2 off) on RECS
 * under P with SETS: the machine itself, not reach. */
static void run_misses(const char *const *sets, const trace_rec *recs, size_t n, unsigned k,
		       uint64_t *d, uint64_t *i)
{
	char e[8][40];
	const char *all[16];
	size_t m = 0;
	for (; sets && *sets; sets++)
		all[m++] = *sets;
	snprintf(e[0], sizeof(e[0]), "tlb.l1d.entries=%u", k);
	snprintf(e[1], sizeof(e[1]), "tlb.l1d.ways=%u", k);
	snprintf(e[2], sizeof(e[2]), "tlb.l1i.entries=%u", k);
	snprintf(e[3], sizeof(e[3]), "tlb.l1i.ways=%u", k);
	for (int j = 0; j < 4; j++)
		all[m++] = e[j];
	all[m++] = "tlb.l2.entries=0";
	all[m] = NULL;
	param_reg *p = sim_params(all);
	machine *mc = sim_machine(p);
	size_t failed;
	ck_assert_msg(replay_batch(mc, recs, n, 0, NULL, &failed) == 0, "%s", machine_error(mc));
	ck_assert_int_eq(machine_finish(mc), 0);
	*d = sim_stat(machine_stats(mc), "tlb.l1d.misses");
	*i = sim_stat(machine_stats(mc), "tlb.l1i.misses");
	machine_destroy(mc);
	param_destroy(p);
}

/* Prefetch records under trace.prefetch=translate: reach's combined curve
 * equals run's L1 misses at every size, data and instruction, over two
 * vCPUs and two ASIDs and the global half, with prefetches of pages mapped
 * by another vCPU (filled), never touched (dropped), of another ASID
 * (dropped) and of a page already cached (an LRU update); natively and
 * nested, 4K and 2M entries. */
START_TEST(prefetch_fills_as_run_does)
{
	enum { N = 3000 };
	trace_rec *recs = calloc(N, sizeof(*recs));
	rng r;
	rng_seed(&r, 2121);
	for (size_t j = 0; j < N; j++) {
		trace_rec *x = &recs[j];
		uint64_t u = rng_next(&r);
		x->vcpu = (uint16_t)(u & 1);
		x->asid = (uint16_t)((u >> 1) & 1);
		x->gva = ((u >> 2) & 7) == 0 ? UINT64_C(0xffffffff80000000) : UINT64_C(0x7f0000000000);
		x->gva += rng_below(&r, ((u >> 5) & 3) ? UINT64_C(96) << 12 : UINT64_C(12) << 21);
		x->size = (uint16_t)(((u >> 7) & 3) ? 8 : (u >> 9) & 1 ? 0 : 4096);
		unsigned kind = (unsigned)rng_below(&r, 10);
		x->kind = kind < 3 ? TRACE_P : kind < 5 ? TRACE_X : kind < 8 ? TRACE_R : TRACE_W;
		x->op = x->kind == TRACE_P ? (uint8_t)rng_below(&r, 3) : 0;
		if (x->kind == TRACE_X)
			x->size = 4, x->icount = 1;
	}
	static const char *const cfg[][4] = {
		{ "virt=none", NULL }, { NULL }, { "guest.page=2m", "host.page=2m", NULL },
		{ "guest.page=2m", "host.page=4k", NULL },
	};
	for (size_t c = 0; c < sizeof(cfg) / sizeof(cfg[0]); c++) {
		param_reg *p = sim_params(cfg[c]);
		reach *a = analyse(p, recs, N, 64, 0, 0);
		ck_assert_uint_eq(reach_get_info(a)->prefetches, 
				  reach_get_info(a)->records - reach_get_info(a)->accesses[0] -
				  reach_get_info(a)->accesses[1]);
		reach_curve cd, ci;
		reach_get_curve(a, REACH_D, REACH_COMBINED, &cd);
		reach_get_curve(a, REACH_I, REACH_COMBINED, &ci);
		static const unsigned ks[] = { 1, 2, 3, 5, 8, 13, 32, 64 };
		for (size_t q = 0; q < sizeof(ks) / sizeof(ks[0]); q++) {
			uint64_t d, i;
			run_misses(cfg[c], recs, N, ks[q], &d, &i);
			ck_assert_msg(cd.misses[ks[q] - 1] == d && ci.misses[ks[q] - 1] == i,
				      "config %zu, %u entries: reach %llu/%llu, run %llu/%llu", c,
				      ks[q], (unsigned long long)cd.misses[ks[q] - 1],
				      (unsigned long long)ci.misses[ks[q] - 1], (unsigned long long)d,
				      (unsigned long long)i);
		}
		reach_destroy(a);
		param_destroy(p);
	}
	free(recs);
}
END_TEST

/* A zero-size access is one lookup of the page of its address, at a page
 * boundary too (FORMAT.md; run): by hand, 4K lookups 1, 2, 1, 3, 1 over
 * three pages - 3 first uses (the page before each, which reach also
 * looked up, would make 10 lookups); the 2M curve has one page and one
 * miss. */
START_TEST(zero_size_access_is_one_lookup)
{
	trace_rec x[5] = {
		{ .gva = 0x1000, .size = 0, .kind = TRACE_R },
		{ .gva = 0x2000, .size = 0, .kind = TRACE_W },
		{ .gva = 0x1000, .size = 0, .kind = TRACE_R },
		{ .gva = 0x3000, .size = 0, .kind = TRACE_R },
		{ .gva = 0x1000, .size = 0, .kind = TRACE_R },
	};
	param_reg *p = sim_params(NULL);
	reach *r = analyse(p, x, 5, 4, 0, 0);
	reach_curve c;
	reach_get_curve(r, REACH_D, REACH_4K, &c);
	ck_assert_uint_eq(c.lookups, 5);
	ck_assert_uint_eq(c.pages, 3);
	ck_assert_uint_eq(c.misses[0], 5);   /* 1 2 1 3 1: no lookup repeats the last */
	ck_assert_uint_eq(c.misses[1], 3);   /* both later 1s at distance 2: hits */
	ck_assert_uint_eq(c.misses[3], 3);
	reach_get_curve(r, REACH_D, REACH_2M, &c);
	ck_assert_uint_eq(c.lookups, 5);
	ck_assert_uint_eq(c.misses[0], 1);
	reach_destroy(r);
	param_destroy(p);
}
END_TEST

/* sim.max_records: the records after it are not analysed (run replays
 * none), and reach_limit tells a reader where to stop. */
START_TEST(max_records_stops_the_analysis)
{
	trace_rec x[5] = {
		{ .gva = 0x1000, .size = 8, .kind = TRACE_R },
		{ .gva = 0x2000, .size = 8, .kind = TRACE_R },
		{ .gva = 0x3000, .kind = TRACE_P },
		{ .gva = 0x4000, .size = 8, .kind = TRACE_R },
		{ .gva = 0x5000, .size = 8, .kind = TRACE_R },
	};
	static const char *const sets[] = { "sim.max_records=3", NULL };
	param_reg *p = sim_params(sets);
	reach *r = analyse(p, x, 5, 4, 0, 0);
	ck_assert_uint_eq(reach_limit(r), 3);
	ck_assert_uint_eq(reach_get_info(r)->records, 3);
	ck_assert_uint_eq(reach_get_info(r)->prefetches, 1);
	reach_curve c;
	reach_get_curve(r, REACH_D, REACH_4K, &c);
	ck_assert_uint_eq(c.lookups, 2);
	reach_destroy(r);
	param_destroy(p);
	p = sim_params(NULL);
	r = analyse(p, x, 5, 4, 0, 0);
	ck_assert_uint_eq(reach_limit(r), UINT64_MAX);
	ck_assert_uint_eq(reach_get_info(r)->records, 5);
	reach_destroy(r);
	param_destroy(p);
}
END_TEST

/* What reach cannot follow is refused by the name the user gave it. */
START_TEST(keys_reach_cannot_follow_are_refused_by_name)
{
	static const struct { const char *sets[3]; const char *msg; } t[] = {
		{ { "dirtylog.mode=pml", NULL }, "dirtylog.mode=pml: reach takes dirtylog.mode=off" },
		{ { "domains=2", "domain.1.dirtylog.mode=wp", NULL },
		  "domain.1.dirtylog.mode=wp: reach takes dirtylog.mode=off" },
		{ { "io.mode=blk", NULL }, "io.mode=blk: reach takes io.mode=off" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		param_reg *p = sim_params(t[i].sets);
		reach *r = NULL;
		char err[512];
		reach_cfg c = { .entries = 4, .params = p };
		ck_assert_int_eq(reach_create(&r, &c, err, sizeof(err)), TRACE_EFORMAT);
		ck_assert_ptr_null(r);
		ck_assert_msg(strncmp(err, t[i].msg, strlen(t[i].msg)) == 0, "%s", err);
		param_destroy(p);
	}
}
END_TEST

/* Feed RECS to a fresh analysis under SETS and expect record BAD to fail
 * with a message holding WANT. */
static void expect_refused(const char *const *sets, const trace_rec *recs, size_t n, size_t bad,
			   const char *want)
{
	param_reg *p = sim_params(sets);
	reach *r;
	char err[256];
	reach_cfg c = { .entries = 4, .params = p };
	ck_assert_msg(reach_create(&r, &c, err, sizeof(err)) == TRACE_OK, "%s", err);
	size_t failed;
	ck_assert_int_eq(reach_feed(r, recs, n, &failed), -1);
	ck_assert_uint_eq(failed, bad);
	ck_assert_int_eq(reach_error_code(r), TRACE_EFORMAT);
	ck_assert_msg(strstr(reach_error(r), want), "%s", reach_error(r));
	reach_destroy(r);
	param_destroy(p);
}

/* A VA run refuses (not canonical for the guest's 48 bits, or an access
 * that runs into the hole) is refused by the same words; a prefetch under
 * translate when the combined size varies is refused naming both keys. */
START_TEST(records_run_refuses_are_refused)
{
	trace_rec x[3] = {
		{ .gva = 0x1000, .size = 8, .kind = TRACE_R },
		{ .gva = UINT64_C(0x900000000000), .size = 8, .kind = TRACE_R },
	};
	expect_refused(NULL, x, 2, 1, "VA 0x900000000000 is not canonical");
	x[1] = (trace_rec){ .gva = UINT64_C(0x7ffffffffff8), .size = 16, .kind = TRACE_W };
	expect_refused(NULL, x, 2, 1, "VA 0x800000000000 is not canonical");
	/* A prefetch there is dropped (its walk faults), not refused. */
	x[1] = (trace_rec){ .gva = UINT64_C(0x900000000000), .kind = TRACE_P };
	x[2] = (trace_rec){ .gva = UINT64_C(0x900000000000), .size = 1, .kind = TRACE_R };
	expect_refused(NULL, x, 3, 2, "not canonical");
	static const char *const thp[] = { "guest.page=thp", NULL };
	x[1] = (trace_rec){ .gva = 0x1000, .kind = TRACE_P };
	expect_refused(thp, x, 2, 1, "trace.prefetch=translate");
	expect_refused(thp, x, 2, 1, "(guest.page=thp)");
	static const char *const thp_skip[] = { "guest.page=thp", "trace.prefetch=skip", NULL };
	param_reg *p = sim_params(thp_skip);
	reach *r = analyse(p, x, 2, 4, 0, 0);
	ck_assert_uint_eq(reach_get_info(r)->prefetches, 1);
	reach_destroy(r);
	param_destroy(p);
}
END_TEST

/* The combined size reads the only domain's configuration with its
 * domain.0.* overrides: 2M over 2M set for domain 0 is 2M entries. */
START_TEST(combined_size_reads_domain_overrides)
{
	trace_rec x[2] = {
		{ .gva = 0x40000000, .size = 8, .kind = TRACE_R },
		{ .gva = 0x40003000, .size = 8, .kind = TRACE_R },
	};
	static const char *const sets[] = { "domain.0.guest.page=2m", "domain.0.host.page=2m", NULL };
	param_reg *p = sim_params(sets);
	reach *r = analyse(p, x, 2, 4, 0, 0);
	ck_assert_uint_eq(reach_get_info(r)->combined_shift, 21);
	reach_curve c;
	reach_get_curve(r, REACH_D, REACH_COMBINED, &c);
	ck_assert_uint_eq(c.pages, 1);
	reach_destroy(r);
	param_destroy(p);
}
END_TEST

Suite *reach_suite(void);
Suite *reach_suite(void)
{
	Suite *s = suite_create("reach");
	TCase *tc = tcase_create("stack");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, stack_distance_equals_linear_stack);
	tcase_add_test(tc, forgotten_keys_leave_the_stack);
	tcase_add_test(tc, working_set_counts_distinct_keys_per_window);
	tcase_add_test(tc, quiet_touches_move_without_counting);
	tcase_add_test(tc, working_set_after_a_removal);
	suite_add_tcase(s, tc);
	tc = tcase_create("analysis");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, curves_equal_direct_lru_simulation);
	tcase_add_test(tc, combined_size_follows_the_configuration);
	tcase_add_test(tc, invalidation_makes_the_next_use_a_miss);
	tcase_add_test(tc, prefetch_fills_as_run_does);
	tcase_add_test(tc, zero_size_access_is_one_lookup);
	tcase_add_test(tc, max_records_stops_the_analysis);
	tcase_add_test(tc, keys_reach_cannot_follow_are_refused_by_name);
	tcase_add_test(tc, records_run_refuses_are_refused);
	tcase_add_test(tc, combined_size_reads_domain_overrides);
	suite_add_tcase(s, tc);
	return s;
}
