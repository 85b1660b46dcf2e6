/*
 * sim/machine/dirtylog.h - one domain's dirty logging (dirtylog.mode): how its
 * hypervisor learns which guest pages were written, over the hardware of
 * model/ (stage-2 write-protection, Intel PML over EPT A/D, Arm stage-2 DBM
 * with a scan or with HDBSS). The model and its sources are at the top of
 * dirtylog.c.
 *
 * The logging unit of each of the domain's vCPUs (a PML or HDBSS unit) is
 * the vCPU's (vcpu.h, created with it as dirtylog_unit says); this room
 * drains it. The machine calls this room from the access path (faults,
 * log-full exits, writes, round ends) with the vCPU concerned; the
 * hypervisor (hyp.h) with every stage-2 leaf it maps. What it invalidates
 * it asks of the domain's vCPUs (vcpu.h), handed down at creation.
 */
#ifndef SLATSIM_DIRTYLOG_H
#define SLATSIM_DIRTYLOG_H

#include "mmu.h"
#include "pageset.h"
#include "param.h"
#include "ptbuild.h"
#include "simerr.h"
#include "vcpu.h"

typedef struct dirtylog dirtylog;

enum { DL_OFF, DL_WP, DL_PML, DL_DBM, DL_HDBSS };
#define DL_MIN_PERIOD 1000u   /* dirtylog.period: the shortest round (0: one at the end) */
enum { DL_HUGE_SPLIT, DL_HUGE_WP, DL_HUGE_KEEP };

typedef struct dl_cfg {
	int mode, huge, drain_kvm, flush_all, invalidate, gpt_write;
	int first_dirty;            /* dirtylog.first_write=dirty (KVM) */
	int dbm_fault;              /* dirtylog.dbm=fault (the KVM HDBSS series) */
	uint64_t period, range;
	uint64_t range_base;        /* dirtylog.range_base: bytes above the bottom of RAM */
	unsigned hdbss_sz;
	uint64_t c_exit, c_fault, c_split, c_drain, c_log, c_clear, c_scan, c_inval, c_bitmap;
} dl_cfg;

/* One dirty-logging round: what was written, what the mechanism reported,
 * and what the logging cost. */
typedef struct dl_round {
	uint64_t instructions;      /* the domain's instructions retired when it ended */
	uint64_t true_pages;        /* distinct 4 KB GPA pages written (trace) */
	uint64_t reported_pages;    /* 4 KB pages the mechanism reported */
	uint64_t missed_pages;      /* written, not reported */
	uint64_t extra_pages;       /* reported, not written */
	uint64_t cycles;            /* cycles.dirtylog spent in the round */
} dl_round;

typedef struct dl_counters {
	uint64_t n_rounds, true_pages, reported_pages, missed_pages, extra_pages;
	uint64_t pml_logged, pml_full, pml_drained, wp_faults, splits, spurious;
	uint64_t hdbss_logged, hdbss_full, hdbss_drained, rearmed, scanned;
	uint64_t cyc_exits, cyc_faults, cyc_drain, cyc_harvest;
	uint64_t s2_faults, cyc_s2_faults;   /* stage-2 faults logging caused (hyp.h log_faults) */
	uint64_t cyc_total;
} dl_counters;

/* Read the dirtylog.*, pml.*, hdbss.* and ept.ad_gpt_write parameters
 * (dirtylog.policy's choices where a finer key says policy); 0, or -1 with a
 * message naming the key. */
int dirtylog_build_cfg(dl_cfg *c, const param_reg *p, int arm, int nested, char *err,
		       size_t errlen);

/* Logging for a domain over its stage-2 tables S2T (geometry S2; NULL when
 * not virtualized: logging is then off) and its vCPUs VCPUS. 0, or -1 with
 * the failure in E. */
int dirtylog_create(dirtylog **out, const dl_cfg *cfg, const mmu_geom *s2, pt_space *s2t,
		    vcpu_set *vcpus, physmem *mem, sim_err *e);
void dirtylog_destroy(dirtylog *dl);

/* The logging unit each vCPU of a domain logging under CFG carries
 * (dirtylog.mode=pml: a PML unit, hdbss: an HDBSS unit, else none). */
vcpu_unit_cfg dirtylog_unit(const dl_cfg *cfg);

/* Start logging (arm every leaf in the range, invalidate); 0 or -1. */
int dirtylog_start(dirtylog *dl);
int dirtylog_active(const dirtylog *dl);
/* The domain instruction count at which the current round ends. */
uint64_t dirtylog_next_round(const dirtylog *dl);

/* While logging with dirtylog.huge=split, a leaf of BYTES at BASE that
 * would hold part of the tracked range is not mapped: base pages only. */
int dirtylog_base_only(const dirtylog *dl, uint64_t base, uint64_t bytes);
/* A stage-2 leaf was just mapped at GPA: arm it, or pre-set A/D. 0 or -1. */
int dirtylog_new_leaf(dirtylog *dl, uint64_t gpa);
/* vCPU V took a PML log-full exit / HDBSS-full abort: drain. 0 or -1. */
int dirtylog_log_full(dirtylog *dl, vcpu *v);
/* vCPU V took a VM exit that is none of logging's own (a stage-2 fault
 * its guest OS's table pages took): with pml.drain=kvm its PML/HDBSS buffer
 * is drained, as KVM does at every exit. 0 or -1. */
int dirtylog_exit(dirtylog *dl, vcpu *v);
/* vCPU V's stage-2 translation fault (an EPT violation) of REQ, RES was
 * handled; MAPPED: the hypervisor mapped a leaf at RES's IPA. The exit's
 * drain (dirtylog_exit), and with dirtylog.first_write=dirty a write that
 * mapped a leaf in the range makes it writable and dirty and reports it at
 * once. 0 or -1. */
int dirtylog_s2_fault(dirtylog *dl, vcpu *v, const mmu_req *req, const mmu_result *res,
		      int mapped);
/* A stage-2 permission fault of vCPU V: 1 if logging's (handled), 0 if
 * not, -1 on error. */
int dirtylog_wp_fault(dirtylog *dl, vcpu *v, const mmu_req *req, const mmu_result *res);
/* N stage-2 translation faults of the domain's vCPUs were logging's (hyp.h
 * log_faults: pages of a region logging kept from a large leaf, after the
 * region's first): their handling, CYCLES, is logging's cost. */
void dirtylog_caused_faults(dirtylog *dl, uint64_t n, uint64_t cycles);
/* The trace wrote SIZE bytes at GPA (the truth a round compares with). */
int dirtylog_note_write(dirtylog *dl, uint64_t gpa, unsigned size);
/* From now on also add every 4 KB GPA page written while logging to W (a
 * driver's ground truth; NULL: stop). */
void dirtylog_watch(dirtylog *dl, pageset *w);
/* cycles.dirtylog so far (cheap: no totals). */
uint64_t dirtylog_cycles(const dirtylog *dl);
/* End a round at the domain's INSTRUCTIONS: harvest, compare, re-arm. */
int dirtylog_round(dirtylog *dl, uint64_t instructions);

const dl_round *dirtylog_rounds(const dirtylog *dl, size_t *n);
/* The 4 KB GPA page numbers the last round reported (empty before the
 * first): what a migration's next pre-copy round sends. */
const pageset *dirtylog_last_reported(const dirtylog *dl);
/* The counters, with the units' logged entries summed in. */
const dl_counters *dirtylog_counters(dirtylog *dl);

#endif
