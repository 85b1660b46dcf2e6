/*
 * traces/trace.h - trace records, readers and the native writer.
 *
 * A record is one guest memory access: {vcpu, kind, gva, size, icount, asid}.
 * icount is the number of instructions that vCPU retired since its previous
 * record (an instruction fetch record usually carries 1, its data accesses 0).
 * An invalidation record (kind TRACE_INV, .slt and text formats only) says
 * the guest invalidated cached stage-1 translations at that point: op =
 * all / by ASID / by VA (+ASID), on this vCPU or broadcast to every vCPU of
 * the VM (Arm TLBI ...IS; x86 shootdowns are one local record per vCPU);
 * size and icount are 0, gva is 0 unless by VA, asid 0 for all.
 * A prefetch record (kind TRACE_P) is a software prefetch the program
 * executed (x86 PREFETCHh/PREFETCHW, Arm PRFM; drmemtrace's PREFETCH* types):
 * it names gva..gva+size-1 like a read, reads and writes nothing
 * architecturally and cannot fault. op holds its flavour (TRACE_PF_*). A
 * reader hands TRACE_P records only to a caller that opened the trace with
 * TRACE_OPEN_PREFETCH; any other caller gets each prefetch as a TRACE_R
 * access of the same bytes (the meaning every consumer had before the kind
 * existed), so a consumer never meets a kind it does not handle.
 *
 * Readers stream: trace_read() decodes a batch into the caller's array so the
 * replay loop pays no per-record call; memory use is constant in the trace
 * length. Every format is detected from content (trace_open with
 * TRACE_FMT_AUTO) or forced. Errors come back as a return code plus a one-line
 * message naming the file and the byte offset (binary formats) or line number
 * (text formats). Every reader enforces the same record rules: kind R/W/X,
 * 0 <= size <= TRACE_MAX_SIZE, gva + size - 1 does not wrap (size > 0), vcpu
 * below the declared count (or below TRACE_MAX_VCPUS when the format declares
 * none). A zero-size access (DynamoRIO records them, e.g. for xsavec) names
 * the page of its gva and no byte.
 *
 * The byte layout of the native .slt format is in traces/FORMAT.md.
 */
#ifndef SLATSIM_TRACE_H
#define SLATSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum trace_kind { TRACE_R = 0, TRACE_W = 1, TRACE_X = 2, TRACE_INV = 3, TRACE_P = 4 };

/* Prefetch records: op = the flavour of the prefetch. */
enum trace_pf_op {
	TRACE_PF_READ = 0,    /* data, read intent (PREFETCHT0/1/2/NTA, PRFM PLD) */
	TRACE_PF_WRITE = 1,   /* data, write intent (PREFETCHW, PRFM PST): still no store */
	TRACE_PF_INSTR = 2,   /* instruction (PRFM PLI) */
};

/* Invalidation records: op = TRACE_INV_* | optionally TRACE_INV_BCAST. */
enum trace_inv_op {
	TRACE_INV_ALL = 0,    /* every stage-1 translation of the VM (TLBI VMALLE1, INVPCID all) */
	TRACE_INV_ASID = 1,   /* one ASID's, globals kept (TLBI ASIDE1, INVPCID single) */
	TRACE_INV_VA = 2,     /* one page of one ASID, and globals (TLBI VAE1, INVLPG) */
};
#define TRACE_INV_OP_MASK  0x03u
#define TRACE_INV_BCAST    0x04u   /* every vCPU of the VM; else the record's vCPU */

#define TRACE_MAX_VCPUS   256
#define TRACE_MAX_SIZE    4096
#define TRACE_MAX_DESC    4095
#define TRACE_MAX_LINE    4096   /* text formats: longest line */

typedef struct trace_rec {
	uint64_t gva;
	uint32_t icount;
	uint16_t vcpu;
	uint16_t asid;
	uint16_t size;
	uint8_t kind;       /* enum trace_kind */
	uint8_t op;         /* TRACE_INV: enum trace_inv_op | TRACE_INV_BCAST;
			       TRACE_P: enum trace_pf_op; else 0 */
} trace_rec;

enum trace_format {
	TRACE_FMT_AUTO = 0,
	TRACE_FMT_SLT,       /* native, gzip-compressed */
	TRACE_FMT_LACKEY,    /* valgrind --tool=lackey --trace-mem=yes */
	TRACE_FMT_CHAMPSIM,  /* ChampSim 64-byte input_instr records */
	TRACE_FMT_TEXT,      /* "vcpu kind gva size [asid [icount]]" lines */
	TRACE_FMT_DRMEMTRACE, /* DynamoRIO drcachesim offline traces (a directory or a file) */
};

/* .slt header flags. Bits 0-7 are informational; bits 8-15 must be understood
 * by a reader (a reader refuses any it does not know). */
#define TRACE_F_ICOUNT_EXACT   (1u << 0)   /* icounts are real retired counts */
#define TRACE_F_CHUNKED        (1u << 8)   /* independent chunks and an index (FORMAT.md) */
#define TRACE_F_MUST_MASK      0xff00u

typedef struct trace_header {
	enum trace_format format;
	unsigned version;      /* .slt version; 0 for other formats */
	unsigned flags;
	unsigned vcpus;        /* declared vCPU count; 0 = not declared */
	char desc[TRACE_MAX_DESC + 1];
} trace_header;

enum {
	TRACE_OK = 0,
	TRACE_EIO = -1,       /* cannot open / read / write */
	TRACE_EFORMAT = -2,   /* malformed, corrupt or truncated input */
	TRACE_EVERSION = -3,  /* well-formed but unsupported version or flags */
	TRACE_ENOMEM = -4,    /* out of memory (not the input's fault) */
	TRACE_EINTERNAL = -5, /* a broken invariant of the model (not the input's fault) */
	TRACE_EOUTPUT = -6,   /* an output could not be written (no space, no permission) */
	TRACE_ESTOPPED = -7,  /* a driver's poll stopped the work (the Python package's Ctrl-C) */
};

typedef struct trace_reader trace_reader;

/* Open PATH ("-" for standard input; plain, gzip or xz; a drmemtrace
 * directory) as format FMT.
 * Returns TRACE_OK or an error code with a message in err. Same as
 * trace_open_with with { .format = FMT } and nothing else asked. */
int trace_open(trace_reader **out, const char *path, enum trace_format fmt,
	       char *err, size_t errlen);

/* What a caller can take, and how it wants the trace decoded. */
#define TRACE_OPEN_PREFETCH  0x1u   /* deliver prefetches as TRACE_P (else as TRACE_R) */
#define TRACE_OPEN_AUTO_THREADS 0x2u /* threads > 1 only where it pays (issue 25): a
					binary format (a text format's records keep
					the lines their errors name) and a process
					that may run on two CPUs or more */

typedef struct trace_open_opts {
	enum trace_format format;   /* TRACE_FMT_AUTO: detect from the content */
	unsigned flags;             /* TRACE_OPEN_* */
	unsigned threads;           /* 0 or 1: trace_read decodes on the caller's thread;
				       2 or more: a background thread decodes ahead into a
				       bounded queue that trace_read takes from (the same
				       records in the same order, the same end or error;
				       like any larger batch, it may withhold the records
				       of the batch that met an error) */
	/* With threads > 1: the decoding thread also calls batch_fn on each
	 * run of batch_granule records of its batches (from the start of each
	 * batch; the last run may be shorter), into batch_aux bytes of its
	 * own, which trace_read_ref hands out with records that are exactly
	 * such a run - work on the records that can be done ahead (replay
	 * counts them there). NULL: none. */
	void (*batch_fn)(const trace_rec *b, size_t n, void *aux);
	size_t batch_aux, batch_granule;
} trace_open_opts;

int trace_open_with(trace_reader **out, const char *path, const trace_open_opts *o,
		    char *err, size_t errlen);
/* The same on LEN bytes at DATA (a trace in any format and container a
 * single file can hold; the caller keeps the bytes unchanged until
 * trace_close), named NAME in messages and in trace_path: as a regular file
 * of those bytes reads, without one. Plain content is parsed in place. */
int trace_open_mem(trace_reader **out, const void *data, size_t len, const char *name,
		   const trace_open_opts *o, char *err, size_t errlen);

/* Decode up to MAX records into BUF. Returns the count (> 0), 0 at the clean
 * end of the trace, or a negative error code with a message in err. After an
 * error or the end, further calls return the same result. */
long trace_read(trace_reader *r, trace_rec *buf, size_t max, char *err, size_t errlen);
/* The same without a copy: *OUT points at the records, in BUF (room for
 * MAX) or, with a decoding thread, in its batch; they stay valid until the
 * next call on R. With AUX: what trace_open_opts.batch_fn made of exactly
 * these records, or NULL (none was made for them: the caller does it). */
long trace_read_ref(trace_reader *r, const trace_rec **out, const void **aux, trace_rec *buf,
		    size_t max, char *err, size_t errlen);

/* The line of record I of the batch the last trace_read returned, for the
 * line-based formats (text, lackey), so that a problem the model finds with
 * a record names the line as the readers do; 0 for the binary formats. */
uint64_t trace_line_of(const trace_reader *r, size_t i);

/* Position R so that the next trace_read returns record RECNO (counting from
 * 0). A chunked .slt file goes through its index and decodes at most one
 * chunk; any other trace decodes and discards the records before RECNO.
 * Past the end, the next trace_read returns 0. Call it before the first
 * trace_read of a reader opened with threads > 1. Returns TRACE_OK or an
 * error (the reader is then finished). */
int trace_seek(trace_reader *r, uint64_t recno, char *err, size_t errlen);

/* Instructions the trace says were retired without a fetch of their own
 * (drmemtrace's INSTR_NO_FETCH: each further iteration of a rep-string
 * instruction), read so far (after the end: in the whole trace): 1 with the
 * count in *N where the format records them, 0 where it does not. Each adds
 * 1 to the icount of its thread's next record. */
int trace_nonfetched(const trace_reader *r, uint64_t *n);

const trace_header *trace_get_header(const trace_reader *r);
const char *trace_path(const trace_reader *r);   /* as opened; "<stdin>" for "-" */

/* Compressed input bytes consumed and the input's size (0 if unknown, e.g. a
 * pipe), for progress reporting. */
void trace_progress(const trace_reader *r, uint64_t *done, uint64_t *total);

void trace_close(trace_reader *r);

/* Validate one record against the rules in the comment at the top (the
 * vCPU below VCPU_LIMIT): 0, or -1 with the reason (without a place) in
 * WHY. Every reader and the writer apply it. */
int trace_rec_check(const trace_rec *rec, unsigned vcpu_limit, char *why, size_t whylen);

/* Format names: "auto", "slt", "lackey", "champsim", "text", "drmemtrace". */
int trace_format_parse(const char *name, enum trace_format *out);
const char *trace_format_name(enum trace_format fmt);

/* ---- native writer ---- */

typedef struct trace_writer trace_writer;

/* Create PATH ("-" for standard output) as .slt with the given header (format
 * and version fields are ignored). LEVEL is the zlib level (1..9). The file
 * is one stream without chunks (trace_writer_open_opts writes chunked ones;
 * the byte-layout tests of check_slt.c pin today's unchunked stream, so the
 * default stays as it was). */
int trace_writer_open(trace_writer **out, const char *path, const trace_header *h,
		      int level, char *err, size_t errlen);

/* Records per chunk a writer should use: 1 Mi costs 0.7% in size on the
 * shipped capture (256 Ki: 2.8%, 64 Ki: 11%: each chunk restarts deflate's
 * dictionary and the predictions), and a seek decodes at most that many. */
#define TRACE_CHUNK_RECORDS_DEFAULT  1048576u

typedef struct trace_writer_opts {
	int level;                 /* zlib level 1..9 */
	uint64_t chunk_records;    /* records per independent chunk (FORMAT.md "Chunked
				      .slt"); 0: one stream without chunks or index, which
				      every slatsim reads */
} trace_writer_opts;

int trace_writer_open_opts(trace_writer **out, const char *path, const trace_header *h,
			   const trace_writer_opts *o, char *err, size_t errlen);
/* The same on a stream the caller opened (and closes after
 * trace_writer_close); NAME names it in messages. */
int trace_writer_open_stream(trace_writer **out, FILE *f, const char *name,
			     const trace_header *h, const trace_writer_opts *o, char *err,
			     size_t errlen);

int trace_write(trace_writer *w, const trace_rec *recs, size_t n, char *err, size_t errlen);

/* Write the end marker, flush and close; returns TRACE_OK or an error. The
 * writer is freed either way. */
int trace_writer_close(trace_writer *w, char *err, size_t errlen);

/* Free a writer after an error without finishing the file. */
void trace_writer_abort(trace_writer *w);

uint64_t trace_writer_bytes(const trace_writer *w);   /* compressed bytes so far */

/* ---- synthetic generators (traces/gen.c) ---- */

enum trace_gen_pattern {
	TRACE_GEN_SEQ, TRACE_GEN_STRIDE, TRACE_GEN_RANDOM, TRACE_GEN_ZIPF,
	TRACE_GEN_GUPS, TRACE_GEN_CHASE,
};

typedef struct trace_gen_config {
	enum trace_gen_pattern pattern;
	uint64_t base;         /* first byte of the footprint */
	uint64_t footprint;    /* bytes; > 0 */
	uint64_t count;        /* records to produce */
	uint64_t stride;       /* bytes between successive accesses (seq/stride/chase) */
	unsigned size;         /* bytes per access */
	double write_ratio;    /* fraction of accesses that are writes (not gups/chase) */
	double zipf_s;         /* zipf exponent (> 0) */
	unsigned vcpus;        /* records interleave round-robin across vCPUs */
	uint32_t icount;       /* instructions retired per record */
	uint64_t seed;
} trace_gen_config;

typedef struct trace_gen trace_gen;

int trace_gen_pattern_parse(const char *name, enum trace_gen_pattern *out);

/* Validate CFG (message names the bad field) and create a generator. */
int trace_gen_create(trace_gen **out, const trace_gen_config *cfg, char *err, size_t errlen);
/* Fill up to MAX records; returns the count, 0 when COUNT records are done. */
size_t trace_gen_next(trace_gen *g, trace_rec *buf, size_t max);
void trace_gen_destroy(trace_gen *g);

#endif
