/*
 * model/grant/grant.h - Xen grant tables: the hypervisor's ABI and the rules
 * of each operation (GNTTABOP_*), with Xen's status codes.
 *
 * A grant_sys is the hypervisor's grant state for every domain it knows. A
 * domain's shared grant table (v1: 8-byte entries; v2: 16-byte entries and
 * separate status frames) is real bytes in physical memory: frames of the
 * hypervisor's heap (alloc_frame) that the domain maps into its own
 * guest-physical space and writes through its own translation - the model
 * reads and writes the same bytes. The active entries (pin counts) and each
 * mapping domain's maptrack (handles, Xen's free-list rules) are the
 * hypervisor's private state.
 *
 * What is a domain's own business comes in as callbacks (grant_dom_ops): its
 * p2m (where a guest frame lives), and the host mapping of a granted frame
 * (create/replace_grant_host_mapping: on a translated domain a stage-2 entry
 * at a guest-physical address of its own). The model decides which ops
 * succeed, with which status, and when a PV mapper's TLB must be flushed.
 *
 * Sources: grant_hw.h. The rules below follow xen/common/grant_table.c
 * (map_grant_ref, unmap_common, gnttab_unmap_grant_ref, acquire_grant_for_copy,
 * gnttab_copy_*, gnttab_setup_table, gnttab_query_size, gnttab_set_version,
 * gnttab_get_status_frames, get_maptrack_handle) and xen/arch/arm/mm.c
 * (create_grant_host_mapping accepts GNTMAP_host_map [| readonly] only).
 *
 * Modelling assumptions:
 *  - Each domain maps from one vCPU: one maptrack free list (Xen keeps one
 *    per vCPU and steals between them). As in Xen, the last free handle of
 *    the list is never handed out, so F maptrack frames hold 256 F - 1
 *    mappings.
 *  - Hypercalls are not preempted (Xen may return early with a continuation;
 *    the ops done are the same).
 *  - Domains never die, so an unmap never finds its granter gone.
 *  - Transitive grants (v2) are refused by map, as in Xen, and by copy
 *    (DEVIATION: Xen copies through one level of transitivity; not modelled).
 *  - GNTTABOP_transfer, dump_table, unmap_and_replace, swap_grant_ref and
 *    cache_flush are not modelled.
 *  - grant_shift 16 models the proposal of 64 KB grants (one grant covers a
 *    naturally aligned 64 KB run of sixteen 4 KB guest frames; the frame
 *    field still holds a 4 KB GFN). A copy op still never crosses a 4 KB
 *    boundary (Xen's PAGE_SIZE); its offset may address the whole grant.
 */
#ifndef SLATSIM_GRANT_H
#define SLATSIM_GRANT_H

#include <stddef.h>
#include <stdint.h>

#include "grant_hw.h"
#include "mmu.h"

typedef struct grant_sys grant_sys;

/* Xen errno values some ops return instead of a GNTST code (public/errno.h). */
enum { GNT_EBUSY = 16, GNT_EINVAL = 22, GNT_ERANGE = 34, GNT_ENOSYS = 38 };

typedef struct grant_sys_cfg {
	unsigned max_version;       /* GNTTAB_MAX_VERSION: 2 (x86), 1 (Arm) */
	unsigned grant_shift;       /* 12: the ABI; 16: 64 KB grants (proposal) */
	/* A fresh (zero) 4 KB frame of the hypervisor's heap: 0, or -1. */
	int (*alloc_frame)(void *ctx, uint64_t *pa);
	void *alloc_ctx;
} grant_sys_cfg;

/* A domain's side of grant operations. */
typedef struct grant_dom_ops {
	/* Its p2m: the machine address of 4 KB guest frame GFN; 0, or -1 when
	 * the frame is not its RAM (get_paged_frame: GNTST_bad_page). */
	int (*gfn_to_pa)(void *ctx, uint64_t gfn, uint64_t *pa);
	/* create_grant_host_mapping: map the N 4 KB frames PA[0..N-1] (one
	 * grant) at HOST_ADDR (translated: a guest-physical address of this
	 * domain; PV: a virtual address) with FLAGS (GNTMAP_*). GNTST_*. */
	int (*host_map)(void *ctx, uint64_t host_addr, const uint64_t *pa, unsigned n,
			uint32_t flags);
	/* replace_grant_host_mapping (no replacement): remove it. On a
	 * translated domain the removal does the invalidation it needs itself.
	 * GNTST_*. */
	int (*host_unmap)(void *ctx, uint64_t host_addr, const uint64_t *pa, unsigned n,
			  uint32_t flags);
	/* gnttab_flush_tlb: flush this domain's TLBs (called for PV domains
	 * only, once per chunk of GNTTAB_UNMAP_BATCH_SIZE unmaps). */
	void (*flush_tlb)(void *ctx);
	void *ctx;
} grant_dom_ops;

typedef struct grant_dom_cfg {
	uint16_t domid;
	int translated;             /* paging_mode_external: HVM, PVH, every Arm guest */
	int privileged;             /* may name another domain (setup, query) */
	unsigned max_frames;        /* gnttab_max_frames */
	unsigned max_maptrack_frames;   /* gnttab_max_maptrack_frames */
} grant_dom_cfg;

/* -------------------------------------------------------------- ops */

typedef struct grant_map_op {       /* struct gnttab_map_grant_ref */
	uint64_t host_addr;         /* IN */
	uint32_t flags;             /* IN: GNTMAP_* */
	uint32_t ref;               /* IN: grant_ref_t */
	uint16_t dom;               /* IN: the granting domain */
	int16_t status;             /* OUT: GNTST_* */
	uint32_t handle;            /* OUT: maptrack handle */
	uint64_t dev_bus_addr;      /* OUT: machine address of the (first) frame */
} grant_map_op;

typedef struct grant_unmap_op {     /* struct gnttab_unmap_grant_ref */
	uint64_t host_addr;         /* IN: 0 leaves the host mapping alone */
	uint64_t dev_bus_addr;      /* IN: 0, or must match the frame */
	uint32_t handle;            /* IN */
	int16_t status;             /* OUT */
} grant_unmap_op;

typedef struct grant_copy_ptr {
	uint64_t ref;               /* a grant ref (GNTCOPY_*_gref) or a GMFN */
	uint16_t domid;
	uint16_t offset;
} grant_copy_ptr;

typedef struct grant_copy_op {      /* struct gnttab_copy */
	grant_copy_ptr source, dest;   /* IN */
	uint16_t len, flags;        /* IN: GNTCOPY_* */
	int16_t status;             /* OUT */
	uint64_t src_pa, dst_pa;    /* OUT (the model's): machine addresses copied */
} grant_copy_op;

typedef struct grant_counters {
	uint64_t hypercalls;        /* GNTTABOP calls */
	uint64_t maps, unmaps, copies;  /* ops that returned GNTST_okay */
	uint64_t unmap_chunks;      /* GNTTAB_UNMAP_BATCH_SIZE chunks */
	uint64_t tlb_flushes;       /* gnttab_flush_tlb calls that flushed (PV) */
	uint64_t errors[GNTST_COUNT];   /* ops by -status (index 0: unused) */
} grant_counters;

/* A decoded shared entry (and, v2, its status). */
typedef struct grant_entry {
	uint16_t flags, domid;
	uint64_t frame;             /* v1: 32 bits; v2 full_page / sub_page: 64 */
	uint16_t page_off, length;  /* v2 sub_page */
	uint16_t trans_domid;       /* v2 transitive */
	uint32_t trans_gref;
	uint16_t status;            /* v2: the status frame's entry; v1: flags */
} grant_entry;

/* ------------------------------------------------------------ lifecycle */

/* 0, or -1 out of memory. MEM holds the shared tables' bytes. */
int grant_sys_create(grant_sys **out, const grant_sys_cfg *cfg, physmem *mem);
void grant_sys_destroy(grant_sys *s);
/* A domain comes to exist with INITIAL_NR_GRANT_FRAMES v1 frames. 0, or -1
 * (out of memory, or the domid is taken or reserved). */
int grant_domain_add(grant_sys *s, const grant_dom_cfg *c, const grant_dom_ops *ops);

/* -------------------------------------------------------- hypercalls */

/* GNTTABOP_map_grant_ref by domain CALLER: every op's status (and handle). */
void grant_map(grant_sys *s, uint16_t caller, grant_map_op *ops, unsigned n);
/* GNTTABOP_unmap_grant_ref: chunks of GNTTAB_UNMAP_BATCH_SIZE; after each
 * chunk's unmaps a PV caller's TLBs are flushed, then the chunk completes
 * (pins dropped, GTF_reading/writing cleared). */
void grant_unmap(grant_sys *s, uint16_t caller, grant_unmap_op *ops, unsigned n);
/* GNTTABOP_copy: each op claims its source (read) and destination (write)
 * and copies at most to the end of a 4 KB page (GNTST_bad_copy_arg). */
void grant_copy(grant_sys *s, uint16_t caller, grant_copy_op *ops, unsigned n);
/* GNTTABOP_setup_table for DOM (or DOMID_SELF): grow to NR_FRAMES and
 * return the frames' machine addresses (FRAMES may be NULL). GNTST_*. */
int grant_setup_table(grant_sys *s, uint16_t caller, uint16_t dom, unsigned nr_frames,
		      uint64_t *frames);
/* GNTTABOP_query_size. GNTST_*. */
int grant_query_size(grant_sys *s, uint16_t caller, uint16_t dom, unsigned *nr_frames,
		     unsigned *max_frames);
/* GNTTABOP_set_version of CALLER's table: 0 and *VERSION the version in
 * effect, or -GNT_EINVAL (not 1 or 2), -GNT_ENOSYS (v2 where the maximum is
 * 1), -GNT_EBUSY (a non-reserved entry is in use). The first 8 entries
 * are kept; the rest of the table is cleared. */
int grant_set_version(grant_sys *s, uint16_t caller, unsigned *version);
/* GNTTABOP_get_status_frames (v2). GNTST_*. */
int grant_get_status_frames(grant_sys *s, uint16_t caller, uint16_t dom, unsigned nr,
			    uint64_t *frames);
/* GNTTABOP_get_version; 0 for an unknown domain. */
unsigned grant_get_version(const grant_sys *s, uint16_t dom);

/* ------------------------------------------------- the guest's own side */

/* Machine address of entry REF of DOM's shared table (where the guest's
 * write lands); 0, or -1 if REF is beyond the table. */
int grant_entry_pa(const grant_sys *s, uint16_t dom, uint32_t ref, uint64_t *pa);
/* Linux gnttab_grant_foreign_access_ref: write domid and frame, then the
 * flags (GTF_permit_access [| GTF_readonly]). 0, or -1 (bad ref). */
int grant_gst_permit(grant_sys *s, uint16_t dom, uint32_t ref, uint16_t to, uint64_t gfn,
		     int readonly);
/* v2 sub-page grant of [OFF, OFF+LEN) of GFN (copy only). 0 or -1. */
int grant_gst_sub_page(grant_sys *s, uint16_t dom, uint32_t ref, uint16_t to, uint64_t gfn,
		       uint16_t off, uint16_t len, int readonly);
/* End an unused grant (flags to 0). 0, 1 if still mapped or being copied
 * (GTF_reading / GTF_writing: it stays), -1 bad ref. */
int grant_gst_end(grant_sys *s, uint16_t dom, uint32_t ref);
/* Decode entry REF. 0 or -1. */
int grant_entry_read(const grant_sys *s, uint16_t dom, uint32_t ref, grant_entry *e);

/* ----------------------------------------------------------- queries */

unsigned grant_nr_entries(const grant_sys *s, uint16_t dom);
/* Maptrack of DOM: handles the table can hold now, and in use. */
unsigned grant_maptrack_limit(const grant_sys *s, uint16_t dom);
unsigned grant_maptrack_used(const grant_sys *s, uint16_t dom);
/* The pin count of DOM's entry REF (GNTPIN_* fields); 0 if none. */
uint32_t grant_pin(const grant_sys *s, uint16_t dom, uint32_t ref);
/* Bytes one grant covers (4096, or 65536 under the proposal). */
unsigned grant_bytes(const grant_sys *s);
const grant_counters *grant_stats(const grant_sys *s);
/* "okay", "general_error", ... for GNTST code ST (0 .. -13); NULL if none. */
const char *grant_status_name(int st);

#endif
