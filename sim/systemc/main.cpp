/*
 * sim/systemc/main.cpp - build/slatsim-sc: `slatsim run` on a SystemC
 * TLM-2.0 platform.
 *
 *   trace_player (one LT thread per vCPU) -> slatsim_mmu -> slatsim_memory
 *
 * The arguments, configuration, reports and outputs are `slatsim run`'s
 * (sim/cli: cli_run with this engine); the replay is the platform's: the
 * trace player feeds the MMU's CPU socket in trace order, the MMU sends the
 * walker's references and the translated accesses to the memory target,
 * which costs sc.mem.latency cycles (default mem.pte_latency) each. --vs
 * builds two platforms in the one simulation. --cosim is slatsim run's.
 */
#include "slatsim_memory.h"
#include "slatsim_mmu.h"
#include "trace_player.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

extern "C" {
#include "cli.h"
}

static const char *const sc_usage =
	"usage: slatsim-sc [--config FILE]... [--set key=value]... [--json FILE]\n"
	"                  [--format F] [-q] [--all] [--stats PATTERN]...\n"
	"                  [--vs SETTING]... [--vs-config FILE]...\n"
	"                  [--skip N] [--limit N] [--warmup N] [--v2p FILE] TRACE\n"
	"\n"
	"slatsim run on a SystemC TLM-2.0 platform: a loosely-timed trace player\n"
	"(one thread per vCPU, records in trace order) -> slatsim_mmu -> a memory\n"
	"target. Every walker reference (descriptor read, A/D write, PML/HDBSS\n"
	"entry) and every translated access is a transaction to the memory target,\n"
	"which takes sc.mem.latency cycles each (-1: mem.pte_latency); sc.cycle is\n"
	"one cycle in picoseconds, sc.quantum the global quantum in ns, sc.dmi the\n"
	"MMU's use of DMI. The arguments, report and JSON are slatsim run's (see\n"
	"'slatsim run --help'); the model's statistics are the same, and sc.*\n"
	"statistics say what the platform did: sc.cycles.total equals cycles.total\n"
	"when every transaction costs what the model charges for it. The memory\n"
	"target stands in for the data caches: cache.model is off here unless set\n"
	"(slatsim run's default is on; compare with slatsim run --set\n"
	"cache.model=off). --vs builds\n"
	"both platforms in the one simulation. --cosim pml co-simulates the\n"
	"Verilated PML unit against the model's PML requests as in slatsim run.\n";

/* One replay: memory, MMU, trace player. */
struct platform : sc_core::sc_module {
	slatsim_mmu mmu;
	slatsim_memory memory;
	trace_player cpu;

	platform(sc_core::sc_module_name name, const param_reg *p, trace_reader *r,
		 const replay_opts *o)
		: sc_module(name), mmu("mmu", p), memory("memory", latency(p), true),
		  cpu("cpu", mmu, r, o)
	{
		cpu.socket.bind(mmu.cpu_socket);
		mmu.mem_socket.bind(memory.socket);
	}

	static sc_core::sc_time latency(const param_reg *p)
	{
		int64_t l = param_int(p, "sc.mem.latency");
		if (l < 0)
			l = param_int(p, "mem.pte_latency");
		return sc_core::sc_time((double)(l * param_int(p, "sc.cycle")), sc_core::SC_PS);
	}
};

/* What replay made, for release. */
struct engine_state {
	std::vector<std::unique_ptr<platform>> platforms;
	std::vector<trace_reader *> readers;
};

/* A platform for each job; dies on a bad configuration or trace found
 * before the simulation, returns the status of a failure in it. */
static int sc_replay(const run_engine *e, const args *a, const char *trace,
		      enum trace_format fmt, const replay_opts *ro, run_job *jobs, unsigned n)
{
	engine_state *st = static_cast<engine_state *>(e->ctx);
	for (unsigned k = 0; k < n; k++) {
		trace_reader *r = cli_open_trace(trace, fmt, jobs[k].p);
		st->readers.push_back(r);
		char name[32];
		snprintf(name, sizeof(name), "platform%u", k);
		try {
			st->platforms.push_back(std::make_unique<platform>(name, jobs[k].p, r, ro));
		} catch (const sc_core::sc_report &rep) {
			cli_die(std::string(rep.get_msg_type()) == "slatsim_mmu/memory" ? EXIT_FAIL
				: EXIT_BAD, "%s", rep.get_msg());
		}
		platform &pf = *st->platforms.back();
		machine *m = pf.mmu.model();
		if (jobs[k].map && machine_set_v2p(m, jobs[k].map))
			cli_die_trace(machine_error_code(m), machine_error(m));
		if (jobs[k].attach)   /* --cosim pml: the Verilated unit beside the model */
			jobs[k].attach(&jobs[k], m);
		if (param_bool(jobs[k].p, "sim.prefault")) {
			/* Map the footprint first (reading the trace once), then
			 * replay it from a second reader. */
			char err[1024];
			cli_need_regular(a, trace, "sim.prefault=1");
			int rc = replay_prefault(m, r, ro, err, sizeof(err));
			if (rc != TRACE_OK)
				cli_die_trace(rc, err);
			r = cli_open_trace(trace, fmt, jobs[k].p);
			st->readers.push_back(r);
			pf.cpu.read_from(r);
		}
		jobs[k].m = m;
		jobs[k].r = r;
	}
	tlm::tlm_global_quantum::instance().set(
		sc_core::sc_time((double)param_int(jobs[0].p, "sc.quantum"), sc_core::SC_NS));
	try {
		sc_core::sc_start();
	} catch (const sc_core::sc_report &rep) {
		/* SystemC's own errors (E518: a process's stack could not be
		 * allocated) would reach sc_elab_and_sim, which prints them on
		 * standard output: one line on stderr instead. */
		const char *m = rep.get_msg();
		cli_die(EXIT_FAIL, "%s(SystemC %s: %s)", strstr(m, "stack") || strstr(m, "alloc") ?
			"out of memory " : "", rep.get_msg_type(), m);
	}
	for (unsigned k = 0; k < n; k++) {
		const trace_player &cpu = st->platforms[k]->cpu;
		if (cpu.status() != TRACE_OK && st->platforms[k]->memory.out_of_memory())
			return cli_trace_status(TRACE_ENOMEM, "out of memory (the SystemC "
						"platform's memory target)");
		if (cpu.status() != TRACE_OK)
			return cli_trace_status(cpu.status(), cpu.error());
		if (!cpu.finished())
			return cli_trace_status(TRACE_EINTERNAL, "internal: the simulation ended "
						"before the trace");
		jobs[k].elapsed = cpu.elapsed();
	}
	return 0;
}

static void sc_release(const run_engine *e, run_job *, unsigned)
{
	engine_state *st = static_cast<engine_state *>(e->ctx);
	st->platforms.clear();
	for (trace_reader *r : st->readers)
		trace_close(r);
	st->readers.clear();
}

static int dispatch(int argc, char **argv, outset *outs)
{
	engine_state st;
	run_engine e = { sc_usage, &slatsim_mmu::register_params, sc_replay, sc_release, &st };
	args a{};
	a.argc = argc - 1;
	a.argv = argv + 1;
	a.cmd = "run";
	a.prog = "slatsim-sc";
	a.outs = outs;
	a.cmdc = argc;
	a.cmdv = argv;
	if (argc == 2 && std::string(argv[1]) == "--version") {
		printf("slatsim-sc %s (SystemC %s)\n", SLATSIM_VERSION, sc_core::sc_release());
		return 0;
	}
	return cli_run(&a, &e);
}

int sc_main(int argc, char **argv)
{
	/* No "simulation stopped" notes on standard output (it may be the
	 * JSON). */
	sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
	try {
		return cli_main(argc, argv, dispatch);
	} catch (const std::bad_alloc &) {
		cli_die(EXIT_FAIL, "out of memory (the SystemC platform)");
	}
}

/* SystemC's own main, without its banner on standard output (the library
 * reads the variable before sc_main runs). */
int main(int argc, char **argv)
{
	setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
	return sc_core::sc_elab_and_sim(argc, argv);
}
