/*
 * tests/check_geom.h - a geometry for the walker suites, or a test failure
 * naming the rule that refused it.
 */
#ifndef SLATSIM_CHECK_GEOM_H
#define SLATSIM_CHECK_GEOM_H

#include <check.h>

#include "mmu.h"

static inline mmu_geom geom(mmu_fmt f, unsigned gran, unsigned bits)
{
	mmu_geom g;
	char err[256];
	ck_assert_msg(mmu_geom_init(&g, f, gran, bits, err, sizeof(err)) == 0, "%s", err);
	return g;
}

#endif
