/*
 * lib/numfmt.h - the shortest decimal text that reads back as the same
 * double, so config echoes and JSON are both exact and readable.
 */
#ifndef SLATSIM_NUMFMT_H
#define SLATSIM_NUMFMT_H

#include <stdio.h>
#include <stdlib.h>

static inline void fmt_double(char *buf, size_t len, double v)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

#endif
