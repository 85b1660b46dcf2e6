/*
 * sim/study/calib.h - the arithmetic of `slatsim calibrate` (issue 18): curves of
 * nanoseconds per access against a footprint in pages, their plateaus and
 * knees, and the fit of TLB sizes and latencies to a measured curve. No I/O:
 * the engine above it (sim/study/calibrate.c) measures and replays, the command
 * line (sim/cli/calibrate.c) prints; this file decides.
 *
 * A curve is a list of points (size, cost) with sizes increasing: the cost
 * of one dependent load when N pages (or N packed lines) are chased in one
 * random cycle. Hardware turns such a curve into steps: a flat stretch while
 * a structure (a TLB level, a cache level) holds the N entries, then a rise
 * where it stops holding them. The rules here are written so that the same
 * measured curve always gives the same answer, and so that one noisy point
 * (a neighbour's burst on a shared machine) does not make a knee.
 */
#ifndef SLATSIM_CALIB_H
#define SLATSIM_CALIB_H

#include <stddef.h>

/* Points of one curve at most (chase measures at most 128). */
#define CALIB_MAX_POINTS 256

/* A knee is a rise by more than this factor over the plateau before it. */
#define CALIB_KNEE_FACTOR 1.5

/* One flat stretch of a curve: points FIRST..LAST (indexes), at LEVEL. */
typedef struct calib_plateau {
	size_t first, last;
	double level;          /* the lower median of its points' costs */
} calib_plateau;

/* Split the curve NS[0..N-1] (costs at increasing sizes) into plateaus and
 * write at most MAX of them to OUT; returns how many were written.
 *
 * The first plateau starts at point 0. Point i starts a new plateau (the
 * curve has a knee at i) when its cost and the next point's are both above
 * FACTOR times the level of the current plateau - the lower median of the
 * costs of the points it holds so far; the last point of the curve needs
 * no second. Otherwise point i joins the current plateau, whatever its cost:
 * a lone spike, or a drop. The lower median (of an even count, the smaller
 * of the middle two) keeps one high point from lifting a level. With MAX
 * reached, later points join the last plateau written. N = 0 gives 0;
 * N is at most CALIB_MAX_POINTS. */
size_t calib_plateaus(const double *ns, size_t n, double factor, calib_plateau *out,
		      size_t max);

/* Where a rising curve crosses LEVEL between points I and I + 1 (the
 * costs are interpolated linearly in log(cost) against log(size)): the
 * size, or SIZES[I] / SIZES[I + 1] when LEVEL is outside their costs. */
double calib_crossing(const unsigned *sizes, const double *ns, size_t i, double level);

/* The size of a TLB whose step explains a transition of the curve from the
 * plateau BEFORE to the plateau AFTER (indexes into PL; BEFORE < AFTER):
 * where the curve crosses the geometric mean of their levels, between the
 * last point of BEFORE and the first of AFTER. An LRU TLB of E entries in a
 * random cycle of N pages hits every time for N <= E and misses every time
 * beyond, so the measured rise brackets E; a rise spread over several points
 * (pseudo-LRU, pages the benchmark itself uses, noise) is split in the
 * middle. Returns the size (not rounded). */
double calib_step_size(const unsigned *sizes, const double *ns, const calib_plateau *pl,
		       size_t before, size_t after);

/* The TLB geometry the model accepts nearest ENTRIES (rounded): up to
 * CALIB_FULLY_ASSOC entries, fully associative (ways = entries, as the L1
 * TLBs of AMD cores are); beyond, WAYS x 2^k with WAYS in [WAYS_PREF,
 * 2 WAYS_PREF) (entries/ways must be a power of two, sim/machine/params.c), the
 * nearest (the smaller on a tie). ENTRIES >= 1, WAYS_PREF in 1..512. */
#define CALIB_FULLY_ASSOC 128
void calib_tlb_geometry(double entries, unsigned ways_pref, unsigned *entries_out,
			unsigned *ways_out);

/* ---------------------------------------------------------------- latencies */

/* The latencies the fit adjusts, in the order it fits them. */
enum calib_lat {
	CALIB_LAT_L1D = 0,     /* cache.l1d.latency */
	CALIB_LAT_TLB_L2,      /* tlb.l2.latency: an L1 TLB miss that the L2 TLB serves */
	CALIB_LAT_L2,          /* cache.l2.latency */
	CALIB_LAT_LLC,         /* cache.llc.latency */
	CALIB_LAT_MEM,         /* cache.mem.latency */
	CALIB_LATS
};

/* What the model did at one point of a curve, per access. The model's cycles
 * are linear in each latency (a latency never changes what a TLB or cache
 * holds): MODEL = fixed + sum over k of N[k] x LAT[k], where N[k] counts the
 * times latency k was paid (accesses and descriptor reads served by a level,
 * L1 TLB misses looked up in the L2 TLB) and the fixed part is the rest
 * (walk-cache and nested-TLB lookups). */
typedef struct calib_obs {
	unsigned curve;             /* the caller's curve number (0..31) */
	double measured;            /* cycles: measured ns x core.freq_ghz */
	double model;               /* cycles at the latencies the model ran with */
	double n[CALIB_LATS];
} calib_obs;

/* The fitted value of one latency. */
typedef struct calib_lat_fit {
	int observed;               /* 0: no point qualified; VALUE is the old one */
	double value;               /* cycles, not rounded */
	size_t points;              /* the points it came from, */
	size_t first, last;         /* the first and last of them (indexes in OBS) */
} calib_lat_fit;

/* Fit each latency in the order of enum calib_lat. Latency k is fitted from
 * the points of a curve in CURVES[k] (a bit mask of curve numbers) where
 * N[k] >= 0.25 per access and every latency fitted after it is paid fewer
 * than 0.05 times per access: at such a point the cost of the access is
 * what k explains once the latencies before it are known. Its value is the
 * median over those points of
 *     (measured - fixed - sum over j != k of N[j] x L[j]) / N[k]
 * with L[j] the value fitted for j < k (the old one where j was not
 * observed) and the old value LAT[j] for j > k. A latency no point
 * qualifies for keeps LAT[k], with OBSERVED 0. Negative results are 0.
 * Returns 0, or -1 when out of memory (OUT untouched). */
int calib_fit_latencies(const calib_obs *obs, size_t n, const unsigned curves[CALIB_LATS],
			const double lat[CALIB_LATS], calib_lat_fit out[CALIB_LATS]);

/* The median of X[0..N-1] (the mean of the middle two for an even N; 0 for
 * N = 0). X is reordered. */
double calib_median(double *x, size_t n);

#endif
