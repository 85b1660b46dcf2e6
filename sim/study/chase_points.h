/*
 * sim/study/chase_points.h - the points chase measures by default, shared
 * by tools/chase.c (standalone: it includes this header by its path) and
 * slatsim calibrate, which must ask for the same ones.
 */
#ifndef SLATSIM_CHASE_POINTS_H
#define SLATSIM_CHASE_POINTS_H

#define CHASE_MAX_PAGES 65536u     /* elements of a page mode (4k, 2m, s8, s512) */
#define CHASE_MAX_LINES 8388608u   /* elements of the packed control: 512 MB */

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

#endif
