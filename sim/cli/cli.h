/*
 * sim/cli/cli.h - what the commands of the slatsim command line share:
 * option parsing, configuration from --config/--set, the outputs of a
 * command, and the one place that prints an error and exits.
 *
 * Exit status, for every command: 0 success; 1 an internal failure, out of
 * memory, or an output that could not be written; 2 bad input (usage, trace,
 * config, parameter); 128 + N when signal N (SIGINT 130, SIGTERM 143)
 * interrupted the run - then outputs in progress are abandoned and existing
 * files left as they were (lib/outfile.h).
 */
#ifndef SLATSIM_CLI_H
#define SLATSIM_CLI_H

#include "json.h"
#include "machine.h"
#include "outfile.h"
#include "param.h"
#include "replay.h"
#include "trace.h"

#include <stdint.h>
#include <stdio.h>

#define EXIT_FAIL 1
#define EXIT_BAD 2

/* One command line being parsed: argv[i] is the next argument. */
typedef struct args {
	int argc, i;
	char **argv;
	const char *cmd;     /* "run", "trace info": the usage hint names it */
	const char *prog;    /* another program taking a command's arguments
			      * ("slatsim-sc"): the hint names it instead */
	outset *outs;        /* the command's outputs */
	int dashdash;        /* "--" was seen: the rest are not options */
	int cmdc;            /* the whole command line, for the JSON's provenance */
	char **cmdv;
} args;

/* Print "slatsim: MESSAGE" and exit with CODE (outputs still open are
 * abandoned by the exit hook of lib/outfile.c). */
void cli_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* "slatsim: MESSAGE" the same way, without exiting. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: one line, then "Try 'slatsim CMD --help'.", exit 2. */
void cli_usage_error(const args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* Exit for an error code: out of memory or internal 1, anything else 2. */
void cli_die_trace(int rc, const char *msg) __attribute__((noreturn));
/* The same for a configuration machine_create refused: a key set in a config
 * file gets its FILE:LINE. */
void cli_die_config(int rc, const param_reg *p, const char *msg) __attribute__((noreturn));
/* The same without exiting: print MSG, return the exit status. */
int cli_trace_status(int rc, const char *msg);
/* cli_die_config's message into OUT (N bytes), for a driver that does not
 * exit (the Python package): MSG, or "FILE:LINE: MSG" for a key set in a
 * config file. */
void cli_config_message(int rc, const param_reg *p, const char *msg, char *out, size_t n);

int cli_is_help(const char *a);
/* If argv[i] is option NAME ("--name V" or "--name=V"), return V and advance. */
const char *cli_opt_value(args *a, const char *name);
int cli_opt_flag(args *a, const char *name);
/* -q or --quiet (every command: nothing but errors, no progress line). */
int cli_quiet_opt(args *a);
/* -o, --out or --output FILE (the one output of a command that has one). */
const char *cli_out_opt(args *a);
/* --json FILE, or --json alone (standard output) for a command that wrote
 * JSON to standard output before it took a file (params, trace info): the
 * next argument is the file when it ends in ".json", or is '-' - but with
 * DASH_IS_INPUT ('-' may be the input: trace info -) only when another
 * argument follows it. "-" when alone. */
const char *cli_json_opt(args *a, int dash_is_input);
/* The next argument is --skip, --limit or --warmup ("--x N" or "--x=N") on
 * a command that has no such window: a usage error saying WHY. */
void cli_window_refused(const args *a, const char *why);
/* Command CMD's options ("run", "trace gen"), space-separated, as its parser
 * takes them (the unknown-option suggestion and the completion read it);
 * NULL for a command with none listed. */
const char *cli_command_options(const char *cmd);
/* The next argument is an unknown option: a usage error. */
void cli_unknown_option(const args *a) __attribute__((noreturn));
/* Option OPT, which takes one value, came again with V after PREV (not
 * NULL): a usage error rather than one of them silently dropped. */
void cli_once(const args *a, const char *opt, const char *prev, const char *v);
/* Consume a "--" (the end of the options): 1 if it was one. */
int cli_dashdash(args *a);
/* The next argument is an option: starts with '-' (not "-" alone) and no
 * "--" came before it. */
int cli_is_option(const args *a);
/* The next argument is an option this command does not know, or an
 * argument it does not take: a usage error either way. */
void cli_unexpected(const args *a) __attribute__((noreturn));

/* A non-negative integer: decimal or 0x hex (never octal), suffixes K/M/G/T
 * (powers of 1024) when SUFFIX. A usage error naming OPT and the text. */
uint64_t cli_parse_count(const args *a, const char *opt, const char *s, int suffix);
/* The same (with suffixes) within LO..HI, or a usage error naming the range. */
uint64_t cli_parse_range(const args *a, const char *opt, const char *s, uint64_t lo, uint64_t hi);
double cli_parse_float(const args *a, const char *opt, const char *s);
enum trace_format cli_parse_format(const args *a, const char *s);

/* --config FILE and --set key=value, collected in order. */
typedef struct config_args {
	const char *files[16];
	int nfiles;
	const char *sets[256];
	int nsets;
} config_args;

int cli_config_opt(args *a, config_args *c);
/* The registry with every default, the files, then the --set overrides;
 * the config files are inputs of the command (an output may not be one). */
param_reg *cli_build_params(const args *a, const config_args *c);
/* The same with EXTRA's parameters (a driver's own; NULL: none) registered
 * after the machine's. */
param_reg *cli_build_params_with(const args *a, const config_args *c,
				 int (*extra)(param_reg *p));

/* --dump-config PATH ('-': standard output): P as a config file that
 * --config reads back to the same configuration - each key a file or --set
 * assigned as "key = value", every other key its default as a comment (so
 * that what was left to a default stays so: some keys mean "unless set").
 * Written and committed now; dies on failure. */
void cli_dump_config(const args *a, const param_reg *p, const char *path);

/* "provenance": {"command": [the command line], "build": the git describe of
 * this build, "host": {"name", "system", "cpu"}} into the open object of J:
 * where a result came from (no time: equal runs give equal JSON). */
void cli_json_provenance(json_w *j, const args *a);

/* A trace read twice (--vs, sim.prefault, migrate, sweep) must be a file
 * that reads the same twice - a regular file, or a drmemtrace capture
 * directory: a pipe or a terminal would give the second pass nothing. WHY
 * names what reads it twice; dies otherwise. */
void cli_need_regular(const args *a, const char *trace, const char *why);

/* Comparisons (run, migrate): --vs SETTING, each a change B has over A -
 * "key=value", or keys joined by ':' with a value each ("k1:k2=v1:v2", as
 * sweep's --grid) - and --vs-config FILE, B's config files in place of A's
 * (A's --set apply to both). Both repeatable, applied in order. */
typedef struct vs_args {
	const char *sets[64];
	int nsets;
	const char *files[16];
	int nfiles;
} vs_args;

int cli_vs_opt(args *a, vs_args *v);
/* Whether a comparison was asked for. */
int cli_vs_given(const vs_args *v);
/* Every --vs SETTING well formed (before anything is read). */
void cli_vs_check(const args *a, const vs_args *v);
/* B's registry: a copy of PA (A's; the config files are read once), or with
 * --vs-config the defaults, those files and C's --set; then every --vs.
 * EXTRA as for cli_build_params_with. Dies on bad input. */
param_reg *cli_build_vs_params(const args *a, const config_args *c, const vs_args *v,
			       const param_reg *pa, int (*extra)(param_reg *p));
/* The head of a comparison's report: the command, TRACE, what A and B are
 * and every parameter in which they differ. */
void cli_vs_head(FILE *f, const char *what, const char *trace, const config_args *c,
		 const vs_args *v, const param_reg *pa, const param_reg *pb);
/* Patterns given by an option (--stats PATTERN, repeatable). */
typedef struct cli_patterns {
	const char **pats;
	size_t n, cap;
} cli_patterns;
void cli_pattern_add(const args *a, cli_patterns *ps, const char *pat);
void cli_patterns_free(cli_patterns *ps);
/* Whether any of the patterns (a cli_patterns, CTX) names NAME. */
int cli_pattern_keep(const char *name, const void *ctx);
/* Does PAT name the dotted NAME: the name itself, a dotted prefix of it
 * ("tlb.l2" or "tlb.l2."), or a shell pattern (* ? [) over the whole name? */
int cli_pattern_names(const char *pat, const char *name);

/* Standard output is one of the inputs (report >> TRACE): die. Call once
 * every input is registered. */
void cli_check_stdout(const args *a);
/* Open an output (dies with its message on failure). */
outfile *cli_output(const args *a, const char *path, const char *what, unsigned flags);
/* Commit it (dies naming it when a write failed). */
void cli_commit(outfile *o);
/* Writing output O failed with message ERR (errno still the write's):
 * exit 1 naming it, or 141 quietly when O is a pipe whose reader left. */
void cli_write_failed(const outfile *o, const char *err) __attribute__((noreturn));
/* Flush standard output now; a failure is fatal (exit 1, or 141 quietly
 * for a closed pipe, as a process killed by SIGPIPE would give). */
void cli_flush_stdout(void);

/* Open TRACE for replay (prefetches as such, decoding on sim.threads);
 * dies naming it when it cannot be read. */
trace_reader *cli_open_trace(const char *trace, enum trace_format fmt, const param_reg *p);

/* ---------------------------------------------------------------- progress */

/* One progress line on standard error while a long command works, when it
 * is a terminal (and the command is not --quiet): a label, the percent
 * done, the rate, the time spent and the time left - as run's (replay.c).
 * Redrawn at most four times a second; cleared at the end. */
typedef struct cli_progress {
	int on;
	double t0, last;
	int shown;
} cli_progress;

/* ON: the command wants one (not --quiet); drawn only if stderr is a tty. */
void cli_progress_init(cli_progress *pr, int on);
/* WHAT is FRAC done (0..1; < 0: not known, no percent or ETA), COUNT of
 * UNIT ("records", "points") done since the start (for the rate). */
void cli_progress_show(cli_progress *pr, const char *what, double frac, double count,
		       const char *unit);
/* The line cleared (if one was drawn). */
void cli_progress_clear(cli_progress *pr);
/* Seconds of a monotonic clock. */
double cli_now(void);

/* ---------------------------------------------------------------- run */

/* One replay of `run`: its configuration, and what the replay leaves for
 * the report. */
typedef struct run_job {
	const param_reg *p;        /* in */
	const struct v2p *map;     /* in: --v2p's placement, or NULL */
	machine *m;                /* out: the machine that replayed */
	trace_reader *r;           /* out: the trace as read (header, path) */
	double elapsed;            /* out: wall seconds */
	/* in: called by the engine with the machine it made for this job,
	 * before anything is replayed (run --cosim attaches the RTL), or NULL */
	void (*attach)(struct run_job *job, machine *m);
	void *attach_ctx;
} run_job;

/* Who replays for `run` when it is not this process's own loop (the
 * SystemC platform, build/slatsim-sc): the same arguments, reports and
 * outputs, another engine. */
typedef struct run_engine {
	const char *usage;                          /* the --help text */
	int (*register_params)(param_reg *p);       /* its own parameters, or NULL */
	/* Replay TRACE for each of the N jobs (2 with --vs: A and B), filling
	 * their outputs. Dies on bad input found before the replay starts; a
	 * failure during it is printed and returned as the exit status (0:
	 * none), so that a SystemC simulation ends by returning from sc_main. */
	int (*replay)(const struct run_engine *e, const args *a, const char *trace,
		      enum trace_format fmt, const replay_opts *ro, run_job *jobs, unsigned n);
	/* Free what replay made (the machines and readers). */
	void (*release)(const struct run_engine *e, run_job *jobs, unsigned n);
	void *ctx;
} run_engine;

/* `run` with the arguments in A, replayed by E (NULL: machine_run through
 * replay_run, with --cosim). Returns the exit status. */
int cli_run(args *a, const run_engine *e);

/* A program's main: the outputs' set, DISPATCH, and the final checked
 * flush of standard output. Returns the exit status. */
int cli_main(int argc, char **argv, int (*dispatch)(int argc, char **argv, outset *outs));

/* The --json documents of reach, migrate, params and trace info, for another
 * driver of their engines too (the Python package, sim/python): reach's
 * whole document (R finished), and migrate's "migrate" object (CTX: the
 * migrate) that report_json_ext appends. */
struct reach;
struct json_w;
void cli_reach_json(FILE *f, const char *trace, const trace_header *h, const param_reg *p,
		    const struct reach *r);
void cli_migrate_json(struct json_w *j, const void *ctx);
/* params --json of P's keys (those KEEP marks; NULL: all). */
void cli_params_json(FILE *f, const param_reg *p, const unsigned char *keep);
/* trace info --json of the counts T (per vCPU too) of the trace R read. */
struct tracestat;
void cli_trace_info_json(FILE *f, const struct tracestat *t, trace_reader *r);

/* The commands: each returns its exit status. */
int cmd_run(args *a);
int cmd_explain(args *a);
int cmd_params(args *a);
int cmd_trace_info(args *a);
int cmd_trace_import(args *a);
int cmd_trace_gen(args *a);
int cmd_reach(args *a);
int cmd_sweep(args *a);
int cmd_plot(args *a);
int cmd_calibrate(args *a);
int cmd_migrate(args *a);
int cmd_diff(args *a);
int cmd_completion(args *a);

#endif
