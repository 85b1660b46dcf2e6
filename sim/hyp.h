/*
 * sim/hyp.h - the hypervisor model: one domain's stage-2 (EPT / VMSA stage
 * 2) tables, their host backing, and stage-2 faults.
 *
 * On a stage-2 fault the hypervisor maps the host page around the GPA under
 * its page-size policy (host.page; thp backs guest memory as KVM does with
 * transparent huge pages), falling back to base pages where the region is
 * not free or, for a seeded share host.backing of regions, where the host
 * is fragmented. A leaf it maps goes through the domain's dirty logging
 * (dirtylog.h), which arms it or pre-sets A/D. The functional lookup answers
 * where a GPA lives without touching any cache (the software's own view).
 */
#ifndef SLATSIM_HYP_H
#define SLATSIM_HYP_H

#include "mmu.h"
#include "ptbuild.h"
#include "simerr.h"

typedef struct hyp hyp;
struct dirtylog;

typedef struct hyp_cfg {
	const mmu_config *mmu;   /* the domain's: stage-2 geometry (mmu->s2) */
	unsigned page;           /* host.page policy (policy.h) */
	double backing;          /* host.backing */
	uint64_t seed;
} hyp_cfg;

typedef struct hyp_counters {
	uint64_t pages;          /* stage-2 leaves mapped (pages.host) */
	uint64_t table_bytes;    /* stage-2 table bytes, root included */
} hyp_counters;

/* Build the (empty) stage-2 tables; 0, or -1 with the failure in E. */
int hyp_create(hyp **out, const hyp_cfg *cfg, physmem *mem, hostmem *hm, sim_err *e);
void hyp_destroy(hyp *h);
/* The domain's dirty logging, consulted for every leaf mapped. */
void hyp_set_dirtylog(hyp *h, struct dirtylog *dl);

/* Map the host page around GPA if stage 2 does not map it yet: 1 if it
 * mapped (the hypervisor's handling of a stage-2 fault), 0 if it was
 * mapped, -1 on failure (in E). */
int hyp_ensure(hyp *h, uint64_t gpa);
/* Where GPA lives: 0 with the HPA, -1 if stage 2 does not map it. */
int hyp_lookup(const hyp *h, uint64_t gpa, uint64_t *hpa);

uint64_t hyp_root(const hyp *h);          /* EPTP / VTTBR_EL2 table base */
pt_space *hyp_tables(hyp *h);             /* the stage-2 tree, for dirty logging */
const hyp_counters *hyp_counters_of(hyp *h);

#endif
