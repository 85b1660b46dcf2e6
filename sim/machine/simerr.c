/*
 * sim/machine/simerr.c - see simerr.h.
 */
#include "simerr.h"

#include <stdarg.h>
#include <stdio.h>

int sim_errf(sim_err *e, int code, const char *fmt, ...)
{
	if (e->code)
		return -1;   /* the first failure is the one to report */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->code = code;
	if (e->mem && physmem_out_of_memory(e->mem)) {
		snprintf(e->msg, sizeof(e->msg), "out of memory (the page tables held %llu MiB)",
			 (unsigned long long)(physmem_bytes(e->mem) >> 20));
		e->code = TRACE_ENOMEM;
	}
	return -1;
}

int hostmem_alloc(hostmem *h, uint64_t bytes, uint64_t *hpa)
{
	uint64_t a = sim_align_up(h->next, bytes);
	if (a + bytes > (UINT64_C(1) << 52))
		return sim_errf(h->err, TRACE_EFORMAT, "host-physical space (52 bits) exhausted: "
				"the trace maps more memory than a machine can have");
	h->next = a + bytes;
	*hpa = a;
	return 0;
}
