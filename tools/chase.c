/*
 * tools/chase.c - a page-granular pointer chase on the host, the measurement
 * behind `slatsim calibrate` (issue 18). Standalone C11 + POSIX/Linux; built
 * by the Makefile with the project's flags as build/chase.
 *
 * What it measures: the time of one dependent 8-byte load when N loads in
 * one random cycle each touch a different page - the TLB reach of the host
 * and the cost of a walk once it is exceeded - against a control with the
 * same N loads packed into consecutive cache lines (the same cache footprint
 * in lines, no TLB effect beyond a few pages).
 *
 *   4k      one load per 4 KB page of a mapping with THP refused
 *           (MADV_NOHUGEPAGE); the load in page p sits in line p mod 64 of
 *           it, so N loads use N distinct lines spread over every cache set
 *           (all at offset 0 would alias into one L1 set)
 *   2m      the same addresses in a 2 MB-aligned mapping advised
 *           MADV_HUGEPAGE; whether THP was obtained is read back from
 *           /proc/self/smaps (AnonHugePages) and reported per point
 *   packed  N loads to N consecutive 64-byte lines, same random cycle, in a
 *           2 MB-aligned MADV_HUGEPAGE mapping, so TLB misses stay out of
 *           the control as far as the platform allows; under a hypervisor
 *           that backs guest memory with 4 KB pages the TLB still holds 4 KB
 *           pieces (64 lines each). N up to 8,388,608 lines (512 MB, --lines),
 *           far past any LLC: the control observes memory latency too
 *   s8      one load per page, pages 8 apart (THP refused): each page's
 *           leaf descriptor sits in a cache line of its own (8 descriptors
 *           of 8 bytes fill a line), and a set-indexed TLB whose index is
 *           the low page-number bits sees 1/8 of its sets
 *   s512    pages 512 apart: each page alone in its 2 MB region, so its leaf
 *           descriptor is alone in its page-table page, walk caches keyed by
 *           the 2 MB region (a PDE cache) miss, and a set-indexed TLB with
 *           at most 512 sets sees one set (its ways). The span is N x 2 MB
 *           (128 GB at 65,536 pages), reserved with MAP_NORESERVE: only the
 *           N pages loaded are touched
 *
 * Method: the cycle is a seeded Fisher-Yates permutation (one cycle through
 * all N elements); one warm-up pass of at least two laps, then REPS timed
 * runs of max(min(8 N, 2^23), 2^21) loads each (at most 2^23: past a
 * million elements a run is a part of a lap, a uniform random sample of
 * it, so that 512 MB costs seconds, not minutes; CLOCK_MONOTONIC, or with --clock cpu
 * the thread's CPU time, CLOCK_THREAD_CPUTIME_ID: on a shared machine a run
 * the scheduler cut into is then not 2-5x too long); the median, minimum
 * and maximum ns per load are reported. The process is pinned to one CPU
 * (sched_setaffinity; the last CPU it may run on, or --cpu) and says so, or
 * why not. Hardware counters are not used (absent under most hypervisors):
 * cycles are not measured, only time.
 *
 * --trace FILE writes the identical access pattern as a plain-text trace
 * (traces/FORMAT.md: "vcpu kind gva size"): one R of 8 bytes per load, LAPS
 * laps of the cycle from the same start, at the same offsets from a fixed
 * 2 MB-aligned base, so the model replays exactly what was timed.
 *
 * Each arena is as large as the largest point of its mode needs (2 MB
 * aligned, a multiple of 2 MB) and touched before the first point.
 *
 * Output: a TSV table (or --json) on stdout, with '#' comment lines naming
 * the CPU, the pinning, the clock, the load average (/proc/loadavg) before
 * and after, and each arena's THP outcome.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../sim/study/chase_points.h"

#define PAGE_4K      4096u
#define PAGE_2M      (UINT64_C(2) << 20)
#define LINE         64u
#define MAX_PAGES    CHASE_MAX_PAGES
#define MAX_LINES    CHASE_MAX_LINES
#define MAX_POINTS   128
#define MAX_REPS     101
#define MAX_RUN      (UINT64_C(1) << 23)   /* 8 N loads a run at most this many */
#define TRACE_BASE   ((uint64_t)CHASE_TRACE_BASE)

enum mode { MODE_4K, MODE_2M, MODE_PACKED, MODE_S8, MODE_S512, MODES };
static const char *const mode_name[MODES] = { "4k", "2m", "packed", "s8", "s512" };
/* Pages from one element to the next (packed: 0, a line apart). */
static const unsigned mode_stride[MODES] = { 1, 1, 0, 8, 512 };

typedef struct opts {
	int modes[MODES];
	unsigned pages[MAX_POINTS];   /* the page modes' points */
	unsigned npoints;
	unsigned lines[MAX_POINTS];   /* the packed control's (default: PAGES when given) */
	unsigned nlines;
	unsigned reps;
	uint64_t min_accesses;
	int cpu;                  /* -1: choose */
	uint64_t seed;
	int json;
	int frames;               /* print each curve's frames (print_frames) */
	const char *trace;        /* write a trace instead of timing */
	unsigned laps;
	uint64_t records;         /* --trace: at most this many (0: every lap) */
	clockid_t clock;          /* CLOCK_MONOTONIC or CLOCK_THREAD_CPUTIME_ID */
} opts;

typedef struct point {
	enum mode mode;
	unsigned pages;
	uint64_t accesses;
	double med, min, max;     /* ns per access */
	long thp_kb;              /* AnonHugePages of the arena, -1 unknown */
	uint64_t arena_kb;
} point;

/* ------------------------------------------------------------ helpers */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* perm[0..n-1]: a seeded random order of 0..n-1; the cycle visits them in
 * that order and returns from the last to the first. */
static void make_perm(unsigned *perm, unsigned n, uint64_t seed)
{
	for (unsigned i = 0; i < n; i++)
		perm[i] = i;
	uint64_t s = seed;
	for (unsigned i = n - 1; i > 0; i--) {
		unsigned j = (unsigned)(splitmix64(&s) % (i + 1));
		unsigned t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
}

/* Byte offset of element E from the arena base: packed, line E; else page
 * E x stride, at line E mod 64 of it. */
static uint64_t elem_offset(enum mode m, unsigned e)
{
	if (m == MODE_PACKED)
		return (uint64_t)e * LINE;
	return (uint64_t)e * mode_stride[m] * PAGE_4K + (uint64_t)(e % (PAGE_4K / LINE)) * LINE;
}

/* The points of MODE. */
static const unsigned *mode_points(const struct opts *o, enum mode m, unsigned *n)
{
	*n = m == MODE_PACKED ? o->nlines : o->npoints;
	return m == MODE_PACKED ? o->lines : o->pages;
}

static double now_ns(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The chase: N dependent loads from P; returns where it stopped. */
static void *chase(void *p, uint64_t n)
{
	void **q = p;
	for (; n >= 8; n -= 8) {
		q = *q; q = *q; q = *q; q = *q;
		q = *q; q = *q; q = *q; q = *q;
	}
	while (n--)
		q = *q;
	return q;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* AnonHugePages (kB) of the mapping holding ADDR, from /proc/self/smaps; -1
 * if it cannot be read. */
static long thp_kb_of(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	char line[512];
	int inside = 0;
	long kb = -1;
	uintptr_t a = (uintptr_t)addr;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t lo, hi;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2 && strchr(line, '-') &&
		    line[0] != ' ') {
			inside = lo <= a && a < hi;
			continue;
		}
		long v;
		if (inside && sscanf(line, "AnonHugePages: %ld kB", &v) == 1) {
			kb = v;
			break;
		}
	}
	fclose(f);
	return kb;
}

/* /proc/loadavg's three averages into BUF ("unknown" if unreadable). */
static void load_average(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/loadavg", "r");
	if (!f)
		return;
	double a, b, c;
	if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f", a, b, c);
	fclose(f);
}

static void cpu_model(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');
		if (!strncmp(line, "model name", 10) && c) {
			c += 2;
			c[strcspn(c, "\n")] = 0;
			snprintf(buf, len, "%s", c);
			break;
		}
	}
	fclose(f);
}

/* Pin to CPU WANT, or to the last CPU of the current mask; writes what
 * happened into NOTE. Returns the CPU, or -1. */
static int pin(int want, char *note, size_t len)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set)) {
		snprintf(note, len, "not pinned: sched_getaffinity: %s", strerror(errno));
		return -1;
	}
	int cpu = want;
	if (cpu < 0)
		for (int c = CPU_SETSIZE - 1; c >= 0 && cpu < 0; c--)
			if (CPU_ISSET(c, &set))
				cpu = c;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (cpu < 0 || sched_setaffinity(0, sizeof(set), &set)) {
		snprintf(note, len, "not pinned: sched_setaffinity(%d): %s", cpu, strerror(errno));
		return -1;
	}
	snprintf(note, len, "pinned to CPU %d", cpu);
	return cpu;
}

/* ------------------------------------------------------------ the arena */

typedef struct arena {
	void *map;
	size_t map_len;
	unsigned char *base;      /* 2 MB-aligned */
	size_t len;
} arena;

/* An arena for MODE large enough for N elements (a multiple of 2 MB),
 * touched: wholly, or for the strided modes the N pages loaded alone. */
static int arena_open(arena *a, enum mode m, unsigned n)
{
	uint64_t need = elem_offset(m, n - 1) + LINE;
	a->len = (size_t)((need + PAGE_2M - 1) & ~(PAGE_2M - 1));
	a->map_len = a->len + PAGE_2M;
	int sparse = mode_stride[m] > 1;
	a->map = mmap(NULL, a->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		      (sparse ? MAP_NORESERVE : 0), -1, 0);
	if (a->map == MAP_FAILED) {
		fprintf(stderr, "chase: mmap %zu bytes (%s arena): %s\n", a->map_len, mode_name[m],
			strerror(errno));
		return -1;
	}
	uintptr_t b = ((uintptr_t)a->map + PAGE_2M - 1) & ~(uintptr_t)(PAGE_2M - 1);
	a->base = (unsigned char *)b;
	int huge = m == MODE_2M || m == MODE_PACKED;
	if (madvise(a->base, a->len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		fprintf(stderr, "chase: madvise(%s): %s (continuing)\n",
			huge ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE", strerror(errno));
	if (!sparse)
		memset(a->base, 0, a->len);
	else
		for (unsigned e = 0; e < n; e++)
			*(void *volatile *)(a->base + elem_offset(m, e)) = NULL;
	return 0;
}

static void arena_close(arena *a)
{
	munmap(a->map, a->map_len);
}

/* ------------------------------------------------------------ frames */

/* The pages of MODE's elements: N for the page modes (element e in page
 * e x stride), the lines' pages for packed. Page k lies at
 * frame_offset(m, k) from the arena base. */
static unsigned frame_pages(enum mode m, unsigned n)
{
	return m == MODE_PACKED ? (unsigned)(((uint64_t)n * LINE + PAGE_4K - 1) / PAGE_4K) : n;
}

static uint64_t frame_offset(enum mode m, unsigned k)
{
	return (uint64_t)k * (m == MODE_PACKED ? 1 : mode_stride[m]) * PAGE_4K;
}

/* The frame of each of the P pages of A (frame_pages) from
 * /proc/self/pagemap (Documentation/admin-guide/mm/pagemap.rst: one 64-bit
 * entry a virtual page, bit 63 present, bits 0-54 the frame number, which
 * reads 0 without CAP_SYS_ADMIN). Under a hypervisor the frame is
 * guest-physical: where the guest OS placed the page, which decides the
 * host's walk (its walk caches are keyed by the guest-physical address, its
 * leaf descriptors sit by guest-physical address). 0, or -1 with WHY. */
static int read_frames(const arena *a, enum mode m, unsigned p, uint64_t *pfn, char *why,
		       size_t len)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0) {
		snprintf(why, len, "/proc/self/pagemap: %s", strerror(errno));
		return -1;
	}
	int rc = 0;
	for (unsigned k = 0; k < p && !rc; k++) {
		uint64_t e, va = (uint64_t)(uintptr_t)a->base + frame_offset(m, k);
		if (pread(fd, &e, sizeof(e), (off_t)(va / PAGE_4K * sizeof(e))) != sizeof(e)) {
			snprintf(why, len, "/proc/self/pagemap: read error at page %u", k);
			rc = -1;
		} else if (!(e >> 63)) {
			snprintf(why, len, "/proc/self/pagemap: page %u not present (swapped?)", k);
			rc = -1;
		} else if (!(pfn[k] = e & ((UINT64_C(1) << 55) - 1))) {
			snprintf(why, len, "/proc/self/pagemap gives no frame numbers here (they "
				 "need CAP_SYS_ADMIN)");
			rc = -1;
		}
	}
	close(fd);
	return rc;
}

#define FRAME_RUNS_A_LINE 20

/* The frames of MODE's P pages as comment lines calibrate reads: a summary
 * `# frames MODE: ...`, then the runs of consecutive frames, `# frames MODE
 * @K: PFN[+LEN] ...` (hex frame number, decimal pages, +1 left out; K the first page of the
 * line's first run), FRAME_RUNS_A_LINE runs a line. MOVED: pages whose frame
 * changed between the first point and the last (the kernel migrates pages:
 * compaction); the frames printed are those after the last. */
static void print_frames(enum mode m, unsigned p, const uint64_t *pfn, unsigned moved)
{
	unsigned runs = 0, regions = 0;
	for (unsigned k = 0; k < p; k++)
		runs += !k || pfn[k] != pfn[k - 1] + 1;
	/* 2 MB regions: the distinct pfn >> 9 */
	uint64_t *r = malloc((size_t)p * sizeof(*r));
	if (r) {
		for (unsigned k = 0; k < p; k++)
			r[k] = pfn[k] >> 9;
		qsort(r, p, sizeof(*r), cmp_u64);
		for (unsigned k = 0; k < p; k++)
			regions += !k || r[k] != r[k - 1];
		free(r);
	}
	printf("# frames %s: %u pages, page k at k x %u x 4 KB from the arena base; their "
	       "guest-physical frames (/proc/self/pagemap) in %u run%s over %u 2 MB region%s; %u "
	       "moved during the sweep\n", mode_name[m], p, m == MODE_PACKED ? 1 : mode_stride[m],
	       runs, runs == 1 ? "" : "s", regions, regions == 1 ? "" : "s", moved);
	unsigned k = 0, inline_runs = 0;
	while (k < p) {
		unsigned len = 1;
		while (k + len < p && pfn[k + len] == pfn[k] + len)
			len++;
		if (inline_runs == 0)
			printf("# frames %s @%u:", mode_name[m], k);
		printf(len > 1 ? " %" PRIx64 "+%u" : " %" PRIx64, pfn[k], len);
		if (++inline_runs == FRAME_RUNS_A_LINE || k + len == p) {
			printf("\n");
			inline_runs = 0;
		}
		k += len;
	}
}

/* Link the N elements of MODE into the cycle PERM. Returns its start. */
static void *link_cycle(const arena *a, enum mode m, const unsigned *perm, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		void **here = (void **)(a->base + elem_offset(m, perm[i]));
		*here = a->base + elem_offset(m, perm[(i + 1) % n]);
	}
	return a->base + elem_offset(m, perm[0]);
}

/* ------------------------------------------------------------ timing */

static void *volatile sink;

static void measure(const opts *o, const arena *a, enum mode m, unsigned n, unsigned *perm,
		    point *pt)
{
	make_perm(perm, n, o->seed + n);
	void *p = link_cycle(a, m, perm, n);
	uint64_t acc = (uint64_t)n * 8 < MAX_RUN ? (uint64_t)n * 8 : MAX_RUN;
	if (acc < o->min_accesses)
		acc = o->min_accesses;
	p = chase(p, acc / 4 > 2 * (uint64_t)n ? acc / 4 : 2 * (uint64_t)n);   /* warm-up */
	double ns[MAX_REPS];
	for (unsigned r = 0; r < o->reps; r++) {
		double t0 = now_ns(o->clock);
		p = chase(p, acc);
		double t1 = now_ns(o->clock);
		ns[r] = (t1 - t0) / (double)acc;
	}
	sink = p;
	qsort(ns, o->reps, sizeof(double), cmp_double);
	pt->mode = m;
	pt->pages = n;
	pt->accesses = acc;
	pt->med = ns[o->reps / 2];
	pt->min = ns[0];
	pt->max = ns[o->reps - 1];
	pt->thp_kb = thp_kb_of(a->base);
	pt->arena_kb = (uint64_t)a->len / 1024;
}

/* ------------------------------------------------------------ trace */

static int write_trace(const opts *o, enum mode m, unsigned n)
{
	unsigned *perm = malloc((size_t)n * sizeof(*perm));
	FILE *f = strcmp(o->trace, "-") ? fopen(o->trace, "w") : stdout;
	if (!perm || !f) {
		fprintf(stderr, "chase: %s: %s\n", o->trace, strerror(errno));
		free(perm);
		return 2;
	}
	make_perm(perm, n, o->seed + n);
	fprintf(f, "# chase trace: mode %s, %u elements, %u laps of one random cycle "
		"(seed %" PRIu64 "), base 0x%" PRIx64 "\n# one dependent 8-byte load per record; "
		"format: vcpu kind gva size (traces/FORMAT.md)\n", mode_name[m], n, o->laps,
		o->seed, TRACE_BASE);
	uint64_t left = o->records ? o->records : (uint64_t)o->laps * n;
	for (unsigned lap = 0; lap < o->laps && left; lap++)
		for (unsigned i = 0; i < n && left; i++, left--)
			fprintf(f, "0 R 0x%" PRIx64 " 8\n", TRACE_BASE + elem_offset(m, perm[i]));
	int bad = ferror(f);
	if (f != stdout)
		bad |= fclose(f);
	free(perm);
	if (bad) {
		fprintf(stderr, "chase: %s: write error\n", o->trace);
		return 2;
	}
	return 0;
}

/* ------------------------------------------------------------ options */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chase [--modes 4k,2m,packed,s8,s512] [--pages N,N,...] [--lines N,N,...]\n"
		"             [--reps R] [--accesses A] [--cpu C] [--seed S] [--clock wall|cpu]\n"
		"             [--json | --frames]\n"
		"       chase --trace FILE --modes M --pages N [--laps L] [--records R] [--seed S]\n"
		"Times a dependent load chain with one load per 4 KB page (4k, 2m; s8, s512:\n"
		"pages 8 or 512 apart) or per 64-byte line (packed) over N elements in one\n"
		"random cycle; prints the median, min and max ns per load of R runs (default\n"
		"7) of max(min(8 N, 8388608), A) loads (A default 2097152). N: --pages for\n"
		"the page modes, 8 to 65536 (default: 4 points per octave); --lines for the\n"
		"packed control, 8 to 8388608 (default: --pages when given, else 8 to\n"
		"8388608, 4 points per octave to 65536, 2 beyond). --clock cpu times with\n"
		"the thread's CPU time instead of the wall clock. --trace writes the same\n"
		"pattern as a text trace instead (packed's N: --pages, or --lines past\n"
		"65536), L laps (default 3), or the first R records of them.\n"
		"--frames adds, per curve, the frame of each page its elements use, read\n"
		"from /proc/self/pagemap after the last point (as root: frame numbers need\n"
		"CAP_SYS_ADMIN; under a hypervisor they are guest-physical), as comment\n"
		"lines '# frames MODE @K: PFN[+LEN] ...' (hex frame, decimal run length)\n"
		"that calibrate replays the curve with.\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		return -1;
	*v = x;
	return 0;
}

/* A comma-separated list of counts from 2 to MAX into OUT (*N of them). */
static int parse_counts(const char *opt, const char *arg, unsigned max, unsigned *out,
			unsigned *n)
{
	char *s = strdup(arg), *save = NULL;
	uint64_t v;
	if (!s)
		return -1;
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (parse_u64(t, &v) || v < 2 || v > max || *n == MAX_POINTS) {
			fprintf(stderr, "chase: %s: '%s' is not a count from 2 to %u "
				"(at most %d of them)\n", opt, t, max, MAX_POINTS);
			free(s);
			return -1;
		}
		out[(*n)++] = (unsigned)v;
	}
	free(s);
	return 0;
}

static int parse_opts(int argc, char **argv, opts *o)
{
	static const struct option lo[] = {
		{ "modes", required_argument, 0, 'm' }, { "pages", required_argument, 0, 'p' },
		{ "reps", required_argument, 0, 'r' }, { "accesses", required_argument, 0, 'a' },
		{ "cpu", required_argument, 0, 'c' }, { "seed", required_argument, 0, 's' },
		{ "json", no_argument, 0, 'j' }, { "trace", required_argument, 0, 't' },
		{ "laps", required_argument, 0, 'l' }, { "help", no_argument, 0, 'h' },
		{ "clock", required_argument, 0, 'k' }, { "lines", required_argument, 0, 'L' },
		{ "records", required_argument, 0, 'R' }, { "frames", no_argument, 0, 'f' },
		{ 0, 0, 0, 0 },
	};
	*o = (opts){ .reps = 7, .min_accesses = UINT64_C(1) << 21, .cpu = -1, .seed = 1,
		     .laps = 3, .clock = CLOCK_MONOTONIC };
	int any_mode = 0;
	int c;
	uint64_t v;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm': {
			char *s = strdup(optarg), *save = NULL;
			for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				int k;
				for (k = 0; k < MODES && strcmp(t, mode_name[k]); k++)
					;
				if (k == MODES) {
					fprintf(stderr, "chase: --modes: '%s' is not 4k, 2m, packed, s8 or "
						"s512\n", t);
					free(s);
					return -1;
				}
				o->modes[k] = any_mode = 1;
			}
			free(s);
			break;
		}
		case 'p':
			if (parse_counts("--pages", optarg, MAX_PAGES, o->pages, &o->npoints))
				return -1;
			break;
		case 'L':
			if (parse_counts("--lines", optarg, MAX_LINES, o->lines, &o->nlines))
				return -1;
			break;
		case 'r':
			if (parse_u64(optarg, &v) || v < 1 || v > MAX_REPS) {
				fprintf(stderr, "chase: --reps: '%s' is not from 1 to %d\n", optarg, MAX_REPS);
				return -1;
			}
			o->reps = (unsigned)v;
			break;
		case 'a':
			if (parse_u64(optarg, &v) || v < 1) {
				fprintf(stderr, "chase: --accesses: '%s' is not a positive count\n", optarg);
				return -1;
			}
			o->min_accesses = v;
			break;
		case 'c':
			if (parse_u64(optarg, &v) || v >= CPU_SETSIZE) {
				fprintf(stderr, "chase: --cpu: '%s' is not a CPU number\n", optarg);
				return -1;
			}
			o->cpu = (int)v;
			break;
		case 's':
			if (parse_u64(optarg, &v)) {
				fprintf(stderr, "chase: --seed: '%s' is not a number\n", optarg);
				return -1;
			}
			o->seed = v;
			break;
		case 'l':
			if (parse_u64(optarg, &v) || v < 1 || v > 1000) {
				fprintf(stderr, "chase: --laps: '%s' is not from 1 to 1000\n", optarg);
				return -1;
			}
			o->laps = (unsigned)v;
			break;
		case 'R':
			if (parse_u64(optarg, &v) || v < 1) {
				fprintf(stderr, "chase: --records: '%s' is not a positive count\n", optarg);
				return -1;
			}
			o->records = v;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'f':
			o->frames = 1;
			break;
		case 'k':
			if (strcmp(optarg, "wall") && strcmp(optarg, "cpu")) {
				fprintf(stderr, "chase: --clock: '%s' is not wall or cpu\n", optarg);
				return -1;
			}
			o->clock = strcmp(optarg, "cpu") ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID;
			break;
		case 't':
			o->trace = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "chase: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!any_mode)
		for (int k = 0; k < MODES; k++)
			o->modes[k] = 1;
	if (o->frames && (o->json || o->trace)) {
		fprintf(stderr, "chase: --frames adds comment lines to the table: not with --json "
			"or --trace\n");
		return -1;
	}
	if (o->records && !o->trace) {
		fprintf(stderr, "chase: --records limits what --trace writes: give --trace\n");
		return -1;
	}
	if (o->trace) {
		int nm = 0;
		for (int k = 0; k < MODES; k++)
			nm += o->modes[k];
		/* One count: --pages, or --lines for the packed control. */
		if (!any_mode || nm != 1 || o->npoints + o->nlines != 1 ||
		    (o->nlines && !o->modes[MODE_PACKED])) {
			fprintf(stderr, "chase: --trace needs one --modes and one --pages (packed: "
				"or --lines)\n");
			return -1;
		}
		return 0;
	}
	/* packed's points: --lines, else --pages as given (as before --lines), else
	 * its own default, far past the LLC. */
	if (!o->nlines && o->npoints) {
		memcpy(o->lines, o->pages, sizeof(o->lines));
		o->nlines = o->npoints;
	}
	if (!o->nlines)
		o->nlines = chase_default_points(MAX_LINES, o->lines);
	if (!o->npoints)
		o->npoints = chase_default_points(MAX_PAGES, o->pages);
	return 0;
}

/* ------------------------------------------------------------ main */

static void print_point(const opts *o, const point *p, int first)
{
	if (o->json)
		printf("%s\n  {\"mode\": \"%s\", \"pages\": %u, \"accesses\": %" PRIu64
		       ", \"ns_median\": %.3f, \"ns_min\": %.3f, \"ns_max\": %.3f, "
		       "\"thp_kb\": %ld, \"arena_kb\": %" PRIu64 "}",
		       first ? "" : ",", mode_name[p->mode], p->pages, p->accesses, p->med, p->min,
		       p->max, p->thp_kb, p->arena_kb);
	else
		printf("%s\t%u\t%" PRIu64 "\t%.3f\t%.3f\t%.3f\t%ld\n", mode_name[p->mode], p->pages,
		       p->accesses, p->med, p->min, p->max, p->thp_kb);
	fflush(stdout);
}

/* /proc/cpuinfo's "cpu MHz" and what CPUID says of the L2 data TLB (AMD's
 * Fn8000_0006 EBX: [27:16] entries, [31:28] the associativity code of the
 * APM Vol. 3), as comment lines: calibrate --fit takes the clock and the
 * TLB from the table, not from the machine that fits it. */
static void print_cpu(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');
		if (!strncmp(line, "cpu MHz", 7) && c) {
			c += 2;
			c[strcspn(c, "\n")] = 0;
			printf("# cpu MHz: %s (/proc/cpuinfo)\n", c);
			break;
		}
	}
	if (f)
		fclose(f);
	unsigned e, w, b;
	if (chase_cpuid_l2_dtlb(&e, &w, &b) == 0)
		printf("# cpuid: L2 DTLB 4 KB %u entries %u ways (Fn8000_0006 EBX %#010x)\n", e, w, b);
}

/* The cache geometry sysfs gives for CPU, one comment line a cache, so that
 * a saved table carries the measuring machine's (calibrate --fit reads
 * these lines, not the sysfs of the machine that fits). */
static void print_caches(int cpu)
{
	for (int idx = 0; idx < 8; idx++) {
		char base[96], path[160], v[5][48];
		static const char *const f[5] = { "level", "type", "number_of_sets",
						  "ways_of_associativity", "coherency_line_size" };
		snprintf(base, sizeof(base), "/sys/devices/system/cpu/cpu%d/cache/index%d", cpu, idx);
		int ok = 1;
		for (int k = 0; k < 5 && ok; k++) {
			snprintf(path, sizeof(path), "%s/%s", base, f[k]);
			FILE *fp = fopen(path, "r");
			ok = fp && fgets(v[k], sizeof(v[k]), fp);
			if (fp)
				fclose(fp);
			v[k][strcspn(v[k], "\n")] = '\0';
		}
		if (ok)
			printf("# cache: level %s %s sets %s ways %s line %s (sysfs %s)\n", v[0], v[1],
			       v[2], v[3], v[4], base);
	}
}

int main(int argc, char **argv)
{
	opts o;
	if (parse_opts(argc, argv, &o))
		return 2;
	if (o.trace) {
		enum mode m = MODE_4K;
		while (!o.modes[m])
			m++;
		return write_trace(&o, m, o.npoints ? o.pages[0] : o.lines[0]);
	}
	char model[256], note[160], load[64];
	cpu_model(model, sizeof(model));
	int cpu = pin(o.cpu, note, sizeof(note));
	unsigned most = 2;
	for (int m = 0; m < MODES; m++) {
		unsigned n;
		const unsigned *pts = mode_points(&o, (enum mode)m, &n);
		for (unsigned i = 0; o.modes[m] && i < n; i++)
			most = pts[i] > most ? pts[i] : most;
	}
	unsigned *perm = malloc((size_t)most * sizeof(*perm));
	if (!perm) {
		fprintf(stderr, "chase: out of memory (%u elements)\n", most);
		return 2;
	}
	const char *clock = o.clock == CLOCK_MONOTONIC ? "wall" : "cpu";
	load_average(load, sizeof(load));
	if (o.json)
		printf("{\"cpu_model\": \"%s\", \"cpu\": %d, \"pinning\": \"%s\", \"reps\": %u, "
		       "\"seed\": %" PRIu64 ", \"clock\": \"%s\", \"loadavg_before\": \"%s\", "
		       "\"points\": [", model, cpu, note, o.reps, o.seed, clock, load);
	else
		printf("# chase: cpu \"%s\", %s, %u runs per point (median), seed %" PRIu64 "\n"
		       "# clock: %s\n"
		       "# loadavg before: %s\n"
		       "# ns per dependent 8-byte load; thp_kb: AnonHugePages of the arena "
		       "(/proc/self/smaps)\nmode\tpages\taccesses\tns_median\tns_min\tns_max\t"
		       "thp_kb\n", model, note, o.reps, o.seed, o.clock == CLOCK_MONOTONIC ?
		       "wall (CLOCK_MONOTONIC)" : "cpu (CLOCK_THREAD_CPUTIME_ID: the thread's CPU time; "
		       "time it was not running is not counted)", load);
	if (!o.json) {
		print_cpu();
		print_caches(cpu < 0 ? 0 : cpu);
	}
	fflush(stdout);
	int first = 1;
	for (int m = 0; m < MODES; m++) {
		unsigned n, top = 0;
		const unsigned *pts = mode_points(&o, (enum mode)m, &n);
		if (!o.modes[m])
			continue;
		for (unsigned i = 0; i < n; i++)
			top = pts[i] > top ? pts[i] : top;
		arena a;
		if (arena_open(&a, (enum mode)m, top)) {
			free(perm);
			return 2;
		}
		long thp = thp_kb_of(a.base);
		int huge = m == MODE_2M || m == MODE_PACKED;
		if (!o.json)
			printf("# %s: arena %zu kB at %p, AnonHugePages %ld kB%s\n", mode_name[m],
			       a.len / 1024, (void *)a.base, thp,
			       !huge ? "" : thp >= (long)(a.len / 1024) ? " (THP obtained)"
			       : thp > 0 ? " (THP partly obtained)" : " (no THP)");
		/* the frames before the first point and after the last */
		unsigned fp = frame_pages((enum mode)m, top);
		uint64_t *f0 = !o.frames ? NULL : malloc(2 * (size_t)fp * sizeof(*f0));
		char why[160] = "out of memory";
		int have = f0 && read_frames(&a, (enum mode)m, fp, f0, why, sizeof(why)) == 0;
		for (unsigned i = 0; i < n; i++) {
			point p;
			measure(&o, &a, (enum mode)m, pts[i], perm, &p);
			print_point(&o, &p, first);
			first = 0;
		}
		if (have && read_frames(&a, (enum mode)m, fp, f0 + fp, why, sizeof(why)) == 0) {
			unsigned moved = 0;
			for (unsigned k = 0; k < fp; k++)
				moved += f0[k] != f0[fp + k];
			print_frames((enum mode)m, fp, f0 + fp, moved);
		} else if (o.frames) {
			printf("# frames %s: unknown: %s\n", mode_name[m], why);
		}
		free(f0);
		arena_close(&a);
	}
	load_average(load, sizeof(load));
	if (o.json)
		printf("\n], \"loadavg_after\": \"%s\"}\n", load);
	else
		printf("# loadavg after: %s\n", load);
	free(perm);
	return 0;
}
