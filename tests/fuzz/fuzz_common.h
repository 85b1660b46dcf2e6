/*
 * tests/fuzz/fuzz_common.h - feed libFuzzer input to a reader through a
 * memory file, read every record, and let the sanitizers judge.
 */
#ifndef SLATSIM_FUZZ_COMMON_H
#define SLATSIM_FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace.h"

static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return -1;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* The record rules every reader enforces (trace.h). */
static inline int fuzz_rec_ok(const trace_rec *r)
{
	if (r->kind == TRACE_INV) {
		unsigned op = r->op & TRACE_INV_OP_MASK;
		return !(r->op & ~(TRACE_INV_OP_MASK | TRACE_INV_BCAST)) && op <= TRACE_INV_VA &&
		       !r->size && !r->icount && (op == TRACE_INV_VA || !r->gva) &&
		       (op != TRACE_INV_ALL || !r->asid);
	}
	if (r->kind == TRACE_P && r->op > TRACE_PF_INSTR)
		return 0;
	return (r->kind <= TRACE_X || r->kind == TRACE_P) && (!r->op || r->kind == TRACE_P) &&
	       r->size <= TRACE_MAX_SIZE &&
	       (r->size == 0 || r->gva + (r->size - 1u) >= r->gva);
}

/* Read DATA as format FMT, opened with TRACE_OPEN_* FLAGS. */
static inline void fuzz_reader_flags(const uint8_t *data, size_t size, enum trace_format fmt,
				     unsigned flags)
{
	char path[64], err[1024];
	int fd = fuzz_memfile(data, size, path, sizeof(path));
	if (fd < 0)
		return;
	trace_reader *r;
	trace_open_opts o = { .format = fmt, .flags = flags };
	if (trace_open_with(&r, path, &o, err, sizeof(err)) == TRACE_OK) {
		static trace_rec buf[64];
		long n;
		while ((n = trace_read(r, buf, 64, err, sizeof(err))) > 0)
			for (long i = 0; i < n; i++)
				if (!fuzz_rec_ok(&buf[i]))
					__builtin_trap();   /* a reader let a bad record through */
		trace_close(r);
	}
	close(fd);
}

static inline void fuzz_reader(const uint8_t *data, size_t size, enum trace_format fmt)
{
	fuzz_reader_flags(data, size, fmt, 0);
}

#endif
