/*
 * sim/cli/explain.c - `slatsim explain`: one translation, step by step.
 */
#include "cli.h"
#include "machine.h"

#include <stdio.h>
#include <string.h>

static const char *const explain_usage =
	"usage: slatsim explain [--config FILE]... [--set key=value]... [--access r|w|x]\n"
	"                       [--asid N] [--domain N] GVA\n"
	"\n"
	"Build the mappings of GVA (hexadecimal, 0x optional) as the guest OS and\n"
	"hypervisor models would on first touch, then translate it once with cold\n"
	"caches and print every memory reference in order: stage, level, table\n"
	"address, index, the entry's physical address, the descriptor and its decoded\n"
	"fields, walk-cache and nested-TLB hits, the result and the cycles. An\n"
	"upper-half (kernel) GVA is translated through the guest's kernel half.\n"
	"--domain N walks in domain N (domains, vcpu.domain; default 0).\n";

static const char *stage_name(int arm, unsigned stage)
{
	if (stage == 1)
		return arm ? "S1" : "guest";
	return arm ? "S2" : "EPT";
}

/* The walk of GVA, reference by reference (info and steps from the machine). */
static void print_walk(FILE *f, const machine_walk_info *in, uint64_t gva, unsigned access,
		       uint16_t asid, const mmu_step *steps, const mmu_result *res)
{
	const mmu_geom *g1 = in->s1, *g2 = in->s2;
	fprintf(f, "%s, %s: stage 1 %s, %uK granule, %u-bit VA, %u levels (root: %u index bits)\n",
		in->arm ? "arm64" : "x86", in->nested ? "nested" : "native",
		in->arm ? "VMSAv8-64" : "x86-64 paging", 1u << (g1->gran_shift - 10),
		g1->in_bits, g1->levels, g1->bits[0]);
	if (in->nested) {
		fprintf(f, "  stage 2 %s, %uK granule, %u-bit IPA, %u levels, %u concatenated root "
			"table%s", in->arm ? "VMSAv8-64" : "EPT", 1u << (g2->gran_shift - 10),
			g2->in_bits, g2->levels, g2->root_tables, g2->root_tables == 1 ? "" : "s");
		if (in->arm)
			fprintf(f, " (VTCR_EL2.T0SZ=%u SL0=%u TG0=%u)", g2->vtcr_t0sz, g2->vtcr_sl0,
				g2->vtcr_tg0);
		fprintf(f, "\n");
	}
	fprintf(f, "  guest root (%s) 0x%llx", in->arm ? (in->upper ? "TTBR1_EL1" : "TTBR0_EL1")
		: "CR3", (unsigned long long)in->s1_root);
	if (in->nested)
		fprintf(f, ", stage-2 root (%s) 0x%llx", in->arm ? "VTTBR_EL2" : "EPTP",
			(unsigned long long)in->s2_root);
	fprintf(f, "\n\n%s of VA 0x%llx (ASID %u%s), caches cold:\n",
		access == MMU_ACC_W ? "write" : access == MMU_ACC_X ? "fetch" : "read",
		(unsigned long long)gva, asid, in->upper ? ", kernel half: a global mapping" : "");
	for (unsigned i = 0; i < res->nsteps; i++) {
		const mmu_step *st = &steps[i];
		const mmu_geom *g = st->stage == 1 ? g1 : g2;
		if (st->cached) {
			fprintf(f, "  %3u  %-5s %s\n", i + 1, stage_name(in->arm, st->stage), st->what);
			continue;
		}
		char d[200];
		mmu_desc_describe(g, st->level, st->desc, d, sizeof(d));
		fprintf(f, "  %3u  %-5s L%d  table 0x%llx [%3llu] @pa 0x%llx = 0x%016llx  %s\n",
			i + 1, stage_name(in->arm, st->stage), g->arch_level[st->level],
			(unsigned long long)st->table, (unsigned long long)st->index,
			(unsigned long long)st->entry_pa, (unsigned long long)st->desc, d);
	}
	if (res->fault.kind != MMU_FAULT_NONE) {
		fprintf(f, "\n  fault: stage %u level index %u kind %d%s\n", res->fault.stage,
			res->fault.level, res->fault.kind,
			res->fault.s1ptw ? " (on a stage-1 table access)" : "");
		return;
	}
	fprintf(f, "\n  -> IPA/GPA 0x%llx, PA 0x%llx; stage-1 leaf %lluK, stage-2 leaf %lluK, "
		"TLB entry %lluK\n", (unsigned long long)res->ipa, (unsigned long long)res->pa,
		(unsigned long long)(1ull << res->s1_shift) >> 10,
		(unsigned long long)(in->nested ? (1ull << res->s2_shift) >> 10
				     : (1ull << res->s1_shift) >> 10),
		(unsigned long long)(1ull << res->shift) >> 10);
	fprintf(f, "  %u memory references (%u stage 1, %u stage 2), %llu cycles at "
		"mem.pte_latency=%u\n", res->refs, res->s1_refs, res->s2_refs,
		(unsigned long long)res->cycles, in->pte_latency);
}

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
	uint64_t asid = 0, dom = 0;
	while (a->i < a->argc) {
		if (cli_dashdash(a))
			continue;
		if (!a->dashdash && cli_is_help(a->argv[a->i])) {
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
		if ((v = cli_opt_value(a, "--domain"))) {
			dom = cli_parse_count(a, "--domain", v, 0);
			if (dom >= MACHINE_MAX_DOMAINS)
				cli_usage_error(a, "--domain '%s': above %d", v, MACHINE_MAX_DOMAINS - 1);
			continue;
		}
		if (cli_is_option(a))
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
	cli_check_stdout(a);
	char err[1024];
	machine *s;
	int rc = machine_create(&s, p, err, sizeof(err));
	if (rc != TRACE_OK)
		cli_die_config(rc, p, err);
	mmu_step steps[256];
	mmu_result res;
	machine_walk_info info;
	if (machine_walk_once(s, (unsigned)dom, gva, access, (uint16_t)asid, steps, 256, &res,
			      &info))
		cli_die_trace(machine_error_code(s), machine_error(s));
	print_walk(stdout, &info, gva, access, (uint16_t)asid, steps, &res);
	cli_flush_stdout();
	machine_destroy(s);
	param_destroy(p);
	return 0;
}
