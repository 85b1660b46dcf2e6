/*
 * tests/check_readers.c - lackey, ChampSim and text readers; detection.
 */
#include "check_util.h"

#include <dirent.h>

static long read_text(const char *text, enum trace_format fmt, size_t batch,
		      trace_rec **out, char *err, size_t errlen, char **pathp)
{
	char *p = tmp_write(text, strlen(text), ".txt");
	long n = read_all(p, fmt, batch, out, err, errlen);
	if (pathp)
		*pathp = p;
	else {
		unlink(p);
		free(p);
	}
	return n;
}

START_TEST(lackey_lines_map_to_records)
{
	const char *t =
		"==1== Lackey, an example Valgrind tool\n"
		"==1== Command: ls /\n"
		"I  0401ab70,3\n"
		" S 1fff000708,8\n"
		" L 04223d8,4\n"
		" M 0421c90,2\n"
		"\n"
		"I  0401ab73,5\n"
		"==1== Exit code:       0\n";
	trace_rec *r;
	char err[512];
	/* batch 1 forces the M line's W half to wait for the next call */
	for (size_t batch = 1; batch <= 64; batch += 63) {
		long n = read_text(t, TRACE_FMT_AUTO, batch, &r, err, sizeof(err), NULL);
		ck_assert_msg(n == 6, "%ld: %s", n, err);
		ck_assert_uint_eq(r[0].kind, TRACE_X);
		ck_assert_uint_eq(r[0].gva, 0x401ab70);
		ck_assert_uint_eq(r[0].size, 3);
		ck_assert_uint_eq(r[0].icount, 1);
		ck_assert_uint_eq(r[1].kind, TRACE_W);
		ck_assert_uint_eq(r[1].gva, 0x1fff000708);
		ck_assert_uint_eq(r[1].icount, 0);
		ck_assert_uint_eq(r[2].kind, TRACE_R);
		ck_assert_uint_eq(r[3].kind, TRACE_R);   /* M = R then W */
		ck_assert_uint_eq(r[4].kind, TRACE_W);
		ck_assert_uint_eq(r[3].gva, r[4].gva);
		ck_assert_uint_eq(r[4].size, 2);
		ck_assert_uint_eq(r[5].gva, 0x401ab73);
		free(r);
	}
}
END_TEST

START_TEST(lackey_malformed_line_names_line_number)
{
	trace_rec *r;
	char err[512];
	char *p;
	const char *cases[][2] = {
		{ "I  0401ab70,3\n L zz,4\n", "line 2: bad address" },
		{ "I  0401ab70,3\nI  0401ab73\n", "line 2: expected ',size'" },
		{ "I  0401ab70,3\n\n L 10,4x\n", "line 3: trailing characters" },
		{ "I  0401ab70,3\n Q 10,4\n", "line 2: not a lackey trace line" },
		{ "I  0401ab70,99999\n", "line 1: access size 99999 out of range" },
		{ "I  10000000000000000,4\n", "line 1: bad address" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long n = read_text(cases[i][0], TRACE_FMT_LACKEY, 64, &r, err, sizeof(err), &p);
		ck_assert_int_eq(n, TRACE_EFORMAT);
		ck_assert_msg(strstr(err, cases[i][1]) && strstr(err, p), "case %zu: %s", i, err);
		unlink(p);
		free(p);
	}
}
END_TEST

START_TEST(text_fields_and_defaults)
{
	const char *t = "# c\n0 X 400000 4\n  3\tR\t0xFFFF 8 12 # asid 12\n2 w 10 1 0 99\n";
	trace_rec *r;
	char err[512];
	long n = read_text(t, TRACE_FMT_AUTO, 2, &r, err, sizeof(err), NULL);
	ck_assert_msg(n == 3, "%s", err);
	ck_assert_uint_eq(r[0].icount, 1);
	ck_assert_uint_eq(r[0].gva, 0x400000);
	ck_assert_uint_eq(r[1].vcpu, 3);
	ck_assert_uint_eq(r[1].gva, 0xffff);
	ck_assert_uint_eq(r[1].asid, 12);
	ck_assert_uint_eq(r[1].icount, 0);
	ck_assert_uint_eq(r[2].kind, TRACE_W);
	ck_assert_uint_eq(r[2].icount, 99);
	free(r);
}
END_TEST

/* A zero-size access (DynamoRIO's xsavec) is an access of size 0 in every
 * text format; 4096 is the largest size. */
START_TEST(zero_size_accesses_are_read)
{
	trace_rec *r;
	char err[512];
	long n = read_text("0 R 0x1000 0\n0 W ffffffffffffffff 0\n0 X 10 4096\n", TRACE_FMT_TEXT,
			   64, &r, err, sizeof(err), NULL);
	ck_assert_msg(n == 3, "%s", err);
	ck_assert_uint_eq(r[0].size, 0);
	ck_assert_uint_eq(r[1].gva, UINT64_MAX);
	ck_assert_uint_eq(r[1].size, 0);
	ck_assert_uint_eq(r[2].size, 4096);
	free(r);
	n = read_text("I  0401ab70,3\n L 1000,0\n", TRACE_FMT_LACKEY, 64, &r, err, sizeof(err), NULL);
	ck_assert_msg(n == 2, "%s", err);
	ck_assert_uint_eq(r[1].kind, TRACE_R);
	ck_assert_uint_eq(r[1].size, 0);
	free(r);
}
END_TEST

static void expect_text_errors(const char *const cases[][2], size_t n);

/* P, PW, PI: prefetches of each flavour; reads for a caller that did not
 * ask for TRACE_P. */
START_TEST(text_prefetch_kinds)
{
	const char *t = "0 P 1000 64\n0 pw 2000 8 3\n1 PI 401000 4 0 2\n";
	char *path;
	trace_rec *r;
	char err[512];
	long n = read_text(t, TRACE_FMT_TEXT, 64, &r, err, sizeof(err), &path);
	ck_assert_msg(n == 3, "%s", err);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(r[i].kind * 16 + r[i].op, TRACE_R * 16);
	free(r);
	n = read_all_flags(path, TRACE_FMT_TEXT, TRACE_OPEN_PREFETCH, 2, &r, err, sizeof(err));
	ck_assert_msg(n == 3, "%s", err);
	ck_assert_uint_eq(r[0].kind, TRACE_P);
	ck_assert_uint_eq(r[0].op, TRACE_PF_READ);
	ck_assert_uint_eq(r[0].size, 64);
	ck_assert_uint_eq(r[0].icount, 0);
	ck_assert_uint_eq(r[1].op, TRACE_PF_WRITE);
	ck_assert_uint_eq(r[1].asid, 3);
	ck_assert_uint_eq(r[2].op, TRACE_PF_INSTR);
	ck_assert_uint_eq(r[2].icount, 2);
	free(r);
	unlink(path);
	free(path);
	const char *const bad[][2] = {
		{ "0 PX 10 8\n", "line 1: kind 'PX': expected access kind R, W, X, P, PW or PI" },
		{ "0 P\n", "line 1: address '' does not parse" },
	};
	expect_text_errors(bad, 2);
}
END_TEST

/* Each text in CASES[i][0] is refused with a message holding CASES[i][1]. */
static void expect_text_errors(const char *const cases[][2], size_t n)
{
	trace_rec *r;
	char err[512];
	for (size_t i = 0; i < n; i++) {
		long k = read_text(cases[i][0], TRACE_FMT_TEXT, 64, &r, err, sizeof(err), NULL);
		ck_assert_int_eq(k, TRACE_EFORMAT);
		ck_assert_msg(strstr(err, cases[i][1]) != NULL, "case %zu: %s", i, err);
	}
}

START_TEST(text_errors_name_line)
{
	const char *const cases[][2] = {
		{ "0 R 10 8\nx R 10 8\n", "line 2: vcpu 'x': expected a decimal vcpu" },
		{ "0 Q 10 8\n", "line 1: kind 'Q': expected access kind R, W, X, P, PW, PI (or I)" },
		{ "0 R 10 4097\n", "line 1: access size 4097 out of range 0..4096" },
		{ "0 R 10 8 70000\n", "line 1: ASID '70000': expected a decimal ASID 0..65535" },
		{ "256 R 10 8\n", "line 1: vcpu 256 beyond the maximum 255" },
		{ "0 R 10 8 1 2 3\n", "line 1: unexpected text" },
		{ "0 R 1x 8\n", "line 1: address '1x' does not parse" },
	};
	expect_text_errors(cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

/* Invalidation lines: vcpu I op [gva] [asid], op all|asid|va, .is to
 * broadcast; fields the op does not take are refused. */
START_TEST(text_invalidation_lines)
{
	const char *t = "0 I all\n1 i asid 7\n2 I va 0x7f001000\n3 I va.is 2000 9 # x\n"
			"0 I all.is\n";
	trace_rec *r;
	char err[512];
	long n = read_text(t, TRACE_FMT_AUTO, 2, &r, err, sizeof(err), NULL);
	ck_assert_msg(n == 5, "%s", err);
	ck_assert_uint_eq(r[0].kind, TRACE_INV);
	ck_assert_uint_eq(r[0].op, TRACE_INV_ALL);
	ck_assert_uint_eq(r[1].op, TRACE_INV_ASID);
	ck_assert_uint_eq(r[1].asid, 7);
	ck_assert_uint_eq(r[1].vcpu, 1);
	ck_assert_uint_eq(r[2].op, TRACE_INV_VA);
	ck_assert_uint_eq(r[2].gva, 0x7f001000);
	ck_assert_uint_eq(r[2].asid, 0);
	ck_assert_uint_eq(r[3].op, TRACE_INV_VA | TRACE_INV_BCAST);
	ck_assert_uint_eq(r[3].gva, 0x2000);
	ck_assert_uint_eq(r[3].asid, 9);
	ck_assert_uint_eq(r[4].op, TRACE_INV_ALL | TRACE_INV_BCAST);
	for (int k = 0; k < 5; k++)
		ck_assert_uint_eq(r[k].size + r[k].icount, 0);
	free(r);
	const char *const bad[][2] = {
		{ "0 I\n", "line 1: expected an invalidation op" },
		{ "0 I page 10\n", "line 1: expected an invalidation op all, asid or va" },
		{ "0 I asid\n", "line 1: expected a decimal ASID" },
		{ "0 I va\n", "line 1: invalidation by va: address does not parse" },
		{ "0 I all 5\n", "line 1: unexpected text after the invalidation" },
		{ "0 I va 10 70000\n", "line 1: expected a decimal ASID 0..65535" },
		{ "0 Ix all\n", "line 1: kind 'Ix': expected access kind R, W, X, P, PW, PI (or I)" },
		{ "300 I all\n", "line 1: vcpu 300 beyond the maximum 255" },
	};
	expect_text_errors(bad, sizeof(bad) / sizeof(bad[0]));
}
END_TEST

START_TEST(text_line_too_long_is_an_error)
{
	size_t len = TRACE_MAX_LINE + 100;
	char *t = malloc(len + 20);
	strcpy(t, "0 R 10 8\n");
	memset(t + 9, ' ', len);
	strcpy(t + 9 + len, "\n");
	trace_rec *r;
	char err[512];
	ck_assert_int_eq(read_text(t, TRACE_FMT_TEXT, 64, &r, err, sizeof(err), NULL),
			 TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "line 2: longer than"), "%s", err);
	free(t);
}
END_TEST

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

START_TEST(champsim_record_expands_in_order)
{
	unsigned char ins[128] = { 0 };
	put64(ins + 0, 0x401000);
	put64(ins + 16, 0xd0);           /* dst 0 */
	put64(ins + 32 + 8, 0xa0);       /* src 1 */
	put64(ins + 32 + 24, 0xb0);      /* src 3 */
	put64(ins + 64, 0x401004);       /* second instruction: no memory */
	char *p = tmp_write(ins, sizeof(ins), ".bin");
	trace_rec *r;
	char err[512];
	for (size_t batch = 1; batch <= 2; batch++) {
		long n = read_all(p, TRACE_FMT_AUTO, batch, &r, err, sizeof(err));
		ck_assert_msg(n == 5, "%s", err);
		ck_assert_uint_eq(r[0].kind, TRACE_X);
		ck_assert_uint_eq(r[0].gva, 0x401000);
		ck_assert_uint_eq(r[1].kind, TRACE_R);
		ck_assert_uint_eq(r[1].gva, 0xa0);
		ck_assert_uint_eq(r[2].gva, 0xb0);
		ck_assert_uint_eq(r[3].kind, TRACE_W);
		ck_assert_uint_eq(r[3].gva, 0xd0);
		ck_assert_uint_eq(r[3].size, 8);
		ck_assert_uint_eq(r[4].gva, 0x401004);
		free(r);
	}
	unlink(p);
	free(p);
}
END_TEST

START_TEST(detection_by_content)
{
	struct { const char *text; enum trace_format want; } c[] = {
		{ "==9== Lackey\n==9== x\n", TRACE_FMT_LACKEY },
		{ "\n L 10,4\n", TRACE_FMT_LACKEY },
		{ "# comment\n0 R 10 4\n", TRACE_FMT_TEXT },
	};
	char err[512];
	for (size_t i = 0; i < 3; i++) {
		char *p = tmp_write(c[i].text, strlen(c[i].text), ".trace");
		trace_reader *r;
		ck_assert_int_eq(trace_open(&r, p, TRACE_FMT_AUTO, err, sizeof(err)), TRACE_OK);
		ck_assert_int_eq(trace_get_header(r)->format, c[i].want);
		trace_close(r);
		unlink(p);
		free(p);
	}
}
END_TEST

START_TEST(gzip_input_is_transparent_and_damage_reported)
{
	const char *t = "0 R 10 8\n0 W 20 8\n";
	char *p = tmp_path(".txt.gz");
	gzFile g = gzopen(p, "wb");
	gzputs(g, t);
	gzclose(g);
	trace_rec *r;
	char err[512];
	ck_assert_int_eq(read_all(p, TRACE_FMT_AUTO, 8, &r, err, sizeof(err)), 2);
	free(r);
	/* chop the gzip trailer: truncation must be reported */
	FILE *f = fopen(p, "rb");
	unsigned char buf[256];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	char *q = tmp_write(buf, len - 5, ".gz");
	ck_assert_int_eq(read_all(q, TRACE_FMT_AUTO, 8, &r, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "truncated gzip stream"), "%s", err);
	unlink(q);
	free(q);
	unlink(p);
	free(p);
}
END_TEST

/* Read LEN bytes at DATA as a trace named NAME (trace_open_mem; DATA NULL:
 * the file NAME), with THREADS, into *out as read_all does. */
static long read_mem(const void *data, size_t len, const char *name, enum trace_format fmt,
		     unsigned threads, size_t batch, trace_rec **out, char *err, size_t errlen)
{
	trace_reader *r;
	trace_open_opts o = { .format = fmt, .threads = threads };
	int rc = data ? trace_open_mem(&r, data, len, name, &o, err, errlen)
		      : trace_open_with(&r, name, &o, err, errlen);
	*out = NULL;
	if (rc != TRACE_OK)
		return rc;
	size_t cap = 1024, n = 0;
	trace_rec *v = malloc(cap * sizeof(*v));
	for (;;) {
		if (n + batch > cap)
			v = realloc(v, (cap = (n + batch) * 2) * sizeof(*v));
		long k = trace_read(r, v + n, batch, err, errlen);
		if (k < 0) {
			trace_close(r);
			free(v);
			return k;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	trace_close(r);
	*out = v;
	return (long)n;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	size_t cap = 4096, n = 0, k;
	unsigned char *b = malloc(cap);
	while ((k = fread(b + n, 1, cap - n, f)) > 0)
		if ((n += k) == cap)
			b = realloc(b, cap *= 2);
	fclose(f);
	*len = n;
	return b;
}

/* A text trace with NUL bytes - one stray byte in a tiny file, at the
 * start, inside a field, a crash's zero-filled tail, past the 64 KB that
 * detection looks at - is detected as text (never as ChampSim: that rests
 * on every 64-byte record of the window, not on one byte) and refused
 * naming the line and byte offset of its first NUL: at the open when it is
 * in those 64 KB, else when the reader gets there; binary content that is
 * not ChampSim's shape likewise. Offsets by hand: "0 R 1000 8\n" is 11
 * bytes. */
START_TEST(text_with_nul_bytes_is_refused_at_the_first_nul)
{
	static char big[80000];
	size_t bl = 0;
	while (bl < 70000)   /* 6364 lines of 11 bytes = 70004 */
		bl += (size_t)sprintf(big + bl, "0 R 1000 8\n");
	big[bl] = '\0';   /* byte 70004, line 6365, then "0 W 2000 8\n" */
	memcpy(big + bl + 1, "0 W 2000 8\n", 11);
	/* bytes 37i + 11: the first NUL is byte 145, a newline at 83 */
	unsigned char bin[192];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 37 + 11);
	/* a crash's tail: two lines, then 8 KB of zeros (one 8 KB "line") */
	static char tailed[22 + 8192];
	memcpy(tailed, "0 R 1000 8\n0 W 2000 8\n", 22);
	struct {
		const char *data;
		size_t len;
		long records;   /* -1: refused at the open; else read before the error */
		const char *want;
	} c[] = {
		{ "0 R 1000 8\n0 W 2000 8\n\0" "0 R\n", 27, -1, "line 3 (byte 22): a NUL byte" },
		{ "\0" "0 R 1000 8\n", 12, -1, "line 1 (byte 0): a NUL byte" },
		{ "0 R 1000 8\n0 R 10\0 8\n", 21, -1, "line 2 (byte 17): a NUL byte" },
		{ tailed, sizeof(tailed), -1, "line 3 (byte 22): a NUL byte" },
		{ (const char *)bin, sizeof(bin), -1, "line 2 (byte 145): a NUL byte" },
		{ big, 22, 2, NULL },
		{ big, bl + 12, 6364, "line 6365 (byte 70004): a NUL byte" },
	};
	char err[512];
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *p = tmp_write(c[i].data, c[i].len, ".trace");
		for (int mem = 0; mem < 2; mem++) {
			trace_reader *r;
			trace_open_opts o = { 0 };
			int rc = mem ? trace_open_mem(&r, c[i].data, c[i].len, p, &o, err, sizeof(err))
				     : trace_open(&r, p, TRACE_FMT_AUTO, err, sizeof(err));
			long n = 0, k = rc;
			if (rc == TRACE_OK) {
				ck_assert_msg(trace_get_header(r)->format == TRACE_FMT_TEXT,
					      "case %zu: %s", i,
					      trace_format_name(trace_get_header(r)->format));
				trace_rec buf[1];
				while ((k = trace_read(r, buf, 1, err, sizeof(err))) > 0)
					n += k;
				trace_close(r);
			} else {
				n = -1;
			}
			ck_assert_msg(n == c[i].records, "case %zu mem %d: %ld records: %s", i, mem, n,
				      err);
			if (!c[i].want) {
				ck_assert_int_eq(k, 0);
				continue;
			}
			ck_assert_msg(k == TRACE_EFORMAT && strstr(err, p) == err &&
				      strstr(err, c[i].want), "case %zu: %s", i, err);
		}
		unlink(p);
		free(p);
	}
	/* ChampSim's records, with a branch taken, are ChampSim still */
	unsigned char cs[128] = { 0 };
	put64(cs, 0x401000);
	cs[8] = cs[9] = 1;
	put64(cs + 32, 0x7000);
	put64(cs + 64, 0x401004);
	trace_rec *r;
	ck_assert_int_eq(read_mem(cs, sizeof(cs), "cs", TRACE_FMT_AUTO, 0, 8, &r, err,
				  sizeof(err)), 3);
	free(r);
	/* ... but not when one record's ip is 0 (zeros where a record should be):
	 * the first NUL is byte 0 (the ip 0x401000's low byte) */
	memset(cs + 64, 0, 64);
	ck_assert_int_eq(read_mem(cs, sizeof(cs), "cs", TRACE_FMT_AUTO, 0, 8, &r, err,
				  sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "line 1 (byte 0): a NUL byte"), "%s", err);
}
END_TEST

/* trace_open_mem reads exactly as a file of the same bytes does: records,
 * header and message (the name standing for the path), in every format and
 * container, whole or damaged, with and without a decoding thread (a
 * chunked .slt from memory goes whole member at a time, as a file does). */
START_TEST(memory_reads_as_a_file_does)
{
	trace_rec recs[3000];
	for (unsigned i = 0; i < 3000; i++)
		recs[i] = (trace_rec){ .gva = 0x10000 + 64ull * i, .size = 8, .kind = i % 3,
				       .vcpu = (uint16_t)(i % 2), .icount = i % 3 == 2 };
	char *slt = write_slt(recs, 3000, 2);
	char *chunked = tmp_path(".slt");
	{
		trace_header h = { .vcpus = 2 };
		trace_writer *w;
		char e[256];
		trace_writer_opts wo = { .level = 6, .chunk_records = 700 };
		ck_assert_int_eq(trace_writer_open_opts(&w, chunked, &h, &wo, e, sizeof(e)), TRACE_OK);
		ck_assert_int_eq(trace_write(w, recs, 3000, e, sizeof(e)), TRACE_OK);
		ck_assert_int_eq(trace_writer_close(w, e, sizeof(e)), TRACE_OK);
	}
	char *gz = tmp_path(".txt.gz");
	gzFile g = gzopen(gz, "wb");
	gzputs(g, "0 R 10 8\n1 W 20 8\n0 X 30 4\n");
	gzclose(g);
	char *text = tmp_write(" L 10,4\nI  400,3\n S 20,8\n", 25, ".lackey");
	char *bad = tmp_write("0 R 10 8\n0 Q 20 8\n", 18, ".txt");
	const char *paths[] = { slt, chunked, gz, text, bad };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		size_t len;
		unsigned char *b = slurp(paths[i], &len);
		for (int damage = 0; damage < 3; damage++) {
			/* whole; cut at 2/3; a byte flipped at 1/2 */
			size_t l = damage == 1 ? len * 2 / 3 : len;
			unsigned char *d = malloc(len);
			memcpy(d, b, len);
			if (damage == 2)
				d[len / 2] ^= 0x40;
			char *p = tmp_write(d, l, strrchr(paths[i], '.'));
			for (unsigned th = 1; th <= 2; th++) {
				trace_rec *rf, *rm;
				char ef[512] = "", em[512] = "";
				long nf = read_mem(NULL, 0, p, TRACE_FMT_AUTO, th, 100, &rf, ef, sizeof(ef));
				long nm = read_mem(d, l, p, TRACE_FMT_AUTO, th, 100, &rm, em, sizeof(em));
				ck_assert_msg(nf == nm && strcmp(ef, em) == 0,
					      "%s damage %d threads %u: %ld '%s' vs %ld '%s'", paths[i],
					      damage, th, nf, ef, nm, em);
				for (long k = 0; k < nm; k++)
					ck_assert(rec_equal(&rf[k], &rm[k]));
				free(rf);
				free(rm);
			}
			unlink(p);
			free(p);
			free(d);
		}
		free(b);
		unlink(paths[i]);
	}
	free(slt);
	free(chunked);
	free(gz);
	free(text);
	free(bad);
}
END_TEST

/* Read PATH with a background decoding thread and without: the same records
 * and the same end, or the same error message after a prefix of the same
 * records (a call that meets an error returns only the error, so a larger
 * batch - the thread's - may withhold up to one batch before it, as it does
 * without the thread). Batch sizes straddle the thread's batches. The third
 * reader takes the thread's batches by trace_read_ref (no copy: lent, or
 * decoded into the caller's buffer by the caller when the thread had
 * nothing ready), every third call by trace_read: a lent batch must stay
 * intact until the next call and be given back by either. */
static void same_with_threads(const char *path, const char *want_err)
{
	for (size_t batch = 1; batch <= 40000; batch *= 200) {
		trace_rec *a[3] = { NULL, NULL, NULL };
		long n[3], end[3];
		char err[3][512];
		for (int t = 0; t < 3; t++) {
			trace_reader *r;
			trace_open_opts o = { .threads = t ? 2 : 1 };
			trace_rec *scratch = malloc(batch * sizeof(trace_rec));
			unsigned calls = 0;
			ck_assert_int_eq(trace_open_with(&r, path, &o, err[t], 512), TRACE_OK);
			size_t cap = 1024, k = 0;
			a[t] = malloc(cap * sizeof(trace_rec));
			long got;
			for (;;) {
				if (k + batch > cap)
					a[t] = realloc(a[t], (cap = (k + batch) * 2) * sizeof(trace_rec));
				if (t == 2 && ++calls % 3) {
					const trace_rec *v;
					got = trace_read_ref(r, &v, NULL, scratch, batch, err[t], 512);
					if (got > 0)
						memcpy(a[t] + k, v, (size_t)got * sizeof(trace_rec));
				} else {
					got = trace_read(r, a[t] + k, batch, err[t], 512);
				}
				if (got <= 0)
					break;
				k += (size_t)got;
			}
			free(scratch);
			/* the end (or error) repeats */
			ck_assert_int_eq(trace_read(r, a[t], 1, err[t], 512), got);
			n[t] = (long)k;
			end[t] = got;
			trace_close(r);
		}
		for (int t = 1; t < 3; t++) {
			ck_assert_int_eq(end[0], end[t]);
			if (!want_err)
				ck_assert_int_eq(n[0], n[t]);
			long common = n[0] < n[t] ? n[0] : n[t];
			for (long i = 0; i < common; i++)
				ck_assert(rec_equal(&a[0][i], &a[t][i]));
			if (want_err) {
				ck_assert_msg(end[0] < 0 && strstr(err[0], want_err), "%s", err[0]);
				ck_assert_str_eq(err[0], err[t]);
			}
		}
		for (int t = 0; t < 3; t++)
			free(a[t]);
	}
}

START_TEST(threaded_decoding_returns_the_same_records_and_errors)
{
	/* 100 000 text records, then (second file) a bad line after them */
	size_t cap = 100000 * 24 + 64, len = 0;
	char *t = malloc(cap);
	for (int i = 0; i < 100000; i++)
		len += (size_t)sprintf(t + len, "%d %c %x %d\n", i % 3, "RWX"[i % 3], i * 64, 1 + i % 8);
	char *good = tmp_write(t, len, ".txt");
	strcpy(t + len, "0 Q 10 8\n");
	char *bad = tmp_write(t, len + 9, ".txt");
	same_with_threads(good, NULL);
	same_with_threads(bad, "line 100001: kind");
	unlink(good);
	unlink(bad);
	free(good);
	free(bad);
	free(t);
}
END_TEST


/* The threads this process has (/proc/self/task). */
static int task_count(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	ck_assert_ptr_nonnull(d);
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* With threads = 2 the decoding thread starts at the second batch: a trace
 * read in one batch (a small file, a fuzz input) has no thread while it is
 * read, a longer one has it from the second batch on (50 000 records do
 * not fit its 8 slots of 4096, so it is still there, waiting for room),
 * and both give the records one thread gives. */
START_TEST(decoding_thread_starts_at_the_second_batch)
{
	char *t = malloc(50000 * 24);
	for (int big = 0; big < 2; big++) {
		int n = big ? 50000 : 100;
		size_t len = 0;
		for (int i = 0; i < n; i++)
			len += (size_t)sprintf(t + len, "0 W %x 8\n", 0x2000 + i * 64);
		char *path = tmp_write(t, len, ".txt");
		int before = task_count();
		trace_reader *r;
		char err[512];
		trace_open_opts o = { .threads = 2 };
		ck_assert_int_eq(trace_open_with(&r, path, &o, err, sizeof(err)), TRACE_OK);
		static trace_rec buf[1000];
		long got, total = 0;
		for (int call = 0; (got = trace_read(r, buf, 1000, err, sizeof(err))) > 0; call++) {
			for (long i = 0; i < got; i++)
				ck_assert_uint_eq(buf[i].gva, 0x2000 + (uint64_t)(total + i) * 64);
			total += got;
			if (call == 0) {
				ck_assert_int_eq(task_count(), before);   /* no thread yet */
				/* (reading began: a seek is refused, thread or not yet) */
				ck_assert_int_ne(trace_seek(r, 5000, err, sizeof(err)), TRACE_OK);
				ck_assert_ptr_nonnull(strstr(err, "seek after reading began"));
			}
			else if (call == 1)
				ck_assert_int_eq(task_count(), before + 1);
		}
		ck_assert_int_eq(got, 0);
		ck_assert_int_eq(total, n);
		trace_close(r);
		ck_assert_int_eq(task_count(), before);
		unlink(path);
		free(path);
	}
	free(t);
}
END_TEST

/* batch_fn: the sum of the records' addresses, for checking what it saw. */
static void sum_gva(const trace_rec *b, size_t n, void *aux)
{
	uint64_t s = n << 48;
	for (size_t i = 0; i < n; i++)
		s += b[i].gva;
	memcpy(aux, &s, sizeof(s));
}

START_TEST(decoding_thread_works_ahead_on_whole_runs_only)
{
	/* 50 000 records: a run of 1000 from the start of each of the thread's
	 * batches gets batch_fn's result, anything else NULL. The reader here
	 * takes 1 ms over each batch, so the thread is always ahead: it never
	 * leaves a batch to the reader to decode, nor batch_fn's work to the
	 * reader (traces/trace.c: a consumer that had to decode does it) -
	 * but the first, which the reader decodes before the thread starts
	 * (a trace of one batch makes no thread). */
	size_t cap = 50000 * 24 + 64, len = 0;
	char *t = malloc(cap);
	for (int i = 0; i < 50000; i++)
		len += (size_t)sprintf(t + len, "0 R %x 8\n", 0x1000 + i * 64);
	char *path = tmp_write(t, len, ".txt");
	static const size_t asks[] = { 1000, 1000, 999, 1000, 1, 1000, 1000 };
	for (int odd = 0; odd < 2; odd++) {
		trace_reader *r;
		char err[512];
		trace_open_opts o = { .threads = 2, .batch_fn = sum_gva, .batch_aux = 8,
				      .batch_granule = 1000 };
		ck_assert_int_eq(trace_open_with(&r, path, &o, err, sizeof(err)), TRACE_OK);
		trace_rec scratch[1000];
		size_t total = 0, with = 0, without = 0, k = 0, calls = 0;
		long got;
		const trace_rec *v;
		const void *aux;
		while ((got = trace_read_ref(r, &v, &aux, scratch,
					     odd ? asks[k++ % 7] : 1000, err, sizeof(err))) > 0) {
			if (calls++ == 0) {   /* the reader's own: no thread yet */
				ck_assert(v == scratch);
				ck_assert_ptr_null(aux);
				total += (size_t)got;
				continue;
			}
			ck_assert(v != scratch);   /* lent: the thread is ahead */
			usleep(1000);
			if (aux) {
				uint64_t want, s;
				sum_gva(v, (size_t)got, &want);
				memcpy(&s, aux, sizeof(s));
				ck_assert_uint_eq(s, want);
				with++;
			} else {
				without++;
			}
			total += (size_t)got;
		}
		ck_assert_int_eq(got, 0);
		ck_assert_uint_eq(total, 50000);
		if (!odd)
			ck_assert_uint_eq(without, 0);   /* every call a whole run */
		else
			ck_assert(with > 0 && without > 0);
		trace_close(r);
	}
	unlink(path);
	free(path);
	free(t);
}
END_TEST

Suite *readers_suite(void)
{
	Suite *s = suite_create("readers");
	TCase *tc = tcase_create("formats");
	tcase_add_test(tc, lackey_lines_map_to_records);
	tcase_add_test(tc, lackey_malformed_line_names_line_number);
	tcase_add_test(tc, text_fields_and_defaults);
	tcase_add_test(tc, text_errors_name_line);
	tcase_add_test(tc, zero_size_accesses_are_read);
	tcase_add_test(tc, text_prefetch_kinds);
	tcase_add_test(tc, text_invalidation_lines);
	tcase_add_test(tc, text_line_too_long_is_an_error);
	tcase_add_test(tc, champsim_record_expands_in_order);
	tcase_add_test(tc, detection_by_content);
	tcase_add_test(tc, text_with_nul_bytes_is_refused_at_the_first_nul);
	tcase_add_test(tc, memory_reads_as_a_file_does);
	tcase_add_test(tc, gzip_input_is_transparent_and_damage_reported);
	tcase_add_test(tc, threaded_decoding_returns_the_same_records_and_errors);
	tcase_add_test(tc, decoding_thread_works_ahead_on_whole_runs_only);
	tcase_add_test(tc, decoding_thread_starts_at_the_second_batch);
	suite_add_tcase(s, tc);
	return s;
}
