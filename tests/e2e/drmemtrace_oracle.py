#!/usr/bin/env python3
"""Independent reader and counter for DynamoRIO drmemtrace offline traces.

This is a test oracle for the C drmemtrace reader.  It was written from the
public format description only (no C source of this repository was read), so a
misreading of the format in the C reader cannot be copied into it.

Sources of the format (looked up in stored copies of public material)
--------------------------------------------------------------------
[H] DynamoRIO clients/drcachesim/common/trace_entry.h, repository
    DynamoRIO/dynamorio at commit 4f0e90ba522f63393ed71bf82838401910d915f9:
    enum trace_version_t (versions 2..5), enum trace_type_t, enum
    trace_marker_type_t, struct _trace_entry_t, type_is_instr(),
    type_is_prefetch().
[N] DynamoRIO clients/drcachesim/common/trace_entry.cpp (trace_type_names[],
    trace_version_names[] up to "trace_entry_version_frequent_timestamps",
    trace_marker_names[] up to "trace_marker_type_vector_length"): confirms the
    numeric value of every name below by its position in the tables.
[P] DynamoRIO pull request #7156 (i#7050, 2024-12): adds version 7,
    TRACE_ENTRY_VERSION_RETIRED_INSTRUCTIONS_ONLY, after #7058 removed
    preempted/faulting (uncompleted) instructions from final traces and added
    TRACE_MARKER_TYPE_UNCOMPLETED_INSTRUCTION.
[Z] DynamoRIO issue #5538: final offline files are split into chunks of a
    fixed instruction count, stored as members of one zip file per thread
    (gzip single file as the fallback container).
[D] https://dynamorio.org/sec_drcachesim_format.html ("drcachesim Trace
    Format"): records of all user-mode retired instructions and memory
    accesses; markers for timestamps, cpu ids, kernel events.

Record layout (64-bit traces) [H]: struct trace_entry_t, packed, 12 bytes,
little-endian:  u16 type; u16 size; u64 addr.
'size' is the access size, the instruction length, the instruction count of a
bundle, the marker sub-type, or the number of encoding bytes; 'addr' is the
address, PC, tid, pid, marker value, bundle lengths, or encoding bytes.

trace_type_t values used here [H][N]:
    0  TRACE_TYPE_READ                    data load
    1  TRACE_TYPE_WRITE                   data store
    2  TRACE_TYPE_PREFETCH                prefetch (generic)
    3  TRACE_TYPE_PREFETCHT0  (= PREFETCH_READ_L1)
    4  TRACE_TYPE_PREFETCHT1  (= PREFETCH_READ_L2)
    5  TRACE_TYPE_PREFETCHT2  (= PREFETCH_READ_L3)
    6  TRACE_TYPE_PREFETCHNTA
    7  TRACE_TYPE_PREFETCH_READ            (ARM)
    8  TRACE_TYPE_PREFETCH_WRITE           (ARM)
    9  TRACE_TYPE_PREFETCH_INSTR           (ARM)
   10  TRACE_TYPE_INSTR                    fetched, non-branch
   11  TRACE_TYPE_INSTR_DIRECT_JUMP        fetched
   12  TRACE_TYPE_INSTR_INDIRECT_JUMP      fetched
   13  TRACE_TYPE_INSTR_CONDITIONAL_JUMP   fetched (versions < 5 only)
   14  TRACE_TYPE_INSTR_DIRECT_CALL        fetched
   15  TRACE_TYPE_INSTR_INDIRECT_CALL      fetched
   16  TRACE_TYPE_INSTR_RETURN             fetched
   17  TRACE_TYPE_INSTR_BUNDLE             'size' fetched instrs whose lengths
                                           are the bytes of 'addr'; they follow
                                           the previous fetched instruction
   18  TRACE_TYPE_INSTR_FLUSH  19 ..._FLUSH_END  20 DATA_FLUSH  21 ..._FLUSH_END
   22  TRACE_TYPE_THREAD                   addr = tid
   23  TRACE_TYPE_THREAD_EXIT              addr = tid
   24  TRACE_TYPE_PID                      addr = pid
   25  TRACE_TYPE_HEADER                   addr = trace version
   26  TRACE_TYPE_FOOTER                   last record of a thread
   27  TRACE_TYPE_HARDWARE_PREFETCH        prefetch
   28  TRACE_TYPE_MARKER                   size = marker sub-type, addr = value
   29  TRACE_TYPE_INSTR_NO_FETCH           instruction without a fetch (rep
                                           string iterations): NOT fetched
   30  TRACE_TYPE_INSTR_MAYBE_FETCH        online-only; rejected here
   31  TRACE_TYPE_INSTR_SYSENTER           fetched
   32..34  TRACE_TYPE_PREFETCH_READ_L{1,2,3}_NT
   35..40  TRACE_TYPE_PREFETCH_INSTR_L1, _L1_NT, _L2, _L2_NT, _L3, _L3_NT
   41..46  TRACE_TYPE_PREFETCH_WRITE_L1, _L1_NT, _L2, _L2_NT, _L3, _L3_NT
   47  TRACE_TYPE_ENCODING                 raw instruction bytes for the next
                                           fetch record; not an access
   48  TRACE_TYPE_INSTR_TAKEN_JUMP         fetched (version >= 5)
   49  TRACE_TYPE_INSTR_UNTAKEN_JUMP       fetched (version >= 5)
"Fetched" is exactly type_is_instr() of [H] (10..16, 31, 48, 49) plus the
instructions inside bundles (17), which DynamoRIO's reader expands into
TRACE_TYPE_INSTR entries.  Prefetch kinds are type_is_prefetch() of [H]
(2..9, 27, 32..46).  Any other type value makes the reader raise ValueError.

trace_marker_type_t values used here [H][N] (sub-type in 'size'):
    2 TIMESTAMP  3 CPU_ID  9 FILETYPE  10 CACHE_LINE_SIZE  12 VERSION
   18 PAGE_SIZE  20 CHUNK_INSTR_COUNT  21 CHUNK_FOOTER  29 BRANCH_TARGET
   (others are only counted by name; names are known for 0..36, later ones
   are reported as "marker_<n>").

Trace versions (value of the HEADER record and of the VERSION marker):
    2 NO_KERNEL_PC   kernel-event marker holds a module offset          [H]
    3 KERNEL_PC      kernel-event marker holds the absolute PC          [H]
    4 ENCODINGS      ENCODING records (47) may precede fetch records    [H]
    5 BRANCH_INFO    conditional branches are TAKEN_JUMP/UNTAKEN_JUMP
                     (48/49) instead of CONDITIONAL_JUMP (13); a
                     BRANCH_TARGET marker (29) precedes indirect branches [H]
    6 FREQUENT_TIMESTAMPS  timestamp+cpu markers around system calls    [N]
    7 RETIRED_INSTRUCTIONS_ONLY  uncompleted instructions removed       [P]
None of these changes alters what is counted below: every fetched kind of
every version is counted as fetched, ENCODING records and markers are never
accesses, and bundles (the older compact form) are expanded.  Versions outside
2..7 are rejected.

Containers [Z]: a per-thread file is a zip archive whose members
chunk.00000000, chunk.00000001, ... are read in numeric order, or a single
gzip stream, or a raw zlib stream, or uncompressed records (detected by magic
bytes, not by name).  In a trace directory, per-thread files are the names
matching  *.trace, *.trace.zip, *.trace.gz, *.trace.zlib ; the schedule files
(cpu_schedule.bin.zip, serial_schedule.bin.gz) are not threads.

Definitions of the counts
-------------------------
accesses       fetched instructions (size = instruction length), loads,
               stores and prefetches (size = access size).  INSTR_NO_FETCH,
               flushes, markers and encodings are not accesses.
pages          an access of size s > 0 at address a touches the 4 KB pages
               a>>12 .. (a+s-1)>>12; a zero-size access touches page a>>12.
               64 KB / 2 MB pages are derived from the 4 KB page set
               (p>>4, p>>9), which is exact because every access covers a
               contiguous range.  Written pages: stores (type 1) only.
crossing_4k    accesses with s > 0 and (a>>12) != ((a+s-1)>>12).
zero_size_refs data references (load/store/prefetch) with size 0;
               zero_size_refs_unaligned: those whose address & 0xfff != 0.
Totals: counts are sums over threads; page counts are distinct pages per
process (union over the threads of one pid), summed over pids.

Module interface (for tests/e2e/run_e2e.py)
-------------------------------------------
    import drmemtrace_oracle as dmo
    dmo.counts(path, with_sets=False) -> dict
        path: a capture folder (DIR, uses DIR/trace if present), a trace
        directory, or one per-thread file.  Keys of the returned dict:
          "path", "files" (per-thread file paths, sorted), "threads"
          (distinct tids), "total" (dict below), "per_thread" (list of the
          dicts below, one per file, in "files" order).
        Per-thread and total dict keys:
          instr_fetched, instr_no_fetch, instr_total (= fetched + no_fetch),
          instr_by_type {type name: count} (bundled instrs under
          "instr_bundle"), loads, stores, prefetches (total),
          prefetch_by_kind {type name: count}, zero_size_refs,
          zero_size_refs_unaligned, zero_size_loads, zero_size_stores,
          accesses, pages_4k, pages_4k_instr, pages_4k_data,
          pages_4k_written, pages_64k, pages_2m, crossing_4k,
          crossing_4k_instr, crossing_4k_data, flushes, records,
          markers {marker name: count}, encodings (ENCODING records).
        Per-thread only: file, pid, tid, version, filetype, page_size,
          cache_line_size, chunk_instr_count, chunks (zip members read),
          footer (True if the last record is a FOOTER).
        Total only: pids, tids (sorted lists), versions, page_sizes (sorted
          lists of the distinct values seen).
        with_sets=True adds Python sets (not JSON-serialisable) under
          "set_pages_4k", "set_pages_4k_instr", "set_pages_4k_data",
          "set_pages_4k_written" (total: sets of (pid, page) pairs).
    dmo.trace_files(path) -> list of per-thread file paths
    dmo.iter_records(file) -> iterator of (type, size, addr) tuples
    dmo.README_BASIC_COUNTS, dmo.check_samples(root) -> list of mismatch
        strings (empty when every sample matches the README's figures)
CLI:  python3 drmemtrace_oracle.py PATH [PATH...]   prints counts() as JSON
      python3 drmemtrace_oracle.py --check [SAMPLES_ROOT]   compares with
        the README's basic_counts figures; exit status 1 on a mismatch.

Results on /work/shared/samples/drmemtrace (this oracle, totals)
---------------------------------------------------------------
 folder        fetched     no-fetch  loads      stores     threads
 echo-*           285,051      795     67,902     29,956      1
 gzip-1thread   5,913,502   65,911  1,311,648    524,014      1
 xz-3threads   17,244,265  644,637  4,701,499  3,064,333      3
All five figures of each row match drcachesim basic_counts as quoted in the
samples' README.md exactly (check_samples() / --check verifies this);
echo-zip, echo-gzip and echo-none give identical results.

 folder        pages_4k written 64k  2m  crossing_4k  zero-size (unaligned)
 echo-*           207      28    35   8     351          32 (32)
 gzip-1thread     212      70    35   6     152          42 (42)
 xz-3threads      632     385    78  15   20878           8 (8)
xz-3threads per thread (tid: fetched, no-fetch, loads, stores, pages_4k):
 13331: 454,892 57,699 169,815 105,425 296;  13332: 8,326,720 25,957
 2,242,789 1,221,625 227;  13333: 8,462,653 560,981 2,288,895 1,737,283 230;
 pid 13331 for all three.  echo: pid = tid = 13363; gzip: 13246.
The page figures were cross-checked with a naive enumeration (a set of every
page in range(a>>12, ((a+max(s,1)-1)>>12)+1)) on echo and gzip-1thread.
No sample has a prefetch, flush or bundle record; every thread is version 7,
filetype 0xe40 (X86_64|ENCODINGS|SYSCALL_NUMBERS|BLOCKING_SYSCALLS), page
size marker 4096, cache line 64, one zip chunk, and ends with a FOOTER.
All samples together take about 10 s (CPython 3.11).
"""
import gzip
import json
import os
import re
import struct
import sys
import zipfile
import zlib
from collections import Counter

RECORD = struct.Struct("<HHQ")
RECORD_SIZE = RECORD.size  # 12
assert RECORD_SIZE == 12
BLOCK = RECORD_SIZE * 65536

# trace_type_t [H][N]
T_READ, T_WRITE = 0, 1
T_INSTR_BUNDLE = 17
T_THREAD, T_THREAD_EXIT, T_PID, T_HEADER, T_FOOTER = 22, 23, 24, 25, 26
T_MARKER, T_INSTR_NO_FETCH, T_INSTR_MAYBE_FETCH = 28, 29, 30
T_ENCODING = 47

TYPE_NAMES = [
    "read", "write", "prefetch", "prefetch_read_l1", "prefetch_read_l2",
    "prefetch_read_l3", "prefetchnta", "prefetch_read", "prefetch_write",
    "prefetch_instr", "instr", "direct_jump", "indirect_jump",
    "conditional_jump", "direct_call", "indirect_call", "return",
    "instr_bundle", "instr_flush", "instr_flush_end", "data_flush",
    "data_flush_end", "thread", "thread_exit", "pid", "header", "footer",
    "hardware_prefetch", "marker", "instr_no_fetch", "instr_maybe_fetch",
    "sysenter", "prefetch_read_l1_nt", "prefetch_read_l2_nt",
    "prefetch_read_l3_nt", "prefetch_instr_l1", "prefetch_instr_l1_nt",
    "prefetch_instr_l2", "prefetch_instr_l2_nt", "prefetch_instr_l3",
    "prefetch_instr_l3_nt", "prefetch_write_l1", "prefetch_write_l1_nt",
    "prefetch_write_l2", "prefetch_write_l2_nt", "prefetch_write_l3",
    "prefetch_write_l3_nt", "encoding", "taken_jump", "untaken_jump",
]
assert TYPE_NAMES.index("untaken_jump") == 49 and TYPE_NAMES.index("marker") == 28

# type_is_instr() of [H]: the fetched instruction kinds.
FETCH_TYPES = frozenset(list(range(10, 17)) + [31, 48, 49])
# type_is_prefetch() of [H].
PREFETCH_TYPES = frozenset(list(range(2, 10)) + [27] + list(range(32, 47)))
FLUSH_TYPES = frozenset(range(18, 22))
KNOWN_TYPES = frozenset(range(0, 50)) - {T_INSTR_MAYBE_FETCH}

# trace_marker_type_t [H][N]
M_FILETYPE, M_CACHE_LINE_SIZE, M_VERSION, M_PAGE_SIZE = 9, 10, 12, 18
M_CHUNK_INSTR_COUNT = 20
MARKER_NAMES = [
    "kernel_event", "kernel_xfer", "timestamp", "cpu_id", "func_id",
    "func_retaddr", "func_arg", "func_retval", "split_value", "filetype",
    "cache_line_size", "instruction_count", "version", "rseq_abort",
    "window_id", "physical_address", "physical_address_not_available",
    "virtual_address", "page_size", "syscall_idx", "chunk_instr_count",
    "chunk_footer", "record_ordinal", "filter_endpoint", "rseq_entry",
    "syscall", "maybe_blocking_syscall", "syscall_trace_start",
    "syscall_trace_end", "branch_target", "syscall_failed",
    "direct_thread_switch", "core_wait", "core_idle",
    "context_switch_start", "context_switch_end", "vector_length",
]
assert MARKER_NAMES.index("page_size") == 18 and MARKER_NAMES.index("branch_target") == 29

SUPPORTED_VERSIONS = range(2, 8)

TRACE_NAME = re.compile(r"\.trace(\.(zip|gz|zlib))?$")
CHUNK_NAME = re.compile(r"^chunk\.(\d+)$")


def marker_name(sub):
    return MARKER_NAMES[sub] if sub < len(MARKER_NAMES) else "marker_%d" % sub


# ---------------------------------------------------------------------------
# Files and containers


def trace_files(path):
    """Per-thread files for a capture folder, trace directory, or one file."""
    if os.path.isfile(path):
        return [path]
    sub = os.path.join(path, "trace")
    if os.path.isdir(sub):
        path = sub
    files = sorted(os.path.join(path, n) for n in os.listdir(path)
                   if TRACE_NAME.search(n) and os.path.isfile(os.path.join(path, n)))
    if not files:
        raise ValueError("no per-thread trace files in %s" % path)
    return files


def _whole_records(stream, where):
    """Yield blocks of whole 12-byte records read from a file-like object."""
    rest = b""
    while True:
        data = stream.read(BLOCK)
        if not data:
            break
        if rest:
            data = rest + data
        cut = len(data) - len(data) % RECORD_SIZE
        rest = data[cut:]
        if cut:
            yield data[:cut]
    if rest:
        raise ValueError("%s: %d trailing bytes (not a whole 12-byte record)"
                         % (where, len(rest)))


class _ZlibStream:
    """Minimal read() over a raw zlib stream."""

    def __init__(self, f):
        self.f, self.d = f, zlib.decompressobj()

    def read(self, n):
        out = b""
        while not out:
            raw = self.f.read(BLOCK)
            if not raw:
                return self.d.flush()
            out = self.d.decompress(raw)
        return out


def _blocks(path, info):
    """Yield blocks of whole records of one per-thread file, in trace order.

    info["chunks"] is set to the number of zip members read (1 otherwise)."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == b"PK\x03\x04":
        with zipfile.ZipFile(path) as z:
            chunks = []
            for name in z.namelist():
                m = CHUNK_NAME.match(name)
                if not m:
                    raise ValueError("%s: unexpected zip member %r" % (path, name))
                chunks.append((int(m.group(1)), name))
            chunks.sort()
            if [n for n, _ in chunks] != list(range(len(chunks))):
                raise ValueError("%s: chunk members are not numbered 0..%d"
                                 % (path, len(chunks) - 1))
            info["chunks"] = len(chunks)
            for _, name in chunks:
                with z.open(name) as member:
                    yield from _whole_records(member, "%s:%s" % (path, name))
        return
    info["chunks"] = 1
    if magic[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as g:
            yield from _whole_records(g, path)
    elif magic[:1] == b"\x78":
        with open(path, "rb") as f:
            yield from _whole_records(_ZlibStream(f), path)
    elif magic == b"\x04\x22\x4d\x18":
        raise ValueError("%s: lz4 container is not supported (no stdlib lz4)" % path)
    else:
        with open(path, "rb") as f:
            yield from _whole_records(f, path)


def iter_records(path):
    """Yield (type, size, addr) for every record of one per-thread file."""
    for block in _blocks(path, {}):
        yield from RECORD.iter_unpack(block)


# ---------------------------------------------------------------------------
# Counting one thread


def _thread_counts(path):
    """Scan one per-thread file; return its stats dict (with page sets)."""
    info = {"file": path}
    types = Counter()
    markers = Counter()
    ipages, dpages, wpages = set(), set(), set()
    ipages_add, dpages_add, wpages_add = ipages.add, dpages.add, wpages.add
    cross_i = cross_d = 0
    zero = zero_unaligned = zero_loads = zero_stores = 0
    bundled = 0
    last_pc = last_len = None
    pid = tid = version = filetype = page_size = line_size = chunk_count = None
    last_type = None
    first = True
    fetch_types, prefetch_types = FETCH_TYPES, PREFETCH_TYPES

    for block in _blocks(path, info):
        # Type histogram in bulk: the first u16 of every 12-byte record.
        types.update(memoryview(block).cast("H")[0::6])
        if first:
            typ, size, addr = RECORD.unpack_from(block, 0)
            if typ != T_HEADER:
                raise ValueError("%s: first record has type %d, not HEADER (25)"
                                 % (path, typ))
            first = False
        for typ, size, addr in RECORD.iter_unpack(block):
            if typ in fetch_types:
                last_pc, last_len = addr, size
                p = addr >> 12
                ipages_add(p)
                if size:
                    q = (addr + size - 1) >> 12
                    if q != p:
                        cross_i += 1
                        for page in range(p + 1, q + 1):
                            ipages_add(page)
            elif typ <= T_WRITE or typ in prefetch_types:
                p = addr >> 12
                dpages_add(p)
                if size:
                    q = (addr + size - 1) >> 12
                    if q != p:
                        cross_d += 1
                        for page in range(p + 1, q + 1):
                            dpages_add(page)
                            if typ == T_WRITE:
                                wpages_add(page)
                else:
                    zero += 1
                    if addr & 0xFFF:
                        zero_unaligned += 1
                    if typ == T_READ:
                        zero_loads += 1
                    elif typ == T_WRITE:
                        zero_stores += 1
                if typ == T_WRITE:
                    wpages_add(p)
            elif typ == T_MARKER:
                markers[size] += 1
                if size == M_PAGE_SIZE:
                    page_size = addr
                elif size == M_VERSION:
                    version = addr if version is None else version
                elif size == M_FILETYPE:
                    filetype = addr
                elif size == M_CACHE_LINE_SIZE:
                    line_size = addr
                elif size == M_CHUNK_INSTR_COUNT:
                    chunk_count = addr
            elif typ == T_INSTR_BUNDLE:
                # 'size' instructions; their lengths are the low bytes of addr.
                if last_pc is None:
                    raise ValueError("%s: INSTR_BUNDLE before any instruction" % path)
                lengths = addr.to_bytes(8, "little")[:size]
                bundled += len(lengths)
                pc = last_pc + last_len
                for n in lengths:
                    p, q = pc >> 12, (pc + n - 1) >> 12 if n else pc >> 12
                    ipages_add(p)
                    if q != p:
                        cross_i += 1
                        for page in range(p + 1, q + 1):
                            ipages_add(page)
                    last_pc, last_len = pc, n
                    pc += n
            elif typ == T_THREAD:
                if tid is not None and tid != addr:
                    raise ValueError("%s: second thread id %d (first %d)" % (path, addr, tid))
                tid = addr
            elif typ == T_PID:
                pid = addr
            elif typ == T_HEADER:
                if addr not in SUPPORTED_VERSIONS:
                    raise ValueError("%s: trace version %d not in 2..7" % (path, addr))
                version = addr
            last_type = typ

    unknown = sorted(set(types) - KNOWN_TYPES)
    if unknown:
        raise ValueError("%s: unknown record types %s" % (path, unknown))
    if types[T_HEADER] != 1:
        raise ValueError("%s: %d HEADER records" % (path, types[T_HEADER]))

    by_type = {TYPE_NAMES[t]: types[t] for t in sorted(FETCH_TYPES) if types[t]}
    if bundled:
        by_type["instr_bundle"] = bundled
    fetched = sum(types[t] for t in FETCH_TYPES) + bundled
    prefetch = {TYPE_NAMES[t]: types[t] for t in sorted(PREFETCH_TYPES) if types[t]}
    pages = ipages | dpages
    st = {
        "file": path,
        "pid": pid,
        "tid": tid,
        "version": version,
        "filetype": filetype,
        "page_size": page_size,
        "cache_line_size": line_size,
        "chunk_instr_count": chunk_count,
        "chunks": info["chunks"],
        "footer": last_type == T_FOOTER,
        "records": sum(types.values()),
        "instr_fetched": fetched,
        "instr_no_fetch": types[T_INSTR_NO_FETCH],
        "instr_total": fetched + types[T_INSTR_NO_FETCH],
        "instr_by_type": by_type,
        "loads": types[T_READ],
        "stores": types[T_WRITE],
        "prefetches": sum(prefetch.values()),
        "prefetch_by_kind": prefetch,
        "zero_size_refs": zero,
        "zero_size_refs_unaligned": zero_unaligned,
        "zero_size_loads": zero_loads,
        "zero_size_stores": zero_stores,
        "accesses": fetched + types[T_READ] + types[T_WRITE] + sum(prefetch.values()),
        "pages_4k": len(pages),
        "pages_4k_instr": len(ipages),
        "pages_4k_data": len(dpages),
        "pages_4k_written": len(wpages),
        "pages_64k": len({p >> 4 for p in pages}),
        "pages_2m": len({p >> 9 for p in pages}),
        "crossing_4k": cross_i + cross_d,
        "crossing_4k_instr": cross_i,
        "crossing_4k_data": cross_d,
        "flushes": sum(types[t] for t in FLUSH_TYPES),
        "encodings": types[T_ENCODING],
        "markers": {marker_name(k): markers[k] for k in sorted(markers)},
        "set_pages_4k": pages,
        "set_pages_4k_instr": ipages,
        "set_pages_4k_data": dpages,
        "set_pages_4k_written": wpages,
    }
    return st


# ---------------------------------------------------------------------------
# Public entry point

SUM_KEYS = ("records", "instr_fetched", "instr_no_fetch", "instr_total", "loads",
            "stores", "prefetches", "zero_size_refs", "zero_size_refs_unaligned",
            "zero_size_loads", "zero_size_stores", "accesses", "crossing_4k",
            "crossing_4k_instr", "crossing_4k_data", "flushes", "encodings")
DICT_KEYS = ("instr_by_type", "prefetch_by_kind", "markers")
SET_KEYS = ("set_pages_4k", "set_pages_4k_instr", "set_pages_4k_data",
            "set_pages_4k_written")


def counts(path, with_sets=False):
    """Count a drmemtrace capture; see the module docstring for the keys."""
    files = trace_files(path)
    per = [_thread_counts(f) for f in files]
    total = {k: sum(t[k] for t in per) for k in SUM_KEYS}
    for k in DICT_KEYS:
        c = Counter()
        for t in per:
            c.update(t[k])
        total[k] = dict(sorted(c.items()))
    for k in SET_KEYS:
        total[k] = {(t["pid"], p) for t in per for p in t[k]}
    total["pages_4k"] = len(total["set_pages_4k"])
    total["pages_4k_instr"] = len(total["set_pages_4k_instr"])
    total["pages_4k_data"] = len(total["set_pages_4k_data"])
    total["pages_4k_written"] = len(total["set_pages_4k_written"])
    total["pages_64k"] = len({(pid, p >> 4) for pid, p in total["set_pages_4k"]})
    total["pages_2m"] = len({(pid, p >> 9) for pid, p in total["set_pages_4k"]})
    total["pids"] = sorted({t["pid"] for t in per if t["pid"] is not None})
    total["tids"] = sorted({t["tid"] for t in per if t["tid"] is not None})
    total["versions"] = sorted({t["version"] for t in per if t["version"] is not None})
    total["page_sizes"] = sorted({t["page_size"] for t in per if t["page_size"] is not None})
    if not with_sets:
        for d in per + [total]:
            for k in SET_KEYS:
                del d[k]
    return {"path": path, "files": files, "threads": len(total["tids"]),
            "total": total, "per_thread": per}


# drcachesim basic_counts figures from /work/shared/samples/drmemtrace/README.md:
# folder -> (fetched instructions, non-fetched, loads, stores, threads)
README_BASIC_COUNTS = {
    "echo-zip": (285051, 795, 67902, 29956, 1),
    "echo-gzip": (285051, 795, 67902, 29956, 1),
    "echo-none": (285051, 795, 67902, 29956, 1),
    "gzip-1thread": (5913502, 65911, 1311648, 524014, 1),
    "xz-3threads": (17244265, 644637, 4701499, 3064333, 3),
}


def check_samples(root="/work/shared/samples/drmemtrace"):
    """Compare counts() with README_BASIC_COUNTS; return mismatch strings."""
    bad = []
    for folder, want in README_BASIC_COUNTS.items():
        r = counts(os.path.join(root, folder))
        t = r["total"]
        got = (t["instr_fetched"], t["instr_no_fetch"], t["loads"], t["stores"],
               r["threads"])
        if got != want:
            bad.append("%s: got %s, README says %s" % (folder, got, want))
    return bad


def main(argv):
    if argv and argv[0] == "--check":
        root = argv[1] if len(argv) > 1 else "/work/shared/samples/drmemtrace"
        bad = check_samples(root)
        for line in bad:
            print("MISMATCH", line)
        if not bad:
            print("all samples match the README's basic_counts figures")
        return 1 if bad else 0
    if not argv:
        doc = __doc__
        print(doc[doc.index("Module interface"):doc.index("Results on")], file=sys.stderr)
        print("usage: drmemtrace_oracle.py PATH [PATH...] | --check [ROOT]",
              file=sys.stderr)
        return 2
    out = counts(argv[0]) if len(argv) == 1 else {p: counts(p) for p in argv}
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
