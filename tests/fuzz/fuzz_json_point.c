/* libFuzzer target: a sweep's point file as `sweep --collect` reads it, and
 * any document slatsim reads back (sim/output/jsonr.c: reach --json for `plot
 * reach`, run --json for `plot cycles|rounds`, sweep.json). --collect
 * copies each statistic's number text into results.json as it was read
 * (json_raw) and each string through json_str: whatever the reader accepts
 * must therefore come out, written again by sim/output/json.c, as JSON that reads
 * back to the same tree. Every accessor is exercised on every node. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonr.h"

/* V written by json_w under KEY (NULL in an array or at the top). */
static void put(json_w *j, const char *key, const jsonr *v)
{
	switch (v->type) {
	case JSONR_NULL: json_raw(j, key, "null"); break;
	case JSONR_BOOL: json_bool(j, key, v->truth); break;
	case JSONR_NUM: json_raw(j, key, v->text); break;
	case JSONR_STR: json_str(j, key, v->text); break;
	case JSONR_ARR:
		json_begin_arr(j, key);
		for (size_t i = 0; i < v->n; i++)
			put(j, NULL, &v->items[i]);
		json_end_arr(j);
		break;
	case JSONR_OBJ:
		json_begin_obj(j, key);
		for (size_t i = 0; i < v->n; i++)
			put(j, v->keys[i], &v->items[i]);
		json_end_obj(j);
		break;
	}
}

static int same(const jsonr *a, const jsonr *b)
{
	if (a->type != b->type || a->n != b->n)
		return 0;
	if (a->type == JSONR_BOOL)
		return a->truth == b->truth;
	if (a->type == JSONR_NUM || a->type == JSONR_STR)
		return strcmp(a->text, b->text) == 0;
	for (size_t i = 0; i < a->n; i++)
		if ((a->type == JSONR_OBJ && strcmp(a->keys[i], b->keys[i]) != 0) ||
		    !same(&a->items[i], &b->items[i]))
			return 0;
	return 1;
}

/* The accessors on V and below: jsonr_u64 takes exactly the digit strings
 * that fit 64 bits; jsonr_get finds the first member of a name. */
static void accessors(const jsonr *v)
{
	uint64_t u;
	if (jsonr_u64(v, &u) == 0) {
		if (v->type != JSONR_NUM || !v->text[0] ||
		    strspn(v->text, "0123456789") != strlen(v->text) ||
		    strtoull(v->text, NULL, 10) != u)
			__builtin_trap();
	} else if (v->type == JSONR_NUM && v->text[0] && strlen(v->text) < 20 &&
		   strspn(v->text, "0123456789") == strlen(v->text)) {
		__builtin_trap();   /* a count refused */
	}
	(void)jsonr_num(v);
	for (size_t i = 0; i < v->n; i++) {
		if (v->type == JSONR_OBJ) {
			const jsonr *g = jsonr_get(v, v->keys[i]);
			if (!g || g > &v->items[i])
				__builtin_trap();
		}
		accessors(&v->items[i]);
	}
}

static int depth(const jsonr *v)
{
	int d = 0;
	for (size_t i = 0; i < v->n; i++) {
		int k = depth(&v->items[i]);
		d = k > d ? k : d;
	}
	return d + (v->type == JSONR_ARR || v->type == JSONR_OBJ);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	jsonr *doc = jsonr_parse((const char *)data, size, err, sizeof(err));
	if (!doc)
		return 0;
	accessors(doc);
	/* --collect's use: the "stats" object's numbers, as they were read */
	const jsonr *st = jsonr_get(doc, "stats");
	for (size_t i = 0; st && st->type == JSONR_OBJ && i < st->n; i++)
		(void)jsonr_num(&st->items[i]);
	/* (json_w nests 31 levels: slatsim writes 5 at most; jsonr reads 64) */
	if (depth(doc) > 30) {
		jsonr_free(doc);
		return 0;
	}
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		__builtin_trap();
	json_w j;
	json_init(&j, f, 0);
	put(&j, NULL, doc);
	json_finish(&j);
	fclose(f);
	jsonr *back = jsonr_parse(out, len, err, sizeof(err));
	if (!back || !same(doc, back))
		__builtin_trap();   /* written again, it does not read back the same */
	jsonr_free(back);
	free(out);
	jsonr_free(doc);
	return 0;
}
