/*
 * sim/study/sweep_plan.h - a design-space sweep (issue 22: the engine of `slatsim
 * sweep`, out of the command line): the cross product of grid values over
 * traces, each point a configuration, run a batch of points at a time from
 * one decode of their trace (sim/study/sweep.h), into a directory that a second
 * run resumes:
 *
 *   DIR/sweep.json        the manifest: the arguments (format, config files,
 *                         --set options, grid, traces), the effective base
 *                         configuration, every point (trace, swept values as
 *                         the registry writes them) and each trace's
 *                         fingerprint (sweep.h: every file read, its size,
 *                         time and content hash). A second run into DIR must
 *                         be the same sweep of the same bytes, or it is
 *                         refused naming what differs.
 *   DIR/points/N.json     point N's `slatsim run --json`, byte for byte; one
 *                         that exists and is that point's (sweep_collect.h:
 *                         sweep_point_check) is finished and not run again.
 *
 * Points are numbered trace by trace: point N is trace N / combos, and its
 * value of each grid follows from N % combos with the first grid varying
 * slowest. A grid is one key, or up to SWEEP_MAX_LINKED keys joined by ':'
 * that vary together (one axis): each value then has a part per key.
 *
 * One sweep, in the order of its verbs:
 *
 *   sweep_plan_create        empty
 *   sweep_plan_add_grid      a grid's keys, then sweep_plan_add_value for
 *                            each of its values (each refused now, by name,
 *                            rather than at its point)
 *   sweep_plan_setup         the traces, the format, DIR, the arguments the
 *                            manifest records and the outputs' set
 *   sweep_plan_set_base      the base configuration: a point's is it with
 *                            the point's grid values
 *   sweep_plan_check_point   the machine takes a point's configuration
 *   sweep_plan_begin         fingerprint the traces, make DIR, write the
 *                            manifest or check the one there
 *   sweep_plan_run           run the points of a range that have no file
 *
 * The results tables are sweep_collect's; the Slurm and GNU parallel
 * scripts sweep_emit's (over this plan's accessors). The engine never
 * prints and never exits: a verb returns TRACE_OK, or a TRACE_E* code with
 * a one-line message in ERR naming the file, the point or the key
 * (TRACE_EFORMAT, TRACE_EIO: the input's fault, exit 2 at the command line;
 * TRACE_ENOMEM, TRACE_EINTERNAL, TRACE_EOUTPUT: the machine's, exit 1).
 * A point that fails while running stops alone and is reported through a
 * callback of the caller's, as the progress of each trace is.
 */
#ifndef SLATSIM_SWEEP_PLAN_H
#define SLATSIM_SWEEP_PLAN_H

#include "outfile.h"
#include "param.h"
#include "sweep.h"
#include "trace.h"

#include <stddef.h>
#include <stdint.h>

#define SWEEP_MAX_GRIDS 16
#define SWEEP_MAX_VALUES 256   /* of one grid */
#define SWEEP_MAX_TRACES 256
#define SWEEP_MAX_LINKED 8     /* keys of one grid joined by ':' */
#define SWEEP_VALUE_PART_MAX 4095   /* bytes of one key's part of a linked value */

/* One grid, as given and as the registry writes its values. */
typedef struct sweep_grid {
	char *key;                          /* as given: "k" or "k1:k2..." */
	char *keys[SWEEP_MAX_LINKED];       /* its keys */
	size_t nk;
	char *values[SWEEP_MAX_VALUES];     /* as given: "v" or "v1:v2..." */
	char *canon[SWEEP_MAX_VALUES];      /* the same as the registry writes them
					       ("1K" -> "1024", "0x200" -> "512"): the
					       results' */
	size_t n;
} sweep_grid;

/* Where the sweep goes and what the manifest records of its arguments.
 * Strings and arrays are the caller's and must outlive the plan. */
typedef struct sweep_plan_config {
	const char *const *traces;          /* files (a capture directory counts as one) */
	size_t ntraces;                     /* 1..SWEEP_MAX_TRACES */
	enum trace_format fmt;
	const char *dir;                    /* the sweep's directory */
	const char *const *config_files;    /* as given (--config), in order */
	size_t nfiles;
	const char *const *sets;            /* as given (--set key=value), in order */
	size_t nsets;
	uint64_t skip, warmup;              /* run's window for every point (--skip,
					       --warmup; 0: none): in the manifest,
					       each task's command line, the replay */
	outset *outs;                       /* every file is written through it */
} sweep_plan_config;

typedef struct sweep_plan sweep_plan;

int sweep_plan_create(sweep_plan **out, char *err, size_t errlen);
void sweep_plan_destroy(sweep_plan *p);

/* A grid of KEY (as given) over its keys KEYS[0..NK) (1..SWEEP_MAX_LINKED,
 * copied; the caller has refused an empty key or one given twice). At most
 * SWEEP_MAX_GRIDS: TRACE_EFORMAT beyond. */
int sweep_plan_add_grid(sweep_plan *p, const char *key, const char *const *keys, size_t nk,
			char *err, size_t errlen);
/* A value of the last grid added (a part per key, joined by ':', as the
 * caller has checked), copied with its text as the registry writes it: a
 * registry with every default takes each part for its key, or the value is
 * refused with TRACE_EFORMAT and the registry's message naming the key.
 * At most SWEEP_MAX_VALUES per grid. */
int sweep_plan_add_value(sweep_plan *p, const char *value, char *err, size_t errlen);

/* One item of a --grid list, which may be a range (issue 25), into the last
 * grid's values (each through sweep_plan_add_value):
 *   A..B      A, A+1, ... B
 *   A..B+S    A, A+S, A+2S, ... B          (S >= 1)
 *   A..B:xK   A, A*K, A*K*K, ... B         (K >= 2, A >= 1)
 * A, B, S and K are integers as a value takes them (an optional '-', 0x hex,
 * K/M/G/T suffixes: 256..1K+256); B must be one of the range's values (a
 * range that would stop short of it is refused, naming the last value it
 * reaches), and the values are written in decimal. In a grid of linked keys
 * each part of the item may be a range: the parts' ranges vary together
 * and must have as many values; a plain part holds for each of them. An
 * item without ".." is one value. TRACE_EFORMAT names the grid and the
 * range. */
int sweep_plan_add_item(sweep_plan *p, const char *item, char *err, size_t errlen);

/* A range's text (for tests, and sweep_plan_add_item): TRACE_OK with its
 * values in *R, or TRACE_EFORMAT with the reason in ERR ("the range
 * '16..100:x2' does not reach 100: its values stop at 64"). */
typedef struct sweep_range {
	int64_t first, last, step;  /* step: the addend, or the factor when times */
	int times;
	size_t n;                   /* values: 1..SWEEP_MAX_VALUES */
} sweep_range;
int sweep_range_parse(const char *text, sweep_range *r, char *err, size_t errlen);
int64_t sweep_range_value(const sweep_range *r, size_t i);

size_t sweep_plan_ngrids(const sweep_plan *p);
const sweep_grid *sweep_plan_grid(const sweep_plan *p, size_t gi);

/* The traces and the directory (CFG copied, not its strings). TRACE_EFORMAT
 * when the grid's points, times the traces, would not fit a size_t (the
 * limit is taken as SWEEP_MAX_TRACES traces whatever their number). */
int sweep_plan_setup(sweep_plan *p, const sweep_plan_config *cfg, char *err, size_t errlen);
const sweep_plan_config *sweep_plan_config_of(const sweep_plan *p);
/* Points per trace (the product of the grids' values), and in all. */
size_t sweep_plan_combos(const sweep_plan *p);
size_t sweep_plan_points(const sweep_plan *p);
/* Point N's trace (its index in the configuration's traces). */
size_t sweep_plan_trace_of(const sweep_plan *p, size_t n);
/* Point N's value of grid GI: as given, and as the registry writes it. */
const char *sweep_plan_value(const sweep_plan *p, size_t n, size_t gi);
const char *sweep_plan_canon(const sweep_plan *p, size_t n, size_t gi);

/* The base configuration (cloned): the config files and --set options. */
int sweep_plan_set_base(sweep_plan *p, const param_reg *base, char *err, size_t errlen);
/* Point N's configuration into *OUT (the caller destroys it): the base with
 * N's grid values. TRACE_OK, TRACE_EFORMAT (a value the base refuses) or
 * TRACE_ENOMEM, with a message. */
int sweep_plan_params(const sweep_plan *p, size_t n, param_reg **out, char *err, size_t errlen);
/* Point N's configuration makes a machine: TRACE_OK, or machine_create's
 * code and refusal (which names the key). Checking every point before
 * anything is written keeps a refused point from leaving a sweep.json that
 * no run can finish. */
int sweep_plan_check_point(const sweep_plan *p, size_t n, char *err, size_t errlen);

/* Fingerprint every trace (what each is when the sweep begins: the
 * manifest holds it, a resume compares it), make DIR and DIR/points, and
 * write DIR/sweep.json - or, when DIR holds one, refuse it unless it is this
 * sweep's byte for byte, naming what differs: the slatsim version, the
 * first file of a trace that changed, appeared or vanished, the first
 * configuration key, the option. */
int sweep_plan_begin(sweep_plan *p, char *err, size_t errlen);

/* How the points run, and what the caller hears of them. */
typedef struct sweep_run_opts {
	sweep_opts replay;      /* threads, shared or per-thread decode */
	size_t batch;           /* points replayed together from one decode (>= 1) */
	/* Points FIRST..LAST (one when equal) failed with CODE and MSG (the
	 * trace's own error, for all of its points left; or one point's), and
	 * the others go on. Required. */
	void (*failed)(void *ctx, size_t first, size_t last, int code, const char *msg);
	/* TRACE's points to run are done: POINTS of them, from DECODES decodes
	 * of at most BATCH points each, in SECONDS. NULL: nothing said. */
	void (*progress)(void *ctx, const char *trace, size_t points, size_t decodes,
			 size_t batch, double seconds);
	/* As the points run: DONE of the TOTAL points of LO..HI are finished
	 * (fractional: a batch counts by the share of its trace decoded), of
	 * which SKIPPED were finished before this run. From the calling thread,
	 * after each batch of records decoded. NULL: nothing said. */
	void (*step)(void *ctx, double done, size_t total, size_t skipped);
	void *ctx;
} sweep_run_opts;

/* Run the points LO..HI that have no file yet (after sweep_plan_begin), at
 * most O->batch at a time: each batch is one decode of its trace into that
 * many machines, built for it and destroyed after it, so memory follows the
 * batch, not the grid. A point file already there must be its point (or
 * the run stops, naming it). After each batch the trace is fingerprinted
 * again: a trace changed mid-sweep stops the run before that batch's points
 * are written. *RAN counts the point files written. Returns TRACE_OK when
 * the run went through (points that failed alone were reported through
 * O->failed); another code stops it (out of memory, a point file that is
 * not its point, a changed trace, an output that cannot be written,
 * TRACE_ESTOPPED from O->replay.poll: nothing of that batch written), with
 * what finished before kept. */
int sweep_plan_run(sweep_plan *p, size_t lo, size_t hi, const sweep_run_opts *o, size_t *ran,
		   char *err, size_t errlen);

#endif
