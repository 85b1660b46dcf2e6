/*
 * sim/cli/migrate.c - `slatsim migrate`: live-migrate the traced guest
 * (sim/study/migrate.h) and print what it took: rounds, pages, time, downtime,
 * mapping cost, lost pages, the guest's slowdown; --json, --vs.
 */
#include "cli.h"
#include "json.h"
#include "machine.h"
#include "migrate.h"
#include "replay.h"
#include "report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const migrate_usage =
	"usage: slatsim migrate [--config FILE]... [--set key=value]... [--json FILE]\n"
	"                       [--format F] [-q] [--all] [--stats PATTERN]...\n"
	"                       [--vs SETTING]... [--vs-config FILE]... [--skip N] [--limit N]\n"
	"                       [--dump-config FILE] TRACE\n"
	"\n"
	"Live-migrate the traced guest (domain 0) by pre-copy while TRACE runs; the\n"
	"guest's cycles are the clock (core.freq_ghz). Its memory is populated from\n"
	"the trace first (and migrate.memory). Round 0 sends every populated page;\n"
	"each later round harvests the dirty log (dirtylog.mode: pml on x86 and wp on\n"
	"arm64 unless set) and sends what it reported, until migrate.policy stops it\n"
	"(legacy, the default: Xen's xc_domain_save - at most 29 live passes, a pass\n"
	"that sent and skipped under migrate.stop_pages pages, more than\n"
	"migrate.max_factor x memory sent, pages dirtied again during a pass skipped;\n"
	"v2: xc_sr_save - at most 5 live passes, a dirty count at most\n"
	"migrate.stop_pages; dirtyset: a harvest under migrate.stop_pages or\n"
	"migrate.max_rounds rounds);\n"
	"then the guest is paused and stop-and-copy sends the rest. Pages go at\n"
	"migrate.bandwidth, each mapped into a control domain (its own VMID, stage 1\n"
	"and stage 2: entries its TLBs and walker see) by migrate.map: per_page,\n"
	"batch (migrate.map_batch frames a call) or persistent; a guest superpage is\n"
	"mapped whole, with a reference on each of its pages or one on the marked\n"
	"superpage (migrate.superpage). A trace shorter than the migration is\n"
	"replayed from its start (migrate.loop). TRACE must be a regular file.\n"
	"--skip N and --limit N make the trace records N.. (at most N of them): each\n"
	"pass, the populating one too, reads that window (--warmup is refused: the\n"
	"migration runs from the guest's first record).\n"
	"\n"
	"Prints the rounds as they finish, then the totals: pages sent, time, downtime, mapping\n"
	"cycles, lost pages (written after they were last sent, from ground truth:\n"
	"0 in a safe configuration, more with dirtylog.invalidate=0 or\n"
	"dirtylog.flush_all_vcpus=0) and the guest's slowdown (its cycles over the\n"
	"same records' without dirty logging), then the statistics room by room as\n"
	"run prints them (migration; domain 1 is the control domain): --all, --stats\n"
	"PATTERN as run's. -q/--quiet prints nothing but errors.\n"
	"--json FILE writes {\"slatsim\", \"trace\", \"config\", \"stats\", \"rounds\",\n"
	"\"provenance\", \"migrate\": {\"stop\", \"trace_records\", \"loops\", \"rounds\":\n"
	"[...]}} ('-' = standard output; provenance as run's). --vs SETTING (repeatable; key=value or 'k1:k2=v1:v2') and\n"
	"--vs-config FILE migrate twice, the configuration (A) and A with those\n"
	"changes or FILE's configuration (B), as 'slatsim run --vs' does, and print\n"
	"the statistics side by side (--json: [A, B]). --dump-config FILE writes the\n"
	"configuration (A's) as run's does.\n"
	"Example:\n"
	"  slatsim migrate --set migrate.map=per_page --vs migrate.map=batch TRACE\n";

/* ---------------------------------------------------------------- the trace */

typedef struct src_ctx {
	const char *path;
	enum trace_format fmt;
	unsigned threads;
	trace_reader *r;
	/* what is said as it goes: */
	cli_progress pr;          /* the progress line (a terminal, not --quiet) */
	const char *label;        /* "A: ", "B: " with --vs, else "" */
	uint64_t skip, limit;     /* --skip, --limit: each pass's records (0: all) */
	uint64_t pass;            /* read in this pass */
	uint64_t records;         /* read in all */
	unsigned passes;          /* the trace read from its start again */
	size_t rounds;            /* finished */
	FILE *rows;               /* each round's row as it finishes, or NULL */
	migrate *x;
} src_ctx;

static void src_progress(src_ctx *s)
{
	char what[96];
	if (!s->passes && !s->rounds) {
		/* The first pass populates the guest: a known length. */
		uint64_t done, total;
		trace_progress(s->r, &done, &total);
		snprintf(what, sizeof(what), "%smigrate: populating the guest", s->label);
		cli_progress_show(&s->pr, what, total ? (double)done / (double)total : -1,
				  (double)s->records, "records");
		return;
	}
	/* The rounds: how many the policy makes is not known before (it stops
	 * on the dirty set), so no percent and no ETA. */
	snprintf(what, sizeof(what), "%smigrate: round %zu", s->label, s->rounds);
	cli_progress_show(&s->pr, what, -1, (double)s->records, "records");
}

static long src_read(void *ctx, trace_rec *b, size_t max, char *err, size_t errlen)
{
	src_ctx *s = ctx;
	if (s->limit && s->limit - s->pass < max)
		max = (size_t)(s->limit - s->pass);   /* (0 at the window's end: a pass ends) */
	long n = max ? trace_read(s->r, b, max, err, errlen) : 0;
	if (n > 0) {
		s->pass += (uint64_t)n;
		s->records += (uint64_t)n;
		src_progress(s);
	}
	if (n == 0 && s->skip && !s->pass && !s->passes) {
		snprintf(err, errlen, "%s: --skip %llu: the trace ends before record %llu, nothing "
			 "is left to migrate", s->path, (unsigned long long)s->skip,
			 (unsigned long long)s->skip);
		return TRACE_EFORMAT;
	}
	return n;
}

/* Open the trace at the window's first record. */
static int src_open(src_ctx *s, char *err, size_t errlen)
{
	int rc = replay_open(&s->r, s->path, s->fmt, s->threads, err, errlen);
	s->pass = 0;
	if (rc == TRACE_OK && s->skip)
		rc = trace_seek(s->r, s->skip, err, errlen);
	return rc;
}

static int src_rewind(void *ctx, char *err, size_t errlen)
{
	src_ctx *s = ctx;
	trace_close(s->r);
	s->r = NULL;
	s->passes++;
	return src_open(s, err, errlen);
}

static void summary_row(FILE *f, const migrate_round *r, size_t i);

static void src_round(void *ctx, const migrate_round *r, size_t i)
{
	src_ctx *s = ctx;
	s->rounds = i + 1;
	if (!s->rows)
		return;
	cli_progress_clear(&s->pr);
	summary_row(s->rows, r, i);
	fflush(s->rows);
}

static void summary_head(FILE *f, migrate *x);

/* One migration of TRACE under P into SC; dies on bad input. With ROWS
 * (not NULL), the report's head and each round's row are printed there as
 * the migration goes; LABEL names it in the progress line. */
static migrate *migrate_once(const char *trace, enum trace_format fmt, const param_reg *p,
			     const uint64_t window[2], src_ctx *sc, int progress, const char *label,
			     FILE *rows)
{
	char err[1024];
	migrate *x;
	int rc = migrate_create(&x, p, err, sizeof(err));
	if (rc != TRACE_OK)
		cli_die_config(rc, p, err);
	*sc = (src_ctx){ .path = trace, .fmt = fmt, .threads = (unsigned)param_int(p, "sim.threads"),
			 .label = label, .rows = rows, .x = x, .skip = window[0],
			 .limit = window[1] };
	cli_progress_init(&sc->pr, progress);
	if ((rc = src_open(sc, err, sizeof(err))) != TRACE_OK)
		cli_die_trace(rc, err);
	if (rows) {
		report_text_head(rows, trace, trace_get_header(sc->r));
		summary_head(rows, x);
		fflush(rows);
	}
	migrate_source src = { .read = src_read, .rewind = src_rewind, .ctx = sc, .name = trace,
			       .round_done = src_round };
	rc = migrate_run(x, &src, err, sizeof(err));
	cli_progress_clear(&sc->pr);
	if (rc != TRACE_OK)
		cli_die_trace(rc, err);
	return x;
}

/* ---------------------------------------------------------------- views */

static uint64_t stat_of(const stats_reg *st, const char *name)
{
	int found;
	return stats_get(st, name, &found);
}

static double ratio_of(const stats_reg *st, const char *name)
{
	for (size_t i = 0; i < stats_count(st); i++)
		if (strcmp(stats_name_at(st, i), name) == 0)
			return stats_ratio_at(st, i);
	return 0;
}

/* The settings and the rounds table's head (before the migration). */
static void summary_head(FILE *f, migrate *x)
{
	const param_reg *p = migrate_params(x);
	fprintf(f, "  migration of domain 0 by the control domain (domain %u): dirtylog.mode=%s, "
		"migrate.map=%s", machine_control_domain(migrate_machine(x)),
		param_text(p, "dirtylog.mode"), param_text(p, "migrate.map"));
	if (param_enum(p, "migrate.map") != 0)
		fprintf(f, " (%s frames a call)", param_text(p, "migrate.map_batch"));
	fprintf(f, ", migrate.superpage=%s, migrate.bandwidth=%s bytes/s, core.freq_ghz=%s\n",
		param_text(p, "migrate.superpage"), param_text(p, "migrate.bandwidth"),
		param_text(p, "core.freq_ghz"));
	fprintf(f, "    %-6s %12s %12s %12s %14s %12s\n", "round", "start ms", "duration ms",
		"pages sent", "pages dirtied", "map Mcycles");
}

/* Round I's row, as it finishes. */
static void summary_row(FILE *f, const migrate_round *r, size_t i)
{
	char name[16];
	snprintf(name, sizeof(name), r->final ? "stop" : "%zu", i);
	fprintf(f, "    %-6s %12.3f %12.3f %12" PRIu64 " ", name, r->start_us / 1e3,
		r->duration_us / 1e3, r->pages_sent);
	if (r->final)
		fprintf(f, "%14s", "(paused)");
	else
		fprintf(f, "%14" PRIu64, r->pages_dirtied);
	fprintf(f, " %12.3f\n", (double)r->map_cycles / 1e6);
}

/* The totals, after the rounds. */
static void summary_tail(FILE *f, migrate *x)
{
	stats_reg *st = machine_stats(migrate_machine(x));
	fprintf(f, "  %" PRIu64 " pre-copy round%s and the stop-and-copy sent %" PRIu64 " pages in "
		"%.3f ms; downtime %.3f ms (%s)\n", stat_of(st, "migrate.rounds"),
		stat_of(st, "migrate.rounds") == 1 ? "" : "s", stat_of(st, "migrate.pages_sent"),
		(double)stat_of(st, "migrate.total_us") / 1e3,
		(double)stat_of(st, "migrate.downtime_us") / 1e3, migrate_stop_reason(x));
	fprintf(f, "  mapping %" PRIu64 " cycles in %" PRIu64 " calls, %" PRIu64 " flushes; "
		"lost pages %" PRIu64 " (written after they were last sent), unsent %" PRIu64 "\n",
		stat_of(st, "migrate.map_cycles"), stat_of(st, "migrate.map_calls"),
		stat_of(st, "migrate.flushes"), stat_of(st, "migrate.lost_pages"),
		stat_of(st, "migrate.unsent_pages"));
	fprintf(f, "  guest slowdown %.4f (its cycles over the same %" PRIu64 " records' without "
		"dirty logging)\n", ratio_of(st, "migrate.guest_slowdown"), stat_of(st, "records"));
	uint64_t loops = stat_of(st, "migrate.loops");
	if (loops)
		fprintf(f, "  the trace (%" PRIu64 " records) was shorter than the migration: replayed "
			"from its start %" PRIu64 " time%s (migrate.loop)\n", migrate_trace_records(x),
			loops, loops == 1 ? "" : "s");
	fputc('\n', f);
}

/* What migrate's JSON adds for the command line: the provenance, then the
 * "migrate" object (cli_migrate_json: what the Python package writes). */
typedef struct migrate_json {
	const migrate *x;
	const args *a;
} migrate_json;

static void json_migrate(json_w *j, const void *ctx)
{
	const migrate_json *mj = ctx;
	cli_json_provenance(j, mj->a);
	cli_migrate_json(j, mj->x);
}

void cli_migrate_json(json_w *j, const void *ctx)
{
	const migrate *x = ctx;
	size_t n;
	const migrate_round *r = migrate_rounds(x, &n);
	json_begin_obj(j, "migrate");
	json_str(j, "stop", migrate_stop_reason(x));
	json_u64(j, "trace_records", migrate_trace_records(x));
	json_u64(j, "loops", migrate_loops(x));
	json_begin_arr(j, "rounds");
	for (size_t i = 0; i < n; i++) {
		json_begin_obj(j, NULL);
		json_bool(j, "stop_and_copy", r[i].final);
		json_dbl(j, "start_us", r[i].start_us);
		json_dbl(j, "duration_us", r[i].duration_us);
		json_u64(j, "pages_sent", r[i].pages_sent);
		json_u64(j, "pages_skipped", r[i].pages_skipped);
		json_u64(j, "pages_dirtied", r[i].pages_dirtied);
		json_u64(j, "map_cycles", r[i].map_cycles);
		json_end_obj(j);
	}
	json_end_arr(j);
	json_end_obj(j);
}

static void write_json(FILE *jf, const args *a, const char *trace, const src_ctx *sc,
		       migrate *x)
{
	machine *m = migrate_machine(x);
	migrate_json mj = { .x = x, .a = a };
	report_json_ext(jf, trace, trace_get_header(sc->r), migrate_params(x), machine_stats(m), m,
			json_migrate, &mj);
}

/* ---------------------------------------------------------------- command */

int cmd_migrate(args *a)
{
	config_args c = { .nfiles = 0 };
	const char *json = NULL, *trace = NULL, *v;
	vs_args vs = { .nsets = 0 };
	enum trace_format fmt = TRACE_FMT_AUTO;
	int quiet = 0, all = 0;
	cli_patterns stats = { .n = 0 };
	uint64_t window[2] = { 0, 0 };   /* --skip, --limit */
	const char *dump = NULL;
	while (a->i < a->argc) {
		if (cli_dashdash(a))
			continue;
		if (!a->dashdash && cli_is_help(a->argv[a->i])) {
			fputs(migrate_usage, stdout);
			return 0;
		}
		if (cli_config_opt(a, &c))
			continue;
		if ((v = cli_opt_value(a, "--json"))) { json = v; continue; }
		if (cli_vs_opt(a, &vs))
			continue;
		if ((v = cli_opt_value(a, "--format"))) { fmt = cli_parse_format(a, v); continue; }
		if (cli_quiet_opt(a)) { quiet = 1; continue; }
		if ((v = cli_opt_value(a, "--dump-config"))) { cli_once(a, "--dump-config", dump, v); dump = v; continue; }
		if ((v = cli_opt_value(a, "--skip"))) { window[0] = cli_parse_count(a, "--skip", v, 1); continue; }
		if ((v = cli_opt_value(a, "--limit"))) { window[1] = cli_parse_count(a, "--limit", v, 1); continue; }
		cli_window_refused(a, "the migration runs from the guest's first record (its memory "
				   "populated from the window, then the rounds on it): use --skip to "
				   "start later");
		if (cli_opt_flag(a, "--all")) { all = 1; continue; }
		if ((v = cli_opt_value(a, "--stats"))) { cli_pattern_add(a, &stats, v); continue; }
		if (cli_is_option(a))
			cli_unknown_option(a);
		if (trace)
			cli_usage_error(a, "more than one trace given ('%s' and '%s')", trace,
					a->argv[a->i]);
		trace = a->argv[a->i++];
	}
	if (!trace)
		cli_usage_error(a, "migrate needs a TRACE");
	cli_vs_check(a, &vs);
	cli_need_regular(a, trace, "migrate (populating the guest, then running it, looped)");
	outset_add_input(a->outs, trace);
	param_reg *p = cli_build_params(a, &c), *pb = NULL;
	if (dump)
		cli_dump_config(a, p, dump);   /* (A's, with --vs) */
	if (cli_vs_given(&vs))
		pb = cli_build_vs_params(a, &c, &vs, p, NULL);
	cli_check_stdout(a);
	outfile *jo = json ? cli_output(a, json, "--json", 0) : NULL;
	FILE *jf = jo ? outfile_stream(jo) : NULL;
	FILE *tf = jo && outfile_is_stdout(jo) ? stderr : stdout;
	src_ctx sa, sb;
	/* One migration: its report's head and rounds as they come (unless
	 * --quiet); with --vs, the table after both. */
	migrate *xa = migrate_once(trace, fmt, p, window, &sa, !quiet, pb ? "A: " : "",
				   pb || quiet ? NULL : tf), *xb = NULL;
	if (pb)
		xb = migrate_once(trace, fmt, pb, window, &sb, !quiet, "B: ", NULL);
	report_opts ro = { .all = all, .keep = stats.n ? cli_pattern_keep : NULL, .ctx = &stats };
	if (quiet) {
		/* nothing but errors */
	} else if (xb) {
		cli_vs_head(tf, "migrate", trace, &c, &vs, p, pb);
		size_t nrows;
		report_vs_row *rows = report_vs_rows(machine_stats(migrate_machine(xa)),
						     machine_stats(migrate_machine(xb)), &nrows);
		if (!rows)
			cli_die(EXIT_FAIL, "out of memory (the --vs table)");
		report_vs_table(tf, rows, nrows, all, ro.keep, &stats);
		free(rows);
	} else {
		summary_tail(tf, xa);
		report_stats(tf, machine_stats(migrate_machine(xa)), &ro);
	}
	if (jf) {
		if (xb)
			fputs("[\n", jf);
		write_json(jf, a, trace, &sa, xa);
		if (xb) {
			fputs(",\n", jf);
			write_json(jf, a, trace, &sb, xb);
			fputs("]\n", jf);
		}
	}
	cli_flush_stdout();
	if (jo)
		cli_commit(jo);
	migrate_destroy(xa);
	trace_close(sa.r);
	if (xb) {
		migrate_destroy(xb);
		trace_close(sb.r);
		param_destroy(pb);
	}
	param_destroy(p);
	cli_patterns_free(&stats);
	return 0;
}
