/*
 * model/mmu/mmu.h - the translation hardware: descriptor formats, table
 * geometry, sparse physical memory and the one walker (1-D and 2-D).
 *
 * Modelling assumptions:
 *  - Page tables are real bits in a sparse physical memory (physmem): only
 *    table pages exist; data pages are frame numbers. Every descriptor the
 *    walker reads goes through one function (walk.c read_desc), which counts
 *    the reference by stage and level and charges its latency: the latency
 *    of the cache level that served it when a data-cache hierarchy is
 *    attached (mmu_walker_set_cache), else mem.pte_latency.
 *  - One walker loop serves every format. In a 2-D walk, every stage-1 table
 *    entry address and the final IPA go through the same stage-2 walk
 *    (s2_translate), so with all caches off a walk costs n*m + n + m
 *    references (ARCH-FACTS §4.1).
 *  - Walk caches follow the "paging-structure cache" design (Intel SDM
 *    §28.3.1 / Cortex-A55 "walk cache RAM" + "IPA cache RAM"; Bhargava et al.,
 *    ASPLOS'08): a stage-1 walk cache maps a VA prefix to the guest-physical
 *    address of the next-level table, so a hit skips the upper guest levels
 *    and their stage-2 walks; a stage-2 walk cache does the same for IPA
 *    prefixes; the nested TLB maps an IPA page to its host page. Probes of
 *    all levels happen in parallel: one hit costs the cache's latency once.
 *  - A combined translation covers the smaller of the stage-1 and stage-2
 *    leaf sizes (page splintering, ARCH-FACTS §3.5).
 *  - Faults are data (mmu_fault): kind, stage, level, and whether a stage-2
 *    fault hit a stage-1 table access (s1ptw) or the final IPA.
 *  - Hardware A/D at both stages: stage 2 with mmu_config.s2_ad (EPT A/D,
 *    VTCR_EL2.HA/HD), stage 1 with mmu_config.s1_hw (x86 A/D, TCR_EL1.HA/HD).
 *    Every update is a descriptor write (walk.c write_desc) that costs what
 *    a read does; a stage-1 update in a nested walk is a write to the guest's
 *    table page through stage 2 (its permission, its dirty state, its log).
 */
#ifndef SLATSIM_MMU_H
#define SLATSIM_MMU_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "tlb.h"

/* ---------------------------------------------------------------- formats */

typedef enum mmu_fmt {
	MMU_FMT_ARM_S1,   /* VMSAv8-64 stage 1 */
	MMU_FMT_ARM_S2,   /* VMSAv8-64 stage 2 */
	MMU_FMT_X86,      /* x86-64 4/5-level paging */
	MMU_FMT_EPT,      /* Intel EPT */
} mmu_fmt;

#define MMU_MAX_LEVELS 5

/* Leaf permissions, and MMU_P_G: a stage-1 leaf that is global (x86 PTE.G,
 * Arm nG = 0), so its translation matches every ASID. */
enum { MMU_P_R = 1u, MMU_P_W = 2u, MMU_P_X = 4u, MMU_P_G = 8u };

/* Permissions as TLB entry flags and back (the casts keep C++ readers of
 * this header, sim/systemc, free of enum/unsigned conditional warnings). */
static inline unsigned perm_to_tlbf(unsigned p)
{
	return (p & MMU_P_R ? (unsigned)TLB_F_R : 0u) | (p & MMU_P_W ? (unsigned)TLB_F_W : 0u) |
	       (p & MMU_P_X ? (unsigned)TLB_F_X : 0u) | (p & MMU_P_G ? (unsigned)TLB_F_GLOBAL : 0u);
}

static inline unsigned tlbf_to_perm(unsigned f)
{
	return (f & TLB_F_R ? (unsigned)MMU_P_R : 0u) | (f & TLB_F_W ? (unsigned)MMU_P_W : 0u) |
	       (f & TLB_F_X ? (unsigned)MMU_P_X : 0u) | (f & TLB_F_GLOBAL ? (unsigned)MMU_P_G : 0u);
}

/* Geometry of one stage, computed once at configuration. Level index i runs
 * 0 (root) .. levels-1 (last); arch_level[i] is the architectural number
 * (Arm: 0..3 with the start level from VTCR/TCR; x86: 4 = PML4 .. 1 = PT,
 * 5 = PML5). */
typedef struct mmu_geom {
	mmu_fmt fmt;
	unsigned gran_shift;            /* 12, 14 or 16 */
	unsigned stride;                /* index bits per full level: gran_shift - 3 */
	unsigned in_bits;               /* VA or IPA size */
	unsigned levels;
	unsigned shift[MMU_MAX_LEVELS]; /* lowest input bit the level indexes */
	unsigned bits[MMU_MAX_LEVELS];  /* index bits at that level */
	int arch_level[MMU_MAX_LEVELS];
	unsigned leaf_ok;               /* bit i: a leaf (block/page) may sit at level i */
	unsigned cont_bits[MMU_MAX_LEVELS]; /* Arm: log2 entries of a contiguous run
					     * at level i (0: no run there) */
	unsigned root_tables;           /* concatenated tables at the root (stage 2) */
	uint64_t root_bytes;            /* size (and alignment) of the root */
	/* Arm stage 2 only: the VTCR_EL2 fields this geometry implies. */
	unsigned vtcr_t0sz, vtcr_sl0, vtcr_tg0;
} mmu_geom;

/* Build the geometry of FMT with a GRAN_SHIFT granule and IN_BITS of input
 * (for x86/EPT: 48 or 57, selecting 4- or 5-level). Returns 0, or -1 with a
 * message naming the architectural rule that refuses the combination. */
int mmu_geom_init(mmu_geom *g, mmu_fmt fmt, unsigned gran_shift, unsigned in_bits,
		  char *err, size_t errlen);

/* Leaf size shift at level i. */
static inline unsigned mmu_geom_leaf_shift(const mmu_geom *g, unsigned i)
{
	return g->shift[i];
}

/* Index of VA at level i. */
static inline uint64_t mmu_geom_index(const mmu_geom *g, unsigned i, uint64_t va)
{
	return (va >> g->shift[i]) & ((UINT64_C(1) << g->bits[i]) - 1);
}

/* Level index whose leaf maps 2^shift bytes, or -1 if no leaf of that size. */
int mmu_geom_level_for_shift(const mmu_geom *g, unsigned shift);

/* Which half of a stage-1 address space VA is in: 0 the lower (user) half,
 * 1 the upper (kernel) half, -1 neither (non-canonical). x86 (SDM Vol. 3A
 * §3.3.7.1): bits 63:in_bits-1 all equal, the upper half shares CR3's
 * tables. Arm (ARM DDI 0487, D8.2 "translation regimes", TCR_EL1.T1SZ =
 * T0SZ assumed, TBI off): bits 63:in_bits all 0 selects TTBR0_EL1, all 1
 * TTBR1_EL1. Stage-2 formats have one half: an IPA at or above 2^in_bits is
 * -1. */
int mmu_geom_va_half(const mmu_geom *g, uint64_t va);

/* Descriptor encodings used by the software that builds tables (sim/). */
uint64_t mmu_desc_table(const mmu_geom *g, uint64_t next_table);
uint64_t mmu_desc_leaf(const mmu_geom *g, unsigned level, uint64_t out, unsigned perm);
/* Leaf descriptor D with the contiguous hint set (Arm, a level with runs);
 * D unchanged otherwise. */
uint64_t mmu_desc_set_cont(const mmu_geom *g, unsigned level, uint64_t d);

typedef enum mmu_desc_kind {
	MMU_DESC_INVALID,    /* not present: translation fault / EPT violation */
	MMU_DESC_TABLE,
	MMU_DESC_LEAF,
	MMU_DESC_MISCONFIG,  /* reserved encoding: EPT misconfiguration, x86 RSVD */
	MMU_DESC_NOACCESS,   /* Arm: AF = 0 (access flag fault) */
} mmu_desc_kind;

typedef struct mmu_desc {
	mmu_desc_kind kind;
	uint64_t addr;       /* next table, or the leaf's output base */
	unsigned perm;       /* MMU_P_* of a leaf */
	int cont;            /* Arm leaf: the contiguous hint (bit 52) is set */
} mmu_desc;

mmu_desc mmu_desc_decode(const mmu_geom *g, unsigned level, uint64_t d);

/* Hardware dirty-state management (ARCH-FACTS §1.3, §3.6, §6 items 4 and 6).
 * The new value of descriptor D at level index LEVEL after the walker used it
 * for an access that WRITEs (or that counts as a write for A/D):
 *  - EPT with EPTP[6]: A in every entry used; D in a leaf on a write
 *    (SDM-2016 §28.2.4; Bochs update_ept_access_dirty).
 *  - x86 paging: A in every entry used; D in a leaf on a write.
 *  - Arm stage 2 with VTCR_EL2.HA/HD: AF in a leaf; a write to a DBM leaf
 *    with S2AP[1] = 0 (writable-clean) SETS S2AP[1] (writable-dirty).
 *  - Arm stage 1 with TCR_ELx.HA/HD: AF in a leaf; a write to a DBM leaf
 *    with AP[2] = 1 (writable-clean) CLEARS AP[2].
 * Table descriptors carry no AF on Arm (FEAT_HAFT not modelled). Returns D
 * itself when nothing changes; invalid descriptors never change. */
uint64_t mmu_desc_hw_update(const mmu_geom *g, unsigned level, uint64_t d, int write);
/* Stage-1 hardware A/D: which flags the hardware manages (mmu_config.s1_hw).
 * x86 always sets A and D (Intel SDM Vol. 3A §4.8 "Accessed and Dirty
 * Flags"); a flag the guest OS presets to 1 is never updated, which is what
 * turning one off means there. Arm: TCR_EL1.HA (AF of Block and Page
 * descriptors) and TCR_EL1.HD (dirty state through DBM), FEAT_HAFDBS; HD has
 * effect only with HA (TCR_EL1.HD; Arm ARM DDI 0487 D8.5), so ACCESS must be
 * set with DIRTY for the arm64 format (the machine's configuration does). */
enum { MMU_S1_HW_ACCESS = 1u, MMU_S1_HW_DIRTY = 2u };

/* The new value of stage-1 descriptor D (decoded kind KIND) after the walker
 * used it for an access that WRITEs, with the flags HW the hardware manages:
 *  - x86 paging: A in every entry used (ACCESS), D in a leaf on a write
 *    (DIRTY), SDM Vol. 3A §4.8;
 *  - Arm stage 1: AF in a Block or Page descriptor (ACCESS; table
 *    descriptors have no AF without FEAT_HAFT, D8.5.1.3); a write through a
 *    writable-clean leaf (DBM = 1, AP[2] = 1) clears AP[2] (DIRTY, D8.5.2.1;
 *    AF is set in the same atomic update, R PRHKD).
 * *CHANGED (may be NULL) gets the MMU_S1_HW_* flags that went 0 -> 1 (dirty:
 * x86 D 0 -> 1, Arm writable-clean -> writable-dirty). D itself when nothing
 * changes; other formats never change. */
uint64_t mmu_desc_s1_update(const mmu_geom *g, mmu_desc_kind kind, uint64_t d, int write,
			    unsigned hw, unsigned *changed);
/* The value a guest OS writes for a new stage-1 entry D as the encoders made
 * it (mmu_desc_table / mmu_desc_leaf) at level index LEVEL, when the hardware
 * manages the flags HW: what the hardware manages starts clear for it to set
 * (x86 A = 0 and D = 0; Arm AF = 0, and a writable leaf writable-clean:
 * DBM = 1, AP[2] = 1); what it does not manage is preset (x86 A = 1, D = 1 in
 * a writable leaf; Arm AF = 1, a writable leaf AP[2] = 0 without DBM). */
uint64_t mmu_desc_s1_initial(const mmu_geom *g, unsigned level, uint64_t d, unsigned hw);
/* 1 if a leaf is dirty: x86/EPT D = 1; Arm: DBM = 1 and writable-dirty
 * (stage 1 AP[2] = 0, stage 2 S2AP[1] = 1). */
int mmu_desc_dirty(const mmu_geom *g, uint64_t d);
/* 1 if an Arm leaf has DBM set (always 0 for x86/EPT). */
int mmu_desc_dbm(const mmu_geom *g, uint64_t d);
/* Software edits a hypervisor makes for dirty logging, on leaves:
 * clean: EPT D = 0; Arm DBM leaf back to writable-clean. */
uint64_t mmu_desc_clean(const mmu_geom *g, uint64_t d);
/* Write permission (EPT W, x86 RW, Arm S2AP[1] / AP[2]) on or off. */
uint64_t mmu_desc_set_write(const mmu_geom *g, uint64_t d, int w);
/* Arm DBM on or off (no-op for x86/EPT). */
uint64_t mmu_desc_set_dbm(const mmu_geom *g, uint64_t d, int dbm);

/* Text of a descriptor's fields for 'slatsim explain'. */
void mmu_desc_describe(const mmu_geom *g, unsigned level, uint64_t d, char *buf, size_t len);
/* Text of what a hardware update changed from PREV to D: the fields whose
 * value differs ("A 0->1 D 0->1"), and "writable-clean -> writable-dirty"
 * when an Arm DBM leaf became dirty. */
void mmu_desc_describe_change(const mmu_geom *g, unsigned level, uint64_t prev, uint64_t d,
			      char *buf, size_t len);

/* ---------------------------------------------------------------- memory */

typedef struct physmem physmem;

physmem *physmem_create(void);
void physmem_destroy(physmem *m);
/* PA is at most 52 bits: absent memory and larger addresses read 0; a write
 * returns 0, or -1 out of memory or beyond 52 bits. */
uint64_t physmem_read64(const physmem *m, uint64_t pa);
int physmem_write64(physmem *m, uint64_t pa, uint64_t v);
uint64_t physmem_bytes(const physmem *m);                   /* bytes materialised */
/* 1 once a write failed because the host ran out of memory (not a bad PA). */
int physmem_out_of_memory(const physmem *m);

/* ---------------------------------------------------------------- walker */

typedef struct mmu_config {
	int nested;                 /* 2-D: stage 1 over stage 2 */
	mmu_geom s1, s2;
	tlb_config wc_s1, wc_s2;    /* walk (paging-structure) caches */
	tlb_config ntlb;            /* nested TLB: IPA page -> host page */
	unsigned pte_latency;       /* cycles per descriptor read or A/D write */
	unsigned walk_fixed;        /* cycles every walk costs beyond its lookups and
				     * reads (walk.fixed; 0: none) */
	unsigned s2_walk_fixed;     /* cycles every stage-2 walk (a nested-TLB miss that
				     * walks the host table) costs beyond its lookups and
				     * reads (walk.s2_fixed; 0: none) */
	int s2_ad;                  /* stage-2 A/D by hardware: EPTP[6]; VTCR_EL2.HA+HD */
	int ad_gpt_write;           /* EPT: guest paging-structure accesses are writes */
	unsigned s1_hw;             /* stage-1 A/D by hardware: MMU_S1_HW_* */
} mmu_config;

typedef enum mmu_fault_kind {
	MMU_FAULT_NONE = 0,
	MMU_FAULT_TRANSLATION,      /* invalid descriptor (x86 #PF P=0, EPT violation) */
	MMU_FAULT_PERMISSION,
	MMU_FAULT_MISCONFIG,
	MMU_FAULT_ACCESS_FLAG,
	MMU_FAULT_ADDRSIZE,         /* input beyond the stage's VA/IPA size */
	MMU_FAULT_LOG_FULL,         /* PML log-full VM exit (reason 62) / HDBSS-full
				     * stage-2 abort (ISS2.HDBSSF): the access did not
				     * happen and must be replayed */
} mmu_fault_kind;

typedef struct mmu_fault {
	mmu_fault_kind kind;
	unsigned stage;             /* 1 or 2 */
	unsigned level;             /* level index where the walk stopped */
	int s1ptw;                  /* stage 2 failed on a stage-1 table access */
	uint64_t va, ipa;           /* ipa: the address stage 2 could not translate */
} mmu_fault;

enum { MMU_ACC_R = 0, MMU_ACC_W = 1, MMU_ACC_X = 2 };

/* What one step of a walk was. */
typedef enum mmu_step_kind {
	MMU_STEP_READ,              /* a descriptor read */
	MMU_STEP_WRITE,             /* a hardware A/D / DBM update of a descriptor */
	MMU_STEP_PML,               /* a PML entry written: table = PML_ADDRESS, index =
				     * the entry, entry_pa its address, desc the GPA */
	MMU_STEP_HDBSS,             /* an HDBSS entry written: table = HDBSSBR_EL2's
				     * base, index, entry_pa, desc = the entry */
	MMU_STEP_WALK_CACHE,        /* a walk-cache hit: level = where the walk resumed */
	MMU_STEP_NTLB,              /* a nested-TLB hit: entry_pa = the PA it gave */
} mmu_step_kind;

/* One step of a walk, recorded when the request asks for a trace. */
typedef struct mmu_step {
	mmu_step_kind kind;
	unsigned stage, level;
	uint64_t table, index, entry_pa, desc;
	uint64_t prev;              /* MMU_STEP_WRITE: the value it replaced */
	int cached;                 /* 1: satisfied by a walk cache / nested TLB */
	int served;                 /* descriptor read/write: the cache_level that
				     * served it; -1 without a cache hierarchy */
	const char *what;
} mmu_step;

typedef struct mmu_req {
	uint64_t va;
	uint64_t s1_root;           /* stage-1 table base: IPA when nested, else PA */
	uint64_t s1_root_upper;     /* Arm: TTBR1_EL1's table base for upper-half VAs
				     * (0: none); x86's upper half uses s1_root */
	uint64_t s2_root;           /* stage-2 table base (HPA) */
	uint16_t vmid, asid;
	unsigned access;            /* MMU_ACC_* */
	mmu_step *steps;            /* optional trace buffer (explain) */
	unsigned max_steps;
} mmu_req;

typedef struct mmu_result {
	uint64_t pa;                /* translation of va */
	uint64_t ipa;               /* intermediate address (== pa when not nested) */
	unsigned shift;             /* combined size: min(s1 leaf, s2 leaf) */
	unsigned s1_shift, s2_shift;
	unsigned perm;              /* combined permissions */
	int dirty;                  /* a write through this translation needs no A/D
				     * update (stage-2 leaf dirty, or A/D off) */
	unsigned refs, s1_refs, s2_refs;
	unsigned s2_walks;          /* stage-2 walks (nested-TLB misses that walked) */
	unsigned ad_writes;         /* descriptors written by hardware A/D updates */
	unsigned s1_ad_writes;      /* of which stage-1 descriptors */
	unsigned logged;            /* PML / HDBSS entries written */
	uint64_t cycles;
	unsigned nsteps;
	mmu_fault fault;
} mmu_result;

typedef struct mmu_counters {
	uint64_t walks, refs, s1_refs, s2_refs, cycles;
	uint64_t s2_walks;          /* stage-2 walks, of the guest's tables and data */
	uint64_t s1_refs_level[MMU_MAX_LEVELS], s2_refs_level[MMU_MAX_LEVELS];
	uint64_t faults_s1, faults_s2;
	uint64_t ad_writes, logged, log_full;
	/* Stage-1 hardware A/D (mmu_config.s1_hw): descriptor writes; flags
	 * set (A/AF 0 -> 1, dirty); stage-2 permission faults the writes took
	 * (a write-protected guest table page); stage-2 leaves they made dirty
	 * (EPT D / DBM: a guest table page a harvest reports). */
	uint64_t s1_ad_writes, s1_accessed, s1_dirtied, s1_ad_s2_faults, s1_ad_s2_dirtied;
	/* With a cache hierarchy attached: descriptor reads and A/D writes by
	 * the cache_level that served them (all zero without one). */
	uint64_t refs_served[CACHE_LEVELS], ad_writes_served[CACHE_LEVELS];
} mmu_counters;

typedef struct mmu_walker mmu_walker;
struct pml_unit;
struct hdbss_unit;

int mmu_walker_create(mmu_walker **out, const mmu_config *cfg, physmem *mem, char *err,
		      size_t errlen);
void mmu_walker_destroy(mmu_walker *w);

/* The vCPU's dirty-logging unit (model/pml): at most one of the two; NULL
 * for none. The walker logs stage-2 clean -> dirty changes into it. */
void mmu_walker_set_log(mmu_walker *w, struct pml_unit *pml, struct hdbss_unit *hdbss);

/* The vCPU's data-cache hierarchy (model/mmu/cache.h), or NULL for none:
 * every descriptor read and A/D write then goes through it and costs the
 * latency of the level that served it instead of mem.pte_latency. Not
 * owned; it must outlive the walker or be detached. */
void mmu_walker_set_cache(mmu_walker *w, cache_hier *h);

/* What the walker did to memory, one reference at a time, for someone
 * outside the model (a SystemC platform issuing each as a bus transaction):
 * every descriptor read and A/D write of a walk (at the choke point, in walk
 * order) and every PML / HDBSS log entry written for it. */
typedef enum mmu_mem_kind {
	MMU_MEM_DESC_READ,          /* a descriptor read (stage, level) */
	MMU_MEM_DESC_WRITE,         /* a hardware A/D / DBM update of a descriptor */
	MMU_MEM_LOG_WRITE,          /* a PML or HDBSS entry (stage 2, level of the leaf) */
} mmu_mem_kind;

typedef struct mmu_mem_op {
	uint64_t pa;                /* physical address of the 8 bytes */
	uint64_t value;             /* the descriptor read, or the value written */
	uint64_t latency;           /* cycles the model charged for it (in res->cycles) */
	unsigned size;              /* bytes: 8 */
	int is_write;
	mmu_mem_kind kind;
	unsigned stage, level;      /* level index in the stage's geometry */
} mmu_mem_op;

typedef void (*mmu_mem_observer)(void *ctx, const mmu_mem_op *op);

/* Report every memory reference of this walker's walks to FN(CTX, op) from
 * now on (FN NULL: stop). The callback must not call back into the walker.
 * Unset, it costs one predicted branch per reference. */
void mmu_walker_set_mem_observer(mmu_walker *w, mmu_mem_observer fn, void *ctx);

/* Translate one access; fills res (res->fault.kind != NONE on a fault). */
void mmu_translate(mmu_walker *w, const mmu_req *req, mmu_result *res);

/* Functional stage-2 lookup for software (no caches, no counters). Returns 0
 * and the HPA, or -1 if the IPA is unmapped. */
int mmu_s2_lookup(const mmu_walker *w, uint64_t s2_root, uint64_t ipa, uint64_t *hpa,
		  unsigned *shift);

/* Invalidation of the walker's caches (TLBI / INVEPT / INVVPID side). */
void mmu_inv_all(mmu_walker *w);
void mmu_inv_ipa(mmu_walker *w, uint16_t vmid, uint64_t ipa);   /* nested TLB + s2 walk cache */
void mmu_inv_va(mmu_walker *w, uint16_t vmid, uint16_t asid, uint64_t va);
/* Stage-1 walk-cache entries of a VMID, or of one ASID in it (a guest's
 * TLBI VMALLE1 / ASIDE1, INVPCID); stage-2 state is the hypervisor's. */
void mmu_inv_s1_vmid(mmu_walker *w, uint16_t vmid);
void mmu_inv_s1_asid(mmu_walker *w, uint16_t vmid, uint16_t asid);

const mmu_counters *mmu_walker_counters(const mmu_walker *w);
const tlb_counters *mmu_walker_cache_counters(const mmu_walker *w, int which); /* 0 s1, 1 s2, 2 ntlb */

#endif
