/*
 * tests/check_stats.c - the statistics registry.
 */
#include "check_util.h"
#include "stats.h"

START_TEST(stats_counters_read_in_place)
{
	stats_reg *r = stats_create();
	uint64_t a = 0, b = 0;
	stats_add(r, "tlb.l1d.hits", &a, "h");
	stats_add(r, "tlb.l1d.misses", &b, "m");
	stats_add_ratio(r, "tlb.l1d.miss_rate", "tlb.l1d.misses", "tlb.l1d.hits", "r");
	ck_assert(stats_ratio_at(r, 2) == 0.0);   /* 0 / 0 reads as 0 */
	a = 30;
	b = 10;
	int found;
	ck_assert_uint_eq(stats_get(r, "tlb.l1d.hits", &found), 30);
	ck_assert_int_eq(found, 1);
	ck_assert(stats_ratio_at(r, 2) == 10.0 / 30.0);
	stats_get(r, "nope", &found);
	ck_assert_int_eq(found, 0);
	ck_assert_str_eq(stats_name_at(r, 1), "tlb.l1d.misses");
	stats_destroy(r);
}
END_TEST

START_TEST(stats_sum_over_per_vcpu_structs)
{
	struct v { uint64_t x, y; } cpus[3] = { { 1, 100 }, { 2, 200 }, { 4, 400 } };
	stats_reg *r = stats_create();
	stats_add_sum(r, "x", &cpus[0].x, sizeof(cpus[0]), 3, "x");
	stats_add_sum(r, "y", &cpus[0].y, sizeof(cpus[0]), 3, "y");
	ck_assert_uint_eq(stats_value_at(r, 0), 7);
	ck_assert_uint_eq(stats_value_at(r, 1), 700);
	stats_destroy(r);
}
END_TEST

Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("registry");
	tcase_add_test(tc, stats_counters_read_in_place);
	tcase_add_test(tc, stats_sum_over_per_vcpu_structs);
	suite_add_tcase(s, tc);
	return s;
}
