/*
 * sim/cli/diff.c - `slatsim diff A.json B.json`: two results already
 * written (run --json, migrate --json, a sweep's points/N.json) compared as
 * `run --vs` compares two replays - the parameters in which they differ,
 * then every statistic non-zero in either, side by side with B/A.
 *
 * Assumptions: a result is a JSON object with "stats" (name: number) and,
 * as slatsim writes it, "config" (name: value) and "trace": {"path"}; a
 * count is a number written as digits, anything else a ratio. One file
 * holding an array of two results (what --vs --json writes) is A and B.
 */
#include "cli.h"
#include "jsonr.h"
#include "report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const diff_usage =
	"usage: slatsim diff [--all] [--stats PATTERN]... A.json B.json\n"
	"       slatsim diff [--all] [--stats PATTERN]... VS.json\n"
	"\n"
	"Compare two results already written - what 'run --json' or 'migrate --json'\n"
	"wrote, or a sweep's points/N.json - as 'slatsim run --vs' compares two\n"
	"replays: the parameters (and trace) in which B differs from A, then every\n"
	"statistic that is non-zero in either, side by side with B/A. One file\n"
	"holding [A, B] (what --vs --json writes) compares its two results.\n"
	"--all shows the statistics that are 0 in both too; --stats PATTERN keeps\n"
	"the statistics it names (a name, a dotted prefix such as 'tlb.l2', or a\n"
	"shell pattern such as '*.misses'; repeatable).\n"
	"Exit status 0 whether or not they differ; 2 when a file is not a result.\n";

/* One side: its document and where in it the result is. */
typedef struct diff_side {
	const char *path;
	const jsonr *res;      /* the result object */
	report_kv *kv;         /* its config as text, "(trace)" first */
	char **texts;
	size_t nkv;
} diff_side;

/* V (a config value) as the registry writes it: a string or number as it
 * is, a boolean 0/1, a list's items joined by ','. Allocated. */
static char *value_text(const jsonr *v)
{
	char buf[4096];
	size_t at = 0;
	switch (v->type) {
	case JSONR_STR:
	case JSONR_NUM:
		return strdup(v->text);
	case JSONR_BOOL:
		return strdup(v->truth ? "1" : "0");
	case JSONR_ARR:
		buf[0] = '\0';
		for (size_t i = 0; i < v->n && at < sizeof(buf); i++)
			at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%s", i ? "," : "",
					       v->items[i].type == JSONR_NUM ? v->items[i].text : "?");
		return strdup(buf);
	default:
		return strdup(jsonr_brief(v, buf, sizeof(buf)));
	}
}

static void side_kv(diff_side *s)
{
	const jsonr *cfg = jsonr_get(s->res, "config");
	size_t n = cfg && cfg->type == JSONR_OBJ ? cfg->n : 0;
	s->kv = calloc(n + 1, sizeof(*s->kv));
	s->texts = calloc(n + 1, sizeof(*s->texts));
	if (!s->kv || !s->texts)
		cli_die(EXIT_FAIL, "out of memory (reading %s)", s->path);
	const jsonr *tr = jsonr_get(jsonr_get(s->res, "trace"), "path");
	if (tr && tr->type == JSONR_STR)
		s->kv[s->nkv++] = (report_kv){ .name = "(trace)", .text = tr->text };
	for (size_t i = 0; i < n; i++) {
		char *t = value_text(&cfg->items[i]);
		if (!t)
			cli_die(EXIT_FAIL, "out of memory (reading %s)", s->path);
		s->texts[i] = t;
		s->kv[s->nkv++] = (report_kv){ .name = cfg->keys[i], .text = t };
	}
}

static void side_free(diff_side *s)
{
	const jsonr *cfg = jsonr_get(s->res, "config");
	size_t n = cfg && cfg->type == JSONR_OBJ ? cfg->n : 0;
	for (size_t i = 0; i < n && s->texts; i++)
		free(s->texts[i]);
	free(s->texts);
	free(s->kv);
}

/* RES is a result: an object whose "stats" is an object of numbers. */
static void need_result(const char *path, const char *which, const jsonr *res)
{
	const jsonr *st = jsonr_get(res, "stats");
	if (!st || st->type != JSONR_OBJ)
		cli_die(EXIT_BAD, "%s: %snot a result of slatsim (no \"stats\" object: run --json, "
			"migrate --json or a sweep's points/N.json has one)", path, which);
	for (size_t i = 0; i < st->n; i++)
		if (st->items[i].type != JSONR_NUM)
			cli_die(EXIT_BAD, "%s: %s\"stats\": \"%s\" is not a number", path, which,
				st->keys[i]);
}

/* The rows of A's and B's statistics: A's order, then B's names A lacks. */
static report_vs_row *diff_rows(const jsonr *a, const jsonr *b, size_t *n)
{
	const jsonr *sa = jsonr_get(a, "stats"), *sb = jsonr_get(b, "stats");
	report_vs_row *rows = calloc(sa->n + sb->n + 1, sizeof(*rows));
	if (!rows)
		return NULL;
	size_t k = 0;
	for (int pass = 0; pass < 2; pass++) {
		const jsonr *s = pass ? sb : sa, *o = pass ? sa : sb;
		for (size_t i = 0; i < s->n; i++) {
			const jsonr *x = &s->items[i], *y = jsonr_get(o, s->keys[i]);
			if (pass && y)
				continue;   /* (in A: done) */
			const jsonr *va = pass ? NULL : x, *vb = pass ? x : y;
			report_vs_row *r = &rows[k++];
			r->name = s->keys[i];
			uint64_t u;
			r->ratio = (va && jsonr_u64(va, &u) != 0) || (vb && jsonr_u64(vb, &u) != 0);
			if (r->ratio) {
				r->ra = va ? jsonr_num(va) : 0;
				r->rb = vb ? jsonr_num(vb) : 0;
			} else {
				if (va)
					jsonr_u64(va, &r->a);
				if (vb)
					jsonr_u64(vb, &r->b);
			}
			r->absent = !va ? REPORT_VS_NOT_A : !vb ? REPORT_VS_NOT_B : 0;
		}
	}
	*n = k;
	return rows;
}

int cmd_diff(args *a)
{
	const char *files[2] = { NULL, NULL }, *v;
	int nfiles = 0, all = 0, quiet = 0;
	cli_patterns filt = { .n = 0 };
	while (a->i < a->argc) {
		if (cli_dashdash(a))
			continue;
		if (!a->dashdash && cli_is_help(a->argv[a->i])) {
			fputs(diff_usage, stdout);
			return 0;
		}
		if (cli_opt_flag(a, "--all")) { all = 1; continue; }
		if (cli_quiet_opt(a)) { quiet = 1; continue; }
		if ((v = cli_opt_value(a, "--stats"))) { cli_pattern_add(a, &filt, v); continue; }
		if (cli_is_option(a))
			cli_unknown_option(a);
		if (nfiles == 2)
			cli_usage_error(a, "diff compares two results ('%s', '%s' and '%s' given)",
					files[0], files[1], a->argv[a->i]);
		files[nfiles++] = a->argv[a->i++];
	}
	if (!nfiles)
		cli_usage_error(a, "diff needs A.json and B.json (or one file holding [A, B])");
	char err[1024];
	jsonr *doc[2] = { NULL, NULL };
	for (int i = 0; i < nfiles; i++) {
		outset_add_input(a->outs, files[i]);
		if (!(doc[i] = jsonr_load(files[i], err, sizeof(err))))
			cli_die(strstr(err, "out of memory") ? EXIT_FAIL : EXIT_BAD, "%s", err);
	}
	cli_check_stdout(a);
	diff_side s[2] = { { .path = files[0] }, { .path = nfiles == 2 ? files[1] : files[0] } };
	if (nfiles == 1) {
		if (doc[0]->type != JSONR_ARR || doc[0]->n != 2)
			cli_usage_error(a, "%s: one file compares only when it holds [A, B] (what --vs "
					"--json writes); give A.json and B.json", files[0]);
		s[0].res = &doc[0]->items[0];
		s[1].res = &doc[0]->items[1];
		need_result(files[0], "[0]: ", s[0].res);
		need_result(files[0], "[1]: ", s[1].res);
	} else {
		for (int i = 0; i < 2; i++) {
			if (doc[i]->type == JSONR_ARR)
				cli_die(EXIT_BAD, "%s: holds %zu results (an array, as --vs --json "
					"writes): give it alone to compare its two", files[i], doc[i]->n);
			s[i].res = doc[i];
			need_result(files[i], "", s[i].res);
		}
	}
	for (int i = 0; i < 2; i++)
		side_kv(&s[i]);
	if (quiet)   /* (-q: whether both are results: errors, the exit status) */
		goto done;
	printf("slatsim %s  diff\n  A: ", SLATSIM_VERSION);
	report_put_text(stdout, s[0].path);
	fputs(nfiles == 1 ? " [0]\n  B: " : "\n  B: ", stdout);
	report_put_text(stdout, s[1].path);
	fputs(nfiles == 1 ? " [1]\n" : "\n", stdout);
	const jsonr *va = jsonr_get(s[0].res, "slatsim"), *vb = jsonr_get(s[1].res, "slatsim");
	if (va && vb && !jsonr_equal(va, vb))
		printf("  (written by slatsim %s and %s)\n", va->type == JSONR_STR ? va->text : "?",
		       vb->type == JSONR_STR ? vb->text : "?");
	report_config_diff(stdout, s[0].kv, s[0].nkv, s[1].kv, s[1].nkv);
	putchar('\n');
	size_t nrows;
	report_vs_row *rows = diff_rows(s[0].res, s[1].res, &nrows);
	if (!rows)
		cli_die(EXIT_FAIL, "out of memory (diff)");
	report_vs_table(stdout, rows, nrows, all, filt.n ? cli_pattern_keep : NULL, &filt);
	free(rows);
done:
	cli_flush_stdout();
	for (int i = 0; i < 2; i++)
		side_free(&s[i]);
	jsonr_free(doc[0]);
	jsonr_free(doc[1]);
	cli_patterns_free(&filt);
	return 0;
}
