/*
 * sim/machine/hyp.c - the hypervisor model (see hyp.h).
 */
#include "hyp.h"
#include "bits.h"
#include "pageset.h"
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
	dirtylog *dl;
	uint64_t foreign_lo, foreign_hi;   /* where foreign frames were mapped */
	pageset kept;              /* regions (GPA >> the policy's large shift) whose large
				    * leaf dirty logging refused at their first fault */
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
	if (!h || mmu_walker_create(&h->sw, cfg->mmu, mem, why, sizeof(why)) ||
	    pageset_init(&h->kept)) {
		if (h)
			mmu_walker_destroy(h->sw);
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
	h->foreign_lo = UINT64_MAX;
	*out = h;
	return 0;
}

void hyp_destroy(hyp *h)
{
	if (!h)
		return;
	mmu_walker_destroy(h->sw);
	pageset_free(&h->kept);
	free(h);
}

void hyp_set_dirtylog(hyp *h, dirtylog *dl) { h->dl = dl; }

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
	const mmu_geom *g = &h->c.mmu->s2;
	if (g->in_bits < 64 && gpa >> g->in_bits)   /* (the walk would alias it) */
		return sim_errf(h->err, TRACE_EFORMAT, "GPA 0x%llx lies beyond the guest-physical "
				"space of %u bits (host.ipa_bits)", (unsigned long long)gpa,
				g->in_bits);
	if (mmu_s2_lookup(h->sw, h->s2.root, gpa, &hpa, &sh) == 0)
		return 0;
	unsigned cand[4];
	unsigned n = policy_shifts(g, h->c.page, cand);
	int kept = 0;   /* the first (largest) size was refused for logging alone */
	for (unsigned k = 0; k < n; k++) {
		unsigned shift = cand[k];
		int lvl = mmu_geom_level_for_shift(g, shift);
		uint64_t base = gpa & ~((UINT64_C(1) << shift) - 1);
		if (k + 1 < n && (backed_small(h, gpa >> shift) ||
				  !pt_slot_empty(&h->s2, gpa, (unsigned)lvl)))
			continue;
		if (k + 1 < n && h->dl && dirtylog_base_only(h->dl, base, UINT64_C(1) << shift)) {
			kept |= k == 0;
			continue;
		}
		if (hostmem_alloc(h->hm, UINT64_C(1) << shift, &hpa))
			return -1;
		if (pt_map(&h->s2, base, hpa, shift, MMU_P_R | MMU_P_W | MMU_P_X) == 0) {
			h->n.pages++;
			if (h->dl && dirtylog_new_leaf(h->dl, gpa))
				return sim_errf(h->err, TRACE_ENOMEM, "out of memory (dirty-log page "
						"set)");
			/* A region logging kept from a large leaf: its first fault
			 * would have been taken anyway, the later ones not. */
			if (k > 0 && pageset_has(&h->kept, gpa >> cand[0]))
				return HYP_LOGGING_FAULT;
			if (kept && pageset_add(&h->kept, gpa >> cand[0]) < 0)
				return sim_errf(h->err, TRACE_ENOMEM, "out of memory (stage-2 "
						"regions)");
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

int hyp_map_foreign(hyp *h, uint64_t gpa, const uint64_t *pa, unsigned n, unsigned perm,
		    int cont)
{
	const mmu_geom *g = &h->c.mmu->s2;
	uint64_t bytes = (uint64_t)n << 12;
	int run = ((pa[0] | gpa) & (bytes - 1)) == 0;
	for (unsigned i = 1; i < n; i++)
		run &= pa[i] == pa[0] + ((uint64_t)i << 12);
	int big = mmu_geom_level_for_shift(g, log2_u64(bytes)), small = mmu_geom_level_for_shift(g, 12);
	int entries = -1;
	if (n > 1 && big >= 0 && run) {
		if (pt_map(&h->s2, gpa, pa[0], log2_u64(bytes), perm) == 0)
			entries = 1;
	} else if (small >= 0 && n > 1 && cont && run && g->cont_bits[small] &&
		   (UINT64_C(1) << g->cont_bits[small]) == n) {
		if (pt_map_cont(&h->s2, gpa, pa[0], 12, perm) == 0)
			entries = (int)n;
	} else if (small >= 0) {
		unsigned i = 0;
		while (i < n && pt_map(&h->s2, gpa + ((uint64_t)i << 12), pa[i], 12, perm) == 0)
			i++;
		if (i == n)
			entries = (int)n;
		else
			while (i--)   /* undo a partial mapping */
				pt_unmap(&h->s2, gpa + ((uint64_t)i << 12), 12);
	}
	if (entries > 0) {
		h->foreign_lo = gpa < h->foreign_lo ? gpa : h->foreign_lo;
		h->foreign_hi = gpa + bytes > h->foreign_hi ? gpa + bytes : h->foreign_hi;
	}
	return entries;
}

int hyp_unmap_foreign(hyp *h, uint64_t gpa, unsigned n)
{
	unsigned level;
	uint64_t epa, d;
	if (!hyp_foreign(h, gpa) || !pt_find_leaf(&h->s2, gpa, &level, &epa, &d))
		return -1;
	unsigned sh = h->c.mmu->s2.shift[level];
	if (sh > 12 && (UINT64_C(1) << (sh - 12)) == n) {
		if (pt_unmap(&h->s2, gpa, sh))
			return -1;
	} else {
		for (unsigned i = 0; i < n; i++)
			if (pt_unmap(&h->s2, gpa + ((uint64_t)i << 12), 12))
				return -1;
	}
	return (int)vcpu_set_inv_vm(h->c.vcpus);
}

static uint64_t clear_cb(void *ctx, uint64_t base, unsigned level, uint64_t pa, uint64_t d)
{
	(void)ctx;
	(void)base;
	(void)level;
	(void)pa;
	(void)d;
	return 0;   /* the leaf is gone (the tables above it stay, as pt_unmap) */
}

int hyp_unmap_foreign_range(hyp *h, uint64_t gpa, uint64_t bytes)
{
	if (!bytes || !hyp_foreign(h, gpa) || !hyp_foreign(h, gpa + bytes - 1) ||
	    pt_foreach_leaf(&h->s2, gpa, gpa + bytes, clear_cb, NULL) <= 0)
		return -1;
	return (int)vcpu_set_inv_vm(h->c.vcpus);
}

int hyp_foreign(const hyp *h, uint64_t gpa)
{
	return gpa >= h->foreign_lo && gpa < h->foreign_hi;
}

uint64_t hyp_root(const hyp *h) { return h->s2.root; }
pt_space *hyp_tables(hyp *h) { return &h->s2; }

const hyp_counters *hyp_counters_of(hyp *h)
{
	h->n.table_bytes = h->s2.table_bytes;
	return &h->n;
}
