/*
 * sim/cli/calibrate.c - `slatsim calibrate`: the model held against the host
 * (issue 18).
 *
 * 1. Measure: run tools/chase.c (build/chase, found next to the slatsim
 *    binary) on the host - a dependent 8-byte load per 4 KB page over N pages
 *    in one random cycle, in a 4 KB-page arena (curve "4k") and a 2 MB-page
 *    (THP) arena ("2m"), and the packed-lines control (N consecutive 64-byte
 *    lines) - chase pins itself, repeats each point and reports the median;
 *    --rounds repeats the whole sweep and takes the median of the medians.
 * 2. Model: for every point, chase writes the identical access pattern as a
 *    text trace (chase --trace, on a pipe: nothing on disk) and the machine
 *    replays it in-process with the chosen configuration, guest.page set to
 *    the curve's page (packed: 2m, as its THP arena): two laps warm the
 *    machine up (faults, cold caches: machine_warm), two laps are counted.
 *    A dependent load costs its L1D load-to-use latency plus what the model
 *    charges beyond an L1 hit (cycles.total less cycles.instructions, per
 *    access: TLB lookups, walks, data from L2/LLC/memory), turned into
 *    nanoseconds at core.freq_ghz.
 * 3. Compare: per point measured against modelled and the relative error;
 *    the knees of every curve (sim/calib.h: a rise above 1.5x the plateau
 *    before it, two points in a row); --json, --plot (gnuplot).
 * 4. --fit: TLB sizes from the measured knees, the host page size from the
 *    2m knees, cache geometry from sysfs, latencies from the plateaus (the
 *    model replayed once with the fitted geometry gives each point's counts;
 *    sim/calib.h), written as a preset that says where each value came from;
 *    the model replayed again with it shows the error that remains.
 *
 * Children (chase, gnuplot) start with the signals outfile's watcher blocks
 * unblocked and SIGPIPE at its default, so that an interrupt or a closed
 * pipe ends them as it would from a shell.
 */
#include "calib.h"
#include "cli.h"
#include "json.h"
#include "machine.h"
#include "replay.h"
#include "report.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/perf_event.h>

extern char **environ;

static const char *const calibrate_usage =
	"usage: slatsim calibrate [--config FILE]... [--set key=value]...\n"
	"                         [--modes 4k,2m,packed] [--pages N,N,...] [--reps R]\n"
	"                         [--rounds K] [--accesses A] [--cpu C] [--seed S]\n"
	"                         [--clock cpu|wall]\n"
	"                         [--measured FILE] [--json FILE] [--plot FILE.png|.svg]\n"
	"                         [--fit [--preset FILE]] [--quiet]\n"
	"\n"
	"Hold the model against this host. Runs the pointer chase build/chase (next to\n"
	"slatsim; 'make build/chase' builds it): one dependent load per 4 KB page over\n"
	"N pages in one random cycle, with 4 KB and with 2 MB (THP) guest pages, and the\n"
	"packed-lines control (N consecutive 64-byte lines); N from 8 to 65536, 4 points\n"
	"per octave (--pages), pinned to one CPU (--cpu), R runs per point (--reps,\n"
	"default 7; the median), the sweep K times (--rounds, default 1; the median of\n"
	"the medians), timed with the thread's CPU time (--clock cpu; wall: the wall\n"
	"clock, which counts the time other work held the CPU). Then replays the\n"
	"identical access pattern (chase --trace) through the model with the\n"
	"configuration (--config/--set as in run; guest.page is set per curve; two\n"
	"laps warm it up, two are counted) and prints, per N,\n"
	"measured ns per access against modelled - the L1D latency plus the cycles the\n"
	"model charges beyond an L1 hit, at core.freq_ghz (unless set: /proc/cpuinfo\n"
	"'cpu MHz') - the relative error, and the knees of each curve: where the cost\n"
	"rises above 1.5x its plateau for two points in a row.\n"
	"cache.model defaults to on here: with it off every descriptor read costs\n"
	"mem.pte_latency and data costs nothing beyond L1, and the curves are not\n"
	"comparable (--set cache.model=off to see that).\n"
	"\n"
	"--measured FILE takes the measurement from a saved chase table (build/chase >\n"
	"FILE) instead of running it. --json FILE writes {\"slatsim\", \"config\",\n"
	"\"points\": [{\"guest_page\", \"pages\", \"measured_ns\", \"model_ns\", ...}],\n"
	"\"knees\": {\"measured\": [...], \"model\": [...]} (the 4k curve's), ...}.\n"
	"--plot FILE draws the curves with gnuplot (PNG or SVG by the name).\n"
	"--fit sets the TLB sizes from the measured knees, host.page from the 2m\n"
	"curve, the cache geometry from sysfs and the latencies of the L2 TLB, the\n"
	"caches and memory from the plateaus, and writes them as a preset (--preset\n"
	"FILE; default sim/configs/host-<cpu>.conf) that says where each came from.\n"
	"Outputs are written to a temporary file and renamed into place when complete.\n";

/* ---------------------------------------------------------------- state */

enum { MODE_4K, MODE_2M, MODE_PACKED, MODES };
static const char *const mode_name[MODES] = { "4k", "2m", "packed" };
/* The guest page each curve is replayed with (packed: chase's THP arena). */
static const char *const mode_guest_page[MODES] = { "4k", "2m", "2m" };

#define MAX_POINTS 128      /* chase's limit */
#define MAX_PAGES 65536u
#define MAX_KNEES 16
#define WARM_LAPS 2         /* laps of the cycle that warm the model up */
#define LAPS 4              /* laps in the trace: WARM_LAPS + the counted ones */

/* One curve: measured, modelled, fitted. */
typedef struct curve {
	int present;
	size_t n;
	unsigned pages[MAX_POINTS];
	double meas[MAX_POINTS], mmin[MAX_POINTS], mmax[MAX_POINTS];   /* ns per access */
	long thp_kb[MAX_POINTS];
	double model[MAX_POINTS];       /* ns per access, the configuration */
	double walks[MAX_POINTS];       /* per access */
	double walk_cycles[MAX_POINTS]; /* per walk */
	double fitted[MAX_POINTS];      /* ns per access, the fitted preset (--fit) */
	calib_obs obs[MAX_POINTS];      /* the model with the fitted geometry (--fit) */
} curve;

/* The knees of one list of costs, as point indexes. */
typedef struct knees {
	size_t n;
	size_t at[MAX_KNEES];
	calib_plateau pl[MAX_KNEES + 1];
	size_t npl;
} knees;

/* What the measurement says about the host and itself. */
typedef struct host_info {
	char cpu[256];             /* chase's "model name" */
	char pinning[160];
	char timer[160];           /* chase's clock */
	char arena[MODES][200];    /* chase's line about each arena (THP) */
	unsigned reps;
	int family, model;         /* /proc/cpuinfo; -1 unknown */
	int cpus;
	int under_hypervisor;
	char counters[200];        /* performance counters */
	char clock[200];           /* frequency pinning */
	double load[2];            /* /proc/loadavg before and after */
} host_info;

typedef struct cal {
	/* options */
	config_args cfg;
	int want[MODES];
	unsigned pages[MAX_POINTS];
	size_t npages;
	unsigned reps, rounds;
	uint64_t accesses;         /* 0: chase's default */
	int cpu;                   /* -1: chase chooses */
	uint64_t seed;
	const char *clock;         /* chase --clock: wall or cpu */
	const char *measured, *json, *plot, *preset;
	int fit, quiet, progress;
	/* derived */
	char chase[PATH_MAX];
	double ghz;
	char ghz_src[200];
	int cache_default;         /* cache.model was not set: calibrate's default on */
	host_info host;
	curve cv[MODES];
} cal;

/* ---------------------------------------------------------------- small helpers */

/* The first line of a small text file into BUF (newline removed); -1 if unreadable. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* The value of the first /proc/cpuinfo line whose key is KEY; -1 if none. */
static int cpuinfo(const char *key, char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return -1;
	char line[1024];
	int rc = -1;
	size_t kl = strlen(key);
	while (rc && fgets(line, sizeof(line), f)) {
		/* "key<spaces or tabs>: value" */
		char *c = line + kl;
		if (strncmp(line, key, kl) != 0)
			continue;
		c += strspn(c, " \t");
		if (*c != ':')
			continue;
		c++;
		c += strspn(c, " \t");
		c[strcspn(c, "\n")] = '\0';
		snprintf(buf, len, "%s", c);
		rc = 0;
	}
	fclose(f);
	return rc;
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return (x > y) - (x < y);
}

/* A CPU's name as a file-name part: lower case, "(R)"/"(TM)" and " @ clock"
 * dropped, every run of other characters one '-'. */
static void sanitize_cpu(const char *cpu, char *out, size_t len)
{
	size_t o = 0;
	int dash = 0;
	for (const char *p = cpu; *p && o + 2 < len; p++) {
		if (*p == '@')
			break;
		if (*p == '(') {
			const char *e = strchr(p, ')');
			if (e && e - p <= 4) {
				p = e;
				dash = o > 0;
				continue;
			}
		}
		if (isalnum((unsigned char)*p)) {
			if (dash)
				out[o++] = '-';
			out[o++] = (char)tolower((unsigned char)*p);
			dash = 0;
		} else {
			dash = o > 0;
		}
	}
	out[o] = '\0';
	if (o == 0)
		snprintf(out, len, "unknown");
}

/* ---------------------------------------------------------------- children */

/* Start PROG with ARGV, its standard input on IN_FD and output on OUT_FD (-1:
 * ours), the signals our watcher blocks unblocked and SIGPIPE at its
 * default. Returns 0 and *PID, or an errno. */
static int spawn_child(const char *prog, char *const argv[], int in_fd, int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	posix_spawn_file_actions_init(&fa);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	int rc = posix_spawnp(pid, prog, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

/* A pipe whose ends are not inherited (the child gets a dup2'd copy). */
static void make_pipe(int fds[2])
{
	if (pipe(fds) != 0)
		cli_die(EXIT_FAIL, "calibrate: pipe: %s", strerror(errno));
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
}

/* Wait for PID; dies naming WHAT unless it exited with status 0. */
static void reap(pid_t pid, const char *what)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			cli_die(EXIT_FAIL, "calibrate: waitpid (%s): %s", what, strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	if (WIFEXITED(st))
		cli_die(EXIT_FAIL, "calibrate: %s failed (exit status %d)", what, WEXITSTATUS(st));
	cli_die(EXIT_FAIL, "calibrate: %s was killed by signal %d", what, WTERMSIG(st));
}

/* build/chase: next to this binary. Dies with how to build it. */
static void find_chase(cal *c)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		cli_die(EXIT_FAIL, "calibrate: cannot find this binary (/proc/self/exe: %s), and "
			"chase is looked for beside it", strerror(errno));
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	*slash = '\0';
	if ((size_t)snprintf(c->chase, sizeof(c->chase), "%s/chase", self) >= sizeof(c->chase))
		cli_die(EXIT_FAIL, "calibrate: the path of this binary is too long (%s)", self);
	if (access(c->chase, X_OK) != 0)
		cli_die(EXIT_FAIL, "calibrate: the host benchmark %s is missing (%s): build it with "
			"'make build/chase'", c->chase, strerror(errno));
}

/* Run chase with ARGV; its whole standard output into *OUT (NUL-ended).
 * With PROGRESS, a line on stderr counts the rows of TOTAL as they come. */
static char *run_chase(const cal *c, char *const argv[], size_t total, unsigned round)
{
	int fds[2];
	pid_t pid;
	make_pipe(fds);
	int rc = spawn_child(c->chase, argv, -1, fds[1], &pid);
	close(fds[1]);
	if (rc)
		cli_die(EXIT_FAIL, "calibrate: cannot run %s: %s", c->chase, strerror(rc));
	size_t len = 0, cap = 1 << 16, rows = 0;
	int at_start = 1;
	char *buf = malloc(cap);
	if (!buf)
		cli_die(EXIT_FAIL, "out of memory (chase output)");
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				cli_die(EXIT_FAIL, "out of memory (chase output)");
			buf = nb;
		}
		ssize_t k = read(fds[0], buf + len, cap - len - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		/* A row starts with its mode (4k, 2m, packed); comments with '#'. */
		for (ssize_t i = 0; i < k; i++) {
			char ch = buf[len + i];
			rows += at_start && (ch == '4' || ch == '2' || ch == 'p');
			at_start = ch == '\n';
		}
		len += (size_t)k;
		if (c->progress) {
			fprintf(stderr, "\rcalibrate: measuring, round %u of %u: %zu of %zu points  ",
				round + 1, c->rounds, rows, total);
			fflush(stderr);
		}
	}
	close(fds[0]);
	buf[len] = '\0';
	if (c->progress)
		fputs("\r\033[K", stderr);
	reap(pid, "chase");
	return buf;
}

/* ---------------------------------------------------------------- measurement */

/* One table chase printed (or a saved one), named ORIGIN in messages: its
 * rows go into MEAS, MMIN and MMAX (one round of every curve). FIRST: the
 * first round, which sets the curves' points and the host's description
 * from the header comments; later rounds must have the same points. */
static void parse_chase(cal *c, const char *text, const char *origin, double (*meas)[MAX_POINTS],
			double (*mmin)[MAX_POINTS], double (*mmax)[MAX_POINTS], int first)
{
	const char *p = text;
	unsigned lineno = 0;
	size_t got[MODES] = { 0 };
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		char line[512];
		lineno++;
		if (l >= sizeof(line))
			cli_die(EXIT_BAD, "%s:%u: line too long for a chase table", origin, lineno);
		memcpy(line, p, l);
		line[l] = '\0';
		p += l + (e != NULL);
		char *s;
		if (strncmp(line, "# chase: cpu \"", 14) == 0 && first) {
			s = line + 14;
			char *q = strchr(s, '"');
			if (q) {
				*q = '\0';
				snprintf(c->host.cpu, sizeof(c->host.cpu), "%.255s", s);
				s = q + 1 + strspn(q + 1, ", ");
				char *runs = strstr(s, " runs per point");
				char *comma = runs;
				while (comma && comma > s && *comma != ',')
					comma--;
				if (comma && comma > s) {
					*comma = '\0';
					snprintf(c->host.pinning, sizeof(c->host.pinning), "%s", s);
					unsigned r;
					if (sscanf(comma + 1, " %u runs", &r) == 1)
						c->host.reps = r;
				}
				char *seed = runs ? strstr(runs, "seed ") : NULL;
				uint64_t sv;
				if (seed && param_parse_uint(seed + 5, 0, &sv) == 0)
					c->seed = sv;
			}
			continue;
		}
		if (first && strncmp(line, "# clock: ", 9) == 0) {
			snprintf(c->host.timer, sizeof(c->host.timer), "%.159s", line + 9);
			continue;
		}
		if (line[0] == '#') {
			for (int m = 0; m < MODES; m++) {
				size_t ml = strlen(mode_name[m]);
				if (first && l > ml + 3 && strncmp(line + 2, mode_name[m], ml) == 0 &&
				    line[2 + ml] == ':')
					snprintf(c->host.arena[m], sizeof(c->host.arena[m]), "%s",
						 line + 4 + ml);
			}
			continue;
		}
		if (line[0] == '\0' || strncmp(line, "mode\t", 5) == 0)
			continue;
		char mode[16];
		unsigned pages;
		unsigned long long acc;
		double med, mn, mx;
		long thp;
		int m;
		if (sscanf(line, "%15[^\t]\t%u\t%llu\t%lf\t%lf\t%lf\t%ld", mode, &pages, &acc, &med, &mn,
			   &mx, &thp) != 7)
			cli_die(EXIT_BAD, "%s:%u: not a row of a chase table (mode pages accesses "
				"ns_median ns_min ns_max thp_kb)", origin, lineno);
		for (m = 0; m < MODES && strcmp(mode, mode_name[m]); m++)
			;
		if (m == MODES || pages < 2 || pages > MAX_PAGES || !(med > 0) || !(mn > 0) ||
		    !(mx > 0) || !isfinite(med) || !isfinite(mn) || !isfinite(mx))
			cli_die(EXIT_BAD, "%s:%u: bad row (mode 4k|2m|packed, pages 2..%u, positive "
				"finite ns)", origin, lineno, MAX_PAGES);
		curve *cv = &c->cv[m];
		size_t i = got[m]++;
		if (first) {
			if (i == MAX_POINTS)
				cli_die(EXIT_BAD, "%s:%u: more than %d points of %s", origin, lineno,
					MAX_POINTS, mode_name[m]);
			if (i && pages <= cv->pages[i - 1])
				cli_die(EXIT_BAD, "%s:%u: %s pages must increase (%u after %u)", origin,
					lineno, mode_name[m], pages, cv->pages[i - 1]);
			cv->present = 1;
			cv->pages[i] = pages;
			cv->thp_kb[i] = thp;
			cv->n = i + 1;
		} else if (i >= cv->n || cv->pages[i] != pages) {
			cli_die(EXIT_FAIL, "calibrate: chase's rounds measured different points "
				"(%s %u)", mode_name[m], pages);
		}
		meas[m][i] = med;
		mmin[m][i] = mn;
		mmax[m][i] = mx;
	}
	int any = 0;
	for (int m = 0; m < MODES; m++)
		any |= c->cv[m].present;
	if (!any)
		cli_die(EXIT_BAD, "%s: no measured points (a chase table has rows 'mode pages "
			"accesses ns_median ns_min ns_max thp_kb')", origin);
}

/* Measure (or read --measured): every curve's measured columns. */
static void measure(cal *c)
{
	double (*meas)[MAX_POINTS] = calloc((size_t)MODES * c->rounds, sizeof(*meas));
	double (*mmin)[MAX_POINTS] = calloc((size_t)MODES * c->rounds, sizeof(*mmin));
	double (*mmax)[MAX_POINTS] = calloc((size_t)MODES * c->rounds, sizeof(*mmax));
	if (!meas || !mmin || !mmax)
		cli_die(EXIT_FAIL, "out of memory (measurements)");
	if (c->measured) {
		FILE *f = strcmp(c->measured, "-") ? fopen(c->measured, "r") : stdin;
		if (!f)
			cli_die(EXIT_BAD, "--measured %s: %s", c->measured, strerror(errno));
		size_t len = 0, cap = 1 << 16;
		char *buf = malloc(cap);
		size_t k;
		while (buf && (k = fread(buf + len, 1, cap - len - 1, f)) > 0) {
			len += k;
			if (len + 1 >= cap) {
				char *nb = realloc(buf, cap *= 2);
				if (!nb)
					free(buf);
				buf = nb;
			}
		}
		if (!buf)
			cli_die(EXIT_FAIL, "out of memory (--measured)");
		int e = ferror(f) ? errno : 0;
		if (f != stdin)
			fclose(f);
		if (e) {   /* (a directory: EISDIR) */
			free(buf);
			free(meas);
			free(mmin);
			free(mmax);
			cli_die(EXIT_BAD, "--measured %s: read error: %s", c->measured, strerror(e));
		}
		buf[len] = '\0';
		if (memchr(buf, '\0', len)) {
			free(buf);
			free(meas);
			free(mmin);
			free(mmax);
			cli_die(EXIT_BAD, "--measured %s: a NUL byte: not a chase table", c->measured);
		}
		parse_chase(c, buf, c->measured, meas, mmin, mmax, 1);
		free(buf);
	} else {
		char pages[MAX_POINTS * 8] = "", modes[32] = "", reps[16], acc[32], cpu[16], seed[32];
		for (size_t i = 0; i < c->npages; i++)
			snprintf(pages + strlen(pages), sizeof(pages) - strlen(pages), "%s%u",
				 i ? "," : "", c->pages[i]);
		size_t total = 0;
		for (int m = 0; m < MODES; m++)
			if (c->want[m]) {
				snprintf(modes + strlen(modes), sizeof(modes) - strlen(modes), "%s%s",
					 modes[0] ? "," : "", mode_name[m]);
				total += c->npages;
			}
		snprintf(reps, sizeof(reps), "%u", c->reps);
		snprintf(acc, sizeof(acc), "%" PRIu64, c->accesses);
		snprintf(cpu, sizeof(cpu), "%d", c->cpu);
		snprintf(seed, sizeof(seed), "%" PRIu64, c->seed);
		char *argv[16] = { "chase", "--modes", modes, "--pages", pages, "--reps", reps,
				   "--seed", seed, "--clock", (char *)c->clock };
		int n = 11;
		if (c->accesses) {
			argv[n++] = "--accesses";
			argv[n++] = acc;
		}
		if (c->cpu >= 0) {
			argv[n++] = "--cpu";
			argv[n++] = cpu;
		}
		argv[n] = NULL;
		char load[128];
		if (read_line("/proc/loadavg", load, sizeof(load)) == 0)
			c->host.load[0] = atof(load);
		for (unsigned r = 0; r < c->rounds; r++) {
			char *out = run_chase(c, argv, total, r);
			parse_chase(c, out, "chase", meas + (size_t)r * MODES, mmin + (size_t)r * MODES,
				    mmax + (size_t)r * MODES, r == 0);
			free(out);
		}
		if (read_line("/proc/loadavg", load, sizeof(load)) == 0)
			c->host.load[1] = atof(load);
	}
	/* The median of the rounds' medians; the extremes of every run. */
	for (int m = 0; m < MODES; m++) {
		curve *cv = &c->cv[m];
		for (size_t i = 0; i < cv->n; i++) {
			double v[100];
			cv->mmin[i] = mmin[m][i];
			cv->mmax[i] = mmax[m][i];
			for (unsigned r = 0; r < c->rounds; r++) {
				v[r] = meas[(size_t)r * MODES + (size_t)m][i];
				cv->mmin[i] = fmin(cv->mmin[i], mmin[(size_t)r * MODES + (size_t)m][i]);
				cv->mmax[i] = fmax(cv->mmax[i], mmax[(size_t)r * MODES + (size_t)m][i]);
			}
			cv->meas[i] = calib_median(v, c->rounds);
		}
	}
	free(meas);
	free(mmin);
	free(mmax);
}

/* What could not be measured or pinned, in words (host_info). */
static void probe_host(cal *c)
{
	host_info *h = &c->host;
	char buf[256];
	h->family = cpuinfo("cpu family", buf, sizeof(buf)) == 0 ? atoi(buf) : -1;
	h->model = cpuinfo("model", buf, sizeof(buf)) == 0 ? atoi(buf) : -1;
	char flags[4096];
	h->under_hypervisor = cpuinfo("flags", flags, sizeof(flags)) == 0 &&
			      strstr(flags, " hypervisor") != NULL;
	h->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	/* Hardware cycle counter: chase does not use one; say whether there is. */
	struct perf_event_attr pe;
	memset(&pe, 0, sizeof(pe));
	pe.type = PERF_TYPE_HARDWARE;
	pe.size = sizeof(pe);
	pe.config = PERF_COUNT_HW_CPU_CYCLES;
	pe.disabled = 1;
	pe.exclude_kernel = 1;
	pe.exclude_hv = 1;
	long fd = syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0);
	if (fd >= 0) {
		close((int)fd);
		snprintf(h->counters, sizeof(h->counters), "a cycle counter exists but is not used: "
			 "chase measures time");
	} else {
		snprintf(h->counters, sizeof(h->counters), "no hardware performance counters "
			 "(perf_event_open cycles: %s): time only, never cycles", strerror(errno));
	}
	char gov[64];
	if (read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", gov, sizeof(gov)))
		snprintf(h->clock, sizeof(h->clock), "the core clock could not be read or pinned "
			 "(no cpufreq): boost may run the core above core.freq_ghz");
	else
		snprintf(h->clock, sizeof(h->clock), "the core clock was not pinned (cpufreq "
			 "governor %s)", gov);
}

/* ---------------------------------------------------------------- model */

static size_t param_index(const param_reg *p, const char *name)
{
	for (size_t i = 0; i < param_count(p); i++)
		if (strcmp(param_name_at(p, i), name) == 0)
			return i;
	return (size_t)-1;
}

static void set_param(param_reg *p, const char *key, const char *value, const char *origin)
{
	char err[512];
	if (param_set(p, key, value, origin, err, sizeof(err)) != PARAM_OK)
		cli_die(EXIT_BAD, "%s", err);
}

static double stat_of(const stats_reg *st, const char *name)
{
	int found;
	uint64_t v = stats_get(st, name, &found);
	assert(found && "calibrate reads a statistic the machine registers");
	return (double)v;
}

/* What a replay of the curves is for: the columns it fills. */
enum model_use {
	MODEL_CONFIG,    /* the configuration given: model, walks, walk_cycles */
	MODEL_COUNTS,    /* the fitted geometry: obs, each latency's share */
	MODEL_FITTED,    /* the fitted preset: fitted */
};

/* Replay point I of curve M through a machine built from P (guest.page set
 * for the curve) and fill the columns USE names. */
static void model_point(const cal *c, param_reg *p, int m, size_t i, enum model_use use,
			curve *cv)
{
	char err[1024], pages[16], laps[16], seed[32], path[32];
	set_param(p, "guest.page", mode_guest_page[m], "calibrate");
	machine *s;
	int rc = machine_create(&s, p, err, sizeof(err));
	if (rc != TRACE_OK)
		cli_die_trace(rc, err);
	snprintf(pages, sizeof(pages), "%u", cv->pages[i]);
	snprintf(laps, sizeof(laps), "%d", LAPS);
	snprintf(seed, sizeof(seed), "%" PRIu64, c->seed);
	char *argv[] = { "chase", "--trace", "-", "--modes", (char *)mode_name[m], "--pages", pages,
			 "--laps", laps, "--seed", seed, NULL };
	int fds[2];
	pid_t pid;
	make_pipe(fds);
	rc = spawn_child(c->chase, argv, -1, fds[1], &pid);
	close(fds[1]);
	if (rc)
		cli_die(EXIT_FAIL, "calibrate: cannot run %s: %s", c->chase, strerror(rc));
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	trace_reader *r;
	trace_open_opts oo = { .format = TRACE_FMT_TEXT };
	if ((rc = trace_open_with(&r, path, &oo, err, sizeof(err))) != TRACE_OK)
		cli_die_trace(rc, err);
	replay_opts ro = { .warmup = (uint64_t)WARM_LAPS * cv->pages[i] };
	if ((rc = replay_run(s, r, &ro, NULL, err, sizeof(err))) != TRACE_OK)
		cli_die_trace(rc, err);
	trace_close(r);
	close(fds[0]);
	reap(pid, "chase --trace");
	const stats_reg *st = machine_stats(s);
	double acc = stat_of(st, "accesses");
	if (acc <= 0)
		cli_die(EXIT_FAIL, "calibrate: the model counted no access at %s %u pages",
			mode_name[m], cv->pages[i]);
	double l1 = (double)param_int(p, "cache.l1d.latency");
	double cyc = (stat_of(st, "cycles.total") - stat_of(st, "cycles.instructions")) / acc + l1;
	double ns = cyc / c->ghz;
	if (use == MODEL_CONFIG) {
		double walks = stat_of(st, "walk.count");
		cv->model[i] = ns;
		cv->walks[i] = walks / acc;
		cv->walk_cycles[i] = walks > 0 ? stat_of(st, "walk.cycles") / walks : 0;
	} else if (use == MODEL_COUNTS) {
		calib_obs *o = &cv->obs[i];
		o->curve = (unsigned)m;
		o->measured = cv->meas[i] * c->ghz;
		o->model = cyc;
		o->n[CALIB_LAT_L1D] = stat_of(st, "cache.served.l1") / acc;
		o->n[CALIB_LAT_TLB_L2] = param_int(p, "tlb.l2.entries") ?
			(stat_of(st, "tlb.l1d.misses") + stat_of(st, "tlb.l1i.misses")) / acc : 0;
		o->n[CALIB_LAT_L2] = stat_of(st, "cache.served.l2") / acc;
		o->n[CALIB_LAT_LLC] = stat_of(st, "cache.served.llc") / acc;
		o->n[CALIB_LAT_MEM] = stat_of(st, "cache.served.mem") / acc;
	} else {
		cv->fitted[i] = ns;
	}
	machine_destroy(s);
}

static void model_sweep(const cal *c, param_reg *p, enum model_use use, curve *cvs)
{
	for (int m = 0; m < MODES; m++)
		for (size_t i = 0; i < cvs[m].n; i++)
			model_point(c, p, m, i, use, &cvs[m]);
}

/* ---------------------------------------------------------------- knees */

static knees knees_of(const double *ns, size_t n)
{
	knees k = { .n = 0 };
	k.npl = calib_plateaus(ns, n, CALIB_KNEE_FACTOR, k.pl, MAX_KNEES + 1);
	for (size_t i = 1; i < k.npl; i++)
		k.at[k.n++] = k.pl[i].first;
	return k;
}

/* 1 when pages A and B are within CALIB_KNEE_FACTOR of each other. */
static int within_factor(unsigned a, unsigned b)
{
	return (double)a <= CALIB_KNEE_FACTOR * b && (double)b <= CALIB_KNEE_FACTOR * a;
}

static double median_abs_err(const curve *cv, const double *model)
{
	double e[MAX_POINTS];
	for (size_t i = 0; i < cv->n; i++)
		e[i] = fabs(model[i] - cv->meas[i]) / cv->meas[i];
	return calib_median(e, cv->n);
}

/* ---------------------------------------------------------------- the fit */

/* One fitted parameter: its value as text and where it came from. */
typedef struct fit_value {
	char key[48];
	char value[32];
	char why[320];
} fit_value;

typedef struct fit {
	fit_value v[40];
	size_t n;
	char notes[8][320];
	size_t nnotes;
} fit;

static void fit_add(fit *f, const char *key, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fit_add(fit *f, const char *key, const char *value, const char *fmt, ...)
{
	if (f->n == sizeof(f->v) / sizeof(f->v[0]))
		return;
	fit_value *v = &f->v[f->n++];
	snprintf(v->key, sizeof(v->key), "%s", key);
	snprintf(v->value, sizeof(v->value), "%s", value);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

static void fit_note(fit *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fit_note(fit *f, const char *fmt, ...)
{
	if (f->nnotes == sizeof(f->notes) / sizeof(f->notes[0]))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->notes[f->nnotes++], sizeof(f->notes[0]), fmt, ap);
	va_end(ap);
}

static int fit_has(const fit *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].key, key) == 0)
			return 1;
	return 0;
}

/* The TLB transitions of the measured 4k curve: its knees that no knee of
 * the packed control matches (a packed knee is a cache's capacity, in
 * lines), consecutive ones merged when the plateau between them holds
 * fewer than 3 points (a rise spread over a few points is one step). Each
 * transition is a pair of plateau indexes (before, after). */
static size_t tlb_steps(const cal *c, const knees *k4, const knees *kp, size_t (*out)[2])
{
	size_t n = 0;
	for (size_t j = 0; j < k4->n; j++) {
		unsigned pg = c->cv[MODE_4K].pages[k4->at[j]];
		int is_cache = 0;
		for (size_t i = 0; i < kp->n; i++)
			is_cache |= within_factor(pg, c->cv[MODE_PACKED].pages[kp->at[i]]);
		if (is_cache)
			continue;
		size_t plate = j + 1;   /* knee j starts plateau j + 1 */
		const calib_plateau *prev = &k4->pl[plate - 1];
		if (n && out[n - 1][1] == plate - 1 && prev->last - prev->first + 1 < 3) {
			out[n - 1][1] = plate;
			continue;
		}
		out[n][0] = plate - 1;
		out[n][1] = plate;
		n++;
	}
	return n;
}

static void fit_tlb(const cal *c, const param_reg *p, fit *f, const knees *k4, const knees *k2,
		    const knees *kp)
{
	const curve *cv = &c->cv[MODE_4K];
	size_t st[MAX_KNEES][2];
	size_t nst = cv->present ? tlb_steps(c, k4, kp, st) : 0;
	static const char *const lvl[2] = { "tlb.l1d", "tlb.l2" };
	for (size_t t = 0; t < 2 || t < nst; t++) {
		if (t >= nst) {
			fit_note(f, "%s: no %s TLB step in the measured 4k curve: its size is the "
				 "configuration's", lvl[t], t ? "second" : "first");
			continue;
		}
		const calib_plateau *b = &k4->pl[st[t][0]], *a = &k4->pl[st[t][1]];
		if (t >= 2) {
			fit_note(f, "a further rise of the 4k curve at %u pages (%.2f -> %.2f ns per "
				 "access), past the L2 TLB: no structure of the model is sized from "
				 "it", cv->pages[b->last + 1], b->level, a->level);
			continue;
		}
		double size = calib_step_size(cv->pages, cv->meas, k4->pl, st[t][0], st[t][1]);
		char key[48], val[32];
		unsigned e, w;
		snprintf(key, sizeof(key), "%s.ways", lvl[t]);
		calib_tlb_geometry(size, (unsigned)param_int(p, key), &e, &w);
		snprintf(key, sizeof(key), "%s.entries", lvl[t]);
		snprintf(val, sizeof(val), "%u", e);
		fit_add(f, key, val, "4k curve: %s TLB step from %.2f ns (%u-%u pages) to %.2f ns "
			"(%u-%u), crossing their geometric mean at %.0f pages%s", t ? "second" : "first",
			b->level, cv->pages[b->first], cv->pages[b->last], a->level,
			cv->pages[a->first], cv->pages[a->last], size,
			lround(size) != (long)e ? " (rounded: entries/ways a power of two)" : "");
		snprintf(key, sizeof(key), "%s.ways", lvl[t]);
		snprintf(val, sizeof(val), "%u", w);
		fit_add(f, key, val, "%s", w == e ? "fully associative (sizes up to 128)" :
			"the configuration's ways or the next up to twice them, for entries/ways a "
			"power of two");
	}
	/* 2 MB guest pages backed by 2 MB host pages stay on the first plateau
	 * where 4 KB pages have left it; backed by 4 KB host pages they rise too. */
	const curve *c2 = &c->cv[MODE_2M];
	if (nst && c2->present && k2->npl) {
		const calib_plateau *a = &k4->pl[st[0][1]];
		double v[MAX_POINTS];
		size_t n = 0;
		for (size_t i = 0; i < c2->n; i++)
			if (c2->pages[i] >= cv->pages[a->first] && c2->pages[i] <= cv->pages[a->last])
				v[n++] = c2->meas[i];
		double at = calib_median(v, n), base = k2->pl[0].level;
		if (n && at > CALIB_KNEE_FACTOR * base)
			fit_add(f, "host.page", "4k", "the 2m curve rises where the 4k curve's first TLB "
				"step does (%.2f ns at %u-%u pages against %.2f on its first plateau): 2 MB "
				"guest pages gain nothing, so the host backs guest memory with 4 KB pages",
				at, cv->pages[a->first], cv->pages[a->last], base);
		else if (n)
			fit_note(f, "host.page: the 2m curve stays low (%.2f ns at %u-%u pages) where "
				 "the 4k curve's first TLB step is: the host backs 2 MB guest pages with "
				 "large pages; host.page is the configuration's (%s)", at,
				 cv->pages[a->first], cv->pages[a->last], param_text(p, "host.page"));
	}
}

/* Cache geometry from sysfs (the CPU chase was pinned to, else cpu0). */
static void fit_caches(const cal *c, fit *f)
{
	int cpu = 0;
	const char *pin = strstr(c->host.pinning, "pinned to CPU ");
	if (pin && strncmp(c->host.pinning, "not", 3) != 0)
		cpu = atoi(pin + 14);
	if (c->measured)
		fit_note(f, "cache geometry: read from this machine's sysfs, not from the one "
			 "that measured %s", c->measured);
	int any = 0;
	for (int idx = 0; idx < 8; idx++) {
		char base[128], path[192], lvl[16], type[32], ways[16], sets[16], line[16];
		snprintf(base, sizeof(base), "/sys/devices/system/cpu/cpu%d/cache/index%d", cpu, idx);
#define RD(f, b) (snprintf(path, sizeof(path), "%s/" f, base), read_line(path, b, sizeof(b)))
		if (RD("level", lvl) || RD("type", type) || RD("ways_of_associativity", ways) ||
		    RD("number_of_sets", sets) || RD("coherency_line_size", line))
			continue;
#undef RD
		const char *key = NULL;
		if (!strcmp(lvl, "1") && !strcmp(type, "Data"))
			key = "cache.l1d";
		else if (!strcmp(lvl, "1") && !strcmp(type, "Instruction"))
			key = "cache.l1i";
		else if (!strcmp(lvl, "2"))
			key = "cache.l2";
		else if (!strcmp(lvl, "3"))
			key = "cache.llc";
		if (!key)
			continue;
		unsigned long s = strtoul(sets, NULL, 10), w = strtoul(ways, NULL, 10);
		if (!s || (s & (s - 1)) || !w || w > 64)
			continue;   /* not a geometry the model takes: keep the configuration's */
		char k[48];
		any = 1;
		if (!strcmp(key, "cache.l1d"))
			fit_add(f, "cache.line", line, "sysfs %s/coherency_line_size", base);
		snprintf(k, sizeof(k), "%s.sets", key);
		fit_add(f, k, sets, "sysfs %s/number_of_sets (level %s %s)", base, lvl, type);
		snprintf(k, sizeof(k), "%s.ways", key);
		fit_add(f, k, ways, "sysfs %s/ways_of_associativity", base);
	}
	if (!any)
		fit_note(f, "cache geometry: /sys/devices/system/cpu/cpu%d/cache is not readable: "
			 "the configuration's", cpu);
}

static const char *const lat_key[CALIB_LATS] = {
	"cache.l1d.latency", "tlb.l2.latency", "cache.l2.latency", "cache.llc.latency",
	"cache.mem.latency",
};

/* Latencies from the plateaus: the fitted geometry's counts per point. */
static void fit_latencies(cal *c, param_reg *pf, fit *f)
{
	model_sweep(c, pf, MODEL_COUNTS, c->cv);
	calib_obs obs[MODES * MAX_POINTS];
	size_t n = 0, at[MODES * MAX_POINTS];   /* obs[k] is point at[k] of its curve */
	for (int m = 0; m < MODES; m++)
		for (size_t i = 0; i < c->cv[m].n; i++) {
			at[n] = i;
			obs[n++] = c->cv[m].obs[i];
		}
	/* Caches from the packed control (what it is for); the L2 TLB from the
	 * 4k curve alone (what 2 MB guest pages cost depends on the host's
	 * backing, which the fit sets apart). Walks past the L2 TLB are not
	 * fitted: the model's walk is what it is, and the error shows it. */
	const unsigned packed = 1u << MODE_PACKED, pagec = 1u << MODE_4K;
	const unsigned curves[CALIB_LATS] = { packed, pagec, packed, packed, packed };
	double lat[CALIB_LATS];
	calib_lat_fit out[CALIB_LATS];
	for (int k = 0; k < CALIB_LATS; k++)
		lat[k] = (double)param_int(pf, lat_key[k]);
	if (calib_fit_latencies(obs, n, curves, lat, out) != 0)
		cli_die(EXIT_FAIL, "out of memory (fit)");
	for (int k = 0; k < CALIB_LATS; k++) {
		char val[32];
		if (!out[k].observed) {
			fit_note(f, "%s: no point of %s is served mostly by it in the model: not "
				 "observable here, the configuration's %lld cycles kept", lat_key[k],
				 curves[k] == packed ? "the packed control" : "the 4k curve",
				 (long long)lat[k]);
			continue;
		}
		const calib_obs *a = &obs[out[k].first], *b = &obs[out[k].last];
		const curve *ca = &c->cv[a->curve], *cb = &c->cv[b->curve];
		size_t ia = at[out[k].first], ib = at[out[k].last];
		snprintf(val, sizeof(val), "%.0f", out[k].value);
		fit_add(f, lat_key[k], val, "median over %zu points (%s %u .. %s %u: %.2f .. %.2f ns) "
			"of what the measured cost leaves for it at %.3f GHz: %.2f cycles",
			out[k].points, mode_name[a->curve], ca->pages[ia], mode_name[b->curve],
			cb->pages[ib], ca->meas[ia], cb->meas[ib], c->ghz, out[k].value);
		set_param(pf, lat_key[k], val, "--fit");
	}
}

static void write_preset(const cal *c, const param_reg *user, const fit *f, FILE *o,
			 const char *name)
{
	fprintf(o, "# %s - written by 'slatsim calibrate --fit' (slatsim %s).\n", name,
		SLATSIM_VERSION);
	fprintf(o, "# Host: \"%s\"", c->host.cpu);
	if (c->host.family >= 0 && !c->measured)
		fprintf(o, " (family %d, model %d), %d CPUs%s", c->host.family, c->host.model,
			c->host.cpus, c->host.under_hypervisor ? ", under a hypervisor" : "");
	fprintf(o, ".\n# Measured: %s, %s, %u runs per point (median), %u round%s, seed %" PRIu64
		".\n", c->measured ? c->measured : "build/chase", c->host.pinning, c->host.reps,
		c->rounds, c->rounds > 1 ? "s (median of the medians)" : "", c->seed);
	fputs("# Each value says where it came from; a key not here is the configuration\n"
	      "# calibrate ran with, or slatsim's default. Use: slatsim run --config THIS.\n", o);
	for (size_t i = 0; i < f->nnotes; i++)
		fprintf(o, "# Not fitted: %s.\n", f->notes[i]);
	/* What the user set, unless fitted (guest.page: calibrate sets it per curve). */
	for (size_t i = 0; i < param_count(user); i++) {
		const char *k = param_name_at(user, i);
		if (!param_is_set_at(user, i) || fit_has(f, k) || !strcmp(k, "guest.page") ||
		    !strcmp(k, "cache.model") || !strcmp(k, "core.freq_ghz"))
			continue;
		fprintf(o, "%s = %s\n", k, param_text_at(user, i));
	}
	fprintf(o, "cache.model = on\n");
	fprintf(o, "core.freq_ghz = %.6g    # %s\n", c->ghz, c->ghz_src);
	for (size_t i = 0; i < f->n; i++)
		fprintf(o, "%s = %s    # %s\n", f->v[i].key, f->v[i].value, f->v[i].why);
}

/* ---------------------------------------------------------------- output */

static void print_table(FILE *t, const cal *c, int fitted)
{
	fprintf(t, "\n  %-6s %6s  %9s %21s  %9s %8s  %9s %11s%s\n", "guest", "pages", "measured",
		"(min..max) ns", "model ns", "error", "walks/acc", "cycles/walk",
		fitted ? "  fitted ns   error" : "");
	for (int m = 0; m < MODES; m++) {
		const curve *cv = &c->cv[m];
		if (!cv->present)
			continue;
		if (m == MODE_PACKED)
			fprintf(t, "  control: packed, N consecutive 64-byte lines (no TLB effect within "
				"a page)\n");
		for (size_t i = 0; i < cv->n; i++) {
			char mm[40];
			snprintf(mm, sizeof(mm), "(%.2f..%.2f)", cv->mmin[i], cv->mmax[i]);
			fprintf(t, "  %-6s %6u  %9.2f %21s  %9.2f %+7.1f%%  %9.2f %11.1f", mode_name[m],
				cv->pages[i], cv->meas[i], mm, cv->model[i],
				100 * (cv->model[i] - cv->meas[i]) / cv->meas[i], cv->walks[i],
				cv->walk_cycles[i]);
			if (fitted)
				fprintf(t, "  %9.2f %+6.1f%%", cv->fitted[i],
					100 * (cv->fitted[i] - cv->meas[i]) / cv->meas[i]);
			fputc('\n', t);
		}
	}
}

static void print_pages(FILE *t, const curve *cv, const knees *k)
{
	if (!k->n)
		fputs(" none", t);
	for (size_t i = 0; i < k->n; i++)
		fprintf(t, " %u", cv->pages[k->at[i]]);
}

static void print_knees(FILE *t, const cal *c, const knees km[MODES], const knees kp[MODES])
{
	fprintf(t, "\n  knees (the cost rises above %.1fx its plateau, two points in a row), "
		"first point above:\n", CALIB_KNEE_FACTOR);
	for (int m = 0; m < MODES; m++) {
		const curve *cv = &c->cv[m];
		if (!cv->present)
			continue;
		fprintf(t, "    %-6s measured", mode_name[m]);
		print_pages(t, cv, &km[m]);
		fputs("   model", t);
		print_pages(t, cv, &kp[m]);
		fputc('\n', t);
	}
	fputs("  plateaus of the measured curves (pages: lower-median ns):\n", t);
	for (int m = 0; m < MODES; m++) {
		const curve *cv = &c->cv[m];
		if (!cv->present)
			continue;
		fprintf(t, "    %-6s", mode_name[m]);
		for (size_t i = 0; i < km[m].npl; i++)
			fprintf(t, "%s %u-%u: %.2f", i ? "," : "", cv->pages[km[m].pl[i].first],
				cv->pages[km[m].pl[i].last], km[m].pl[i].level);
		fputc('\n', t);
	}
}

static void json_knees(json_w *j, const char *key, const curve *cv, const knees *k)
{
	json_begin_arr(j, key);
	for (size_t i = 0; i < k->n; i++)
		json_u64(j, NULL, cv->pages[k->at[i]]);
	json_end_arr(j);
}

static void write_json(const cal *c, FILE *jf, const param_reg *p, const knees km[MODES],
		       const knees kp[MODES], const fit *f, const char *preset)
{
	json_w j;
	json_init(&j, jf, 1);
	json_begin_obj(&j, NULL);
	json_str(&j, "slatsim", SLATSIM_VERSION);
	report_json_config(&j, p);
	json_begin_arr(&j, "points");
	for (int m = MODE_4K; m <= MODE_2M; m++)
		for (size_t i = 0; i < c->cv[m].n; i++) {
			const curve *cv = &c->cv[m];
			json_begin_obj(&j, NULL);
			json_str(&j, "guest_page", mode_name[m]);
			json_u64(&j, "pages", cv->pages[i]);
			json_dbl(&j, "measured_ns", cv->meas[i]);
			json_dbl(&j, "model_ns", cv->model[i]);
			json_dbl(&j, "measured_min_ns", cv->mmin[i]);
			json_dbl(&j, "measured_max_ns", cv->mmax[i]);
			json_dbl(&j, "rel_error", (cv->model[i] - cv->meas[i]) / cv->meas[i]);
			json_dbl(&j, "model_walks_per_access", cv->walks[i]);
			json_dbl(&j, "model_cycles_per_walk", cv->walk_cycles[i]);
			json_i64(&j, "thp_kb", cv->thp_kb[i]);
			if (f)
				json_dbl(&j, "fitted_ns", cv->fitted[i]);
			json_end_obj(&j);
		}
	json_end_arr(&j);
	json_begin_obj(&j, "knees");
	json_knees(&j, "measured", &c->cv[MODE_4K], &km[MODE_4K]);
	json_knees(&j, "model", &c->cv[MODE_4K], &kp[MODE_4K]);
	json_str(&j, "curve", "4k");
	json_dbl(&j, "factor", CALIB_KNEE_FACTOR);
	json_end_obj(&j);
	json_begin_arr(&j, "controls");
	for (size_t i = 0; i < c->cv[MODE_PACKED].n; i++) {
		const curve *cv = &c->cv[MODE_PACKED];
		json_begin_obj(&j, NULL);
		json_str(&j, "layout", "packed");
		json_u64(&j, "lines", cv->pages[i]);
		json_dbl(&j, "measured_ns", cv->meas[i]);
		json_dbl(&j, "model_ns", cv->model[i]);
		json_dbl(&j, "measured_min_ns", cv->mmin[i]);
		json_dbl(&j, "measured_max_ns", cv->mmax[i]);
		if (f)
			json_dbl(&j, "fitted_ns", cv->fitted[i]);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_begin_obj(&j, "knees_by_curve");
	for (int m = 0; m < MODES; m++) {
		if (!c->cv[m].present)
			continue;
		json_begin_obj(&j, mode_name[m]);
		json_knees(&j, "measured", &c->cv[m], &km[m]);
		json_knees(&j, "model", &c->cv[m], &kp[m]);
		json_end_obj(&j);
	}
	json_end_obj(&j);
	json_begin_obj(&j, "host");
	json_str(&j, "cpu_model", c->host.cpu);
	json_str(&j, "pinning", c->host.pinning);
	json_str(&j, "clock", c->host.timer);
	json_u64(&j, "reps", c->host.reps);
	json_u64(&j, "rounds", c->rounds);
	json_u64(&j, "seed", c->seed);
	json_dbl(&j, "core_freq_ghz", c->ghz);
	json_str(&j, "core_freq_source", c->ghz_src);
	json_str(&j, "measured_from", c->measured ? c->measured : "build/chase");
	json_begin_arr(&j, "not_measured");
	json_str(&j, NULL, c->host.counters);
	json_str(&j, NULL, c->host.clock);
	if (c->host.under_hypervisor)
		json_str(&j, NULL, "running under a hypervisor: the host's page size and walk are "
			 "not visible (inferred from the 2m curve)");
	json_end_arr(&j);
	for (int m = 0; m < MODES; m++)
		if (c->host.arena[m][0]) {
			char k[32];
			snprintf(k, sizeof(k), "arena_%s", mode_name[m]);
			json_str(&j, k, c->host.arena[m]);
		}
	json_end_obj(&j);
	if (f) {
		json_begin_obj(&j, "fit");
		json_str(&j, "preset", preset);
		json_begin_obj(&j, "values");
		for (size_t i = 0; i < f->n; i++)
			json_str(&j, f->v[i].key, f->v[i].value);
		json_end_obj(&j);
		json_begin_arr(&j, "not_fitted");
		for (size_t i = 0; i < f->nnotes; i++)
			json_str(&j, NULL, f->notes[i]);
		json_end_arr(&j);
		json_end_obj(&j);
	}
	json_end_obj(&j);
	json_finish(&j);
}

/* gnuplot's script: the curves as data blocks, log-log. */
static void plot_script(FILE *g, const cal *c, const knees km[MODES], int svg, int fitted)
{
	fprintf(g, "set terminal %s size 1100,680 %s\n", svg ? "svg" : "pngcairo",
		svg ? "dynamic font 'sans,11'" : "font 'sans,10'");
	fprintf(g, "set title \"%s: measured (median of runs, min..max bars) vs slatsim "
		"(cache.model=on, %.3f GHz)\" noenhanced\n", c->host.cpu, c->ghz);
	fputs("set logscale xy 2\nset xlabel 'N: pages (packed: 64-byte lines) in the cycle'\n"
	      "set ylabel 'ns per dependent load'\nset grid\nset key top left\n"
	      "set format x '%g'\nset format y '%g'\n", g);
	for (size_t i = 0; i < km[MODE_4K].n; i++)
		fprintf(g, "set arrow from %u, graph 0 to %u, graph 1 nohead dt 3 lc rgb '#999999'\n",
			c->cv[MODE_4K].pages[km[MODE_4K].at[i]], c->cv[MODE_4K].pages[km[MODE_4K].at[i]]);
	static const char *const color[MODES] = { "#1f77b4", "#d62728", "#2ca02c" };
	int any = 0;
	for (int m = 0; m < MODES; m++) {
		const curve *cv = &c->cv[m];
		if (!cv->present)
			continue;
		fprintf(g, "$%s << EOD\n", m == MODE_PACKED ? "packed" : m == MODE_4K ? "p4k" : "p2m");
		for (size_t i = 0; i < cv->n; i++)
			fprintf(g, "%u %.4f %.4f %.4f %.4f %.4f\n", cv->pages[i], cv->meas[i],
				cv->mmin[i], cv->mmax[i], cv->model[i], fitted ? cv->fitted[i] : 0);
		fputs("EOD\n", g);
	}
	fputs("plot ", g);
	for (int m = 0; m < MODES; m++) {
		const curve *cv = &c->cv[m];
		if (!cv->present)
			continue;
		const char *d = m == MODE_PACKED ? "$packed" : m == MODE_4K ? "$p4k" : "$p2m";
		fprintf(g, "%s%s using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.6 lc rgb '%s' "
			"title '%s measured', %s using 1:5 with lines lw 2 dt 2 lc rgb '%s' "
			"title '%s model'", any ? ", " : "", d, color[m], mode_name[m], d, color[m],
			mode_name[m]);
		if (fitted)
			fprintf(g, ", %s using 1:6 with lines lw 1 dt 4 lc rgb '%s' title '%s fitted'",
				d, color[m], mode_name[m]);
		any = 1;
	}
	fputc('\n', g);
}

static void run_plot(const cal *c, outfile *po, const knees km[MODES], int fitted)
{
	const char *name = outfile_name(po);
	size_t l = strlen(name);
	int svg = l > 4 && strcasecmp(name + l - 4, ".svg") == 0;
	FILE *pf = outfile_stream(po);
	if (fflush(pf) != 0)
		cli_write_failed(po, "--plot: write error");
	int fds[2];
	pid_t pid;
	make_pipe(fds);
	char *argv[] = { "gnuplot", NULL };
	int rc = spawn_child("gnuplot", argv, fds[0], fileno(pf), &pid);
	close(fds[0]);
	if (rc)
		cli_die(EXIT_FAIL, "--plot: cannot run gnuplot: %s (Debian: apt-get install "
			"gnuplot-nox)", strerror(rc));
	FILE *g = fdopen(fds[1], "w");
	if (!g)
		cli_die(EXIT_FAIL, "--plot: %s", strerror(errno));
	plot_script(g, c, km, svg, fitted);
	if (fclose(g) != 0)
		cli_die(EXIT_FAIL, "--plot: writing to gnuplot: %s", strerror(errno));
	reap(pid, "gnuplot");
}

/* ---------------------------------------------------------------- options */

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

static void parse_modes(const args *a, cal *c, const char *v)
{
	char s[64];
	if (strlen(v) >= sizeof(s))
		cli_usage_error(a, "--modes '%s': a list of 4k, 2m, packed", v);
	snprintf(s, sizeof(s), "%s", v);
	memset(c->want, 0, sizeof(c->want));
	char *save = NULL;
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int m;
		for (m = 0; m < MODES && strcmp(t, mode_name[m]); m++)
			;
		if (m == MODES)
			cli_usage_error(a, "--modes: '%s' is not 4k, 2m or packed", t);
		c->want[m] = 1;
	}
	if (!c->want[0] && !c->want[1] && !c->want[2])
		cli_usage_error(a, "--modes '%s': a list of 4k, 2m, packed", v);
}

static void parse_pages(const args *a, cal *c, const char *v)
{
	const char *p = v;
	c->npages = 0;
	while (*p) {
		char item[32];
		size_t l = strcspn(p, ",");
		if (l == 0 || l >= sizeof(item))
			cli_usage_error(a, "--pages '%s': a comma-separated list of counts from 2 to %u",
					v, MAX_PAGES);
		memcpy(item, p, l);
		item[l] = '\0';
		uint64_t n;
		if (param_parse_uint(item, 0, &n) != 0 || n < 2 || n > MAX_PAGES)
			cli_usage_error(a, "--pages: '%s' is not a count from 2 to %u", item, MAX_PAGES);
		if (c->npages == MAX_POINTS)
			cli_usage_error(a, "--pages: at most %d points", MAX_POINTS);
		c->pages[c->npages++] = (unsigned)n;
		p += l + (p[l] == ',');
		if (p[-1] == ',' && !*p)
			cli_usage_error(a, "--pages '%s': a comma-separated list of counts from 2 to %u",
					v, MAX_PAGES);
	}
	qsort(c->pages, c->npages, sizeof(c->pages[0]), cmp_unsigned);
	size_t k = 0;
	for (size_t i = 0; i < c->npages; i++)
		if (!k || c->pages[i] != c->pages[k - 1])
			c->pages[k++] = c->pages[i];
	c->npages = k;
}

static uint64_t count_in(const args *a, const char *opt, const char *v, uint64_t lo, uint64_t hi)
{
	uint64_t n = cli_parse_count(a, opt, v, 0);
	if (n < lo || n > hi)
		cli_usage_error(a, "%s '%s': not from %llu to %llu", opt, v, (unsigned long long)lo,
				(unsigned long long)hi);
	return n;
}

/* core.freq_ghz when it is set (its default is for the model, not this
 * host), or /proc/cpuinfo's "cpu MHz"; says which in C->ghz_src. */
static void choose_freq(cal *c, param_reg *p)
{
	c->ghz = param_float(p, "core.freq_ghz");
	if (param_is_set(p, "core.freq_ghz")) {
		snprintf(c->ghz_src, sizeof(c->ghz_src), "core.freq_ghz as configured");
		return;
	}
	char mhz[64];
	char *end;
	double v = cpuinfo("cpu MHz", mhz, sizeof(mhz)) == 0 ? strtod(mhz, &end) : 0;
	if (!(v > 0) || v > 100000)
		cli_die(EXIT_BAD, "calibrate: core.freq_ghz is not set and /proc/cpuinfo gives no "
			"'cpu MHz': give the core clock, e.g. --set core.freq_ghz=3.0");
	c->ghz = v / 1000;
	snprintf(c->ghz_src, sizeof(c->ghz_src), "/proc/cpuinfo 'cpu MHz' %s (core.freq_ghz not "
		 "set; the nominal clock: boost may run the core faster)", mhz);
	char val[32];
	snprintf(val, sizeof(val), "%.6g", c->ghz);
	set_param(p, "core.freq_ghz", val, "/proc/cpuinfo");
}

/* ---------------------------------------------------------------- the command */

int cmd_calibrate(args *a)
{
	cal *c = calloc(1, sizeof(*c));
	if (!c)
		cli_die(EXIT_FAIL, "out of memory (calibrate)");
	c->want[MODE_4K] = c->want[MODE_2M] = c->want[MODE_PACKED] = 1;
	c->reps = 7;
	c->rounds = 1;
	c->cpu = -1;
	c->seed = 1;
	c->clock = "cpu";
	int seen_points = 0, seen_seed = 0;
	const char *v;
	while (a->i < a->argc) {
		if (cli_is_help(a->argv[a->i])) {
			fputs(calibrate_usage, stdout);
			free(c);
			return 0;
		}
		if (cli_config_opt(a, &c->cfg))
			continue;
		if ((v = cli_opt_value(a, "--modes"))) { parse_modes(a, c, v); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--pages"))) { parse_pages(a, c, v); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--reps"))) { c->reps = (unsigned)count_in(a, "--reps", v, 1, 101); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--rounds"))) { c->rounds = (unsigned)count_in(a, "--rounds", v, 1, 100); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--accesses"))) { c->accesses = count_in(a, "--accesses", v, 1, UINT64_C(1) << 40); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--cpu"))) { c->cpu = (int)count_in(a, "--cpu", v, 0, 1023); seen_points = 1; continue; }
		if ((v = cli_opt_value(a, "--seed"))) { c->seed = cli_parse_count(a, "--seed", v, 0); seen_seed = 1; continue; }
		if ((v = cli_opt_value(a, "--clock"))) {
			if (strcmp(v, "cpu") && strcmp(v, "wall"))
				cli_usage_error(a, "--clock '%s': cpu (the thread's CPU time) or wall", v);
			c->clock = v;
			seen_points = 1;
			continue;
		}
		if ((v = cli_opt_value(a, "--measured"))) { c->measured = v; continue; }
		if ((v = cli_opt_value(a, "--json"))) { c->json = v; continue; }
		if ((v = cli_opt_value(a, "--plot"))) { c->plot = v; continue; }
		if ((v = cli_opt_value(a, "--preset"))) { c->preset = v; continue; }
		if (cli_opt_flag(a, "--fit")) { c->fit = 1; continue; }
		if (cli_opt_flag(a, "--quiet")) { c->quiet = 1; continue; }
		if (a->argv[a->i][0] == '-')
			cli_unknown_option(a);
		cli_usage_error(a, "calibrate takes no operand ('%s')", a->argv[a->i]);
	}
	if (c->measured && seen_points)
		cli_usage_error(a, "--measured takes the points from its file: --modes, --pages, "
				"--reps, --rounds, --accesses, --cpu and --clock do not apply");
	if (c->measured && seen_seed)
		cli_usage_error(a, "--measured takes the seed from its file's header: --seed does "
				"not apply");
	if (c->preset && !c->fit)
		cli_usage_error(a, "--preset names the file --fit writes: give --fit");
	if (c->fit && (!c->want[MODE_4K] || !c->want[MODE_PACKED]))
		cli_usage_error(a, "--fit needs the 4k curve and the packed control (its knees tell "
				"the caches' steps from the TLBs'): --modes must include 4k and packed");
	if (c->plot) {
		size_t l = strlen(c->plot);
		if (l < 5 || (strcasecmp(c->plot + l - 4, ".png") && strcasecmp(c->plot + l - 4, ".svg")))
			cli_usage_error(a, "--plot '%s': the name must end in .png or .svg (the format)",
					c->plot);
		if (!on_path("gnuplot"))
			cli_die(EXIT_BAD, "--plot needs gnuplot, which is not on PATH (Debian: apt-get "
				"install gnuplot-nox)");
	}
	if (!c->npages)
		for (unsigned p = 8; p <= MAX_PAGES; p *= 2)
			for (unsigned q = 0; q < 4 && (q == 0 || p < MAX_PAGES); q++)
				c->pages[c->npages++] = p + q * p / 4;
	c->progress = !c->quiet && isatty(2);

	/* The configuration: the user's, cache.model on unless they said. */
	param_reg *p = cli_build_params(a, &c->cfg), *user = cli_build_params(a, &c->cfg);
	size_t ci = param_index(p, "cache.model");
	c->cache_default = !param_is_set_at(p, ci);
	if (c->cache_default)
		set_param(p, "cache.model", "on", "calibrate");
	/* Whole laps are replayed: a record limit would stop a replay mid-trace. */
	set_param(p, "sim.max_records", "0", "calibrate");
	if (c->fit && param_enum(p, "cache.model") != 1)
		cli_usage_error(a, "--fit fits the cache model's latencies: it needs cache.model=on");
	choose_freq(c, p);
	if (c->measured)
		outset_add_input(a->outs, c->measured);
	/* A configuration the machine refuses is refused now, before minutes of measuring. */
	for (int m = 0; m < MODES; m++) {
		char err[1024];
		machine *s;
		set_param(p, "guest.page", mode_guest_page[m], "calibrate");
		int rc = machine_create(&s, p, err, sizeof(err));
		if (rc != TRACE_OK)
			cli_die_config(rc, p, err);
		machine_destroy(s);
	}
	set_param(p, "guest.page", param_text(user, "guest.page"), "calibrate");
	probe_host(c);
	/* A saved measurement is read now: its errors come before any output, and
	 * before a missing chase (bad input is exit 2 whatever else is missing). */
	if (c->measured)
		measure(c);
	if (c->fit && (!c->cv[MODE_4K].present || !c->cv[MODE_PACKED].present) && c->measured)
		cli_die(EXIT_BAD, "--fit needs the 4k curve and the packed control (its knees tell "
			"the caches' steps from the TLBs'): %s has no %s rows", c->measured,
			c->cv[MODE_4K].present ? "packed" : "4k");
	find_chase(c);   /* (the modelled side runs chase --trace, --measured or not) */

	char preset_path[PATH_MAX];
	if (c->fit && !c->preset) {
		/* The measured CPU's name (chase reads /proc/cpuinfo), else this one's. */
		char cpu[256], name[200];
		if (c->host.cpu[0])
			snprintf(cpu, sizeof(cpu), "%s", c->host.cpu);
		else if (cpuinfo("model name", cpu, sizeof(cpu)))
			snprintf(cpu, sizeof(cpu), "unknown");
		sanitize_cpu(cpu, name, sizeof(name));
		snprintf(preset_path, sizeof(preset_path), "sim/configs/host-%s.conf", name);
		c->preset = preset_path;
	}
	/* Every output is checked (and its temporary made) before the measurement. */
	outfile *jo = c->json ? cli_output(a, c->json, "--json", 0) : NULL;
	outfile *po = c->plot ? cli_output(a, c->plot, "--plot", 0) : NULL;
	outfile *fo = c->fit ? cli_output(a, c->preset, "--preset", 0) : NULL;
	FILE *tf = (jo && outfile_is_stdout(jo)) || (po && outfile_is_stdout(po)) ||
		   (fo && outfile_is_stdout(fo)) ? stderr : stdout;

	if (!c->measured)
		measure(c);
	model_sweep(c, p, MODEL_CONFIG, c->cv);

	knees km[MODES], kp[MODES];
	for (int m = 0; m < MODES; m++) {
		km[m] = knees_of(c->cv[m].meas, c->cv[m].n);
		kp[m] = knees_of(c->cv[m].model, c->cv[m].n);
	}
	fit f = { .n = 0 };
	param_reg *pf = NULL;
	if (c->fit) {
		pf = cli_build_params(a, &c->cfg);
		set_param(pf, "cache.model", "on", "--fit");
		set_param(pf, "sim.max_records", "0", "--fit");
		char val[32];
		snprintf(val, sizeof(val), "%.6g", c->ghz);
		set_param(pf, "core.freq_ghz", val, "--fit");
		fit_tlb(c, pf, &f, &km[MODE_4K], &km[MODE_2M], &km[MODE_PACKED]);
		fit_caches(c, &f);
		for (size_t i = 0; i < f.n; i++)
			set_param(pf, f.v[i].key, f.v[i].value, "--fit");
		fit_latencies(c, pf, &f);
		model_sweep(c, pf, MODEL_FITTED, c->cv);
	}

	/* The report. */
	host_info *h = &c->host;
	fprintf(tf, "slatsim calibrate: \"%s\"", h->cpu);
	if (!c->measured && h->family >= 0)
		fprintf(tf, " (family %d, model %d), %d CPUs%s", h->family, h->model, h->cpus,
			h->under_hypervisor ? ", under a hypervisor" : "");
	fprintf(tf, "\n  measured: %s, %s, %u runs per point (median)", c->measured ?
		c->measured : c->chase, h->pinning, h->reps);
	if (c->rounds > 1)
		fprintf(tf, ", %u rounds (median of the medians)", c->rounds);
	fprintf(tf, ", seed %" PRIu64 "\n", c->seed);
	if (h->timer[0])
		fprintf(tf, "    clock: %s\n", h->timer);
	for (int m = 0; m < MODES; m++)
		if (h->arena[m][0])
			fprintf(tf, "    %s arena: %s\n", mode_name[m], h->arena[m]);
	fprintf(tf, "  modelled: the configuration with cache.model=%s%s; guest.page per curve "
		"(4k, 2m; packed 2m); %d laps warm up, %d counted\n",
		param_text(p, "cache.model"), c->cache_default ? " (calibrate's default: with it "
		"off, walks cost mem.pte_latency per read and data nothing beyond L1, and the "
		"curves are not comparable)" : "", WARM_LAPS, LAPS - WARM_LAPS);
	fprintf(tf, "  time: model cycles at %.3f GHz: %s\n", c->ghz, c->ghz_src);
	if (!c->measured) {
		fprintf(tf, "  not measured: %s; %s", h->counters, h->clock);
		if (h->under_hypervisor)
			fputs("; running under a hypervisor: the host's page size and walk are not "
			      "visible (the 2m curve shows them)", tf);
		fprintf(tf, "\n  load average %.2f before, %.2f after, on %d CPUs%s\n", h->load[0],
			h->load[1], h->cpus, h->load[0] + h->load[1] > 0.5 * h->cpus ?
			": other work shared the machine (medians; see min..max)" : "");
	}
	print_table(tf, c, c->fit);
	print_knees(tf, c, km, kp);
	fputs("  relative error (model - measured) / measured, median of |error|:", tf);
	for (int m = 0; m < MODES; m++)
		if (c->cv[m].present)
			fprintf(tf, " %s %.1f%%", mode_name[m], 100 * median_abs_err(&c->cv[m],
										c->cv[m].model));
	fputc('\n', tf);
	if (c->fit) {
		fprintf(tf, "\n  --fit: %s\n", c->preset);
		for (size_t i = 0; i < f.n; i++)
			fprintf(tf, "    %-20s %6s  %s\n", f.v[i].key, f.v[i].value, f.v[i].why);
		for (size_t i = 0; i < f.nnotes; i++)
			fprintf(tf, "    not fitted: %s\n", f.notes[i]);
		fputs("  with the fitted preset, median of |error|:", tf);
		for (int m = 0; m < MODES; m++)
			if (c->cv[m].present)
				fprintf(tf, " %s %.1f%% (was %.1f%%)", mode_name[m],
					100 * median_abs_err(&c->cv[m], c->cv[m].fitted),
					100 * median_abs_err(&c->cv[m], c->cv[m].model));
		fputc('\n', tf);
	}
	cli_flush_stdout();

	if (fo) {
		const char *base = strrchr(c->preset, '/');
		write_preset(c, user, &f, outfile_stream(fo), base ? base + 1 : c->preset);
		cli_commit(fo);
	}
	if (jo) {
		write_json(c, outfile_stream(jo), p, km, kp, c->fit ? &f : NULL, c->preset);
		cli_commit(jo);
	}
	if (po) {
		run_plot(c, po, km, c->fit);
		cli_commit(po);
	}
	param_destroy(p);
	param_destroy(user);
	if (pf)
		param_destroy(pf);
	free(c);
	return 0;
}
