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

/* The text report: its head (trace, format, description), then every
 * statistic with its description; report_text is both. */
void report_text(FILE *f, const char *trace_path, const trace_header *h,
		 const stats_reg *st);
void report_text_head(FILE *f, const char *trace_path, const trace_header *h);
void report_text_stats(FILE *f, const stats_reg *st);

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

/* --vs: two runs' statistics that are non-zero in either, side by side with
 * B/A; CHANGE is the one change of the configuration B has. */
void report_vs(FILE *f, const char *change, const stats_reg *a, const stats_reg *b);

/* V bytes in the largest unit (B, KB ... PB) that keeps them at least 1:
 * whole, or with DECIMALS decimals. */
void report_bytes(char *b, size_t n, uint64_t v, int decimals);
/* "config": {...}: every parameter's effective value, typed, in registry
 * order (the object report_json writes; calibrate writes it too). */
void report_json_config(json_w *j, const param_reg *params);

#endif
