/*
 * sim/machine/ptbuild.c - see ptbuild.h.
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
		if (x.kind != MMU_DESC_LEAF && x.kind != MMU_DESC_NOACCESS)
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

/* Map one leaf; CONT: with the contiguous hint. */
static int map_leaf(pt_space *s, uint64_t va, uint64_t out, unsigned shift, unsigned perm,
		    int cont)
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
		uint64_t t = mmu_desc_table(s->g, next);
		if (s->new_entry)
			t = s->new_entry(s->ctx, i, t);
		if (physmem_write64(s->mem, pa, t))
			return -1;
		table = next;
	}
	uint64_t pa;
	if (entry_pa(s, table, (unsigned)leaf, va, &pa))
		return -1;
	if (physmem_read64(s->mem, pa) != 0)
		return -1;
	uint64_t d = mmu_desc_leaf(s->g, (unsigned)leaf, out, perm);
	if (cont)
		d = mmu_desc_set_cont(s->g, (unsigned)leaf, d);
	if (s->new_entry)
		d = s->new_entry(s->ctx, (unsigned)leaf, d);
	return physmem_write64(s->mem, pa, d);
}

int pt_map(pt_space *s, uint64_t va, uint64_t out, unsigned shift, unsigned perm)
{
	return map_leaf(s, va, out, shift, perm, 0);
}

int pt_map_cont(pt_space *s, uint64_t va, uint64_t out, unsigned shift, unsigned perm)
{
	int lvl = mmu_geom_level_for_shift(s->g, shift);
	if (lvl < 0 || !s->g->cont_bits[lvl])
		return -1;
	uint64_t n = UINT64_C(1) << s->g->cont_bits[lvl], page = UINT64_C(1) << shift;
	uint64_t base = va & ~(n * page - 1);
	for (uint64_t k = 0; k < n; k++)
		if (!pt_slot_empty(s, base + k * page, (unsigned)lvl))
			return -1;
	for (uint64_t k = 0; k < n; k++)
		if (map_leaf(s, base + k * page, out + k * page, shift, perm, 1))
			return -1;
	return 0;
}

int pt_unmap(pt_space *s, uint64_t va, unsigned shift)
{
	unsigned level;
	uint64_t pa, d;
	if (!pt_find_leaf(s, va, &level, &pa, &d) || s->g->shift[level] != shift)
		return -1;
	return physmem_write64(s->mem, pa, 0);
}

static long visit(pt_space *s, uint64_t table, unsigned i, uint64_t base, uint64_t lo,
		  uint64_t hi, pt_leaf_fn fn, void *ctx)
{
	const mmu_geom *g = s->g;
	uint64_t span = UINT64_C(1) << g->shift[i];
	uint64_t n = UINT64_C(1) << g->bits[i];
	long count = 0;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t va = base + k * span;
		if (va + span <= lo || va >= hi)
			continue;
		uint64_t pa;
		if (s->to_pa(s->ctx, table + k * 8, &pa))
			continue;
		uint64_t d = physmem_read64(s->mem, pa);
		if (!d)
			continue;
		mmu_desc x = mmu_desc_decode(g, i, d);
		if (x.kind == MMU_DESC_TABLE) {
			long c = visit(s, x.addr, i + 1, va, lo, hi, fn, ctx);
			if (c < 0)
				return -1;
			count += c;
			continue;
		}
		if (x.kind != MMU_DESC_LEAF && x.kind != MMU_DESC_NOACCESS)
			continue;
		count++;
		uint64_t nd = fn(ctx, va, i, pa, d);
		if (nd != d && physmem_write64(s->mem, pa, nd))
			return -1;
	}
	return count;
}

long pt_foreach_leaf(pt_space *s, uint64_t lo, uint64_t hi, pt_leaf_fn fn, void *ctx)
{
	return visit(s, s->root, 0, 0, lo, hi, fn, ctx);
}

int pt_find_leaf(const pt_space *s, uint64_t va, unsigned *level, uint64_t *pa, uint64_t *d)
{
	uint64_t table = s->root;
	for (unsigned i = 0; i < s->g->levels; i++) {
		if (entry_pa(s, table, i, va, pa))
			return 0;
		*d = physmem_read64(s->mem, *pa);
		mmu_desc x = mmu_desc_decode(s->g, i, *d);
		if (x.kind == MMU_DESC_TABLE) {
			table = x.addr;
			continue;
		}
		*level = i;
		return x.kind == MMU_DESC_LEAF || x.kind == MMU_DESC_NOACCESS;
	}
	return 0;
}

int pt_split(pt_space *s, uint64_t va, unsigned level, pt_leaf_fn fn, void *ctx)
{
	const mmu_geom *g = s->g;
	unsigned lvl;
	uint64_t pa, d;
	if (!pt_find_leaf(s, va, &lvl, &pa, &d) || lvl != level || level + 1 >= g->levels)
		return -1;
	mmu_desc x = mmu_desc_decode(g, level, d);
	uint64_t tbytes = UINT64_C(1) << g->gran_shift, next;
	if (s->alloc_table(s->ctx, tbytes, &next))
		return -1;
	s->table_bytes += tbytes;
	uint64_t base = va & ~((UINT64_C(1) << g->shift[level]) - 1);
	uint64_t sub = UINT64_C(1) << g->shift[level + 1];
	uint64_t n = UINT64_C(1) << g->bits[level + 1];
	for (uint64_t k = 0; k < n; k++) {
		uint64_t npa;
		if (s->to_pa(s->ctx, next + k * 8, &npa))
			return -1;
		uint64_t nd = mmu_desc_leaf(g, level + 1, x.addr + k * sub, x.perm);
		if (fn)
			nd = fn(ctx, base + k * sub, level + 1, npa, nd);
		if (physmem_write64(s->mem, npa, nd))
			return -1;
	}
	return physmem_write64(s->mem, pa, mmu_desc_table(g, next));
}
