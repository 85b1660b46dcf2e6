/*
 * tests/check_calib.c - the arithmetic of `slatsim calibrate` (sim/study/calib.h):
 * plateaus and knees of synthetic curves, the size of a TLB step, the
 * geometry it is rounded to, and the latency fit, each worked out by hand
 * in the comments; and its engine (sim/study/calibrate.h) without the command
 * line: a saved chase table read into curves, and bad ones refused with a
 * code and a message naming the file and line (never an exit).
 */
#include "calib.h"
#include "calibrate.h"
#include "check_sim.h"
#include "check_util.h"

#include <math.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- plateaus */

/* Three steps: 1 ns to 3 (3 > 1.5 x 1, and the next too) and 3 to 9. */
START_TEST(calib_knees_of_a_staircase)
{
	const double ns[] = { 1, 1, 1, 3, 3, 3, 9, 9 };
	calib_plateau pl[8];
	size_t n = calib_plateaus(ns, N(ns), CALIB_KNEE_FACTOR, pl, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(pl[0].first, 0);
	ck_assert_uint_eq(pl[0].last, 2);
	ck_assert(pl[0].level == 1);
	ck_assert_uint_eq(pl[1].first, 3);
	ck_assert_uint_eq(pl[1].last, 5);
	ck_assert(pl[1].level == 3);
	ck_assert_uint_eq(pl[2].first, 6);
	ck_assert_uint_eq(pl[2].last, 7);
	ck_assert(pl[2].level == 9);
}
END_TEST

/* One high point whose neighbour is back on the plateau is noise: it joins
 * it, and the lower median of {1, 1, 5, 1, 1, 1} keeps the level at 1. */
START_TEST(calib_lone_spike_is_not_a_knee)
{
	const double ns[] = { 1, 1, 5, 1, 1, 1 };
	calib_plateau pl[4];
	ck_assert_uint_eq(calib_plateaus(ns, N(ns), CALIB_KNEE_FACTOR, pl, 4), 1);
	ck_assert_uint_eq(pl[0].last, 5);
	ck_assert(pl[0].level == 1);
}
END_TEST

/* The last point has no second to wait for: 4 > 1.5 x 1 is a knee. */
START_TEST(calib_last_point_rises_alone)
{
	const double ns[] = { 1, 1, 1, 4 };
	calib_plateau pl[4];
	ck_assert_uint_eq(calib_plateaus(ns, N(ns), CALIB_KNEE_FACTOR, pl, 4), 2);
	ck_assert_uint_eq(pl[1].first, 3);
}
END_TEST

/* A drop is never a knee; of {4, 4, 1, 1} sorted 1 1 4 4 the lower median
 * is the second, 1. */
START_TEST(calib_drop_joins_the_plateau)
{
	const double ns[] = { 4, 4, 1, 1 };
	calib_plateau pl[4];
	ck_assert_uint_eq(calib_plateaus(ns, N(ns), CALIB_KNEE_FACTOR, pl, 4), 1);
	ck_assert(pl[0].level == 1);
}
END_TEST

/* The rise must exceed the factor: 3 is not above 1.5 x 2. */
START_TEST(calib_rise_at_the_factor_is_not_a_knee)
{
	const double ns[] = { 2, 3, 3 };
	calib_plateau pl[4];
	ck_assert_uint_eq(calib_plateaus(ns, N(ns), CALIB_KNEE_FACTOR, pl, 4), 1);
}
END_TEST

/* With room for two plateaus, the rise to 9 joins the second. */
START_TEST(calib_plateaus_stop_at_max)
{
	const double ns[] = { 1, 3, 3, 9, 9 };
	calib_plateau pl[2];
	ck_assert_uint_eq(calib_plateaus(ns, N(ns), CALIB_KNEE_FACTOR, pl, 2), 2);
	ck_assert_uint_eq(pl[1].first, 1);
	ck_assert_uint_eq(pl[1].last, 4);
	ck_assert(pl[1].level == 3);   /* lower median of 3 3 9 9 */
	ck_assert_uint_eq(calib_plateaus(ns, 0, CALIB_KNEE_FACTOR, pl, 2), 0);
}
END_TEST

/* ---------------------------------------------------------------- TLB steps */

/* From 2 ns to 4 ns between 64 and 96 pages: the geometric mean of the
 * levels, sqrt(8) = 2.83, is half-way in log(cost), so the size is half-way
 * in log(pages): 64 x (96/64)^0.5 = 78.38. */
START_TEST(calib_step_is_split_in_the_middle)
{
	const unsigned pages[] = { 16, 32, 64, 96, 128, 256 };
	const double ns[] = { 2, 2, 2, 4, 4, 4 };
	calib_plateau pl[4];
	ck_assert_uint_eq(calib_plateaus(ns, N(ns), CALIB_KNEE_FACTOR, pl, 4), 2);
	double e = calib_step_size(pages, ns, pl, 0, 1);
	ck_assert(fabs(e - 78.3837) < 1e-3);
	ck_assert(fabs(calib_crossing(pages, ns, 2, sqrt(8.0)) - 78.3837) < 1e-3);
	/* Outside the two costs: the end the level is beyond. */
	ck_assert(calib_crossing(pages, ns, 2, 1.0) == 64);
	ck_assert(calib_crossing(pages, ns, 2, 5.0) == 96);
}
END_TEST

/* A rise spread over a point in the middle (2 -> 3 -> 8, levels 2 and 8):
 * the middle level is 4; 3 at 128 is below it, so the crossing is between
 * 128 and 256: t = ln(4/3)/ln(8/3) = 0.2933, 128 x 2^0.2933 = 156.9. */
START_TEST(calib_step_over_a_spread_rise)
{
	const unsigned pages[] = { 32, 64, 128, 256, 512 };
	const double ns[] = { 2, 2, 3, 8, 8 };
	calib_plateau pl[2] = { { .first = 0, .last = 1, .level = 2 },
				{ .first = 3, .last = 4, .level = 8 } };
	double e = calib_step_size(pages, ns, pl, 0, 1);
	ck_assert(fabs(e - 128 * pow(2, log(4.0 / 3) / log(8.0 / 3))) < 1e-6);
	ck_assert(e > 156.8 && e < 157.0);
}
END_TEST

/* Up to 128 entries a TLB is taken fully associative; beyond, ways x 2^k
 * with ways from the preference up to twice it, the nearest. */
START_TEST(calib_tlb_geometry_the_model_takes)
{
	unsigned e, w;
	calib_tlb_geometry(78.38, 4, &e, &w);
	ck_assert_uint_eq(e, 78);
	ck_assert_uint_eq(w, 78);
	/* 3547.2 / 256 = 13.86: 14 x 256 = 3584 (37 away) beats 13 x 256 = 3328. */
	calib_tlb_geometry(3547.24, 12, &e, &w);
	ck_assert_uint_eq(e, 3584);
	ck_assert_uint_eq(w, 14);
	/* 2712 / 128 = 21.19: 21 x 128 = 2688. */
	calib_tlb_geometry(2712, 12, &e, &w);
	ck_assert_uint_eq(e, 2688);
	ck_assert_uint_eq(w, 21);
	/* Exact ones stay: Skylake's 1536 x 12, a 2048 x 16. */
	calib_tlb_geometry(1536, 12, &e, &w);
	ck_assert_uint_eq(e, 1536);
	ck_assert_uint_eq(w, 12);
	calib_tlb_geometry(2048, 16, &e, &w);
	ck_assert_uint_eq(e, 2048);
	ck_assert_uint_eq(w, 16);
	/* 131 with 4..7 ways: 4 x 32 = 128 (3 away), 5 x 32 = 160, 7 x 16 = 112. */
	calib_tlb_geometry(131, 4, &e, &w);
	ck_assert_uint_eq(e, 128);
	ck_assert_uint_eq(w, 4);
}
END_TEST

/* ---------------------------------------------------------------- latencies */

/* Old latencies {L1D 4, TLB.L2 9, L2 14, LLC 50, MEM 200}; curve 2 is the
 * packed control, 0 the 4k curve, 1 the 2m curve (not allowed for any).
 *   p0, p1 (packed, all L1D): measured 3 and 3.2 -> L1D = median 3.1
 *   p2 (4k, L1D + one L2 TLB lookup, fixed 2): 11.1 = 2 + 3.1 + x -> 6
 *   p3 (packed, L2 and 0.02 L2 TLB): 12.12 = 0.02 x 6 + x -> 12 (the
 *       fitted TLB latency, not the old 9, is what it subtracts)
 *   p4 (packed, half L2 half LLC): 26 = 0.5 x 12 + 0.5 x -> 40; p4 is
 *       not an L2 point: its LLC share is above 0.05
 *   p5 (2m, nonsense) is in no allowed curve; nothing is served by memory. */
START_TEST(calib_latencies_fitted_in_order)
{
	const double old[CALIB_LATS] = { 4, 9, 14, 50, 200 };
	calib_obs o[6] = {
		{ .curve = 2, .measured = 3, .model = 4, .n = { 1, 0, 0, 0, 0 } },
		{ .curve = 2, .measured = 3.2, .model = 4, .n = { 1, 0, 0, 0, 0 } },
		{ .curve = 0, .measured = 11.1, .model = 2 + 4 + 9, .n = { 1, 1, 0, 0, 0 } },
		{ .curve = 2, .measured = 12.12, .model = 0.02 * 9 + 14, .n = { 0, 0.02, 1, 0, 0 } },
		{ .curve = 2, .measured = 26, .model = 7 + 25, .n = { 0, 0, 0.5, 0.5, 0 } },
		{ .curve = 1, .measured = 1000, .model = 13, .n = { 1, 1, 0, 0, 0 } },
	};
	const unsigned pk = 1u << 2, p4k = 1u << 0;
	const unsigned curves[CALIB_LATS] = { pk, p4k, pk, pk, pk };
	calib_lat_fit f[CALIB_LATS];
	ck_assert_int_eq(calib_fit_latencies(o, 6, curves, old, f), 0);
	ck_assert_int_eq(f[CALIB_LAT_L1D].observed, 1);
	ck_assert(fabs(f[CALIB_LAT_L1D].value - 3.1) < 1e-9);
	ck_assert_uint_eq(f[CALIB_LAT_L1D].points, 2);
	ck_assert_uint_eq(f[CALIB_LAT_L1D].first, 0);
	ck_assert_uint_eq(f[CALIB_LAT_L1D].last, 1);
	ck_assert(fabs(f[CALIB_LAT_TLB_L2].value - 6) < 1e-9);
	ck_assert_uint_eq(f[CALIB_LAT_TLB_L2].points, 1);
	ck_assert_uint_eq(f[CALIB_LAT_TLB_L2].first, 2);
	ck_assert(fabs(f[CALIB_LAT_L2].value - 12) < 1e-9);
	ck_assert_uint_eq(f[CALIB_LAT_L2].points, 1);
	ck_assert(fabs(f[CALIB_LAT_LLC].value - 40) < 1e-9);
	ck_assert_uint_eq(f[CALIB_LAT_LLC].first, 4);
	ck_assert_int_eq(f[CALIB_LAT_MEM].observed, 0);
	ck_assert(f[CALIB_LAT_MEM].value == 200);
}
END_TEST

/* A measurement below what the other latencies explain gives 0, not a
 * negative latency. */
START_TEST(calib_latency_never_negative)
{
	const double old[CALIB_LATS] = { 4, 9, 14, 50, 200 };
	calib_obs o = { .curve = 0, .measured = 1, .model = 4 + 9, .n = { 1, 1, 0, 0, 0 } };
	const unsigned all = 1u;
	const unsigned curves[CALIB_LATS] = { 0, all, 0, 0, 0 };
	calib_lat_fit f[CALIB_LATS];
	ck_assert_int_eq(calib_fit_latencies(&o, 1, curves, old, f), 0);
	ck_assert_int_eq(f[CALIB_LAT_TLB_L2].observed, 1);
	ck_assert(f[CALIB_LAT_TLB_L2].value == 0);
	ck_assert_int_eq(f[CALIB_LAT_L1D].observed, 0);
	ck_assert(f[CALIB_LAT_L1D].value == 4);
}
END_TEST

START_TEST(calib_median_even_and_odd)
{
	double a[] = { 5, 1, 3 }, b[] = { 4, 1, 3, 2 };
	ck_assert(calib_median(a, 3) == 3);
	ck_assert(calib_median(b, 4) == 2.5);
	ck_assert(calib_median(b, 0) == 0);
}
END_TEST

/* ---------------------------------------------------------------- the engine */

/* A chase table as tools/chase.c prints it: header comments, the column
 * line, then rows "mode pages accesses ns_median ns_min ns_max thp_kb". */
static const char calib_table[] =
	"# chase: cpu \"Synthetic CPU (R) 9000 @ 1.00GHz\", pinned to CPU 0, 3 runs per "
	"point (median), seed 5\n"
	"# clock: cpu (synthetic)\n"
	"mode\tpages\taccesses\tns_median\tns_min\tns_max\tthp_kb\n"
	"# 4k: arena 4096 kB (synthetic)\n"
	"4k\t8\t1000\t2.000\t1.800\t2.200\t0\n"
	"4k\t96\t1000\t4.000\t3.600\t4.400\t0\n"
	"packed\t8\t1000\t2.000\t1.900\t2.100\t2048\n";

/* An engine over the saved table TEXT (written to a file, whose path is
 * *PATH), core.freq_ghz=2 (no /proc/cpuinfo); the code of its measure. */
static int calib_load(const char *text, calibrate **c, char **path, char *err, size_t errlen)
{
	*path = tmp_write(text, strlen(text), ".tsv");
	const char *sets[] = { "core.freq_ghz=2", NULL };
	param_reg *p = sim_params(sets);
	calibrate_config cfg;
	calibrate_config_init(&cfg);
	cfg.measured = *path;
	ck_assert_int_eq(calibrate_create(c, &cfg, p, err, errlen), TRACE_OK);
	param_destroy(p);
	ck_assert_int_eq(calibrate_check(*c, err, errlen), TRACE_OK);
	return calibrate_measure(*c, err, errlen);
}

/* The rows become the curves (4k: 8 and 96 pages; packed: 8 lines; no 2m),
 * one round: the measured cost is the row's median, its extremes the row's;
 * the header names the CPU, the pinning, the runs and the seed. */
START_TEST(calib_engine_reads_a_saved_table)
{
	calibrate *c;
	char *path, err[512];
	ck_assert_msg(calib_load(calib_table, &c, &path, err, sizeof(err)) == TRACE_OK, "%s", err);
	const calibrate_curve *k4 = calibrate_curve_of(c, CALIBRATE_4K);
	ck_assert(k4->present && k4->n == 2);
	ck_assert_uint_eq(k4->pages[0], 8);
	ck_assert_uint_eq(k4->pages[1], 96);
	ck_assert(k4->meas[1] == 4.0 && k4->mmin[1] == 3.6 && k4->mmax[1] == 4.4);
	ck_assert(!calibrate_curve_of(c, CALIBRATE_2M)->present);
	const calibrate_curve *pk = calibrate_curve_of(c, CALIBRATE_PACKED);
	ck_assert(pk->present && pk->n == 1 && pk->thp_kb[0] == 2048);
	const calibrate_host *h = calibrate_host_of(c);
	ck_assert_str_eq(h->cpu, "Synthetic CPU (R) 9000 @ 1.00GHz");
	ck_assert_str_eq(h->pinning, "pinned to CPU 0");
	ck_assert_uint_eq(h->reps, 3);
	ck_assert_uint_eq(h->seed, 5);
	ck_assert_str_eq(h->timer, "cpu (synthetic)");
	ck_assert_str_eq(h->arena[CALIBRATE_4K], "arena 4096 kB (synthetic)");
	/* core.freq_ghz as set; cache.model on, calibrate's default */
	const char *src;
	ck_assert(calibrate_ghz(c, &src) == 2.0);
	ck_assert_str_eq(src, "core.freq_ghz as configured");
	ck_assert(calibrate_cache_default(c));
	ck_assert_str_eq(param_text(calibrate_params(c), "cache.model"), "on");
	/* lower case, "(R)" and "@ 1.00GHz" dropped, other runs one '-' */
	char preset[128];
	calibrate_default_preset(c, preset, sizeof(preset));
	ck_assert_str_eq(preset, "sim/configs/host-synthetic-cpu-9000.conf");
	calibrate_destroy(c);
	unlink(path);
	free(path);
}
END_TEST

/* Bad tables: a code and one line naming the file and the line. */
START_TEST(calib_engine_refuses_a_bad_table_by_line)
{
	static const struct {
		const char *text;
		int code;
		const char *msg;   /* after "PATH" */
	} bad[] = {
		{ "4k\t8\t1000\t2\t2\t2\t0\n4m\t8\t1000\t2\t2\t2\t0\n", TRACE_EFORMAT,
		  ":2: bad row (mode 4k|2m|packed, pages 2..65536, positive finite ns)" },
		{ "4k\t16\t1000\t2\t2\t2\t0\n4k\t8\t1000\t2\t2\t2\t0\n", TRACE_EFORMAT,
		  ":2: 4k pages must increase (8 after 16)" },
		{ "# nothing\n", TRACE_EFORMAT,
		  ": no measured points (a chase table has rows 'mode pages accesses ns_median "
		  "ns_min ns_max thp_kb')" },
		{ "4k\t8\t1000\t2.0\n", TRACE_EFORMAT,
		  ":1: not a row of a chase table (mode pages accesses ns_median ns_min ns_max "
		  "thp_kb)" },
	};
	for (size_t k = 0; k < N(bad); k++) {
		calibrate *c;
		char *path, err[512], want[512];
		ck_assert_int_eq(calib_load(bad[k].text, &c, &path, err, sizeof(err)), bad[k].code);
		snprintf(want, sizeof(want), "%s%s", path, bad[k].msg);
		ck_assert_str_eq(err, want);
		calibrate_destroy(c);
		unlink(path);
		free(path);
	}
}
END_TEST

/* A table that is not there is the input's fault (TRACE_EIO, exit 2 on the
 * command line), named as the option that gave it. */
START_TEST(calib_engine_missing_table)
{
	calibrate *c;
	char *path, err[512], want[512];
	ck_assert_int_eq(calib_load(calib_table, &c, &path, err, sizeof(err)), TRACE_OK);
	calibrate_destroy(c);
	unlink(path);
	const char *sets[] = { "core.freq_ghz=2", NULL };
	param_reg *p = sim_params(sets);
	calibrate_config cfg;
	calibrate_config_init(&cfg);
	cfg.measured = path;
	ck_assert_int_eq(calibrate_create(&c, &cfg, p, err, sizeof(err)), TRACE_OK);
	ck_assert_int_eq(calibrate_measure(c, err, sizeof(err)), TRACE_EIO);
	snprintf(want, sizeof(want), "--measured %s: No such file or directory", path);
	ck_assert_str_eq(err, want);
	calibrate_destroy(c);
	/* a saved table is one round: two are refused at create */
	cfg.rounds = 2;
	ck_assert_int_eq(calibrate_create(&c, &cfg, p, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_ptr_null(c);
	param_destroy(p);
	free(path);
}
END_TEST

Suite *calib_suite(void)
{
	Suite *s = suite_create("calib");
	TCase *tc = tcase_create("knees");
	tcase_add_test(tc, calib_knees_of_a_staircase);
	tcase_add_test(tc, calib_lone_spike_is_not_a_knee);
	tcase_add_test(tc, calib_last_point_rises_alone);
	tcase_add_test(tc, calib_drop_joins_the_plateau);
	tcase_add_test(tc, calib_rise_at_the_factor_is_not_a_knee);
	tcase_add_test(tc, calib_plateaus_stop_at_max);
	suite_add_tcase(s, tc);
	tc = tcase_create("fit");
	tcase_add_test(tc, calib_step_is_split_in_the_middle);
	tcase_add_test(tc, calib_step_over_a_spread_rise);
	tcase_add_test(tc, calib_tlb_geometry_the_model_takes);
	tcase_add_test(tc, calib_latencies_fitted_in_order);
	tcase_add_test(tc, calib_latency_never_negative);
	tcase_add_test(tc, calib_median_even_and_odd);
	suite_add_tcase(s, tc);
	tc = tcase_create("engine");
	tcase_add_test(tc, calib_engine_reads_a_saved_table);
	tcase_add_test(tc, calib_engine_refuses_a_bad_table_by_line);
	tcase_add_test(tc, calib_engine_missing_table);
	suite_add_tcase(s, tc);
	return s;
}
