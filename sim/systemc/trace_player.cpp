/*
 * sim/systemc/trace_player.cpp - see trace_player.h.
 */
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "trace_player.h"

#include <cstdio>

using sc_core::sc_time;

/* One vCPU: its thread's payload, time and turn. */
struct trace_player::vcpu_gen {
	unsigned id;
	sc_core::sc_event turn;
	tlm::tlm_generic_payload gp;
	slatsim::access_ext *ext;            /* owned by gp */
	tlm_utils::tlm_quantumkeeper qk;
	sc_time horizon;                     /* qk's local time that needs a sync */
	uint64_t instructions = 0;           /* its access records' icount so far */
	uint64_t instr_cycles = 0;           /* their cycles at core.cpi */
	unsigned char buf[TRACE_MAX_SIZE];   /* the data of its accesses */
};

trace_player::trace_player(sc_core::sc_module_name name, slatsim_mmu &mmu, trace_reader *r,
			   const replay_opts *o)
	: sc_module(name), socket("socket"), mmu_(mmu), m_(mmu.model()), cycle_(mmu.cycle()), r_(r),
	  o_(o)
{
	stats_reg *st = mmu_.stats();
	stats_add(st, "sc.cycles.total", &cyc_total_, "the platform's cycles: every vCPU's time "
		  "(instructions at core.cpi and translation stalls) and the hypervisor's between "
		  "accesses (cycles.total when each walker reference costs what the model charges)");
	if (stats_failed(st))
		SC_REPORT_ERROR("slatsim_mmu/memory", "out of memory (registering statistics)");
	SC_THREAD(start);
}

trace_player::~trace_player()
{
	if (open_)
		replay_feed_close(&f_, TRACE_EINTERNAL, nullptr, 0);
}

/* The first batch, and its first record's thread. */
void trace_player::start()
{
	char err[1024] = "";
	int rc = replay_feed_open(&f_, mmu_.model(), r_, o_, err, sizeof(err));
	if (rc != TRACE_OK) {
		rc_ = rc;
		err_ = err;
		finished_ = true;
		return;
	}
	open_ = true;
	n_ = replay_feed_next(&f_, err, sizeof(err));
	if (n_ <= 0)
		end((int)n_, err);
	else
		wake(f_.b[0].vcpu);
}

/* Give the turn to vCPU ID's thread (made on its first record). */
void trace_player::wake(unsigned id)
{
	if (gens_[id]) {
		gens_[id]->turn.notify();
		return;
	}
	auto g = std::make_unique<vcpu_gen>();
	g->id = id;
	g->ext = new slatsim::access_ext;
	g->gp.set_extension(g->ext);
	g->gp.set_data_ptr(g->buf);
	g->qk.reset();
	g->horizon = tlm::tlm_global_quantum::instance().compute_local_quantum();
	gens_[id] = std::move(g);
	char name[32];
	snprintf(name, sizeof(name), "vcpu%u", id);
	sc_core::sc_spawn_options opts;
	opts.set_stack_size(1 << 20);   /* the trace's decoders run on it too */
	sc_core::sc_spawn(sc_bind(&trace_player::run, this, id), name, &opts);
}

/* The end of the replay (RC, MSG when it failed): the machine finishes
 * (replay_feed_close) and every thread returns. */
void trace_player::end(int rc, const char *msg)
{
	char err[1024];
	snprintf(err, sizeof(err), "%s", msg ? msg : "");
	rc = replay_feed_close(&f_, rc, err, sizeof(err));
	open_ = false;
	if (rc == TRACE_OK) {
		mmu_.finished();
		int found;
		cyc_total_ += stats_get(mmu_.stats(), "sc.cycles.hypervisor", &found);
	}
	rc_ = rc;
	err_ = rc == TRACE_OK ? "" : err;
	finished_ = true;
	for (auto &g : gens_)
		if (g)
			g->turn.notify();
}

/* Send record R as vCPU G; false (with the failure recorded) when the
 * answer is an error. */
bool trace_player::play(vcpu_gen &g, const trace_rec &r)
{
	slatsim::access_ext *x = g.ext;
	x->vcpu = r.vcpu;
	x->asid = r.asid;
	x->kind = r.kind;
	x->op = r.op;
	x->icount = r.icount;
	tlm::tlm_generic_payload &gp = g.gp;
	gp.set_command(r.kind == TRACE_W ? tlm::TLM_WRITE_COMMAND
		       : r.kind <= TRACE_X ? tlm::TLM_READ_COMMAND : tlm::TLM_IGNORE_COMMAND);
	gp.set_address(r.gva);
	gp.set_data_length(r.size);
	gp.set_streaming_width(r.size);
	gp.set_byte_enable_ptr(nullptr);
	gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	sc_time delay = g.qk.get_local_time();
	socket->b_transport(gp, delay);
	if (gp.is_response_error()) {
		char err[1024];
		int rc = TRACE_EINTERNAL;
		if (x->failed)
			rc = replay_feed_failed(&f_, (size_t)i_, err, sizeof(err));
		else
			snprintf(err, sizeof(err), "%s: record %llu: the memory side answered %s",
				 trace_path(r_), (unsigned long long)(f_.skip + f_.records + (uint64_t)i_),
				 gp.get_response_string().c_str());
		end(rc, err);
		return false;
	}
	/* The vCPU's time: its instructions' cycles (exactly as the model's
	 * cycles.instructions counts them) and the translation stall. */
	uint64_t cyc = x->stall_cycles;
	sc_time t = x->stall;
	if (r.kind <= TRACE_X && r.icount) {
		g.instructions += r.icount;
		uint64_t ic = machine_instr_cycles(m_, r.vcpu, g.instructions), n = ic - g.instr_cycles;
		cyc += n;
		t += n == 1 ? cycle_ : cycle_ * (double)n;
		g.instr_cycles = ic;
	}
	cyc_total_ += cyc;
	/* qk.need_sync() without its sc_time_stamp() per access: the local
	 * time that reaches the next quantum boundary is known at each sync. */
	g.qk.inc(t);
	if (g.qk.get_local_time() >= g.horizon) {
		g.qk.sync();
		g.horizon = tlm::tlm_global_quantum::instance().compute_local_quantum();
	}
	return true;
}

/* vCPU ID's thread: wait for its turn, send, hand the turn on. */
void trace_player::run(unsigned id)
{
	vcpu_gen &g = *gens_[id];
	char err[1024] = "";
	for (;;) {
		while (!finished_ && f_.b[i_].vcpu != id)
			sc_core::wait(g.turn);
		if (finished_)
			return;
		if (!play(g, f_.b[i_]))
			return;
		if (++i_ == n_) {
			replay_feed_done(&f_, (size_t)n_);
			i_ = 0;
			n_ = machine_stopped(mmu_.model()) ? 0 : replay_feed_next(&f_, err, sizeof(err));
			if (n_ <= 0) {
				end((int)n_, err);
				return;
			}
		}
		if (f_.b[i_].vcpu != id)
			wake(f_.b[i_].vcpu);
	}
}
