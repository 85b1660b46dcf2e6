/*
 * sim/machine/vcpu.h - a vCPU: what one virtual CPU of a domain holds of its
 * own, and a domain's vCPUs as a set.
 *
 * A vCPU has an L1 instruction, an L1 data and a unified L2 TLB (model/tlb;
 * combined stage-1+2 entries tagged with its domain's VMID and the ASID), a
 * walker with its stage-1 and stage-2 walk caches and nested TLB
 * (model/mmu), with cache.model=on its L1I, L1D and L2 data caches over the
 * machine's shared LLC (model/mmu/cache.h), its dirty-logging unit -
 * dirtylog.mode=pml: a PML unit (Intel SDM-2016 §28.2.6), hdbss: an HDBSS
 * unit (Arm FEAT_HDBSS), each enabled on a buffer of its own in host memory
 * (model/pml) - whose writes go through its walker, the co-simulation lane of
 * that PML unit (cosim.h, run --cosim pml), and its counters.
 *
 * Here: creating and destroying one; invalidating what it caches - by VMID
 * (the hypervisor's INVEPT single-context / TLBI VMALLS12E1), by the guest's
 * own operations (stage 1 by VMID, ASID or VA: TLBI VMALLE1 / ASIDE1 / VAE1,
 * INVPCID, INVLPG), and by page (a VA and the IPA behind it); what its
 * counters add to a domain's totals. The per-access path that looks up,
 * walks and fills is the machine's (machine.c): it reads and bumps the
 * fields below in place, so that the hit path stays inlined there.
 *
 * Invariants: a vCPU belongs to one domain for its life and tags every
 * translation it caches with that domain's VMID; a set holds a vCPU at most
 * once, its members in increasing id. Nothing here knows the rooms above it
 * (machine, hypervisor, dirty logging, I/O): they hand a vCPU or a set down.
 */
#ifndef SLATSIM_VCPU_H
#define SLATSIM_VCPU_H

#include "cache.h"
#include "mmu.h"
#include "simerr.h"
#include "tlb.h"
#include "trace.h"

#include <stdint.h>

/* vCPU ids: a trace's (below TRACE_MAX_VCPUS), then one more - the control
 * domain's or I/O back end's (machine.h MACHINE_BACKEND_VCPU). */
#define VCPU_MAX (TRACE_MAX_VCPUS + 1)
#define VCPU_MASK_WORDS ((VCPU_MAX + 63) / 64)

struct cosim;
struct domain;

/* The dirty-logging unit a vCPU carries (its domain's dirtylog.mode). */
enum { VCPU_UNIT_NONE, VCPU_UNIT_PML, VCPU_UNIT_HDBSS };

typedef struct vcpu_unit_cfg {
	int kind;                  /* VCPU_UNIT_* */
	uint64_t pml_log_cycles;   /* pml.log.cycles: the hardware's cost of an entry */
	unsigned hdbss_sz;         /* HDBSS buffer: 4 KB << hdbss_sz */
} vcpu_unit_cfg;

typedef struct vcpu_cfg {
	const tlb_config *l1i, *l1d, *l2;   /* tlb.* (one geometry for every vCPU) */
	const mmu_config *mmu;              /* its domain's: both stages, walk caches, nested TLB */
	physmem *mem;
	const cache_hier_config *ch;        /* cache.model=on: its L1I/L1D/L2; NULL: none */
	cache *llc;                         /* the machine's shared last level */
	vcpu_unit_cfg unit;
	hostmem *hm;                        /* where a unit's buffer is placed */
	struct cosim *cosim;                /* co-simulates a PML unit; NULL: none */
	mmu_mem_observer obs;               /* its walker's memory observer, or NULL */
	void *obs_ctx;
} vcpu_cfg;

/* What prefetch records did to a vCPU's TLB and walker counters, and their
 * cycles: kept apart, taken out of the program's at the totals. */
typedef struct vcpu_prefetch {
	tlb_counters l1i, l1d, l2, wc[3];
	mmu_counters w;
	uint64_t cycles, dropped;
} vcpu_prefetch;

typedef struct vcpu {
	tlb *l1i, *l1d, *l2;
	mmu_walker *w;
	cache_hier *ch;            /* cache.model=on: its L1I/L1D/L2; else NULL */
	struct pml_unit *pml;      /* dirtylog.mode=pml; else NULL (model/pml/pml.h) */
	struct hdbss_unit *hdbss;  /* dirtylog.mode=hdbss; else NULL */
	struct domain *dom;        /* its domain: the machine's (machine.c), opaque here */
	unsigned id;
	uint16_t vmid;
	int logging;               /* its domain logs dirty pages now */
	uint64_t instructions, accesses;
	uint64_t cyc_translation, cyc_faults;
	uint64_t faults_guest, faults_host;
	uint64_t dirty_walks;      /* writes re-walked: entry read-only or clean */
	uint64_t fills[64];        /* TLB fills from walks, by log2 of the entry size */
	uint64_t cyc_memory;       /* cache.model=on: data accesses beyond an L1 hit */
	vcpu_prefetch pf;
} vcpu;

/* Create vCPU ID of a domain with VMID: its TLBs, walker, data caches and
 * logging unit (the unit's buffer placed in C->hm now, and the unit
 * co-simulated by C->cosim). 0, or -1 with the failure in E. */
int vcpu_create(vcpu **out, unsigned id, uint16_t vmid, const vcpu_cfg *c, sim_err *e);
void vcpu_destroy(vcpu *v);

/* ---------------------------------------------------------------- invalidation */

/* Every translation of its VM: the TLBs by VMID, the walk caches and nested
 * TLB whole (INVEPT single-context / TLBI VMALLS12E1). */
void vcpu_inv_vm(vcpu *v);
/* The guest's own invalidation OP (TRACE_INV_ALL, _ASID, _VA) of stage-1
 * (and so combined) translations: the TLBs and the stage-1 walk cache; the
 * nested TLB and stage-2 walk cache hold the hypervisor's stage 2 and stay
 * (ARCH-FACTS §6 8). */
void vcpu_inv_guest(vcpu *v, unsigned op, uint16_t asid, uint64_t va);
/* What it caches for VA (ASID) and the IPA behind it: the TLBs' entry, and
 * the nested TLB's and stage-2 walk cache's for the IPA. */
void vcpu_inv_page(vcpu *v, uint16_t asid, uint64_t va, uint64_t ipa);

/* ---------------------------------------------------------------- counters */

/* What vCPUs counted, summed: the program's share (prefetches' taken out),
 * in the order and meaning of the statistics they become (machine.c). Every
 * field is a uint64_t counter. */
typedef struct vcpu_counts {
	uint64_t accesses, instructions;
	uint64_t l1i_h, l1i_m, l1d_h, l1d_m, l2_h, l2_m;
	uint64_t walks, refs, s1_refs, s2_refs, walk_cycles, s2_walks;
	uint64_t wc1_h, wc1_m, wc2_h, wc2_m, nt_h, nt_m;
	uint64_t fault_guest, fault_host;
	uint64_t reach;            /* bytes the valid L2 entries map */
	uint64_t cyc_trans, cyc_faults;
	uint64_t ad_writes, dirty_walks;
	uint64_t s1_ad_writes, s1_accessed, s1_dirtied, s1_ad_s2_faults, s1_ad_s2_dirtied;
	uint64_t fills[64];
	uint64_t pf_misses, pf_walks, pf_cycles, pf_dropped;
	uint64_t cyc_memory;
	uint64_t served[CACHE_LEVELS];
	uint64_t walk_refs[CACHE_LEVELS], walk_ad[CACHE_LEVELS];
	uint64_t back_inv;
	cache_counters arr[3];     /* its L1I, L1D, L2 data caches */
} vcpu_counts;

/* Add V's counters into T (cycles saturating). */
void vcpu_count(const vcpu *v, vcpu_counts *t);

/* A prefetch record's share: snapshot V's TLB and walker counters before it
 * (INSTR: it went through the L1I), and after it move what changed, with its
 * CYCLES, into V->pf. */
typedef struct vcpu_snap {
	tlb_counters l1, l2, wc[3];
	mmu_counters w;
} vcpu_snap;
void vcpu_prefetch_begin(const vcpu *v, int instr, vcpu_snap *s);
void vcpu_prefetch_end(vcpu *v, int instr, const vcpu_snap *s, uint64_t cycles);

/* ---------------------------------------------------------------- sets */

/* A domain's vCPUs. */
typedef struct vcpu_set {
	vcpu *v[VCPU_MAX];                    /* the members, in increasing id */
	unsigned n;
} vcpu_set;

/* Add V (not a member yet). */
void vcpu_set_add(vcpu_set *s, vcpu *v);
/* vcpu_inv_vm on every member; returns how many (a set may be NULL: none). */
unsigned vcpu_set_inv_vm(vcpu_set *s);

/* A machine's vCPUs, by id. */
typedef struct vcpu_table {
	vcpu *by_id[VCPU_MAX];                /* NULL: none with that id */
	uint64_t mask[VCPU_MASK_WORDS];       /* bit id: there is one */
} vcpu_table;

/* Enter V (its id free). */
void vcpu_table_add(vcpu_table *t, vcpu *v);
/* vCPU ID, or NULL (ID below VCPU_MAX). */
static inline vcpu *vcpu_table_get(const vcpu_table *t, unsigned id) { return t->by_id[id]; }

#endif
