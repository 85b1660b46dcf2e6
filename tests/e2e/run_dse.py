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

ROOT = e.ROOT
LACKEY_LS = e.LACKEY_LS
XZ = os.path.join(ROOT, "traces/samples/xz-compress.slt")
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


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
    eq(list(doc.keys()), ["slatsim", "trace", "config", "reach", "analysis"], "top-level keys")
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


def main():
    passed = failed = 0
    for fn in CASES:
        try:
            fn()
            passed += 1
            print("ok   %s" % fn.__name__)
        except Fail as ex:
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, ex))
    print("dse: %d passed, %d failed" % (passed, failed))
    shutil.rmtree(e.TMP, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
