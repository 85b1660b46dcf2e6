/*
 * lib/nameidx.h - a name index over an array of named entries.
 *
 * An open-addressed hash index for a registry that holds its entries in an
 * array and finds them by name (the parameter and statistics registries: a
 * machine asks for some 300 parameters and registers some 400 statistics,
 * and a sweep or a fuzz input builds a machine per point; linear compares
 * made that tens of thousands of strcmp calls a machine). The index holds
 * entry numbers; the registry keeps the names. Entries [0, indexed) have a
 * slot; entries appended later get theirs at the next lookup; a registry
 * that renames or cuts entries off from entry I on calls nameidx_stale(I).
 * A slot may then be stale: a lookup checks the name of the entry it
 * finds, so a stale slot costs a compare, never a wrong answer. Names must
 * be unique among the entries [0, n).
 */
#ifndef SLATSIM_NAMEIDX_H
#define SLATSIM_NAMEIDX_H

#include <stddef.h>
#include <stdint.h>

typedef const char *(*nameidx_name_fn)(const void *ctx, size_t i);

typedef struct nameidx {
	uint32_t *slot;      /* entry number + 1; 0: empty; a power of two in size */
	size_t nslot, used, indexed;
} nameidx;

/* Release the index (the zeroed struct is an empty index). */
void nameidx_free(nameidx *x);

/* Entries from FROM on have new names (or are gone): index them again. */
static inline void nameidx_stale(nameidx *x, size_t from)
{
	if (x->indexed > from)
		x->indexed = from;
}

/* The number of the entry among [0, N) named NAME (NAME_AT(CTX, i) gives
 * entry i's name), or -1. Out of memory for the index, it searches the
 * entries one by one. */
long nameidx_find(nameidx *x, size_t n, const char *name, nameidx_name_fn name_at,
		  const void *ctx);

#endif
