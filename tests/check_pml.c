/*
 * tests/check_pml.c - dirty-state logging hardware: the PML and HDBSS units
 * alone, the descriptor rules of hardware dirty state, and the walker's A/D
 * updates and logging on tables built by hand (ARCH-FACTS §2, §3.6-3.7, §6).
 */
#include "check_util.h"
#include "check_geom.h"
#include "mmu.h"
#include "pml.h"
#include "vmsa_hw.h"
#include "x86_hw.h"


/* SDM-2016 §28.2.5: entry 511 first, decrementing; 512 entries, then the
 * index is 0xFFFF and the next update is a log-full event. */
START_TEST(pml_writes_entry_511_first_and_512_entries_before_full)
{
	physmem *m = physmem_create();
	pml_unit *p = pml_create(m);
	pml_enable(p, 0x5000);
	ck_assert_uint_eq(pml_address(p), 0x5000);
	ck_assert_uint_eq(pml_index(p), 511);
	ck_assert_uint_eq(pml_valid_entries(p), 0);
	for (unsigned k = 0; k < 512; k++) {
		ck_assert_int_eq(pml_full(p), 0);
		uint64_t gpa = UINT64_C(0x100000000) + k * 0x3000 + 0x123;
		ck_assert_uint_eq(pml_log(p, gpa), 0x5000 + 8 * (511 - k));
		ck_assert_uint_eq(physmem_read64(m, 0x5000 + 8 * (511 - k)), gpa & ~UINT64_C(0xfff));
	}
	ck_assert_uint_eq(pml_index(p), 0xFFFF);       /* 0 - 1 wraps in 16 bits */
	ck_assert_uint_eq(pml_valid_entries(p), 512);
	ck_assert_int_eq(pml_full(p), 1);
	ck_assert_uint_eq(pml_stats(p)->full_events, 1);
	ck_assert_uint_eq(pml_stats(p)->logged, 512);
	pml_set_index(p, 511);                          /* software drained it */
	ck_assert_int_eq(pml_full(p), 0);
	pml_set_index(p, 300);                          /* written mid-way */
	ck_assert_uint_eq(pml_valid_entries(p), 211);
	pml_log(p, 0x7777);
	ck_assert_uint_eq(physmem_read64(m, 0x5000 + 8 * 300), 0x7000);
	ck_assert_uint_eq(pml_index(p), 299);
	pml_set_index(p, 600);                          /* any index >= 512 is full */
	ck_assert_int_eq(pml_full(p), 1);
	pml_disable(p);
	ck_assert_int_eq(pml_full(p), 0);               /* disabled: never full */
	pml_destroy(p);
	physmem_destroy(m);
}
END_TEST

/* HDBSS (ARCH-FACTS §3.7): INDEX counts up from 0; entry = valid | TTWL<<1 |
 * IPA 55:12; full at 4 KB << SZ / 8 entries. */
START_TEST(hdbss_counts_up_from_zero_and_fills_at_capacity)
{
	physmem *m = physmem_create();
	hdbss_unit *h = hdbss_create(m);
	hdbss_enable(h, 0x10000, 1);                   /* 8 KB: 1024 entries */
	ck_assert_uint_eq(hdbss_capacity(h), 1024);
	ck_assert_uint_eq(hdbss_index(h), 0);
	for (unsigned k = 0; k < 1024; k++) {
		ck_assert_int_eq(hdbss_full(h), 0);
		ck_assert_uint_eq(hdbss_log(h, 0x40000000 + k * 0x1000 + 0x80, 3), 0x10000 + 8 * k);
	}
	uint64_t e0 = physmem_read64(m, 0x10000);
	ck_assert_uint_eq(e0 & HDBSS_ENTRY_VALID, 1);
	ck_assert_uint_eq(field_get64(HDBSS_ENTRY_TTWL_MASK, e0), 3);
	ck_assert_uint_eq(e0 & HDBSS_ENTRY_IPA_MASK, 0x40000000);
	ck_assert_uint_eq(hdbss_index(h), 1024);
	ck_assert_int_eq(hdbss_full(h), 1);
	hdbss_set_index(h, 0);
	ck_assert_int_eq(hdbss_full(h), 0);
	hdbss_destroy(h);
	physmem_destroy(m);
}
END_TEST

/* ARCH-FACTS §6 item 6: stage 1 CLEARS AP[2], stage 2 SETS S2AP[1]. */
START_TEST(dbm_polarity_stage1_clears_ap2_stage2_sets_s2ap1)
{
	mmu_geom s1 = geom(MMU_FMT_ARM_S1, 12, 48), s2 = geom(MMU_FMT_ARM_S2, 12, 48);
	uint64_t d1 = mmu_desc_set_dbm(&s1, mmu_desc_leaf(&s1, 3, 0x1000, MMU_P_R), 1);
	ck_assert(d1 & VMSA_S1_AP_RDONLY);              /* writable-clean */
	ck_assert_int_eq(mmu_desc_dirty(&s1, d1), 0);
	uint64_t w1 = mmu_desc_hw_update(&s1, 3, d1, 1);
	ck_assert(!(w1 & VMSA_S1_AP_RDONLY));
	ck_assert_int_eq(mmu_desc_dirty(&s1, w1), 1);
	ck_assert_uint_eq(mmu_desc_hw_update(&s1, 3, d1, 0), d1);   /* a read changes nothing */

	uint64_t d2 = mmu_desc_set_dbm(&s2, mmu_desc_leaf(&s2, 3, 0x1000, MMU_P_R), 1);
	ck_assert(!(d2 & VMSA_S2_AP_W));
	ck_assert_int_eq(mmu_desc_dirty(&s2, d2), 0);
	uint64_t w2 = mmu_desc_hw_update(&s2, 3, d2, 1);
	ck_assert(w2 & VMSA_S2_AP_W);
	ck_assert_int_eq(mmu_desc_dirty(&s2, w2), 1);
	ck_assert_uint_eq(mmu_desc_clean(&s2, w2), d2);             /* software cleans back */
	/* Without DBM a write changes nothing: it is a permission fault. */
	uint64_t ro = mmu_desc_leaf(&s2, 3, 0x1000, MMU_P_R);
	ck_assert_uint_eq(mmu_desc_hw_update(&s2, 3, ro, 1), ro);
}
END_TEST

/* SDM-2016 §28.2.4: A in every EPT entry used, D only in a leaf, on a write. */
START_TEST(ept_ad_sets_a_in_every_entry_and_d_only_in_a_written_leaf)
{
	mmu_geom e = geom(MMU_FMT_EPT, 12, 48);
	uint64_t t = mmu_desc_table(&e, 0x5000);
	ck_assert_uint_eq(mmu_desc_hw_update(&e, 0, t, 1), t | EPT_A);   /* no D in a table */
	uint64_t l = mmu_desc_leaf(&e, 3, 0x9000, MMU_P_R | MMU_P_W);
	ck_assert_uint_eq(mmu_desc_hw_update(&e, 3, l, 0), l | EPT_A);
	ck_assert_uint_eq(mmu_desc_hw_update(&e, 3, l, 1), l | EPT_A | EPT_D);
	uint64_t big = mmu_desc_leaf(&e, 2, 0x200000, MMU_P_R | MMU_P_W);  /* 2 MB */
	ck_assert_uint_eq(mmu_desc_hw_update(&e, 2, big, 1), big | EPT_A | EPT_D);
	ck_assert_uint_eq(mmu_desc_hw_update(&e, 3, 0, 1), 0);           /* not present */
	ck_assert_uint_eq(mmu_desc_clean(&e, l | EPT_A | EPT_D), l | EPT_A);
}
END_TEST

/* ---------------------------------------------------------------- walker */

/* x86 4-level paging over 4-level EPT, built by hand: stage-1 table pages at
 * GPA 0x10000 + 0x1000*l, data at GPA 0x40000000 + 0x5000 (a 4 KB EPT leaf,
 * or inside a 2 MB EPT leaf). Every GPA maps to HPA GPA + 0x100000000. */
#define S1_BASE UINT64_C(0x10000)
#define DATA_GPA UINT64_C(0x40005000)
#define HOFF UINT64_C(0x100000000)
#define S2_ROOT UINT64_C(0x900000000)
#define VA UINT64_C(0x7f0000001000)

typedef struct rig {
	physmem *m;
	mmu_config c;
	mmu_walker *w;
	pml_unit *p;
	uint64_t next;
} rig;

static void s2_map(rig *r, uint64_t gpa, unsigned leaf)
{
	const mmu_geom *g = &r->c.s2;
	uint64_t table = S2_ROOT;
	for (unsigned l = 0; l < leaf; l++) {
		uint64_t pa = table + mmu_geom_index(g, l, gpa) * 8;
		mmu_desc x = mmu_desc_decode(g, l, physmem_read64(r->m, pa));
		if (x.kind != MMU_DESC_TABLE) {
			physmem_write64(r->m, pa, mmu_desc_table(g, r->next));
			x.addr = r->next;
			r->next += 0x1000;
		}
		table = x.addr;
	}
	uint64_t base = gpa & ~((UINT64_C(1) << g->shift[leaf]) - 1);
	physmem_write64(r->m, table + mmu_geom_index(g, leaf, gpa) * 8,
			mmu_desc_leaf(g, leaf, base + HOFF, MMU_P_R | MMU_P_W | MMU_P_X));
}

static void rig_init(rig *r, int gpt_write, unsigned data_leaf)
{
	memset(r, 0, sizeof(*r));
	r->m = physmem_create();
	r->next = S2_ROOT + 0x1000;
	r->c = (mmu_config){ .nested = 1, .pte_latency = 10, .s2_ad = 1, .ad_gpt_write = gpt_write };
	r->c.s1 = geom(MMU_FMT_X86, 12, 48);
	r->c.s2 = geom(MMU_FMT_EPT, 12, 48);
	const mmu_geom *g1 = &r->c.s1;
	for (unsigned l = 0; l < 4; l++) {
		uint64_t table = S1_BASE + 0x1000 * l;
		uint64_t d = l < 3 ? mmu_desc_table(g1, table + 0x1000)
				   : mmu_desc_leaf(g1, 3, DATA_GPA, MMU_P_R | MMU_P_W);
		physmem_write64(r->m, table + mmu_geom_index(g1, l, VA) * 8 + HOFF, d);
		s2_map(r, table, 3);
	}
	s2_map(r, DATA_GPA, data_leaf);
	char err[200];
	ck_assert_int_eq(mmu_walker_create(&r->w, &r->c, r->m, err, sizeof(err)), 0);
	r->p = pml_create(r->m);
	pml_enable(r->p, 0x3000);
	mmu_walker_set_log(r->w, r->p, NULL);
}

static void rig_free(rig *r)
{
	mmu_walker_destroy(r->w);
	pml_destroy(r->p);
	physmem_destroy(r->m);
}

static mmu_result xlate(rig *r, uint64_t va, unsigned acc)
{
	mmu_req q = { .va = va, .s1_root = S1_BASE, .s2_root = S2_ROOT, .vmid = 1, .access = acc };
	mmu_result res;
	mmu_translate(r->w, &q, &res);
	return res;
}

/* ARCH-FACTS §6 item 1: the logged value is the 4 KB-aligned GPA of the
 * access, never the base of the 2 MB leaf; a read logs nothing. */
START_TEST(pml_logs_4k_aligned_gpa_in_2m_leaf)
{
	rig r;
	rig_init(&r, 0, 2);
	mmu_result a = xlate(&r, VA + 0x10, MMU_ACC_R);
	ck_assert_int_eq(a.fault.kind, MMU_FAULT_NONE);
	ck_assert_uint_eq(a.logged, 0);                 /* A-only updates do not log */
	ck_assert_int_eq(a.dirty, 0);                   /* a later write must walk */
	mmu_result b = xlate(&r, VA + 0x10, MMU_ACC_W);
	ck_assert_uint_eq(b.logged, 1);
	ck_assert_int_eq(b.dirty, 1);
	ck_assert_uint_eq(pml_index(r.p), 510);
	ck_assert_uint_eq(pml_entry(r.p, 511), DATA_GPA);   /* not 0x40000000 */
	mmu_result c = xlate(&r, VA + 0x10, MMU_ACC_W);     /* D already 1 */
	ck_assert_uint_eq(c.logged, 0);
	ck_assert_uint_eq(c.ad_writes, 0);
	rig_free(&r);
}
END_TEST

/* ARCH-FACTS §6 item 4: with EPT A/D, guest paging-structure reads are EPT
 * writes: a read walk logs the four guest table pages. Without the rule, it
 * logs nothing. */
START_TEST(ept_ad_gpt_write_logs_guest_table_pages_on_a_read)
{
	for (int on = 0; on <= 1; on++) {
		rig r;
		rig_init(&r, on, 3);
		mmu_result a = xlate(&r, VA, MMU_ACC_R);
		ck_assert_int_eq(a.fault.kind, MMU_FAULT_NONE);
		ck_assert_uint_eq(a.logged, on ? 4 : 0);
		if (on)
			for (unsigned l = 0; l < 4; l++)   /* walk order: PML4 page first */
				ck_assert_uint_eq(pml_entry(r.p, 511 - l), S1_BASE + 0x1000 * l);
		rig_free(&r);
	}
}
END_TEST

/* Stage-1 A/D by hardware (the rig's guest entries are created A = D = 0).
 * Without ept.ad_gpt_write the walk's reads of the four table pages are EPT
 * reads (A only), but setting A in the PML4E, PDPTE, PDE and PTE writes each
 * table page: each entry's GPA is translated again as a write, which sets
 * that page's EPT D and logs it - 4 entries on a read walk, in walk order,
 * and a write then logs only its data page (the PT page is already dirty):
 * 5. With the rule, the reads already made the pages dirty and logged them
 * (4); the A/D writes need nothing more, so nothing is logged twice. */
START_TEST(stage1_ad_writes_log_guest_table_pages_once)
{
	for (int on = 0; on <= 1; on++) {
		rig r;
		rig_init(&r, on, 3);
		mmu_walker_destroy(r.w);
		r.c.s1_hw = MMU_S1_HW_ACCESS | MMU_S1_HW_DIRTY;
		char err[200];
		ck_assert_int_eq(mmu_walker_create(&r.w, &r.c, r.m, err, sizeof(err)), 0);
		mmu_walker_set_log(r.w, r.p, NULL);
		mmu_result a = xlate(&r, VA, MMU_ACC_R);
		ck_assert_int_eq(a.fault.kind, MMU_FAULT_NONE);
		ck_assert_uint_eq(a.logged, 4);
		ck_assert_uint_eq(a.s1_ad_writes, 4);
		for (unsigned l = 0; l < 4; l++)
			ck_assert_uint_eq(pml_entry(r.p, 511 - l), S1_BASE + 0x1000 * l);
		mmu_result b = xlate(&r, VA, MMU_ACC_W);
		ck_assert_int_eq(b.fault.kind, MMU_FAULT_NONE);
		ck_assert_uint_eq(b.logged, 1);
		ck_assert_uint_eq(b.s1_ad_writes, 1);   /* the PTE's D */
		ck_assert_uint_eq(pml_entry(r.p, 507), DATA_GPA);
		ck_assert_uint_eq(pml_index(r.p), 506);
		const mmu_counters *k = mmu_walker_counters(r.w);
		ck_assert_uint_eq(k->s1_ad_s2_dirtied, on ? 0 : 4);
		ck_assert_uint_eq(k->logged, 5);
		rig_free(&r);
	}
}
END_TEST

/* ARCH-FACTS §6 item 2: with the index outside 0..511 the update raises
 * log-full instead; the access does not happen (no D in memory); after
 * software resets the index the replayed access logs. */
START_TEST(pml_full_blocks_the_access_and_the_replay_logs_it)
{
	rig r;
	rig_init(&r, 0, 3);
	ck_assert_int_eq(xlate(&r, VA, MMU_ACC_R).fault.kind, MMU_FAULT_NONE);   /* A set */
	pml_set_index(r.p, 0xFFFF);
	mmu_result a = xlate(&r, VA, MMU_ACC_W);
	ck_assert_int_eq(a.fault.kind, MMU_FAULT_LOG_FULL);
	ck_assert_uint_eq(a.fault.stage, 2);
	uint64_t hpa_entry = 0;
	/* find the EPT leaf of the data page and check D is still 0 */
	uint64_t table = S2_ROOT;
	for (unsigned l = 0; l < 4; l++) {
		hpa_entry = table + mmu_geom_index(&r.c.s2, l, DATA_GPA) * 8;
		table = physmem_read64(r.m, hpa_entry) & EPT_ADDR_MASK;
	}
	ck_assert_uint_eq(physmem_read64(r.m, hpa_entry) & EPT_D, 0);
	pml_set_index(r.p, 511);
	mmu_result b = xlate(&r, VA, MMU_ACC_W);
	ck_assert_int_eq(b.fault.kind, MMU_FAULT_NONE);
	ck_assert_uint_eq(b.logged, 1);
	ck_assert(physmem_read64(r.m, hpa_entry) & EPT_D);
	ck_assert_uint_eq(pml_entry(r.p, 511), DATA_GPA);
	rig_free(&r);
}
END_TEST

/* Entry 0 is written and the index wraps to 0xFFFF without an exit; the
 * exit comes on the next access that needs an update (KVM review, Dec 2024). */
START_TEST(pml_exit_comes_on_the_next_update_after_entry_0)
{
	rig r;
	rig_init(&r, 0, 3);
	ck_assert_int_eq(xlate(&r, VA, MMU_ACC_R).fault.kind, MMU_FAULT_NONE);
	pml_set_index(r.p, 0);
	mmu_result a = xlate(&r, VA, MMU_ACC_W);
	ck_assert_int_eq(a.fault.kind, MMU_FAULT_NONE);
	ck_assert_uint_eq(pml_index(r.p), 0xFFFF);
	ck_assert_uint_eq(pml_stats(r.p)->full_events, 0);
	ck_assert_uint_eq(physmem_read64(r.m, 0x3000), DATA_GPA);
	rig_free(&r);
}
END_TEST


/* The request interface the walker and the RTL share (pml_event.h): only a
 * write through a clean leaf with PML on logs; with the index out of range
 * every request (even an A-only one) is full; an observer sees every request
 * with its outcome and every register write by VMCS encoding, and may
 * replace the cost. */
typedef struct seen {
	unsigned requests, csr;
	unsigned last_field;
	uint64_t last_value;
	pml_event ev;
	pml_outcome o;
	uint64_t cost;
} seen;

static void seen_request(void *ctx, const pml_event *ev, pml_outcome *o)
{
	seen *s = ctx;
	s->requests++;
	s->ev = *ev;
	s->o = *o;
	if (s->cost)
		o->cycles = s->cost;
}

static void seen_csr(void *ctx, unsigned field, uint64_t value)
{
	seen *s = ctx;
	s->csr++;
	s->last_field = field;
	s->last_value = value;
}

START_TEST(pml_request_logs_only_a_clean_leaf_write_and_is_observed)
{
	physmem *m = physmem_create();
	pml_unit *p = pml_create(m);
	seen sn = { 0 };
	pml_observer obs = { .ctx = &sn, .request = seen_request, .csr_write = seen_csr };
	pml_set_observer(p, &obs);
	pml_enable(p, 0x8000);
	ck_assert_uint_eq(sn.csr, 1);
	ck_assert_uint_eq(sn.last_field, VMCS_PML_ADDRESS);
	ck_assert_uint_eq(sn.last_value, 0x8000);
	pml_set_log_cycles(p, 14);
	pml_outcome o;
	static const pml_event quiet[] = {
		{ .gpa = 0x1000, .leaf_level = 1, .d_was_0 = 1, .is_write = 1, .enabled = 0 },
		{ .gpa = 0x1000, .leaf_level = 0, .d_was_0 = 1, .is_write = 1, .enabled = 1 },
		{ .gpa = 0x1000, .leaf_level = 1, .d_was_0 = 0, .is_write = 1, .enabled = 1 },
		{ .gpa = 0x1000, .leaf_level = 1, .d_was_0 = 1, .is_write = 0, .enabled = 1 },
	};
	for (unsigned i = 0; i < 4; i++) {
		pml_request(p, &quiet[i], &o);
		ck_assert_int_eq(o.logged, 0);
		ck_assert_int_eq(o.full, 0);
		ck_assert_uint_eq(o.index, 511);
		ck_assert_uint_eq(o.cycles, 0);
	}
	ck_assert_uint_eq(sn.requests, 4);
	pml_event w = { .gpa = 0x40201abc, .leaf_level = 3, .d_was_0 = 1, .is_write = 1,
			.enabled = 1 };
	pml_request(p, &w, &o);
	ck_assert_int_eq(o.logged, 1);
	ck_assert_uint_eq(o.addr, 0x8000 + 8 * 511);
	ck_assert_uint_eq(o.data, 0x40201000);
	ck_assert_uint_eq(o.index, 510);
	ck_assert_uint_eq(o.cycles, 14);
	ck_assert_uint_eq(sn.o.addr, o.addr);
	sn.cost = 23;                       /* an RTL's measured cost */
	pml_request(p, &w, &o);
	ck_assert_uint_eq(o.cycles, 23);
	pml_set_index(p, 0xFFFF);
	ck_assert_uint_eq(sn.last_field, VMCS_GUEST_PML_INDEX);
	pml_request(p, &quiet[3], &o);      /* an A-only update is full too */
	ck_assert_int_eq(o.full, 1);
	pml_request(p, &quiet[0], &o);      /* PML off: never full */
	ck_assert_int_eq(o.full, 0);
	ck_assert_uint_eq(pml_stats(p)->full_events, 1);
	pml_destroy(p);
	physmem_destroy(m);
}
END_TEST

Suite *pml_suite(void)
{
	Suite *s = suite_create("pml");
	TCase *tc = tcase_create("pml");
	tcase_add_test(tc, pml_writes_entry_511_first_and_512_entries_before_full);
	tcase_add_test(tc, hdbss_counts_up_from_zero_and_fills_at_capacity);
	tcase_add_test(tc, dbm_polarity_stage1_clears_ap2_stage2_sets_s2ap1);
	tcase_add_test(tc, ept_ad_sets_a_in_every_entry_and_d_only_in_a_written_leaf);
	tcase_add_test(tc, pml_logs_4k_aligned_gpa_in_2m_leaf);
	tcase_add_test(tc, ept_ad_gpt_write_logs_guest_table_pages_on_a_read);
	tcase_add_test(tc, stage1_ad_writes_log_guest_table_pages_once);
	tcase_add_test(tc, pml_full_blocks_the_access_and_the_replay_logs_it);
	tcase_add_test(tc, pml_exit_comes_on_the_next_update_after_entry_0);
	tcase_add_test(tc, pml_request_logs_only_a_clean_leaf_write_and_is_observed);
	suite_add_tcase(s, tc);
	return s;
}
