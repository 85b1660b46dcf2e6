/*
 * sim/cli/sweep.c - `slatsim sweep`: the cross product of --grid values
 * over one or more traces, locally on -j threads or as a Slurm array job /
 * GNU parallel job list, and --collect. The command line of the sweep
 * engine (issue 22 moved it out of here): sim/study/sweep_plan.h holds the grid,
 * the points, the directory's manifest and runs the points a batch at a
 * time (sim/study/sweep.h: one decode of a trace into many machines);
 * sim/study/sweep_emit.h writes the scripts; sim/study/sweep_collect.h reads the point
 * files back into results.csv and results.json. This file parses the
 * options, calls the engine's verbs in order, prints what they found and
 * turns an engine error into its exit status (cli.h).
 *
 * Order of the checks (each kind of error before the next): usage, each
 * --grid value as it comes (the registry's refusal); the traces; the base
 * configuration (--config/--set); every point's configuration (the
 * machine's refusals, up to 8 shown); what an emitted script cannot hold;
 * then the directory (a different sweep there is refused) and the run.
 */
#include "cli.h"
#include "sweep_collect.h"
#include "sweep_emit.h"
#include "sweep_plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Points replayed together from one decode of their trace, by default: the
 * machines of one batch are alive at once (about 2.7 MB each at the default
 * configuration, plus the page tables a trace makes), so memory follows the
 * batch, not the grid; a trace is decoded once per batch (the decode is
 * about half of a lone run of the shipped capture). --batch changes it. */
#define SWEEP_BATCH_MAX 4096   /* (SWEEP_BATCH, 16: sweep_emit.h, which a task's default shares) */
#define SWEEP_MAX_OPTS 64      /* --sbatch or --parallel options */

static const char *const sweep_usage =
	"usage: slatsim sweep --grid 'key=v1,v2,...'... [--config FILE]... [--set key=value]...\n"
	"                     [-j N] [--batch N] [-o|--out DIR] [--format F] [-q]\n"
	"                     [--skip N] [--warmup N] [--limit N] TRACE...\n"
	"       slatsim sweep ... --emit slurm|gnu-parallel --out DIR [--per-task N]\n"
	"                     [--sbatch 'OPTION']... [--max-array-size N]\n"
	"                     [--parallel 'OPTION']... [--sshloginfile FILE] TRACE...\n"
	"       slatsim sweep --collect DIR\n"
	"\n"
	"Replay every TRACE under every combination of the --grid values (the first\n"
	"--grid varies slowest), on top of --config files and --set overrides (a\n"
	"grid value overrides both). Points of one trace share one decode of it: the\n"
	"decoded records are fed to each point's machine in turn, on -j N threads\n"
	"(each batch of records to whichever thread takes a machine next: the\n"
	"threads stay busy whatever each point costs), --batch N points at a time\n"
	"(default 16, at least -j): the machines of a batch are alive together (a few\n"
	"MB each, plus the page tables the trace makes), each batch decodes the trace\n"
	"once, and its point files are written while the next one runs.\n"
	"--skip N, --warmup N and --limit N are run's window for every point: the\n"
	"first N records are not read, the next N warm each machine up uncounted,\n"
	"and N records at most are replayed from the skip, warm-up included (--limit\n"
	"N is sim.max_records=N): a point file is run's JSON with the same --skip\n"
	"and --warmup (and --set sim.max_records=N). sweep.json holds the window: a\n"
	"resume must give the same.\n"
	"Every point is checked before any runs. Values are separated by commas, or\n"
	"by ';' when the key takes a list (--grid 'vcpu.domain=0,1;0,0'). A value may\n"
	"be a range of integers: A..B+S (A, A+S, ... B), A..B:xK (A, A*K, ... B) or\n"
	"A..B (step 1), B one of its values: --grid 'tlb.l2.entries=16..128:x2' is\n"
	"16,32,64,128 and 'x=8,256..1024+256' is 8,256,512,768,1024. Keys\n"
	"joined by ':' (8 at most) vary together, a value for each joined by ':'\n"
	"(one axis, not a product):\n"
	"--grid 'tlb.l2.entries:tlb.l2.ways=512:4,1536:12,2048:16'.\n"
	"\n"
	"DIR (default 'sweep') gets points/N.json for point N - exactly what\n"
	"'slatsim run --json' writes for that point - then results.csv and\n"
	"results.json: one row per point with the trace, each swept parameter and\n"
	"every statistic, then mpki.l1i, mpki.l1d, mpki.l2 (TLB misses per 1,000\n"
	"instructions), walks.pki (walks per 1,000 instructions), translation.cpi\n"
	"(cycles.translation per instruction) and translation.share (of\n"
	"cycles.total). A sweep run again into DIR skips finished points (so an\n"
	"interrupted sweep resumes); DIR must hold the same sweep (sweep.json: the\n"
	"arguments, the effective configuration, and every file each trace reads with\n"
	"its size, modification time and content hash), and a point file there must\n"
	"be that point's.\n"
	"\n"
	"--emit slurm writes DIR/sweep.sbatch, an array job (submit it with sbatch;\n"
	"DIR must be on a shared file system); --emit gnu-parallel writes\n"
	"DIR/jobs.txt, a command per task for a POSIX shell (parallel --sshloginfile\n"
	"HOSTS < DIR/jobs.txt). A task runs --per-task N consecutive points as one\n"
	"--batch (a decode of each trace it holds, N machines alive): G points cost\n"
	"about G/N decodes. By default a task is one local batch: ceil(G/16) tasks,\n"
	"the points spread evenly (24 points: 2 tasks of 12). A Slurm array holds at\n"
	"most --max-array-size tasks (default 1001, Slurm's MaxArraySize): beyond it\n"
	"the default grouping grows until they fit, and a --per-task given is kept\n"
	"and the tasks split over DIR/sweep-K.sbatch, submitted by sh DIR/submit.sh.\n"
	"-j and --batch go to each task (-j N: #SBATCH --cpus-per-task=N).\n"
	"--sbatch 'OPTION' (repeatable) adds an '#SBATCH OPTION' line (--time=2:00:00,\n"
	"--mem=8G, --partition=P, --account=A; not --array or --output, which the\n"
	"script sets); --parallel 'OPTION' (repeatable; --sshloginfile FILE is one)\n"
	"gives GNU parallel an option and its value ('-j 4', '--sshloginfile hosts')\n"
	"in DIR/parallel.sh, which runs jobs.txt. Nothing is run; every path in them\n"
	"is quoted, and one a script cannot hold (a line break; in the Slurm log\n"
	"path '%', '\\', 'hetjob', 'packjob') is refused. --collect DIR then\n"
	"writes DIR/results.csv and results.json from the points files, each checked\n"
	"to be its point (same trace, configuration and slatsim; numeric statistics).\n"
	"--point A[-B] runs only those points and writes no results (what a task\n"
	"does). --decode shared|thread: with -j, one decode for every thread\n"
	"(default) or one per thread.\n";

/* An engine error: free the plan (so that nothing it holds is left for the
 * leak checker) and exit with the code's status, the message as it is. */
static void die_plan(sweep_plan *p, int rc, const char *msg) __attribute__((noreturn));
static void die_plan(sweep_plan *p, int rc, const char *msg)
{
	sweep_plan_destroy(p);
	cli_die_trace(rc, msg);
}

/* ---------------------------------------------------------------- --grid */

/* --grid SPEC: "key=v1,v2,..." (';' between values when one holds a ','),
 * keys joined by ':' vary together, a part per key in each value. */
static void parse_grid(const args *a, sweep_plan *p, const char *spec)
{
	char err[8192];
	const char *keys[SWEEP_MAX_LINKED], *values[SWEEP_MAX_VALUES];
	size_t nk = 0, n = 0;
	int rc = TRACE_OK;
	if (sweep_plan_ngrids(p) == SWEEP_MAX_GRIDS)
		cli_usage_error(a, "too many --grid options (%d at most)", SWEEP_MAX_GRIDS);
	const char *eqs = strchr(spec, '=');
	if (!eqs || eqs == spec || !eqs[1])
		cli_usage_error(a, "--grid '%s': expected key=v1,v2,...", spec);
	char *key = strndup(spec, (size_t)(eqs - spec));
	if (!key)
		cli_die(EXIT_FAIL, "out of memory");
	for (const char *k = key;;) {
		const char *e = strchr(k, ':');
		size_t l = e ? (size_t)(e - k) : strlen(k);
		if (!l)
			cli_usage_error(a, "--grid '%s': an empty key", spec);
		if (nk == SWEEP_MAX_LINKED)
			cli_usage_error(a, "--grid '%s': %d keys at most vary together", spec,
					SWEEP_MAX_LINKED);
		char *nkey = strndup(k, l);
		if (!nkey)
			cli_die(EXIT_FAIL, "out of memory");
		for (size_t gi = 0; gi < sweep_plan_ngrids(p); gi++) {
			const sweep_grid *g = sweep_plan_grid(p, gi);
			for (size_t j = 0; j < g->nk; j++)
				if (strcmp(g->keys[j], nkey) == 0)
					cli_usage_error(a, "--grid %s given twice", nkey);
		}
		for (size_t j = 0; j < nk; j++)
			if (strcmp(keys[j], nkey) == 0)
				cli_usage_error(a, "--grid %s given twice", nkey);
		keys[nk++] = nkey;
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
		if (n == SWEEP_MAX_VALUES)
			cli_usage_error(a, "--grid %s: too many values (%d at most)", key,
					SWEEP_MAX_VALUES);
		if (!(values[n++] = strndup(v, l)))
			cli_die(EXIT_FAIL, "out of memory");
		if (!e)
			break;
		v = e + 1;
	}
	/* Each value refused now, by name, rather than at its point. */
	if ((rc = sweep_plan_add_grid(p, key, keys, nk, err, sizeof(err))) != TRACE_OK)
		die_plan(p, rc, err);
	for (size_t i = 0; i < n; i++) {
		if (nk > 1 && !strstr(values[i], "..")) {   /* (a range's parts: the engine's) */
			size_t parts = 1;
			for (const char *c = values[i]; (c = strchr(c, ':')); c++)
				parts++;
			if (parts != nk)
				cli_usage_error(a, "--grid %s: the value '%s' has %zu part%s for "
						"%zu keys (join one value per key with ':')", key,
						values[i], parts, parts == 1 ? "" : "s", nk);
		}
		if ((rc = sweep_plan_add_item(p, values[i], err, sizeof(err))) != TRACE_OK)
			die_plan(p, rc, err);
	}
	for (size_t i = 0; i < n; i++)
		free((char *)values[i]);
	for (size_t k = 0; k < nk; k++)
		free((char *)keys[k]);
	free(key);
}

/* ---------------------------------------------------------------- checking */

/* Every configuration of points LO..HI is built once before anything is
 * written: a grid value the machine refuses (512 TLB entries in 12 ways, a
 * page size the granule does not have) is reported now, for each point it
 * spoils, instead of after DIR holds a sweep.json that no run can finish
 * (and that a corrected command line is then refused by). */
static void check_points(sweep_plan *p, size_t lo, size_t hi)
{
	enum { SHOWN = 8 };
	size_t combos = sweep_plan_combos(p);
	size_t n = hi - lo + 1 < combos ? hi - lo + 1 : combos, bad = 0;
	char err[1024];
	for (size_t i = 0; i < n; i++) {
		size_t pt = lo + i;
		int rc = sweep_plan_check_point(p, pt, err, sizeof(err));
		if (rc == TRACE_OK)
			continue;
		if (rc == TRACE_ENOMEM) {   /* one line, as everywhere */
			sweep_plan_destroy(p);
			cli_die(EXIT_FAIL, "point %zu: %s", pt, err);
		}
		if (bad++ >= SHOWN)
			continue;
		char vals[1024];
		size_t k = 0;
		vals[0] = '\0';
		for (size_t gi = 0; gi < sweep_plan_ngrids(p) && k < sizeof(vals); gi++)
			k += (size_t)snprintf(vals + k, sizeof(vals) - k, "%s%s=%s", gi ? " " : "",
					      sweep_plan_grid(p, gi)->key, sweep_plan_value(p, pt, gi));
		cli_warn("point %zu (%s): %s", pt, vals, err);
	}
	if (bad) {
		sweep_plan_destroy(p);
		cli_die(EXIT_BAD, "%zu of %zu point%s refused%s; nothing was run or written (every "
			"--grid value must make a configuration 'slatsim run' accepts)", bad, n,
			n == 1 ? "" : "s", bad > SHOWN ? " (the first 8 shown)" : "");
	}
}

/* ---------------------------------------------------------------- running */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* What the run says: each failure as it comes (the first sets the exit
 * status), and each trace's points when not --quiet. */
typedef struct run_report {
	int status;
	int quiet;
	cli_progress pr;    /* the points' progress line (a terminal, not --quiet) */
} run_report;

/* The progress line: the points this run has to do (those finished before
 * are not its work). */
static void points_step(void *ctx, double done, size_t total, size_t skipped)
{
	run_report *r = ctx;
	double todo = (double)(total - skipped), now_done = done - (double)skipped;
	char what[64];
	snprintf(what, sizeof(what), "sweep: %zu of %zu point%s done", (size_t)now_done,
		 total - skipped, total - skipped == 1 ? "" : "s");
	cli_progress_show(&r->pr, what, todo > 0 ? now_done / todo : 1, now_done, "points");
}

static void point_failed(void *ctx, size_t first, size_t last, int code, const char *msg)
{
	run_report *r = ctx;
	cli_progress_clear(&r->pr);
	if (first == last)
		fprintf(stderr, "slatsim: point %zu: %s\n", first, msg);
	else
		fprintf(stderr, "slatsim: points %zu..%zu: %s\n", first, last, msg);
	if (!r->status)
		r->status = code == TRACE_EINTERNAL ? EXIT_FAIL : EXIT_BAD;
}

static void trace_done(void *ctx, const char *trace, size_t points, size_t decodes, size_t batch,
		       double seconds)
{
	run_report *r = ctx;
	if (r->quiet)
		return;
	cli_progress_clear(&r->pr);
	if (decodes == 1)
		fprintf(stderr, "  %s: %zu point%s from one decode in %.3f s\n", trace, points,
			points == 1 ? "" : "s", seconds);
	else
		fprintf(stderr, "  %s: %zu points from %zu decodes (%zu points at most at once) in "
			"%.3f s\n", trace, points, decodes, batch, seconds);
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

/* --emit KIND: what the tasks run, and where (this slatsim, this
 * directory), into T (SELF and CWD its buffers of 4096 bytes); everything
 * the script will hold is checked before DIR is made. */
static void emit_prepare(sweep_plan *p, const char *kind, sweep_emit_target *t, char *self,
			 char *cwd)
{
	char err[8192];
	ssize_t l = readlink("/proc/self/exe", self, 4095);
	if (l <= 0 || !getcwd(cwd, 4096)) {
		sweep_plan_destroy(p);
		cli_die(EXIT_FAIL, "cannot find slatsim's own path or the working directory");
	}
	self[l] = '\0';
	t->kind = strcmp(kind, "slurm") == 0 ? SWEEP_EMIT_SLURM : SWEEP_EMIT_GNU_PARALLEL;
	t->self = self;
	t->cwd = cwd;
	int rc = sweep_emit_check(p, t, err, sizeof(err));
	if (rc != TRACE_OK)
		die_plan(p, rc, err);
}

/* The script, once DIR holds the manifest, and how to run it. */
static void emit(sweep_plan *p, const sweep_emit_target *t)
{
	char err[8192];
	int rc = sweep_emit_write(p, t, err, sizeof(err));
	if (rc != TRACE_OK)
		die_plan(p, rc, err);
	const char *dir = sweep_plan_config_of(p)->dir;
	char *path = sweep_dir_file(dir, sweep_emit_file(p, t));
	if (!path) {
		sweep_plan_destroy(p);
		cli_die(EXIT_FAIL, "out of memory");
	}
	sweep_emit_layout l;
	sweep_emit_layout_of(p, t, &l);
	printf("slatsim sweep: %zu points in %zu task%s of %zu point%s", sweep_plan_points(p),
	       l.tasks, l.tasks == 1 ? "" : "s", l.per_task, l.per_task == 1 ? "" : "s");
	if (l.arrays > 1)
		printf(" (%zu arrays of at most %zu tasks)", l.arrays, l.per_array);
	printf("; wrote %s\n", path);
	fputs(t->kind == SWEEP_EMIT_SLURM ? (l.arrays > 1 ? "  submit: sh " : "  submit: sbatch ")
	      : t->nparallel ? "  run:    sh " : "  run:    parallel --sshloginfile HOSTS < ",
	      stdout);
	sweep_emit_put_sh(stdout, path);
	fputs("\n  then:   slatsim sweep --collect ", stdout);
	sweep_emit_put_sh(stdout, dir);
	fputc('\n', stdout);
	free(path);
}

static void collect(sweep_plan *p, const args *a, const char *dir)
{
	char err[8192];
	int rc = sweep_collect(dir, a->outs, err, sizeof(err));
	if (rc != TRACE_OK)
		die_plan(p, rc, err);
}

int cmd_sweep(args *a)
{
	config_args c = { 0 };
	const char *traces[SWEEP_MAX_TRACES];
	size_t ntraces = 0;
	enum trace_format fmt = TRACE_FMT_AUTO;
	const char *dir = "sweep", *limit = NULL;
	uint64_t limit_n = 0, skip = 0, warmup = 0;
	int window = 0;
	const char *v, *emit_kind = NULL, *collect_dir = NULL, *point = NULL, *batch = NULL;
	uint64_t threads = 1, together = SWEEP_BATCH;
	int quiet = 0, per_thread = 0, rc, threads_given = 0;
	const char *sbatch[SWEEP_MAX_OPTS], *parallel[SWEEP_MAX_OPTS];
	char *owned[SWEEP_MAX_OPTS];   /* (--sshloginfile's options) */
	size_t nowned = 0;
	sweep_emit_target et = { 0 };
	char err[8192];
	sweep_plan *p;
	if ((rc = sweep_plan_create(&p, err, sizeof(err))) != TRACE_OK)
		cli_die_trace(rc, err);
	while (a->i < a->argc) {
		if (cli_is_help(a->argv[a->i])) {
			fputs(sweep_usage, stdout);
			sweep_plan_destroy(p);
			return 0;
		}
		if (cli_config_opt(a, &c))
			continue;
		if ((v = cli_opt_value(a, "--grid"))) { parse_grid(a, p, v); continue; }
		if ((v = cli_out_opt(a))) { dir = v; continue; }
		if ((v = cli_opt_value(a, "-j"))) {
			threads = cli_parse_count(a, "-j", v, 0);
			threads_given = 1;
			continue;
		}
		if ((v = cli_opt_value(a, "--per-task"))) {
			et.per_task = (size_t)cli_parse_range(a, "--per-task", v, 1, SWEEP_BATCH_MAX);
			continue;
		}
		if ((v = cli_opt_value(a, "--max-array-size"))) {
			et.max_array = (size_t)cli_parse_range(a, "--max-array-size", v, 1,
							       SWEEP_MAX_ARRAY_LIMIT);
			continue;
		}
		if ((v = cli_opt_value(a, "--sbatch"))) {
			if (et.nsbatch == SWEEP_MAX_OPTS)
				cli_usage_error(a, "too many --sbatch options (%d at most)", SWEEP_MAX_OPTS);
			sbatch[et.nsbatch++] = v;
			continue;
		}
		int login = 0;
		if ((v = cli_opt_value(a, "--parallel")) ||
		    (login = (v = cli_opt_value(a, "--sshloginfile")) != NULL)) {
			if (et.nparallel == SWEEP_MAX_OPTS)
				cli_usage_error(a, "too many --parallel options (%d at most)",
						SWEEP_MAX_OPTS);
			if (login) {   /* = --parallel '--sshloginfile FILE' */
				char *o = malloc(strlen(v) + sizeof("--sshloginfile "));
				if (!o)
					cli_die(EXIT_FAIL, "out of memory");
				sprintf(o, "--sshloginfile %s", v);
				v = owned[nowned++] = o;
			}
			parallel[et.nparallel++] = v;
			continue;
		}
		if ((v = cli_opt_value(a, "--format"))) { fmt = cli_parse_format(a, v); continue; }
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
		if (cli_quiet_opt(a)) { quiet = 1; continue; }
		if ((v = cli_opt_value(a, "--limit"))) {
			limit = v;
			limit_n = cli_parse_count(a, "--limit", v, 1);
			continue;
		}
		if ((v = cli_opt_value(a, "--skip"))) {
			skip = cli_parse_count(a, "--skip", v, 1);
			window = 1;
			continue;
		}
		if ((v = cli_opt_value(a, "--warmup"))) {
			warmup = cli_parse_count(a, "--warmup", v, 1);
			window = 1;
			continue;
		}
		if (a->argv[a->i][0] == '-' && a->argv[a->i][1] != '\0')
			cli_unknown_option(a);
		if (ntraces == SWEEP_MAX_TRACES)
			cli_usage_error(a, "too many traces (%d at most)", SWEEP_MAX_TRACES);
		traces[ntraces++] = a->argv[a->i++];
	}
	/* --limit N is run's: sim.max_records=N, set for every point (and so kept
	 * in sweep.json's sets, for a resume and each task). */
	char limit_set[64];
	if (limit) {
		for (int i = 0; i < c.nsets; i++)
			if (strncmp(c.sets[i], "sim.max_records", 15) == 0 &&
			    (c.sets[i][15] == '=' || c.sets[i][15] == ' '))
				cli_usage_error(a, "--limit %s is sim.max_records=%" PRIu64 ": give "
						"one or the other, not --set %s too", limit, limit_n,
						c.sets[i]);
		for (size_t gi = 0; gi < sweep_plan_ngrids(p); gi++)
			for (size_t k = 0; k < sweep_plan_grid(p, gi)->nk; k++)
				if (strcmp(sweep_plan_grid(p, gi)->keys[k], "sim.max_records") == 0)
					cli_usage_error(a, "--limit %s is sim.max_records=%" PRIu64 ": "
							"it cannot be a --grid key too", limit,
							limit_n);
		if (c.nsets == (int)(sizeof(c.sets) / sizeof(c.sets[0])))
			cli_usage_error(a, "too many --set options (256 at most, --limit one)");
		snprintf(limit_set, sizeof(limit_set), "sim.max_records=%" PRIu64, limit_n);
		c.sets[c.nsets++] = limit_set;
	}
	int emit_opts = et.per_task || et.max_array || et.nsbatch || et.nparallel;
	if (collect_dir) {
		if (ntraces || sweep_plan_ngrids(p) || emit_kind || point || batch || emit_opts ||
		    limit || window)
			cli_usage_error(a, "--collect DIR takes nothing else");
		outset_add_input(a->outs, collect_dir);
		collect(p, a, collect_dir);
		printf("slatsim sweep: results in %s/results.csv and %s/results.json\n", collect_dir,
		       collect_dir);
		sweep_plan_destroy(p);
		return 0;
	}
	if (!ntraces)
		cli_usage_error(a, "sweep needs at least one TRACE");
	if (!sweep_plan_ngrids(p))
		cli_usage_error(a, "sweep needs at least one --grid key=v1,v2,...");
	if (threads < 1 || threads > 256)
		cli_usage_error(a, "-j %" PRIu64 ": between 1 and 256", threads);
	if (emit_kind && strcmp(emit_kind, "slurm") && strcmp(emit_kind, "gnu-parallel"))
		cli_usage_error(a, "--emit '%s': slurm or gnu-parallel", emit_kind);
	if (!emit_kind && emit_opts)
		cli_usage_error(a, "--%s is for --emit slurm|gnu-parallel", et.per_task ? "per-task"
				: et.max_array ? "max-array-size" : et.nsbatch ? "sbatch" : "parallel");
	for (size_t t = 0; t < ntraces; t++) {
		struct stat st;
		if (strcmp(traces[t], "-") == 0)
			cli_usage_error(a, "sweep reads trace files ('-', standard input, cannot be "
					"resumed or shared)");
		if (stat(traces[t], &st) != 0)
			cli_die(EXIT_BAD, "%s: cannot open trace: %s", traces[t], strerror(errno));
		cli_need_regular(a, traces[t], "sweep (a decode per thread with --decode "
				 "thread, another when resumed)");
		outset_add_input(a->outs, traces[t]);
	}
	sweep_plan_config cfg = {
		.traces = traces, .ntraces = ntraces, .fmt = fmt, .dir = dir,
		.config_files = c.files, .nfiles = (size_t)c.nfiles,
		.sets = c.sets, .nsets = (size_t)c.nsets, .skip = skip, .warmup = warmup,
		.outs = a->outs,
	};
	if (sweep_plan_setup(p, &cfg, err, sizeof(err)) != TRACE_OK)
		cli_usage_error(a, "%s", err);
	size_t lo = 0, hi = sweep_plan_points(p) - 1;
	if (point) {
		parse_point_range(a, point, &lo, &hi);
		if (hi >= sweep_plan_points(p))
			cli_usage_error(a, "--point %s: the sweep has points 0..%zu", point,
					sweep_plan_points(p) - 1);
	}
	/* The base configuration (and so every config file) is read and checked
	 * once, now; each point is it with the point's grid values. */
	param_reg *base = cli_build_params(a, &c);
	rc = sweep_plan_set_base(p, base, err, sizeof(err));
	param_destroy(base);
	param_reg *p0;
	if (rc == TRACE_OK && (rc = sweep_plan_params(p, 0, &p0, err, sizeof(err))) == TRACE_OK)
		param_destroy(p0);
	if (rc != TRACE_OK)
		die_plan(p, rc, err);
	check_points(p, lo, hi);
	char self[4096], cwd[4096];
	et.sbatch = sbatch;
	et.parallel = parallel;
	et.threads = threads_given ? (unsigned)threads : 0;
	et.batch = batch ? (size_t)together : 0;
	if (emit_kind)
		emit_prepare(p, emit_kind, &et, self, cwd);
	/* Fingerprints, DIR, the manifest (or the check of the one there). */
	if ((rc = sweep_plan_begin(p, err, sizeof(err))) != TRACE_OK)
		die_plan(p, rc, err);
	if (emit_kind) {
		emit(p, &et);
		sweep_plan_destroy(p);
		while (nowned)
			free(owned[--nowned]);
		return 0;
	}
	run_report rep = { .quiet = quiet };
	cli_progress_init(&rep.pr, !quiet);
	/* Each thread replays at least one machine of a batch. */
	sweep_run_opts o = {
		.replay = { .threads = (unsigned)threads, .per_thread_decode = per_thread },
		.batch = together > threads ? (size_t)together : (size_t)threads,
		.failed = point_failed, .progress = trace_done, .step = points_step, .ctx = &rep,
	};
	double t0 = now();
	size_t ran;
	if ((rc = sweep_plan_run(p, lo, hi, &o, &ran, err, sizeof(err))) != TRACE_OK)
		die_plan(p, rc, err);
	double el = now() - t0;
	cli_progress_clear(&rep.pr);
	if (rep.status) {
		sweep_plan_destroy(p);
		return rep.status;
	}
	if (!point)
		collect(p, a, dir);
	if (!quiet)
		printf("slatsim sweep: %zu point%s run, %zu finished before, in %.3f s%s%s%s\n", ran,
		       ran == 1 ? "" : "s", hi - lo + 1 - ran, el, point ? "" : "; results in ",
		       point ? "" : dir, point ? "" : "/results.csv");
	sweep_plan_destroy(p);
	return 0;
}
