/*
 * sim/machine/params.c - the one parameter table of the machine and its rooms
 * (lib/param.h): name, type, default, unit, range, one-line help with the
 * source of each default. Parameters marked PARAM_F_SCOPED belong to a
 * domain: "domain.N.<key>" overrides them for domain N. The order here is
 * the order of `slatsim params` and of the JSON "config" object.
 */
#include "machine.h"
#include "policy.h"

#define WCP(pfx, ent, ways, lat, src)                                                   \
	{ .name = pfx ".entries", .type = PARAM_INT, .def = #ent, .unit = "entries",      \
	  .min = 0, .max = 1 << 20, .help = "entries (0: absent); " src },                 \
	{ .name = pfx ".ways", .type = PARAM_INT, .def = #ways, .unit = "ways", .min = 1,  \
	  .max = 1024, .flags = PARAM_F_AUTO, .help = "associativity (entries/ways must be a "  \
	  "power of two; at most 1024: a lookup compares every way of a set, as a CAM does, so " \
	  "a million-way array would make a run never finish, and the largest fully-"          \
	  "associative translation arrays built hold about a hundred entries); auto: of the "  \
	  "ways that divide the entries into a power-of-two number of sets, the nearest to "   \
	  "the default (" #ways ") by ratio (2048 entries: 16; 512: 16; "                    \
	  "768: 12); " src },                                                                  \
	{ .name = pfx ".latency", .type = PARAM_INT, .def = #lat, .unit = "cycles",        \
	  .min = 0, .max = 10000, .help = "cycles per lookup; " src }

#define TLBP(pfx, ent, ways, lat, pol, src)                                            \
	WCP(pfx, ent, ways, lat, src),                                                    \
	{ .name = pfx ".policy", .type = PARAM_ENUM, .def = pol, .choices = "lru|plru|random", \
	  .help = "replacement policy" }

#define CACHEP(pfx, sets, ways, lat, src)                                              \
	{ .name = pfx ".sets", .type = PARAM_INT, .def = #sets, .unit = "sets", .min = 0,    \
	  .max = 1 << 24, .flags = PARAM_F_POW2, .help = "sets (a power of two; 0: the level "  \
	  "is absent); " src },                                                            \
	{ .name = pfx ".ways", .type = PARAM_INT, .def = #ways, .unit = "ways", .min = 1,    \
	  .max = 64, .help = "associativity; " src },                                       \
	{ .name = pfx ".latency", .type = PARAM_INT, .def = #lat, .unit = "cycles", .min = 0, \
	  .max = 100000, .help = "load-to-use cycles of an access this level serves; " src }, \
	{ .name = pfx ".policy", .type = PARAM_ENUM, .def = "lru", .choices = "lru|plru|random", \
	  .help = "replacement policy" }

#define SKL "default: Intel Skylake-SP (Intel 64 and IA-32 Optimization Reference Manual 248966, Skylake TLB table)"
#define PSC "default: PDE-cache-like; Intel documents no paging-structure-cache sizes (SDM Vol.3A 4.10.3)"

static const param_def machine_param_defs[] = {
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
	{ .name = "trace.prefetch", .type = PARAM_ENUM, .def = "translate",
	  .choices = "translate|skip", .help = "prefetch records (drmemtrace): translate (looked "
	  "up and walked like a read, filling the TLBs, but counted apart as prefetch.* and not "
	  "charged to the program's TLB misses or cycles; a faulting one is dropped) or skip "
	  "(counted only)" },
	{ .name = "sim.threads", .type = PARAM_INT, .def = "0", .unit = "threads", .min = 0,
	  .max = 2, .help = "1: decode on the replaying thread; 2: a second thread decodes the "
	  "next batches while the first replays, and the first decodes itself when none is ready "
	  "(same statistics; 1.3-1.6x on the shipped capture with a core to spare); 0: 2 where "
	  "it pays - a binary trace (a text one's errors keep their line numbers) and two CPUs "
	  "or more for the process - else 1" },
	{ .name = "arch", .type = PARAM_ENUM, .def = "x86", .choices = "x86|arm64",
	  .help = "x86: 4/5-level paging over EPT; arm64: VMSAv8-64 stage 1 over stage 2" },
	{ .name = "virt", .type = PARAM_ENUM, .def = "nested", .choices = "none|nested",
	  .help = "none: native 1-D walks; nested: guest stage 1 over host stage 2/EPT (2-D walks)" },
	{ .name = "domains", .type = PARAM_INT, .def = "1", .unit = "domains", .min = 1,
	  .max = MACHINE_MAX_DOMAINS, .help = "virtual machines (domains) on the machine, each "
	  "with its own VMID, guest OS (stage 1), hypervisor stage 2 and dirty logging over the "
	  "one physical memory; a per-domain key is set for domain N as domain.N.<key>" },
	{ .name = "domains.control", .type = PARAM_BOOL, .def = "0",
	  .help = "one more domain after the trace's: the control domain (Xen's dom0), with one "
	  "vCPU that no trace vCPU maps to; io.mode's back end and slatsim migrate's toolstack "
	  "(which maps the guest's pages to send them) run there; io.mode and migrate turn it on" },
	{ .name = "domains.control_mode", .type = PARAM_ENUM, .def = "auto",
	  .choices = "auto|pv|translated", .help = "how the control domain maps foreign frames "
	  "(slatsim migrate): pv (x86 PV dom0: HYPERVISOR_mmu_update, REMAP_BATCH_SIZE 16 "
	  "updates a hypercall, one TLB flush per privcmd call; Linux arch/x86/xen/mmu_pv.c), "
	  "translated (an auto-translated dom0 - PVH, HVM, every arm64 dom0 - with its own "
	  "stage 2: XENMEM_add_to_physmap_range per 4 KB frame to map and "
	  "XENMEM_remove_from_physmap per frame to unmap, each removal a p2m update Xen "
	  "flushes; Linux drivers/xen/xlate_mmu.c); auto: pv on x86, translated on arm64 "
	  "(arm64 has no PV mode)" },
	{ .name = "vcpu.domain", .type = PARAM_LIST, .def = "0", .unit = "", .min = 0,
	  .max = MACHINE_MAX_DOMAINS - 1, .help = "the domain of each trace vCPU, vCPU 0's "
	  "first (e.g. 0,1: vCPU 1 runs in domain 1); vCPUs beyond the list are in domain 0" },
	{ .name = "guest.granule", .type = PARAM_ENUM, .def = "4k", .choices = "4k|16k|64k",
	  .flags = PARAM_F_SCOPED, .help = "stage-1 translation granule (x86: 4k only)" },
	{ .name = "guest.va_bits", .type = PARAM_INT, .def = "0", .unit = "bits", .min = 0,
	  .max = 57, .flags = PARAM_F_SCOPED, .help = "guest VA size (0: 48; x86: 48 for 4 levels, 57 for 5)" },
	{ .name = "guest.levels", .type = PARAM_INT, .def = "4", .unit = "levels", .min = 4,
	  .max = 5, .flags = PARAM_F_SCOPED, .help = "x86 paging levels (4 or 5; arm64 derives levels from va_bits)" },
	{ .name = "guest.page", .type = PARAM_ENUM, .def = "base", .choices = POLICY_CHOICES,
	  .flags = PARAM_F_SCOPED, .help = "guest page-size policy: one size; thp (the smallest block size where the "
	  "aligned region is still empty, else the base page); base (the granule's page)" },
	{ .name = "guest.cont", .type = PARAM_BOOL, .def = "0",
	  .flags = PARAM_F_SCOPED, .help = "arm64: each guest fault maps the whole aligned contiguous run around the "
	  "page (physically contiguous, the contiguous hint set), as Linux contpte / mTHP: "
	  "4K granule 16 x 4 KB = 64 KB and 16 x 2 MB = 32 MB; 16K: 128 x 16 KB, 32 x 32 MB; "
	  "64K: 32 x 64 KB, 32 x 512 MB; a TLB entry then covers the run (ARCH-FACTS §3.2)" },
	{ .name = "guest.hw_accessed", .type = PARAM_BOOL, .def = "0",
	  .flags = PARAM_F_SCOPED, .help = "1: the guest OS creates stage-1 entries with the "
	  "accessed flag clear and the walker sets it in each entry it uses: x86 A in every "
	  "paging-structure entry (SDM Vol. 3A 4.8), arm64 AF in leaves (TCR_EL1.HA, "
	  "FEAT_HAFDBS; Arm ARM D8.5.1.2); nested, each update is a write to a guest page-table "
	  "page through stage 2 (a write-protected one faults, a clean one is dirtied and "
	  "logged). 0 (default): the guest creates them accessed, as Linux does (x86 _PAGE_TABLE "
	  "and the PAGE_* protections hold _PAGE_ACCESSED; arm64 PROT_DEFAULT holds PTE_AF), so "
	  "the hardware has none to set" },
	{ .name = "guest.hw_dirty", .type = PARAM_BOOL, .def = "0",
	  .flags = PARAM_F_SCOPED, .help = "1: the guest OS creates writable stage-1 leaves clean "
	  "and the walker sets their dirty state on the first write: x86 D (SDM Vol. 3A 4.8), "
	  "arm64 DBM (TCR_EL1.HD; Arm ARM D8.5.2.1): writable-clean (DBM = 1, AP[2] = 1) and "
	  "the write clears AP[2]; a write through a TLB entry filled clean walks again. arm64: "
	  "only with guest.hw_accessed (HD needs HA). 0 (default): writable leaves are created "
	  "dirty, as Linux maps a faulted anonymous page (mm/memory.c do_anonymous_page: "
	  "pte_mkwrite(pte_mkdirty(entry)) in a VM_WRITE area)" },
	{ .name = "host.granule", .type = PARAM_ENUM, .def = "4k", .choices = "4k|16k|64k",
	  .flags = PARAM_F_SCOPED, .help = "stage-2 translation granule (x86 EPT: 4k only)" },
	{ .name = "host.ipa_bits", .type = PARAM_INT, .def = "0", .unit = "bits", .min = 0,
	  .max = 57, .flags = PARAM_F_SCOPED, .help = "guest-physical (IPA) size (0: 48; EPT: 48 for 4 levels, 57 for 5)" },
	{ .name = "host.levels", .type = PARAM_INT, .def = "4", .unit = "levels", .min = 4,
	  .max = 5, .flags = PARAM_F_SCOPED, .help = "EPT levels (4 or 5; arm64 derives levels from ipa_bits)" },
	{ .name = "host.page", .type = PARAM_ENUM, .def = "thp", .choices = POLICY_CHOICES,
	  .flags = PARAM_F_SCOPED, .help = "host (stage-2) page-size policy, as guest.page; default thp as KVM backing "
	  "guest memory with transparent huge pages (2M on a 4K granule)" },
	{ .name = "host.backing", .type = PARAM_FLOAT, .def = "0", .fmin = 0, .fmax = 1,
	  .flags = PARAM_F_SCOPED, .help = "fraction of host.page-sized regions backed by base pages instead (host "
	  "fragmentation): a guest large page over mixed host pages" },
	TLBP("tlb.l1i", 128, 8, 0, "lru", SKL " ITLB 4K: 128 entries, 8-way; latency hidden in the fetch pipeline"),
	TLBP("tlb.l1d", 64, 4, 0, "lru", SKL " DTLB 4K: 64 entries, 4-way; latency hidden in the load pipeline"),
	TLBP("tlb.l2", 1536, 12, 9, "lru", SKL " STLB: 1536 entries, 12-way, ~9 cycles"),
	{ .name = "tlb.l2.index", .type = PARAM_ENUM, .def = "linear", .choices = "linear|xor",
	  .help = "how a page picks its set among the 2^n: linear, the page number's low n bits; "
	  "xor, those XOR the next n (Intel's shared sTLB: 'XOR-7' over 128 sets on Skylake, "
	  "TLB;DR, Tatar et al., USENIX Security 2022, tool vusec/tlbdr; pages 2^(n+k) apart "
	  "then share 2^(n-k) sets, not one). Default linear: the figures kept since before "
	  "the key; calibrate --fit picks it from the s8 and s512 curves" },
	WCP("walkcache.s1", 32, 4, 2, PSC),
	WCP("walkcache.s2", 32, 4, 2, PSC),
	WCP("ntlb", 32, 4, 2, "nested TLB (GPA->HPA); Cortex-A55 IPA cache RAM is 64 entries 4-way"),
	{ .name = "mem.pte_latency", .type = PARAM_INT, .def = "14", .unit = "cycles",
	  .min = 0, .max = 100000, .help = "cache.model=off: cycles per descriptor read (the flat "
	  "model); default: a Skylake-SP L2 hit (cache.l2.latency's source), where most PTE "
	  "reads hit" },
	{ .name = "walk.fixed", .type = PARAM_INT, .def = "0", .unit = "cycles", .min = 0,
	  .max = 100000, .help = "cycles every page walk costs beyond its walk-cache and "
	  "nested-TLB lookups and descriptor reads (the walker's start, the TLB fill); 0: none, "
	  "as in the models this one is checked against. 'slatsim calibrate --fit' fits it to "
	  "the host (sim/configs/host-*.conf say what it measured)" },
	{ .name = "walk.s2_fixed", .type = PARAM_INT, .def = "0", .unit = "cycles", .min = 0,
	  .max = 100000, .help = "cycles every stage-2 walk (a nested-TLB miss that walks the "
	  "host table, for a guest table page or the final guest-physical address: "
	  "walk.s2_walks) costs beyond its lookups and reads; 0: none. 'slatsim calibrate "
	  "--fit' fits it" },
	{ .name = "cache.model", .type = PARAM_ENUM, .def = "on", .choices = "off|on",
	  .help = "on (the default): per-vCPU L1I/L1D/L2 and a shared LLC (model/mmu/cache.h) "
	  "serve every descriptor read and write of a walk and every data access of the trace "
	  "(page tables compete with the data), each charged the latency of the level that "
	  "served it (data: beyond an L1 hit, cycles.memory); the defaults are one Skylake-SP "
	  "core's (cache.l1i ... cache.mem.latency say where each number comes from). off: the "
	  "flat model, every descriptor read costs mem.pte_latency and data accesses cost nothing "
	  "beyond core.cpi" },
	{ .name = "cache.line", .type = PARAM_INT, .def = "64", .unit = "bytes", .min = 8,
	  .max = 4096, .flags = PARAM_F_POW2, .help = "line size of every level (64 on every "
	  "Intel and AMD core since 2003)" },
	CACHEP("cache.l1i", 64, 8, 4, "default: Skylake-SP 32 KB 8-way (AnandTech 11550 p.4, "
	       "'I keep my cache private'; CPUID leaf 4 of a Cascade Lake Xeon Silver 4216: 8 "
	       "ways, 64 sets, intel-cmt-cat issue 241), 4 cycles as the L1D; 0 sets: fetches "
	       "use the L1D"),
	CACHEP("cache.l1d", 64, 8, 4, "default: Skylake-SP 32 KB 8-way (AnandTech 11550 p.4; "
	       "CPUID leaf 4 as cache.l1i), 4 cycles (measured: AnandTech 11544 p.13, Xeon "
	       "Platinum 8176, LMBench; 14694 p.7, Xeon Platinum 8280)"),
	CACHEP("cache.l2", 1024, 16, 14, "default: Skylake-SP 1 MB 16-way (AnandTech 11550 p.4; "
	       "CPUID leaf 4: 16 ways, 1024 sets), 14 cycles (measured: AnandTech 14694 p.7, Xeon "
	       "Platinum 8280; 14-22 on a Xeon Platinum 8176, 11544 p.13)"),
	CACHEP("cache.llc", 2048, 11, 55, "default: one Skylake-SP core's 1.375 MB 11-way slice "
	       "of the shared non-inclusive L3 (AnandTech 11550 p.4; CPUID leaf 4: 11 ways, 32768 "
	       "sets over the Xeon Silver 4216's 16 cores), 55 cycles (measured 54-56 at 4-8 MB on "
	       "a Xeon Platinum 8176, AnandTech 11544 p.13; 11550 p.4's table gives 77); scale "
	       "sets by the cores sharing it"),
	{ .name = "cache.llc.index", .type = PARAM_ENUM, .def = "linear", .choices = "linear|xor",
	  .help = "how a line picks its LLC set among the 2^n: linear, the line number's low n "
	  "bits; xor, those XOR the next n, so lines at one offset of many pages spread over "
	  "every set, as Intel's L3 spreads them over its slices by XOR-reductions of higher "
	  "address bits (McCalpin, 'Mapping Addresses to L3/CHA Slices in Intel Processors', "
	  "TACC TR-2021-03). Default linear: the figures kept since before the key; calibrate "
	  "--fit tries both with the LLC's size" },
	{ .name = "cache.mem.latency", .type = PARAM_INT, .def = "225", .unit = "cycles",
	  .min = 0, .max = 100000, .help = "load-to-use cycles of an access memory serves; "
	  "default: 90 ns at core.freq_ghz's 2.5 GHz (measured 89-91 ns, 384-512 MB random "
	  "loads, Xeon Platinum 8176 with DDR4-2666: AnandTech 11544 p.13); 'slatsim calibrate' "
	  "measures the host's" },
	{ .name = "core.cpi", .type = PARAM_FLOAT, .def = "1", .unit = "cycles/instr",
	  .fmin = 0, .fmax = 1000, .flags = PARAM_F_SCOPED, .help = "base cycles per instruction without translation "
	  "stalls; set it from a measurement of the workload" },
	{ .name = "core.freq_ghz", .type = PARAM_FLOAT, .def = "2.5", .unit = "GHz",
	  .fmin = 0.1, .fmax = 10, .help = "core clock that turns cycles into time (slatsim "
	  "migrate: the guest's cycles are its clock; slatsim calibrate: the model's cycles "
	  "against measured ns - unless set, calibrate reads /proc/cpuinfo 'cpu MHz' and says "
	  "so); 2.5 GHz, the clock the fault-cost defaults assume" },
	{ .name = "fault.guest.cycles", .type = PARAM_INT, .def = "2500", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .flags = PARAM_F_SCOPED, .help = "guest page-fault handling (anonymous "
	  "first-touch fault, about 1 us on a 2.5 GHz core)" },
	{ .name = "fault.host.cycles", .type = PARAM_INT, .def = "7500", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .flags = PARAM_F_SCOPED, .help = "stage-2 fault: VM exit, hypervisor "
	  "mapping, VM entry (about 3 us on a 2.5 GHz core)" },
	/* Dirty logging (sim/machine/dirtylog.c). */
	{ .name = "dirtylog.mode", .type = PARAM_ENUM, .def = "off",
	  .choices = "off|wp|pml|dbm|hdbss", .flags = PARAM_F_SCOPED, .help = "how the hypervisor tracks written pages: "
	  "wp (stage-2 write-protection, a fault per first write), pml (Intel PML over EPT A/D, "
	  "x86), dbm (Arm stage-2 DBM, page-table scan), hdbss (Arm DBM + HDBSS buffer)" },
	{ .name = "dirtylog.period", .type = PARAM_INT, .def = "0", .unit = "instructions",
	  .min = 0, .max = INT64_MAX, .flags = PARAM_F_SCOPED, .help = "a harvest round every this many instructions "
	  "(the domain's vCPUs, trace order), at least 1000 (a round re-arms every leaf of the "
	  "range: shorter rounds would make a run never finish, and hypervisors harvest every "
	  "few ms); 0: one round at the end of the trace" },
	{ .name = "dirtylog.range", .type = PARAM_SIZE, .def = "0", .unit = "bytes", .min = 0,
	  .max = INT64_C(1) << 52, .flags = PARAM_F_SCOPED, .help = "track only this many bytes from the bottom of guest "
	  "RAM plus dirtylog.range_base (e.g. 16M for a video-RAM range, as Xen's HVM VRAM "
	  "tracking); 0: all guest RAM from there" },
	{ .name = "dirtylog.range_base", .type = PARAM_SIZE, .def = "0", .unit = "bytes",
	  .min = 0, .max = INT64_C(1) << 52, .flags = PARAM_F_SCOPED, .help = "where the "
	  "tracked range starts, in bytes above the bottom of guest RAM, a multiple of 4 KB "
	  "(Xen's HVMOP_track_dirty_vram: first_pfn and nr; a video-RAM BAR is not at the "
	  "bottom of RAM)" },
	{ .name = "dirtylog.flush_all_vcpus", .type = PARAM_BOOL, .def = "1",
	  .flags = PARAM_F_SCOPED, .help = "drain every vCPU's PML/HDBSS buffer before a harvest (Xen "
	  "p2m_flush_hardware_cached_dirty; KVM kicks vCPUs); 0 is unsafe" },
	{ .name = "dirtylog.invalidate", .type = PARAM_BOOL, .def = "1",
	  .flags = PARAM_F_SCOPED, .help = "invalidate TLBs after re-arming (SDM-2016 §28.3.3.4: INVEPT after clearing "
	  "D or W); 0 is unsafe: cached dirty translations never log again" },
	{ .name = "dirtylog.huge", .type = PARAM_ENUM, .def = "split", .choices = "split|wp|keep",
	  .flags = PARAM_F_SCOPED, .help = "large stage-2 pages under logging: split (write-protect, split on the first "
	  "write, map base pages; Xen/KVM), wp (write-protect, report the whole page), keep "
	  "(log like a base page: with pml only one 4 KB GPA per page is logged - unsafe)" },
	{ .name = "dirtylog.policy", .type = PARAM_ENUM, .def = "xen", .choices = "xen|kvm",
	  .flags = PARAM_F_SCOPED, .help = "whose choices the hypervisor makes where Xen and KVM "
	  "differ: what pml.drain, dirtylog.first_write and dirtylog.dbm mean by 'policy' (each "
	  "may be set on its own). xen: drain on log-full and log-dirty operations, a first "
	  "write maps the page armed, DBM on every leaf (Xen on Arm has no log-dirty: the first "
	  "KVM DBM series'); kvm: drain at every exit, a first write maps it dirty, DBM when a "
	  "write fault makes a page writable" },
	{ .name = "dirtylog.first_write", .type = PARAM_ENUM, .def = "policy",
	  .choices = "policy|armed|dirty", .flags = PARAM_F_SCOPED, .help = "a write whose stage-2 "
	  "fault maps a page while logging: armed (the page is mapped armed - Xen types RAM in a "
	  "log-dirty range p2m_ram_logdirty, p2m-ept.c p2m_is_logdirty_range - so with wp the "
	  "write takes a second exit, a write-protection fault) or dirty (mapped writable and "
	  "dirty and reported in the same exit: KVM's make_spte sets D with W and calls "
	  "mark_page_dirty_in_slot; arm64 user_mem_abort maps writable only on a write fault "
	  "while logging and marks it dirty); policy: xen armed, kvm dirty. DEVIATION: a read "
	  "maps armed either way (x86 KVM also maps a read writable and dirty when the host "
	  "page is writable; the model has no host page tables)" },
	{ .name = "dirtylog.dbm", .type = PARAM_ENUM, .def = "policy",
	  .choices = "policy|start|fault", .flags = PARAM_F_SCOPED, .help = "dbm and hdbss: which "
	  "stage-2 leaves get DBM: start (every leaf of the range when logging starts and at "
	  "each re-arm: Keqian Zhu, 'KVM: arm64: Support stage2 hardware DBM', 2020) or fault "
	  "(only a page a write fault makes writable; the others stay write-protected until "
	  "written once: the KVM HDBSS series v2, 2025, user_mem_abort 'if (writable && "
	  "kvm->enable_hdbss && logging_active) prot |= KVM_PGTABLE_PROT_DBM'; also Shameer "
	  "Kolothum's 'SW/HW combined dirty log', 2023); policy: xen start, kvm fault" },
	{ .name = "pml.drain", .type = PARAM_ENUM, .def = "policy", .choices = "policy|xen|kvm",
	  .flags = PARAM_F_SCOPED, .help = "when PML (and HDBSS) buffers are drained: xen (log-full, "
	  "disable, log-dirty operations: ept_vcpu_flush_pml_buffer) or kvm (also at every VM "
	  "exit the model has - EPT violations, its guest OS's table pages' stage-2 faults, "
	  "write-protection faults: __vmx_handle_exit calls vmx_flush_pml_buffer first; the KVM "
	  "HDBSS series' handle_exit calls kvm_flush_hdbss_buffer); policy: dirtylog.policy's" },
	{ .name = "ept.ad_gpt_write", .type = PARAM_BOOL, .def = "1",
	  .flags = PARAM_F_SCOPED, .help = "with EPT A/D on, guest paging-structure accesses are writes: they need W, set "
	  "D and are PML-logged (SDM-2016 §28.2.3.2, §28.2.4); x86 only, Arm has no such rule" },
	{ .name = "hdbss.size", .type = PARAM_SIZE, .def = "4K", .unit = "bytes", .min = 4096,
	  .max = 2097152, .flags = PARAM_F_POW2 | PARAM_F_SCOPED, .help = "HDBSS buffer per vCPU (HDBSSBR_EL2.SZ: "
	  "4 KB << SZ, at most 2 MB as in the KVM HDBSS series); 8 bytes an entry" },
	{ .name = "dirtylog.exit.cycles", .type = PARAM_INT, .def = "1400", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .flags = PARAM_F_SCOPED, .help = "VM exit + entry round trip: ~1,360 cycles "
	  "VMRUN to #VMEXIT measured on AMD EPYC (LKML, Dec 2020, 'KVM: SVM: ... vmsave/vmload'); "
	  "Intel: 'hundreds or thousands of cycles' (Intel blog 'Understanding VM Exits', 2009)" },
	{ .name = "dirtylog.fault.cycles", .type = PARAM_INT, .def = "2000", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .flags = PARAM_F_SCOPED, .help = "hypervisor work for one write-protection "
	  "fault beyond the exit (p2m lookup, type change, bitmap, TLB flush); an estimate: set it "
	  "from a measurement of your hypervisor" },
	{ .name = "dirtylog.split.cycles", .type = PARAM_INT, .def = "20000", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .flags = PARAM_F_SCOPED, .help = "splitting a large stage-2 page: allocate a "
	  "table, write 512 entries, flush (estimate)" },
	{ .name = "pml.drain.cycles", .type = PARAM_INT, .def = "150", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .flags = PARAM_F_SCOPED, .help = "per PML/HDBSS entry drained: read, p2m "
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
	  .min = 0, .max = INT64_C(1) << 40, .flags = PARAM_F_SCOPED, .help = "per leaf cleaned (D or DBM) or "
	  "write-protected at a round end (an atomic update during a table walk; estimate)" },
	{ .name = "dirtylog.scan.cycles", .type = PARAM_INT, .def = "10", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .flags = PARAM_F_SCOPED, .help = "per stage-2 leaf scanned for dirty "
	  "state (dbm without HDBSS; estimate)" },
	{ .name = "dirtylog.invalidate.cycles", .type = PARAM_INT, .def = "2000", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .flags = PARAM_F_SCOPED, .help = "per vCPU per invalidation (INVEPT "
	  "single-context and its IPI; estimate); the refills are modelled by the walker" },
	/* Split-driver I/O over Xen grant tables (sim/machine/io.c, model/grant). */
	{ .name = "io.mode", .type = PARAM_ENUM, .def = "off", .choices = "off|blk|net",
	  .help = "PV split-driver I/O between the traced guest (domain 0, the front end) and a "
	  "back-end domain created for it (numbered after the trace's domains; domain.B.<key> "
	  "sets its own): blk (xen-blkfront/blkback) or net (netfront/netback)" },
	{ .name = "io.period", .type = PARAM_INT, .def = "10000", .unit = "instructions",
	  .min = 1, .max = INT64_MAX, .help = "front-end instructions between requests (an "
	  "estimate of an I/O-bound guest; set it from your workload)" },
	{ .name = "io.segments", .type = PARAM_INT, .def = "1", .unit = "buffers", .min = 1,
	  .max = 256, .help = "buffers per request; blkif puts at most "
	  "BLKIF_MAX_SEGMENTS_PER_REQUEST 11 grants in a request, more in a BLKIF_OP_INDIRECT "
	  "one (io.blk.*), and the block layer splits a request of more segments than that "
	  "allows" },
	{ .name = "io.blk.max_indirect_segments", .type = PARAM_INT, .def = "32",
	  .unit = "segments", .min = 0, .max = 4096, .help = "blkif: the front end's most "
	  "segments (grants) in a BLKIF_OP_INDIRECT request - Linux xen-blkfront's "
	  "max_indirect_segments module parameter, default 32, raised to 11 if lower "
	  "(xlblk_init); it uses the smaller of this and the back end's "
	  "feature-max-indirect-segments, and no indirect request when that is 11 or less "
	  "(blkfront_gather_backend_features). At most 8 indirect pages of 512 entries "
	  "(BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST, xen/include/public/io/blkif.h)" },
	{ .name = "io.blk.feature_max_indirect_segments", .type = PARAM_INT, .def = "256",
	  .unit = "segments", .min = 0, .max = 4096, .help = "blkif: the back end's xenstore "
	  "feature-max-indirect-segments - Linux xen-blkback's MAX_INDIRECT_SEGMENTS 256; 0 for "
	  "a back end without indirect descriptors. io.grant_mode=copy is QEMU's qdisk, which "
	  "offers none, whatever this says" },
	{ .name = "io.segment_bytes", .type = PARAM_SIZE, .def = "0", .unit = "bytes", .min = 0,
	  .max = 1 << 20, .help = "bytes per buffer (0: one page of the front end, 4 KB or "
	  "64 KB); a buffer needs one grant per grant.size" },
	{ .name = "io.write_pct", .type = PARAM_INT, .def = "50", .unit = "%", .min = 0,
	  .max = 100, .help = "share of requests carrying data to the back end (blk write, net "
	  "TX: read-only grants, blkback maps GNTMAP_readonly); the rest carry data back" },
	{ .name = "io.ring", .type = PARAM_INT, .def = "32", .unit = "slots", .min = 1,
	  .max = 256, .flags = PARAM_F_POW2, .help = "slots of the one-page shared ring (blkif: "
	  "32 requests in 4 KB, more refused; netif: 256 - io/ring.h __CONST_RING_SIZE); "
	  "io.ring x io.segments buffers take turns" },
	{ .name = "io.grant_mode", .type = PARAM_ENUM, .def = "map",
	  .choices = "map|persistent|copy", .help = "map (map, touch, unmap per request), "
	  "persistent (blkback's persistent grants: map once, the front end copies), copy "
	  "(GNTTABOP_copy to the back end's own buffers, as qdisk); net RX always copies" },
	{ .name = "io.touch_stride", .type = PARAM_SIZE, .def = "4K", .unit = "bytes", .min = 8,
	  .max = 65536, .flags = PARAM_F_POW2, .help = "the back end touches each buffer with one "
	  "8-byte access per this many bytes (4K: once per 4 KB, which decides every TLB miss; "
	  "64: every cache line, as a memcpy)" },
	{ .name = "grant.size", .type = PARAM_ENUM, .def = "4k", .choices = "4k|64k",
	  .help = "bytes one grant covers: 4k (the ABI: XEN_PAGE_SIZE whatever the guest's page) "
	  "or 64k (the 64 KB-page proposal: one grant per 64 KB page; needs guest.granule=64k)" },
	{ .name = "grant.pack", .type = PARAM_ENUM, .def = "off", .choices = "off|on",
	  .help = "off: the back end gives each mapped grant a page of its own guest-physical "
	  "space (60 KB unused per 4 KB grant with 64 KB pages); on: 16 grants per 64 KB page" },
	{ .name = "grant.cont", .type = PARAM_BOOL, .def = "0",
	  .help = "arm64: a 64 KB grant mapped as 16 x 4 KB stage-2 entries gets the contiguous "
	  "hint when its frames are contiguous (Xen's p2m sets no hint today)" },
	{ .name = "grant.version", .type = PARAM_INT, .def = "1", .min = 1, .max = 2,
	  .help = "the front end's grant table: v1 (8-byte entries) or v2 (16-byte entries, "
	  "status frames; x86 only: Xen on Arm has GNTTAB_MAX_VERSION 1)" },
	{ .name = "grant.max_frames", .type = PARAM_INT, .def = "64", .unit = "frames", .min = 1,
	  .max = 2048, .help = "grant-table frames a domain may have (Xen gnttab_max_frames, "
	  "default 64)" },
	{ .name = "grant.maptrack_frames", .type = PARAM_INT, .def = "1024", .unit = "frames",
	  .min = 1, .max = 1 << 20, .help = "maptrack frames of the back end, 256 handles each "
	  "less the one Xen keeps (gnttab_max_maptrack_frames, default 1024); beyond: "
	  "GNTST_no_space" },
	{ .name = "grant.hypercall.cycles", .type = PARAM_INT, .def = "1400", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per GNTTABOP hypercall: entry and exit, as "
	  "dirtylog.exit.cycles (~1,360 cycles measured VMRUN to #VMEXIT on AMD EPYC, LKML Dec "
	  "2020; an Arm HVC round trip is cheaper: estimate)" },
	{ .name = "grant.map.cycles", .type = PARAM_INT, .def = "1000", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per map op: checks, pin, maptrack, p2m "
	  "insert (estimate)" },
	{ .name = "grant.unmap.cycles", .type = PARAM_INT, .def = "1000", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per unmap op: p2m removal, unpin; the "
	  "flush is grant.flush.cycles (estimate)" },
	{ .name = "grant.copy.cycles", .type = PARAM_INT, .def = "1500", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per copy op (up to 4 KB): claim both "
	  "sides, map_domain_page, memcpy (estimate)" },
	{ .name = "grant.flush.cycles", .type = PARAM_INT, .def = "2000", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per vCPU per TLB flush of an unmap "
	  "(TLBI VMALLS12E1IS or INVEPT and its IPI; as dirtylog.invalidate.cycles, estimate); "
	  "the refills are modelled by the walker" },
	{ .name = "dirtylog.bitmap.cycles", .type = PARAM_INT, .def = "10", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .flags = PARAM_F_SCOPED, .help = "per reported page: dirty-bitmap work "
	  "at harvest (estimate)" },
	/* Live-migration pre-copy (sim/study/migrate.c, slatsim migrate). */
	{ .name = "migrate.map", .type = PARAM_ENUM, .def = "batch",
	  .choices = "per_page|batch|persistent", .help = "how the control domain maps the guest "
	  "pages it sends: per_page (one map call and one TLB flush per 4 KB page), batch (a "
	  "list of migrate.map_batch frames per call, REMAP_BATCH_SIZE 16 updates per hypercall, "
	  "one flush per call: privcmd IOCTL_PRIVCMD_MMAPBATCH_V2), persistent (each page "
	  "mapped once and kept, as a migration helper with a long-lived mapping)" },
	{ .name = "migrate.map_batch", .type = PARAM_INT, .def = "1024", .unit = "frames",
	  .min = 1, .max = 1 << 20, .help = "frames per map call with batch and persistent "
	  "(xc_domain_save's MAX_BATCH_SIZE 1024; the batched-mapping patch measured 1024)" },
	{ .name = "migrate.superpage", .type = PARAM_ENUM, .def = "off",
	  .choices = "off|refcount|mark", .help = "off (default): 4 KB frames only, as the "
	  "batched-mapping patch maps a list of 4 KB frames; or how a 2 MB superpage of the "
	  "guest is mapped as one entry (the PV superpage proposal): refcount (each of its 512 4 KB pages takes a reference, and drops it at the "
	  "unmap: Xen's get_superpage on an unmarked superpage) or mark (the superpage was "
	  "marked, MMUEXT_MARK_SUPER: one reference on it; the proposal reported hugepage "
	  "mapping about 50 times faster); a superpage holding a guest page table cannot be "
	  "marked nor mapped whole (its pages are mapped one by one)" },
	{ .name = "migrate.bandwidth", .type = PARAM_SIZE, .def = "1G", .unit = "bytes/s",
	  .min = 1 << 20, .max = INT64_C(1) << 40, .help = "link rate the pages are sent at "
	  "(1 GiB/s: about a 10 GbE link's payload rate; an estimate: set your link's)" },
	{ .name = "migrate.policy", .type = PARAM_ENUM, .def = "legacy",
	  .choices = "legacy|v2|dirtyset", .help = "when pre-copy stops: legacy (default; Xen <= 4.5 "
	  "tools/libxc/xc_domain_save.c: after live pass N, stop-and-copy when N >= max_iters, "
	  "when the pages the pass sent plus those it skipped are under migrate.stop_pages, or "
	  "when more than migrate.max_factor x the guest's pages were sent; each batch skips "
	  "the pages dirtied again since the pass began, SHADOW_OP_PEEK), v2 (Xen >= 4.6 "
	  "xc_sr_save.c send_domain_memory_live: at most max_iterations 5 live passes, "
	  "stop-and-copy once a pass's dirty count is at most dirty_threshold 50), dirtyset "
	  "(slatsim's earlier rule and default before issue 24, no Xen's: stop when a harvest "
	  "reports fewer than migrate.stop_pages pages, migrate.max_rounds live rounds at most, "
	  "no skip)" },
	{ .name = "migrate.max_factor", .type = PARAM_INT, .def = "3", .unit = "x memory",
	  .min = 0, .max = 1 << 20, .help = "policy=legacy: stop-and-copy once more than this "
	  "many times the guest's pages were sent (xc_domain_save DEF_MAX_FACTOR 3: 'never "
	  "send more than 3x p2m_size'); 0: no such rule" },
	{ .name = "migrate.stop_pages", .type = PARAM_INT, .def = "50", .unit = "pages",
	  .min = 0, .max = INT64_C(1) << 40, .help = "the small-dirty-set rule's threshold: "
	  "legacy: a live pass that sent plus skipped fewer pages is the last live one "
	  "(xc_domain_save 'sent_this_iter+skip_this_iter < 50'); v2: a pass whose dirty "
	  "count is at most this is the last (xc_sr_save dirty_threshold 50); dirtyset: a "
	  "harvest reporting fewer pages" },
	{ .name = "migrate.max_rounds", .type = PARAM_INT, .def = "0", .unit = "rounds",
	  .min = 0, .max = 100000, .help = "live pre-copy passes at most, the first (every "
	  "page) included, then stop-and-copy; 0: the policy's own - legacy 29 "
	  "(xc_domain_save DEF_MAX_ITERS 29, 'limit us to 30 times round loop': 29 live "
	  "passes and the last), v2 5 (xc_sr_save max_iterations), dirtyset 30" },
	{ .name = "migrate.loop", .type = PARAM_BOOL, .def = "1", .help = "replay the trace "
	  "from its start again when it ends before the migration does (counted: "
	  "migrate.loops); 0: the guest then idles" },
	{ .name = "migrate.memory", .type = PARAM_SIZE, .def = "0", .unit = "bytes", .min = 0,
	  .max = INT64_C(1) << 42, .help = "guest RAM populated from the bottom of guest-physical "
	  "memory before the migration, besides the trace's footprint (0: the footprint only): "
	  "a 1 GB guest whose capture touches 20 MB; round 0 sends it all" },
	{ .name = "migrate.call.cycles", .type = PARAM_INT, .def = "783", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per map call (privcmd ioctl); with "
	  "migrate.hypercall.cycles and migrate.frame.cycles fitted to the batched-mapping "
	  "patch's measurement (issue 13): 783 + 3700 + 400 = 4,883 cycles a page one by one "
	  "(5 M per 1024 pages on Linux 3.7; 7.6 M on 2.6), 783 + 64 x 3700 + 1024 x 400 = "
	  "647,183 for 1024 pages in one call (about 650 k)" },
	{ .name = "migrate.hypercall.cycles", .type = PARAM_INT, .def = "3700", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per mapping hypercall of up to 16 updates "
	  "(REMAP_BATCH_SIZE); fitted, see migrate.call.cycles" },
	{ .name = "migrate.frame.cycles", .type = PARAM_INT, .def = "400", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per entry mapped (a 4 KB frame or a 2 MB "
	  "superpage: checks, p2m insert); fitted, see migrate.call.cycles" },
	{ .name = "migrate.unmap.cycles", .type = PARAM_INT, .def = "3700", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per entry unmapped: the patch measured "
	  "3.8 M cycles to unmap 1024 pages (3,711 each); the flush is migrate.flush.cycles" },
	{ .name = "migrate.flush.cycles", .type = PARAM_INT, .def = "2000", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per control-domain vCPU per TLB flush of "
	  "an unmap (as grant.flush.cycles; estimate), but for the first vCPU's flush of a "
	  "per_page or batch chunk: the fitted map costs hold it (the patch's 5 M per 1024 "
	  "pages one by one were two hypercalls a page, the update and the flush); "
	  "persistent's last unmap is charged for every vCPU; the refills are modelled by "
	  "its walker" },
	{ .name = "migrate.send.cycles", .type = PARAM_INT, .def = "17000", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per 4 KB page sent, the sender's own work "
	  "beyond mapping and reading it: writing it to the socket (the copy into the socket "
	  "buffer, the TCP send path; with xl over ssh, ssh's too) and libxc's per-page "
	  "bookkeeping. It overlaps the link: a chunk's transfer takes the longer of its "
	  "pages' send cycles and their time at migrate.bandwidth (on localhost, where the "
	  "seeds migrated, the sender's CPU bounds it). Fitted, an estimate: Linux commit "
	  "4e8c0c8c4bf3 (David Vrabel, 'xen/privcmd: improve performance of MMAPBATCH_V2', "
	  "2015) migrated an idle 12 GiB PV guest in 26.868 s with batched mapping, 8.54 us "
	  "a page, 21,353 cycles at 2.5 GHz, less the model's 4,332 mapping and about 44 "
	  "reading cycles a page; set your host's" },
	{ .name = "migrate.ref.cycles", .type = PARAM_INT, .def = "42", .unit = "cycles",
	  .min = 0, .max = INT64_C(1) << 40, .help = "per page reference taken or dropped "
	  "(get_page_and_type: two atomic updates); with migrate.frame.cycles a marked "
	  "superpage maps (400 + 42) / (400 + 513 x 42) = 1/49.6 as costly as a refcounted "
	  "one, the proposal's 'about 50 times faster' (fitted)" },
};

int machine_params_register(param_reg *reg)
{
	param_scope(reg, "domain", MACHINE_MAX_DOMAINS);
	return param_register(reg, machine_param_defs,
			      sizeof(machine_param_defs) / sizeof(machine_param_defs[0]));
}
