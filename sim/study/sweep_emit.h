/*
 * sim/study/sweep_emit.h - a sweep as scripts for a cluster (issue 22: out of the
 * command line): the points of a plan (sim/study/sweep_plan.h) as
 *
 *   DIR/sweep.sbatch   a Slurm array job, a task per group of points
 *                      (submit it with sbatch; DIR must be on a shared
 *                      file system); or, when the tasks are more than an
 *                      array may hold, DIR/sweep-K.sbatch for K = 0, 1, ...
 *                      and DIR/submit.sh, which submits them all
 *   DIR/jobs.txt       a command per group for a POSIX shell (GNU parallel
 *                      --sshloginfile HOSTS < DIR/jobs.txt), and with
 *                      options for parallel DIR/parallel.sh, which runs it
 *
 * Each task runs `slatsim sweep --quiet ... --point A-B` with the plan's own
 * arguments, from the directory the sweep was planned in, so that relative
 * paths mean what they meant; `slatsim sweep --collect DIR` then writes the
 * results (sim/study/sweep_collect.h). Nothing is run.
 *
 * Groups (issue 25): the points are numbered trace by trace, and a task
 * runs PER consecutive ones with --batch PER (one decode of each trace its
 * group holds, PER machines alive: a grid of G points costs about G / PER
 * decodes, against G with a task per point). By default PER is what keeps
 * a task one local batch: the grid is cut into ceil(G / SWEEP_BATCH)
 * tasks and the points are spread evenly over them (at most SWEEP_BATCH =
 * 16 per task, each decoded once with its 16 machines, as a local sweep
 * runs them; 24 points make 2 tasks of 12, not 16 and 8). A Slurm array
 * holds at most max_array tasks (its indices below MaxArraySize, 1001 by
 * default, slurm.conf(5)): beyond it the default PER grows until the tasks
 * fit, and a PER given is kept and the tasks split over several arrays.
 *
 * A script holds every path and value quoted for what reads that place;
 * what a place cannot hold is refused before anything is written, naming
 * the path and the byte (see sweep_emit.c). The verbs never print or exit:
 * TRACE_OK, or TRACE_EFORMAT (a name a script cannot hold: exit 2 at the
 * command line), TRACE_EIO (the script's path refused), TRACE_ENOMEM or
 * TRACE_EOUTPUT (exit 1), with a message in the caller's buffer.
 */
#ifndef SLATSIM_SWEEP_EMIT_H
#define SLATSIM_SWEEP_EMIT_H

#include "sweep_plan.h"

#include <stddef.h>
#include <stdio.h>

enum sweep_emit_kind { SWEEP_EMIT_SLURM, SWEEP_EMIT_GNU_PARALLEL };

#define SWEEP_BATCH 16             /* points of a local batch, and of a task by default */
#define SWEEP_MAX_ARRAY 1001        /* Slurm's MaxArraySize by default */
#define SWEEP_MAX_ARRAY_LIMIT 4000001   /* the most slurm.conf allows */

/* What the tasks of a script run, and where. */
typedef struct sweep_emit_target {
	enum sweep_emit_kind kind;
	const char *self;       /* the slatsim the tasks run */
	const char *cwd;        /* the directory they run in */
	size_t per_task;        /* points a task runs; 0: the default (above) */
	size_t max_array;       /* Slurm: tasks an array may hold; 0: SWEEP_MAX_ARRAY */
	unsigned threads;       /* -j of each task (Slurm: --cpus-per-task); 0: not given */
	size_t batch;           /* --batch of each task; 0: its points */
	const char *const *sbatch;    /* Slurm: --sbatch OPTION, each an #SBATCH line */
	size_t nsbatch;
	const char *const *parallel;  /* GNU parallel: --parallel OPTION, each its
					 option and value (split at the first blank) */
	size_t nparallel;
} sweep_emit_target;

/* How the points of P are cut into tasks for T: points per task, tasks,
 * and arrays (Slurm; 1 for GNU parallel) of at most max_array tasks. */
typedef struct sweep_emit_layout {
	size_t per_task, tasks, arrays, per_array;
} sweep_emit_layout;
void sweep_emit_layout_of(const sweep_plan *p, const sweep_emit_target *t,
			  sweep_emit_layout *out);

/* Check everything the script for T of plan P (after sweep_plan_setup)
 * will hold: call it before the sweep's directory is made. */
int sweep_emit_check(const sweep_plan *p, const sweep_emit_target *t, char *err, size_t errlen);

/* Write the script into the plan's directory (after sweep_plan_begin),
 * checking it again. */
int sweep_emit_write(const sweep_plan *p, const sweep_emit_target *t, char *err, size_t errlen);

/* The file to submit or run, in the directory: "sweep.sbatch" (or
 * "submit.sh" when the tasks are split over arrays), "jobs.txt" (or
 * "parallel.sh" when there are options for parallel). */
const char *sweep_emit_file(const sweep_plan *p, const sweep_emit_target *t);

/* S for a POSIX shell: single-quoted, a quote as '\''. */
void sweep_emit_put_sh(FILE *f, const char *s);

#endif
