/*
 * traces/text.c - plain text traces, for hand-written and test traces.
 *
 * One access per line:  vcpu kind gva size [asid [icount]]
 *   vcpu    decimal, below TRACE_MAX_VCPUS
 *   kind    R (read), W (write) or X (instruction fetch); P, PW or PI for a
 *           software prefetch (read intent, write intent, instruction)
 *   gva     hexadecimal, with or without 0x
 *   size    decimal bytes, 0..TRACE_MAX_SIZE (0: a zero-size access, e.g.
 *           DynamoRIO's for xsavec/xrstor: it names the page of gva)
 *   asid    decimal (default 0)
 *   icount  decimal instructions retired since the vCPU's previous record
 *           (default 1 for X, 0 for R/W)
 * An invalidation is a line  vcpu I op [gva] [asid]:
 *   op      all | asid | va, with ".is" appended for a broadcast to every
 *           vCPU of the VM (see trace.h); 'asid' takes the ASID, 'va' the
 *           hexadecimal address and then the ASID (default 0)
 * Fields are separated by spaces or tabs; '#' starts a comment; blank lines
 * are ignored.
 */
#include "trace_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct text_reader {
	uint64_t lineno;
} text_reader;

static void skip_ws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

static int at_field_end(const char *p, const char *end)
{
	return p == end || *p == ' ' || *p == '\t';
}

/* The rest of an invalidation line after "vcpu I" into REC; 0, or -1 with
 * a message in WHY. */
static int parse_inv(const char *p, const char *end, trace_rec *rec, char *why, size_t whylen)
{
	static const char *const ops[] = { "all", "asid", "va" };
	const char *w = p;
	while (p < end && !at_field_end(p, end))
		p++;
	size_t len = (size_t)(p - w);
	unsigned op = 3;
	int bcast = len > 3 && memcmp(p - 3, ".is", 3) == 0;
	if (bcast)
		len -= 3;
	for (unsigned k = 0; k < 3; k++)
		if (len == strlen(ops[k]) && memcmp(w, ops[k], len) == 0)
			op = k;
	if (op == 3) {
		snprintf(why, whylen, "expected an invalidation op all, asid or va (.is to "
			 "broadcast)");
		return -1;
	}
	uint64_t gva = 0, asid = 0;
	skip_ws(&p, end);
	if (op == TRACE_INV_VA) {
		if (trace_parse_hex(&p, end, &gva) != 0 || !at_field_end(p, end)) {
			snprintf(why, whylen, "invalidation by va: address does not parse as 64-bit "
				 "hexadecimal");
			return -1;
		}
		skip_ws(&p, end);
	}
	if (op != TRACE_INV_ALL && (p < end || op == TRACE_INV_ASID)) {
		if (trace_parse_dec(&p, end, &asid) != 0 || !at_field_end(p, end) ||
		    asid > 0xffff) {
			snprintf(why, whylen, "expected a decimal ASID 0..65535");
			return -1;
		}
		skip_ws(&p, end);
	}
	if (p < end) {
		snprintf(why, whylen, "unexpected text after the invalidation");
		return -1;
	}
	*rec = (trace_rec){ .gva = gva, .vcpu = rec->vcpu, .asid = (uint16_t)asid,
			    .kind = TRACE_INV, .op = (uint8_t)(op | (bcast ? TRACE_INV_BCAST : 0)) };
	return 0;
}

/* The field at F as typed (to the next blank, at most 40 bytes, control
 * bytes and bytes >= 0x80 as \xNN) for a message. */
static const char *typed(const char *f, const char *end, char *buf, size_t n)
{
	size_t k = 0;
	for (; f < end && *f != ' ' && *f != '\t' && k + 5 < n && k < 40; f++) {
		unsigned char c = (unsigned char)*f;
		if (c < 0x20 || c >= 0x7f)
			k += (size_t)snprintf(buf + k, n - k, "\\x%02x", c);
		else
			buf[k++] = (char)c;
	}
	buf[k] = '\0';
	return buf;
}

static int text_read(trace_reader *r, trace_rec *buf, size_t max, char *err, size_t errlen)
{
	text_reader *st = r->priv;
	const char *path = instream_path(r->in);
	size_t n = 0;
	while (n < max) {
		const char *line;
		size_t len;
		int rc = trace_next_line(r->in, &st->lineno, &line, &len, err, errlen);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		const char *hash = memchr(line, '#', len);
		const char *end = hash ? hash : line + len;
		const char *p = line;
		unsigned long long ln = (unsigned long long)st->lineno;
		skip_ws(&p, end);
		if (p == end)
			continue;
		uint64_t vcpu, gva, size, asid = 0, icount;
		char tb[64];
		const char *f = p;
		if (trace_parse_dec(&p, end, &vcpu) != 0 || !at_field_end(p, end))
			return trace_errf(err, errlen, TRACE_EFORMAT, path,
					  "line %llu: vcpu '%s': expected a decimal vcpu number", ln,
					  typed(f, end, tb, sizeof(tb)));
		skip_ws(&p, end);
		f = p;
		unsigned kind, pf = 0;
		if (p < end && (*p == 'P' || *p == 'p')) {
			kind = TRACE_P;
			if (end - p > 1 && (p[1] == 'W' || p[1] == 'w'))
				pf = TRACE_PF_WRITE, p++;
			else if (end - p > 1 && (p[1] == 'I' || p[1] == 'i'))
				pf = TRACE_PF_INSTR, p++;
		} else if (p < end && (*p == 'R' || *p == 'r'))
			kind = TRACE_R;
		else if (p < end && (*p == 'W' || *p == 'w'))
			kind = TRACE_W;
		else if (p < end && (*p == 'X' || *p == 'x'))
			kind = TRACE_X;
		else if (p < end && (*p == 'I' || *p == 'i'))
			kind = TRACE_INV;
		else
			return trace_errf(err, errlen, TRACE_EFORMAT, path,
					  "line %llu: kind '%s': expected access kind R, W, X, P, PW, "
					  "PI (or I)", ln, typed(f, end, tb, sizeof(tb)));
		if (kind == TRACE_INV) {
			char why[160];
			if (vcpu >= TRACE_MAX_VCPUS)
				return trace_errf(err, errlen, TRACE_EFORMAT, path,
						  "line %llu: vcpu %llu beyond the maximum %u", ln,
						  (unsigned long long)vcpu, TRACE_MAX_VCPUS - 1);
			p++;
			if (!at_field_end(p, end))
				return trace_errf(err, errlen, TRACE_EFORMAT, path,
						  "line %llu: kind '%s': expected access kind R, W, X, "
						  "P, PW, PI (or I)", ln, typed(f, end, tb, sizeof(tb)));
			skip_ws(&p, end);
			buf[n].vcpu = (uint16_t)vcpu;
			if (parse_inv(p, end, &buf[n], why, sizeof(why)) != 0)
				return trace_errf(err, errlen, TRACE_EFORMAT, path, "line %llu: %s",
						  ln, why);
			trace_note_line(r, n, st->lineno);
			n++;
			continue;
		}
		p++;
		if (!at_field_end(p, end))
			return trace_errf(err, errlen, TRACE_EFORMAT, path,
					  "line %llu: kind '%s': expected access kind R, W, X, P, PW or "
					  "PI", ln, typed(f, end, tb, sizeof(tb)));
		skip_ws(&p, end);
		f = p;
		if (trace_parse_hex(&p, end, &gva) != 0 || !at_field_end(p, end))
			return trace_errf(err, errlen, TRACE_EFORMAT, path,
					  "line %llu: address '%s' does not parse as 64-bit "
					  "hexadecimal", ln, typed(f, end, tb, sizeof(tb)));
		skip_ws(&p, end);
		f = p;
		if (trace_parse_dec(&p, end, &size) != 0 || !at_field_end(p, end))
			return trace_errf(err, errlen, TRACE_EFORMAT, path,
					  "line %llu: size '%s': expected a decimal size in bytes", ln,
					  typed(f, end, tb, sizeof(tb)));
		skip_ws(&p, end);
		icount = kind == TRACE_X ? 1 : 0;
		if (p < end) {
			f = p;
			if (trace_parse_dec(&p, end, &asid) != 0 || !at_field_end(p, end) ||
			    asid > 0xffff)
				return trace_errf(err, errlen, TRACE_EFORMAT, path,
						  "line %llu: ASID '%s': expected a decimal ASID "
						  "0..65535", ln, typed(f, end, tb, sizeof(tb)));
			skip_ws(&p, end);
		}
		if (p < end) {
			f = p;
			if (trace_parse_dec(&p, end, &icount) != 0 || !at_field_end(p, end) ||
			    icount > 0xffffffffu)
				return trace_errf(err, errlen, TRACE_EFORMAT, path,
						  "line %llu: icount '%s': expected a decimal icount "
						  "0..4294967295", ln, typed(f, end, tb, sizeof(tb)));
			skip_ws(&p, end);
		}
		if (p < end)
			return trace_errf(err, errlen, TRACE_EFORMAT, path,
					  "line %llu: unexpected text '%s' after the icount field", ln,
					  typed(p, end, tb, sizeof(tb)));
		if (size > TRACE_MAX_SIZE)
			return trace_errf(err, errlen, TRACE_EFORMAT, path,
					  "line %llu: access size %llu out of range 0..%u", ln,
					  (unsigned long long)size, TRACE_MAX_SIZE);
		if (vcpu >= TRACE_MAX_VCPUS)
			return trace_errf(err, errlen, TRACE_EFORMAT, path,
					  "line %llu: vcpu %llu beyond the maximum %u", ln,
					  (unsigned long long)vcpu, TRACE_MAX_VCPUS - 1);
		trace_rec *rec = &buf[n];
		rec->gva = gva;
		rec->size = (uint16_t)size;
		rec->kind = (uint8_t)kind;
		rec->vcpu = (uint16_t)vcpu;
		rec->asid = (uint16_t)asid;
		rec->icount = (uint32_t)icount;
		rec->op = 0;
		if (kind == TRACE_P)
			trace_set_prefetch(r, rec, pf);
		char why[160];
		if (trace_rec_check(rec, TRACE_MAX_VCPUS, why, sizeof(why)) != 0)
			return trace_errf(err, errlen, TRACE_EFORMAT, path, "line %llu: %s", ln, why);
		trace_note_line(r, n, st->lineno);
		n++;
	}
	return (int)n;
}

static const trace_backend text_backend = { .read = text_read,
						  .destroy = trace_free_priv };

int text_reader_init(trace_reader *r, char *err, size_t errlen)
{
	int rc = trace_text_open_check(r->in, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	text_reader *st = calloc(1, sizeof(*st));
	if (!st)
		return trace_oom(err, errlen, instream_path(r->in));
	r->hdr.vcpus = 0;   /* not declared: vcpu ids below TRACE_MAX_VCPUS */
	snprintf(r->hdr.desc, sizeof(r->hdr.desc), "plain text trace");
	r->be = &text_backend;
	r->priv = st;
	r->line_based = 1;
	return TRACE_OK;
}
