/*
 * sim/cli/run.c - `slatsim run`: replay a trace through the machine and
 * print the report; --json, --vs, --cosim pml with --waves.
 */
#include "cli.h"
#include "cosim.h"
#include "report.h"
#include "machine.h"
#include "replay.h"
#include "v2p.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const run_usage =
	"usage: slatsim run [--config FILE]... [--set key=value]... [--json FILE]\n"
	"                   [--format F] [-q] [--all] [--stats PATTERN]...\n"
	"                   [--vs SETTING]... [--vs-config FILE]...\n"
	"                   [--skip N] [--limit N] [--warmup N] [--v2p FILE]\n"
	"                   [--dump-config FILE]\n"
	"                   [--cosim pml [--waves FILE.fst [--waves-range A:B]]] TRACE\n"
	"\n"
	"Replay TRACE with the default configuration, changed by config files\n"
	"('key = value' lines, '#' comments; applied in order) and then by every\n"
	"--set (which override the files whatever their order). Prints the report:\n"
	"a headline (TLB misses per kilo-instruction by level, the TLBs' geometry,\n"
	"walks, translation's share of the cycles, reach, dirty logging's cost), then\n"
	"the statistics room by room - trace, TLBs, walks, faults, caches, cycles,\n"
	"dirty logging, I/O, ..., each domain's - with thousands separators and units:\n"
	"those that are not 0 (and the zeros that are results: missed, lost, unsent\n"
	"pages), the count of the others last. --all prints every statistic; --stats\n"
	"PATTERN (repeatable: a name, a dotted prefix such as 'tlb.l2', or a shell\n"
	"pattern such as '*.misses') only those it names, zeros too. -q/--quiet\n"
	"prints nothing but errors (--json writes the same JSON).\n"
	"--json FILE also writes every statistic and the effective configuration as\n"
	"JSON ('-' = standard output, the text report then goes to stderr), and\n"
	"\"provenance\": the command line, the build's git describe and the host (name,\n"
	"system, CPU; no time, so equal runs write equal JSON; a sweep's point files\n"
	"are run's JSON without it: its sweep.json holds the arguments). A\n"
	"progress line goes to stderr when it is a terminal, unless -q.\n"
	"--skip N starts at record N (0-based; a chunked .slt seeks through its index\n"
	"instead of decoding what it skips; past the end is an error), --limit N\n"
	"replays at most N records (0: no limit), and --warmup N replays the first N\n"
	"of them without counting them: every counter starts from zero after the\n"
	"warm-up (pt.bytes and tlb.l2.reach_bytes are the state at the end), and\n"
	"rounds that ended in it are not reported; a warm-up that leaves nothing to\n"
	"measure (the trace, --limit or sim.max_records ends with it) is an error.\n"
	"--v2p FILE (a Google workload trace's aux/v2p.textproto) places the trace's\n"
	"pages at the physical addresses it gives, with its page size, instead of\n"
	"the guest OS model's allocator (domain 0).\n"
	"--dump-config FILE ('-': standard output) writes the configuration (A's with\n"
	"--vs) as a config file that --config reads back, before the replay.\n"
	"Outputs are written to a temporary file and renamed into place when\n"
	"complete: a failed or interrupted run leaves an existing file as it was.\n"
	"\n"
	"--vs SETTING replays TRACE twice - the configuration (A), and A with that\n"
	"change (B) - and prints the parameters in which they differ, then every\n"
	"statistic that is non-zero in either, side by side with B/A; --json then\n"
	"writes a JSON array [A, B]. SETTING is key=value, or keys joined by ':'\n"
	"with a value each ('tlb.l2.entries:tlb.l2.ways=2048:16', as sweep's --grid);\n"
	"--vs may be given several times: B has every change, in order.\n"
	"--vs-config FILE (repeatable) builds B from FILE instead of A's --config\n"
	"files; the --set options apply to both. TRACE must then be a regular file\n"
	"(it is read twice), as with sim.prefault=1. 'slatsim diff A.json B.json'\n"
	"prints the same table for two results already written. Examples:\n"
	"  slatsim run --set dirtylog.mode=wp --vs dirtylog.mode=pml TRACE\n"
	"  slatsim run --vs tlb.l2.entries=2048 --vs tlb.l2.ways=auto TRACE\n"
	"  slatsim run --config a.conf --vs-config b.conf TRACE\n"
	"\n"
	"--cosim pml runs the RTL PML unit (model/pml/rtl/pml_unit.sv, Verilated) in\n"
	"lockstep with the C model: every A/D-update request and register write goes\n"
	"to both, and the first disagreement stops the run with the record, the\n"
	"request, both sides' values and the RTL cycle (exit status 1). Implies\n"
	"dirtylog.mode=pml. Parameters cosim.* set the RTL's memory latency and\n"
	"back-pressure and whether the RTL's cycles are charged (cosim.cost=rtl).\n"
	"A coverage table of the corner cases follows the report.\n"
	"--waves FILE.fst writes an FST waveform (a regular file): of the last\n"
	"cosim.window requests before the mismatch (or the end of the run),\n"
	"replayed from the state both sides agreed on; with --waves-range A:B, of\n"
	"records A..B (0-based) live.\n";

/* --cosim: the co-simulation of a replay, set up from the cosim.* parameters. */
typedef struct cosim_opts {
	const char *waves;
	int live;                 /* --waves-range given: */
	uint64_t lo, hi;          /* its records */
	cosim *c;                 /* out */
} cosim_opts;

static cosim *cosim_setup(const args *a, machine *s, const param_reg *p, const cosim_opts *o)
{
	char err[1024];
	cosim_cfg cfg = {
		.mem_latency = (unsigned)param_int(p, "cosim.mem_latency"),
		.stall_pct = (unsigned)param_int(p, "cosim.stall_pct"),
		.seed = (uint64_t)param_int(p, "cosim.seed"),
		.cost_rtl = param_enum(p, "cosim.cost") == 1,
		.waves = o->waves, .wave_live = o->live, .wave_lo = o->lo, .wave_hi = o->hi,
		.window = (unsigned)param_int(p, "cosim.window"), .outs = a->outs,
	};
	cosim *c;
	int rc = cosim_create(&c, &cfg, machine_record_no(s), err, sizeof(err));
	if (rc)
		cli_die_trace(rc, err);
	cosim_register_stats(c, machine_stats(s));
	machine_set_cosim(s, c);
	return c;
}

/* run_job.attach for another engine: --cosim's RTL on the machine it made. */
typedef struct run_cosim_hook {
	const args *a;
	cosim_opts *co;
} run_cosim_hook;

static void attach_cosim(run_job *job, machine *m)
{
	run_cosim_hook *ca = job->attach_ctx;
	ca->co->c = cosim_setup(ca->a, m, job->p, ca->co);
}

trace_reader *cli_open_trace(const char *trace, enum trace_format fmt, const param_reg *p)
{
	char err[1024];
	trace_reader *r;
	int rc = replay_open(&r, trace, fmt, (unsigned)param_int(p, "sim.threads"), err,
			     sizeof(err));
	if (rc != TRACE_OK)
		cli_die_trace(rc, err);
	return r;
}

/* Build a machine from P and replay TRACE through it; dies on bad input.
 * With CO, the PML units are co-simulated (CO->c is set; a mismatch stops
 * the replay early and is the caller's to report). */
static machine *replay_once(const args *a, const char *trace, enum trace_format fmt,
			    const param_reg *p, const replay_opts *ro, const v2p *map,
			    trace_reader **rout, cosim_opts *co, double *elapsed)
{
	char err[1024];
	trace_reader *r = cli_open_trace(trace, fmt, p);
	int rc;
	machine *s;
	if ((rc = machine_create(&s, p, err, sizeof(err))) != TRACE_OK)
		cli_die_config(rc, p, err);
	if (map && machine_set_v2p(s, map))
		cli_die_trace(machine_error_code(s), machine_error(s));
	if (co)
		co->c = cosim_setup(a, s, p, co);
	if (param_bool(p, "sim.prefault")) {
		cli_need_regular(a, trace, "sim.prefault=1");
		rc = replay_prefault(s, r, ro, err, sizeof(err));
		trace_close(r);
		if (rc != TRACE_OK)
			cli_die_trace(rc, err);
		r = cli_open_trace(trace, fmt, p);
	}
	if ((rc = replay_run(s, r, ro, elapsed, err, sizeof(err))) != TRACE_OK)
		cli_die_trace(rc, err);
	*rout = r;
	return s;
}

static void json_provenance(json_w *j, const void *ctx)
{
	cli_json_provenance(j, ctx);
}

static void write_json(FILE *jf, const args *a, const char *trace, trace_reader *r,
		       const param_reg *p, machine *s)
{
	report_json_ext(jf, trace, trace_get_header(r), p, machine_stats(s), s, json_provenance, a);
}

static void parse_range(const args *a, const char *range, cosim_opts *co)
{
	const char *colon = strchr(range, ':');
	char lo[32];
	if (!colon || (size_t)(colon - range) >= sizeof(lo))
		goto bad;
	memcpy(lo, range, (size_t)(colon - range));
	lo[colon - range] = '\0';
	if (param_parse_uint(lo, 0, &co->lo) != 0 || param_parse_uint(colon + 1, 0, &co->hi) != 0 ||
	    co->hi < co->lo)
		goto bad;
	co->live = 1;
	return;
bad:
	cli_usage_error(a, "--waves-range '%s': expected A:B, record numbers with A <= B "
			"(0-based)", range);
}

/* The co-simulation's end: mismatch, waveform, and the status it gives. */
static int cosim_end(cosim *c)
{
	char err[1024];
	int status = 0;
	if (cosim_failed(c)) {
		cosim_print_mismatch(c, stderr);
		status = EXIT_FAIL;
	}
	int rc = cosim_finish(c, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "slatsim: %s\n", err);
		status = status ? status : (rc == TRACE_ENOMEM || rc == TRACE_EOUTPUT ? EXIT_FAIL
					    : EXIT_BAD);
	}
	return status;
}

static void cosim_summary(FILE *tf, cosim *c, const param_reg *p, const stats_reg *st)
{
	fputc('\n', tf);
	cosim_print_coverage(c, tf);
	int f1, f2;
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
	fprintf(tf, "  %s\n", cosim_failed(c) ?
		"RESULT: MISMATCH (first disagreement above, on stderr)" :
		"RESULT: the RTL agreed with the C model on every request");
}

/* A window that leaves nothing to measure is a mistake, not a run of zero
 * records: refused as a warm-up past the end is (sim/study/replay.c), naming the
 * flag and the trace's length - the warm-up ended with the trace (--warmup
 * N of a trace of N records, or --skip to its last record with a warm-up
 * of 1). S stopped early (a co-simulation mismatch) is reported as such. */
/* Non-zero, with the refusal in MSG: the warm-up window took the whole
 * trace (nothing was counted). */
static int window_empty(const char *trace, const replay_opts *ro, machine *s, char *msg,
			size_t len)
{
	int found;
	if (!ro->warmup || machine_stopped(s) || stats_get(machine_stats(s), "records", &found))
		return 0;
	unsigned long long n = (unsigned long long)(ro->skip + ro->warmup);
	if (ro->skip)
		snprintf(msg, len, "%s: --warmup %llu: the trace ends after %llu records (--skip "
			 "%llu, then the warm-up), with the warm-up window: nothing is left to "
			 "measure", trace, (unsigned long long)ro->warmup, n,
			 (unsigned long long)ro->skip);
	else
		snprintf(msg, len, "%s: --warmup %llu: the trace ends after %llu record%s, with the "
			 "warm-up window: nothing is left to measure", trace,
			 (unsigned long long)ro->warmup, n, n == 1 ? "" : "s");
	return 1;
}

int cmd_run(args *a) { return cli_run(a, NULL); }

int cli_run(args *a, const run_engine *e)
{
	config_args c = { .nfiles = 0 };
	const char *json = NULL, *trace = NULL, *v, *co = NULL, *range = NULL;
	vs_args vs = { .nsets = 0 };
	cosim_opts copt = { .waves = NULL };
	enum trace_format fmt = TRACE_FMT_AUTO;
	int quiet = 0, all = 0;
	cli_patterns stats = { .n = 0 };
	replay_opts ro = { .progress = 0 };
	const char *v2p_file = NULL, *dump = NULL;
	while (a->i < a->argc) {
		if (cli_dashdash(a))
			continue;
		if (!a->dashdash && cli_is_help(a->argv[a->i])) {
			fputs(e ? e->usage : run_usage, stdout);
			return 0;
		}
		if (cli_config_opt(a, &c))
			continue;
		if ((v = cli_opt_value(a, "--json"))) { json = v; continue; }
		if (cli_vs_opt(a, &vs))
			continue;
		if ((v = cli_opt_value(a, "--cosim"))) { co = v; continue; }
		if ((v = cli_opt_value(a, "--waves"))) { copt.waves = v; continue; }
		if ((v = cli_opt_value(a, "--waves-range"))) { range = v; continue; }
		if ((v = cli_opt_value(a, "--format"))) { fmt = cli_parse_format(a, v); continue; }
		if (cli_opt_flag(a, "--quiet") || cli_opt_flag(a, "-q")) { quiet = 1; continue; }
		if (cli_opt_flag(a, "--all")) { all = 1; continue; }
		if ((v = cli_opt_value(a, "--stats"))) { cli_pattern_add(a, &stats, v); continue; }
		if ((v = cli_opt_value(a, "--skip"))) { ro.skip = cli_parse_count(a, "--skip", v, 1); continue; }
		if ((v = cli_opt_value(a, "--limit"))) { ro.limit = cli_parse_count(a, "--limit", v, 1); continue; }
		if ((v = cli_opt_value(a, "--warmup"))) { ro.warmup = cli_parse_count(a, "--warmup", v, 1); continue; }
		if ((v = cli_opt_value(a, "--v2p"))) { v2p_file = v; continue; }
		if ((v = cli_opt_value(a, "--dump-config"))) { cli_once(a, "--dump-config", dump, v); dump = v; continue; }
		if (cli_is_option(a))
			cli_unknown_option(a);
		if (trace)
			cli_usage_error(a, "more than one trace given ('%s' and '%s')", trace,
					a->argv[a->i]);
		trace = a->argv[a->i++];
	}
	cli_vs_check(a, &vs);
	if (!trace)
		cli_usage_error(a, "run needs a TRACE");
	if (co && strcmp(co, "pml") != 0)
		cli_usage_error(a, "--cosim: '%s' is not a unit with RTL (the only one is 'pml')", co);
	if ((copt.waves || range) && !co)
		cli_usage_error(a, "--waves and --waves-range need --cosim pml");
	if (range && !copt.waves)
		cli_usage_error(a, "--waves-range needs --waves FILE.fst");
	if (co && cli_vs_given(&vs))
		cli_usage_error(a, "--cosim and --vs cannot be combined (one replay is co-simulated)");
	if (range)
		parse_range(a, range, &copt);
	if (ro.limit && ro.warmup >= ro.limit)
		cli_usage_error(a, "--warmup %llu leaves nothing of --limit %llu to count",
				(unsigned long long)ro.warmup, (unsigned long long)ro.limit);
	ro.progress = !quiet && isatty(2);
	outset_add_input(a->outs, trace);
	int (*extra)(param_reg *) = e ? e->register_params : NULL;
	param_reg *p = cli_build_params_with(a, &c, extra), *pb = NULL;
	char err[1024];
	/* (as --limit above: the records replayed are the fewer of the two) */
	uint64_t maxrec = (uint64_t)param_int(p, "sim.max_records");
	if (ro.warmup && maxrec && ro.warmup >= maxrec) {
		snprintf(err, sizeof(err), "sim.max_records=%llu: --warmup %llu leaves nothing of "
			 "it to count", (unsigned long long)maxrec, (unsigned long long)ro.warmup);
		cli_die_config(TRACE_EFORMAT, p, err);
	}
	if (co) {
		int mode = param_enum(p, "dirtylog.mode");
		if (mode != 0 && mode != 2)
			cli_die(EXIT_BAD, "--cosim pml co-simulates the PML unit: dirtylog.mode must "
				"be pml (or off, which --cosim pml turns into pml)");
		if (param_set_assignment(p, "dirtylog.mode=pml", "--cosim", err, sizeof(err)) !=
		    PARAM_OK)
			cli_die(EXIT_BAD, "%s", err);
	}
	if (dump)
		cli_dump_config(a, p, dump);   /* (A's, with --vs) */
	if (cli_vs_given(&vs)) {
		cli_need_regular(a, trace, vs.nsets ? "--vs" : "--vs-config");
		/* B is A's registry plus the changes (the config files are read
		 * once: one of them may be a pipe), or --vs-config's. */
		pb = cli_build_vs_params(a, &c, &vs, p, extra);
	}
	v2p *map = NULL;
	if (v2p_file) {
		int rc = v2p_load(&map, v2p_file, err, sizeof(err));
		if (rc != TRACE_OK)
			cli_die_trace(rc, err);
		outset_add_input(a->outs, v2p_file);
	}
	/* Every output is checked against the inputs before any is written. */
	cli_check_stdout(a);
	outfile *jo = json ? cli_output(a, json, "--json", 0) : NULL;
	FILE *jf = jo ? outfile_stream(jo) : NULL;
	FILE *tf = jo && outfile_is_stdout(jo) ? stderr : stdout;
	trace_reader *r, *rb = NULL;
	double el, elb;
	machine *s, *sb = NULL;
	run_job jobs[2] = { { .p = p, .map = map }, { .p = pb, .map = map } };
	run_cosim_hook ca = { .a = a, .co = &copt };
	if (co) {
		jobs[0].attach = attach_cosim;
		jobs[0].attach_ctx = &ca;
	}
	if (e) {
		int st = e->replay(e, a, trace, fmt, &ro, jobs, pb ? 2 : 1);
		if (st) {
			e->release(e, jobs, pb ? 2 : 1);
			param_destroy(p);
			param_destroy(pb);
			v2p_destroy(map);
			return st;   /* the output in progress is abandoned (cli_main) */
		}
		s = jobs[0].m, r = jobs[0].r, el = jobs[0].elapsed;
		sb = jobs[1].m, rb = jobs[1].r;
	} else {
		s = replay_once(a, trace, fmt, p, &ro, map, &r, co ? &copt : NULL, &el);
		if (pb)
			sb = replay_once(a, trace, fmt, pb, &ro, map, &rb, NULL, &elb);
	}
	char werr[1024];
	if (window_empty(trace, &ro, s, werr, sizeof(werr))) {
		if (!e)
			cli_die(EXIT_BAD, "%s", werr);
		/* An engine's platforms are released and the status returned, as
		 * for its own failures: slatsim-sc exiting here, after sc_start,
		 * left LeakSanitizer blind to the frames that hold them. */
		e->release(e, jobs, pb ? 2 : 1);
		param_destroy(p);
		param_destroy(pb);
		v2p_destroy(map);
		return cli_trace_status(TRACE_EFORMAT, werr);   /* exit 2 */
	}
	int status = copt.c ? cosim_end(copt.c) : 0;
	if (quiet) {
		/* nothing but errors (the co-simulation's verdict is one) */
	} else if (sb) {
		cli_vs_head(tf, "run", trace, &c, &vs, p, pb);
		size_t nrows;
		report_vs_row *rows = report_vs_rows(machine_stats(s), machine_stats(sb), &nrows);
		if (!rows)
			cli_die(EXIT_FAIL, "out of memory (the --vs table)");
		report_vs_table(tf, rows, nrows, all, stats.n ? cli_pattern_keep : NULL, &stats);
		free(rows);
	} else {
		report_text_head(tf, trace, trace_get_header(r));
		report_headline(tf, machine_stats(s), p);
		report_stats(tf, machine_stats(s), &(report_opts){ .all = all,
			     .keep = stats.n ? cli_pattern_keep : NULL, .ctx = &stats });
		int found;
		uint64_t nrec = stats_get(machine_stats(s), "records", &found);
		fprintf(tf, "\n  replay %.3f s, %.2f M records/s\n", el,
			el > 0 ? (double)nrec / el / 1e6 : 0.0);
		if (copt.c)
			cosim_summary(tf, copt.c, p, machine_stats(s));
	}
	if (jf) {
		if (sb)
			fputs("[\n", jf);
		write_json(jf, a, trace, r, p, s);
		if (sb) {
			fputs(",\n", jf);
			write_json(jf, a, trace, rb, pb, sb);
			fputs("]\n", jf);
		}
	}
	/* The report first: a report that could not be written fails the run
	 * before the JSON is put in place. */
	cli_flush_stdout();
	if (jo)
		cli_commit(jo);
	cosim_destroy(copt.c);   /* before its machine: it detaches from the PML units */
	if (e) {
		e->release(e, jobs, pb ? 2 : 1);
	} else {
		machine_destroy(s);
		trace_close(r);
		if (sb) {
			machine_destroy(sb);
			trace_close(rb);
		}
	}
	v2p_destroy(map);
	param_destroy(p);
	param_destroy(pb);
	cli_patterns_free(&stats);
	return status;
}
