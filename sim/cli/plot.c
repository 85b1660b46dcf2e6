/*
 * sim/cli/plot.c - `slatsim plot`: charts of what the other commands wrote
 * (sim/plot.h draws them with gnuplot): reach curves from `reach --json`, a
 * sweep's statistic against a swept parameter, the cycles of each
 * configuration by category, and dirty logging's cost per round from
 * `run --json`.
 */
#include "cli.h"
#include "jsonr.h"
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const plot_usage =
	"usage: slatsim plot reach REACH.json -o OUT.png|OUT.svg\n"
	"       slatsim plot sweep DIR [--stat NAME] [--x KEY] -o OUT\n"
	"       slatsim plot cycles RUN.json...|DIR -o OUT\n"
	"       slatsim plot rounds RUN.json -o OUT\n"
	"\n"
	"reach: the miss ratio of a fully-associative LRU TLB against its entries,\n"
	"  per stream and page size, from 'slatsim reach --json' (log-log).\n"
	"sweep: statistic NAME (default cycles.total) of a sweep's results in DIR\n"
	"  against swept parameter KEY (default the first --grid), a line for each\n"
	"  combination of the other swept parameters.\n"
	"cycles: stacked bars of cycles.instructions, .translation, .faults and\n"
	"  .dirtylog for each 'run --json' file, or each point of a sweep DIR.\n"
	"rounds: the cycles of each dirty-logging round of a 'run --json' file.\n"
	"The chart is PNG or SVG by OUT's name, drawn by gnuplot (Debian's\n"
	"gnuplot-nox); OUT is written to a temporary and renamed into place.\n";

static jsonr *load(const char *path)
{
	char err[1024];
	jsonr *v = jsonr_load(path, err, sizeof(err));
	if (!v)
		cli_die(EXIT_BAD, "%s", err);
	return v;
}

static const jsonr *need(const jsonr *o, const char *key, jsonr_type t, const char *path)
{
	const jsonr *v = jsonr_get(o, key);
	if (!v || v->type != t)
		cli_die(EXIT_BAD, "%s: no \"%s\" %s: not what this chart reads", path, key,
			t == JSONR_OBJ ? "object" : t == JSONR_ARR ? "array" : "value");
	return v;
}

/* ---------------------------------------------------------------- reach */

static int chart_reach(const char *in, const char *out, plot_kind k, char *err, size_t el)
{
	jsonr *doc = load(in);
	const jsonr *r = need(doc, "reach", JSONR_OBJ, in);
	const jsonr *tr = jsonr_get(jsonr_get(doc, "trace"), "path");
	plot_curve c[16];
	uint64_t *arrays[16] = { NULL };
	char titles[16][64];
	size_t n = 0;
	for (size_t s = 0; s < r->n && n < 16; s++) {
		const jsonr *stream = &r->items[s];
		for (size_t z = 0; stream->type == JSONR_OBJ && z < stream->n && n < 16; z++) {
			const jsonr *cv = &stream->items[z], *m = jsonr_get(cv, "misses");
			const char *size = stream->keys[z];
			int instr = strcmp(r->keys[s], "i") == 0;
			if (!m || m->type != JSONR_ARR || !m->n ||
			    (instr && strcmp(size, "4k") && strcmp(size, "2m")) ||
			    (strcmp(size, "combined") == 0 &&
			     jsonr_num(jsonr_get(cv, "page_bytes")) != 0))
				continue;
			uint64_t lookups;
			if (jsonr_u64(jsonr_get(cv, "lookups"), &lookups))
				cli_die(EXIT_BAD, "%s: reach.%s.%s.lookups: not a count", in,
					r->keys[s], size);
			if (!lookups)
				continue;   /* (a stream the trace does not have) */
			arrays[n] = malloc(m->n * sizeof(uint64_t));
			if (!arrays[n])
				cli_die(EXIT_FAIL, "out of memory");
			for (size_t i = 0; i < m->n; i++)
				if (jsonr_u64(&m->items[i], &arrays[n][i]))
					cli_die(EXIT_BAD, "%s: reach.%s.%s.misses[%zu]: not a count",
						in, r->keys[s], size, i);
			snprintf(titles[n], sizeof(titles[n]), "%s %s",
				 instr ? "instructions" : "data", size);
			c[n] = (plot_curve){ .title = titles[n], .misses = arrays[n], .n = m->n,
					     .lookups = lookups };
			n++;
		}
	}
	if (!n)
		cli_die(EXIT_BAD, "%s: no curve to draw (no stream with lookups and misses)", in);
	char title[512];
	snprintf(title, sizeof(title), "TLB miss ratio: %s",
		 tr && tr->type == JSONR_STR ? tr->text : in);
	int rc = plot_miss_ratio(out, k, title, c, n, err, el);
	for (size_t i = 0; i < n; i++)
		free(arrays[i]);
	jsonr_free(doc);
	return rc;
}

/* ---------------------------------------------------------------- sweep */

static char *results_path(const char *dir)
{
	size_t l = strlen(dir) + 16;
	char *p = malloc(l);
	if (!p)
		cli_die(EXIT_FAIL, "out of memory");
	snprintf(p, l, "%s/results.json", dir);
	return p;
}

/* The numeric value of a swept parameter's text ("1536", "64k", "0.3"), or
 * -1 when it is not a number (then the chart places values in order). */
static double value_of(const char *s)
{
	uint64_t u;
	if (param_parse_uint(s, 1, &u) == 0)
		return (double)u;
	char *end;
	double d = strtod(s, &end);
	return end != s && !*end ? d : -1;
}

static int chart_sweep(const char *dir, const char *stat, const char *xkey, const char *out,
		       plot_kind k, char *err, size_t el)
{
	char *rp = results_path(dir);
	jsonr *doc = load(rp);
	if (doc->type != JSONR_ARR || !doc->n)
		cli_die(EXIT_BAD, "%s: not a sweep's results (an array of points)", rp);
	const jsonr *p0 = need(&doc->items[0], "params", JSONR_OBJ, rp);
	if (!xkey) {
		if (!p0->n)
			cli_die(EXIT_BAD, "%s: the sweep has no swept parameter", rp);
		xkey = p0->keys[0];
	}
	if (!jsonr_get(p0, xkey))
		cli_die(EXIT_BAD, "--x %s: not a swept parameter of %s", xkey, rp);
	/* A line per combination of the other parameters (and trace) - but not
	 * of those that vary with x alone (keys joined to it by ':' in the
	 * --grid: the same value wherever x has the same value, and more than
	 * one value): they are x's, not a line's. */
	size_t n = doc->n, nser = 0;
	int *with_x = calloc(p0->n ? p0->n : 1, sizeof(*with_x));
	/* (per distinct x, the value the key had there: O(points x distinct x)) */
	const char **xseen = calloc(n ? n : 1, sizeof(*xseen)), **kv = calloc(n ? n : 1, sizeof(*kv));
	if (!with_x || !xseen || !kv)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t pk = 0; pk < p0->n; pk++) {
		const char *kk = p0->keys[pk], *first = NULL;
		int follows = strcmp(kk, xkey) != 0, varies = 0;
		size_t nx = 0;
		for (size_t i = 0; follows && i < n; i++) {
			const jsonr *pi = jsonr_get(&doc->items[i], "params");
			const jsonr *vi = jsonr_get(pi, kk), *xi = jsonr_get(pi, xkey);
			if (!vi || !xi || vi->type != JSONR_STR || xi->type != JSONR_STR) {
				follows = 0;
				break;
			}
			if (!first)
				first = vi->text;
			varies |= strcmp(first, vi->text) != 0;
			size_t j = 0;
			while (j < nx && strcmp(xseen[j], xi->text) != 0)
				j++;
			if (j == nx) {
				xseen[nx] = xi->text;
				kv[nx++] = vi->text;
			} else if (strcmp(kv[j], vi->text) != 0) {
				follows = 0;
			}
		}
		with_x[pk] = follows && varies;
	}
	free(xseen);
	free(kv);
	char **key = calloc(n, sizeof(*key));
	size_t *ser_of = calloc(n, sizeof(*ser_of));
	double *xs = calloc(n, sizeof(*xs)), *ys = calloc(n, sizeof(*ys));
	const char **labels = calloc(n, sizeof(*labels));
	size_t nlabels = 0;
	int numeric = 1;
	if (!key || !ser_of || !xs || !ys || !labels)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const jsonr *row = &doc->items[i];
		const jsonr *pa = need(row, "params", JSONR_OBJ, rp);
		const jsonr *st = need(row, "stats", JSONR_OBJ, rp), *v = jsonr_get(st, stat);
		if (!v || v->type != JSONR_NUM)
			cli_die(EXIT_BAD, "--stat %s: not a statistic of %s", stat, rp);
		const jsonr *xv = jsonr_get(pa, xkey);
		const char *xt = xv && xv->type == JSONR_STR ? xv->text : "";
		numeric &= value_of(xt) >= 0;
		ys[i] = jsonr_num(v);
		size_t li = 0;
		while (li < nlabels && strcmp(labels[li], xt) != 0)
			li++;
		if (li == nlabels)
			labels[nlabels++] = xt;
		xs[i] = (double)li;
		char *kt = NULL;
		size_t kl = 0;
		FILE *m = open_memstream(&kt, &kl);
		const jsonr *tr = jsonr_get(row, "trace");
		int multi_trace = 0;
		for (size_t j = 0; j < n; j++) {
			const jsonr *t2 = jsonr_get(&doc->items[j], "trace");
			if (tr && t2 && tr->text && t2->text && strcmp(tr->text, t2->text) != 0)
				multi_trace = 1;
		}
		if (multi_trace && tr && tr->type == JSONR_STR)
			fprintf(m, "%s ", tr->text);
		for (size_t j = 0; j < pa->n; j++) {
			size_t pk = 0;
			while (pk < p0->n && strcmp(p0->keys[pk], pa->keys[j]) != 0)
				pk++;
			if (strcmp(pa->keys[j], xkey) != 0 && !(pk < p0->n && with_x[pk]))
				fprintf(m, "%s=%s ", pa->keys[j],
					pa->items[j].type == JSONR_STR ? pa->items[j].text : "");
		}
		fclose(m);
		if (kl && kt[kl - 1] == ' ')
			kt[kl - 1] = '\0';
		size_t si = 0;
		while (si < nser && strcmp(key[si], kt) != 0)
			si++;
		if (si == nser)
			key[nser++] = kt;
		else
			free(kt);
		ser_of[i] = si;
	}
	if (numeric)
		for (size_t i = 0; i < n; i++) {
			const jsonr *xv = jsonr_get(jsonr_get(&doc->items[i], "params"), xkey);
			xs[i] = value_of(xv->text);
		}
	plot_series *ser = calloc(nser, sizeof(*ser));
	double *sx = calloc(n, sizeof(*sx)), *sy = calloc(n, sizeof(*sy));
	if (!ser || !sx || !sy)
		cli_die(EXIT_FAIL, "out of memory");
	size_t at = 0;
	for (size_t si = 0; si < nser; si++) {
		ser[si] = (plot_series){ .title = key[si][0] ? key[si] : stat, .x = sx + at,
					 .y = sy + at };
		for (size_t i = 0; i < n; i++)
			if (ser_of[i] == si) {
				sx[at] = xs[i];
				sy[at++] = ys[i];
				ser[si].n++;
			}
	}
	char title[512];
	snprintf(title, sizeof(title), "%s against %s (%s)", stat, xkey, dir);
	plot_spec sp = { .title = title, .xlabel = xkey, .ylabel = stat, .series = ser,
			 .nseries = nser, .labels = numeric ? NULL : labels,
			 .nlabels = numeric ? 0 : nlabels };
	int rc = plot_draw(out, k, &sp, err, el);
	for (size_t si = 0; si < nser; si++)
		free(key[si]);
	free(key);
	free(ser_of);
	free(with_x);
	free(xs);
	free(ys);
	free(labels);
	free(ser);
	free(sx);
	free(sy);
	free(rp);
	jsonr_free(doc);
	return rc;
}

/* ---------------------------------------------------------------- cycles */

static const char *const cycle_keys[] = { "cycles.instructions", "cycles.translation",
					   "cycles.faults", "cycles.dirtylog" };
#define NCYC (sizeof(cycle_keys) / sizeof(cycle_keys[0]))

static int chart_cycles(char **in, size_t nin, const char *out, plot_kind k, char *err,
			size_t el)
{
	/* Bars: one per run file, or per point of a sweep directory. */
	size_t cap = 64, n = 0;
	char **labels = malloc(cap * sizeof(*labels));
	double *v[NCYC];
	for (size_t c = 0; c < NCYC; c++)
		v[c] = malloc(cap * sizeof(double));
	jsonr **docs = calloc(nin, sizeof(*docs));
	if (!labels || !docs)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t f = 0; f < nin; f++) {
		size_t l = strlen(in[f]);
		int is_dir = l > 0 && !strstr(in[f], ".json");
		char *path = is_dir ? results_path(in[f]) : in[f];
		jsonr *doc = docs[f] = load(path);
		size_t rows = doc->type == JSONR_ARR ? doc->n : 1;
		for (size_t r = 0; r < rows; r++) {
			const jsonr *row = doc->type == JSONR_ARR ? &doc->items[r] : doc;
			const jsonr *st = need(row, "stats", JSONR_OBJ, path);
			if (n == cap) {
				cap *= 2;
				labels = realloc(labels, cap * sizeof(*labels));
				for (size_t c = 0; c < NCYC; c++)
					v[c] = realloc(v[c], cap * sizeof(double));
				if (!labels)
					cli_die(EXIT_FAIL, "out of memory");
			}
			for (size_t c = 0; c < NCYC; c++) {
				if (!v[c])
					cli_die(EXIT_FAIL, "out of memory");
				v[c][n] = jsonr_num(jsonr_get(st, cycle_keys[c]));
			}
			char *lab = NULL;
			size_t ll = 0;
			FILE *m = open_memstream(&lab, &ll);
			const jsonr *pa = jsonr_get(row, "params");
			if (pa && pa->type == JSONR_OBJ) {
				for (size_t j = 0; j < pa->n; j++)
					fprintf(m, "%s%s", j ? " " : "",
						pa->items[j].type == JSONR_STR ? pa->items[j].text : "");
			} else {
				const char *b = strrchr(path, '/');
				fputs(b ? b + 1 : path, m);
			}
			fclose(m);
			labels[n++] = lab;
		}
		if (is_dir)
			free(path);
	}
	plot_series ser[NCYC];
	for (size_t c = 0; c < NCYC; c++)
		ser[c] = (plot_series){ .title = cycle_keys[c] + 7, .y = v[c], .n = n };
	plot_spec sp = { .title = "cycles by category", .xlabel = "configuration",
			 .ylabel = "cycles", .bars = 1, .labels = (const char *const *)labels,
			 .nlabels = n, .series = ser, .nseries = NCYC };
	int rc = plot_draw(out, k, &sp, err, el);
	for (size_t i = 0; i < n; i++)
		free(labels[i]);
	free(labels);
	for (size_t c = 0; c < NCYC; c++)
		free(v[c]);
	for (size_t f = 0; f < nin; f++)
		jsonr_free(docs[f]);
	free(docs);
	return rc;
}

/* ---------------------------------------------------------------- rounds */

static int chart_rounds(const char *in, const char *out, plot_kind k, char *err, size_t el)
{
	jsonr *doc = load(in);
	const jsonr *r = jsonr_get(doc, "rounds");
	if (!r || r->type != JSONR_ARR || !r->n)
		cli_die(EXIT_BAD, "%s: no dirty-logging rounds (run with dirtylog.mode set)", in);
	double *x = calloc(r->n, sizeof(*x)), *y = calloc(r->n, sizeof(*y));
	if (!x || !y)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t i = 0; i < r->n; i++) {
		x[i] = jsonr_num(jsonr_get(&r->items[i], "instructions"));
		y[i] = jsonr_num(jsonr_get(&r->items[i], "cycles"));
	}
	plot_series s = { .title = "dirty-logging cycles of the round", .x = x, .y = y, .n = r->n };
	char title[512];
	snprintf(title, sizeof(title), "dirty logging per round: %s", in);
	plot_spec sp = { .title = title, .xlabel = "instructions at the end of the round",
			 .ylabel = "cycles", .series = &s, .nseries = 1 };
	int rc = plot_draw(out, k, &sp, err, el);
	free(x);
	free(y);
	jsonr_free(doc);
	return rc;
}

int cmd_plot(args *a)
{
	const char *kind = NULL, *out = NULL, *stat = "cycles.total", *xkey = NULL, *v;
	char *in[256];
	size_t nin = 0;
	while (a->i < a->argc) {
		if (cli_is_help(a->argv[a->i])) {
			fputs(plot_usage, stdout);
			return 0;
		}
		if ((v = cli_opt_value(a, "-o"))) { out = v; continue; }
		if ((v = cli_opt_value(a, "--stat"))) { stat = v; continue; }
		if ((v = cli_opt_value(a, "--x"))) { xkey = v; continue; }
		if (a->argv[a->i][0] == '-' && a->argv[a->i][1] != '\0')
			cli_unknown_option(a);
		if (!kind) {
			kind = a->argv[a->i++];
			continue;
		}
		if (nin == 256)
			cli_usage_error(a, "too many inputs (256 at most)");
		in[nin++] = a->argv[a->i++];
	}
	if (!kind)
		cli_usage_error(a, "plot needs a chart: reach, sweep, cycles or rounds");
	int ck = strcmp(kind, "reach") == 0 ? 0 : strcmp(kind, "sweep") == 0 ? 1
		 : strcmp(kind, "cycles") == 0 ? 2 : strcmp(kind, "rounds") == 0 ? 3 : -1;
	if (ck < 0)
		cli_usage_error(a, "plot '%s': the charts are reach, sweep, cycles and rounds", kind);
	if (!nin || (ck != 2 && nin != 1))
		cli_usage_error(a, "plot %s needs %s input", kind, ck == 2 ? "at least one" : "one");
	if (!out)
		cli_usage_error(a, "plot needs -o OUT.png or OUT.svg");
	plot_kind pk;
	if (plot_kind_of(out, &pk))
		cli_usage_error(a, "-o '%s': the name must end in .png or .svg", out);
	for (size_t i = 0; i < nin; i++)
		outset_add_input(a->outs, in[i]);
	char err[1024];
	if (plot_available(err, sizeof(err)))
		cli_die(EXIT_FAIL, "%s", err);
	outfile *o = cli_output(a, out, "-o", OUTFILE_PATH);
	const char *path = outfile_write_path(o);
	int rc = ck == 0 ? chart_reach(in[0], path, pk, err, sizeof(err))
		 : ck == 1 ? chart_sweep(in[0], stat, xkey, path, pk, err, sizeof(err))
		 : ck == 2 ? chart_cycles(in, nin, path, pk, err, sizeof(err))
			   : chart_rounds(in[0], path, pk, err, sizeof(err));
	if (rc)
		cli_die(EXIT_FAIL, "%s", err);
	cli_commit(o);
	return 0;
}
