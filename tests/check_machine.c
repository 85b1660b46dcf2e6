/*
 * tests/check_machine.c - the machine as a library (sim/machine/machine.h): one
 * per-access entry point, several machines in one process, domains.
 */
#include "check_util.h"
#include "check_sim.h"
#include "machine.h"
#include "rng.h"
#include "tracestat.h"
#include "v2p.h"

/* A registry with every parameter, then the "key=value" settings. */
/* A reproducible access stream: two vCPUs, reads/writes/fetches over a few
 * MB, some crossing a page, and an invalidation now and then. */
static size_t stream(trace_rec *out, size_t n, uint64_t seed)
{
	rng r;
	rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++) {
		trace_rec *x = &out[i];
		memset(x, 0, sizeof(*x));
		uint64_t u = rng_next(&r);
		x->vcpu = (uint16_t)(u & 1);
		if (i % 997 == 996) {
			x->kind = TRACE_INV;
			x->op = TRACE_INV_ASID;
			x->asid = 0;
			continue;
		}
		x->kind = (uint8_t)((u >> 1) % 3);
		x->gva = UINT64_C(0x7f0000000000) + ((u >> 8) % (UINT64_C(6) << 20));
		x->size = x->kind == TRACE_X ? 4 : 8;
		x->icount = x->kind == TRACE_X ? 1 : 0;
	}
	return n;
}

/* Every counter of A equals B's counter of the same name. */
static void same_stats(stats_reg *a, stats_reg *b, const char *what)
{
	ck_assert_uint_eq(stats_count(a), stats_count(b));
	for (size_t i = 0; i < stats_count(a); i++) {
		if (stats_kind_at(a, i) != STATS_COUNTER)
			continue;
		int found;
		uint64_t y = stats_get(b, stats_name_at(a, i), &found);
		ck_assert_msg(found && stats_value_at(a, i) == y, "%s: %s: %llu vs %llu", what,
			      stats_name_at(a, i), (unsigned long long)stats_value_at(a, i),
			      (unsigned long long)y);
	}
}

/* Two machines with different configurations, fed access by access in
 * turn, end with exactly the statistics each has when it runs alone (no
 * state is shared: DESIGN "no file-scope mutable state"). */
START_TEST(two_machines_interleaved_match_lone_runs)
{
	enum { N = 60000 };
	trace_rec *t = malloc(N * sizeof(*t));
	stream(t, N, 7);
	const char *cfg_a[] = { "dirtylog.mode=pml", "dirtylog.period=20000", NULL };
	const char *cfg_b[] = { "arch=arm64", "guest.granule=64k", "host.granule=64k",
				"dirtylog.mode=hdbss", "dirtylog.period=15000", "tlb.l2.entries=256",
				"tlb.l2.ways=4", NULL };
	param_reg *pa = sim_params(cfg_a), *pb = sim_params(cfg_b);
	machine *a = sim_machine(pa), *b = sim_machine(pb);
	for (size_t i = 0; i < N; i++) {
		ck_assert_int_eq(sim_access(a, &t[i], NULL), 0);
		ck_assert_int_eq(sim_access(b, &t[i], NULL), 0);
	}
	ck_assert_int_eq(machine_finish(a), 0);
	ck_assert_int_eq(machine_finish(b), 0);
	machine *la = sim_machine(pa), *lb = sim_machine(pb);
	size_t failed;
	for (size_t i = 0; i < N; i += 4096) {
		size_t n = N - i < 4096 ? N - i : 4096;
		ck_assert_int_eq(replay_batch(la, t + i, n, i, NULL, &failed), 0);
		ck_assert_int_eq(replay_batch(lb, t + i, n, i, NULL, &failed), 0);
	}
	ck_assert_int_eq(machine_finish(la), 0);
	ck_assert_int_eq(machine_finish(lb), 0);
	same_stats(machine_stats(a), machine_stats(la), "A interleaved vs alone");
	same_stats(machine_stats(b), machine_stats(lb), "B interleaved vs alone");
	/* and the two configurations did differ */
	ck_assert_uint_ne(sim_stat(machine_stats(a), "walk.mem_refs"),
			  sim_stat(machine_stats(b), "walk.mem_refs"));
	ck_assert_uint_gt(sim_stat(machine_stats(a), "pml.logged"), 0);
	ck_assert_uint_gt(sim_stat(machine_stats(b), "hdbss.logged"), 0);
	size_t na, nb;
	machine_rounds(a, 0, &na);
	machine_rounds(la, 0, &nb);
	ck_assert_uint_eq(na, nb);
	machine_destroy(a);
	machine_destroy(b);
	machine_destroy(la);
	machine_destroy(lb);
	param_destroy(pa);
	param_destroy(pb);
	free(t);
}
END_TEST

/* machine_access says what one access did: an 8-byte read at 0x...1ffc
 * crosses into the next 4 KB page, so two pages, each cold: by hand, with
 * guest.page=base and host.page=4k, the first page takes a guest fault and
 * a host fault for its data page (the guest's table pages are backed as
 * they are allocated, also host faults), the second page one more of each;
 * the bytes land at the right offsets of what the translations say. */
START_TEST(machine_access_reports_pages_cycles_and_faults)
{
	const char *cfg[] = { "host.page=4k", NULL };
	param_reg *p = sim_params(cfg);
	machine *m = sim_machine(p);
	trace_rec r = { .gva = 0x7f0000001ffc, .size = 8, .kind = TRACE_R };
	machine_result out;
	ck_assert_int_eq(sim_access(m, &r, &out), 0);
	ck_assert_uint_eq(out.npages, 2);
	ck_assert_uint_eq(out.shift[0], 12);
	ck_assert_uint_eq(out.shift[1], 12);
	ck_assert_uint_eq(out.hpa[0] & 0xfff, 0xffc);
	ck_assert_uint_eq(out.hpa[1] & 0xfff, 0x000);
	ck_assert_uint_eq(out.gpa[0] & 0xfff, 0xffc);
	ck_assert_uint_ne(out.hpa[0] >> 12, out.hpa[1] >> 12);
	ck_assert_uint_eq(out.faults_guest, 2);
	/* Host faults: root + 3 table pages of the guest's first walk, its data
	 * page, then the second data page (its tables exist): 6. */
	ck_assert_uint_eq(out.faults_host, 6);
	ck_assert_uint_eq(out.cycles_faults, 2 * 2500 + 6 * 7500);
	ck_assert_uint_gt(out.walks, 2);
	ck_assert_uint_gt(out.cycles_translation, 0);
	/* Again: both pages hit in the L1 DTLB, nothing else happens. */
	ck_assert_int_eq(sim_access(m, &r, &out), 0);
	ck_assert_uint_eq(out.npages, 2);
	ck_assert_uint_eq(out.walks, 0);
	ck_assert_uint_eq(out.faults_guest + out.faults_host, 0);
	ck_assert_uint_eq(out.cycles_translation, 0);   /* L1 latency 0 by default */
	ck_assert_int_eq(machine_finish(m), 0);
	ck_assert_uint_eq(sim_stat(machine_stats(m), "tlb.l1d.hits"), 2);
	ck_assert_uint_eq(sim_stat(machine_stats(m), "fault.host"), 6);
	machine_destroy(m);
	param_destroy(p);
}
END_TEST

/* Domains: vCPU 1 in domain 1 with 2 MB guest pages; each domain's
 * counters are its own, the totals their sums, and page tables add up. */
START_TEST(domains_keep_their_own_statistics)
{
	const char *cfg[] = { "domains=2", "vcpu.domain=0,1", "domain.1.guest.page=2m", NULL };
	param_reg *p = sim_params(cfg);
	machine *m = sim_machine(p);
	ck_assert_uint_eq(machine_domains(m), 2);
	for (uint64_t k = 0; k < 64; k++) {
		trace_rec r = { .gva = 0x7f0000000000 + k * 4096, .size = 8, .kind = TRACE_W };
		ck_assert_int_eq(sim_access(m, &r, NULL), 0);
		r.vcpu = 1;
		ck_assert_int_eq(sim_access(m, &r, NULL), 0);
	}
	ck_assert_int_eq(machine_finish(m), 0);
	stats_reg *s = machine_stats(m);
	ck_assert_uint_eq(sim_stat(s, "domain.0.pages.guest"), 64);   /* 4 KB pages */
	ck_assert_uint_eq(sim_stat(s, "domain.1.pages.guest"), 1);    /* one 2 MB page */
	ck_assert_uint_eq(sim_stat(s, "pages.guest"), 65);
	ck_assert_uint_eq(sim_stat(s, "domain.0.accesses") + sim_stat(s, "domain.1.accesses"),
			  sim_stat(s, "accesses"));
	ck_assert_uint_eq(sim_stat(s, "domain.0.pt.bytes") + sim_stat(s, "domain.1.pt.bytes"),
			  sim_stat(s, "pt.bytes"));
	ck_assert_uint_eq(sim_stat(s, "domain.0.fault.guest"), 64);
	ck_assert_uint_eq(sim_stat(s, "domain.1.fault.guest"), 1);
	machine_destroy(m);
	param_destroy(p);
}
END_TEST

/* What the machine's walkers did to memory, by kind. */
typedef struct traffic {
	uint64_t n[3], latency[3];
	uint64_t last_log_pa, last_log_value;
} traffic;

static void count_traffic(void *ctx, const mmu_mem_op *op)
{
	traffic *t = ctx;
	t->n[op->kind]++;
	t->latency[op->kind] += op->latency;
	if (op->kind == MMU_MEM_LOG_WRITE) {
		t->last_log_pa = op->pa;
		t->last_log_value = op->value;
	}
}

/* machine_set_mem_observer: every descriptor read, A/D write and PML entry
 * of every vCPU's walks (vCPUs made before and after it was set), as many
 * as the statistics count, each at the latency the model charged; a PML
 * entry is the 4 KB-aligned GPA written into the log page, from entry 511
 * down. The flat model (cache.model=off) charges reads and A/D writes
 * mem.pte_latency, entries pml.log.cycles; with the caches (the default)
 * a read or A/D write costs the latency of the level that served it (the
 * walk.refs.* and walk.ad_writes.* statistics count them by level; the
 * latencies set to distinct values, so that each level's share shows). */
START_TEST(machine_observer_hears_walks_ad_writes_and_log_entries)
{
	enum { L1 = 3, L2 = 17, LLC = 41, MEM = 211 };
	const char *flat[] = { "dirtylog.mode=pml", "cache.model=off", "mem.pte_latency=11",
			       "pml.log.cycles=13", NULL };
	const char *caches[] = { "dirtylog.mode=pml", "pml.log.cycles=13", "cache.l1d.latency=3",
				 "cache.l2.latency=17", "cache.llc.latency=41",
				 "cache.mem.latency=211", NULL };
	for (int with_caches = 0; with_caches < 2; with_caches++) {
		param_reg *p = sim_params(with_caches ? caches : flat);
		machine *m = sim_machine(p);
		trace_rec r = { .gva = 0x7f0000000123, .size = 8, .kind = TRACE_W };
		ck_assert_int_eq(sim_access(m, &r, NULL), 0);   /* vCPU 0 exists */
		traffic t;
		memset(&t, 0, sizeof(t));
		machine_set_mem_observer(m, count_traffic, &t);
		machine_warm(m);   /* the statistics count from here too */
		ck_assert_int_eq(sim_access(m, &r, NULL), 0);   /* a hit: nothing */
		ck_assert_uint_eq(t.n[0] + t.n[1] + t.n[2], 0);
		r.gva += 4096;
		ck_assert_int_eq(sim_access(m, &r, NULL), 0);
		ck_assert_uint_eq(t.n[MMU_MEM_LOG_WRITE], 1);
		ck_assert_uint_eq(t.last_log_value, t.last_log_value & ~UINT64_C(0xfff));
		/* The first write logged its data page and, with ept.ad_gpt_write,
		 * the guest's four table pages: entries 511..507; this one is
		 * entry 506. */
		ck_assert_uint_eq(t.last_log_pa & 0xfff, 8 * 506);
		for (uint64_t k = 0; k < 1200; k++) {
			trace_rec x = { .vcpu = (uint16_t)(k & 1), .gva = 0x7f0000100000 + k * 4096,
					.size = 8, .kind = TRACE_W };
			ck_assert_int_eq(sim_access(m, &x, NULL), 0);
		}
		ck_assert_int_eq(machine_finish(m), 0);
		stats_reg *s = machine_stats(m);
		ck_assert_uint_eq(t.n[MMU_MEM_DESC_READ], sim_stat(s, "walk.mem_refs"));
		ck_assert_uint_eq(t.n[MMU_MEM_DESC_WRITE], sim_stat(s, "walk.ad_writes"));
		ck_assert_uint_eq(t.n[MMU_MEM_LOG_WRITE], sim_stat(s, "pml.logged"));
		ck_assert_uint_gt(sim_stat(s, "pml.full_exits"), 0);
		ck_assert_uint_eq(t.latency[MMU_MEM_LOG_WRITE], 13 * t.n[MMU_MEM_LOG_WRITE]);
		if (!with_caches) {
			ck_assert_uint_eq(t.latency[MMU_MEM_DESC_READ], 11 * t.n[MMU_MEM_DESC_READ]);
			ck_assert_uint_eq(t.latency[MMU_MEM_DESC_WRITE], 11 * t.n[MMU_MEM_DESC_WRITE]);
		} else {
			static const char *const lv[] = { "l1", "l2", "llc", "mem" };
			static const uint64_t lat[] = { L1, L2, LLC, MEM };
			uint64_t reads = 0, writes = 0, nr = 0, nw = 0;
			char k[64];
			for (int l = 0; l < 4; l++) {
				snprintf(k, sizeof(k), "walk.refs.%s", lv[l]);
				nr += sim_stat(s, k);
				reads += lat[l] * sim_stat(s, k);
				snprintf(k, sizeof(k), "walk.ad_writes.%s", lv[l]);
				nw += sim_stat(s, k);
				writes += lat[l] * sim_stat(s, k);
			}
			ck_assert_uint_eq(nr, t.n[MMU_MEM_DESC_READ]);
			ck_assert_uint_eq(nw, t.n[MMU_MEM_DESC_WRITE]);
			ck_assert_uint_gt(sim_stat(s, "walk.refs.mem"), 0);   /* levels vary */
			ck_assert_uint_gt(sim_stat(s, "walk.refs.l1"), 0);
			ck_assert_uint_eq(t.latency[MMU_MEM_DESC_READ], reads);
			ck_assert_uint_eq(t.latency[MMU_MEM_DESC_WRITE], writes);
		}
		machine_destroy(m);
		param_destroy(p);
	}
}
END_TEST

/* vCPUs are added by the driver, before the first record that needs one
 * (machine.h): an access or a prefetch record of a vCPU not added is
 * refused, an invalidation is not; adding is idempotent and puts the vCPU
 * in its domain (vcpu.domain), whose vCPUs machine_inv_domain counts; the
 * control domain's one vCPU comes with the machine. */
START_TEST(vcpus_are_added_before_their_first_record)
{
	const char *cfg[] = { "domains=2", "vcpu.domain=0,1,0", "virt=nested", NULL };
	param_reg *p = sim_params(cfg);
	machine *m = sim_machine(p);
	trace_rec b[4] = {
		{ .vcpu = 3, .kind = TRACE_INV, .op = TRACE_INV_ALL },
		{ .vcpu = 0, .kind = TRACE_R, .gva = 0x7f0000001000, .size = 8 },
		{ .vcpu = 2, .kind = TRACE_P, .op = TRACE_PF_READ, .gva = 0x7f0000002000, .size = 8 },
		{ .vcpu = 1, .kind = TRACE_W, .gva = 0x7f0000003000, .size = 8 },
	};
	ck_assert_int_eq(machine_vcpu_needed(m, b, 4, NULL), 1);
	ck_assert_int_eq(machine_access(m, &b[0], NULL), 0);   /* vCPU 3 caches nothing */
	ck_assert_int_eq(machine_access(m, &b[1], NULL), -1);
	ck_assert_int_eq(machine_error_code(m), TRACE_EINTERNAL);
	ck_assert_ptr_nonnull(strstr(machine_error(m), "vCPU 0 was not added"));
	machine_destroy(m);
	m = sim_machine(p);
	ck_assert_int_eq(machine_add_vcpu(m, 0), 0);
	ck_assert_int_eq(machine_add_vcpu(m, 0), 0);
	ck_assert_int_eq(machine_vcpu_needed(m, b, 4, NULL), 2);
	ck_assert_int_eq(machine_add_vcpu(m, 2), 0);
	ck_assert_int_eq(machine_vcpu_needed(m, b, 4, NULL), 3);
	ck_assert_int_eq(machine_add_vcpu(m, 1), 0);
	ck_assert_int_eq(machine_vcpu_needed(m, b, 4, NULL), 4);
	/* the batch's counts answer at once once all are there (vCPU 3's
	 * record is an invalidation: scanned, not needed) */
	tracestat_batch c;
	tracestat_count(&c, b + 1, 3);
	ck_assert_int_eq(machine_vcpu_needed(m, b + 1, 3, &c), 3);
	ck_assert_uint_eq(machine_inv_domain(m, 0), 2);   /* vCPUs 0 and 2 */
	ck_assert_uint_eq(machine_inv_domain(m, 1), 1);   /* vCPU 1 */
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(machine_access(m, &b[i], NULL), 0);
	ck_assert_int_eq(machine_add_vcpu(m, TRACE_MAX_VCPUS), -1);
	machine_destroy(m);
	param_destroy(p);
	const char *ctl[] = { "domains.control=1", NULL };
	p = sim_params(ctl);
	m = sim_machine(p);
	ck_assert_uint_eq(machine_control_domain(m), 1);
	ck_assert_uint_eq(machine_inv_domain(m, 1), 1);   /* MACHINE_BACKEND_VCPU */
	ck_assert_uint_eq(machine_inv_domain(m, 0), 0);   /* no trace vCPU yet */
	ck_assert_int_eq(machine_vcpu_access(m, MACHINE_BACKEND_VCPU, TRACE_R, 0x7f0000001000, 8,
					     0, NULL), 0);
	machine_destroy(m);
	param_destroy(p);
}
END_TEST

/* The PML log pages the observer sees written, in order of first write. */
typedef struct log_pages {
	uint64_t page[4];
	unsigned n;
} log_pages;

static void note_log_page(void *ctx, const mmu_mem_op *op)
{
	log_pages *l = ctx;
	if (op->kind != MMU_MEM_LOG_WRITE || (l->n && l->page[l->n - 1] == op->pa >> 12))
		return;
	ck_assert_uint_lt(l->n, 4);
	l->page[l->n++] = op->pa >> 12;
}

/* A vCPU's PML buffer is placed in host memory when the vCPU is added, by
 * the bump allocator (4 KB-aligned 4 KB pages, simerr.h): replay_batch adds
 * vCPU 1 at its first record, after vCPU 0's first write made its guest and
 * stage-2 tables, so vCPU 1's log page lies more than one page above vCPU
 * 0's - where a driver feeding record by record puts it; adding both before
 * the first record would put them on consecutive pages. */
START_TEST(replay_batch_adds_vcpus_at_their_first_record)
{
	const char *cfg[] = { "dirtylog.mode=pml", NULL };
	param_reg *p = sim_params(cfg);
	trace_rec b[2] = {
		{ .vcpu = 0, .kind = TRACE_W, .gva = 0x7f0000001000, .size = 8 },
		{ .vcpu = 1, .kind = TRACE_W, .gva = 0x7f0000200000, .size = 8 },
	};
	log_pages batch = { 0 }, one = { 0 }, early = { 0 };
	machine *m = sim_machine(p);
	machine_set_mem_observer(m, note_log_page, &batch);
	size_t failed;
	ck_assert_int_eq(replay_batch(m, b, 2, 0, NULL, &failed), 0);
	machine_destroy(m);
	m = sim_machine(p);
	machine_set_mem_observer(m, note_log_page, &one);
	for (unsigned i = 0; i < 2; i++)
		ck_assert_int_eq(sim_access(m, &b[i], NULL), 0);
	machine_destroy(m);
	m = sim_machine(p);
	machine_set_mem_observer(m, note_log_page, &early);
	ck_assert_int_eq(machine_add_vcpu(m, 0), 0);
	ck_assert_int_eq(machine_add_vcpu(m, 1), 0);
	ck_assert_int_eq(replay_batch(m, b, 2, 0, NULL, &failed), 0);
	machine_destroy(m);
	ck_assert_uint_eq(batch.n, 2);
	ck_assert_uint_gt(batch.page[1], batch.page[0] + 1);
	ck_assert_uint_eq(one.n, 2);
	ck_assert_uint_eq(one.page[0], batch.page[0]);
	ck_assert_uint_eq(one.page[1], batch.page[1]);
	ck_assert_uint_eq(early.n, 2);
	ck_assert_uint_eq(early.page[1], early.page[0] + 1);
	param_destroy(p);
}
END_TEST

/* Bad domain configurations are refused by name. */
START_TEST(domain_keys_are_checked_by_name)
{
	char err[256];
	param_reg *p = sim_params(NULL);
	ck_assert_int_eq(param_set_assignment(p, "domain.0.tlb.l2.entries=64", "t", err,
					      sizeof(err)), PARAM_ERR);
	ck_assert_ptr_nonnull(strstr(err, "tlb.l2.entries is machine-wide"));
	ck_assert_int_eq(param_set_assignment(p, "domain.64.guest.page=2m", "t", err,
					      sizeof(err)), PARAM_ERR);
	ck_assert_ptr_nonnull(strstr(err, "'domain.64.guest.page': domain 64 is beyond the largest, 63"));
	ck_assert_int_eq(param_set_assignment(p, "domain.01.guest.page=2m", "t", err,
					      sizeof(err)), PARAM_ERR);
	ck_assert_ptr_nonnull(strstr(err, "domain number '01' has a leading zero (domain.1)"));
	ck_assert_int_eq(param_set_assignment(p, "domain.1.guest.paeg=2m", "t", err,
					      sizeof(err)), PARAM_ERR);
	ck_assert_ptr_nonnull(strstr(err, "unknown parameter 'domain.1.guest.paeg'"));
	ck_assert_int_eq(param_set_assignment(p, "domain.1.guest.page=3m", "t", err,
					      sizeof(err)), PARAM_ERR);
	ck_assert_int_eq(param_set_assignment(p, "domain.1.guest.page=2m", "t", err,
					      sizeof(err)), PARAM_OK);
	machine *m;
	ck_assert_int_eq(machine_create(&m, p, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_ptr_nonnull(strstr(err, "domain.1.guest.page: there is only 1 domain"));
	ck_assert_int_eq(param_set_assignment(p, "domains=2", "t", err, sizeof(err)), PARAM_OK);
	ck_assert_int_eq(param_set_assignment(p, "vcpu.domain=0,2", "t", err, sizeof(err)),
			 PARAM_OK);
	ck_assert_int_eq(machine_create(&m, p, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_ptr_nonnull(strstr(err, "vCPU 1 in domain 2"));
	ck_assert_int_eq(param_set_assignment(p, "vcpu.domain=0,1", "t", err, sizeof(err)),
			 PARAM_OK);
	ck_assert_int_eq(param_set_assignment(p, "domain.1.guest.granule=64k", "t", err,
					      sizeof(err)), PARAM_OK);
	ck_assert_int_eq(machine_create(&m, p, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_ptr_nonnull(strstr(err, "domain 1: guest.granule=64k: x86 paging"));
	param_destroy(p);
}
END_TEST

/* A map built in memory (v2p_new, v2p_add: what calibrate makes of the
 * frames chase reads) places the guest's pages, and the host's walk follows
 * the guest-physical placement. By hand: 4 data pages, consecutive in VA,
 * host.page=4k. Placed in one 2 MB region, their host leaf descriptors
 * share one host page table; placed each in a 2 MB region of its own
 * (GPA 1 GB + k x 2 MB), they need 4: 3 host table pages more, 12288 bytes
 * of pt.bytes, and nothing else changes in the tables. */
START_TEST(v2p_built_in_memory_places_pages_and_the_host_follows)
{
	const char *cfg[] = { "host.page=4k", NULL };
	param_reg *p = sim_params(cfg);
	uint64_t base = UINT64_C(0x7f0000000000), held[2];
	for (int spread = 0; spread < 2; spread++) {
		v2p *map = v2p_new("in memory", 12);
		ck_assert_ptr_nonnull(map);
		uint64_t step = spread ? UINT64_C(2) << 20 : 4096;
		for (uint64_t k = 0; k < 4; k++)
			ck_assert_int_eq(v2p_add(map, base + k * 4096, (UINT64_C(1) << 30) + k * step), 1);
		ck_assert_int_eq(v2p_add(map, base, UINT64_C(1) << 20), 0);   /* mapped: kept */
		ck_assert_int_eq(v2p_add(map, base + 8192 + 8, 0), -1);        /* unaligned */
		ck_assert_uint_eq(v2p_pages(map), 4);
		ck_assert_uint_eq(v2p_max_pa(map), (UINT64_C(1) << 30) + 3 * step + 4096);
		uint64_t pa;
		ck_assert_int_eq(v2p_lookup(map, base + 2 * 4096 + 123, &pa), 0);
		ck_assert_uint_eq(pa, (UINT64_C(1) << 30) + 2 * step);
		machine *m = sim_machine(p);
		ck_assert_int_eq(machine_set_v2p(m, map), 0);
		for (uint64_t k = 0; k < 4; k++) {
			trace_rec r = { .kind = TRACE_R, .gva = base + k * 4096 + 64, .size = 8 };
			machine_result out;
			ck_assert_int_eq(sim_access(m, &r, &out), 0);
			ck_assert_uint_eq(out.gpa[0], (UINT64_C(1) << 30) + k * step + 64);
		}
		ck_assert_int_eq(machine_finish(m), 0);
		held[spread] = sim_stat(machine_stats(m), "pt.bytes");
		machine_destroy(m);
		v2p_destroy(map);
	}
	ck_assert_uint_eq(held[1] - held[0], 3 * 4096);
	param_destroy(p);
}
END_TEST

Suite *machine_suite(void)
{
	Suite *s = suite_create("machine");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, two_machines_interleaved_match_lone_runs);
	tcase_add_test(tc, machine_access_reports_pages_cycles_and_faults);
	tcase_add_test(tc, domains_keep_their_own_statistics);
	tcase_add_test(tc, domain_keys_are_checked_by_name);
	tcase_add_test(tc, machine_observer_hears_walks_ad_writes_and_log_entries);
	tcase_add_test(tc, vcpus_are_added_before_their_first_record);
	tcase_add_test(tc, replay_batch_adds_vcpus_at_their_first_record);
	tcase_add_test(tc, v2p_built_in_memory_places_pages_and_the_host_follows);
	suite_add_tcase(s, tc);
	return s;
}
