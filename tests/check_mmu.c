/*
 * tests/check_mmu.c - descriptor formats, geometry (VTCR_EL2 rules), and the
 * walker's reference counts on tables built bit by bit here.
 */
#include "check_util.h"
#include "check_geom.h"
#include "mmu.h"
#include "vmsa_hw.h"
#include "x86_hw.h"


START_TEST(geom_arm_stage1_levels_per_granule)
{
	/* ARCH-FACTS 3.1: 4K 39->3, 48->4; 16K 47->3, 48->4; 64K 42->2, 48->3 */
	struct { unsigned gran, va, levels, root_bits; } c[] = {
		{ 12, 39, 3, 9 }, { 12, 48, 4, 9 }, { 14, 47, 3, 11 }, { 14, 48, 4, 1 },
		{ 16, 42, 2, 13 }, { 16, 48, 3, 6 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		mmu_geom g = geom(MMU_FMT_ARM_S1, c[i].gran, c[i].va);
		ck_assert_uint_eq(g.levels, c[i].levels);
		ck_assert_uint_eq(g.bits[0], c[i].root_bits);
	}
}
END_TEST

START_TEST(geom_arm_stage2_concatenation_and_vtcr)
{
	/* ARCH-FACTS 3.4 worked examples. */
	struct { unsigned gran, ipa, start, tables, sl0, tg0; } c[] = {
		{ 12, 40, 1, 2, 1, VTCR_TG0_4K },    /* KVM/Xen: two concatenated L1 tables */
		{ 12, 42, 1, 8, 1, VTCR_TG0_4K },    /* Xen root_order 3 */
		{ 12, 44, 0, 1, 2, VTCR_TG0_4K },    /* L0 with 32 entries, Xen sl0 2 */
		{ 14, 40, 2, 16, 1, VTCR_TG0_16K },
		{ 16, 46, 2, 16, 1, VTCR_TG0_64K },
		{ 16, 48, 1, 1, 2, VTCR_TG0_64K },   /* 64 entries, 3 levels */
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		mmu_geom g = geom(MMU_FMT_ARM_S2, c[i].gran, c[i].ipa);
		ck_assert_int_eq(g.arch_level[0], (int)c[i].start);
		ck_assert_uint_eq(g.root_tables, c[i].tables);
		ck_assert_uint_eq(g.vtcr_sl0, c[i].sl0);
		ck_assert_uint_eq(g.vtcr_tg0, c[i].tg0);
		ck_assert_uint_eq(g.vtcr_t0sz, 64 - c[i].ipa);
		ck_assert_uint_eq(g.root_bytes, (uint64_t)c[i].tables << c[i].gran);
	}
	/* TG0 is not in size order */
	ck_assert_uint_eq(VTCR_TG0_64K, 1);
	ck_assert_uint_eq(VTCR_TG0_16K, 2);
}
END_TEST

START_TEST(geom_refuses_what_the_architecture_cannot_encode)
{
	mmu_geom g;
	char err[256];
	ck_assert_int_eq(mmu_geom_init(&g, MMU_FMT_EPT, 12, 40, err, sizeof(err)), -1);
	ck_assert_int_eq(mmu_geom_init(&g, MMU_FMT_X86, 16, 48, err, sizeof(err)), -1);
	ck_assert_int_eq(mmu_geom_init(&g, MMU_FMT_ARM_S2, 12, 52, err, sizeof(err)), -1);
	ck_assert_int_eq(mmu_geom_init(&g, MMU_FMT_ARM_S1, 12, 24, err, sizeof(err)), -1);
}
END_TEST

START_TEST(desc_encode_decode_round_trip_every_format_and_leaf_level)
{
	struct { mmu_fmt f; unsigned gran, bits; } c[] = {
		{ MMU_FMT_ARM_S1, 12, 48 }, { MMU_FMT_ARM_S1, 14, 48 }, { MMU_FMT_ARM_S1, 16, 48 },
		{ MMU_FMT_ARM_S2, 12, 40 }, { MMU_FMT_ARM_S2, 14, 40 }, { MMU_FMT_ARM_S2, 16, 48 },
		{ MMU_FMT_X86, 12, 48 }, { MMU_FMT_X86, 12, 57 }, { MMU_FMT_EPT, 12, 48 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		mmu_geom g = geom(c[i].f, c[i].gran, c[i].bits);
		for (unsigned l = 0; l < g.levels; l++) {
			uint64_t addr = UINT64_C(0x0000123440000000) & ((UINT64_C(1) << 47) - 1);
			if (l < g.levels - 1) {
				mmu_desc t = mmu_desc_decode(&g, l, mmu_desc_table(&g, addr));
				ck_assert_int_eq(t.kind, MMU_DESC_TABLE);
				ck_assert_uint_eq(t.addr, addr);
			}
			if (!(g.leaf_ok & (1u << l)))
				continue;
			uint64_t out = addr & ~((UINT64_C(1) << g.shift[l]) - 1);
			for (unsigned perm = 1; perm <= 7; perm++) {
				if ((c[i].f == MMU_FMT_ARM_S1 || c[i].f == MMU_FMT_X86) && !(perm & MMU_P_R))
					continue;   /* stage 1 cannot express no-read */
				if (c[i].f == MMU_FMT_EPT && (perm & MMU_P_W) && !(perm & MMU_P_R))
					continue;   /* write-only EPT is a misconfiguration */
				mmu_desc x = mmu_desc_decode(&g, l, mmu_desc_leaf(&g, l, out, perm));
				ck_assert_int_eq(x.kind, MMU_DESC_LEAF);
				ck_assert_uint_eq(x.addr, out);
				ck_assert_uint_eq(x.perm, perm);
			}
		}
	}
}
END_TEST

START_TEST(desc_reserved_encodings)
{
	mmu_geom ept = geom(MMU_FMT_EPT, 12, 48), x86 = geom(MMU_FMT_X86, 12, 48);
	mmu_geom s1 = geom(MMU_FMT_ARM_S1, 12, 48), s2 = geom(MMU_FMT_ARM_S2, 12, 48);
	/* EPT: W without R; bit 7 in a PML4E; reserved memory type 2 */
	ck_assert_int_eq(mmu_desc_decode(&ept, 3, EPT_W | 0x1000).kind, MMU_DESC_MISCONFIG);
	ck_assert_int_eq(mmu_desc_decode(&ept, 0, EPT_R | EPT_LEAF).kind, MMU_DESC_MISCONFIG);
	ck_assert_int_eq(mmu_desc_decode(&ept, 3, EPT_R | field_prep64(EPT_MT_MASK, 2)).kind,
			 MMU_DESC_MISCONFIG);
	ck_assert_int_eq(mmu_desc_decode(&ept, 3, 0).kind, MMU_DESC_INVALID);
	ck_assert_int_eq(mmu_desc_decode(&ept, 3, EPT_X).kind, MMU_DESC_LEAF);   /* execute-only */
	/* x86: PS in a PML4E */
	ck_assert_int_eq(mmu_desc_decode(&x86, 0, X86_PTE_P | X86_PTE_PS).kind, MMU_DESC_MISCONFIG);
	/* Arm: block encoding (type 01) at L3 is invalid; L0 block with 4K is invalid */
	ck_assert_int_eq(mmu_desc_decode(&s1, 3, VMSA_DESC_TYPE_BLOCK | VMSA_S1_AF).kind,
			 MMU_DESC_INVALID);
	ck_assert_int_eq(mmu_desc_decode(&s1, 0, VMSA_DESC_TYPE_BLOCK | VMSA_S1_AF).kind,
			 MMU_DESC_INVALID);
	/* AF = 0: access flag fault */
	ck_assert_int_eq(mmu_desc_decode(&s2, 3, VMSA_DESC_TYPE_TABLE | VMSA_S2_AP_R).kind,
			 MMU_DESC_NOACCESS);
	/* DBM polarity lives at the same bit in both stages, AP differ */
	ck_assert_uint_eq(VMSA_S1_AP_RDONLY, VMSA_S2_AP_W);
}
END_TEST

/* Build a chain of tables by hand (no sim/): one page at VA, for a given
 * stage geometry; returns the root. Table pages are placed at BASE + k*64K. */
static uint64_t build(physmem *m, const mmu_geom *g, uint64_t va, uint64_t out, uint64_t base,
		      uint64_t (*xlate)(uint64_t))
{
	uint64_t root = base, table = root;
	for (unsigned l = 0; l + 1 < g->levels; l++) {
		uint64_t next = base + (l + 1) * 0x10000 * 16;
		physmem_write64(m, xlate(table + mmu_geom_index(g, l, va) * 8),
				mmu_desc_table(g, next));
		table = next;
	}
	physmem_write64(m, xlate(table + mmu_geom_index(g, g->levels - 1, va) * 8),
			mmu_desc_leaf(g, g->levels - 1, out, MMU_P_R | MMU_P_W | MMU_P_X));
	return root;
}

static uint64_t ident(uint64_t a) { return a; }

/* Stage 2 for the test: IPA x maps to HPA x + S2_OFF, built for every IPA the
 * stage-1 tables and the final page use. */
#define S2_OFF UINT64_C(0x1000000000)
static uint64_t via_s2(uint64_t ipa) { return ipa + S2_OFF; }

/* Nested tables for one page at VA: stage 1 by build() at IPA 0x40000000
 * mapping to data IPA 0x7000000, and stage 2 mapping every IPA the walk
 * touches to itself + S2_OFF. Returns the stage-1 root (IPA); *s2_root. */
#define DATA_IPA UINT64_C(0x7000000)
static uint64_t build_nested(physmem *m, const mmu_config *c, uint64_t va, uint64_t *s2_root_out)
{
	uint64_t s1_base = 0x40000000, data_ipa = DATA_IPA;
	uint64_t s1_root = build(m, &c->s1, va, data_ipa, s1_base, via_s2);
	/* stage 2: map every 4K/granule piece the walk touches, identity + offset */
	uint64_t s2_root = 0x200000000;
	uint64_t need[MMU_MAX_LEVELS + 1];
	unsigned nneed = 0;
	for (unsigned l = 0; l < c->s1.levels; l++)   /* the entry each level reads */
		need[nneed++] = s1_base + l * 0x10000 * 16 + mmu_geom_index(&c->s1, l, va) * 8;
	need[nneed++] = data_ipa;
	uint64_t next_table = s2_root + 0x1000000;
	for (unsigned k = 0; k < nneed; k++) {
		uint64_t table = s2_root;
		for (unsigned l = 0; l + 1 < c->s2.levels; l++) {
			uint64_t pa = table + mmu_geom_index(&c->s2, l, need[k]) * 8;
			mmu_desc x = mmu_desc_decode(&c->s2, l, physmem_read64(m, pa));
			if (x.kind == MMU_DESC_TABLE) {
				table = x.addr;
				continue;
			}
			physmem_write64(m, pa, mmu_desc_table(&c->s2, next_table));
			table = next_table;
			next_table += UINT64_C(1) << 20;
		}
		unsigned last = c->s2.levels - 1;
		uint64_t g = need[k] & ~((UINT64_C(1) << c->s2.shift[last]) - 1);
		physmem_write64(m, table + mmu_geom_index(&c->s2, last, g) * 8,
				mmu_desc_leaf(&c->s2, last, g + S2_OFF, MMU_P_R | MMU_P_W | MMU_P_X));
	}
	*s2_root_out = s2_root;
	return s1_root;
}

static void check_refs(mmu_fmt f1, unsigned gran1, unsigned va_bits, mmu_fmt f2,
		       unsigned gran2, unsigned ipa_bits, unsigned want)
{
	mmu_config c = { .nested = 1, .pte_latency = 10 };
	c.s1 = geom(f1, gran1, va_bits);
	c.s2 = geom(f2, gran2, ipa_bits);
	physmem *m = physmem_create();
	uint64_t va = UINT64_C(0x12345000) & ~((UINT64_C(1) << gran1) - 1);
	uint64_t s2_root, data_ipa = DATA_IPA;
	uint64_t s1_root = build_nested(m, &c, va, &s2_root);
	mmu_walker *w;
	char err[256];
	ck_assert_int_eq(mmu_walker_create(&w, &c, m, err, sizeof(err)), 0);
	mmu_req req = { .va = va + 0x10, .s1_root = s1_root, .s2_root = s2_root, .vmid = 1 };
	mmu_result res;
	mmu_translate(w, &req, &res);
	ck_assert_msg(res.fault.kind == MMU_FAULT_NONE, "fault kind %d stage %u level %u",
		      res.fault.kind, res.fault.stage, res.fault.level);
	ck_assert_uint_eq(res.refs, want);
	unsigned n = c.s1.levels, mm = c.s2.levels;
	ck_assert_uint_eq(res.s1_refs, n);
	ck_assert_uint_eq(res.s2_refs, (n + 1) * mm);
	ck_assert_uint_eq(res.pa, data_ipa + S2_OFF + 0x10);
	ck_assert_uint_eq(res.cycles, (uint64_t)want * 10);
	for (int l = 0; l < CACHE_LEVELS; l++)   /* no hierarchy: nothing by level */
		ck_assert_uint_eq(mmu_walker_counters(w)->refs_served[l], 0);
	mmu_walker_destroy(w);
	physmem_destroy(m);
}

/* What an observer of the walker's memory heard. */
typedef struct heard {
	unsigned n, reads, writes, logs, s1, s2;
	uint64_t latency;
	const physmem *m;
} heard;

static void hear(void *ctx, const mmu_mem_op *op)
{
	heard *h = ctx;
	h->n++;
	h->latency += op->latency;
	ck_assert_uint_eq(op->size, 8);
	ck_assert_int_eq(op->is_write, op->kind != MMU_MEM_DESC_READ);
	if (op->kind == MMU_MEM_DESC_READ) {
		h->reads++;
		ck_assert_uint_eq(op->value, physmem_read64(h->m, op->pa));
	}
	h->writes += op->kind == MMU_MEM_DESC_WRITE;
	h->logs += op->kind == MMU_MEM_LOG_WRITE;
	h->s1 += op->stage == 1;
	h->s2 += op->stage == 2;
}

/* The observer hears every descriptor read of a 2-D walk, each with the
 * bits in memory and the latency charged (the walk's cycles are their sum
 * when every cache is absent); unset, it hears nothing more. */
START_TEST(walk_observer_hears_every_reference_and_its_latency)
{
	mmu_config c = { .nested = 1, .pte_latency = 10 };
	c.s1 = geom(MMU_FMT_X86, 12, 48);
	c.s2 = geom(MMU_FMT_EPT, 12, 48);
	physmem *m = physmem_create();
	uint64_t va = UINT64_C(0x12345000), s2_root;
	uint64_t s1_root = build_nested(m, &c, va, &s2_root);
	mmu_walker *w;
	char err[256];
	ck_assert_int_eq(mmu_walker_create(&w, &c, m, err, sizeof(err)), 0);
	heard h = { .m = m };
	mmu_walker_set_mem_observer(w, hear, &h);
	mmu_req req = { .va = va, .s1_root = s1_root, .s2_root = s2_root, .vmid = 1 };
	mmu_result res;
	mmu_translate(w, &req, &res);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
	ck_assert_uint_eq(h.n, 24);
	ck_assert_uint_eq(h.reads, 24);
	ck_assert_uint_eq(h.s1, 4);
	ck_assert_uint_eq(h.s2, 20);
	ck_assert_uint_eq(h.latency, res.cycles);
	ck_assert_uint_eq(h.latency, 240);
	mmu_walker_set_mem_observer(w, NULL, NULL);
	mmu_inv_all(w);
	mmu_translate(w, &req, &res);
	ck_assert_uint_eq(res.refs, 24);
	ck_assert_uint_eq(h.n, 24);
	mmu_walker_destroy(w);
	physmem_destroy(m);
}
END_TEST

START_TEST(walk_refs_are_nm_plus_n_plus_m)
{
	check_refs(MMU_FMT_X86, 12, 48, MMU_FMT_EPT, 12, 48, 24);
	check_refs(MMU_FMT_X86, 12, 57, MMU_FMT_EPT, 12, 57, 35);
	check_refs(MMU_FMT_ARM_S1, 16, 48, MMU_FMT_ARM_S2, 16, 48, 15);
	check_refs(MMU_FMT_ARM_S1, 16, 48, MMU_FMT_ARM_S2, 12, 48, 19);
	check_refs(MMU_FMT_ARM_S1, 16, 42, MMU_FMT_ARM_S2, 16, 42, 8);
	check_refs(MMU_FMT_ARM_S1, 12, 48, MMU_FMT_ARM_S2, 12, 40, 19);
}
END_TEST

/* A second walk of the same page reuses the nested TLB and the walk caches;
 * an IPA invalidation removes only stage-2 state (ARCH-FACTS §6 item 8: it
 * does not touch combined entries, which live in the TLBs, not here). */
START_TEST(walk_caches_hit_and_ipa_invalidation_drops_stage2_state)
{
	mmu_config c = { .nested = 1, .pte_latency = 10 };
	c.s1 = geom(MMU_FMT_X86, 12, 48);
	c.s2 = geom(MMU_FMT_EPT, 12, 48);
	c.wc_s1 = (tlb_config){ .entries = 16, .ways = 4, .latency = 1 };
	c.wc_s2 = (tlb_config){ .entries = 16, .ways = 4, .latency = 1 };
	c.ntlb = (tlb_config){ .entries = 16, .ways = 4, .latency = 1 };
	physmem *m = physmem_create();
	uint64_t va = 0x12345000, data_ipa = 0x7000000, s1_base = 0x40000000;
	uint64_t s1_root = build(m, &c.s1, va, data_ipa, s1_base, via_s2);
	/* stage 2: one 1 GB EPT leaf per GB touched (identity + S2_OFF) */
	uint64_t s2_root = 0x200000000, l3 = 0x200100000;
	physmem_write64(m, s2_root, mmu_desc_table(&c.s2, l3));
	for (uint64_t gb = 0; gb < 2; gb++)
		physmem_write64(m, l3 + gb * 8, mmu_desc_leaf(&c.s2, 1, (gb << 30) + S2_OFF,
							      MMU_P_R | MMU_P_W | MMU_P_X));
	mmu_walker *w;
	char err[256];
	ck_assert_int_eq(mmu_walker_create(&w, &c, m, err, sizeof(err)), 0);
	mmu_req req = { .va = va, .s1_root = s1_root, .s2_root = s2_root, .vmid = 1 };
	mmu_result res;
	mmu_translate(w, &req, &res);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
	/* cold: 4 guest reads; stage 2 walks of 2 refs (1 GB leaves) for the
	 * two GBs touched, nested-TLB hits after that */
	unsigned cold = res.refs;
	ck_assert_uint_eq(res.s1_refs, 4);
	ck_assert_uint_eq(res.shift, 12);
	ck_assert_uint_eq(res.s2_shift, 30);
	mmu_translate(w, &req, &res);
	ck_assert_uint_eq(res.refs, 1);   /* walk cache to the PT, nested TLB for the rest */
	ck_assert_uint_eq(res.s1_refs, 1);
	mmu_inv_ipa(w, 1, data_ipa);
	mmu_translate(w, &req, &res);
	ck_assert_uint_eq(res.s2_refs, 2);   /* the data GB: its whole stage-2 walk again */
	ck_assert_uint_lt(res.refs, cold);
	mmu_inv_all(w);
	mmu_translate(w, &req, &res);
	ck_assert_uint_eq(res.refs, cold);
	mmu_walker_destroy(w);
	physmem_destroy(m);
}
END_TEST

/* walk.fixed is charged once a walk and walk.s2_fixed once a stage-2 walk
 * (a nested-TLB miss that walks the host table): a cold 4x4 walk with no
 * caches makes 5 of them (4 guest table pages and the final IPA); with the
 * nested TLB warm none; after an IPA invalidation of the data page one (the
 * nested TLB fully associative: the five pages would share a set of 4). */
START_TEST(walk_fixed_costs_per_walk_and_per_host_walk)
{
	for (int cached = 0; cached < 2; cached++) {
		mmu_config c = { .nested = 1, .pte_latency = 10, .walk_fixed = 7,
				 .s2_walk_fixed = 100 };
		c.s1 = geom(MMU_FMT_X86, 12, 48);
		c.s2 = geom(MMU_FMT_EPT, 12, 48);
		if (cached)
			c.ntlb = (tlb_config){ .entries = 8, .ways = 8, .latency = 1 };
		physmem *m = physmem_create();
		uint64_t va = UINT64_C(0x12345000), s2_root;
		uint64_t s1_root = build_nested(m, &c, va, &s2_root);
		mmu_walker *w;
		char err[256];
		ck_assert_int_eq(mmu_walker_create(&w, &c, m, err, sizeof(err)), 0);
		mmu_req req = { .va = va, .s1_root = s1_root, .s2_root = s2_root, .vmid = 1 };
		mmu_result res;
		mmu_translate(w, &req, &res);
		ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
		ck_assert_uint_eq(res.refs, 24);
		ck_assert_uint_eq(res.s2_walks, 5);
		ck_assert_uint_eq(res.cycles, 24 * 10 + 7 + 5 * 100);
		mmu_translate(w, &req, &res);
		if (cached) {   /* 4 guest reads; 5 nested-TLB hits at 1 cycle */
			ck_assert_uint_eq(res.s2_walks, 0);
			ck_assert_uint_eq(res.cycles, 4 * 10 + 5 * 1 + 7);
			mmu_inv_ipa(w, 1, DATA_IPA);
			mmu_translate(w, &req, &res);
			ck_assert_uint_eq(res.s2_walks, 1);
			ck_assert_uint_eq(res.cycles, 8 * 10 + 4 * 1 + 7 + 100);
			ck_assert_uint_eq(mmu_walker_counters(w)->s2_walks, 6);
		} else {
			ck_assert_uint_eq(res.s2_walks, 5);
			ck_assert_uint_eq(mmu_walker_counters(w)->s2_walks, 10);
		}
		ck_assert_uint_eq(mmu_walker_counters(w)->walks, 2 + cached);
		mmu_walker_destroy(w);
		physmem_destroy(m);
	}
	/* native: one walk, no stage 2 */
	mmu_config c = { .nested = 0, .pte_latency = 10, .walk_fixed = 7, .s2_walk_fixed = 100 };
	c.s1 = geom(MMU_FMT_X86, 12, 48);
	physmem *m = physmem_create();
	uint64_t va = UINT64_C(0x12345000);
	uint64_t root = build(m, &c.s1, va, DATA_IPA, 0x40000000, ident);
	mmu_walker *w;
	char err[256];
	ck_assert_int_eq(mmu_walker_create(&w, &c, m, err, sizeof(err)), 0);
	mmu_req req = { .va = va, .s1_root = root };
	mmu_result res;
	mmu_translate(w, &req, &res);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
	ck_assert_uint_eq(res.s2_walks, 0);
	ck_assert_uint_eq(res.cycles, 4 * 10 + 7);
	mmu_walker_destroy(w);
	physmem_destroy(m);
}
END_TEST

START_TEST(walk_native_is_one_dimensional)
{
	mmu_config c = { .nested = 0, .pte_latency = 1 };
	c.s1 = geom(MMU_FMT_X86, 12, 48);
	physmem *m = physmem_create();
	uint64_t root = build(m, &c.s1, 0x5000, 0x9000, 0x100000, ident);
	mmu_walker *w;
	char err[256];
	ck_assert_int_eq(mmu_walker_create(&w, &c, m, err, sizeof(err)), 0);
	mmu_req req = { .va = 0x5123, .s1_root = root };
	mmu_result res;
	mmu_translate(w, &req, &res);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
	ck_assert_uint_eq(res.refs, 4);
	ck_assert_uint_eq(res.pa, 0x9123);
	/* an unmapped VA faults at stage 1 with the level where it stopped */
	req.va = 0x7fff00000000;
	mmu_translate(w, &req, &res);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_TRANSLATION);
	ck_assert_uint_eq(res.fault.stage, 1);
	ck_assert_uint_eq(res.fault.level, 0);
	mmu_walker_destroy(w);
	physmem_destroy(m);
}
END_TEST

/* The contiguous hint (ARCH-FACTS §3.2): run lengths per granule and level
 * as Linux's ARM64_CONT_PTE_SHIFT / ARM64_CONT_PMD_SHIFT; a leaf with the
 * hint translates as one entry over the whole aligned run, from the run's
 * base; the same leaf without it covers its own page only. */
START_TEST(walk_contiguous_hint_widens_to_the_run)
{
	mmu_geom g4 = geom(MMU_FMT_ARM_S1, 12, 48), g16 = geom(MMU_FMT_ARM_S1, 14, 48),
		 g64 = geom(MMU_FMT_ARM_S1, 16, 48), x = geom(MMU_FMT_X86, 12, 48);
	ck_assert_uint_eq(g4.cont_bits[3], 4);     /* 16 x 4 KB */
	ck_assert_uint_eq(g4.cont_bits[2], 4);     /* 16 x 2 MB */
	ck_assert_uint_eq(g4.cont_bits[1], 0);     /* level 1: [M], none */
	ck_assert_uint_eq(g16.cont_bits[g16.levels - 1], 7);   /* 128 x 16 KB */
	ck_assert_uint_eq(g64.cont_bits[g64.levels - 1], 5);   /* 32 x 64 KB */
	ck_assert_uint_eq(mmu_desc_set_cont(&x, 3, 0x1003), 0x1003);   /* x86: none */

	mmu_config c = { .nested = 0, .pte_latency = 1 };
	c.s1 = g4;
	physmem *m = physmem_create();
	/* 16 PTEs for VA 0x40000000.. (a 64 KB-aligned run) to PA 0x900000.. */
	uint64_t va0 = 0x40000000, pa0 = 0x900000;
	uint64_t root = build(m, &c.s1, va0, pa0, 0x100000, ident);
	uint64_t pt = 0x100000 + 3 * 0x10000 * 16;   /* build()'s level-3 table */
	for (unsigned k = 0; k < 16; k++)
		physmem_write64(m, pt + (mmu_geom_index(&c.s1, 3, va0) + k) * 8,
				mmu_desc_set_cont(&c.s1, 3, mmu_desc_leaf(&c.s1, 3, pa0 + k * 4096,
									   MMU_P_R | MMU_P_W)));
	ck_assert(physmem_read64(m, pt + mmu_geom_index(&c.s1, 3, va0) * 8) & VMSA_S1_CONT);
	mmu_walker *w;
	char err[256];
	ck_assert_int_eq(mmu_walker_create(&w, &c, m, err, sizeof(err)), 0);
	mmu_req req = { .va = va0 + 5 * 4096 + 0x123, .s1_root = root };
	mmu_result res;
	mmu_translate(w, &req, &res);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
	ck_assert_uint_eq(res.shift, 16);
	ck_assert_uint_eq(res.pa, pa0 + 5 * 4096 + 0x123);
	/* entry 5 without the hint: its own 4 KB page */
	physmem_write64(m, pt + (mmu_geom_index(&c.s1, 3, va0) + 5) * 8,
			mmu_desc_leaf(&c.s1, 3, pa0 + 5 * 4096, MMU_P_R | MMU_P_W));
	mmu_translate(w, &req, &res);
	ck_assert_uint_eq(res.shift, 12);
	ck_assert_uint_eq(res.pa, pa0 + 5 * 4096 + 0x123);
	mmu_walker_destroy(w);
	physmem_destroy(m);
}
END_TEST

/* With a data-cache hierarchy attached (mmu_walker_set_cache), every
 * descriptor read starts at L1D and costs the load-to-use latency of the
 * level that served it, not mem.pte_latency; the walker counts reads by that
 * level and 'explain' steps say which it was. Native x86 4-level walk, four
 * descriptor lines; L1D 1 set x 4 ways (4 cycles), L2 1 x 8 (14), LLC 1 x 16
 * (50, a victim cache of L2), memory 200. Data accesses the test makes
 * through the same hierarchy push the tables down level by level. */
START_TEST(walk_through_caches_charges_the_serving_levels_latency)
{
	mmu_config c = { .nested = 0, .pte_latency = 1000 };
	c.s1 = geom(MMU_FMT_X86, 12, 48);
	physmem *m = physmem_create();
	uint64_t root = build(m, &c.s1, 0x5000, 0x9000, 0x100000, ident);
	cache_config lc = { .sets = 1, .ways = 16, .line = 64, .latency = 50 };
	cache_hier_config hc = {
		.l1d = { .sets = 1, .ways = 4, .line = 64, .latency = 4 },
		.l2 = { .sets = 1, .ways = 8, .line = 64, .latency = 14 },
		.mem_latency = 200,
	};
	cache *llc;
	cache_hier *h;
	mmu_walker *w;
	char err[256];
	ck_assert_int_eq(cache_create(&llc, &lc, "cache.llc", err, sizeof(err)), 0);
	ck_assert_int_eq(cache_hier_create(&h, &hc, llc, err, sizeof(err)), 0);
	ck_assert_int_eq(mmu_walker_create(&w, &c, m, err, sizeof(err)), 0);
	mmu_walker_set_cache(w, h);
	mmu_step steps[8];
	mmu_req req = { .va = 0x5123, .s1_root = root, .steps = steps, .max_steps = 8 };
	mmu_result res;
	struct { int data_lines; cache_level level; unsigned each; } walk[] = {
		{ 0, CACHE_MEM, 200 },   /* cold */
		{ 0, CACHE_L1, 4 },      /* again: all four lines in L1D */
		{ 4, CACHE_L2, 14 },     /* 4 data lines evicted them from L1D only */
		{ 8, CACHE_LLC, 50 },    /* 8 more pushed them out of L2 into the LLC */
		{ 0, CACHE_L1, 4 },      /* the LLC hits moved them back up */
	};
	uint64_t data = 0x40000000, want[CACHE_LEVELS] = { 0 };
	for (size_t k = 0; k < sizeof(walk) / sizeof(walk[0]); k++) {
		for (int d = 0; d < walk[k].data_lines; d++, data += 64)
			cache_access(h, data, 0, 0);
		mmu_translate(w, &req, &res);
		ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
		ck_assert_uint_eq(res.pa, 0x9123);
		ck_assert_uint_eq(res.refs, 4);
		ck_assert_msg(res.cycles == 4 * walk[k].each, "walk %zu: %llu cycles, want 4 x %u",
			      k, (unsigned long long)res.cycles, walk[k].each);
		for (unsigned i = 0; i < res.nsteps; i++)
			ck_assert_int_eq(steps[i].served, (int)walk[k].level);
		want[walk[k].level] += 4;
	}
	for (int l = 0; l < CACHE_LEVELS; l++)
		ck_assert_uint_eq(mmu_walker_counters(w)->refs_served[l], want[l]);
	/* detached: mem.pte_latency again, nothing counted by level */
	mmu_walker_set_cache(w, NULL);
	mmu_translate(w, &req, &res);
	ck_assert_uint_eq(res.cycles, 4000);
	ck_assert_int_eq(steps[0].served, -1);
	ck_assert_uint_eq(mmu_walker_counters(w)->refs_served[CACHE_L1], want[CACHE_L1]);
	mmu_walker_destroy(w);
	cache_hier_destroy(h);
	cache_destroy(llc);
	physmem_destroy(m);
}
END_TEST

/* A 2-D walk with EPT A/D: the 24 reads and every A/D write go through the
 * hierarchy; a write follows the read of the same entry, so it hits L1D.
 * The cycles are the sum of the serving levels' latencies, nothing else. */
START_TEST(walk_through_caches_sends_ad_writes_too)
{
	mmu_config c = { .nested = 1, .pte_latency = 1000, .s2_ad = 1 };
	c.s1 = geom(MMU_FMT_X86, 12, 48);
	c.s2 = geom(MMU_FMT_EPT, 12, 48);
	physmem *m = physmem_create();
	uint64_t s2_root, s1_root = build_nested(m, &c, 0x12345000, &s2_root);
	static const unsigned lat[CACHE_LEVELS] = { 4, 14, 50, 200 };
	cache_hier_config hc = {
		.l1d = { .sets = 64, .ways = 8, .line = 64, .latency = lat[CACHE_L1] },
		.l2 = { .sets = 1024, .ways = 16, .line = 64, .latency = lat[CACHE_L2] },
		.mem_latency = lat[CACHE_MEM],
	};
	cache_hier *h;
	mmu_walker *w;
	char err[256];
	ck_assert_int_eq(cache_hier_create(&h, &hc, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(mmu_walker_create(&w, &c, m, err, sizeof(err)), 0);
	mmu_walker_set_cache(w, h);
	mmu_req req = { .va = 0x12345010, .s1_root = s1_root, .s2_root = s2_root, .vmid = 1 };
	mmu_result res;
	mmu_translate(w, &req, &res);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
	ck_assert_uint_eq(res.refs, 24);
	ck_assert_uint_gt(res.ad_writes, 0);
	const mmu_counters *k = mmu_walker_counters(w);
	ck_assert_uint_eq(k->ad_writes_served[CACHE_L1], res.ad_writes);
	uint64_t reads = 0, cycles = 0;
	for (int l = 0; l < CACHE_LEVELS; l++) {
		reads += k->refs_served[l];
		cycles += (k->refs_served[l] + k->ad_writes_served[l]) * lat[l];
	}
	ck_assert_uint_eq(reads, 24);
	ck_assert_uint_gt(k->refs_served[CACHE_MEM], 0);
	ck_assert_uint_eq(res.cycles, cycles);
	mmu_walker_destroy(w);
	cache_hier_destroy(h);
	physmem_destroy(m);
}
END_TEST

/* ---------------------------------------------------------------- stage-1 A/D */

/* What the guest writes for a new entry and what the walker makes of it,
 * bit by bit (SDM Vol. 3A §4.8; Arm ARM D8.5.1.2, D8.5.2.1). */
START_TEST(desc_s1_initial_and_update_per_format)
{
	const unsigned ad = MMU_S1_HW_ACCESS | MMU_S1_HW_DIRTY;
	mmu_geom x = geom(MMU_FMT_X86, 12, 48), a = geom(MMU_FMT_ARM_S1, 12, 48);
	uint64_t t = mmu_desc_table(&x, 0x5000), l = mmu_desc_leaf(&x, 3, 0x9000, MMU_P_R | MMU_P_W);
	uint64_t ro = mmu_desc_leaf(&x, 3, 0x9000, MMU_P_R);
	/* x86, hardware A/D: created clear (the encoders' A = D = 0) */
	ck_assert_uint_eq(mmu_desc_s1_initial(&x, 0, t, ad), t);
	ck_assert_uint_eq(mmu_desc_s1_initial(&x, 3, l, ad), l);
	ck_assert_uint_eq(l & (X86_PTE_A | X86_PTE_D), 0);
	/* x86, none: A preset everywhere, D in a writable leaf only */
	ck_assert_uint_eq(mmu_desc_s1_initial(&x, 0, t, 0), t | X86_PTE_A);
	ck_assert_uint_eq(mmu_desc_s1_initial(&x, 3, l, 0), l | X86_PTE_A | X86_PTE_D);
	ck_assert_uint_eq(mmu_desc_s1_initial(&x, 3, ro, 0), ro | X86_PTE_A);
	/* x86 D by hardware, A preset */
	ck_assert_uint_eq(mmu_desc_s1_initial(&x, 3, l, MMU_S1_HW_DIRTY), l | X86_PTE_A);
	unsigned ch;
	ck_assert_uint_eq(mmu_desc_s1_update(&x, MMU_DESC_TABLE, t, 1, ad, &ch), t | X86_PTE_A);
	ck_assert_uint_eq(ch, MMU_S1_HW_ACCESS);   /* no D in a table entry */
	ck_assert_uint_eq(mmu_desc_s1_update(&x, MMU_DESC_LEAF, l, 1, ad, &ch),
			  l | X86_PTE_A | X86_PTE_D);
	ck_assert_uint_eq(ch, MMU_S1_HW_ACCESS | MMU_S1_HW_DIRTY);
	ck_assert_uint_eq(mmu_desc_s1_update(&x, MMU_DESC_LEAF, l, 0, ad, &ch), l | X86_PTE_A);
	ck_assert_uint_eq(mmu_desc_s1_update(&x, MMU_DESC_LEAF, l, 1, MMU_S1_HW_ACCESS, &ch),
			  l | X86_PTE_A);
	ck_assert_uint_eq(mmu_desc_s1_update(&x, MMU_DESC_LEAF, l | X86_PTE_A | X86_PTE_D, 1, ad,
					     &ch), l | X86_PTE_A | X86_PTE_D);
	ck_assert_uint_eq(ch, 0);
	/* Arm: a writable leaf is created AF = 0 and writable-clean (DBM = 1,
	 * AP[2] = 1); a read sets AF; a write also clears AP[2]. */
	uint64_t al = mmu_desc_leaf(&a, 3, 0x9000, MMU_P_R | MMU_P_W);
	uint64_t c = mmu_desc_s1_initial(&a, 3, al, ad);
	ck_assert_uint_eq(c, (al & ~VMSA_S1_AF) | VMSA_S1_DBM | VMSA_S1_AP_RDONLY);
	ck_assert_int_eq(mmu_desc_decode(&a, 3, c).kind, MMU_DESC_NOACCESS);
	ck_assert_uint_eq(mmu_desc_s1_update(&a, MMU_DESC_NOACCESS, c, 0, ad, &ch), c | VMSA_S1_AF);
	ck_assert_uint_eq(ch, MMU_S1_HW_ACCESS);
	uint64_t dirty = mmu_desc_s1_update(&a, MMU_DESC_NOACCESS, c, 1, ad, &ch);
	ck_assert_uint_eq(dirty, (c | VMSA_S1_AF) & ~VMSA_S1_AP_RDONLY);
	ck_assert_uint_eq(ch, MMU_S1_HW_ACCESS | MMU_S1_HW_DIRTY);
	ck_assert_int_eq(mmu_desc_dirty(&a, dirty), 1);
	/* HA only: AF = 0, no DBM; none: as the encoder made it (AF = 1) */
	ck_assert_uint_eq(mmu_desc_s1_initial(&a, 3, al, MMU_S1_HW_ACCESS), al & ~VMSA_S1_AF);
	ck_assert_uint_eq(mmu_desc_s1_initial(&a, 3, al, 0), al);
	/* Arm table descriptors have no AF (FEAT_HAFT not modelled) */
	uint64_t at = mmu_desc_table(&a, 0x5000);
	ck_assert_uint_eq(mmu_desc_s1_initial(&a, 0, at, ad), at);
	ck_assert_uint_eq(mmu_desc_s1_update(&a, MMU_DESC_TABLE, at, 1, ad, &ch), at);
	/* A read-only Arm leaf gets no DBM */
	uint64_t aro = mmu_desc_leaf(&a, 3, 0x9000, MMU_P_R);
	ck_assert_uint_eq(mmu_desc_s1_initial(&a, 3, aro, ad), aro & ~VMSA_S1_AF);
}
END_TEST

/* x86 native, caches off, 10 cycles a reference: the first read walk reads
 * 4 entries and writes A into each (4 + 4 = 80 cycles) and leaves the
 * translation clean; a second read writes nothing (40); a write sets D in
 * the PTE (1 write, 50) and is dirty; a write to a read-only page faults
 * and writes nothing in its PTE (its 3 upper entries are already set). */
START_TEST(walk_x86_stage1_ad_set_once_by_the_walker)
{
	mmu_config c = { .nested = 0, .pte_latency = 10,
			 .s1_hw = MMU_S1_HW_ACCESS | MMU_S1_HW_DIRTY };
	c.s1 = geom(MMU_FMT_X86, 12, 48);
	physmem *m = physmem_create();
	uint64_t va = 0x12345000, root = build(m, &c.s1, va, 0x9000, 0x100000, ident);
	/* a read-only page next to it, in the same PT */
	uint64_t pt = 0x100000 + 3 * 0x10000 * 16, ro_va = va + 0x1000;
	physmem_write64(m, pt + mmu_geom_index(&c.s1, 3, ro_va) * 8,
			mmu_desc_leaf(&c.s1, 3, 0xa000, MMU_P_R));
	mmu_walker *w;
	char err[256];
	ck_assert_int_eq(mmu_walker_create(&w, &c, m, err, sizeof(err)), 0);
	mmu_req req = { .va = va, .s1_root = root, .access = MMU_ACC_R };
	mmu_result res;
	mmu_translate(w, &req, &res);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
	ck_assert_uint_eq(res.refs, 4);
	ck_assert_uint_eq(res.ad_writes, 4);
	ck_assert_uint_eq(res.s1_ad_writes, 4);
	ck_assert_uint_eq(res.cycles, 80);
	ck_assert_int_eq(res.dirty, 0);
	uint64_t pte_pa = pt + mmu_geom_index(&c.s1, 3, va) * 8, table = root;
	for (unsigned l = 0; l < 3; l++) {   /* every entry used has A, tables no D */
		uint64_t d = physmem_read64(m, table + mmu_geom_index(&c.s1, l, va) * 8);
		ck_assert_uint_eq(d & (X86_PTE_A | X86_PTE_D), X86_PTE_A);
		table = d & X86_PTE_ADDR_MASK;
	}
	ck_assert_uint_eq(physmem_read64(m, pte_pa) & (X86_PTE_A | X86_PTE_D), X86_PTE_A);
	mmu_translate(w, &req, &res);
	ck_assert_uint_eq(res.ad_writes, 0);
	ck_assert_uint_eq(res.cycles, 40);
	req.access = MMU_ACC_W;
	mmu_translate(w, &req, &res);
	ck_assert_uint_eq(res.ad_writes, 1);
	ck_assert_uint_eq(res.cycles, 50);
	ck_assert_int_eq(res.dirty, 1);
	ck_assert_uint_eq(physmem_read64(m, pte_pa) & (X86_PTE_A | X86_PTE_D), X86_PTE_A | X86_PTE_D);
	req.va = ro_va;
	mmu_translate(w, &req, &res);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_PERMISSION);
	ck_assert_uint_eq(res.fault.stage, 1);
	ck_assert_uint_eq(res.ad_writes, 0);
	ck_assert_uint_eq(physmem_read64(m, pt + mmu_geom_index(&c.s1, 3, ro_va) * 8) &
			  (X86_PTE_A | X86_PTE_D), 0);
	const mmu_counters *k = mmu_walker_counters(w);
	ck_assert_uint_eq(k->s1_ad_writes, 5);
	ck_assert_uint_eq(k->s1_accessed, 4);
	ck_assert_uint_eq(k->s1_dirtied, 1);
	mmu_walker_destroy(w);
	physmem_destroy(m);
}
END_TEST

/* Nested, caches off, stage 2 without A/D: the stage-2 leaf of the guest's
 * PT page is read-only (a hypervisor's write-protection). The PML4E, PDPTE
 * and PDE get A (their pages are writable); the PTE's A is a write to the
 * PT page: its entry's IPA is translated again as a write, which faults at
 * stage 2 on a stage-1 table access, and the PTE is not written. 4 levels x
 * (4 EPT + 1) reads + 4 for the second translation = 24 references. Once
 * the page is writable the walk writes the PTE. */
START_TEST(walk_stage1_ad_write_faults_on_a_write_protected_table_page)
{
	mmu_config c = { .nested = 1, .pte_latency = 1,
			 .s1_hw = MMU_S1_HW_ACCESS | MMU_S1_HW_DIRTY };
	c.s1 = geom(MMU_FMT_X86, 12, 48);
	c.s2 = geom(MMU_FMT_EPT, 12, 48);
	physmem *m = physmem_create();
	uint64_t va = 0x12345000, s2_root, s1_root = build_nested(m, &c, va, &s2_root);
	uint64_t pt_ipa = 0x40000000 + 3 * 0x10000 * 16;   /* build(): the level-3 table */
	uint64_t pte_ipa = pt_ipa + mmu_geom_index(&c.s1, 3, va) * 8;
	uint64_t table = s2_root, leaf_pa = 0;
	for (unsigned l = 0; l < 4; l++) {
		leaf_pa = table + mmu_geom_index(&c.s2, l, pt_ipa) * 8;
		table = physmem_read64(m, leaf_pa) & EPT_ADDR_MASK;
	}
	uint64_t leaf = physmem_read64(m, leaf_pa);
	physmem_write64(m, leaf_pa, mmu_desc_set_write(&c.s2, leaf, 0));
	mmu_walker *w;
	char err[256];
	ck_assert_int_eq(mmu_walker_create(&w, &c, m, err, sizeof(err)), 0);
	mmu_req req = { .va = va, .s1_root = s1_root, .s2_root = s2_root, .vmid = 1 };
	mmu_result res;
	mmu_translate(w, &req, &res);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_PERMISSION);
	ck_assert_uint_eq(res.fault.stage, 2);
	ck_assert_int_eq(res.fault.s1ptw, 1);
	ck_assert_uint_eq(res.fault.ipa, pte_ipa);
	ck_assert_uint_eq(res.refs, 24);
	ck_assert_uint_eq(res.ad_writes, 3);
	ck_assert_uint_eq(physmem_read64(m, pte_ipa + S2_OFF) & X86_PTE_A, 0);
	ck_assert_uint_eq(mmu_walker_counters(w)->s1_ad_s2_faults, 1);
	physmem_write64(m, leaf_pa, leaf);   /* the hypervisor made it writable */
	mmu_translate(w, &req, &res);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
	ck_assert_uint_eq(res.refs, 24);     /* n*m + n + m: no second translation */
	ck_assert_uint_eq(res.ad_writes, 1);
	ck_assert_uint_eq(physmem_read64(m, pte_ipa + S2_OFF) & X86_PTE_A, X86_PTE_A);
	mmu_walker_destroy(w);
	physmem_destroy(m);
}
END_TEST

/* Arm native: TCR_EL1.HA+HD with a leaf the guest created AF = 0,
 * writable-clean. A read sets AF (1 write) and is usable for writes but not
 * dirty; a write makes it writable-dirty (1 write). With HA alone, the
 * writable-clean leaf is read-only: a write faults at stage 1, AP[2] stays. */
START_TEST(walk_arm_stage1_af_and_dbm)
{
	for (int hd = 1; hd >= 0; hd--) {
		unsigned hw = MMU_S1_HW_ACCESS | (hd ? MMU_S1_HW_DIRTY : 0u);
		mmu_config c = { .nested = 0, .pte_latency = 1, .s1_hw = hw };
		c.s1 = geom(MMU_FMT_ARM_S1, 12, 48);
		physmem *m = physmem_create();
		uint64_t va = 0x12345000, root = build(m, &c.s1, va, 0x9000, 0x100000, ident);
		uint64_t pte_pa = 0x100000 + 3 * 0x10000 * 16 + mmu_geom_index(&c.s1, 3, va) * 8;
		uint64_t clean = mmu_desc_s1_initial(&c.s1, 3, physmem_read64(m, pte_pa),
						     MMU_S1_HW_ACCESS | MMU_S1_HW_DIRTY);
		physmem_write64(m, pte_pa, clean);
		mmu_walker *w;
		char err[256];
		ck_assert_int_eq(mmu_walker_create(&w, &c, m, err, sizeof(err)), 0);
		mmu_req req = { .va = va, .s1_root = root, .access = MMU_ACC_R };
		mmu_result res;
		mmu_translate(w, &req, &res);
		ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
		ck_assert_uint_eq(res.ad_writes, 1);   /* tables have no AF */
		ck_assert_uint_eq(physmem_read64(m, pte_pa), clean | VMSA_S1_AF);
		ck_assert_uint_eq(!!(res.perm & MMU_P_W), hd);
		ck_assert_int_eq(res.dirty, !hd);      /* HD off: nothing to update */
		req.access = MMU_ACC_W;
		mmu_translate(w, &req, &res);
		if (hd) {
			ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
			ck_assert_uint_eq(res.ad_writes, 1);
			ck_assert_uint_eq(physmem_read64(m, pte_pa),
					  (clean | VMSA_S1_AF) & ~VMSA_S1_AP_RDONLY);
			ck_assert_int_eq(res.dirty, 1);
			ck_assert_uint_eq(mmu_walker_counters(w)->s1_dirtied, 1);
		} else {
			ck_assert_int_eq(res.fault.kind, MMU_FAULT_PERMISSION);
			ck_assert_uint_eq(res.fault.stage, 1);
			ck_assert_uint_eq(res.ad_writes, 0);
			ck_assert_uint_eq(physmem_read64(m, pte_pa), clean | VMSA_S1_AF);
		}
		ck_assert_uint_eq(mmu_walker_counters(w)->s1_accessed, 1);
		mmu_walker_destroy(w);
		physmem_destroy(m);
	}
}
END_TEST

START_TEST(physmem_is_sparse)
{
	physmem *m = physmem_create();
	ck_assert_uint_eq(physmem_read64(m, 0xdeadbeef000), 0);
	physmem_write64(m, UINT64_C(1) << 50, 7);
	physmem_write64(m, 0x1000, 9);
	physmem_write64(m, 0x1008, 10);
	ck_assert_uint_eq(physmem_read64(m, UINT64_C(1) << 50), 7);
	/* Beyond 52 bits there is no physical memory: refused, reads 0, no alias. */
	ck_assert_int_eq(physmem_write64(m, (UINT64_C(1) << 52) | (UINT64_C(1) << 50), 9), -1);
	ck_assert_uint_eq(physmem_read64(m, (UINT64_C(1) << 52) | (UINT64_C(1) << 50)), 0);
	ck_assert_uint_eq(physmem_read64(m, 0x1008), 10);
	ck_assert_uint_eq(physmem_bytes(m), 2 * 4096);
	physmem_destroy(m);
}
END_TEST

Suite *mmu_suite(void)
{
	Suite *s = suite_create("mmu");
	TCase *tc = tcase_create("walker");
	tcase_add_test(tc, geom_arm_stage1_levels_per_granule);
	tcase_add_test(tc, geom_arm_stage2_concatenation_and_vtcr);
	tcase_add_test(tc, geom_refuses_what_the_architecture_cannot_encode);
	tcase_add_test(tc, desc_encode_decode_round_trip_every_format_and_leaf_level);
	tcase_add_test(tc, desc_reserved_encodings);
	tcase_add_test(tc, walk_refs_are_nm_plus_n_plus_m);
	tcase_add_test(tc, walk_observer_hears_every_reference_and_its_latency);
	tcase_add_test(tc, walk_fixed_costs_per_walk_and_per_host_walk);
	tcase_add_test(tc, walk_native_is_one_dimensional);
	tcase_add_test(tc, walk_contiguous_hint_widens_to_the_run);
	tcase_add_test(tc, walk_caches_hit_and_ipa_invalidation_drops_stage2_state);
	tcase_add_test(tc, walk_through_caches_charges_the_serving_levels_latency);
	tcase_add_test(tc, walk_through_caches_sends_ad_writes_too);
	tcase_add_test(tc, desc_s1_initial_and_update_per_format);
	tcase_add_test(tc, walk_x86_stage1_ad_set_once_by_the_walker);
	tcase_add_test(tc, walk_stage1_ad_write_faults_on_a_write_protected_table_page);
	tcase_add_test(tc, walk_arm_stage1_af_and_dbm);
	tcase_add_test(tc, physmem_is_sparse);
	suite_add_tcase(s, tc);
	return s;
}
