/*
 * sim/machine/v2p.h - a static virtual-to-physical map, as Google's workload traces
 * ship beside each capture (aux/v2p.textproto) and DynamoRIO's TLB simulator
 * reads (clients/drcachesim/reader/v2p_reader.cpp): "page_size: N", then
 * pairs of "virtual_address: V" / "physical_address: P" lines (decimal or 0x
 * hex; '#' comments; the protobuf braces around them are ignored). Given to
 * `run --v2p FILE`, it fixes where the guest OS places each page of the
 * trace instead of the guest-OS model's allocator.
 */
#ifndef SLATSIM_V2P_H
#define SLATSIM_V2P_H

#include <stddef.h>
#include <stdint.h>

typedef struct v2p v2p;

/* Parse PATH. TRACE_OK, or a TRACE_E* code with a message naming the file
 * and line (a bad number, a physical address without its virtual one, a
 * virtual page given twice, a missing or non-power-of-two page size, an
 * unaligned address). */
int v2p_load(v2p **out, const char *path, char *err, size_t errlen);
void v2p_destroy(v2p *m);
/* An empty map of pages 2^SHIFT (>= 12) named NAME (in messages, as a
 * file's path), for v2p_add: calibrate builds one from the frames chase
 * read. NULL when out of memory. */
v2p *v2p_new(const char *name, unsigned shift);
/* VA -> PA, both aligned to the page: 1 added, 0 VA's page already mapped
 * (nothing changed), -1 out of memory or unaligned. */
int v2p_add(v2p *m, uint64_t va, uint64_t pa);

unsigned v2p_page_shift(const v2p *m);      /* log2 page_size */
/* The physical address of VA's page: 0 with *PA (page aligned), or -1 if
 * the map does not have it. */
int v2p_lookup(const v2p *m, uint64_t va, uint64_t *pa);
uint64_t v2p_pages(const v2p *m);
uint64_t v2p_max_pa(const v2p *m);          /* the end of the highest page mapped */
const char *v2p_path(const v2p *m);

#endif
