/*
 * tests/fuzz/fuzz_common.h - feed libFuzzer input to a reader straight from
 * memory (trace_open_mem: no file, no descriptor; plain content is parsed
 * where libFuzzer put it, so a read past its end is an ASan report), read
 * every record, and let the sanitizers judge. Nothing here allocates per
 * input beyond what the reader itself does: the record buffer is static.
 */
#ifndef SLATSIM_FUZZ_COMMON_H
#define SLATSIM_FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "trace.h"

#define FUZZ_BATCH 64   /* records per trace_read */

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

/* Read every record of R, trapping on one that breaks the rules, and close
 * it. Returns the last trace_read result (0: the clean end). */
static inline long fuzz_drain(trace_reader *r)
{
	static trace_rec buf[FUZZ_BATCH];
	char err[1024];
	long n;
	while ((n = trace_read(r, buf, FUZZ_BATCH, err, sizeof(err))) > 0)
		for (long i = 0; i < n; i++)
			if (!fuzz_rec_ok(&buf[i]))
				__builtin_trap();   /* a reader let a bad record through */
	trace_close(r);
	return n;
}

/* Read DATA as format FMT, opened with TRACE_OPEN_* FLAGS. */
static inline void fuzz_reader_flags(const uint8_t *data, size_t size, enum trace_format fmt,
				     unsigned flags)
{
	char err[1024];
	trace_reader *r;
	trace_open_opts o = { .format = fmt, .flags = flags };
	if (trace_open_mem(&r, data, size, "fuzz-input", &o, err, sizeof(err)) == TRACE_OK)
		fuzz_drain(r);
}

static inline void fuzz_reader(const uint8_t *data, size_t size, enum trace_format fmt)
{
	fuzz_reader_flags(data, size, fmt, 0);
}

#endif
