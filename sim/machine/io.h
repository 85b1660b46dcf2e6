/*
 * sim/machine/io.h - PV split-driver I/O (io.mode = blk | net) between the traced
 * guest, the front end (domain 0), and a back-end domain the machine
 * creates for it, over Xen grant tables (model/grant). The model and its
 * sources are at the top of io.c.
 *
 * Every io.period instructions of the front end, a request: the front end
 * writes it into the shared ring and grants its buffers (grant-table writes
 * in its own memory, real accesses through its TLBs and walker); the back
 * end reads the request, maps the grants into its own stage 2 at
 * guest-physical addresses of its own (or copies, or keeps them mapped),
 * touches the data through its own TLBs and walker, unmaps, and answers.
 * The machine calls io_run from the access path; io makes a vCPU access
 * memory only through the port the machine hands down (io_env.access).
 */
#ifndef SLATSIM_IO_H
#define SLATSIM_IO_H

#include "guest.h"
#include "hyp.h"
#include "mmu.h"
#include "param.h"
#include "simerr.h"
#include "stats.h"

typedef struct io io;

enum { IO_OFF, IO_BLK, IO_NET };
enum { IO_MAP, IO_PERSISTENT, IO_COPY };

typedef struct io_cfg {
	int mode;                   /* io.mode */
	int grant_mode;             /* io.grant_mode */
	uint64_t period;            /* io.period: front-end instructions per request */
	unsigned segments;          /* io.segments: buffers per request */
	uint64_t segment_bytes;     /* io.segment_bytes (0: the front end's page) */
	unsigned write_pct;         /* io.write_pct */
	unsigned ring;              /* io.ring: slots of the one-page ring */
	unsigned touch_stride;      /* io.touch_stride */
	unsigned grant_shift;       /* grant.size: 12 or 16 */
	int pack, cont;             /* grant.pack, grant.cont */
	unsigned version;           /* grant.version */
	unsigned max_frames;        /* grant.max_frames */
	unsigned maptrack_frames;   /* grant.maptrack_frames */
	uint64_t c_hypercall, c_map, c_unmap, c_copy, c_flush;
	uint64_t seed;
	unsigned fe_max_indirect;   /* io.blk.max_indirect_segments (blkfront's) */
	unsigned be_max_indirect;   /* io.blk.feature_max_indirect_segments (blkback's) */
} io_cfg;

/* Read the io.* and grant.* parameters (io_create checks them). */
void io_build_cfg(io_cfg *c, const param_reg *p);

/* How the I/O model makes vCPU ID access memory: an access of KIND
 * (TRACE_R/W/X) of SIZE bytes (at most 65535) at VA (ASID 0) on the path of a
 * trace record's (TLBs, walker, faults, dirty logging), counted in the
 * vCPU's accesses. *HPA (may be NULL): where its first byte went. 0, or -1
 * with the failure recorded. */
typedef int (*io_access_fn)(void *ctx, unsigned id, unsigned kind, uint64_t va, unsigned size,
			    uint64_t *hpa);

/* What the I/O model is built over: the two domains' rooms and geometry,
 * and the port through which their vCPUs access memory. */
typedef struct io_env {
	io_access_fn access;
	void *access_ctx;
	physmem *mem;
	hostmem *hm;
	sim_err *err;
	int arm;
	unsigned backend;           /* the back end's domain number (for messages) */
	unsigned backend_vcpu;      /* its vCPU (machine.h MACHINE_BACKEND_VCPU) */
	guest *fe_g, *be_g;
	hyp *fe_h, *be_h;
	const mmu_config *fe_mmu, *be_mmu;
} io_env;

/* Check the combination (a bad one is TRACE_EFORMAT with a message naming
 * the key) and set up: grant tables, the front end's ring and buffers, the
 * back end's ring mapping and its region of unpopulated guest-physical
 * space. 0, or -1 with the failure in ENV->err. */
int io_create(io **out, const io_cfg *c, const io_env *env);
void io_destroy(io *x);

/* The front end's instruction count at which the next request is due. */
uint64_t io_next(const io *x);
/* The front end's vCPU ID has brought the domain to INSTR instructions:
 * issue every request due. 0, or -1 (ENV->err). */
int io_run(io *x, unsigned id, uint64_t instr);

/* io.* and grant.* statistics. */
void io_register_stats(io *x, stats_reg *st);

#endif
