/*
 * sim/cli/params.c - `slatsim params`: every parameter with its type,
 * default, unit, range and help.
 */
#include "cli.h"
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const params_usage =
	"usage: slatsim params [--json] [--config FILE]... [--set key=value]...\n"
	"\n"
	"List every parameter with its type, default, unit, allowed range and help.\n"
	"With --config/--set, the effective value column shows their result.\n";

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
		snprintf(buf, len, "%" PRId64 "..%" PRId64 "%s", d->min, d->max,
			 d->flags & PARAM_F_POW2 ? " pow2" : "");
		break;
	case PARAM_ENUM: snprintf(buf, len, "%s", d->choices); break;
	case PARAM_BOOL: snprintf(buf, len, "0|1"); break;
	case PARAM_FLOAT: snprintf(buf, len, "%g..%g", d->fmin, d->fmax); break;
	case PARAM_LIST:
		snprintf(buf, len, "%" PRId64 "..%" PRId64 ",...", d->min, d->max);
		break;
	}
}

int cmd_params(args *a)
{
	config_args c = { .nfiles = 0 };
	int json = 0;
	while (a->i < a->argc) {
		if (cli_dashdash(a))
			continue;
		if (!a->dashdash && cli_is_help(a->argv[a->i])) {
			fputs(params_usage, stdout);
			return 0;
		}
		if (cli_config_opt(a, &c))
			continue;
		if (cli_opt_flag(a, "--json")) { json = 1; continue; }
		cli_unexpected(a);
	}
	param_reg *p = cli_build_params(a, &c);
	if (json) {
		json_w j;
		json_init(&j, stdout, 1);
		json_begin_arr(&j, NULL);
		for (size_t i = 0; i < param_count(p); i++) {
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
	} else {
		for (size_t i = 0; i < param_count(p); i++) {
			const param_def *d = param_def_at(p, i);
			char range[128];
			range_of(d, range, sizeof(range));
			printf("%-28s %-5s %-10s %-8s %s\n", param_name_at(p, i), type_name(d->type),
			       param_text_at(p, i), d->unit ? d->unit : "", range);
			if (param_scope_at(p, i) >= 0)
				continue;   /* an override: its help is the base's above */
			printf("    %s\n", d->help);
			if (d->flags & PARAM_F_SCOPED)
				printf("    (per domain: domain.N.%s overrides it for domain N)\n",
				       d->name);
			if (strcmp(param_text_at(p, i), d->def) != 0)
				printf("    (default %s)\n", d->def);
		}
	}
	cli_flush_stdout();
	param_destroy(p);
	return 0;
}

