/*
 * sim/cli/plot.c - `slatsim plot`: charts of what the other commands wrote
 * (sim/output/plot.h draws them with gnuplot): reach curves from `reach --json`, a
 * sweep's statistic against a swept parameter, the cycles per instruction of
 * each configuration by category, and dirty logging per round from
 * `run --json`.
 *
 * An input is known by what it holds, never by its name: a directory is a
 * sweep's (its results.json), a file is whatever its JSON is - a run's
 * --json (or a sweep's point file: the same document), the pair `run --vs`
 * writes (an array of two runs, A and B), a sweep's results.json, a
 * `reach --json`. A chart given another kind says what it got.
 *
 * A sweep's points are arranged by their swept keys (and the trace, when
 * they have several): the x axis (--x), the series - lines, or groups of
 * bars - (--series), and small multiples, a panel per value (--facet); the
 * other keys that vary join the series, and --where KEY=V keeps the points
 * with that value. Runs given one by one are told apart by what differs
 * between them: the settings (and traces) whose values are not the same in
 * all of them, as key=value, A/B for the two runs of a --vs pair; what is
 * still alike gets its file's name, then its place.
 *
 * Units: a swept parameter's from its definition (sim/machine/params.c),
 * a statistic's from its name (cycles.*, *.misses, walk.count: walks...).
 * The title is the trace's program (its description) and what varies; the
 * paths go into the file's metadata.
 */
#include "cli.h"
#include "jsonr.h"
#include "machine.h"
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_INPUTS 256
#define LABEL_KEYS 4      /* key=value pairs in a label, at most ("+N more" after) */
#define MAX_WHERE 32      /* --where, at most */
#define MAX_PANELS 36     /* small multiples in one figure, at most */
#define MAX_SERIES 16     /* lines (or groups of bars) in one panel, at most */
#define MAX_AT 16         /* distinct x values that each get a tic */

static const char *const plot_usage =
	"usage: slatsim plot reach REACH.json [--mpki] -o OUT.png|OUT.svg\n"
	"       slatsim plot sweep DIR|RESULTS.json [--stat NAME] [--x KEY] [--series KEY]\n"
	"                          [--facet KEY] [--where KEY=V]... -o OUT\n"
	"       slatsim plot cycles RUN.json...|DIR [--x KEY] [--series KEY] [--facet KEY]\n"
	"                          [--where KEY=V]... -o OUT\n"
	"       slatsim plot rounds RUN.json -o OUT\n"
	"   any chart: [--size WxH]; plot sweep: [--xscale S] [--yscale S], S log|linear|auto\n"
	"\n"
	"reach: the miss ratio (--mpki: misses per 1,000 instructions) of a fully-\n"
	"  associative LRU TLB against its entries from 'slatsim reach --json': a\n"
	"  panel per stream (data, instructions), a line per page size and the\n"
	"  configuration's combined entry size, marks at its L1 and L2 sizes;\n"
	"  log2 x, log10 y (what 'reach --plot' draws).\n"
	"sweep: statistic NAME (default cycles.total; mpki.l1i, mpki.l1d, mpki.l2 are\n"
	"  worked out from tlb.*.misses and instructions when results lack them) of a\n"
	"  sweep's points against swept parameter KEY (--x; default the first that\n"
	"  varies), a line per value of --series (default the next), a panel per\n"
	"  value of --facet (default: the keys still varying); --where KEY=V keeps\n"
	"  the points with that value (repeatable). 'trace' is a key when the sweep\n"
	"  has several. A numeric x spanning 4x or more is log2, a y spanning 100x\n"
	"  or more is log10 (--xscale, --yscale choose).\n"
	"cycles: stacked bars of cycles per instruction by category (instructions,\n"
	"  translation, memory with cache.model=on, faults, dirty logging) for each\n"
	"  'run --json' file (both runs of a 'run --vs' file: A and B), labelled by\n"
	"  the settings that differ; or\n"
	"  of each point of one sweep DIR, arranged as for sweep: a bar per --x\n"
	"  value, a group per --series value, a panel per --facet value.\n"
	"rounds: dirty logging per round of a 'run --json' file (a row for each of\n"
	"  A and B of a 'run --vs' file): its cycles, and the pages written (true),\n"
	"  reported and reported extra; y from zero, a partial last round open.\n"
	"--size WxH: the figure in pixels (default 960x600 for one panel).\n"
	"An input is known by its content, not its name. The chart is PNG or SVG by\n"
	"OUT's name, drawn by gnuplot (Debian's gnuplot-nox) into a temporary that\n"
	"is checked and renamed into place; a failure leaves OUT as it was. The\n"
	"title is short; the inputs' paths are in the file's metadata (PNG iTXt,\n"
	"SVG <desc>).\n";

/* What the options ask for. */
typedef struct plot_opts {
	const char *stat, *xkey, *series, *facet;
	const char *where[MAX_WHERE];
	size_t nwhere;
	int mpki;
	int width, height;
	int xscale, yscale;       /* -1 auto, else enum plot_scale */
} plot_opts;

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

/* ---------------------------------------------------------------- strings */

/* Strings made while drawing, freed together. */
typedef struct pool {
	char **s;
	size_t n, cap;
} pool;

static char *keep(pool *p, char *s)
{
	if (!s)
		cli_die(EXIT_FAIL, "out of memory");
	if (p->n == p->cap && !(p->s = realloc(p->s, (p->cap = p->cap ? 2 * p->cap : 64) *
					       sizeof(*p->s))))
		cli_die(EXIT_FAIL, "out of memory");
	return p->s[p->n++] = s;
}

static char *pool_printf(pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *pool_printf(pool *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *t = r < 0 ? NULL : malloc((size_t)r + 1);
	if (t) {
		va_start(ap, fmt);
		vsnprintf(t, (size_t)r + 1, fmt, ap);
		va_end(ap);
	}
	return keep(p, t);
}

static void pool_free(pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->s[i]);
	free(p->s);
}

static void *xcalloc(size_t n, size_t size)
{
	void *v = calloc(n ? n : 1, size);
	if (!v)
		cli_die(EXIT_FAIL, "out of memory");
	return v;
}

/* ---------------------------------------------------------------- units */

/* The definition of parameter KEY ("domain.N." overrides: the base key's). */
static const param_def *def_of(const param_reg *r, const char *key)
{
	if (strncmp(key, "domain.", 7) == 0) {
		const char *d = key + 7;
		size_t dn = strspn(d, "0123456789");
		if (dn && d[dn] == '.')
			key = d + dn + 1;
	}
	for (size_t i = 0; r && i < param_count(r); i++)
		if (strcmp(param_name_at(r, i), key) == 0)
			return param_def_at(r, i);
	return NULL;
}

static int key_is_bytes(const param_reg *r, const char *key)
{
	const param_def *d = def_of(r, key);
	return d && (d->type == PARAM_SIZE || (d->unit && strcmp(d->unit, "bytes") == 0));
}

/* "tlb.l2.entries (entries)": KEY and its unit, when it has one. */
static char *key_label(pool *p, const param_reg *r, const char *key)
{
	const param_def *d = def_of(r, key);
	const char *u = d && d->unit && *d->unit ? d->unit : d && d->type == PARAM_SIZE ? "bytes"
							   : NULL;
	if (strcmp(key, "trace") == 0)
		return pool_printf(p, "trace");
	return u ? pool_printf(p, "%s (%s)", key, u) : pool_printf(p, "%s", key);
}

/* What statistic S counts, from its name. */
static char *stat_unit(pool *p, const char *s)
{
	const char *last = strrchr(s, '.');
	last = last ? last + 1 : s;
	if (strncmp(s, "mpki.", 5) == 0)
		return pool_printf(p, "misses per 1,000 instructions");
	if (strncmp(s, "cycles", 6) == 0 || strcmp(last, "cycles") == 0)
		return pool_printf(p, "cycles");
	if (strcmp(last, "miss_ratio") == 0)
		return pool_printf(p, "misses per lookup");
	if (strcmp(last, "refs_per_walk") == 0)
		return pool_printf(p, "descriptor reads per walk");
	if (strcmp(last, "count") == 0 && last > s)
		return pool_printf(p, "%.*ss", (int)(last - s - 1), s);
	if (strstr(last, "bytes"))
		return pool_printf(p, "bytes");
	if (strstr(last, "refs"))
		return pool_printf(p, "descriptor reads");
	if (strcmp(last, "full_exits") == 0)
		return pool_printf(p, "exits");
	if (strncmp(s, "fault.", 6) == 0)
		return pool_printf(p, "faults");
	if (strncmp(s, "pages.", 6) == 0)
		return pool_printf(p, "mappings");
	if (strcmp(last, "logged") == 0 || strcmp(last, "drained") == 0)
		return pool_printf(p, "entries");
	char *u = pool_printf(p, "%s", last);
	for (char *c = u; *c; c++)
		if (*c == '_')
			*c = ' ';
	return u;
}

/* ---------------------------------------------------------------- sweeps */

/* The numeric value of a swept parameter's text ("1536", "64k", "0.3"), or
 * NAN when it is not a number (then the values keep their order). */
static double value_of(const char *s)
{
	uint64_t u;
	if (param_parse_uint(s, 1, &u) == 0)
		return (double)u;
	char *end;
	double d = strtod(s, &end);
	return end != s && !*end && isfinite(d) ? d : NAN;
}

/* A sweep's points as a table of keys: the swept parameters, and "trace"
 * when the points have more than one. */
typedef struct view {
	const input *in;
	size_t n;                 /* the points kept (--where) */
	const jsonr **row;
	size_t nk;
	const char **key;
	const char ***val;        /* val[k][i]: key k's text at point i */
	size_t ntr;               /* distinct traces */
	const char **tpath, **tdesc;
	char *abs;                /* the input's absolute path (metadata) */
	const param_reg *defs;    /* the parameters' definitions (sizes in bytes) */
} view;

/* The description of trace TR of the sweep at IN (its point file's), or "". */
static const char *trace_desc(pool *p, const input *in, const jsonr *row)
{
	uint64_t pt;
	if (jsonr_u64(jsonr_get(row, "point"), &pt))
		return "";
	const char *slash = strrchr(in->path, '/');
	char *pf = pool_printf(p, "%.*spoints/%llu.json", slash ? (int)(slash - in->path + 1) : 0,
			       in->path, (unsigned long long)pt);
	char err[512];
	jsonr *d = jsonr_load(pf, err, sizeof(err));
	if (!d)
		return "";
	const jsonr *t = jsonr_get(jsonr_get(d, "trace"), "description");
	const char *r = t && t->type == JSONR_STR ? pool_printf(p, "%s", t->text) : "";
	jsonr_free(d);
	return r;
}

static void view_make(view *v, const input *in, const param_reg *defs, pool *p)
{
	const jsonr *doc = in->doc;
	memset(v, 0, sizeof(*v));
	v->in = in;
	v->defs = defs;
	v->n = doc->n;
	v->row = xcalloc(doc->n, sizeof(*v->row));
	for (size_t i = 0; i < doc->n; i++)
		v->row[i] = &doc->items[i];
	v->tpath = xcalloc(doc->n, sizeof(*v->tpath));
	v->tdesc = xcalloc(doc->n, sizeof(*v->tdesc));
	for (size_t i = 0; i < doc->n; i++) {
		const char *t = trace_of(v->row[i]);
		size_t j = 0;
		if (!t)
			continue;
		while (j < v->ntr && strcmp(v->tpath[j], t) != 0)
			j++;
		if (j == v->ntr) {
			v->tpath[v->ntr] = t;
			v->tdesc[v->ntr++] = trace_desc(p, in, v->row[i]);
		}
	}
	const jsonr *p0 = jsonr_get(v->row[0], "params");
	size_t np0 = p0 && p0->type == JSONR_OBJ ? p0->n : 0;
	v->key = xcalloc(np0 + 1, sizeof(*v->key));
	v->val = xcalloc(np0 + 1, sizeof(*v->val));
	for (size_t k = 0; k < np0; k++)
		v->key[v->nk++] = p0->keys[k];
	/* trace names: the program of each description, else the file's name,
	 * else the path, whichever tells them apart */
	const char **tname = xcalloc(v->ntr, sizeof(*tname));
	for (int how = 0; how < 3; how++) {
		for (size_t j = 0; j < v->ntr; j++) {
			char b[160];
			plot_short_trace(b, sizeof(b), how == 0 ? v->tdesc[j] : "",
					 how < 2 ? v->tpath[j] : NULL);
			tname[j] = how == 2 ? v->tpath[j] : pool_printf(p, "%s", b);
		}
		int alike = 0;
		for (size_t a = 0; a < v->ntr; a++)
			for (size_t b = a + 1; b < v->ntr; b++)
				alike |= strcmp(tname[a], tname[b]) == 0;
		if (!alike)
			break;
	}
	if (v->ntr > 1)
		v->key[v->nk++] = "trace";
	for (size_t k = 0; k < v->nk; k++) {
		v->val[k] = xcalloc(v->n, sizeof(**v->val));
		for (size_t i = 0; i < v->n; i++) {
			if (strcmp(v->key[k], "trace") == 0 && v->ntr > 1 && k == v->nk - 1) {
				const char *t = trace_of(v->row[i]);
				size_t j = 0;
				while (t && j < v->ntr && strcmp(v->tpath[j], t) != 0)
					j++;
				v->val[k][i] = t && j < v->ntr ? tname[j] : "";
				continue;
			}
			const jsonr *pv = jsonr_get(jsonr_get(v->row[i], "params"), v->key[k]);
			if (!pv)
				cli_die(EXIT_BAD, "%s: [%zu].params has no \"%s\" (the first point's "
					"keys are the sweep's)", in->path, i, v->key[k]);
			v->val[k][i] = pv->type == JSONR_STR ? pv->text : keep(p, value_text(pv));
		}
	}
	free(tname);
	char *abs = realpath(in->path, NULL);
	v->abs = keep(p, abs ? abs : strdup(in->path));
}

static void view_free(view *v)
{
	for (size_t k = 0; k < v->nk; k++)
		free(v->val[k]);
	free(v->val);
	free(v->key);
	free(v->row);
	free(v->tpath);
	free(v->tdesc);
}

static int view_key(const view *v, const char *key)
{
	for (size_t k = 0; k < v->nk; k++)
		if (strcmp(v->key[k], key) == 0)
			return (int)k;
	return -1;
}

static char *key_list(pool *p, const view *v)
{
	char *t = NULL;
	size_t l = 0;
	FILE *m = open_memstream(&t, &l);
	if (!m)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t k = 0; k < v->nk; k++)
		fprintf(m, "%s%s", k ? ", " : "", v->key[k]);
	if (fclose(m) != 0)
		cli_die(EXIT_FAIL, "out of memory");
	return keep(p, t);
}

/* Two texts of one key the same value? ("1536" and "1.5k" are.) */
static int same_value(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return 1;
	double x = value_of(a), y = value_of(b);
	return !isnan(x) && x == y;
}

/* The distinct values of key K among V's points: in numeric order when all
 * are numbers, else in the order they first come. */
typedef struct kvals {
	const char **v;
	size_t n;
	int numeric;
} kvals;

static int by_number(const void *a, const void *b)
{
	double x = value_of(*(const char *const *)a), y = value_of(*(const char *const *)b);
	return x < y ? -1 : x > y;
}

static void key_values(const view *v, size_t k, kvals *out)
{
	out->v = xcalloc(v->n, sizeof(*out->v));
	out->n = 0;
	out->numeric = 1;
	for (size_t i = 0; i < v->n; i++) {
		const char *t = v->val[k][i];
		size_t j = 0;
		while (j < out->n && !same_value(out->v[j], t))
			j++;
		if (j == out->n) {
			out->v[out->n++] = t;
			out->numeric &= !isnan(value_of(t));
		}
	}
	if (out->numeric)
		qsort(out->v, out->n, sizeof(*out->v), by_number);
}

static size_t rank_of(const kvals *kv, const char *t)
{
	for (size_t j = 0; j < kv->n; j++)
		if (same_value(kv->v[j], t))
			return j;
	return 0;
}

/* --where KEY=V for each W: keep V's points that have it. */
static void view_where(view *v, pool *p, const char *const *w, size_t nw)
{
	for (size_t q = 0; q < nw; q++) {
		const char *eqs = strchr(w[q], '=');
		if (!eqs || eqs == w[q])
			cli_die(EXIT_BAD, "--where '%s': KEY=VALUE, KEY a swept parameter", w[q]);
		char *key = pool_printf(p, "%.*s", (int)(eqs - w[q]), w[q]);
		int k = view_key(v, key);
		if (k < 0)
			cli_die(EXIT_BAD, "--where %s: not a swept key of %s (swept: %s)", key,
				v->in->path, key_list(p, v));
		kvals kv;
		key_values(v, (size_t)k, &kv);
		size_t m = 0;
		for (size_t i = 0; i < v->n; i++)
			if (same_value(v->val[k][i], eqs + 1)) {
				v->row[m] = v->row[i];
				for (size_t j = 0; j < v->nk; j++)
					v->val[j][m] = v->val[j][i];
				m++;
			}
		if (!m) {
			char *t = NULL;
			size_t l = 0;
			FILE *mm = open_memstream(&t, &l);
			if (!mm)
				cli_die(EXIT_FAIL, "out of memory");
			for (size_t j = 0; j < kv.n; j++)
				fprintf(mm, "%s%s", j ? ", " : "", kv.v[j]);
			fclose(mm);
			keep(p, t);
			free(kv.v);
			cli_die(EXIT_BAD, "--where %s: no point has %s=%s (its values%s: %s)", w[q], key,
				eqs + 1, q ? " among the points kept" : "", t ? t : "");
		}
		free(kv.v);
		v->n = m;
	}
}

/* How V's keys are laid out: the x key, the keys of a series, of a panel;
 * each point's series and panel (in the keys' value order). */
typedef struct arrange {
	int x;
	int *with_x;              /* keys that vary with x alone */
	size_t ns, nf;
	int skey[16], fkey[16];
	size_t nser, npan;
	size_t *ser_of, *pan_of;  /* per point */
	size_t *ser_first, *pan_first;   /* a point of each series, of each panel */
	kvals *kv;                /* each key's values */
} arrange;

static int by_code(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Each point's combination of KEYS (N of them) as an index, the
 * combinations in the keys' value order; *COUNT of them, FIRST[c] a
 * point that has combination c. */
static void combos(const view *v, const arrange *a, const int *keys, size_t n, size_t *of,
		   size_t **first, size_t *count)
{
	uint64_t *code = xcalloc(v->n, sizeof(*code)), *sorted = xcalloc(v->n, sizeof(*sorted));
	for (size_t i = 0; i < v->n; i++) {
		uint64_t c = 0;
		for (size_t q = 0; q < n; q++) {
			const kvals *kv = &a->kv[keys[q]];
			if (c > (UINT64_MAX - kv->n) / (kv->n + 1))
				cli_die(EXIT_BAD, "%s: too many combinations of swept values to draw "
					"(--where keeps fewer)", v->in->path);
			c = c * kv->n + rank_of(kv, v->val[keys[q]][i]);
		}
		code[i] = sorted[i] = c;
	}
	qsort(sorted, v->n, sizeof(*sorted), by_code);
	size_t m = 0;
	for (size_t i = 0; i < v->n; i++)
		if (!m || sorted[m - 1] != sorted[i])
			sorted[m++] = sorted[i];
	*first = xcalloc(m, sizeof(**first));
	for (size_t i = v->n; i-- > 0;) {
		size_t lo = 0, hi = m;
		while (lo + 1 < hi) {
			size_t mid = (lo + hi) / 2;
			if (sorted[mid] <= code[i])
				lo = mid;
			else
				hi = mid;
		}
		of[i] = lo;
		(*first)[lo] = i;
	}
	*count = m;
	free(code);
	free(sorted);
}

static int opt_key(const view *v, pool *p, const char *opt, const char *key)
{
	int k = view_key(v, key);
	if (k < 0)
		cli_die(EXIT_BAD, "%s %s: not a swept key of %s (swept: %s)", opt, key, v->in->path,
			key_list(p, v));
	return k;
}

static void arrange_make(const view *v, const plot_opts *o, pool *p, arrange *a)
{
	memset(a, 0, sizeof(*a));
	if (!v->nk)
		cli_die(EXIT_BAD, "%s: the sweep has no swept parameter", v->in->path);
	a->kv = xcalloc(v->nk, sizeof(*a->kv));
	for (size_t k = 0; k < v->nk; k++)
		key_values(v, k, &a->kv[k]);
	a->x = -1;
	if (o->xkey) {
		a->x = view_key(v, o->xkey);
		if (a->x < 0)
			cli_die(EXIT_BAD, "--x %s: not a swept parameter of %s (swept: %s)", o->xkey,
				v->in->path, key_list(p, v));
	}
	for (size_t k = 0; a->x < 0 && k < v->nk; k++)
		if (a->kv[k].n > 1)
			a->x = (int)k;
	if (a->x < 0)
		a->x = 0;
	/* keys joined to x by ':' in the --grid: one value wherever x has one,
	 * and more than one - they are x's, not a series' */
	a->with_x = xcalloc(v->nk, sizeof(*a->with_x));
	size_t *xr = xcalloc(v->n, sizeof(size_t)), *seen = xcalloc(a->kv[a->x].n, sizeof(size_t));
	for (size_t i = 0; i < v->n; i++)
		xr[i] = rank_of(&a->kv[a->x], v->val[a->x][i]);
	for (size_t k = 0; k < v->nk; k++) {
		if ((int)k == a->x || a->kv[k].n < 2)
			continue;
		/* (each x value's first value of key k, rank + 1; 0: none yet) */
		int follows = 1;
		memset(seen, 0, a->kv[a->x].n * sizeof(size_t));
		for (size_t i = 0; i < v->n && follows; i++) {
			size_t r = rank_of(&a->kv[k], v->val[k][i]) + 1;
			if (!seen[xr[i]])
				seen[xr[i]] = r;
			else if (seen[xr[i]] != r)
				follows = 0;
		}
		a->with_x[k] = follows;
	}
	free(xr);
	free(seen);
	int sk = o->series ? opt_key(v, p, "--series", o->series) : -1;
	int fk = o->facet ? opt_key(v, p, "--facet", o->facet) : -1;
	if (sk >= 0 && sk == a->x)
		cli_die(EXIT_BAD, "--series %s: the x axis' key too", o->series);
	if (fk >= 0 && (fk == a->x || fk == sk))
		cli_die(EXIT_BAD, "--facet %s: the %s's key too", o->facet, fk == a->x ? "x axis"
			: "series");
	if (sk >= 0)
		a->skey[a->ns++] = sk;
	if (fk >= 0)
		a->fkey[a->nf++] = fk;
	for (size_t k = 0; k < v->nk; k++) {
		if ((int)k == a->x || (int)k == sk || (int)k == fk || a->with_x[k] || a->kv[k].n < 2)
			continue;
		if (a->ns == 0 || (fk >= 0 && a->ns < 16))
			a->skey[a->ns++] = (int)k;
		else if (a->nf < 16)
			a->fkey[a->nf++] = (int)k;
		else
			cli_die(EXIT_BAD, "%s: more than 16 keys vary (--where keeps fewer)",
				v->in->path);
	}
	a->ser_of = xcalloc(v->n, sizeof(size_t));
	a->pan_of = xcalloc(v->n, sizeof(size_t));
	combos(v, a, a->skey, a->ns, a->ser_of, &a->ser_first, &a->nser);
	combos(v, a, a->fkey, a->nf, a->pan_of, &a->pan_first, &a->npan);
	if (a->npan > MAX_PANELS)
		cli_die(EXIT_BAD, "%s: %zu panels (a panel per value of %s): more than %d; keep "
			"fewer with --where KEY=V or choose --facet", v->in->path, a->npan,
			v->key[a->fkey[0]], MAX_PANELS);
}

static void arrange_free(const view *v, arrange *a)
{
	for (size_t k = 0; k < v->nk; k++)
		free(a->kv[k].v);
	free(a->kv);
	free(a->with_x);
	free(a->ser_of);
	free(a->pan_of);
	free(a->ser_first);
	free(a->pan_first);
}

/* "4, lru" (VALUES_ONLY) or "tlb.l2.ways=4, tlb.l2.policy=lru": the
 * values of KEYS at point I. */
static char *combo_text(pool *p, const view *v, const int *keys, size_t n, size_t i,
			int values_only)
{
	char *t = NULL;
	size_t l = 0;
	FILE *m = open_memstream(&t, &l);
	if (!m)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t q = 0; q < n; q++) {
		const char *val = v->val[keys[q]][i];
		double d = value_of(val);
		char num[64];
		if (!isnan(d) && strcmp(v->key[keys[q]], "trace") &&
		    key_is_bytes(v->defs, v->key[keys[q]])) {
			plot_bytes_text(num, sizeof(num), d);   /* 64k -> 64 KB */
			val = num;
		} else if (!isnan(d) && strcmp(v->key[keys[q]], "trace") && d >= 1000 &&
			   d == floor(d) && strspn(val, "0123456789") == strlen(val)) {
			plot_num_text(num, sizeof(num), d);   /* 1536 -> 1,536 */
			val = num;
		}
		if (values_only)
			fprintf(m, "%s%s", q ? ", " : "", val);
		else
			fprintf(m, "%s%s=%s", q ? ", " : "", v->key[keys[q]], val);
	}
	if (fclose(m) != 0)
		cli_die(EXIT_FAIL, "out of memory");
	return keep(p, t);
}

static char *keys_text(pool *p, const view *v, const int *keys, size_t n)
{
	char *t = NULL;
	size_t l = 0;
	FILE *m = open_memstream(&t, &l);
	if (!m)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t q = 0; q < n; q++)
		fprintf(m, "%s%s", q ? ", " : "", v->key[keys[q]]);
	if (fclose(m) != 0)
		cli_die(EXIT_FAIL, "out of memory");
	return keep(p, t);
}

/* The short trace name of V (one trace), or "N traces". */
static char *view_trace_title(pool *p, const view *v)
{
	char b[160];
	if (v->ntr != 1)
		return pool_printf(p, "%zu traces", v->ntr);
	plot_short_trace(b, sizeof(b), v->tdesc[0], v->tpath[0]);
	return pool_printf(p, "%s", b);
}

/* What is fixed: the --where filters and the keys of one value, as a line. */
static char *view_fixed(pool *p, const view *v, const arrange *a)
{
	char *t = NULL;
	size_t l = 0, n = 0;
	FILE *m = open_memstream(&t, &l);
	if (!m)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t k = 0; k < v->nk; k++)
		if (a->kv[k].n == 1 && (int)k != a->x && strcmp(v->key[k], "trace"))
			fprintf(m, "%s%s=%s", n++ ? ", " : "with ", v->key[k], v->val[k][0]);
	if (fclose(m) != 0)
		cli_die(EXIT_FAIL, "out of memory");
	keep(p, t);
	return n ? t : NULL;
}

/* The metadata of a sweep chart: the input, the traces and what was drawn. */
static char *view_meta(pool *p, const view *v, const char *what)
{
	char *t = NULL;
	size_t l = 0;
	FILE *m = open_memstream(&t, &l);
	if (!m)
		cli_die(EXIT_FAIL, "out of memory");
	fprintf(m, "%s. Sweep results: %s (%zu points drawn). Traces:", what, v->abs, v->n);
	for (size_t j = 0; j < v->ntr; j++)
		fprintf(m, " %s%s%s%s", v->tpath[j], v->tdesc[j][0] ? " (" : "", v->tdesc[j],
			v->tdesc[j][0] ? ")" : "");
	fputc('.', m);
	if (fclose(m) != 0)
		cli_die(EXIT_FAIL, "out of memory");
	return keep(p, t);
}

/* The x axis of arrangement A: numeric (log2 past a 4x span, or as
 * --xscale says) at the measured values, or the values in order. Each
 * point's x into X. */
static void x_axis(const view *v, const arrange *a, const plot_opts *o, const param_reg *defs,
		   pool *p, plot_axis *ax, double *x)
{
	const kvals *kv = &a->kv[a->x];
	const char *key = v->key[a->x];
	double *at = xcalloc(kv->n, sizeof(double));
	keep(p, (char *)at);
	memset(ax, 0, sizeof(*ax));
	ax->label = key_label(p, defs, key);
	if (kv->numeric) {
		double lo = INFINITY, hi = -INFINITY;
		for (size_t j = 0; j < kv->n; j++) {
			at[j] = value_of(kv->v[j]);
			lo = fmin(lo, at[j]);
			hi = fmax(hi, at[j]);
		}
		ax->scale = o->xscale >= 0 ? o->xscale : lo > 0 && hi >= 4 * lo ? PLOT_LOG2
										: PLOT_LINEAR;
		if (ax->scale != PLOT_LINEAR && lo <= 0)
			cli_die(EXIT_BAD, "--xscale log: %s has values that are not positive", key);
		ax->bytes = key_is_bytes(defs, key);
		/* a tic at each measured value, or (many of them on a log2 axis)
		 * at the powers of two */
		if (kv->n <= (ax->scale == PLOT_LINEAR ? MAX_AT : MAX_AT / 2)) {
			ax->at = at;
			ax->nat = kv->n;
		}
		for (size_t i = 0; i < v->n; i++)
			x[i] = value_of(v->val[a->x][i]);
		return;
	}
	if (o->xscale == PLOT_LOG2 || o->xscale == PLOT_LOG10)
		cli_die(EXIT_BAD, "--xscale log: %s's values are not numbers", key);
	for (size_t j = 0; j < kv->n; j++)
		at[j] = (double)j;
	ax->scale = PLOT_LINEAR;
	ax->at = at;
	ax->text = kv->v;
	ax->nat = kv->n;
	for (size_t i = 0; i < v->n; i++)
		x[i] = (double)rank_of(kv, v->val[a->x][i]);
}

/* ---------------------------------------------------------------- reach */

static const char *const reach_sizes[PLOT_REACH_SIZES] = { "4k", "16k", "64k", "2m",
							  "combined" };
static const unsigned reach_shift[PLOT_REACH_SIZES - 1] = { 12, 14, 16, 21 };

/* log2 of a power-of-two byte count, or 0. */
static unsigned shift_of(uint64_t bytes)
{
	unsigned s = 0;
	if (!bytes || (bytes & (bytes - 1)))
		return 0;
	while (bytes >>= 1)
		s++;
	return s;
}

static uint64_t cfg_count(const jsonr *doc, const char *key)
{
	uint64_t v;
	return jsonr_u64(jsonr_get(jsonr_get(doc, "config"), key), &v) ? 0 : v;
}

static int chart_reach(const input *in, const plot_opts *o, FILE *out, const char *name,
		       plot_kind k, char *err, size_t el)
{
	if (in->kind != IN_REACH)
		wrong_kind(in, "reach", "a 'reach --json' document");
	const jsonr *r = jsonr_get(in->doc, "reach"), *an = jsonr_get(in->doc, "analysis");
	const jsonr *td = jsonr_get(jsonr_get(in->doc, "trace"), "description");
	plot_reach_in ri = { .trace = trace_of(in->doc), .mpki = o->mpki, .exact = 1,
			     .width = o->width, .height = o->height };
	uint64_t *arrays[2][PLOT_REACH_SIZES] = { { NULL } };
	size_t any = 0;
	for (int s = 0; s < 2; s++) {
		const jsonr *stream = jsonr_get(r, s ? "i" : "d");
		for (int z = 0; stream && stream->type == JSONR_OBJ && z < PLOT_REACH_SIZES; z++) {
			const jsonr *cv = jsonr_get(stream, reach_sizes[z]);
			const jsonr *m = jsonr_get(cv, "misses");
			uint64_t lookups, pb = 0;
			if (!cv || !m || m->type != JSONR_ARR || !m->n)
				continue;
			if (jsonr_u64(jsonr_get(cv, "lookups"), &lookups))
				cli_die(EXIT_BAD, "%s: reach.%s.%s.lookups: not a count", in->path,
					s ? "i" : "d", reach_sizes[z]);
			if (!lookups)
				continue;   /* (a stream the trace does not have) */
			if (ri.entries && m->n != ri.entries)
				cli_die(EXIT_BAD, "%s: reach.%s.%s.misses: %zu counts, where the other "
					"curves have %u", in->path, s ? "i" : "d", reach_sizes[z], m->n,
					(unsigned)ri.entries);
			if (m->n > (UINT32_C(1) << 24))
				cli_die(EXIT_BAD, "%s: reach.%s.%s.misses: %zu counts (16M at most)",
					in->path, s ? "i" : "d", reach_sizes[z], m->n);
			ri.entries = (uint32_t)m->n;
			if (!(arrays[s][z] = malloc(m->n * sizeof(uint64_t))))
				cli_die(EXIT_FAIL, "out of memory");
			for (size_t i = 0; i < m->n; i++)
				if (jsonr_u64(&m->items[i], &arrays[s][z][i]))
					cli_die(EXIT_BAD, "%s: reach.%s.%s.misses[%zu]: not a count",
						in->path, s ? "i" : "d", reach_sizes[z], i);
			if (z == PLOT_REACH_SIZES - 1)
				jsonr_u64(jsonr_get(cv, "page_bytes"), &pb);
			ri.c[s][z] = (plot_reach_curve){
				.misses = arrays[s][z], .lookups = lookups,
				.shift = z < PLOT_REACH_SIZES - 1 ? reach_shift[z] : shift_of(pb) };
			if (z == PLOT_REACH_SIZES - 1)
				ri.combined_shift = shift_of(pb);
			any++;
		}
	}
	if (!any)
		cli_die(EXIT_BAD, "%s: no curve to draw (no stream with lookups and misses)",
			in->path);
	const jsonr *ex = jsonr_get(an, "exact");
	if (ex && ex->type == JSONR_BOOL)
		ri.exact = ex->truth;
	jsonr_u64(jsonr_get(an, "instructions"), &ri.instructions);
	if (o->mpki && !ri.instructions)
		cli_die(EXIT_BAD, "%s: analysis.instructions is 0 or missing: --mpki needs the "
			"instructions the trace retired", in->path);
	ri.l1d = cfg_count(in->doc, "tlb.l1d.entries");
	ri.l1i = cfg_count(in->doc, "tlb.l1i.entries");
	ri.l2 = cfg_count(in->doc, "tlb.l2.entries");
	ri.desc = td && td->type == JSONR_STR ? td->text : "";
	char *abs = realpath(in->path, NULL);
	ri.source = abs ? abs : in->path;
	int rc = plot_reach(out, name, k, &ri, err, el);
	free(abs);
	for (int s = 0; s < 2; s++)
		for (int z = 0; z < PLOT_REACH_SIZES; z++)
			free(arrays[s][z]);
	return rc;
}

/* ---------------------------------------------------------------- sweep */

/* Statistic STAT of run or point ROW: 0, or -1 when it has none. mpki.LEVEL
 * that results lack is 1000 x tlb.LEVEL.misses / instructions. */
static int stat_value(const jsonr *row, const char *stat, double *out)
{
	const jsonr *st = jsonr_get(row, "stats"), *v = jsonr_get(st, stat);
	if (v && v->type == JSONR_NUM) {
		*out = jsonr_num(v);
		return 0;
	}
	if (strncmp(stat, "mpki.", 5) == 0 && strlen(stat) < 40) {
		char key[64];
		snprintf(key, sizeof(key), "tlb.%s.misses", stat + 5);
		const jsonr *m = jsonr_get(st, key), *ins = jsonr_get(st, "instructions");
		if (m && ins && m->type == JSONR_NUM && ins->type == JSONR_NUM) {
			double i = jsonr_num(ins);
			*out = i > 0 ? jsonr_num(m) * 1000.0 / i : NAN;
			return 0;
		}
	}
	return -1;
}

/* Indices of V's points in panel Q and series S (any, when S is SIZE_MAX),
 * ordered by series then x: into IDX, how many. */
static size_t points_of(const view *v, const arrange *a, size_t q, size_t s, const double *x,
			size_t *idx)
{
	size_t n = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (a->pan_of[i] != q || (s != SIZE_MAX && a->ser_of[i] != s))
			continue;
		size_t j = n++;
		while (j > 0 && (a->ser_of[idx[j - 1]] > a->ser_of[i] ||
				 (a->ser_of[idx[j - 1]] == a->ser_of[i] && x[idx[j - 1]] > x[i]))) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return n;
}

/* Lines drawn over one another (the same points) said in a line:
 * "identical: tlb.l2.ways=4, 8, 16" (ONE_KEY: a value each after the
 * first), "identical: a = b" otherwise; "; " between groups. NULL: none. */
static char *identical_note(pool *p, const plot_series *ps, size_t ns, int one_key)
{
	char *t = NULL;
	size_t l = 0, groups = 0;
	int *done = xcalloc(ns, sizeof(int));
	FILE *m = open_memstream(&t, &l);
	if (!m)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t a = 0; a < ns; a++) {
		if (done[a] || !ps[a].title)
			continue;
		size_t same = 0;
		for (size_t b = a + 1; b < ns; b++) {
			if (done[b] || !ps[b].title || ps[b].n != ps[a].n ||
			    memcmp(ps[a].x, ps[b].x, ps[a].n * sizeof(double)) ||
			    memcmp(ps[a].y, ps[b].y, ps[a].n * sizeof(double)))
				continue;
			done[b] = 1;
			if (!same++)
				fprintf(m, "%s%s", groups++ ? "; " : "identical: ", ps[a].title);
			const char *eqs = strchr(ps[b].title, '=');
			if (one_key && eqs)
				fprintf(m, ", %s", eqs + 1);
			else
				fprintf(m, " = %s", ps[b].title);
		}
	}
	free(done);
	if (fclose(m) != 0)
		cli_die(EXIT_FAIL, "out of memory");
	keep(p, t);
	return groups ? t : NULL;
}

static int chart_sweep(const input *in, const plot_opts *o, const param_reg *defs, FILE *out,
		       const char *name, plot_kind k, char *err, size_t el)
{
	if (in->kind != IN_SWEEP)
		wrong_kind(in, "sweep", "a sweep's directory (or its results.json)");
	const char *stat = o->stat ? o->stat : "cycles.total";
	pool p = { 0 };
	view v;
	arrange a;
	view_make(&v, in, defs, &p);
	view_where(&v, &p, o->where, o->nwhere);
	arrange_make(&v, o, &p, &a);
	if (a.nser > MAX_SERIES)
		cli_die(EXIT_BAD, "%s: %zu lines in a panel (one per value of %s): more than %d; "
			"choose --series and --facet, or keep fewer with --where KEY=V", in->path,
			a.nser, keys_text(&p, &v, a.skey, a.ns), MAX_SERIES);
	double *x = xcalloc(v.n, sizeof(double)), *y = xcalloc(v.n, sizeof(double));
	double *sx = xcalloc(v.n, sizeof(double)), *sy = xcalloc(v.n, sizeof(double));
	size_t *idx = xcalloc(v.n, sizeof(size_t));
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < v.n; i++) {
		if (stat_value(v.row[i], stat, &y[i]))
			cli_die(EXIT_BAD, "--stat %s: not a statistic of %s", stat, in->path);
		if (isfinite(y[i])) {
			lo = fmin(lo, y[i]);
			hi = fmax(hi, y[i]);
		}
	}
	plot_axis xa;
	x_axis(&v, &a, o, defs, &p, &xa, x);
	plot_axis ya = { .label = pool_printf(&p, "%s (%s)", stat, stat_unit(&p, stat)) };
	ya.scale = o->yscale >= 0 ? o->yscale : lo > 0 && hi >= 100 * lo ? PLOT_LOG10 : PLOT_LINEAR;
	ya.zero = ya.scale == PLOT_LINEAR && !(lo < 0);
	plot_panel *pan = xcalloc(a.npan, sizeof(*pan));
	plot_series *ser = xcalloc(a.npan * a.nser, sizeof(*ser));
	size_t at = 0;
	for (size_t q = 0; q < a.npan; q++) {
		plot_series *ps = ser + q * a.nser;
		size_t ns = 0;
		char *note = NULL;
		for (size_t s = 0; s < a.nser; s++) {
			size_t n = points_of(&v, &a, q, s, x, idx);
			if (!n)
				continue;
			for (size_t j = 0; j < n; j++) {
				sx[at + j] = x[idx[j]];
				sy[at + j] = y[idx[j]];
			}
			ps[ns] = (plot_series){
				.title = a.ns ? combo_text(&p, &v, a.skey, a.ns, a.ser_first[s], 0) : NULL,
				.x = sx + at, .y = sy + at, .n = n, .style = (int)s,
				.flags = PLOT_LINE | PLOT_POINTS };
			at += n;
			ns++;
		}
		note = identical_note(&p, ps, ns, a.ns == 1);
		pan[q] = (plot_panel){ .title = a.nf ? combo_text(&p, &v, a.fkey, a.nf,
								   a.pan_first[q], 0) : NULL,
				       .series = ps, .nseries = ns, .note = note };
	}
	char *title = pool_printf(&p, "%s: %s against %s%s%s%s%s", view_trace_title(&p, &v), stat,
				  v.key[a.x], a.ns ? ", by " : "",
				  a.ns ? keys_text(&p, &v, a.skey, a.ns) : "",
				  a.nf ? ", a panel per " : "",
				  a.nf ? keys_text(&p, &v, a.fkey, a.nf) : "");
	plot_spec sp = { .title = title, .subtitle = view_fixed(&p, &v, &a),
			 .meta = view_meta(&p, &v, pool_printf(&p, "slatsim plot sweep: %s against "
							       "%s", stat, v.key[a.x])),
			 .x = xa, .y = ya, .panels = pan, .npanels = a.npan,
			 .width = o->width, .height = o->height };
	int rc = plot_figure(out, name, k, &sp, err, el);
	free(x);
	free(y);
	free(sx);
	free(sy);
	free(idx);
	free(pan);
	free(ser);
	arrange_free(&v, &a);
	view_free(&v);
	pool_free(&p);
	return rc;
}

/* ---------------------------------------------------------------- cycles */

/* cycles.memory exists only in runs with the data caches (cache.model=on,
 * the default): 0 in a run without them. cycles.dirtylog holds the stage-2
 * faults logging caused (cycles.dirtylog.s2_faults), cycles.faults the rest:
 * the bars show logging's whole share. */
static const char *const cycle_keys[] = { "cycles.instructions", "cycles.translation",
					   "cycles.memory", "cycles.faults", "cycles.dirtylog" };
static const char *const cycle_titles[] = { "instructions (core.cpi)", "translation",
					     "memory (data beyond an L1 hit)", "faults",
					     "dirty logging (the faults it caused too)" };
#define CYC_OPTIONAL "cycles.memory"
#define NCYC (sizeof(cycle_keys) / sizeof(cycle_keys[0]))
#define MAX_BARS 160      /* bars in one panel, at most */

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

/* Each category's cycles of run ROW (row R of IN) into CPI[c * NBARS + B]:
 * per instruction when PER_INSTR, else the cycles themselves. */
static void cpi_of(const input *in, const jsonr *row, size_t r, double *cpi, size_t nbars,
		   size_t b, int per_instr)
{
	double ins = count_of(in, row, r, "instructions");
	double c[NCYC];
	for (size_t q = 0; q < NCYC; q++)
		c[q] = !strcmp(cycle_keys[q], CYC_OPTIONAL) &&
		       !jsonr_get(jsonr_get(row, "stats"), CYC_OPTIONAL) ? 0
		       : count_of(in, row, r, cycle_keys[q]);
	for (size_t q = 0; q < NCYC; q++)
		cpi[q * nbars + b] = per_instr ? c[q] / ins : c[q];
}

/* Do all the runs of IN (points ROWS of it; NULL: every run) have
 * instructions? A trace without X records and icounts has none: its bars
 * are then cycles, not cycles per instruction. */
static int have_instructions(const input *in, const jsonr *const *rows, size_t n)
{
	const jsonr *d = in->doc;
	size_t m = rows ? n : d->type == JSONR_ARR ? d->n : 1;
	for (size_t r = 0; r < m; r++) {
		const jsonr *row = rows ? rows[r] : d->type == JSONR_ARR ? &d->items[r] : d;
		uint64_t v;
		if (jsonr_u64(jsonr_get(jsonr_get(row, "stats"), "instructions"), &v) == 0 && !v)
			return 0;
	}
	return 1;
}

static const char *const cpi_label = "cycles per instruction (cycles)";
static const char *const cyc_label = "cycles (the traces retired no instruction)";

/* The trace description of run document ROW, or "". */
static const char *run_desc(const jsonr *row)
{
	const jsonr *d = jsonr_get(jsonr_get(row, "trace"), "description");
	return d && d->type == JSONR_STR ? d->text : "";
}

/* One sweep: a bar per point, in groups by --series, panels by --facet. */
static int cycles_of_sweep(const input *in, const plot_opts *o, const param_reg *defs,
			   FILE *out, const char *name, plot_kind k, char *err, size_t el)
{
	pool p = { 0 };
	view v;
	arrange a;
	view_make(&v, in, defs, &p);
	view_where(&v, &p, o->where, o->nwhere);
	arrange_make(&v, o, &p, &a);
	double *x = xcalloc(v.n, sizeof(double));
	size_t *idx = xcalloc(v.n, sizeof(size_t));
	int per_instr = have_instructions(in, v.row, v.n);
	plot_axis xa;
	x_axis(&v, &a, o, defs, &p, &xa, x);
	plot_panel *pan = xcalloc(a.npan, sizeof(*pan));
	plot_bars *bars = xcalloc(a.npan, sizeof(*bars));
	double *cpi = xcalloc(v.n * NCYC, sizeof(double));
	const char **label = xcalloc(v.n, sizeof(*label)), **glabel = xcalloc(v.n, sizeof(*glabel));
	size_t *group = xcalloc(v.n, sizeof(size_t));
	size_t at = 0, gat = 0;
	for (size_t q = 0; q < a.npan; q++) {
		size_t n = points_of(&v, &a, q, SIZE_MAX, x, idx), ng = 0;
		if (n > MAX_BARS)
			cli_die(EXIT_BAD, "%s: %zu bars in a panel: more than %d; choose --facet, or "
				"keep fewer with --where KEY=V", in->path, n, MAX_BARS);
		double *c = cpi + at * NCYC;
		for (size_t j = 0; j < n; j++) {
			size_t i = idx[j];
			cpi_of(in, v.row[i], i, c, n, j, per_instr);
			label[at + j] = combo_text(&p, &v, &a.x, 1, i, 1);
			if (!j || a.ser_of[idx[j - 1]] != a.ser_of[i]) {
				glabel[gat + ng] = a.ns ? combo_text(&p, &v, a.skey, a.ns, i, 0) : "";
				ng++;
			}
			group[at + j] = ng - 1;
		}
		bars[q] = (plot_bars){ .nbars = n, .ncat = NCYC, .cat = cycle_titles, .y = c,
				       .label = label + at, .group = group + at,
				       .group_label = a.ns ? glabel + gat : NULL, .ngroups = ng };
		pan[q] = (plot_panel){ .title = a.nf ? combo_text(&p, &v, a.fkey, a.nf,
								   a.pan_first[q], 0) : NULL,
				       .bars = &bars[q] };
		at += n;
		gat += ng;
	}
	xa.at = NULL;
	xa.text = NULL;
	xa.nat = 0;
	char *title = pool_printf(&p, "%s: cycles%s by category", view_trace_title(&p, &v),
				  per_instr ? " per instruction" : "");
	char *fixed = view_fixed(&p, &v, &a);
	char *sub = pool_printf(&p, "a bar per %s%s%s%s%s%s%s", v.key[a.x],
				a.ns ? ", a group per " : "", a.ns ? keys_text(&p, &v, a.skey, a.ns) : "",
				a.nf ? ", a panel per " : "", a.nf ? keys_text(&p, &v, a.fkey, a.nf) : "",
				fixed ? "; " : "", fixed ? fixed : "");
	plot_spec sp = { .title = title, .subtitle = sub,
			 .meta = view_meta(&p, &v, per_instr ? "slatsim plot cycles: cycles per "
					   "instruction by category (cycles.instructions, .translation, "
					   ".memory, .faults, .dirtylog over instructions)" : "slatsim plot "
					   "cycles: cycles by category (cycles.instructions, .translation, "
					   ".memory, .faults, .dirtylog; the runs retired no instruction)"),
			 .x = xa,
			 .y = { .label = per_instr ? cpi_label : cyc_label, .zero = 1 },
			 .panels = pan, .npanels = a.npan, .width = o->width, .height = o->height };
	int rc = plot_figure(out, name, k, &sp, err, el);
	free(x);
	free(idx);
	free(pan);
	free(bars);
	free(cpi);
	free(label);
	free(glabel);
	free(group);
	arrange_free(&v, &a);
	view_free(&v);
	pool_free(&p);
	return rc;
}

static int chart_cycles(const input *ins, size_t nin, const plot_opts *o, const param_reg *defs,
			FILE *out, const char *name, plot_kind k, char *err, size_t el)
{
	for (size_t f = 0; f < nin; f++)
		if (ins[f].kind != IN_RUN && ins[f].kind != IN_VS && ins[f].kind != IN_SWEEP)
			wrong_kind(&ins[f], "cycles", "a 'run --json' document, a 'run --vs' pair or "
				   "a sweep's directory");
	if (nin == 1 && ins[0].kind == IN_SWEEP)
		return cycles_of_sweep(&ins[0], o, defs, out, name, k, err, el);
	if (o->xkey || o->series || o->facet || o->nwhere)
		cli_die(EXIT_BAD, "--%s: arranges the points of one sweep (plot cycles DIR); runs "
			"given one by one are told apart by what differs", o->xkey ? "x" : o->series ?
			"series" : o->facet ? "facet" : "where");
	/* Bars: one per run file, two per --vs file, one per point of a sweep. */
	item *it = NULL;
	size_t n = 0, cap = 0;
	for (size_t f = 0; f < nin; f++)
		runs_of(&ins[f], &it, &n, &cap);
	if (n > MAX_BARS)
		cli_die(EXIT_BAD, "%zu bars: more than %d in one chart; give one sweep directory "
			"(its points are arranged in panels with --facet)", n, MAX_BARS);
	double *cpi = xcalloc(n * NCYC, sizeof(double));
	size_t b = 0;
	int per_instr = 1;
	for (size_t f = 0; f < nin; f++)
		per_instr &= have_instructions(&ins[f], NULL, 0);
	const char *desc = NULL, *tpath = NULL;
	int one_trace = 1;
	for (size_t f = 0; f < nin; f++) {
		const jsonr *d = ins[f].doc;
		size_t rows = d->type == JSONR_ARR ? d->n : 1;
		for (size_t r = 0; r < rows; r++, b++) {
			const jsonr *row = d->type == JSONR_ARR ? &d->items[r] : d;
			cpi_of(&ins[f], row, r, cpi, n, b, per_instr);
			const char *t = trace_of(row);
			if (!tpath) {
				tpath = t;
				desc = run_desc(row);
			} else if (t && strcmp(t, tpath) != 0) {
				one_trace = 0;
			}
		}
	}
	make_labels(it, n);
	const char **labels = xcalloc(n, sizeof(*labels));
	for (size_t i = 0; i < n; i++)
		labels[i] = it[i].label;
	pool p = { 0 };
	char sh[160];
	plot_short_trace(sh, sizeof(sh), desc, tpath);
	char *meta = NULL;
	size_t ml = 0;
	FILE *m = open_memstream(&meta, &ml);
	if (!m)
		cli_die(EXIT_FAIL, "out of memory");
	fputs("slatsim plot cycles: cycles per instruction by category (cycles.instructions, "
	      ".translation, .memory, .faults, .dirtylog over instructions). Inputs:", m);
	for (size_t f = 0; f < nin; f++) {
		char *abs = realpath(ins[f].path, NULL);
		fprintf(m, " %s", abs ? abs : ins[f].path);
		free(abs);
	}
	if (tpath)
		fprintf(m, ". Trace%s: %s%s%s%s", one_trace ? "" : " of the first", tpath,
			desc && *desc ? " (" : "", desc ? desc : "", desc && *desc ? ")" : "");
	if (fclose(m) != 0)
		cli_die(EXIT_FAIL, "out of memory");
	keep(&p, meta);
	plot_bars bars = { .nbars = n, .ncat = NCYC, .cat = cycle_titles, .y = cpi,
			   .label = labels };
	plot_panel pan = { .bars = &bars };
	plot_spec sp = { .title = pool_printf(&p, "%s: cycles%s by category",
					      one_trace ? sh : "several traces",
					      per_instr ? " per instruction" : ""),
			 .meta = meta, .x = { .label = "run (the settings that differ)" },
			 .y = { .label = per_instr ? cpi_label : cyc_label, .zero = 1 },
			 .panels = &pan, .npanels = 1, .width = o->width, .height = o->height };
	int rc = plot_figure(out, name, k, &sp, err, el);
	for (size_t i = 0; i < n; i++)
		free(it[i].label);
	free(it);
	free(labels);
	free(cpi);
	pool_free(&p);
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

#define MAX_DOMAINS 64     /* domains of a run in a rounds chart */
enum { RK_TRUE, RK_REPORTED, RK_EXTRA, RK_MISSED, RK_N };
static const char *const round_kind[RK_N] = { "true", "reported", "extra", "missed" };
static const int kind_style[RK_N] = { 0, 1, 4, 3 };
static const char *const round_title[RK_N] = { "written (true)", "reported",
					       "reported extra", "missed" };

static int chart_rounds(const input *in, const plot_opts *o, FILE *out, const char *name,
			plot_kind k, char *err, size_t el)
{
	if (in->kind != IN_RUN && in->kind != IN_VS)
		wrong_kind(in, "rounds", "a 'run --json' document or a 'run --vs' pair");
	item *it = NULL;
	size_t n = 0, cap = 0;
	runs_of(in, &it, &n, &cap);   /* one run, or A and B */
	if (n > 1)
		make_labels(it, n);
	pool p = { 0 };
	char why[2][200] = { "", "" };
	int arr = in->doc->type == JSONR_ARR, any = 0;
	size_t maxr = 0;
	/* per run: a cycles panel and a pages panel */
	plot_panel pan[4];
	plot_series *ser = xcalloc(2 * MAX_DOMAINS * (RK_N + 1) * 3, sizeof(*ser));
	size_t np = 0, nser = 0;
	double *xs = NULL, *ys = NULL;
	size_t npts = 0, cap_pts = 0;
	plot_axis cyc = { .label = "dirty-logging cycles per round (cycles)", .zero = 1 };
	plot_axis pag = { .label = "4 KB pages per round (pages)", .zero = 1 };
	const char *partial = NULL;
	/* (points are appended to XS/YS; series keep offsets until the end) */
	size_t *off = xcalloc(2 * MAX_DOMAINS * (RK_N + 1) * 3, sizeof(size_t));
	for (size_t r = 0; r < n; r++) {
		const jsonr *row = arr ? &in->doc->items[r] : in->doc;
		const jsonr *rs = jsonr_get(row, "rounds");
		if (!rs || rs->type != JSONR_ARR || !rs->n) {
			no_rounds_why(row, why[r], sizeof(why[r]));
			continue;
		}
		any = 1;
		char at[32] = "";
		if (arr)
			snprintf(at, sizeof(at), "[%zu].", r);
		uint64_t period = cfg_count(row, "dirtylog.period");
		uint64_t doms[MAX_DOMAINS];
		size_t nd = 0;
		for (size_t i = 0; i < rs->n; i++) {
			uint64_t d = 0;
			const jsonr *dv = jsonr_get(&rs->items[i], "domain");
			if (dv && jsonr_u64(dv, &d))
				cli_die(EXIT_BAD, "%s: %srounds[%zu].domain: not a count", in->path, at,
					i);
			size_t q = 0;
			while (q < nd && doms[q] != d)
				q++;
			if (q == nd) {
				if (nd == MAX_DOMAINS)
					cli_die(EXIT_BAD, "%s: %srounds: more than %d domains", in->path,
						at, MAX_DOMAINS);
				doms[nd++] = d;
			}
		}
		size_t first_c = nser;
		for (int kind = -1; kind < RK_N; kind++) {   /* -1: cycles */
			for (size_t q = 0; q < nd; q++) {
				size_t start = npts, nr = 0;
				uint64_t prev = 0, last_len = 0, nonzero = 0;
				for (size_t i = 0; i < rs->n; i++) {
					const jsonr *ro = &rs->items[i], *dv = jsonr_get(ro, "domain");
					uint64_t d = 0, ins, val;
					if (dv)
						jsonr_u64(dv, &d);
					if (d != doms[q])
						continue;
					const char *f = kind < 0 ? "cycles" : round_kind[kind];
					if (jsonr_u64(jsonr_get(ro, "instructions"), &ins))
						cli_die(EXIT_BAD, "%s: %srounds[%zu].instructions: not a "
							"count", in->path, at, i);
					if (jsonr_u64(jsonr_get(ro, f), &val))
						cli_die(EXIT_BAD, "%s: %srounds[%zu].%s: not a count",
							in->path, at, i, f);
					if (npts == cap_pts &&
					    (!(xs = realloc(xs, (cap_pts = cap_pts ? 2 * cap_pts : 256) *
							     sizeof(*xs))) ||
					     !(ys = realloc(ys, cap_pts * sizeof(*ys)))))
						cli_die(EXIT_FAIL, "out of memory");
					xs[npts] = (double)++nr;
					ys[npts++] = (double)val;
					last_len = ins >= prev ? ins - prev : 0;
					prev = ins;
					nonzero |= val;
				}
				if (kind == RK_MISSED && !nonzero) {
					npts = start;
					continue;
				}
				if (nr > maxr)
					maxr = nr;
				int part = period && nr && last_len < period;
				char dom[40] = "";
				if (nd > 1 || doms[0] != 0)
					snprintf(dom, sizeof(dom), "domain %llu", (unsigned long long)doms[q]);
				const char *t = kind < 0 ? (dom[0] ? pool_printf(&p, "%s", dom)
							    : "dirty-logging cycles")
					       : dom[0] ? pool_printf(&p, "%s: %s", dom, round_title[kind])
							: round_title[kind];
				int style = (kind < 0 ? 6 : kind_style[kind]) + (int)(8 * q);
				size_t main_n = part && nr > 1 ? nr - 1 : nr;
				off[nser] = start;
				ser[nser++] = (plot_series){ .title = t, .n = main_n, .style = style,
							    .flags = part && nr == 1 ? PLOT_LINE
								     : PLOT_LINE | PLOT_POINTS };
				if (part) {
					/* the partial round: the line to it, an open mark */
					off[nser] = start + (nr > 1 ? nr - 2 : 0);
					ser[nser++] = (plot_series){ .n = nr > 1 ? 2 : 1, .style = style,
								    .flags = PLOT_LINE };
					off[nser] = start + nr - 1;
					ser[nser++] = (plot_series){ .n = 1, .style = style,
								    .flags = PLOT_POINTS | PLOT_HOLLOW };
					char a1[32], a2[32];
					plot_num_text(a1, sizeof(a1), (double)last_len);
					plot_num_text(a2, sizeof(a2), (double)period);
					if (!partial)
						partial = pool_printf(&p, "open marks: round %zu, the last, is "
								      "partial (%s of %s instructions)",
								      nr, a1, a2);
				}
			}
			if (kind < 0) {
				pan[np++] = (plot_panel){ .title = n > 1 ? it[r].label : NULL,
							  .nseries = nser - first_c, .y = &cyc };
				pan[np - 1].series = (const plot_series *)(uintptr_t)first_c;
				first_c = nser;
			}
		}
		pan[np++] = (plot_panel){ .title = n > 1 ? it[r].label : NULL,
					  .nseries = nser - first_c, .y = &pag };
		pan[np - 1].series = (const plot_series *)(uintptr_t)first_c;
	}
	if (!any) {
		if (n == 1)
			cli_die(EXIT_BAD, "%s: no dirty-logging rounds: %s", in->path, why[0]);
		cli_die(EXIT_BAD, "%s: no dirty-logging rounds: A: %s; B: %s", in->path, why[0],
			why[1]);
	}
	for (size_t s = 0; s < nser; s++) {   /* (XS and YS are final now) */
		ser[s].x = xs + off[s];
		ser[s].y = ys + off[s];
	}
	for (size_t q = 0; q < np; q++)
		pan[q].series = ser + (uintptr_t)pan[q].series;
	double *at = xcalloc(maxr, sizeof(double));
	for (size_t i = 0; i < maxr; i++)
		at[i] = (double)(i + 1);
	const jsonr *row0 = arr ? &in->doc->items[0] : in->doc;
	const jsonr *mode = jsonr_get(jsonr_get(row0, "config"), "dirtylog.mode");
	uint64_t period = cfg_count(row0, "dirtylog.period");
	char sh[160], per[64];
	plot_short_trace(sh, sizeof(sh), run_desc(row0), trace_of(row0));
	plot_num_text(per, sizeof(per), (double)period);
	char *sub = (char *)partial;
	if (n > 1 && (why[0][0] || why[1][0]))
		sub = pool_printf(&p, "%s%s(%s has no round: %s)", partial ? partial : "",
				  partial ? "; " : "", why[0][0] ? "A" : "B", why[0][0] ? why[0] : why[1]);
	char *abs = realpath(in->path, NULL);
	plot_spec sp = {
		.title = pool_printf(&p, "%s: dirty logging per round%s%s%s", sh,
				     n == 1 && mode && mode->type == JSONR_STR ? " (" : "",
				     n == 1 && mode && mode->type == JSONR_STR ? mode->text : "",
				     n == 1 && mode && mode->type == JSONR_STR ? ")" : ""),
		.subtitle = sub,
		.meta = pool_printf(&p, "slatsim plot rounds of %s: per round, cycles.dirtylog and "
				    "the 4 KB pages written, reported, reported but not written "
				    "(and missed). Trace: %s%s%s%s", abs ? abs : in->path,
				    trace_of(row0) ? trace_of(row0) : "", run_desc(row0)[0] ? " (" : "",
				    run_desc(row0), run_desc(row0)[0] ? ")" : ""),
		.x = { .label = period ? pool_printf(&p, "round (a harvest every %s instructions)",
						     per) : "round (one, at the end of the trace)",
		       .at = maxr <= MAX_AT ? at : NULL, .nat = maxr <= MAX_AT ? maxr : 0 },
		.y = cyc, .panels = pan, .npanels = np, .cols = 2,
		.width = o->width, .height = o->height };
	if (maxr > MAX_AT) {
		sp.x.lo = 0.5;
		sp.x.hi = (double)maxr + 0.5;
	}
	int rc = plot_figure(out, name, k, &sp, err, el);
	free(abs);
	free(at);
	free(xs);
	free(ys);
	free(ser);
	free(off);
	for (size_t r = 0; n > 1 && r < n; r++)
		free(it[r].label);
	free(it);
	pool_free(&p);
	return rc;
}

/* ---------------------------------------------------------------- command */

static int parse_scale(const args *a, const char *opt, const char *v)
{
	if (strcmp(v, "log") == 0)
		return strcmp(opt, "--xscale") == 0 ? PLOT_LOG2 : PLOT_LOG10;
	if (strcmp(v, "linear") == 0)
		return PLOT_LINEAR;
	if (strcmp(v, "auto") == 0)
		return -1;
	cli_usage_error(a, "%s '%s': log, linear or auto", opt, v);
}

/* --size WxH: each side 200..PLOT_MAX_PIXELS. */
static void parse_size(const args *a, const char *v, int *w, int *h)
{
	char *end;
	unsigned long x = strtoul(v, &end, 10), y = 0;
	if (end != v && (*end == 'x' || *end == 'X')) {
		const char *s = end + 1;
		y = strtoul(s, &end, 10);
		if (end == s)
			y = 0;
	}
	if (*end || x < 200 || y < 200 || x > PLOT_MAX_PIXELS || y > PLOT_MAX_PIXELS ||
	    !(v[0] >= '0' && v[0] <= '9'))
		cli_usage_error(a, "--size '%s': WIDTHxHEIGHT in pixels, each 200..%d (960x600)", v,
				PLOT_MAX_PIXELS);
	*w = (int)x;
	*h = (int)y;
}

int cmd_plot(args *a)
{
	const char *kind = NULL, *out = NULL, *v, *size = NULL, *xs = NULL, *ys = NULL;
	const char *in[MAX_INPUTS];
	plot_opts o = { .xscale = -1, .yscale = -1 };
	size_t nin = 0;
	while (a->i < a->argc) {
		if (!a->dashdash && cli_is_help(a->argv[a->i])) {
			fputs(plot_usage, stdout);
			return 0;
		}
		if (cli_dashdash(a))
			continue;
		if (cli_quiet_opt(a))
			continue;   /* (plot prints nothing but errors anyway) */
		if ((v = cli_out_opt(a))) { cli_once(a, "-o", out, v); out = v; continue; }
		if ((v = cli_opt_value(a, "--stat"))) { cli_once(a, "--stat", o.stat, v); o.stat = v; continue; }
		if ((v = cli_opt_value(a, "--x"))) { cli_once(a, "--x", o.xkey, v); o.xkey = v; continue; }
		if ((v = cli_opt_value(a, "--series"))) { cli_once(a, "--series", o.series, v); o.series = v; continue; }
		if ((v = cli_opt_value(a, "--facet"))) { cli_once(a, "--facet", o.facet, v); o.facet = v; continue; }
		if ((v = cli_opt_value(a, "--size"))) { cli_once(a, "--size", size, v); size = v; continue; }
		if ((v = cli_opt_value(a, "--xscale"))) { cli_once(a, "--xscale", xs, v); xs = v; continue; }
		if ((v = cli_opt_value(a, "--yscale"))) { cli_once(a, "--yscale", ys, v); ys = v; continue; }
		if ((v = cli_opt_value(a, "--where"))) {
			if (o.nwhere == MAX_WHERE)
				cli_usage_error(a, "--where: %d at most", MAX_WHERE);
			o.where[o.nwhere++] = v;
			continue;
		}
		if (cli_opt_flag(a, "--mpki")) {
			o.mpki = 1;
			continue;
		}
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
	if (o.stat && ck != 1)
		cli_usage_error(a, "--stat is an option of plot sweep");
	if ((o.xkey || o.series || o.facet || o.nwhere) && ck != 1 && ck != 2)
		cli_usage_error(a, "%s is an option of plot sweep and plot cycles", o.xkey ? "--x" :
				o.series ? "--series" : o.facet ? "--facet" : "--where");
	if (o.mpki && ck != 0)
		cli_usage_error(a, "--mpki is an option of plot reach");
	if ((xs || ys) && ck == 0)
		cli_usage_error(a, "plot reach is log2 x, log10 y: no --xscale or --yscale");
	if (ys && ck != 1)
		cli_usage_error(a, "--yscale is an option of plot sweep");
	if (xs && ck != 1)
		cli_usage_error(a, "--xscale is an option of plot sweep");
	if (xs)
		o.xscale = parse_scale(a, "--xscale", xs);
	if (ys)
		o.yscale = parse_scale(a, "--yscale", ys);
	if (size)
		parse_size(a, size, &o.width, &o.height);
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
	/* The definitions of the parameters: units and sizes for the axes. */
	param_reg *defs = param_create();
	if (!defs || machine_params_register(defs) != PARAM_OK)
		cli_die(EXIT_FAIL, "out of memory");
	/* The chart goes to a temporary beside OUT (a regular file: it is read
	 * back before the rename); gnuplot writes it as its standard output. */
	outfile *of = cli_output(a, out, "-o", OUTFILE_REGULAR);
	FILE *f = outfile_stream(of);
	int rc = ck == 0 ? chart_reach(&ins[0], &o, f, out, pk, err, sizeof(err))
		 : ck == 1 ? chart_sweep(&ins[0], &o, defs, f, out, pk, err, sizeof(err))
		 : ck == 2 ? chart_cycles(ins, nin, &o, defs, f, out, pk, err, sizeof(err))
			   : chart_rounds(&ins[0], &o, f, out, pk, err, sizeof(err));
	if (rc)
		cli_die(plot_status(rc), "%s", err);
	cli_commit(of);
	param_destroy(defs);
	for (size_t i = 0; i < nin; i++)
		free_input(&ins[i]);
	return 0;
}
