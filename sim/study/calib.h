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

/* Where the curve leaves the plateau BEFORE on its way to AFTER (indexes
 * into PL; BEFORE < AFTER): the first point past BEFORE's first whose cost,
 * and the next point's (a lone spike is noise, as in calib_plateaus), are
 * more than CALIB_ONSET_RISE times BEFORE's level, and the point before it;
 * returns the geometric mean of their sizes (SIZES of AFTER's first point
 * if no point before it rises).
 * Why beside calib_step_size: a TLB indexed by the low page-number bits,
 * walked in a cycle of N consecutive pages, gets N/SETS pages in each set,
 * so whatever its replacement no set overflows while N <= E and one does at
 * E + 1: the rise starts at E. Under LRU the sets then overflow one by one
 * until E + SETS, and whatever else the walks start to miss (a nested TLB
 * the walks' pages overflow) rises within the same span, so the middle of
 * the rise lies past E. Sparse points widen that: in the calibrate round
 * trip (128 entries in 8 sets, points at 128, 130 and 160 pages) the middle
 * reads 139 pages, the onset 129. */
#define CALIB_ONSET_RISE 1.1
double calib_step_onset(const unsigned *sizes, const double *ns, const calib_plateau *pl,
			size_t before, size_t after);

/* The TLB geometry the model accepts nearest ENTRIES (rounded): up to
 * CALIB_FULLY_ASSOC entries, fully associative (ways = entries, as the L1
 * TLBs of AMD cores are); beyond, WAYS x 2^k with WAYS in [WAYS_PREF,
 * 2 WAYS_PREF) (entries/ways must be a power of two, sim/machine/params.c), the
 * nearest (the smaller on a tie). ENTRIES >= 1, WAYS_PREF in 1..512. */
#define CALIB_FULLY_ASSOC 128
void calib_tlb_geometry(double entries, unsigned ways_pref, unsigned *entries_out,
			unsigned *ways_out);

/* The L2 TLB's sets and ways from what strided patterns see of it. A TLB
 * of SETS x WAYS entries indexed by the low page-number bits (the model's
 * tlb.c: set = VPN mod SETS) holds, of pages S apart, WAYS x max(1, SETS/S)
 * (pages S apart use SETS/S of the sets, or one): its capacity at stride S.
 * A capacity at most the L1 TLB's entries is hidden - the L1 TLB holds
 * those pages and the pattern goes from L1 hits straight to walks.
 *
 * STRIDES[0..N-1] are the strides measured and CAP[k] the capacity the
 * curve of stride STRIDES[k] showed (its L2-TLB step), or CALIB_CAP_HIDDEN
 * when it showed none (no plateau of L2-TLB hits). ENTRIES is the L2 TLB's
 * size (stride 1), a power-of-two multiple of some ways; L1 the L1 TLB's.
 * Every SETS = 2^j dividing ENTRIES (WAYS = ENTRIES / SETS, at most
 * CALIB_MAX_WAYS) is scored: a shown capacity adds |ln(predicted / shown)|,
 * a hidden one ln(predicted / L1) when the prediction is above L1. The
 * lowest score wins; candidates within CALIB_GEOM_TIE of it are all
 * consistent with the curves, and of those the one whose ways are nearest
 * WAYS_PREF (in ln; the fewer ways on a tie) is taken - the caller passes
 * what the hardware reports (CPUID) or the configuration's. Writes the
 * choice and the range of consistent ways. ENTRIES >= 1, WAYS_PREF >= 1.
 *
 * Each SETS > 1 is tried indexed both ways (tlb.h's tlb_index): linear as
 * above, and XOR - the low n bits of the page number XOR the next n, SETS =
 * 2^n, as Intel's shared sTLB (TLB;DR's "XOR-7") - which holds WAYS x SETS
 * pages S apart while S < SETS (the fold reaches every set), WAYS x
 * max(1, SETS^2/S) from there (only the upper half of the fold varies).
 * Between a linear and an XOR candidate equally near WAYS_PREF the lower
 * score wins, linear on a tie (with SETS = 1 they are one TLB). */
#define CALIB_CAP_HIDDEN 0.0
#define CALIB_MAX_WAYS 1024u
#define CALIB_GEOM_TIE 0.1
typedef struct calib_geom {
	unsigned sets, ways;
	unsigned ways_lo, ways_hi;  /* the ways every consistent candidate has, min and max */
	double score;               /* of the choice */
	size_t consistent;          /* candidates within CALIB_GEOM_TIE of the best */
	int xor_index;              /* the choice is XOR-indexed (TLB_INDEX_XOR) */
} calib_geom;
void calib_tlb_sets(unsigned entries, unsigned l1, const unsigned *strides, const double *cap,
		    size_t n, unsigned ways_pref, calib_geom *out);

/* The L1 TLB's sets and ways from the same strided patterns (linear
 * indexing: TLB;DR finds Intel's L1 dTLB "LIN-16", 16 sets). MID is the
 * size the 4k curve's first step crosses at (its middle), ONSET where it
 * starts (calib_step_onset): fully associative, a TLB holds MID entries; of
 * 2^j sets, round(ONSET / 2^j) ways - a set-indexed TLB over consecutive
 * pages overflows no set until N passes its entries, so its size is where
 * the rise starts. CAP[k] is what stride STRIDES[k] showed of it, or
 * CALIB_CAP_HIDDEN when that curve starts above the L1-hit level (its
 * capacity is below HIDDEN, the curve's first point). Scored as
 * calib_tlb_sets; of the candidates within CALIB_GEOM_TIE of the best the
 * fewest sets are taken (the least conflict that explains the curves).
 * MID, ONSET >= 1. */
void calib_tlb1_sets(double mid, double onset, const unsigned *strides, const double *cap,
		     size_t n, unsigned hidden, calib_geom *out);

/* ---------------------------------------------------------------- latencies */

/* The latencies the fit adjusts, each a key of the model. The last two are
 * not lookups: what every host walk and every walk cost beyond their lookups
 * and descriptor reads (the walker's start, the TLB fill). */
enum calib_lat {
	CALIB_LAT_L1D = 0,     /* cache.l1d.latency */
	CALIB_LAT_TLB_L2,      /* tlb.l2.latency: an L1 TLB miss that the L2 TLB serves */
	CALIB_LAT_L2,          /* cache.l2.latency */
	CALIB_LAT_LLC,         /* cache.llc.latency */
	CALIB_LAT_MEM,         /* cache.mem.latency */
	CALIB_LAT_S2_WALK,     /* walk.s2_fixed: a stage-2 (host) walk */
	CALIB_LAT_NTLB,        /* ntlb.latency: a nested-TLB hit */
	CALIB_LAT_WALK,        /* walk.fixed: a walk */
	CALIB_LATS
};

/* What the model did at one point of a curve, per access. The model's cycles
 * are linear in each latency (a latency never changes what a TLB or cache
 * holds): MODEL = base + sum over k of N[k] x LAT0[k], where N[k] counts the
 * times latency k was paid (accesses and descriptor reads served by a level,
 * L1 TLB misses looked up in the L2 TLB, host walks that hit the stage-2
 * walk cache, nested-TLB hits, walks) and the base is the rest (stage-1
 * walk-cache lookups). */
typedef struct calib_obs {
	unsigned curve;             /* the caller's curve number */
	double measured;            /* cycles: measured ns x core.freq_ghz */
	double model;               /* cycles at the latencies LAT0 the model ran with */
	double n[CALIB_LATS];
} calib_obs;

/* The fit of the latencies. */
typedef struct calib_lin_fit {
	double value[CALIB_LATS];   /* cycles, not rounded */
	int fitted[CALIB_LATS];     /* 1: from the points; 0: LAT0 kept (not asked, or not
				     * observable: no point where it is CALIB_SHARE of the cost) */
	double share[CALIB_LATS];   /* the largest share of a point's modelled cost it had */
	size_t shown[CALIB_LATS];   /* points where its share is at least CALIB_SHARE */
	double error;               /* median |predicted - measured| / measured over the points */
	double mean_error;          /* their mean (what the fit minimises, but for the ridge) */
} calib_lin_fit;

#define CALIB_SHARE 0.10   /* a latency is observed where it is this much of a point's cost */

/* The predicted cycles of O at latencies L: its base plus N[k] x L[k]. */
double calib_predict(const calib_obs *o, const double lat0[CALIB_LATS],
		     const double l[CALIB_LATS]);

/* Fit the latencies FIT[k] != 0 to the points OBS[0..N-1] (the others keep
 * LAT0): the non-negative values that minimise the sum over the points of
 * |predicted - measured| / measured, plus a ridge of N x CALIB_RIDGE x
 * ((L[k] - LAT0[k]) / max(LAT0[k], 10))^2 that settles what the points
 * cannot tell apart at the configuration's value (small: 80 cycles away
 * from 0 weighs as 0.006% of error on every point). Solved by iteratively
 * reweighted least squares (weights 1 / max(|error|, 1%): errors below 1%,
 * the measurement's noise, are not told apart; 40 rounds) over a projected
 * Gauss-Seidel (non-negativity). Then a latency that is nowhere
 * CALIB_SHARE of a point's modelled cost is not observable: it is set back
 * to LAT0 and the rest fitted again. Deterministic. Returns 0, or -1 when
 * out of memory. */
#define CALIB_RIDGE 1e-6
int calib_fit_linear(const calib_obs *obs, size_t n, const double lat0[CALIB_LATS],
		     const int fit[CALIB_LATS], calib_lin_fit *out);

/* The median of X[0..N-1] (the mean of the middle two for an even N; 0 for
 * N = 0). X is reordered. */
double calib_median(double *x, size_t n);

#endif
