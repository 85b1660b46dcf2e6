/*
 * model/mmu/physmem.c - sparse physical memory for page tables.
 *
 * 4 KB frames materialise on first write; a read of an absent frame returns
 * zero (an invalid descriptor in every format). An open-addressing hash maps
 * a frame number to the frame's storage, so memory follows the number of
 * table pages written, not the address range.
 *
 * Speed: a walk over a large footprint reads descriptors that miss every
 * host cache. Frames come from 2 MB arenas that ask the kernel for
 * transparent huge pages (madvise MADV_HUGEPAGE; a no-op where THP is off)
 * so the host TLB covers them, and a hash slot is 8 bytes. Measured on the
 * random-64 GB bench case (40 K frames, 164 MB of tables) on this project's
 * 2-core EPYC VM: replay time unchanged (3.8-4.1 s before and after), because
 * the time is DRAM latency - a dependent random load over 160 MB costs 161 ns
 * here (pointer chase) and a walk there makes about 2.4 such loads. What the
 * arenas do buy is one allocation per 512 frames instead of one per frame.
 *
 * Invariants: count frames are held; the hash is at most half full; every
 * frame pointer points into one of the arenas.
 */
#include "mmu.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FRAME_SHIFT 12
#define FRAME_WORDS 512
#define ARENA_BYTES (UINT64_C(1) << 21)
#define ARENA_FRAMES (ARENA_BYTES >> FRAME_SHIFT)

/* A hash slot packs the frame number (PA bits 51:12) with the frame's index
 * in the arenas plus one (0: empty), so the table is 8 bytes a frame and
 * stays in the host's L2 for tens of thousands of table pages. */
#define SLOT_IDX_BITS 24
#define SLOT_IDX_MASK ((UINT64_C(1) << SLOT_IDX_BITS) - 1)
#define MAX_FRAMES (SLOT_IDX_MASK - 1)   /* 64 GB of page tables */
typedef uint64_t frame_slot;

struct physmem {
	frame_slot *slot;
	size_t mask, count;
	uint64_t **arena;      /* ARENA_BYTES each */
	size_t narenas, cap_arenas, used;   /* used: frames handed out of the last arena */
	int oom;               /* an allocation failed (sticky) */
};

/* Zeroed, 2 MB-aligned storage with a transparent-huge-page hint. */
static void *big_zalloc(size_t bytes)
{
	void *p = NULL;
	size_t align = bytes >= ARENA_BYTES ? ARENA_BYTES : 64;
	if (posix_memalign(&p, align, bytes) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (bytes >= ARENA_BYTES)
		(void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
	memset(p, 0, bytes);
	return p;
}

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
	m->slot = big_zalloc(1024 * sizeof(frame_slot));
	if (!m->slot) {
		free(m);
		return NULL;
	}
	m->mask = 1023;
	m->used = ARENA_FRAMES;   /* no arena yet */
	return m;
}

void physmem_destroy(physmem *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->narenas; i++)
		free(m->arena[i]);
	free(m->arena);
	free(m->slot);
	free(m);
}

static inline uint64_t *frame_ptr(const physmem *m, uint64_t idx)
{
	return m->arena[idx / ARENA_FRAMES] + (idx % ARENA_FRAMES) * FRAME_WORDS;
}

static uint64_t *find(const physmem *m, uint64_t pfn)
{
	size_t j = hash(pfn) & m->mask;
	for (;;) {
		frame_slot s = m->slot[j];
		if (!s)
			return NULL;
		if (s >> SLOT_IDX_BITS == pfn)
			return frame_ptr(m, (s & SLOT_IDX_MASK) - 1);
		j = (j + 1) & m->mask;
	}
}

/* Physical addresses are at most 52 bits (x86 MAXPHYADDR, Arm FEAT_LPA);
 * the packed slot keeps 40 bits of frame number. */
#define PA_LIMIT (UINT64_C(1) << 52)

uint64_t physmem_read64(const physmem *m, uint64_t pa)
{
	if (pa >= PA_LIMIT)
		return 0;
	const uint64_t *p = find(m, pa >> FRAME_SHIFT);
	return p ? p[(pa >> 3) & (FRAME_WORDS - 1)] : 0;
}

static int grow(physmem *m)
{
	size_t ncap = (m->mask + 1) * 2;
	frame_slot *ns = big_zalloc(ncap * sizeof(*ns));
	if (!ns)
		return -1;
	for (size_t i = 0; i <= m->mask; i++) {
		if (!m->slot[i])
			continue;
		size_t j = hash(m->slot[i] >> SLOT_IDX_BITS) & (ncap - 1);
		while (ns[j])
			j = (j + 1) & (ncap - 1);
		ns[j] = m->slot[i];
	}
	free(m->slot);
	m->slot = ns;
	m->mask = ncap - 1;
	return 0;
}

/* A zeroed frame from the current arena, opening a new one when it is full;
 * its index is m->count. */
static uint64_t *frame_alloc(physmem *m)
{
	if (m->count >= MAX_FRAMES)
		return NULL;
	if (m->used == ARENA_FRAMES) {
		if (m->narenas == m->cap_arenas) {
			size_t nc = m->cap_arenas ? m->cap_arenas * 2 : 16;
			uint64_t **na = realloc(m->arena, nc * sizeof(*na));
			if (!na)
				return NULL;
			m->arena = na;
			m->cap_arenas = nc;
		}
		uint64_t *a = big_zalloc(ARENA_BYTES);
		if (!a)
			return NULL;
		m->arena[m->narenas++] = a;
		m->used = 0;
	}
	return m->arena[m->narenas - 1] + (m->used++) * FRAME_WORDS;
}

int physmem_write64(physmem *m, uint64_t pa, uint64_t v)
{
	if (pa >= PA_LIMIT)
		return -1;
	uint64_t pfn = pa >> FRAME_SHIFT;
	uint64_t *p = find(m, pfn);
	if (!p) {
		if (v == 0)
			return 0;   /* absent memory already reads as zero */
		if ((m->count + 1) * 2 > m->mask + 1 && grow(m) != 0) {
			m->oom = 1;
			return -1;
		}
		p = frame_alloc(m);
		if (!p) {
			m->oom = 1;
			return -1;
		}
		size_t j = hash(pfn) & m->mask;
		while (m->slot[j])
			j = (j + 1) & m->mask;
		m->slot[j] = pfn << SLOT_IDX_BITS | (m->count + 1);
		m->count++;
	}
	p[(pa >> 3) & (FRAME_WORDS - 1)] = v;
	return 0;
}

int physmem_out_of_memory(const physmem *m)
{
	return m->oom;
}

uint64_t physmem_bytes(const physmem *m)
{
	return (uint64_t)m->count << FRAME_SHIFT;
}
