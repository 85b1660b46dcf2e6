/*
 * sim/study/calibrate.c - the calibration engine (calibrate.h): the model held
 * against the host (issue 18; its own room since issue 22, out of the
 * command line, which now parses, calls these verbs and prints).
 *
 * 1. Measure: run tools/chase.c on the host - a dependent 8-byte load per
 *    4 KB page over N pages in one random cycle, in a 4 KB-page arena
 *    (curve "4k") and a 2 MB-page (THP) arena ("2m"), the packed-lines
 *    control (N consecutive 64-byte lines, to 512 MB: memory), and the
 *    walk-heavy patterns, pages 8 ("s8") and 512 ("s512") apart - chase
 *    pins itself, repeats each point and reports the median; ROUNDS repeats
 *    the whole sweep and takes the median of the medians. Or read a table
 *    chase printed (one from before s8, s512 and --lines reads as before).
 * 2. Model: for every point, chase writes the identical access pattern as a
 *    text trace (chase --trace, on a pipe: nothing on disk) and the machine
 *    replays it in-process with the configuration, guest.page set to the
 *    curve's page (packed: 2m, as its THP arena): two laps warm the machine
 *    up (faults, cold caches: replay's warm-up), two laps are counted (past
 *    CALIBRATE_BIG elements one lap and at most CALIBRATE_COUNTED accesses).
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
 *    per point (median), seed S`, `# clock: ...`, `# loadavg before: A B C`
 *    and `# MODE: ...` (its arena), then tab-separated rows "mode pages
 *    accesses ns_median ns_min ns_max thp_kb", each curve's pages
 *    increasing, and `# loadavg after: A B C`; the rounds of one run measure
 *    the same points. A row starts with its mode (4k, 2m, packed, s8, s512),
 *    which is how progress counts them. Tables written before the load
 *    average was (and before s8, s512) read as they did.
 *  - Cache geometry is this machine's sysfs (the CPU chase was pinned to,
 *    else cpu0), also for a saved table measured elsewhere (the fit says so).
 *
 * The only state is the engine's own (struct calibrate); the tables below
 * are constant.
 */
#include "calibrate.h"
#include "bits.h"
#include "machine.h"
#include "replay.h"
#include "trace.h"
#include "v2p.h"

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
#include <linux/memfd.h>
#include <linux/perf_event.h>

extern char **environ;

static const char *const mode_name[CALIBRATE_MODES] = { "4k", "2m", "packed", "s8", "s512" };
/* The guest page each curve is replayed with (packed: chase's THP arena). */
static const char *const mode_guest_page[CALIBRATE_MODES] = { "4k", "2m", "2m", "4k", "4k" };
static const unsigned mode_stride[CALIBRATE_MODES] = { 1, 1, 0, 8, 512 };

/* What one round's `# frames` lines give: each curve's frames, how many its
 * summary announced, and the summary (round 1's are the calibration's;
 * later rounds' are read as strictly, then dropped). */
typedef struct frame_set {
	uint64_t *f[CALIBRATE_MODES];
	unsigned n[CALIBRATE_MODES], want[CALIBRATE_MODES];
	char summary[CALIBRATE_MODES][320];
	unsigned line[CALIBRATE_MODES];   /* the summary's line */
} frame_set;

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
	int kept[CALIBRATE_MODES][CALIBRATE_MAX_POINTS];   /* kept_trace: memfd + 1, or 0 */
	char *raw;                 /* chase's tables as measured, for --save */
	unsigned llc_sysfs;        /* fit_caches: sysfs's LLC sets when the step differs */
	unsigned llc_other;        /* ... and the other power of two around the step */
	int best_sel;              /* the fit's running best error: its points (sweep_sel) */
	/* chase --frames: round 1's (each curve's pages' guest-physical frames),
	 * the map the model's guest places them with (frames_map), and those of
	 * the table parse_chase reads now */
	frame_set frames;
	v2p *map[CALIBRATE_MODES];
	frame_set parsing;
};

/* Points of at most this many elements keep their trace (kept_trace): at
 * most 4 laps x 8192 records of ~24 bytes, 0.8 MB each. */
#define CALIBRATE_KEPT 8192u

const char *calibrate_mode_name(int mode)
{
	assert(mode >= 0 && mode < CALIBRATE_MODES && "calibrate_mode_name: a curve");
	return mode_name[mode];
}

unsigned calibrate_mode_stride(int mode)
{
	assert(mode >= 0 && mode < CALIBRATE_MODES && "calibrate_mode_stride: a curve");
	return mode_stride[mode];
}

const char *calibrate_mode_guest_page(int mode)
{
	assert(mode >= 0 && mode < CALIBRATE_MODES && "calibrate_mode_guest_page: a curve");
	return mode_guest_page[mode];
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
		/* A row starts with its mode (4k, 2m, packed, s8, s512); comments
		 * with '#', the column line with 'm'. */
		for (ssize_t i = 0; i < k; i++) {
			char ch = buf[len + i];
			rows += at_start && (ch == '4' || ch == '2' || ch == 'p' || ch == 's');
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

static void frame_set_free(frame_set *fs)
{
	for (int m = 0; m < CALIBRATE_MODES; m++)
		free(fs->f[m]);
	memset(fs, 0, sizeof(*fs));
}

/* A `# frames MODE...` line of chase --frames (S: after "# frames ") into
 * FS: `MODE: P pages, ...` announces MODE's P pages (or `MODE: unknown:
 * WHY`), `MODE @K: PFN[+LEN] ...` gives the frames of pages K on, in runs
 * (hex frame number, decimal length; nothing else: no sign, no 0x). */
static int parse_frames(frame_set *fs, const char *s, const char *origin, unsigned lineno,
			char *err, size_t errlen)
{
	int m;
	size_t ml = 0;
	for (m = 0; m < CALIBRATE_MODES; m++) {
		ml = strlen(mode_name[m]);
		if (strncmp(s, mode_name[m], ml) == 0 && (s[ml] == ':' || s[ml] == ' '))
			break;
	}
	if (m == CALIBRATE_MODES)
		return FAIL(TRACE_EFORMAT, "%s:%u: '# frames' of no curve (4k, 2m, packed, s8, "
			    "s512)", origin, lineno);
	s += ml;
	if (*s == ':') {
		const unsigned most = CALIBRATE_MAX_LINES / 64;
		if (fs->line[m])
			return FAIL(TRACE_EFORMAT, "%s:%u: a second '# frames %s:' line (the "
				    "first: line %u)", origin, lineno, mode_name[m], fs->line[m]);
		fs->line[m] = lineno;
		s += strspn(s + 1, " ") + 1;
		size_t k = 0;   /* (control characters would reach the terminal) */
		for (; s[k] && k + 1 < sizeof(fs->summary[m]); k++)
			fs->summary[m][k] = (unsigned char)s[k] < 0x20 || s[k] == 0x7f ? '?' : s[k];
		fs->summary[m][k] = '\0';
		if (strncmp(s, "unknown: ", 9) == 0)
			return TRACE_OK;
		unsigned long n = 0;
		size_t d = 0;
		while (isdigit((unsigned char)s[d]) && d < 8)
			n = n * 10 + (unsigned long)(s[d++] - '0');
		if (d == 0 || strncmp(s + d, " pages", 6) || (s[d + 6] && s[d + 6] != ',') ||
		    n == 0 || n > most)
			return FAIL(TRACE_EFORMAT, "%s:%u: '# frames %s: P pages, ...' with P "
				    "from 1 to %u, or '# frames %s: unknown: WHY'", origin, lineno,
				    mode_name[m], most, mode_name[m]);
		if (!(fs->f[m] = malloc(n * sizeof(uint64_t))))
			return FAIL(TRACE_ENOMEM, "out of memory (%lu frames)", n);
		fs->want[m] = (unsigned)n;
		return TRACE_OK;
	}
	unsigned k = 0;
	int used = -1;
	if (s[0] != ' ' || s[1] != '@' || !isdigit((unsigned char)s[2]) ||
	    sscanf(s + 2, "%u:%n", &k, &used) != 1 || used < 0 || !fs->want[m] || k != fs->n[m])
		return FAIL(TRACE_EFORMAT, "%s:%u: '# frames %s @K: PFN[+LEN] ...' must follow its "
			    "'# frames %s: P pages' line, K the next page (%u)", origin, lineno,
			    mode_name[m], mode_name[m], fs->n[m]);
	for (s += 2 + used; *(s += strspn(s, " ")); ) {
		char *end = (char *)s;
		uint64_t pfn = 0, len = 1;
		int bad = !isxdigit((unsigned char)*s) || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'));
		if (!bad) {
			errno = 0;
			pfn = strtoull(s, &end, 16);
			bad = errno || pfn == 0 || pfn >= UINT64_C(1) << 40;
		}
		if (!bad && *end == '+') {
			const char *l = end + 1;
			bad = !isdigit((unsigned char)*l);
			errno = 0;
			len = bad ? 0 : strtoull(l, &end, 10);
			bad = bad || errno || len < 1;
		}
		if (bad || (*end && *end != ' '))
			return FAIL(TRACE_EFORMAT, "%s:%u: frames: '%.24s' is not PFN[+LEN] (hex "
				    "frame number 1..2^40, decimal run length)", origin, lineno, s);
		if (len > fs->want[m] - fs->n[m] || pfn + len > UINT64_C(1) << 40)
			return FAIL(TRACE_EFORMAT, "%s:%u: frames of %s past the %u pages "
				    "announced (or past frame 2^40)", origin, lineno, mode_name[m],
				    fs->want[m]);
		for (uint64_t j = 0; j < len; j++)
			fs->f[m][fs->n[m]++] = pfn + j;
		s = end;
	}
	return TRACE_OK;
}

/* FS complete and sound for the curves C measured (ORIGIN in messages):
 * every announced page given, each frame once (a page has one frame: a
 * table giving one twice is not what chase read), and as many pages as the
 * curve's largest point uses. */
static int frames_check(const calibrate *c, const frame_set *fs, const char *origin,
			char *err, size_t errlen)
{
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		unsigned n = fs->n[m];
		if (fs->want[m] && n != fs->want[m])
			return FAIL(TRACE_EFORMAT, "%s: the frames of %s end at page %u of the %u "
				    "their '# frames %s:' line (line %u) announced", origin,
				    mode_name[m], n, fs->want[m], mode_name[m], fs->line[m]);
		if (!fs->want[m])
			continue;
		unsigned top = c->cv[m].n ? c->cv[m].pages[c->cv[m].n - 1] : 0;
		unsigned need = m == CALIBRATE_PACKED ? (unsigned)(((uint64_t)top * 64 + 4095) / 4096)
						      : top;
		if (c->cv[m].present && n < need)
			return FAIL(TRACE_EFORMAT, "%s: the frames of %s (line %u) cover %u pages; "
				    "its largest point, %u, uses %u", origin, mode_name[m],
				    fs->line[m], n, top, need);
		uint64_t *sorted = malloc((size_t)n * sizeof(*sorted));
		if (!sorted)
			return FAIL(TRACE_ENOMEM, "out of memory (%u frames)", n);
		memcpy(sorted, fs->f[m], (size_t)n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_u64);
		size_t i = 1;
		while (i < n && sorted[i] != sorted[i - 1])
			i++;
		uint64_t twice = i < n ? sorted[i] : 0;
		free(sorted);
		if (twice)
			return FAIL(TRACE_EFORMAT, "%s: the frames of %s (line %u) give frame %#" PRIx64
				    " to two pages: each page has a frame of its own", origin,
				    mode_name[m], fs->line[m], twice);
	}
	return TRACE_OK;
}

/* One table chase printed (or a saved one), named ORIGIN in messages: its
 * rows go into MEAS, MMIN and MMAX (one round of every curve). FIRST: the
 * first round, which sets the curves' points and the host's description
 * from the header comments; later rounds must have the same points. */
static int parse_chase(calibrate *c, const char *text, const char *origin, unsigned line0,
		       point_row *meas, point_row *mmin, point_row *mmax, unsigned round, char *err,
		       size_t errlen)
{
	int first = round == 0, rc;
	const char *p = text;
	unsigned lineno = line0;
	frame_set *fs = &c->parsing;   /* (freed here, on the next table and at the end) */
	frame_set_free(fs);
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
		/* The measuring machine's clock and CPUID L2 DTLB. */
		if (strncmp(line, "# cpu MHz: ", 11) == 0) {
			double v = strtod(line + 11, NULL);
			if (first && v > 0 && v < 100000)
				c->host.table_mhz = v;
			continue;
		}
		if (strncmp(line, "# cpuid: L2 DTLB 4 KB ", 22) == 0) {
			unsigned ne, nw;
			if (first && sscanf(line + 22, "%u entries %u ways", &ne, &nw) == 2 && ne && nw) {
				c->host.cpuid_l2_entries = ne;
				c->host.cpuid_l2_ways = nw;
			}
			continue;
		}
		/* The measuring machine's caches (sysfs, as chase read it). */
		if (strncmp(line, "# cache: ", 9) == 0) {
			unsigned lv;
			unsigned long se, wa, li;
			char ty[16], src[128] = "";
			if (first && c->host.ncache < 8 &&
			    sscanf(line + 9, "level %u %15s sets %lu ways %lu line %lu (sysfs %127[^)])",
				   &lv, ty, &se, &wa, &li, src) >= 5) {
				unsigned k = c->host.ncache++;
				c->host.cache[k].level = lv;
				snprintf(c->host.cache[k].type, sizeof(c->host.cache[k].type), "%s", ty);
				c->host.cache[k].sets = se;
				c->host.cache[k].ways = wa;
				c->host.cache[k].line = li;
				snprintf(c->host.cache[k].src, sizeof(c->host.cache[k].src), "%s", src);
			}
			continue;
		}
		/* The 1-minute load average chase saw before and after its sweep. */
		int after = strncmp(line, "# loadavg after: ", 17) == 0;
		if (after || strncmp(line, "# loadavg before: ", 18) == 0) {
			double la;
			if (sscanf(line + (after ? 17 : 18), "%lf", &la) == 1 && la >= 0 && round < 100) {
				c->host.loads[round][after] = la;
				c->host.load_known = 1;
			}
			continue;
		}
		if (strncmp(line, "# frames ", 9) == 0) {
			if ((rc = parse_frames(fs, line + 9, origin, lineno, err, errlen)))
				return rc;
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
		unsigned long long pg, acc;   /* (not %u: 2^32 + 8 would read as 8) */
		double med, mn, mx;
		long thp;
		int m;
		if (sscanf(line, "%15[^\t]\t%llu\t%llu\t%lf\t%lf\t%lf\t%ld", mode, &pg, &acc, &med,
			   &mn, &mx, &thp) != 7)
			return FAIL(TRACE_EFORMAT, "%s:%u: not a row of a chase table (mode "
				    "pages accesses ns_median ns_min ns_max thp_kb)", origin, lineno);
		for (m = 0; m < CALIBRATE_MODES && strcmp(mode, mode_name[m]); m++)
			;
		if (m == CALIBRATE_MODES || pg < 2 ||
		    pg > (m == CALIBRATE_PACKED ? CALIBRATE_MAX_LINES : CALIBRATE_MAX_PAGES) ||
		    !(med > 0) || !(mn > 0) || !(mx > 0) || !isfinite(med) || !isfinite(mn) ||
		    !isfinite(mx))
			return FAIL(TRACE_EFORMAT, "%s:%u: bad row (mode 4k|2m|packed|s8|s512, "
				    "pages 2..%u, packed lines 2..%u, positive finite ns)", origin,
				    lineno, CALIBRATE_MAX_PAGES, CALIBRATE_MAX_LINES);
		unsigned pages = (unsigned)pg;
		if (acc == 0)
			return FAIL(TRACE_EFORMAT, "%s:%u: %s %u: 0 accesses (a point times one "
				    "access at least)", origin, lineno, mode_name[m], pages);
		if (!(mn <= med && med <= mx))
			return FAIL(TRACE_EFORMAT, "%s:%u: %s %u: ns_min %g, ns_median %g, ns_max %g "
				    "(min <= median <= max)", origin, lineno, mode_name[m], pages, mn,
				    med, mx);
		if (mn < CALIBRATE_NS_MIN || mx > CALIBRATE_NS_MAX)
			return FAIL(TRACE_EFORMAT, "%s:%u: %s %u: %g..%g ns an access: no load "
				    "takes less than %g ns or more than %g ns", origin, lineno,
				    mode_name[m], pages, mn, mx, CALIBRATE_NS_MIN, CALIBRATE_NS_MAX);
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
			if (c->cfg.measured)
				return FAIL(TRACE_EFORMAT, "%s:%u: round %u measures other points than "
					    "the first (%s %u)", origin, lineno, round + 1,
					    mode_name[m], pages);
			return FAIL(TRACE_EINTERNAL, "calibrate: chase's rounds measured "
				    "different points (%s %u)", mode_name[m], pages);
		}
		meas[m][i] = med;
		mmin[m][i] = mn;
		mmax[m][i] = mx;
	}
	if ((rc = frames_check(c, fs, origin, err, errlen)) != TRACE_OK)
		return rc;
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		if (first)   /* round 1's frames are the model's */
			memcpy(c->host.frames[m], fs->summary[m], sizeof(c->host.frames[m]));
		else
			c->host.frames_later |= fs->line[m] != 0;
	}
	if (first) {
		frame_set_free(&c->frames);
		c->frames = *fs;
		memset(fs, 0, sizeof(*fs));
	}
	frame_set_free(fs);
	int any = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++)
		any |= c->cv[m].present;
	if (!any)
		return FAIL(TRACE_EFORMAT, "%s: no measured points (a chase table has "
			    "rows 'mode pages accesses ns_median ns_min ns_max thp_kb')", origin);
	return TRACE_OK;
}

/* The saved table CFG.measured ("-": standard input) into *BUF (the caller
 * frees it), and how many rounds it holds (*ROUNDS): chase's tables one
 * after another, each opening with its `# chase: cpu` header (what
 * --save writes); a table without one is one round. */
static int read_saved(calibrate *c, char **out, unsigned *rounds, char *err, size_t errlen)
{
	const char *path = c->cfg.measured;
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	*out = NULL;
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
	buf[len] = '\0';
	int rc = TRACE_OK;
	if (e)   /* (a directory: EISDIR) */
		rc = FAIL(TRACE_EIO, "--measured %s: read error: %s", path, strerror(e));
	else if (memchr(buf, '\0', len))
		rc = FAIL(TRACE_EFORMAT, "--measured %s: a NUL byte: not a chase table",
			  path);
	*rounds = 0;
	for (const char *l = buf; rc == TRACE_OK && l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
		*rounds += strncmp(l, "# chase: cpu \"", 14) == 0;
	if (*rounds > 100)
		rc = FAIL(TRACE_EFORMAT, "--measured %s: %u rounds: at most 100", path, *rounds);
	if (*rounds == 0)
		*rounds = 1;
	if (rc != TRACE_OK)
		free(buf);
	else
		*out = buf;
	return rc;
}

/* Parse the saved table BUF of ROUNDS rounds (read_saved): round r from
 * its header to the next (the first from the file's start). */
static int parse_saved(calibrate *c, char *buf, unsigned rounds, point_row *meas,
		       point_row *mmin, point_row *mmax, char *err, size_t errlen)
{
	char *start = buf;
	unsigned line0 = 0;
	for (unsigned r = 0; r < rounds; r++) {
		/* the end: the header after this round's own */
		char *end = NULL, *l = start;
		unsigned lines = 0, headers = 0;
		while (l && *l) {
			if (strncmp(l, "# chase: cpu \"", 14) == 0 && headers++ && r + 1 < rounds) {
				end = l;
				break;
			}
			char *nl = strchr(l, '\n');
			lines += nl != NULL;
			l = nl ? nl + 1 : NULL;
		}
		char keep = 0;
		if (end) {
			keep = *end;
			*end = '\0';
		}
		int rc = parse_chase(c, start, c->cfg.measured, line0, meas + (size_t)r * CALIBRATE_MODES,
				     mmin + (size_t)r * CALIBRATE_MODES,
				     mmax + (size_t)r * CALIBRATE_MODES, r, err, errlen);
		if (end)
			*end = keep;
		if (rc != TRACE_OK)
			return rc;
		line0 += lines;
		start = end;
	}
	return TRACE_OK;
}

/* Append a round's table TEXT to what --save writes. */
static int keep_raw(calibrate *c, const char *text, char *err, size_t errlen)
{
	size_t l = strlen(text), have = c->raw ? strlen(c->raw) : 0;
	char *nb = realloc(c->raw, have + l + 1);
	if (!nb)
		return FAIL(TRACE_ENOMEM, "out of memory (chase output)");
	memcpy(nb + have, text, l + 1);
	c->raw = nb;
	return TRACE_OK;
}

/* Run chase CFG.rounds times over the curves and points CFG wants. */
static int run_sweeps(calibrate *c, point_row *meas, point_row *mmin, point_row *mmax, char *err,
		      size_t errlen)
{
	const calibrate_config *g = &c->cfg;
	char pages[CALIBRATE_MAX_POINTS * 8] = "", lines[CALIBRATE_MAX_POINTS * 9] = "",
	     modes[48] = "", reps[16], acc[32], cpu[16], seed[32];
	for (size_t i = 0; i < g->npages; i++)
		snprintf(pages + strlen(pages), sizeof(pages) - strlen(pages), "%s%u", i ? "," : "",
			 g->pages[i]);
	for (size_t i = 0; i < g->nlines; i++)
		snprintf(lines + strlen(lines), sizeof(lines) - strlen(lines), "%s%u", i ? "," : "",
			 g->lines[i]);
	size_t total = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++)
		if (g->want[m]) {
			snprintf(modes + strlen(modes), sizeof(modes) - strlen(modes), "%s%s",
				 modes[0] ? "," : "", mode_name[m]);
			total += m == CALIBRATE_PACKED ? g->nlines : g->npages;
		}
	snprintf(reps, sizeof(reps), "%u", g->reps);
	snprintf(acc, sizeof(acc), "%" PRIu64, g->accesses);
	snprintf(cpu, sizeof(cpu), "%d", g->cpu);
	snprintf(seed, sizeof(seed), "%" PRIu64, c->host.seed);
	char *argv[20] = { "chase", "--modes", modes, "--pages", pages, "--lines", lines,
			   "--reps", reps, "--seed", seed, "--clock", (char *)g->clock };
	int n = 13;
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
	int frames_at = n;   /* round 1 only: the frames the model is replayed with */
	if (read_line("/proc/loadavg", load, sizeof(load)) == 0)
		c->host.load[0] = atof(load);
	for (unsigned r = 0; r < g->rounds; r++) {
		char *out = NULL;
		argv[frames_at] = r == 0 ? "--frames" : NULL;
		int rc = run_chase(c, argv, total, r, &out, err, errlen);
		if (rc != TRACE_OK)
			return rc;
		rc = parse_chase(c, out, "chase", 0, meas + (size_t)r * CALIBRATE_MODES,
				 mmin + (size_t)r * CALIBRATE_MODES, mmax + (size_t)r * CALIBRATE_MODES,
				 r, err, errlen);
		if (rc == TRACE_OK)
			rc = keep_raw(c, out, err, errlen);
		free(out);
		if (rc != TRACE_OK)
			return rc;
	}
	if (read_line("/proc/loadavg", load, sizeof(load)) == 0)
		c->host.load[1] = atof(load);
	c->host.load_known = 1;
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
	char *saved = NULL;
	unsigned rounds = c->cfg.rounds;
	int rc = c->cfg.measured ? read_saved(c, &saved, &rounds, err, errlen) : TRACE_OK;
	if (rc != TRACE_OK)
		return rc;
	size_t rows = (size_t)CALIBRATE_MODES * rounds;
	point_row *meas = calloc(rows, sizeof(*meas));
	point_row *mmin = calloc(rows, sizeof(*mmin));
	point_row *mmax = calloc(rows, sizeof(*mmax));
	if (!meas || !mmin || !mmax)
		rc = FAIL(TRACE_ENOMEM, "out of memory (measurements)");
	else if (saved)
		rc = parse_saved(c, saved, rounds, meas, mmin, mmax, err, errlen);
	else
		rc = run_sweeps(c, meas, mmin, mmax, err, errlen);
	free(saved);
	c->host.rounds = rounds;
	/* A saved table's clock is the measuring machine's (its "# cpu MHz:"
	 * line), unless core.freq_ghz is given. */
	if (rc == TRACE_OK && c->cfg.measured && c->host.table_mhz > 0 &&
	    !param_is_set(c->user, "core.freq_ghz")) {
		c->ghz = c->host.table_mhz / 1000;
		snprintf(c->ghz_src, sizeof(c->ghz_src), "%s's 'cpu MHz' %.3f (the measuring "
			 "machine's /proc/cpuinfo; core.freq_ghz not set; the nominal clock: boost "
			 "may run the core faster)", c->cfg.measured, c->host.table_mhz);
		char val[32];
		snprintf(val, sizeof(val), "%.6g", c->ghz);
		rc = set_param(c->p, "core.freq_ghz", val, c->cfg.measured, err, errlen);
	}
	/* A saved table's load average is the one its chase saw. */
	if (rc == TRACE_OK && c->cfg.measured && c->host.load_known) {
		c->host.load[0] = c->host.loads[0][0];
		c->host.load[1] = c->host.loads[rounds - 1][1];
	}
	/* The median of the rounds' medians; the extremes of every run. */
	for (int m = 0; rc == TRACE_OK && m < CALIBRATE_MODES; m++) {
		calibrate_curve *cv = &c->cv[m];
		for (size_t i = 0; i < cv->n; i++) {
			double v[100];
			cv->mmin[i] = mmin[m][i];
			cv->mmax[i] = mmax[m][i];
			for (unsigned r = 0; r < rounds; r++) {
				size_t at = (size_t)r * CALIBRATE_MODES + (size_t)m;
				v[r] = meas[at][i];
				cv->mmin[i] = fmin(cv->mmin[i], mmin[at][i]);
				cv->mmax[i] = fmax(cv->mmax[i], mmax[at][i]);
			}
			cv->meas[i] = calib_median(v, rounds);
		}
	}
	free(meas);
	free(mmin);
	free(mmax);
	return rc;
}

const char *calibrate_raw(const calibrate *c) { return c->raw ? c->raw : ""; }

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
static int fill_point(calibrate *c, const param_reg *p, const stats_reg *st, int m,
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
		o->n[CALIB_LAT_S2_WALK] = stat_of(st, "walk.s2_walks") / acc;
		o->n[CALIB_LAT_NTLB] = stat_of(st, "ntlb.hits") / acc;
		o->n[CALIB_LAT_WALK] = stat_of(st, "walk.count") / acc;
	} else {
		cv->fitted[i] = ns;
	}
	return TRACE_OK;
}

/* The trace of point I of curve M kept for the fit's replays: a memfd
 * (anonymous memory, gone with the process) chase wrote once, or -1 (not
 * kept: too large, or no memfd here). Points of at most CALIBRATE_KEPT
 * elements are kept: --fit replays each some 35 times, and a chase started
 * for each would cost more than the replay (under ASan, most of it). */
static int kept_trace(calibrate *c, int m, size_t i, char *const argv[])
{
	if (c->cv[m].pages[i] > CALIBRATE_KEPT)
		return -1;
	if (c->kept[m][i] > 0)
		return c->kept[m][i] - 1;
	int fd = (int)syscall(SYS_memfd_create, "slatsim-calibrate-trace", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	pid_t pid;
	char e1[16];
	if (spawn_child(c->chase, argv, -1, fd, &pid) != 0 ||
	    reap(pid, "chase --trace", e1, sizeof(e1)) != TRACE_OK) {
		close(fd);
		return -1;   /* (the pipe's path says why, if it fails again) */
	}
	c->kept[m][i] = fd + 1;
	return fd;
}

/* The map that places curve M's pages at the frames chase read (NULL: none
 * read): 4 KB pages; for the THP curves (2m, packed) 2 MB pages when every
 * 2 MB region of the arena is one aligned run of frames (THP obtained), else
 * 4 KB pages as the host had them. Built once. */
static const v2p *frames_map(calibrate *c, int m, char *err, size_t errlen)
{
	unsigned n = c->frames.n[m];   /* (all announced: frames_check) */
	const uint64_t *f = c->frames.f[m];
	if (c->map[m] || !f)
		return c->map[m];
	uint64_t stride = mode_stride[m] ? mode_stride[m] : 1;
	/* (2 MB pages only where the arena had THP: aligned frames alone can be
	 * chance - one 512-aligned frame of a 1-page packed curve) */
	const calibrate_curve *cv = &c->cv[m];
	int huge = strcmp(mode_guest_page[m], "2m") == 0 && cv->n && cv->thp_kb[cv->n - 1] != 0;
	for (unsigned k = 0; huge && k < n; k++)
		huge = f[k] == f[k & ~511u] + (k & 511u) && (f[k & ~511u] & 511u) == 0;
	char name[48];
	snprintf(name, sizeof(name), "the frames of %s (chase --frames)", mode_name[m]);
	v2p *map = v2p_new(name, huge ? 21 : 12);
	for (unsigned k = 0; map && k < n; k += huge ? 512 : 1)
		if (v2p_add(map, CHASE_TRACE_BASE + k * stride * 4096, f[k] << 12) < 0) {
			v2p_destroy(map);
			map = NULL;
		}
	if (!map)
		snprintf(err, errlen, "out of memory (the frames of %s)", mode_name[m]);
	return c->map[m] = map;
}

/* Replay point I of curve M through a machine built from P (guest.page set
 * for the curve) and fill the columns USE names. */
static int model_point(calibrate *c, param_reg *p, int m, size_t i, enum model_use use,
		       calibrate_curve *cv, char *err, size_t errlen)
{
	char pages[16], laps[16], records[32], seed[32], path[32];
	int rc = set_param(p, "guest.page", mode_guest_page[m], "calibrate", err, errlen);
	if (rc != TRACE_OK)
		return rc;
	const v2p *map = frames_map(c, m, err, errlen);
	if (c->frames.f[m] && !map)
		return TRACE_ENOMEM;
	machine *s;
	if ((rc = machine_create(&s, p, err, errlen)) != TRACE_OK)
		return rc;
	if (map && machine_set_v2p(s, map)) {
		rc = FAIL(machine_error_code(s), "%s: %s", c->cfg.measured ? c->cfg.measured :
			  "chase --frames", machine_error(s));
		machine_destroy(s);
		return rc;
	}
	unsigned n = cv->pages[i];
	int big = n > CALIBRATE_BIG;
	uint64_t warm = (uint64_t)n * (big ? 1 : CALIBRATE_WARM_LAPS);
	snprintf(pages, sizeof(pages), "%u", n);
	snprintf(laps, sizeof(laps), "%d", big ? 2 : CALIBRATE_LAPS);
	snprintf(records, sizeof(records), "%" PRIu64, warm + (n < CALIBRATE_COUNTED ? n :
								CALIBRATE_COUNTED));
	snprintf(seed, sizeof(seed), "%" PRIu64, c->host.seed);
	/* (packed past 65536 lines: chase takes them as --lines) */
	char *argv[] = { "chase", "--trace", "-", "--modes", (char *)mode_name[m],
			 n > CALIBRATE_MAX_PAGES ? "--lines" : "--pages", pages, "--laps", laps,
			 "--seed", seed, big ? "--records" : NULL, records, NULL };
	int fds[2] = { -1, -1 }, kept = kept_trace(c, m, i, argv);
	pid_t pid = -1;
	if (kept >= 0) {
		snprintf(path, sizeof(path), "/dev/fd/%d", kept);   /* (its own offset: 0) */
	} else {
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
	}
	trace_reader *r;
	trace_open_opts oo = { .format = TRACE_FMT_TEXT };
	if ((rc = trace_open_with(&r, path, &oo, err, errlen)) == TRACE_OK) {
		replay_opts ro = { .warmup = warm };
		rc = replay_run(s, r, &ro, NULL, err, errlen);
		trace_close(r);
	}
	if (kept < 0) {
		close(fds[0]);
		if (rc != TRACE_OK)
			reap_quietly(pid);
		else
			rc = reap(pid, "chase --trace", err, errlen);
	}
	if (rc != TRACE_OK && map) {   /* (the replay's trace is a pipe: name the frames) */
		char e[512];
		snprintf(e, sizeof(e), "%s", err);
		rc = FAIL(rc, "%s: %s %u, placed at the frames of %s (up to guest-physical "
			  "%#" PRIx64 "): %s", c->cfg.measured ? c->cfg.measured : "chase --frames",
			  mode_name[m], n, mode_name[m], v2p_max_pa(map), e);
	}
	if (rc == TRACE_OK)
		rc = fill_point(c, p, machine_stats(s), m, i, use, cv, err, errlen);
	machine_destroy(s);
	return rc;
}

/* Which points a sweep replays. */
enum sweep_sel {
	SEL_ALL,          /* every point */
	SEL_TRAIN,        /* the points --fit fits on */
	SEL_TRAIN_SMALL,  /* those, but the packed control's past 4 CALIBRATE_BIG lines
			   * (4096 pages of 4 KB: twice an L2 TLB's reach, far past
			   * the walk caches' and the nested TLB's; and past the L2:
			   * every structure searched but host.page misses alike) */
};

static int selected(const calibrate *c, int m, size_t i, enum sweep_sel sel)
{
	if (sel == SEL_ALL)
		return 1;
	if (c->cv[m].holdout[i])
		return 0;
	return sel == SEL_TRAIN || m != CALIBRATE_PACKED || c->cv[m].pages[i] <= 4 * CALIBRATE_BIG;
}

/* Say a step of WHAT (DONE of TOTAL), through the caller's callback. */
static void step(const calibrate *c, const char *what, size_t done, size_t total)
{
	if (c->cfg.step)
		c->cfg.step(c->cfg.progress_ctx, what, done, total);
}

static int model_sweep(calibrate *c, param_reg *p, enum model_use use, enum sweep_sel sel,
		       char *err, size_t errlen)
{
	size_t total = 0, done = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++)
		for (size_t i = 0; i < c->cv[m].n; i++)
			total += selected(c, m, i, sel);
	for (int m = 0; m < CALIBRATE_MODES; m++)
		for (size_t i = 0; i < c->cv[m].n; i++) {
			if (!selected(c, m, i, sel))
				continue;
			if (use == MODEL_CONFIG)
				step(c, "modelling", done++, total);
			int rc = model_point(c, p, m, i, use, &c->cv[m], err, errlen);
			if (rc != TRACE_OK)
				return rc;
		}
	if (use == MODEL_CONFIG)
		step(c, "modelling", total, 0);
	return TRACE_OK;
}

int calibrate_model(calibrate *c, char *err, size_t errlen)
{
	assert(c->chase[0] && "calibrate_model: chase is set");
	int rc = model_sweep(c, c->p, MODEL_CONFIG, SEL_ALL, err, errlen);
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
	calibrate_fit_value *v = NULL;
	for (size_t i = 0; i < f->n && !v; i++)   /* a later finding replaces an earlier one */
		if (strcmp(f->v[i].key, key) == 0)
			v = &f->v[i];
	if (!v && f->n == sizeof(f->v) / sizeof(f->v[0]))
		return;
	if (!v)
		v = &f->v[f->n++];
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

static void fit_finding(calibrate_fit_result *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fit_finding(calibrate_fit_result *f, const char *fmt, ...)
{
	if (f->nfindings == sizeof(f->findings) / sizeof(f->findings[0]))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->findings[f->nfindings++], sizeof(f->findings[0]), fmt, ap);
	va_end(ap);
}

static int fit_has(const calibrate_fit_result *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].key, key) == 0)
			return 1;
	return 0;
}

/* Hold out the curve CFG.holdout and every CALIBRATE_HOLDOUT_EVERY-th point
 * (i % CALIBRATE_HOLDOUT_EVERY == 1) of the others. By default s8: a held-out
 * curve tests the fit only if every structure it observes another curve
 * observes too, and s8's (leaf descriptors a line each, the TLBs' sets)
 * s512 and 4k show as well. 2m is the only curve with a 2 MB guest page
 * over 4 KB host pages: held out, nothing in the fit sees what makes its
 * walks cheaper than a 4 KB page's (the Intel table's fit put 12 cycles in
 * walk.s2_fixed and a 1024-entry host walk cache, and missed 2m by 27.9%
 * past the L2 TLB; fitted on 2m, every curve met: docs/calibrate.md).
 * s512 alone puts leaf descriptors at one offset of their table pages (the
 * LLC's index). A table
 * without s8 (4k, 2m, packed) holds out 2m, as before s8 was measured. */
static void split(calibrate *c)
{
	int h = c->cfg.holdout;
	if (h == CALIBRATE_HOLDOUT_AUTO)
		h = c->cv[CALIBRATE_S8].present ? CALIBRATE_S8 :
		    c->cv[CALIBRATE_2M].present ? CALIBRATE_2M : CALIBRATE_HOLDOUT_NONE;
	if (h >= 0 && !c->cv[h].present)
		h = CALIBRATE_HOLDOUT_NONE;
	c->f.holdout = h;
	for (int m = 0; m < CALIBRATE_MODES; m++)
		for (size_t i = 0; i < c->cv[m].n; i++)
			c->cv[m].holdout[i] = m == h || i % CALIBRATE_HOLDOUT_EVERY == 1;
}

/* The points of one curve the fit fits on, and their knees. */
typedef struct view {
	size_t n;
	unsigned pages[CALIBRATE_MAX_POINTS];
	double ns[CALIBRATE_MAX_POINTS];
	calibrate_knee_set k;
} view;

static void view_of(const calibrate *c, int m, view *v)
{
	const calibrate_curve *cv = &c->cv[m];
	v->n = 0;
	for (size_t i = 0; cv->present && i < cv->n; i++)
		if (!cv->holdout[i]) {
			v->pages[v->n] = cv->pages[i];
			v->ns[v->n++] = cv->meas[i];
		}
	v->k = knees_of(v->ns, v->n);
}

/* The TLB transitions of the 4k curve V4: its knees that no knee of the
 * packed control VP explains, consecutive ones merged when the plateau
 * between them holds fewer than 3 points (a rise spread over a few points
 * is one step). A packed knee is a cache's capacity in lines; the 4k curve
 * loads a line a page, so it rises there too: each packed knee explains
 * the 4k knee nearest it (in ratio) within CALIB_KNEE_FACTOR, and that one
 * only - a second rise near a cache's capacity is another structure's
 * (the round trip's L2 TLB of 128 entries rises at 132 pages, 1.4 times
 * the L1D's 96 lines; it was taken for the cache until this rule). Each
 * transition is a pair of plateau indexes (before, after). */
static size_t tlb_steps(const view *v4, const view *vp, size_t (*out)[2])
{
	int is_cache[CALIBRATE_MAX_KNEES] = { 0 };
	for (size_t i = 0; i < vp->k.n; i++) {
		unsigned lines = vp->pages[vp->k.at[i]];
		size_t best = SIZE_MAX;
		double bd = 0;
		for (size_t j = 0; j < v4->k.n; j++) {
			unsigned pg = v4->pages[v4->k.at[j]];
			double d = fabs(log((double)pg / lines));
			if (!is_cache[j] && within_factor(pg, lines) &&
			    (best == SIZE_MAX || d < bd)) {
				best = j;
				bd = d;
			}
		}
		if (best != SIZE_MAX)
			is_cache[best] = 1;
	}
	size_t n = 0;
	for (size_t j = 0; j < v4->k.n; j++) {
		if (is_cache[j])
			continue;
		size_t plate = j + 1;   /* knee j starts plateau j + 1 */
		const calib_plateau *prev = &v4->k.pl[plate - 1];
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

/* The measuring CPU's CPUID L2 DTLB (chase_cpuid_l2_dtlb): a saved table's
 * '# cpuid:' line, or this CPU's when it measured the curves (a live
 * measurement, or a saved table naming this CPU's model). */
static int host_l2_dtlb(const calibrate *c, unsigned *entries, unsigned *ways)
{
	if (c->host.cpuid_l2_entries) {   /* the table's (chase's "# cpuid:" line) */
		*entries = c->host.cpuid_l2_entries;
		*ways = c->host.cpuid_l2_ways;
		return 0;
	}
	char here[256];
	if (c->cfg.measured && (cpuinfo("model name", here, sizeof(here)) ||
				strcmp(here, c->host.cpu)))
		return -1;
	unsigned ebx;
	return chase_cpuid_l2_dtlb(entries, ways, &ebx);
}

static int within_any(double l, const double *levels, size_t nl)
{
	for (size_t i = 0; i < nl; i++)
		if (l <= CALIB_KNEE_FACTOR * levels[i] && l * CALIB_KNEE_FACTOR >= levels[i])
			return 1;
	return 0;
}

/* The capacity the stride curve V shows of the L2 TLB: the step out of its
 * first plateau at one of LEVELS[0..NL-1] (within CALIB_KNEE_FACTOR), the
 * 4k curve's L2-TLB-hit levels - its plateaus between its two TLB steps,
 * more than one where the data leave the L1D before the L2 TLB fills (a
 * 48 KB L1D beside a 2048-entry sTLB) - to a plateau at none of them: a
 * step between two such levels is the caches', and the plateau at L1_LEVEL
 * (the 4k curve's L1-TLB hits) is the L1 TLB's. CALIB_CAP_HIDDEN when it
 * has none (it goes from L1 TLB hits to walks). */
static double stride_capacity(const view *v, double l1_level, const double *levels, size_t nl)
{
	for (size_t p = 0; p + 1 < v->k.npl; p++) {
		if (within_any(v->k.pl[p].level, &l1_level, 1) ||
		    !within_any(v->k.pl[p].level, levels, nl) ||
		    within_any(v->k.pl[p + 1].level, levels, nl))
			continue;
		return calib_step_size(v->pages, v->ns, v->k.pl, p, p + 1);
	}
	return CALIB_CAP_HIDDEN;
}

/* The capacity the stride curve V shows of the L1 TLB: its first step when
 * it starts at L1_LEVEL (the 4k curve's L1-hit plateau, within
 * CALIB_KNEE_FACTOR), else CALIB_CAP_HIDDEN (its first point already
 * misses the L1 TLB). */
static double stride_capacity_l1(const view *v, double l1_level)
{
	if (v->k.npl < 2 || !within_any(v->k.pl[0].level, &l1_level, 1))
		return CALIB_CAP_HIDDEN;
	return calib_step_size(v->pages, v->ns, v->k.pl, 0, 1);
}

/* What the stride curves (s8, s512) that have 3 points or more show of the
 * L1 TLB (NL == 0: stride_capacity_l1) or of the L2 TLB (its hit LEVELS:
 * stride_capacity), into STRIDES and CAP; *HIDDEN the first point of the
 * smallest curve that hides it (UINT_MAX: none). VS is scratch. Returns
 * how many curves. */
static size_t stride_caps(calibrate *c, view *vs, double l1_level, const double *levels,
			  size_t nl, unsigned strides[2], double cap[2], unsigned *hidden)
{
	static const int smode[2] = { CALIBRATE_S8, CALIBRATE_S512 };
	size_t ns = 0;
	*hidden = UINT_MAX;
	for (int k = 0; k < 2; k++) {
		view_of(c, smode[k], vs);
		if (vs->n < 3)
			continue;
		strides[ns] = mode_stride[smode[k]];
		cap[ns] = nl ? stride_capacity(vs, l1_level, levels, nl)
			     : stride_capacity_l1(vs, l1_level);
		if (cap[ns] <= CALIB_CAP_HIDDEN && vs->pages[0] < *hidden)
			*hidden = vs->pages[0];
		ns++;
	}
	return ns;
}

/* The L1 and L2 TLB sizes from the 4k curve's steps, the L2 TLB's sets and
 * ways from the stride curves'. Writes the L2 TLB's entries and the ways
 * the curves allow into E_KNEE, W_KNEE (0: no second step). */
static void fit_tlb(calibrate *c, const param_reg *p, calibrate_fit_result *f,
		    unsigned *e_knee, unsigned *w_knee, unsigned *e_onset, unsigned *w_onset,
		    double *p_knee, double *p_onset)
{
	view *v4 = malloc(sizeof(*v4)), *vp = malloc(sizeof(*vp)), *vs = malloc(sizeof(*vs));
	*e_knee = *w_knee = *e_onset = *w_onset = 0;
	*p_knee = *p_onset = 0;
	if (!v4 || !vp || !vs)
		goto out;   /* (the configuration's TLBs: said below) */
	view_of(c, CALIBRATE_4K, v4);
	view_of(c, CALIBRATE_PACKED, vp);
	size_t st[CALIBRATE_MAX_KNEES][2];
	size_t nst = v4->n ? tlb_steps(v4, vp, st) : 0;
	static const char *const lvl[2] = { "tlb.l1d", "tlb.l2" };
	for (size_t t = 0; t < 2 || t < nst; t++) {
		if (t >= nst) {
			fit_note(f, "%s: no %s TLB step in the 4k curve's points fitted on: its size "
				 "is the configuration's", lvl[t], t ? "second" : "first");
			continue;
		}
		const calib_plateau *b = &v4->k.pl[st[t][0]], *a = &v4->k.pl[st[t][1]];
		if (t >= 2) {
			fit_note(f, "a further rise of the 4k curve at %u pages (%.2f -> %.2f ns per "
				 "access), past the L2 TLB: no TLB is sized from it (the walks' "
				 "descriptors and the data leave the caches: the latencies)",
				 v4->pages[b->last + 1], b->level, a->level);
			continue;
		}
		double size = calib_step_size(v4->pages, v4->ns, v4->k.pl, st[t][0], st[t][1]);
		char key[48], val[32], l1why[400] = "";
		unsigned e, w;
		calib_tlb_geometry(size, machine_param_ways(p, lvl[t]), &e, &w);   /* (auto resolved) */
		if (t == 0 && e == w) {
			/* fully associative by size: the stride curves may say sets */
			double on = calib_step_onset(v4->pages, v4->ns, v4->k.pl, st[0][0], st[0][1]);
			unsigned strides[2], hidden;
			double cap[2];
			size_t ns = stride_caps(c, vs, v4->k.pl[0].level, NULL, 0, strides, cap,
						&hidden);
			calib_geom g1;
			if (ns && on >= 1) {
				calib_tlb1_sets(size, on, strides, cap, ns, hidden, &g1);
				if (g1.sets > 1) {
					e = g1.sets * g1.ways;
					w = g1.ways;
					char caps[160] = "";
					for (size_t k = 0; k < ns; k++)
						snprintf(caps + strlen(caps), sizeof(caps) - strlen(caps),
							 cap[k] > CALIB_CAP_HIDDEN ? "%ss%u holds %.0f pages" :
							 "%ss%u misses it from its first point (%.0f: fewer "
							 "than that)", caps[0] ? ", " : "", strides[k],
							 cap[k] > CALIB_CAP_HIDDEN ? cap[k] : (double)hidden);
					snprintf(l1why, sizeof(l1why), "%u sets x %u ways, linear: %s "
						 "(pages S apart use max(1, sets/S) sets); the rise starts "
						 "at %.0f pages (calib_step_onset), %u entries; %zu "
						 "geometries agree (ways %u..%u), the fewest sets taken",
						 g1.sets, g1.ways, caps, on, e, g1.consistent, g1.ways_lo,
						 g1.ways_hi);
				}
			}
		}
		snprintf(key, sizeof(key), "%s.entries", lvl[t]);
		snprintf(val, sizeof(val), "%u", e);
		fit_add(f, key, val, "4k curve: %s TLB step from %.2f ns (%u-%u pages) to %.2f ns "
			"(%u-%u), crossing their geometric mean at %.0f pages%s", t ? "second" : "first",
			b->level, v4->pages[b->first], v4->pages[b->last], a->level,
			v4->pages[a->first], v4->pages[a->last], size,
			lround(size) != (long)e ? " (rounded: entries/ways a power of two)" : "");
		snprintf(key, sizeof(key), "%s.ways", lvl[t]);
		snprintf(val, sizeof(val), "%u", w);
		fit_add(f, key, val, "%s", l1why[0] ? l1why : w == e ?
			"fully associative (sizes up to 128; the s8, s512 curves show no sets)" :
			"the configuration's ways or the next up to twice them, for entries/ways a "
			"power of two (sets and ways: the s8, s512 curves below)");
		if (t == 1) {
			*e_knee = e;
			*w_knee = w;
			/* the rise's start, a candidate beside its middle (calib.h) */
			double on = calib_step_onset(v4->pages, v4->ns, v4->k.pl, st[t][0],
						     st[t][1]);
			calib_tlb_geometry(on, machine_param_ways(p, lvl[t]), e_onset, w_onset);
			*p_knee = size;
			*p_onset = on;
			/* the L2-hit levels: the plateaus between the two steps */
			double l2_level[CALIBRATE_MAX_KNEES + 1];
			size_t nl = 0;
			for (size_t q = st[0][1]; q <= st[1][0]; q++)
				l2_level[nl++] = v4->k.pl[q].level;
			unsigned l1 = (unsigned)param_int(p, "tlb.l1d.entries");
			for (size_t i = 0; i < c->f.n; i++)
				if (!strcmp(c->f.v[i].key, "tlb.l1d.entries"))
					l1 = (unsigned)atoi(c->f.v[i].value);
			unsigned strides[2], hidden;
			double cap[2];
			size_t ns = stride_caps(c, vs, v4->k.pl[0].level, l2_level, nl, strides, cap,
						&hidden);
			if (!ns)
				continue;
			unsigned ce, cw;
			int have_cpuid = host_l2_dtlb(c, &ce, &cw) == 0;
			unsigned pref = have_cpuid && ce == e ? cw : w;
			calib_geom g;
			calib_tlb_sets(e, l1, strides, cap, ns, pref, &g);
			char caps[160] = "";
			for (size_t k = 0; k < ns; k++) {
				if (cap[k] > 0)
					snprintf(caps + strlen(caps), sizeof(caps) - strlen(caps),
						 "%ss%u holds %.0f pages", caps[0] ? ", " : "", strides[k],
						 cap[k]);
				else
					snprintf(caps + strlen(caps), sizeof(caps) - strlen(caps),
						 "%ss%u shows no L2 TLB plateau (at most the L1 TLB's %u)",
						 caps[0] ? ", " : "", strides[k], l1);
			}
			*w_knee = g.ways;
			if (*e_onset && *e_onset != e) {
				calib_geom go;
				calib_tlb_sets(*e_onset, l1, strides, cap, ns, pref, &go);
				*w_onset = go.ways;
			}
			snprintf(val, sizeof(val), "%u", g.ways);
			fit_add(f, "tlb.l2.ways", val, "%u sets x %u ways%s: %s (%s); %zu of the "
				"geometries of %u entries agree (ways %u..%u)%s", g.sets, g.ways,
				g.xor_index ? ", XOR-indexed" : "", caps, g.xor_index ?
				"a TLB indexed by the page number's low n bits XOR the next n holds "
				"ways x sets pages S apart while S < sets, ways x max(1, sets^2/S) "
				"from there" : "a TLB indexed by the low page-number bits holds "
				"ways x max(1, sets/S) pages S apart", g.consistent, e, g.ways_lo,
				g.ways_hi, g.consistent < 2 ? "" :
				pref == cw && have_cpuid ? ", CPUID Fn8000_0006 names the ways" :
				", the configuration's ways the nearest");
			if (g.xor_index)
				fit_add(f, "tlb.l2.index", "xor", "%s: no linear geometry of %u "
					"entries holds that (pages S apart would use sets/S of the "
					"sets; TLB;DR's XOR-7 of Intel's sTLB)", caps, e);
		}
	}
out:
	free(v4);
	free(vp);
	free(vs);
}

/* The value fit_add gave KEY, or NULL. */
static const char *fit_value(const calibrate_fit_result *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].key, key) == 0)
			return f->v[i].value;
	return NULL;
}

/* The packed control's last step (knees merged as the 4k curve's): its size
 * in lines and the levels around it; 0 when it has none. */
static double packed_last_step(const view *vp, double *before, double *after)
{
	if (vp->k.n == 0)
		return 0;
	/* the last transition, merged back over plateaus of fewer than 3 points */
	size_t a = vp->k.npl - 1, b = a - 1;
	while (b > 0 && vp->k.pl[b].last - vp->k.pl[b].first + 1 < 3)
		b--;
	*before = vp->k.pl[b].level;
	*after = vp->k.pl[a].level;
	return calib_step_size(vp->pages, vp->ns, vp->k.pl, b, a);
}

/* Cache geometry from sysfs (the CPU chase was pinned to, else cpu0), held
 * against the packed control: when its last step - into memory - comes at
 * less than the LLC's capacity over CALIB_KNEE_FACTOR (and past the L2's
 * times it), this VM has that much of a shared LLC (other tenants hold the
 * rest), and the LLC is sized from the step, its ways sysfs's (C->llc_sysfs:
 * sysfs's sets, which the search tries too). */
static void fit_caches(calibrate *c, calibrate_fit_result *f)
{
	int cpu = 0;
	const char *pin = strstr(c->host.pinning, "pinned to CPU ");
	if (pin && strncmp(c->host.pinning, "not", 3) != 0)
		cpu = atoi(pin + 14);
	/* the table's (chase's "# cache:" lines, the measuring machine's sysfs),
	 * else this machine's */
	int from_table = c->host.ncache > 0;
	if (c->cfg.measured && !from_table)
		fit_note(f, "cache geometry: read from this machine's sysfs, not from the one "
			 "that measured %s (the table has no '# cache:' lines)", c->cfg.measured);
	int any = 0;
	for (int idx = 0; idx < 8; idx++) {
		char base[160], path[192], lvl[16], type[32], ways[24], sets[24], line[24];
		if (from_table) {
			if ((unsigned)idx >= c->host.ncache)
				break;
			snprintf(base, sizeof(base), "%s", c->host.cache[idx].src[0] ?
				 c->host.cache[idx].src : "the table's '# cache:' line");
			snprintf(lvl, sizeof(lvl), "%u", c->host.cache[idx].level);
			snprintf(type, sizeof(type), "%s", c->host.cache[idx].type);
			snprintf(sets, sizeof(sets), "%lu", c->host.cache[idx].sets);
			snprintf(ways, sizeof(ways), "%lu", c->host.cache[idx].ways);
			snprintf(line, sizeof(line), "%lu", c->host.cache[idx].line);
		} else {
			snprintf(base, sizeof(base), "/sys/devices/system/cpu/cpu%d/cache/index%d",
				 cpu, idx);
#define RD(f, b) (snprintf(path, sizeof(path), "%s/" f, base), read_line(path, b, sizeof(b)))
			if (RD("level", lvl) || RD("type", type) || RD("ways_of_associativity", ways) ||
			    RD("number_of_sets", sets) || RD("coherency_line_size", line))
				continue;
#undef RD
		}
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
		char k[48];
		if (!s || !w || w > 64 || ((s & (s - 1)) && strcmp(key, "cache.llc"))) {
			fit_note(f, "%s: sysfs %s gives %s sets x %s ways, not a geometry the model "
				 "takes (sets a power of two, ways 1..64): the configuration's", key,
				 base, sets, ways);
			continue;
		}
		any = 1;
		if (!strcmp(key, "cache.l1d"))
			fit_add(f, "cache.line", line, "sysfs %s/coherency_line_size", base);
		snprintf(k, sizeof(k), "%s.sets", key);
		if (s & (s - 1)) {
			/* a sliced L3 (Intel's: sets = slices x 2^n) as the model's one
			 * power-of-two array; the packed control's step below sizes it */
			unsigned long p2 = 1;
			while (p2 * 2 <= s)
				p2 *= 2;
			char v2[24];
			snprintf(v2, sizeof(v2), "%lu", p2);
			fit_add(f, k, v2, "sysfs %s/number_of_sets %s (level %s %s: not a power of "
				"two, as a sliced L3's; the power of two below)", base, sets, lvl, type);
		} else
			fit_add(f, k, sets, "sysfs %s/number_of_sets (level %s %s)", base, lvl, type);
		snprintf(k, sizeof(k), "%s.ways", key);
		fit_add(f, k, ways, "sysfs %s/ways_of_associativity", base);
	}
	if (!any) {
		fit_note(f, "cache geometry: /sys/devices/system/cpu/cpu%d/cache is not readable: "
			 "the configuration's", cpu);
		return;
	}
	const char *ls = fit_value(f, "cache.llc.sets"), *lw = fit_value(f, "cache.llc.ways");
	const char *l2s = fit_value(f, "cache.l2.sets"), *l2w = fit_value(f, "cache.l2.ways");
	view *vp = malloc(sizeof(*vp));
	if (!vp || !ls || !lw || !l2s || !l2w) {
		free(vp);
		return;
	}
	view_of(c, CALIBRATE_PACKED, vp);
	double before = 0, after = 0, step = packed_last_step(vp, &before, &after);
	double llc = atof(ls) * atof(lw), l2 = atof(l2s) * atof(l2w);   /* lines */
	if (step > CALIB_KNEE_FACTOR * l2 && step * CALIB_KNEE_FACTOR < llc) {
		unsigned ways = (unsigned)atoi(lw), sets = 1;
		while (sets * 2 * ways <= step * 1.41421356)   /* the nearest power of two, in log */
			sets *= 2;
		char val[32];
		snprintf(val, sizeof(val), "%u", sets);
		c->llc_sysfs = (unsigned)atoi(ls);
		/* sets are a power of two: the step lies between SETS and the
		 * other one, which the search tries too */
		c->llc_other = sets * ways < step ? sets * 2 : sets / 2;
		fit_add(f, "cache.llc.sets", val, "the packed control's last step (%.2f -> %.2f ns, "
			"into memory) at %.0f lines = %.1f MB against sysfs's %.0f MB LLC: this VM "
			"holds %.0f%% of it (a shared L3; other tenants the rest); %u sets x %s ways",
			before, after, step, step * 64 / 1048576, llc * 64 / 1048576,
			100 * step / llc, sets, lw);
		fit_finding(f, "effective LLC %.1f MB of %.0f MB: the packed control leaves the LLC "
			    "at %.0f lines (%.2f -> %.2f ns), not at sysfs's capacity: a shared L3 "
			    "whose other tenants the model does not have", step * 64 / 1048576,
			    llc * 64 / 1048576, step, before, after);
	}
	free(vp);
}

/* ---------------------------------------------------------------- the fit: latencies */

/* A lookup latency fitted above this many cycles is more than a lookup. */
#define CALIBRATE_LOOKUP_MAX 8

static const char *const lat_key[CALIB_LATS] = {
	"cache.l1d.latency", "tlb.l2.latency", "cache.l2.latency", "cache.llc.latency",
	"cache.mem.latency", "walk.s2_fixed", "ntlb.latency", "walk.fixed",
};

/* The latencies P replays with. */
static void lat_of(const param_reg *p, double lat[CALIB_LATS])
{
	for (int k = 0; k < CALIB_LATS; k++)
		lat[k] = (double)param_int(p, lat_key[k]);
}

/* The counts of the points fitted on (MODEL_COUNTS must have run) into
 * OBS (N of them), AT[k] = curve * CALIBRATE_MAX_POINTS + index. */
static size_t train_obs(const calibrate *c, calib_obs *obs, size_t *at)
{
	size_t n = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++)
		for (size_t i = 0; i < c->cv[m].n; i++)
			if (!c->cv[m].holdout[i]) {
				at[n] = (size_t)m * CALIBRATE_MAX_POINTS + i;
				obs[n++] = c->cv[m].obs[i];
			}
	return n;
}

/* Fit every latency (calib_fit_linear) to the counts of the points fitted
 * on, replayed under P (SEL: those to replay; the others keep their last
 * counts). */
static int fit_counts(calibrate *c, param_reg *p, enum sweep_sel sel, calib_lin_fit *lf,
		      char *err, size_t errlen)
{
	int rc = model_sweep(c, p, MODEL_COUNTS, sel, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	c->f.candidates++;
	size_t cap = (size_t)CALIBRATE_MODES * CALIBRATE_MAX_POINTS;
	calib_obs *obs = malloc(cap * sizeof(*obs));
	size_t *at = malloc(cap * sizeof(*at));
	if (!obs || !at) {
		free(obs);
		free(at);
		return FAIL(TRACE_ENOMEM, "out of memory (fit)");
	}
	size_t n = train_obs(c, obs, at);
	double lat0[CALIB_LATS];
	lat_of(p, lat0);
	int fit[CALIB_LATS];
	for (int k = 0; k < CALIB_LATS; k++)   /* a latency the caller set is kept */
		fit[k] = !param_is_set(c->user, lat_key[k]);
	fit[CALIB_LAT_NTLB] &= param_int(p, "ntlb.entries") > 0;
	rc = calib_fit_linear(obs, n, lat0, fit, lf);
	free(obs);
	free(at);
	return rc ? FAIL(TRACE_ENOMEM, "out of memory (fit)") : TRACE_OK;
}

/* ---------------------------------------------------------------- the fit: search */

/* The counts of every point, to keep the best candidate's. */
typedef struct counts {
	calib_obs obs[CALIBRATE_MODES][CALIBRATE_MAX_POINTS];
} counts;

static void counts_save(const calibrate *c, counts *k)
{
	for (int m = 0; m < CALIBRATE_MODES; m++)
		memcpy(k->obs[m], c->cv[m].obs, sizeof(k->obs[m]));
}

static void counts_load(calibrate *c, const counts *k)
{
	for (int m = 0; m < CALIBRATE_MODES; m++)
		memcpy(c->cv[m].obs, k->obs[m], sizeof(k->obs[m]));
}

/* One structure to search: candidates, each a list of assignments
 * "key=value[,key=value...]" (entries 0: absent), the points a trial
 * replays, and what the curves show of it, for the preset. */
typedef struct search_space {
	const char *what;
	char (*cand)[96];
	size_t n;
	enum sweep_sel sel;
	const char *why;
	int again;      /* a second pass: what it keeps is the first pass's */
} search_space;

/* Apply the assignments A to P. */
static int apply(param_reg *p, const char *a, char *err, size_t errlen)
{
	char buf[96];
	snprintf(buf, sizeof(buf), "%s", a);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		assert(eq && "calibrate: a candidate is key=value");
		*eq = '\0';
		int rc = set_param(p, t, eq + 1, "--fit", err, errlen);
		if (rc != TRACE_OK)
			return rc;
	}
	return TRACE_OK;
}

/* The current values of the keys candidate A assigns, as assignments. */
static void current_of(const param_reg *p, const char *a, char *out, size_t len)
{
	char buf[96];
	snprintf(buf, sizeof(buf), "%s", a);
	out[0] = '\0';
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		*eq = '\0';
		snprintf(out + strlen(out), len - strlen(out), "%s%s=%s", out[0] ? "," : "", t,
			 param_text(p, t));
	}
}

/* 1: every key candidate A assigns was set by the caller (the search is
 * skipped). */
static int user_set_all(const calibrate *c, const char *a)
{
	char buf[96];
	snprintf(buf, sizeof(buf), "%s", a);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		*strchr(t, '=') = '\0';
		if (!param_is_set(c->user, t))
			return 0;
	}
	return 1;
}

/* A candidate structure must lower the mean |error| by this share of it
 * (and by 0.1 percentage point) to replace the configuration's: a
 * difference the curves' noise could make is no reason. */
#define CALIBRATE_SEARCH_GAIN 0.02

/* Try every candidate of S under P (the rest as P has it), keep the one
 * whose latency fit leaves the least mean error on the points fitted on
 * (*BEST, the current structure's on entry; a candidate must beat it by
 * CALIBRATE_SEARCH_GAIN), and say what was tried. P gets the winner, and the counts
 * its replay made. */
static int search(calibrate *c, param_reg *p, const search_space *s, double *best,
		  counts *keep, char *err, size_t errlen)
{
	char cur[96], tried[600] = "";
	current_of(p, s->cand[0], cur, sizeof(cur));
	if (user_set_all(c, s->cand[0])) {
		fit_note(&c->f, "%s: as configured (%s), not searched", s->what, cur);
		return TRACE_OK;
	}
	if (c->best_sel != (int)s->sel) {
		/* the running best was taken on other points: this search's own */
		calib_lin_fit lf0;
		int rc0 = fit_counts(c, p, s->sel, &lf0, err, errlen);
		if (rc0 != TRACE_OK)
			return rc0;
		*best = lf0.mean_error;
		c->best_sel = (int)s->sel;
	}
	size_t win = s->n;
	double start = *best;
	counts_save(c, keep);
	for (size_t i = 0; i < s->n; i++) {
		step(c, s->what, i, s->n);
		int rc = apply(p, s->cand[i], err, errlen);
		calib_lin_fit lf;
		if (rc == TRACE_OK)
			rc = fit_counts(c, p, s->sel, &lf, err, errlen);
		if (rc != TRACE_OK)
			return rc;
		/* the values, '/' between them */
		snprintf(tried + strlen(tried), sizeof(tried) - strlen(tried), "%s", i ? ", " : "");
		for (const char *v = strchr(s->cand[i], '='); v; v = strchr(v + 1, '=')) {
			size_t l = strcspn(v + 1, ",");
			snprintf(tried + strlen(tried), sizeof(tried) - strlen(tried), "%s%.*s",
				 v == strchr(s->cand[i], '=') ? "" : "/", (int)l, v + 1);
		}
		snprintf(tried + strlen(tried), sizeof(tried) - strlen(tried), " %.1f%%",
			 100 * lf.mean_error);
		if (lf.mean_error < *best * (1 - CALIBRATE_SEARCH_GAIN) &&
		    lf.mean_error < *best - 0.001) {
			*best = lf.mean_error;
			win = i;
			counts_save(c, keep);
		}
	}
	step(c, s->what, s->n, 0);
	counts_load(c, keep);
	int rc = apply(p, win < s->n ? s->cand[win] : cur, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	if (win == s->n) {
		fit_note(&c->f, "%s: %s kept (%s): no candidate lowers the latency fit's mean "
			 "|error| on the points fitted on, %.1f%% (tried %s); %s", s->what,
			 s->again ? "the first pass's choice" : "the configuration's", cur,
			 100 * start, tried, s->why);
		return TRACE_OK;
	}
	char buf[96];
	snprintf(buf, sizeof(buf), "%s", s->cand[win]);
	char *save = NULL;
	int first = 1;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save), first = 0) {
		char *eq = strchr(t, '=');
		*eq = '\0';
		if (first)
			fit_add(&c->f, t, eq + 1, "%s: the least mean |error| of the latency fit on the "
				"points fitted on, %.1f%% (%.1f%% before; tried %s); %s", s->what,
				100 * *best, 100 * start, tried, s->why);
		else
			fit_add(&c->f, t, eq + 1, "with %s above", s->what);
	}
	return TRACE_OK;
}

/* ---------------------------------------------------------------- the fit: order */

/* CANDIDATES for KEY (and WAYS_KEY: min(size, WAYS0); 0 absent) of SIZES. */
static size_t cand_sizes(char (*out)[96], const char *key, const char *ways_key, unsigned ways0,
			 const unsigned *sizes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out[i], sizeof(out[i]), "%s=%u,%s=%u", key, sizes[i], ways_key,
			 sizes[i] && sizes[i] < ways0 ? sizes[i] : ways0 ? ways0 : 1);
	return n;
}

/* The median |fitted - measured| / measured over the points of curve M
 * (all when M < 0) with HOLD as given (-1: both) and PAST (-1: both). */
static double error_of(const calibrate *c, int m, int hold, int past, size_t *count)
{
	double e[CALIBRATE_MODES * CALIBRATE_MAX_POINTS];
	size_t n = 0;
	for (int k = 0; k < CALIBRATE_MODES; k++) {
		const calibrate_curve *cv = &c->cv[k];
		if ((m >= 0 && k != m) || !cv->present)
			continue;
		for (size_t i = 0; i < cv->n; i++) {
			double pages = k == CALIBRATE_PACKED ? cv->pages[i] / 64.0 : cv->pages[i];
			int is_past = c->f.l2_entries && pages > c->f.l2_entries;
			if ((hold >= 0 && cv->holdout[i] != hold) || (past >= 0 && is_past != past))
				continue;
			e[n++] = fabs(cv->fitted[i] - cv->meas[i]) / cv->meas[i];
		}
	}
	*count = n;
	return n ? calib_median(e, n) : -1;
}

static void fit_errors(calibrate *c)
{
	calibrate_fit_result *f = &c->f;
	size_t n;
	const char *l2 = fit_value(f, "tlb.l2.entries");
	f->l2_entries = l2 ? (unsigned)atoi(l2) : (unsigned)param_int(c->p, "tlb.l2.entries");
	f->train_error = error_of(c, -1, 0, -1, &n);
	f->holdout_error = error_of(c, -1, 1, -1, &n);
	f->holdout_pattern_error = f->holdout >= 0 ? error_of(c, f->holdout, 1, -1, &n) : -1;
	/* the held-out points of the fitted curves */
	double e[CALIBRATE_MODES * CALIBRATE_MAX_POINTS];
	size_t k = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++)
		for (size_t i = 0; m != f->holdout && i < c->cv[m].n; i++)
			if (c->cv[m].holdout[i])
				e[k++] = fabs(c->cv[m].fitted[i] - c->cv[m].meas[i]) / c->cv[m].meas[i];
	f->holdout_points_error = k ? calib_median(e, k) : -1;
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		calibrate_curve_error *ce = &f->curve[m];
		ce->train = error_of(c, m, 0, -1, &ce->ntrain);
		ce->holdout = error_of(c, m, 1, -1, &ce->nholdout);
		ce->train_past = error_of(c, m, 0, 1, &ce->ntrain_past);
		ce->holdout_past = error_of(c, m, 1, 1, &ce->nholdout_past);
		ce->all = error_of(c, m, -1, -1, &ce->nall);
		ce->all_past = error_of(c, m, -1, 1, &ce->nall_past);
		ce->met = ce->nall && ce->all <= CALIBRATE_TARGET &&
			  (!ce->nall_past || ce->all_past <= CALIBRATE_TARGET_PAST);
	}
}

/* The latencies of the last fit_counts into PF and the preset, with the
 * evidence for the costs of a walk beyond its lookups and reads. */
static int set_latencies(calibrate *c, param_reg *pf, const calib_lin_fit *lf, char *err,
			 size_t errlen)
{
	calibrate_fit_result *f = &c->f;
	double lat0[CALIB_LATS];
	lat_of(pf, lat0);
	for (int k = 0; k < CALIB_LATS; k++) {
		if (!lf->fitted[k] && param_is_set(c->user, lat_key[k])) {
			fit_note(f, "%s: as configured (%.0f cycles), not fitted", lat_key[k], lat0[k]);
			continue;
		}
		if (!lf->fitted[k]) {
			fit_note(f, "%s: not observable on the points fitted on (at most %.1f%% of a "
				 "point's modelled cost): the configuration's %.0f cycles kept",
				 lat_key[k], 100 * lf->share[k], lat0[k]);
			continue;
		}
		char val[32];
		snprintf(val, sizeof(val), "%.0f", lf->value[k]);
		fit_add(f, lat_key[k], val, "fitted jointly (calib_fit_linear) on the points fitted "
			"on: %.2f cycles at %.3f GHz, %.1f%% of a point's modelled cost at most, at "
			"least %.0f%% of it on %zu points", lf->value[k], c->ghz, 100 * lf->share[k],
			100 * CALIB_SHARE, lf->shown[k]);
		int rc = set_param(pf, lat_key[k], val, "--fit", err, errlen);
		if (rc != TRACE_OK)
			return rc;
	}
	/* A lookup latency fitted far above a lookup's few cycles is a cost of
	 * what it stands for: say so. */
	if (lf->fitted[CALIB_LAT_NTLB] && lf->value[CALIB_LAT_NTLB] > CALIBRATE_LOOKUP_MAX)
		fit_finding(f, "ntlb.latency = %.0f cycles: a nested-TLB hit costs that much - a "
			    "lookup is a few cycles: the rest is a cost of the 2-D walk charged "
			    "there (at most %.0f%% of a point's cost, %zu points at least %.0f%%)",
			    lf->value[CALIB_LAT_NTLB], 100 * lf->share[CALIB_LAT_NTLB],
			    lf->shown[CALIB_LAT_NTLB], 100 * CALIB_SHARE);
	/* The costs per walk and per host walk, and the direct evidence: at the
	 * points where (nearly) every access walks, what the measured cost
	 * leaves per walk beyond the model's lookups and reads. */
	f->walk_fixed = lf->fitted[CALIB_LAT_WALK] ? lf->value[CALIB_LAT_WALK] : lat0[CALIB_LAT_WALK];
	f->s2_walk_fixed = lf->fitted[CALIB_LAT_S2_WALK] ? lf->value[CALIB_LAT_S2_WALK]
							  : lat0[CALIB_LAT_S2_WALK];
	double walks = 0, s2w = 0, v[CALIBRATE_MODES * CALIBRATE_MAX_POINTS];
	size_t nv = 0;
	unsigned lo = UINT_MAX, hi = 0;
	int walked[CALIBRATE_MODES] = { 0 };
	double l[CALIB_LATS];
	memcpy(l, lf->value, sizeof(l));
	l[CALIB_LAT_WALK] = 0;
	l[CALIB_LAT_S2_WALK] = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++)
		for (size_t i = 0; i < c->cv[m].n; i++) {
			const calib_obs *o = &c->cv[m].obs[i];
			if (c->cv[m].holdout[i])
				continue;
			walks += o->n[CALIB_LAT_WALK];
			s2w += o->n[CALIB_LAT_S2_WALK];
			if (o->n[CALIB_LAT_WALK] < 0.9 || m == CALIBRATE_PACKED)
				continue;
			v[nv++] = (o->measured - calib_predict(o, lat0, l)) / o->n[CALIB_LAT_WALK];
			walked[m] = 1;
			lo = c->cv[m].pages[i] < lo ? c->cv[m].pages[i] : lo;
			hi = c->cv[m].pages[i] > hi ? c->cv[m].pages[i] : hi;
		}
	f->s2_walks_per_walk = walks > 0 ? s2w / walks : 0;
	double direct = calib_median(v, nv);
	char curves[48] = "";
	for (int m = 0; m < CALIBRATE_MODES; m++)
		if (walked[m])
			snprintf(curves + strlen(curves), sizeof(curves) - strlen(curves), "%s%s",
				 curves[0] ? ", " : "", mode_name[m]);
	int none = lround(f->walk_fixed) == 0 && lround(f->s2_walk_fixed) == 0;
	/* (nothing lacking: a note of what was not fitted, not a finding) */
	if (nv)
		(none ? fit_note : fit_finding)(f, "walk.fixed = %.0f cycles (%.1f ns) per walk and walk.s2_fixed = "
			    "%.0f cycles (%.1f ns) per host walk (%.2f host walks a walk on the "
			    "points fitted on): %s. Evidence: on the %zu "
			    "points fitted on where every access walks (%s from %u to %u "
			    "pages), the measured cost leaves a median %.0f cycles per walk beyond "
			    "those lookups and reads at the fitted latencies", f->walk_fixed,
			    f->walk_fixed / c->ghz, f->s2_walk_fixed, f->s2_walk_fixed / c->ghz,
			    f->s2_walks_per_walk, none ? "nothing beyond the model's walk-cache "
			    "and nested-TLB lookups and descriptor reads - a 2-D walk here costs "
			    "what those cost at the fitted latencies" : "what a 2-D walk costs "
			    "here beyond the model's walk-cache and nested-TLB lookups and "
			    "descriptor reads - the walker's start, the TLB fill, a host walk's "
			    "own start", nv, curves, lo, hi, direct);
	return TRACE_OK;
}

/* A key the caller set (--config, --set) is what they know: the fit keeps
 * it. Drops such keys from what the structure stage found, saying so. */
static void keep_user(calibrate *c)
{
	calibrate_fit_result *f = &c->f;
	size_t k = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (!param_is_set(c->user, f->v[i].key)) {
			f->v[k++] = f->v[i];
			continue;
		}
		fit_note(f, "%s: as configured (%s), not fitted (the curves say %s)", f->v[i].key,
			 param_text(c->user, f->v[i].key), f->v[i].value);
	}
	f->n = k;
}

static int fit_into(calibrate *c, param_reg *pf, char *err, size_t errlen)
{
	char val[32];
	snprintf(val, sizeof(val), "%.6g", c->ghz);
	int rc;
	if ((rc = set_param(pf, "cache.model", "on", "--fit", err, errlen)) != TRACE_OK ||
	    (rc = set_param(pf, "sim.max_records", "0", "--fit", err, errlen)) != TRACE_OK ||
	    (rc = set_param(pf, "core.freq_ghz", val, "--fit", err, errlen)) != TRACE_OK)
		return rc;
	split(c);
	c->llc_sysfs = 0;
	c->llc_other = 0;
	unsigned e_knee, w_knee, e_onset, w_onset;
	double p_knee, p_onset;
	fit_tlb(c, pf, &c->f, &e_knee, &w_knee, &e_onset, &w_onset, &p_knee, &p_onset);
	fit_caches(c, &c->f);
	keep_user(c);
	for (size_t i = 0; i < c->f.n; i++)
		if ((rc = set_param(pf, c->f.v[i].key, c->f.v[i].value, "--fit", err, errlen)))
			return rc;
	counts *keep = malloc(sizeof(*keep));
	char (*cand)[96] = malloc(32 * sizeof(*cand));
	if (!keep || !cand) {
		free(keep);
		free(cand);
		return FAIL(TRACE_ENOMEM, "out of memory (fit)");
	}
	calib_lin_fit lf;
	double best = 0;
	rc = fit_counts(c, pf, SEL_TRAIN, &lf, err, errlen);
	best = lf.mean_error;
	c->best_sel = SEL_TRAIN;
	/* host.page: what the host backs guest memory with */
	size_t n = 0;
	snprintf(cand[n++], sizeof(cand[0]), "host.page=4k");
	snprintf(cand[n++], sizeof(cand[0]), "host.page=thp");
	search_space hp = { "host.page", cand, n, SEL_TRAIN, "4 KB pieces of a 2 MB guest page in "
			    "the TLBs and a nested walk per 4 KB page, or whole 2 MB pages", 0 };
	if (rc == TRACE_OK)
		rc = search(c, pf, &hp, &best, keep, err, errlen);
	/* the LLC: sysfs's, or this VM's share the packed control shows; its
	 * index linear or xor (cache.llc.index: lines at one offset of many
	 * pages, s512's leaf entries, share 1/64 of a linear LLC's sets) */
	const char *llc_step = fit_value(&c->f, "cache.llc.sets");
	char lcand[6][96], lwhy[320];
	search_space ls = { "the LLC's sets and index", lcand, 0, SEL_TRAIN, lwhy, 0 };
	static const char xor_why[] = "xor spreads lines at one offset of many pages over every "
				      "set, as Intel's L3 over its slices: McCalpin, TACC "
				      "TR-2021-03";
	if (rc == TRACE_OK && !llc_step && param_is_set(c->user, "cache.llc.sets") &&
	    !param_is_set(c->user, "cache.llc.index") && param_int(pf, "cache.llc.sets") > 1) {
		/* the caller's sets: its index only */
		snprintf(lcand[ls.n++], sizeof(lcand[0]), "cache.llc.index=linear");
		snprintf(lcand[ls.n++], sizeof(lcand[0]), "cache.llc.index=xor");
		ls.what = "the LLC's index";
		snprintf(lwhy, sizeof(lwhy), "linear or xor at the configured sets (%s); again "
			 "after the walk caches", xor_why);
		rc = search(c, pf, &ls, &best, keep, err, errlen);
	}
	if (rc == TRACE_OK && llc_step) {
		unsigned sizes[3], ns = 0;
		sizes[ns++] = (unsigned)atoi(llc_step);
		if (c->llc_sysfs && sizes[0] != c->llc_sysfs) {
			if (c->llc_other && c->llc_other != c->llc_sysfs)
				sizes[ns++] = c->llc_other;
			sizes[ns++] = c->llc_sysfs;
		}
		const char *ux = param_is_set(c->user, "cache.llc.index") ?
				 param_text(c->user, "cache.llc.index") : NULL;   /* the user's */
		for (unsigned i = 0; i < ns; i++)
			for (int x = 0; x < 2; x++)
				if (!ux || !strcmp(ux, x ? "xor" : "linear"))
					snprintf(lcand[ls.n++], sizeof(lcand[0]), "cache.llc.sets=%u,"
						 "cache.llc.index=%s", sizes[i], x ? "xor" : "linear");
		snprintf(lwhy, sizeof(lwhy), "%s (%s); again after the walk caches", ns > 1 ?
			 "sysfs's sets (the whole L3) or the packed control's step (this VM's "
			 "share), each linear and xor" : "linear or xor", xor_why);
		if (ls.n > 1)   /* (the caller's index and one size: nothing to search) */
			rc = search(c, pf, &ls, &best, keep, err, errlen);
		else
			ls.n = 0;
	}
	/* the L2 TLB: its size from the knees (and CPUID), its policy */
	static const char *const policy[] = { "lru", "plru", "random" };
	/* CPUID's L2 DTLB when the model can take it (sets a power of two) */
	unsigned ce, cw;
	int cpuid = host_l2_dtlb(c, &ce, &cw) == 0 && ce % cw == 0 &&
		    ((ce / cw) & (ce / cw - 1)) == 0;
	char tcand[9][96];   /* the knee's middle, its start, CPUID's: 3 policies each */
	size_t nt = 0;
	for (int src = 0; src < 3; src++) {
		unsigned e = src ? 0 : e_knee, w = w_knee;
		if (src == 1 && e_onset != e_knee) {
			e = e_onset;   /* with CPUID's ways when CPUID names this size */
			w = cpuid && ce == e_onset ? cw : w_onset;
		}
		if (src == 2 && cpuid && ce != e_knee && ce != e_onset) {
			e = ce;
			w = cw;
		}
		for (size_t k = 0; e && k < 3; k++)
			snprintf(tcand[nt++], sizeof(tcand[0]), "tlb.l2.entries=%u,tlb.l2.ways=%u,"
				 "tlb.l2.policy=%s", e, w, policy[k]);
	}
	char twhy[200];
	snprintf(twhy, sizeof(twhy), "the 4k curve's rise past the L1 TLB: its middle (%.0f "
		 "pages) and its start (%.0f: calib_step_onset), CPUID's where AMD reports it; "
		 "lru, plru, random each; searched again after the walk caches", p_knee, p_onset);
	search_space tl = { "the L2 TLB (entries, ways, policy)", tcand, nt, SEL_TRAIN_SMALL,
			    twhy, 0 };
	/* the nested TLB and the walk caches: their sizes */
	/* absent (0) last: the search keeps the first of equal errors, and a
	 * structure the curves cannot tell from none is not declared absent */
	static const unsigned ntlb_sizes[] = { 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
						0 };
	/* up to an L2 TLB's size: Zen 2's L2 DTLB holds page-directory entries
	 * beside translations (WikiChip's Zen 2 page, after AMD's family 17h
	 * Software Optimization Guide; the guide itself not checked here), a
	 * walk cache that large; the search says which size the curves want */
	static const unsigned wc_sizes[] = { 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 0 };
	struct {
		const char *key, *ways, *why;
		const unsigned *sizes;
		size_t n;
	} sz[] = {
		{ "ntlb.entries", "ntlb.ways", "the s512 curve's guest page-table pages (one a "
		  "page) and every curve's data pages need its GPA->HPA translations",
		  ntlb_sizes, sizeof(ntlb_sizes) / sizeof(ntlb_sizes[0]) },
		{ "walkcache.s1.entries", "walkcache.s1.ways", "s512's pages each in a 2 MB region "
		  "of their own miss a PDE-level entry", wc_sizes,
		  sizeof(wc_sizes) / sizeof(wc_sizes[0]) },
		{ "walkcache.s2.entries", "walkcache.s2.ways", "the host walks of the guest's "
		  "table and data pages", wc_sizes, sizeof(wc_sizes) / sizeof(wc_sizes[0]) },
	};
	/* Coordinate descent: the L2 TLB, then the nested TLB and walk caches
	 * given it; then the LLC and the L2 TLB again given them, and when that
	 * changes either, the others once more. (The first L2 TLB search sees
	 * the nested TLB and walk caches as configured: in the round trip it
	 * chose plru, 4.6% against lru's 4.9%, and the later searches bent
	 * around that. On the AMD table the first LLC search found xor 21.5%
	 * against linear's 21.7%, under the search's 2% gain; with the walk
	 * caches fitted the same preset but xor ends at 4.2% against 5.2%.) */
	char before[96] = "", lbefore[96] = "";
	if (ls.n)
		current_of(pf, lcand[0], lbefore, sizeof(lbefore));
	for (int pass = 0; pass < 2 && rc == TRACE_OK; pass++) {
		int changed = 0;
		if (pass && ls.n) {
			char lnow[96];
			ls.again = 1;
			rc = search(c, pf, &ls, &best, keep, err, errlen);
			current_of(pf, lcand[0], lnow, sizeof(lnow));
			changed = strcmp(lnow, lbefore) != 0;
		}
		tl.again = pass;
		if (rc == TRACE_OK && tl.n)
			rc = search(c, pf, &tl, &best, keep, err, errlen);
		char now[96] = "";
		if (tl.n)
			current_of(pf, tcand[0], now, sizeof(now));
		if (pass && !changed && (!tl.n || !strcmp(now, before)))
			break;
		snprintf(before, sizeof(before), "%s", now);
		for (size_t k = 0; rc == TRACE_OK && k < sizeof(sz) / sizeof(sz[0]); k++) {
			n = cand_sizes(cand, sz[k].key, sz[k].ways,
				       (unsigned)param_int(pf, sz[k].ways), sz[k].sizes, sz[k].n);
			search_space s = { sz[k].key, cand, n, SEL_TRAIN_SMALL, sz[k].why, pass };
			rc = search(c, pf, &s, &best, keep, err, errlen);
		}
	}
	free(keep);
	free(cand);
	/* the latencies, with every structure chosen, on every point fitted on */
	if (rc == TRACE_OK)
		rc = fit_counts(c, pf, SEL_TRAIN, &lf, err, errlen);
	if (rc == TRACE_OK)
		rc = set_latencies(c, pf, &lf, err, errlen);
	if (rc == TRACE_OK)
		rc = model_sweep(c, pf, MODEL_FITTED, SEL_ALL, err, errlen);
	if (rc == TRACE_OK)
		fit_errors(c);
	return rc;
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
		c->host.reps, c->host.rounds, c->host.rounds > 1 ? "s (median of the medians)" : "",
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

/* The plot command of one panel: the curves in MODES (N of them). */
static void plot_panel(FILE *g, const calibrate *c, const int *modes, size_t n, int fitted)
{
	static const char *const color[CALIBRATE_MODES] = { "#1f77b4", "#d62728", "#2ca02c",
							     "#9467bd", "#ff7f0e" };
	int any = 0;
	fputs("plot ", g);
	for (size_t k = 0; k < n; k++) {
		int m = modes[k];
		const calibrate_curve *cv = &c->cv[m];
		if (!cv->present)
			continue;
		fprintf(g, "%s$d%s using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.6 lc rgb '%s' "
			"title '%s measured', $d%s using 1:5 with lines lw 2 dt 2 lc rgb '%s' "
			"title '%s model'", any ? ", " : "", mode_name[m], color[m], mode_name[m],
			mode_name[m], color[m], mode_name[m]);
		if (fitted)
			fprintf(g, ", $d%s using 1:6 with lines lw 1.5 lc rgb '%s' title '%s fitted', "
				"$d%s using 1:($7 > 0 ? $2 : 1/0) with points pt 6 ps 1.4 lc rgb '%s' "
				"notitle", mode_name[m], color[m], mode_name[m], mode_name[m], color[m]);
		any = 1;
	}
	fputc('\n', g);
}

/* gnuplot's script: the curves as data blocks, log-log; with the
 * walk-heavy curves, a second panel for them. Fitted: the fitted preset's
 * lines, and a ring around each held-out point. */
static void plot_script(FILE *g, const calibrate *c, int svg, int fitted)
{
	const calibrate_knee_set *k4 = &c->km[CALIBRATE_4K];
	const calibrate_curve *c4 = &c->cv[CALIBRATE_4K];
	int two = c->cv[CALIBRATE_S8].present || c->cv[CALIBRATE_S512].present;
	fprintf(g, "set terminal %s size %d,680 %s\n", svg ? "svg" : "pngcairo", two ? 1500 : 1100,
		svg ? "dynamic font 'sans,11'" : "font 'sans,10'");
	for (int m = 0; m < CALIBRATE_MODES; m++) {
		const calibrate_curve *cv = &c->cv[m];
		if (!cv->present)
			continue;
		fprintf(g, "$d%s << EOD\n", mode_name[m]);
		for (size_t i = 0; i < cv->n; i++)
			fprintf(g, "%u %.4f %.4f %.4f %.4f %.4f %d\n", cv->pages[i], cv->meas[i],
				cv->mmin[i], cv->mmax[i], cv->model[i], fitted ? cv->fitted[i] : 0,
				fitted ? cv->holdout[i] : 0);
		fputs("EOD\n", g);
	}
	fputs("set logscale xy 2\nset ylabel 'ns per dependent load'\nset grid\n"
	      "set key top left\nset format x '%.0f'\nset format y '%g'\n", g);
	for (size_t i = 0; i < k4->n; i++)
		fprintf(g, "set arrow from %u, graph 0 to %u, graph 1 nohead dt 3 lc rgb '#999999'\n",
			c4->pages[k4->at[i]], c4->pages[k4->at[i]]);
	if (two)
		fprintf(g, "set multiplot layout 1,2 title \"%s: measured (median of runs, min..max "
			"bars) vs slatsim (cache.model=on, %.3f GHz): as configured, dashed%s\" "
			"noenhanced\n", c->host.cpu, c->ghz, fitted ? "; fitted, solid; held-out "
			"points ringed" : "");
	else
		fprintf(g, "set title \"%s: measured (median of runs, min..max bars) vs slatsim "
			"(cache.model=on, %.3f GHz)\" noenhanced\n", c->host.cpu, c->ghz);
	fputs("set xlabel 'N: pages (packed: 64-byte lines) in the cycle'\n", g);
	static const int first[] = { CALIBRATE_4K, CALIBRATE_2M, CALIBRATE_PACKED };
	plot_panel(g, c, first, 3, fitted);
	if (two) {
		static const int second[] = { CALIBRATE_4K, CALIBRATE_S8, CALIBRATE_S512 };
		fputs("set xlabel 'N: 4 KB pages in the cycle (s8: 8 pages apart, s512: 512 apart)'\n",
		      g);
		plot_panel(g, c, second, 3, fitted);
		fputs("unset multiplot\n", g);
	}
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
		.want = { 1, 1, 1, 1, 1 },
		.reps = 7,
		.rounds = 1,
		.cpu = -1,
		.seed = 1,
		.clock = "cpu",
		.holdout = CALIBRATE_HOLDOUT_AUTO,
	};
}

/* CFG within the ranges calibrate.h gives. */
static int check_config(const calibrate_config *g, char *err, size_t errlen)
{
	int any = 0;
	for (int m = 0; m < CALIBRATE_MODES; m++)
		any |= g->want[m];
	if (!any)
		return FAIL(TRACE_EFORMAT, "calibrate: no curve to measure");
	if (g->reps < 1 || g->reps > 101 || g->rounds < 1 || g->rounds > 100 ||
	    (g->measured && g->rounds != 1))
		return FAIL(TRACE_EFORMAT, "calibrate: %u runs per point, %u rounds: "
			    "1..101 runs, 1..100 rounds (1 for a saved table)", g->reps, g->rounds);
	if (g->npages > CALIBRATE_MAX_POINTS || g->nlines > CALIBRATE_MAX_POINTS)
		return FAIL(TRACE_EFORMAT, "calibrate: %zu points: at most %d",
			    g->npages > g->nlines ? g->npages : g->nlines, CALIBRATE_MAX_POINTS);
	for (size_t i = 0; i < g->npages; i++)
		if (g->pages[i] < 2 || g->pages[i] > CALIBRATE_MAX_PAGES ||
		    (i && g->pages[i] <= g->pages[i - 1]))
			return FAIL(TRACE_EFORMAT, "calibrate: pages %u: increasing "
				    "counts from 2 to %u", g->pages[i], CALIBRATE_MAX_PAGES);
	for (size_t i = 0; i < g->nlines; i++)
		if (g->lines[i] < 2 || g->lines[i] > CALIBRATE_MAX_LINES ||
		    (i && g->lines[i] <= g->lines[i - 1]))
			return FAIL(TRACE_EFORMAT, "calibrate: lines %u: increasing "
				    "counts from 2 to %u", g->lines[i], CALIBRATE_MAX_LINES);
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
	/* packed: the pages given (as before --lines), else its own default */
	if (!c->cfg.nlines && c->cfg.npages) {
		memcpy(c->cfg.lines, c->cfg.pages, sizeof(c->cfg.lines));
		c->cfg.nlines = c->cfg.npages;
	}
	if (!c->cfg.npages)
		c->cfg.npages = chase_default_points(CALIBRATE_MAX_PAGES, c->cfg.pages);
	if (!c->cfg.nlines)
		c->cfg.nlines = chase_default_points(CALIBRATE_MAX_LINES, c->cfg.lines);
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
		for (int m = 0; m < CALIBRATE_MODES; m++)
			for (size_t i = 0; i < CALIBRATE_MAX_POINTS; i++)
				if (c->kept[m][i] > 0)
					close(c->kept[m][i] - 1);
		for (int m = 0; m < CALIBRATE_MODES; m++)
			v2p_destroy(c->map[m]);
		frame_set_free(&c->frames);
		frame_set_free(&c->parsing);
		free(c->raw);
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
unsigned calibrate_frames_page(const calibrate *c, int mode)
{
	return c->map[mode] ? 1u << v2p_page_shift(c->map[mode]) : 0;
}
const calibrate_fit_result *calibrate_fit_of(const calibrate *c) { return c->fitted ? &c->f : NULL; }
const param_reg *calibrate_params(const calibrate *c) { return c->p; }
int calibrate_cache_default(const calibrate *c) { return c->cache_default; }

double calibrate_ghz(const calibrate *c, const char **source)
{
	if (source)
		*source = c->ghz_src;
	return c->ghz;
}
