/*
 * model/pml/rtl/pml_rtl.h - the Verilated RTL PML unit (pml_unit.sv) behind
 * a C interface. The implementation (pml_rtl.cpp) is the only C++ in the
 * co-simulation: it owns the Verilated model, the clock, a memory model on
 * the unit's write port and the FST waveform.
 *
 * Clocking: every verb runs whole clock cycles; inputs change while the
 * clock is low. A request is driven until the unit accepts it and then until
 * its response; the memory model answers the write port with mem_ready
 * after cfg.mem_latency cycles of mem_valid, further held low on a seeded
 * cfg.stall_pct share of cycles (back-pressure), so a run is reproducible
 * and a window of it can be replayed (pml_rtl_mem_state).
 */
#ifndef SLATSIM_PML_RTL_H
#define SLATSIM_PML_RTL_H

#include <stddef.h>
#include <stdint.h>

#include "pml_event.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pml_rtl pml_rtl;

typedef struct pml_rtl_cfg {
	unsigned mem_latency;   /* cycles mem_ready stays low after mem_valid rises */
	unsigned stall_pct;     /* 0..100: share of later cycles held low at random */
	uint64_t seed;          /* for the stalls */
	const char *waves;      /* FST file to open, or NULL */
} pml_rtl_cfg;

/* What the RTL did with one request. */
typedef struct pml_rtl_resp {
	int full, logged;       /* rsp_full, rsp_logged */
	unsigned writes;        /* memory writes accepted during the request */
	uint64_t addr, data;    /* the first of them */
	uint16_t index;         /* rsp_index */
	uint64_t latency;       /* clock edges from acceptance to the response */
	uint64_t stalls;        /* cycles mem_valid was high and mem_ready low */
} pml_rtl_resp;

/* 1 if this build has the Verilated unit; 0 with a message in ERR if not. */
int pml_rtl_available(char *err, size_t errlen);
/* 0, or -1 with a message in ERR (cannot open the waveform), or -2 (out of
 * memory). Out of memory later, inside a verb, prints one line and exits 1
 * (the verbs have no failure path for it; see pml_rtl.cpp). */
int pml_rtl_create(pml_rtl **out, const pml_rtl_cfg *cfg, char *err, size_t errlen);
void pml_rtl_destroy(pml_rtl *r);   /* closes the waveform */
/* Finish and close the waveform now (the instance runs on without one). */
void pml_rtl_close_waves(pml_rtl *r);
/* 0 if PATH reads back as a complete FST waveform (its writer reports no
 * write errors: a full disk leaves a file only its reader refuses), -1 if
 * not. */
int pml_rtl_check_waves(const char *path);

/* Hold rst for CYCLES (>= 1) cycles, whatever is in flight. */
void pml_rtl_reset(pml_rtl *r, unsigned cycles);
/* Write / read a register by VMCS encoding (VMCS_PML_ADDRESS,
 * VMCS_GUEST_PML_INDEX). -1: the unit flagged csr_err, or never became
 * ready within max_cycles. */
int pml_rtl_csr_write(pml_rtl *r, uint16_t field, uint64_t value);
int pml_rtl_csr_read(pml_rtl *r, uint16_t field, uint64_t *value);
/* Drive one request to its response. -1: no acceptance or response within
 * MAX_CYCLES cycles (a hang; *out holds what was seen). */
int pml_rtl_request(pml_rtl *r, const pml_event *ev, pml_rtl_resp *out, uint64_t max_cycles);
/* Present a register write and a request in the same cycle (a test of the
 * unit's priority: the register access goes first). *REQUEST_WAITED: the
 * request was not ready in that cycle. -1 if the write was not taken. */
int pml_rtl_collide(pml_rtl *r, uint16_t field, uint64_t value, const pml_event *ev,
		    pml_rtl_resp *out, int *request_waited);
/* Drive a request until it is accepted and CYCLES more cycles have run, and
 * stop there (for resetting a unit mid-request). */
void pml_rtl_begin(pml_rtl *r, const pml_event *ev, unsigned cycles);

uint64_t pml_rtl_cycle(const pml_rtl *r);          /* cycles run so far */
/* Renumber cycles from CYCLE on (before anything was dumped: waveform time
 * must only grow). */
void pml_rtl_set_cycle(pml_rtl *r, uint64_t cycle);
void pml_rtl_waves(pml_rtl *r, int on);            /* dump cycles to the FST while on */
uint64_t pml_rtl_mem_state(const pml_rtl *r);      /* the stall generator's state */
void pml_rtl_set_mem_state(pml_rtl *r, uint64_t state);
/* 1 once any of the unit's assertions failed (Verilator printed which on
 * stderr); the simulation goes on, so the scoreboard can still compare. */
int pml_rtl_assert_failed(const pml_rtl *r);
/* The bug-injection switch the model was built with ("none" for a clean build). */
const char *pml_rtl_variant(void);

#ifdef __cplusplus
}
#endif

#endif
