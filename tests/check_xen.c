/*
 * tests/check_xen.c - issue 24: slatsim's Xen rules checked against Xen's
 * own sources. Pre-copy's stop rules (migrate.policy):
 *  - legacy: Xen <= 4.5 tools/libxc/xc_domain_save.c. DEF_MAX_ITERS 29
 *    ("limit us to 30 times round loop"), DEF_MAX_FACTOR 3 ("never send
 *    more than 3x p2m_size"); after pass `iter` (counted from 1) the next
 *    pass is the last when iter >= max_iters, sent_this_iter +
 *    skip_this_iter < 50 or total_sent > p2m_size * max_factor; before
 *    each batch of MAX_BATCH_SIZE pages SHADOW_OP_PEEK reads the dirty
 *    bitmap and a page of to_send dirtied again is skipped (not in the
 *    last pass).
 *  - v2: Xen 4.6 tools/libxc/xc_sr_save.c send_domain_memory_live:
 *    send_all_pages, then `for (x = 1; x < max_iterations (5) &&
 *    dirty_count > dirty_threshold (50); ++x)` CLEAN and send the dirty
 *    pages; dirty_count starts at p2m_size.
 *
 * Every expected value below is derived in the test from those constants
 * and the machine's timing, never copied from the tool's output. The
 * machine is "quiet" (as tests/check_migrate.c's): core.freq_ghz=1, every
 * latency and cost 0 but core.cpi=1, so a record of 1000 instructions is
 * one microsecond; the link sends one 4 KB page per microsecond; a batch is
 * one page (migrate.map_batch=1), so the peek before each batch sees what
 * the guest wrote up to then. The guest (x86, 4 KB pages at both stages)
 * writes one data page A at VA 0x10000000 in every record, over and over
 * (migrate.loop=1): it dirties all the memory its records write. Its
 * stage-1 tables (T pages, taken from the guest OS model: tables its
 * records never write) are allocated before A, so A has the highest
 * guest-physical address of the N = T + 1 populated pages.
 */
#include "check_util.h"
#include <math.h>
#include "machine.h"
#include "migrate.h"
#include "guest.h"

#define XEN_DEF_MAX_ITERS   29u   /* xc_domain_save.c */
#define XEN_DEF_MAX_FACTOR  3u    /* xc_domain_save.c */
#define XEN_V2_MAX_ITER     5u    /* xc_sr_save.c save.max_iterations */
#define XEN_V2_THRESHOLD    50u   /* xc_sr_save.c save.dirty_threshold */
#define XEN_LEGACY_SMALL    50u   /* xc_domain_save.c "sent_this_iter+skip_this_iter < 50" */

#define VA_A UINT64_C(0x10000000)

typedef struct xsrc {
	const trace_rec *r;
	size_t n, pos;
} xsrc;

static long xs_read(void *ctx, trace_rec *b, size_t max, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	xsrc *m = ctx;
	size_t k = m->n - m->pos < max ? m->n - m->pos : max;
	memcpy(b, m->r + m->pos, k * sizeof(*b));
	m->pos += k;
	return (long)k;
}

static int xs_rewind(void *ctx, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	((xsrc *)ctx)->pos = 0;
	return TRACE_OK;
}

static const char *const XQUIET[] = {
	"core.freq_ghz=1", "core.cpi=1", "tlb.l2.latency=0", "walkcache.s1.latency=0",
	"walkcache.s2.latency=0", "ntlb.latency=0", "mem.pte_latency=0", "fault.guest.cycles=0",
	/* the data caches (cache.model=on, the default) at zero cycles too */
	"cache.l1i.latency=0", "cache.l1d.latency=0", "cache.l2.latency=0",
	"cache.llc.latency=0", "cache.mem.latency=0",
	"fault.host.cycles=0", "dirtylog.exit.cycles=0", "dirtylog.fault.cycles=0",
	"dirtylog.split.cycles=0", "pml.drain.cycles=0", "pml.log.cycles=0",
	"dirtylog.clear.cycles=0", "dirtylog.scan.cycles=0", "dirtylog.invalidate.cycles=0",
	"dirtylog.bitmap.cycles=0", "migrate.call.cycles=0", "migrate.hypercall.cycles=0",
	"migrate.frame.cycles=0", "migrate.unmap.cycles=0", "migrate.flush.cycles=0",
	"migrate.ref.cycles=0", "migrate.send.cycles=0", "migrate.bandwidth=4096000000",
	"host.page=base", "guest.page=base", "migrate.loop=1", "dirtylog.mode=wp",
	"guest.hw_accessed=0", "guest.hw_dirty=0", "migrate.map_batch=1", NULL
};

typedef struct xrun {
	param_reg *p;
	migrate *x;
	stats_reg *st;
	const migrate_round *r;
	size_t nr;
	uint64_t t, n;     /* the guest's table pages; populated pages (T + 1) */
} xrun;

/* The guest running the N records T (replayed) migrated with XQUIET then
 * SETS; U.t its table pages, U.n = U.t + DATA populated pages. */
static xrun xmigrate_trace(const char *const *sets, const trace_rec *t, size_t n, uint64_t data)
{
	xrun u = { .p = param_create() };
	char err[512];
	ck_assert_int_eq(machine_params_register(u.p), PARAM_OK);
	for (const char *const *s = XQUIET; *s; s++)
		ck_assert_msg(param_set_assignment(u.p, *s, "test", err, sizeof(err)) == PARAM_OK,
			      "%s", err);
	for (const char *const *s = sets; *s; s++)
		ck_assert_msg(param_set_assignment(u.p, *s, "test", err, sizeof(err)) == PARAM_OK,
			      "%s", err);
	ck_assert_msg(migrate_create(&u.x, u.p, err, sizeof(err)) == TRACE_OK, "%s", err);
	xsrc m = { t, n, 0 };
	migrate_source src = { .read = xs_read, .rewind = xs_rewind, .ctx = &m, .name = "the guest" };
	ck_assert_msg(migrate_run(u.x, &src, err, sizeof(err)) == TRACE_OK, "%s", err);
	u.st = machine_stats(migrate_machine(u.x));
	u.r = migrate_rounds(u.x, &u.nr);
	struct guest *g;
	struct hyp *h;
	size_t nt;
	ck_assert_int_eq(machine_rooms(migrate_machine(u.x), 0, &g, &h), 0);
	guest_table_frames(g, &nt);
	ck_assert_uint_ge(nt, 1);
	u.t = nt;
	u.n = nt + data;
	return u;
}

/* The guest of one record of KIND on page A. */
static xrun xmigrate_kind(const char *const *sets, unsigned kind)
{
	const trace_rec t[1] = { { .gva = VA_A, .icount = 1000, .size = 8, .kind = (uint8_t)kind } };
	return xmigrate_trace(sets, t, 1, 1);
}

static xrun xmigrate(const char *const *sets)
{
	return xmigrate_kind(sets, TRACE_W);
}

static void xfree(xrun *u)
{
	migrate_destroy(u->x);
	param_destroy(u->p);
}

static uint64_t XS(const xrun *u, const char *name)
{
	int found;
	uint64_t v = stats_get(u->st, name, &found);
	ck_assert_msg(found, "no statistic %s", name);
	return v;
}

/* Pass I (0-based) sent SENT and skipped SKIP; a live pass's harvest
 * reports page A, which the guest wrote during it. */
static void expect_pass(const xrun *u, size_t i, uint64_t sent, uint64_t skip)
{
	ck_assert_msg(u->r[i].pages_sent == sent, "pass %zu sent %llu, want %llu", i,
		      (unsigned long long)u->r[i].pages_sent, (unsigned long long)sent);
	ck_assert_msg(u->r[i].pages_skipped == skip, "pass %zu skipped %llu, want %llu", i,
		      (unsigned long long)u->r[i].pages_skipped, (unsigned long long)skip);
	if (!u->r[i].final)
		ck_assert_uint_eq(u->r[i].pages_dirtied, 1);
	ck_assert_int_eq(u->r[i].final, i + 1 == u->nr);
}

/* Every pass as legacy makes them here: pass 1's batches send the T
 * tables (peek: A not yet written, then A written in every microsecond),
 * and A's batch finds A dirtied again: sent T, skipped 1. Each later pass
 * starts right after its harvest, which ends at the guest's clock (costs
 * 0): the peek finds nothing, A is sent (1 us) - sent 1. The last pass
 * sends A. */
static void expect_legacy(const xrun *u, uint64_t live)
{
	ck_assert_uint_eq(u->nr, live + 1);
	expect_pass(u, 0, u->t, 1);
	for (size_t i = 1; i <= live; i++)
		expect_pass(u, i, 1, 0);
	ck_assert_uint_eq(XS(u, "migrate.rounds"), live);
	ck_assert_uint_eq(XS(u, "migrate.pages_sent"), u->t + (live - 1) + 1);
	ck_assert_uint_eq(XS(u, "migrate.pages_skipped"), 1);
	ck_assert_uint_eq(XS(u, "migrate.lost_pages"), 0);
	ck_assert_uint_eq(XS(u, "migrate.unsent_pages"), 0);
}

/* legacy, stop_pages=1 (a pass always sends or skips 1 page, not under
 * 1): only DEF_MAX_FACTOR ends it. total after pass k = T + (k - 1); the
 * first k with total > 3 N is the last live pass: k = 2T + 5 (under 29). */
START_TEST(xen_legacy_stops_at_three_times_memory)
{
	const char *const sets[] = { "migrate.policy=legacy", "migrate.stop_pages=1", NULL };
	xrun u = xmigrate(sets);
	uint64_t k = 1;
	while (u.t + (k - 1) <= (uint64_t)XEN_DEF_MAX_FACTOR * u.n)
		k++;
	ck_assert_uint_eq(k, 2 * u.t + 5);
	ck_assert_uint_lt(k, XEN_DEF_MAX_ITERS);
	expect_legacy(&u, k);
	ck_assert_str_eq(migrate_stop_reason(u.x),
			 "more than migrate.max_factor times the guest's pages were sent");
	xfree(&u);
}
END_TEST

/* legacy without the factor rule: DEF_MAX_ITERS 29 live passes, then the
 * last - 30 passes in all ("limit us to 30 times round loop"). */
START_TEST(xen_legacy_makes_29_live_passes_and_the_last)
{
	const char *const sets[] = { "migrate.policy=legacy", "migrate.stop_pages=1",
				     "migrate.max_factor=0", NULL };
	xrun u = xmigrate(sets);
	expect_legacy(&u, XEN_DEF_MAX_ITERS);
	ck_assert_uint_eq(u.nr, 30);
	ck_assert_str_eq(migrate_stop_reason(u.x), "migrate.max_rounds rounds were made");
	xfree(&u);
}
END_TEST

/* legacy's 50 counts what the pass sent plus what it skipped: pass 1 sent
 * T and skipped 1, N < 50: the next pass is the last. With stop_pages=2
 * pass 1 (N >= 2) goes on and pass 2 (1 sent) is the last live one. */
START_TEST(xen_legacy_counts_sent_and_skipped_against_50)
{
	const char *const sets[] = { "migrate.policy=legacy", NULL };
	xrun u = xmigrate(sets);
	ck_assert_uint_lt(u.n, XEN_LEGACY_SMALL);
	expect_legacy(&u, 1);
	ck_assert_uint_eq(XS(&u, "migrate.pages_sent"), u.n);
	ck_assert_str_eq(migrate_stop_reason(u.x),
			 "the last live pass sent and skipped fewer than migrate.stop_pages pages");
	xfree(&u);
	const char *const two[] = { "migrate.policy=legacy", "migrate.stop_pages=2", NULL };
	u = xmigrate(two);
	ck_assert_uint_ge(u.n, 2);
	expect_legacy(&u, 2);
	xfree(&u);
}
END_TEST

/* v2 with dirty_threshold 0: send_all_pages sends N (no peek, no skip)
 * while the guest writes A; passes x = 1..4 each send A (1 > 0); x = 5
 * fails x < max_iterations: 5 live passes, then the last sends A:
 * N + 4 + 1 pages. */
START_TEST(xen_v2_makes_at_most_5_live_passes)
{
	const char *const sets[] = { "migrate.policy=v2", "migrate.stop_pages=0", NULL };
	xrun u = xmigrate(sets);
	ck_assert_uint_eq(u.nr, XEN_V2_MAX_ITER + 1);
	expect_pass(&u, 0, u.n, 0);
	for (size_t i = 1; i <= XEN_V2_MAX_ITER; i++)
		expect_pass(&u, i, 1, 0);
	ck_assert_uint_eq(XS(&u, "migrate.pages_sent"), u.n + (XEN_V2_MAX_ITER - 1) + 1);
	ck_assert_uint_eq(XS(&u, "migrate.pages_skipped"), 0);
	ck_assert_str_eq(migrate_stop_reason(u.x), "migrate.max_rounds rounds were made");
	ck_assert_uint_eq(XS(&u, "migrate.lost_pages"), 0);
	xfree(&u);
}
END_TEST

/* v2 goes on while dirty_count > dirty_threshold: with threshold 1, pass 2
 * (dirty count 1) is the last live one; with its own 50, dirty_count
 * starts at p2m_size = N <= 50: no live pass after send_all_pages. */
START_TEST(xen_v2_threshold_is_at_most)
{
	const char *const one[] = { "migrate.policy=v2", "migrate.stop_pages=1", NULL };
	xrun u = xmigrate(one);
	ck_assert_uint_eq(u.nr, 3);
	expect_pass(&u, 0, u.n, 0);
	expect_pass(&u, 1, 1, 0);
	expect_pass(&u, 2, 1, 0);
	ck_assert_str_eq(migrate_stop_reason(u.x),
			 "the last live pass's dirty count was at most migrate.stop_pages");
	xfree(&u);
	const char *const own[] = { "migrate.policy=v2", NULL };
	u = xmigrate(own);
	ck_assert_uint_le(u.n, XEN_V2_THRESHOLD);
	ck_assert_uint_eq(u.nr, 2);
	expect_pass(&u, 0, u.n, 0);
	expect_pass(&u, 1, 1, 0);
	ck_assert_uint_eq(XS(&u, "migrate.pages_sent"), u.n + 1);
	xfree(&u);
}
END_TEST

/* Mapping costs (issue 24 item 1), the fitted defaults spelt out: a call
 * 783, a hypercall 3700, a frame 400 (the batched-mapping patch: 5 M
 * cycles per 1024 pages mapped one by one - two hypercalls a page, the
 * mmu_update and the TLB flush - and about 650 k in one call), an unmap
 * 3700 (its 3.8 M per 1024), a flush 2000. A guest that only reads A
 * (nothing dirty after pass 1) of N populated pages; one control-domain
 * vCPU. per_page: a call, a hypercall and a frame per page, its unmap, and
 * its flush inside the call's cost: N x 8583, 8,788,992 per 1024 pages
 * (5.0 M + 3.8 M, not 10.9 M); N calls, hypercalls and flushes.
 * persistent, batches of 1024: one call (783 + ceil(N / 16) x 3700 +
 * N x 400) while N <= 1024, the unmap of N after the migration with its
 * flush charged (no map call holds it): N x 3700 + 2000. */
START_TEST(xen_per_page_flush_is_in_the_patchs_5m)
{
	const char *const costs[] = { "migrate.call.cycles=783", "migrate.hypercall.cycles=3700",
				      "migrate.frame.cycles=400", "migrate.unmap.cycles=3700",
				      "migrate.flush.cycles=2000", "migrate.loop=0" };
	const uint64_t per_page = 783 + 3700 + 400 + 3700;
	ck_assert_uint_eq(1024 * per_page, 8788992);
	for (int pers = 0; pers < 2; pers++) {
		const char *sets[10];
		size_t k = 0;
		for (; k < 6; k++)
			sets[k] = costs[k];
		sets[k++] = pers ? "migrate.map=persistent" : "migrate.map=per_page";
		sets[k++] = "migrate.policy=v2";
		sets[k++] = "migrate.map_batch=1024";
		sets[k] = NULL;
		xrun u = xmigrate_kind(sets, TRACE_R);
		uint64_t n = u.n;
		ck_assert_uint_le(n, 1024);
		ck_assert_uint_eq(XS(&u, "migrate.pages_sent"), n);
		if (!pers) {
			ck_assert_uint_eq(XS(&u, "migrate.map_cycles"), n * per_page);
			ck_assert_uint_eq(XS(&u, "migrate.map_calls"), n);
			ck_assert_uint_eq(XS(&u, "migrate.hypercalls"), n);
			ck_assert_uint_eq(XS(&u, "migrate.flushes"), n);
		} else {
			ck_assert_uint_eq(XS(&u, "migrate.map_cycles"),
					  783 + (n + 15) / 16 * 3700 + n * 400 + n * 3700 + 2000);
			ck_assert_uint_eq(XS(&u, "migrate.map_calls"), 1);
			ck_assert_uint_eq(XS(&u, "migrate.flushes"), 1);
		}
		xfree(&u);
	}
}
END_TEST

/* Marking is charged (issue 24 item 5). host.page=2m, guest.page=2m, the
 * guest reading its one 2 MB data page: three 2 MB host superpages (the
 * root's, the data page's, the PDPT's and PD's - tests/check_migrate.c's
 * layout), so three MMUEXT_MARK_SUPER ops: the data superpage's takes its
 * 512 page references and one use of the superpage (513), the two holding
 * page tables are refused at their first page (no reference). A hypercall
 * 10, a reference 1: 3 x 10 + 513 = 543 cycles, in migrate.map_cycles; refcount marks nothing. Entries
 * and unmaps cost 100, so both map the data superpage whole (with the same
 * calls, hypercalls and entries). */
START_TEST(xen_marking_is_charged)
{
	uint64_t cyc[2];
	for (int mark = 0; mark < 2; mark++) {
		const char *const sets[] = { "host.page=2m", "guest.page=2m", "migrate.policy=v2",
					     mark ? "migrate.superpage=mark" :
						    "migrate.superpage=refcount",
					     "migrate.hypercall.cycles=10", "migrate.ref.cycles=1",
					     "migrate.frame.cycles=100", "migrate.unmap.cycles=100",
					     "migrate.map_batch=1024", "migrate.loop=0", NULL };
		xrun u = xmigrate_kind(sets, TRACE_R);
		ck_assert_uint_eq(XS(&u, "migrate.superpage.marks"), (uint64_t)mark);
		ck_assert_uint_eq(XS(&u, "migrate.superpage.mark_refused"), 2u * (uint64_t)mark);
		ck_assert_uint_eq(XS(&u, "migrate.superpage.mark_cycles"),
				  mark ? 3 * 10 + 513 : 0);
		cyc[mark] = XS(&u, "migrate.map_cycles");
		xfree(&u);
	}
	/* refcount's mapping: 512 references taken and 512 dropped, and its
	 * use and unuse (2); mark's: one use and unuse (2) and its marks. */
	ck_assert_uint_eq(cyc[0] - cyc[1], (1024 + 2) - (2 + 543));
}
END_TEST

/* migrate.superpage=off, the default (issue 24 item 3): the batched-mapping
 * patch maps a list of 4 KB frames, so the 2 MB layout above maps its
 * 3 x 512 = 1536 pages one by one - no 2 MB entry, no reference, no mark -
 * where refcount maps the data superpage whole (1024 frames and 1 2 MB
 * entry). arm64 has no MMUEXT ops: mark is refused there by name. */
START_TEST(xen_superpage_off_maps_4k_frames)
{
	const char *const dflt[] = { "host.page=2m", "guest.page=2m", "migrate.policy=v2",
				     "migrate.map_batch=1024", "migrate.loop=0", NULL };
	xrun u = xmigrate_kind(dflt, TRACE_R);
	ck_assert_str_eq(param_text(u.p, "migrate.superpage"), "off");
	ck_assert_uint_eq(XS(&u, "migrate.superpages_mapped"), 0);
	ck_assert_uint_eq(XS(&u, "migrate.frames_mapped"), 3 * 512);
	ck_assert_uint_eq(XS(&u, "migrate.page_refs"), 0);
	ck_assert_uint_eq(XS(&u, "migrate.superpage.marks"), 0);
	xfree(&u);
	const char *const rc[] = { "host.page=2m", "guest.page=2m", "migrate.policy=v2",
				   "migrate.superpage=refcount", "migrate.map_batch=1024",
				   "migrate.frame.cycles=100", "migrate.unmap.cycles=100",
				   "migrate.loop=0", NULL };
	u = xmigrate_kind(rc, TRACE_R);
	ck_assert_uint_eq(XS(&u, "migrate.superpages_mapped"), 1);
	ck_assert_uint_eq(XS(&u, "migrate.frames_mapped"), 2 * 512);
	xfree(&u);
	param_reg *p = param_create();
	char err[512];
	ck_assert_int_eq(machine_params_register(p), PARAM_OK);
	ck_assert_int_eq(param_set_assignment(p, "arch=arm64", "test", err, sizeof(err)), PARAM_OK);
	ck_assert_int_eq(param_set_assignment(p, "virt=nested", "test", err, sizeof(err)), PARAM_OK);
	ck_assert_int_eq(param_set_assignment(p, "migrate.superpage=mark", "test", err, sizeof(err)),
			 PARAM_OK);
	migrate *x = NULL;
	ck_assert_int_eq(migrate_create(&x, p, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_ptr_nonnull(strstr(err, "migrate.superpage=mark"));
	ck_assert_ptr_nonnull(strstr(err, "arm64"));
	param_destroy(p);
}
END_TEST

/* domains.control_mode (issue 24 item 4), one batch of the read-only
 * guest's N pages (N <= 1024), a call 783, a hypercall 3700, a frame 400,
 * an unmap 3700, a flush 2000, one control-domain vCPU.
 *  pv (Linux mmu_pv.c): HYPERVISOR_mmu_update of 16 entries a hypercall,
 *    one flush for the call (in its fitted cost): 783 + ceil(N / 16) x 3700
 *    + N x 400 + N x 3700; ceil(N / 16) hypercalls, 1 flush.
 *  translated (xlate_mmu.c): XENMEM_add_to_physmap_range per frame, then
 *    XENMEM_remove_from_physmap per frame, each removal a p2m update Xen
 *    flushes: 783 + N x (3700 + 400) + N x (3700 + 3700 + 2000); 2N
 *    hypercalls, N flushes. For N = 1024: pv 4,435,983; translated
 *    13,824,783. An arm64 control domain is translated (pv refused). */
START_TEST(xen_control_mode_pv_and_translated)
{
	for (int xl = 0; xl < 2; xl++) {
		const char *const sets[] = { "migrate.call.cycles=783", "migrate.hypercall.cycles=3700",
					     "migrate.frame.cycles=400", "migrate.unmap.cycles=3700",
					     "migrate.flush.cycles=2000", "migrate.loop=0",
					     "migrate.policy=v2", "migrate.map_batch=1024",
					     xl ? "domains.control_mode=translated" :
						  "domains.control_mode=pv", NULL };
		xrun u = xmigrate_kind(sets, TRACE_R);
		uint64_t n = u.n;
		ck_assert_uint_le(n, 1024);
		if (!xl) {
			ck_assert_uint_eq(XS(&u, "migrate.map_cycles"),
					  783 + (n + 15) / 16 * 3700 + n * 400 + n * 3700);
			ck_assert_uint_eq(XS(&u, "migrate.hypercalls"), (n + 15) / 16);
			ck_assert_uint_eq(XS(&u, "migrate.flushes"), 1);
		} else {
			ck_assert_uint_eq(XS(&u, "migrate.map_cycles"),
					  783 + n * (3700 + 400) + n * (3700 + 3700 + 2000));
			ck_assert_uint_eq(XS(&u, "migrate.hypercalls"), 2 * n);
			ck_assert_uint_eq(XS(&u, "migrate.flushes"), n);
		}
		xfree(&u);
	}
	ck_assert_uint_eq(783 + 64 * 3700 + 1024 * 400 + 1024 * 3700, 4435983);
	ck_assert_uint_eq(783 + 1024 * (3700 + 400) + 1024 * (3700 + 3700 + 2000), 13824783);
	const char *const bad[][3] = { { "arch=arm64", "domains.control_mode=pv", "control_mode" },
				       { "arch=x86", "domains.control_mode=translated",
					 "migrate.superpage" } };
	for (int i = 0; i < 2; i++) {
		param_reg *p = param_create();
		char err[512];
		ck_assert_int_eq(machine_params_register(p), PARAM_OK);
		ck_assert_int_eq(param_set_assignment(p, bad[i][0], "t", err, sizeof(err)), PARAM_OK);
		ck_assert_int_eq(param_set_assignment(p, "virt=nested", "t", err, sizeof(err)),
				 PARAM_OK);
		ck_assert_int_eq(param_set_assignment(p, bad[i][1], "t", err, sizeof(err)), PARAM_OK);
		if (i == 1)
			ck_assert_int_eq(param_set_assignment(p, "migrate.superpage=refcount", "t", err,
							      sizeof(err)), PARAM_OK);
		migrate *x = NULL;
		ck_assert_int_eq(migrate_create(&x, p, err, sizeof(err)), TRACE_EFORMAT);
		ck_assert_msg(strstr(err, bad[i][2]) != NULL, "%s", err);
		param_destroy(p);
	}
}
END_TEST

/* A guest that dirties all its memory (issue 24 item 2: under the earlier
 * rule one dirtying all its 1,029 pages sent 31 x 1,029 = 31,899). D = 64
 * data pages under one page table, written one a microsecond round-robin
 * (migrate.loop=1), N = T + D populated; the link sends a page a
 * microsecond and one batch (migrate.map_batch=1024 >= N) is a whole pass,
 * so its peek - at the pass's start, right after the harvest - skips
 * nothing. Pass 1 sends N in N us while the guest writes every data page
 * (N >= D records); each later pass sends the D in D us while it writes all
 * D again: every harvest reports D.
 *  legacy: a pass sends N, then D each (both >= 50: the small rule never
 *    fires); after pass k, N + (k - 1) D pages were sent in all, and the
 *    next pass is the last once that is more than DEF_MAX_FACTOR x N
 *    (before DEF_MAX_ITERS): k live passes, then the D.
 *  v2: send_all_pages (N), then passes 2..5 while the dirty count D is
 *    above dirty_threshold 50: max_iterations 5 live passes, then the D:
 *    N + 5 D.
 *  dirtyset: a harvest of D (>= 50) never stops it: 30 live rounds and the
 *    stop-and-copy: N + 30 D. */
START_TEST(xen_guest_dirtying_everything_under_each_policy)
{
	enum { D = 64 };
	trace_rec t[D];
	for (unsigned i = 0; i < D; i++)
		t[i] = (trace_rec){ .gva = VA_A + (uint64_t)i * 4096, .icount = 1000, .size = 8,
				    .kind = TRACE_W };
	const char *const pol[3] = { "migrate.policy=legacy", "migrate.policy=v2",
				     "migrate.policy=dirtyset" };
	for (int i = 0; i < 3; i++) {
		const char *const sets[] = { pol[i], "migrate.map_batch=1024", NULL };
		xrun u = xmigrate_trace(sets, t, D, D);
		uint64_t n = u.n, live;
		ck_assert_uint_ge(n, XEN_LEGACY_SMALL);
		if (i == 0) {
			live = 1;
			while (n + (live - 1) * D <= (uint64_t)XEN_DEF_MAX_FACTOR * n)
				live++;
			ck_assert_uint_lt(live, XEN_DEF_MAX_ITERS);
		} else {
			live = i == 1 ? XEN_V2_MAX_ITER : 30;
		}
		ck_assert_uint_eq(u.nr, live + 1);
		ck_assert_uint_eq(u.r[0].pages_sent, n);
		for (size_t r = 1; r <= live; r++)
			ck_assert_msg(u.r[r].pages_sent == D, "%s: pass %zu sent %llu", pol[i], r,
				      (unsigned long long)u.r[r].pages_sent);
		for (size_t r = 0; r < live; r++)
			ck_assert_uint_eq(u.r[r].pages_dirtied, D);
		ck_assert_uint_eq(XS(&u, "migrate.rounds"), live);
		ck_assert_uint_eq(XS(&u, "migrate.pages_sent"), n + live * D);
		ck_assert_uint_eq(XS(&u, "migrate.pages_skipped"), 0);
		ck_assert_uint_eq(XS(&u, "migrate.lost_pages"), 0);
		if (i == 0) {
			ck_assert_str_eq(migrate_stop_reason(u.x), "more than migrate.max_factor "
					 "times the guest's pages were sent");
			/* 4 tables (PML4, PDPT, PD, PT): N = 68, 2N / D = 2.125: 4 live
			 * passes, 68 + 4 x 64 = 324 pages (v2: 388, dirtyset: 1,988). */
			if (u.t == 4)
				ck_assert_uint_eq(XS(&u, "migrate.pages_sent"), 324);
		}
		xfree(&u);
	}
}
END_TEST

/* The sender's own work per page (migrate.send.cycles, issue 24: the copy
 * to the socket a localhost migration pays) overlaps the link: a chunk's
 * transfer takes the longer of its pages' send cycles and their time on
 * the link. The read-only guest's N pages (mapping and reading cost 0 in
 * XQUIET), a page a microsecond on the link at 1 GHz:
 *  send 3000 cycles = 3 us a page: the sender bounds it, pass 1 lasts 3N
 *    us (one batch: no chunk link-bound); per_page the same 3N us in N
 *    chunks;
 *  send 500 = 0.5 us: the link bounds it, N us (its one chunk link-bound).
 * Nothing is dirtied and N < 50: the stop-and-copy (nothing) follows. */
START_TEST(xen_sender_cost_overlaps_the_link)
{
	struct { const char *send, *map; uint64_t per_page_us, chunks_link_bound_per_n; } c[] = {
		{ "migrate.send.cycles=3000", "migrate.map=batch", 3, 0 },
		{ "migrate.send.cycles=3000", "migrate.map=per_page", 3, 0 },
		{ "migrate.send.cycles=500", "migrate.map=batch", 1, 1 },
	};
	for (int i = 0; i < 3; i++) {
		const char *const sets[] = { c[i].send, c[i].map, "migrate.map_batch=1024",
					     "migrate.loop=0", NULL };
		xrun u = xmigrate_kind(sets, TRACE_R);
		uint64_t n = u.n, chunks = i == 1 ? n : 1;
		ck_assert_uint_lt(n, XEN_LEGACY_SMALL);
		ck_assert_uint_eq(u.nr, 2);
		ck_assert_uint_eq(u.r[0].pages_sent, n);
		ck_assert_msg(fabs(u.r[0].duration_us - (double)(c[i].per_page_us * n)) < 1e-6,
			      "%s %s: %.6f us", c[i].send, c[i].map, u.r[0].duration_us);
		ck_assert_uint_eq(XS(&u, "migrate.total_us"), c[i].per_page_us * n);
		ck_assert_uint_eq(XS(&u, "migrate.send_cycles"),
				  n * (uint64_t)(i < 2 ? 3000 : 500));
		ck_assert_uint_eq(XS(&u, "migrate.link_bound_chunks"),
				  c[i].chunks_link_bound_per_n * chunks);
		xfree(&u);
	}
	/* The default's fit (the parameter's help): an idle 12 GiB guest's
	 * batched migration took 26.868 s (Linux 4e8c0c8c4bf3), 8.54 us a
	 * page, 21,353 cycles at 2.5 GHz; the model's batch maps a page for
	 * (783 + 64 x 3700 + 1024 x 400) / 1024 + 3700 = 4,332 cycles. */
	param_reg *p = param_create();
	ck_assert_int_eq(machine_params_register(p), PARAM_OK);
	double page_cycles = 26.868 / (12.0 * 262144) * 2.5e9;
	double map = (783.0 + 64 * 3700 + 1024 * 400) / 1024 + 3700;
	ck_assert(fabs(page_cycles - 21353) < 1);
	ck_assert(fabs(map - 4332) < 1);
	ck_assert(fabs((double)param_int(p, "migrate.send.cycles") - (page_cycles - map)) < 100);
	param_destroy(p);
}
END_TEST

/* legacy is the default (issue 24): the Xen, xc_domain_save. */
START_TEST(xen_policy_default_is_legacy)
{
	param_reg *p = param_create();
	ck_assert_int_eq(machine_params_register(p), PARAM_OK);
	ck_assert_str_eq(param_text(p, "migrate.policy"), "legacy");
	ck_assert_int_eq(param_int(p, "migrate.max_factor"), XEN_DEF_MAX_FACTOR);
	ck_assert_int_eq(param_int(p, "migrate.stop_pages"), XEN_LEGACY_SMALL);
	param_destroy(p);
}
END_TEST

/* A bad policy is refused by name. */
START_TEST(xen_policy_refuses_an_unknown_name)
{
	param_reg *p = param_create();
	char err[256];
	ck_assert_int_eq(machine_params_register(p), PARAM_OK);
	ck_assert_int_ne(param_set_assignment(p, "migrate.policy=xl", "test", err, sizeof(err)),
			 PARAM_OK);
	ck_assert_ptr_nonnull(strstr(err, "migrate.policy"));
	param_destroy(p);
}
END_TEST

Suite *xen_suite(void)
{
	Suite *s = suite_create("xen");
	TCase *tc = tcase_create("precopy");
	tcase_add_test(tc, xen_legacy_stops_at_three_times_memory);
	tcase_add_test(tc, xen_legacy_makes_29_live_passes_and_the_last);
	tcase_add_test(tc, xen_legacy_counts_sent_and_skipped_against_50);
	tcase_add_test(tc, xen_v2_makes_at_most_5_live_passes);
	tcase_add_test(tc, xen_v2_threshold_is_at_most);
	tcase_add_test(tc, xen_policy_refuses_an_unknown_name);
	tcase_add_test(tc, xen_guest_dirtying_everything_under_each_policy);
	tcase_add_test(tc, xen_policy_default_is_legacy);
	tcase_add_test(tc, xen_sender_cost_overlaps_the_link);
	tcase_add_test(tc, xen_per_page_flush_is_in_the_patchs_5m);
	tcase_add_test(tc, xen_marking_is_charged);
	tcase_add_test(tc, xen_superpage_off_maps_4k_frames);
	tcase_add_test(tc, xen_control_mode_pv_and_translated);
	suite_add_tcase(s, tc);
	return s;
}
