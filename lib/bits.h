/*
 * lib/bits.h - bit-field helpers shared by every hardware format header.
 *
 * BIT64(n) and GENMASK64(hi, lo) let a descriptor layout read like the manual
 * (the Linux GENMASK convention: both bounds inclusive, hi >= lo).
 */
#ifndef SLATSIM_BITS_H
#define SLATSIM_BITS_H

#include <stdint.h>

#define BIT64(n)            (UINT64_C(1) << (n))
#define GENMASK64(hi, lo)   ((~UINT64_C(0) >> (63 - (hi))) & (~UINT64_C(0) << (lo)))

/* Extract / insert a field given its mask (mask must be contiguous). */
static inline uint64_t field_get64(uint64_t mask, uint64_t v)
{
	return (v & mask) >> __builtin_ctzll(mask);
}

static inline uint64_t field_prep64(uint64_t mask, uint64_t f)
{
	return (f << __builtin_ctzll(mask)) & mask;
}

/* A + B, or UINT64_MAX when it would wrap (cycle totals saturate rather
 * than come out small). */
static inline uint64_t sat_add64(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;
	return s < a ? UINT64_MAX : s;
}

/* A * B, saturating. */
static inline uint64_t sat_mul64(uint64_t a, uint64_t b)
{
	uint64_t p;
	return __builtin_mul_overflow(a, b, &p) ? UINT64_MAX : p;
}

/* qsort's comparator for uint64_t, ascending (migrate's page lists,
 * calibrate's frames). */
static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static inline int is_pow2_u64(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static inline unsigned log2_u64(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

/* The set of N among MASK + 1 (a power of two): N's low bits, XORed with
 * its next ones when XMASK is MASK and SHIFT log2(MASK + 1) - an XOR index
 * (tlb.l2.index, cache.llc.index) - or not at all when XMASK is 0. No
 * branch: the TLB and cache lookups take it on every probe. */
static inline uint64_t set_index(uint64_t n, unsigned shift, uint64_t xmask, uint64_t mask)
{
	return (n ^ ((n >> shift) & xmask)) & mask;
}

#if defined(__GNUC__)
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#else
#define likely(x)   (x)
#define unlikely(x) (x)
#endif

#ifndef __cplusplus   /* (model/mmu/cache.h reaches the SystemC glue's C++) */
_Static_assert(GENMASK64(63, 0) == ~UINT64_C(0), "GENMASK64 full width");
_Static_assert(GENMASK64(11, 0) == 0xfff, "GENMASK64 low field");
_Static_assert(GENMASK64(51, 12) == UINT64_C(0x000ffffffffff000), "GENMASK64 address field");
#endif

#endif
