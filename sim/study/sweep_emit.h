/*
 * sim/study/sweep_emit.h - a sweep as scripts for a cluster (issue 22: out of the
 * command line): the points of a plan (sim/study/sweep_plan.h) as
 *
 *   DIR/sweep.sbatch   a Slurm array job, a task per point (submit it with
 *                      sbatch; DIR must be on a shared file system)
 *   DIR/jobs.txt       a command per point for a POSIX shell (GNU parallel
 *                      --sshloginfile HOSTS < DIR/jobs.txt)
 *
 * Each task runs `slatsim sweep --quiet ... --point N` with the plan's own
 * arguments, from the directory the sweep was planned in, so that relative
 * paths mean what they meant; `slatsim sweep --collect DIR` then writes the
 * results (sim/study/sweep_collect.h). Nothing is run.
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

/* What the tasks of a script run, and where. */
typedef struct sweep_emit_target {
	enum sweep_emit_kind kind;
	const char *self;       /* the slatsim the tasks run */
	const char *cwd;        /* the directory they run in */
} sweep_emit_target;

/* Check everything the script for T of plan P (after sweep_plan_setup)
 * will hold: call it before the sweep's directory is made. */
int sweep_emit_check(const sweep_plan *p, const sweep_emit_target *t, char *err, size_t errlen);

/* Write the script into the plan's directory (after sweep_plan_begin),
 * checking it again. */
int sweep_emit_write(const sweep_plan *p, const sweep_emit_target *t, char *err, size_t errlen);

/* The script's name in the directory: "sweep.sbatch" or "jobs.txt". */
const char *sweep_emit_file(enum sweep_emit_kind kind);

/* S for a POSIX shell: single-quoted, a quote as '\''. */
void sweep_emit_put_sh(FILE *f, const char *s);

#endif
