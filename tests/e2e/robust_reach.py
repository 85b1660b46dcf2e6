# Robust-tier cases for reach, run's measured window and migrate --json
# (issue 21, the second hostile pass). Run by run_robust.py in its namespace
# (run, path, write, one_line, eq, Fail, Skip, SLATSIM, ROOT...).
#
# What they hold the commands to:
#   - reach honours every key it accepts exactly as run does, or refuses it
#     by name: its combined curve at k entries is run's L1 miss count with
#     that L1 a k-entry LRU TLB (fully associative, or S sets of w ways),
#     with sim.max_records, prefetch records under trace.prefetch=translate
#     and skip, sim.prefault, zero-size accesses at page boundaries, two
#     vCPUs and ASIDs, native and nested, 4K/16K/2M entries; a key it cannot
#     follow (dirty logging, the I/O model, a prefetch when the entry size
#     varies) and a record run refuses (a VA that is not canonical, a full
#     guest-physical space) are refused, one line naming them;
#   - run refuses a window that leaves nothing to measure, as a warm-up
#     past the end is, naming the flag and the trace's length;
#   - migrate --json has every field its --help promises.
# Expected values are run's own counts for the same configuration (the
# machine, not reach), or worked out by hand in the case.
import random as rr_random

RR_DRM = os.path.join(ROOT, "tests/data/drmemtrace/echo-gzip/trace")


def rr_sets(kv):
    out = []
    for s in kv:
        out += ["--set", s]
    return out


def rr_reach(trace, kv, *extra):
    out = path("rr-reach.json")
    run("reach", "--json", out, "--entries", "64", *(list(extra) + rr_sets(kv) + [trace]),
        expect_rc=0)
    with open(out) as f:
        return json.load(f)


def rr_run(trace, kv, entries, ways):
    """run's statistics with the L1s LRU TLBs of ENTRIES entries, WAYS ways, L2 off."""
    out = path("rr-run.json")
    lru = ["tlb.l2.entries=0"]
    for l1 in ("tlb.l1d", "tlb.l1i"):
        lru += ["%s.entries=%d" % (l1, entries), "%s.ways=%d" % (l1, ways), "%s.policy=lru" % l1]
    run("run", "--quiet", "--json", out, *(rr_sets(list(kv) + lru) + [trace]), expect_rc=0)
    with open(out) as f:
        return json.load(f)["stats"]


def rr_equal_run(trace, kv, ks=(1, 2, 3, 5, 8, 64), sets=0):
    """reach's combined curves against run at every K (and S sets of 1..4 ways)."""
    doc = rr_reach(trace, kv, *(["--sets", str(sets), "--ways", "4"] if sets else []))
    what = "%s %s" % (os.path.basename(trace), " ".join(kv) or "(defaults)")
    for k in ks:
        st = rr_run(trace, kv, k, k)
        for s, l1 in (("d", "l1d"), ("i", "l1i")):
            eq(doc["reach"][s]["combined"]["misses"][k - 1], st["tlb.%s.misses" % l1],
               "%s: %s misses at %d entries, reach vs run" % (what, s, k))
    st = rr_run(trace, kv, 64, 64)
    eq(doc["reach"]["d"]["combined"]["lookups"], st["tlb.l1d.lookups"], what + ": data lookups")
    eq(doc["analysis"]["records"], st["records"], what + ": records")
    eq(doc["analysis"]["prefetches"], st["prefetches"], what + ": prefetches")
    for w in range(1, 5 if sets else 1):
        st = rr_run(trace, kv, sets * w, w)
        for s, l1 in (("d", "l1d"), ("i", "l1i")):
            eq(doc["reach"][s]["combined"]["set_misses"][w - 1], st["tlb.%s.misses" % l1],
               "%s: %s misses of %d sets x %d ways" % (what, s, sets, w))
    return doc


def rr_trace(seed, n=500):
    """Two vCPUs, two ASIDs, the global half (touched under both ASIDs),
    prefetches of every flavour (of pages mapped by the other vCPU, never
    touched, of the other ASID, already cached), zero-size accesses (page-
    aligned ones too) and crossings of a 4K page."""
    r = rr_random.Random(seed)
    lines = []
    for _ in range(n):
        v, asid = r.randrange(2), r.randrange(2)
        base = r.choice([0x10000, 0x7f0000000000, 0x200000, 0xffffffff80000000])
        off = r.randrange(6 << 21) if r.random() < 0.3 else r.randrange(40 << 12)
        if r.random() < 0.1:
            off &= ~0xfff   # a page boundary
        u = r.random()
        kind = r.choice(["P", "PW", "PI"]) if u < 0.2 else "X" if u < 0.4 else \
            "R" if u < 0.7 else "W"
        size = r.choice([0, 0, 1, 8, 64, 4096])
        if kind in ("X", "PI"):
            size = min(size, 15)
        lines.append("%d %s 0x%x %d %d" % (v, kind, base + off, size, asid))
    return write("rr-mix-%d.txt" % seed, "\n".join(lines) + "\n")


# A hand-worked prefetch trace (virt=none: 4K entries, vCPU 0):
#   data:  1 2 [P3: not mapped, dropped] 3 [P1: fill] 4 1 [PW2: fill] 2
#          5(asid 3) [P5 asid 0: not mapped] [P5 asid 3: fill] 6 5
#   instr: X400 [PI401: dropped] [PI400: fill] X401
# One entry: 1m 2m 3m (1) 4m 1m (2) 2h 5m (5) 6m 5m = 8 of 9 lookups miss;
# two: 1m 2m 3m (1:[1,3]) 4m [4,1] 1h (2:[2,1]) 2h 5m (5) 6m [6,5] 5h = 6.
# Without the fills (skip): 1m 2m 3m 4m 1m 2m 5m 6m 5m = 9; two entries: 5h,
# 8. Instructions: 2 misses either way.
RR_PF = """0 R 0x1000 8
0 R 0x2000 8
0 P 0x3000 8
0 R 0x3000 8
0 P 0x1000 8
0 R 0x4000 8
0 R 0x1000 8
0 PW 0x2000 64
0 R 0x2000 8
0 X 0x400000 4
0 PI 0x401000 4
0 PI 0x400000 4
0 X 0x401000 4
0 R 0x5000 8 3
0 P 0x5000 8
0 P 0x5000 8 3
0 R 0x6000 8 3
0 R 0x5000 8 3
"""


@case
def rr_prefetch_fills_by_hand():
    t = write("rr-pf.txt", RR_PF)
    doc = rr_equal_run(t, ["virt=none"], ks=(1, 2))
    c = doc["reach"]["d"]["combined"]
    eq((c["lookups"], c["misses"][0], c["misses"][1]), (9, 8, 6), "data lookups, misses at 1, 2")
    eq(doc["reach"]["i"]["combined"]["misses"][:2], [2, 2], "instruction misses at 1, 2")
    eq(doc["analysis"]["prefetches"], 7, "prefetch records")
    # skip: counted only - then the curves are those without the fills.
    doc = rr_equal_run(t, ["virt=none", "trace.prefetch=skip"], ks=(1, 2))
    eq(doc["reach"]["d"]["combined"]["misses"][:2], [9, 8], "skip: data misses at 1, 2")


@case
def rr_reach_equals_run_for_every_key_it_accepts():
    # The class: each key reach accepts changes its curves as it changes
    # run's counts. Two mixed traces over natively and nested 4K, 2M over
    # 2M, 2M over 4K (splintered to 4K entries), arm64 16K, 1G, and the
    # keys sim.max_records, sim.prefault, trace.prefetch=skip, domain.0.*.
    configs = [[], ["virt=none"], ["guest.page=2m", "host.page=2m"],
               ["guest.page=2m", "host.page=4k"],
               ["arch=arm64", "guest.granule=16k", "host.granule=16k"],
               ["guest.page=1g", "host.page=1g"], ["sim.max_records=300"],
               ["sim.prefault=1"], ["sim.prefault=1", "guest.page=2m", "host.page=4k"],
               ["trace.prefetch=skip", "guest.page=thp"],
               ["domain.0.guest.page=2m", "domain.0.host.page=2m"]]
    for seed in (1, 2):
        t = rr_trace(seed)
        for kv in configs:
            rr_equal_run(t, kv, ks=(1, 3, 8, 64))
    # Set-associative arrays, with prefetches and the record limit.
    rr_equal_run(rr_trace(3), ["sim.max_records=400"], ks=(2,), sets=4)


@case
def rr_reach_record_limit_on_a_real_capture():
    # The DynamoRIO capture of /bin/echo (zero-size accesses included): at
    # sim.max_records=50000 reach stops where run stops.
    doc = rr_equal_run(RR_DRM, ["sim.max_records=50000"], ks=(1, 16, 64))
    eq(doc["analysis"]["records"], 50000, "records analysed")


@case
def rr_reach_reads_no_record_past_max_records():
    # run reads no record past sim.max_records, so a bad line after it is
    # not an error; reach the same (it used to read, and refuse, the whole
    # trace).
    t = write("rr-limit.txt", "0 R 0x1000 8\n0 R 0x2000 8\nnot a record\n")
    _, _, err = run("run", "--quiet", "--set", "sim.max_records=2", t, expect_rc=0)
    doc = rr_reach(t, ["sim.max_records=2"])
    eq(doc["analysis"]["records"], 2, "records analysed")
    eq(doc["config"]["sim.max_records"], 2, "the limit in the config")
    _, _, err = run("reach", t, expect_rc=2)
    one_line(err, r"rr-limit\.txt: line 3:", "past the limit: the bad line")


@case
def rr_reach_zero_size_page_aligned_is_one_lookup():
    # FORMAT.md: a zero-size access is one lookup of the page of its
    # address. By hand at 4K: pages 1 2 1 3 1 = 5 lookups, 3 pages; at one
    # entry 5 misses, at two 3 (both later 1s at distance 2). reach used
    # to look up the page before each too (10 lookups).
    t = write("rr-zero.txt", "0 R 0x1000 0\n0 W 0x2000 0\n0 R 0x1000 0\n0 R 0x3000 0\n"
              "0 R 0x1000 0\n")
    doc = rr_equal_run(t, ["virt=none"], ks=(1, 2, 3))
    c = doc["reach"]["d"]["4k"]
    eq((c["lookups"], c["pages"], c["misses"][0], c["misses"][1]), (5, 3, 5, 3),
       "lookups, pages, misses at 1 and 2 entries")
    # An instruction fetch of size 0 at a boundary, and nested.
    t = write("rr-zero-x.txt", "0 X 0x400000 0\n0 X 0x401000 0\n0 X 0x400000 0\n")
    doc = rr_equal_run(t, [], ks=(1, 2))
    eq(doc["reach"]["i"]["4k"]["lookups"], 3, "instruction lookups")


@case
def rr_reach_refuses_what_it_cannot_follow_by_name():
    t = write("rr-small.txt", "0 R 0x1000 8\n0 P 0x2000 8\n0 R 0x2000 8\n")
    for kv, pat in ((["dirtylog.mode=pml"], r"^slatsim: dirtylog\.mode=pml: reach takes "
                     r"dirtylog\.mode=off"),
                    (["io.mode=blk"], r"^slatsim: io\.mode=blk: reach takes io\.mode=off"),
                    (["domains=2", "domain.1.dirtylog.mode=wp"],
                     r"^slatsim: domain\.1\.dirtylog\.mode=wp: reach takes")):
        _, _, err = run("reach", *(rr_sets(kv) + [t]), expect_rc=2)
        one_line(err, pat, "reach " + " ".join(kv))
    # From a config file: its name and line.
    conf = write("rr-dl.conf", "# logging on\ndirtylog.mode = wp\n")
    _, _, err = run("reach", "--config", conf, t, expect_rc=2)
    one_line(err, r"^slatsim: .*rr-dl\.conf:2: dirtylog\.mode=wp: reach takes", "from a file")
    # A prefetch under translate when the entry size varies: the record
    # and both keys.
    _, _, err = run("reach", "--set", "guest.page=thp", t, expect_rc=2)
    one_line(err, r"rr-small\.txt: line 2: a prefetch record under trace\.prefetch=translate.*"
             r"\(guest\.page=thp\).*trace\.prefetch=skip", "prefetch, thp")
    run("reach", "--set", "guest.page=thp", "--set", "trace.prefetch=skip", t, expect_rc=0)
    # A VA run refuses: the same line and words as run's.
    for text, va in (("0 R 0x1000 8\n0 R 0x900000000000 8\n", "0x900000000000"),
                     ("0 R 0x1000 8\n0 W 0x7ffffffffff8 16\n", "0x800000000000")):
        t = write("rr-va.txt", text)
        _, _, run_err = run("run", "--quiet", t, expect_rc=2)
        for kv in ([], ["guest.page=thp"]):
            _, _, err = run("reach", *(rr_sets(kv) + [t]), expect_rc=2)
            one_line(err, r"rr-va\.txt: line 2: VA %s is not canonical" % va, "reach " + va)
            eq(err, run_err, "reach's refusal is run's")
    # A guest-physical space that runs out (arm64, 32-bit IPA: 4 GB of 2M
    # pages is 2048 of them, less the guest's page tables) stops run at the
    # record that needs one page too many; reach at the same record.
    t = write("rr-full.txt", "".join("0 R 0x%x 8\n" % (0x10000000000 + i * (2 << 20))
                                     for i in range(2100)))
    full = ["arch=arm64", "host.ipa_bits=32", "guest.page=2m", "host.page=2m"]
    for kv in (full, full[:2] + ["guest.page=thp"]):
        _, _, run_err = run("run", "--quiet", *(rr_sets(kv) + [t]), expect_rc=2)
        one_line(run_err, r"rr-full\.txt: line \d+: guest-physical space exhausted", "run, full")
        _, _, err = run("reach", *(rr_sets(kv) + [t]), expect_rc=2)
        eq(err, run_err, "reach's refusal of a full guest-physical space is run's")


@case
def rr_run_refuses_a_window_that_leaves_nothing_to_measure():
    t = write("rr-w3.txt", "0 R 0x1000 8\n0 R 0x2000 8\n0 R 0x3000 8\n")
    slt = path("rr-w3.slt")
    run("trace", "import", t, slt, expect_rc=0)
    binaries = [(SLATSIM, ["run"])]
    sc = os.path.join(os.path.dirname(SLATSIM), "slatsim-sc")
    if os.path.exists(sc):
        binaries.append((sc, []))   # run's arguments, through the same cli_run
    for b, cmd in binaries:
        for tr in (t, slt):
            name = re.escape(os.path.basename(tr))
            for args, pat in (
                    (["--warmup", "3"], name + r": --warmup 3: the trace ends after 3 records, "
                     r"with the warm-up window: nothing is left to measure"),
                    (["--skip", "2", "--warmup", "1"], name + r": --warmup 1: the trace ends "
                     r"after 3 records \(--skip 2, then the warm-up\)"),
                    (["--warmup", "4"], name + r": --warmup 4: the trace ends after 3 records, "
                     r"inside the warm-up window"),
                    (["--warmup", "2", "--set", "sim.max_records=2"],
                     r"sim\.max_records=2: --warmup 2 leaves nothing of it to count")):
                _, out, err = run(*(cmd + ["--quiet"] + args + [tr]), expect_rc=2, binary=b)
                one_line(err, pat, "%s run %s" % (os.path.basename(b), " ".join(args)))
                eq(out, "", "no report on a refused window")
            # One record left to measure: a run, counting it.
            js = path("rr-w.json")
            run(*(cmd + ["--quiet", "--json", js, "--skip", "1", "--warmup", "1", tr]),
                expect_rc=0, binary=b)
            with open(js) as f:
                eq(json.load(f)["stats"]["records"], 1, "the record after the warm-up")


@case
def rr_migrate_json_has_every_field_help_promises():
    _, helptext, _ = run("migrate", "--help", expect_rc=0)
    flat = " ".join(helptext.split())
    m = re.search(r'--json FILE writes \{(.*?)\}\} ', flat)
    if not m:
        raise Fail("migrate --help: no --json description")
    top, _, inner = m.group(1).partition('"migrate": {')
    want_top = re.findall(r'"([a-z_]+)"', top) + ["migrate"]
    want_migrate = re.findall(r'"([a-z_]+)"', inner)
    eq("loops" in want_migrate, True, "--help promises loops")
    # A 3-record trace is shorter than the migration: replayed from its
    # start (migrate.loop on) - every pass whole, so the guest ran
    # (loops + 1) x 3 records at most and more than loops x 3.
    t = write("rr-mig.txt", "0 R 0x7f0000001000 8 0 1000\n0 W 0x7f0000002000 8 0 1000\n"
              "0 W 0x7f0000003000 8 0 1000\n")
    js = path("rr-mig.json")
    run("migrate", "--quiet", "--json", js, t, expect_rc=0)
    with open(js) as f:
        d = json.load(f)
    eq(list(d.keys()), want_top, "top-level keys as --help lists them")
    eq(list(d["migrate"].keys()), want_migrate, "\"migrate\" keys as --help lists them")
    loops, n = d["migrate"]["loops"], d["migrate"]["trace_records"]
    eq(n, 3, "trace_records")
    eq(loops >= 1 and loops * n < d["stats"]["records"] <= (loops + 1) * n, True,
       "loops %d against %d records replayed" % (loops, d["stats"]["records"]))
    eq(loops, d["stats"]["migrate.loops"], "loops is migrate.loops")
    # --vs: both documents have it; migrate.loop=0 makes none.
    run("migrate", "--quiet", "--json", js, "--vs", "migrate.loop=0", t, expect_rc=0)
    with open(js) as f:
        a, b = json.load(f)
    eq((a["migrate"]["loops"], b["migrate"]["loops"]), (loops, 0), "loops of A and B")
    eq(list(b["migrate"].keys()), want_migrate, "B's \"migrate\" keys")
