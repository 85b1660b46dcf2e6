/*
 * sim/machine/vcpu.c - a vCPU and a set of vCPUs (see vcpu.h).
 *
 * Assumptions: every vCPU has the same TLB geometry (tlb.*) and its
 * domain's walker geometry; a logging unit is enabled from the vCPU's
 * creation on, on a buffer placed in host memory then - a PML log of 512
 * 8-byte entries in one 4 KB page (SDM-2016 §24.6.18), an HDBSS buffer of
 * 4 KB << hdbss.size's exponent - so where it lies depends on when the vCPU
 * is created (machine.h: at its first record). Counters are only added
 * here; the statistics they become are named in machine.c.
 */
#include "vcpu.h"
#include "bits.h"
#include "cosim.h"
#include "pml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- lifecycle */

/* The logging unit of vCPU ID, enabled on its buffer, co-simulated by C's
 * cosim; the walker writes its entries. 0, or -1 with the failure in E. */
static int unit_create(vcpu *v, unsigned id, const vcpu_cfg *c, sim_err *e)
{
	uint64_t buf;
	if (c->unit.kind == VCPU_UNIT_PML) {
		pml_unit *p = v->pml = pml_create(c->mem);
		if (!p)
			return sim_errf(e, TRACE_ENOMEM, "out of memory (PML unit of vCPU %u)", id);
		if (hostmem_alloc(c->hm, 4096, &buf))
			return -1;
		pml_enable(p, buf);
		pml_set_log_cycles(p, c->unit.pml_log_cycles);
		char why[512];
		int rc = c->cosim ? cosim_attach(c->cosim, p, id, why, sizeof(why)) : 0;
		if (rc)
			return sim_errf(e, rc, "%s", why);
	} else if (c->unit.kind == VCPU_UNIT_HDBSS) {
		hdbss_unit *u = v->hdbss = hdbss_create(c->mem);
		if (!u)
			return sim_errf(e, TRACE_ENOMEM, "out of memory (HDBSS unit of vCPU %u)", id);
		if (hostmem_alloc(c->hm, UINT64_C(4096) << c->unit.hdbss_sz, &buf))
			return -1;
		hdbss_enable(u, buf, c->unit.hdbss_sz);
	}
	mmu_walker_set_log(v->w, v->pml, v->hdbss);
	return 0;
}

int vcpu_create(vcpu **out, unsigned id, uint16_t vmid, const vcpu_cfg *c, sim_err *e)
{
	*out = NULL;
	vcpu *v = calloc(1, sizeof(*v));
	char why[200];
	/* The geometry was checked at configuration: a failure here is memory
	 * (or the co-simulation's, which unit_create records first). */
	if (!v || tlb_create(&v->l1i, c->l1i, "tlb.l1i", why, sizeof(why)) ||
	    tlb_create(&v->l1d, c->l1d, "tlb.l1d", why, sizeof(why)) ||
	    tlb_create(&v->l2, c->l2, "tlb.l2", why, sizeof(why)) ||
	    mmu_walker_create(&v->w, c->mmu, c->mem, why, sizeof(why)) ||
	    (c->ch && cache_hier_create(&v->ch, c->ch, c->llc, why, sizeof(why))) ||
	    unit_create(v, id, c, e)) {
		vcpu_destroy(v);
		return sim_errf(e, TRACE_ENOMEM, "out of memory (creating vCPU %u)", id);
	}
	if (v->ch)
		mmu_walker_set_cache(v->w, v->ch);
	mmu_walker_set_mem_observer(v->w, c->obs, c->obs_ctx);
	v->id = id;
	v->vmid = vmid;
	*out = v;
	return 0;
}

void vcpu_destroy(vcpu *v)
{
	if (!v)
		return;
	tlb_destroy(v->l1i);
	tlb_destroy(v->l1d);
	tlb_destroy(v->l2);
	mmu_walker_destroy(v->w);
	cache_hier_destroy(v->ch);
	pml_destroy(v->pml);
	hdbss_destroy(v->hdbss);
	free(v);
}

/* ---------------------------------------------------------------- invalidation */

void vcpu_inv_vm(vcpu *v)
{
	tlb_inv_vmid(v->l1i, v->vmid);
	tlb_inv_vmid(v->l1d, v->vmid);
	tlb_inv_vmid(v->l2, v->vmid);
	mmu_inv_all(v->w);
}

void vcpu_inv_guest(vcpu *v, unsigned op, uint16_t asid, uint64_t va)
{
	tlb *t[3] = { v->l1i, v->l1d, v->l2 };
	for (unsigned k = 0; k < 3; k++) {
		if (op == TRACE_INV_ALL)
			tlb_inv_vmid(t[k], v->vmid);
		else if (op == TRACE_INV_ASID)
			tlb_inv_asid(t[k], v->vmid, asid);
		else
			tlb_inv_va(t[k], v->vmid, asid, va);
	}
	if (op == TRACE_INV_ALL)
		mmu_inv_s1_vmid(v->w, v->vmid);
	else if (op == TRACE_INV_ASID)
		mmu_inv_s1_asid(v->w, v->vmid, asid);
	else
		mmu_inv_va(v->w, v->vmid, asid, va);
}

void vcpu_inv_page(vcpu *v, uint16_t asid, uint64_t va, uint64_t ipa)
{
	tlb_inv_va(v->l1i, v->vmid, asid, va);
	tlb_inv_va(v->l1d, v->vmid, asid, va);
	tlb_inv_va(v->l2, v->vmid, asid, va);
	mmu_inv_ipa(v->w, v->vmid, ipa);
}

/* ---------------------------------------------------------------- counters */

/* D += (AFTER - BEFORE), counter by counter (all uint64_t). */
static void add_delta(void *d, const void *after, const void *before, size_t bytes)
{
	uint64_t *x = d;
	const uint64_t *a = after, *b = before;
	for (size_t i = 0; i < bytes / sizeof(uint64_t); i++)
		x[i] += a[i] - b[i];
}

void vcpu_count(const vcpu *v, vcpu_counts *t)
{
	/* The program's: what prefetches did is taken out (prefetch.*). */
	const tlb_counters *c;
	c = tlb_stats(v->l1i);
	t->l1i_h += c->hits - v->pf.l1i.hits;
	t->l1i_m += c->misses - v->pf.l1i.misses;
	c = tlb_stats(v->l1d);
	t->l1d_h += c->hits - v->pf.l1d.hits;
	t->l1d_m += c->misses - v->pf.l1d.misses;
	c = tlb_stats(v->l2);
	t->l2_h += c->hits - v->pf.l2.hits;
	t->l2_m += c->misses - v->pf.l2.misses;
	const mmu_counters *w = mmu_walker_counters(v->w);
	t->walks += w->walks - v->pf.w.walks;
	t->refs += w->refs - v->pf.w.refs;
	t->s1_refs += w->s1_refs - v->pf.w.s1_refs;
	t->s2_refs += w->s2_refs - v->pf.w.s2_refs;
	t->walk_cycles += w->cycles - v->pf.w.cycles;
	t->s2_walks += w->s2_walks - v->pf.w.s2_walks;
	uint64_t *wch[3][2] = { { &t->wc1_h, &t->wc1_m }, { &t->wc2_h, &t->wc2_m },
				{ &t->nt_h, &t->nt_m } };
	for (unsigned k = 0; k < 3; k++) {
		c = mmu_walker_cache_counters(v->w, k);
		*wch[k][0] += c->hits - v->pf.wc[k].hits;
		*wch[k][1] += c->misses - v->pf.wc[k].misses;
	}
	t->reach += tlb_reach_bytes(v->l2);
	t->ad_writes += w->ad_writes;
	t->s1_ad_writes += w->s1_ad_writes;
	t->s1_accessed += w->s1_accessed;
	t->s1_dirtied += w->s1_dirtied;
	t->s1_ad_s2_faults += w->s1_ad_s2_faults;
	t->s1_ad_s2_dirtied += w->s1_ad_s2_dirtied;
	if (v->ch) {
		const cache_hier_counters *hc = cache_hier_stats(v->ch);
		for (unsigned k = 0; k < CACHE_LEVELS; k++) {
			t->served[k] += hc->served[k];
			t->walk_refs[k] += w->refs_served[k];
			t->walk_ad[k] += w->ad_writes_served[k];
		}
		t->back_inv += hc->back_invalidations;
		for (unsigned k = 0; k < 3; k++)
			add_delta(&t->arr[k], cache_hier_array_stats(v->ch, (cache_array)k),
				  &(cache_counters){ 0 }, sizeof(cache_counters));
		t->cyc_memory = sat_add64(t->cyc_memory, v->cyc_memory);
	}
	t->pf_misses += v->pf.l1i.misses + v->pf.l1d.misses;
	t->pf_walks += v->pf.w.walks;
	t->pf_cycles += v->pf.cycles;
	t->pf_dropped += v->pf.dropped;
	t->cyc_trans = sat_add64(t->cyc_trans, v->cyc_translation);
	t->cyc_faults = sat_add64(t->cyc_faults, v->cyc_faults);
	t->accesses += v->accesses;
	t->instructions += v->instructions;
	t->fault_guest += v->faults_guest;
	t->fault_host += v->faults_host;
	t->dirty_walks += v->dirty_walks;
	for (unsigned k = 0; k < 64; k++)
		t->fills[k] += v->fills[k];
}

void vcpu_prefetch_begin(const vcpu *v, int instr, vcpu_snap *s)
{
	s->l1 = *tlb_stats(instr ? v->l1i : v->l1d);
	s->l2 = *tlb_stats(v->l2);
	for (unsigned k = 0; k < 3; k++)
		s->wc[k] = *mmu_walker_cache_counters(v->w, k);
	s->w = *mmu_walker_counters(v->w);
}

void vcpu_prefetch_end(vcpu *v, int instr, const vcpu_snap *s, uint64_t cycles)
{
	add_delta(instr ? &v->pf.l1i : &v->pf.l1d, tlb_stats(instr ? v->l1i : v->l1d), &s->l1,
		  sizeof(s->l1));
	add_delta(&v->pf.l2, tlb_stats(v->l2), &s->l2, sizeof(s->l2));
	for (unsigned k = 0; k < 3; k++)
		add_delta(&v->pf.wc[k], mmu_walker_cache_counters(v->w, k), &s->wc[k],
			  sizeof(s->wc[k]));
	add_delta(&v->pf.w, mmu_walker_counters(v->w), &s->w, sizeof(s->w));
	v->pf.cycles += cycles;
}

/* ---------------------------------------------------------------- sets */

void vcpu_set_add(vcpu_set *s, vcpu *v)
{
	unsigned i = s->n;
	for (; i > 0 && s->v[i - 1]->id > v->id; i--)
		s->v[i] = s->v[i - 1];
	s->v[i] = v;
	s->n++;
}

unsigned vcpu_set_inv_vm(vcpu_set *s)
{
	if (!s)
		return 0;
	for (unsigned i = 0; i < s->n; i++)
		vcpu_inv_vm(s->v[i]);
	return s->n;
}

void vcpu_table_add(vcpu_table *t, vcpu *v)
{
	t->by_id[v->id] = v;
	t->mask[v->id >> 6] |= UINT64_C(1) << (v->id & 63);
}
