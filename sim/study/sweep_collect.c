/*
 * sim/study/sweep_collect.c - a sweep's point files read back, and its results
 * tables (sweep_collect.h).
 *
 * A point file is compared with what `slatsim run --json` writes for the
 * point: the "slatsim" version, the trace's path, and the "config" object
 * member by member against the one report_json_config writes for the
 * point's registry (written and read back through the same code, so a
 * value's text is the registry's either way). The manifest's "config" and
 * each point's "params" rebuild that registry: a number, a string, a bool
 * (0/1) or a list of numbers is the text param_set takes.
 *
 * No state but each call's own.
 */
#include "sweep_collect.h"
#include "json.h"
#include "numfmt.h"
#include "machine.h"
#include "report.h"
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The code of a message of jsonr_load / jsonr_parse: out of memory is the
 * machine's; anything else (a file that is not JSON) the input's. */
static int json_code(const char *err)
{
	return strstr(err, "out of memory") ? TRACE_ENOMEM : TRACE_EFORMAT;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* ---------------------------------------------------------------- one point */

/* The "config" object `slatsim run --json` writes for registry P, read
 * back (inside an object: {"config": {...}}); NULL with a message when out
 * of memory. */
static jsonr *config_json(const param_reg *p, char *msg, size_t len)
{
	char *text = NULL, err[256];
	size_t tlen = 0;
	FILE *m = open_memstream(&text, &tlen);
	if (!m) {
		snprintf(msg, len, "out of memory");
		return NULL;
	}
	json_w j;
	json_init(&j, m, 0);
	json_begin_obj(&j, NULL);
	report_json_config(&j, p);
	json_end_obj(&j);
	json_finish(&j);
	if (fclose(m) != 0) {
		free(text);
		snprintf(msg, len, "out of memory");
		return NULL;
	}
	jsonr *v = jsonr_parse(text, tlen, err, sizeof(err));
	free(text);
	if (!v)   /* (our own JSON: only memory can fail) */
		snprintf(msg, len, "out of memory (%s)", err);
	return v;
}

int sweep_point_check(const jsonr *doc, size_t n, const char *version, const char *trace,
		      const param_reg *p, char *msg, size_t len)
{
	char b1[512], b2[512];
	jsonr *want = config_json(p, msg, len);
	if (!want)
		return TRACE_ENOMEM;
	const jsonr *v = jsonr_get(doc, "slatsim"), *tr = jsonr_get(doc, "trace");
	const jsonr *tp = jsonr_get(tr, "path"), *cfg = jsonr_get(doc, "config");
	const jsonr *st = jsonr_get(doc, "stats"), *wc = jsonr_get(want, "config"), *va, *vb;
	const char *key;
	int rc = TRACE_EFORMAT;
	if (!v || v->type != JSONR_STR || !tp || tp->type != JSONR_STR || !cfg ||
	    cfg->type != JSONR_OBJ || !st || st->type != JSONR_OBJ)
		snprintf(msg, len, "not a point of a sweep (no \"slatsim\", \"trace\", \"config\" "
			 "or \"stats\" as 'slatsim run --json' writes them)");
	else if (strcmp(v->text, version) != 0)
		snprintf(msg, len, "not point %zu of this sweep: written by slatsim %s, the sweep "
			 "by %s", n, v->text, version);
	else if (strcmp(tp->text, trace) != 0)
		snprintf(msg, len, "not point %zu of this sweep: its trace is '%s', the point's "
			 "is '%s'", n, tp->text, trace);
	else if ((key = jsonr_first_diff(wc, cfg, &va, &vb)))
		snprintf(msg, len, "not point %zu of this sweep: its %s is %s, the point's is %s",
			 n, key, jsonr_brief(vb, b1, sizeof(b1)), jsonr_brief(va, b2, sizeof(b2)));
	else {
		rc = TRACE_OK;
		for (size_t i = 0; i < st->n && rc == TRACE_OK; i++)
			if (st->items[i].type != JSONR_NUM) {
				snprintf(msg, len, "statistic \"%s\" is not a number (%s)", st->keys[i],
					 jsonr_brief(&st->items[i], b1, sizeof(b1)));
				rc = TRACE_EFORMAT;
			}
	}
	jsonr_free(want);
	return rc;
}

/* ---------------------------------------------------------------- the manifest */

/* A manifest "config" value as the text param_set takes. */
static int param_text_of(const jsonr *v, char *buf, size_t len)
{
	switch (v->type) {
	case JSONR_NUM:
	case JSONR_STR:
		return snprintf(buf, len, "%s", v->text) < (int)len ? 0 : -1;
	case JSONR_BOOL:
		snprintf(buf, len, "%d", v->truth);
		return 0;
	case JSONR_ARR: {
		size_t k = 0;
		buf[0] = '\0';
		for (size_t i = 0; i < v->n; i++) {
			if (v->items[i].type != JSONR_NUM)
				return -1;
			k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? "," : "", v->items[i].text);
			if (k >= len)
				return -1;
		}
		return 0;
	}
	default:
		return -1;
	}
}

/* The registry that manifest MP's "config" object CFG describes, in *OUT. */
static int manifest_params(const jsonr *cfg, const char *mp, param_reg **out, char *err,
			   size_t errlen)
{
	param_reg *p = param_create();
	char e[1024], text[8192];
	*out = NULL;
	if (!p || machine_params_register(p) != PARAM_OK) {
		param_destroy(p);
		snprintf(err, errlen, "out of memory (parameter registry)");
		return TRACE_ENOMEM;
	}
	for (size_t i = 0; i < cfg->n; i++) {
		if (param_text_of(&cfg->items[i], text, sizeof(text)) != 0) {
			snprintf(err, errlen, "%s: config: %s: not a parameter value", mp, cfg->keys[i]);
			param_destroy(p);
			return TRACE_EFORMAT;
		}
		if (param_set(p, cfg->keys[i], text, "sweep.json", e, sizeof(e)) != PARAM_OK) {
			snprintf(err, errlen, "%s: config: %s", mp, e);
			param_destroy(p);
			return TRACE_EFORMAT;
		}
	}
	*out = p;
	return TRACE_OK;
}

/* ---------------------------------------------------------------- results */

/* A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line
 * break. */
static void put_csv(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* What one collection holds while it runs (freed by collect_free). */
typedef struct collection {
	const char *dir;
	char *mp;                  /* DIR/sweep.json */
	jsonr *man;
	const jsonr *pts;          /* the manifest's points */
	const char *version;       /* of the slatsim that began the sweep */
	param_reg *reg;            /* the manifest's configuration, each point's params set */
	char **names;              /* the statistics' union, in order of first appearance */
	size_t ns, cap;
	outfile *co, *jo;          /* results.csv, results.json */
} collection;

static void collect_free(collection *c)
{
	if (c->co)
		outfile_abandon(c->co);
	if (c->jo)
		outfile_abandon(c->jo);
	for (size_t k = 0; k < c->ns; k++)
		free(c->names[k]);
	free(c->names);
	param_destroy(c->reg);
	jsonr_free(c->man);
	free(c->mp);
}

/* Statistic NAME into the union, unless it is there. */
static int add_name(collection *c, const char *name)
{
	for (size_t k = 0; k < c->ns; k++)
		if (strcmp(c->names[k], name) == 0)
			return 0;
	if (c->ns == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		char **nn = realloc(c->names, cap * sizeof(*nn));
		if (!nn)
			return -1;
		c->names = nn;
		c->cap = cap;
	}
	if (!(c->names[c->ns] = strdup(name)))
		return -1;
	c->ns++;
	return 0;
}

/* Point N's file PP is its point: merge its statistics' names. *MISSING
 * counts (and LIST names the first 10 of) the points without a file. */
static int check_point(collection *c, size_t n, const char *pp, size_t *missing, char *list,
		       size_t listlen, char *err, size_t errlen)
{
	char e[1024], msg[2048];
	const jsonr *pt = &c->pts->items[n], *tr = jsonr_get(pt, "trace");
	const jsonr *pa = jsonr_get(pt, "params");
	if (!tr || tr->type != JSONR_STR || !pa || pa->type != JSONR_OBJ) {
		snprintf(err, errlen, "%s: point %zu: no trace or params", c->mp, n);
		return TRACE_EFORMAT;
	}
	if (!exists(pp)) {
		if ((*missing)++ < 10) {
			size_t l = strlen(list);
			snprintf(list + l, listlen - l, "%s%zu", l ? ", " : "", n);
		}
		return TRACE_OK;
	}
	jsonr *doc = jsonr_load(pp, e, sizeof(e));
	if (!doc) {
		snprintf(err, errlen, "%s", e);
		return json_code(e);
	}
	for (size_t i = 0; i < pa->n; i++)
		if (pa->items[i].type != JSONR_STR ||
		    param_set(c->reg, pa->keys[i], pa->items[i].text, "sweep.json", e,
			      sizeof(e)) != PARAM_OK) {
			snprintf(err, errlen, "%s: point %zu: params: %s", c->mp, n,
				 pa->items[i].type != JSONR_STR ? "not a string" : e);
			jsonr_free(doc);
			return TRACE_EFORMAT;
		}
	int rc = sweep_point_check(doc, n, c->version, tr->text, c->reg, msg, sizeof(msg));
	if (rc != TRACE_OK) {
		if (rc == TRACE_ENOMEM)
			snprintf(err, errlen, "%s", msg);
		else
			snprintf(err, errlen, "%s: %s", pp, msg);
		jsonr_free(doc);
		return rc;
	}
	const jsonr *st = jsonr_get(doc, "stats");
	for (size_t i = 0; i < st->n; i++)
		if (add_name(c, st->keys[i]) != 0) {
			jsonr_free(doc);
			snprintf(err, errlen, "out of memory");
			return TRACE_ENOMEM;
		}
	jsonr_free(doc);
	return TRACE_OK;
}

/* ---------------------------------------------------------------- derived columns
 *
 * What an architect plots, from a point's statistics (issue 25), after the
 * raw counts, the quantities of `slatsim run`'s headline (report.c): NUM x
 * SCALE / DEN in double precision (a count of 2^53 or more is rounded
 * first). A point with DEN 0, without either statistic, or whose
 * configuration has no such TLB (LEVEL's entries 0: the headline's
 * "(absent)") has none: an empty cell and no JSON member, as a statistic
 * a point lacks. cycles.translation is the cycles of TLB lookups and walks
 * (machine.h); page faults are cycles.faults, not part of the share. */
static const struct derived {
	const char *name, *num, *den, *level;
	double scale;
} derived[] = {
	{ "mpki.l1i", "tlb.l1i.misses", "instructions", "tlb.l1i.entries", 1000 },
	{ "mpki.l1d", "tlb.l1d.misses", "instructions", "tlb.l1d.entries", 1000 },
	{ "mpki.l2", "tlb.l2.misses", "instructions", "tlb.l2.entries", 1000 },
	{ "walks.pki", "walk.count", "instructions", NULL, 1000 },
	{ "translation.cpi", "cycles.translation", "instructions", NULL, 1 },
	{ "translation.share", "cycles.translation", "cycles.total", NULL, 1 },
};
#define NDERIVED (sizeof(derived) / sizeof(derived[0]))

/* Number NAME of object O as a double; -1 when O lacks it. */
static int num_of(const jsonr *o, const char *name, double *out)
{
	const jsonr *v = jsonr_get(o, name);
	uint64_t u;
	if (!v || v->type != JSONR_NUM)
		return -1;
	*out = jsonr_u64(v, &u) == 0 ? (double)u : jsonr_num(v);
	return 0;
}

/* Derived column D of statistics ST, configuration CFG, into *OUT: 0, or
 * -1 when the point has none. */
static int derive(const struct derived *d, const jsonr *st, const jsonr *cfg, double *out)
{
	double num, den, entries;
	if (num_of(st, d->num, &num) != 0 || num_of(st, d->den, &den) != 0 || den == 0 ||
	    (d->level && (num_of(cfg, d->level, &entries) != 0 || entries == 0)))
		return -1;
	*out = num * d->scale / den;
	return 0;
}

/* Point N's row from its file PP into CF (CSV) and J (JSON). */
static int put_row(collection *c, size_t n, const char *pp, FILE *cf, json_w *j, char *err,
		   size_t errlen)
{
	char e[1024];
	jsonr *doc = jsonr_load(pp, e, sizeof(e));
	if (!doc) {
		snprintf(err, errlen, "%s", e);
		return json_code(e);
	}
	const jsonr *p = &c->pts->items[n], *tr = jsonr_get(p, "trace");
	const jsonr *pa = jsonr_get(p, "params"), *st = jsonr_get(doc, "stats");
	for (size_t i = 0; st && st->type == JSONR_OBJ && i < st->n; i++)
		if (st->items[i].type != JSONR_NUM)
			st = NULL;
	if (!st || st->type != JSONR_OBJ) {   /* (changed since it was checked) */
		jsonr_free(doc);
		snprintf(err, errlen, "%s: changed while the results were written", pp);
		return TRACE_EFORMAT;
	}
	fprintf(cf, "%zu,", n);
	put_csv(cf, tr->text);
	json_begin_obj(j, NULL);
	json_u64(j, "point", n);
	json_str(j, "trace", tr->text);
	json_begin_obj(j, "params");
	for (size_t i = 0; i < pa->n; i++) {
		fputc(',', cf);
		put_csv(cf, pa->items[i].text);
		json_str(j, pa->keys[i], pa->items[i].text);
	}
	json_end_obj(j);
	json_begin_obj(j, "stats");
	for (size_t k = 0; k < c->ns; k++) {
		/* (every value is a number: sweep_point_check; a statistic
		 * some points lack - a domain's - is an empty cell) */
		const jsonr *v = jsonr_get(st, c->names[k]);
		fputc(',', cf);
		if (v) {
			fputs(v->text, cf);
			json_raw(j, c->names[k], v->text);
		}
	}
	for (size_t k = 0; k < NDERIVED; k++) {
		double x;
		fputc(',', cf);
		if (derive(&derived[k], st, jsonr_get(doc, "config"), &x) == 0) {
			char b[40];
			fmt_double(b, sizeof(b), x);
			fputs(b, cf);
			json_dbl(j, derived[k].name, x);
		}
	}
	json_end_obj(j);
	json_end_obj(j);
	fputc('\n', cf);
	jsonr_free(doc);
	return TRACE_OK;
}

/* The tables, once every point file was checked. */
static int write_results(collection *c, outset *outs, char *err, size_t errlen)
{
	char *cp = sweep_dir_file(c->dir, "results.csv"), *jp = sweep_dir_file(c->dir, "results.json");
	int rc = TRACE_OK;
	if (!cp || !jp) {
		snprintf(err, errlen, "out of memory");
		rc = TRACE_ENOMEM;
	}
	if (rc == TRACE_OK)
		rc = sweep_output_open(outs, &c->co, cp, "results.csv", err, errlen);
	if (rc == TRACE_OK)
		rc = sweep_output_open(outs, &c->jo, jp, "results.json", err, errlen);
	free(cp);
	free(jp);
	if (rc != TRACE_OK)
		return rc;
	FILE *cf = outfile_stream(c->co), *jf = outfile_stream(c->jo);
	size_t np = c->pts->n;
	fputs("point,trace", cf);
	/* A column per swept key: the params of a point (linked keys apart). */
	const jsonr *p0 = np ? jsonr_get(&c->pts->items[0], "params") : NULL;
	for (size_t i = 0; p0 && p0->type == JSONR_OBJ && i < p0->n; i++) {
		fputc(',', cf);
		put_csv(cf, p0->keys[i]);
	}
	for (size_t k = 0; k < c->ns; k++) {
		fputc(',', cf);
		put_csv(cf, c->names[k]);
	}
	for (size_t k = 0; k < NDERIVED; k++)
		fprintf(cf, ",%s", derived[k].name);
	fputc('\n', cf);
	json_w j;
	json_init(&j, jf, 1);
	json_begin_arr(&j, NULL);
	for (size_t n = 0; n < np && rc == TRACE_OK; n++) {
		char *pp = sweep_dir_point(c->dir, n);
		if (!pp) {
			snprintf(err, errlen, "out of memory");
			return TRACE_ENOMEM;
		}
		rc = put_row(c, n, pp, cf, &j, err, errlen);
		free(pp);
	}
	if (rc != TRACE_OK)
		return rc;
	json_end_arr(&j);
	json_finish(&j);
	outfile *co = c->co, *jo = c->jo;
	c->co = c->jo = NULL;
	rc = sweep_output_commit(co, err, errlen);
	if (rc != TRACE_OK) {
		outfile_abandon(jo);
		return rc;
	}
	return sweep_output_commit(jo, err, errlen);
}

int sweep_collect(const char *dir, outset *outs, char *err, size_t errlen)
{
	char e[1024];
	collection c = { .dir = dir };
	int rc = TRACE_OK;
	if (!(c.mp = sweep_dir_file(dir, "sweep.json"))) {
		snprintf(err, errlen, "out of memory");
		return TRACE_ENOMEM;
	}
	if (!(c.man = jsonr_load(c.mp, e, sizeof(e)))) {
		snprintf(err, errlen, "%s", e);
		rc = json_code(e);
		goto out;
	}
	c.pts = jsonr_get(c.man, "points");
	const jsonr *grids = jsonr_get(c.man, "grid"), *mcfg = jsonr_get(c.man, "config");
	const jsonr *ver = jsonr_get(c.man, "slatsim");
	if (!c.pts || c.pts->type != JSONR_ARR || !grids || grids->type != JSONR_ARR || !mcfg ||
	    mcfg->type != JSONR_OBJ || !ver || ver->type != JSONR_STR) {
		snprintf(err, errlen, "%s: not a sweep manifest (no points, grid, config or slatsim)",
			 c.mp);
		rc = TRACE_EFORMAT;
		goto out;
	}
	c.version = ver->text;
	if ((rc = manifest_params(mcfg, c.mp, &c.reg, err, errlen)) != TRACE_OK)
		goto out;
	size_t np = c.pts->n, missing = 0;
	char list[256] = "";
	for (size_t n = 0; n < np && rc == TRACE_OK; n++) {
		char *pp = sweep_dir_point(dir, n);
		if (!pp) {
			snprintf(err, errlen, "out of memory");
			rc = TRACE_ENOMEM;
			break;
		}
		rc = check_point(&c, n, pp, &missing, list, sizeof(list), err, errlen);
		free(pp);
	}
	if (rc == TRACE_OK && missing) {
		snprintf(err, errlen, "%s: %zu of %zu points have no result (%s%s): run the sweep (or "
			 "the missing tasks) again", dir, missing, np, list, missing > 10 ? ", ..." : "");
		rc = TRACE_EFORMAT;
	}
	if (rc == TRACE_OK)
		rc = write_results(&c, outs, err, errlen);
out:
	collect_free(&c);
	return rc;
}
