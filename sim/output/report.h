/*
 * sim/output/report.h - views of the statistics registry: the human report and the
 * --json document. Both read the same registry; neither computes a number.
 */
#ifndef SLATSIM_REPORT_H
#define SLATSIM_REPORT_H

#include <stdio.h>

#include "json.h"
#include "param.h"
#include "stats.h"
#include "trace.h"
#include "machine.h"

/* Text from outside (a path, a trace's description, a value as typed) for
 * a terminal: control bytes are written as \xNN, so a file name cannot move
 * the cursor or end a line of the report. */
void report_put_text(FILE *f, const char *s);

/* The text report's head: slatsim, the trace, its format and description. */
void report_text_head(FILE *f, const char *trace_path, const trace_header *h);

/* Which statistics the text report shows. */
typedef struct report_opts {
	int all;     /* every statistic, zeros too (default: the non-zero ones,
		      * and the zeros that are results - lost or missed pages -
		      * in a room that has others) */
	/* Only the statistics KEEP keeps, zeros too (--stats PATTERN); NULL:
	 * as ALL says. */
	int (*keep)(const char *name, const void *ctx);
	const void *ctx;
} report_opts;
/* The statistics room by room (trace, TLBs, walks, faults, caches, cycles,
 * dirty logging, I/O, prefetches, co-simulation, migration, other, then
 * each domain's): a room only when it has a statistic to show; each line
 * its name, value (thousands separated, bytes also in KiB/MiB), unit and
 * description; then how many zeros were left out. */
void report_stats(FILE *f, const stats_reg *st, const report_opts *o);


/* What an architect reads first, from the statistics: misses per kilo-
 * instruction of each TLB level, walks per kilo-instruction and memory
 * references per walk, translation's share of the cycles, the L2 TLB's
 * reach, and with dirty logging its share of the cycles and the pages it
 * missed or reported extra. A view: it computes only ratios. */
void report_headline(FILE *f, const stats_reg *st, const param_reg *p);

/* The head of every JSON document a command writes about a replay, inside
 * its open top-level object: "slatsim": VERSION, "trace": {...} and
 * "config": {...} (every parameter's effective value). */
void report_json_head(json_w *j, const char *trace_path, const trace_header *h,
		      const param_reg *params);

/* {"slatsim": VERSION, "trace": {...}, "config": {...}, "stats": {...}},
 * and "rounds": M's dirty-logging rounds when there are any (with a
 * "domain" key in each when M has more than one domain). */
void report_json(FILE *f, const char *trace_path, const trace_header *h,
		 const param_reg *params, const stats_reg *st, const machine *m);
/* The same, then what EXTRA (may be NULL) writes into the top-level object
 * (slatsim migrate's "migrate"). */
void report_json_ext(FILE *f, const char *trace_path, const trace_header *h,
		     const param_reg *params, const stats_reg *st, const machine *m,
		     void (*extra)(json_w *j, const void *ctx), const void *ctx);

/* A count with thousands separators ("20,308,331") into B (N bytes). */
void report_count(char *b, size_t n, uint64_t v);

/* One statistic of two results side by side (--vs, slatsim diff). */
enum { REPORT_VS_NOT_A = 1, REPORT_VS_NOT_B = 2 };
typedef struct report_vs_row {
	const char *name;
	int ratio;            /* a ratio: ra and rb; a count: a and b */
	uint64_t a, b;
	double ra, rb;
	int absent;           /* REPORT_VS_NOT_A or _NOT_B: one result lacks it */
} report_vs_row;
/* The rows of two registries: A's statistics in its order, then those only
 * B has. Allocated (free it); NULL when out of memory. */
report_vs_row *report_vs_rows(const stats_reg *a, const stats_reg *b, size_t *n);
/* The table: name, A, B (thousands separated) and B/A, for the rows that
 * are non-zero in either or that one result lacks (every row with ALL) and
 * that KEEP (NULL: all) keeps; a last line counts the rows left out. */
void report_vs_table(FILE *f, const report_vs_row *rows, size_t n, int all,
		     int (*keep)(const char *name, const void *ctx), const void *ctx);

/* A parameter's name and canonical text. */
typedef struct report_kv {
	const char *name, *text;
} report_kv;
/* Every parameter of P as name/text pairs, allocated (free it); NULL when
 * out of memory. The texts are P's: P must outlive them. */
report_kv *report_config_kv(const param_reg *p, size_t *n);
/* "B differs from A in N parameters (A -> B):" and a line for each key
 * whose text differs or that only one side has (A's order, then B's), or
 * "A and B have the same configuration". */
void report_config_diff(FILE *f, const report_kv *a, size_t na, const report_kv *b, size_t nb);

/* V bytes in the largest binary unit (B, KiB ... PiB: powers of 1024) that
 * keeps them at least 1: whole, or with DECIMALS decimals. */
void report_bytes(char *b, size_t n, uint64_t v, int decimals);
/* "config": {...}: every parameter's effective value, typed, in registry
 * order (the object report_json writes; calibrate writes it too). */
void report_json_config(json_w *j, const param_reg *params);

#endif
