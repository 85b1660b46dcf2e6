/*
 * lib/numfmt.h - the shortest decimal text that reads back as the same
 * double, so config echoes and JSON are both exact and readable.
 */
#ifndef SLATSIM_NUMFMT_H
#define SLATSIM_NUMFMT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shortest %g form that reads back; between 1e-4 and 1e15 written
 * without an exponent (10, not 1e+01), as a person would type it. */
static inline void fmt_double(char *buf, size_t len, double v)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) != v)
			continue;
		double a = v < 0 ? -v : v;
		if (strchr(buf, 'e') && a >= 1e-4 && a < 1e15)
			for (int d = 0; d <= 20; d++) {
				char alt[40];
				snprintf(alt, sizeof(alt), "%.*f", d, v);
				if (strtod(alt, NULL) == v) {
					snprintf(buf, len, "%s", alt);
					break;
				}
			}
		return;
	}
}

#endif
