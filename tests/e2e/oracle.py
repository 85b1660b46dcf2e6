"""Independent trace readers and counters for the end-to-end tests.

Written from the format descriptions (traces/FORMAT.md, valgrind lackey's
output, ChampSim's input_instr), not from slatsim's C code, so a shared
misreading cannot make both sides agree. Page counting deliberately uses a
different method from sim/machine/tracestat.c: it enumerates every page in
[gva, gva + size - 1] with range() instead of assuming at most two.
"""
import gzip
import lzma
import struct


def open_any(path):
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb")
    if magic == b"\xfd7zXZ\x00":
        return lzma.open(path, "rb")
    return open(path, "rb")


def lackey_records(path):
    """Yield (vcpu, kind, gva, size) from valgrind lackey output."""
    with open_any(path) as f:
        for raw in f:
            line = raw.decode("ascii").rstrip("\n")
            if line.startswith("==") or not line.strip():
                continue
            if line.startswith("I"):
                kinds = ["X"]
                body = line[1:]
            elif line[:2] in (" L", " S", " M"):
                kinds = {"L": ["R"], "S": ["W"], "M": ["R", "W"]}[line[1]]
                body = line[2:]
            else:
                raise ValueError("not a lackey line: %r" % line)
            addr, size = body.strip().split(",")
            for k in kinds:
                yield (0, k, int(addr, 16), int(size))


def champsim_records(path):
    with open_any(path) as f:
        data = f.read()
    assert len(data) % 64 == 0
    for off in range(0, len(data), 64):
        ip = struct.unpack_from("<Q", data, off)[0]
        dst = struct.unpack_from("<2Q", data, off + 16)
        src = struct.unpack_from("<4Q", data, off + 32)
        yield (0, "X", ip, 8)
        for a in src:
            if a:
                yield (0, "R", a, 8)
        for a in dst:
            if a:
                yield (0, "W", a, 8)


def text_records(path):
    with open_any(path) as f:
        for raw in f:
            line = raw.decode("ascii").split("#")[0].split()
            if not line:
                continue
            yield (int(line[0]), line[1].upper(), int(line[2], 16), int(line[3]))


def info(records):
    """The counts of 'slatsim trace info --json'."""
    c = dict(records=0, reads=0, writes=0, ifetches=0)
    vcpus = set()
    p4k, p4kw, p64k, p2m = set(), set(), set(), set()
    crossing = zero = 0
    for vcpu, kind, gva, size in records:
        c["records"] += 1
        c[{"R": "reads", "W": "writes", "X": "ifetches"}[kind]] += 1
        vcpus.add(vcpu)
        zero += size == 0
        last = gva + max(size, 1) - 1   # a zero-size access: the page of its address
        pages = range(gva >> 12, (last >> 12) + 1)
        if len(pages) > 1:
            crossing += 1
        p4k.update(pages)
        if kind == "W":
            p4kw.update(pages)
        p64k.update(range(gva >> 16, (last >> 16) + 1))
        p2m.update(range(gva >> 21, (last >> 21) + 1))
    c.update(vcpus=len(vcpus), pages_4k=len(p4k), pages_4k_written=len(p4kw),
             pages_64k=len(p64k), pages_2m=len(p2m), crossing_4k=crossing, prefetches=0,
             zero_size=zero)
    return c


def lru_misses(addresses_pages, entries):
    """Fully-associative LRU TLB of ENTRIES entries over a page sequence."""
    from collections import OrderedDict
    tlb = OrderedDict()
    misses = 0
    for p in addresses_pages:
        if p in tlb:
            tlb.move_to_end(p)
        else:
            misses += 1
            tlb[p] = True
            if len(tlb) > entries:
                tlb.popitem(last=False)
    return misses


def l1d_fully_associative(records, ways):
    """The L1D hits and misses of slatsim's cache model configured as one
    fully-associative LRU cache of WAYS 64-byte lines (cache.l1d.sets=1, no
    L1I, L2 or LLC) behind TLBs that hold every page of the trace, native
    x86-64 4-level paging with no walk caches, every page prefaulted.

    Worked out from the hardware's rules, not from slatsim's code: a TLB miss
    happens once per 4 KB page (its first touch); the walk then reads the
    PML4E, PDPTE, PDE and PTE in that order, each an 8-byte entry in a
    64-byte line of its table (tables are distinct per region, so a line is
    named by (level, region, entry / 8)); then the access reads or writes
    its own lines. Physical placement does not matter to a fully-associative
    cache, because distinct virtual lines are distinct physical lines.
    Returns (hits, misses, walk_refs)."""
    from collections import OrderedDict
    lru = OrderedDict()
    seen = set()
    hits = misses = walk_refs = 0

    def touch(line):
        nonlocal hits, misses
        if line in lru:
            hits += 1
            lru.move_to_end(line)
        else:
            misses += 1
            lru[line] = True
            if len(lru) > ways:
                lru.popitem(last=False)

    for vcpu, kind, gva, size in records:
        end = gva + max(size, 1) - 1
        va = gva
        while True:
            page = va >> 12
            page_end = min(end, (page << 12) | 0xfff)
            if page not in seen:
                seen.add(page)
                for lvl, region, idx in ((4, 0, (va >> 39) & 511),
                                         (3, va >> 39, (va >> 30) & 511),
                                         (2, va >> 30, (va >> 21) & 511),
                                         (1, va >> 21, (va >> 12) & 511)):
                    touch(("pt", lvl, region, idx // 8))
                    walk_refs += 1
            for line in range(va >> 6, (page_end >> 6) + 1):
                touch(("data", line))
            if page_end >= end:
                break
            va = page_end + 1
    return hits, misses, walk_refs
