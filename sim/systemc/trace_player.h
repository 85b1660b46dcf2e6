/*
 * sim/systemc/trace_player.h - slatsim-sc's CPU side: a trace replayed into
 * a slatsim_mmu, one loosely-timed initiator thread per vCPU.
 *
 * Each vCPU's thread (spawned at its first record) sends its records on
 * the socket as generic payloads with a slatsim::access_ext: an access as a
 * read or write of its size at its GVA, a prefetch or an invalidation with
 * the command TLM_IGNORE_COMMAND. Records go in trace order across vCPUs:
 * a thread sends the next record only when it is its vCPU's, then hands the
 * turn to the next record's thread - so the machine sees exactly what
 * `slatsim run` feeds it, and every statistic of the model is the same.
 * Trace order, not time, decides who goes next; each vCPU keeps its own
 * time with a quantum keeper (tlm_global_quantum).
 *
 * A vCPU's time: its instructions at core.cpi (machine_instr_cycles) and
 * each access's translation stall (slatsim::access_ext::stall). The data
 * access's own memory time is not waited for: core.cpi covers it, as in the
 * model (it is counted, sc.cycles.data). sc.cycles.total is the vCPUs' time
 * plus the hypervisor's work between accesses (sc.cycles.hypervisor).
 *
 * The reading is replay.h's (replay_feed: --skip, --limit, sim.max_records,
 * the warm-up window, progress, the place of a failure).
 */
#ifndef SLATSIM_SC_TRACE_PLAYER_H
#define SLATSIM_SC_TRACE_PLAYER_H

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <memory>
#include <string>

#include "slatsim_mmu.h"

extern "C" {
#include "replay.h"
#include "trace.h"
}

class trace_player : public sc_core::sc_module {
public:
	SC_HAS_PROCESS(trace_player);
	tlm_utils::simple_initiator_socket<trace_player> socket;

	/* Replay R (open; the caller's) per O into MMU's CPU side (bind the
	 * socket to it, or to what leads to it). */
	trace_player(sc_core::sc_module_name name, slatsim_mmu &mmu, trace_reader *r,
		     const replay_opts *o);
	~trace_player() override;

	/* Replay R instead (before the simulation starts). */
	void read_from(trace_reader *r) { r_ = r; }

	/* After the simulation: TRACE_OK, or the code with error() naming the
	 * trace and the record (as slatsim run says it). */
	int status() const { return rc_; }
	const char *error() const { return err_.c_str(); }
	bool finished() const { return finished_; }
	double elapsed() const { return f_.elapsed; }

private:
	struct vcpu_gen;

	void start();
	void run(unsigned id);
	bool play(vcpu_gen &g, const trace_rec &r);
	void wake(unsigned id);
	void end(int rc, const char *msg);

	slatsim_mmu &mmu_;
	machine *m_;
	sc_core::sc_time cycle_;
	trace_reader *r_;
	const replay_opts *o_;
	replay_feed f_{};
	bool open_ = false;
	long n_ = 0;                   /* records in the batch */
	long i_ = 0;                   /* the next record to send */
	std::unique_ptr<vcpu_gen> gens_[TRACE_MAX_VCPUS];
	uint64_t cyc_total_ = 0;       /* sc.cycles.total */
	int rc_ = TRACE_OK;
	std::string err_;
	bool finished_ = false;
};

#endif
