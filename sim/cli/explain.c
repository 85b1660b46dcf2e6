/*
 * sim/cli/explain.c - `slatsim explain`: one translation, step by step.
 *
 * The machine does the work (machine_walk_once: logging started, mappings
 * made as on first touch, the walk taken as the access path takes it, with
 * its faults handled and retried); this file parses, optionally replays a
 * trace first (--after) and prints every step: descriptor reads, hardware
 * A/D and DBM writes, PML and HDBSS entries, cache hits, and each fault the
 * machine handled between attempts.
 */
#include "cli.h"
#include "machine.h"
#include "pml.h"
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPLAIN_STEPS 1024

static const char *const explain_usage =
	"usage: slatsim explain [--config FILE]... [--set key=value]... [--access r|w|x]\n"
	"                       [--asid N] [--domain N] [--after TRACE [--limit N]\n"
	"                       [--format F]] GVA\n"
	"\n"
	"Build the mappings of GVA (hexadecimal, 0x optional) as the guest OS and\n"
	"hypervisor models would on first touch - with the configured dirty logging\n"
	"started first, as 'run' starts it before the first record, so new stage-2\n"
	"leaves are armed and dirtylog.huge=split maps base pages - then translate it\n"
	"with cold caches as the access path does and print every memory reference\n"
	"in order: stage, level, table address, index, the entry's physical address,\n"
	"the descriptor and its decoded fields; hardware A/D and DBM updates as\n"
	"writes with what they changed; PML and HDBSS entries written; walk-cache\n"
	"and nested-TLB hits; the result and the cycles. A walk that faults (a\n"
	"write-protected guest page-table page under dirtylog.mode=wp, a full PML\n"
	"log) is handled as 'run' handles it and walked again: every attempt is\n"
	"printed. An upper-half (kernel) GVA is translated through the guest's\n"
	"kernel half. --domain N walks in domain N (domains, vcpu.domain; default 0).\n"
	"--after TRACE first replays TRACE (its first --limit N records; 0: all) as\n"
	"'run' does - its dirty-logging rounds harvested, the last at its end - and\n"
	"explains the walk in the state it leaves; --format F as for 'run'.\n";

static const char *stage_name(int arm, unsigned stage)
{
	if (stage == 1)
		return arm ? "S1" : "guest";
	return arm ? "S2" : "EPT";
}

static const char *fault_name(mmu_fault_kind k)
{
	switch (k) {
	case MMU_FAULT_NONE: return "none";
	case MMU_FAULT_TRANSLATION: return "translation fault";
	case MMU_FAULT_PERMISSION: return "permission fault";
	case MMU_FAULT_MISCONFIG: return "misconfiguration";
	case MMU_FAULT_ACCESS_FLAG: return "access flag fault";
	case MMU_FAULT_ADDRSIZE: return "address size fault";
	case MMU_FAULT_LOG_FULL: return "log-full exit";
	}
	return "fault";
}

/* What the machine did about fault F before the next attempt. */
static const char *handled_by(const mmu_fault *f, int arm)
{
	if (f->kind == MMU_FAULT_LOG_FULL)
		return arm ? "HDBSS-full abort: the hypervisor drained the buffer and the access "
		       "was replayed" : "PML log-full VM exit: the hypervisor drained the log and "
		       "the access was replayed";
	if (f->kind == MMU_FAULT_PERMISSION && f->stage == 2)
		return "dirty logging's write-protection fault: the hypervisor reported the page, "
		       "made it writable and walked again";
	if (f->stage == 1)
		return "guest page fault: the guest OS mapped the page and walked again";
	return "stage-2 fault: the hypervisor mapped the page and walked again";
}

/* One step: a line. */
static void print_step(FILE *f, const machine_walk_info *in, unsigned n, const mmu_step *st)
{
	const mmu_geom *g = st->stage == 1 ? in->s1 : in->s2;
	const char *sn = stage_name(in->arm, st->stage);
	int lvl = g->arch_level[st->level];
	char d[240];
	switch (st->kind) {
	case MMU_STEP_WALK_CACHE:
	case MMU_STEP_NTLB:
		fprintf(f, "  %3u  %-5s %s\n", n, sn, st->what);
		return;
	case MMU_STEP_READ:
		mmu_desc_describe(g, st->level, st->desc, d, sizeof(d));
		fprintf(f, "  %3u  %-5s L%d  table 0x%llx [%3llu] @pa 0x%llx = 0x%016llx  %s\n", n,
			sn, lvl, (unsigned long long)st->table, (unsigned long long)st->index,
			(unsigned long long)st->entry_pa, (unsigned long long)st->desc, d);
		return;
	case MMU_STEP_WRITE:
		mmu_desc_describe_change(g, st->level, st->prev, st->desc, d, sizeof(d));
		fprintf(f, "  %3u  %-5s L%d  write [%3llu] @pa 0x%llx = 0x%016llx  hardware update: %s\n",
			n, sn, lvl, (unsigned long long)st->index, (unsigned long long)st->entry_pa,
			(unsigned long long)st->desc, d);
		return;
	case MMU_STEP_PML:
		fprintf(f, "  %3u  PML   entry %3llu @pa 0x%llx = 0x%016llx  logs GPA 0x%llx (the "
			"%s L%d leaf went D 0->1)\n", n, (unsigned long long)st->index,
			(unsigned long long)st->entry_pa, (unsigned long long)st->desc,
			(unsigned long long)(st->desc & PML_ENTRY_GPA_MASK), sn, lvl);
		return;
	case MMU_STEP_HDBSS:
		fprintf(f, "  %3u  HDBSS entry %3llu @pa 0x%llx = 0x%016llx  logs IPA 0x%llx, TTWL "
			"%llu (the %s L%d leaf went writable-dirty)\n", n,
			(unsigned long long)st->index, (unsigned long long)st->entry_pa,
			(unsigned long long)st->desc,
			(unsigned long long)(st->desc & HDBSS_ENTRY_IPA_MASK),
			(unsigned long long)field_get64(HDBSS_ENTRY_TTWL_MASK, st->desc), sn, lvl);
		return;
	}
}

/* What one attempt cost: with the data caches (cache.model=on), each
 * descriptor reference at the level that served it, else mem.pte_latency. */
static void print_cost(FILE *f, const machine_walk_info *in, const mmu_result *res,
		       const mmu_step *steps)
{
	fprintf(f, "  %u memory references (%u stage 1, %u stage 2), %u descriptor write%s "
		"(%u stage 1), %u log entr%s, %llu cycles", res->refs,
		res->s1_refs, res->s2_refs, res->ad_writes, res->ad_writes == 1 ? "" : "s",
		res->s1_ad_writes, res->logged, res->logged == 1 ? "y" : "ies",
		(unsigned long long)res->cycles);
	unsigned by[CACHE_LEVELS] = { 0 }, any = 0;
	for (unsigned i = 0; i < res->nsteps; i++)
		if ((steps[i].kind == MMU_STEP_READ || steps[i].kind == MMU_STEP_WRITE) &&
		    steps[i].served >= 0 && steps[i].served < CACHE_LEVELS) {
			by[steps[i].served]++;
			any++;
		}
	if (any)
		fprintf(f, " (data caches: %u from L1, %u L2, %u LLC, %u memory", by[CACHE_L1],
			by[CACHE_L2], by[CACHE_LLC], by[CACHE_MEM]);
	else
		fprintf(f, " at mem.pte_latency=%u", in->pte_latency);
	if (in->walk_fixed)
		fprintf(f, "; walk.fixed=%u", in->walk_fixed);
	if (in->s2_walk_fixed)
		fprintf(f, "; walk.s2_fixed=%u x %u stage-2 walk%s", in->s2_walk_fixed,
			res->s2_walks, res->s2_walks == 1 ? "" : "s");
	fputs(any ? ")\n" : "\n", f);
}

/* The walk of GVA, attempt by attempt (info and steps from the machine). */
static void print_walk(FILE *f, const machine_walk_info *in, uint64_t gva, unsigned access,
		       uint16_t asid, const mmu_step *steps)
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
	fprintf(f, "\n  hardware A/D: stage 1 ");
	if (in->arm)
		fprintf(f, "TCR_EL1.HA=%d HD=%d", !!(in->s1_hw & MMU_S1_HW_ACCESS),
			!!(in->s1_hw & MMU_S1_HW_DIRTY));
	else if (in->s1_hw)
		fprintf(f, "%s%s set by the walker", in->s1_hw & MMU_S1_HW_ACCESS ? "A" : "",
			in->s1_hw == (MMU_S1_HW_ACCESS | MMU_S1_HW_DIRTY) ? " and D"
			: in->s1_hw & MMU_S1_HW_DIRTY ? "D" : "");
	else
		fprintf(f, "preset by the guest OS");
	if (in->nested)
		fprintf(f, ", stage 2 %s", in->arm ? (in->s2_ad ? "VTCR_EL2.HA=1 HD=1" : "off")
			: (in->s2_ad ? "EPTP[6]=1" : "off"));
	fprintf(f, "\n\n%s of VA 0x%llx (ASID %u%s), caches cold:\n",
		access == MMU_ACC_W ? "write" : access == MMU_ACC_X ? "fetch" : "read",
		(unsigned long long)gva, asid, in->upper ? ", kernel half: a global mapping" : "");
	unsigned n = 0;
	for (unsigned k = 0; k < in->nattempts; k++) {
		const mmu_result *res = &in->attempt[k];
		if (in->nattempts > 1)
			fprintf(f, "%s attempt %u:\n", k ? "\n" : "", k + 1);
		for (unsigned i = 0; i < res->nsteps; i++, n++)
			print_step(f, in, n + 1, &steps[n]);
		if (res->fault.kind == MMU_FAULT_NONE)
			break;
		const mmu_fault *ft = &res->fault;
		fprintf(f, "\n  fault: stage %u %s at level index %u", ft->stage,
			fault_name(ft->kind), ft->level);
		if (ft->stage == 2)
			fprintf(f, ", IPA 0x%llx%s", (unsigned long long)ft->ipa,
				ft->s1ptw ? " (a stage-1 table access)" : "");
		fprintf(f, "\n  -> %s\n", handled_by(ft, in->arm));
		print_cost(f, in, res, &steps[n - res->nsteps]);
	}
	const mmu_result *res = &in->attempt[in->nattempts - 1];
	fprintf(f, "\n  -> IPA/GPA 0x%llx, PA 0x%llx; stage-1 leaf %lluK, stage-2 leaf %lluK, "
		"TLB entry %lluK%s\n", (unsigned long long)res->ipa, (unsigned long long)res->pa,
		(unsigned long long)(1ull << res->s1_shift) >> 10,
		(unsigned long long)(in->nested ? (1ull << res->s2_shift) >> 10
				     : (1ull << res->s1_shift) >> 10),
		(unsigned long long)(1ull << res->shift) >> 10,
		access == MMU_ACC_W || res->dirty ? "" : " (filled clean: a write walks again)");
	print_cost(f, in, res, &steps[n - res->nsteps]);
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

/* --after: replay TRACE through S as 'run' does (sim.prefault too). */
static void replay_before(const args *a, machine *s, const param_reg *p, const char *trace,
			  enum trace_format fmt, uint64_t limit)
{
	char err[1024];
	replay_opts ro = { .limit = limit };
	trace_reader *r = cli_open_trace(trace, fmt, p);
	int rc;
	if (param_bool(p, "sim.prefault")) {
		cli_need_regular(a, trace, "sim.prefault=1");
		rc = replay_prefault(s, r, &ro, err, sizeof(err));
		trace_close(r);
		if (rc != TRACE_OK)
			cli_die_trace(rc, err);
		r = cli_open_trace(trace, fmt, p);
	}
	rc = replay_run(s, r, &ro, NULL, err, sizeof(err));
	trace_close(r);
	if (rc != TRACE_OK)
		cli_die_trace(rc, err);
	int found;
	const stats_reg *st = machine_stats(s);
	uint64_t recs = stats_get(st, "records", &found);
	uint64_t rounds = stats_get(st, "dirtylog.rounds", &found);
	printf("after %llu record%s of ", (unsigned long long)recs, recs == 1 ? "" : "s");
	fputs(trace, stdout);
	printf(" (%llu dirty-logging round%s harvested)\n", (unsigned long long)rounds,
	       rounds == 1 ? "" : "s");
}

int cmd_explain(args *a)
{
	int quiet = 0;
	config_args c = { .nfiles = 0 };
	const char *gva_s = NULL, *after = NULL, *v;
	unsigned access = 0;
	uint64_t asid = 0, dom = 0, limit = 0;
	int limit_given = 0, fmt_given = 0;
	enum trace_format fmt = TRACE_FMT_AUTO;
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
		if ((v = cli_opt_value(a, "--after"))) {
			cli_once(a, "--after", after, v);
			after = v;
			continue;
		}
		if ((v = cli_opt_value(a, "--limit"))) {
			limit = cli_parse_count(a, "--limit", v, 1);
			limit_given = 1;
			continue;
		}
		if ((v = cli_opt_value(a, "--format"))) {
			fmt = cli_parse_format(a, v);
			fmt_given = 1;
			continue;
		}
		if (cli_quiet_opt(a)) { quiet = 1; continue; }
		if (cli_is_option(a))
			cli_unknown_option(a);
		if (gva_s)
			cli_usage_error(a, "more than one GVA given ('%s' and '%s')", gva_s,
					a->argv[a->i]);
		gva_s = a->argv[a->i++];
	}
	if (!gva_s)
		cli_usage_error(a, "explain needs a GVA");
	if ((limit_given || fmt_given) && !after)
		cli_usage_error(a, "%s applies to the trace of --after TRACE, and none was given",
				limit_given ? "--limit" : "--format");
	uint64_t gva;
	if (parse_gva(gva_s, &gva) != 0)
		cli_usage_error(a, "GVA '%s': not a 64-bit hexadecimal address", gva_s);
	if (after)
		outset_add_input(a->outs, after);
	param_reg *p = cli_build_params(a, &c);
	cli_check_stdout(a);
	char err[1024];
	machine *s;
	int rc = machine_create(&s, p, err, sizeof(err));
	if (rc != TRACE_OK)
		cli_die_config(rc, p, err);
	if (after)
		replay_before(a, s, p, after, fmt, limit);
	mmu_step *steps = calloc(EXPLAIN_STEPS, sizeof(*steps));
	machine_walk_info *info = calloc(1, sizeof(*info));
	if (!steps || !info)
		cli_die(EXIT_FAIL, "out of memory (the steps of a walk)");
	mmu_result res;
	if (machine_walk_once(s, (unsigned)dom, gva, access, (uint16_t)asid, steps, EXPLAIN_STEPS,
			      &res, info))
		cli_die_trace(machine_error_code(s), machine_error(s));
	if (!quiet)   /* (-q: only whether it could be walked: errors, the exit status) */
		print_walk(stdout, info, gva, access, (uint16_t)asid, steps);
	cli_flush_stdout();
	free(steps);
	free(info);
	machine_destroy(s);
	param_destroy(p);
	return 0;
}
