/*
 * sim/machine/simerr.h - what the rooms of one machine share below the machine
 * itself: the first failure (a message and a TRACE_E* code) and the host's
 * physical-memory allocator. Both belong to one machine; nothing here is
 * global.
 */
#ifndef SLATSIM_SIMERR_H
#define SLATSIM_SIMERR_H

#include "mmu.h"
#include "trace.h"

#include <stdint.h>

typedef struct sim_err {
	int code;                /* TRACE_E* of the first failure; 0: none yet */
	char msg[256];
	const physmem *mem;      /* its running out of memory makes any failure ENOMEM */
} sim_err;

/* Record a failure (the first one wins); returns -1, so that a verb can
 * `return sim_errf(...)`. */
int sim_errf(sim_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Host-physical memory: frames handed out upwards from HOST_RAM_BASE, never
 * freed (a frame number is all the model keeps of a data page). */
#define HOST_RAM_BASE UINT64_C(0x100000000)
#define GUEST_RAM_BASE UINT64_C(0x40000000)   /* every guest OS allocates from here */

typedef struct hostmem {
	uint64_t next;
	sim_err *err;
} hostmem;

static inline uint64_t sim_align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

/* BYTES (a power of two) aligned to BYTES; 0, or -1 (recorded in the sink). */
int hostmem_alloc(hostmem *h, uint64_t bytes, uint64_t *hpa);

#endif
