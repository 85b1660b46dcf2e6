"""slatsim from Python: the same C library as the command line (issue 26).

    import slatsim
    r = slatsim.run("traces/samples/xz-compress.slt", tlb_l2_entries=2048)
    r.stats["tlb.l2.misses"], r.headline

    df = slatsim.sweep(["trace.slt"], grid={"tlb.l2.entries": [512, 1024, 2048]}, jobs=2)

    m = slatsim.Machine(dirtylog_mode="pml")
    m.access(0, "w", 0x400000)          # the first touch: faults and walks
    m.harvest(0)                        # the 4 KB GPA page numbers logged

Every number comes from the C library (sim/python/_slatsim.c binds
sim/machine/machine.h and the study engines of sim/study): run(), reach(),
migrate() and sweep() return what `slatsim run|reach|migrate|sweep --json`
writes, parsed. Parameters are the registry's keys: params={"tlb.l2.entries":
2048}, or keyword arguments with the dots replaced by underscores
(tlb_l2_entries=2048; domain_1_guest_page for domain.1.guest.page). A bad key
or value raises ValueError with the command line's message. Long calls
release the GIL, call progress(dict) now and then, and stop on Ctrl-C
(KeyboardInterrupt) with no output half-written.

numpy and pandas are optional: with numpy, reach curves are arrays and
trace.read yields structured arrays (RECORD_DTYPE); with pandas, sweep
returns a DataFrame.
"""
import collections
import itertools
import json as _json
import os
import re
import secrets
import tempfile

from . import _slatsim
from ._slatsim import AccessResult, INV, P, R, W, X  # noqa: F401
from . import trace  # noqa: F401

__version__ = _slatsim.VERSION
__all__ = ["run", "reach", "sweep", "migrate", "params", "Machine", "Result", "ReachResult",
           "MigrateResult", "AccessResult", "trace", "R", "W", "X", "INV", "P"]

try:  # optional
    import numpy as _np
except ImportError:  # pragma: no cover - exercised by the tests' no-numpy run
    _np = None

# ---------------------------------------------------------------- parameters

Param = collections.namedtuple(
    "Param", "name type default value unit min max power_of_two choices per_domain help",
    defaults=(None, None, None, None, False, ""))
Param.__doc__ = ("One parameter of the registry, as `slatsim params --json` gives it: min/max "
                 "bound an int, size or list (power_of_two) or a float; choices are an enum's "
                 "('a|b|c'); per_domain: domain.N.<key> may override it; value: the "
                 "effective one under config/params.")

_KEYS = None  # keyword spelling -> registry key


def params(config=None, *, params=None, **kw):
    """Every parameter of the registry, in its order: {key: Param} - what
    `slatsim params --json` writes (with config/params/keywords, each
    Param's value is the effective one)."""
    config, params = _config_and_params(config, params)
    out = collections.OrderedDict()
    for d in _json.loads(_slatsim.params(_files(config), _sets(params, kw))):
        out[d["name"]] = Param(**d)
    return out


def _keys():
    global _KEYS
    if _KEYS is None:
        k = {}
        for d in _json.loads(_slatsim.params()):
            kw = d["name"].replace(".", "_")
            k[kw] = None if kw in k else d["name"]   # None: two keys spell alike
        _KEYS = k
    return _KEYS


def _key_of(kw):
    """The registry key a keyword argument names (dots as underscores)."""
    keys = _keys()
    m = re.match(r"domain_(\d+)_(.+)$", kw)
    if m:
        return "domain.%s.%s" % (m.group(1), _key_of(m.group(2)))
    k = keys.get(kw)
    if k is None and kw in keys:
        raise ValueError("%s: more than one parameter is spelled so; give it in params={...}"
                         % kw)
    return k if k else kw.replace("_", ".")


def _text(v):
    """A value as the registry reads it (what --set would be given)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ",".join(_text(x) for x in v)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _sets(params_, kw):
    """params={key: value} then the keyword arguments, as --set key=value."""
    out = []
    for k, v in (params_ or {}).items():
        out.append("%s=%s" % (k, _text(v)))
    for k, v in kw.items():
        out.append("%s=%s" % (_key_of(k), _text(v)))
    return out


def _files(config):
    """config: None, a file, or a list of files (--config, in order)."""
    if config is None:
        return []
    if isinstance(config, (str, bytes, os.PathLike)):
        return [os.fspath(config)]
    return [os.fspath(c) for c in config]


def _config_and_params(config, params_):
    """config may also be a dict: parameters, as params=."""
    if isinstance(config, dict):
        merged = dict(config)
        merged.update(params_ or {})
        return None, merged
    return config, params_


# ---------------------------------------------------------------- results

class Result:
    """What `slatsim run --json` writes: .json (the whole document), .stats,
    .config, .trace, .rounds (dirty-logging rounds, [] without), .headline
    (the report's first lines), .elapsed (wall seconds)."""

    def __init__(self, doc, headline="", elapsed=0.0):
        self.json = doc
        self.stats = doc.get("stats", {})
        self.config = doc.get("config", {})
        self.trace = doc.get("trace", {})
        self.rounds = doc.get("rounds", [])
        self.headline = headline
        self.elapsed = elapsed

    def __getitem__(self, name):
        return self.stats[name]

    def __repr__(self):
        return "<slatsim.Result %s: %d statistics>" % (self.trace.get("path", "?"),
                                                      len(self.stats))


def _write_json(path, text):
    """TEXT into PATH, complete or not at all (a temporary renamed)."""
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    # The name first, then the file (O_EXCL) inside the try: a Ctrl-C that
    # landed after mkstemp() made the file and before the try left it behind
    # (a CI run saw one).
    tmp = os.path.join(d, ".slatsim-" + secrets.token_hex(8))
    while os.path.lexists(tmp):
        tmp = os.path.join(d, ".slatsim-" + secrets.token_hex(8))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def run(trace, config=None, *, params=None, format=None, skip=0, limit=0, warmup=0,
        progress=None, json=None, **kw):
    """Replay TRACE as `slatsim run --json` does: a Result whose .stats and
    .config equal that document's. config: config file(s) (--config) or a
    dict of parameters; params/keywords: --set. skip/limit/warmup: --skip,
    --limit, --warmup. json: also write the document to this file."""
    config, params = _config_and_params(config, params)
    text, headline, elapsed = _slatsim.run(
        os.fspath(trace), format, _files(config), _sets(params, kw), skip, limit, warmup,
        progress)
    if json is not None:
        _write_json(json, text)
    return Result(_json.loads(text), headline, elapsed)


class Curve:
    """One reach curve (stream x page size): misses[k-1] of a k-entry
    fully-associative LRU TLB, reach_bytes[k-1], lookups, pages (distinct),
    page_bytes (0: combined and it varies), set_misses (with sets=),
    working_set {window: [...], pages: [...] (means)}."""

    def __init__(self, d):
        arr = _np.asarray if _np is not None else list
        self.accesses = d["accesses"]
        self.lookups = d["lookups"]
        self.pages = d["pages"]
        self.page_bytes = d["page_bytes"]
        self.misses = arr(d["misses"])
        self.reach_bytes = arr(d["reach_bytes"])
        self.set_misses = arr(d["set_misses"]) if "set_misses" in d else None
        ws = d["working_set"]
        self.working_set = {"window": arr(ws["window"]),
                            "pages": arr([x / 1000 for x in ws["pages_x1000"]])}

    def __repr__(self):
        return "<slatsim.Curve %d lookups, %d pages>" % (self.lookups, self.pages)


class ReachResult:
    """What `slatsim reach --json` writes: .json, .config, .analysis, and
    .curves[stream][size] (stream 'd' or 'i'; size '4k', '16k', '64k', '2m',
    'combined') of Curve - lists, or numpy arrays when numpy is there."""

    def __init__(self, doc):
        self.json = doc
        self.config = doc["config"]
        self.trace = doc["trace"]
        self.analysis = doc["analysis"]
        self.curves = {s: {k: Curve(c) for k, c in sizes.items()}
                       for s, sizes in doc["reach"].items()}

    def misses(self, stream="d", size="4k"):
        return self.curves[stream][size].misses

    def __repr__(self):
        return "<slatsim.ReachResult %d records, %d entries>" % (
            self.analysis["records"], self.analysis["entries"])


def reach(trace, config=None, *, params=None, entries=65536, sets=0, ways=16, format=None,
          progress=None, json=None, **kw):
    """One pass of `slatsim reach`: the misses of every fully-associative LRU
    TLB size of 1..entries, per page size, for the data and instruction
    streams (and sets x 1..ways LRU when sets is given)."""
    config, params = _config_and_params(config, params)
    text = _slatsim.reach(os.fspath(trace), format, _files(config), _sets(params, kw), entries,
                          sets, ways, progress)
    if json is not None:
        _write_json(json, text)
    return ReachResult(_json.loads(text))


class MigrateResult(Result):
    """What `slatsim migrate --json` writes: Result's fields and .migrate
    (its object), .migrate_rounds (the pre-copy rounds, the stop-and-copy
    last), .stop (why the pre-copy stopped)."""

    def __init__(self, doc):
        super().__init__(doc)
        self.migrate = doc.get("migrate", {})
        self.migrate_rounds = self.migrate.get("rounds", [])
        self.stop = self.migrate.get("stop")

    def __repr__(self):
        return "<slatsim.MigrateResult %d rounds: %s>" % (len(self.migrate_rounds), self.stop)


def migrate(trace, config=None, *, params=None, format=None, progress=None, json=None, **kw):
    """Live-migrate the traced guest as `slatsim migrate --json` does."""
    config, params = _config_and_params(config, params)
    text = _slatsim.migrate(os.fspath(trace), format, _files(config), _sets(params, kw), progress)
    if json is not None:
        _write_json(json, text)
    return MigrateResult(_json.loads(text))


def _grid_items(grid):
    """{key: [values]} -> [(key, [texts])]: a key of several ("k1:k2") takes
    values as "v1:v2" strings or as tuples."""
    out = []
    for k, vals in grid.items():
        if isinstance(vals, (str, bytes)) or not hasattr(vals, "__iter__"):
            vals = [vals]
        texts = []
        for v in vals:
            if isinstance(v, tuple):
                texts.append(":".join(_text(x) for x in v))
            else:
                texts.append(_text(v))
        out.append((k if isinstance(k, str) else ":".join(k), texts))
    return out


def _number(text):
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def sweep(traces, grid, jobs=1, config=None, *, params=None, out=None, batch=16,
          decode="shared", format=None, progress=None, frame=True, **kw):
    """`slatsim sweep`: every combination of GRID's values ({key: [values]};
    keys joined by ':' vary together) over TRACES, each trace decoded once
    per batch of points shared by its machines, on JOBS threads. With out=
    DIR the points' files stay there and a second call with the same
    arguments runs only those missing (an interrupted sweep resumes);
    without, a temporary directory is used and removed. Returns a pandas
    DataFrame when pandas is installed (and frame=True), else a list of
    dicts: one row per point, results.json's columns (the point, the trace,
    the swept keys, every statistic)."""
    if isinstance(traces, (str, bytes, os.PathLike)):
        traces = [traces]
    traces = [os.fspath(t) for t in traces]
    if not isinstance(grid, dict) or not grid:
        raise ValueError("sweep needs at least one --grid key=v1,v2,...")
    if decode not in ("shared", "thread"):
        raise ValueError("--decode '%s': shared or thread" % decode)
    config, params = _config_and_params(config, params)
    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="slatsim-sweep-")
        d = os.path.join(tmp.name, "sweep")
    else:
        d = os.fspath(out)
    try:
        ran, before, failures, collected = _slatsim.sweep(
            traces, _grid_items(grid), d, format, _files(config), _sets(params, kw), jobs,
            batch, decode == "thread", progress)
        if failures:
            msgs = ["point %d: %s" % (f, m) if f == l else "points %d..%d: %s" % (f, l, m)
                    for f, l, _c, m in failures]
            raise ValueError("\n".join(msgs))
        with open(os.path.join(d, "results.json")) as f:
            doc = _json.load(f)
    finally:
        if tmp is not None:
            tmp.cleanup()
    rows = _rows(doc)
    if frame:
        try:
            import pandas
        except ImportError:
            return rows
        return pandas.DataFrame(rows)
    return rows


def _rows(doc):
    """results.json (sim/study/sweep_collect.c: a list of {point, trace,
    params, stats}) as one flat dict per point: point, trace, each swept key
    (its text as a number where it is one) and every statistic."""
    rows = []
    for p in doc:
        r = {"point": p["point"], "trace": p["trace"]}
        for k, v in p.get("params", {}).items():
            r[k] = _number(v) if isinstance(v, str) else v
        r.update(p.get("stats", {}))
        rows.append(r)
    return rows


# ---------------------------------------------------------------- Machine

def _is_batch(x):
    """X is a batch of records rather than one record."""
    if _np is not None and isinstance(x, _np.ndarray):
        return True
    if isinstance(x, (bytes, bytearray, memoryview)):
        return True
    return isinstance(x, list) and len(x) > 0 and isinstance(x[0], (tuple, list))


class Machine(_slatsim.Machine):
    """A machine of sim/machine/machine.h you drive yourself:

        m = slatsim.Machine(config=None, **params)
        r = m.access(vcpu, kind, va, size=8, asid=0)   # AccessResult
        m.run(records)            # an iterable of records, or a numpy array
        m.invalidate(vcpu, scope="va", va=..., asid=0, broadcast=False)
        m.invalidate_domain(domain)
        m.harvest(domain)         # the 4 KB GPA page numbers logged dirty
        m.stats(), m.explain(va), m.config, m.finish()
        m.map_foreign(gpa, [hpa]), m.unmap_foreign(gpa), m.guest_map(va, gpa)

    kind: 'r', 'w', 'x' (or R, W, X). Two machines never share state."""

    def __init__(self, config=None, *, params=None, **kw):
        config, params = _config_and_params(config, params)
        super().__init__(_files(config), _sets(params, kw))

    @property
    def config(self):
        """Every parameter's effective value, as `run --json`'s "config"."""
        return _json.loads(self._config_json())["config"]

    def report(self, name="<python>"):
        """The `run --json` document of what ran so far (call finish()
        first for the totals a replay's end computes)."""
        return _json.loads(self._report_json(name))

    def run(self, records, progress=None):
        """Run RECORDS in order (the fast path, machine_run): a numpy array
        (RECORD_DTYPE without a copy; another structured dtype with the same
        field names is converted), bytes of records, or an iterable of
        (vcpu, kind, va[, size[, asid[, icount[, op]]]]) / trace.Record, or
        an iterable of such batches (what trace.read yields)."""
        if _np is not None and isinstance(records, _np.ndarray):
            return super().run(trace.as_records(records), progress)
        if isinstance(records, (bytes, bytearray, memoryview)):
            return super().run(records, progress)
        it = iter(records)
        first = next(it, None)
        if first is None:
            return 0
        if _is_batch(first):   # batches, as trace.read yields them
            return sum(self.run(b, progress) for b in itertools.chain([first], it))
        return super().run(itertools.chain([first], it), progress)

    def __repr__(self):
        return "<slatsim.Machine %d domain(s), %d records>" % (self.domains, self.records)
