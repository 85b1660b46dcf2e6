/*
 * model/mmu/x86_hw.h - x86-64 paging entries and Intel EPT entries.
 *
 * Sources (../shared/ARCH-FACTS.md §1): Intel SDM Vol. 3A §4.5 (4-level and
 * 5-level paging, Tables 4-15..4-20) and Vol. 3C EPT (SDM-2016 §28.2,
 * Table 28-1..28-6); bit positions cross-checked against Linux
 * arch/x86/include/asm/pgtable_types.h and arch/x86/include/asm/vmx.h,
 * Bochs cpu/paging.cc "Format of a EPT Entry".
 */
#ifndef SLATSIM_X86_HW_H
#define SLATSIM_X86_HW_H

#include "bits.h"

/* x86-64 paging-structure entries (SDM Vol. 3A Table 4-15 ff.). */
#define X86_PTE_P               BIT64(0)
#define X86_PTE_RW              BIT64(1)
#define X86_PTE_US              BIT64(2)
#define X86_PTE_PWT             BIT64(3)
#define X86_PTE_PCD             BIT64(4)
#define X86_PTE_A               BIT64(5)
#define X86_PTE_D               BIT64(6)   /* leaf only */
#define X86_PTE_PS              BIT64(7)   /* PDPTE: 1 GB leaf, PDE: 2 MB leaf */
#define X86_PTE_G               BIT64(8)   /* leaf only */
#define X86_PTE_ADDR_MASK       GENMASK64(51, 12)
#define X86_PTE_XD              BIT64(63)

/* EPT entries (SDM-2016 §28.2.2, Tables 28-1..28-6; Linux vmx.h VMX_EPT_*). */
#define EPT_R                   BIT64(0)
#define EPT_W                   BIT64(1)
#define EPT_X                   BIT64(2)
#define EPT_RWX_MASK            GENMASK64(2, 0)
#define EPT_MT_MASK             GENMASK64(5, 3)   /* leaf: memory type */
#define EPT_IPAT                BIT64(6)
#define EPT_LEAF                BIT64(7)          /* PDPTE/PDE: maps a page */
#define EPT_A                   BIT64(8)          /* with EPTP[6] = 1 */
#define EPT_D                   BIT64(9)          /* leaf only */
#define EPT_XU                  BIT64(10)         /* user execute (MBEC) */
#define EPT_ADDR_MASK           GENMASK64(51, 12)
#define EPT_SUPPRESS_VE         BIT64(63)

#define EPT_MT_UC               UINT64_C(0)
#define EPT_MT_WB               UINT64_C(6)

/* EPTP (VMCS EPT pointer; Linux VMX_EPTP_*). */
#define EPTP_MT_MASK            GENMASK64(2, 0)
#define EPTP_PWL_MASK           GENMASK64(5, 3)   /* page-walk length - 1 */
#define EPTP_AD                 BIT64(6)
#define EPTP_ADDR_MASK          GENMASK64(51, 12)

/* A and D sit at different bits in the two formats: a frequent slip. */
_Static_assert(X86_PTE_A == BIT64(5) && EPT_A == BIT64(8), "guest A is bit 5, EPT A bit 8");
_Static_assert(X86_PTE_D == BIT64(6) && EPT_D == BIT64(9), "guest D is bit 6, EPT D bit 9");
_Static_assert(X86_PTE_PS == EPT_LEAF, "large-page bit is bit 7 in both formats");

#endif
