/*
 * tests/check_io.c - grants through the machine: the hypervisor model's
 * foreign mappings on hand-built rooms (read-only enforcement, stage-2
 * entries per grant size and granule), and the split-driver I/O model
 * (sim/machine/io.c) with every expected count worked out by hand from the rules in
 * io.c's header and ARCH-FACTS §5.
 */
#include "check_util.h"
#include "check_sim.h"
#include "check_geom.h"
#include "guest.h"
#include "hyp.h"
#include "machine.h"
#include "policy.h"

/* ---------------------------------------------------------------- rooms */

/* An arm64 domain by hand: 64 KB stage 1 over a stage 2 with granule
 * S2GRAN (no walk caches), its hypervisor and guest OS, and a walker. */
typedef struct rooms {
	physmem *mem;
	sim_err err;
	hostmem hm;
	mmu_config c;
	hyp *h;
	guest *g;
	mmu_walker *w;
	uint64_t root;
} rooms;

#define FOREIGN_GPA UINT64_C(0x800000000000)
#define BE_VA UINT64_C(0xffff800000000000)

static void rooms_init(rooms *r, unsigned s2gran)
{
	memset(r, 0, sizeof(*r));
	r->mem = physmem_create();
	r->err.mem = r->mem;
	r->hm = (hostmem){ .next = HOST_RAM_BASE, .err = &r->err };
	r->c.nested = 1;
	r->c.s1 = geom(MMU_FMT_ARM_S1, 16, 48);
	r->c.s2 = geom(MMU_FMT_ARM_S2, s2gran, 48);
	r->c.pte_latency = 1;
	hyp_cfg hc = { .mmu = &r->c, .page = POLICY_BASE };
	guest_cfg gc = { .mmu = &r->c, .arm = 1, .page = POLICY_BASE };
	char e[128];
	ck_assert_int_eq(hyp_create(&r->h, &hc, r->mem, &r->hm, &r->err), 0);
	ck_assert_int_eq(guest_create(&r->g, &gc, r->mem, r->h, &r->hm, &r->err), 0);
	ck_assert_int_eq(mmu_walker_create(&r->w, &r->c, r->mem, e, sizeof(e)), 0);
	ck_assert_int_eq(guest_root(r->g, 0, &r->root), 0);
	/* the back end's unpopulated region, in its kernel half */
	ck_assert_int_eq(guest_map_at(r->g, 0, BE_VA, FOREIGN_GPA, MMU_P_R | MMU_P_W), 1);
	ck_assert_int_eq(guest_map_at(r->g, 0, BE_VA, FOREIGN_GPA, MMU_P_R | MMU_P_W), 0);
}

static void rooms_free(rooms *r)
{
	mmu_walker_destroy(r->w);
	guest_destroy(r->g);
	hyp_destroy(r->h);
	physmem_destroy(r->mem);
}

static mmu_result go(rooms *r, uint64_t va, unsigned access)
{
	mmu_req q = { .va = va, .s1_root = r->root, .s1_root_upper = guest_kernel_root(r->g),
		      .s2_root = hyp_root(r->h), .vmid = 1, .access = access };
	mmu_result res;
	mmu_translate(r->w, &q, &res);
	return res;
}

/* Xen maps a grant read-only (p2m_grant_map_ro, S2AP[1] = 0) when the back
 * end asks GNTMAP_readonly: its reads go through, a write takes a stage-2
 * permission fault on the final IPA, and the TLB entry is 4 KB whatever
 * its 64 KB stage-1 page (ARCH-FACTS §5.4). */
START_TEST(io_read_only_grant_faults_a_back_end_write)
{
	rooms r;
	rooms_init(&r, 12);
	uint64_t frame = UINT64_C(0x123456000);
	ck_assert_int_eq(hyp_map_foreign(r.h, FOREIGN_GPA, &frame, 1, MMU_P_R, 0), 1);
	ck_assert_int_eq(hyp_foreign(r.h, FOREIGN_GPA + 8), 1);
	ck_assert_int_eq(hyp_foreign(r.h, FOREIGN_GPA + 4096), 0);
	mmu_result res = go(&r, BE_VA + 0x10, MMU_ACC_R);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_NONE);
	ck_assert_uint_eq(res.pa, frame + 0x10);
	ck_assert_uint_eq(res.shift, 12);
	ck_assert_uint_eq(res.perm & (MMU_P_W | MMU_P_X), 0);   /* read only, execute never */
	res = go(&r, BE_VA + 0x10, MMU_ACC_W);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_PERMISSION);
	ck_assert_uint_eq(res.fault.stage, 2);
	ck_assert_int_eq(res.fault.s1ptw, 0);
	ck_assert_uint_eq(res.fault.ipa, FOREIGN_GPA + 0x10);
	/* the rest of the 64 KB page has no stage 2: a translation fault */
	res = go(&r, BE_VA + 0x1000, MMU_ACC_R);
	ck_assert_int_eq(res.fault.kind, MMU_FAULT_TRANSLATION);
	ck_assert_uint_eq(res.fault.stage, 2);
	rooms_free(&r);
}
END_TEST

/* A 64 KB grant (the proposal): sixteen 4 KB stage-2 entries over a 4 KB
 * granule (4 KB TLB entries), the same with the contiguous hint (one 64 KB
 * TLB entry, ARCH-FACTS §3.2), one 64 KB leaf over a 64 KB granule; a
 * 4 KB grant cannot be mapped by a 64 KB granule; frames that are not
 * contiguous get no hint. */
START_TEST(io_64k_grant_stage2_entries_per_granule_and_hint)
{
	uint64_t pa[16];
	for (unsigned i = 0; i < 16; i++)
		pa[i] = UINT64_C(0x200000000) + i * 4096;
	rooms r;
	rooms_init(&r, 12);
	ck_assert_int_eq(hyp_map_foreign(r.h, FOREIGN_GPA, pa, 16, MMU_P_R | MMU_P_W, 0), 16);
	ck_assert_uint_eq(go(&r, BE_VA + 0x5008, MMU_ACC_W).shift, 12);
	ck_assert_uint_eq(go(&r, BE_VA + 0x5008, MMU_ACC_W).pa, pa[5] + 8);
	rooms_free(&r);
	rooms_init(&r, 12);
	ck_assert_int_eq(hyp_map_foreign(r.h, FOREIGN_GPA, pa, 16, MMU_P_R | MMU_P_W, 1), 16);
	mmu_result res = go(&r, BE_VA + 0x5008, MMU_ACC_R);
	ck_assert_uint_eq(res.shift, 16);
	ck_assert_uint_eq(res.pa, pa[5] + 8);
	rooms_free(&r);
	rooms_init(&r, 12);
	uint64_t scattered[16];
	memcpy(scattered, pa, sizeof(pa));
	scattered[7] += UINT64_C(0x100000);
	ck_assert_int_eq(hyp_map_foreign(r.h, FOREIGN_GPA, scattered, 16, MMU_P_R, 1), 16);
	ck_assert_uint_eq(go(&r, BE_VA + 0x7000, MMU_ACC_R).pa, scattered[7]);
	ck_assert_uint_eq(go(&r, BE_VA + 0x7000, MMU_ACC_R).shift, 12);
	rooms_free(&r);
	rooms_init(&r, 16);
	ck_assert_int_eq(hyp_map_foreign(r.h, FOREIGN_GPA, pa, 1, MMU_P_R, 0), -1);
	ck_assert_int_eq(hyp_map_foreign(r.h, FOREIGN_GPA, pa, 16, MMU_P_R, 0), 1);
	ck_assert_uint_eq(go(&r, BE_VA + 0x5008, MMU_ACC_R).shift, 16);
	ck_assert_int_eq(hyp_map_foreign(r.h, FOREIGN_GPA, pa, 16, MMU_P_R, 0), -1);   /* taken */
	rooms_free(&r);
}
END_TEST

/* ---------------------------------------------------------------- machine */

/* A machine and the registry it was built from. */
typedef struct run {
	machine *m;
	param_reg *p;
} run;

/* Run N front-end records of ICOUNT instructions (an 8-byte read each, in
 * one page) through a machine with SETS. */
static run io_run_records(const char *const *sets, unsigned n, uint32_t icount)
{
	param_reg *p = sim_params(sets);
	machine *m;
	char err[256];
	ck_assert_msg(machine_create(&m, p, err, sizeof(err)) == TRACE_OK, "%s", err);
	for (unsigned i = 0; i < n; i++) {
		trace_rec r = { .gva = 0x400000, .size = 8, .kind = TRACE_R, .icount = icount };
		ck_assert_msg(sim_access(m, &r, NULL) == 0, "%s", machine_error(m));
	}
	ck_assert_int_eq(machine_finish(m), 0);
	return (run){ m, p };
}

static void done(run r)
{
	machine_destroy(r.m);
	param_destroy(r.p);
}

#define ARM64K "arch=arm64", "guest.granule=64k"

/* Each grant.size / grant.pack combination on arm64 with 64 KB guest pages,
 * two write requests of one 64 KB buffer (io.period=1000, two records of
 * 1000 instructions). By hand:
 *  4k: 16 grants per buffer, over BLKIF_MAX_SEGMENTS_PER_REQUEST (11): with
 *      the defaults' indirect maximum min(32, 256) = 32 each request is one
 *      BLKIF_OP_INDIRECT with one indirect page (16 entries of 512), granted
 *      too: 17 grants a request, 34. The back end maps the indirect page
 *      (one op), unmaps it, maps the 16 data grants 11 a call (11 + 5) and
 *      unmaps them in one call: maps 1 (the ring, at connection) + 2 x 17 =
 *      35, unmaps 34, one flush each (Xen on Arm: TLBI VMALLS12E1IS per p2m
 *      removal), 35 stage-2 entries; pack=off: each map reserves a 64 KB
 *      page for 4 KB, 61440 bytes wasted per map: 35 x 61440 = 2150400; at
 *      most the ring and one request's 16 at once: 17 x 61440 = 1044480;
 *      pack=on (issue 24: a page partly filled wastes the rest, packed or
 *      not): the ring alone in the first 64 KB page (slot 0) wastes 61440;
 *      a request's indirect page takes slot 1 (ring + it: 57344 wasted),
 *      is unmapped, then the data's first call slots 1-11 (ring + 11: 16384)
 *      and its second slots 12-16 (the first page full, slot 16 alone in
 *      the second: 61440): 61440 + 2 x (57344 + 16384 + 61440) = 331776,
 *      and at most 61440 at once.
 *  64k: one grant per buffer (no indirect request); maps 3, unmaps 2,
 *      flushes 2, sixteen 4 KB stage-2 entries per map: 48; no waste.
 *  grant.cycles: a hypercall (1400) per GNTTABOP call - the table setup's
 *      set_version and setup_table too (issue 24: 2 x 1400 = 2800) - 1000
 *      per map or unmap op, 2000 per flush of the back end's one vCPU: 4k:
 *      2800 + 2400 (ring) + 2 x (2400 + 4400 (the indirect page) + 12400 +
 *      6400 + 1400 + 16000 + 32000) = 155200; 64k: 2800 + 2400 + 2 x (2400
 *      + 2400 + 2000) = 18800. */
START_TEST(io_stage2_entries_and_gpa_waste_per_size_and_pack)
{
	static const struct {
		const char *size, *pack;
		uint64_t maps, unmaps, flushes, s2, waste, peak, grants, cycles;
	} want[] = {
		{ "grant.size=4k", "grant.pack=off", 35, 34, 34, 35, 2150400, 1044480, 34, 155200 },
		{ "grant.size=4k", "grant.pack=on", 35, 34, 34, 35, 331776, 61440, 34, 155200 },
		{ "grant.size=64k", "grant.pack=off", 3, 2, 2, 48, 0, 0, 2, 18800 },
		{ "grant.size=64k", "grant.pack=on", 3, 2, 2, 48, 0, 0, 2, 18800 },
	};
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		const char *sets[] = { ARM64K, "io.mode=blk", "io.period=1000", "io.write_pct=100",
				       want[k].size, want[k].pack, NULL };
		run r = io_run_records(sets, 2, 1000);
		stats_reg *s = machine_stats(r.m);
		ck_assert_uint_eq(sim_stat(s, "io.requests"), 2);
		ck_assert_uint_eq(sim_stat(s, "io.write_requests"), 2);
		ck_assert_uint_eq(sim_stat(s, "io.grants"), want[k].grants);
		ck_assert_uint_eq(sim_stat(s, "grant.maps"), want[k].maps);
		ck_assert_uint_eq(sim_stat(s, "grant.unmaps"), want[k].unmaps);
		ck_assert_uint_eq(sim_stat(s, "grant.tlb_flushes"), want[k].flushes);
		ck_assert_uint_eq(sim_stat(s, "grant.stage2_entries"), want[k].s2);
		ck_assert_uint_eq(sim_stat(s, "grant.gpa_waste_bytes"), want[k].waste);
		ck_assert_uint_eq(sim_stat(s, "grant.gpa_waste_peak_bytes"), want[k].peak);
		ck_assert_uint_eq(sim_stat(s, "grant.cycles"), want[k].cycles);
		ck_assert_uint_eq(sim_stat(s, "grant.errors.general_error"), 0);
		done(r);
	}
	/* The back end with a 64 KB stage-2 granule maps a 64 KB grant with one
	 * leaf: 3 entries. */
	const char *big[] = { ARM64K, "io.mode=blk", "io.period=1000", "grant.size=64k",
			      "domain.1.host.granule=64k", NULL };
	run r = io_run_records(big, 2, 1000);
	ck_assert_uint_eq(sim_stat(machine_stats(r.m), "grant.stage2_entries"), 3);
	ck_assert_uint_eq(sim_stat(machine_stats(r.m), "domain.1.tlb.fills.64k"),
			  sim_stat(machine_stats(r.m), "domain.1.tlb.l1d.misses"));
	done(r);
}
END_TEST

/* The back end's TLB: per request (one BLKIF_OP_INDIRECT of 16 grants) a
 * ring read, 16 reads of the segment entries in the indirect page (8 bytes
 * each, one 4 KB TLB entry), 16 reads of the buffer (one per 4 KB,
 * io.touch_stride), the response write: 34 accesses. Every unmap flushes
 * the back end: the indirect page's unmap before the data is mapped, so
 * each request's 16 buffer reads miss, and the data's before the response,
 * which misses. The first request: the ring 1, the indirect page 1 (15
 * hits), the buffer 16, the response 1; the second's ring read hits what
 * the first one's response filled: misses 19 + 18 = 37, hits 15 + 16 = 31.
 * With 64 KB grants (one a request, no indirect page) and the contiguous
 * hint one TLB entry covers the buffer: misses 1 + 1 + 1 + 1 + 1 = 5, hits
 * 31. */
START_TEST(io_back_end_tlb_misses_by_hand)
{
	const char *base[] = { ARM64K, "io.mode=blk", "io.period=1000", "io.write_pct=100", NULL };
	run r = io_run_records(base, 2, 1000);
	stats_reg *s = machine_stats(r.m);
	ck_assert_uint_eq(sim_stat(s, "domain.1.accesses"), 68);
	ck_assert_uint_eq(sim_stat(s, "io.backend_accesses"), 68);
	ck_assert_uint_eq(sim_stat(s, "domain.1.tlb.l1d.misses"), 37);
	ck_assert_uint_eq(sim_stat(s, "domain.1.tlb.l1d.hits"), 31);
	ck_assert_uint_eq(sim_stat(s, "domain.1.tlb.fills.4k"), 37);
	ck_assert_uint_eq(sim_stat(s, "domain.1.walk.count"), 37);
	/* the front end per request: the indirect page's grant and 16 data
	 * grant writes, 16 segment entries, the request, the response read, 16
	 * + 1 ends of access: 52; 104, in its accesses with its 2 records */
	ck_assert_uint_eq(sim_stat(s, "io.frontend_accesses"), 104);
	ck_assert_uint_eq(sim_stat(s, "accesses"), 106);
	ck_assert_uint_eq(sim_stat(s, "records"), 2);
	done(r);
	const char *cont[] = { ARM64K, "io.mode=blk", "io.period=1000", "io.write_pct=100",
			       "grant.size=64k", "grant.cont=1", NULL };
	r = io_run_records(cont, 2, 1000);
	s = machine_stats(r.m);
	ck_assert_uint_eq(sim_stat(s, "domain.1.tlb.l1d.misses"), 5);
	ck_assert_uint_eq(sim_stat(s, "domain.1.tlb.l1d.hits"), 31);
	ck_assert_uint_eq(sim_stat(s, "domain.1.tlb.fills.64k"), 5);   /* the ring's grant too */
	done(r);
}
END_TEST

/* Three buffers of 64 KB, 48 grants per request, and a front end allowing
 * 64 indirect segments (min(64, 256)): one BLKIF_OP_INDIRECT of 4 pages'
 * worth (64 / 16 grants a page), one indirect page. Its unmap (one op) is a
 * chunk; the data's 48 unmaps in one call GNTTAB_UNMAP_BATCH_SIZE splits in
 * chunks of 32 and 16; the translated back end still flushes once per
 * removal (49), none per chunk. Hypercalls: set_version and setup_table,
 * the ring's map, the indirect page's map and unmap, the data's maps 11 a
 * call (ceil(48 / 11) = 5) and its unmap: 2 + 1 + 2 + 5 + 1 = 11. */
START_TEST(io_unmap_chunks_of_32_and_flushes_per_op)
{
	const char *sets[] = { ARM64K, "io.mode=blk", "io.period=1000", "io.segments=3",
			       "io.blk.max_indirect_segments=64", NULL };
	run r = io_run_records(sets, 1, 1000);
	stats_reg *s = machine_stats(r.m);
	ck_assert_uint_eq(sim_stat(s, "io.ring_requests"), 1);
	ck_assert_uint_eq(sim_stat(s, "io.indirect_requests"), 1);
	ck_assert_uint_eq(sim_stat(s, "grant.unmaps"), 49);
	ck_assert_uint_eq(sim_stat(s, "grant.unmap_chunks"), 3);
	ck_assert_uint_eq(sim_stat(s, "grant.tlb_flushes"), 49);
	ck_assert_uint_eq(sim_stat(s, "grant.hypercalls"), 2 + 1 + 2 + 5 + 1);
	done(r);
}
END_TEST

/* blkif indirect descriptors (xen/include/public/io/blkif.h; Linux
 * xen-blkfront.c blkfront_gather_backend_features, blkif_set_queue_limits,
 * blkif_queue_rw_req; xen-blkback/blkback.c xen_blkbk_map,
 * xen_blkbk_parse_indirect, xen_blkbk_unmap_and_respond). Per request, by
 * hand from BLKIF_MAX_SEGMENTS_PER_REQUEST 11, 512 entries an indirect
 * page, blkfront's max_indirect_segments 32 and blkback's
 * MAX_INDIRECT_SEGMENTS 256 (negotiated: 32); hypercalls beyond the table
 * setup's 2 and the ring's map; one flush per unmapped grant:
 *  x86, 16 buffers of 4 KB (16 grants, a segment each): one indirect
 *    request, one indirect page: grants 17; maps 1 + 16 in 1 + 2 calls
 *    (11 + 5), unmaps 1 + 16 in 2 calls: 5 hypercalls, 17 flushes;
 *    grant.cycles 2800 + 2400 + 2400 + 4400 + (1400 + 11000) + (1400 + 5000)
 *    + (1400 + 16000 + 32000) = 80200.
 *  x86, 40 buffers: the block layer's request holds 32 segments, so an
 *    indirect request of 32 (maps ceil(32 / 11) = 3 calls) and a plain one
 *    of 8: ring requests 2, grants 41, hypercalls 2 + 3 + 1 + 1 + 1 = 8.
 *  x86, 16 buffers, a back end without them (feature 0): requests of 11
 *    segments, 11 + 5: 2 plain ring requests, 4 hypercalls, grants 16.
 *  x86, 16 buffers, the front end's maximum 8 (raised to 11): the same.
 *  arm64 64 KB pages, one 64 KB buffer (16 grants in one page), a back end
 *    without them: blkfront's extra request, 11 + 5: ring requests 2, one
 *    split; qdisk (io.grant_mode=copy) has none whatever the key: the same,
 *    one GNTTABOP_copy of its 4 KB ops each, 2 copy hypercalls. */
START_TEST(io_blkif_indirect_requests_by_hand)
{
	static const struct {
		const char *sets[6];
		uint64_t ring, ind, split, grants, ind_grants, hypercalls, maps, copies;
	} c[] = {
		{ { "io.segments=16" }, 1, 1, 0, 17, 1, 5, 17, 0 },
		{ { "io.segments=40" }, 2, 1, 0, 41, 1, 8, 41, 0 },
		{ { "io.segments=16", "io.blk.feature_max_indirect_segments=0" }, 2, 0, 0, 16, 0, 4,
		  16, 0 },
		{ { "io.segments=16", "io.blk.max_indirect_segments=8" }, 2, 0, 0, 16, 0, 4, 16, 0 },
		{ { ARM64K, "io.blk.feature_max_indirect_segments=0" }, 2, 0, 1, 16, 0, 4, 16, 0 },
		{ { ARM64K, "io.grant_mode=copy" }, 2, 0, 1, 16, 0, 2, 0, 16 },
	};
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		const char *sets[10] = { "io.mode=blk", "io.period=1000", "io.write_pct=100" };
		size_t m = 3;
		for (size_t i = 0; c[k].sets[i]; i++)
			sets[m++] = c[k].sets[i];
		sets[m] = NULL;
		run r = io_run_records(sets, 1, 1000);
		stats_reg *s = machine_stats(r.m);
		ck_assert_uint_eq(sim_stat(s, "io.requests"), 1);
		ck_assert_msg(sim_stat(s, "io.ring_requests") == c[k].ring, "case %zu", k);
		ck_assert_msg(sim_stat(s, "io.indirect_requests") == c[k].ind, "case %zu", k);
		ck_assert_msg(sim_stat(s, "io.split_requests") == c[k].split, "case %zu", k);
		ck_assert_msg(sim_stat(s, "io.grants") == c[k].grants, "case %zu: %llu grants", k,
			      (unsigned long long)sim_stat(s, "io.grants"));
		ck_assert_uint_eq(sim_stat(s, "io.indirect_grants"), c[k].ind_grants);
		ck_assert_msg(sim_stat(s, "grant.hypercalls") == 2 + 1 + c[k].hypercalls,
			      "case %zu: %llu hypercalls", k,
			      (unsigned long long)sim_stat(s, "grant.hypercalls"));
		ck_assert_uint_eq(sim_stat(s, "grant.maps"), 1 + c[k].maps);
		ck_assert_uint_eq(sim_stat(s, "grant.unmaps"), c[k].maps);
		ck_assert_uint_eq(sim_stat(s, "grant.tlb_flushes"), c[k].maps);
		ck_assert_uint_eq(sim_stat(s, "grant.copies"), c[k].copies);
		if (k == 0)
			ck_assert_uint_eq(sim_stat(s, "grant.cycles"), 80200);
		done(r);
	}
	/* Persistent grants: a ring entry's indirect page is granted and mapped
	 * once, as its buffers are (blkfront's get_indirect_grant reuses a
	 * persistent grant; blkback finds it in its tree). io.ring=2, three
	 * requests of 16 buffers: entries 0 and 1 each grant 16 + 1 and map them
	 * (the indirect page in one call, the data in 2), the third request
	 * (entry 0 again) none: grants 34, maps 1 + 34, unmaps 0. */
	const char *pers[] = { "io.mode=blk", "io.period=1000", "io.ring=2", "io.segments=16",
			       "io.grant_mode=persistent", NULL };
	run r = io_run_records(pers, 3, 1000);
	stats_reg *s = machine_stats(r.m);
	ck_assert_uint_eq(sim_stat(s, "io.indirect_requests"), 3);
	ck_assert_uint_eq(sim_stat(s, "io.grants"), 34);
	ck_assert_uint_eq(sim_stat(s, "io.indirect_grants"), 2);
	ck_assert_uint_eq(sim_stat(s, "grant.maps"), 1 + 34);
	ck_assert_uint_eq(sim_stat(s, "grant.unmaps"), 0);
	ck_assert_uint_eq(sim_stat(s, "grant.hypercalls"), 2 + 1 + 2 * (1 + 2));
	done(r);
}
END_TEST

/* Persistent grants (x86, 4 KB pages, a 2-slot ring, 3 write requests):
 * slot 0's and slot 1's buffer are granted and mapped on first use and
 * stay; the third request reuses slot 0: maps 1 + 2, no unmaps, 2 grants.
 * The front end copies into the buffer (one 4 KB touch), writes the grant
 * (first use), the request and reads the response: 4 + 4 + 3 = 11. */
START_TEST(io_persistent_grants_map_once)
{
	const char *sets[] = { "io.mode=blk", "io.period=10", "io.ring=2", "io.write_pct=100",
			       "io.grant_mode=persistent", NULL };
	run r = io_run_records(sets, 3, 10);
	stats_reg *s = machine_stats(r.m);
	ck_assert_uint_eq(sim_stat(s, "grant.maps"), 3);
	ck_assert_uint_eq(sim_stat(s, "grant.unmaps"), 0);
	ck_assert_uint_eq(sim_stat(s, "grant.tlb_flushes"), 0);
	ck_assert_uint_eq(sim_stat(s, "io.grants"), 2);
	ck_assert_uint_eq(sim_stat(s, "io.frontend_accesses"), 11);
	ck_assert_uint_eq(sim_stat(s, "grant.gpa_waste_bytes"), 0);   /* 4 KB pages */
	done(r);
}
END_TEST

/* Copy (x86, read requests of two 4 KB buffers): no maps but the ring's,
 * one GNTTABOP_copy of 4 KB per buffer; the back end writes its own buffers
 * first. grant.cycles: 2 x 1400 (the table setup's set_version and
 * setup_table hypercalls, issue 24) + 2400 (ring) + 2 x (1400 + 2 x 1500) =
 * 14000. */
START_TEST(io_copy_mode_copies_4k_per_op)
{
	const char *sets[] = { "io.mode=blk", "io.period=10", "io.segments=2", "io.write_pct=0",
			       "io.grant_mode=copy", NULL };
	run r = io_run_records(sets, 2, 10);
	stats_reg *s = machine_stats(r.m);
	ck_assert_uint_eq(sim_stat(s, "grant.maps"), 1);
	ck_assert_uint_eq(sim_stat(s, "grant.copies"), 4);
	ck_assert_uint_eq(sim_stat(s, "grant.cycles"), 14000);
	ck_assert_uint_eq(sim_stat(s, "io.backend_accesses"), 2 * (1 + 2 + 1));
	ck_assert_uint_eq(sim_stat(s, "grant.errors.bad_copy_arg"), 0);
	done(r);
}
END_TEST

/* Maptrack of one frame holds 255 mappings: the ring takes one, 254
 * persistent buffers map, the last two of the 256 fail with
 * GNTST_no_space every time they are used (and their data is not
 * touched). */
START_TEST(io_maptrack_full_is_counted_no_space)
{
	const char *sets[] = { "io.mode=blk", "io.period=10", "io.ring=32", "io.segments=8",
			       "io.grant_mode=persistent", "grant.maptrack_frames=1", NULL };
	run r = io_run_records(sets, 32, 10);
	stats_reg *s = machine_stats(r.m);
	ck_assert_uint_eq(sim_stat(s, "grant.maps"), 255);
	ck_assert_uint_eq(sim_stat(s, "grant.errors.no_space"), 2);
	done(r);
}
END_TEST

/* Interleaving access by access gives the batch's statistics, I/O and all. */
START_TEST(io_machine_access_equals_machine_run)
{
	const char *sets[] = { ARM64K, "io.mode=net", "io.period=300", "io.segments=2", NULL };
	enum { N = 5000 };
	trace_rec *t = calloc(N, sizeof(*t));
	for (size_t i = 0; i < N; i++)
		t[i] = (trace_rec){ .gva = 0x400000 + (i * 4104) % (1u << 22), .size = 8,
				    .kind = (uint8_t)(i % 3 == 0 ? TRACE_W : TRACE_R), .icount = 7 };
	param_reg *p = sim_params(sets);
	machine *a, *b;
	char err[256];
	ck_assert_int_eq(machine_create(&a, p, err, sizeof(err)), TRACE_OK);
	ck_assert_int_eq(machine_create(&b, p, err, sizeof(err)), TRACE_OK);
	for (size_t i = 0; i < N; i++)
		ck_assert_int_eq(sim_access(a, &t[i], NULL), 0);
	size_t failed;
	ck_assert_int_eq(replay_batch(b, t, N, 0, NULL, &failed), 0);
	ck_assert_int_eq(machine_finish(a), 0);
	ck_assert_int_eq(machine_finish(b), 0);
	stats_reg *sa = machine_stats(a), *sb = machine_stats(b);
	ck_assert_uint_eq(stats_count(sa), stats_count(sb));
	for (size_t i = 0; i < stats_count(sa); i++)
		if (stats_kind_at(sa, i) == STATS_COUNTER)
			ck_assert_msg(stats_value_at(sa, i) == stats_value_at(sb, i), "%s",
				      stats_name_at(sa, i));
	ck_assert_uint_eq(sim_stat(sa, "io.requests"), N * 7 / 300);
	ck_assert_uint_gt(sim_stat(sa, "grant.copies"), 0);   /* net RX copies */
	ck_assert_uint_gt(sim_stat(sa, "grant.maps"), 1);     /* net TX maps */
	machine_destroy(a);
	machine_destroy(b);
	param_destroy(p);
	free(t);
}
END_TEST

/* Combinations Xen or the drivers cannot do are refused by key. */
START_TEST(io_bad_configurations_are_refused_by_key)
{
	static const struct { const char *sets[6]; const char *msg; } bad[] = {
		{ { "io.mode=blk", "virt=none" }, "io.mode=blk: the I/O back end is a second" },
		{ { "io.mode=blk", "arch=arm64", "grant.version=2" },
		  "grant.version=2: Xen on Arm has grant table v1 only" },
		{ { "io.mode=blk", "grant.cont=1" }, "grant.cont=1: the contiguous hint is arm64's" },
		{ { "io.mode=blk", "grant.size=64k" }, "grant.size=64k: a 64 KB grant covers one" },
		{ { "io.mode=blk", ARM64K, "domain.1.host.granule=64k" },
		  "domain.1.host.granule: a 4 KB grant cannot be mapped" },
		{ { "io.mode=blk", ARM64K, "host.granule=64k" },
		  "host.granule=64k: the front end's grant-table frames are 4 KB pages" },
		{ { "io.mode=blk", "domain.1.dirtylog.mode=wp" },
		  "domain.1.dirtylog.mode: dirty logging of the I/O back end" },
		{ { "io.mode=blk", "domain.2.guest.page=2m" },
		  "there are only 2 domains (domains=1, and the I/O back end)" },
		{ { "io.mode=net", "io.grant_mode=persistent" }, "persistent grants are blkback's" },
		{ { "io.mode=blk", "io.grant_mode=persistent", "io.segments=64" },
		  "more than blkback keeps (max_persistent_grants 1056)" },
		/* 9 (8 reserved and the ring) + 512 + an indirect page's */
		{ { "io.mode=blk", "io.segments=2", "io.segment_bytes=1M", "grant.max_frames=1" },
		  "grant.max_frames=1: the front end needs 522 grant references" },
		{ { "io.mode=blk", ARM64K, "io.blk.max_indirect_segments=12" },
		  "the smaller, 12, is under the 16 grants of one page of the front end" },
		{ { "io.mode=blk", "io.segments=256", "io.segment_bytes=1M" },
		  "io.ring x io.segments x grants per buffer = 2097152 grants" },
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		param_reg *p = sim_params(bad[k].sets);
		machine *m;
		char err[512];
		ck_assert_int_eq(machine_create(&m, p, err, sizeof(err)), TRACE_EFORMAT);
		ck_assert_msg(strstr(err, bad[k].msg), "case %zu: %s", k, err);
		param_destroy(p);
	}
	/* domain.1 sets the back end's own keys: 4 KB pages under a 64 KB front end */
	const char *own[] = { ARM64K, "io.mode=blk", "io.period=1000", "domain.1.guest.granule=4k",
			      NULL };
	run r = io_run_records(own, 1, 1000);
	ck_assert_uint_eq(sim_stat(machine_stats(r.m), "grant.gpa_waste_bytes"), 0);   /* 4 KB pages */
	ck_assert_uint_eq(sim_stat(machine_stats(r.m), "domain.1.tlb.fills.4k"),
			  sim_stat(machine_stats(r.m), "domain.1.walk.count"));
	done(r);
}
END_TEST

Suite *io_suite(void)
{
	Suite *s = suite_create("io");
	TCase *t = tcase_create("grants");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, io_read_only_grant_faults_a_back_end_write);
	tcase_add_test(t, io_64k_grant_stage2_entries_per_granule_and_hint);
	tcase_add_test(t, io_stage2_entries_and_gpa_waste_per_size_and_pack);
	tcase_add_test(t, io_back_end_tlb_misses_by_hand);
	tcase_add_test(t, io_unmap_chunks_of_32_and_flushes_per_op);
	tcase_add_test(t, io_persistent_grants_map_once);
	tcase_add_test(t, io_blkif_indirect_requests_by_hand);
	tcase_add_test(t, io_copy_mode_copies_4k_per_op);
	tcase_add_test(t, io_maptrack_full_is_counted_no_space);
	tcase_add_test(t, io_machine_access_equals_machine_run);
	tcase_add_test(t, io_bad_configurations_are_refused_by_key);
	suite_add_tcase(s, t);
	return s;
}
