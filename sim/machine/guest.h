/*
 * sim/machine/guest.h - the guest-OS model of one domain: its stage-1 page tables
 * (one tree per ASID, and the kernel half every ASID shares), its
 * page-size policy, and demand faults.
 *
 * On first touch of a VA the guest OS allocates a guest-physical frame and
 * writes a real stage-1 descriptor (guest.page; guest.cont maps the whole
 * aligned contiguous run, arm64 contpte). Its table pages are guest-physical
 * memory too, so when the domain is virtualized the hypervisor backs each
 * one as it is allocated (those stage-2 faults are counted in
 * guest_counters.backing_faults for the machine to charge). Upper-half
 * (kernel) VAs are mapped global in the kernel's tables: on x86 every
 * process's root shares the kernel's top-level entries (Linux's pgd_alloc
 * copies them), on Arm they hang from TTBR1_EL1.
 */
#ifndef SLATSIM_GUEST_H
#define SLATSIM_GUEST_H

#include "hyp.h"
#include "mmu.h"
#include "simerr.h"

typedef struct guest guest;

typedef struct guest_cfg {
	const mmu_config *mmu;   /* the domain's: stage-1 geometry (mmu->s1), nested */
	int arm;
	unsigned page;           /* guest.page policy (policy.h) */
	int cont;                /* guest.cont */
} guest_cfg;

typedef struct guest_counters {
	uint64_t pages;          /* stage-1 leaves mapped (pages.guest) */
	uint64_t table_bytes;    /* stage-1 table bytes, every ASID and the kernel */
	uint64_t backing_faults; /* stage-2 faults taken to back table pages */
	uint64_t backing_logging;   /* of them, faults dirty logging caused (hyp.h) */
} guest_counters;

/* H: the domain's hypervisor, or NULL when not virtualized (then the guest
 * allocates host-physical memory directly). */
int guest_create(guest **out, const guest_cfg *cfg, physmem *mem, hyp *h, hostmem *hm,
		 sim_err *e);
void guest_destroy(guest *g);

/* Map the page around VA for ASID on first touch: 1 if it mapped (a guest
 * page fault), 0 if it was mapped, -1 on failure (in E). *IPA (may be NULL)
 * is VA's guest-physical address. */
int guest_ensure(guest *g, uint16_t asid, uint64_t va, uint64_t *ipa);
/* Map the base page (the granule's) holding VA to the one holding GPA,
 * guest-physical memory the guest did not take from its own RAM: Linux's
 * unpopulated pages (Xen's extended regions) where a back end maps grants,
 * the grant-table frames Xen places in its physmap. 1 if it mapped, 0 if VA
 * already maps GPA, -1 on failure (in E; another mapping is in the way). */
int guest_map_at(guest *g, uint16_t asid, uint64_t va, uint64_t gpa, unsigned perm);
/* The same with a leaf of 2^SHIFT bytes (a page or block size of stage 1):
 * a control domain maps a foreign superpage with one 2 MB entry. */
int guest_map_block_at(guest *g, uint16_t asid, uint64_t va, uint64_t gpa, unsigned shift,
		       unsigned perm);
/* The guest-physical 4 KB frames holding its stage-1 tables (every ASID's
 * and the kernel half's), in allocation order: N of them. */
const uint64_t *guest_table_frames(const guest *g, size_t *n);
/* ASID's root table (created on first use); 0, or -1 on failure. */
int guest_root(guest *g, uint16_t asid, uint64_t *root);
/* The kernel half's root (Arm TTBR1_EL1's table; x86's shared tables); 0
 * until the first upper-half mapping. */
uint64_t guest_kernel_root(const guest *g);
/* Which half VA is in: 0 user, 1 kernel, -1 non-canonical (mmu.h). */
int guest_va_half(const guest *g, uint64_t va);
/* Record that VA is not canonical (bad input); returns -1. */
int guest_noncanonical(guest *g, uint64_t va);
const guest_counters *guest_counters_of(const guest *g);
const mmu_geom *guest_s1(const guest *g);   /* its stage-1 geometry */

struct v2p;
/* Place the user half's pages where MAP says (run --v2p) instead of
 * allocating them; the guest's own tables go above the highest page MAP
 * uses. 0, or -1 (in E) if MAP's page size is not a page or block size of
 * stage 1 or its pages lie beyond the guest-physical space. */
int guest_set_v2p(guest *g, const struct v2p *map);

#endif
