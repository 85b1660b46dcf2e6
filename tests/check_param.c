/*
 * tests/check_param.c - the parameter registry.
 */
#include "check_util.h"
#include "param.h"

static const param_def defs[] = {
	{ .name = "tlb.l1d.entries", .type = PARAM_INT, .def = "64", .unit = "entries",
	  .min = 0, .max = 4096, .flags = PARAM_F_POW2, .help = "h" },
	{ .name = "tlb.l1d.policy", .type = PARAM_ENUM, .def = "lru", .choices = "lru|plru|random",
	  .help = "h" },
	{ .name = "guest.ram", .type = PARAM_SIZE, .def = "1G", .unit = "bytes", .min = 4096,
	  .max = INT64_C(1) << 50, .help = "h" },
	{ .name = "sim.prefault", .type = PARAM_BOOL, .def = "0", .help = "h" },
	{ .name = "core.cpi", .type = PARAM_FLOAT, .def = "0.5", .fmin = 0.01, .fmax = 100,
	  .help = "h" },
};

static param_reg *mk(void)
{
	param_reg *r = param_create();
	param_register(r, defs, sizeof(defs) / sizeof(defs[0]));
	return r;
}

START_TEST(param_defaults_parse_to_typed_values)
{
	param_reg *r = mk();
	ck_assert_int_eq(param_int(r, "tlb.l1d.entries"), 64);
	ck_assert_int_eq(param_enum(r, "tlb.l1d.policy"), 0);
	ck_assert_int_eq(param_int(r, "guest.ram"), INT64_C(1) << 30);
	ck_assert_str_eq(param_text(r, "guest.ram"), "1G");
	ck_assert_int_eq(param_bool(r, "sim.prefault"), 0);
	ck_assert(param_float(r, "core.cpi") == 0.5);
	param_destroy(r);
}
END_TEST

START_TEST(param_set_accepts_each_type)
{
	param_reg *r = mk();
	char err[256];
	ck_assert_int_eq(param_set(r, "tlb.l1d.entries", "0", "t", err, sizeof(err)), PARAM_OK);
	ck_assert_int_eq(param_set(r, "tlb.l1d.policy", "plru", "t", err, sizeof(err)), PARAM_OK);
	ck_assert_int_eq(param_enum(r, "tlb.l1d.policy"), 1);
	ck_assert_int_eq(param_set(r, "guest.ram", "64K", "t", err, sizeof(err)), PARAM_OK);
	ck_assert_int_eq(param_int(r, "guest.ram"), 65536);
	ck_assert_int_eq(param_set(r, "guest.ram", "3M", "t", err, sizeof(err)), PARAM_OK);
	ck_assert_str_eq(param_text(r, "guest.ram"), "3M");
	ck_assert_int_eq(param_set(r, "guest.ram", "4097", "t", err, sizeof(err)), PARAM_OK);
	ck_assert_str_eq(param_text(r, "guest.ram"), "4097");
	ck_assert_int_eq(param_set(r, "sim.prefault", "on", "t", err, sizeof(err)), PARAM_OK);
	ck_assert_int_eq(param_bool(r, "sim.prefault"), 1);
	ck_assert_int_eq(param_set(r, "core.cpi", "0.1", "t", err, sizeof(err)), PARAM_OK);
	ck_assert_str_eq(param_text(r, "core.cpi"), "0.1");
	param_destroy(r);
}
END_TEST

START_TEST(param_refuses_bad_values_naming_key_and_range)
{
	param_reg *r = mk();
	char err[256];
	ck_assert_int_eq(param_set(r, "tlb.l1d.entries", "48", "--set", err, sizeof(err)),
			 PARAM_ERR);
	ck_assert_str_eq(err, "--set: bad value '48' for tlb.l1d.entries: expected an integer "
			 "in [0, 4096], a power of two");
	ck_assert_int_eq(param_set(r, "tlb.l1d.entries", "8192", "x", err, sizeof(err)), PARAM_ERR);
	ck_assert_int_eq(param_set(r, "tlb.l1d.entries", "12abc", "x", err, sizeof(err)), PARAM_ERR);
	ck_assert_int_eq(param_set(r, "tlb.l1d.policy", "fifo", "x", err, sizeof(err)), PARAM_ERR);
	ck_assert_ptr_nonnull(strstr(err, "one of lru|plru|random"));
	ck_assert_int_eq(param_set(r, "guest.ram", "1K", "x", err, sizeof(err)), PARAM_ERR);
	ck_assert_int_eq(param_set(r, "guest.ram", "99999999999T", "x", err, sizeof(err)),
			 PARAM_ERR);
	ck_assert_int_eq(param_set(r, "sim.prefault", "maybe", "x", err, sizeof(err)), PARAM_ERR);
	ck_assert_int_eq(param_set(r, "core.cpi", "nan", "x", err, sizeof(err)), PARAM_ERR);
	ck_assert_int_eq(param_set(r, "core.cpi", "1e9", "x", err, sizeof(err)), PARAM_ERR);
	/* decimal notation only: no hex float, no blanks strtod would skip */
	ck_assert_int_eq(param_set(r, "core.cpi", "0x1p1", "x", err, sizeof(err)), PARAM_ERR);
	ck_assert_int_eq(param_set(r, "core.cpi", " 2", "x", err, sizeof(err)), PARAM_ERR);
	ck_assert_int_eq(param_set(r, "core.cpi", "2.5e-1", "x", err, sizeof(err)), PARAM_OK);
	ck_assert(param_float(r, "core.cpi") == 0.25);
	ck_assert_int_eq(param_set(r, "core.cpi", "0.5", "x", err, sizeof(err)), PARAM_OK);
	/* a refused value leaves the old one */
	ck_assert_int_eq(param_int(r, "tlb.l1d.entries"), 64);
	param_destroy(r);
}
END_TEST

START_TEST(param_unknown_key_suggests_near_miss)
{
	param_reg *r = mk();
	char err[256];
	ck_assert_int_eq(param_set(r, "tlb.l1d.entires", "8", "--set", err, sizeof(err)),
			 PARAM_ERR);
	ck_assert_str_eq(err, "--set: unknown parameter 'tlb.l1d.entires' (did you mean "
			 "'tlb.l1d.entries'?)");
	ck_assert_int_eq(param_set(r, "zzz", "8", "--set", err, sizeof(err)), PARAM_ERR);
	ck_assert_ptr_null(strstr(err, "did you mean"));
	param_destroy(r);
}
END_TEST

START_TEST(param_config_file_errors_name_the_line)
{
	param_reg *r = mk();
	char err[512];
	const char good[] = "# comment\n\n  tlb.l1d.entries = 32  # trailing\nguest.ram=2M\n";
	char *p = tmp_write(good, sizeof(good) - 1, ".conf");
	ck_assert_msg(param_load_file(r, p, err, sizeof(err)) == PARAM_OK, "%s", err);
	ck_assert_int_eq(param_int(r, "tlb.l1d.entries"), 32);
	ck_assert_int_eq(param_int(r, "guest.ram"), 2 << 20);
	unlink(p);
	free(p);
	const char bad[] = "tlb.l1d.entries = 32\n\nguest.ram = lots\n";
	p = tmp_write(bad, sizeof(bad) - 1, ".conf");
	ck_assert_int_eq(param_load_file(r, p, err, sizeof(err)), PARAM_ERR);
	char want[600];
	snprintf(want, sizeof(want), "%s:3: bad value 'lots' for guest.ram", p);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	unlink(p);
	free(p);
	param_destroy(r);
}
END_TEST

START_TEST(param_edit_distance_is_levenshtein)
{
	ck_assert_uint_eq(param_edit_distance("kitten", "sitting"), 3);
	ck_assert_uint_eq(param_edit_distance("", "abc"), 3);
	ck_assert_uint_eq(param_edit_distance("same", "same"), 0);
}
END_TEST

/* The "did you mean" of an unknown key (measured within a band of the
 * limit, given up early) is what the full edit distance picks: the first
 * registered name nearest the key, when at most max(len/4, 2) away.
 * Keys: every name of defs with one, two and three edits at each place,
 * and random ones, against param_edit_distance by brute force. */
START_TEST(param_suggestion_is_the_nearest_name)
{
	param_reg *r = mk();
	char err[512], key[80], want[200];
	uint64_t x = 88172645463325252ull;
	for (int n = 0; n < 4000; n++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (n < 3000) {   /* a name with edits */
			const char *base = defs[x % 5].name;
			snprintf(key, sizeof(key), "%s", base);
			for (unsigned e = 0; e < 1 + (x >> 8) % 3; e++) {
				size_t l = strlen(key), at = (x >> (16 + 4 * e)) % (l + 1);
				char c = (char)('a' + (x >> (32 + 5 * e)) % 27);
				if ((x >> (40 + e)) % 3 == 0 && l > 1)
					memmove(key + at, key + at + 1, l - at);   /* delete */
				else if ((x >> (40 + e)) % 3 == 1 && l < 70) {
					memmove(key + at + 1, key + at, l - at + 1);   /* insert */
					key[at] = c == 'a' + 26 ? '.' : c;
				} else if (at < l) {
					key[at] = c == 'a' + 26 ? '.' : c;   /* substitute */
				}
			}
		} else {   /* random */
			size_t l = 1 + x % 30;
			for (size_t k = 0; k < l; k++)
				key[k] = (char)('a' + (x >> (k % 50)) % 26);
			key[l] = '\0';
		}
		size_t limit = strlen(key) / 4 > 2 ? strlen(key) / 4 : 2, bestd = (size_t)-1;
		const char *best = NULL;
		int exact = 0;
		for (size_t i = 0; i < param_count(r); i++) {
			size_t d = param_edit_distance(key, param_name_at(r, i));
			exact |= d == 0;
			if (d < bestd)
				bestd = d, best = param_name_at(r, i);
		}
		if (exact)
			continue;
		if (bestd <= limit)
			snprintf(want, sizeof(want), "(did you mean '%s'?)", best);
		else
			snprintf(want, sizeof(want), "(see 'slatsim params')");
		ck_assert_int_ne(param_set(r, key, "1", "--set", err, sizeof(err)), PARAM_OK);
		ck_assert_msg(strstr(err, want), "key '%s': %s (want %s)", key, err, want);
	}
	param_destroy(r);
}
END_TEST

/* param_copy makes DST what SRC is, whatever DST held: every value, its
 * set flag and origin, overrides included - compared with param_clone's
 * copy, over registries set at random. */
START_TEST(param_copy_makes_the_same_registry)
{
	static const param_def sd[] = {
		{ .name = "a.n", .type = PARAM_INT, .def = "1", .min = 0, .max = 100,
		  .flags = PARAM_F_SCOPED, .help = "h" },
		{ .name = "a.m", .type = PARAM_ENUM, .def = "x", .choices = "x|y|z",
		  .flags = PARAM_F_SCOPED, .help = "h" },
		{ .name = "b", .type = PARAM_INT, .def = "5", .min = 0, .max = 100, .help = "h" },
	};
	static const char *const keys[] = { "a.n", "a.m", "b", "d.0.a.n", "d.1.a.m", "d.2.a.n" };
	static const char *const vals[][3] = { { "0", "7", "99" }, { "x", "y", "z" },
					       { "0", "5", "6" }, { "3", "4", "5" },
					       { "x", "y", "z" }, { "8", "9", "10" } };
	param_reg *base = param_create(), *dst = param_create();
	param_register(base, sd, 3);
	param_scope(base, "d", 3);
	char err[256];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int round = 0; round < 300; round++) {
		param_reg *src = param_clone(base);
		for (int k = 0; k < 4; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			if (x % 3 == 0)
				continue;
			size_t key = (x >> 8) % 6;
			ck_assert_int_eq(param_set(src, keys[key], vals[key][(x >> 16) % 3],
						   k & 1 ? "f:1" : "--set", err, sizeof(err)), PARAM_OK);
		}
		ck_assert_int_eq(param_copy(dst, src), PARAM_OK);
		param_reg *want = param_clone(src);
		ck_assert_uint_eq(param_count(dst), param_count(want));
		for (size_t i = 0; i < param_count(want); i++) {
			const char *n = param_name_at(want, i);
			ck_assert_str_eq(param_name_at(dst, i), n);
			ck_assert_int_eq(param_is_set_at(dst, i), param_is_set_at(want, i));
			ck_assert_int_eq(param_scope_at(dst, i), param_scope_at(want, i));
		}
		for (size_t k = 0; k < 3; k++) {
			ck_assert_str_eq(param_text(dst, keys[k]), param_text(want, keys[k]));
			const char *o1 = param_origin(dst, keys[k]), *o2 = param_origin(want, keys[k]);
			ck_assert_int_eq(o1 == NULL, o2 == NULL);
			if (o1)
				ck_assert_str_eq(o1, o2);
		}
		for (unsigned d = 0; d < 3; d++) {
			param_reg *s1 = param_scoped(dst, d), *s2 = param_scoped(want, d);
			for (size_t k = 0; k < 3; k++)
				ck_assert_str_eq(param_text(s1, keys[k]), param_text(s2, keys[k]));
			param_destroy(s1);
			param_destroy(s2);
		}
		param_destroy(want);
		param_destroy(src);
	}
	param_destroy(dst);
	param_destroy(base);
}
END_TEST

/* Names are found through a hash index that param_set extends and
 * param_copy renames and cuts: after any sequence of sets and copies among
 * registries, every name - base keys, overrides present and absent - finds
 * what a list of the assignments made says (each assignment has an origin
 * of its own), with enough overrides to rebuild the index several times. */
START_TEST(param_lookup_follows_sets_and_copies)
{
	static const param_def sd[] = {
		{ .name = "a.n", .type = PARAM_INT, .def = "1", .min = 0, .max = 100,
		  .flags = PARAM_F_SCOPED, .help = "h" },
		{ .name = "b", .type = PARAM_INT, .def = "5", .min = 0, .max = 100, .help = "h" },
	};
	enum { NREG = 4, NSCOPE = 96, NNAME = NSCOPE + 2 };
	char names[NNAME][24];
	snprintf(names[0], sizeof(names[0]), "a.n");
	snprintf(names[1], sizeof(names[1]), "b");
	for (int d = 0; d < NSCOPE; d++)
		snprintf(names[2 + d], sizeof(names[2 + d]), "d.%d.a.n", d);
	param_reg *reg[NREG];
	int origin[NREG][NNAME];   /* the assignment's number; 0: never set */
	for (int r = 0; r < NREG; r++) {
		reg[r] = param_create();
		param_register(reg[r], sd, 2);
		param_scope(reg[r], "d", NSCOPE);
		for (int k = 0; k < NNAME; k++)
			origin[r][k] = 0;
	}
	char err[256], o[32];
	uint64_t x = 0x2545f4914f6cdd1dull;
	for (int step = 1; step < 6000; step++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int r = (int)(x % NREG), k = (int)((x >> 8) % NNAME);
		if ((x >> 20) % 8 == 0) {
			int from = (int)((x >> 24) % NREG);
			ck_assert_int_eq(param_copy(reg[r], reg[from]), PARAM_OK);
			for (int j = 0; j < NNAME; j++)
				origin[r][j] = origin[from][j];
		} else {
			snprintf(o, sizeof(o), "o%d", step);
			ck_assert_int_eq(param_set(reg[r], names[k], "7", o, err, sizeof(err)),
					 PARAM_OK);
			origin[r][k] = step;
		}
		if ((x >> 28) % 3 == 0)
			continue;   /* (several changes between lookups, too) */
		for (int j = 0; j < NNAME; j++) {
			const char *got = param_origin(reg[r], names[j]);
			if (!origin[r][j]) {
				ck_assert_ptr_null(got);
				continue;
			}
			snprintf(o, sizeof(o), "o%d", origin[r][j]);
			ck_assert_ptr_nonnull(got);
			ck_assert_str_eq(got, o);
		}
	}
	/* A copy that cuts entries off, then one that adds others at their
	 * places, with no lookup between. */
	param_reg *few = param_create(), *other = param_create();
	param_register(few, sd, 2);
	param_scope(few, "d", NSCOPE);
	param_copy(other, few);
	ck_assert_int_eq(param_set(reg[0], "d.5.a.n", "9", "five", err, sizeof(err)), PARAM_OK);
	ck_assert_int_eq(param_set(other, "d.6.a.n", "9", "six", err, sizeof(err)), PARAM_OK);
	ck_assert_ptr_nonnull(param_origin(reg[0], "d.5.a.n"));
	ck_assert_int_eq(param_copy(reg[0], few), PARAM_OK);
	ck_assert_int_eq(param_copy(reg[0], other), PARAM_OK);
	ck_assert_ptr_null(param_origin(reg[0], "d.5.a.n"));
	ck_assert_str_eq(param_origin(reg[0], "d.6.a.n"), "six");
	param_destroy(few);
	param_destroy(other);
	for (int r = 0; r < NREG; r++)
		param_destroy(reg[r]);
}
END_TEST

Suite *param_suite(void)
{
	Suite *s = suite_create("param");
	TCase *tc = tcase_create("registry");
	tcase_add_test(tc, param_defaults_parse_to_typed_values);
	tcase_add_test(tc, param_set_accepts_each_type);
	tcase_add_test(tc, param_refuses_bad_values_naming_key_and_range);
	tcase_add_test(tc, param_unknown_key_suggests_near_miss);
	tcase_add_test(tc, param_config_file_errors_name_the_line);
	tcase_add_test(tc, param_edit_distance_is_levenshtein);
	tcase_add_test(tc, param_suggestion_is_the_nearest_name);
	tcase_add_test(tc, param_copy_makes_the_same_registry);
	tcase_add_test(tc, param_lookup_follows_sets_and_copies);
	suite_add_tcase(s, tc);
	return s;
}
