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
	const char *const *labels;   /* bars: the N labels under the bars */
	const plot_series *series;
	size_t nseries;
} plot_spec;

/* Draw S into PATH as KIND. 0, or -1 with a message (gnuplot missing or
 * failing: its own message is on standard error). */
int plot_draw(const char *path, plot_kind kind, const plot_spec *s, char *err, size_t errlen);

#endif
