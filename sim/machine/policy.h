/*
 * sim/machine/policy.h - page-size policies (guest.page, host.page): the sizes a
 * guest OS or hypervisor model maps with, shared by both.
 *
 * A policy is an index into POLICY_CHOICES: one fixed size, thp (the
 * smallest block size where the aligned region is still empty, else the
 * granule's page, as Linux THP and KVM's huge-page backing do) or base (the
 * granule's page).
 */
#ifndef SLATSIM_POLICY_H
#define SLATSIM_POLICY_H

#include "mmu.h"

#define POLICY_CHOICES "4k|16k|64k|2m|32m|512m|1g|thp|base"
enum { POLICY_THP = 7, POLICY_BASE = 8, POLICY_FIXED = 7 };

/* log2 of the fixed sizes, by index (thp and base have none). */
static inline unsigned policy_page_shift(unsigned pg)
{
	static const unsigned shift[POLICY_FIXED] = { 12, 14, 16, 21, 25, 29, 30 };
	return pg < POLICY_FIXED ? shift[pg] : 0;
}

/* Is fixed size PG a page or block size of the format (arm or x86/EPT) with
 * granule 2^GRAN? (x86: 4K, 2M, 1G; Arm: the granule and its block sizes.) */
static inline int policy_page_ok(int arm, unsigned gran, unsigned pg)
{
	if (pg >= POLICY_FIXED)
		return 1;
	unsigned s = policy_page_shift(pg);
	if (!arm)
		return s == 12 || s == 21 || s == 30;
	if (s == gran)
		return 1;
	return (gran == 12 && (s == 21 || s == 30)) || (gran == 14 && s == 25) ||
	       (gran == 16 && s == 29);
}

/* Candidate leaf shifts for policy PG under geometry G, largest first,
 * ending with the granule; returns how many (at most 2). */
static inline unsigned policy_shifts(const mmu_geom *g, unsigned pg, unsigned *out)
{
	unsigned n = 0;
	if (pg == POLICY_THP) {
		for (unsigned i = g->levels - 1; i-- > 0;)
			if (g->leaf_ok & (1u << i)) {
				out[n++] = g->shift[i];
				break;   /* the smallest block size */
			}
	} else if (pg != POLICY_BASE && policy_page_shift(pg) != g->gran_shift) {
		out[n++] = policy_page_shift(pg);
	}
	out[n++] = g->gran_shift;
	return n;
}

#endif
