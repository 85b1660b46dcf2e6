"""slatsim.trace - traces from Python: info, read in batches, write .slt.

A record is traces/trace.h's trace_rec: (vcpu, kind, va, size, asid,
icount, op), kind R=0 W=1 X=2 INV=3 P=4. With numpy, batches are structured
arrays of RECORD_DTYPE (the C layout: Machine.run takes them without a
copy); without, lists of Record.
"""
import collections
import json as _json
import os
import struct

from . import _slatsim

try:  # optional
    import numpy as _np
except ImportError:  # pragma: no cover
    _np = None

Record = collections.namedtuple("Record", "vcpu kind va size asid icount op",
                                defaults=(8, 0, None, 0))
Record.__doc__ = ("One trace record: vcpu, kind (0 R, 1 W, 2 X, 3 INV, 4 P), va, size, asid, "
                  "icount (None: 1 for X, else 0), op.")

# struct trace_rec: gva u64, icount u32, vcpu u16, asid u16, size u16, kind u8, op u8, padding
_FMT = struct.Struct("=QIHHHBB4x")
assert _FMT.size == _slatsim.RECORD_SIZE

if _np is not None:
    RECORD_DTYPE = _np.dtype({"names": ["va", "icount", "vcpu", "asid", "size", "kind", "op"],
                              "formats": ["<u8", "<u4", "<u2", "<u2", "<u2", "u1", "u1"],
                              "offsets": [0, 8, 12, 14, 16, 18, 19],
                              "itemsize": _slatsim.RECORD_SIZE})
else:
    RECORD_DTYPE = None


def _unpack(buf):
    return [Record(vcpu, kind, va, size, asid, icount, op)
            for va, icount, vcpu, asid, size, kind, op in _FMT.iter_unpack(buf)]


def _pack(records):
    out = bytearray()
    for r in records:
        r = tuple(r)
        vcpu, kind, va = r[0], r[1], r[2]
        kind = {"r": 0, "w": 1, "x": 2, "inv": 3, "p": 4}.get(kind, kind)
        size = r[3] if len(r) > 3 and r[3] is not None else (0 if kind == 3 else 8)
        asid = r[4] if len(r) > 4 else 0
        icount = r[5] if len(r) > 5 and r[5] is not None else (1 if kind == 2 else 0)
        op = r[6] if len(r) > 6 else 0
        out += _FMT.pack(va, icount, vcpu, asid, size, kind, op)
    return bytes(out)


def as_records(a):
    """A numpy structured array with the fields of RECORD_DTYPE (any order,
    any integer types; missing size 8, asid/op 0, icount 1 for X else 0) as
    an array of RECORD_DTYPE (the same array when it is one already)."""
    if a.dtype == RECORD_DTYPE and a.flags.c_contiguous:
        return a
    if a.dtype.names is None:
        raise ValueError("records: a structured array with fields %s" % (RECORD_DTYPE.names,))
    names = a.dtype.names
    full = set(RECORD_DTYPE.names) <= set(names)   # e.g. np.concatenate's packed copy
    n = a.shape[0] if a.ndim else 1
    out = _np.empty(n, dtype=RECORD_DTYPE) if full else _np.zeros(n, dtype=RECORD_DTYPE)
    for f in ("va", "vcpu", "kind"):
        if f not in names:
            raise ValueError("records: the field '%s' is missing" % f)
    for f in RECORD_DTYPE.names:
        if f in names:
            out[f] = a[f]
    if "size" not in names:
        out["size"] = _np.where(out["kind"] == 3, 0, 8)
    if "icount" not in names:
        out["icount"] = (out["kind"] == 2)
    return out


class Reader:
    """A trace open for reading (any format slatsim reads): header(), and
    batches of records by iteration or read(n)."""

    def __init__(self, path, format=None, skip=0, batch=65536, prefetch=True):
        self._r = _slatsim.Reader(os.fspath(path), format, skip, prefetch)
        self.batch = batch

    def header(self):
        return self._r.header()

    def read(self, n=None):
        """Up to N records (numpy array or list); empty at the end."""
        buf = self._r.read(n or self.batch)
        if _np is not None:
            return _np.frombuffer(buf, dtype=RECORD_DTYPE).copy()
        return _unpack(buf)

    def __iter__(self):
        while True:
            b = self.read()
            if len(b) == 0:
                return
            yield b

    def close(self):
        self._r.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read(path, skip=0, limit=None, format=None, batch=65536):
    """Yield the records of PATH from record SKIP, at most LIMIT of them, in
    batches of BATCH (numpy structured arrays when numpy is there, else
    lists of Record)."""
    left = limit
    with Reader(path, format=format, skip=skip, batch=batch) as r:
        while left is None or left > 0:
            b = r.read(batch if left is None else min(batch, left))
            if len(b) == 0:
                return
            if left is not None:
                left -= len(b)
            yield b


def read_all(path, skip=0, limit=None, format=None):
    """Every record of PATH (from SKIP, at most LIMIT) in one array of
    RECORD_DTYPE (numpy) or one list of Record."""
    batches = list(read(path, skip=skip, limit=limit, format=format))
    if _np is None:
        return [r for b in batches for r in b]
    out = _np.empty(sum(len(b) for b in batches), dtype=RECORD_DTYPE)
    at = 0
    for b in batches:
        out[at:at + len(b)] = b
        at += len(b)
    return out


def info(path, format=None):
    """What `slatsim trace info --json` says of PATH: the counts (records,
    reads, writes, pages...), the format, the header's vCPUs and
    description, and per vCPU."""
    return _json.loads(_slatsim.trace_info(os.fspath(path), format))


def write(path, records, description="", vcpus=0, level=6, chunk_records=1048576):
    """Write RECORDS (an iterable of batches or of records, a numpy array of
    RECORD_DTYPE, or bytes) to PATH as .slt. The file appears complete when
    this returns, never half: an error or Ctrl-C leaves PATH as it was.
    Returns the records written."""
    w = _slatsim.Writer(os.fspath(path), description, vcpus, level, chunk_records)
    n = 0
    try:
        for chunk in _chunks(records):
            n += w.write(chunk)
        w.close()
    except BaseException:
        w.abort()
        raise
    return n


def _chunks(records, size=65536):
    """RECORDS as bytes-like chunks of trace_rec."""
    if isinstance(records, (bytes, bytearray, memoryview)):
        yield records
        return
    if _np is not None and isinstance(records, _np.ndarray):
        yield as_records(records).tobytes()
        return
    pending = []
    for x in records:
        if _np is not None and isinstance(x, _np.ndarray):
            if pending:
                yield _pack(pending)
                pending = []
            yield as_records(x).tobytes()
        elif isinstance(x, (bytes, bytearray, memoryview)):
            if pending:
                yield _pack(pending)
                pending = []
            yield x
        elif isinstance(x, list) and x and isinstance(x[0], (tuple, list)):
            if pending:
                yield _pack(pending)
                pending = []
            yield _pack(x)
        else:
            pending.append(x)
            if len(pending) == size:
                yield _pack(pending)
                pending = []
    if pending:
        yield _pack(pending)
