/*
 * model/mmu/walk.c - the walker: one loop for every format and stage.
 *
 * walk_stage() walks one stage from a root to a leaf. When it walks stage 1
 * of a nested configuration, every table-entry address it forms is an IPA
 * and goes through s2_translate() - which is walk_stage() in the stage-2
 * regime, behind the nested TLB - before read_desc() fetches it; the final
 * IPA goes through s2_translate() too. read_desc() is the only place a
 * descriptor is read: it counts the reference by stage and level, charges
 * mem.pte_latency - or, with a data-cache hierarchy attached, sends the read
 * through it (from L1D, as Intel's PAGE_WALKER_LOADS events count them) and
 * charges the latency of the level that served it - and records the step
 * for 'slatsim explain'. write_desc() does the same for A/D writes.
 * DEVIATION: with a hierarchy, the software that builds the tables (sim/'s
 * guest and hypervisor models) writes descriptors straight to physmem, not
 * through the caches; the walker's reads still find them, only their cache
 * state differs (a freshly written table line would be in the writer's L1).
 * Beyond its lookups and reads, a walk costs mmu_config.walk_fixed and each
 * stage-2 walk (a nested-TLB miss that walks the host table: of a guest
 * table page or of the final IPA) s2_walk_fixed: what a host adds to its
 * references - the walker's start, the fill - as 'slatsim calibrate --fit'
 * measures it (both 0 by default: none).
 *
 * Dirty state (stage 2 only, with mmu_config.s2_ad: EPTP[6] / VTCR_EL2.HA+HD):
 * hw_ad() applies mmu_desc_hw_update() to each stage-2 descriptor the walk
 * uses and writes a changed one back through write_desc(), the one place a
 * descriptor is written. Before any such update it asks the vCPU's logging
 * unit whether the update must instead raise log-full (PML: any A/D update
 * while the index is outside 0..511; HDBSS: a clean -> dirty change while the
 * buffer is full); then the walk stops with MMU_FAULT_LOG_FULL and the access
 * does not happen. A clean -> dirty change of a leaf logs the address being
 * translated - for a guest table entry that is the entry's GPA, so with
 * ad_gpt_write guest page-table pages are logged (ARCH-FACTS §2.1). Writes to
 * a leaf the access may not write do not update it (the access faults).
 *
 * Stage-1 A/D (mmu_config.s1_hw): s1_hw_ad() applies mmu_desc_s1_update() to
 * each stage-1 descriptor the walk uses - x86: A in every entry, D in the
 * leaf on a write (Intel SDM Vol. 3A §4.8); Arm: AF in a leaf (TCR_EL1.HA),
 * writable-clean -> writable-dirty on a write (TCR_EL1.HD; Arm ARM DDI 0487
 * D8.5.1.2, D8.5.2.1) - and writes a changed one back through write_desc().
 * The guest OS creates what the hardware manages clear (guest.c), so each
 * flag is set once, by the first walk that needs it. In a nested walk that
 * write is a write to the guest's table page through stage 2 (Arm ARM
 * D8.5.2.1 R BDJJL: the stage-2 translation of the location holding the
 * stage-1 descriptor must grant write, already or by being updated from
 * writable-clean to writable-dirty; SDM-2016 §28.2.4 for EPT): when the
 * stage-2 translation that served the entry's read did not give write
 * permission and dirty state, the entry's IPA is translated again as a
 * write, which takes the stage-2 permission fault of a write-protected table
 * page (fault.s1ptw: logging's wp fault reports the page) or sets its
 * stage-2 D / DBM dirty state and logs it. With EPT A/D and ad_gpt_write the
 * read was already a write: nothing more is done, so no page is logged
 * twice. A leaf the access may not use is not updated (the access faults;
 * Bochs sets x86 A/D only after the permission checks), except that an Arm
 * leaf gets AF (D8.5.1.2 makes the AF update CONSTRAINED UNPREDICTABLE when
 * the access takes a Permission fault; setting it reports that fault rather
 * than an Access flag fault, which HA = 1 never generates).
 *
 * An optional observer (mmu_walker_set_mem_observer) hears every reference
 * read_desc() and write_desc() make and every log entry hw_ad() has written,
 * with the latency charged for it: all of the walker's memory traffic.
 *
 * Invariants: a walk that returns without a fault has res->shift equal to
 * min(stage-1 leaf, stage-2 leaf) and res->pa = translation of req->va; with
 * every cache absent, res->refs == n*m + n + m for n stage-1 and m stage-2
 * levels walked (ARCH-FACTS §4.1), plus m for each stage-1 A/D write that
 * needed its entry translated again as a write.
 */
#include "mmu.h"
#include "pml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHIFT_UNBOUNDED 63u

struct mmu_walker {
	mmu_config cfg;
	physmem *mem;
	tlb *wc[2];           /* walk caches: [0] stage 1, [1] stage 2 */
	tlb *ntlb;
	mmu_counters c;
	pml_unit *pml;
	hdbss_unit *hdbss;
	cache_hier *cache;    /* data caches for descriptor accesses, or NULL */
	mmu_mem_observer obs; /* memory traffic observer, or NULL */
	void *obs_ctx;
	int s1_ad;            /* translating a stage-1 A/D write's entry (s1_hw_ad) */
	tlb_counters wc_walks[2];   /* per walk: hit = some level hit */
	tlb_counters ntlb_c;
};

int mmu_walker_create(mmu_walker **out, const mmu_config *cfg, physmem *mem, char *err,
		      size_t errlen)
{
	*out = NULL;
	mmu_walker *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->cfg = *cfg;
	w->mem = mem;
	if (tlb_create(&w->wc[0], &cfg->wc_s1, "walkcache.s1", err, errlen) ||
	    tlb_create(&w->wc[1], &cfg->wc_s2, "walkcache.s2", err, errlen) ||
	    tlb_create(&w->ntlb, &cfg->ntlb, "ntlb", err, errlen)) {
		mmu_walker_destroy(w);
		return -1;
	}
	*out = w;
	return 0;
}

void mmu_walker_destroy(mmu_walker *w)
{
	if (!w)
		return;
	tlb_destroy(w->wc[0]);
	tlb_destroy(w->wc[1]);
	tlb_destroy(w->ntlb);
	free(w);
}

static void step(const mmu_req *req, mmu_result *res, mmu_step_kind kind, unsigned stage,
		 unsigned level, uint64_t table, uint64_t index, uint64_t pa, uint64_t desc,
		 uint64_t prev, int served, const char *what)
{
	if (!req->steps || res->nsteps >= req->max_steps)
		return;
	mmu_step *s = &req->steps[res->nsteps++];
	s->kind = kind;
	s->stage = stage;
	s->level = level;
	s->table = table;
	s->index = index;
	s->entry_pa = pa;
	s->desc = desc;
	s->prev = prev;
	s->cached = kind == MMU_STEP_WALK_CACHE || kind == MMU_STEP_NTLB;
	s->served = served;
	s->what = what;
}

/* The cost of one descriptor access at PA: through the data caches when
 * attached (counted in SERVED by the level that served it; returns that
 * level), else mem.pte_latency (returns -1). */
static int charge(mmu_walker *w, mmu_result *res, uint64_t pa, int write, uint64_t *served)
{
	if (!w->cache) {
		res->cycles += w->cfg.pte_latency;
		return -1;
	}
	cache_result r = cache_access(w->cache, pa, write, 0);
	res->cycles += r.latency;
	served[r.level]++;
	return (int)r.level;
}

/* Tell the observer about one reference that cost LATENCY. */
static void observe(const mmu_walker *w, mmu_mem_kind kind, unsigned stage, unsigned level,
		    uint64_t pa, uint64_t value, uint64_t latency)
{
	mmu_mem_op op = { .pa = pa, .value = value, .latency = latency, .size = 8,
			  .is_write = kind != MMU_MEM_DESC_READ, .kind = kind, .stage = stage,
			  .level = level };
	w->obs(w->obs_ctx, &op);
}

/* The one choke point for walker memory reads. */
static uint64_t read_desc(mmu_walker *w, const mmu_req *req, mmu_result *res, unsigned stage,
			  unsigned level, uint64_t table, uint64_t index, uint64_t pa)
{
	uint64_t d = physmem_read64(w->mem, pa), c0 = res->cycles;
	res->refs++;
	int served = charge(w, res, pa, 0, w->c.refs_served);
	if (w->obs)
		observe(w, MMU_MEM_DESC_READ, stage, level, pa, d, res->cycles - c0);
	if (stage == 1) {
		res->s1_refs++;
		w->c.s1_refs_level[level]++;
	} else {
		res->s2_refs++;
		w->c.s2_refs_level[level]++;
	}
	step(req, res, MMU_STEP_READ, stage, level, table, index, pa, d, 0, served,
	     "descriptor read");
	return d;
}

/* The one choke point for walker memory writes (hardware A/D updates): D
 * replaces PREV at PA. */
static void write_desc(mmu_walker *w, const mmu_req *req, mmu_result *res, unsigned stage,
		       unsigned level, uint64_t table, uint64_t index, uint64_t pa, uint64_t prev,
		       uint64_t d)
{
	if (physmem_write64(w->mem, pa, d))
		abort();   /* the entry's page exists: it was just read non-zero */
	res->ad_writes++;
	res->s1_ad_writes += stage == 1;
	uint64_t c0 = res->cycles;
	int served = charge(w, res, pa, 1, w->c.ad_writes_served);
	if (w->obs)
		observe(w, MMU_MEM_DESC_WRITE, stage, level, pa, d, res->cycles - c0);
	step(req, res, MMU_STEP_WRITE, stage, level, table, index, pa, d, prev, served,
	     "A/D update (write)");
}

void mmu_walker_set_cache(mmu_walker *w, cache_hier *h) { w->cache = h; }

void mmu_walker_set_mem_observer(mmu_walker *w, mmu_mem_observer fn, void *ctx)
{
	w->obs = fn;
	w->obs_ctx = ctx;
}

void mmu_walker_set_log(mmu_walker *w, pml_unit *pml, hdbss_unit *hdbss)
{
	w->pml = pml;
	w->hdbss = hdbss;
}

/* Leaf permissions as the hardware sees them: with HD, an Arm DBM leaf is
 * writable (a write makes it dirty instead of faulting; stage 2 VTCR_EL2.HD,
 * stage 1 TCR_EL1.HD: D8.5.2.1 "writable-clean"). */
static unsigned leaf_perm(const mmu_walker *w, const mmu_geom *g, uint64_t d, unsigned perm)
{
	if (g->fmt == MMU_FMT_ARM_S2 ? w->cfg.s2_ad
	    : g->fmt == MMU_FMT_ARM_S1 && (w->cfg.s1_hw & MMU_S1_HW_DIRTY))
		if (mmu_desc_dbm(g, d))
			perm |= MMU_P_W;
	return perm;
}

static void set_fault(mmu_result *res, mmu_fault_kind kind, unsigned stage, unsigned level,
		      int s1ptw, uint64_t va, uint64_t ipa)
{
	if (res->fault.kind != MMU_FAULT_NONE)
		return;
	res->fault.kind = kind;
	res->fault.stage = stage;
	res->fault.level = level;
	res->fault.s1ptw = s1ptw;
	res->fault.va = va;
	res->fault.ipa = ipa;
}

static int s2_translate(mmu_walker *w, const mmu_req *req, mmu_result *res, uint64_t ipa,
			unsigned need, int s1ptw, uint64_t *pa, unsigned *shift, unsigned *perm,
			int *dirty);

/* Hardware A/D update of the stage-2 descriptor *D just read at level index
 * I (entry address PA) for input IN. ADW: the access counts as a write.
 * Returns 0 (with *d, *x updated), or -1 with a LOG_FULL fault. */
static int hw_ad(mmu_walker *w, const mmu_req *req, mmu_result *res, const mmu_geom *g,
		 unsigned i, uint64_t table, uint64_t index, uint64_t pa, uint64_t in, int adw,
		 unsigned need, uint64_t *d, mmu_desc *x)
{
	int leaf = x->kind == MMU_DESC_LEAF || x->kind == MMU_DESC_NOACCESS;
	if (!leaf && x->kind != MMU_DESC_TABLE)
		return 0;
	if (x->kind == MMU_DESC_LEAF && (leaf_perm(w, g, *d, x->perm) & need) != need)
		return 0;   /* the access faults: no update */
	uint64_t nd = mmu_desc_hw_update(g, i, *d, adw);
	if (nd == *d)
		return 0;
	int dirtied = leaf && !mmu_desc_dirty(g, *d) && mmu_desc_dirty(g, nd);
	pml_outcome po = { 0 };
	if (dirtied && w->hdbss && hdbss_full(w->hdbss))
		po.full = 1;
	else if (w->pml) {
		/* The request the PML unit sees (the RTL unit's request port):
		 * leaf level 1 = 4 KB entry, 0 = a non-leaf entry. */
		pml_event ev = {
			.gpa = in,
			.leaf_level = leaf ? g->levels - i : 0,
			.d_was_0 = !mmu_desc_dirty(g, *d),
			.is_write = adw,
			.enabled = pml_enabled(w->pml),
		};
		pml_request(w->pml, &ev, &po);
		res->cycles += po.cycles;
	}
	if (po.full) {
		w->c.log_full++;
		set_fault(res, MMU_FAULT_LOG_FULL, 2, i, 0, req->va, in);
		return -1;
	}
	write_desc(w, req, res, 2, i, table, index, pa, *d, nd);
	w->c.s1_ad_s2_dirtied += dirtied && w->s1_ad;
	if (po.logged) {
		res->logged++;
		uint64_t base = pml_address(w->pml);
		step(req, res, MMU_STEP_PML, 2, i, base, (po.addr - base) / 8, po.addr, po.data, 0,
		     -1, "PML log entry");
		/* The entry's write is what the unit charged (pml.log.cycles, or
		 * the RTL's cycles with cosim.cost=rtl). */
		if (w->obs)
			observe(w, MMU_MEM_LOG_WRITE, 2, i, po.addr, po.data, po.cycles);
	}
	if (dirtied && w->hdbss && hdbss_enabled(w->hdbss)) {
		uint64_t at = hdbss_log(w->hdbss, in, (unsigned)g->arch_level[i]);
		uint32_t k = hdbss_index(w->hdbss) - 1;
		uint64_t e = hdbss_entry(w->hdbss, k);
		res->logged++;
		step(req, res, MMU_STEP_HDBSS, 2, i, at - 8 * (uint64_t)k, k, at, e, 0, -1,
		     "HDBSS entry");
		/* DEVIATION: the model charges an HDBSS entry's write nothing. */
		if (w->obs)
			observe(w, MMU_MEM_LOG_WRITE, 2, i, at, e, 0);
	}
	*d = nd;
	*x = mmu_desc_decode(g, i, nd);
	return 0;
}

/* Hardware A/D of the stage-1 descriptor *D (decoded *X) just read at level
 * index I of TABLE for an access needing NEED: its entry is at IPA EIPA and
 * PA EPA, and the stage-2 translation that served the read gave S2P and S2D
 * (permissions, dirty). Returns 0 (with *d, *x updated), or -1 with the
 * fault the write took at stage 2 (the top of this file). */
static int s1_hw_ad(mmu_walker *w, const mmu_req *req, mmu_result *res, const mmu_geom *g,
		    unsigned i, uint64_t table, uint64_t index, uint64_t eipa, uint64_t epa,
		    unsigned s2p, int s2d, unsigned need, uint64_t *d, mmu_desc *x)
{
	unsigned hw = w->cfg.s1_hw, changed;
	uint64_t nd = mmu_desc_s1_update(g, x->kind, *d, (need & MMU_P_W) != 0, hw, &changed);
	if (nd == *d)
		return 0;
	mmu_desc nx = mmu_desc_decode(g, i, nd);
	if (nx.kind == MMU_DESC_LEAF && (leaf_perm(w, g, nd, nx.perm) & need) != need) {
		/* The access faults at stage 1: no update, but an Arm AF. */
		if (g->fmt != MMU_FMT_ARM_S1)
			return 0;
		nd = mmu_desc_s1_update(g, x->kind, *d, 0, hw, &changed);
		if (nd == *d)
			return 0;
		nx = mmu_desc_decode(g, i, nd);
	}
	if (w->cfg.nested && (!(s2p & MMU_P_W) || !s2d)) {
		uint64_t pa;
		unsigned s2s, p;
		int dd;
		w->s1_ad = 1;
		int f = s2_translate(w, req, res, eipa, MMU_P_W, 1, &pa, &s2s, &p, &dd);
		w->s1_ad = 0;
		if (f) {
			w->c.s1_ad_s2_faults += res->fault.kind == MMU_FAULT_PERMISSION;
			return -1;
		}
	}
	write_desc(w, req, res, 1, i, table, index, epa, *d, nd);
	w->c.s1_accessed += (changed & MMU_S1_HW_ACCESS) != 0;
	w->c.s1_dirtied += (changed & MMU_S1_HW_DIRTY) != 0;
	*d = nd;
	*x = nx;
	return 0;
}

/* Walk one stage for input address IN from ROOT. Stage 1 of a nested walk
 * translates each entry address through stage 2. Returns 0 with the leaf's
 * output address for IN, its size and permissions, or -1 with res->fault. */
static int walk_stage(mmu_walker *w, const mmu_req *req, mmu_result *res, unsigned stage,
		      uint64_t root, uint64_t in, unsigned need, int adw, uint64_t *out,
		      unsigned *shift, unsigned *perm, int *dirty)
{
	const mmu_geom *g = stage == 1 ? &w->cfg.s1 : &w->cfg.s2;
	tlb *wc = w->wc[stage - 1];
	uint16_t asid = stage == 1 ? req->asid : 0;
	uint64_t table = root;
	unsigned start = 0;

	/* An input outside the stage's halves cannot be translated (Arm:
	 * translation fault at the start level for a VA in neither TTBR's
	 * range, address size fault for an IPA; x86: non-canonical / beyond
	 * MAXPHYADDR). An Arm upper-half VA walks from TTBR1_EL1. */
	int half = mmu_geom_va_half(g, in);
	if (half < 0 || (half && g->fmt == MMU_FMT_ARM_S1 && !req->s1_root_upper)) {
		set_fault(res, half < 0 ? MMU_FAULT_ADDRSIZE : MMU_FAULT_TRANSLATION, stage, 0, 0,
			  req->va, in);
		return -1;
	}
	if (half && g->fmt == MMU_FMT_ARM_S1)
		table = req->s1_root_upper;

	/* Walk caches: the deepest cached level wins (probes in parallel). */
	if (tlb_present(wc)) {
		for (int i = (int)g->levels - 2; i >= 0; i--) {
			const tlb_entry *e = tlb_lookup_shift(wc, in, g->shift[i], req->vmid, asid);
			if (e) {
				table = e->out;
				start = (unsigned)i + 1;
				break;
			}
		}
		if (start) {
			w->wc_walks[stage - 1].hits++;
			res->cycles += tlb_latency(wc);
			step(req, res, MMU_STEP_WALK_CACHE, stage, start, table, 0, 0, 0, 0, -1,
			     "walk cache hit");
		} else {
			w->wc_walks[stage - 1].misses++;
		}
	}
	for (unsigned i = start; i < g->levels; i++) {
		uint64_t index = mmu_geom_index(g, i, in);
		uint64_t entry = table + index * 8, eipa = entry;
		unsigned s2p = MMU_P_R | MMU_P_W | MMU_P_X;
		int s2d = 1;
		if (stage == 1 && w->cfg.nested) {
			unsigned s2s;
			if (s2_translate(w, req, res, entry, MMU_P_R, 1, &entry, &s2s, &s2p, &s2d))
				return -1;
		}
		uint64_t d = read_desc(w, req, res, stage, i, table, index, entry);
		mmu_desc x = mmu_desc_decode(g, i, d);
		if (stage == 2 ? w->cfg.s2_ad &&
				 hw_ad(w, req, res, g, i, table, index, entry, in, adw, need, &d, &x)
			       : w->cfg.s1_hw && s1_hw_ad(w, req, res, g, i, table, index, eipa, entry,
							  s2p, s2d, need, &d, &x))
			return -1;
		switch (x.kind) {
		case MMU_DESC_TABLE: {
			table = x.addr;
			if (tlb_present(wc)) {
				tlb_entry e = { .tag = in >> g->shift[i], .out = table, .vmid = req->vmid,
						.asid = asid, .shift = (uint8_t)g->shift[i],
						.level = (uint8_t)(i + 1) };
				tlb_fill(wc, &e);
			}
			continue;
		}
		case MMU_DESC_LEAF: {
			unsigned p = leaf_perm(w, g, d, x.perm);
			if ((p & need) != need) {
				set_fault(res, MMU_FAULT_PERMISSION, stage, i, 0, req->va, in);
				return -1;
			}
			/* The contiguous hint: the run of 2^cont_bits aligned,
			 * contiguous entries may be cached as one translation
			 * (ARCH-FACTS §3.2); the output is the run's base. */
			*shift = g->shift[i] + (x.cont ? g->cont_bits[i] : 0);
			*out = x.addr & ~((UINT64_C(1) << *shift) - 1);
			*perm = p;
			/* Would a write through this translation change the leaf? */
			if (stage == 1)
				*dirty = !(w->cfg.s1_hw & MMU_S1_HW_DIRTY) ||
					 mmu_desc_s1_update(g, x.kind, d, 1, w->cfg.s1_hw, NULL) == d;
			else
				*dirty = !w->cfg.s2_ad || mmu_desc_hw_update(g, i, d, 1) == d;
			return 0;
		}
		case MMU_DESC_INVALID:
			set_fault(res, MMU_FAULT_TRANSLATION, stage, i, 0, req->va, in);
			return -1;
		case MMU_DESC_NOACCESS:
			set_fault(res, MMU_FAULT_ACCESS_FLAG, stage, i, 0, req->va, in);
			return -1;
		case MMU_DESC_MISCONFIG:
			set_fault(res, MMU_FAULT_MISCONFIG, stage, i, 0, req->va, in);
			return -1;
		}
	}
	return -1;   /* unreachable: the last level is always a leaf or a fault */
}

/* Stage-2 translation of IPA, behind the nested TLB. S1PTW says whether the
 * access is a stage-1 table entry (for the fault record). With EPT A/D and
 * ad_gpt_write, a guest table access is a write: it needs W and sets D
 * (SDM-2016 §28.2.3.2, §28.2.4; ARCH-FACTS §6 item 4). A nested-TLB entry
 * serves a write only if it was filled dirty. */
static int s2_translate(mmu_walker *w, const mmu_req *req, mmu_result *res, uint64_t ipa,
			unsigned need, int s1ptw, uint64_t *pa, unsigned *shift, unsigned *perm,
			int *dirty)
{
	if (!w->cfg.nested) {
		*pa = ipa;
		*shift = SHIFT_UNBOUNDED;
		*perm = MMU_P_R | MMU_P_W | MMU_P_X;
		*dirty = 1;
		return 0;
	}
	if (s1ptw && w->cfg.s2_ad && w->cfg.ad_gpt_write)
		need |= MMU_P_W;
	int adw = (need & MMU_P_W) != 0;
	if (tlb_present(w->ntlb)) {
		const tlb_entry *e = tlb_lookup(w->ntlb, ipa, req->vmid, 0);
		unsigned eperm = e ? tlbf_to_perm(e->flags) : 0;
		if (e && (eperm & need) == need && (!adw || (e->flags & TLB_F_DIRTY))) {
			w->ntlb_c.hits++;
			res->cycles += tlb_latency(w->ntlb);
			*shift = e->shift;
			*pa = e->out | (ipa & ((UINT64_C(1) << e->shift) - 1));
			*perm = eperm;
			*dirty = (e->flags & TLB_F_DIRTY) != 0;
			step(req, res, MMU_STEP_NTLB, 2, 0, 0, 0, *pa, 0, 0, -1, "nested TLB hit");
			return 0;
		}
		w->ntlb_c.misses++;
	}
	uint64_t base;
	res->s2_walks++;
	res->cycles += w->cfg.s2_walk_fixed;
	if (walk_stage(w, req, res, 2, req->s2_root, ipa, need, adw, &base, shift, perm, dirty)) {
		res->fault.s1ptw = s1ptw;
		return -1;
	}
	*pa = base | (ipa & ((UINT64_C(1) << *shift) - 1));
	if (tlb_present(w->ntlb)) {
		tlb_entry e = { .tag = ipa >> *shift, .out = base, .vmid = req->vmid,
				.shift = (uint8_t)*shift,
				.flags = (uint8_t)(perm_to_tlbf(*perm) | (*dirty ? TLB_F_DIRTY : 0)) };
		tlb_fill(w->ntlb, &e);
	}
	return 0;
}

void mmu_translate(mmu_walker *w, const mmu_req *req, mmu_result *res)
{
	memset(res, 0, sizeof(*res));
	static const unsigned need_of[3] = { MMU_P_R, MMU_P_W, MMU_P_X };
	unsigned need = need_of[req->access];
	uint64_t s1_out, ipa, pa;
	unsigned s1_shift, s1_perm, s2_shift, s2_perm;
	int s1_dirty, s2_dirty;
	w->c.walks++;
	res->cycles = w->cfg.walk_fixed;
	if (walk_stage(w, req, res, 1, req->s1_root, req->va, need, 0, &s1_out, &s1_shift,
		       &s1_perm, &s1_dirty) == 0) {
		ipa = s1_out | (req->va & ((UINT64_C(1) << s1_shift) - 1));
		if (s2_translate(w, req, res, ipa, need, 0, &pa, &s2_shift, &s2_perm,
				 &s2_dirty) == 0) {
			res->dirty = s1_dirty && s2_dirty;
			res->pa = pa;
			res->ipa = ipa;
			res->s1_shift = s1_shift;
			res->s2_shift = w->cfg.nested ? s2_shift : s1_shift;
			res->shift = s1_shift < s2_shift ? s1_shift : s2_shift;
			/* Permissions intersect; globalness is stage 1's. */
			res->perm = (s1_perm & s2_perm) | (s1_perm & MMU_P_G);
		}
	}
	if (res->fault.kind != MMU_FAULT_NONE) {
		if (res->fault.stage == 1)
			w->c.faults_s1++;
		else
			w->c.faults_s2++;
	}
	w->c.ad_writes += res->ad_writes;
	w->c.s1_ad_writes += res->s1_ad_writes;
	w->c.logged += res->logged;
	w->c.refs += res->refs;
	w->c.s1_refs += res->s1_refs;
	w->c.s2_refs += res->s2_refs;
	w->c.s2_walks += res->s2_walks;
	w->c.cycles += res->cycles;
}

int mmu_s2_lookup(const mmu_walker *w, uint64_t s2_root, uint64_t ipa, uint64_t *hpa,
		  unsigned *shift)
{
	if (!w->cfg.nested) {
		*hpa = ipa;
		*shift = SHIFT_UNBOUNDED;
		return 0;
	}
	const mmu_geom *g = &w->cfg.s2;
	uint64_t table = s2_root;
	for (unsigned i = 0; i < g->levels; i++) {
		uint64_t d = physmem_read64(w->mem, table + mmu_geom_index(g, i, ipa) * 8);
		mmu_desc x = mmu_desc_decode(g, i, d);
		if (x.kind == MMU_DESC_TABLE) {
			table = x.addr;
			continue;
		}
		if (x.kind != MMU_DESC_LEAF)
			return -1;
		*shift = g->shift[i];
		*hpa = x.addr | (ipa & ((UINT64_C(1) << g->shift[i]) - 1));
		return 0;
	}
	return -1;
}

void mmu_inv_all(mmu_walker *w)
{
	tlb_inv_all(w->wc[0]);
	tlb_inv_all(w->wc[1]);
	tlb_inv_all(w->ntlb);
}

void mmu_inv_ipa(mmu_walker *w, uint16_t vmid, uint64_t ipa)
{
	tlb_inv_tag_range(w->ntlb, vmid, ipa);
	tlb_inv_tag_range(w->wc[1], vmid, ipa);
}

void mmu_inv_va(mmu_walker *w, uint16_t vmid, uint16_t asid, uint64_t va)
{
	tlb_inv_va(w->wc[0], vmid, asid, va);
}

void mmu_inv_s1_vmid(mmu_walker *w, uint16_t vmid) { tlb_inv_vmid(w->wc[0], vmid); }

void mmu_inv_s1_asid(mmu_walker *w, uint16_t vmid, uint16_t asid)
{
	tlb_inv_asid(w->wc[0], vmid, asid);
}

const mmu_counters *mmu_walker_counters(const mmu_walker *w) { return &w->c; }

const tlb_counters *mmu_walker_cache_counters(const mmu_walker *w, int which)
{
	return which == 2 ? &w->ntlb_c : &w->wc_walks[which];
}
