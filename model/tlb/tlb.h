/*
 * model/tlb/tlb.h - set-associative translation caches.
 *
 * One structure serves every translation cache in the model: the L1I/L1D/L2
 * TLBs (combined stage-1+2 entries), the paging-structure (walk) caches and
 * the nested TLB (GPA -> HPA). An entry maps the naturally aligned region of
 * 2^shift bytes holding `tag << shift` to `out`; entries of several sizes
 * share one array (a "mixed" array, as the unified L2 TLBs of Cortex-A76 /
 * Neoverse N1 and Intel's STLB hold several page sizes). The set of an entry
 * is (va >> shift) mod sets, so a lookup probes one set per page size that is
 * present in the array (a per-size population count keeps absent sizes free).
 *
 * Tags: VMID always; ASID unless the entry is global. Replacement: true LRU
 * (per-entry stamps), bit-PLRU (one MRU bit per way, cleared when all are
 * set; works for any associativity, e.g. 5- or 12-way), or random (seeded
 * xoshiro256**). Invalid ways are always filled first.
 */
#ifndef SLATSIM_TLB_H
#define SLATSIM_TLB_H

#include <stddef.h>
#include <stdint.h>

enum tlb_policy { TLB_LRU = 0, TLB_PLRU = 1, TLB_RANDOM = 2 };
/* How a tag (va >> page shift) picks its set among 2^n: LINEAR, its low n
 * bits; XOR, its low n bits XOR the next n (Intel's shared sTLB, "XOR-7"
 * over 128 sets: TLB;DR, Tatar et al., USENIX Security 2022, whose tool
 * vusec/tlbdr reports it on Skylake; the L1 TLBs are linear there). */
enum tlb_index { TLB_INDEX_LINEAR = 0, TLB_INDEX_XOR = 1 };

typedef struct tlb_config {
	unsigned entries;     /* 0: the structure is absent */
	unsigned ways;        /* entries / ways (the set count) must be a power of two */
	unsigned latency;     /* cycles charged by the user on a lookup */
	enum tlb_policy policy;
	enum tlb_index index;
	uint64_t seed;
} tlb_config;

enum {
	TLB_F_GLOBAL = 1u << 0,   /* matches every ASID of its VMID */
	TLB_F_R = 1u << 1,
	TLB_F_W = 1u << 2,
	TLB_F_X = 1u << 3,
	TLB_F_DIRTY = 1u << 4,    /* the translation was filled with D/dirty set */
};

typedef struct tlb_entry {
	uint64_t tag;         /* va >> shift */
	uint64_t out;         /* output base of the region (page PA, table address) */
	uint64_t aux;         /* user data (e.g. the IPA of a combined entry) */
	uint16_t vmid, asid;
	uint8_t shift;        /* 0 = invalid */
	uint8_t flags;
	uint8_t level;        /* walk caches: the level of the table `out` points to */
	uint8_t pad;
} tlb_entry;

typedef struct tlb_counters {
	uint64_t hits, misses, fills, evictions, invalidations;
} tlb_counters;

typedef struct tlb tlb;

/* The head of every tlb, visible so the hit path can be inline (Spike's
 * mmu.h does the same): the entry the last lookup or fill touched, and the
 * counters. A lookup probes the sizes present from the smallest up and
 * returns the first match; mru remembers the entry the last full lookup
 * returned together with what that lookup established: for VA's region of
 * 2^mru_lo bytes (mru_lo the smallest size present then) every smaller size
 * missed and mru matched, for (mru_vmid, mru_asid). A later lookup of the
 * same region and tags would probe the same entries with the same results
 * - mru is cleared by every fill, eviction and invalidation, the only
 * changes of the array - so it returns mru without probing. Re-touching the
 * most recently touched entry changes no replacement decision under LRU,
 * PLRU or random (its set's order is already right), so the skipped touch
 * is exact too. mru_care is 0 for a global entry found when no smaller size
 * was present (any ASID then hits it first), else all ones (the ASID must
 * be the one looked up). Measured on the TLB-hit bench (seq over 64 KB, 20 M
 * accesses): replay 0.247 s before the inline path, 0.195 s after (decode
 * alone 0.126 s). With mixed sizes (a 4 KB entry among 64 KB ones: arm64
 * 64 KB pages with io.mode=blk's 4 KB grant-table frames) the inline path
 * used to be off altogether: see tlb.c set_mru. */
typedef struct tlb_head {
	const tlb_entry *mru;
	uint64_t mru_key;       /* va >> mru_lo of the lookup that set mru */
	uint16_t mru_vmid, mru_asid, mru_care;
	uint8_t mru_lo;
	tlb_counters c;
} tlb_head;

/* Returns 0, or -1 with a message (bad geometry) in err. */
int tlb_create(tlb **out, const tlb_config *cfg, const char *name, char *err, size_t errlen);
void tlb_destroy(tlb *t);
/* The associativity nearest WANT (by ratio; a tie to the larger) that
 * divides ENTRIES into a power-of-two number of sets, at most MAX ways;
 * 0 when none does. tlb_create takes ENTRIES in that many ways. */
unsigned tlb_ways_nearest(unsigned entries, unsigned want, unsigned max);

/* Look VA up at every size present; counts a hit or a miss. NULL on a miss.
 * The returned entry is valid until the next fill or invalidation. */
const tlb_entry *tlb_lookup_slow(tlb *t, uint64_t va, uint16_t vmid, uint16_t asid);

static inline const tlb_entry *tlb_lookup(tlb *t, uint64_t va, uint16_t vmid, uint16_t asid)
{
	tlb_head *h = (tlb_head *)t;
	const tlb_entry *e = h->mru;
	if (e && va >> h->mru_lo == h->mru_key && vmid == h->mru_vmid &&
	    !((asid ^ h->mru_asid) & h->mru_care)) {
		h->c.hits++;
		return e;
	}
	return tlb_lookup_slow(t, va, vmid, asid);
}
/* Look VA up at one size only (walk caches). */
const tlb_entry *tlb_lookup_shift(tlb *t, uint64_t va, unsigned shift, uint16_t vmid,
				  uint16_t asid);
/* Insert E (its tag must equal va >> shift); replaces an entry with the same
 * tag, size and tags, else a victim chosen by the policy. */
void tlb_fill(tlb *t, const tlb_entry *e);

/* Invalidation verbs. An entry is removed when it matches every given tag.
 * inv_asid keeps global entries; inv_va removes entries of that ASID or global
 * whose region holds va; inv_out removes entries whose aux region holds addr
 * (used for IPA-based invalidation of the nested TLB). */
void tlb_inv_all(tlb *t);
void tlb_inv_vmid(tlb *t, uint16_t vmid);
void tlb_inv_asid(tlb *t, uint16_t vmid, uint16_t asid);
void tlb_inv_va(tlb *t, uint16_t vmid, uint16_t asid, uint64_t va);
void tlb_inv_tag_range(tlb *t, uint16_t vmid, uint64_t addr);   /* by the region tag holds */

int tlb_present(const tlb *t);
unsigned tlb_latency(const tlb *t);
const tlb_counters *tlb_stats(const tlb *t);
uint64_t tlb_reach_bytes(const tlb *t);   /* bytes mapped by valid entries */
unsigned tlb_valid_entries(const tlb *t);

#endif
