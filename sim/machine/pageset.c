/*
 * sim/machine/pageset.c - see pageset.h.
 */
#include "pageset.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY (~UINT64_C(0))

static inline size_t hash(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	return (size_t)k;
}

int pageset_init(pageset *s)
{
	memset(s, 0, sizeof(*s));
	size_t cap = 1024;
	s->slot = malloc(cap * sizeof(uint64_t));
	if (!s->slot)
		return -1;
	memset(s->slot, 0xff, cap * sizeof(uint64_t));
	s->mask = cap - 1;
	return 0;
}

void pageset_free(pageset *s)
{
	free(s->slot);
	s->slot = NULL;
}

static int grow(pageset *s)
{
	size_t ncap = (s->mask + 1) * 2;
	uint64_t *ns = malloc(ncap * sizeof(uint64_t));
	if (!ns)
		return -1;
	memset(ns, 0xff, ncap * sizeof(uint64_t));
	for (size_t i = 0; i <= s->mask; i++) {
		uint64_t k = s->slot[i];
		if (k == EMPTY)
			continue;
		size_t j = hash(k) & (ncap - 1);
		while (ns[j] != EMPTY)
			j = (j + 1) & (ncap - 1);
		ns[j] = k;
	}
	free(s->slot);
	s->slot = ns;
	s->mask = ncap - 1;
	return 0;
}

int pageset_add(pageset *s, uint64_t key)
{
	if (key == EMPTY) {
		if (s->has_empty_key)
			return 0;
		s->has_empty_key = 1;
		s->count++;
		return 1;
	}
	size_t j = hash(key) & s->mask;
	for (;;) {
		uint64_t k = s->slot[j];
		if (k == key)
			return 0;
		if (k == EMPTY)
			break;
		j = (j + 1) & s->mask;
	}
	s->slot[j] = key;
	s->count++;
	if (s->count * 2 > s->mask + 1 && grow(s) != 0)
		return -1;
	return 1;
}

int pageset_has(const pageset *s, uint64_t key)
{
	if (key == EMPTY)
		return s->has_empty_key;
	size_t j = hash(key) & s->mask;
	for (;;) {
		uint64_t k = s->slot[j];
		if (k == EMPTY)
			return 0;
		if (k == key)
			return 1;
		j = (j + 1) & s->mask;
	}
}

void pageset_clear(pageset *s)
{
	memset(s->slot, 0xff, (s->mask + 1) * sizeof(*s->slot));
	s->count = 0;
	s->has_empty_key = 0;
}
