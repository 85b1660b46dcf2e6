/*
 * sim/machine/pageset.h - a set of 64-bit page numbers (open addressing).
 *
 * Used to count distinct pages: memory follows the number of distinct pages,
 * not the trace length. Linear probing, power-of-two capacity, grows at half
 * full. The all-ones key is reserved as the empty marker and stored aside.
 */
#ifndef SLATSIM_PAGESET_H
#define SLATSIM_PAGESET_H

#include <stddef.h>
#include <stdint.h>

typedef struct pageset {
	uint64_t *slot;
	size_t mask;        /* capacity - 1 */
	size_t count;
	int has_empty_key;
} pageset;

int pageset_init(pageset *s);          /* 0, or -1 out of memory */
void pageset_free(pageset *s);
/* Insert; returns 1 if new, 0 if present, -1 out of memory. */
int pageset_add(pageset *s, uint64_t key);
/* 1 if KEY is in the set. */
int pageset_has(const pageset *s, uint64_t key);
/* Remove every key (keeps the capacity). */
void pageset_clear(pageset *s);
/* Slot I (0..capacity-1) holds a key: visit keys with
 * for (i = 0; i <= s->mask; i++) if (pageset_slot_used(s, i)) ... s->slot[i]. */
static inline int pageset_slot_used(const pageset *s, size_t i) { return s->slot[i] != ~UINT64_C(0); }
static inline size_t pageset_count(const pageset *s) { return s->count; }

#endif
