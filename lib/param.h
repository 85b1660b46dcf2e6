/*
 * lib/param.h - the one typed parameter registry.
 *
 * Every module describes its parameters in a static table of param_def and
 * registers it; nothing else parses parameter text. A parameter has a dotted
 * name ("tlb.l1d.entries"), a type, a default written as it would appear in a
 * config file, a unit, an allowed range and a one-line help. Values come from
 * the default, then a config file ("key = value" lines, '#' comments), then
 * --set overrides, each refused by name with the allowed range when bad.
 *
 * Lookups are by name and meant for configuration time only: a module reads
 * its values once into its own config struct; the replay path never touches
 * the registry.
 */
#ifndef SLATSIM_PARAM_H
#define SLATSIM_PARAM_H

#include <stddef.h>
#include <stdint.h>

typedef enum param_type {
	PARAM_INT,    /* signed 64-bit, decimal or 0x hex (never octal) */
	PARAM_SIZE,   /* bytes; K/M/G/T suffixes are powers of 1024 */
	PARAM_ENUM,   /* one of choices, "a|b|c" */
	PARAM_BOOL,   /* 0/1, true/false, on/off, yes/no */
	PARAM_FLOAT,  /* finite double */
	PARAM_LIST,   /* comma-separated integers, each in [min, max]; "" is not one */
} param_type;

#define PARAM_LIST_MAX 256   /* items in a PARAM_LIST */

enum {
	PARAM_F_POW2 = 1u << 0,   /* INT/SIZE: a power of two, or 0 if 0 is in range */
	PARAM_F_SCOPED = 1u << 1, /* may be overridden per scope ("domain.N.key") */
	PARAM_F_AUTO = 1u << 2,   /* INT: also "auto", read as 0 (the user of the key
				   * works the value out; its help says how) */
};

typedef struct param_def {
	const char *name;
	param_type type;
	const char *def;
	const char *unit;
	int64_t min, max;         /* INT, SIZE */
	double fmin, fmax;        /* FLOAT */
	const char *choices;      /* ENUM */
	unsigned flags;
	const char *help;
} param_def;

typedef struct param_reg param_reg;

enum { PARAM_OK = 0, PARAM_ERR = -1 };

param_reg *param_create(void);
void param_destroy(param_reg *reg);

/* Register a module's table (the table must outlive the registry). A
 * duplicate name or an invalid default is a programming error (assert).
 * Returns PARAM_OK, or PARAM_ERR when out of memory. */
int param_register(param_reg *reg, const param_def *defs, size_t n);

/* Set KEY to VALUE. ORIGIN names where it came from ("--set",
 * "conf/x.conf:12") and prefixes the message. Returns PARAM_OK, or PARAM_ERR
 * with a one-line message in err naming the key, the value and what is
 * allowed (and a "did you mean" for a near-miss key). */
int param_set(param_reg *reg, const char *key, const char *value,
	      const char *origin, char *err, size_t errlen);

/* Scoped overrides: after this, "PREFIX.N.KEY" (N < COUNT) may be set for
 * every KEY registered with PARAM_F_SCOPED; it overrides KEY for scope N. A
 * key that is not scoped, an unknown key or an N out of range is refused by
 * name. Overrides are entries after the registered ones, in the order set. */
void param_scope(param_reg *reg, const char *prefix, unsigned count);
/* A registry with the base values and scope IDX's overrides applied (as if
 * set); NULL when out of memory. The caller destroys it. */
param_reg *param_scoped(const param_reg *reg, unsigned idx);

/* A copy of REG with every value and override (NULL when out of memory). */
param_reg *param_clone(const param_reg *reg);
/* Make DST a copy of SRC (what param_clone makes) in DST's own memory:
 * PARAM_OK, or PARAM_ERR when out of memory (DST is then incomplete). */
int param_copy(param_reg *dst, const param_reg *src);

/* Parse "key=value" (as given to --set). */
int param_set_assignment(param_reg *reg, const char *assignment,
			 const char *origin, char *err, size_t errlen);

/* Load a config file of "key = value" lines. Errors name file:line. */
int param_load_file(param_reg *reg, const char *path, char *err, size_t errlen);

/* Typed getters; the name must be registered with a matching type. */
int64_t param_int(const param_reg *reg, const char *name);     /* INT, SIZE, BOOL */
double param_float(const param_reg *reg, const char *name);
int param_enum(const param_reg *reg, const char *name);        /* index in choices */
int param_bool(const param_reg *reg, const char *name);
/* LIST: up to MAX items into OUT; returns the count. */
int param_list(const param_reg *reg, const char *name, int64_t *out, int max);
/* A PARAM_LIST's text ("0,1,1") into OUT (at most MAX); -1 if it is not one. */
int param_parse_list(const char *s, int64_t *out, int max);

/* Effective value in canonical text (what "slatsim params" and the JSON
 * "config" object show). */
const char *param_text(const param_reg *reg, const char *name);

/* Iteration in registration order, then the scoped overrides. */
size_t param_count(const param_reg *reg);
const char *param_name_at(const param_reg *reg, size_t i);   /* "domain.1.guest.page" */
int param_scope_at(const param_reg *reg, size_t i);          /* its N; -1: not an override */
const param_def *param_def_at(const param_reg *reg, size_t i);   /* the base parameter's */
/* The definition of NAME (registered). */
const param_def *param_def_of(const param_reg *reg, const char *name);
const char *param_text_at(const param_reg *reg, size_t i);
int param_is_set_at(const param_reg *reg, size_t i);   /* set by a file or --set */
int param_is_set(const param_reg *reg, const char *name);   /* the same, by name */
/* Where NAME (a base key or a scoped override, which need not exist) was set:
 * the origin given to param_set ("FILE:LINE" for a config file, "--set"),
 * or NULL when it was not. */
const char *param_origin(const param_reg *reg, const char *name);
int64_t param_int_at(const param_reg *reg, size_t i);  /* INT, SIZE, BOOL, ENUM index,
							* LIST item count */
double param_float_at(const param_reg *reg, size_t i); /* FLOAT */

/* A non-negative integer as parameters and the command line write it:
 * decimal (a leading zero is still decimal: "010" is ten, never octal) or
 * 0x hex, with K/M/G/T (powers of 1024, optional B) when ALLOW_SUFFIX; no
 * sign, no spaces. Returns 0, or -1 if S is not one or overflows 64 bits. */
int param_parse_uint(const char *s, int allow_suffix, uint64_t *out);

/* Levenshtein distance, used for "did you mean" here and by the CLI. */
size_t param_edit_distance(const char *a, const char *b);

#endif
