/*
 * sim/study/calib.c - plateaus, knees and the fit of `slatsim calibrate` (see
 * calib.h for the rules; this file only implements them).
 */
#include "calib.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double calib_median(double *x, size_t n)
{
	if (n == 0)
		return 0;
	qsort(x, n, sizeof(*x), cmp_double);
	return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

/* The lower median of NS[FIRST..LAST]: of an even count, the smaller of the
 * middle two. */
static double lower_median(const double *ns, size_t first, size_t last)
{
	double t[CALIB_MAX_POINTS];
	size_t k = last - first + 1;
	for (size_t i = 0; i < k; i++)
		t[i] = ns[first + i];
	qsort(t, k, sizeof(*t), cmp_double);
	return t[(k - 1) / 2];
}

/* ---------------------------------------------------------------- plateaus */

size_t calib_plateaus(const double *ns, size_t n, double factor, calib_plateau *out,
		      size_t max)
{
	assert(n <= CALIB_MAX_POINTS && "calib_plateaus: a curve of at most CALIB_MAX_POINTS");
	if (n == 0 || max == 0)
		return 0;
	size_t np = 1;
	calib_plateau *cur = &out[0];
	*cur = (calib_plateau){ .first = 0, .last = 0, .level = ns[0] };
	for (size_t i = 1; i < n; i++) {
		double bar = factor * cur->level;
		int rises = ns[i] > bar && (i + 1 == n || ns[i + 1] > bar);
		if (rises && np < max) {
			cur = &out[np++];
			*cur = (calib_plateau){ .first = i, .last = i, .level = ns[i] };
			continue;
		}
		cur->last = i;
		cur->level = lower_median(ns, cur->first, cur->last);
	}
	return np;
}

/* ---------------------------------------------------------------- TLB sizes */

double calib_crossing(const unsigned *sizes, const double *ns, size_t i, double level)
{
	double a = ns[i], b = ns[i + 1];
	if (!(level > a))
		return sizes[i];
	if (!(level < b))
		return sizes[i + 1];
	double t = (log(level) - log(a)) / (log(b) - log(a));
	return exp(log(sizes[i]) + t * (log(sizes[i + 1]) - log(sizes[i])));
}

double calib_step_size(const unsigned *sizes, const double *ns, const calib_plateau *pl,
		       size_t before, size_t after)
{
	assert(before < after && "calib_step_size: BEFORE precedes AFTER");
	double mid = sqrt(pl[before].level * pl[after].level);
	size_t lo = pl[before].last, hi = pl[after].first;
	/* The first pair of neighbours whose costs straddle the middle level. */
	for (size_t i = lo; i < hi; i++)
		if (ns[i + 1] > mid)
			return calib_crossing(sizes, ns, i, mid);
	return sizes[hi];
}

double calib_step_onset(const unsigned *sizes, const double *ns, const calib_plateau *pl,
			size_t before, size_t after)
{
	assert(before < after && "calib_step_onset: BEFORE precedes AFTER");
	double bar = CALIB_ONSET_RISE * pl[before].level;
	size_t hi = pl[after].first;
	for (size_t i = pl[before].first + 1; i <= hi; i++)
		if (ns[i] > bar && (i == hi || ns[i + 1] > bar))
			return sqrt((double)sizes[i - 1] * sizes[i]);
	return sizes[hi];
}

void calib_tlb_geometry(double entries, unsigned ways_pref, unsigned *entries_out,
			unsigned *ways_out)
{
	assert(entries >= 1 && ways_pref >= 1 && ways_pref <= 512 &&
	       "calib_tlb_geometry: entries >= 1, ways 1..512");
	unsigned e = (unsigned)lround(entries);
	if (e <= CALIB_FULLY_ASSOC) {
		*entries_out = *ways_out = e;
		return;
	}
	unsigned best = 0, best_w = ways_pref;
	for (unsigned sets = 1; (double)sets * ways_pref <= 2.0 * e; sets *= 2) {
		for (unsigned w = ways_pref; w < 2 * ways_pref; w++) {
			unsigned cand = w * sets;
			unsigned d = cand > e ? cand - e : e - cand;
			unsigned bd = best > e ? best - e : e - best;
			if (!best || d < bd || (d == bd && cand < best)) {
				best = cand;
				best_w = w;
			}
		}
	}
	*entries_out = best;
	*ways_out = best_w;
}

/* ---------------------------------------------------------------- sets and ways */

/* Pages STRIDE apart that a TLB of SETS x WAYS holds (calib.h). */
static double tlb_stride_holds(unsigned sets, unsigned ways, unsigned stride, int xor_index)
{
	if (!xor_index)
		return (double)ways * (stride < sets ? sets / stride : 1);
	if (stride < sets)
		return (double)ways * sets;
	double reach = (double)sets * sets / stride;   /* the fold's upper half's sets */
	return (double)ways * (reach > 1 ? reach : 1);
}

/* How far a TLB of SETS x WAYS is from what the stride curves showed: a
 * shown capacity adds |ln(predicted / shown)|, a hidden one ln(predicted /
 * HIDDEN) when the prediction is above HIDDEN (calib.h). */
static double stride_score(unsigned sets, unsigned ways, int xor_index, const unsigned *strides,
			   const double *cap, size_t n, double hidden)
{
	double sc = 0;
	for (size_t k = 0; k < n; k++) {
		double pred = tlb_stride_holds(sets, ways, strides[k], xor_index);
		if (cap[k] > CALIB_CAP_HIDDEN)
			sc += fabs(log(pred / cap[k]));
		else if (pred > hidden)
			sc += log(pred / hidden);
	}
	return sc;
}

void calib_tlb_sets(unsigned entries, unsigned l1, const unsigned *strides, const double *cap,
		    size_t n, unsigned ways_pref, calib_geom *out)
{
	assert(entries >= 1 && ways_pref >= 1 && "calib_tlb_sets: entries, ways >= 1");
	double score[64];
	unsigned sets_of[64];
	int xor_of[64];
	size_t nc = 0;
	for (unsigned sets = 1; sets <= entries && nc + 2 <= 64; sets *= 2) {
		if (entries % sets || entries / sets > CALIB_MAX_WAYS)
			continue;
		unsigned ways = entries / sets;
		for (int x = 0; x < (sets > 1 ? 2 : 1); x++) {
			sets_of[nc] = sets;
			xor_of[nc] = x;
			score[nc++] = stride_score(sets, ways, x, strides, cap, n, l1);
		}
	}
	assert(nc && "calib_tlb_sets: some sets divide the entries");
	double best = score[0];
	for (size_t i = 1; i < nc; i++)
		best = fmin(best, score[i]);
	*out = (calib_geom){ .ways_lo = UINT32_MAX };
	double near = INFINITY;
	for (size_t i = 0; i < nc; i++) {
		if (score[i] > best + CALIB_GEOM_TIE)
			continue;
		unsigned w = entries / sets_of[i];
		out->consistent++;
		out->ways_lo = w < out->ways_lo ? w : out->ways_lo;
		out->ways_hi = w > out->ways_hi ? w : out->ways_hi;
		double d = fabs(log((double)w / ways_pref));
		/* nearest the preference; on a tie the fewer ways (sets grow);
		 * at the same ways (linear, XOR) the lower score */
		if (d < near - 1e-12 || (fabs(d - near) <= 1e-12 && w < out->ways) ||
		    (fabs(d - near) <= 1e-12 && w == out->ways && score[i] < out->score - 1e-12)) {
			near = d;
			out->sets = sets_of[i];
			out->ways = w;
			out->score = score[i];
			out->xor_index = xor_of[i];
		}
	}
}

void calib_tlb1_sets(double mid, double onset, const unsigned *strides, const double *cap,
		     size_t n, unsigned hidden, calib_geom *out)
{
	assert(mid >= 1 && onset >= 1 && "calib_tlb1_sets: sizes >= 1");
	*out = (calib_geom){ .score = INFINITY };
	double best = INFINITY, score[16];
	unsigned sets_of[16], ways_of[16];
	size_t nc = 0;
	for (unsigned sets = 1; sets <= onset && nc < 16; sets *= 2) {
		long w = lround(sets == 1 ? mid : onset / sets);
		if (w < 1 || (unsigned long)w > CALIB_MAX_WAYS)
			continue;
		double sc = stride_score(sets, (unsigned)w, 0, strides, cap, n, hidden);
		sets_of[nc] = sets;
		ways_of[nc] = (unsigned)w;
		score[nc++] = sc;
		best = fmin(best, sc);
	}
	assert(nc && "calib_tlb1_sets: one set at least");
	for (size_t i = 0; i < nc; i++) {
		if (score[i] > best + CALIB_GEOM_TIE)
			continue;
		if (!out->consistent++) {   /* the fewest sets: the first within the tie */
			out->sets = sets_of[i];
			out->ways = ways_of[i];
			out->score = score[i];
			out->ways_lo = out->ways_hi = ways_of[i];
		}
		out->ways_lo = ways_of[i] < out->ways_lo ? ways_of[i] : out->ways_lo;
		out->ways_hi = ways_of[i] > out->ways_hi ? ways_of[i] : out->ways_hi;
	}
}

/* ---------------------------------------------------------------- latencies */

#define CALIB_IRLS_ROUNDS 40
#define CALIB_IRLS_FLOOR 0.01     /* |error| below this weighs as this */
#define CALIB_GS_SWEEPS 400
#define CALIB_RIDGE_SCALE 10.0    /* cycles: the ridge's unit for small LAT0 */

double calib_predict(const calib_obs *o, const double lat0[CALIB_LATS],
		     const double l[CALIB_LATS])
{
	double p = o->model;
	for (int k = 0; k < CALIB_LATS; k++)
		p += o->n[k] * (l[k] - lat0[k]);
	return p;
}

/* Minimise sum_i w_i (x_i . l + c_i - y_i)^2 / y_i^2 + ridge over the free
 * latencies, l >= 0, by projected Gauss-Seidel from L (updated in place). */
static void weighted_ls(const calib_obs *obs, size_t n, const double *w, const double lat0[],
			const int free_[], double lambda, double l[])
{
	double a[CALIB_LATS][CALIB_LATS] = { { 0 } }, b[CALIB_LATS] = { 0 };
	for (size_t i = 0; i < n; i++) {
		const calib_obs *o = &obs[i];
		double y = o->measured, c = o->model;
		for (int k = 0; k < CALIB_LATS; k++)   /* c: the fixed part at the free ones' 0 */
			c -= free_[k] ? o->n[k] * lat0[k] : 0;
		double wi = w[i] / (y * y);
		for (int j = 0; j < CALIB_LATS; j++) {
			if (!free_[j])
				continue;
			b[j] += wi * o->n[j] * (y - c);
			for (int k = 0; k < CALIB_LATS; k++)
				if (free_[k])
					a[j][k] += wi * o->n[j] * o->n[k];
		}
	}
	for (int k = 0; k < CALIB_LATS; k++) {
		if (!free_[k])
			continue;
		double s = fmax(lat0[k], CALIB_RIDGE_SCALE);
		a[k][k] += lambda / (s * s);
		b[k] += lambda * lat0[k] / (s * s);
	}
	for (int sweep = 0; sweep < CALIB_GS_SWEEPS; sweep++)
		for (int k = 0; k < CALIB_LATS; k++) {
			if (!free_[k] || !(a[k][k] > 0))
				continue;
			double r = b[k];
			for (int j = 0; j < CALIB_LATS; j++)
				if (j != k && free_[j])
					r -= a[k][j] * l[j];
			l[k] = fmax(0, r / a[k][k]);
		}
}

/* The IRLS fit of the free latencies into L (from LAT0). */
static void irls(const calib_obs *obs, size_t n, const double lat0[], const int free_[],
		 double *w, double l[])
{
	for (int k = 0; k < CALIB_LATS; k++)
		l[k] = lat0[k];
	for (size_t i = 0; i < n; i++)
		w[i] = 1;
	for (int round = 0; round < CALIB_IRLS_ROUNDS; round++) {
		weighted_ls(obs, n, w, lat0, free_, CALIB_RIDGE * (double)n, l);
		for (size_t i = 0; i < n; i++) {
			double e = fabs(calib_predict(&obs[i], lat0, l) - obs[i].measured) /
				   obs[i].measured;
			w[i] = 1 / fmax(e, CALIB_IRLS_FLOOR);
		}
	}
}

int calib_fit_linear(const calib_obs *obs, size_t n, const double lat0[CALIB_LATS],
		     const int fit[CALIB_LATS], calib_lin_fit *out)
{
	double *w = malloc((n ? n : 1) * sizeof(*w));
	if (!w)
		return -1;
	int free_[CALIB_LATS];
	for (int k = 0; k < CALIB_LATS; k++)
		free_[k] = fit[k] != 0;
	memset(out, 0, sizeof(*out));
	for (int pass = 0; pass <= CALIB_LATS; pass++) {   /* each pass drops one at least */
		irls(obs, n, lat0, free_, w, out->value);
		/* Observability: the share of each latency in each point's cost. */
		int dropped = 0;
		for (int k = 0; k < CALIB_LATS; k++) {
			out->share[k] = 0;
			out->shown[k] = 0;
			for (size_t i = 0; i < n; i++) {
				double p = calib_predict(&obs[i], lat0, out->value);
				double sh = p > 0 ? obs[i].n[k] * out->value[k] / p : 0;
				/* a latency fitted to 0 is judged by what LAT0 would have
				 * been, in the cost it would then have had (not in P,
				 * which lacks it: that gave shares past 100%) */
				double p0 = p + obs[i].n[k] * lat0[k];
				if (out->value[k] == 0)
					sh = p0 > 0 ? obs[i].n[k] * lat0[k] / p0 : 0;
				out->share[k] = fmax(out->share[k], sh);
				out->shown[k] += sh >= CALIB_SHARE;
			}
			if (free_[k] && out->shown[k] == 0) {
				free_[k] = 0;
				dropped = 1;
			}
		}
		if (!dropped)
			break;
	}
	for (int k = 0; k < CALIB_LATS; k++) {
		out->fitted[k] = free_[k];
		if (!free_[k])
			out->value[k] = lat0[k];
	}
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		w[i] = fabs(calib_predict(&obs[i], lat0, out->value) - obs[i].measured) /
		       obs[i].measured;
		sum += w[i];
	}
	out->mean_error = n ? sum / (double)n : 0;
	out->error = calib_median(w, n);
	free(w);
	return 0;
}
