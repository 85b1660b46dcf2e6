/*
 * sim/systemc/slatsim_memory.cpp - see slatsim_memory.h.
 */
#include "slatsim_memory.h"

#include <cstring>
#include <sys/mman.h>

static constexpr uint64_t chunk_bytes(unsigned shift) { return UINT64_C(1) << shift; }

slatsim_memory::slatsim_memory(sc_core::sc_module_name name, const sc_core::sc_time &latency,
			       bool dmi)
	: sc_module(name), socket("socket"), latency_(latency), dmi_(dmi)
{
	socket.register_b_transport(this, &slatsim_memory::b_transport);
	socket.register_get_direct_mem_ptr(this, &slatsim_memory::get_direct_mem_ptr);
	socket.register_transport_dbg(this, &slatsim_memory::transport_dbg);
}

slatsim_memory::~slatsim_memory()
{
	for (auto &c : chunks_)
		munmap(c.second, chunk_bytes(chunk_shift));
}

unsigned char *slatsim_memory::chunk(uint64_t index)
{
	auto it = chunks_.find(index);
	if (it != chunks_.end())
		return it->second;
	void *p = mmap(nullptr, chunk_bytes(chunk_shift), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		out_of_memory_ = true;
		return nullptr;
	}
	chunks_.emplace(index, static_cast<unsigned char *>(p));
	return static_cast<unsigned char *>(p);
}

bool slatsim_memory::copy(uint64_t addr, unsigned char *data, unsigned len, bool write,
			  const unsigned char *be, unsigned be_len)
{
	for (unsigned done = 0; done < len;) {
		uint64_t a = addr + done, off = a & (chunk_bytes(chunk_shift) - 1);
		unsigned n = (unsigned)std::min<uint64_t>(len - done, chunk_bytes(chunk_shift) - off);
		unsigned char *c = chunk(a >> chunk_shift);
		if (!c)
			return false;
		if (!be && write)
			memcpy(c + off, data + done, n);
		else if (!be)
			memcpy(data + done, c + off, n);
		for (unsigned i = 0; be && i < n; i++) {
			if (be[(done + i) % be_len] != TLM_BYTE_ENABLED)
				continue;
			if (write)
				c[off + i] = data[done + i];
			else
				data[done + i] = c[off + i];
		}
		done += n;
	}
	return true;
}

void slatsim_memory::b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay)
{
	tlm::tlm_command cmd = gp.get_command();
	unsigned len = gp.get_data_length();
	if (gp.get_streaming_width() < len) {
		gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
		return;
	}
	if (cmd != tlm::TLM_IGNORE_COMMAND &&
	    !copy(gp.get_address(), gp.get_data_ptr(), len, cmd == tlm::TLM_WRITE_COMMAND,
		  gp.get_byte_enable_ptr(), gp.get_byte_enable_length())) {
		gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
		return;
	}
	reads_ += cmd == tlm::TLM_READ_COMMAND;
	writes_ += cmd == tlm::TLM_WRITE_COMMAND;
	delay += latency_;
	gp.set_dmi_allowed(dmi_);
	gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool slatsim_memory::get_direct_mem_ptr(tlm::tlm_generic_payload &gp, tlm::tlm_dmi &dmi)
{
	uint64_t index = gp.get_address() >> chunk_shift;
	unsigned char *c = dmi_ ? chunk(index) : nullptr;
	if (!c)
		return false;
	dmi.set_dmi_ptr(c);
	dmi.set_start_address(index << chunk_shift);
	dmi.set_end_address((index << chunk_shift) + chunk_bytes(chunk_shift) - 1);
	dmi.allow_read_write();
	dmi.set_read_latency(latency_);
	dmi.set_write_latency(latency_);
	return true;
}

unsigned int slatsim_memory::transport_dbg(tlm::tlm_generic_payload &gp)
{
	tlm::tlm_command cmd = gp.get_command();
	unsigned len = gp.get_data_length();
	if (cmd == tlm::TLM_IGNORE_COMMAND ||
	    !copy(gp.get_address(), gp.get_data_ptr(), len, cmd == tlm::TLM_WRITE_COMMAND, nullptr, 0))
		return 0;
	return len;
}
