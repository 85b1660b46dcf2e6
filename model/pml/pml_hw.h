/*
 * model/pml/pml_hw.h - Intel Page-Modification Logging and Arm HDBSS
 * architectural constants.
 *
 * Sources (../shared/ARCH-FACTS.md §2, §3.7): Intel SDM-2016 §28.2.5 (PML),
 * Xen asm/hvm/vmx/vmcs.h (SECONDARY_EXEC_ENABLE_PML, PML_ADDRESS,
 * GUEST_PML_INDEX, NR_PML_ENTRIES), Linux arch/x86/kvm/vmx (PML_LOG_NR_ENTRIES,
 * PML_HEAD_INDEX); Arm HDBSS from the KVM/arm64 HDBSS series' tools/sysreg
 * (HDBSSBR_EL2, HDBSSPROD_EL2) and the HACDBS entry layout (TTWL 3:1).
 * These constants are the one source for the C model; the RTL unit
 * (model/pml/rtl) takes the same numbers.
 */
#ifndef SLATSIM_PML_HW_H
#define SLATSIM_PML_HW_H

#include "bits.h"

/* Intel PML (SDM-2016 §28.2.5). The log is one 4 KB page of 512 entries,
 * written from index 511 down; an entry is the GPA with bits 11:0 clear. */
#define PML_ENTRIES             512u
#define PML_HEAD_INDEX          511u              /* software's reset value */
#define PML_INDEX_MASK          GENMASK64(15, 0)  /* GUEST_PML_INDEX is 16 bits */
#define PML_ENTRY_GPA_MASK      GENMASK64(63, 12)
#define PML_ADDRESS_MASK        GENMASK64(63, 12) /* 4 KB aligned */
#define VMCS_PML_ADDRESS        0x200Eu           /* 64-bit control field */
#define VMCS_GUEST_PML_INDEX    0x0812u           /* 16-bit guest-state field */
#define SECONDARY_EXEC_ENABLE_PML BIT64(17)
#define EXIT_REASON_PML_FULL    62u

/* Arm FEAT_HDBSS (Armv9.5). HDBSSBR_EL2: BADDR 55:12, SZ 3:0 (size = 4 KB
 * << SZ, at most 2 MB). HDBSSPROD_EL2: INDEX 18:0 counts up from 0, FSC
 * 31:26. An entry: bit 0 valid, TTWL 3:1 (walk level of the descriptor),
 * IPA 55:12. */
#define HDBSSBR_SZ_MASK         GENMASK64(3, 0)
#define HDBSSBR_BADDR_MASK      GENMASK64(55, 12)
#define HDBSSBR_SZ_MAX          9u                /* 2 MB */
#define HDBSSPROD_INDEX_MASK    GENMASK64(18, 0)
#define HDBSSPROD_FSC_MASK      GENMASK64(31, 26)
#define HDBSS_ENTRY_VALID       BIT64(0)
#define HDBSS_ENTRY_TTWL_MASK   GENMASK64(3, 1)
#define HDBSS_ENTRY_IPA_MASK    GENMASK64(55, 12)
#define HDBSS_ISS2_HDBSSF       BIT64(11)         /* ESR_ELx.ISS2: buffer full */

_Static_assert(PML_ENTRIES * 8 == 4096, "the PML log is one 4 KB page");
_Static_assert(PML_HEAD_INDEX == PML_ENTRIES - 1, "PML starts at the last entry");

#endif
