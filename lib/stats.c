/*
 * lib/stats.c - statistics registry (see stats.h).
 */
#include "stats.h"
#include "nameidx.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct stats_ent {
	const char *name;
	const char *desc;
	stats_kind kind;
	int gauge;              /* a state at the end (not a count): never rebased */
	uint64_t base;          /* stats_rebase: the value at the start of the window */
	const uint64_t *first;
	size_t stride, n;
	size_t num, den;        /* ratio operands, as indices */
} stats_ent;

struct stats_reg {
	stats_ent *e;
	size_t n, cap;
	nameidx idx;            /* names to entries */
	int failed;             /* a registration ran out of memory */
	stats_ent spare;        /* where a failed registration writes */
};

stats_reg *stats_create(void)
{
	return calloc(1, sizeof(stats_reg));
}

void stats_destroy(stats_reg *reg)
{
	if (!reg)
		return;
	free(reg->e);
	nameidx_free(&reg->idx);
	free(reg);
}

static const char *entry_name(const void *ctx, size_t i)
{
	return ((const stats_reg *)ctx)->e[i].name;
}

static long find(const stats_reg *reg, const char *name)
{
	return nameidx_find(&reg->idx, reg->n, name, entry_name, reg);
}

static stats_ent *push(stats_reg *reg, const char *name, const char *desc)
{
	assert(find(reg, name) < 0 && "stats: duplicate statistic name");
	if (reg->n == reg->cap) {
		size_t cap = reg->cap ? reg->cap * 2 : 64;
		stats_ent *e = realloc(reg->e, cap * sizeof(*e));
		if (!e) {
			reg->failed = 1;   /* reported by stats_failed */
			return &reg->spare;
		}
		reg->e = e;
		reg->cap = cap;
	}
	stats_ent *e = &reg->e[reg->n++];
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->desc = desc;
	/* (out of memory for the index, find searches the rest one by one) */
	(void)nameidx_update(&reg->idx, reg->n, entry_name, reg);
	return e;
}

void stats_add(stats_reg *reg, const char *name, const uint64_t *ctr, const char *desc)
{
	stats_add_sum(reg, name, ctr, 0, 1, desc);
}

void stats_add_sum(stats_reg *reg, const char *name, const uint64_t *first,
		   size_t stride_bytes, size_t n, const char *desc)
{
	stats_ent *e = push(reg, name, desc);
	e->kind = STATS_COUNTER;
	e->first = first;
	e->stride = stride_bytes;
	e->n = n;
}

void stats_add_ratio(stats_reg *reg, const char *name, const char *num,
		     const char *den, const char *desc)
{
	long a = find(reg, num), b = find(reg, den);
	assert(a >= 0 && b >= 0 && "stats: ratio operand not registered");
	stats_ent *e = push(reg, name, desc);
	e->kind = STATS_RATIO;
	e->num = (size_t)a;
	e->den = (size_t)b;
}

int stats_failed(const stats_reg *reg) { return reg->failed; }
void stats_mark_failed(stats_reg *reg) { reg->failed = 1; }
size_t stats_count(const stats_reg *reg) { return reg->n; }
const char *stats_name_at(const stats_reg *reg, size_t i) { return reg->e[i].name; }
const char *stats_desc_at(const stats_reg *reg, size_t i) { return reg->e[i].desc; }
stats_kind stats_kind_at(const stats_reg *reg, size_t i) { return reg->e[i].kind; }

static uint64_t raw_value(const stats_ent *e)
{
	uint64_t sum = 0;
	const char *p = (const char *)e->first;
	for (size_t k = 0; k < e->n; k++)
		sum += *(const uint64_t *)(p + k * e->stride);
	return sum;
}

uint64_t stats_value_at(const stats_reg *reg, size_t i)
{
	const stats_ent *e = &reg->e[i];
	if (e->kind == STATS_RATIO)
		return 0;
	return raw_value(e) - e->base;
}

void stats_mark_gauge(stats_reg *reg, const char *name)
{
	long i = find(reg, name);
	assert(i >= 0 && "stats_mark_gauge: not registered");
	reg->e[i].gauge = 1;
}

void stats_rebase(stats_reg *reg)
{
	for (size_t i = 0; i < reg->n; i++)
		if (reg->e[i].kind == STATS_COUNTER && !reg->e[i].gauge)
			reg->e[i].base = raw_value(&reg->e[i]);
}

double stats_ratio_at(const stats_reg *reg, size_t i)
{
	const stats_ent *e = &reg->e[i];
	uint64_t d = stats_value_at(reg, e->den);
	return d ? (double)stats_value_at(reg, e->num) / (double)d : 0.0;
}

uint64_t stats_get(const stats_reg *reg, const char *name, int *found)
{
	long i = find(reg, name);
	if (found)
		*found = i >= 0;
	return i >= 0 ? stats_value_at(reg, (size_t)i) : 0;
}
