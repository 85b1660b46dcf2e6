/*
 * tests/check_gen.c - synthetic generators.
 */
#include "check_util.h"

#include <math.h>

static trace_gen_config base_cfg(enum trace_gen_pattern p)
{
	trace_gen_config c = { .pattern = p, .base = 0x10000000, .footprint = 1 << 20,
			       .count = 4096, .stride = 4096, .size = 8, .write_ratio = 0.25,
			       .zipf_s = 1.0, .vcpus = 1, .icount = 1, .seed = 3 };
	return c;
}

static size_t gen_all(const trace_gen_config *c, trace_rec *out, size_t max)
{
	trace_gen *g;
	char err[256];
	ck_assert_msg(trace_gen_create(&g, c, err, sizeof(err)) == TRACE_OK, "%s", err);
	size_t n = 0, k;
	while ((k = trace_gen_next(g, out + n, max - n < 1000 ? max - n : 1000)) > 0)
		n += k;
	trace_gen_destroy(g);
	return n;
}

START_TEST(gen_seq_walks_in_size_steps)
{
	trace_gen_config c = base_cfg(TRACE_GEN_SEQ);
	static trace_rec r[4096];
	ck_assert_uint_eq(gen_all(&c, r, 4096), 4096);
	for (size_t i = 0; i < 4096; i++)
		ck_assert_uint_eq(r[i].gva, 0x10000000 + 8 * i);
}
END_TEST

START_TEST(gen_write_ratio_is_honoured)
{
	trace_gen_config c = base_cfg(TRACE_GEN_RANDOM);
	c.count = 100000;
	trace_rec *r = malloc(c.count * sizeof(*r));
	gen_all(&c, r, c.count);
	size_t w = 0;
	for (size_t i = 0; i < c.count; i++) {
		w += r[i].kind == TRACE_W;
		ck_assert(r[i].gva >= c.base && r[i].gva + r[i].size <= c.base + c.footprint);
		ck_assert_uint_eq(r[i].gva % 8, 0);
	}
	/* binomial(100000, 0.25): sd = 137; 5 sd */
	ck_assert_msg(labs((long)w - 25000) < 700, "writes %zu", w);
	free(r);
}
END_TEST

START_TEST(gen_zipf_rank_frequencies_follow_the_law)
{
	/* s = 1 over 256 pages: P(rank 1) / P(rank 2) = 2; the two most frequent
	 * pages must carry ratio about 2, and the hottest ~ 1/H(256) = 16%. */
	trace_gen_config c = base_cfg(TRACE_GEN_ZIPF);
	c.count = 200000;
	trace_rec *r = malloc(c.count * sizeof(*r));
	gen_all(&c, r, c.count);
	static unsigned cnt[256];
	memset(cnt, 0, sizeof(cnt));
	for (size_t i = 0; i < c.count; i++)
		cnt[(r[i].gva - c.base) >> 12]++;
	unsigned a = 0, b = 0;
	for (int i = 0; i < 256; i++) {
		if (cnt[i] > a) { b = a; a = cnt[i]; }
		else if (cnt[i] > b) b = cnt[i];
	}
	double h = 0;
	for (int k = 1; k <= 256; k++)
		h += 1.0 / k;
	ck_assert_msg(fabs((double)a / c.count - 1 / h) < 0.01, "top share %f", (double)a / c.count);
	ck_assert_msg(fabs((double)a / b - 2.0) < 0.1, "ratio %f", (double)a / b);
	free(r);
}
END_TEST

START_TEST(gen_chase_is_a_permutation_per_lap)
{
	trace_gen_config c = base_cfg(TRACE_GEN_CHASE);
	c.footprint = 1000 * 64;   /* not a power of two: cycle-walking */
	c.stride = 64;
	c.count = 2000;
	static trace_rec r[2000];
	gen_all(&c, r, 2000);
	static unsigned char seen[1000];
	for (int lap = 0; lap < 2; lap++) {
		memset(seen, 0, sizeof(seen));
		for (int i = 0; i < 1000; i++) {
			uint64_t e = (r[lap * 1000 + i].gva - c.base) / 64;
			ck_assert_uint_lt(e, 1000);
			ck_assert_uint_eq(seen[e], 0);
			seen[e] = 1;
		}
	}
	ck_assert_uint_eq(r[0].gva, r[1000].gva);   /* the same order every lap */
}
END_TEST

START_TEST(gen_gups_reads_then_writes_each_word)
{
	trace_gen_config c = base_cfg(TRACE_GEN_GUPS);
	static trace_rec r[4096];
	gen_all(&c, r, 4096);
	for (size_t i = 0; i < 4096; i += 2) {
		ck_assert_uint_eq(r[i].kind, TRACE_R);
		ck_assert_uint_eq(r[i + 1].kind, TRACE_W);
		ck_assert_uint_eq(r[i].gva, r[i + 1].gva);
	}
}
END_TEST

START_TEST(gen_vcpus_interleave_round_robin)
{
	trace_gen_config c = base_cfg(TRACE_GEN_SEQ);
	c.vcpus = 3;
	static trace_rec r[4096];
	gen_all(&c, r, 4096);
	for (size_t i = 0; i < 4096; i++)
		ck_assert_uint_eq(r[i].vcpu, i % 3);
}
END_TEST

START_TEST(gen_bad_config_names_the_field)
{
	trace_gen_config c = base_cfg(TRACE_GEN_CHASE);
	trace_gen *g;
	char err[256];
	c.stride = 4;
	ck_assert_int_ne(trace_gen_create(&g, &c, err, sizeof(err)), TRACE_OK);
	ck_assert_ptr_nonnull(strstr(err, "--stride"));
	c = base_cfg(TRACE_GEN_SEQ);
	c.footprint = 4;
	ck_assert_int_ne(trace_gen_create(&g, &c, err, sizeof(err)), TRACE_OK);
	ck_assert_ptr_nonnull(strstr(err, "--footprint"));
}
END_TEST

Suite *gen_suite(void)
{
	Suite *s = suite_create("gen");
	TCase *tc = tcase_create("patterns");
	tcase_add_test(tc, gen_seq_walks_in_size_steps);
	tcase_add_test(tc, gen_write_ratio_is_honoured);
	tcase_add_test(tc, gen_zipf_rank_frequencies_follow_the_law);
	tcase_add_test(tc, gen_chase_is_a_permutation_per_lap);
	tcase_add_test(tc, gen_gups_reads_then_writes_each_word);
	tcase_add_test(tc, gen_vcpus_interleave_round_robin);
	tcase_add_test(tc, gen_bad_config_names_the_field);
	suite_add_tcase(s, tc);
	return s;
}
