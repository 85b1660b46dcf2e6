/*
 * sim/machine/hyp.h - the hypervisor model: one domain's stage-2 (EPT / VMSA stage
 * 2) tables, their host backing, and stage-2 faults.
 *
 * On a stage-2 fault the hypervisor maps the host page around the GPA under
 * its page-size policy (host.page; thp backs guest memory as KVM does with
 * transparent huge pages), falling back to base pages where the region is
 * not free or, for a seeded share host.backing of regions, where the host
 * is fragmented. A leaf it maps goes through the domain's dirty logging
 * (dirtylog.h), which arms it or pre-sets A/D. While logging maps base pages
 * only (dirtylog.huge=split), a region it kept from a large leaf faults
 * once per base page: every fault there after the region's first is one
 * logging caused (hyp_ensure says so), since without logging the first
 * fault's large leaf would have mapped the page. The functional lookup answers
 * where a GPA lives without touching any cache (the software's own view).
 */
#ifndef SLATSIM_HYP_H
#define SLATSIM_HYP_H

#include "dirtylog.h"
#include "mmu.h"
#include "ptbuild.h"
#include "simerr.h"
#include "vcpu.h"

typedef struct hyp hyp;

typedef struct hyp_cfg {
	const mmu_config *mmu;   /* the domain's: stage-2 geometry (mmu->s2) */
	unsigned page;           /* host.page policy (policy.h) */
	double backing;          /* host.backing */
	uint64_t seed;
	vcpu_set *vcpus;         /* the domain's vCPUs, which an unmap invalidates (NULL:
				  * none) */
} hyp_cfg;

typedef struct hyp_counters {
	uint64_t pages;          /* stage-2 leaves mapped (pages.host) */
	uint64_t table_bytes;    /* stage-2 table bytes, root included */
} hyp_counters;

/* Build the (empty) stage-2 tables; 0, or -1 with the failure in E. */
int hyp_create(hyp **out, const hyp_cfg *cfg, physmem *mem, hostmem *hm, sim_err *e);
void hyp_destroy(hyp *h);
/* The domain's dirty logging, consulted for every leaf mapped. */
void hyp_set_dirtylog(hyp *h, dirtylog *dl);

/* Map the host page around GPA if stage 2 does not map it yet: 1 if it
 * mapped (the hypervisor's handling of a stage-2 fault), HYP_LOGGING_FAULT
 * if it mapped on a fault dirty logging caused (above), 0 if it was mapped,
 * -1 on failure (in E; a GPA beyond host.ipa_bits is bad input). */
#define HYP_LOGGING_FAULT 2
int hyp_ensure(hyp *h, uint64_t gpa);
/* Where GPA lives: 0 with the HPA, -1 if stage 2 does not map it. */
int hyp_lookup(const hyp *h, uint64_t gpa, uint64_t *hpa);

/* Map a foreign frame at GPA - a grant mapping (Xen's p2m_grant_map_rw/ro,
 * create_grant_host_mapping): the N 4 KB host frames PA[0..N-1] of one grant
 * (N = 1, or 16 for a 64 KB grant). One stage-2 leaf of N x 4 KB where the
 * granule has a leaf that size and the frames and GPA are aligned and
 * contiguous; else N 4 KB leaves, with the contiguous hint (arm64) when CONT
 * and they make one aligned run of the level. PERM: MMU_P_R [| MMU_P_W]
 * (Xen maps grants execute-never). Returns the stage-2 entries written, or
 * -1 if the granule has no 4 KB leaf or a mapping is in the way (nothing is
 * left mapped). Foreign leaves are not dirty-logged (Xen logs RAM only). */
int hyp_map_foreign(hyp *h, uint64_t gpa, const uint64_t *pa, unsigned n, unsigned perm,
		    int cont);
/* Remove the N 4 KB frames hyp_map_foreign mapped at GPA and invalidate as
 * Xen does: every cached translation of the domain on each of its vCPUs
 * (Arm: TLBI VMALLS12E1IS once per p2m update, at p2m_write_unlock,
 * xen/arch/arm/mmu/p2m.c; EPT: INVEPT single-context), through
 * vcpu_set_inv_vm - an IPA-only invalidation would leave combined
 * stage-1+2 entries (ARCH-FACTS §3.5, checklist 8). Returns the vCPUs
 * invalidated, or -1 if nothing foreign is mapped there. */
int hyp_unmap_foreign(hyp *h, uint64_t gpa, unsigned n);
/* Remove every foreign leaf in [GPA, GPA + BYTES) whatever its size (one
 * p2m update: a batch of 4 KB frames and 2 MB superpages) and invalidate
 * once, as hyp_unmap_foreign. Returns the vCPUs invalidated, or -1 if the
 * range is not foreign or holds no leaf. */
int hyp_unmap_foreign_range(hyp *h, uint64_t gpa, uint64_t bytes);
/* 1 if GPA lies in the range where this domain has mapped foreign frames. */
int hyp_foreign(const hyp *h, uint64_t gpa);

uint64_t hyp_root(const hyp *h);          /* EPTP / VTTBR_EL2 table base */
pt_space *hyp_tables(hyp *h);             /* the stage-2 tree, for dirty logging */
const hyp_counters *hyp_counters_of(hyp *h);

#endif
