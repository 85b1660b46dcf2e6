/*
 * sim/output/plot.h - charts drawn by gnuplot (Debian's gnuplot-nox: the pngcairo
 * and svg terminals): figures of one or more panels (small multiples) of
 * line series or stacked bars, with one key for the whole figure, and the
 * reach figure that `reach --plot` and `plot reach` both draw.
 *
 * What a figure for a paper needs is decided here, not left to gnuplot's
 * defaults: every tic is placed and written by this module (thousands
 * separators, never 3e+07; sizes on log2 axes at the measured values;
 * decades on log10 axes, as 10⁻⁵ past three decimals), the ranges are
 * shared by the panels that share an axis, series have distinct colours
 * (Okabe and Ito's colour-blind-safe set), dash patterns and point shapes
 * that still tell them apart in greyscale, bars' categories distinct
 * lightness and a hatch, and the key is one band under the panels. The
 * title on the face is short; the full text (paths, inputs) goes into the
 * file's metadata: PNG iTXt chunks (Title, Description, Software; PNG spec
 * 11.3.4.5), SVG <title> and <desc>.
 *
 * gnuplot never sees a file name: the script and its data go to its
 * standard input (datablocks, gnuplot 5), and the chart comes back on its
 * standard output, which is the caller's stream - an outfile's temporary
 * (lib/outfile.h puts it in place at the commit). What came back is checked
 * before the caller may commit it: a complete PNG (signature and IEND chunk)
 * or SVG (XML declaration, <svg, and </svg> at the end), after the metadata
 * went in. Text from outside (trace paths, descriptions, file names,
 * parameter values) goes into single-quoted strings, as valid UTF-8
 * without control characters, and is printed without enhanced-text markup
 * (the terminals are noenhanced).
 */
#ifndef SLATSIM_PLOT_H
#define SLATSIM_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum plot_kind { PLOT_PNG, PLOT_SVG } plot_kind;

/* What plot_figure and plot_reach return besides 0. */
enum {
	PLOT_FAILED = -1,   /* gnuplot missing or failing, or what it wrote is not a
			     * complete chart: the machine's fault (exit 1) */
	PLOT_EMPTY = -2,    /* nothing to draw: no point with a finite value (positive
			     * on a log axis) - the input's fault (exit 2) */
};

#define PLOT_WIDTH 960       /* a one-panel figure, pixels (PNG) or user units (SVG) */
#define PLOT_HEIGHT 600
#define PLOT_MAX_PIXELS 8192 /* either side, at most (--size) */
#define PLOT_STYLES 8        /* colours before they repeat (the dashes go on) */

/* The kind a file name asks for (".png" or ".svg", any case): 0, or -1. */
int plot_kind_of(const char *path, plot_kind *out);

/* Is gnuplot there? 0, or -1 with a message saying what to install. */
int plot_available(char *err, size_t errlen);

/* "1,536", "0.25", "-3": V with thousands separators and no exponent. */
void plot_num_text(char *buf, size_t len, double v);
/* "4 KB", "1.5 MB": V bytes in the largest binary unit it reaches. */
void plot_bytes_text(char *buf, size_t len, double v);

/* ---------------------------------------------------------------- figures */

enum plot_scale { PLOT_LINEAR, PLOT_LOG2, PLOT_LOG10 };

typedef struct plot_axis {
	const char *label;        /* with its unit: "tlb.l2.entries (entries)" */
	int scale;                /* enum plot_scale */
	int zero;                 /* linear: the range starts at 0 (counts, cycles) */
	int bytes;                /* tics as sizes: 4 KB, 2 MB */
	const double *at;         /* the tics' places (NULL: chosen from the range) */
	const char *const *text;  /* their text (NULL: the numbers, formatted) */
	size_t nat;
	double lo, hi;            /* the range (lo == hi: from the data and the tics) */
} plot_axis;

/* How a series is drawn (flags). */
enum { PLOT_LINE = 1, PLOT_POINTS = 2, PLOT_HOLLOW = 4 };

typedef struct plot_series {
	const char *title;        /* its entry in the key (NULL: none - another's marks) */
	const double *x, *y;
	size_t n;
	int style;                /* colour, dash and point; the same in every panel */
	unsigned flags;           /* PLOT_LINE | PLOT_POINTS, PLOT_HOLLOW */
} plot_series;

/* Stacked bars: NBARS bars of NCAT categories each; category c of bar b is
 * Y[c * NBARS + b]. Bars stand in groups (GROUP[b], in order; NULL: one),
 * each group labelled under its bars. */
typedef struct plot_bars {
	size_t nbars, ncat;
	const char *const *cat;   /* the categories' titles (the key) */
	const double *y;
	const char *const *label; /* under each bar */
	const size_t *group;
	const char *const *group_label;
	size_t ngroups;
} plot_bars;

typedef struct plot_vline {   /* a reference line at X, labelled at the top */
	double x;
	const char *text;
} plot_vline;

typedef struct plot_panel {
	const char *title;        /* NULL: none (a one-panel figure) */
	const plot_series *series;
	size_t nseries;
	const plot_bars *bars;    /* or bars (then no series) */
	const plot_vline *vlines;
	size_t nvlines;
	const char *note;         /* a line in the panel's top corner, or NULL */
	const plot_axis *y;       /* NULL: the figure's; panels with the same axis
				   * share its range */
} plot_panel;

typedef struct plot_spec {
	const char *title;        /* short, on the face */
	const char *subtitle;     /* a second line under it, or NULL */
	const char *meta;         /* the full description: metadata, not the face */
	const char *key_title;    /* what the key's entries are values of, or NULL */
	plot_axis x, y;
	const plot_panel *panels;
	size_t npanels;
	size_t cols;              /* panels per row (0: chosen) */
	int width, height;        /* 0: chosen from the panels */
} plot_spec;

/* Draw S as KIND into OUT: an empty regular file open for writing whose
 * descriptor can also be read (an outfile's temporary: mkstemp opens it
 * read-write). NAME is what messages call the chart (the user's path).
 * Nothing is written through OUT's buffer; the bytes are gnuplot's, at the
 * descriptor, and the metadata this module puts in. 0 (OUT holds a
 * complete chart), or PLOT_FAILED / PLOT_EMPTY with a one-line message
 * naming NAME. Points that cannot be drawn (not finite, not positive on a
 * log axis) are left out; the caller may say better why there is nothing to
 * draw by checking first. */
int plot_figure(FILE *out, const char *name, plot_kind kind, const plot_spec *s, char *err,
		size_t errlen);

/* ---------------------------------------------------------------- reach */

enum { PLOT_REACH_SIZES = 5 };   /* 4K, 16K, 64K, 2M, combined (sim/study/reach.h) */

/* One stream's curves: misses[k-1] of a k-entry fully-associative LRU TLB,
 * k = 1..entries, over LOOKUPS; SHIFT is log2 of the page size (0: the
 * combined size varies). */
typedef struct plot_reach_curve {
	const uint64_t *misses;
	uint64_t lookups;
	unsigned shift;
} plot_reach_curve;

typedef struct plot_reach_in {
	const char *trace;        /* its path (metadata) */
	const char *desc;         /* the trace's description (the title), or "" */
	const char *source;       /* what the numbers came from (metadata), or NULL */
	plot_reach_curve c[2][PLOT_REACH_SIZES];   /* [0] data, [1] instructions */
	uint32_t entries;
	uint64_t instructions;
	unsigned combined_shift;  /* 0: it varies */
	uint64_t l1d, l1i, l2;    /* the configuration's TLB entries (0: not known) */
	int mpki;                 /* y: misses per 1,000 instructions, not per lookup */
	int exact;                /* 0: invalidations made the curves approximate */
	int width, height;        /* 0: the default */
} plot_reach_in;

/* The miss ratio (or MPKI) against entries on log2 x and log10 y: a panel
 * per stream with lookups, a line per page size and the combined size (one
 * entry in the key when it is one of the sizes), a mark on each curve and a
 * labelled line at the configuration's L1 and L2 sizes. What `reach --plot`
 * and `plot reach` draw, from the same numbers the same figure. As
 * plot_figure. */
int plot_reach(FILE *out, const char *name, plot_kind kind, const plot_reach_in *in,
	       char *err, size_t errlen);

/* A short title for a trace: the program a description quotes ('xz -3 -c
 * GPL-3'), else its first clause, at most about 48 characters; the file's
 * name without its directory when DESC is empty or only names the format
 * (what the text, ChampSim, drmemtrace and lackey readers say). Into BUF. */
void plot_short_trace(char *buf, size_t len, const char *desc, const char *path);

#endif
