#!/usr/bin/env python3
"""tests/e2e/run_calibrate.py BUILD - `slatsim calibrate` end to end, without
depending on timing: BUILD/slatsim with BUILD/chase beside it (make check runs
the ASan+UBSan build).

  - a live run on tiny points (4 sizes, 1 run each): the table, the JSON
    shape the issue fixes, knees that are measured sizes, --plot PNG and SVG
  - a saved measurement (--measured) made of synthetic curves worked out by
    hand: the knees, and --fit's TLB sizes, host.page and the latencies that
    do not depend on this machine's caches; the preset it writes is read by
    `slatsim run --config`
  - bad options refused with status 2, one line and the hint; a missing
    chase named with how to build it; an existing output kept on failure
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

B = os.path.abspath(sys.argv[1])
S = os.path.join(B, "slatsim")
FAILS = []


def run(args, **kw):
    return subprocess.run([S] + args, capture_output=True, text=True, timeout=300, **kw)


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def ok(p, what):
    check(p.returncode == 0, "%s: exit %d\n%s" % (what, p.returncode, p.stderr[-2000:]))


T = tempfile.mkdtemp(prefix="slatsim-calibrate-")
try:
    # ------------------------------------------------------------ live, tiny
    j = os.path.join(T, "live.json")
    png = os.path.join(T, "live.png")
    p = run(["calibrate", "--pages", "8,16,32,64", "--reps", "1", "--rounds", "2", "--accesses", "2000",
             "--set", "core.freq_ghz=2.5", "--json", j, "--plot", png, "--quiet"])
    ok(p, "live calibrate")
    check("knees" in p.stdout and "measured" in p.stdout, "live: no table")
    check("cache.model=on (calibrate's default" in p.stdout, "live: cache.model default not said")
    check("not measured:" in p.stdout, "live: what could not be measured is not said")
    check("core.freq_ghz as configured" in p.stdout, "live: the clock's source is not said")
    check("clock: cpu (CLOCK_THREAD_CPUTIME_ID" in p.stdout, "live: chase's clock is not said")
    d = json.load(open(j))
    for k in ("slatsim", "config", "points", "knees"):
        check(k in d, "json: no %r" % k)
    check(d["config"]["cache.model"] == "on", "json: config cache.model")
    check(d["host"]["rounds"] == 2 and d["host"]["reps"] == 1, "json: rounds and reps")
    check(d["config"]["core.freq_ghz"] == 2.5, "json: config core.freq_ghz")
    pts = d["points"]
    check([(q["guest_page"], q["pages"]) for q in pts] ==
          [(g, n) for g in ("4k", "2m") for n in (8, 16, 32, 64)], "json: points %r" % pts)
    for q in pts:
        check(isinstance(q["measured_ns"], float) and q["measured_ns"] > 0, "json: measured_ns")
        check(isinstance(q["model_ns"], float) and q["model_ns"] > 0, "json: model_ns")
    check(set(d["knees"]) >= {"measured", "model"}, "json: knees keys")
    for side in ("measured", "model"):
        check(all(k in (8, 16, 32, 64) for k in d["knees"][side]), "json: knees are sizes")
    check([c["lines"] for c in d["controls"]] == [8, 16, 32, 64], "json: packed control")
    # 8 pages of 4 KB: data in L1, every translation in the L1 TLB; the model
    # charges the L1D latency alone (4 cycles at 2.5 GHz = 1.6 ns).
    check(abs(pts[0]["model_ns"] - 4 / 2.5) < 1e-9, "model at 8 pages: %r" % pts[0])
    check(open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n", "--plot: not a PNG")

    # ------------------------------------------------------------ synthetic
    # Worked by hand (core.freq_ghz = 2, so 1 ns is 2 cycles):
    #   4k:     2 ns to 64 pages, 4 ns 96-256, 8 ns 384-3072, 30 ns from 4096
    #   2m:     2 ns to 64, 4 ns beyond (it rises where 4k does: 4 KB host pages)
    #   packed: 2 ns to 384 lines, 6 ns from 512 (the L1D's capacity)
    # Knees (above 1.5x the plateau, two points in a row): 4k 96, 384, 4096;
    # 2m 96; packed 512. 4k's 384 is within 1.5x of packed's 512: a cache knee.
    # TLB steps: 2 -> 4 between 64 and 96 crosses sqrt(8) at 64 x 1.5^0.5 =
    # 78.4 -> tlb.l1d 78 entries, fully associative; 8 -> 30 between 3072 and
    # 4096 crosses sqrt(240) half-way: 3547.2 -> 14 x 256 = 3584 (12-way
    # default, 12..23 ways). L1D latency: packed small = 2 ns = 4 cycles. L2
    # TLB: 4 ns at 96-256 pages = 8 cycles, less the L1D's 4 = 4.
    sizes = [8, 16, 32, 64, 96, 128, 192, 256, 384, 512, 1024, 2048, 3072, 4096, 6144, 8192]
    f4k = [2, 2, 2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 8, 30, 30, 30]
    f2m = [2, 2, 2, 2] + [4] * 12
    fpk = [2] * 9 + [6] * 7
    m = os.path.join(T, "synthetic.tsv")
    with open(m, "w") as f:
        f.write('# chase: cpu "Synthetic CPU (R) 9000 @ 1.00GHz", pinned to CPU 0, '
                '3 runs per point (median), seed 5\n')
        f.write("mode\tpages\taccesses\tns_median\tns_min\tns_max\tthp_kb\n")
        for mode, ys in (("4k", f4k), ("2m", f2m), ("packed", fpk)):
            f.write("# %s: arena 4096 kB (synthetic)\n" % mode)
            for n, y in zip(sizes, ys):
                f.write("%s\t%d\t1000\t%.3f\t%.3f\t%.3f\t0\n" % (mode, n, y, y * 0.9, y * 1.1))
    m4k = os.path.join(T, "only4k.tsv")
    with open(m4k, "w") as f:
        f.write("".join(l for l in open(m) if not l.startswith("packed")))
    j1, j2 = os.path.join(T, "s1.json"), os.path.join(T, "s2.json")
    preset = os.path.join(T, "host.conf")
    svg = os.path.join(T, "s.svg")
    p = run(["calibrate", "--measured", m, "--set", "core.freq_ghz=2", "--fit",
             "--preset", preset, "--json", j1, "--plot", svg])
    ok(p, "synthetic --fit")
    d = json.load(open(j1))
    check(d["knees"]["measured"] == [96, 384, 4096], "synthetic knees: %r" % d["knees"])
    kb = d["knees_by_curve"]
    check(kb["2m"]["measured"] == [96] and kb["packed"]["measured"] == [512],
          "synthetic knees by curve: %r" % kb)
    fit = d["fit"]["values"]
    want = {"tlb.l1d.entries": "78", "tlb.l1d.ways": "78", "tlb.l2.entries": "3584",
            "tlb.l2.ways": "14", "host.page": "4k", "cache.l1d.latency": "4",
            "tlb.l2.latency": "4"}
    for k, v in want.items():
        check(fit.get(k) == v, "fit %s = %r, want %s" % (k, fit.get(k), v))
    check(d["host"]["seed"] == 5, "seed from the file's header")
    text = open(preset).read()
    check("tlb.l2.entries = 3584    # 4k curve: second TLB step" in text,
          "preset does not say where tlb.l2.entries came from:\n" + text)
    check("core.freq_ghz = 2    # core.freq_ghz as configured" in text, "preset clock")
    check(open(svg).read(200).lstrip().startswith("<?xml") or "<svg" in open(svg).read(400),
          "--plot: not an SVG")
    # Deterministic: the same file gives the same bytes.
    p2 = run(["calibrate", "--measured", m, "--set", "core.freq_ghz=2", "--json", j2])
    ok(p2, "synthetic again")
    a, b = json.load(open(j1)), json.load(open(j2))
    a.pop("fit")
    check([q["model_ns"] for q in a["points"]] == [q["model_ns"] for q in b["points"]],
          "model differs between two runs")
    # The preset is a configuration `run` takes, and it changes the model.
    tr = os.path.join(T, "t.txt")
    subprocess.run([os.path.join(B, "chase"), "--trace", tr, "--modes", "4k", "--pages",
                    "100", "--laps", "2"], check=True)
    r = run(["run", "--config", preset, "--quiet", "--json", os.path.join(T, "r.json"), tr])
    ok(r, "run --config preset")
    rc = json.load(open(os.path.join(T, "r.json")))["config"]
    check(rc["tlb.l1d.entries"] == 78 and rc["tlb.l2.entries"] == 3584 and
          rc["host.page"] == "4k" and rc["cache.model"] == "on", "preset not applied: %r" % rc)
    # The default preset name: host-<cpu>.conf in the current directory (not
    # sim/configs/, which may not exist there, or hold a shipped preset), the
    # CPU the measurement names (chase's /proc/cpuinfo "model name"), lower
    # case, "(R)" and "@ clock" dropped.
    cwd = os.path.join(T, "cwd")
    os.makedirs(os.path.join(cwd, "sim", "configs"))
    fit = ["calibrate", "--measured", m, "--set", "core.freq_ghz=2", "--fit", "--quiet"]
    p = run(fit, cwd=cwd)
    ok(p, "default preset path")
    made = sorted(os.listdir(cwd))
    check(made == ["host-synthetic-cpu-9000.conf", "sim"], "default preset name: %r" % made)
    check(os.listdir(os.path.join(cwd, "sim", "configs")) == [], "wrote under sim/configs")
    # An existing preset is not replaced without --force: exit 2, one line, untouched.
    hp = os.path.join(cwd, "host-synthetic-cpu-9000.conf")
    open(hp, "w").write("precious\n")
    p = run(fit, cwd=cwd)
    check(p.returncode == 2 and p.stderr == "slatsim: host-synthetic-cpu-9000.conf exists: "
          "--fit does not replace a preset without --force (or name another with "
          "--preset FILE)\n", "existing preset: %d %r" % (p.returncode, p.stderr))
    check(open(hp).read() == "precious\n", "existing preset replaced without --force")
    p = run(fit + ["--force"], cwd=cwd)
    ok(p, "--fit --force")
    check(open(hp).read().startswith("# host-synthetic-cpu-9000.conf - written by"),
          "--force did not replace the preset")
    p = run(["calibrate", "--measured", m, "--force"])
    check(p.returncode == 2 and p.stderr.startswith("slatsim: --force lets --fit replace an "
          "existing preset: give --fit\n"), "--force without --fit: %r" % p.stderr)

    # ------------------------------------------------------------ refusals
    keep = os.path.join(T, "keep.json")
    open(keep, "w").write("precious\n")
    bad = [
        ["--modes", "4m"], ["--pages", "1"], ["--pages", "70000"], ["--pages", "8,,16"],
        ["--reps", "0"], ["--rounds", "0"], ["--plot", os.path.join(T, "x.pdf")],
        ["stray"], ["--bogus"], ["--preset", "x.conf"], ["--measured", m, "--pages", "8"],
        ["--measured", m, "--seed", "3"], ["--clock", "x"], ["--measured", m, "--clock", "cpu"], ["--fit", "--set", "cache.model=off"],
        ["--set", "nosuch.key=1"], ["--set", "core.freq_ghz=-1"],
        ["--measured", os.path.join(T, "absent.tsv")], ["--measured", png, "--json", keep],
        ["--measured", m, "--json", T], ["--fit", "--modes", "4k,2m"],
        ["--measured", m4k, "--fit", "--preset", os.path.join(T, "p.conf")],
    ]
    for args in bad:
        p = run(["calibrate"] + args)
        lines = [l for l in p.stderr.splitlines() if l]
        check(p.returncode == 2, "%r: exit %d (%s)" % (args, p.returncode, p.stderr))
        check(1 <= len(lines) <= 2 and lines[0].startswith("slatsim: ") and
              (len(lines) == 1 or lines[1] == "Try 'slatsim calibrate --help'."),
              "%r: not one line (+ hint): %r" % (args, p.stderr))
    check(open(keep).read() == "precious\n", "a failed run changed an existing --json")
    for args in (["--modes", "4m"], ["stray"], ["--reps", "0"]):
        p = run(["calibrate"] + args)
        check(p.stderr.endswith("Try 'slatsim calibrate --help'.\n"), "%r: no hint" % args)
    # chase missing: slatsim alone in a directory.
    lone = os.path.join(T, "lone")
    os.makedirs(lone)
    shutil.copy(S, lone)
    p = subprocess.run([os.path.join(lone, "slatsim"), "calibrate", "--measured", m],
                       capture_output=True, text=True)
    check(p.returncode == 1 and "make build/chase" in p.stderr and
          len(p.stderr.splitlines()) == 1, "missing chase: %d %r" % (p.returncode, p.stderr))
    p = run(["calibrate", "--help"])
    check(p.returncode == 0 and "--fit" in p.stdout, "calibrate --help")
finally:
    shutil.rmtree(T)

if FAILS:
    print("calibrate e2e: %d failure(s)" % len(FAILS))
    sys.exit(1)
print("calibrate e2e: ok")
