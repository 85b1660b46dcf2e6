#!/usr/bin/env python3
"""End-to-end cases of design-space exploration: reach, sweep, the run
headline, plot.

usage: run_dse.py PATH/TO/slatsim

Expectations come from direct `slatsim run` simulation of each configuration
(reach must equal it count for count: Mattson's inclusion property), from the
independent oracle (tests/e2e/oracle.py), or are worked out by hand in the
case's comment; none is copied from the output of the command under test.
Helpers (run, eq, tmp, ...) are run_e2e.py's.
"""
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402
import run_e2e as e  # noqa: E402
from run_e2e import Fail, eq, run, tmp, write, bad_input  # noqa: E402
from harness import Cases  # noqa: E402

ROOT = e.ROOT
LACKEY_LS = e.LACKEY_LS
XZ = os.path.join(ROOT, "traces/samples/xz-compress.slt")
CASES = Cases()
case = CASES.case


def reach_json(trace, *args):
    out = tmp("reach.json")
    run("reach", "--json", out, *(list(args) + [trace]))
    return json.load(open(out))


# Configurations of `run` whose only TLB is a fully-associative LRU L1 of K
# entries per stream (L2 off) over guest pages of one size, native (the TLB
# entry is the guest page).
PAGE_CONFIGS = {
    "4k": ["virt=none"],
    "16k": ["arch=arm64", "virt=none", "guest.granule=16k"],
    "64k": ["arch=arm64", "virt=none", "guest.granule=64k"],
    "2m": ["virt=none", "guest.page=2m"],
}


def fa_lru(k):
    return ["tlb.l2.entries=0", "tlb.l1d.entries=%d" % k, "tlb.l1d.ways=%d" % k,
            "tlb.l1d.policy=lru", "tlb.l1i.entries=%d" % k, "tlb.l1i.ways=%d" % k,
            "tlb.l1i.policy=lru"]


def compare_with_run(trace, doc, size, sets, entries, name=None):
    for k in entries:
        st = e.run_stats(trace, *(sets + fa_lru(k)))
        for stream, lvl in (("d", "l1d"), ("i", "l1i")):
            c = doc["reach"][stream][name or size]
            eq(c["misses"][k - 1], st["tlb.%s.misses" % lvl],
               "%s %s %s misses at %d entries vs run" % (os.path.basename(trace), stream,
                                                          name or size, k))
        eq(doc["reach"]["d"][name or size]["lookups"], st["tlb.l1d.lookups"],
           "data lookups at %s" % size)
        eq(doc["reach"]["i"][name or size]["lookups"],
           st["tlb.l1i.hits"] + st["tlb.l1i.misses"], "instruction lookups at %s" % size)


@case
def reach_equals_run_count_for_count_on_real_captures():
    # Mattson et al. 1970: LRU is a stack algorithm, so one pass gives the
    # misses of every size; each is checked against a replay of that size.
    plan = [(LACKEY_LS, (1, 2, 7, 48, 256, 1024)), (XZ, (1, 64, 1024))]
    for trace, entries in plan:
        doc = reach_json(trace)
        for size, sets in PAGE_CONFIGS.items():
            compare_with_run(trace, doc, size, sets, entries)


@case
def reach_combined_size_read_from_the_configuration():
    # guest.page=thp: the entry size varies (2M where the region was empty
    # at the first fault, else 4K); reach replays the configuration to learn
    # each translation's size, and its combined curve equals run's TLB.
    sets = ["guest.page=thp"]
    doc = reach_json(LACKEY_LS, *sum((["--set", s] for s in sets), []))
    eq(doc["analysis"]["combined_page_bytes"], 0, "thp: the combined size varies")
    compare_with_run(LACKEY_LS, doc, "thp", sets, (1, 16, 200), name="combined")
    # A 2M guest page over 4K host pages is a 4K entry (splintering).
    doc = reach_json(LACKEY_LS, "--set", "guest.page=2m", "--set", "host.page=4k")
    eq(doc["analysis"]["combined_page_bytes"], 4096, "2m over 4k")
    eq(doc["reach"]["d"]["combined"]["misses"], doc["reach"]["d"]["4k"]["misses"],
       "combined = 4k curve")


REACH_TEXT = """# vcpu kind gva size [asid]
0 R 0x1000 8
0 R 0x2000 8
0 R 0x1ffc 8        # crosses: pages 1 then 2
0 R 0x1000 8 5      # asid 5: another page than asid 0's
0 R 0x1000 8
0 X 0x400000 4
0 R 0xffffffff80001000 8 1   # upper half: global, one entry for every asid
0 R 0xffffffff80001000 8 2
"""


@case
def reach_text_trace_against_the_oracle():
    path = write("reach.txt", REACH_TEXT)
    doc = reach_json(path, "--entries", "8")
    # 4K data lookups, by hand: 1, 2, 1, 2, (5:1), 1, K, K (K the global
    # kernel page) = 8 lookups over 4 keys; oracle LRU per size.
    seq = [("u", 0, 1), ("u", 0, 2), ("u", 0, 1), ("u", 0, 2), ("u", 5, 1), ("u", 0, 1),
           ("k", 0, 0xffffffff80001), ("k", 0, 0xffffffff80001)]
    want = [oracle.lru_misses(seq, k) for k in range(1, 9)]
    eq(want, [7, 5, 4, 4, 4, 4, 4, 4], "oracle sequence (hand check)")
    c = doc["reach"]["d"]["4k"]
    eq(c["misses"], want, "4k data misses")
    eq((c["accesses"], c["lookups"], c["pages"]), (7, 8, 4), "accesses, lookups, pages")
    eq(c["reach_bytes"][:5], [4096, 8192, 12288, 16384, 16384], "reach at the end")
    eq(doc["reach"]["i"]["4k"]["misses"], [1] * 8, "one fetch")
    eq(list(doc.keys()), ["slatsim", "trace", "config", "reach", "analysis", "provenance"],
       "top-level keys")
    eq(list(doc["reach"].keys()), ["d", "i"], "streams")
    eq(list(doc["reach"]["d"].keys()), ["4k", "16k", "64k", "2m", "combined"], "sizes")
    eq(doc["analysis"]["exact"], True, "no invalidation: exact")
    # Working set of 4K data pages per window of 2 lookups: {1,2} {1,2}
    # {1(5),1} {K} = 2 + 2 + 2 + 1 over 4 windows: 1.75.
    ws = c["working_set"]
    eq(ws["window"][1], 2, "window 2")
    eq(ws["pages_x1000"][1], 1750, "mean distinct pages per window of 2")


@case
def reach_sets_equal_run_set_associative():
    # Per-set stack distances (Hill and Smith 1989): S sets of w ways.
    doc = reach_json(LACKEY_LS, "--sets", "16", "--ways", "4", "--entries", "64")
    for w in (1, 2, 4):
        st = e.run_stats(LACKEY_LS, "virt=none", "tlb.l2.entries=0",
                         "tlb.l1d.entries=%d" % (16 * w), "tlb.l1d.ways=%d" % w,
                         "tlb.l1d.policy=lru")
        eq(doc["reach"]["d"]["4k"]["set_misses"][w - 1], st["tlb.l1d.misses"],
           "16 sets x %d ways" % w)


@case
def reach_refuses_bad_options_by_name():
    bad_input(["reach", "--entries", "0", LACKEY_LS], r"--entries 0")
    bad_input(["reach", "--sets", "3", LACKEY_LS], r"--sets 3: a power of two")
    bad_input(["reach", "--set", "guest.page=3k", LACKEY_LS], r"guest\.page")
    bad_input(["reach", "--plot", tmp("x.pdf"), LACKEY_LS], r"--plot .*\.png or \.svg")
    bad_input(["reach", write("bad.txt", "0 Q 0x1000 8\n")], r"bad\.txt.*line 1")


# ---------------------------------------------------------------- sweep

SWEEP_GRID = ["--grid", "tlb.l2.entries=768,1536", "--grid", "guest.page=4k,2m"]
SWEEP_SETS = ["--set", "walkcache.s1.entries=16"]


def sweep_traces():
    small = tmp("sw-small.slt")
    if not os.path.exists(small):
        run("trace", "gen", "--pattern", "zipf", "--footprint", "64M", "--count", "50K",
            "--seed", "4", "-o", small)
    return [LACKEY_LS, small]


def files_of(d):
    out = {}
    for root, _, names in os.walk(d):
        for n in names:
            p = os.path.join(root, n)
            out[os.path.relpath(p, d)] = open(p, "rb").read()
    return out


@case
def sweep_points_are_byte_identical_to_run_json():
    traces = sweep_traces()
    d = tmp("sw1")
    run("sweep", "--quiet", "--out", d, *(SWEEP_GRID + SWEEP_SETS + traces))
    # Points: traces outermost, then the first grid, then the second.
    n = 0
    for t in traces:
        for l2 in ("768", "1536"):
            for gp in ("4k", "2m"):
                want = tmp("sw-run.json")
                run("run", "--quiet", "--set", "walkcache.s1.entries=16",
                    "--set", "tlb.l2.entries=" + l2, "--set", "guest.page=" + gp,
                    "--json", want, t)
                got = open(os.path.join(d, "points", "%d.json" % n), "rb").read()
                # (run's provenance, its last member, is not a point's: issue 29)
                w = open(want, "rb").read()
                w = w[:w.index(b',\n  "provenance": {')] + b"\n}\n"
                eq(got, w, "point %d (%s, %s, %s) vs run --json" %
                   (n, os.path.basename(t), l2, gp))
                n += 1
    # results: one row per point, the swept values, every statistic.
    res = json.load(open(os.path.join(d, "results.json")))
    eq(len(res), 8, "rows")
    for row in res:
        pt = json.load(open(os.path.join(d, "points", "%d.json" % row["point"])))
        eq({k: v for k, v in row["stats"].items() if k not in DERIVED}, pt["stats"],
           "row %d stats" % row["point"])
        eq(row["trace"], pt["trace"]["path"], "row trace")
        eq(row["params"]["tlb.l2.entries"], str(pt["config"]["tlb.l2.entries"]), "row param")
    lines = open(os.path.join(d, "results.csv")).read().splitlines()
    eq(len(lines), 9, "csv lines")
    head = lines[0].split(",")
    eq(head[:4], ["point", "trace", "tlb.l2.entries", "guest.page"], "csv head")
    cells = lines[4].split(",")
    eq(cells[:4], ["3", LACKEY_LS, "1536", "2m"], "csv row 3")
    eq(int(cells[head.index("tlb.l2.misses")]), res[3]["stats"]["tlb.l2.misses"], "csv value")


# The derived columns (issue 25), each after the raw counts, by its
# definition: misses (walks, cycles) per 1,000 (1) instructions; translation
# cycles over all cycles.
DERIVED = {
    "mpki.l1i": ("tlb.l1i.misses", "instructions", 1000, "tlb.l1i.entries"),
    "mpki.l1d": ("tlb.l1d.misses", "instructions", 1000, "tlb.l1d.entries"),
    "mpki.l2": ("tlb.l2.misses", "instructions", 1000, "tlb.l2.entries"),
    "walks.pki": ("walk.count", "instructions", 1000, None),
    "translation.cpi": ("cycles.translation", "instructions", 1, None),
    "translation.share": ("cycles.translation", "cycles.total", 1, None),
}


@case
def sweep_results_have_derived_columns_after_the_raw_counts():
    # Worked from each point file's own statistics (what run --json wrote):
    # e.g. a point with 1,234 L2 misses over 617,000 instructions has
    # mpki.l2 = 1234 * 1000 / 617000 = 2.0. A TLB level with no entries
    # (tlb.l2.entries=0) has no mpki.l2 - an empty cell, no JSON member - as
    # the run headline says "(absent)"; so does a point of no instructions.
    d = tmp("sw-derived")
    shutil.rmtree(d, ignore_errors=True)
    empty = write("sw-derived-loads.txt", "0 R 1000 8\n0 W 2000 8\n")   # (no fetch: 0 instructions)
    run("sweep", "--quiet", "--out", d, "--grid", "tlb.l2.entries=0,1536",
        "--grid", "guest.page=4k,2m", LACKEY_LS, empty)
    lines = open(os.path.join(d, "results.csv")).read().splitlines()
    head = lines[0].split(",")
    eq(head[-6:], list(DERIVED), "the last columns")
    res = json.load(open(os.path.join(d, "results.json")))
    eq(len(res), 8, "rows")
    seen = 0
    for row in res:
        pt = json.load(open(os.path.join(d, "points", "%d.json" % row["point"])))
        st, cfg = pt["stats"], pt["config"]
        cells = lines[1 + row["point"]].split(",")
        eq(len(cells), len(head), "cells of row %d" % row["point"])
        for name, (num, den, level, entries) in DERIVED.items():
            want = None
            if st[den] and (entries is None or cfg[entries]):
                want = st[num] * level / st[den]
            eq(row["stats"].get(name), want, "%s of point %d" % (name, row["point"]))
            cell = cells[head.index(name)]
            eq(float(cell) if cell else None, want, "%s cell of point %d" % (name, row["point"]))
            seen += want is not None
        present = [k for k in DERIVED if k in row["stats"]]
        eq(list(row["stats"])[len(pt["stats"]):], present, "after the raw counts, point %d" %
           row["point"])
    # The capture's 4 points have all 6 but mpki.l2 where the L2 has no
    # entries (2 points); the loads' 4 points (no instructions, some
    # cycles) only translation.share: 4 x 6 - 2 + 4.
    eq(seen, 26, "derived values present")
    eq(res[4]["stats"].get("mpki.l1d"), None, "a trace of no instructions has no MPKI")


@case
def linked_grid_keys_vary_together():
    # tlb.l2.entries:tlb.l2.ways is one axis of 3 (not 3 x 3), crossed with
    # guest.page: 6 points, each byte for byte what run --json writes with
    # both keys set; the table has a column per key; plot sweep draws a line
    # per guest.page (the ways follow x) - its SVG legend names no ways.
    d = tmp("sw-linked")
    shutil.rmtree(d, ignore_errors=True)
    axis = [("0x300", "6"), ("1536", "12"), ("2048", "16")]   # (0x300: 768, as results write it)
    run("sweep", "--quiet", "--out", d, "--grid",
        "tlb.l2.entries:tlb.l2.ways=" + ",".join(e + ":" + w for e, w in axis),
        "--grid", "guest.page=4k,2m", LACKEY_LS)
    n = 0
    for e_, w in axis:
        for gp in ("4k", "2m"):
            want = tmp("sw-linked-run.json")
            run("run", "--quiet", "--set", "tlb.l2.entries=" + e_, "--set", "tlb.l2.ways=" + w,
                "--set", "guest.page=" + gp, "--json", want, LACKEY_LS)
            # (run's provenance, its last member, is not a point's: issue 29)
            w_ = open(want, "rb").read()
            w_ = w_[:w_.index(b',\n  "provenance": {')] + b"\n}\n"
            eq(open(os.path.join(d, "points", "%d.json" % n), "rb").read(),
               w_, "linked point %d (%s:%s, %s)" % (n, e_, w, gp))
            n += 1
    eq(sorted(os.listdir(os.path.join(d, "points"))), ["%d.json" % i for i in range(6)],
       "points of a 3-value linked axis by 2 pages")
    head = open(os.path.join(d, "results.csv")).readline().rstrip("\n").split(",")
    eq(head[:5], ["point", "trace", "tlb.l2.entries", "tlb.l2.ways", "guest.page"], "csv head")
    res = json.load(open(os.path.join(d, "results.json")))
    eq(res[3]["params"], {"tlb.l2.entries": "1536", "tlb.l2.ways": "12", "guest.page": "2m"},
       "row 3 params")
    eq(res[0]["params"]["tlb.l2.entries"], "768", "a value typed 0x300, in the results")
    if have_gnuplot():
        svg = tmp("sw-linked.svg")
        run("plot", "sweep", d, "--stat", "tlb.l2.misses", "-o", svg)
        text = open(svg).read()
        if "guest.page=4k" not in text or "tlb.l2.ways" in text:
            raise Fail("plot sweep of a linked axis: a line per guest.page, none per ways")
    bad_input(["sweep", "--out", tmp("sw-bad"), "--grid", "tlb.l2.entries:tlb.l2.ways=768:6,1536",
               LACKEY_LS], r"the value '1536' has 1 part for 2 keys")
    bad_input(["sweep", "--out", tmp("sw-bad"), "--grid", "tlb.l2.entries:tlb.l2.ways=768:6",
               "--grid", "tlb.l2.ways=4", LACKEY_LS], r"--grid tlb\.l2\.ways given twice")
    bad_input(["sweep", "--out", tmp("sw-bad"), "--grid", "tlb.l2.entries:tlb.l2.wyas=768:6",
               LACKEY_LS], r"tlb\.l2\.wyas")


@case
def sweep_threads_and_decode_modes_give_the_same_files():
    traces = sweep_traces()
    ref = files_of(tmp("sw1")) if os.path.isdir(tmp("sw1")) else None
    # (--batch 3: 4 points of a trace in batches of 3 and 1, each its own
    # decode and machines; --batch 1: a decode per point)
    for j, dec, batch in (("2", "shared", "16"), ("3", "thread", "16"), ("2", "thread", "16"),
                          ("2", "shared", "3"), ("1", "shared", "1")):
        d = tmp("sw-j%s-%s-b%s" % (j, dec, batch))
        run("sweep", "--quiet", "-j", j, "--decode", dec, "--batch", batch, "--out", d,
            *(SWEEP_GRID + SWEEP_SETS + traces))
        got = files_of(d)
        if ref is None:
            ref = got
        eq(sorted(got), sorted(ref), "files with -j %s --decode %s --batch %s" % (j, dec, batch))
        for k in ref:
            eq(got[k], ref[k], "%s with -j %s --decode %s --batch %s" % (k, j, dec, batch))


@case
def sweep_resumes_and_refuses_another_sweep_in_its_directory():
    traces = sweep_traces()
    d = tmp("sw-resume")
    args = ["sweep", "--out", d] + SWEEP_GRID + SWEEP_SETS + traces
    run(*args)
    before = files_of(d)
    os.unlink(os.path.join(d, "points", "5.json"))
    os.unlink(os.path.join(d, "results.csv"))
    out, _ = run(*args)
    if "1 point run, 7 finished before" not in out:
        raise Fail("resume did not skip the finished points: %r" % out)
    eq(files_of(d), before, "a resumed sweep's files")
    bad_input(["sweep", "--out", d, "--grid", "tlb.l2.entries=768,3072"] + traces,
              r"sweep\.json: holds a different sweep")
    bad_input(["sweep", "--out", tmp("sw-bad"), "--grid", "tlb.l2.entries=768,100",
               traces[0]], r"tlb\.l2\.entries")
    bad_input(["sweep", "--out", tmp("sw-bad"), "--grid", "guest.pgae=4k", traces[0]],
              r"guest\.pgae")
    bad_input(["sweep", "--out", tmp("sw-bad"), "--grid", "guest.page=4k",
               tmp("no-such.slt")], r"no-such\.slt")


@case
def sweep_refuses_every_bad_point_before_writing_anything():
    # x86 has no 64 KB page, and 512 entries in the L2 TLB's 12 ways make no
    # whole number of sets: points 0 (512, 4k), 1 (512, 64k) and 3 (1536,
    # 64k) are refused, point 2 (1536, 4k) is not. Nothing is written, so the
    # corrected command line can use the same --out (a sweep.json left by the
    # refused one made it "a different sweep").
    d = tmp("sw-refused")
    shutil.rmtree(d, ignore_errors=True)
    _, err = run("sweep", "--out", d, "--grid", "tlb.l2.entries=512,1536", "--grid",
                 "guest.page=4k,64k", LACKEY_LS, expect_rc=2)
    lines = err.strip().splitlines()
    eq([re.match(r"slatsim: point (\d+) ", ln).group(1) for ln in lines[:-1]],
       ["0", "1", "3"], "the refused points")
    for ln, want in zip(lines, (r"tlb\.l2\.entries=512 guest\.page=4k\): tlb\.l2: 512 entries",
                                r"guest\.page=64k\): guest\.page=64k is not",
                                r"tlb\.l2\.entries=1536 guest\.page=64k\)")):
        if not re.search(want, ln):
            raise Fail("%r does not match %r" % (ln, want))
    if not re.search(r"3 of 4 points refused; nothing was run or written", lines[-1]):
        raise Fail("last line: %r" % lines[-1])
    eq(os.path.exists(d), False, "the --out directory of a refused sweep exists")
    out, _ = run("sweep", "--quiet", "--out", d, "--grid", "tlb.l2.entries=768,1536",
                 LACKEY_LS)
    eq(sorted(os.listdir(os.path.join(d, "points"))), ["0.json", "1.json"],
       "the corrected sweep's points")


@case
def sweep_emitted_jobs_collect_to_the_local_table():
    # The cluster path without a cluster: each line of the GNU parallel job
    # list is run here, then --collect; the table equals a local sweep's.
    # Issue 25: a line per task of --per-task 3 consecutive points (8 points:
    # 0-2, 3-5, 6-7; the middle one spans both traces), each with --batch 3
    # (one decode of each trace it holds); by default the 8 points are one
    # task (tasks of a local batch, 16).
    traces = sweep_traces()
    d = tmp("sw-emit")
    shutil.rmtree(d, ignore_errors=True)
    out, _ = run("sweep", "--emit", "gnu-parallel", "--per-task", "3", "--out", d,
                 *(SWEEP_GRID + SWEEP_SETS + traces))
    if "8 points in 3 tasks of 3 points" not in out:
        raise Fail("emit's summary: %r" % out)
    jobs = open(os.path.join(d, "jobs.txt")).read().splitlines()
    eq([re.search(r"--point (\S+)", j).group(1) for j in jobs], ["0-2", "3-5", "6-7"],
       "the tasks' points")
    eq(all(" --batch 3 " in j for j in jobs), True, "each task one batch")
    bad_input(["sweep", "--collect", d], r"8 of 8 points have no result")
    for line in jobs:
        p = subprocess.run(["sh", "-c", line], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if p.returncode != 0 or b"Sanitizer" in p.stderr:
            raise Fail("job %r: exit %d\n%s" % (line, p.returncode, p.stderr.decode()))
    run("sweep", "--collect", d)
    ref = tmp("sw1")
    if not os.path.isdir(ref):
        run("sweep", "--quiet", "--out", ref, *(SWEEP_GRID + SWEEP_SETS + traces))
    for name in ["results.csv", "results.json", "sweep.json"] + \
            ["points/%d.json" % i for i in range(8)]:
        eq(open(os.path.join(d, name), "rb").read(), open(os.path.join(ref, name), "rb").read(),
           "collected %s vs a local sweep" % name)
    run("sweep", "--emit", "slurm", "--out", d, *(SWEEP_GRID + SWEEP_SETS + traces))
    sb = open(os.path.join(d, "sweep.sbatch")).read()
    for want in ("#SBATCH --array=0-0\n", "lo=$((t * 8)); hi=$((lo + 7))",
                 "--batch 8 ", "--point \"$lo-$hi\"", "--out '%s'" % d):
        if want not in sb:
            raise Fail("sweep.sbatch lacks %r:\n%s" % (want, sb))


@case
def sweep_grid_ranges_are_their_lists():
    # Issue 25: 16..128:x2 is 16, 32, 64, 128 and 256..1024+256 is 256, 512,
    # 768, 1024 (by hand). A range and the list it stands for are one sweep:
    # the same manifest, so a sweep typed with the range resumes one typed
    # with the list, and its points are those of the list. Ranges mix with
    # values; a range of linked keys varies with the other's; a bad range is
    # refused naming it, before anything is written.
    traces = sweep_traces()
    d = tmp("sw-range")
    shutil.rmtree(d, ignore_errors=True)
    run("sweep", "--emit", "gnu-parallel", "--out", d, "--set", "tlb.l2.ways=4",
        "--grid", "tlb.l2.entries=16..128:x2", "--grid", "sim.max_records=256..1024+256",
        traces[1])
    man = json.load(open(os.path.join(d, "sweep.json")))
    eq([g["values"] for g in man["grid"]], [["16", "32", "64", "128"],
                                            ["256", "512", "768", "1024"]], "expanded grids")
    eq(len(man["points"]), 16, "4 x 4 points")
    lst = tmp("sw-range-list")
    shutil.rmtree(lst, ignore_errors=True)
    run("sweep", "--quiet", "--out", lst, "--set", "tlb.l2.ways=4",
        "--grid", "tlb.l2.entries=8,16,32,64,1024", "--grid", "guest.page=4k,2m", traces[1])
    # Typed as values and ranges mixed: nothing to run, every point is there.
    out, _ = run("sweep", "--out", lst, "--set", "tlb.l2.ways=4",
                 "--grid", "tlb.l2.entries=8,16..64:x2,1K..1K+1", "--grid", "guest.page=4k,2m",
                 traces[1])
    if "0 points run, 10 finished before" not in out:
        raise Fail("a sweep typed with ranges did not resume the one typed as a list: %r" % out)
    d2 = tmp("sw-range-linked")
    shutil.rmtree(d2, ignore_errors=True)
    run("sweep", "--emit", "gnu-parallel", "--out", d2, "--grid",
        "tlb.l2.entries:tlb.l2.ways=512..2048:x2:4..16:x2,3K..6K+3K:12", traces[1])
    eq(json.load(open(os.path.join(d2, "sweep.json")))["grid"][0]["values"],
       ["512:4", "1024:8", "2048:16", "3072:12", "6144:12"], "linked ranges")
    bad = tmp("sw-range-bad")
    shutil.rmtree(bad, ignore_errors=True)
    for grid, msg in (("tlb.l2.entries=256..1000+256",
                       r"--grid tlb\.l2\.entries: the range '256\.\.1000\+256' does not "
                       r"reach 1000: its values stop at 768"),
                      ("tlb.l2.entries=128..16:x2", r"the range '128\.\.16:x2' runs down"),
                      ("tlb.l2.entries=16..128:x1", r"the range '16\.\.128:x1' has a factor"),
                      ("tlb.l2.entries=1..300", r"the range '1\.\.300' has 300 values"),
                      ("tlb.l2.entries=0.5..2", r"the range '0\.5\.\.2': expected A\.\.B"),
                      ("tlb.l2.entries:tlb.l2.ways=512..2048:x2:4..8:x2",
                       r"its ranges have 3 and 2 values")):
        bad_input(["sweep", "--out", bad, "--grid", grid, traces[1]], msg)
        eq(os.path.exists(bad), False, "the --out directory after a refused range")


@case
def resumed_sweep_refuses_an_edited_config_file_or_trace():
    # A resume reuses finished points only for the very configuration and
    # trace they were made from: sweep.json keeps the effective base
    # configuration and each trace's fingerprint (size, modification time,
    # content hash of every file read); the refusal names what changed.
    conf = write("sw-edit.conf", "tlb.l1d.entries = 64\n")
    trace = tmp("sw-edit.slt")
    run("trace", "gen", "--pattern", "zipf", "--count", "5K", "--seed", "9", "-o", trace)
    out = tmp("sw-edit")
    args = ["sweep", "--quiet", "--config", conf, "--grid", "tlb.l2.entries=768,1536",
            "--out", out, trace]
    run(*args)
    first = open(os.path.join(out, "points", "1.json"), "rb").read()
    text, _ = run(*[x for x in args if x != "--quiet"])
    if "0 points run, 2 finished before" not in text:
        raise Fail("an unchanged resume reran points: %r" % text)
    write("sw-edit.conf", "tlb.l1d.entries = 32\n")
    bad_input(args, r"sw-edit/sweep\.json: holds a different sweep: its configuration differs "
              r".*: tlb\.l1d\.entries was 64, is 32;")
    write("sw-edit.conf", "tlb.l1d.entries = 64\n")
    run(*args)
    st = os.stat(trace)
    os.utime(trace, ns=(st.st_atime_ns, st.st_mtime_ns + 1000000000))
    bad_input(args, r"holds a different sweep: .*sw-edit\.slt: changed since the sweep began "
              r"\(its modification time\)")
    eq(open(os.path.join(out, "points", "1.json"), "rb").read(), first,
       "a refused resume leaves the finished points as they were")


@case
def sweep_interrupted_leaves_no_half_file():
    import signal
    import time
    d = tmp("sw-int")
    p = subprocess.Popen([e.SLATSIM, "sweep", "--quiet", "--out", d, "--grid",
                          "tlb.l2.entries=768,1536,3072,6144", "--grid", "guest.page=4k,2m", XZ],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=120)[1].decode()
    if "Sanitizer" in err:
        raise Fail(err)
    eq(p.returncode, 130, "SIGINT exit status")
    names = sorted(files_of(d))
    eq([n for n in names if "slatsim-" in n], [], "temporaries left")
    for n in names:
        if n.startswith("points/"):
            json.loads(open(os.path.join(d, n)).read())   # complete, or absent


# ---------------------------------------------------------------- run headline


@case
def run_headline_is_computed_from_the_statistics():
    j = tmp("hl.json")
    out, _ = run("run", "--json", j, "--set", "dirtylog.mode=pml",
                 "--set", "dirtylog.period=200000", LACKEY_LS)
    st = json.load(open(j))["stats"]
    ki = st["instructions"] / 1000.0
    want = "L1I %.3f, L1D %.3f, L2 %.3f" % (st["tlb.l1i.misses"] / ki,
                                            st["tlb.l1d.misses"] / ki, st["tlb.l2.misses"] / ki)
    if want not in out:
        raise Fail("headline lacks %r:\n%s" % (want, out[:1500]))
    walks = "%.3f per 1000 instructions, %.2f memory references per walk" % (
        st["walk.count"] / ki, st["walk.mem_refs"] / st["walk.count"])
    # (counts with thousands separators: issue 29)
    trans = "%.2f%% of {:,} cycles".format(st["cycles.total"]) % (
        100.0 * st["cycles.translation"] / st["cycles.total"])
    dl = "%.2f%% of cycles; {:,} pages written, {:,} missed, {:,} extra over %d rounds".format(
        st["dirtylog.true_pages"], st["dirtylog.missed_pages"], st["dirtylog.extra_pages"]) % (
        100.0 * st["cycles.dirtylog"] / st["cycles.total"], st["dirtylog.rounds"])
    # Logging maps 4 KB pages only (dirtylog.huge=split): the stage-2 faults
    # it caused are its cycles, and the headline says their share.
    if not st["dirtylog.s2_faults"]:
        raise Fail("no stage-2 fault of logging's: the case tests nothing of them")
    eq(st["cycles.dirtylog.s2_faults"], st["dirtylog.s2_faults"] * 7500, "fault.host.cycles each")
    s2 = ("\n                     %.2f%% of cycles in the {:,} stage-2 faults it caused (4 KB "
          "pages mapped while logging)\n").format(st["dirtylog.s2_faults"]) % (
              100.0 * st["cycles.dirtylog.s2_faults"] / st["cycles.total"])
    for w in (walks, trans, dl + s2):
        if w not in out:
            raise Fail("headline lacks %r:\n%s" % (w, out[:1500]))
    # The headline comes before the statistics; --quiet prints nothing
    # (issue 29: nothing but errors).
    if out.index("headline") > out.index("    records "):
        raise Fail("headline after the statistics")
    quiet, _ = run("run", "--quiet", "--set", "dirtylog.mode=pml",
                   "--set", "dirtylog.period=200000", LACKEY_LS)
    eq(quiet, "", "run --quiet")
    out, _ = run("run", "--set", "tlb.l2.entries=0", LACKEY_LS)
    if "L2 (absent)" not in out or "    dirty logging " in out:
        raise Fail("an absent L2 or logging off:\n" + out[:800])


# ---------------------------------------------------------------- plot


def have_gnuplot():
    if shutil.which("gnuplot"):
        return True
    print("skip: gnuplot is not installed (apt-get install gnuplot-nox; make check does)")
    return False


@case
def plots_are_drawn_from_what_the_commands_wrote():
    if not have_gnuplot():
        return
    png = tmp("r.png")
    rj = tmp("r.json")
    run("reach", "--json", rj, "--plot", png, "--entries", "4096", LACKEY_LS)
    eq(open(png, "rb").read(8), b"\x89PNG\r\n\x1a\n", "reach --plot writes a PNG")
    svg = tmp("r.svg")
    run("plot", "reach", rj, "-o", svg)
    if b"<svg" not in open(svg, "rb").read(2000):
        raise Fail("plot reach -o .svg wrote no SVG")
    traces = sweep_traces()
    d = tmp("sw-plot")
    run("sweep", "--quiet", "--out", d, "--grid", "tlb.l2.entries=768,1536",
        "--grid", "guest.page=4k,thp", traces[0])
    for args in (["sweep", d, "--stat", "walk.count"], ["sweep", d, "--x", "guest.page"],
                 ["cycles", d]):
        out = tmp("p.png")
        if os.path.exists(out):
            os.unlink(out)
        run(*(["plot"] + args + ["-o", out]))
        eq(open(out, "rb").read(4), b"\x89PNG", "plot %s" % args)
    j = tmp("pml.json")
    run("run", "--quiet", "--json", j, "--set", "dirtylog.mode=pml",
        "--set", "dirtylog.period=100000", LACKEY_LS)
    run("plot", "rounds", j, "-o", tmp("rounds.svg"))
    run("plot", "cycles", j, os.path.join(d, "points", "0.json"), "-o", tmp("c2.png"))
    plain = tmp("plain.json")
    run("run", "--quiet", "--json", plain, LACKEY_LS)
    bad_input(["plot", "rounds", plain, "-o", tmp("x.png")], r"no dirty-logging rounds")
    bad_input(["plot", "sweep", d, "--stat", "no.such", "-o", tmp("x.png")],
              r"--stat no\.such")
    bad_input(["plot", "reach", rj, "-o", tmp("x.pdf")], r"\.png or \.svg")
    bad_input(["plot", "pie", rj, "-o", tmp("x.png")], r"reach, sweep, cycles and rounds")
    bad_input(["plot", "reach", write("nj.json", "{\"a\": [1, 2,]}"), "-o", tmp("x.png")],
              r"nj\.json: not JSON: offset 12")


@case
def new_commands_have_help_and_are_listed():
    for cmd in ("reach", "sweep", "plot"):
        out, _ = run(cmd, "--help")
        if "usage: slatsim " + cmd not in out:
            raise Fail("%s --help: no usage line" % cmd)
        if "  " + cmd + " " not in run("--help")[0]:
            raise Fail("slatsim --help does not list %s" % cmd)
    bad_input(["swep"], r"unknown command 'swep' \(did you mean 'sweep'\?\)")


def main():
    rc = CASES.main("dse")
    shutil.rmtree(e.TMP, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
