/*
 * traces/trace_int.h - internals shared by the readers (not a public header).
 *
 * instream: a byte source (file or stdin) decompressed on the fly (gzip via
 * zlib, xz via liblzma, or plain) into one window buffer that the format
 * readers parse in place. The window's first byte sits at decompressed offset
 * `base`, so a reader can name the exact byte offset of any error.
 */
#ifndef SLATSIM_TRACE_INT_H
#define SLATSIM_TRACE_INT_H

#include "shown.h"   /* text_shown: a name read from a file, as a message shows it */
#include "trace.h"

#include <stdarg.h>
#include <stdio.h>

#define INSTREAM_WINDOW (1u << 20)

enum instream_comp { IN_PLAIN, IN_GZIP, IN_XZ, IN_ZLIB };

typedef struct instream instream;

struct instream_view {
	const uint8_t *buf;   /* window start */
	size_t pos, len;      /* parse position, valid bytes */
	uint64_t base;        /* decompressed offset of buf[0] */
	int eof;              /* no more bytes will arrive after len */
};

int instream_open(instream **out, const char *path, char *err, size_t errlen);
/* The same with a WINDOW of that many bytes (instream_open: INSTREAM_WINDOW)
 * and INSTREAM_* flags. */
#define INSTREAM_ZLIB 0x1u   /* also recognise a zlib (RFC 1950) stream */
int instream_open_opts(instream **out, const char *path, size_t window, unsigned flags,
		       char *err, size_t errlen);
/* The same on FD, which the instream takes (and closes); NAME names it in
 * messages. */
int instream_open_fd(instream **out, int fd, const char *name, size_t window, unsigned flags,
		     char *err, size_t errlen);
/* The same on LEN bytes at DATA, which the caller keeps unchanged until
 * instream_close: plain content is parsed in place (no window, no copy);
 * compressed content is decoded into a window of WINDOW bytes. It reads as
 * a regular file of those bytes would (seekable, pread, whole members). */
int instream_open_mem(instream **out, const void *data, size_t len, const char *name,
		      size_t window, unsigned flags, char *err, size_t errlen);
void instream_close(instream *s);
/* Whether S reads at any offset (a regular file that is not empty, or
 * memory): what a zip archive or an index needs. */
int instream_seekable(const instream *s);
/* A plain stream that has not moved on and holds a zlib stream (RFC 1950
 * header) from the parse position on: decode it from now on, as
 * INSTREAM_ZLIB would have at the open (for what cannot be opened twice).
 * TRACE_OK, 1 where it does not apply (nothing changed), or an error. */
int instream_as_zlib(instream *s, char *err, size_t errlen);

/* Shift the unread bytes to the window start and read more until the window is
 * full or the input ends. The view is updated. Returns TRACE_OK or an error
 * (corrupt/truncated compressed data, read error) with a message in err. */
int instream_fill(instream *s, char *err, size_t errlen);

struct instream_view *instream_view(instream *s);

/* A regular gzip file only: continue decompressing at compressed byte
 * COMP_OFF (the start of a gzip member) as if it were uncompressed byte
 * UNCOMP_OFF, and fill the window. */
int instream_reposition(instream *s, uint64_t comp_off, uint64_t uncomp_off, char *err,
			size_t errlen);
/* A regular gzip file whose window has not moved yet: read it from now on
 * a gzip member at a time, each inflated whole by libdeflate (2.3x zlib's
 * inflate and CRC on the shipped trace), the members starting at the N
 * compressed offsets OFF (OFF[0] = 0; the last ends at the end of the
 * file). The parse position is kept. Returns TRACE_OK, 1 where it does not
 * apply (nothing changed), or an error. */
int instream_members(instream *s, const uint64_t *off, size_t n, char *err, size_t errlen);
/* Read LEN raw (compressed) bytes at OFF of a regular file: 0, or -1. */
int instream_pread(const instream *s, void *buf, size_t len, uint64_t off);
uint64_t instream_file_size(const instream *s);   /* 0 unless a regular file */
enum instream_comp instream_comp(const instream *s);
const char *instream_path(const instream *s);
void instream_progress(const instream *s, uint64_t *done, uint64_t *total);

/* A reader backend. */
typedef struct trace_backend {
	int (*read)(trace_reader *r, trace_rec *buf, size_t max, char *err, size_t errlen);
	void (*destroy)(trace_reader *r);
	/* Progress of a backend that reads other streams than r->in (else NULL). */
	void (*progress)(const trace_reader *r, uint64_t *done, uint64_t *total);
	/* Position at record RECNO without decoding what comes before, if the
	 * input allows it: TRACE_OK, 1 when it does not (trace_seek then
	 * decodes and discards), or an error. NULL: never. */
	int (*seek)(trace_reader *r, uint64_t recno, char *err, size_t errlen);
	/* trace_nonfetched: 1 with the count, for a format that records them;
	 * NULL: it does not. */
	int (*nonfetched)(const trace_reader *r, uint64_t *n);
} trace_backend;

struct trace_reader {
	const trace_backend *be;
	instream *in;          /* NULL for a backend that opens its own streams */
	char *path;            /* as opened; "<stdin>" for "-" */
	trace_header hdr;
	int done;              /* 0, or the final result (0 = end, < 0 = error) */
	char final_err[512];
	void *priv;
	uint64_t nrec;         /* records returned so far */
	int line_based;        /* set by a text backend: it fills lines[] */
	uint64_t *lines;       /* the line of each record of the last batch */
	size_t lines_cap;
	unsigned open_flags;   /* TRACE_OPEN_* the caller asked for, and: */
#define TRACE_OPEN_WHOLE_MEMBERS 0x100u   /* a decoding thread: a chunked .slt is read a
					     member at a time (instream_members) */
	struct trace_pipe *pipe;   /* background decoding (threads > 1), else NULL */
	const uint8_t *mem;    /* trace_open_mem: the caller's bytes, else NULL */
	size_t memlen;
};

/* A line-based backend records the line of record N of the batch. */
static inline void trace_note_line(trace_reader *r, size_t n, uint64_t line)
{
	r->lines[n] = line;
}

/* The kind and op a backend gives a prefetch of flavour PF (trace.h: a
 * caller that did not ask for TRACE_P gets a read of the same bytes). */
static inline void trace_set_prefetch(const trace_reader *r, trace_rec *rec, unsigned pf)
{
	int as_p = (r->open_flags & TRACE_OPEN_PREFETCH) != 0;
	rec->kind = as_p ? TRACE_P : TRACE_R;
	rec->op = as_p ? (uint8_t)pf : 0;
}

/* Backends: each sets r->be, r->priv and r->hdr from the opened stream. */
int slt_reader_init(trace_reader *r, char *err, size_t errlen);
int lackey_reader_init(trace_reader *r, char *err, size_t errlen);
int champsim_reader_init(trace_reader *r, char *err, size_t errlen);
int text_reader_init(trace_reader *r, char *err, size_t errlen);
/* drmemtrace: PATH is a directory (IS_DIR) or one per-thread file; IN, if
 * not NULL, is that file already opened (standard input, a pipe: what cannot
 * be opened twice; the reader takes it); else r->mem, if not NULL, holds the
 * file's bytes. */
int drmemtrace_reader_init(trace_reader *r, const char *path, int is_dir, instream *in,
			   char *err, size_t errlen);
/* Whether content starting B[0..N) looks like a drmemtrace per-thread file. */
int drmemtrace_sniff(const uint8_t *b, size_t n);


/* Format a message "PATH: ..." into err; returns CODE. */
/* "out of memory (reading or writing PATH)"; returns TRACE_ENOMEM. */
int trace_oom(char *err, size_t errlen, const char *path);
int trace_errf(char *err, size_t errlen, int code, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* (trace_rec_check, in trace.h, validates one decoded record) */

/* A backend's destroy that frees r->priv and nothing else. */
void trace_free_priv(trace_reader *r);

/* ---- line-oriented helpers for the text formats ---- */



/* A text format's open: a NUL byte in the first 64 KB (what detection
 * looked at) is refused now, naming its line and byte offset (the first
 * line being the one at the parse position); past them, trace_next_line
 * refuses it when it gets there. TRACE_OK or the error. */
int trace_text_open_check(instream *in, char *err, size_t errlen);

/* Get the next line (without its newline, '\r' stripped) from the stream.
 * Returns 1 with line and len set, 0 at end, < 0 on error (line too long,
 * NUL byte, stream error). lineno is advanced. */
int trace_next_line(instream *in, uint64_t *lineno, const char **line, size_t *len,
		    char *err, size_t errlen);

/* Parse hex digits (optional 0x) at *p up to end; returns 0 and advances *p,
 * or -1 if there is no digit or the value overflows 64 bits. */
int trace_parse_hex(const char **p, const char *end, uint64_t *out);
int trace_parse_dec(const char **p, const char *end, uint64_t *out);

#endif
