/*
 * sim/study/sweep_plan.c - a design-space sweep (sweep_plan.h): its grids and
 * points, the manifest, and running the points in batches.
 *
 * Assumptions and invariants:
 *  - A grid value is checked when it is added, on a registry with every
 *    default; its text as the registry writes it (the results') comes from
 *    there. A point's configuration is the base registry (the config files
 *    and --set options, read once) cloned, with the point's values set.
 *  - The manifest is deterministic text: written once, then compared byte
 *    for byte by every later run into the directory. Only when it differs
 *    is it parsed, to say what differs.
 *  - A point file is written only after its trace was fingerprinted again
 *    and found unchanged, so no point of DIR comes from other bytes than
 *    the manifest's.
 *  - Every failure frees what the verb made before returning (machines,
 *    registries, open outputs): the caller may print and exit at once.
 *
 * No state but the plan's own.
 */
#include "sweep_plan.h"
#include "json.h"
#include "jsonr.h"
#include "machine.h"
#include "report.h"
#include "sweep_collect.h"

#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct sweep_plan {
	sweep_grid g[SWEEP_MAX_GRIDS];
	size_t ngrids;
	param_reg *scratch;         /* every default: the last grid's values are checked on it */
	sweep_plan_config cfg;
	size_t combos, points;      /* per trace; in all */
	param_reg *base;
	sweep_print prints[SWEEP_MAX_TRACES];   /* what each trace was when the sweep began */
};

static int oom(char *err, size_t errlen)
{
	snprintf(err, errlen, "out of memory");
	return TRACE_ENOMEM;
}

int sweep_plan_create(sweep_plan **out, char *err, size_t errlen)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return oom(err, errlen);
	return TRACE_OK;
}

void sweep_plan_destroy(sweep_plan *p)
{
	if (!p)
		return;
	for (size_t t = 0; t < SWEEP_MAX_TRACES; t++)
		sweep_print_free(&p->prints[t]);
	for (size_t gi = 0; gi < p->ngrids; gi++) {
		free(p->g[gi].key);
		for (size_t k = 0; k < p->g[gi].nk; k++)
			free(p->g[gi].keys[k]);
		for (size_t v = 0; v < p->g[gi].n; v++) {
			free(p->g[gi].values[v]);
			free(p->g[gi].canon[v]);
		}
	}
	param_destroy(p->scratch);
	param_destroy(p->base);
	free(p);
}

/* ---------------------------------------------------------------- grids and points */

/* Part K of a linked value "v1:v2..." (the whole value for one key) into
 * BUF; NULL when it has no such part or the part does not fit. */
static const char *linked_part(const char *v, size_t k, char *buf, size_t len)
{
	for (; k; k--) {
		v = strchr(v, ':');
		if (!v)
			return NULL;
		v++;
	}
	const char *e = strchr(v, ':');
	size_t l = e ? (size_t)(e - v) : strlen(v);
	if (l >= len)
		return NULL;
	memcpy(buf, v, l);
	buf[l] = '\0';
	return buf;
}

/* Set grid G's VALUE (every linked key its part) in R. */
static int set_grid_value(param_reg *r, const sweep_grid *g, const char *value, char *err,
			  size_t errlen)
{
	for (size_t k = 0; k < g->nk; k++) {
		char part[SWEEP_VALUE_PART_MAX + 1];
		const char *v = g->nk == 1 ? value : linked_part(value, k, part, sizeof(part));
		if (!v) {
			snprintf(err, errlen, "--grid %s: the value '%.200s' has no part %zu of "
				 "at most %zu bytes", g->key, value, k + 1, sizeof(part) - 1);
			return TRACE_EFORMAT;
		}
		if (param_set(r, g->keys[k], v, "--grid", err, errlen) != PARAM_OK)
			return TRACE_EFORMAT;
	}
	return TRACE_OK;
}

int sweep_plan_add_grid(sweep_plan *p, const char *key, const char *const *keys, size_t nk,
			char *err, size_t errlen)
{
	if (p->ngrids == SWEEP_MAX_GRIDS || !nk || nk > SWEEP_MAX_LINKED) {
		snprintf(err, errlen, "--grid %s: %d grids of %d keys at most", key,
			 SWEEP_MAX_GRIDS, SWEEP_MAX_LINKED);
		return TRACE_EFORMAT;
	}
	sweep_grid *g = &p->g[p->ngrids++];
	if (!(g->key = strdup(key)))
		return oom(err, errlen);
	for (; g->nk < nk; g->nk++)
		if (!(g->keys[g->nk] = strdup(keys[g->nk])))
			return oom(err, errlen);
	/* Its values are checked on a registry of its own, as given. */
	param_destroy(p->scratch);
	p->scratch = param_create();
	if (!p->scratch || machine_params_register(p->scratch) != PARAM_OK) {
		snprintf(err, errlen, "out of memory (parameter registry)");
		return TRACE_ENOMEM;
	}
	return TRACE_OK;
}

int sweep_plan_add_value(sweep_plan *p, const char *value, char *err, size_t errlen)
{
	sweep_grid *g = p->ngrids ? &p->g[p->ngrids - 1] : NULL;
	if (!g || g->n == SWEEP_MAX_VALUES) {
		snprintf(err, errlen, "--grid %s: too many values (%d at most)", g ? g->key : "",
			 SWEEP_MAX_VALUES);
		return TRACE_EFORMAT;
	}
	int rc = set_grid_value(p->scratch, g, value, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	size_t len = 1;
	for (size_t k = 0; k < g->nk; k++)
		len += strlen(param_text(p->scratch, g->keys[k])) + 1;
	char *canon = malloc(len), *given = strdup(value);
	if (!canon || !given) {
		free(canon);
		free(given);
		return oom(err, errlen);
	}
	canon[0] = '\0';
	for (size_t k = 0; k < g->nk; k++) {
		if (k)
			strcat(canon, ":");
		strcat(canon, param_text(p->scratch, g->keys[k]));
	}
	g->values[g->n] = given;
	g->canon[g->n++] = canon;
	return TRACE_OK;
}

/* ---------------------------------------------------------------- ranges */

#define RANGE_TEXT_MAX 200   /* bytes of a range shown in a message */

/* An integer of a range: an optional '-', then param_parse_uint's text (0x
 * hex, K/M/G/T suffixes), S[0..LEN). */
static int range_int(const char *s, size_t len, int64_t *out)
{
	char b[64];
	int neg = len && s[0] == '-';
	uint64_t u;
	if (len - (size_t)neg == 0 || len >= sizeof(b))
		return -1;
	memcpy(b, s + neg, len - (size_t)neg);
	b[len - (size_t)neg] = '\0';
	if (param_parse_uint(b, 1, &u) != 0 || u > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
		return -1;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

int sweep_range_parse(const char *text, sweep_range *r, char *err, size_t errlen)
{
	const char *dd = strstr(text, ".."), *b = dd ? dd + 2 : NULL;
	const char *plus = b ? strchr(b, '+') : NULL, *times = b ? strstr(b, ":x") : NULL;
	const char *be = plus ? plus : times ? times : b ? b + strlen(b) : NULL;
	const char *st = plus ? plus + 1 : times ? times + 2 : NULL;
	*r = (sweep_range){ .step = 1 };
	if (!dd || (plus && times) || range_int(text, (size_t)(dd - text), &r->first) != 0 ||
	    range_int(b, (size_t)(be - b), &r->last) != 0 ||
	    (st && range_int(st, strlen(st), &r->step) != 0)) {
		snprintf(err, errlen, "the range '%.*s': expected A..B, A..B+STEP or A..B:xFACTOR "
			 "of integers (an optional '-', 0x hex, K/M/G/T suffixes)", RANGE_TEXT_MAX,
			 text);
		return TRACE_EFORMAT;
	}
	r->times = times != NULL;
	const char *why = r->first > r->last ? "runs down: its first value is above its last"
		: !r->times && r->step < 1 ? "has a step below 1"
		: r->times && r->step < 2 ? "has a factor below 2"
		: r->times && r->first < 1 ? "is geometric and does not start above 0" : NULL;
	if (why) {
		snprintf(err, errlen, "the range '%.*s' %s", RANGE_TEXT_MAX, text, why);
		return TRACE_EFORMAT;
	}
	/* Count its values, up to one past the last (or past the most a grid
	 * holds), without overflow: LAST - FIRST in unsigned, products
	 * checked before they are made. */
	int64_t v = r->first;
	uint64_t n = 1;
	if (!r->times) {
		uint64_t span = (uint64_t)r->last - (uint64_t)r->first;
		n = span / (uint64_t)r->step + 1;
		v = (int64_t)((uint64_t)r->first + (n - 1) * (uint64_t)r->step);
	} else {
		while (v < r->last && v <= r->last / r->step) {
			v *= r->step;
			n++;
		}
	}
	if (v != r->last) {
		snprintf(err, errlen, "the range '%.*s' does not reach %" PRId64 ": its values stop "
			 "at %" PRId64 " (end it on one of them)", RANGE_TEXT_MAX, text, r->last, v);
		return TRACE_EFORMAT;
	}
	if (n > SWEEP_MAX_VALUES) {
		snprintf(err, errlen, "the range '%.*s' has %" PRIu64 " values, more than a grid "
			 "holds (%d)", RANGE_TEXT_MAX, text, n, SWEEP_MAX_VALUES);
		return TRACE_EFORMAT;
	}
	r->n = (size_t)n;
	return TRACE_OK;
}

int64_t sweep_range_value(const sweep_range *r, size_t i)
{
	if (!r->times)
		return (int64_t)((uint64_t)r->first + (uint64_t)i * (uint64_t)r->step);
	int64_t v = r->first;
	while (i--)
		v *= r->step;
	return v;
}

/* The parts of a linked item, one per key, into PART[0..NK) (pointers into
 * BUF, the item's copy, split in place): at ':', but a ":x" that follows a
 * range's ".." is the range's factor, not a key's boundary. Returns the
 * parts found (more than NK when there are). */
static size_t item_parts(char *buf, char **part, size_t nk)
{
	size_t n = 1;
	char *c = buf, *start = buf;   /* the part being read */
	part[0] = buf;
	for (; *c; c++) {
		if (*c != ':')
			continue;
		/* The part so far, [start, c): a range with no step yet? */
		int range = 0, stepped = 0;
		for (const char *q = start; q < c; q++) {
			range |= q[0] == '.' && q + 1 < c && q[1] == '.';
			stepped |= range && (*q == '+' || *q == ':');
		}
		if (range && !stepped && c[1] == 'x' && c[2] >= '0' && c[2] <= '9')
			continue;   /* A..B:xK: the factor */
		*c = '\0';
		start = c + 1;
		if (n < nk)
			part[n] = start;
		n++;   /* (counted beyond NK: the message says how many) */
	}
	return n;
}

int sweep_plan_add_item(sweep_plan *p, const char *item, char *err, size_t errlen)
{
	sweep_grid *g = p->ngrids ? &p->g[p->ngrids - 1] : NULL;
	if (!g || !strstr(item, ".."))
		return sweep_plan_add_value(p, item, err, errlen);
	char *buf = strdup(item), *part[SWEEP_MAX_LINKED];
	if (!buf)
		return oom(err, errlen);
	sweep_range r[SWEEP_MAX_LINKED];
	int isr[SWEEP_MAX_LINKED] = { 0 };
	size_t nparts = g->nk == 1 ? 1 : item_parts(buf, part, g->nk), n = 0;
	int rc = TRACE_OK;
	char e[512];
	if (g->nk == 1)
		part[0] = buf;
	if (nparts != g->nk) {
		snprintf(err, errlen, "--grid %s: the value '%.*s' has %zu part%s for %zu keys (join "
			 "one value or range per key with ':')", g->key, RANGE_TEXT_MAX, item,
			 nparts, nparts == 1 ? "" : "s", g->nk);
		free(buf);
		return TRACE_EFORMAT;
	}
	for (size_t k = 0; k < g->nk && rc == TRACE_OK; k++) {
		if (!strstr(part[k], ".."))
			continue;
		isr[k] = 1;
		if ((rc = sweep_range_parse(part[k], &r[k], e, sizeof(e))) != TRACE_OK)
			snprintf(err, errlen, "--grid %s: %s", g->keys[k], e);
		else if (n && r[k].n != n) {
			snprintf(err, errlen, "--grid %s: the value '%.*s': its ranges have %zu and %zu "
				 "values (linked keys vary together: give their ranges as many values)",
				 g->key, RANGE_TEXT_MAX, item, n, r[k].n);
			rc = TRACE_EFORMAT;
		}
		n = r[k].n;
	}
	for (size_t i = 0; i < n && rc == TRACE_OK; i++) {
		char v[SWEEP_MAX_LINKED * (SWEEP_VALUE_PART_MAX + 2)];
		size_t l = 0;
		for (size_t k = 0; k < g->nk; k++) {
			if (isr[k])
				l += (size_t)snprintf(v + l, sizeof(v) - l, "%s%" PRId64, k ? ":" : "",
						      sweep_range_value(&r[k], i));
			else
				l += (size_t)snprintf(v + l, sizeof(v) - l, "%s%s", k ? ":" : "",
						      part[k]);
			if (l >= sizeof(v))
				break;
		}
		if (l >= sizeof(v)) {
			snprintf(err, errlen, "--grid %s: the value '%.*s' is too long", g->key,
				 RANGE_TEXT_MAX, item);
			rc = TRACE_EFORMAT;
		} else if ((rc = sweep_plan_add_value(p, v, err, errlen)) == TRACE_EFORMAT) {
			size_t el = strlen(err);
			snprintf(err + el, errlen - el, " (value %zu of %zu of the range '%.*s')", i + 1,
				 n, RANGE_TEXT_MAX, item);
		}
	}
	free(buf);
	return rc;
}

size_t sweep_plan_ngrids(const sweep_plan *p) { return p->ngrids; }

const sweep_grid *sweep_plan_grid(const sweep_plan *p, size_t gi) { return &p->g[gi]; }

int sweep_plan_setup(sweep_plan *p, const sweep_plan_config *cfg, char *err, size_t errlen)
{
	param_destroy(p->scratch);
	p->scratch = NULL;
	p->cfg = *cfg;
	p->combos = 1;
	for (size_t gi = 0; gi < p->ngrids; gi++) {
		if (!p->g[gi].n || p->combos > SIZE_MAX / p->g[gi].n / SWEEP_MAX_TRACES) {
			snprintf(err, errlen, "the grid has too many points");
			return TRACE_EFORMAT;
		}
		p->combos *= p->g[gi].n;
	}
	p->points = p->combos * cfg->ntraces;
	return TRACE_OK;
}

const sweep_plan_config *sweep_plan_config_of(const sweep_plan *p) { return &p->cfg; }
size_t sweep_plan_combos(const sweep_plan *p) { return p->combos; }
size_t sweep_plan_points(const sweep_plan *p) { return p->points; }
size_t sweep_plan_trace_of(const sweep_plan *p, size_t n) { return n / p->combos; }

/* Point N's value index of grid GI. */
static size_t point_index(const sweep_plan *p, size_t n, size_t gi)
{
	size_t combo = n % p->combos;
	for (size_t k = p->ngrids; k-- > gi + 1;)
		combo /= p->g[k].n;
	return combo % p->g[gi].n;
}

const char *sweep_plan_value(const sweep_plan *p, size_t n, size_t gi)
{
	return p->g[gi].values[point_index(p, n, gi)];
}

const char *sweep_plan_canon(const sweep_plan *p, size_t n, size_t gi)
{
	return p->g[gi].canon[point_index(p, n, gi)];
}

int sweep_plan_set_base(sweep_plan *p, const param_reg *base, char *err, size_t errlen)
{
	param_destroy(p->base);
	if (!(p->base = param_clone(base))) {
		snprintf(err, errlen, "out of memory (parameter registry)");
		return TRACE_ENOMEM;
	}
	return TRACE_OK;
}

int sweep_plan_params(const sweep_plan *p, size_t n, param_reg **out, char *err, size_t errlen)
{
	param_reg *r = param_clone(p->base);
	*out = NULL;
	if (!r) {
		snprintf(err, errlen, "out of memory (parameter registry)");
		return TRACE_ENOMEM;
	}
	for (size_t gi = 0; gi < p->ngrids; gi++) {
		int rc = set_grid_value(r, &p->g[gi], sweep_plan_value(p, n, gi), err, errlen);
		if (rc != TRACE_OK) {
			param_destroy(r);
			return rc;
		}
	}
	*out = r;
	return TRACE_OK;
}

int sweep_plan_check_point(const sweep_plan *p, size_t n, char *err, size_t errlen)
{
	param_reg *r;
	int rc = sweep_plan_params(p, n, &r, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	machine *m;
	rc = machine_create(&m, r, err, errlen);
	param_destroy(r);
	if (rc == TRACE_OK)
		machine_destroy(m);
	return rc;
}

/* ---------------------------------------------------------------- the manifest */

/* The manifest: deterministic text, compared byte for byte when DIR
 * already holds one. Besides the arguments it holds what they stood for
 * when the sweep began - the effective base configuration (what the config
 * files said) and the fingerprint of each trace - so that a resumed sweep
 * does not mix points of an edited configuration or trace with points of
 * the old one. */
static void write_manifest(FILE *f, const sweep_plan *p)
{
	const sweep_plan_config *c = &p->cfg;
	json_w j;
	json_init(&j, f, 1);
	json_begin_obj(&j, NULL);
	json_str(&j, "slatsim", SLATSIM_VERSION);
	json_str(&j, "format", trace_format_name(c->fmt));
	json_begin_arr(&j, "config_files");
	for (size_t i = 0; i < c->nfiles; i++)
		json_str(&j, NULL, c->config_files[i]);
	json_end_arr(&j);
	json_begin_arr(&j, "sets");
	for (size_t i = 0; i < c->nsets; i++)
		json_str(&j, NULL, c->sets[i]);
	json_end_arr(&j);
	if (c->skip || c->warmup) {   /* (absent without one: older manifests resume) */
		json_begin_obj(&j, "window");
		json_u64(&j, "skip", c->skip);
		json_u64(&j, "warmup", c->warmup);
		json_end_obj(&j);
	}
	report_json_config(&j, p->base);
	json_begin_arr(&j, "trace_files");
	for (size_t t = 0; t < c->ntraces; t++) {
		const sweep_print *fp = &p->prints[t];
		json_begin_obj(&j, NULL);
		json_str(&j, "path", c->traces[t]);
		json_begin_arr(&j, "files");
		for (size_t i = 0; i < fp->n; i++) {
			char hex[17];
			snprintf(hex, sizeof(hex), "%016" PRIx64, fp->f[i].xxh64);
			json_begin_obj(&j, NULL);
			json_str(&j, "file", fp->f[i].name);
			json_u64(&j, "bytes", fp->f[i].bytes);
			json_u64(&j, "mtime_ns", fp->f[i].mtime_ns);
			json_str(&j, "xxh64", hex);
			json_end_obj(&j);
		}
		json_end_arr(&j);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_begin_arr(&j, "grid");
	for (size_t gi = 0; gi < p->ngrids; gi++) {
		json_begin_obj(&j, NULL);
		json_str(&j, "key", p->g[gi].key);
		json_begin_arr(&j, "values");
		for (size_t v = 0; v < p->g[gi].n; v++)
			json_str(&j, NULL, p->g[gi].values[v]);
		json_end_arr(&j);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_begin_arr(&j, "traces");
	for (size_t t = 0; t < c->ntraces; t++)
		json_str(&j, NULL, c->traces[t]);
	json_end_arr(&j);
	json_begin_arr(&j, "points");
	for (size_t n = 0; n < p->points; n++) {
		json_begin_obj(&j, NULL);
		json_u64(&j, "point", n);
		json_str(&j, "trace", c->traces[sweep_plan_trace_of(p, n)]);
		json_begin_obj(&j, "params");
		for (size_t gi = 0; gi < p->ngrids; gi++)
			for (size_t k = 0; k < p->g[gi].nk; k++) {
				char part[SWEEP_VALUE_PART_MAX + 1];   /* (add_value refused what
									  does not fit) */
				const char *v = sweep_plan_canon(p, n, gi);
				json_str(&j, p->g[gi].keys[k], p->g[gi].nk == 1 ? v :
					 linked_part(v, k, part, sizeof(part)));
			}
		json_end_obj(&j);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_end_obj(&j);
	json_finish(&j);
}

/* A fingerprint as the manifest entry E ("files": [...]) records it; -1 if
 * E is not one, or out of memory. */
static int print_of_json(const jsonr *e, sweep_print *out)
{
	const jsonr *fs = jsonr_get(e, "files");
	*out = (sweep_print){ 0 };
	if (!fs || fs->type != JSONR_ARR)
		return -1;
	if (!(out->f = calloc(fs->n ? fs->n : 1, sizeof(*out->f))))
		return -1;
	for (size_t i = 0; i < fs->n; i++) {
		const jsonr *f = &fs->items[i], *nm = jsonr_get(f, "file"), *h = jsonr_get(f, "xxh64");
		sweep_file *x = &out->f[out->n];
		char *end;
		if (!nm || nm->type != JSONR_STR || !h || h->type != JSONR_STR ||
		    jsonr_u64(jsonr_get(f, "bytes"), &x->bytes) != 0 ||
		    jsonr_u64(jsonr_get(f, "mtime_ns"), &x->mtime_ns) != 0)
			return -1;
		errno = 0;
		x->xxh64 = strtoull(h->text, &end, 16);
		if (errno || *end || !*h->text || !(x->name = strdup(nm->text)))
			return -1;
		out->n++;
	}
	return 0;
}

/* The code of a message of jsonr_load / jsonr_parse (as sweep_collect.c). */
static int json_code(const char *err)
{
	return strstr(err, "out of memory") ? TRACE_ENOMEM : TRACE_EFORMAT;
}

/* DIR already holds a manifest, OLD (OLDLEN bytes), that is not NOW: why
 * the run is refused, in MSG - the first file of a trace that changed,
 * appeared or vanished, the configuration key, the option. Returns the
 * code. */
static int manifest_differs(const char *path, const sweep_plan *p, const char *old,
			    size_t oldlen, const char *now, size_t nowlen, char *msg, size_t len)
{
	static const struct { const char *key, *what; } names[] = {
		{ "slatsim", "slatsim version" }, { "format", "--format" },
		{ "config_files", "--config files" }, { "sets", "--set options" },
		{ "window", "--skip/--warmup window" },
		{ "grid", "--grid" }, { "traces", "traces" }, { "points", "points" },
	};
	const sweep_plan_config *c = &p->cfg;
	char err[1024], detail[4096], b1[512], b2[512];
	jsonr *o = jsonr_parse(old, oldlen, err, sizeof(err)), *n = NULL;
	if (!o) {
		snprintf(msg, len, "%s: not a sweep manifest (%s); give another --out, or remove %s "
			 "to start afresh", path, err, c->dir);
		return json_code(err);
	}
	if (!(n = jsonr_parse(now, nowlen, err, sizeof(err)))) {
		jsonr_free(o);
		snprintf(msg, len, "out of memory (%s)", err);
		return TRACE_ENOMEM;
	}
	const jsonr *otf = jsonr_get(o, "trace_files");
	for (size_t i = 0; otf && otf->type == JSONR_ARR && i < otf->n; i++)
		if (!jsonr_get(&otf->items[i], "files")) {
			snprintf(msg, len, "%s: begun by a slatsim that recorded each trace's size "
				 "and time only, not what it holds, so it cannot be resumed safely (a "
				 "trace edited with its size and time kept would mix its points with the "
				 "old ones); give another --out, or remove %s to start afresh", path,
				 c->dir);
			jsonr_free(o);
			jsonr_free(n);
			return TRACE_EFORMAT;
		}
	detail[0] = '\0';
	const jsonr *va = jsonr_get(o, "slatsim"), *vb = jsonr_get(n, "slatsim");
	if (!va || !jsonr_equal(va, vb))
		snprintf(detail, sizeof(detail), "it was begun by slatsim %s, this is %s",
			 jsonr_brief(va, b1, sizeof(b1)), jsonr_brief(vb, b2, sizeof(b2)));
	/* A trace's files: the first that differs. */
	for (size_t t = 0; !detail[0] && otf && otf->type == JSONR_ARR && t < c->ntraces; t++)
		for (size_t i = 0; i < otf->n; i++) {
			const jsonr *pth = jsonr_get(&otf->items[i], "path");
			if (!pth || pth->type != JSONR_STR || strcmp(pth->text, c->traces[t]) != 0)
				continue;
			sweep_print was;
			if (print_of_json(&otf->items[i], &was) != 0)
				snprintf(detail, sizeof(detail), "its record of the trace %s is damaged",
					 c->traces[t]);
			else
				sweep_print_diff(c->traces[t], &was, &p->prints[t], detail,
						 sizeof(detail));
			sweep_print_free(&was);
			break;
		}
	const jsonr *ca = jsonr_get(o, "config"), *cb = jsonr_get(n, "config");
	const char *key;
	if (!detail[0] && ca && ca->type == JSONR_OBJ &&
	    (key = jsonr_first_diff(ca, cb, &va, &vb))) {
		if (!va)   /* a key this slatsim has and the one that began the sweep had not */
			snprintf(detail, sizeof(detail), "its configuration has no %s (a key added to "
				 "slatsim since the sweep began; now %s)", key,
				 jsonr_brief(vb, b2, sizeof(b2)));
		else
			snprintf(detail, sizeof(detail), "its configuration differs (a --config file "
				 "changed or another was given): %s was %s, is %s", key,
				 jsonr_brief(va, b1, sizeof(b1)), jsonr_brief(vb, b2, sizeof(b2)));
	}
	for (size_t i = 0; !detail[0] && i < sizeof(names) / sizeof(names[0]); i++) {
		va = jsonr_get(o, names[i].key);
		vb = jsonr_get(n, names[i].key);
		if ((va || vb) && (!va || !jsonr_equal(va, vb)))   /* (window: absent in both) */
			snprintf(detail, sizeof(detail), "its %s differ%s", names[i].what,
				 names[i].what[strlen(names[i].what) - 1] == 's' ? "" : "s");
	}
	if (!detail[0])
		snprintf(detail, sizeof(detail), "not the same sweep");
	snprintf(msg, len, "%s: holds a different sweep: %s; give another --out, or remove %s to "
		 "start afresh", path, detail, c->dir);
	jsonr_free(o);
	jsonr_free(n);
	return TRACE_EFORMAT;
}

/* The whole of F after the LEN + 1 bytes of OLD read so far, into *OLD
 * (grown); *GOT counts what it holds. -1 when out of memory. */
static int read_rest(FILE *f, char **old, size_t len, size_t *got)
{
	size_t cap = 2 * (len + 2);
	for (;;) {
		char *o2 = realloc(*old, cap);
		if (!o2)
			return -1;
		*old = o2;
		*got += fread(*old + *got, 1, cap - *got, f);
		if (*got < cap)
			return 0;
		cap *= 2;
	}
}

/* Compare TEXT (LEN bytes: this sweep's manifest) with PATH's, which F
 * reads. */
static int manifest_compare(const sweep_plan *p, FILE *f, const char *path, const char *text,
			    size_t len, char *err, size_t errlen)
{
	char *old = malloc(len + 2);
	if (!old)
		return oom(err, errlen);
	size_t got = fread(old, 1, len + 1, f);
	/* longer than ours: read it all for the message */
	if (got == len + 1 && read_rest(f, &old, len, &got) != 0) {
		free(old);
		return oom(err, errlen);
	}
	int rc = TRACE_OK;
	if (got != len || memcmp(old, text, len) != 0) {
		char msg[8192];
		rc = manifest_differs(path, p, old, got, text, len, msg, sizeof(msg));
		snprintf(err, errlen, "%s", msg);
	}
	free(old);
	return rc;
}

/* Write DIR/sweep.json, or check that the one there is this sweep's. */
static int manifest(const sweep_plan *p, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return oom(err, errlen);
	write_manifest(m, p);
	if (fclose(m) != 0) {
		free(text);
		return oom(err, errlen);
	}
	char *path = sweep_dir_file(p->cfg.dir, "sweep.json");
	if (!path) {
		free(text);
		return oom(err, errlen);
	}
	int rc = TRACE_OK;
	FILE *f = fopen(path, "rb");
	if (!f && errno != ENOENT) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		rc = TRACE_EIO;
	} else if (f) {
		rc = manifest_compare(p, f, path, text, len, err, errlen);
		fclose(f);
	} else {
		outfile *o;
		rc = sweep_output_open(p->cfg.outs, &o, path, "sweep.json", err, errlen);
		if (rc == TRACE_OK && fwrite(text, 1, len, outfile_stream(o)) != len) {
			outfile_abandon(o);
			snprintf(err, errlen, "sweep.json: write error");
			rc = TRACE_EOUTPUT;
		} else if (rc == TRACE_OK) {
			rc = sweep_output_commit(o, err, errlen);
		}
	}
	free(path);
	free(text);
	return rc;
}

static int make_dir(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0777) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create the directory: %s", path, strerror(errno));
		return TRACE_EIO;
	}
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", path);
		return TRACE_EIO;
	}
	return TRACE_OK;
}

int sweep_plan_begin(sweep_plan *p, char *err, size_t errlen)
{
	for (size_t t = 0; t < p->cfg.ntraces; t++) {
		char e[1024];
		sweep_print_free(&p->prints[t]);
		int rc = sweep_fingerprint(p->cfg.traces[t], &p->prints[t], e, sizeof(e));
		if (rc != TRACE_OK) {
			snprintf(err, errlen, "%s", e);
			return rc;
		}
	}
	int rc = make_dir(p->cfg.dir, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	char *pd = sweep_dir_file(p->cfg.dir, "points");
	if (!pd)
		return oom(err, errlen);
	rc = make_dir(pd, err, errlen);
	free(pd);
	if (rc != TRACE_OK)
		return rc;
	return manifest(p, err, errlen);
}

/* ---------------------------------------------------------------- running */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Whether point N is finished (*DONE): its file exists and is this sweep's
 * point (sweep_point_check; a file left by another sweep or put there by
 * hand is refused, naming it, rather than taken as finished). */
static int point_done(const sweep_plan *p, size_t n, int *done, char *err, size_t errlen)
{
	char *pp = sweep_dir_point(p->cfg.dir, n);
	struct stat st;
	*done = 0;
	if (!pp)
		return oom(err, errlen);
	if (stat(pp, &st) != 0) {
		free(pp);
		return TRACE_OK;
	}
	char e[1024], msg[2048];
	jsonr *doc = jsonr_load(pp, e, sizeof(e));
	if (!doc) {
		snprintf(err, errlen, "%s", e);
		free(pp);
		return json_code(e);
	}
	param_reg *r;
	int rc = sweep_plan_params(p, n, &r, err, errlen);
	if (rc == TRACE_OK) {
		rc = sweep_point_check(doc, n, SLATSIM_VERSION, p->cfg.traces[sweep_plan_trace_of(p, n)],
				       r, msg, sizeof(msg));
		if (rc == TRACE_ENOMEM)
			snprintf(err, errlen, "%s", msg);
		else if (rc != TRACE_OK)
			snprintf(err, errlen, "%s: %s; remove it to run the point again", pp, msg);
		param_destroy(r);
	}
	jsonr_free(doc);
	free(pp);
	*done = rc == TRACE_OK;
	return rc;
}

/* Trace T is still what the sweep fingerprinted when it began (or the run
 * stops, naming the file, before writing points FIRST..LAST read from it). */
static int trace_unchanged(const sweep_plan *p, size_t t, size_t first, size_t last, char *err,
			   size_t errlen)
{
	char e[1024];
	sweep_print was;
	int rc = sweep_fingerprint(p->cfg.traces[t], &was, e, sizeof(e));
	if (rc == TRACE_OK) {
		int changed = sweep_print_diff(p->cfg.traces[t], &p->prints[t], &was, e,
					       sizeof(e));
		sweep_print_free(&was);
		if (!changed)
			return TRACE_OK;
		rc = TRACE_EIO;
	}
	/* (a fingerprint that fails - the file changed while it was hashed,
	 * vanished, no memory - stops the batch as a change does) */
	snprintf(err, errlen, "%s (read for points %zu..%zu, which were not written; their sweep "
		 "cannot go on in %s)", e, first, last, p->cfg.dir);
	return rc;
}

/* One batch being run: the machines of points WHICH[0..N) and their
 * registries (what a failure frees). */
typedef struct batch {
	sweep_job *jobs;
	param_reg **regs;
	const size_t *which;
	size_t n;
} batch;

static void batch_free(batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		machine_destroy(b->jobs[i].m);
		param_destroy(b->regs[i]);
		b->jobs[i].m = NULL;
		b->regs[i] = NULL;
	}
}

/* A point's file as text (`slatsim run --json`), made from its machine
 * before the machine is freed. */
typedef struct rendered {
	size_t point;
	char *text;
	size_t len;
} rendered;

/* Point WHICH[i] of B rendered into *OUT: TRACE_OK or out of memory. */
static int render_point(const batch *b, size_t i, const char *trace, const trace_header *h,
			rendered *out, char *err, size_t errlen)
{
	*out = (rendered){ .point = b->which[i] };
	FILE *m = open_memstream(&out->text, &out->len);
	if (!m)
		return oom(err, errlen);
	report_json(m, trace, h, b->regs[i], machine_stats(b->jobs[i].m), b->jobs[i].m);
	if (fclose(m) != 0) {
		free(out->text);
		out->text = NULL;
		return oom(err, errlen);
	}
	return TRACE_OK;
}

/* Point R's file. */
static int write_point(const sweep_plan *p, const rendered *r, char *err, size_t errlen)
{
	char *pp = sweep_dir_point(p->cfg.dir, r->point);
	if (!pp)
		return oom(err, errlen);
	outfile *po;
	int rc = sweep_output_open(p->cfg.outs, &po, pp, "point", err, errlen);
	free(pp);
	if (rc != TRACE_OK)
		return rc;
	fwrite(r->text, 1, r->len, outfile_stream(po));
	return sweep_output_commit(po, err, errlen);
}

/* A batch's point files, written while the next batch replays, on up to
 * SWEEP_WRITERS threads at once (issue 25: a point file is fsync'd before
 * its rename, 2-4 ms each here, and 16 of them one after the other kept
 * both cores waiting 55 ms after every batch of 1.5 s at -j 2; fsyncs
 * issued together are committed together by the file system's journal).
 * The points are rendered to text first and the machines freed, so that
 * memory still follows one batch. The caller joins the writer before it
 * starts the next one and at the end, and only then looks at what it did. */
#define SWEEP_WRITERS 8
#define SWEEP_WRITER_STACK (256u << 10)   /* (a writer formats nothing: small stacks,
					     which a limit on address space counts) */

typedef struct writer {
	const sweep_plan *p;
	rendered *pts;
	size_t n;
	pthread_mutex_t mu;       /* next, written, rc and err, while the pool runs */
	size_t next;              /* the next point to write */
	size_t written;
	int rc;
	char err[1024];
	pthread_t th;
	int started;
} writer;

/* One of the pool: points until none is left or one failed. */
static void *write_some(void *arg)
{
	writer *w = arg;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		size_t i = w->next++;
		int stop = i >= w->n || w->rc != TRACE_OK;
		pthread_mutex_unlock(&w->mu);
		if (stop)
			break;
		char e[1024];
		int rc = write_point(w->p, &w->pts[i], e, sizeof(e));
		pthread_mutex_lock(&w->mu);
		if (rc == TRACE_OK)
			w->written++;
		else if (w->rc == TRACE_OK) {
			w->rc = rc;
			snprintf(w->err, sizeof(w->err), "%s", e);
		}
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

static int small_thread(pthread_t *th, void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;
	if (pthread_attr_init(&a) != 0)
		return -1;
	pthread_attr_setstacksize(&a, SWEEP_WRITER_STACK);
	int e = pthread_create(th, &a, fn, arg);
	pthread_attr_destroy(&a);
	return e ? -1 : 0;
}

/* Every point of W, on the pool. */
static void *write_points(void *arg)
{
	writer *w = arg;
	pthread_t th[SWEEP_WRITERS];
	size_t k = 0, want = w->n < SWEEP_WRITERS ? w->n : SWEEP_WRITERS;
	while (k + 1 < want && small_thread(&th[k], write_some, w) == 0)
		k++;
	write_some(w);
	while (k)
		pthread_join(th[--k], NULL);
	return NULL;
}

static void writer_free(writer *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->pts[i].text);
	free(w->pts);
	w->pts = NULL;
	w->n = 0;
}

/* Wait for W (if it runs): its points written into *RAN; its code, with
 * its message in ERR. */
static int writer_join(writer *w, size_t *ran, char *err, size_t errlen)
{
	if (w->started) {
		pthread_join(w->th, NULL);
		pthread_mutex_destroy(&w->mu);
	}
	w->started = 0;
	*ran += w->written;
	w->written = 0;
	writer_free(w);
	int rc = w->rc;
	if (rc != TRACE_OK)
		snprintf(err, errlen, "%s", w->err);
	w->rc = TRACE_OK;
	return rc;
}

/* Run batch B of trace T (LAST: the last point of the trace to run): one
 * decode into its machines; the failures reported; the points that
 * finished rendered and handed to writer W, which is started on them (or,
 * when no thread can start, writes them now); the machines are the
 * caller's to free. *TRACE_RC gets the trace's own code (its failure
 * fails every point left). Returns TRACE_OK or the code that stops the
 * run. */
static int run_batch(const sweep_plan *p, size_t t, batch *b, size_t last,
		     const sweep_run_opts *o, writer *w, int *trace_rc, char *err, size_t errlen)
{
	char e[1024];
	int rc = TRACE_OK;
	size_t n = b->n;
	for (size_t i = 0; i < n && rc == TRACE_OK; i++) {
		if ((rc = sweep_plan_params(p, b->which[i], &b->regs[i], e, sizeof(e))) != TRACE_OK ||
		    (rc = machine_create(&b->jobs[i].m, b->regs[i], e, sizeof(e))) != TRACE_OK) {
			snprintf(err, errlen, "point %zu: %s", b->which[i], e);
			rc = rc == TRACE_ENOMEM ? TRACE_ENOMEM : TRACE_EFORMAT;
		}
	}
	if (rc != TRACE_OK)
		return rc;
	trace_header h;
	int trc = sweep_replay(p->cfg.traces[t], p->cfg.fmt, b->jobs, n, &o->replay, &h, e,
			       sizeof(e));
	*trace_rc = trc;
	if (trc == TRACE_ENOMEM && n == 1) {
		snprintf(err, errlen, "point %zu: %s", b->which[0], e);
		return TRACE_ENOMEM;
	}
	if (trc == TRACE_ENOMEM) {
		snprintf(err, errlen, "points %zu..%zu: %s", b->which[0], b->which[n - 1], e);
		return TRACE_ENOMEM;
	}
	if (trc == TRACE_ESTOPPED) {   /* the driver's poll: nothing of the batch written */
		snprintf(err, errlen, "%s", e);
		return TRACE_ESTOPPED;
	}
	if (trc != TRACE_OK) {
		/* The trace itself: one report for all of its points left. */
		o->failed(o->ctx, b->which[0], last, trc, e);
		return TRACE_OK;
	}
	if ((rc = trace_unchanged(p, t, b->which[0], b->which[n - 1], err, errlen)) != TRACE_OK)
		return rc;
	size_t oom_at = n;
	*w = (writer){ .p = p, .pts = calloc(n, sizeof(*w->pts)) };
	if (!w->pts)
		return oom(err, errlen);
	for (size_t i = 0; i < n && rc == TRACE_OK; i++) {
		if (b->jobs[i].code == TRACE_ENOMEM)
			oom_at = oom_at < n ? oom_at : i;
		else if (b->jobs[i].code != TRACE_OK)
			o->failed(o->ctx, b->which[i], b->which[i], b->jobs[i].code, b->jobs[i].err);
		else if ((rc = render_point(b, i, p->cfg.traces[t], &h, &w->pts[w->n], e,
					    sizeof(e))) == TRACE_OK)
			w->n++;
		else
			snprintf(err, errlen, "point %zu: %s", b->which[i], e);
	}
	if (rc != TRACE_OK) {
		writer_free(w);
		return rc;
	}
	pthread_mutex_init(&w->mu, NULL);
	if (oom_at < n) {   /* the run stops: the points that finished written, then why */
		write_points(w);
		if (w->rc == TRACE_OK) {
			snprintf(w->err, sizeof(w->err), "point %zu: %.980s", b->which[oom_at],
				 b->jobs[oom_at].err);
			w->rc = TRACE_ENOMEM;
		}
	} else if (small_thread(&w->th, write_points, w) != 0) {
		write_points(w);
	} else {
		w->started = 1;
		return TRACE_OK;
	}
	pthread_mutex_destroy(&w->mu);
	return TRACE_OK;
}

/* The points of trace T within LO..HI that have no file, into TODO
 * (*NTODO of them). */
static int points_to_run(const sweep_plan *p, size_t t, size_t lo, size_t hi, size_t *todo,
			 size_t *ntodo, char *err, size_t errlen)
{
	size_t first = t * p->combos, last = first + p->combos - 1;
	*ntodo = 0;
	if (last < lo || first > hi)
		return TRACE_OK;
	for (size_t n = first > lo ? first : lo; n <= last && n <= hi; n++) {
		int done, rc = point_done(p, n, &done, err, errlen);
		if (rc != TRACE_OK)
			return rc;
		if (!done)
			todo[(*ntodo)++] = n;
	}
	return TRACE_OK;
}

/* Join W into *RC (when it is TRACE_OK) and ERR. */
static void join_into(writer *w, size_t *ran, int *rc, char *err, size_t errlen)
{
	char e[1024];
	int wrc = writer_join(w, ran, e, sizeof(e));
	if (*rc == TRACE_OK && wrc != TRACE_OK) {
		*rc = wrc;
		snprintf(err, errlen, "%s", e);
	}
}

/* Where the points are, for sweep_run_opts.step: the batch's decode ticks. */
typedef struct plan_steps {
	const sweep_run_opts *o;
	size_t total, skipped;
	double before;          /* points finished before the batch (skipped ones too) */
	size_t batch;           /* points in the batch */
} plan_steps;

static void plan_tick(void *ctx, uint64_t done, uint64_t total)
{
	plan_steps *ps = ctx;
	double frac = total ? (double)done / (double)total : 0;
	ps->o->step(ps->o->ctx, ps->before + (frac < 1 ? frac : 1) * (double)ps->batch, ps->total,
		    ps->skipped);
}

int sweep_plan_run(sweep_plan *p, size_t lo, size_t hi, const sweep_run_opts *o_in,
		   size_t *ran, char *err, size_t errlen)
{
	sweep_run_opts ob = *o_in;
	const sweep_run_opts *o = &ob;
	ob.replay.skip = p->cfg.skip;
	ob.replay.warmup = p->cfg.warmup;
	plan_steps st = { .o = o_in, .total = hi - lo + 1 };
	if (o_in->step) {
		ob.replay.tick = plan_tick;
		ob.replay.tick_ctx = &st;
	}
	size_t cap = o->batch;
	int rc = TRACE_OK;
	*ran = 0;
	/* Two writers: one batch replaying, the one before it being written. */
	sweep_job *jobs = calloc(cap, sizeof(*jobs));
	param_reg **regs = calloc(cap, sizeof(*regs));
	size_t *todo = calloc(p->combos, sizeof(*todo));
	writer *w = calloc(2, sizeof(*w));
	unsigned set = 0;
	if (!jobs || !regs || !todo || !w)
		rc = oom(err, errlen);
	for (size_t t = 0; rc == TRACE_OK && t < p->cfg.ntraces; t++) {
		size_t ntodo;
		rc = points_to_run(p, t, lo, hi, todo, &ntodo, err, errlen);
		if (rc != TRACE_OK)
			continue;
		/* (the points of LO..HI this trace has, less those to run) */
		size_t first = t * p->combos, last = first + p->combos - 1;
		if (last >= lo && first <= hi) {
			size_t in = (last < hi ? last : hi) - (first > lo ? first : lo) + 1;
			st.skipped += in - ntodo;
			st.before += (double)(in - ntodo);
		}
		if (!ntodo)
			continue;
		double t0 = now();
		size_t decodes = 0;
		int trc = TRACE_OK;
		for (size_t b = 0; rc == TRACE_OK && trc == TRACE_OK && b < ntodo; b += cap) {
			batch bt = { .jobs = jobs, .regs = regs, .which = &todo[b],
				     .n = ntodo - b < cap ? ntodo - b : cap };
			memset(bt.jobs, 0, bt.n * sizeof(*bt.jobs));
			st.batch = bt.n;
			if (o->step)
				o->step(o->ctx, st.before, st.total, st.skipped);
			rc = run_batch(p, t, &bt, todo[ntodo - 1], o, &w[set], &trc, err, errlen);
			st.before += (double)bt.n;
			if (o->step)
				o->step(o->ctx, st.before, st.total, st.skipped);
			batch_free(&bt);
			/* The batch before is written by now, or the run waits for it. */
			join_into(&w[set ^ 1], ran, &rc, err, errlen);
			set ^= 1;
			decodes++;
		}
		/* The trace's last batch written before its progress is said (and
		 * before the next trace's todo list replaces this one's). */
		join_into(&w[set ^ 1], ran, &rc, err, errlen);
		if (rc == TRACE_OK && o->progress)
			o->progress(o->ctx, p->cfg.traces[t], ntodo, decodes, cap, now() - t0);
	}
	if (w) {
		join_into(&w[0], ran, &rc, err, errlen);
		join_into(&w[1], ran, &rc, err, errlen);
	}
	free(jobs);
	free(regs);
	free(todo);
	free(w);
	return rc;
}
