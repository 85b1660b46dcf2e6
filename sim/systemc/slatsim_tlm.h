/*
 * sim/systemc/slatsim_tlm.h - what slatsim's TLM-2.0 sockets carry beyond
 * the generic payload: the CPU side's access extension (who makes the
 * access, and what the MMU did with it) and the memory side's extension
 * (which of the walker's references a transaction is).
 *
 * CPU side: the payload's address is the GVA, its length the access size
 * (at most TRACE_MAX_SIZE bytes); slatsim::access_ext says vCPU, ASID, kind and
 * the instructions retired with the access. Without the extension an access
 * is vCPU 0's, ASID 0, a read or a write by the command, no instructions.
 * The MMU fills the extension's out fields.
 *
 * Memory side: a transaction with a slatsim::walk_ref_ext is one of the walker's
 * (a descriptor read, an A/D write, a PML/HDBSS entry; 8 bytes); one
 * without it is the CPU's access forwarded at its HPA.
 */
#ifndef SLATSIM_SC_TLM_H
#define SLATSIM_SC_TLM_H

#include <tlm>

extern "C" {
#include "machine.h"
}

namespace slatsim {

/* CPU side. */
struct access_ext : tlm::tlm_extension<access_ext> {
	/* In. */
	uint16_t vcpu = 0;         /* < TRACE_MAX_VCPUS */
	uint16_t asid = 0;
	uint8_t kind = TRACE_R;    /* enum trace_kind: R, W, X; P a prefetch (translated,
				    * no data moved); INV a guest TLB invalidation */
	uint8_t op = 0;            /* INV: trace_inv_op | TRACE_INV_BCAST; P: trace_pf_op */
	uint32_t icount = 0;       /* instructions retired with this access */
	/* Out. */
	bool failed = false;       /* the model could not take the access
				    * (slatsim_mmu::error() says why) */
	machine_result result{};   /* pages (GPA, HPA, size), cycles by category, walks,
				    * faults, exits of this access */
	uint64_t stall_cycles = 0; /* translation's cycles: the model's, each walker
				    * reference costed by the memory side instead */
	sc_core::sc_time stall;    /* the same as time (added to the delay before the
				    * access is forwarded) */

	tlm::tlm_extension_base *clone() const override { return new access_ext(*this); }
	void copy_from(const tlm::tlm_extension_base &e) override
	{
		*this = static_cast<const access_ext &>(e);
	}
};

/* Memory side: one of the walker's references. */
struct walk_ref_ext : tlm::tlm_extension<walk_ref_ext> {
	mmu_mem_kind kind = MMU_MEM_DESC_READ;
	unsigned stage = 0, level = 0;   /* level index in the stage's geometry */
	uint16_t vcpu = 0;               /* whose walk */
	uint64_t value = 0;              /* the model's bits: read, or written */
	uint64_t model_latency = 0;      /* cycles the model charged for it */

	tlm::tlm_extension_base *clone() const override { return new walk_ref_ext(*this); }
	void copy_from(const tlm::tlm_extension_base &e) override
	{
		*this = static_cast<const walk_ref_ext &>(e);
	}
};

}  // namespace slatsim

#endif
