/*
 * traces/gen.c - synthetic trace generators.
 *
 * All patterns run in constant memory whatever the footprint, and are
 * deterministic for a seed: each vCPU has its own xoshiro256** stream seeded
 * from (seed, vcpu), and records interleave round-robin across vCPUs.
 *
 *   seq     each vCPU walks its share of the footprint in steps of `size`
 *   stride  the same in steps of `stride` (wrapping modulo the footprint)
 *   random  uniform size-aligned addresses over the footprint
 *   zipf    4 KB pages drawn with P(rank k) ~ 1/k^s (rejection-inversion,
 *           Hoermann and Derflinger, ACM TOMACS 6(3), 1996), ranks scattered
 *           over the footprint by a keyed permutation; uniform offset inside
 *   gups    GUPS/RandomAccess updates: a read then a write of one random
 *           8-byte-aligned word (each counts as a record)
 *   chase   a pointer chase: every `stride`-sized element visited once per
 *           lap in a random order (keyed Feistel permutation, cycle-walking)
 */
#include "trace.h"
#include "bits.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gen_vcpu {
	rng r;
	uint64_t i;        /* records produced by this vCPU */
	uint64_t start;    /* seq/stride: starting offset */
	int gups_w;        /* gups: next record is the write half */
	uint64_t gups_off;
} gen_vcpu;

/* Keyed permutation of [0, n): 4-round Feistel on the smallest even-width
 * power-of-two domain >= n, cycle-walking values that fall outside. */
typedef struct perm {
	uint64_t n;
	unsigned half;     /* bits per Feistel half */
	uint64_t key[4];
} perm;

struct trace_gen {
	trace_gen_config c;
	uint64_t done;
	unsigned next_vcpu;
	uint64_t npages;   /* zipf */
	uint64_t nelems;   /* chase, stride */
	perm p;
	double zh_x1, zh_n, zs;   /* zipf rejection-inversion constants */
	gen_vcpu v[TRACE_MAX_VCPUS];
};

static const char *const pattern_names[] = { "seq", "stride", "random", "zipf", "gups", "chase" };

int trace_gen_pattern_parse(const char *name, enum trace_gen_pattern *out)
{
	for (unsigned i = 0; i < sizeof(pattern_names) / sizeof(pattern_names[0]); i++) {
		if (strcmp(name, pattern_names[i]) == 0) {
			*out = (enum trace_gen_pattern)i;
			return TRACE_OK;
		}
	}
	return TRACE_EFORMAT;
}

/* ---------- keyed permutation ---------- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void perm_init(perm *p, uint64_t n, uint64_t seed)
{
	p->n = n;
	unsigned bits = n <= 1 ? 2 : log2_u64(n - 1) + 1;
	p->half = (bits + 1) / 2;
	if (p->half == 0)
		p->half = 1;
	for (int i = 0; i < 4; i++)
		p->key[i] = rng_splitmix64(&seed);
}

static uint64_t perm_apply(const perm *p, uint64_t x)
{
	uint64_t mask = (UINT64_C(1) << p->half) - 1;
	do {
		uint64_t l = x >> p->half, r = x & mask;
		for (int k = 0; k < 4; k++) {
			uint64_t nl = r;
			r = l ^ (mix64(r ^ p->key[k]) & mask);
			l = nl;
		}
		x = (l << p->half) | r;
	} while (x >= p->n);
	return x;
}

/* ---------- zipf, rejection-inversion ---------- */

static double helper1(double x) { return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x / 2 + x * x / 3; }
static double helper2(double x) { return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x / 2 + x * x / 6; }

static double zh(double s, double x) { return exp(-s * log(x)); }

static double zh_integral(double s, double x)
{
	double lx = log(x);
	return helper2((1 - s) * lx) * lx;
}

static double zh_integral_inv(double s, double x)
{
	double t = x * (1 - s);
	if (t < -1)
		t = -1;
	return exp(helper1(t) * x);
}

static uint64_t zipf_sample(const trace_gen *g, rng *r)
{
	double s = g->c.zipf_s;
	double n = (double)g->npages;
	for (;;) {
		double u = g->zh_n + rng_double(r) * (g->zh_x1 - g->zh_n);
		double x = zh_integral_inv(s, u);
		double kd = floor(x + 0.5);
		if (kd < 1)
			kd = 1;
		else if (kd > n)
			kd = n;
		if (kd - x <= g->zs || u >= zh_integral(s, kd + 0.5) - zh(s, kd))
			return (uint64_t)kd;
	}
}

/* ---------- generator ---------- */

int trace_gen_create(trace_gen **out, const trace_gen_config *cfg, char *err, size_t errlen)
{
	*out = NULL;
	const trace_gen_config *c = cfg;
#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return TRACE_EFORMAT; } while (0)
	if (c->size == 0 || c->size > TRACE_MAX_SIZE)
		BAD("--size %u out of range 1..%u", c->size, TRACE_MAX_SIZE);
	if (c->footprint < c->size)
		BAD("--footprint %llu is smaller than --size %u",
		    (unsigned long long)c->footprint, c->size);
	if (c->base + (c->footprint - 1) < c->base)
		BAD("--base 0x%llx plus --footprint wraps past the top of the address space",
		    (unsigned long long)c->base);
	if (c->vcpus == 0 || c->vcpus > TRACE_MAX_VCPUS)
		BAD("--vcpus %u out of range 1..%u", c->vcpus, TRACE_MAX_VCPUS);
	if (!(c->write_ratio >= 0 && c->write_ratio <= 1))
		BAD("--write-ratio %g out of range [0, 1]", c->write_ratio);
	if ((c->pattern == TRACE_GEN_STRIDE || c->pattern == TRACE_GEN_CHASE) &&
	    (c->stride == 0 || c->stride > c->footprint))
		BAD("--stride %llu out of range 1..footprint", (unsigned long long)c->stride);
	if (c->pattern == TRACE_GEN_CHASE && c->stride < c->size)
		BAD("--stride %llu smaller than --size %u: chase elements would overlap",
		    (unsigned long long)c->stride, c->size);
	if (c->pattern == TRACE_GEN_ZIPF && !(c->zipf_s > 0 && c->zipf_s <= 10))
		BAD("--zipf %g out of range (0, 10]", c->zipf_s);
	if (c->pattern == TRACE_GEN_ZIPF && c->footprint < 4096)
		BAD("--footprint must be at least 4K for the zipf pattern");
	if (c->pattern == TRACE_GEN_ZIPF && c->size > 4096)
		BAD("--size above 4096 cannot fit a zipf page");
	if (c->pattern == TRACE_GEN_GUPS && c->footprint < 8)
		BAD("--footprint must be at least 8 bytes for gups");
#undef BAD
	trace_gen *g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory (trace generator)");
		return TRACE_ENOMEM;
	}
	g->c = *c;
	uint64_t step = c->pattern == TRACE_GEN_STRIDE ? c->stride : c->size;
	g->nelems = c->pattern == TRACE_GEN_CHASE ? c->footprint / c->stride
		  : c->footprint / step;
	if (g->nelems == 0)
		g->nelems = 1;
	g->npages = c->footprint / 4096;
	perm_init(&g->p, c->pattern == TRACE_GEN_ZIPF ? g->npages : g->nelems,
		  c->seed ^ UINT64_C(0x5eed5eed5eed5eed));
	if (c->pattern == TRACE_GEN_ZIPF) {
		double s = c->zipf_s;
		g->zh_x1 = zh_integral(s, 1.5) - 1;
		g->zh_n = zh_integral(s, (double)g->npages + 0.5);
		g->zs = 2 - zh_integral_inv(s, zh_integral(s, 2.5) - zh(s, 2));
	}
	for (unsigned v = 0; v < c->vcpus; v++) {
		rng_seed(&g->v[v].r, c->seed * UINT64_C(0x9e3779b97f4a7c15) + v);
		g->v[v].start = (g->nelems / c->vcpus) * v;
	}
	*out = g;
	return TRACE_OK;
}

void trace_gen_destroy(trace_gen *g)
{
	free(g);
}

static int is_write(const trace_gen *g, gen_vcpu *v)
{
	if (g->c.write_ratio <= 0)
		return 0;
	if (g->c.write_ratio >= 1)
		return 1;
	return rng_double(&v->r) < g->c.write_ratio;
}

size_t trace_gen_next(trace_gen *g, trace_rec *buf, size_t max)
{
	const trace_gen_config *c = &g->c;
	size_t n = 0;
	while (n < max && g->done < c->count) {
		unsigned vid = g->next_vcpu;
		gen_vcpu *v = &g->v[vid];
		g->next_vcpu = vid + 1 == c->vcpus ? 0 : vid + 1;
		uint64_t off = 0;
		unsigned kind = TRACE_R;
		switch (c->pattern) {
		case TRACE_GEN_SEQ:
		case TRACE_GEN_STRIDE: {
			uint64_t step = c->pattern == TRACE_GEN_SEQ ? c->size : c->stride;
			uint64_t e = (v->start + v->i) % g->nelems;
			off = e * step;
			if (off + c->size > c->footprint)   /* last partial element */
				off = c->footprint - c->size;
			kind = is_write(g, v) ? TRACE_W : TRACE_R;
			break;
		}
		case TRACE_GEN_RANDOM: {
			uint64_t slots = c->footprint / c->size;
			off = rng_below(&v->r, slots) * c->size;
			kind = is_write(g, v) ? TRACE_W : TRACE_R;
			break;
		}
		case TRACE_GEN_ZIPF: {
			uint64_t page = perm_apply(&g->p, zipf_sample(g, &v->r) - 1);
			uint64_t slots = 4096 / c->size;
			off = page * 4096 + rng_below(&v->r, slots) * c->size;
			kind = is_write(g, v) ? TRACE_W : TRACE_R;
			break;
		}
		case TRACE_GEN_GUPS:
			if (!v->gups_w) {
				v->gups_off = rng_below(&v->r, c->footprint / 8) * 8;
				kind = TRACE_R;
			} else {
				kind = TRACE_W;
			}
			off = v->gups_off;
			v->gups_w = !v->gups_w;
			break;
		case TRACE_GEN_CHASE:
			off = perm_apply(&g->p, (v->start + v->i) % g->nelems) * c->stride;
			kind = TRACE_R;
			break;
		}
		v->i++;
		trace_rec *r = &buf[n++];
		r->gva = c->base + off;
		r->size = (uint16_t)(c->pattern == TRACE_GEN_GUPS ? 8 : c->size);
		r->kind = (uint8_t)kind;
		r->vcpu = (uint16_t)vid;
		r->asid = 0;
		r->icount = c->icount;
		r->op = 0;
		g->done++;
	}
	return n;
}
