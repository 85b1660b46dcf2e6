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


# ---------------------------------------------------------------- progress (item 4)

# One progress line: "\r\x1b[K  LABEL  P%  RATE UNIT/s  elapsed S s  ETA S s",
# redrawn in place (sim/cli/common.c cli_progress_show); without a percent
# (migrate's rounds) "\r\x1b[K  LABEL  RATE UNIT/s  elapsed S s".
FH2_LINE = (r"\r\x1b\[K  (?P<what>[^\r]*?)  +(?P<pct>\d+\.\d)%  [0-9.]+ (?:[MK] )?"
            r"(?P<unit>records|points)/s  elapsed [0-9.]+ s  ETA (?:[0-9.]+ s|-)")
FH2_NOPCT = r"\r\x1b\[K  (?P<what>[^\r]*?)  [0-9.]+ (?:[MK] )?records/s  elapsed [0-9.]+ s"


def fh2_pty(*args, stdout_pty=False, watch=None):
    """Run slatsim with standard error on a pseudo-terminal (and standard
    output too with STDOUT_PTY). Returns (rc, stdout text, stderr text);
    WATCH(line) is called with each standard-output line as it arrives
    (a pipe), with whether the process was still running then."""
    import pty as fh2_ptym
    import select as fh2_sel
    import subprocess as fh2_sp
    m, s = fh2_ptym.openpty()
    if stdout_pty:
        m2, s2 = fh2_ptym.openpty()
    p = fh2_sp.Popen([SLATSIM] + [str(a) for a in args], stdin=fh2_sp.DEVNULL,
                     stdout=s2 if stdout_pty else fh2_sp.PIPE, stderr=s)
    fh2_os.close(s)
    if stdout_pty:
        fh2_os.close(s2)
    fds = {m: b""}
    if stdout_pty:
        fds[m2] = b""
    else:
        fds[p.stdout.fileno()] = b""
    line = b""
    openfds = set(fds)
    while openfds:
        ready, _, _ = fh2_sel.select(list(openfds), [], [], 600)
        if not ready:
            p.kill()
            raise Fail("%s: no output for 600 s" % " ".join(map(str, args)))
        for fd in ready:
            try:
                d = fh2_os.read(fd, 65536)
            except OSError:
                d = b""
            if not d:
                openfds.discard(fd)
                continue
            fds[fd] += d
            if watch and not stdout_pty and fd == p.stdout.fileno():
                line += d
                while b"\n" in line:
                    one, line = line.split(b"\n", 1)
                    watch(one.decode(errors="replace"), p.poll() is None)
    rc = p.wait()
    fh2_os.close(m)
    err = fds[m].decode(errors="replace")
    no_sanitizer_report(err)
    out = (fds[m2] if stdout_pty else fds[p.stdout.fileno()]).decode(errors="replace")
    if stdout_pty:
        fh2_os.close(m2)
    return rc, out, err


def fh2_bytes(f):
    """FILE's size as the messages write it: binary units, one decimal
    unless whole (300 KiB, 1.5 MiB)."""
    x, units = float(fh2_os.path.getsize(f)), ["B", "KiB", "MiB", "GiB"]
    u = 0
    while x >= 1024 and u < 3:
        x /= 1024
        u += 1
    return ("%.0f %s" if x == int(x) else "%.1f %s") % (x, units[u])


def fh2_progress(err, label, what):
    """The progress lines of ERR whose label starts with LABEL: at least one,
    percents that never go down, and the line cleared at the end."""
    lines = [m for m in fh2_re.finditer(FH2_LINE, err) if m.group("what").startswith(label)]
    if not lines:
        raise Fail("%s: no progress line %r in %r" % (what, label, err[-800:]))
    pcts = [float(m.group("pct")) for m in lines]
    eq(pcts, sorted(pcts), "%s: percents in order" % what)
    if pcts[-1] > 100:
        raise Fail("%s: %s%%" % (what, pcts[-1]))
    # Cleared: after the last line, "\r\x1b[K" before anything else.
    rest = err[lines[-1].end():]
    eq(rest.startswith("\r\x1b[K"), True, "%s: the line is cleared after it (%r)" %
       (what, rest[:80]))
    return lines


def fh2_run_paused(trace):
    """slatsim run - with standard error on a pseudo-terminal, TRACE's bytes
    fed in two halves 0.6 s apart; its standard error."""
    import pty as fh2_ptym
    import subprocess as fh2_sp
    import threading as fh2_th
    import time as fh2_time
    data = open(trace, "rb").read()
    m, s = fh2_ptym.openpty()
    p = fh2_sp.Popen([SLATSIM, "run", "-"], stdin=fh2_sp.PIPE, stdout=fh2_sp.DEVNULL,
                     stderr=s)
    fh2_os.close(s)
    got = []

    def drain():
        while True:
            try:
                d = fh2_os.read(m, 65536)
            except OSError:
                d = b""
            if not d:
                return
            got.append(d)
    th = fh2_th.Thread(target=drain)
    th.start()
    half = len(data) // 2
    p.stdin.write(data[:half])
    p.stdin.flush()
    fh2_time.sleep(0.6)
    p.stdin.write(data[half:])
    p.stdin.close()
    rc = p.wait()
    th.join(600)
    fh2_os.close(m)
    err = b"".join(got).decode(errors="replace")
    no_sanitizer_report(err)
    eq(rc, 0, "run - on a terminal: %r" % err[-300:])
    return err


@case
def fh2_progress_on_a_terminal():
    t = path("fh2-pg.slt")
    # trace gen: the records of --count; then it says what it wrote.
    rc, out, err = fh2_pty("trace", "gen", "--pattern", "zipf", "--footprint", "64M",
                           "--count", "300K", "--vcpus", "2", "-o", t)
    eq((rc, out), (0, ""), "trace gen")
    fh2_progress(err, "trace gen", "trace gen")
    want = "slatsim: wrote 307,200 records (2 vCPUs, %s) to %s" % (fh2_bytes(t), t)
    eq(err.split("\r\x1b[K")[-1].rstrip("\r\n").replace("\r", ""), want,
       "trace gen says what it wrote")
    # trace import: the share of the input read.
    t2 = path("fh2-pg2.slt")
    rc, _, err = fh2_pty("trace", "import", t, t2)
    eq(rc, 0, "trace import")
    fh2_progress(err, "trace import", "trace import")
    eq(err.rstrip("\r\n").endswith("wrote 307,200 records (2 vCPUs, %s) to %s" % (
        fh2_bytes(t2), t2)), True, "import says it: %r" % err[-200:])
    # reach, sweep (the points of one decode, fractionally), run.
    rc, out, err = fh2_pty("reach", "--entries", "4096", t)
    eq(rc, 0, "reach")
    fh2_progress(err, "reach", "reach")
    eq("\r" in out, False, "reach: no progress on standard output")
    d = path("fh2-pgsweep")
    rc, out, err = fh2_pty("sweep", "--grid", "tlb.l2.entries=512,1024,2048", "--set",
                           "tlb.l2.ways=auto", "--out", d, t)
    eq(rc, 0, "sweep")
    lines = fh2_progress(err, "sweep: ", "sweep")
    eq(lines[0].group("what").split()[1:4], ["0", "of", "3"], "sweep counts its points")
    eq(lines[0].group("unit"), "points", "sweep's rate is in points")
    # run: its own line (replay.c), drawn at most every 0.5 s, whatever the
    # machine's speed: the trace comes through a pipe (no size, so records
    # rather than a percent), its first half written whole (the write
    # returns once the replay has read all but a pipe's 64 KiB of it), then
    # after 0.6 s the rest, 150 K records and more: the line is due at the
    # next 64 Ki-record mark.
    err = fh2_run_paused(t)
    eq(bool(fh2_re.search(r"\r +[0-9,]+ records  +[0-9.]+ M records/s  elapsed +[0-9.]+ s ",
                          err)), True, "run's progress line: %r" % err[-300:])
    # Not a terminal, or --quiet: no progress at all.
    _, _, err = run("reach", t, expect_rc=0)
    eq("\r" in err or "%" in err, False, "reach to a pipe: %r" % err[:200])
    for args in (["reach", "--quiet", t], ["trace", "gen", "--pattern", "seq", "--count",
                                           "100K", "-q", "-o", path("fh2-q.slt")],
                 ["sweep", "--quiet", "--grid", "seed=1,2", "--out", path("fh2-pgq"), t]):
        rc, out, err = fh2_pty(*args)
        eq((rc, err), (0, ""), "%s --quiet on a terminal" % args[0])


@case
def fh2_migrate_prints_its_rounds_as_they_finish():
    t = path("fh2-pgmig.slt")
    run("trace", "gen", "--pattern", "random", "--footprint", "8M", "--count", "200K",
        "--write-ratio", "0.5", "-o", t, expect_rc=0)
    seen = []
    rc, out, err = fh2_pty("migrate", "--set", "migrate.policy=legacy", t,
                           watch=lambda l, live: seen.append((l, live)))
    eq(rc, 0, "migrate")
    rows = [(l, live) for l, live in seen if fh2_re.match(r"^    (\d+|stop) ", l)]
    if len(rows) < 3:
        raise Fail("migrate: %d round rows in %r" % (len(rows), out[:1500]))
    eq(rows[0][0].split()[0], "0", "round 0 first")
    eq(rows[-1][0].split()[0], "stop", "the stop-and-copy last")
    eq(rows[0][1], True, "round 0's row arrived while the migration ran")
    # The populating pass has a percent; the rounds a count and a rate.
    fh2_progress(err, "migrate: populating", "migrate")
    eq(bool(fh2_re.search(FH2_NOPCT.replace("(?P<what>[^\\r]*?)", "migrate: round \\d+"), err)),
       True, "migrate: the rounds' progress %r" % err[-300:])
    # The rows are the --json rounds, in order (start and duration in ms).
    j = path("fh2-pgmig.json")
    run("migrate", "--quiet", "--set", "migrate.policy=legacy", "--json", j, t, expect_rc=0)
    js = fh2_json.load(open(j))["migrate"]["rounds"]
    eq(len(rows), len(js), "a row per round")
    for (l, _), r in zip(rows, js):
        f = l.split()
        eq((f[1], f[2], int(f[3].replace(",", ""))), ("%.3f" % (r["start_us"] / 1e3),
           "%.3f" % (r["duration_us"] / 1e3), r["pages_sent"]), "row %s" % f[0])


@case
def fh2_calibrate_progress_has_an_eta():
    rc, out, err = fh2_pty("calibrate", "--pages", "8,16,32,64", "--reps", "1", "--rounds", "2",
                           "--accesses", "2000", "--modes", "4k", "--set", "core.freq_ghz=2.5")
    eq(rc, 0, "calibrate")
    lines = fh2_progress(err, "calibrate: measuring", "calibrate")
    eq(lines[-1].group("unit"), "points", "calibrate counts points")


# ---------------------------------------------------------------- the report (item 5 of the issue)

def fh2_rooms(text):
    """The report's rooms: title -> {name: (value as printed, unit column)}
    (the lines after the headline, up to the replay line)."""
    rooms, room = {}, None
    for l in text.splitlines():
        if l.startswith("  ") and not l.startswith("   ") and l.strip() and \
                not l.startswith("  (") and not l.startswith("  replay") and \
                not l.startswith("  headline"):
            room = l.strip()
            rooms.setdefault(room, {})
        elif l.startswith("    ") and room is not None and not l.startswith("     "):
            f = l.split()
            rooms[room][f[0]] = (f[1], f[2] if len(f) > 2 and f[2] in
                                 ("cycles", "B", "us", "pages") else "")
    return rooms


@case
def fh2_report_prints_the_rooms_that_apply():
    j = path("fh2-rep.json")
    args = ["--set", FH2_N, "--set", "dirtylog.mode=pml", "--set", "dirtylog.period=100000"]
    _, out, _ = run("run", "--json", j, *(args + [SAMPLE]), expect_rc=0)
    st = fh2_json.load(open(j))["stats"]
    rooms = fh2_rooms(out[out.index("\n\n", out.index("headline")):])
    # By hand: each statistic's room is its name's first part (cycles.dirtylog
    # is dirty logging's); the rooms in the report's order.
    room_of = {"tlb": "TLBs", "ntlb": "TLBs", "walk": "walks", "walkcache": "walks",
               "pt": "walks", "fault": "faults", "pages": "faults", "cycles": "cycles",
               "dirtylog": "dirty logging", "pml": "dirty logging", "wp": "dirty logging",
               "hdbss": "dirty logging"}
    for name, v in st.items():
        first = name.split(".")[0]
        room = "dirty logging" if name.startswith("cycles.dirtylog") else room_of.get(first)
        shown = v != 0 or name == "dirtylog.missed_pages"
        where = [r for r in rooms if name in rooms[r]]
        if not shown:
            eq(where, [], "%s (0) is not shown" % name)
            continue
        eq(len(where), 1, "%s shown once: %r" % (name, where))
        if room:
            eq(where[0], room, "%s's room" % name)
        text = rooms[where[0]][name][0]
        want = "{:,}".format(v) if isinstance(v, int) else "%.4f" % v
        eq(text, want, "%s's value" % name)
    order = [r for r in ("trace", "TLBs", "walks", "faults", "cycles", "dirty logging")]
    eq([r for r in rooms if r in order], order, "the rooms in order")
    eq("I/O" in rooms or "migration" in rooms, False, "rooms of features that are off")
    # The data caches are on by default (cache.model, issue 23): their room is
    # shown, and not with cache.model=off.
    eq("caches" in rooms, True, "the caches' room (cache.model=on, the default)")
    _, off, _ = run("run", *(args + ["--set", "cache.model=off", SAMPLE]), expect_rc=0)
    eq("caches" in fh2_rooms(off[off.index("\n\n", off.index("headline")):]), False,
       "no caches' room with cache.model=off")
    # Units: cycles, bytes with their binary size.
    eq(rooms["cycles"]["cycles.total"][1], "cycles", "cycles.total's unit")
    pt = st["pt.bytes"]
    line = [l for l in out.splitlines() if l.split()[:1] == ["pt.bytes"]][0]
    eq(line.endswith("(%s)" % (("%d KiB" % (pt // 1024)) if pt % 1024 == 0 else
                                "%.1f KiB" % (pt / 1024))), True, "pt.bytes in KiB: %r" % line)
    zeros = sum(1 for k, v in st.items() if v == 0 and k != "dirtylog.missed_pages")
    eq("  (%d statistics that are 0 not shown: --all shows every one, --stats PATTERN those it "
       "names)" % zeros in out, True, "the count of zeros left out")
    eq("translation      %.2f%% of {:,} cycles".format(st["cycles.total"]) %
       (100.0 * st["cycles.translation"] / st["cycles.total"]) in out, True,
       "the headline's cycles with separators")
    # --all: every statistic; --stats: those named, zeros too.
    _, every, _ = run("run", "--all", *(args + [SAMPLE]), expect_rc=0)
    names = [n for r in fh2_rooms(every[every.index("\n\n", every.index("headline")):]).values()
             for n in r]
    eq(sorted(names), sorted(st), "--all shows every statistic once")
    _, some, _ = run("run", "--stats", "tlb.l2", "--stats", "*.full_exits",
                     *(args + [SAMPLE]), expect_rc=0)
    names = [n for r in fh2_rooms(some[some.index("\n\n", some.index("headline")):]).values()
             for n in r]
    eq(sorted(names), sorted(k for k in st if k.startswith("tlb.l2.") or
                             k.endswith(".full_exits")), "--stats tlb.l2 --stats '*.full_exits'")
    # --quiet: nothing but errors; the JSON the same.
    j2 = path("fh2-repq.json")
    _, out, err = run("run", "-q", "--json", j2, *(args + [SAMPLE]), expect_rc=0)
    eq((out, err), ("", ""), "run -q")
    a, b = fh2_json.load(open(j2)), fh2_json.load(open(j))
    del a["provenance"], b["provenance"]   # (the command lines differ: -q, the file)
    eq(a, b, "run -q: the same JSON")
    _, out, err = run("run", "--quiet", "--set", "nosuch=1", SAMPLE, expect_rc=2)
    eq((out, err.startswith("slatsim: --set: unknown parameter 'nosuch'")), ("", True),
       "run -q still says what is wrong")
    # A geometry set by auto is said in the headline.
    _, out, _ = run("run", "--set", FH2_N, "--set", "tlb.l2.entries=2048", "--set",
                    "tlb.l2.ways=auto", SAMPLE, expect_rc=0)
    eq("L2 2,048 entries 16-way (ways=auto)" in out, True, "the headline's geometry")


@case
def fh2_migrate_report_is_grouped_and_quiet_is_quiet():
    t = path("fh2-mq.slt")
    run("trace", "gen", "--pattern", "random", "--footprint", "2M", "--count", "20K",
        "--write-ratio", "0.5", "-q", "-o", t, expect_rc=0)
    j = path("fh2-mq.json")
    _, out, _ = run("migrate", "--json", j, t, expect_rc=0)
    st = fh2_json.load(open(j))["stats"]
    rooms = fh2_rooms(out[out.index("\n\n", out.index("guest slowdown")):])
    eq(rooms["migration"]["migrate.lost_pages"][0], "{:,}".format(st["migrate.lost_pages"]),
       "migrate.lost_pages shown (0 is a result)")
    eq(rooms["migration"]["migrate.pages_sent"][0], "{:,}".format(st["migrate.pages_sent"]),
       "pages sent")
    eq("domain 1" in rooms, True, "the control domain's room")
    _, out, err = run("migrate", "-q", "--json", path("fh2-mq2.json"), t, expect_rc=0)
    eq((out, err), ("", ""), "migrate -q")


# ---------------------------------------------------------------- consistency (item 6 of the issue)

def fh2_text_trace(name, n, seed, base=0x7f0000000000):
    """A text trace of N reads and writes over 512 pages (Python's own
    random, seeded): its lines, and the file."""
    import random as fh2_random
    rnd = fh2_random.Random(seed)
    lines = ["0 %s 0x%x 8 1" % ("W" if rnd.random() < 0.3 else "R",
                                base + rnd.randrange(512) * 4096 + rnd.randrange(512) * 8)
             for _ in range(n)]
    return lines, write(name, "\n".join(lines) + "\n")


@case
def fh2_quiet_means_nothing_but_errors_everywhere():
    t = path("fh2-qq.slt")
    rc, out, err = run("trace", "gen", "--pattern", "random", "--footprint", "2M", "--count",
                       "20K", "--write-ratio", "0.5", "-q", "-o", t, expect_rc=0)
    eq((out, err), ("", ""), "trace gen -q")
    m = path("fh2-qq.tsv")
    with open(m, "w") as f:   # (a saved chase table, as tools/modes-proof makes one)
        f.write('# chase: cpu "Synthetic CPU", pinned to CPU 0, 1 runs per point (median), '
                'seed 5\nmode\tpages\taccesses\tns_median\tns_min\tns_max\tthp_kb\n')
        for mode in ("4k", "2m", "packed"):
            f.write("# %s: arena 4096 kB (synthetic)\n" % mode)
            for n in (8, 16, 32, 64):
                f.write("%s\t%d\t1000\t2.000\t2.000\t2.000\t0\n" % (mode, n))
    for args in (["run", "-q", t], ["run", "--quiet", t], ["migrate", "-q", t],
                 ["reach", "-q", t], ["sweep", "-q", "--grid", "seed=1,2", "-o",
                                      path("fh2-qsw"), t],
                 ["trace", "import", "-q", t, path("fh2-qq2.slt")],
                 ["calibrate", "-q", "--measured", m, "--set", "core.freq_ghz=2"],
                 ["params", "-q", "tlb"], ["trace", "info", "-q", t],
                 ["explain", "-q", "7f0000001000"],
                 ["diff", "-q", path("fh2-qsw/points/0.json"), path("fh2-qsw/points/1.json")]):
        _, out, err = run(*args, expect_rc=0)
        eq((out, err), ("", ""), " ".join(args[:2]))
    eq(fh2_os.path.exists(path("fh2-qsw/results.csv")), True, "sweep -q wrote its results")


@case
def fh2_output_flags_have_one_spelling_and_keep_the_old():
    outs = []
    for flag in ("-o", "--out", "--output", "--out="):
        o = path("fh2-of%d.slt" % len(outs))
        args = ["trace", "gen", "--pattern", "seq", "--count", "1K", "-q"]
        args += [flag + o] if flag.endswith("=") else [flag, o]
        run(*args, expect_rc=0)
        outs.append(open(o, "rb").read())
    eq(len(set(outs)), 1, "trace gen -o, --out, --output write the same file")
    t = path("fh2-of0.slt")
    a, b = path("fh2-of-imp1.slt"), path("fh2-of-imp2.slt")
    run("trace", "import", "-q", t, a, expect_rc=0)
    run("trace", "import", "-q", "--desc", "x", t, "-o", b, expect_rc=0)
    run("trace", "import", "-q", "--desc", "x", "--out", a, t, expect_rc=0)
    eq(open(a, "rb").read(), open(b, "rb").read(), "import OUT and -o OUT")
    # --json FILE where a command wrote standard output: params, trace info.
    _, want, _ = run("params", "--json", "tlb.l2", expect_rc=0)
    j = path("fh2-params.json")
    _, out, _ = run("params", "--json", j, "tlb.l2", expect_rc=0)
    eq((out, open(j).read()), ("", want), "params --json FILE.json")
    _, out, _ = run("params", "--json=" + path("fh2-p.txt"), "tlb.l2", expect_rc=0)
    eq(open(path("fh2-p.txt")).read(), want, "params --json=FILE")
    _, out, _ = run("params", "--json", "-", "tlb.l2", expect_rc=0)
    eq(out, want, "params --json -")
    _, want, _ = run("trace", "info", "--json", t, expect_rc=0)
    j = path("fh2-info.json")
    _, out, _ = run("trace", "info", "--json", j, t, expect_rc=0)
    eq((out, open(j).read()), ("", want), "trace info --json FILE.json")
    # sweep: -o DIR as --out DIR.
    for flag in ("-o", "--out"):
        d = path("fh2-of-sw" + flag)
        run("sweep", "-q", "--grid", "seed=1", flag, d, t, expect_rc=0)
        eq(fh2_os.path.exists(fh2_os.path.join(d, "results.csv")), True, "sweep " + flag)


@case
def fh2_windows_on_reach_and_migrate_and_refusals():
    lines, t = fh2_text_trace("fh2-win.txt", 6000, 11)
    skip, limit = 1000, 3000
    cut = write("fh2-win-cut.txt", "\n".join(lines[skip:skip + limit]) + "\n")
    tail = write("fh2-win-tail.txt", "\n".join(lines[skip:]) + "\n")
    def reach_of(*args):
        j = path("fh2-wr.json")
        run("reach", "-q", "--entries", "1024", "--json", j, *args, expect_rc=0)
        d = fh2_json.load(open(j))
        return d["reach"], d["analysis"]
    eq(reach_of("--skip", str(skip), "--limit", str(limit), t), reach_of(cut),
       "reach --skip --limit = reach of those records")
    eq(reach_of("--skip", str(skip), t), reach_of(tail), "reach --skip = reach of the rest")
    # migrate: every pass reads the window (the populating one too).
    def mig_of(*args):
        j = path("fh2-wm.json")
        run("migrate", "-q", "--set", "migrate.policy=legacy", "--json", j, *args, expect_rc=0)
        d = fh2_json.load(open(j))
        return d["stats"], d["migrate"]
    eq(mig_of("--skip", str(skip), "--limit", str(limit), t), mig_of(cut),
       "migrate --skip --limit = migrate of those records")
    # Refusals that say why, one line and the hint.
    for cmd, opt, why in (
            ("reach", "--warmup", "reach's curves are exact from a cold TLB"),
            ("migrate", "--warmup", "the migration runs from the guest's first record")):
        args = [cmd, opt, "10", t] + (["--grid", "seed=1"] if cmd == "sweep" else [])
        _, _, err = run(*args, expect_rc=2)
        l = err.splitlines()
        eq(l[0].startswith("slatsim: %s is not an option of %s: %s" % (opt, cmd, why)), True,
           "%s %s: %r" % (cmd, opt, err))
        eq(l[1], "Try 'slatsim %s --help'." % cmd, "%s %s: the hint" % (cmd, opt))
    _, _, err = run("reach", "--skip", "6000", t, expect_rc=2)
    eq(err.splitlines()[0], "slatsim: %s: --skip 6000: the trace ends before record 6000, "
       "nothing is left to analyse" % t, "reach --skip past the end")
    # sweep --limit N is run's --limit: each point's statistics are run
    # --limit's of the same values (sim.max_records=N in its config); a
    # resume takes --set sim.max_records=N as the same sweep; --limit with
    # sim.max_records set or swept is refused, as is a changed limit.
    d = path("fh2-wsw")
    run("sweep", "-q", "--limit", "3K", "--grid", "seed=1,2", "-o", d, t, expect_rc=0)
    for n, seed in ((0, "1"), (1, "2")):
        j = path("fh2-wsw-run.json")
        run("run", "-q", "--limit", "3K", "--set", "seed=" + seed, "--json", j, t, expect_rc=0)
        want = fh2_json.load(open(j))["stats"]
        eq(want["records"], 3 * 1024, "run --limit 3K: 3,072 records")
        got = fh2_json.load(open(fh2_os.path.join(d, "points", "%d.json" % n)))
        eq((got["stats"], got["config"]["sim.max_records"]), (want, 3072),
           "sweep --limit 3K point %d = run --limit 3K" % n)
    _, out, _ = run("sweep", "-q", "--set", "sim.max_records=3072", "--grid", "seed=1,2", "-o", d,
                    t, expect_rc=0)
    for args, msg in (
            (["--limit", "3K", "--set", "sim.max_records=5"],
             "--limit 3K is sim.max_records=3072: give one or the other, not --set "
             "sim.max_records=5 too"),
            (["--limit", "3K", "--grid", "sim.max_records=5,6"],
             "--limit 3K is sim.max_records=3072: it cannot be a --grid key too")):
        _, _, err = run("sweep", "-q", *args, "--grid", "seed=1", "-o", path("fh2-wsw2"), t,
                        expect_rc=2)
        eq(err.splitlines()[0], "slatsim: " + msg, "sweep %s" % " ".join(args))
    _, _, err = run("sweep", "-q", "--limit", "3001", "--grid", "seed=1,2", "-o", d, t,
                    expect_rc=2)
    eq("sim.max_records was 3072, is 3001" in err, True, "a changed limit: %r" % err)
    # sweep --skip --warmup: each point file is run's JSON with the same
    # window (but for run's provenance), whichever way the points share the
    # decode; a resume with another window is refused; each task of --emit
    # runs it; a window past the end is run's message, for each point.
    def run_json(*args):
        j = path("fh2-wsw-run.json")
        run("run", "-q", "--json", j, *args, expect_rc=0)
        b = open(j, "rb").read()
        return b[:b.index(b',\n  "provenance": {')] + b"\n}\n"
    win = ["--skip", str(skip), "--warmup", "500"]
    for extra in ([], ["-j", "2"], ["-j", "2", "--decode", "thread"]):
        d = path("fh2-wsw%d" % len(extra))
        run("sweep", "-q", *(win + extra), "--grid", "seed=1,2", "--grid",
            "tlb.l2.entries=768,1536", "-o", d, t, expect_rc=0)
        for n, (seed, l2) in enumerate((("1", "768"), ("1", "1536"), ("2", "768"),
                                        ("2", "1536"))):
            got = open(fh2_os.path.join(d, "points", "%d.json" % n), "rb").read()
            eq(got, run_json(*win, "--set", "seed=" + seed, "--set", "tlb.l2.entries=" + l2, t),
               "sweep %s point %d = run with the window" % (" ".join(win + extra), n))
        eq(fh2_json.loads(got)["stats"]["records"], 6000 - skip - 500, "records measured")
    _, _, err = run("sweep", "-q", "--skip", str(skip), "--grid", "seed=1,2", "--grid",
                    "tlb.l2.entries=768,1536", "-o", d, t, expect_rc=2)
    eq("holds a different sweep: its --skip/--warmup window differs" in err, True,
       "a resume with another window: %r" % err)
    e = path("fh2-wsw-emit")
    run("sweep", "--emit", "slurm", *win, "--grid", "seed=1,2", "-o", e, t, expect_rc=0)
    eq(" --skip %d --warmup 500 " % skip in open(fh2_os.path.join(e, "sweep.sbatch")).read(),
       True, "the task's command line holds the window")
    eq(fh2_json.load(open(fh2_os.path.join(e, "sweep.json")))["window"],
       {"skip": skip, "warmup": 500}, "sweep.json's window")
    _, _, err = run("sweep", "-q", "--warmup", "6000", "--grid", "seed=1,2", "-o",
                    path("fh2-wsw-end"), t, expect_rc=2)
    _, _, rerr = run("run", "-q", "--warmup", "6000", t, expect_rc=2)
    want = rerr.splitlines()[0][len("slatsim: "):]
    eq(err.splitlines(), ["slatsim: point %d: %s" % (n, want) for n in (0, 1)],
       "a warm-up to the end, as run says it")


@case
def fh2_units_and_spellings():
    # guest.page=4K as --footprint 4G takes its suffix either case.
    j = path("fh2-u.json")
    run("run", "-q", "--set", FH2_N, "--set", "guest.page=2M", "--set", "host.page=4K",
        "--json", j, SAMPLE, expect_rc=0)
    cfg = fh2_json.load(open(j))["config"]
    eq((cfg["guest.page"], cfg["host.page"]), ("2m", "4k"), "enum values either case")
    # Binary suffixes, said as such: 2K records are 2,048.
    t = path("fh2-u.slt")
    _, _, err = run("trace", "gen", "--pattern", "seq", "--count", "2K", "-o", t, expect_rc=0)
    eq(err.startswith("slatsim: wrote 2,048 records"), True, "--count 2K: %r" % err)
    _, out, _ = run("trace", "gen", "--help", expect_rc=0)
    eq("Suffixes K, M, G, T are binary (powers of 1024)" in out, True, "gen --help says so")
    _, _, err = run("trace", "gen", "--pattern", "seq", "--count", "2Q", "-o", t, expect_rc=2)
    eq(err.splitlines()[0], "slatsim: --count '2Q': not a non-negative number (decimal or 0x "
       "hex; suffixes K, M, G, T: powers of 1024)", "a bad count")
    # The L2 reach of 1,536 4 KiB pages at the end of the whole capture is
    # 6 MiB (1536 x 4096 = 6,291,456 bytes: binary).
    _, out, _ = run("run", SAMPLE, expect_rc=0)
    eq("    TLB reach        6 MiB mapped by the L2 TLB at the end" in out.splitlines(), True,
       "reach in MiB")
    _, out, _ = run("reach", "--entries", "64", "--set", FH2_N, SAMPLE, expect_rc=0)
    eq("4 KiB" in out and "2 MiB" in out and " KB" not in out, True, "reach's columns: KiB")


@case
def fh2_dump_config_reads_back():
    c = write("fh2-dc.conf", "tlb.l2.entries = 2048\ntlb.l2.ways = auto\n")
    d = path("fh2-dump.conf")
    j1, j2 = path("fh2-dc1.json"), path("fh2-dc2.json")
    sets = ["--set", FH2_N, "--set", "guest.page=2M", "--set", "domains=2", "--set",
            "vcpu.domain=0,1", "--set", "domain.1.guest.page=4k"]
    run("run", "-q", "--config", c, *sets, "--dump-config", d, "--json", j1, SAMPLE,
        expect_rc=0)
    text = open(d).read().splitlines()
    assigned = [l for l in text if l and not l.startswith("#")]
    # What the file and the --set assigned, in the registry's order (scoped
    # overrides last), written as the registry writes values.
    eq(assigned, ["sim.max_records = 60000", "domains = 2", "vcpu.domain = 0,1",
                  "guest.page = 2m", "tlb.l2.entries = 2048", "tlb.l2.ways = auto",
                  "domain.1.guest.page = 4k"], "the assigned keys")
    _, js, _ = run("params", "--json", expect_rc=0)
    commented = {l[2:].split(" = ")[0]: l.split(" = ", 1)[1] for l in text
                 if l.startswith("# ") and " = " in l}
    for p in fh2_json.loads(js):
        if p["name"] not in ("sim.max_records", "domains", "vcpu.domain", "guest.page",
                             "tlb.l2.entries", "tlb.l2.ways"):
            eq(commented.get(p["name"]), p["default"], "%s commented with its default" %
               p["name"])
    run("run", "-q", "--config", d, "--json", j2, SAMPLE, expect_rc=0)
    a, b = fh2_json.load(open(j1)), fh2_json.load(open(j2))
    eq((b["config"], b["stats"]), (a["config"], a["stats"]), "--config of the dump: the same run")
    # params --dump-config: the same file, with nothing run.
    d2 = path("fh2-dump2.conf")
    _, out, _ = run("params", "--config", c, *sets, "--dump-config", d2, expect_rc=0)
    eq((out, open(d2).read()), ("", open(d).read()), "params --dump-config")
    _, out, _ = run("params", "--set", "seed=3", "--dump-config", "-", expect_rc=0)
    eq([l for l in out.splitlines() if not l.startswith("#")], ["seed = 3"], "--dump-config -")


# ---------------------------------------------------------------- conventions (item 9 of the issue)

def fh2_complete(line):
    """What the bash completion offers for LINE (the cursor at its end)."""
    import subprocess as fh2_sp
    script = path("fh2-complete.bash")
    _, out, _ = run("completion", "bash", expect_rc=0)
    with open(script, "w") as f:
        f.write(out)
    words = line.split(" ")
    prog = ("source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_slatsim\nprintf '%%s\\n' "
            "\"${COMPREPLY[@]}\"\n" % (script, " ".join("'%s'" % w for w in words),
                                        len(words) - 1))
    p = fh2_sp.run(["bash", "--norc", "-c", prog], stdout=fh2_sp.PIPE, stderr=fh2_sp.PIPE,
                   cwd=TMP)
    eq(p.stderr.decode(), "", "bash on the completion of %r" % line)
    return sorted(x for x in p.stdout.decode().split("\n") if x)


@case
def fh2_bash_completion_knows_commands_options_and_keys():
    eq(fh2_complete("slatsim ru"), ["run"], "a command")
    eq(fh2_complete("slatsim di"), ["diff"], "diff")
    eq(fh2_complete("slatsim trace g"), ["gen"], "trace's subcommand")
    eq(fh2_complete("slatsim run --se"), ["--set"], "an option of run")
    eq(fh2_complete("slatsim run --vs-"), ["--vs-config"], "--vs-config")
    eq(fh2_complete("slatsim trace gen --pat"), ["--pattern"], "an option of trace gen")
    eq(fh2_complete("slatsim run --set tlb.l2.w"), ["tlb.l2.ways="], "a key after --set")
    eq(fh2_complete("slatsim sweep --grid tlb.l2.e"), ["tlb.l2.entries="], "after --grid")
    _, js, _ = run("params", "--json", "guest.page", expect_rc=0)
    eq(fh2_complete("slatsim run --set guest.page="),
       sorted("guest.page=" + v for v in fh2_json.loads(js)[0]["choices"].split("|")),
       "an enum's values (params' choices)")
    eq(fh2_complete("slatsim run --vs tlb.l2.ways="), ["tlb.l2.ways=auto"], "ways=auto")
    # An interactive bash splits KEY=VALUE at '=' (COMP_WORDBREAKS): the words
    # are KEY, '=' and the value so far, and readline completes after the '='
    # (a hostile pass found no value ever offered there).
    eq(fh2_complete("slatsim run --set cache.llc.index ="), ["linear", "xor"],
       "bash's words KEY =: the values alone")
    eq(fh2_complete("slatsim sweep --grid cache.model = o"), ["off", "on"],
       "bash's words KEY = VALUE")
    eq(fh2_complete("slatsim run --set cache.llc.index = x"), ["xor"], "a value's start")
    eq(fh2_complete("slatsim params tlb.l1d.e"), ["tlb.l1d.entries"], "params takes keys")
    # Every option run's parser takes (run --help's usage lines) is offered.
    _, usage, _ = run("run", "--help", expect_rc=0)
    opts = set(fh2_re.findall(r"\[(--?[a-z][a-z0-9-]*)", usage[:usage.index("\n\n")]))
    got = set(fh2_complete("slatsim run -"))
    eq(sorted(opts - got), [], "run's options missing from the completion")


@case
def fh2_man_page_is_the_help_text():
    import shutil as fh2_sh
    import subprocess as fh2_sp
    if not fh2_sh.which("groff"):
        raise Skip("groff is not installed: the page is not rendered")
    page = path("fh2-slatsim.1")
    with open(page, "w") as f:
        fh2_sp.run(["python3", fh2_os.path.join(ROOT, "tools", "gen-man"), SLATSIM], stdout=f,
                   check=True)
    p = fh2_sp.run(["groff", "-man", "-Tutf8", "-ww", page], stdout=fh2_sp.PIPE,
                   stderr=fh2_sp.PIPE, env=dict(fh2_os.environ, GROFF_NO_SGR="1"))
    eq(p.stderr.decode(), "", "groff's warnings")
    text = fh2_re.sub(r".\x08", "", p.stdout.decode())
    flat = " ".join(text.replace("\u2010", "-").replace("\u2212", "-").split())
    for cmd in (["run"], ["sweep"], ["reach"], ["migrate"], ["diff"], ["plot"], ["explain"],
                ["params"], ["trace", "info"], ["trace", "import"], ["trace", "gen"],
                ["calibrate"], ["completion"]):
        _, h, _ = run(*(cmd + ["--help"]), expect_rc=0)
        eq(" ".join(h.split()) in flat, True, "slatsim %s --help is in the page" % " ".join(cmd))


@case
def fh2_json_says_where_it_came_from():
    j = path("fh2-prov.json")
    args = ["run", "-q", "--set", FH2_N, "--json", j, SAMPLE]
    run(*args, expect_rc=0)
    first = open(j, "rb").read()
    prov = fh2_json.loads(first)["provenance"]
    eq(prov["command"], [SLATSIM] + args, "the command line as given")
    u = fh2_os.uname()
    eq(prov["host"]["name"], u.nodename, "host name")
    eq(prov["host"]["system"], "%s %s %s" % (u.sysname, u.release, u.machine), "system")
    cpu = "unknown"
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            cpu = l.split(":", 1)[1].strip()
            break
    if cpu != "unknown":
        eq(prov["host"]["cpu"], cpu, "cpu")
    eq(bool(fh2_re.match(r"^(unknown|[0-9a-f]{7,40}(-dirty)?|\S+-\d+-g[0-9a-f]+(-dirty)?|"
                         r"[^\s-]+(-dirty)?)$", prov["build"])), True, "build %r" % prov["build"])
    run(*args, expect_rc=0)
    eq(open(j, "rb").read(), first, "no time in it: the same run, the same bytes")
    # reach and migrate carry it too (migrate's before "migrate", as --help lists).
    r = path("fh2-prov-r.json")
    run("reach", "-q", "--set", FH2_N, "--json", r, SAMPLE, expect_rc=0)
    d = fh2_json.load(open(r))
    eq((list(d)[-1], d["provenance"]["command"][1]), ("provenance", "reach"), "reach's")
    # tools/strip-provenance leaves the rest byte for byte (the proofs use it).
    import subprocess as fh2_sp
    s = path("fh2-prov-s.json")
    open(s, "wb").write(first)
    fh2_sp.run([fh2_os.path.join(ROOT, "tools", "strip-provenance"), s], check=True)
    want = fh2_json.loads(first)
    del want["provenance"]
    got = open(s, "rb").read()
    eq(fh2_json.loads(got), want, "strip-provenance")
    eq(got, first[:first.index(b',\n  "provenance"')] + b"\n}\n", "the other bytes kept")


@case
def fh2_make_install_puts_everything_in_place():
    import subprocess as fh2_sp
    if PLAIN != fh2_os.path.join(ROOT, "build", "slatsim"):
        raise Skip("make install installs build/: run with the tree's own build/slatsim")
    dest = path("fh2-inst")
    p = fh2_sp.run(["make", "-s", "-C", ROOT, "install", "DESTDIR=" + dest, "PREFIX=/opt/sl"],
                   stdout=fh2_sp.PIPE, stderr=fh2_sp.PIPE)
    eq(p.returncode, 0, "make install: %s" % p.stderr.decode()[-600:])
    pre = dest + "/opt/sl"
    for f in ("bin/slatsim", "libexec/slatsim/chase", "share/man/man1/slatsim.1",
              "share/bash-completion/completions/slatsim",
              "share/slatsim/configs/x86-skylake-ept.conf"):
        eq(fh2_os.path.isfile(fh2_os.path.join(pre, f)), True, "installed " + f)
    binp = fh2_os.path.join(pre, "bin", "slatsim")
    _, comp, _ = run("completion", "bash", binary=binp, expect_rc=0)
    eq(open(fh2_os.path.join(pre, "share/bash-completion/completions/slatsim")).read(), comp,
       "the installed completion is the binary's")
    # calibrate finds chase in libexec (beside the binary there is none).
    m = path("fh2-inst.tsv")
    with open(m, "w") as f:
        f.write('# chase: cpu "Synthetic CPU", pinned to CPU 0, 1 runs per point (median), '
                'seed 5\nmode\tpages\taccesses\tns_median\tns_min\tns_max\tthp_kb\n'
                '# 4k: arena 4096 kB (synthetic)\n4k\t8\t1000\t2.000\t2.000\t2.000\t0\n')
    run("calibrate", "-q", "--measured", m, "--set", "core.freq_ghz=2", binary=binp,
        expect_rc=0)


@case
def fh2_every_markdown_link_resolves():
    import subprocess as fh2_sp
    tool = fh2_os.path.join(ROOT, "tools", "check-links")
    p = fh2_sp.run([tool], stdout=fh2_sp.PIPE, stderr=fh2_sp.PIPE)
    eq((p.returncode, p.stdout.decode()), (0, ""), "the repository's links")
    # A tree with a link out of it, a missing file and a missing heading.
    d = fresh_dir("fh2-links")
    fh2_os.makedirs(fh2_os.path.join(d, "docs"))
    write("fh2-links/docs/a.md", "# A\n\n## Two words\n\n[up](../README.md#quick-path)\n")
    write("fh2-links/README.md", "# R\n\n## Quick path\n\n[a](docs/a.md#two-words) "
          "[out](../x.md) [gone](docs/b.md)\n`[code](nowhere.md)`\n\n```\n[x](y.md)\n```\n"
          "[no](docs/a.md#three)\n")
    p = fh2_sp.run([tool, "--root", d], stdout=fh2_sp.PIPE, stderr=fh2_sp.PIPE)
    eq(p.returncode, 1, "a broken tree")
    eq(p.stdout.decode().splitlines(), [
        "README.md:5: ../x.md: outside the repository",
        "README.md:5: docs/b.md: no such file",
        "README.md:11: docs/a.md#three: no heading '#three' there",
        "check-links: 3 links that do not resolve"], "what it says")


@case
def fh2_the_first_migrate_example_converges():
    # The first `slatsim migrate` command the documentation shows (README.md,
    # then docs/migration.md) stops on the policy's own rules before its
    # round cap (xc_domain_save's max_iters: 29 live passes), losing nothing.
    cmd = None
    for doc in ("README.md", fh2_os.path.join("docs", "migration.md")):
        f = fh2_os.path.join(ROOT, doc)
        if not fh2_os.path.exists(f):
            continue
        for l in open(f):
            m = fh2_re.match(r"^\$?\s*build/slatsim migrate (.*)$", l.strip())
            if m and not l.rstrip().endswith("\\"):
                cmd = m.group(1).split()
                break
        if cmd:
            break
    if not cmd:
        raise Fail("no 'build/slatsim migrate' example in README.md or docs/migration.md")
    cmd = [fh2_os.path.join(ROOT, a) if a.startswith("traces/") else a for a in cmd]
    if "TRACE" in cmd:
        raise Skip("the first example names no trace")
    j = path("fh2-first-mig.json")
    run("migrate", "-q", "--json", j, *cmd, binary=PLAIN or SLATSIM, expect_rc=0)
    d = fh2_json.load(open(j))
    st, mg = d["stats"], d["migrate"]
    eq(st["migrate.rounds"] < 29, True, "rounds %d (stop: %s)" % (st["migrate.rounds"], mg["stop"]))
    eq(mg["stop"] != "migrate.max_rounds rounds were made", True, "stopped by the cap")
    eq(st["migrate.lost_pages"], 0, "lost pages")


@case
def fh2_the_quick_path_runs_as_written():
    # README.md's Quick path (issue 29 item 3): every command of its block,
    # as written, in a directory of its own with TRACE the shipped capture
    # (--skip 1M --warmup 2M --limit 10M needs its 18.7 M records); a.conf,
    # b.conf, a.json and b.json, which the block assumes, are made first.
    import shutil as fh2_sh
    import subprocess as fh2_sp
    text = open(fh2_os.path.join(ROOT, "README.md")).read()
    m = fh2_re.search(r"\n## Quick path\n.*?\n```sh\n(.*?)\n```\n", text, fh2_re.S)
    if not m:
        raise Fail("README.md: no ```sh block under '## Quick path'")
    cmds = []
    for l in m.group(1).splitlines():
        l = fh2_re.sub(r"\s+#.*$", "", l).split()
        eq(l[0], "build/slatsim", "a Quick path line starts with build/slatsim: %r" % l)
        cmds.append(["TRACE_PATH" if a == "TRACE" else a for a in l[1:]])
    names = [c[0] for c in cmds]
    for want in ("run", "params", "diff", "sweep", "plot", "help"):
        if want not in names:
            raise Fail("the Quick path has no %r command: %r" % (want, names))
    b = PLAIN or SLATSIM
    d = fresh_dir("fh2-quick")
    write("fh2-quick/a.conf", "tlb.l2.entries = 1024\ntlb.l2.ways = 8\n")
    write("fh2-quick/b.conf", "tlb.l2.entries = 2048\ntlb.l2.ways = 16\n")
    for c, j in (("a.conf", "a.json"), ("b.conf", "b.json")):
        run("run", "-q", "--config", fh2_os.path.join(d, c), "--json", fh2_os.path.join(d, j),
            SAMPLE, expect_rc=0, binary=b)
    gnuplot = fh2_sh.which("gnuplot") is not None
    for c in cmds:
        if c[0] == "plot" and not gnuplot:
            continue   # (gnuplot draws it; make check installs it)
        argv = [b] + [SAMPLE if a == "TRACE_PATH" else a for a in c]
        p = fh2_sp.run(argv, cwd=d, stdout=fh2_sp.PIPE, stderr=fh2_sp.PIPE, timeout=600)
        no_sanitizer_report(p.stderr.decode(errors="replace"))
        eq(p.returncode, 0, "quick path: slatsim %s: %s" % (
            " ".join(c), p.stderr.decode(errors="replace")[-400:]))
        if c[0] == "run" and not p.stdout:
            raise Fail("quick path: slatsim %s printed nothing" % " ".join(c))
    # What the lines made: a JSON result, a config --config reads back, four
    # sweep points, and the chart.
    _, info, _ = run("trace", "info", "--json", SAMPLE, expect_rc=0, binary=b)
    eq(fh2_json.load(open(fh2_os.path.join(d, "out.json")))["stats"]["records"],
       fh2_json.loads(info)["records"], "out.json's records (trace info's)")
    run("run", "-q", "--config", fh2_os.path.join(d, "my.conf"), "--set", "sim.max_records=1",
        SAMPLE, expect_rc=0, binary=b)
    eq(len(fh2_os.listdir(fh2_os.path.join(d, "sw", "points"))), 4, "the sweep's points")
    if gnuplot:
        eq(open(fh2_os.path.join(d, "l2.png"), "rb").read(8), b"\x89PNG\r\n\x1a\n", "l2.png")
