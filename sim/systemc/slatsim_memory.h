/*
 * sim/systemc/slatsim_memory.h - a memory target for slatsim's platform: a
 * sparse 64-bit physical address space with one latency per transaction.
 *
 * Storage comes in 64 MB chunks, each an anonymous mapping made on the
 * first access to it (MAP_NORESERVE: the host commits only the pages
 * written), so any HPA the model hands out can be stored. b_transport adds
 * the latency to the delay; DMI is granted per chunk at the same latency;
 * transport_dbg reads and writes without time.
 */
#ifndef SLATSIM_SC_MEMORY_H
#define SLATSIM_SC_MEMORY_H

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <unordered_map>

class slatsim_memory : public sc_core::sc_module {
public:
	tlm_utils::simple_target_socket<slatsim_memory> socket;

	/* LATENCY per transaction (read or write); DMI granted or not. */
	slatsim_memory(sc_core::sc_module_name name, const sc_core::sc_time &latency,
		       bool dmi = true);
	~slatsim_memory() override;

	uint64_t reads() const { return reads_; }
	uint64_t writes() const { return writes_; }
	/* A chunk could not be mapped (the host is out of memory): the
	 * transaction that needed it was answered TLM_GENERIC_ERROR_RESPONSE. */
	bool out_of_memory() const { return out_of_memory_; }

private:
	static constexpr unsigned chunk_shift = 26;   /* 64 MB */

	void b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay);
	bool get_direct_mem_ptr(tlm::tlm_generic_payload &gp, tlm::tlm_dmi &dmi);
	unsigned int transport_dbg(tlm::tlm_generic_payload &gp);
	/* Copy LEN bytes at ADDR to or from DATA (honouring BE); false when out
	 * of host memory. */
	bool copy(uint64_t addr, unsigned char *data, unsigned len, bool write,
		  const unsigned char *be, unsigned be_len);
	unsigned char *chunk(uint64_t index);   /* nullptr: out of memory */

	sc_core::sc_time latency_;
	bool dmi_;
	std::unordered_map<uint64_t, unsigned char *> chunks_;
	uint64_t reads_ = 0, writes_ = 0;
	bool out_of_memory_ = false;
};

#endif
