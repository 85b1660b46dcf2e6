/*
 * sim/study/sweep.h - one trace into many machines from one decode; what a sweep
 * read (fingerprints); a sweep's directory (paths, outputs). The ground the
 * sweep engine stands on: the plan (sim/study/sweep_plan.h), its scripts
 * (sim/study/sweep_emit.h) and its results (sim/study/sweep_collect.h) use it.
 *
 * A design-space sweep runs the same trace through many configurations.
 * Decoding dominates a replay of a compressed trace, so the points of a
 * sweep that share a trace share its decode: each batch of records read is
 * fed to every point's machine (machine_run) before the next is read.
 *
 * With THREADS > 1 the decode is shared: the calling thread decodes into
 * a ring of batches (a bounded queue: memory stays constant) and the
 * threads, the calling one too, claim each batch's feed to each machine,
 * one machine at a time - every thread mostly the machines of its own
 * share, taking the others' when its own are done, so that the work
 * balances whatever each point costs (sweep.c). A machine takes one batch
 * at a time and the batches in order, on whichever thread claimed it
 * (machines share no state, machine.h). Or, with per-thread decode, the
 * machines are dealt round-robin and each thread reads the trace itself
 * (no synchronisation, the decode paid once per thread); `make bench`
 * measures both.
 *
 * A point that fails (a record its configuration refuses, out of memory)
 * stops alone, with its message naming the trace and the place; the others
 * go on. sim.max_records and sim.prefault are each point's own.
 */
#ifndef SLATSIM_SWEEP_H
#define SLATSIM_SWEEP_H

#include "machine.h"
#include "outfile.h"
#include "trace.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sweep_job {
	machine *m;             /* built by the caller from its configuration */
	/* out */
	int code;               /* TRACE_OK, or the failure's TRACE_E* code */
	char err[1024];         /* the failure: "PATH: line N: ..." */
} sweep_job;

typedef struct sweep_opts {
	unsigned threads;       /* 1: everything on the calling thread */
	int per_thread_decode;  /* threads > 1: each worker decodes the trace itself */
	/* Asked on the calling thread after each batch of records it decoded
	 * (NULL: never), with the trace's records read so far: non-zero stops
	 * the replay, every job failed with TRACE_ESTOPPED and the message it
	 * put in ERR - a driver's progress and interruption (the Python
	 * package's Ctrl-C, sim/python). */
	int (*poll)(void *ctx, uint64_t records, char *err, size_t errlen);
	void *poll_ctx;
	/* Told on the same thread at the same times (NULL: never) the trace's
	 * input bytes read and its size (trace_progress; 0: unknown): the
	 * command line's progress line. */
	void (*tick)(void *ctx, uint64_t done, uint64_t total);
	void *tick_ctx;
	/* run's window, for every job: the trace's first SKIP records are not
	 * read (trace_seek), the next WARMUP warm each machine up and are not
	 * counted (machine_warm); a window that leaves nothing fails each job
	 * with run's message. sim.max_records counts from the skip, warm-up
	 * included, as run's --limit. */
	uint64_t skip, warmup;
} sweep_opts;

/* Replay TRACE (FMT) through every job's machine, to the end of the trace
 * or the machine's sim.max_records, then machine_finish. *HDR gets the
 * trace's header. Returns TRACE_OK (each job says how it ended), or a code
 * with a message when the trace itself could not be read: then every job
 * is failed with that message. */
int sweep_replay(const char *trace, enum trace_format fmt, sweep_job *jobs, size_t n,
		 const sweep_opts *o, trace_header *hdr, char *err, size_t errlen);

/* ---------------------------------------------------------------- what was read
 *
 * A sweep that is resumed, or run as tasks of an array job, reads its
 * traces again, maybe days later: its points must all come from the same
 * bytes. The fingerprint of a trace is every file the trace reader opens
 * for it - the file itself; of a DynamoRIO capture directory, every regular
 * file of DIR/trace/ (DIR itself when it has no trace/ subdirectory: the
 * reader's rule, traces/drmemtrace.c list_threads; it does not descend
 * further) - each with its size, modification time and a hash of its whole
 * content (XXH64), so that a thread file added, removed or edited with its
 * size and time kept (cp -p, rsync -t, tar x) is seen. Hashing reads each
 * file once: 1-2 ms for the shipped 5.7 MB capture, next to a decode of
 * 0.6 s. */

typedef struct sweep_file {
	char *name;            /* relative to the trace path; "" for the trace file itself */
	uint64_t bytes;
	uint64_t mtime_ns;
	uint64_t xxh64;        /* of the whole content, seed 0 */
} sweep_file;

typedef struct sweep_print {
	sweep_file *f;         /* sorted by name (strcmp) */
	size_t n;
} sweep_print;

/* The fingerprint of TRACE into *OUT (free with sweep_print_free). Returns
 * TRACE_OK, or TRACE_EIO / TRACE_ENOMEM with a message naming the file
 * (one that cannot be read, is not a regular file, or changed while it was
 * being hashed). */
int sweep_fingerprint(const char *trace, sweep_print *out, char *err, size_t errlen);
void sweep_print_free(sweep_print *p);

/* Whether NOW differs from WAS (both of TRACE): 0 if not, else 1 with a
 * message naming the first file that changed, appeared or vanished. */
int sweep_print_diff(const char *trace, const sweep_print *was, const sweep_print *now,
		     char *msg, size_t len);

/* XXH64 (Yann Collet's xxHash, 64-bit; the reference is xxhash.h of
 * github.com/Cyan4973/xxHash): streaming, so a file is hashed as it is read. */
typedef struct sweep_xxh64 {
	uint64_t v[4], total;
	unsigned char buf[32];
	size_t nbuf;
	uint64_t seed;
} sweep_xxh64;

void sweep_xxh64_init(sweep_xxh64 *h, uint64_t seed);
void sweep_xxh64_update(sweep_xxh64 *h, const void *p, size_t n);
uint64_t sweep_xxh64_digest(const sweep_xxh64 *h);

/* ---------------------------------------------------------------- the directory
 *
 * A sweep's files (sim/study/sweep_plan.h writes them, sim/study/sweep_collect.h reads
 * them back): DIR/sweep.json, DIR/points/N.json, DIR/results.csv and .json,
 * the emitted scripts (sim/study/sweep_emit.h). Every file is written through
 * lib/outfile.h - complete or absent, never half - in the command's outset. */

/* DIR/NAME, malloc'd (NULL when out of memory). */
char *sweep_dir_file(const char *dir, const char *name);
/* DIR/points/N.json, malloc'd (NULL when out of memory). */
char *sweep_dir_point(const char *dir, size_t n);

/* Open output PATH (WHAT names it in messages) in OUTS: TRACE_OK, or
 * TRACE_EIO when the rules of lib/outfile.h refuse it (the command line's
 * fault: an input, a directory), TRACE_ENOMEM, TRACE_EOUTPUT (the system
 * refused), with outfile_open's message. */
int sweep_output_open(outset *outs, outfile **o, const char *path, const char *what,
		      char *err, size_t errlen);
/* Commit O: TRACE_OK, or TRACE_EOUTPUT with outfile_commit's message. */
int sweep_output_commit(outfile *o, char *err, size_t errlen);

#endif
