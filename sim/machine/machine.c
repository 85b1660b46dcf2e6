/*
 * sim/machine/machine.c - the machine: domains and the per-access path (see
 * machine.h).
 *
 * A machine is: sparse physical memory holding every page table; domains,
 * each a guest OS (guest.h), a hypervisor (hyp.h) and dirty logging
 * (dirtylog.h) with a VMID of its own, and its vCPUs (vcpu.h: an L1I, L1D
 * and unified L2 TLB, a walker with its walk caches and nested TLB, built
 * with the domain's geometry, and its logging unit), each added by the
 * driver at its first record (machine_add_vcpu).
 *
 * Per access: L1 (I or D by kind) -> L2 -> walk. A walk that faults is
 * resolved by the guest OS (stage 1) or the hypervisor (stage 2) and
 * retried; each fault is counted and charged fault.*.cycles. An access that
 * runs past the end of the translation that served it is translated again
 * for the next page (lower page first). A combined TLB entry covers
 * min(stage-1 leaf, stage-2 leaf). Cycles per vCPU: core.cpi x instructions,
 * TLB latencies and walk cycles (translation), fault costs (faults). A
 * domain's dirty-logging round ends when its vCPUs have retired
 * dirtylog.period instructions since the last (trace order).
 *
 * Statistics: counters live in the vCPUs, domains and rooms where they are
 * bumped; machine_finish totals them per domain and for the machine, and
 * the registry points at those totals (names and order are the public
 * interface, unchanged from the single-VM machine; domain.N.<name> follow
 * when there is more than one domain).
 *
 * With io.mode (sim/machine/io.h) the machine holds one more domain, the I/O back
 * end, numbered after the trace's domains, with one vCPU
 * (MACHINE_BACKEND_VCPU, made with the machine) that no trace vCPU maps to;
 * domains.control asks for the same domain as Xen's control domain (dom0:
 * slatsim migrate maps the guest's pages there), and with both it is both.
 * Its configuration is
 * domain 0's (the front end's) changed by its own domain.B.<key>; its
 * dirty logging is off. Its counters are domain.B.<stat>; the unprefixed
 * totals stay the trace domains'. The front end's requests are issued from
 * the access path when domain 0's instructions reach the next io.period.
 */
#include "machine.h"
#include "bits.h"
#include "cache.h"
#include "cosim.h"
#include "guest.h"
#include "hyp.h"
#include "io.h"
#include "policy.h"
#include "rng.h"
#include "simerr.h"
#include "tlb.h"
#include "tracestat.h"
#include "vcpu.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- state */

/* A domain's or the machine's totals: every field a uint64_t counter. */
typedef struct totals {
	vcpu_counts v;             /* its vCPUs' (vcpu.h) */
	uint64_t l1d_lookups;
	uint64_t pages_guest, pages_host, pt_bytes;
	uint64_t cyc_total, cyc_instr;
	cache_counters llc;        /* cache.model=on: machine totals only */
	dl_counters dl;
} totals;

/* A domain's configuration: what domain.N.<key> may change. */
typedef struct dom_cfg {
	mmu_config mmu;            /* geometry of both stages and the caches */
	unsigned gpage, hpage;
	int gcont;
	double backing;
	uint64_t cpi_mant;         /* core.cpi exactly: cpi_mant / 10^cpi_exp10 */
	int cpi_exp10;
	uint64_t fault_guest, fault_host;
	dl_cfg dl;
} dom_cfg;

typedef struct domain {
	unsigned id;
	uint16_t vmid;
	dom_cfg c;
	guest *g;
	hyp *h;                    /* NULL when not virtualized */
	dirtylog *dl;
	uint64_t instr_done;       /* instructions of the domain's records so far */
	uint64_t next_round;       /* instr_done that ends the round (UINT64_MAX: none) */
	size_t round_base;         /* rounds before the warm-up ended (not reported) */
	uint64_t next_io;          /* instr_done of the next I/O request (UINT64_MAX: none) */
	uint64_t next_event;       /* the smaller of the two */
	totals t;
	char (*stat_names)[64];    /* "domain.N.<stat>" (the registry keeps pointers) */
	vcpu_set vs;               /* its vCPUs */
} domain;

typedef struct mach_cfg {
	int arch_arm, nested;
	uint64_t seed;
	int footprint;
	int prefetch_skip;         /* trace.prefetch=skip */
	tlb_config l1i, l1d, l2;
	int caches;                /* cache.model=on */
	cache_hier_config ch;
	cache_config llc;
	io_cfg io;
} mach_cfg;

struct machine {
	mach_cfg c;
	const param_reg *params;
	stats_reg *stats;
	tracestat ts;
	physmem *mem;
	hostmem hm;
	sim_err err;
	domain *d[MACHINE_MAX_DOMAINS + 1];
	unsigned ndomains;               /* the trace's */
	unsigned nall;                   /* and the I/O back end / control domain */
	io *io;
	uint8_t vdom[MACHINE_MAX_VCPUS]; /* vCPU -> domain */
	vcpu_table vt;                   /* every vCPU (machine_add_vcpu, the control domain's) */
	struct cosim *cosim;
	mmu_mem_observer obs;            /* every walker's memory observer, or NULL */
	machine_walk_info *xw;           /* machine_walk_once's record of attempts, or NULL */
	void *obs_ctx;
	cache *llc;                      /* cache.model=on: the shared last level */
	uint64_t rec_base;               /* record number of the batch's first record */
	const trace_rec *cur_batch;
	uint64_t rec_no;                 /* the record being walked (set on walks only) */
	int started, stopped;
	uint64_t inv[3], inv_bcast;      /* invalidation records by op; broadcasts */
	totals a;                        /* the machine's totals */
};

/* ---------------------------------------------------------------- config */

#define CFGERR(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static const unsigned gran_shift_of[] = { 12, 14, 16 };

unsigned machine_param_ways(const param_reg *p, const char *pfx)
{
	char k[64];
	snprintf(k, sizeof(k), "%s.ways", pfx);
	unsigned ways = (unsigned)param_int(p, k);
	if (ways)
		return ways;
	const param_def *d = param_def_of(p, k);
	unsigned want = (unsigned)strtoul(d->def, NULL, 10);
	snprintf(k, sizeof(k), "%s.entries", pfx);
	return tlb_ways_nearest((unsigned)param_int(p, k), want, (unsigned)d->max);
}

static void read_tlb(const param_reg *p, const char *pfx, tlb_config *t, uint64_t seed,
		     int has_policy)
{
	char k[64];
	snprintf(k, sizeof(k), "%s.entries", pfx);
	t->entries = (unsigned)param_int(p, k);
	t->ways = machine_param_ways(p, pfx);
	snprintf(k, sizeof(k), "%s.latency", pfx);
	t->latency = (unsigned)param_int(p, k);
	t->policy = TLB_LRU;
	if (has_policy) {
		snprintf(k, sizeof(k), "%s.policy", pfx);
		t->policy = (enum tlb_policy)param_enum(p, k);
	}
	uint64_t h = seed;   /* each structure its own stream, from its name */
	for (const char *q = pfx; *q; q++)
		h = rng_hash64(h ^ (uint8_t)*q);
	t->seed = h;
}

static void read_cache(const param_reg *p, const char *pfx, cache_config *c, uint64_t seed)
{
	char k[64];
	snprintf(k, sizeof(k), "%s.sets", pfx);
	c->sets = (unsigned)param_int(p, k);
	snprintf(k, sizeof(k), "%s.ways", pfx);
	c->ways = (unsigned)param_int(p, k);
	snprintf(k, sizeof(k), "%s.latency", pfx);
	c->latency = (unsigned)param_int(p, k);
	snprintf(k, sizeof(k), "%s.policy", pfx);
	c->policy = (enum cache_policy)param_enum(p, k);
	c->line = (unsigned)param_int(p, "cache.line");
	uint64_t h = seed;   /* each array its own stream, from its name */
	for (const char *q = pfx; *q; q++)
		h = rng_hash64(h ^ (uint8_t)*q);
	c->seed = h;
}

/* A float parameter's canonical text ("0.7", "1.5e-05", "1e+03": at most
 * 17 significant digits, lib/numfmt.h) as the exact decimal MANT / 10^EXP10,
 * so that cycles follow from it in integers whatever the count. */
static void decimal_of(const char *text, uint64_t *mant, int *exp10)
{
	uint64_t m = 0;
	int e = 0, frac = 0;
	const char *p = text + (*text == '-' || *text == '+');   /* (never negative: >= 0) */
	for (; *p && *p != 'e' && *p != 'E'; p++) {
		if (*p == '.') {
			frac = 1;
			continue;
		}
		m = m * 10 + (uint64_t)(*p - '0');
		e += frac;
	}
	if (*p)
		e -= atoi(p + 1);
	*mant = m;
	*exp10 = e;
}

/* round(N * MANT / 10^EXP10), halves up (as llround), exact: cycles of N
 * instructions at core.cpi (saturating at 2^64 - 1). */
static uint64_t scale_exact(uint64_t n, uint64_t mant, int exp10)
{
	typedef unsigned __int128 u128;
	u128 x = (u128)n * mant;   /* < 2^64 * 10^17 < 10^37 */
	if (exp10 > 38)
		return 0;
	for (; exp10 < 0; exp10++) {
		if (x > (~(u128)0) / 10)
			return UINT64_MAX;
		x *= 10;
	}
	u128 d = 1;
	for (int i = 0; i < exp10; i++)
		d *= 10;
	x = exp10 ? (x + d / 2) / d : x;
	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

/* PFX's ENTRIES in WAYS refused (WHY, tlb_create's message): what would
 * work - the ways that divide the entries into a power-of-two number of
 * sets, what PFX.ways=auto takes, and both keys set at once as --grid and
 * --vs take them. Or, with auto, that no ways up to the maximum do. */
static void geometry_error(const param_reg *p, const char *pfx, const tlb_config *t,
			   const char *why, char *err, size_t errlen)
{
	char k[64], list[256];
	snprintf(k, sizeof(k), "%s.ways", pfx);
	const param_def *d = param_def_of(p, k);
	unsigned max = (unsigned)d->max, want = (unsigned)strtoul(d->def, NULL, 10);
	unsigned near = tlb_ways_nearest(t->entries, want, max);
	if (!t->ways || !near) {
		snprintf(err, errlen, "%s.ways=auto: no associativity up to %u divides %u entries "
			 "into a power-of-two number of sets (%s.entries: a power of two times the "
			 "ways)", pfx, max, t->entries, pfx);
		return;
	}
	/* ENTRIES / 2^k, ascending: every ways that works. */
	unsigned w[32], n = 0;
	for (unsigned x = t->entries; x && n < 32; x /= 2) {
		if (x <= max)
			w[n++] = x;
		if (x % 2)
			break;
	}
	size_t at = 0;
	list[0] = '\0';
	for (unsigned i = n; i-- > 0 && at < sizeof(list);)
		at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%u", i + 1 < n ? ", " : "",
				       w[i]);
	snprintf(err, errlen, "%s; ways that do: %s (%s.ways=auto takes %u, the nearest to the "
		 "default %u); --grid and --vs set both at once: '%s.entries:%s.ways=%u:%u'", why,
		 list, pfx, near, want, pfx, pfx, t->entries, near);
}

/* Domain DOMAIN's configuration from its view of the registry (the base
 * values with its domain.N overrides). */
static int build_dom_cfg(dom_cfg *c, const mach_cfg *mc, const param_reg *p, char *err,
			 size_t errlen)
{
	memset(c, 0, sizeof(*c));
	int arm = mc->arch_arm, nested = mc->nested;
	c->gpage = (unsigned)param_enum(p, "guest.page");
	c->gcont = param_bool(p, "guest.cont");
	c->hpage = (unsigned)param_enum(p, "host.page");
	c->backing = param_float(p, "host.backing");
	decimal_of(param_text(p, "core.cpi"), &c->cpi_mant, &c->cpi_exp10);
	c->fault_guest = (uint64_t)param_int(p, "fault.guest.cycles");
	c->fault_host = (uint64_t)param_int(p, "fault.host.cycles");
	unsigned ggran = gran_shift_of[param_enum(p, "guest.granule")];
	unsigned hgran = gran_shift_of[param_enum(p, "host.granule")];
	unsigned va = (unsigned)param_int(p, "guest.va_bits");
	unsigned ipa = (unsigned)param_int(p, "host.ipa_bits");
	char why[200];
	if (!arm) {
		unsigned want_va = param_int(p, "guest.levels") == 5 ? 57 : 48;
		unsigned want_ipa = param_int(p, "host.levels") == 5 ? 57 : 48;
		if (ggran != 12)
			CFGERR("guest.granule=%s: x86 paging uses 4k tables only",
			       param_text(p, "guest.granule"));
		if (hgran != 12)
			CFGERR("host.granule=%s: EPT uses 4k tables only", param_text(p, "host.granule"));
		if (va && va != want_va)
			CFGERR("guest.va_bits=%u does not match guest.levels=%u (x86: 48 bits for 4 "
			       "levels, 57 for 5)", va, want_va == 57 ? 5 : 4);
		if (ipa && ipa != want_ipa)
			CFGERR("host.ipa_bits=%u does not match host.levels=%u (EPT: 48 bits for 4 "
			       "levels, 57 for 5)", ipa, want_ipa == 57 ? 5 : 4);
		va = want_va;
		ipa = want_ipa;
	} else {
		va = va ? va : 48;
		ipa = ipa ? ipa : 48;
	}
	if (mmu_geom_init(&c->mmu.s1, arm ? MMU_FMT_ARM_S1 : MMU_FMT_X86, ggran, va, why,
			  sizeof(why)))
		CFGERR("guest.granule/guest.va_bits: %s", why);
	if (nested && mmu_geom_init(&c->mmu.s2, arm ? MMU_FMT_ARM_S2 : MMU_FMT_EPT, hgran, ipa, why,
				    sizeof(why)))
		CFGERR("host.granule/host.ipa_bits: %s", why);
	if (!policy_page_ok(arm, ggran, c->gpage))
		CFGERR("guest.page=%s is not a page or block size of %s with a %s granule",
		       param_text(p, "guest.page"), arm ? "arm64" : "x86",
		       param_text(p, "guest.granule"));
	if (c->gcont && !arm)
		CFGERR("guest.cont=1: the contiguous hint is arm64's (x86 paging has none)");
	if (nested && !policy_page_ok(arm, hgran, c->hpage))
		CFGERR("host.page=%s is not a page or block size of %s stage 2 with a %s granule",
		       param_text(p, "host.page"), arm ? "arm64" : "EPT",
		       param_text(p, "host.granule"));
	read_tlb(p, "walkcache.s1", &c->mmu.wc_s1, mc->seed, 0);
	read_tlb(p, "walkcache.s2", &c->mmu.wc_s2, mc->seed, 0);
	read_tlb(p, "ntlb", &c->mmu.ntlb, mc->seed, 0);
	c->mmu.nested = nested;
	c->mmu.pte_latency = (unsigned)param_int(p, "mem.pte_latency");
	c->mmu.walk_fixed = (unsigned)param_int(p, "walk.fixed");
	c->mmu.s2_walk_fixed = (unsigned)param_int(p, "walk.s2_fixed");
	if (dirtylog_build_cfg(&c->dl, p, arm, nested, err, errlen))
		return -1;
	c->mmu.s2_ad = c->dl.mode == DL_PML || c->dl.mode == DL_DBM || c->dl.mode == DL_HDBSS;
	c->mmu.ad_gpt_write = c->dl.gpt_write && !arm;
	/* Stage-1 A/D by hardware; arm64's TCR_EL1.HD has effect only with HA. */
	int ha = param_bool(p, "guest.hw_accessed"), hd = param_bool(p, "guest.hw_dirty");
	c->mmu.s1_hw = (ha ? MMU_S1_HW_ACCESS : 0u) | (hd && (ha || !arm) ? MMU_S1_HW_DIRTY : 0u);
	return 0;
}

/* 1 if KEY was set for scope N (domain.N.KEY). */
static int scope_set(const param_reg *p, unsigned n, const char *key)
{
	for (size_t i = 0; i < param_count(p); i++)
		if (param_scope_at(p, i) == (int)n && strcmp(param_def_at(p, i)->name, key) == 0)
			return 1;
	return 0;
}

/* The I/O back end's view of the registry: domain 0's (the front end's),
 * then its own domain.B overrides. NULL when out of memory. */
static param_reg *backend_params(const param_reg *p, unsigned b)
{
	param_reg *dp = param_scoped(p, 0);
	char err[256];
	for (size_t i = 0; dp && i < param_count(p); i++)
		if (param_scope_at(p, i) == (int)b &&
		    param_set(dp, param_def_at(p, i)->name, param_text_at(p, i), "domain", err,
			      sizeof(err)) != PARAM_OK) {
			param_destroy(dp);
			return NULL;
		}
	return dp;
}

/* The machine-wide part, the domains and the vCPU map; every message names
 * the key (and the domain, when there is more than one). */
static int build_cfg(machine *m, const param_reg *p, char *err, size_t errlen)
{
	mach_cfg *c = &m->c;
	c->arch_arm = param_enum(p, "arch") == 1;
	c->nested = param_enum(p, "virt") == 1;
	c->seed = (uint64_t)param_int(p, "seed");
	c->footprint = param_bool(p, "sim.footprint");
	c->prefetch_skip = param_enum(p, "trace.prefetch") == 1;
	m->ndomains = (unsigned)param_int(p, "domains");
	if (m->ndomains > 1 && !c->nested)
		CFGERR("domains=%u: domains are virtual machines, they need virt=nested",
		       m->ndomains);
	io_build_cfg(&c->io, p);
	if (c->io.mode != IO_OFF && !c->nested)
		CFGERR("io.mode=%s: the I/O back end is a second virtual machine, it needs "
		       "virt=nested", param_text(p, "io.mode"));
	int control = param_bool(p, "domains.control");
	if (control && !c->nested)
		CFGERR("domains.control=1: the control domain is a virtual machine, it needs "
		       "virt=nested");
	m->nall = m->ndomains + (c->io.mode != IO_OFF || control);
	for (size_t i = 0; i < param_count(p); i++)
		if (param_scope_at(p, i) >= (int)m->nall)
			CFGERR("%s: there %s only %u domain%s (domains=%u%s)", param_name_at(p, i),
			       m->nall == 1 ? "is" : "are", m->nall, m->nall == 1 ? "" : "s",
			       m->ndomains, m->nall == m->ndomains ? "" : c->io.mode != IO_OFF ?
			       ", and the I/O back end" : ", and the control domain");
	int64_t map[PARAM_LIST_MAX];
	int nmap = param_list(p, "vcpu.domain", map, PARAM_LIST_MAX);
	for (int i = 0; i < nmap; i++) {
		if ((uint64_t)map[i] >= m->ndomains)
			CFGERR("vcpu.domain=%s: vCPU %d in domain %lld, but there %s only %u "
			       "domain%s (domains=%u)", param_text(p, "vcpu.domain"), i,
			       (long long)map[i], m->ndomains == 1 ? "is" : "are", m->ndomains,
			       m->ndomains == 1 ? "" : "s", m->ndomains);
		m->vdom[i] = (uint8_t)map[i];
	}
	for (unsigned n = 0; n < m->nall; n++) {
		domain *d = calloc(1, sizeof(*d));
		param_reg *dp = n < m->ndomains ? param_scoped(p, n) : backend_params(p, n);
		if (!d || !dp) {
			free(d);
			param_destroy(dp);
			snprintf(err, errlen, "out of memory (creating domain %u)", n);
			return TRACE_ENOMEM;
		}
		m->d[n] = d;
		d->id = n;
		d->vmid = c->nested ? (uint16_t)(n + 1) : 0;
		int rc = build_dom_cfg(&d->c, c, dp, err, errlen);
		param_destroy(dp);
		if (!rc && n == m->ndomains) {
			/* The back end is not the guest being migrated. */
			if (scope_set(p, n, "dirtylog.mode")) {
				snprintf(err, errlen, "domain.%u.dirtylog.mode: dirty logging of the I/O "
					 "back end is not modelled (Xen logs RAM, not its grant "
					 "mappings)", n);
				rc = -1;
			}
			d->c.dl.mode = DL_OFF;
			d->c.mmu.s2_ad = 0;
		}
		if (rc) {
			if (m->nall > 1) {
				char e[512];
				snprintf(e, sizeof(e), "domain %u%s: %s", n,
					 n < m->ndomains ? "" : c->io.mode != IO_OFF ?
					 " (the I/O back end)" : " (the control domain)", err);
				snprintf(err, errlen, "%s", e);
			}
			return -1;
		}
	}
	m->vdom[MACHINE_BACKEND_VCPU] = (uint8_t)m->ndomains;
	read_tlb(p, "tlb.l1i", &c->l1i, c->seed, 1);
	read_tlb(p, "tlb.l1d", &c->l1d, c->seed, 1);
	read_tlb(p, "tlb.l2", &c->l2, c->seed, 1);
	c->l2.index = (enum tlb_index)param_enum(p, "tlb.l2.index");
	c->caches = param_enum(p, "cache.model") == 1;
	if (c->caches) {
		cache_config *cc[4] = { &c->ch.l1i, &c->ch.l1d, &c->ch.l2, &c->llc };
		static const char *const names[4] = { "cache.l1i", "cache.l1d", "cache.l2",
						      "cache.llc" };
		for (unsigned i = 0; i < 4; i++)
			read_cache(p, names[i], cc[i], c->seed);
		c->llc.index = (enum cache_index)param_enum(p, "cache.llc.index");
		c->ch.mem_latency = (unsigned)param_int(p, "cache.mem.latency");
		/* Check the hierarchy now, naming the level. */
		cache *llc = NULL;
		cache_hier *h = NULL;
		char why[200];
		int bad = cache_create(&llc, &c->llc, "cache.llc", why, sizeof(why)) ||
			  cache_hier_create(&h, &c->ch, llc, why, sizeof(why));
		cache_hier_destroy(h);
		cache_destroy(llc);
		if (bad && strstr(why, "out of memory")) {
			snprintf(err, errlen, "out of memory (%s)", why);
			return TRACE_ENOMEM;
		}
		if (bad)
			CFGERR("%s", why);
	}
	/* Check every structure's geometry now, naming the parameter. */
	const mmu_config *mc = &m->d[0]->c.mmu;
	struct { const char *n; const tlb_config *t; } all[] = {
		{ "tlb.l1i", &c->l1i }, { "tlb.l1d", &c->l1d }, { "tlb.l2", &c->l2 },
		{ "walkcache.s1", &mc->wc_s1 }, { "walkcache.s2", &mc->wc_s2 },
		{ "ntlb", &mc->ntlb },
	};
	char why[200];
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tlb *t;
		if (tlb_create(&t, all[i].t, all[i].n, why, sizeof(why))) {
			if (strstr(why, "out of memory")) {
				snprintf(err, errlen, "out of memory (%s: %u entries)", all[i].n,
					 all[i].t->entries);
				return TRACE_ENOMEM;
			}
			geometry_error(p, all[i].n, all[i].t, why, err, errlen);
			return -1;
		}
		tlb_destroy(t);
	}
	return 0;
}

/* ---------------------------------------------------------------- lifecycle */

static void register_stats(machine *m);
static vcpu *add_vcpu(machine *m, unsigned id);

static int create_domain(machine *m, domain *d)
{
	if (m->c.nested) {
		hyp_cfg hc = { .mmu = &d->c.mmu, .page = d->c.hpage, .backing = d->c.backing,
			       .seed = m->c.seed, .vcpus = &d->vs };
		if (hyp_create(&d->h, &hc, m->mem, &m->hm, &m->err))
			return -1;
	}
	guest_cfg gc = { .mmu = &d->c.mmu, .arm = m->c.arch_arm, .page = d->c.gpage,
			 .cont = d->c.gcont };
	if (guest_create(&d->g, &gc, m->mem, d->h, &m->hm, &m->err) ||
	    dirtylog_create(&d->dl, &d->c.dl, &d->c.mmu.s2, d->h ? hyp_tables(d->h) : NULL, &d->vs,
			    m->mem, &m->err))
		return -1;
	if (d->h)
		hyp_set_dirtylog(d->h, d->dl);
	d->next_round = d->next_io = d->next_event = UINT64_MAX;
	return 0;
}

/* The I/O model's port: its accesses are vCPUs' (machine_vcpu_access). */
static int io_access(void *ctx, unsigned id, unsigned kind, uint64_t va, unsigned size,
		     uint64_t *hpa)
{
	machine_result r;
	if (machine_vcpu_access(ctx, id, kind, va, size, 0, &r))
		return -1;
	if (hpa)
		*hpa = r.hpa[0];
	return 0;
}

/* The I/O model between domain 0 and the back end (io.mode). */
static int create_io(machine *m)
{
	domain *fe = m->d[0], *be = m->d[m->ndomains];
	io_env env = { .access = io_access, .access_ctx = m, .mem = m->mem, .hm = &m->hm,
		       .err = &m->err, .arm = m->c.arch_arm, .backend = be->id,
		       .backend_vcpu = MACHINE_BACKEND_VCPU, .fe_g = fe->g, .be_g = be->g,
		       .fe_h = fe->h, .be_h = be->h, .fe_mmu = &fe->c.mmu, .be_mmu = &be->c.mmu };
	if (io_create(&m->io, &m->c.io, &env))
		return -1;
	fe->next_io = fe->next_event = io_next(m->io);
	return 0;
}

int machine_create(machine **out, const param_reg *p, char *err, size_t errlen)
{
	*out = NULL;
	machine *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory (creating the machine)");
		return TRACE_ENOMEM;
	}
	m->params = p;
	int rc = build_cfg(m, p, err, errlen);
	if (rc) {
		machine_destroy(m);
		return rc == TRACE_ENOMEM ? TRACE_ENOMEM : TRACE_EFORMAT;
	}
	m->stats = stats_create();
	m->mem = physmem_create();
	m->err.mem = m->mem;
	m->hm = (hostmem){ .next = HOST_RAM_BASE, .err = &m->err };
	if (!m->stats || !m->mem || tracestat_init(&m->ts)) {
		machine_destroy(m);
		snprintf(err, errlen, "out of memory (creating the machine)");
		return TRACE_ENOMEM;
	}
	m->ts.pages = m->c.footprint;
	char why[200];
	if (m->c.caches && cache_create(&m->llc, &m->c.llc, "cache.llc", why, sizeof(why))) {
		machine_destroy(m);
		snprintf(err, errlen, "out of memory (creating the LLC)");
		return TRACE_ENOMEM;
	}
	for (unsigned n = 0; n < m->nall; n++)
		if (create_domain(m, m->d[n])) {
			snprintf(err, errlen, "%s", m->err.msg);
			rc = m->err.code;
			machine_destroy(m);
			return rc;
		}
	/* The control domain's one vCPU comes with it (a trace's vCPUs come
	 * with their first records: machine_add_vcpu). */
	if ((m->c.io.mode != IO_OFF && create_io(m)) ||
	    (m->nall > m->ndomains && !add_vcpu(m, MACHINE_BACKEND_VCPU))) {
		snprintf(err, errlen, "%s", m->err.msg);
		rc = m->err.code;
		machine_destroy(m);
		return rc;
	}
	register_stats(m);
	if (stats_failed(m->stats)) {
		machine_destroy(m);
		snprintf(err, errlen, "out of memory (registering statistics)");
		return TRACE_ENOMEM;
	}
	*out = m;
	return TRACE_OK;
}

void machine_destroy(machine *m)
{
	if (!m)
		return;
	io_destroy(m->io);
	for (unsigned i = 0; i < MACHINE_MAX_VCPUS; i++)
		vcpu_destroy(m->vt.by_id[i]);
	for (unsigned n = 0; n < MACHINE_MAX_DOMAINS + 1; n++) {
		domain *d = m->d[n];
		if (!d)
			continue;
		dirtylog_destroy(d->dl);
		guest_destroy(d->g);
		hyp_destroy(d->h);
		free(d->stat_names);
		free(d);
	}
	cache_destroy(m->llc);   /* after the vCPUs' hierarchies */
	physmem_destroy(m->mem);
	tracestat_free(&m->ts);
	stats_destroy(m->stats);
	free(m);
}

/* Create vCPU ID of its domain (vcpu.domain's, or the control domain's).
 * NULL with the failure recorded. */
static vcpu *add_vcpu(machine *m, unsigned id)
{
	domain *d = m->d[m->vdom[id]];
	vcpu_cfg c = { .l1i = &m->c.l1i, .l1d = &m->c.l1d, .l2 = &m->c.l2, .mmu = &d->c.mmu,
		       .mem = m->mem, .ch = m->c.caches ? &m->c.ch : NULL, .llc = m->llc,
		       .unit = dirtylog_unit(&d->c.dl), .hm = &m->hm, .cosim = m->cosim,
		       .obs = m->obs, .obs_ctx = m->obs_ctx };
	vcpu *v;
	if (vcpu_create(&v, id, d->vmid, &c, &m->err))
		return NULL;
	v->dom = d;
	v->logging = dirtylog_active(d->dl);
	vcpu_table_add(&m->vt, v);
	vcpu_set_add(&d->vs, v);
	return v;
}

int machine_add_vcpu(machine *m, unsigned id)
{
	if (id >= TRACE_MAX_VCPUS)
		return sim_errf(&m->err, TRACE_EINTERNAL, "internal: vCPU %u: a trace's vCPUs are "
				"0..%u", id, TRACE_MAX_VCPUS - 1);
	if (vcpu_table_get(&m->vt, id))
		return 0;
	if (machine_start(m))
		return -1;
	return add_vcpu(m, id) ? 0 : -1;
}

size_t machine_vcpu_needed(const machine *m, const trace_rec *b, size_t n,
			   const tracestat_batch *c)
{
	if (c) {
		uint64_t missing = 0;
		for (unsigned w = 0; w < TRACE_MAX_VCPUS / 64; w++)
			missing |= c->vmask[w] & ~m->vt.mask[w];
		if (!missing)
			return n;
	}
	for (size_t i = 0; i < n; i++)
		if (b[i].kind != TRACE_INV && !vcpu_table_get(&m->vt, b[i].vcpu))
			return i;
	return n;
}

/* The vCPU of record R, which the driver added. NULL with the failure
 * recorded. */
static inline vcpu *vcpu_of(machine *m, const trace_rec *r)
{
	vcpu *v = vcpu_table_get(&m->vt, r->vcpu);
	if (__builtin_expect(!v, 0))
		sim_errf(&m->err, TRACE_EINTERNAL, "internal: vCPU %u was not added before its "
			 "first record (machine_add_vcpu)", r->vcpu);
	return v;
}

int machine_start(machine *m)
{
	if (m->started)
		return 0;
	m->started = 1;
	for (unsigned n = 0; n < m->nall; n++) {
		domain *d = m->d[n];
		if (dirtylog_start(d->dl))
			return sim_errf(&m->err, TRACE_ENOMEM, "out of memory (arming dirty logging)");
		if (dirtylog_active(d->dl))
			d->next_round = dirtylog_next_round(d->dl);
		d->next_event = d->next_round < d->next_io ? d->next_round : d->next_io;
	}
	for (unsigned i = 0; i < MACHINE_MAX_VCPUS; i++)
		if (m->vt.by_id[i])
			m->vt.by_id[i]->logging = dirtylog_active(m->vt.by_id[i]->dom->dl);
	return 0;
}

/* ---------------------------------------------------------------- faults */

/* N stage-2 faults of vCPU V, LOGGING of them caused by dirty logging (hyp.h):
 * fault.host.cycles each, under cycles.faults or, logging's, under
 * cycles.dirtylog.s2_faults. */
static void charge_host(vcpu *v, uint64_t n, uint64_t logging)
{
	const domain *d = v->dom;
	v->faults_host += n;
	v->cyc_faults = sat_add64(v->cyc_faults, sat_mul64(n - logging, d->c.fault_host));
	if (logging)
		dirtylog_caused_faults(d->dl, logging, sat_mul64(logging, d->c.fault_host));
}

/* Stage-2 faults the guest OS took backing its own table pages since
 * BEFORE (its counters then), charged to the vCPU whose access needed the
 * tables. */
static void charge_backing(vcpu *v, const guest_counters *before)
{
	const guest_counters *now = guest_counters_of(v->dom->g);
	if (now->backing_faults != before->backing_faults)
		charge_host(v, now->backing_faults - before->backing_faults,
			    now->backing_logging - before->backing_logging);
}

/* machine_walk_once: keep attempt RES's steps in the step array and record
 * it; the next attempt's steps follow. */
static void walk_attempt(machine_walk_info *xw, mmu_req *req, const mmu_result *res)
{
	if (xw->nattempts < MACHINE_WALK_ATTEMPTS)
		xw->attempt[xw->nattempts++] = *res;
	req->steps += res->nsteps;
	req->max_steps -= res->nsteps;
}

/* Walk until the translation succeeds, letting the guest OS and hypervisor
 * resolve faults. Returns 0, or -1 on an unresolvable fault / exhaustion. */
static int walk(machine *m, vcpu *v, mmu_req *req, mmu_result *res)
{
	domain *d = v->dom;
	for (int tries = 0;; tries++) {
		mmu_translate(v->w, req, res);
		if (m->xw)
			walk_attempt(m->xw, req, res);
		v->cyc_translation += res->cycles;
		if (res->fault.kind == MMU_FAULT_NONE)
			return 0;
		int r;
		if (res->fault.kind == MMU_FAULT_ADDRSIZE && res->fault.stage == 1)
			return guest_noncanonical(d->g, req->va);
		if (res->fault.kind == MMU_FAULT_LOG_FULL && tries <= 16) {
			/* PML log-full exit / HDBSS-full abort: drain, replay. */
			if (dirtylog_log_full(d->dl, v))
				return -1;
			continue;
		}
		if (res->fault.kind == MMU_FAULT_PERMISSION && res->fault.stage == 2 &&
		    tries <= 16) {
			r = dirtylog_wp_fault(d->dl, v, req, res);
			if (r < 0)
				return -1;
			if (r > 0)
				continue;
		}
		if (tries > 16 || res->fault.kind != MMU_FAULT_TRANSLATION)
			return sim_errf(&m->err, TRACE_EINTERNAL, "internal: unresolved stage-%u fault "
					"(kind %d) at VA 0x%llx", res->fault.stage, res->fault.kind,
					(unsigned long long)req->va);
		if (res->fault.stage == 1) {
			guest_counters bf = *guest_counters_of(d->g);
			r = guest_ensure(d->g, req->asid, req->va, NULL);
			charge_backing(v, &bf);
			/* Its table pages' stage-2 faults were VM exits of this vCPU. */
			if (guest_counters_of(d->g)->backing_faults != bf.backing_faults &&
			    dirtylog_exit(d->dl, v))
				return sim_errf(&m->err, TRACE_ENOMEM, "out of memory (dirty-log "
						"page set)");
			req->s1_root_upper = guest_kernel_root(d->g);   /* (may be new) */
			if (r > 0) {
				v->faults_guest++;
				v->cyc_faults = sat_add64(v->cyc_faults, d->c.fault_guest);
			}
		} else {
			r = hyp_ensure(d->h, res->fault.ipa);
			if (r > 0)
				charge_host(v, 1, r == HYP_LOGGING_FAULT);
			if (r >= 0 && dirtylog_s2_fault(d->dl, v, req, res, r > 0))
				return sim_errf(&m->err, TRACE_ENOMEM, "out of memory (dirty-log "
						"page set)");
		}
		if (r < 0)
			return -1;
	}
}

/* ---------------------------------------------------------------- access */

/* cache.model=on: the data bytes [PA, PA + LEN] of one page go through the
 * vCPU's hierarchy line by line; what an L1 hit does not cover is a memory
 * stall (cycles.memory): an L1 hit is part of core.cpi. The hit of the
 * line last used inline, one copy per kind (the kind a constant in each):
 * with one shared copy the shipped capture took 0.45 s of CPU instead of
 * 0.42 s (issue 23; model/mmu/cache.c has the figures). */
static inline __attribute__((always_inline)) void data_access(vcpu *v, uint64_t pa,
							       uint64_t len, unsigned kind)
{
	int hit = kind == TRACE_X ? cache_hit_range(v->ch, pa, len, 0, 1)
		: kind == TRACE_W ? cache_hit_range(v->ch, pa, len, 1, 0)
				  : cache_hit_range(v->ch, pa, len, 0, 0);
	if (__builtin_expect(!hit, 0))
		v->cyc_memory += cache_access_range(v->ch, pa, len, kind == TRACE_W,
						    kind == TRACE_X);
}

/* Translate record R to the end of its bytes; OUT (may be NULL) gets the
 * pages. Returns 0, -1 on failure (m->err), or 1 when a co-simulation
 * mismatch stops the machine.
 * always_inline (here and on record): with two callers each, GCC 12 kept
 * them out of line; inlined into the batch loop, where OUT is a constant
 * NULL, the shipped real capture replays in 0.251 s instead of 0.294 s
 * (seq over 64 KB: 0.276 s instead of 0.325 s; best of 5, alternating; the
 * single-VM loop before the split: 0.266 s and 0.287 s). */
static inline __attribute__((always_inline)) int access_one(machine *m, vcpu *v,
							  const trace_rec *r, machine_result *out)
{
	/* A zero-size access is one lookup of the page of its address, as
	 * drcachesim counts it. */
	uint64_t va = r->gva, end = r->gva + r->size - (r->size != 0);
	for (;;) {
		int fetch = r->kind == TRACE_X;
		tlb *l1 = fetch ? v->l1i : v->l1d;
		const tlb_config *l1c = fetch ? &m->c.l1i : &m->c.l1d;
		const tlb_entry *e = NULL;
		if (l1c->entries) {
			v->cyc_translation += l1c->latency;
			e = tlb_lookup(l1, va, v->vmid, r->asid);
		}
		if (!e && m->c.l2.entries) {
			v->cyc_translation += m->c.l2.latency;
			e = tlb_lookup(v->l2, va, v->vmid, r->asid);
			if (e && l1c->entries) {
				tlb_entry copy = *e;
				tlb_fill(l1, &copy);
			}
		}
		/* A write through an entry that is read-only or was filled clean
		 * goes to the walker: it takes the permission fault, or sets D /
		 * the DBM dirty state and logs (SDM-2016 §28.3.3.4, ARCH-FACTS §6.5). */
		if (e && r->kind == TRACE_W &&
		    (e->flags & (TLB_F_W | TLB_F_DIRTY)) != (TLB_F_W | TLB_F_DIRTY)) {
			e = NULL;
			v->dirty_walks++;
		}
		tlb_entry ne;
		if (!e) {
			domain *d = v->dom;
			uint64_t root;
			guest_counters bf = *guest_counters_of(d->g);
			int rc = guest_root(d->g, r->asid, &root);
			charge_backing(v, &bf);
			if (rc)
				return -1;
			mmu_req req = { .va = va, .s1_root = root,
					.s1_root_upper = guest_kernel_root(d->g),
					.s2_root = d->h ? hyp_root(d->h) : 0,
					.vmid = v->vmid, .asid = r->asid, .access = r->kind };
			mmu_result res;
			/* Only walks (and rounds) talk to the logging hardware: the
			 * record number a co-simulation reports is set here, off the
			 * hit path. */
			m->rec_no = m->rec_base + (uint64_t)(r - m->cur_batch);
			if (walk(m, v, &req, &res))
				return -1;
			if (m->cosim && cosim_failed(m->cosim))
				return 1;
			uint64_t mask = (UINT64_C(1) << res.shift) - 1;
			ne = (tlb_entry){ .tag = va >> res.shift, .out = res.pa & ~mask,
					  .aux = res.ipa & ~mask, .vmid = v->vmid, .asid = r->asid,
					  .shift = (uint8_t)res.shift,
					  .flags = (uint8_t)(perm_to_tlbf(res.perm) |
							     (res.dirty ? TLB_F_DIRTY : 0)) };
			v->fills[res.shift]++;
			tlb_fill(v->l2, &ne);
			tlb_fill(l1, &ne);
			e = &ne;
		}
		uint64_t page_last = (((e->tag + 1) << e->shift) - 1);
		int last = end <= page_last || page_last == UINT64_MAX;
		uint64_t off = va & ((UINT64_C(1) << e->shift) - 1);
		if (out && out->npages < 2) {
			out->gpa[out->npages] = e->aux + off;
			out->hpa[out->npages] = e->out + off;
			out->shift[out->npages++] = e->shift;
		}
		if (v->ch)
			data_access(v, e->out + off, (last ? end : page_last) - va, r->kind);
		if (v->logging && r->kind == TRACE_W) {
			uint64_t n = (last ? end : page_last) - va + 1;
			if (dirtylog_note_write(v->dom->dl, e->aux + off, (unsigned)n))
				return sim_errf(&m->err, TRACE_ENOMEM, "out of memory (dirty-log page "
						"set)");
		}
		if (last)
			return 0;
		va = page_last + 1;   /* the rest lies in the next page */
	}
}

/* End domain D's dirty-logging round at its instruction count. */
static int round_end(machine *m, domain *d)
{
	if (dirtylog_round(d->dl, d->instr_done))
		return sim_errf(&m->err, TRACE_ENOMEM, "out of memory (harvesting the dirty log)");
	d->next_round = dirtylog_next_round(d->dl);
	d->next_event = d->next_round < d->next_io ? d->next_round : d->next_io;
	return 0;
}

/* Domain D reached its next event: a dirty-logging round, I/O requests
 * (domain 0, on vCPU V's behalf), or both. Returns as record. */
static int domain_event(machine *m, domain *d, vcpu *v, size_t i, machine_result *out)
{
	if (d->instr_done >= d->next_round) {
		m->rec_no = m->rec_base + i;
		if (round_end(m, d))
			return -1;
		if (out)
			out->rounds++;
		if (m->cosim && cosim_failed(m->cosim))
			return 1;
	}
	if (d->instr_done >= d->next_io) {
		m->rec_no = m->rec_base + i;   /* the record the requests follow */
		if (io_run(m->io, v->id, d->instr_done))
			return -1;
		if (m->stopped)
			return 1;
		d->next_io = io_next(m->io);
		d->next_event = d->next_round < d->next_io ? d->next_round : d->next_io;
	}
	return 0;
}

/* One access record of the batch at m->cur_batch (index I). */
static inline __attribute__((always_inline)) int record(machine *m, const trace_rec *r, size_t i,
						      machine_result *out)
{
	vcpu *v = vcpu_of(m, r);
	if (!v)
		return -1;
	v->instructions += r->icount;
	v->accesses++;
	int rc = access_one(m, v, r, out);
	if (rc)
		return rc;
	domain *d = v->dom;
	d->instr_done += r->icount;
	if (d->instr_done >= d->next_event)
		return domain_event(m, d, v, i, out);
	return 0;
}

/* A prefetch record (trace.prefetch=translate): looked up and, on a miss,
 * walked like a read of its page - it fills the TLBs and sets accessed
 * flags - but it is not the program's: what it did to the TLB and walk
 * counters and its cycles are kept apart (prefetch.*), and a prefetch whose
 * walk faults is dropped, as hardware drops it, with no fault handled. An
 * instruction prefetch goes through the L1I. */
static int prefetch_one(machine *m, const trace_rec *r)
{
	vcpu *v = vcpu_of(m, r);
	if (!v)
		return -1;
	if (m->c.prefetch_skip)
		return 0;
	int instr = r->op == TRACE_PF_INSTR;
	tlb *l1 = instr ? v->l1i : v->l1d;
	const tlb_config *l1c = instr ? &m->c.l1i : &m->c.l1d;
	vcpu_snap snap;
	vcpu_prefetch_begin(v, instr, &snap);
	uint64_t cyc = 0;
	const tlb_entry *e = NULL;
	if (l1c->entries) {
		cyc += l1c->latency;
		e = tlb_lookup(l1, r->gva, v->vmid, r->asid);
	}
	if (!e && m->c.l2.entries) {
		cyc += m->c.l2.latency;
		e = tlb_lookup(v->l2, r->gva, v->vmid, r->asid);
		if (e && l1c->entries) {
			tlb_entry copy = *e;
			tlb_fill(l1, &copy);
		}
	}
	if (!e) {
		domain *d = v->dom;
		uint64_t root;
		if (guest_root(d->g, r->asid, &root))
			return -1;
		mmu_req req = { .va = r->gva, .s1_root = root,
				.s1_root_upper = guest_kernel_root(d->g),
				.s2_root = d->h ? hyp_root(d->h) : 0, .vmid = v->vmid, .asid = r->asid,
				.access = instr ? MMU_ACC_X : MMU_ACC_R };
		mmu_result res;
		mmu_translate(v->w, &req, &res);
		cyc += res.cycles;
		if (res.fault.kind != MMU_FAULT_NONE) {
			v->pf.dropped++;
		} else {
			uint64_t mask = (UINT64_C(1) << res.shift) - 1;
			tlb_entry ne = { .tag = r->gva >> res.shift, .out = res.pa & ~mask,
					 .aux = res.ipa & ~mask, .vmid = v->vmid, .asid = r->asid,
					 .shift = (uint8_t)res.shift,
					 .flags = (uint8_t)(perm_to_tlbf(res.perm) |
							    (res.dirty ? TLB_F_DIRTY : 0)) };
			tlb_fill(v->l2, &ne);
			tlb_fill(l1, &ne);
		}
	}
	vcpu_prefetch_end(v, instr, &snap, cyc);
	return 0;
}

int machine_vcpu_access(machine *m, unsigned id, unsigned kind, uint64_t va, unsigned size,
			uint16_t asid, machine_result *out)
{
	if (out)
		memset(out, 0, sizeof(*out));
	trace_rec r = { .gva = va, .vcpu = (uint16_t)id, .asid = asid, .size = (uint16_t)size,
			.kind = (uint8_t)kind };
	vcpu *v = id < MACHINE_MAX_VCPUS ? vcpu_of(m, &r) : NULL;
	if (!v)
		return id < MACHINE_MAX_VCPUS ? -1 : sim_errf(&m->err, TRACE_EINTERNAL,
							      "internal: no vCPU %u", id);
	/* Its walks report the record being replayed (a co-simulation's). */
	const trace_rec *batch = m->cur_batch;
	uint64_t base = m->rec_base;
	m->cur_batch = &r;
	m->rec_base = m->rec_no;
	v->accesses++;
	int rc = access_one(m, v, &r, out);
	m->cur_batch = batch;
	m->rec_base = base;
	if (rc > 0)
		m->stopped = 1;
	return rc < 0 ? -1 : 0;
}

/* A batch without invalidation records: the plain loop. */
static int run_accesses(machine *m, const trace_rec *b, size_t n, size_t *failed)
{
	m->cur_batch = b;   /* record numbers: m->rec_base + (r - b), on walks only */
	for (size_t i = 0; i < n; i++) {
		int rc = record(m, &b[i], i, NULL);
		if (rc) {
			*failed = i;
			if (rc > 0)
				m->stopped = 1;   /* a co-simulation mismatch */
			return rc < 0 ? -1 : 0;
		}
	}
	return 0;
}

void machine_invalidate(machine *m, const trace_rec *r)
{
	unsigned op = r->op & TRACE_INV_OP_MASK;
	m->inv[op]++;
	m->inv_bcast += (r->op & TRACE_INV_BCAST) != 0;
	/* The guest invalidates what its VM cached: on the vCPU of the record,
	 * or broadcast on every vCPU of its domain. A vCPU not added yet has
	 * cached nothing. */
	if (r->op & TRACE_INV_BCAST) {
		const vcpu_set *s = &m->d[m->vdom[r->vcpu]]->vs;
		for (unsigned i = 0; i < s->n; i++)
			vcpu_inv_guest(s->v[i], op, r->asid, r->gva);
	} else {
		vcpu *v = vcpu_table_get(&m->vt, r->vcpu);
		if (v)
			vcpu_inv_guest(v, op, r->asid, r->gva);
	}
}

int machine_run(machine *m, const trace_rec *b, size_t n, uint64_t rec_base, size_t *failed)
{
	tracestat_batch c;
	tracestat_count(&c, b, n);
	return machine_run_counted(m, b, n, rec_base, &c, failed);
}

int machine_run_counted(machine *m, const trace_rec *b, size_t n, uint64_t rec_base,
			const tracestat_batch *c, size_t *failed)
{
	*failed = 0;
	if (machine_start(m))
		return -1;
	uint64_t others = m->ts.invalidations + m->ts.prefetches;
	if (tracestat_apply(&m->ts, c, b, n) != 0)
		return sim_errf(&m->err, TRACE_ENOMEM, "out of memory (counting the footprint)");
	if (m->stopped)
		return 0;   /* counted, not run: as the rest of the batch that stopped it */
	m->rec_base = rec_base;
	if (m->ts.invalidations + m->ts.prefetches == others)
		return run_accesses(m, b, n, failed);
	/* A batch holding invalidation or prefetch records: the access runs
	 * between them (run_accesses stays free of the check: most traces have
	 * none). */
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && b[i].kind != TRACE_INV && b[i].kind != TRACE_P)
			continue;
		if (i > start) {
			m->rec_base = rec_base + start;
			int rc = run_accesses(m, b + start, i - start, failed);
			*failed += start;
			m->rec_base = rec_base;
			if (rc || m->stopped)
				return rc;
		}
		m->rec_no = rec_base + i;
		if (i < n && b[i].kind == TRACE_INV)
			machine_invalidate(m, &b[i]);
		else if (i < n && prefetch_one(m, &b[i])) {
			*failed = i;
			return -1;
		}
		start = i + 1;
	}
	return 0;
}

int machine_stopped(const machine *m) { return m->stopped; }

int machine_run_until(machine *m, const trace_rec *b, size_t n, uint64_t rec_base,
		      unsigned domain_id, uint64_t limit, size_t *done, size_t *failed)
{
	/* machine_run one record at a time, with the trace statistics of the
	 * records run (the failed one too, as machine_run counts a batch
	 * before running it) counted once at the end: per record they cost
	 * more than the record (nothing in the run reads them). */
	*done = *failed = 0;
	if (m->stopped)
		return 0;
	if (machine_start(m))
		return -1;
	size_t i = 0;
	int rc = 0;
	while (i < n && !m->stopped) {
		const trace_rec *r = &b[i];
		m->rec_base = m->rec_no = rec_base + i;
		size_t bad;
		if (r->kind == TRACE_INV)
			machine_invalidate(m, r);
		else if (r->kind == TRACE_P)
			rc = prefetch_one(m, r);
		else
			rc = run_accesses(m, r, 1, &bad);
		if (rc)
			break;
		i++;
		if (machine_domain_cycles(m, domain_id) >= limit)
			break;
	}
	size_t counted = rc ? i + 1 : i;
	if (counted && tracestat_add(&m->ts, b, counted) != 0)
		return sim_errf(&m->err, TRACE_ENOMEM, "out of memory (counting the footprint)");
	if (rc) {
		*failed = i;
		return -1;
	}
	*done = i;
	return 0;
}

/* no-tree-slp-vectorize: GCC 12 pairs the loads of v->cyc_translation and
 * v->cyc_faults below into one 16-byte load right after access_one's
 * 8-byte stores to them, which the store buffer cannot forward (the largest
 * single cost of a TLB hit in perf annotate; slatsim-sc over the shipped
 * capture 0.892 s best of 6 with it, 0.933 s without, alternating). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-slp-vectorize")))
#endif
int machine_access(machine *m, const trace_rec *r, machine_result *out)
{
	static const machine_result none;
	machine_result tmp;
	out = out ? out : &tmp;
	*out = none;   /* a copy: GCC makes a memset of it a slow rep stos */
	if (m->stopped)
		return 0;
	if (machine_start(m))
		return -1;
	if (tracestat_add(&m->ts, r, 1) != 0)
		return sim_errf(&m->err, TRACE_ENOMEM, "out of memory (counting the footprint)");
	if (r->kind == TRACE_INV) {
		machine_invalidate(m, r);
		return 0;
	}
	if (r->kind == TRACE_P)
		return prefetch_one(m, r);
	vcpu *v = vcpu_of(m, r);
	if (!v)
		return -1;
	domain *d = v->dom;
	/* A domain that does not log never changes its dirty-log counters. */
	const dl_counters *dc = v->logging ? dirtylog_counters(d->dl) : NULL;
	uint64_t trans = v->cyc_translation, faults = v->cyc_faults, fg = v->faults_guest;
	uint64_t fh = v->faults_host, walks = mmu_walker_counters(v->w)->walks;
	uint64_t dlc = dc ? dc->cyc_total : 0, full = dc ? dc->pml_full + dc->hdbss_full : 0;
	uint64_t wp = dc ? dc->wp_faults : 0;
	m->cur_batch = r;
	m->rec_base = m->ts.records - 1;
	int rc = record(m, r, 0, out);
	if (rc > 0)
		m->stopped = 1;
	out->cycles_translation = v->cyc_translation - trans;
	out->cycles_faults = v->cyc_faults - faults;
	out->walks = (unsigned)(mmu_walker_counters(v->w)->walks - walks);
	out->faults_guest = (unsigned)(v->faults_guest - fg);
	out->faults_host = (unsigned)(v->faults_host - fh);
	if (dc) {
		dc = dirtylog_counters(d->dl);
		out->cycles_dirtylog = dc->cyc_total - dlc;
		out->log_full_exits = (unsigned)(dc->pml_full + dc->hdbss_full - full);
		out->wp_faults = (unsigned)(dc->wp_faults - wp);
	}
	return rc < 0 ? -1 : 0;
}

int machine_prefault(machine *m, const trace_rec *b, size_t n, size_t *failed)
{
	for (size_t i = 0; i < n; i++) {
		const trace_rec *x = &b[i];
		if (x->kind == TRACE_INV || x->kind == TRACE_P)
			continue;   /* not a program access: nothing to map */
		domain *d = m->d[m->vdom[x->vcpu]];
		uint64_t pages[2] = { x->gva, x->gva + x->size - (x->size != 0) };
		for (int k = 0; k < 2; k++) {
			uint64_t ipa;
			if (guest_ensure(d->g, x->asid, pages[k], &ipa) < 0 ||
			    (d->h && hyp_ensure(d->h, ipa) < 0)) {
				*failed = i;
				return -1;
			}
		}
	}
	return 0;
}

int machine_harvest(machine *m, unsigned domain_id)
{
	domain *d = m->d[domain_id];
	if (!dirtylog_active(d->dl))
		return 0;
	return round_end(m, d);
}

unsigned machine_inv_domain(machine *m, unsigned domain_id)
{
	return vcpu_set_inv_vm(&m->d[domain_id]->vs);
}

void machine_inv_vcpu_page(machine *m, unsigned id, uint16_t asid, uint64_t va, uint64_t ipa)
{
	vcpu *v = id < MACHINE_MAX_VCPUS ? vcpu_table_get(&m->vt, id) : NULL;
	if (v)
		vcpu_inv_page(v, asid, va, ipa);
}

/* ---------------------------------------------------------------- totals */

static void add_totals(totals *to, const totals *from)
{
	/* Every field is a uint64_t counter: add them as an array (saturating:
	 * a cycle total past 2^64 reads as 2^64 - 1, never as a small number). */
	_Static_assert(sizeof(totals) % sizeof(uint64_t) == 0, "totals is all counters");
	uint64_t *a = (uint64_t *)to;
	const uint64_t *b = (const uint64_t *)from;
	for (size_t i = 0; i < sizeof(totals) / sizeof(uint64_t); i++)
		a[i] = sat_add64(a[i], b[i]);
}

/* core.cpi x the domain's instructions, in integers (exact beyond 2^53),
 * rounded once for the domain, not per vCPU. */
static uint64_t instr_cycles(const domain *d, uint64_t instructions)
{
	return scale_exact(instructions, d->c.cpi_mant, d->c.cpi_exp10);
}

/* cycles.total from its parts (saturating). */
static uint64_t cycles_total(uint64_t instr, uint64_t trans, uint64_t faults, uint64_t dl,
			     uint64_t memory)
{
	return sat_add64(sat_add64(sat_add64(instr, trans), sat_add64(faults, dl)), memory);
}

/* Domain D's totals from its vCPUs and rooms. */
static void domain_totals(domain *d)
{
	totals *t = &d->t;
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < d->vs.n; i++)
		vcpu_count(d->vs.v[i], &t->v);
	t->dl = *dirtylog_counters(d->dl);
	const guest_counters *gc = guest_counters_of(d->g);
	t->pages_guest = gc->pages;
	t->pt_bytes = gc->table_bytes;
	if (d->h) {
		const hyp_counters *hc = hyp_counters_of(d->h);
		t->pages_host = hc->pages;
		t->pt_bytes += hc->table_bytes;
	}
	t->cyc_instr = instr_cycles(d, t->v.instructions);
	t->cyc_total = cycles_total(t->cyc_instr, t->v.cyc_trans, t->v.cyc_faults, t->dl.cyc_total,
				    t->v.cyc_memory);
	t->l1d_lookups = t->v.l1d_h + t->v.l1d_m;
}

uint64_t machine_domain_cycles(const machine *m, unsigned domain_id)
{
	const domain *d = m->d[domain_id];
	uint64_t instr = 0, trans = 0, faults = 0, mem = 0;
	for (unsigned i = 0; i < d->vs.n; i++) {
		const vcpu *v = d->vs.v[i];
		instr += v->instructions;
		trans = sat_add64(trans, v->cyc_translation);
		faults = sat_add64(faults, v->cyc_faults);
		mem = sat_add64(mem, v->cyc_memory);
	}
	return cycles_total(instr_cycles(d, instr), trans, faults, dirtylog_cycles(d->dl), mem);
}

static void totals_all(machine *m)
{
	memset(&m->a, 0, sizeof(m->a));
	for (unsigned n = 0; n < m->ndomains; n++) {
		domain_totals(m->d[n]);
		add_totals(&m->a, &m->d[n]->t);
	}
	for (unsigned n = m->ndomains; n < m->nall; n++)
		domain_totals(m->d[n]);   /* the I/O back end: its own, not the machine's */
	if (m->llc)
		m->a.llc = *cache_stats(m->llc);
}

int machine_finish(machine *m)
{
	/* The last (or only) round ends with the trace, unless the period
	 * boundary fell exactly on the domain's last record. */
	for (unsigned n = 0; n < m->nall && !m->stopped; n++) {
		domain *d = m->d[n];
		size_t nr;
		const dl_round *r = dirtylog_rounds(d->dl, &nr);
		if (dirtylog_active(d->dl) && (nr == 0 || r[nr - 1].instructions != d->instr_done) &&
		    round_end(m, d))
			return -1;
	}
	totals_all(m);
	return 0;
}

/* ---------------------------------------------------------------- stats */

/* The counters of a totals struct, by statistic name, in report order
 * (after the trace's own counters). */
typedef struct stat_field {
	const char *name;
	size_t off;
	const char *desc;
} stat_field;

#define TF(name, field, desc) { name, offsetof(totals, field), desc }
#define DF(name, field, desc) { name, offsetof(totals, dl) + offsetof(dl_counters, field), desc }

static const stat_field tlb_fields[] = {
	TF("tlb.l1i.hits", v.l1i_h, "L1 instruction TLB hits"),
	TF("tlb.l1i.misses", v.l1i_m, "L1 instruction TLB misses"),
	TF("tlb.l1d.hits", v.l1d_h, "L1 data TLB hits"),
	TF("tlb.l1d.misses", v.l1d_m, "L1 data TLB misses"),
	TF("tlb.l2.hits", v.l2_h, "unified L2 TLB hits"),
	TF("tlb.l2.misses", v.l2_m, "unified L2 TLB misses"),
	TF("tlb.l2.reach_bytes", v.reach, "bytes mapped by valid L2 entries at the end"),
	TF("tlb.fills.4k", v.fills[12], "TLB fills from walks, by combined entry size"),
	TF("tlb.fills.16k", v.fills[14], "TLB fills from walks, by combined entry size"),
	TF("tlb.fills.64k", v.fills[16], "TLB fills from walks, by combined entry size"),
	TF("tlb.fills.2m", v.fills[21], "TLB fills from walks, by combined entry size"),
	TF("tlb.fills.32m", v.fills[25], "TLB fills from walks, by combined entry size"),
	TF("tlb.fills.512m", v.fills[29], "TLB fills from walks, by combined entry size"),
	TF("tlb.fills.1g", v.fills[30], "TLB fills from walks, by combined entry size"),
	TF("walk.count", v.walks, "page walks (including walks that faulted)"),
	TF("walk.mem_refs", v.refs, "descriptor reads from memory, both stages"),
	TF("walk.s1_refs", v.s1_refs, "stage-1 (guest) descriptor reads"),
	TF("walk.s2_refs", v.s2_refs, "stage-2 (host) descriptor reads"),
	TF("walk.s2_walks", v.s2_walks, "stage-2 (host) walks: nested-TLB misses that walked "
	   "the host table, for guest table pages and final guest-physical addresses"),
	TF("walk.cycles", v.walk_cycles, "cycles spent walking"),
	TF("walkcache.s1.hits", v.wc1_h, "stage-1 walks that skipped levels"),
	TF("walkcache.s1.misses", v.wc1_m, "stage-1 walks from the root"),
	TF("walkcache.s2.hits", v.wc2_h, "stage-2 walks that skipped levels"),
	TF("walkcache.s2.misses", v.wc2_m, "stage-2 walks from the root"),
	TF("ntlb.hits", v.nt_h, "nested TLB hits (GPA->HPA)"),
	TF("ntlb.misses", v.nt_m, "nested TLB misses"),
	TF("fault.guest", v.fault_guest, "guest (stage-1) page faults"),
	TF("fault.host", v.fault_host, "stage-2 faults (EPT violations; those dirty logging caused "
	   "too, dirtylog.s2_faults)"),
	TF("pages.guest", pages_guest, "stage-1 leaf mappings created"),
	TF("pages.host", pages_host, "stage-2 leaf mappings created"),
	TF("pt.bytes", pt_bytes, "page-table bytes held, both stages"),
	TF("cycles.total", cyc_total, "all cycles, all vCPUs and the hypervisor's dirty logging"),
	TF("cycles.instructions", cyc_instr, "core.cpi x instructions"),
	TF("cycles.translation", v.cyc_trans, "TLB lookups and page walks"),
	TF("cycles.faults", v.cyc_faults, "guest and host fault handling (not the stage-2 faults "
	   "dirty logging caused: cycles.dirtylog.s2_faults)"),
	TF("walk.ad_writes", v.ad_writes,
	   "descriptors written by hardware A/D / DBM updates, both stages"),
	TF("walk.s1_ad_writes", v.s1_ad_writes, "stage-1 descriptors written by hardware A/D "
	   "(guest.hw_accessed, guest.hw_dirty)"),
	TF("walk.s1_accessed", v.s1_accessed, "stage-1 accessed flags set (x86 A, arm64 AF)"),
	TF("walk.s1_dirtied", v.s1_dirtied, "stage-1 leaves made dirty (x86 D, arm64 DBM "
	   "writable-clean to writable-dirty)"),
	TF("walk.s1_ad_s2_faults", v.s1_ad_s2_faults, "stage-2 permission faults of stage-1 A/D "
	   "writes (a write-protected guest page-table page)"),
	TF("walk.s1_ad_s2_dirtied", v.s1_ad_s2_dirtied, "stage-2 leaves of guest page-table pages "
	   "stage-1 A/D writes made dirty (EPT D, DBM; logged by pml/hdbss)"),
	TF("tlb.dirty_walks", v.dirty_walks,
	   "writes that hit a read-only or clean TLB entry and walked"),
	DF("dirtylog.rounds", n_rounds, "dirty-logging rounds harvested"),
	DF("dirtylog.true_pages", true_pages,
	   "4 KB pages written in the tracked range, summed over rounds (from the trace)"),
	DF("dirtylog.reported_pages", reported_pages,
	   "4 KB pages the mechanism reported dirty, summed over rounds"),
	DF("dirtylog.missed_pages", missed_pages,
	   "written but not reported in the round (unsafe configurations only)"),
	DF("dirtylog.extra_pages", extra_pages,
	   "reported but not written (guest page tables, rest of a large page)"),
	DF("pml.logged", pml_logged, "PML entries the hardware wrote"),
	DF("pml.full_exits", pml_full, "PML log-full VM exits (reason 62)"),
	DF("pml.drained", pml_drained, "PML entries software read back"),
	DF("wp.faults", wp_faults, "write-protection faults taken for logging"),
	DF("dirtylog.splits", splits, "large stage-2 leaves split on a write"),
	DF("dirtylog.spurious_faults", spurious,
	   "faults on a page already writable (stale read-only translation)"),
	DF("dirtylog.s2_faults", s2_faults, "stage-2 faults logging caused: a page of a region "
	   "mapped base page by base page under dirtylog.huge=split, after the region's first "
	   "fault, which a large leaf would have mapped (in fault.host)"),
	DF("dirtylog.rearmed_leaves", rearmed, "leaves cleaned or protected at round ends"),
	DF("dirtylog.scanned_leaves", scanned, "leaves scanned for dirty state (dbm)"),
	DF("hdbss.logged", hdbss_logged, "HDBSS entries the hardware wrote"),
	DF("hdbss.full_exits", hdbss_full, "HDBSS-full stage-2 aborts (ISS2.HDBSSF)"),
	DF("hdbss.drained", hdbss_drained, "HDBSS entries software read back"),
	DF("cycles.dirtylog", cyc_total, "all dirty-logging cycles"),
	DF("cycles.dirtylog.exits", cyc_exits, "VM exits and entries for logging"),
	DF("cycles.dirtylog.faults", cyc_faults, "write-protection fault handling, splits"),
	DF("cycles.dirtylog.s2_faults", cyc_s2_faults, "handling the stage-2 faults logging "
	   "caused (fault.host.cycles each; not in cycles.faults)"),
	DF("cycles.dirtylog.drain", cyc_drain, "reading PML/HDBSS entries"),
	DF("cycles.dirtylog.harvest", cyc_harvest,
	   "round work: scan, bitmap, re-arm, invalidation"),
	TF("tlb.l1d.lookups", l1d_lookups, "L1 data TLB lookups"),
	TF("prefetch.tlb_misses", v.pf_misses, "L1 TLB misses of prefetch records (trace.prefetch="
	   "translate; not in tlb.*)"),
	TF("prefetch.walks", v.pf_walks, "page walks of prefetches (not in walk.*)"),
	TF("prefetch.cycles", v.pf_cycles, "TLB and walk cycles of prefetches (not in cycles.*: "
	   "a prefetch does not stall the program)"),
	TF("prefetch.dropped", v.pf_dropped, "prefetches whose walk faulted: dropped, no fault "
	   "handled"),
};

#define CF(name, arr, field, desc) \
	{ name, offsetof(totals, arr) + offsetof(cache_counters, field), desc }

/* cache.model=on: the data caches' counters. */
static const stat_field cache_fields[] = {
	TF("cycles.memory", v.cyc_memory, "data accesses' cycles beyond an L1 hit (in cycles.total)"),
	TF("cache.served.l1", v.served[CACHE_L1], "accesses (data and walks) an L1 served"),
	TF("cache.served.l2", v.served[CACHE_L2], "accesses (data and walks) the L2 served"),
	TF("cache.served.llc", v.served[CACHE_LLC], "accesses (data and walks) the LLC served"),
	TF("cache.served.mem", v.served[CACHE_MEM], "accesses (data and walks) memory served"),
	TF("walk.refs.l1", v.walk_refs[CACHE_L1], "descriptor reads the L1D served"),
	TF("walk.refs.l2", v.walk_refs[CACHE_L2], "descriptor reads the L2 served"),
	TF("walk.refs.llc", v.walk_refs[CACHE_LLC], "descriptor reads the LLC served"),
	TF("walk.refs.mem", v.walk_refs[CACHE_MEM], "descriptor reads memory served"),
	TF("walk.ad_writes.l1", v.walk_ad[CACHE_L1], "A/D descriptor writes the L1D served"),
	TF("walk.ad_writes.l2", v.walk_ad[CACHE_L2], "A/D descriptor writes the L2 served"),
	TF("walk.ad_writes.llc", v.walk_ad[CACHE_LLC], "A/D descriptor writes the LLC served"),
	TF("walk.ad_writes.mem", v.walk_ad[CACHE_MEM], "A/D descriptor writes memory served"),
	TF("cache.back_invalidations", v.back_inv, "L1 lines dropped to keep the L2 inclusive"),
	CF("cache.l1i.hits", v.arr[0], hits, "L1I hits"),
	CF("cache.l1i.misses", v.arr[0], misses, "L1I misses"),
	CF("cache.l1i.fills", v.arr[0], fills, "L1I lines filled"),
	CF("cache.l1i.evictions", v.arr[0], evictions, "L1I lines replaced"),
	CF("cache.l1i.writebacks", v.arr[0], writebacks, "L1I dirty lines written back"),
	CF("cache.l1d.hits", v.arr[1], hits, "L1D hits"),
	CF("cache.l1d.misses", v.arr[1], misses, "L1D misses"),
	CF("cache.l1d.fills", v.arr[1], fills, "L1D lines filled"),
	CF("cache.l1d.evictions", v.arr[1], evictions, "L1D lines replaced"),
	CF("cache.l1d.writebacks", v.arr[1], writebacks, "L1D dirty lines written back"),
	CF("cache.l2.hits", v.arr[2], hits, "L2 hits"),
	CF("cache.l2.misses", v.arr[2], misses, "L2 misses"),
	CF("cache.l2.fills", v.arr[2], fills, "L2 lines filled"),
	CF("cache.l2.evictions", v.arr[2], evictions, "L2 lines replaced"),
	CF("cache.l2.writebacks", v.arr[2], writebacks, "L2 dirty lines written back"),
};

/* The shared LLC: the machine's only. */
static const stat_field llc_fields[] = {
	CF("cache.llc.hits", llc, hits, "LLC hits (every vCPU)"),
	CF("cache.llc.misses", llc, misses, "LLC misses"),
	CF("cache.llc.fills", llc, fills, "LLC lines filled (L2 victims)"),
	CF("cache.llc.evictions", llc, evictions, "LLC lines replaced"),
	CF("cache.llc.writebacks", llc, writebacks, "LLC dirty lines written to memory"),
};

/* Per domain, also these two (the machine's are the trace's counters). */
static const stat_field dom_fields[] = {
	TF("accesses", v.accesses,
	   "accesses translated (one per access record; with io.mode also the I/O model's)"),
	TF("instructions", v.instructions, "instructions retired (sum of icount)"),
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const uint64_t *field(const totals *t, const stat_field *f)
{
	return (const uint64_t *)((const char *)t + f->off);
}

static void register_stats(machine *m)
{
	stats_reg *st = m->stats;
	tracestat *t = &m->ts;
	stats_add(st, "records", &t->records, "trace records replayed");
	stats_add(st, "accesses", &m->a.v.accesses,
		  "accesses translated (one per access record; with io.mode also the I/O model's)");
	stats_add(st, "accesses.zero_size", &t->zero_size, "accesses of 0 bytes (DynamoRIO "
		  "emits them): one lookup of the page of their address");
	stats_add(st, "prefetches", &t->prefetches, "prefetch records (translated per "
		  "trace.prefetch, not program accesses)");
	stats_add(st, "invalidations", &t->invalidations, "invalidation records (not accesses)");
	stats_add(st, "inv.all", &m->inv[TRACE_INV_ALL], "guest invalidations of every "
		  "stage-1 translation of the VM (TLBI VMALLE1, INVPCID all)");
	stats_add(st, "inv.asid", &m->inv[TRACE_INV_ASID], "guest invalidations by ASID");
	stats_add(st, "inv.va", &m->inv[TRACE_INV_VA], "guest invalidations by VA");
	stats_add(st, "inv.broadcast", &m->inv_bcast, "of them, broadcast to every vCPU");
	stats_add(st, "reads", &t->reads, "data reads (R)");
	stats_add(st, "writes", &t->writes, "data writes (W)");
	stats_add(st, "ifetches", &t->ifetches, "instruction fetches (X)");
	stats_add(st, "instructions", &t->instructions, "instructions retired (sum of icount)");
	stats_add(st, "vcpus", &t->vcpus, "distinct vCPUs in the trace");
	if (m->c.footprint) {
		stats_add(st, "footprint.pages_4k", &t->pages_4k, "distinct 4 KB pages touched");
		stats_add(st, "footprint.pages_4k_written", &t->pages_4k_written,
			  "distinct 4 KB pages written");
		stats_add(st, "footprint.pages_64k", &t->pages_64k, "distinct 64 KB pages touched");
		stats_add(st, "footprint.pages_2m", &t->pages_2m, "distinct 2 MB pages touched");
	}
	stats_add(st, "footprint.crossing_4k", &t->crossing_4k,
		  "accesses that cross a 4 KB boundary");
	for (size_t i = 0; i < NFIELDS(tlb_fields); i++)
		stats_add(st, tlb_fields[i].name, field(&m->a, &tlb_fields[i]), tlb_fields[i].desc);
	if (m->c.caches) {
		for (size_t i = 0; i < NFIELDS(cache_fields); i++)
			stats_add(st, cache_fields[i].name, field(&m->a, &cache_fields[i]),
				  cache_fields[i].desc);
		for (size_t i = 0; i < NFIELDS(llc_fields); i++)
			stats_add(st, llc_fields[i].name, field(&m->a, &llc_fields[i]),
				  llc_fields[i].desc);
	}
	stats_mark_gauge(st, "vcpus");
	stats_mark_gauge(st, "tlb.l2.reach_bytes");
	stats_mark_gauge(st, "pt.bytes");
	stats_add_ratio(st, "tlb.l1d.miss_ratio", "tlb.l1d.misses", "tlb.l1d.lookups",
			"L1 data TLB misses per lookup");
	stats_add_ratio(st, "walk.refs_per_walk", "walk.mem_refs", "walk.count",
			"descriptor reads per walk");
	if (m->io)
		io_register_stats(m->io, st);
	/* domain.N.<stat>: each domain's share of every counter above that
	 * belongs to a domain; the I/O back end's, its own. */
	size_t nc = m->c.caches ? NFIELDS(cache_fields) : 0;
	size_t nf = NFIELDS(dom_fields) + NFIELDS(tlb_fields) + nc;
	for (unsigned n = m->ndomains == 1 ? 1 : 0; n < m->nall; n++) {
		domain *d = m->d[n];
		d->stat_names = calloc(nf, sizeof(*d->stat_names));
		if (!d->stat_names) {
			stats_mark_failed(st);
			return;
		}
		for (size_t k = 0; k < nf; k++) {
			size_t nd = NFIELDS(dom_fields), nt = NFIELDS(tlb_fields);
			const stat_field *f = k < nd ? &dom_fields[k] : k < nd + nt
				? &tlb_fields[k - nd] : &cache_fields[k - nd - nt];
			snprintf(d->stat_names[k], sizeof(d->stat_names[k]), "domain.%u.%s", n,
				 f->name);
			stats_add(st, d->stat_names[k], field(&d->t, f), f->desc);
			if (strcmp(f->name, "pt.bytes") == 0 || strcmp(f->name, "tlb.l2.reach_bytes") == 0)
				stats_mark_gauge(st, d->stat_names[k]);
		}
	}
}

/* ---------------------------------------------------------------- verbs */

const char *machine_error(const machine *m) { return m->err.msg; }
int machine_error_code(const machine *m) { return m->err.code ? m->err.code : TRACE_EINTERNAL; }
const param_reg *machine_params(const machine *m) { return m->params; }
stats_reg *machine_stats(machine *m) { return m->stats; }
unsigned machine_domains(const machine *m) { return m->ndomains; }
void machine_set_cosim(machine *m, struct cosim *c) { m->cosim = c; }
const uint64_t *machine_record_no(const machine *m) { return &m->rec_no; }

uint64_t machine_instr_cycles(const machine *m, unsigned id, uint64_t n)
{
	const domain *d = m->d[m->vdom[id]];
	uint64_t c;
	if (d->c.cpi_exp10 == 0 && !__builtin_mul_overflow(n, d->c.cpi_mant, &c))
		return c;   /* a whole core.cpi: the common case, per access of a driver */
	return scale_exact(n, d->c.cpi_mant, d->c.cpi_exp10);
}

void machine_set_mem_observer(machine *m, mmu_mem_observer fn, void *ctx)
{
	m->obs = fn;
	m->obs_ctx = ctx;
	for (unsigned i = 0; i < MACHINE_MAX_VCPUS; i++)
		if (m->vt.by_id[i])
			mmu_walker_set_mem_observer(m->vt.by_id[i]->w, fn, ctx);
}

int machine_rooms(machine *m, unsigned domain_id, struct guest **g, struct hyp **h)
{
	if (domain_id >= m->nall)
		return -1;
	*g = m->d[domain_id]->g;
	*h = m->d[domain_id]->h;
	return 0;
}

unsigned machine_control_domain(const machine *m)
{
	return m->nall > m->ndomains ? m->ndomains : UINT32_MAX;
}

const pageset *machine_last_dirty(const machine *m, unsigned domain_id)
{
	return dirtylog_last_reported(m->d[domain_id]->dl);
}

void machine_watch_writes(machine *m, unsigned domain_id, pageset *w)
{
	dirtylog_watch(m->d[domain_id]->dl, w);
}

const dl_round *machine_rounds(const machine *m, unsigned domain_id, size_t *n)
{
	const domain *d = m->d[domain_id];
	const dl_round *r = dirtylog_rounds(d->dl, n);
	*n -= d->round_base;
	return r + d->round_base;
}

int machine_set_v2p(machine *m, const struct v2p *map)
{
	return guest_set_v2p(m->d[0]->g, map);
}

void machine_warm(machine *m)
{
	totals_all(m);
	stats_rebase(m->stats);
	for (unsigned n = 0; n < m->ndomains; n++)
		dirtylog_rounds(m->d[n]->dl, &m->d[n]->round_base);
}

void machine_totals(machine *m)
{
	totals_all(m);
}

int machine_walk_once(machine *m, unsigned domain_id, uint64_t gva, unsigned access, uint16_t asid,
		      mmu_step *steps, unsigned max, mmu_result *res, machine_walk_info *info)
{
	if (domain_id >= m->ndomains)
		return sim_errf(&m->err, TRACE_EFORMAT, "domain %u: there %s only %u domain%s",
				domain_id, m->ndomains == 1 ? "is" : "are", m->ndomains,
				m->ndomains == 1 ? "" : "s");
	unsigned id = 0;
	while (id < TRACE_MAX_VCPUS && m->vdom[id] != domain_id)
		id++;
	if (id == TRACE_MAX_VCPUS)
		return sim_errf(&m->err, TRACE_EFORMAT, "domain %u has no vCPU (vcpu.domain)",
				domain_id);
	if (machine_start(m) || machine_add_vcpu(m, id))
		return -1;
	vcpu *v = vcpu_table_get(&m->vt, id);
	domain *d = v->dom;
	uint64_t ipa, root;
	if (guest_ensure(d->g, asid, gva, &ipa) < 0 || (d->h && hyp_ensure(d->h, ipa) < 0) ||
	    guest_root(d->g, asid, &root))
		return -1;
	machine_inv_domain(m, d->id);   /* caches cold */
	*info = (machine_walk_info){ .arm = m->c.arch_arm, .nested = m->c.nested,
				     .s1 = &d->c.mmu.s1, .s2 = &d->c.mmu.s2, .s1_root = root,
				     .s2_root = d->h ? hyp_root(d->h) : 0,
				     .upper = guest_va_half(d->g, gva) == 1,
				     .pte_latency = d->c.mmu.pte_latency,
				     .walk_fixed = d->c.mmu.walk_fixed,
				     .s2_walk_fixed = d->c.mmu.s2_walk_fixed, .s1_hw = d->c.mmu.s1_hw,
				     .s2_ad = d->c.mmu.s2_ad };
	if (info->upper && m->c.arch_arm)
		info->s1_root = guest_kernel_root(d->g);
	mmu_req req = { .va = gva, .s1_root = root, .s1_root_upper = guest_kernel_root(d->g),
			.s2_root = info->s2_root, .vmid = d->vmid, .asid = asid, .access = access,
			.steps = steps, .max_steps = max };
	m->xw = info;
	int rc = walk(m, v, &req, res);
	m->xw = NULL;
	return rc;
}
