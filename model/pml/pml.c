/*
 * model/pml/pml.c - Intel PML and Arm HDBSS reference models (see pml.h).
 *
 * Invariants: a PML unit's index is only decremented by pml_log, which is
 * only legal while the index is in 0..511, so the index walks 511 .. 0 and
 * then 0xFFFF; an HDBSS index only grows by hdbss_log while below capacity.
 */
#include "pml.h"

#include <assert.h>
#include <stdlib.h>

struct pml_unit {
	physmem *mem;
	int enabled;
	uint64_t address;
	uint16_t index;
	uint64_t log_cycles;
	const pml_observer *obs;
	pml_counters c;
};

pml_unit *pml_create(physmem *mem)
{
	pml_unit *p = calloc(1, sizeof(*p));
	if (p) {
		p->mem = mem;
		p->index = PML_HEAD_INDEX;
	}
	return p;
}

void pml_destroy(pml_unit *p) { free(p); }

void pml_enable(pml_unit *p, uint64_t pml_address)
{
	assert((pml_address & ~PML_ADDRESS_MASK) == 0 && "PML_ADDRESS is 4 KB aligned");
	p->address = pml_address;
	p->enabled = 1;
	if (p->obs)
		p->obs->csr_write(p->obs->ctx, VMCS_PML_ADDRESS, pml_address);
}

void pml_disable(pml_unit *p) { p->enabled = 0; }
int pml_enabled(const pml_unit *p) { return p->enabled; }
uint64_t pml_address(const pml_unit *p) { return p->address; }
uint16_t pml_index(const pml_unit *p) { return p->index; }
void pml_set_index(pml_unit *p, uint16_t index)
{
	p->index = index;
	if (p->obs)
		p->obs->csr_write(p->obs->ctx, VMCS_GUEST_PML_INDEX, index);
}

/* The index is outside 0..511: count a log-full event. */
static int index_full(pml_unit *p)
{
	if (p->index < PML_ENTRIES)
		return 0;
	p->c.full_events++;
	return 1;
}

/* Write the entry for GPA at the index and decrement it (room checked). */
static uint64_t log_entry(pml_unit *p, uint64_t gpa)
{
	assert(p->index < PML_ENTRIES && "PML log without room: check full first");
	uint64_t at = p->address + 8u * p->index;
	if (physmem_write64(p->mem, at, gpa & PML_ENTRY_GPA_MASK))
		abort();   /* the log page already exists: software zeroed it at enable */
	p->index = (uint16_t)(p->index - 1);   /* 0 -> 0xFFFF (SDM: "decrements") */
	p->c.logged++;
	return at;
}

int pml_full(pml_unit *p) { return p->enabled && index_full(p); }

uint64_t pml_log(pml_unit *p, uint64_t gpa)
{
	assert(p->enabled && "pml_log with PML disabled");
	return log_entry(p, gpa);
}

void pml_request(pml_unit *p, const pml_event *ev, pml_outcome *o)
{
	*o = (pml_outcome){ 0 };
	if (ev->enabled) {
		o->full = index_full(p);
		if (!o->full && ev->leaf_level && ev->d_was_0 && ev->is_write) {
			o->data = ev->gpa & PML_ENTRY_GPA_MASK;
			o->addr = log_entry(p, ev->gpa);
			o->logged = 1;
			o->cycles = p->log_cycles;
		}
	}
	o->index = p->index;
	if (p->obs)
		p->obs->request(p->obs->ctx, ev, o);
}

void pml_set_log_cycles(pml_unit *p, uint64_t cycles) { p->log_cycles = cycles; }
void pml_set_observer(pml_unit *p, const pml_observer *obs) { p->obs = obs; }

unsigned pml_valid_entries(const pml_unit *p)
{
	return p->index >= PML_ENTRIES ? PML_ENTRIES : PML_HEAD_INDEX - p->index;
}

uint64_t pml_entry(const pml_unit *p, unsigned k)
{
	return physmem_read64(p->mem, p->address + 8u * (k & (PML_ENTRIES - 1)));
}

const pml_counters *pml_stats(const pml_unit *p) { return &p->c; }

/* ---------------------------------------------------------------- HDBSS */

struct hdbss_unit {
	physmem *mem;
	int enabled;
	uint64_t baddr;
	unsigned cap;
	uint32_t index;
	pml_counters c;
};

hdbss_unit *hdbss_create(physmem *mem)
{
	hdbss_unit *h = calloc(1, sizeof(*h));
	if (h)
		h->mem = mem;
	return h;
}

void hdbss_destroy(hdbss_unit *h) { free(h); }

void hdbss_enable(hdbss_unit *h, uint64_t baddr, unsigned sz)
{
	assert(sz <= HDBSSBR_SZ_MAX && "HDBSS buffers are at most 2 MB");
	uint64_t bytes = UINT64_C(4096) << sz;
	assert((baddr & (bytes - 1)) == 0 && "BADDR is aligned to the buffer size");
	h->baddr = baddr & HDBSSBR_BADDR_MASK;
	h->cap = (unsigned)(bytes / 8);
	h->enabled = 1;
}

int hdbss_enabled(const hdbss_unit *h) { return h->enabled; }
unsigned hdbss_capacity(const hdbss_unit *h) { return h->cap; }
uint32_t hdbss_index(const hdbss_unit *h) { return h->index; }
void hdbss_set_index(hdbss_unit *h, uint32_t index)
{
	h->index = (uint32_t)(index & HDBSSPROD_INDEX_MASK);
}

int hdbss_full(hdbss_unit *h)
{
	if (!h->enabled || h->index < h->cap)
		return 0;
	h->c.full_events++;
	return 1;
}

uint64_t hdbss_log(hdbss_unit *h, uint64_t ipa, unsigned ttwl)
{
	assert(h->enabled && h->index < h->cap && "hdbss_log without room");
	uint64_t at = h->baddr + 8u * h->index;
	uint64_t e = (ipa & HDBSS_ENTRY_IPA_MASK) | field_prep64(HDBSS_ENTRY_TTWL_MASK, ttwl) |
		     HDBSS_ENTRY_VALID;
	if (physmem_write64(h->mem, at, e))
		abort();
	h->index++;
	h->c.logged++;
	return at;
}

uint64_t hdbss_entry(const hdbss_unit *h, unsigned k)
{
	return physmem_read64(h->mem, h->baddr + 8u * k);
}

const pml_counters *hdbss_stats(const hdbss_unit *h) { return &h->c; }
