/*
 * sim/dirtylog.c - the hypervisor's dirty logging (dirtylog.mode).
 *
 * What a hypervisor does to learn which guest pages were written, over the
 * hardware of model/: write-protection (wp), Intel PML over EPT A/D (pml),
 * Arm stage-2 DBM with a page-table scan (dbm) or with the HDBSS buffer
 * (hdbss). Sources: ../shared/ARCH-FACTS.md §2.2-2.3 (KVM and Xen), §3.6-3.7.
 *
 * Model:
 *  - Logging covers the guest-physical range [lo, hi) (dirtylog.range from
 *    the bottom of guest RAM, or all of it) from the first record on. Inside
 *    it every stage-2 leaf is "armed": wp: W = 0; pml: D = 0 (W kept);
 *    dbm/hdbss: DBM = 1 and writable-clean. A large leaf is write-protected
 *    instead unless dirtylog.huge=keep (Xen: a log-dirty superpage is W = 0;
 *    KVM write-protects >= 2 MB SPTEs under PML), and its first write
 *    splits it (split) or reports the whole large page (wp). Outside the
 *    range, leaves are created accessed and dirty (Xen pre-sets A/D), so they
 *    never log.
 *  - A page first mapped during logging is mapped armed; with huge=split
 *    only base pages are mapped in the range (KVM maps PAGE_SIZE while
 *    logging).
 *  - A write-protection fault (stage-2 permission fault on a write, or on a
 *    guest table access when EPT A/D makes it a write) exits to the
 *    hypervisor, which reports the page (the whole leaf for a large page it
 *    does not split), makes it writable and dirty, and invalidates what this
 *    vCPU cached for it.
 *  - PML log-full / HDBSS-full: exit, drain this vCPU's buffer into the
 *    report, reset the index (511 / 0), replay the access. pml.drain=kvm also
 *    drains on every other exit (KVM flushes at the start of every VM exit).
 *  - A round ends every dirtylog.period instructions (trace order, all
 *    vCPUs) and at the end of the trace: the hypervisor drains every vCPU's
 *    buffer (dirtylog.flush_all_vcpus; Xen's p2m_flush_hardware_cached_dirty,
 *    KVM's kick), or scans the leaves (dbm), compares with the truth, re-arms
 *    every leaf in the range and, with dirtylog.invalidate, invalidates every
 *    vCPU's TLBs, walk caches and nested TLB (INVEPT single-context / TLBI
 *    VMALLS12E1).
 *  - Truth: the 4 KB GPA pages the trace's writes touched in the round,
 *    after translation. reported - truth are extra pages (guest page-table
 *    pages with ept.ad_gpt_write, the rest of a large page); truth - reported
 *    are missed pages, which only an unsafe configuration may have.
 * Costs are charged machine-wide as cycles.dirtylog.{exits,faults,drain,
 * harvest} (part of cycles.total); the per-vCPU split is not kept. The
 * hardware's own cost of writing a PML entry (pml.log.cycles, or the RTL's
 * cycles under run --cosim pml --set cosim.cost=rtl) is part of the walk.
 */
#include "sim_int.h"
#include "cosim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- config */

int dl_build_cfg(dl_cfg *c, const param_reg *p, int arm, int nested, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->mode = param_enum(p, "dirtylog.mode");
	c->period = (uint64_t)param_int(p, "dirtylog.period");
	c->range = (uint64_t)param_int(p, "dirtylog.range");
	c->huge = param_enum(p, "dirtylog.huge");
	c->drain_kvm = param_enum(p, "pml.drain") == 1;
	c->flush_all = param_bool(p, "dirtylog.flush_all_vcpus");
	c->invalidate = param_bool(p, "dirtylog.invalidate");
	c->gpt_write = param_bool(p, "ept.ad_gpt_write");
	uint64_t hb = (uint64_t)param_int(p, "hdbss.size");
	c->hdbss_sz = 0;
	while ((UINT64_C(4096) << c->hdbss_sz) < hb)
		c->hdbss_sz++;
	c->c_exit = (uint64_t)param_int(p, "dirtylog.exit.cycles");
	c->c_fault = (uint64_t)param_int(p, "dirtylog.fault.cycles");
	c->c_split = (uint64_t)param_int(p, "dirtylog.split.cycles");
	c->c_drain = (uint64_t)param_int(p, "pml.drain.cycles");
	c->c_log = (uint64_t)param_int(p, "pml.log.cycles");
	c->c_clear = (uint64_t)param_int(p, "dirtylog.clear.cycles");
	c->c_scan = (uint64_t)param_int(p, "dirtylog.scan.cycles");
	c->c_inval = (uint64_t)param_int(p, "dirtylog.invalidate.cycles");
	c->c_bitmap = (uint64_t)param_int(p, "dirtylog.bitmap.cycles");
	if (c->mode == DL_OFF)
		return 0;
	const char *m = param_text(p, "dirtylog.mode");
	if (!nested) {
		snprintf(err, errlen, "dirtylog.mode=%s needs virt=nested (logging is a stage-2 "
			 "mechanism)", m);
		return -1;
	}
	if (c->mode == DL_PML && arm) {
		snprintf(err, errlen, "dirtylog.mode=pml is Intel PML over EPT: use arch=x86 "
			 "(arm64 has dbm and hdbss)");
		return -1;
	}
	if ((c->mode == DL_DBM || c->mode == DL_HDBSS) && !arm) {
		snprintf(err, errlen, "dirtylog.mode=%s is Arm stage-2 DBM: use arch=arm64 "
			 "(x86 has pml)", m);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- helpers */

static int in_range(const sim *s, uint64_t gpa)
{
	return gpa >= s->dl.lo && gpa < s->dl.hi;
}

static const mmu_geom *s2g(const sim *s) { return &s->c.mmu.s2; }

static int is_large(const sim *s, unsigned level) { return level + 1 < s2g(s)->levels; }

/* The armed (clean) state of a stage-2 leaf at level index LEVEL. */
static uint64_t arm_leaf(const sim *s, unsigned level, uint64_t d)
{
	const mmu_geom *g = s2g(s);
	if (is_large(s, level) && s->c.dl.huge != DL_HUGE_KEEP) {
		d = mmu_desc_set_dbm(g, d, 0);
		return mmu_desc_set_write(g, d, 0);
	}
	switch (s->c.dl.mode) {
	case DL_WP:
		return mmu_desc_set_write(g, d, 0);
	case DL_PML:
		return mmu_desc_clean(g, d);
	case DL_DBM:
	case DL_HDBSS:
		return mmu_desc_clean(g, mmu_desc_set_dbm(g, d, 1));
	}
	return d;
}

/* Writable and dirty: what software leaves after it reported the page. */
static uint64_t dirty_leaf(const sim *s, unsigned level, uint64_t d)
{
	const mmu_geom *g = s2g(s);
	d = mmu_desc_set_write(g, d, 1);
	return mmu_desc_hw_update(g, level, d, 1);   /* A/D (EPT) or AF; no-op for wp */
}

static int report(sim *s, uint64_t base, uint64_t bytes)
{
	uint64_t lo = base < s->dl.lo ? s->dl.lo : base;
	uint64_t hi = base + bytes > s->dl.hi ? s->dl.hi : base + bytes;
	for (uint64_t a = lo & ~UINT64_C(4095); a < hi; a += 4096)
		if (pageset_add(&s->dl.reported, a >> 12) < 0)
			return -1;
	return 0;
}

static void charge(sim *s, uint64_t *cat, uint64_t cyc)
{
	*cat += cyc;
	s->dl.cyc_total += cyc;
}

/* Invalidate every vCPU's cached translations (INVEPT single-context). */
static void invalidate_all(sim *s)
{
	for (unsigned i = 0; i < TRACE_MAX_VCPUS; i++) {
		vcpu *v = s->v[i];
		if (!v)
			continue;
		tlb_inv_vmid(v->l1i, s->vmid);
		tlb_inv_vmid(v->l1d, s->vmid);
		tlb_inv_vmid(v->l2, s->vmid);
		mmu_inv_all(v->w);
		charge(s, &s->dl.cyc_harvest, s->c.dl.c_inval);
	}
}

/* ---------------------------------------------------------------- buffers */

/* Drain one vCPU's PML or HDBSS buffer into the report; reset its index. */
static int drain(sim *s, vcpu *v)
{
	if (v->pml) {
		unsigned n = pml_valid_entries(v->pml);
		unsigned first = PML_ENTRIES - n;   /* valid: first .. 511 */
		for (unsigned k = first; k < PML_ENTRIES; k++)
			if (report(s, pml_entry(v->pml, k), 4096))
				return -1;
		pml_set_index(v->pml, PML_HEAD_INDEX);
		s->dl.pml_drained += n;
		charge(s, &s->dl.cyc_drain, n * s->c.dl.c_drain);
	}
	if (v->hdbss) {
		uint32_t n = hdbss_index(v->hdbss);
		const mmu_geom *g = s2g(s);
		for (uint32_t k = 0; k < n; k++) {
			uint64_t e = hdbss_entry(v->hdbss, k);
			if (!(e & HDBSS_ENTRY_VALID))
				continue;   /* KVM's flush skips invalid entries */
			unsigned ttwl = (unsigned)field_get64(HDBSS_ENTRY_TTWL_MASK, e);
			unsigned shift = g->gran_shift;
			for (unsigned i = 0; i < g->levels; i++)
				if ((unsigned)g->arch_level[i] == ttwl)
					shift = g->shift[i];
			uint64_t ipa = e & HDBSS_ENTRY_IPA_MASK & ~((UINT64_C(1) << shift) - 1);
			if (report(s, ipa, UINT64_C(1) << shift))
				return -1;
		}
		hdbss_set_index(v->hdbss, 0);
		s->dl.hdbss_drained += n;
		charge(s, &s->dl.cyc_drain, n * s->c.dl.c_drain);
	}
	return 0;
}

/* ---------------------------------------------------------------- lifecycle */

int dl_init(sim *s)
{
	if (pageset_init(&s->dl.truth) || pageset_init(&s->dl.reported))
		return -1;
	return 0;
}

void dl_free(sim *s)
{
	pageset_free(&s->dl.truth);
	pageset_free(&s->dl.reported);
	free(s->dl.rounds);
}

int dl_vcpu_init(sim *s, vcpu *v, unsigned id)
{
	uint64_t buf;
	if (s->c.dl.mode == DL_PML) {
		v->pml = pml_create(s->mem);
		if (!v->pml || sim_host_alloc(s, 4096, &buf))
			return -1;
		pml_enable(v->pml, buf);
		pml_set_log_cycles(v->pml, s->c.dl.c_log);
		char e[512];
		int rc = s->cosim ? cosim_attach(s->cosim, v->pml, id, e, sizeof(e)) : 0;
		if (rc)
			return sim_fail(s, rc, "%s", e);
	} else if (s->c.dl.mode == DL_HDBSS) {
		v->hdbss = hdbss_create(s->mem);
		if (!v->hdbss || sim_host_alloc(s, UINT64_C(4096) << s->c.dl.hdbss_sz, &buf))
			return -1;
		hdbss_enable(v->hdbss, buf, s->c.dl.hdbss_sz);
	}
	mmu_walker_set_log(v->w, v->pml, v->hdbss);
	return 0;
}

void dl_vcpu_free(vcpu *v)
{
	pml_destroy(v->pml);
	hdbss_destroy(v->hdbss);
}

static uint64_t arm_cb(void *ctx, uint64_t base, unsigned level, uint64_t pa, uint64_t d)
{
	sim *s = ctx;
	(void)base;
	(void)pa;
	uint64_t nd = arm_leaf(s, level, d);
	if (nd != d)
		s->dl.rearmed++;
	return nd;
}

int dl_start(sim *s)
{
	if (s->c.dl.mode == DL_OFF)
		return 0;
	s->dl.lo = GUEST_RAM_BASE;
	s->dl.hi = s->c.dl.range ? s->dl.lo + s->c.dl.range : UINT64_MAX;
	s->dl.active = 1;
	s->dl.next_round = s->c.dl.period ? s->c.dl.period : UINT64_MAX;
	uint64_t before = s->dl.rearmed;
	if (pt_foreach_leaf(&s->s2, s->dl.lo, s->dl.hi, arm_cb, s) < 0)
		return -1;
	charge(s, &s->dl.cyc_harvest, (s->dl.rearmed - before) * s->c.dl.c_clear);
	s->dl.rearmed = before;   /* the initial arming is not a re-arm */
	invalidate_all(s);
	return 0;
}

int dl_base_only(const sim *s, uint64_t gpa)
{
	return s->dl.active && s->c.dl.huge == DL_HUGE_SPLIT && in_range(s, gpa);
}

/* A stage-2 leaf just mapped at GPA: armed in the range while logging, else
 * pre-set accessed and dirty when hardware manages A/D (Xen, commit
 * 191b3f3344: "to avoid overhead of MMU having to set them later"). */
int dl_new_leaf(sim *s, uint64_t gpa)
{
	if (!s->c.mmu.s2_ad && !s->dl.active)
		return 0;
	unsigned level;
	uint64_t pa, d;
	if (!pt_find_leaf(&s->s2, gpa, &level, &pa, &d))
		return -1;
	uint64_t nd = s->dl.active && in_range(s, gpa) ? arm_leaf(s, level, d)
			: mmu_desc_hw_update(s2g(s), level, d, 1);
	return nd == d ? 0 : physmem_write64(s->mem, pa, nd);
}

/* ---------------------------------------------------------------- exits */

int dl_log_full(sim *s, vcpu *v)
{
	if (v->pml)
		s->dl.pml_full++;
	else
		s->dl.hdbss_full++;
	charge(s, &s->dl.cyc_exits, s->c.dl.c_exit);
	return drain(s, v);
}

/* A piece of a split block: the block was write-protected only for logging,
 * so each piece gets its write permission back and is then armed. */
static uint64_t split_cb(void *ctx, uint64_t base, unsigned level, uint64_t pa, uint64_t d)
{
	sim *s = ctx;
	(void)base;
	(void)pa;
	return arm_leaf(s, level, mmu_desc_set_write(s2g(s), d, 1));
}

/* A stage-2 permission fault. Returns 1 if it was logging's (handled), 0 if
 * not, -1 on error. */
int dl_wp_fault(sim *s, vcpu *v, const mmu_req *req, const mmu_result *res)
{
	uint64_t ipa = res->fault.ipa;
	if (!s->dl.active || !in_range(s, ipa))
		return 0;
	unsigned level;
	uint64_t pa, d;
	if (!pt_find_leaf(&s->s2, ipa, &level, &pa, &d))
		return 0;
	s->dl.wp_faults++;
	charge(s, &s->dl.cyc_exits, s->c.dl.c_exit);
	charge(s, &s->dl.cyc_faults, s->c.dl.c_fault);
	if (s->c.dl.drain_kvm && drain(s, v))
		return -1;
	const mmu_geom *g = s2g(s);
	mmu_desc x = mmu_desc_decode(g, level, d);
	if (x.kind == MMU_DESC_LEAF && (x.perm & MMU_P_W) && !mmu_desc_dbm(g, d)) {
		/* Already writable: this vCPU held a stale read-only translation. */
		s->dl.spurious++;
	} else if (is_large(s, level) && s->c.dl.huge == DL_HUGE_SPLIT) {
		if (pt_split(&s->s2, ipa, level, split_cb, s))
			return -1;
		s->dl.splits++;
		charge(s, &s->dl.cyc_faults, s->c.dl.c_split);
		if (!pt_find_leaf(&s->s2, ipa, &level, &pa, &d) || report(s, ipa, 4096) ||
		    physmem_write64(s->mem, pa, dirty_leaf(s, level, d)))
			return -1;
		invalidate_all(s);   /* the block mapping is gone everywhere */
		return 1;
	} else {
		uint64_t sz = UINT64_C(1) << g->shift[level];
		if (report(s, ipa & ~(sz - 1), sz) || physmem_write64(s->mem, pa, dirty_leaf(s, level, d)))
			return -1;
	}
	tlb_inv_va(v->l1i, s->vmid, req->asid, req->va);
	tlb_inv_va(v->l1d, s->vmid, req->asid, req->va);
	tlb_inv_va(v->l2, s->vmid, req->asid, req->va);
	mmu_inv_ipa(v->w, s->vmid, ipa);
	return 1;
}

int dl_note_write(sim *s, uint64_t gpa, unsigned size)
{
	uint64_t last = gpa + size - 1;
	for (uint64_t p = gpa >> 12; p <= last >> 12; p++)
		if (in_range(s, p << 12) && pageset_add(&s->dl.truth, p) < 0)
			return -1;
	return 0;
}

/* ---------------------------------------------------------------- rounds */

static uint64_t scan_cb(void *ctx, uint64_t base, unsigned level, uint64_t pa, uint64_t d)
{
	sim *s = ctx;
	(void)pa;
	s->dl.scanned++;
	if (mmu_desc_dirty(s2g(s), d) && report(s, base, UINT64_C(1) << s2g(s)->shift[level]))
		s->oom = 1;
	return d;
}

int dl_round(sim *s)
{
	if (!s->dl.active)
		return 0;
	/* Harvest. */
	if (s->c.dl.mode == DL_PML || s->c.dl.mode == DL_HDBSS) {
		if (s->c.dl.flush_all)
			for (unsigned i = 0; i < TRACE_MAX_VCPUS; i++)
				if (s->v[i] && drain(s, s->v[i]))
					return -1;
	} else if (s->c.dl.mode == DL_DBM) {
		uint64_t before = s->dl.scanned;
		if (pt_foreach_leaf(&s->s2, s->dl.lo, s->dl.hi, scan_cb, s) < 0 || s->oom)
			return -1;
		charge(s, &s->dl.cyc_harvest, (s->dl.scanned - before) * s->c.dl.c_scan);
	}
	/* Compare with the truth. */
	sim_round r = { .instructions = s->instr_done };
	const pageset *t = &s->dl.truth, *rep = &s->dl.reported;
	for (size_t i = 0; i <= t->mask; i++)
		if (pageset_slot_used(t, i) && !pageset_has(rep, t->slot[i]))
			r.missed_pages++;
	for (size_t i = 0; i <= rep->mask; i++)
		if (pageset_slot_used(rep, i) && !pageset_has(t, rep->slot[i]))
			r.extra_pages++;
	r.true_pages = pageset_count(t);
	r.reported_pages = pageset_count(rep);
	charge(s, &s->dl.cyc_harvest, r.reported_pages * s->c.dl.c_bitmap);
	/* Re-arm and invalidate. */
	uint64_t before = s->dl.rearmed;
	if (pt_foreach_leaf(&s->s2, s->dl.lo, s->dl.hi, arm_cb, s) < 0)
		return -1;
	charge(s, &s->dl.cyc_harvest, (s->dl.rearmed - before) * s->c.dl.c_clear);
	if (s->c.dl.invalidate)
		invalidate_all(s);
	r.cycles = s->dl.cyc_total - s->dl.round_cycles_start;
	s->dl.round_cycles_start = s->dl.cyc_total;
	if (s->dl.nrounds == s->dl.cap) {
		size_t nc = s->dl.cap ? s->dl.cap * 2 : 16;
		sim_round *nr = realloc(s->dl.rounds, nc * sizeof(*nr));
		if (!nr)
			return -1;
		s->dl.rounds = nr;
		s->dl.cap = nc;
	}
	s->dl.rounds[s->dl.nrounds++] = r;
	s->dl.n_rounds++;
	s->dl.true_pages += r.true_pages;
	s->dl.reported_pages += r.reported_pages;
	s->dl.missed_pages += r.missed_pages;
	s->dl.extra_pages += r.extra_pages;
	pageset_clear(&s->dl.truth);
	pageset_clear(&s->dl.reported);
	if (s->c.dl.period)
		while (s->dl.next_round <= s->instr_done)
			s->dl.next_round += s->c.dl.period;
	return 0;
}

const sim_round *sim_rounds(const sim *s, size_t *n)
{
	*n = s->dl.nrounds;
	return s->dl.rounds;
}

void dl_register_stats(sim *s)
{
	stats_reg *st = s->stats;
	dl_state *d = &s->dl;
	stats_add(st, "dirtylog.rounds", &d->n_rounds, "dirty-logging rounds harvested");
	stats_add(st, "dirtylog.true_pages", &d->true_pages,
		  "4 KB pages written in the tracked range, summed over rounds (from the trace)");
	stats_add(st, "dirtylog.reported_pages", &d->reported_pages,
		  "4 KB pages the mechanism reported dirty, summed over rounds");
	stats_add(st, "dirtylog.missed_pages", &d->missed_pages,
		  "written but not reported in the round (unsafe configurations only)");
	stats_add(st, "dirtylog.extra_pages", &d->extra_pages,
		  "reported but not written (guest page tables, rest of a large page)");
	stats_add(st, "pml.logged", &d->pml_logged, "PML entries the hardware wrote");
	stats_add(st, "pml.full_exits", &d->pml_full, "PML log-full VM exits (reason 62)");
	stats_add(st, "pml.drained", &d->pml_drained, "PML entries software read back");
	stats_add(st, "wp.faults", &d->wp_faults, "write-protection faults taken for logging");
	stats_add(st, "dirtylog.splits", &d->splits, "large stage-2 leaves split on a write");
	stats_add(st, "dirtylog.spurious_faults", &d->spurious,
		  "faults on a page already writable (stale read-only translation)");
	stats_add(st, "dirtylog.rearmed_leaves", &d->rearmed, "leaves cleaned or protected at round ends");
	stats_add(st, "dirtylog.scanned_leaves", &d->scanned, "leaves scanned for dirty state (dbm)");
	stats_add(st, "hdbss.logged", &d->hdbss_logged, "HDBSS entries the hardware wrote");
	stats_add(st, "hdbss.full_exits", &d->hdbss_full, "HDBSS-full stage-2 aborts (ISS2.HDBSSF)");
	stats_add(st, "hdbss.drained", &d->hdbss_drained, "HDBSS entries software read back");
	stats_add(st, "cycles.dirtylog", &d->cyc_total, "all dirty-logging cycles");
	stats_add(st, "cycles.dirtylog.exits", &d->cyc_exits, "VM exits and entries for logging");
	stats_add(st, "cycles.dirtylog.faults", &d->cyc_faults, "write-protection fault handling, splits");
	stats_add(st, "cycles.dirtylog.drain", &d->cyc_drain, "reading PML/HDBSS entries");
	stats_add(st, "cycles.dirtylog.harvest", &d->cyc_harvest,
		  "round work: scan, bitmap, re-arm, invalidation");
}
