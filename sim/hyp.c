/*
 * sim/hyp.c - the hypervisor model (see hyp.h).
 */
#include "hyp.h"
#include "dirtylog.h"
#include "policy.h"
#include "rng.h"

#include <stdlib.h>

struct hyp {
	hyp_cfg c;
	physmem *mem;
	hostmem *hm;
	sim_err *err;
	mmu_walker *sw;            /* functional lookups only */
	pt_space s2;
	struct dirtylog *dl;
	hyp_counters n;
};

static int ident(void *ctx, uint64_t addr, uint64_t *pa)
{
	(void)ctx;
	*pa = addr;
	return 0;
}

static int table_alloc(void *ctx, uint64_t bytes, uint64_t *hpa)
{
	hyp *h = ctx;
	return hostmem_alloc(h->hm, bytes, hpa);
}

int hyp_create(hyp **out, const hyp_cfg *cfg, physmem *mem, hostmem *hm, sim_err *e)
{
	*out = NULL;
	hyp *h = calloc(1, sizeof(*h));
	char why[200];
	if (!h || mmu_walker_create(&h->sw, cfg->mmu, mem, why, sizeof(why))) {
		free(h);
		return sim_errf(e, TRACE_ENOMEM, "out of memory (creating a hypervisor)");
	}
	h->c = *cfg;
	h->mem = mem;
	h->hm = hm;
	h->err = e;
	h->s2 = (pt_space){ .g = &cfg->mmu->s2, .mem = mem, .to_pa = ident,
			    .alloc_table = table_alloc, .ctx = h };
	if (hostmem_alloc(hm, cfg->mmu->s2.root_bytes, &h->s2.root)) {
		hyp_destroy(h);
		return -1;
	}
	h->s2.table_bytes = cfg->mmu->s2.root_bytes;
	*out = h;
	return 0;
}

void hyp_destroy(hyp *h)
{
	if (!h)
		return;
	mmu_walker_destroy(h->sw);
	free(h);
}

void hyp_set_dirtylog(hyp *h, struct dirtylog *dl) { h->dl = dl; }

/* Deterministic per-region choice for host.backing. */
static int backed_small(const hyp *h, uint64_t region)
{
	if (h->c.backing <= 0)
		return 0;
	uint64_t x = region ^ h->c.seed ^ UINT64_C(0x9e3779b97f4a7c15);
	x = rng_hash64(x);
	return (double)(x >> 11) * 0x1.0p-53 < h->c.backing;
}

int hyp_ensure(hyp *h, uint64_t gpa)
{
	uint64_t hpa;
	unsigned sh;
	if (mmu_s2_lookup(h->sw, h->s2.root, gpa, &hpa, &sh) == 0)
		return 0;
	const mmu_geom *g = &h->c.mmu->s2;
	unsigned cand[4];
	unsigned n = policy_shifts(g, h->c.page, cand);
	for (unsigned k = h->dl && dirtylog_base_only(h->dl, gpa) ? n - 1 : 0; k < n; k++) {
		unsigned shift = cand[k];
		int lvl = mmu_geom_level_for_shift(g, shift);
		if (k + 1 < n && (backed_small(h, gpa >> shift) ||
				  !pt_slot_empty(&h->s2, gpa, (unsigned)lvl)))
			continue;
		uint64_t base = gpa & ~((UINT64_C(1) << shift) - 1);
		if (hostmem_alloc(h->hm, UINT64_C(1) << shift, &hpa))
			return -1;
		if (pt_map(&h->s2, base, hpa, shift, MMU_P_R | MMU_P_W | MMU_P_X) == 0) {
			h->n.pages++;
			if (h->dl && dirtylog_new_leaf(h->dl, gpa))
				return sim_errf(h->err, TRACE_ENOMEM, "out of memory (dirty-log page "
						"set)");
			return 1;
		}
	}
	return sim_errf(h->err, TRACE_EINTERNAL, "internal: cannot map GPA 0x%llx at stage 2",
			(unsigned long long)gpa);
}

int hyp_lookup(const hyp *h, uint64_t gpa, uint64_t *hpa)
{
	unsigned sh;
	return mmu_s2_lookup(h->sw, h->s2.root, gpa, hpa, &sh);
}

uint64_t hyp_root(const hyp *h) { return h->s2.root; }
pt_space *hyp_tables(hyp *h) { return &h->s2; }

const hyp_counters *hyp_counters_of(hyp *h)
{
	h->n.table_bytes = h->s2.table_bytes;
	return &h->n;
}
