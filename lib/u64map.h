/*
 * lib/u64map.h - a map of 64-bit keys to 64-bit values (open addressing,
 * linear probing, power-of-two capacity, grows at half full). The all-ones
 * key is reserved (U64MAP_EMPTY). Keys are never removed; u64map_clear
 * empties the whole map and keeps its capacity.
 *
 * Visit the entries with
 *   for (size_t i = 0; i <= m->mask; i++) if (m->key[i] != U64MAP_EMPTY) ...
 */
#ifndef SLATSIM_U64MAP_H
#define SLATSIM_U64MAP_H

#include <stddef.h>
#include <stdint.h>

#define U64MAP_EMPTY (~UINT64_C(0))

typedef struct u64map {
	uint64_t *key, *val;
	size_t mask;        /* capacity - 1 */
	size_t count;
} u64map;

int u64map_init(u64map *m);                 /* 0, or -1 out of memory */
void u64map_free(u64map *m);
void u64map_clear(u64map *m);
/* The value of KEY, or NULL if absent. */
uint64_t *u64map_find(const u64map *m, uint64_t key);
/* The value of KEY, inserted as 0 if absent (*ADDED = 1 then; ADDED may be
 * NULL); NULL when out of memory. The pointer is valid until the next
 * insertion. */
uint64_t *u64map_get(u64map *m, uint64_t key, int *added);

#endif
