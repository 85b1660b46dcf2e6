/*
 * sim/python/_slatsim.c - the C side of the Python package slatsim (issue
 * 26): the CPython C API over the core library. It calls what the command
 * line calls - machine.h, the study engines (replay, reach, sweep_plan,
 * migrate) and the same JSON writers (report_json, cli_reach_json,
 * cli_migrate_json) - so a number is never computed twice; the package's
 * Python side (slatsim/__init__.py) only shapes what comes back.
 *
 * Assumptions:
 *   - CPython 3.9 or later (Debian 12 ships 3.11); built by setup.py with
 *     the core's sources (every object compiled -fPIC for the module).
 *   - A call that replays records releases the GIL while the engine works.
 *     Every POLL_SECONDS at most it takes the GIL back, on the calling
 *     thread, to run Python's signal handlers (Ctrl-C: KeyboardInterrupt)
 *     and the caller's progress callback; an exception from either stops
 *     the work (TRACE_ESTOPPED) and is what the call raises. The engines
 *     write their outputs complete or not at all (lib/outfile.h), through
 *     an embedded output set: no signal of the host program is touched.
 *   - Errors: bad input (TRACE_EFORMAT, TRACE_EVERSION, a parameter) is
 *     ValueError with the command line's message (without "slatsim: "); a
 *     trace that cannot be read is OSError (FileNotFoundError when it does
 *     not exist); out of memory MemoryError; a broken invariant
 *     RuntimeError.
 *   - A Machine is one machine_create'd machine and its registry: two never
 *     share state (machine.h). It is not thread-safe: one thread at a time
 *     (the GIL is released only inside run(), which holds the object).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include "cli.h"
#include "guest.h"
#include "hyp.h"
#include "json.h"
#include "machine.h"
#include "migrate.h"
#include "outfile.h"
#include "pageset.h"
#include "reach.h"
#include "replay.h"
#include "report.h"
#include "sweep_collect.h"
#include "sweep_plan.h"
#include "trace.h"
#include "tracestat.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define POLL_SECONDS 0.05        /* Ctrl-C and progress at most this late */
#define ERRLEN 8192
#define EXPLAIN_STEPS 512        /* steps of every attempt of one explain */
#define SWEEP_BATCH_DEFAULT 16   /* sim/cli/sweep.c's SWEEP_BATCH */
#define SWEEP_SHOWN 8            /* refused points named (sim/cli/sweep.c) */

/* ---------------------------------------------------------------- errors */

/* Raise the exception for engine code RC with MSG; PATH (may be NULL): the
 * trace, for FileNotFoundError. Returns NULL. */
static PyObject *raise_code(int rc, const char *msg, const char *path)
{
	struct stat st;
	PyObject *exc;
	switch (rc) {
	case TRACE_EIO:
	case TRACE_EOUTPUT:
		exc = path && stat(path, &st) != 0 && errno == ENOENT ? PyExc_FileNotFoundError
								      : PyExc_OSError;
		break;
	case TRACE_ENOMEM:
		exc = PyExc_MemoryError;
		break;
	case TRACE_EINTERNAL:
		exc = PyExc_RuntimeError;
		break;
	default:
		exc = PyExc_ValueError;
		break;
	}
	PyErr_SetString(exc, msg);
	return NULL;
}

/* ---------------------------------------------------------------- polling */

/* The engine's side of a long call: the GIL released, taken back now and
 * then to check signals and report progress. */
typedef struct poll_ctx {
	PyThreadState *ts;       /* the released thread state (NULL: GIL held) */
	PyObject *progress;      /* callable, or NULL */
	double t0, last;
	int failed;              /* a Python exception is pending */
	/* what progress is told: */
	uint64_t records;
	double fraction;         /* < 0: not known */
	const char *trace;
	size_t points, points_done;
	const char *what;        /* "run", "reach", "migrate", "sweep", "machine" */
} poll_ctx;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void poll_init(poll_ctx *c, PyObject *progress, const char *what)
{
	memset(c, 0, sizeof(*c));
	c->progress = progress && progress != Py_None ? progress : NULL;
	c->t0 = c->last = now();
	c->fraction = -1;
	c->what = what;
}

static void poll_release(poll_ctx *c) { c->ts = PyEval_SaveThread(); }

static void poll_acquire(poll_ctx *c)
{
	if (c->ts)
		PyEval_RestoreThread(c->ts);
	c->ts = NULL;
}

/* GIL held: the progress callback with a dict of what is known. */
static int poll_report(poll_ctx *c)
{
	if (!c->progress)
		return 0;
	PyObject *d = Py_BuildValue("{s:s,s:K,s:d}", "study", c->what, "records",
				    (unsigned long long)c->records, "elapsed", now() - c->t0);
	if (!d)
		return -1;
	int rc = 0;
	if (c->fraction >= 0) {
		PyObject *f = PyFloat_FromDouble(c->fraction);
		rc = !f || PyDict_SetItemString(d, "fraction", f);
		Py_XDECREF(f);
	}
	if (!rc && c->trace) {
		PyObject *t = PyUnicode_DecodeFSDefault(c->trace);
		rc = !t || PyDict_SetItemString(d, "trace", t);
		Py_XDECREF(t);
	}
	if (!rc && c->points) {
		PyObject *n = PyLong_FromSize_t(c->points), *k = PyLong_FromSize_t(c->points_done);
		rc = !n || !k || PyDict_SetItemString(d, "points", n) ||
		     PyDict_SetItemString(d, "points_done", k);
		Py_XDECREF(n);
		Py_XDECREF(k);
	}
	if (rc) {
		Py_DECREF(d);
		return -1;
	}
	PyObject *r = PyObject_CallOneArg(c->progress, d);
	Py_DECREF(d);
	if (!r)
		return -1;
	Py_DECREF(r);
	return 0;
}

/* GIL released: every POLL_SECONDS (or with FORCE), take the GIL, check
 * signals, report progress. Non-zero: stop (an exception is pending). */
static int poll_tick(poll_ctx *c, int force)
{
	if (c->failed)
		return 1;
	double t = now();
	if (!force && t - c->last < POLL_SECONDS)
		return 0;
	c->last = t;
	poll_acquire(c);
	if (PyErr_CheckSignals() || poll_report(c))
		c->failed = 1;
	poll_release(c);
	return c->failed;
}

/* ---------------------------------------------------------------- inputs */

static int parse_format(const char *name, enum trace_format *fmt)
{
	*fmt = TRACE_FMT_AUTO;
	if (!name || trace_format_parse(name, fmt) == 0)
		return 0;
	PyErr_Format(PyExc_ValueError, "--format '%s': one of auto, slt, lackey, champsim, text, "
		     "drmemtrace", name);
	return -1;
}

/* Strings of a sequence (a list of paths or "key=value"s) into a malloc'd
 * array of N pointers into the objects (kept alive in *KEEP). */
static int str_list(PyObject *seq, const char *what, const char ***out, size_t *n,
		    PyObject **keep)
{
	*out = NULL;
	*n = 0;
	*keep = NULL;
	if (!seq || seq == Py_None)
		return 0;
	PyObject *fast = PySequence_Fast(seq, what);
	if (!fast)
		return -1;
	Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
	const char **v = calloc((size_t)len + 1, sizeof(*v));
	PyObject *bytes = PyList_New(len);
	if (!v || !bytes) {
		free(v);
		Py_XDECREF(bytes);
		Py_DECREF(fast);
		PyErr_NoMemory();
		return -1;
	}
	for (Py_ssize_t i = 0; i < len; i++) {
		PyObject *b = NULL;
		if (!PyUnicode_FSConverter(PySequence_Fast_GET_ITEM(fast, i), &b)) {
			free(v);
			Py_DECREF(bytes);
			Py_DECREF(fast);
			return -1;
		}
		PyList_SET_ITEM(bytes, i, b);
		v[i] = PyBytes_AS_STRING(b);
	}
	Py_DECREF(fast);
	*out = v;
	*n = (size_t)len;
	*keep = bytes;
	return 0;
}

/* The registry of defaults, FILES, then SETS ("key=value", origin
 * "--set"): as the command line builds it (sim/cli/common.c build_from).
 * NULL with ValueError (the command line's message) on a bad file or key. */
static param_reg *build_params(PyObject *files, PyObject *sets)
{
	const char **f, **s;
	size_t nf, ns;
	PyObject *kf, *ks;
	char err[1024];
	if (str_list(files, "config: a list of file names", &f, &nf, &kf))
		return NULL;
	if (str_list(sets, "params: a list of key=value", &s, &ns, &ks)) {
		free(f);
		Py_XDECREF(kf);
		return NULL;
	}
	param_reg *p = param_create();
	if (!p || machine_params_register(p) != PARAM_OK) {
		param_destroy(p);
		p = NULL;
		PyErr_NoMemory();
	}
	for (size_t i = 0; p && i < nf; i++)
		if (param_load_file(p, f[i], err, sizeof(err)) != PARAM_OK) {
			struct stat st;
			PyErr_SetString(stat(f[i], &st) != 0 && errno == ENOENT
					? PyExc_FileNotFoundError : PyExc_ValueError, err);
			param_destroy(p);
			p = NULL;
		}
	for (size_t i = 0; p && i < ns; i++)
		if (param_set_assignment(p, s[i], "--set", err, sizeof(err)) != PARAM_OK) {
			PyErr_SetString(PyExc_ValueError, err);
			param_destroy(p);
			p = NULL;
		}
	free(f);
	free(s);
	Py_XDECREF(kf);
	Py_XDECREF(ks);
	return p;
}

/* A configuration machine_create (or an engine) refused: ValueError with
 * the command line's message (a key from a config file gets FILE:LINE). */
static PyObject *raise_config(int rc, const param_reg *p, const char *msg)
{
	char b[ERRLEN];
	cli_config_message(rc, p, msg, b, sizeof(b));
	return raise_code(rc, b, NULL);
}

/* What a FILE written in memory holds, as a str. */
typedef struct memout {
	char *buf;
	size_t len;
	FILE *f;
} memout;

static int mem_open(memout *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	return m->f ? 0 : -1;
}

static PyObject *mem_str(memout *m)
{
	if (m->f)
		fclose(m->f);
	m->f = NULL;
	PyObject *s = m->buf ? PyUnicode_DecodeUTF8(m->buf, (Py_ssize_t)m->len, "surrogateescape")
			     : PyUnicode_FromString("");
	free(m->buf);
	m->buf = NULL;
	return s;
}

static void mem_drop(memout *m)
{
	if (m->f)
		fclose(m->f);
	free(m->buf);
	m->f = NULL;
	m->buf = NULL;
}

/* ---------------------------------------------------------------- params() */

/* params(files, sets) -> the JSON text of `slatsim params --json`. */
static PyObject *py_params(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwlist[] = { "files", "sets", NULL };
	PyObject *files = NULL, *sets = NULL;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO", kwlist, &files, &sets))
		return NULL;
	param_reg *p = build_params(files, sets);
	if (!p)
		return NULL;
	memout mo;
	PyObject *out = NULL;
	if (mem_open(&mo)) {
		PyErr_NoMemory();
	} else {
		cli_params_json(mo.f, p, NULL);
		out = mem_str(&mo);
	}
	param_destroy(p);
	return out;
}

/* Check a configuration: ValueError with the message a run would give. */
static PyObject *py_check_config(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwlist[] = { "files", "sets", NULL };
	PyObject *files = NULL, *sets = NULL;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO", kwlist, &files, &sets))
		return NULL;
	param_reg *p = build_params(files, sets);
	if (!p)
		return NULL;
	char err[ERRLEN];
	machine *m;
	int rc = machine_create(&m, p, err, sizeof(err));
	PyObject *out = NULL;
	if (rc != TRACE_OK) {
		raise_config(rc, p, err);
	} else {
		machine_destroy(m);
		memout mo;
		if (mem_open(&mo))
			PyErr_NoMemory();
		else {
			json_w j;
			json_init(&j, mo.f, 0);
			json_begin_obj(&j, NULL);
			report_json_config(&j, p);
			json_end_obj(&j);
			json_finish(&j);
			out = mem_str(&mo);
		}
	}
	param_destroy(p);
	return out;
}

/* ---------------------------------------------------------------- run() */

/* replay_run (sim/study/replay.c) with a poll after each batch: the same
 * records into the same replay_batch calls. GIL released. */
static int replay_polled(machine *m, trace_reader *r, const replay_opts *o, poll_ctx *pc,
			 double *elapsed, char *err, size_t errlen)
{
	replay_feed f;
	int rc = replay_feed_open(&f, m, r, o, err, errlen);
	if (rc != TRACE_OK)
		return rc;
	for (;;) {
		long n = replay_feed_next(&f, err, errlen);
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		size_t bad;
		if (replay_batch(m, f.b, (size_t)n, f.skip + f.records, f.counted, &bad)) {
			rc = replay_feed_failed(&f, bad, err, errlen);
			break;
		}
		replay_feed_done(&f, (size_t)n);
		if (machine_stopped(m))
			break;
		uint64_t done, total;
		trace_progress(r, &done, &total);
		pc->records = f.records;
		pc->fraction = total ? (double)done / (double)total : -1;
		if (poll_tick(pc, 0)) {
			snprintf(err, errlen, "interrupted");
			rc = TRACE_ESTOPPED;
			break;
		}
	}
	rc = replay_feed_close(&f, rc, err, errlen);
	if (elapsed)
		*elapsed = f.elapsed;
	return rc;
}

/* run(trace, format, files, sets, skip, limit, warmup, progress) ->
 * (json text of `slatsim run --json`, headline text, elapsed seconds). */
static PyObject *py_run(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwlist[] = { "trace", "format", "files", "sets", "skip", "limit", "warmup",
				  "progress", NULL };
	PyObject *tobj, *files = NULL, *sets = NULL, *progress = NULL;
	const char *fname = NULL;
	unsigned long long skip = 0, limit = 0, warmup = 0;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|zOOKKKO", kwlist, PyUnicode_FSConverter,
					 &tobj, &fname, &files, &sets, &skip, &limit, &warmup,
					 &progress))
		return NULL;
	const char *trace = PyBytes_AS_STRING(tobj);
	PyObject *out = NULL;
	param_reg *p = NULL;
	enum trace_format fmt;
	char err[ERRLEN];
	if (parse_format(fname, &fmt))
		goto done;
	if (limit && warmup >= limit) {
		PyErr_Format(PyExc_ValueError, "--warmup %llu leaves nothing of --limit %llu to count",
			     warmup, limit);
		goto done;
	}
	if (!(p = build_params(files, sets)))
		goto done;
	uint64_t maxrec = (uint64_t)param_int(p, "sim.max_records");
	if (warmup && maxrec && warmup >= maxrec) {
		snprintf(err, sizeof(err), "sim.max_records=%llu: --warmup %llu leaves nothing of "
			 "it to count", (unsigned long long)maxrec, warmup);
		raise_config(TRACE_EFORMAT, p, err);
		goto done;
	}
	replay_opts ro = { .skip = skip, .limit = limit, .warmup = warmup };
	poll_ctx pc;
	poll_init(&pc, progress, "run");
	trace_reader *r = NULL;
	machine *m = NULL;
	double el = 0;
	int rc, cfg_err = 0;
	unsigned threads = (unsigned)param_int(p, "sim.threads");
	poll_release(&pc);
	rc = replay_open(&r, trace, fmt, threads, err, sizeof(err));
	if (rc == TRACE_OK && (rc = machine_create(&m, p, err, sizeof(err))) != TRACE_OK)
		cfg_err = 1;
	if (rc == TRACE_OK && param_bool(p, "sim.prefault")) {
		rc = replay_prefault(m, r, &ro, err, sizeof(err));
		trace_close(r);
		r = NULL;
		if (rc == TRACE_OK)
			rc = replay_open(&r, trace, fmt, threads, err, sizeof(err));
	}
	if (rc == TRACE_OK)
		rc = replay_polled(m, r, &ro, &pc, &el, err, sizeof(err));
	poll_acquire(&pc);
	if (pc.failed) {
		/* the exception from the signal handler or the callback */
	} else if (cfg_err) {
		raise_config(rc, p, err);
	} else if (rc != TRACE_OK) {
		raise_code(rc, err, trace);
	} else {
		int found;
		if (ro.warmup && !machine_stopped(m) &&
		    !stats_get(machine_stats(m), "records", &found)) {
			unsigned long long len = (unsigned long long)(ro.skip + ro.warmup);
			PyErr_Format(PyExc_ValueError, "%s: --warmup %llu: the trace ends after %llu "
				     "records, with the warm-up window: nothing is left to measure",
				     trace, warmup, len);
		} else {
			memout js, hl;
			if (mem_open(&js) || mem_open(&hl)) {
				mem_drop(&js);
				PyErr_NoMemory();
			} else {
				report_json(js.f, trace, trace_get_header(r), p, machine_stats(m), m);
				report_headline(hl.f, machine_stats(m), p);
				PyObject *a = mem_str(&js), *b = mem_str(&hl);
				if (a && b)
					out = Py_BuildValue("(OOd)", a, b, el);
				Py_XDECREF(a);
				Py_XDECREF(b);
			}
		}
	}
	machine_destroy(m);
	if (r)
		trace_close(r);
done:
	param_destroy(p);
	Py_DECREF(tobj);
	return out;
}

/* ---------------------------------------------------------------- reach() */

/* sim/cli/reach.c feed_all with a poll: TR to its end or the limit. */
static int reach_all(reach *r, trace_reader *tr, trace_rec *b, poll_ctx *pc,
		     int (*feed)(reach *, const trace_rec *, size_t, size_t *), char *err,
		     size_t errlen)
{
	uint64_t done = 0, limit = reach_limit(r);
	while (done < limit) {
		size_t want = limit - done < REPLAY_BATCH ? (size_t)(limit - done) : REPLAY_BATCH;
		long n = trace_read(tr, b, want, err, errlen);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		size_t bad;
		if (feed(r, b, (size_t)n, &bad)) {
			int code = reach_error_code(r);
			uint64_t line = trace_line_of(tr, bad);
			if (code == TRACE_ENOMEM || code == TRACE_EINTERNAL)
				snprintf(err, errlen, "%s", reach_error(r));
			else if (line)
				snprintf(err, errlen, "%s: line %llu: %s", trace_path(tr),
					 (unsigned long long)line, reach_error(r));
			else
				snprintf(err, errlen, "%s: record %llu: %s", trace_path(tr),
					 (unsigned long long)(done + bad), reach_error(r));
			return code;
		}
		done += (uint64_t)n;
		uint64_t d, total;
		trace_progress(tr, &d, &total);
		pc->records = done;
		pc->fraction = total ? (double)d / (double)total : -1;
		if (poll_tick(pc, 0)) {
			snprintf(err, errlen, "interrupted");
			return TRACE_ESTOPPED;
		}
	}
	return TRACE_OK;
}

/* reach(trace, format, files, sets, entries, sets_, ways, progress) -> the
 * JSON text of `slatsim reach --json`. */
static PyObject *py_reach(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwlist[] = { "trace", "format", "files", "sets", "entries", "nsets", "ways",
				  "progress", NULL };
	PyObject *tobj, *files = NULL, *sets = NULL, *progress = NULL;
	const char *fname = NULL;
	unsigned long long entries = 65536, nsets = 0, ways = 16;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|zOOKKKO", kwlist, PyUnicode_FSConverter,
					 &tobj, &fname, &files, &sets, &entries, &nsets, &ways,
					 &progress))
		return NULL;
	const char *trace = PyBytes_AS_STRING(tobj);
	PyObject *out = NULL;
	param_reg *p = NULL;
	enum trace_format fmt;
	char err[ERRLEN];
	if (parse_format(fname, &fmt))
		goto done;
	if (entries < 1 || entries > (1ULL << 24)) {
		PyErr_Format(PyExc_ValueError, "--entries %llu: between 1 and 16M", entries);
		goto done;
	}
	if (nsets && ((nsets & (nsets - 1)) || nsets > 65536)) {
		PyErr_Format(PyExc_ValueError, "--sets %llu: a power of two up to 65536", nsets);
		goto done;
	}
	if (ways < 1 || ways > 4096) {
		PyErr_Format(PyExc_ValueError, "--ways %llu: between 1 and 4096", ways);
		goto done;
	}
	if (!(p = build_params(files, sets)))
		goto done;
	poll_ctx pc;
	poll_init(&pc, progress, "reach");
	trace_reader *tr = NULL;
	reach *r = NULL;
	int cfg_err = 0;
	trace_rec *b = malloc(REPLAY_BATCH * sizeof(*b));
	reach_cfg rcfg = { .entries = (uint32_t)entries, .sets = (uint32_t)nsets,
			   .ways = (uint32_t)ways, .params = p };
	poll_release(&pc);
	int rc = b ? replay_open(&tr, trace, fmt, 1, err, sizeof(err)) : TRACE_ENOMEM;
	if (!b)
		snprintf(err, sizeof(err), "out of memory (reading the trace)");
	if (rc == TRACE_OK && (rc = reach_create(&r, &rcfg, err, sizeof(err))) != TRACE_OK)
		cfg_err = 1;
	if (rc == TRACE_OK && param_bool(p, "sim.prefault")) {
		rc = reach_all(r, tr, b, &pc, reach_prefault, err, sizeof(err));
		trace_close(tr);
		tr = NULL;
		if (rc == TRACE_OK)
			rc = replay_open(&tr, trace, fmt, 1, err, sizeof(err));
	}
	if (rc == TRACE_OK)
		rc = reach_all(r, tr, b, &pc, reach_feed, err, sizeof(err));
	if (rc == TRACE_OK && reach_finish(r)) {
		rc = reach_error_code(r);
		snprintf(err, sizeof(err), "%s", reach_error(r));
	}
	poll_acquire(&pc);
	if (pc.failed) {
	} else if (cfg_err) {
		raise_config(rc, p, err);
	} else if (rc != TRACE_OK) {
		raise_code(rc, err, trace);
	} else {
		memout js;
		if (mem_open(&js)) {
			PyErr_NoMemory();
		} else {
			cli_reach_json(js.f, trace, trace_get_header(tr), p, r);
			out = mem_str(&js);
		}
	}
	free(b);
	reach_destroy(r);
	if (tr)
		trace_close(tr);
done:
	param_destroy(p);
	Py_DECREF(tobj);
	return out;
}

/* ---------------------------------------------------------------- migrate() */

typedef struct msrc {
	const char *path;
	enum trace_format fmt;
	unsigned threads;
	trace_reader *r;
	poll_ctx *pc;
	uint64_t records;
} msrc;

static long msrc_read(void *ctx, trace_rec *b, size_t max, char *err, size_t errlen)
{
	msrc *s = ctx;
	s->pc->records = s->records;
	if (poll_tick(s->pc, 0)) {
		snprintf(err, errlen, "interrupted");
		return TRACE_ESTOPPED;
	}
	long n = trace_read(s->r, b, max, err, errlen);
	if (n > 0)
		s->records += (uint64_t)n;
	return n;
}

static int msrc_rewind(void *ctx, char *err, size_t errlen)
{
	msrc *s = ctx;
	trace_close(s->r);
	s->r = NULL;
	return replay_open(&s->r, s->path, s->fmt, s->threads, err, errlen);
}

/* migrate(trace, format, files, sets, progress) -> the JSON text of
 * `slatsim migrate --json`. */
static PyObject *py_migrate(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwlist[] = { "trace", "format", "files", "sets", "progress", NULL };
	PyObject *tobj, *files = NULL, *sets = NULL, *progress = NULL;
	const char *fname = NULL;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|zOOO", kwlist, PyUnicode_FSConverter, &tobj,
					 &fname, &files, &sets, &progress))
		return NULL;
	const char *trace = PyBytes_AS_STRING(tobj);
	PyObject *out = NULL;
	param_reg *p = NULL;
	enum trace_format fmt;
	char err[ERRLEN];
	struct stat st;
	if (parse_format(fname, &fmt))
		goto done;
	if (stat(trace, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		PyErr_Format(PyExc_ValueError, "%s: migrate (populating the guest, then running it, "
			     "looped) reads the trace twice, and this is not a regular file (a "
			     "pipe, a device or a process substitution reads once); save it to a "
			     "file first", trace);
		goto done;
	}
	if (!(p = build_params(files, sets)))
		goto done;
	poll_ctx pc;
	poll_init(&pc, progress, "migrate");
	migrate *x = NULL;
	msrc sc = { .path = trace, .fmt = fmt, .threads = (unsigned)param_int(p, "sim.threads"),
		    .pc = &pc };
	int cfg_err = 0;
	poll_release(&pc);
	int rc = migrate_create(&x, p, err, sizeof(err));
	if (rc != TRACE_OK)
		cfg_err = 1;
	if (rc == TRACE_OK)
		rc = replay_open(&sc.r, trace, fmt, sc.threads, err, sizeof(err));
	if (rc == TRACE_OK) {
		migrate_source src = { .read = msrc_read, .rewind = msrc_rewind, .ctx = &sc,
				       .name = trace };
		rc = migrate_run(x, &src, err, sizeof(err));
	}
	poll_acquire(&pc);
	if (pc.failed) {
	} else if (cfg_err) {
		raise_config(rc, p, err);
	} else if (rc != TRACE_OK) {
		raise_code(rc, err, trace);
	} else {
		memout js;
		if (mem_open(&js)) {
			PyErr_NoMemory();
		} else {
			machine *m = migrate_machine(x);
			report_json_ext(js.f, trace, trace_get_header(sc.r), migrate_params(x),
					machine_stats(m), m, cli_migrate_json, x);
			out = mem_str(&js);
		}
	}
	migrate_destroy(x);
	if (sc.r)
		trace_close(sc.r);
done:
	param_destroy(p);
	Py_DECREF(tobj);
	return out;
}

/* ---------------------------------------------------------------- sweep() */

typedef struct sweep_ctx {
	poll_ctx *pc;
	PyObject *failures;     /* list of (first, last, code, message) */
	int pyerr;              /* appending failed (GIL: taken for it) */
} sweep_ctx;

static void sw_failed(void *ctx, size_t first, size_t last, int code, const char *msg)
{
	sweep_ctx *s = ctx;
	poll_acquire(s->pc);
	PyObject *t = Py_BuildValue("(nnis)", (Py_ssize_t)first, (Py_ssize_t)last, code, msg);
	if (!t || PyList_Append(s->failures, t))
		s->pyerr = 1;
	Py_XDECREF(t);
	poll_release(s->pc);
}

static void sw_progress(void *ctx, const char *trace, size_t points, size_t decodes, size_t batch,
			double seconds)
{
	(void)trace, (void)decodes, (void)batch, (void)seconds;
	sweep_ctx *s = ctx;
	s->pc->points_done += points;
	poll_tick(s->pc, 1);
}

static int sw_poll(void *ctx, uint64_t records, char *err, size_t errlen)
{
	poll_ctx *pc = ctx;
	pc->records = records;
	if (poll_tick(pc, 0)) {
		snprintf(err, errlen, "interrupted");
		return 1;
	}
	return 0;
}

/* One --grid: KEY ("k" or "k1:k2") and its VALUES (each "v" or "v1:v2"), as
 * sim/cli/sweep.c parse_grid checks them. */
static int sweep_grid_add(sweep_plan *p, const char *key, PyObject *values)
{
	char err[ERRLEN];
	const char *keys[SWEEP_MAX_LINKED];
	char *own[SWEEP_MAX_LINKED];
	size_t nk = 0;
	int rc = -1;
	if (sweep_plan_ngrids(p) == SWEEP_MAX_GRIDS) {
		PyErr_Format(PyExc_ValueError, "too many --grid options (%d at most)", SWEEP_MAX_GRIDS);
		return -1;
	}
	for (const char *k = key;;) {
		const char *e = strchr(k, ':');
		size_t l = e ? (size_t)(e - k) : strlen(k);
		if (!l) {
			PyErr_Format(PyExc_ValueError, "--grid '%s': an empty key", key);
			goto out;
		}
		if (nk == SWEEP_MAX_LINKED) {
			PyErr_Format(PyExc_ValueError, "--grid '%s': %d keys at most vary together", key,
				     SWEEP_MAX_LINKED);
			goto out;
		}
		if (!(own[nk] = strndup(k, l))) {
			PyErr_NoMemory();
			goto out;
		}
		keys[nk] = own[nk];
		nk++;
		for (size_t gi = 0; gi < sweep_plan_ngrids(p); gi++) {
			const sweep_grid *g = sweep_plan_grid(p, gi);
			for (size_t j = 0; j < g->nk; j++)
				if (strcmp(g->keys[j], own[nk - 1]) == 0) {
					PyErr_Format(PyExc_ValueError, "--grid %s given twice", own[nk - 1]);
					goto out;
				}
		}
		for (size_t j = 0; j + 1 < nk; j++)
			if (strcmp(keys[j], own[nk - 1]) == 0) {
				PyErr_Format(PyExc_ValueError, "--grid %s given twice", own[nk - 1]);
				goto out;
			}
		if (!e)
			break;
		k = e + 1;
	}
	const char **v;
	size_t n;
	PyObject *keep;
	if (str_list(values, "grid values: a list", &v, &n, &keep))
		goto out;
	if (!n) {
		PyErr_Format(PyExc_ValueError, "--grid '%s': no values", key);
	} else if (n > SWEEP_MAX_VALUES) {
		PyErr_Format(PyExc_ValueError, "--grid %s: too many values (%d at most)", key,
			     SWEEP_MAX_VALUES);
	} else if (sweep_plan_add_grid(p, key, keys, nk, err, sizeof(err)) != TRACE_OK) {
		PyErr_SetString(PyExc_ValueError, err);
	} else {
		rc = 0;
		for (size_t i = 0; i < n && !rc; i++) {
			size_t parts = 1;
			for (const char *c = v[i]; (c = strchr(c, ':')); c++)
				parts++;
			if (!v[i][0]) {
				PyErr_Format(PyExc_ValueError, "--grid '%s': an empty value", key);
				rc = -1;
			} else if (nk > 1 && parts != nk) {
				PyErr_Format(PyExc_ValueError, "--grid %s: the value '%s' has %zu part%s "
					     "for %zu keys", key, v[i], parts, parts == 1 ? "" : "s", nk);
				rc = -1;
			} else if (sweep_plan_add_value(p, v[i], err, sizeof(err)) != TRACE_OK) {
				PyErr_SetString(PyExc_ValueError, err);
				rc = -1;
			}
		}
	}
	free(v);
	Py_XDECREF(keep);
out:
	for (size_t j = 0; j < nk; j++)
		free(own[j]);
	return rc;
}

/* sweep(traces, grids, dir, format, files, sets, jobs, batch, per_thread,
 * progress) -> (points run, points finished before, failures): `slatsim
 * sweep`'s verbs in its order, DIR/results.csv and .json collected when
 * every point went through. */
static PyObject *py_sweep(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwlist[] = { "traces", "grids", "dir", "format", "files", "sets", "jobs",
				  "batch", "per_thread", "progress", NULL };
	PyObject *traces_o, *grids, *dobj, *files = NULL, *sets = NULL, *progress = NULL;
	const char *fname = NULL;
	unsigned long long jobs = 1, batch = SWEEP_BATCH_DEFAULT;
	int per_thread = 0;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO&|zOOKKpO", kwlist, &traces_o, &grids,
					 PyUnicode_FSConverter, &dobj, &fname, &files, &sets, &jobs,
					 &batch, &per_thread, &progress))
		return NULL;
	const char *dir = PyBytes_AS_STRING(dobj);
	const char **traces = NULL, **cf = NULL, **cs = NULL;
	size_t ntraces = 0, ncf = 0, ncs = 0;
	PyObject *kt = NULL, *kf = NULL, *ks = NULL, *out = NULL, *failures = NULL;
	sweep_plan *p = NULL;
	outset *outs = NULL;
	param_reg *base = NULL;
	enum trace_format fmt;
	char err[ERRLEN];
	int rc;
	if (parse_format(fname, &fmt))
		goto done;
	if (jobs < 1 || jobs > 256) {
		PyErr_Format(PyExc_ValueError, "-j %llu: between 1 and 256", jobs);
		goto done;
	}
	if (batch < 1 || batch > 4096) {
		PyErr_Format(PyExc_ValueError, "--batch %llu: between 1 and 4096", batch);
		goto done;
	}
	if (str_list(traces_o, "traces: a list of paths", &traces, &ntraces, &kt) ||
	    str_list(files, "config: a list of file names", &cf, &ncf, &kf) ||
	    str_list(sets, "params: a list of key=value", &cs, &ncs, &ks))
		goto done;
	if (!ntraces) {
		PyErr_SetString(PyExc_ValueError, "sweep needs at least one TRACE");
		goto done;
	}
	if (ntraces > SWEEP_MAX_TRACES) {
		PyErr_Format(PyExc_ValueError, "too many traces (%d at most)", SWEEP_MAX_TRACES);
		goto done;
	}
	if ((rc = sweep_plan_create(&p, err, sizeof(err))) != TRACE_OK) {
		raise_code(rc, err, NULL);
		goto done;
	}
	PyObject *gfast = PySequence_Fast(grids, "grids: a list of (key, values)");
	if (!gfast)
		goto done;
	for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(gfast); i++) {
		const char *key;
		PyObject *vals;
		if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(gfast, i), "sO", &key, &vals) ||
		    sweep_grid_add(p, key, vals)) {
			Py_DECREF(gfast);
			goto done;
		}
	}
	Py_DECREF(gfast);
	if (!sweep_plan_ngrids(p)) {
		PyErr_SetString(PyExc_ValueError, "sweep needs at least one --grid key=v1,v2,...");
		goto done;
	}
	if (outset_create_embedded(&outs, err, sizeof(err))) {
		PyErr_NoMemory();
		goto done;
	}
	for (size_t t = 0; t < ntraces; t++) {
		struct stat st;
		if (stat(traces[t], &st) != 0) {
			int e = errno;
			PyErr_Format(e == ENOENT ? PyExc_FileNotFoundError : PyExc_OSError,
				     "%s: cannot open trace: %s", traces[t], strerror(e));
			goto done;
		}
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			PyErr_Format(PyExc_ValueError, "%s: sweep (a decode per thread with --decode "
				     "thread, and a resumed sweep's) reads the trace twice, and this is "
				     "not a regular file (a pipe, a device or a process substitution "
				     "reads once); save it to a file first", traces[t]);
			goto done;
		}
		outset_add_input(outs, traces[t]);
	}
	sweep_plan_config cfg = {
		.traces = traces, .ntraces = ntraces, .fmt = fmt, .dir = dir,
		.config_files = cf, .nfiles = ncf, .sets = cs, .nsets = ncs, .outs = outs,
	};
	if (sweep_plan_setup(p, &cfg, err, sizeof(err)) != TRACE_OK) {
		PyErr_SetString(PyExc_ValueError, err);
		goto done;
	}
	for (size_t i = 0; i < ncf; i++)
		outset_add_input(outs, cf[i]);
	if (!(base = build_params(files, sets)))
		goto done;
	param_reg *p0;
	rc = sweep_plan_set_base(p, base, err, sizeof(err));
	if (rc == TRACE_OK && (rc = sweep_plan_params(p, 0, &p0, err, sizeof(err))) == TRACE_OK)
		param_destroy(p0);
	if (rc != TRACE_OK) {
		raise_code(rc, err, NULL);
		goto done;
	}
	/* Every point's configuration before anything is written (sim/cli/sweep.c
	 * check_points): the refusals, the first SWEEP_SHOWN named. */
	size_t combos = sweep_plan_combos(p), bad = 0;
	PyObject *lines = PyList_New(0);
	if (!lines)
		goto done;
	for (size_t pt = 0; pt < combos; pt++) {
		rc = sweep_plan_check_point(p, pt, err, sizeof(err));
		if (rc == TRACE_OK)
			continue;
		if (rc == TRACE_ENOMEM) {
			Py_DECREF(lines);
			PyErr_Format(PyExc_MemoryError, "point %zu: %s", pt, err);
			goto done;
		}
		if (bad++ >= SWEEP_SHOWN)
			continue;
		char vals[1024];
		size_t k = 0;
		vals[0] = '\0';
		for (size_t gi = 0; gi < sweep_plan_ngrids(p) && k < sizeof(vals); gi++)
			k += (size_t)snprintf(vals + k, sizeof(vals) - k, "%s%s=%s", gi ? " " : "",
					      sweep_plan_grid(p, gi)->key, sweep_plan_value(p, pt, gi));
		PyObject *l = PyUnicode_FromFormat("point %zu (%s): %s", pt, vals, err);
		if (!l || PyList_Append(lines, l)) {
			Py_XDECREF(l);
			Py_DECREF(lines);
			goto done;
		}
		Py_DECREF(l);
	}
	if (bad) {
		PyObject *l = PyUnicode_FromFormat("%zu of %zu point%s refused%s; nothing was run or "
						   "written (every point's configuration is checked "
						   "first)", bad, combos, combos == 1 ? "" : "s",
						   bad > SWEEP_SHOWN ? " (the first 8 shown)" : "");
		PyObject *sep = PyUnicode_FromString("\n");
		if (l && sep && !PyList_Append(lines, l)) {
			PyObject *msg = PyUnicode_Join(sep, lines);
			if (msg) {
				PyErr_SetObject(PyExc_ValueError, msg);
				Py_DECREF(msg);
			}
		}
		Py_XDECREF(l);
		Py_XDECREF(sep);
		Py_DECREF(lines);
		goto done;
	}
	Py_DECREF(lines);
	poll_ctx pc;
	poll_init(&pc, progress, "sweep");
	pc.points = sweep_plan_points(p);
	if (!(failures = PyList_New(0)))
		goto done;
	sweep_ctx sx = { .pc = &pc, .failures = failures };
	sweep_run_opts o = {
		.replay = { .threads = (unsigned)jobs, .per_thread_decode = per_thread,
			    .poll = sw_poll, .poll_ctx = &pc },
		.batch = batch > jobs ? (size_t)batch : (size_t)jobs,
		.failed = sw_failed, .progress = sw_progress, .ctx = &sx,
	};
	size_t ran = 0;
	poll_release(&pc);
	rc = sweep_plan_begin(p, err, sizeof(err));
	if (rc == TRACE_OK)
		rc = sweep_plan_run(p, 0, sweep_plan_points(p) - 1, &o, &ran, err, sizeof(err));
	int collected = 0;
	if (rc == TRACE_OK && !pc.failed && !sx.pyerr && PyList_GET_SIZE(failures) == 0) {
		rc = sweep_collect(dir, outs, err, sizeof(err));
		collected = rc == TRACE_OK;
	}
	poll_acquire(&pc);
	if (pc.failed || sx.pyerr) {
	} else if (rc != TRACE_OK) {
		raise_code(rc, err, NULL);
	} else {
		out = Py_BuildValue("(nnOO)", (Py_ssize_t)ran,
				    (Py_ssize_t)(sweep_plan_points(p) - ran), failures,
				    collected ? Py_True : Py_False);
	}
done:
	outset_destroy(outs);   /* abandons what was in progress (an interruption) */
	sweep_plan_destroy(p);
	param_destroy(base);
	free(traces);
	free(cf);
	free(cs);
	Py_XDECREF(kt);
	Py_XDECREF(kf);
	Py_XDECREF(ks);
	Py_XDECREF(failures);
	Py_DECREF(dobj);
	return out;
}

/* ---------------------------------------------------------------- records */

/* A record from a sequence (vcpu, kind, va[, size[, asid[, icount[, op]]]]):
 * a text trace's defaults (size 8 here, asid 0, icount 1 for X else 0). */
static int kind_of(PyObject *o, unsigned *kind)
{
	if (PyLong_Check(o)) {
		long k = PyLong_AsLong(o);
		if (k >= 0 && k <= TRACE_P) {
			*kind = (unsigned)k;
			return 0;
		}
	} else if (PyUnicode_Check(o)) {
		const char *s = PyUnicode_AsUTF8(o);
		if (!s)
			return -1;
		static const char *const names[][3] = {
			{ "r", "R", "read" }, { "w", "W", "write" }, { "x", "X", "exec" },
			{ "inv", "I", "invalidate" }, { "p", "P", "prefetch" },
		};
		for (unsigned k = 0; k < 5; k++)
			for (unsigned j = 0; j < 3; j++)
				if (strcmp(s, names[k][j]) == 0) {
					*kind = k;
					return 0;
				}
	}
	if (!PyErr_Occurred())
		PyErr_Format(PyExc_ValueError, "kind %R: one of 'r', 'w', 'x', 'inv', 'p' (or 0..4)",
			     o);
	return -1;
}

static int u64_of(PyObject *o, uint64_t max, const char *what, uint64_t *v)
{
	unsigned long long x = PyLong_AsUnsignedLongLong(o);
	if (x == (unsigned long long)-1 && PyErr_Occurred()) {
		if (PyErr_ExceptionMatches(PyExc_OverflowError) ||
		    PyErr_ExceptionMatches(PyExc_TypeError)) {
			PyErr_Clear();
			PyErr_Format(PyExc_ValueError, "%s %R: an integer from 0 to %llu", what, o,
				     (unsigned long long)max);
		}
		return -1;
	}
	if (x > max) {
		PyErr_Format(PyExc_ValueError, "%s %R: an integer from 0 to %llu", what, o,
			     (unsigned long long)max);
		return -1;
	}
	*v = x;
	return 0;
}

static int rec_from_seq(PyObject *item, trace_rec *r)
{
	PyObject *fast = PySequence_Fast(item, "a record: (vcpu, kind, va, size, asid, icount, op)");
	if (!fast)
		return -1;
	Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
	PyObject **it = PySequence_Fast_ITEMS(fast);
	uint64_t vcpu, va, size = 8, asid = 0, icount = 0, op = 0;
	unsigned kind = 0;
	int rc = -1;
	if (n < 3 || n > 7) {
		PyErr_SetString(PyExc_ValueError,
				"a record: (vcpu, kind, va[, size[, asid[, icount[, op]]]])");
		goto out;
	}
	if (u64_of(it[0], UINT16_MAX, "vcpu", &vcpu) || kind_of(it[1], &kind) ||
	    u64_of(it[2], UINT64_MAX, "va", &va))
		goto out;
	icount = kind == TRACE_X;
	if (kind == TRACE_INV)
		size = 0;
	if ((n > 3 && it[3] != Py_None && u64_of(it[3], UINT16_MAX, "size", &size)) ||
	    (n > 4 && u64_of(it[4], UINT16_MAX, "asid", &asid)) ||
	    (n > 5 && it[5] != Py_None && u64_of(it[5], UINT32_MAX, "icount", &icount)) ||
	    (n > 6 && u64_of(it[6], UINT8_MAX, "op", &op)))
		goto out;
	*r = (trace_rec){ .gva = va, .icount = (uint32_t)icount, .vcpu = (uint16_t)vcpu,
			  .asid = (uint16_t)asid, .size = (uint16_t)size, .kind = (uint8_t)kind,
			  .op = (uint8_t)op };
	rc = 0;
out:
	Py_DECREF(fast);
	return rc;
}

/* The rules every reader applies (trace_rec_check): a record from Python
 * is refused as a trace's would be. */
static int rec_check(const trace_rec *r, uint64_t index)
{
	char why[256];
	if (trace_rec_check(r, TRACE_MAX_VCPUS, why, sizeof(why)) == 0)
		return 0;
	PyErr_Format(PyExc_ValueError, "record %llu: %s", (unsigned long long)index, why);
	return -1;
}

/* ---------------------------------------------------------------- Machine */

typedef struct {
	PyObject_HEAD
	machine *m;
	param_reg *p;
	uint64_t records;        /* records run so far (machine_run's REC_BASE) */
	int busy;                /* inside run(): another call is refused */
	int finished;
} MachineObject;

static PyTypeObject MachineType;

/* What machine_access returned, kept as the struct: one small object per
 * access, its fields made Python objects only when read (the hot path of a
 * Python driver is this allocation, not the model). */
typedef struct {
	PyObject_HEAD
	machine_result r;
} ResultObject;

#define RES_OFF(f) (Py_ssize_t)(offsetof(ResultObject, r) + offsetof(machine_result, f))
static PyMemberDef Result_members[] = {
	{ "pages", T_UINT, RES_OFF(npages), READONLY,
	  "pages touched (an access may cross into a second)" },
	{ "cycles_translation", T_ULONGLONG, RES_OFF(cycles_translation), READONLY,
	  "TLB lookups and walks" },
	{ "cycles_faults", T_ULONGLONG, RES_OFF(cycles_faults), READONLY,
	  "guest and host fault handling (not the stage-2 faults dirty logging caused: "
	  "cycles_dirtylog)" },
	{ "cycles_dirtylog", T_ULONGLONG, RES_OFF(cycles_dirtylog), READONLY,
	  "logging work: exits, faults (the stage-2 faults it caused too), drains, a round" },
	{ "walks", T_UINT, RES_OFF(walks), READONLY, "page walks (including those that faulted)" },
	{ "faults_guest", T_UINT, RES_OFF(faults_guest), READONLY,
	  "guest page faults taken and resolved" },
	{ "faults_host", T_UINT, RES_OFF(faults_host), READONLY,
	  "host (stage-2) faults taken and resolved" },
	{ "log_full_exits", T_UINT, RES_OFF(log_full_exits), READONLY,
	  "PML log-full exits / HDBSS-full aborts" },
	{ "wp_faults", T_UINT, RES_OFF(wp_faults), READONLY,
	  "write-protection faults for dirty logging" },
	{ "rounds", T_UINT, RES_OFF(rounds), READONLY, "dirty-logging rounds this access ended" },
	{ NULL, 0, 0, 0, NULL },
};

static const char *const result_fields[] = {
	"pages", "gpa", "hpa", "shift", "cycles_translation", "cycles_faults", "cycles_dirtylog",
	"walks", "faults_guest", "faults_host", "log_full_exits", "wp_faults", "rounds",
};
#define NRESULT_FIELDS (sizeof(result_fields) / sizeof(result_fields[0]))

/* Per page: WHICH 0 the GPA, 1 the HPA, 2 the shift. */
static PyObject *result_pages(ResultObject *self, int which)
{
	unsigned np = self->r.npages > 2 ? 2 : self->r.npages;
	PyObject *t = PyTuple_New(np);
	for (unsigned i = 0; t && i < np; i++) {
		PyObject *v = which == 0 ? PyLong_FromUnsignedLongLong(self->r.gpa[i])
			      : which == 1 ? PyLong_FromUnsignedLongLong(self->r.hpa[i])
					   : PyLong_FromUnsignedLong(self->r.shift[i]);
		if (!v) {
			Py_DECREF(t);
			return NULL;
		}
		PyTuple_SET_ITEM(t, i, v);
	}
	return t;
}

static PyObject *Result_gpa(ResultObject *self, void *c) { (void)c; return result_pages(self, 0); }
static PyObject *Result_hpa(ResultObject *self, void *c) { (void)c; return result_pages(self, 1); }
static PyObject *Result_shift(ResultObject *self, void *c) { (void)c; return result_pages(self, 2); }
static PyObject *Result_cycles(ResultObject *self, void *c)
{
	(void)c;
	return PyLong_FromUnsignedLongLong(self->r.cycles_translation + self->r.cycles_faults +
					   self->r.cycles_dirtylog);
}

static PyGetSetDef Result_getset[] = {
	{ "gpa", (getter)Result_gpa, NULL, "per page: the guest-physical address of its first "
	  "byte touched", NULL },
	{ "hpa", (getter)Result_hpa, NULL, "per page: the host-physical address", NULL },
	{ "shift", (getter)Result_shift, NULL, "per page: log2 of the translation's size", NULL },
	{ "cycles", (getter)Result_cycles, NULL, "translation + faults + dirty logging", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* _asdict(): every field by name, in order. */
static PyObject *Result_asdict(PyObject *self, PyObject *noargs)
{
	(void)noargs;
	PyObject *d = PyDict_New();
	for (size_t i = 0; d && i < NRESULT_FIELDS; i++) {
		PyObject *v = PyObject_GetAttrString(self, result_fields[i]);
		if (!v || PyDict_SetItemString(d, result_fields[i], v))
			Py_CLEAR(d);
		Py_XDECREF(v);
	}
	return d;
}

static PyObject *Result_repr(PyObject *self)
{
	PyObject *d = Result_asdict(self, NULL);
	if (!d)
		return NULL;
	PyObject *parts = PyList_New(0);
	for (size_t i = 0; parts && i < NRESULT_FIELDS; i++) {
		PyObject *v = PyDict_GetItemString(d, result_fields[i]);
		PyObject *e = PyUnicode_FromFormat("%s=%R", result_fields[i], v);
		if (!e || PyList_Append(parts, e))
			Py_CLEAR(parts);
		Py_XDECREF(e);
	}
	Py_DECREF(d);
	if (!parts)
		return NULL;
	PyObject *sep = PyUnicode_FromString(", ");
	PyObject *body = sep ? PyUnicode_Join(sep, parts) : NULL;
	Py_XDECREF(sep);
	Py_DECREF(parts);
	if (!body)
		return NULL;
	PyObject *r = PyUnicode_FromFormat("AccessResult(%U)", body);
	Py_DECREF(body);
	return r;
}

static PyMethodDef Result_methods[] = {
	{ "_asdict", Result_asdict, METH_NOARGS, "the fields as a dict" },
	{ NULL, NULL, 0, NULL },
};

static PyTypeObject AccessResultType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "slatsim.AccessResult",
	.tp_basicsize = sizeof(ResultObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "What one access did: machine_result of sim/machine/machine.h.",
	.tp_members = Result_members,
	.tp_getset = Result_getset,
	.tp_methods = Result_methods,
	.tp_repr = Result_repr,
};

static PyObject *result_obj(const machine_result *r)
{
	ResultObject *o = PyObject_New(ResultObject, &AccessResultType);
	if (!o)
		return NULL;
	o->r = *r;
	return (PyObject *)o;
}

static int machine_ready(MachineObject *self)
{
	if (!self->m) {
		PyErr_SetString(PyExc_RuntimeError, "the Machine was not initialised");
		return -1;
	}
	if (self->busy) {
		PyErr_SetString(PyExc_RuntimeError, "the Machine is running records (another thread)");
		return -1;
	}
	return 0;
}

static PyObject *machine_raise(MachineObject *self)
{
	return raise_code(machine_error_code(self->m), machine_error(self->m), NULL);
}

static int Machine_init(MachineObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "files", "sets", NULL };
	PyObject *files = NULL, *sets = NULL;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO", kwlist, &files, &sets))
		return -1;
	if (self->m) {
		PyErr_SetString(PyExc_RuntimeError, "a Machine is initialised once");
		return -1;
	}
	param_reg *p = build_params(files, sets);
	if (!p)
		return -1;
	char err[ERRLEN];
	int rc = machine_create(&self->m, p, err, sizeof(err));
	if (rc != TRACE_OK) {
		self->m = NULL;
		raise_config(rc, p, err);
		param_destroy(p);
		return -1;
	}
	self->p = p;
	return 0;
}

static void Machine_dealloc(MachineObject *self)
{
	machine_destroy(self->m);
	param_destroy(self->p);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

/* access(vcpu, kind, va, size=8, asid=0, icount=None): FASTCALL, the hot
 * path of a Python driver (parsed by hand: no argument-clinic in an
 * extension). */
static PyObject *Machine_access(MachineObject *self, PyObject *const *args, Py_ssize_t nargs,
				PyObject *kwnames)
{
	static const char *const names[] = { "vcpu", "kind", "va", "size", "asid", "icount" };
	PyObject *a[6] = { NULL };
	if (nargs > 6) {
		PyErr_SetString(PyExc_TypeError, "access() takes at most 6 arguments");
		return NULL;
	}
	for (Py_ssize_t i = 0; i < nargs; i++)
		a[i] = args[i];
	Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
	for (Py_ssize_t k = 0; k < nkw; k++) {
		const char *kn = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
		int found = 0;
		for (unsigned i = 0; kn && i < 6; i++)
			if (strcmp(kn, names[i]) == 0) {
				if (a[i]) {
					PyErr_Format(PyExc_TypeError, "access() got '%s' twice", kn);
					return NULL;
				}
				a[i] = args[nargs + k];
				found = 1;
			}
		if (!found) {
			if (kn)
				PyErr_Format(PyExc_TypeError, "access() got an unexpected keyword '%s'", kn);
			return NULL;
		}
	}
	if (!a[0] || !a[1] || !a[2]) {
		PyErr_SetString(PyExc_TypeError, "access() needs vcpu, kind and va");
		return NULL;
	}
	if (machine_ready(self))
		return NULL;
	uint64_t vcpu, va, size = 8, asid = 0, icount;
	unsigned kind;
	if (u64_of(a[0], UINT16_MAX, "vcpu", &vcpu) || kind_of(a[1], &kind) ||
	    u64_of(a[2], UINT64_MAX, "va", &va) ||
	    (a[3] && u64_of(a[3], UINT16_MAX, "size", &size)) ||
	    (a[4] && u64_of(a[4], UINT16_MAX, "asid", &asid)))
		return NULL;
	icount = kind == TRACE_X;
	if (a[5] && a[5] != Py_None && u64_of(a[5], UINT32_MAX, "icount", &icount))
		return NULL;
	if (kind == TRACE_INV) {
		PyErr_SetString(PyExc_ValueError, "access(): an invalidation is invalidate()'s");
		return NULL;
	}
	trace_rec r = { .gva = va, .icount = (uint32_t)icount, .vcpu = (uint16_t)vcpu,
			.asid = (uint16_t)asid, .size = (uint16_t)size, .kind = (uint8_t)kind };
	if (rec_check(&r, self->records))
		return NULL;
	machine_result res;
	/* A vCPU's first record adds it (machine_add_vcpu). */
	if ((!machine_vcpu_needed(self->m, &r, 1, NULL) && machine_add_vcpu(self->m, r.vcpu)) ||
	    machine_access(self->m, &r, &res))
		return machine_raise(self);
	self->records++;
	return result_obj(&res);
}

/* Run N records at B through the machine, the GIL released, polled. */
static int machine_feed(MachineObject *self, const trace_rec *b, size_t n, poll_ctx *pc)
{
	for (size_t i = 0; i < n; i++)
		if (rec_check(&b[i], self->records + i))
			return -1;
	size_t failed = 0, done = 0;
	int rc = 0;
	self->busy = 1;
	poll_release(pc);
	while (done < n && !rc) {
		size_t k = n - done < REPLAY_BATCH ? n - done : REPLAY_BATCH;
		if (replay_batch(self->m, b + done, k, self->records + done, NULL, &failed)) {
			rc = -1;
			failed += done;
			break;
		}
		done += k;
		pc->records = self->records + done;
		if (done < n && poll_tick(pc, 0))
			rc = -2;
	}
	poll_acquire(pc);
	self->busy = 0;
	self->records += rc == -1 ? failed : done;
	if (rc == -1) {
		char msg[ERRLEN];
		snprintf(msg, sizeof(msg), "record %llu: %s",
			 (unsigned long long)(self->records), machine_error(self->m));
		raise_code(machine_error_code(self->m), msg, NULL);
	}
	return rc ? -1 : 0;
}

/* run(records, progress=None): a buffer of trace_rec (a numpy array of
 * slatsim.RECORD_DTYPE, bytes) without a copy, or an iterable of records.
 * Returns the records run. */
static PyObject *Machine_run(MachineObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "records", "progress", NULL };
	PyObject *recs, *progress = NULL;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O", kwlist, &recs, &progress))
		return NULL;
	if (machine_ready(self))
		return NULL;
	poll_ctx pc;
	poll_init(&pc, progress, "machine");
	uint64_t before = self->records;
	if (PyObject_CheckBuffer(recs)) {
		Py_buffer view;
		if (PyObject_GetBuffer(recs, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT))
			return NULL;
		if (view.itemsize != (Py_ssize_t)sizeof(trace_rec) &&
		    !(view.itemsize == 1 && view.len % (Py_ssize_t)sizeof(trace_rec) == 0)) {
			PyErr_Format(PyExc_ValueError, "records: a buffer of %zu-byte trace records "
				     "(slatsim.RECORD_DTYPE), not items of %zd bytes",
				     sizeof(trace_rec), view.itemsize);
			PyBuffer_Release(&view);
			return NULL;
		}
		int rc = machine_feed(self, view.buf, (size_t)view.len / sizeof(trace_rec), &pc);
		PyBuffer_Release(&view);
		if (rc)
			return NULL;
		return PyLong_FromUnsignedLongLong(self->records - before);
	}
	PyObject *it = PyObject_GetIter(recs);
	if (!it)
		return NULL;
	trace_rec *b = malloc(REPLAY_BATCH * sizeof(*b));
	if (!b) {
		Py_DECREF(it);
		return PyErr_NoMemory();
	}
	size_t n = 0;
	int rc = 0;
	PyObject *item;
	while (!rc && (item = PyIter_Next(it))) {
		rc = rec_from_seq(item, &b[n]);
		Py_DECREF(item);
		if (!rc && ++n == REPLAY_BATCH) {
			rc = machine_feed(self, b, n, &pc);
			n = 0;
			if (!rc && (rc = PyErr_CheckSignals()) == 0 && pc.progress) {
				pc.records = self->records;
				rc = poll_report(&pc);
			}
		}
	}
	if (!rc && PyErr_Occurred())
		rc = -1;
	if (!rc && n)
		rc = machine_feed(self, b, n, &pc);
	free(b);
	Py_DECREF(it);
	if (rc)
		return NULL;
	return PyLong_FromUnsignedLongLong(self->records - before);
}

/* invalidate(vcpu=0, scope='va'|'asid'|'all', va=0, asid=0, broadcast=False):
 * a guest TLB invalidation record (TLBI VAE1 / INVLPG, ASIDE1 / INVPCID
 * single, VMALLE1 / INVPCID all; broadcast: every vCPU of the VM). */
static PyObject *Machine_invalidate(MachineObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "vcpu", "scope", "va", "asid", "broadcast", NULL };
	unsigned long long vcpu = 0, va = 0, asid = 0;
	const char *scope = "va";
	int bcast = 0;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|KsKKp", kwlist, &vcpu, &scope, &va, &asid,
					 &bcast))
		return NULL;
	if (machine_ready(self))
		return NULL;
	unsigned op;
	if (strcmp(scope, "va") == 0)
		op = TRACE_INV_VA;
	else if (strcmp(scope, "asid") == 0)
		op = TRACE_INV_ASID;
	else if (strcmp(scope, "all") == 0)
		op = TRACE_INV_ALL;
	else {
		PyErr_Format(PyExc_ValueError, "scope '%s': va, asid or all", scope);
		return NULL;
	}
	if (vcpu > UINT16_MAX || asid > UINT16_MAX) {
		PyErr_SetString(PyExc_ValueError, "vcpu and asid: 0 to 65535");
		return NULL;
	}
	trace_rec r = { .gva = va, .vcpu = (uint16_t)vcpu, .asid = (uint16_t)asid,
			.kind = TRACE_INV, .op = (uint8_t)(op | (bcast ? TRACE_INV_BCAST : 0)) };
	if (rec_check(&r, self->records))
		return NULL;
	if (machine_access(self->m, &r, NULL))
		return machine_raise(self);
	self->records++;
	Py_RETURN_NONE;
}

static int domain_arg(MachineObject *self, unsigned long long d)
{
	if (d >= machine_domains(self->m) && d != machine_control_domain(self->m)) {
		PyErr_Format(PyExc_ValueError, "domain %llu: the machine has domains 0..%u", d,
			     machine_domains(self->m) - 1);
		return -1;
	}
	return 0;
}

/* invalidate_domain(domain): every cached translation of the domain on each
 * of its vCPUs (INVEPT single-context / TLBI VMALLS12E1). */
static PyObject *Machine_invalidate_domain(MachineObject *self, PyObject *args)
{
	unsigned long long d;
	if (!PyArg_ParseTuple(args, "K", &d) || machine_ready(self) || domain_arg(self, d))
		return NULL;
	return PyLong_FromUnsignedLong(machine_inv_domain(self->m, (unsigned)d));
}

static PyObject *pageset_list(const pageset *s)
{
	PyObject *l = PyList_New(0);
	if (!l || !s)
		return l;
	for (size_t i = 0; s->slot && i <= s->mask; i++) {
		if (!pageset_slot_used(s, i))
			continue;
		PyObject *v = PyLong_FromUnsignedLongLong(s->slot[i]);
		if (!v || PyList_Append(l, v)) {
			Py_XDECREF(v);
			Py_DECREF(l);
			return NULL;
		}
		Py_DECREF(v);
	}
	if (PyList_Sort(l)) {
		Py_DECREF(l);
		return NULL;
	}
	return l;
}

/* harvest(domain=0): end a dirty-logging round now; the 4 KB GPA page
 * numbers it reported dirty, sorted. */
static PyObject *Machine_harvest(MachineObject *self, PyObject *args)
{
	unsigned long long d = 0;
	if (!PyArg_ParseTuple(args, "|K", &d) || machine_ready(self) || domain_arg(self, d))
		return NULL;
	if (machine_harvest(self->m, (unsigned)d))
		return machine_raise(self);
	return pageset_list(machine_last_dirty(self->m, (unsigned)d));
}

static PyObject *Machine_last_dirty(MachineObject *self, PyObject *args)
{
	unsigned long long d = 0;
	if (!PyArg_ParseTuple(args, "|K", &d) || machine_ready(self) || domain_arg(self, d))
		return NULL;
	return pageset_list(machine_last_dirty(self->m, (unsigned)d));
}

/* stats(): every statistic, in the registry's order (counters int, ratios
 * float): `run --json`'s "stats". */
static PyObject *Machine_stats(MachineObject *self, PyObject *noargs)
{
	(void)noargs;
	if (machine_ready(self))
		return NULL;
	if (!self->finished)
		machine_totals(self->m);
	stats_reg *st = machine_stats(self->m);
	PyObject *d = PyDict_New();
	for (size_t i = 0; d && i < stats_count(st); i++) {
		PyObject *v = stats_kind_at(st, i) == STATS_RATIO
				      ? PyFloat_FromDouble(stats_ratio_at(st, i))
				      : PyLong_FromUnsignedLongLong(stats_value_at(st, i));
		if (!v || PyDict_SetItemString(d, stats_name_at(st, i), v)) {
			Py_XDECREF(v);
			Py_CLEAR(d);
		}
		Py_XDECREF(v);
	}
	return d;
}

/* describe(): each statistic's description. */
static PyObject *Machine_describe(MachineObject *self, PyObject *noargs)
{
	(void)noargs;
	if (machine_ready(self))
		return NULL;
	stats_reg *st = machine_stats(self->m);
	PyObject *d = PyDict_New();
	for (size_t i = 0; d && i < stats_count(st); i++) {
		PyObject *v = PyUnicode_FromString(stats_desc_at(st, i));
		if (!v || PyDict_SetItemString(d, stats_name_at(st, i), v))
			Py_CLEAR(d);
		Py_XDECREF(v);
	}
	return d;
}

/* config_json(): the "config" object of `run --json` (every parameter's
 * effective value), as JSON text. */
static PyObject *Machine_config_json(MachineObject *self, PyObject *noargs)
{
	(void)noargs;
	if (machine_ready(self))
		return NULL;
	memout mo;
	if (mem_open(&mo))
		return PyErr_NoMemory();
	json_w j;
	json_init(&j, mo.f, 0);
	json_begin_obj(&j, NULL);
	report_json_config(&j, self->p);
	json_end_obj(&j);
	json_finish(&j);
	return mem_str(&mo);
}

/* report_json(): the whole `run --json` document of what ran so far. */
static PyObject *Machine_report_json(MachineObject *self, PyObject *args)
{
	const char *name = "<python>";
	if (!PyArg_ParseTuple(args, "|s", &name) || machine_ready(self))
		return NULL;
	memout mo;
	if (mem_open(&mo))
		return PyErr_NoMemory();
	if (!self->finished)
		machine_totals(self->m);
	trace_header h = { .format = TRACE_FMT_AUTO };
	report_json(mo.f, name, &h, self->p, machine_stats(self->m), self->m);
	return mem_str(&mo);
}

static PyObject *Machine_finish(MachineObject *self, PyObject *noargs)
{
	(void)noargs;
	if (machine_ready(self))
		return NULL;
	if (self->finished) {
		PyErr_SetString(PyExc_RuntimeError, "finish(): the machine has finished already");
		return NULL;
	}
	if (machine_finish(self->m))
		return machine_raise(self);
	self->finished = 1;
	Py_RETURN_NONE;
}

static PyObject *Machine_start(MachineObject *self, PyObject *noargs)
{
	(void)noargs;
	if (machine_ready(self))
		return NULL;
	if (machine_start(self->m))
		return machine_raise(self);
	Py_RETURN_NONE;
}

static PyObject *Machine_warm(MachineObject *self, PyObject *noargs)
{
	(void)noargs;
	if (machine_ready(self))
		return NULL;
	machine_warm(self->m);
	Py_RETURN_NONE;
}

static PyObject *Machine_rounds(MachineObject *self, PyObject *args)
{
	unsigned long long d = 0;
	if (!PyArg_ParseTuple(args, "|K", &d) || machine_ready(self) || domain_arg(self, d))
		return NULL;
	size_t n;
	const dl_round *r = machine_rounds(self->m, (unsigned)d, &n);
	PyObject *l = PyList_New(0);
	for (size_t i = 0; l && i < n; i++) {
		PyObject *t = Py_BuildValue("{s:K,s:K,s:K,s:K,s:K,s:K}",
					    "instructions", (unsigned long long)r[i].instructions,
					    "true_pages", (unsigned long long)r[i].true_pages,
					    "reported_pages", (unsigned long long)r[i].reported_pages,
					    "missed_pages", (unsigned long long)r[i].missed_pages,
					    "extra_pages", (unsigned long long)r[i].extra_pages,
					    "cycles", (unsigned long long)r[i].cycles);
		if (!t || PyList_Append(l, t))
			Py_CLEAR(l);
		Py_XDECREF(t);
	}
	return l;
}

static PyObject *Machine_domain_cycles(MachineObject *self, PyObject *args)
{
	unsigned long long d = 0;
	if (!PyArg_ParseTuple(args, "|K", &d) || machine_ready(self) || domain_arg(self, d))
		return NULL;
	return PyLong_FromUnsignedLongLong(machine_domain_cycles(self->m, (unsigned)d));
}

static const char *const step_kinds[] = { "read", "write", "pml", "hdbss", "walk_cache", "ntlb" };
static const char *const fault_kinds[] = { "none", "translation", "permission", "misconfig",
					   "access_flag", "addrsize", "log_full" };

static PyObject *mmu_result_dict(const mmu_result *r)
{
	PyObject *fault = Py_None;
	Py_INCREF(fault);
	if (r->fault.kind != MMU_FAULT_NONE) {
		Py_DECREF(fault);
		fault = Py_BuildValue("{s:s,s:I,s:I,s:O,s:K,s:K}", "kind",
				      fault_kinds[r->fault.kind], "stage", r->fault.stage, "level",
				      r->fault.level, "s1ptw", r->fault.s1ptw ? Py_True : Py_False,
				      "va", (unsigned long long)r->fault.va, "ipa",
				      (unsigned long long)r->fault.ipa);
		if (!fault)
			return NULL;
	}
	PyObject *d = Py_BuildValue("{s:K,s:K,s:I,s:I,s:I,s:I,s:O,s:I,s:I,s:I,s:I,s:I,s:K,s:N}",
				    "pa", (unsigned long long)r->pa, "ipa",
				    (unsigned long long)r->ipa, "shift", r->shift, "s1_shift",
				    r->s1_shift, "s2_shift", r->s2_shift, "perm", r->perm, "dirty",
				    r->dirty ? Py_True : Py_False, "refs", r->refs, "s1_refs",
				    r->s1_refs, "s2_refs", r->s2_refs, "ad_writes", r->ad_writes,
				    "logged", r->logged, "cycles", (unsigned long long)r->cycles,
				    "fault", fault);
	return d;
}

/* explain(va, domain=0, kind='r', asid=0): machine_walk_once - map VA as on
 * first touch, drop the domain's cached translations, walk as the access
 * path does; every attempt and its steps. */
static PyObject *Machine_explain(MachineObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "va", "domain", "kind", "asid", NULL };
	unsigned long long va, d = 0, asid = 0;
	PyObject *ko = NULL;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "K|KOK", kwlist, &va, &d, &ko, &asid))
		return NULL;
	if (machine_ready(self) || domain_arg(self, d))
		return NULL;
	unsigned kind = TRACE_R;
	if (ko && kind_of(ko, &kind))
		return NULL;
	if (kind > TRACE_X || asid > UINT16_MAX) {
		PyErr_SetString(PyExc_ValueError, "explain(): kind r, w or x; asid 0..65535");
		return NULL;
	}
	mmu_step *steps = calloc(EXPLAIN_STEPS, sizeof(*steps));
	machine_walk_info *info = calloc(1, sizeof(*info));
	if (!steps || !info) {
		free(steps);
		free(info);
		return PyErr_NoMemory();
	}
	mmu_result res;
	PyObject *out = NULL, *attempts = NULL;
	if (machine_walk_once(self->m, (unsigned)d, va, kind, (uint16_t)asid, steps, EXPLAIN_STEPS,
			      &res, info)) {
		machine_raise(self);
		goto out;
	}
	if (!(attempts = PyList_New(0)))
		goto out;
	unsigned at = 0;
	for (unsigned k = 0; k < info->nattempts; k++) {
		PyObject *a = mmu_result_dict(&info->attempt[k]);
		PyObject *sl = PyList_New(0);
		if (!a || !sl) {
			Py_XDECREF(a);
			Py_XDECREF(sl);
			goto out;
		}
		for (unsigned s = 0; s < info->attempt[k].nsteps && at < EXPLAIN_STEPS; s++, at++) {
			const mmu_step *st = &steps[at];
			PyObject *sd = Py_BuildValue(
				"{s:s,s:I,s:I,s:K,s:K,s:K,s:K,s:K,s:O,s:i,s:s}", "kind",
				step_kinds[st->kind], "stage", st->stage, "level", st->level, "table",
				(unsigned long long)st->table, "index", (unsigned long long)st->index,
				"entry_pa", (unsigned long long)st->entry_pa, "desc",
				(unsigned long long)st->desc, "prev", (unsigned long long)st->prev,
				"cached", st->cached ? Py_True : Py_False, "served", st->served, "what",
				st->what ? st->what : "");
			if (!sd || PyList_Append(sl, sd)) {
				Py_XDECREF(sd);
				Py_DECREF(a);
				Py_DECREF(sl);
				goto out;
			}
			Py_DECREF(sd);
		}
		if (PyDict_SetItemString(a, "steps", sl) || PyList_Append(attempts, a)) {
			Py_DECREF(a);
			Py_DECREF(sl);
			goto out;
		}
		Py_DECREF(a);
		Py_DECREF(sl);
	}
	out = Py_BuildValue("{s:O,s:O,s:O,s:K,s:K,s:O,s:I,s:O}", "arch",
			    info->arm ? Py_True : Py_False, "nested",
			    info->nested ? Py_True : Py_False, "upper",
			    info->upper ? Py_True : Py_False, "s1_root",
			    (unsigned long long)info->s1_root, "s2_root",
			    (unsigned long long)info->s2_root, "s2_ad",
			    info->s2_ad ? Py_True : Py_False, "pte_latency", info->pte_latency,
			    "attempts", attempts);
	if (out) {
		/* "arch" as its name */
		PyObject *an = PyUnicode_FromString(info->arm ? "arm64" : "x86");
		if (!an || PyDict_SetItemString(out, "arch", an))
			Py_CLEAR(out);
		Py_XDECREF(an);
	}
out:
	Py_XDECREF(attempts);
	free(steps);
	free(info);
	return out;
}

/* The rooms of domain D: its guest OS and hypervisor. */
static int rooms(MachineObject *self, unsigned long long d, guest **g, hyp **h)
{
	if (machine_ready(self) || domain_arg(self, d))
		return -1;
	if (machine_rooms(self->m, (unsigned)d, g, h)) {
		PyErr_Format(PyExc_ValueError, "domain %llu: no such domain", d);
		return -1;
	}
	return 0;
}

/* lookup(gpa, domain=0): the HPA stage 2 maps GPA to, or None. */
static PyObject *Machine_lookup(MachineObject *self, PyObject *args)
{
	unsigned long long gpa, d = 0;
	guest *g;
	hyp *h;
	if (!PyArg_ParseTuple(args, "K|K", &gpa, &d) || rooms(self, d, &g, &h))
		return NULL;
	uint64_t hpa;
	if (!h)
		return PyLong_FromUnsignedLongLong(gpa);   /* not virtualized: GPA is HPA */
	if (hyp_lookup(h, gpa, &hpa))
		Py_RETURN_NONE;
	return PyLong_FromUnsignedLongLong(hpa);
}

/* map_foreign(gpa, frames, domain=0, write=True, cont=False): a grant
 * mapping of host frames FRAMES (1, or 16 for a 64 KB grant) at GPA in
 * the domain's stage 2 (hyp_map_foreign). Returns the stage-2 entries. */
static PyObject *Machine_map_foreign(MachineObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "gpa", "frames", "domain", "write", "cont", NULL };
	unsigned long long gpa, d = 0;
	PyObject *frames;
	int write = 1, cont = 0;
	guest *g;
	hyp *h;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "KO|Kpp", kwlist, &gpa, &frames, &d, &write,
					 &cont) || rooms(self, d, &g, &h))
		return NULL;
	if (!h) {
		PyErr_Format(PyExc_ValueError, "domain %llu is not virtualized: no stage 2", d);
		return NULL;
	}
	PyObject *fast = PySequence_Fast(frames, "frames: a list of host-physical addresses");
	if (!fast)
		return NULL;
	Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
	uint64_t pa[16];
	if (n != 1 && n != 16) {
		Py_DECREF(fast);
		PyErr_SetString(PyExc_ValueError, "frames: 1 frame, or 16 for a 64 KB grant");
		return NULL;
	}
	for (Py_ssize_t i = 0; i < n; i++)
		if (u64_of(PySequence_Fast_GET_ITEM(fast, i), UINT64_MAX, "frame", &pa[i])) {
			Py_DECREF(fast);
			return NULL;
		}
	Py_DECREF(fast);
	int rc = hyp_map_foreign(h, gpa, pa, (unsigned)n, MMU_P_R | (write ? MMU_P_W : 0), cont);
	if (rc < 0) {
		PyErr_Format(PyExc_ValueError, "map_foreign(0x%llx): the granule has no 4 KB leaf "
			     "or a mapping is in the way", gpa);
		return NULL;
	}
	return PyLong_FromLong(rc);
}

/* unmap_foreign(gpa, n=1, domain=0): hyp_unmap_foreign - the vCPUs
 * invalidated. */
static PyObject *Machine_unmap_foreign(MachineObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "gpa", "n", "domain", NULL };
	unsigned long long gpa, n = 1, d = 0;
	guest *g;
	hyp *h;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "K|KK", kwlist, &gpa, &n, &d) ||
	    rooms(self, d, &g, &h))
		return NULL;
	if (!h || n < 1 || n > 16) {
		PyErr_SetString(PyExc_ValueError, "unmap_foreign(): a virtualized domain, n 1..16");
		return NULL;
	}
	int rc = hyp_unmap_foreign(h, gpa, (unsigned)n);
	if (rc < 0) {
		PyErr_Format(PyExc_ValueError, "unmap_foreign(0x%llx): nothing foreign is mapped "
			     "there", gpa);
		return NULL;
	}
	return PyLong_FromLong(rc);
}

/* guest_map(va, gpa, domain=0, asid=0, write=True): the guest OS maps the
 * base page of VA to the one of GPA (guest_map_at: memory it did not take
 * from its own RAM, where a back end maps grants). 1 mapped, 0 already. */
static PyObject *Machine_guest_map(MachineObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "va", "gpa", "domain", "asid", "write", NULL };
	unsigned long long va, gpa, d = 0, asid = 0;
	int write = 1;
	guest *g;
	hyp *h;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "KK|KKp", kwlist, &va, &gpa, &d, &asid,
					 &write) || rooms(self, d, &g, &h))
		return NULL;
	if (asid > UINT16_MAX) {
		PyErr_SetString(PyExc_ValueError, "asid: 0 to 65535");
		return NULL;
	}
	int rc = guest_map_at(g, (uint16_t)asid, va, gpa, MMU_P_R | (write ? MMU_P_W : 0));
	if (rc < 0) {
		PyErr_Format(PyExc_ValueError, "guest_map(0x%llx -> 0x%llx): another mapping is in "
			     "the way", va, gpa);
		return NULL;
	}
	return PyLong_FromLong(rc);
}

static PyObject *Machine_get_domains(MachineObject *self, void *c)
{
	(void)c;
	if (machine_ready(self))
		return NULL;
	return PyLong_FromUnsignedLong(machine_domains(self->m));
}

static PyObject *Machine_get_control(MachineObject *self, void *c)
{
	(void)c;
	if (machine_ready(self))
		return NULL;
	unsigned d = machine_control_domain(self->m);
	if (d == UINT32_MAX)
		Py_RETURN_NONE;
	return PyLong_FromUnsignedLong(d);
}

static PyObject *Machine_get_records(MachineObject *self, void *c)
{
	(void)c;
	return PyLong_FromUnsignedLongLong(self->records);
}

static PyMethodDef Machine_methods[] = {
	{ "access", (PyCFunction)(void (*)(void))Machine_access, METH_FASTCALL | METH_KEYWORDS,
	  "access(vcpu, kind, va, size=8, asid=0, icount=None) -> AccessResult" },
	{ "run", (PyCFunction)(void (*)(void))Machine_run, METH_VARARGS | METH_KEYWORDS,
	  "run(records, progress=None) -> records run" },
	{ "invalidate", (PyCFunction)(void (*)(void))Machine_invalidate,
	  METH_VARARGS | METH_KEYWORDS,
	  "invalidate(vcpu=0, scope='va', va=0, asid=0, broadcast=False)" },
	{ "invalidate_domain", (PyCFunction)Machine_invalidate_domain, METH_VARARGS,
	  "invalidate_domain(domain) -> vCPUs invalidated" },
	{ "harvest", (PyCFunction)Machine_harvest, METH_VARARGS,
	  "harvest(domain=0) -> sorted 4 KB GPA page numbers reported dirty" },
	{ "last_dirty", (PyCFunction)Machine_last_dirty, METH_VARARGS,
	  "last_dirty(domain=0) -> what the last round reported" },
	{ "stats", (PyCFunction)Machine_stats, METH_NOARGS, "stats() -> {name: value}" },
	{ "describe", (PyCFunction)Machine_describe, METH_NOARGS,
	  "describe() -> {statistic: description}" },
	{ "_config_json", (PyCFunction)Machine_config_json, METH_NOARGS, NULL },
	{ "_report_json", (PyCFunction)Machine_report_json, METH_VARARGS, NULL },
	{ "finish", (PyCFunction)Machine_finish, METH_NOARGS,
	  "finish(): the last dirty-logging round of each domain, statistics totalled" },
	{ "start", (PyCFunction)Machine_start, METH_NOARGS, "start(): arm dirty logging" },
	{ "warm", (PyCFunction)Machine_warm, METH_NOARGS,
	  "warm(): every counter counts from zero from now on" },
	{ "rounds", (PyCFunction)Machine_rounds, METH_VARARGS,
	  "rounds(domain=0) -> the dirty-logging rounds ended" },
	{ "domain_cycles", (PyCFunction)Machine_domain_cycles, METH_VARARGS,
	  "domain_cycles(domain=0) -> its cycles so far" },
	{ "explain", (PyCFunction)(void (*)(void))Machine_explain, METH_VARARGS | METH_KEYWORDS,
	  "explain(va, domain=0, kind='r', asid=0) -> the walk, attempt by attempt" },
	{ "lookup", (PyCFunction)Machine_lookup, METH_VARARGS,
	  "lookup(gpa, domain=0) -> HPA or None" },
	{ "map_foreign", (PyCFunction)(void (*)(void))Machine_map_foreign,
	  METH_VARARGS | METH_KEYWORDS,
	  "map_foreign(gpa, frames, domain=0, write=True, cont=False) -> stage-2 entries" },
	{ "unmap_foreign", (PyCFunction)(void (*)(void))Machine_unmap_foreign,
	  METH_VARARGS | METH_KEYWORDS, "unmap_foreign(gpa, n=1, domain=0) -> vCPUs invalidated" },
	{ "guest_map", (PyCFunction)(void (*)(void))Machine_guest_map,
	  METH_VARARGS | METH_KEYWORDS, "guest_map(va, gpa, domain=0, asid=0, write=True)" },
	{ NULL, NULL, 0, NULL },
};

static PyGetSetDef Machine_getset[] = {
	{ "domains", (getter)Machine_get_domains, NULL, "the trace's domains", NULL },
	{ "control_domain", (getter)Machine_get_control, NULL, "the control domain, or None",
	  NULL },
	{ "records", (getter)Machine_get_records, NULL, "records run so far", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static PyTypeObject MachineType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "slatsim._slatsim.Machine",
	.tp_basicsize = sizeof(MachineObject),
	.tp_dealloc = (destructor)Machine_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = "A machine of sim/machine/machine.h (files, sets: its configuration).",
	.tp_methods = Machine_methods,
	.tp_getset = Machine_getset,
	.tp_init = (initproc)Machine_init,
	.tp_new = PyType_GenericNew,
};

/* ---------------------------------------------------------------- traces */

typedef struct {
	PyObject_HEAD
	trace_reader *r;
	trace_rec *buf;
	uint64_t records;
} ReaderObject;

static int Reader_init(ReaderObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "path", "format", "skip", "prefetch", NULL };
	PyObject *pobj;
	const char *fname = NULL;
	unsigned long long skip = 0;
	int prefetch = 1;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|zKp", kwlist, PyUnicode_FSConverter, &pobj,
					 &fname, &skip, &prefetch))
		return -1;
	const char *path = PyBytes_AS_STRING(pobj);
	enum trace_format fmt;
	char err[ERRLEN];
	int rc = -1;
	if (self->r || parse_format(fname, &fmt))
		goto out;
	trace_open_opts oo = { .format = fmt, .flags = prefetch ? TRACE_OPEN_PREFETCH : 0 };
	int trc;
	Py_BEGIN_ALLOW_THREADS
	trc = trace_open_with(&self->r, path, &oo, err, sizeof(err));
	if (trc == TRACE_OK && skip)
		trc = trace_seek(self->r, skip, err, sizeof(err));
	Py_END_ALLOW_THREADS
	if (trc != TRACE_OK) {
		if (self->r)
			trace_close(self->r);
		self->r = NULL;
		raise_code(trc, err, path);
		goto out;
	}
	self->records = skip;
	rc = 0;
out:
	Py_DECREF(pobj);
	return rc;
}

static void Reader_dealloc(ReaderObject *self)
{
	if (self->r)
		trace_close(self->r);
	free(self->buf);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

/* read(max) -> bytes of up to MAX trace records (b'' at the end). */
static PyObject *Reader_read(ReaderObject *self, PyObject *args)
{
	Py_ssize_t max = REPLAY_BATCH;
	if (!PyArg_ParseTuple(args, "|n", &max))
		return NULL;
	if (!self->r) {
		PyErr_SetString(PyExc_ValueError, "the trace is closed");
		return NULL;
	}
	if (max < 1)
		max = 1;
	PyObject *out = PyBytes_FromStringAndSize(NULL, max * (Py_ssize_t)sizeof(trace_rec));
	if (!out)
		return NULL;
	char err[ERRLEN];
	long n;
	Py_BEGIN_ALLOW_THREADS
	n = trace_read(self->r, (trace_rec *)PyBytes_AS_STRING(out), (size_t)max, err, sizeof(err));
	Py_END_ALLOW_THREADS
	if (n < 0) {
		Py_DECREF(out);
		return raise_code((int)n, err, NULL);
	}
	self->records += (uint64_t)n;
	if (_PyBytes_Resize(&out, n * (Py_ssize_t)sizeof(trace_rec)))
		return NULL;
	return out;
}

static PyObject *Reader_header(ReaderObject *self, PyObject *noargs)
{
	(void)noargs;
	if (!self->r) {
		PyErr_SetString(PyExc_ValueError, "the trace is closed");
		return NULL;
	}
	const trace_header *h = trace_get_header(self->r);
	return Py_BuildValue("{s:s,s:I,s:I,s:I,s:s}", "format", trace_format_name(h->format),
			     "version", h->version, "flags", h->flags, "vcpus", h->vcpus,
			     "description", h->desc);
}

static PyObject *Reader_close(ReaderObject *self, PyObject *noargs)
{
	(void)noargs;
	if (self->r)
		trace_close(self->r);
	self->r = NULL;
	Py_RETURN_NONE;
}

static PyMethodDef Reader_methods[] = {
	{ "read", (PyCFunction)Reader_read, METH_VARARGS, "read(max=4096) -> bytes of records" },
	{ "header", (PyCFunction)Reader_header, METH_NOARGS, "header() -> dict" },
	{ "close", (PyCFunction)Reader_close, METH_NOARGS, "close()" },
	{ NULL, NULL, 0, NULL },
};

static PyTypeObject ReaderType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "slatsim._slatsim.Reader",
	.tp_basicsize = sizeof(ReaderObject),
	.tp_dealloc = (destructor)Reader_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A trace being read (traces/trace.h): Reader(path, format=None, skip=0).",
	.tp_methods = Reader_methods,
	.tp_init = (initproc)Reader_init,
	.tp_new = PyType_GenericNew,
};

/* A .slt being written: to a temporary beside PATH, renamed into place by
 * close() - an interrupted or failed write leaves PATH as it was. */
typedef struct {
	PyObject_HEAD
	outset *outs;
	outfile *o;
	trace_writer *w;
	uint64_t records;
} WriterObject;

static int Writer_init(WriterObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "path", "description", "vcpus", "level", "chunk_records", NULL };
	PyObject *pobj;
	const char *desc = "";
	unsigned vcpus = 0;
	int level = 6;
	unsigned long long chunk = TRACE_CHUNK_RECORDS_DEFAULT;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|sIiK", kwlist, PyUnicode_FSConverter, &pobj,
					 &desc, &vcpus, &level, &chunk))
		return -1;
	const char *path = PyBytes_AS_STRING(pobj);
	char err[ERRLEN];
	int rc = -1;
	if (self->w) {
		PyErr_SetString(PyExc_RuntimeError, "a Writer is initialised once");
		goto out;
	}
	if (level < 1 || level > 9 || vcpus > TRACE_MAX_VCPUS || strlen(desc) > TRACE_MAX_DESC) {
		PyErr_Format(PyExc_ValueError, "level 1..9, vcpus 0..%d, a description of at most %d "
			     "bytes", TRACE_MAX_VCPUS, TRACE_MAX_DESC);
		goto out;
	}
	if (outset_create_embedded(&self->outs, err, sizeof(err))) {
		PyErr_NoMemory();
		goto out;
	}
	int orc = outfile_open(self->outs, &self->o, path, "trace", OUTFILE_BINARY, err,
			       sizeof(err));
	if (orc) {
		self->o = NULL;
		raise_code(orc == OUTFILE_NOMEM ? TRACE_ENOMEM : orc == OUTFILE_REFUSED ? TRACE_EFORMAT
			   : TRACE_EOUTPUT, err, NULL);
		goto out;
	}
	trace_header h = { .format = TRACE_FMT_SLT, .vcpus = vcpus };
	snprintf(h.desc, sizeof(h.desc), "%s", desc);
	trace_writer_opts wo = { .level = level, .chunk_records = chunk };
	int wrc = trace_writer_open_stream(&self->w, outfile_stream(self->o), path, &h, &wo, err,
					   sizeof(err));
	if (wrc != TRACE_OK) {
		self->w = NULL;
		raise_code(wrc, err, NULL);
		goto out;
	}
	rc = 0;
out:
	Py_DECREF(pobj);
	return rc;
}

static void writer_abort(WriterObject *self)
{
	if (self->w)
		trace_writer_abort(self->w);
	self->w = NULL;
	if (self->o)
		outfile_abandon(self->o);
	self->o = NULL;
	outset_destroy(self->outs);
	self->outs = NULL;
}

static void Writer_dealloc(WriterObject *self)
{
	writer_abort(self);   /* never closed: the file was not finished */
	Py_TYPE(self)->tp_free((PyObject *)self);
}

/* write(buffer of trace records) -> records written. */
static PyObject *Writer_write(WriterObject *self, PyObject *args)
{
	Py_buffer view;
	if (!PyArg_ParseTuple(args, "y*", &view))
		return NULL;
	PyObject *out = NULL;
	if (!self->w) {
		PyErr_SetString(PyExc_ValueError, "the writer is closed");
	} else if (view.len % (Py_ssize_t)sizeof(trace_rec)) {
		PyErr_Format(PyExc_ValueError, "a buffer of %zu-byte records", sizeof(trace_rec));
	} else {
		size_t n = (size_t)view.len / sizeof(trace_rec);
		const trace_rec *b = view.buf;
		int bad = 0;
		for (size_t i = 0; i < n && !bad; i++)
			bad = rec_check(&b[i], self->records + i);
		if (!bad) {
			char err[ERRLEN];
			int rc;
			Py_BEGIN_ALLOW_THREADS
			rc = trace_write(self->w, b, n, err, sizeof(err));
			Py_END_ALLOW_THREADS
			if (rc != TRACE_OK) {
				raise_code(rc, err, NULL);
			} else {
				self->records += n;
				out = PyLong_FromSize_t(n);
			}
		}
	}
	PyBuffer_Release(&view);
	return out;
}

/* close(): the end marker, then the file renamed into place. */
static PyObject *Writer_close(WriterObject *self, PyObject *noargs)
{
	(void)noargs;
	if (!self->w)
		Py_RETURN_NONE;
	char err[ERRLEN];
	int rc = trace_writer_close(self->w, err, sizeof(err));
	self->w = NULL;
	if (rc != TRACE_OK) {
		writer_abort(self);
		return raise_code(rc, err, NULL);
	}
	rc = outfile_commit(self->o, err, sizeof(err));
	self->o = NULL;
	outset_destroy(self->outs);
	self->outs = NULL;
	if (rc)
		return raise_code(TRACE_EOUTPUT, err, NULL);
	Py_RETURN_NONE;
}

static PyObject *Writer_abort(WriterObject *self, PyObject *noargs)
{
	(void)noargs;
	writer_abort(self);
	Py_RETURN_NONE;
}

static PyMethodDef Writer_methods[] = {
	{ "write", (PyCFunction)Writer_write, METH_VARARGS, "write(records bytes) -> count" },
	{ "close", (PyCFunction)Writer_close, METH_NOARGS, "close(): finish and put in place" },
	{ "abort", (PyCFunction)Writer_abort, METH_NOARGS, "abort(): leave the path as it was" },
	{ NULL, NULL, 0, NULL },
};

static PyTypeObject WriterType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "slatsim._slatsim.Writer",
	.tp_basicsize = sizeof(WriterObject),
	.tp_dealloc = (destructor)Writer_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A .slt trace being written (atomically: close() puts it in place).",
	.tp_methods = Writer_methods,
	.tp_init = (initproc)Writer_init,
	.tp_new = PyType_GenericNew,
};

/* trace_info(path, format) -> the JSON text of `slatsim trace info --json`. */
static PyObject *py_trace_info(PyObject *self, PyObject *args)
{
	(void)self;
	PyObject *pobj;
	const char *fname = NULL;
	if (!PyArg_ParseTuple(args, "O&|z", PyUnicode_FSConverter, &pobj, &fname))
		return NULL;
	const char *path = PyBytes_AS_STRING(pobj);
	enum trace_format fmt;
	PyObject *out = NULL;
	if (parse_format(fname, &fmt)) {
		Py_DECREF(pobj);
		return NULL;
	}
	char err[ERRLEN];
	trace_reader *r = NULL;
	tracestat t;
	int rc = TRACE_OK, have_t = 0;
	trace_rec *buf = malloc(REPLAY_BATCH * sizeof(*buf));
	Py_BEGIN_ALLOW_THREADS
	trace_open_opts oo = { .format = fmt, .flags = TRACE_OPEN_PREFETCH };
	if (!buf || tracestat_init(&t) != 0) {
		rc = TRACE_ENOMEM;
	} else {
		have_t = 1;
		if (tracestat_per_vcpu(&t) != 0)
			rc = TRACE_ENOMEM;
	}
	if (rc != TRACE_OK)
		snprintf(err, sizeof(err), "out of memory (counting %s)", path);
	else
		rc = trace_open_with(&r, path, &oo, err, sizeof(err));
	while (rc == TRACE_OK) {
		long n = trace_read(r, buf, REPLAY_BATCH, err, sizeof(err));
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		if (tracestat_add(&t, buf, (size_t)n) != 0) {
			snprintf(err, sizeof(err), "out of memory (counting the pages of %s)", path);
			rc = TRACE_ENOMEM;
		}
	}
	Py_END_ALLOW_THREADS
	if (rc != TRACE_OK) {
		raise_code(rc, err, path);
	} else {
		memout mo;
		if (mem_open(&mo)) {
			PyErr_NoMemory();
		} else {
			cli_trace_info_json(mo.f, &t, r);
			out = mem_str(&mo);
		}
	}
	if (have_t)
		tracestat_free(&t);
	if (r)
		trace_close(r);
	free(buf);
	Py_DECREF(pobj);
	return out;
}

/* ---------------------------------------------------------------- module */

static PyMethodDef module_methods[] = {
	{ "params", (PyCFunction)(void (*)(void))py_params, METH_VARARGS | METH_KEYWORDS,
	  "slatsim params --json" },
	{ "check_config", (PyCFunction)(void (*)(void))py_check_config,
	  METH_VARARGS | METH_KEYWORDS, "a configuration's effective values (JSON), or ValueError" },
	{ "run", (PyCFunction)(void (*)(void))py_run, METH_VARARGS | METH_KEYWORDS,
	  "slatsim run --json" },
	{ "reach", (PyCFunction)(void (*)(void))py_reach, METH_VARARGS | METH_KEYWORDS,
	  "slatsim reach --json" },
	{ "migrate", (PyCFunction)(void (*)(void))py_migrate, METH_VARARGS | METH_KEYWORDS,
	  "slatsim migrate --json" },
	{ "sweep", (PyCFunction)(void (*)(void))py_sweep, METH_VARARGS | METH_KEYWORDS,
	  "slatsim sweep --out DIR" },
	{ "trace_info", py_trace_info, METH_VARARGS, "slatsim trace info --json" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module_def = {
	PyModuleDef_HEAD_INIT, "_slatsim",
	"The C side of slatsim's Python package (sim/python/_slatsim.c).", -1, module_methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__slatsim(void)
{
	if (PyType_Ready(&MachineType) < 0 || PyType_Ready(&ReaderType) < 0 ||
	    PyType_Ready(&WriterType) < 0 || PyType_Ready(&AccessResultType) < 0)
		return NULL;
	PyObject *m = PyModule_Create(&module_def);
	if (!m)
		return NULL;
	Py_INCREF(&MachineType);
	Py_INCREF(&ReaderType);
	Py_INCREF(&WriterType);
	Py_INCREF(&AccessResultType);
	if (PyModule_AddObject(m, "Machine", (PyObject *)&MachineType) ||
	    PyModule_AddObject(m, "Reader", (PyObject *)&ReaderType) ||
	    PyModule_AddObject(m, "Writer", (PyObject *)&WriterType) ||
	    PyModule_AddObject(m, "AccessResult", (PyObject *)&AccessResultType) ||
	    PyModule_AddStringConstant(m, "VERSION", SLATSIM_VERSION) ||
	    PyModule_AddIntConstant(m, "RECORD_SIZE", (long)sizeof(trace_rec)) ||
	    PyModule_AddIntConstant(m, "MAX_VCPUS", TRACE_MAX_VCPUS) ||
	    PyModule_AddIntConstant(m, "R", TRACE_R) || PyModule_AddIntConstant(m, "W", TRACE_W) ||
	    PyModule_AddIntConstant(m, "X", TRACE_X) ||
	    PyModule_AddIntConstant(m, "INV", TRACE_INV) ||
	    PyModule_AddIntConstant(m, "P", TRACE_P)) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
