/*
 * sim/jsonr.h - a small JSON reader (RFC 8259) for the documents slatsim
 * itself writes and reads back: a sweep's point files (resuming, --collect)
 * and what `slatsim plot` draws. The whole document becomes a tree; object
 * members keep their order; a number keeps its text, so a value read back
 * and written again is the same bytes. Errors name the byte offset.
 */
#ifndef SLATSIM_JSONR_H
#define SLATSIM_JSONR_H

#include <stddef.h>
#include <stdint.h>

typedef enum jsonr_type { JSONR_NULL, JSONR_BOOL, JSONR_NUM, JSONR_STR, JSONR_ARR, JSONR_OBJ } jsonr_type;

typedef struct jsonr jsonr;
struct jsonr {
	jsonr_type type;
	char *text;          /* STR: the string (UTF-8, unescaped); NUM: as written */
	int truth;           /* BOOL */
	size_t n;            /* ARR, OBJ: items */
	char **keys;         /* OBJ: member names */
	jsonr *items;
};

/* Parse TEXT (LEN bytes). NULL with a message "offset N: ..." on bad JSON
 * or "out of memory". */
jsonr *jsonr_parse(const char *text, size_t len, char *err, size_t errlen);
/* Read and parse PATH; the message names it. */
jsonr *jsonr_load(const char *path, char *err, size_t errlen);
void jsonr_free(jsonr *v);

/* Member KEY of object O (NULL if O is not an object or has none). */
const jsonr *jsonr_get(const jsonr *o, const char *key);
/* A number's value (0 if V is not a number). */
double jsonr_num(const jsonr *v);
/* A count, exactly: V is a number written as decimal digits (no sign,
 * fraction or exponent) up to UINT64_MAX. 0 with it in OUT, or -1. */
int jsonr_u64(const jsonr *v, uint64_t *out);

#endif
