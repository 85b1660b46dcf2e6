/*
 * tests/check_util.h - helpers shared by the Check suites.
 */
#ifndef SLATSIM_CHECK_UTIL_H
#define SLATSIM_CHECK_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "trace.h"

/* Write LEN bytes to a fresh temp file; returns its malloc'd path. */
static inline char *tmp_write(const void *data, size_t len, const char *suffix)
{
	char tmpl[] = "/tmp/slatsim-check-XXXXXX";
	int fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	char *path = malloc(strlen(tmpl) + strlen(suffix) + 1);
	sprintf(path, "%s%s", tmpl, suffix);
	ck_assert_int_eq(rename(tmpl, path), 0);
	return path;
}

static inline char *tmp_path(const char *suffix)
{
	char tmpl[] = "/tmp/slatsim-check-XXXXXX";
	int fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(tmpl);
	char *path = malloc(strlen(tmpl) + strlen(suffix) + 1);
	sprintf(path, "%s%s", tmpl, suffix);
	return path;
}

/* Read every record of PATH, opened with TRACE_OPEN_* FLAGS, into *out
 * (malloc'd); returns the count, or a negative code with the message in err.
 * BATCH is the batch size used. */
static inline long read_all_flags(const char *path, enum trace_format fmt, unsigned flags,
				  size_t batch, trace_rec **out, char *err, size_t errlen)
{
	trace_reader *r;
	trace_open_opts o = { .format = fmt, .flags = flags };
	int rc = trace_open_with(&r, path, &o, err, errlen);
	if (rc != TRACE_OK) {
		*out = NULL;
		return rc;
	}
	size_t cap = 1024, n = 0;
	trace_rec *v = malloc(cap * sizeof(*v));
	for (;;) {
		if (n + batch > cap) {
			cap = (n + batch) * 2;
			v = realloc(v, cap * sizeof(*v));
		}
		long k = trace_read(r, v + n, batch, err, errlen);
		if (k < 0) {
			trace_close(r);
			free(v);
			*out = NULL;
			return k;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	trace_close(r);
	*out = v;
	return (long)n;
}

static inline long read_all(const char *path, enum trace_format fmt, size_t batch,
			    trace_rec **out, char *err, size_t errlen)
{
	return read_all_flags(path, fmt, 0, batch, out, err, errlen);
}

/* Write RECS as .slt to a temp file; returns the path. */
static inline char *write_slt(const trace_rec *recs, size_t n, unsigned vcpus)
{
	char *path = tmp_path(".slt");
	trace_header h = { .vcpus = vcpus };
	snprintf(h.desc, sizeof(h.desc), "check");
	trace_writer *w;
	char err[512];
	ck_assert_int_eq(trace_writer_open(&w, path, &h, 6, err, sizeof(err)), TRACE_OK);
	ck_assert_msg(trace_write(w, recs, n, err, sizeof(err)) == TRACE_OK, "%s", err);
	ck_assert_msg(trace_writer_close(w, err, sizeof(err)) == TRACE_OK, "%s", err);
	return path;
}

static inline int rec_equal(const trace_rec *a, const trace_rec *b)
{
	return a->gva == b->gva && a->icount == b->icount && a->vcpu == b->vcpu &&
	       a->asid == b->asid && a->size == b->size && a->kind == b->kind && a->op == b->op;
}

/* gunzip a whole file into memory (for building damaged variants). */
static inline unsigned char *gunzip_file(const char *path, size_t *len)
{
	gzFile g = gzopen(path, "rb");
	ck_assert_ptr_nonnull(g);
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	int k;
	while ((k = gzread(g, buf + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)k;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	gzclose(g);
	*len = n;
	return buf;
}

#endif
