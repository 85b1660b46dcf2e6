/*
 * tests/cosim/pml_tb.c - test bench of the RTL PML unit: the Verilated unit
 * (whatever variant this binary was linked with) against the C reference
 * model, through the co-simulation scoreboard of sim/machine/cosim.c.
 *
 *   pml_tb directed                        the directed cases
 *   pml_tb random [--events N] [--seed S]  constrained-random requests,
 *                                          register writes and resets
 *
 * Directed cases check the C side against values worked out by hand from
 * SDM-2016 §28.2.5 (entry 511 first, 512 entries, full on the next update,
 * 0 -> 0xFFFF, bits 11:0 clear) and the RTL's documented timing (a logged
 * entry takes 2 + memory wait cycles); the scoreboard checks that the RTL
 * agrees with the C side on every request. Random mode ends with the
 * coverage table and fails if a bin was never hit, and prints a digest of
 * every outcome so a seed's run can be compared with another's.
 *
 * Bug-injection builds (pml_unit.sv's PML_BUG_* switches) must fail here:
 * the scoreboard catches the functional ones, the RTL's assertions the
 * write-port protocol one (valid_drop).
 *
 * Exit status: 0 pass; 1 a mismatch or a failed expectation (printed);
 * 2 usage.
 */
#include "cosim.h"
#include "pml_rtl.h"
#include "mmu.h"
#include "pml.h"
#include "rng.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_BASE UINT64_C(0x40000000)

typedef struct bench {
	physmem *m;
	pml_unit *p;
	cosim *c;
	uint64_t rec;            /* "record" = operation number */
	const char *name;        /* the case */
} bench;

static int bench_open(bench *b, const char *name, unsigned mem_latency, unsigned stall_pct,
		      uint64_t seed)
{
	char err[256];
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->m = physmem_create();
	b->p = b->m ? pml_create(b->m) : NULL;
	if (!b->p) {
		fprintf(stderr, "pml_tb: out of memory\n");
		exit(1);
	}
	pml_enable(b->p, LOG_BASE);
	cosim_cfg cfg = { .mem_latency = mem_latency, .stall_pct = stall_pct, .seed = seed };
	if (cosim_create(&b->c, &cfg, &b->rec, err, sizeof(err)) ||
	    cosim_attach(b->c, b->p, 0, err, sizeof(err))) {
		fprintf(stderr, "pml_tb: %s\n", err);
		exit(1);
	}
	return 0;
}

static void bench_close(bench *b)
{
	cosim_destroy(b->c);
	pml_destroy(b->p);
	physmem_destroy(b->m);
}

static pml_outcome req(bench *b, uint64_t gpa, unsigned leaf, int d_was_0, int is_write,
		       int enabled)
{
	pml_event ev = { .gpa = gpa, .leaf_level = leaf, .d_was_0 = d_was_0,
			 .is_write = is_write, .enabled = enabled };
	pml_outcome o;
	b->rec++;
	pml_request(b->p, &ev, &o);
	return o;
}

/* A write through a clean 4 KB leaf: the request that logs. */
static pml_outcome dirty(bench *b, uint64_t gpa) { return req(b, gpa, 1, 1, 1, 1); }

static int failed(bench *b, int line, const char *what)
{
	if (cosim_failed(b->c)) {
		printf("FAIL %s (line %d)\n", b->name, line);
		cosim_print_mismatch(b->c, stdout);
		return 1;
	}
	if (what) {
		printf("FAIL %s (line %d): expected %s\n", b->name, line, what);
		return 1;
	}
	return 0;
}

/* Check the scoreboard, then an expectation on the C side. */
#define EXPECT(b, cond) do { \
		if (failed(b, __LINE__, (cond) ? NULL : #cond)) { bench_close(b); return 1; } \
	} while (0)

/* ---------------------------------------------------------------- directed */

static int case_first_entry(void)
{
	bench b;
	bench_open(&b, "first entry at 511", 0, 0, 1);
	pml_outcome o = dirty(&b, UINT64_C(0x123456789));
	EXPECT(&b, o.logged && !o.full);
	EXPECT(&b, o.addr == LOG_BASE + 8 * 511);
	EXPECT(&b, o.data == UINT64_C(0x123456000));
	EXPECT(&b, o.index == 510);
	bench_close(&b);
	return 0;
}

/* 512 entries (511 .. 0, the index wraps to 0xFFFF), then the next update -
 * any update, even an A-only one - is a log-full exit that writes nothing. */
static int case_512_then_full(void)
{
	bench b;
	bench_open(&b, "512 entries then the full exit", 0, 0, 1);
	for (unsigned k = 0; k < 512; k++) {
		pml_outcome o = dirty(&b, UINT64_C(0x200000) * k + 0xabc);
		EXPECT(&b, o.logged && o.addr == LOG_BASE + 8 * (511 - k));
		EXPECT(&b, o.index == (uint16_t)(510 - k));
	}
	EXPECT(&b, pml_index(b.p) == 0xFFFF);
	pml_outcome o = dirty(&b, 0x5000);
	EXPECT(&b, o.full && !o.logged && o.index == 0xFFFF);
	o = req(&b, 0x6000, 1, 1, 0, 1);   /* a read's A update */
	EXPECT(&b, o.full && !o.logged);
	o = req(&b, 0x6000, 0, 1, 0, 1);   /* a non-leaf A update */
	EXPECT(&b, o.full);
	bench_close(&b);
	return 0;
}

/* After the exit software drains and writes 511: the access is replayed and
 * logs at 511 again. */
static int case_after_exit(void)
{
	bench b;
	bench_open(&b, "the access after the exit", 0, 0, 1);
	for (unsigned k = 0; k < 512; k++)
		dirty(&b, UINT64_C(0x1000) * k);
	pml_outcome o = dirty(&b, 0x77777123);
	EXPECT(&b, o.full);
	pml_set_index(b.p, PML_HEAD_INDEX);
	o = dirty(&b, 0x77777123);
	EXPECT(&b, !o.full && o.logged && o.addr == LOG_BASE + 8 * 511 && o.data == 0x77777000);
	bench_close(&b);
	return 0;
}

/* Software writes the index mid-way: in range, logging goes on from there;
 * out of range, the next update is a log-full exit. */
static int case_index_midway(void)
{
	bench b;
	bench_open(&b, "index written by software mid-way", 0, 0, 1);
	for (unsigned k = 0; k < 10; k++)
		dirty(&b, UINT64_C(0x1000) * k);
	EXPECT(&b, pml_index(b.p) == 501);
	pml_set_index(b.p, 200);
	pml_outcome o = dirty(&b, 0xdead0fff);
	EXPECT(&b, o.logged && o.addr == LOG_BASE + 8 * 200 && o.data == 0xdead0000 &&
		   o.index == 199);
	pml_set_index(b.p, 600);
	o = dirty(&b, 0x1000);
	EXPECT(&b, o.full && o.index == 600);
	pml_set_index(b.p, 0);
	o = dirty(&b, 0x2000);
	EXPECT(&b, o.logged && o.addr == LOG_BASE && o.index == 0xFFFF);
	bench_close(&b);
	return 0;
}

/* PML disabled: no full exit even at 0xFFFF, nothing logged. Non-logging
 * updates (A only, non-leaf, D already set) never write. */
static int case_disabled_and_no_log(void)
{
	bench b;
	bench_open(&b, "disabled PML and updates that do not log", 0, 0, 1);
	pml_outcome o = req(&b, 0x3000, 1, 1, 1, 0);
	EXPECT(&b, !o.full && !o.logged && o.index == 511);
	o = req(&b, 0x3000, 1, 0, 1, 1);   /* D already 1 */
	EXPECT(&b, !o.logged && o.index == 511);
	o = req(&b, 0x3000, 1, 1, 0, 1);   /* read: A only */
	EXPECT(&b, !o.logged);
	o = req(&b, 0x3000, 0, 1, 1, 1);   /* non-leaf */
	EXPECT(&b, !o.logged);
	o = req(&b, 0x3000, 2, 1, 1, 1);   /* 2 MB leaf: logs the 4 KB GPA */
	EXPECT(&b, o.logged && o.data == 0x3000);
	pml_set_index(b.p, 0xFFFF);
	o = req(&b, 0x4000, 1, 1, 1, 0);
	EXPECT(&b, !o.full && !o.logged && o.index == 0xFFFF);
	bench_close(&b);
	return 0;
}

/* Memory back-pressure: with latency L and no random stalls a logged entry
 * takes exactly 2 + L cycles and anything else 1 (the RTL's documented
 * timing); with random stalls the scoreboard still agrees. */
static int case_backpressure(void)
{
	for (unsigned lat = 0; lat <= 20; lat += 5) {
		bench b;
		bench_open(&b, "memory back-pressure (fixed latency)", lat, 0, 1);
		for (unsigned k = 0; k < 100; k++)
			dirty(&b, UINT64_C(0x1000) * k);
		req(&b, 0x9000, 1, 1, 0, 1);
		stats_reg *st = stats_create();
		cosim_register_stats(b.c, st);
		int found;
		uint64_t latency = stats_get(st, "cosim.rtl_latency", &found);
		uint64_t stalls = stats_get(st, "cosim.mem_stalls", &found);
		stats_destroy(st);
		EXPECT(&b, latency == 100 * (2 + lat));
		EXPECT(&b, stalls == 100 * lat);
		bench_close(&b);
	}
	bench b;
	bench_open(&b, "memory back-pressure (random stalls)", 3, 60, 7);
	for (unsigned k = 0; k < 2000; k++)
		dirty(&b, UINT64_C(0x1000) * k);
	EXPECT(&b, 1);
	bench_close(&b);
	return 0;
}

/* Reset while a logging request waits for memory: the RTL drops it (no
 * response, no write) and comes back with PML_ADDRESS 0 and index 511; then
 * software programs both sides again and they agree. */
static int case_reset_midway(void)
{
	bench b;
	bench_open(&b, "reset in the middle", 50, 0, 1);
	for (unsigned k = 0; k < 7; k++)
		dirty(&b, UINT64_C(0x1000) * k);
	pml_event ev = { .gpa = 0xabc000, .leaf_level = 1, .d_was_0 = 1, .is_write = 1,
			 .enabled = 1 };
	cosim_reset_lane(b.c, 0, &ev, 5);
	uint64_t addr = 1, idx = 1;
	EXPECT(&b, cosim_lane_regs(b.c, 0, &addr, &idx) == 0);
	EXPECT(&b, addr == 0 && idx == PML_HEAD_INDEX);
	pml_enable(b.p, LOG_BASE + 0x1000);   /* both sides: the C unit keeps its index */
	pml_set_index(b.p, PML_HEAD_INDEX);
	pml_outcome o = dirty(&b, 0x5555000);
	EXPECT(&b, o.logged && o.addr == LOG_BASE + 0x1000 + 8 * 511);
	bench_close(&b);
	return 0;
}

/* A register write and a request in the same cycle, on the RTL alone: the
 * write goes first, the request waits a cycle and then uses the new index
 * (log at 100, index 99 after). */
static int case_csr_and_request_collide(void)
{
	char err[256];
	pml_rtl *r;
	pml_rtl_cfg cfg = { .mem_latency = 0 };
	if (pml_rtl_create(&r, &cfg, err, sizeof(err))) {
		printf("FAIL collide: %s\n", err);
		return 1;
	}
	pml_event ev = { .gpa = 0x7654321, .leaf_level = 1, .d_was_0 = 1, .is_write = 1,
			 .enabled = 1 };
	pml_rtl_resp o;
	int waited = 0;
	int ok = pml_rtl_csr_write(r, VMCS_PML_ADDRESS, LOG_BASE) == 0 &&
		 pml_rtl_collide(r, VMCS_GUEST_PML_INDEX, 100, &ev, &o, &waited) == 0 && waited &&
		 o.logged && !o.full && o.writes == 1 && o.addr == LOG_BASE + 8 * 100 &&
		 o.data == 0x7654000 && o.index == 99;
	pml_rtl_destroy(r);
	if (!ok) {
		printf("FAIL a register write and a request in one cycle: waited %d logged %d "
		       "addr 0x%" PRIx64 " index 0x%x\n", waited, o.logged, o.addr, o.index);
		return 1;
	}
	return 0;
}

static int directed(void)
{
	static int (*const cases[])(void) = {
		case_first_entry, case_512_then_full, case_after_exit, case_index_midway,
		case_disabled_and_no_log, case_backpressure, case_reset_midway,
		case_csr_and_request_collide,
	};
	unsigned n = sizeof(cases) / sizeof(cases[0]), bad = 0;
	for (unsigned i = 0; i < n; i++)
		bad += (unsigned)cases[i]();
	printf("directed: %u of %u cases passed\n", n - bad, n);
	return bad ? 1 : 0;
}

/* ---------------------------------------------------------------- random */

/* Constrained-random: mostly requests (leaf levels 0-3, D clear or set,
 * reads and writes, PML mostly on), drains (index back to 511) about every
 * 300 operations so the log both fills and wraps, occasional index writes
 * in and out of range, PML_ADDRESS moves among 16 pages, and rare resets
 * with a request in flight. */
static int random_run(uint64_t events, uint64_t seed)
{
	bench b;
	bench_open(&b, "constrained-random", 2, 25, seed);
	rng r;
	rng_seed(&r, seed);
	uint64_t digest = 0xcbf29ce484222325u;
	for (uint64_t i = 0; i < events; i++) {
		uint64_t x = rng_next(&r);
		unsigned pick = (unsigned)(x % 10000);
		if (pick < 30) {
			pml_set_index(b.p, PML_HEAD_INDEX);          /* a drain */
		} else if (pick < 34) {
			pml_set_index(b.p, (uint16_t)(rng_next(&r) % PML_ENTRIES));
		} else if (pick < 37) {
			pml_set_index(b.p, (uint16_t)rng_next(&r));  /* often out of range */
		} else if (pick < 39) {
			pml_enable(b.p, LOG_BASE + (rng_next(&r) % 16) * 4096);
		} else if (pick < 40) {
			pml_event ev = { .gpa = rng_next(&r), .leaf_level = 1, .d_was_0 = 1,
					 .is_write = 1, .enabled = 1 };
			cosim_reset_lane(b.c, 0, &ev, (unsigned)(rng_next(&r) % 4));
			/* the C unit takes the reset values too */
			pml_enable(b.p, 0);
			pml_set_index(b.p, PML_HEAD_INDEX);
			pml_enable(b.p, LOG_BASE);
		} else {
			uint64_t y = rng_next(&r);
			unsigned lv = (unsigned)(y & 7);
			unsigned leaf = lv < 1 ? 0 : lv < 6 ? 1 : lv < 7 ? 2 : 3;
			pml_outcome o = req(&b, rng_next(&r) & GENMASK64(51, 0), leaf,
					    (y >> 3) % 10 < 7, (y >> 8) % 10 < 6, (y >> 12) % 100 < 97);
			digest = (digest ^ (o.addr ^ o.data ^ o.index ^ (uint64_t)o.full << 1 ^
					    (uint64_t)o.logged)) * 0x100000001b3u;
		}
		if (cosim_failed(b.c)) {
			printf("FAIL constrained-random, seed %" PRIu64 ", operation %" PRIu64 "\n",
			       seed, b.rec);
			cosim_print_mismatch(b.c, stdout);
			bench_close(&b);
			return 1;
		}
	}
	stats_reg *st = stats_create();
	cosim_register_stats(b.c, st);
	int found;
	uint64_t reqs = stats_get(st, "cosim.requests", &found);
	stats_destroy(st);
	cosim_print_coverage(b.c, stdout);
	unsigned missing = 0;
	for (unsigned k = 0; k < COV_NBINS; k++)
		missing += cosim_cov_hits(b.c, k) == 0;
	printf("random: seed %" PRIu64 ", %" PRIu64 " operations, %" PRIu64
	       " requests agreed; digest %016" PRIx64 "\n", seed, events, reqs, digest);
	bench_close(&b);
	if (missing) {
		printf("FAIL constrained-random: %u coverage bins never hit\n", missing);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char usage[] =
		"usage: pml_tb directed | pml_tb random [--events N] [--seed S]\n";
	if (argc < 2)
		goto bad;
	if (strcmp(argv[1], "directed") == 0 && argc == 2)
		return directed();
	if (strcmp(argv[1], "random") == 0) {
		uint64_t events = 1000000, seed = 1;
		for (int i = 2; i < argc; i++) {
			char *end;
			if (i + 1 >= argc)
				goto bad;
			uint64_t v = strtoull(argv[i + 1], &end, 0);
			if (*end || end == argv[i + 1])
				goto bad;
			if (strcmp(argv[i], "--events") == 0)
				events = v;
			else if (strcmp(argv[i], "--seed") == 0)
				seed = v;
			else
				goto bad;
			i++;
		}
		return random_run(events, seed);
	}
bad:
	fputs(usage, stderr);
	return 2;
}
