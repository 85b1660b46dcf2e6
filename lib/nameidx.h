/*
 * lib/nameidx.h - a name index over an array of named entries.
 *
 * An open-addressed hash index for a registry that holds its entries in an
 * array and finds them by name (the parameter and statistics registries: a
 * machine asks for some 300 parameters and registers some 400 statistics,
 * and a sweep or a fuzz input builds a machine per point; linear compares
 * made that tens of thousands of strcmp calls a machine). The index holds
 * entry numbers; the registry keeps the names. The registry brings the
 * index up to date when it adds, renames or cuts entries (nameidx_stale
 * from the first changed, then nameidx_update); a lookup only reads, so
 * lookups on a registry nobody changes may run on several threads at once,
 * as the linear search allowed. A slot may be stale (its entry renamed or
 * cut off): a lookup checks the name of the entry it finds, so a stale slot
 * costs a compare, never a wrong answer; entries the index lacks (no
 * memory for it) are searched one by one. Names must be unique among the
 * entries [0, n).
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

/* Entries from FROM on have new names (or are gone): index them again at
 * the next nameidx_update. */
static inline void nameidx_stale(nameidx *x, size_t from)
{
	if (x->indexed > from)
		x->indexed = from;
}

/* Index the entries [0, N) (NAME_AT(CTX, i) gives entry i's name) that are
 * not yet: after the registry added or renamed some. 0 when out of memory
 * (lookups then search the entries not indexed one by one). */
int nameidx_update(nameidx *x, size_t n, nameidx_name_fn name_at, const void *ctx);

/* The number of the entry among [0, N) named NAME, or -1. Reads only. */
long nameidx_find(const nameidx *x, size_t n, const char *name, nameidx_name_fn name_at,
		  const void *ctx);

#endif
