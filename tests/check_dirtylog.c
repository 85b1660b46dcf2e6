/*
 * tests/check_dirtylog.c - dirty logging (sim/dirtylog.c) through the
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

static void put(dl_trace *t, unsigned vcpu, unsigned kind, uint64_t va, uint32_t icount)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->r = realloc(t->r, t->cap * sizeof(*t->r));
		ck_assert_ptr_nonnull(t->r);
	}
	t->r[t->n++] = (trace_rec){ .gva = va, .icount = icount, .vcpu = (uint16_t)vcpu,
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
		out->failed = machine_access(m, &t->r[i], NULL) != 0;
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
		ck_assert_int_eq(machine_access(m, &t->r[k], &res), 0);
	machine_destroy(m);
	param_destroy(p);
	return res.gpa[0];
}

/* ---------------------------------------------------------------- invariant */

/* The sweep: every mode of each architecture x host.page {4k, 2m, 1g} x
 * dirtylog.huge {split, wp, keep} x dirtylog.range {all; 1 MB, inside the
 * first large page; one that ends 12 KB into a written 2 MB page in the
 * middle of the first 1 GB (writes on both sides of its end); 4 GB, beyond
 * every large page written}, on both traces,
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
			uint64_t ranges[4] = { 0, MB1, gb - GUEST_RAM_BASE + mid_off[ti],
					       4 * GB1 };
			for (size_t mi = 0; mi < sizeof(modes) / sizeof(*modes); mi++) {
				if (strcmp(modes[mi].arch, arch))
					continue;
				for (size_t pi = 0; pi < 3; pi++)
				for (size_t hi = 0; hi < 3; hi++)
				for (size_t ri = 0; ri < 4; ri++)
				for (int pf = 0; pf < 2; pf++) {
					char s[8][64];
					snprintf(s[0], 64, "arch=%s", arch);
					snprintf(s[1], 64, "dirtylog.mode=%s", modes[mi].mode);
					snprintf(s[2], 64, "host.page=%s", pages[pi]);
					snprintf(s[3], 64, "dirtylog.huge=%s", huges[hi]);
					snprintf(s[4], 64, "dirtylog.range=%llu",
						 (unsigned long long)ranges[ri]);
					snprintf(s[5], 64, "guest.page=%s", gpage[ti]);
					snprintf(s[6], 64, "dirtylog.period=1000");
					const char *sets[] = { s[0], s[1], s[2], s[3], s[4], s[5],
							       s[6], NULL };
					dl_out o;
					dl_run(sets, &tr[ti], pf, &o);
					runs++;
					ck_assert_msg(!o.failed, "%s %s %s %s %s %s %s prefault=%d: %s", s[0],
						      s[1], s[2], s[3], s[4], s[5], s[6], pf, o.err);
					ck_assert_uint_eq(o.rounds, 3);
					int unsafe = !strcmp(modes[mi].mode, "pml") && hi == 2;
					if (unsafe)
						continue;
					safe++;
					/* (the spread trace writes nothing in the first 1 MB) */
					if (ri != 1 || ti == 1)
						ck_assert_uint_gt(o.truth, 0);
					ck_assert_msg(o.missed == 0, "%s %s %s %s %s %s %s prefault=%d: %llu of "
						      "%llu written pages missed", s[0], s[1], s[2], s[3],
						      s[4], s[5], s[6], pf, (unsigned long long)o.missed,
						      (unsigned long long)o.truth);
				}
			}
		}
	}
	/* 5 modes x 3 x 3 x 4 x prefault or not x 2 traces; pml with keep unsafe. */
	ck_assert_uint_eq(runs, 5 * 3 * 3 * 4 * 2 * 2);
	ck_assert_uint_eq(safe, runs - 3 * 4 * 2 * 2);
	free(tr[0].r);
	free(tr[1].r);
}
END_TEST

/* ---------------------------------------------------------------- suite */

Suite *dirtylog_suite(void)
{
	Suite *s = suite_create("dirtylog");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, dirtylog_safe_configurations_miss_nothing);
	suite_add_tcase(s, tc);
	return s;
}
