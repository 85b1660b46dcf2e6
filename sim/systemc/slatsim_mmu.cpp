/*
 * sim/systemc/slatsim_mmu.cpp - see slatsim_mmu.h.
 *
 * Per access: machine_access with the machine's memory observer appending
 * the walker's references to ops_ (nothing else happens inside the model's
 * call: no transaction, no wait, so the machine is never entered twice);
 * then the references go out on mem_socket, then the access. A memory side
 * that waits in b_transport may let another initiator in meanwhile: each
 * access moves its references out of ops_ first and takes its memory-side
 * payloads from a pool.
 */
#include "slatsim_mmu.h"

#include <cstdio>
#include <cstring>

extern "C" {
#include "simerr.h"
}

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

/* ---------------------------------------------------------------- parameters */

static const param_def sc_param_defs[] = {
	{ .name = "sc.cycle", .type = PARAM_INT, .def = "400", .unit = "ps", .min = 1,
	  .max = INT64_C(1000000000), .help = "slatsim-sc / slatsim_mmu: one core cycle as "
	  "SystemC time (400 ps: the 2.5 GHz core the fault and logging costs assume)" },
	{ .name = "sc.dmi", .type = PARAM_BOOL, .def = "1", .help = "slatsim_mmu: access "
	  "memory-side regions the target grants through DMI (at its DMI latency) instead of "
	  "b_transport" },
	{ .name = "sc.quantum", .type = PARAM_INT, .def = "1000", .unit = "ns", .min = 1,
	  .max = INT64_C(1000000000), .help = "slatsim-sc: the TLM global quantum of the "
	  "loosely-timed trace players (temporal decoupling)" },
	{ .name = "sc.mem.latency", .type = PARAM_INT, .def = "-1", .unit = "cycles", .min = -1,
	  .max = 1000000, .help = "slatsim-sc: cycles the memory target takes per transaction "
	  "(-1: mem.pte_latency, with which the platform's cycles equal the model's)" },
};

/* The component's keys, and cache.model=off unless a configuration file or
 * --set says otherwise (read after this): the platform's memory side costs
 * every walker reference and every forwarded access, in place of the
 * model's data caches (slatsim run's default is on; with on here, the
 * references are still the memory side's, and the model's cycles.memory is
 * not part of sc.cycles.total). */
int slatsim_mmu::register_params(param_reg *p)
{
	char err[200];
	int rc = param_register(p, sc_param_defs, sizeof(sc_param_defs) / sizeof(sc_param_defs[0]));
	if (rc == PARAM_OK)
		rc = param_set(p, "cache.model", "off", "slatsim_mmu", err, sizeof(err));
	return rc;
}

/* ---------------------------------------------------------------- lifecycle */

slatsim_mmu::slatsim_mmu(sc_core::sc_module_name name, const param_reg *p)
	: sc_module(name), cpu_socket("cpu_socket"), mem_socket("mem_socket"), p_(p)
{
	char err[1024];
	int rc = machine_create(&m_, p, err, sizeof(err));
	if (rc != TRACE_OK) {
		SC_REPORT_ERROR(rc == TRACE_ENOMEM ? "slatsim_mmu/memory" : "slatsim_mmu/config", err);
		return;   /* (when the report does not throw) */
	}
	cycle_ = sc_time((double)param_int(p, "sc.cycle"), sc_core::SC_PS);
	if (cycle_.value() == 0) {
		snprintf(err, sizeof(err), "sc.cycle=%s: below the SystemC time resolution (%s)",
			 param_text(p, "sc.cycle"), sc_core::sc_get_time_resolution().to_string().c_str());
		SC_REPORT_ERROR("slatsim_mmu/config", err);
		return;
	}
	use_dmi_ = param_bool(p, "sc.dmi");
	ops_.reserve(64);
	machine_set_mem_observer(m_, &slatsim_mmu::on_mem, this);
	stats_reg *st = machine_stats(m_);
	stats_add(st, "sc.mem.desc_reads", &c_.refs[MMU_MEM_DESC_READ],
		  "descriptor reads issued on the memory side (walk.mem_refs and prefetches')");
	stats_add(st, "sc.mem.desc_writes", &c_.refs[MMU_MEM_DESC_WRITE],
		  "A/D descriptor writes issued on the memory side");
	stats_add(st, "sc.mem.log_writes", &c_.refs[MMU_MEM_LOG_WRITE],
		  "PML/HDBSS entries written on the memory side");
	stats_add(st, "sc.mem.data", &c_.data, "accesses forwarded at their HPA (one per page)");
	stats_add(st, "sc.mem.dmi", &c_.dmi, "memory-side accesses made through DMI");
	stats_add(st, "sc.errors", &c_.errors, "accesses answered with an error response");
	stats_add(st, "sc.cycles.stall", &c_.cyc_stall, "translation cycles annotated to the "
		  "CPU side: the model's with each walker reference costed by the memory side "
		  "(cycles.translation + cycles.faults + cycles.dirtylog when they cost the same)");
	stats_add(st, "sc.cycles.walk_refs", &c_.cyc_refs,
		  "the memory side's cycles for the walker's references");
	stats_add(st, "sc.cycles.walk_refs_model", &c_.cyc_refs_model,
		  "the model's cycles for the same references (replaced)");
	stats_add(st, "sc.cycles.data", &c_.cyc_data,
		  "the memory side's cycles for the forwarded accesses");
	stats_add(st, "sc.cycles.dirtylog", &c_.cyc_dirtylog,
		  "dirty-logging cycles charged to accesses (exits, faults, drains, rounds)");
	stats_add(st, "sc.cycles.hypervisor", &c_.cyc_hyp, "dirty-logging cycles between "
		  "accesses: arming, the last round (cycles.dirtylog - sc.cycles.dirtylog)");
	if (stats_failed(st))
		SC_REPORT_ERROR("slatsim_mmu/memory", "out of memory (registering statistics)");
	cpu_socket.bind(*static_cast<tlm::tlm_fw_transport_if<> *>(this));
	mem_socket.bind(*static_cast<tlm::tlm_bw_transport_if<> *>(this));
}

slatsim_mmu::~slatsim_mmu() { machine_destroy(m_); }

/* ---------------------------------------------------------------- verbs */

void slatsim_mmu::invalidate(const trace_rec &inv) { machine_invalidate(m_, &inv); }
unsigned slatsim_mmu::invalidate_domain(unsigned d) { return machine_inv_domain(m_, d); }
void slatsim_mmu::invalidate_page(unsigned id, uint16_t asid, uint64_t va, uint64_t ipa)
{
	machine_inv_vcpu_page(m_, id, asid, va, ipa);
}
int slatsim_mmu::harvest(unsigned d) { return machine_harvest(m_, d); }
const dl_round *slatsim_mmu::rounds(unsigned d, size_t *n) const { return machine_rounds(m_, d, n); }
int slatsim_mmu::finish()
{
	if (machine_finish(m_))
		return -1;
	finished();
	return 0;
}

void slatsim_mmu::finished()
{
	/* Both as the registry reads them (from the warm-up's end). */
	int found;
	stats_reg *st = machine_stats(m_);
	c_.cyc_hyp = stats_get(st, "cycles.dirtylog", &found) -
		     stats_get(st, "sc.cycles.dirtylog", &found);
}
void slatsim_mmu::warm() { machine_warm(m_); }
stats_reg *slatsim_mmu::stats() { return machine_stats(m_); }
const param_reg *slatsim_mmu::params() const { return p_; }
machine *slatsim_mmu::model() { return m_; }
const char *slatsim_mmu::error() const { return machine_error(m_); }
int slatsim_mmu::error_code() const { return machine_error_code(m_); }
sc_time slatsim_mmu::cycle() const { return cycle_; }

/* ---------------------------------------------------------------- memory side */

void slatsim_mmu::on_mem(void *ctx, const mmu_mem_op *op)
{
	static_cast<slatsim_mmu *>(ctx)->ops_.push_back(*op);
}

tlm::tlm_generic_payload *slatsim_mmu::payload()
{
	if (free_.empty()) {
		auto gp = std::make_unique<tlm::tlm_generic_payload>();
		gp->set_extension(new slatsim::walk_ref_ext);   /* the payload owns it */
		all_.push_back(std::move(gp));
		return all_.back().get();
	}
	tlm::tlm_generic_payload *gp = free_.back();
	free_.pop_back();
	return gp;
}

void slatsim_mmu::give_back(tlm::tlm_generic_payload *gp) { free_.push_back(gp); }

/* T in whole cycles (the memory side's latencies are usually one value:
 * the last conversion is kept, and 0 - no reference - is not one). */
uint64_t slatsim_mmu::cycles_of(const sc_time &t)
{
	if (t.value() == 0)
		return 0;
	if (t.value() != last_t_) {
		last_t_ = t.value();
		last_c_ = last_t_ / cycle_.value();
	}
	return last_c_;
}

/* Region D serves LEN bytes at A: copied, its latency added. */
inline bool slatsim_mmu::dmi_copy(const dmi_region &d, uint64_t a, unsigned char *data,
				  unsigned len, bool wr, sc_time &delay)
{
	if (a < d.start || a + len - 1 > d.end || !(wr ? d.write : d.read))
		return false;
	unsigned char *p = d.ptr + (a - d.start);
	if (wr)
		memcpy(p, data, len);
	else
		memcpy(data, p, len);
	delay += wr ? d.write_latency : d.read_latency;
	return true;
}

/* The most recent region first (inline: most accesses stop there). */
inline bool slatsim_mmu::dmi_access(uint64_t a, unsigned char *data, unsigned len, bool wr,
				    sc_time &delay)
{
	if (!dmi_.empty() && dmi_copy(dmi_[0], a, data, len, wr, delay)) {
		c_.dmi++;
		return true;
	}
	for (size_t i = 1; i < dmi_.size(); i++)
		if (dmi_copy(dmi_[i], a, data, len, wr, delay)) {
			std::swap(dmi_[0], dmi_[i]);
			c_.dmi++;
			return true;
		}
	return false;
}

tlm::tlm_response_status slatsim_mmu::mem_access(tlm::tlm_generic_payload &gp, sc_time &delay)
{
	if (use_dmi_ && !gp.get_byte_enable_ptr() &&
	    dmi_access(gp.get_address(), gp.get_data_ptr(), gp.get_data_length(),
		       gp.get_command() == tlm::TLM_WRITE_COMMAND, delay)) {
		gp.set_response_status(tlm::TLM_OK_RESPONSE);
		return tlm::TLM_OK_RESPONSE;
	}
	gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	gp.set_dmi_allowed(false);
	mem_socket->b_transport(gp, delay);
	if (use_dmi_ && gp.is_dmi_allowed() && gp.is_response_ok()) {
		tlm::tlm_dmi dmi;
		tlm::tlm_command cmd = gp.get_command();
		if (mem_socket->get_direct_mem_ptr(gp, dmi)) {
			dmi_.insert(dmi_.begin(), dmi_region{ dmi.get_start_address(),
				dmi.get_end_address(), dmi.get_dmi_ptr(), dmi.get_read_latency(),
				dmi.get_write_latency(), dmi.is_read_allowed(), dmi.is_write_allowed() });
			if (dmi_.size() > 16)
				dmi_.pop_back();
		}
		gp.set_command(cmd);   /* get_direct_mem_ptr may have changed it */
	}
	return gp.get_response_status();
}

void slatsim_mmu::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end)
{
	for (size_t i = dmi_.size(); i-- > 0;)
		if (dmi_[i].start <= end && start <= dmi_[i].end)
			dmi_.erase(dmi_.begin() + (long)i);
}

/* The walker's references of one access, in order, each an 8-byte
 * transaction; *MODEL gets the cycles the model charged for them, *MEM the
 * time the memory side took. */
tlm::tlm_response_status slatsim_mmu::issue_refs(std::vector<mmu_mem_op> &ops, uint16_t id,
						 sc_time &delay, uint64_t *model, sc_time *mem)
{
	tlm::tlm_generic_payload *gp = payload();
	slatsim::walk_ref_ext *x = gp->get_extension<slatsim::walk_ref_ext>();
	tlm::tlm_response_status st = tlm::TLM_OK_RESPONSE;
	unsigned char buf[8];
	for (const mmu_mem_op &op : ops) {
		x->kind = op.kind;
		x->stage = op.stage;
		x->level = op.level;
		x->vcpu = id;
		x->value = op.value;
		x->model_latency = op.latency;
		memcpy(buf, &op.value, sizeof(buf));
		gp->set_command(op.is_write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
		gp->set_address(op.pa);
		gp->set_data_ptr(buf);
		gp->set_data_length(op.size);
		gp->set_streaming_width(op.size);
		gp->set_byte_enable_ptr(nullptr);
		gp->set_byte_enable_length(0);
		sc_time before = delay;
		if (mem_access(*gp, delay) != tlm::TLM_OK_RESPONSE)
			st = gp->get_response_status();
		sc_time took = delay - before;
		*mem += took;
		*model += op.latency;
		c_.refs[op.kind]++;
		c_.cyc_refs += cycles_of(took);
		c_.cyc_refs_model += op.latency;
	}
	give_back(gp);
	return st;
}

/* The access itself at its HPA: one transaction per page it touches, the
 * initiator's payload with its address (and data pointer and length)
 * changed for the call and restored after. */
tlm::tlm_response_status slatsim_mmu::forward(tlm::tlm_generic_payload &gp, const trace_rec &r,
					      const machine_result &res, sc_time &delay)
{
	sc_dt::uint64 gva = gp.get_address();
	unsigned char *data = gp.get_data_ptr();
	unsigned len = gp.get_data_length();
	if (res.npages > 1 && gp.get_byte_enable_ptr()) {
		gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
		return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
	}
	tlm::tlm_response_status st = tlm::TLM_OK_RESPONSE;
	unsigned done = 0;
	for (unsigned k = 0; k < res.npages && st == tlm::TLM_OK_RESPONSE; k++) {
		uint64_t page_end = ((r.gva + done) | ((UINT64_C(1) << res.shift[k]) - 1)) + 1;
		unsigned n = k + 1 < res.npages ? (unsigned)(page_end - (r.gva + done)) : len - done;
		gp.set_address(res.hpa[k]);
		gp.set_data_ptr(data + done);
		gp.set_data_length(n);
		gp.set_streaming_width(n);
		sc_time before = delay;
		st = mem_access(gp, delay);
		c_.data++;
		c_.cyc_data += cycles_of(delay - before);
		done += n;
	}
	gp.set_address(gva);
	gp.set_data_ptr(data);
	gp.set_data_length(len);
	gp.set_streaming_width(len);
	gp.set_response_status(st);
	return st;
}

/* ---------------------------------------------------------------- CPU side */

void slatsim_mmu::b_transport(tlm::tlm_generic_payload &gp, sc_time &delay)
{
	slatsim::access_ext *x = gp.get_extension<slatsim::access_ext>();
	trace_rec r{};
	r.gva = gp.get_address();
	tlm::tlm_command cmd = gp.get_command();
	if (x) {
		r.vcpu = x->vcpu;
		r.asid = x->asid;
		r.kind = x->kind;
		r.op = x->op;
		r.icount = x->icount;
	} else {
		r.kind = cmd == tlm::TLM_WRITE_COMMAND ? TRACE_W : TRACE_R;
	}
	bool moves = r.kind <= TRACE_X && cmd != tlm::TLM_IGNORE_COMMAND;
	if (r.vcpu >= TRACE_MAX_VCPUS || r.kind > TRACE_P ||
	    gp.get_data_length() > TRACE_MAX_SIZE ||
	    (moves && gp.get_streaming_width() < gp.get_data_length())) {
		c_.errors++;
		gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
		return;
	}
	r.size = (uint16_t)gp.get_data_length();
	machine_result own;
	machine_result &res = x ? x->result : own;
	ops_.clear();
	/* A vCPU's first transaction adds it to the machine (machine_add_vcpu). */
	int rc = !machine_vcpu_needed(m_, &r, 1, nullptr) && machine_add_vcpu(m_, r.vcpu)
		 ? -1 : machine_access(m_, &r, &res);
	/* The walker's references: out of ops_ first (a memory side that
	 * waits may let another access in). */
	uint64_t model = 0;
	sc_time mem = SC_ZERO_TIME, start = delay;
	tlm::tlm_response_status st = tlm::TLM_OK_RESPONSE;
	if (!ops_.empty()) {
		std::vector<mmu_mem_op> ops;
		ops.swap(ops_);
		st = issue_refs(ops, r.vcpu, delay, &model, &mem);
		if (ops_.empty())
			ops_.swap(ops);   /* keep the reserved buffer */
	}
	/* The translation's time: the model's cycles, with what the memory
	 * side took for the references in place of what the model charged. A
	 * prefetch does not stall the program (prefetch.cycles). */
	uint64_t cyc = 0;
	sc_time stall = SC_ZERO_TIME;
	if (r.kind <= TRACE_X) {
		cyc = res.cycles_translation + res.cycles_faults + res.cycles_dirtylog - model;
		stall = cyc ? sc_time::from_value(cycle_.value() * cyc) + mem : mem;
		cyc += cycles_of(mem);
		c_.cyc_stall += cyc;
		c_.cyc_dirtylog += res.cycles_dirtylog;
	}
	delay = start + stall;
	if (x) {
		x->failed = rc != 0;
		x->stall_cycles = cyc;
		x->stall = stall;
	}
	if (rc) {
		c_.errors++;
		gp.set_response_status(machine_error_code(m_) == TRACE_EFORMAT
				       ? tlm::TLM_ADDRESS_ERROR_RESPONSE
				       : tlm::TLM_GENERIC_ERROR_RESPONSE);
		return;
	}
	/* The access: within one page through DMI when granted (the common
	 * case, inline), else forward(). */
	if (st == tlm::TLM_OK_RESPONSE && moves && r.size) {
		sc_time before = delay;
		if (res.npages == 1 && use_dmi_ && !gp.get_byte_enable_ptr() &&
		    dmi_access(res.hpa[0], gp.get_data_ptr(), r.size, cmd == tlm::TLM_WRITE_COMMAND,
			       delay)) {
			c_.data++;
			c_.cyc_data += cycles_of(delay - before);
		} else {
			st = forward(gp, r, res, delay);
		}
	}
	if (st != tlm::TLM_OK_RESPONSE)
		c_.errors++;
	gp.set_response_status(st);
}

tlm::tlm_sync_enum slatsim_mmu::nb_transport_fw(tlm::tlm_generic_payload &gp,
						tlm::tlm_phase &phase, sc_time &delay)
{
	if (phase != tlm::BEGIN_REQ)
		return tlm::TLM_ACCEPTED;   /* END_RESP of an earlier completion: nothing to do */
	b_transport(gp, delay);
	phase = tlm::END_RESP;
	return tlm::TLM_COMPLETED;
}

/* No DMI on the CPU side: every access must be translated to be counted. */
bool slatsim_mmu::get_direct_mem_ptr(tlm::tlm_generic_payload &, tlm::tlm_dmi &dmi)
{
	dmi.allow_none();
	return false;
}

/* Debug accesses are not translated (a translation changes TLB state):
 * nothing is transferred. */
unsigned int slatsim_mmu::transport_dbg(tlm::tlm_generic_payload &) { return 0; }

tlm::tlm_sync_enum slatsim_mmu::nb_transport_bw(tlm::tlm_generic_payload &, tlm::tlm_phase &,
						sc_time &)
{
	return tlm::TLM_COMPLETED;   /* never called: the memory side is used blocking */
}
