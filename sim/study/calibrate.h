/*
 * sim/study/calibrate.h - the calibration engine behind `slatsim calibrate`
 * (issue 18; a room of its own since issue 22): the model held against the
 * host. What it measures, how it models each point and what it fits are
 * described at the top of calibrate.c; the arithmetic (plateaus, knees,
 * TLB step sizes, the latency fit) is sim/study/calib.h, below it.
 *
 * One calibration, in the order of its verbs:
 *
 *   calibrate_create      the configuration replayed: the caller's with
 *                         calibrate's settings (cache.model on unless set,
 *                         whole laps, the core clock)
 *   calibrate_check       the machine takes it for every curve's guest page
 *   calibrate_measure     the curves: chase run on this host, or a saved
 *                         chase table (CALIBRATE_CONFIG.measured)
 *   calibrate_model       every point replayed through a machine
 *   calibrate_knees       the knees and plateaus of every curve
 *   calibrate_fit         TLB sizes, host page, cache geometry, latencies;
 *                         the model replayed again with them
 *   calibrate_write_preset, calibrate_plot   the preset, the chart
 *
 * and accessors for what a command line prints. The engine never prints and
 * never exits: a verb returns TRACE_OK, or a TRACE_E* code with a one-line
 * message in ERR naming the file and line, the key or the child that
 * failed (TRACE_EFORMAT, TRACE_EIO: the input's fault; TRACE_EINTERNAL,
 * TRACE_ENOMEM, TRACE_EOUTPUT: the machine's). Progress while chase runs
 * goes to a callback of the caller's. Children (chase, gnuplot) start with
 * the signals lib/outfile's watcher blocks unblocked and SIGPIPE at its
 * default, so that an interrupt or a closed pipe ends them as it would from
 * a shell.
 *
 * Errors are a code and the caller's buffer (ERR, ERRLEN), as the other
 * studies (replay, migrate, sweep, plot) report them, not a sim_err: its
 * 256-byte message would cut what the command line printed before the
 * engine had a room of its own (a saved table's path, a machine's refusal:
 * up to the 4096 bytes of a command-line message).
 */
#ifndef SLATSIM_CALIBRATE_H
#define SLATSIM_CALIBRATE_H

#include "calib.h"
#include "chase_points.h"
#include "param.h"
#include "trace.h"   /* TRACE_OK, TRACE_E*: what the verbs return */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The curves: a dependent load per 4 KB page with 4 KB and with 2 MB (THP)
 * pages, the packed control (N consecutive 64-byte lines), and the
 * walk-heavy patterns: a load per 4 KB page, pages 8 apart (each leaf
 * descriptor in a line of its own) and 512 apart (each page alone in its
 * 2 MB region: its own page-table page, upper walk caches miss). The order
 * is the chase table's; a saved table from before s8 and s512 has 3 curves. */
enum calibrate_mode {
	CALIBRATE_4K, CALIBRATE_2M, CALIBRATE_PACKED, CALIBRATE_S8, CALIBRATE_S512,
	CALIBRATE_MODES
};

/* "4k", "2m", "packed", "s8", "s512": chase's name of the curve. */
const char *calibrate_mode_name(int mode);
/* Pages from one element of the curve to the next: 1, 1, 0 (packed: a
 * line), 8, 512. */
unsigned calibrate_mode_stride(int mode);
/* The guest page the curve is replayed with: "4k", or "2m" (2m, and packed,
 * whose arena is THP). */
const char *calibrate_mode_guest_page(int mode);

#define CALIBRATE_MAX_POINTS 128     /* points of one curve: chase's limit */
#define CALIBRATE_MAX_PAGES CHASE_MAX_PAGES   /* pages of one point: chase's limit */
#define CALIBRATE_MAX_LINES CHASE_MAX_LINES   /* lines of a packed point (512 MB): chase's */
/* The ns an access of a saved table may take: below a cycle of a 100 GHz
 * clock, or above a millisecond, a value is not a load's time. */
#define CALIBRATE_NS_MIN 0.01
#define CALIBRATE_NS_MAX 1e6
#define CALIBRATE_MAX_KNEES 16
#define CALIBRATE_WARM_LAPS 2        /* laps of the cycle that warm the model up */
#define CALIBRATE_LAPS 4             /* laps in the trace: the warm ones + the counted */
/* Past CALIBRATE_BIG elements one lap warms the model up (an LRU structure
 * smaller than the cycle misses on every access of the next lap; one at
 * least as large holds it all) and at most CALIBRATE_COUNTED accesses are
 * counted: a uniform sample of the random cycle, as chase's runs of at most
 * 2^23 loads are of its laps. Up to it, the laps above. */
#define CALIBRATE_BIG 65536u
#define CALIBRATE_COUNTED 1048576u
#define CALIBRATE_HOLDOUT_NONE (-1)
#define CALIBRATE_HOLDOUT_AUTO (-2)
/* --fit holds out every point i of the other curves with i % 3 == 1 (a
 * third, spread over every curve's whole range): it fits on the rest. */
#define CALIBRATE_HOLDOUT_EVERY 3

/* Progress while chase measures: ROWS of the TOTAL points of round ROUND
 * (from 0) of ROUNDS have come; DONE once chase's output has ended. */
typedef void (*calibrate_progress_fn)(void *ctx, unsigned round, unsigned rounds, size_t rows,
				      size_t total, int done);

/* What is measured, and how. calibrate_config_init sets the defaults. */
typedef struct calibrate_config {
	int want[CALIBRATE_MODES];          /* the curves chase measures */
	unsigned pages[CALIBRATE_MAX_POINTS];   /* increasing, 2..CALIBRATE_MAX_PAGES */
	size_t npages;                      /* 0: 8 to 65536, 4 points per octave */
	/* The packed control's points (lines), increasing, 2..CALIBRATE_MAX_LINES;
	 * 0: PAGES when they were given, else 8 to 8388608 (512 MB), 4 points per
	 * octave to 65536 and 2 (N, 1.5 N) beyond. */
	unsigned lines[CALIBRATE_MAX_POINTS];
	size_t nlines;
	unsigned reps;                      /* runs per point (the median), 1..101 */
	unsigned rounds;                    /* sweeps (the median of the medians), 1..100 */
	uint64_t accesses;                  /* per run; 0: chase's default */
	int cpu;                            /* the CPU chase pins itself to; -1: it chooses */
	uint64_t seed;                      /* of chase's random cycles */
	const char *clock;                  /* chase --clock: "cpu" or "wall" */
	/* The curve --fit holds out whole (its error is the held-out pattern's):
	 * a calibrate_mode; CALIBRATE_HOLDOUT_NONE: none; CALIBRATE_HOLDOUT_AUTO
	 * (the default): s8 when it was measured, else 2m when it was, else
	 * none - a curve whose every structure another curve observes too
	 * (split). */
	int holdout;
	/* A saved chase table ("-": standard input) instead of running chase:
	 * its rows are the curves and its header the host, the runs and the
	 * seed (WANT, PAGES, REPS, ACCESSES, CPU, SEED and CLOCK do not apply;
	 * ROUNDS is 1). Messages call it "--measured FILE". NULL: run chase. */
	const char *measured;
	calibrate_progress_fn progress;     /* NULL: none */
	void *progress_ctx;
	/* Progress while the model replays: WHAT (a phase: "modelling", or the
	 * structure --fit is trying), DONE of TOTAL replays of it; TOTAL 0 once
	 * the replays are over. Same context. NULL: none. */
	void (*step)(void *ctx, const char *what, size_t done, size_t total);
} calibrate_config;

/* Every curve, 8..65536 pages (packed: 8..8388608 lines), 7 runs per point,
 * 1 round, chase's accesses, its CPU, seed 1, the thread's CPU time, chase
 * run (not a saved table). */
void calibrate_config_init(calibrate_config *cfg);

typedef struct calibrate calibrate;

/* A calibration of CFG (copied; its strings must outlive the engine) with
 * the configuration P (cloned: --config/--set as `run` takes them). The
 * replayed configuration is P with cache.model=on unless P sets it,
 * sim.max_records=0 (whole laps) and core.freq_ghz, when P does not set it,
 * from /proc/cpuinfo's "cpu MHz" (the nominal clock). TRACE_OK, or a code
 * with a message (no clock to be had; a CFG out of its ranges). */
int calibrate_create(calibrate **out, const calibrate_config *cfg, const param_reg *p, char *err,
		     size_t errlen);
void calibrate_destroy(calibrate *c);

/* The machine takes the replayed configuration with each curve's guest page:
 * TRACE_OK, or machine_create's code and refusal (which names the key:
 * a caller may name the config file it came from, calibrate_params). Call
 * it before minutes of measuring. */
int calibrate_check(calibrate *c, char *err, size_t errlen);

/* Where chase (tools/chase.c) is: measuring without a saved table, and
 * modelling, run it. Copied. */
void calibrate_set_chase(calibrate *c, const char *path);

/* Describe the host (/proc/cpuinfo, perf_event_open, cpufreq) and measure
 * every curve: run chase ROUNDS times (progress through CFG's callback) and
 * take each point's median of the rounds' medians and the extremes of every
 * run, or read the saved table. TRACE_OK or a code with a message naming
 * the table and its line. */
int calibrate_measure(calibrate *c, char *err, size_t errlen);

/* What chase printed, every round's table one after another (what
 * --measured reads back as as many rounds); "" for a saved table. */
const char *calibrate_raw(const calibrate *c);

/* Replay every measured point through a machine of the replayed
 * configuration (guest.page per curve: 4k, 2m, packed 2m), chase writing
 * the same accesses as a text trace on a pipe: CALIBRATE_WARM_LAPS laps
 * warm the machine up, the rest are counted. */
int calibrate_model(calibrate *c, char *err, size_t errlen);

/* The knees and plateaus of every measured and modelled curve (sim/study/calib.h:
 * a rise above CALIB_KNEE_FACTOR times the plateau, two points in a row).
 * After calibrate_model. */
void calibrate_knees(calibrate *c);

/* The fit (after calibrate_knees; it needs the 4k curve and the packed
 * control), on the points not held out (CALIBRATE_HOLDOUT_EVERY, and the
 * curve CFG.holdout): the L1 and L2 TLB sizes from the 4k knees that no
 * knee of the packed control explains, the L2 TLB's sets and ways from the
 * s8 and s512 knees, cache geometry from sysfs held against the packed
 * control's steps; then structures searched by the error of the fit they
 * allow (host.page, the L2 TLB's policy, the nested TLB's and walk caches'
 * sizes) and the latencies fitted jointly (sim/study/calib.h:
 * calib_fit_linear), with the cost per walk the model lacks; then every
 * point replayed with the fitted preset (calibrate_curve's FITTED) and the
 * errors on the fitted and the held-out points (calibrate_fit_result). */
int calibrate_fit(calibrate *c, char *err, size_t errlen);

/* ---------------------------------------------------------------- what it found */

/* One curve: measured, modelled, fitted (per access). */
typedef struct calibrate_curve {
	int present;
	size_t n;
	unsigned pages[CALIBRATE_MAX_POINTS];
	double meas[CALIBRATE_MAX_POINTS];      /* ns: the median (of the rounds' medians) */
	double mmin[CALIBRATE_MAX_POINTS];      /* ns: the extremes of every run */
	double mmax[CALIBRATE_MAX_POINTS];
	long thp_kb[CALIBRATE_MAX_POINTS];      /* chase's AnonHugePages of the arena */
	double model[CALIBRATE_MAX_POINTS];     /* ns: the replayed configuration */
	double walks[CALIBRATE_MAX_POINTS];     /* per access */
	double walk_cycles[CALIBRATE_MAX_POINTS];   /* per walk */
	double fitted[CALIBRATE_MAX_POINTS];    /* ns: the fitted preset */
	calib_obs obs[CALIBRATE_MAX_POINTS];    /* the fitted geometry's counts */
	unsigned char holdout[CALIBRATE_MAX_POINTS];   /* --fit: 1 held out, 0 fitted on */
} calibrate_curve;

/* The knees of one list of costs, as point indexes, and its plateaus. */
typedef struct calibrate_knee_set {
	size_t n;
	size_t at[CALIBRATE_MAX_KNEES];
	calib_plateau pl[CALIBRATE_MAX_KNEES + 1];
	size_t npl;
} calibrate_knee_set;

/* What the measurement says about the host and itself. */
typedef struct calibrate_host {
	char cpu[256];             /* chase's "model name" */
	char pinning[160];
	char timer[160];           /* chase's clock */
	char arena[CALIBRATE_MODES][200];   /* chase's line about each arena (THP) */
	char frames[CALIBRATE_MODES][320];  /* where its pages were (chase --frames), or
					     * why not known: the model replays with them */
	int frames_later;          /* a round after the first has frames (not used) */
	unsigned reps;
	uint64_t seed;             /* of the cycles: CFG's, or the saved table's */
	int family, model;         /* /proc/cpuinfo; -1 unknown */
	int cpus;
	int under_hypervisor;
	char counters[200];        /* performance counters */
	char clock[200];           /* frequency pinning */
	double load[2];            /* /proc/loadavg (1 minute) before and after chase ran */
	int load_known;            /* 0: a saved table that does not say */
	unsigned rounds;           /* rounds measured (LOADS holds the first 100) */
	double loads[100][2];      /* each round's, before and after (chase's comments) */
	double table_mhz;          /* chase's "# cpu MHz:" line (0: none) */
	unsigned cpuid_l2_entries, cpuid_l2_ways;   /* chase's "# cpuid:" line (0: none) */
	unsigned ncache;           /* chase's "# cache:" lines: the measuring machine's sysfs */
	struct {
		unsigned level;
		char type[16];         /* Data, Instruction, Unified */
		unsigned long sets, ways, line;
		char src[128];         /* the sysfs directory chase read */
	} cache[8];
} calibrate_host;

/* One fitted parameter: its value as text and where it came from. */
typedef struct calibrate_fit_value {
	char key[48];
	char value[32];
	char why[640];
} calibrate_fit_value;

/* The fitted preset's error on one curve: the median over its points of
 * |fitted - measured| / measured, the points fitted on and the held out,
 * all of them and those past the L2 TLB's reach (N > tlb.l2.entries pages;
 * packed: lines in more 4 KB pages than that). N: how many points; -1
 * where there are none. */
typedef struct calibrate_curve_error {
	double train, holdout, train_past, holdout_past;
	size_t ntrain, nholdout, ntrain_past, nholdout_past;
	double all, all_past;      /* every point of the curve, and those past the L2 TLB */
	size_t nall, nall_past;
	int met;                   /* all <= CALIBRATE_TARGET, all_past <= ..._PAST (or none) */
} calibrate_curve_error;

/* The targets for the fitted model (issue 23): the median |error|
 * over a curve's points at most CALIBRATE_TARGET, over its points past the
 * L2 TLB's reach at most CALIBRATE_TARGET_PAST - on every curve, the
 * held-out pattern too. */
#define CALIBRATE_TARGET 0.15
#define CALIBRATE_TARGET_PAST 0.25

typedef struct calibrate_fit_result {
	calibrate_fit_value v[40];
	size_t n;
	char notes[16][768];       /* what was not fitted, and why */
	size_t nnotes;
	char findings[8][768];     /* what the fit found that the model lacks, with the evidence */
	size_t nfindings;
	int holdout;               /* the curve held out whole, or CALIBRATE_HOLDOUT_NONE */
	double train_error;        /* median |error| over every point fitted on */
	double holdout_error;      /* ... over every point held out (both kinds) */
	double holdout_points_error;   /* ... the held-out points of the fitted curves */
	double holdout_pattern_error;  /* ... the held-out curve (-1: none) */
	calibrate_curve_error curve[CALIBRATE_MODES];
	double walk_fixed;         /* walk.fixed as fitted: cycles a walk costs beyond its
				    * lookups and reads */
	double s2_walk_fixed;      /* walk.s2_fixed as fitted: the same per host walk */
	double s2_walks_per_walk;  /* host walks a walk on the points fitted on */
	unsigned l2_entries;       /* the L2 TLB's reach in 4 KB pages, for "past" */
	size_t candidates;         /* structures the search replayed */
} calibrate_fit_result;

const calibrate_curve *calibrate_curve_of(const calibrate *c, int mode);
/* MODEL 0: the measured curve's knees; 1: the modelled one's. */
const calibrate_knee_set *calibrate_knees_of(const calibrate *c, int mode, int model);
const calibrate_host *calibrate_host_of(const calibrate *c);
/* The page size the model's guest placed curve MODE's pages with at the
 * frames chase read (4096, or 2 MB for a THP arena), or 0: the model's own
 * allocator (no frames in the table, or not read). */
unsigned calibrate_frames_page(const calibrate *c, int mode);
/* NULL until calibrate_fit. */
const calibrate_fit_result *calibrate_fit_of(const calibrate *c);
/* The replayed configuration (guest.page: the curve replayed last). */
const param_reg *calibrate_params(const calibrate *c);
/* The core clock the model's cycles are turned into time at, and where it
 * came from, in words. */
double calibrate_ghz(const calibrate *c, const char **source);
/* cache.model was not set: calibrate's default (on) was taken. */
int calibrate_cache_default(const calibrate *c);
/* The median over CV's points of |MODEL - measured| / measured. */
double calibrate_median_error(const calibrate_curve *cv, const double *model);

/* The preset's default path: sim/configs/host-<cpu>.conf, the CPU the
 * measurement names (else this one's, else "unknown") in lower case,
 * "(R)"/"(TM)" and " @ clock" dropped, every run of other characters '-'. */
void calibrate_default_preset(const calibrate *c, char *buf, size_t len);

/* The fitted preset as a config file, NAME in its first line, each value
 * with where it came from; the keys the caller's P set and the fit did not
 * come first (after calibrate_fit). Write errors are the stream's. */
void calibrate_write_preset(const calibrate *c, FILE *out, const char *name);

/* Draw the curves (log-log; measured with min..max bars, model, fitted when
 * FITTED) with gnuplot into OUT, which the caller has flushed (SVG when SVG,
 * else PNG): gnuplot writes to OUT's descriptor. TRACE_OK, or
 * TRACE_EINTERNAL with a message naming gnuplot (missing, failing). */
int calibrate_plot(const calibrate *c, FILE *out, int svg, int fitted, char *err, size_t errlen);

#endif
