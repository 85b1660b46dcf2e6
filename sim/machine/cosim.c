/*
 * sim/machine/cosim.c - the PML co-simulation scoreboard, coverage and waveform
 * window (see cosim.h).
 *
 * Invariant: until a disagreement, after every request and register write
 * a lane's RTL holds the same architectural state as its C unit (index,
 * PML_ADDRESS) and is idle; so the state saved with each request in the ring
 * is what the RTL held too, and a window replayed from it into a fresh
 * instance (with the saved back-pressure generator state) runs the same
 * cycles as the live run did.
 */
#include "cosim.h"

#include "pml_rtl.h"
#include "trace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define RTL_MAX_CYCLES  100000u   /* a request not answered in this many cycles hangs */
#define WINDOW_DEFAULT  64u

enum { ITEM_REQ, ITEM_CSR };

/* One entry of a lane's ring: what was driven and the state before it. */
typedef struct cosim_item {
	int kind;
	pml_event ev;              /* ITEM_REQ */
	unsigned field;            /* ITEM_CSR */
	uint64_t value;
	uint16_t index_before;
	uint64_t address_before;
	uint64_t mem_state;        /* back-pressure generator before the item */
	uint64_t cycle;            /* RTL cycle when the item started */
	uint64_t record;
} cosim_item;

typedef struct lane {
	cosim *c;
	pml_unit *p;
	unsigned vcpu;
	pml_rtl *rtl;
	pml_observer obs;
	uint16_t index;            /* the C unit's index before the current item */
	uint64_t address;
	int after_full;            /* the last request was a log-full exit */
	cosim_item *ring;
	uint64_t nitems;           /* items ever pushed */
	outfile *wo;               /* live waveform of a vCPU above 0 (as an output) */
} lane;

typedef struct cosim_side {
	int full, logged;
	unsigned writes;
	uint64_t addr, data;
	uint16_t index;
} cosim_side;

struct cosim {
	cosim_cfg cfg;
	outfile *wave0;            /* the --waves file itself (as an output), or NULL */
	const uint64_t *record;
	lane **lanes;
	size_t nlanes;
	/* the first disagreement */
	int failed;
	cosim_item bad;
	unsigned bad_vcpu;
	lane *bad_lane;
	cosim_side want, got;
	char what[160];
	/* counters */
	uint64_t requests, logged, full, csr_writes, rtl_cycles, rtl_latency, mem_stalls;
	uint64_t mismatches;
	uint64_t live_items;       /* requests and register writes dumped live */
	uint64_t cov[COV_NBINS];
	char cov_stat[COV_NBINS][48];   /* "cosim.cov.<bin>": the registry keeps the pointer */
};

static const char *const cov_names[COV_NBINS] = {
	[COV_FIRST_ENTRY_511] = "first_entry_511",
	[COV_ENTRY_0_WRAP] = "entry_0_wrap",
	[COV_FULL_EXIT] = "full_exit",
	[COV_AFTER_FULL] = "request_after_full",
	[COV_INDEX_WRITE_MIDWAY] = "index_written_midway",
	[COV_INDEX_WRITE_OUT] = "index_written_out_of_range",
	[COV_DISABLED] = "pml_disabled",
	[COV_BACKPRESSURE] = "memory_backpressure",
	[COV_RESET_MIDWAY] = "reset_midway",
	[COV_LOG_4K] = "logged_4k_leaf",
	[COV_LOG_2M] = "logged_2m_leaf",
	[COV_LOG_1G] = "logged_1g_leaf",
	[COV_NONLEAF] = "nonleaf_update",
	[COV_A_ONLY_LEAF] = "a_only_leaf_update",
	[COV_D_ALREADY] = "d_already_set",
};

const char *cosim_cov_name(unsigned bin) { return bin < COV_NBINS ? cov_names[bin] : "?"; }

uint64_t cosim_cov_hits(const cosim *c, unsigned bin) { return bin < COV_NBINS ? c->cov[bin] : 0; }

static unsigned window(const cosim *c) { return c->cfg.window ? c->cfg.window : WINDOW_DEFAULT; }

/* ---------------------------------------------------------------- ring */

static cosim_item *push(lane *l, int kind)
{
	cosim_item *it = &l->ring[l->nitems++ % window(l->c)];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->index_before = l->index;
	it->address_before = l->address;
	it->mem_state = pml_rtl_mem_state(l->rtl);
	it->cycle = pml_rtl_cycle(l->rtl);
	it->record = *l->c->record;
	return it;
}

/* Live dumping over the record range, when one was given. */
static void live_waves(lane *l)
{
	const cosim_cfg *g = &l->c->cfg;
	if (g->wave_live) {
		uint64_t r = *l->c->record;
		int on = r >= g->wave_lo && r <= g->wave_hi;
		pml_rtl_waves(l->rtl, on);
		l->c->live_items += (uint64_t)on;
	}
}

static void fail(lane *l, const cosim_item *it, const char *what)
{
	cosim *c = l->c;
	c->mismatches++;
	if (c->failed)
		return;
	c->failed = 1;
	c->bad = *it;
	c->bad_vcpu = l->vcpu;
	c->bad_lane = l;
	snprintf(c->what, sizeof(c->what), "%s", what);
}

/* ---------------------------------------------------------------- observer */

static void cover_request(cosim *c, lane *l, const pml_event *ev, const pml_outcome *o,
			  const pml_rtl_resp *r)
{
	if (!ev->enabled)
		c->cov[COV_DISABLED]++;
	else if (!ev->leaf_level)
		c->cov[COV_NONLEAF]++;
	else if (!ev->is_write)
		c->cov[COV_A_ONLY_LEAF]++;
	else if (!ev->d_was_0)
		c->cov[COV_D_ALREADY]++;
	if (o->full)
		c->cov[COV_FULL_EXIT]++;
	else if (l->after_full && ev->enabled)
		c->cov[COV_AFTER_FULL]++;
	if (o->logged) {
		if (l->index == PML_HEAD_INDEX)
			c->cov[COV_FIRST_ENTRY_511]++;
		if (l->index == 0)
			c->cov[COV_ENTRY_0_WRAP]++;
		if (ev->leaf_level >= 1 && ev->leaf_level <= 3)
			c->cov[COV_LOG_4K + ev->leaf_level - 1]++;
	}
	if (r->stalls)
		c->cov[COV_BACKPRESSURE]++;
	if (ev->enabled)
		l->after_full = o->full;
}

/* Start recording one request or register write on lane L: NULL once the
 * run has failed (nothing more is compared). */
static cosim_item *begin_item(lane *l, int kind)
{
	if (l->c->failed)
		return NULL;
	live_waves(l);
	return push(l, kind);
}

static void on_request(void *ctx, const pml_event *ev, pml_outcome *o)
{
	lane *l = ctx;
	cosim *c = l->c;
	cosim_item *it = begin_item(l, ITEM_REQ);
	if (!it)
		return;
	it->ev = *ev;
	pml_rtl_resp r;
	int hung = pml_rtl_request(l->rtl, ev, &r, RTL_MAX_CYCLES);
	c->requests++;
	c->logged += (uint64_t)o->logged;
	c->full += (uint64_t)o->full;
	c->rtl_latency += o->logged ? r.latency : 0;
	c->mem_stalls += r.stalls;
	cover_request(c, l, ev, o, &r);
	c->want = (cosim_side){ .full = o->full, .logged = o->logged, .writes = (unsigned)o->logged,
				.addr = o->addr, .data = o->data, .index = o->index };
	c->got = (cosim_side){ .full = r.full, .logged = r.logged, .writes = r.writes,
			       .addr = r.addr, .data = r.data, .index = r.index };
	if (hung)
		fail(l, it, pml_rtl_assert_failed(l->rtl)
			    ? "an RTL assertion failed (Verilator's message above), and the RTL "
			      "did not answer the request"
			    : "the RTL did not answer the request");
	else if (c->want.full != c->got.full)
		fail(l, it, "log-full exit");
	else if (c->want.logged != c->got.logged)
		fail(l, it, "logged or not");
	else if (c->want.writes != c->got.writes)
		fail(l, it, "number of memory writes");
	else if (c->want.logged && c->want.addr != c->got.addr)
		fail(l, it, "memory write address");
	else if (c->want.logged && c->want.data != c->got.data)
		fail(l, it, "memory write data");
	else if (c->want.index != c->got.index)
		fail(l, it, "index after the request");
	else if (pml_rtl_assert_failed(l->rtl))
		fail(l, it, "an RTL assertion failed (Verilator's message above)");
	if (c->cfg.cost_rtl)
		o->cycles = r.latency;
	l->index = o->index;
}

static void on_csr(void *ctx, unsigned field, uint64_t value)
{
	lane *l = ctx;
	cosim *c = l->c;
	cosim_item *it = begin_item(l, ITEM_CSR);
	if (!it)
		return;
	it->field = field;
	it->value = value;
	c->csr_writes++;
	if (field == VMCS_GUEST_PML_INDEX) {
		if (l->index < PML_HEAD_INDEX)
			c->cov[COV_INDEX_WRITE_MIDWAY]++;
		if (value >= PML_ENTRIES)
			c->cov[COV_INDEX_WRITE_OUT]++;
	}
	uint64_t want = field == VMCS_GUEST_PML_INDEX ? pml_index(l->p) : pml_address(l->p);
	uint64_t got = 0;
	c->want = (cosim_side){ .addr = field, .data = want };
	int bad = pml_rtl_csr_write(l->rtl, (uint16_t)field, value) ||
		  pml_rtl_csr_read(l->rtl, (uint16_t)field, &got);
	c->got = (cosim_side){ .addr = field, .data = got };
	if (bad)
		fail(l, it, "register access refused (csr_err)");
	else if (want != got)
		fail(l, it, "register read-back");
	else if (pml_rtl_assert_failed(l->rtl))
		fail(l, it, "an RTL assertion failed (Verilator's message above)");
	l->index = pml_index(l->p);
	l->address = pml_address(l->p);
}

/* ---------------------------------------------------------------- lifecycle */

/* Waveform file of a lane: FILE for vCPU 0, FILE with ".vcpuN" before its
 * extension for the others. */
static void lane_waves_path(const cosim *c, unsigned vcpu, char *buf, size_t len)
{
	const char *w = c->cfg.waves;
	const char *dot = strrchr(w, '.');
	if (vcpu == 0 || !dot || strchr(dot, '/'))
		snprintf(buf, len, vcpu == 0 ? "%s" : "%s.vcpu%u", w, vcpu);
	else
		snprintf(buf, len, "%.*s.vcpu%u%s", (int)(dot - w), w, vcpu, dot);
}

/* Open PATH as a waveform output (regular file, written by name). */
static int open_wave(cosim *c, const char *path, outfile **o, char *err, size_t errlen)
{
	*o = NULL;
	if (!c->cfg.outs)
		return TRACE_OK;
	int rc = outfile_open(c->cfg.outs, o, path, "--waves", OUTFILE_PATH | OUTFILE_REGULAR,
			      err, errlen);
	return rc == 0 ? TRACE_OK : rc == OUTFILE_REFUSED ? TRACE_EIO
		: rc == OUTFILE_NOMEM ? TRACE_ENOMEM : TRACE_EOUTPUT;
}

/* The RTL instance could not open its waveform (the temporary we made): say
 * so naming the user's file; memory and descriptors are the usual causes. */
static int wave_open_failed(const char *path, char *err, size_t errlen)
{
	snprintf(err, errlen, "--waves: %s: cannot write the waveform (out of memory or of file "
		 "descriptors)", path);
	return TRACE_EOUTPUT;
}

static const char *wave_path(const outfile *o, const char *path)
{
	return o ? outfile_write_path(o) : path;
}

int cosim_create(cosim **out, const cosim_cfg *cfg, const uint64_t *record, char *err,
		 size_t errlen)
{
	*out = NULL;
	if (!pml_rtl_available(err, errlen))
		return TRACE_EIO;
	cosim *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory (co-simulation)");
		return TRACE_ENOMEM;
	}
	c->cfg = *cfg;
	c->record = record;
	/* The further vCPUs' waveforms (live mode) are made as they appear:
	 * refuse now one that would be an input, not in the middle of the run. */
	for (unsigned v = 1; cfg->waves && cfg->wave_live && cfg->outs && v < 256; v++) {
		char p[4096];
		lane_waves_path(c, v, p, sizeof(p));
		const char *in = outset_input_at(cfg->outs, p);
		if (in) {
			snprintf(err, errlen, "--waves: vCPU %u's waveform %s is the same file as the "
				 "input %s; refusing to overwrite an input", v, p, in);
			free(c);
			return TRACE_EIO;
		}
	}
	if (cfg->waves) {
		int rc = open_wave(c, cfg->waves, &c->wave0, err, errlen);
		if (rc) {
			free(c);
			return rc;
		}
	}
	*out = c;
	return TRACE_OK;
}

static void lane_free(lane *l)
{
	if (!l)
		return;
	pml_set_observer(l->p, NULL);
	pml_rtl_destroy(l->rtl);
	outfile_abandon(l->wo);
	free(l->ring);
	free(l);
}

void cosim_destroy(cosim *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nlanes; i++)
		lane_free(c->lanes[i]);
	outfile_abandon(c->wave0);
	free(c->lanes);
	free(c);
}


/* Load the registers into a fresh RTL instance (the prelude of a lane or a
 * window replay). */
static int load_regs(pml_rtl *r, uint64_t address, uint16_t index)
{
	return pml_rtl_csr_write(r, VMCS_PML_ADDRESS, address) ||
	       pml_rtl_csr_write(r, VMCS_GUEST_PML_INDEX, index);
}

int cosim_attach(cosim *c, pml_unit *p, unsigned vcpu, char *err, size_t errlen)
{
	lane **nl = realloc(c->lanes, (c->nlanes + 1) * sizeof(*nl));
	lane *l = calloc(1, sizeof(*l));
	if (nl)
		c->lanes = nl;
	if (!nl || !l || !(l->ring = calloc(window(c), sizeof(*l->ring)))) {
		free(l);
		snprintf(err, errlen, "out of memory (co-simulating vCPU %u)", vcpu);
		return TRACE_ENOMEM;
	}
	char path[4096];
	int live = c->cfg.waves && c->cfg.wave_live;
	if (live) {
		lane_waves_path(c, vcpu, path, sizeof(path));
		int rc = vcpu == 0 ? TRACE_OK : open_wave(c, path, &l->wo, err, errlen);
		if (rc) {
			free(l->ring);
			free(l);
			return rc;
		}
	}
	pml_rtl_cfg rc = { .mem_latency = c->cfg.mem_latency, .stall_pct = c->cfg.stall_pct,
			   .seed = c->cfg.seed + vcpu,
			   .waves = !live ? NULL : wave_path(vcpu == 0 ? c->wave0 : l->wo, path) };
	int e = pml_rtl_create(&l->rtl, &rc, err, errlen);
	if (e) {
		outfile_abandon(l->wo);
		free(l->ring);
		free(l);
		return e == -2 ? TRACE_ENOMEM : wave_open_failed(path, err, errlen);
	}
	l->c = c;
	l->p = p;
	l->vcpu = vcpu;
	l->index = pml_index(p);
	l->address = pml_address(p);
	if (load_regs(l->rtl, l->address, l->index)) {
		snprintf(err, errlen, "the RTL refused its PML_ADDRESS/GUEST_PML_INDEX writes");
		lane_free(l);
		return TRACE_EIO;
	}
	l->obs = (pml_observer){ .ctx = l, .request = on_request, .csr_write = on_csr };
	pml_set_observer(p, &l->obs);
	c->lanes[c->nlanes++] = l;
	return 0;
}

void cosim_reset_lane(cosim *c, unsigned vcpu, const pml_event *request, unsigned cycles)
{
	for (size_t i = 0; i < c->nlanes; i++) {
		lane *l = c->lanes[i];
		if (l->vcpu != vcpu)
			continue;
		if (request) {
			pml_rtl_begin(l->rtl, request, cycles);
			c->cov[COV_RESET_MIDWAY]++;
		}
		pml_rtl_reset(l->rtl, 1);
		l->after_full = 0;
		l->index = pml_index(l->p);
		l->address = pml_address(l->p);
	}
}

int cosim_lane_regs(cosim *c, unsigned vcpu, uint64_t *address, uint64_t *index)
{
	for (size_t i = 0; i < c->nlanes; i++)
		if (c->lanes[i]->vcpu == vcpu)
			return pml_rtl_csr_read(c->lanes[i]->rtl, VMCS_PML_ADDRESS, address) ||
			       pml_rtl_csr_read(c->lanes[i]->rtl, VMCS_GUEST_PML_INDEX, index)
			       ? -1 : 0;
	return -1;
}

void cosim_cover(cosim *c, unsigned bin)
{
	if (bin < COV_NBINS)
		c->cov[bin]++;
}

int cosim_failed(const cosim *c) { return c->failed; }

/* ---------------------------------------------------------------- report */

static void print_item(const cosim_item *it, FILE *f)
{
	if (it->kind == ITEM_REQ)
		fprintf(f, "  request:  gpa=0x%" PRIx64 " leaf_level=%u d_was_0=%d is_write=%d "
			"pml_en=%d (index before 0x%04x, PML_ADDRESS 0x%" PRIx64 ")\n",
			it->ev.gpa, it->ev.leaf_level, it->ev.d_was_0, it->ev.is_write,
			it->ev.enabled, it->index_before, it->address_before);
	else
		fprintf(f, "  register write: field 0x%04x (%s) = 0x%" PRIx64
			" (index before 0x%04x)\n", it->field,
			it->field == VMCS_PML_ADDRESS ? "PML_ADDRESS" : "GUEST_PML_INDEX",
			it->value, it->index_before);
}

void cosim_print_mismatch(const cosim *c, FILE *f)
{
	if (!c->failed)
		return;
	const cosim_item *it = &c->bad;
	fprintf(f, "co-simulation mismatch: %s\n", c->what);
	fprintf(f, "  at record %" PRIu64 ", vCPU %u, RTL cycle %" PRIu64 " (variant: %s)\n",
		it->record, c->bad_vcpu, it->cycle, pml_rtl_variant());
	print_item(it, f);
	const cosim_side *a = &c->want, *b = &c->got;
	if (it->kind == ITEM_CSR) {
		fprintf(f, "  %-12s %-20s %-20s\n", "", "C model", "RTL");
		fprintf(f, "  %-12s 0x%-18" PRIx64 " 0x%-18" PRIx64 "%s\n", "read-back", a->data,
			b->data, a->data != b->data ? "  <-- differs" : "");
		return;
	}
#define ROW(name, fmt, x, y) \
	fprintf(f, "  %-12s " fmt "  " fmt "%s\n", name, x, y, (x) != (y) ? "  <-- differs" : "")
	fprintf(f, "  %-12s %-20s  %-20s\n", "", "C model", "RTL");
	ROW("full", "%-20d", a->full, b->full);
	ROW("logged", "%-20d", a->logged, b->logged);
	ROW("mem writes", "%-20u", a->writes, b->writes);
	ROW("mem addr", "0x%-18" PRIx64, a->addr, b->addr);
	ROW("mem data", "0x%-18" PRIx64, a->data, b->data);
	ROW("index after", "0x%-18x", (unsigned)a->index, (unsigned)b->index);
#undef ROW
}

void cosim_print_coverage(const cosim *c, FILE *f)
{
	unsigned missing = 0;
	fprintf(f, "co-simulation coverage (%" PRIu64 " requests, %" PRIu64
		" register writes, variant %s):\n", c->requests, c->csr_writes, pml_rtl_variant());
	for (unsigned b = 0; b < COV_NBINS; b++) {
		fprintf(f, "  %-28s %12" PRIu64 "%s\n", cov_names[b], c->cov[b],
			c->cov[b] ? "" : "  (not hit)");
		missing += c->cov[b] == 0;
	}
	fprintf(f, "  %u of %u bins hit\n", COV_NBINS - missing, COV_NBINS);
}

void cosim_register_stats(cosim *c, stats_reg *st)
{
	stats_add(st, "cosim.requests", &c->requests, "requests co-simulated (A/D updates)");
	stats_add(st, "cosim.logged", &c->logged, "co-simulated requests that wrote an entry");
	stats_add(st, "cosim.full", &c->full, "co-simulated log-full exits");
	stats_add(st, "cosim.csr_writes", &c->csr_writes, "register writes co-simulated");
	stats_add(st, "cosim.rtl_cycles", &c->rtl_cycles, "RTL clock cycles run (all lanes)");
	stats_add(st, "cosim.rtl_latency", &c->rtl_latency,
		  "RTL cycles from acceptance to response, summed over logged requests");
	stats_add_ratio(st, "cosim.rtl_cycles_per_entry", "cosim.rtl_latency", "cosim.logged",
			"RTL cycles per logged entry (with cosim.mem_latency)");
	stats_add(st, "cosim.mem_stalls", &c->mem_stalls, "cycles the RTL's write waited");
	stats_add(st, "cosim.mismatches", &c->mismatches, "disagreements (the run stops at the first)");
	for (unsigned b = 0; b < COV_NBINS; b++) {
		snprintf(c->cov_stat[b], sizeof(c->cov_stat[b]), "cosim.cov.%s", cov_names[b]);
		stats_add(st, c->cov_stat[b], &c->cov[b], "co-simulation coverage bin");
	}
}

/* Sum the lanes' cycles (called before the statistics are read). */
static void sum_cycles(cosim *c)
{
	c->rtl_cycles = 0;
	for (size_t i = 0; i < c->nlanes; i++)
		c->rtl_cycles += pml_rtl_cycle(c->lanes[i]->rtl);
}

/* Replay the last requests of lane L into a fresh instance writing PATH. */
static int replay_window(cosim *c, lane *l, const char *path, uint64_t *lo, uint64_t *hi,
			 char *err, size_t errlen)
{
	uint64_t n = l->nitems < window(c) ? l->nitems : window(c);
	if (n == 0) {
		snprintf(err, errlen, "%s: no PML requests or register writes to show",
			 c->cfg.waves);
		return -1;
	}
	uint64_t first = l->nitems - n;
	const cosim_item *it0 = &l->ring[first % window(c)];
	pml_rtl *r;
	pml_rtl_cfg rc = { .mem_latency = c->cfg.mem_latency, .stall_pct = c->cfg.stall_pct,
			   .seed = 1, .waves = path };
	int e = pml_rtl_create(&r, &rc, err, errlen);
	if (e)
		return e == -2 ? TRACE_ENOMEM : wave_open_failed(c->cfg.waves, err, errlen);
	if (load_regs(r, it0->address_before, it0->index_before)) {
		pml_rtl_destroy(r);
		snprintf(err, errlen, "%s: the RTL refused its registers in the window replay",
			 c->cfg.waves);
		return -1;
	}
	/* Number the window's cycles as the live run did (nothing was dumped
	 * before, so the waveform's time still only grows). */
	*lo = it0->cycle;
	pml_rtl_set_cycle(r, *lo);
	pml_rtl_waves(r, 1);
	uint64_t base = pml_rtl_cycle(r);
	for (uint64_t k = first; k < l->nitems; k++) {
		const cosim_item *it = &l->ring[k % window(c)];
		pml_rtl_set_mem_state(r, it->mem_state);
		if (it->kind == ITEM_REQ) {
			pml_rtl_resp resp;
			pml_rtl_request(r, &it->ev, &resp, RTL_MAX_CYCLES);
		} else {
			uint64_t v;
			pml_rtl_csr_write(r, (uint16_t)it->field, it->value);
			pml_rtl_csr_read(r, (uint16_t)it->field, &v);
		}
	}
	*hi = *lo + (pml_rtl_cycle(r) - base);
	pml_rtl_destroy(r);
	return 0;
}

/* Put waveform O in place (it is already closed) - only once it reads
 * back as a whole FST: the FST writer does not report its write errors, so
 * a full disk shows only as a file its own reader refuses. */
static int commit_wave(outfile **o, char *err, size_t errlen)
{
	if (!*o)
		return TRACE_OK;
	if (pml_rtl_check_waves(outfile_write_path(*o))) {
		snprintf(err, errlen, "--waves: %s: write error: the waveform does not read back "
			 "(a full disk?); the old file, if any, is left as it was", outfile_name(*o));
		outfile_abandon(*o);
		*o = NULL;
		return TRACE_EOUTPUT;
	}
	int rc = outfile_commit(*o, err, errlen);
	*o = NULL;
	return rc ? TRACE_EOUTPUT : TRACE_OK;
}

int cosim_finish(cosim *c, char *err, size_t errlen)
{
	sum_cycles(c);
	if (c->cfg.waves && c->cfg.wave_live) {
		int rc = TRACE_OK;
		for (size_t i = 0; i < c->nlanes; i++) {
			lane *l = c->lanes[i];
			pml_rtl_close_waves(l->rtl);
			if (rc == TRACE_OK)
				rc = commit_wave(l->vcpu == 0 ? &c->wave0 : &l->wo, err, errlen);
		}
		if (rc != TRACE_OK)
			return rc;
		fprintf(stderr, "waveform: %s%s: records %" PRIu64 "..%" PRIu64 " live: %" PRIu64
			" requests/register writes%s\n", c->cfg.waves,
			c->nlanes > 1 ? " (and one file per further vCPU)" : "", c->cfg.wave_lo,
			c->cfg.wave_hi, c->live_items,
			c->live_items ? "" : " - none in that range, the file has no activity");
		/* No lane 0 (no vCPU 0 in the trace): its file stays an empty
		 * waveform rather than nothing. */
		return commit_wave(&c->wave0, err, errlen);
	}
	if (!c->cfg.waves)
		return TRACE_OK;
	lane *l = c->failed ? c->bad_lane : (c->nlanes ? c->lanes[0] : NULL);
	if (!l) {
		snprintf(err, errlen, "%s: no vCPU had a PML unit: nothing to show "
			 "(set dirtylog.mode=pml)", c->cfg.waves);
		return TRACE_EIO;
	}
	uint64_t lo, hi;
	int wr = replay_window(c, l, wave_path(c->wave0, c->cfg.waves), &lo, &hi, err, errlen);
	if (wr)
		return wr < 0 ? wr : TRACE_EIO;
	int rc = commit_wave(&c->wave0, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	fprintf(stderr, "waveform: %s: vCPU %u, the last %" PRIu64 " requests/register writes "
		"%s (RTL cycles of the window: %" PRIu64 "..%" PRIu64 " of the live run)\n",
		c->cfg.waves, l->vcpu, l->nitems < window(c) ? l->nitems : (uint64_t)window(c),
		c->failed ? "up to the mismatch" : "of the run", lo, hi);
	return TRACE_OK;
}
