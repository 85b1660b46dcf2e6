/*
 * lib/outfile.h - outputs that never destroy a user's data.
 *
 * The rules (what coreutils, git and sqlite do for a file they replace):
 *   - An output is written to a temporary file in the destination's own
 *     directory and renamed over the destination only when it is complete
 *     (outfile_commit): a reader sees the old file or the new one, never a
 *     part. A symbolic link is followed and its target replaced (the link
 *     stays a link). A replaced file keeps its permission bits; a new one
 *     gets 0666 less the umask, as fopen would give it.
 *   - Only a regular file (or an absent path) is replaced. A special file -
 *     a character device such as /dev/null, a FIFO, a socket - is written in
 *     place, without a temporary and without ever being removed, or refused
 *     (OUTFILE_REGULAR, for outputs that must seek). A directory is refused.
 *   - Nothing removes a path it did not create: abandoning an output removes
 *     only its temporary.
 *   - An output that is the same file (device and inode) as an input, or as
 *     another output of the same command, is refused before anything is
 *     opened for writing. "-" is standard output; it is checked against the
 *     inputs too when it is a regular file.
 *   - Every write is checked: outfile_commit flushes, syncs and closes, and
 *     any failure on the way is an error naming the output.
 *
 * At the commit, the destination must still be what it was at the open: a
 * path that appeared (or was replaced) during the run is someone else's and
 * is left alone (the output fails). A file that could not be opened for
 * writing (mode 0444) is not replaced either, as '>' would refuse it.
 *
 * An outset holds the outputs of one command. Created first thing in main,
 * it blocks the terminating signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT,
 * SIGALRM, SIGUSR1/2, SIGVTALRM, SIGPROF - but not one that was ignored
 * when slatsim started, as under nohup) in every thread and starts one
 * thread that waits for them: on a signal it removes every temporary in
 * progress and exits with 128 + the signal number (130, 143, 129...),
 * leaving existing files as they were. An exit() with outputs still open
 * (an error path) abandons them too. SIGPIPE and SIGXFSZ are ignored, so a
 * closed pipe (EPIPE) or the file-size limit (EFBIG) is a write error that
 * the command reports like any other.
 */
#ifndef SLATSIM_OUTFILE_H
#define SLATSIM_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct outset outset;
typedef struct outfile outfile;

/* What outfile_open returns besides 0. */
enum {
	OUTFILE_FAILED = -1,     /* the system refused (permissions, no space, no fd) */
	OUTFILE_REFUSED = -2,    /* refused by the rules above: the command line's fault */
	OUTFILE_NOMEM = -3,      /* out of memory */
};

enum {
	OUTFILE_BINARY = 1u << 0,    /* (informational: streams are binary-safe on POSIX) */
	OUTFILE_REGULAR = 1u << 1,   /* refuse a special file: the writer seeks */
	OUTFILE_PATH = 1u << 2,      /* no stream: the caller writes outfile_write_path() */
};

/* Make sure file descriptors 0, 1 and 2 are open (a closed one is opened on
 * /dev/null so that writes to it fail rather than land in the next file
 * opened), block the signals above and start the watcher. Returns 0, or -1
 * with a message. */
int outset_create(outset **out, char *err, size_t errlen);
/* The same for a library inside another program (the Python package,
 * sim/python): no watcher, no signal blocked or ignored, no exit hook - the
 * host program owns its signals; its driver abandons the outputs in
 * progress itself when it is interrupted (outset_destroy). */
int outset_create_embedded(outset **out, char *err, size_t errlen);
/* Abandon every output still open, stop the watcher, free. */
void outset_destroy(outset *s);

/* PATH ("-" = standard input) is an input of the command: an output that is
 * the same file is refused. A path that does not exist is ignored (opening
 * it reports that). */
void outset_add_input(outset *s, const char *path);

/* The input (as registered) that PATH is the same file as, or NULL. */
const char *outset_input_at(const outset *s, const char *path);

/* Standard output is a regular file that is one of the inputs (a report
 * appended to the trace): OUTFILE_REFUSED with a message, else 0. */
int outset_check_stdout(const outset *s, char *err, size_t errlen);

/* Open an output. WHAT names it in messages ("--json", "OUT"). Returns 0, or
 * an OUTFILE_* code with a one-line message naming the path. A path naming a
 * standard descriptor that was closed (/dev/stdout with stdout closed) is
 * OUTFILE_FAILED; an output that is standard output as a regular file
 * (--json /dev/stdout > FILE) is refused. */
int outfile_open(outset *s, outfile **out, const char *path, const char *what, unsigned flags,
		 char *err, size_t errlen);

FILE *outfile_stream(outfile *o);                /* NULL with OUTFILE_PATH */
const char *outfile_write_path(const outfile *o);   /* where the bytes go now */
const char *outfile_name(const outfile *o);      /* as given; "standard output" for "-" */
int outfile_is_stdout(const outfile *o);

/* Finish: flush, sync, close, rename into place. Returns 0, or an errno
 * (EPIPE: a reader went away; EEXIST: the destination changed meanwhile)
 * with a message naming the output (the temporary is removed, the
 * destination left as it was). Frees O either way. */
int outfile_commit(outfile *o, char *err, size_t errlen);

/* Give up: remove the temporary (never the destination), free O. */
void outfile_abandon(outfile *o);

/* Flush F and say whether a write to it failed: 0, or the errno of the
 * failure (EIO when it cannot be known). */
int outfile_stream_errno(FILE *f);

/* Flush and close standard output, checking for errors (a full disk, a
 * closed descriptor, a broken pipe). Returns 0, or the errno (EIO when none
 * is known) with a message. */
int outfile_close_stdout(char *err, size_t errlen);

#endif
