/*
 * sim/main.c - the slatsim command line.
 *
 * The only place that prints errors and exits. Exit status: 0 success, 2 bad
 * input (usage, trace, config, parameter), 1 an internal failure.
 */
#include "cosim.h"
#include "param.h"
#include "report.h"
#include "sim.h"
#include "trace.h"
#include "tracestat.h"
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_BAD 2

static const char *const main_usage =
	"usage: slatsim COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  run [--config FILE] [--set key=value]... [--json FILE] [--format F] [--quiet] TRACE\n"
	"                         replay TRACE through the model and print the report\n"
	"  explain [--config FILE] [--set key=value]... [--access r|w|x] GVA\n"
	"                         print one translation step by step\n"
	"  params [--json] [--config FILE] [--set key=value]...\n"
	"                         list every parameter: type, default, unit, range, help\n"
	"  trace info [--format F] [--json] TRACE\n"
	"                         count records, vCPUs and the footprint of a trace\n"
	"  trace import [--format F] [--desc TEXT] [--vcpus N] [--level N] IN OUT.slt\n"
	"                         convert a lackey, ChampSim, drmemtrace or text trace ('-' =\n"
	"                         stdin) to .slt\n"
	"  trace gen --pattern P [options] -o OUT.slt\n"
	"                         write a synthetic trace (see 'slatsim trace gen --help')\n"
	"\n"
	"TRACE may be .slt, valgrind lackey output, a ChampSim trace or a text trace,\n"
	"plain, gzip or xz compressed, or '-' for standard input, or a DynamoRIO\n"
	"drmemtrace capture (its directory, DIR/trace, or one per-thread file: zip,\n"
	"gzip, zlib or plain; each thread a vCPU); the format is detected from the\n"
	"content unless --format slt|lackey|champsim|text|drmemtrace is given.\n"
	"'slatsim COMMAND --help' describes one command. Exit status: 0 success,\n"
	"2 bad input (usage, trace, config or parameter), 1 internal failure.\n";

static const char *const run_usage =
	"usage: slatsim run [--config FILE]... [--set key=value]... [--json FILE]\n"
	"                   [--format F] [--quiet] [--vs key=value]\n"
	"                   [--cosim pml [--waves FILE.fst [--waves-range A:B]]] TRACE\n"
	"\n"
	"Replay TRACE with the default configuration, changed by config files\n"
	"('key = value' lines, '#' comments; applied in order) and then by every\n"
	"--set (which override the files whatever their order). Prints the report;\n"
	"--json FILE also writes every statistic and the effective configuration as\n"
	"JSON ('-' = standard output, the text report then goes to stderr). A\n"
	"progress line goes to stderr when it is a terminal, unless --quiet.\n"
	"\n"
	"--vs key=value replays TRACE twice - the configuration (A), and A with that\n"
	"one change (B) - and prints every statistic that is non-zero in either,\n"
	"side by side with B/A; --json then writes a JSON array [A, B]. Example:\n"
	"  slatsim run --set dirtylog.mode=wp --vs dirtylog.mode=pml TRACE\n"
	"\n"
	"--cosim pml runs the RTL PML unit (model/pml/rtl/pml_unit.sv, Verilated) in\n"
	"lockstep with the C model: every A/D-update request and register write goes\n"
	"to both, and the first disagreement stops the run with the record, the\n"
	"request, both sides' values and the RTL cycle (exit status 1). Implies\n"
	"dirtylog.mode=pml. Parameters cosim.* set the RTL's memory latency and\n"
	"back-pressure and whether the RTL's cycles are charged (cosim.cost=rtl).\n"
	"A coverage table of the corner cases follows the report.\n"
	"--waves FILE.fst writes an FST waveform: of the last cosim.window requests\n"
	"before the mismatch (or the end of the run), replayed from the state both\n"
	"sides agreed on; with --waves-range A:B, of records A..B (0-based) live.\n";

static const char *const params_usage =
	"usage: slatsim params [--json] [--config FILE]... [--set key=value]...\n"
	"\n"
	"List every parameter with its type, default, unit, allowed range and help.\n"
	"With --config/--set, the effective value column shows their result.\n";

static const char *const info_usage =
	"usage: slatsim trace info [--format F] [--json] TRACE\n"
	"\n"
	"Count records, reads, writes, ifetches, vCPUs, distinct 4 KB / 64 KB / 2 MB\n"
	"pages touched (an access that crosses a boundary touches both pages), 4 KB\n"
	"pages written, and accesses crossing a 4 KB boundary. --json prints exactly\n"
	"these keys in one object: records reads writes ifetches vcpus pages_4k\n"
	"pages_4k_written pages_64k pages_2m crossing_4k.\n";

static const char *const import_usage =
	"usage: slatsim trace import [--format F] [--desc TEXT] [--vcpus N] [--level N]\n"
	"                            IN OUT.slt\n"
	"\n"
	"Convert IN (any readable format; '-' = standard input) to the native .slt\n"
	"format (OUT '-' = standard output). --desc sets the description (default:\n"
	"the source format and path); --vcpus declares the vCPU count (default: what\n"
	"the input declares; text traces declare none); --level is the zlib level\n"
	"(1-9, default 6). A failed import removes OUT.\n";

static const char *const gen_usage =
	"usage: slatsim trace gen --pattern seq|stride|random|zipf|gups|chase -o OUT.slt\n"
	"                         [--footprint SIZE] [--count N] [--stride SIZE]\n"
	"                         [--size N] [--write-ratio F] [--zipf S] [--vcpus N]\n"
	"                         [--icount N] [--base ADDR] [--seed N] [--level N]\n"
	"\n"
	"  --footprint SIZE   bytes covered (K/M/G/T suffixes), default 64M\n"
	"  --count N          records to write (K/M/G suffixes), default 1M\n"
	"  --stride SIZE      step for stride, element size for chase, default 4K\n"
	"  --size N           bytes per access, default 8\n"
	"  --write-ratio F    fraction of writes (seq/stride/random/zipf), default 0.3\n"
	"  --zipf S           zipf exponent, default 1.0\n"
	"  --vcpus N          vCPUs, records interleave round-robin, default 1\n"
	"  --icount N         instructions retired per record, default 1\n"
	"  --base ADDR        first address of the footprint, default 0x10000000\n"
	"  --seed N           random seed, default 1\n"
	"Patterns: seq (each vCPU walks its share), stride, random (uniform), zipf\n"
	"(4 KB pages, P(rank k) ~ 1/k^S, ranks scattered), gups (read+write of a\n"
	"random word), chase (every element once per lap in random order).\n";

static void die_usage(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die_usage(const char *usage, const char *fmt, ...)
{
	va_list ap;
	fputs("slatsim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (usage)
		fputs(usage, stderr);
	exit(EXIT_BAD);
}

/* A --json output being written: a failed run leaves no half file behind. */
static const char *json_out_path;

static void die(int code, const char *msg) __attribute__((noreturn));
static void die(int code, const char *msg)
{
	fprintf(stderr, "slatsim: %s\n", msg);
	if (json_out_path)
		remove(json_out_path);
	exit(code);
}

/* ---------- option parsing ---------- */

typedef struct args {
	int argc, i;
	char **argv;
	const char *usage;
} args;

static int is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* If argv[i] is option NAME ("--name" or "--name=value"), return its value
 * (consuming the next argument when needed) and advance. */
static const char *opt_value(args *a, const char *name)
{
	const char *arg = a->argv[a->i];
	size_t l = strlen(name);
	if (strncmp(arg, name, l) != 0)
		return NULL;
	if (arg[l] == '=') {
		a->i++;
		return arg + l + 1;
	}
	if (arg[l] != '\0')
		return NULL;
	if (a->i + 1 >= a->argc)
		die_usage(a->usage, "option %s needs a value", name);
	a->i += 2;
	return a->argv[a->i - 1];
}

static int opt_flag(args *a, const char *name)
{
	if (strcmp(a->argv[a->i], name) != 0)
		return 0;
	a->i++;
	return 1;
}

static uint64_t parse_count(const char *opt, const char *s, const char *usage)
{
	char *end;
	errno = 0;
	if (*s == '-' || !*s)
		die_usage(usage, "%s: '%s' is not a non-negative number", opt, s);
	unsigned long long v = strtoull(s, &end, 0);
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k') { shift = 10; end++; }
	else if (*end == 'M' || *end == 'm') { shift = 20; end++; }
	else if (*end == 'G' || *end == 'g') { shift = 30; end++; }
	else if (*end == 'T' || *end == 't') { shift = 40; end++; }
	if (errno || *end || (shift && v > (UINT64_MAX >> shift)))
		die_usage(usage, "%s: '%s' is not a number (suffixes K, M, G, T allowed)", opt, s);
	return (uint64_t)v << shift;
}

static double parse_float(const char *opt, const char *s, const char *usage)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end)
		die_usage(usage, "%s: '%s' is not a number", opt, s);
	return v;
}

static enum trace_format parse_format(const char *s, const char *usage)
{
	enum trace_format f;
	if (trace_format_parse(s, &f) != TRACE_OK)
		die_usage(usage, "--format: unknown format '%s' (auto, slt, lackey, champsim, text, "
			  "drmemtrace)",
			  s);
	return f;
}

static void unknown_option(args *a)
{
	die_usage(a->usage, "unknown option '%s'", a->argv[a->i]);
}

/* ---------- shared configuration handling ---------- */

typedef struct config_args {
	const char *files[16];
	int nfiles;
	const char *sets[256];
	int nsets;
} config_args;

static int config_opt(args *a, config_args *c)
{
	const char *v;
	if ((v = opt_value(a, "--config"))) {
		if (c->nfiles == 16)
			die_usage(a->usage, "too many --config files");
		c->files[c->nfiles++] = v;
		return 1;
	}
	if ((v = opt_value(a, "--set"))) {
		if (c->nsets == 256)
			die_usage(a->usage, "too many --set options");
		c->sets[c->nsets++] = v;
		return 1;
	}
	return 0;
}

static param_reg *build_params(const config_args *c)
{
	param_reg *p = param_create();
	char err[512];
	if (!p)
		die(1, "out of memory");
	sim_params_register(p);
	for (int i = 0; i < c->nfiles; i++)
		if (param_load_file(p, c->files[i], err, sizeof(err)) != PARAM_OK)
			die(EXIT_BAD, err);
	for (int i = 0; i < c->nsets; i++)
		if (param_set_assignment(p, c->sets[i], "--set", err, sizeof(err)) != PARAM_OK)
			die(EXIT_BAD, err);
	return p;
}

/* ---------- run ---------- */

/* --cosim: the co-simulation of a replay, set up from the cosim.* parameters. */
typedef struct cosim_opts {
	const char *waves;
	int live;                 /* --waves-range given: */
	uint64_t lo, hi;          /* its records */
	cosim *c;                 /* out */
} cosim_opts;

static cosim *cosim_setup(sim *s, const param_reg *p, const cosim_opts *o)
{
	char err[1024];
	cosim_cfg cfg = {
		.mem_latency = (unsigned)param_int(p, "cosim.mem_latency"),
		.stall_pct = (unsigned)param_int(p, "cosim.stall_pct"),
		.seed = (uint64_t)param_int(p, "cosim.seed"),
		.cost_rtl = param_enum(p, "cosim.cost") == 1,
		.waves = o->waves, .wave_live = o->live, .wave_lo = o->lo, .wave_hi = o->hi,
		.window = (unsigned)param_int(p, "cosim.window"),
	};
	cosim *c;
	if (cosim_create(&c, &cfg, sim_current_record(s), err, sizeof(err)))
		die(EXIT_BAD, err);
	cosim_register_stats(c, sim_stats(s));
	sim_set_cosim(s, c);
	return c;
}

/* Build a machine from P and replay TRACE through it; dies on bad input.
 * With CO, the PML units are co-simulated (CO->c is set; a mismatch stops
 * the replay early and is the caller's to report). */
static sim *replay_once(const char *trace, enum trace_format fmt, const param_reg *p, int quiet,
			trace_reader **rout, cosim_opts *co)
{
	char err[1024];
	trace_reader *r;
	if (trace_open(&r, trace, fmt, err, sizeof(err)) != TRACE_OK)
		die(EXIT_BAD, err);
	sim *s;
	if (sim_create(&s, p, err, sizeof(err)) != TRACE_OK)
		die(EXIT_BAD, err);
	if (co)
		co->c = cosim_setup(s, p, co);
	if (param_bool(p, "sim.prefault")) {
		if (strcmp(trace, "-") == 0)
			die(EXIT_BAD, "sim.prefault needs a trace file (it reads the trace twice), "
			    "not standard input");
		int rc = sim_prefault(s, r, err, sizeof(err));
		trace_close(r);
		if (rc != TRACE_OK || trace_open(&r, trace, fmt, err, sizeof(err)) != TRACE_OK)
			die(EXIT_BAD, err);
	}
	sim_replay_opts o = { .progress = !quiet && isatty(2) };
	if (sim_replay(s, r, &o, err, sizeof(err)) != TRACE_OK)
		die(EXIT_BAD, err);
	*rout = r;
	return s;
}

static void write_json(FILE *jf, const char *trace, trace_reader *r, const param_reg *p, sim *s)
{
	size_t nr;
	const sim_round *rounds = sim_rounds(s, &nr);
	report_json(jf, trace, trace_get_header(r), p, sim_stats(s), rounds, nr);
}

/* --vs: both runs' non-zero statistics side by side. */
static void report_vs(FILE *f, const char *change, const stats_reg *a, const stats_reg *b)
{
	fprintf(f, "  %-28s %16s %16s %9s\n", "statistic", "A", "B", "B/A");
	fprintf(f, "  %-28s %16s %16s\n", "", "(configuration)", change);
	for (size_t i = 0; i < stats_count(a); i++) {
		const char *n = stats_name_at(a, i);
		int found;
		if (stats_kind_at(a, i) == STATS_RATIO) {
			double x = stats_ratio_at(a, i), y = stats_ratio_at(b, i);
			if (x != 0 || y != 0)
				fprintf(f, "  %-28s %16.4f %16.4f %9s\n", n, x, y, "");
			continue;
		}
		uint64_t x = stats_value_at(a, i), y = stats_get(b, n, &found);
		if (!x && !y)
			continue;
		if (x)
			fprintf(f, "  %-28s %16llu %16llu %9.4f\n", n, (unsigned long long)x,
				(unsigned long long)y, (double)y / (double)x);
		else
			fprintf(f, "  %-28s %16llu %16llu %9s\n", n, (unsigned long long)x,
				(unsigned long long)y, "-");
	}
}

static int cmd_run(int argc, char **argv)
{
	args a = { argc, 0, argv, run_usage };
	config_args c = { .nfiles = 0 };
	const char *json = NULL, *trace = NULL, *vs = NULL, *v, *co = NULL, *range = NULL;
	cosim_opts copt = { .waves = NULL };
	enum trace_format fmt = TRACE_FMT_AUTO;
	int quiet = 0;
	while (a.i < argc) {
		if (is_help(argv[a.i])) {
			fputs(run_usage, stdout);
			return 0;
		}
		if (config_opt(&a, &c))
			continue;
		if ((v = opt_value(&a, "--json"))) { json = v; continue; }
		if ((v = opt_value(&a, "--vs"))) { vs = v; continue; }
		if ((v = opt_value(&a, "--cosim"))) { co = v; continue; }
		if ((v = opt_value(&a, "--waves"))) { copt.waves = v; continue; }
		if ((v = opt_value(&a, "--waves-range"))) { range = v; continue; }
		if ((v = opt_value(&a, "--format"))) { fmt = parse_format(v, run_usage); continue; }
		if (opt_flag(&a, "--quiet")) { quiet = 1; continue; }
		if (argv[a.i][0] == '-' && argv[a.i][1] != '\0')
			unknown_option(&a);
		if (trace)
			die_usage(run_usage, "more than one trace given ('%s' and '%s')", trace,
				  argv[a.i]);
		trace = argv[a.i++];
	}
	if (!trace)
		die_usage(run_usage, "run needs a TRACE");
	if (co && strcmp(co, "pml") != 0)
		die_usage(run_usage, "--cosim: '%s' is not a unit with RTL (the only one is 'pml')",
			  co);
	if ((copt.waves || range) && !co)
		die_usage(run_usage, "--waves and --waves-range need --cosim pml");
	if (range && !copt.waves)
		die_usage(run_usage, "--waves-range needs --waves FILE.fst");
	if (co && vs)
		die_usage(run_usage, "--cosim and --vs cannot be combined (one replay is co-simulated)");
	if (range) {
		char *end;
		errno = 0;
		copt.lo = strtoull(range, &end, 0);
		int ok = end != range && *end == ':' && errno == 0;
		const char *b = end + 1;
		if (ok) {
			copt.hi = strtoull(b, &end, 0);
			ok = end != b && *end == '\0' && errno == 0 && copt.hi >= copt.lo &&
			     range[0] != '-' && b[0] != '-';
		}
		if (!ok)
			die_usage(run_usage, "--waves-range '%s': expected A:B, record numbers with "
				  "A <= B (0-based)", range);
		copt.live = 1;
	}
	param_reg *p = build_params(&c), *pb = NULL;
	char err[1024];
	if (co) {
		int mode = param_enum(p, "dirtylog.mode");
		if (mode != 0 && mode != 2)
			die(EXIT_BAD, "--cosim pml co-simulates the PML unit: dirtylog.mode must be "
			    "pml (or off, which --cosim pml turns into pml)");
		if (param_set_assignment(p, "dirtylog.mode=pml", "--cosim", err, sizeof(err)) !=
		    PARAM_OK)
			die(EXIT_BAD, err);
	}
	if (vs) {
		if (strcmp(trace, "-") == 0)
			die_usage(run_usage, "--vs replays the trace twice: it needs a file, not '-'");
		pb = build_params(&c);
		if (param_set_assignment(pb, vs, "--vs", err, sizeof(err)) != PARAM_OK)
			die(EXIT_BAD, err);
	}
	FILE *jf = NULL;
	if (json) {
		jf = strcmp(json, "-") == 0 ? stdout : fopen(json, "w");
		if (!jf) {
			snprintf(err, sizeof(err), "%s: cannot create: %s", json, strerror(errno));
			die(EXIT_BAD, err);
		}
		if (jf != stdout)
			json_out_path = json;   /* removed if a replay dies */
	}
	FILE *tf = jf == stdout ? stderr : stdout;
	trace_reader *r, *rb = NULL;
	sim *s = replay_once(trace, fmt, p, quiet, &r, co ? &copt : NULL), *sb = NULL;
	if (pb)
		sb = replay_once(trace, fmt, pb, quiet, &rb, NULL);
	int status = 0;
	if (copt.c) {
		if (cosim_failed(copt.c)) {
			cosim_print_mismatch(copt.c, stderr);
			status = 1;
		}
		if (cosim_finish(copt.c, err, sizeof(err))) {
			fprintf(stderr, "slatsim: %s\n", err);
			status = status ? status : EXIT_BAD;
		}
	}
	if (sb) {
		fprintf(tf, "slatsim %s  trace %s\n  A: the configuration; B: A with --vs %s\n\n",
			SLATSIM_VERSION, trace, vs);
		report_vs(tf, vs, sim_stats(s), sim_stats(sb));
	} else {
		report_text(tf, trace, trace_get_header(r), sim_stats(s));
		double el = sim_elapsed_seconds(s);
		int found;
		uint64_t nrec = stats_get(sim_stats(s), "records", &found);
		fprintf(tf, "\n  replay %.3f s, %.2f M records/s\n", el,
			el > 0 ? (double)nrec / el / 1e6 : 0.0);
		if (copt.c) {
			fputc('\n', tf);
			cosim_print_coverage(copt.c, tf);
			int f1, f2;
			const stats_reg *st = sim_stats(s);
			uint64_t nlog = stats_get(st, "cosim.logged", &f1);
			uint64_t lat = stats_get(st, "cosim.rtl_latency", &f2);
			if (nlog)
				fprintf(tf, "  RTL: %.2f cycles per logged entry at cosim.mem_latency=%lld "
					"(C model: pml.log.cycles=%lld); %s\n", (double)lat / (double)nlog,
					(long long)param_int(p, "cosim.mem_latency"),
					(long long)param_int(p, "pml.log.cycles"),
					param_enum(p, "cosim.cost") == 1 ? "the walk was charged the RTL's "
					"cycles (cosim.cost=rtl)" : "the walk was charged the C model's "
					"(cosim.cost=rtl charges the RTL's)");
			fprintf(tf, "  %s\n", cosim_failed(copt.c) ?
				"RESULT: MISMATCH (first disagreement above, on stderr)" :
				"RESULT: the RTL agreed with the C model on every request");
		}
	}
	if (jf) {
		if (sb)
			fputs("[\n", jf);
		write_json(jf, trace, r, p, s);
		if (sb) {
			fputs(",\n", jf);
			write_json(jf, trace, rb, pb, sb);
			fputs("]\n", jf);
		}
		if (jf != stdout && fclose(jf) != 0) {
			snprintf(err, sizeof(err), "%s: write error: %s", json, strerror(errno));
			die(EXIT_BAD, err);
		}
		json_out_path = NULL;
	}
	cosim_destroy(copt.c);   /* before its sim: it detaches from the PML units */
	sim_destroy(s);
	trace_close(r);
	param_destroy(p);
	if (sb) {
		sim_destroy(sb);
		trace_close(rb);
		param_destroy(pb);
	}
	return status;
}

/* ---------- explain ---------- */

static const char *const explain_usage =
	"usage: slatsim explain [--config FILE]... [--set key=value]... [--access r|w|x]\n"
	"                       [--asid N] GVA\n"
	"\n"
	"Build the mappings of GVA (hexadecimal) as the guest OS and hypervisor models\n"
	"would on first touch, then translate it once with cold caches and print\n"
	"every memory reference in order: stage, level, table address, index, the\n"
	"entry's physical address, the descriptor and its decoded fields, walk-cache\n"
	"and nested-TLB hits, the result and the cycles.\n";

static int cmd_explain(int argc, char **argv)
{
	args a = { argc, 0, argv, explain_usage };
	config_args c = { .nfiles = 0 };
	const char *gva_s = NULL, *v;
	unsigned access = 0;
	uint64_t asid = 0;
	while (a.i < argc) {
		if (is_help(argv[a.i])) {
			fputs(explain_usage, stdout);
			return 0;
		}
		if (config_opt(&a, &c))
			continue;
		if ((v = opt_value(&a, "--access"))) {
			if (strcmp(v, "r") == 0) access = 0;
			else if (strcmp(v, "w") == 0) access = 1;
			else if (strcmp(v, "x") == 0) access = 2;
			else die_usage(explain_usage, "--access: '%s' is not r, w or x", v);
			continue;
		}
		if ((v = opt_value(&a, "--asid"))) {
			asid = parse_count("--asid", v, explain_usage);
			if (asid > 0xffff)
				die_usage(explain_usage, "--asid %s above 65535", v);
			continue;
		}
		if (argv[a.i][0] == '-' && argv[a.i][1] != '\0')
			unknown_option(&a);
		if (gva_s)
			die_usage(explain_usage, "more than one GVA given");
		gva_s = argv[a.i++];
	}
	if (!gva_s)
		die_usage(explain_usage, "explain needs a GVA");
	char *end;
	errno = 0;
	unsigned long long gva = strtoull(gva_s, &end, 16);
	if (errno || end == gva_s || *end)
		die_usage(explain_usage, "GVA '%s' is not a hexadecimal address", gva_s);
	param_reg *p = build_params(&c);
	char err[1024];
	sim *s;
	if (sim_create(&s, p, err, sizeof(err)) != TRACE_OK)
		die(EXIT_BAD, err);
	if (sim_explain(s, gva, access, (uint16_t)asid, stdout, err, sizeof(err)) != TRACE_OK)
		die(EXIT_BAD, err);
	sim_destroy(s);
	param_destroy(p);
	return 0;
}

/* ---------- params ---------- */

static const char *type_name(param_type t)
{
	switch (t) {
	case PARAM_INT: return "int";
	case PARAM_SIZE: return "size";
	case PARAM_ENUM: return "enum";
	case PARAM_BOOL: return "bool";
	case PARAM_FLOAT: return "float";
	}
	return "?";
}

static void range_of(const param_def *d, char *buf, size_t len)
{
	switch (d->type) {
	case PARAM_INT:
	case PARAM_SIZE:
		snprintf(buf, len, "%" PRId64 "..%" PRId64 "%s", d->min, d->max,
			 d->flags & PARAM_F_POW2 ? " pow2" : "");
		break;
	case PARAM_ENUM: snprintf(buf, len, "%s", d->choices); break;
	case PARAM_BOOL: snprintf(buf, len, "0|1"); break;
	case PARAM_FLOAT: snprintf(buf, len, "%g..%g", d->fmin, d->fmax); break;
	}
}

static int cmd_params(int argc, char **argv)
{
	args a = { argc, 0, argv, params_usage };
	config_args c = { .nfiles = 0 };
	int json = 0;
	while (a.i < argc) {
		if (is_help(argv[a.i])) {
			fputs(params_usage, stdout);
			return 0;
		}
		if (config_opt(&a, &c))
			continue;
		if (opt_flag(&a, "--json")) { json = 1; continue; }
		unknown_option(&a);
	}
	param_reg *p = build_params(&c);
	if (json) {
		json_w j;
		json_init(&j, stdout, 1);
		json_begin_arr(&j, NULL);
		for (size_t i = 0; i < param_count(p); i++) {
			const param_def *d = param_def_at(p, i);
			json_begin_obj(&j, NULL);
			json_str(&j, "name", d->name);
			json_str(&j, "type", type_name(d->type));
			json_str(&j, "default", d->def);
			json_str(&j, "value", param_text_at(p, i));
			json_str(&j, "unit", d->unit ? d->unit : "");
			if (d->type == PARAM_INT || d->type == PARAM_SIZE) {
				json_i64(&j, "min", d->min);
				json_i64(&j, "max", d->max);
				json_bool(&j, "power_of_two", (d->flags & PARAM_F_POW2) != 0);
			} else if (d->type == PARAM_FLOAT) {
				json_dbl(&j, "min", d->fmin);
				json_dbl(&j, "max", d->fmax);
			} else if (d->type == PARAM_ENUM) {
				json_str(&j, "choices", d->choices);
			}
			json_str(&j, "help", d->help);
			json_end_obj(&j);
		}
		json_end_arr(&j);
		json_finish(&j);
	} else {
		for (size_t i = 0; i < param_count(p); i++) {
			const param_def *d = param_def_at(p, i);
			char range[128];
			range_of(d, range, sizeof(range));
			printf("%-28s %-5s %-10s %-8s %s\n", d->name, type_name(d->type),
			       param_text_at(p, i), d->unit ? d->unit : "", range);
			printf("    %s\n", d->help);
			if (strcmp(param_text_at(p, i), d->def) != 0)
				printf("    (default %s)\n", d->def);
		}
	}
	param_destroy(p);
	return 0;
}

/* ---------- trace info ---------- */

static int cmd_trace_info(int argc, char **argv)
{
	args a = { argc, 0, argv, info_usage };
	const char *path = NULL, *v;
	enum trace_format fmt = TRACE_FMT_AUTO;
	int json = 0;
	while (a.i < argc) {
		if (is_help(argv[a.i])) {
			fputs(info_usage, stdout);
			return 0;
		}
		if ((v = opt_value(&a, "--format"))) { fmt = parse_format(v, info_usage); continue; }
		if (opt_flag(&a, "--json")) { json = 1; continue; }
		if (argv[a.i][0] == '-' && argv[a.i][1] != '\0')
			unknown_option(&a);
		if (path)
			die_usage(info_usage, "more than one trace given");
		path = argv[a.i++];
	}
	if (!path)
		die_usage(info_usage, "trace info needs a TRACE");
	char err[1024];
	trace_reader *r;
	if (trace_open(&r, path, fmt, err, sizeof(err)) != TRACE_OK)
		die(EXIT_BAD, err);
	tracestat t;
	if (tracestat_init(&t) != 0)
		die(1, "out of memory");
	static trace_rec buf[4096];
	for (;;) {
		long n = trace_read(r, buf, 4096, err, sizeof(err));
		if (n < 0)
			die(EXIT_BAD, err);
		if (n == 0)
			break;
		if (tracestat_add(&t, buf, (size_t)n) != 0)
			die(1, "out of memory counting pages");
	}
	const trace_header *h = trace_get_header(r);
	const struct { const char *k; uint64_t v; } kv[] = {
		{ "records", t.records }, { "reads", t.reads }, { "writes", t.writes },
		{ "ifetches", t.ifetches }, { "vcpus", t.vcpus }, { "pages_4k", t.pages_4k },
		{ "pages_4k_written", t.pages_4k_written }, { "pages_64k", t.pages_64k },
		{ "pages_2m", t.pages_2m }, { "crossing_4k", t.crossing_4k },
	};
	if (json) {
		json_w j;
		json_init(&j, stdout, 0);
		json_begin_obj(&j, NULL);
		for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
			json_u64(&j, kv[i].k, kv[i].v);
		json_end_obj(&j);
		json_finish(&j);
	} else {
		printf("%-18s %s\n", "trace", path);
		printf("%-18s %s", "format", trace_format_name(h->format));
		if (h->format == TRACE_FMT_SLT)
			printf(" (version %u)", h->version);
		if (h->vcpus)
			printf(", %u vCPU%s declared", h->vcpus, h->vcpus == 1 ? "" : "s");
		printf("\n");
		if (h->desc[0])
			printf("%-18s %s\n", "description", h->desc);
		for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
			printf("%-18s %" PRIu64 "\n", kv[i].k, kv[i].v);
		if (t.invalidations)
			printf("%-18s %" PRIu64 "\n", "invalidations", t.invalidations);
		printf("%-18s %" PRIu64 "\n", "instructions", t.instructions);
		printf("%-18s %.1f MiB (4 KB pages)\n", "footprint",
		       (double)t.pages_4k * 4096.0 / (1 << 20));
	}
	tracestat_free(&t);
	trace_close(r);
	return 0;
}

/* ---------- trace import ---------- */

static int cmd_trace_import(int argc, char **argv)
{
	args a = { argc, 0, argv, import_usage };
	const char *in = NULL, *out = NULL, *desc = NULL, *v;
	enum trace_format fmt = TRACE_FMT_AUTO;
	long vcpus = -1, level = 6;
	while (a.i < argc) {
		if (is_help(argv[a.i])) {
			fputs(import_usage, stdout);
			return 0;
		}
		if ((v = opt_value(&a, "--format"))) { fmt = parse_format(v, import_usage); continue; }
		if ((v = opt_value(&a, "--desc"))) { desc = v; continue; }
		if ((v = opt_value(&a, "--vcpus"))) {
			uint64_t n = parse_count("--vcpus", v, import_usage);
			if (n < 1 || n > TRACE_MAX_VCPUS)
				die_usage(import_usage, "--vcpus %s out of range 1..%u", v,
					  TRACE_MAX_VCPUS);
			vcpus = (long)n;
			continue;
		}
		if ((v = opt_value(&a, "--level"))) {
			uint64_t n = parse_count("--level", v, import_usage);
			if (n < 1 || n > 9)
				die_usage(import_usage, "--level %s out of range 1..9", v);
			level = (long)n;
			continue;
		}
		if (argv[a.i][0] == '-' && argv[a.i][1] != '\0')
			unknown_option(&a);
		if (!in)
			in = argv[a.i++];
		else if (!out)
			out = argv[a.i++];
		else
			die_usage(import_usage, "unexpected argument '%s'", argv[a.i]);
	}
	if (!in || !out)
		die_usage(import_usage, "trace import needs IN and OUT");
	char err[1024];
	trace_reader *r;
	if (trace_open(&r, in, fmt, err, sizeof(err)) != TRACE_OK)
		die(EXIT_BAD, err);
	trace_header h = *trace_get_header(r);
	if (vcpus > 0)
		h.vcpus = (unsigned)vcpus;
	if (desc)
		snprintf(h.desc, sizeof(h.desc), "%s", desc);
	else {
		size_t l = strlen(h.desc);
		snprintf(h.desc + l, sizeof(h.desc) - l, ", imported from %.3000s", in);
	}
	trace_writer *w;
	if (trace_writer_open(&w, out, &h, (int)level, err, sizeof(err)) != TRACE_OK)
		die(EXIT_BAD, err);
	static trace_rec buf[4096];
	uint64_t n_total = 0;
	for (;;) {
		long n = trace_read(r, buf, 4096, err, sizeof(err));
		if (n == 0)
			break;
		if (n < 0 || trace_write(w, buf, (size_t)n, err, sizeof(err)) != TRACE_OK) {
			trace_writer_abort(w);
			if (strcmp(out, "-") != 0)
				remove(out);
			die(EXIT_BAD, err);
		}
		n_total += (uint64_t)n;
	}
	trace_close(r);
	if (trace_writer_close(w, err, sizeof(err)) != TRACE_OK) {
		if (strcmp(out, "-") != 0)
			remove(out);
		die(EXIT_BAD, err);
	}
	if (strcmp(out, "-") != 0)
		fprintf(stderr, "slatsim: wrote %" PRIu64 " records to %s\n", n_total, out);
	return 0;
}

/* ---------- trace gen ---------- */

static int cmd_trace_gen(int argc, char **argv)
{
	args a = { argc, 0, argv, gen_usage };
	trace_gen_config c = {
		.pattern = TRACE_GEN_SEQ, .base = 0x10000000, .footprint = 64u << 20,
		.count = 1u << 20, .stride = 4096, .size = 8, .write_ratio = 0.3, .zipf_s = 1.0,
		.vcpus = 1, .icount = 1, .seed = 1,
	};
	const char *out = NULL, *v, *pattern = NULL;
	long level = 6;
	while (a.i < argc) {
		if (is_help(argv[a.i])) {
			fputs(gen_usage, stdout);
			return 0;
		}
		if ((v = opt_value(&a, "--pattern"))) {
			pattern = v;
			if (trace_gen_pattern_parse(v, &c.pattern) != TRACE_OK)
				die_usage(gen_usage, "--pattern: unknown pattern '%s'", v);
			continue;
		}
		if ((v = opt_value(&a, "--footprint"))) { c.footprint = parse_count("--footprint", v, gen_usage); continue; }
		if ((v = opt_value(&a, "--count"))) { c.count = parse_count("--count", v, gen_usage); continue; }
		if ((v = opt_value(&a, "--stride"))) { c.stride = parse_count("--stride", v, gen_usage); continue; }
		if ((v = opt_value(&a, "--base"))) { c.base = parse_count("--base", v, gen_usage); continue; }
		if ((v = opt_value(&a, "--seed"))) { c.seed = parse_count("--seed", v, gen_usage); continue; }
		if ((v = opt_value(&a, "--size"))) {
			uint64_t n = parse_count("--size", v, gen_usage);
			c.size = n > TRACE_MAX_SIZE ? 0 : (unsigned)n;
			continue;
		}
		if ((v = opt_value(&a, "--vcpus"))) {
			uint64_t n = parse_count("--vcpus", v, gen_usage);
			c.vcpus = n > TRACE_MAX_VCPUS ? 0 : (unsigned)n;
			continue;
		}
		if ((v = opt_value(&a, "--icount"))) {
			uint64_t n = parse_count("--icount", v, gen_usage);
			if (n > 0xffffffffu)
				die_usage(gen_usage, "--icount %s above 2^32-1", v);
			c.icount = (uint32_t)n;
			continue;
		}
		if ((v = opt_value(&a, "--write-ratio"))) { c.write_ratio = parse_float("--write-ratio", v, gen_usage); continue; }
		if ((v = opt_value(&a, "--zipf"))) { c.zipf_s = parse_float("--zipf", v, gen_usage); continue; }
		if ((v = opt_value(&a, "--level"))) {
			uint64_t n = parse_count("--level", v, gen_usage);
			if (n < 1 || n > 9)
				die_usage(gen_usage, "--level %s out of range 1..9", v);
			level = (long)n;
			continue;
		}
		if ((v = opt_value(&a, "-o")) || (v = opt_value(&a, "--output"))) { out = v; continue; }
		unknown_option(&a);
	}
	if (!pattern)
		die_usage(gen_usage, "trace gen needs --pattern");
	if (!out)
		die_usage(gen_usage, "trace gen needs -o OUT");
	char err[1024];
	trace_gen *g;
	if (trace_gen_create(&g, &c, err, sizeof(err)) != TRACE_OK)
		die_usage(gen_usage, "%s", err);
	trace_header h = { .vcpus = c.vcpus, .flags = 0 };
	snprintf(h.desc, sizeof(h.desc),
		 "slatsim trace gen --pattern %s --footprint %llu --count %llu --stride %llu "
		 "--size %u --write-ratio %g --zipf %g --vcpus %u --icount %u --base 0x%llx "
		 "--seed %llu", pattern, (unsigned long long)c.footprint,
		 (unsigned long long)c.count, (unsigned long long)c.stride, c.size,
		 c.write_ratio, c.zipf_s, c.vcpus, c.icount, (unsigned long long)c.base,
		 (unsigned long long)c.seed);
	trace_writer *w;
	if (trace_writer_open(&w, out, &h, (int)level, err, sizeof(err)) != TRACE_OK)
		die(EXIT_BAD, err);
	static trace_rec buf[4096];
	size_t n;
	while ((n = trace_gen_next(g, buf, 4096)) > 0) {
		if (trace_write(w, buf, n, err, sizeof(err)) != TRACE_OK) {
			trace_writer_abort(w);
			remove(out);
			die(EXIT_BAD, err);
		}
	}
	trace_gen_destroy(g);
	if (trace_writer_close(w, err, sizeof(err)) != TRACE_OK) {
		remove(out);
		die(EXIT_BAD, err);
	}
	return 0;
}

/* ---------- dispatch ---------- */

static const char *const commands[] = { "run", "params", "trace", "help", "explain" };
static const char *const trace_cmds[] = { "info", "import", "gen" };

static void unknown_command(const char *what, const char *got, const char *const *list,
			    size_t n)
{
	const char *best = NULL;
	size_t bd = 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = param_edit_distance(got, list[i]);
		if (d < bd) {
			bd = d;
			best = list[i];
		}
	}
	if (best)
		die_usage(NULL, "unknown %s '%s' (did you mean '%s'?); see 'slatsim --help'",
			  what, got, best);
	die_usage(NULL, "unknown %s '%s'; see 'slatsim --help'", what, got);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(main_usage, stderr);
		return EXIT_BAD;
	}
	const char *cmd = argv[1];
	if (is_help(cmd) || strcmp(cmd, "help") == 0) {
		fputs(main_usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("slatsim %s\n", SLATSIM_VERSION);
		return 0;
	}
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (strcmp(cmd, "params") == 0)
		return cmd_params(argc - 2, argv + 2);
	if (strcmp(cmd, "explain") == 0)
		return cmd_explain(argc - 2, argv + 2);
	if (strcmp(cmd, "trace") == 0) {
		if (argc < 3)
			die_usage(main_usage, "trace needs a subcommand: info, import or gen");
		const char *sub = argv[2];
		if (is_help(sub)) {
			fputs(main_usage, stdout);
			return 0;
		}
		if (strcmp(sub, "info") == 0)
			return cmd_trace_info(argc - 3, argv + 3);
		if (strcmp(sub, "import") == 0)
			return cmd_trace_import(argc - 3, argv + 3);
		if (strcmp(sub, "gen") == 0)
			return cmd_trace_gen(argc - 3, argv + 3);
		unknown_command("trace subcommand", sub, trace_cmds, 3);
	}
	unknown_command("command", cmd, commands, 5);
	return EXIT_BAD;
}
