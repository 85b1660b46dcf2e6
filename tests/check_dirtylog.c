/*
 * tests/check_dirtylog.c - dirty logging (sim/machine/dirtylog.c) through the
 * machine: the safety invariant over every mode, host page size, large-page
 * policy and range, and cases worked out by hand.
 *
 * The invariant: wherever the configuration is safe - everything but the
 * switches README and the parameters' help call unsafe
 * (dirtylog.invalidate=0, dirtylog.flush_all_vcpus=0, dirtylog.huge=keep
 * with pml, which logs one 4 KB GPA per large page) - no written page is
 * missed (dirtylog.missed_pages = 0), and no configuration the parameters
 * accept stops with an error.
 */
#include "check_util.h"
#include "check_sim.h"
#include "machine.h"
#include "simerr.h"

#define KB4 UINT64_C(0x1000)
#define MB1 UINT64_C(0x100000)
#define MB2 UINT64_C(0x200000)
#define GB1 UINT64_C(0x40000000)

/* ---------------------------------------------------------------- traces */

typedef struct dl_trace {
	trace_rec *r;
	size_t n, cap;
} dl_trace;

static void put(dl_trace *t, unsigned id, unsigned kind, uint64_t va, uint32_t icount)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->r = realloc(t->r, t->cap * sizeof(*t->r));
		ck_assert_ptr_nonnull(t->r);
	}
	t->r[t->n++] = (trace_rec){ .gva = va, .icount = icount, .vcpu = (uint16_t)id,
				    .size = 8, .kind = (uint8_t)kind };
}

#define SPREAD_VA  UINT64_C(0x7f0000000000)   /* 1 GB aligned */
#define SPREAD_N   540u                        /* 2 MB guest pages: a bit over 1 GB */
#define DENSE_VA   UINT64_C(0x10000000)
#define DENSE_N    700u

/* guest.page=2m: two vCPUs write one 4 KB piece of each of 540 2 MB
 * pages (their guest frames follow each other from the bottom of guest RAM,
 * so the writes spread over 1 GB and into the next), then read a fresh
 * piece of every 7th and write it, write every 3rd first piece again, and
 * write five pieces (0, 8K, 12K, 16K, 1M + 4K) of ten pages; 3
 * instructions a record. */
static void trace_spread(dl_trace *t)
{
	for (unsigned k = 0; k < SPREAD_N; k++)
		put(t, k & 1, TRACE_W, SPREAD_VA + k * MB2 + ((k * 37u) % 512u) * KB4, 3);
	for (unsigned k = 0; k < SPREAD_N; k += 7) {
		uint64_t va = SPREAD_VA + k * MB2 + ((k * 11u + 5u) % 512u) * KB4;
		put(t, k & 1, TRACE_R, va, 3);
		put(t, (k + 1) & 1, TRACE_W, va, 3);
	}
	for (unsigned k = 0; k < SPREAD_N; k += 3)
		put(t, (k + 1) & 1, TRACE_W, SPREAD_VA + k * MB2 + ((k * 37u) % 512u) * KB4, 3);
	static const unsigned frames[] = { 0, 1, 2, 299, 300, 301, 511, 512, 513, 539 };
	static const uint64_t offs[] = { 0, 8 * 1024, 12 * 1024, 16 * 1024, MB1 + KB4 };
	for (size_t f = 0; f < sizeof(frames) / sizeof(*frames); f++)
		for (size_t o = 0; o < sizeof(offs) / sizeof(*offs); o++)
			put(t, (unsigned)(f + o) & 1, TRACE_W,
			    SPREAD_VA + frames[f] * MB2 + offs[o], 3);
}

/* guest.page=4k: 700 first-touch writes of consecutive pages (their frames
 * follow the guest's four table pages, so they cross the first 2 MB), 100
 * pages read first and then written, every 5th page written again; 2
 * instructions a record. */
static void trace_dense(dl_trace *t)
{
	for (unsigned p = 0; p < DENSE_N; p++)
		put(t, p & 1, TRACE_W, DENSE_VA + p * KB4, 2);
	for (unsigned p = DENSE_N; p < DENSE_N + 100; p++) {
		put(t, p & 1, TRACE_R, DENSE_VA + p * KB4, 2);
		put(t, (p + 1) & 1, TRACE_W, DENSE_VA + p * KB4 + 64, 2);
	}
	for (unsigned p = 0; p < DENSE_N; p += 5)
		put(t, (p + 1) & 1, TRACE_W, DENSE_VA + p * KB4 + 128, 2);
}

/* ---------------------------------------------------------------- running */

typedef struct dl_out {
	int failed;                 /* an access or the finish returned -1 */
	char err[300];
	uint64_t missed, truth, reported, extra, splits, wp, rounds;
	uint64_t pml_full, pml_drained, hdbss_full, faults_host, cyc_dirtylog;
	uint64_t faults_guest, s2_faults, cyc_faults, cyc_s2_faults;
} dl_out;

/* Run trace T under the settings SETS (NULL-terminated); every statistic
 * the checks use into OUT. The machine's error, if any, is kept. */
static void dl_run(const char *const *sets, const dl_trace *t, int prefault, dl_out *out)
{
	memset(out, 0, sizeof(*out));
	param_reg *p = sim_params(sets);
	machine *m = sim_machine(p);
	size_t bad;
	if (prefault)   /* sim.prefault: every page mapped before logging starts */
		out->failed = machine_prefault(m, t->r, t->n, &bad) != 0;
	for (size_t i = 0; i < t->n && !out->failed; i++)
		out->failed = sim_access(m, &t->r[i], NULL) != 0;
	if (!out->failed)
		out->failed = machine_finish(m) != 0;
	if (out->failed) {
		snprintf(out->err, sizeof(out->err), "%s", machine_error(m));
	} else {
		stats_reg *s = machine_stats(m);
		out->missed = sim_stat(s, "dirtylog.missed_pages");
		out->truth = sim_stat(s, "dirtylog.true_pages");
		out->reported = sim_stat(s, "dirtylog.reported_pages");
		out->extra = sim_stat(s, "dirtylog.extra_pages");
		out->splits = sim_stat(s, "dirtylog.splits");
		out->wp = sim_stat(s, "wp.faults");
		out->rounds = sim_stat(s, "dirtylog.rounds");
		out->pml_full = sim_stat(s, "pml.full_exits");
		out->pml_drained = sim_stat(s, "pml.drained");
		out->hdbss_full = sim_stat(s, "hdbss.full_exits");
		out->faults_host = sim_stat(s, "fault.host");
		out->cyc_dirtylog = sim_stat(s, "cycles.dirtylog");
		out->faults_guest = sim_stat(s, "fault.guest");
		out->s2_faults = sim_stat(s, "dirtylog.s2_faults");
		out->cyc_faults = sim_stat(s, "cycles.faults");
		out->cyc_s2_faults = sim_stat(s, "cycles.dirtylog.s2_faults");
	}
	machine_destroy(m);
	param_destroy(p);
}

/* The guest-physical address of record I's first byte with logging off. */
static uint64_t gpa_of(const char *arch, const char *gpage, const dl_trace *t, size_t i)
{
	char a[64], gp[64];
	snprintf(a, sizeof(a), "arch=%s", arch);
	snprintf(gp, sizeof(gp), "guest.page=%s", gpage);
	const char *sets[] = { a, gp, "host.page=4k", NULL };
	param_reg *p = sim_params(sets);
	machine *m = sim_machine(p);
	machine_result res;
	for (size_t k = 0; k <= i; k++)
		ck_assert_int_eq(sim_access(m, &t->r[k], &res), 0);
	machine_destroy(m);
	param_destroy(p);
	return res.gpa[0];
}

/* ---------------------------------------------------------------- invariant */

/* The sweep: every mode of each architecture x host.page {4k, 2m, 1g} x
 * dirtylog.huge {split, wp, keep} x the range {all; 1 MB, inside the first
 * large page; one that ends 12 KB into a written 2 MB page in the middle of
 * the first 1 GB (writes on both sides of its end); the same from
 * dirtylog.range_base=1M, so that it starts inside a large page too; 4 GB,
 * beyond every large page written} x dirtylog.policy {xen, kvm}, on both
 * traces,
 * each with demand faults and prefaulted (sim.prefault: large pages mapped
 * before logging starts), a round every 1000 instructions (3 rounds
 * each). Every run finishes;
 * every safe one misses nothing. */
START_TEST(dirtylog_safe_configurations_miss_nothing)
{
	static const struct { const char *arch, *mode; } modes[] = {
		{ "x86", "wp" }, { "x86", "pml" },
		{ "arm64", "wp" }, { "arm64", "dbm" }, { "arm64", "hdbss" },
	};
	static const char *const pages[] = { "4k", "2m", "1g" };
	static const char *const huges[] = { "split", "wp", "keep" };
	static const char *const policies[] = { "xen", "kvm" };
	dl_trace tr[2] = { { 0 }, { 0 } };
	trace_spread(&tr[0]);
	trace_dense(&tr[1]);
	static const char *const gpage[2] = { "2m", "4k" };
	/* The straddling end: 12 KB into frame 300's 2 MB page (spread), 4 KB
	 * into page 600's (dense: a page mid-way, past the first 2 MB). */
	const size_t mid_rec[2] = { 300, 600 };
	const uint64_t mid_off[2] = { 12 * 1024, 4 * 1024 };
	unsigned runs = 0, safe = 0;
	for (size_t a = 0; a < 2; a++) {
		const char *arch = a ? "arm64" : "x86";
		for (size_t ti = 0; ti < 2; ti++) {
			uint64_t g = gpa_of(arch, gpage[ti], &tr[ti], mid_rec[ti]);
			uint64_t gb = ti == 0 ? g & ~(MB2 - 1) : g & ~(KB4 - 1);
			ck_assert_uint_gt(gb, GUEST_RAM_BASE + MB2);
			ck_assert_uint_lt(gb, GUEST_RAM_BASE + GB1);
			uint64_t mid = gb - GUEST_RAM_BASE + mid_off[ti];
			const uint64_t ranges[5] = { 0, MB1, mid, mid - MB1, 4 * GB1 };
			const uint64_t bases[5] = { 0, 0, 0, MB1, 0 };
			for (size_t mi = 0; mi < sizeof(modes) / sizeof(*modes); mi++) {
				if (strcmp(modes[mi].arch, arch))
					continue;
				for (size_t pi = 0; pi < 3; pi++)
				for (size_t hi = 0; hi < 3; hi++)
				for (size_t ri = 0; ri < 5; ri++)
				for (size_t po = 0; po < 2; po++)
				for (int pf = 0; pf < 2; pf++) {
					char s[9][64];
					snprintf(s[0], 64, "arch=%s", arch);
					snprintf(s[1], 64, "dirtylog.mode=%s", modes[mi].mode);
					snprintf(s[2], 64, "host.page=%s", pages[pi]);
					snprintf(s[3], 64, "dirtylog.huge=%s", huges[hi]);
					snprintf(s[4], 64, "dirtylog.range=%llu",
						 (unsigned long long)ranges[ri]);
					snprintf(s[5], 64, "guest.page=%s", gpage[ti]);
					snprintf(s[6], 64, "dirtylog.policy=%s", policies[po]);
					snprintf(s[7], 64, "dirtylog.range_base=%llu",
						 (unsigned long long)bases[ri]);
					const char *sets[] = { s[0], s[1], s[2], s[3], s[4], s[5],
							       s[6], s[7], "dirtylog.period=1000", NULL };
					dl_out o;
					dl_run(sets, &tr[ti], pf, &o);
					runs++;
					ck_assert_msg(!o.failed, "%s %s %s %s %s %s %s %s prefault=%d: %s",
						      s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], pf,
						      o.err);
					ck_assert_uint_eq(o.rounds, 3);
					/* The faults logging caused are booked apart, each at
					 * fault.host.cycles: fault handling is conserved; only
					 * base-page mapping (huge=split) causes them, and a
					 * region's first fault stays the guest's. */
					ck_assert_uint_eq(o.cyc_faults + o.cyc_s2_faults,
							  o.faults_guest * 2500 + o.faults_host * 7500);
					ck_assert_uint_eq(o.cyc_s2_faults, o.s2_faults * 7500);
					ck_assert_uint_lt(o.s2_faults, o.faults_host + (o.faults_host == 0));
					if (hi != 0 || pf)
						ck_assert_uint_eq(o.s2_faults, 0);
					int unsafe = !strcmp(modes[mi].mode, "pml") && hi == 2;
					if (unsafe)
						continue;
					safe++;
					/* (the spread trace writes nothing in the first 1 MB) */
					if (ri != 1 || ti == 1)
						ck_assert_uint_gt(o.truth, 0);
					ck_assert_msg(o.missed == 0, "%s %s %s %s %s %s %s %s prefault=%d: %llu "
						      "of %llu written pages missed", s[0], s[1], s[2],
						      s[3], s[4], s[5], s[6], s[7], pf,
						      (unsigned long long)o.missed,
						      (unsigned long long)o.truth);
				}
			}
		}
	}
	/* 5 modes x 3 x 3 x 5 ranges x 2 policies x prefault or not x 2 traces;
	 * pml with keep unsafe. */
	ck_assert_uint_eq(runs, 5 * 3 * 3 * 5 * 2 * 2 * 2);
	ck_assert_uint_eq(safe, runs - 3 * 5 * 2 * 2 * 2);
	free(tr[0].r);
	free(tr[1].r);
}
END_TEST

/* ---------------------------------------------------------------- by hand */

/* The hand-worked cases count the hypervisor's work alone: where the model
 * lets the walker set stage-1 A/D (guest.hw_accessed, guest.hw_dirty), it
 * is set off here - the guest creates its entries accessed and dirty, as
 * Linux x86 does - so that no guest page-table page is written while
 * logging. Pages listed for it are mapped before logging starts
 * (sim.prefault: machine_prefault, no vCPU exists yet, so arming costs no
 * invalidation). Costs are the defaults: an exit 1,400 cycles, a fault's
 * handling 2,000, a split 20,000, a PML/HDBSS entry drained 150, a bitmap
 * bit 10, a leaf re-armed 40, an invalidation 2,000 per vCPU; one vCPU. */

typedef struct hand {
	param_reg *p;
	machine *m;
} hand;

/* KEY=VALUE where the registry has KEY. */
static void set_if_known(param_reg *p, const char *key, const char *value)
{
	char err[256];
	for (size_t i = 0; i < param_count(p); i++)
		if (!strcmp(param_name_at(p, i), key)) {
			ck_assert_msg(param_set(p, key, value, "test", err, sizeof(err)) == PARAM_OK,
				      "%s", err);
			return;
		}
}

/* A machine with SETS; the N records of PREFAULT mapped before logging. */
static void hand_open(hand *h, const char *const *sets, const trace_rec *prefault, size_t n)
{
	h->p = sim_params(sets);
	set_if_known(h->p, "guest.hw_accessed", "0");
	set_if_known(h->p, "guest.hw_dirty", "0");
	h->m = sim_machine(h->p);
	size_t bad;
	ck_assert_int_eq(machine_prefault(h->m, prefault, n, &bad), 0);
}

static void hand_run(hand *h, const trace_rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(sim_access(h->m, &r[i], NULL) == 0, "record %zu: %s", i,
			      machine_error(h->m));
	ck_assert_msg(machine_finish(h->m) == 0, "%s", machine_error(h->m));
}

static uint64_t hand_stat(hand *h, const char *name)
{
	return sim_stat(machine_stats(h->m), name);
}

static void hand_close(hand *h)
{
	machine_destroy(h->m);
	param_destroy(h->p);
}

static trace_rec w8(uint64_t va, uint32_t icount)
{
	return (trace_rec){ .gva = va, .icount = icount, .size = 8, .kind = TRACE_W };
}

/* Issue 23, cycles booked where they belong: 600 first-touch writes of
 * 4 KB pages (x86, guest.page=4k, host.page=thp; VA 0x7f0000000000 up,
 * 4 KB apart). The guest's frames follow each other from the bottom of
 * guest RAM: its root, PDPT, PD and first page table, data pages, a second
 * page table after the 512th: 605 frames, 512 in the first 2 MB region and
 * 93 in the second. Without logging the hypervisor maps each region with
 * one 2 MB leaf at its first fault: 2 stage-2 faults, and cycles.faults =
 * 600 x 2,500 + 2 x 7,500 = 1,515,000. With pml or wp (huge=split) it maps
 * base pages only: 605 stage-2 faults, of which the 603 after each region's
 * first are logging's - dirtylog.s2_faults 603, cycles.dirtylog.s2_faults
 * 603 x 7,500 = 4,522,500 - and cycles.faults stays 1,515,000. wp's
 * write-protection faults (a write to a page mapped armed: 600) are under
 * cycles.dirtylog.exits/faults as before (1,400 + 2,000 each). huge=wp maps
 * 2 MB leaves while logging: no stage-2 fault is logging's, but each leaf
 * is mapped write-protected (a large leaf under logging), so the first
 * write into each region takes a write-protection fault that reports the
 * whole 2 MB page: 2 under pml too. */
START_TEST(dirtylog_stage2_faults_it_causes_are_its_cycles)
{
	enum { N = 600 };
	trace_rec t[N];
	for (unsigned i = 0; i < N; i++)
		t[i] = w8(UINT64_C(0x7f0000000000) + (uint64_t)i * KB4, 1);
	static const struct {
		const char *mode, *huge;
		uint64_t host, s2, wp;
	} want[] = {
		{ "off", "split", 2, 0, 0 },
		{ "pml", "split", 605, 603, 0 },
		{ "wp", "split", 605, 603, 600 },
		{ "pml", "wp", 2, 0, 2 },
	};
	for (size_t k = 0; k < sizeof(want) / sizeof(*want); k++) {
		char mo[32], hu[32];
		snprintf(mo, sizeof(mo), "dirtylog.mode=%s", want[k].mode);
		snprintf(hu, sizeof(hu), "dirtylog.huge=%s", want[k].huge);
		const char *sets[] = { mo, hu, "guest.page=4k", "host.page=thp", NULL };
		hand h;
		hand_open(&h, sets, NULL, 0);
		hand_run(&h, t, N);
		ck_assert_uint_eq(hand_stat(&h, "fault.guest"), N);
		ck_assert_uint_eq(hand_stat(&h, "fault.host"), want[k].host);
		ck_assert_uint_eq(hand_stat(&h, "cycles.faults"), N * 2500 + 2 * 7500);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.s2_faults"), want[k].s2);
		ck_assert_uint_eq(hand_stat(&h, "cycles.dirtylog.s2_faults"), want[k].s2 * 7500);
		ck_assert_uint_eq(hand_stat(&h, "wp.faults"), want[k].wp);
		ck_assert_uint_eq(hand_stat(&h, "cycles.dirtylog.exits") -
				  hand_stat(&h, "pml.full_exits") * 1400, want[k].wp * 1400);
		ck_assert_uint_eq(hand_stat(&h, "cycles.dirtylog.faults"), want[k].wp * 2000);
		ck_assert_uint_eq(hand_stat(&h, "cycles.total"),
				  hand_stat(&h, "cycles.instructions") +
				  hand_stat(&h, "cycles.translation") + hand_stat(&h, "cycles.memory") +
				  hand_stat(&h, "cycles.faults") + hand_stat(&h, "cycles.dirtylog"));
		hand_close(&h);
	}
}
END_TEST

/* Item 1: three writes into one prefaulted 1 GB stage-2 page (guest 2 MB
 * pages, so its frames are 2 MB pieces of the 1 GB page: W1 and W2 = W1 +
 * 20 KB in frame A, the second piece; W3 in frame B, the fourth; the
 * guest's table pages in the first and third - its root first, the two
 * tables below A's leaf after A). Logging arms the 1 GB leaf write-protected
 * (one leaf, 40). W1 faults (exit + handling
 * 3,400): the 1 GB leaf splits into 2 MB pieces armed write-protected, A's
 * piece into 4 KB pieces armed (2 splits, 40,000), W1's page is made
 * writable and dirty and reported; the block is gone: invalidation 2,000.
 * W2 finds an armed 4 KB page: pml logs it (D 0 -> 1), dbm/hdbss set its
 * dirty state (hdbss logs it), wp faults on it (3,400, no split). W3
 * faults on B's piece: one split (3,400 + 20,000 + 2,000). The round's end
 * drains what was logged (150 an entry; dbm scans the 1,534 leaves: 510 2
 * MB and 2 x 512 4 KB, 10 each), sets 3 bitmap bits (30), re-arms the 3
 * pages written (120) and invalidates (2,000). Nothing is missed in any
 * mode (before the fix pml lost 2 pages, wp 0, dbm and hdbss 1). */
START_TEST(dirtylog_1g_page_splits_down_to_the_page_written)
{
	const uint64_t va = UINT64_C(0x7f0000000000);
	const trace_rec t[] = { w8(va + KB4, 1), w8(va + KB4 + 20 * 1024, 1),
				w8(va + MB2 + 3 * KB4, 1) };
	dl_trace tt = { (trace_rec *)t, 3, 3 };
	/* A and B are the second and fourth 2 MB pieces of the 1 GB page. */
	ck_assert_uint_eq(gpa_of("x86", "2m", &tt, 0), GUEST_RAM_BASE + MB2 + KB4);
	ck_assert_uint_eq(gpa_of("x86", "2m", &tt, 2), GUEST_RAM_BASE + 3 * MB2 + 3 * KB4);
	ck_assert_uint_eq(gpa_of("arm64", "2m", &tt, 2), GUEST_RAM_BASE + 3 * MB2 + 3 * KB4);
	static const struct {
		const char *arch, *mode;
		uint64_t wp, logged, cycles;
	} want[] = {
		/* start 40; W1 45,400; W3 25,400; end 30 + 120 + 2,000 */
		{ "x86", "pml", 2, 1, 40 + 45400 + 25400 + 150 + 2150 },
		{ "x86", "wp", 3, 0, 40 + 45400 + 3400 + 25400 + 2150 },
		{ "arm64", "wp", 3, 0, 40 + 45400 + 3400 + 25400 + 2150 },
		{ "arm64", "dbm", 2, 0, 40 + 45400 + 25400 + 1534 * 10 + 2150 },
		{ "arm64", "hdbss", 2, 1, 40 + 45400 + 25400 + 150 + 2150 },
	};
	for (size_t k = 0; k < sizeof(want) / sizeof(*want); k++) {
		char a[32], mo[32];
		snprintf(a, sizeof(a), "arch=%s", want[k].arch);
		snprintf(mo, sizeof(mo), "dirtylog.mode=%s", want[k].mode);
		const char *sets[] = { a, mo, "guest.page=2m", "host.page=1g",
				       "ept.ad_gpt_write=0", NULL };
		hand h;
		hand_open(&h, sets, t, 3);
		hand_run(&h, t, 3);
		ck_assert_uint_eq(hand_stat(&h, "pages.host"), 1);   /* one 1 GB leaf; splits map none */
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.splits"), 3);
		ck_assert_uint_eq(hand_stat(&h, "wp.faults"), want[k].wp);
		ck_assert_uint_eq(hand_stat(&h, "pml.logged") + hand_stat(&h, "hdbss.logged"),
				  want[k].logged);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.true_pages"), 3);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.reported_pages"), 3);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.missed_pages"), 0);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.extra_pages"), 0);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.rearmed_leaves"), 3);
		ck_assert_uint_eq(hand_stat(&h, "cycles.dirtylog.faults"),
				  want[k].wp * 2000 + 3 * 20000);
		ck_assert_uint_eq(hand_stat(&h, "cycles.dirtylog"), want[k].cycles);
		hand_close(&h);
	}
}
END_TEST

/* Item 2: dirtylog.range=3M ends 1 MB into frame A (the second 2 MB piece
 * of the 1 GB page, mapped before logging; the third holds two guest
 * tables, the fourth frame B). Written outside the range first: W3 in
 * frame B (wholly outside), W2 = A + 1 MB + 8 KB (outside), then W1 = A +
 * 4 KB (inside). The 1 GB leaf holds part of the range, so logging arms it
 * whole (40). huge=split: W3 faults (3,400); the split leaves the
 * pieces from the third on writable and dirty (outside) and arms the first
 * two (20,000; invalidation 2,000); nothing is reported. W2 faults on A's piece (3,400):
 * its split arms the 256 4 KB pages below the range's end and leaves the
 * rest writable and dirty (20,000 + 2,000). W1 finds an armed page: pml
 * logs it, wp faults (3,400). End: drain (pml 150), 1 bitmap bit, 1 page
 * re-armed, invalidation (2,010 + 40). huge=wp: W3 faults and the whole
 * leaf is reported, clipped to the range - 768 pages (7,680) - and made
 * writable; W2 and W1 need nothing; the end re-arms the leaf (40). Before
 * the fix W3's fault was "internal: unresolved stage-2 fault". */
START_TEST(dirtylog_range_ending_inside_a_large_page)
{
	const uint64_t va = UINT64_C(0x7f0000000000);
	const trace_rec t[] = { w8(va + MB2, 1), w8(va + MB1 + 8 * 1024, 1), w8(va + KB4, 1) };
	const trace_rec first[] = { t[2], t[0] };   /* the order the guest touched them */
	dl_trace tt = { (trace_rec *)first, 2, 2 };
	ck_assert_uint_eq(gpa_of("x86", "2m", &tt, 0), GUEST_RAM_BASE + MB2 + KB4);
	ck_assert_uint_eq(gpa_of("x86", "2m", &tt, 1), GUEST_RAM_BASE + 3 * MB2);
	static const struct {
		const char *arch, *mode, *huge;
		uint64_t wp, splits, logged, reported, cycles;
	} want[] = {
		{ "x86", "pml", "split", 2, 2, 1, 1, 40 + 2 * 25400 + 2200 },
		{ "x86", "wp", "split", 3, 2, 0, 1, 40 + 2 * 25400 + 3400 + 2050 },
		{ "arm64", "hdbss", "split", 2, 2, 1, 1, 40 + 2 * 25400 + 2200 },
		{ "x86", "pml", "wp", 1, 0, 0, 768, 40 + 3400 + 7680 + 40 + 2000 },
		{ "arm64", "dbm", "wp", 1, 0, 0, 768, 40 + 3400 + 7680 + 40 + 2000 +
		  1 * 10 /* the scan: one leaf in the range */ },
	};
	for (size_t k = 0; k < sizeof(want) / sizeof(*want); k++) {
		char a[32], mo[32], hu[32];
		snprintf(a, sizeof(a), "arch=%s", want[k].arch);
		snprintf(mo, sizeof(mo), "dirtylog.mode=%s", want[k].mode);
		snprintf(hu, sizeof(hu), "dirtylog.huge=%s", want[k].huge);
		const char *sets[] = { a, mo, hu, "guest.page=2m", "host.page=1g",
				       "dirtylog.range=3M", "ept.ad_gpt_write=0", NULL };
		hand h;
		hand_open(&h, sets, first, 2);
		hand_run(&h, t, 3);
		ck_assert_uint_eq(hand_stat(&h, "wp.faults"), want[k].wp);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.splits"), want[k].splits);
		ck_assert_uint_eq(hand_stat(&h, "pml.logged") + hand_stat(&h, "hdbss.logged"),
				  want[k].logged);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.true_pages"), 1);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.reported_pages"), want[k].reported);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.missed_pages"), 0);
		ck_assert_uint_eq(hand_stat(&h, "cycles.dirtylog"), want[k].cycles);
		hand_close(&h);
	}
}
END_TEST

/* Item 3: 1,000 writes, each the first touch of its page (x86, 4 KB pages
 * at both stages, pml, guest table writes not logged). Xen drains only on
 * log-full and at the harvest: the 513th write finds the buffer full - one
 * exit (1,400) and 512 entries drained, the other 488 at the round's end.
 * KVM also drains at every other exit, here each write's EPT violation, so
 * the buffer never fills: no log-full exit, the same 1,000 entries drained.
 * Cycles: 1,000 entries drained (150,000), 1,000 bitmap bits (10,000),
 * 1,000 pages re-armed (40,000), one invalidation (2,000), and Xen's exit.
 * hdbss (arm64, a 4 KB buffer: 512 entries) the same. */
START_TEST(dirtylog_kvm_drains_at_every_exit)
{
	enum { N = 1000 };
	trace_rec *t = malloc(N * sizeof(*t));
	for (unsigned i = 0; i < N; i++)
		t[i] = w8(UINT64_C(0x20000000) + i * KB4, 1);
	static const char *const arch[] = { "arch=x86", "arch=arm64" };
	static const char *const mode[] = { "dirtylog.mode=pml", "dirtylog.mode=hdbss" };
	for (size_t a = 0; a < 2; a++) {
		uint64_t cyc[2];
		for (size_t kvm = 0; kvm < 2; kvm++) {
			const char *sets[] = { arch[a], mode[a], kvm ? "pml.drain=kvm" : "pml.drain=xen",
					       "guest.page=4k", "host.page=4k", "ept.ad_gpt_write=0",
					       NULL };
			hand h;
			hand_open(&h, sets, NULL, 0);
			hand_run(&h, t, N);
			uint64_t full = hand_stat(&h, a ? "hdbss.full_exits" : "pml.full_exits");
			uint64_t logged = hand_stat(&h, a ? "hdbss.logged" : "pml.logged");
			ck_assert_uint_eq(full, kvm ? 0 : 1);
			ck_assert_uint_eq(logged, N);
			ck_assert_uint_eq(hand_stat(&h, a ? "hdbss.drained" : "pml.drained"), logged);
			ck_assert_uint_eq(hand_stat(&h, "dirtylog.true_pages"), N);
			ck_assert_uint_eq(hand_stat(&h, "dirtylog.missed_pages"), 0);
			cyc[kvm] = hand_stat(&h, "cycles.dirtylog");
			hand_close(&h);
		}
		ck_assert_uint_eq(cyc[0], 1400 + 150000 + 10000 + 40000 + 2000);
		ck_assert_uint_eq(cyc[1], 150000 + 10000 + 40000 + 2000);
	}
	free(t);
}
END_TEST

/* Item 6, first write: 10 writes, each the first touch of its page, wp
 * (x86 4 KB pages). Xen maps a page first touched while logging armed
 * (write-protected), so each write takes an EPT violation and then a
 * write-protection fault; KVM maps it writable and dirty and reports it
 * in the EPT violation's exit: 10 write-protection faults (10 x 3,400
 * cycles) fewer, the same 10 pages reported, nothing missed. A first read
 * maps armed under both, so a read then a write of 4 more pages costs
 * each a write-protection fault under both. Xen: 14 faults (47,600), KVM:
 * 4 (13,600); both end with 14 bitmap bits (140), 14 pages re-armed (560)
 * and an invalidation (2,000). */
START_TEST(dirtylog_kvm_maps_a_first_write_dirty)
{
	trace_rec t[18];
	for (unsigned i = 0; i < 10; i++)
		t[i] = w8(UINT64_C(0x30000000) + i * KB4, 1);
	for (unsigned i = 0; i < 4; i++) {
		t[10 + 2 * i] = w8(UINT64_C(0x30100000) + i * KB4, 1);
		t[10 + 2 * i].kind = TRACE_R;
		t[11 + 2 * i] = w8(UINT64_C(0x30100000) + i * KB4, 1);
	}
	uint64_t wp[2], cyc[2], rep[2], fh[2];
	for (size_t kvm = 0; kvm < 2; kvm++) {
		const char *sets[] = { "dirtylog.mode=wp", kvm ? "dirtylog.first_write=dirty" :
				       "dirtylog.first_write=armed", "guest.page=4k",
				       "host.page=4k", NULL };
		hand h;
		hand_open(&h, sets, NULL, 0);
		hand_run(&h, t, 18);
		wp[kvm] = hand_stat(&h, "wp.faults");
		cyc[kvm] = hand_stat(&h, "cycles.dirtylog");
		rep[kvm] = hand_stat(&h, "dirtylog.reported_pages");
		fh[kvm] = hand_stat(&h, "fault.host");
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.true_pages"), 14);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.missed_pages"), 0);
		hand_close(&h);
	}
	ck_assert_uint_eq(wp[0], 14);
	ck_assert_uint_eq(wp[1], 4);
	ck_assert_uint_eq(cyc[0], 14 * 3400 + 140 + 560 + 2000);
	ck_assert_uint_eq(cyc[1], 4 * 3400 + 140 + 560 + 2000);
	ck_assert_uint_eq(rep[0], 14);
	ck_assert_uint_eq(rep[1], 14);
	ck_assert_uint_eq(fh[0], fh[1]);   /* the same EPT violations */
	/* dirtylog.policy=kvm means first_write=dirty (and the kvm drain, which
	 * wp has nothing for) */
	const char *sets[] = { "dirtylog.mode=wp", "dirtylog.policy=kvm", "guest.page=4k",
			       "host.page=4k", NULL };
	hand h;
	hand_open(&h, sets, NULL, 0);
	hand_run(&h, t, 18);
	ck_assert_uint_eq(hand_stat(&h, "wp.faults"), wp[1]);
	ck_assert_uint_eq(hand_stat(&h, "cycles.dirtylog"), cyc[1]);
	hand_close(&h);
}
END_TEST

/* Item 6, when DBM is set (arm64 hdbss, 8 pages written in each of two
 * rounds; a round every 1,000 instructions: the 8th record ends round 1).
 * dbm=start: logging sets DBM on every leaf, so both rounds' writes are the
 * hardware's: 16 HDBSS entries, no fault. dbm=fault (the KVM HDBSS
 * series): leaves start write-protected without DBM; round 1's writes fault
 * (8) and the handler sets DBM as it makes each page writable; the re-arm
 * leaves DBM and clears S2AP[1], so round 2's writes are the hardware's (8
 * entries). Both report 8 pages a round and miss none. */
START_TEST(dirtylog_dbm_at_start_or_on_the_first_write_fault)
{
	trace_rec t[16];
	for (unsigned i = 0; i < 16; i++)
		t[i] = w8(UINT64_C(0x30000000) + (i % 8) * KB4, i < 8 ? 125 : 1);
	static const struct { const char *dbm; uint64_t wp, logged; } want[] = {
		{ "dirtylog.dbm=start", 0, 16 }, { "dirtylog.dbm=fault", 8, 8 },
		{ "dirtylog.policy=kvm", 8, 8 },
	};
	for (size_t k = 0; k < 3; k++) {
		const char *sets[] = { "arch=arm64", "dirtylog.mode=hdbss", want[k].dbm,
				       "guest.page=4k", "host.page=4k", "dirtylog.period=1000", NULL };
		hand h;
		hand_open(&h, sets, t, 8);
		hand_run(&h, t, 16);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.rounds"), 2);
		ck_assert_uint_eq(hand_stat(&h, "wp.faults"), want[k].wp);
		ck_assert_uint_eq(hand_stat(&h, "hdbss.logged"), want[k].logged);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.true_pages"), 16);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.reported_pages"), 16);
		ck_assert_uint_eq(hand_stat(&h, "dirtylog.missed_pages"), 0);
		hand_close(&h);
	}
}
END_TEST

/* ---------------------------------------------------------------- suite */

Suite *dirtylog_suite(void)
{
	Suite *s = suite_create("dirtylog");
	TCase *tc = tcase_create("hand");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, dirtylog_1g_page_splits_down_to_the_page_written);
	tcase_add_test(tc, dirtylog_stage2_faults_it_causes_are_its_cycles);
	tcase_add_test(tc, dirtylog_range_ending_inside_a_large_page);
	tcase_add_test(tc, dirtylog_kvm_drains_at_every_exit);
	tcase_add_test(tc, dirtylog_kvm_maps_a_first_write_dirty);
	tcase_add_test(tc, dirtylog_dbm_at_start_or_on_the_first_write_fault);
	suite_add_tcase(s, tc);
	tc = tcase_create("invariant");
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, dirtylog_safe_configurations_miss_nothing);
	suite_add_tcase(s, tc);
	return s;
}
