/*
 * model/xenmm/xenmm_hw.h - the Xen x86 memory-management ABI that PV
 * superpages used: the mmuext_op commands that mark and unmark one, the
 * layout of a superpage's type_info word, and the errno the hypervisor
 * returns (the names are Xen's, so a grep finds them in its tree).
 *
 * Sources (the PV superpage code, Xen 4.1 to 4.9; removed in 2017 by Wei
 * Liu's "x86: nuke PV superpage option and code"; XSA-167 / CVE-2016-1570
 * names the sub-ops):
 *  - xen/include/public/xen.h: MMUEXT_MARK_SUPER 19, MMUEXT_UNMARK_SUPER 20
 *    (struct mmuext_op, arg1.mfn: "[UN]MARK_SUPER").
 *  - xen/include/asm-x86/mm.h: struct spage_info { unsigned long type_info; };
 *    SGT_none PG_mask(0, 2) "superpage not in use", SGT_mark PG_mask(1, 2)
 *    "Marked as a superpage", SGT_dynamic PG_mask(2, 2) "has been
 *    dynamically mapped as a superpage", SGT_type_mask PG_mask(3, 2) (bits
 *    62-63), SGT_count_width PG_shift(3) "Count of uses of this superpage as
 *    its current type" (PG_shift(idx) = BITS_PER_LONG - idx).
 *  - xen/arch/x86/mm.c: mark_superpage, unmark_superpage, get_superpage,
 *    put_superpage, get_spage_pages / put_spage_pages (1 << PAGETABLE_ORDER
 *    = 512 get_page_and_type(PGT_writable_page) / put_page_and_type).
 *  - xen/include/public/errno.h: XEN_EINVAL 22, XEN_ENOMEM 12.
 */
#ifndef SLATSIM_XENMM_HW_H
#define SLATSIM_XENMM_HW_H

#include "bits.h"

/* ------------------------------------------------ mmuext_op commands */
#define MMUEXT_MARK_SUPER       19u
#define MMUEXT_UNMARK_SUPER     20u

/* ------------------------------------------------ superpage geometry */
#define SUPERPAGE_ORDER         9u          /* PAGETABLE_ORDER: 512 x 4 KB */
#define SUPERPAGE_PAGES         (1u << SUPERPAGE_ORDER)
#define SUPERPAGE_SHIFT         (12u + SUPERPAGE_ORDER)   /* 2 MB */

/* ------------------------------------------------ spage_info.type_info (64-bit) */
#define SGT_TYPE_MASK           GENMASK64(63, 62)
#define SGT_none                UINT64_C(0)
#define SGT_mark                UINT64_C(1)
#define SGT_dynamic             UINT64_C(2)
#define SGT_COUNT_MASK          GENMASK64(60, 0)

_Static_assert(SGT_TYPE_MASK >> 62 == 3, "SGT_type_mask is PG_mask(3, 2)");
_Static_assert(SGT_COUNT_MASK == (BIT64(61) - 1), "SGT_count_width is PG_shift(3) = 61");

/* ------------------------------------------------ errno (public/errno.h) */
#define XEN_ENOMEM              12
#define XEN_EINVAL              22

#endif
