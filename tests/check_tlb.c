/*
 * tests/check_tlb.c - set-associative TLB arrays: replacement against a
 * reference, tags, mixed page sizes, invalidation semantics.
 */
#include "check_util.h"
#include "rng.h"
#include "tlb.h"

static tlb *mk(unsigned entries, unsigned ways, enum tlb_policy p)
{
	tlb_config c = { .entries = entries, .ways = ways, .policy = p, .seed = 5 };
	tlb *t;
	char err[128];
	ck_assert_msg(tlb_create(&t, &c, "t", err, sizeof(err)) == 0, "%s", err);
	return t;
}

static tlb_entry ent(uint64_t va, unsigned shift, uint16_t vmid, uint16_t asid, unsigned flags)
{
	tlb_entry e = { .tag = va >> shift, .out = (va >> shift) << shift, .vmid = vmid,
			.asid = asid, .shift = (uint8_t)shift, .flags = (uint8_t)flags };
	return e;
}

/* Access a page: lookup, fill on a miss; returns 1 on a miss. */
static int touch_page(tlb *t, uint64_t page)
{
	if (tlb_lookup(t, page << 12, 0, 0))
		return 0;
	tlb_entry e = ent(page << 12, 12, 0, 0, 0);
	tlb_fill(t, &e);
	return 1;
}

START_TEST(tlb_lru_matches_reference_per_set)
{
	/* 64 entries, 4-way: each set is an independent 4-entry LRU; compare
	 * against a per-set recency list kept here. */
	tlb *t = mk(64, 4, TLB_LRU);
	uint64_t ref[16][4];
	unsigned len[16] = { 0 };
	rng r;
	rng_seed(&r, 11);
	uint64_t model_misses = 0, ref_misses = 0;
	for (int i = 0; i < 200000; i++) {
		uint64_t page = rng_below(&r, 200);
		model_misses += (uint64_t)touch_page(t, page);
		unsigned set = page & 15, k;
		for (k = 0; k < len[set] && ref[set][k] != page; k++)
			;
		if (k == len[set]) {
			ref_misses++;
			if (len[set] < 4)
				len[set]++;
			k = len[set] - 1;   /* drop the least recent (last) */
		}
		memmove(&ref[set][1], &ref[set][0], k * sizeof(uint64_t));
		ref[set][0] = page;
	}
	ck_assert_uint_eq(model_misses, ref_misses);
	ck_assert_uint_eq(tlb_stats(t)->misses, ref_misses);
	tlb_destroy(t);
}
END_TEST

START_TEST(tlb_plru_and_random_keep_recent_hot_page)
{
	for (int p = TLB_PLRU; p <= TLB_RANDOM; p++) {
		tlb *t = mk(8, 8, (enum tlb_policy)p);
		/* a hot page touched between every cold page survives under PLRU */
		uint64_t hot_misses = 0;
		for (uint64_t i = 0; i < 1000; i++) {
			hot_misses += (uint64_t)touch_page(t, 1);
			touch_page(t, 100 + i);
		}
		if (p == TLB_PLRU)
			ck_assert_uint_eq(hot_misses, 1);
		else
			ck_assert_uint_lt(hot_misses, 400);   /* random: 1/8 eviction odds */
		tlb_destroy(t);
	}
}
END_TEST

START_TEST(tlb_random_is_deterministic_for_a_seed)
{
	uint64_t m[2];
	for (int k = 0; k < 2; k++) {
		tlb *t = mk(16, 4, TLB_RANDOM);
		m[k] = 0;
		for (uint64_t i = 0; i < 50000; i++)
			m[k] += (uint64_t)touch_page(t, (i * 2654435761u) % 97);
		tlb_destroy(t);
	}
	ck_assert_uint_eq(m[0], m[1]);
}
END_TEST

START_TEST(tlb_tags_vmid_asid_and_global)
{
	tlb *t = mk(16, 16, TLB_LRU);
	tlb_entry a = ent(0x1000, 12, 1, 5, 0), g = ent(0x9000, 12, 1, 5, TLB_F_GLOBAL);
	tlb_fill(t, &a);
	tlb_fill(t, &g);
	ck_assert_ptr_nonnull(tlb_lookup(t, 0x1abc, 1, 5));
	ck_assert_ptr_null(tlb_lookup(t, 0x1abc, 1, 6));   /* other ASID */
	ck_assert_ptr_null(tlb_lookup(t, 0x1abc, 2, 5));   /* other VMID */
	ck_assert_ptr_nonnull(tlb_lookup(t, 0x9000, 1, 77)); /* global: any ASID */
	ck_assert_ptr_null(tlb_lookup(t, 0x9000, 2, 5));   /* but not another VMID */
	tlb_destroy(t);
}
END_TEST

START_TEST(tlb_mixed_sizes_hit_at_their_own_size)
{
	tlb *t = mk(64, 4, TLB_LRU);
	tlb_entry big = ent(0x40000000, 21, 0, 0, 0), small = ent(0x80001000, 12, 0, 0, 0);
	tlb_fill(t, &big);
	tlb_fill(t, &small);
	const tlb_entry *e = tlb_lookup(t, 0x401fffff, 0, 0);   /* last byte of the 2M page */
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->shift, 21);
	ck_assert_ptr_null(tlb_lookup(t, 0x40200000, 0, 0));
	ck_assert_ptr_nonnull(tlb_lookup(t, 0x80001fff, 0, 0));
	ck_assert_uint_eq(tlb_reach_bytes(t), (1u << 21) + (1u << 12));
	tlb_destroy(t);
}
END_TEST

/* The inline hit path (tlb_lookup's remembered entry) against the probing
 * path alone (tlb_lookup_slow): two arrays given the same random fills,
 * invalidations and lookups - 4 KB, 64 KB and 2 MB entries overlapping in a
 * 4 MB space, two VMIDs, three ASIDs, global entries, lookups mostly near
 * the last one - must return the same entry every time and end with the
 * same counters, under each replacement policy. */
START_TEST(tlb_inline_hits_equal_the_probe_with_mixed_sizes)
{
	static const unsigned shifts[] = { 12, 16, 21 };
	for (int pol = TLB_LRU; pol <= TLB_RANDOM; pol++) {
		tlb *a = mk(64, 4, (enum tlb_policy)pol), *b = mk(64, 4, (enum tlb_policy)pol);
		rng r;
		rng_seed(&r, 11 + (uint64_t)pol);
		uint64_t va = 0;
		uint16_t vmid = 0, asid = 0;
		for (unsigned i = 0; i < 400000; i++) {
			unsigned op = (unsigned)rng_below(&r, 100);
			if (op < 70)
				va = (va + rng_below(&r, 8192)) & 0x3fffff;
			else if (op < 80)
				va = rng_below(&r, 1u << 22);
			if (op >= 95) {
				vmid = (uint16_t)rng_below(&r, 2);
				asid = (uint16_t)rng_below(&r, 3);
			}
			if (op < 90) {
				const tlb_entry *ea = tlb_lookup(a, va, vmid, asid);
				const tlb_entry *eb = tlb_lookup_slow(b, va, vmid, asid);
				ck_assert_msg(!ea == !eb, "op %u: hit in one array only", i);
				if (ea)
					ck_assert_msg(ea->tag == eb->tag && ea->shift == eb->shift &&
						      ea->asid == eb->asid && ea->vmid == eb->vmid &&
						      ea->flags == eb->flags && ea->out == eb->out,
						      "op %u: different entries", i);
			} else if (op < 99) {
				unsigned sh = shifts[rng_below(&r, 3)];
				tlb_entry e = ent(va, sh, vmid, asid,
						  rng_below(&r, 4) == 0 ? TLB_F_GLOBAL : 0);
				tlb_fill(a, &e);
				tlb_fill(b, &e);
			} else {
				tlb_inv_va(a, vmid, asid, va);
				tlb_inv_va(b, vmid, asid, va);
			}
		}
		const tlb_counters *ca = tlb_stats(a), *cb = tlb_stats(b);
		ck_assert_uint_eq(ca->hits, cb->hits);
		ck_assert_uint_eq(ca->misses, cb->misses);
		ck_assert_uint_eq(ca->evictions, cb->evictions);
		ck_assert_uint_gt(ca->hits, 100000);
		tlb_destroy(a);
		tlb_destroy(b);
	}
}
END_TEST

START_TEST(tlb_invalidation_semantics)
{
	tlb *t = mk(16, 16, TLB_LRU);
	tlb_entry e1 = ent(0x1000, 12, 1, 5, 0), e2 = ent(0x2000, 12, 1, 6, 0),
		  eg = ent(0x3000, 12, 1, 5, TLB_F_GLOBAL), e3 = ent(0x1000, 12, 2, 5, 0);
	tlb_fill(t, &e1); tlb_fill(t, &e2); tlb_fill(t, &eg); tlb_fill(t, &e3);
	tlb_inv_asid(t, 1, 5);                               /* keeps global and other VMID */
	ck_assert_ptr_null(tlb_lookup(t, 0x1000, 1, 5));
	ck_assert_ptr_nonnull(tlb_lookup(t, 0x3000, 1, 5));
	ck_assert_ptr_nonnull(tlb_lookup(t, 0x2000, 1, 6));
	ck_assert_ptr_nonnull(tlb_lookup(t, 0x1000, 2, 5));
	tlb_inv_va(t, 1, 9, 0x3fff);                         /* global entries match any ASID */
	ck_assert_ptr_null(tlb_lookup(t, 0x3000, 1, 5));
	tlb_inv_vmid(t, 2);
	ck_assert_ptr_null(tlb_lookup(t, 0x1000, 2, 5));
	ck_assert_ptr_nonnull(tlb_lookup(t, 0x2000, 1, 6));
	tlb_inv_all(t);
	ck_assert_uint_eq(tlb_valid_entries(t), 0);
	ck_assert_uint_eq(tlb_reach_bytes(t), 0);
	tlb_destroy(t);
}
END_TEST

/* A global page refilled from another ASID (a write walking again through
 * the clean entry of a read by the first ASID) is one translation: the fill
 * refreshes the entry in place, so a 3-way set holds it once and two other
 * pages beside it without an eviction. */
START_TEST(tlb_refill_of_a_global_page_from_another_asid_is_in_place)
{
	tlb *t = mk(3, 3, TLB_LRU);
	tlb_entry g1 = ent(0xffffffff80001000ull, 12, 0, 1, TLB_F_GLOBAL);
	tlb_entry g2 = ent(0xffffffff80001000ull, 12, 0, 2, TLB_F_GLOBAL);
	tlb_fill(t, &g1);
	tlb_fill(t, &g2);
	ck_assert_uint_eq(tlb_valid_entries(t), 1);
	tlb_entry a = ent(0x1000, 12, 0, 1, 0), b = ent(0x3000, 12, 0, 1, 0);
	tlb_fill(t, &a);
	tlb_fill(t, &b);
	ck_assert_uint_eq(tlb_valid_entries(t), 3);
	ck_assert_uint_eq(tlb_stats(t)->evictions, 0);
	ck_assert_ptr_nonnull(tlb_lookup(t, 0x1000, 0, 1));
	ck_assert_ptr_nonnull(tlb_lookup(t, 0xffffffff80001000ull, 0, 3));
	/* A non-global entry of another ASID with the same tag is another
	 * translation: it takes its own way. */
	tlb *u = mk(3, 3, TLB_LRU);
	tlb_entry p1 = ent(0x5000, 12, 0, 1, 0), p2 = ent(0x5000, 12, 0, 2, 0);
	tlb_fill(u, &p1);
	tlb_fill(u, &p2);
	ck_assert_uint_eq(tlb_valid_entries(u), 2);
	tlb_destroy(u);
	tlb_destroy(t);
}
END_TEST

/* tlb.l2.index=xor: 16 entries in 4 ways, 4 sets (n = 2). Pages 4 apart
 * (4i) have low bits 0, so linear puts all five of 0, 4, 8, 12, 16 in set 0
 * - five pages, four ways, LRU over a cycle: every access misses. XOR
 * takes (v ^ v >> 2) & 3 = i & 3: sets 0, 1, 2, 3, 0, two pages at most
 * in one set - after the first lap every access hits. */
START_TEST(tlb_xor_index_spreads_strided_pages)
{
	for (int x = 0; x < 2; x++) {
		tlb_config c = { .entries = 16, .ways = 4, .policy = TLB_LRU, .seed = 5,
				 .index = x ? TLB_INDEX_XOR : TLB_INDEX_LINEAR };
		tlb *t;
		char err[128];
		ck_assert_msg(tlb_create(&t, &c, "t", err, sizeof(err)) == 0, "%s", err);
		unsigned miss = 0;
		for (int lap = 0; lap < 3; lap++)
			for (uint64_t i = 0; i < 5; i++)
				miss += (unsigned)touch_page(t, 4 * i);
		ck_assert_uint_eq(miss, x ? 5 : 15);
		tlb_destroy(t);
	}
}
END_TEST

START_TEST(tlb_bad_geometry_is_refused)
{
	tlb_config c = { .entries = 1280, .ways = 5 };   /* 256 sets: fine (Cortex-A76 L2) */
	tlb *t;
	char err[128];
	ck_assert_int_eq(tlb_create(&t, &c, "tlb.l2", err, sizeof(err)), 0);
	tlb_destroy(t);
	c.entries = 1000;
	c.ways = 12;
	ck_assert_int_eq(tlb_create(&t, &c, "tlb.l2", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "tlb.l2: 1000 entries in 12 ways do not make a power-of-two number of sets");
}
END_TEST

/* ways=auto (issue 29): of ENTRIES / 2^k (the ways that leave 2^k sets),
 * at most MAX, the nearest the wanted ways by ratio. By hand: 2048 in ~12:
 * 16 (16/12 = 1.33 < 12/8 = 1.5); 768 = 3 x 256 in ~12: 12 itself; 48 in
 * ~4: 3 (4/3 < 6/4); 96 in ~8: 6 (8/6 < 12/8); 3000 = 375 x 8 in ~12 with at
 * most 1024: 375 (750 is twice as far); 1025 (odd, above 1024): none. Each
 * answer makes a geometry tlb_create takes. */
START_TEST(tlb_ways_nearest_keeps_a_power_of_two_set_count)
{
	static const unsigned c[][4] = {   /* entries, want, max, nearest */
		{ 2048, 12, 1024, 16 }, { 768, 12, 1024, 12 }, { 48, 4, 1024, 3 },
		{ 96, 8, 1024, 6 }, { 3000, 12, 1024, 375 }, { 1025, 12, 1024, 0 },
		{ 4096, 1, 1024, 1 }, { 64, 4, 1024, 4 }, { 2048, 4096, 1024, 1024 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		unsigned w = tlb_ways_nearest(c[i][0], c[i][1], c[i][2]);
		ck_assert_msg(w == c[i][3], "%u entries, ~%u ways: %u, want %u", c[i][0], c[i][1], w,
			      c[i][3]);
		if (!w)
			continue;
		tlb_config cfg = { .entries = c[i][0], .ways = w };
		tlb *t;
		char err[128];
		ck_assert_int_eq(tlb_create(&t, &cfg, "tlb.l2", err, sizeof(err)), 0);
		tlb_destroy(t);
	}
}
END_TEST

Suite *tlb_suite(void)
{
	Suite *s = suite_create("tlb");
	TCase *tc = tcase_create("arrays");
	tcase_add_test(tc, tlb_lru_matches_reference_per_set);
	tcase_add_test(tc, tlb_plru_and_random_keep_recent_hot_page);
	tcase_add_test(tc, tlb_random_is_deterministic_for_a_seed);
	tcase_add_test(tc, tlb_tags_vmid_asid_and_global);
	tcase_add_test(tc, tlb_mixed_sizes_hit_at_their_own_size);
	tcase_add_test(tc, tlb_inline_hits_equal_the_probe_with_mixed_sizes);
	tcase_add_test(tc, tlb_invalidation_semantics);
	tcase_add_test(tc, tlb_refill_of_a_global_page_from_another_asid_is_in_place);
	tcase_add_test(tc, tlb_xor_index_spreads_strided_pages);
	tcase_add_test(tc, tlb_bad_geometry_is_refused);
	tcase_add_test(tc, tlb_ways_nearest_keeps_a_power_of_two_set_count);
	suite_add_tcase(s, tc);
	return s;
}
