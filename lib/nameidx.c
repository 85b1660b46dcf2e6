/*
 * lib/nameidx.c - a name index over an array of named entries (see nameidx.h).
 */
#include "nameidx.h"

#include <stdlib.h>
#include <string.h>

void nameidx_free(nameidx *x)
{
	free(x->slot);
	memset(x, 0, sizeof(*x));
}

static size_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)(h ^ h >> 29);
}

/* Give entries [indexed, n) their slots, rebuilding the index when it would
 * be more than half full. */
int nameidx_update(nameidx *x, size_t n, nameidx_name_fn name_at, const void *ctx)
{
	if (x->indexed > n)
		x->indexed = n;   /* (cut off: their slots are stale) */
	if (x->indexed == n)
		return 1;
	if (n > UINT32_MAX - 1)
		return 0;
	if (2 * (x->used + n - x->indexed) > x->nslot) {
		size_t ns = 64;
		while (ns < 4 * n)
			ns *= 2;
		uint32_t *sl = calloc(ns, sizeof(*sl));
		if (!sl)
			return 0;
		free(x->slot);
		x->slot = sl;
		x->nslot = ns;
		x->used = 0;
		x->indexed = 0;
	}
	for (; x->indexed < n; x->indexed++) {
		size_t h = name_hash(name_at(ctx, x->indexed)) & (x->nslot - 1);
		while (x->slot[h])
			h = (h + 1) & (x->nslot - 1);
		x->slot[h] = (uint32_t)x->indexed + 1;
		x->used++;
	}
	return 1;
}

long nameidx_find(const nameidx *x, size_t n, const char *name, nameidx_name_fn name_at,
		  const void *ctx)
{
	size_t upto = x->indexed < n ? x->indexed : n;
	if (x->nslot)
		for (size_t h = name_hash(name) & (x->nslot - 1); x->slot[h];
		     h = (h + 1) & (x->nslot - 1)) {
			size_t i = x->slot[h] - 1;
			if (i < n && strcmp(name_at(ctx, i), name) == 0)
				return (long)i;
		}
	for (size_t i = upto; i < n; i++)   /* (not indexed: no memory for it) */
		if (strcmp(name_at(ctx, i), name) == 0)
			return (long)i;
	return -1;
}
