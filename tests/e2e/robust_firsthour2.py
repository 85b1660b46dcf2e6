# Robust-tier cases for the first hour with slatsim, second part (issue 29
# items 1, 2, 4, 5, 6, 9): comparisons that compare (--vs several times and
# with joined keys, --vs-config, slatsim diff), the TLB geometry trap (its
# message, ways=auto), progress on a terminal, the report, the conventions.
# Run by run_robust.py in its namespace (run, eq, Fail, SAMPLE, ...).
# Expected values are worked out here by hand or from separate runs of the
# same configuration, never copied from the output under test.
import json as fh2_json
import os as fh2_os
import re as fh2_re

FH2_N = "sim.max_records=60000"   # (a prefix of the shipped capture: fast under ASan)


def fh2_stats(*sets, name="fh2.json"):
    """The statistics of one run of the capture's prefix with SETS."""
    out = path(name)
    args = ["run", "--quiet", "--json", out, "--set", FH2_N]
    for s in sets:
        args += ["--set", s]
    run(*(args + [SAMPLE]), expect_rc=0)
    with open(out) as f:
        return fh2_json.load(f)["stats"]


def fh2_table(text):
    """The rows of a --vs / diff table: name -> (A, B, B/A) as printed,
    counts without their thousands separators."""
    lines = text.splitlines()
    at = [i for i, l in enumerate(lines) if l.split()[:4] == ["statistic", "A", "B", "B/A"]]
    if len(at) != 1:
        raise Fail("no table head in %r" % text[:600])
    rows = {}
    for l in lines[at[0] + 1:]:
        f = l.split()
        if not f or f[0].startswith("("):
            continue
        rows[f[0]] = (f[1].replace(",", ""), f[2].replace(",", ""), f[3] if len(f) > 3 else "")
    return rows


def fh2_changed(text):
    """The 'B differs from A' lines: name -> (A text, B text)."""
    out = {}
    for l in text.splitlines():
        m = fh2_re.match(r"^    (\S+)  +(.*) -> (.*)$", l)
        if m:
            out[m.group(1)] = (m.group(2).strip(), m.group(3))
    return out


def fh2_check_table(rows, a, b, what):
    """Every counter non-zero in A or B is a row with both values and B/A."""
    for k in a:
        if not isinstance(a[k], int) or (a[k] == 0 and b[k] == 0):
            continue
        if k not in rows:
            raise Fail("%s: %s missing" % (what, k))
        eq((int(rows[k][0]), int(rows[k][1])), (a[k], b[k]), "%s: %s" % (what, k))
        eq(rows[k][2], "%.4f" % (b[k] / a[k]) if a[k] else "-", "%s: %s B/A" % (what, k))
    for k in rows:
        if k in a and isinstance(a[k], int) and a[k] == 0 and b[k] == 0:
            raise Fail("%s: %s is 0 in both and shown" % (what, k))


@case
def fh2_vs_several_settings_and_joined_keys():
    a = fh2_stats(name="fh2-a.json")
    # The L2 TLB at 2048 entries in 16 ways: 128 sets (2048/16, a power of two).
    b = fh2_stats("tlb.l2.entries=2048", "tlb.l2.ways=16", name="fh2-b.json")
    for vs in (["--vs", "tlb.l2.entries:tlb.l2.ways=2048:16"],
               ["--vs", "tlb.l2.entries=2048", "--vs", "tlb.l2.ways=16"],
               ["--vs=tlb.l2.ways=16", "--vs", "tlb.l2.entries=2048"]):
        j = path("fh2-vs.json")
        _, out, _ = run("run", "--set", FH2_N, "--json", j, *(vs + [SAMPLE]), expect_rc=0)
        doc = fh2_json.load(open(j))
        eq(doc[0]["stats"], a, "%s: A is the configuration" % vs)
        eq(doc[1]["stats"], b, "%s: B has both changes" % vs)
        eq(fh2_changed(out), {"tlb.l2.entries": ("1536", "2048"), "tlb.l2.ways": ("12", "16")},
           "%s: the parameters B changes" % vs)
        fh2_check_table(fh2_table(out), a, b, "run %s" % vs)
    # Malformed: keys and values that do not pair, an empty key, no '='.
    for bad, want in (("tlb.l2.entries:tlb.l2.ways=2048", "2 keys and 1 value"),
                      ("tlb.l2.entries::x=1:2:3", "an empty key"),
                      ("tlb.l2.entries", "expected key=value")):
        _, _, err = run("run", "--vs", bad, SAMPLE, expect_rc=2)
        eq(err.splitlines()[0].startswith("slatsim: --vs '%s': %s" % (bad, want)), True,
           "--vs %s: %r" % (bad, err))
    # A joined part the registry refuses is named as --set's would be.
    _, _, err = run("run", "--vs", "tlb.l2.entries:tlb.l2.ways=2048:x", SAMPLE, expect_rc=2)
    eq(err.splitlines()[0].startswith("slatsim: --vs: bad value 'x' for tlb.l2.ways"), True,
       "a bad joined value: %r" % err)


@case
def fh2_vs_config_compares_two_config_files():
    ca = write("fh2-a.conf", "# A\ntlb.l1d.entries = 32\ntlb.l1d.ways = 4\n")
    cb = write("fh2-b.conf", "tlb.l2.entries = 1024\ntlb.l2.ways = 8\n")
    # A: a.conf and the --set; B: b.conf and the same --set (a.conf's keys
    # are not B's: the defaults, 64 entries).
    a = fh2_stats("tlb.l1d.entries=32", "tlb.l1d.ways=4", "seed=7", name="fh2-ca.json")
    b = fh2_stats("tlb.l2.entries=1024", "tlb.l2.ways=8", "seed=7", name="fh2-cb.json")
    j = path("fh2-vsc.json")
    _, out, _ = run("run", "--set", FH2_N, "--set", "seed=7", "--config", ca, "--vs-config", cb,
                    "--json", j, SAMPLE, expect_rc=0)
    doc = fh2_json.load(open(j))
    eq((doc[0]["stats"], doc[1]["stats"]), (a, b), "--vs-config: A and B")
    eq(fh2_changed(out), {"tlb.l1d.entries": ("32", "64"), "tlb.l2.entries": ("1536", "1024"),
                          "tlb.l2.ways": ("12", "8")}, "--vs-config: what differs")
    fh2_check_table(fh2_table(out), a, b, "--vs-config")
    # With a --vs on top: B is b.conf, the --set, then the change.
    b2 = fh2_stats("tlb.l2.entries=1024", "tlb.l2.ways=8", "seed=7", "tlb.l1d.entries=16",
                   name="fh2-cb2.json")
    run("run", "--set", FH2_N, "--set", "seed=7", "--config", ca, "--vs-config", cb,
        "--vs", "tlb.l1d.entries=16", "--json", j, SAMPLE, expect_rc=0)
    eq(fh2_json.load(open(j))[1]["stats"], b2, "--vs-config then --vs")
    _, _, err = run("run", "--vs-config", path("fh2-none.conf"), SAMPLE, expect_rc=2)
    eq("fh2-none.conf" in err.splitlines()[0], True, "a missing --vs-config: %r" % err)


@case
def fh2_migrate_vs_takes_several_settings():
    t = path("fh2-mig.slt")
    run("trace", "gen", "--pattern", "random", "--footprint", "2M", "--count", "20K",
        "--write-ratio", "0.5", "-o", t, expect_rc=0)
    j = path("fh2-mig.json")
    _, out, _ = run("migrate", "--set", "migrate.map=per_page", "--vs", "migrate.map=batch",
                    "--vs", "migrate.map_batch:migrate.policy=64:legacy", "--json", j, t,
                    expect_rc=0)
    doc = fh2_json.load(open(j))
    eq([(d["config"]["migrate.map"], d["config"]["migrate.map_batch"]) for d in doc],
       [("per_page", doc[0]["config"]["migrate.map_batch"]), ("batch", 64)], "migrate --vs")
    eq(doc[1]["config"]["migrate.policy"], "legacy", "migrate joined --vs")
    eq(fh2_changed(out)["migrate.map"], ("per_page", "batch"), "migrate: what differs")
    fh2_check_table(fh2_table(out), doc[0]["stats"], doc[1]["stats"], "migrate --vs")


@case
def fh2_diff_prints_the_vs_table_of_two_files():
    a, b = path("fh2-da.json"), path("fh2-db.json")
    run("run", "--quiet", "--set", FH2_N, "--json", a, SAMPLE, expect_rc=0)
    run("run", "--quiet", "--set", FH2_N, "--set", "dirtylog.mode=pml", "--json", b, SAMPLE,
        expect_rc=0)
    _, out, _ = run("diff", a, b, expect_rc=0)
    da, db = fh2_json.load(open(a)), fh2_json.load(open(b))
    fh2_check_table(fh2_table(out), da["stats"], db["stats"], "diff")
    eq(fh2_changed(out), {"dirtylog.mode": ("off", "pml")}, "diff: the configurations")
    # The same table as run --vs prints for the same two configurations.
    _, vs, _ = run("run", "--set", FH2_N, "--vs", "dirtylog.mode=pml", SAMPLE, expect_rc=0)
    tail = lambda t: t[t.index("  statistic"):]
    eq(tail(out), tail(vs), "diff's table is run --vs's")
    # One file holding [A, B]; --stats keeps what it names; --all the zeros.
    j = path("fh2-dvs.json")
    run("run", "--quiet", "--set", FH2_N, "--vs", "dirtylog.mode=pml", "--json", j, SAMPLE,
        expect_rc=0)
    _, one, _ = run("diff", j, expect_rc=0)
    eq(tail(one), tail(out), "diff VS.json")
    _, some, _ = run("diff", "--stats", "pml", "--stats", "cycles.total", a, b, expect_rc=0)
    want = [k for k in da["stats"] if (k.startswith("pml.") and (da["stats"][k] or
                                                              db["stats"][k])) or
            k == "cycles.total"]
    eq(sorted(fh2_table(some)), sorted(want), "diff --stats pml --stats cycles.total")
    _, every, _ = run("diff", "--all", a, b, expect_rc=0)
    eq(sorted(fh2_table(every)), sorted(da["stats"]), "diff --all: every statistic")
    # Refusals, one line each, exit 2.
    _, _, err = run("diff", a, expect_rc=2)
    eq(err.splitlines()[0], "slatsim: %s: one file compares only when it holds [A, B] (what "
       "--vs --json writes); give A.json and B.json" % a, "diff of one result")
    _, _, err = run("diff", a, j, expect_rc=2)
    eq(err.splitlines()[0].startswith("slatsim: %s: holds 2 results" % j), True, "an array")
    conf = write("fh2-notjson.conf", "seed = 1\n")
    _, _, err = run("diff", a, conf, expect_rc=2)
    one_line(err, r"fh2-notjson\.conf: not JSON: offset 0", "not JSON")
    notres = write("fh2-notres.json", '{"trace": {}}\n')
    _, _, err = run("diff", a, notres, expect_rc=2)
    one_line(err, r"fh2-notres\.json: not a result of slatsim \(no \"stats\" object", "no stats")
    _, _, err = run("diff", a, b, a, expect_rc=2)
    eq(err.splitlines()[0].startswith("slatsim: diff compares two results"), True, "3 files")


@case
def fh2_geometry_error_says_what_works():
    # 2048 / 12 is not a whole number of sets: the ways that divide 2048 into
    # a power-of-two number of sets are 2048/2^k, those up to the key's
    # maximum of 1024 (params.c); nearest 12 by ratio: 16 (16/12 = 1.33
    # against 12/8 = 1.5).
    want = ("slatsim: tlb.l2: 2048 entries in 12 ways do not make a power-of-two number of "
            "sets; ways that do: 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024 (tlb.l2.ways=auto "
            "takes 16, the nearest to the default 12); --grid and --vs set both at once: "
            "'tlb.l2.entries:tlb.l2.ways=2048:16'")
    _, _, err = run("run", "--set", "tlb.l2.entries=2048", SAMPLE, expect_rc=2)
    eq(err, want + "\n", "run 2048 entries")
    _, _, err = run("run", "--vs", "tlb.l2.entries=2048", SAMPLE, expect_rc=2)
    eq(err, want + "\n", "run --vs 2048 entries")
    # 768 = 3 x 256: ways 3 x 2^j up to 768; the default 12 is one of them.
    _, _, err = run("run", "--set", "tlb.l2.entries=768", "--set", "tlb.l2.ways=8", SAMPLE,
                    expect_rc=2)
    eq(err.splitlines()[0].split("; ", 1)[1].split(" (")[0],
       "ways that do: 3, 6, 12, 24, 48, 96, 192, 384, 768", "768 entries")
    # 1025 is odd and above 1024: no ways at all.
    _, _, err = run("run", "--set", "tlb.l2.entries=1025", "--set", "tlb.l2.ways=auto", SAMPLE,
                    expect_rc=2)
    eq(err.splitlines()[0], "slatsim: tlb.l2.ways=auto: no associativity up to 1024 divides "
       "1025 entries into a power-of-two number of sets (tlb.l2.entries: a power of two times "
       "the ways)", "1025 entries, auto")
    # The walk caches and the nested TLB say the same for their keys.
    _, _, err = run("run", "--set", "ntlb.entries=48", SAMPLE, expect_rc=2)
    eq("ntlb.ways=auto takes 3, the nearest to the default 4" in err, True, "ntlb: %r" % err)


@case
def fh2_ways_auto_is_the_nearest_geometry():
    # By hand (entries / 2^k nearest the default by ratio): tlb.l2 (default
    # 12): 512 -> 16, 1024 -> 16, 1536 -> 12, 2048 -> 16; tlb.l1d (4): 48 -> 3;
    # tlb.l1i (8): 96 -> 6 (8/6 = 1.33 against 12/8 = 1.5); ntlb (4): 64 -> 4.
    for sets, ways in ((["tlb.l2.entries=512"], ["tlb.l2.ways=16"]),
                       (["tlb.l2.entries=2048"], ["tlb.l2.ways=16"]),
                       (["tlb.l2.entries=1536"], ["tlb.l2.ways=12"]),
                       (["tlb.l1d.entries=48"], ["tlb.l1d.ways=3"]),
                       (["tlb.l1i.entries=96"], ["tlb.l1i.ways=6"])):
        key = ways[0].split("=")[0]
        got = fh2_stats(*(sets + [key + "=auto"]), name="fh2-auto.json")
        doc = fh2_json.load(open(path("fh2-auto.json")))
        eq(doc["config"][key], "auto", "%s: the JSON config says auto" % key)
        eq(got, fh2_stats(*(sets + ways), name="fh2-expl.json"), "%s auto = %s" % (sets, ways))
    # A sweep over the sizes runs every point with auto (3 of 4 refused before).
    d = path("fh2-sweep")
    run("sweep", "--quiet", "--grid", "tlb.l2.entries=512,1024,1536,2048", "--set",
        "tlb.l2.ways=auto", "--set", FH2_N, "--out", d, SAMPLE, expect_rc=0)
    for i, e in enumerate((512, 1024, 1536, 2048)):
        pt = fh2_json.load(open(fh2_os.path.join(d, "points", "%d.json" % i)))
        w = {512: 16, 1024: 16, 1536: 12, 2048: 16}[e]
        eq(pt["stats"], fh2_stats("tlb.l2.entries=%d" % e, "tlb.l2.ways=%d" % w,
                                  name="fh2-sw.json"), "sweep point %d (%d entries)" % (i, e))
    # params shows auto in the range; a word other than auto is refused.
    _, out, _ = run("params", "tlb.l2.ways", expect_rc=0)
    eq(out.splitlines()[1].split()[-1], "1..1024|auto", "params: the range")
    _, _, err = run("run", "--set", "tlb.l2.ways=automatic", SAMPLE, expect_rc=2)
    one_line(err, r"bad value 'automatic' for tlb\.l2\.ways: expected an integer in "
             r"\[1, 1024\], or auto", "ways=automatic")
    _, _, err = run("run", "--set", "cache.l2.ways=auto", SAMPLE, expect_rc=2)
    one_line(err, r"bad value 'auto' for cache\.l2\.ways", "a cache's ways take no auto")
