/*
 * tests/check_sweep.c - one decode into many machines (sim/study/sweep.h), the
 * sweep engine without the command line (sim/study/sweep_plan.h, sweep_emit.h,
 * sweep_collect.h), the JSON reader that reads sweeps back (sim/output/jsonr.h),
 * and plot names (sim/output/plot.h).
 */
#include "check_util.h"
#include "check_sim.h"
#include "jsonr.h"
#include "machine.h"
#include "plot.h"
#include "replay.h"
#include "rng.h"
#include "sweep.h"
#include "sweep_collect.h"
#include "sweep_emit.h"
#include "sweep_plan.h"

#include <fcntl.h>
#include <sys/stat.h>

/* A trace file: two vCPUs, reads/writes/fetches over 8 MB, from SEED. */
static char *trace_file(size_t n, uint64_t seed)
{
	trace_rec *t = malloc(n * sizeof(*t));
	rng r;
	rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++) {
		uint64_t u = rng_next(&r);
		t[i] = (trace_rec){ .vcpu = (uint16_t)(u & 1), .kind = (uint8_t)((u >> 1) % 3),
				    .gva = UINT64_C(0x7f0000000000) + ((u >> 8) % (UINT64_C(8) << 20)),
				    .size = 8 };
		t[i].icount = t[i].kind == TRACE_X;
	}
	char *path = write_slt(t, n, 2);
	free(t);
	return path;
}

/* Every machine of a sweep ends with the statistics of a lone replay of
 * its configuration, whatever the threads and the decode: with 1, 2 and 3
 * threads, shared or per-thread decode, a point with sim.max_records and
 * one with sim.prefault among them; RO NULL, or run's window (its skip and
 * warm-up, for both). */
static void points_equal_lone_replays(const replay_opts *ro)
{
	char *path = trace_file(50000, 3);
	const char *cfg[][4] = {
		{ "tlb.l2.entries=768", NULL },
		{ "guest.page=2m", "host.page=4k", NULL },
		{ "arch=arm64", "guest.granule=64k", "dirtylog.mode=dbm", NULL },
		{ "sim.max_records=12345", NULL },
		{ "sim.prefault=1", "dirtylog.mode=pml", NULL },
	};
	enum { NP = sizeof(cfg) / sizeof(cfg[0]) };
	param_reg *p[NP];
	machine *lone[NP];
	char err[1024];
	for (size_t i = 0; i < NP; i++) {
		p[i] = sim_params(cfg[i]);
		lone[i] = sim_machine(p[i]);
		trace_reader *r;
		if (param_bool(p[i], "sim.prefault")) {
			ck_assert_int_eq(trace_open(&r, path, TRACE_FMT_AUTO, err, sizeof(err)), TRACE_OK);
			ck_assert_int_eq(replay_prefault(lone[i], r, ro, err, sizeof(err)), TRACE_OK);
			trace_close(r);
		}
		ck_assert_int_eq(trace_open(&r, path, TRACE_FMT_AUTO, err, sizeof(err)), TRACE_OK);
		ck_assert_msg(replay_run(lone[i], r, ro, NULL, err, sizeof(err)) == TRACE_OK, "%s",
			      err);
		trace_close(r);
	}
	sweep_opts opts[] = {
		{ .threads = 1 }, { .threads = 2 }, { .threads = 3 },
		{ .threads = 2, .per_thread_decode = 1 }, { .threads = 3, .per_thread_decode = 1 },
	};
	for (size_t o = 0; o < sizeof(opts) / sizeof(opts[0]); o++) {
		opts[o].skip = ro ? ro->skip : 0;
		opts[o].warmup = ro ? ro->warmup : 0;
		sweep_job jobs[NP];
		for (size_t i = 0; i < NP; i++)
			jobs[i] = (sweep_job){ .m = sim_machine(p[i]) };
		trace_header h;
		ck_assert_int_eq(sweep_replay(path, TRACE_FMT_AUTO, jobs, NP, &opts[o], &h, err,
					      sizeof(err)), TRACE_OK);
		ck_assert_uint_eq(h.vcpus, 2);
		for (size_t i = 0; i < NP; i++) {
			ck_assert_msg(jobs[i].code == TRACE_OK, "%s", jobs[i].err);
			stats_reg *a = machine_stats(jobs[i].m), *b = machine_stats(lone[i]);
			ck_assert_uint_eq(stats_count(a), stats_count(b));
			for (size_t k = 0; k < stats_count(a); k++)
				if (stats_kind_at(a, k) == STATS_COUNTER)
					ck_assert_msg(stats_value_at(a, k) == stats_value_at(b, k),
						      "threads %u%s, point %zu: %s %llu vs %llu",
						      opts[o].threads, opts[o].per_thread_decode ?
						      " per-thread" : "", i, stats_name_at(a, k),
						      (unsigned long long)stats_value_at(a, k),
						      (unsigned long long)stats_value_at(b, k));
			machine_destroy(jobs[i].m);
		}
	}
	/* (sim.max_records counts from the skip, the warm-up included) */
	ck_assert_uint_eq(sim_stat(machine_stats(lone[3]), "records"),
			  12345 - (ro ? ro->warmup : 0));
	ck_assert_uint_eq(sim_stat(machine_stats(lone[0]), "records"),
			  50000 - (ro ? ro->skip + ro->warmup : 0));
	for (size_t i = 0; i < NP; i++) {
		machine_destroy(lone[i]);
		param_destroy(p[i]);
	}
	unlink(path);
	free(path);
}

START_TEST(each_point_equals_a_lone_replay)
{
	points_equal_lone_replays(NULL);
}
END_TEST

/* The same with run's window (issue 29): a skip and a warm-up that end
 * inside a batch of 4,096 records (7,001 and 7,001 + 4,099), so that each
 * machine is warmed part way through a batch; 50,000 - 11,100 records are
 * measured (12,345 - 4,099 under sim.max_records). */
START_TEST(each_point_equals_a_lone_replay_with_a_window)
{
	replay_opts ro = { .skip = 7001, .warmup = 4099 };
	points_equal_lone_replays(&ro);
}
END_TEST

/* A record one configuration refuses fails that point alone, naming the
 * trace and the record; the others finish. arm64 with a 39-bit VA refuses
 * 0x7f0000000000 (ARM DDI 0487 D8.2: above 2^39, TTBR0 cannot map it). */
START_TEST(a_failing_point_stops_alone)
{
	char *path = trace_file(3000, 5);
	param_reg *ok = sim_params(NULL);
	const char *bad_cfg[] = { "arch=arm64", "guest.va_bits=39", NULL };
	param_reg *bad = sim_params(bad_cfg);
	for (unsigned t = 1; t <= 2; t++) {
		sweep_job jobs[2] = { { .m = sim_machine(ok) }, { .m = sim_machine(bad) } };
		sweep_opts o = { .threads = t };
		trace_header h;
		char err[256];
		ck_assert_int_eq(sweep_replay(path, TRACE_FMT_AUTO, jobs, 2, &o, &h, err, sizeof(err)),
				 TRACE_OK);
		ck_assert_int_eq(jobs[0].code, TRACE_OK);
		ck_assert_int_eq(sim_stat(machine_stats(jobs[0].m), "records"), 3000);
		ck_assert_int_eq(jobs[1].code, TRACE_EFORMAT);
		ck_assert_msg(strstr(jobs[1].err, path) && strstr(jobs[1].err, "record 0:"), "%s",
			      jobs[1].err);
		machine_destroy(jobs[0].m);
		machine_destroy(jobs[1].m);
	}
	/* A trace that cannot be read fails every point with its message. */
	sweep_job j = { .m = sim_machine(ok) };
	sweep_opts o = { .threads = 1 };
	trace_header h;
	char err[256];
	ck_assert_int_ne(sweep_replay("/nonexistent/t.slt", TRACE_FMT_AUTO, &j, 1, &o, &h, err,
				      sizeof(err)), TRACE_OK);
	ck_assert_msg(j.code != TRACE_OK && strstr(j.err, "/nonexistent/t.slt"), "%s", j.err);
	machine_destroy(j.m);
	param_destroy(ok);
	param_destroy(bad);
	unlink(path);
	free(path);
}
END_TEST

/* RFC 8259: objects keep member order, numbers keep their text, strings
 * are unescaped (\u with surrogate pairs to UTF-8); errors name the byte. */
START_TEST(jsonr_reads_what_slatsim_writes)
{
	const char *doc = "{\"stats\": {\"a\": 12345678901234567, \"b\": 0.25, \"c\": -1e3},"
			  " \"s\": \"x\\\"y\\u00e9\\ud83d\\ude00\", \"t\": [true, false, null, []]}";
	char err[128];
	jsonr *v = jsonr_parse(doc, strlen(doc), err, sizeof(err));
	ck_assert_msg(v != NULL, "%s", err);
	const jsonr *st = jsonr_get(v, "stats");
	ck_assert_uint_eq(st->n, 3);
	ck_assert_str_eq(st->keys[0], "a");
	ck_assert_str_eq(st->items[0].text, "12345678901234567");
	ck_assert(jsonr_num(&st->items[1]) == 0.25);
	ck_assert(jsonr_num(jsonr_get(st, "c")) == -1000.0);
	ck_assert_str_eq(jsonr_get(v, "s")->text, "x\"y\xc3\xa9\xf0\x9f\x98\x80");
	const jsonr *t = jsonr_get(v, "t");
	ck_assert_int_eq(t->type, JSONR_ARR);
	ck_assert_uint_eq(t->n, 4);
	ck_assert_int_eq(t->items[0].truth, 1);
	ck_assert_int_eq(t->items[2].type, JSONR_NULL);
	ck_assert_ptr_null(jsonr_get(v, "nope"));
	jsonr_free(v);
	static const struct { const char *text; const char *msg; } bad[] = {
		{ "{\"a\": 1,}", "offset 8: expected a member name" },
		{ "[1 2]", "offset 3: expected ',' or ']'" },
		{ "{\"a\" 1}", "offset 5: expected ':'" },
		{ "\"abc", "offset 4: unterminated string" },
		{ "[1] x", "offset 4: text after the document" },
		{ "-", "offset 1: bad number" },
		/* RFC 8259 §4: names SHOULD be unique; a name given twice is
		 * refused at its second place (the 8 members compared pairwise,
		 * the 10 sorted: each member "x":N, is 6 bytes from offset 1) */
		{ "{\"a\": 1, \"a\": 2}", "offset 9: a member name given twice in one object" },
		{ "[{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"a\":8}]",
		  "offset 44: a member name given twice in one object" },
		{ "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,"
		  "\"b\":0,\"a\":0}", "offset 55: a member name given twice in one object" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ptr_null(jsonr_parse(bad[i].text, strlen(bad[i].text), err, sizeof(err)));
		ck_assert_str_eq(err, bad[i].msg);
	}
	char deep[200];
	memset(deep, '[', sizeof(deep));
	ck_assert_ptr_null(jsonr_parse(deep, sizeof(deep), err, sizeof(err)));
	ck_assert_msg(strstr(err, "nested too deeply"), "%s", err);
}
END_TEST

/* XXH64 against the reference implementation: the values are those of
 * libxxhash 0.8.1 (XXH64, Debian's libxxhash0) for the same inputs - bytes
 * (7 i + 3) mod 256 - across the 32-byte stripe boundary, and fed in
 * pieces of every size 1..97 (the streaming state must not matter). */
START_TEST(xxh64_matches_the_reference)
{
	static const struct { size_t n; uint64_t seed, want; } v[] = {
		{ 0, 0, UINT64_C(0xef46db3751d8e999) },
		{ 31, 0, UINT64_C(0xa2aa5f33cc4a6119) },
		{ 32, 0, UINT64_C(0x23c3c17ef790fd97) },
		{ 33, 0, UINT64_C(0x50a7cfc7ba588784) },
		{ 1000, 0, UINT64_C(0x5f235fa033f1a3fb) },
		{ 100003, 0, UINT64_C(0x924a64f3ae9ea839) },
		{ 1000, UINT64_C(0x9E3779B97F4A7C15), UINT64_C(0x442acd0a822e86f6) },
	};
	unsigned char *b = malloc(100003);
	for (size_t i = 0; i < 100003; i++)
		b[i] = (unsigned char)(i * 7 + 3);
	sweep_xxh64 h;
	sweep_xxh64_init(&h, 0);
	sweep_xxh64_update(&h, "abc", 3);
	ck_assert_uint_eq(sweep_xxh64_digest(&h), UINT64_C(0x44bc2cf5ad770999));
	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		sweep_xxh64_init(&h, v[k].seed);
		sweep_xxh64_update(&h, b, v[k].n);
		ck_assert_msg(sweep_xxh64_digest(&h) == v[k].want, "%zu bytes", v[k].n);
		for (size_t piece = 1; piece <= 97; piece++) {
			sweep_xxh64_init(&h, v[k].seed);
			for (size_t at = 0; at < v[k].n; at += piece)
				sweep_xxh64_update(&h, b + at, v[k].n - at < piece ? v[k].n - at : piece);
			ck_assert_msg(sweep_xxh64_digest(&h) == v[k].want, "%zu bytes in pieces of %zu",
				      v[k].n, piece);
		}
	}
	free(b);
}
END_TEST

static void put_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* A capture directory's fingerprint is DIR/trace/'s files (DIR's own when
 * there is no trace/; subdirectories not), by name; a file that appeared,
 * vanished, or changed - even with its size and time kept - is named. */
START_TEST(fingerprint_names_what_changed)
{
	char dir[] = "/tmp/slatsim-check-fpXXXXXX", sub[600], p[700], msg[1024], err[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	put_file(dir, "top.trace", "not read: trace/ exists");
	snprintf(sub, sizeof(sub), "%s/trace", dir);
	ck_assert_int_eq(mkdir(sub, 0777), 0);
	snprintf(p, sizeof(p), "%s/trace/deeper", dir);
	ck_assert_int_eq(mkdir(p, 0777), 0);
	put_file(sub, "b.trace", "bbbb");
	put_file(sub, "a.trace.gz", "aaaaaaa");
	put_file(p, "c.trace", "not read: below trace/");
	sweep_print was, now;
	ck_assert_int_eq(sweep_fingerprint(dir, &was, err, sizeof(err)), TRACE_OK);
	ck_assert_uint_eq(was.n, 2);
	ck_assert_str_eq(was.f[0].name, "trace/a.trace.gz");
	ck_assert_str_eq(was.f[1].name, "trace/b.trace");
	ck_assert_uint_eq(was.f[0].bytes, 7);
	sweep_xxh64 h;
	sweep_xxh64_init(&h, 0);
	sweep_xxh64_update(&h, "bbbb", 4);
	ck_assert(was.f[1].xxh64 == sweep_xxh64_digest(&h));
	ck_assert_int_eq(sweep_fingerprint(dir, &now, err, sizeof(err)), TRACE_OK);
	ck_assert_int_eq(sweep_print_diff(dir, &was, &now, msg, sizeof(msg)), 0);
	sweep_print_free(&now);
	/* An added thread file. */
	put_file(sub, "a2.trace", "x");
	ck_assert_int_eq(sweep_fingerprint(dir, &now, err, sizeof(err)), TRACE_OK);
	ck_assert_int_eq(sweep_print_diff(dir, &was, &now, msg, sizeof(msg)), 1);
	ck_assert_msg(strstr(msg, "/trace/a2.trace: appeared since the sweep began"), "%s", msg);
	sweep_print_free(&now);
	snprintf(p, sizeof(p), "%s/a2.trace", sub);
	unlink(p);
	/* b.trace rewritten with its size and modification time kept. */
	snprintf(p, sizeof(p), "%s/b.trace", sub);
	struct stat st;
	ck_assert_int_eq(stat(p, &st), 0);
	put_file(sub, "b.trace", "bbbc");
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	ck_assert_int_eq(sweep_fingerprint(dir, &now, err, sizeof(err)), TRACE_OK);
	ck_assert_int_eq(sweep_print_diff(dir, &was, &now, msg, sizeof(msg)), 1);
	ck_assert_msg(strstr(msg, "/trace/b.trace: changed since the sweep began (its content "
			      "(same size and time))"), "%s", msg);
	sweep_print_free(&now);
	/* a.trace.gz gone. */
	snprintf(p, sizeof(p), "%s/a.trace.gz", sub);
	unlink(p);
	ck_assert_int_eq(sweep_fingerprint(dir, &now, err, sizeof(err)), TRACE_OK);
	ck_assert_int_eq(sweep_print_diff(dir, &was, &now, msg, sizeof(msg)), 1);
	ck_assert_msg(strstr(msg, "/trace/a.trace.gz: vanished since the sweep began"), "%s", msg);
	sweep_print_free(&now);
	/* A FIFO is refused by name, not opened and waited on. */
	snprintf(p, sizeof(p), "%s/f.trace", sub);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_ne(sweep_fingerprint(dir, &now, err, sizeof(err)), TRACE_OK);
	ck_assert_msg(strstr(err, "/trace/f.trace: not a regular file"), "%s", err);
	unlink(p);
	/* A lone file: one entry, named "". */
	snprintf(p, sizeof(p), "%s/top.trace", dir);
	ck_assert_int_eq(sweep_fingerprint(p, &now, err, sizeof(err)), TRACE_OK);
	ck_assert_uint_eq(now.n, 1);
	ck_assert_str_eq(now.f[0].name, "");
	sweep_print_free(&now);
	sweep_print_free(&was);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---------------------------------------------------------------- the engine */

/* A grid of KEY (KEYS: NK of them) with VALUES (N), every value taken. */
static void plan_grid(sweep_plan *p, const char *key, const char *const *keys, size_t nk,
		      const char *const *values, size_t n)
{
	char err[1024];
	ck_assert_int_eq(sweep_plan_add_grid(p, key, keys, nk, err, sizeof(err)), TRACE_OK);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(sweep_plan_add_value(p, values[i], err, sizeof(err)) == TRACE_OK,
			      "%s", err);
}

static const char *const l2_keys[] = { "tlb.l2.entries", "tlb.l2.ways" };

/* Points go trace by trace, the first grid varying slowest: with grids
 * (l2 entries:ways) x 2 and seed x 3 over two traces, 6 points a trace;
 * point 7 is trace 1, combination 1 = (0, 1): 512:8 and seed 2; point 10
 * is trace 1, combination 4 = (1, 1): 0x600:12 (1536:12 as the registry
 * writes it) and seed 2. A value the registry refuses, and a point the
 * machine refuses, come back as codes with the key named: nothing exits. */
START_TEST(sweep_plan_numbers_points_trace_by_trace)
{
	static const char *const l2[] = { "512:8", "0x600:12" }, *const seeds[] = { "1", "2", "3" };
	static const char *const seed_key[] = { "seed" }, *const traces[] = { "a.slt", "b.slt" };
	char err[1024];
	sweep_plan *p;
	ck_assert_int_eq(sweep_plan_create(&p, err, sizeof(err)), TRACE_OK);
	plan_grid(p, "tlb.l2.entries:tlb.l2.ways", l2_keys, 2, l2, 2);
	plan_grid(p, "seed", seed_key, 1, seeds, 3);
	sweep_plan_config cfg = { .traces = traces, .ntraces = 2, .dir = "unused" };
	ck_assert_int_eq(sweep_plan_setup(p, &cfg, err, sizeof(err)), TRACE_OK);
	ck_assert_uint_eq(sweep_plan_combos(p), 6);
	ck_assert_uint_eq(sweep_plan_points(p), 12);
	ck_assert_uint_eq(sweep_plan_trace_of(p, 7), 1);
	ck_assert_str_eq(sweep_plan_value(p, 7, 0), "512:8");
	ck_assert_str_eq(sweep_plan_value(p, 7, 1), "2");
	ck_assert_str_eq(sweep_plan_value(p, 10, 0), "0x600:12");
	ck_assert_str_eq(sweep_plan_canon(p, 10, 0), "1536:12");
	ck_assert_str_eq(sweep_plan_canon(p, 10, 1), "2");
	/* Point 10's configuration: the base (cache.model=on) with its values. */
	const char *base_sets[] = { "cache.model=on", NULL };
	param_reg *base = sim_params(base_sets), *r;
	ck_assert_int_eq(sweep_plan_set_base(p, base, err, sizeof(err)), TRACE_OK);
	param_destroy(base);
	ck_assert_int_eq(sweep_plan_params(p, 10, &r, err, sizeof(err)), TRACE_OK);
	ck_assert_str_eq(param_text(r, "tlb.l2.entries"), "1536");
	ck_assert_str_eq(param_text(r, "tlb.l2.ways"), "12");
	ck_assert_str_eq(param_text(r, "seed"), "2");
	ck_assert_str_eq(param_text(r, "cache.model"), "on");
	param_destroy(r);
	ck_assert_int_eq(sweep_plan_check_point(p, 10, err, sizeof(err)), TRACE_OK);
	sweep_plan_destroy(p);
	/* guest.page has no 3m: refused by name when the value is added. */
	static const char *const gp_key[] = { "guest.page" };
	ck_assert_int_eq(sweep_plan_create(&p, err, sizeof(err)), TRACE_OK);
	ck_assert_int_eq(sweep_plan_add_grid(p, "guest.page", gp_key, 1, err, sizeof(err)),
			 TRACE_OK);
	ck_assert_int_eq(sweep_plan_add_value(p, "3m", err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "guest.page"), "%s", err);
	sweep_plan_destroy(p);
	/* 512 L2 entries in the default 12 ways: 42.67 sets, not a power of two. */
	static const char *const l2e_key[] = { "tlb.l2.entries" }, *const v512[] = { "512" };
	ck_assert_int_eq(sweep_plan_create(&p, err, sizeof(err)), TRACE_OK);
	plan_grid(p, "tlb.l2.entries", l2e_key, 1, v512, 1);
	ck_assert_int_eq(sweep_plan_setup(p, &cfg, err, sizeof(err)), TRACE_OK);
	base = sim_params(NULL);
	ck_assert_int_eq(sweep_plan_set_base(p, base, err, sizeof(err)), TRACE_OK);
	param_destroy(base);
	ck_assert_int_eq(sweep_plan_check_point(p, 0, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "tlb.l2: 512 entries in 12 ways"), "%s", err);
	sweep_plan_destroy(p);
}
END_TEST

/* The values range TEXT stands for, worked out by hand: N of them, WANT. */
static void range_is(const char *text, const int64_t *want, size_t n)
{
	char err[512];
	sweep_range r;
	ck_assert_msg(sweep_range_parse(text, &r, err, sizeof(err)) == TRACE_OK, "%s: %s", text, err);
	ck_assert_uint_eq(r.n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(sweep_range_value(&r, i), want[i]);
}

static void range_refused(const char *text, const char *why)
{
	char err[512];
	sweep_range r;
	ck_assert_int_eq(sweep_range_parse(text, &r, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, text) && strstr(err, why), "%s: %s", text, err);
}

/* Grid ranges (issue 25): the two, a step of 1, suffixes and hex,
 * negative ends, one value, the most a grid holds; each refusal names the
 * range and why. A linked item's ranges vary together, a plain part holds
 * for each value; the values added are the decimal texts. */
START_TEST(grid_ranges_expand_to_their_values)
{
	static const int64_t x2[] = { 16, 32, 64, 128 }, p256[] = { 256, 512, 768, 1024 };
	static const int64_t one[] = { 3, 4, 5 }, k[] = { 1024, 2048, 3072, 4096 };
	static const int64_t neg[] = { -4, -1, 2 }, single[] = { 7 }, x10[] = { 1, 10, 100, 1000 };
	range_is("16..128:x2", x2, 4);
	range_is("256..1024+256", p256, 4);
	range_is("3..5", one, 3);
	range_is("1K..4k+0x400", k, 4);
	range_is("-4..2+3", neg, 3);
	range_is("7..7:x2", single, 1);
	range_is("1..1000:x10", x10, 4);
	sweep_range r;
	char err[512];
	ck_assert_int_eq(sweep_range_parse("1..256", &r, err, sizeof(err)), TRACE_OK);
	ck_assert_uint_eq(r.n, 256);
	ck_assert_int_eq(sweep_range_value(&r, 255), 256);
	range_refused("1..257", "has 257 values, more than a grid holds (256)");
	range_refused("256..1000+256", "does not reach 1000: its values stop at 768");
	range_refused("16..100:x2", "does not reach 100: its values stop at 64");
	range_refused("128..16:x2", "runs down");
	range_refused("0..8:x2", "does not start above 0");
	range_refused("16..128:x1", "factor below 2");
	range_refused("16..128+0", "step below 1");
	range_refused("1.5..3", "expected A..B, A..B+STEP or A..B:xFACTOR");
	range_refused("1..4+1:x2", "expected A..B");
	range_refused("..4", "expected A..B");
	/* 2^62 * 2 would overflow: 1..2^62:x2 ends there, one more is refused. */
	ck_assert_int_eq(sweep_range_parse("1..0x4000000000000000:x2", &r, err, sizeof(err)),
			 TRACE_OK);
	ck_assert_uint_eq(r.n, 63);
	range_refused("1..0x7fffffffffffffff:x2", "does not reach 9223372036854775807");

	sweep_plan *p;
	ck_assert_int_eq(sweep_plan_create(&p, err, sizeof(err)), TRACE_OK);
	ck_assert_int_eq(sweep_plan_add_grid(p, "tlb.l2.entries:tlb.l2.ways", l2_keys, 2, err,
					     sizeof(err)), TRACE_OK);
	ck_assert_msg(sweep_plan_add_item(p, "512..2048:x2:4..16:x2", err, sizeof(err)) == TRACE_OK,
		      "%s", err);
	ck_assert_msg(sweep_plan_add_item(p, "3K..6K+3K:12", err, sizeof(err)) == TRACE_OK, "%s",
		      err);
	ck_assert_msg(sweep_plan_add_item(p, "64:1", err, sizeof(err)) == TRACE_OK, "%s", err);
	const sweep_grid *g = sweep_plan_grid(p, 0);
	static const char *const lv[] = { "512:4", "1024:8", "2048:16", "3072:12", "6144:12", "64:1" };
	ck_assert_uint_eq(g->n, 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert_str_eq(g->values[i], lv[i]);
	ck_assert_int_eq(sweep_plan_add_item(p, "512..2048:x2:4..8:x2", err, sizeof(err)),
			 TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "its ranges have 3 and 2 values"), "%s", err);
	ck_assert_int_eq(sweep_plan_add_item(p, "512..2048:x2", err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "has 1 part for 2 keys"), "%s", err);
	ck_assert_int_eq(sweep_plan_add_item(p, "1..2:3:4", err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "has 3 parts for 2 keys"), "%s", err);
	/* A value of a range the registry refuses: the registry's message, and the range. */
	ck_assert_int_eq(sweep_plan_add_item(p, "2M..8M:x2:4", err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "tlb.l2.entries") &&
		      strstr(err, "(value 1 of 3 of the range '2M..8M:x2:4')"), "%s", err);
	ck_assert_int_eq(sweep_plan_add_item(p, "1..3+a:4", err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "--grid tlb.l2.entries: the range '1..3+a'"), "%s", err);
	sweep_plan_destroy(p);
}
END_TEST

/* A plan of G points (seed=1..A x tlb.l1d.latency=0..B-1 x guest.page=4k,2m
 * when C, over one trace), set up but not begun. */
static sweep_plan *sized_plan(size_t a, size_t b, int c)
{
	static const char *const traces[] = { "t.slt" };
	static const char *const seed[] = { "seed" }, *const lat[] = { "tlb.l1d.latency" };
	static const char *const gp[] = { "guest.page" };
	char err[1024], item[64];
	sweep_plan *p;
	ck_assert_int_eq(sweep_plan_create(&p, err, sizeof(err)), TRACE_OK);
	ck_assert_int_eq(sweep_plan_add_grid(p, "seed", seed, 1, err, sizeof(err)), TRACE_OK);
	snprintf(item, sizeof(item), "1..%zu", a);
	ck_assert_msg(sweep_plan_add_item(p, item, err, sizeof(err)) == TRACE_OK, "%s", err);
	if (b) {
		ck_assert_int_eq(sweep_plan_add_grid(p, "tlb.l1d.latency", lat, 1, err, sizeof(err)),
				 TRACE_OK);
		snprintf(item, sizeof(item), "0..%zu", b - 1);
		ck_assert_msg(sweep_plan_add_item(p, item, err, sizeof(err)) == TRACE_OK, "%s", err);
	}
	if (c) {
		ck_assert_int_eq(sweep_plan_add_grid(p, "guest.page", gp, 1, err, sizeof(err)),
				 TRACE_OK);
		ck_assert_int_eq(sweep_plan_add_item(p, "4k", err, sizeof(err)), TRACE_OK);
		ck_assert_int_eq(sweep_plan_add_item(p, "2m", err, sizeof(err)), TRACE_OK);
	}
	sweep_plan_config cfg = { .traces = traces, .ntraces = 1, .dir = "unused" };
	ck_assert_int_eq(sweep_plan_setup(p, &cfg, err, sizeof(err)), TRACE_OK);
	return p;
}

static void layout_is(size_t a, size_t b, int c, size_t per, size_t max,
		      enum sweep_emit_kind kind, size_t want_per, size_t want_tasks,
		      size_t want_arrays, size_t want_per_array)
{
	sweep_plan *p = sized_plan(a, b, c);
	sweep_emit_target t = { .kind = kind, .per_task = per, .max_array = max };
	sweep_emit_layout l;
	sweep_emit_layout_of(p, &t, &l);
	ck_assert_msg(l.per_task == want_per && l.tasks == want_tasks && l.arrays == want_arrays &&
		      l.per_array == want_per_array, "%zu points, per %zu, max %zu: %zu x %zu, "
		      "%zu arrays of %zu", sweep_plan_points(p), per, max, l.tasks, l.per_task,
		      l.arrays, l.per_array);
	sweep_plan_destroy(p);
}

/* Groups of points into tasks (issue 25), worked by hand: by default
 * ceil(G/16) tasks of ceil(G/tasks) points; beyond the array limit (1001
 * by default, Slurm's MaxArraySize) the default grows to ceil(G/limit) and
 * a --per-task given is kept and split into arrays. */
START_TEST(tasks_group_points_within_the_array_limit)
{
	const enum sweep_emit_kind S = SWEEP_EMIT_SLURM, P = SWEEP_EMIT_GNU_PARALLEL;
	layout_is(8, 0, 0, 0, 0, S, 8, 1, 1, 1);          /* 8: one task */
	layout_is(16, 0, 0, 0, 0, S, 16, 1, 1, 1);
	layout_is(17, 0, 0, 0, 0, S, 9, 2, 1, 2);         /* 17: 2 tasks, 9 and 8 */
	layout_is(12, 0, 1, 0, 0, S, 12, 2, 1, 2);        /* 24: 2 of 12, not 16 + 8 */
	layout_is(250, 200, 1, 0, 0, S, 100, 1000, 1, 1000);   /* 100,000: 6,250 > 1,001
								   tasks: ceil(1e5/1001) =
								   100 points, 1,000 tasks */
	layout_is(250, 200, 1, 0, 0, P, 16, 6250, 1, 6250);    /* (no limit for parallel) */
	layout_is(250, 20, 1, 1, 0, S, 1, 10000, 10, 1001);    /* 10,000 tasks of 1: 10
								   arrays, 9 of 1,001 */
	layout_is(200, 0, 0, 0, 10, S, 20, 10, 1, 10);
	layout_is(200, 0, 0, 20, 4, S, 20, 10, 3, 4);     /* 4 + 4 + 2 */
	layout_is(5, 0, 0, 1, 1, S, 1, 5, 5, 1);
	layout_is(5, 0, 0, 0, 1, S, 5, 1, 1, 1);
}
END_TEST

static void no_failure(void *ctx, size_t first, size_t last, int code, const char *msg)
{
	(void)ctx;
	ck_abort_msg("points %zu..%zu failed (%d): %s", first, last, code, msg);
}

/* The lines of PATH (at most MAX, each malloc'd) into L; their count. */
static size_t read_lines(const char *path, char **l, size_t max)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = 0, cap = 0;
	char *line = NULL;
	while (n < max && getline(&line, &cap, f) > 0)
		l[n++] = strdup(line);
	free(line);
	fclose(f);
	return n;
}

/* A plan of the grid (l2 entries:ways) = 512:8, 1536:12 over TRACE into
 * DIR, with the default configuration. */
static sweep_plan *two_point_plan(const char *const *traces, const char *dir, outset *outs,
				  const char *second)
{
	const char *values[] = { "512:8", second };
	char err[1024];
	sweep_plan *p;
	ck_assert_int_eq(sweep_plan_create(&p, err, sizeof(err)), TRACE_OK);
	plan_grid(p, "tlb.l2.entries:tlb.l2.ways", l2_keys, 2, values, 2);
	sweep_plan_config cfg = { .traces = traces, .ntraces = 1, .fmt = TRACE_FMT_AUTO,
				  .dir = dir, .outs = outs };
	ck_assert_int_eq(sweep_plan_setup(p, &cfg, err, sizeof(err)), TRACE_OK);
	param_reg *base = sim_params(NULL);
	ck_assert_int_eq(sweep_plan_set_base(p, base, err, sizeof(err)), TRACE_OK);
	param_destroy(base);
	return p;
}

/* The whole sweep through the engine's verbs alone: points run and
 * written, a second run finds them finished, the results are one row per
 * point; a different sweep into the directory, a point file missing and a
 * point file of another point are refused with codes and messages naming
 * them; the emitted job list is the command line of each point. */
START_TEST(sweep_engine_runs_resumes_and_collects_without_the_command_line)
{
	char *trace = trace_file(2000, 7);
	const char *traces[] = { trace };
	char dir[] = "/tmp/slatsim-check-swXXXXXX", p0[600], p1[600], csv[600], err[8192];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	outset *outs;
	ck_assert_int_eq(outset_create(&outs, err, sizeof(err)), 0);
	sweep_plan *p = two_point_plan(traces, dir, outs, "1536:12");
	ck_assert_msg(sweep_plan_begin(p, err, sizeof(err)) == TRACE_OK, "%s", err);
	sweep_run_opts o = { .replay = { .threads = 1 }, .batch = 16, .failed = no_failure };
	size_t ran;
	ck_assert_msg(sweep_plan_run(p, 0, 1, &o, &ran, err, sizeof(err)) == TRACE_OK, "%s", err);
	ck_assert_uint_eq(ran, 2);
	snprintf(p0, sizeof(p0), "%s/points/0.json", dir);
	snprintf(p1, sizeof(p1), "%s/points/1.json", dir);
	jsonr *doc = jsonr_load(p1, err, sizeof(err));
	ck_assert_msg(doc != NULL, "%s", err);
	uint64_t records;
	ck_assert_int_eq(jsonr_u64(jsonr_get(jsonr_get(doc, "stats"), "records"), &records), 0);
	ck_assert_uint_eq(records, 2000);
	ck_assert_str_eq(jsonr_get(jsonr_get(doc, "config"), "tlb.l2.ways")->text, "12");
	jsonr_free(doc);
	/* Resumed: both points are finished. */
	ck_assert_int_eq(sweep_plan_run(p, 0, 1, &o, &ran, err, sizeof(err)), TRACE_OK);
	ck_assert_uint_eq(ran, 0);
	ck_assert_msg(sweep_collect(dir, outs, err, sizeof(err)) == TRACE_OK, "%s", err);
	char *l[4];
	snprintf(csv, sizeof(csv), "%s/results.csv", dir);
	ck_assert_uint_eq(read_lines(csv, l, 4), 3);
	ck_assert_msg(strncmp(l[0], "point,trace,tlb.l2.entries,tlb.l2.ways,", 39) == 0, "%s", l[0]);
	char want[700];
	snprintf(want, sizeof(want), "1,%s,1536,12,", trace);
	ck_assert_msg(strncmp(l[2], want, strlen(want)) == 0, "%s", l[2]);
	for (size_t i = 0; i < 3; i++)
		free(l[i]);
	/* The job list: a line per task (here a point each), every path quoted
	 * for the shell. */
	sweep_emit_target t = { .kind = SWEEP_EMIT_GNU_PARALLEL, .self = "/x/slatsim",
				.cwd = "/w", .per_task = 1 };
	ck_assert_int_eq(sweep_emit_write(p, &t, err, sizeof(err)), TRACE_OK);
	snprintf(csv, sizeof(csv), "%s/%s", dir, sweep_emit_file(p, &t));
	ck_assert_uint_eq(read_lines(csv, l, 4), 2);
	snprintf(want, sizeof(want), "cd '/w' && '/x/slatsim' sweep --quiet --batch 1 --grid "
		 "'tlb.l2.entries:tlb.l2.ways=512:8,1536:12' --format auto --out '%s' --point 1-1 "
		 "'%s'\n", dir, trace);
	ck_assert_str_eq(l[1], want);
	free(l[0]);
	free(l[1]);
	/* By default the two points are one task, one batch of two. */
	t.per_task = 0;
	ck_assert_int_eq(sweep_emit_write(p, &t, err, sizeof(err)), TRACE_OK);
	ck_assert_uint_eq(read_lines(csv, l, 4), 1);
	ck_assert_msg(strstr(l[0], " --batch 2 ") && strstr(l[0], " --point 0-1 "), "%s", l[0]);
	free(l[0]);
	sweep_plan_destroy(p);
	/* Another grid into the same directory. */
	p = two_point_plan(traces, dir, outs, "2048:16");
	ck_assert_int_eq(sweep_plan_begin(p, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "/sweep.json: holds a different sweep: its --grid differs"), "%s",
		      err);
	/* A point file of another point (0's as 1's), and one missing. */
	FILE *f = fopen(p0, "rb"), *g = fopen(p1, "wb");
	for (int c; (c = fgetc(f)) != EOF;)
		fputc(c, g);
	fclose(f);
	fclose(g);
	ck_assert_int_eq(sweep_collect(dir, outs, err, sizeof(err)), TRACE_EFORMAT);
	snprintf(want, sizeof(want), "%s: not point 1 of this sweep: its tlb.l2.entries is 512, the "
		 "point's is 1536", p1);
	ck_assert_str_eq(err, want);
	unlink(p1);
	ck_assert_int_eq(sweep_collect(dir, outs, err, sizeof(err)), TRACE_EFORMAT);
	snprintf(want, sizeof(want), "%s: 1 of 2 points have no result (1): run the sweep (or the "
		 "missing tasks) again", dir);
	ck_assert_str_eq(err, want);
	sweep_plan_destroy(p);
	/* A Slurm task log path under a directory with '%' is refused. */
	snprintf(csv, sizeof(csv), "%s/a%%b", dir);
	p = two_point_plan(traces, csv, outs, "1536:12");
	t.kind = SWEEP_EMIT_SLURM;
	ck_assert_int_eq(sweep_emit_check(p, &t, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "holds '%' (byte 0x25), which Slurm expands"), "%s", err);
	sweep_plan_destroy(p);
	outset_destroy(outs);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	unlink(trace);
	free(trace);
}
END_TEST

START_TEST(plot_kind_from_the_name)
{
	plot_kind k;
	ck_assert_int_eq(plot_kind_of("a.png", &k), 0);
	ck_assert_int_eq(k, PLOT_PNG);
	ck_assert_int_eq(plot_kind_of("dir/B.SVG", &k), 0);
	ck_assert_int_eq(k, PLOT_SVG);
	ck_assert_int_eq(plot_kind_of("a.pdf", &k), -1);
	ck_assert_int_eq(plot_kind_of(".png", &k), -1);
}
END_TEST

Suite *sweep_suite(void);
Suite *sweep_suite(void)
{
	Suite *s = suite_create("sweep");
	TCase *tc = tcase_create("sweep");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, each_point_equals_a_lone_replay);
	tcase_add_test(tc, each_point_equals_a_lone_replay_with_a_window);
	tcase_add_test(tc, a_failing_point_stops_alone);
	tcase_add_test(tc, jsonr_reads_what_slatsim_writes);
	tcase_add_test(tc, plot_kind_from_the_name);
	tcase_add_test(tc, xxh64_matches_the_reference);
	tcase_add_test(tc, fingerprint_names_what_changed);
	tcase_add_test(tc, sweep_plan_numbers_points_trace_by_trace);
	tcase_add_test(tc, grid_ranges_expand_to_their_values);
	tcase_add_test(tc, tasks_group_points_within_the_array_limit);
	tcase_add_test(tc, sweep_engine_runs_resumes_and_collects_without_the_command_line);
	suite_add_tcase(s, tc);
	return s;
}
