/*
 * sim/cli/plot.c - `slatsim plot`: charts of what the other commands wrote
 * (sim/output/plot.h draws them with gnuplot): reach curves from `reach --json`, a
 * sweep's statistic against a swept parameter, the cycles of each
 * configuration by category, and dirty logging's cost per round from
 * `run --json`.
 *
 * An input is known by what it holds, never by its name: a directory is a
 * sweep's (its results.json), a file is whatever its JSON is - a run's
 * --json (or a sweep's point file: the same document), the pair `run --vs`
 * writes (an array of two runs, A and B), a sweep's results.json, a
 * `reach --json`. A chart given another kind says what it got.
 *
 * Bars and lines are told apart by what differs between them: the settings
 * (and traces) whose values are not the same in all of them, as
 * key=value, A/B for the two runs of a --vs pair; what is still alike gets
 * its file's name, then its place.
 */
#include "cli.h"
#include "jsonr.h"
#include "plot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_INPUTS 256
#define LABEL_KEYS 4      /* key=value pairs in a label, at most ("+N more" after) */

static const char *const plot_usage =
	"usage: slatsim plot reach REACH.json -o OUT.png|OUT.svg\n"
	"       slatsim plot sweep DIR|RESULTS.json [--stat NAME] [--x KEY] -o OUT\n"
	"       slatsim plot cycles RUN.json...|DIR... -o OUT\n"
	"       slatsim plot rounds RUN.json -o OUT\n"
	"\n"
	"reach: the miss ratio of a fully-associative LRU TLB against its entries,\n"
	"  per stream and page size, from 'slatsim reach --json' (log-log).\n"
	"sweep: statistic NAME (default cycles.total) of a sweep's results in DIR\n"
	"  against swept parameter KEY (default the first --grid), a line for each\n"
	"  combination of the other swept parameters.\n"
	"cycles: stacked bars of cycles.instructions, .translation, .faults and\n"
	"  .dirtylog for each 'run --json' file (both runs of a 'run --vs' file: A\n"
	"  and B), or each point of a sweep DIR; a bar is labelled by the settings\n"
	"  that differ between the bars.\n"
	"rounds: the cycles of each dirty-logging round of a 'run --json' file (of\n"
	"  A and B of a 'run --vs' file; a line per domain).\n"
	"An input is known by its content, not its name. The chart is PNG or SVG by\n"
	"OUT's name, drawn by gnuplot (Debian's gnuplot-nox) into a temporary that\n"
	"is checked and renamed into place; a failure leaves OUT as it was.\n";

/* ---------------------------------------------------------------- inputs */

typedef enum in_kind { IN_RUN, IN_VS, IN_SWEEP, IN_REACH, IN_MANIFEST, IN_OTHER } in_kind;

typedef struct input {
	const char *arg;     /* as given */
	char *path;          /* the file read: ARG, or ARG/results.json */
	jsonr *doc;
	in_kind kind;
} input;

static const char *kind_name(in_kind k)
{
	switch (k) {
	case IN_RUN: return "a 'run --json' document";
	case IN_VS: return "a 'run --vs' pair (A and B)";
	case IN_SWEEP: return "a sweep's results";
	case IN_REACH: return "a 'reach --json' document";
	case IN_MANIFEST: return "a sweep's manifest (sweep.json; give its directory)";
	default: return "not a document slatsim writes";
	}
}

static int is_run(const jsonr *o)
{
	const jsonr *s = jsonr_get(o, "stats");
	return s && s->type == JSONR_OBJ && !jsonr_get(o, "reach");
}

static in_kind classify(const jsonr *d)
{
	if (d->type == JSONR_OBJ) {
		const jsonr *r = jsonr_get(d, "reach");
		if (r && r->type == JSONR_OBJ)
			return IN_REACH;
		if (is_run(d))
			return IN_RUN;
		if (jsonr_get(d, "grid") && jsonr_get(d, "points"))
			return IN_MANIFEST;
		return IN_OTHER;
	}
	if (d->type != JSONR_ARR || !d->n)
		return IN_OTHER;
	size_t runs = 0, rows = 0;
	for (size_t i = 0; i < d->n; i++) {
		const jsonr *o = &d->items[i], *pa = jsonr_get(o, "params");
		if (!is_run(o))
			return IN_OTHER;
		if (pa && pa->type == JSONR_OBJ)
			rows++;
		else
			runs++;
	}
	if (rows == d->n)
		return IN_SWEEP;
	return runs == 2 && d->n == 2 ? IN_VS : IN_OTHER;
}

/* Read ARG: a directory is its results.json. Dies (exit 2) naming ARG. */
static void load_input(input *in, const char *arg)
{
	struct stat st;
	in->arg = arg;
	if (stat(arg, &st) != 0)
		cli_die(EXIT_BAD, "%s: %s", arg, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		size_t l = strlen(arg) + 16;
		if (!(in->path = malloc(l)))
			cli_die(EXIT_FAIL, "out of memory");
		snprintf(in->path, l, "%s/results.json", arg);
		if (stat(in->path, &st) != 0)
			cli_die(EXIT_BAD, "%s: a directory without results.json (what 'slatsim sweep "
				"--out DIR' writes)", arg);
	} else if (!(in->path = strdup(arg))) {
		cli_die(EXIT_FAIL, "out of memory");
	}
	char err[1024];
	if (!(in->doc = jsonr_load(in->path, err, sizeof(err))))
		cli_die(EXIT_BAD, "%s", err);
	in->kind = classify(in->doc);
}

static void free_input(input *in)
{
	jsonr_free(in->doc);
	free(in->path);
}

/* IN is not what chart CHART reads (WANTS says what does): die. */
static void wrong_kind(const input *in, const char *chart, const char *wants)
{
	cli_die(EXIT_BAD, "%s: %s, not %s (what plot %s reads)", in->path, kind_name(in->kind),
		wants, chart);
}

/* ---------------------------------------------------------------- labels */

/* V as text: what a setting's value reads like in a label. */
static void put_value(FILE *m, const jsonr *v)
{
	switch (v ? v->type : JSONR_NULL) {
	case JSONR_STR:
	case JSONR_NUM:
		fputs(v->text, m);
		break;
	case JSONR_BOOL:
		fputs(v->truth ? "true" : "false", m);
		break;
	case JSONR_ARR:
	case JSONR_OBJ:
		fputc(v->type == JSONR_ARR ? '[' : '{', m);
		for (size_t i = 0; i < v->n; i++) {
			fputs(i ? "," : "", m);
			if (v->type == JSONR_OBJ)
				fprintf(m, "%s:", v->keys[i]);
			put_value(m, &v->items[i]);
		}
		fputc(v->type == JSONR_ARR ? ']' : '}', m);
		break;
	default:
		fputs("null", m);
	}
}

static char *value_text(const jsonr *v)
{
	char *t = NULL;
	size_t l = 0;
	FILE *m = open_memstream(&t, &l);
	if (!m)
		cli_die(EXIT_FAIL, "out of memory");
	put_value(m, v);
	if (fclose(m) != 0)
		cli_die(EXIT_FAIL, "out of memory");
	return t;
}

/* A bar or a line: what tells it from the others. */
typedef struct item {
	const jsonr *attrs;     /* the run's config, or the sweep point's params */
	const char *trace;      /* its trace, or NULL */
	const char *prefix;     /* "A", "B" (a --vs pair), or NULL */
	const char *file;       /* the input it came from, as given */
	char *label;            /* out */
} item;

typedef struct key_diff {
	const char *key;
	char *first;            /* the first value seen */
	int differs;
} key_diff;

typedef struct label_at {
	const char *label;
	size_t i;
} label_at;

static int by_label(const void *a, const void *b)
{
	return strcmp(((const label_at *)a)->label, ((const label_at *)b)->label);
}

/* Indices of IT whose labels are not unique: DUP[i] = 1. Returns how many. */
static size_t find_alike(const item *it, size_t n, int *dup)
{
	label_at *ix = malloc((n ? n : 1) * sizeof(*ix));
	size_t count = 0;
	if (!ix)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		ix[i] = (label_at){ it[i].label, i };
		dup[i] = 0;
	}
	qsort(ix, n, sizeof(*ix), by_label);
	for (size_t i = 1; i < n; i++)
		if (strcmp(ix[i - 1].label, ix[i].label) == 0)
			dup[ix[i - 1].i] = dup[ix[i].i] = 1;
	for (size_t i = 0; i < n; i++)
		count += (size_t)dup[i];
	free(ix);
	return count;
}

/* T's label followed by " (FILE)", or by " #PLACE" when FILE is NULL. */
static void append(item *t, const char *file, size_t place)
{
	char *old = t->label, *nw = NULL;
	size_t l = 0;
	FILE *m = open_memstream(&nw, &l);
	if (!m)
		cli_die(EXIT_FAIL, "out of memory");
	if (file)
		fprintf(m, "%s (%s)", old, file);
	else
		fprintf(m, "%s #%zu", old, place);
	if (fclose(m) != 0)
		cli_die(EXIT_FAIL, "out of memory");
	free(old);
	t->label = nw;
}

/* A label for each of the N items: distinct, and as short as the
 * differences allow. */
static void make_labels(item *it, size_t n)
{
	/* The keys, in the order they first appear; "trace" first. */
	size_t cap = 16, nk = 0;
	key_diff *k = malloc(cap * sizeof(*k));
	if (!k)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const jsonr *a = it[i].attrs;
		size_t na = a && a->type == JSONR_OBJ ? a->n : 0;
		for (size_t j = 0; j <= na; j++) {
			const char *key = j == 0 ? "trace" : a->keys[j - 1];
			if (j == 0 && !it[i].trace)
				continue;
			char *v = j == 0 ? strdup(it[i].trace) : value_text(&a->items[j - 1]);
			if (!v)
				cli_die(EXIT_FAIL, "out of memory");
			size_t q = 0;
			while (q < nk && strcmp(k[q].key, key) != 0)
				q++;
			if (q == nk) {
				if (nk == cap && !(k = realloc(k, (cap *= 2) * sizeof(*k))))
					cli_die(EXIT_FAIL, "out of memory");
				k[nk++] = (key_diff){ .key = key, .first = v };
				continue;
			}
			k[q].differs |= strcmp(k[q].first, v) != 0;
			free(v);
		}
	}
	for (size_t i = 0; i < n; i++) {
		char *t = NULL;
		size_t l = 0, shown = 0, more = 0;
		FILE *m = open_memstream(&t, &l);
		if (!m)
			cli_die(EXIT_FAIL, "out of memory");
		if (it[i].prefix)
			fputs(it[i].prefix, m);
		for (size_t q = 0; q < nk; q++) {
			if (!k[q].differs)
				continue;
			const jsonr *v = strcmp(k[q].key, "trace") == 0 ? NULL
					 : jsonr_get(it[i].attrs, k[q].key);
			if (!v && !(strcmp(k[q].key, "trace") == 0 && it[i].trace))
				continue;
			if (shown == LABEL_KEYS) {
				more++;
				continue;
			}
			fprintf(m, "%s%s=", shown ? ", " : it[i].prefix ? ": " : "", k[q].key);
			if (v)
				put_value(m, v);
			else
				fputs(it[i].trace, m);
			shown++;
		}
		if (more)
			fprintf(m, ", +%zu more", more);
		if (!shown && !it[i].prefix)
			fputs(it[i].file, m);
		if (fclose(m) != 0)
			cli_die(EXIT_FAIL, "out of memory");
		it[i].label = t;
	}
	for (size_t q = 0; q < nk; q++)
		free(k[q].first);
	free(k);
	/* Still alike: the file's name, then the place (1-based). */
	int *dup = malloc((n ? n : 1) * sizeof(*dup));
	if (!dup)
		cli_die(EXIT_FAIL, "out of memory");
	if (find_alike(it, n, dup)) {
		for (size_t i = 0; i < n; i++)
			if (dup[i] && strcmp(it[i].label, it[i].file) != 0)
				append(&it[i], it[i].file, 0);
		if (find_alike(it, n, dup))
			for (size_t i = 0; i < n; i++)
				if (dup[i])
					append(&it[i], NULL, i + 1);
	}
	free(dup);
}

/* The trace path of run document O ("trace": {"path": ...}) or sweep row O
 * ("trace": "..."), or NULL. */
static const char *trace_of(const jsonr *o)
{
	const jsonr *t = jsonr_get(o, "trace");
	if (t && t->type == JSONR_OBJ)
		t = jsonr_get(t, "path");
	return t && t->type == JSONR_STR ? t->text : NULL;
}

static int plot_status(int rc) { return rc == PLOT_EMPTY ? EXIT_BAD : EXIT_FAIL; }

/* ---------------------------------------------------------------- reach */

static int chart_reach(const input *in, FILE *out, const char *name, plot_kind k, char *err,
		       size_t el)
{
	if (in->kind != IN_REACH)
		wrong_kind(in, "reach", "a 'reach --json' document");
	const jsonr *r = jsonr_get(in->doc, "reach");
	const char *tr = trace_of(in->doc);
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
				cli_die(EXIT_BAD, "%s: reach.%s.%s.lookups: not a count", in->path,
					r->keys[s], size);
			if (!lookups)
				continue;   /* (a stream the trace does not have) */
			arrays[n] = malloc(m->n * sizeof(uint64_t));
			if (!arrays[n])
				cli_die(EXIT_FAIL, "out of memory");
			for (size_t i = 0; i < m->n; i++)
				if (jsonr_u64(&m->items[i], &arrays[n][i]))
					cli_die(EXIT_BAD, "%s: reach.%s.%s.misses[%zu]: not a count",
						in->path, r->keys[s], size, i);
			snprintf(titles[n], sizeof(titles[n]), "%s %s",
				 instr ? "instructions" : "data", size);
			c[n] = (plot_curve){ .title = titles[n], .misses = arrays[n], .n = m->n,
					     .lookups = lookups };
			n++;
		}
	}
	if (!n)
		cli_die(EXIT_BAD, "%s: no curve to draw (no stream with lookups and misses)",
			in->path);
	char title[512];
	snprintf(title, sizeof(title), "TLB miss ratio: %s", tr ? tr : in->arg);
	int rc = plot_miss_ratio(out, name, k, title, c, n, err, el);
	for (size_t i = 0; i < n; i++)
		free(arrays[i]);
	return rc;
}

/* ---------------------------------------------------------------- sweep */

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

static const jsonr *need(const jsonr *o, const char *key, jsonr_type t, const char *path)
{
	const jsonr *v = jsonr_get(o, key);
	if (!v || v->type != t)
		cli_die(EXIT_BAD, "%s: no \"%s\" %s: not what this chart reads", path, key,
			t == JSONR_OBJ ? "object" : t == JSONR_ARR ? "array" : "value");
	return v;
}

static int chart_sweep(const input *in, const char *stat, const char *xkey, FILE *out,
		       const char *name, plot_kind k, char *err, size_t el)
{
	if (in->kind != IN_SWEEP)
		wrong_kind(in, "sweep", "a sweep's directory (or its results.json)");
	const jsonr *doc = in->doc;
	const char *rp = in->path;
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
	int multi_trace = 0;
	for (size_t j = 1; j < n; j++) {
		const char *t0 = trace_of(&doc->items[0]), *tj = trace_of(&doc->items[j]);
		if (t0 && tj && strcmp(t0, tj) != 0)
			multi_trace = 1;
	}
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
		if (!m)
			cli_die(EXIT_FAIL, "out of memory");
		const char *tr = trace_of(row);
		if (multi_trace && tr)
			fprintf(m, "%s ", tr);
		for (size_t j = 0; j < pa->n; j++) {
			size_t pk = 0;
			while (pk < p0->n && strcmp(p0->keys[pk], pa->keys[j]) != 0)
				pk++;
			if (strcmp(pa->keys[j], xkey) != 0 && !(pk < p0->n && with_x[pk])) {
				fprintf(m, "%s=", pa->keys[j]);
				put_value(m, &pa->items[j]);
				fputc(' ', m);
			}
		}
		if (fclose(m) != 0)
			cli_die(EXIT_FAIL, "out of memory");
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
	snprintf(title, sizeof(title), "%s against %s (%s)", stat, xkey, in->arg);
	plot_spec sp = { .title = title, .xlabel = xkey, .ylabel = stat, .series = ser,
			 .nseries = nser, .labels = numeric ? NULL : labels,
			 .nlabels = numeric ? 0 : nlabels };
	int rc = plot_draw(out, name, k, &sp, err, el);
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
	return rc;
}

/* ---------------------------------------------------------------- cycles */

static const char *const cycle_keys[] = { "cycles.instructions", "cycles.translation",
					   "cycles.faults", "cycles.dirtylog" };
#define NCYC (sizeof(cycle_keys) / sizeof(cycle_keys[0]))

/* The runs of IN (a run, the two of a --vs pair, a sweep's points) as items
 * appended to *IT (N of them, CAP allocated). */
static void runs_of(const input *in, item **it, size_t *n, size_t *cap)
{
	const jsonr *d = in->doc;
	size_t rows = d->type == JSONR_ARR ? d->n : 1;
	for (size_t r = 0; r < rows; r++) {
		const jsonr *row = d->type == JSONR_ARR ? &d->items[r] : d;
		if (*n == *cap && !(*it = realloc(*it, (*cap = *cap ? 2 * *cap : 16) * sizeof(**it))))
			cli_die(EXIT_FAIL, "out of memory");
		const jsonr *pa = jsonr_get(row, in->kind == IN_SWEEP ? "params" : "config");
		(*it)[(*n)++] = (item){ .attrs = pa && pa->type == JSONR_OBJ ? pa : NULL,
					.trace = trace_of(row), .file = in->arg,
					.prefix = in->kind == IN_VS ? (r ? "B" : "A") : NULL };
	}
}

/* The statistic KEY of run ROW (row R of IN): a count, or die naming it. */
static double count_of(const input *in, const jsonr *row, size_t r, const char *key)
{
	uint64_t v;
	if (jsonr_u64(jsonr_get(jsonr_get(row, "stats"), key), &v) == 0)
		return (double)v;
	if (in->doc->type == JSONR_ARR)
		cli_die(EXIT_BAD, "%s: [%zu].stats.%s: not a count", in->path, r, key);
	cli_die(EXIT_BAD, "%s: stats.%s: not a count", in->path, key);
}

static int chart_cycles(const input *ins, size_t nin, FILE *out, const char *name,
			plot_kind k, char *err, size_t el)
{
	/* Bars: one per run file, two per --vs file, one per point of a sweep. */
	item *it = NULL;
	size_t n = 0, cap = 0;
	for (size_t f = 0; f < nin; f++) {
		const input *in = &ins[f];
		if (in->kind != IN_RUN && in->kind != IN_VS && in->kind != IN_SWEEP)
			wrong_kind(in, "cycles", "a 'run --json' document, a 'run --vs' pair or a "
				   "sweep's directory");
		runs_of(in, &it, &n, &cap);
	}
	double *v[NCYC];
	for (size_t c = 0; c < NCYC; c++)
		if (!(v[c] = malloc(n * sizeof(double))))
			cli_die(EXIT_FAIL, "out of memory");
	size_t b = 0;
	for (size_t f = 0; f < nin; f++) {
		const jsonr *d = ins[f].doc;
		size_t rows = d->type == JSONR_ARR ? d->n : 1;
		for (size_t r = 0; r < rows; r++, b++)
			for (size_t c = 0; c < NCYC; c++)
				v[c][b] = count_of(&ins[f], d->type == JSONR_ARR ? &d->items[r] : d,
						   r, cycle_keys[c]);
	}
	make_labels(it, n);
	const char **labels = malloc(n * sizeof(*labels));
	if (!labels)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t i = 0; i < n; i++)
		labels[i] = it[i].label;
	plot_series ser[NCYC];
	for (size_t c = 0; c < NCYC; c++)
		ser[c] = (plot_series){ .title = cycle_keys[c] + 7, .y = v[c], .n = n };
	plot_spec sp = { .title = "cycles by category", .xlabel = "configuration",
			 .ylabel = "cycles", .bars = 1, .labels = labels, .nlabels = n,
			 .series = ser, .nseries = NCYC };
	int rc = plot_draw(out, name, k, &sp, err, el);
	for (size_t i = 0; i < n; i++)
		free(it[i].label);
	free(it);
	free(labels);
	for (size_t c = 0; c < NCYC; c++)
		free(v[c]);
	return rc;
}

/* ---------------------------------------------------------------- rounds */

/* Why run ROW has no rounds, for a message. */
static void no_rounds_why(const jsonr *row, char *b, size_t len)
{
	const jsonr *mode = jsonr_get(jsonr_get(row, "config"), "dirtylog.mode");
	if (!mode || mode->type != JSONR_STR)
		snprintf(b, len, "no \"rounds\" array and no dirtylog.mode in its config");
	else if (strcmp(mode->text, "off") == 0)
		snprintf(b, len, "the run had no dirty logging, dirtylog.mode=off");
	else
		snprintf(b, len, "dirtylog.mode=%s, but no round ended during the run", mode->text);
}

#define MAX_DOMAINS 64     /* lines per run in a rounds chart */

static int chart_rounds(const input *in, FILE *out, const char *name, plot_kind k, char *err,
			size_t el)
{
	if (in->kind != IN_RUN && in->kind != IN_VS)
		wrong_kind(in, "rounds", "a 'run --json' document or a 'run --vs' pair");
	item *it = NULL;
	size_t n = 0, cap = 0;
	runs_of(in, &it, &n, &cap);   /* one run, or A and B */
	if (n > 1)
		make_labels(it, n);
	/* A line per run and domain (in the order the domains first appear);
	 * a domain's rounds are in order. */
	size_t nser = 0, npts = 0, first[2 * MAX_DOMAINS];
	plot_series ser[2 * MAX_DOMAINS];
	char titles[2 * MAX_DOMAINS][256], why[2][200] = { "", "" };
	double *x = NULL, *y = NULL;
	int any = 0;
	for (size_t r = 0; r < n; r++) {
		int arr = in->doc->type == JSONR_ARR;
		const jsonr *row = arr ? &in->doc->items[r] : in->doc;
		const jsonr *rs = jsonr_get(row, "rounds");
		if (!rs || rs->type != JSONR_ARR || !rs->n) {
			no_rounds_why(row, why[r], sizeof(why[r]));
			continue;
		}
		any = 1;
		if (!(x = realloc(x, (npts + rs->n) * sizeof(*x))) ||
		    !(y = realloc(y, (npts + rs->n) * sizeof(*y))))
			cli_die(EXIT_FAIL, "out of memory");
		char at[32] = "";
		if (arr)
			snprintf(at, sizeof(at), "[%zu].", r);
		uint64_t doms[MAX_DOMAINS], *dom_of = malloc(rs->n * sizeof(*dom_of));
		size_t nd = 0;
		if (!dom_of)
			cli_die(EXIT_FAIL, "out of memory");
		for (size_t i = 0; i < rs->n; i++) {
			const jsonr *dv = jsonr_get(&rs->items[i], "domain");
			dom_of[i] = 0;
			if (dv && jsonr_u64(dv, &dom_of[i]))
				cli_die(EXIT_BAD, "%s: %srounds[%zu].domain: not a count", in->path, at,
					i);
			size_t q = 0;
			while (q < nd && doms[q] != dom_of[i])
				q++;
			if (q == nd) {
				if (nd == MAX_DOMAINS)
					cli_die(EXIT_BAD, "%s: %srounds: more than %d domains", in->path,
						at, MAX_DOMAINS);
				doms[nd++] = dom_of[i];
			}
		}
		for (size_t q = 0; q < nd; q++) {
			first[nser] = npts;
			for (size_t i = 0; i < rs->n; i++) {
				const jsonr *ro = &rs->items[i];
				uint64_t ins, cyc;
				if (dom_of[i] != doms[q])
					continue;
				if (jsonr_u64(jsonr_get(ro, "instructions"), &ins))
					cli_die(EXIT_BAD, "%s: %srounds[%zu].instructions: not a count",
						in->path, at, i);
				if (jsonr_u64(jsonr_get(ro, "cycles"), &cyc))
					cli_die(EXIT_BAD, "%s: %srounds[%zu].cycles: not a count",
						in->path, at, i);
				x[npts] = (double)ins;
				y[npts++] = (double)cyc;
			}
			char dom[40] = "";
			if (nd > 1 || doms[0] != 0)
				snprintf(dom, sizeof(dom), "domain %llu", (unsigned long long)doms[q]);
			if (n > 1)
				snprintf(titles[nser], sizeof(titles[nser]), "%s%s%s", it[r].label,
					 dom[0] ? ", " : "", dom);
			else
				snprintf(titles[nser], sizeof(titles[nser]), "%s",
					 dom[0] ? dom : "dirty-logging cycles of the round");
			ser[nser] = (plot_series){ .title = titles[nser], .n = npts - first[nser] };
			nser++;
		}
		free(dom_of);
	}
	if (!any) {
		if (n == 1)
			cli_die(EXIT_BAD, "%s: no dirty-logging rounds: %s", in->path, why[0]);
		cli_die(EXIT_BAD, "%s: no dirty-logging rounds: A: %s; B: %s", in->path, why[0],
			why[1]);
	}
	for (size_t s = 0; s < nser; s++) {   /* (X and Y are final now) */
		ser[s].x = x + first[s];
		ser[s].y = y + first[s];
	}
	char title[768];
	if (n > 1 && (why[0][0] || why[1][0]))
		snprintf(title, sizeof(title), "dirty logging per round: %s (%s has no round: %s)",
			 in->arg, why[0][0] ? "A" : "B", why[0][0] ? why[0] : why[1]);
	else
		snprintf(title, sizeof(title), "dirty logging per round: %s", in->arg);
	plot_spec sp = { .title = title, .xlabel = "instructions at the end of the round",
			 .ylabel = "cycles", .series = ser, .nseries = nser };
	int rc = plot_draw(out, name, k, &sp, err, el);
	free(x);
	free(y);
	for (size_t r = 0; n > 1 && r < n; r++)
		free(it[r].label);
	free(it);
	return rc;
}

int cmd_plot(args *a)
{
	const char *kind = NULL, *out = NULL, *stat = NULL, *xkey = NULL, *v;
	const char *in[MAX_INPUTS];
	size_t nin = 0;
	while (a->i < a->argc) {
		if (!a->dashdash && cli_is_help(a->argv[a->i])) {
			fputs(plot_usage, stdout);
			return 0;
		}
		if (cli_dashdash(a))
			continue;
		if ((v = cli_opt_value(a, "-o"))) { cli_once(a, "-o", out, v); out = v; continue; }
		if ((v = cli_opt_value(a, "--stat"))) { cli_once(a, "--stat", stat, v); stat = v; continue; }
		if ((v = cli_opt_value(a, "--x"))) { cli_once(a, "--x", xkey, v); xkey = v; continue; }
		if (cli_is_option(a))
			cli_unknown_option(a);
		if (!kind) {
			kind = a->argv[a->i++];
			continue;
		}
		if (nin == MAX_INPUTS)
			cli_usage_error(a, "too many inputs (%d at most)", MAX_INPUTS);
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
	if ((stat || xkey) && ck != 1)
		cli_usage_error(a, "%s is an option of plot sweep", stat ? "--stat" : "--x");
	plot_kind pk;
	if (plot_kind_of(out, &pk))
		cli_usage_error(a, "-o '%s': the name must end in .png or .svg", out);
	char err[1024];
	if (plot_available(err, sizeof(err)))
		cli_die(EXIT_FAIL, "%s", err);
	input ins[MAX_INPUTS];
	for (size_t i = 0; i < nin; i++) {
		load_input(&ins[i], in[i]);
		outset_add_input(a->outs, in[i]);
		outset_add_input(a->outs, ins[i].path);
	}
	/* The chart goes to a temporary beside OUT (a regular file: it is read
	 * back before the rename); gnuplot writes it as its standard output. */
	outfile *o = cli_output(a, out, "-o", OUTFILE_REGULAR);
	FILE *f = outfile_stream(o);
	int rc = ck == 0 ? chart_reach(&ins[0], f, out, pk, err, sizeof(err))
		 : ck == 1 ? chart_sweep(&ins[0], stat ? stat : "cycles.total", xkey, f, out, pk,
					 err, sizeof(err))
		 : ck == 2 ? chart_cycles(ins, nin, f, out, pk, err, sizeof(err))
			   : chart_rounds(&ins[0], f, out, pk, err, sizeof(err));
	if (rc)
		cli_die(plot_status(rc), "%s", err);
	cli_commit(o);
	for (size_t i = 0; i < nin; i++)
		free_input(&ins[i]);
	return 0;
}
