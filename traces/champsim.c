/*
 * traces/champsim.c - ChampSim trace importer.
 *
 * ChampSim's input_instr (inc/trace_instruction.h in ChampSim), 64 bytes,
 * little-endian, packed:
 *   0  u64 ip
 *   8  u8  is_branch
 *   9  u8  branch_taken
 *  10  u8  destination_registers[2]
 *  12  u8  source_registers[4]
 *  16  u64 destination_memory[2]
 *  32  u64 source_memory[4]
 * Each instruction gives one X record at ip, then one R per non-zero source
 * address (in order), then one W per non-zero destination address. ChampSim
 * records no access sizes: every record is taken as 8 bytes (FORMAT.md).
 * A file whose length is not a multiple of 64 is an error at the offset of
 * the partial record.
 */
#include "trace_int.h"

#include <stdlib.h>
#include <string.h>

#define CS_REC          64u
#define CS_IP           0u
#define CS_DST_MEM      16u
#define CS_SRC_MEM      32u
#define CS_NDST         2u
#define CS_NSRC         4u
#define CS_ACCESS_SIZE  8u

typedef struct champsim_reader {
	trace_rec q[1 + CS_NSRC + CS_NDST];   /* records of one instruction not yet returned */
	unsigned qpos, qlen;
} champsim_reader;

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static unsigned expand(const uint8_t *ins, trace_rec *out)
{
	unsigned k = 0;
	trace_rec base = { .size = CS_ACCESS_SIZE };
	out[k] = base;
	out[k].gva = rd64(ins + CS_IP);
	out[k].kind = TRACE_X;
	out[k].icount = 1;
	k++;
	for (unsigned i = 0; i < CS_NSRC; i++) {
		uint64_t a = rd64(ins + CS_SRC_MEM + 8 * i);
		if (a) {
			out[k] = base;
			out[k].gva = a;
			out[k].kind = TRACE_R;
			k++;
		}
	}
	for (unsigned i = 0; i < CS_NDST; i++) {
		uint64_t a = rd64(ins + CS_DST_MEM + 8 * i);
		if (a) {
			out[k] = base;
			out[k].gva = a;
			out[k].kind = TRACE_W;
			k++;
		}
	}
	return k;
}

static int champsim_read(trace_reader *r, trace_rec *buf, size_t max, char *err, size_t errlen)
{
	champsim_reader *st = r->priv;
	struct instream_view *v = instream_view(r->in);
	size_t n = 0;
	for (;;) {
		while (st->qpos < st->qlen && n < max)
			buf[n++] = st->q[st->qpos++];
		if (n == max)
			break;
		if (v->len - v->pos < CS_REC) {
			if (!v->eof) {
				int rc = instream_fill(r->in, err, errlen);
				if (rc != TRACE_OK)
					return rc;
				continue;
			}
			if (v->len != v->pos)
				return trace_errf(err, errlen, TRACE_EFORMAT, instream_path(r->in),
						  "truncated ChampSim record at byte %llu (%zu of %u "
						  "bytes)", (unsigned long long)(v->base + v->pos),
						  v->len - v->pos, CS_REC);
			break;
		}
		const uint8_t *ins = v->buf + v->pos;
		trace_rec tmp[1 + CS_NSRC + CS_NDST];
		unsigned k = expand(ins, tmp);
		for (unsigned i = 0; i < k; i++) {
			char why[160];
			if (trace_rec_check(&tmp[i], 1, why, sizeof(why)) != 0)
				return trace_errf(err, errlen, TRACE_EFORMAT, instream_path(r->in),
						  "byte %llu (instruction %llu): %s",
						  (unsigned long long)(v->base + v->pos),
						  (unsigned long long)((v->base + v->pos) / CS_REC), why);
		}
		v->pos += CS_REC;
		if (max - n >= k) {
			memcpy(buf + n, tmp, k * sizeof(*tmp));
			n += k;
		} else {
			memcpy(st->q, tmp, k * sizeof(*tmp));
			st->qpos = 0;
			st->qlen = k;
		}
	}
	return (int)n;
}

static const trace_backend champsim_backend = { .read = champsim_read,
						      .destroy = trace_free_priv };

int champsim_reader_init(trace_reader *r, char *err, size_t errlen)
{
	champsim_reader *st = calloc(1, sizeof(*st));
	if (!st)
		return trace_oom(err, errlen, instream_path(r->in));
	r->hdr.vcpus = 1;
	r->hdr.flags = TRACE_F_ICOUNT_EXACT;
	snprintf(r->hdr.desc, sizeof(r->hdr.desc), "ChampSim trace");
	r->be = &champsim_backend;
	r->priv = st;
	return TRACE_OK;
}
