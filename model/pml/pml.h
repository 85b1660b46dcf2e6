/*
 * model/pml/pml.h - dirty-state logging hardware: Intel PML (one unit per
 * vCPU) and Arm HDBSS (one buffer per vCPU).
 *
 * Both write their entries into the model's physical memory, at the buffer
 * address software programmed, so what a hypervisor drains is the bits the
 * hardware wrote. The walker (model/mmu/walk.c) asks `*_full()` before it
 * performs an update that needs logging and calls `*_log()` after a
 * clean -> dirty change; the units never decide policy.
 *
 * PML (SDM-2016 §28.2.5, ARCH-FACTS §2.1 and §6 items 1-3): enabled per vCPU;
 * GUEST_PML_INDEX is 16 bits; before the processor sets an EPT A or D flag it
 * checks the index: outside 0..511 is a log-full event (VM exit 62) and the
 * access does not happen. Otherwise it updates the flag and, for a D 0 -> 1
 * change of a leaf, writes the 4 KB-aligned GPA at PML_ADDRESS + 8 * index
 * and decrements the index (0 wraps to 0xFFFF). So the exit comes on the
 * next access needing an update after entry 0 was written.
 *
 * HDBSS (ARCH-FACTS §3.7): HDBSSBR_EL2 {BADDR, SZ}, HDBSSPROD_EL2 {INDEX
 * counting up from 0}; a stage-2 clean -> dirty change (DBM, S2AP[1] set by
 * hardware) writes {valid, TTWL = level, IPA 55:12} at BADDR + 8 * INDEX and
 * increments INDEX. When INDEX equals the entry count, the store that needs
 * logging takes a stage-2 abort with ISS2.HDBSSF and does not happen.
 * [M] the precise full condition: taken from the KVM series' handling.
 */
#ifndef SLATSIM_PML_H
#define SLATSIM_PML_H

#include <stdint.h>

#include "mmu.h"
#include "pml_event.h"
#include "pml_hw.h"

typedef struct pml_counters {
	uint64_t logged;        /* entries written */
	uint64_t full_events;   /* log-full events raised */
} pml_counters;

/* ---------------------------------------------------------------- Intel PML */

typedef struct pml_unit pml_unit;   /* struct pml_unit: forward-declared in mmu.h */

pml_unit *pml_create(physmem *mem);     /* NULL: out of memory */
void pml_destroy(pml_unit *p);
/* Secondary control bit 17 and PML_ADDRESS (4 KB aligned HPA). */
void pml_enable(pml_unit *p, uint64_t pml_address);
void pml_disable(pml_unit *p);
int pml_enabled(const pml_unit *p);
uint64_t pml_address(const pml_unit *p);
uint16_t pml_index(const pml_unit *p);
void pml_set_index(pml_unit *p, uint16_t index);   /* VMWRITE GUEST_PML_INDEX */
/* 1 if an A/D update now must raise the log-full event instead (and counts
 * the event); 0 if the update may go ahead. */
int pml_full(pml_unit *p);
/* Log a D 0 -> 1 of a leaf for an access to GPA; call only after pml_full()
 * returned 0. Returns the entry's address. */
uint64_t pml_log(pml_unit *p, uint64_t gpa);
/* Entries software finds valid: index+1 .. 511, or all 512 if index >= 512
 * (Xen ept_vcpu_flush_pml_buffer, KVM pml_tail_index). */
unsigned pml_valid_entries(const pml_unit *p);
/* Entry K of the log (0..511), read from memory. */
uint64_t pml_entry(const pml_unit *p, unsigned k);
const pml_counters *pml_stats(const pml_unit *p);

/* Someone watching every request and register write (the co-simulation). It
 * may change o->cycles (to charge what an RTL implementation measured). */
typedef struct pml_observer {
	void *ctx;
	void (*request)(void *ctx, const pml_event *ev, pml_outcome *o);
	void (*csr_write)(void *ctx, unsigned field, uint64_t value);   /* VMCS_* encodings */
} pml_observer;

/* The unit's whole behaviour for one request: full check, then a log entry
 * for a leaf's D 0 -> 1 (pml_full + pml_log). With PML disabled nothing
 * happens. A logged entry costs the cycles set by pml_set_log_cycles. */
void pml_request(pml_unit *p, const pml_event *ev, pml_outcome *o);
void pml_set_log_cycles(pml_unit *p, uint64_t cycles);
/* Watch this unit (NULL: stop); the observer must outlive the unit. */
void pml_set_observer(pml_unit *p, const pml_observer *obs);

/* ---------------------------------------------------------------- Arm HDBSS */

typedef struct hdbss_unit hdbss_unit;

hdbss_unit *hdbss_create(physmem *mem);
void hdbss_destroy(hdbss_unit *h);
/* HDBSSBR_EL2: BADDR (aligned to the buffer size) and SZ (size 4 KB << SZ). */
void hdbss_enable(hdbss_unit *h, uint64_t baddr, unsigned sz);
int hdbss_enabled(const hdbss_unit *h);
unsigned hdbss_capacity(const hdbss_unit *h);      /* entries */
uint32_t hdbss_index(const hdbss_unit *h);          /* HDBSSPROD_EL2.INDEX */
void hdbss_set_index(hdbss_unit *h, uint32_t index);
int hdbss_full(hdbss_unit *h);                      /* as pml_full, for a dirtying store */
uint64_t hdbss_log(hdbss_unit *h, uint64_t ipa, unsigned ttwl);
uint64_t hdbss_entry(const hdbss_unit *h, unsigned k);
const pml_counters *hdbss_stats(const hdbss_unit *h);

#endif
