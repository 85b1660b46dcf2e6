/*
 * sim/study/calib.c - plateaus, knees and the fit of `slatsim calibrate` (see
 * calib.h for the rules; this file only implements them).
 */
#include "calib.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

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

/* ---------------------------------------------------------------- latencies */

#define CALIB_PAID 0.25        /* N[k] per access for a point to show latency k */
#define CALIB_NEGLIGIBLE 0.05  /* later latencies paid at most this often */

int calib_fit_latencies(const calib_obs *obs, size_t n, const unsigned curves[CALIB_LATS],
			const double lat[CALIB_LATS], calib_lat_fit out[CALIB_LATS])
{
	double *v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return -1;
	double cur[CALIB_LATS];
	for (int k = 0; k < CALIB_LATS; k++) {
		cur[k] = lat[k];
		out[k] = (calib_lat_fit){ .observed = 0, .value = lat[k] };
	}
	for (int k = 0; k < CALIB_LATS; k++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			const calib_obs *o = &obs[i];
			if (o->curve >= 32 || !(curves[k] >> o->curve & 1) || o->n[k] < CALIB_PAID)
				continue;
			int clean = 1;
			for (int j = k + 1; j < CALIB_LATS; j++)
				clean &= o->n[j] < CALIB_NEGLIGIBLE;
			if (!clean)
				continue;
			double fixed = o->model, rest = 0;
			for (int j = 0; j < CALIB_LATS; j++) {
				fixed -= o->n[j] * lat[j];
				if (j != k)
					rest += o->n[j] * cur[j];
			}
			v[m++] = (o->measured - fixed - rest) / o->n[k];
			if (out[k].points++ == 0)
				out[k].first = i;
			out[k].last = i;
		}
		if (m) {
			double x = calib_median(v, m);
			out[k].observed = 1;
			out[k].value = x > 0 ? x : 0;
			cur[k] = out[k].value;
		}
	}
	free(v);
	return 0;
}
