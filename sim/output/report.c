/*
 * sim/output/report.c - see report.h.
 */
#include "report.h"
#include "json.h"
#include "numfmt.h"
#include "machine.h"

#include <inttypes.h>
#include <string.h>

void report_put_text(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

void report_text_head(FILE *f, const char *trace_path, const trace_header *h)
{
	fprintf(f, "slatsim %s  trace ", SLATSIM_VERSION);
	report_put_text(f, trace_path);
	fprintf(f, " (%s", trace_format_name(h->format));
	if (h->vcpus)
		fprintf(f, ", %u vCPU%s declared", h->vcpus, h->vcpus == 1 ? "" : "s");
	fprintf(f, ")\n");
	if (h->desc[0]) {
		fputs("  ", f);
		report_put_text(f, h->desc);
		fputc('\n', f);
	}
	fputc('\n', f);
}

void report_text_stats(FILE *f, const stats_reg *st)
{
	size_t w = 0;
	for (size_t i = 0; i < stats_count(st); i++) {
		size_t l = strlen(stats_name_at(st, i));
		if (l > w)
			w = l;
	}
	for (size_t i = 0; i < stats_count(st); i++) {
		char v[48];
		if (stats_kind_at(st, i) == STATS_RATIO)
			snprintf(v, sizeof(v), "%.4f", stats_ratio_at(st, i));
		else
			snprintf(v, sizeof(v), "%" PRIu64, stats_value_at(st, i));
		fprintf(f, "  %-*s %16s  %s\n", (int)w, stats_name_at(st, i), v,
			stats_desc_at(st, i));
	}
}

void report_text(FILE *f, const char *trace_path, const trace_header *h,
		 const stats_reg *st)
{
	report_text_head(f, trace_path, h);
	report_text_stats(f, st);
}

static uint64_t stat_of(const stats_reg *st, const char *name)
{
	int found;
	return stats_get(st, name, &found);
}

/* "12.345" per kilo-instruction, or "-" without instructions. */
static void per_ki(char *b, size_t n, uint64_t x, uint64_t instr)
{
	if (instr)
		snprintf(b, n, "%.3f", (double)x * 1000.0 / (double)instr);
	else
		snprintf(b, n, "-");
}

void report_bytes(char *b, size_t n, uint64_t v, int decimals)
{
	static const char *const unit[] = { "B", "KB", "MB", "GB", "TB", "PB" };
	double x = (double)v;
	unsigned u = 0;
	while (x >= 1024 && u < 5) {
		x /= 1024;
		u++;
	}
	if (x == (double)(uint64_t)x)
		snprintf(b, n, "%.0f %s", x, unit[u]);
	else
		snprintf(b, n, "%.*f %s", decimals, x, unit[u]);
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

void report_headline(FILE *f, const stats_reg *st, const param_reg *p)
{
	uint64_t ins = stat_of(st, "instructions"), walks = stat_of(st, "walk.count");
	uint64_t total = stat_of(st, "cycles.total");
	char a[32], b[32], c[32], w[32];
	per_ki(a, sizeof(a), stat_of(st, "tlb.l1i.misses"), ins);
	per_ki(b, sizeof(b), stat_of(st, "tlb.l1d.misses"), ins);
	per_ki(c, sizeof(c), stat_of(st, "tlb.l2.misses"), ins);
	per_ki(w, sizeof(w), walks, ins);
	fputs("  headline (MPKI: misses per 1000 instructions)\n", f);
	fprintf(f, "    TLB MPKI         L1I %s, L1D %s, L2 %s\n", param_int(p, "tlb.l1i.entries") ? a
		: "(absent)", param_int(p, "tlb.l1d.entries") ? b : "(absent)",
		param_int(p, "tlb.l2.entries") ? c : "(absent)");
	fprintf(f, "    page walks       %s per 1000 instructions, %.2f memory references per walk\n",
		w, walks ? (double)stat_of(st, "walk.mem_refs") / (double)walks : 0.0);
	fprintf(f, "    translation      %.2f%% of %" PRIu64 " cycles (faults %.2f%%)\n",
		share(stat_of(st, "cycles.translation"), total), total,
		share(stat_of(st, "cycles.faults"), total));
	char r[32];
	report_bytes(r, sizeof(r), stat_of(st, "tlb.l2.reach_bytes"), 2);
	fprintf(f, "    TLB reach        %s mapped by the L2 TLB at the end\n", r);
	if (stat_of(st, "dirtylog.rounds"))
		fprintf(f, "    dirty logging    %.2f%% of cycles; %" PRIu64 " pages written, %" PRIu64
			" missed, %" PRIu64 " extra over %" PRIu64 " round%s\n",
			share(stat_of(st, "cycles.dirtylog"), total), stat_of(st, "dirtylog.true_pages"),
			stat_of(st, "dirtylog.missed_pages"), stat_of(st, "dirtylog.extra_pages"),
			stat_of(st, "dirtylog.rounds"), stat_of(st, "dirtylog.rounds") == 1 ? "" : "s");
	fputc('\n', f);
}

void report_json_config(json_w *j, const param_reg *params)
{
	json_begin_obj(j, "config");
	for (size_t i = 0; i < param_count(params); i++) {
		const param_def *d = param_def_at(params, i);
		const char *name = param_name_at(params, i);
		switch (d->type) {
		case PARAM_INT:
		case PARAM_SIZE:
			json_i64(j, name, param_int_at(params, i));
			break;
		case PARAM_BOOL:
			json_bool(j, name, (int)param_int_at(params, i));
			break;
		case PARAM_FLOAT:
			json_dbl(j, name, param_float_at(params, i));
			break;
		case PARAM_ENUM:
			json_str(j, name, param_text_at(params, i));
			break;
		case PARAM_LIST: {
			int64_t v[PARAM_LIST_MAX];
			int n = param_parse_list(param_text_at(params, i), v, PARAM_LIST_MAX);
			json_begin_arr(j, name);
			for (int k = 0; k < n; k++)
				json_i64(j, NULL, v[k]);
			json_end_arr(j);
			break;
		}
		}
	}
	json_end_obj(j);
}

void report_json_head(json_w *j, const char *trace_path, const trace_header *h,
		      const param_reg *params)
{
	json_str(j, "slatsim", SLATSIM_VERSION);
	json_begin_obj(j, "trace");
	json_str(j, "path", trace_path);
	json_str(j, "format", trace_format_name(h->format));
	json_u64(j, "vcpus_declared", h->vcpus);
	json_str(j, "description", h->desc);
	json_end_obj(j);
	report_json_config(j, params);
}

void report_json(FILE *f, const char *trace_path, const trace_header *h,
		 const param_reg *params, const stats_reg *st, const machine *m)
{
	report_json_ext(f, trace_path, h, params, st, m, NULL, NULL);
}

void report_json_ext(FILE *f, const char *trace_path, const trace_header *h,
		     const param_reg *params, const stats_reg *st, const machine *m,
		     void (*extra)(json_w *j, const void *ctx), const void *ctx)
{
	json_w j;
	json_init(&j, f, 1);
	json_begin_obj(&j, NULL);
	report_json_head(&j, trace_path, h, params);
	json_begin_obj(&j, "stats");
	for (size_t i = 0; i < stats_count(st); i++) {
		if (stats_kind_at(st, i) == STATS_RATIO)
			json_dbl(&j, stats_name_at(st, i), stats_ratio_at(st, i));
		else
			json_u64(&j, stats_name_at(st, i), stats_value_at(st, i));
	}
	json_end_obj(&j);
	size_t total = 0, nr;
	unsigned nd = machine_domains(m);
	for (unsigned d = 0; d < nd; d++) {
		machine_rounds(m, d, &nr);
		total += nr;
	}
	if (total) {
		json_begin_arr(&j, "rounds");
		for (unsigned d = 0; d < nd; d++) {
			const dl_round *rounds = machine_rounds(m, d, &nr);
			for (size_t i = 0; i < nr; i++) {
				json_begin_obj(&j, NULL);
				if (nd > 1)
					json_u64(&j, "domain", d);
				json_u64(&j, "instructions", rounds[i].instructions);
				json_u64(&j, "true", rounds[i].true_pages);
				json_u64(&j, "reported", rounds[i].reported_pages);
				json_u64(&j, "missed", rounds[i].missed_pages);
				json_u64(&j, "extra", rounds[i].extra_pages);
				json_u64(&j, "cycles", rounds[i].cycles);
				json_end_obj(&j);
			}
		}
		json_end_arr(&j);
	}
	if (extra)
		extra(&j, ctx);
	json_end_obj(&j);
	json_finish(&j);
}

void report_vs(FILE *f, const char *change, const stats_reg *a, const stats_reg *b)
{
	fprintf(f, "  %-28s %16s %16s %9s\n", "statistic", "A", "B", "B/A");
	fprintf(f, "  %-28s %16s ", "", "(configuration)");
	report_put_text(f, change);
	fputc('\n', f);
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
