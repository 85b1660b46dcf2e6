#!/usr/bin/env python3
"""slatsim-sc (the SystemC TLM-2.0 platform) against slatsim run.

usage: run_sc.py PATH/TO/slatsim PATH/TO/slatsim-sc [PLAIN/slatsim PLAIN/slatsim-sc]

On the shipped real capture (the first N records, sim.max_records) in nested
4K, arm64 64K/64K and dirtylog.mode=pml: every statistic of the model in the
platform's JSON equals slatsim run's (and so do the rounds and the config);
with the memory target at mem.pte_latency the platform's sc.cycles.total
equals cycles.total; with it slower, the difference is exactly the extra
cycles of each walker reference. slatsim run is given cache.model=off, the
platform's own default (its memory target stands in for the data caches):
like with like; with cache.model=on set in both, the model's statistics
still agree. Then what the platform did (sc.*) against
the model's counts, DMI on and off, --vs, and bad input (one line, exit 2,
slatsim run's message). Every run is checked for sanitizer reports.
Given the optimised binaries too: the whole capture (18.7 M records) in the
three modes, and out of host memory (one line, exit 1; sanitizers reserve
too much address space for a limit to mean anything).
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SLATSIM, SC = (os.path.abspath(p) for p in sys.argv[1:3])
PLAIN, PLAIN_SC = (os.path.abspath(p) for p in sys.argv[3:5]) if len(sys.argv) >= 5 else (None, None)
TRACE = os.path.join(ROOT, "traces/samples/xz-compress.slt")
N = "sim.max_records=1000000"
# slatsim run at the platform's cache.model (slatsim_mmu registers off unless
# set; slatsim run's default is on)
FLAT = ["--set", "cache.model=off"]
TMP = tempfile.mkdtemp(prefix="slatsim-sc-")
CASES = []
MODES = {
    "nested 4K": [],
    "arm64 64K": ["--set", "arch=arm64", "--set", "guest.granule=64k", "--set", "host.granule=64k"],
    "dirtylog.mode=pml": ["--set", "dirtylog.mode=pml", "--set", "dirtylog.period=200000"],
}


class Fail(Exception):
    pass


def case(fn):
    CASES.append(fn)
    return fn


def run(binary, args, expect_rc=0):
    p = subprocess.run([binary] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = p.stderr.decode(errors="replace")
    if "Sanitizer" in err or "runtime error" in err:
        raise Fail("sanitizer report:\n" + err[-3000:])
    if expect_rc is not None and p.returncode != expect_rc:
        raise Fail("%s %s: exit %d, expected %d\nstderr: %s" %
                   (os.path.basename(binary), " ".join(args), p.returncode, expect_rc, err[-2000:]))
    return p.stdout.decode(errors="replace"), err


def json_of(binary, args, name):
    out = os.path.join(TMP, name)
    if binary in (SLATSIM, PLAIN):
        run(binary, ["run", "--quiet", "--json", out] + FLAT + args)
    else:
        run(binary, ["--quiet", "--json", out] + args)
    with open(out) as f:
        return json.load(f)


def both(args, name, sc_args=()):
    """slatsim run and slatsim-sc with ARGS; SC_ARGS (sc.* keys) for slatsim-sc only."""
    base = ["--set", N] + args
    return (json_of(SLATSIM, base + [TRACE], name + ".native.json"),
            json_of(SC, base + list(sc_args) + [TRACE], name + ".sc.json"))


def same_model(a, b, what):
    """Every statistic slatsim run has, and its rounds, trace and config."""
    sa, sb = a["stats"], b["stats"]
    diff = [k for k in sa if sa[k] != sb.get(k)]
    if diff:
        raise Fail("%s: %d statistics differ, e.g. %s" % (
            what, len(diff), ", ".join("%s %r vs %r" % (k, sa[k], sb.get(k)) for k in diff[:5])))
    if a.get("rounds") != b.get("rounds"):
        raise Fail("%s: rounds differ" % what)
    if a["trace"] != b["trace"]:
        raise Fail("%s: trace header differs" % what)
    extra = {k: v for k, v in b["config"].items() if k not in a["config"]}
    if any(not k.startswith("sc.") for k in extra) or \
            any(a["config"][k] != b["config"][k] for k in a["config"]):
        raise Fail("%s: config differs beyond sc.*" % what)
    return sa, sb


def eq(got, want, what):
    if got != want:
        raise Fail("%s: got %r, want %r" % (what, got, want))


def refs(s):
    return s["sc.mem.desc_reads"] + s["sc.mem.desc_writes"] + s["sc.mem.log_writes"]


def platform_counts(sa, sb, what):
    """What the platform did, against the model's own counts."""
    eq(sb["sc.mem.desc_reads"], sa["walk.mem_refs"], what + ": descriptor reads on the memory side")
    eq(sb["sc.mem.desc_writes"], sa["walk.ad_writes"], what + ": A/D writes on the memory side")
    eq(sb["sc.mem.log_writes"], sa["pml.logged"] + sa["hdbss.logged"], what + ": log entries")
    eq(sb["sc.errors"], 0, what + ": error responses")
    # One forwarded transaction per page an access touches: at least one per
    # access that moves data, at most one more for those crossing 4 KB.
    moving = sa["accesses"] - sa["accesses.zero_size"]
    if not moving <= sb["sc.mem.data"] <= moving + sa["footprint.crossing_4k"]:
        raise Fail("%s: %d forwarded accesses for %d accesses" % (what, sb["sc.mem.data"], moving))
    eq(sb["sc.cycles.walk_refs_model"], 14 * refs(sb), what + ": the model's cycles for them")


@case
def model_statistics_equal_and_cycles_agree_at_pte_latency():
    for mode, args in MODES.items():
        a, b = both(args, mode.replace(" ", "_"))
        sa, sb = same_model(a, b, mode)
        platform_counts(sa, sb, mode)
        eq(sb["sc.cycles.walk_refs"], sb["sc.cycles.walk_refs_model"], mode + ": memory at 14 cycles")
        eq(sb["sc.cycles.total"], sa["cycles.total"], mode + ": sc.cycles.total vs cycles.total")
        eq(sb["sc.cycles.stall"] + sa["cycles.instructions"] + sb["sc.cycles.hypervisor"],
           sa["cycles.total"], mode + ": stall + instructions + hypervisor")
        eq(sb["sc.cycles.data"], 14 * sb["sc.mem.data"], mode + ": data accesses at 14 cycles")
        if mode == "dirtylog.mode=pml":
            if not (sa["pml.logged"] > 0 and sa["walk.ad_writes"] > 0 and sa["dirtylog.rounds"] > 1):
                raise Fail("pml: the window should log, update A/D and harvest")
            eq(sb["sc.cycles.dirtylog"] + sb["sc.cycles.hypervisor"], sa["cycles.dirtylog"],
               "pml: dirty-logging cycles in accesses and between them")


@case
def a_slower_memory_costs_exactly_its_extra_cycles_per_reference():
    for mode, args in MODES.items():
        a, b = both(args, mode.replace(" ", "_") + "-slow", ["--set", "sc.mem.latency=20"])
        sa, sb = same_model(a, b, mode + ", memory at 20 cycles")
        eq(sb["sc.cycles.walk_refs"], 20 * refs(sb), mode + ": memory side's cycles")
        eq(sb["sc.cycles.total"], sa["cycles.total"] + 6 * refs(sb),
           mode + ": cycles.total + 6 a reference")
        eq(sb["sc.cycles.data"], 20 * sb["sc.mem.data"], mode + ": data at 20 cycles")


@case
def dmi_off_changes_nothing_but_how():
    a, b = both([], "nodmi", ["--set", "sc.dmi=0"])
    sa, sb = same_model(a, b, "sc.dmi=0")
    eq(sb["sc.mem.dmi"], 0, "sc.dmi=0: no DMI")
    eq(sb["sc.cycles.total"], sa["cycles.total"], "sc.dmi=0: cycles")
    _, on = both([], "dmi")
    if on["stats"]["sc.mem.dmi"] < on["stats"]["sc.mem.data"]:
        raise Fail("sc.dmi=1: the data accesses should go through DMI")


@case
def vs_builds_two_platforms_in_one_simulation():
    base = ["--set", N, "--vs", "dirtylog.mode=pml", TRACE]
    out = os.path.join(TMP, "vs")
    run(SLATSIM, ["run", "--quiet", "--json", out + ".native.json"] + FLAT + base)
    run(SC, ["--quiet", "--json", out + ".sc.json"] + base)
    with open(out + ".native.json") as f:
        a = json.load(f)
    with open(out + ".sc.json") as f:
        b = json.load(f)
    eq(len(b), 2, "--vs: two runs")
    for x, y, w in zip(a, b, "AB"):
        _, sb = same_model(x, y, "--vs " + w)
        eq(sb["sc.cycles.total"], x["stats"]["cycles.total"], "--vs %s: cycles" % w)


@case
def the_platform_runs_the_flat_model_unless_told_otherwise():
    # Its default: cache.model=off (the config says so, and the statistics
    # are slatsim run's with it off); told cache.model=on, the model's
    # statistics are slatsim run's with the caches on (cycles.memory among
    # them), and the memory side still costs every reference.
    b = json_of(SC, ["--set", N, TRACE], "flat.sc.json")
    eq(b["config"]["cache.model"], "off", "slatsim-sc's cache.model unless set")
    on = ["--set", N, "--set", "cache.model=on", TRACE]
    out = os.path.join(TMP, "caches")
    run(SLATSIM, ["run", "--quiet", "--json", out + ".native.json"] + on)
    run(SC, ["--quiet", "--json", out + ".sc.json"] + on)
    a, c = (json.load(open(out + x)) for x in (".native.json", ".sc.json"))
    eq(c["config"]["cache.model"], "on", "slatsim-sc --set cache.model=on")
    sa, sc = same_model(a, c, "cache.model=on")
    if sa["cycles.memory"] == 0:
        raise Fail("cache.model=on: no cycles.memory")
    eq(sc["sc.mem.desc_reads"], sa["walk.mem_refs"], "cache.model=on: references on the memory side")


@case
def json_to_standard_output_is_only_json():
    out, _ = run(SC, ["--quiet", "--set", "sim.max_records=1000", "--json", "-", TRACE])
    json.loads(out)


@case
def bad_input_is_one_line_and_exit_2_as_slatsim_run_says_it():
    bad = os.path.join(TMP, "bad.txt")
    with open(bad, "w") as f:
        f.write("0 R 7f0000001000 8 1\n0 W 8000000000000000 8 1\n")
    for args in (["--set", "guest.page=3m", TRACE], ["--set", "tlb.l1d.ways=3", TRACE],
                 ["/nonexistent.slt"], [bad], ["--set", "sc.cycle=0", TRACE],
                 ["--set", "sc.mem.latency=-2", TRACE]):
        _, e1 = run(SC, args, expect_rc=2)
        if len(e1.strip().splitlines()) != 1:
            raise Fail("slatsim-sc %s: not one line: %r" % (" ".join(args), e1))
        if not args[-1].startswith("sc.") and "sc." not in " ".join(args):
            _, e2 = run(SLATSIM, ["run"] + args, expect_rc=2)
            eq(e1, e2, "slatsim-sc %s: the message" % " ".join(args))
    _, e = run(SC, ["--bogus", TRACE], expect_rc=2)
    if "Try 'slatsim-sc --help'" not in e:
        raise Fail("usage hint: %r" % e)
    _, e1 = run(SC, ["--cosim", "tlb", TRACE], expect_rc=2)
    _, e2 = run(SLATSIM, ["run", "--cosim", "tlb", TRACE], expect_rc=2)
    eq(e1.splitlines()[0], e2.splitlines()[0], "--cosim tlb: the message")
    out, _ = run(SC, ["--help"])
    if "usage: slatsim-sc" not in out:
        raise Fail("--help")



@case
def the_verilated_pml_unit_checks_the_platforms_requests():
    # --cosim pml in the platform: the RTL unit in lockstep with the model's
    # PML requests, as in slatsim run - the same statistics, the RTL's own
    # (cosim.*) included, the same verdict, and a waveform.
    a = json_of(SLATSIM, ["--set", N, "--cosim", "pml", TRACE], "cosim.native.json")
    waves = os.path.join(TMP, "sc.fst")
    out, _ = run(SC, ["--set", N, "--cosim", "pml", "--waves", waves,
                      "--json", os.path.join(TMP, "cosim.sc.json"), TRACE])
    b = json.load(open(os.path.join(TMP, "cosim.sc.json")))
    if "cosim.requests" not in a["stats"] or a["stats"]["cosim.requests"] == 0:
        raise Fail("slatsim run --cosim pml made no RTL request")
    same_model(a, b, "--cosim pml")
    if "RESULT: the RTL agreed with the C model on every request" not in out:
        raise Fail("the platform's co-simulation verdict: %r" % out[-400:])
    if not os.path.exists(waves) or os.path.getsize(waves) == 0:
        raise Fail("--waves wrote no waveform")

@case
def the_whole_capture_gives_the_same_statistics():
    if not PLAIN:
        print("skip the_whole_capture_gives_the_same_statistics: no optimised binaries given")
        return
    for mode, args in MODES.items():
        name = "whole_" + mode.replace(" ", "_")
        a = json_of(PLAIN, args + [TRACE], name + ".native.json")
        b = json_of(PLAIN_SC, args + [TRACE], name + ".sc.json")
        eq(a["stats"]["records"], 18727520, mode + ": records of the whole capture")
        sa, sb = same_model(a, b, mode + ", whole capture")
        eq(sb["sc.cycles.total"], sa["cycles.total"], mode + ", whole capture: sc.cycles.total")


@case
def out_of_host_memory_is_one_line_and_exit_1():
    if not PLAIN_SC:
        print("skip out_of_host_memory_is_one_line_and_exit_1: no optimised binaries given")
        return
    # From too little for a SystemC process's stack (E518, which SystemC
    # would print on standard output) and for the memory target's first
    # 64 MB chunk up to enough for a short window: success, or one line
    # "out of memory (...)" on stderr, nothing on stdout, and 1. (Below about
    # 16.5 MB libsystemc's own static initialisers throw before main.)
    for kib in (17000, 19500, 20000, 24576, 40960, 65536, 98304):
        p = subprocess.run(["prlimit", "--as=%d" % (kib << 10), "--", PLAIN_SC, "--quiet",
                            "--set", "sim.max_records=100000", TRACE],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        err = p.stderr.decode(errors="replace")
        if p.returncode == 0:
            continue
        if kib < 18000 and p.returncode < 0 and p.stdout == b"" and \
                err.startswith("terminate called after throwing an instance of 'std::bad_alloc'"):
            continue   # (libsystemc's static initialisers, before main: the limit at which
            #          they fit moves with the binary's size - 9 KB more made 17000 KiB too little)
        eq(p.returncode, 1, "under %d KiB: exit status (stderr %r)" % (kib, err))
        eq(p.stdout, b"", "under %d KiB: standard output" % kib)
        if len(err.strip().splitlines()) != 1 or \
                not err.startswith("slatsim: out of memory ("):
            raise Fail("under %d KiB: %r" % (kib, err))


def main():
    failed = 0
    for fn in CASES:
        try:
            fn()
            print("ok   " + fn.__name__)
        except Fail as e:
            failed += 1
            print("FAIL " + fn.__name__ + ": " + str(e))
    print("systemc e2e: %d passed, %d failed" % (len(CASES) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
