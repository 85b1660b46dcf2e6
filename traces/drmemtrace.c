/*
 * traces/drmemtrace.c - DynamoRIO drmemtrace (drcachesim) offline traces,
 * the format of Google's public workload traces.
 *
 * Input: a trace directory (DIR/trace/ if it exists, else DIR itself) whose
 * per-thread files are named *.trace, *.trace.gz, *.trace.zlib or
 * *.trace.zip (drraw2trace's "drmemtrace.APP.TID.N.trace.EXT"; the schedule
 * files cpu_schedule.bin.zip and serial_schedule.bin.gz beside them are not
 * threads, other files are not read, and a *.trace.lz4 is refused), or one
 * per-thread file (a path or
 * standard input). The container is recognised from the content: a zip
 * archive (libzip; its members chunk.NNNNNNNN are read in the order of their
 * numbers, each a whole number of records), gzip, zlib or plain.
 *
 * Records are DynamoRIO's trace_entry_t of a 64-bit trace: 12 bytes,
 * little-endian {u16 type, u16 size, u64 addr}. The type and marker numbers
 * below are DynamoRIO's clients/drcachesim/common/trace_entry.h
 * (trace_type_t, trace_marker_type_t, offline_file_type_t, trace_version_t;
 * checked against the header at commit 4f0e90ba and its trace_type_names[] /
 * trace_marker_names[] in trace_entry.cpp) and, for version 7
 * (TRACE_ENTRY_VERSION_RETIRED_INSTRUCTIONS_ONLY), DynamoRIO PR #7156.
 *
 * What becomes a record (FORMAT.md "DynamoRIO drmemtrace"):
 *   - every instruction-fetch type (INSTR, the branch kinds, SYSENTER,
 *     TAKEN/UNTAKEN_JUMP, MAYBE_FETCH) -> X of the instruction's length at its
 *     PC; an INSTR_BUNDLE (versions before encodings) -> one X per length it
 *     holds, each at the previous instruction's PC plus its length;
 *   - INSTR_NO_FETCH (a rep-string iteration) is an instruction retired but no
 *     access: it adds 1 to the icount of the thread's next record;
 *   - READ / WRITE -> R / W (size 0 included: DynamoRIO records zero-size
 *     references, e.g. for xsavec); the software PREFETCH* types -> TRACE_P of
 *     their flavour (read, write, instruction); an access larger than 4096
 *     bytes becomes consecutive records of at most 4096 bytes;
 *   - ENCODING, markers, THREAD, THREAD_EXIT, PID, the cache-flush types and
 *     HARDWARE_PREFETCH (a simulator's, not the program's) are no access.
 * icount: 1 for a fetch, 0 for data, plus the non-fetched instructions
 * before it. Threads become vCPUs 0..N-1 in the order of their file names;
 * a thread's PID becomes the ASID (the low 16 bits; two processes whose PIDs
 * share them are refused). Threads are interleaved as the capture ran: the
 * records of each thread are cut at its TIMESTAMP markers, and the reader
 * always continues with the thread whose pending piece has the smallest
 * timestamp (ties: the lower vCPU), as drcachesim's serial schedule does.
 *
 * Refused, with the file, the member and the record offset: a damaged zip
 * archive or member (CRC), a truncated member or file (a partial record, or
 * no FOOTER), an undefined record type, a 32-bit trace (8-byte records, or a
 * FILETYPE marker saying x86-32 or ARM32), a version outside 2..7, data after
 * the FOOTER; a zip archive whose members are not chunk.00000000 on without
 * a gap, each but the last ending with its own CHUNK_FOOTER (zip_start); a
 * per-thread file of a directory that is not a regular file (a FIFO would
 * block the reader, a device feed it for ever: thread_open_file); a zip on
 * a pipe or standard input (its directory is at its end).
 */
#include "trace_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

/* ---- trace_entry.h: trace_type_t ---- */
enum {
	DR_READ = 0, DR_WRITE = 1,
	DR_PREFETCH = 2,                  /* 2..9: PREFETCH, PREFETCHT0/T1/T2 (READ_L1..L3), */
	DR_PREFETCHNTA = 6,               /*   PREFETCHNTA, PREFETCH_READ, PREFETCH_WRITE,     */
	DR_PREFETCH_READ = 7,             /*   PREFETCH_INSTR                                  */
	DR_PREFETCH_WRITE = 8,
	DR_PREFETCH_INSTR = 9,
	DR_INSTR = 10,                    /* 10..16: INSTR, DIRECT/INDIRECT_JUMP, */
	DR_INSTR_RETURN = 16,             /*   CONDITIONAL_JUMP, DIRECT/INDIRECT_CALL, RETURN */
	DR_INSTR_BUNDLE = 17,
	DR_INSTR_FLUSH = 18, DR_INSTR_FLUSH_END = 19, DR_DATA_FLUSH = 20, DR_DATA_FLUSH_END = 21,
	DR_THREAD = 22, DR_THREAD_EXIT = 23, DR_PID = 24, DR_HEADER = 25, DR_FOOTER = 26,
	DR_HARDWARE_PREFETCH = 27, DR_MARKER = 28, DR_INSTR_NO_FETCH = 29,
	DR_INSTR_MAYBE_FETCH = 30, DR_INSTR_SYSENTER = 31,
	DR_PREFETCH_READ_L1_NT = 32,      /* 32..34: READ_L1..L3_NT */
	DR_PREFETCH_INSTR_L1 = 35,        /* 35..40: INSTR_L1, _L1_NT .. _L3_NT */
	DR_PREFETCH_WRITE_L1 = 41,        /* 41..46: WRITE_L1, _L1_NT .. _L3_NT */
	DR_PREFETCH_WRITE_L3_NT = 46,
	DR_ENCODING = 47, DR_INSTR_TAKEN_JUMP = 48, DR_INSTR_UNTAKEN_JUMP = 49,
	DR_TYPE_LAST = 49,
};

/* ---- trace_entry.h: trace_marker_type_t (the ones this reader uses) ---- */
enum {
	DR_MARK_TIMESTAMP = 2, DR_MARK_FILETYPE = 9, DR_MARK_VERSION = 12, DR_MARK_PAGE_SIZE = 18,
	DR_MARK_CHUNK_FOOTER = 21,   /* value: the ordinal of the zip member it ends */
};

/* ---- trace_entry.h: offline_file_type_t architecture bits ---- */
#define DR_FT_ARCH_AARCH64  0x08u
#define DR_FT_ARCH_ARM32    0x10u
#define DR_FT_ARCH_X86_32   0x20u
#define DR_FT_ARCH_X86_64   0x40u

/* ---- trace_version_t ---- */
#define DR_VERSION_MIN 2u   /* TRACE_ENTRY_VERSION_NO_KERNEL_PC */
#define DR_VERSION_MAX 7u   /* TRACE_ENTRY_VERSION_RETIRED_INSTRUCTIONS_ONLY */

#define DR_REC        12u          /* sizeof(trace_entry_t), 64-bit, packed */
#define DR_ZBUF       (5461u * DR_REC)   /* 64 KB of whole records from a zip member */
#define DR_WINDOW     (64u << 10)  /* window of a gzip/zlib/plain thread file */
#define DR_QUEUE      16u          /* records of one trace entry not yet returned */
#define DR_BUNDLE_MAX 8u           /* lengths in an INSTR_BUNDLE: sizeof(addr_t) */

typedef struct dr_member {
	uint64_t chunk;      /* NNNNNNNN of chunk.NNNNNNNN */
	zip_uint64_t index;
} dr_member;

typedef struct dr_thread {
	char *path;
	/* source: an instream (gzip, zlib, xz, plain) or a zip archive */
	instream *in;
	zip_t *za;
	dr_member *members;
	size_t nmembers, cur_member;
	zip_file_t *zf;
	uint64_t zip_done_bytes, zip_total_bytes;   /* compressed, for progress */
	uint8_t *zbuf;
	size_t zpos, zlen;
	int member_eof;
	/* position */
	const uint8_t *p, *end;   /* unread whole bytes of the current window */
	uint64_t off;             /* byte offset of p in the file or member */
	int started;              /* the HEADER record was read */
	int footer;               /* the FOOTER was read: the thread is done */
	int chunk_end;            /* the last record read was a CHUNK_FOOTER */
	/* decoding state */
	unsigned vcpu;
	uint16_t asid;
	uint64_t pid;
	int have_pid;
	uint64_t version, filetype, page_size;
	uint64_t ts;              /* timestamp of the piece to be returned next */
	uint32_t pending_icount;  /* non-fetched instructions since the last record */
	uint64_t last_pc;         /* previous instruction, for INSTR_BUNDLE */
	unsigned last_len;
	int have_pc;
	trace_rec q[DR_QUEUE];
	unsigned qpos, qlen;
} dr_thread;

typedef struct dr_reader {
	dr_thread *t;
	size_t nthreads;
	dr_thread *cur;           /* thread being returned until its next TIMESTAMP */
	int as_p;                 /* the caller takes TRACE_P */
	uint64_t nonfetched;      /* INSTR_NO_FETCH records read */
} dr_reader;

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* ======================= errors ======================= */

/* "FILE: member chunk.N: record K (byte B): WHAT" (no member for other
 * containers). */
__attribute__((format(printf, 4, 5)))
static int t_err(const dr_thread *t, char *err, size_t errlen, const char *fmt, ...)
{
	char what[256], where[96] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (t->za && t->cur_member < t->nmembers)
		snprintf(where, sizeof(where), "member chunk.%08llu: ",
			 (unsigned long long)t->members[t->cur_member].chunk);
	return trace_errf(err, errlen, TRACE_EFORMAT, t->path, "%srecord %llu (byte %llu): %s",
			  where, (unsigned long long)(t->off / DR_REC),
			  (unsigned long long)t->off, what);
}

/* ======================= byte sources ======================= */

static int zip_errf(const dr_thread *t, char *err, size_t errlen, const char *what,
		    zip_error_t *ze)
{
	return t_err(t, err, errlen, "damaged zip member: %s: %s", what, zip_error_strerror(ze));
}

static int cmp_member(const void *a, const void *b)
{
	const dr_member *x = a, *y = b;
	return x->chunk < y->chunk ? -1 : x->chunk > y->chunk;
}

/* T's zip archive ZA (NULL: it did not open, with ZE saying why): list its
 * chunk members in order. A capture numbers them chunk.00000000,
 * chunk.00000001, ... without a gap; each but the last ends with a
 * CHUNK_FOOTER marker of its own number, and the last with the thread's
 * FOOTER (thread_step, thread_more): a member lost, or taken from another
 * capture, is refused by name rather than replayed around. */
static int zip_start(dr_thread *t, zip_t *za, zip_error_t *ze, char *err, size_t errlen)
{
	t->za = za;
	if (!t->za)
		return trace_errf(err, errlen, TRACE_EFORMAT, t->path, "damaged zip archive: %s",
				  zip_error_strerror(ze));
	zip_int64_t n = zip_get_num_entries(t->za, 0);
	if (n <= 0)
		return trace_errf(err, errlen, TRACE_EFORMAT, t->path,
				  "zip archive without members (expected chunk.00000000, ...)");
	t->members = calloc((size_t)n, sizeof(*t->members));
	t->zbuf = malloc(DR_ZBUF);
	if (!t->members || !t->zbuf)
		return trace_errf(err, errlen, TRACE_ENOMEM, t->path, "out of memory (trace reader)");
	for (zip_int64_t i = 0; i < n; i++) {
		const char *name = zip_get_name(t->za, (zip_uint64_t)i, 0);
		const char *d = name && strncmp(name, "chunk.", 6) == 0 ? name + 6 : NULL;
		uint64_t num = 0;
		if (d && trace_parse_dec(&d, d + strlen(d), &num) == 0 && *d == '\0') {
			t->members[i] = (dr_member){ .chunk = num, .index = (zip_uint64_t)i };
		} else {
			char shown[96];
			return trace_errf(err, errlen, TRACE_EFORMAT, t->path,
					  "zip member %lld is '%s', not a drmemtrace chunk "
					  "(chunk.NNNNNNNN)", (long long)i,
					  text_shown(name ? name : "?", shown, sizeof(shown)));
		}
		zip_stat_t st;
		if (zip_stat_index(t->za, (zip_uint64_t)i, 0, &st) == 0 &&
		    (st.valid & ZIP_STAT_COMP_SIZE))
			t->zip_total_bytes += st.comp_size;
	}
	t->nmembers = (size_t)n;
	qsort(t->members, t->nmembers, sizeof(*t->members), cmp_member);
	for (size_t i = 1; i < t->nmembers; i++)
		if (t->members[i].chunk == t->members[i - 1].chunk)
			return trace_errf(err, errlen, TRACE_EFORMAT, t->path,
					  "zip archive holds chunk.%08llu twice",
					  (unsigned long long)t->members[i].chunk);
	for (size_t i = 0; i < t->nmembers; i++)
		if (t->members[i].chunk != i)
			return trace_errf(err, errlen, TRACE_EFORMAT, t->path,
					  "member chunk.%08zu is missing: the archive holds %zu "
					  "member%s, chunk.%08llu to chunk.%08llu, and a capture's "
					  "are numbered from chunk.00000000 without a gap", i,
					  t->nmembers, t->nmembers == 1 ? "" : "s",
					  (unsigned long long)t->members[0].chunk,
					  (unsigned long long)t->members[t->nmembers - 1].chunk);
	t->cur_member = 0;
	t->zf = zip_fopen_index(t->za, t->members[0].index, 0);
	if (!t->zf)
		return zip_errf(t, err, errlen, "cannot open", zip_get_error(t->za));
	t->p = t->end = t->zbuf;
	return TRACE_OK;
}

/* Make at least one whole record readable at t->p. Returns 1 when there is
 * one, 0 at the end of the thread's bytes, or a negative error. A container
 * unit (a zip member, the file) that ends inside a record is an error. */
static int thread_more(dr_thread *t, char *err, size_t errlen)
{
	if (t->end - t->p >= (ptrdiff_t)DR_REC)
		return 1;
	if (t->in) {
		struct instream_view *v = instream_view(t->in);
		v->pos = (size_t)(t->p - v->buf);
		if (!v->eof) {
			int rc = instream_fill(t->in, err, errlen);
			if (rc != TRACE_OK)
				return rc;
		}
		t->p = v->buf + v->pos;
		t->end = v->buf + v->len;
		if (t->end - t->p >= (ptrdiff_t)DR_REC)
			return 1;
		if (t->end != t->p)
			return t_err(t, err, errlen, "the file ends inside a record (%zu of %u "
				     "bytes): truncated", (size_t)(t->end - t->p), DR_REC);
		return 0;
	}
	for (;;) {
		size_t left = (size_t)(t->end - t->p);
		memmove(t->zbuf, t->p, left);
		t->p = t->zbuf;
		t->end = t->zbuf + left;
		if (!t->member_eof) {
			zip_int64_t k = zip_fread(t->zf, t->zbuf + left, DR_ZBUF - left);
			if (k < 0)
				return zip_errf(t, err, errlen, "cannot read",
						zip_file_get_error(t->zf));
			if (k == 0)
				t->member_eof = 1;
			t->end += k;
			if (t->end - t->p >= (ptrdiff_t)DR_REC)
				return 1;
			continue;
		}
		if (left)
			return t_err(t, err, errlen, "the member ends inside a record (%zu of %u "
				     "bytes): truncated", left, DR_REC);
		/* DynamoRIO's own reader refuses a member that ends otherwise
		 * (zipfile_file_reader: "Chunk is missing footer: truncation
		 * detected"). */
		int last = t->cur_member + 1 == t->nmembers;
		if (!last && !t->chunk_end)
			return t_err(t, err, errlen, "the member ends without its CHUNK_FOOTER "
				     "marker (a capture ends every member but the last with "
				     "one): cut short, or not this capture's");
		if (last && t->chunk_end)
			return t_err(t, err, errlen, "the archive's last member ends with a "
				     "CHUNK_FOOTER marker, which a capture writes only when "
				     "another member follows: chunk.%08zu and on are missing",
				     t->cur_member + 1);
		/* Next member: its records are numbered from 0. */
		zip_stat_t st;
		if (zip_stat_index(t->za, t->members[t->cur_member].index, 0, &st) == 0 &&
		    (st.valid & ZIP_STAT_COMP_SIZE))
			t->zip_done_bytes += st.comp_size;
		zip_fclose(t->zf);
		t->zf = NULL;
		if (++t->cur_member == t->nmembers)
			return 0;
		t->zf = zip_fopen_index(t->za, t->members[t->cur_member].index, 0);
		if (!t->zf)
			return zip_errf(t, err, errlen, "cannot open", zip_get_error(t->za));
		t->member_eof = 0;
		t->off = 0;
	}
}

/* ======================= records ======================= */

static int is_fetch(unsigned type)
{
	return (type >= DR_INSTR && type <= DR_INSTR_RETURN) || type == DR_INSTR_SYSENTER ||
	       type == DR_INSTR_MAYBE_FETCH || type == DR_INSTR_TAKEN_JUMP ||
	       type == DR_INSTR_UNTAKEN_JUMP;
}

/* The flavour of a software prefetch type, or -1 if TYPE is none. */
static int prefetch_flavour(unsigned type)
{
	if ((type >= DR_PREFETCH && type <= DR_PREFETCH_READ) ||
	    (type >= DR_PREFETCH_READ_L1_NT && type < DR_PREFETCH_INSTR_L1))
		return TRACE_PF_READ;
	if (type == DR_PREFETCH_WRITE ||
	    (type >= DR_PREFETCH_WRITE_L1 && type <= DR_PREFETCH_WRITE_L3_NT))
		return TRACE_PF_WRITE;
	if (type == DR_PREFETCH_INSTR ||
	    (type >= DR_PREFETCH_INSTR_L1 && type < DR_PREFETCH_WRITE_L1))
		return TRACE_PF_INSTR;
	return -1;
}

/* Queue one access of T (kind, flavour) at ADDR of SIZE bytes, split into
 * records of at most TRACE_MAX_SIZE bytes. */
static int queue_access(dr_reader *d, dr_thread *t, unsigned kind, int pf, uint64_t addr,
			unsigned size, char *err, size_t errlen)
{
	if (size && addr + (size - 1u) < addr)
		return t_err(t, err, errlen, "access at 0x%llx of %u bytes wraps past the top "
			     "of the address space", (unsigned long long)addr, size);
	do {
		unsigned piece = size > TRACE_MAX_SIZE ? TRACE_MAX_SIZE : size;
		trace_rec *q = &t->q[t->qlen++];
		*q = (trace_rec){ .gva = addr, .vcpu = (uint16_t)t->vcpu, .asid = t->asid,
				  .size = (uint16_t)piece, .kind = (uint8_t)kind,
				  .icount = t->pending_icount + (kind == TRACE_X) };
		t->pending_icount = 0;
		if (pf >= 0) {
			q->kind = d->as_p ? TRACE_P : TRACE_R;
			q->op = d->as_p ? (uint8_t)pf : 0;
		}
		addr += piece;
		size -= piece;
	} while (size && t->qlen < DR_QUEUE);
	if (size)   /* larger than DR_QUEUE * 4096 bytes: size is a u16 */
		return t_err(t, err, errlen, "access of more than %u bytes",
			     DR_QUEUE * TRACE_MAX_SIZE);
	return TRACE_OK;
}

static int pid_to_asid(dr_reader *d, dr_thread *t, uint64_t pid, char *err, size_t errlen)
{
	uint16_t asid = (uint16_t)pid;
	for (size_t i = 0; i < d->nthreads; i++) {
		const dr_thread *o = &d->t[i];
		if (o != t && o->have_pid && o->pid != pid && o->asid == asid)
			return t_err(t, err, errlen, "PID %llu and PID %llu (%s) share their low "
				     "16 bits, the ASID", (unsigned long long)pid,
				     (unsigned long long)o->pid, o->path);
	}
	t->pid = pid;
	t->asid = asid;
	t->have_pid = 1;
	return TRACE_OK;
}

static int check_header(dr_thread *t, unsigned type, uint64_t addr, char *err, size_t errlen)
{
	if (type != DR_HEADER)
		return t_err(t, err, errlen, "not a drmemtrace file: the first record has type "
			     "%u, not the header (%u)", type, DR_HEADER);
	/* A 32-bit trace's records are 8 bytes: the second record's type and
	 * size (MARKER, VERSION) then sit in the high half of this addr. */
	if ((addr >> 32) == ((uint64_t)DR_MARK_VERSION << 16 | DR_MARKER))
		return t_err(t, err, errlen, "a 32-bit trace (8-byte records): only 64-bit "
			     "traces are read");
	if (addr < DR_VERSION_MIN || addr > DR_VERSION_MAX) {
		t_err(t, err, errlen, "trace version %llu: this reader reads versions %u..%u",
		      (unsigned long long)addr, DR_VERSION_MIN, DR_VERSION_MAX);
		return TRACE_EVERSION;
	}
	t->version = addr;
	t->started = 1;
	return TRACE_OK;
}

/* Decode T's records into its queue until the queue holds something, a
 * TIMESTAMP marker ends the current piece (*cut = 1; the marker is
 * consumed and its value kept), or the thread ends. Returns TRACE_OK or an
 * error. With STOP_AT_ACCESS (opening), stop before the first access-making
 * record instead of decoding it. */
static int thread_step(dr_reader *d, dr_thread *t, int *cut, int stop_at_access,
		       char *err, size_t errlen)
{
	*cut = 0;
	while (t->qlen == 0 && !t->footer) {
		int rc = thread_more(t, err, errlen);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return t_err(t, err, errlen, "the thread's records end without the footer "
				     "record: truncated");
		const uint8_t *e = t->p;
		unsigned type = rd16(e), size = rd16(e + 2);
		uint64_t addr = rd64(e + 4);
		t->chunk_end = 0;
		if (!t->started) {
			if ((rc = check_header(t, type, addr, err, errlen)) != TRACE_OK)
				return rc;
			goto next;
		}
		int pf = prefetch_flavour(type);
		if (stop_at_access && (is_fetch(type) || type == DR_INSTR_BUNDLE ||
				       type == DR_READ || type == DR_WRITE || pf >= 0))
			return TRACE_OK;
		if (is_fetch(type)) {
			if ((rc = queue_access(d, t, TRACE_X, -1, addr, size, err, errlen)))
				return rc;
			t->last_pc = addr, t->last_len = size, t->have_pc = 1;
		} else if (type == DR_READ || type == DR_WRITE || pf >= 0) {
			unsigned kind = type == DR_WRITE ? TRACE_W : TRACE_R;
			if ((rc = queue_access(d, t, kind, pf, addr, size, err, errlen)))
				return rc;
		} else if (type == DR_INSTR_BUNDLE) {
			if (!t->have_pc)
				return t_err(t, err, errlen, "instruction bundle without an "
					     "instruction before it");
			if (size > DR_BUNDLE_MAX)
				return t_err(t, err, errlen, "instruction bundle of %u lengths "
					     "(at most %u)", size, DR_BUNDLE_MAX);
			for (unsigned i = 0; i < size; i++) {
				uint64_t pc = t->last_pc + t->last_len;
				unsigned len = e[4 + i];
				if ((rc = queue_access(d, t, TRACE_X, -1, pc, len, err, errlen)))
					return rc;
				t->last_pc = pc, t->last_len = len;
			}
		} else if (type == DR_INSTR_NO_FETCH) {
			t->pending_icount++;
			d->nonfetched++;
			t->last_pc = addr, t->last_len = size, t->have_pc = 1;
		} else if (type == DR_MARKER) {
			if (size == DR_MARK_TIMESTAMP) {
				t->ts = addr;
				*cut = 1;
				t->p += DR_REC;
				t->off += DR_REC;
				return TRACE_OK;
			}
			if (size == DR_MARK_FILETYPE) {
				if (addr & (DR_FT_ARCH_X86_32 | DR_FT_ARCH_ARM32))
					return t_err(t, err, errlen, "a 32-bit trace (FILETYPE 0x%llx "
						     "says %s): only 64-bit traces are read",
						     (unsigned long long)addr,
						     addr & DR_FT_ARCH_X86_32 ? "x86-32" : "ARM32");
				t->filetype = addr;
			} else if (size == DR_MARK_VERSION) {
				if (addr != t->version)
					return t_err(t, err, errlen, "VERSION marker %llu disagrees "
						     "with the header's version %llu",
						     (unsigned long long)addr,
						     (unsigned long long)t->version);
			} else if (size == DR_MARK_PAGE_SIZE) {
				t->page_size = addr;
			} else if (size == DR_MARK_CHUNK_FOOTER && t->za) {
				/* DynamoRIO's invariant_checker: "Chunks do not
				 * increase monotonically" */
				if (addr != t->members[t->cur_member].chunk)
					return t_err(t, err, errlen, "CHUNK_FOOTER marker of chunk "
						     "%llu in member chunk.%08llu: members renamed, "
						     "reordered or mixed from another capture",
						     (unsigned long long)addr,
						     (unsigned long long)t->members[t->cur_member].chunk);
				t->chunk_end = 1;
			}
			/* every other marker (CPU_ID, kernel transfers, CHUNK_FOOTER,
			 * function and syscall markers, ...) carries no access */
		} else if (type == DR_PID) {
			if ((rc = pid_to_asid(d, t, addr, err, errlen)))
				return rc;
		} else if (type == DR_FOOTER) {
			t->footer = 1;
		} else if (type == DR_HEADER) {
			return t_err(t, err, errlen, "a second header record");
		} else if (type > DR_TYPE_LAST) {
			return t_err(t, err, errlen, "undefined record type %u", type);
		}
		/* else: ENCODING, THREAD, THREAD_EXIT, flushes, HARDWARE_PREFETCH */
	next:
		t->p += DR_REC;
		t->off += DR_REC;
	}
	if (t->footer && t->qlen == 0) {
		/* Nothing may follow the footer. */
		int rc = thread_more(t, err, errlen);
		if (rc < 0)
			return rc;
		if (rc > 0)
			return t_err(t, err, errlen, "data after the footer record");
	}
	return TRACE_OK;
}

/* The thread to return next: the smallest pending timestamp, then the
 * lowest vCPU; NULL when every thread is done. */
static dr_thread *pick(dr_reader *d)
{
	dr_thread *best = NULL;
	for (size_t i = 0; i < d->nthreads; i++) {
		dr_thread *t = &d->t[i];
		if (t->footer && t->qpos == t->qlen)
			continue;
		if (!best || t->ts < best->ts)
			best = t;
	}
	return best;
}

static int dr_read(trace_reader *r, trace_rec *buf, size_t max, char *err, size_t errlen)
{
	dr_reader *d = r->priv;
	size_t n = 0;
	while (n < max) {
		dr_thread *t = d->cur;
		if (!t && !(t = d->cur = pick(d)))
			break;
		while (t->qpos < t->qlen && n < max)
			buf[n++] = t->q[t->qpos++];
		if (t->qpos < t->qlen)
			break;
		t->qpos = t->qlen = 0;
		int cut;
		int rc = thread_step(d, t, &cut, 0, err, errlen);
		if (rc < 0)
			return rc;
		if (cut || (t->footer && t->qlen == 0))
			d->cur = NULL;
	}
	return (int)n;
}

/* ======================= opening ======================= */

static void thread_close(dr_thread *t)
{
	if (t->zf)
		zip_fclose(t->zf);
	if (t->za)
		zip_discard(t->za);
	instream_close(t->in);
	free(t->members);
	free(t->zbuf);
	free(t->path);
}

static void dr_destroy(trace_reader *r)
{
	dr_reader *d = r->priv;
	if (!d)
		return;
	for (size_t i = 0; i < d->nthreads; i++)
		thread_close(&d->t[i]);
	free(d->t);
	free(d);
	r->priv = NULL;
}

static void dr_progress(const trace_reader *r, uint64_t *done, uint64_t *total)
{
	const dr_reader *d = r->priv;
	*done = *total = 0;
	for (size_t i = 0; i < d->nthreads; i++) {
		const dr_thread *t = &d->t[i];
		uint64_t a = t->zip_done_bytes, b = t->zip_total_bytes;
		if (t->in)
			instream_progress(t->in, &a, &b);
		*done += a;
		*total += b;
	}
}

static int dr_nonfetched(const trace_reader *r, uint64_t *n)
{
	*n = ((const dr_reader *)r->priv)->nonfetched;
	return 1;
}

static const trace_backend dr_backend = { .read = dr_read, .destroy = dr_destroy,
					  .progress = dr_progress,
					  .nonfetched = dr_nonfetched };

/* What a path that is not a regular file is, for a message. */
static const char *file_kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO (named pipe)" : S_ISCHR(m) ? "a character device"
	     : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket"
	     : S_ISDIR(m) ? "a directory" : "not a regular file";
}

static int is_zip_magic(const uint8_t *m, size_t n)
{
	return n >= 4 && m[0] == 'P' && m[1] == 'K' && m[2] == 3 && m[3] == 4;
}

/* Open thread file T->path: a regular file only. It is opened without
 * blocking and checked before a byte is read, so a FIFO, a device or a
 * socket named like a per-thread file (or a link to one) in a capture
 * directory is refused by name instead of hanging the reader or feeding it
 * endless bytes. */
static int thread_open_file(dr_thread *t, char *err, size_t errlen)
{
	int fd = open(t->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		int e = errno;
		if (stat(t->path, &st) == 0 && !S_ISREG(st.st_mode))
			return trace_errf(err, errlen, TRACE_EIO, t->path, "%s, not a regular "
					  "file: a per-thread trace file must be one",
					  file_kind(st.st_mode));
		return trace_errf(err, errlen, TRACE_EIO, t->path, "cannot open: %s",
				  strerror(e));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int rc = trace_errf(err, errlen, TRACE_EIO, t->path, "%s, not a regular file: a "
				    "per-thread trace file must be one", file_kind(st.st_mode));
		close(fd);
		return rc;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	uint8_t m[4];
	if (pread(fd, m, 4, 0) == 4 && is_zip_magic(m, 4)) {
		int code = 0;
		zip_t *za = zip_fdopen(fd, ZIP_RDONLY | ZIP_CHECKCONS, &code);
		if (!za)
			close(fd);   /* (zip_fdopen takes FD only when it succeeds) */
		zip_error_t ze;
		zip_error_init_with_code(&ze, code);
		int rc = zip_start(t, za, &ze, err, errlen);
		zip_error_fini(&ze);
		return rc;
	}
	int rc = instream_open_fd(&t->in, fd, t->path, DR_WINDOW, INSTREAM_ZLIB, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	struct instream_view *v = instream_view(t->in);
	t->p = t->end = v->buf + v->pos;
	return TRACE_OK;
}

/* Open thread file T->path, or take IN (standard input or a pipe, already
 * read from), or the bytes MEM[0..LEN) of R. */
static int thread_open(dr_thread *t, instream *in, const trace_reader *r, char *err,
		       size_t errlen)
{
	if (in) {
		t->in = in;
		struct instream_view *v = instream_view(in);
		if (is_zip_magic(v->buf + v->pos, v->len - v->pos))
			return trace_errf(err, errlen, TRACE_EFORMAT, t->path, "a zip archive "
					  "(drmemtrace's default container) cannot be read from a "
					  "pipe or standard input: its directory is at its end; "
					  "give the file's path");
		int rc = instream_as_zlib(in, err, errlen);
		if (rc < 0)
			return rc;
	} else if (r->mem && is_zip_magic(r->mem, r->memlen)) {
		zip_error_t ze;
		zip_error_init(&ze);
		zip_source_t *src = zip_source_buffer_create(r->mem, r->memlen, 0, &ze);
		zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
		if (src && !za)
			zip_source_free(src);
		int rc = zip_start(t, za, &ze, err, errlen);
		zip_error_fini(&ze);
		return rc;
	} else if (r->mem) {
		int rc = instream_open_mem(&t->in, r->mem, r->memlen, t->path, DR_WINDOW,
					   INSTREAM_ZLIB, err, errlen);
		if (rc != TRACE_OK)
			return rc;
	} else {
		return thread_open_file(t, err, errlen);
	}
	struct instream_view *v = instream_view(t->in);
	t->p = t->end = v->buf + v->pos;
	return TRACE_OK;
}

static int is_thread_file(const char *name)
{
	static const char *const ext[] = { ".trace", ".trace.gz", ".trace.zip", ".trace.zlib" };
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t k = strlen(ext[i]);
		if (n > k && strcmp(name + n - k, ext[i]) == 0)
			return 1;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The per-thread files of directory DIR (DIR/trace/ if it exists), sorted;
 * *names is malloc'd, each entry too. */
static int list_threads(const char *dir, char ***names, size_t *n, char *err, size_t errlen)
{
	char *base = malloc(strlen(dir) + 8);
	if (!base)
		return trace_errf(err, errlen, TRACE_ENOMEM, dir, "out of memory (trace reader)");
	struct stat st;
	sprintf(base, "%s/trace", dir);
	if (stat(base, &st) != 0 || !S_ISDIR(st.st_mode))
		strcpy(base, dir);
	DIR *dh = opendir(base);
	if (!dh) {
		free(base);
		return trace_errf(err, errlen, TRACE_EIO, dir, "cannot open directory");
	}
	size_t cap = 16, k = 0;
	char **v = malloc(cap * sizeof(*v));
	int rc = v ? TRACE_OK : TRACE_EIO;
	struct dirent *de;
	while (rc == TRACE_OK && (de = readdir(dh))) {
		if (!is_thread_file(de->d_name)) {
			/* A thread in a container this reader lacks (drraw2trace's lz4)
			 * must not vanish from the trace. */
			const char *x = strstr(de->d_name, ".trace.");
			if (x && !strchr(x + 7, '.')) {
				rc = trace_errf(err, errlen, TRACE_EFORMAT, dir, "%s: a per-thread "
						"file in a container this reader does not read (zip, "
						"gzip, zlib or none)", de->d_name);
				break;
			}
			continue;
		}
		if (k == cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv) {
				rc = TRACE_EIO;
				break;
			}
			v = nv;
		}
		v[k] = malloc(strlen(base) + strlen(de->d_name) + 2);
		if (!v[k]) {
			rc = TRACE_EIO;
			break;
		}
		sprintf(v[k++], "%s/%s", base, de->d_name);
	}
	closedir(dh);
	if (rc != TRACE_OK) {
		while (k)
			free(v[--k]);
		free(v);
		free(base);
		return rc == TRACE_EIO ? trace_errf(err, errlen, TRACE_ENOMEM, dir, "out of memory (trace reader)") : rc;
	}
	if (k == 0) {
		free(v);
		rc = trace_errf(err, errlen, TRACE_EFORMAT, base, "no per-thread drmemtrace files "
				"(*.trace, *.trace.gz, *.trace.zlib, *.trace.zip) in this directory");
		free(base);
		return rc;
	}
	free(base);
	qsort(v, k, sizeof(*v), cmp_str);
	*names = v;
	*n = k;
	return TRACE_OK;
}

int drmemtrace_reader_init(trace_reader *r, const char *path, int is_dir, instream *in,
			   char *err, size_t errlen)
{
	dr_reader *d = calloc(1, sizeof(*d));
	if (!d) {
		instream_close(in);
		return trace_errf(err, errlen, TRACE_ENOMEM, path, "out of memory (trace reader)");
	}
	r->priv = d;
	r->be = &dr_backend;
	d->as_p = (r->open_flags & TRACE_OPEN_PREFETCH) != 0;
	char **names = NULL;
	size_t n = 1;
	int rc = TRACE_OK;
	if (is_dir) {
		rc = list_threads(path, &names, &n, err, errlen);
		if (rc != TRACE_OK)
			return rc;
		if (n > TRACE_MAX_VCPUS) {
			rc = trace_errf(err, errlen, TRACE_EFORMAT, path, "%zu threads: at most %u "
					"(one vCPU each)", n, TRACE_MAX_VCPUS);
			goto out;
		}
	}
	d->t = calloc(n, sizeof(*d->t));
	if (!d->t) {
		rc = trace_errf(err, errlen, TRACE_ENOMEM, path, "out of memory (trace reader)");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		dr_thread *t = &d->t[i];
		t->vcpu = (unsigned)i;
		t->path = strdup(names ? names[i] : path);
		d->nthreads = i + 1;
		if (!t->path) {
			rc = trace_errf(err, errlen, TRACE_ENOMEM, path, "out of memory (trace reader)");
			goto out;
		}
		rc = thread_open(t, names ? NULL : in, r, err, errlen);
		in = NULL;
		if (rc != TRACE_OK)
			goto out;
		/* Read the thread's opening records (header, version, file type,
		 * PID, up to its first timestamp or access) now: a bad file is
		 * refused at open. */
		int cut;
		rc = thread_step(d, t, &cut, 1, err, errlen);
		if (rc != TRACE_OK)
			goto out;
	}
	const dr_thread *t0 = &d->t[0];
	const char *arch = t0->filetype & DR_FT_ARCH_X86_64 ? "x86-64"
			 : t0->filetype & DR_FT_ARCH_AARCH64 ? "aarch64" : "unspecified arch";
	snprintf(r->hdr.desc, sizeof(r->hdr.desc), "DynamoRIO drmemtrace version %llu, %s, "
		 "%zu thread%s, file type 0x%llx", (unsigned long long)t0->version, arch,
		 d->nthreads, d->nthreads == 1 ? "" : "s", (unsigned long long)t0->filetype);
	r->hdr.vcpus = (unsigned)d->nthreads;
	r->hdr.flags = TRACE_F_ICOUNT_EXACT;
out:
	instream_close(in);
	if (names) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return rc;
}

/* Whether the first bytes B[0..N) of a file's (decompressed) content look
 * like a drmemtrace per-thread file: a zip archive, or the HEADER record
 * followed by a MARKER, plain or behind a zlib header. */
int drmemtrace_sniff(const uint8_t *b, size_t n)
{
	if (n >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4)
		return 1;
	uint8_t head[2 * DR_REC];
	if (n >= 2 && (b[0] & 0x0f) == 8 && (b[0] >> 4) <= 7 && ((b[0] << 8) | b[1]) % 31 == 0) {
		z_stream z = { 0 };
		if (inflateInit2(&z, 15) != Z_OK)
			return 0;
		z.next_in = (Bytef *)(uintptr_t)b;
		z.avail_in = (uInt)(n < 65536 ? n : 65536);
		z.next_out = head;
		z.avail_out = sizeof(head);
		inflate(&z, Z_SYNC_FLUSH);
		int got = z.avail_out == 0;
		inflateEnd(&z);
		if (!got)
			return 0;
		b = head;
		n = sizeof(head);
	}
	/* (a 32-bit trace's 8-byte records put the MARKER at byte 8: it is
	 * recognised, to be refused with a clear message) */
	return n >= 2 * DR_REC && rd16(b) == DR_HEADER &&
	       (rd16(b + DR_REC) == DR_MARKER || rd16(b + 8) == DR_MARKER);
}
