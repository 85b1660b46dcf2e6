/*
 * sim/machine/io.c - PV split-driver I/O over grant tables (see io.h).
 *
 * Sources: ../shared/ARCH-FACTS.md §5 (checked against xen/common/
 * grant_table.c, xen/arch/arm/mm.c, xen/arch/arm/mmu/p2m.c,
 * xen/include/public/arch-arm.h; Linux include/xen/page.h,
 * drivers/xen/grant-table.c, drivers/block/xen-blkback).
 *
 * Model:
 *  - Xen domain ids: the back end is 0 (dom0 or a driver domain, privileged),
 *    the front end 1. Both are translated (Arm, x86 HVM/PVH): a grant is
 *    mapped into the back end's stage 2, never into a PV page table.
 *  - The front end's grant table: Xen-heap frames (grant.version 1 or 2)
 *    placed in its physmap at GUEST_GNTTAB_BASE (0x38000000, public/
 *    arch-arm.h) and in its kernel half at a VA of its own. Each grant it
 *    issues is an entry written through that mapping (a real write access:
 *    TLBs, walker, dirty logging) and the bytes grant_gst_permit lays out at
 *    the machine address the access translated to (checked equal).
 *  - The front end's ring: one 4 KB piece of a page of its RAM, granted to
 *    and mapped by the back end once at setup, laid out as io/ring.h's
 *    shared ring: 64 bytes of indexes and padding, then the entries (blkif
 *    112 bytes: union blkif_sring_entry; netif 12: the TX request), of
 *    which requests take io.ring in turn. A request is a write of its entry
 *    by the front end and a read by the back end; the response the reverse.
 *  - Buffers: io.ring x io.segments buffers of io.segment_bytes in the front
 *    end's RAM (kernel half), each buffer starting on a grant boundary; a
 *    buffer needs ceil(bytes / grant size) grants (4 KB each today:
 *    XEN_PAGE_SIZE, Linux gnttab_foreach_grant; one per 64 KB page with
 *    grant.size=64k, the proposal). A request uses the buffers of its ring
 *    slot. io.write_pct of the requests carry data to the back end (blk
 *    write, net TX: the back end reads, and maps read-only as blkback does
 *    with GNTMAP_readonly); the others carry data back (blk read, net RX:
 *    the back end writes).
 *  - The back end maps grants at guest-physical addresses of its own in a
 *    region its stage 2 never backs with RAM (Linux's unpopulated-alloc of
 *    Xen's extended regions), the upper half of its IPA space, mapped in its
 *    kernel half (its linear map). grant.pack=off gives each grant its own
 *    page of the back end (its granule's page): with 64 KB pages, 60 KB of
 *    guest-physical space per 4 KB grant stay unused (grant.gpa_waste_bytes);
 *    grant.pack=on puts grant-size slots side by side, 16 per 64 KB page,
 *    as the front ends' gnttab_foreach_grant helpers do: a page's unused
 *    part is still waste while any grant is mapped in it (one 4 KB grant
 *    alone wastes 60 KB, packed or not). Slots are reused
 *    last-freed first (a page pool).
 *  - blkif requests (xen/include/public/io/blkif.h; Linux
 *    drivers/block/xen-blkfront.c and xen-blkback/blkback.c): a request
 *    carries at most BLKIF_MAX_SEGMENTS_PER_REQUEST (11) segments, one grant
 *    each. Over that, the front end sends BLKIF_OP_INDIRECT: the segments
 *    (8-byte blkif_request_segment entries, 512 a 4 KB page) go in indirect
 *    pages it grants (read-write, as blkfront's get_indirect_grant) and
 *    writes, at most io.blk.max_indirect_segments of them (blkfront's
 *    max_indirect_segments, default 32) and the back end's
 *    feature-max-indirect-segments (io.blk.feature_max_indirect_segments:
 *    blkback's MAX_INDIRECT_SEGMENTS 256; none for QEMU's qdisk, the copy
 *    mode) - none when the smaller is 11 or less
 *    (blkfront_gather_backend_features). The block layer makes requests of
 *    at most that many grants divided by the grants of a front-end page
 *    physical segments, at least one (blkif_set_queue_limits; a buffer is a
 *    physical segment per front-end page it spans); without indirect
 *    descriptors a 64 KB page's 16 grants go as two requests, 11 and 5
 *    (blkfront's extra request). The back end maps an indirect request's
 *    pages (read-only unless persistent, xen_blkbk_parse_indirect), reads
 *    the entries and unmaps them, then maps the data grants BLKIF_MAX_
 *    SEGMENTS_PER_REQUEST a GNTTABOP_map_grant_ref (xen_blkbk_map) and
 *    unmaps them all in one GNTTABOP_unmap_grant_ref
 *    (xen_blkbk_unmap_and_respond: gnttab_unmap_refs_async); the front end
 *    ends every grant, the indirect pages' too, at the response
 *    (blkif_completion). netif requests carry all their grants, mapped in
 *    one call.
 *  - io.grant_mode: map (blkback without persistent grants: map the
 *    request's grants, touch, unmap them), persistent (blkback's persistent grants:
 *    every buffer is granted read-write and mapped once, on first use, and
 *    stays; the front end copies its data in or out - accesses of its own -
 *    instead), copy (GNTTABOP_copy between the grant and a buffer of the
 *    back end's own RAM, at most 4 KB per op, never across a 4 KB
 *    boundary). io.mode=net carries data back (RX) by copy whatever the
 *    mode (xen-netback's guest RX path is GNTTABOP_copy); persistent is
 *    blkback's only.
 *  - The back end touches each buffer with one 8-byte access every
 *    io.touch_stride bytes, through its own TLBs and walker.
 *  - Each unmap removes the stage-2 entries and invalidates every cached
 *    translation of the back end (hyp_unmap_foreign): on Arm one TLBI
 *    VMALLS12E1IS per unmap op, at p2m_write_unlock (grant.tlb_flushes).
 *  - Costs (grant.cycles): a hypercall (grant.hypercall.cycles) per
 *    GNTTABOP call (the table setup's set_version, setup_table and
 *    get_status_frames too), grant.map/unmap/copy.cycles per op, grant.flush.cycles
 *    per vCPU flushed. The guests' own work is their accesses (translation
 *    cycles); their instructions are not modelled.
 *  - DEVIATION: one request is in flight at a time (the back end serves it
 *    at once; a split request's parts one after the other, each granted,
 *    served and ended in turn). The back end is not dirty
 *    logged (it is not the guest being migrated; Xen logs RAM, not grant
 *    mappings).
 */
#include "io.h"
#include "grant.h"
#include "rng.h"

#include <stdlib.h>
#include <string.h>

#define IO_DOMID_BACKEND   0
#define IO_DOMID_FRONTEND  1
#define GUEST_GNTTAB_BASE  UINT64_C(0x38000000)   /* public/arch-arm.h: 16 MB */
#define GUEST_GNTTAB_SIZE  UINT64_C(0x01000000)
#define REF_RING           GNTTAB_NR_RESERVED_ENTRIES   /* the first free ref */
#define REF_FIRST          (REF_RING + 1)
#define MAX_PERSISTENT     1056u   /* blkback max_persistent_grants */
/* A one-page ring's slots, xen/include/public/io/ring.h __CONST_RING_SIZE:
 * (4096 - 64 bytes of indexes and padding) / the larger of request and
 * response, rounded down to a power of 2 (ring_slots). blkif (io/blkif.h):
 * a request is 112 bytes on x86-64 and arm64 (11 segments of 8 bytes after
 * its header), 36 -> 32; netif (io/netif.h): tx 12-byte requests, 336 ->
 * 256. */
#define RING_HEADER_BYTES  64u    /* io/ring.h: req_prod .. rsp_event, pvt, __pad[44] */
#define BLKIF_ENTRY_BYTES  112u   /* union blkif_sring_entry: struct blkif_request */
#define NETIF_ENTRY_BYTES  12u    /* union netif_tx_sring_entry: struct netif_tx_request */
#define BLKIF_MAX_SEGMENTS_PER_REQUEST 11u       /* io/blkif.h */
#define BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST 8u  /* io/blkif.h */
#define BLKIF_SEGMENT_BYTES 8u    /* struct blkif_request_segment: gref, first/last_sect, pad */
#define RING_ACCESS_BYTES  64u
#define TOUCH_BYTES        8u
#define IO_MAX_POOL        (1u << 20)   /* grants of every buffer, for the arrays */
/* Kernel-half VA offsets of the regions (both domains). */
#define VA_GNTTAB          UINT64_C(0)
#define VA_RING            (UINT64_C(1) << 30)
#define VA_BUFFERS         (UINT64_C(2) << 30)
#define VA_FOREIGN         (UINT64_C(4) << 30)
#define VA_LOCAL           (UINT64_C(16) << 30)   /* past 65537 slots of 64 KB */
#define VA_INDIRECT        (UINT64_C(3) << 30)    /* the front end's indirect pages */

typedef struct io_grant {       /* one grant of a buffer */
	uint32_t ref, handle;
	uint32_t slot;              /* the back end's slot it maps at */
	uint64_t gfn;               /* the front end's first 4 KB frame */
	uint64_t fe_va;             /* where the front end has it */
	uint64_t bytes;             /* of the buffer, in this grant */
	uint32_t buf;               /* the buffer it is of (blkif's physical segments) */
	int mapped, granted;        /* (persistent: stay set) */
} io_grant;

struct io {
	io_cfg c;
	io_env e;
	grant_sys *gs;
	rng r;
	uint64_t next;              /* front-end instructions of the next request */
	uint64_t req;
	/* geometry */
	uint64_t gsize;             /* bytes per grant */
	uint64_t seg_bytes;         /* per buffer */
	unsigned gps;               /* grants per buffer */
	unsigned entry_bytes;       /* a ring entry (io/ring.h, after the 64-byte header) */
	uint64_t stride;            /* back-end GPA per slot */
	uint64_t unit;              /* a back-end page holding slots: max(page, stride) */
	unsigned spu;               /* slots per such page */
	uint64_t *unit_used;        /* [nslots / spu + 1]: grant bytes mapped in each */
	uint64_t fe_kva, be_kva;    /* kernel-half bases */
	uint64_t foreign_gpa;       /* the back end's unpopulated region */
	unsigned nslots;
	uint32_t *free_slots;       /* a stack */
	unsigned nfree;
	unsigned per_req;           /* grants per request */
	io_grant *pool;             /* [ring * per_req]: every buffer's grants */
	io_grant *cur;              /* [per_req]: the request's (map, copy) */
	io_grant **g;               /* [per_req]: the request's grants */
	io_grant **want;            /* [per_req]: of them, to map now */
	io_grant ring;              /* the ring page's grant */
	uint64_t *loc_va;           /* [per_req]: the back end's own buffers (copy) */
	uint64_t *loc_gpa;          /* [per_req * frames per grant]: their 4 KB frames */
	unsigned fpg;               /* 4 KB frames per grant */
	grant_map_op *mop;
	grant_unmap_op *uop;
	grant_copy_op *cop;         /* [per_req * grant size / 4 KB] */
	/* blkif */
	unsigned max_segs;          /* grants a ring request may carry: 11, or the indirect maximum */
	unsigned indirect;          /* negotiated max_indirect_segments (0: none) */
	unsigned psegs;             /* physical segments a block request may have */
	unsigned fe_page_shift;     /* the front end's page */
	unsigned per_ipage;         /* segment entries an indirect page holds */
	unsigned ipr;               /* indirect pages a ring request may need (0: never indirect) */
	io_grant *ind_pool;         /* [ring * ipr]: each ring entry's indirect pages */
	io_grant *ind_cur;          /* [ipr]: a request's, with fresh references (map) */
	io_grant **ig;              /* [ipr]: the request's indirect pages */
	uint64_t ring_reqs;         /* requests put on the ring (their entry: mod io.ring) */
	/* counters */
	uint64_t requests, reads, writes, grants, fe_accesses, be_accesses;
	uint64_t indirect_reqs, indirect_grants, split_reqs;
	uint64_t cycles, flushes, pv_flushes_seen, s2_entries, waste, waste_live, waste_peak;
};

/* ---------------------------------------------------------------- config */

#define CFGERR(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

void io_build_cfg(io_cfg *c, const param_reg *p)
{
	memset(c, 0, sizeof(*c));
	c->mode = param_enum(p, "io.mode");
	c->grant_mode = param_enum(p, "io.grant_mode");
	c->period = (uint64_t)param_int(p, "io.period");
	c->segments = (unsigned)param_int(p, "io.segments");
	c->segment_bytes = (uint64_t)param_int(p, "io.segment_bytes");
	c->write_pct = (unsigned)param_int(p, "io.write_pct");
	c->ring = (unsigned)param_int(p, "io.ring");
	c->touch_stride = (unsigned)param_int(p, "io.touch_stride");
	c->grant_shift = param_enum(p, "grant.size") == 1 ? 16 : 12;
	c->pack = param_enum(p, "grant.pack") == 1;
	c->cont = param_bool(p, "grant.cont");
	c->version = (unsigned)param_int(p, "grant.version");
	c->max_frames = (unsigned)param_int(p, "grant.max_frames");
	c->maptrack_frames = (unsigned)param_int(p, "grant.maptrack_frames");
	c->c_hypercall = (uint64_t)param_int(p, "grant.hypercall.cycles");
	c->c_map = (uint64_t)param_int(p, "grant.map.cycles");
	c->c_unmap = (uint64_t)param_int(p, "grant.unmap.cycles");
	c->c_copy = (uint64_t)param_int(p, "grant.copy.cycles");
	c->c_flush = (uint64_t)param_int(p, "grant.flush.cycles");
	c->seed = (uint64_t)param_int(p, "seed");
	c->fe_max_indirect = (unsigned)param_int(p, "io.blk.max_indirect_segments");
	c->be_max_indirect = (unsigned)param_int(p, "io.blk.feature_max_indirect_segments");
}

/* __CONST_RING_SIZE of a one-page ring of ENTRY-byte entries. */
static unsigned ring_slots(unsigned entry)
{
	unsigned n = (XEN_PAGE_SIZE - RING_HEADER_BYTES) / entry, p = 1;
	while (2 * p <= n)
		p *= 2;
	return p;
}

/* The combinations Xen or the drivers cannot do, by key. */
static int check(const io *x, unsigned pool_grants, char *err, size_t errlen)
{
	const io_cfg *c = &x->c;
	const io_env *e = &x->e;
	if ((uint64_t)c->ring * x->per_req > IO_MAX_POOL)
		CFGERR("io.ring x io.segments x grants per buffer = %llu grants: more than the model "
		       "holds (%u)", (unsigned long long)c->ring * x->per_req, IO_MAX_POOL);
	unsigned fe_page = e->fe_mmu->s1.gran_shift, be_s2 = e->be_mmu->s2.gran_shift;
	unsigned b = e->backend;
	if (c->version == 2 && e->arm)
		CFGERR("grant.version=2: Xen on Arm has grant table v1 only (GNTTAB_MAX_VERSION 1, "
		       "xen/arch/arm/include/asm/grant_table.h)");
	if (c->cont && !e->arm)
		CFGERR("grant.cont=1: the contiguous hint is arm64's (EPT has none)");
	if (c->grant_shift == 16 && fe_page < 16)
		CFGERR("grant.size=64k: a 64 KB grant covers one 64 KB page of the front end, whose "
		       "pages are %u KB (guest.granule)", 1u << (fe_page - 10));
	if (e->fe_mmu->s2.gran_shift != 12)
		CFGERR("host.granule=%uk: the front end's grant-table frames are 4 KB pages of Xen "
		       "that its stage 2 must map one by one (Xen on Arm runs stage 2 with a 4 KB "
		       "granule); domain.%u.host.granule sets the back end's alone",
		       1u << (e->fe_mmu->s2.gran_shift - 10), b);
	if (be_s2 > c->grant_shift || be_s2 == 14)
		CFGERR("domain.%u.host.granule: a %u KB grant cannot be mapped by a stage 2 with a "
		       "%u KB granule (Xen on Arm runs stage 2 with a 4 KB granule)", b,
		       1u << (c->grant_shift - 10), 1u << (be_s2 - 10));
	unsigned slots = ring_slots(x->entry_bytes);
	if (c->ring > slots)
		CFGERR("io.ring=%u: a one-page %s ring holds %u requests (xen/include/public/io/"
		       "ring.h __CONST_RING_SIZE of %s)", c->ring, c->mode == IO_BLK ? "blkif" : "netif",
		       slots, c->mode == IO_BLK ? "112-byte blkif requests" : "netif's 12-byte slots");
	if (c->grant_mode == IO_PERSISTENT && c->mode == IO_NET)
		CFGERR("io.grant_mode=persistent: persistent grants are blkback's (io.mode=blk); "
		       "netback maps or copies");
	if (x->ipr > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST)
		CFGERR("io.blk.max_indirect_segments: a request would need %u indirect pages, more "
		       "than BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST (%u)", x->ipr,
		       BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST);
	if (x->indirect && x->indirect < (1u << fe_page) / x->gsize)
		CFGERR("io.blk.max_indirect_segments and io.blk.feature_max_indirect_segments: the "
		       "smaller, %u, is under the %llu grants of one page of the front end: blkfront "
		       "would send a page in an indirect request of more segments than negotiated",
		       x->indirect, (unsigned long long)((1u << fe_page) / x->gsize));
	unsigned ind = c->ring * x->ipr;   /* the ring entries' indirect pages (persistent) */
	if (c->grant_mode == IO_PERSISTENT && pool_grants + ind > MAX_PERSISTENT)
		CFGERR("io.grant_mode=persistent: io.ring x io.segments buffers need %u grants%s, "
		       "more than blkback keeps (max_persistent_grants %u)", pool_grants + ind,
		       ind ? " with their indirect pages" : "", MAX_PERSISTENT);
	unsigned per_frame = c->version == 1 ? GNT_V1_PER_FRAME : GNT_V2_PER_FRAME;
	unsigned refs = REF_FIRST + (c->grant_mode == IO_PERSISTENT ? pool_grants + ind :
				     c->segments * x->gps + x->ipr);
	if (refs > c->max_frames * per_frame)
		CFGERR("grant.max_frames=%u: the front end needs %u grant references, %u frames of "
		       "v%u entries (io.ring, io.segments, io.segment_bytes)", c->max_frames, refs,
		       (refs + per_frame - 1) / per_frame, c->version);
	if ((uint64_t)c->max_frames * XEN_PAGE_SIZE * (c->version == 2 ? 2 : 1) > GUEST_GNTTAB_SIZE)
		CFGERR("grant.max_frames=%u: the grant table does not fit the 16 MB guest region "
		       "(GUEST_GNTTAB_SIZE)", c->max_frames);
	return 0;
}

/* ---------------------------------------------------------------- domains' side */

static int fe_gfn(void *ctx, uint64_t gfn, uint64_t *pa)
{
	io *x = ctx;
	return hyp_lookup(x->e.fe_h, gfn << XEN_PAGE_SHIFT, pa);
}

static int be_gfn(void *ctx, uint64_t gfn, uint64_t *pa)
{
	io *x = ctx;
	return hyp_lookup(x->e.be_h, gfn << XEN_PAGE_SHIFT, pa);
}

/* create_grant_host_mapping in the back end: its stage 2 at HOST_ADDR. */
static int be_host_map(void *ctx, uint64_t host_addr, const uint64_t *pa, unsigned n,
		       uint32_t flags)
{
	io *x = ctx;
	unsigned perm = MMU_P_R | (flags & GNTMAP_readonly ? 0 : MMU_P_W);
	int k = hyp_map_foreign(x->e.be_h, host_addr, pa, n, perm, x->c.cont);
	if (k < 0)
		return GNTST_general_error;   /* guest_physmap_add_entry failed */
	x->s2_entries += (uint64_t)k;
	return GNTST_okay;
}

static int be_host_unmap(void *ctx, uint64_t host_addr, const uint64_t *pa, unsigned n,
			 uint32_t flags)
{
	(void)pa;
	(void)flags;
	io *x = ctx;
	int v = hyp_unmap_foreign(x->e.be_h, host_addr, n);
	if (v < 0)
		return GNTST_general_error;
	x->flushes++;
	x->cycles += (uint64_t)v * x->c.c_flush;
	return GNTST_okay;
}

static int no_host_map(void *ctx, uint64_t a, const uint64_t *pa, unsigned n, uint32_t f)
{
	(void)ctx; (void)a; (void)pa; (void)n; (void)f;
	return GNTST_general_error;   /* the front end maps nothing */
}

static int heap_frame(void *ctx, uint64_t *pa)
{
	io *x = ctx;
	return hostmem_alloc(x->e.hm, XEN_PAGE_SIZE, pa);
}

/* ---------------------------------------------------------------- accesses */

static int vcpu_access(io *x, unsigned id, unsigned kind, uint64_t va, unsigned size,
		       uint64_t *hpa)
{
	return x->e.access(x->e.access_ctx, id, kind, va, size, hpa);
}

static int fe_access(io *x, unsigned v, unsigned kind, uint64_t va, unsigned size,
		     uint64_t *hpa)
{
	x->fe_accesses++;
	return vcpu_access(x, v, kind, va, size, hpa);
}

static int be_access(io *x, unsigned kind, uint64_t va, unsigned size)
{
	x->be_accesses++;
	return vcpu_access(x, x->e.backend_vcpu, kind, va, size, NULL);
}

/* One access every io.touch_stride bytes of [VA, VA + BYTES). */
static int touch(io *x, int backend, unsigned v, unsigned kind, uint64_t va, uint64_t bytes)
{
	for (uint64_t off = 0; off < bytes; off += x->c.touch_stride) {
		unsigned n = bytes - off < TOUCH_BYTES ? (unsigned)(bytes - off) : TOUCH_BYTES;
		if (backend ? be_access(x, kind, va + off, n) : fe_access(x, v, kind, va + off, n, NULL))
			return -1;
	}
	return 0;
}

/* The front end writes grant REF (domid, frame, flags) through its mapping
 * of the table; the bytes land where the access translated to. */
static int fe_grant(io *x, unsigned v, uint32_t ref, uint64_t gfn, int readonly)
{
	unsigned eb = x->c.version == 1 ? GNT_V1_ENTRY_BYTES : GNT_V2_ENTRY_BYTES;
	uint64_t hpa, pa;
	if (fe_access(x, v, TRACE_W, x->fe_kva + VA_GNTTAB + (uint64_t)ref * eb, eb, &hpa))
		return -1;
	if (grant_entry_pa(x->gs, IO_DOMID_FRONTEND, ref, &pa) || pa != hpa ||
	    grant_gst_permit(x->gs, IO_DOMID_FRONTEND, ref, IO_DOMID_BACKEND, gfn, readonly))
		return sim_errf(x->e.err, TRACE_EINTERNAL, "internal: grant %u of the front end is "
				"not where its table mapping says", ref);
	x->grants++;
	return 0;
}

/* The front end ends grant REF (gnttab_end_foreign_access_ref: a cmpxchg
 * of the flags through its mapping). */
static int fe_end(io *x, unsigned v, uint32_t ref)
{
	unsigned eb = x->c.version == 1 ? GNT_V1_ENTRY_BYTES : GNT_V2_ENTRY_BYTES;
	if (fe_access(x, v, TRACE_W, x->fe_kva + VA_GNTTAB + (uint64_t)ref * eb, 2, NULL))
		return -1;
	grant_gst_end(x->gs, IO_DOMID_FRONTEND, ref);
	return 0;
}

/* ---------------------------------------------------------------- slots */

static uint64_t slot_gpa(const io *x, uint32_t s) { return x->foreign_gpa + s * x->stride; }
static uint64_t slot_va(const io *x, uint32_t s)
{
	return x->be_kva + VA_FOREIGN + s * x->stride;
}

static uint32_t slot_get(io *x) { return x->free_slots[--x->nfree]; }
static void slot_put(io *x, uint32_t s) { x->free_slots[x->nfree++] = s; }

static void charge(io *x, unsigned ops, uint64_t per_op)
{
	x->cycles += x->c.c_hypercall + ops * per_op;
}

/* The waste of a back-end page: the bytes of it no mapped grant holds,
 * once one does - one 4 KB grant alone in a 64 KB page leaves 60 KB unused,
 * packed or not (grant.pack=on only lets the next grants share the page). */
static void unit_add(io *x, uint32_t slot, int map)
{
	uint64_t *u = &x->unit_used[slot / x->spu];
	if (map) {
		x->waste_live = *u ? x->waste_live - x->gsize : x->waste_live + x->unit - x->gsize;
		*u += x->gsize;
	} else {
		*u -= x->gsize;
		x->waste_live = *u ? x->waste_live + x->gsize : x->waste_live - (x->unit - x->gsize);
	}
}

/* GNTTABOP_map_grant_ref of N grants G at their slots (maps that fail stay
 * unmapped, counted by status in grant.errors.*). grant.gpa_waste_bytes
 * adds, per call, the unused bytes of each back-end page its grants went
 * into, as they stand after the call. */
static void map_grants(io *x, io_grant **g, unsigned n, int readonly)
{
	if (!n)
		return;
	for (unsigned i = 0; i < n; i++)
		x->mop[i] = (grant_map_op){ .host_addr = slot_gpa(x, g[i]->slot), .ref = g[i]->ref,
					    .dom = IO_DOMID_FRONTEND,
					    .flags = (uint32_t)(GNTMAP_host_map |
								(readonly ? GNTMAP_readonly : 0)) };
	grant_map(x->gs, IO_DOMID_BACKEND, x->mop, n);
	charge(x, n, x->c.c_map);
	for (unsigned i = 0; i < n; i++) {
		g[i]->mapped = x->mop[i].status == GNTST_okay;
		g[i]->handle = x->mop[i].handle;
		if (g[i]->mapped)
			unit_add(x, g[i]->slot, 1);
	}
	for (unsigned i = 0; i < n; i++) {
		if (!g[i]->mapped)
			continue;
		unsigned j = 0;   /* each page once: the first grant of the call in it */
		while (j < i && !(g[j]->mapped && g[j]->slot / x->spu == g[i]->slot / x->spu))
			j++;
		if (j == i)
			x->waste += x->unit - x->unit_used[g[i]->slot / x->spu];
	}
	if (x->waste_live > x->waste_peak)
		x->waste_peak = x->waste_live;
}

/* GNTTABOP_unmap_grant_ref of those of the N grants G that are mapped (one
 * that fails stays mapped, counted by status). */
static void unmap_grants(io *x, io_grant **g, unsigned n)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		if (g[i]->mapped) {
			x->want[k] = g[i];
			x->uop[k++] = (grant_unmap_op){ .host_addr = slot_gpa(x, g[i]->slot),
							.handle = g[i]->handle };
		}
	if (!k)
		return;
	grant_unmap(x->gs, IO_DOMID_BACKEND, x->uop, k);
	charge(x, k, x->c.c_unmap);
	const grant_counters *gc = grant_stats(x->gs);
	x->flushes += gc->tlb_flushes - x->pv_flushes_seen;   /* PV chunk flushes */
	x->pv_flushes_seen = gc->tlb_flushes;
	for (unsigned i = 0; i < k; i++)
		if (x->uop[i].status == GNTST_okay) {
			x->want[i]->mapped = 0;
			unit_add(x, x->want[i]->slot, 0);
		}
}


/* ---------------------------------------------------------------- requests */

/* The grants of the request in ring slot RS into x->g: fresh references in
 * x->cur (map, copy), or the buffers' own (persistent). */
static void request_grants(io *x, unsigned rs)
{
	for (unsigned i = 0; i < x->per_req; i++) {
		io_grant *pg = &x->pool[(size_t)rs * x->per_req + i];
		if (x->c.grant_mode == IO_PERSISTENT) {
			x->g[i] = pg;
			continue;
		}
		io_grant *c = &x->cur[i];
		*c = *pg;
		c->ref = REF_FIRST + i;
		c->mapped = c->granted = 0;
		x->g[i] = c;
	}
}

/* GNTTABOP_copy between the N grants G (the request's from its grant BASE)
 * and the back end's own buffers, by its own frame numbers (DOMID_SELF): 4
 * KB per op at most, never across a 4 KB boundary. TO_BACKEND: from the
 * front end's grant. One hypercall. */
static void copy_grants(io *x, io_grant **g, unsigned n, unsigned base, int to_backend)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		for (uint64_t off = 0; off < g[i]->bytes; off += XEN_PAGE_SIZE) {
			uint64_t len = g[i]->bytes - off < XEN_PAGE_SIZE ? g[i]->bytes - off : XEN_PAGE_SIZE;
			grant_copy_ptr gr = { .ref = g[i]->ref, .domid = IO_DOMID_FRONTEND,
					      .offset = (uint16_t)off };
			grant_copy_ptr lo = { .ref = x->loc_gpa[(base + i) * x->fpg + off / XEN_PAGE_SIZE] >>
						     XEN_PAGE_SHIFT, .domid = DOMID_SELF };
			x->cop[k++] = (grant_copy_op){
				.source = to_backend ? gr : lo, .dest = to_backend ? lo : gr,
				.len = (uint16_t)len,
				.flags = (uint16_t)(to_backend ? GNTCOPY_source_gref : GNTCOPY_dest_gref) };
		}
	}
	grant_copy(x->gs, IO_DOMID_BACKEND, x->cop, k);
	charge(x, k, x->c.c_copy);
}

/* The grants of the request from FROM (of N) that go on the ring as one
 * request: its number; *IND the indirect pages it needs (0: a plain
 * request). blkif: the block layer's request is the physical segments
 * from FROM (a buffer's grants in one page of the front end), at most
 * x->psegs of them (blkif_set_queue_limits); over 11 grants it is one
 * BLKIF_OP_INDIRECT if indirect descriptors were negotiated, or else
 * blkfront's extra request: 11 grants now, the rest next. netif: all. */
static unsigned next_request(io *x, unsigned from, unsigned n, unsigned *ind)
{
	*ind = 0;
	if (x->c.mode != IO_BLK)
		return n - from;
	io_grant **g = x->g;
	unsigned end = from, segs = 0;
	for (; end < n; end++) {
		if (end == from || g[end]->buf != g[end - 1]->buf ||
		    g[end]->fe_va >> x->fe_page_shift != g[end - 1]->fe_va >> x->fe_page_shift)
			segs++;
		if (segs > x->psegs)
			break;
	}
	unsigned k = end - from;
	if (k <= BLKIF_MAX_SEGMENTS_PER_REQUEST)
		return k;
	if (x->indirect) {
		*ind = (k + x->per_ipage - 1) / x->per_ipage;
		return k;
	}
	x->split_reqs++;
	return BLKIF_MAX_SEGMENTS_PER_REQUEST;
}

/* Map the N grants G not mapped yet (slots from the free ones unless
 * PERSISTENT), READONLY unless persistent; blkif BLKIF_MAX_SEGMENTS_PER_
 * REQUEST a GNTTABOP_map_grant_ref (blkback's xen_blkbk_map), netif all in
 * one. */
static void map_request(io *x, io_grant **g, unsigned n, int persistent, int readonly)
{
	io_grant **want = x->want;
	unsigned m = 0;
	for (unsigned i = 0; i < n; i++)
		if (!g[i]->mapped) {
			if (!persistent)
				g[i]->slot = slot_get(x);
			want[m++] = g[i];
		}
	unsigned b = x->c.mode == IO_BLK ? BLKIF_MAX_SEGMENTS_PER_REQUEST : (m ? m : 1);
	for (unsigned k = 0; k < m; k += b)
		map_grants(x, want + k, m - k < b ? m - k : b, !persistent && readonly);
}

/* Unmap the N grants G in one call and free their slots (not persistent). */
static void unmap_request(io *x, io_grant **g, unsigned n)
{
	unmap_grants(x, g, n);
	for (unsigned i = n; i-- > 0;)
		slot_put(x, g[i]->slot);
}

/* The N grants G (the request's from its grant BASE) as one ring request
 * with NIND indirect pages, the front end on its vCPU V. */
static int ring_request(io *x, unsigned v, io_grant **g, unsigned n, unsigned base,
			unsigned nind, int write, int copy, int persistent)
{
	const io_cfg *c = &x->c;
	unsigned e = (unsigned)(x->ring_reqs++ % c->ring);
	unsigned rb = x->entry_bytes < RING_ACCESS_BYTES ? x->entry_bytes : RING_ACCESS_BYTES;
	uint64_t off = RING_HEADER_BYTES + (uint64_t)e * x->entry_bytes;
	uint64_t ring_fe = x->fe_kva + VA_RING + off, ring_be = slot_va(x, x->ring.slot) + off;
	io_grant **ig = x->ig;
	for (unsigned j = 0; j < nind; j++) {
		io_grant *pg = &x->ind_pool[(size_t)e * x->ipr + j];
		if (persistent) {
			ig[j] = pg;
			continue;
		}
		io_grant *cg = &x->ind_cur[j];
		*cg = *pg;
		cg->ref = REF_FIRST + x->per_req + j;
		cg->mapped = cg->granted = 0;
		ig[j] = cg;
	}
	x->indirect_reqs += nind != 0;
	/* The front end: the indirect pages' grants (read-write: blkfront's
	 * get_indirect_grant) and their segment entries, the data's grants,
	 * the request into the ring. */
	for (unsigned j = 0; j < nind; j++)
		if (!ig[j]->granted) {
			if (fe_grant(x, v, ig[j]->ref, ig[j]->gfn, 0))
				return -1;
			ig[j]->granted = persistent;
			x->indirect_grants++;
		}
	for (unsigned i = 0; i < n; i++)
		if (!g[i]->granted) {
			if (fe_grant(x, v, g[i]->ref, g[i]->gfn, !persistent && write))
				return -1;
			g[i]->granted = persistent;
		}
	for (unsigned i = 0; nind && i < n; i++)
		if (fe_access(x, v, TRACE_W, ig[i / x->per_ipage]->fe_va +
			      (uint64_t)(i % x->per_ipage) * BLKIF_SEGMENT_BYTES, BLKIF_SEGMENT_BYTES, NULL))
			return -1;
	if (fe_access(x, v, TRACE_W, ring_fe, rb, NULL) || be_access(x, TRACE_R, ring_be, rb))
		return -1;
	/* The back end. */
	if (copy) {
		for (unsigned i = 0; !write && i < n; i++)
			if (touch(x, 1, 0, TRACE_W, x->loc_va[base + i], g[i]->bytes))
				return -1;
		copy_grants(x, g, n, base, write);
		for (unsigned i = 0; write && i < n; i++)
			if (touch(x, 1, 0, TRACE_R, x->loc_va[base + i], g[i]->bytes))
				return -1;
	} else {
		if (nind) {
			/* xen_blkbk_parse_indirect: map the pages, read the entries,
			 * unmap the pages (persistent ones stay). */
			map_request(x, ig, nind, persistent, 1);
			for (unsigned i = 0; i < n; i++)
				if (ig[i / x->per_ipage]->mapped &&
				    be_access(x, TRACE_R, slot_va(x, ig[i / x->per_ipage]->slot) +
					      (uint64_t)(i % x->per_ipage) * BLKIF_SEGMENT_BYTES,
					      BLKIF_SEGMENT_BYTES))
					return -1;
			if (!persistent)
				unmap_request(x, ig, nind);
		}
		map_request(x, g, n, persistent, write);
		for (unsigned i = 0; i < n; i++)
			if (g[i]->mapped &&
			    touch(x, 1, 0, write ? TRACE_R : TRACE_W, slot_va(x, g[i]->slot), g[i]->bytes))
				return -1;
		if (!persistent)
			unmap_request(x, g, n);
	}
	/* The response; the front end ends the grants (blkif_completion). */
	if (be_access(x, TRACE_W, ring_be, rb) || fe_access(x, v, TRACE_R, ring_fe, rb, NULL))
		return -1;
	for (unsigned i = 0; !persistent && i < n; i++)
		if (fe_end(x, v, g[i]->ref))
			return -1;
	for (unsigned j = 0; !persistent && j < nind; j++)
		if (fe_end(x, v, ig[j]->ref))
			return -1;
	return 0;
}

/* One request, the front end on its vCPU V: its buffers' grants as one
 * ring request or more (next_request). */
static int request(io *x, unsigned v)
{
	const io_cfg *c = &x->c;
	unsigned rs = (unsigned)(x->req++ % c->ring);
	int write = rng_below(&x->r, 100) < c->write_pct;
	int copy = c->grant_mode == IO_COPY || (c->mode == IO_NET && !write);
	int persistent = c->grant_mode == IO_PERSISTENT;
	io_grant **g = x->g;
	unsigned n = x->per_req;
	x->requests++;
	if (write)
		x->writes++;
	else
		x->reads++;
	request_grants(x, rs);
	/* The front end: data into its persistent buffers. */
	for (unsigned i = 0; persistent && write && i < n; i++)
		if (touch(x, 0, v, TRACE_W, g[i]->fe_va, g[i]->bytes))
			return -1;
	for (unsigned i = 0; i < n;) {
		unsigned ind, k = next_request(x, i, n, &ind);
		if (ring_request(x, v, g + i, k, i, ind, write, copy, persistent))
			return -1;
		i += k;
	}
	/* The front end copies the data out of its persistent buffers. */
	for (unsigned i = 0; persistent && !write && i < n; i++)
		if (touch(x, 0, v, TRACE_R, g[i]->fe_va, g[i]->bytes))
			return -1;
	if (physmem_out_of_memory(x->e.mem))
		return sim_errf(x->e.err, TRACE_ENOMEM, "out of memory (grant tables)");
	return 0;
}

uint64_t io_next(const io *x) { return x->next; }

int io_run(io *x, unsigned id, uint64_t instr)
{
	while (instr >= x->next) {
		if (request(x, id))
			return -1;
		x->next += x->c.period;
	}
	return 0;
}

/* ---------------------------------------------------------------- setup */

/* Map the page of domain (G, H) holding VA (its RAM) and back every 4 KB
 * of the BYTES from VA at stage 2; *GPA (may be NULL) is VA's. */
static int dom_ram(guest *g, hyp *h, uint64_t va, uint64_t bytes, uint64_t *gpa)
{
	for (uint64_t off = 0; off < bytes; off += XEN_PAGE_SIZE) {
		uint64_t ipa;
		if (guest_ensure(g, 0, va + off, &ipa) < 0 || hyp_ensure(h, ipa) < 0)
			return -1;
		if (off == 0 && gpa)
			*gpa = ipa;
	}
	return 0;
}

static int fe_ram(io *x, uint64_t va, uint64_t bytes, uint64_t *gpa)
{
	return dom_ram(x->e.fe_g, x->e.fe_h, va, bytes, gpa);
}

static int be_ram(io *x, uint64_t va, uint64_t bytes, uint64_t *gpa)
{
	return dom_ram(x->e.be_g, x->e.be_h, va, bytes, gpa);
}

/* The front end's grant table: set the version, grow it for REFS, place
 * its frames (and v2's status frames) in the front end's physmap at
 * GUEST_GNTTAB_BASE and in its kernel half. */
static int setup_table_ops(io *x, unsigned refs);

static int setup_table(io *x, unsigned refs)
{
	/* Each table op is a GNTTABOP hypercall (grant.hypercalls counts them):
	 * charged grant.hypercall.cycles each, as the map and unmap calls. */
	uint64_t h0 = grant_stats(x->gs)->hypercalls;
	int rc = setup_table_ops(x, refs);
	x->cycles += (grant_stats(x->gs)->hypercalls - h0) * x->c.c_hypercall;
	return rc;
}

static int setup_table_ops(io *x, unsigned refs)
{
	unsigned v = x->c.version;
	if (grant_set_version(x->gs, IO_DOMID_FRONTEND, &v) || v != x->c.version)
		return sim_errf(x->e.err, TRACE_EINTERNAL, "internal: grant.version=%u refused",
				x->c.version);
	unsigned per = v == 1 ? GNT_V1_PER_FRAME : GNT_V2_PER_FRAME;
	unsigned nf = (refs + per - 1) / per;
	unsigned ns = v == 2 ? (nf * GNT_V2_PER_FRAME + GNT_STATUS_PER_FRAME - 1) /
			       GNT_STATUS_PER_FRAME : 0;
	uint64_t *frames = calloc(nf + ns, sizeof(*frames)), *status = frames + nf;
	if (!frames)
		return sim_errf(x->e.err, TRACE_ENOMEM, "out of memory (grant table)");
	int rc = 0;
	if (grant_setup_table(x->gs, IO_DOMID_FRONTEND, DOMID_SELF, nf, frames) != GNTST_okay ||
	    (ns && grant_get_status_frames(x->gs, IO_DOMID_FRONTEND, DOMID_SELF, ns, status)))
		rc = sim_errf(x->e.err, TRACE_EINTERNAL, "internal: setup_table of %u frames", nf);
	uint64_t st_gpa = GUEST_GNTTAB_BASE + (uint64_t)x->c.max_frames * XEN_PAGE_SIZE;
	for (unsigned i = 0; !rc && i < nf + ns; i++) {
		uint64_t gpa = i < nf ? GUEST_GNTTAB_BASE + (uint64_t)i * XEN_PAGE_SIZE
				      : st_gpa + (uint64_t)(i - nf) * XEN_PAGE_SIZE;
		if (hyp_map_foreign(x->e.fe_h, gpa, &frames[i], 1, MMU_P_R | MMU_P_W, 0) < 0 ||
		    guest_map_at(x->e.fe_g, 0, x->fe_kva + VA_GNTTAB + (gpa - GUEST_GNTTAB_BASE), gpa,
				 MMU_P_R | MMU_P_W) < 0)
			rc = sim_errf(x->e.err, TRACE_EINTERNAL, "internal: cannot place the grant "
				      "table at GPA 0x%llx", (unsigned long long)gpa);
	}
	free(frames);
	return rc;
}

int io_create(io **out, const io_cfg *c, const io_env *env)
{
	*out = NULL;
	io *x = calloc(1, sizeof(*x));
	if (!x)
		return sim_errf(env->err, TRACE_ENOMEM, "out of memory (creating the I/O model)");
	x->c = *c;
	x->e = *env;
	x->next = c->period;
	rng_seed(&x->r, c->seed ^ UINT64_C(0x696f2e6d6f6465));   /* its own stream: "io.mode" */
	const mmu_geom *fs1 = &env->fe_mmu->s1, *bs1 = &env->be_mmu->s1;
	x->gsize = UINT64_C(1) << c->grant_shift;
	x->seg_bytes = c->segment_bytes ? c->segment_bytes : UINT64_C(1) << fs1->gran_shift;
	x->gps = (unsigned)((x->seg_bytes + x->gsize - 1) / x->gsize);
	x->per_req = c->segments * x->gps;
	x->entry_bytes = c->mode == IO_BLK ? BLKIF_ENTRY_BYTES : NETIF_ENTRY_BYTES;
	x->fe_page_shift = fs1->gran_shift;
	if (c->mode == IO_BLK) {
		/* blkfront_gather_backend_features: the smaller of its own maximum
		 * (at least 11: xlblk_init) and the back end's; none when that is
		 * 11 or less. QEMU's qdisk (io.grant_mode=copy) offers none. */
		unsigned fe = c->fe_max_indirect < BLKIF_MAX_SEGMENTS_PER_REQUEST ?
			      BLKIF_MAX_SEGMENTS_PER_REQUEST : c->fe_max_indirect;
		unsigned be = c->grant_mode == IO_COPY ? 0 : c->be_max_indirect;
		unsigned ind = be < fe ? be : fe;
		unsigned gpp = (unsigned)((UINT64_C(1) << fs1->gran_shift) / x->gsize);
		x->indirect = ind > BLKIF_MAX_SEGMENTS_PER_REQUEST ? ind : 0;
		x->max_segs = x->indirect ? x->indirect : BLKIF_MAX_SEGMENTS_PER_REQUEST;
		x->psegs = gpp && x->max_segs / gpp ? x->max_segs / gpp : 1;
		x->per_ipage = (unsigned)(x->gsize / BLKIF_SEGMENT_BYTES);
		unsigned most = x->per_req < x->max_segs ? x->per_req : x->max_segs;
		x->ipr = x->indirect && x->per_req > BLKIF_MAX_SEGMENTS_PER_REQUEST ?
			 (most + x->per_ipage - 1) / x->per_ipage : 0;
	}
	uint64_t be_page = UINT64_C(1) << bs1->gran_shift;
	x->stride = c->pack || be_page < x->gsize ? x->gsize : be_page;
	x->unit = be_page > x->stride ? be_page : x->stride;
	x->spu = (unsigned)(x->unit / x->stride);
	x->fe_kva = ~UINT64_C(0) << (fs1->in_bits - 1);
	x->be_kva = ~UINT64_C(0) << (bs1->in_bits - 1);
	x->foreign_gpa = UINT64_C(1) << (env->be_mmu->s2.in_bits - 1);
	unsigned pool = c->ring * x->per_req;
	char msg[256];
	if (check(x, pool, msg, sizeof(msg))) {
		free(x);
		return sim_errf(env->err, TRACE_EFORMAT, "%s", msg);
	}
	int persistent = c->grant_mode == IO_PERSISTENT;
	x->nslots = 1 + (persistent ? pool + c->ring * x->ipr : x->per_req + x->ipr);
	unsigned cops = x->per_req * (unsigned)(x->gsize / XEN_PAGE_SIZE);
	x->free_slots = calloc(x->nslots, sizeof(*x->free_slots));
	x->unit_used = calloc(x->nslots / x->spu + 1, sizeof(*x->unit_used));
	x->pool = calloc(pool, sizeof(*x->pool));
	x->cur = calloc(x->per_req, sizeof(*x->cur));
	x->g = calloc(x->per_req, sizeof(*x->g));
	x->fpg = (unsigned)(x->gsize / XEN_PAGE_SIZE);
	x->want = calloc(x->per_req, sizeof(*x->want));
	x->loc_va = calloc(x->per_req, sizeof(*x->loc_va));
	x->loc_gpa = calloc((size_t)x->per_req * x->fpg, sizeof(*x->loc_gpa));
	x->mop = calloc(x->per_req + 1, sizeof(*x->mop));
	x->uop = calloc(x->per_req, sizeof(*x->uop));
	x->cop = calloc(cops, sizeof(*x->cop));
	x->ind_pool = calloc((size_t)c->ring * x->ipr + 1, sizeof(*x->ind_pool));
	x->ind_cur = calloc(x->ipr + 1, sizeof(*x->ind_cur));
	x->ig = calloc(x->ipr + 1, sizeof(*x->ig));
	grant_sys_cfg gc = { .max_version = env->arm ? 1 : 2, .grant_shift = c->grant_shift,
			     .alloc_frame = heap_frame, .alloc_ctx = x };
	grant_dom_cfg bd = { .domid = IO_DOMID_BACKEND, .translated = 1, .privileged = 1,
			     .max_frames = c->max_frames, .max_maptrack_frames = c->maptrack_frames };
	grant_dom_cfg fd = { .domid = IO_DOMID_FRONTEND, .translated = 1,
			     .max_frames = c->max_frames, .max_maptrack_frames = c->maptrack_frames };
	grant_dom_ops bo = { be_gfn, be_host_map, be_host_unmap, NULL, x };
	grant_dom_ops fo = { fe_gfn, no_host_map, be_host_unmap, NULL, x };
	if (!x->free_slots || !x->unit_used || !x->pool || !x->cur || !x->g || !x->want || !x->loc_va || !x->loc_gpa ||
	    !x->mop || !x->uop || !x->cop || !x->ind_pool || !x->ind_cur || !x->ig ||
	    grant_sys_create(&x->gs, &gc, env->mem) ||
	    grant_domain_add(x->gs, &bd, &bo) || grant_domain_add(x->gs, &fd, &fo)) {
		io_destroy(x);
		return sim_errf(env->err, TRACE_ENOMEM, "out of memory (creating the I/O model)");
	}
	*out = x;
	/* The front end: table, ring page, buffers. */
	unsigned refs = REF_FIRST + (persistent ? pool + c->ring * x->ipr : x->per_req + x->ipr);
	uint64_t ring_gpa, bstride = (x->seg_bytes + x->gsize - 1) & ~(x->gsize - 1);
	if (setup_table(x, refs) || fe_ram(x, x->fe_kva + VA_RING, x->gsize, &ring_gpa))
		return -1;
	x->ring = (io_grant){ .ref = REF_RING, .gfn = ring_gpa >> XEN_PAGE_SHIFT,
			      .bytes = x->gsize, .slot = 0 };
	for (unsigned b = 0; b < c->ring * c->segments; b++)
		for (unsigned k = 0; k < x->gps; k++) {
			io_grant *g = &x->pool[(size_t)b * x->gps + k];
			uint64_t gpa, left = x->seg_bytes - (uint64_t)k * x->gsize;
			g->fe_va = x->fe_kva + VA_BUFFERS + b * bstride + k * x->gsize;
			g->bytes = left < x->gsize ? left : x->gsize;
			if (fe_ram(x, g->fe_va, x->gsize, &gpa))
				return -1;
			g->gfn = gpa >> XEN_PAGE_SHIFT;
			g->ref = REF_FIRST + (uint32_t)(b * x->gps + k);
			g->slot = 1 + (uint32_t)(b * x->gps + k);
			g->buf = b;
		}
	/* The indirect pages of each ring entry, a page of the front end's
	 * each (blkfront allocates them whole: alloc_page). */
	for (unsigned j = 0; j < c->ring * x->ipr; j++) {
		io_grant *g = &x->ind_pool[j];
		uint64_t gpa;
		g->fe_va = x->fe_kva + VA_INDIRECT + ((uint64_t)j << fs1->gran_shift);
		g->bytes = x->gsize;
		if (fe_ram(x, g->fe_va, x->gsize, &gpa))
			return -1;
		g->gfn = gpa >> XEN_PAGE_SHIFT;
		g->ref = REF_FIRST + pool + j;
		g->slot = 1 + pool + j;
	}
	/* The back end: its unpopulated region in its kernel half, its own
	 * buffers (copy), the free slots (lowest first), the ring mapped. */
	uint64_t region = x->nslots * x->stride;
	region = (region + be_page - 1) & ~(be_page - 1);
	for (uint64_t off = 0; off < region; off += be_page)
		if (guest_map_at(env->be_g, 0, x->be_kva + VA_FOREIGN + off, x->foreign_gpa + off,
				 MMU_P_R | MMU_P_W) < 0)
			return -1;
	for (unsigned i = 0; i < x->per_req; i++) {
		x->loc_va[i] = x->be_kva + VA_LOCAL + (uint64_t)i * x->gsize;
		for (unsigned k = 0; (c->grant_mode == IO_COPY || c->mode == IO_NET) && k < x->fpg; k++)
			if (be_ram(x, x->loc_va[i] + (uint64_t)k * XEN_PAGE_SIZE, XEN_PAGE_SIZE,
				   &x->loc_gpa[i * x->fpg + k]))
				return -1;
	}
	for (unsigned s = x->nslots; s-- > 1;)
		slot_put(x, s);
	/* Connecting the device: the front end grants the ring page, the back
	 * end maps it for good (boot time: no accesses, but the op counts). */
	io_grant *ring = &x->ring;
	if (grant_gst_permit(x->gs, IO_DOMID_FRONTEND, REF_RING, IO_DOMID_BACKEND, x->ring.gfn, 0))
		return sim_errf(env->err, TRACE_EINTERNAL, "internal: cannot grant the ring");
	map_grants(x, &ring, 1, 0);
	if (!x->ring.mapped)
		return sim_errf(env->err, TRACE_EFORMAT, "the back end cannot map the ring: "
				"GNTST_%s (grant.maptrack_frames=%u)",
				grant_status_name(x->mop[0].status), c->maptrack_frames);
	return 0;
}

void io_destroy(io *x)
{
	if (!x)
		return;
	grant_sys_destroy(x->gs);
	free(x->free_slots);
	free(x->unit_used);
	free(x->pool);
	free(x->cur);
	free(x->g);
	free(x->want);
	free(x->loc_va);
	free(x->loc_gpa);
	free(x->mop);
	free(x->uop);
	free(x->cop);
	free(x->ind_pool);
	free(x->ind_cur);
	free(x->ig);
	free(x);
}

/* ---------------------------------------------------------------- stats */

void io_register_stats(io *x, stats_reg *st)
{
	const grant_counters *g = grant_stats(x->gs);
	stats_add(st, "io.requests", &x->requests, "split-driver requests (io.mode)");
	stats_add(st, "io.read_requests", &x->reads, "of them, data to the front end "
		  "(blk read, net RX)");
	stats_add(st, "io.write_requests", &x->writes, "of them, data to the back end "
		  "(blk write, net TX)");
	stats_add(st, "io.grants", &x->grants, "grant entries the front end wrote (guest writes)");
	stats_add(st, "io.ring_requests", &x->ring_reqs, "requests put on the shared ring (blkif: "
		  "a request over BLKIF_MAX_SEGMENTS_PER_REQUEST 11 grants is one BLKIF_OP_INDIRECT, "
		  "or two without indirect descriptors)");
	stats_add(st, "io.indirect_requests", &x->indirect_reqs, "BLKIF_OP_INDIRECT requests "
		  "(io.blk.max_indirect_segments, io.blk.feature_max_indirect_segments)");
	stats_add(st, "io.indirect_grants", &x->indirect_grants, "grants of indirect pages "
		  "(in io.grants; 512 segment entries a 4 KB page)");
	stats_add(st, "io.split_requests", &x->split_reqs, "block requests sent as two (over 11 "
		  "grants without indirect descriptors: blkfront's extra request)");
	stats_add(st, "io.frontend_accesses", &x->fe_accesses, "accesses of the front end for I/O "
		  "(ring, grant entries, persistent copies; in its accesses)");
	stats_add(st, "io.backend_accesses", &x->be_accesses, "accesses of the back end "
		  "(ring, data)");
	stats_add(st, "grant.maps", &g->maps, "GNTTABOP_map_grant_ref ops that succeeded "
		  "(the ring's at connection included)");
	stats_add(st, "grant.unmaps", &g->unmaps, "GNTTABOP_unmap_grant_ref ops that succeeded");
	stats_add(st, "grant.copies", &g->copies, "GNTTABOP_copy ops that succeeded "
		  "(at most 4 KB each)");
	stats_add(st, "grant.hypercalls", &g->hypercalls, "GNTTABOP hypercalls (batches of ops)");
	stats_add(st, "grant.unmap_chunks", &g->unmap_chunks, "unmap chunks of "
		  "GNTTAB_UNMAP_BATCH_SIZE (32)");
	stats_add(st, "grant.tlb_flushes", &x->flushes, "TLB flushes for unmaps: one per p2m "
		  "removal on a translated back end (Arm TLBI VMALLS12E1IS), one per chunk on PV");
	stats_add(st, "grant.stage2_entries", &x->s2_entries, "back-end stage-2 entries written "
		  "by grant maps");
	stats_add(st, "grant.gpa_waste_bytes", &x->waste, "back-end guest-physical bytes reserved "
		  "but not mapped: per map call, the unused bytes of each back-end page its "
		  "grants went into (pack=off: page - grant per grant; pack=on: a page "
		  "partly filled still wastes the rest)");
	stats_add(st, "grant.gpa_waste_peak_bytes", &x->waste_peak, "most such bytes at once");
	stats_add(st, "grant.cycles", &x->cycles, "hypervisor cycles of grant operations "
		  "(hypercalls - the table setup's too - ops, flushes)");
	static const char *const err_names[GNTST_COUNT] = {
		NULL, "grant.errors.general_error", "grant.errors.bad_domain",
		"grant.errors.bad_gntref", "grant.errors.bad_handle", "grant.errors.bad_virt_addr",
		"grant.errors.bad_dev_addr", "grant.errors.no_device_space",
		"grant.errors.permission_denied", "grant.errors.bad_page",
		"grant.errors.bad_copy_arg", "grant.errors.address_too_big",
		"grant.errors.eagain", "grant.errors.no_space",
	};
	for (unsigned i = 1; i < GNTST_COUNT; i++)
		stats_add(st, err_names[i], &g->errors[i], "grant ops that returned this GNTST_ status");
}
