/*
 * sim/study/calibrate.c - the calibration engine (calibrate.h): the model held
 * against the host (issue 18; its own room since issue 22, out of the
 * command line, which now parses, calls these verbs and prints).
 *
 * 1. Measure: run tools/chase.c on the host - a dependent 8-byte load per
 *    4 KB page over N pages in one random cycle, in a 4 KB-page arena
 *    (curve "4k") and a 2 MB-page (THP) arena ("2m"), and the packed-lines
 *    control (N consecutive 64-byte lines) - chase pins itself, repeats
 *    each point and reports the median; ROUNDS repeats the whole sweep and
 *    takes the median of the medians. Or read a table chase printed.
 * 2. Model: for every point, chase writes the identical access pattern as a
 *    text trace (chase --trace, on a pipe: nothing on disk) and the machine
 *    replays it in-process with the configuration, guest.page set to the
 *    curve's page (packed: 2m, as its THP arena): two laps warm the machine
 *    up (faults, cold caches: replay's warm-up), two laps are counted.
 * 3. Knees: of every curve, measured and modelled (sim/study/calib.h: a rise
 *    above 1.5x the plateau before it, two points in a row).
 * 4. Fit: TLB sizes from the measured knees, the host page size from the
 *    2m knees, cache geometry from sysfs, latencies from the plateaus (the
 *    model replayed once with the fitted geometry gives each point's counts;
 *    sim/study/calib.h), written as a preset that says where each value came from;
 *    the model replayed again with it shows the error that remains.
 *
 * Assumptions:
 *  - A dependent load costs its L1D load-to-use latency plus what the model
 *    charges beyond an L1 hit (cycles.total less cycles.instructions, per
 *    access: TLB lookups, walks, data from L2/LLC/memory), turned into
 *    nanoseconds at core.freq_ghz. When core.freq_ghz is not set, the clock
 *    is /proc/cpuinfo's "cpu MHz": the nominal one (boost may run faster).
 *  - chase's table: header comments `# chase: cpu "NAME", PINNING, R runs
 *    per point (median), seed S`, `# clock: ...` and `# MODE: ...` (its
 *    arena), then tab-separated rows "mode pages accesses ns_median ns_min
 *    ns_max thp_kb", each curve's pages increasing; the rounds of one run
 *    measure the same points. A row starts with its mode (4k, 2m, packed),
 *    which is how progress counts them.
 *  - Cache geometry is this machine's sysfs (the CPU chase was pinned to,
 *    else cpu0), also for a saved table measured elsewhere (the fit says so).
 *
 * The only state is the engine's own (struct calibrate); the tables below
 * are constant.
 */
#include "calibrate.h"
#include "machine.h"
#include "replay.h"
#include "trace.h"

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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/perf_event.h>

extern char **environ;

static const char *const mode_name[CALIBRATE_MODES] = { "4k", "2m", "packed" };
/* The guest page each curve is replayed with (packed: chase's THP arena). */
static const char *const mode_guest_page[CALIBRATE_MODES] = { "4k", "2m", "2m" };

struct calibrate {
	calibrate_config cfg;
	param_reg *p;              /* the replayed configuration */
	param_reg *user;           /* the caller's, as given (the preset repeats it) */
	char chase[PATH_MAX];
	double ghz;
	char ghz_src[200];
	int cache_default;         /* cache.model was not set: calibrate's default on */
	calibrate_host host;
	calibrate_curve cv[CALIBRATE_MODES];
	calibrate_knee_set km[CALIBRATE_MODES], kp[CALIBRATE_MODES];   /* measured, model */
	int modelled, kneed, fitted;
	calibrate_fit_result f;
};

const char *calibrate_mode_name(int mode)
{
	assert(mode >= 0 && mode < CALIBRATE_MODES && "calibrate_mode_name: a curve");
	return mode_name[mode];
}

/* ---------------------------------------------------------------- small helpers */

/* The message into the verb's ERR (ERRLEN bytes), and CODE: a verb's
 * `return FAIL(TRACE_E..., "...", ...)`. */
#define FAIL(code, ...) (snprintf(err, errlen, __VA_ARGS__), (code))

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

static int set_param(param_reg *p, const char *key, const char *value, const char *origin,
		     char *err, size_t errlen)
{
	char m[512];
	if (param_set(p, key, value, origin, m, sizeof(m)) != PARAM_OK)
		return FAIL(TRACE_EFORMAT, "%s", m);
	return TRACE_OK;
}

/* ---------------------------------------------------------------- children */

/* Start PROG with ARGV, its standard input on IN_FD and output on OUT_FD (-1:
 * ours), the signals our caller's watcher blocks unblocked and SIGPIPE at
 * its default. Returns 0 and *PID, or an errno. */
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
static int make_pipe(int fds[2], char *err, size_t errlen)
{
	if (pipe(fds) != 0)
		return FAIL(TRACE_EINTERNAL, "calibrate: pipe: %s", strerror(errno));
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return TRACE_OK;
}

/* Wait for PID: TRACE_OK when it exited with status 0, else a message
 * naming WHAT. */
static int reap(pid_t pid, const char *what, char *err, size_t errlen)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return FAIL(TRACE_EINTERNAL, "calibrate: waitpid (%s): %s", what,
				    strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return TRACE_OK;
	if (WIFEXITED(st))
		return FAIL(TRACE_EINTERNAL, "calibrate: %s failed (exit status %d)",
			    what, WEXITSTATUS(st));
	return FAIL(TRACE_EINTERNAL, "calibrate: %s was killed by signal %d", what,
		    WTERMSIG(st));
}

/* Wait for PID after a failure of ours, whose message is the one to report
 * (with our end of its pipe closed, a writer ends on SIGPIPE). */
static void reap_quietly(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Run chase with ARGV; its whole standard output into *OUT (NUL-ended, the
 * caller frees it). Progress counts the rows of TOTAL as they come. */
static int run_chase(const calibrate *c, char *const argv[], size_t total, unsigned round,
		     char **out, char *err, size_t errlen)
{
	int fds[2];
	pid_t pid;
	int rc = make_pipe(fds, err, errlen);
	if (rc)
		return rc;
	int e = spawn_child(c->chase, argv, -1, fds[1], &pid);
	close(fds[1]);
	if (e) {
		close(fds[0]);
		return FAIL(TRACE_EINTERNAL, "calibrate: cannot run %s: %s", c->chase,
			    strerror(e));
	}
	size_t len = 0, cap = 1 << 16, rows = 0;
	int at_start = 1;
	char *buf = malloc(cap);
	while (buf) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
			if (!buf)
				break;
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
		if (c->cfg.progress)
			c->cfg.progress(c->cfg.progress_ctx, round, c->cfg.rounds, rows, total, 0);
	}
	close(fds[0]);
	if (!buf) {
		reap_quietly(pid);
		return FAIL(TRACE_ENOMEM, "out of memory (chase output)");
	}
	buf[len] = '\0';
	if (c->cfg.progress)
		c->cfg.progress(c->cfg.progress_ctx, round, c->cfg.rounds, rows, total, 1);
	if ((rc = reap(pid, "chase", err, errlen)) != TRACE_OK) {
		free(buf);
		return rc;
	}
	*out = buf;
	return TRACE_OK;
}

/* ---------------------------------------------------------------- measurement */

typedef double point_row[CALIBRATE_MAX_POINTS];

/* chase's header line `# chase: cpu "NAME", PINNING, R runs per point
 * (median), seed S` (from the first quote on, in LINE; changed). */
static void parse_header(calibrate *c, char *s)
{
	char *q = strchr(s, '"');
	if (!q)
		return;
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
		c->host.seed = sv;
}

/* One table chase printed (or a saved one), named ORIGIN in messages: its
 * rows go into MEAS, MMIN and MMAX (one round of every curve). FIRST: the
 * first round, which sets the curves' points and the host's description
 * from the header comments; later rounds must have the same points. */
static int parse_chase(calibrate *c, const char *text, const char *origin, point_row *meas,
		       point_row *mmin, point_row *mmax, int first, char *err, size_t errlen)
{
	const char *p = text;
	unsigned lineno = 0;
	size_t got[CALIBRATE_MODES] = { 0 };
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		char line[512];
		lineno++;
		if (l >= sizeof(line))
			return FAIL(TRACE_EFORMAT, "%s:%u: line too long for a chase "
				    "table", origin, lineno);
		memcpy(line, p, l);
		line[l] = '\0';
		p += l + (e != NULL);
		if (strncmp(line, "# chase: cpu \"", 14) == 0 && first) {
			parse_header(c, line + 14);
			continue;
		}
		if (first && strncmp(line, "# clock: ", 9) == 0) {
			snprintf(c->host.timer, sizeof(c->host.timer), "%.159s", line + 9);
			continue;
		}
		if (line[0] == '#') {
			for (int m = 0; m < CALIBRATE_MODES; m++) {
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
			return FAIL(TRACE_EFORMAT, "%s:%u: not a row of a chase table (mode "
				    "pages accesses ns_median ns_min ns_max thp_kb)", origin, lineno);
		for (m = 0; m < CALIBRATE_MODES && strcmp(mode, mode_name[m]); m++)
			;
		if (m == CALIBRATE_MODES || pages < 2 || pages > CALIBRATE_MAX_PAGES || !(med > 0) ||
		    !(mn > 0) || !(mx > 0) || !isfinite(med) || !isfinite(mn) || !isfinite(mx))
			return FAIL(TRACE_EFORMAT, "%s:%u: bad row (mode 4k|2m|packed, pages "
				    "2..%u, positive finite ns)", origin, lineno, CALIBRATE_MAX_PAGES);
		calibrate_curve *cv = &c->cv[m];
		size_t i = got[m]++;
		if (first) {
			if (i == CALIBRATE_MAX_POINTS)
				return FAIL(TRACE_EFORMAT, "%s:%u: more than %d points of %s",
					    origin, lineno, CALIBRATE_MAX_POINTS, mode_name[m]);
			if (i && pages <= cv->pages[i - 1])
				return FAIL(TRACE_EFORMAT, "%s:%u: %s pages must increase "
					    "(%u after %u)", origin, lineno, mode_name[m], pages,
					    cv->pages[i - 1]);
			cv->present = 1;
			cv->pages[i] = pages;
			cv->thp_kb[i] = thp;
			cv->n = i + 1;
		} else if (i >= cv->n || cv->pages[i] != pages) {
			return FAIL(TRACE_EINTERNAL, "calibrate: chase's rounds measured "
				    "different points (%s %u)", mode_name[m], pages);
		}
		meas[m][i] = med;
		mmin[m][i] = mn;
		mmax[m][i] = mx;
	}
	int any = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++)
		any |= c->cv[m].present;
	if (!any)
		return FAIL(TRACE_EFORMAT, "%s: no measured points (a chase table has "
			    "rows 'mode pages accesses ns_median ns_min ns_max thp_kb')", origin);
	return TRACE_OK;
}

/* The saved table CFG.measured ("-": standard input) as one round. */
static int read_saved(calibrate *c, point_row *meas, point_row *mmin, point_row *mmax, char *err,
		      size_t errlen)
{
	const char *path = c->cfg.measured;
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f)
		return FAIL(TRACE_EIO, "--measured %s: %s", path, strerror(errno));
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
	int e = buf && ferror(f) ? errno : 0;
	if (f != stdin)
		fclose(f);
	if (!buf)
		return FAIL(TRACE_ENOMEM, "out of memory (--measured)");
	int rc = TRACE_OK;
	buf[len] = '\0';
	if (e)   /* (a directory: EISDIR) */
		rc = FAIL(TRACE_EIO, "--measured %s: read error: %s", path, strerror(e));
	else if (memchr(buf, '\0', len))
		rc = FAIL(TRACE_EFORMAT, "--measured %s: a NUL byte: not a chase table",
			  path);
	else
		rc = parse_chase(c, buf, path, meas, mmin, mmax, 1, err, errlen);
	free(buf);
	return rc;
}

/* Run chase CFG.rounds times over the curves and points CFG wants. */
static int run_sweeps(calibrate *c, point_row *meas, point_row *mmin, point_row *mmax, char *err,
		      size_t errlen)
{
	const calibrate_config *g = &c->cfg;
	char pages[CALIBRATE_MAX_POINTS * 8] = "", modes[32] = "", reps[16], acc[32], cpu[16],
	     seed[32];
	for (size_t i = 0; i < g->npages; i++)
		snprintf(pages + strlen(pages), sizeof(pages) - strlen(pages), "%s%u", i ? "," : "",
			 g->pages[i]);
	size_t total = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++)
		if (g->want[m]) {
			snprintf(modes + strlen(modes), sizeof(modes) - strlen(modes), "%s%s",
				 modes[0] ? "," : "", mode_name[m]);
			total += g->npages;
		}
	snprintf(reps, sizeof(reps), "%u", g->reps);
	snprintf(acc, sizeof(acc), "%" PRIu64, g->accesses);
	snprintf(cpu, sizeof(cpu), "%d", g->cpu);
	snprintf(seed, sizeof(seed), "%" PRIu64, c->host.seed);
	char *argv[16] = { "chase", "--modes", modes, "--pages", pages, "--reps", reps,
			   "--seed", seed, "--clock", (char *)g->clock };
	int n = 11;
	if (g->accesses) {
		argv[n++] = "--accesses";
		argv[n++] = acc;
	}
	if (g->cpu >= 0) {
		argv[n++] = "--cpu";
		argv[n++] = cpu;
	}
	argv[n] = NULL;
	char load[128];
	if (read_line("/proc/loadavg", load, sizeof(load)) == 0)
		c->host.load[0] = atof(load);
	for (unsigned r = 0; r < g->rounds; r++) {
		char *out = NULL;
		int rc = run_chase(c, argv, total, r, &out, err, errlen);
		if (rc != TRACE_OK)
			return rc;
		rc = parse_chase(c, out, "chase", meas + (size_t)r * CALIBRATE_MODES,
				 mmin + (size_t)r * CALIBRATE_MODES, mmax + (size_t)r * CALIBRATE_MODES,
				 r == 0, err, errlen);
		free(out);
		if (rc != TRACE_OK)
			return rc;
	}
	if (read_line("/proc/loadavg", load, sizeof(load)) == 0)
		c->host.load[1] = atof(load);
	return TRACE_OK;
}

/* What could not be measured or pinned, in words (calibrate_host). */
static void probe_host(calibrate *c)
{
	calibrate_host *h = &c->host;
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

int calibrate_measure(calibrate *c, char *err, size_t errlen)
{
	assert((c->cfg.measured || c->chase[0]) && "calibrate_measure: chase is set");
	probe_host(c);
	size_t rows = (size_t)CALIBRATE_MODES * c->cfg.rounds;
	point_row *meas = calloc(rows, sizeof(*meas));
	point_row *mmin = calloc(rows, sizeof(*mmin));
	point_row *mmax = calloc(rows, sizeof(*mmax));
	int rc = TRACE_OK;
	if (!meas || !mmin || !mmax)
		rc = FAIL(TRACE_ENOMEM, "out of memory (measurements)");
	else if (c->cfg.measured)
		rc = read_saved(c, meas, mmin, mmax, err, errlen);
	else
		rc = run_sweeps(c, meas, mmin, mmax, err, errlen);
	/* The median of the rounds' medians; the extremes of every run. */
	for (int m = 0; rc == TRACE_OK && m < CALIBRATE_MODES; m++) {
		calibrate_curve *cv = &c->cv[m];
		for (size_t i = 0; i < cv->n; i++) {
			double v[100];
			cv->mmin[i] = mmin[m][i];
			cv->mmax[i] = mmax[m][i];
			for (unsigned r = 0; r < c->cfg.rounds; r++) {
				size_t at = (size_t)r * CALIBRATE_MODES + (size_t)m;
				v[r] = meas[at][i];
				cv->mmin[i] = fmin(cv->mmin[i], mmin[at][i]);
				cv->mmax[i] = fmax(cv->mmax[i], mmax[at][i]);
			}
			cv->meas[i] = calib_median(v, c->cfg.rounds);
		}
	}
	free(meas);
	free(mmin);
	free(mmax);
	return rc;
}

/* ---------------------------------------------------------------- model */

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

/* The columns USE names of point I of curve M, from the statistics ST of
 * its replay under P. */
static int fill_point(const calibrate *c, const param_reg *p, const stats_reg *st, int m,
		      size_t i, enum model_use use, calibrate_curve *cv, char *err, size_t errlen)
{
	double acc = stat_of(st, "accesses");
	if (acc <= 0)
		return FAIL(TRACE_EINTERNAL, "calibrate: the model counted no access "
			    "at %s %u pages", mode_name[m], cv->pages[i]);
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
	return TRACE_OK;
}

/* Replay point I of curve M through a machine built from P (guest.page set
 * for the curve) and fill the columns USE names. */
static int model_point(const calibrate *c, param_reg *p, int m, size_t i, enum model_use use,
		       calibrate_curve *cv, char *err, size_t errlen)
{
	char pages[16], laps[16], seed[32], path[32];
	int rc = set_param(p, "guest.page", mode_guest_page[m], "calibrate", err, errlen);
	if (rc != TRACE_OK)
		return rc;
	machine *s;
	if ((rc = machine_create(&s, p, err, errlen)) != TRACE_OK)
		return rc;
	snprintf(pages, sizeof(pages), "%u", cv->pages[i]);
	snprintf(laps, sizeof(laps), "%d", CALIBRATE_LAPS);
	snprintf(seed, sizeof(seed), "%" PRIu64, c->host.seed);
	char *argv[] = { "chase", "--trace", "-", "--modes", (char *)mode_name[m], "--pages", pages,
			 "--laps", laps, "--seed", seed, NULL };
	int fds[2];
	pid_t pid;
	if ((rc = make_pipe(fds, err, errlen)) != TRACE_OK) {
		machine_destroy(s);
		return rc;
	}
	int e = spawn_child(c->chase, argv, -1, fds[1], &pid);
	close(fds[1]);
	if (e) {
		close(fds[0]);
		machine_destroy(s);
		return FAIL(TRACE_EINTERNAL, "calibrate: cannot run %s: %s", c->chase,
			    strerror(e));
	}
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	trace_reader *r;
	trace_open_opts oo = { .format = TRACE_FMT_TEXT };
	if ((rc = trace_open_with(&r, path, &oo, err, errlen)) == TRACE_OK) {
		replay_opts ro = { .warmup = (uint64_t)CALIBRATE_WARM_LAPS * cv->pages[i] };
		rc = replay_run(s, r, &ro, NULL, err, errlen);
		trace_close(r);
	}
	close(fds[0]);
	if (rc != TRACE_OK)
		reap_quietly(pid);
	else
		rc = reap(pid, "chase --trace", err, errlen);
	if (rc == TRACE_OK)
		rc = fill_point(c, p, machine_stats(s), m, i, use, cv, err, errlen);
	machine_destroy(s);
	return rc;
}

static int model_sweep(calibrate *c, param_reg *p, enum model_use use, char *err, size_t errlen)
{
	for (int m = 0; m < CALIBRATE_MODES; m++)
		for (size_t i = 0; i < c->cv[m].n; i++) {
			int rc = model_point(c, p, m, i, use, &c->cv[m], err, errlen);
			if (rc != TRACE_OK)
				return rc;
		}
	return TRACE_OK;
}

int calibrate_model(calibrate *c, char *err, size_t errlen)
{
	assert(c->chase[0] && "calibrate_model: chase is set");
	int rc = model_sweep(c, c->p, MODEL_CONFIG, err, errlen);
	c->modelled = rc == TRACE_OK;
	return rc;
}

/* ---------------------------------------------------------------- knees */

static calibrate_knee_set knees_of(const double *ns, size_t n)
{
	calibrate_knee_set k = { .n = 0 };
	k.npl = calib_plateaus(ns, n, CALIB_KNEE_FACTOR, k.pl, CALIBRATE_MAX_KNEES + 1);
	for (size_t i = 1; i < k.npl; i++)
		k.at[k.n++] = k.pl[i].first;
	return k;
}

void calibrate_knees(calibrate *c)
{
	assert(c->modelled && "calibrate_knees: after calibrate_model");
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		c->km[m] = knees_of(c->cv[m].meas, c->cv[m].n);
		c->kp[m] = knees_of(c->cv[m].model, c->cv[m].n);
	}
	c->kneed = 1;
}

/* 1 when pages A and B are within CALIB_KNEE_FACTOR of each other. */
static int within_factor(unsigned a, unsigned b)
{
	return (double)a <= CALIB_KNEE_FACTOR * b && (double)b <= CALIB_KNEE_FACTOR * a;
}

double calibrate_median_error(const calibrate_curve *cv, const double *model)
{
	double e[CALIBRATE_MAX_POINTS];
	for (size_t i = 0; i < cv->n; i++)
		e[i] = fabs(model[i] - cv->meas[i]) / cv->meas[i];
	return calib_median(e, cv->n);
}

/* ---------------------------------------------------------------- the fit */

static void fit_add(calibrate_fit_result *f, const char *key, const char *value,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fit_add(calibrate_fit_result *f, const char *key, const char *value,
		    const char *fmt, ...)
{
	if (f->n == sizeof(f->v) / sizeof(f->v[0]))
		return;
	calibrate_fit_value *v = &f->v[f->n++];
	snprintf(v->key, sizeof(v->key), "%s", key);
	snprintf(v->value, sizeof(v->value), "%s", value);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

static void fit_note(calibrate_fit_result *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fit_note(calibrate_fit_result *f, const char *fmt, ...)
{
	if (f->nnotes == sizeof(f->notes) / sizeof(f->notes[0]))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->notes[f->nnotes++], sizeof(f->notes[0]), fmt, ap);
	va_end(ap);
}

static int fit_has(const calibrate_fit_result *f, const char *key)
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
static size_t tlb_steps(const calibrate *c, size_t (*out)[2])
{
	const calibrate_knee_set *k4 = &c->km[CALIBRATE_4K], *kp = &c->km[CALIBRATE_PACKED];
	size_t n = 0;
	for (size_t j = 0; j < k4->n; j++) {
		unsigned pg = c->cv[CALIBRATE_4K].pages[k4->at[j]];
		int is_cache = 0;
		for (size_t i = 0; i < kp->n; i++)
			is_cache |= within_factor(pg, c->cv[CALIBRATE_PACKED].pages[kp->at[i]]);
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

/* host.page from the 2m curve where the 4k curve's first TLB step (STEP) is. */
static void fit_host_page(const calibrate *c, const param_reg *p, calibrate_fit_result *f,
			  const size_t step[2])
{
	const calibrate_curve *cv = &c->cv[CALIBRATE_4K], *c2 = &c->cv[CALIBRATE_2M];
	const calib_plateau *a = &c->km[CALIBRATE_4K].pl[step[1]];
	/* 2 MB guest pages backed by 2 MB host pages stay on the first plateau
	 * where 4 KB pages have left it; backed by 4 KB host pages they rise too. */
	double v[CALIBRATE_MAX_POINTS];
	size_t n = 0;
	for (size_t i = 0; i < c2->n; i++)
		if (c2->pages[i] >= cv->pages[a->first] && c2->pages[i] <= cv->pages[a->last])
			v[n++] = c2->meas[i];
	double at = calib_median(v, n), base = c->km[CALIBRATE_2M].pl[0].level;
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

static void fit_tlb(const calibrate *c, const param_reg *p, calibrate_fit_result *f)
{
	const calibrate_curve *cv = &c->cv[CALIBRATE_4K];
	const calibrate_knee_set *k4 = &c->km[CALIBRATE_4K];
	size_t st[CALIBRATE_MAX_KNEES][2];
	size_t nst = cv->present ? tlb_steps(c, st) : 0;
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
		calib_tlb_geometry(size, machine_param_ways(p, lvl[t]), &e, &w);   /* (auto resolved) */
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
	if (nst && c->cv[CALIBRATE_2M].present && c->km[CALIBRATE_2M].npl)
		fit_host_page(c, p, f, st[0]);
}

/* Cache geometry from sysfs (the CPU chase was pinned to, else cpu0). */
static void fit_caches(const calibrate *c, calibrate_fit_result *f)
{
	int cpu = 0;
	const char *pin = strstr(c->host.pinning, "pinned to CPU ");
	if (pin && strncmp(c->host.pinning, "not", 3) != 0)
		cpu = atoi(pin + 14);
	if (c->cfg.measured)
		fit_note(f, "cache geometry: read from this machine's sysfs, not from the one "
			 "that measured %s", c->cfg.measured);
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
static int fit_latencies(calibrate *c, param_reg *pf, calibrate_fit_result *f, char *err,
			 size_t errlen)
{
	int rc = model_sweep(c, pf, MODEL_COUNTS, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	calib_obs obs[CALIBRATE_MODES * CALIBRATE_MAX_POINTS];
	size_t n = 0, at[CALIBRATE_MODES * CALIBRATE_MAX_POINTS];   /* obs[k]: point at[k] */
	for (int m = 0; m < CALIBRATE_MODES; m++)
		for (size_t i = 0; i < c->cv[m].n; i++) {
			at[n] = i;
			obs[n++] = c->cv[m].obs[i];
		}
	/* Caches from the packed control (what it is for); the L2 TLB from the
	 * 4k curve alone (what 2 MB guest pages cost depends on the host's
	 * backing, which the fit sets apart). Walks past the L2 TLB are not
	 * fitted: the model's walk is what it is, and the error shows it. */
	const unsigned packed = 1u << CALIBRATE_PACKED, pagec = 1u << CALIBRATE_4K;
	const unsigned curves[CALIB_LATS] = { packed, pagec, packed, packed, packed };
	double lat[CALIB_LATS];
	calib_lat_fit out[CALIB_LATS];
	for (int k = 0; k < CALIB_LATS; k++)
		lat[k] = (double)param_int(pf, lat_key[k]);
	if (calib_fit_latencies(obs, n, curves, lat, out) != 0)
		return FAIL(TRACE_ENOMEM, "out of memory (fit)");
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
		const calibrate_curve *ca = &c->cv[a->curve], *cb = &c->cv[b->curve];
		size_t ia = at[out[k].first], ib = at[out[k].last];
		snprintf(val, sizeof(val), "%.0f", out[k].value);
		fit_add(f, lat_key[k], val, "median over %zu points (%s %u .. %s %u: %.2f .. %.2f ns) "
			"of what the measured cost leaves for it at %.3f GHz: %.2f cycles",
			out[k].points, mode_name[a->curve], ca->pages[ia], mode_name[b->curve],
			cb->pages[ib], ca->meas[ia], cb->meas[ib], c->ghz, out[k].value);
		if ((rc = set_param(pf, lat_key[k], val, "--fit", err, errlen)) != TRACE_OK)
			return rc;
	}
	return TRACE_OK;
}

/* The preset's configuration: the caller's with the fitted values. */
static int fit_into(calibrate *c, param_reg *pf, char *err, size_t errlen)
{
	char val[32];
	snprintf(val, sizeof(val), "%.6g", c->ghz);
	int rc;
	if ((rc = set_param(pf, "cache.model", "on", "--fit", err, errlen)) != TRACE_OK ||
	    (rc = set_param(pf, "sim.max_records", "0", "--fit", err, errlen)) != TRACE_OK ||
	    (rc = set_param(pf, "core.freq_ghz", val, "--fit", err, errlen)) != TRACE_OK)
		return rc;
	fit_tlb(c, pf, &c->f);
	fit_caches(c, &c->f);
	for (size_t i = 0; i < c->f.n; i++)
		if ((rc = set_param(pf, c->f.v[i].key, c->f.v[i].value, "--fit", err, errlen)))
			return rc;
	if ((rc = fit_latencies(c, pf, &c->f, err, errlen)) != TRACE_OK)
		return rc;
	return model_sweep(c, pf, MODEL_FITTED, err, errlen);
}

int calibrate_fit(calibrate *c, char *err, size_t errlen)
{
	assert(c->kneed && "calibrate_fit: after calibrate_knees");
	param_reg *pf = param_clone(c->user);
	if (!pf)
		return FAIL(TRACE_ENOMEM, "out of memory (fit)");
	memset(&c->f, 0, sizeof(c->f));
	int rc = fit_into(c, pf, err, errlen);
	param_destroy(pf);
	c->fitted = rc == TRACE_OK;
	return rc;
}

/* ---------------------------------------------------------------- outputs */

void calibrate_default_preset(const calibrate *c, char *buf, size_t len)
{
	/* The measured CPU's name (chase reads /proc/cpuinfo), else this one's. */
	char cpu[256], name[200];
	if (c->host.cpu[0])
		snprintf(cpu, sizeof(cpu), "%s", c->host.cpu);
	else if (cpuinfo("model name", cpu, sizeof(cpu)))
		snprintf(cpu, sizeof(cpu), "unknown");
	sanitize_cpu(cpu, name, sizeof(name));
	snprintf(buf, len, "sim/configs/host-%s.conf", name);
}

void calibrate_write_preset(const calibrate *c, FILE *o, const char *name)
{
	assert(c->fitted && "calibrate_write_preset: after calibrate_fit");
	const calibrate_fit_result *f = &c->f;
	const param_reg *user = c->user;
	fprintf(o, "# %s - written by 'slatsim calibrate --fit' (slatsim %s).\n", name,
		SLATSIM_VERSION);
	fprintf(o, "# Host: \"%s\"", c->host.cpu);
	if (c->host.family >= 0 && !c->cfg.measured)
		fprintf(o, " (family %d, model %d), %d CPUs%s", c->host.family, c->host.model,
			c->host.cpus, c->host.under_hypervisor ? ", under a hypervisor" : "");
	fprintf(o, ".\n# Measured: %s, %s, %u runs per point (median), %u round%s, seed %" PRIu64
		".\n", c->cfg.measured ? c->cfg.measured : "build/chase", c->host.pinning,
		c->host.reps, c->cfg.rounds, c->cfg.rounds > 1 ? "s (median of the medians)" : "",
		c->host.seed);
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

/* gnuplot's script: the curves as data blocks, log-log. */
static void plot_script(FILE *g, const calibrate *c, int svg, int fitted)
{
	const calibrate_knee_set *k4 = &c->km[CALIBRATE_4K];
	const calibrate_curve *c4 = &c->cv[CALIBRATE_4K];
	fprintf(g, "set terminal %s size 1100,680 %s\n", svg ? "svg" : "pngcairo",
		svg ? "dynamic font 'sans,11'" : "font 'sans,10'");
	fprintf(g, "set title \"%s: measured (median of runs, min..max bars) vs slatsim "
		"(cache.model=on, %.3f GHz)\" noenhanced\n", c->host.cpu, c->ghz);
	fputs("set logscale xy 2\nset xlabel 'N: pages (packed: 64-byte lines) in the cycle'\n"
	      "set ylabel 'ns per dependent load'\nset grid\nset key top left\n"
	      "set format x '%g'\nset format y '%g'\n", g);
	for (size_t i = 0; i < k4->n; i++)
		fprintf(g, "set arrow from %u, graph 0 to %u, graph 1 nohead dt 3 lc rgb '#999999'\n",
			c4->pages[k4->at[i]], c4->pages[k4->at[i]]);
	static const char *const color[CALIBRATE_MODES] = { "#1f77b4", "#d62728", "#2ca02c" };
	static const char *const block[CALIBRATE_MODES] = { "$p4k", "$p2m", "$packed" };
	int any = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		const calibrate_curve *cv = &c->cv[m];
		if (!cv->present)
			continue;
		fprintf(g, "%s << EOD\n", block[m]);
		for (size_t i = 0; i < cv->n; i++)
			fprintf(g, "%u %.4f %.4f %.4f %.4f %.4f\n", cv->pages[i], cv->meas[i],
				cv->mmin[i], cv->mmax[i], cv->model[i], fitted ? cv->fitted[i] : 0);
		fputs("EOD\n", g);
	}
	fputs("plot ", g);
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		const calibrate_curve *cv = &c->cv[m];
		if (!cv->present)
			continue;
		const char *d = block[m];
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

int calibrate_plot(const calibrate *c, FILE *out, int svg, int fitted, char *err, size_t errlen)
{
	assert(c->kneed && "calibrate_plot: after calibrate_knees");
	int fds[2];
	pid_t pid;
	int rc = make_pipe(fds, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	char *argv[] = { "gnuplot", NULL };
	int e = spawn_child("gnuplot", argv, fds[0], fileno(out), &pid);
	close(fds[0]);
	if (e) {
		close(fds[1]);
		return FAIL(TRACE_EINTERNAL, "--plot: cannot run gnuplot: %s (Debian: "
			    "apt-get install gnuplot-nox)", strerror(e));
	}
	FILE *g = fdopen(fds[1], "w");
	if (!g) {
		e = errno;
		close(fds[1]);
		reap_quietly(pid);
		return FAIL(TRACE_EINTERNAL, "--plot: %s", strerror(e));
	}
	plot_script(g, c, svg, fitted);
	if (fclose(g) != 0) {
		e = errno;
		reap_quietly(pid);
		return FAIL(TRACE_EINTERNAL, "--plot: writing to gnuplot: %s",
			    strerror(e));
	}
	return reap(pid, "gnuplot", err, errlen);
}

/* ---------------------------------------------------------------- create */

void calibrate_config_init(calibrate_config *cfg)
{
	*cfg = (calibrate_config){
		.want = { 1, 1, 1 },
		.reps = 7,
		.rounds = 1,
		.cpu = -1,
		.seed = 1,
		.clock = "cpu",
	};
}

/* CFG within the ranges calibrate.h gives. */
static int check_config(const calibrate_config *g, char *err, size_t errlen)
{
	if (!g->want[CALIBRATE_4K] && !g->want[CALIBRATE_2M] && !g->want[CALIBRATE_PACKED])
		return FAIL(TRACE_EFORMAT, "calibrate: no curve to measure");
	if (g->reps < 1 || g->reps > 101 || g->rounds < 1 || g->rounds > 100 ||
	    (g->measured && g->rounds != 1))
		return FAIL(TRACE_EFORMAT, "calibrate: %u runs per point, %u rounds: "
			    "1..101 runs, 1..100 rounds (1 for a saved table)", g->reps, g->rounds);
	if (g->npages > CALIBRATE_MAX_POINTS)
		return FAIL(TRACE_EFORMAT, "calibrate: %zu points: at most %d",
			    g->npages, CALIBRATE_MAX_POINTS);
	for (size_t i = 0; i < g->npages; i++)
		if (g->pages[i] < 2 || g->pages[i] > CALIBRATE_MAX_PAGES ||
		    (i && g->pages[i] <= g->pages[i - 1]))
			return FAIL(TRACE_EFORMAT, "calibrate: pages %u: increasing "
				    "counts from 2 to %u", g->pages[i], CALIBRATE_MAX_PAGES);
	if (!g->clock || (strcmp(g->clock, "cpu") && strcmp(g->clock, "wall")))
		return FAIL(TRACE_EFORMAT, "calibrate: the clock is cpu or wall");
	return TRACE_OK;
}

/* core.freq_ghz when it is set (its default is for the model, not this
 * host), or /proc/cpuinfo's "cpu MHz"; says which in GHZ_SRC. */
static int choose_freq(calibrate *c, char *err, size_t errlen)
{
	c->ghz = param_float(c->p, "core.freq_ghz");
	if (param_is_set(c->p, "core.freq_ghz")) {
		snprintf(c->ghz_src, sizeof(c->ghz_src), "core.freq_ghz as configured");
		return TRACE_OK;
	}
	char mhz[64];
	char *end;
	double v = cpuinfo("cpu MHz", mhz, sizeof(mhz)) == 0 ? strtod(mhz, &end) : 0;
	if (!(v > 0) || v > 100000)
		return FAIL(TRACE_EFORMAT, "calibrate: core.freq_ghz is not set and "
			    "/proc/cpuinfo gives no 'cpu MHz': give the core clock, e.g. --set "
			    "core.freq_ghz=3.0");
	c->ghz = v / 1000;
	snprintf(c->ghz_src, sizeof(c->ghz_src), "/proc/cpuinfo 'cpu MHz' %s (core.freq_ghz not "
		 "set; the nominal clock: boost may run the core faster)", mhz);
	char val[32];
	snprintf(val, sizeof(val), "%.6g", c->ghz);
	return set_param(c->p, "core.freq_ghz", val, "/proc/cpuinfo", err, errlen);
}

/* The replayed configuration: cache.model on unless set, whole laps (a
 * record limit would stop a replay mid-trace), the clock. */
static int configure(calibrate *c, const param_reg *p, char *err, size_t errlen)
{
	c->p = param_clone(p);
	c->user = param_clone(p);
	if (!c->p || !c->user)
		return FAIL(TRACE_ENOMEM, "out of memory (calibrate)");
	int rc;
	c->cache_default = !param_is_set(c->p, "cache.model");
	if (c->cache_default &&
	    (rc = set_param(c->p, "cache.model", "on", "calibrate", err, errlen)) != TRACE_OK)
		return rc;
	if ((rc = set_param(c->p, "sim.max_records", "0", "calibrate", err, errlen)) != TRACE_OK)
		return rc;
	return choose_freq(c, err, errlen);
}

int calibrate_create(calibrate **out, const calibrate_config *cfg, const param_reg *p, char *err,
		     size_t errlen)
{
	*out = NULL;
	int rc = check_config(cfg, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	calibrate *c = calloc(1, sizeof(*c));
	if (!c)
		return FAIL(TRACE_ENOMEM, "out of memory (calibrate)");
	c->cfg = *cfg;
	if (!c->cfg.npages)   /* 8 to 65536 pages, 4 points per octave */
		for (unsigned n = 8; n <= CALIBRATE_MAX_PAGES; n *= 2)
			for (unsigned q = 0; q < 4 && (q == 0 || n < CALIBRATE_MAX_PAGES); q++)
				c->cfg.pages[c->cfg.npages++] = n + q * n / 4;
	c->host.seed = cfg->seed;
	if ((rc = configure(c, p, err, errlen)) == TRACE_OK)
		*out = c;
	else
		calibrate_destroy(c);
	return rc;
}

void calibrate_destroy(calibrate *c)
{
	if (c) {   /* (param_destroy takes NULL: a registry not made yet) */
		param_destroy(c->p);
		param_destroy(c->user);
	}
	free(c);
}

int calibrate_check(calibrate *c, char *err, size_t errlen)
{
	int rc;
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		machine *s;
		rc = set_param(c->p, "guest.page", mode_guest_page[m], "calibrate", err, errlen);
		if (rc != TRACE_OK || (rc = machine_create(&s, c->p, err, errlen)) != TRACE_OK)
			return rc;
		machine_destroy(s);
	}
	return set_param(c->p, "guest.page", param_text(c->user, "guest.page"), "calibrate", err,
			 errlen);
}

void calibrate_set_chase(calibrate *c, const char *path)
{
	snprintf(c->chase, sizeof(c->chase), "%s", path);
}

/* ---------------------------------------------------------------- accessors */

const calibrate_curve *calibrate_curve_of(const calibrate *c, int mode)
{
	assert(mode >= 0 && mode < CALIBRATE_MODES && "calibrate_curve_of: a curve");
	return &c->cv[mode];
}

const calibrate_knee_set *calibrate_knees_of(const calibrate *c, int mode, int model)
{
	assert(c->kneed && mode >= 0 && mode < CALIBRATE_MODES &&
	       "calibrate_knees_of: a curve, after calibrate_knees");
	return model ? &c->kp[mode] : &c->km[mode];
}

const calibrate_host *calibrate_host_of(const calibrate *c) { return &c->host; }
const calibrate_fit_result *calibrate_fit_of(const calibrate *c) { return c->fitted ? &c->f : NULL; }
const param_reg *calibrate_params(const calibrate *c) { return c->p; }
int calibrate_cache_default(const calibrate *c) { return c->cache_default; }

double calibrate_ghz(const calibrate *c, const char **source)
{
	if (source)
		*source = c->ghz_src;
	return c->ghz;
}
