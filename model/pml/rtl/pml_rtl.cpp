// model/pml/rtl/pml_rtl.cpp - the C interface to the Verilated PML unit
// (see pml_rtl.h). The only C++ of the co-simulation: it drives the ports,
// runs the clock and the memory model, and writes the FST waveform.
#include "pml_rtl.h"

#include "Vpml_unit.h"
#include "verilated.h"
#include "verilated_fst_c.h"
#include "gtkwave/fstapi.h"

#include <cstdio>
#include <cstdlib>
#include <new>

#ifndef PML_RTL_VARIANT
#define PML_RTL_VARIANT "none"
#endif

struct pml_rtl {
	VerilatedContext *ctx;
	Vpml_unit *top;
	VerilatedFstC *fst;
	int dumping;
	uint64_t cycle;
	unsigned mem_latency, stall_pct;
	uint64_t rng;           // xorshift64 state of the stall generator
	unsigned mem_wait;      // cycles mem_valid has been high
};

static uint64_t next_rand(pml_rtl *r)
{
	uint64_t x = r->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return r->rng = x;
}

// Out of memory (or of threads: Verilator's context starts one, and
// std::thread throws std::system_error when the host refuses it) inside
// Verilator's model or its FST writer: the verbs below have no failure path
// for it, so the harness says so in one line and exits 1, as every
// out-of-memory path of slatsim does; exit() runs the hooks that remove
// unfinished outputs. No C++ exception ever leaves this file.
[[noreturn]] static void out_of_resources(const char *what)
{
	fprintf(stderr, "slatsim: out of memory (RTL PML unit, Verilated model: %s)\n", what);
	exit(1);
}

template <typename F> static auto guarded(F f) -> decltype(f())
{
	try {
		return f();
	} catch (const std::bad_alloc &) {
		out_of_resources("allocation failed");
	} catch (const std::exception &e) {
		out_of_resources(e.what());
	}
}

// Verilator keeps a per-thread "current context" that scopes and assertion
// messages use; with several instances (one per vCPU, plus a waveform
// window's) each verb makes its own instance's context current first.
static void use(pml_rtl *r)
{
	Verilated::threadContextp(r->ctx);
}

// Settle combinational outputs for the inputs just set (clock low).
static void settle(pml_rtl *r)
{
	r->top->eval();
}

// The memory model: drive mem_ready for this cycle from mem_valid.
static void drive_mem(pml_rtl *r)
{
	Vpml_unit *t = r->top;
	if (!t->mem_valid) {
		t->mem_ready = 0;
		r->mem_wait = 0;
		settle(r);
		return;
	}
	int ready = r->mem_wait >= r->mem_latency;
	if (ready && r->stall_pct && next_rand(r) % 100 < r->stall_pct)
		ready = 0;
	t->mem_ready = ready;
	settle(r);
}

// One clock cycle: rising edge, then falling edge; dump both when on.
static void clock(pml_rtl *r)
{
	Vpml_unit *t = r->top;
	if (t->mem_valid)
		r->mem_wait++;
	r->ctx->time(2 * r->cycle + 1);   // messages carry the waveform's time
	t->clk = 1;
	t->eval();
	if (r->dumping)
		r->fst->dump(2 * r->cycle + 1);
	r->cycle++;
	r->ctx->time(2 * r->cycle);
	t->clk = 0;
	t->eval();
	if (r->dumping)
		r->fst->dump(2 * r->cycle);
}

extern "C" int pml_rtl_available(char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return 1;
}

static void reset(pml_rtl *r, unsigned cycles);

static int create(pml_rtl *r, const pml_rtl_cfg *cfg, char *err, size_t errlen)
{
	r->ctx = new VerilatedContext;
	use(r);
	r->ctx->traceEverOn(cfg->waves != nullptr);
	r->ctx->fatalOnError(false);   // a failed assertion is reported, not fatal
	r->top = new Vpml_unit{r->ctx, "pml_unit"};
	r->mem_latency = cfg->mem_latency;
	r->stall_pct = cfg->stall_pct > 100 ? 100 : cfg->stall_pct;
	r->rng = cfg->seed ? cfg->seed : 0x9E3779B97F4A7C15ull;
	if (cfg->waves) {
		r->fst = new VerilatedFstC;
		r->top->trace(r->fst, 99);
		r->fst->open(cfg->waves);
		if (!r->fst->isOpen()) {
			snprintf(err, errlen, "%s: cannot open the waveform for writing", cfg->waves);
			return -1;
		}
	}
	r->top->clk = 0;
	r->top->eval();
	reset(r, 2);
	return 0;
}

extern "C" int pml_rtl_create(pml_rtl **out, const pml_rtl_cfg *cfg, char *err, size_t errlen)
{
	*out = nullptr;
	pml_rtl *r = new (std::nothrow) pml_rtl();
	int rc = -2;
	if (r) {
		try {
			rc = create(r, cfg, err, errlen);
		} catch (const std::bad_alloc &) {
			snprintf(err, errlen, "out of memory (creating the RTL PML unit)");
			rc = -2;
		} catch (const std::exception &e) {
			snprintf(err, errlen, "out of memory (creating the RTL PML unit: %s)", e.what());
			rc = -2;
		}
	} else {
		snprintf(err, errlen, "out of memory (creating the RTL PML unit)");
	}
	if (rc != 0) {
		pml_rtl_destroy(r);
		return rc;
	}
	*out = r;
	return 0;
}

extern "C" void pml_rtl_close_waves(pml_rtl *r)
{
	guarded([&] {
		if (!r->fst)
			return;
		use(r);
		r->fst->close();
		delete r->fst;
		r->fst = nullptr;
		r->dumping = 0;
	});
}

extern "C" int pml_rtl_check_waves(const char *path)
{
	return guarded([&] {
		void *rd = fstReaderOpen(path);
		if (!rd)
			return -1;
		fstReaderClose(rd);
		return 0;
	});
}

extern "C" void pml_rtl_destroy(pml_rtl *r)
{
	if (!r)
		return;
	guarded([&] {
		if (r->ctx) {
			use(r);
			if (r->top)
				r->top->final();
		}
		pml_rtl_close_waves(r);
		delete r->top;
		delete r->ctx;
		delete r;
	});
}

static void reset(pml_rtl *r, unsigned cycles)
{
	Vpml_unit *t = r->top;
	use(r);
	t->rst = 1;
	t->ev_valid = 0;
	t->csr_valid = 0;
	t->mem_ready = 0;
	settle(r);
	for (unsigned i = 0; i < (cycles ? cycles : 1); i++)
		clock(r);
	t->rst = 0;
	r->mem_wait = 0;
	settle(r);
}

extern "C" void pml_rtl_reset(pml_rtl *r, unsigned cycles)
{
	guarded([&] { reset(r, cycles); });
}

// Present a CSR access and wait for csr_ready; 0 when it is taken.
static int csr_access(pml_rtl *r, uint16_t field, int write, uint64_t value, uint64_t *rdata)
{
	Vpml_unit *t = r->top;
	use(r);
	t->csr_valid = 1;
	t->csr_write = write;
	t->csr_field = field;
	t->csr_wdata = value;
	settle(r);
	for (int i = 0; !t->csr_ready; i++) {
		if (i == 1000) {
			t->csr_valid = 0;
			settle(r);
			return -1;
		}
		clock(r);
	}
	int bad = t->csr_err;
	if (rdata)
		*rdata = t->csr_rdata;
	if (write)
		clock(r);   // the register takes the value at this edge
	t->csr_valid = 0;
	t->csr_write = 0;
	settle(r);
	return bad ? -1 : 0;
}

extern "C" int pml_rtl_csr_write(pml_rtl *r, uint16_t field, uint64_t value)
{
	return guarded([&] { return csr_access(r, field, 1, value, nullptr); });
}

extern "C" int pml_rtl_csr_read(pml_rtl *r, uint16_t field, uint64_t *value)
{
	return guarded([&] { return csr_access(r, field, 0, 0, value); });
}

static void drive_event(pml_rtl *r, const pml_event *ev)
{
	Vpml_unit *t = r->top;
	use(r);
	t->ev_valid = 1;
	t->ev_gpa = ev->gpa;
	t->ev_leaf_level = ev->leaf_level & 7u;
	t->ev_d_was_0 = ev->d_was_0 != 0;
	t->ev_is_write = ev->is_write != 0;
	t->ev_pml_en = ev->enabled != 0;
	settle(r);
}

// Wait for ev_ready and take the accepting edge. 0, or -1 after MAX cycles.
static int accept(pml_rtl *r, uint64_t max)
{
	Vpml_unit *t = r->top;
	for (uint64_t i = 0; !t->ev_ready; i++) {
		if (i >= max)
			return -1;
		clock(r);
	}
	clock(r);
	t->ev_valid = 0;
	drive_mem(r);
	return 0;
}

// Run the request being driven to its response.
static int finish_request(pml_rtl *r, pml_rtl_resp *out, uint64_t max_cycles)
{
	Vpml_unit *t = r->top;
	if (accept(r, max_cycles))
		return -1;
	for (uint64_t lat = 1;; lat++) {
		if (t->rsp_valid) {
			out->full = t->rsp_full;
			out->logged = t->rsp_logged;
			out->index = t->rsp_index;
			out->latency = lat;
			clock(r);   // the response cycle: the unit returns to idle
			drive_mem(r);
			return 0;
		}
		if (lat > max_cycles)
			return -1;
		if (t->mem_valid && t->mem_ready) {
			if (out->writes++ == 0) {
				out->addr = t->mem_addr;
				out->data = t->mem_data;
			}
		} else if (t->mem_valid) {
			out->stalls++;
		}
		clock(r);
		drive_mem(r);
	}
}

extern "C" int pml_rtl_request(pml_rtl *r, const pml_event *ev, pml_rtl_resp *out,
			       uint64_t max_cycles)
{
	*out = pml_rtl_resp();
	return guarded([&] {
		drive_event(r, ev);
		return finish_request(r, out, max_cycles);
	});
}

static int collide(pml_rtl *r, uint16_t field, uint64_t value, const pml_event *ev,
		   pml_rtl_resp *out, int *request_waited)
{
	Vpml_unit *t = r->top;
	*out = pml_rtl_resp();
	t->csr_valid = 1;
	t->csr_write = 1;
	t->csr_field = field;
	t->csr_wdata = value;
	drive_event(r, ev);
	*request_waited = !t->ev_ready;
	int taken = t->csr_ready;
	clock(r);
	t->csr_valid = 0;
	t->csr_write = 0;
	settle(r);
	return taken ? finish_request(r, out, 1000) : -1;
}

extern "C" int pml_rtl_collide(pml_rtl *r, uint16_t field, uint64_t value, const pml_event *ev,
			       pml_rtl_resp *out, int *request_waited)
{
	return guarded([&] { return collide(r, field, value, ev, out, request_waited); });
}

extern "C" void pml_rtl_begin(pml_rtl *r, const pml_event *ev, unsigned cycles)
{
	guarded([&] {
		drive_event(r, ev);
		if (accept(r, 1000))
			return;
		for (unsigned i = 0; i < cycles; i++) {
			clock(r);
			drive_mem(r);
		}
	});
}

extern "C" uint64_t pml_rtl_cycle(const pml_rtl *r) { return r->cycle; }
extern "C" void pml_rtl_set_cycle(pml_rtl *r, uint64_t cycle) { r->cycle = cycle; }
extern "C" void pml_rtl_waves(pml_rtl *r, int on) { r->dumping = on && r->fst; }
extern "C" uint64_t pml_rtl_mem_state(const pml_rtl *r) { return r->rng; }
extern "C" void pml_rtl_set_mem_state(pml_rtl *r, uint64_t state) { r->rng = state ? state : 1; }
extern "C" int pml_rtl_assert_failed(const pml_rtl *r) { return r->ctx->gotError(); }
extern "C" const char *pml_rtl_variant(void) { return PML_RTL_VARIANT; }
