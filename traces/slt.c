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
	int prefetch_as_p;   /* decoder: the caller takes TRACE_P (else a prefetch reads as R) */
} slt_codec;

static void codec_init(slt_codec *c, unsigned vcpu_limit)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < TRACE_MAX_VCPUS; i++)
		c->vs[i].icx = 1;
	c->vcpu_limit = vcpu_limit;
}

static inline uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t unzigzag(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }

/* ======================= decoder ======================= */

enum slt_derr {
	SLT_D_OK = 0, SLT_D_VARINT, SLT_D_EXT, SLT_D_SIZECODE, SLT_D_SIZE, SLT_D_VCPU,
	SLT_D_ASID, SLT_D_ICOUNT, SLT_D_WRAP, SLT_D_CTRL, SLT_D_INVOP, SLT_D_END,
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
 * it, or NULL with *why set. On a control END record *why = SLT_D_END and
 * *endcount holds its count; p is then past the count. */
static inline const uint8_t *decode_one(slt_codec *c, const uint8_t *p, trace_rec *rec,
					enum slt_derr *why, uint64_t *endcount,
					const uint8_t **endp)
{
	unsigned b0 = *p++;
	unsigned kind = b0 & SLT_B0_KIND_MASK;
	unsigned prefetch = 0;
	uint64_t v;

	if (unlikely(kind == SLT_B0_KIND_CTRL)) {
		if ((b0 >> SLT_B0_SIZE_SHIFT) == SLT_CTRL_INV)
			return decode_inv(c, p, rec, why, endcount);
		if ((b0 >> SLT_B0_SIZE_SHIFT) != SLT_CTRL_END) {
			*why = SLT_D_CTRL;
			return NULL;
		}
		p = get_varint(p, 10, endcount);
		*why = p ? SLT_D_END : SLT_D_VARINT;
		*endp = p;
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

typedef struct slt_reader {
	slt_codec c;
	int ended;
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
	default: what = "decode error"; break;
	}
	return trace_errf(err, errlen, code, path, "byte %llu (record %llu): %s", o, rn, what);
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
	while (v->pos == v->len && !v->eof) {
		int rc = instream_fill(r->in, err, errlen);
		if (rc != TRACE_OK)
			return rc;
	}
	if (v->pos != v->len)
		return trace_errf(err, errlen, TRACE_EFORMAT, path,
				  "byte %llu: data after the end marker",
				  (unsigned long long)(v->base + v->pos));
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
	while (n < max) {
		avail = v->len - v->pos;
		if (avail >= SLT_MAX_REC) {
			/* Fast path: decode in place while a whole record must fit. */
			const uint8_t *p = v->buf + v->pos;
			const uint8_t *lim = v->buf + v->len - SLT_MAX_REC;
			while (n < max && p <= lim) {
				const uint8_t *q = decode_one(&st->c, p, &buf[n], &why, &val, &endp);
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
					  "truncated: stream ends at byte %llu after %llu records "
					  "without the end marker",
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
	if (why != SLT_D_END) {
		int rc = derr_msg(r, why, val, v->base + v->pos, r->nrec + n, err, errlen);
		if (src == pad) {   /* the zero padding may be what failed to decode */
			size_t l = strlen(err);
			snprintf(err + l, errlen - l, " (or the stream is truncated there)");
		}
		return rc;
	}
	{
		int rc = finish_end(r, src, endp, avail, val, r->nrec + n, err, errlen);
		if (rc != TRACE_OK)
			return rc;
	}
	st->ended = 1;
	return (int)n;
}

static void slt_destroy(trace_reader *r)
{
	free(r->priv);
}

static const trace_backend slt_backend = { slt_read, slt_destroy, NULL };

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
	if (flags & TRACE_F_MUST_MASK)
		return trace_errf(err, errlen, TRACE_EVERSION, path,
				  "byte 6: unknown required flags 0x%04x (written by a newer "
				  "slatsim?)", flags & TRACE_F_MUST_MASK);
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
	slt_reader *st = malloc(sizeof(*st));
	if (!st)
		return trace_errf(err, errlen, TRACE_EIO, path, "out of memory");
	codec_init(&st->c, vcpus ? vcpus : TRACE_MAX_VCPUS);
	st->c.prefetch_as_p = (r->open_flags & TRACE_OPEN_PREFETCH) != 0;
	st->ended = 0;
	r->hdr.version = version;
	r->hdr.flags = flags;
	r->hdr.vcpus = vcpus;
	memcpy(r->hdr.desc, h + SLT_HDR_FIXED, dlen);
	r->hdr.desc[dlen] = '\0';
	v->pos += SLT_HDR_FIXED + dlen;
	r->be = &slt_backend;
	r->priv = st;
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
	w->len = 0;
	return TRACE_OK;
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
	*out = NULL;
	if (h->vcpus > TRACE_MAX_VCPUS)
		return trace_errf(err, errlen, TRACE_EFORMAT, path, "vCPU count %u above %u",
				  h->vcpus, TRACE_MAX_VCPUS);
	trace_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return trace_errf(err, errlen, TRACE_EIO, path, "out of memory");
	w->path = strdup(strcmp(path, "-") == 0 ? "<stdout>" : path);
	if (strcmp(path, "-") == 0) {
		w->f = stdout;
	} else {
		w->f = fopen(path, "wb");
		w->own = 1;
	}
	if (!w->f || !w->path) {
		int e = errno;
		free(w->path);
		free(w);
		return trace_errf(err, errlen, TRACE_EIO, path, "cannot create: %s", strerror(e));
	}
	if (deflateInit2(&w->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		trace_writer_abort(w);
		return trace_errf(err, errlen, TRACE_EIO, path, "zlib init failed");
	}
	codec_init(&w->c, h->vcpus ? h->vcpus : TRACE_MAX_VCPUS);
	size_t dlen = strnlen(h->desc, TRACE_MAX_DESC);
	uint8_t *p = w->buf;
	memcpy(p, SLT_MAGIC, 4);
	unsigned f16[4] = { SLT_VERSION, h->flags & 0xffu, h->vcpus, (unsigned)dlen };
	for (int i = 0; i < 4; i++) {
		p[4 + 2 * i] = (uint8_t)f16[i];
		p[5 + 2 * i] = (uint8_t)(f16[i] >> 8);
	}
	memcpy(p + SLT_HDR_FIXED, h->desc, dlen);
	w->len = SLT_HDR_FIXED + dlen;
	*out = w;
	return TRACE_OK;
}

/* An invalidation record (checked) at p; returns the byte after it. */
static uint8_t *encode_inv(uint8_t *p, const trace_rec *r)
{
	*p++ = (uint8_t)(SLT_B0_KIND_CTRL | (SLT_CTRL_INV << SLT_B0_SIZE_SHIFT));
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
	uint8_t *p = w->buf + w->len;
	*p++ = (uint8_t)(SLT_B0_KIND_CTRL | (SLT_CTRL_END << SLT_B0_SIZE_SHIFT));
	p = put_varint(p, w->nrec);
	w->len = (size_t)(p - w->buf);
	int rc = w_deflate(w, Z_FINISH, err, errlen);
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
	free(w->path);
	free(w);
}

uint64_t trace_writer_bytes(const trace_writer *w) { return w->out_bytes; }
