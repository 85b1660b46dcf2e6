/*
 * sim/study/chase_points.h - the points chase measures by default, shared
 * by tools/chase.c (standalone: it includes this header by its path) and
 * slatsim calibrate, which must ask for the same ones; and the CPUID
 * decoding both do (chase writes it into its table, calibrate reads it live).
 */
#ifndef SLATSIM_CHASE_POINTS_H
#define SLATSIM_CHASE_POINTS_H

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define CHASE_MAX_PAGES 65536u     /* elements of a page mode (4k, 2m, s8, s512) */
#define CHASE_MAX_LINES 8388608u   /* elements of the packed control: 512 MB */
/* chase --trace's arena base (2 MB-aligned, as the 2m arena): page k of a
 * curve (--frames) is at CHASE_TRACE_BASE + k x stride x 4 KB in its trace. */
#define CHASE_TRACE_BASE 0x7f0000000000ull

/* 8 to MAX into OUT: 4 points per octave to CHASE_MAX_PAGES, 2 (N, 1.5 N)
 * beyond (OUT must hold 128). Returns how many. */
static inline unsigned chase_default_points(unsigned max, unsigned *out)
{
	unsigned n = 0;
	for (unsigned p = 8; p <= max; p *= 2) {
		unsigned per = p < CHASE_MAX_PAGES ? 4 : 2;
		for (unsigned q = 0; q < per && (q == 0 || p < max); q++)
			out[n++] = p + q * p / per;
	}
	return n;
}

/* What this CPU reports of its L2 data TLB for 4 KB pages (AMD: CPUID
 * Fn8000_0006 EBX[27:16] entries, [31:28] the associativity code of AMD's
 * APM Vol. 3, "L2 DTLB and L2 ITLB information for 4 KB pages"): 0 and
 * *ENTRIES, *WAYS, *EBX, or -1 (not AMD, not x86, or not reported). */
static inline int chase_cpuid_l2_dtlb(unsigned *entries, unsigned *ways, unsigned *ebx)
{
#if defined(__x86_64__) || defined(__i386__)
	static const unsigned code_ways[16] = { 0, 1, 2, 3, 4, 6, 8, 0, 16, 0, 32, 48, 64, 96,
						128, 0 };
	unsigned a, b, cx, d;
	__cpuid(0, a, b, cx, d);
	if (b != 0x68747541u || d != 0x69746e65u || cx != 0x444d4163u)   /* "AuthenticAMD" */
		return -1;
	__cpuid(0x80000000u, a, b, cx, d);
	if (a < 0x80000006u)
		return -1;
	__cpuid(0x80000006u, a, b, cx, d);
	*entries = (b >> 16) & 0xfff;
	*ways = code_ways[b >> 28];
	*ebx = b;
	return *entries && *ways ? 0 : -1;
#else
	(void)entries;
	(void)ways;
	(void)ebx;
	return -1;
#endif
}

#endif
