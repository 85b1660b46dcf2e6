/*
 * tests/check_migrate.c - live-migration pre-copy (sim/study/migrate.c) and the
 * Xen superpage rules it maps by (model/xenmm/spage.c).
 *
 * Every expectation is worked out by hand from the rules at the top of
 * those files. The engine cases run a "quiet" machine: core.freq_ghz=1 and
 * every latency and cost 0 except core.cpi=1, so the guest's clock is its
 * instructions in nanoseconds; the link sends one 4 KB page per
 * microsecond (migrate.bandwidth = 4096e6 bytes/s); every trace record
 * retires 1000 instructions (one microsecond). The guest (x86, 4 KB pages
 * at both stages) touches data pages A..D at VA 0x10000000 + n x 4 KB: with
 * its four table pages (PML4, PDPT, PD, PT) it has 8 populated pages, in
 * guest-physical order the root, A, the PDPT, PD and PT that A's mapping
 * needed (the guest OS takes a frame, then maps it), B, C, D.
 *
 * The stop rule is migrate.policy's default, legacy (Xen <= 4.5
 * xc_domain_save.c): after live pass N the next pass is the last when N >=
 * DEF_MAX_ITERS (29), when the pass sent plus skipped fewer than
 * migrate.stop_pages pages, or when more than DEF_MAX_FACTOR (3) x the
 * populated pages were sent in all; before each batch of
 * migrate.map_batch pages (1024) the pages of the pass's list written
 * since its harvest are skipped (SHADOW_OP_PEEK). Note that the rule looks
 * at what the pass sent, not at what its harvest found: a pass after a
 * harvest of 1 page still goes on if the pass itself sent 2 or more, and a
 * harvest of nothing is followed by a live pass of nothing (sent 0, the
 * next is the last), as xc_domain_save does.
 */
#include "check_util.h"
#include <math.h>
#include "machine.h"
#include "migrate.h"
#include "spage.h"

/* ---------------------------------------------------------------- superpage rules */

#define SP0 UINT64_C(0x100000)   /* a superpage's first machine frame (2 MB aligned) */

/* mark_superpage on an unused superpage takes a writable type on each of
 * its 512 pages and one use; a second mark is "Duplicate superpage mark
 * attempt" (-EINVAL), counted, and changes nothing. */
START_TEST(spage_double_mark_is_refused_and_counted)
{
	spage_sys *s = spage_create();
	ck_assert_int_eq(spage_mark(s, SP0 + 7), 0);   /* any frame names its superpage */
	ck_assert_uint_eq(spage_type(s, SP0), SGT_mark);
	ck_assert_uint_eq(spage_count(s, SP0), 1);
	ck_assert_int_eq(spage_mark(s, SP0), -XEN_EINVAL);
	const spage_counters *n = spage_stats(s);
	ck_assert_uint_eq(n->marks, 1);
	ck_assert_uint_eq(n->mark_dup, 1);
	ck_assert_uint_eq(n->page_refs, 512);
	ck_assert_uint_eq(spage_count(s, SP0), 1);
	spage_destroy(s);
}
END_TEST

/* unmark_superpage of anything but SGT_mark: "Attempt to unmark unmarked
 * superpage" (-EINVAL); unmarking the last use drops the 512 references. */
START_TEST(spage_unmark_of_an_unmarked_superpage_is_refused)
{
	spage_sys *s = spage_create();
	ck_assert_int_eq(spage_unmark(s, SP0), -XEN_EINVAL);
	ck_assert_int_eq(spage_mark(s, SP0), 0);
	ck_assert_int_eq(spage_unmark(s, SP0), 0);
	ck_assert_uint_eq(spage_type(s, SP0), SGT_none);
	ck_assert_int_eq(spage_unmark(s, SP0), -XEN_EINVAL);
	const spage_counters *n = spage_stats(s);
	ck_assert_uint_eq(n->unmark_errors, 2);
	ck_assert_uint_eq(n->unmarks, 1);
	ck_assert_uint_eq(n->page_refs, 1024);   /* 512 taken, 512 dropped */
	spage_destroy(s);
}
END_TEST

/* get_spage_pages stops at the first page that is a page table (type
 * conflict) and drops what it took: marking a superpage whose page 5 is a
 * page table takes and returns 5 references, and is refused. */
START_TEST(spage_mark_is_refused_over_a_page_table)
{
	spage_sys *s = spage_create();
	ck_assert_int_eq(spage_make_table(s, SP0 + 5), 0);
	ck_assert_int_eq(spage_mark(s, SP0), -XEN_EINVAL);
	ck_assert_uint_eq(spage_type(s, SP0), SGT_none);
	const spage_counters *n = spage_stats(s);
	ck_assert_uint_eq(n->mark_conflict, 1);
	ck_assert_uint_eq(n->page_refs, 10);
	ck_assert_int_eq(spage_get(s, SP0), -XEN_EINVAL);   /* nor mapped whole */
	ck_assert_uint_eq(n->get_conflict, 1);
	spage_destroy(s);
}
END_TEST

/* Marked, every page holds a writable type: none can become a page table
 * (refused, counted); unmarked, it can. */
START_TEST(spage_marked_page_cannot_become_a_page_table)
{
	spage_sys *s = spage_create();
	ck_assert_int_eq(spage_mark(s, SP0), 0);
	ck_assert_int_eq(spage_make_table(s, SP0 + 511), -XEN_EINVAL);
	ck_assert_uint_eq(spage_stats(s)->table_refused, 1);
	ck_assert_int_eq(spage_unmark(s, SP0), 0);
	ck_assert_int_eq(spage_make_table(s, SP0 + 511), 0);
	ck_assert_int_eq(spage_mark(s, SP0), -XEN_EINVAL);
	spage_destroy(s);
}
END_TEST

/* get_superpage: an unused superpage takes 512 references and becomes
 * dynamic; a marked one only counts - one reference instead of 512.
 * put_superpage drops a dynamic superpage's 512 at its last use; unmarking
 * a mapped marked superpage leaves it dynamic. */
START_TEST(spage_mapping_a_marked_superpage_takes_one_reference)
{
	spage_sys *s = spage_create();
	const spage_counters *n = spage_stats(s);
	ck_assert_int_eq(spage_get(s, SP0), 0);
	ck_assert_uint_eq(spage_type(s, SP0), SGT_dynamic);
	ck_assert_uint_eq(n->page_refs, 512);
	ck_assert_uint_eq(n->spage_refs, 1);
	spage_put(s, SP0);
	ck_assert_uint_eq(spage_type(s, SP0), SGT_none);
	ck_assert_uint_eq(n->page_refs, 1024);
	ck_assert_int_eq(spage_mark(s, SP0), 0);             /* 512 more */
	ck_assert_int_eq(spage_get(s, SP0), 0);
	spage_put(s, SP0);
	ck_assert_uint_eq(n->page_refs, 1536);               /* the mapping took none */
	ck_assert_uint_eq(n->spage_refs, 2 + 3);
	ck_assert_int_eq(spage_get(s, SP0), 0);
	ck_assert_int_eq(spage_unmark(s, SP0), 0);
	ck_assert_uint_eq(spage_type(s, SP0), SGT_dynamic);
	ck_assert_uint_eq(spage_count(s, SP0), 1);
	spage_put(s, SP0);
	ck_assert_uint_eq(spage_type(s, SP0), SGT_none);
	ck_assert_uint_eq(n->page_refs, 2048);
	spage_destroy(s);
}
END_TEST

/* ---------------------------------------------------------------- the engine */

#define VA_A UINT64_C(0x10000000)
#define PG(n) (VA_A + (uint64_t)(n) * 4096)

static trace_rec rec(unsigned kind, uint64_t va)
{
	return (trace_rec){ .gva = va, .icount = 1000, .size = 8, .kind = (uint8_t)kind };
}

typedef struct memsrc {
	const trace_rec *r;
	size_t n, pos;
	migrate_round said[64];   /* what round_done said, in order */
	size_t nsaid;
} memsrc;

/* migrate_source.round_done: each round as it finishes (issue 29). */
static void ms_round(void *ctx, const migrate_round *r, size_t i)
{
	memsrc *m = ctx;
	ck_assert_uint_eq(i, m->nsaid);   /* in order, each once */
	if (m->nsaid < 64)
		m->said[m->nsaid] = *r;
	m->nsaid++;
}

static long ms_read(void *ctx, trace_rec *b, size_t max, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	memsrc *m = ctx;
	size_t k = m->n - m->pos < max ? m->n - m->pos : max;
	memcpy(b, m->r + m->pos, k * sizeof(*b));
	m->pos += k;
	return (long)k;
}

static int ms_rewind(void *ctx, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	((memsrc *)ctx)->pos = 0;
	return TRACE_OK;
}

static const char *const QUIET[] = {
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
	"host.page=base", "guest.page=base", "migrate.loop=0", "dirtylog.mode=wp",
	/* The guest OS presets its stage-1 A/D flags (as Linux does for
	 * anonymous memory), so its page-table pages are written only by itself:
	 * the counts below are the migration's alone. What the hardware's
	 * stage-1 A/D writes add is migrate_hw_ad_dirties_the_guests_table_pages. */
	"guest.hw_accessed=0", "guest.hw_dirty=0", NULL
};

/* QUIET, then SETS (NULL-terminated); the registry. */
static param_reg *conf(const char *const *sets)
{
	param_reg *p = param_create();
	char err[256];
	ck_assert_int_eq(machine_params_register(p), PARAM_OK);
	for (const char *const *s = QUIET; *s; s++)
		ck_assert_msg(param_set_assignment(p, *s, "test", err, sizeof(err)) == PARAM_OK, "%s",
			      err);
	for (const char *const *s = sets; s && *s; s++)
		ck_assert_msg(param_set_assignment(p, *s, "test", err, sizeof(err)) == PARAM_OK, "%s",
			      err);
	return p;
}

typedef struct run {
	param_reg *p;
	migrate *x;
	stats_reg *st;
	const migrate_round *r;
	size_t nr;
} run;

static run migrate_trace(const trace_rec *t, size_t n, const char *const *sets)
{
	run u = { .p = conf(sets) };
	char err[512];
	ck_assert_msg(migrate_create(&u.x, u.p, err, sizeof(err)) == TRACE_OK, "%s", err);
	memsrc m = { .r = t, .n = n };
	migrate_source src = { .read = ms_read, .rewind = ms_rewind, .ctx = &m, .name = "test",
			       .round_done = ms_round };
	ck_assert_msg(migrate_run(u.x, &src, err, sizeof(err)) == TRACE_OK, "%s", err);
	u.st = machine_stats(migrate_machine(u.x));
	u.r = migrate_rounds(u.x, &u.nr);
	/* Every round was said as it finished, as the engine keeps it (the
	 * stop-and-copy last). */
	ck_assert_uint_eq(m.nsaid, u.nr);
	for (size_t i = 0; i < u.nr && i < 64; i++)
		ck_assert_msg(m.said[i].start_us == u.r[i].start_us &&
			      m.said[i].duration_us == u.r[i].duration_us &&
			      m.said[i].pages_sent == u.r[i].pages_sent &&
			      m.said[i].pages_skipped == u.r[i].pages_skipped &&
			      m.said[i].pages_dirtied == u.r[i].pages_dirtied &&
			      m.said[i].map_cycles == u.r[i].map_cycles &&
			      m.said[i].final == u.r[i].final, "round %zu said otherwise", i);
	return u;
}

static void run_free(run *u)
{
	migrate_destroy(u->x);
	param_destroy(u->p);
}

static uint64_t S(const run *u, const char *name)
{
	int found;
	uint64_t v = stats_get(u->st, name, &found);
	ck_assert_msg(found, "no statistic %s", name);
	return v;
}

/* Rounds (pages sent, pages dirtied, microseconds), the stop-and-copy last. */
static void expect_rounds(const run *u, size_t n, const uint64_t (*want)[3])
{
	ck_assert_uint_eq(u->nr, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(u->r[i].pages_sent == want[i][0], "round %zu sent %llu, want %llu", i,
			      (unsigned long long)u->r[i].pages_sent, (unsigned long long)want[i][0]);
		ck_assert_msg(u->r[i].pages_dirtied == want[i][1], "round %zu dirtied %llu, want "
			      "%llu", i, (unsigned long long)u->r[i].pages_dirtied,
			      (unsigned long long)want[i][1]);
		ck_assert_msg(fabs(u->r[i].duration_us - (double)want[i][2]) < 1e-6, "round %zu took "
			      "%.9f us, want %llu", i, u->r[i].duration_us,
			      (unsigned long long)want[i][2]);
		ck_assert_int_eq(u->r[i].final, i + 1 == n);
	}
}

/* Twelve records into T: A B C D written, A B again, reads, C once more,
 * reads. */
static const trace_rec *twelve(trace_rec t[12])
{
	const unsigned k[12] = { TRACE_W, TRACE_W, TRACE_W, TRACE_W, TRACE_W, TRACE_W,
				 TRACE_R, TRACE_R, TRACE_W, TRACE_R, TRACE_R, TRACE_R };
	const unsigned pg[12] = { 0, 1, 2, 3, 0, 1, 0, 0, 2, 0, 0, 0 };
	for (int i = 0; i < 12; i++)
		t[i] = rec(k[i], PG(pg[i]));
	return t;
}

/* wp, migrate.stop_pages=2, batch of 1024 (one batch a pass: its peek, at
 * the pass's start, right after the harvest, skips nothing). Pass 1 sends
 * the 8 populated pages in 8 us, the guest runs records 0-7 (writes A B C
 * D A B): 4 dirty; it sent 8, not under 2. Pass 2 sends the 4 in 4 us, the
 * guest runs 8-11 (writes C): 1 dirty; it sent 4. Pass 3 sends C in 1 us
 * (the trace has ended: the guest idles): nothing dirty, and it sent 1,
 * under 2: the stop-and-copy is next and sends nothing. 8 + 4 + 1 = 13
 * pages in 13 us, 0 us down, nothing lost; 3 live passes. */
START_TEST(migrate_rounds_stop_under_stop_pages)
{
	trace_rec t12[12];
	const char *const sets[] = { "migrate.stop_pages=2", NULL };
	run u = migrate_trace(twelve(t12), 12, sets);
	const uint64_t want[][3] = { { 8, 4, 8 }, { 4, 1, 4 }, { 1, 0, 1 }, { 0, 0, 0 } };
	expect_rounds(&u, 4, want);
	ck_assert_uint_eq(S(&u, "migrate.rounds"), 3);
	ck_assert_uint_eq(S(&u, "migrate.pages_sent"), 13);
	ck_assert_uint_eq(S(&u, "migrate.pages_skipped"), 0);
	ck_assert_uint_eq(S(&u, "migrate.total_us"), 13);
	ck_assert_uint_eq(S(&u, "migrate.downtime_us"), 0);
	ck_assert_uint_eq(S(&u, "migrate.lost_pages"), 0);
	ck_assert_uint_eq(S(&u, "migrate.unsent_pages"), 0);
	ck_assert_uint_eq(S(&u, "migrate.loops"), 0);
	ck_assert_uint_eq(S(&u, "records"), 12);
	ck_assert_uint_eq(S(&u, "wp.faults"), 5);   /* A B C D, then C after the harvest */
	ck_assert_uint_eq(S(&u, "migrate.guest_cycles"), 12000);
	ck_assert_uint_eq(S(&u, "migrate.baseline_cycles"), 12000);
	ck_assert_str_eq(migrate_stop_reason(u.x),
			 "the last live pass sent and skipped fewer than migrate.stop_pages pages");
	run_free(&u);
	/* The earlier rule (dirtyset) stops on the harvest's count: pass 2's
	 * harvest of 1 is under 2, so the stop-and-copy sends C: 13 pages,
	 * 1 us down, 2 live rounds. */
	const char *const ds[] = { "migrate.stop_pages=2", "migrate.policy=dirtyset", NULL };
	u = migrate_trace(twelve(t12), 12, ds);
	const uint64_t dw[][3] = { { 8, 4, 8 }, { 4, 1, 4 }, { 1, 0, 1 } };
	expect_rounds(&u, 3, dw);
	ck_assert_uint_eq(S(&u, "migrate.rounds"), 2);
	ck_assert_uint_eq(S(&u, "migrate.downtime_us"), 1);
	ck_assert_str_eq(migrate_stop_reason(u.x), "the dirty set was under migrate.stop_pages");
	run_free(&u);
}
END_TEST

/* The same with pml: EPT A/D makes the guest's walks through its four
 * table pages writes (ept.ad_gpt_write), so every round that walks after
 * the harvest's invalidation logs them too. Pass 1: A B C D + 4 tables =
 * 8; pass 2 sends 8 in 8 us while the guest runs 8-11 (C + 4 tables = 5);
 * pass 3 sends 5 with the guest idle (its trace ended, migrate.loop=0):
 * nothing dirty, but it sent 5 (not under 2) and 8 + 8 + 5 = 21 is not
 * more than 3 x 8: pass 4 sends nothing, under 2; the stop-and-copy
 * sends nothing. */
START_TEST(migrate_pml_logs_the_guests_table_pages)
{
	trace_rec t12[12];
	const char *const sets[] = { "migrate.stop_pages=2", "dirtylog.mode=pml", NULL };
	run u = migrate_trace(twelve(t12), 12, sets);
	const uint64_t want[][3] = { { 8, 8, 8 }, { 8, 5, 8 }, { 5, 0, 5 }, { 0, 0, 0 },
				     { 0, 0, 0 } };
	expect_rounds(&u, 5, want);
	ck_assert_uint_eq(S(&u, "migrate.total_us"), 21);
	ck_assert_uint_eq(S(&u, "migrate.downtime_us"), 0);
	ck_assert_uint_eq(S(&u, "dirtylog.extra_pages"), 8);
	ck_assert_uint_eq(S(&u, "migrate.lost_pages"), 0);
	run_free(&u);
}
END_TEST

/* The twelve records of migrate_rounds_stop_under_stop_pages with the
 * hardware setting the guest's stage-1 A/D flags, which the guest OS created
 * clear (guest.hw_accessed, guest.hw_dirty). The 8 pages are populated
 * before round 0 with every A = 0 and D = 0, then all 8 are write-protected
 * (wp). Record 0 (W A) walks PML4E, PDPTE, PDE, PTE: each needs A (the PTE
 * A and D), a write to its table page through stage 2 - a write-protection
 * fault on each of the 4 table pages, then one on A itself: 5 faults.
 * Records 1-3 (W B, C, D) set A and D in their PTEs in the PT page, which
 * is writable now: one fault each, on the data page. 4-7 hit the TLB.
 * Round 0 dirtied A B C D and the 4 table pages: 8 (the tables are extra
 * pages: not written by the trace). Round 1 sends 8 in 8 us; the harvest
 * re-protected everything and invalidated, and the guest runs 8-11: W C
 * walks entries whose A and D are all set (round 0 set them, the guest
 * never clears them): no table write, one fault on C; R A walks and writes
 * nothing. 1 dirty, but pass 2 sent 8: pass 3 sends C (1 us, the guest
 * idle), under 2: the stop-and-copy sends nothing. 8 + 8 + 1 = 17 pages
 * and 17 us; 5 + 3 + 1 = 9 faults. */
START_TEST(migrate_hw_ad_dirties_the_guests_table_pages)
{
	trace_rec t12[12];
	const char *const sets[] = { "migrate.stop_pages=2", "guest.hw_accessed=1",
				     "guest.hw_dirty=1", NULL };
	run u = migrate_trace(twelve(t12), 12, sets);
	const uint64_t want[][3] = { { 8, 8, 8 }, { 8, 1, 8 }, { 1, 0, 1 }, { 0, 0, 0 } };
	expect_rounds(&u, 4, want);
	ck_assert_uint_eq(S(&u, "migrate.pages_sent"), 17);
	ck_assert_uint_eq(S(&u, "migrate.total_us"), 17);
	ck_assert_uint_eq(S(&u, "migrate.downtime_us"), 0);
	ck_assert_uint_eq(S(&u, "wp.faults"), 9);
	ck_assert_uint_eq(S(&u, "walk.s1_ad_s2_faults"), 4);
	ck_assert_uint_eq(S(&u, "dirtylog.extra_pages"), 4);
	/* A: the PML4E, PDPTE and PDE + 4 PTEs; D: the 4 PTEs, each in the write
	 * that set its A (their first access is a write). */
	ck_assert_uint_eq(S(&u, "walk.s1_accessed"), 7);
	ck_assert_uint_eq(S(&u, "walk.s1_dirtied"), 4);
	ck_assert_uint_eq(S(&u, "walk.s1_ad_writes"), 7);
	ck_assert_uint_eq(S(&u, "migrate.lost_pages"), 0);
	run_free(&u);
}
END_TEST

/* migrate.max_rounds=1: pass 1, then stop-and-copy of its 4 dirty pages
 * (the pass limit comes first in xc_domain_save's test). */
START_TEST(migrate_max_rounds_forces_stop_and_copy)
{
	trace_rec t12[12];
	const char *const sets[] = { "migrate.stop_pages=2", "migrate.max_rounds=1", NULL };
	run u = migrate_trace(twelve(t12), 12, sets);
	const uint64_t want[][3] = { { 8, 4, 8 }, { 4, 0, 4 } };
	expect_rounds(&u, 2, want);
	ck_assert_uint_eq(S(&u, "migrate.downtime_us"), 4);
	ck_assert_uint_eq(S(&u, "records"), 8);   /* paused from 8 us on */
	ck_assert_str_eq(migrate_stop_reason(u.x), "migrate.max_rounds rounds were made");
	run_free(&u);
}
END_TEST

/* migrate.loop: W A, W A replayed. Round 0 (A + 4 tables, 5 us) runs 5
 * records: passes 1, 2 and the first record of pass 3; rounds 1 and 2
 * send A (1 us each) while one more record runs - a write each time - so
 * A stays dirty; max_rounds=3 ends it: A sent again with the guest paused.
 * 7 records in 4 passes: 3 replays. */
START_TEST(migrate_loops_a_trace_shorter_than_the_migration)
{
	const trace_rec t[2] = { rec(TRACE_W, PG(0)), rec(TRACE_W, PG(0)) };
	const char *const sets[] = { "migrate.loop=1", "migrate.stop_pages=1",
				     "migrate.max_rounds=3", NULL };
	run u = migrate_trace(t, 2, sets);
	const uint64_t want[][3] = { { 5, 1, 5 }, { 1, 1, 1 }, { 1, 1, 1 }, { 1, 0, 1 } };
	expect_rounds(&u, 4, want);
	ck_assert_uint_eq(S(&u, "records"), 7);
	ck_assert_uint_eq(S(&u, "migrate.loops"), 3);
	ck_assert_uint_eq(S(&u, "migrate.total_us"), 8);
	ck_assert_uint_eq(migrate_trace_records(u.x), 2);
	ck_assert_uint_eq(S(&u, "migrate.lost_pages"), 0);
	run_free(&u);
}
END_TEST

/* The guest's memory is populated before round 0, every page of every
 * ASID, a prefetch first touching one changing nothing: page A in ASID 0
 * and in ASID 2048 are two frames under two trees of 4 tables each: 10
 * pages in round 0, and no fault while the trace runs. */
START_TEST(migrate_populates_every_asids_pages_first)
{
	trace_rec t[3] = { rec(TRACE_P, PG(0)), rec(TRACE_R, PG(0)), rec(TRACE_R, PG(0)) };
	t[2].asid = 2048;
	run u = migrate_trace(t, 3, NULL);
	ck_assert_uint_eq(u.r[0].pages_sent, 10);
	ck_assert_uint_eq(S(&u, "fault.guest"), 0);
	ck_assert_uint_eq(S(&u, "fault.host"), 0);
	ck_assert_uint_eq(S(&u, "migrate.unsent_pages"), 0);
	run_free(&u);
}
END_TEST

/* ---------------------------------------------------------------- mapping */

/* The twelve records under each method (costs 0), stop_pages=2; the
 * peek before each batch now skips pages, so the methods' rounds differ.
 * Populated in GPA order: the root table T0, A, the PDPT, PD and PT its
 * mapping needed (T1-T3: the guest OS takes the frame, then maps it), B C
 * D.
 * batch of 3 (and persistent, which chunks alike):
 *  pass 1: [T0 A T1] at 0 us (3 us; records 0-2 write A B C); the peek at
 *   3 us skips B and C, so the next batch is [T2 T3 D] (3 us; records 3-5
 *   write D A B): sent 6, skipped 2, dirtied A B C D.
 *  pass 2: [A B C] at 6 us (records 6-8: R A, R A, W C), then the peek
 *   finds C written but not D: [D] (record 9 reads): sent 4, dirtied C.
 *  pass 3: [C] (record 10 reads): sent 1, under 2; the stop-and-copy
 *   sends nothing: 11 pages.
 *  batch: 2 + 2 + 1 = 5 calls, one hypercall and one flush each, 11
 *  frames. persistent: a call only for a chunk with pages not mapped yet
 *  - [T0 A T1], [T2 T3 D], [A B C] (B C) - 3 calls, 8 frames, one flush
 *  at the end.
 * per_page (a batch is a page):
 *  pass 1: T0, then (A written) T1 T2 T3, one a microsecond (records 0-3
 *   write A B C D); at 4 us the peek skips B C D: sent 4, skipped 4,
 *   dirtied 4.
 *  pass 2: A B C D (records 4-7: W A, W B, R A, R A; B is not written
 *   before its send at 5 us): sent 4, dirtied A B.
 *  pass 3: A B (records 8-9: W C, R A): sent 2, dirtied C.
 *  pass 4: C (record 10): sent 1, under 2; the stop-and-copy nothing:
 *  11 pages, 11 calls, hypercalls and flushes.
 * The control domain's TLB misses on every read but persistent's reads of
 * pages it mapped in an earlier chunk (A and D in pass 2, C in pass 3: no
 * flush between). */
START_TEST(migrate_map_calls_and_flushes_per_method)
{
	static const uint64_t batch3[][3] = { { 6, 4, 6 }, { 4, 1, 4 }, { 1, 0, 1 }, { 0, 0, 0 } };
	static const uint64_t page1[][3] = { { 4, 4, 4 }, { 4, 2, 4 }, { 2, 1, 2 }, { 1, 0, 1 },
					     { 0, 0, 0 } };
	struct {
		const char *map;
		const uint64_t (*rounds)[3];
		size_t nrounds;
		uint64_t skipped, calls, flushes, frames, l1d_misses;
	} c[] = {
		{ "migrate.map=batch", batch3, 4, 2, 5, 5, 11, 11 },
		{ "migrate.map=per_page", page1, 5, 4, 11, 11, 11, 11 },
		{ "migrate.map=persistent", batch3, 4, 2, 3, 1, 8, 8 },
	};
	trace_rec t12[12];
	for (unsigned i = 0; i < 3; i++) {
		const char *const sets[] = { "migrate.stop_pages=2", "migrate.map_batch=3", c[i].map,
					     NULL };
		run u = migrate_trace(twelve(t12), 12, sets);
		expect_rounds(&u, c[i].nrounds, c[i].rounds);
		ck_assert_uint_eq(S(&u, "migrate.pages_sent"), 11);
		ck_assert_msg(S(&u, "migrate.pages_skipped") == c[i].skipped, "%s", c[i].map);
		ck_assert_msg(S(&u, "migrate.map_calls") == c[i].calls, "%s", c[i].map);
		ck_assert_uint_eq(S(&u, "migrate.hypercalls"), c[i].calls);
		ck_assert_msg(S(&u, "migrate.flushes") == c[i].flushes, "%s", c[i].map);
		ck_assert_uint_eq(S(&u, "migrate.frames_mapped"), c[i].frames);
		ck_assert_uint_eq(S(&u, "migrate.entries_unmapped"), c[i].frames);
		ck_assert_msg(S(&u, "domain.1.tlb.l1d.misses") == c[i].l1d_misses, "%s: %llu",
			      c[i].map, (unsigned long long)S(&u, "domain.1.tlb.l1d.misses"));
		ck_assert_uint_eq(S(&u, "migrate.lost_pages"), 0);
		run_free(&u);
	}
}
END_TEST

/* Costs: a read-only guest of A, B and its 4 table pages (nothing dirty
 * after round 0). per_page: 6 calls of 1 + 10 + 100 cycles and 6 unmaps of
 * 1000 = 6,666 cycles; batch of 8: 1 + 10 + 600 + 6000 = 6,611. Each
 * chunk's flush (one vCPU) is its map call's, whose cost the fitted call,
 * hypercall and frame cycles hold (issue 24: the batched-mapping patch's
 * 5 M per 1024 pages one by one counted the flush hypercall), so the
 * 10000 of migrate.flush.cycles is charged for none. Round 0 lasts the
 * 6 us on the link plus those cycles (1 GHz). */
START_TEST(migrate_map_cycles_follow_the_costs)
{
	const trace_rec t[2] = { rec(TRACE_R, PG(0)), rec(TRACE_R, PG(1)) };
	struct { const char *map; uint64_t cyc; } c[] = {
		{ "migrate.map=per_page", 6666 }, { "migrate.map=batch", 6611 },
	};
	for (unsigned i = 0; i < 2; i++) {
		const char *const sets[] = { c[i].map, "migrate.call.cycles=1",
					     "migrate.hypercall.cycles=10",
					     "migrate.frame.cycles=100", "migrate.unmap.cycles=1000",
					     "migrate.flush.cycles=10000", "migrate.map_batch=8", NULL };
		run u = migrate_trace(t, 2, sets);
		const uint64_t want[][3] = { { 6, 0, 0 }, { 0, 0, 0 } };
		ck_assert_uint_eq(u.nr, 2);
		ck_assert_uint_eq(u.r[0].pages_sent, want[0][0]);
		ck_assert_uint_eq(u.r[0].pages_dirtied, 0);
		ck_assert_uint_eq(u.r[1].pages_sent, 0);
		ck_assert_uint_eq(S(&u, "migrate.map_cycles"), c[i].cyc);
		ck_assert_uint_eq(u.r[0].map_cycles, c[i].cyc);
		ck_assert_msg(fabs(u.r[0].duration_us - (6 + (double)c[i].cyc / 1e3)) < 1e-6,
			      "%s: %.6f us", c[i].map, u.r[0].duration_us);
		run_free(&u);
	}
}
END_TEST

/* REMAP_BATCH_SIZE: a batch call makes one hypercall per 16 frames. A
 * read-only guest of 36 pages under one PT (40 pages with its 4 tables,
 * all sent in round 0, nothing dirty after): batch of 40 = 1 call of
 * 3 hypercalls (16 + 16 + 8); of 16 = 3 calls (16, 16, 8) of 1 each; of
 * 17 = 3 calls (17, 17, 6) of 2 + 2 + 1 = 5; of 20 = 2 calls of 2 = 4.
 * Each hypercall costs 10 cycles and nothing else costs anything. */
START_TEST(migrate_batch_makes_a_hypercall_per_16_frames)
{
	trace_rec t[36];
	for (unsigned i = 0; i < 36; i++)
		t[i] = rec(TRACE_R, PG(i));
	struct { const char *batch; uint64_t calls, hypercalls; } c[] = {
		{ "migrate.map_batch=40", 1, 3 }, { "migrate.map_batch=16", 3, 3 },
		{ "migrate.map_batch=17", 3, 5 }, { "migrate.map_batch=20", 2, 4 },
	};
	for (unsigned i = 0; i < 4; i++) {
		const char *const sets[] = { "migrate.map=batch", c[i].batch,
					     "migrate.hypercall.cycles=10", NULL };
		run u = migrate_trace(t, 36, sets);
		ck_assert_uint_eq(u.r[0].pages_sent, 40);
		ck_assert_uint_eq(S(&u, "migrate.pages_sent"), 40);
		ck_assert_msg(S(&u, "migrate.map_calls") == c[i].calls, "%s: %llu calls", c[i].batch,
			      (unsigned long long)S(&u, "migrate.map_calls"));
		ck_assert_msg(S(&u, "migrate.hypercalls") == c[i].hypercalls, "%s: %llu hypercalls",
			      c[i].batch, (unsigned long long)S(&u, "migrate.hypercalls"));
		ck_assert_uint_eq(S(&u, "migrate.map_cycles"), 10 * c[i].hypercalls);
		ck_assert_uint_eq(S(&u, "migrate.frames_mapped"), 40);
		run_free(&u);
	}
}
END_TEST

/* ---------------------------------------------------------------- lost pages */

/* W A, then reads of B, then W A again after round 1's harvest. Round 0
 * (A, B + 4 tables: 6 us) runs records 0-5: A dirty. Round 1 sends A (1
 * us) and record 6 rewrites it. With dirtylog.invalidate=1 the harvest's
 * invalidation makes that write fault: A is dirty again, sent in round 2,
 * which max_rounds=3 makes the last live one; nothing lost. With
 * dirtylog.invalidate=0 the guest's TLB keeps A writable: no fault, an
 * empty dirty set - but round 1 sent 1 page, not under 1, so round 2
 * sends nothing (the guest does not run: the sender's clock stands
 * still), then the stop-and-copy nothing, and A is lost: its last write
 * never reached the destination. */
START_TEST(migrate_lost_pages_only_with_an_unsafe_switch)
{
	trace_rec t[8];
	t[0] = rec(TRACE_W, PG(0));
	for (int i = 1; i < 8; i++)
		t[i] = rec(TRACE_R, PG(1));
	t[6] = rec(TRACE_W, PG(0));
	const char *const safe[] = { "migrate.stop_pages=1", "migrate.max_rounds=3", NULL };
	run u = migrate_trace(t, 8, safe);
	const uint64_t w1[][3] = { { 6, 1, 6 }, { 1, 1, 1 }, { 1, 0, 1 }, { 0, 0, 0 } };
	expect_rounds(&u, 4, w1);
	ck_assert_uint_eq(S(&u, "migrate.lost_pages"), 0);
	run_free(&u);
	const char *const unsafe[] = { "migrate.stop_pages=1", "migrate.max_rounds=3",
				       "dirtylog.invalidate=0", NULL };
	u = migrate_trace(t, 8, unsafe);
	const uint64_t w2[][3] = { { 6, 1, 6 }, { 1, 0, 1 }, { 0, 0, 0 }, { 0, 0, 0 } };
	expect_rounds(&u, 4, w2);
	ck_assert_uint_eq(S(&u, "migrate.lost_pages"), 1);
	ck_assert_uint_eq(S(&u, "dirtylog.missed_pages"), 1);
	run_free(&u);
}
END_TEST

/* pml with dirtylog.flush_all_vcpus=0: the harvest reads no vCPU's
 * buffer, so round 0's writes (A and the 4 table pages, still in the PML
 * buffer) are never reported: round 0 sent 6 (not under 1), round 1 sends
 * nothing, and the stop-and-copy nothing: A is lost. */
START_TEST(migrate_lost_pages_without_flushing_every_vcpu)
{
	trace_rec t[8];
	t[0] = rec(TRACE_W, PG(0));
	for (int i = 1; i < 8; i++)
		t[i] = rec(TRACE_R, PG(1));
	const char *const sets[] = { "migrate.stop_pages=1", "dirtylog.mode=pml",
				     "dirtylog.flush_all_vcpus=0", NULL };
	run u = migrate_trace(t, 8, sets);
	const uint64_t want[][3] = { { 6, 0, 6 }, { 0, 0, 0 }, { 0, 0, 0 } };
	expect_rounds(&u, 3, want);
	ck_assert_uint_eq(S(&u, "migrate.lost_pages"), 1);
	run_free(&u);
	const char *const safe[] = { "migrate.stop_pages=1", "dirtylog.mode=pml", NULL };
	u = migrate_trace(t, 8, safe);
	ck_assert_uint_eq(S(&u, "migrate.lost_pages"), 0);
	run_free(&u);
}
END_TEST

/* ---------------------------------------------------------------- superpages */

/* host.page=2m, guest.page=2m: the guest's root table opens guest RAM at
 * 0x40000000, its one 2 MB data page follows at 0x40200000, and the PDPT
 * and PD its mapping needed at 0x40400000 (the guest OS takes the frame,
 * then pt_map the tables): three 2 MB host superpages, 1536 populated
 * pages, round 0 two batches (1024 + 512). Entries and unmaps cost 100
 * cycles each, a reference 1: mapping a region whole (refcount: 100 + 100 +
 * 1026) costs less than its 512 pages one by one (512 x 200), so each is
 * tried whole. The data superpage is mapped whole (one 2 MB entry); the two
 * table superpages cannot be (page 0 of each is a page table: refused
 * before any reference) and their 1024 pages are mapped one by one: 1025
 * entries and unmaps = 205,000 cycles. refcount: the mapping takes 512
 * references and one use, the unmap drops them: + 1026. mark: the data
 * superpage was marked at the start (512 references and a use, once, the
 * guest's; the table superpages' marks refused) and the mapping counts one
 * use on it and drops it: + 2; the marks are charged (issue 24): the data
 * superpage's 512 references and its use, + 513 (the three mark hypercalls
 * cost 0 here). */
START_TEST(migrate_superpage_mark_against_refcount)
{
	const trace_rec t[1] = { rec(TRACE_R, PG(0)) };
	struct { const char *mode; uint64_t page_refs, spage_refs, marks, refused, cyc; } c[] = {
		{ "migrate.superpage=refcount", 1024, 2, 0, 0, 205000 + 1026 },
		{ "migrate.superpage=mark", 512, 3, 1, 2, 205000 + 2 + 513 },
	};
	for (unsigned i = 0; i < 2; i++) {
		const char *const sets[] = { "host.page=2m", "guest.page=2m", c[i].mode,
					     "migrate.stop_pages=1", "migrate.ref.cycles=1",
					     "migrate.frame.cycles=100", "migrate.unmap.cycles=100",
					     NULL };
		run u = migrate_trace(t, 1, sets);
		ck_assert_uint_eq(u.r[0].pages_sent, 1536);
		ck_assert_uint_eq(S(&u, "migrate.superpages_mapped"), 1);
		ck_assert_uint_eq(S(&u, "migrate.frames_mapped"), 1024);
		ck_assert_uint_eq(S(&u, "migrate.map_calls"), 2);
		ck_assert_uint_eq(S(&u, "migrate.superpage.map_refused"), 2);
		ck_assert_uint_eq(S(&u, "migrate.page_refs"), c[i].page_refs);
		ck_assert_uint_eq(S(&u, "migrate.superpage_refs"), c[i].spage_refs);
		ck_assert_uint_eq(S(&u, "migrate.superpage.marks"), c[i].marks);
		ck_assert_uint_eq(S(&u, "migrate.superpage.mark_refused"), c[i].refused);
		ck_assert_uint_eq(S(&u, "migrate.map_cycles"), c[i].cyc);
		/* one 2 MB TLB entry serves the control domain's 512 reads of it */
		ck_assert_uint_eq(S(&u, "domain.1.tlb.fills.2m"), 1);
		ck_assert_uint_eq(S(&u, "migrate.lost_pages"), 0);
		run_free(&u);
	}
}
END_TEST

/* ---------------------------------------------------------------- refusals */

START_TEST(migrate_bad_configurations_are_refused_by_key)
{
	struct { const char *set; const char *key; } c[] = {
		{ "dirtylog.period=5000", "dirtylog.period" },
		{ "dirtylog.mode=off", "dirtylog.mode" },
		{ "dirtylog.range=16M", "dirtylog.range" },
		{ "domains=2", "domains" },
		{ "virt=none", "virt" },
		{ "domain.1.host.granule=64k", "domain.1.host.granule" },
	};
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const char *const sets[] = { c[i].set, i == 5 ? "arch=arm64" : NULL, NULL };
		param_reg *p = conf(sets);
		migrate *x;
		char err[512];
		int rc = migrate_create(&x, p, err, sizeof(err));
		ck_assert_msg(rc == TRACE_EFORMAT, "%s: rc %d", c[i].set, rc);
		ck_assert_msg(strstr(err, c[i].key) == err, "%s: '%s'", c[i].set, err);
		param_destroy(p);
	}
}
END_TEST

Suite *migrate_suite(void);
Suite *migrate_suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("spage");
	tcase_add_test(tc, spage_double_mark_is_refused_and_counted);
	tcase_add_test(tc, spage_unmark_of_an_unmarked_superpage_is_refused);
	tcase_add_test(tc, spage_mark_is_refused_over_a_page_table);
	tcase_add_test(tc, spage_marked_page_cannot_become_a_page_table);
	tcase_add_test(tc, spage_mapping_a_marked_superpage_takes_one_reference);
	suite_add_tcase(s, tc);
	tc = tcase_create("precopy");
	tcase_add_test(tc, migrate_rounds_stop_under_stop_pages);
	tcase_add_test(tc, migrate_pml_logs_the_guests_table_pages);
	tcase_add_test(tc, migrate_hw_ad_dirties_the_guests_table_pages);
	tcase_add_test(tc, migrate_max_rounds_forces_stop_and_copy);
	tcase_add_test(tc, migrate_loops_a_trace_shorter_than_the_migration);
	tcase_add_test(tc, migrate_populates_every_asids_pages_first);
	tcase_add_test(tc, migrate_map_calls_and_flushes_per_method);
	tcase_add_test(tc, migrate_map_cycles_follow_the_costs);
	tcase_add_test(tc, migrate_batch_makes_a_hypercall_per_16_frames);
	tcase_add_test(tc, migrate_lost_pages_only_with_an_unsafe_switch);
	tcase_add_test(tc, migrate_lost_pages_without_flushing_every_vcpu);
	tcase_add_test(tc, migrate_superpage_mark_against_refcount);
	tcase_add_test(tc, migrate_bad_configurations_are_refused_by_key);
	suite_add_tcase(s, tc);
	return s;
}
