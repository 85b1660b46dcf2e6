/*
 * sim/plot.h - charts drawn by gnuplot (Debian's gnuplot-nox: the pngcairo
 * and svg terminals): line charts of (x, y) series and stacked bars of
 * named categories. The script and its data go to gnuplot's standard input
 * (datablocks, gnuplot 5), so nothing is written but the chart itself, into
 * the path the caller gives (an outfile's temporary: lib/outfile.h puts it
 * in place). Text from outside (trace paths, parameter values) is quoted
 * for gnuplot and printed without enhanced-text markup.
 */
#ifndef SLATSIM_PLOT_H
#define SLATSIM_PLOT_H

#include <stddef.h>
#include <stdint.h>

typedef enum plot_kind { PLOT_PNG, PLOT_SVG } plot_kind;

/* The kind a file name asks for (".png" or ".svg", any case): 0, or -1. */
int plot_kind_of(const char *path, plot_kind *out);

/* Is gnuplot there? 0, or -1 with a message saying what to install. */
int plot_available(char *err, size_t errlen);

typedef struct plot_series {
	const char *title;
	const double *x, *y;      /* lines: N points (x ignored for bars) */
	size_t n;
} plot_series;

typedef struct plot_spec {
	const char *title, *xlabel, *ylabel;
	int logx, logy;
	int bars;                 /* stacked bars: one per x label, a series per category */
	const char *const *labels;   /* bars: the labels under the bars; lines: the text of
				      * x = 0, 1, ... (NULL: x is a number) */
	size_t nlabels;
	const plot_series *series;
	size_t nseries;
} plot_spec;

/* One miss curve: misses[k-1] of a k-entry TLB, k = 1..N, over LOOKUPS. */
typedef struct plot_curve {
	const char *title;
	const uint64_t *misses;
	size_t n;
	uint64_t lookups;
} plot_curve;

/* Miss ratio against entries (powers of two, log-log) for each curve:
 * what `reach --plot` and `plot reach` draw. 0 or -1 with a message. */
int plot_miss_ratio(const char *path, plot_kind kind, const char *title, const plot_curve *c,
		    size_t n, char *err, size_t errlen);

/* Draw S into PATH as KIND. 0, or -1 with a message (gnuplot missing or
 * failing: its own message is on standard error). */
int plot_draw(const char *path, plot_kind kind, const plot_spec *s, char *err, size_t errlen);

#endif
