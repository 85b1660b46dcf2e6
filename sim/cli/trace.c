/*
 * sim/cli/trace.c - `slatsim trace info|import|gen`: count a trace, convert
 * one to .slt, write a synthetic one.
 */
#include "cli.h"
#include "json.h"
#include "report.h"
#include "machine.h"
#include "tracestat.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BATCH 4096   /* records per read */

static const char *const info_usage =
	"usage: slatsim trace info [--format F] [--json [FILE]] TRACE\n"
	"\n"
	"Count records, reads, writes, ifetches, vCPUs, distinct 4 KB / 64 KB / 2 MB\n"
	"pages touched (an access that crosses a boundary touches both pages), 4 KB\n"
	"pages written, accesses crossing a 4 KB boundary, instructions, and each\n"
	"vCPU's share. --json writes one object to standard output, or to FILE when\n"
	"the next argument ends in .json (or is '-' with TRACE after it; --json=FILE:\n"
	"any name), with these keys, in this order:\n"
	"records reads writes ifetches vcpus pages_4k pages_4k_written pages_64k\n"
	"pages_2m crossing_4k prefetches zero_size invalidations instructions, then\n"
	"nonfetched_instructions (drmemtrace only: instructions retired without a\n"
	"fetch of their own, counted in instructions), format, format_version (.slt\n"
	"only), vcpus_declared (0: none), description, and per_vcpu: an array of\n"
	"{vcpu records reads writes ifetches instructions}, one per vCPU present.\n"
	"Prefetches (drmemtrace) are not reads; a zero-size access (DynamoRIO emits\n"
	"them) touches the page of its address.\n";

static const char *const import_usage =
	"usage: slatsim trace import [--format F] [--desc TEXT] [--vcpus N] [--level N]\n"
	"                            [--chunk N] [-q] IN [-o] OUT.slt\n"
	"\n"
	"Convert IN (any readable format; '-' = standard input) to the native .slt\n"
	"format (OUT '-' = standard output). --desc sets the description (default:\n"
	"the source format and path); --vcpus declares the vCPU count (default: what\n"
	"the input declares; text traces declare none); --level is the zlib level\n"
	"(1-9, default 6); --chunk is the records per independent chunk (default\n"
	"1048576, so that 'run --skip' seeks through the index; 0: one stream without\n"
	"chunks, as slatsim before 0.2 wrote). Prefetch records are kept. OUT is\n"
	"written to a temporary file and renamed into place when complete: a failed\n"
	"or interrupted import leaves an existing OUT as it was. It then says what it\n"
	"wrote on stderr (records, vCPUs declared, size), unless -q/--quiet.\n";

static const char *const gen_usage =
	"usage: slatsim trace gen --pattern seq|stride|random|zipf|gups|chase -o|--out OUT.slt\n"
	"                         [--footprint SIZE] [--count N] [--stride SIZE]\n"
	"                         [--size N] [--write-ratio F] [--zipf S] [--vcpus N]\n"
	"                         [--icount N] [--base ADDR] [--seed N] [--level N]\n"
	"                         [--chunk N] [-q]\n"
	"\n"
	"  --footprint SIZE   bytes covered, default 64M (64 MiB)\n"
	"  --count N          records to write, default 1M (1,048,576)\n"
	"  --stride SIZE      step for stride, element size for chase, default 4K\n"
	"  --size N           bytes per access, default 8\n"
	"  --write-ratio F    fraction of writes (seq/stride/random/zipf), default 0.3\n"
	"  --zipf S           zipf exponent, default 1.0\n"
	"  --vcpus N          vCPUs, records interleave round-robin, default 1\n"
	"  --icount N         instructions retired per record, default 1\n"
	"  --base ADDR        first address of the footprint, default 0x10000000\n"
	"  --seed N           random seed, default 1\n"
	"  --chunk N          records per independent chunk (0: none), default 1048576\n"
	"Patterns: seq (each vCPU walks its share), stride, random (uniform), zipf\n"
	"(4 KB pages, P(rank k) ~ 1/k^S, ranks scattered), gups (read+write of a\n"
	"random word), chase (every element once per lap in random order).\n"
	"Suffixes K, M, G, T are binary (powers of 1024), for sizes and counts alike:\n"
	"--footprint 4G is 4 GiB, --count 20M is 20 x 1,048,576 records.\n"
	"It then says what it wrote on stderr (records, vCPUs, size), unless -q/--quiet.\n";

/* "slatsim: wrote N records (V vCPUs, S) to OUT" on stderr: what trace gen
 * and import made (V: the vCPUs the header declares, if any; S: its size
 * on disk, binary units). */
static void say_wrote(const char *out, uint64_t n, unsigned vcpus)
{
	char nb[32], what[96] = "", sz[32];
	struct stat st;
	report_count(nb, sizeof(nb), n);
	if (vcpus)
		snprintf(what, sizeof(what), "%u vCPU%s", vcpus, vcpus == 1 ? "" : "s");
	if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
		report_bytes(sz, sizeof(sz), (uint64_t)st.st_size, 1);
		size_t l = strlen(what);
		snprintf(what + l, sizeof(what) - l, "%s%s", l ? ", " : "", sz);
	}
	fprintf(stderr, "slatsim: wrote %s record%s%s%s%s to ", nb, n == 1 ? "" : "s",
		what[0] ? " (" : "", what, what[0] ? ")" : "");
	report_put_text(stderr, out);
	fputc('\n', stderr);
}

/* ---------------------------------------------------------------- info */

/* The counts trace info prints first, in order. */
static const struct { const char *k; size_t off; } info_keys[] = {
	{ "records", offsetof(tracestat, records) }, { "reads", offsetof(tracestat, reads) },
	{ "writes", offsetof(tracestat, writes) }, { "ifetches", offsetof(tracestat, ifetches) },
	{ "vcpus", offsetof(tracestat, vcpus) }, { "pages_4k", offsetof(tracestat, pages_4k) },
	{ "pages_4k_written", offsetof(tracestat, pages_4k_written) },
	{ "pages_64k", offsetof(tracestat, pages_64k) }, { "pages_2m", offsetof(tracestat, pages_2m) },
	{ "crossing_4k", offsetof(tracestat, crossing_4k) },
	{ "prefetches", offsetof(tracestat, prefetches) },
	{ "zero_size", offsetof(tracestat, zero_size) },
};

static uint64_t info_count(const tracestat *t, size_t i)
{
	uint64_t v;
	memcpy(&v, (const char *)t + info_keys[i].off, sizeof(v));
	return v;
}

void cli_trace_info_json(FILE *f, const tracestat *t, trace_reader *r)
{
	const trace_header *h = trace_get_header(r);
	uint64_t nonfetched;
	int has_nonfetched = trace_nonfetched(r, &nonfetched);
	json_w j;
	json_init(&j, f, 0);
	json_begin_obj(&j, NULL);
	for (size_t i = 0; i < sizeof(info_keys) / sizeof(info_keys[0]); i++)
		json_u64(&j, info_keys[i].k, info_count(t, i));
	json_u64(&j, "invalidations", t->invalidations);
	json_u64(&j, "instructions", t->instructions);
	if (has_nonfetched)
		json_u64(&j, "nonfetched_instructions", nonfetched);
	json_str(&j, "format", trace_format_name(h->format));
	if (h->format == TRACE_FMT_SLT)
		json_u64(&j, "format_version", h->version);
	json_u64(&j, "vcpus_declared", h->vcpus);
	json_str(&j, "description", h->desc);
	json_begin_arr(&j, "per_vcpu");
	for (unsigned id = 0; id < TRACE_MAX_VCPUS; id++) {
		const tracestat_vcpu *pv = &t->per_vcpu[id];
		if (!pv->records)
			continue;
		json_begin_obj(&j, NULL);
		json_u64(&j, "vcpu", id);
		json_u64(&j, "records", pv->records);
		json_u64(&j, "reads", pv->reads);
		json_u64(&j, "writes", pv->writes);
		json_u64(&j, "ifetches", pv->ifetches);
		json_u64(&j, "instructions", pv->instructions);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_end_obj(&j);
	json_finish(&j);
}

int cmd_trace_info(args *a)
{
		const char *path = NULL, *v;
	enum trace_format fmt = TRACE_FMT_AUTO;
	const char *json = NULL;
	int quiet = 0;
	while (a->i < a->argc) {
		if (cli_dashdash(a))
			continue;
		if (!a->dashdash && cli_is_help(a->argv[a->i])) {
			fputs(info_usage, stdout);
			return 0;
		}
		if ((v = cli_opt_value(a, "--format"))) { fmt = cli_parse_format(a, v); continue; }
		if (cli_quiet_opt(a)) { quiet = 1; continue; }
		if ((v = cli_json_opt(a, 1))) { cli_once(a, "--json", json, v); json = v; continue; }
		if (cli_is_option(a))
			cli_unknown_option(a);
		if (path)
			cli_usage_error(a, "more than one trace given");
		path = a->argv[a->i++];
	}
	if (!path)
		cli_usage_error(a, "trace info needs a TRACE");
	outset_add_input(a->outs, path);
	cli_check_stdout(a);
	outfile *jo = json ? cli_output(a, json, "--json", 0) : NULL;
	char err[1024];
	trace_reader *r;
	trace_open_opts oo = { .format = fmt, .flags = TRACE_OPEN_PREFETCH };
	int rc = trace_open_with(&r, path, &oo, err, sizeof(err));
	if (rc != TRACE_OK)
		cli_die_trace(rc, err);
	tracestat t;
	trace_rec *buf = malloc(BATCH * sizeof(*buf));
	if (!buf || tracestat_init(&t) != 0 || tracestat_per_vcpu(&t) != 0)
		cli_die(EXIT_FAIL, "out of memory (counting %s)", path);
	for (;;) {
		long n = trace_read(r, buf, BATCH, err, sizeof(err));
		if (n < 0)
			cli_die_trace((int)n, err);
		if (n == 0)
			break;
		if (tracestat_add(&t, buf, (size_t)n) != 0)
			cli_die(EXIT_FAIL, "out of memory (counting the pages of %s)", path);
	}
	free(buf);
	const trace_header *h = trace_get_header(r);
	uint64_t nonfetched;
	int has_nonfetched = trace_nonfetched(r, &nonfetched);
	if (jo) {
		cli_trace_info_json(outfile_stream(jo), &t, r);
	} else if (!quiet) {
		printf("%-18s ", "trace");
		report_put_text(stdout, path);
		putchar('\n');
		printf("%-18s %s", "format", trace_format_name(h->format));
		if (h->format == TRACE_FMT_SLT)
			printf(" (version %u)", h->version);
		if (h->vcpus)
			printf(", %u vCPU%s declared", h->vcpus, h->vcpus == 1 ? "" : "s");
		printf("\n");
		if (h->desc[0]) {
			printf("%-18s ", "description");
			report_put_text(stdout, h->desc);
			putchar('\n');
		}
		for (size_t i = 0; i < sizeof(info_keys) / sizeof(info_keys[0]); i++)
			printf("%-18s %" PRIu64 "\n", info_keys[i].k, info_count(&t, i));
		if (t.invalidations)
			printf("%-18s %" PRIu64 "\n", "invalidations", t.invalidations);
		printf("%-18s %" PRIu64 "\n", "instructions", t.instructions);
		if (has_nonfetched)
			printf("%-18s %" PRIu64 " (of the instructions: retired without a fetch)\n",
			       "non-fetched", nonfetched);
		printf("%-18s %.1f MiB (4 KB pages)\n", "footprint",
		       (double)t.pages_4k * 4096.0 / (1 << 20));
		for (unsigned id = 0; t.vcpus > 1 && id < TRACE_MAX_VCPUS; id++) {
			const tracestat_vcpu *pv = &t.per_vcpu[id];
			if (pv->records)
				printf("vcpu %-13u records %" PRIu64 ", reads %" PRIu64 ", writes %"
				       PRIu64 ", ifetches %" PRIu64 ", instructions %" PRIu64 "\n",
				       id, pv->records, pv->reads, pv->writes, pv->ifetches,
				       pv->instructions);
		}
	}
	cli_flush_stdout();
	if (jo)
		cli_commit(jo);
	tracestat_free(&t);
	trace_close(r);
	return 0;
}

/* ---------------------------------------------------------------- import */

int cmd_trace_import(args *a)
{
	const char *in = NULL, *out = NULL, *desc = NULL, *v;
	enum trace_format fmt = TRACE_FMT_AUTO;
	long vcpus = -1, level = 6;
	int quiet = 0;
	uint64_t chunk = TRACE_CHUNK_RECORDS_DEFAULT;
	while (a->i < a->argc) {
		if (cli_dashdash(a))
			continue;
		if (!a->dashdash && cli_is_help(a->argv[a->i])) {
			fputs(import_usage, stdout);
			return 0;
		}
		if ((v = cli_opt_value(a, "--format"))) { fmt = cli_parse_format(a, v); continue; }
		if ((v = cli_opt_value(a, "--desc"))) {
			/* (the header holds TRACE_MAX_DESC bytes: never cut one off) */
			if (strlen(v) > TRACE_MAX_DESC)
				cli_usage_error(a, "--desc: %zu bytes, more than the %u a trace's "
						"header holds", strlen(v), TRACE_MAX_DESC);
			desc = v;
			continue;
		}
		if ((v = cli_opt_value(a, "--chunk"))) {
			chunk = cli_parse_count(a, "--chunk", v, 1);
			continue;
		}
		if ((v = cli_opt_value(a, "--vcpus"))) { vcpus = (long)cli_parse_range(a, "--vcpus", v, 1, TRACE_MAX_VCPUS); continue; }
		if ((v = cli_opt_value(a, "--level"))) { level = (long)cli_parse_range(a, "--level", v, 1, 9); continue; }
		if (cli_quiet_opt(a)) { quiet = 1; continue; }
		if ((v = cli_out_opt(a))) { cli_once(a, "-o", out, v); out = v; continue; }
		if (cli_is_option(a))
			cli_unknown_option(a);
		if (!in)
			in = a->argv[a->i++];
		else if (!out)
			out = a->argv[a->i++];
		else
			cli_usage_error(a, "unexpected argument '%s'", a->argv[a->i]);
	}
	if (!in || !out)
		cli_usage_error(a, "trace import needs IN and OUT");
	outset_add_input(a->outs, in);
	cli_check_stdout(a);
	outfile *o = cli_output(a, out, "OUT", OUTFILE_BINARY);
	char err[1024];
	trace_reader *r;
	trace_open_opts oo = { .format = fmt, .flags = TRACE_OPEN_PREFETCH };
	int rc = trace_open_with(&r, in, &oo, err, sizeof(err));
	if (rc != TRACE_OK)
		cli_die_trace(rc, err);
	trace_header h = *trace_get_header(r);
	if (vcpus > 0)
		h.vcpus = (unsigned)vcpus;
	if (desc) {
		snprintf(h.desc, sizeof(h.desc), "%s", desc);
	} else {
		/* The source's description, and where it came from if that fits
		 * whole (a path is not cut to fit). */
		size_t l = strlen(h.desc);
		if (l + strlen(", imported from ") + strlen(in) <= TRACE_MAX_DESC)
			snprintf(h.desc + l, sizeof(h.desc) - l, ", imported from %s", in);
	}
	uint64_t n_total = 0;
	trace_rec *buf = malloc(BATCH * sizeof(*buf));
	if (!buf)
		cli_die(EXIT_FAIL, "out of memory (importing %s)", in);
	cli_progress pr;
	cli_progress_init(&pr, !quiet);
	trace_writer *w;
	trace_writer_opts wo = { .level = (int)level, .chunk_records = chunk };
	if ((rc = trace_writer_open_stream(&w, outfile_stream(o), outfile_name(o), &h, &wo, err,
					   sizeof(err))) != TRACE_OK)
		cli_die_trace(rc, err);
	for (;;) {
		long n = trace_read(r, buf, BATCH, err, sizeof(err));
		if (n == 0)
			break;
		/* (on an error, the exit hook removes the temporary) */
		if (n < 0)
			cli_die_trace((int)n, err);
		/* A record the header about to be written cannot hold (a vCPU
		 * beyond --vcpus) is the input's: name it and its line. */
		for (long i = 0; i < n; i++) {
			char why[256];
			if (trace_rec_check(&buf[i], h.vcpus ? h.vcpus : TRACE_MAX_VCPUS, why,
					    sizeof(why)) == 0)
				continue;
			uint64_t line = trace_line_of(r, (size_t)i);
			char where[64];
			if (line)
				snprintf(where, sizeof(where), "line %" PRIu64, line);
			else
				snprintf(where, sizeof(where), "record %" PRIu64, n_total + (uint64_t)i);
			cli_die(EXIT_BAD, "%s: %s: %s%s", trace_path(r), where, why,
				vcpus > 0 ? " (--vcpus)" : "");
		}
		if ((rc = trace_write(w, buf, (size_t)n, err, sizeof(err))) != TRACE_OK) {
			if (rc == TRACE_EFORMAT)
				cli_die(EXIT_BAD, "%s", err);
			cli_write_failed(o, err);
		}
		n_total += (uint64_t)n;
		uint64_t done, size;
		trace_progress(r, &done, &size);
		cli_progress_show(&pr, "trace import", size ? (double)done / (double)size : -1,
				  (double)n_total, "records");
	}
	cli_progress_clear(&pr);
	free(buf);
	trace_close(r);
	if ((rc = trace_writer_close(w, err, sizeof(err))) != TRACE_OK)
		cli_write_failed(o, err);
	int to_stdout = outfile_is_stdout(o);
	cli_commit(o);
	if (!to_stdout && !quiet)
		say_wrote(out, n_total, h.vcpus);
	return 0;
}

/* ---------------------------------------------------------------- gen */

int cmd_trace_gen(args *a)
{
	trace_gen_config c = {
		.pattern = TRACE_GEN_SEQ, .base = 0x10000000, .footprint = 64u << 20,
		.count = 1u << 20, .stride = 4096, .size = 8, .write_ratio = 0.3, .zipf_s = 1.0,
		.vcpus = 1, .icount = 1, .seed = 1,
	};
	const char *out = NULL, *v, *pattern = NULL;
	long level = 6;
	int quiet = 0;
	uint64_t chunk = TRACE_CHUNK_RECORDS_DEFAULT;
	while (a->i < a->argc) {
		if (cli_dashdash(a))
			continue;
		if (!a->dashdash && cli_is_help(a->argv[a->i])) {
			fputs(gen_usage, stdout);
			return 0;
		}
		if ((v = cli_opt_value(a, "--pattern"))) {
			pattern = v;
			if (trace_gen_pattern_parse(v, &c.pattern) != TRACE_OK)
				cli_usage_error(a, "--pattern: unknown pattern '%s'", v);
			continue;
		}
		if ((v = cli_opt_value(a, "--footprint"))) { c.footprint = cli_parse_count(a, "--footprint", v, 1); continue; }
		if ((v = cli_opt_value(a, "--count"))) { c.count = cli_parse_count(a, "--count", v, 1); continue; }
		if ((v = cli_opt_value(a, "--stride"))) { c.stride = cli_parse_count(a, "--stride", v, 1); continue; }
		if ((v = cli_opt_value(a, "--base"))) { c.base = cli_parse_count(a, "--base", v, 1); continue; }
		if ((v = cli_opt_value(a, "--seed"))) { c.seed = cli_parse_count(a, "--seed", v, 1); continue; }
		if ((v = cli_opt_value(a, "--size"))) { c.size = (unsigned)cli_parse_range(a, "--size", v, 1, TRACE_MAX_SIZE); continue; }
		if ((v = cli_opt_value(a, "--vcpus"))) { c.vcpus = (unsigned)cli_parse_range(a, "--vcpus", v, 1, TRACE_MAX_VCPUS); continue; }
		if ((v = cli_opt_value(a, "--icount"))) { c.icount = (uint32_t)cli_parse_range(a, "--icount", v, 0, 0xffffffffu); continue; }
		if ((v = cli_opt_value(a, "--write-ratio"))) { c.write_ratio = cli_parse_float(a, "--write-ratio", v); continue; }
		if ((v = cli_opt_value(a, "--zipf"))) { c.zipf_s = cli_parse_float(a, "--zipf", v); continue; }
		if ((v = cli_opt_value(a, "--level"))) { level = (long)cli_parse_range(a, "--level", v, 1, 9); continue; }
		if ((v = cli_opt_value(a, "--chunk"))) { chunk = cli_parse_count(a, "--chunk", v, 1); continue; }
		if ((v = cli_out_opt(a))) { cli_once(a, "-o", out, v); out = v; continue; }
		if (cli_quiet_opt(a)) { quiet = 1; continue; }
		cli_unexpected(a);
	}
	if (!pattern)
		cli_usage_error(a, "trace gen needs --pattern");
	if (!out)
		cli_usage_error(a, "trace gen needs -o OUT");
	char err[1024];
	trace_gen *g;
	int rc = trace_gen_create(&g, &c, err, sizeof(err));
	if (rc == TRACE_ENOMEM)
		cli_die(EXIT_FAIL, "%s", err);
	if (rc != TRACE_OK)
		cli_usage_error(a, "%s", err);
	trace_header h = { .vcpus = c.vcpus, .flags = 0 };
	snprintf(h.desc, sizeof(h.desc),
		 "slatsim trace gen --pattern %s --footprint %llu --count %llu --stride %llu "
		 "--size %u --write-ratio %g --zipf %g --vcpus %u --icount %u --base 0x%llx "
		 "--seed %llu", pattern, (unsigned long long)c.footprint,
		 (unsigned long long)c.count, (unsigned long long)c.stride, c.size,
		 c.write_ratio, c.zipf_s, c.vcpus, c.icount, (unsigned long long)c.base,
		 (unsigned long long)c.seed);
	outfile *o = cli_output(a, out, "-o", OUTFILE_BINARY);
	trace_rec *buf = malloc(BATCH * sizeof(*buf));
	if (!buf)
		cli_die(EXIT_FAIL, "out of memory (generating %s)", out);
	trace_writer *w;
	trace_writer_opts wo = { .level = (int)level, .chunk_records = chunk };
	rc = trace_writer_open_stream(&w, outfile_stream(o), outfile_name(o), &h, &wo, err,
				      sizeof(err));
	if (rc != TRACE_OK)
		cli_die_trace(rc, err);
	size_t n;
	uint64_t written = 0;
	cli_progress pr;
	cli_progress_init(&pr, !quiet);
	while ((n = trace_gen_next(g, buf, BATCH)) > 0) {
		if ((rc = trace_write(w, buf, n, err, sizeof(err))) != TRACE_OK)
			cli_write_failed(o, err);   /* the exit hook removes the temporary */
		written += n;
		cli_progress_show(&pr, "trace gen", c.count ? (double)written / (double)c.count : 1,
				  (double)written, "records");
	}
	cli_progress_clear(&pr);
	free(buf);
	trace_gen_destroy(g);
	if (trace_writer_close(w, err, sizeof(err)) != TRACE_OK)
		cli_write_failed(o, err);
	int to_stdout = outfile_is_stdout(o);
	cli_commit(o);
	if (!to_stdout && !quiet)
		say_wrote(out, written, c.vcpus);
	return 0;
}
