#!/usr/bin/env python3
"""End-to-end cases of `slatsim migrate`: the command line, its JSON, ground
truth through the binary, refusals by key.

usage: run_migrate.py PATH/TO/slatsim

Expectations are worked out by hand in the case's comment (the same rules as
tests/check_migrate.c) or are identities between what the command prints
(rounds against totals); none is copied from the command's output. Helpers
(run, eq, tmp, ...) are run_e2e.py's.
"""
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_e2e as e  # noqa: E402
from run_e2e import Fail, eq, run, tmp, write, bad_input  # noqa: E402

CASES = []

# A machine whose only costs are core.cpi=1 at 1 GHz (a record of 1000
# instructions is 1 us) and a link that sends a 4 KB page per us.
QUIET = ["core.freq_ghz=1", "tlb.l2.latency=0", "walkcache.s1.latency=0",
         "walkcache.s2.latency=0", "ntlb.latency=0", "mem.pte_latency=0",
         # the data caches (cache.model=on, the default) at zero cycles too
         "cache.l1i.latency=0", "cache.l1d.latency=0", "cache.l2.latency=0",
         "cache.llc.latency=0", "cache.mem.latency=0",
         "fault.guest.cycles=0", "fault.host.cycles=0", "dirtylog.exit.cycles=0",
         "dirtylog.fault.cycles=0", "dirtylog.split.cycles=0", "pml.drain.cycles=0",
         "pml.log.cycles=0", "dirtylog.clear.cycles=0", "dirtylog.scan.cycles=0",
         "dirtylog.invalidate.cycles=0", "dirtylog.bitmap.cycles=0",
         "migrate.call.cycles=0", "migrate.hypercall.cycles=0", "migrate.frame.cycles=0",
         "migrate.unmap.cycles=0", "migrate.flush.cycles=0", "migrate.ref.cycles=0",
         "migrate.send.cycles=0",
         "migrate.bandwidth=4096000000", "host.page=base", "guest.page=base",
         "migrate.loop=0"]


def case(fn):
    CASES.append(fn)
    return fn


def sets(*kv):
    out = []
    for s in kv:
        out += ["--set", s]
    return out


# The zipf guest: slow per record (core.cpi=200: 80 ns a record at 2.5 GHz),
# so that a migration replays thousands of its records, not millions (the
# sanitizer build runs these).
SLOW = ["core.cpi=200"]


def migrate_json(trace, *kv):
    out = tmp("m.json")
    run("migrate", "--quiet", "--json", out, *(sets(*kv) + [trace]))
    return json.load(open(out))


def zipf_trace():
    path = tmp("zipf.slt")
    if not os.path.exists(path):
        run("trace", "gen", "--pattern", "zipf", "--footprint", "8M", "--count", "200K",
            "--write-ratio", "0.3", "--seed", "5", "-o", path)
    return path


@case
def migrate_has_help_and_is_listed():
    out, _ = run("migrate", "--help")
    if "usage: slatsim migrate" not in out:
        raise Fail("migrate --help: no usage line")
    if "  migrate " not in run("--help")[0]:
        raise Fail("slatsim --help does not list migrate")
    bad_input(["migrat"], r"unknown command 'migrat' \(did you mean 'migrate'\?\)")


@case
def hand_written_rounds_through_the_command_line():
    # Text trace: A B C D written, A B again, reads, C once more, reads (1000
    # instructions each). Populated: A..D and the guest's 4 table pages.
    # wp, stop_pages=2, migrate.policy's default legacy (xc_domain_save: the
    # next pass is the last once a pass sent and skipped fewer than 2; one
    # batch a pass, whose peek right after the harvest skips nothing): pass 1
    # sends 8 pages in 8 us while records 0-7 run (A B C D dirty, and the 4
    # table pages: the walker's first writes of the guest's A/D flags,
    # created clear, fault on each - guest.hw_accessed=1 and
    # guest.hw_dirty=1), pass 2 sends 8 in 8 us while 8-11 run (every A and
    # D already set: C alone is dirty), pass 3 sends C in 1 us (the trace has
    # ended), under 2: the stop-and-copy sends nothing. 17 pages, 17 us, 0 us
    # down, 3 live passes.
    lines = ["0 %s %x 8 0 1000" % (k, 0x10000000 + 4096 * p) for k, p in
             [("W", 0), ("W", 1), ("W", 2), ("W", 3), ("W", 0), ("W", 1), ("R", 0), ("R", 0),
              ("W", 2), ("R", 0), ("R", 0), ("R", 0)]]
    t = write("twelve.txt", "\n".join(lines) + "\n")
    d = migrate_json(t, *(QUIET + ["dirtylog.mode=wp", "migrate.stop_pages=2",
                                   "guest.hw_accessed=1", "guest.hw_dirty=1"]))
    r = d["migrate"]["rounds"]
    eq([(x["pages_sent"], x["pages_dirtied"], round(x["duration_us"], 6), x["stop_and_copy"])
        for x in r], [(8, 8, 8.0, False), (8, 1, 8.0, False), (1, 0, 1.0, False),
                      (0, 0, 0.0, True)], "rounds")
    st = d["stats"]
    eq((st["migrate.rounds"], st["migrate.pages_sent"], st["migrate.total_us"],
        st["migrate.downtime_us"], st["migrate.lost_pages"]), (3, 17, 17, 0, 0), "totals")
    eq(st["walk.s1_ad_s2_faults"], 4, "faults of the guest's A/D writes")
    # A guest presetting its A/D flags (as Linux does, the default): the tables stay clean,
    # pass 2 sends the 4 data pages only: 13 pages, 13 us.
    d = migrate_json(t, *(QUIET + ["dirtylog.mode=wp", "migrate.stop_pages=2",
                                   "guest.hw_accessed=0", "guest.hw_dirty=0"]))
    eq([(x["pages_sent"], x["pages_dirtied"], round(x["duration_us"], 6), x["stop_and_copy"])
        for x in d["migrate"]["rounds"]],
       [(8, 4, 8.0, False), (4, 1, 4.0, False), (1, 0, 1.0, False), (0, 0, 0.0, True)],
       "rounds, A/D preset")
    eq(d["stats"]["migrate.pages_sent"], 13, "pages sent, A/D preset")
    eq(d["migrate"]["stop"],
       "the last live pass sent and skipped fewer than migrate.stop_pages pages", "stop")
    eq(d["config"]["migrate.policy"], "legacy", "the default policy")
    eq(d["config"]["domains.control"], True, "the control domain is on")


@case
def rounds_add_up_to_the_totals_and_json_is_deterministic():
    t = zipf_trace()
    kv = SLOW + ["migrate.max_rounds=4", "migrate.bandwidth=256M"]
    out1, out2 = tmp("a.json"), tmp("b.json")
    run("migrate", "--quiet", "--json", out1, *(sets(*kv) + [t]))
    run("migrate", "--quiet", "--json", out2, *(sets(*kv) + [t]))
    # (but for the provenance, its last member: the command lines name a.json and b.json)
    cut = lambda b: b[:b.index(b',\n  "provenance": {')]
    if cut(open(out1, "rb").read()) != cut(open(out2, "rb").read()):
        raise Fail("two identical migrations wrote different JSON")
    d = json.load(open(out1))
    st, r = d["stats"], d["migrate"]["rounds"]
    eq(len(r), st["migrate.rounds"] + 1, "rounds and the stop-and-copy")
    eq(r[-1]["stop_and_copy"], True, "the stop-and-copy is last")
    eq(sum(x["pages_sent"] for x in r), st["migrate.pages_sent"], "pages sent")
    eq(sum(x["map_cycles"] for x in r), st["migrate.map_cycles"], "map cycles (batch)")
    eq(round(sum(x["duration_us"] for x in r)), st["migrate.total_us"], "total time")
    eq(round(r[-1]["duration_us"]), st["migrate.downtime_us"], "downtime")
    for a, b in zip(r, r[1:]):
        if abs(a["start_us"] + a["duration_us"] - b["start_us"]) > 1e-6:
            raise Fail("round at %.3f us does not follow the one before" % b["start_us"])
    # legacy: each page a live pass's harvest found is sent or skipped (dirtied
    # again since, sent later) by the next pass; the stop-and-copy skips nothing.
    for a, b in zip(r, r[1:-1]):
        eq(b["pages_sent"] + b["pages_skipped"], a["pages_dirtied"],
           "a round sends or skips what the last harvest found")
    eq(sum(x["pages_skipped"] for x in r), st["migrate.pages_skipped"], "pages skipped")
    eq(r[-1]["pages_skipped"], 0, "the stop-and-copy skips nothing")
    eq(r[-1]["pages_sent"], r[-2]["pages_dirtied"], "stop-and-copy sends the last harvest")
    eq(st["migrate.lost_pages"], 0, "lost pages (safe)")
    if st["migrate.guest_slowdown"] < 1.0:
        raise Fail("logging made the guest faster: %r" % st["migrate.guest_slowdown"])
    eq(st["records"] >= d["migrate"]["trace_records"], True, "the guest ran at least one pass")


@case
def lost_pages_zero_when_safe_and_more_with_an_unsafe_switch():
    # The zipf guest rewrites its hot pages in every round: a rewrite the
    # dirty log misses is a page whose last write never reached the
    # destination.
    t = zipf_trace()
    base = SLOW + ["migrate.max_rounds=3", "migrate.bandwidth=256M"]
    for mode in (["dirtylog.mode=pml"], ["dirtylog.mode=wp"],
                 ["arch=arm64", "dirtylog.mode=dbm"], ["arch=arm64", "dirtylog.mode=hdbss"]):
        st = migrate_json(t, *(base + mode))["stats"]
        eq(st["migrate.lost_pages"], 0, "lost pages with %s" % mode)
        eq(st["dirtylog.missed_pages"], 0, "missed pages with %s" % mode)
    for unsafe in (["dirtylog.mode=pml", "dirtylog.invalidate=0"],
                   ["dirtylog.mode=pml", "dirtylog.flush_all_vcpus=0"],
                   ["dirtylog.mode=wp", "dirtylog.invalidate=0"]):
        st = migrate_json(t, *(base + unsafe))["stats"]
        if st["migrate.lost_pages"] == 0:
            raise Fail("%s lost no page" % unsafe)


@case
def map_methods_count_calls_and_flushes():
    # Per method on the same guest: per_page one call and one flush per page
    # sent; batch at most ceil(pages / map_batch) per round; persistent one
    # flush in all (its mappings go after the migration).
    t = zipf_trace()
    res = {}
    for m in ("per_page", "batch", "persistent"):
        res[m] = migrate_json(t, *(SLOW + ["migrate.max_rounds=2", "migrate.map=" + m]))
    st = res["per_page"]["stats"]
    eq(st["migrate.map_calls"], st["migrate.pages_sent"], "per_page calls")
    eq(st["migrate.flushes"], st["migrate.pages_sent"], "per_page flushes")
    eq(st["migrate.superpages_mapped"], 0, "per_page maps 4 KB pages only")
    d = res["batch"]
    calls = sum(-(-x["pages_sent"] // 1024) for x in d["migrate"]["rounds"])
    eq(d["stats"]["migrate.map_calls"], calls, "batch calls")
    eq(d["stats"]["migrate.flushes"], calls, "batch flushes")
    eq(res["persistent"]["stats"]["migrate.flushes"], 1, "persistent flushes")
    for m in res:
        eq(res[m]["stats"]["migrate.lost_pages"], 0, "lost pages (%s)" % m)


@case
def vs_migrates_twice():
    t = zipf_trace()
    out = tmp("vs.json")
    text, _ = run("migrate", *sets(*SLOW), "--set", "migrate.max_rounds=2", "--set", "migrate.map=per_page",
                  "--vs", "migrate.map=batch", "--json", out, t)
    if "migrate.map=batch" not in text or "migrate.map_cycles" not in text:
        raise Fail("--vs: no side-by-side report")
    d = json.load(open(out))
    eq([x["config"]["migrate.map"] for x in d], ["per_page", "batch"], "--vs JSON")


@case
def bad_configurations_are_refused_by_key():
    t = zipf_trace()
    bad_input(["migrate", "--set", "migrate.map=bulk", t], r"migrate\.map")
    bad_input(["migrate", "--set", "dirtylog.period=5000", t], r"^slatsim: dirtylog\.period=5000")
    bad_input(["migrate", "--set", "dirtylog.mode=off", t], r"^slatsim: dirtylog\.mode=off")
    bad_input(["migrate", "--set", "dirtylog.range=16M", t], r"^slatsim: dirtylog\.range")
    bad_input(["migrate", "--set", "domains=2", t], r"^slatsim: domains=2")
    bad_input(["migrate", "--set", "virt=none", t], r"^slatsim: virt=none")
    bad_input(["migrate", "--set", "arch=arm64", "--set", "domain.1.guest.granule=64k", t],
              r"^slatsim: domain\.1\.guest\.granule")
    bad_input(["migrate", "--set", "migrate.bandwidth=1K", t], r"migrate\.bandwidth")
    bad_input(["migrate", "-", t], r"more than one trace|reads the trace twice")
    bad_input(["migrate", "/dev/null"], r"not a regular file")
    bad_input(["migrate", write("empty.txt", "0 I all\n")], r"no accesses")


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
    print("migrate: %d passed, %d failed" % (passed, failed))
    shutil.rmtree(e.TMP, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
