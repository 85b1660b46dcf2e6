/*
 * lib/param.c - typed parameter registry (see param.h).
 *
 * The registry is a flat array of {def, value}, found by name through an
 * open-addressed hash index (a sweep or a fuzz input builds a machine per
 * point, and a machine asks for some 300 names: linear compares made that
 * 90,000 strcmp calls a point). A scoped override ("domain.2.guest.page") is one
 * more entry with its own name, the base parameter's def and its scope
 * index; entries without a scope come first, in registration order.
 */
#include "param.h"
#include "nameidx.h"
#include "shown.h"
#include "numfmt.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TEXT_MAX (PARAM_LIST_MAX * 6 + 8)   /* a full list of 5-digit numbers */

typedef struct param_val {
	const param_def *def;
	char *name;         /* a scoped override's full name; NULL: def->name */
	int scope;          /* a scoped override's index; -1 for a base entry */
	int64_t i;
	double f;
	int set;            /* 1 once a config file or --set assigned it */
	char text[TEXT_MAX];   /* canonical text of the value */
	char origin[96];    /* where it was set ("FILE:LINE", "--set"); "" if not */
} param_val;

struct param_reg {
	param_val *v;
	size_t n, cap;
	char scope_prefix[16];   /* "domain": overrides are "domain.N.key" */
	unsigned scope_count;    /* N below this; 0: no scope */
	nameidx idx;             /* names to entries (param_copy renames and cuts) */
};

param_reg *param_create(void)
{
	param_reg *reg = calloc(1, sizeof(*reg));
	return reg;
}

void param_destroy(param_reg *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->n; i++)
		free(reg->v[i].name);
	free(reg->v);
	nameidx_free(&reg->idx);
	free(reg);
}

static const char *name_of(const param_val *pv)
{
	return pv->name ? pv->name : pv->def->name;
}

static const char *entry_name(const void *ctx, size_t i)
{
	return name_of(&((const param_reg *)ctx)->v[i]);
}

static param_val *find(const param_reg *reg, const char *name)
{
	long i = nameidx_find(&reg->idx, reg->n, name, entry_name, reg);
	return i < 0 ? NULL : &reg->v[i];
}

/* After entries were added or renamed (an index out of memory leaves the
 * rest to find's linear search). */
static void reindex(param_reg *reg)
{
	(void)nameidx_update(&reg->idx, reg->n, entry_name, reg);
}

/* Room for one more entry. */
static int reserve(param_reg *reg, size_t more)
{
	if (reg->n + more <= reg->cap)
		return PARAM_OK;
	size_t cap = reg->cap ? reg->cap * 2 : 64;
	while (cap < reg->n + more)
		cap *= 2;
	param_val *v = realloc(reg->v, cap * sizeof(*v));
	if (!v)
		return PARAM_ERR;
	reg->v = v;
	reg->cap = cap;
	return PARAM_OK;
}

/* ---------- parsing of one value ---------- */

static void size_text(char *buf, size_t len, int64_t v)
{
	static const char suf[] = "KMGT";
	int s = -1;
	uint64_t u = (uint64_t)v;
	while (u != 0 && (u & 1023) == 0 && s < 3) {
		u >>= 10;
		s++;
	}
	if (s < 0)
		snprintf(buf, len, "%" PRId64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", u, suf[s]);
}

static void range_text(const param_def *d, char *buf, size_t len)
{
	char lo[32], hi[32];
	switch (d->type) {
	case PARAM_INT:
		snprintf(buf, len, "an integer in [%" PRId64 ", %" PRId64 "]%s%s", d->min, d->max,
			 d->flags & PARAM_F_POW2 ? ", a power of two" : "",
			 d->flags & PARAM_F_AUTO ? ", or auto" : "");
		break;
	case PARAM_SIZE:
		size_text(lo, sizeof(lo), d->min);
		size_text(hi, sizeof(hi), d->max);
		snprintf(buf, len, "a size in [%s, %s] (suffix K, M, G, T)%s", lo, hi,
			 d->flags & PARAM_F_POW2 ? ", a power of two" : "");
		break;
	case PARAM_ENUM:
		snprintf(buf, len, "one of %s", d->choices);
		break;
	case PARAM_BOOL:
		snprintf(buf, len, "a boolean (0/1, true/false, on/off, yes/no)");
		break;
	case PARAM_FLOAT:
		snprintf(buf, len, "a number in [%g, %g]", d->fmin, d->fmax);
		break;
	case PARAM_LIST:
		snprintf(buf, len, "a comma-separated list of at most %d integers, each in [%" PRId64
			 ", %" PRId64 "]", PARAM_LIST_MAX, d->min, d->max);
		break;
	}
}

/* The index of S among CHOICES, case aside ("4K" is 4k, as a size's suffix
 * is either case: the canonical text is the choice as registered). */
static int enum_index(const char *choices, const char *s, size_t slen)
{
	int idx = 0;
	const char *p = choices;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == slen && strncasecmp(p, s, n) == 0)
			return idx;
		if (!bar)
			return -1;
		p = bar + 1;
		idx++;
	}
}

static void enum_name(const char *choices, int idx, char *buf, size_t len)
{
	const char *p = choices;
	for (int i = 0; i < idx; i++)
		p = strchr(p, '|') + 1;
	const char *bar = strchr(p, '|');
	size_t n = bar ? (size_t)(bar - p) : strlen(p);
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

int param_parse_uint(const char *s, int allow_suffix, uint64_t *out)
{
	const char *p = s;
	unsigned base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	uint64_t v = 0;
	const char *digits = p;
	for (;; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -1;   /* overflow */
		v = v * base + d;
	}
	if (p == digits)
		return -1;
	unsigned shift = 0;
	if (allow_suffix && *p) {
		switch (toupper((unsigned char)*p)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default: return -1;
		}
		p++;
		if (toupper((unsigned char)*p) == 'B')   /* accept "64KB" */
			p++;
	}
	if (*p || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = v << shift;
	return 0;
}

/* A signed value: an optional '-' and param_parse_uint's text. */
static int parse_i64(const char *s, int allow_suffix, int64_t *out)
{
	int neg = *s == '-';
	uint64_t u;
	if (param_parse_uint(s + neg, allow_suffix, &u) != 0)
		return -1;
	if (u > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
		return -1;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

/* Parse VALUE for D into *pv; on error fill err and return PARAM_ERR. */
static int parse_value(const param_def *d, const char *value, param_val *pv,
		       const char *origin, char *err, size_t errlen)
{
	char allowed[160];
	int64_t i = 0;
	double f = 0;

	switch (d->type) {
	case PARAM_INT:
	case PARAM_SIZE:
		if ((d->flags & PARAM_F_AUTO) && strcmp(value, "auto") == 0) {
			pv->i = 0;
			snprintf(pv->text, sizeof(pv->text), "auto");
			return PARAM_OK;
		}
		if (parse_i64(value, d->type == PARAM_SIZE, &i) != 0)
			goto bad;
		if (i < d->min || i > d->max)
			goto bad;
		if ((d->flags & PARAM_F_POW2) && i != 0 && (i & (i - 1)) != 0)
			goto bad;
		if ((d->flags & PARAM_F_POW2) && i == 0 && d->min > 0)
			goto bad;
		pv->i = i;
		if (d->type == PARAM_SIZE)
			size_text(pv->text, sizeof(pv->text), i);
		else
			snprintf(pv->text, sizeof(pv->text), "%" PRId64, i);
		return PARAM_OK;
	case PARAM_ENUM: {
		int idx = enum_index(d->choices, value, strlen(value));
		if (idx < 0)
			goto bad;
		pv->i = idx;
		enum_name(d->choices, idx, pv->text, sizeof(pv->text));
		return PARAM_OK;
	}
	case PARAM_BOOL: {
		static const char *t[] = { "1", "true", "on", "yes" };
		static const char *fl[] = { "0", "false", "off", "no" };
		for (int k = 0; k < 4; k++) {
			if (strcmp(value, t[k]) == 0) { pv->i = 1; goto boolok; }
			if (strcmp(value, fl[k]) == 0) { pv->i = 0; goto boolok; }
		}
		goto bad;
	boolok:
		snprintf(pv->text, sizeof(pv->text), "%d", (int)pv->i);
		return PARAM_OK;
	}
	case PARAM_LIST: {
		int64_t vals[PARAM_LIST_MAX];
		int n = param_parse_list(value, vals, PARAM_LIST_MAX);
		if (n < 0)
			goto bad;
		size_t at = 0;
		pv->text[0] = '\0';
		for (int k = 0; k < n; k++) {
			if (vals[k] < d->min || vals[k] > d->max)
				goto bad;
			at += (size_t)snprintf(pv->text + at, sizeof(pv->text) - at, "%s%" PRId64,
					       k ? "," : "", vals[k]);
		}
		pv->i = n;
		return PARAM_OK;
	}
	case PARAM_FLOAT: {
		char *end;
		errno = 0;
		/* Decimal notation only (strtod would also take hex floats,
		 * leading blanks, "inf" and "nan"). */
		if (strspn(value, "0123456789.eE+-") != strlen(value))
			goto bad;
		f = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(f) || f < d->fmin || f > d->fmax)
			goto bad;
		if (f == 0)
			f = 0;   /* -0 is 0 */
		pv->f = f;
		fmt_double(pv->text, sizeof(pv->text), f);
		return PARAM_OK;
	}
	}
bad:
	range_text(d, allowed, sizeof(allowed));
	snprintf(err, errlen, "%s: bad value '%s' for %s: expected %s", origin, value,
		 d->name, allowed);
	return PARAM_ERR;
}

int param_parse_list(const char *s, int64_t *out, int max)
{
	int n = 0;
	const char *p = s;
	for (;;) {
		char num[32];
		size_t len = strcspn(p, ",");
		if (len == 0 || len >= sizeof(num) || n == max)
			return -1;
		memcpy(num, p, len);
		num[len] = '\0';
		uint64_t u;
		if (param_parse_uint(num, 0, &u) != 0 || u > (uint64_t)INT64_MAX)
			return -1;
		out[n++] = (int64_t)u;
		if (!p[len])
			return n;
		p += len + 1;
	}
}

int param_register(param_reg *reg, const param_def *defs, size_t n)
{
	if (reserve(reg, n) != PARAM_OK)
		return PARAM_ERR;
	for (size_t k = 0; k < n; k++) {
		char err[256];
		assert(!find(reg, defs[k].name) && "param_register: duplicate parameter name");
		param_val *pv = &reg->v[reg->n];
		memset(pv, 0, sizeof(*pv));
		pv->def = &defs[k];
		pv->scope = -1;
		int rc = parse_value(&defs[k], defs[k].def, pv, "default", err, sizeof(err));
		if (rc != PARAM_OK)
			fprintf(stderr, "internal error: %s\n", err);
		assert(rc == PARAM_OK && "param_register: default out of its own range");
		reg->n++;
		reindex(reg);
	}
	return PARAM_OK;
}

size_t param_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return (size_t)-1;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			size_t del = row[j] + 1, ins = row[j - 1] + 1;
			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			prev = cur;
		}
	}
	return row[lb];
}

/* The edit distance of A and B if it is at most LIMIT, else LIMIT + 1:
 * param_edit_distance's rows, each only within LIMIT of its diagonal (a
 * cell further off costs more than LIMIT; Ukkonen's band), with every cell
 * capped at LIMIT + 1, given up once a whole row is over LIMIT. */
static size_t distance_within(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b), cap = limit + 1;
	if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > limit)
		return cap;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j < cap ? j : cap;
	for (size_t i = 1; i <= la; i++) {
		size_t lo = i > limit ? i - limit : 1, hi = i + limit < lb ? i + limit : lb;
		size_t prev = row[lo - 1];
		row[lo - 1] = lo == 1 && i < cap ? i : cap;   /* (the cell left of the band) */
		size_t least = row[lo - 1];
		for (size_t j = lo; j <= hi; j++) {
			size_t cur = row[j], v = prev + (a[i - 1] != b[j - 1]);
			if (cur + 1 < v)
				v = cur + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v < cap ? v : cap;
			least = row[j] < least ? row[j] : least;
			prev = cur;
		}
		if (least >= cap)
			return cap;
	}
	return row[lb];
}


/* KEY is "PREFIX.N.NAME": check it against the scope and NAME's def.
 * Returns PARAM_OK with *base and *idx, 1 if KEY is not scoped at all, or
 * PARAM_ERR with a message. */
static int scoped_key(const param_reg *reg, const char *key, const param_val **base,
		      unsigned *idx, const char *origin, char *err, size_t errlen)
{
	size_t pl = strlen(reg->scope_prefix);
	if (!reg->scope_count || strncmp(key, reg->scope_prefix, pl) != 0 || key[pl] != '.')
		return 1;
	const char *p = key + pl + 1;
	char *end;
	if (!isdigit((unsigned char)*p))
		return 1;
	errno = 0;
	unsigned long n = strtoul(p, &end, 10);
	if (*end != '.' || !end[1])
		return 1;
	const param_val *b = find(reg, end + 1);
	char kb[160], nb[160];
	if (!b || b->scope >= 0) {
		snprintf(err, errlen, "%s: unknown parameter '%s' ('%s' is not a parameter; see "
			 "'slatsim params')", origin, text_shown(key, kb, sizeof(kb)),
			 text_shown(end + 1, nb, sizeof(nb)));
		return PARAM_ERR;
	}
	text_shown(key, kb, sizeof(kb));
	if (!(b->def->flags & PARAM_F_SCOPED)) {
		snprintf(err, errlen, "%s: '%s': %s is machine-wide, it cannot be set per %s",
			 origin, kb, b->def->name, reg->scope_prefix);
		return PARAM_ERR;
	}
	int digits = (int)(end - p);
	if (p[0] == '0' && digits > 1) {
		snprintf(err, errlen, "%s: '%s': %s number '%.*s' has a leading zero (%s.%lu)",
			 origin, kb, reg->scope_prefix, digits > 64 ? 64 : digits, p,
			 reg->scope_prefix, errno ? 0ul : n);
		return PARAM_ERR;
	}
	if (errno || n >= reg->scope_count) {
		snprintf(err, errlen, "%s: '%s': %s %.*s is beyond the largest, %u", origin, kb,
			 reg->scope_prefix, digits > 64 ? 64 : digits, p, reg->scope_count - 1);
		return PARAM_ERR;
	}
	*base = b;
	*idx = (unsigned)n;
	return PARAM_OK;
}

int param_set(param_reg *reg, const char *key, const char *value,
	      const char *origin, char *err, size_t errlen)
{
	param_val *pv = find(reg, key);
	if (!pv) {
		const param_val *base;
		unsigned idx;
		int rc = scoped_key(reg, key, &base, &idx, origin, err, errlen);
		if (rc == PARAM_ERR)
			return PARAM_ERR;
		if (rc == PARAM_OK) {
			/* A new override: the base entry's def under the full name. */
			param_val tmp = *base;
			if (parse_value(base->def, value, &tmp, origin, err, errlen) != PARAM_OK)
				return PARAM_ERR;
			/* (the message names the base key: say which override) */
			if (reserve(reg, 1) != PARAM_OK || !(tmp.name = strdup(key))) {
				snprintf(err, errlen, "%s: out of memory", origin);
				return PARAM_ERR;
			}
			tmp.scope = (int)idx;
			tmp.set = 1;
			snprintf(tmp.origin, sizeof(tmp.origin), "%s", origin);
			reg->v[reg->n++] = tmp;
			reindex(reg);
			return PARAM_OK;
		}
		const char *best = NULL;
		size_t bestd = (size_t)-1;
		size_t kl = strlen(key), limit = kl / 4 > 2 ? kl / 4 : 2;
		for (size_t i = 0; i < reg->n; i++) {
			/* (a name whose length differs by more than the limit is
			 * further than it: not measured) */
			size_t nl = strlen(name_of(&reg->v[i]));
			if (nl > kl + limit || kl > nl + limit)
				continue;
			size_t d = distance_within(key, name_of(&reg->v[i]), limit);
			if (d < bestd) {
				bestd = d;
				best = name_of(&reg->v[i]);
			}
		}
		char kb[160];
		if (best && bestd <= limit)
			snprintf(err, errlen, "%s: unknown parameter '%s' (did you mean '%s'?)",
				 origin, text_shown(key, kb, sizeof(kb)), best);
		else
			snprintf(err, errlen, "%s: unknown parameter '%s' (see 'slatsim params')",
				 origin, text_shown(key, kb, sizeof(kb)));
		return PARAM_ERR;
	}
	param_val tmp = *pv;
	if (parse_value(pv->def, value, &tmp, origin, err, errlen) != PARAM_OK)
		return PARAM_ERR;
	tmp.set = 1;
	snprintf(tmp.origin, sizeof(tmp.origin), "%s", origin);
	*pv = tmp;
	return PARAM_OK;
}

/* Whether entries A and B are equal without comparing their values: the
 * same base definition, neither ever set (an entry that was never set holds
 * its definition's default: param_set and param_scoped mark what they
 * assign). */
static int same_unset(const param_val *a, const param_val *b)
{
	return a->def == b->def && !a->set && !b->set && !a->name && !b->name &&
	       a->scope == b->scope;
}

int param_copy(param_reg *dst, const param_reg *src)
{
	/* (the entries that differ only: a copy of a copy - a sweep's next
	 * point, a fuzz input - writes what was assigned, not 300 values of
	 * 1.5 KB each) */
	if (dst == src)
		return PARAM_OK;   /* (each name would be freed, then copied) */
	for (size_t i = src->n; i < dst->n; i++)
		free(dst->v[i].name);
	if (dst->n > src->n)
		dst->n = src->n;
	size_t had = dst->n;
	if (reserve(dst, src->n - had) != PARAM_OK)
		return PARAM_ERR;
	for (size_t i = 0; i < src->n; i++) {
		if (i < had && same_unset(&dst->v[i], &src->v[i]))
			continue;
		if (i < had && strcmp(name_of(&dst->v[i]), name_of(&src->v[i])) != 0)
			nameidx_stale(&dst->idx, i);   /* (renamed: index it again) */
		if (i < had)
			free(dst->v[i].name);
		dst->v[i] = src->v[i];
		if (dst->v[i].name && !(dst->v[i].name = strdup(dst->v[i].name))) {
			/* (entry I owns no name; those after it are DST's own, or
			 * beyond n) */
			dst->n = i < had ? had : i;
			return PARAM_ERR;
		}
		if (i >= had)
			dst->n = i + 1;
	}
	dst->n = src->n;
	reindex(dst);
	memcpy(dst->scope_prefix, src->scope_prefix, sizeof(dst->scope_prefix));
	dst->scope_count = src->scope_count;
	return PARAM_OK;
}

param_reg *param_clone(const param_reg *reg)
{
	param_reg *c = param_create();
	if (c && param_copy(c, reg) != PARAM_OK) {
		param_destroy(c);
		return NULL;
	}
	return c;
}

void param_scope(param_reg *reg, const char *prefix, unsigned count)
{
	snprintf(reg->scope_prefix, sizeof(reg->scope_prefix), "%s", prefix);
	reg->scope_count = count;
}

param_reg *param_scoped(const param_reg *reg, unsigned idx)
{
	param_reg *c = param_create();
	size_t nbase = 0;
	while (nbase < reg->n && reg->v[nbase].scope < 0)
		nbase++;
	if (!c || reserve(c, nbase) != PARAM_OK) {
		param_destroy(c);
		return NULL;
	}
	memcpy(c->v, reg->v, nbase * sizeof(*c->v));   /* base entries own no name */
	c->n = nbase;
	reindex(c);
	for (size_t i = nbase; i < reg->n; i++) {
		const param_val *o = &reg->v[i];
		if (o->scope != (int)idx)
			continue;
		param_val *b = find(c, o->def->name);
		*b = *o;
		b->name = NULL;
		b->scope = -1;
	}
	return c;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int param_set_assignment(param_reg *reg, const char *assignment,
			 const char *origin, char *err, size_t errlen)
{
	char buf[512];
	if (strlen(assignment) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: assignment too long", origin);
		return PARAM_ERR;
	}
	strcpy(buf, assignment);
	char *eq = strchr(buf, '=');
	char ab[160];
	if (!eq) {
		snprintf(err, errlen, "%s: expected key=value, got '%s'", origin,
			 text_shown(assignment, ab, sizeof(ab)));
		return PARAM_ERR;
	}
	*eq = '\0';
	char *key = trim(buf), *val = trim(eq + 1);
	if (!*key || !*val) {
		snprintf(err, errlen, "%s: expected key=value, got '%s'", origin,
			 text_shown(assignment, ab, sizeof(ab)));
		return PARAM_ERR;
	}
	return param_set(reg, key, val, origin, err, errlen);
}

int param_load_file(param_reg *reg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open config file: %s", path, strerror(errno));
		return PARAM_ERR;
	}
	char *line = NULL;
	size_t cap = 0;
	char origin[512];
	unsigned lineno = 0;
	int rc = PARAM_OK;
	ssize_t got;
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
		size_t len = (size_t)got;
		if (len > 1024) {
			snprintf(err, errlen, "%s: line longer than 1024 characters", origin);
			rc = PARAM_ERR;
			break;
		}
		if (memchr(line, '\0', len)) {
			snprintf(err, errlen, "%s: a NUL byte in the line (not a text file?)", origin);
			rc = PARAM_ERR;
			break;
		}
		if (lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
			memmove(line, line + 3, len - 2);   /* a UTF-8 byte order mark */
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			char sb[160];
			snprintf(err, errlen, "%s: expected 'key = value', got '%s'", origin,
				 text_shown(s, sb, sizeof(sb)));
			rc = PARAM_ERR;
			break;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		if (!*key || !*val) {
			snprintf(err, errlen, "%s: expected 'key = value'", origin);
			rc = PARAM_ERR;
			break;
		}
		if (param_set(reg, key, val, origin, err, errlen) != PARAM_OK) {
			rc = PARAM_ERR;
			break;
		}
	}
	if (rc == PARAM_OK && ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		rc = PARAM_ERR;
	}
	free(line);
	fclose(f);
	return rc;
}

static const param_val *must_find(const param_reg *reg, const char *name)
{
	const param_val *pv = find(reg, name);
	if (!pv)
		fprintf(stderr, "internal error: parameter '%s' is not registered\n", name);
	assert(pv && "parameter not registered");
	return pv;
}

int64_t param_int(const param_reg *reg, const char *name)
{
	const param_val *pv = must_find(reg, name);
	assert(pv->def->type == PARAM_INT || pv->def->type == PARAM_SIZE ||
	       pv->def->type == PARAM_BOOL);
	return pv->i;
}

double param_float(const param_reg *reg, const char *name)
{
	const param_val *pv = must_find(reg, name);
	assert(pv->def->type == PARAM_FLOAT);
	return pv->f;
}

int param_enum(const param_reg *reg, const char *name)
{
	const param_val *pv = must_find(reg, name);
	assert(pv->def->type == PARAM_ENUM);
	return (int)pv->i;
}

int param_bool(const param_reg *reg, const char *name)
{
	const param_val *pv = must_find(reg, name);
	assert(pv->def->type == PARAM_BOOL);
	return (int)pv->i;
}

const char *param_text(const param_reg *reg, const char *name)
{
	return must_find(reg, name)->text;
}

int param_list(const param_reg *reg, const char *name, int64_t *out, int max)
{
	const param_val *pv = must_find(reg, name);
	assert(pv->def->type == PARAM_LIST);
	if (pv->i == 0)
		return 0;
	return param_parse_list(pv->text, out, max);
}

size_t param_count(const param_reg *reg) { return reg->n; }
const char *param_name_at(const param_reg *reg, size_t i) { return name_of(&reg->v[i]); }
int param_scope_at(const param_reg *reg, size_t i) { return reg->v[i].scope; }
const param_def *param_def_at(const param_reg *reg, size_t i) { return reg->v[i].def; }
const param_def *param_def_of(const param_reg *reg, const char *name)
{
	return must_find(reg, name)->def;
}
const char *param_text_at(const param_reg *reg, size_t i) { return reg->v[i].text; }
int param_is_set_at(const param_reg *reg, size_t i) { return reg->v[i].set; }

int param_is_set(const param_reg *reg, const char *name)
{
	return must_find(reg, name)->set;
}

const char *param_origin(const param_reg *reg, const char *name)
{
	const param_val *pv = find(reg, name);
	return pv && pv->set ? pv->origin : NULL;
}
int64_t param_int_at(const param_reg *reg, size_t i) { return reg->v[i].i; }
double param_float_at(const param_reg *reg, size_t i) { return reg->v[i].f; }
