/*
 * sim/cli/sweep.c - `slatsim sweep`: the cross product of --grid values
 * over one or more traces, each trace decoded once for all of its points
 * (sim/sweep.h), locally on -j threads or as a Slurm array job / GNU
 * parallel job list; results in one directory:
 *
 *   DIR/sweep.json        the sweep: its arguments and every point
 *                         (trace, swept values); a second run into DIR must
 *                         be the same sweep
 *   DIR/points/N.json     point N's `slatsim run --json`, byte for byte;
 *                         one that exists is finished and not rerun
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_GRIDS 16
#define MAX_VALUES 256
#define MAX_TRACES 256

static const char *const sweep_usage =
	"usage: slatsim sweep --grid 'key=v1,v2,...'... [--config FILE]... [--set key=value]...\n"
	"                     [-j N] [--out DIR] [--format F] [--quiet] TRACE...\n"
	"       slatsim sweep ... --emit slurm|gnu-parallel --out DIR TRACE...\n"
	"       slatsim sweep --collect DIR\n"
	"\n"
	"Replay every TRACE under every combination of the --grid values (the first\n"
	"--grid varies slowest), on top of --config files and --set overrides (a\n"
	"grid value overrides both). Points of one trace share one decode of it: the\n"
	"decoded batches are fed to each point's machine in turn, on -j N threads\n"
	"(each thread its share of the points). Values are separated by commas, or\n"
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
	"arguments, the effective configuration, each trace's size and mtime).\n"
	"\n"
	"--emit slurm writes DIR/sweep.sbatch, an array job with a task per point\n"
	"(submit it with sbatch; DIR must be on a shared file system); --emit\n"
	"gnu-parallel writes DIR/jobs.txt, a command per point (parallel\n"
	"--sshloginfile HOSTS < DIR/jobs.txt). Neither runs anything. --collect DIR\n"
	"then writes DIR/results.csv and results.json from the points files.\n"
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

/* The manifest of the sweep: deterministic text, compared byte for byte
 * when DIR already holds one. Besides the arguments it holds what they
 * stood for when the sweep began - the effective base configuration (what
 * the config files said) and each trace's size and modification time - so
 * that a resumed sweep does not mix points of an edited configuration or
 * trace with points of the old one. */
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
		struct stat st;
		if (stat(d->traces[t], &st) != 0)
			cli_die(EXIT_BAD, "%s: cannot open trace: %s", d->traces[t], strerror(errno));
		json_begin_obj(&j, NULL);
		json_str(&j, "path", d->traces[t]);
		json_u64(&j, "bytes", (uint64_t)st.st_size);
		json_u64(&j, "mtime_ns", (uint64_t)st.st_mtim.tv_sec * 1000000000u +
			 (uint64_t)st.st_mtim.tv_nsec);
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
	if (f) {
		char *old = malloc(len + 2);
		size_t got = old ? fread(old, 1, len + 1, f) : 0;
		fclose(f);
		int same = old && got == len && memcmp(old, text, len) == 0;
		free(old);
		if (!same)
			cli_die(EXIT_BAD, "%s: holds a different sweep (other traces, grid, --config "
				"or --set, or a config file or trace changed since it began); give "
				"another --out, or remove it", path);
	} else {
		outfile *o = cli_output(a, path, "sweep.json", 0);
		if (fwrite(text, 1, len, outfile_stream(o)) != len)
			cli_write_failed(o, "sweep.json: write error");
		cli_commit(o);
	}
	free(path);
	free(text);
}

/* ---------------------------------------------------------------- emit */

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
		char sepc = ',';
		for (size_t v = 0; v < d->g[gi].n; v++)
			if (strchr(d->g[gi].values[v], ','))
				sepc = ';';
		fprintf(m, "%s=", d->g[gi].key);
		for (size_t v = 0; v < d->g[gi].n; v++)
			fprintf(m, "%s%s", v ? (sepc == ';' ? ";" : ",") : "", d->g[gi].values[v]);
		fclose(m);
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

static void emit(const args *a, const sweep_def *d, const char *kind)
{
	char self[4096], cwd[4096];
	ssize_t l = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (l <= 0 || !getcwd(cwd, sizeof(cwd)))
		cli_die(EXIT_FAIL, "cannot find slatsim's own path or the working directory");
	self[l] = '\0';
	int slurm = strcmp(kind, "slurm") == 0;
	char *path = path_of(d->dir, slurm ? "sweep.sbatch" : "jobs.txt");
	outfile *o = cli_output(a, path, "--emit", 0);
	FILE *f = outfile_stream(o);
	if (slurm) {
		fprintf(f, "#!/bin/sh\n"
			"# slatsim sweep: %zu points, one array task each. Submit: sbatch %s\n"
			"# then: slatsim sweep --collect ", d->points, path);
		put_sh(f, d->dir);
		fprintf(f, "\n#SBATCH --job-name=slatsim-sweep\n#SBATCH --array=0-%zu\n"
			"#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n#SBATCH --output=", d->points - 1);
		if (d->dir[0] == '/')
			fprintf(f, "%s/slurm-%%A_%%a.out\n", d->dir);
		else
			fprintf(f, "%s/%s/slurm-%%A_%%a.out\n", cwd, d->dir);
		fputs("cd ", f);
		put_sh(f, cwd);
		fputs(" || exit 1\nexec ", f);
		put_command(f, d, self, "\"$SLURM_ARRAY_TASK_ID\"");
	} else {
		for (size_t n = 0; n < d->points; n++) {
			char pa[32];
			snprintf(pa, sizeof(pa), "%zu", n);
			fputs("cd ", f);
			put_sh(f, cwd);
			fputs(" && ", f);
			put_command(f, d, self, pa);
		}
	}
	cli_commit(o);
	printf("slatsim sweep: %zu points; wrote %s\n", d->points, path);
	if (slurm)
		printf("  submit: sbatch %s\n", path);
	else
		printf("  run:    parallel --sshloginfile HOSTS < %s\n", path);
	printf("  then:   slatsim sweep --collect %s\n", d->dir);
	free(path);
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

/* results.csv and results.json of the sweep in DIR, from its manifest and
 * the points files. Dies naming the points that have no file. */
static void collect(const args *a, const char *dir)
{
	char err[1024];
	char *mp = path_of(dir, "sweep.json");
	jsonr *man = jsonr_load(mp, err, sizeof(err));
	if (!man)
		cli_die(EXIT_BAD, "%s", err);
	const jsonr *pts = jsonr_get(man, "points"), *grids = jsonr_get(man, "grid");
	if (!pts || pts->type != JSONR_ARR || !grids || grids->type != JSONR_ARR)
		cli_die(EXIT_BAD, "%s: not a sweep manifest (no points or grid)", mp);
	size_t np = pts->n;
	jsonr **doc = calloc(np ? np : 1, sizeof(*doc));
	if (!doc)
		cli_die(EXIT_FAIL, "out of memory");
	size_t missing = 0;
	char list[256] = "";
	for (size_t n = 0; n < np; n++) {
		char *pp = point_path(dir, n);
		if (!exists(pp)) {
			if (missing++ < 10) {
				size_t l = strlen(list);
				snprintf(list + l, sizeof(list) - l, "%s%zu", l ? ", " : "", n);
			}
		} else if (!(doc[n] = jsonr_load(pp, err, sizeof(err)))) {
			cli_die(EXIT_BAD, "%s", err);
		} else if (!jsonr_get(doc[n], "stats") ||
			   jsonr_get(doc[n], "stats")->type != JSONR_OBJ) {
			cli_die(EXIT_BAD, "%s: no \"stats\" object", pp);
		}
		free(pp);
	}
	if (missing)
		cli_die(EXIT_BAD, "%s: %zu of %zu points have no result (%s%s): run the sweep (or "
			"the missing tasks) again", dir, missing, np, list, missing > 10 ? ", ..." : "");
	/* The statistics' union in order of first appearance (domains add some). */
	size_t ns = 0, cap = 0;
	const char **names = NULL;
	for (size_t n = 0; n < np; n++) {
		const jsonr *st = jsonr_get(doc[n], "stats");
		for (size_t i = 0; i < st->n; i++) {
			size_t k = 0;
			while (k < ns && strcmp(names[k], st->keys[i]) != 0)
				k++;
			if (k < ns)
				continue;
			if (ns == cap) {
				cap = cap ? cap * 2 : 256;
				const char **nn = realloc(names, cap * sizeof(*nn));
				if (!nn)
					cli_die(EXIT_FAIL, "out of memory");
				names = nn;
			}
			names[ns++] = st->keys[i];
		}
	}
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
		const jsonr *p = &pts->items[n], *tr = jsonr_get(p, "trace");
		const jsonr *pa = jsonr_get(p, "params"), *st = jsonr_get(doc[n], "stats");
		const char *trace = tr && tr->type == JSONR_STR ? tr->text : "";
		fprintf(cf, "%zu,", n);
		put_csv(cf, trace);
		json_begin_obj(&j, NULL);
		json_u64(&j, "point", n);
		json_str(&j, "trace", trace);
		json_begin_obj(&j, "params");
		for (size_t i = 0; pa && i < pa->n; i++) {
			const char *v = pa->items[i].type == JSONR_STR ? pa->items[i].text : "";
			fputc(',', cf);
			put_csv(cf, v);
			json_str(&j, pa->keys[i], v);
		}
		json_end_obj(&j);
		json_begin_obj(&j, "stats");
		for (size_t k = 0; k < ns; k++) {
			const jsonr *v = jsonr_get(st, names[k]);
			fputc(',', cf);
			if (v && v->type == JSONR_NUM) {
				fputs(v->text, cf);
				json_raw(&j, names[k], v->text);
			}
		}
		json_end_obj(&j);
		json_end_obj(&j);
		fputc('\n', cf);
	}
	json_end_arr(&j);
	json_finish(&j);
	cli_commit(co);
	cli_commit(jo);
	for (size_t n = 0; n < np; n++)
		jsonr_free(doc[n]);
	free(doc);
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
	int code = EXIT_BAD;
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
		if (rc == TRACE_ENOMEM)
			code = EXIT_FAIL;
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
		cli_die(code, "%zu of %zu point%s refused%s; nothing was run or written (every "
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

/* Run the points [LO, HI] that have no file yet. Returns the exit status of
 * the failures (0: none). */
static int run_points(const args *a, const sweep_def *d, size_t lo, size_t hi,
		      const sweep_opts *o, int quiet, size_t *ran)
{
	int status = 0;
	char err[1024];
	*ran = 0;
	for (size_t t = 0; t < d->ntraces; t++) {
		size_t first = t * d->combos, last = first + d->combos - 1;
		if (last < lo || first > hi)
			continue;
		size_t n = 0;
		sweep_job *jobs = calloc(d->combos, sizeof(*jobs));
		size_t *which = calloc(d->combos, sizeof(*which));
		param_reg **regs = calloc(d->combos, sizeof(*regs));
		if (!jobs || !which || !regs)
			cli_die(EXIT_FAIL, "out of memory");
		for (size_t p = first; p <= last; p++) {
			if (p < lo || p > hi)
				continue;
			char *pp = point_path(d->dir, p);
			int done = exists(pp);
			free(pp);
			if (done)
				continue;
			regs[n] = point_params(a, d, p);
			int rc = machine_create(&jobs[n].m, regs[n], err, sizeof(err));
			if (rc != TRACE_OK)
				cli_die(rc == TRACE_ENOMEM ? EXIT_FAIL : EXIT_BAD, "point %zu: %s", p,
					err);
			which[n++] = p;
		}
		if (n) {
			double t0 = now();
			trace_header h;
			int trc = sweep_replay(d->traces[t], d->fmt, jobs, n, o, &h, err,
					       sizeof(err));
			double el = now() - t0;
			size_t ok = 0;
			if (trc != TRACE_OK) {
				/* The trace itself: one line for all of its points. */
				if (n == 1)
					fprintf(stderr, "slatsim: point %zu: %s\n", which[0], err);
				else
					fprintf(stderr, "slatsim: points %zu..%zu: %s\n", which[0],
						which[n - 1], err);
				status = status ? status : trc == TRACE_ENOMEM ||
						  trc == TRACE_EINTERNAL ? EXIT_FAIL : EXIT_BAD;
			}
			for (size_t i = 0; trc == TRACE_OK && i < n; i++) {
				if (jobs[i].code != TRACE_OK) {
					fprintf(stderr, "slatsim: point %zu: %s\n", which[i], jobs[i].err);
					int st = jobs[i].code == TRACE_ENOMEM ||
						 jobs[i].code == TRACE_EINTERNAL ? EXIT_FAIL : EXIT_BAD;
					status = status ? status : st;
					continue;
				}
				char *pp = point_path(d->dir, which[i]);
				outfile *po = cli_output(a, pp, "point", 0);
				report_json(outfile_stream(po), d->traces[t], &h, regs[i],
					    machine_stats(jobs[i].m), jobs[i].m);
				cli_commit(po);
				free(pp);
				ok++;
			}
			*ran += ok;
			if (!quiet)
				fprintf(stderr, "  %s: %zu point%s from one decode in %.3f s\n",
					d->traces[t], n, n == 1 ? "" : "s", el);
		}
		for (size_t i = 0; i < n; i++) {
			machine_destroy(jobs[i].m);
			param_destroy(regs[i]);
		}
		free(jobs);
		free(which);
		free(regs);
	}
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
	const char *v, *emit_kind = NULL, *collect_dir = NULL, *point = NULL;
	uint64_t threads = 1;
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
		if (d.ntraces || d.ngrids || emit_kind || point)
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
	make_dir(d.dir);
	char *pd = path_of(d.dir, "points");
	make_dir(pd);
	free(pd);
	manifest(a, &d);
	if (emit_kind) {
		emit(a, &d, emit_kind);
		free_def(&d);
		return 0;
	}
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
