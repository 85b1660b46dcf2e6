/*
 * model/pml/pml_event.h - one request to a PML unit and what the unit did
 * with it: the interface the C reference model (pml.h) and the RTL unit
 * (rtl/pml_unit.sv, through rtl/pml_rtl.h) share. Plain C, also read by the
 * C++ harness.
 */
#ifndef SLATSIM_PML_EVENT_H
#define SLATSIM_PML_EVENT_H

#include <stdint.h>

/* One request to the unit: an EPT A/D update the walker is about to make
 * (the request the RTL unit model/pml/rtl/pml_unit.sv takes, field by field). */
typedef struct pml_event {
	uint64_t gpa;           /* the guest-physical address being translated */
	unsigned leaf_level;    /* 0: a non-leaf entry; 1 = 4 KB, 2 = 2 MB, 3 = 1 GB leaf */
	int d_was_0;            /* the entry's D flag was clear */
	int is_write;           /* the access counts as a write: the update sets D */
	int enabled;            /* PML enabled (secondary control bit 17) */
} pml_event;

/* What the unit did with one request. */
typedef struct pml_outcome {
	int full;               /* log-full: the update and the access must not happen */
	int logged;             /* an entry was written ... */
	uint64_t addr, data;    /* ... at ADDR, holding DATA */
	uint16_t index;         /* GUEST_PML_INDEX after the request */
	uint64_t cycles;        /* what the request costs the walk */
} pml_outcome;

#endif
