/*
 * sim/cli/explain.c - `slatsim explain`: one translation, step by step.
 */
#include "cli.h"
#include "sim.h"

#include <stdio.h>
#include <string.h>

static const char *const explain_usage =
	"usage: slatsim explain [--config FILE]... [--set key=value]... [--access r|w|x]\n"
	"                       [--asid N] GVA\n"
	"\n"
	"Build the mappings of GVA (hexadecimal, 0x optional) as the guest OS and\n"
	"hypervisor models would on first touch, then translate it once with cold\n"
	"caches and print every memory reference in order: stage, level, table\n"
	"address, index, the entry's physical address, the descriptor and its decoded\n"
	"fields, walk-cache and nested-TLB hits, the result and the cycles. An\n"
	"upper-half (kernel) GVA is translated through the guest's kernel half.\n";

/* A GVA: hexadecimal digits, with or without 0x, nothing else. */
static int parse_gva(const char *s, uint64_t *out)
{
	char buf[24];
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	size_t n = strlen(s);
	if (n == 0 || n > 16)
		return -1;
	snprintf(buf, sizeof(buf), "0x%s", s);
	return param_parse_uint(buf, 0, out);
}

int cmd_explain(args *a)
{
	config_args c = { .nfiles = 0 };
	const char *gva_s = NULL, *v;
	unsigned access = 0;
	uint64_t asid = 0;
	while (a->i < a->argc) {
		if (cli_is_help(a->argv[a->i])) {
			fputs(explain_usage, stdout);
			return 0;
		}
		if (cli_config_opt(a, &c))
			continue;
		if ((v = cli_opt_value(a, "--access"))) {
			if (strcmp(v, "r") == 0) access = 0;
			else if (strcmp(v, "w") == 0) access = 1;
			else if (strcmp(v, "x") == 0) access = 2;
			else cli_usage_error(a, "--access '%s': not r, w or x", v);
			continue;
		}
		if ((v = cli_opt_value(a, "--asid"))) {
			asid = cli_parse_count(a, "--asid", v, 0);
			if (asid > 0xffff)
				cli_usage_error(a, "--asid '%s': above 65535", v);
			continue;
		}
		if (a->argv[a->i][0] == '-' && a->argv[a->i][1] != '\0')
			cli_unknown_option(a);
		if (gva_s)
			cli_usage_error(a, "more than one GVA given ('%s' and '%s')", gva_s,
					a->argv[a->i]);
		gva_s = a->argv[a->i++];
	}
	if (!gva_s)
		cli_usage_error(a, "explain needs a GVA");
	uint64_t gva;
	if (parse_gva(gva_s, &gva) != 0)
		cli_usage_error(a, "GVA '%s': not a 64-bit hexadecimal address", gva_s);
	param_reg *p = cli_build_params(a, &c);
	char err[1024];
	sim *s;
	int rc = sim_create(&s, p, err, sizeof(err));
	if (rc != TRACE_OK)
		cli_die_trace(rc, err);
	if ((rc = sim_explain(s, gva, access, (uint16_t)asid, stdout, err, sizeof(err))) != TRACE_OK)
		cli_die_trace(rc, err);
	cli_flush_stdout();
	sim_destroy(s);
	param_destroy(p);
	return 0;
}
