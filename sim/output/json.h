/*
 * sim/output/json.h - a small streaming JSON writer (objects, arrays, scalars).
 * Output is deterministic: keys in call order, integers exact, doubles in the
 * shortest text that reads back exactly (lib/numfmt.h).
 */
#ifndef SLATSIM_JSON_H
#define SLATSIM_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct json_w {
	FILE *f;
	int depth;
	int first[32];     /* per depth: no element written yet */
	int pretty;
} json_w;

void json_init(json_w *j, FILE *f, int pretty);
void json_begin_obj(json_w *j, const char *key);   /* key NULL inside arrays / at top */
void json_end_obj(json_w *j);
void json_begin_arr(json_w *j, const char *key);
void json_end_arr(json_w *j);
void json_str(json_w *j, const char *key, const char *v);
void json_u64(json_w *j, const char *key, uint64_t v);
void json_i64(json_w *j, const char *key, int64_t v);
void json_dbl(json_w *j, const char *key, double v);
void json_bool(json_w *j, const char *key, int v);
/* A number already in JSON form (TEXT as read back by jsonr), unchanged. */
void json_raw(json_w *j, const char *key, const char *text);
/* An array of N integers on one line (long curves stay readable). */
void json_u64_array(json_w *j, const char *key, const uint64_t *v, size_t n);
void json_finish(json_w *j);   /* trailing newline */

#endif
