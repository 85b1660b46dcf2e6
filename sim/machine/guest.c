/*
 * sim/machine/guest.c - the guest-OS model (see guest.h).
 *
 * Stage-1 A/D: the entries it creates leave to the hardware what the
 * hardware manages (guest.hw_accessed, guest.hw_dirty: mmu_config.s1_hw):
 * x86 entries are written with A = 0 and leaves with D = 0, Arm leaves with
 * AF = 0 and writable ones writable-clean (DBM = 1, AP[2] = 1), and the
 * walker sets them (model/mmu/walk.c). A flag the hardware is not to manage
 * is preset: A = 1 and D = 1 in a writable leaf (x86; Linux's x86
 * protection_map entries carry _PAGE_ACCESSED, and mm/memory.c
 * do_anonymous_page maps a writable anonymous page pte_mkdirty), AF = 1 and
 * no DBM (Arm, as before FEAT_HAFDBS).
 * DEVIATION: the guest never clears A/D again (no page ageing or writeback
 * is modelled), so each flag is set at most once per entry.
 */
#include "guest.h"
#include "policy.h"
#include "ptbuild.h"
#include "v2p.h"

#include <stdlib.h>

#define ASIDS 65536

struct guest {
	guest_cfg c;
	physmem *mem;
	hyp *h;                    /* NULL: not virtualized */
	hostmem *hm;
	sim_err *err;
	uint64_t *root;            /* per ASID; 0 = not yet created */
	uint64_t kroot;            /* the kernel half's root; 0 = not yet created */
	uint64_t gpa_next, gpa_limit;
	const v2p *v2p;            /* run --v2p: where user pages live, or NULL */
	int v2p_level;             /* the stage-1 level of its page size */
	uint64_t *tables;          /* 4 KB frames holding its tables, allocation order */
	size_t ntables, cap_tables;
	guest_counters n;
};

/* ---------------------------------------------------------------- memory */

static int gpa_alloc(guest *g, uint64_t bytes, uint64_t *gpa)
{
	uint64_t a = sim_align_up(g->gpa_next, bytes);
	if (a + bytes > g->gpa_limit || a + bytes < a)
		return sim_errf(g->err, TRACE_EFORMAT, "guest-physical space exhausted at 0x%llx: "
				"raise host.ipa_bits or guest.va_bits", (unsigned long long)a);
	g->gpa_next = a + bytes;
	*gpa = a;
	return 0;
}

/* A frame of the guest's memory: guest-physical when virtualized, else
 * host-physical. */
static int frame_alloc(guest *g, uint64_t bytes, uint64_t *addr)
{
	return g->h ? gpa_alloc(g, bytes, addr) : hostmem_alloc(g->hm, bytes, addr);
}

/* Stage-1 table pages: guest-physical memory the hypervisor must back. */
static int table_alloc(void *ctx, uint64_t bytes, uint64_t *gpa)
{
	guest *g = ctx;
	if (frame_alloc(g, bytes, gpa))
		return -1;
	g->n.table_bytes += bytes;
	for (uint64_t off = 0; off < bytes; off += 4096) {
		if (g->ntables == g->cap_tables) {
			size_t nc = g->cap_tables ? g->cap_tables * 2 : 64;
			uint64_t *nt = realloc(g->tables, nc * sizeof(*nt));
			if (!nt)
				return sim_errf(g->err, TRACE_ENOMEM, "out of memory (guest table list)");
			g->tables = nt;
			g->cap_tables = nc;
		}
		g->tables[g->ntables++] = *gpa + off;
	}
	if (g->h)
		for (uint64_t off = 0; off < bytes; off += 4096) {
			int r = hyp_ensure(g->h, *gpa + off);
			if (r < 0)
				return -1;
			g->n.backing_faults += r > 0;
			g->n.backing_logging += r == HYP_LOGGING_FAULT;
		}
	return 0;
}

static int table_to_pa(void *ctx, uint64_t gpa, uint64_t *pa)
{
	guest *g = ctx;
	if (!g->h) {
		*pa = gpa;
		return 0;
	}
	return hyp_lookup(g->h, gpa, pa);
}

/* A new stage-1 entry's A/D flags (the top of this file). */
static uint64_t new_entry(void *ctx, unsigned level, uint64_t d)
{
	const guest *g = ctx;
	return mmu_desc_s1_initial(&g->c.mmu->s1, level, d, g->c.mmu->s1_hw);
}

static pt_space space_at(guest *g, uint64_t root)
{
	pt_space sp = { .g = &g->c.mmu->s1, .mem = g->mem, .root = root, .to_pa = table_to_pa,
			.alloc_table = table_alloc, .ctx = g, .new_entry = new_entry };
	return sp;
}

/* ---------------------------------------------------------------- roots */

/* x86: the kernel half of every address space is the same tables (Linux's
 * pgd_alloc copies init_mm's kernel entries into each new PGD). Copy the
 * kernel root's upper-half entries into ROOT: all of them, or only index
 * ONLY (>= 0). Returns 0 or -1. */
static int kernel_sync(guest *g, uint64_t root, int only)
{
	const mmu_geom *geo = &g->c.mmu->s1;
	uint64_t kpa, pa;
	unsigned n = 1u << geo->bits[0];
	if (table_to_pa(g, g->kroot, &kpa) || table_to_pa(g, root, &pa))
		return sim_errf(g->err, TRACE_EINTERNAL, "internal: a guest root table is not "
				"backed");
	unsigned lo = only >= 0 ? (unsigned)only : n / 2, hi = only >= 0 ? lo + 1 : n;
	for (unsigned i = lo; i < hi; i++) {
		uint64_t d = physmem_read64(g->mem, kpa + 8 * i);
		if (d && physmem_read64(g->mem, pa + 8 * i) != d &&
		    physmem_write64(g->mem, pa + 8 * i, d))
			return sim_errf(g->err, TRACE_ENOMEM, "out of memory (guest kernel tables)");
	}
	return 0;
}

static int kernel_root(guest *g, uint64_t *root)
{
	if (!g->kroot && table_alloc(g, g->c.mmu->s1.root_bytes, &g->kroot))
		return -1;
	*root = g->kroot;
	return 0;
}

int guest_root(guest *g, uint16_t asid, uint64_t *root)
{
	if (!g->root[asid]) {
		uint64_t r;
		if (table_alloc(g, g->c.mmu->s1.root_bytes, &r))
			return -1;
		g->root[asid] = r;
		if (!g->c.arm && g->kroot && kernel_sync(g, r, -1))
			return -1;
	}
	*root = g->root[asid];
	return 0;
}

/* A new top-level kernel entry (x86): into every process's root. */
static int kernel_publish(guest *g, uint64_t va)
{
	int idx = (int)mmu_geom_index(&g->c.mmu->s1, 0, va);
	for (unsigned a = 0; a < ASIDS; a++)
		if (g->root[a] && kernel_sync(g, g->root[a], idx))
			return -1;
	return 0;
}

/* ---------------------------------------------------------------- faults */

/* guest.cont: map the contiguous run of 2^shift pages around VA at level
 * LVL if all of it is free. Returns 1 if it mapped, 0 if the run is not free
 * (the caller maps one page), -1 on error. */
static int map_run(guest *g, pt_space *sp, uint64_t va, unsigned shift, unsigned lvl,
		   unsigned perm, uint64_t *ipa_out)
{
	unsigned run = shift + g->c.mmu->s1.cont_bits[lvl];
	uint64_t base = va & ~((UINT64_C(1) << run) - 1);
	for (uint64_t k = 0; k < (UINT64_C(1) << (run - shift)); k++)
		if (!pt_slot_empty(sp, base + (k << shift), lvl))
			return 0;
	uint64_t gpa = 0;
	if (frame_alloc(g, UINT64_C(1) << run, &gpa))
		return -1;
	if (pt_map_cont(sp, va, gpa, shift, perm))
		return sim_errf(g->err, TRACE_EINTERNAL, "internal: cannot map the contiguous run "
				"at VA 0x%llx", (unsigned long long)va);
	g->n.pages += UINT64_C(1) << (run - shift);
	if (ipa_out)
		*ipa_out = gpa | (va & ((UINT64_C(1) << run) - 1));
	return 1;
}

/* Map the page around VA in SP under the page-size policy (guest.page,
 * guest.cont). Returns 1, or -1 on error. */
static int map_page(guest *g, pt_space *sp, uint64_t va, unsigned perm, uint64_t *ipa_out)
{
	const mmu_geom *geo = &g->c.mmu->s1;
	unsigned cand[4];
	unsigned n = policy_shifts(geo, g->c.page, cand);
	for (unsigned k = 0; k < n; k++) {
		unsigned shift = cand[k];
		int lvl = mmu_geom_level_for_shift(geo, shift);
		if (k + 1 < n && !pt_slot_empty(sp, va, (unsigned)lvl))
			continue;
		uint64_t gpa = 0;
		if (g->c.cont && geo->cont_bits[lvl]) {
			int r = map_run(g, sp, va, shift, (unsigned)lvl, perm, ipa_out);
			if (r != 0)
				return r;
		}
		if (frame_alloc(g, UINT64_C(1) << shift, &gpa))
			return -1;
		uint64_t base = va & ~((UINT64_C(1) << shift) - 1);
		if (pt_map(sp, base, gpa, shift, perm) == 0) {
			g->n.pages++;
			if (ipa_out)
				*ipa_out = gpa | (va & ((UINT64_C(1) << shift) - 1));
			return 1;
		}
		if (g->err->code)
			return -1;
	}
	return sim_errf(g->err, TRACE_EINTERNAL, "internal: cannot map VA 0x%llx at stage 1",
			(unsigned long long)va);
}

/* run --v2p: map VA's page where the map says. 1, or -1. */
static int map_v2p(guest *g, pt_space *sp, uint64_t va, unsigned perm, uint64_t *ipa_out)
{
	uint64_t pa;
	unsigned shift = v2p_page_shift(g->v2p);
	if (v2p_lookup(g->v2p, va, &pa))
		return sim_errf(g->err, TRACE_EFORMAT, "VA 0x%llx is not in the v2p map %s (its "
				"page 0x%llx has no physical_address)", (unsigned long long)va,
				v2p_path(g->v2p),
				(unsigned long long)(va & ~((UINT64_C(1) << shift) - 1)));
	uint64_t base = va & ~((UINT64_C(1) << shift) - 1);
	if (pt_map(sp, base, pa, shift, perm))
		return sim_errf(g->err, TRACE_EINTERNAL, "internal: cannot map VA 0x%llx from the "
				"v2p map", (unsigned long long)va);
	g->n.pages++;
	if (ipa_out)
		*ipa_out = pa | (va & ((UINT64_C(1) << shift) - 1));
	return 1;
}

int guest_set_v2p(guest *g, const v2p *map)
{
	unsigned shift = v2p_page_shift(map);
	int lvl = mmu_geom_level_for_shift(&g->c.mmu->s1, shift);
	if (lvl < 0)
		return sim_errf(g->err, TRACE_EFORMAT, "%s: page_size %llu is not a page or block "
				"size of the guest's stage 1 (guest.granule)", v2p_path(map),
				(unsigned long long)1 << shift);
	if (v2p_max_pa(map) > g->gpa_limit)
		return sim_errf(g->err, TRACE_EFORMAT, "%s: physical addresses up to 0x%llx lie "
				"beyond the guest-physical space (host.ipa_bits)", v2p_path(map),
				(unsigned long long)v2p_max_pa(map));
	g->v2p = map;
	g->v2p_level = lvl;
	uint64_t above = sim_align_up(v2p_max_pa(map), UINT64_C(1) << 30);
	if (above > g->gpa_next)
		g->gpa_next = above;   /* the guest's tables, and the kernel half's pages */
	return 0;
}

int guest_va_half(const guest *g, uint64_t va)
{
	return mmu_geom_va_half(&g->c.mmu->s1, va);
}

int guest_noncanonical(guest *g, uint64_t va)
{
	unsigned bits = g->c.mmu->s1.in_bits;
	return sim_errf(g->err, TRACE_EFORMAT, "VA 0x%llx is not canonical for the guest's %u-bit "
			"address space (bits 63:%u must be all 0 or all 1%s; guest.va_bits / "
			"guest.levels)", (unsigned long long)va, bits, bits - (g->c.arm ? 0 : 1),
			g->c.arm ? ": TTBR0 or TTBR1" : "");
}

/* The tables VA of ASID is in (the kernel's for the upper half): *SP, and
 * the half in *HALF. 0, or what the callers return for the error: -1, or
 * guest_noncanonical's code. */
static int space_for(guest *g, uint16_t asid, uint64_t va, pt_space *sp, int *half)
{
	uint64_t root;
	*half = guest_va_half(g, va);
	if (*half < 0)
		return guest_noncanonical(g, va);
	if (guest_root(g, asid, &root) || (*half && kernel_root(g, &root)))
		return -1;
	*sp = space_at(g, root);
	return 0;
}

int guest_ensure(guest *g, uint16_t asid, uint64_t va, uint64_t *ipa_out)
{
	uint64_t out;
	unsigned sh, depth;
	int half, rc;
	pt_space sp;
	if ((rc = space_for(g, asid, va, &sp, &half)) != 0)
		return rc;
	if (pt_lookup(&sp, va, &out, &sh, &depth)) {
		if (ipa_out)
			*ipa_out = out | (va & ((UINT64_C(1) << sh) - 1));
		return 0;
	}
	unsigned perm = MMU_P_R | MMU_P_W | MMU_P_X | (half ? MMU_P_G : 0);
	if (g->v2p && !half)
		return map_v2p(g, &sp, va, perm, ipa_out);
	int r = map_page(g, &sp, va, perm, ipa_out);
	/* x86: a new top-level kernel entry goes into every process's root. */
	if (r > 0 && half && !g->c.arm && depth == 0 && kernel_publish(g, va))
		return -1;
	return r;
}

int guest_map_block_at(guest *g, uint16_t asid, uint64_t va, uint64_t gpa, unsigned shift,
		       unsigned perm)
{
	uint64_t out;
	unsigned sh, depth;
	int half, rc;
	pt_space sp;
	if ((rc = space_for(g, asid, va, &sp, &half)) != 0)
		return rc;
	uint64_t mask = (UINT64_C(1) << shift) - 1;
	if (pt_lookup(&sp, va, &out, &sh, &depth)) {
		if (sh == shift && out == (gpa & ~mask))
			return 0;
		if (sh < shift || out + (va & ((UINT64_C(1) << sh) - 1) & ~mask) != (gpa & ~mask))
			return sim_errf(g->err, TRACE_EINTERNAL, "internal: VA 0x%llx is mapped "
					"elsewhere", (unsigned long long)va);
		return 0;
	}
	if (pt_map(&sp, va & ~mask, gpa & ~mask, shift, perm | (half ? MMU_P_G : 0)))
		return g->err->code ? -1 : sim_errf(g->err, TRACE_EINTERNAL, "internal: cannot map "
						    "VA 0x%llx at stage 1", (unsigned long long)va);
	g->n.pages++;
	/* x86: a new top-level kernel entry goes into every process's root. */
	if (half && !g->c.arm && depth == 0 && kernel_publish(g, va))
		return -1;
	return 1;
}

int guest_map_at(guest *g, uint16_t asid, uint64_t va, uint64_t gpa, unsigned perm)
{
	return guest_map_block_at(g, asid, va, gpa, g->c.mmu->s1.gran_shift, perm);
}

const uint64_t *guest_table_frames(const guest *g, size_t *n)
{
	*n = g->ntables;
	return g->tables;
}

/* ---------------------------------------------------------------- lifecycle */

int guest_create(guest **out, const guest_cfg *cfg, physmem *mem, hyp *h, hostmem *hm,
		 sim_err *e)
{
	*out = NULL;
	guest *g = calloc(1, sizeof(*g));
	if (!g || !(g->root = calloc(ASIDS, sizeof(uint64_t)))) {
		free(g);
		return sim_errf(e, TRACE_ENOMEM, "out of memory (creating a guest OS)");
	}
	g->c = *cfg;
	g->mem = mem;
	g->h = h;
	g->hm = hm;
	g->err = e;
	g->gpa_next = GUEST_RAM_BASE;
	g->gpa_limit = UINT64_C(1) << (h ? cfg->mmu->s2.in_bits : 52);
	*out = g;
	return 0;
}

void guest_destroy(guest *g)
{
	if (!g)
		return;
	free(g->root);
	free(g->tables);
	free(g);
}

uint64_t guest_kernel_root(const guest *g) { return g->kroot; }
const guest_counters *guest_counters_of(const guest *g) { return &g->n; }
const mmu_geom *guest_s1(const guest *g) { return &g->c.mmu->s1; }
