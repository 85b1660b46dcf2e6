/*
 * model/mmu/vmsa_hw.h - Arm VMSAv8-64 translation table descriptors and
 * VTCR_EL2 fields, as named constants.
 *
 * Sources (see ../shared/ARCH-FACTS.md §3): Arm ARM DDI 0487 D8 "The
 * VMSAv8-64 translation table format"; bit positions cross-checked against
 * Linux arch/arm64/include/asm/pgtable-hwdef.h (stage 1) and
 * arch/arm64/include/asm/kvm_pgtable.h (stage 2), VTCR_EL2 against Linux
 * arch/arm64/tools/sysreg and QEMU target/arm/ptw.c check_s2_mmu_setup().
 */
#ifndef SLATSIM_VMSA_HW_H
#define SLATSIM_VMSA_HW_H

#include "bits.h"

/* Descriptor type, both stages (D8.3 "Translation table descriptor formats"). */
#define VMSA_DESC_VALID         BIT64(0)
#define VMSA_DESC_TABLE         BIT64(1)   /* table at L0-L2, page at L3 */
#define VMSA_DESC_TYPE_MASK     GENMASK64(1, 0)
#define VMSA_DESC_TYPE_BLOCK    UINT64_C(1)  /* valid, bit 1 clear: block (L1/L2) */
#define VMSA_DESC_TYPE_TABLE    UINT64_C(3)  /* valid, bit 1 set: table, or page at L3 */

/* Output address: bits 47:12 for the 4K/16K granules (bits 11:0 / 13:12 of a
 * 16K descriptor address are RES0 as the table is 16K aligned); 47:16 for 64K
 * without FEAT_LPA. The granule's low bits are masked by the walker. */
#define VMSA_DESC_ADDR_MASK     GENMASK64(47, 12)

/* Stage-1 leaf attributes (D8.3.1, pgtable-hwdef.h PTE_*). */
#define VMSA_S1_ATTRINDX_MASK   GENMASK64(4, 2)
#define VMSA_S1_AP_EL0          BIT64(6)   /* AP[1]: EL0 access */
#define VMSA_S1_AP_RDONLY       BIT64(7)   /* AP[2]: read-only */
#define VMSA_S1_SH_MASK         GENMASK64(9, 8)
#define VMSA_S1_AF              BIT64(10)
#define VMSA_S1_NG              BIT64(11)
#define VMSA_S1_DBM             BIT64(51)
#define VMSA_S1_CONT            BIT64(52)
#define VMSA_S1_PXN             BIT64(53)
#define VMSA_S1_UXN             BIT64(54)

/* Stage-2 leaf attributes (D8.3.2, kvm_pgtable.h KVM_PTE_LEAF_ATTR_*). */
#define VMSA_S2_MEMATTR_MASK    GENMASK64(5, 2)
#define VMSA_S2_AP_R            BIT64(6)   /* S2AP[0]: read */
#define VMSA_S2_AP_W            BIT64(7)   /* S2AP[1]: write */
#define VMSA_S2_SH_MASK         GENMASK64(9, 8)
#define VMSA_S2_AF              BIT64(10)
#define VMSA_S2_DBM             BIT64(51)
#define VMSA_S2_CONT            BIT64(52)
#define VMSA_S2_XN_MASK         GENMASK64(54, 53)

#define VMSA_SH_INNER           UINT64_C(3)
#define VMSA_S2_MEMATTR_NORMAL_WB UINT64_C(0xf)   /* Normal, Outer/Inner WB */

/* Contiguous runs (ARCH-FACTS §3.2; Linux arch/arm64/Kconfig
 * ARM64_CONT_PTE_SHIFT / ARM64_CONT_PMD_SHIFT): log2 of the entries in one
 * run at level 3 and level 2, per granule. Level 1 runs are [M]: none. */
#define VMSA_CONT_PTE_SHIFT_4K  4u      /* 16 x 4 KB = 64 KB */
#define VMSA_CONT_PTE_SHIFT_16K 7u      /* 128 x 16 KB = 2 MB */
#define VMSA_CONT_PTE_SHIFT_64K 5u      /* 32 x 64 KB = 2 MB */
#define VMSA_CONT_PMD_SHIFT_4K  4u      /* 16 x 2 MB = 32 MB */
#define VMSA_CONT_PMD_SHIFT_16K 5u      /* 32 x 32 MB = 1 GB */
#define VMSA_CONT_PMD_SHIFT_64K 5u      /* 32 x 512 MB = 16 GB */

/* Stage 1 and stage 2 put AF, SH and the contiguous hint at the same bits. */
_Static_assert(VMSA_S1_AF == VMSA_S2_AF, "AF is bit 10 at both stages");
_Static_assert(VMSA_S1_CONT == VMSA_S2_CONT, "contiguous hint is bit 52 at both stages");
_Static_assert(VMSA_S1_DBM == VMSA_S2_DBM, "DBM is bit 51 at both stages");

/* VTCR_EL2 (sysreg VTCR_EL2). */
#define VTCR_T0SZ_MASK          GENMASK64(5, 0)
#define VTCR_SL0_MASK           GENMASK64(7, 6)
#define VTCR_IRGN0_MASK         GENMASK64(9, 8)
#define VTCR_ORGN0_MASK         GENMASK64(11, 10)
#define VTCR_SH0_MASK           GENMASK64(13, 12)
#define VTCR_TG0_MASK           GENMASK64(15, 14)
#define VTCR_PS_MASK            GENMASK64(18, 16)
#define VTCR_VS                 BIT64(19)
#define VTCR_HA                 BIT64(21)
#define VTCR_HD                 BIT64(22)
#define VTCR_RES1               BIT64(31)
#define VTCR_HDBSS              BIT64(45)

/* TG0 is not in size order: 00 = 4K, 01 = 64K, 10 = 16K (ARCH-FACTS §6.7). */
#define VTCR_TG0_4K             UINT64_C(0)
#define VTCR_TG0_64K            UINT64_C(1)
#define VTCR_TG0_16K            UINT64_C(2)

/* SL0 is the start level relative to a per-granule base: 4K start = 2 - SL0,
 * 16K/64K start = 3 - SL0 (QEMU check_s2_mmu_setup; KVM VTCR_EL2_TGRAN_SL0_BASE). */
#define VTCR_SL0_BASE_4K        2
#define VTCR_SL0_BASE_16K_64K   3

/* Up to 16 concatenated tables at the stage-2 initial level: 4 extra bits. */
#define VMSA_S2_MAX_CONCAT_BITS 4

#endif
