/*
 * sim/cli/params.c - `slatsim params`: every parameter with its type,
 * default, unit, range and help.
 */
#include "cli.h"
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const params_usage =
	"usage: slatsim params [--json [FILE]] [--config FILE]... [--set key=value]...\n"
	"                      [PATTERN]...\n"
	"       slatsim params [--config FILE]... [--set key=value]... --dump-config FILE\n"
	"\n"
	"List every parameter with its type, default, unit, allowed range and help,\n"
	"grouped by room (the name's first part: tlb, cache, dirtylog, ...; the keys\n"
	"with no room under 'general'), each room under a '[room]' line.\n"
	"With --config/--set, the effective value column shows their result.\n"
	"PATTERN keeps only the keys it names: a key or a dotted prefix of one\n"
	"('tlb', 'tlb.l2', 'tlb.l2.ways'), or a shell pattern matched against the\n"
	"whole name when it has * ? or [ ('*.latency', 'tlb.*.ways'); several\n"
	"PATTERNs keep a key any of them names, and one that names none is an error.\n"
	"--json writes the same keys as a JSON array, in the registry's order, with\n"
	"no rooms: to standard output, or to FILE when the next argument is '-' or\n"
	"ends in .json (--json=FILE: any name).\n"
	"--dump-config FILE ('-': standard output) writes the effective configuration\n"
	"as a config file - every key, 'key = value', that --config reads back to the\n"
	"same configuration - and nothing else.\n";

static const char *type_name(param_type t)
{
	switch (t) {
	case PARAM_INT: return "int";
	case PARAM_SIZE: return "size";
	case PARAM_ENUM: return "enum";
	case PARAM_BOOL: return "bool";
	case PARAM_FLOAT: return "float";
	case PARAM_LIST: return "list";
	}
	return "?";
}

static void range_of(const param_def *d, char *buf, size_t len)
{
	switch (d->type) {
	case PARAM_INT:
	case PARAM_SIZE:
		snprintf(buf, len, "%" PRId64 "..%" PRId64 "%s%s", d->min, d->max,
			 d->flags & PARAM_F_POW2 ? " pow2" : "", d->flags & PARAM_F_AUTO ? "|auto" : "");
		break;
	case PARAM_ENUM: snprintf(buf, len, "%s", d->choices); break;
	case PARAM_BOOL: snprintf(buf, len, "0|1"); break;
	case PARAM_FLOAT: snprintf(buf, len, "%g..%g", d->fmin, d->fmax); break;
	case PARAM_LIST:
		snprintf(buf, len, "%" PRId64 "..%" PRId64 ",...", d->min, d->max);
		break;
	}
}

/* The room of key I: the name's first part when the key has a dot or
 * another key lives under its name ("domains" for domains.control),
 * else "general" ("seed", "arch"). Written into BUF. */
static void params_room(const param_reg *p, size_t i, char *buf, size_t len)
{
	const char *name = param_name_at(p, i);
	size_t k = strcspn(name, ".");
	if (name[k] == '\0') {
		for (size_t j = 0; j < param_count(p); j++) {
			const char *o = param_name_at(p, j);
			if (strncmp(o, name, k) == 0 && o[k] == '.') {
				snprintf(buf, len, "%s", name);
				return;
			}
		}
		snprintf(buf, len, "general");
		return;
	}
	snprintf(buf, len, "%.*s", (int)k, name);
}

static void params_print_one(const param_reg *p, size_t i)
{
	const param_def *d = param_def_at(p, i);
	char range[128];
	range_of(d, range, sizeof(range));
	printf("%-28s %-5s %-10s %-8s %s\n", param_name_at(p, i), type_name(d->type),
	       param_text_at(p, i), d->unit ? d->unit : "", range);
	if (param_scope_at(p, i) >= 0)
		return;   /* an override: its help is the base's above */
	printf("    %s\n", d->help);
	if (d->flags & PARAM_F_SCOPED)
		printf("    (per domain: domain.N.%s overrides it for domain N)\n", d->name);
	if (strcmp(param_text_at(p, i), d->def) != 0)
		printf("    (default %s)\n", d->def);
}

void cli_params_json(FILE *f, const param_reg *p, const unsigned char *keep)
{
	json_w j;
	json_init(&j, f, 1);
	json_begin_arr(&j, NULL);
	for (size_t i = 0; i < param_count(p); i++) {
		if (keep && !keep[i])
			continue;
		const param_def *d = param_def_at(p, i);
		json_begin_obj(&j, NULL);
		json_str(&j, "name", param_name_at(p, i));
		json_str(&j, "type", type_name(d->type));
		json_str(&j, "default", d->def);
		json_str(&j, "value", param_text_at(p, i));
		json_str(&j, "unit", d->unit ? d->unit : "");
		if (d->type == PARAM_INT || d->type == PARAM_SIZE || d->type == PARAM_LIST) {
			json_i64(&j, "min", d->min);
			json_i64(&j, "max", d->max);
			json_bool(&j, "power_of_two", (d->flags & PARAM_F_POW2) != 0);
		} else if (d->type == PARAM_FLOAT) {
			json_dbl(&j, "min", d->fmin);
			json_dbl(&j, "max", d->fmax);
		} else if (d->type == PARAM_ENUM) {
			json_str(&j, "choices", d->choices);
		}
		json_bool(&j, "per_domain", (d->flags & PARAM_F_SCOPED) != 0);
		json_str(&j, "help", d->help);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_finish(&j);
}

int cmd_params(args *a)
{
	config_args c = { .nfiles = 0 };
	const char *json = NULL, *dump = NULL, *v;
	int quiet = 0;
	const char **pats = calloc((size_t)a->argc + 1, sizeof(*pats));
	size_t npats = 0;
	if (!pats)
		cli_die(EXIT_FAIL, "out of memory (params)");
	while (a->i < a->argc) {
		if (cli_dashdash(a))
			continue;
		if (!a->dashdash && cli_is_help(a->argv[a->i])) {
			fputs(params_usage, stdout);
			free(pats);
			return 0;
		}
		if (cli_config_opt(a, &c))
			continue;
		if (cli_quiet_opt(a)) { quiet = 1; continue; }
		if ((v = cli_json_opt(a, 0))) { cli_once(a, "--json", json, v); json = v; continue; }
		if ((v = cli_opt_value(a, "--dump-config"))) {
			cli_once(a, "--dump-config", dump, v);
			dump = v;
			continue;
		}
		if (cli_is_option(a))
			cli_unexpected(a);
		pats[npats++] = a->argv[a->i++];
	}
	param_reg *p = cli_build_params(a, &c);
	cli_check_stdout(a);
	if (dump) {
		/* The effective configuration, every key (the patterns do not
		 * apply: a config is whole), and nothing else. */
		if (json || npats)
			cli_usage_error(a, "--dump-config writes the whole configuration: it takes "
					"no --json or PATTERN");
		cli_dump_config(a, p, dump);
		param_destroy(p);
		free(pats);
		return 0;
	}
	outfile *jo = json ? cli_output(a, json, "--json", 0) : NULL;
	/* Which keys are listed: all, or those a PATTERN names. */
	size_t n = param_count(p);
	unsigned char *keep = calloc(n ? n : 1, 1);
	if (!keep)
		cli_die(EXIT_FAIL, "out of memory (params)");
	for (size_t i = 0; i < n; i++)
		keep[i] = npats == 0;
	for (size_t k = 0; k < npats; k++) {
		int any = 0;
		for (size_t i = 0; i < n; i++)
			if (cli_pattern_names(pats[k], param_name_at(p, i)))
				keep[i] = any = 1;
		if (!any)
			cli_usage_error(a, "no parameter matches '%s' (a key, a dotted prefix such "
					"as 'tlb.l2', or a pattern such as '*.latency')", pats[k]);
	}
	if (jo) {
		cli_params_json(outfile_stream(jo), p, keep);
	} else if (!quiet) {
		/* Room by room, the rooms in the order their first key comes in
		 * the registry, each room's keys in the registry's order. */
		unsigned char *done = calloc(n ? n : 1, 1);
		if (!done)
			cli_die(EXIT_FAIL, "out of memory (params)");
		int first = 1;
		for (size_t i = 0; i < n; i++) {
			if (!keep[i] || done[i])
				continue;
			char room[128], other[128];
			params_room(p, i, room, sizeof(room));
			printf("%s[%s]\n", first ? "" : "\n", room);
			first = 0;
			for (size_t j = i; j < n; j++) {
				if (!keep[j] || done[j])
					continue;
				params_room(p, j, other, sizeof(other));
				if (strcmp(room, other) != 0)
					continue;
				done[j] = 1;
				params_print_one(p, j);
			}
		}
		free(done);
	}
	cli_flush_stdout();
	if (jo)
		cli_commit(jo);
	param_destroy(p);
	free(keep);
	free(pats);
	return 0;
}

