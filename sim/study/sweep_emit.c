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
 * No state but the emitter's own.
 */
#include "sweep_emit.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One script being checked or written. */
typedef struct emitter {
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

/* Everything the script will hold, on a line. */
static int check_lines(const emitter *e, const sweep_plan *p, char *err, size_t errlen)
{
	const sweep_plan_config *c = sweep_plan_config_of(p);
	int rc = check_line(e, "slatsim's own path", e->self, err, errlen);
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
	*e = (emitter){ .slurm = t->kind == SWEEP_EMIT_SLURM, .self = t->self, .cwd = t->cwd };
	e->kind = e->slurm ? "slurm" : "gnu-parallel";
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

const char *sweep_emit_file(enum sweep_emit_kind kind)
{
	return kind == SWEEP_EMIT_SLURM ? "sweep.sbatch" : "jobs.txt";
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

/* The command that runs the points whose numbers follow (POINT_ARG). */
static int put_command(FILE *f, const sweep_plan *p, const char *self, const char *point_arg)
{
	const sweep_plan_config *c = sweep_plan_config_of(p);
	sweep_emit_put_sh(f, self);
	fputs(" sweep --quiet", f);
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

/* The script of E into F. */
static int put_script(FILE *f, const emitter *e, const sweep_plan *p)
{
	const sweep_plan_config *c = sweep_plan_config_of(p);
	size_t points = sweep_plan_points(p);
	if (e->slurm) {
		fprintf(f, "#!/bin/sh\n# slatsim sweep: %zu points, one array task each. Submit: "
			"sbatch ", points);
		sweep_emit_put_sh(f, e->path);
		fputs("\n# then: slatsim sweep --collect ", f);
		sweep_emit_put_sh(f, c->dir);
		fprintf(f, "\n#SBATCH --job-name=slatsim-sweep\n#SBATCH --array=0-%zu\n"
			"#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n#SBATCH --output=",
			points - 1);
		put_sbatch(f, e->output);
		fputs("\ncd ", f);
		sweep_emit_put_sh(f, e->cwd);
		fputs(" || exit 1\nexec ", f);
		return put_command(f, p, e->self, "\"$SLURM_ARRAY_TASK_ID\"");
	}
	for (size_t n = 0; n < points; n++) {
		char pa[32];
		snprintf(pa, sizeof(pa), "%zu", n);
		fputs("cd ", f);
		sweep_emit_put_sh(f, e->cwd);
		fputs(" && ", f);
		if (put_command(f, p, e->self, pa) != 0)
			return -1;
	}
	return 0;
}

/* E's script into a new output. */
static int write_script(emitter *e, const sweep_plan *p, char *err, size_t errlen)
{
	outfile *o;
	int rc = sweep_output_open(sweep_plan_config_of(p)->outs, &o, e->path, "--emit", err,
				   errlen);
	if (rc != TRACE_OK)
		return rc;
	if (put_script(outfile_stream(o), e, p) != 0) {
		outfile_abandon(o);
		snprintf(err, errlen, "out of memory");
		return TRACE_ENOMEM;
	}
	return sweep_output_commit(o, err, errlen);
}

int sweep_emit_write(const sweep_plan *p, const sweep_emit_target *t, char *err, size_t errlen)
{
	emitter e;
	int rc = prepare(&e, p, t, err, errlen);
	char *path = NULL;
	if (rc == TRACE_OK &&
	    !(path = sweep_dir_file(sweep_plan_config_of(p)->dir, sweep_emit_file(t->kind)))) {
		snprintf(err, errlen, "out of memory");
		rc = TRACE_ENOMEM;
	}
	e.path = path;
	if (rc == TRACE_OK)
		rc = write_script(&e, p, err, errlen);
	free(path);
	free(e.output);
	return rc;
}
