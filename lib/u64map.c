/*
 * lib/u64map.c - see u64map.h.
 */
#include "u64map.h"

#include <stdlib.h>
#include <string.h>

static size_t hash(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	return (size_t)k;
}

static int alloc(u64map *m, size_t cap)
{
	m->key = malloc(cap * sizeof(uint64_t));
	m->val = malloc(cap * sizeof(uint64_t));
	if (!m->key || !m->val) {
		free(m->key);
		free(m->val);
		return -1;
	}
	memset(m->key, 0xff, cap * sizeof(uint64_t));
	m->mask = cap - 1;
	m->count = 0;
	return 0;
}

int u64map_init(u64map *m) { return alloc(m, 256); }

void u64map_free(u64map *m)
{
	free(m->key);
	free(m->val);
	m->key = m->val = NULL;
}

void u64map_clear(u64map *m)
{
	memset(m->key, 0xff, (m->mask + 1) * sizeof(uint64_t));
	m->count = 0;
}

static size_t slot_of(const u64map *m, uint64_t k)
{
	size_t i = hash(k) & m->mask;
	while (m->key[i] != U64MAP_EMPTY && m->key[i] != k)
		i = (i + 1) & m->mask;
	return i;
}

uint64_t *u64map_find(const u64map *m, uint64_t key)
{
	size_t i = slot_of(m, key);
	return m->key[i] == key ? &m->val[i] : NULL;
}

uint64_t *u64map_get(u64map *m, uint64_t key, int *added)
{
	size_t i = slot_of(m, key);
	if (m->key[i] == key) {
		if (added)
			*added = 0;
		return &m->val[i];
	}
	if (2 * (m->count + 1) > m->mask + 1) {
		u64map old = *m;
		if (alloc(m, (old.mask + 1) * 2)) {
			*m = old;
			return NULL;
		}
		for (size_t k = 0; k <= old.mask; k++)
			if (old.key[k] != U64MAP_EMPTY) {
				size_t j = slot_of(m, old.key[k]);
				m->key[j] = old.key[k];
				m->val[j] = old.val[k];
				m->count++;
			}
		u64map_free(&old);
		i = slot_of(m, key);
	}
	m->key[i] = key;
	m->val[i] = 0;
	m->count++;
	if (added)
		*added = 1;
	return &m->val[i];
}
