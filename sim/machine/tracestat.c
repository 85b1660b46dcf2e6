/*
 * sim/machine/tracestat.c - see tracestat.h.
 */
#include "tracestat.h"

#include <stdlib.h>
#include <string.h>

int tracestat_init(tracestat *t)
{
	memset(t, 0, sizeof(*t));
	t->last4k = t->last4kw = ~UINT64_C(0);
	t->pages = 1;
	if (pageset_init(&t->p4k) || pageset_init(&t->p4kw) || pageset_init(&t->p64k) ||
	    pageset_init(&t->p2m)) {
		tracestat_free(t);
		return -1;
	}
	return 0;
}

int tracestat_per_vcpu(tracestat *t)
{
	if (!t->per_vcpu)
		t->per_vcpu = calloc(TRACE_MAX_VCPUS, sizeof(*t->per_vcpu));
	return t->per_vcpu ? 0 : -1;
}

/* R[0..N) into each vCPU's share. */
static void add_per_vcpu(tracestat_vcpu *pv, const trace_rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		tracestat_vcpu *v = &pv[r[i].vcpu];
		v->records++;
		v->reads += r[i].kind == TRACE_R;
		v->writes += r[i].kind == TRACE_W;
		v->ifetches += r[i].kind == TRACE_X;
		v->instructions += r[i].icount;
	}
}

void tracestat_free(tracestat *t)
{
	free(t->per_vcpu);
	t->per_vcpu = NULL;
	pageset_free(&t->p4k);
	pageset_free(&t->p4kw);
	pageset_free(&t->p64k);
	pageset_free(&t->p2m);
}

/* Insert the pages [first, last] of one size (at most two). */
static int add_span(pageset *s, uint64_t first, uint64_t last)
{
	if (pageset_add(s, first) < 0)
		return -1;
	if (last != first && pageset_add(s, last) < 0)
		return -1;
	return 0;
}

void tracestat_count(tracestat_batch *c, const trace_rec *r, size_t n)
{
	/* In registers: a counter in memory incremented every record (kinds[k]++,
	 * vmask[w] |= ...) would chain each record to the last through store
	 * forwarding. The kinds are 8-bit lanes of one word, emptied every 255
	 * records; the vCPUs below 64 collect in a local mask. */
	uint64_t kinds[8] = { 0 }, insns = 0, crossing = 0, zero = 0, low = 0;
	memset(c->vmask, 0, sizeof(c->vmask));
	for (size_t i = 0; i < n;) {
		size_t end = n - i > 255 ? i + 255 : n;
		uint64_t lanes = 0;
		for (; i < end; i++) {
			const trace_rec *x = &r[i];
			lanes += UINT64_C(1) << ((x->kind & 7) * 8);
			zero += x->size == 0;
			insns += x->icount;
			crossing += ((x->gva & 4095) + x->size) > 4096;
			if (x->vcpu < 64)
				low |= UINT64_C(1) << x->vcpu;
			else
				c->vmask[x->vcpu >> 6] |= UINT64_C(1) << (x->vcpu & 63);
		}
		for (unsigned k = 0; k < 8; k++)
			kinds[k] += (lanes >> (8 * k)) & 0xff;
	}
	c->vmask[0] |= low;
	memcpy(c->kinds, kinds, sizeof(kinds));
	c->insns = insns;
	c->crossing = crossing;
	c->zero = zero;
}

/* The pages of R[0..N) into T's page sets (when T counts pages). */
static int add_pages(tracestat *t, const trace_rec *r, size_t n)
{
	if (!t->pages)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const trace_rec *x = &r[i];
		uint64_t end = x->gva + (x->size ? x->size - 1u : 0);   /* 0 bytes: its page */
		uint64_t f4 = x->gva >> 12, l4 = end >> 12;
		/* A repeat of the last single-page access adds nothing new. */
		if (f4 == l4 && f4 == t->last4k && (x->kind != TRACE_W || f4 == t->last4kw))
			continue;
		if (x->kind == TRACE_INV)
			continue;   /* not an access (size 0: the span above is empty) */
		if (add_span(&t->p4k, f4, l4) || add_span(&t->p64k, x->gva >> 16, end >> 16) ||
		    add_span(&t->p2m, x->gva >> 21, end >> 21))
			return -1;
		if (x->kind == TRACE_W) {
			if (add_span(&t->p4kw, f4, l4))
				return -1;
			t->last4kw = f4 == l4 ? f4 : ~UINT64_C(0);
		}
		t->last4k = f4 == l4 ? f4 : ~UINT64_C(0);
	}
	t->pages_4k = pageset_count(&t->p4k);
	t->pages_4k_written = pageset_count(&t->p4kw);
	t->pages_64k = pageset_count(&t->p64k);
	t->pages_2m = pageset_count(&t->p2m);
	return 0;
}

/* One record straight into T (machine_access, machine_run_until's ends):
 * what tracestat_count and tracestat_apply give for a batch of one,
 * without a batch's set-up. */
static int add_one(tracestat *t, const trace_rec *x)
{
	if (!t->vseen[x->vcpu]) {
		t->vseen[x->vcpu] = 1;
		t->vcpus++;
	}
	t->records++;
	switch (x->kind & 7) {
	case TRACE_R: t->reads++; break;
	case TRACE_W: t->writes++; break;
	case TRACE_X: t->ifetches++; break;
	case TRACE_INV: t->invalidations++; break;
	case TRACE_P: t->prefetches++; break;
	default: break;
	}
	t->zero_size += (uint64_t)(x->size == 0) - (uint64_t)((x->kind & 7) == TRACE_INV);
	t->instructions += x->icount;
	t->crossing_4k += ((x->gva & 4095) + x->size) > 4096;
	return add_pages(t, x, 1);
}

int tracestat_add(tracestat *t, const trace_rec *r, size_t n)
{
	if (t->per_vcpu)
		add_per_vcpu(t->per_vcpu, r, n);
	if (n == 1)
		return add_one(t, r);
	tracestat_batch c;
	tracestat_count(&c, r, n);
	return tracestat_apply(t, &c, r, n);
}

int tracestat_apply(tracestat *t, const tracestat_batch *c, const trace_rec *r, size_t n)
{
	for (unsigned w = 0; w < TRACE_MAX_VCPUS / 64; w++)
		for (uint64_t m = c->vmask[w]; m; m &= m - 1) {
			unsigned v = w * 64 + (unsigned)__builtin_ctzll(m);
			if (!t->vseen[v]) {
				t->vseen[v] = 1;
				t->vcpus++;
			}
		}
	t->records += n;
	t->reads += c->kinds[TRACE_R];
	t->writes += c->kinds[TRACE_W];
	t->ifetches += c->kinds[TRACE_X];
	t->invalidations += c->kinds[TRACE_INV];
	t->prefetches += c->kinds[TRACE_P];
	t->zero_size += c->zero - c->kinds[TRACE_INV];   /* invalidations have size 0 too */
	t->instructions += c->insns;
	t->crossing_4k += c->crossing;
	return add_pages(t, r, n);
}
