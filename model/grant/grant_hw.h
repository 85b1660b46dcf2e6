/*
 * model/grant/grant_hw.h - the Xen grant-table ABI: entry layouts, flag
 * bits, operation numbers, status codes and the hypervisor's limits, as
 * named constants (the names are Xen's, so a grep finds them in its tree).
 *
 * Sources (../shared/ARCH-FACTS.md §5; checked against the files named):
 *  - xen-project/xen xen/include/public/grant_table.h: grant_entry_v1
 *    {u16 flags, domid_t domid, u32 frame}; grant_entry_v2 (a 16-byte union:
 *    hdr {flags, domid}, full_page {hdr, u32 pad0, u64 frame}, sub_page {hdr,
 *    u16 page_off, u16 length, u64 frame}, transitive {hdr, domid_t
 *    trans_domid, u16 pad0, grant_ref_t gref}, u32 __spacer[4]);
 *    grant_status_t = u16; GTF_*, GNTMAP_*, GNTCOPY_*, GNTTABOP_*, GNTST_*;
 *    GNTTAB_NR_RESERVED_ENTRIES / _CONSOLE / _XENSTORE (later revisions of
 *    the header; also Linux include/xen/interface/grant_table.h).
 *  - GNTST_no_space (-13): Jan Beulich's "gnttab: introduce GNTST_no_space"
 *    (map_grant_ref returned GNTST_no_device_space when out of maptrack
 *    handles before it).
 *  - xen/common/grant_table.c: GNTTAB_UNMAP_BATCH_SIZE 32; struct
 *    grant_mapping {grant_ref_t ref, u16 flags, domid_t domid, u32 vcpu, u32
 *    pad} (16 bytes, MAPTRACK_PER_PAGE = 4096 / 16); opt_max_grant_frames 64
 *    (gnttab_max_frames); opt_max_maptrack_frames 1024
 *    (gnttab_max_maptrack_frames); GNTPIN_* pin-count fields.
 *  - xen/arch/arm/include/asm/grant_table.h: INITIAL_NR_GRANT_FRAMES 1,
 *    GNTTAB_MAX_VERSION 1 (Xen on Arm has no grant table v2).
 *  - xen/include/public/xen.h: DOMID_SELF 0x7FF0.
 *  - Linux include/xen/page.h: XEN_PAGE_SHIFT 12 ("the hypercall interface
 *    supports only 4KB page"); grants are 4 KB whatever the guest's page.
 */
#ifndef SLATSIM_GRANT_HW_H
#define SLATSIM_GRANT_HW_H

#include "bits.h"

/* XEN_PAGE_SIZE: the unit of a grant, a frame number and a copy. */
#define XEN_PAGE_SHIFT          12u
#define XEN_PAGE_SIZE           4096u

/* ---------------------------------------------------- grant entry v1 (8 B) */
#define GNT_V1_ENTRY_BYTES      8u
#define GNT_V1_FLAGS_OFF        0u      /* u16 flags [XEN,GST] */
#define GNT_V1_DOMID_OFF        2u      /* domid_t domid [GST] */
#define GNT_V1_FRAME_OFF        4u      /* u32 frame (a GFN) [GST] */
#define GNT_V1_PER_FRAME        (XEN_PAGE_SIZE / GNT_V1_ENTRY_BYTES)

/* --------------------------------------------------- grant entry v2 (16 B) */
#define GNT_V2_ENTRY_BYTES      16u
#define GNT_V2_FLAGS_OFF        0u      /* hdr.flags */
#define GNT_V2_DOMID_OFF        2u      /* hdr.domid */
#define GNT_V2_FULL_PAD0_OFF    4u      /* full_page.pad0 (u32) */
#define GNT_V2_FULL_FRAME_OFF   8u      /* full_page.frame (u64) */
#define GNT_V2_SUB_PAGE_OFF_OFF 4u      /* sub_page.page_off (u16) */
#define GNT_V2_SUB_LENGTH_OFF   6u      /* sub_page.length (u16) */
#define GNT_V2_SUB_FRAME_OFF    8u      /* sub_page.frame (u64) */
#define GNT_V2_TRANS_DOMID_OFF  4u      /* transitive.trans_domid */
#define GNT_V2_TRANS_GREF_OFF   8u      /* transitive.gref (u32) */
#define GNT_V2_PER_FRAME        (XEN_PAGE_SIZE / GNT_V2_ENTRY_BYTES)
/* v2 keeps GTF_reading / GTF_writing in separate status frames. */
#define GNT_STATUS_BYTES        2u      /* grant_status_t */
#define GNT_STATUS_PER_FRAME    (XEN_PAGE_SIZE / GNT_STATUS_BYTES)

/* The first entries are kept across version changes and may be filled by
 * the toolstack at domain creation; a guest's own grants start above. */
#define GNTTAB_NR_RESERVED_ENTRIES 8u
#define GNTTAB_RESERVED_CONSOLE    0u
#define GNTTAB_RESERVED_XENSTORE   1u

/* ------------------------------------------------------------ entry flags */
#define GTF_type_mask           GENMASK64(1, 0)
#define GTF_invalid             0u
#define GTF_permit_access       1u
#define GTF_accept_transfer     2u
#define GTF_transitive          3u
/* Subflags of GTF_permit_access. */
#define GTF_readonly            BIT64(2)   /* [GST] mappings and copies read only */
#define GTF_reading             BIT64(3)   /* [XEN] mapped for reading */
#define GTF_writing             BIT64(4)   /* [XEN] mapped for writing */
#define GTF_PWT                 BIT64(5)   /* x86 cache attributes [GST] */
#define GTF_PCD                 BIT64(6)
#define GTF_PAT                 BIT64(7)
#define GTF_sub_page            BIT64(8)   /* v2: copy only, of a sub-range */
/* Subflags of GTF_accept_transfer (same bits as readonly / reading). */
#define GTF_transfer_committed  BIT64(2)
#define GTF_transfer_completed  BIT64(3)

/* ------------------------------------------------ gnttab_map_grant_ref.flags */
#define GNTMAP_device_map       BIT64(0)
#define GNTMAP_host_map         BIT64(1)
#define GNTMAP_readonly         BIT64(2)
#define GNTMAP_application_map  BIT64(3)
#define GNTMAP_contains_pte     BIT64(4)
#define GNTMAP_can_fail         BIT64(5)

/* ------------------------------------------------------ gnttab_copy.flags */
#define GNTCOPY_source_gref     BIT64(0)
#define GNTCOPY_dest_gref       BIT64(1)
#define GNTCOPY_can_fail        BIT64(2)

/* -------------------------------------------------------- GNTTABOP numbers */
#define GNTTABOP_map_grant_ref      0u
#define GNTTABOP_unmap_grant_ref    1u
#define GNTTABOP_setup_table        2u
#define GNTTABOP_dump_table         3u
#define GNTTABOP_transfer           4u
#define GNTTABOP_copy               5u
#define GNTTABOP_query_size         6u
#define GNTTABOP_unmap_and_replace  7u
#define GNTTABOP_set_version        8u
#define GNTTABOP_get_status_frames  9u
#define GNTTABOP_get_version        10u
#define GNTTABOP_swap_grant_ref     11u
#define GNTTABOP_cache_flush        12u

/* ----------------------------------------------------- status codes (s16) */
#define GNTST_okay              0
#define GNTST_general_error     (-1)
#define GNTST_bad_domain        (-2)
#define GNTST_bad_gntref        (-3)
#define GNTST_bad_handle        (-4)
#define GNTST_bad_virt_addr     (-5)
#define GNTST_bad_dev_addr      (-6)
#define GNTST_no_device_space   (-7)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page          (-9)
#define GNTST_bad_copy_arg      (-10)
#define GNTST_address_too_big   (-11)
#define GNTST_eagain            (-12)
#define GNTST_no_space          (-13)
#define GNTST_COUNT             14u     /* okay .. no_space */

/* ------------------------------------------------------------- domain ids */
#define DOMID_FIRST_RESERVED    0x7FF0u
#define DOMID_SELF              0x7FF0u

/* --------------------------------------------------- the hypervisor's side */
#define GNTTAB_UNMAP_BATCH_SIZE 32u     /* unmaps between TLB flushes (PV) */
#define GNT_MAPTRACK_ENTRY_BYTES 16u    /* struct grant_mapping */
#define GNT_MAPTRACK_PER_FRAME  (XEN_PAGE_SIZE / GNT_MAPTRACK_ENTRY_BYTES)
#define GNT_MAPTRACK_TAIL       0xFFFFFFFFu   /* MAPTRACK_TAIL: end of a free list */
#define GNT_DEFAULT_MAX_FRAMES  64u     /* gnttab_max_frames */
#define GNT_DEFAULT_MAX_MAPTRACK_FRAMES 1024u   /* gnttab_max_maptrack_frames */
#define GNT_INITIAL_NR_FRAMES   1u      /* INITIAL_NR_GRANT_FRAMES */
/* active_grant_entry.pin: four 8-bit counts; a map that would make any of
 * them reach 0x80 is refused (the 0x80808080 overflow check). */
#define GNTPIN_hstw_inc         BIT64(0)
#define GNTPIN_hstw_mask        GENMASK64(7, 0)
#define GNTPIN_hstr_inc         BIT64(8)
#define GNTPIN_hstr_mask        GENMASK64(15, 8)
#define GNTPIN_devw_inc         BIT64(16)
#define GNTPIN_devw_mask        GENMASK64(23, 16)
#define GNTPIN_devr_inc         BIT64(24)
#define GNTPIN_devr_mask        GENMASK64(31, 24)
#define GNTPIN_OVERFLOW_MASK    0x80808080u

_Static_assert(GNT_V1_PER_FRAME == 512, "512 v1 entries per 4 KB frame");
_Static_assert(GNT_V2_PER_FRAME == 256, "256 v2 entries per 4 KB frame");
_Static_assert(GNT_STATUS_PER_FRAME == 2048, "2048 status entries per frame");
_Static_assert(GNT_MAPTRACK_PER_FRAME == 256, "256 maptrack entries per frame");
_Static_assert(GNT_V1_FRAME_OFF + 4 == GNT_V1_ENTRY_BYTES, "v1 frame ends the entry");
_Static_assert(GNT_V2_FULL_FRAME_OFF + 8 == GNT_V2_ENTRY_BYTES, "v2 frame ends the entry");
_Static_assert(GTF_transfer_committed == GTF_readonly, "transfer flags reuse bit 2");
_Static_assert(GNTST_no_space == -(int)(GNTST_COUNT - 1), "status codes 0 .. -13");

#endif
