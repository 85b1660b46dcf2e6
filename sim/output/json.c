/*
 * sim/output/json.c - see json.h.
 */
#include "json.h"
#include "numfmt.h"

#include <inttypes.h>
#include <math.h>

void json_init(json_w *j, FILE *f, int pretty)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = 1;
	j->pretty = pretty;
}

/* Length of the well-formed UTF-8 sequence at P (1..4), or 0 if the bytes
 * there are not one (RFC 3629 §4: no overlongs, no surrogates, nothing
 * above U+10FFFF). */
static size_t utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 &&
		       (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/* A JSON string (RFC 8259 §7) that is always valid UTF-8: a byte that is
 * not part of a well-formed sequence (a Latin-1 file name, a damaged
 * description) is written as \u00XX, the code point of that byte read as
 * Latin-1, so nothing is dropped and the document still parses. */
static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_len(p);
		if (n > 1) {
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f || n == 0)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
		p++;
	}
	fputc('"', f);
}

static void sep(json_w *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = 0;
	if (j->pretty && j->depth > 0) {
		fputc('\n', j->f);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	if (key) {
		put_string(j->f, key);
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

static void open_(json_w *j, const char *key, char c)
{
	sep(j, key);
	fputc(c, j->f);
	j->depth++;
	j->first[j->depth] = 1;
}

static void close_(json_w *j, char c)
{
	int empty = j->first[j->depth];
	j->depth--;
	if (j->pretty && !empty) {
		fputc('\n', j->f);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	fputc(c, j->f);
}

void json_begin_obj(json_w *j, const char *key) { open_(j, key, '{'); }
void json_end_obj(json_w *j) { close_(j, '}'); }
void json_begin_arr(json_w *j, const char *key) { open_(j, key, '['); }
void json_end_arr(json_w *j) { close_(j, ']'); }

void json_str(json_w *j, const char *key, const char *v)
{
	sep(j, key);
	put_string(j->f, v);
}

void json_u64(json_w *j, const char *key, uint64_t v)
{
	sep(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void json_i64(json_w *j, const char *key, int64_t v)
{
	sep(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void json_dbl(json_w *j, const char *key, double v)
{
	sep(j, key);
	if (!isfinite(v))
		fputs("null", j->f);
	else {
		char b[40];
		fmt_double(b, sizeof(b), v);
		fputs(b, j->f);
	}
}

void json_bool(json_w *j, const char *key, int v)
{
	sep(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_raw(json_w *j, const char *key, const char *text)
{
	sep(j, key);
	fputs(text, j->f);
}

void json_u64_array(json_w *j, const char *key, const uint64_t *v, size_t n)
{
	sep(j, key);
	fputc('[', j->f);
	for (size_t i = 0; i < n; i++)
		fprintf(j->f, i ? ",%" PRIu64 : "%" PRIu64, v[i]);
	fputc(']', j->f);
}

void json_finish(json_w *j)
{
	fputc('\n', j->f);
}
