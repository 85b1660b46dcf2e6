/*
 * model/mmu/physmem.c - sparse physical memory for page tables.
 *
 * 4 KB frames materialise on first write; a read of an absent frame returns
 * zero (an invalid descriptor in every format). Frames live in an
 * open-addressing hash keyed by frame number, so memory follows the number
 * of table pages written, not the address range.
 */
#include "mmu.h"

#include <stdlib.h>
#include <string.h>

#define FRAME_SHIFT 12
#define FRAME_WORDS 512

typedef struct frame_slot {
	uint64_t pfn;          /* valid when page != NULL */
	uint64_t *page;
} frame_slot;

struct physmem {
	frame_slot *slot;
	size_t mask, count;
};

static inline size_t hash(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	return (size_t)k;
}

physmem *physmem_create(void)
{
	physmem *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->slot = calloc(1024, sizeof(frame_slot));
	if (!m->slot) {
		free(m);
		return NULL;
	}
	m->mask = 1023;
	return m;
}

void physmem_destroy(physmem *m)
{
	if (!m)
		return;
	for (size_t i = 0; i <= m->mask; i++)
		free(m->slot[i].page);
	free(m->slot);
	free(m);
}

static uint64_t *find(const physmem *m, uint64_t pfn)
{
	size_t j = hash(pfn) & m->mask;
	for (;;) {
		const frame_slot *s = &m->slot[j];
		if (!s->page)
			return NULL;
		if (s->pfn == pfn)
			return s->page;
		j = (j + 1) & m->mask;
	}
}

uint64_t physmem_read64(const physmem *m, uint64_t pa)
{
	const uint64_t *p = find(m, pa >> FRAME_SHIFT);
	return p ? p[(pa >> 3) & (FRAME_WORDS - 1)] : 0;
}

static int grow(physmem *m)
{
	size_t ncap = (m->mask + 1) * 2;
	frame_slot *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -1;
	for (size_t i = 0; i <= m->mask; i++) {
		if (!m->slot[i].page)
			continue;
		size_t j = hash(m->slot[i].pfn) & (ncap - 1);
		while (ns[j].page)
			j = (j + 1) & (ncap - 1);
		ns[j] = m->slot[i];
	}
	free(m->slot);
	m->slot = ns;
	m->mask = ncap - 1;
	return 0;
}

int physmem_write64(physmem *m, uint64_t pa, uint64_t v)
{
	uint64_t pfn = pa >> FRAME_SHIFT;
	uint64_t *p = find(m, pfn);
	if (!p) {
		if (v == 0)
			return 0;   /* absent memory already reads as zero */
		if ((m->count + 1) * 2 > m->mask + 1 && grow(m) != 0)
			return -1;
		p = calloc(FRAME_WORDS, sizeof(uint64_t));
		if (!p)
			return -1;
		size_t j = hash(pfn) & m->mask;
		while (m->slot[j].page)
			j = (j + 1) & m->mask;
		m->slot[j].pfn = pfn;
		m->slot[j].page = p;
		m->count++;
	}
	p[(pa >> 3) & (FRAME_WORDS - 1)] = v;
	return 0;
}

uint64_t physmem_bytes(const physmem *m)
{
	return (uint64_t)m->count << FRAME_SHIFT;
}
