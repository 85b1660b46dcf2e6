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

/* ---------------------------------------------------------------- rooms */

/* The rooms of the report, in the order printed; a statistic goes to the
 * room with the longest prefix naming it (cycles.dirtylog.* to dirty
 * logging, not cycles), "domain.N." to domain N's, the rest to "other". */
#define REPORT_PREFIXES 12
static const struct {
	const char *title;
	const char *pfx[REPORT_PREFIXES];
} report_groups[] = {
	{ "trace", { "records", "accesses", "reads", "writes", "ifetches", "instructions",
		     "vcpus", "prefetches", "invalidations", "inv", "footprint", "trace" } },
	{ "TLBs", { "tlb", "ntlb" } },
	{ "walks", { "walk", "walkcache", "pt" } },
	{ "faults", { "fault", "pages", "guest" } },
	{ "caches", { "cache" } },
	{ "cycles", { "cycles" } },
	{ "dirty logging", { "dirtylog", "pml", "wp", "hdbss", "cycles.dirtylog" } },
	{ "I/O", { "io", "grant" } },
	{ "prefetches (not in the counts above)", { "prefetch" } },
	{ "co-simulation", { "cosim" } },
	{ "migration", { "migrate" } },
};
#define REPORT_NGROUPS (sizeof(report_groups) / sizeof(report_groups[0]))
#define REPORT_OTHER REPORT_NGROUPS   /* then domain N: REPORT_OTHER + 1 + N */

/* Zeros that are results, shown whenever their room is: what a safe
 * configuration must keep at 0. */
static const char *const report_zeros[] = {
	"dirtylog.missed_pages", "migrate.lost_pages", "migrate.unsent_pages",
};

/* The length of P if it names NAME (NAME itself, or NAME under P.), or 0. */
static size_t prefix_names(const char *p, const char *name)
{
	size_t l = strlen(p);
	return strncmp(name, p, l) == 0 && (name[l] == '\0' || name[l] == '.') ? l : 0;
}

/* NAME's room; domain N's statistics are room REPORT_OTHER + 1 + N. */
static size_t group_of(const char *name)
{
	unsigned dom;
	int used = 0;
	if (sscanf(name, "domain.%u.%n", &dom, &used) == 1 && used > 0)
		return REPORT_OTHER + 1 + dom;
	size_t best = REPORT_OTHER, bl = 0;
	for (size_t g = 0; g < REPORT_NGROUPS; g++)
		for (size_t k = 0; k < REPORT_PREFIXES && report_groups[g].pfx[k]; k++) {
			size_t l = prefix_names(report_groups[g].pfx[k], name);
			if (l > bl) {
				bl = l;
				best = g;
			}
		}
	return best;
}

/* A statistic's unit, from its name: cycles, bytes, microseconds, pages
 * (none for a count of events). */
static const char *unit_of(const char *name)
{
	const char *last = strrchr(name, '.');
	last = last ? last + 1 : name;
	size_t l = strlen(last);
	if (strstr(name, "cycles"))
		return "cycles";
	if (l >= 5 && strcmp(last + l - 5, "bytes") == 0)
		return "B";
	if (l >= 3 && strcmp(last + l - 3, "_us") == 0)
		return "us";
	if (strstr(last, "pages") || prefix_names("pages", name))
		return "pages";
	return "";
}

static int is_result_zero(const char *name)
{
	for (size_t i = 0; i < sizeof(report_zeros) / sizeof(report_zeros[0]); i++)
		if (strcmp(report_zeros[i], name) == 0)
			return 1;
	return 0;
}

/* One statistic's line: name, value (thousands separated; bytes also in
 * binary units), unit, description. */
static void stat_line(FILE *f, const stats_reg *st, size_t i, int w)
{
	const char *name = stats_name_at(st, i), *unit = unit_of(name);
	char v[48], extra[40] = "";
	if (stats_kind_at(st, i) == STATS_RATIO) {
		snprintf(v, sizeof(v), "%.4f", stats_ratio_at(st, i));
		unit = "";
	} else {
		uint64_t x = stats_value_at(st, i);
		report_count(v, sizeof(v), x);
		if (!strcmp(unit, "B") && x >= 1024) {
			char b[32];
			report_bytes(b, sizeof(b), x, 1);
			snprintf(extra, sizeof(extra), " (%s)", b);
		}
	}
	fprintf(f, "    %-*s %15s %-6s  %s%s\n", w, name, v, unit, stats_desc_at(st, i), extra);
}

void report_stats(FILE *f, const stats_reg *st, const report_opts *o)
{
	size_t n = stats_count(st), maxg = REPORT_OTHER + 1, hidden = 0;
	int w = 0;
	size_t *g = calloc(n ? n : 1, sizeof(*g));
	unsigned char *show = calloc(n ? n : 1, 1);
	if (!g || !show) {
		free(g);
		free(show);
		fputs("  (out of memory: the statistics are in --json)\n", f);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = stats_name_at(st, i);
		g[i] = group_of(name);
		if (g[i] + 1 > maxg)
			maxg = g[i] + 1;
		int zero = stats_kind_at(st, i) == STATS_RATIO ? stats_ratio_at(st, i) == 0
			   : stats_value_at(st, i) == 0;
		show[i] = o->keep ? o->keep(name, o->ctx) : o->all || !zero;
		hidden += !show[i] && !o->keep;
	}
	/* A room shown for what it has shows its zeros that are results. */
	for (size_t i = 0; i < n && !o->keep && !o->all; i++) {
		if (show[i] || !is_result_zero(stats_name_at(st, i)))
			continue;
		for (size_t j = 0; j < n; j++)
			if (show[j] && g[j] == g[i]) {
				show[i] = 1;
				hidden--;
				break;
			}
	}
	for (size_t i = 0; i < n; i++)
		if (show[i] && (int)strlen(stats_name_at(st, i)) > w)
			w = (int)strlen(stats_name_at(st, i));
	size_t shown = 0;
	for (size_t gi = 0; gi < maxg; gi++) {
		int head = 0;
		for (size_t i = 0; i < n; i++) {
			if (g[i] != gi || !show[i])
				continue;
			if (!head) {
				fputs(shown ? "\n  " : "  ", f);
				if (gi < REPORT_NGROUPS)
					fprintf(f, "%s\n", report_groups[gi].title);
				else if (gi == REPORT_OTHER)
					fputs("other\n", f);
				else
					fprintf(f, "domain %zu\n", gi - REPORT_OTHER - 1);
				head = 1;
			}
			stat_line(f, st, i, w);
			shown++;
		}
	}
	if (!shown)
		fprintf(f, "  (no statistic%s)\n", o->keep ? " matches" : "");
	if (hidden)
		fprintf(f, "\n  (%zu statistic%s that %s 0 not shown: --all shows every one, --stats "
			"PATTERN those it names)\n", hidden, hidden == 1 ? "" : "s",
			hidden == 1 ? "is" : "are");
	free(g);
	free(show);
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
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
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

/* "L2 2,048 entries 16-way" for TLB PFX (NAME in the text), "(ways=auto)" when
 * the ways were worked out; "L2 absent" without entries. */
static void tlb_geometry(char *b, size_t n, const param_reg *p, const char *pfx,
			 const char *name)
{
	char k[64], e[32];
	snprintf(k, sizeof(k), "%s.entries", pfx);
	uint64_t entries = (uint64_t)param_int(p, k);
	if (!entries) {
		snprintf(b, n, "%s absent", name);
		return;
	}
	report_count(e, sizeof(e), entries);
	snprintf(k, sizeof(k), "%s.ways", pfx);
	int xor_index = !strcmp(pfx, "tlb.l2") && !strcmp(param_text(p, "tlb.l2.index"), "xor");
	snprintf(b, n, "%s %s entries %u-way%s%s", name, e, machine_param_ways(p, pfx),
		 param_int(p, k) ? "" : " (ways=auto)", xor_index ? " XOR-indexed" : "");
}

void report_headline(FILE *f, const stats_reg *st, const param_reg *p)
{
	uint64_t ins = stat_of(st, "instructions"), walks = stat_of(st, "walk.count");
	uint64_t total = stat_of(st, "cycles.total");
	char a[32], b[32], c[32], w[32], g[3][80], t[32];
	per_ki(a, sizeof(a), stat_of(st, "tlb.l1i.misses"), ins);
	per_ki(b, sizeof(b), stat_of(st, "tlb.l1d.misses"), ins);
	per_ki(c, sizeof(c), stat_of(st, "tlb.l2.misses"), ins);
	per_ki(w, sizeof(w), walks, ins);
	fputs("  headline (MPKI: misses per 1000 instructions)\n", f);
	fprintf(f, "    TLB MPKI         L1I %s, L1D %s, L2 %s\n", param_int(p, "tlb.l1i.entries") ? a
		: "(absent)", param_int(p, "tlb.l1d.entries") ? b : "(absent)",
		param_int(p, "tlb.l2.entries") ? c : "(absent)");
	tlb_geometry(g[0], sizeof(g[0]), p, "tlb.l1i", "L1I");
	tlb_geometry(g[1], sizeof(g[1]), p, "tlb.l1d", "L1D");
	tlb_geometry(g[2], sizeof(g[2]), p, "tlb.l2", "L2");
	fprintf(f, "    TLBs             %s; %s; %s\n", g[0], g[1], g[2]);
	fprintf(f, "    page walks       %s per 1000 instructions, %.2f memory references per walk\n",
		w, walks ? (double)stat_of(st, "walk.mem_refs") / (double)walks : 0.0);
	report_count(t, sizeof(t), total);
	fprintf(f, "    translation      %.2f%% of %s cycles (faults %.2f%%)\n",
		share(stat_of(st, "cycles.translation"), total), t,
		share(stat_of(st, "cycles.faults"), total));
	char r[32];
	report_bytes(r, sizeof(r), stat_of(st, "tlb.l2.reach_bytes"), 2);
	fprintf(f, "    TLB reach        %s mapped by the L2 TLB at the end\n", r);
	/* Logging's share holds the stage-2 faults it caused (dirtylog.s2_faults,
	 * dirtylog.h): their share is said on a line of its own, as the faults
	 * share above leaves them out. */
	if (stat_of(st, "dirtylog.rounds")) {
		char x[4][32];
		uint64_t s2 = stat_of(st, "dirtylog.s2_faults");
		report_count(x[0], sizeof(x[0]), stat_of(st, "dirtylog.true_pages"));
		report_count(x[1], sizeof(x[1]), stat_of(st, "dirtylog.missed_pages"));
		report_count(x[2], sizeof(x[2]), stat_of(st, "dirtylog.extra_pages"));
		report_count(x[3], sizeof(x[3]), s2);
		fprintf(f, "    dirty logging    %.2f%% of cycles; %s pages written, %s missed, %s "
			"extra over %" PRIu64 " round%s\n", share(stat_of(st, "cycles.dirtylog"), total),
			x[0], x[1], x[2], stat_of(st, "dirtylog.rounds"),
			stat_of(st, "dirtylog.rounds") == 1 ? "" : "s");
		if (s2)
			fprintf(f, "                     %.2f%% of cycles in the %s stage-2 fault%s it "
				"caused (4 KB pages mapped while logging)\n",
				share(stat_of(st, "cycles.dirtylog.s2_faults"), total), x[3],
				s2 == 1 ? "" : "s");
	}
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
