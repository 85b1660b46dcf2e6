#!/usr/bin/env python3
"""End-to-end cases: run the slatsim binary on small traces, assert exact output.

usage: run_e2e.py PATH/TO/slatsim

Expected numbers come from tests/e2e/oracle.py (an independent reader) or are
worked out by hand in the case's comment; none is copied from slatsim output.
Every run is also checked for sanitizer reports.
"""
import gzip
import json
import lzma
import os
import re
import struct
import subprocess
import zlib
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import oracle  # noqa: E402
from harness import Cases, Fail, eq, no_sanitizer_report  # noqa: E402,F401
import drmemtrace_oracle as dmo  # noqa: E402

SLATSIM = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build/slatsim")
TMP = tempfile.mkdtemp(prefix="slatsim-e2e-")
CASES = Cases()
case = CASES.case


def run(*args, stdin=None, expect_rc=0):
    p = subprocess.run([SLATSIM] + [str(a) for a in args], input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = p.stderr.decode(errors="replace")
    no_sanitizer_report(err)
    if expect_rc is not None and p.returncode != expect_rc:
        raise Fail("slatsim %s: exit %d, expected %d\nstderr: %s" %
                   (" ".join(map(str, args)), p.returncode, expect_rc, err[-2000:]))
    return p.stdout.decode(errors="replace"), err


def tmp(name):
    return os.path.join(TMP, name)


def write(name, data, mode="w"):
    path = tmp(name)
    with open(path, mode) as f:
        f.write(data)
    return path


def info_json(path, *extra):
    """trace info --json's counts (INFO_KEYS; the header and per-vCPU keys
    after them are left out)."""
    out, _ = run("trace", "info", "--json", *extra, path)
    return info_counts(json.loads(out))


def info_counts(doc):
    return {k: v for k, v in doc.items() if k in INFO_KEYS}


def bad_input(args, pattern, stdin=None):
    """A bad input exits 2 with a one-line message matching PATTERN."""
    _, err = run(*args, stdin=stdin, expect_rc=2)
    line = err.strip().splitlines()[0] if err.strip() else ""
    if not re.search(pattern, line):
        raise Fail("message %r does not match %r" % (line, pattern))


INFO_KEYS = ["records", "reads", "writes", "ifetches", "vcpus", "pages_4k",
             "pages_4k_written", "pages_64k", "pages_2m", "crossing_4k", "prefetches",
             "zero_size"]
INFO_MORE = ["invalidations", "instructions", "format", "vcpus_declared", "description",
             "per_vcpu"]   # (.slt: format_version; drmemtrace: nonfetched_instructions)

LACKEY_LS = os.path.join(ROOT, "tests/data/lackey-ls.txt.gz")

# ---------------------------------------------------------------- real capture


@case
def real_lackey_capture_counts_match_independent_reader():
    want = oracle.info(oracle.lackey_records(LACKEY_LS))
    got = info_json(LACKEY_LS)
    full = json.loads(run("trace", "info", "--json", LACKEY_LS)[0])
    eq(list(full.keys()), INFO_KEYS + INFO_MORE, "trace info --json keys")
    eq(got, want, "ls capture counts")


@case
def lackey_to_slt_round_trip_keeps_counts():
    out = tmp("ls.slt")
    run("trace", "import", LACKEY_LS, out)
    eq(info_json(out), info_json(LACKEY_LS), "counts after import")
    # and again from stdin, decompressed by the caller
    out2 = tmp("ls2.slt")
    run("trace", "import", "--format", "lackey", "-", out2,
        stdin=gzip.decompress(open(LACKEY_LS, "rb").read()))
    eq(info_json(out2), info_json(LACKEY_LS), "counts after stdin import")


@case
def shipped_sample_counts_match_its_provenance_note():
    # traces/samples/README.md states these, from the capture itself.
    got = info_json(os.path.join(ROOT, "traces/samples/xz-compress.slt"))
    eq(got["records"], got["reads"] + got["writes"] + got["ifetches"], "kinds add up")
    eq(got["vcpus"], 1, "one process")
    eq(got["pages_4k"], 2251, "pages_4k as documented")


# ---------------------------------------------------------------- text traces

TEXT = """# vcpu kind gva size [asid [icount]]
0 X 0x400ffe 4       # crosses 0x401000: pages 0x400, 0x401
0 R 1000 8
0 W 0x1ff8 16        # crosses 0x2000: pages 1, 2 written
1 R 0x200000 8 3     # vcpu 1, asid 3, 2 MB page 1
1 W 0x10000 4 3 7
0 R 0x1000 8
"""


@case
def text_trace_exact_counts():
    path = write("t.txt", TEXT)
    # By hand: 6 records; R=3, W=2, X=1; vcpus {0,1};
    # 4K pages {0x400,0x401,0x1,0x2,0x200,0x10} = 6; written {0x1,0x2,0x10} = 3;
    # 64K pages {0x40, 0x0, 0x20, 0x1} = 4; 2M pages {0x2, 0x0, 0x1} = 3;
    # crossing_4k = 2 (the X and the first W).
    eq(info_json(path), dict(records=6, reads=3, writes=2, ifetches=1, vcpus=2,
                             pages_4k=6, pages_4k_written=3, pages_64k=4, pages_2m=3,
                             crossing_4k=2, prefetches=0, zero_size=0), "text counts")
    eq(info_json(path), oracle.info(oracle.text_records(path)), "oracle agrees")


@case
def run_json_has_trace_config_stats_and_is_deterministic():
    path = write("t2.txt", TEXT)
    j1, j2 = tmp("r1.json"), tmp("r2.json")
    run("run", "--quiet", "--json", j1, path)
    run("run", "--quiet", "--json", j2, path)
    a, b = open(j1, "rb").read(), open(j2, "rb").read()
    # (but for the provenance, its last member: the command lines name j1 and j2)
    cut = lambda d: d[:d.index(b',\n  "provenance": {')]
    eq(cut(a), cut(b), "same trace + config gives identical JSON")
    doc = json.loads(a)
    eq(json.loads(b)["provenance"]["command"], [SLATSIM, "run", "--quiet", "--json", j2, path],
       "the provenance's command line")
    eq(sorted(doc.keys()), ["config", "provenance", "slatsim", "stats", "trace"],
       "top-level keys")
    eq(doc["stats"]["records"], 6, "records")
    eq(doc["stats"]["instructions"], 1 + 7, "icount sum (X default 1, explicit 7)")
    params = json.loads(run("params", "--json")[0])
    eq(sorted(doc["config"].keys()), sorted(p["name"] for p in params),
       "config holds every parameter")


@case
def config_file_then_set_override():
    path = write("t3.txt", TEXT)
    conf = write("c.conf", "# a comment\nsim.max_records = 4   # trailing\n\nseed=9\n")
    out = tmp("c.json")
    run("run", "--quiet", "--config", conf, "--json", out, path)
    doc = json.load(open(out))
    eq(doc["stats"]["records"], 4, "max_records from the file")
    eq(doc["config"]["seed"], 9, "seed from the file")
    run("run", "--quiet", "--set", "sim.max_records=2", "--config", conf, "--json", out, path)
    eq(json.load(open(out))["stats"]["records"], 2, "--set overrides the file")


# ---------------------------------------------------------------- ChampSim


def champsim_bytes():
    recs = []
    # ip, dst[2], src[4]
    spec = [
        (0x401000, [0, 0], [0x7000, 0, 0, 0]),
        (0x401004, [0x9ffc, 0], [0x7008, 0x8000, 0, 0]),   # W crosses 0xa000
        (0x401008, [0, 0], [0, 0, 0, 0]),
        (0x402000, [0x200000, 0x10], [0x200008, 0, 0, 0x300000]),
    ]
    for ip, dst, src in spec:
        r = struct.pack("<QBB2B4B", ip, 0, 0, 0, 0, 0, 0, 0, 0)
        r += struct.pack("<2Q", *dst) + struct.pack("<4Q", *src)
        assert len(r) == 64
        recs.append(r)
    return b"".join(recs)


@case
def champsim_plain_gz_xz_exact_counts():
    raw = champsim_bytes()
    p = write("cs.trace", raw, "wb")
    # By hand: 4 X; R: 1 + 2 + 0 + 2 = 5; W: 0 + 1 + 0 + 2 = 3; 12 records.
    want = oracle.info(oracle.champsim_records(p))
    eq((want["records"], want["ifetches"], want["reads"], want["writes"]), (12, 4, 5, 3),
       "hand count agrees with the oracle")
    eq(info_json(p), want, "plain")
    eq(info_json(write("cs.trace.gz", gzip.compress(raw), "wb")), want, "gz")
    eq(info_json(write("cs.trace.xz", lzma.compress(raw), "wb")), want, "xz")


@case
def champsim_partial_record_is_an_error():
    p = write("cs-bad.trace", champsim_bytes()[:64 * 3 + 10], "wb")
    bad_input(["trace", "info", "--format", "champsim", p],
              r"cs-bad\.trace: truncated ChampSim record at byte 192")


# ---------------------------------------------------------------- generators


@case
def gen_is_deterministic_per_seed():
    outs = []
    for seed in (5, 5, 6):
        o = tmp("g%d-%d.slt" % (seed, len(outs)))
        run("trace", "gen", "--pattern", "zipf", "--count", "20000", "--seed", seed, "-o", o)
        outs.append(open(o, "rb").read())
    eq(outs[0] == outs[1], True, "same seed, same bytes")
    eq(outs[0] == outs[2], False, "other seed, other bytes")


@case
def gen_patterns_stay_in_footprint():
    for pat in ("seq", "stride", "random", "zipf", "gups", "chase"):
        o = tmp("gp-%s.slt" % pat)
        run("trace", "gen", "--pattern", pat, "--count", "5000", "--footprint", "1M",
            "--base", "0x40000000", "--vcpus", "2", "-o", o)
        j = info_json(o)
        eq(j["records"], 5000, pat + " records")
        eq(j["vcpus"], 2, pat + " vcpus")
        if j["pages_4k"] > 256:
            raise Fail("%s touches %d pages of a 1M footprint" % (pat, j["pages_4k"]))


@case
def gen_chase_visits_every_element_once_per_lap():
    o = tmp("chase.slt")
    # 1M footprint, 4K stride = 256 elements; 256 records = one lap.
    run("trace", "gen", "--pattern", "chase", "--count", "256", "--footprint", "1M",
        "--stride", "4K", "-o", o)
    eq(info_json(o)["pages_4k"], 256, "one lap touches every element's page")


# ---------------------------------------------------------------- bad input


@case
def bad_inputs_exit_2_naming_file_and_place():
    good = tmp("good.slt")
    run("trace", "gen", "--pattern", "seq", "--count", "100000", "-o", good)
    data = open(good, "rb").read()
    raw = gzip.decompress(data)
    cases = [
        (write("trunc.slt", data[: len(data) // 2], "wb"),
         r"trunc\.slt: truncated gzip stream: input ends at compressed byte \d+"),
        (write("corrupt.slt", data[:40] + bytes(b ^ 0x55 for b in data[40:80]) + data[80:], "wb"),
         r"corrupt\.slt: corrupt gzip data near compressed byte \d+"),
        (write("magic.slt", gzip.compress(b"SLTX" + raw[4:]), "wb"),
         r"magic\.slt: not a slatsim trace: bad magic 53 4c 54 58 at byte 0"),
        (write("version.slt", gzip.compress(raw[:4] + b"\x07\x00" + raw[6:]), "wb"),
         r"version\.slt: byte 4: unsupported \.slt version 7"),
        (write("noend.slt", gzip.compress(raw[:-4]), "wb"),
         r"noend\.slt: (truncated|byte \d+)"),
        (write("lk.txt", "I  0401ab70,3\n S 1fff000708,8\n X 12,3\n"),
         r"lk\.txt: line 3: not a lackey trace line"),
        (write("addr.txt", "0 R 0x1000 8\n0 R 0xzz 8\n"),
         r"addr\.txt: line 2: address '0xzz' does not parse"),
        (write("size4097.txt", "0 R 0x1000 8\n0 W 0x2000 4097\n"),
         r"size4097\.txt: line 2: access size 4097 out of range 0\.\.4096"),
        (write("lksize.txt", "I  0401ab70,3\n L 1000,5000\n"),
         r"lksize\.txt: line 2: access size 5000 out of range 0\.\.4096"),
        (write("wrap.txt", "0 R 0xfffffffffffffffc 8\n"),
         r"wrap\.txt: line 1: access at 0xfffffffffffffffc of 8 bytes wraps"),
        (tmp("does-not-exist.slt"), r"does-not-exist\.slt: cannot open: No such file"),
    ]
    for path, pattern in cases:
        bad_input(["trace", "info", path], pattern)
        bad_input(["run", "--quiet", path], pattern)
    # a vCPU beyond the header's count: declare 1, feed vcpu 1 (the input
    # and its line are named: the record is the input's)
    two = write("two.txt", "0 R 0x1000 8\n1 R 0x2000 8\n")
    decl = tmp("decl1.slt")
    bad_input(["trace", "import", "--vcpus", "1", two, decl],
              r"two\.txt: line 2: vcpu 1 beyond the trace's vCPU count 1 \(--vcpus\)")
    eq(os.path.exists(decl), False, "failed import removes its output")


@case
def bad_parameters_are_refused_by_name():
    t = write("p.txt", "0 R 0x1000 8\n")
    bad_input(["run", "--set", "sim.max_record=3", t],
              r"--set: unknown parameter 'sim.max_record' \(did you mean 'sim.max_records'\?\)")
    bad_input(["run", "--set", "sim.max_records=-1", t],
              r"--set: bad value '-1' for sim.max_records: expected an integer in \[0, ")
    bad_input(["run", "--set", "seed", t], r"--set: expected key=value")
    conf = write("bad.conf", "seed = 3\nthis line has no equals\n")
    bad_input(["run", "--config", conf, t], r"bad\.conf:2: expected 'key = value'")
    bad_input(["run", "--config", tmp("nope.conf"), t], r"nope\.conf: cannot open config file")
    bad_input(["run", "--bogus", t], r"unknown option '--bogus'")
    bad_input(["trace", "gen", "--pattern", "zipf", "--zipf", "0", "-o", tmp("z.slt")],
              r"--zipf 0 out of range")
    bad_input(["rnu"], r"unknown command 'rnu' \(did you mean 'run'\?\)")


@case
def help_texts_exit_0():
    for args in (["--help"], ["run", "--help"], ["params", "--help"],
                 ["trace", "info", "--help"], ["trace", "import", "--help"],
                 ["trace", "gen", "--help"]):
        out, _ = run(*args)
        if "usage: slatsim" not in out:
            raise Fail("%s: no usage line" % args)


# ---------------------------------------------------------------- translation

CACHES_OFF = ["--set", "walkcache.s1.entries=0", "--set", "walkcache.s2.entries=0",
              "--set", "ntlb.entries=0", "--set", "host.page=base"]


def run_stats(trace, *sets):
    out = tmp("stats.json")
    args = ["run", "--quiet", "--json", out]
    for kv in sets:
        args += ["--set", kv]
    run(*(args + [trace]))
    return json.load(open(out))["stats"]


@case
def two_d_walk_costs_n_m_plus_n_plus_m_with_caches_off():
    # ARCH-FACTS 4.1: refs = n*m + n + m.
    table = [
        ([], 24),                                                         # x86 4 over 4
        (["guest.levels=5", "host.levels=5"], 35),                        # 5 over 5
        (["guest.levels=5"], 29),                                         # 5 over 4
        (["arch=arm64", "guest.granule=64k", "host.granule=64k"], 15),    # 3 x 3
        (["arch=arm64", "guest.granule=64k", "host.granule=4k"], 19),     # 3 x 4
        (["arch=arm64", "guest.granule=64k", "host.granule=64k",
          "guest.va_bits=42", "host.ipa_bits=42"], 8),                    # 2 x 2
        (["arch=arm64", "guest.granule=64k", "host.granule=4k", "host.ipa_bits=40"], 15),
        (["arch=arm64", "host.ipa_bits=40"], 19),                         # 4 x 3, 2 concatenated
        (["arch=arm64", "guest.granule=4k", "host.granule=64k"], 19),     # 4 x 3
        (["guest.page=2m", "host.page=1g"], 11),                          # 3 x 2
        (["virt=none"], 4),
    ]
    for sets, want in table:
        args = ["explain"] + CACHES_OFF
        for kv in sets:
            args += ["--set", kv]
        out, _ = run(*(args + ["3ff00001234"]))
        m = re.search(r"(\d+) memory references", out)
        eq(int(m.group(1)) if m else None, want, "refs for %s" % sets)


@case
def walk_fixed_costs_once_a_walk_and_once_a_host_walk():
    # x86 4 over 4, caches off: 24 reads at mem.pte_latency=14, one walk,
    # 5 stage-2 walks (4 guest table pages and the data page), by hand.
    args = ["explain"] + CACHES_OFF + ["--set", "cache.model=off", "--set", "walk.fixed=100",
                                       "--set", "walk.s2_fixed=1000", "3ff00001234"]
    out, _ = run(*args)
    m = re.findall(r"(\d+) memory references .*?, (\d+) cycles at mem.pte_latency=14; "
                   r"walk.fixed=100; walk.s2_fixed=1000 x (\d+) stage-2 walks", out)
    eq(m[-1] if m else None, ("24", str(24 * 14 + 100 + 5 * 1000), "5"), "explain's last attempt")
    # a replay: each costs its count more, and nothing else moves
    xz = os.path.join(ROOT, "traces/samples/xz-compress.slt")
    cfg = ["sim.max_records=300000", "host.page=4k", "ntlb.entries=8"]   # host walks: 270
    base = run_stats(xz, *cfg)
    more = run_stats(xz, *cfg, "walk.fixed=7", "walk.s2_fixed=11")
    assert base["walk.s2_walks"] > 100, base["walk.s2_walks"]
    eq(more["walk.cycles"] - base["walk.cycles"],
       7 * base["walk.count"] + 11 * base["walk.s2_walks"], "walk.cycles")
    for k in base:
        if k not in ("walk.cycles", "cycles.total", "cycles.translation", "translation.cpi",
                     "translation.share", "prefetch.cycles"):
            eq(more[k], base[k], k)


@case
def vtcr_and_concatenation_for_4k_40bit_ipa():
    out, _ = run("explain", "--set", "arch=arm64", "--set", "host.ipa_bits=40", "1000")
    # 4K granule, 40-bit IPA: start at L1 with 2 concatenated tables (KVM, Xen
    # root_order 1 / sl0 1); T0SZ = 64 - 40; SL0 = 2 - 1; TG0 4K = 0.
    if "3 levels, 2 concatenated root tables (VTCR_EL2.T0SZ=24 SL0=1 TG0=0)" not in out:
        raise Fail(out)
    out, _ = run("explain", "--set", "arch=arm64", "--set", "host.granule=64k",
                 "--set", "guest.granule=64k", "--set", "host.ipa_bits=46", "1000")
    if "2 levels, 16 concatenated root tables (VTCR_EL2.T0SZ=18 SL0=1 TG0=1)" not in out:
        raise Fail(out)


def lru_reference_misses(records, entries):
    """Independent fully-associative LRU over the data accesses' 4K pages;
    an access crossing a page boundary is two lookups, lower page first."""
    seq = []
    for vcpu, kind, gva, size in records:
        if kind == "X":
            continue
        seq.extend(range(gva >> 12, ((gva + size - 1) >> 12) + 1))
    return oracle.lru_misses(seq, entries), len(seq)


@case
def l1d_misses_equal_an_independent_lru_on_a_real_capture():
    recs = list(oracle.lackey_records(LACKEY_LS))
    for n in (8, 64):
        want, lookups = lru_reference_misses(recs, n)
        st = run_stats(LACKEY_LS, "virt=none", "guest.page=base", "tlb.l2.entries=0",
                       "tlb.l1d.entries=%d" % n, "tlb.l1d.ways=%d" % n, "tlb.l1d.policy=lru")
        eq(st["tlb.l1d.lookups"], lookups, "L1D lookups (N=%d)" % n)
        eq(st["tlb.l1d.misses"], want, "L1D misses vs reference LRU (N=%d)" % n)


# The guest OS presets its stage-1 A/D flags and the walker never writes
# them (the model before hardware stage-1 A/D): for cases whose hand counts
# are about something else.
NO_HW_AD = ["guest.hw_accessed=0", "guest.hw_dirty=0"]
# The guest OS creates its stage-1 entries with A/D (AF, DBM writable-clean)
# clear and the walker sets them: what a case about hardware stage-1 A/D
# asks for (the default is a Linux guest, which presets them).
HW_AD = ["guest.hw_accessed=1", "guest.hw_dirty=1"]

GOLD = """# two pages of one 2 MB region, then a page of another
0 R 0x40001000 8
0 R 0x40001008 8
0 W 0x40002000 8
0 R 0x40001010 8
0 R 0x40400000 8
"""


@case
def golden_nested_walk_statistics_with_caches_off():
    # Every cache off, the data caches too (cache.model=off: the flat model,
    # each reference at mem.pte_latency).
    t = write("gold.txt", GOLD)
    st = run_stats(t, "sim.prefault=1", "walkcache.s1.entries=0", "walkcache.s2.entries=0",
                   "ntlb.entries=0", "host.page=base", "tlb.l2.entries=0", "cache.model=off",
                   *HW_AD)
    # Prefaulted, so no faults; L1D (64 entries) misses on each new 4K page:
    # 0x40001000, 0x40002000, 0x40400000 = 3 walks of 24 refs (4 guest + 20 EPT).
    eq((st["fault.guest"], st["fault.host"]), (0, 0), "prefault leaves no faults")
    eq((st["tlb.l1d.hits"], st["tlb.l1d.misses"]), (2, 3), "L1D hits/misses")
    eq((st["walk.count"], st["walk.mem_refs"]), (3, 72), "walks and refs")
    eq((st["walk.s1_refs"], st["walk.s2_refs"]), (12, 60), "refs by stage")
    # The walker sets the guest's A/D flags (guest.hw_accessed, guest.hw_dirty:
    # the guest created them clear), one write each at mem.pte_latency: walk 1
    # sets A in the PML4E, PDPTE, PDE and PTE (4); walk 2 (a write, same PT)
    # A and D in its PTE, one write (1); walk 3 (another 2 MB region) A in
    # its PDE and PTE (2): 7 writes, 7 flags A, 1 D. The write walked its
    # page first, so no TLB entry was filled clean: no extra walk.
    eq((st["walk.ad_writes"], st["walk.s1_accessed"], st["walk.s1_dirtied"]), (7, 7, 1),
       "stage-1 A/D writes, A and D set")
    eq(st["tlb.dirty_walks"], 0, "no write through a clean entry")
    eq(st["walk.cycles"], (72 + 7) * 14, "walk cycles at mem.pte_latency=14")
    eq(st["tlb.fills.4k"], 3, "4K fills")
    # cycles: 5 instructions? no: R/W records carry icount 0 -> 0 instruction cycles
    eq(st["cycles.translation"], (72 + 7) * 14, "translation = walks (L1 latency 0, no L2)")
    # A guest that presets A and D (as Linux does) costs the reads alone.
    st = run_stats(t, "sim.prefault=1", "walkcache.s1.entries=0", "walkcache.s2.entries=0",
                   "ntlb.entries=0", "host.page=base", "tlb.l2.entries=0", "cache.model=off",
                   *NO_HW_AD)
    eq((st["walk.count"], st["walk.mem_refs"], st["walk.ad_writes"]), (3, 72, 0),
       "preset A/D: walks, refs, writes")
    eq(st["walk.cycles"], 72 * 14, "preset A/D: walk cycles")


@case
def splintering_2m_guest_over_4k_host_fills_4k_entries():
    t = write("splinter.txt", GOLD)
    base = ["sim.prefault=1", "tlb.l2.entries=0"]
    st = run_stats(t, "guest.page=2m", "host.page=base", *base)
    eq((st["tlb.fills.2m"], st["tlb.fills.4k"]), (0, 3), "2M guest over 4K host splinters")
    # 2M over 2M: the write to 0x40002000 finds the 2 MB entry the read of
    # 0x40001000 filled clean (the guest's D = 0), walks again to set D and
    # fills it again: 3 fills of 2 MB (2 with D preset).
    st = run_stats(t, "guest.page=2m", "host.page=2m", *(base + HW_AD))
    eq((st["tlb.fills.2m"], st["tlb.fills.4k"], st["tlb.dirty_walks"]), (3, 0, 1),
       "2M over 2M keeps 2M entries")
    st = run_stats(t, "guest.page=2m", "host.page=2m", *(base + NO_HW_AD))
    eq((st["tlb.fills.2m"], st["tlb.dirty_walks"]), (2, 0), "2M over 2M, D preset")
    st = run_stats(t, "guest.page=base", "host.page=1g", *base)
    eq((st["tlb.fills.2m"], st["tlb.fills.4k"]), (0, 3), "4K guest over 1G host: 4K")
    eq(st["pages.host"], 1, "one 1G host page covers the guest's memory")


@case
def l2_tlb_xor_index_holds_pages_512_apart():
    # 448 pages 512 apart (2 MB apart: s512's pattern), one load each, 4 laps
    # of one cycle; a 2048-entry 16-way L2 TLB (128 sets) behind an L1 TLB of
    # 4 entries (pages 512 apart share one of its sets; it misses every load).
    # Linear: every page number is a multiple of 512, low 7 bits 0: one set
    # of 16 ways for 448 pages, an LRU cycle - all 1792 lookups miss. XOR
    # (tlb.l2.index=xor): the set is (vpn ^ vpn >> 7) & 127; vpn = base +
    # 512i, so its bits 9-13 (i's low 5) land in the fold's bits 2-6: 32 sets
    # of 14 pages each, under 16 ways - the first lap's 448 miss, the other
    # 1344 hit (TLB;DR's XOR-7: Intel's sTLB holds 512 such pages).
    lines = ["0 R 0x%x 8" % (0x10000000000 + 512 * 4096 * ((i * 173) % 448)) for i in range(448)]
    t = write("s512.txt", "\n".join(lines * 4) + "\n")
    base = ["tlb.l1d.entries=4", "tlb.l1d.ways=4", "tlb.l2.entries=2048", "tlb.l2.ways=16"]
    st = run_stats(t, *base)
    eq((st["tlb.l2.hits"], st["tlb.l2.misses"]), (0, 1792), "linear: one set of 16 ways")
    st = run_stats(t, *(base + ["tlb.l2.index=xor"]))
    eq((st["tlb.l2.hits"], st["tlb.l2.misses"]), (1344, 448), "xor: 32 sets of 14 pages")


@case
def llc_xor_index_holds_lines_at_one_page_offset():
    # 32 pages, one 8-byte load at offset 0x40 of each, native (virt=none),
    # every page in a 64-entry L1 TLB (no walk after the first lap); a 1-line
    # L1D, no L2, an LLC of 64 sets x 2 ways (filled by L1 victims). The
    # loads' lines are 64 k + 1 for consecutive frames k. Linear: one set,
    # two ways for 32 lines in an LRU cycle - every later lap misses the LLC.
    # XOR (cache.llc.index=xor): set ((64 k + 1) ^ k) mod 64 = 1 ^ (k mod 64),
    # one line a set for the 32 consecutive frames first touch gives them
    # (the table pages come first) - every load of a later lap hits the LLC (its line went
    # there when the next load took the L1D). Two more laps: 64 loads, all
    # from memory (linear) or all from the LLC (xor). Derived by hand.
    lap = ["0 R 0x%x 8" % (0x10000000 + 4096 * ((i * 13) % 32) + 0x40) for i in range(32)]
    base = ["virt=none", "guest.page=base", "tlb.l1d.entries=64", "tlb.l1d.ways=64",
            "tlb.l2.entries=0", "cache.l1d.sets=1", "cache.l1d.ways=1", "cache.l1i.sets=0",
            "cache.l2.sets=0", "cache.llc.sets=64", "cache.llc.ways=2"]
    one = write("llc1.txt", "\n".join(lap) + "\n")
    three = write("llc3.txt", "\n".join(lap * 3) + "\n")
    for index, llc, mem in (("linear", 0, 64), ("xor", 64, 0)):
        a = run_stats(one, *(base + ["cache.llc.index=" + index]))
        b = run_stats(three, *(base + ["cache.llc.index=" + index]))
        eq((b["cache.served.llc"] - a["cache.served.llc"],
            b["cache.served.mem"] - a["cache.served.mem"]), (llc, mem),
           "laps 2-3 from the LLC and memory (%s)" % index)
        eq(b["walk.count"], a["walk.count"], "no walk after the first lap (%s)" % index)


@case
def guest_large_page_over_mixed_host_backing():
    # host.backing=1: every host region falls back to 4K pages.
    t = write("mixed.txt", GOLD)
    st = run_stats(t, "guest.page=1g", "host.page=2m", "host.backing=1", "sim.prefault=1")
    eq(st["tlb.fills.4k"], 3, "1G guest over 4K-backed host: 4K entries")
    # The write to 0x40002000 walks again (its 2 MB entry was filled clean by
    # the read of 0x40001000: the 1 GB leaf's D was 0): 3 fills; 2 with D
    # preset. Over 4 KB host pages the write was to a new page: no change.
    st = run_stats(t, "guest.page=1g", "host.page=2m", "host.backing=0", "sim.prefault=1",
                   *HW_AD)
    eq(st["tlb.fills.2m"], 3, "1G guest over 2M host: 2M entries")
    st = run_stats(t, "guest.page=1g", "host.page=2m", "host.backing=0", "sim.prefault=1",
                   *NO_HW_AD)
    eq(st["tlb.fills.2m"], 2, "1G guest over 2M host, D preset: 2M entries")


@case
def bad_machine_configs_are_refused_by_key():
    t = write("bc.txt", GOLD)
    bad_input(["run", "--set", "arch=arm64", "--set", "guest.granule=64k",
               "--set", "guest.page=2m", t],
              r"guest\.page=2m is not a page or block size of arm64 with a 64k granule")
    bad_input(["run", "--set", "tlb.l2.entries=1000", t],
              r"tlb\.l2: 1000 entries in 12 ways do not make a power-of-two number of sets")
    bad_input(["run", "--set", "guest.granule=16k", t],
              r"guest\.granule=16k: x86 paging uses 4k tables only")
    bad_input(["run", "--set", "arch=arm64", "--set", "guest.va_bits=39",
               write("hi.txt", "0 R 0x7f0000001000 8\n")],
              r"hi\.txt: line 1: VA 0x7f0000001000 is not canonical for the guest's 39-bit address space")


# ---------------------------------------------------------------- dirty logging
# Every expected number below is worked out by hand from the trace and the
# rules in ARCH-FACTS §2 and §6; the comment of each case shows the sum.

DL_TRACE = """\
0 R 0x10000000 8
0 W 0x10000000 8
0 W 0x10000008 8
0 W 0x10001000 8
0 W 0x10002ffc 8
0 R 0x10004000 8
"""
# Written 4 KB pages: 0x10000, 0x10001, 0x10002 and 0x10003 (the crossing
# write touches two pages, lower first): 4 true pages.
BASE4K = ["--set", "host.page=4k", "--set", "guest.page=4k"]


def stats_of(trace, *sets, rounds=False):
    out = tmp("dl-%d.json" % len(os.listdir(TMP)))
    args = ["run", "--quiet", "--json", out]
    for kv in sets:
        args += ["--set", kv]
    run(*(args + [trace]))
    doc = json.load(open(out))
    return (doc["stats"], doc.get("rounds", [])) if rounds else doc["stats"]


def expect(st, want, what):
    for k, v in want.items():
        eq(st[k], v, "%s: %s" % (what, k))


@case
def dirtylog_wp_faults_once_per_first_written_page():
    t = write("dl.txt", DL_TRACE)
    # The guest OS preset its A/D flags: 4 faults x (exit 1400 + handling
    # 2000) = 13600; harvest: bitmap 4 x 10, 4 written leaves write-protected
    # again x 40, one vCPU invalidated 2000.
    st = stats_of(t, "dirtylog.mode=wp", "host.page=4k", "guest.page=4k", *NO_HW_AD)
    expect(st, {"dirtylog.rounds": 1, "dirtylog.true_pages": 4, "wp.faults": 4,
                "dirtylog.reported_pages": 4, "dirtylog.missed_pages": 0,
                "dirtylog.extra_pages": 0, "dirtylog.rearmed_leaves": 4,
                "tlb.dirty_walks": 1,   # the write after the read hits a read-only entry
                "cycles.dirtylog": 13600 + 40 + 160 + 2000}, "wp")
    # Hardware A/D (HW_AD): the first walk sets A in the PML4E, PDPTE,
    # PDE and PTE, each a write to a write-protected table page: 4 more faults
    # (walk.s1_ad_s2_faults), each page reported once (the harvest protects
    # it again); later A/D writes find those pages writable. 8 faults x 3400
    # = 27200; bitmap 8 x 10; 8 leaves protected again x 40; 2000.
    st = stats_of(t, "dirtylog.mode=wp", "host.page=4k", "guest.page=4k", *HW_AD)
    expect(st, {"dirtylog.rounds": 1, "dirtylog.true_pages": 4, "wp.faults": 8,
                "walk.s1_ad_s2_faults": 4,
                "dirtylog.reported_pages": 8, "dirtylog.missed_pages": 0,
                "dirtylog.extra_pages": 4, "dirtylog.rearmed_leaves": 8,
                "tlb.dirty_walks": 1,
                "cycles.dirtylog": 27200 + 80 + 320 + 2000}, "wp, hardware A/D")


@case
def dirtylog_pml_logs_data_and_guest_table_pages():
    t = write("dl.txt", DL_TRACE)
    # ept.ad_gpt_write=1: the guest walk's accesses to its 4 table pages (PML4,
    # PDPT, PD, PT) are EPT writes, so each table page is logged once: 4 + 4.
    st = stats_of(t, "dirtylog.mode=pml", "host.page=4k", "guest.page=4k")
    expect(st, {"pml.logged": 8, "pml.drained": 8, "pml.full_exits": 0,
                "dirtylog.true_pages": 4, "dirtylog.reported_pages": 8,
                "dirtylog.extra_pages": 4, "dirtylog.missed_pages": 0, "wp.faults": 0,
                # drain 8 x 150, bitmap 8 x 10, 8 leaves cleaned x 40, invalidate 2000
                "cycles.dirtylog": 1200 + 80 + 320 + 2000}, "pml gpt on")
    st = stats_of(t, "dirtylog.mode=pml", "host.page=4k", "guest.page=4k",
                  "ept.ad_gpt_write=0", *NO_HW_AD)
    expect(st, {"pml.logged": 4, "dirtylog.reported_pages": 4, "dirtylog.extra_pages": 0,
                "dirtylog.missed_pages": 0,
                "cycles.dirtylog": 600 + 40 + 160 + 2000}, "pml gpt off, A/D preset")
    # Without the rule but with hardware stage-1 A/D, the first walk's A
    # writes (PML4E, PDPTE, PDE, PTE) write each table page: its EPT D goes
    # 0 -> 1 and it is logged, as with the rule: 8 again.
    st = stats_of(t, "dirtylog.mode=pml", "host.page=4k", "guest.page=4k",
                  "ept.ad_gpt_write=0", *HW_AD)
    expect(st, {"pml.logged": 8, "dirtylog.reported_pages": 8, "dirtylog.extra_pages": 4,
                "walk.s1_ad_s2_dirtied": 4, "dirtylog.missed_pages": 0,
                "cycles.dirtylog": 1200 + 80 + 320 + 2000}, "pml gpt off")


@case
def dirtylog_pml_full_exit_after_512_entries():
    # 600 writes to distinct pages: entries 511..0 fill, the next A/D update
    # is one log-full exit and a drain of 512, then 93 more are drained at
    # the end of the round. The 600 pages span two 2 MB regions: the guest's
    # first A/D writes to its 5 table pages (PML4, PDPT, PD, two PTs) log
    # them too: 605.
    t = write("dl600.txt", "".join("0 W 0x%x 8\n" % (0x20000000 + k * 4096)
                                   for k in range(600)))
    st = stats_of(t, "dirtylog.mode=pml", "host.page=4k", "guest.page=4k",
                  "ept.ad_gpt_write=0", *HW_AD)
    expect(st, {"pml.logged": 605, "pml.full_exits": 1, "pml.drained": 605,
                "dirtylog.true_pages": 600, "dirtylog.reported_pages": 605,
                "dirtylog.extra_pages": 5, "dirtylog.missed_pages": 0}, "pml full")
    # pml.drain=kvm drains at every exit (issue 28 item 3): each of the 600
    # writes first takes an EPT violation for its new page, which drains
    # what the last write logged, so the buffer never fills.
    st = stats_of(t, "dirtylog.mode=pml", "host.page=4k", "guest.page=4k",
                  "ept.ad_gpt_write=0", "pml.drain=kvm", *HW_AD)
    expect(st, {"pml.full_exits": 0, "pml.drained": 605}, "pml full, kvm drain")
    # Each of the 600 entries the hardware writes costs the walk
    # pml.log.cycles; nothing else depends on it.
    a = stats_of(t, "dirtylog.mode=pml", "host.page=4k", "guest.page=4k",
                 "ept.ad_gpt_write=0", "pml.log.cycles=0", *HW_AD)
    b = stats_of(t, "dirtylog.mode=pml", "host.page=4k", "guest.page=4k",
                 "ept.ad_gpt_write=0", "pml.log.cycles=25", *HW_AD)
    eq(b["walk.cycles"] - a["walk.cycles"], 605 * 25, "pml.log.cycles per entry")
    eq({k for k in a if a[k] != b[k]}, {"walk.cycles", "cycles.translation", "cycles.total"},
       "only cycle counts change")


@case
def dirtylog_without_invalidation_misses_rewrites():
    # Round 1 ends after record 1 (icount 1000 = period); D is cleared, but
    # without INVEPT the TLB entry still says dirty, so record 2's write to
    # the same page does not log (ARCH-FACTS §6 item 5). Round 1 also
    # reports the guest's 4 table pages, which the first walk's A/D writes
    # dirtied; round 2's walk finds every A and D set: no table write.
    t = write("dlinv.txt", "0 W 0x10000000 8 0 1000\n0 W 0x10000000 8 0 1\n")
    common = ["dirtylog.mode=pml", "dirtylog.period=1000", "ept.ad_gpt_write=0",
              "host.page=4k", "guest.page=4k", *HW_AD]
    st, rounds = stats_of(t, *common, rounds=True)
    expect(st, {"dirtylog.rounds": 2, "dirtylog.true_pages": 2,
                "dirtylog.reported_pages": 6, "dirtylog.missed_pages": 0}, "invalidate=1")
    eq([(r["instructions"], r["true"], r["reported"], r["missed"]) for r in rounds],
       [(1000, 1, 5, 0), (1001, 1, 1, 0)], "rounds")
    st, rounds = stats_of(t, *(common + ["dirtylog.invalidate=0"]), rounds=True)
    expect(st, {"dirtylog.true_pages": 2, "dirtylog.reported_pages": 5,
                "dirtylog.missed_pages": 1}, "invalidate=0")
    eq(rounds[1]["missed"], 1, "round 2 misses the rewrite")


@case
def dirtylog_without_flushing_every_vcpu_misses_buffered_entries():
    # Two vCPUs each write one page; no buffer fills, so only the harvest's
    # flush of every vCPU reports them. vCPU 0's walk also logged the guest's
    # 4 table pages (its A/D writes); vCPU 1's PTE write finds the PT page
    # dirty already: 4 + 1 + 1.
    t = write("dl2.txt", "0 W 0x10000000 8\n1 W 0x10005000 8\n")
    common = ["dirtylog.mode=pml", "ept.ad_gpt_write=0", "host.page=4k", "guest.page=4k",
              *HW_AD]
    expect(stats_of(t, *common), {"dirtylog.reported_pages": 6,
                                  "dirtylog.missed_pages": 0}, "flush all")
    expect(stats_of(t, *(common + ["dirtylog.flush_all_vcpus=0"])),
           {"dirtylog.reported_pages": 0, "dirtylog.missed_pages": 2}, "no flush")


@case
def dirtylog_large_pages_split_wp_keep():
    # Three 4 KB pages written inside one prefaulted 2 MB host page (guest RAM
    # starts 2 MB-aligned; its 4 table pages and 3 data pages share it).
    t = write("dlh.txt", "0 W 0x10000000 8\n0 W 0x10001000 8\n0 W 0x10002000 8\n")
    common = ["dirtylog.mode=pml", "ept.ad_gpt_write=0", "host.page=2m", "guest.page=4k",
              "sim.prefault=1", *NO_HW_AD]
    expect(stats_of(t, *(common + ["dirtylog.huge=split"])),
           {"dirtylog.splits": 1, "wp.faults": 1, "pml.logged": 2,
            "dirtylog.reported_pages": 3, "dirtylog.missed_pages": 0,
            "dirtylog.extra_pages": 0}, "split")
    expect(stats_of(t, *(common + ["dirtylog.huge=wp"])),
           {"wp.faults": 1, "pml.logged": 0, "dirtylog.reported_pages": 512,
            "dirtylog.missed_pages": 0, "dirtylog.extra_pages": 509}, "wp")
    # keep: D is cleared on the 2 MB leaf, the first write logs its own 4 KB
    # GPA, the next two find D = 1 and log nothing (ARCH-FACTS §2.1).
    expect(stats_of(t, *(common + ["dirtylog.huge=keep"])),
           {"wp.faults": 0, "pml.logged": 1, "dirtylog.reported_pages": 1,
            "dirtylog.missed_pages": 2}, "keep")
    # With hardware A/D the first write to the 2 MB page is the PML4E's A
    # (the PML4 page shares it). split: that fault splits the page and
    # reports the PML4 page; the PDPTE, PDE and PTE writes then dirty and
    # log their 4 KB pieces, and so do the 3 data writes: 6 logged, 7
    # reported, the 4 table pages extra. keep: the PML4E's write sets the
    # 2 MB leaf's D and logs the PML4 page; nothing else logs: all 3
    # written pages missed.
    hw = [kv for kv in common if kv not in NO_HW_AD] + HW_AD
    expect(stats_of(t, *(hw + ["dirtylog.huge=split"])),
           {"dirtylog.splits": 1, "wp.faults": 1, "walk.s1_ad_s2_faults": 1,
            "pml.logged": 6, "dirtylog.reported_pages": 7, "dirtylog.missed_pages": 0,
            "dirtylog.extra_pages": 4}, "split, hardware A/D")
    expect(stats_of(t, *(hw + ["dirtylog.huge=keep"])),
           {"wp.faults": 0, "pml.logged": 1, "dirtylog.reported_pages": 1,
            "dirtylog.extra_pages": 1, "dirtylog.missed_pages": 3}, "keep, hardware A/D")


@case
def dirtylog_arm_dbm_scan_and_hdbss():
    t = write("dl.txt", DL_TRACE)
    arm = ["arch=arm64", "host.page=4k", "guest.page=4k"]
    # dbm: no faults, no buffer; the harvest scans the 9 leaves of the range
    # (5 data pages + 4 stage-1 table pages of a 4-level 4 KB guest) and
    # reports the 4 that are writable-dirty. Arm has no guest-table-write
    # rule; with TCR_EL1.HA/HD off (AF preset, no DBM) no table page is
    # written.
    expect(stats_of(t, *(arm + NO_HW_AD + ["dirtylog.mode=dbm"])),
           {"wp.faults": 0, "dirtylog.scanned_leaves": 9, "dirtylog.reported_pages": 4,
            "dirtylog.missed_pages": 0, "dirtylog.extra_pages": 0,
            "cycles.dirtylog": 9 * 10 + 4 * 10 + 4 * 40 + 2000}, "dbm")
    expect(stats_of(t, *(arm + NO_HW_AD + ["dirtylog.mode=hdbss"])),
           {"hdbss.logged": 4, "hdbss.drained": 4, "hdbss.full_exits": 0,
            "dirtylog.reported_pages": 4, "dirtylog.missed_pages": 0}, "hdbss")
    # HA and HD on (HW_AD): the guest's leaves are created AF = 0 and
    # writable-clean; setting AF (every leaf's first walk) and the dirty
    # state writes the PT page - table descriptors have no AF without
    # FEAT_HAFT, so the PML4, PDPT and PD pages are never written. The PT
    # page's stage-2 leaf goes writable-dirty once: 5 reported, 1 extra;
    # hdbss logs it (5 entries). dbm: scan 9, bitmap 5, re-arm 5.
    expect(stats_of(t, *(arm + HW_AD + ["dirtylog.mode=dbm"])),
           {"wp.faults": 0, "dirtylog.scanned_leaves": 9, "dirtylog.reported_pages": 5,
            "dirtylog.missed_pages": 0, "dirtylog.extra_pages": 1,
            "walk.s1_ad_s2_dirtied": 1,
            "cycles.dirtylog": 9 * 10 + 5 * 10 + 5 * 40 + 2000}, "dbm, HA+HD")
    expect(stats_of(t, *(arm + HW_AD + ["dirtylog.mode=hdbss"])),
           {"hdbss.logged": 5, "hdbss.drained": 5, "hdbss.full_exits": 0,
            "dirtylog.reported_pages": 5, "dirtylog.extra_pages": 1,
            "dirtylog.missed_pages": 0}, "hdbss, HA+HD")


@case
def dirtylog_modes_refused_on_the_wrong_architecture():
    t = write("dlbad.txt", "0 R 0x1000 8\n")
    bad_input(["run", "--set", "dirtylog.mode=pml", "--set", "arch=arm64", t],
              r"dirtylog\.mode=pml is Intel PML over EPT: use arch=x86")
    bad_input(["run", "--set", "dirtylog.mode=hdbss", t],
              r"dirtylog\.mode=hdbss is Arm stage-2 DBM: use arch=arm64")
    bad_input(["run", "--set", "dirtylog.mode=wp", "--set", "virt=none", t],
              r"dirtylog\.mode=wp needs virt=nested")


@case
def arm64_contiguous_hint_maps_runs_and_widens_tlb_entries():
    # 256 reads, one per 4 KB page over 1 MB (64 KB aligned), arm64 nested,
    # host 2 MB blocks (thp). Without the hint: 256 guest faults, 256 L1D
    # misses, 256 4 KB fills. With guest.cont=1 each fault maps the aligned
    # run of 16 x 4 KB (ARM64_CONT_PTE_SHIFT 4) and a TLB entry covers it:
    # 16 faults, 16 misses, 16 fills of 64 KB (= min(64 KB run, 2 MB host)),
    # still 256 stage-1 leaves.
    t = write("cont.txt", "".join("0 R 0x%x 8\n" % (0x10000000 + k * 4096)
                                  for k in range(256)))
    a = stats_of(t, "arch=arm64", "guest.cont=0")
    b = stats_of(t, "arch=arm64", "guest.cont=1")
    expect(a, {"fault.guest": 256, "pages.guest": 256, "tlb.l1d.misses": 256,
               "tlb.fills.4k": 256, "tlb.fills.64k": 0}, "no hint")
    expect(b, {"fault.guest": 16, "pages.guest": 256, "tlb.l1d.misses": 16,
               "tlb.fills.4k": 0, "tlb.fills.64k": 16}, "contiguous hint")
    # 64 KB granule: runs of 32 x 64 KB = 2 MB; 64 reads at 64 KB stride over
    # 4 MB are 2 runs; the host's smallest block is 512 MB, so a combined
    # entry is the 2 MB run: 2 faults, 2 misses, 2 fills of 2 MB.
    t = write("cont64.txt", "".join("0 R 0x%x 8\n" % (0x10000000 + k * 65536)
                                    for k in range(64)))
    c = stats_of(t, "arch=arm64", "guest.granule=64k", "host.granule=64k", "guest.cont=1")
    expect(c, {"fault.guest": 2, "pages.guest": 64, "tlb.l1d.misses": 2,
               "tlb.fills.2m": 2}, "64K granule contiguous hint")
    bad_input(["run", "--set", "guest.cont=1", t], r"guest\.cont=1: the contiguous hint is arm64")


@case
def invalidation_records_drop_cached_translations():
    # vCPU 0 reads one page; each invalidation that covers it makes the next
    # read miss the L1 and L2 TLBs and walk again. Worked by hand:
    #  1 v0 R miss (first touch: fault, walk twice)   2 v0 R hit
    #  3 v0 I va        4 v0 R miss
    #  5 v0 I asid 0    6 v0 R miss
    #  7 v0 I all       8 v0 R miss      9 v1 R miss (v1's first)
    # 10 v0 I va.is    11 v0 R miss     12 v1 R miss (broadcast)
    # 13 v0 I va (local to v0)          14 v1 R hit
    # = 9 accesses, 7 misses, 2 hits, 8 walks; 5 invalidation records.
    t = write("inv.txt", "0 R 0x1000 8\n0 R 0x1000 8\n0 I va 0x1000\n0 R 0x1000 8\n"
              "0 I asid 0\n0 R 0x1000 8\n0 I all\n0 R 0x1000 8\n1 R 0x1000 8\n"
              "0 I va.is 0x1000\n0 R 0x1000 8\n1 R 0x1000 8\n0 I va 0x1000\n"
              "1 R 0x1000 8\n")
    want = {"records": 14, "accesses": 9, "invalidations": 5, "inv.all": 1, "inv.asid": 1,
            "inv.va": 3, "inv.broadcast": 1, "tlb.l1d.misses": 7, "tlb.l1d.hits": 2,
            "walk.count": 8}
    expect(stats_of(t), want, "text trace")
    slt = tmp("inv.slt")
    run("trace", "import", t, slt)
    expect(stats_of(slt), want, "imported .slt")
    out, _ = run("trace", "info", slt)
    eq("invalidations      5" in out, True, "trace info counts invalidations")
    # An invalidation of another page, or of another ASID, removes nothing.
    t2 = write("inv2.txt", "0 R 0x1000 8\n0 I va 0x2000\n0 I asid 3\n0 R 0x1000 8\n")
    expect(stats_of(t2), {"tlb.l1d.misses": 1, "tlb.l1d.hits": 1}, "unrelated invalidations")


@case
def run_vs_prints_both_runs_and_their_ratio():
    t = write("dl.txt", DL_TRACE)
    a = stats_of(t, "dirtylog.mode=wp", "host.page=4k", "guest.page=4k")
    b = stats_of(t, "dirtylog.mode=pml", "host.page=4k", "guest.page=4k")
    out, _ = run("run", "--set", "dirtylog.mode=wp", "--set", "host.page=4k",
                 "--set", "guest.page=4k", "--vs", "dirtylog.mode=pml", t)
    lines = out.splitlines()
    head = [i for i, ln in enumerate(lines) if ln.split()[:1] == ["statistic"]][0]
    rows = {ln.split()[0]: ln.split()[1:] for ln in lines[head + 1:]
            if ln.strip() and not ln.strip().startswith("(")}
    for k in ("wp.faults", "pml.logged", "cycles.dirtylog", "cycles.total"):
        eq(int(rows[k][0].replace(",", "")), a[k], "--vs A " + k)
        eq(int(rows[k][1].replace(",", "")), b[k], "--vs B " + k)
    eq(rows["cycles.dirtylog"][2], "%.4f" % (b["cycles.dirtylog"] / a["cycles.dirtylog"]),
       "--vs ratio")
    j = tmp("vs.json")
    run("run", "--quiet", "--json", j, "--set", "dirtylog.mode=wp", "--vs", "dirtylog.mode=pml", t)
    doc = json.load(open(j))
    eq([d["config"]["dirtylog.mode"] for d in doc], ["wp", "pml"], "--vs --json is [A, B]")
    bad_input(["run", "--vs", "dirtylog.mode=nope", t],
              r"--vs: bad value 'nope' for dirtylog\.mode")


# ---------------------------------------------------------------- domains


def two_vcpu_trace(n, seed):
    """N records of vCPUs 0 and 1 in turn (reads, writes, fetches over 24 MB,
    two ASIDs each), as text lines, deterministic."""
    import random
    rnd = random.Random(seed)
    lines = []
    for i in range(n):
        v = i % 2
        kind = rnd.choice("RRWX")
        gva = 0x7f0000000000 + rnd.randrange(24 << 20)
        size = 4 if kind == "X" else 8
        lines.append("%d %s %x %d %d %d" % (v, kind, gva, size, v * 3 + rnd.randrange(2),
                                            1 if kind == "X" else 0))
    return lines


@case
def two_domains_each_match_a_lone_run_of_their_vcpu():
    # The case: a two-vCPU trace split into two domains with
    # different guest page sizes gives each domain exactly the statistics a
    # one-domain run of its own vCPU's records gives (TLBs per vCPU, tagged
    # by VMID; separate page tables); physical memory is shared, so pt.bytes
    # is the sum. Dirty logging runs per domain (rounds by its own
    # instructions). Exactly, every statistic, in the flat model
    # (cache.model=off); with the data caches (the default) the LLC is the
    # machine's and the domains' pages sit at other physical addresses than
    # in a lone run, so what the caches decide (cache.*, walk.refs.*,
    # walk.ad_writes.*, and the cycles of walks and data) is the machine's,
    # and every other statistic is still the lone run's.
    lines = two_vcpu_trace(20000, 11)
    both = write("dom2.txt", "\n".join(lines) + "\n")
    cached = ("cache.", "walk.refs.", "walk.ad_writes.", "cycles.total", "cycles.translation",
              "cycles.memory", "walk.cycles")
    for model in ("off", "on"):
        common = ["dirtylog.mode=pml", "dirtylog.period=3000", "host.page=thp",
                  "cache.model=" + model]
        per = {0: ["guest.page=base"], 1: ["guest.page=2m"]}
        out = tmp("dom2-%s.json" % model)
        args = ["run", "--quiet", "--json", out, "--set", "domains=2", "--set",
                "vcpu.domain=0,1", "--set", "domain.1.guest.page=2m"]
        for kv in common:
            args += ["--set", kv]
        run(*(args + [both]))
        doc = json.load(open(out))
        st = doc["stats"]
        eq(doc["config"]["vcpu.domain"], [0, 1], "vcpu.domain in the JSON config")
        eq(doc["config"]["domain.1.guest.page"], "2m", "the override in the JSON config")
        checked = 0
        for v in (0, 1):
            lone = write("dom2-v%d.txt" % v,
                         "\n".join(l for l in lines if l.startswith("%d " % v)) + "\n")
            ls = run_stats(lone, *(common + per[v]))
            for k, want in ls.items():
                if isinstance(want, float) or (model == "on" and k.startswith(cached)):
                    continue
                key = "domain.%d.%s" % (v, k)
                if key in st:
                    eq(st[key], want, key + " vs the lone run of vCPU %d (cache.model=%s)" %
                       (v, model))
                    checked += 1
        if checked < 2 * 60:
            raise Fail("cache.model=%s: only %d per-domain statistics compared" % (model, checked))
        eq(st["pt.bytes"], st["domain.0.pt.bytes"] + st["domain.1.pt.bytes"], "pt.bytes is the sum")
        if st["domain.0.pages.guest"] <= st["domain.1.pages.guest"]:
            raise Fail("2 MB guest pages should map far fewer pages than 4 KB ones")
        doms = sorted(set(r["domain"] for r in doc["rounds"]))
        eq(doms, [0, 1], "rounds of both domains in the JSON")


@case
def domain_keys_are_refused_by_name():
    t = write("dk.txt", "0 R 0x1000 8\n")
    bad_input(["run", "--set", "domain.0.tlb.l2.entries=64", t],
              r"domain\.0\.tlb\.l2\.entries': tlb\.l2\.entries is machine-wide")
    bad_input(["run", "--set", "domain.1.guest.page=2m", t],
              r"domain\.1\.guest\.page: there is only 1 domain \(domains=1\)")
    bad_input(["run", "--set", "domains=2", "--set", "vcpu.domain=0,5", t],
              r"vcpu\.domain=0,5: vCPU 1 in domain 5")
    bad_input(["run", "--set", "domains=2", "--set", "virt=none", t],
              r"domains=2: domains are virtual machines, they need virt=nested")
    bad_input(["run", "--set", "vcpu.domain=0,,1", t], r"bad value '0,,1' for vcpu\.domain")
    out, _ = run("params")
    if "(per domain: domain.N.guest.page overrides it for domain N)" not in out:
        raise Fail("slatsim params does not say guest.page is per domain")
    out, _ = run("params", "--set", "domains=3", "--set", "domain.2.core.cpi=1.5")
    if not re.search(r"^domain\.2\.core\.cpi\s+float\s+1\.5", out, re.M):
        raise Fail("slatsim params does not list the override it was given")

# ---------------------------------------------------------------- drmemtrace
# Real DynamoRIO captures: the shipped echo-zip / echo-gzip (tests/data), and
# when ../shared/samples/drmemtrace is beside the project, every capture there.
# Expected counts come from tests/e2e/drmemtrace_oracle.py (an independent
# reader written from DynamoRIO's format description) and the README's
# drcachesim basic_counts figures (dmo.README_BASIC_COUNTS).

DR_DATA = os.path.join(ROOT, "tests/data/drmemtrace")
DR_SHARED = os.path.join(os.path.dirname(ROOT), "shared/samples/drmemtrace")


def dr_expected(path):
    """trace info --json's counts from the oracle (one pid in every sample,
    so its per-pid page sets are the trace's)."""
    c = dmo.counts(path)
    t = c["total"]
    eq(len(t["pids"]), 1, "%s: one process" % path)
    return dict(records=t["accesses"], reads=t["loads"], prefetches=t["prefetches"],
                zero_size=t["zero_size_refs"],
                writes=t["stores"], ifetches=t["instr_fetched"], vcpus=c["threads"],
                pages_4k=t["pages_4k"], pages_4k_written=t["pages_4k_written"],
                pages_64k=t["pages_64k"], pages_2m=t["pages_2m"],
                crossing_4k=t["crossing_4k"]), t


def dr_check(path, what):
    want, t = dr_expected(path)
    eq(info_json(path), want, what + ": trace info --json vs the oracle")
    return want, t


@case
def drmemtrace_shipped_captures_match_the_oracle_and_drcachesim():
    for folder in ("echo-zip", "echo-gzip"):
        d = os.path.join(DR_DATA, folder)
        want, t = dr_check(d, folder)
        # drcachesim's basic_counts (the samples' README): fetched, non-fetched,
        # loads, stores, threads
        eq((want["ifetches"], t["instr_no_fetch"], want["reads"], want["writes"], want["vcpus"]),
           dmo.README_BASIC_COUNTS[folder], folder + " vs drcachesim")
        # the per-thread file alone, and DIR/trace, read the same
        f = dmo.trace_files(d)[0]
        eq(info_json(f), want, folder + ": the per-thread file")
        eq(info_json(os.path.join(d, "trace"), "--format", "drmemtrace"), want,
           folder + ": DIR/trace with --format")
        # instructions retired = fetched + non-fetched (icount of each record)
        out = tmp("dr-%s.json" % folder)
        run("run", "--quiet", "--json", out, d)
        st = json.load(open(out))["stats"]
        eq((st["records"], st["instructions"]), (want["records"], t["instr_total"]),
           folder + ": run records, instructions")


@case
def drmemtrace_every_container_of_the_real_capture():
    # echo-gzip's file is gzip of the plain capture: rebuild it as plain, zlib,
    # and a zip of three chunk members (cut at whole records); and from stdin.
    src = dmo.trace_files(os.path.join(DR_DATA, "echo-gzip"))[0]
    raw = gzip.decompress(open(src, "rb").read())
    want, _ = dr_expected(src)
    import zipfile
    import zlib
    d = os.path.join(TMP, "drc", "trace")
    os.makedirs(d, exist_ok=True)
    plain = os.path.join(d, "drmemtrace.echo.1.0000.trace")
    open(plain, "wb").write(raw)
    eq(info_json(plain), want, "plain")
    os.unlink(plain)
    zl = os.path.join(d, "drmemtrace.echo.1.0000.trace.zlib")
    open(zl, "wb").write(zlib.compress(raw))
    eq(info_json(zl), want, "zlib")
    eq(info_json(os.path.dirname(d)), want, "zlib in a directory")
    os.unlink(zl)
    zp = os.path.join(d, "drmemtrace.echo.1.0000.trace.zip")
    cut = [0, 12 * 100000, 12 * 250000, len(raw)]
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as z:
        for i in (2, 0, 1):   # not in chunk order: the reader goes by the numbers
            # (each member but the last ends with its CHUNK_FOOTER marker, as
            # raw2trace writes them)
            footer = struct.pack("<HHQ", 28, 21, i) if i < 2 else b""
            z.writestr("chunk.%08d" % i, raw[cut[i]:cut[i + 1]] + footer)
    eq(info_json(zp), want, "zip of 3 chunks")
    out, _ = run("trace", "info", "--json", "-", stdin=gzip.compress(raw))
    eq(info_counts(json.loads(out)), want, "gzip from standard input")
    # import to .slt keeps the counts
    slt = tmp("echo.slt")
    run("trace", "import", zp, slt)
    eq(info_json(slt), want, "imported .slt")


@case
def drmemtrace_shared_samples_match_the_oracle_and_drcachesim():
    if not os.path.isdir(DR_SHARED):
        print("     (skipped: %s not present)" % DR_SHARED)
        return
    for folder, figures in sorted(dmo.README_BASIC_COUNTS.items()):
        d = os.path.join(DR_SHARED, folder)
        want, t = dr_check(d, folder)
        eq((want["ifetches"], t["instr_no_fetch"], want["reads"], want["writes"], want["vcpus"]),
           figures, folder + " vs drcachesim")


@case
def drmemtrace_damage_exits_2_naming_file_member_and_record():
    src = os.path.join(DR_DATA, "echo-zip/trace/drmemtrace.echo.13363.2590.trace.zip")
    data = open(src, "rb").read()
    raw = gzip.decompress(open(dmo.trace_files(os.path.join(DR_DATA, "echo-gzip"))[0],
                               "rb").read())
    import struct
    import zipfile

    def zipped(name, body):
        p = tmp(name)
        with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
            # (chunk 0 ends with its CHUNK_FOOTER marker: TRACE_TYPE_MARKER,
            # TRACE_MARKER_TYPE_CHUNK_FOOTER, ordinal 0)
            z.writestr("chunk.00000000", body[:12 * 1000] + struct.pack("<HHQ", 28, 21, 0))
            z.writestr("chunk.00000001", body[12 * 1000:])
        return p
    undefined = bytearray(raw)
    struct.pack_into("<H", undefined, 12 * 1500, 99)   # record 500 of chunk 1
    thirty_two = bytearray(raw[:8]) + struct.pack("<HHI", 28, 12, 7) + raw[16:24 * 12]
    cases = [
        (write("dr-cut.trace.zip", data[:len(data) * 2 // 3], "wb"),
         r"dr-cut\.trace\.zip: damaged zip archive"),
        (write("dr-flip.trace.zip", data[:5000] + bytes(b ^ 0xa5 for b in data[5000:5100]) +
               data[5100:], "wb"),
         # garbage that inflates is refused at its first bad record, the rest
         # by inflate or at the member's CRC
         r"dr-flip\.trace\.zip: member chunk\.00000000: record \d+ \(byte \d+\): "
         r"(damaged zip member|undefined record type)"),
        (zipped("dr-partial.trace.zip", raw[:-5]),
         r"dr-partial\.trace\.zip: member chunk\.00000001: record \d+ \(byte \d+\): the "
         r"member ends inside a record"),
        (zipped("dr-undef.trace.zip", bytes(undefined)),
         r"dr-undef\.trace\.zip: member chunk\.00000001: record 500 \(byte 6000\): "
         r"undefined record type 99"),
        (write("dr-32.trace", bytes(thirty_two), "wb"),
         r"dr-32\.trace: record 0 \(byte 0\): a 32-bit trace"),
    ]
    for path, pattern in cases:
        bad_input(["trace", "info", "--format", "drmemtrace", path], pattern)
        bad_input(["run", "--quiet", "--format", "drmemtrace", path], pattern)
    bad_input(["trace", "info", path], pattern)   # detected from the content too


# ---------------------------------------------------------------- replay windows and kinds


@case
def zero_size_accesses_are_one_lookup_of_their_page():
    # By hand: pages 0, 1, 1 (0x1fff is in page 1): two L1D misses, one hit;
    # the access at address 0 must not wrap round the address space.
    t = write("zero.txt", "0 R 0 0\n0 R 1000 0\n0 W 1fff 0\n")
    st = run_stats(t, "virt=none")
    eq((st["accesses"], st["accesses.zero_size"]), (3, 3), "accesses, zero-size")
    eq((st["tlb.l1d.misses"], st["tlb.l1d.hits"]), (2, 1), "L1D misses, hits")
    eq(info_json(t)["zero_size"], 3, "trace info zero_size")
    eq(info_json(t)["pages_4k"], 2, "trace info pages")


@case
def prefetches_fill_the_tlb_but_are_not_the_programs():
    # A one-entry L1D and no L2: R A, R B (evicts A), prefetch A (a walk that
    # refills A), R A: a hit thanks to the prefetch. By hand: the program
    # has 3 lookups, 2 misses, 1 hit; the prefetch one miss and one walk.
    t = write("pf.txt", "0 R 7f0000001000 8\n0 R 7f0000002000 8\n0 P 7f0000001000 8\n"
                        "0 R 7f0000001000 8\n0 P 7f0000009000 8\n")
    tiny = ["tlb.l1d.entries=1", "tlb.l1d.ways=1", "tlb.l2.entries=0"]
    st = run_stats(t, *tiny)
    eq((st["tlb.l1d.hits"], st["tlb.l1d.misses"]), (1, 2), "program L1D hits, misses")
    eq(st["prefetches"], 2, "prefetch records")
    eq((st["prefetch.tlb_misses"], st["prefetch.walks"], st["prefetch.dropped"]), (2, 2, 1),
       "prefetch misses, walks; the one to an unmapped page dropped")
    eq(st["reads"], 3, "prefetches are not reads")
    sk = run_stats(t, "trace.prefetch=skip", *tiny)
    eq((sk["tlb.l1d.hits"], sk["tlb.l1d.misses"], sk["prefetch.walks"]), (0, 3, 0),
       "trace.prefetch=skip: the third read misses")


def window_trace(n):
    import random
    rnd = random.Random(5)
    return ["0 %s %x 8" % (rnd.choice("RRW"), 0x7f0000000000 + rnd.randrange(3 << 20))
            for _ in range(n)]


@case
def skip_limit_and_warmup_replay_exactly_their_window():
    lines = window_trace(3000)
    full = write("win.txt", "\n".join(lines) + "\n")
    part = write("win-part.txt", "\n".join(lines[1000:2000]) + "\n")
    slt = tmp("win.slt")
    run("trace", "import", "--chunk", "100", full, slt)   # seeks through the index

    def stats(t, *opts):
        out = tmp("win.json")
        run("run", "--quiet", "--json", out, *opts, t)
        return json.load(open(out))["stats"]
    want = stats(part)
    for t in (full, slt):
        got = stats(t, "--skip", "1000", "--limit", "1000")
        eq(got, want, "--skip 1000 --limit 1000 of %s vs the window alone" % os.path.basename(t))
    a = stats(slt, "--limit", "500")
    b = stats(slt, "--limit", "1500")
    c = stats(slt, "--limit", "1500", "--warmup", "500")
    gauges = ("vcpus", "tlb.l2.reach_bytes", "pt.bytes")
    for k, v in c.items():
        if isinstance(v, float):
            continue
        eq(v, b[k] if k in gauges else b[k] - a[k], "--warmup 500: " + k)
    bad_input(["run", "--warmup", "5000", full], r"--warmup 5000: the trace ends after 3000 records")
    bad_input(["run", "--skip", "3000", full], r"--skip 3000: the trace ends before record 3000")


@case
def a_decoding_thread_changes_no_statistic():
    one = run_stats(LACKEY_LS)
    two = run_stats(LACKEY_LS, "sim.threads=2")
    eq(two, one, "sim.threads=2 vs 1 on the real lackey capture")
    # The shipped .slt capture: the decoding thread counts whole 4096-record
    # runs ahead, and a window that ends inside a run (--warmup, --limit)
    # leaves the partial run to the replaying thread; the statistics must
    # not see the difference.
    xz = os.path.join(ROOT, "traces/samples/xz-compress.slt")
    # It is chunked (1 Mi records per gzip member): with the thread each
    # member is inflated whole, and --skip seeks through the index there too.
    for window in (["--limit", "300000"], ["--limit", "250003", "--warmup", "10001"],
                   ["--skip", "4095", "--limit", "100000"],
                   ["--skip", "5000000", "--limit", "2200000"]):
        got = []
        for t in ("1", "2"):
            out = tmp("threads.json")
            run("run", "--quiet", "--set", "sim.threads=" + t, "--json", out, *window, xz)
            got.append(json.load(open(out))["stats"])
        eq(got[1], got[0], "sim.threads=2 vs 1 on xz-compress.slt %s" % " ".join(window))


def gzip_members(data):
    """The compressed offsets at which the gzip members of DATA start."""
    offs, pos = [], 0
    while pos < len(data):
        offs.append(pos)
        d = zlib.decompressobj(31)
        d.decompress(data[pos:])
        pos = len(data) - len(d.unused_data)
    return offs


@case
def a_damaged_chunk_stops_either_decoding_path():
    # 409,600 records in chunks of 100,000: members for the header, 5
    # chunks, the end and index, and the trailer (FORMAT.md, chunked). With
    # sim.threads=2 each member is inflated whole (libdeflate), with 1
    # through zlib's stream; a member that does not inflate whole sends the
    # rest through the stream. One flipped byte in the middle of the fourth
    # chunk's deflate data (past the first 1 MiB window that opening the
    # file inflates), or bytes appended: both paths stop with exit 2 and the
    # same message, naming the file.
    src, good = tmp("dmg-src.slt"), tmp("dmg-good.slt")
    run("trace", "gen", "--pattern", "zipf", "--footprint", "16M", "--count", "400K",
        "--seed", "9", "-o", src)
    run("trace", "import", "--chunk", "100000", src, good)
    data = open(good, "rb").read()
    offs = gzip_members(data)
    eq(len(offs), 8, "members of a 5-chunk trace")
    a, b = offs[4], offs[5]   # the fourth chunk
    bad = bytearray(data)
    bad[(a + b) // 2] ^= 0x55
    dmg = write("dmg.slt", bytes(bad), "wb")
    eq(run_stats(good, "sim.threads=2"), run_stats(good), "the undamaged file on both paths")
    tail = write("dmg-tail.slt", data + b"\x1f\x8bjunk", "wb")
    for f, want in ((dmg, r"dmg\.slt: corrupt gzip data near compressed byte \d+"),
                    (tail, r"dmg-tail\.slt: ")):
        lines = []
        for t in ("1", "2"):
            _, err = run("run", "--quiet", "--set", "sim.threads=" + t, f, expect_rc=2)
            lines.append(err.strip().splitlines()[0])
        if not re.search(want, lines[0]):
            raise Fail("sim.threads=1: %r" % lines[0])
        eq(lines[1], lines[0], "sim.threads=2's message vs 1's")


@case
def data_cache_counts_equal_an_independent_model_on_a_real_capture():
    # cache.model=on reduced to one fully-associative LRU L1D (the issue's
    # "end-to-end case on a real capture with counts checked by an
    # independent reader"): oracle.l1d_fully_associative works out every
    # hit and miss from the hardware's rules (walk order, line sharing).
    recs = list(oracle.lackey_records(LACKEY_LS))
    pages = set()
    for _, _, gva, size in recs:
        pages.update(range(gva >> 12, ((gva + max(size, 1) - 1) >> 12) + 1))
    if len(pages) > 1024:
        raise Fail("the capture's %d pages do not fit the 1024-entry TLBs" % len(pages))
    for ways in (16, 64):
        hits, misses, walk_refs = oracle.l1d_fully_associative(recs, ways)
        st = run_stats(LACKEY_LS, "virt=none", "guest.page=base", "sim.prefault=1",
                       "tlb.l1d.entries=1024", "tlb.l1d.ways=1024", "tlb.l1i.entries=1024",
                       "tlb.l1i.ways=1024", "tlb.l2.entries=0", "walkcache.s1.entries=0",
                       "cache.model=on", "cache.l1d.sets=1", "cache.l1d.ways=%d" % ways,
                       "cache.l1i.sets=0", "cache.l2.sets=0", "cache.llc.sets=0",
                       *NO_HW_AD)   # the oracle models descriptor reads, no A/D writes
        eq(st["walk.mem_refs"], walk_refs, "descriptor reads (%d ways)" % ways)
        eq((st["cache.l1d.hits"], st["cache.l1d.misses"]), (hits, misses),
           "L1D hits, misses vs the independent model (%d ways)" % ways)
        eq(st["cache.served.mem"], misses, "memory served every miss (%d ways)" % ways)

V2P = """# a map in the shape of a Google workload trace's aux/v2p.textproto
page_size: 2097152
page_count: 2
bytes_mapped: 4194304
address_mapping {
  virtual_address: 0x7f0000000000
  physical_address: 2147483648
}
address_mapping {
  virtual_address: 0x7f0000200000
  physical_address: 0x40000000
}
"""


@case
def v2p_map_places_the_guest_pages():
    m = write("v2p.textproto", V2P)
    t = write("v2p.txt", "0 R 7f0000001000 8\n0 W 7f0000201000 8\n0 R 7f00001ff000 8\n")
    out = tmp("v2p.json")
    run("run", "--quiet", "--v2p", m, "--json", out, t)
    st = json.load(open(out))["stats"]
    # By hand: two 2 MB guest pages from the map (the third access is in the
    # first page): two guest faults, two 2 MB TLB fills (host.page=thp backs
    # them with 2 MB too), one L1D hit.
    eq((st["pages.guest"], st["fault.guest"], st["tlb.fills.2m"], st["tlb.l1d.hits"]),
       (2, 2, 2, 1), "pages, faults, 2 MB fills, hits")
    bad_input(["run", "--v2p", m, write("v2pb.txt", "0 R 7f0000401000 8\n")],
              r"v2pb\.txt: line 1: VA 0x7f0000401000 is not in the v2p map")
    bad_input(["run", "--v2p", write("v2pz.textproto", "page_size: 3000\n"), t],
              r"v2pz\.textproto:1: page_size 3000: expected one power of two")
    bad_input(["run", "--v2p", write("v2pq.textproto", "page_size: 4096\nphysical_address: 4096\n"),
               t], r"v2pq\.textproto:2: a physical_address without its virtual_address")
    bad_input(["run", "--v2p", write("v2pa.textproto", V2P.replace("0x40000000", "0x40001000")), t],
              r"v2pa\.textproto:\d+: address 0x7f0000200000 -> 0x40001000 not aligned")

# ---------------------------------------------------------------- grants and split-driver I/O
# A hand-written trace of three front-end records of 1000 instructions each;
# io.period=1000 makes one blk write request after each. arm64, 64 KB guest
# pages for both domains (the back end takes the front end's), stage 2 with a
# 4 KB granule (Xen on Arm), every walk cache and the nested TLB off. A
# back-end walk reads its 3 stage-1 entries (64 KB granule, 48 bits), each
# through a stage-2 walk of its table page - backed by a 2 MB block
# (host.page=thp), 3 references - and the final IPA through a 4-level walk
# to the 4 KB grant mapping: 3 + 3 x 3 + 4 = 16 references (3 stage 1, 13
# stage 2), 14 cycles each; an L1 DTLB miss looks in the L2 TLB (9 cycles).
IO_TRACE = """\
0 R 0x400000 8 0 1000
0 R 0x400008 8 0 1000
0 W 0x400010 8 0 1000
"""
# (NO_HW_AD: the back end's walks write no AF, so the counts below are the
# grant path's alone.)
IO_SETS = NO_HW_AD + ["arch=arm64", "guest.granule=64k", "io.mode=blk", "io.period=1000",
           "io.write_pct=100", "walkcache.s1.entries=0", "walkcache.s2.entries=0",
           "ntlb.entries=0"]


@case
def grant_io_every_count_by_hand():
    t = write("io.txt", IO_TRACE)
    # 4 KB grants, grant.pack=off. The 64 KB buffer's 16 grants are over
    # blkif's BLKIF_MAX_SEGMENTS_PER_REQUEST (11): with blkfront's 32 and
    # blkback's 256 indirect segments a request is one BLKIF_OP_INDIRECT with
    # one indirect page. Per request the front end grants the indirect page
    # (read-write) and the buffer as 16 read-only 4 KB grants (17 entry
    # writes), writes the 16 segment entries into the indirect page, the
    # request into the ring, reads the response, ends the 17 grants: 52
    # accesses. The back end reads the request, maps the indirect page (one
    # hypercall), reads the 16 entries, unmaps it (one hypercall, one chunk,
    # one flush), maps the 16 data grants 11 a call (2 hypercalls), reads
    # each 4 KB once (io.touch_stride=4K), unmaps them (one hypercall, one
    # chunk, one VMID-wide flush per unmap op: 16), writes the response: 34
    # accesses. The ring was granted and mapped at connection: one more map
    # (and hypercalls for set_version and setup_table).
    # Back-end TLB: request 1 misses its ring read, the indirect page's first
    # entry (15 hits), 16 reads and (after the flushes) the response write:
    # 19; requests 2 and 3 hit the ring entry the previous response filled:
    # 18 each; 55 misses, 47 hits. Every miss misses the flushed L2 too and
    # walks: 55 x 16 refs, each at the latency of the data-cache level that
    # served it (cache.model=on, the default: the walk caches are off here,
    # so walk.cycles is those references' alone), and every L1 TLB miss
    # looks up the L2 TLB (tlb.l2.latency 9).
    # grant.cycles: the table setup's set_version and setup_table hypercalls
    # 2 x 1400 (issue 24); ring 1400 + 1000; per request the indirect page
    # 1400 + 1000 (map), 1400 + 1000 + 2000 (unmap, flush), the data 1400 +
    # 11 x 1000 and 1400 + 5 x 1000 (maps), 1400 + 16 x 1000 (unmap), 16 x
    # 2000 (flushes of its one vCPU): 75000.
    # GPA: each map reserves a 64 KB page of the back end for a 4 KB grant:
    # 61440 bytes, 52 maps; at most the ring and 16 at once.
    st = stats_of(t, *IO_SETS)
    expect(st, {"records": 3, "io.requests": 3, "io.write_requests": 3, "io.read_requests": 0,
                "io.ring_requests": 3, "io.indirect_requests": 3, "io.indirect_grants": 3,
                "io.split_requests": 0,
                "io.grants": 51, "io.frontend_accesses": 3 * 52, "accesses": 3 + 3 * 52,
                "io.backend_accesses": 3 * 34,
                "grant.maps": 52, "grant.unmaps": 51, "grant.copies": 0,
                "grant.hypercalls": 2 + 1 + 3 * 5, "grant.unmap_chunks": 6,
                "grant.tlb_flushes": 51, "grant.stage2_entries": 52,
                "grant.gpa_waste_bytes": 52 * 61440, "grant.gpa_waste_peak_bytes": 17 * 61440,
                "grant.cycles": 2800 + 2400 + 3 * 75000, "grant.errors.general_error": 0,
                "grant.errors.no_space": 0,
                "domain.1.accesses": 102, "domain.1.tlb.l1d.misses": 55,
                "domain.1.tlb.l1d.hits": 47, "domain.1.tlb.l2.hits": 0,
                "domain.1.tlb.l2.misses": 55, "domain.1.tlb.fills.4k": 55,
                "domain.1.tlb.fills.64k": 0, "domain.1.tlb.l2.reach_bytes": 4096,
                "domain.1.walk.count": 55, "domain.1.walk.mem_refs": 55 * 16,
                "domain.1.walk.s1_refs": 55 * 3, "domain.1.walk.s2_refs": 55 * 13,
                "domain.1.fault.guest": 0, "domain.1.fault.host": 0}, "4k grants, pack=off")
    lat = {"l1": 4, "l2": 14, "llc": 55, "mem": 225}   # cache.*.latency's defaults
    eq(sum(st["domain.1.walk.refs." + l] for l in lat), 55 * 16, "references by level")
    walk = sum(st["domain.1.walk.refs." + l] * c for l, c in lat.items())
    eq(st["domain.1.walk.cycles"], walk, "walk cycles: each reference at its level's latency")
    eq(st["domain.1.cycles.translation"], 55 * 9 + walk, "translation: L2 TLB lookups and walks")
    # grant.pack=on: 16 grants share a 64 KB page of the back end, but a
    # page partly filled still wastes the rest (issue 24): the ring alone in
    # the first page (slot 0) wastes 61440; a request's indirect page takes
    # slot 1 (57344 wasted) and is unmapped; its data's first call takes
    # slots 1-11 (16384), the second 12-16 (the first page full, slot 16
    # alone in the second: 61440): 61440 + 3 x 135168; at most 61440 at
    # once. Nothing else changes.
    on = stats_of(t, *(IO_SETS + ["grant.pack=on"]))
    expect(on, {"grant.gpa_waste_bytes": 61440 + 3 * (57344 + 16384 + 61440),
                "grant.gpa_waste_peak_bytes": 61440,
                "grant.maps": 52, "grant.stage2_entries": 52, "domain.1.tlb.l1d.misses": 55},
           "pack=on")
    # grant.size=64k with the contiguous hint: one grant per buffer (and for
    # the ring), 16 stage-2 entries each with the hint; one unmap (one
    # flush) per request; the back end's 16 reads share one 64 KB TLB entry:
    # misses 3 + 2 + 2 = 7 (ring, buffer, response; then buffer, response),
    # hits 54 - 7. The front end writes 1 grant, the request, reads the
    # response, ends 1 grant: 4 per request. grant.cycles: table setup 2800,
    # ring 2400, per request 2400 (map) + 2400 (unmap) + 2000 (flush).
    big = stats_of(t, *(IO_SETS + ["grant.size=64k", "grant.cont=1"]))
    expect(big, {"io.grants": 3, "io.frontend_accesses": 12, "grant.maps": 4,
                 "grant.unmaps": 3, "grant.tlb_flushes": 3, "grant.stage2_entries": 64,
                 "grant.gpa_waste_bytes": 0, "grant.cycles": 2800 + 2400 + 3 * 6800,
                 "domain.1.tlb.l1d.misses": 7, "domain.1.tlb.l1d.hits": 47,
                 "domain.1.tlb.fills.64k": 7, "domain.1.tlb.fills.4k": 0,
                 "domain.1.walk.mem_refs": 7 * 16}, "64k grants with the hint")
    # The traced guest's own counters are the trace's (3 accesses of its
    # own, in one 64 KB page) plus the I/O model's accesses.
    eq(st["reads"] + st["writes"], 3, "the trace's records")
    # io.mode=off: no back end, no io.* or grant.* statistics.
    off = stats_of(t, *[kv for kv in IO_SETS if not kv.startswith("io.")])
    eq([k for k in off if k.startswith(("io.", "grant.", "domain."))], [], "io off adds nothing")
    bad_input(["run", "--set", "io.mode=blk", "--set", "grant.size=64k", t],
              r"grant\.size=64k: a 64 KB grant covers one 64 KB page of the front end")
    bad_input(["run", "--set", "io.mode=blk", "--set", "io.grant_mode=nope", t],
              r"bad value 'nope' for io\.grant_mode")


# ---------------------------------------------------------------- explain and logging
# The guest's layout on first touch of 0x7f0000001000 (guest RAM from GPA
# 0x40000000): its root table first (0x40000000), then the data frame
# (0x40001000), then the PDPT, PD and PT pt_map creates (0x40002000,
# 0x40003000, 0x40004000). PML4 index of the VA: 0xfe = 254.
XGVA = "7f0000001000"


def explain_out(*args):
    out, _ = run("explain", *args)
    return out


def explain_hw(*args):
    """explain with the guest creating its A/D clear (HW_AD)."""
    return explain_out(*[a for kv in HW_AD for a in ("--set", kv)], *args)


def pml_entries(out):
    return [(int(m.group(1)), int(m.group(2), 16))
            for m in re.finditer(r"PML   entry +(\d+) @pa 0x[0-9a-f]+ = 0x[0-9a-f]+  logs GPA "
                                 r"0x([0-9a-f]+)", out)]


def cost_line(out):
    m = re.findall(r"(\d+) memory references \((\d+) stage 1, (\d+) stage 2\), (\d+) "
                   r"descriptor writes? \((\d+) stage 1\), (\d+) log entr(?:y|ies), (\d+) cycles",
                   out)
    return tuple(int(x) for x in m[-1]) if m else None


@case
def explain_runs_the_configured_dirty_logging():
    # dirtylog.mode=pml, a write: logging starts before the mappings, so
    # the 2 MB host page run would split is mapped with 4 KB leaves (armed:
    # D = 0) and the walk logs what run logs - with ept.ad_gpt_write the 4
    # guest table pages in walk order, then the data page: entries 511..507.
    out = explain_hw("--set", "dirtylog.mode=pml", "--access", "w", XGVA)
    eq(pml_entries(out), [(511, 0x40000000), (510, 0x40002000), (509, 0x40003000),
                          (508, 0x40004000), (507, 0x40001000)], "PML entries")
    if "stage-2 leaf 4K," not in out:
        raise Fail("huge=split under logging maps 4 KB stage-2 leaves:\n" + out)
    # References: 4 guest reads; EPT: a cold walk of 4 for the root, then
    # one read each for the other 4 pages (the stage-2 walk cache holds
    # their PT): 8. Writes: EPT A in the 3 upper entries of the first walk
    # and A+D in each of the 5 leaves (8), the guest's A in its PML4E,
    # PDPTE, PDE and A+D in its PTE (4).
    # Cycles, with the data caches (cache.model=on, the default) cold: the
    # EPT reads touch its L4[0], L3[1] and L2[0] in three pages and then
    # the PT's entries 0..4 (GPA 0x40000000..0x40004000), all in one 64-byte
    # line: 4 lines from memory, 4 reads L1 hits; the guest's four reads
    # are in four table pages: 4 lines from memory; each A/D write is to a
    # line just read: 12 L1 hits. 8 x cache.mem.latency 225 + (4 + 12) x
    # cache.l1d.latency 4 + 5 PML entries x pml.log.cycles 14 + 4 walk-cache
    # hits x 2 = 1942.
    eq(cost_line(out), (12, 4, 8, 12, 4, 5, 8 * 225 + 16 * 4 + 5 * 14 + 4 * 2),
       "references, writes, entries, cycles")
    if "(data caches: 16 from L1, 0 L2, 0 LLC, 8 memory)" not in out:
        raise Fail("the references by the level that served them:\n" + out)
    # The flat model (cache.model=off): (12 + 12) x mem.pte_latency 14 + 5 x
    # 14 + 4 x 2 = 414.
    flat = explain_hw("--set", "dirtylog.mode=pml", "--set", "cache.model=off", "--access", "w",
                      XGVA)
    eq(cost_line(flat), (12, 4, 8, 12, 4, 5, 414), "cache.model=off: cycles")
    if "414 cycles at mem.pte_latency=14" not in flat:
        raise Fail("cache.model=off: the cost line says the latency:\n" + flat)
    # A/D writes are steps of their own, with what they changed.
    for want in ("guest L4  write [254] @pa", "hardware update: A 0->1",
                 "guest L1  write [  1] @pa", "hardware update: A 0->1, D 0->1",
                 "EPT   L1  write [  1] @pa"):
        if want not in out:
            raise Fail("no '%s' in:\n%s" % (want, out))
    # The guest presetting A/D: the same 5 entries, no guest write.
    out = explain_out("--set", "dirtylog.mode=pml", "--set", "guest.hw_accessed=0",
                      "--set", "guest.hw_dirty=0", "--access", "w", XGVA)
    eq(len(pml_entries(out)), 5, "PML entries, A/D preset")
    eq(cost_line(out)[3:6], (8, 0, 5), "writes (stage 1), entries, A/D preset")


@case
def explain_shows_each_fault_the_walk_takes_under_wp():
    # dirtylog.mode=wp, a read: every guest table page is write-protected,
    # and setting A in its entry is a write: four stage-2 faults on a
    # stage-1 table access - the PML4E (0x40000000 + 254 x 8), PDPTE, PDE,
    # and the PTE (index 1) - each handled (reported, made writable) and
    # walked again; the fifth attempt translates.
    out = explain_hw("--set", "dirtylog.mode=wp", XGVA)
    faults = re.findall(r"fault: stage 2 permission fault at level index 3, IPA 0x([0-9a-f]+) "
                        r"\(a stage-1 table access\)", out)
    eq([int(f, 16) for f in faults], [0x400007f0, 0x40002000, 0x40003000, 0x40004008],
       "write-protection faults")
    eq(len(re.findall(r"^ attempt \d+:$", out, re.M)), 5, "attempts")
    if "-> IPA/GPA 0x40001000, PA" not in out:
        raise Fail(out)


@case
def explain_after_a_trace_shows_the_harvested_state():
    # One write replayed, then its round harvested at the end (as run does):
    # the guest's A and D are all set, the EPT leaves cleaned (D = 0), the
    # PML index back at 511. The explained write logs the 4 table pages (the
    # rule) and the data page again, with no guest write: EPT D in 5 leaves.
    t = write("after1.txt", "0 W 0x7f0000001000 8\n")
    out = explain_out("--set", "dirtylog.mode=pml", "--access", "w", "--after", t, XGVA)
    if not out.startswith("after 1 record of %s (1 dirty-logging round harvested)\n" % t):
        raise Fail(out)
    eq([e[0] for e in pml_entries(out)], [511, 510, 509, 508, 507], "PML indexes")
    eq(cost_line(out)[3:6], (5, 0, 5), "writes (stage 1), entries")
    # --limit 0 is the whole trace; --limit 1 of a longer trace stops there.
    t2 = write("after2.txt", "0 W 0x7f0000001000 8\n0 R 0x7f0000005000 8\n")
    out = explain_out("--set", "dirtylog.mode=pml", "--after", t2, "--limit", "1", XGVA)
    if not out.startswith("after 1 record of "):
        raise Fail(out)
    # Arm hdbss: table descriptors have no AF, so only the leaf's AF and
    # dirty state write a table page, the PT (0x40004000): its stage-2 leaf
    # goes writable-dirty and is logged first (HDBSS counts up from 0),
    # then the data page.
    out = explain_hw("--set", "arch=arm64", "--set", "dirtylog.mode=hdbss", "--access", "w",
                     XGVA)
    got = [(int(a), int(b, 16)) for a, b in
           re.findall(r"HDBSS entry +(\d+) @pa 0x[0-9a-f]+ = 0x[0-9a-f]+  logs IPA 0x([0-9a-f]+), "
                      r"TTWL 3", out)]
    eq(got, [(0, 0x40004000), (1, 0x40001000)], "HDBSS entries")
    if "hardware update: AF 0->1, AP[2:1] 3->1, writable-clean -> writable-dirty" not in out:
        raise Fail(out)


def main():
    return CASES.main("e2e")


if __name__ == "__main__":
    sys.exit(main())
