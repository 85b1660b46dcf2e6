/*
 * sim/ptbuild.c - see ptbuild.h.
 */
#include "ptbuild.h"

static int entry_pa(const pt_space *s, uint64_t table, unsigned level, uint64_t va,
		    uint64_t *pa)
{
	return s->to_pa(s->ctx, table + mmu_geom_index(s->g, level, va) * 8, pa);
}

int pt_lookup(const pt_space *s, uint64_t va, uint64_t *out, unsigned *shift, unsigned *depth)
{
	uint64_t table = s->root;
	for (unsigned i = 0; i < s->g->levels; i++) {
		uint64_t pa;
		*depth = i;
		if (entry_pa(s, table, i, va, &pa))
			return 0;
		mmu_desc x = mmu_desc_decode(s->g, i, physmem_read64(s->mem, pa));
		if (x.kind == MMU_DESC_TABLE) {
			table = x.addr;
			continue;
		}
		if (x.kind != MMU_DESC_LEAF)
			return 0;
		*out = x.addr;
		*shift = s->g->shift[i];
		return 1;
	}
	return 0;
}

int pt_slot_empty(const pt_space *s, uint64_t va, unsigned level)
{
	uint64_t table = s->root;
	for (unsigned i = 0; i <= level; i++) {
		uint64_t pa;
		if (entry_pa(s, table, i, va, &pa))
			return 1;
		uint64_t d = physmem_read64(s->mem, pa);
		mmu_desc x = mmu_desc_decode(s->g, i, d);
		if (i == level)
			return d == 0;
		if (x.kind != MMU_DESC_TABLE)
			return x.kind == MMU_DESC_INVALID;
		table = x.addr;
	}
	return 1;
}

int pt_map(pt_space *s, uint64_t va, uint64_t out, unsigned shift, unsigned perm)
{
	int leaf = mmu_geom_level_for_shift(s->g, shift);
	if (leaf < 0)
		return -1;
	uint64_t table = s->root;
	uint64_t tbytes = UINT64_C(1) << s->g->gran_shift;
	for (unsigned i = 0; i < (unsigned)leaf; i++) {
		uint64_t pa;
		if (entry_pa(s, table, i, va, &pa))
			return -1;
		uint64_t d = physmem_read64(s->mem, pa);
		mmu_desc x = mmu_desc_decode(s->g, i, d);
		if (x.kind == MMU_DESC_TABLE) {
			table = x.addr;
			continue;
		}
		if (d != 0)
			return -1;   /* a leaf (or garbage) already covers this VA */
		uint64_t next;
		if (s->alloc_table(s->ctx, tbytes, &next))
			return -1;
		s->table_bytes += tbytes;
		if (physmem_write64(s->mem, pa, mmu_desc_table(s->g, next)))
			return -1;
		table = next;
	}
	uint64_t pa;
	if (entry_pa(s, table, (unsigned)leaf, va, &pa))
		return -1;
	if (physmem_read64(s->mem, pa) != 0)
		return -1;
	return physmem_write64(s->mem, pa, mmu_desc_leaf(s->g, (unsigned)leaf, out, perm));
}
