/*
 * sim/sim.c - the replay driver and the software around the hardware.
 *
 * A machine is: sparse physical memory holding every page table; per vCPU an
 * L1I, L1D and unified L2 TLB (model/tlb) and a walker with its walk caches
 * and nested TLB (model/mmu); a guest OS that demand-faults stage-1 mappings
 * on first touch under a page-size policy (guest.page); and, when
 * virt=nested, a hypervisor that demand-faults stage-2 mappings of
 * guest-physical pages (host.page, host.backing). The guest's own table
 * pages are guest-physical memory, so the hypervisor backs them too.
 *
 * Per access: L1 (I or D by kind) -> L2 -> walk. A walk that faults is
 * resolved by the guest OS (stage 1) or the hypervisor (stage 2) and
 * retried; each fault is counted and charged fault.*.cycles. An access that
 * runs past the end of the translation that served it is translated again
 * for the next page (lower page first). A combined TLB entry covers
 * min(stage-1 leaf, stage-2 leaf). Cycles per vCPU: core.cpi x instructions,
 * TLB latencies and walk cycles (translation), fault costs (faults).
 *
 * The guest model sets the contiguous hint when guest.cont is on (arm64):
 * a fault maps the whole aligned run around the page, physically contiguous,
 * as Linux does for 64 KB mTHP folios (contpte) and contiguous hugetlb
 * sizes; the hypervisor model never sets it at stage 2 (KVM's stage-2 page
 * tables do not use it).
 */
#include "sim.h"
#include "sim_int.h"
#include "cosim.h"
#include "mmu.h"
#include "ptbuild.h"
#include "tlb.h"
#include "tracestat.h"
#include "rng.h"

#include <assert.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HOST_RAM_BASE  UINT64_C(0x100000000)

/* ---------------------------------------------------------------- parameters */

#define PAGE_CHOICES "4k|16k|64k|2m|32m|512m|1g|thp|base"
enum { PG_THP = 7, PG_BASE = 8 };
static const unsigned page_shift_of[] = { 12, 14, 16, 21, 25, 29, 30, 0, 0 };
static const unsigned gran_shift_of[] = { 12, 14, 16 };

#define WCP(pfx, ent, ways, lat, src)                                                   \
	{ .name = pfx ".entries", .type = PARAM_INT, .def = #ent, .unit = "entries",      \
	  .min = 0, .max = 1 << 20, .help = "entries (0: absent); " src },                 \
	{ .name = pfx ".ways", .type = PARAM_INT, .def = #ways, .unit = "ways", .min = 1,  \
	  .max = 1024, .help = "associativity (entries/ways must be a power of two; at most "   \
	  "1024: a lookup compares every way of a set, as a CAM does, so a million-way array "  \
	  "would make a run never finish, and the largest fully-associative translation arrays " \
	  "built hold about a hundred entries); " src },                                      \
	{ .name = pfx ".latency", .type = PARAM_INT, .def = #lat, .unit = "cycles",        \
	  .min = 0, .max = 10000, .help = "cycles per lookup; " src }

#define TLBP(pfx, ent, ways, lat, pol, src)                                            \
	WCP(pfx, ent, ways, lat, src),                                                    \
	{ .name = pfx ".policy", .type = PARAM_ENUM, .def = pol, .choices = "lru|plru|random", \
	  .help = "replacement policy" }

#define SKL "default: Intel Skylake-SP (Intel 64 and IA-32 Optimization Reference Manual 248966, Skylake TLB table)"
#define PSC "default: PDE-cache-like; Intel documents no paging-structure-cache sizes (SDM Vol.3A 4.10.3)"

static const param_def sim_params[] = {
	{ .name = "seed", .type = PARAM_INT, .def = "1", .unit = "", .min = 0,
	  .max = INT64_MAX, .help = "seed for every random choice (replacement, host.backing); "
	  "same trace + config + seed gives identical statistics" },
	{ .name = "sim.max_records", .type = PARAM_INT, .def = "0", .unit = "records",
	  .min = 0, .max = INT64_MAX,
	  .help = "stop after this many trace records (0: replay the whole trace)" },
	{ .name = "sim.footprint", .type = PARAM_BOOL, .def = "0",
	  .help = "also count the trace's distinct 4K/64K/2M pages during the run "
	  "(footprint.* statistics; costs a hash insert per new page; 'slatsim trace info' "
	  "gives the same counts)" },
	{ .name = "sim.prefault", .type = PARAM_BOOL, .def = "0",
	  .help = "map the trace's whole footprint before replay (needs a trace file), so "
	  "only steady-state translation is measured" },
	{ .name = "arch", .type = PARAM_ENUM, .def = "x86", .choices = "x86|arm64",
	  .help = "x86: 4/5-level paging over EPT; arm64: VMSAv8-64 stage 1 over stage 2" },
	{ .name = "virt", .type = PARAM_ENUM, .def = "nested", .choices = "none|nested",
	  .help = "none: native 1-D walks; nested: guest stage 1 over host stage 2/EPT (2-D walks)" },
	{ .name = "guest.granule", .type = PARAM_ENUM, .def = "4k", .choices = "4k|16k|64k",
	  .help = "stage-1 translation granule (x86: 4k only)" },
	{ .name = "guest.va_bits", .type = PARAM_INT, .def = "0", .unit = "bits", .min = 0,
	  .max = 57, .help = "guest VA size (0: 48; x86: 48 for 4 levels, 57 for 5)" },
	{ .name = "guest.levels", .type = PARAM_INT, .def = "4", .unit = "levels", .min = 4,
	  .max = 5, .help = "x86 paging levels (4 or 5; arm64 derives levels from va_bits)" },
	{ .name = "guest.page", .type = PARAM_ENUM, .def = "base", .choices = PAGE_CHOICES,
	  .help = "guest page-size policy: one size; thp (the smallest block size where the "
	  "aligned region is still empty, else the base page); base (the granule's page)" },
	{ .name = "guest.cont", .type = PARAM_BOOL, .def = "0",
	  .help = "arm64: each guest fault maps the whole aligned contiguous run around the "
	  "page (physically contiguous, the contiguous hint set), as Linux contpte / mTHP: "
	  "4K granule 16 x 4 KB = 64 KB and 16 x 2 MB = 32 MB; 16K: 128 x 16 KB, 32 x 32 MB; "
	  "64K: 32 x 64 KB, 32 x 512 MB; a TLB entry then covers the run (ARCH-FACTS §3.2)" },
	{ .name = "host.granule", .type = PARAM_ENUM, .def = "4k", .choices = "4k|16k|64k",
	  .help = "stage-2 translation granule (x86 EPT: 4k only)" },
	{ .name = "host.ipa_bits", .type = PARAM_INT, .def = "0", .unit = "bits", .min = 0,
	  .max = 57, .help = "guest-physical (IPA) size (0: 48; EPT: 48 for 4 levels, 57 for 5)" },
	{ .name = "host.levels", .type = PARAM_INT, .def = "4", .unit = "levels", .min = 4,
	  .max = 5, .help = "EPT levels (4 or 5; arm64 derives levels from ipa_bits)" },
	{ .name = "host.page", .type = PARAM_ENUM, .def = "thp", .choices = PAGE_CHOICES,
	  .help = "host (stage-2) page-size policy, as guest.page; default thp as KVM backing "
	  "guest memory with transparent huge pages (2M on a 4K granule)" },
	{ .name = "host.backing", .type = PARAM_FLOAT, .def = "0", .fmin = 0, .fmax = 1,
	  .help = "fraction of host.page-sized regions backed by base pages instead (host "
	  "fragmentation): a guest large page over mixed host pages" },
	TLBP("tlb.l1i", 128, 8, 0, "lru", SKL " ITLB 4K: 128 entries, 8-way; latency hidden in the fetch pipeline"),
	TLBP("tlb.l1d", 64, 4, 0, "lru", SKL " DTLB 4K: 64 entries, 4-way; latency hidden in the load pipeline"),
	TLBP("tlb.l2", 1536, 12, 9, "lru", SKL " STLB: 1536 entries, 12-way, ~9 cycles"),
	WCP("walkcache.s1", 32, 4, 2, PSC),
	WCP("walkcache.s2", 32, 4, 2, PSC),
	WCP("ntlb", 32, 4, 2, "nested TLB (GPA->HPA); Cortex-A55 IPA cache RAM is 64 entries 4-way"),
	{ .name = "mem.pte_latency", .type = PARAM_INT, .def = "14", .unit = "cycles",
	  .min = 0, .max = 100000, .help = "cycles per descriptor read from memory; default: "
	  "Skylake-SP L2 hit (Optimization Reference Manual 248966), where most PTE reads hit" },
	{ .name = "core.cpi", .type = PARAM_FLOAT, .def = "1", .unit = "cycles/instr",
	  .fmin = 0, .fmax = 1000, .help = "base cycles per instruction without translation "
	  "stalls; set it from a measurement of the workload" },
	{ .name = "fault.guest.cycles", .type = PARAM_INT, .def = "2500", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "guest page-fault handling (anonymous "
	  "first-touch fault, about 1 us on a 2.5 GHz core)" },
	{ .name = "fault.host.cycles", .type = PARAM_INT, .def = "7500", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "stage-2 fault: VM exit, hypervisor "
	  "mapping, VM entry (about 3 us on a 2.5 GHz core)" },
	/* Dirty logging (sim/dirtylog.c). */
	{ .name = "dirtylog.mode", .type = PARAM_ENUM, .def = "off",
	  .choices = "off|wp|pml|dbm|hdbss", .help = "how the hypervisor tracks written pages: "
	  "wp (stage-2 write-protection, a fault per first write), pml (Intel PML over EPT A/D, "
	  "x86), dbm (Arm stage-2 DBM, page-table scan), hdbss (Arm DBM + HDBSS buffer)" },
	{ .name = "dirtylog.period", .type = PARAM_INT, .def = "0", .unit = "instructions",
	  .min = 0, .max = INT64_MAX, .help = "a harvest round every this many instructions "
	  "(all vCPUs, trace order); 0: one round at the end of the trace" },
	{ .name = "dirtylog.range", .type = PARAM_SIZE, .def = "0", .unit = "bytes", .min = 0,
	  .max = INT64_C(1) << 52, .help = "track only this many bytes from the bottom of guest "
	  "RAM (e.g. 16M for a video-RAM range, as Xen's HVM VRAM tracking); 0: all guest RAM" },
	{ .name = "dirtylog.flush_all_vcpus", .type = PARAM_BOOL, .def = "1",
	  .help = "drain every vCPU's PML/HDBSS buffer before a harvest (Xen "
	  "p2m_flush_hardware_cached_dirty; KVM kicks vCPUs); 0 is unsafe" },
	{ .name = "dirtylog.invalidate", .type = PARAM_BOOL, .def = "1",
	  .help = "invalidate TLBs after re-arming (SDM-2016 §28.3.3.4: INVEPT after clearing "
	  "D or W); 0 is unsafe: cached dirty translations never log again" },
	{ .name = "dirtylog.huge", .type = PARAM_ENUM, .def = "split", .choices = "split|wp|keep",
	  .help = "large stage-2 pages under logging: split (write-protect, split on the first "
	  "write, map base pages; Xen/KVM), wp (write-protect, report the whole page), keep "
	  "(log like a base page: with pml only one 4 KB GPA per page is logged - unsafe)" },
	{ .name = "pml.drain", .type = PARAM_ENUM, .def = "xen", .choices = "xen|kvm",
	  .help = "when PML buffers are drained: xen (log-full, disable, log-dirty operations: "
	  "ept_vcpu_flush_pml_buffer) or kvm (also at every VM exit: vmx_flush_pml_buffer)" },
	{ .name = "ept.ad_gpt_write", .type = PARAM_BOOL, .def = "1",
	  .help = "with EPT A/D on, guest paging-structure accesses are writes: they need W, set "
	  "D and are PML-logged (SDM-2016 §28.2.3.2, §28.2.4); x86 only, Arm has no such rule" },
	{ .name = "hdbss.size", .type = PARAM_SIZE, .def = "4K", .unit = "bytes", .min = 4096,
	  .max = 2097152, .flags = PARAM_F_POW2, .help = "HDBSS buffer per vCPU (HDBSSBR_EL2.SZ: "
	  "4 KB << SZ, at most 2 MB as in the KVM HDBSS series); 8 bytes an entry" },
	{ .name = "dirtylog.exit.cycles", .type = PARAM_INT, .def = "1400", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "VM exit + entry round trip: ~1,360 cycles "
	  "VMRUN to #VMEXIT measured on AMD EPYC (LKML, Dec 2020, 'KVM: SVM: ... vmsave/vmload'); "
	  "Intel: 'hundreds or thousands of cycles' (Intel blog 'Understanding VM Exits', 2009)" },
	{ .name = "dirtylog.fault.cycles", .type = PARAM_INT, .def = "2000", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "hypervisor work for one write-protection "
	  "fault beyond the exit (p2m lookup, type change, bitmap, TLB flush); an estimate: set it "
	  "from a measurement of your hypervisor" },
	{ .name = "dirtylog.split.cycles", .type = PARAM_INT, .def = "20000", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "splitting a large stage-2 page: allocate a "
	  "table, write 512 entries, flush (estimate)" },
	{ .name = "pml.drain.cycles", .type = PARAM_INT, .def = "150", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per PML/HDBSS entry drained: read, p2m "
	  "type change, bitmap set (Xen ept_vcpu_flush_pml_buffer loop; estimate)" },
	{ .name = "pml.log.cycles", .type = PARAM_INT, .def = "14", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per PML entry the hardware writes, added "
	  "to the walk: one 8-byte memory write, costed as an A/D write (mem.pte_latency's "
	  "default; an estimate). 'run --cosim pml --set cosim.cost=rtl' charges what the RTL "
	  "unit takes instead" },
	{ .name = "cosim.mem_latency", .type = PARAM_INT, .def = "14", .unit = "cycles",
	  .min = 0, .max = 1000000, .help = "run --cosim pml: cycles the RTL unit's memory write "
	  "port waits for mem_ready (mem.pte_latency's default: one memory write)" },
	{ .name = "cosim.stall_pct", .type = PARAM_INT, .def = "0", .unit = "%", .min = 0,
	  .max = 100, .help = "run --cosim pml: share of later cycles the memory holds mem_ready "
	  "low at random (seeded back-pressure)" },
	{ .name = "cosim.seed", .type = PARAM_INT, .def = "1", .min = 0, .max = INT64_MAX,
	  .help = "run --cosim pml: seed of the back-pressure (plus the vCPU number)" },
	{ .name = "cosim.cost", .type = PARAM_ENUM, .def = "c", .choices = "c|rtl",
	  .help = "run --cosim pml: what a PML request costs the walk: c (pml.log.cycles per "
	  "entry) or rtl (the RTL's cycles from acceptance to response, every request)" },
	{ .name = "cosim.window", .type = PARAM_INT, .def = "64", .unit = "requests", .min = 1,
	  .max = 1000000, .help = "run --cosim pml --waves FILE: requests and register writes "
	  "in the waveform window before a mismatch (or the end)" },
	{ .name = "dirtylog.clear.cycles", .type = PARAM_INT, .def = "40", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per leaf cleaned (D or DBM) or "
	  "write-protected at a round end (an atomic update during a table walk; estimate)" },
	{ .name = "dirtylog.scan.cycles", .type = PARAM_INT, .def = "10", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per stage-2 leaf scanned for dirty "
	  "state (dbm without HDBSS; estimate)" },
	{ .name = "dirtylog.invalidate.cycles", .type = PARAM_INT, .def = "2000", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per vCPU per invalidation (INVEPT "
	  "single-context and its IPI; estimate); the refills are modelled by the walker" },
	{ .name = "dirtylog.bitmap.cycles", .type = PARAM_INT, .def = "10", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per reported page: dirty-bitmap work "
	  "at harvest (estimate)" },
};

int sim_params_register(param_reg *reg)
{
	return param_register(reg, sim_params, sizeof(sim_params) / sizeof(sim_params[0]));
}

/* ---------------------------------------------------------------- config */

#define CFGERR(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static void read_tlb(const param_reg *p, const char *pfx, tlb_config *t, uint64_t seed,
		     int has_policy)
{
	char k[64];
	snprintf(k, sizeof(k), "%s.entries", pfx);
	t->entries = (unsigned)param_int(p, k);
	snprintf(k, sizeof(k), "%s.ways", pfx);
	t->ways = (unsigned)param_int(p, k);
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

static int page_ok(int arm, unsigned gran, unsigned pg)
{
	if (pg == PG_THP || pg == PG_BASE)
		return 1;
	unsigned s = page_shift_of[pg];
	if (!arm)
		return s == 12 || s == 21 || s == 30;
	if (s == gran)
		return 1;
	return (gran == 12 && (s == 21 || s == 30)) || (gran == 14 && s == 25) ||
	       (gran == 16 && s == 29);
}

/* A float parameter's canonical text ("0.7", "1.5e-05", "1e+03": at most
 * 17 significant digits, lib/numfmt.h) as the exact decimal MANT / 10^EXP10,
 * so that cycles follow from it in integers whatever the count. */
static void decimal_of(const char *text, uint64_t *mant, int *exp10)
{
	uint64_t m = 0;
	int e = 0, frac = 0;
	const char *p = text;
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

static int build_cfg(sim_cfg *c, const param_reg *p, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->arch_arm = param_enum(p, "arch") == 1;
	c->nested = param_enum(p, "virt") == 1;
	c->seed = (uint64_t)param_int(p, "seed");
	c->max_records = (uint64_t)param_int(p, "sim.max_records");
	c->prefault = param_bool(p, "sim.prefault");
	c->footprint = param_bool(p, "sim.footprint");
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
	if (!c->arch_arm) {
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
	if (mmu_geom_init(&c->mmu.s1, c->arch_arm ? MMU_FMT_ARM_S1 : MMU_FMT_X86, ggran, va, why,
			  sizeof(why)))
		CFGERR("guest.granule/guest.va_bits: %s", why);
	if (c->nested && mmu_geom_init(&c->mmu.s2, c->arch_arm ? MMU_FMT_ARM_S2 : MMU_FMT_EPT,
				       hgran, ipa, why, sizeof(why)))
		CFGERR("host.granule/host.ipa_bits: %s", why);
	if (!page_ok(c->arch_arm, ggran, c->gpage))
		CFGERR("guest.page=%s is not a page or block size of %s with a %s granule",
		       param_text(p, "guest.page"), c->arch_arm ? "arm64" : "x86",
		       param_text(p, "guest.granule"));
	if (c->gcont && !c->arch_arm)
		CFGERR("guest.cont=1: the contiguous hint is arm64's (x86 paging has none)");
	if (c->nested && !page_ok(c->arch_arm, hgran, c->hpage))
		CFGERR("host.page=%s is not a page or block size of %s stage 2 with a %s granule",
		       param_text(p, "host.page"), c->arch_arm ? "arm64" : "EPT",
		       param_text(p, "host.granule"));
	read_tlb(p, "tlb.l1i", &c->l1i, c->seed, 1);
	read_tlb(p, "tlb.l1d", &c->l1d, c->seed, 1);
	read_tlb(p, "tlb.l2", &c->l2, c->seed, 1);
	read_tlb(p, "walkcache.s1", &c->mmu.wc_s1, c->seed, 0);
	read_tlb(p, "walkcache.s2", &c->mmu.wc_s2, c->seed, 0);
	read_tlb(p, "ntlb", &c->mmu.ntlb, c->seed, 0);
	c->mmu.nested = c->nested;
	c->mmu.pte_latency = (unsigned)param_int(p, "mem.pte_latency");
	if (dl_build_cfg(&c->dl, p, c->arch_arm, c->nested, err, errlen))
		return -1;
	c->mmu.s2_ad = c->dl.mode == DL_PML || c->dl.mode == DL_DBM || c->dl.mode == DL_HDBSS;
	c->mmu.ad_gpt_write = c->dl.gpt_write && !c->arch_arm;
	/* Check every structure's geometry now, naming the parameter. */
	struct { const char *n; tlb_config *t; } all[] = {
		{ "tlb.l1i", &c->l1i }, { "tlb.l1d", &c->l1d }, { "tlb.l2", &c->l2 },
		{ "walkcache.s1", &c->mmu.wc_s1 }, { "walkcache.s2", &c->mmu.wc_s2 },
		{ "ntlb", &c->mmu.ntlb },
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tlb *t;
		if (tlb_create(&t, all[i].t, all[i].n, why, sizeof(why)))
			CFGERR("%s (set %s.entries and %s.ways)", why, all[i].n, all[i].n);
		tlb_destroy(t);
	}
	return 0;
}

/* ---------------------------------------------------------------- memory */

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

int sim_fail(sim *s, int code, const char *fmt, ...)
{
	s->oom = 1;
	if (s->err_code)
		return -1;   /* the first failure is the one to report */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->err_code = code;
	if (physmem_out_of_memory(s->mem)) {
		snprintf(s->err, sizeof(s->err), "out of memory (the page tables held %llu MiB)",
			 (unsigned long long)(physmem_bytes(s->mem) >> 20));
		s->err_code = TRACE_ENOMEM;
	}
	return -1;
}

static int guest_alloc(sim *s, uint64_t bytes, uint64_t *gpa)
{
	uint64_t a = align_up(s->gpa_next, bytes);
	if (a + bytes > s->gpa_limit || a + bytes < a)
		return sim_fail(s, TRACE_EFORMAT, "guest-physical space exhausted at 0x%llx: raise "
				"host.ipa_bits or guest.va_bits", (unsigned long long)a);
	s->gpa_next = a + bytes;
	*gpa = a;
	return 0;
}

int sim_host_alloc(void *ctx, uint64_t bytes, uint64_t *hpa)
{
	sim *s = ctx;
	uint64_t a = align_up(s->hpa_next, bytes);
	if (a + bytes > (UINT64_C(1) << 52))
		return sim_fail(s, TRACE_EFORMAT, "host-physical space (52 bits) exhausted: the "
				"trace maps more memory than a machine can have");
	s->hpa_next = a + bytes;
	*hpa = a;
	return 0;
}

static int ident(void *ctx, uint64_t addr, uint64_t *pa)
{
	(void)ctx;
	*pa = addr;
	return 0;
}

/* Deterministic per-region choice for host.backing. */
static int backed_small(const sim *s, uint64_t region)
{
	if (s->c.backing <= 0)
		return 0;
	uint64_t x = region ^ s->c.seed ^ UINT64_C(0x9e3779b97f4a7c15);
	x = rng_hash64(x);
	return (double)(x >> 11) * 0x1.0p-53 < s->c.backing;
}

/* Candidate leaf shifts for a policy, largest first, ending with the granule. */
static unsigned policy_shifts(const mmu_geom *g, unsigned pg, unsigned *out)
{
	unsigned n = 0;
	if (pg == PG_THP) {
		for (unsigned i = g->levels - 1; i-- > 0;)
			if (g->leaf_ok & (1u << i)) {
				out[n++] = g->shift[i];
				break;   /* the smallest block size */
			}
	} else if (pg != PG_BASE && page_shift_of[pg] != g->gran_shift) {
		out[n++] = page_shift_of[pg];
	}
	out[n++] = g->gran_shift;
	return n;
}

/* Map the host page around GPA if stage 2 does not map it yet. Returns 1 if
 * it mapped something (a host fault), 0 if it was mapped, -1 on error. */
static int hyp_ensure(sim *s, uint64_t gpa)
{
	uint64_t hpa;
	unsigned sh;
	if (mmu_s2_lookup(s->sw, s->s2.root, gpa, &hpa, &sh) == 0)
		return 0;
	unsigned cand[4];
	unsigned n = policy_shifts(&s->c.mmu.s2, s->c.hpage, cand);
	for (unsigned k = dl_base_only(s, gpa) ? n - 1 : 0; k < n; k++) {
		unsigned shift = cand[k];
		int lvl = mmu_geom_level_for_shift(&s->c.mmu.s2, shift);
		if (k + 1 < n && (backed_small(s, gpa >> shift) ||
				  !pt_slot_empty(&s->s2, gpa, (unsigned)lvl)))
			continue;
		uint64_t base = gpa & ~((UINT64_C(1) << shift) - 1);
		if (sim_host_alloc(s, UINT64_C(1) << shift, &hpa))
			return -1;
		if (pt_map(&s->s2, base, hpa, shift, MMU_P_R | MMU_P_W | MMU_P_X) == 0) {
			s->pages_host++;
			if (dl_new_leaf(s, gpa))
				return sim_fail(s, TRACE_ENOMEM, "out of memory (dirty-log page set)");
			return 1;
		}
	}
	return sim_fail(s, TRACE_EINTERNAL, "internal: cannot map GPA 0x%llx at stage 2",
			(unsigned long long)gpa);
}

static void charge_host_fault(sim *s)
{
	s->fault_host++;
	if (s->cur)
		s->cur->cyc_faults += s->c.fault_host;
}

/* Stage-1 table pages: guest-physical memory the hypervisor must back. */
static int s1_alloc(void *ctx, uint64_t bytes, uint64_t *gpa)
{
	sim *s = ctx;
	if (s->c.nested ? guest_alloc(s, bytes, gpa) : sim_host_alloc(s, bytes, gpa))
		return -1;
	s->s1_table_bytes += bytes;
	if (s->c.nested)
		for (uint64_t off = 0; off < bytes; off += 4096) {
			int r = hyp_ensure(s, *gpa + off);
			if (r < 0)
				return -1;
			if (r > 0 && s->cur)
				charge_host_fault(s);
		}
	return 0;
}

static int s1_to_pa(void *ctx, uint64_t gpa, uint64_t *pa)
{
	sim *s = ctx;
	unsigned sh;
	return mmu_s2_lookup(s->sw, s->s2.root, gpa, pa, &sh);
}

static pt_space s1_space_at(sim *s, uint64_t root)
{
	pt_space sp = { .g = &s->c.mmu.s1, .mem = s->mem, .root = root, .to_pa = s1_to_pa,
			.alloc_table = s1_alloc, .ctx = s };
	return sp;
}

/* x86: the kernel half of every address space is the same tables (Linux's
 * pgd_alloc copies init_mm's kernel entries into each new PGD, and kernel
 * PGD entries are populated up front so they never change afterwards).
 * Copy the kernel root's upper-half entries into ROOT: all of them, or only
 * index ONLY (>= 0). Returns 0 or -1. */
static int kernel_sync(sim *s, uint64_t root, int only)
{
	const mmu_geom *g = &s->c.mmu.s1;
	uint64_t kpa, pa;
	unsigned n = 1u << g->bits[0];
	if (s1_to_pa(s, s->s1_kroot, &kpa) || s1_to_pa(s, root, &pa))
		return sim_fail(s, TRACE_EINTERNAL, "internal: a guest root table is not backed");
	for (unsigned i = only >= 0 ? (unsigned)only : n / 2; i < n && (only < 0 || i == (unsigned)only);
	     i++) {
		uint64_t d = physmem_read64(s->mem, kpa + 8 * i);
		if (d && physmem_read64(s->mem, pa + 8 * i) != d &&
		    physmem_write64(s->mem, pa + 8 * i, d))
			return sim_fail(s, TRACE_ENOMEM, "out of memory (guest kernel tables)");
	}
	return 0;
}

/* The kernel half's root: Arm TTBR1_EL1's table, x86 the tables every
 * process's upper-half entries point to (created on first use). */
static int s1_kernel_root(sim *s, uint64_t *root)
{
	if (!s->s1_kroot && s1_alloc(s, s->c.mmu.s1.root_bytes, &s->s1_kroot))
		return -1;
	*root = s->s1_kroot;
	return 0;
}

static int s1_root_of(sim *s, uint16_t asid, uint64_t *root)
{
	if (!s->s1_root[asid]) {
		uint64_t r;
		if (s1_alloc(s, s->c.mmu.s1.root_bytes, &r))
			return -1;
		s->s1_root[asid] = r;
		if (!s->c.arch_arm && s->s1_kroot && kernel_sync(s, r, -1))
			return -1;
	}
	*root = s->s1_root[asid];
	return 0;
}

/* A new top-level kernel entry (x86): into every process's root. */
static int kernel_publish(sim *s, uint64_t va)
{
	int idx = (int)mmu_geom_index(&s->c.mmu.s1, 0, va);
	for (unsigned a = 0; a < 65536; a++)
		if (s->s1_root[a] && kernel_sync(s, s->s1_root[a], idx))
			return -1;
	return 0;
}

/* guest.cont: map the contiguous run of 2^shift pages around VA at level
 * LVL if all of it is free. Returns 1 if it mapped, 0 if the run is not free
 * (the caller maps one page), -1 on error. */
static int guest_map_run(sim *s, pt_space *sp, uint64_t va, unsigned shift, unsigned lvl,
			 unsigned perm, uint64_t *ipa_out)
{
	unsigned run = shift + s->c.mmu.s1.cont_bits[lvl];
	uint64_t base = va & ~((UINT64_C(1) << run) - 1);
	for (uint64_t k = 0; k < (UINT64_C(1) << (run - shift)); k++)
		if (!pt_slot_empty(sp, base + (k << shift), lvl))
			return 0;
	uint64_t gpa = 0;
	if (s->c.nested ? guest_alloc(s, UINT64_C(1) << run, &gpa)
			: sim_host_alloc(s, UINT64_C(1) << run, &gpa))
		return -1;
	if (pt_map_cont(sp, va, gpa, shift, perm))
		return sim_fail(s, TRACE_EINTERNAL, "internal: cannot map the contiguous run at "
				"VA 0x%llx", (unsigned long long)va);
	s->pages_guest += UINT64_C(1) << (run - shift);
	if (ipa_out)
		*ipa_out = gpa | (va & ((UINT64_C(1) << run) - 1));
	return 1;
}

/* VA is in neither half of the guest's address space: bad input. */
static int noncanonical(sim *s, uint64_t va)
{
	return sim_fail(s, TRACE_EFORMAT, "VA 0x%llx is not canonical for the guest's %u-bit "
			"address space (bits 63:%u must be all 0 or all 1%s; guest.va_bits / "
			"guest.levels)", (unsigned long long)va, s->c.mmu.s1.in_bits,
			s->c.mmu.s1.in_bits - (s->c.arch_arm ? 0 : 1),
			s->c.arch_arm ? ": TTBR0 or TTBR1" : "");
}

/* Map the page around VA in SP under the page-size policy (guest.page,
 * guest.cont). Returns 1, or -1 on error. */
static int guest_map(sim *s, pt_space *sp, uint64_t va, unsigned perm, uint64_t *ipa_out)
{
	unsigned cand[4];
	unsigned n = policy_shifts(&s->c.mmu.s1, s->c.gpage, cand);
	for (unsigned k = 0; k < n; k++) {
		unsigned shift = cand[k];
		int lvl = mmu_geom_level_for_shift(&s->c.mmu.s1, shift);
		if (k + 1 < n && !pt_slot_empty(sp, va, (unsigned)lvl))
			continue;
		uint64_t gpa = 0;
		if (s->c.gcont && s->c.mmu.s1.cont_bits[lvl]) {
			int r = guest_map_run(s, sp, va, shift, (unsigned)lvl, perm, ipa_out);
			if (r != 0)
				return r;
		}
		if (s->c.nested ? guest_alloc(s, UINT64_C(1) << shift, &gpa)
				: sim_host_alloc(s, UINT64_C(1) << shift, &gpa))
			return -1;
		uint64_t base = va & ~((UINT64_C(1) << shift) - 1);
		if (pt_map(sp, base, gpa, shift, perm) == 0) {
			s->pages_guest++;
			if (ipa_out)
				*ipa_out = gpa | (va & ((UINT64_C(1) << shift) - 1));
			return 1;
		}
		if (s->oom)
			return -1;
	}
	return sim_fail(s, TRACE_EINTERNAL, "internal: cannot map VA 0x%llx at stage 1",
			(unsigned long long)va);
}

/* Guest OS: map the page around VA for ASID on first touch. Returns 1 if it
 * mapped (a guest fault), 0 if already mapped, -1 on error. An upper-half
 * (kernel) VA is mapped global in the kernel's tables, which every ASID
 * shares. */
static int guest_ensure(sim *s, uint16_t asid, uint64_t va, uint64_t *ipa_out)
{
	uint64_t root, out;
	unsigned sh, depth;
	int half = mmu_geom_va_half(&s->c.mmu.s1, va);
	if (half < 0)
		return noncanonical(s, va);
	if (s1_root_of(s, asid, &root) || (half && s1_kernel_root(s, &root)))
		return -1;
	pt_space sp = s1_space_at(s, root);
	if (pt_lookup(&sp, va, &out, &sh, &depth)) {
		if (ipa_out)
			*ipa_out = out | (va & ((UINT64_C(1) << sh) - 1));
		return 0;
	}
	unsigned perm = MMU_P_R | MMU_P_W | MMU_P_X | (half ? MMU_P_G : 0);
	int r = guest_map(s, &sp, va, perm, ipa_out);
	/* x86: a new top-level kernel entry goes into every process's root. */
	if (r > 0 && half && !s->c.arch_arm && depth == 0 && kernel_publish(s, va))
		return -1;
	return r;
}

/* ---------------------------------------------------------------- create */

static void register_stats(sim *s);

int sim_create(sim **out, const param_reg *params, char *err, size_t errlen)
{
	*out = NULL;
	sim *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory (creating the machine)");
		return TRACE_ENOMEM;
	}
	if (build_cfg(&s->c, params, err, errlen)) {
		free(s);
		return TRACE_EFORMAT;
	}
	s->stats = stats_create();
	s->mem = physmem_create();
	s->s1_root = calloc(65536, sizeof(uint64_t));
	if (!s->stats || !s->mem || !s->s1_root || dl_init(s) || tracestat_init(&s->ts) ||
	    mmu_walker_create(&s->sw, &s->c.mmu, s->mem, err, errlen)) {
		sim_destroy(s);
		snprintf(err, errlen, "out of memory (creating the machine)");
		return TRACE_ENOMEM;
	}
	s->ts.pages = s->c.footprint;
	s->vmid = s->c.nested ? 1 : 0;
	s->gpa_next = GUEST_RAM_BASE;
	s->gpa_limit = UINT64_C(1) << (s->c.nested ? s->c.mmu.s2.in_bits : 52);
	s->hpa_next = HOST_RAM_BASE;
	if (s->c.nested) {
		s->s2 = (pt_space){ .g = &s->c.mmu.s2, .mem = s->mem, .to_pa = ident,
				    .alloc_table = sim_host_alloc, .ctx = s };
		if (sim_host_alloc(s, s->c.mmu.s2.root_bytes, &s->s2.root)) {
			snprintf(err, errlen, "%s", s->err);
			sim_destroy(s);
			return TRACE_EINTERNAL;
		}
		s->s2.table_bytes = s->c.mmu.s2.root_bytes;
	}
	register_stats(s);
	if (stats_failed(s->stats)) {
		sim_destroy(s);
		snprintf(err, errlen, "out of memory (registering statistics)");
		return TRACE_ENOMEM;
	}
	*out = s;
	return TRACE_OK;
}

static void vcpu_destroy(vcpu *v)
{
	if (!v)
		return;
	tlb_destroy(v->l1i);
	tlb_destroy(v->l1d);
	tlb_destroy(v->l2);
	mmu_walker_destroy(v->w);
	dl_vcpu_free(v);
	free(v);
}

void sim_destroy(sim *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < TRACE_MAX_VCPUS; i++)
		vcpu_destroy(s->v[i]);
	mmu_walker_destroy(s->sw);
	physmem_destroy(s->mem);
	free(s->s1_root);
	dl_free(s);
	tracestat_free(&s->ts);
	stats_destroy(s->stats);
	free(s);
}

static vcpu *vcpu_get(sim *s, unsigned id)
{
	if (s->v[id])
		return s->v[id];
	vcpu *v = calloc(1, sizeof(*v));
	char e[200];
	/* The geometry was checked at configuration: a failure here is memory
	 * (or the co-simulation's, which dl_vcpu_init records itself). */
	if (!v || tlb_create(&v->l1i, &s->c.l1i, "tlb.l1i", e, sizeof(e)) ||
	    tlb_create(&v->l1d, &s->c.l1d, "tlb.l1d", e, sizeof(e)) ||
	    tlb_create(&v->l2, &s->c.l2, "tlb.l2", e, sizeof(e)) ||
	    mmu_walker_create(&v->w, &s->c.mmu, s->mem, e, sizeof(e)) || dl_vcpu_init(s, v, id)) {
		vcpu_destroy(v);
		sim_fail(s, TRACE_ENOMEM, "out of memory (creating vCPU %u)", id);
		return NULL;
	}
	s->v[id] = v;
	return v;
}

/* ---------------------------------------------------------------- replay */

/* Walk until the translation succeeds, letting the guest OS and hypervisor
 * resolve faults. Returns 0, or -1 on an unresolvable fault / exhaustion. */
static int walk(sim *s, vcpu *v, mmu_req *req, mmu_result *res)
{
	for (int tries = 0;; tries++) {
		mmu_translate(v->w, req, res);
		v->cyc_translation += res->cycles;
		if (res->fault.kind == MMU_FAULT_NONE)
			return 0;
		int r;
		if (res->fault.kind == MMU_FAULT_ADDRSIZE && res->fault.stage == 1)
			return noncanonical(s, req->va);
		if (res->fault.kind == MMU_FAULT_LOG_FULL && tries <= 16) {
			/* PML log-full exit / HDBSS-full abort: drain, replay. */
			if (dl_log_full(s, v))
				return -1;
			continue;
		}
		if (res->fault.kind == MMU_FAULT_PERMISSION && res->fault.stage == 2 &&
		    tries <= 16) {
			r = dl_wp_fault(s, v, req, res);
			if (r < 0)
				return -1;
			if (r > 0)
				continue;
		}
		if (tries > 16 || res->fault.kind != MMU_FAULT_TRANSLATION)
			return sim_fail(s, TRACE_EINTERNAL, "internal: unresolved stage-%u fault "
					"(kind %d) at VA 0x%llx", res->fault.stage, res->fault.kind,
					(unsigned long long)req->va);
		if (res->fault.stage == 1) {
			r = guest_ensure(s, req->asid, req->va, NULL);
			req->s1_root_upper = s->s1_kroot;   /* (may have just been created) */
			if (r > 0) {
				s->fault_guest++;
				v->cyc_faults += s->c.fault_guest;
			}
		} else {
			r = hyp_ensure(s, res->fault.ipa);
			if (r > 0)
				charge_host_fault(s);
		}
		if (r < 0)
			return -1;
	}
}

/* Translate record R (in the batch at s->cur_batch) to the end of its
 * bytes. Returns 0, -1 on failure (s->err), or 1 when a co-simulation
 * mismatch stops the replay. */
static int access_one(sim *s, vcpu *v, const trace_rec *r)
{
	uint64_t va = r->gva, end = r->gva + r->size - 1;
	for (;;) {
		int fetch = r->kind == TRACE_X;
		tlb *l1 = fetch ? v->l1i : v->l1d;
		const tlb_config *l1c = fetch ? &s->c.l1i : &s->c.l1d;
		const tlb_entry *e = NULL;
		if (l1c->entries) {
			v->cyc_translation += l1c->latency;
			e = tlb_lookup(l1, va, s->vmid, r->asid);
		}
		if (!e && s->c.l2.entries) {
			v->cyc_translation += s->c.l2.latency;
			e = tlb_lookup(v->l2, va, s->vmid, r->asid);
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
			s->dirty_walks++;
		}
		tlb_entry ne;
		if (!e) {
			uint64_t root;
			if (s1_root_of(s, r->asid, &root))
				return -1;
			mmu_req req = { .va = va, .s1_root = root, .s1_root_upper = s->s1_kroot,
					.s2_root = s->s2.root,
					.vmid = s->vmid, .asid = r->asid, .access = r->kind };
			mmu_result res;
			/* Only walks (and rounds) talk to the logging hardware: the
			 * record number a co-simulation reports is set here, off the
			 * hit path. */
			s->rec_no = s->rec_base + (uint64_t)(r - s->cur_batch);
			if (walk(s, v, &req, &res))
				return -1;
			if (s->cosim && cosim_failed(s->cosim))
				return 1;
			uint64_t mask = (UINT64_C(1) << res.shift) - 1;
			ne = (tlb_entry){ .tag = va >> res.shift, .out = res.pa & ~mask,
					  .aux = res.ipa & ~mask, .vmid = s->vmid, .asid = r->asid,
					  .shift = (uint8_t)res.shift,
					  .flags = (uint8_t)(perm_to_tlbf(res.perm) |
							     (res.dirty ? TLB_F_DIRTY : 0)) };
			s->fills[res.shift]++;
			tlb_fill(v->l2, &ne);
			tlb_fill(l1, &ne);
			e = &ne;
		}
		uint64_t page_last = (((e->tag + 1) << e->shift) - 1);
		int last = end <= page_last || page_last == UINT64_MAX;
		if (s->dl.active && r->kind == TRACE_W) {
			uint64_t off = va & ((UINT64_C(1) << e->shift) - 1);
			uint64_t n = (last ? end : page_last) - va + 1;
			if (dl_note_write(s, e->aux + off, (unsigned)n))
				return sim_fail(s, TRACE_ENOMEM, "out of memory (dirty-log page set)");
		}
		if (last)
			return 0;
		va = page_last + 1;   /* the rest lies in the next page */
	}
}

/* An invalidation record: the guest invalidates cached stage-1 (and so
 * combined) translations of its VM on one vCPU or, broadcast, on all: the
 * TLBs and the stage-1 walk cache; the nested TLB and stage-2 walk cache
 * hold the hypervisor's stage 2 and stay (ARCH-FACTS §6 item 8). */
static void invalidate(sim *s, const trace_rec *r)
{
	unsigned op = r->op & TRACE_INV_OP_MASK;
	s->inv[op]++;
	s->inv_bcast += (r->op & TRACE_INV_BCAST) != 0;
	unsigned lo = r->vcpu, hi = r->vcpu + 1u;
	if (r->op & TRACE_INV_BCAST)
		lo = 0, hi = TRACE_MAX_VCPUS;
	for (unsigned id = lo; id < hi; id++) {
		vcpu *v = s->v[id];
		if (!v)
			continue;   /* nothing cached yet */
		tlb *t[3] = { v->l1i, v->l1d, v->l2 };
		for (unsigned k = 0; k < 3; k++) {
			if (op == TRACE_INV_ALL)
				tlb_inv_vmid(t[k], s->vmid);
			else if (op == TRACE_INV_ASID)
				tlb_inv_asid(t[k], s->vmid, r->asid);
			else
				tlb_inv_va(t[k], s->vmid, r->asid, r->gva);
		}
		if (op == TRACE_INV_ALL)
			mmu_inv_s1_vmid(v->w, s->vmid);
		else if (op == TRACE_INV_ASID)
			mmu_inv_s1_asid(v->w, s->vmid, r->asid);
		else
			mmu_inv_va(v->w, s->vmid, r->asid, r->gva);
	}
}

static int replay_batch(sim *s, const trace_rec *b, size_t n, size_t *failed)
{
	s->cur_batch = b;   /* record numbers: s->rec_base + (r - b), on walks only */
	for (size_t i = 0; i < n; i++) {
		*failed = i;
		const trace_rec *r = &b[i];
		vcpu *v = vcpu_get(s, r->vcpu);
		if (!v)
			return -1;
		s->cur = v;
		v->instructions += r->icount;
		s->accesses++;
		int rc = access_one(s, v, r);
		if (rc)
			return rc < 0 ? -1 : 0;   /* > 0: a co-simulation mismatch, seen by sim_replay */
		s->instr_done += r->icount;
		if (s->dl.active && s->instr_done >= s->dl.next_round) {
			s->rec_no = s->rec_base + i;
			if (dl_round(s))
				return sim_fail(s, TRACE_ENOMEM, "out of memory (harvesting the dirty "
						"log)");
			if (s->cosim && cosim_failed(s->cosim))
				return 0;
		}
	}
	return 0;
}

/* A batch holding invalidation records: replay the access runs between them
 * (replay_batch stays free of the check: most traces have none). */
static int replay_batch_inv(sim *s, const trace_rec *b, size_t n, size_t *failed)
{
	uint64_t base = s->rec_base;
	size_t start = 0;
	int rc = 0;
	for (size_t i = 0; i <= n && rc == 0; i++) {
		if (i < n && b[i].kind != TRACE_INV)
			continue;
		if (i > start) {
			s->rec_base = base + start;
			rc = replay_batch(s, b + start, i - start, failed);
			*failed += start;
			if (s->cosim && cosim_failed(s->cosim))
				break;
		}
		if (i < n && rc == 0)
			invalidate(s, &b[i]);
		start = i + 1;
	}
	s->rec_base = base;
	return rc;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress_line(trace_reader *r, uint64_t records, double t0, double t)
{
	uint64_t done, total;
	trace_progress(r, &done, &total);
	double el = t - t0, rate = el > 0 ? (double)records / el : 0;
	if (total > 0) {
		double frac = (double)done / (double)total;
		double eta = frac > 0 ? el / frac - el : 0;
		fprintf(stderr, "\r  %5.1f%%  %8.2f M records/s  elapsed %6.1f s  ETA %6.1f s ",
			100.0 * frac, rate / 1e6, el, eta);
	} else {
		fprintf(stderr, "\r  %llu records  %8.2f M records/s  elapsed %6.1f s ",
			(unsigned long long)records, rate / 1e6, el);
	}
	fflush(stderr);
}

static void finalize(sim *s)
{
	memset(&s->a, 0, sizeof(s->a));
	s->dl.pml_logged = s->dl.hdbss_logged = 0;
	for (unsigned i = 0; i < TRACE_MAX_VCPUS; i++) {
		vcpu *v = s->v[i];
		if (!v)
			continue;
		const tlb_counters *c;
		c = tlb_stats(v->l1i); s->a.l1i_h += c->hits; s->a.l1i_m += c->misses;
		c = tlb_stats(v->l1d); s->a.l1d_h += c->hits; s->a.l1d_m += c->misses;
		c = tlb_stats(v->l2); s->a.l2_h += c->hits; s->a.l2_m += c->misses;
		const mmu_counters *m = mmu_walker_counters(v->w);
		s->a.walks += m->walks;
		s->a.refs += m->refs;
		s->a.s1_refs += m->s1_refs;
		s->a.s2_refs += m->s2_refs;
		s->a.walk_cycles += m->cycles;
		c = mmu_walker_cache_counters(v->w, 0); s->a.wc1_h += c->hits; s->a.wc1_m += c->misses;
		c = mmu_walker_cache_counters(v->w, 1); s->a.wc2_h += c->hits; s->a.wc2_m += c->misses;
		c = mmu_walker_cache_counters(v->w, 2); s->a.nt_h += c->hits; s->a.nt_m += c->misses;
		s->a.reach += tlb_reach_bytes(v->l2);
		s->a.ad_writes += m->ad_writes;
		if (v->pml)
			s->dl.pml_logged += pml_stats(v->pml)->logged;
		if (v->hdbss)
			s->dl.hdbss_logged += hdbss_stats(v->hdbss)->logged;
		/* Integers, not a double: exact beyond 2^53 instructions. */
		uint64_t ci = scale_exact(v->instructions, s->c.cpi_mant, s->c.cpi_exp10);
		s->a.cyc_instr += ci;
		s->a.cyc_trans += v->cyc_translation;
		s->a.cyc_faults += v->cyc_faults;
	}
	s->a.cyc_total = s->a.cyc_instr + s->a.cyc_trans + s->a.cyc_faults + s->dl.cyc_total;
	s->a.dirty_walks = s->dirty_walks;
	s->a.l1d_lookups = s->a.l1d_h + s->a.l1d_m;
	s->a.pt_bytes = s->s1_table_bytes + (s->c.nested ? s->s2.table_bytes : 0);
}

/* "PATH: line N: MSG" (text formats) or "PATH: record N: MSG": where record
 * I of the batch just read, the trace's record REC, comes from. Returns the
 * failure's code. */
static int where_failed(const sim *s, trace_reader *r, size_t i, uint64_t rec, char *err,
			size_t errlen)
{
	uint64_t line = trace_line_of(r, i);
	if (s->err_code == TRACE_ENOMEM)
		snprintf(err, errlen, "%s", s->err);   /* not the input's doing: no place */
	else if (line)
		snprintf(err, errlen, "%s: line %llu: %s", trace_path(r), (unsigned long long)line,
			 s->err);
	else
		snprintf(err, errlen, "%s: record %llu: %s", trace_path(r),
			 (unsigned long long)rec, s->err);
	return s->err_code ? s->err_code : TRACE_EINTERNAL;
}

int sim_prefault(sim *s, trace_reader *r, char *err, size_t errlen)
{
	s->cur = NULL;
	uint64_t done = 0, limit = s->c.max_records ? s->c.max_records : UINT64_MAX;
	for (;;) {
		size_t want = limit - done < SIM_BATCH ? (size_t)(limit - done) : SIM_BATCH;
		if (!want)
			break;
		long n = trace_read(r, s->batch, want, err, errlen);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		for (long i = 0; i < n; i++) {
			const trace_rec *x = &s->batch[i];
			if (x->kind == TRACE_INV)
				continue;   /* not an access: nothing to map */
			uint64_t pages[2] = { x->gva, (x->gva + x->size - 1) };
			for (int k = 0; k < 2; k++) {
				uint64_t ipa;
				if (guest_ensure(s, x->asid, pages[k], &ipa) < 0 ||
				    (s->c.nested && hyp_ensure(s, ipa) < 0))
					return where_failed(s, r, (size_t)i, done + (uint64_t)i, err,
							    errlen);
			}
		}
		done += (uint64_t)n;
	}
	return TRACE_OK;
}

int sim_replay(sim *s, trace_reader *r, const sim_replay_opts *o, char *err, size_t errlen)
{
	double t0 = now(), last = t0;
	int shown = 0;
	uint64_t limit = s->c.max_records ? s->c.max_records : UINT64_MAX;
	int rc = TRACE_OK;
	if (dl_start(s)) {
		snprintf(err, errlen, "out of memory (arming dirty logging)");
		return TRACE_ENOMEM;
	}
	for (;;) {
		size_t want = SIM_BATCH;
		if (limit - s->ts.records < want)
			want = (size_t)(limit - s->ts.records);
		if (want == 0)
			break;
		long n = trace_read(r, s->batch, want, err, errlen);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0)
			break;
		uint64_t inv_before = s->ts.invalidations;
		if (tracestat_add(&s->ts, s->batch, (size_t)n) != 0) {
			snprintf(err, errlen, "out of memory (counting the footprint)");
			rc = TRACE_ENOMEM;
			break;
		}
		size_t bad;
		s->rec_base = s->ts.records - (uint64_t)n;
		int failed = s->ts.invalidations == inv_before
			? replay_batch(s, s->batch, (size_t)n, &bad)
			: replay_batch_inv(s, s->batch, (size_t)n, &bad);
		if (failed) {
			rc = where_failed(s, r, bad, s->ts.records - (uint64_t)n + bad, err, errlen);
			break;
		}
		if (s->cosim && cosim_failed(s->cosim))
			break;
		if (o && o->progress && (s->ts.records & 0xffff) < SIM_BATCH) {
			double t = now();
			if (t - last >= 0.5) {
				progress_line(r, s->ts.records, t0, t);
				last = t;
				shown = 1;
			}
		}
	}
	if (shown)
		fprintf(stderr, "\r%72s\r", "");
	/* The last (or only) round ends with the trace, unless the period
	 * boundary fell exactly on the last record. */
	if (rc == TRACE_OK && s->dl.active && !(s->cosim && cosim_failed(s->cosim)) &&
	    (s->dl.nrounds == 0 || s->dl.rounds[s->dl.nrounds - 1].instructions != s->instr_done) &&
	    dl_round(s)) {
		snprintf(err, errlen, "out of memory (harvesting the dirty log)");
		rc = TRACE_ENOMEM;
	}
	s->elapsed = now() - t0;
	finalize(s);
	return rc;
}

stats_reg *sim_stats(sim *s) { return s->stats; }
void sim_set_cosim(sim *s, struct cosim *c) { s->cosim = c; }
const uint64_t *sim_current_record(const sim *s) { return &s->rec_no; }
double sim_elapsed_seconds(const sim *s) { return s->elapsed; }

/* ---------------------------------------------------------------- stats */

static void register_stats(sim *s)
{
	stats_reg *st = s->stats;
	tracestat *t = &s->ts;
	stats_add(st, "records", &t->records, "trace records replayed");
	stats_add(st, "accesses", &s->accesses, "accesses translated (one per access record)");
	stats_add(st, "invalidations", &t->invalidations, "invalidation records (not accesses)");
	stats_add(st, "inv.all", &s->inv[TRACE_INV_ALL], "guest invalidations of every "
		  "stage-1 translation of the VM (TLBI VMALLE1, INVPCID all)");
	stats_add(st, "inv.asid", &s->inv[TRACE_INV_ASID], "guest invalidations by ASID");
	stats_add(st, "inv.va", &s->inv[TRACE_INV_VA], "guest invalidations by VA");
	stats_add(st, "inv.broadcast", &s->inv_bcast, "of them, broadcast to every vCPU");
	stats_add(st, "reads", &t->reads, "data reads (R)");
	stats_add(st, "writes", &t->writes, "data writes (W)");
	stats_add(st, "ifetches", &t->ifetches, "instruction fetches (X)");
	stats_add(st, "instructions", &t->instructions, "instructions retired (sum of icount)");
	stats_add(st, "vcpus", &t->vcpus, "distinct vCPUs in the trace");
	if (s->c.footprint) {
		stats_add(st, "footprint.pages_4k", &t->pages_4k, "distinct 4 KB pages touched");
		stats_add(st, "footprint.pages_4k_written", &t->pages_4k_written,
			  "distinct 4 KB pages written");
		stats_add(st, "footprint.pages_64k", &t->pages_64k, "distinct 64 KB pages touched");
		stats_add(st, "footprint.pages_2m", &t->pages_2m, "distinct 2 MB pages touched");
	}
	stats_add(st, "footprint.crossing_4k", &t->crossing_4k,
		  "accesses that cross a 4 KB boundary");
	stats_add(st, "tlb.l1i.hits", &s->a.l1i_h, "L1 instruction TLB hits");
	stats_add(st, "tlb.l1i.misses", &s->a.l1i_m, "L1 instruction TLB misses");
	stats_add(st, "tlb.l1d.hits", &s->a.l1d_h, "L1 data TLB hits");
	stats_add(st, "tlb.l1d.misses", &s->a.l1d_m, "L1 data TLB misses");
	stats_add(st, "tlb.l2.hits", &s->a.l2_h, "unified L2 TLB hits");
	stats_add(st, "tlb.l2.misses", &s->a.l2_m, "unified L2 TLB misses");
	stats_add(st, "tlb.l2.reach_bytes", &s->a.reach, "bytes mapped by valid L2 entries at the end");
	static const char *const fill_names[] = { "tlb.fills.4k", "tlb.fills.16k", "tlb.fills.64k",
		"tlb.fills.2m", "tlb.fills.32m", "tlb.fills.512m", "tlb.fills.1g" };
	for (unsigned i = 0; i < 7; i++)
		stats_add(st, fill_names[i], &s->fills[page_shift_of[i]],
			  "TLB fills from walks, by combined entry size");
	stats_add(st, "walk.count", &s->a.walks, "page walks (including walks that faulted)");
	stats_add(st, "walk.mem_refs", &s->a.refs, "descriptor reads from memory, both stages");
	stats_add(st, "walk.s1_refs", &s->a.s1_refs, "stage-1 (guest) descriptor reads");
	stats_add(st, "walk.s2_refs", &s->a.s2_refs, "stage-2 (host) descriptor reads");
	stats_add(st, "walk.cycles", &s->a.walk_cycles, "cycles spent walking");
	stats_add(st, "walkcache.s1.hits", &s->a.wc1_h, "stage-1 walks that skipped levels");
	stats_add(st, "walkcache.s1.misses", &s->a.wc1_m, "stage-1 walks from the root");
	stats_add(st, "walkcache.s2.hits", &s->a.wc2_h, "stage-2 walks that skipped levels");
	stats_add(st, "walkcache.s2.misses", &s->a.wc2_m, "stage-2 walks from the root");
	stats_add(st, "ntlb.hits", &s->a.nt_h, "nested TLB hits (GPA->HPA)");
	stats_add(st, "ntlb.misses", &s->a.nt_m, "nested TLB misses");
	stats_add(st, "fault.guest", &s->fault_guest, "guest (stage-1) page faults");
	stats_add(st, "fault.host", &s->fault_host, "stage-2 faults (EPT violations)");
	stats_add(st, "pages.guest", &s->pages_guest, "stage-1 leaf mappings created");
	stats_add(st, "pages.host", &s->pages_host, "stage-2 leaf mappings created");
	stats_add(st, "pt.bytes", &s->a.pt_bytes, "page-table bytes held, both stages");
	stats_add(st, "cycles.total", &s->a.cyc_total, "all cycles, all vCPUs and the hypervisor's "
		  "dirty logging");
	stats_add(st, "cycles.instructions", &s->a.cyc_instr, "core.cpi x instructions");
	stats_add(st, "cycles.translation", &s->a.cyc_trans, "TLB lookups and page walks");
	stats_add(st, "cycles.faults", &s->a.cyc_faults, "guest and host fault handling");
	stats_add(st, "walk.ad_writes", &s->a.ad_writes,
		  "descriptors written by hardware A/D / DBM updates (stage 2)");
	stats_add(st, "tlb.dirty_walks", &s->a.dirty_walks,
		  "writes that hit a read-only or clean TLB entry and walked");
	dl_register_stats(s);
	stats_add(st, "tlb.l1d.lookups", &s->a.l1d_lookups, "L1 data TLB lookups");
	stats_add_ratio(st, "tlb.l1d.miss_ratio", "tlb.l1d.misses", "tlb.l1d.lookups",
			"L1 data TLB misses per lookup");
	stats_add_ratio(st, "walk.refs_per_walk", "walk.mem_refs", "walk.count",
			"descriptor reads per walk");
}

/* ---------------------------------------------------------------- explain */

static const char *stage_name(const sim *s, unsigned stage)
{
	if (stage == 1)
		return s->c.arch_arm ? "S1" : "guest";
	return s->c.arch_arm ? "S2" : "EPT";
}

int sim_explain(sim *s, uint64_t gva, unsigned access, uint16_t asid, FILE *f, char *err,
		size_t errlen)
{
	vcpu *v = vcpu_get(s, 0);
	uint64_t ipa, root;
	if (!v || guest_ensure(s, asid, gva, &ipa) < 0 || (s->c.nested && hyp_ensure(s, ipa) < 0) ||
	    s1_root_of(s, asid, &root)) {
		snprintf(err, errlen, "%s", s->err);
		return s->err_code;
	}
	int upper = mmu_geom_va_half(&s->c.mmu.s1, gva) == 1;
	const mmu_geom *g1 = &s->c.mmu.s1, *g2 = &s->c.mmu.s2;
	fprintf(f, "%s, %s: stage 1 %s, %uK granule, %u-bit VA, %u levels (root: %u index bits)\n",
		s->c.arch_arm ? "arm64" : "x86", s->c.nested ? "nested" : "native",
		s->c.arch_arm ? "VMSAv8-64" : "x86-64 paging", 1u << (g1->gran_shift - 10),
		g1->in_bits, g1->levels, g1->bits[0]);
	if (s->c.nested) {
		fprintf(f, "  stage 2 %s, %uK granule, %u-bit IPA, %u levels, %u concatenated root "
			"table%s", s->c.arch_arm ? "VMSAv8-64" : "EPT", 1u << (g2->gran_shift - 10),
			g2->in_bits, g2->levels, g2->root_tables, g2->root_tables == 1 ? "" : "s");
		if (s->c.arch_arm)
			fprintf(f, " (VTCR_EL2.T0SZ=%u SL0=%u TG0=%u)", g2->vtcr_t0sz, g2->vtcr_sl0,
				g2->vtcr_tg0);
		fprintf(f, "\n");
	}
	fprintf(f, "  guest root (%s) 0x%llx", s->c.arch_arm ? (upper ? "TTBR1_EL1" : "TTBR0_EL1")
		: "CR3", (unsigned long long)(upper && s->c.arch_arm ? s->s1_kroot : root));
	if (s->c.nested)
		fprintf(f, ", stage-2 root (%s) 0x%llx", s->c.arch_arm ? "VTTBR_EL2" : "EPTP",
			(unsigned long long)s->s2.root);
	fprintf(f, "\n\n%s of VA 0x%llx (ASID %u%s), caches cold:\n",
		access == MMU_ACC_W ? "write" : access == MMU_ACC_X ? "fetch" : "read",
		(unsigned long long)gva, asid, upper ? ", kernel half: a global mapping" : "");
	mmu_step steps[256];
	mmu_req req = { .va = gva, .s1_root = root, .s1_root_upper = s->s1_kroot,
			.s2_root = s->s2.root, .vmid = s->vmid,
			.asid = asid, .access = access, .steps = steps, .max_steps = 256 };
	mmu_result res;
	mmu_translate(v->w, &req, &res);
	for (unsigned i = 0; i < res.nsteps; i++) {
		const mmu_step *st = &steps[i];
		const mmu_geom *g = st->stage == 1 ? g1 : g2;
		if (st->cached) {
			fprintf(f, "  %3u  %-5s %s\n", i + 1, stage_name(s, st->stage), st->what);
			continue;
		}
		char d[200];
		mmu_desc_describe(g, st->level, st->desc, d, sizeof(d));
		fprintf(f, "  %3u  %-5s L%d  table 0x%llx [%3llu] @pa 0x%llx = 0x%016llx  %s\n",
			i + 1, stage_name(s, st->stage), g->arch_level[st->level],
			(unsigned long long)st->table, (unsigned long long)st->index,
			(unsigned long long)st->entry_pa, (unsigned long long)st->desc, d);
	}
	if (res.fault.kind != MMU_FAULT_NONE) {
		fprintf(f, "\n  fault: stage %u level index %u kind %d%s\n", res.fault.stage,
			res.fault.level, res.fault.kind, res.fault.s1ptw ? " (on a stage-1 table access)" : "");
		return TRACE_OK;
	}
	fprintf(f, "\n  -> IPA/GPA 0x%llx, PA 0x%llx; stage-1 leaf %lluK, stage-2 leaf %lluK, "
		"TLB entry %lluK\n", (unsigned long long)res.ipa, (unsigned long long)res.pa,
		(unsigned long long)(1ull << res.s1_shift) >> 10,
		(unsigned long long)(s->c.nested ? (1ull << res.s2_shift) >> 10 : (1ull << res.s1_shift) >> 10),
		(unsigned long long)(1ull << res.shift) >> 10);
	fprintf(f, "  %u memory references (%u stage 1, %u stage 2), %llu cycles at "
		"mem.pte_latency=%u\n", res.refs, res.s1_refs, res.s2_refs,
		(unsigned long long)res.cycles, s->c.mmu.pte_latency);
	return TRACE_OK;
}
