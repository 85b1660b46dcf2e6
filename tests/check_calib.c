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

/* The start of a rise: a set-indexed TLB of 128 entries in 8 sets, walked
 * over consecutive pages, overflows one set at 129 pages and two at 130
 * (costs 10.3, 12.6 ns over a plateau at 8.5: both under 1.5 x 8.5 = 12.75,
 * so the plateau keeps them) and every set by 136; the next point, 160,
 * already has the walks' further misses (37.3). The middle of the rise,
 * sqrt(8.5 x 37.3) = 17.81 ns, falls between 130 and 160: 139 pages. The
 * start: 129 is the first point over 1.1 x 8.5 = 9.35 with its successor
 * over it too, so sqrt(128 x 129) = 128.50. A lone point over the bar (2.5
 * over 2.0, the next back at 2.0) is noise: the start is the later rise,
 * sqrt(96 x 128) = 110.85. */
START_TEST(calib_step_onset_is_where_the_rise_starts)
{
	const unsigned pages[] = { 64, 96, 128, 129, 130, 160, 256 };
	const double ns[] = { 8.5, 8.5, 8.5, 10.3, 12.6, 37.3, 37.4 };
	calib_plateau pl[4];
	ck_assert_uint_eq(calib_plateaus(ns, N(ns), CALIB_KNEE_FACTOR, pl, 4), 2);
	ck_assert_uint_eq(pl[0].last, 4);
	ck_assert(fabs(pl[0].level - 8.5) < 1e-12);
	double mid = calib_step_size(pages, ns, pl, 0, 1);
	ck_assert(mid > 138.8 && mid < 139.0);
	ck_assert(fabs(calib_step_onset(pages, ns, pl, 0, 1) - sqrt(128.0 * 129)) < 1e-9);
	unsigned e, w;
	calib_tlb_geometry(calib_step_onset(pages, ns, pl, 0, 1), 16, &e, &w);
	ck_assert_uint_eq(e, 128);   /* (fully associative by the rule below: the fit */
	ck_assert_uint_eq(w, 128);   /* takes the sets from the s8 and s512 curves) */
	calib_tlb_geometry(mid, 16, &e, &w);
	ck_assert_uint_eq(e, 136);   /* 8 x 17: the middle overshoots */

	const unsigned pg2[] = { 16, 32, 48, 64, 96, 128, 256 };
	const double ns2[] = { 2, 2, 2.5, 2, 2, 8, 8 };
	ck_assert_uint_eq(calib_plateaus(ns2, N(ns2), CALIB_KNEE_FACTOR, pl, 4), 2);
	ck_assert(fabs(calib_step_onset(pg2, ns2, pl, 0, 1) - sqrt(96.0 * 128)) < 1e-9);
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

/* ---------------------------------------------------------------- sets and ways */

/* A 2048-entry L2 TLB behind a 64-entry L1 TLB; pages 8 apart showed 256
 * (a step out of an L2-hit plateau at 256 pages), pages 512 apart no L2
 * plateau at all. Worked by hand, ways = 2048 / sets, capacity at stride S
 * = ways x max(1, sets / S):
 *   sets 2: 1024 ways, s8 1024 (ln 4), s512 1024 > 64 (ln 16): 4.16
 *   sets 4: 512, 512 (ln 2), 512 (ln 8): 2.77
 *   sets 8: 256, 256 (0), 256 (ln 4): 1.39
 *   sets 16: 128, 256 (0), 128 (ln 2): 0.69
 *   sets 32 .. 2048: ways 64 .. 1, s8 256 (0), s512 64 .. 4 (hidden: 0): 0
 * Seven geometries agree (ways 1..64); the preference 8 takes 256 x 8. */
START_TEST(calib_sets_from_strides)
{
	const unsigned strides[] = { 8, 512 };
	const double cap[] = { 256, CALIB_CAP_HIDDEN };
	calib_geom g;
	calib_tlb_sets(2048, 64, strides, cap, 2, 8, &g);
	ck_assert_uint_eq(g.sets, 256);
	ck_assert_uint_eq(g.ways, 8);
	ck_assert_uint_eq(g.consistent, 7);
	ck_assert_uint_eq(g.ways_lo, 1);
	ck_assert_uint_eq(g.ways_hi, 64);
	ck_assert(g.score == 0);
	/* a preference of 12: |ln(16/12)| = 0.288 beats |ln(8/12)| = 0.405 */
	calib_tlb_sets(2048, 64, strides, cap, 2, 12, &g);
	ck_assert_uint_eq(g.ways, 16);
	ck_assert_uint_eq(g.sets, 128);
}
END_TEST

/* Pages 512 apart showing 128 (above the L1 TLB's 64) tell the ways alone:
 * sets <= 512 give ways x 1 = 128, so 16 sets; s8 then holds 128 x 2 =
 * 256, as shown. Neighbours: 32 sets (64 ways: s512 64, ln 2 = 0.69 off),
 * 8 sets (256 ways: s512 256, ln 2 off): one geometry agrees, whatever the
 * preference. */
START_TEST(calib_ways_from_the_widest_stride)
{
	const unsigned strides[] = { 8, 512 };
	const double cap[] = { 256, 128 };
	calib_geom g;
	calib_tlb_sets(2048, 64, strides, cap, 2, 8, &g);
	ck_assert_uint_eq(g.sets, 16);
	ck_assert_uint_eq(g.ways, 128);
	ck_assert_uint_eq(g.consistent, 1);
	ck_assert_uint_eq(g.ways_lo, 128);
	ck_assert_uint_eq(g.ways_hi, 128);
	ck_assert(!g.xor_index);
	/* no conflicts at all, s8 and s512 both 2048: no linear geometry holds
	 * that (the best, 2 sets x 1024 ways, holds 1024 of each: 2 ln 2); an
	 * XOR index does from 512 sets up - 512 x 4 holds 4 x 512 of pages 8
	 * apart (8 < 512), 4 x 512^2/512 = 2048 of pages 512 apart; 1024 x 2
	 * and 2048 x 1 too (512 < sets); 256 x 8: 8 x 256^2/512 = 1024 (ln 2).
	 * The preference 8 takes the nearest ways of the three: 4. */
	const double flat[] = { 2048, 2048 };
	calib_tlb_sets(2048, 64, strides, flat, 2, 8, &g);
	ck_assert(g.xor_index);
	ck_assert_uint_eq(g.sets, 512);
	ck_assert_uint_eq(g.ways, 4);
	ck_assert_uint_eq(g.consistent, 3);
	ck_assert(g.score == 0);
}
END_TEST

/* Intel's sTLB as this host's curves show it (docs/calibrate-intel-xeon):
 * 2048 entries, pages 8 apart hold 2048, pages 512 apart 512. By hand:
 * XOR 128 x 16: s8 16 x 128 = 2048 (8 < 128), s512 16 x 128^2/512 = 512:
 * score 0. XOR 64 x 32: s8 2048, s512 32 x 8 = 256 (ln 2); XOR 256 x 8:
 * s512 8 x 128 = 1024 (ln 2). Linear 128 x 16: s8 16 x 16 = 256 (ln 8).
 * One geometry agrees: 128 x 16, XOR. */
START_TEST(calib_sets_xor_index_from_strides)
{
	const unsigned strides[] = { 8, 512 };
	const double cap[] = { 2048, 512 };
	calib_geom g;
	calib_tlb_sets(2048, 96, strides, cap, 2, 12, &g);
	ck_assert(g.xor_index);
	ck_assert_uint_eq(g.sets, 128);
	ck_assert_uint_eq(g.ways, 16);
	ck_assert_uint_eq(g.consistent, 1);
	ck_assert(g.score == 0);
}
END_TEST

/* The L1 TLB of this Intel host: the 4k step's middle at 106 pages, its
 * start at 103.7; pages 8 apart hold 13, pages 512 apart miss from the
 * first point (8). By hand, ways = round(103.7 / sets) (sets 1: 106):
 *   1 x 106: s8 106 (ln 8.15 = 2.10), s512 106 > 8 (ln 13.25 = 2.58)
 *   2 x 52: s8 52 (1.39), s512 52 (1.87); 4 x 26: 26 (0.69), 26 (1.18)
 *   8 x 13: s8 13 (0), s512 13 (ln 1.625 = 0.49)
 *   16 x 6: s8 6 x 2 = 12 (ln 13/12 = 0.080), s512 6 < 8 (0): 0.080
 *   32 x 3: s8 3 x 4 = 12 (0.080), s512 3 (0): 0.080
 *   64 x 2: s8 2 x 8 = 16 (ln 16/13 = 0.21): 0.21 (within 0.1 of 0.080? no)
 * 16 x 6 and 32 x 3 agree; the fewer sets: 16 x 6 = 96 (TLB;DR's LIN-16). */
START_TEST(calib_l1_sets_from_strides)
{
	const unsigned strides[] = { 8, 512 };
	const double cap[] = { 13, CALIB_CAP_HIDDEN };
	calib_geom g;
	calib_tlb1_sets(106, 103.7, strides, cap, 2, 8, &g);
	ck_assert_uint_eq(g.sets, 16);
	ck_assert_uint_eq(g.ways, 6);
	ck_assert_uint_eq(g.consistent, 2);
	ck_assert_uint_eq(g.ways_lo, 3);
	ck_assert_uint_eq(g.ways_hi, 6);
	/* AMD's: pages 8 and 512 apart both hold about the L1 TLB's 70:
	 * fully associative (1 x 78: ln(78/70) = 0.11 off, twice; 2 x 36 holds
	 * 36 of each: ln(70/36) = 0.66 off, twice) */
	const double amd[] = { 70, 70 };
	calib_tlb1_sets(78, 72, strides, amd, 2, 8, &g);
	ck_assert_uint_eq(g.sets, 1);
	ck_assert_uint_eq(g.ways, 78);
}
END_TEST

/* ---------------------------------------------------------------- latencies */

/* Points made from known latencies (L1D 3, L2 TLB 5, L2 12, LLC 40, memory
 * 300, 80 cycles per walk that the model lacks), the model run at LAT0 =
 * {4, 9, 14, 50, 200, 2, 2, 0}: MODEL = sum N x LAT0, MEASURED = sum N x
 * true (the per-walk part has LAT0 0). Each latency is alone on a point, or
 * the walk beside memory (p4 - p5 = 80): the fit recovers them; the stage-2
 * walk cache and the nested TLB are paid nowhere (share 0): not observable,
 * kept at 2. */
START_TEST(calib_linear_recovers_known_latencies)
{
	const double lat0[CALIB_LATS] = { 4, 9, 14, 50, 200, 2, 2, 0 };
	const double truth[CALIB_LATS] = { 3, 5, 12, 40, 300, 2, 2, 80 };
	const double n[6][CALIB_LATS] = {
		{ 1 }, { 1, 1 }, { 0, 0, 1 }, { 0, 0, 0, 1 },
		{ 0, 0, 0, 0, 1, 0, 0, 1 }, { 0, 0, 0, 0, 1 },
	};
	calib_obs o[6];
	for (int i = 0; i < 6; i++) {
		o[i] = (calib_obs){ .curve = 0 };
		for (int k = 0; k < CALIB_LATS; k++) {
			o[i].n[k] = n[i][k];
			o[i].model += n[i][k] * lat0[k];
			o[i].measured += n[i][k] * truth[k];
		}
	}
	int fit[CALIB_LATS] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	calib_lin_fit f;
	ck_assert_int_eq(calib_fit_linear(o, 6, lat0, fit, &f), 0);
	for (int k = 0; k < CALIB_LATS; k++)
		ck_assert_msg(fabs(f.value[k] - truth[k]) < 1e-3 * truth[k] + 1e-6,
			      "latency %d: %g, want %g", k, f.value[k], truth[k]);
	ck_assert_int_eq(f.fitted[CALIB_LAT_S2_WALK], 0);
	ck_assert_int_eq(f.fitted[CALIB_LAT_NTLB], 0);
	ck_assert_int_eq(f.fitted[CALIB_LAT_WALK], 1);
	ck_assert_int_eq(f.fitted[CALIB_LAT_MEM], 1);
	/* p4: 380 cycles, 80 of them the walk's: 21% of its cost */
	ck_assert(fabs(f.share[CALIB_LAT_WALK] - 80.0 / 380) < 1e-3);
	ck_assert_uint_eq(f.shown[CALIB_LAT_WALK], 1);
	ck_assert(f.error < 1e-4);
	/* a latency not asked for keeps LAT0 whatever the points say */
	fit[CALIB_LAT_L2] = 0;
	ck_assert_int_eq(calib_fit_linear(o, 6, lat0, fit, &f), 0);
	ck_assert(f.value[CALIB_LAT_L2] == 14 && !f.fitted[CALIB_LAT_L2]);
	ck_assert(fabs(calib_predict(&o[2], lat0, f.value) - 14) < 1e-9);
}
END_TEST

/* Two points say L1D = 3; a third (L1D + an L2 TLB lookup) measures 2,
 * which only a negative L2 TLB latency would explain. The sum of relative
 * errors is least at L1D 3 and the lookup 0 (2 against 3: 50% on one point;
 * L1D 2 would cost 33% on two): never a negative latency. Errors below the
 * 1% floor weigh alike, so the weighted least squares settle where
 * 2 x 100 x 2 (L1D - 3) / 9 + 2 x 2 (L1D - 2) / 4 = 0: L1D = 2.978. */
START_TEST(calib_linear_never_negative)
{
	const double lat0[CALIB_LATS] = { 4, 9, 14, 50, 200, 2, 2, 0 };
	calib_obs o[3] = {
		{ .measured = 3, .model = 4, .n = { 1 } },
		{ .measured = 3, .model = 4, .n = { 1 } },
		{ .measured = 2, .model = 13, .n = { 1, 1 } },
	};
	int fit[CALIB_LATS] = { 1, 1, 0, 0, 0, 0, 0, 0 };
	calib_lin_fit f;
	ck_assert_int_eq(calib_fit_linear(o, 3, lat0, fit, &f), 0);
	ck_assert_msg(fabs(f.value[CALIB_LAT_L1D] - 2.978) < 1e-3, "%g", f.value[CALIB_LAT_L1D]);
	ck_assert(f.value[CALIB_LAT_TLB_L2] == 0);
	/* 0, judged at LAT0: 9 of the 2.978 + 9 it would then cost, observable */
	ck_assert_int_eq(f.fitted[CALIB_LAT_TLB_L2], 1);
	ck_assert(fabs(f.share[CALIB_LAT_TLB_L2] - 9 / (f.value[CALIB_LAT_L1D] + 9)) < 1e-9);
	ck_assert(fabs(f.error - 0.022 / 3) < 1e-3);      /* median of .007, .007, .51 */
	ck_assert(fabs(f.mean_error - (0.044 / 3 + 0.978 / 2) / 3) < 1e-3);
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
	"# cpu MHz: 1500.000 (/proc/cpuinfo)\n"
	"# cpuid: L2 DTLB 4 KB 2048 entries 8 ways (synthetic)\n"
	"# cache: level 1 Data sets 64 ways 12 line 64 (sysfs /synthetic/index0)\n"
	"# cache: level 3 Unified sets 491520 ways 16 line 64 (sysfs /synthetic/index3)\n"
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
	/* the measuring machine's caches, as chase read its sysfs */
	ck_assert_uint_eq(h->ncache, 2);
	ck_assert_uint_eq(h->cache[0].level, 1);
	ck_assert_str_eq(h->cache[0].type, "Data");
	ck_assert(h->cache[0].sets == 64 && h->cache[0].ways == 12 && h->cache[0].line == 64);
	ck_assert_str_eq(h->cache[0].src, "/synthetic/index0");
	ck_assert(h->cache[1].level == 3 && h->cache[1].sets == 491520 && h->cache[1].ways == 16);
	/* its clock and CPUID L2 DTLB; core.freq_ghz, set, still wins (below) */
	ck_assert(h->table_mhz == 1500.0);
	ck_assert_uint_eq(h->cpuid_l2_entries, 2048);
	ck_assert_uint_eq(h->cpuid_l2_ways, 8);
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
		  ":2: bad row (mode 4k|2m|packed|s8|s512, pages 2..65536, packed lines "
		  "2..8388608, positive finite ns)" },
		{ "4k\t16\t1000\t2\t2\t2\t0\n4k\t8\t1000\t2\t2\t2\t0\n", TRACE_EFORMAT,
		  ":2: 4k pages must increase (8 after 16)" },
		/* 2^32 + 8 pages: refused, not read as 8 */
		{ "4k\t8\t1000\t2\t2\t2\t0\n4k\t4294967304\t1000\t2\t2\t2\t0\n", TRACE_EFORMAT,
		  ":2: bad row (mode 4k|2m|packed|s8|s512, pages 2..65536, packed lines "
		  "2..8388608, positive finite ns)" },
		{ "4k\t8\t0\t2\t2\t2\t0\n", TRACE_EFORMAT,
		  ":1: 4k 8: 0 accesses (a point times one access at least)" },
		{ "s8\t8\t1000\t2\t2.5\t3\t-1\n", TRACE_EFORMAT,
		  ":1: s8 8: ns_min 2.5, ns_median 2, ns_max 3 (min <= median <= max)" },
		{ "4k\t8\t1000\t1e300\t1e300\t1e300\t0\n", TRACE_EFORMAT,
		  ":1: 4k 8: 1e+300..1e+300 ns an access: no load takes less than 0.01 ns or "
		  "more than 1e+06 ns" },
		{ "# nothing\n", TRACE_EFORMAT,
		  ": no measured points (a chase table has rows 'mode pages accesses ns_median "
		  "ns_min ns_max thp_kb')" },
		{ "4k\t8\t1000\t2.0\n", TRACE_EFORMAT,
		  ":1: not a row of a chase table (mode pages accesses ns_median ns_min ns_max "
		  "thp_kb)" },
		/* two rounds (tables one after another, as --save writes them) must
		 * measure the same points; the line is the file's */
		{ "# chase: cpu \"X\", pinned to CPU 0, 1 runs per point (median), seed 1\n"
		  "4k\t8\t1000\t2\t2\t2\t0\n"
		  "# chase: cpu \"X\", pinned to CPU 0, 1 runs per point (median), seed 1\n"
		  "4k\t16\t1000\t2\t2\t2\t0\n", TRACE_EFORMAT,
		  ":4: round 2 measures other points than the first (4k 16)" },
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

/* Two rounds in one file: the median of the rounds' medians (of 2: their
 * mean) and the extremes of both; the load average of the first round's
 * start and the last one's end. */
START_TEST(calib_engine_reads_saved_rounds)
{
	static const char two[] =
		"# chase: cpu \"X\", pinned to CPU 0, 3 runs per point (median), seed 1\n"
		"# loadavg before: 1.50 1.00 1.00\n"
		"4k\t8\t1000\t2.000\t1.500\t2.500\t0\n"
		"s512\t8\t1000\t6.000\t5.000\t7.000\t0\n"
		"# loadavg after: 1.75 1.00 1.00\n"
		"# chase: cpu \"X\", pinned to CPU 0, 3 runs per point (median), seed 1\n"
		"# loadavg before: 2.50 1.00 1.00\n"
		"4k\t8\t1000\t3.000\t1.000\t3.500\t0\n"
		"s512\t8\t1000\t4.000\t3.000\t9.000\t0\n"
		"# loadavg after: 2.75 1.00 1.00\n";
	calibrate *c;
	char *path, err[512];
	ck_assert_msg(calib_load(two, &c, &path, err, sizeof(err)) == TRACE_OK, "%s", err);
	const calibrate_curve *k4 = calibrate_curve_of(c, CALIBRATE_4K);
	const calibrate_curve *s5 = calibrate_curve_of(c, CALIBRATE_S512);
	ck_assert(k4->n == 1 && k4->meas[0] == 2.5 && k4->mmin[0] == 1.0 && k4->mmax[0] == 3.5);
	ck_assert(s5->n == 1 && s5->meas[0] == 5.0 && s5->mmin[0] == 3.0 && s5->mmax[0] == 9.0);
	const calibrate_host *h = calibrate_host_of(c);
	ck_assert_uint_eq(h->rounds, 2);
	ck_assert(h->load_known && h->load[0] == 1.5 && h->load[1] == 2.75);
	ck_assert(h->loads[1][0] == 2.5 && h->loads[0][1] == 1.75);
	calibrate_destroy(c);
	unlink(path);
	free(path);
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
	tcase_add_test(tc, calib_step_onset_is_where_the_rise_starts);
	tcase_add_test(tc, calib_tlb_geometry_the_model_takes);
	tcase_add_test(tc, calib_sets_from_strides);
	tcase_add_test(tc, calib_ways_from_the_widest_stride);
	tcase_add_test(tc, calib_sets_xor_index_from_strides);
	tcase_add_test(tc, calib_l1_sets_from_strides);
	tcase_add_test(tc, calib_linear_recovers_known_latencies);
	tcase_add_test(tc, calib_linear_never_negative);
	tcase_add_test(tc, calib_median_even_and_odd);
	suite_add_tcase(s, tc);
	tc = tcase_create("engine");
	tcase_add_test(tc, calib_engine_reads_a_saved_table);
	tcase_add_test(tc, calib_engine_refuses_a_bad_table_by_line);
	tcase_add_test(tc, calib_engine_reads_saved_rounds);
	tcase_add_test(tc, calib_engine_missing_table);
	suite_add_tcase(s, tc);
	return s;
}
