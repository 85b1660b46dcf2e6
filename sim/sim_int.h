/*
 * sim/sim_int.h - the machine's state, shared by the files of sim/ that make
 * up the driver (sim.c: machine, guest OS, hypervisor mappings, replay;
 * dirtylog.c: the hypervisor's dirty logging). Not a public interface.
 */
#ifndef SLATSIM_SIM_INT_H
#define SLATSIM_SIM_INT_H

#include "sim.h"
#include "mmu.h"
#include "pml.h"
#include "ptbuild.h"
#include "tlb.h"
#include "tracestat.h"
#include "pageset.h"

#define SIM_BATCH 4096
#define GUEST_RAM_BASE UINT64_C(0x40000000)   /* the guest OS allocates from here */

/* ---------------------------------------------------------------- dirty logging */

enum { DL_OFF, DL_WP, DL_PML, DL_DBM, DL_HDBSS };
enum { DL_HUGE_SPLIT, DL_HUGE_WP, DL_HUGE_KEEP };

typedef struct dl_cfg {
	int mode, huge, drain_kvm, flush_all, invalidate, gpt_write;
	uint64_t period, range;
	unsigned hdbss_sz;
	uint64_t c_exit, c_fault, c_split, c_drain, c_log, c_clear, c_scan, c_inval, c_bitmap;
} dl_cfg;

typedef struct dl_state {
	int active;
	uint64_t lo, hi;                /* tracked guest-physical range */
	uint64_t next_round;            /* instruction count that ends the round */
	pageset truth, reported;        /* 4 KB GPA page numbers, this round */
	sim_round *rounds;
	size_t nrounds, cap;
	uint64_t round_cycles_start;
	/* statistics */
	uint64_t n_rounds, true_pages, reported_pages, missed_pages, extra_pages;
	uint64_t pml_logged, pml_full, pml_drained, wp_faults, splits, spurious;
	uint64_t hdbss_logged, hdbss_full, hdbss_drained, rearmed, scanned;
	uint64_t cyc_exits, cyc_faults, cyc_drain, cyc_harvest;
	uint64_t cyc_total;
} dl_state;

/* ---------------------------------------------------------------- state */

typedef struct vcpu {
	tlb *l1i, *l1d, *l2;
	mmu_walker *w;
	pml_unit *pml;                  /* dirtylog.mode=pml */
	hdbss_unit *hdbss;              /* dirtylog.mode=hdbss */
	uint64_t instructions;
	uint64_t cyc_translation, cyc_faults;
} vcpu;

typedef struct sim_cfg {
	int arch_arm, nested;
	unsigned gpage, hpage;          /* policy index in PAGE_CHOICES */
	int gcont;                      /* guest.cont: map contiguous runs (arm64) */
	double backing;
	tlb_config l1i, l1d, l2;
	mmu_config mmu;
	uint64_t cpi_mant;              /* core.cpi exactly: cpi_mant / 10^cpi_exp10 */
	int cpi_exp10;
	uint64_t fault_guest, fault_host;
	uint64_t max_records;
	uint64_t seed;
	int prefault, footprint;
	dl_cfg dl;
} sim_cfg;

struct sim {
	sim_cfg c;
	stats_reg *stats;
	tracestat ts;
	physmem *mem;
	mmu_walker *sw;                 /* functional lookups only */
	vcpu *v[TRACE_MAX_VCPUS];
	vcpu *cur;                      /* the vCPU whose access is being served */
	uint64_t *s1_root;              /* per ASID; 0 = not yet created */
	uint64_t s1_kroot;              /* the kernel half's root (0 = not yet created) */
	uint64_t gpa_next, hpa_next, gpa_limit;
	pt_space s2;
	uint64_t s1_table_bytes;
	uint16_t vmid;
	int oom;                        /* allocation or address space exhausted */
	int err_code;                   /* the first failure's trace error code (0: none) */
	char err[256];
	struct cosim *cosim;            /* run --cosim pml, or NULL */
	uint64_t rec_base;              /* record number of the batch's first record */
	const trace_rec *cur_batch;     /* the batch being replayed */
	uint64_t rec_no;                /* the record being walked (0-based; set on walks) */
	/* counters */
	uint64_t accesses, fault_guest, fault_host, pages_guest, pages_host;
	uint64_t inv[3], inv_bcast;     /* invalidation records by op; broadcasts */
	uint64_t instr_done;            /* instructions of the records replayed so far */
	uint64_t dirty_walks;           /* writes re-walked: entry read-only or clean */
	uint64_t fills[64];
	/* aggregated at the end of a replay (sim_finalize) */
	struct {
		uint64_t l1i_h, l1i_m, l1d_h, l1d_m, l2_h, l2_m, l1d_lookups;
		uint64_t walks, refs, s1_refs, s2_refs, walk_cycles;
		uint64_t wc1_h, wc1_m, wc2_h, wc2_m, nt_h, nt_m;
		uint64_t reach, pt_bytes;
		uint64_t cyc_total, cyc_instr, cyc_trans, cyc_faults;
		uint64_t ad_writes, dirty_walks;
	} a;
	dl_state dl;
	double elapsed;
	trace_rec batch[SIM_BATCH];
};

/* sim.c services dirtylog.c uses. */
int sim_host_alloc(void *ctx, uint64_t bytes, uint64_t *hpa);
/* Record the first failure (message and TRACE_E* code); returns -1. Out of
 * memory of the page-table store turns any code into TRACE_ENOMEM. */
int sim_fail(sim *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* dirtylog.c */
int dl_build_cfg(dl_cfg *c, const param_reg *p, int arm, int nested, char *err, size_t errlen);
int dl_init(sim *s);
void dl_free(sim *s);
/* Create vCPU ID's logging unit; with a co-simulation, attach it (-1 with
 * s->err on failure). */
int dl_vcpu_init(sim *s, vcpu *v, unsigned id);
void dl_vcpu_free(vcpu *v);
int dl_start(sim *s);
int dl_base_only(const sim *s, uint64_t gpa);
int dl_new_leaf(sim *s, uint64_t gpa);
int dl_log_full(sim *s, vcpu *v);
int dl_wp_fault(sim *s, vcpu *v, const mmu_req *req, const mmu_result *res);
int dl_note_write(sim *s, uint64_t gpa, unsigned size);
int dl_round(sim *s);
void dl_register_stats(sim *s);

#endif
