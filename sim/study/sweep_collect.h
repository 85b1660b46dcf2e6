/*
 * sim/study/sweep_collect.h - a sweep's point files read back (issue 22: out of
 * the command line): whether a file is the point it stands for, and the
 * results tables of a sweep's directory.
 *
 * A sweep's directory (sim/study/sweep_plan.h) holds sweep.json, the manifest,
 * and points/N.json, point N's `slatsim run --json`. A point file is read
 * back when a sweep resumes (a file there is the point finished) and when
 * the results are collected, maybe from the tasks of an array job run days
 * later: each must then be that point's - written by this slatsim, of the
 * point's trace, with the point's configuration - and every statistic a
 * number, or it is refused naming what differs, never taken as the point
 * (its row would be another configuration's).
 *
 * Results, from the manifest and the point files (so a resumed or collected
 * sweep gives the same bytes as one run through):
 *   DIR/results.csv    one row per point: point, trace, each swept
 *   DIR/results.json   parameter (linked keys apart), every statistic (the
 *                      union over the points, in order of first appearance;
 *                      a statistic a point lacks - a domain's - is an empty
 *                      cell), each number's text as the point file has it;
 *                      then the derived columns (issue 25), in the JSON
 *                      rows' "stats" after the raw counts: mpki.l1i,
 *                      mpki.l1d, mpki.l2 (TLB misses per 1,000
 *                      instructions), walks.pki (page walks per 1,000
 *                      instructions), translation.cpi (cycles.translation
 *                      per instruction), translation.share
 *                      (cycles.translation / cycles.total) - none for a
 *                      point of no instructions or a TLB level it lacks
 *
 * Neither verb prints or exits: TRACE_OK, or a TRACE_E* code with a message
 * in the caller's buffer (TRACE_EFORMAT, TRACE_EIO: the files' fault, exit 2
 * at the command line; TRACE_ENOMEM, TRACE_EOUTPUT: the machine's, exit 1).
 */
#ifndef SLATSIM_SWEEP_COLLECT_H
#define SLATSIM_SWEEP_COLLECT_H

#include "jsonr.h"
#include "outfile.h"
#include "param.h"

#include <stddef.h>

/* Whether DOC (a point file read back) is point N of a sweep made by
 * slatsim VERSION, of TRACE, with the configuration P: TRACE_OK if it is
 * (`slatsim run --json` of that point, every statistic a number); else
 * TRACE_EFORMAT with why in MSG ("not point 3 of this sweep: its
 * tlb.l2.entries is 513, the point's is 512"), or TRACE_ENOMEM. */
int sweep_point_check(const jsonr *doc, size_t n, const char *version, const char *trace,
		      const param_reg *p, char *msg, size_t len);

/* DIR/results.csv and DIR/results.json of the sweep in DIR, from its
 * manifest and point files, written through OUTS (lib/outfile.h: complete
 * or absent). Refuses a manifest that is not one, the points that have no
 * file (naming up to 10 of them) and a point file that is not its point
 * (sweep_point_check), naming the file. Each point file is read twice, one
 * at a time - checked, its statistics' names merged, then written as a row
 * - so memory does not grow with the points. */
int sweep_collect(const char *dir, outset *outs, char *err, size_t errlen);

#endif
