/*
 * sim/cli/calibrate.c - `slatsim calibrate`: the model held against the host
 * (issue 18). The command line of the calibration engine (sim/study/calibrate.h,
 * which measures, models, finds the knees and fits; issue 22 moved it out
 * of here): this file parses the options, finds chase beside this binary,
 * calls the engine's verbs in order, prints the report (on standard output,
 * or standard error when an output is standard output) and writes the
 * outputs (--json, --plot, the preset) through lib/outfile. An engine error
 * is printed as it comes, with the exit status of its code (cli.h).
 *
 * Order of the checks (each kind of error before the next): usage; the
 * configuration (--config/--set, then the machine's refusal of it with each
 * curve's guest page); a saved measurement (--measured: bad input is exit 2
 * whatever else is missing); chase; the outputs (every one checked and its
 * temporary made before minutes of measuring); then the measurement.
 */
#include "calibrate.h"
#include "cli.h"
#include "json.h"
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const calibrate_usage =
	"usage: slatsim calibrate [--config FILE]... [--set key=value]...\n"
	"                         [--modes 4k,2m,packed,s8,s512] [--pages N,N,...]\n"
	"                         [--lines N,N,...] [--reps R] [--rounds K]\n"
	"                         [--accesses A] [--cpu C] [--seed S] [--clock cpu|wall]\n"
	"                         [--measured FILE | --save FILE] [--json FILE]\n"
	"                         [--plot FILE.png|.svg]\n"
	"                         [--fit [--preset FILE] [--force] [--holdout CURVE|none]]\n"
	"                         [-q]\n"
	"\n"
	"Hold the model against this host. Runs the pointer chase build/chase (next to\n"
	"slatsim; 'make build/chase' builds it): one dependent load per 4 KB page over\n"
	"N pages in one random cycle, with 4 KB and with 2 MB (THP) guest pages (4k,\n"
	"2m), with 4 KB pages 8 and 512 apart (s8: each leaf descriptor in a line of\n"
	"its own; s512: each page alone in its 2 MB region, so upper walk caches miss),\n"
	"and the packed-lines control (N consecutive 64-byte lines); N from 8 to 65536,\n"
	"4 points per octave (--pages; packed: --lines, default 8 to 8388608 = 512 MB,\n"
	"past the LLC: memory), pinned to one CPU (--cpu), R runs per point (--reps,\n"
	"default 7; the median), the sweep K times (--rounds, default 1; the median of\n"
	"the medians), timed with the thread's CPU time (--clock cpu; wall: the wall\n"
	"clock, which counts the time other work held the CPU). Then replays the\n"
	"identical access pattern (chase --trace) through the model with the\n"
	"configuration (--config/--set as in run; guest.page is set per curve; two\n"
	"laps warm it up, two are counted), its guest placing each curve's pages at\n"
	"the frames the host gave them (chase --frames, round 1: /proc/self/pagemap,\n"
	"as root; a guest's frames are guest-physical, and where they lie decides\n"
	"the host's walk; a table without them: the model's allocator, pages in the\n"
	"order first touched) and prints, per N,\n"
	"measured ns per access against modelled - the L1D latency plus the cycles the\n"
	"model charges beyond an L1 hit, at core.freq_ghz (unless set: /proc/cpuinfo\n"
	"'cpu MHz') - the relative error, and the knees of each curve: where the cost\n"
	"rises above 1.5x its plateau for two points in a row.\n"
	"cache.model defaults to on here: with it off every descriptor read costs\n"
	"mem.pte_latency and data costs nothing beyond L1, and the curves are not\n"
	"comparable (--set cache.model=off to see that).\n"
	"\n"
	"--measured FILE takes the measurement from a saved chase table (build/chase >\n"
	"FILE, or what --save FILE wrote: every round's table, one after another, whose\n"
	"median of the medians it takes again) instead of running it. --json FILE writes {\"slatsim\", \"config\",\n"
	"\"points\": [{\"guest_page\", \"pages\", \"measured_ns\", \"model_ns\", ...}],\n"
	"\"knees\": {\"measured\": [...], \"model\": [...]} (the 4k curve's), ...,\n"
	"\"provenance\": {\"command\", \"build\", \"host\"}} (what ran it).\n"
	"--plot FILE draws the curves with gnuplot (PNG or SVG by the name).\n"
	"--fit fits the model to the host on two thirds of the points (every third\n"
	"point of each curve, and the whole s8 curve - 2m in a table without s8 -\n"
	"are held out: --holdout CURVE or none): the TLB sizes from the 4k knees, the L2 TLB's sets and ways from\n"
	"the s8 and s512 knees, the cache geometry from sysfs held against the packed\n"
	"control's steps, then host.page, the LLC's size and index (linear or xor),\n"
	"the L2 TLB's policy and the nested TLB's\n"
	"and walk caches' sizes by the error each leaves, and the latencies (L1D, L2\n"
	"TLB, L2, LLC, memory, nested TLB, and what a walk and each host walk cost\n"
	"beyond their lookups and reads: walk.fixed, walk.s2_fixed) jointly; it\n"
	"prints the error on the points fitted\n"
	"on and on the held-out ones, and writes a preset (--preset FILE; default\n"
	"host-<cpu>.conf in the current directory) that says where each value came\n"
	"from. An existing preset is not replaced without --force.\n"
	"A progress line (rounds, points, time left; then the model's steps) goes\n"
	"to stderr when it is a terminal; -q/--quiet prints nothing but errors (the\n"
	"outputs as asked).\n"
	"Outputs are written to a temporary file and renamed into place when complete.\n";

/* What the command line adds to the engine's configuration. */
typedef struct cal_opts {
	calibrate_config cfg;
	config_args conf;
	const char *json, *plot, *preset, *holdout, *save;
	int fit, force, quiet;
	char chase[PATH_MAX];
	char preset_path[PATH_MAX];
} cal_opts;

#define CAL_ERR 4096   /* an engine message: as much as cli_die prints */

/* ---------------------------------------------------------------- options */

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return (x > y) - (x < y);
}

static int on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t l = strcspn(path, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)l, path, prog);
		if (l && access(buf, X_OK) == 0)
			return 1;
		path += l + (path[l] == ':');
	}
	return 0;
}

static void parse_modes(const args *a, calibrate_config *g, const char *v)
{
	char s[64];
	if (strlen(v) >= sizeof(s))
		cli_usage_error(a, "--modes '%s': a list of 4k, 2m, packed, s8, s512", v);
	snprintf(s, sizeof(s), "%s", v);
	memset(g->want, 0, sizeof(g->want));
	char *save = NULL;
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int m;
		for (m = 0; m < CALIBRATE_MODES && strcmp(t, calibrate_mode_name(m)); m++)
			;
		if (m == CALIBRATE_MODES)
			cli_usage_error(a, "--modes: '%s' is not 4k, 2m, packed, s8 or s512", t);
		g->want[m] = 1;
	}
	int any = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++)
		any |= g->want[m];
	if (!any)
		cli_usage_error(a, "--modes '%s': a list of 4k, 2m, packed, s8, s512", v);
}

/* A comma-separated list of counts from 2 to MAX (OPT: its option) into
 * OUT, sorted, each once; *N of them. */
static void parse_counts(const args *a, const char *opt, const char *v, unsigned max,
			 unsigned *out, size_t *n)
{
	const char *p = v;
	*n = 0;
	while (*p) {
		char item[32];
		size_t l = strcspn(p, ",");
		if (l == 0 || l >= sizeof(item))
			cli_usage_error(a, "%s '%s': a comma-separated list of counts from 2 to %u",
					opt, v, max);
		memcpy(item, p, l);
		item[l] = '\0';
		uint64_t x;
		if (param_parse_uint(item, 0, &x) != 0 || x < 2 || x > max)
			cli_usage_error(a, "%s: '%s' is not a count from 2 to %u", opt, item, max);
		if (*n == CALIBRATE_MAX_POINTS)
			cli_usage_error(a, "%s: at most %d points", opt, CALIBRATE_MAX_POINTS);
		out[(*n)++] = (unsigned)x;
		p += l + (p[l] == ',');
		if (p[-1] == ',' && !*p)
			cli_usage_error(a, "%s '%s': a comma-separated list of counts from 2 to %u",
					opt, v, max);
	}
	qsort(out, *n, sizeof(out[0]), cmp_unsigned);
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if (!k || out[i] != out[k - 1])
			out[k++] = out[i];
	*n = k;
}

static uint64_t count_in(const args *a, const char *opt, const char *v, uint64_t lo, uint64_t hi)
{
	uint64_t n = cli_parse_count(a, opt, v, 0);
	if (n < lo || n > hi)
		cli_usage_error(a, "%s '%s': not from %llu to %llu", opt, v, (unsigned long long)lo,
				(unsigned long long)hi);
	return n;
}

/* The options into O; returns 1 when --help was given (the usage printed). */
static int parse_options(args *a, cal_opts *o)
{
	calibrate_config *g = &o->cfg;
	int seen_points = 0, seen_seed = 0;
	const char *v;
	while (a->i < a->argc) {
		if (cli_is_help(a->argv[a->i])) {
			fputs(calibrate_usage, stdout);
			return 1;
		}
		if (cli_config_opt(a, &o->conf))
			continue;
		if ((v = cli_opt_value(a, "--modes"))) { parse_modes(a, g, v); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--pages"))) { parse_counts(a, "--pages", v, CALIBRATE_MAX_PAGES, g->pages, &g->npages); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--lines"))) { parse_counts(a, "--lines", v, CALIBRATE_MAX_LINES, g->lines, &g->nlines); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--reps"))) { g->reps = (unsigned)count_in(a, "--reps", v, 1, 101); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--rounds"))) { g->rounds = (unsigned)count_in(a, "--rounds", v, 1, 100); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--accesses"))) { g->accesses = count_in(a, "--accesses", v, 1, UINT64_C(1) << 40); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--cpu"))) { g->cpu = (int)count_in(a, "--cpu", v, 0, 1023); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--seed"))) { g->seed = cli_parse_count(a, "--seed", v, 0); seen_seed = 1; continue; }
		if ((v = cli_opt_value(a, "--clock"))) {
			if (strcmp(v, "cpu") && strcmp(v, "wall"))
				cli_usage_error(a, "--clock '%s': cpu (the thread's CPU time) or wall", v);
			g->clock = v;
			seen_points = 1;
			continue;
		}
		if ((v = cli_opt_value(a, "--measured"))) { g->measured = v; continue; }
		if ((v = cli_opt_value(a, "--json"))) { o->json = v; continue; }
		if ((v = cli_opt_value(a, "--plot"))) { o->plot = v; continue; }
		if ((v = cli_opt_value(a, "--preset"))) { o->preset = v; continue; }
		if ((v = cli_opt_value(a, "--holdout"))) { o->holdout = v; continue; }
		if ((v = cli_opt_value(a, "--save"))) { o->save = v; continue; }
		if (cli_opt_flag(a, "--fit")) { o->fit = 1; continue; }
		if (cli_opt_flag(a, "--force")) { o->force = 1; continue; }
		if (cli_quiet_opt(a)) { o->quiet = 1; continue; }
		if (a->argv[a->i][0] == '-')
			cli_unknown_option(a);
		cli_usage_error(a, "calibrate takes no operand ('%s')", a->argv[a->i]);
	}
	if (g->measured && seen_points)
		cli_usage_error(a, "--measured takes the points from its file: --modes, --pages, "
				"--lines, --reps, --rounds, --accesses, --cpu and --clock do not apply");
	if (g->measured && seen_seed)
		cli_usage_error(a, "--measured takes the seed from its file's header: --seed does "
				"not apply");
	if (g->measured && o->save)
		cli_usage_error(a, "--save writes what chase measures: with --measured there is "
				"nothing new to save");
	if (o->preset && !o->fit)
		cli_usage_error(a, "--preset names the file --fit writes: give --fit");
	if (o->force && !o->fit)
		cli_usage_error(a, "--force lets --fit replace an existing preset: give --fit");
	if (o->holdout && !o->fit)
		cli_usage_error(a, "--holdout names the curve --fit holds out: give --fit");
	if (o->holdout) {
		int m;
		for (m = 0; m < CALIBRATE_MODES && strcmp(o->holdout, calibrate_mode_name(m)); m++)
			;
		if (m == CALIBRATE_PACKED || m == CALIBRATE_4K)
			cli_usage_error(a, "--holdout %s: the fit needs the 4k curve and the packed "
					"control; hold out 2m, s8, s512 or none", o->holdout);
		if (m == CALIBRATE_MODES && strcmp(o->holdout, "none"))
			cli_usage_error(a, "--holdout '%s': 2m, s8, s512 or none", o->holdout);
		g->holdout = m == CALIBRATE_MODES ? CALIBRATE_HOLDOUT_NONE : m;
	}
	if (o->fit && g->holdout >= 0 && !g->measured && !g->want[g->holdout])
		cli_usage_error(a, "--holdout %s: --modes must include it", o->holdout);
	if (o->fit && (!g->want[CALIBRATE_4K] || !g->want[CALIBRATE_PACKED]))
		cli_usage_error(a, "--fit needs the 4k curve and the packed control (its knees tell "
				"the caches' steps from the TLBs'): --modes must include 4k and packed");
	if (o->plot) {
		size_t l = strlen(o->plot);
		if (l < 5 || (strcasecmp(o->plot + l - 4, ".png") && strcasecmp(o->plot + l - 4, ".svg")))
			cli_usage_error(a, "--plot '%s': the name must end in .png or .svg (the format)",
					o->plot);
		if (!on_path("gnuplot"))
			cli_die(EXIT_BAD, "--plot needs gnuplot, which is not on PATH (Debian: apt-get "
				"install gnuplot-nox)");
	}
	return 0;
}

/* build/chase: next to this binary, into O->chase. Dies with how to build it. */
static void find_chase(cal_opts *o)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		cli_die(EXIT_FAIL, "calibrate: cannot find this binary (/proc/self/exe: %s), and "
			"chase is looked for beside it", strerror(errno));
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	*slash = '\0';
	if ((size_t)snprintf(o->chase, sizeof(o->chase), "%s/chase", self) >= sizeof(o->chase))
		cli_die(EXIT_FAIL, "calibrate: the path of this binary is too long (%s)", self);
	if (access(o->chase, X_OK) == 0)
		return;
	int e = errno;
	/* Installed (make install): PREFIX/bin/slatsim, PREFIX/libexec/slatsim/chase. */
	char inst[PATH_MAX];
	if ((size_t)snprintf(inst, sizeof(inst), "%s/../libexec/slatsim/chase", self) <
	    sizeof(inst) && access(inst, X_OK) == 0) {
		snprintf(o->chase, sizeof(o->chase), "%s", inst);
		return;
	}
	cli_die(EXIT_FAIL, "calibrate: the host benchmark %s is missing (%s): build it with "
		"'make build/chase'", o->chase, strerror(e));
}

/* The engine's progress while chase measures: the progress line (CTX),
 * with the points of every round and the time left. */
/* The progress lines: the measurement's, then each step of the model's
 * (its own rate and time left, begun anew when WHAT changes). */
typedef struct cal_progress {
	cli_progress measure, steps;
	char steps_what[64];
} cal_progress;

static void progress_line(void *ctx, unsigned round, unsigned rounds, size_t rows, size_t total,
			  int done)
{
	cli_progress *pr = &((cal_progress *)ctx)->measure;
	if (done) {
		cli_progress_clear(pr);
		return;
	}
	char what[96];
	snprintf(what, sizeof(what), "calibrate: measuring, round %u of %u: %zu of %zu points",
		 round + 1, rounds, rows, total);
	double all = (double)rounds * (double)total, got = (double)round * (double)total + (double)rows;
	cli_progress_show(pr, what, all > 0 ? got / all : -1, got, "points");
}

/* The engine's progress while the model replays: one line on stderr. */
static void step_line(void *ctx, const char *what, size_t done, size_t total)
{
	cal_progress *cp = ctx;
	if (!total) {
		cli_progress_clear(&cp->steps);
		cp->steps_what[0] = '\0';
		return;
	}
	if (strcmp(cp->steps_what, what) != 0) {
		cli_progress_clear(&cp->steps);
		cli_progress_init(&cp->steps, 1);
		snprintf(cp->steps_what, sizeof(cp->steps_what), "%s", what);
	}
	char line[128];
	snprintf(line, sizeof(line), "calibrate: %s%s, %zu of %zu", strcmp(what, "modelling") ?
		 "fitting " : "", what, done + 1, total);
	cli_progress_show(&cp->steps, line, (double)done / (double)total, (double)done, "steps");
}

/* ---------------------------------------------------------------- the report */

static void print_head(FILE *t, const calibrate *c, const cal_opts *o)
{
	const calibrate_host *h = calibrate_host_of(c);
	const char *measured = o->cfg.measured, *src;
	double ghz = calibrate_ghz(c, &src);
	fprintf(t, "slatsim calibrate: \"%s\"", h->cpu);
	if (!measured && h->family >= 0)
		fprintf(t, " (family %d, model %d), %d CPUs%s", h->family, h->model, h->cpus,
			h->under_hypervisor ? ", under a hypervisor" : "");
	fprintf(t, "\n  measured: %s, %s, %u runs per point (median)", measured ? measured :
		o->chase, h->pinning, h->reps);
	if (h->rounds > 1)
		fprintf(t, ", %u rounds (median of the medians)", h->rounds);
	fprintf(t, ", seed %" PRIu64 "\n", h->seed);
	if (h->timer[0])
		fprintf(t, "    clock: %s\n", h->timer);
	int placed = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		if (h->arena[m][0])
			fprintf(t, "    %s arena: %s\n", calibrate_mode_name(m), h->arena[m]);
		unsigned fp = calibrate_frames_page(c, m);
		if (h->frames[m][0])
			fprintf(t, "    %s frames: %s%s%s\n", calibrate_mode_name(m), h->frames[m],
				fp ? "; the model's guest places them there, in " :
				"; the model's allocator places its pages",
				!fp ? "" : fp == 4096 ? "4 KB pages" : "2 MB pages");
		placed |= fp != 0;
	}
	if (!placed)
		fprintf(t, "    frames: not known (chase --frames, as root, reads them from "
			"/proc/self/pagemap%s): the model's guest places pages in the order it "
			"first touches them, each curve's in a few 2 MB regions\n",
			h->frames_later ? "; a later round has them, and only the first round's "
			"are used" : "");
	fprintf(t, "  modelled: the configuration with cache.model=%s%s; guest.page per curve "
		"(4k, s8, s512 4k; 2m and packed 2m); %d laps warm up, %d counted (past %u "
		"elements 1 lap, and at most %u accesses)\n",
		param_text(calibrate_params(c), "cache.model"), calibrate_cache_default(c) ?
		" (calibrate's default: with it off, walks cost mem.pte_latency per read and data "
		"nothing beyond L1, and the curves are not comparable)" : "", CALIBRATE_WARM_LAPS,
		CALIBRATE_LAPS - CALIBRATE_WARM_LAPS, CALIBRATE_BIG, CALIBRATE_COUNTED);
	fprintf(t, "  time: model cycles at %.3f GHz: %s\n", ghz, src);
	if (!measured) {
		fprintf(t, "  not measured: %s; %s", h->counters, h->clock);
		if (h->under_hypervisor)
			fputs("; running under a hypervisor: the host's page size and walk are not "
			      "visible (the 2m curve shows them)", t);
		fputc('\n', t);
	}
	if (h->load_known) {
		fprintf(t, "  load average (1 minute) %.2f before, %.2f after", h->load[0], h->load[1]);
		if (measured)
			fputs(" (the table's: what its chase saw)", t);
		else
			fprintf(t, ", on %d CPUs%s", h->cpus, h->load[0] + h->load[1] > 0.5 * h->cpus ?
				": other work shared the machine (medians; see min..max)" : "");
		if (h->rounds > 1) {
			fputs("; per round", t);
			for (unsigned r = 0; r < h->rounds && r < 100; r++)
				fprintf(t, "%s %.2f-%.2f", r ? "," : "", h->loads[r][0], h->loads[r][1]);
		}
		fputc('\n', t);
	}
}

static void print_table(FILE *t, const calibrate *c, int fitted)
{
	fprintf(t, "\n  %-6s %7s  %9s %21s  %9s %8s  %9s %11s%s\n", "curve", "pages", "measured",
		"(min..max) ns", "model ns", "error", "walks/acc", "cycles/walk",
		fitted ? "  fitted ns   error  (h: held out)" : "");
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		const calibrate_curve *cv = calibrate_curve_of(c, m);
		if (!cv->present)
			continue;
		if (m == CALIBRATE_PACKED)
			fprintf(t, "  control: packed, N consecutive 64-byte lines (no TLB effect within "
				"a page)\n");
		if (m == CALIBRATE_S8)
			fprintf(t, "  walk-heavy: 4 KB pages 8 apart (s8) and 512 apart (s512)\n");
		for (size_t i = 0; i < cv->n; i++) {
			char mm[40];
			snprintf(mm, sizeof(mm), "(%.2f..%.2f)", cv->mmin[i], cv->mmax[i]);
			fprintf(t, "  %-6s %7u  %9.2f %21s  %9.2f %+7.1f%%  %9.2f %11.1f",
				calibrate_mode_name(m), cv->pages[i], cv->meas[i], mm, cv->model[i],
				100 * (cv->model[i] - cv->meas[i]) / cv->meas[i], cv->walks[i],
				cv->walk_cycles[i]);
			if (fitted)
				fprintf(t, "  %9.2f %+6.1f%%%s", cv->fitted[i],
					100 * (cv->fitted[i] - cv->meas[i]) / cv->meas[i],
					cv->holdout[i] ? " h" : "");
			fputc('\n', t);
		}
	}
}

static void print_pages(FILE *t, const calibrate_curve *cv, const calibrate_knee_set *k)
{
	if (!k->n)
		fputs(" none", t);
	for (size_t i = 0; i < k->n; i++)
		fprintf(t, " %u", cv->pages[k->at[i]]);
}

static void print_knees(FILE *t, const calibrate *c)
{
	fprintf(t, "\n  knees (the cost rises above %.1fx its plateau, two points in a row), "
		"first point above:\n", CALIB_KNEE_FACTOR);
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		const calibrate_curve *cv = calibrate_curve_of(c, m);
		if (!cv->present)
			continue;
		fprintf(t, "    %-6s measured", calibrate_mode_name(m));
		print_pages(t, cv, calibrate_knees_of(c, m, 0));
		fputs("   model", t);
		print_pages(t, cv, calibrate_knees_of(c, m, 1));
		fputc('\n', t);
	}
	fputs("  plateaus of the measured curves (pages: lower-median ns):\n", t);
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		const calibrate_curve *cv = calibrate_curve_of(c, m);
		const calibrate_knee_set *k = calibrate_knees_of(c, m, 0);
		if (!cv->present)
			continue;
		fprintf(t, "    %-6s", calibrate_mode_name(m));
		for (size_t i = 0; i < k->npl; i++)
			fprintf(t, "%s %u-%u: %.2f", i ? "," : "", cv->pages[k->pl[i].first],
				cv->pages[k->pl[i].last], k->pl[i].level);
		fputc('\n', t);
	}
}

static void print_errors(FILE *t, const calibrate *c)
{
	fputs("  relative error (model - measured) / measured, median of |error|:", t);
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		const calibrate_curve *cv = calibrate_curve_of(c, m);
		if (cv->present)
			fprintf(t, " %s %.1f%%", calibrate_mode_name(m),
				100 * calibrate_median_error(cv, cv->model));
	}
	fputc('\n', t);
}

/* " 12.3% (n)", or " -" where there are no points. */
static void print_err(FILE *t, double e, size_t n)
{
	if (n)
		fprintf(t, " %6.1f%% (%2zu)", 100 * e, n);
	else
		fprintf(t, " %6s %4s", "-", "");
}

static void print_fit(FILE *t, const calibrate *c, const char *preset)
{
	const calibrate_fit_result *f = calibrate_fit_of(c);
	fprintf(t, "\n  --fit: %s\n", preset);
	for (size_t i = 0; i < f->n; i++)
		fprintf(t, "    %-22s %6s  %s\n", f->v[i].key, f->v[i].value, f->v[i].why);
	for (size_t i = 0; i < f->nnotes; i++)
		fprintf(t, "    not fitted: %s\n", f->notes[i]);
	for (size_t i = 0; i < f->nfindings; i++)
		fprintf(t, "    the model lacks: %s\n", f->findings[i]);
	fprintf(t, "  fitted on %s; held out: every %d%s point (i %% %d == 1) of the others%s%s\n",
		f->holdout >= 0 ? "the curves but one" : "every curve", CALIBRATE_HOLDOUT_EVERY,
		CALIBRATE_HOLDOUT_EVERY == 3 ? "rd" : "th", CALIBRATE_HOLDOUT_EVERY,
		f->holdout >= 0 ? ", and the whole curve " : "",
		f->holdout >= 0 ? calibrate_mode_name(f->holdout) : "");
	fprintf(t, "  median |error| of the fitted preset (points), past the L2 TLB's reach "
		"(%u pages; packed: %u lines):\n", f->l2_entries, f->l2_entries * 64);
	fprintf(t, "    %-7s %14s %14s %14s %14s   %s\n", "curve", "fitted on", "held out",
		"fitted, past", "held, past", "model as configured");
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		const calibrate_curve *cv = calibrate_curve_of(c, m);
		const calibrate_curve_error *e = &f->curve[m];
		if (!cv->present)
			continue;
		fprintf(t, "    %-7s", calibrate_mode_name(m));
		print_err(t, e->train, e->ntrain);
		print_err(t, e->holdout, e->nholdout);
		print_err(t, e->train_past, e->ntrain_past);
		print_err(t, e->holdout_past, e->nholdout_past);
		fprintf(t, "   %.1f%%%s\n", 100 * calibrate_median_error(cv, cv->model),
			m == f->holdout ? "  (the held-out pattern)" : "");
	}
	fprintf(t, "  train_error %.1f%%, holdout_error %.1f%% (held-out points %.1f%%",
		100 * f->train_error, 100 * f->holdout_error, 100 * f->holdout_points_error);
	if (f->holdout >= 0)
		fprintf(t, ", held-out pattern %s %.1f%%", calibrate_mode_name(f->holdout),
			100 * f->holdout_pattern_error);
	fprintf(t, "); %zu structures replayed\n", f->candidates);
	/* the targets, over every point of a curve (fitted on and held out) */
	fprintf(t, "  targets: median |error| <= %.0f%% over a curve's points, <= %.0f%% past the "
		"L2 TLB's reach:", 100 * CALIBRATE_TARGET, 100 * CALIBRATE_TARGET_PAST);
	int met = 0, curves = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		const calibrate_curve_error *e = &f->curve[m];
		if (!calibrate_curve_of(c, m)->present)
			continue;
		curves++;
		met += e->met;
		fprintf(t, "%s %s %.1f%%", curves > 1 ? "," : "", calibrate_mode_name(m), 100 * e->all);
		if (e->nall_past)
			fprintf(t, " (past %.1f%%)", 100 * e->all_past);
		fprintf(t, " %s", e->met ? "met" : "missed");
	}
	fprintf(t, "; %d of %d curves\n", met, curves);
}

/* ---------------------------------------------------------------- JSON */

static void json_knees(json_w *j, const char *key, const calibrate_curve *cv,
		       const calibrate_knee_set *k)
{
	json_begin_arr(j, key);
	for (size_t i = 0; i < k->n; i++)
		json_u64(j, NULL, cv->pages[k->at[i]]);
	json_end_arr(j);
}

/* The measured and modelled columns of point I of CV. */
static void json_columns(json_w *j, const calibrate_curve *cv, size_t i)
{
	json_dbl(j, "measured_ns", cv->meas[i]);
	json_dbl(j, "model_ns", cv->model[i]);
	json_dbl(j, "measured_min_ns", cv->mmin[i]);
	json_dbl(j, "measured_max_ns", cv->mmax[i]);
}

static void json_points(json_w *j, const calibrate *c, int fitted)
{
	/* The page curves (the packed control is "controls"): 4k, 2m, then the
	 * walk-heavy s8 and s512, which are 4 KB guest pages STRIDE_PAGES apart. */
	static const int page_curves[] = { CALIBRATE_4K, CALIBRATE_2M, CALIBRATE_S8,
					    CALIBRATE_S512 };
	json_begin_arr(j, "points");
	for (size_t k = 0; k < sizeof(page_curves) / sizeof(page_curves[0]); k++) {
		int m = page_curves[k];
		const calibrate_curve *cv = calibrate_curve_of(c, m);
		for (size_t i = 0; i < cv->n; i++) {
			json_begin_obj(j, NULL);
			json_str(j, "curve", calibrate_mode_name(m));
			json_str(j, "guest_page", calibrate_mode_guest_page(m));
			json_u64(j, "stride_pages", calibrate_mode_stride(m));
			json_u64(j, "pages", cv->pages[i]);
			json_columns(j, cv, i);
			json_dbl(j, "rel_error", (cv->model[i] - cv->meas[i]) / cv->meas[i]);
			json_dbl(j, "model_walks_per_access", cv->walks[i]);
			json_dbl(j, "model_cycles_per_walk", cv->walk_cycles[i]);
			json_i64(j, "thp_kb", cv->thp_kb[i]);
			if (fitted) {
				json_dbl(j, "fitted_ns", cv->fitted[i]);
				json_bool(j, "holdout", cv->holdout[i]);
			}
			json_end_obj(j);
		}
	}
	json_end_arr(j);
	const calibrate_curve *c4 = calibrate_curve_of(c, CALIBRATE_4K);
	json_begin_obj(j, "knees");
	json_knees(j, "measured", c4, calibrate_knees_of(c, CALIBRATE_4K, 0));
	json_knees(j, "model", c4, calibrate_knees_of(c, CALIBRATE_4K, 1));
	json_str(j, "curve", "4k");
	json_dbl(j, "factor", CALIB_KNEE_FACTOR);
	json_end_obj(j);
	const calibrate_curve *cp = calibrate_curve_of(c, CALIBRATE_PACKED);
	json_begin_arr(j, "controls");
	for (size_t i = 0; i < cp->n; i++) {
		json_begin_obj(j, NULL);
		json_str(j, "layout", "packed");
		json_u64(j, "lines", cp->pages[i]);
		json_columns(j, cp, i);
		if (fitted) {
			json_dbl(j, "fitted_ns", cp->fitted[i]);
			json_bool(j, "holdout", cp->holdout[i]);
		}
		json_end_obj(j);
	}
	json_end_arr(j);
	json_begin_obj(j, "knees_by_curve");
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		const calibrate_curve *cv = calibrate_curve_of(c, m);
		if (!cv->present)
			continue;
		json_begin_obj(j, calibrate_mode_name(m));
		json_knees(j, "measured", cv, calibrate_knees_of(c, m, 0));
		json_knees(j, "model", cv, calibrate_knees_of(c, m, 1));
		json_end_obj(j);
	}
	json_end_obj(j);
}

static void json_host(json_w *j, const calibrate *c, const cal_opts *o)
{
	const calibrate_host *h = calibrate_host_of(c);
	const char *src;
	double ghz = calibrate_ghz(c, &src);
	json_begin_obj(j, "host");
	json_str(j, "cpu_model", h->cpu);
	json_str(j, "pinning", h->pinning);
	json_str(j, "clock", h->timer);
	json_u64(j, "reps", h->reps);
	json_u64(j, "rounds", h->rounds);
	json_u64(j, "seed", h->seed);
	json_dbl(j, "core_freq_ghz", ghz);
	json_str(j, "core_freq_source", src);
	json_str(j, "measured_from", o->cfg.measured ? o->cfg.measured : "build/chase");
	if (h->load_known) {
		json_dbl(j, "loadavg_before", h->load[0]);
		json_dbl(j, "loadavg_after", h->load[1]);
		json_begin_arr(j, "loadavg_rounds");
		for (unsigned r = 0; r < h->rounds && r < 100; r++) {
			json_begin_arr(j, NULL);
			json_dbl(j, NULL, h->loads[r][0]);
			json_dbl(j, NULL, h->loads[r][1]);
			json_end_arr(j);
		}
		json_end_arr(j);
	}
	json_begin_arr(j, "not_measured");
	json_str(j, NULL, h->counters);
	json_str(j, NULL, h->clock);
	if (h->under_hypervisor)
		json_str(j, NULL, "running under a hypervisor: the host's page size and walk are "
			 "not visible (inferred from the 2m curve)");
	json_end_arr(j);
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		char k[32];
		if (h->arena[m][0]) {
			snprintf(k, sizeof(k), "arena_%s", calibrate_mode_name(m));
			json_str(j, k, h->arena[m]);
		}
		if (h->frames[m][0]) {
			snprintf(k, sizeof(k), "frames_%s", calibrate_mode_name(m));
			json_str(j, k, h->frames[m]);
		}
		/* the page the model placed them with: 4096, 2097152, or 0 (its allocator) */
		snprintf(k, sizeof(k), "frames_page_%s", calibrate_mode_name(m));
		json_u64(j, k, calibrate_frames_page(c, m));
	}
	json_end_obj(j);
}

/* KEY: the median error E over N points, or null where there are none. */
static void json_err(json_w *j, const char *key, double e, size_t n)
{
	if (n)
		json_dbl(j, key, e);
	else
		json_raw(j, key, "null");
}

static void write_json(FILE *jf, const calibrate *c, const cal_opts *o, const args *a)
{
	const calibrate_fit_result *f = calibrate_fit_of(c);
	json_w j;
	json_init(&j, jf, 1);
	json_begin_obj(&j, NULL);
	json_str(&j, "slatsim", SLATSIM_VERSION);
	report_json_config(&j, calibrate_params(c));
	json_points(&j, c, f != NULL);
	json_host(&j, c, o);
	if (f) {
		json_begin_obj(&j, "fit");
		json_str(&j, "preset", o->preset);
		json_begin_obj(&j, "values");
		for (size_t i = 0; i < f->n; i++)
			json_str(&j, f->v[i].key, f->v[i].value);
		json_end_obj(&j);
		json_begin_obj(&j, "why");
		for (size_t i = 0; i < f->n; i++)
			json_str(&j, f->v[i].key, f->v[i].why);
		json_end_obj(&j);
		json_begin_arr(&j, "not_fitted");
		for (size_t i = 0; i < f->nnotes; i++)
			json_str(&j, NULL, f->notes[i]);
		json_end_arr(&j);
		json_begin_arr(&j, "model_lacks");
		for (size_t i = 0; i < f->nfindings; i++)
			json_str(&j, NULL, f->findings[i]);
		json_end_arr(&j);
		json_dbl(&j, "walk_fixed_cycles", f->walk_fixed);
		json_dbl(&j, "s2_walk_fixed_cycles", f->s2_walk_fixed);
		json_dbl(&j, "train_error", f->train_error);
		json_dbl(&j, "holdout_error", f->holdout_error);
		json_begin_obj(&j, "holdout");
		json_str(&j, "pattern", f->holdout >= 0 ? calibrate_mode_name(f->holdout) : "none");
		json_u64(&j, "every", CALIBRATE_HOLDOUT_EVERY);
		json_dbl(&j, "points_error", f->holdout_points_error);
		if (f->holdout >= 0)
			json_dbl(&j, "pattern_error", f->holdout_pattern_error);
		json_end_obj(&j);
		json_u64(&j, "l2_tlb_reach_pages", f->l2_entries);
		json_begin_obj(&j, "targets");
		json_dbl(&j, "curve", CALIBRATE_TARGET);
		json_dbl(&j, "past_l2_tlb", CALIBRATE_TARGET_PAST);
		json_end_obj(&j);
		json_begin_obj(&j, "errors");
		for (int m = 0; m < CALIBRATE_MODES; m++) {
			const calibrate_curve_error *e = &f->curve[m];
			if (!calibrate_curve_of(c, m)->present)
				continue;
			json_begin_obj(&j, calibrate_mode_name(m));
			json_err(&j, "train", e->train, e->ntrain);
			json_err(&j, "holdout", e->holdout, e->nholdout);
			json_err(&j, "train_past_l2_tlb", e->train_past, e->ntrain_past);
			json_err(&j, "holdout_past_l2_tlb", e->holdout_past, e->nholdout_past);
			json_err(&j, "all", e->all, e->nall);
			json_err(&j, "all_past_l2_tlb", e->all_past, e->nall_past);
			json_bool(&j, "target_met", e->met);
			json_end_obj(&j);
		}
		json_end_obj(&j);
		json_end_obj(&j);
	}
	cli_json_provenance(&j, a);   /* (the command line, build and host that ran it) */
	json_end_obj(&j);
	json_finish(&j);
}

static void run_plot(const calibrate *c, outfile *po, int fitted)
{
	const char *name = outfile_name(po);
	size_t l = strlen(name);
	int svg = l > 4 && strcasecmp(name + l - 4, ".svg") == 0;
	FILE *pf = outfile_stream(po);
	if (fflush(pf) != 0)
		cli_write_failed(po, "--plot: write error");
	char err[CAL_ERR];
	int rc = calibrate_plot(c, pf, svg, fitted, err, sizeof(err));
	if (rc != TRACE_OK)
		cli_die_trace(rc, err);
}

/* ---------------------------------------------------------------- the command */

/* Dies with the engine's message ERR unless RC is TRACE_OK. */
static void ok(int rc, const char *err)
{
	if (rc != TRACE_OK)
		cli_die_trace(rc, err);
}

int cmd_calibrate(args *a)
{
	cal_opts *o = calloc(1, sizeof(*o));
	if (!o)
		cli_die(EXIT_FAIL, "out of memory (calibrate)");
	calibrate_config_init(&o->cfg);
	if (parse_options(a, o)) {
		free(o);
		return 0;
	}
	const char *measured = o->cfg.measured;
	cal_progress pr = { .steps_what = "" };
	cli_progress_init(&pr.measure, !o->quiet);
	if (pr.measure.on) {
		o->cfg.progress = progress_line;
		o->cfg.step = step_line;
		o->cfg.progress_ctx = &pr;
	}

	/* The configuration: the user's; the engine turns cache.model on unless
	 * they said, so --fit refuses only a cache.model they set off. */
	param_reg *user = cli_build_params(a, &o->conf);
	if (o->fit && param_is_set(user, "cache.model") && param_enum(user, "cache.model") != 1)
		cli_usage_error(a, "--fit fits the cache model's latencies: it needs cache.model=on");
	char err[CAL_ERR];
	calibrate *c;
	ok(calibrate_create(&c, &o->cfg, user, err, sizeof(err)), err);
	if (measured)
		outset_add_input(a->outs, measured);
	/* A configuration the machine refuses is refused now, before minutes of measuring. */
	int rc = calibrate_check(c, err, sizeof(err));
	if (rc != TRACE_OK)
		cli_die_config(rc, calibrate_params(c), err);
	/* A saved measurement is read now: its errors come before any output, and
	 * before a missing chase (bad input is exit 2 whatever else is missing). */
	if (measured)
		ok(calibrate_measure(c, err, sizeof(err)), err);
	const calibrate_curve *c4 = calibrate_curve_of(c, CALIBRATE_4K);
	if (o->fit && measured && o->cfg.holdout >= 0 &&
	    !calibrate_curve_of(c, o->cfg.holdout)->present)
		cli_die(EXIT_BAD, "--holdout %s: %s has no %s rows", o->holdout, measured, o->holdout);
	if (o->fit && measured && (!c4->present || !calibrate_curve_of(c, CALIBRATE_PACKED)->present))
		cli_die(EXIT_BAD, "--fit needs the 4k curve and the packed control (its knees tell "
			"the caches' steps from the TLBs'): %s has no %s rows", measured,
			c4->present ? "packed" : "4k");
	find_chase(o);   /* (the modelled side runs chase --trace, --measured or not) */
	calibrate_set_chase(c, o->chase);
	if (o->fit && !o->preset) {
		/* The engine names the file (host-<cpu>.conf; it puts it under
		 * sim/configs/); the command line writes it in the current directory:
		 * anywhere else the directory may not exist, and at the repository's
		 * root the name may be a shipped preset. */
		char engine[PATH_MAX];
		calibrate_default_preset(c, engine, sizeof(engine));
		const char *base = strrchr(engine, '/');
		snprintf(o->preset_path, sizeof(o->preset_path), "%s", base ? base + 1 : engine);
		o->preset = o->preset_path;
	}
	/* A preset is a configuration someone may rely on: replaced only with --force. */
	struct stat pst;
	if (o->fit && !o->force && strcmp(o->preset, "-") && stat(o->preset, &pst) == 0 &&
	    S_ISREG(pst.st_mode))
		cli_die(EXIT_BAD, "%s exists: --fit does not replace a preset without --force "
			"(or name another with --preset FILE)", o->preset);
	/* Every output is checked (and its temporary made) before the measurement. */
	outfile *jo = o->json ? cli_output(a, o->json, "--json", 0) : NULL;
	outfile *po = o->plot ? cli_output(a, o->plot, "--plot", 0) : NULL;
	outfile *fo = o->fit ? cli_output(a, o->preset, "--preset", 0) : NULL;
	outfile *so = o->save ? cli_output(a, o->save, "--save", 0) : NULL;
	FILE *tf = (jo && outfile_is_stdout(jo)) || (po && outfile_is_stdout(po)) ||
		   (fo && outfile_is_stdout(fo)) || (so && outfile_is_stdout(so)) ? stderr : stdout;

	if (!measured)
		ok(calibrate_measure(c, err, sizeof(err)), err);
	if (so) {   /* the measurement first: modelling and fitting take minutes more */
		fputs(calibrate_raw(c), outfile_stream(so));
		cli_commit(so);
	}
	ok(calibrate_model(c, err, sizeof(err)), err);
	calibrate_knees(c);
	if (o->fit)
		ok(calibrate_fit(c, err, sizeof(err)), err);

	if (!o->quiet) {   /* (-q: nothing but errors, as every command) */
		print_head(tf, c, o);
		print_table(tf, c, o->fit);
		print_knees(tf, c);
		print_errors(tf, c);
		if (o->fit)
			print_fit(tf, c, o->preset);
	}
	cli_flush_stdout();

	if (fo) {
		const char *base = strrchr(o->preset, '/');
		calibrate_write_preset(c, outfile_stream(fo), base ? base + 1 : o->preset);
		cli_commit(fo);
	}
	if (jo) {
		write_json(outfile_stream(jo), c, o, a);
		cli_commit(jo);
	}
	if (po) {
		run_plot(c, po, o->fit);
		cli_commit(po);
	}
	calibrate_destroy(c);
	param_destroy(user);
	free(o);
	return 0;
}
