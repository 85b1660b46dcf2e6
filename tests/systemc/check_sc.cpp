/*
 * tests/systemc/check_sc.cpp - slatsim_mmu in a simulation of its own
 * making, as a platform would use it (make check runs it under ASan+UBSan).
 *
 *  - two_mmus_in_one_simulation_match_lone_machines: two differently
 *    configured instances (x86 nested 4K with PML; arm64 64K/64K), fed the
 *    same stream access by access in turn from one initiator, end with
 *    exactly the statistics of a machine fed alone through machine_access
 *    (no state is shared: DESIGN "no file-scope mutable state").
 *  - every walker reference reaches the memory side as a transaction with
 *    its walk_ref_ext, as many of each kind as the model counts
 *    (walk.mem_refs, walk.ad_writes, pml.logged), and the data access
 *    follows at the HPA the extension reports.
 *  - the hypervisor's methods (harvest, invalidate_domain) and an
 *    approximately-timed initiator (nb_transport_fw completes at once).
 */
#include "slatsim_memory.h"
#include "slatsim_mmu.h"

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdio>
#include <cstring>
#include <vector>

extern "C" {
#include "rng.h"
}

static int failures;

#define CHECK(cond, ...)                                                         \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);     \
			fprintf(stderr, __VA_ARGS__);                            \
			fputc('\n', stderr);                                     \
			failures++;                                              \
		}                                                                \
	} while (0)

/* Every parameter of the machine and the component, then SETS. */
static param_reg *params(const std::vector<const char *> &sets)
{
	param_reg *p = param_create();
	char err[256];
	if (!p || machine_params_register(p) != PARAM_OK ||
	    slatsim_mmu::register_params(p) != PARAM_OK) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (const char *s : sets)
		if (param_set_assignment(p, s, "test", err, sizeof(err)) != PARAM_OK) {
			fprintf(stderr, "%s\n", err);
			exit(1);
		}
	return p;
}

/* Two vCPUs, reads/writes/fetches over a few MB (some crossing a page), an
 * ASID invalidation now and then (as tests/check_machine.c streams). */
static std::vector<trace_rec> stream(size_t n, uint64_t seed)
{
	std::vector<trace_rec> out(n);
	rng r;
	rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++) {
		trace_rec &x = out[i];
		memset(&x, 0, sizeof(x));
		uint64_t u = rng_next(&r);
		x.vcpu = (uint16_t)(u & 1);
		if (i % 997 == 996) {
			x.kind = TRACE_INV;
			x.op = TRACE_INV_ASID;
			continue;
		}
		x.kind = (uint8_t)((u >> 1) % 3);
		x.gva = UINT64_C(0x7f0000000000) + ((u >> 8) % (UINT64_C(6) << 20));
		x.size = x.kind == TRACE_X ? 4 : 8;
		x.icount = x.kind == TRACE_X ? 1 : 0;
	}
	return out;
}

/* A memory target that also counts the walker's transactions by kind and
 * checks the data accesses land where the MMU said. */
struct recording_memory : sc_core::sc_module {
	tlm_utils::simple_target_socket<recording_memory> socket;
	uint64_t refs[3] = { 0, 0, 0 }, data = 0, bad = 0;
	uint64_t expect_hpa = 0;       /* the next data access's first HPA, when known */
	bool expecting = false;

	explicit recording_memory(sc_core::sc_module_name n) : sc_module(n), socket("socket")
	{
		socket.register_b_transport(this, &recording_memory::b_transport);
	}

	void b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay)
	{
		slatsim::walk_ref_ext *w = gp.get_extension<slatsim::walk_ref_ext>();
		if (w) {
			refs[w->kind]++;
			bad += gp.get_data_length() != 8 ||
			       (gp.get_command() == tlm::TLM_WRITE_COMMAND) != (w->kind != MMU_MEM_DESC_READ);
		} else {
			data++;
			if (expecting)
				bad += gp.get_address() != expect_hpa;
			expecting = false;
		}
		delay += sc_core::sc_time(10, sc_core::SC_NS);
		gp.set_response_status(tlm::TLM_OK_RESPONSE);
	}
};

/* One initiator feeding every record of a stream to each of its MMUs in
 * turn (record i to A, record i to B, ...). */
struct driver : sc_core::sc_module {
	SC_HAS_PROCESS(driver);
	tlm_utils::simple_initiator_socket<driver> a, b;
	const std::vector<trace_rec> &recs;
	unsigned char buf[TRACE_MAX_SIZE] = { 0 };
	uint64_t errors = 0;

	driver(sc_core::sc_module_name n, const std::vector<trace_rec> &r)
		: sc_module(n), a("a"), b("b"), recs(r)
	{
		SC_THREAD(run);
	}

	void send(tlm_utils::simple_initiator_socket<driver> &s, const trace_rec &r)
	{
		tlm::tlm_generic_payload gp;
		slatsim::access_ext *x = new slatsim::access_ext;
		x->vcpu = r.vcpu;
		x->asid = r.asid;
		x->kind = r.kind;
		x->op = r.op;
		x->icount = r.icount;
		gp.set_extension(x);   /* the payload deletes it */
		gp.set_command(r.kind == TRACE_W ? tlm::TLM_WRITE_COMMAND
			       : r.kind <= TRACE_X ? tlm::TLM_READ_COMMAND : tlm::TLM_IGNORE_COMMAND);
		gp.set_address(r.gva);
		gp.set_data_ptr(buf);
		gp.set_data_length(r.size);
		gp.set_streaming_width(r.size);
		sc_core::sc_time d = sc_core::SC_ZERO_TIME;
		s->b_transport(gp, d);
		errors += gp.is_response_error();
	}

	void run()
	{
		for (const trace_rec &r : recs) {
			send(a, r);
			send(b, r);
		}
	}
};

/* Every counter of the lone machine REF equals the instance's. */
static void same_stats(stats_reg *ref, stats_reg *got, const char *what)
{
	for (size_t i = 0; i < stats_count(ref); i++) {
		if (stats_kind_at(ref, i) != STATS_COUNTER)
			continue;
		int found;
		uint64_t y = stats_get(got, stats_name_at(ref, i), &found);
		CHECK(found && stats_value_at(ref, i) == y, "%s: %s: lone %llu, in the simulation %llu",
		      what, stats_name_at(ref, i), (unsigned long long)stats_value_at(ref, i),
		      (unsigned long long)y);
	}
}

static uint64_t stat(stats_reg *s, const char *name)
{
	int found;
	uint64_t v = stats_get(s, name, &found);
	CHECK(found, "no statistic %s", name);
	return v;
}

/* The machine alone, fed through machine_access (each vCPU added at its
 * first record that needs it, machine_add_vcpu). */
static machine *lone(const param_reg *p, const std::vector<trace_rec> &recs)
{
	machine *m;
	char err[256];
	if (machine_create(&m, p, err, sizeof(err)) != TRACE_OK) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	for (const trace_rec &r : recs)
		CHECK((machine_vcpu_needed(m, &r, 1, nullptr) || !machine_add_vcpu(m, r.vcpu)) &&
		      machine_access(m, &r, nullptr) == 0, "lone machine: %s", machine_error(m));
	CHECK(machine_finish(m) == 0, "lone machine: %s", machine_error(m));
	return m;
}

/* The walker's traffic on the memory side of MMU (through MEM), as counted. */
static void traffic_matches(stats_reg *s, const recording_memory &mem, const char *what)
{
	CHECK(mem.refs[MMU_MEM_DESC_READ] == stat(s, "walk.mem_refs"),
	      "%s: %llu descriptor reads on the memory side, walk.mem_refs %llu", what,
	      (unsigned long long)mem.refs[MMU_MEM_DESC_READ],
	      (unsigned long long)stat(s, "walk.mem_refs"));
	CHECK(mem.refs[MMU_MEM_DESC_WRITE] == stat(s, "walk.ad_writes"), "%s: A/D writes", what);
	CHECK(mem.refs[MMU_MEM_LOG_WRITE] == stat(s, "pml.logged") + stat(s, "hdbss.logged"),
	      "%s: log writes", what);
	CHECK(mem.data == stat(s, "sc.mem.data"), "%s: data accesses", what);
	CHECK(mem.bad == 0, "%s: %llu malformed transactions", what, (unsigned long long)mem.bad);
}

/* An AT initiator, the hypervisor's verbs, and the HPA of an access. */
struct hv_test : sc_core::sc_module {
	SC_HAS_PROCESS(hv_test);
	tlm_utils::simple_initiator_socket<hv_test> s;
	slatsim_mmu &mmu;
	recording_memory &mem;
	unsigned char buf[8] = { 0 };

	hv_test(sc_core::sc_module_name n, slatsim_mmu &m, recording_memory &r)
		: sc_module(n), s("s"), mmu(m), mem(r)
	{
		SC_THREAD(run);
	}

	void run()
	{
		tlm::tlm_generic_payload gp;
		slatsim::access_ext *x = new slatsim::access_ext;
		x->kind = TRACE_W;
		gp.set_extension(x);
		gp.set_command(tlm::TLM_WRITE_COMMAND);
		gp.set_address(UINT64_C(0x7f0000001234));
		gp.set_data_ptr(buf);
		gp.set_data_length(8);
		gp.set_streaming_width(8);
		tlm::tlm_phase ph = tlm::BEGIN_REQ;
		sc_core::sc_time d = sc_core::SC_ZERO_TIME;
		CHECK(s->nb_transport_fw(gp, ph, d) == tlm::TLM_COMPLETED, "AT: early completion");
		CHECK(gp.is_response_ok(), "AT: response %s", gp.get_response_string().c_str());
		CHECK(x->result.npages == 1 && x->result.walks > 0, "AT: the access was translated");
		CHECK(d > sc_core::SC_ZERO_TIME, "AT: the delay grew");
		/* The same page again: the memory side sees the data at the HPA
		 * the extension reported, and no walk. */
		uint64_t hpa = x->result.hpa[0];
		mem.expect_hpa = hpa;
		mem.expecting = true;
		uint64_t refs = mem.refs[0];
		d = sc_core::SC_ZERO_TIME;
		s->b_transport(gp, d);
		CHECK(!mem.expecting && x->result.hpa[0] == hpa && mem.refs[0] == refs,
		      "a TLB hit goes straight to its HPA");
		/* A round now: PML logged the page; one vCPU invalidated. */
		size_t n0, n1;
		mmu.rounds(0, &n0);
		CHECK(mmu.harvest(0) == 0, "harvest: %s", mmu.error());
		const dl_round *r = mmu.rounds(0, &n1);
		CHECK(n1 == n0 + 1 && r[n1 - 1].true_pages == 1 && r[n1 - 1].missed_pages == 0,
		      "harvest: one round, the written page reported");
		CHECK(mmu.invalidate_domain(0) == 1, "invalidate_domain: one vCPU");
		d = sc_core::SC_ZERO_TIME;
		s->b_transport(gp, d);
		CHECK(x->result.walks > 0, "after the invalidation the access walks again");
		unsigned char dbg[8];
		tlm::tlm_generic_payload g2;
		g2.set_command(tlm::TLM_READ_COMMAND);
		g2.set_address(0x1000);
		g2.set_data_ptr(dbg);
		g2.set_data_length(8);
		CHECK(s->transport_dbg(g2) == 0, "debug accesses are not translated");
	}
};

int sc_main(int, char **)
{
	sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
	std::vector<trace_rec> recs = stream(60000, 7);
	param_reg *pa = params({ "dirtylog.mode=pml", "dirtylog.period=5000", "host.page=4k" });
	param_reg *pb = params({ "arch=arm64", "guest.granule=64k", "host.granule=64k" });
	param_reg *pc = params({ "dirtylog.mode=pml" });
	{   /* the modules' scope: their registries outlive them */
	slatsim_mmu a("a", pa), b("b", pb), c("c", pc);
	recording_memory ma("ma"), mb("mb"), mc("mc");
	driver drv("drv", recs);
	hv_test hv("hv", c, mc);
	drv.a.bind(a.cpu_socket);
	drv.b.bind(b.cpu_socket);
	a.mem_socket.bind(ma.socket);
	b.mem_socket.bind(mb.socket);
	hv.s.bind(c.cpu_socket);
	c.mem_socket.bind(mc.socket);
	sc_core::sc_start();
	CHECK(drv.errors == 0, "%llu error responses", (unsigned long long)drv.errors);
	CHECK(a.finish() == 0 && b.finish() == 0, "finish");
	machine *la = lone(pa, recs), *lb = lone(pb, recs);
	same_stats(machine_stats(la), a.stats(), "x86 nested 4K + PML");
	same_stats(machine_stats(lb), b.stats(), "arm64 64K/64K");
	CHECK(stat(a.stats(), "pml.logged") > 0 && stat(a.stats(), "dirtylog.rounds") > 1,
	      "the x86 instance logged and harvested");
	CHECK(stat(a.stats(), "walk.count") != stat(b.stats(), "walk.count"),
	      "the two configurations differ");
	traffic_matches(a.stats(), ma, "x86");
	traffic_matches(b.stats(), mb, "arm64");
	/* Memory at 10 ns a transaction against the model's 14 cycles of
	 * 400 ps (5.6 ns): each reference costs 25 cycles, not 14. */
	stats_reg *s = a.stats();
	uint64_t nref = stat(s, "sc.mem.desc_reads") + stat(s, "sc.mem.desc_writes") +
			stat(s, "sc.mem.log_writes");
	CHECK(stat(s, "sc.cycles.walk_refs") == 25 * nref, "memory side's cycles: %llu for %llu",
	      (unsigned long long)stat(s, "sc.cycles.walk_refs"), (unsigned long long)nref);
	CHECK(stat(s, "sc.cycles.walk_refs_model") == 14 * nref, "model's cycles");
	CHECK(stat(s, "sc.cycles.stall") == stat(s, "cycles.translation") + stat(s, "cycles.faults") +
	      stat(s, "sc.cycles.dirtylog") + 11 * nref, "stall = model's + 11 cycles a reference");
	machine_destroy(la);
	machine_destroy(lb);
	}
	param_destroy(pa);
	param_destroy(pb);
	param_destroy(pc);
	if (failures)
		fprintf(stderr, "check_sc: %d failure(s)\n", failures);
	else
		printf("check_sc: two slatsim_mmu instances in one simulation equal lone machines; "
		       "walker traffic, AT, hypervisor verbs: ok\n");
	return failures ? 1 : 0;
}
