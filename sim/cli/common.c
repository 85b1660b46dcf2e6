/*
 * sim/cli/common.c - see cli.h.
 */
#include "cli.h"
#include "machine.h"

#include "report.h"
#if defined(__has_include)
#if __has_include("build-id.h")
#include "build-id.h"   /* SLATSIM_BUILD: the Makefile's git describe */
#endif
#endif
#ifndef SLATSIM_BUILD
#define SLATSIM_BUILD "unknown"   /* (built without the Makefile: setup.py) */
#endif

#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- errors */

/* "slatsim: MESSAGE": control bytes of what the user typed (a file name, a
 * key) are shown as \xNN, so a message stays one line on a terminal. */
static void vmsg(const char *fmt, va_list ap)
{
	char buf[4096];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (isatty(2))
		fputs("\r\033[K", stderr);   /* (over a progress line, if one is drawn) */
	fputs("slatsim: ", stderr);
	for (const unsigned char *p = (const unsigned char *)buf; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
}

void cli_die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(code);
}

void cli_usage_error(const args *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	if (a && a->prog)
		fprintf(stderr, "Try '%s --help'.\n", a->prog);
	else if (a && a->cmd)
		fprintf(stderr, "Try 'slatsim %s --help'.\n", a->cmd);
	else
		fputs("Try 'slatsim --help'.\n", stderr);
	exit(EXIT_BAD);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

int cli_trace_status(int rc, const char *m)
{
	cli_warn("%s", m);
	return rc == TRACE_ENOMEM || rc == TRACE_EINTERNAL || rc == TRACE_EOUTPUT ? EXIT_FAIL
		: EXIT_BAD;
}

/* A configuration the machine refused (MSG, which starts with the key it
 * names: "key=value: ..." or "key: ..."): a key set in a config file is
 * named with its file and line, as the parser's own errors are. */
void cli_die_config(int rc, const param_reg *p, const char *msg)
{
	char b[2048];
	cli_config_message(rc, p, msg, b, sizeof(b));
	if (strcmp(b, msg) != 0)
		cli_die(EXIT_BAD, "%s", b);
	cli_die_trace(rc, msg);
}

void cli_config_message(int rc, const param_reg *p, const char *msg, char *out, size_t n)
{
	/* (a domain's refusal starts "domain N: key...": its override first) */
	const char *m = msg;
	unsigned dom = 0;
	int scoped = 0, used = 0;
	if (sscanf(m, "domain %u: %n", &dom, &used) == 1 && used > 0) {
		m += used;
		scoped = 1;
	}
	size_t k = strspn(m, "abcdefghijklmnopqrstuvwxyz0123456789._");
	char key[160];
	const char *origin = NULL;
	if (k && k < 128 && (m[k] == '=' || m[k] == ':')) {
		if (scoped) {
			snprintf(key, sizeof(key), "domain.%u.%.*s", dom, (int)k, m);
			origin = param_origin(p, key);
		}
		if (!origin) {
			snprintf(key, sizeof(key), "%.*s", (int)k, m);
			origin = param_origin(p, key);
		}
	}
	if (origin && strchr(origin, ':') && rc == TRACE_EFORMAT)
		snprintf(out, n, "%s: %s", origin, msg);
	else
		snprintf(out, n, "%s", msg);
}

void cli_die_trace(int rc, const char *msg)
{
	exit(cli_trace_status(rc, msg));
}

/* ---------------------------------------------------------------- options */

int cli_is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

int cli_dashdash(args *a)
{
	if (a->dashdash || strcmp(a->argv[a->i], "--") != 0)
		return 0;
	a->dashdash = 1;
	a->i++;
	return 1;
}

int cli_is_option(const args *a)
{
	const char *arg = a->argv[a->i];
	return !a->dashdash && arg[0] == '-' && arg[1] != '\0';
}

void cli_unexpected(const args *a)
{
	if (cli_is_option(a))
		cli_unknown_option(a);
	cli_usage_error(a, "unexpected argument '%s'", a->argv[a->i]);
}

const char *cli_opt_value(args *a, const char *name)
{
	const char *arg = a->argv[a->i];
	if (a->dashdash)
		return NULL;
	size_t l = strlen(name);
	if (strncmp(arg, name, l) != 0)
		return NULL;
	if (arg[l] == '=') {
		a->i++;
		return arg + l + 1;
	}
	if (arg[l] != '\0')
		return NULL;
	if (a->i + 1 >= a->argc)
		cli_usage_error(a, "option %s needs a value", name);
	a->i += 2;
	return a->argv[a->i - 1];
}

int cli_opt_flag(args *a, const char *name)
{
	if (a->dashdash || strcmp(a->argv[a->i], name) != 0)
		return 0;
	a->i++;
	return 1;
}

int cli_quiet_opt(args *a)
{
	return cli_opt_flag(a, "--quiet") || cli_opt_flag(a, "-q");
}

const char *cli_out_opt(args *a)
{
	const char *v;
	if ((v = cli_opt_value(a, "-o")) || (v = cli_opt_value(a, "--out")) ||
	    (v = cli_opt_value(a, "--output")))
		return v;
	return NULL;
}

const char *cli_json_opt(args *a, int dash_is_input)
{
	const char *arg = a->argv[a->i];
	if (a->dashdash || strncmp(arg, "--json", 6) != 0)
		return NULL;
	if (arg[6] == '=') {
		a->i++;
		return arg + 7;
	}
	if (arg[6] != '\0')
		return NULL;
	a->i++;
	if (a->i < a->argc) {
		const char *next = a->argv[a->i];
		size_t l = strlen(next);
		int dash = strcmp(next, "-") == 0 && (!dash_is_input || a->i + 1 < a->argc);
		if (dash || (l > 5 && strcasecmp(next + l - 5, ".json") == 0)) {
			a->i++;
			return next;
		}
	}
	return "-";
}

void cli_window_refused(const args *a, const char *why)
{
	static const char *const opt[] = { "--skip", "--limit", "--warmup" };
	const char *arg = a->argv[a->i];
	if (a->dashdash)
		return;
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(opt[i]);
		if (strncmp(arg, opt[i], l) == 0 && (arg[l] == '\0' || arg[l] == '='))
			cli_usage_error(a, "%s is not an option of %s: %s", opt[i], a->cmd, why);
	}
}

/* Each command's options (besides --help), for the suggestion an unknown
 * option gets: keep in step with the command's parser. */
static const struct {
	const char *cmd, *opts;
} cli_known_opts[] = {
	{ "run", "--config --set --json --vs --vs-config --all --stats --cosim --waves "
		 "--waves-range --format --quiet -q --skip --limit --warmup --v2p --dump-config" },
	{ "migrate", "--config --set --json --vs --vs-config --all --stats --format --quiet -q "
		     "--skip --limit --warmup --dump-config" },
	{ "diff", "--all --stats --quiet -q" },
	{ "explain", "--config --set --access --after --asid --domain --format --limit --quiet -q" },
	{ "params", "--config --set --json --dump-config --quiet -q" },
	{ "reach", "--config --set --entries --format --json --mpki --plot --quiet --sets --ways "
		   "--skip --limit --warmup -q --dump-config" },
	{ "sweep", "--config --set --batch --collect --decode --emit --format --grid --out "
		   "--point --quiet -j -o -q --skip --limit --warmup --per-task --max-array-size "
		   "--sbatch --parallel --sshloginfile" },
	{ "plot", "--facet --mpki --series --size --stat --where --x --xscale --yscale -o --out "
		  "--output --quiet -q" },
	{ "calibrate", "--config --set --accesses --clock --cpu --fit --force --json --measured "
		       "--modes --pages --plot --preset --quiet --reps --rounds --seed -q --lines "
		       "--holdout --save" },
	{ "trace info", "--format --json --quiet -q" },
	{ "trace import", "--format --desc --chunk --vcpus --level --quiet -q -o --out --output" },
	{ "trace gen", "--pattern --footprint --count --stride --base --seed --size --vcpus "
		       "--icount --write-ratio --zipf --level --chunk -o --out --output --quiet -q" },
};

const char *cli_command_options(const char *cmd)
{
	for (size_t i = 0; i < sizeof(cli_known_opts) / sizeof(cli_known_opts[0]); i++)
		if (strcmp(cmd, cli_known_opts[i].cmd) == 0)
			return cli_known_opts[i].opts;
	return NULL;
}

void cli_unknown_option(const args *a)
{
	/* The nearest of the command's options (its name before any '='),
	 * within two edits and nearer than the next: "--sett" -> "--set". */
	const char *got = a->argv[a->i];
	char name[64];
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(got, "="), got);
	const char *opts = a->cmd ? cli_command_options(a->cmd) : NULL;
	char best[32] = "";
	size_t bd = 3;
	int tie = 0;
	for (const char *o = opts; o && *o; ) {
		size_t l = strcspn(o, " ");
		char cand[32];
		snprintf(cand, sizeof(cand), "%.*s", (int)l, o);
		size_t d = param_edit_distance(name, cand);
		if (d < bd) {
			bd = d;
			tie = 0;
			snprintf(best, sizeof(best), "%s", cand);
		} else if (d == bd) {
			tie = 1;
		}
		o += l;
		o += strspn(o, " ");
	}
	if (best[0] && !tie && bd * 3 <= strlen(name))   /* (not "-x" for "-j") */
		cli_usage_error(a, "unknown option '%s' (did you mean '%s'?)", got, best);
	cli_usage_error(a, "unknown option '%s'", got);
}

uint64_t cli_parse_count(const args *a, const char *opt, const char *s, int suffix)
{
	uint64_t v;
	if (param_parse_uint(s, suffix, &v) != 0)
		cli_usage_error(a, "%s '%s': not a non-negative number (decimal or 0x hex%s)", opt,
				s, suffix ? "; suffixes K, M, G, T: powers of 1024" : "");
	return v;
}

uint64_t cli_parse_range(const args *a, const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	uint64_t n = cli_parse_count(a, opt, s, 1);
	if (n < lo || n > hi)
		cli_usage_error(a, "%s '%s': out of range %llu..%llu", opt, s, (unsigned long long)lo,
				(unsigned long long)hi);
	return n;
}

double cli_parse_float(const args *a, const char *opt, const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || s[0] == ' ' || s[0] == '\t')
		cli_usage_error(a, "%s '%s': not a number", opt, s);
	return v;
}

enum trace_format cli_parse_format(const args *a, const char *s)
{
	enum trace_format f;
	if (trace_format_parse(s, &f) != TRACE_OK)
		cli_usage_error(a, "--format '%s': unknown format (auto, slt, lackey, champsim, "
				"text, drmemtrace)", s);
	return f;
}

/* ---------------------------------------------------------------- configuration */

int cli_config_opt(args *a, config_args *c)
{
	const char *v;
	if ((v = cli_opt_value(a, "--config"))) {
		if (c->nfiles == 16)
			cli_usage_error(a, "too many --config files (16 at most)");
		c->files[c->nfiles++] = v;
		return 1;
	}
	if ((v = cli_opt_value(a, "--set"))) {
		if (c->nsets == 256)
			cli_usage_error(a, "too many --set options (256 at most)");
		c->sets[c->nsets++] = v;
		return 1;
	}
	return 0;
}

param_reg *cli_build_params(const args *a, const config_args *c)
{
	return cli_build_params_with(a, c, NULL);
}

/* The registry of defaults (and EXTRA's), then FILES, then SETS. */
static param_reg *build_from(const args *a, const char *const *files, int nfiles,
			     const char *const *sets, int nsets, int (*extra)(param_reg *p))
{
	param_reg *p = param_create();
	char err[512];
	if (!p || machine_params_register(p) != PARAM_OK || (extra && extra(p) != PARAM_OK))
		cli_die(EXIT_FAIL, "out of memory (parameter registry)");
	for (int i = 0; i < nfiles; i++) {
		if (param_load_file(p, files[i], err, sizeof(err)) != PARAM_OK)
			cli_die(EXIT_BAD, "%s", err);
		outset_add_input(a->outs, files[i]);
	}
	for (int i = 0; i < nsets; i++)
		if (param_set_assignment(p, sets[i], "--set", err, sizeof(err)) != PARAM_OK)
			cli_die(EXIT_BAD, "%s", err);
	return p;
}

param_reg *cli_build_params_with(const args *a, const config_args *c,
				 int (*extra)(param_reg *p))
{
	return build_from(a, c->files, c->nfiles, c->sets, c->nsets, extra);
}

void cli_once(const args *a, const char *opt, const char *prev, const char *v)
{
	if (prev)
		cli_usage_error(a, "%s given twice ('%s' and '%s')", opt, prev, v);
}

void cli_need_regular(const args *a, const char *trace, const char *why)
{
	struct stat st;
	if (strcmp(trace, "-") == 0)
		cli_usage_error(a, "%s reads the trace twice: it needs a file, not '-' (standard "
				"input)", why);
	/* (a directory is a drmemtrace capture: its files read again) */
	if (stat(trace, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		cli_die(EXIT_BAD, "%s: %s reads the trace twice, and this is not a regular file "
			"(a pipe, a device or a process substitution reads once); save it to a "
			"file first", trace, why);
}

void cli_dump_config(const args *a, const param_reg *p, const char *path)
{
	outfile *o = cli_output(a, path, "--dump-config", 0);
	FILE *f = outfile_stream(o);
	fprintf(f, "# slatsim %s: the effective configuration (slatsim ... --config FILE reads "
		"it back).\n# The keys a config file or --set assigned are assignments; every "
		"other key is\n# commented out with its default.\n", SLATSIM_VERSION);
	for (size_t i = 0; i < param_count(p); i++)
		fprintf(f, "%s%s = %s\n", param_is_set_at(p, i) ? "" : "# ", param_name_at(p, i),
			param_text_at(p, i));
	cli_commit(o);
}

/* The first "model name" of /proc/cpuinfo (x86; arm64 kernels give none:
 * then "CPU implementer" and "CPU part"), into B; "unknown" without it. */
static void host_cpu(char *b, size_t n)
{
	char line[256], impl[64] = "", part[64] = "";
	snprintf(b, n, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		char *v = colon + 1 + strspn(colon + 1, " \t");
		v[strcspn(v, "\n")] = '\0';
		if (!strncmp(line, "model name", 10)) {
			snprintf(b, n, "%s", v);
			fclose(f);
			return;
		}
		if (!strncmp(line, "CPU implementer", 15) && !impl[0])
			snprintf(impl, sizeof(impl), "%s", v);
		if (!strncmp(line, "CPU part", 8) && !part[0])
			snprintf(part, sizeof(part), "%s", v);
	}
	fclose(f);
	if (impl[0])
		snprintf(b, n, "CPU implementer %s, part %s", impl, part);
}

void cli_json_provenance(json_w *j, const args *a)
{
	json_begin_obj(j, "provenance");
	json_begin_arr(j, "command");
	for (int i = 0; a && i < a->cmdc; i++)
		json_str(j, NULL, a->cmdv[i]);
	json_end_arr(j);
	json_str(j, "build", SLATSIM_BUILD);
	struct utsname u;
	char cpu[256], sys[3 * sizeof(u.release)];
	json_begin_obj(j, "host");
	if (uname(&u) == 0) {
		snprintf(sys, sizeof(sys), "%s %s %s", u.sysname, u.release, u.machine);
		json_str(j, "name", u.nodename);
		json_str(j, "system", sys);
	}
	host_cpu(cpu, sizeof(cpu));
	json_str(j, "cpu", cpu);
	json_end_obj(j);
	json_end_obj(j);
}

/* ---------------------------------------------------------------- comparisons */

int cli_vs_opt(args *a, vs_args *v)
{
	const char *x;
	if ((x = cli_opt_value(a, "--vs"))) {
		if (v->nsets == (int)(sizeof(v->sets) / sizeof(v->sets[0])))
			cli_usage_error(a, "too many --vs settings (64 at most)");
		v->sets[v->nsets++] = x;
		return 1;
	}
	if ((x = cli_opt_value(a, "--vs-config"))) {
		if (v->nfiles == 16)
			cli_usage_error(a, "too many --vs-config files (16 at most)");
		v->files[v->nfiles++] = x;
		return 1;
	}
	return 0;
}

int cli_vs_given(const vs_args *v)
{
	return v->nsets > 0 || v->nfiles > 0;
}

/* The number of ':'-separated parts of S[0..L). */
static size_t vs_parts(const char *s, size_t l)
{
	size_t n = 1;
	for (size_t i = 0; i < l; i++)
		n += s[i] == ':';
	return n;
}

void cli_vs_check(const args *a, const vs_args *v)
{
	for (int i = 0; i < v->nsets; i++) {
		const char *s = v->sets[i], *eq = strchr(s, '=');
		if (!eq || eq == s)
			cli_usage_error(a, "--vs '%s': expected key=value, or keys joined by ':' with "
					"a value each ('tlb.l2.entries:tlb.l2.ways=2048:16')", s);
		size_t nk = vs_parts(s, (size_t)(eq - s));
		if (nk == 1)
			continue;
		size_t nv = vs_parts(eq + 1, strlen(eq + 1));
		if (nk != nv)
			cli_usage_error(a, "--vs '%s': %zu keys and %zu value%s (join one value per "
					"key with ':')", s, nk, nv, nv == 1 ? "" : "s");
		for (const char *k = s; k < eq;) {
			size_t l = strcspn(k, ":=");
			if (!l)
				cli_usage_error(a, "--vs '%s': an empty key", s);
			k += l + 1;
		}
	}
}

/* Apply --vs S to P: each key its value. Dies naming it. */
static void vs_apply(param_reg *p, const char *s)
{
	char err[1024], one[1024];
	const char *eq = strchr(s, '=');
	size_t nk = vs_parts(s, (size_t)(eq - s));
	if (nk == 1) {
		if (param_set_assignment(p, s, "--vs", err, sizeof(err)) != PARAM_OK)
			cli_die(EXIT_BAD, "%s", err);
		return;
	}
	const char *k = s, *val = eq + 1;
	for (size_t i = 0; i < nk; i++) {
		size_t kl = strcspn(k, ":="), vl = i + 1 < nk ? strcspn(val, ":") : strlen(val);
		snprintf(one, sizeof(one), "%.*s=%.*s", (int)kl, k, (int)vl, val);
		if (param_set_assignment(p, one, "--vs", err, sizeof(err)) != PARAM_OK)
			cli_die(EXIT_BAD, "%s", err);
		k += kl + 1;
		val += vl + (i + 1 < nk);
	}
}

param_reg *cli_build_vs_params(const args *a, const config_args *c, const vs_args *v,
			       const param_reg *pa, int (*extra)(param_reg *p))
{
	param_reg *pb;
	if (v->nfiles)
		pb = build_from(a, v->files, v->nfiles, c->sets, c->nsets, extra);
	else if (!(pb = param_clone(pa)))
		cli_die(EXIT_FAIL, "out of memory (copying the configuration for --vs)");
	for (int i = 0; i < v->nsets; i++)
		vs_apply(pb, v->sets[i]);
	return pb;
}

/* " (--config F, ...)" or nothing, into F. */
static void put_files(FILE *f, const char *opt, const char *const *files, int n)
{
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s%s ", i ? ", " : " (", opt);
		report_put_text(f, files[i]);
	}
	if (n)
		fputc(')', f);
}

void cli_vs_head(FILE *f, const char *what, const char *trace, const config_args *c,
		 const vs_args *v, const param_reg *pa, const param_reg *pb)
{
	fprintf(f, "slatsim %s  %s  trace ", SLATSIM_VERSION, what);
	report_put_text(f, trace);
	fputs("\n  A: the configuration", f);
	put_files(f, "--config", c->files, c->nfiles);
	fputs("\n  B: ", f);
	if (v->nfiles) {
		fputs("the configuration", f);
		put_files(f, "--vs-config", v->files, v->nfiles);
		if (c->nsets)
			fputs(", the same --set", f);
	} else {
		fputs("A", f);
	}
	for (int i = 0; i < v->nsets; i++) {
		fputs(i ? ", --vs " : v->nfiles ? ", then --vs " : " with --vs ", f);
		report_put_text(f, v->sets[i]);
	}
	fputc('\n', f);
	size_t na = 0, nb = 0;
	report_kv *ka = report_config_kv(pa, &na), *kb = report_config_kv(pb, &nb);
	if (!ka || !kb)
		cli_die(EXIT_FAIL, "out of memory (comparing the configurations)");
	report_config_diff(f, ka, na, kb, nb);
	free(ka);
	free(kb);
	fputc('\n', f);
}

void cli_pattern_add(const args *a, cli_patterns *ps, const char *pat)
{
	(void)a;
	if (ps->n == ps->cap) {
		size_t nc = ps->cap ? 2 * ps->cap : 8;
		const char **np = realloc(ps->pats, nc * sizeof(*np));
		if (!np)
			cli_die(EXIT_FAIL, "out of memory (patterns)");
		ps->pats = np;
		ps->cap = nc;
	}
	ps->pats[ps->n++] = pat;
}

void cli_patterns_free(cli_patterns *ps)
{
	free(ps->pats);
	*ps = (cli_patterns){ .n = 0 };
}

int cli_pattern_keep(const char *name, const void *ctx)
{
	const cli_patterns *ps = ctx;
	for (size_t i = 0; i < ps->n; i++)
		if (cli_pattern_names(ps->pats[i], name))
			return 1;
	return 0;
}

int cli_pattern_names(const char *pat, const char *name)
{
	if (strpbrk(pat, "*?["))
		return fnmatch(pat, name, 0) == 0;
	size_t l = strlen(pat);
	if (l == 0 || strncmp(pat, name, l) != 0)
		return 0;
	return name[l] == '\0' || name[l] == '.' || pat[l - 1] == '.';
}

/* ---------------------------------------------------------------- progress */

#define PROGRESS_EVERY 0.25   /* seconds between redraws */

double cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_progress_init(cli_progress *pr, int on)
{
	*pr = (cli_progress){ .on = on && isatty(2) };
	pr->t0 = pr->last = cli_now();
}

void cli_progress_show(cli_progress *pr, const char *what, double frac, double count,
		       const char *unit)
{
	if (!pr->on)
		return;
	double t = cli_now(), el = t - pr->t0;
	if (pr->shown && t - pr->last < PROGRESS_EVERY)
		return;
	pr->last = t;
	pr->shown = 1;
	double rate = el > 0 ? count / el : 0;
	char r[48];
	if (rate >= 1e6)
		snprintf(r, sizeof(r), "%.2f M %s/s", rate / 1e6, unit);
	else if (rate >= 1e4)
		snprintf(r, sizeof(r), "%.1f K %s/s", rate / 1e3, unit);
	else
		snprintf(r, sizeof(r), "%.2f %s/s", rate, unit);
	fputs("\r\033[K  ", stderr);
	report_put_text(stderr, what);
	if (frac >= 0) {
		if (frac > 1)
			frac = 1;
		fprintf(stderr, "  %5.1f%%  %s  elapsed %.1f s  ETA ", 100 * frac, r, el);
		if (frac > 0)
			fprintf(stderr, "%.1f s", el / frac - el);
		else
			fputs("-", stderr);
	} else {
		fprintf(stderr, "  %s  elapsed %.1f s", r, el);
	}
	fflush(stderr);
}

void cli_progress_clear(cli_progress *pr)
{
	if (pr->on && pr->shown)
		fputs("\r\033[K", stderr);
	pr->shown = 0;
}

/* ---------------------------------------------------------------- outputs */

void cli_check_stdout(const args *a)
{
	char err[1024];
	if (outset_check_stdout(a->outs, err, sizeof(err)))
		cli_die(EXIT_BAD, "%s", err);
}

outfile *cli_output(const args *a, const char *path, const char *what, unsigned flags)
{
	char err[1024];
	outfile *o;
	int rc = outfile_open(a->outs, &o, path, what, flags, err, sizeof(err));
	if (rc == OUTFILE_REFUSED)
		cli_die(EXIT_BAD, "%s", err);
	if (rc)
		cli_die(EXIT_FAIL, "%s", err);   /* could not be written, or out of memory */
	return o;
}

void cli_commit(outfile *o)
{
	char err[1024];
	int to_stdout = outfile_is_stdout(o);
	int e = outfile_commit(o, err, sizeof(err));
	if (e == EPIPE && to_stdout)
		exit(128 + SIGPIPE);   /* the reader went away: quietly */
	if (e)
		cli_die(EXIT_FAIL, "%s", err);
}

void cli_write_failed(const outfile *o, const char *err)
{
	if (outfile_is_stdout(o) && errno == EPIPE)
		exit(128 + SIGPIPE);   /* the reader went away: quietly */
	cli_die(EXIT_FAIL, "%s", err);
}

void cli_flush_stdout(void)
{
	int e = outfile_stream_errno(stdout);
	if (!e)
		return;
	if (e == EPIPE)
		exit(128 + SIGPIPE);   /* SIGPIPE's status, quietly, as git does */
	cli_die(EXIT_FAIL, "standard output: write error: %s", strerror(e));
}

/* ---------------------------------------------------------------- main */

int cli_main(int argc, char **argv, int (*dispatch)(int argc, char **argv, outset *outs))
{
	char err[256];
	outset *outs;
	if (outset_create(&outs, err, sizeof(err)) != 0)
		cli_die(EXIT_FAIL, "%s", err);
	int status = dispatch(argc, argv, outs);
	outset_destroy(outs);
	/* Output lost is never success: the last flush and close are checked. */
	int e = outfile_close_stdout(err, sizeof(err));
	if (e == EPIPE)
		return 128 + SIGPIPE;   /* the reader went away: quietly, as git does */
	if (e) {
		fprintf(stderr, "slatsim: %s\n", err);
		if (status == 0)
			status = EXIT_FAIL;
	}
	return status;
}
