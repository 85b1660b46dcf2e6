/*
 * sim/output/jsonr.h - a small JSON reader (RFC 8259) for the documents slatsim
 * itself writes and reads back: a sweep's manifest and point files
 * (resuming, --collect) and what `slatsim plot` draws. The whole document
 * becomes a tree; object members keep their order and their names are
 * unique (a name given twice is refused); a number keeps its text, so a
 * value read back and written again is the same bytes. Errors name the
 * byte offset.
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

/* Whether A and B are the same value: numbers and strings by their text,
 * arrays item by item, object members by name (in any order); two NULLs
 * are, a NULL and a value are not. */
int jsonr_equal(const jsonr *a, const jsonr *b);
/* V as short text for a message, in BUF (LEN bytes) when it needs one:
 * null, true, a number's text, a string in quotes, an array's items, {...}
 * for an object; "(none)" for NULL. */
const char *jsonr_brief(const jsonr *v, char *buf, size_t len);
/* The first member of object A that B lacks or holds otherwise, or else of
 * B that A lacks: its name (NULL if none), the two values in *VA and *VB
 * (NULL where absent). */
const char *jsonr_first_diff(const jsonr *a, const jsonr *b, const jsonr **va,
			     const jsonr **vb);

#endif
