/*
 * tests/check_drmemtrace.c - the DynamoRIO drmemtrace reader on small
 * hand-assembled traces: every record type, every container, every version,
 * thread interleaving, and the damage it must refuse. Record numbers are
 * DynamoRIO's trace_entry.h (see traces/drmemtrace.c); every expected count
 * is worked out in the case's comment.
 */
#include "check_util.h"

#include <sys/stat.h>
#include <zip.h>

/* trace_type_t and trace_marker_type_t values used below (trace_entry.h). */
enum {
	T_READ = 0, T_WRITE = 1, T_PREFETCH = 2, T_PREFETCH_INSTR = 9, T_INSTR = 10,
	T_COND_JUMP = 13, T_RETURN = 16, T_BUNDLE = 17, T_IFLUSH = 18, T_DFLUSH_END = 21,
	T_THREAD = 22, T_THREAD_EXIT = 23, T_PID = 24, T_HEADER = 25, T_FOOTER = 26,
	T_HW_PREFETCH = 27, T_MARKER = 28, T_NO_FETCH = 29, T_MAYBE_FETCH = 30, T_SYSENTER = 31,
	T_PF_READ_L1_NT = 32, T_PF_INSTR_L1 = 35, T_PF_WRITE_L1 = 41, T_PF_WRITE_L3_NT = 46,
	T_ENCODING = 47, T_TAKEN = 48, T_UNTAKEN = 49,
};
enum { M_KERNEL_EVENT = 0, M_KERNEL_XFER = 1, M_TIMESTAMP = 2, M_CPU_ID = 3, M_FILETYPE = 9,
       M_CACHE_LINE = 10, M_VERSION = 12, M_PAGE_SIZE = 18, M_CHUNK_FOOTER = 21 };

#define FT_X86_64 0x40u
#define FT_X86_32 0x20u

typedef struct tb {
	unsigned char *b;
	size_t len, cap;
} tb;

static void put(tb *t, unsigned type, unsigned size, uint64_t addr)
{
	if (t->len + 12 > t->cap)
		t->b = realloc(t->b, t->cap = (t->cap + 12) * 2);
	unsigned char *p = t->b + t->len;
	p[0] = (unsigned char)type, p[1] = (unsigned char)(type >> 8);
	p[2] = (unsigned char)size, p[3] = (unsigned char)(size >> 8);
	for (int i = 0; i < 8; i++)
		p[4 + i] = (unsigned char)(addr >> (8 * i));
	t->len += 12;
}

static void mark(tb *t, unsigned m, uint64_t v) { put(t, T_MARKER, m, v); }

/* The opening records raw2trace writes: header, version, file type,
 * thread, pid, cache line, page size. */
static void head(tb *t, unsigned version, uint64_t tid, uint64_t pid, uint64_t filetype)
{
	put(t, T_HEADER, 0, version);
	mark(t, M_VERSION, version);
	mark(t, M_FILETYPE, filetype);
	put(t, T_THREAD, 4, tid);
	put(t, T_PID, 4, pid);
	mark(t, M_CACHE_LINE, 64);
	mark(t, M_PAGE_SIZE, 4096);
}

static void tail(tb *t, uint64_t tid)
{
	put(t, T_THREAD_EXIT, 4, tid);
	put(t, T_FOOTER, 0, 0);
}

static char *tmp_dir(void)
{
	char tmpl[] = "/tmp/slatsim-check-dr-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	return strdup(tmpl);
}

static char *join(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void write_gzip(const char *path, const void *data, size_t len)
{
	gzFile g = gzopen(path, "wb");
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(gzwrite(g, data, (unsigned)len), (int)len);
	gzclose(g);
}

static void write_zlib(const char *path, const void *data, size_t len)
{
	uLongf cap = compressBound(len);
	unsigned char *z = malloc(cap);
	ck_assert_int_eq(compress2(z, &cap, data, len, 6), Z_OK);
	write_file(path, z, cap);
	free(z);
}

/* A zip archive of N members named NAMES[i] holding BODY[i] (LEN[i]
 * bytes), added in that order. */
static void write_zip_members(const char *path, const char *const *names,
			      const unsigned char *const *body, const size_t *len, size_t n)
{
	int e;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &e);
	ck_assert_ptr_nonnull(z);
	for (size_t i = 0; i < n; i++) {
		zip_source_t *s = zip_source_buffer(z, body[i], len[i], 0);
		ck_assert_ptr_nonnull(s);
		ck_assert_int_ge(zip_file_add(z, names[i], s, 0), 0);
	}
	ck_assert_int_eq(zip_close(z), 0);
}

/* The members raw2trace would write for DATA cut at the record offsets
 * CUTS (NCUT of them): chunk.0000000I holds the records of piece I and,
 * but for the last, ends with a CHUNK_FOOTER marker of value I. Into
 * M[0..NCUT] (each malloc'd) with their lengths. */
static void chunk_members(const unsigned char *data, size_t len, const size_t *cuts,
			  size_t ncut, tb *m)
{
	size_t lo = 0;
	for (size_t i = 0; i <= ncut; i++) {
		size_t hi = i < ncut ? cuts[i] * 12 : len;
		m[i] = (tb){ .b = malloc(hi - lo + 12), .len = hi - lo, .cap = hi - lo + 12 };
		memcpy(m[i].b, data + lo, hi - lo);
		if (i < ncut)
			mark(&m[i], M_CHUNK_FOOTER, i);
		lo = hi;
	}
}

/* A zip archive of DATA in the members chunk_members makes, added to the
 * archive last chunk first: the reader must go by the chunk numbers, not
 * the archive's order. */
static void write_zip(const char *path, const unsigned char *data, size_t len,
		      const size_t *cuts, size_t ncut)
{
	tb m[8];
	ck_assert_uint_lt(ncut, 7);
	chunk_members(data, len, cuts, ncut, m);
	const char *names[8];
	const unsigned char *body[8];
	size_t lens[8];
	char nb[8][32];
	for (size_t i = 0; i <= ncut; i++) {
		size_t j = ncut - i;   /* last chunk first */
		snprintf(nb[i], sizeof(nb[i]), "chunk.%08zu", j);
		names[i] = nb[i];
		body[i] = m[j].b;
		lens[i] = m[j].len;
	}
	write_zip_members(path, names, body, lens, ncut + 1);
	for (size_t i = 0; i <= ncut; i++)
		free(m[i].b);
}

/* ------------------------------------------------------------------ cases */

/* One thread with every record type of trace_entry.h (version 7, x86-64).
 * Expected records, in order:
 *   X 0x1000/3 (INSTR, after a 3-byte ENCODING)        icount 1
 *   R 0x7000/8, W 0x7008/4                             icount 0
 *   X for each of the branch types 11..16, SYSENTER, MAYBE_FETCH, TAKEN,
 *     UNTAKEN: 10 fetches at 0x1003.. of 2 bytes     icount 1
 *   NO_FETCH, then R 0x8000/8: the R carries icount 1 (the non-fetched
 *     instruction), and the next X carries 1 + 1 after a second NO_FETCH
 *   prefetches: 2..9 (8 types) and 32..46 (15): 23 records, flavours
 *     read: 2..7, 32..34 = 9; instr: 9, 35..40 = 7; write: 8, 41..46 = 7
 *   R size 0 at 0x9000 (a zero-size reference)
 *   W of 5000 bytes at 0xa000 -> W 0xa000/4096 and W 0xb000/904
 *   no records for: flushes 18..21, HARDWARE_PREFETCH, markers (kernel
 *     event/xfer, CPU_ID, CHUNK_FOOTER, a user marker 200), THREAD(_EXIT), PID
 * Total: 1 + 2 + 10 + 1 + 1 + 23 + 1 + 2 = 41 records: X 12, R 2 + 1 = 3
 * plus 23 prefetches (reads when TRACE_P is not asked for), W 1 + 2 = 3. */
static void every_type_trace(tb *t)
{
	head(t, 7, 100, 42, FT_X86_64 | 0x200);
	mark(t, M_TIMESTAMP, 1000);
	mark(t, M_CPU_ID, 3);
	mark(t, M_CHUNK_FOOTER, 0);   /* record 9: in the first zip member (cut at 10) */
	put(t, T_ENCODING, 3, 0x0ab0c0);
	put(t, T_INSTR, 3, 0x1000);
	put(t, T_READ, 8, 0x7000);
	put(t, T_WRITE, 4, 0x7008);
	unsigned fetches[] = { 11, 12, 13, 14, 15, 16, T_SYSENTER, T_MAYBE_FETCH, T_TAKEN, T_UNTAKEN };
	for (unsigned i = 0; i < 10; i++)
		put(t, fetches[i], 2, 0x1003 + 2 * i);
	put(t, T_NO_FETCH, 2, 0x1017);
	put(t, T_READ, 8, 0x8000);
	put(t, T_NO_FETCH, 2, 0x1017);
	put(t, T_INSTR, 2, 0x1019);
	for (unsigned ty = T_PREFETCH; ty <= T_PREFETCH_INSTR; ty++)
		put(t, ty, 64, 0x20000 + ty * 64);
	for (unsigned ty = T_PF_READ_L1_NT; ty <= T_PF_WRITE_L3_NT; ty++)
		put(t, ty, 64, 0x20000 + ty * 64);
	for (unsigned ty = T_IFLUSH; ty <= T_DFLUSH_END; ty++)
		put(t, ty, 64, 0x30000);
	put(t, T_HW_PREFETCH, 64, 0x31000);
	mark(t, M_KERNEL_EVENT, 0x1019);
	mark(t, M_KERNEL_XFER, 0x1019);
	mark(t, 200, 7);
	put(t, T_READ, 0, 0x9000);
	put(t, T_WRITE, 5000, 0xa000);
	tail(t, 100);
}

START_TEST(drmemtrace_every_record_type_maps_to_its_access)
{
	tb t = { 0 };
	every_type_trace(&t);
	char *p = tmp_write(t.b, t.len, ".trace");
	trace_rec *r;
	char err[512];
	long n = read_all_flags(p, TRACE_FMT_AUTO, TRACE_OPEN_PREFETCH, 5, &r, err, sizeof(err));
	ck_assert_msg(n == 41, "%ld: %s", n, err);
	unsigned kinds[5] = { 0 }, pf[3] = { 0 };
	for (long i = 0; i < n; i++) {
		kinds[r[i].kind]++;
		if (r[i].kind == TRACE_P)
			pf[r[i].op]++;
		ck_assert_uint_eq(r[i].asid, 42);
		ck_assert_uint_eq(r[i].vcpu, 0);
	}
	ck_assert_uint_eq(kinds[TRACE_X], 12);
	ck_assert_uint_eq(kinds[TRACE_R], 3);
	ck_assert_uint_eq(kinds[TRACE_W], 3);
	ck_assert_uint_eq(kinds[TRACE_P], 23);
	ck_assert_uint_eq(pf[TRACE_PF_READ], 9);
	ck_assert_uint_eq(pf[TRACE_PF_WRITE], 7);
	ck_assert_uint_eq(pf[TRACE_PF_INSTR], 7);
	ck_assert_uint_eq(r[0].kind, TRACE_X);
	ck_assert_uint_eq(r[0].gva, 0x1000);
	ck_assert_uint_eq(r[0].size, 3);
	ck_assert_uint_eq(r[0].icount, 1);
	ck_assert_uint_eq(r[1].kind * 100 + r[1].size, TRACE_R * 100 + 8);
	ck_assert_uint_eq(r[2].gva, 0x7008);
	ck_assert_uint_eq(r[2].icount, 0);
	ck_assert_uint_eq(r[12].gva, 0x1003 + 2 * 9);   /* the last of the 10 branch fetches */
	ck_assert_uint_eq(r[13].gva, 0x8000);           /* R after one non-fetched instruction */
	ck_assert_uint_eq(r[13].icount, 1);
	ck_assert_uint_eq(r[14].gva, 0x1019);           /* X after the second */
	ck_assert_uint_eq(r[14].icount, 2);
	ck_assert_uint_eq(r[15].kind, TRACE_P);
	ck_assert_uint_eq(r[15].gva, 0x20000 + 2 * 64);
	ck_assert_uint_eq(r[15].size, 64);
	ck_assert_uint_eq(r[38].gva, 0x9000);
	ck_assert_uint_eq(r[38].size, 0);
	ck_assert_uint_eq(r[39].gva, 0xa000);
	ck_assert_uint_eq(r[39].size, 4096);
	ck_assert_uint_eq(r[40].gva, 0xb000);
	ck_assert_uint_eq(r[40].size, 904);
	free(r);
	/* Without TRACE_OPEN_PREFETCH the 23 prefetches are reads: 26 R. */
	n = read_all(p, TRACE_FMT_DRMEMTRACE, 4096, &r, err, sizeof(err));
	ck_assert_msg(n == 41, "%ld: %s", n, err);
	unsigned reads = 0;
	for (long i = 0; i < n; i++)
		reads += r[i].kind == TRACE_R && r[i].op == 0;
	ck_assert_uint_eq(reads, 26);
	free(r);
	/* The header says what was read. */
	trace_reader *rd;
	ck_assert_int_eq(trace_open(&rd, p, TRACE_FMT_AUTO, err, sizeof(err)), TRACE_OK);
	ck_assert_int_eq(trace_get_header(rd)->format, TRACE_FMT_DRMEMTRACE);
	ck_assert_uint_eq(trace_get_header(rd)->vcpus, 1);
	ck_assert_msg(strstr(trace_get_header(rd)->desc, "version 7, x86-64, 1 thread"), "%s",
		      trace_get_header(rd)->desc);
	trace_close(rd);
	unlink(p);
	free(p);
	free(t.b);
}
END_TEST

/* The instructions of one small program as each version writes them:
 * versions 2..3 bundle consecutive instructions (INSTR 0x1000/2, then a
 * BUNDLE of lengths 3, 4, 1 -> X 0x1002/3, 0x1005/4, 0x1009/1) and use
 * CONDITIONAL_JUMP; 4 adds ENCODING records; 5.. use TAKEN/UNTAKEN jumps;
 * 6 and 7 bracket a system call with timestamps. All give the same 6
 * records: X 0x1000/2, 0x1002/3, 0x1005/4, 0x1009/1, R 0x5000/8, X 0x100a/2. */
static void version_trace(tb *t, unsigned v)
{
	head(t, v, 7, 7, FT_X86_64);
	mark(t, M_TIMESTAMP, 50);
	if (v >= 4)
		put(t, T_ENCODING, 2, 0x9090);
	put(t, T_INSTR, 2, 0x1000);
	if (v <= 3) {
		put(t, T_BUNDLE, 3, 0x010403);   /* lengths 3, 4, 1 in the addr bytes */
	} else {
		put(t, T_INSTR, 3, 0x1002);
		put(t, T_INSTR, 4, 0x1005);
		put(t, T_INSTR, 1, 0x1009);
	}
	put(t, T_READ, 8, 0x5000);
	if (v >= 6) {
		mark(t, M_TIMESTAMP, 60);
		mark(t, M_CPU_ID, 0);
	}
	put(t, v >= 5 ? T_TAKEN : T_COND_JUMP, 2, 0x100a);
	tail(t, 7);
}

START_TEST(drmemtrace_every_version_reads_the_same_accesses)
{
	static const struct { uint64_t gva; unsigned size, kind; } want[6] = {
		{ 0x1000, 2, TRACE_X }, { 0x1002, 3, TRACE_X }, { 0x1005, 4, TRACE_X },
		{ 0x1009, 1, TRACE_X }, { 0x5000, 8, TRACE_R }, { 0x100a, 2, TRACE_X },
	};
	char err[512];
	for (unsigned v = 2; v <= 7; v++) {
		tb t = { 0 };
		version_trace(&t, v);
		char *p = tmp_write(t.b, t.len, ".trace");
		trace_rec *r;
		long n = read_all(p, TRACE_FMT_AUTO, 2, &r, err, sizeof(err));
		ck_assert_msg(n == 6, "version %u: %ld: %s", v, n, err);
		for (int i = 0; i < 6; i++)
			ck_assert_msg(r[i].gva == want[i].gva && r[i].size == want[i].size &&
				      r[i].kind == want[i].kind && r[i].asid == 7,
				      "version %u record %d", v, i);
		free(r);
		unlink(p);
		free(p);
		free(t.b);
	}
	/* 1 and 8 are not versions this reader knows. */
	for (unsigned v = 1; v <= 8; v += 7) {
		tb t = { 0 };
		version_trace(&t, v);
		char *p = tmp_write(t.b, t.len, ".trace");
		trace_rec *r;
		ck_assert_int_eq(read_all(p, TRACE_FMT_DRMEMTRACE, 64, &r, err, sizeof(err)),
				 TRACE_EVERSION);
		ck_assert_msg(strstr(err, "record 0 (byte 0): trace version") &&
			      strstr(err, "versions 2..7"), "%s", err);
		unlink(p);
		free(p);
		free(t.b);
	}
}
END_TEST

/* The every-type trace in each container, as a file and in a directory
 * (DIR/trace/ with the schedule files beside it, which are not threads):
 * the same 41 records each time. The zip has three members cut at records
 * 10 and 30, stored last chunk first. */
START_TEST(drmemtrace_every_container_reads_the_same_records)
{
	tb t = { 0 };
	every_type_trace(&t);
	char err[512];
	trace_rec *ref;
	char *p0 = tmp_write(t.b, t.len, ".trace");
	long n0 = read_all(p0, TRACE_FMT_AUTO, 4096, &ref, err, sizeof(err));
	ck_assert_msg(n0 == 41, "%s", err);
	char *dir = tmp_dir();
	char *sub = join(dir, "trace");
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	const char *names[] = { "drmemtrace.app.1.0000.trace", "drmemtrace.app.1.0000.trace.gz",
				"drmemtrace.app.1.0000.trace.zlib",
				"drmemtrace.app.1.0000.trace.zip" };
	size_t cuts[2] = { 10, 30 };
	char *sched[2] = { join(sub, "cpu_schedule.bin.zip"), join(sub, "serial_schedule.bin.gz") };
	write_file(sched[0], "PK", 2);
	write_file(sched[1], "x", 1);
	for (int c = 0; c < 4; c++) {
		char *f = join(sub, names[c]);
		if (c == 0)
			write_file(f, t.b, t.len);
		else if (c == 1)
			write_gzip(f, t.b, t.len);
		else if (c == 2)
			write_zlib(f, t.b, t.len);
		else
			write_zip(f, t.b, t.len, cuts, 2);
		/* the file, DIR/trace and DIR: the format detected from the content */
		const char *paths[3] = { f, sub, dir };
		for (int k = 0; k < 3; k++) {
			trace_rec *r;
			long n = read_all(paths[k], TRACE_FMT_AUTO, 3, &r, err, sizeof(err));
			ck_assert_msg(n == n0, "%s via %s: %ld: %s", names[c], paths[k], n, err);
			for (long i = 0; i < n; i++)
				ck_assert_msg(rec_equal(&r[i], &ref[i]), "%s record %ld", names[c], i);
			free(r);
		}
		unlink(f);
		free(f);
	}
	for (int k = 0; k < 2; k++) {
		unlink(sched[k]);
		free(sched[k]);
	}
	rmdir(sub);
	rmdir(dir);
	free(ref);
	free(sub);
	free(dir);
	unlink(p0);
	free(p0);
	free(t.b);
}
END_TEST

/* Two threads (vCPU 0 and 1 by file name, PIDs 5 and 9) with timestamps
 * A: 100 {X a1} 300 {X a2}   B: 200 {X b1} 300 {X b2, R b3}
 * are returned in timestamp order, ties to the lower vCPU:
 * a1 (100), b1 (200), a2 (300, vCPU 0), b2 b3 (300). */
START_TEST(drmemtrace_threads_interleave_by_timestamp)
{
	char *dir = tmp_dir();
	tb a = { 0 }, b = { 0 };
	head(&a, 7, 11, 5, FT_X86_64);
	mark(&a, M_TIMESTAMP, 100);
	put(&a, T_INSTR, 1, 0xa1);
	mark(&a, M_TIMESTAMP, 300);
	put(&a, T_INSTR, 1, 0xa2);
	tail(&a, 11);
	head(&b, 7, 12, 9, FT_X86_64);
	mark(&b, M_TIMESTAMP, 200);
	put(&b, T_INSTR, 1, 0xb1);
	mark(&b, M_TIMESTAMP, 300);
	put(&b, T_INSTR, 1, 0xb2);
	put(&b, T_READ, 4, 0xb3);
	tail(&b, 12);
	char *fa = join(dir, "drmemtrace.x.11.0000.trace.gz"), *fb = join(dir, "drmemtrace.x.12.0000.trace");
	write_gzip(fa, a.b, a.len);
	write_file(fb, b.b, b.len);
	trace_rec *r;
	char err[512];
	for (size_t batch = 1; batch <= 64; batch += 63) {
		long n = read_all(dir, TRACE_FMT_AUTO, batch, &r, err, sizeof(err));
		ck_assert_msg(n == 5, "%ld: %s", n, err);
		uint64_t order[5] = { 0xa1, 0xb1, 0xa2, 0xb2, 0xb3 };
		unsigned vcpu[5] = { 0, 1, 0, 1, 1 }, asid[5] = { 5, 9, 5, 9, 9 };
		for (int i = 0; i < 5; i++)
			ck_assert_msg(r[i].gva == order[i] && r[i].vcpu == vcpu[i] &&
				      r[i].asid == asid[i], "batch %zu record %d: 0x%llx", batch, i,
				      (unsigned long long)r[i].gva);
		free(r);
	}
	trace_reader *rd;
	ck_assert_int_eq(trace_open(&rd, dir, TRACE_FMT_AUTO, err, sizeof(err)), TRACE_OK);
	ck_assert_uint_eq(trace_get_header(rd)->vcpus, 2);
	trace_close(rd);
	unlink(fa);
	unlink(fb);
	rmdir(dir);
	free(fa);
	free(fb);
	free(dir);
	free(a.b);
	free(b.b);
}
END_TEST

/* Damage is refused naming the file, the member and the record offset. */
START_TEST(drmemtrace_damage_names_file_member_and_record)
{
	char err[512];
	trace_rec *r;
	struct { tb t; int kind; const char *want; } c[8];
	memset(c, 0, sizeof(c));
	/* 0: an undefined record type (50) at record 8 */
	head(&c[0].t, 7, 1, 1, FT_X86_64);
	put(&c[0].t, 50, 0, 0);
	tail(&c[0].t, 1);
	c[0].want = "record 7 (byte 84): undefined record type 50";
	/* 1: no footer */
	head(&c[1].t, 7, 1, 1, FT_X86_64);
	put(&c[1].t, T_INSTR, 1, 0x10);
	c[1].want = "record 8 (byte 96): the thread's records end without the footer record";
	/* 2: a 32-bit trace: 8-byte records */
	{
		unsigned char b32[16] = { T_HEADER, 0, 0, 0, 7, 0, 0, 0, T_MARKER, 0, M_VERSION, 0,
					  7, 0, 0, 0 };
		c[2].t.b = malloc(sizeof(b32) + 12);
		memcpy(c[2].t.b, b32, sizeof(b32));
		memset(c[2].t.b + 16, 0, 12);
		c[2].t.len = 24;
	}
	c[2].want = "record 0 (byte 0): a 32-bit trace (8-byte records)";
	/* 3: FILETYPE says x86-32 */
	head(&c[3].t, 7, 1, 1, FT_X86_32);
	tail(&c[3].t, 1);
	c[3].want = "record 2 (byte 24): a 32-bit trace (FILETYPE 0x20 says x86-32)";
	/* 4: a partial record at the end */
	head(&c[4].t, 7, 1, 1, FT_X86_64);
	tail(&c[4].t, 1);
	c[4].t.len -= 5;
	c[4].want = "record 8 (byte 96): the file ends inside a record (7 of 12 bytes)";
	/* 5: data after the footer */
	head(&c[5].t, 7, 1, 1, FT_X86_64);
	tail(&c[5].t, 1);
	put(&c[5].t, T_INSTR, 1, 0x10);
	c[5].want = "record 9 (byte 108): data after the footer record";
	/* 6: a bundle with no instruction before it */
	head(&c[6].t, 3, 1, 1, FT_X86_64);
	put(&c[6].t, T_BUNDLE, 2, 0x0202);
	tail(&c[6].t, 1);
	c[6].want = "record 7 (byte 84): instruction bundle without an instruction before it";
	/* 7: not a drmemtrace file at all (forced) */
	put(&c[7].t, T_INSTR, 1, 0x10);
	put(&c[7].t, T_INSTR, 1, 0x11);
	c[7].want = "record 0 (byte 0): not a drmemtrace file";
	for (int i = 0; i < 8; i++) {
		char *p = tmp_write(c[i].t.b, c[i].t.len, ".trace");
		long n = read_all(p, TRACE_FMT_DRMEMTRACE, 64, &r, err, sizeof(err));
		ck_assert_msg(n == TRACE_EFORMAT, "case %d: %ld: %s", i, n, err);
		ck_assert_msg(strstr(err, p) && strstr(err, c[i].want), "case %d: %s", i, err);
		unlink(p);
		free(p);
		free(c[i].t.b);
	}
	/* In a zip: the member that holds the damage is named, with the offset
	 * inside it. Chunks cut at record 5: the undefined type is record 2 of
	 * chunk.00000001. */
	tb t = { 0 };
	head(&t, 7, 1, 1, FT_X86_64);
	put(&t, 77, 0, 0);
	tail(&t, 1);
	char *z = tmp_path(".trace.zip");
	size_t cut = 5;
	write_zip(z, t.b, t.len, &cut, 1);
	ck_assert_int_eq(read_all(z, TRACE_FMT_AUTO, 64, &r, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "member chunk.00000001: record 2 (byte 24): undefined record "
			     "type 77"), "%s", err);
	/* A damaged member: flip bytes inside the first member's data. */
	size_t zl;
	FILE *f = fopen(z, "rb");
	unsigned char zb[4096];
	zl = fread(zb, 1, sizeof(zb), f);
	fclose(f);
	for (size_t i = 40; i < 60; i++)
		zb[i] ^= 0x5a;
	char *zd = tmp_write(zb, zl, ".trace.zip");
	ck_assert_int_eq(read_all(zd, TRACE_FMT_AUTO, 64, &r, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, zd) && (strstr(err, "damaged zip member") ||
					   strstr(err, "damaged zip archive")), "%s", err);
	/* A truncated archive (the central directory is gone). */
	char *zt = tmp_write(zb, zl / 2, ".trace.zip");
	ck_assert_int_eq(read_all(zt, TRACE_FMT_DRMEMTRACE, 64, &r, err, sizeof(err)),
			 TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "damaged zip archive"), "%s", err);
	unlink(z);
	unlink(zd);
	unlink(zt);
	free(z);
	free(zd);
	free(zt);
	free(t.b);
}
END_TEST

/* The members of a zip archive are the capture's chunks 0, 1, 2, ...: one
 * lost, kept alone, renamed, reordered, doubled or taken from elsewhere is
 * refused naming the archive and the member, never replayed around. The
 * trace: header (7 records), TIMESTAMP, 20 fetches, THREAD_EXIT, FOOTER =
 * 30 records, cut at records 10 and 20 into m0, m1 (each ending with its
 * CHUNK_FOOTER, 0 and 1) and m2. */
START_TEST(drmemtrace_zip_members_lost_or_mixed_are_refused)
{
	tb t = { 0 };
	head(&t, 7, 1, 1, FT_X86_64);
	mark(&t, M_TIMESTAMP, 5);
	for (unsigned i = 0; i < 20; i++)
		put(&t, T_INSTR, 4, 0x1000 + 4 * i);
	tail(&t, 1);
	size_t cuts[2] = { 10, 20 };
	tb m[3];
	chunk_members(t.b, t.len, cuts, 2, m);
	/* m1 with a CHUNK_FOOTER that says 5, m0 without its footer */
	tb m1x = { .b = malloc(m[1].len), .len = m[1].len };
	memcpy(m1x.b, m[1].b, m[1].len);
	m1x.b[m1x.len - 8] = 5;
	tb m0x = { .b = m[0].b, .len = m[0].len - 12 };
	char err[512];
	trace_rec *r;
	struct {
		const char *names[3];
		const tb *body[3];
		size_t n;
		const char *want;
	} c[] = {
		{ { "chunk.00000000", "chunk.00000001", "chunk.00000002" }, { &m[0], &m[1], &m[2] },
		  3, NULL },
		/* lost */
		{ { "chunk.00000000", "chunk.00000002" }, { &m[0], &m[2] }, 2,
		  ": member chunk.00000001 is missing: the archive holds 2 members, "
		  "chunk.00000000 to chunk.00000002" },
		{ { "chunk.00000001" }, { &m[1] }, 1,
		  ": member chunk.00000000 is missing: the archive holds 1 member, chunk.00000001" },
		{ { "chunk.00000000", "chunk.00000001" }, { &m[0], &m[1] }, 2,
		  ": member chunk.00000001: record 11 (byte 132): the archive's last member ends "
		  "with a CHUNK_FOOTER marker, which a capture writes only when another member "
		  "follows: chunk.00000002 and on are missing" },
		/* the footer of chunk 0 lost: member 0 cut short at a record */
		{ { "chunk.00000000", "chunk.00000001", "chunk.00000002" }, { &m0x, &m[1], &m[2] },
		  3, ": member chunk.00000000: record 10 (byte 120): the member ends without its "
		  "CHUNK_FOOTER marker" },
		/* reordered: chunk 2's records as member 1 */
		{ { "chunk.00000000", "chunk.00000001", "chunk.00000002" }, { &m[0], &m[2], &m[1] },
		  3, ": member chunk.00000001: record 10 (byte 120): the member ends without its "
		  "CHUNK_FOOTER marker" },
		/* renamed: chunk 0 again as member 1 (from this or another capture) */
		{ { "chunk.00000000", "chunk.00000001", "chunk.00000002" }, { &m[0], &m[0], &m[2] },
		  3, ": member chunk.00000001: record 0 (byte 0): a second header record" },
		{ { "chunk.00000000", "chunk.00000001", "chunk.00000002" }, { &m[0], &m1x, &m[2] },
		  3, ": member chunk.00000001: record 10 (byte 120): CHUNK_FOOTER marker of chunk 5 "
		  "in member chunk.00000001" },
		/* doubled, under two spellings of one number */
		{ { "chunk.00000000", "chunk.00000001", "chunk.1" }, { &m[0], &m[1], &m[1] }, 3,
		  ": zip archive holds chunk.00000001 twice" },
	};
	long want_n = 20;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const unsigned char *body[3];
		size_t lens[3];
		for (size_t k = 0; k < c[i].n; k++)
			body[k] = c[i].body[k]->b, lens[k] = c[i].body[k]->len;
		char *z = tmp_path(".trace.zip");
		write_zip_members(z, c[i].names, body, lens, c[i].n);
		long n = read_all(z, TRACE_FMT_AUTO, 64, &r, err, sizeof(err));
		if (!c[i].want) {
			ck_assert_msg(n == want_n, "case %zu: %ld: %s", i, n, err);
			free(r);
		} else {
			ck_assert_msg(n == TRACE_EFORMAT, "case %zu: %ld", i, n);
			ck_assert_msg(strncmp(err, z, strlen(z)) == 0 &&
				      strstr(err + strlen(z), c[i].want) == err + strlen(z),
				      "case %zu: %s", i, err);
		}
		unlink(z);
		free(z);
	}
	for (int i = 0; i < 3; i++)
		free(m[i].b);
	free(m1x.b);
	free(t.b);
}
END_TEST

/* A directory without per-thread files, and one whose file is damaged,
 * are refused naming what they are. */
START_TEST(drmemtrace_directory_errors)
{
	char err[512];
	trace_rec *r;
	char *dir = tmp_dir();
	char *sched = join(dir, "serial_schedule.bin.gz");
	write_file(sched, "x", 1);
	ck_assert_int_eq(read_all(dir, TRACE_FMT_AUTO, 64, &r, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "no per-thread drmemtrace files"), "%s", err);
	ck_assert_int_eq(read_all(dir, TRACE_FMT_TEXT, 64, &r, err, sizeof(err)), TRACE_EIO);
	ck_assert_msg(strstr(err, "is a directory"), "%s", err);
	/* a thread in the lz4 container is refused, not left out */
	char *lz4 = join(dir, "drmemtrace.app.1.0000.trace.lz4");
	write_file(lz4, "x", 1);
	ck_assert_int_eq(read_all(dir, TRACE_FMT_AUTO, 64, &r, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "drmemtrace.app.1.0000.trace.lz4: a per-thread file in a "
			     "container this reader does not read"), "%s", err);
	unlink(lz4);
	free(lz4);
	unlink(sched);
	rmdir(dir);
	free(sched);
	free(dir);
}
END_TEST

Suite *drmemtrace_suite(void)
{
	Suite *s = suite_create("drmemtrace");
	TCase *tc = tcase_create("reader");
	tcase_add_test(tc, drmemtrace_every_record_type_maps_to_its_access);
	tcase_add_test(tc, drmemtrace_every_version_reads_the_same_accesses);
	tcase_add_test(tc, drmemtrace_every_container_reads_the_same_records);
	tcase_add_test(tc, drmemtrace_threads_interleave_by_timestamp);
	tcase_add_test(tc, drmemtrace_damage_names_file_member_and_record);
	tcase_add_test(tc, drmemtrace_directory_errors);
	tcase_add_test(tc, drmemtrace_zip_members_lost_or_mixed_are_refused);
	suite_add_tcase(s, tc);
	return s;
}
