/*
 * sim/machine/cosim.h - lockstep co-simulation of the RTL PML unit
 * (model/pml/rtl/pml_unit.sv, Verilated behind model/pml/rtl/pml_rtl.h)
 * against the C reference model (model/pml/pml.c).
 *
 * Each vCPU's C PML unit gets one RTL instance ("lane"). Every request the
 * walker makes of the C unit and every register write software makes is
 * driven into the lane's RTL the moment it happens; a scoreboard compares
 * the two sides field by field (full exit, logged, the memory write's
 * address and data, the number of writes, the index after; for register
 * writes the read-back) and stops at the first disagreement, keeping what
 * both sides said, the record number and the RTL cycle. A functional
 * coverage table counts the corner cases the issue names. A ring of the
 * last requests per lane lets the waveform of a window around a mismatch
 * (or around the end of the run) be written by replaying that window into a
 * fresh RTL instance from the state both sides agreed on.
 */
#ifndef SLATSIM_COSIM_H
#define SLATSIM_COSIM_H

#include "outfile.h"
#include "pml.h"
#include "stats.h"

#include <stdint.h>
#include <stdio.h>

typedef struct cosim cosim;

typedef struct cosim_cfg {
	unsigned mem_latency;    /* RTL write port: cycles before mem_ready */
	unsigned stall_pct;      /* random back-pressure on the write port, % of cycles */
	uint64_t seed;           /* for the back-pressure */
	int cost_rtl;            /* charge the RTL's latency instead of pml.log.cycles */
	const char *waves;       /* FST file, or NULL */
	int wave_live;           /* dump records wave_lo..wave_hi live; 0: a window instead */
	uint64_t wave_lo, wave_hi;
	unsigned window;         /* requests in the window (0: 64) */
	outset *outs;            /* waveforms are outputs of this set (renamed into
				  * place by cosim_finish); NULL: written in place */
} cosim_cfg;

/* Coverage bins (cosim_cov_name gives the report name). */
enum {
	COV_FIRST_ENTRY_511,     /* an entry written at index 511 */
	COV_ENTRY_0_WRAP,        /* an entry written at index 0: the index wraps to 0xFFFF */
	COV_FULL_EXIT,           /* a log-full response */
	COV_AFTER_FULL,          /* the first request accepted after a log-full exit */
	COV_INDEX_WRITE_MIDWAY,  /* software wrote the index while the log was part full */
	COV_INDEX_WRITE_OUT,     /* software wrote an index outside 0..511 */
	COV_DISABLED,            /* a request with PML disabled */
	COV_BACKPRESSURE,        /* a write that waited for mem_ready */
	COV_RESET_MIDWAY,        /* a reset while a request was in flight */
	COV_LOG_4K, COV_LOG_2M, COV_LOG_1G,   /* entries by leaf size */
	COV_NONLEAF,             /* an A update of a non-leaf entry (never logs) */
	COV_A_ONLY_LEAF,         /* a read's A update of a leaf (never logs) */
	COV_D_ALREADY,           /* a write through a leaf with D already 1 (never logs) */
	COV_NBINS
};
const char *cosim_cov_name(unsigned bin);
uint64_t cosim_cov_hits(const cosim *c, unsigned bin);

/* *RECORD is read whenever a disagreement must say where it happened.
 * Returns TRACE_OK, or a trace error code (TRACE_ENOMEM: out of memory)
 * with a message; a waveform that cannot be an output is refused here. */
int cosim_create(cosim **out, const cosim_cfg *cfg, const uint64_t *record, char *err,
		 size_t errlen);
void cosim_destroy(cosim *c);
/* Co-simulate this vCPU's unit from now on (its current registers are
 * loaded into a fresh RTL instance). -1 with ERR on failure. */
int cosim_attach(cosim *c, pml_unit *p, unsigned vcpu, char *err, size_t errlen);
/* A reset of the vCPU's unit and its RTL while REQUEST (if not NULL) is in
 * flight for CYCLES cycles: the RTL must come back idle with the reset
 * values; the C unit is reset by the caller (for directed tests). */
void cosim_reset_lane(cosim *c, unsigned vcpu, const pml_event *request, unsigned cycles);
/* Read the RTL's PML_ADDRESS and GUEST_PML_INDEX of VCPU's lane (a test of
 * the reset values). -1 if there is no such lane or the RTL refused. */
int cosim_lane_regs(cosim *c, unsigned vcpu, uint64_t *address, uint64_t *index);
/* Set a coverage bin from outside (a test). */
void cosim_cover(cosim *c, unsigned bin);

int cosim_failed(const cosim *c);
/* Print the first disagreement: where, the request, both sides. */
void cosim_print_mismatch(const cosim *c, FILE *f);
/* Print the coverage table: bin, hits, and which bins were never hit. */
void cosim_print_coverage(const cosim *c, FILE *f);
/* Counters: cosim.requests, .logged, .full, .csr_writes, .rtl_cycles,
 * .rtl_latency, .mem_stalls, .mismatches, cosim.cov.<bin>. */
void cosim_register_stats(cosim *c, stats_reg *st);
/* Finish the waveforms: write the window (in window mode), close the live
 * ones, put each in place. TRACE_OK, or a trace error code with ERR. */
int cosim_finish(cosim *c, char *err, size_t errlen);

#endif
