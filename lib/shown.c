/* lib/shown.c - see shown.h. */
#include "shown.h"

#include <stdio.h>
#include <string.h>

const char *text_shown(const char *s, char *buf, size_t n)
{
	size_t k = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (k + 8 > n) {
			memcpy(buf + k, "...", 4);
			return buf;
		}
		if (*p < 0x20 || *p >= 0x7f)
			k += (size_t)snprintf(buf + k, n - k, "\\x%02x", *p);
		else
			buf[k++] = (char)*p;
	}
	buf[k] = '\0';
	return buf;
}
