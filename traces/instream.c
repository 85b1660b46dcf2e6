/*
 * traces/instream.c - decompressing byte source for the readers.
 *
 * Compression is recognised from the first bytes (gzip 1f 8b, xz fd 37 7a 58
 * 5a 00; with INSTREAM_ZLIB also a zlib header, RFC 1950: CM 8 and the
 * 16-bit header a multiple of 31), never from the file name, so a pipe works
 * as well as a file. zlib is opt-in (the drmemtrace reader's container): two
 * bytes are too weak a signature for every other format.
 * Concatenated gzip members and xz streams are read through. A stream that
 * ends before its compressed end (truncated file) or fails its check (CRC)
 * is an error naming the compressed byte offset: a reader never sees silently
 * fewer bytes.
 *
 * The bytes come from a file descriptor (a file, a pipe, standard input) or
 * from memory (instream_open_mem: the fuzz targets, and anything that holds
 * a trace already): memory reads like a regular file of the same bytes, and
 * plain content is parsed where it lies.
 */
#include "trace_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define RAW_BUF (256u << 10)

struct instream {
	size_t window;         /* bytes of the window; the raw buffer is at most RAW_BUF */
	size_t raw_cap;
	int fd;
	int own_fd;
	int mem;               /* the bytes are the caller's (instream_open_mem): raw is
				  borrowed, and plain content is served from it in place */
	char *path;
	enum instream_comp comp;
	z_stream z;
	lzma_stream x;
	int codec_live;        /* decoder initialised */
	int member_done;       /* gzip: last member ended; more input means another */
	uint8_t *raw;
	size_t raw_pos, raw_len;
	int raw_eof;
	uint64_t raw_consumed; /* compressed bytes handed to the decoder */
	uint64_t file_size;
	uint8_t *win;
	struct instream_view v;
	/* Whole-member mode (instream_members): each gzip member is read and
	 * inflated in one call (libdeflate), then served from mout. */
	struct libdeflate_decompressor *ld;
	uint64_t *moff;        /* members' compressed offsets, then the end */
	size_t nm, mi;         /* members; the next to inflate */
	uint8_t *min, *mout;
	size_t min_cap, mout_cap, mout_len, mout_pos;
};

int trace_oom(char *err, size_t errlen, const char *path)
{
	snprintf(err, errlen, "out of memory (reading or writing %s)", path);
	return TRACE_ENOMEM;
}

int trace_errf(char *err, size_t errlen, int code, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: ", path);
	if (n < 0 || (size_t)n >= errlen)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

/* Whether S can be read at any offset: a regular file that is not empty,
 * or the caller's bytes. */
static int seekable(const instream *s)
{
	return s->file_size && (s->own_fd || s->mem);
}

static int raw_refill(instream *s, char *err, size_t errlen)
{
	if (s->raw_pos < s->raw_len || s->raw_eof)
		return TRACE_OK;
	for (;;) {
		ssize_t n = read(s->fd, s->raw, s->raw_cap);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return trace_errf(err, errlen, TRACE_EIO, s->path, "read error: %s",
					  strerror(errno));
		}
		s->raw_pos = 0;
		s->raw_len = (size_t)n;
		if (n == 0)
			s->raw_eof = 1;
		return TRACE_OK;
	}
}

int instream_open(instream **out, const char *path, char *err, size_t errlen)
{
	return instream_open_opts(out, path, INSTREAM_WINDOW, 0, err, errlen);
}

/* Recognise the compression from the first raw bytes and start its
 * decoder. */
static int start_codec(instream *s, unsigned flags, char *err, size_t errlen)
{
	static const uint8_t xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
	if (s->raw_len >= 2 && s->raw[0] == 0x1f && s->raw[1] == 0x8b) {
		s->comp = IN_GZIP;
		if (inflateInit2(&s->z, 15 + 16) != Z_OK)
			return trace_errf(err, errlen, TRACE_EIO, s->path, "zlib init failed");
		s->codec_live = 1;
	} else if ((flags & INSTREAM_ZLIB) && s->raw_len >= 2 && (s->raw[0] & 0x0f) == 8 &&
		   (s->raw[0] >> 4) <= 7 && ((s->raw[0] << 8) | s->raw[1]) % 31 == 0) {
		s->comp = IN_ZLIB;
		if (inflateInit2(&s->z, 15) != Z_OK)
			return trace_errf(err, errlen, TRACE_EIO, s->path, "zlib init failed");
		s->codec_live = 1;
	} else if (s->raw_len >= 6 && memcmp(s->raw, xz_magic, 6) == 0) {
		s->comp = IN_XZ;
		lzma_stream init = LZMA_STREAM_INIT;
		s->x = init;
		if (lzma_stream_decoder(&s->x, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
			return trace_errf(err, errlen, TRACE_EIO, s->path, "liblzma init failed");
		s->codec_live = 1;
	} else {
		s->comp = IN_PLAIN;
	}
	return TRACE_OK;
}

/* A new instream named NAME with a window of WINDOW bytes (none with
 * NO_WINDOW) and, with RAW, a raw buffer. */
static instream *alloc_stream(const char *name, size_t window, int raw)
{
	instream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fd = -1;
	s->window = window;
	s->raw_cap = window < RAW_BUF ? window : RAW_BUF;
	s->path = strdup(name);
	s->raw = raw ? malloc(s->raw_cap) : NULL;
	s->win = window ? malloc(window) : NULL;
	if (!s->path || (raw && !s->raw) || (window && !s->win)) {
		instream_close(s);
		return NULL;
	}
	s->v.buf = s->win;
	return s;
}

/* S reads FD (OWN: closes it): note a regular file's size, refuse a
 * directory, read the first bytes and start the decoder. Frees S on an
 * error. */
static int open_fd(instream **out, instream *s, int fd, int own, unsigned flags, char *err,
		   size_t errlen)
{
	s->fd = fd;
	s->own_fd = own;
	struct stat st;
	if (own && fstat(s->fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			int rc = trace_errf(err, errlen, TRACE_EIO, s->path, "is a directory");
			instream_close(s);
			return rc;
		}
		if (S_ISREG(st.st_mode))
			s->file_size = (uint64_t)st.st_size;
	}
	/* Sniff the compression from the first bytes (up to 6 needed). */
	int rc;
	while (s->raw_len < 6 && !s->raw_eof) {
		ssize_t n = read(s->fd, s->raw + s->raw_len, s->raw_cap - s->raw_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = trace_errf(err, errlen, TRACE_EIO, s->path, "read error: %s",
					strerror(errno));
			instream_close(s);
			return rc;
		}
		if (n == 0)
			s->raw_eof = 1;
		s->raw_len += (size_t)n;
	}
	if ((rc = start_codec(s, flags, err, errlen)) != TRACE_OK) {
		instream_close(s);
		return rc;
	}
	*out = s;
	return TRACE_OK;
}

int instream_open_opts(instream **out, const char *path, size_t window, unsigned flags,
		       char *err, size_t errlen)
{
	*out = NULL;
	int is_stdin = strcmp(path, "-") == 0;
	instream *s = alloc_stream(is_stdin ? "<stdin>" : path, window, 1);
	if (!s)
		return trace_oom(err, errlen, path);
	if (is_stdin)
		return open_fd(out, s, 0, 0, flags, err, errlen);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		int e = errno;
		instream_close(s);
		return trace_errf(err, errlen, TRACE_EIO, path, "cannot open: %s", strerror(e));
	}
	return open_fd(out, s, fd, 1, flags, err, errlen);
}

int instream_open_fd(instream **out, int fd, const char *name, size_t window, unsigned flags,
		     char *err, size_t errlen)
{
	*out = NULL;
	instream *s = alloc_stream(name, window, 1);
	if (!s) {
		close(fd);
		return trace_oom(err, errlen, name);
	}
	return open_fd(out, s, fd, 1, flags, err, errlen);
}

int instream_open_mem(instream **out, const void *data, size_t len, const char *name,
		      size_t window, unsigned flags, char *err, size_t errlen)
{
	*out = NULL;
	/* (plain content needs no window: the view is the caller's bytes) */
	instream *s = alloc_stream(name, 0, 0);
	if (!s)
		return trace_oom(err, errlen, name);
	s->mem = 1;
	s->raw = (uint8_t *)(uintptr_t)data;   /* (borrowed, never written) */
	s->raw_cap = s->raw_len = len;
	s->raw_eof = 1;
	s->file_size = len;
	int rc = start_codec(s, flags, err, errlen);
	if (rc == TRACE_OK && s->comp != IN_PLAIN) {
		s->window = window;
		if (!(s->win = malloc(window)))
			rc = trace_oom(err, errlen, name);
		s->v.buf = s->win;
	} else if (rc == TRACE_OK) {
		s->v = (struct instream_view){ .buf = s->raw, .len = len, .eof = 1 };
		s->raw_pos = len;
		s->raw_consumed = len;
	}
	if (rc != TRACE_OK) {
		instream_close(s);
		return rc;
	}
	*out = s;
	return TRACE_OK;
}

void instream_close(instream *s)
{
	if (!s)
		return;
	if (s->codec_live) {
		if (s->comp == IN_GZIP || s->comp == IN_ZLIB)
			inflateEnd(&s->z);
		else if (s->comp == IN_XZ)
			lzma_end(&s->x);
	}
	if (s->own_fd)
		close(s->fd);
	if (s->ld)
		libdeflate_free_decompressor(s->ld);
	free(s->moff);
	free(s->min);
	free(s->mout);
	free(s->path);
	if (!s->mem)
		free(s->raw);
	free(s->win);
	free(s);
}

/* Decompress into dst[0..cap); returns bytes produced (0 only at the clean end)
 * or a negative error. */
static int next_member(instream *s, char *err, size_t errlen);

static long produce(instream *s, uint8_t *dst, size_t cap, char *err, size_t errlen)
{
	int rc;
	if (s->ld) {
		while (s->mout_pos == s->mout_len && s->ld) {
			if (s->mi == s->nm)
				return 0;
			if ((rc = next_member(s, err, errlen)) != TRACE_OK)
				return rc;
		}
		if (s->ld) {
			size_t n = s->mout_len - s->mout_pos;
			if (n > cap)
				n = cap;
			memcpy(dst, s->mout + s->mout_pos, n);
			s->mout_pos += n;
			return (long)n;
		}
		/* (next_member fell back to the stream: on below) */
	}
	if (s->comp == IN_PLAIN) {
		if ((rc = raw_refill(s, err, errlen)) != TRACE_OK)
			return rc;
		size_t n = s->raw_len - s->raw_pos;
		if (n > cap)
			n = cap;
		memcpy(dst, s->raw + s->raw_pos, n);
		s->raw_pos += n;
		s->raw_consumed += n;
		return (long)n;
	}
	if (s->comp == IN_GZIP || s->comp == IN_ZLIB) {
		const char *what = s->comp == IN_GZIP ? "gzip" : "zlib";
		s->z.next_out = dst;
		s->z.avail_out = (uInt)cap;
		while (s->z.avail_out == cap) {
			if ((rc = raw_refill(s, err, errlen)) != TRACE_OK)
				return rc;
			if (s->member_done) {
				if (s->raw_pos == s->raw_len)
					return 0;   /* clean end after a complete member */
				/* Another gzip member follows (concatenated .gz files);
				 * a zlib stream has one. */
				if (s->raw[s->raw_pos] != 0x1f || s->comp == IN_ZLIB)
					return trace_errf(err, errlen, TRACE_EFORMAT, s->path,
							  "trailing garbage after %s stream at "
							  "compressed byte %llu", what,
							  (unsigned long long)s->raw_consumed);
				inflateReset(&s->z);
				s->member_done = 0;
			}
			if (s->raw_pos == s->raw_len)
				return trace_errf(err, errlen, TRACE_EFORMAT, s->path,
						  "truncated %s stream: input ends at compressed "
						  "byte %llu before the end of the compressed data",
						  what, (unsigned long long)s->raw_consumed);
			s->z.next_in = s->raw + s->raw_pos;
			s->z.avail_in = (uInt)(s->raw_len - s->raw_pos);
			uInt before = s->z.avail_in;
			int zr = inflate(&s->z, Z_NO_FLUSH);
			size_t used = before - s->z.avail_in;
			s->raw_pos += used;
			s->raw_consumed += used;
			if (zr == Z_STREAM_END) {
				s->member_done = 1;
			} else if (zr == Z_MEM_ERROR) {
				return trace_errf(err, errlen, TRACE_ENOMEM, s->path,
						  "out of memory (zlib's inflate)");
			} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
				return trace_errf(err, errlen, TRACE_EFORMAT, s->path,
						  "corrupt %s data near compressed byte %llu: %s",
						  what, (unsigned long long)s->raw_consumed,
						  s->z.msg ? s->z.msg : zError(zr));
			}
		}
		return (long)(cap - s->z.avail_out);
	}
	/* xz */
	if (s->member_done)
		return 0;
	s->x.next_out = dst;
	s->x.avail_out = cap;
	while (s->x.avail_out == cap) {
		if ((rc = raw_refill(s, err, errlen)) != TRACE_OK)
			return rc;
		s->x.next_in = s->raw + s->raw_pos;
		s->x.avail_in = s->raw_len - s->raw_pos;
		size_t before = s->x.avail_in;
		lzma_ret lr = lzma_code(&s->x, s->raw_eof ? LZMA_FINISH : LZMA_RUN);
		size_t used = before - s->x.avail_in;
		s->raw_pos += used;
		s->raw_consumed += used;
		if (lr == LZMA_STREAM_END) {
			s->member_done = 1;   /* LZMA_CONCATENATED: end of all streams */
			return (long)(cap - s->x.avail_out);
		}
		if (lr == LZMA_BUF_ERROR && s->raw_eof)
			return trace_errf(err, errlen, TRACE_EFORMAT, s->path,
					  "truncated xz stream: input ends at compressed byte %llu",
					  (unsigned long long)s->raw_consumed);
		if (lr != LZMA_OK && lr != LZMA_BUF_ERROR) {
			const char *why = lr == LZMA_DATA_ERROR ? "corrupt data"
					: lr == LZMA_FORMAT_ERROR ? "not an xz stream"
					: lr == LZMA_OPTIONS_ERROR ? "unsupported options"
					: lr == LZMA_MEM_ERROR ? "out of memory"
					: "decoder error";
			return trace_errf(err, errlen, lr == LZMA_MEM_ERROR ? TRACE_ENOMEM : TRACE_EFORMAT,
					  s->path, "%s in xz stream near compressed byte %llu", why,
					  (unsigned long long)s->raw_consumed);
		}
	}
	return (long)(cap - s->x.avail_out);
}

int instream_fill(instream *s, char *err, size_t errlen)
{
	struct instream_view *v = &s->v;
	if (s->mem && s->comp == IN_PLAIN)
		return TRACE_OK;   /* the view is every byte already */
	if (v->pos > 0) {
		size_t keep = v->len - v->pos;
		memmove(s->win, s->win + v->pos, keep);
		v->base += v->pos;
		v->len = keep;
		v->pos = 0;
	}
	while (!v->eof && v->len < s->window) {
		long n = produce(s, s->win + v->len, s->window - v->len, err, errlen);
		if (n < 0)
			return (int)n;
		if (n == 0)
			v->eof = 1;
		v->len += (size_t)n;
	}
	return TRACE_OK;
}

/* Go on with zlib's stream at compressed byte OFF of a regular gzip file: a
 * member's start, or with MEMBER_DONE where a member was checked to end (the
 * next bytes are another member, the clean end, or trailing garbage, as the
 * stream would find them). Whole-member mode, if it was on, ends. */
static int stream_at(instream *s, uint64_t off, int member_done, char *err, size_t errlen)
{
	if (s->ld) {
		libdeflate_free_decompressor(s->ld);
		s->ld = NULL;
		if (inflateInit2(&s->z, 15 + 16) != Z_OK)
			return trace_errf(err, errlen, TRACE_ENOMEM, s->path, "out of memory (zlib)");
		s->codec_live = 1;
	} else {
		inflateReset(&s->z);
	}
	s->member_done = member_done;
	s->raw_consumed = off;
	if (s->mem) {   /* raw is every byte: go on from OFF */
		s->raw_pos = off < s->raw_len ? (size_t)off : s->raw_len;
		return TRACE_OK;
	}
	if (lseek(s->fd, (off_t)off, SEEK_SET) < 0)
		return trace_errf(err, errlen, TRACE_EIO, s->path, "seek error: %s",
				  strerror(errno));
	s->raw_pos = s->raw_len = 0;
	s->raw_eof = 0;
	return TRACE_OK;
}

int instream_reposition(instream *s, uint64_t comp_off, uint64_t uncomp_off, char *err,
			size_t errlen)
{
	if (s->comp != IN_GZIP || !seekable(s))
		return trace_errf(err, errlen, TRACE_EIO, s->path, "cannot seek in this input");
	if (s->ld) {
		size_t i = 0;
		while (i < s->nm && s->moff[i] != comp_off)
			i++;
		if (i < s->nm) {
			s->mi = i;
			s->mout_pos = s->mout_len = 0;
			s->raw_consumed = comp_off;
			s->v = (struct instream_view){ .buf = s->win, .base = uncomp_off };
			return instream_fill(s, err, errlen);
		}
		/* (not a member we know of: the stream, from there) */
	}
	int rc = stream_at(s, comp_off, 0, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	s->v = (struct instream_view){ .buf = s->win, .base = uncomp_off };
	return instream_fill(s, err, errlen);
}

int instream_pread(const instream *s, void *buf, size_t len, uint64_t off)
{
	if (!seekable(s))
		return -1;
	if (s->mem) {
		if (off > s->file_size || len > s->file_size - off)
			return -1;
		memcpy(buf, s->raw + off, len);
		return 0;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t k = pread(s->fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

uint64_t instream_file_size(const instream *s) { return seekable(s) ? s->file_size : 0; }
int instream_seekable(const instream *s) { return seekable(s); }

int instream_as_zlib(instream *s, char *err, size_t errlen)
{
	struct instream_view *v = &s->v;
	const uint8_t *b = v->buf + v->pos;
	size_t n = v->len - v->pos;
	if (s->comp != IN_PLAIN || s->mem || v->base != 0 || n < 2 || (b[0] & 0x0f) != 8 ||
	    (b[0] >> 4) > 7 || ((b[0] << 8) | b[1]) % 31 != 0)
		return 1;
	/* The compressed bytes: the window's unread ones, then the raw
	 * buffer's, then the rest of the descriptor. */
	size_t rest = s->raw_len - s->raw_pos, have = n + rest;
	size_t cap = have > s->raw_cap ? have : s->raw_cap;
	uint8_t *nr = malloc(cap);
	if (!nr)
		return trace_oom(err, errlen, s->path);
	memcpy(nr, b, n);
	memcpy(nr + n, s->raw + s->raw_pos, rest);
	if (inflateInit2(&s->z, 15) != Z_OK) {
		free(nr);
		return trace_errf(err, errlen, TRACE_ENOMEM, s->path, "out of memory (zlib)");
	}
	free(s->raw);
	s->raw = nr;
	s->raw_cap = cap;
	s->raw_pos = 0;
	s->raw_len = have;
	s->raw_consumed = 0;
	s->comp = IN_ZLIB;
	s->codec_live = 1;
	s->v = (struct instream_view){ .buf = s->win };
	return instream_fill(s, err, errlen);
}

struct instream_view *instream_view(instream *s) { return &s->v; }
enum instream_comp instream_comp(const instream *s) { return s->comp; }
const char *instream_path(const instream *s) { return s->path; }

void instream_progress(const instream *s, uint64_t *done, uint64_t *total)
{
	*done = s->raw_consumed;
	*total = s->file_size;
}

/* ---- whole-member mode ---- */

/* Leave whole-member mode for zlib's stream, from the start of member
 * s->mi: a true member start (0, or where the member before it was checked
 * to end). Whatever the members hold from there on - a damaged member, an
 * index whose offsets are not the members', anything appended - reads, or
 * is refused, exactly as sim.threads=1 reads or refuses it. */
static int fall_back(instream *s, char *err, size_t errlen)
{
	return stream_at(s, s->moff[s->mi], s->mi > 0, err, errlen);
}

/* Read member s->mi whole and inflate it into mout (its size from the
 * member's ISIZE trailer field). A member that is not exactly one gzip
 * member of that size - damaged, or the index's offsets are not the
 * members' - sends the rest of the file through zlib's stream (fall_back):
 * the two paths accept and refuse the same files, with the same messages. */
static int next_member(instream *s, char *err, size_t errlen)
{
	uint64_t off = s->moff[s->mi], end = s->moff[s->mi + 1];
	size_t len = (size_t)(end - off);
	if (len < 18 || len > (1u << 30))
		return fall_back(s, err, errlen);
	if (len > s->min_cap) {
		uint8_t *b = realloc(s->min, len);
		if (!b)
			return trace_errf(err, errlen, TRACE_ENOMEM, s->path, "out of memory "
					  "(a gzip member of %zu bytes)", len);
		s->min = b;
		s->min_cap = len;
	}
	if (instream_pread(s, s->min, len, off))
		return fall_back(s, err, errlen);
	const uint8_t *t = s->min + len - 4;
	size_t isize = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 |
		       (size_t)t[3] << 24;
	if (isize > (size_t)len * 1032 + 64)   /* more than deflate's 1032:1 at most */
		return fall_back(s, err, errlen);
	if (isize > s->mout_cap) {
		uint8_t *b = realloc(s->mout, isize);
		if (!b) {   /* (out of memory names no place first: trace_oom's form) */
			snprintf(err, errlen, "out of memory (inflating a gzip member of %zu bytes "
				 "of %s)", isize, s->path);
			return TRACE_ENOMEM;
		}
		s->mout = b;
		s->mout_cap = isize;
	}
	size_t in_used = 0, out_used = 0;
	enum libdeflate_result lr = libdeflate_gzip_decompress_ex(s->ld, s->min, len, s->mout,
								isize, &in_used, &out_used);
	if (lr != LIBDEFLATE_SUCCESS || in_used != len || out_used != isize)
		return fall_back(s, err, errlen);
	s->mi++;
	s->mout_pos = 0;
	s->mout_len = out_used;
	s->raw_consumed = end;
	return TRACE_OK;
}

int instream_members(instream *s, const uint64_t *off, size_t n, char *err, size_t errlen)
{
	if (s->comp != IN_GZIP || !seekable(s) || !n || off[0] != 0)
		return 1;
	struct instream_view *v = &s->v;
	if (v->base != 0)
		return 1;   /* (only before the window has moved: the header is at its start) */
	size_t pos = v->pos;
	for (size_t i = 0; i < n; i++)
		if ((i + 1 < n ? off[i + 1] : s->file_size) <= off[i])
			return 1;   /* not members of this file: stay on the stream */
	s->moff = malloc((n + 1) * sizeof(*s->moff));
	s->ld = libdeflate_alloc_decompressor();
	if (!s->moff || !s->ld)
		return trace_errf(err, errlen, TRACE_ENOMEM, s->path, "out of memory "
				  "(whole-member inflate)");
	memcpy(s->moff, off, n * sizeof(*off));
	s->moff[n] = s->file_size;
	s->nm = n;
	inflateEnd(&s->z);
	s->codec_live = 0;
	int rc = instream_reposition(s, 0, 0, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	if (pos > v->len)
		return trace_errf(err, errlen, TRACE_EFORMAT, s->path, "the first gzip member "
				  "is shorter than the bytes read from it");
	v->pos = pos;
	return TRACE_OK;
}
