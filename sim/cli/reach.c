/*
 * sim/cli/reach.c - `slatsim reach`: one pass over a trace gives the miss
 * count of every fully-associative LRU TLB size (sim/study/reach.h), per page
 * size, for the data and the instruction stream; the text report and the
 * --json document.
 */
#include "cli.h"
#include "replay.h"
#include "json.h"
#include "numfmt.h"
#include "plot.h"
#include "reach.h"
#include "report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 4096

static const char *const reach_usage =
	"usage: slatsim reach [--config FILE]... [--set key=value]... [--json FILE]\n"
	"                     [--plot FILE.png|FILE.svg [--mpki]] [--entries N]\n"
	"                     [--sets S [--ways W]] [--format F] [-q]\n"
	"                     [--skip N] [--limit N] [--dump-config FILE] TRACE\n"
	"\n"
	"One pass over TRACE gives, for the data stream (R, W: what the L1 data TLB\n"
	"serves) and the instruction stream (X: the L1 instruction TLB), at 4K, 16K,\n"
	"64K and 2M pages and at the combined entry size of the configuration\n"
	"(min of the guest and host leaf, as a TLB entry of 'slatsim run' covers):\n"
	"the misses of every fully-associative LRU TLB of 1..N entries (--entries N,\n"
	"default 65536), exact by Mattson's stack property; distinct pages; TLB\n"
	"reach in bytes; the working set (distinct pages per window of 2^i lookups).\n"
	"An access that crosses a page boundary is two lookups, lower page first, as\n"
	"in run, and a zero-size access one, of the page of its address; each vCPU\n"
	"has its own TLBs. --sets S adds set-associative curves (S sets, a power of\n"
	"two; 1..W ways, --ways default 16) from per-set stack distances. With\n"
	"invalidation records in the trace the curves are an approximation (the\n"
	"report says so): LRU with invalid ways is not a stack algorithm.\n"
	"The configuration is honoured as run honours it, or refused by name: the\n"
	"combined curve's misses at k entries are run's tlb.l1d.misses\n"
	"(tlb.l1i.misses for the instruction stream) with that L1 a fully-associative\n"
	"LRU TLB of k entries. sim.max_records stops the analysis there; a prefetch\n"
	"record under trace.prefetch=translate fills the TLBs where its page is\n"
	"already mapped and is not a lookup (skip: counted only); sim.prefault=1 maps\n"
	"the trace's pages first (TRACE is then read twice, as by run); a VA run\n"
	"refuses is refused. io.mode and dirtylog.mode other than off are refused\n"
	"(they change the TLBs in ways the trace does not hold), and so is a prefetch\n"
	"under translate when the combined entry size varies.\n"
	"\n"
	"--json FILE writes {\"slatsim\", \"trace\", \"config\", \"reach\": {\"d\": {\"4k\":\n"
	"{\"accesses\": A, \"misses\": [m1, ... mN], ...}, ...}, \"i\": {...}}, \"analysis\"}:\n"
	"misses[k-1] is the miss count of a k-entry TLB. Each size also has\n"
	"\"lookups\", \"pages\" (first uses: the misses of an unbounded TLB; a page\n"
	"a prefetch filled first is none), \"page_bytes\" (0: the size varies),\n"
	"\"reach_bytes\" ([k-1]: bytes the k most recent entries map at the end),\n"
	"\"working_set\" and, with --sets, \"set_misses\" ([w-1]: S sets of w ways);\n"
	"then \"provenance\" as run's.\n"
	"--skip N and --limit N read the records run reads with them (from record N,\n"
	"at most N); --warmup is refused (the curves count from a cold TLB).\n"
	"-q/--quiet prints no report (--json, --plot as asked) and no progress line.\n"
	"--plot FILE draws the miss ratio (--mpki: misses per 1,000 instructions)\n"
	"against entries: a panel per stream, a line per page size and the combined\n"
	"size, marks at the configuration's L1 and L2 sizes (gnuplot; PNG or SVG by\n"
	"the name; the chart 'slatsim plot reach' draws from --json).\n";

/* "4 KiB", "2 MiB": a power-of-two size for a column head (binary units). */
static void size_text(char *b, size_t n, unsigned shift)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	if (!shift) {
		snprintf(b, n, "mixed");
		return;
	}
	snprintf(b, n, "%llu %s", 1ULL << (shift % 10), unit[shift / 10]);
}

/* The rows of the table: powers of two, the sizes of the shipped presets'
 * L1 and L2 TLBs, and N. */
static int row_wanted(uint32_t k, uint32_t n)
{
	return (k & (k - 1)) == 0 || k == 48 || k == 1280 || k == 1536 || k == n;
}

static void text_stream(FILE *f, const reach *r, unsigned s)
{
	const reach_info *in = reach_get_info(r);
	reach_curve c[REACH_SIZES];
	for (unsigned k = 0; k < REACH_SIZES; k++)
		reach_get_curve(r, s, k, &c[k]);
	fprintf(f, "\n%s stream (%s): %" PRIu64 " accesses, %" PRIu64 " lookups at 4K\n",
		s == REACH_D ? "data" : "instruction", s == REACH_D ? "R, W: L1D" : "X: L1I",
		in->accesses[s], c[0].lookups);
	if (!c[0].lookups)
		return;
	double kins = (double)in->instructions / 1000.0;
	fprintf(f, "  misses of a fully-associative LRU TLB (MPKI in brackets)\n");
	fprintf(f, "  %8s", "entries");
	for (unsigned k = 0; k < REACH_SIZES; k++) {
		char h[32], sz[16];
		size_text(sz, sizeof(sz), c[k].shift);
		if (k == REACH_COMBINED)
			snprintf(h, sizeof(h), "combined (%s)", sz);
		else
			snprintf(h, sizeof(h), "%s", sz);
		fprintf(f, " %20s", h);
	}
	fputc('\n', f);
	for (uint32_t e = 1; e <= in->entries; e++) {
		if (!row_wanted(e, in->entries))
			continue;
		fprintf(f, "  %8" PRIu32, e);
		for (unsigned k = 0; k < REACH_SIZES; k++) {
			char cell[40];
			uint64_t m = c[k].misses[e - 1];
			if (kins > 0)
				snprintf(cell, sizeof(cell), "%" PRIu64 " [%.3f]", m, (double)m / kins);
			else
				snprintf(cell, sizeof(cell), "%" PRIu64, m);
			fprintf(f, " %20s", cell);
		}
		fputc('\n', f);
	}
	fprintf(f, "  %8s", "pages");
	for (unsigned k = 0; k < REACH_SIZES; k++)
		fprintf(f, " %20" PRIu64, c[k].pages);
	fprintf(f, "   distinct (first uses)\n");
	/* The smallest TLB that misses at most 1% of lookups beyond the cold
	 * misses, and what it maps. */
	fprintf(f, "  %8s", "99% hits");
	for (unsigned k = 0; k < REACH_SIZES; k++) {
		uint64_t budget = c[k].lookups / 100;
		uint32_t e = 1;
		while (e < in->entries && c[k].misses[e - 1] > budget)
			e++;
		char cell[40], b[24];
		report_bytes(b, sizeof(b), c[k].reach_bytes[e - 1], 1);
		if (c[k].misses[e - 1] > budget)
			snprintf(cell, sizeof(cell), "> %" PRIu32, in->entries);
		else
			snprintf(cell, sizeof(cell), "%" PRIu32 " (%s)", e, b);
		fprintf(f, " %20s", cell);
	}
	fprintf(f, "   entries (reach) for a miss ratio <= 1%%\n");
	fprintf(f, "  working set: mean distinct pages per window of lookups\n");
	fprintf(f, "  %8s", "window");
	for (unsigned k = 0; k < REACH_SIZES; k++)
		fprintf(f, " %20s", reach_size_name(k));
	fputc('\n', f);
	for (unsigned i = 4; i < 64 && (UINT64_C(1) << i) < c[0].lookups * 2; i += 4) {
		char w[16];
		report_bytes(w, sizeof(w), UINT64_C(1) << i, 1);
		w[strlen(w) - 1] = '\0';   /* "64 K": a count, not bytes (nor KiB) */
		if (w[strlen(w) - 1] == 'i')
			w[strlen(w) - 1] = '\0';
		if (w[strlen(w) - 1] == ' ')
			w[strlen(w) - 1] = '\0';
		fprintf(f, "  %8s", w);
		for (unsigned k = 0; k < REACH_SIZES; k++) {
			uint64_t len = UINT64_C(1) << i;
			uint64_t nwin = (c[k].lookups + len - 1) / len;
			fprintf(f, " %20.1f", nwin ? (double)c[k].windows[i] / (double)nwin : 0.0);
		}
		fputc('\n', f);
	}
	if (in->sets) {
		fprintf(f, "  misses of %" PRIu32 " sets x w ways, LRU\n  %8s", in->sets, "ways");
		for (unsigned k = 0; k < REACH_SIZES; k++)
			fprintf(f, " %20s", reach_size_name(k));
		fputc('\n', f);
		for (uint32_t w = 1; w <= in->ways; w++) {
			fprintf(f, "  %8" PRIu32, w);
			for (unsigned k = 0; k < REACH_SIZES; k++)
				fprintf(f, " %20" PRIu64, c[k].set_misses[w - 1]);
			fputc('\n', f);
		}
	}
}

static void text_report(FILE *f, const char *trace, const trace_header *h, const param_reg *p,
			const reach *r)
{
	const reach_info *in = reach_get_info(r);
	fprintf(f, "slatsim %s  reach  trace ", SLATSIM_VERSION);
	report_put_text(f, trace);
	fprintf(f, " (%s)\n", trace_format_name(h->format));
	if (h->desc[0]) {
		fputs("  ", f);
		report_put_text(f, h->desc);
		fputc('\n', f);
	}
	char sz[16];
	size_text(sz, sizeof(sz), in->combined_shift);
	fprintf(f, "  %" PRIu64 " records, %" PRIu64 " instructions; combined entry size of the "
		"configuration: %s%s\n", in->records, in->instructions, sz,
		in->combined_shift ? "" : " (read from a replay of the configuration)");
	if (in->prefetches)
		fprintf(f, "  %" PRIu64 " prefetch records: %s\n", in->prefetches,
			param_enum(p, "trace.prefetch") == 0 ?
			"each fills the TLBs where its page is mapped, counted as no lookup "
			"(trace.prefetch=translate)" : "counted only (trace.prefetch=skip)");
	if (in->exact)
		fprintf(f, "  exact for every fully-associative LRU TLB of 1..%" PRIu32 " entries "
			"(Mattson's stack property)\n", in->entries);
	else
		fprintf(f, "  APPROXIMATE: %" PRIu64 " invalidation records removed cached pages "
			"(LRU with invalid ways is not a stack algorithm)\n", in->invalidations);
	text_stream(f, r, REACH_D);
	text_stream(f, r, REACH_I);
}

/* The --json document; with A (the command line: NULL for another driver,
 * the Python package) its provenance last. */
static void reach_json(FILE *f, const args *a, const char *trace, const trace_header *h,
		       const param_reg *p, const reach *r)
{
	const reach_info *in = reach_get_info(r);
	json_w j;
	json_init(&j, f, 1);
	json_begin_obj(&j, NULL);
	report_json_head(&j, trace, h, p);
	json_begin_obj(&j, "reach");
	for (unsigned s = 0; s < REACH_STREAMS; s++) {
		json_begin_obj(&j, reach_stream_name(s));
		for (unsigned k = 0; k < REACH_SIZES; k++) {
			reach_curve c;
			reach_get_curve(r, s, k, &c);
			json_begin_obj(&j, reach_size_name(k));
			json_u64(&j, "accesses", in->accesses[s]);
			json_u64_array(&j, "misses", c.misses, in->entries);
			json_u64(&j, "lookups", c.lookups);
			json_u64(&j, "pages", c.pages);
			json_u64(&j, "page_bytes", c.shift ? UINT64_C(1) << c.shift : 0);
			json_u64_array(&j, "reach_bytes", c.reach_bytes, in->entries);
			uint64_t win[64], mean_x1000[64];
			size_t nw = 0;
			for (unsigned i = 0; i < 64 && (i == 0 || (UINT64_C(1) << (i - 1)) < c.lookups);
			     i++) {
				uint64_t len = UINT64_C(1) << i, n = (c.lookups + len - 1) / len;
				win[nw] = len;
				/* Thousandths, rounded: integers keep the document exact. */
				mean_x1000[nw++] = n ? (c.windows[i] * 1000 + n / 2) / n : 0;
			}
			json_begin_obj(&j, "working_set");
			json_u64_array(&j, "window", win, nw);
			json_u64_array(&j, "pages_x1000", mean_x1000, nw);
			json_end_obj(&j);
			if (c.set_misses)
				json_u64_array(&j, "set_misses", c.set_misses, in->ways);
			json_end_obj(&j);
		}
		json_end_obj(&j);
	}
	json_end_obj(&j);
	json_begin_obj(&j, "analysis");
	json_u64(&j, "records", in->records);
	json_u64(&j, "instructions", in->instructions);
	json_u64(&j, "invalidations", in->invalidations);
	json_u64(&j, "prefetches", in->prefetches);
	json_bool(&j, "exact", in->exact);
	json_u64(&j, "entries", in->entries);
	json_u64(&j, "sets", in->sets);
	json_u64(&j, "ways", in->ways);
	json_u64(&j, "combined_page_bytes",
		 in->combined_shift ? UINT64_C(1) << in->combined_shift : 0);
	json_end_obj(&j);
	if (a)
		cli_json_provenance(&j, a);
	json_end_obj(&j);
	json_finish(&j);
}

void cli_reach_json(FILE *f, const char *trace, const trace_header *h, const param_reg *p,
		    const reach *r)
{
	reach_json(f, NULL, trace, h, p, r);
}

/* The chart of `plot reach` from the analysis itself (sim/output/plot.h:
 * one function draws both, from the same numbers the same face): every
 * stream and page size, the combined size, marks at the configuration's
 * L1 and L2 sizes. A trace without lookups has nothing to draw:
 * PLOT_EMPTY. */
static int plot_reach_live(FILE *out, const char *name, plot_kind kind, const char *trace,
			   const trace_header *h, const param_reg *p, const reach *r, int mpki,
			   char *err, size_t errlen)
{
	const reach_info *in = reach_get_info(r);
	plot_reach_in ri = { .trace = trace, .desc = h->desc, .entries = in->entries,
			     .instructions = in->instructions, .combined_shift = in->combined_shift,
			     .l1d = (uint64_t)param_int(p, "tlb.l1d.entries"),
			     .l1i = (uint64_t)param_int(p, "tlb.l1i.entries"),
			     .l2 = (uint64_t)param_int(p, "tlb.l2.entries"),
			     .mpki = mpki, .exact = in->exact };
	uint64_t any = 0;
	for (unsigned s = 0; s < REACH_STREAMS; s++)
		for (unsigned k = 0; k < REACH_SIZES; k++) {
			reach_curve rc;
			reach_get_curve(r, s, k, &rc);
			ri.c[s][k] = (plot_reach_curve){ .misses = rc.misses, .lookups = rc.lookups,
							 .shift = rc.shift };
			any |= rc.lookups;
		}
	if (!any) {
		snprintf(err, errlen, "%s: nothing to draw: %s has no lookups (no R, W or X "
			 "record); --json and the report have its counts", name, trace);
		return PLOT_EMPTY;
	}
	if (mpki && !in->instructions) {
		snprintf(err, errlen, "%s: nothing to draw: --mpki needs instructions, and %s "
			 "retired none", name, trace);
		return PLOT_EMPTY;
	}
	return plot_reach(out, name, kind, &ri, err, errlen);
}

/* "PATH: line N: MSG" or "PATH: record N: MSG" for record I of the batch. */
static void die_at(const reach *r, trace_reader *tr, size_t i, uint64_t rec)
{
	int code = reach_error_code(r);
	uint64_t line = trace_line_of(tr, i);
	if (code == TRACE_ENOMEM || code == TRACE_EINTERNAL)
		cli_die(EXIT_FAIL, "%s", reach_error(r));
	if (line)
		cli_die(EXIT_BAD, "%s: line %" PRIu64 ": %s", trace_path(tr), line, reach_error(r));
	cli_die(EXIT_BAD, "%s: record %" PRIu64 ": %s", trace_path(tr), rec, reach_error(r));
}

/* The records of the trace reach reads: from record SKIP (--skip), at
 * most LIMIT of them (--limit, or sim.max_records if fewer; 0: no limit),
 * as run reads them. */
typedef struct reach_window {
	uint64_t skip, limit;
} reach_window;

/* Read TR from W's first record to its end or W's limit (no record past
 * it: run reads none), handing each batch to FEED, the progress on PR as
 * WHAT; dies on bad input. */
static void feed_all(reach *r, trace_reader *tr, trace_rec *b, const reach_window *w,
		     int (*feed)(reach *, const trace_rec *, size_t, size_t *), cli_progress *pr,
		     const char *what)
{
	char err[1024];
	uint64_t done = 0, limit = reach_limit(r);
	if (w->limit && w->limit < limit)
		limit = w->limit;
	if (w->skip && trace_seek(tr, w->skip, err, sizeof(err)) != TRACE_OK)
		cli_die(EXIT_BAD, "%s", err);
	while (done < limit) {
		size_t want = limit - done < BATCH ? (size_t)(limit - done) : BATCH;
		long n = trace_read(tr, b, want, err, sizeof(err));
		if (n < 0)
			cli_die_trace((int)n, err);
		if (n == 0)
			break;
		size_t bad;
		if (feed(r, b, (size_t)n, &bad))
			die_at(r, tr, bad, w->skip + done + bad);
		done += (uint64_t)n;
		/* The share of the input read, or of the limit if that ends it
		 * sooner. */
		uint64_t in, total;
		trace_progress(tr, &in, &total);
		double frac = total ? (double)in / (double)total : -1;
		if (limit != UINT64_MAX && (double)done / (double)limit > frac)
			frac = (double)done / (double)limit;
		cli_progress_show(pr, what, frac, (double)done, "records");
	}
	cli_progress_clear(pr);
	if (w->skip && !done)   /* (as run: a window with nothing in it is a mistake) */
		cli_die(EXIT_BAD, "%s: --skip %llu: the trace ends before record %llu, nothing is "
			"left to analyse", trace_path(tr), (unsigned long long)w->skip,
			(unsigned long long)w->skip);
}

int cmd_reach(args *a)
{
	config_args c = { .nfiles = 0 };
	const char *json = NULL, *plot = NULL, *trace = NULL, *v;
	enum trace_format fmt = TRACE_FMT_AUTO;
	uint64_t entries = 65536, sets = 0, ways = 16;
	int quiet = 0;
	int mpki = 0;
	reach_window win = { 0, 0 };
	const char *dump = NULL;
	while (a->i < a->argc) {
		if (cli_is_help(a->argv[a->i])) {
			fputs(reach_usage, stdout);
			return 0;
		}
		if (cli_config_opt(a, &c))
			continue;
		if ((v = cli_opt_value(a, "--json"))) { json = v; continue; }
		if ((v = cli_opt_value(a, "--plot"))) { cli_once(a, "--plot", plot, v); plot = v; continue; }
		if ((v = cli_opt_value(a, "--entries"))) {
			entries = cli_parse_count(a, "--entries", v, 1);
			continue;
		}
		if ((v = cli_opt_value(a, "--sets"))) { sets = cli_parse_count(a, "--sets", v, 1); continue; }
		if ((v = cli_opt_value(a, "--ways"))) { ways = cli_parse_count(a, "--ways", v, 0); continue; }
		if ((v = cli_opt_value(a, "--format"))) { fmt = cli_parse_format(a, v); continue; }
		if (cli_quiet_opt(a)) { quiet = 1; continue; }
		if ((v = cli_opt_value(a, "--dump-config"))) { cli_once(a, "--dump-config", dump, v); dump = v; continue; }
		if ((v = cli_opt_value(a, "--skip"))) { win.skip = cli_parse_count(a, "--skip", v, 1); continue; }
		if ((v = cli_opt_value(a, "--limit"))) { win.limit = cli_parse_count(a, "--limit", v, 1); continue; }
		cli_window_refused(a, "reach's curves are exact from a cold TLB (Mattson's stack "
				   "distances count every first use); use --skip to start later");
		if (cli_opt_flag(a, "--mpki")) {
			mpki = 1;
			continue;
		}
		if (a->argv[a->i][0] == '-' && a->argv[a->i][1] != '\0')
			cli_unknown_option(a);
		if (trace)
			cli_usage_error(a, "more than one trace given ('%s' and '%s')", trace,
					a->argv[a->i]);
		trace = a->argv[a->i++];
	}
	if (!trace)
		cli_usage_error(a, "reach needs a TRACE");
	if (entries < 1 || entries > (UINT64_C(1) << 24))
		cli_usage_error(a, "--entries %" PRIu64 ": between 1 and 16M", entries);
	if (sets && ((sets & (sets - 1)) || sets > 65536))
		cli_usage_error(a, "--sets %" PRIu64 ": a power of two up to 65536", sets);
	if (ways < 1 || ways > 4096)
		cli_usage_error(a, "--ways %" PRIu64 ": between 1 and 4096", ways);
	if (mpki && !plot)
		cli_usage_error(a, "--mpki is what --plot draws: give --plot FILE too");
	plot_kind pk = PLOT_PNG;
	if (plot && plot_kind_of(plot, &pk))
		cli_usage_error(a, "--plot '%s': the name must end in .png or .svg", plot);
	outset_add_input(a->outs, trace);
	param_reg *p = cli_build_params(a, &c);
	if (dump)
		cli_dump_config(a, p, dump);
	outfile *jo = json ? cli_output(a, json, "--json", 0) : NULL;
	/* (a regular file: the chart is read back before it is put in place) */
	outfile *po = plot ? cli_output(a, plot, "--plot", OUTFILE_REGULAR) : NULL;
	FILE *tf = jo && outfile_is_stdout(jo) ? stderr : stdout;
	char err[1024];
	if (po && plot_available(err, sizeof(err)))
		cli_die(EXIT_FAIL, "--plot: %s", err);
	trace_reader *tr;
	int rc = replay_open(&tr, trace, fmt, 1, err, sizeof(err));
	if (rc != TRACE_OK)
		cli_die_trace(rc, err);
	reach *r;
	reach_cfg rcfg = { .entries = (uint32_t)entries, .sets = (uint32_t)sets,
			   .ways = (uint32_t)ways, .params = p };
	if ((rc = reach_create(&r, &rcfg, err, sizeof(err))) != TRACE_OK)
		cli_die_config(rc, p, err);
	trace_rec *b = malloc(BATCH * sizeof(*b));
	if (!b)
		cli_die(EXIT_FAIL, "out of memory (reading the trace)");
	cli_progress pr;
	cli_progress_init(&pr, !quiet);
	if (param_bool(p, "sim.prefault")) {
		/* As run: a first pass maps every page of the trace (up to
		 * sim.max_records), then the trace is read again. */
		cli_need_regular(a, trace, "sim.prefault=1");
		feed_all(r, tr, b, &win, reach_prefault, &pr, "reach: sim.prefault's pass");
		trace_close(tr);
		if ((rc = replay_open(&tr, trace, fmt, 1, err, sizeof(err))) != TRACE_OK)
			cli_die_trace(rc, err);
	}
	feed_all(r, tr, b, &win, reach_feed, &pr, "reach");
	free(b);
	if (reach_finish(r))
		cli_die_trace(reach_error_code(r), reach_error(r));
	if (!quiet)
		text_report(tf, trace, trace_get_header(tr), p, r);
	if (jo)
		reach_json(outfile_stream(jo), a, trace, trace_get_header(tr), p, r);
	cli_flush_stdout();
	if (jo)
		cli_commit(jo);
	/* The chart last: --json holds the counts whether or not it can be
	 * drawn (calibrate's order too). */
	if (po) {
		int prc = plot_reach_live(outfile_stream(po), plot, pk, trace, trace_get_header(tr), p,
					  r, mpki, err, sizeof(err));
		if (prc)
			cli_die(prc == PLOT_EMPTY ? EXIT_BAD : EXIT_FAIL, "--plot %s", err);
		cli_commit(po);
	}
	reach_destroy(r);
	trace_close(tr);
	param_destroy(p);
	return 0;
}
