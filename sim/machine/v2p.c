/*
 * sim/machine/v2p.c - see v2p.h. An open-addressing table from virtual page number
 * to physical page number (power-of-two capacity, grown at half full).
 */
#include "v2p.h"
#include "param.h"
#include "trace.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct v2p {
	uint64_t *key, *val;        /* key 0 = empty: stored as vpn + 1 */
	size_t mask, count;
	unsigned shift;
	uint64_t max_pa;
	char *path;
};

static size_t slot_of(const v2p *m, uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	return (size_t)k & m->mask;
}

static int grow(v2p *m)
{
	size_t cap = m->mask ? (m->mask + 1) * 2 : 1024;
	uint64_t *k = calloc(cap, sizeof(*k)), *v = calloc(cap, sizeof(*v));
	if (!k || !v) {
		free(k);
		free(v);
		return -1;
	}
	uint64_t *ok = m->key, *ov = m->val;
	size_t ocap = m->mask ? m->mask + 1 : 0;
	m->key = k;
	m->val = v;
	m->mask = cap - 1;
	for (size_t i = 0; i < ocap; i++) {
		if (!ok[i])
			continue;
		size_t j = slot_of(m, ok[i]);
		while (k[j])
			j = (j + 1) & m->mask;
		k[j] = ok[i];
		v[j] = ov[i];
	}
	free(ok);
	free(ov);
	return 0;
}

/* 1 inserted, 0 already there, -1 out of memory. */
static int put(v2p *m, uint64_t vpn, uint64_t ppn)
{
	if ((m->count + 1) * 2 > (m->mask ? m->mask + 1 : 0) && grow(m))
		return -1;
	size_t j = slot_of(m, vpn + 1);
	while (m->key[j]) {
		if (m->key[j] == vpn + 1)
			return 0;
		j = (j + 1) & m->mask;
	}
	m->key[j] = vpn + 1;
	m->val[j] = ppn;
	m->count++;
	return 1;
}

int v2p_lookup(const v2p *m, uint64_t va, uint64_t *pa)
{
	uint64_t vpn = va >> m->shift;
	if (!m->mask)
		return -1;
	for (size_t j = slot_of(m, vpn + 1); m->key[j]; j = (j + 1) & m->mask)
		if (m->key[j] == vpn + 1) {
			*pa = m->val[j] << m->shift;
			return 0;
		}
	return -1;
}

/* "KEY: VALUE" on LINE: 1 with *V if LINE holds KEY, 0 if not, -1 if the
 * value is not a number. */
static int field(const char *line, const char *key, uint64_t *v)
{
	const char *p = strstr(line, key);
	if (!p)
		return 0;
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != ':')
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	char num[32];
	size_t n = 0;
	while (isalnum((unsigned char)p[n]) && n < sizeof(num) - 1) {
		num[n] = p[n];
		n++;
	}
	num[n] = '\0';
	return param_parse_uint(num, 0, v) == 0 ? 1 : -1;
}

int v2p_load(v2p **out, const char *path, char *err, size_t errlen)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open the v2p map: %s", path, strerror(errno));
		return TRACE_EIO;
	}
	v2p *m = calloc(1, sizeof(*m));
	if (!m || !(m->path = strdup(path))) {
		free(m);
		fclose(f);
		snprintf(err, errlen, "out of memory (reading %s)", path);
		return TRACE_ENOMEM;
	}
	char line[512];
	unsigned long ln = 0;
	uint64_t page = 0, va = 0;
	int have_va = 0, rc = TRACE_OK;
	struct { uint64_t va, pa; unsigned long ln; } *pend = NULL;
	size_t npend = 0, cap = 0;
	while (rc == TRACE_OK && fgets(line, sizeof(line), f)) {
		ln++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		uint64_t v;
		int k;
		if ((k = field(line, "virtual_address", &v)) != 0) {
			if (k < 0)
				goto bad_number;
			va = v;
			have_va = 1;
		} else if ((k = field(line, "physical_address", &v)) != 0) {
			if (k < 0)
				goto bad_number;
			if (!have_va) {
				snprintf(err, errlen, "%s:%lu: a physical_address without its "
					 "virtual_address", path, ln);
				rc = TRACE_EFORMAT;
				break;
			}
			if (npend == cap) {
				cap = cap ? cap * 2 : 1024;
				void *n = realloc(pend, cap * sizeof(*pend));
				if (!n) {
					snprintf(err, errlen, "out of memory (reading %s)", path);
					rc = TRACE_ENOMEM;
					break;
				}
				pend = n;
			}
			pend[npend].va = va;
			pend[npend].pa = v;
			pend[npend++].ln = ln;
			have_va = 0;
		} else if ((k = field(line, "page_size", &v)) != 0) {
			if (k < 0)
				goto bad_number;
			if (v < 4096 || (v & (v - 1)) || (page && page != v)) {
				snprintf(err, errlen, "%s:%lu: page_size %llu: expected one power of two "
					 ">= 4096", path, ln, (unsigned long long)v);
				rc = TRACE_EFORMAT;
				break;
			}
			page = v;
		}
		continue;
bad_number:
		snprintf(err, errlen, "%s:%lu: not a number: '%.60s'", path, ln, line);
		rc = TRACE_EFORMAT;
	}
	if (rc == TRACE_OK && ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		rc = TRACE_EIO;
	}
	fclose(f);
	if (rc == TRACE_OK && !page) {
		snprintf(err, errlen, "%s: no page_size", path);
		rc = TRACE_EFORMAT;
	}
	while (page && (UINT64_C(1) << m->shift) < page)
		m->shift++;
	for (size_t i = 0; rc == TRACE_OK && i < npend; i++) {
		if ((pend[i].va | pend[i].pa) & (page - 1)) {
			snprintf(err, errlen, "%s:%lu: address 0x%llx -> 0x%llx not aligned to the "
				 "page_size %llu", path, pend[i].ln, (unsigned long long)pend[i].va,
				 (unsigned long long)pend[i].pa, (unsigned long long)page);
			rc = TRACE_EFORMAT;
			break;
		}
		int r = put(m, pend[i].va >> m->shift, pend[i].pa >> m->shift);
		if (r < 0) {
			snprintf(err, errlen, "out of memory (reading %s)", path);
			rc = TRACE_ENOMEM;
		} else if (r == 0) {
			snprintf(err, errlen, "%s:%lu: virtual_address 0x%llx mapped twice", path,
				 pend[i].ln, (unsigned long long)pend[i].va);
			rc = TRACE_EFORMAT;
		}
		if (pend[i].pa + page > m->max_pa)
			m->max_pa = pend[i].pa + page;
	}
	free(pend);
	if (rc != TRACE_OK) {
		v2p_destroy(m);
		return rc;
	}
	*out = m;
	return TRACE_OK;
}

v2p *v2p_new(const char *name, unsigned shift)
{
	v2p *m = shift >= 12 && shift < 40 ? calloc(1, sizeof(*m)) : NULL;
	if (m && !(m->path = strdup(name))) {
		free(m);
		m = NULL;
	}
	if (m)
		m->shift = shift;
	return m;
}

int v2p_add(v2p *m, uint64_t va, uint64_t pa)
{
	uint64_t page = UINT64_C(1) << m->shift;
	if ((va | pa) & (page - 1))
		return -1;
	int r = put(m, va >> m->shift, pa >> m->shift);
	if (r > 0 && pa + page > m->max_pa)
		m->max_pa = pa + page;
	return r;
}

void v2p_destroy(v2p *m)
{
	if (!m)
		return;
	free(m->key);
	free(m->val);
	free(m->path);
	free(m);
}

unsigned v2p_page_shift(const v2p *m) { return m->shift; }
uint64_t v2p_pages(const v2p *m) { return m->count; }
uint64_t v2p_max_pa(const v2p *m) { return m->max_pa; }
const char *v2p_path(const v2p *m) { return m->path; }
