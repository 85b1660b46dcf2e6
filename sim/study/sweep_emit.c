/*
 * sim/study/sweep_emit.c - a sweep's Slurm array job and GNU parallel job list
 * (sweep_emit.h).
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
 *
 * The user's --sbatch options are copied onto #SBATCH lines as given
 * (sbatch parses them; they follow slatsim's own lines, which they may
 * override), after the same checks: an option (it starts with '-'), no
 * line break, no '#' (older sbatch ends the line there), not hetjob or
 * packjob, and not --array or --output, which the script's grouping and
 * the task logs that --collect expects depend on. --parallel options are
 * split at their first blank into the option and its value, each
 * single-quoted on parallel.sh's command line.
 *
 * No state but the emitter's own.
 */
#include "sweep_emit.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One script being checked or written. */
typedef struct emitter {
	const sweep_emit_target *t;
	sweep_emit_layout lay;
	int slurm;
	const char *kind;          /* "slurm" or "gnu-parallel": as --emit names it */
	const char *self;          /* this slatsim, which the tasks run */
	const char *cwd;           /* where relative paths are */
	char *output;              /* slurm: the --output pattern, absolute (malloc'd) */
	const char *path;          /* the script */
} emitter;

void sweep_emit_put_sh(FILE *f, const char *s)
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

/* Refuse S (WHAT: "the trace"...) when the script cannot hold it on a
 * line: a line feed or a carriage return. */
static int check_line(const emitter *e, const char *what, const char *s, char *err,
		      size_t errlen)
{
	const char *c = strpbrk(s, "\n\r");
	if (!c)
		return TRACE_OK;
	snprintf(err, errlen, "--emit %s: %s '%s' holds a %s (byte 0x%02x), which %s cannot "
		 "hold: the rest would be read as a line of its own; rename it", e->kind, what, s,
		 *c == '\n' ? "line feed" : "carriage return", (unsigned char)*c,
		 e->slurm ? "a line of a Slurm batch script" : "a job line of jobs.txt");
	return TRACE_EFORMAT;
}

/* Refuse S (part WHAT of the Slurm output path E->output) when sbatch or
 * Slurm would read it as something else than a path. */
static int check_output(const emitter *e, const char *what, const char *s, char *err,
			size_t errlen)
{
	static const char *const words[] = { "hetjob", "packjob" };
	if (strchr(s, '%')) {
		snprintf(err, errlen, "--emit slurm: %s '%s' holds '%%' (byte 0x25), which Slurm "
			 "expands in the task log path %s (a filename pattern: %%A, %%a, %%j...); "
			 "use an --out directory without it", what, s, e->output);
		return TRACE_EFORMAT;
	}
	if (strchr(s, '\\')) {
		snprintf(err, errlen, "--emit slurm: %s '%s' holds '\\' (byte 0x5c), with which "
			 "Slurm would take the task log path %s literally (no %%A_%%a: every task "
			 "one file) and drop the backslash; use an --out directory without it", what,
			 s, e->output);
		return TRACE_EFORMAT;
	}
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		for (const char *c = s; *c; c++)
			if (strncasecmp(c, words[w], strlen(words[w])) == 0) {
				snprintf(err, errlen, "--emit slurm: %s '%s' holds '%.*s', which "
					 "sbatch takes in an #SBATCH line (here the task log path %s) "
					 "as the separator of a heterogeneous job; use an --out "
					 "directory without it", what, s, (int)strlen(words[w]), c,
					 e->output);
				return TRACE_EFORMAT;
			}
	return TRACE_OK;
}

/* A --sbatch OPTION (S) that an #SBATCH line can hold and the script
 * can live with. */
static int check_sbatch(const char *s, char *err, size_t errlen)
{
	/* (sbatch's getopt_long takes an unambiguous prefix of a long option -
	 * --arr, --out - and a short one's value attached: -a0-3, -ofile) */
	static const char *const ours[] = { "--array", "--output" };
	const char *why = NULL;
	size_t l = strcspn(s, " \t=");
	if (s[0] != '-')
		why = "is not an option (an #SBATCH line holds sbatch options: --time=1:00:00, "
		      "--mem=4G, --partition=NAME, --account=NAME)";
	else if (strchr(s, '#'))
		why = "holds '#', where older sbatch versions end the line";
	for (size_t i = 0; !why && i < 2; i++)
		if ((s[1] == ours[i][2] && s[1] != '-') ||
		    (s[1] == '-' && l >= 4 && strncmp(ours[i], s, l) == 0))
			why = i == 0 ? "sets the array, which the script's grouping of points sets "
				       "(--per-task, --max-array-size)"
				     : "sets the task log path, which the script sets "
				       "(DIR/slurm-%A_%a.out)";
	for (const char *c = s; !why && *c; c++)
		if (strncasecmp(c, "hetjob", 6) == 0 || strncasecmp(c, "packjob", 7) == 0)
			why = "holds hetjob or packjob, which sbatch takes as the separator of a "
			      "heterogeneous job";
	if (!why)
		return TRACE_OK;
	snprintf(err, errlen, "--sbatch '%.200s' %s", s, why);
	return TRACE_EFORMAT;
}

/* Everything the script will hold, on a line. */
static int check_lines(const emitter *e, const sweep_plan *p, char *err, size_t errlen)
{
	const sweep_plan_config *c = sweep_plan_config_of(p);
	int rc = check_line(e, "slatsim's own path", e->self, err, errlen);
	for (size_t i = 0; rc == TRACE_OK && i < e->t->nsbatch; i++)
		if ((rc = check_line(e, "--sbatch", e->t->sbatch[i], err, errlen)) == TRACE_OK)
			rc = check_sbatch(e->t->sbatch[i], err, errlen);
	for (size_t i = 0; rc == TRACE_OK && i < e->t->nparallel; i++) {
		rc = check_line(e, "--parallel", e->t->parallel[i], err, errlen);
		if (rc == TRACE_OK && e->t->parallel[i][0] != '-') {
			snprintf(err, errlen, "--parallel '%.200s' is not an option of GNU parallel "
				 "(--sshloginfile FILE, -j N, --retries N...)", e->t->parallel[i]);
			rc = TRACE_EFORMAT;
		}
	}
	if (rc == TRACE_OK)
		rc = check_line(e, "the working directory", e->cwd, err, errlen);
	if (rc == TRACE_OK)
		rc = check_line(e, "the --out directory", c->dir, err, errlen);
	for (size_t t = 0; rc == TRACE_OK && t < c->ntraces; t++)
		rc = check_line(e, "the trace", c->traces[t], err, errlen);
	for (size_t i = 0; rc == TRACE_OK && i < c->nfiles; i++)
		rc = check_line(e, "the --config file", c->config_files[i], err, errlen);
	for (size_t i = 0; rc == TRACE_OK && i < c->nsets; i++)
		rc = check_line(e, "--set", c->sets[i], err, errlen);
	for (size_t gi = 0; rc == TRACE_OK && gi < sweep_plan_ngrids(p); gi++) {
		const sweep_grid *g = sweep_plan_grid(p, gi);
		for (size_t v = 0; rc == TRACE_OK && v < g->n; v++)
			rc = check_line(e, "the --grid value", g->values[v], err, errlen);
	}
	return rc;
}

/* The Slurm task log path, E->output: DIR/slurm-%A_%a.out made absolute
 * (the tasks run in E->cwd), checked for what sbatch and Slurm read. */
static int slurm_output(emitter *e, const char *dir, char *err, size_t errlen)
{
	static const char tail[] = "/slurm-%A_%a.out";
	int rel = dir[0] != '/';
	size_t len = (rel ? strlen(e->cwd) + 1 : 0) + strlen(dir) + sizeof(tail);
	if (!(e->output = malloc(len))) {
		snprintf(err, errlen, "out of memory");
		return TRACE_ENOMEM;
	}
	snprintf(e->output, len, "%s%s%s%s", rel ? e->cwd : "", rel ? "/" : "", dir, tail);
	int rc = check_output(e, "the --out directory", dir, err, errlen);
	if (rc == TRACE_OK && rel)
		rc = check_output(e, "the working directory", e->cwd, err, errlen);
	return rc;
}

/* E for target T of plan P, checked (E->output freed by the caller). */
static int prepare(emitter *e, const sweep_plan *p, const sweep_emit_target *t, char *err,
		   size_t errlen)
{
	*e = (emitter){ .t = t, .slurm = t->kind == SWEEP_EMIT_SLURM, .self = t->self,
			.cwd = t->cwd };
	e->kind = e->slurm ? "slurm" : "gnu-parallel";
	sweep_emit_layout_of(p, t, &e->lay);
	if (!e->slurm && (t->nsbatch || t->max_array)) {
		snprintf(err, errlen, "--emit gnu-parallel: --%s is for --emit slurm (parallel takes "
			 "--parallel 'OPTION')", t->nsbatch ? "sbatch" : "max-array-size");
		return TRACE_EFORMAT;
	}
	if (e->slurm && t->nparallel) {
		snprintf(err, errlen, "--emit slurm: --parallel is for --emit gnu-parallel (sbatch "
			 "takes --sbatch 'OPTION')");
		return TRACE_EFORMAT;
	}
	int rc = check_lines(e, p, err, errlen);
	if (rc == TRACE_OK && e->slurm)
		rc = slurm_output(e, sweep_plan_config_of(p)->dir, err, errlen);
	return rc;
}

int sweep_emit_check(const sweep_plan *p, const sweep_emit_target *t, char *err, size_t errlen)
{
	emitter e;
	int rc = prepare(&e, p, t, err, errlen);
	free(e.output);
	return rc;
}

void sweep_emit_layout_of(const sweep_plan *p, const sweep_emit_target *t,
			  sweep_emit_layout *out)
{
	size_t g = sweep_plan_points(p);
	size_t max = t->kind != SWEEP_EMIT_SLURM ? SIZE_MAX : t->max_array ? t->max_array
		: SWEEP_MAX_ARRAY;
	size_t per = t->per_task;
	if (!per) {
		/* One local batch a task, the points spread evenly; more when the
		 * tasks would not fit one array. */
		size_t tasks = (g + SWEEP_BATCH - 1) / SWEEP_BATCH;
		if (tasks > max)
			tasks = max;
		per = tasks ? (g + tasks - 1) / tasks : 1;
	}
	out->per_task = per;
	out->tasks = (g + per - 1) / per;
	out->per_array = out->tasks < max ? out->tasks : max;
	out->arrays = out->per_array ? (out->tasks + out->per_array - 1) / out->per_array : 1;
}

const char *sweep_emit_file(const sweep_plan *p, const sweep_emit_target *t)
{
	sweep_emit_layout l;
	sweep_emit_layout_of(p, t, &l);
	if (t->kind == SWEEP_EMIT_SLURM)
		return l.arrays > 1 ? "submit.sh" : "sweep.sbatch";
	return t->nparallel ? "parallel.sh" : "jobs.txt";
}

/* Grid G as --grid takes it: its values joined by ',', or by ';'
 * when one holds a comma (a list value). */
static int put_grid(FILE *f, const sweep_grid *g)
{
	char *spec = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&spec, &len);
	if (!m)
		return -1;
	char sepc = ',';
	for (size_t v = 0; v < g->n; v++)
		if (strchr(g->values[v], ','))
			sepc = ';';
	fprintf(m, "%s=", g->key);
	for (size_t v = 0; v < g->n; v++)
		fprintf(m, "%s%s", v ? (sepc == ';' ? ";" : ",") : "", g->values[v]);
	if (fclose(m) != 0) {
		free(spec);
		return -1;
	}
	sweep_emit_put_sh(f, spec);
	free(spec);
	return 0;
}

/* The command that runs the points POINT_ARG names (A-B, or the shell's
 * "$lo-$hi"). */
static int put_command(FILE *f, const emitter *e, const sweep_plan *p, const char *point_arg)
{
	const sweep_plan_config *c = sweep_plan_config_of(p);
	sweep_emit_put_sh(f, e->self);
	fputs(" sweep --quiet", f);
	if (e->t->threads)
		fprintf(f, " -j %u", e->t->threads);
	fprintf(f, " --batch %zu", e->t->batch ? e->t->batch : e->lay.per_task);
	for (size_t gi = 0; gi < sweep_plan_ngrids(p); gi++) {
		fputs(" --grid ", f);
		if (put_grid(f, sweep_plan_grid(p, gi)) != 0)
			return -1;
	}
	for (size_t i = 0; i < c->nfiles; i++) {
		fputs(" --config ", f);
		sweep_emit_put_sh(f, c->config_files[i]);
	}
	for (size_t i = 0; i < c->nsets; i++) {
		fputs(" --set ", f);
		sweep_emit_put_sh(f, c->sets[i]);
	}
	if (c->skip)
		fprintf(f, " --skip %llu", (unsigned long long)c->skip);
	if (c->warmup)
		fprintf(f, " --warmup %llu", (unsigned long long)c->warmup);
	fprintf(f, " --format %s --out ", trace_format_name(c->fmt));
	sweep_emit_put_sh(f, c->dir);
	fprintf(f, " --point %s", point_arg);
	for (size_t t = 0; t < c->ntraces; t++) {
		fputc(' ', f);
		sweep_emit_put_sh(f, c->traces[t]);
	}
	fputc('\n', f);
	return 0;
}

/* Slurm array K of E (its tasks' numbers from K * per_array) into F. */
static int put_sbatch_script(FILE *f, const emitter *e, const sweep_plan *p, size_t k)
{
	const sweep_plan_config *c = sweep_plan_config_of(p);
	const sweep_emit_layout *l = &e->lay;
	size_t points = sweep_plan_points(p), first = k * l->per_array;
	size_t n = l->tasks - first < l->per_array ? l->tasks - first : l->per_array;
	fprintf(f, "#!/bin/sh\n# slatsim sweep: %zu points in %zu array task%s of %zu point%s "
		"(each a decode of its trace and its points' machines together)", points, l->tasks,
		l->tasks == 1 ? "" : "s", l->per_task, l->per_task == 1 ? "" : "s");
	if (l->arrays > 1)
		fprintf(f, ";\n# this is array %zu of %zu (tasks %zu..%zu): submit them all with sh ",
			k + 1, l->arrays, first, first + n - 1);
	else
		fputs(". Submit: sbatch ", f);
	sweep_emit_put_sh(f, e->path);
	fputs("\n# then: slatsim sweep --collect ", f);
	sweep_emit_put_sh(f, c->dir);
	fprintf(f, "\n#SBATCH --job-name=slatsim-sweep\n#SBATCH --array=0-%zu\n"
		"#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=%u\n#SBATCH --output=", n - 1,
		e->t->threads ? e->t->threads : 1);
	put_sbatch(f, e->output);
	fputc('\n', f);
	for (size_t i = 0; i < e->t->nsbatch; i++)
		fprintf(f, "#SBATCH %s\n", e->t->sbatch[i]);
	fputs("cd ", f);
	sweep_emit_put_sh(f, e->cwd);
	fprintf(f, " || exit 1\n"
		"t=$((${SLURM_ARRAY_TASK_ID:?not a Slurm array task} + %zu))\n"
		"lo=$((t * %zu)); hi=$((lo + %zu))\n"
		"[ \"$hi\" -lt %zu ] || hi=%zu\n"
		"exec ", first, l->per_task, l->per_task - 1, points, points - 1);
	return put_command(f, e, p, "\"$lo-$hi\"");
}

/* The GNU parallel job list of E into F: a line per task. */
static int put_jobs(FILE *f, const emitter *e, const sweep_plan *p)
{
	size_t points = sweep_plan_points(p);
	for (size_t lo = 0; lo < points; lo += e->lay.per_task) {
		size_t hi = points - lo > e->lay.per_task ? lo + e->lay.per_task - 1 : points - 1;
		char pa[64];
		snprintf(pa, sizeof(pa), "%zu-%zu", lo, hi);
		fputs("cd ", f);
		sweep_emit_put_sh(f, e->cwd);
		fputs(" && ", f);
		if (put_command(f, e, p, pa) != 0)
			return -1;
	}
	return 0;
}

/* parallel.sh: GNU parallel with the --parallel options over jobs.txt
 * (JOBS, its path) from the working directory. */
static void put_parallel(FILE *f, const emitter *e, const sweep_plan *p, const char *jobs)
{
	fprintf(f, "#!/bin/sh\n# slatsim sweep: %zu points in %zu jobs of %zu point%s. Run: sh ",
		sweep_plan_points(p), e->lay.tasks, e->lay.per_task, e->lay.per_task == 1 ? "" : "s");
	sweep_emit_put_sh(f, e->path);
	fputs("\n# then: slatsim sweep --collect ", f);
	sweep_emit_put_sh(f, sweep_plan_config_of(p)->dir);
	fputs("\ncd ", f);
	sweep_emit_put_sh(f, e->cwd);
	fputs(" || exit 1\nexec parallel", f);
	for (size_t i = 0; i < e->t->nparallel; i++) {
		const char *o = e->t->parallel[i];
		size_t l = strcspn(o, " \t");
		char *opt = strndup(o, l);
		fputc(' ', f);
		sweep_emit_put_sh(f, opt ? opt : "");
		free(opt);
		o += l;
		o += strspn(o, " \t");
		if (*o) {
			fputc(' ', f);
			sweep_emit_put_sh(f, o);
		}
	}
	fputs(" < ", f);
	sweep_emit_put_sh(f, jobs);
	fputc('\n', f);
}

/* submit.sh: sbatch over every array's script (NAMES), passing on its
 * arguments (sh submit.sh --wait). */
static void put_submit(FILE *f, const emitter *e, const sweep_plan *p, char *const *names)
{
	fprintf(f, "#!/bin/sh\n# slatsim sweep: %zu points in %zu array tasks, more than an array "
		"holds (%zu): %zu arrays. Run: sh ", sweep_plan_points(p), e->lay.tasks,
		e->lay.per_array, e->lay.arrays);
	sweep_emit_put_sh(f, e->path);
	fputs(" [sbatch options]\n# then: slatsim sweep --collect ", f);
	sweep_emit_put_sh(f, sweep_plan_config_of(p)->dir);
	fputs("\nset -e\n", f);
	for (size_t k = 0; k < e->lay.arrays; k++) {
		fputs("sbatch \"$@\" ", f);
		sweep_emit_put_sh(f, names[k]);
		fputc('\n', f);
	}
}

enum script { SCRIPT_SBATCH, SCRIPT_JOBS, SCRIPT_PARALLEL, SCRIPT_SUBMIT };

/* Script WHAT (array K; NAMES: the arrays' scripts) of E into PATH. */
static int write_script(emitter *e, const sweep_plan *p, enum script what, size_t k,
			const char *path, char *const *names, const char *jobs, char *err,
			size_t errlen)
{
	outfile *o;
	int rc = sweep_output_open(sweep_plan_config_of(p)->outs, &o, path, "--emit", err, errlen);
	if (rc != TRACE_OK)
		return rc;
	FILE *f = outfile_stream(o);
	const char *was = e->path;
	e->path = what == SCRIPT_SBATCH && e->lay.arrays > 1 ? e->path : path;
	int bad = 0;
	switch (what) {
	case SCRIPT_SBATCH: bad = put_sbatch_script(f, e, p, k) != 0; break;
	case SCRIPT_JOBS: bad = put_jobs(f, e, p) != 0; break;
	case SCRIPT_PARALLEL: put_parallel(f, e, p, jobs); break;
	case SCRIPT_SUBMIT: put_submit(f, e, p, names); break;
	}
	e->path = was;
	if (bad) {
		outfile_abandon(o);
		snprintf(err, errlen, "out of memory");
		return TRACE_ENOMEM;
	}
	return sweep_output_commit(o, err, errlen);
}

int sweep_emit_write(const sweep_plan *p, const sweep_emit_target *t, char *err, size_t errlen)
{
	emitter e;
	if (errlen)
		err[0] = '\0';
	int rc = prepare(&e, p, t, err, errlen);
	const char *dir = sweep_plan_config_of(p)->dir;
	char *main_path = NULL, *jobs = NULL, **names = NULL;
	size_t nn = 0;
	if (rc == TRACE_OK && !(main_path = sweep_dir_file(dir, sweep_emit_file(p, t))))
		rc = TRACE_ENOMEM;
	e.path = main_path;
	if (rc == TRACE_OK && e.slurm && e.lay.arrays > 1) {
		/* sweep-K.sbatch for each array, then submit.sh over them */
		if (!(names = calloc(e.lay.arrays, sizeof(*names))))
			rc = TRACE_ENOMEM;
		for (size_t k = 0; rc == TRACE_OK && k < e.lay.arrays; k++, nn++) {
			char name[64];
			snprintf(name, sizeof(name), "sweep-%zu.sbatch", k);
			if (!(names[k] = sweep_dir_file(dir, name)))
				rc = TRACE_ENOMEM;
			else
				rc = write_script(&e, p, SCRIPT_SBATCH, k, names[k], NULL, NULL, err,
						  errlen);
		}
		if (rc == TRACE_OK)
			rc = write_script(&e, p, SCRIPT_SUBMIT, 0, main_path, names, NULL, err, errlen);
	} else if (rc == TRACE_OK && e.slurm) {
		rc = write_script(&e, p, SCRIPT_SBATCH, 0, main_path, NULL, NULL, err, errlen);
	} else if (rc == TRACE_OK) {
		if (!(jobs = sweep_dir_file(dir, "jobs.txt")))
			rc = TRACE_ENOMEM;
		if (rc == TRACE_OK)
			rc = write_script(&e, p, SCRIPT_JOBS, 0, jobs, NULL, NULL, err, errlen);
		if (rc == TRACE_OK && t->nparallel)
			rc = write_script(&e, p, SCRIPT_PARALLEL, 0, main_path, NULL, jobs, err,
					  errlen);
	}
	if (rc == TRACE_ENOMEM && !*err)
		snprintf(err, errlen, "out of memory");
	for (size_t k = 0; k < nn; k++)
		free(names[k]);
	free(names);
	free(jobs);
	free(main_path);
	free(e.output);
	return rc;
}
