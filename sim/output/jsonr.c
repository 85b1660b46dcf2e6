/*
 * sim/output/jsonr.c - see jsonr.h. A recursive-descent parser over the grammar of
 * RFC 8259 §2-7; nesting is limited to 64 levels (slatsim's documents use
 * 4) so that a hostile file cannot exhaust the stack, and an object may not
 * name a member twice.
 *
 * Why not a library (jansson 2.14, json-c 0.16, Debian 12's): see README.md,
 * "Dependencies and why". In short: jansson refuses a count above 2^63-1
 * (json_int_t is long long) and keeps no number's text; json-c takes NaN,
 * Infinity, "1.", \u0000, single quotes and duplicate names even in its
 * strict mode, replaces a lone surrogate silently and reads 2^64 as
 * 2^64-1. What slatsim reads back is its own output: counts up to 2^64-1
 * (json_u64), numbers copied into results.json as they were (json_raw).
 */
#include "jsonr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define SMALL_OBJECT 8   /* members: names compared pairwise, not sorted */

typedef struct parser {
	const char *s;
	size_t len, i;
	char *err;
	size_t errlen;
	int failed;
} parser;

static int bad(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(parser *p, const char *fmt, ...)
{
	if (p->failed)
		return -1;
	p->failed = 1;
	char m[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "offset %zu: %s", p->i, m);
	return -1;
}

static void ws(parser *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
				 p->s[p->i] == '\r'))
		p->i++;
}

static int peek(parser *p) { return p->i < p->len ? (unsigned char)p->s[p->i] : -1; }

static int hex4(parser *p, unsigned *out)
{
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		int c = peek(p);
		p->i++;
		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			return bad(p, "bad \\u escape");
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* The length of the well-formed UTF-8 sequence at S (N bytes left):
 * Unicode 15 Table 3-7, no overlong form, no surrogate, at most U+10FFFF;
 * 0 if it is not one. */
static size_t utf8_ok(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
		   : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (!len || len > n)
		return 0;
	unsigned lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
	unsigned hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* A string at p->i (the opening quote): *OUT malloc'd. RFC 8259 §7-8: text
 * in UTF-8, escapes of code points; what a C string cannot hold (\u0000)
 * and what is no character (a lone surrogate, ill-formed UTF-8) are refused
 * rather than read as something else, so that a string written again by
 * sim/output/json.c reads back the same. */
static int string(parser *p, char **out)
{
	p->i++;
	size_t cap = 16;
	char *o = malloc(cap);
	size_t n = 0;
	if (!o)
		return bad(p, "out of memory");
	for (;;) {
		if (n + 5 > cap) {
			char *no = realloc(o, cap *= 2);
			if (!no) {
				free(o);
				return bad(p, "out of memory");
			}
			o = no;
		}
		int c = peek(p);
		if (c < 0) {
			free(o);
			return bad(p, "unterminated string");
		}
		p->i++;
		if (c == '"')
			break;
		if (c < 0x20) {
			free(o);
			return bad(p, "control character in a string");
		}
		if (c >= 0x80) {
			size_t k = utf8_ok((const unsigned char *)p->s + p->i - 1, p->len - p->i + 1);
			if (!k) {
				free(o);
				p->i--;
				return bad(p, "ill-formed UTF-8 in a string");
			}
			memcpy(o + n, p->s + p->i - 1, k);
			n += k;
			p->i += k - 1;
			continue;
		}
		if (c != '\\') {
			o[n++] = (char)c;
			continue;
		}
		c = peek(p);
		p->i++;
		unsigned u;
		switch (c) {
		case '"': o[n++] = '"'; break;
		case '\\': o[n++] = '\\'; break;
		case '/': o[n++] = '/'; break;
		case 'b': o[n++] = '\b'; break;
		case 'f': o[n++] = '\f'; break;
		case 'n': o[n++] = '\n'; break;
		case 'r': o[n++] = '\r'; break;
		case 't': o[n++] = '\t'; break;
		case 'u':
			if (hex4(p, &u)) {
				free(o);
				return -1;
			}
			if (u == 0) {
				free(o);
				return bad(p, "\\u0000 in a string");
			}
			if (u >= 0xdc00 && u < 0xe000) {
				free(o);
				return bad(p, "bad surrogate pair");
			}
			if (u >= 0xd800 && u < 0xdc00) {
				unsigned lo;
				if (peek(p) != '\\' || (p->i++, peek(p) != 'u')) {
					free(o);
					return bad(p, "bad surrogate pair");
				}
				p->i++;
				if (hex4(p, &lo)) {
					free(o);
					return -1;
				}
				if (lo < 0xdc00 || lo >= 0xe000) {
					free(o);
					return bad(p, "bad surrogate pair");
				}
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			}
			n += put_utf8(o + n, u);
			break;
		default:
			free(o);
			return bad(p, "bad escape");
		}
	}
	o[n] = '\0';
	*out = o;
	return 0;
}

static int value(parser *p, jsonr *v, int depth);

static int push(parser *p, jsonr *v, char *key, size_t *cap)
{
	if (v->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		jsonr *ni = realloc(v->items, nc * sizeof(*ni));
		if (ni)
			v->items = ni;
		char **nk = v->type == JSONR_OBJ ? realloc(v->keys, nc * sizeof(*nk)) : NULL;
		if (nk)
			v->keys = nk;
		if (!ni || (v->type == JSONR_OBJ && !nk)) {
			free(key);
			return bad(p, "out of memory");
		}
		*cap = nc;
	}
	memset(&v->items[v->n], 0, sizeof(jsonr));
	if (v->type == JSONR_OBJ)
		v->keys[v->n] = key;
	v->n++;
	return 0;
}

/* The items of an array or the members of an object at p->i (the opening
 * bracket); *AT (objects) gets the offset of each member's name. */
static int members(parser *p, jsonr *v, int depth, int obj, size_t **at)
{
	if (depth >= MAX_DEPTH)
		return bad(p, "nested too deeply");
	v->type = obj ? JSONR_OBJ : JSONR_ARR;
	p->i++;
	size_t cap = 0, atcap = 0;
	ws(p);
	if (peek(p) == (obj ? '}' : ']')) {
		p->i++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		ws(p);
		if (obj) {
			if (peek(p) != '"')
				return bad(p, "expected a member name");
			if (v->n == atcap) {
				size_t *na = realloc(*at, (atcap = atcap ? atcap * 2 : 8) * sizeof(*na));
				if (!na)
					return bad(p, "out of memory");
				*at = na;
			}
			(*at)[v->n] = p->i;
			if (string(p, &key))
				return -1;
			ws(p);
			if (peek(p) != ':') {
				free(key);
				return bad(p, "expected ':'");
			}
			p->i++;
		}
		if (push(p, v, key, &cap) || value(p, &v->items[v->n - 1], depth + 1))
			return -1;
		ws(p);
		int c = peek(p);
		p->i++;
		if (c == ',')
			continue;
		if (c == (obj ? '}' : ']'))
			return 0;
		p->i--;
		return bad(p, "expected ',' or '%c'", obj ? '}' : ']');
	}
}

typedef struct name_at {
	const char *name;
	size_t i;              /* the member's place in the object */
} name_at;

static int cmp_name(const void *a, const void *b)
{
	const name_at *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* RFC 8259 §4: "the names within an object SHOULD be unique", and what a
 * reader makes of a name given twice differs (the first, the last, both):
 * the first member whose name came before in object V is refused at its
 * offset (AT[i]), so that no two readers of a slatsim file see different
 * values. A sort of the names: n log n, whatever a hostile file holds. */
static int unique_names(parser *p, const jsonr *v, const size_t *at)
{
	if (v->n < 2)
		return 0;
	if (v->n <= SMALL_OBJECT) {   /* (no allocation: at most 28 comparisons) */
		for (size_t i = 1; i < v->n; i++)
			for (size_t j = 0; j < i; j++)
				if (strcmp(v->keys[i], v->keys[j]) == 0) {
					p->i = at[i];
					return bad(p, "a member name given twice in one object");
				}
		return 0;
	}
	name_at *e = malloc(v->n * sizeof(*e));
	if (!e)
		return bad(p, "out of memory");
	for (size_t i = 0; i < v->n; i++)
		e[i] = (name_at){ v->keys[i], i };
	qsort(e, v->n, sizeof(*e), cmp_name);
	size_t first = v->n;
	for (size_t k = 1; k < v->n; k++)
		if (e[k].i < first && strcmp(e[k].name, e[k - 1].name) == 0)
			first = e[k].i;
	free(e);
	if (first == v->n)
		return 0;
	p->i = at[first];
	return bad(p, "a member name given twice in one object");
}

static int container(parser *p, jsonr *v, int depth, int obj)
{
	size_t *at = NULL;
	int rc = members(p, v, depth, obj, &at);
	if (rc == 0 && obj)
		rc = unique_names(p, v, at);
	free(at);
	return rc;
}

/* Decimal digits at p->i: how many were passed. */
static int digits(parser *p)
{
	int n = 0;
	while (peek(p) >= '0' && peek(p) <= '9')
		p->i++, n++;
	return n;
}

/* RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? - the
 * text is kept and written again as it is (sweep --collect), so it must be
 * JSON itself: "01", "1.", ".5", "1e" are refused. */
static int number(parser *p, jsonr *v)
{
	size_t a = p->i;
	if (peek(p) == '-')
		p->i++;
	int lead = peek(p), n = digits(p);
	if (!n || (lead == '0' && n > 1))
		return bad(p, "bad number");
	if (peek(p) == '.') {
		p->i++;
		if (!digits(p))
			return bad(p, "bad number");
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->i++;
		if (peek(p) == '+' || peek(p) == '-')
			p->i++;
		if (!digits(p))
			return bad(p, "bad number");
	}
	v->type = JSONR_NUM;
	v->text = malloc(p->i - a + 1);
	if (!v->text)
		return bad(p, "out of memory");
	memcpy(v->text, p->s + a, p->i - a);
	v->text[p->i - a] = '\0';
	return 0;
}

static int word(parser *p, const char *w)
{
	size_t l = strlen(w);
	if (p->len - p->i < l || memcmp(p->s + p->i, w, l) != 0)
		return bad(p, "unexpected character");
	p->i += l;
	return 0;
}

static int value(parser *p, jsonr *v, int depth)
{
	ws(p);
	int c = peek(p);
	switch (c) {
	case '{': return container(p, v, depth, 1);
	case '[': return container(p, v, depth, 0);
	case '"':
		v->type = JSONR_STR;
		return string(p, &v->text);
	case 't': v->type = JSONR_BOOL; v->truth = 1; return word(p, "true");
	case 'f': v->type = JSONR_BOOL; return word(p, "false");
	case 'n': v->type = JSONR_NULL; return word(p, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return number(p, v);
		return bad(p, c < 0 ? "unexpected end" : "unexpected character");
	}
}

static void clear(jsonr *v)
{
	for (size_t i = 0; i < v->n; i++) {
		clear(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->text);
}

void jsonr_free(jsonr *v)
{
	if (!v)
		return;
	clear(v);
	free(v);
}

jsonr *jsonr_parse(const char *text, size_t len, char *err, size_t errlen)
{
	parser p = { .s = text, .len = len, .err = err, .errlen = errlen };
	jsonr *v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (value(&p, v, 0) == 0) {
		ws(&p);
		if (p.i != p.len)
			bad(&p, "text after the document");
	}
	if (p.failed) {
		jsonr_free(v);
		return NULL;
	}
	return v;
}

jsonr *jsonr_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	for (size_t k; buf && (k = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += k;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	int rerr = ferror(f);
	fclose(f);
	if (!buf || rerr) {
		free(buf);
		snprintf(err, errlen, "%s: %s", path, buf ? "read error" : "out of memory");
		return NULL;
	}
	char e[256];
	jsonr *v = jsonr_parse(buf, n, e, sizeof(e));
	free(buf);
	if (!v)
		snprintf(err, errlen, "%s: not JSON: %s", path, e);
	return v;
}

const jsonr *jsonr_get(const jsonr *o, const char *key)
{
	if (!o || o->type != JSONR_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return &o->items[i];
	return NULL;
}

double jsonr_num(const jsonr *v)
{
	return v && v->type == JSONR_NUM ? strtod(v->text, NULL) : 0;
}

int jsonr_u64(const jsonr *v, uint64_t *out)
{
	if (!v || v->type != JSONR_NUM || !v->text[0])
		return -1;
	uint64_t x = 0;
	for (const char *c = v->text; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		unsigned d = (unsigned)(*c - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

int jsonr_equal(const jsonr *a, const jsonr *b)
{
	if (!a || !b)
		return a == b;
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case JSONR_NULL:
		return 1;
	case JSONR_BOOL:
		return a->truth == b->truth;
	case JSONR_NUM:
	case JSONR_STR:
		return strcmp(a->text, b->text) == 0;
	case JSONR_ARR:
		if (a->n != b->n)
			return 0;
		for (size_t i = 0; i < a->n; i++)
			if (!jsonr_equal(&a->items[i], &b->items[i]))
				return 0;
		return 1;
	case JSONR_OBJ:
		if (a->n != b->n)
			return 0;
		for (size_t i = 0; i < a->n; i++) {
			const jsonr *v = jsonr_get(b, a->keys[i]);
			if (!v || !jsonr_equal(&a->items[i], v))
				return 0;
		}
		return 1;
	}
	return 0;
}

const char *jsonr_brief(const jsonr *v, char *buf, size_t len)
{
	if (!v)
		return "(none)";
	switch (v->type) {
	case JSONR_NULL:
		return "null";
	case JSONR_BOOL:
		return v->truth ? "true" : "false";
	case JSONR_NUM:
		return v->text;
	case JSONR_STR:
		snprintf(buf, len, "\"%s\"", v->text);
		return buf;
	case JSONR_ARR: {
		size_t k = (size_t)snprintf(buf, len, "[");
		for (size_t i = 0; i < v->n && k < len; i++) {
			char sub[256];
			k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "",
					      v->items[i].type == JSONR_NUM ? v->items[i].text
					      : jsonr_brief(&v->items[i], sub, sizeof(sub)));
		}
		if (k < len)
			snprintf(buf + k, len - k, "]");
		return buf;
	}
	case JSONR_OBJ:
		return "{...}";
	}
	return "?";
}

const char *jsonr_first_diff(const jsonr *a, const jsonr *b, const jsonr **va,
			     const jsonr **vb)
{
	for (size_t i = 0; i < a->n; i++) {
		const jsonr *v = jsonr_get(b, a->keys[i]);
		if (!v || !jsonr_equal(&a->items[i], v)) {
			*va = &a->items[i];
			*vb = v;
			return a->keys[i];
		}
	}
	for (size_t i = 0; i < b->n; i++)
		if (!jsonr_get(a, b->keys[i])) {
			*va = NULL;
			*vb = &b->items[i];
			return b->keys[i];
		}
	return NULL;
}
