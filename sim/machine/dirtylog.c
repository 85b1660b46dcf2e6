/*
 * sim/machine/dirtylog.c - the hypervisor's dirty logging (dirtylog.mode).
 *
 * What a hypervisor does to learn which guest pages were written, over the
 * hardware of model/: write-protection (wp), Intel PML over EPT A/D (pml),
 * Arm stage-2 DBM with a page-table scan (dbm) or with the HDBSS buffer
 * (hdbss). Sources: ../shared/ARCH-FACTS.md §2.2-2.3 (KVM and Xen), §3.6-3.7.
 *
 * Model:
 *  - Logging covers the guest-physical range [lo, hi) (dirtylog.range bytes
 *    from dirtylog.range_base above the bottom of guest RAM - Xen's
 *    HVMOP_track_dirty_vram takes a first frame and a count - or from there
 *    to the top) from the first record on. Inside
 *    it every stage-2 leaf is "armed": wp: W = 0; pml: D = 0 (W kept);
 *    dbm/hdbss: DBM = 1 and writable-clean. A large leaf is write-protected
 *    instead unless dirtylog.huge=keep (Xen: a log-dirty superpage is W = 0;
 *    KVM write-protects >= 2 MB SPTEs under PML), and its first write
 *    splits it (split) or reports the whole large page (wp). Outside the
 *    range, leaves are created accessed and dirty (Xen pre-sets A/D), so they
 *    never log. A leaf that holds part of the range (one straddling its
 *    end) is armed whole.
 *  - A page first mapped during logging is mapped armed; with huge=split
 *    only base pages are mapped where a large leaf would hold part of the
 *    range (KVM maps PAGE_SIZE while logging). With dirtylog.first_write=
 *    dirty (KVM) a write's EPT violation maps it armed and then at once
 *    writable and dirty, reported in the same exit; armed (Xen) leaves the
 *    write to take a write-protection fault (wp) or be logged.
 *  - A write-protection fault (stage-2 permission fault on a write, or on a
 *    guest table access when EPT A/D makes it a write) on a leaf that holds
 *    part of the range exits to the hypervisor. With huge=split it splits
 *    the large leaf along the written address's path down to the base page
 *    (1 GB -> 2 MB pieces, the one holding the address -> 4 KB pieces; the
 *    other pieces armed again, or left writable and dirty where they lie
 *    wholly outside the range), one dirtylog.split.cycles a split. It
 *    reports the page written (the whole leaf, clipped to the range, for a
 *    large page it does not split), makes it writable and dirty, and
 *    invalidates what this vCPU cached for it (every vCPU's after a split).
 *  - PML log-full / HDBSS-full: exit, drain this vCPU's buffer into the
 *    report, reset the index (511 / 0), replay the access. pml.drain=kvm also
 *    drains on every other exit the machine models (KVM flushes at the
 *    start of every VM exit): EPT violations / stage-2 translation faults,
 *    its guest OS's table pages' included, and write-protection faults.
 *  - dirtylog.dbm=fault (the KVM HDBSS series): DBM is not set when logging
 *    arms the leaves - they are write-protected - but on the page a
 *    write-protection fault (or a first write) makes writable; re-arming
 *    keeps DBM and cleans the leaf, so from then on its writes are the
 *    hardware's. start: DBM on every leaf of the range at each arming.
 *  - dirtylog.policy (xen|kvm) chooses pml.drain, first_write and dbm
 *    where they say "policy".
 *  - A round ends every dirtylog.period instructions of the domain (trace
 *    order, all its vCPUs) and at the end of the trace: the hypervisor drains every vCPU's
 *    buffer (dirtylog.flush_all_vcpus; Xen's p2m_flush_hardware_cached_dirty,
 *    KVM's kick), or scans the leaves (dbm), compares with the truth, re-arms
 *    every leaf in the range and, with dirtylog.invalidate, invalidates every
 *    vCPU's TLBs, walk caches and nested TLB (INVEPT single-context / TLBI
 *    VMALLS12E1).
 *  - Truth: the 4 KB GPA pages the trace's writes touched in the round,
 *    after translation. reported - truth are extra pages (guest page-table
 *    pages with ept.ad_gpt_write, the rest of a large page); truth - reported
 *    are missed pages, which only an unsafe configuration may have.
 * Costs are charged to the domain as cycles.dirtylog.{exits,faults,drain,
 * harvest} (part of cycles.total); the per-vCPU split is not kept. So are
 * the stage-2 translation faults logging causes (cycles.dirtylog.s2_faults,
 * fault.host.cycles each): with huge=split the hypervisor maps a region
 * that a large leaf would have mapped one base page per fault, and every
 * fault there after the region's first would not have been taken without
 * logging (hyp.h); the first would, and stays in cycles.faults. Write-
 * protection faults, spurious ones included, and splits were logging's
 * already (exits and faults). The
 * hardware's own cost of writing a PML entry (pml.log.cycles, or the RTL's
 * cycles under run --cosim pml --set cosim.cost=rtl) is part of the walk.
 */
#include "dirtylog.h"
#include "bits.h"
#include "pageset.h"
#include "pml.h"
#include "ptbuild.h"
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dirtylog {
	dl_cfg c;
	const mmu_geom *g;          /* stage 2 */
	pt_space *s2;               /* the hypervisor's stage-2 tables */
	vcpu_set *vcpus;            /* the domain's: their units, their invalidations */
	physmem *mem;
	sim_err *err;
	int s2_ad;                  /* hardware manages stage-2 A/D or DBM */
	int active;
	uint64_t lo, hi;            /* tracked guest-physical range */
	uint64_t next_round;        /* domain instruction count that ends the round */
	pageset truth, reported;    /* 4 KB GPA page numbers, this round */
	pageset last;               /* what the last round reported (slatsim migrate sends it) */
	pageset *watch;             /* a driver's: the pages written, until it empties it */
	dl_round *rounds;
	size_t nrounds, cap;
	uint64_t round_cycles_start;
	int scan_failed;
	dl_counters n;
};

/* ---------------------------------------------------------------- config */

int dirtylog_build_cfg(dl_cfg *c, const param_reg *p, int arm, int nested, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->mode = param_enum(p, "dirtylog.mode");
	c->period = (uint64_t)param_int(p, "dirtylog.period");
	c->range = (uint64_t)param_int(p, "dirtylog.range");
	c->range_base = (uint64_t)param_int(p, "dirtylog.range_base");
	if (c->range_base & 4095) {
		snprintf(err, errlen, "dirtylog.range_base=%llu: a multiple of 4 KB (Xen tracks "
			 "whole pages from a first frame: HVMOP_track_dirty_vram's first_pfn)",
			 (unsigned long long)c->range_base);
		return -1;
	}
	c->huge = param_enum(p, "dirtylog.huge");
	/* Finer keys at "policy" (choice 0) follow dirtylog.policy (xen|kvm). */
	int kvm = param_enum(p, "dirtylog.policy") == 1;
	int drain = param_enum(p, "pml.drain"), first = param_enum(p, "dirtylog.first_write");
	int dbm = param_enum(p, "dirtylog.dbm");
	c->drain_kvm = drain ? drain == 2 : kvm;
	c->first_dirty = first ? first == 2 : kvm;
	c->dbm_fault = dbm ? dbm == 2 : kvm;
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
	if (c->period && c->period < DL_MIN_PERIOD) {
		snprintf(err, errlen, "dirtylog.period=%llu: at least %u instructions (or 0): every "
			 "round re-arms each leaf of the range, so rounds this short would make a "
			 "run never finish; hypervisors harvest every few milliseconds, millions of "
			 "instructions", (unsigned long long)c->period, DL_MIN_PERIOD);
		return -1;
	}
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

static int in_range(const dirtylog *dl, uint64_t gpa)
{
	return gpa >= dl->lo && gpa < dl->hi;
}

/* The leaf region [BASE, BASE + BYTES) holds part of the tracked range. */
static int overlaps(const dirtylog *dl, uint64_t base, uint64_t bytes)
{
	return base < dl->hi && base + bytes > dl->lo;
}

static uint64_t leaf_bytes(const dirtylog *dl, unsigned level)
{
	return UINT64_C(1) << dl->g->shift[level];
}

static int is_large(const dirtylog *dl, unsigned level) { return level + 1 < dl->g->levels; }

/* The armed (clean) state of a stage-2 leaf at level index LEVEL. */
static uint64_t arm_leaf(const dirtylog *dl, unsigned level, uint64_t d)
{
	const mmu_geom *g = dl->g;
	if (is_large(dl, level) && dl->c.huge != DL_HUGE_KEEP) {
		d = mmu_desc_set_dbm(g, d, 0);
		return mmu_desc_set_write(g, d, 0);
	}
	switch (dl->c.mode) {
	case DL_WP:
		return mmu_desc_set_write(g, d, 0);
	case DL_PML:
		return mmu_desc_clean(g, d);
	case DL_DBM:
	case DL_HDBSS:
		/* dirtylog.dbm=fault: only a leaf a write fault gave DBM keeps it
		 * (writable-clean); the rest are write-protected, as KVM's
		 * stage2_wp_range clears S2AP[1] and leaves DBM alone. */
		if (dl->c.dbm_fault && !mmu_desc_dbm(g, d))
			return mmu_desc_set_write(g, d, 0);
		return mmu_desc_clean(g, mmu_desc_set_dbm(g, d, 1));
	}
	return d;
}

/* Writable and dirty: what software leaves after it reported the page. */
static uint64_t dirty_leaf(const dirtylog *dl, unsigned level, uint64_t d)
{
	const mmu_geom *g = dl->g;
	d = mmu_desc_set_write(g, d, 1);
	return mmu_desc_hw_update(g, level, d, 1);   /* A/D (EPT) or AF; no-op for wp */
}

static int report(dirtylog *dl, uint64_t base, uint64_t bytes)
{
	uint64_t lo = base < dl->lo ? dl->lo : base;
	uint64_t hi = base + bytes > dl->hi ? dl->hi : base + bytes;
	for (uint64_t a = lo & ~UINT64_C(4095); a < hi; a += 4096)
		if (pageset_add(&dl->reported, a >> 12) < 0)
			return -1;
	return 0;
}

static void charge(dirtylog *dl, uint64_t *cat, uint64_t cyc)
{
	*cat = sat_add64(*cat, cyc);
	dl->n.cyc_total = sat_add64(dl->n.cyc_total, cyc);
}

/* Invalidate what every vCPU of the domain cached (INVEPT single-context /
 * TLBI VMALLS12E1), charged per vCPU. */
static void invalidate_all(dirtylog *dl)
{
	unsigned n = vcpu_set_inv_vm(dl->vcpus);
	charge(dl, &dl->n.cyc_harvest, sat_mul64(n, dl->c.c_inval));
}

/* ---------------------------------------------------------------- buffers */

/* Drain vCPU V's PML or HDBSS buffer into the report; reset its index. */
static int drain(dirtylog *dl, vcpu *v)
{
	pml_unit *pml = v->pml;
	hdbss_unit *hdbss = v->hdbss;
	if (pml) {
		unsigned n = pml_valid_entries(pml);
		unsigned first = PML_ENTRIES - n;   /* valid: first .. 511 */
		for (unsigned k = first; k < PML_ENTRIES; k++)
			if (report(dl, pml_entry(pml, k), 4096))
				return -1;
		pml_set_index(pml, PML_HEAD_INDEX);
		dl->n.pml_drained += n;
		charge(dl, &dl->n.cyc_drain, sat_mul64(n, dl->c.c_drain));
	}
	if (hdbss) {
		uint32_t n = hdbss_index(hdbss);
		const mmu_geom *g = dl->g;
		for (uint32_t k = 0; k < n; k++) {
			uint64_t e = hdbss_entry(hdbss, k);
			if (!(e & HDBSS_ENTRY_VALID))
				continue;   /* KVM's flush skips invalid entries */
			unsigned ttwl = (unsigned)field_get64(HDBSS_ENTRY_TTWL_MASK, e);
			unsigned shift = g->gran_shift;
			for (unsigned i = 0; i < g->levels; i++)
				if ((unsigned)g->arch_level[i] == ttwl)
					shift = g->shift[i];
			uint64_t ipa = e & HDBSS_ENTRY_IPA_MASK & ~((UINT64_C(1) << shift) - 1);
			if (report(dl, ipa, UINT64_C(1) << shift))
				return -1;
		}
		hdbss_set_index(hdbss, 0);
		dl->n.hdbss_drained += n;
		charge(dl, &dl->n.cyc_drain, sat_mul64(n, dl->c.c_drain));
	}
	return 0;
}

/* ---------------------------------------------------------------- lifecycle */

int dirtylog_create(dirtylog **out, const dl_cfg *cfg, const mmu_geom *s2, pt_space *s2t,
		    vcpu_set *vcpus, physmem *mem, sim_err *e)
{
	*out = NULL;
	dirtylog *dl = calloc(1, sizeof(*dl));
	if (!dl || pageset_init(&dl->truth) || pageset_init(&dl->reported) ||
	    pageset_init(&dl->last)) {
		if (dl) {
			pageset_free(&dl->truth);
			pageset_free(&dl->reported);
		}
		free(dl);
		return sim_errf(e, TRACE_ENOMEM, "out of memory (dirty logging)");
	}
	dl->c = *cfg;
	dl->g = s2;
	dl->s2 = s2t;
	dl->vcpus = vcpus;
	dl->mem = mem;
	dl->err = e;
	dl->s2_ad = cfg->mode == DL_PML || cfg->mode == DL_DBM || cfg->mode == DL_HDBSS;
	*out = dl;
	return 0;
}

void dirtylog_destroy(dirtylog *dl)
{
	if (!dl)
		return;
	pageset_free(&dl->truth);
	pageset_free(&dl->reported);
	pageset_free(&dl->last);
	free(dl->rounds);
	free(dl);
}

vcpu_unit_cfg dirtylog_unit(const dl_cfg *cfg)
{
	int kind = cfg->mode == DL_PML ? VCPU_UNIT_PML : cfg->mode == DL_HDBSS ? VCPU_UNIT_HDBSS
									      : VCPU_UNIT_NONE;
	return (vcpu_unit_cfg){ .kind = kind, .pml_log_cycles = cfg->c_log,
				.hdbss_sz = cfg->hdbss_sz };
}

static uint64_t arm_cb(void *ctx, uint64_t base, unsigned level, uint64_t pa, uint64_t d)
{
	dirtylog *dl = ctx;
	(void)base;
	(void)pa;
	uint64_t nd = arm_leaf(dl, level, d);
	if (nd != d)
		dl->n.rearmed++;
	return nd;
}

int dirtylog_start(dirtylog *dl)
{
	if (dl->c.mode == DL_OFF)
		return 0;
	dl->lo = GUEST_RAM_BASE + dl->c.range_base;
	/* A hypervisor tracks whole pages: a range that ends inside a 4 KB page
	 * tracks all of it. */
	dl->hi = dl->c.range ? dl->lo + sim_align_up(dl->c.range, 4096) : UINT64_MAX;
	dl->active = 1;
	dl->next_round = dl->c.period ? dl->c.period : UINT64_MAX;
	uint64_t before = dl->n.rearmed;
	if (pt_foreach_leaf(dl->s2, dl->lo, dl->hi, arm_cb, dl) < 0)
		return -1;
	charge(dl, &dl->n.cyc_harvest, sat_mul64((dl->n.rearmed - before), dl->c.c_clear));
	dl->n.rearmed = before;   /* the initial arming is not a re-arm */
	invalidate_all(dl);
	return 0;
}

int dirtylog_active(const dirtylog *dl) { return dl->active; }
uint64_t dirtylog_next_round(const dirtylog *dl) { return dl->next_round; }

int dirtylog_base_only(const dirtylog *dl, uint64_t base, uint64_t bytes)
{
	return dl->active && dl->c.huge == DL_HUGE_SPLIT && overlaps(dl, base, bytes);
}

/* A stage-2 leaf just mapped at GPA: armed in the range while logging, else
 * pre-set accessed and dirty when hardware manages A/D (Xen, commit
 * 191b3f3344: "to avoid overhead of MMU having to set them later"). */
int dirtylog_new_leaf(dirtylog *dl, uint64_t gpa)
{
	if (!dl->s2_ad && !dl->active)
		return 0;
	unsigned level;
	uint64_t pa, d;
	if (!pt_find_leaf(dl->s2, gpa, &level, &pa, &d))
		return -1;
	uint64_t bytes = leaf_bytes(dl, level);
	uint64_t nd = dl->active && overlaps(dl, gpa & ~(bytes - 1), bytes) ? arm_leaf(dl, level, d)
			: mmu_desc_hw_update(dl->g, level, d, 1);
	return nd == d ? 0 : physmem_write64(dl->mem, pa, nd);
}

/* ---------------------------------------------------------------- exits */

int dirtylog_log_full(dirtylog *dl, vcpu *v)
{
	if (v->pml)
		dl->n.pml_full++;
	else
		dl->n.hdbss_full++;
	charge(dl, &dl->n.cyc_exits, dl->c.c_exit);
	return drain(dl, v);
}

/* A piece of a split block: the block was write-protected only for logging,
 * so each piece gets its write permission back; a piece that holds part of
 * the range is then armed (a large one write-protected again), one wholly
 * outside it is left writable and dirty - untracked, as a leaf mapped
 * outside the range is (Xen's resolve_misconfig splits a superpage that
 * p2m_is_logdirty_range finds partly in the range, giving each piece the
 * type of its own part). */
static uint64_t split_cb(void *ctx, uint64_t base, unsigned level, uint64_t pa, uint64_t d)
{
	dirtylog *dl = ctx;
	(void)pa;
	d = mmu_desc_set_write(dl->g, d, 1);
	return overlaps(dl, base, leaf_bytes(dl, level)) ? arm_leaf(dl, level, d)
							 : dirty_leaf(dl, level, d);
}

/* What the hypervisor does for a write at IPA to a leaf logging armed: with
 * dirtylog.huge=split it splits the large leaf holding IPA, and the piece
 * holding IPA, and so on, while that piece is large and holds part of the
 * range - down to the base page, splitting nothing off IPA's path (KVM maps
 * PAGE_SIZE while a slot is dirty-logged: kvm_mmu_hugepage_adjust returns
 * early on kvm_slot_dirty_track_enabled, and make_spte WARNs on a writable
 * huge SPTE, "Enforced by kvm_mmu_hugepage_adjust"; arm64 user_mem_abort
 * forces PAGE_SHIFT under logging_active); each split costs
 * dirtylog.split.cycles. Then it reports the leaf now holding IPA - one
 * base page, or with huge=wp/keep the whole large leaf - clipped to the
 * range, and makes it writable and dirty. *SPLIT: a block mapping was
 * replaced (every vCPU must forget it). 0 or -1. */
static int make_dirty(dirtylog *dl, uint64_t ipa, int *split)
{
	pt_space *s = dl->s2;
	unsigned level;
	uint64_t pa, d;
	*split = 0;
	if (!pt_find_leaf(s, ipa, &level, &pa, &d))
		return -1;
	while (is_large(dl, level) && dl->c.huge == DL_HUGE_SPLIT &&
	       overlaps(dl, ipa & ~(leaf_bytes(dl, level) - 1), leaf_bytes(dl, level))) {
		if (pt_split(s, ipa, level, split_cb, dl))
			return -1;
		dl->n.splits++;
		charge(dl, &dl->n.cyc_faults, dl->c.c_split);
		*split = 1;
		if (!pt_find_leaf(s, ipa, &level, &pa, &d))
			return -1;
	}
	uint64_t sz = leaf_bytes(dl, level);
	if (report(dl, ipa & ~(sz - 1), sz))
		return -1;
	uint64_t nd = dirty_leaf(dl, level, d);
	/* dirtylog.dbm=fault: the page made writable gets DBM (the KVM HDBSS
	 * series' user_mem_abort: "if (writable && kvm->enable_hdbss &&
	 * logging_active) prot |= KVM_PGTABLE_PROT_DBM"), so from the next round
	 * on the hardware tracks it; not a large leaf logging write-protects. */
	if (dl->c.dbm_fault && (dl->c.mode == DL_DBM || dl->c.mode == DL_HDBSS) &&
	    overlaps(dl, ipa & ~(sz - 1), sz) && !(is_large(dl, level) && dl->c.huge != DL_HUGE_KEEP))
		nd = mmu_desc_hw_update(dl->g, level, mmu_desc_set_dbm(dl->g, nd, 1), 1);
	return nd == d ? 0 : physmem_write64(dl->mem, pa, nd);
}

/* A stage-2 permission fault. Returns 1 if it was logging's (handled), 0 if
 * not, -1 on error. A fault on a leaf that holds part of the range is
 * logging's even where the write itself falls outside the range (a large
 * leaf straddling the range's end is write-protected whole). */
int dirtylog_wp_fault(dirtylog *dl, vcpu *v, const mmu_req *req, const mmu_result *res)
{
	uint64_t ipa = res->fault.ipa;
	if (!dl->active)
		return 0;
	unsigned level;
	uint64_t pa, d;
	if (!pt_find_leaf(dl->s2, ipa, &level, &pa, &d) ||
	    !overlaps(dl, ipa & ~(leaf_bytes(dl, level) - 1), leaf_bytes(dl, level)))
		return 0;
	dl->n.wp_faults++;
	charge(dl, &dl->n.cyc_exits, dl->c.c_exit);
	charge(dl, &dl->n.cyc_faults, dl->c.c_fault);
	if (dl->c.drain_kvm && drain(dl, v))
		return -1;
	const mmu_geom *g = dl->g;
	mmu_desc x = mmu_desc_decode(g, level, d);
	int split = 0;
	if (x.kind == MMU_DESC_LEAF && (x.perm & MMU_P_W) && !mmu_desc_dbm(g, d)) {
		/* Already writable: this vCPU held a stale read-only translation. */
		dl->n.spurious++;
	} else if (make_dirty(dl, ipa, &split)) {
		return -1;
	}
	if (split)
		invalidate_all(dl);   /* the block mapping is gone everywhere */
	else
		vcpu_inv_page(v, req->asid, req->va, ipa);
	return 1;
}

/* pml.drain=kvm: KVM flushes the vCPU's PML buffer at the start of every VM
 * exit (__vmx_handle_exit: "if (enable_pml && !is_guest_mode(vcpu))
 * vmx_flush_pml_buffer(vcpu)"), and the KVM HDBSS series its HDBSS buffer
 * (handle_exit calls kvm_flush_hdbss_buffer first: "Similar to the x86 PML
 * implementation, KVM flushes the buffer on all VM-Exits"). */
int dirtylog_exit(dirtylog *dl, vcpu *v)
{
	return dl->c.drain_kvm ? drain(dl, v) : 0;
}

/* A write's stage-2 access: the data access of a write, or - with EPT A/D
 * and ept.ad_gpt_write - a guest table access (SDM-2016 §28.2.3.2: a write
 * for EPT purposes). */
static int fault_is_write(const dirtylog *dl, const mmu_req *req, const mmu_result *res)
{
	if (res->fault.s1ptw)
		return dl->c.mode == DL_PML && dl->c.gpt_write;
	return req->access == MMU_ACC_W;
}

int dirtylog_s2_fault(dirtylog *dl, vcpu *v, const mmu_req *req, const mmu_result *res,
		      int mapped)
{
	if (dirtylog_exit(dl, v))
		return -1;
	if (!mapped || !dl->active || !dl->c.first_dirty || !fault_is_write(dl, req, res))
		return 0;
	uint64_t ipa = res->fault.ipa;
	unsigned level;
	uint64_t pa, d;
	if (!pt_find_leaf(dl->s2, ipa, &level, &pa, &d) ||
	    !overlaps(dl, ipa & ~(leaf_bytes(dl, level) - 1), leaf_bytes(dl, level)))
		return 0;
	/* dirtylog.first_write=dirty: the leaf just mapped armed is made
	 * writable and dirty and reported in the same exit (KVM: make_spte
	 * sets D with W and calls mark_page_dirty_in_slot; arm64 user_mem_abort
	 * marks a write fault's page dirty) instead of a second exit.
	 * DEVIATION: x86 KVM also maps a read fault writable, dirty and
	 * reported when the host's mapping is writable (make_spte is given
	 * host_writable); the model has no host page tables and maps a read
	 * armed, as arm64 KVM does ("Only actually map the page as writable if
	 * this was a write fault"). */
	int split;
	if (make_dirty(dl, ipa, &split))
		return -1;
	if (split)
		invalidate_all(dl);
	return 0;
}

void dirtylog_caused_faults(dirtylog *dl, uint64_t n, uint64_t cycles)
{
	dl->n.s2_faults += n;
	charge(dl, &dl->n.cyc_s2_faults, cycles);
}

int dirtylog_note_write(dirtylog *dl, uint64_t gpa, unsigned size)
{
	uint64_t last = gpa + size - 1;
	for (uint64_t p = gpa >> 12; p <= last >> 12; p++)
		if ((in_range(dl, p << 12) && pageset_add(&dl->truth, p) < 0) ||
		    (dl->watch && pageset_add(dl->watch, p) < 0))
			return -1;
	return 0;
}

void dirtylog_watch(dirtylog *dl, pageset *w) { dl->watch = w; }
uint64_t dirtylog_cycles(const dirtylog *dl) { return dl->n.cyc_total; }

/* ---------------------------------------------------------------- rounds */

static uint64_t scan_cb(void *ctx, uint64_t base, unsigned level, uint64_t pa, uint64_t d)
{
	dirtylog *dl = ctx;
	(void)pa;
	dl->n.scanned++;
	if (mmu_desc_dirty(dl->g, d) && report(dl, base, UINT64_C(1) << dl->g->shift[level]))
		dl->scan_failed = 1;
	return d;
}

int dirtylog_round(dirtylog *dl, uint64_t instructions)
{
	if (!dl->active)
		return 0;
	/* Harvest. */
	if (dl->c.mode == DL_PML || dl->c.mode == DL_HDBSS) {
		if (dl->c.flush_all)
			for (unsigned i = 0; i < dl->vcpus->n; i++)   /* in increasing id */
				if (drain(dl, dl->vcpus->v[i]))
					return -1;
	} else if (dl->c.mode == DL_DBM) {
		uint64_t before = dl->n.scanned;
		if (pt_foreach_leaf(dl->s2, dl->lo, dl->hi, scan_cb, dl) < 0 ||
		    dl->scan_failed)
			return -1;
		charge(dl, &dl->n.cyc_harvest, sat_mul64((dl->n.scanned - before), dl->c.c_scan));
	}
	/* Compare with the truth. */
	dl_round r = { .instructions = instructions };
	const pageset *t = &dl->truth, *rep = &dl->reported;
	for (size_t i = 0; i <= t->mask; i++)
		if (pageset_slot_used(t, i) && !pageset_has(rep, t->slot[i]))
			r.missed_pages++;
	for (size_t i = 0; i <= rep->mask; i++)
		if (pageset_slot_used(rep, i) && !pageset_has(t, rep->slot[i]))
			r.extra_pages++;
	r.true_pages = pageset_count(t);
	r.reported_pages = pageset_count(rep);
	charge(dl, &dl->n.cyc_harvest, sat_mul64(r.reported_pages, dl->c.c_bitmap));
	/* Re-arm and invalidate. */
	uint64_t before = dl->n.rearmed;
	if (pt_foreach_leaf(dl->s2, dl->lo, dl->hi, arm_cb, dl) < 0)
		return -1;
	charge(dl, &dl->n.cyc_harvest, sat_mul64((dl->n.rearmed - before), dl->c.c_clear));
	if (dl->c.invalidate)
		invalidate_all(dl);
	r.cycles = dl->n.cyc_total - dl->round_cycles_start;
	dl->round_cycles_start = dl->n.cyc_total;
	if (dl->nrounds == dl->cap) {
		size_t nc = dl->cap ? dl->cap * 2 : 16;
		dl_round *nr = realloc(dl->rounds, nc * sizeof(*nr));
		if (!nr)
			return -1;
		dl->rounds = nr;
		dl->cap = nc;
	}
	dl->rounds[dl->nrounds++] = r;
	dl->n.n_rounds++;
	dl->n.true_pages += r.true_pages;
	dl->n.reported_pages += r.reported_pages;
	dl->n.missed_pages += r.missed_pages;
	dl->n.extra_pages += r.extra_pages;
	pageset_clear(&dl->truth);
	pageset tmp = dl->last;     /* keep what was reported; reuse the older set */
	dl->last = dl->reported;
	dl->reported = tmp;
	pageset_clear(&dl->reported);
	if (dl->c.period)
		while (dl->next_round <= instructions)
			dl->next_round += dl->c.period;
	return 0;
}

const pageset *dirtylog_last_reported(const dirtylog *dl) { return &dl->last; }

const dl_round *dirtylog_rounds(const dirtylog *dl, size_t *n)
{
	*n = dl->nrounds;
	return dl->rounds;
}

const dl_counters *dirtylog_counters(dirtylog *dl)
{
	/* Only the domain's vCPUs: machine_access asks twice per access (all
	 * 256 slots made it 5x slower than the access itself). */
	dl->n.pml_logged = dl->n.hdbss_logged = 0;
	for (unsigned i = 0; dl->vcpus && i < dl->vcpus->n; i++) {
		const vcpu *v = dl->vcpus->v[i];
		if (v->pml)
			dl->n.pml_logged += pml_stats(v->pml)->logged;
		if (v->hdbss)
			dl->n.hdbss_logged += hdbss_stats(v->hdbss)->logged;
	}
	return &dl->n;
}
