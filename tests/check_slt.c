/*
 * tests/check_slt.c - the native .slt codec: round trips of edge values,
 * and damage that must be reported, never replayed as a shorter trace.
 */
#include "check_util.h"
#include "rng.h"

static trace_rec mkrec(unsigned kind, uint64_t gva, unsigned size, unsigned vcpu,
		       unsigned asid, uint32_t icount)
{
	trace_rec r = { .gva = gva, .icount = icount, .vcpu = (uint16_t)vcpu,
			.asid = (uint16_t)asid, .size = (uint16_t)size, .kind = (uint8_t)kind };
	return r;
}

static trace_rec inv(unsigned op, uint64_t gva, unsigned vcpu, unsigned asid)
{
	trace_rec r = { .gva = gva, .vcpu = (uint16_t)vcpu, .asid = (uint16_t)asid,
			.kind = TRACE_INV, .op = (uint8_t)op };
	return r;
}

/* A mix that exercises every field, prediction and varint length. */
static size_t edge_records(trace_rec *v)
{
	size_t n = 0;
	v[n++] = mkrec(TRACE_X, 0, 1, 0, 0, 1);
	v[n++] = mkrec(TRACE_X, 1, 15, 0, 0, 1);                     /* predicted exactly */
	v[n++] = mkrec(TRACE_X, 16, 16, 0, 0, 1);                    /* explicit size */
	v[n++] = mkrec(TRACE_R, UINT64_MAX - 7, 8, 0, 0, 0);         /* top of the space */
	v[n++] = mkrec(TRACE_W, 0, 4096, 0, 0, 0);                   /* full negative jump */
	v[n++] = mkrec(TRACE_W, UINT64_MAX - 4095, 4096, 0, 0, 0);
	v[n++] = mkrec(TRACE_R, UINT64_C(0x8000000000000000), 3, 0, 0xffff, UINT32_MAX);
	v[n++] = mkrec(TRACE_R, UINT64_C(0x8000000000000000), 64, 255, 7, 0);
	v[n++] = mkrec(TRACE_X, UINT64_C(0x7fffffffffffffff), 1, 255, 7, 0);
	v[n++] = mkrec(TRACE_R, 0x1000, 1, 1, 0, 0);
	v[n++] = mkrec(TRACE_R, 0x1000, 2, 0, 0, 0);
	v[n++] = mkrec(TRACE_W, 0x1000, 32, 1, 0, 5);
	v[n++] = mkrec(TRACE_W, 0x1000, 33, 1, 0, 5);
	for (unsigned s = 1; s <= 130; s++)                          /* every small size */
		v[n++] = mkrec(s % 3, 0x5000 + s * 3, s, s % 4, s % 2, s % 5);
	/* invalidations (every op, local and broadcast), between accesses whose
	 * predictions they must not disturb */
	v[n++] = inv(TRACE_INV_ALL, 0, 3, 0);
	v[n++] = mkrec(TRACE_R, 0x5000 + 130 * 3 + 8, 8, 1, 0, 0);
	v[n++] = inv(TRACE_INV_ASID | TRACE_INV_BCAST, 0, 255, 0xffff);
	v[n++] = inv(TRACE_INV_VA, UINT64_MAX, 0, 7);
	v[n++] = inv(TRACE_INV_VA | TRACE_INV_BCAST, 0x7f0000001000, 2, 0);
	v[n++] = mkrec(TRACE_X, 0x5000 + 129 * 3 + 129, 1, 0, 1, 4);
	/* zero-size accesses (explicit size varint 0), at both ends of the space */
	v[n++] = mkrec(TRACE_R, UINT64_MAX, 0, 0, 0, 0);
	v[n++] = mkrec(TRACE_W, 0, 0, 0, 0, 0);
	v[n++] = mkrec(TRACE_X, 0x1234, 0, 2, 0, 1);
	v[n++] = mkrec(TRACE_X, 0x1234, 2, 2, 0, 1);   /* predicted: a size-0 fetch advances nothing */
	return n;
}

START_TEST(slt_round_trips_edge_values)
{
	trace_rec in[256], *out;
	size_t n = edge_records(in);
	char err[512];
	char *p = write_slt(in, n, 256);
	/* batch sizes that split records differently across calls */
	size_t batches[] = { 1, 3, 4096 };
	for (size_t b = 0; b < 3; b++) {
		long k = read_all(p, TRACE_FMT_AUTO, batches[b], &out, err, sizeof(err));
		ck_assert_msg(k == (long)n, "batch %zu: %ld records: %s", batches[b], k, err);
		for (size_t i = 0; i < n; i++)
			ck_assert_msg(rec_equal(&in[i], &out[i]), "record %zu differs", i);
		free(out);
	}
	unlink(p);
	free(p);
}
END_TEST

static trace_rec pf(unsigned flavour, uint64_t gva, unsigned size, unsigned vcpu)
{
	trace_rec r = mkrec(TRACE_P, gva, size, vcpu, 0, 0);
	r.op = (uint8_t)flavour;
	return r;
}

/* A prefetch is its flavour's access with the extension byte's PREFETCH bit
 * (FORMAT.md): the caller that asks for TRACE_P gets it back; any other gets
 * a read of the same bytes, and the predictions stay in step either way. */
START_TEST(slt_prefetch_records_round_trip_and_read_as_r_unless_asked)
{
	trace_rec in[8], *out;
	size_t n = 0;
	in[n++] = mkrec(TRACE_X, 0x400000, 4, 0, 0, 1);
	in[n++] = pf(TRACE_PF_READ, 0x7000, 64, 0);
	in[n++] = pf(TRACE_PF_WRITE, 0x7040, 0, 0);
	in[n++] = mkrec(TRACE_R, 0x7040, 8, 0, 0, 0);
	in[n++] = pf(TRACE_PF_INSTR, 0x400004, 4, 1);
	in[n++] = mkrec(TRACE_X, 0x400008, 4, 1, 0, 1);
	char err[512];
	char *p = write_slt(in, n, 2);
	long k = read_all_flags(p, TRACE_FMT_AUTO, TRACE_OPEN_PREFETCH, 2, &out, err, sizeof(err));
	ck_assert_msg(k == (long)n, "%ld: %s", k, err);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(rec_equal(&in[i], &out[i]), "record %zu differs", i);
	free(out);
	k = read_all(p, TRACE_FMT_AUTO, 64, &out, err, sizeof(err));
	ck_assert_msg(k == (long)n, "%ld: %s", k, err);
	for (size_t i = 0; i < n; i++) {
		trace_rec want = in[i];
		if (want.kind == TRACE_P)
			want.kind = TRACE_R, want.op = 0;
		ck_assert_msg(rec_equal(&want, &out[i]), "record %zu differs", i);
	}
	free(out);
	unlink(p);
	free(p);
}
END_TEST

START_TEST(slt_round_trips_random_records)
{
	enum { N = 200000 };
	trace_rec *in = malloc(N * sizeof(*in)), *out;
	rng r;
	rng_seed(&r, 42);
	for (size_t i = 0; i < N; i++) {
		uint64_t sz = 1 + rng_below(&r, 64);
		uint64_t gva = rng_below(&r, 4) == 0 ? rng_next(&r) : rng_below(&r, 1 << 30);
		if (gva > UINT64_MAX - sz)
			gva = UINT64_MAX - sz;
		in[i] = mkrec((unsigned)rng_below(&r, 3), gva, (unsigned)sz,
			      (unsigned)rng_below(&r, 8), (unsigned)rng_below(&r, 3),
			      (uint32_t)rng_below(&r, 4));
	}
	char *p = write_slt(in, N, 8);
	char err[512];
	ck_assert_int_eq(read_all(p, TRACE_FMT_SLT, 4096, &out, err, sizeof(err)), N);
	for (size_t i = 0; i < N; i++)
		ck_assert_msg(rec_equal(&in[i], &out[i]), "record %zu differs", i);
	free(out);
	free(in);
	unlink(p);
	free(p);
}
END_TEST

/* N random records (as slt_round_trips_random_records makes them). */
static trace_rec *random_records(size_t n, uint64_t seed)
{
	trace_rec *in = malloc(n * sizeof(*in));
	rng r;
	rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++) {
		uint64_t sz = rng_below(&r, 65);
		uint64_t gva = rng_below(&r, 4) == 0 ? rng_next(&r) : rng_below(&r, 1 << 30);
		if (gva > UINT64_MAX - sz)
			gva = UINT64_MAX - sz;
		in[i] = mkrec((unsigned)rng_below(&r, 3), gva, (unsigned)sz,
			      (unsigned)rng_below(&r, 8), (unsigned)rng_below(&r, 3),
			      (uint32_t)rng_below(&r, 4));
		if (rng_below(&r, 50) == 0)
			in[i] = inv(TRACE_INV_VA, gva, (unsigned)rng_below(&r, 8), 1);
	}
	return in;
}

static char *write_chunked(const trace_rec *recs, size_t n, unsigned vcpus, uint64_t chunk)
{
	char *path = tmp_path(".slt");
	trace_header h = { .vcpus = vcpus };
	trace_writer_opts o = { .level = 6, .chunk_records = chunk };
	trace_writer *w;
	char err[512];
	ck_assert_int_eq(trace_writer_open_opts(&w, path, &h, &o, err, sizeof(err)), TRACE_OK);
	ck_assert_msg(trace_write(w, recs, n, err, sizeof(err)) == TRACE_OK, "%s", err);
	ck_assert_msg(trace_writer_close(w, err, sizeof(err)) == TRACE_OK, "%s", err);
	return path;
}

/* Chunked files (FORMAT.md "Chunked .slt") read back record for record,
 * whatever the chunk size (1: every record its own chunk), the batch size,
 * and with no records at all. */
START_TEST(slt_chunked_round_trips)
{
	enum { N = 50000 };
	trace_rec *in = random_records(N, 7), *out;
	char err[512];
	uint64_t chunks[] = { 1, 7, 1000, N, 2 * N };
	for (size_t c = 0; c < 5; c++) {
		size_t n = chunks[c] == 1 ? 3000 : N;
		char *p = write_chunked(in, n, 8, chunks[c]);
		long k = read_all(p, TRACE_FMT_AUTO, c == 1 ? 3 : 4096, &out, err, sizeof(err));
		ck_assert_msg(k == (long)n, "chunk %llu: %ld: %s", (unsigned long long)chunks[c], k, err);
		for (size_t i = 0; i < n; i++)
			ck_assert_msg(rec_equal(&in[i], &out[i]), "chunk %llu: record %zu differs",
				      (unsigned long long)chunks[c], i);
		free(out);
		trace_reader *r;
		ck_assert_int_eq(trace_open(&r, p, TRACE_FMT_AUTO, err, sizeof(err)), TRACE_OK);
		ck_assert_uint_eq(trace_get_header(r)->flags & TRACE_F_CHUNKED, TRACE_F_CHUNKED);
		trace_close(r);
		unlink(p);
		free(p);
	}
	char *p = write_chunked(in, 0, 8, 1000);
	ck_assert_int_eq(read_all(p, TRACE_FMT_AUTO, 64, &out, err, sizeof(err)), 0);
	free(out);
	unlink(p);
	free(p);
	free(in);
}
END_TEST

/* trace_seek(N) then reading gives records N.. exactly: through the index
 * of a chunked file (chunk boundaries, inside chunks, the last record, the
 * end and past it) and by decoding in an unchunked one. */
START_TEST(slt_seek_reads_from_record_n)
{
	enum { N = 30000 };
	trace_rec *in = random_records(N, 11), out[256];
	char err[512];
	char *paths[2] = { write_chunked(in, N, 8, 1000), write_slt(in, N, 8) };
	uint64_t at[] = { 0, 1, 999, 1000, 1001, 12345, 29000, N - 1, N, N + 5 };
	for (int f = 0; f < 2; f++) {
		for (size_t a = 0; a < sizeof(at) / sizeof(at[0]); a++) {
			trace_reader *r;
			ck_assert_int_eq(trace_open(&r, paths[f], TRACE_FMT_AUTO, err, sizeof(err)),
					 TRACE_OK);
			ck_assert_msg(trace_seek(r, at[a], err, sizeof(err)) == TRACE_OK, "%s", err);
			uint64_t i = at[a];
			long k;
			while ((k = trace_read(r, out, 256, err, sizeof(err))) > 0)
				for (long j = 0; j < k; j++, i++)
					ck_assert_msg(i < N && rec_equal(&in[i], &out[j]),
						      "file %d seek %llu: record %llu differs", f,
						      (unsigned long long)at[a], (unsigned long long)i);
			ck_assert_msg(k == 0, "file %d seek %llu: %s", f, (unsigned long long)at[a], err);
			ck_assert_uint_eq(i, at[a] < N ? N : at[a]);
			/* a second seek, backwards, through the index */
			if (f == 0 && at[a] > 0 && at[a] <= N) {
				trace_close(r);
				ck_assert_int_eq(trace_open(&r, paths[f], TRACE_FMT_AUTO, err,
							    sizeof(err)), TRACE_OK);
				ck_assert_int_eq(trace_seek(r, 25000, err, sizeof(err)), TRACE_OK);
				ck_assert_int_eq(trace_read(r, out, 1, err, sizeof(err)), 1);
				ck_assert_int_eq(trace_seek(r, at[a] - 1, err, sizeof(err)), TRACE_OK);
				ck_assert_int_eq(trace_read(r, out, 1, err, sizeof(err)), 1);
				ck_assert(rec_equal(&in[at[a] - 1], &out[0]));
			}
			trace_close(r);
		}
		unlink(paths[f]);
		free(paths[f]);
	}
	free(in);
}
END_TEST

/* The compressed offsets of the gzip members of PATH (at most MAX). */
static size_t member_offsets(const char *path, size_t *off, size_t max, unsigned char **data,
			     size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 20, n = 0;
	unsigned char *d = malloc(cap);
	size_t k;
	while ((k = fread(d + n, 1, cap - n, f)) > 0)
		if ((n += k) == cap)
			d = realloc(d, cap *= 2);
	fclose(f);
	z_stream z = { 0 };
	unsigned char sink[65536];
	size_t m = 0, pos = 0;
	while (pos < n && m < max) {
		ck_assert_int_eq(inflateInit2(&z, 31), Z_OK);
		off[m++] = pos;
		z.next_in = d + pos;
		z.avail_in = (uInt)(n - pos);
		int zr;
		do {
			z.next_out = sink;
			z.avail_out = sizeof(sink);
			zr = inflate(&z, Z_NO_FLUSH);
		} while (zr == Z_OK);
		ck_assert_int_eq(zr, Z_STREAM_END);
		pos = n - z.avail_in;
		inflateEnd(&z);
	}
	*data = d;
	*len = n;
	return m;
}

/* A chunk missing, repeated or swapped, a damaged trailer, or a truncated
 * chunked file is refused, with or without a seek. */
START_TEST(slt_chunked_damage_is_refused)
{
	enum { N = 5000 };
	trace_rec *in = random_records(N, 3), *out;
	char err[512];
	char *p = write_chunked(in, N, 8, 1000);
	size_t off[16], len;
	unsigned char *d;
	/* members: header, 5 chunks, END + INDEX, trailer */
	size_t m = member_offsets(p, off, 16, &d, &len);
	ck_assert_uint_eq(m, 8);
	ck_assert_uint_eq(len - off[7], 39);
	struct { const char *name, *want; size_t drop, dup; } c[] = {
		{ "missing chunk", "a chunk starting at record 3000 after 2000 records", 3, SIZE_MAX },
		{ "repeated chunk", "a chunk starting at record 1000 after 2000 records", SIZE_MAX, 2 },
	};
	for (int i = 0; i < 2; i++) {
		unsigned char *b = malloc(len * 2);
		size_t bl = 0;
		for (size_t k = 0; k < m; k++) {
			size_t e = k + 1 < m ? off[k + 1] : len;
			if (k == c[i].drop)
				continue;
			memcpy(b + bl, d + off[k], e - off[k]);
			bl += e - off[k];
			if (k == c[i].dup) {
				memcpy(b + bl, d + off[k], e - off[k]);
				bl += e - off[k];
			}
		}
		char *q = tmp_write(b, bl, ".slt");
		ck_assert_int_eq(read_all(q, TRACE_FMT_AUTO, 4096, &out, err, sizeof(err)),
				 TRACE_EFORMAT);
		ck_assert_msg(strstr(err, c[i].want), "%s: %s", c[i].name, err);
		unlink(q);
		free(q);
		free(b);
	}
	/* The trailer's offset damaged (its CRC no longer holds): the seek
	 * refuses the index, and reading refuses the member. The file is larger
	 * than the reader's window, so the open does not reach the trailer. */
	{
		enum { BIG = 300000 };
		trace_rec *big = random_records(BIG, 5);
		char *pb = write_chunked(big, BIG, 8, 100000);
		size_t boff[8], blen;
		unsigned char *bd;
		ck_assert_uint_eq(member_offsets(pb, boff, 8, &bd, &blen), 6);
		ck_assert_uint_gt(blen, 2u << 20);
		bd[blen - 39 + 15 + 4] ^= 1;
		char *q = tmp_write(bd, blen, ".slt");
		trace_reader *r;
		ck_assert_int_eq(trace_open(&r, q, TRACE_FMT_AUTO, err, sizeof(err)), TRACE_OK);
		ck_assert_int_eq(trace_seek(r, 250000, err, sizeof(err)), TRACE_EFORMAT);
		ck_assert_msg(strstr(err, "chunk index: bad trailer member"), "%s", err);
		trace_rec one;
		ck_assert_int_eq(trace_read(r, &one, 1, err, sizeof(err)), TRACE_EFORMAT);
		trace_close(r);
		ck_assert_int_eq(read_all(q, TRACE_FMT_AUTO, 4096, &out, err, sizeof(err)),
				 TRACE_EFORMAT);
		ck_assert_msg(strstr(err, "corrupt gzip data"), "%s", err);
		unlink(q);
		unlink(pb);
		free(q);
		free(pb);
		free(bd);
		free(big);
	}
	/* cut anywhere: always an error, never a shorter trace */
	for (size_t cut = 1; cut < len; cut += len / 23 + 1) {
		char *q = tmp_write(d, cut, ".slt");
		long k = read_all(q, TRACE_FMT_AUTO, 4096, &out, err, sizeof(err));
		ck_assert_msg(k < 0, "cut at %zu: %ld records", cut, k);
		unlink(q);
		free(q);
	}
	free(d);
	unlink(p);
	free(p);
	free(in);
}
END_TEST

START_TEST(slt_header_fields_read_back)
{
	trace_rec in[2] = { mkrec(TRACE_R, 1, 1, 0, 0, 0), mkrec(TRACE_R, 2, 1, 2, 0, 0) };
	char *p = write_slt(in, 2, 3);
	trace_reader *r;
	char err[512];
	ck_assert_int_eq(trace_open(&r, p, TRACE_FMT_AUTO, err, sizeof(err)), TRACE_OK);
	const trace_header *h = trace_get_header(r);
	ck_assert_int_eq(h->format, TRACE_FMT_SLT);
	ck_assert_uint_eq(h->version, 1);
	ck_assert_uint_eq(h->vcpus, 3);
	ck_assert_str_eq(h->desc, "check");
	trace_close(r);
	unlink(p);
	free(p);
}
END_TEST

/* Every proper prefix of a valid (uncompressed) stream is an error. */
START_TEST(slt_every_truncation_is_reported)
{
	trace_rec in[256];
	size_t n = edge_records(in);
	char *p = write_slt(in, n, 256);
	size_t len;
	unsigned char *raw = gunzip_file(p, &len);
	char err[512];
	for (size_t cut = 0; cut < len; cut++) {
		char *q = tmp_write(raw, cut, ".slt");
		trace_rec *out;
		long k = read_all(q, TRACE_FMT_SLT, 7, &out, err, sizeof(err));
		ck_assert_msg(k < 0, "prefix of %zu/%zu bytes read as %ld records", cut, len, k);
		ck_assert_msg(strstr(err, q) != NULL, "message does not name the file: %s", err);
		unlink(q);
		free(q);
	}
	/* the full uncompressed stream is itself valid */
	char *q = tmp_write(raw, len, ".slt");
	trace_rec *out;
	ck_assert_int_eq(read_all(q, TRACE_FMT_SLT, 7, &out, err, sizeof(err)), (long)n);
	free(out);
	unlink(q);
	free(q);
	free(raw);
	unlink(p);
	free(p);
}
END_TEST

START_TEST(slt_end_marker_count_and_trailing_data_checked)
{
	trace_rec in[3] = { mkrec(TRACE_R, 1, 1, 0, 0, 0), mkrec(TRACE_W, 9, 8, 0, 0, 0),
			    mkrec(TRACE_X, 5, 4, 0, 0, 1) };
	char *p = write_slt(in, 3, 1);
	size_t len;
	unsigned char *raw = gunzip_file(p, &len);
	char err[512];
	trace_rec *out;
	/* END is 0x03 then varint 3: change the count */
	ck_assert_uint_eq(raw[len - 2], 0x03);
	ck_assert_uint_eq(raw[len - 1], 3);
	raw[len - 1] = 4;
	char *q = tmp_write(raw, len, ".slt");
	ck_assert_int_lt(read_all(q, TRACE_FMT_SLT, 16, &out, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "end marker counts 4 records but the stream held 3"), "%s", err);
	unlink(q);
	free(q);
	raw[len - 1] = 3;
	/* bytes after END */
	unsigned char *more = malloc(len + 1);
	memcpy(more, raw, len);
	more[len] = 0x00;
	q = tmp_write(more, len + 1, ".slt");
	ck_assert_int_lt(read_all(q, TRACE_FMT_SLT, 16, &out, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "data after the end marker"), "%s", err);
	unlink(q);
	free(q);
	/* an unknown control subtype */
	raw[len - 2] = 0x03 | (5 << 2);
	q = tmp_write(raw, len, ".slt");
	ck_assert_int_eq(read_all(q, TRACE_FMT_SLT, 16, &out, err, sizeof(err)), TRACE_EVERSION);
	ck_assert_msg(strstr(err, "unknown control record"), "%s", err);
	unlink(q);
	free(q);
	free(more);
	free(raw);
	unlink(p);
	free(p);
}
END_TEST

/* FORMAT.md "Control records": an invalidation is 0x07, the op byte, the
 * vCPU, the ASID unless 'all', the address if 'va'; a bad op byte is refused
 * by offset; the writer refuses a non-canonical record. */
START_TEST(slt_invalidation_record_layout_and_errors)
{
	trace_rec in[2] = { inv(TRACE_INV_VA | TRACE_INV_BCAST, 0x1234, 1, 5),
			    inv(TRACE_INV_ALL, 0, 0, 0) };
	char *p = write_slt(in, 2, 2);
	size_t len;
	unsigned char *raw = gunzip_file(p, &len);
	/* header 12 + description, then the two records and END (0x03, 2) */
	const unsigned char want[] = { 0x07, 0x06, 0x01, 0x05, 0xb4, 0x24,
				       0x07, 0x00, 0x00, 0x03, 0x02 };
	ck_assert_uint_ge(len, sizeof(want));
	ck_assert_msg(memcmp(raw + len - sizeof(want), want, sizeof(want)) == 0,
		      "invalidation bytes differ from FORMAT.md");
	char err[512];
	trace_rec *out;
	raw[len - sizeof(want) + 1] = 0x03;   /* op 3: reserved */
	char *q = tmp_write(raw, len, ".slt");
	ck_assert_int_lt(read_all(q, TRACE_FMT_SLT, 16, &out, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "invalidation record with a bad op byte 0x03") &&
		      strstr(err, "(record 0)"), "%s", err);
	unlink(q);
	free(q);
	free(raw);
	unlink(p);
	free(p);
	/* 'asid' with an address, 'all' with an ASID, an access with an op */
	trace_rec bad[3] = { inv(TRACE_INV_ASID, 0x1000, 0, 1), inv(TRACE_INV_ALL, 0, 0, 4),
			     mkrec(TRACE_R, 0, 8, 0, 0, 0) };
	bad[2].op = TRACE_INV_VA;
	for (int k = 0; k < 3; k++) {
		trace_header h = { .vcpus = 1 };
		trace_writer *w;
		char *path = tmp_path(".slt");
		ck_assert_int_eq(trace_writer_open(&w, path, &h, 1, err, sizeof(err)), TRACE_OK);
		ck_assert_int_eq(trace_write(w, &bad[k], 1, err, sizeof(err)), TRACE_EFORMAT);
		ck_assert_msg(strstr(err, "record 0"), "%s", err);
		trace_writer_abort(w);
		unlink(path);
		free(path);
	}
}
END_TEST

START_TEST(slt_vcpu_beyond_declared_count_is_refused)
{
	trace_rec in[2] = { mkrec(TRACE_R, 1, 1, 0, 0, 0), mkrec(TRACE_R, 2, 1, 1, 0, 0) };
	char *p = tmp_path(".slt");
	trace_header h = { .vcpus = 1 };
	trace_writer *w;
	char err[512];
	ck_assert_int_eq(trace_writer_open(&w, p, &h, 6, err, sizeof(err)), TRACE_OK);
	ck_assert_int_eq(trace_write(w, in, 2, err, sizeof(err)), TRACE_EFORMAT);
	ck_assert_msg(strstr(err, "record 1: vcpu 1 beyond the trace's vCPU count 1"), "%s", err);
	trace_writer_abort(w);
	/* and the reader refuses one that declares 2 but a raw edit says vcpu 2 */
	char *q = write_slt(in, 2, 2);
	size_t len;
	unsigned char *raw = gunzip_file(q, &len);
	/* second record: b0 (EXT) ext(VCPU) vcpu=1 ... */
	size_t hdr = 12 + strlen("check");
	size_t second = hdr + 1 + 1;   /* first record: b0 + delta byte */
	ck_assert_uint_eq(raw[second + 1], 0x01);
	raw[second + 2] = 2;
	char *q2 = tmp_write(raw, len, ".slt");
	trace_rec *out;
	ck_assert_int_lt(read_all(q2, TRACE_FMT_SLT, 16, &out, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "vcpu 2 beyond the trace's vCPU count 2"), "%s", err);
	unlink(q2);
	free(q2);
	free(raw);
	unlink(q);
	free(q);
	unlink(p);
	free(p);
}
END_TEST

/* Random damage never crashes or hangs (the sanitizers watch). */
START_TEST(slt_random_damage_is_survived)
{
	trace_rec in[256];
	size_t n = edge_records(in);
	char *p = write_slt(in, n, 256);
	size_t len;
	unsigned char *raw = gunzip_file(p, &len);
	rng r;
	rng_seed(&r, 7);
	char err[512];
	for (int it = 0; it < 300; it++) {
		unsigned char *d = malloc(len);
		memcpy(d, raw, len);
		for (int k = 0; k < 3; k++)
			d[12 + rng_below(&r, len - 12)] ^= (unsigned char)(1 + rng_below(&r, 255));
		char *q = tmp_write(d, len, ".slt");
		trace_rec *out = NULL;
		long got = read_all(q, TRACE_FMT_SLT, 5, &out, err, sizeof(err));
		ck_assert(got < 0 || (size_t)got <= len);
		free(out);
		unlink(q);
		free(q);
		free(d);
	}
	free(raw);
	unlink(p);
	free(p);
}
END_TEST

START_TEST(slt_compact_for_sequential_code)
{
	/* 10000 sequential 4-byte instructions: b0 with SAME_ADDR = 1 byte each
	 * before compression (FORMAT.md prediction rule). */
	enum { N = 10000 };
	static trace_rec in[N];
	for (size_t i = 0; i < N; i++)
		in[i] = mkrec(TRACE_X, 0x400000 + 4 * i, 4, 0, 0, 1);
	char *p = write_slt(in, N, 1);
	size_t len;
	unsigned char *raw = gunzip_file(p, &len);
	/* header + first record (b0, 4-byte zigzag delta of 0x400000) + one
	 * byte per later record + END (b0, 2-byte count 10000) */
	ck_assert_uint_eq(len, 12 + strlen("check") + (1 + 4) + (N - 1) + (1 + 2));
	free(raw);
	unlink(p);
	free(p);
}
END_TEST

Suite *slt_suite(void)
{
	Suite *s = suite_create("slt");
	TCase *tc = tcase_create("codec");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, slt_round_trips_edge_values);
	tcase_add_test(tc, slt_round_trips_random_records);
	tcase_add_test(tc, slt_prefetch_records_round_trip_and_read_as_r_unless_asked);
	tcase_add_test(tc, slt_header_fields_read_back);
	tcase_add_test(tc, slt_every_truncation_is_reported);
	tcase_add_test(tc, slt_end_marker_count_and_trailing_data_checked);
	tcase_add_test(tc, slt_vcpu_beyond_declared_count_is_refused);
	tcase_add_test(tc, slt_invalidation_record_layout_and_errors);
	tcase_add_test(tc, slt_random_damage_is_survived);
	tcase_add_test(tc, slt_compact_for_sequential_code);
	tcase_add_test(tc, slt_chunked_round_trips);
	tcase_add_test(tc, slt_seek_reads_from_record_n);
	tcase_add_test(tc, slt_chunked_damage_is_refused);
	suite_add_tcase(s, tc);
	return s;
}
