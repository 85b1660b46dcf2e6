/*
 * traces/slt.c - the native .slt format: reader and writer.
 *
 * Byte layout (normative text in traces/FORMAT.md): a gzip stream holding a
 * 12-byte fixed header, a description, then records. Each record starts with
 * a kind/size byte; optional fields follow only when they differ from what
 * the per-vCPU state predicts:
 *   - the vCPU defaults to the previous record's vCPU;
 *   - the ASID defaults to that vCPU's previous ASID;
 *   - the icount defaults to that vCPU's previous icount for the same class
 *     (instruction fetch or data), initially 1 for X and 0 for R/W;
 *   - the address is predicted as the previous fetch address plus its size
 *     (X) or the previous data address (R/W); a zigzag varint delta follows
 *     unless the prediction is exact.
 * A control record (kind 3) with subtype 0 ends the stream and carries the
 * record count, so a truncated or spliced file is always detected; subtype 1
 * is an invalidation record {op byte, vCPU, ASID unless op 'all', address if
 * op 'va'}, which leaves the prediction state alone. A prefetch is written
 * exactly as an access of its flavour's kind (R, W or X: size code,
 * predictions and icount class included) with the extension byte's PREFETCH
 * bit set.
 *
 * The decoder's fast path needs SLT_MAX_REC readable bytes and checks nothing
 * else per byte; near the end of the stream the remaining bytes are copied
 * into a zero-padded scratch buffer and the same decoder runs on that, with the
 * consumed length checked afterwards.
 */
#include "trace_int.h"
#include "bits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SLT_MAGIC          "SLTR"
#define SLT_VERSION        1u
#define SLT_HDR_FIXED      12u

/* Kind/size byte (FORMAT.md "Records"). */
#define SLT_B0_KIND_MASK   0x03u
#define SLT_B0_KIND_CTRL   3u
#define SLT_B0_SIZE_SHIFT  2
#define SLT_B0_SIZE_MASK   0x3cu
#define SLT_B0_EXT         0x40u
#define SLT_B0_SAME_ADDR   0x80u
/* Extension byte. */
#define SLT_EXT_VCPU       0x01u
#define SLT_EXT_ASID       0x02u
#define SLT_EXT_ICOUNT     0x04u
#define SLT_EXT_PREFETCH   0x08u   /* a prefetch; b0's kind is its flavour (R/W/X) */
#define SLT_EXT_RESERVED   0xf0u
/* Control records: subtype in bits 5:2, bits 7:6 zero. */
#define SLT_CTRL_END       0u
#define SLT_CTRL_INV       1u
#define SLT_CTRL_CHUNK     2u      /* chunked: a chunk starts; varint first record number */
#define SLT_CTRL_INDEX     3u      /* chunked: after END, the chunk index */
#define SLT_CTRL_TRAILER   4u      /* chunked: the fixed-size last member */
#define SLT_CTRL_B0(sub)   ((uint8_t)(SLT_B0_KIND_CTRL | ((sub) << SLT_B0_SIZE_SHIFT)))

/* Chunked files end with a gzip member of a fixed layout (FORMAT.md):
 * header 10, stored-block header 5, content SLT_TRAILER_LEN, CRC and size 8. */
#define SLT_TRAILER_LEN    16u
#define SLT_TRAILER_MEMBER (10u + 5u + SLT_TRAILER_LEN + 8u)

/* Longest record: b0, ext, vcpu(5), asid(5), icount(5), size(5), delta(10). */
#define SLT_MAX_REC        32u

#define SLT_DATA_MAX_CODE  7u     /* data size codes 1..7 = 1..64 bytes */

typedef struct slt_vstate {
	uint64_t xnext;      /* predicted next fetch address */
	uint64_t dlast;      /* previous data address */
	uint32_t icx, icd;   /* previous icount, fetch / data */
	uint16_t asid;
} slt_vstate;

typedef struct slt_codec {
	slt_vstate vs[TRACE_MAX_VCPUS];
	unsigned vcpu;
	unsigned vcpu_limit;
	unsigned nused;      /* vs[0, nused) may have changed since the last reset */
	int prefetch_as_p;   /* decoder: the caller takes TRACE_P (else a prefetch reads as R) */
} slt_codec;

/* The prediction state at the start of a chunk: as at the start of the
 * stream (a chunk decodes without what came before it). Only the vCPUs
 * used since the last reset are reset: a file of many small chunks (a
 * fuzz input) reset all 256 (8 KB) a chunk, a fifth of fuzz_slt's time. */
static void codec_reset(slt_codec *c)
{
	for (unsigned i = 0; i < c->nused; i++)
		c->vs[i] = (slt_vstate){ .icx = 1 };
	c->vcpu = 0;
	c->nused = 1;
}

static void codec_init(slt_codec *c, unsigned vcpu_limit)
{
	memset(c, 0, sizeof(*c));
	c->nused = TRACE_MAX_VCPUS;
	codec_reset(c);
	c->vcpu_limit = vcpu_limit;
}

static inline uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t unzigzag(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }

/* ======================= decoder ======================= */

enum slt_derr {
	SLT_D_OK = 0, SLT_D_VARINT, SLT_D_EXT, SLT_D_SIZECODE, SLT_D_SIZE, SLT_D_VCPU,
	SLT_D_ASID, SLT_D_ICOUNT, SLT_D_WRAP, SLT_D_CTRL, SLT_D_INVOP, SLT_D_END, SLT_D_CHUNK,
	SLT_D_MISPLACED,
};

static inline const uint8_t *get_varint(const uint8_t *p, unsigned maxlen, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < maxlen; i++) {
		uint64_t b = p[i];
		if (i == 9 && b > 1)
			return NULL;   /* would overflow 64 bits */
		v |= (b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return p + i + 1;
		}
	}
	return NULL;
}

/* Decode the body of an invalidation record at p (FORMAT.md "Control
 * records"): op byte, vCPU, ASID unless 'all', address if 'va'. */
static const uint8_t *decode_inv(slt_codec *c, const uint8_t *p, trace_rec *rec,
				 enum slt_derr *why, uint64_t *val)
{
	unsigned op = *p++;
	uint64_t v, asid = 0, addr = 0;
	if ((op & ~(TRACE_INV_OP_MASK | TRACE_INV_BCAST)) || (op & TRACE_INV_OP_MASK) > TRACE_INV_VA) {
		*why = SLT_D_INVOP;
		*val = op;
		return NULL;
	}
	if (!(p = get_varint(p, 5, &v)))
		goto bad_varint;
	if (v >= c->vcpu_limit) {
		*why = SLT_D_VCPU;
		*val = v;
		return NULL;
	}
	if ((op & TRACE_INV_OP_MASK) != TRACE_INV_ALL) {
		if (!(p = get_varint(p, 5, &asid)))
			goto bad_varint;
		if (asid > 0xffff) {
			*why = SLT_D_ASID;
			return NULL;
		}
	}
	if ((op & TRACE_INV_OP_MASK) == TRACE_INV_VA && !(p = get_varint(p, 10, &addr)))
		goto bad_varint;
	*rec = (trace_rec){ .gva = addr, .vcpu = (uint16_t)v, .asid = (uint16_t)asid,
			    .kind = TRACE_INV, .op = (uint8_t)op };
	return p;
bad_varint:
	*why = SLT_D_VARINT;
	return NULL;
}

/* Decode one record at p (SLT_MAX_REC readable bytes). Returns the byte after
 * it, or NULL with *why set. On a control END (CHUNK) record *why = SLT_D_END
 * (SLT_D_CHUNK), *endcount holds its count (first record number) and *endp
 * points past it. */
static inline __attribute__((always_inline)) const uint8_t *
decode_one(slt_codec *restrict c, const uint8_t *restrict p, trace_rec *restrict rec,
	   enum slt_derr *restrict why, uint64_t *restrict endcount, const uint8_t **restrict endp)
{
	unsigned b0 = *p++;
	unsigned kind = b0 & SLT_B0_KIND_MASK;
	unsigned prefetch = 0;
	uint64_t v;

	if (unlikely(kind == SLT_B0_KIND_CTRL)) {
		unsigned sub = b0 >> SLT_B0_SIZE_SHIFT;
		if (sub == SLT_CTRL_INV)
			return decode_inv(c, p, rec, why, endcount);
		if (sub == SLT_CTRL_END || sub == SLT_CTRL_CHUNK) {
			p = get_varint(p, 10, endcount);
			*why = !p ? SLT_D_VARINT : sub == SLT_CTRL_END ? SLT_D_END : SLT_D_CHUNK;
			*endp = p;
			return NULL;
		}
		*why = sub <= SLT_CTRL_TRAILER ? SLT_D_MISPLACED : SLT_D_CTRL;
		return NULL;
	}
	if (b0 & SLT_B0_EXT) {
		unsigned ext = *p++;
		if (ext & SLT_EXT_RESERVED) {
			*why = SLT_D_EXT;
			return NULL;
		}
		prefetch = ext & SLT_EXT_PREFETCH;
		if (ext & SLT_EXT_VCPU) {
			if (!(p = get_varint(p, 5, &v))) goto bad_varint;
			if (v >= c->vcpu_limit) {
				*why = SLT_D_VCPU;
				*endcount = v;
				return NULL;
			}
			c->vcpu = (unsigned)v;
			if (c->vcpu >= c->nused)
				c->nused = c->vcpu + 1;
		}
		slt_vstate *vs = &c->vs[c->vcpu];
		if (ext & SLT_EXT_ASID) {
			if (!(p = get_varint(p, 5, &v))) goto bad_varint;
			if (v > 0xffff) {
				*why = SLT_D_ASID;
				return NULL;
			}
			vs->asid = (uint16_t)v;
		}
		if (ext & SLT_EXT_ICOUNT) {
			if (!(p = get_varint(p, 5, &v))) goto bad_varint;
			if (v > 0xffffffffu) {
				*why = SLT_D_ICOUNT;
				return NULL;
			}
			if (kind == TRACE_X)
				vs->icx = (uint32_t)v;
			else
				vs->icd = (uint32_t)v;
		}
	}
	slt_vstate *vs = &c->vs[c->vcpu];
	unsigned code = (b0 & SLT_B0_SIZE_MASK) >> SLT_B0_SIZE_SHIFT;
	unsigned size;
	if (code == 0) {
		if (!(p = get_varint(p, 5, &v))) goto bad_varint;
		if (v > TRACE_MAX_SIZE) {
			*why = SLT_D_SIZE;
			*endcount = v;
			return NULL;
		}
		size = (unsigned)v;
	} else if (kind == TRACE_X) {
		size = code;
	} else {
		if (code > SLT_DATA_MAX_CODE) {
			*why = SLT_D_SIZECODE;
			return NULL;
		}
		size = 1u << (code - 1);
	}
	uint64_t addr = kind == TRACE_X ? vs->xnext : vs->dlast;
	if (!(b0 & SLT_B0_SAME_ADDR)) {
		if (likely(!(*p & 0x80))) {
			v = *p++;
		} else if (!(p = get_varint(p, 10, &v))) {
			goto bad_varint;
		}
		addr += (uint64_t)unzigzag(v);
	}
	if (unlikely(size && addr + (size - 1) < addr)) {
		*why = SLT_D_WRAP;
		return NULL;
	}
	if (kind == TRACE_X) {
		vs->xnext = addr + size;
		rec->icount = vs->icx;
	} else {
		vs->dlast = addr;
		rec->icount = vs->icd;
	}
	rec->gva = addr;
	rec->vcpu = (uint16_t)c->vcpu;
	rec->asid = vs->asid;
	rec->size = (uint16_t)size;
	rec->kind = (uint8_t)kind;
	rec->op = 0;
	if (unlikely(prefetch) && c->prefetch_as_p) {
		rec->kind = TRACE_P;
		rec->op = (uint8_t)kind;   /* TRACE_PF_* = the flavour's kind */
	} else if (unlikely(prefetch)) {
		rec->kind = TRACE_R;
	}
	return p;
bad_varint:
	*why = SLT_D_VARINT;
	return NULL;
}

/* A chunk: where its gzip member starts, where its bytes start in the
 * uncompressed stream, its first record number. */
typedef struct slt_chunk {
	uint64_t comp, uncomp, first;
} slt_chunk;

typedef struct slt_reader {
	slt_codec c;
	int ended;
	int chunked;         /* header flag TRACE_F_CHUNKED */
	int seeked;          /* chunks were skipped through the index (checked when loaded) */
	slt_chunk *seen;     /* the chunks read, to check the index against */
	size_t nseen, capseen;
} slt_reader;

static int derr_msg(trace_reader *r, enum slt_derr why, uint64_t val, uint64_t off,
		    uint64_t recno, char *err, size_t errlen)
{
	const char *path = instream_path(r->in);
	unsigned long long o = (unsigned long long)off, rn = (unsigned long long)recno;
	const char *what;
	int code = TRACE_EFORMAT;
	char buf[128];
	switch (why) {
	case SLT_D_VARINT: what = "malformed varint"; break;
	case SLT_D_EXT: what = "reserved bits set in the extension byte"; break;
	case SLT_D_SIZECODE: what = "reserved data size code"; break;
	case SLT_D_SIZE:
		snprintf(buf, sizeof(buf), "access size %llu out of range 0..%u",
			 (unsigned long long)val, TRACE_MAX_SIZE);
		what = buf;
		break;
	case SLT_D_VCPU:
		snprintf(buf, sizeof(buf), "vcpu %llu beyond the trace's vCPU count %u",
			 (unsigned long long)val, r->hdr.vcpus ? r->hdr.vcpus : TRACE_MAX_VCPUS);
		what = buf;
		break;
	case SLT_D_ASID: what = "ASID above 65535"; break;
	case SLT_D_ICOUNT: what = "icount above 2^32-1"; break;
	case SLT_D_WRAP: what = "access wraps past the top of the address space"; break;
	case SLT_D_INVOP:
		snprintf(buf, sizeof(buf), "invalidation record with a bad op byte 0x%02llx",
			 (unsigned long long)val);
		what = buf;
		break;
	case SLT_D_CTRL:
		what = "unknown control record (written by a newer slatsim?)";
		code = TRACE_EVERSION;
		break;
	case SLT_D_MISPLACED: what = "chunk index or trailer record before the end marker"; break;
	default: what = "decode error"; break;
	}
	return trace_errf(err, errlen, code, path, "byte %llu (record %llu): %s", o, rn, what);
}

/* The stream's next byte (0..255), 256 at its end, or a negative error. */
static int next_byte(trace_reader *r, char *err, size_t errlen)
{
	struct instream_view *v = instream_view(r->in);
	while (v->pos == v->len) {
		if (v->eof)
			return 256;
		int rc = instream_fill(r->in, err, errlen);
		if (rc != TRACE_OK)
			return rc;
	}
	return v->buf[v->pos++];
}

/* A varint (at most 10 bytes) from the stream: 0, 1 if malformed or cut
 * short, or a negative error. */
static int next_varint(trace_reader *r, uint64_t *out, char *err, size_t errlen)
{
	uint8_t b[10];
	for (unsigned i = 0; i < 10; i++) {
		int c = next_byte(r, err, errlen);
		if (c < 0)
			return c;
		if (c == 256)
			return 1;
		b[i] = (uint8_t)c;
		if (!(c & 0x80))
			return get_varint(b, i + 1, out) ? 0 : 1;
	}
	return 1;
}

static uint64_t rd_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = (v << 8) | p[n];
	return v;
}

/* Chunked files: after END come the INDEX record (checked against the
 * chunks read, unless a seek skipped some) and the TRAILER. */
static int finish_chunked(trace_reader *r, char *err, size_t errlen)
{
	slt_reader *st = r->priv;
	struct instream_view *v = instream_view(r->in);
	const char *path = instream_path(r->in);
	unsigned long long off = (unsigned long long)(v->base + v->pos);
	int c = next_byte(r, err, errlen);
	if (c < 0)
		return c;
	if (c != SLT_CTRL_B0(SLT_CTRL_INDEX))
		return trace_errf(err, errlen, TRACE_EFORMAT, path, "byte %llu: %s after the end "
				  "marker of a chunked file, not its index", off,
				  c == 256 ? "nothing" : "a byte");
	uint64_t n, d[3], acc[3] = { 0, 0, 0 };
	int rc = next_varint(r, &n, err, errlen);
	if (rc)
		goto bad;
	if (!st->seeked && n != st->nseen)
		return trace_errf(err, errlen, TRACE_EFORMAT, path, "byte %llu: the index lists "
				  "%llu chunks but the file held %zu", off, (unsigned long long)n,
				  st->nseen);
	for (uint64_t i = 0; i < n; i++) {
		for (int k = 0; k < 3; k++) {
			if ((rc = next_varint(r, &d[k], err, errlen)))
				goto bad;
			acc[k] += d[k];
		}
		if (!st->seeked && (acc[1] != st->seen[i].uncomp || acc[2] != st->seen[i].first))
			return trace_errf(err, errlen, TRACE_EFORMAT, path, "byte %llu: index entry "
					  "%llu says byte %llu, record %llu; the chunk is at byte "
					  "%llu, record %llu", off, (unsigned long long)i,
					  (unsigned long long)acc[1], (unsigned long long)acc[2],
					  (unsigned long long)st->seen[i].uncomp,
					  (unsigned long long)st->seen[i].first);
	}
	uint8_t t[SLT_TRAILER_LEN];
	off = (unsigned long long)(v->base + v->pos);
	for (unsigned i = 0; i < SLT_TRAILER_LEN; i++) {
		if ((c = next_byte(r, err, errlen)) < 0)
			return c;
		if (c == 256)
			return trace_errf(err, errlen, TRACE_EFORMAT, path, "byte %llu: truncated: "
					  "the trailer of a chunked file is missing", off);
		t[i] = (uint8_t)c;
	}
	if (t[0] != SLT_CTRL_B0(SLT_CTRL_TRAILER) || memcmp(t + 1, "IDX", 3) != 0 ||
	    rd_le(t + 12, 4) != n)
		return trace_errf(err, errlen, TRACE_EFORMAT, path, "byte %llu: bad trailer", off);
	return TRACE_OK;
bad:
	if (rc < 0)
		return rc;
	return trace_errf(err, errlen, TRACE_EFORMAT, path, "byte %llu: truncated or malformed "
			  "chunk index", off);
}

/* The END marker was decoded at v->pos from SRC (the window or a padded copy
 * of its last AVAIL bytes), ending at ENDP. Check its count and that nothing
 * follows. */
static int finish_end(trace_reader *r, const uint8_t *src, const uint8_t *endp, size_t avail,
		      uint64_t count, uint64_t total, char *err, size_t errlen)
{
	struct instream_view *v = instream_view(r->in);
	const char *path = instream_path(r->in);
	unsigned long long off = (unsigned long long)(v->base + v->pos);
	size_t used = (size_t)(endp - src);
	if (used > avail)
		return trace_errf(err, errlen, TRACE_EFORMAT, path,
				  "truncated end marker at byte %llu", off);
	if (count != total)
		return trace_errf(err, errlen, TRACE_EFORMAT, path,
				  "byte %llu: end marker counts %llu records but the stream held "
				  "%llu (spliced or damaged file)", off, (unsigned long long)count,
				  (unsigned long long)total);
	v->pos += used;
	if (((slt_reader *)r->priv)->chunked) {
		int rc = finish_chunked(r, err, errlen);
		if (rc != TRACE_OK)
			return rc;
	}
	while (v->pos == v->len && !v->eof) {
		int rc = instream_fill(r->in, err, errlen);
		if (rc != TRACE_OK)
			return rc;
	}
	if (v->pos != v->len)
		return trace_errf(err, errlen, TRACE_EFORMAT, path,
				  "byte %llu: data after the %s",
				  (unsigned long long)(v->base + v->pos),
				  ((slt_reader *)r->priv)->chunked ? "trailer" : "end marker");
	return TRACE_OK;
}

/* A CHUNK record FIRST was decoded at v->pos (as finish_end's arguments):
 * check it starts where the records read so far end, and reset the
 * prediction state. */
static int start_chunk(trace_reader *r, const uint8_t *src, const uint8_t *endp, size_t avail,
		       uint64_t first, uint64_t recno, char *err, size_t errlen)
{
	slt_reader *st = r->priv;
	struct instream_view *v = instream_view(r->in);
	const char *path = instream_path(r->in);
	unsigned long long off = (unsigned long long)(v->base + v->pos);
	size_t used = (size_t)(endp - src);
	if (used > avail)
		return trace_errf(err, errlen, TRACE_EFORMAT, path,
				  "truncated chunk record at byte %llu", off);
	if (!st->chunked)
		return trace_errf(err, errlen, TRACE_EFORMAT, path, "byte %llu: chunk record in "
				  "a file without the chunked flag", off);
	if (first != recno)
		return trace_errf(err, errlen, TRACE_EFORMAT, path, "byte %llu: a chunk starting "
				  "at record %llu after %llu records (a chunk is missing, repeated "
				  "or out of order)", off, (unsigned long long)first,
				  (unsigned long long)recno);
	if (!st->seeked) {
		if (st->nseen == st->capseen) {
			size_t cap = st->capseen ? st->capseen * 2 : 64;
			slt_chunk *ns = realloc(st->seen, cap * sizeof(*ns));
			if (!ns)
				return trace_errf(err, errlen, TRACE_ENOMEM, path, "out of memory (trace reader)");
			st->seen = ns;
			st->capseen = cap;
		}
		st->seen[st->nseen++] = (slt_chunk){ 0, v->base + v->pos, first };
	}
	codec_reset(&st->c);
	v->pos += used;
	return TRACE_OK;
}

static int slt_read(trace_reader *r, trace_rec *buf, size_t max, char *err, size_t errlen)
{
	slt_reader *st = r->priv;
	struct instream_view *v = instream_view(r->in);
	size_t n = 0;
	enum slt_derr why = SLT_D_OK;
	uint64_t val = 0;
	const uint8_t *endp = NULL, *src;
	size_t avail;
	uint8_t pad[SLT_MAX_REC * 2];

	if (st->ended)
		return 0;
	for (;;) {
		while (n < max) {
			avail = v->len - v->pos;
			if (avail >= SLT_MAX_REC) {
				/* Fast path: decode in place while a whole record must fit. */
				const uint8_t *p = v->buf + v->pos;
				const uint8_t *lim = v->buf + v->len - SLT_MAX_REC;
				while (n < max && p <= lim) {
					const uint8_t *q = decode_one(&st->c, p, &buf[n], &why, &val,
								      &endp);
					if (!q) {
						v->pos = (size_t)(p - v->buf);
						src = p;
						avail = v->len - v->pos;
						goto stop;
					}
					p = q;
					n++;
				}
				v->pos = (size_t)(p - v->buf);
				continue;
			}
			if (!v->eof) {
				int rc = instream_fill(r->in, err, errlen);
				if (rc != TRACE_OK)
					return rc;
				continue;
			}
			if (avail == 0)
				return trace_errf(err, errlen, TRACE_EFORMAT, instream_path(r->in),
						  "truncated: stream ends at byte %llu after %llu "
						  "records without the end marker",
						  (unsigned long long)(v->base + v->pos),
						  (unsigned long long)(r->nrec + n));
			/* Tail: decode from a zero-padded copy, then check the length used. */
			memset(pad, 0, sizeof(pad));
			memcpy(pad, v->buf + v->pos, avail);
			src = pad;
			const uint8_t *q = decode_one(&st->c, pad, &buf[n], &why, &val, &endp);
			if (!q)
				goto stop;
			if ((size_t)(q - pad) > avail)
				return trace_errf(err, errlen, TRACE_EFORMAT, instream_path(r->in),
						  "truncated record at byte %llu (record %llu)",
						  (unsigned long long)(v->base + v->pos),
						  (unsigned long long)(r->nrec + n));
			v->pos += (size_t)(q - pad);
			n++;
		}
		return (int)n;

stop:
		if (why == SLT_D_CHUNK) {
			int rc = start_chunk(r, src, endp, avail, val, r->nrec + n, err, errlen);
			if (rc != TRACE_OK)
				return rc;
			continue;
		}
		if (why != SLT_D_END) {
			int rc = derr_msg(r, why, val, v->base + v->pos, r->nrec + n, err, errlen);
			if (src == pad) {   /* the zero padding may be what failed to decode */
				size_t l = strlen(err);
				snprintf(err + l, errlen - l, " (or the stream is truncated there)");
			}
			return rc;
		}
		int rc = finish_end(r, src, endp, avail, val, r->nrec + n, err, errlen);
		if (rc != TRACE_OK)
			return rc;
		st->ended = 1;
		return (int)n;
	}
}

/* ---- seeking through the chunk index ---- */

/* Load a chunked file's index: check the trailer member, inflate the index
 * member it points to, parse END and INDEX. *ix (malloc'd) gets the chunks. */
static int load_index(trace_reader *r, slt_chunk **ix, size_t *nix, uint64_t *total,
		      uint64_t *index_off, char *err, size_t errlen)
{
	const char *path = instream_path(r->in);
	uint64_t fsz = instream_file_size(r->in);
	uint8_t t[SLT_TRAILER_MEMBER];
	*ix = NULL;
	if (fsz < SLT_TRAILER_MEMBER || instream_pread(r->in, t, sizeof(t), fsz - sizeof(t)))
		return trace_errf(err, errlen, TRACE_EFORMAT, path, "chunk index: no trailer "
				  "member at the end of the file");
	const uint8_t *c = t + 15;
	if (t[0] != 0x1f || t[1] != 0x8b || t[2] != 8 || t[10] != 1 || rd_le(t + 11, 2) != 16 ||
	    rd_le(t + 13, 2) != 0xffefu || rd_le(t + 31, 4) != crc32(0, c, SLT_TRAILER_LEN) ||
	    rd_le(t + 35, 4) != SLT_TRAILER_LEN || c[0] != SLT_CTRL_B0(SLT_CTRL_TRAILER) ||
	    memcmp(c + 1, "IDX", 3) != 0)
		return trace_errf(err, errlen, TRACE_EFORMAT, path, "chunk index: bad trailer "
				  "member at compressed byte %llu",
				  (unsigned long long)(fsz - sizeof(t)));
	uint64_t ioff = rd_le(c + 4, 8), n = rd_le(c + 12, 4);
	uint64_t iend = fsz - sizeof(t);
	if (ioff >= iend)
		return trace_errf(err, errlen, TRACE_EFORMAT, path, "chunk index: trailer points "
				  "at compressed byte %llu, past the index", (unsigned long long)ioff);
	/* Inflate the index member. */
	z_stream z = { 0 };
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return trace_errf(err, errlen, TRACE_EIO, path, "zlib init failed");
	size_t cap = 64 + (size_t)n * 30, len = 0;
	uint8_t *out = malloc(cap), in[16384];
	int zr = Z_OK;
	uint64_t pos = ioff;
	while (out && zr != Z_STREAM_END && pos < iend) {
		size_t k = iend - pos < sizeof(in) ? (size_t)(iend - pos) : sizeof(in);
		if (instream_pread(r->in, in, k, pos))
			break;
		z.next_in = in;
		z.avail_in = (uInt)k;
		do {
			if (len == cap) {
				uint8_t *o2 = realloc(out, cap *= 2);
				if (!o2) {
					free(out);
					out = NULL;
					break;
				}
				out = o2;
			}
			z.next_out = out + len;
			z.avail_out = (uInt)(cap - len);
			zr = inflate(&z, Z_NO_FLUSH);
			len = cap - z.avail_out;
		} while (zr == Z_OK && z.avail_in);
		pos += k - z.avail_in;
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			break;
	}
	inflateEnd(&z);
	if (!out)
		return trace_errf(err, errlen, TRACE_ENOMEM, path, "out of memory (trace reader)");
	int rc = TRACE_OK;
	const uint8_t *p = out, *e = out + len;
	uint64_t cnt, n2, d[3], acc[3] = { 0, 0, 0 };
	slt_chunk *v = NULL;
#define NEXT(x) (p < e && (p = get_varint(p, (unsigned)(e - p < 10 ? e - p : 10), (x))))
	if (zr != Z_STREAM_END || pos != iend || e - p < 1 || *p++ != SLT_CTRL_B0(SLT_CTRL_END) ||
	    !NEXT(&cnt) || p >= e || *p++ != SLT_CTRL_B0(SLT_CTRL_INDEX) || !NEXT(&n2) || n2 != n ||
	    !(v = malloc((n ? n : 1) * sizeof(*v)))) {
		rc = trace_errf(err, errlen, TRACE_EFORMAT, path, "chunk index: the member at "
				"compressed byte %llu is not an end marker and index",
				(unsigned long long)ioff);
		goto out;
	}
	for (uint64_t i = 0; i < n; i++) {
		for (int k = 0; k < 3; k++) {
			if (!NEXT(&d[k])) {
				rc = trace_errf(err, errlen, TRACE_EFORMAT, path, "chunk index: "
						"entry %llu malformed", (unsigned long long)i);
				goto out;
			}
			acc[k] += d[k];
		}
		v[i] = (slt_chunk){ acc[0], acc[1], acc[2] };
		if ((i == 0 && acc[2] != 0) || (i > 0 && (acc[2] <= v[i - 1].first ||
							   acc[0] <= v[i - 1].comp)) ||
		    acc[0] >= ioff || acc[2] >= cnt) {
			rc = trace_errf(err, errlen, TRACE_EFORMAT, path, "chunk index: entry %llu "
					"out of order or out of range", (unsigned long long)i);
			goto out;
		}
	}
#undef NEXT
	if (p != e || (n == 0 && cnt != 0))
		rc = trace_errf(err, errlen, TRACE_EFORMAT, path, "chunk index: malformed");
out:
	free(out);
	if (rc != TRACE_OK) {
		free(v);
		return rc;
	}
	*ix = v;
	*nix = (size_t)n;
	*total = cnt;
	if (index_off)
		*index_off = ioff;
	return TRACE_OK;
}

/* With a decoding thread (the new path; sim.threads=1 keeps zlib's
 * streaming): a chunked file is read a gzip member at a time - the chunks,
 * the index member, the trailer - each inflated whole. Measured on the
 * shipped capture chunked (18 members of 1 Mi records): inflate and CRC
 * 0.044 s with zlib, 0.019 s with libdeflate. */
static int whole_members(trace_reader *r, char *err, size_t errlen)
{
	slt_chunk *ix;
	size_t n = 0;
	uint64_t total = 0, ioff = 0;
	char ierr[256];
	if (load_index(r, &ix, &n, &total, &ioff, ierr, sizeof(ierr)) != TRACE_OK)
		return TRACE_OK;   /* read as a stream: its errors as sim.threads=1 finds them */
	uint64_t *off = malloc((n + 3) * sizeof(*off));
	if (!off) {
		free(ix);
		return trace_oom(err, errlen, instream_path(r->in));
	}
	size_t k = 0;
	off[k++] = 0;
	for (size_t i = 0; i < n; i++)
		if (ix[i].comp != 0)
			off[k++] = ix[i].comp;
	off[k++] = ioff;
	off[k++] = instream_file_size(r->in) - SLT_TRAILER_MEMBER;
	free(ix);
	int rc = instream_members(r->in, off, k, err, errlen);
	free(off);
	return rc == 1 ? TRACE_OK : rc;
}

static int slt_seek(trace_reader *r, uint64_t recno, char *err, size_t errlen)
{
	slt_reader *st = r->priv;
	if (!st->chunked || instream_comp(r->in) != IN_GZIP || !instream_file_size(r->in))
		return 1;   /* no index to go through: decode and discard */
	slt_chunk *ix;
	size_t n = 0;
	uint64_t total = 0;
	int rc = load_index(r, &ix, &n, &total, NULL, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	if (recno >= total) {
		/* Past the end: nothing is left to read. */
		free(ix);
		st->ended = 1;
		r->nrec = total;
		return TRACE_OK;
	}
	size_t lo = 0, hi = n;   /* the last chunk whose first record <= recno */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix[mid].first <= recno)
			lo = mid;
		else
			hi = mid;
	}
	slt_chunk k = ix[lo];
	free(ix);
	rc = instream_reposition(r->in, k.comp, k.uncomp, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	st->seeked = 1;
	st->ended = 0;
	r->nrec = k.first;
	codec_reset(&st->c);
	trace_rec scratch[256];
	while (r->nrec < recno) {
		uint64_t want = recno - r->nrec;
		int got = slt_read(r, scratch, want < 256 ? (size_t)want : 256, err, errlen);
		if (got < 0)
			return got;
		if (got == 0)
			return trace_errf(err, errlen, TRACE_EFORMAT, instream_path(r->in),
					  "chunk index: the trace ends at record %llu, before record "
					  "%llu that the index holds", (unsigned long long)r->nrec,
					  (unsigned long long)recno);
		r->nrec += (uint64_t)got;
	}
	return TRACE_OK;
}

static void slt_destroy(trace_reader *r)
{
	slt_reader *st = r->priv;
	if (st)
		free(st->seen);
	free(st);
}

static const trace_backend slt_backend = { .read = slt_read, .destroy = slt_destroy,
						 .seek = slt_seek };

static unsigned rd16(const uint8_t *p) { return (unsigned)p[0] | ((unsigned)p[1] << 8); }

int slt_reader_init(trace_reader *r, char *err, size_t errlen)
{
	struct instream_view *v = instream_view(r->in);
	const char *path = instream_path(r->in);
	const uint8_t *h = v->buf + v->pos;
	size_t avail = v->len - v->pos;
	if (avail < 4 || memcmp(h, SLT_MAGIC, 4) != 0) {
		uint8_t m[4] = { 0 };
		memcpy(m, h, avail < 4 ? avail : 4);
		return trace_errf(err, errlen, TRACE_EFORMAT, path,
				  "not a slatsim trace: bad magic %02x %02x %02x %02x at byte 0 "
				  "(expected 53 4c 54 52, \"SLTR\")", m[0], m[1], m[2], m[3]);
	}
	if (avail < SLT_HDR_FIXED)
		return trace_errf(err, errlen, TRACE_EFORMAT, path,
				  "truncated .slt header (%zu of %u bytes)", avail, SLT_HDR_FIXED);
	unsigned version = rd16(h + 4), flags = rd16(h + 6), vcpus = rd16(h + 8),
		 dlen = rd16(h + 10);
	if (version != SLT_VERSION)
		return trace_errf(err, errlen, TRACE_EVERSION, path,
				  "byte 4: unsupported .slt version %u (this slatsim reads "
				  "version %u)", version, SLT_VERSION);
	if (flags & TRACE_F_MUST_MASK & ~TRACE_F_CHUNKED)
		return trace_errf(err, errlen, TRACE_EVERSION, path,
				  "byte 6: unknown required flags 0x%04x (written by a newer "
				  "slatsim?)", flags & TRACE_F_MUST_MASK & ~TRACE_F_CHUNKED);
	if (vcpus > TRACE_MAX_VCPUS)
		return trace_errf(err, errlen, TRACE_EFORMAT, path,
				  "byte 8: vCPU count %u above the maximum %u", vcpus,
				  TRACE_MAX_VCPUS);
	if (dlen > TRACE_MAX_DESC)
		return trace_errf(err, errlen, TRACE_EFORMAT, path,
				  "byte 10: description length %u above the maximum %u", dlen,
				  TRACE_MAX_DESC);
	if (avail < SLT_HDR_FIXED + dlen)
		return trace_errf(err, errlen, TRACE_EFORMAT, path,
				  "truncated .slt header: description of %u bytes ends past "
				  "byte %zu", dlen, avail);
	slt_reader *st = calloc(1, sizeof(*st));
	if (!st)
		return trace_oom(err, errlen, path);
	codec_init(&st->c, vcpus ? vcpus : TRACE_MAX_VCPUS);
	st->c.prefetch_as_p = (r->open_flags & TRACE_OPEN_PREFETCH) != 0;
	st->chunked = (flags & TRACE_F_CHUNKED) != 0;
	r->hdr.version = version;
	r->hdr.flags = flags;
	r->hdr.vcpus = vcpus;
	memcpy(r->hdr.desc, h + SLT_HDR_FIXED, dlen);
	r->hdr.desc[dlen] = '\0';
	v->pos += SLT_HDR_FIXED + dlen;
	r->be = &slt_backend;
	r->priv = st;
	if (st->chunked && (r->open_flags & TRACE_OPEN_WHOLE_MEMBERS) &&
	    instream_comp(r->in) == IN_GZIP && instream_file_size(r->in))
		return whole_members(r, err, errlen);
	return TRACE_OK;
}

/* ======================= writer ======================= */

#define WBUF (64u << 10)

struct trace_writer {
	FILE *f;
	int own;
	char *path;
	z_stream z;
	slt_codec c;
	uint8_t buf[WBUF];
	size_t len;
	uint64_t nrec;
	uint64_t out_bytes;
	uint64_t in_bytes;        /* uncompressed bytes handed to deflate */
	uint64_t chunk_records;   /* records per chunk; 0 = unchunked */
	uint64_t chunk_left;      /* records the current chunk still takes (0: start one) */
	slt_chunk *ix;            /* the chunks written */
	size_t nix, capix;
	uint8_t zout[WBUF];
};

static int w_deflate(trace_writer *w, int flush, char *err, size_t errlen)
{
	w->z.next_in = w->buf;
	w->z.avail_in = (uInt)w->len;
	do {
		w->z.next_out = w->zout;
		w->z.avail_out = WBUF;
		int zr = deflate(&w->z, flush);
		if (zr == Z_STREAM_ERROR)
			return trace_errf(err, errlen, TRACE_EIO, w->path, "zlib deflate error");
		size_t have = WBUF - w->z.avail_out;
		if (have && fwrite(w->zout, 1, have, w->f) != have)
			return trace_errf(err, errlen, TRACE_EIO, w->path, "write error: %s",
					  strerror(errno));
		w->out_bytes += have;
	} while (w->z.avail_out == 0);
	w->in_bytes += w->len;
	w->len = 0;
	return TRACE_OK;
}

/* Finish the current gzip member; the next bytes start another. */
static int w_end_member(trace_writer *w, char *err, size_t errlen)
{
	int rc = w_deflate(w, Z_FINISH, err, errlen);
	if (rc == TRACE_OK && deflateReset(&w->z) != Z_OK)
		rc = trace_errf(err, errlen, TRACE_EIO, w->path, "zlib deflate reset failed");
	return rc;
}

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

int trace_writer_open(trace_writer **out, const char *path, const trace_header *h,
		      int level, char *err, size_t errlen)
{
	trace_writer_opts o = { .level = level, .chunk_records = 0 };
	return trace_writer_open_opts(out, path, h, &o, err, errlen);
}

int trace_writer_open_opts(trace_writer **out, const char *path, const trace_header *h,
			   const trace_writer_opts *o, char *err, size_t errlen)
{
	*out = NULL;
	if (strcmp(path, "-") == 0)
		return trace_writer_open_stream(out, stdout, "<stdout>", h, o, err, errlen);
	FILE *f = fopen(path, "wb");
	if (!f)
		return trace_errf(err, errlen, TRACE_EIO, path, "cannot create: %s", strerror(errno));
	int rc = trace_writer_open_stream(out, f, path, h, o, err, errlen);
	if (rc != TRACE_OK)
		fclose(f);
	else
		(*out)->own = 1;
	return rc;
}

int trace_writer_open_stream(trace_writer **out, FILE *f, const char *name,
			     const trace_header *h, const trace_writer_opts *o, char *err,
			     size_t errlen)
{
	*out = NULL;
	if (h->vcpus > TRACE_MAX_VCPUS)
		return trace_errf(err, errlen, TRACE_EFORMAT, name, "vCPU count %u above %u",
				  h->vcpus, TRACE_MAX_VCPUS);
	trace_writer *w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(name))) {
		free(w);
		return trace_oom(err, errlen, name);
	}
	w->f = f;
	if (deflateInit2(&w->z, o->level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		int rc = trace_oom(err, errlen, w->path);
		free(w->path);
		free(w);
		return rc;
	}
	codec_init(&w->c, h->vcpus ? h->vcpus : TRACE_MAX_VCPUS);
	size_t dlen = strnlen(h->desc, TRACE_MAX_DESC);
	uint8_t *p = w->buf;
	memcpy(p, SLT_MAGIC, 4);
	w->chunk_records = o->chunk_records;
	unsigned flags = (h->flags & 0xffu) | (w->chunk_records ? TRACE_F_CHUNKED : 0);
	unsigned f16[4] = { SLT_VERSION, flags, h->vcpus, (unsigned)dlen };
	for (int i = 0; i < 4; i++) {
		p[4 + 2 * i] = (uint8_t)f16[i];
		p[5 + 2 * i] = (uint8_t)(f16[i] >> 8);
	}
	memcpy(p + SLT_HDR_FIXED, h->desc, dlen);
	w->len = SLT_HDR_FIXED + dlen;
	*out = w;
	return TRACE_OK;
}

/* Start a chunk before record w->nrec: end the member so far, note where
 * the chunk starts, reset the prediction state and write the CHUNK record. */
static int w_start_chunk(trace_writer *w, char *err, size_t errlen)
{
	int rc = w_end_member(w, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	if (w->nix == w->capix) {
		size_t cap = w->capix ? w->capix * 2 : 64;
		slt_chunk *n = realloc(w->ix, cap * sizeof(*n));
		if (!n)
			return trace_oom(err, errlen, w->path);
		w->ix = n;
		w->capix = cap;
	}
	w->ix[w->nix++] = (slt_chunk){ w->out_bytes, w->in_bytes, w->nrec };
	codec_reset(&w->c);
	uint8_t *p = w->buf;
	*p++ = SLT_CTRL_B0(SLT_CTRL_CHUNK);
	p = put_varint(p, w->nrec);
	w->len = (size_t)(p - w->buf);
	w->chunk_left = w->chunk_records - 1;
	return TRACE_OK;
}

/* Chunked files end with END and the INDEX in one member, then the
 * fixed-layout trailer member pointing at it (FORMAT.md). */
static int w_finish_chunked(trace_writer *w, char *err, size_t errlen)
{
	int rc = w_end_member(w, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	uint64_t ioff = w->out_bytes;
	uint8_t *p = w->buf;
	*p++ = SLT_CTRL_B0(SLT_CTRL_END);
	p = put_varint(p, w->nrec);
	*p++ = SLT_CTRL_B0(SLT_CTRL_INDEX);
	p = put_varint(p, w->nix);
	slt_chunk prev = { 0, 0, 0 };
	for (size_t i = 0; i < w->nix; i++) {
		w->len = (size_t)(p - w->buf);
		if (w->len > WBUF - SLT_MAX_REC) {
			if ((rc = w_deflate(w, Z_NO_FLUSH, err, errlen)) != TRACE_OK)
				return rc;
			p = w->buf;
		}
		p = put_varint(p, w->ix[i].comp - prev.comp);
		p = put_varint(p, w->ix[i].uncomp - prev.uncomp);
		p = put_varint(p, w->ix[i].first - prev.first);
		prev = w->ix[i];
	}
	w->len = (size_t)(p - w->buf);
	if ((rc = w_deflate(w, Z_FINISH, err, errlen)) != TRACE_OK)
		return rc;
	/* The trailer: one stored deflate block in a gzip member (RFC 1952,
	 * RFC 1951 3.2.4), so it has a fixed size and sits at a known offset. */
	uint8_t t[SLT_TRAILER_MEMBER] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff,
					  1, SLT_TRAILER_LEN, 0, (uint8_t)~SLT_TRAILER_LEN, 0xff };
	uint8_t *c = t + 15;
	c[0] = SLT_CTRL_B0(SLT_CTRL_TRAILER);
	memcpy(c + 1, "IDX", 3);
	for (int i = 0; i < 8; i++)
		c[4 + i] = (uint8_t)(ioff >> (8 * i));
	for (int i = 0; i < 4; i++)
		c[12 + i] = (uint8_t)((uint64_t)w->nix >> (8 * i));
	uint32_t crc = (uint32_t)crc32(0, c, SLT_TRAILER_LEN);
	for (int i = 0; i < 4; i++) {
		t[31 + i] = (uint8_t)(crc >> (8 * i));
		t[35 + i] = (uint8_t)(SLT_TRAILER_LEN >> (8 * i));
	}
	if (fwrite(t, 1, sizeof(t), w->f) != sizeof(t))
		return trace_errf(err, errlen, TRACE_EIO, w->path, "write error: %s",
				  strerror(errno));
	w->out_bytes += sizeof(t);
	return TRACE_OK;
}

/* An invalidation record (checked) at p; returns the byte after it. */
static uint8_t *encode_inv(uint8_t *p, const trace_rec *r)
{
	*p++ = SLT_CTRL_B0(SLT_CTRL_INV);
	*p++ = r->op;
	p = put_varint(p, r->vcpu);
	if ((r->op & TRACE_INV_OP_MASK) != TRACE_INV_ALL)
		p = put_varint(p, r->asid);
	if ((r->op & TRACE_INV_OP_MASK) == TRACE_INV_VA)
		p = put_varint(p, r->gva);
	return p;
}

int trace_write(trace_writer *w, const trace_rec *recs, size_t n, char *err, size_t errlen)
{
	slt_codec *c = &w->c;
	for (size_t i = 0; i < n; i++) {
		const trace_rec *r = &recs[i];
		char why[160];
		if (trace_rec_check(r, c->vcpu_limit, why, sizeof(why)) != 0)
			return trace_errf(err, errlen, TRACE_EFORMAT, w->path, "record %llu: %s",
					  (unsigned long long)w->nrec, why);
		if (w->len > WBUF - SLT_MAX_REC) {
			int rc = w_deflate(w, Z_NO_FLUSH, err, errlen);
			if (rc != TRACE_OK)
				return rc;
		}
		if (w->chunk_records && w->chunk_left-- == 0) {
			int rc = w_start_chunk(w, err, errlen);
			if (rc != TRACE_OK)
				return rc;
		}
		uint8_t *p = w->buf + w->len;
		if (r->kind == TRACE_INV) {
			w->len = (size_t)(encode_inv(p, r) - w->buf);
			w->nrec++;
			continue;
		}
		uint8_t *b0 = p++;
		/* A prefetch is written as its flavour's kind with the EXT flag. */
		unsigned kind = r->kind == TRACE_P ? r->op : r->kind;
		unsigned bits = kind;
		unsigned ext = r->kind == TRACE_P ? SLT_EXT_PREFETCH : 0;
		uint8_t *extp = NULL;
		if (r->vcpu != c->vcpu)
			ext |= SLT_EXT_VCPU;
		if (r->vcpu >= c->nused)
			c->nused = r->vcpu + 1u;
		slt_vstate *vs = &c->vs[r->vcpu];
		if (r->asid != vs->asid)
			ext |= SLT_EXT_ASID;
		uint32_t *icp = kind == TRACE_X ? &vs->icx : &vs->icd;
		if (r->icount != *icp)
			ext |= SLT_EXT_ICOUNT;
		if (ext) {
			bits |= SLT_B0_EXT;
			extp = p++;
			*extp = (uint8_t)ext;
			if (ext & SLT_EXT_VCPU)
				p = put_varint(p, r->vcpu);
			if (ext & SLT_EXT_ASID)
				p = put_varint(p, r->asid);
			if (ext & SLT_EXT_ICOUNT)
				p = put_varint(p, r->icount);
		}
		c->vcpu = r->vcpu;
		vs->asid = r->asid;
		*icp = r->icount;
		unsigned code = 0;
		if (kind == TRACE_X) {
			if (r->size <= 15)
				code = r->size;
		} else if (is_pow2_u64(r->size) && r->size <= 64) {
			code = log2_u64(r->size) + 1;
		}
		bits |= code << SLT_B0_SIZE_SHIFT;
		if (code == 0)
			p = put_varint(p, r->size);
		uint64_t pred = kind == TRACE_X ? vs->xnext : vs->dlast;
		if (r->gva == pred)
			bits |= SLT_B0_SAME_ADDR;
		else
			p = put_varint(p, zigzag((int64_t)(r->gva - pred)));
		if (kind == TRACE_X)
			vs->xnext = r->gva + r->size;
		else
			vs->dlast = r->gva;
		*b0 = (uint8_t)bits;
		w->len = (size_t)(p - w->buf);
		w->nrec++;
	}
	return TRACE_OK;
}

int trace_writer_close(trace_writer *w, char *err, size_t errlen)
{
	int rc;
	if (w->chunk_records) {
		rc = w_finish_chunked(w, err, errlen);
	} else {
		uint8_t *p = w->buf + w->len;
		*p++ = SLT_CTRL_B0(SLT_CTRL_END);
		p = put_varint(p, w->nrec);
		w->len = (size_t)(p - w->buf);
		rc = w_deflate(w, Z_FINISH, err, errlen);
	}
	if (rc == TRACE_OK && fflush(w->f) != 0)
		rc = trace_errf(err, errlen, TRACE_EIO, w->path, "write error: %s",
				strerror(errno));
	if (rc == TRACE_OK && w->own && fclose(w->f) != 0)
		rc = trace_errf(err, errlen, TRACE_EIO, w->path, "close error: %s",
				strerror(errno));
	else if (w->own && rc != TRACE_OK)
		fclose(w->f);
	w->own = 0;
	deflateEnd(&w->z);
	free(w->ix);
	free(w->path);
	free(w);
	return rc;
}

void trace_writer_abort(trace_writer *w)
{
	if (!w)
		return;
	deflateEnd(&w->z);
	if (w->own)
		fclose(w->f);
	free(w->ix);
	free(w->path);
	free(w);
}

uint64_t trace_writer_bytes(const trace_writer *w) { return w->out_bytes; }
