/*
 * tests/systemc/example_vp.cpp - the README's example: slatsim_mmu in
 * someone else's sc_main, between a CPU model and a memory (make check
 * builds and runs it, against build/libslatsim-sc.a's objects).
 */
#include "slatsim_mmu.h"
#include "slatsim_memory.h"
#include <tlm_utils/simple_initiator_socket.h>
#include <memory>

struct my_cpu : sc_core::sc_module {               // any LT initiator
	SC_HAS_PROCESS(my_cpu);
	tlm_utils::simple_initiator_socket<my_cpu> socket;
	my_cpu(sc_core::sc_module_name n) : sc_module(n), socket("socket") { SC_THREAD(run); }
	void run() {
		unsigned char data[8] = {};
		tlm::tlm_generic_payload gp;
		auto *x = new slatsim::access_ext;           // the payload owns it
		gp.set_extension(x);
		for (uint64_t gva = 0x7f0000000000; gva < 0x7f0000100000; gva += 64) {
			x->vcpu = 0; x->asid = 1; x->kind = TRACE_W; x->icount = 4;
			gp.set_command(tlm::TLM_WRITE_COMMAND);
			gp.set_address(gva);                     // the GVA
			gp.set_data_ptr(data); gp.set_data_length(8); gp.set_streaming_width(8);
			sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
			socket->b_transport(gp, delay);          // x->result.hpa[0]: where it went
			wait(delay);
		}
	}
};

int sc_main(int, char **) {
	// slatsim's parameter registry; declared first, it outlives the MMU
	std::unique_ptr<param_reg, void (*)(param_reg *)> reg(param_create(), param_destroy);
	param_reg *p = reg.get();
	machine_params_register(p);
	slatsim_mmu::register_params(p);
	char err[256];
	if (param_load_file(p, "/dev/null", err, sizeof err) != PARAM_OK ||   // your vp.conf
		param_set_assignment(p, "dirtylog.mode=pml", "vp", err, sizeof err) != PARAM_OK) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	my_cpu cpu("cpu");
	slatsim_mmu mmu("mmu", p);                       // SC_REPORT_ERROR on a bad key
	slatsim_memory ram("ram", sc_core::sc_time(20, sc_core::SC_NS));   // or your bus
	cpu.socket.bind(mmu.cpu_socket);
	mmu.mem_socket.bind(ram.socket);
	sc_core::sc_start();
	mmu.harvest(0);                                  // the hypervisor's verbs
	mmu.finish();                                    // the last round; statistics totalled
	int found;
	printf("walks %llu, PML entries %llu, descriptor reads on the bus %llu\n",
		   (unsigned long long)stats_get(mmu.stats(), "walk.count", &found),
		   (unsigned long long)stats_get(mmu.stats(), "pml.logged", &found),
		   (unsigned long long)stats_get(mmu.stats(), "sc.mem.desc_reads", &found));
	return stats_get(mmu.stats(), "pml.logged", &found) ? 0 : 1;
}
