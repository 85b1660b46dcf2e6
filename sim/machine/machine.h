/*
 * sim/machine/machine.h - the simulated machine as a library: one or more domains
 * (VMs) over one physical memory, their vCPUs with TLB hierarchies and
 * walkers, and the one per-access entry point every driver calls (the
 * replay loop, the co-simulation, explain, and what comes: sweeps, SystemC).
 *
 * A machine is built from a validated parameter registry (machine-wide
 * keys, and per-domain keys that "domain.N.<key>" overrides for domain N).
 * Each domain has its own VMID, guest-OS model (stage 1, guest.h),
 * hypervisor model (stage 2, hyp.h) and dirty logging (dirtylog.h); a trace
 * vCPU belongs to the domain vcpu.domain names. A vCPU (vcpu.h) holds its
 * TLBs, walker and walk caches, tagged by VMID, and its logging unit; a
 * driver adds each trace vCPU before its first record (machine_add_vcpu).
 * Physical memory and its allocator are shared.
 *
 * Accesses go in one at a time (machine_access, which says what the access
 * did) or as a batch of trace records (machine_run, the fast path: the same
 * model, no per-access report). Invalidation, dirty-log harvesting,
 * parameters and statistics are verbs here too. A machine owns all of its
 * state: several live side by side in one process and never see each other.
 */
#ifndef SLATSIM_MACHINE_H
#define SLATSIM_MACHINE_H

#include "dirtylog.h"
#include "mmu.h"
#include "param.h"
#include "stats.h"
#include "trace.h"
#include "vcpu.h"

#include <stdint.h>

#define SLATSIM_VERSION "0.1.0"
#define MACHINE_MAX_DOMAINS 64
/* The machine's vCPUs: the trace's (below TRACE_MAX_VCPUS), then the I/O
 * back end's (io.mode; a domain no trace vCPU maps to). */
#define MACHINE_BACKEND_VCPU TRACE_MAX_VCPUS
#define MACHINE_MAX_VCPUS VCPU_MAX

typedef struct machine machine;
struct cosim;

/* Register every parameter of the machine and its rooms (one table,
 * sim/machine/params.c) and the domain.N scope. PARAM_OK, or PARAM_ERR when out of
 * memory. */
int machine_params_register(param_reg *reg);
/* The associativity of translation cache PFX ("tlb.l2", "walkcache.s1",
 * "ntlb") in P: PFX.ways, or with PFX.ways=auto the ways nearest its
 * default that divide PFX.entries into a power-of-two number of sets
 * (tlb_ways_nearest; 0 when none up to the key's maximum does). */
unsigned machine_param_ways(const param_reg *p, const char *pfx);

/* Build a machine from P (which must outlive it). TRACE_OK, or a TRACE_E*
 * code with a message naming the key (bad configuration: TRACE_EFORMAT). */
int machine_create(machine **out, const param_reg *p, char *err, size_t errlen);
void machine_destroy(machine *m);

/* ---------------------------------------------------------------- vCPUs */

/* Add vCPU ID of the trace (below TRACE_MAX_VCPUS; its domain is the one
 * vcpu.domain names): its TLBs, walker, walk caches and nested TLB, data
 * caches and dirty-logging unit (vcpu.h). A driver adds each vCPU once,
 * just before the first record that needs it - an access or a prefetch
 * record (machine_vcpu_needed); an invalidation needs none, as a vCPU not
 * added has cached nothing - so that what it places in host memory (a PML
 * or HDBSS buffer) lies where the trace's order puts it. machine_access and
 * machine_run refuse a record whose vCPU was not added. Adding starts the
 * machine (machine_start) if it was not. The control domain's vCPU
 * (MACHINE_BACKEND_VCPU) comes with the machine. 0 (also if the vCPU
 * exists), or -1 with machine_error(). */
int machine_add_vcpu(machine *m, unsigned id);
/* The index of the first record of B[0..N) that needs a vCPU not added
 * yet, or N. C (may be NULL): the batch's counts (tracestat_count of
 * exactly B[0..N)), whose vCPU mask answers at once when every vCPU of the
 * batch is there. */
struct tracestat_batch;
size_t machine_vcpu_needed(const machine *m, const trace_rec *b, size_t n,
			   const struct tracestat_batch *c);

/* ---------------------------------------------------------------- access */

/* What one access did (machine_access). */
typedef struct machine_result {
	unsigned npages;              /* pages touched (an access may cross into a second) */
	uint64_t gpa[2], hpa[2];      /* per page: where its first byte touched translates */
	unsigned shift[2];            /* per page: log2 of the translation's size */
	uint64_t cycles_translation;  /* TLB lookups and walks */
	uint64_t cycles_faults;       /* guest and host fault handling (not logging's) */
	uint64_t cycles_dirtylog;     /* logging work: exits, faults (the stage-2 faults
				       * logging caused too), drains, a round */
	unsigned walks;               /* page walks (including those that faulted) */
	unsigned faults_guest, faults_host;   /* page faults taken and resolved */
	unsigned log_full_exits;      /* PML log-full exits / HDBSS-full aborts */
	unsigned wp_faults;           /* write-protection faults for dirty logging */
	unsigned rounds;              /* dirty-logging rounds this access ended */
} machine_result;

/* One trace record (an access or an invalidation) into the machine. OUT
 * (may be NULL) says what it did - with io.mode, including what the I/O
 * requests the record brought due did on its vCPU. 0, or -1 with
 * machine_error(). */
int machine_access(machine *m, const trace_rec *r, machine_result *out);

/* One access by vCPU ID (added, or the control domain's) that no trace
 * record holds - the I/O model's (a front end's ring and grant-table
 * writes, the back end's data), slatsim migrate's reads: the path
 * of a record's access (TLBs, walker, faults, dirty logging), counted in the
 * vCPU's accesses but not in the trace's statistics. KIND: TRACE_R/W/X;
 * SIZE at most 65535. OUT (may be NULL): what it did, as machine_access.
 * 0, or -1 with machine_error(). */
int machine_vcpu_access(machine *m, unsigned id, unsigned kind, uint64_t va, unsigned size,
			uint16_t asid, machine_result *out);

/* N records in trace order (their vCPUs added): the fast path. REC_BASE is
 * the trace record number of B[0] (the co-simulation reports it). 0, or -1 with
 * machine_error() and *FAILED the index of the record that failed. A
 * co-simulation mismatch also stops the batch (0; machine_stopped); a
 * stopped machine counts a batch in the trace's statistics and runs none of
 * it, as it counted the rest of the batch it stopped in. */
int machine_run(machine *m, const trace_rec *b, size_t n, uint64_t rec_base, size_t *failed);
/* The same with the batch's trace counts computed once by the caller
 * (tracestat_count of exactly B[0..N)), for several machines fed the same
 * batch (a sweep). */
int machine_run_counted(machine *m, const trace_rec *b, size_t n, uint64_t rec_base,
			const struct tracestat_batch *c, size_t *failed);
/* The same, one record at a time, stopping after the first record that
 * brings DOMAIN's cycles (machine_domain_cycles) to LIMIT or more: a driver
 * whose clock is a guest's (slatsim migrate). *DONE: the records run. */
int machine_run_until(machine *m, const trace_rec *b, size_t n, uint64_t rec_base,
		      unsigned domain, uint64_t limit, size_t *done, size_t *failed);
/* 1 once a co-simulation mismatch stopped the machine. */
int machine_stopped(const machine *m);

/* Map the pages of the accesses in B (sim.prefault): no TLB or walker
 * activity, no faults counted. 0, or -1 with *FAILED. */
int machine_prefault(machine *m, const trace_rec *b, size_t n, size_t *failed);

/* End of the run: the last dirty-logging round of each domain, statistics
 * totalled. 0, or -1 with machine_error(). */
int machine_finish(machine *m);

struct v2p;
/* run --v2p: domain 0's guest OS places the trace's pages where MAP says
 * (it must outlive M). Call before the first access. 0, or -1 with
 * machine_error(). */
int machine_set_v2p(machine *m, const struct v2p *map);

/* A warm-up window ended: from now on every counter counts from zero
 * (gauges such as pt.bytes and tlb.l2.reach_bytes read as they are), and
 * the dirty-logging rounds ended so far are not reported. */
void machine_warm(machine *m);
/* Total the statistics now, as machine_finish does last, without ending a
 * round: the registry then reads what the machine did so far (a driver
 * between accesses: the Python package's Machine.stats). */
void machine_totals(machine *m);

const char *machine_error(const machine *m);
int machine_error_code(const machine *m);   /* TRACE_E* */

/* ---------------------------------------------------------------- verbs */

/* A guest TLB invalidation (a TRACE_INV record of the vCPU's domain). */
void machine_invalidate(machine *m, const trace_rec *inv);
/* Drop every cached translation of DOMAIN on each of its vCPUs (TLBs, walk
 * caches, nested TLB): what INVEPT single-context / TLBI VMALLS12E1 do.
 * Returns the number of vCPUs invalidated. */
unsigned machine_inv_domain(machine *m, unsigned domain);
/* Drop what vCPU ID caches for VA (ASID) and the IPA behind it. */
void machine_inv_vcpu_page(machine *m, unsigned id, uint16_t asid, uint64_t va, uint64_t ipa);
/* Start dirty logging in every domain that has it (once, before the first
 * access; machine_run and machine_access start it themselves). 0 or -1. */
int machine_start(machine *m);
/* End a dirty-logging round of DOMAIN now. 0 or -1. */
int machine_harvest(machine *m, unsigned domain);

/* Cycles of N instructions of vCPU ID at its domain's core.cpi, exactly as
 * cycles.instructions counts them (a driver keeping a vCPU's time: the
 * difference between two instruction counts' cycles). */
uint64_t machine_instr_cycles(const machine *m, unsigned id, uint64_t n);

const param_reg *machine_params(const machine *m);
stats_reg *machine_stats(machine *m);
unsigned machine_domains(const machine *m);
const dl_round *machine_rounds(const machine *m, unsigned domain, size_t *n);
/* The 4 KB GPA page numbers the last round of DOMAIN reported dirty (what
 * machine_harvest found; empty before the first). */
const pageset *machine_last_dirty(const machine *m, unsigned domain);
/* While DOMAIN logs dirty pages, also add every 4 KB GPA page written (by
 * its trace records or the I/O model's accesses) to W until set to NULL: a
 * driver's ground truth, which it empties when it likes. */
void machine_watch_writes(machine *m, unsigned domain, pageset *w);
/* DOMAIN's cycles so far, as cycles.total would total them now: core.cpi x
 * its instructions, translation, faults, dirty logging, memory. Cheap (its
 * vCPUs only): a driver's clock, read after every record. */
uint64_t machine_domain_cycles(const machine *m, unsigned domain);

/* The control domain (domains.control, or the I/O back end): its number,
 * after the trace's domains, with the one vCPU MACHINE_BACKEND_VCPU; or
 * UINT32_MAX when the machine has none. */
unsigned machine_control_domain(const machine *m);
struct guest;
struct hyp;
/* The rooms of DOMAIN (any, the control domain included): its guest OS and
 * its hypervisor (NULL when not virtualized), for a driver that maps foreign
 * frames or populates memory through their verbs (guest.h, hyp.h) - as the
 * I/O model is given them. 0, or -1 if there is no such domain. */
int machine_rooms(machine *m, unsigned domain, struct guest **g, struct hyp **h);

/* Every vCPU's walker reports its memory traffic to FN(CTX, op) from now on
 * (mmu_walker_set_mem_observer; FN NULL: stop): the descriptor reads and
 * A/D writes of each walk and the PML/HDBSS entries written for it, in
 * order, during machine_access / machine_run. */
void machine_set_mem_observer(machine *m, mmu_mem_observer fn, void *ctx);

/* The co-simulation (sim/machine/cosim.h) of every PML unit from now on (set it
 * before the first vCPU is added); *machine_record_no is the record it reports. */
void machine_set_cosim(machine *m, struct cosim *c);
const uint64_t *machine_record_no(const machine *m);

/* ---------------------------------------------------------------- explain */

/* The walks of one access: the first, and one more after each fault the
 * machine handled (at most 16 retries, as on the access path). */
#define MACHINE_WALK_ATTEMPTS 17

/* What a printed walk needs to say about the machine. */
typedef struct machine_walk_info {
	int arm, nested;
	const mmu_geom *s1, *s2;
	uint64_t s1_root, s2_root;
	int upper;                    /* the VA is in the kernel half */
	unsigned pte_latency;
	unsigned walk_fixed, s2_walk_fixed;   /* walk.fixed, walk.s2_fixed */
	unsigned s1_hw;               /* the domain's mmu_config.s1_hw */
	int s2_ad;                    /* stage-2 A/D or DBM by hardware (dirty logging) */
	/* Attempt k's steps follow attempt k-1's in the step array; every
	 * attempt but the last ended in the fault its result holds, which the
	 * guest OS, the hypervisor or its dirty logging handled. */
	unsigned nattempts;
	mmu_result attempt[MACHINE_WALK_ATTEMPTS];
} machine_walk_info;

/* Start the machine (machine_start: dirty logging armed, as before a
 * replay's first record), map GVA as the domain's guest OS and hypervisor
 * would on first touch (logging's rules apply: armed leaves, base pages
 * only under dirtylog.huge=split), invalidate the domain's TLBs and walk
 * caches, then translate GVA on the domain's first vCPU (added here if the
 * driver has not) as the access path does - faults handled and the walk
 * retried - recording up to MAX steps of
 * every attempt. *RES is the last attempt's. 0, or -1 with machine_error().
 * On a machine that replayed a trace, it shows the state the trace left. */
int machine_walk_once(machine *m, unsigned domain, uint64_t gva, unsigned access, uint16_t asid,
		      mmu_step *steps, unsigned max, mmu_result *res, machine_walk_info *info);

#endif
