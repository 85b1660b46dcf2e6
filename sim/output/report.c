/*
 * sim/output/report.c - see report.h.
 */
#include "report.h"
#include "json.h"
#include "numfmt.h"
#include "machine.h"

#include <inttypes.h>
#include <stdlib.h>
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
			if ((d->flags & PARAM_F_AUTO) && param_int_at(params, i) == 0)
				json_str(j, name, "auto");   /* (as it reads back) */
			else
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

void report_count(char *b, size_t n, uint64_t v)
{
	char digits[24];
	int l = snprintf(digits, sizeof(digits), "%" PRIu64, v);
	size_t at = 0;
	for (int i = 0; i < l && at + 2 < n; i++) {
		if (i && (l - i) % 3 == 0)
			b[at++] = ',';
		b[at++] = digits[i];
	}
	b[at < n ? at : n - 1] = '\0';
}

report_vs_row *report_vs_rows(const stats_reg *a, const stats_reg *b, size_t *n)
{
	size_t na = stats_count(a), nb = stats_count(b), k = 0;
	report_vs_row *rows = calloc(na + nb + 1, sizeof(*rows));
	if (!rows)
		return NULL;
	for (size_t i = 0; i < na; i++) {
		report_vs_row *r = &rows[k++];
		r->name = stats_name_at(a, i);
		r->ratio = stats_kind_at(a, i) == STATS_RATIO;
		if (r->ratio)
			r->ra = stats_ratio_at(a, i);
		else
			r->a = stats_value_at(a, i);
		r->absent = REPORT_VS_NOT_B;
		for (size_t j = 0; j < nb; j++) {
			if (strcmp(stats_name_at(b, j), r->name) != 0)
				continue;
			if (r->ratio)
				r->rb = stats_ratio_at(b, j);
			else
				r->b = stats_value_at(b, j);
			r->absent = 0;
			break;
		}
	}
	/* B's statistics A has not (another configuration registers more:
	 * a second domain, the co-simulation), after A's. */
	for (size_t j = 0; j < nb; j++) {
		int found;
		const char *name = stats_name_at(b, j);
		stats_get(a, name, &found);
		if (found)
			continue;
		report_vs_row *r = &rows[k++];
		r->name = name;
		r->ratio = stats_kind_at(b, j) == STATS_RATIO;
		if (r->ratio)
			r->rb = stats_ratio_at(b, j);
		else
			r->b = stats_value_at(b, j);
		r->absent = REPORT_VS_NOT_A;
	}
	*n = k;
	return rows;
}

void report_vs_table(FILE *f, const report_vs_row *rows, size_t n, int all,
		     int (*keep)(const char *name, const void *ctx), const void *ctx)
{
	size_t w = strlen("statistic");
	for (size_t i = 0; i < n; i++)
		if (strlen(rows[i].name) > w)
			w = strlen(rows[i].name);
	fprintf(f, "  %-*s %18s %18s %9s\n", (int)w, "statistic", "A", "B", "B/A");
	size_t shown = 0, hidden = 0;
	for (size_t i = 0; i < n; i++) {
		const report_vs_row *r = &rows[i];
		if (keep && !keep(r->name, ctx))
			continue;
		char x[40], y[40], q[24];
		int zero = r->ratio ? r->ra == 0 && r->rb == 0 : r->a == 0 && r->b == 0;
		if (zero && !all && !r->absent) {
			hidden++;
			continue;
		}
		if (r->ratio) {
			snprintf(x, sizeof(x), "%.4f", r->ra);
			snprintf(y, sizeof(y), "%.4f", r->rb);
			snprintf(q, sizeof(q), "%s", "");
			if (r->ra != 0 && !r->absent)
				snprintf(q, sizeof(q), "%.4f", r->rb / r->ra);
		} else {
			report_count(x, sizeof(x), r->a);
			report_count(y, sizeof(y), r->b);
			if (r->a && !r->absent)
				snprintf(q, sizeof(q), "%.4f", (double)r->b / (double)r->a);
			else
				snprintf(q, sizeof(q), "-");
		}
		if (r->absent == REPORT_VS_NOT_A)
			snprintf(x, sizeof(x), "(none)");
		if (r->absent == REPORT_VS_NOT_B)
			snprintf(y, sizeof(y), "(none)");
		fprintf(f, "  %-*s %18s %18s %9s\n", (int)w, r->name, x, y, q);
		shown++;
	}
	if (!shown)
		fprintf(f, "  (no statistic%s)\n", keep ? " matches" : "");
	if (hidden)
		fprintf(f, "  (%zu statistic%s 0 in both not shown; --all shows them)\n", hidden,
			hidden == 1 ? "" : "s");
}

void report_config_diff(FILE *f, const report_kv *a, size_t na, const report_kv *b, size_t nb)
{
	size_t nd = 0, w = 0;
	/* Two passes: the count and the name column's width, then the lines. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < na + nb; i++) {
			const report_kv *x = i < na ? &a[i] : NULL, *y = NULL;
			const char *name = i < na ? a[i].name : b[i - na].name;
			const report_kv *other = i < na ? b : a;
			size_t no = i < na ? nb : na;
			const report_kv *hit = NULL;
			for (size_t j = 0; j < no; j++)
				if (strcmp(other[j].name, name) == 0) {
					hit = &other[j];
					break;
				}
			if (i < na) {
				y = hit;
				if (y && strcmp(x->text, y->text) == 0)
					continue;
			} else {
				if (hit)
					continue;   /* (compared above) */
				y = &b[i - na];
			}
			if (pass == 0) {
				nd++;
				if (strlen(name) > w)
					w = strlen(name);
				continue;
			}
			fprintf(f, "    %-*s  ", (int)w, name);
			if (x)
				report_put_text(f, x->text);
			else
				fputs("(none)", f);
			fputs(" -> ", f);
			if (y)
				report_put_text(f, y->text);
			else
				fputs("(none)", f);
			fputc('\n', f);
		}
		if (pass == 0) {
			if (!nd) {
				fputs("  A and B have the same configuration\n", f);
				return;
			}
			fprintf(f, "  B differs from A in %zu parameter%s (A -> B):\n", nd,
				nd == 1 ? "" : "s");
		}
	}
}

report_kv *report_config_kv(const param_reg *p, size_t *n)
{
	size_t k = param_count(p);
	report_kv *kv = calloc(k + 1, sizeof(*kv));
	if (!kv)
		return NULL;
	for (size_t i = 0; i < k; i++)
		kv[i] = (report_kv){ .name = param_name_at(p, i), .text = param_text_at(p, i) };
	*n = k;
	return kv;
}
