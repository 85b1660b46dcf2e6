/*
 * sim/output/plot.h - charts drawn by gnuplot (Debian's gnuplot-nox: the pngcairo
 * and svg terminals): line charts of (x, y) series and stacked bars of
 * named categories.
 *
 * gnuplot never sees a file name: the script and its data go to its
 * standard input (datablocks, gnuplot 5), and the chart comes back on its
 * standard output, which is the caller's stream - an outfile's temporary
 * (lib/outfile.h puts it in place at the commit). What came back is checked
 * before the caller may commit it: a complete PNG (signature and IEND chunk)
 * or SVG (XML declaration, <svg, and </svg> at the end). Text from outside
 * (trace paths, file names, parameter values) goes into single-quoted
 * strings, as valid UTF-8 without control characters, and is printed
 * without enhanced-text markup (the terminals are noenhanced).
 */
#ifndef SLATSIM_PLOT_H
#define SLATSIM_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum plot_kind { PLOT_PNG, PLOT_SVG } plot_kind;

/* What plot_draw and plot_miss_ratio return besides 0. */
enum {
	PLOT_FAILED = -1,   /* gnuplot missing or failing, or what it wrote is not a
			     * complete chart: the machine's fault (exit 1) */
	PLOT_EMPTY = -2,    /* nothing to draw: no point with a finite value (positive
			     * on a log axis) - the input's fault (exit 2) */
};

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

/* Draw S as KIND into OUT: an empty regular file open for writing whose
 * descriptor can also be read (an outfile's temporary: mkstemp opens it
 * read-write). NAME is what messages call the chart (the user's path).
 * Nothing is written through OUT's buffer; the bytes are gnuplot's, at the
 * descriptor. 0 (OUT holds a complete chart), or PLOT_FAILED / PLOT_EMPTY
 * with a one-line message naming NAME. Series without a drawable point are
 * left out; the caller may say better why there is nothing to draw by
 * checking first. */
int plot_draw(FILE *out, const char *name, plot_kind kind, const plot_spec *s, char *err,
	      size_t errlen);

/* Miss ratio against entries (powers of two, log-log) for each curve with
 * lookups: what `reach --plot` and `plot reach` draw. As plot_draw. */
int plot_miss_ratio(FILE *out, const char *name, plot_kind kind, const char *title,
		    const plot_curve *c, size_t n, char *err, size_t errlen);

#endif
