/*
 * sim/cli/sweep.c - `slatsim sweep`: the cross product of --grid values
 * over one or more traces, each trace decoded once for each batch of its
 * points (sim/sweep.h; --batch machines alive at a time, so memory does not
 * grow with the grid), locally on -j threads or as a Slurm array job / GNU
 * parallel job list; results in one directory:
 *
 *   DIR/sweep.json        the sweep: its arguments, every point (trace,
 *                         swept values) and each trace's fingerprint (every
 *                         file read: size, time, content hash); a second
 *                         run into DIR must be the same sweep of the same
 *                         bytes, or is refused naming what differs
 *   DIR/points/N.json     point N's `slatsim run --json`, byte for byte;
 *                         one that exists, and is that point's (trace,
 *                         configuration), is finished and not rerun
 *   DIR/results.csv       one row per point: point, trace, each swept
 *   DIR/results.json      parameter, every statistic (read back from the
 *                         point files, so a resumed or collected sweep gives
 *                         the same bytes as one run through)
 *   DIR/sweep.sbatch      --emit slurm: an array job, a task per point
 *   DIR/jobs.txt          --emit gnu-parallel: a command per point
 *
 * Every file goes through lib/outfile.h: complete or absent, never half.
 */
#include "cli.h"
#include "json.h"
#include "jsonr.h"
#include "machine.h"
#include "report.h"
#include "sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_GRIDS 16
#define MAX_VALUES 256
#define MAX_TRACES 256
/* Points replayed together from one decode of their trace, by default: the
 * machines of one batch are alive at once (about 2.7 MB each at the default
 * configuration, plus the page tables a trace makes), so memory follows the
 * batch, not the grid; a trace is decoded once per batch (the decode is
 * about half of a lone run of the shipped capture). --batch changes it. */
#define SWEEP_BATCH 16
#define SWEEP_BATCH_MAX 4096

static const char *const sweep_usage =
	"usage: slatsim sweep --grid 'key=v1,v2,...'... [--config FILE]... [--set key=value]...\n"
	"                     [-j N] [--batch N] [--out DIR] [--format F] [--quiet] TRACE...\n"
	"       slatsim sweep ... --emit slurm|gnu-parallel --out DIR TRACE...\n"
	"       slatsim sweep --collect DIR\n"
	"\n"
	"Replay every TRACE under every combination of the --grid values (the first\n"
	"--grid varies slowest), on top of --config files and --set overrides (a\n"
	"grid value overrides both). Points of one trace share one decode of it: the\n"
	"decoded records are fed to each point's machine in turn, on -j N threads\n"
	"(each thread its share of the points), --batch N points at a time (default\n"
	"16, at least -j): the machines of a batch are alive together (a few MB each,\n"
	"plus the page tables the trace makes), and each batch decodes the trace once.\n"
	"Every point is checked before any runs. Values are separated by commas, or\n"
	"by ';' when the key takes a list (--grid 'vcpu.domain=0,1;0,0'). Keys\n"
	"joined by ':' (8 at most) vary together, a value for each joined by ':'\n"
	"(one axis, not a product):\n"
	"--grid 'tlb.l2.entries:tlb.l2.ways=512:4,1536:12,2048:16'.\n"
	"\n"
	"DIR (default 'sweep') gets points/N.json for point N - exactly what\n"
	"'slatsim run --json' writes for that point - then results.csv and\n"
	"results.json: one row per point with the trace, each swept parameter and\n"
	"every statistic. A sweep run again into DIR skips finished points (so an\n"
	"interrupted sweep resumes); DIR must hold the same sweep (sweep.json: the\n"
	"arguments, the effective configuration, and every file each trace reads with\n"
	"its size, modification time and content hash), and a point file there must\n"
	"be that point's.\n"
	"\n"
	"--emit slurm writes DIR/sweep.sbatch, an array job with a task per point\n"
	"(submit it with sbatch; DIR must be on a shared file system); --emit\n"
	"gnu-parallel writes DIR/jobs.txt, a command per point for a POSIX shell\n"
	"(parallel --sshloginfile HOSTS < DIR/jobs.txt). Neither runs anything; every\n"
	"path in them is quoted, and one a script cannot hold (a line break; in the\n"
	"Slurm log path '%', '\\', 'hetjob', 'packjob') is refused. --collect DIR then\n"
	"writes DIR/results.csv and results.json from the points files, each checked\n"
	"to be its point (same trace, configuration and slatsim; numeric statistics).\n"
	"--point A[-B] runs only those points and writes no results (what a task\n"
	"does). --decode shared|thread: with -j, one decode for every thread\n"
	"(default) or one per thread.\n";

/* ---------------------------------------------------------------- the sweep */

#define MAX_LINKED 8   /* keys of one --grid joined by ':' */

typedef struct grid {
	const char *key;            /* as given: "k" or "k1:k2..." */
	char *keys[MAX_LINKED];     /* malloc'd: its keys */
	size_t nk;
	char *values[MAX_VALUES];   /* malloc'd, as given: "v" or "v1:v2..." */
	char *canon[MAX_VALUES];    /* malloc'd, the same as the registry writes them
				       ("1K" -> "1024", "0x200" -> "512"): the results' */
	size_t n;
} grid;

typedef struct sweep_def {
	config_args c;
	grid g[MAX_GRIDS];
	size_t ngrids;
	const char *traces[MAX_TRACES];
	size_t ntraces;
	enum trace_format fmt;
	const char *dir;
	size_t combos, points;      /* per trace; in all */
	sweep_print prints[MAX_TRACES];   /* what each trace was when the sweep began */
	size_t batch;               /* points replayed together from one decode */
} sweep_def;

/* Point N: its trace and the value index of each grid. */
static size_t point_trace(const sweep_def *d, size_t n) { return n / d->combos; }

static size_t point_index(const sweep_def *d, size_t n, size_t gi)
{
	size_t combo = n % d->combos;
	for (size_t k = d->ngrids; k-- > gi + 1;)
		combo /= d->g[k].n;
	return combo % d->g[gi].n;
}

static const char *point_value(const sweep_def *d, size_t n, size_t gi)
{
	return d->g[gi].values[point_index(d, n, gi)];
}

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

/* Set grid G's VALUE (every linked key its part) in P. */
static int set_grid_value(param_reg *p, const grid *g, const char *value, char *err,
			  size_t errlen)
{
	for (size_t k = 0; k < g->nk; k++) {
		char part[4096];
		const char *v = g->nk == 1 ? value : linked_part(value, k, part, sizeof(part));
		if (!v) {
			snprintf(err, errlen, "--grid %s: the value '%.200s' has no part %zu of "
				 "at most %zu bytes", g->key, value, k + 1, sizeof(part) - 1);
			return PARAM_ERR;
		}
		int rc = param_set(p, g->keys[k], v, "--grid", err, errlen);
		if (rc != PARAM_OK)
			return rc;
	}
	return PARAM_OK;
}

/* The same value as the registry writes it (the results' text). */
static const char *point_canon(const sweep_def *d, size_t n, size_t gi)
{
	return d->g[gi].canon[point_index(d, n, gi)];
}

/* The registry of point N: the base configuration, then its grid values. */
static param_reg *point_params(const args *a, const sweep_def *d, size_t n)
{
	param_reg *p = cli_build_params(a, &d->c);
	char err[512];
	for (size_t gi = 0; gi < d->ngrids; gi++)
		if (set_grid_value(p, &d->g[gi], point_value(d, n, gi), err, sizeof(err)) !=
		    PARAM_OK)
			cli_die(EXIT_BAD, "%s", err);
	return p;
}

static void parse_grid(const args *a, sweep_def *d, const char *spec)
{
	if (d->ngrids == MAX_GRIDS)
		cli_usage_error(a, "too many --grid options (%d at most)", MAX_GRIDS);
	const char *eqs = strchr(spec, '=');
	if (!eqs || eqs == spec || !eqs[1])
		cli_usage_error(a, "--grid '%s': expected key=v1,v2,...", spec);
	grid *g = &d->g[d->ngrids++];
	char *key = strndup(spec, (size_t)(eqs - spec));
	if (!key)
		cli_die(EXIT_FAIL, "out of memory");
	g->key = key;
	for (const char *k = key;;) {
		const char *e = strchr(k, ':');
		size_t l = e ? (size_t)(e - k) : strlen(k);
		if (!l)
			cli_usage_error(a, "--grid '%s': an empty key", spec);
		if (g->nk == MAX_LINKED)
			cli_usage_error(a, "--grid '%s': %d keys at most vary together", spec,
					MAX_LINKED);
		if (!(g->keys[g->nk++] = strndup(k, l)))
			cli_die(EXIT_FAIL, "out of memory");
		const char *nk = g->keys[g->nk - 1];
		for (size_t gi = 0; gi < d->ngrids; gi++) {
			/* (this grid: only the keys before the new one) */
			size_t upto = &d->g[gi] == g ? g->nk - 1 : d->g[gi].nk;
			for (size_t j = 0; j < upto; j++)
				if (strcmp(d->g[gi].keys[j], nk) == 0)
					cli_usage_error(a, "--grid %s given twice", nk);
		}
		if (!e)
			break;
		k = e + 1;
	}
	char sepc = strchr(eqs + 1, ';') ? ';' : ',';
	for (const char *v = eqs + 1;;) {
		const char *e = strchr(v, sepc);
		size_t l = e ? (size_t)(e - v) : strlen(v);
		if (!l)
			cli_usage_error(a, "--grid '%s': an empty value", spec);
		if (g->n == MAX_VALUES)
			cli_usage_error(a, "--grid %s: too many values (%d at most)", key, MAX_VALUES);
		if (!(g->values[g->n++] = strndup(v, l)))
			cli_die(EXIT_FAIL, "out of memory");
		if (!e)
			break;
		v = e + 1;
	}
	/* Each value refused now, by name, rather than at its point. */
	param_reg *p = param_create();
	char err[512];
	if (!p || machine_params_register(p) != PARAM_OK)
		cli_die(EXIT_FAIL, "out of memory (parameter registry)");
	for (size_t i = 0; i < g->n; i++) {
		if (g->nk > 1) {
			size_t parts = 1;
			for (const char *c = g->values[i]; (c = strchr(c, ':')); c++)
				parts++;
			if (parts != g->nk)
				cli_usage_error(a, "--grid %s: the value '%s' has %zu part%s for "
						"%zu keys (join one value per key with ':')", key,
						g->values[i], parts, parts == 1 ? "" : "s", g->nk);
		}
		if (set_grid_value(p, g, g->values[i], err, sizeof(err)) != PARAM_OK)
			cli_die(EXIT_BAD, "%s", err);
		size_t len = 1;
		for (size_t k = 0; k < g->nk; k++)
			len += strlen(param_text(p, g->keys[k])) + 1;
		if (!(g->canon[i] = malloc(len)))
			cli_die(EXIT_FAIL, "out of memory");
		g->canon[i][0] = '\0';
		for (size_t k = 0; k < g->nk; k++) {
			if (k)
				strcat(g->canon[i], ":");
			strcat(g->canon[i], param_text(p, g->keys[k]));
		}
	}
	param_destroy(p);
}

/* ---------------------------------------------------------------- files */

static char *path_of(const char *dir, const char *name)
{
	size_t l = strlen(dir) + strlen(name) + 2;
	char *p = malloc(l);
	if (!p)
		cli_die(EXIT_FAIL, "out of memory");
	snprintf(p, l, "%s/%s", dir, name);
	return p;
}

static char *point_path(const char *dir, size_t n)
{
	char name[64];
	snprintf(name, sizeof(name), "points/%zu.json", n);
	return path_of(dir, name);
}

static void make_dir(const char *path)
{
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		cli_die(EXIT_BAD, "%s: cannot create the directory: %s", path, strerror(errno));
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		cli_die(EXIT_BAD, "%s: not a directory", path);
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* ---------------------------------------------------------------- JSON read back */

/* Exit status for a message of jsonr_load / jsonr_parse: out of memory is
 * 1, as everywhere; anything else (a file that is not JSON) is 2. */
static int json_status(const char *err)
{
	return strstr(err, "out of memory") ? EXIT_FAIL : EXIT_BAD;
}

/* Whether A and B are the same value: numbers and strings by their text,
 * object members by name (in any order). */
static int jv_equal(const jsonr *a, const jsonr *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case JSONR_NULL:
		return 1;
	case JSONR_BOOL:
		return a->truth == b->truth;
	case JSONR_NUM:
	case JSONR_STR:
		return strcmp(a->text, b->text) == 0;
	case JSONR_ARR:
		if (a->n != b->n)
			return 0;
		for (size_t i = 0; i < a->n; i++)
			if (!jv_equal(&a->items[i], &b->items[i]))
				return 0;
		return 1;
	case JSONR_OBJ:
		if (a->n != b->n)
			return 0;
		for (size_t i = 0; i < a->n; i++) {
			const jsonr *v = jsonr_get(b, a->keys[i]);
			if (!v || !jv_equal(&a->items[i], v))
				return 0;
		}
		return 1;
	}
	return 0;
}

/* V as short text for a message. */
static const char *jv_text(const jsonr *v, char *buf, size_t len)
{
	if (!v)
		return "(none)";
	switch (v->type) {
	case JSONR_NULL:
		return "null";
	case JSONR_BOOL:
		return v->truth ? "true" : "false";
	case JSONR_NUM:
		return v->text;
	case JSONR_STR:
		snprintf(buf, len, "\"%s\"", v->text);
		return buf;
	case JSONR_ARR: {
		size_t k = (size_t)snprintf(buf, len, "[");
		for (size_t i = 0; i < v->n && k < len; i++) {
			char sub[256];
			k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "",
					      v->items[i].type == JSONR_NUM ? v->items[i].text
					      : jv_text(&v->items[i], sub, sizeof(sub)));
		}
		if (k < len)
			snprintf(buf + k, len - k, "]");
		return buf;
	}
	case JSONR_OBJ:
		return "{...}";
	}
	return "?";
}

/* The first member of object A that B lacks or holds otherwise, or of B
 * that A lacks: its name (NULL if none), the two values in *VA and *VB. */
static const char *jv_first_diff(const jsonr *a, const jsonr *b, const jsonr **va,
				 const jsonr **vb)
{
	for (size_t i = 0; i < a->n; i++) {
		const jsonr *v = jsonr_get(b, a->keys[i]);
		if (!v || !jv_equal(&a->items[i], v)) {
			*va = &a->items[i];
			*vb = v;
			return a->keys[i];
		}
	}
	for (size_t i = 0; i < b->n; i++)
		if (!jsonr_get(a, b->keys[i])) {
			*va = NULL;
			*vb = &b->items[i];
			return b->keys[i];
		}
	return NULL;
}

/* The manifest of the sweep: deterministic text, compared byte for byte
 * when DIR already holds one. Besides the arguments it holds what they
 * stood for when the sweep began - the effective base configuration (what
 * the config files said) and the fingerprint of each trace (sweep.h: every
 * file read, its size, modification time and content hash) - so that a
 * resumed sweep does not mix points of an edited configuration or trace
 * with points of the old one. */
static void write_manifest(FILE *f, const args *a, const sweep_def *d)
{
	json_w j;
	json_init(&j, f, 1);
	json_begin_obj(&j, NULL);
	json_str(&j, "slatsim", SLATSIM_VERSION);
	json_str(&j, "format", trace_format_name(d->fmt));
	json_begin_arr(&j, "config_files");
	for (int i = 0; i < d->c.nfiles; i++)
		json_str(&j, NULL, d->c.files[i]);
	json_end_arr(&j);
	json_begin_arr(&j, "sets");
	for (int i = 0; i < d->c.nsets; i++)
		json_str(&j, NULL, d->c.sets[i]);
	json_end_arr(&j);
	param_reg *base = cli_build_params(a, &d->c);
	report_json_config(&j, base);
	param_destroy(base);
	json_begin_arr(&j, "trace_files");
	for (size_t t = 0; t < d->ntraces; t++) {
		const sweep_print *fp = &d->prints[t];
		json_begin_obj(&j, NULL);
		json_str(&j, "path", d->traces[t]);
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
	for (size_t gi = 0; gi < d->ngrids; gi++) {
		json_begin_obj(&j, NULL);
		json_str(&j, "key", d->g[gi].key);
		json_begin_arr(&j, "values");
		for (size_t v = 0; v < d->g[gi].n; v++)
			json_str(&j, NULL, d->g[gi].values[v]);
		json_end_arr(&j);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_begin_arr(&j, "traces");
	for (size_t t = 0; t < d->ntraces; t++)
		json_str(&j, NULL, d->traces[t]);
	json_end_arr(&j);
	json_begin_arr(&j, "points");
	for (size_t n = 0; n < d->points; n++) {
		json_begin_obj(&j, NULL);
		json_u64(&j, "point", n);
		json_str(&j, "trace", d->traces[point_trace(d, n)]);
		json_begin_obj(&j, "params");
		for (size_t gi = 0; gi < d->ngrids; gi++)
			for (size_t k = 0; k < d->g[gi].nk; k++) {
				char part[4096];   /* (set_grid_value refused what does not fit) */
				const char *v = point_canon(d, n, gi);
				json_str(&j, d->g[gi].keys[k], d->g[gi].nk == 1 ? v :
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
 * E is not one. */
static int print_of_json(const jsonr *e, sweep_print *out)
{
	const jsonr *fs = jsonr_get(e, "files");
	*out = (sweep_print){ 0 };
	if (!fs || fs->type != JSONR_ARR)
		return -1;
	if (!(out->f = calloc(fs->n ? fs->n : 1, sizeof(*out->f))))
		cli_die(EXIT_FAIL, "out of memory");
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

/* DIR already holds a manifest, OLD (OLDLEN bytes), that is not NOW: why
 * the run is refused, in MSG - the first file of a trace that changed,
 * appeared or vanished, the configuration key, the option. Returns the
 * exit status. */
static int manifest_differs(const char *path, const sweep_def *d, const char *old,
			    size_t oldlen, const char *now, size_t nowlen, char *msg, size_t len)
{
	static const struct { const char *key, *what; } names[] = {
		{ "slatsim", "slatsim version" }, { "format", "--format" },
		{ "config_files", "--config files" }, { "sets", "--set options" },
		{ "grid", "--grid" }, { "traces", "traces" }, { "points", "points" },
	};
	char err[1024], detail[4096], b1[512], b2[512];
	jsonr *o = jsonr_parse(old, oldlen, err, sizeof(err)), *n = NULL;
	if (!o) {
		snprintf(msg, len, "%s: not a sweep manifest (%s); give another --out, or remove %s "
			 "to start afresh", path, err, d->dir);
		return json_status(err);
	}
	if (!(n = jsonr_parse(now, nowlen, err, sizeof(err)))) {
		jsonr_free(o);
		snprintf(msg, len, "out of memory (%s)", err);
		return EXIT_FAIL;
	}
	const jsonr *otf = jsonr_get(o, "trace_files");
	for (size_t i = 0; otf && otf->type == JSONR_ARR && i < otf->n; i++)
		if (!jsonr_get(&otf->items[i], "files")) {
			snprintf(msg, len, "%s: begun by a slatsim that recorded each trace's size "
				 "and time only, not what it holds, so it cannot be resumed safely (a "
				 "trace edited with its size and time kept would mix its points with the "
				 "old ones); give another --out, or remove %s to start afresh", path,
				 d->dir);
			jsonr_free(o);
			jsonr_free(n);
			return EXIT_BAD;
		}
	detail[0] = '\0';
	const jsonr *va = jsonr_get(o, "slatsim"), *vb = jsonr_get(n, "slatsim");
	if (!va || !jv_equal(va, vb))
		snprintf(detail, sizeof(detail), "it was begun by slatsim %s, this is %s",
			 jv_text(va, b1, sizeof(b1)), jv_text(vb, b2, sizeof(b2)));
	/* A trace's files: the first that differs. */
	for (size_t t = 0; !detail[0] && otf && otf->type == JSONR_ARR && t < d->ntraces; t++)
		for (size_t i = 0; i < otf->n; i++) {
			const jsonr *pth = jsonr_get(&otf->items[i], "path");
			if (!pth || pth->type != JSONR_STR || strcmp(pth->text, d->traces[t]) != 0)
				continue;
			sweep_print was;
			if (print_of_json(&otf->items[i], &was) != 0)
				snprintf(detail, sizeof(detail), "its record of the trace %s is damaged",
					 d->traces[t]);
			else
				sweep_print_diff(d->traces[t], &was, &d->prints[t], detail,
						 sizeof(detail));
			sweep_print_free(&was);
			break;
		}
	const jsonr *ca = jsonr_get(o, "config"), *cb = jsonr_get(n, "config");
	const char *key;
	if (!detail[0] && ca && ca->type == JSONR_OBJ &&
	    (key = jv_first_diff(ca, cb, &va, &vb)))
		snprintf(detail, sizeof(detail), "its configuration differs (a --config file changed "
			 "or another was given): %s was %s, is %s", key, jv_text(va, b1, sizeof(b1)),
			 jv_text(vb, b2, sizeof(b2)));
	for (size_t i = 0; !detail[0] && i < sizeof(names) / sizeof(names[0]); i++) {
		va = jsonr_get(o, names[i].key);
		vb = jsonr_get(n, names[i].key);
		if (!va || !jv_equal(va, vb))
			snprintf(detail, sizeof(detail), "its %s differ%s", names[i].what,
				 names[i].what[strlen(names[i].what) - 1] == 's' ? "" : "s");
	}
	if (!detail[0])
		snprintf(detail, sizeof(detail), "not the same sweep");
	snprintf(msg, len, "%s: holds a different sweep: %s; give another --out, or remove %s to "
		 "start afresh", path, detail, d->dir);
	jsonr_free(o);
	jsonr_free(n);
	return EXIT_BAD;
}

static void manifest(const args *a, const sweep_def *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		cli_die(EXIT_FAIL, "out of memory");
	write_manifest(m, a, d);
	if (fclose(m) != 0)
		cli_die(EXIT_FAIL, "out of memory");
	char *path = path_of(d->dir, "sweep.json");
	FILE *f = fopen(path, "rb");
	if (!f && errno != ENOENT)
		cli_die(EXIT_BAD, "%s: cannot read: %s", path, strerror(errno));
	if (f) {
		char *old = malloc(len + 2);
		if (!old)
			cli_die(EXIT_FAIL, "out of memory");
		size_t got = fread(old, 1, len + 1, f);
		if (got == len + 1) {   /* longer than ours: read it all for the message */
			size_t cap = 2 * (len + 2);
			for (;;) {
				char *o2 = realloc(old, cap);
				if (!o2)
					cli_die(EXIT_FAIL, "out of memory");
				old = o2;
				got += fread(old + got, 1, cap - got, f);
				if (got < cap)
					break;
				cap *= 2;
			}
		}
		fclose(f);
		if (got != len || memcmp(old, text, len) != 0) {
			char msg[8192];
			int code = manifest_differs(path, d, old, got, text, len, msg, sizeof(msg));
			free(old);
			free(text);
			free(path);
			cli_die(code, "%s", msg);
		}
		free(old);
	} else {
		outfile *o = cli_output(a, path, "sweep.json", 0);
		if (fwrite(text, 1, len, outfile_stream(o)) != len)
			cli_write_failed(o, "sweep.json: write error");
		cli_commit(o);
	}
	free(path);
	free(text);
}

/* ---------------------------------------------------------------- emit
 *
 * A script holds every path and value quoted for what reads that place:
 * the shell's lines single-quoted ('...', a quote as '\''), the #SBATCH
 * --output path double-quoted for sbatch. What a place cannot hold is
 * refused before anything is written, naming the path and the byte:
 * - a line break (LF or CR) anywhere: a job of jobs.txt is one line, and
 *   sbatch reads the script a line at a time (its #SBATCH lines; it refuses
 *   a script with DOS line breaks), so what follows the break would be read
 *   as a line of its own - a command of the shell's;
 * - in the Slurm output path: '%' (slurmstepd expands %A, %a, %j, %N, ...
 *   there, and versions without the %% escape exist: fname_create in
 *   src/slurmd/slurmstepd/fname.c), '\' (a backslash anywhere makes Slurm
 *   take the path literally and drop the backslashes: is_path_escaped -
 *   every task would then write the one file 'slurm-%A_%a.out'), and the
 *   words "hetjob" and "packjob" in any case (sbatch takes an #SBATCH line
 *   holding either as the separator of a heterogeneous job's components:
 *   src/sbatch/opt.c, _get_argument and _opt_batch_script).
 */

typedef struct emit_ctx {
	int slurm;
	const char *kind;          /* "slurm" or "gnu-parallel" */
	char self[4096];           /* this slatsim, which the tasks run */
	char cwd[4096];            /* where relative paths are */
	char *output;              /* slurm: the --output pattern, absolute */
} emit_ctx;

/* S for a POSIX shell: single-quoted, a quote as '\''. */
static void put_sh(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* S as part of an #SBATCH argument: in double quotes, '"', '\'', '#' and
 * '\\' after a backslash. sbatch's parser (src/sbatch/opt.c _get_argument)
 * takes a quoted stretch as part of one argument, blanks and all, and a
 * backslash makes the next byte literal; older versions quote with '"'
 * only and end the line at any '#', hence the escapes of '\'' and '#'. */
static void put_sbatch(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (strchr("\"'#\\", *s))
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Refuse S (WHAT: "the trace 'x'"...) when the script cannot hold it on a
 * line: a line feed or a carriage return. */
static void emit_check_line(const emit_ctx *e, const char *what, const char *s)
{
	const char *c = strpbrk(s, "\n\r");
	if (c)
		cli_die(EXIT_BAD, "--emit %s: %s '%s' holds a %s (byte 0x%02x), which %s cannot "
			"hold: the rest would be read as a line of its own; rename it", e->kind, what,
			s, *c == '\n' ? "line feed" : "carriage return", (unsigned char)*c,
			e->slurm ? "a line of a Slurm batch script" : "a job line of jobs.txt");
}

/* Refuse S (part WHAT of the Slurm output path E->output) when sbatch or
 * Slurm would read it as something else than a path. */
static void emit_check_output(const emit_ctx *e, const char *what, const char *s)
{
	static const char *const words[] = { "hetjob", "packjob" };
	const char *c = strchr(s, '%');
	if (c)
		cli_die(EXIT_BAD, "--emit slurm: %s '%s' holds '%%' (byte 0x25), which Slurm "
			"expands in the task log path %s (a filename pattern: %%A, %%a, %%j...); "
			"use an --out directory without it", what, s, e->output);
	if ((c = strchr(s, '\\')))
		cli_die(EXIT_BAD, "--emit slurm: %s '%s' holds '\\' (byte 0x5c), with which Slurm "
			"would take the task log path %s literally (no %%A_%%a: every task "
			"one file) and drop the backslash; use an --out directory without it", what,
			s, e->output);
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		for (const char *p = s; *p; p++)
			if (strncasecmp(p, words[w], strlen(words[w])) == 0)
				cli_die(EXIT_BAD, "--emit slurm: %s '%s' holds '%.*s', which sbatch "
					"takes in an #SBATCH line (here the task log path %s) as the "
					"separator of a heterogeneous job; use an --out directory "
					"without it", what, s, (int)strlen(words[w]), p, e->output);
}

/* Everything the script of KIND will hold, checked before DIR is made. */
static void emit_prepare(emit_ctx *e, const sweep_def *d, const char *kind)
{
	e->kind = kind;
	e->slurm = strcmp(kind, "slurm") == 0;
	ssize_t l = readlink("/proc/self/exe", e->self, sizeof(e->self) - 1);
	if (l <= 0 || !getcwd(e->cwd, sizeof(e->cwd)))
		cli_die(EXIT_FAIL, "cannot find slatsim's own path or the working directory");
	e->self[l] = '\0';
	emit_check_line(e, "slatsim's own path", e->self);
	emit_check_line(e, "the working directory", e->cwd);
	emit_check_line(e, "the --out directory", d->dir);
	for (size_t t = 0; t < d->ntraces; t++)
		emit_check_line(e, "the trace", d->traces[t]);
	for (int i = 0; i < d->c.nfiles; i++)
		emit_check_line(e, "the --config file", d->c.files[i]);
	for (int i = 0; i < d->c.nsets; i++)
		emit_check_line(e, "--set", d->c.sets[i]);
	for (size_t gi = 0; gi < d->ngrids; gi++)
		for (size_t v = 0; v < d->g[gi].n; v++)
			emit_check_line(e, "the --grid value", d->g[gi].values[v]);
	e->output = NULL;
	if (!e->slurm)
		return;
	static const char tail[] = "/slurm-%A_%a.out";
	int rel = d->dir[0] != '/';
	size_t len = (rel ? strlen(e->cwd) + 1 : 0) + strlen(d->dir) + sizeof(tail);
	if (!(e->output = malloc(len)))
		cli_die(EXIT_FAIL, "out of memory");
	snprintf(e->output, len, "%s%s%s%s", rel ? e->cwd : "", rel ? "/" : "", d->dir, tail);
	emit_check_output(e, "the --out directory", d->dir);
	if (rel)
		emit_check_output(e, "the working directory", e->cwd);
}

/* The command that runs the points whose numbers follow (POINT_ARG). */
static void put_command(FILE *f, const sweep_def *d, const char *self, const char *point_arg)
{
	put_sh(f, self);
	fputs(" sweep --quiet", f);
	for (size_t gi = 0; gi < d->ngrids; gi++) {
		fputs(" --grid ", f);
		char *spec = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&spec, &len);
		if (!m)
			cli_die(EXIT_FAIL, "out of memory");
		char sepc = ',';
		for (size_t v = 0; v < d->g[gi].n; v++)
			if (strchr(d->g[gi].values[v], ','))
				sepc = ';';
		fprintf(m, "%s=", d->g[gi].key);
		for (size_t v = 0; v < d->g[gi].n; v++)
			fprintf(m, "%s%s", v ? (sepc == ';' ? ";" : ",") : "", d->g[gi].values[v]);
		if (fclose(m) != 0)
			cli_die(EXIT_FAIL, "out of memory");
		put_sh(f, spec);
		free(spec);
	}
	for (int i = 0; i < d->c.nfiles; i++) {
		fputs(" --config ", f);
		put_sh(f, d->c.files[i]);
	}
	for (int i = 0; i < d->c.nsets; i++) {
		fputs(" --set ", f);
		put_sh(f, d->c.sets[i]);
	}
	fprintf(f, " --format %s --out ", trace_format_name(d->fmt));
	put_sh(f, d->dir);
	fprintf(f, " --point %s", point_arg);
	for (size_t t = 0; t < d->ntraces; t++) {
		fputc(' ', f);
		put_sh(f, d->traces[t]);
	}
	fputc('\n', f);
}

static void emit(const args *a, const sweep_def *d, emit_ctx *e)
{
	char *path = path_of(d->dir, e->slurm ? "sweep.sbatch" : "jobs.txt");
	outfile *o = cli_output(a, path, "--emit", 0);
	FILE *f = outfile_stream(o);
	if (e->slurm) {
		fprintf(f, "#!/bin/sh\n# slatsim sweep: %zu points, one array task each. Submit: "
			"sbatch ", d->points);
		put_sh(f, path);
		fputs("\n# then: slatsim sweep --collect ", f);
		put_sh(f, d->dir);
		fprintf(f, "\n#SBATCH --job-name=slatsim-sweep\n#SBATCH --array=0-%zu\n"
			"#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n#SBATCH --output=",
			d->points - 1);
		put_sbatch(f, e->output);
		fputs("\ncd ", f);
		put_sh(f, e->cwd);
		fputs(" || exit 1\nexec ", f);
		put_command(f, d, e->self, "\"$SLURM_ARRAY_TASK_ID\"");
	} else {
		for (size_t n = 0; n < d->points; n++) {
			char pa[32];
			snprintf(pa, sizeof(pa), "%zu", n);
			fputs("cd ", f);
			put_sh(f, e->cwd);
			fputs(" && ", f);
			put_command(f, d, e->self, pa);
		}
	}
	cli_commit(o);
	printf("slatsim sweep: %zu points; wrote %s\n", d->points, path);
	fputs(e->slurm ? "  submit: sbatch " : "  run:    parallel --sshloginfile HOSTS < ", stdout);
	put_sh(stdout, path);
	fputs("\n  then:   slatsim sweep --collect ", stdout);
	put_sh(stdout, d->dir);
	fputc('\n', stdout);
	free(path);
	free(e->output);
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

/* ---------------------------------------------------------------- points read back */

/* The "config" object `slatsim run --json` writes for registry P, read
 * back (inside an object: {"config": {...}}). */
static jsonr *config_json(const param_reg *p)
{
	char *text = NULL, err[256];
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		cli_die(EXIT_FAIL, "out of memory");
	json_w j;
	json_init(&j, m, 0);
	json_begin_obj(&j, NULL);
	report_json_config(&j, p);
	json_end_obj(&j);
	json_finish(&j);
	if (fclose(m) != 0)
		cli_die(EXIT_FAIL, "out of memory");
	jsonr *v = jsonr_parse(text, len, err, sizeof(err));
	free(text);
	if (!v)   /* (our own JSON: only memory can fail) */
		cli_die(EXIT_FAIL, "out of memory (%s)", err);
	return v;
}

/* Why point file DOC is not point N of the sweep (written by slatsim
 * VERSION, of TRACE, with the configuration WANT - config_json's), in MSG;
 * NULL if it is: `slatsim run --json` of that point, every statistic a
 * number. A file of another sweep, of another trace, or edited, is not
 * taken for the point (its row would be another configuration's). */
static const char *point_mismatch(const jsonr *doc, size_t n, const char *version,
				  const char *trace, const jsonr *want, char *msg, size_t len)
{
	char b1[512], b2[512];
	const jsonr *v = jsonr_get(doc, "slatsim"), *tr = jsonr_get(doc, "trace");
	const jsonr *tp = jsonr_get(tr, "path"), *cfg = jsonr_get(doc, "config");
	const jsonr *st = jsonr_get(doc, "stats"), *wc = jsonr_get(want, "config"), *va, *vb;
	const char *key;
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
	else if ((key = jv_first_diff(wc, cfg, &va, &vb)))
		snprintf(msg, len, "not point %zu of this sweep: its %s is %s, the point's is %s",
			 n, key, jv_text(vb, b1, sizeof(b1)), jv_text(va, b2, sizeof(b2)));
	else {
		for (size_t i = 0; i < st->n; i++)
			if (st->items[i].type != JSONR_NUM) {
				snprintf(msg, len, "statistic \"%s\" is not a number (%s)", st->keys[i],
					 jv_text(&st->items[i], b1, sizeof(b1)));
				return msg;
			}
		return NULL;
	}
	return msg;
}

/* A manifest "config" value as the text param_set takes. */
static int jv_param_text(const jsonr *v, char *buf, size_t len)
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

/* The registry that manifest MP's "config" object CFG describes. */
static param_reg *manifest_params(const jsonr *cfg, const char *mp)
{
	param_reg *p = param_create();
	char err[1024], text[8192];
	if (!p || machine_params_register(p) != PARAM_OK)
		cli_die(EXIT_FAIL, "out of memory (parameter registry)");
	for (size_t i = 0; i < cfg->n; i++) {
		if (jv_param_text(&cfg->items[i], text, sizeof(text)) != 0)
			cli_die(EXIT_BAD, "%s: config: %s: not a parameter value", mp, cfg->keys[i]);
		if (param_set(p, cfg->keys[i], text, "sweep.json", err, sizeof(err)) != PARAM_OK)
			cli_die(EXIT_BAD, "%s: config: %s", mp, err);
	}
	return p;
}

/* results.csv and results.json of the sweep in DIR, from its manifest and
 * the points files. Dies naming the points that have no file, and a point
 * file that is not the point (point_mismatch). */
static void collect(const args *a, const char *dir)
{
	char err[1024], msg[2048];
	char *mp = path_of(dir, "sweep.json");
	jsonr *man = jsonr_load(mp, err, sizeof(err));
	if (!man)
		cli_die(json_status(err), "%s", err);
	const jsonr *pts = jsonr_get(man, "points"), *grids = jsonr_get(man, "grid");
	const jsonr *mcfg = jsonr_get(man, "config"), *ver = jsonr_get(man, "slatsim");
	if (!pts || pts->type != JSONR_ARR || !grids || grids->type != JSONR_ARR || !mcfg ||
	    mcfg->type != JSONR_OBJ || !ver || ver->type != JSONR_STR)
		cli_die(EXIT_BAD, "%s: not a sweep manifest (no points, grid, config or slatsim)", mp);
	size_t np = pts->n;
	param_reg *reg = manifest_params(mcfg, mp);
	size_t missing = 0, ns = 0, cap = 0;
	char list[256] = "";
	char **names = NULL;
	/* Each point file is read twice, one at a time - checked, its
	 * statistics' names merged, then written as a row - so memory does
	 * not grow with the points. */
	for (size_t n = 0; n < np; n++) {
		char *pp = point_path(dir, n);
		const jsonr *pt = &pts->items[n], *tr = jsonr_get(pt, "trace");
		const jsonr *pa = jsonr_get(pt, "params");
		if (!tr || tr->type != JSONR_STR || !pa || pa->type != JSONR_OBJ)
			cli_die(EXIT_BAD, "%s: point %zu: no trace or params", mp, n);
		if (!exists(pp)) {
			if (missing++ < 10) {
				size_t l = strlen(list);
				snprintf(list + l, sizeof(list) - l, "%s%zu", l ? ", " : "", n);
			}
			free(pp);
			continue;
		}
		jsonr *doc = jsonr_load(pp, err, sizeof(err));
		if (!doc)
			cli_die(json_status(err), "%s", err);
		for (size_t i = 0; i < pa->n; i++)
			if (pa->items[i].type != JSONR_STR ||
			    param_set(reg, pa->keys[i], pa->items[i].text, "sweep.json", err,
				      sizeof(err)) != PARAM_OK)
				cli_die(EXIT_BAD, "%s: point %zu: params: %s", mp, n,
					pa->items[i].type != JSONR_STR ? "not a string" : err);
		jsonr *want = config_json(reg);
		int bad = point_mismatch(doc, n, ver->text, tr->text, want, msg,
					 sizeof(msg)) != NULL;
		jsonr_free(want);
		if (bad) {
			jsonr_free(doc);
			cli_die(EXIT_BAD, "%s: %s", pp, msg);
		}
		/* The statistics' union in order of first appearance (domains
		 * add some). */
		const jsonr *st = jsonr_get(doc, "stats");
		for (size_t i = 0; i < st->n; i++) {
			size_t k = 0;
			while (k < ns && strcmp(names[k], st->keys[i]) != 0)
				k++;
			if (k < ns)
				continue;
			if (ns == cap) {
				cap = cap ? cap * 2 : 256;
				char **nn = realloc(names, cap * sizeof(*nn));
				if (!nn)
					cli_die(EXIT_FAIL, "out of memory");
				names = nn;
			}
			if (!(names[ns++] = strdup(st->keys[i])))
				cli_die(EXIT_FAIL, "out of memory");
		}
		jsonr_free(doc);
		free(pp);
	}
	param_destroy(reg);
	if (missing)
		cli_die(EXIT_BAD, "%s: %zu of %zu points have no result (%s%s): run the sweep (or "
			"the missing tasks) again", dir, missing, np, list, missing > 10 ? ", ..." : "");
	char *cp = path_of(dir, "results.csv"), *jp = path_of(dir, "results.json");
	outfile *co = cli_output(a, cp, "results.csv", 0), *jo = cli_output(a, jp, "results.json", 0);
	FILE *cf = outfile_stream(co), *jf = outfile_stream(jo);
	fputs("point,trace", cf);
	/* A column per swept key: the params of a point (linked keys apart). */
	const jsonr *p0 = np ? jsonr_get(&pts->items[0], "params") : NULL;
	for (size_t i = 0; p0 && p0->type == JSONR_OBJ && i < p0->n; i++) {
		fputc(',', cf);
		put_csv(cf, p0->keys[i]);
	}
	for (size_t k = 0; k < ns; k++) {
		fputc(',', cf);
		put_csv(cf, names[k]);
	}
	fputc('\n', cf);
	json_w j;
	json_init(&j, jf, 1);
	json_begin_arr(&j, NULL);
	for (size_t n = 0; n < np; n++) {
		char *pp = point_path(dir, n);
		jsonr *doc = jsonr_load(pp, err, sizeof(err));
		if (!doc)
			cli_die(json_status(err), "%s", err);
		const jsonr *p = &pts->items[n], *tr = jsonr_get(p, "trace");
		const jsonr *pa = jsonr_get(p, "params"), *st = jsonr_get(doc, "stats");
		for (size_t i = 0; st && st->type == JSONR_OBJ && i < st->n; i++)
			if (st->items[i].type != JSONR_NUM)
				st = NULL;
		if (!st || st->type != JSONR_OBJ)   /* (changed since it was checked) */
			cli_die(EXIT_BAD, "%s: changed while the results were written", pp);
		fprintf(cf, "%zu,", n);
		put_csv(cf, tr->text);
		json_begin_obj(&j, NULL);
		json_u64(&j, "point", n);
		json_str(&j, "trace", tr->text);
		json_begin_obj(&j, "params");
		for (size_t i = 0; i < pa->n; i++) {
			fputc(',', cf);
			put_csv(cf, pa->items[i].text);
			json_str(&j, pa->keys[i], pa->items[i].text);
		}
		json_end_obj(&j);
		json_begin_obj(&j, "stats");
		for (size_t k = 0; k < ns; k++) {
			/* (every value is a number: point_mismatch; a statistic
			 * some points lack - a domain's - is an empty cell) */
			const jsonr *v = jsonr_get(st, names[k]);
			fputc(',', cf);
			if (v) {
				fputs(v->text, cf);
				json_raw(&j, names[k], v->text);
			}
		}
		json_end_obj(&j);
		json_end_obj(&j);
		fputc('\n', cf);
		jsonr_free(doc);
		free(pp);
	}
	json_end_arr(&j);
	json_finish(&j);
	cli_commit(co);
	cli_commit(jo);
	for (size_t k = 0; k < ns; k++)
		free(names[k]);
	free(names);
	jsonr_free(man);
	free(mp);
	free(cp);
	free(jp);
}

/* Every configuration of points LO..HI is built once before anything is
 * written: a grid value the machine refuses (512 TLB entries in 12 ways, a
 * page size the granule does not have) is reported now, for each point it
 * spoils, instead of after DIR holds a sweep.json that no run can finish
 * (and that a corrected command line is then refused by). */
static void check_points(const args *a, const sweep_def *d, size_t lo, size_t hi)
{
	enum { SHOWN = 8 };
	size_t n = hi - lo + 1 < d->combos ? hi - lo + 1 : d->combos, bad = 0;
	char err[1024];
	for (size_t i = 0; i < n; i++) {
		size_t p = lo + i;
		param_reg *r = point_params(a, d, p);
		machine *m;
		int rc = machine_create(&m, r, err, sizeof(err));
		param_destroy(r);
		if (rc == TRACE_OK) {
			machine_destroy(m);
			continue;
		}
		if (rc == TRACE_ENOMEM)   /* one line, as everywhere */
			cli_die(EXIT_FAIL, "point %zu: %s", p, err);
		if (bad++ >= SHOWN)
			continue;
		char vals[1024];
		size_t k = 0;
		vals[0] = '\0';
		for (size_t gi = 0; gi < d->ngrids && k < sizeof(vals); gi++)
			k += (size_t)snprintf(vals + k, sizeof(vals) - k, "%s%s=%s", gi ? " " : "",
					      d->g[gi].key, point_value(d, p, gi));
		cli_warn("point %zu (%s): %s", p, vals, err);
	}
	if (bad)
		cli_die(EXIT_BAD, "%zu of %zu point%s refused%s; nothing was run or written (every "
			"--grid value must make a configuration 'slatsim run' accepts)", bad, n,
			n == 1 ? "" : "s", bad > SHOWN ? " (the first 8 shown)" : "");
}

/* ---------------------------------------------------------------- running */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Whether point P is finished: its file exists and is this sweep's point
 * (point_mismatch; a file left by another sweep or put there by hand is
 * refused, naming it, rather than taken as finished). */
static int point_done(const args *a, const sweep_def *d, size_t p)
{
	char *pp = point_path(d->dir, p);
	if (!exists(pp)) {
		free(pp);
		return 0;
	}
	char err[1024], msg[2048];
	jsonr *doc = jsonr_load(pp, err, sizeof(err));
	if (!doc)
		cli_die(json_status(err), "%s", err);
	param_reg *r = point_params(a, d, p);
	jsonr *want = config_json(r);
	param_destroy(r);
	int bad = point_mismatch(doc, p, SLATSIM_VERSION, d->traces[point_trace(d, p)], want, msg,
				 sizeof(msg)) != NULL;
	jsonr_free(want);
	jsonr_free(doc);
	if (bad) {
		char where[4096];
		snprintf(where, sizeof(where), "%s", pp);
		free(pp);
		cli_die(EXIT_BAD, "%s: %s; remove it to run the point again", where, msg);
	}
	free(pp);
	return 1;
}

/* The trace T is still what the sweep fingerprinted when it began (or
 * the sweep stops, naming the file, before writing points read from it). */
static void trace_unchanged(const sweep_def *d, size_t t, size_t first, size_t last)
{
	char err[1024];
	sweep_print now;
	int rc = sweep_fingerprint(d->traces[t], &now, err, sizeof(err));
	if (rc != TRACE_OK)
		cli_die_trace(rc, err);
	int changed = sweep_print_diff(d->traces[t], &d->prints[t], &now, err, sizeof(err));
	sweep_print_free(&now);
	if (changed)
		cli_die(EXIT_BAD, "%s (read for points %zu..%zu, which were not written; their "
			"sweep cannot go on in %s)", err, first, last, d->dir);
}

/* Run the points [LO, HI] that have no file yet, at most D->batch at a
 * time: each batch is one decode of its trace into that many machines,
 * built for it and destroyed after it, so memory is bounded by the batch,
 * not the grid. Returns the exit status of the failures (0: none); out of
 * memory stops the sweep with one line (what finished is kept). */
static int run_points(const args *a, const sweep_def *d, size_t lo, size_t hi,
		      const sweep_opts *o, int quiet, size_t *ran)
{
	int status = 0;
	char err[1024];
	size_t cap = d->batch;
	*ran = 0;
	sweep_job *jobs = calloc(cap, sizeof(*jobs));
	param_reg **regs = calloc(cap, sizeof(*regs));
	size_t *todo = calloc(d->combos, sizeof(*todo));
	if (!jobs || !regs || !todo)
		cli_die(EXIT_FAIL, "out of memory");
	for (size_t t = 0; t < d->ntraces; t++) {
		size_t first = t * d->combos, last = first + d->combos - 1, ntodo = 0;
		if (last < lo || first > hi)
			continue;
		for (size_t p = first > lo ? first : lo; p <= last && p <= hi; p++)
			if (!point_done(a, d, p))
				todo[ntodo++] = p;
		if (!ntodo)
			continue;
		double t0 = now();
		size_t decodes = 0;
		for (size_t b = 0; b < ntodo; b += cap) {
			size_t n = ntodo - b < cap ? ntodo - b : cap;
			const size_t *which = &todo[b];
			for (size_t i = 0; i < n; i++) {
				regs[i] = point_params(a, d, which[i]);
				int rc = machine_create(&jobs[i].m, regs[i], err, sizeof(err));
				if (rc != TRACE_OK)
					cli_die(rc == TRACE_ENOMEM ? EXIT_FAIL : EXIT_BAD, "point %zu: %s",
						which[i], err);
			}
			trace_header h;
			int trc = sweep_replay(d->traces[t], d->fmt, jobs, n, o, &h, err,
					       sizeof(err));
			decodes++;
			if (trc == TRACE_ENOMEM && n == 1)
				cli_die(EXIT_FAIL, "point %zu: %s", which[0], err);
			if (trc == TRACE_ENOMEM)
				cli_die(EXIT_FAIL, "points %zu..%zu: %s", which[0], which[n - 1], err);
			size_t oom = n;
			if (trc != TRACE_OK) {
				/* The trace itself: one line for all of its points left. */
				if (ntodo - b == 1)
					fprintf(stderr, "slatsim: point %zu: %s\n", which[0], err);
				else
					fprintf(stderr, "slatsim: points %zu..%zu: %s\n", which[0],
						todo[ntodo - 1], err);
				status = status ? status : trc == TRACE_EINTERNAL ? EXIT_FAIL : EXIT_BAD;
			} else {
				trace_unchanged(d, t, which[0], which[n - 1]);
			}
			for (size_t i = 0; trc == TRACE_OK && i < n; i++) {
				if (jobs[i].code == TRACE_ENOMEM) {
					oom = oom < n ? oom : i;
					continue;
				}
				if (jobs[i].code != TRACE_OK) {
					fprintf(stderr, "slatsim: point %zu: %s\n", which[i], jobs[i].err);
					int st = jobs[i].code == TRACE_EINTERNAL ? EXIT_FAIL : EXIT_BAD;
					status = status ? status : st;
					continue;
				}
				char *pp = point_path(d->dir, which[i]);
				outfile *po = cli_output(a, pp, "point", 0);
				report_json(outfile_stream(po), d->traces[t], &h, regs[i],
					    machine_stats(jobs[i].m), jobs[i].m);
				cli_commit(po);
				free(pp);
				(*ran)++;
			}
			if (oom < n)   /* (after the points that finished were written) */
				cli_die(EXIT_FAIL, "point %zu: %s", which[oom], jobs[oom].err);
			for (size_t i = 0; i < n; i++) {
				machine_destroy(jobs[i].m);
				param_destroy(regs[i]);
			}
			if (trc != TRACE_OK)
				break;
		}
		if (!quiet && decodes == 1)
			fprintf(stderr, "  %s: %zu point%s from one decode in %.3f s\n", d->traces[t],
				ntodo, ntodo == 1 ? "" : "s", now() - t0);
		else if (!quiet)
			fprintf(stderr, "  %s: %zu points from %zu decodes (%zu points at most at "
				"once) in %.3f s\n", d->traces[t], ntodo, decodes, cap, now() - t0);
	}
	free(jobs);
	free(regs);
	free(todo);
	return status;
}

static void parse_point_range(const args *a, const char *s, size_t *lo, size_t *hi)
{
	char buf[64];
	const char *dash = strchr(s, '-');
	uint64_t x, y;
	if (!dash) {
		x = cli_parse_count(a, "--point", s, 0);
		y = x;
	} else {
		size_t l = (size_t)(dash - s);
		if (l >= sizeof(buf))
			cli_usage_error(a, "--point '%s': expected N or A-B", s);
		memcpy(buf, s, l);
		buf[l] = '\0';
		x = cli_parse_count(a, "--point", buf, 0);
		y = cli_parse_count(a, "--point", dash + 1, 0);
	}
	if (y < x)
		cli_usage_error(a, "--point '%s': expected N or A-B with A <= B", s);
	*lo = (size_t)x;
	*hi = (size_t)y;
}

static void free_def(sweep_def *d)
{
	for (size_t t = 0; t < d->ntraces; t++)
		sweep_print_free(&d->prints[t]);
	for (size_t gi = 0; gi < d->ngrids; gi++) {
		free((char *)d->g[gi].key);
		for (size_t k = 0; k < d->g[gi].nk; k++)
			free(d->g[gi].keys[k]);
		for (size_t v = 0; v < d->g[gi].n; v++) {
			free(d->g[gi].values[v]);
			free(d->g[gi].canon[v]);
		}
	}
}

int cmd_sweep(args *a)
{
	sweep_def d = { .fmt = TRACE_FMT_AUTO, .dir = "sweep" };
	const char *v, *emit_kind = NULL, *collect_dir = NULL, *point = NULL, *batch = NULL;
	uint64_t threads = 1, together = SWEEP_BATCH;
	int quiet = 0, per_thread = 0;
	while (a->i < a->argc) {
		if (cli_is_help(a->argv[a->i])) {
			fputs(sweep_usage, stdout);
			return 0;
		}
		if (cli_config_opt(a, &d.c))
			continue;
		if ((v = cli_opt_value(a, "--grid"))) { parse_grid(a, &d, v); continue; }
		if ((v = cli_opt_value(a, "--out"))) { d.dir = v; continue; }
		if ((v = cli_opt_value(a, "-j"))) { threads = cli_parse_count(a, "-j", v, 0); continue; }
		if ((v = cli_opt_value(a, "--format"))) { d.fmt = cli_parse_format(a, v); continue; }
		if ((v = cli_opt_value(a, "--emit"))) { emit_kind = v; continue; }
		if ((v = cli_opt_value(a, "--collect"))) { collect_dir = v; continue; }
		if ((v = cli_opt_value(a, "--point"))) { point = v; continue; }
		if ((v = cli_opt_value(a, "--batch"))) {
			batch = v;
			together = cli_parse_range(a, "--batch", v, 1, SWEEP_BATCH_MAX);
			continue;
		}
		if ((v = cli_opt_value(a, "--decode"))) {
			if (strcmp(v, "shared") && strcmp(v, "thread"))
				cli_usage_error(a, "--decode '%s': shared or thread", v);
			per_thread = strcmp(v, "thread") == 0;
			continue;
		}
		if (cli_opt_flag(a, "--quiet")) { quiet = 1; continue; }
		if (a->argv[a->i][0] == '-' && a->argv[a->i][1] != '\0')
			cli_unknown_option(a);
		if (d.ntraces == MAX_TRACES)
			cli_usage_error(a, "too many traces (%d at most)", MAX_TRACES);
		d.traces[d.ntraces++] = a->argv[a->i++];
	}
	if (collect_dir) {
		if (d.ntraces || d.ngrids || emit_kind || point || batch)
			cli_usage_error(a, "--collect DIR takes nothing else");
		outset_add_input(a->outs, collect_dir);
		collect(a, collect_dir);
		printf("slatsim sweep: results in %s/results.csv and %s/results.json\n", collect_dir,
		       collect_dir);
		free_def(&d);
		return 0;
	}
	if (!d.ntraces)
		cli_usage_error(a, "sweep needs at least one TRACE");
	if (!d.ngrids)
		cli_usage_error(a, "sweep needs at least one --grid key=v1,v2,...");
	if (threads < 1 || threads > 256)
		cli_usage_error(a, "-j %" PRIu64 ": between 1 and 256", threads);
	if (emit_kind && strcmp(emit_kind, "slurm") && strcmp(emit_kind, "gnu-parallel"))
		cli_usage_error(a, "--emit '%s': slurm or gnu-parallel", emit_kind);
	for (size_t t = 0; t < d.ntraces; t++) {
		if (strcmp(d.traces[t], "-") == 0)
			cli_usage_error(a, "sweep reads trace files ('-', standard input, cannot be "
					"resumed or shared)");
		if (!exists(d.traces[t]))
			cli_die(EXIT_BAD, "%s: cannot open trace: %s", d.traces[t], strerror(errno));
		cli_need_regular(a, d.traces[t], "sweep (a decode per thread with --decode "
				 "thread, another when resumed)");
		outset_add_input(a->outs, d.traces[t]);
	}
	d.combos = 1;
	for (size_t gi = 0; gi < d.ngrids; gi++) {
		if (d.combos > SIZE_MAX / d.g[gi].n / MAX_TRACES)
			cli_usage_error(a, "the grid has too many points");
		d.combos *= d.g[gi].n;
	}
	d.points = d.combos * d.ntraces;
	size_t lo = 0, hi = d.points - 1;
	if (point) {
		parse_point_range(a, point, &lo, &hi);
		if (hi >= d.points)
			cli_usage_error(a, "--point %s: the sweep has points 0..%zu", point,
					d.points - 1);
	}
	/* The base configuration (and so every config file) is checked now. */
	param_destroy(point_params(a, &d, 0));
	check_points(a, &d, lo, hi);
	emit_ctx e;
	if (emit_kind)
		emit_prepare(&e, &d, emit_kind);
	/* What each trace is now: the manifest holds it, a resume compares it. */
	for (size_t t = 0; t < d.ntraces; t++) {
		char err[1024];
		int rc = sweep_fingerprint(d.traces[t], &d.prints[t], err, sizeof(err));
		if (rc != TRACE_OK)
			cli_die_trace(rc, err);
	}
	make_dir(d.dir);
	char *pd = path_of(d.dir, "points");
	make_dir(pd);
	free(pd);
	manifest(a, &d);
	if (emit_kind) {
		emit(a, &d, &e);
		free_def(&d);
		return 0;
	}
	/* Each thread replays at least one machine of a batch. */
	d.batch = together > threads ? (size_t)together : (size_t)threads;
	sweep_opts o = { .threads = (unsigned)threads, .per_thread_decode = per_thread };
	double t0 = now();
	size_t ran;
	int status = run_points(a, &d, lo, hi, &o, quiet, &ran);
	double el = now() - t0;
	if (status) {
		free_def(&d);
		return status;
	}
	if (!point)
		collect(a, d.dir);
	if (!quiet)
		printf("slatsim sweep: %zu point%s run, %zu finished before, in %.3f s%s%s%s\n", ran,
		       ran == 1 ? "" : "s", hi - lo + 1 - ran, el, point ? "" : "; results in ",
		       point ? "" : d.dir, point ? "" : "/results.csv");
	free_def(&d);
	return 0;
}
