/*
 * traces/lackey.c - valgrind lackey importer.
 *
 * Input is what `valgrind --tool=lackey --trace-mem=yes` prints:
 *   "I  04016e0,3"     instruction fetch   -> one X record, icount 1
 *   " L 1ffefffd78,8"  data load           -> R, icount 0
 *   " S 1ffefffd78,8"  data store          -> W, icount 0
 *   " M 0421c90,4"     data modify         -> R then W, same address and size
 * Lines starting "==" (valgrind's own messages) and blank lines are skipped;
 * any other line is an error naming its line number. Lackey traces one
 * process, so every record is vcpu 0, asid 0.
 */
#include "trace_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct lackey_reader {
	uint64_t lineno;
	int pending;         /* an M line's W half not yet returned */
	trace_rec pend;
	uint64_t pend_line;
} lackey_reader;

static int bad_line(trace_reader *r, uint64_t lineno, const char *line, size_t len,
		    const char *why, char *err, size_t errlen)
{
	char cut[61], shown[256];
	size_t k = len > 60 ? 60 : len;
	memcpy(cut, line, k);
	cut[k] = '\0';   /* (the line holds no NUL: trace_next_line refuses one) */
	return trace_errf(err, errlen, TRACE_EFORMAT, instream_path(r->in),
			  "line %llu: %s: '%s%s'", (unsigned long long)lineno, why,
			  text_shown(cut, shown, sizeof(shown)), len > 60 ? "..." : "");
}

static int lackey_read(trace_reader *r, trace_rec *buf, size_t max, char *err, size_t errlen)
{
	lackey_reader *st = r->priv;
	size_t n = 0;
	if (st->pending && n < max) {
		trace_note_line(r, n, st->pend_line);
		buf[n++] = st->pend;
		st->pending = 0;
	}
	while (n < max) {
		const char *line;
		size_t len;
		int rc = trace_next_line(r->in, &st->lineno, &line, &len, err, errlen);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		const char *p = line, *end = line + len;
		unsigned kind;
		char op;
		if (len >= 2 && line[0] == '=' && line[1] == '=')
			continue;
		if (len == 0)
			continue;
		if (line[0] == 'I') {
			op = 'I';
			kind = TRACE_X;
			p++;
		} else if (line[0] == ' ' && len > 1 &&
			   (line[1] == 'L' || line[1] == 'S' || line[1] == 'M')) {
			op = line[1];
			kind = op == 'S' ? TRACE_W : TRACE_R;
			p += 2;
		} else {
			return bad_line(r, st->lineno, line, len, "not a lackey trace line", err,
					errlen);
		}
		if (p == end || *p != ' ')
			return bad_line(r, st->lineno, line, len, "not a lackey trace line", err,
					errlen);
		while (p < end && *p == ' ')
			p++;
		uint64_t addr, size;
		if (trace_parse_hex(&p, end, &addr) != 0)
			return bad_line(r, st->lineno, line, len, "bad address", err, errlen);
		if (p == end || *p != ',')
			return bad_line(r, st->lineno, line, len, "expected ',size'", err, errlen);
		p++;
		if (trace_parse_dec(&p, end, &size) != 0)
			return bad_line(r, st->lineno, line, len, "bad size", err, errlen);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p != end)
			return bad_line(r, st->lineno, line, len, "trailing characters", err,
					errlen);
		trace_rec *rec = &buf[n];
		rec->gva = addr;
		rec->size = size > TRACE_MAX_SIZE ? TRACE_MAX_SIZE : (uint16_t)size;
		rec->kind = (uint8_t)kind;
		rec->vcpu = 0;
		rec->asid = 0;
		rec->op = 0;
		rec->icount = kind == TRACE_X ? 1 : 0;
		char why[160];
		if (size > TRACE_MAX_SIZE || trace_rec_check(rec, 1, why, sizeof(why))) {
			if (size > TRACE_MAX_SIZE)
				snprintf(why, sizeof(why), "access size %llu out of range 0..%u",
					 (unsigned long long)size, TRACE_MAX_SIZE);
			return bad_line(r, st->lineno, line, len, why, err, errlen);
		}
		trace_note_line(r, n++, st->lineno);
		if (op == 'M') {
			trace_rec w = *rec;
			w.kind = TRACE_W;
			if (n < max) {
				trace_note_line(r, n, st->lineno);
				buf[n++] = w;
			} else {
				st->pend = w;
				st->pend_line = st->lineno;
				st->pending = 1;
			}
		}
	}
	return (int)n;
}

static const trace_backend lackey_backend = { .read = lackey_read,
						    .destroy = trace_free_priv };

int lackey_reader_init(trace_reader *r, char *err, size_t errlen)
{
	int rc = trace_text_open_check(r->in, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	lackey_reader *st = calloc(1, sizeof(*st));
	if (!st)
		return trace_oom(err, errlen, instream_path(r->in));
	r->hdr.vcpus = 1;
	r->hdr.flags = TRACE_F_ICOUNT_EXACT;
	snprintf(r->hdr.desc, sizeof(r->hdr.desc), "valgrind lackey capture");
	r->be = &lackey_backend;
	r->priv = st;
	r->line_based = 1;
	return TRACE_OK;
}
