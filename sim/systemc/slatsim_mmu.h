/*
 * sim/systemc/slatsim_mmu.h - slatsim's MMU as a SystemC TLM-2.0 component:
 * a thin layer over the machine (sim/machine/machine.h) for a virtual platform.
 *
 *   CPU --[cpu_socket: GVA + slatsim::access_ext]--> slatsim_mmu
 *         slatsim_mmu --[mem_socket: HPA]--> memory / interconnect
 *
 * Each access on cpu_socket (b_transport, loosely timed) goes through
 * machine_access on its vCPU: TLBs, walk caches, the 2-D walk over the page
 * tables in the model's physical memory, demand faults, A/D updates and
 * PML/HDBSS logging. The walker's memory traffic of that access (every
 * descriptor read and A/D write, every log entry written; the machine's
 * memory observer) then goes out on mem_socket, one 8-byte transaction each
 * with a slatsim::walk_ref_ext, in walk order; then the access itself is
 * forwarded at its HPA (a page-crossing access as one transaction per page).
 *
 * Timing: the delay grows by the translation's cycles (sc.cycle each): the
 * model's TLB and walk-cache latencies, fault and logging costs, with each
 * walker reference costed by what the memory side annotates instead of what
 * the model charged (mem.pte_latency, pml.log.cycles); then by what the
 * memory side annotates for the forwarded access. The memory side may use
 * DMI (sc.dmi): a region it grants is then accessed directly, at its DMI
 * latency. No DMI is granted on the CPU side: every access must be
 * translated to be counted.
 *
 * DEVIATION: the page tables are the model's own bits (sim/'s guest and
 * hypervisor models write them): a walker read's transaction carries the
 * model's value in its extension, and the data the memory side returns is
 * not used.
 *
 * Statistics are the machine's registry (machine_stats) with the
 * component's own added (sc.*); parameters are the machine's registry with
 * slatsim_mmu::register_params'. Invalidation and dirty-log harvesting are
 * methods for a platform's hypervisor model. An instance owns all of its
 * state: several live in one simulation.
 */
#ifndef SLATSIM_SC_MMU_H
#define SLATSIM_SC_MMU_H

#include <systemc>
#include <tlm>

#include <memory>
#include <string>
#include <vector>

#include "slatsim_tlm.h"

extern "C" {
#include "machine.h"
#include "param.h"
#include "stats.h"
}

class slatsim_mmu : public sc_core::sc_module,
		    private tlm::tlm_fw_transport_if<>,
		    private tlm::tlm_bw_transport_if<> {
public:
	tlm::tlm_target_socket<> cpu_socket;       /* GVA accesses in */
	tlm::tlm_initiator_socket<> mem_socket;    /* walker references, HPA accesses out */

	/* The parameters the component and the platform add to the machine's
	 * (sc.*). PARAM_OK, or PARAM_ERR when out of memory. */
	static int register_params(param_reg *p);

	/* A machine from P (machine_params_register and register_params; P
	 * must outlive the module). A bad configuration is SC_REPORT_ERROR
	 * "slatsim_mmu/config" with the machine's message naming the key; out
	 * of memory, "slatsim_mmu/memory". */
	slatsim_mmu(sc_core::sc_module_name name, const param_reg *p);
	~slatsim_mmu() override;

	/* --- for a platform's hypervisor model (never during an access) */

	/* A guest TLB invalidation as a trace carries it (kind TRACE_INV). */
	void invalidate(const trace_rec &inv);
	/* Every cached translation of DOMAIN on each of its vCPUs (INVEPT
	 * single-context, TLBI VMALLS12E1); returns the vCPUs invalidated. */
	unsigned invalidate_domain(unsigned domain);
	/* What vCPU ID caches for VA (ASID) and for the IPA behind it. */
	void invalidate_page(unsigned id, uint16_t asid, uint64_t va, uint64_t ipa);
	/* End DOMAIN's dirty-logging round now: drain, compare, re-arm,
	 * invalidate. 0, or -1 with error(). */
	int harvest(unsigned domain);
	/* DOMAIN's dirty-logging rounds so far. */
	const dl_round *rounds(unsigned domain, size_t *n) const;

	/* --- run control and results */

	/* End of the run: the last rounds, statistics totalled. 0 or -1. */
	int finish();
	/* machine_finish ran (a driver called it, replay_feed_close): count
	 * the hypervisor's dirty-logging work between accesses. */
	void finished();
	/* A warm-up ended: every counter (the component's too) from zero. */
	void warm();
	stats_reg *stats();
	const param_reg *params() const;
	machine *model();                  /* the machine itself, for its other verbs */
	const char *error() const;         /* why the last failed access or verb failed */
	int error_code() const;            /* its TRACE_E* code */
	sc_core::sc_time cycle() const;    /* one cycle (sc.cycle) */

private:
	struct dmi_region {              /* granted by the memory side */
		sc_dt::uint64 start, end;
		unsigned char *ptr;
		sc_core::sc_time read_latency, write_latency;
		bool read, write;
	};
	struct counters {
		uint64_t refs[3];               /* by mmu_mem_kind */
		uint64_t data;                  /* forwarded transactions (pages) */
		uint64_t dmi;                   /* memory-side accesses through DMI */
		uint64_t errors;                /* accesses answered with an error */
		uint64_t cyc_stall;             /* translation cycles annotated */
		uint64_t cyc_refs;              /* memory side's cycles for walker refs */
		uint64_t cyc_refs_model;        /* the model's for the same */
		uint64_t cyc_data;              /* memory side's cycles for forwarded accesses */
		uint64_t cyc_dirtylog;          /* dirty-logging cycles charged to accesses */
		uint64_t cyc_hyp;               /* the rest: between accesses (at finished()) */
	};

	/* CPU side (tlm_fw_transport_if). nb_transport_fw completes a request
	 * at once (the base protocol's early completion), so an
	 * approximately-timed initiator is served too. */
	void b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay) override;
	tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload &gp, tlm::tlm_phase &phase,
					   sc_core::sc_time &delay) override;
	bool get_direct_mem_ptr(tlm::tlm_generic_payload &gp, tlm::tlm_dmi &dmi) override;
	unsigned int transport_dbg(tlm::tlm_generic_payload &gp) override;
	/* Memory side (tlm_bw_transport_if): only b_transport is used there. */
	tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload &gp, tlm::tlm_phase &phase,
					   sc_core::sc_time &delay) override;
	void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) override;
	static void on_mem(void *ctx, const mmu_mem_op *op);

	/* LEN bytes at A through a DMI region granted, if one covers them:
	 * true, with the region's latency added to DELAY. */
	static bool dmi_copy(const dmi_region &d, uint64_t a, unsigned char *data, unsigned len,
			     bool wr, sc_core::sc_time &delay);
	bool dmi_access(uint64_t a, unsigned char *data, unsigned len, bool wr,
			sc_core::sc_time &delay);
	/* One memory-side access (DMI, else b_transport); adds its latency to
	 * DELAY. The TLM response status. */
	tlm::tlm_response_status mem_access(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay);
	tlm::tlm_response_status issue_refs(std::vector<mmu_mem_op> &ops, uint16_t id,
					    sc_core::sc_time &delay, uint64_t *model,
					    sc_core::sc_time *mem);
	tlm::tlm_response_status forward(tlm::tlm_generic_payload &gp, const trace_rec &r,
					 const machine_result &res, sc_core::sc_time &delay);
	uint64_t cycles_of(const sc_core::sc_time &t);
	tlm::tlm_generic_payload *payload();
	void give_back(tlm::tlm_generic_payload *gp);

	machine *m_ = nullptr;
	const param_reg *p_;
	sc_core::sc_time cycle_;
	bool use_dmi_;
	counters c_{};
	std::vector<mmu_mem_op> ops_;                    /* this access's walker traffic */
	std::vector<dmi_region> dmi_;                    /* granted regions, most recent first */
	std::vector<std::unique_ptr<tlm::tlm_generic_payload>> all_;    /* memory-side payloads */
	std::vector<tlm::tlm_generic_payload *> free_;                  /* of them, not in use */
	sc_dt::uint64 last_t_ = 0;                       /* cycles_of's last conversion */
	uint64_t last_c_ = 0;
};

#endif
