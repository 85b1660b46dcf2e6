#!/usr/bin/env python3
"""tests/cosim/run_cosim.py BUILD_DIR - co-simulation tests of the RTL PML unit.

Runs, from BUILD_DIR (make cosim-tests builds them with ASan+UBSan):
  pml_tb-none            directed cases and 1M constrained-random operations
  pml_tb-<bug>           must report a mismatch, on the field the bug breaks
  slatsim                --cosim pml on the shipped real trace and on a
                         4-vCPU trace with back-pressure: the RTL agrees
  slatsim-<bug>          --cosim pml on the real trace must stop at a mismatch
  nortl/slatsim          built without Verilator: --cosim refuses clearly
and checks the waveform files' FST headers (start and end time) against the
cycles slatsim says they cover. Expected numbers are worked out in the
comments from the RTL's documented timing, not copied from output.
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build/asan"
SAMPLE = "traces/samples/xz-compress.slt"
BUGS = {  # switch -> the first field the scoreboard must find different
    "increment": "index after the request",
    "late_full": "log-full exit",
    "unaligned": "memory write data",
    # a protocol error the scoreboard cannot see: only the assertions can
    "valid_drop": "an RTL assertion failed",
}
passed = failed = 0


def run(args, timeout=600):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}\n{detail}")


def fst_times(path):
    """(start, end) time from an FST file's header block (type 0, length,
    start time, end time: big-endian 64-bit)."""
    with open(path, "rb") as f:
        d = f.read(25)
    if len(d) < 25 or d[0] != 0:
        return None
    _, start, end = struct.unpack(">QQQ", d[1:25])
    return start, end


def stats_of(path):
    with open(path) as f:
        return json.load(f)["stats"]


tmp = tempfile.mkdtemp(prefix="slatsim-cosim-")
slatsim = os.path.join(BUILD, "slatsim")

# ---- test bench, clean RTL
rc, out, err = run([os.path.join(BUILD, "pml_tb-none"), "directed"])
check("tb directed cases pass on the clean RTL", rc == 0 and "8 of 8 cases passed" in out,
      out + err)
rc, out, err = run([os.path.join(BUILD, "pml_tb-none"), "random", "--events", "1000000",
                    "--seed", "1"])
m = re.search(r"digest ([0-9a-f]{16})", out)
check("tb 1M constrained-random operations agree, every coverage bin hit",
      rc == 0 and "15 of 15 bins hit" in out and m is not None, out + err)
d1 = m.group(1) if m else None
print("\n".join("     " + ln for ln in out.splitlines() if ln.strip()))
rc2, out2, _ = run([os.path.join(BUILD, "pml_tb-none"), "random", "--events", "1000000",
                    "--seed", "1"])
rc3, out3, _ = run([os.path.join(BUILD, "pml_tb-none"), "random", "--events", "1000000",
                    "--seed", "2"])
m2 = re.search(r"digest ([0-9a-f]{16})", out2)
m3 = re.search(r"digest ([0-9a-f]{16})", out3)
check("tb random is reproducible by seed (same seed same digest, other seed other)",
      rc2 == 0 and rc3 == 0 and m2 and m3 and m2.group(1) == d1 and m3.group(1) != d1,
      out2 + out3)

# ---- bug injection: each switch is caught by directed, random and replay
for bug, field in BUGS.items():
    tb = os.path.join(BUILD, f"pml_tb-{bug}")
    rc, out, err = run([tb, "directed"])
    check(f"tb directed catches --{bug}",
          rc == 1 and f"co-simulation mismatch: {field}" in out and "<-- differs" in out,
          out + err)
    rc, out, err = run([tb, "random", "--events", "1000000"])
    check(f"tb random catches --{bug}", rc == 1 and f"co-simulation mismatch: {field}" in out,
          out + err)
    fst = os.path.join(tmp, f"{bug}.fst")
    rc, out, err = run([os.path.join(BUILD, f"slatsim-{bug}"), "run", "--cosim", "pml",
                        "--waves", fst, SAMPLE])   # (not --quiet: the verdict is the report's)
    mm = re.search(r"at record (\d+), vCPU (\d+), RTL cycle (\d+) \(variant: " + bug, err)
    win = re.search(r"RTL cycles of the window: (\d+)\.\.(\d+)", err)
    ok = (rc == 1 and f"co-simulation mismatch: {field}" in err and mm and "request:" in err
          and "C model" in err and "RTL" in err and "RESULT: MISMATCH" in out and win)
    if ok:
        # The window ends with the failing request's response cycle: it holds
        # the mismatch cycle; the file's time is 2 x cycle (+1 at the rising
        # edge), from the window's first rising edge to its last falling one.
        lo, hi, cyc = int(win.group(1)), int(win.group(2)), int(mm.group(3))
        t = fst_times(fst)
        ok = lo <= cyc <= hi and t == (2 * lo + 1, 2 * hi)
    check(f"slatsim --cosim pml on the real trace catches --{bug}, with an FST window",
          ok, out[-2000:] + err)

# ---- the shipped real trace agrees end to end; costs
cj, rj = os.path.join(tmp, "c.json"), os.path.join(tmp, "rtl.json")
rc, out, err = run([slatsim, "run", "--cosim", "pml", "--json", cj, SAMPLE])
check("slatsim --cosim pml agrees on the shipped real trace",
      rc == 0 and "RESULT: the RTL agreed with the C model on every request" in out,
      out[-3000:] + err)
tail = os.path.join(tmp, "tail.fst")
tj = os.path.join(tmp, "tail.json")
rc, out, err = run([slatsim, "run", "--cosim", "pml", "--quiet", "--set", "cosim.window=10",
                    "--set", "cosim.stall_pct=30", "--waves", tail, "--json", tj, SAMPLE])
win = re.search(r"the last (\d+) requests/register writes of the run \(RTL cycles of the "
                r"window: (\d+)\.\.(\d+)", err)
ok = rc == 0 and win is not None and win.group(1) == "10"
if ok:
    # The window is replayed from the agreed state with the saved stall
    # generator: it must end on the live run's last cycle (one vCPU).
    t = fst_times(tail)
    ok = (t == (2 * int(win.group(2)) + 1, 2 * int(win.group(3)))
          and int(win.group(3)) == stats_of(tj)["cosim.rtl_cycles"])
check("--waves without a mismatch: a cycle-exact window of the run's last requests", ok,
      err + str(fst_times(tail) if os.path.exists(tail) else None))
rc, out, err = run([slatsim, "run", "--cosim", "pml", "--quiet", "--set", "cosim.cost=rtl",
                    "--json", rj, SAMPLE])
if rc == 0:
    a, b = stats_of(cj), stats_of(rj)
    lat = 14  # cosim.mem_latency default
    # Every logged request waits cosim.mem_latency cycles for mem_ready and
    # takes 2 + that from acceptance to response.
    check("RTL latency per logged entry is 2 + memory latency",
          a["cosim.logged"] == a["pml.logged"] > 0 and a["cosim.full"] == a["pml.full_exits"]
          and a["cosim.rtl_latency"] == a["cosim.logged"] * (2 + lat)
          and a["cosim.mem_stalls"] == a["cosim.logged"] * lat and a["cosim.mismatches"] == 0,
          json.dumps({k: v for k, v in a.items() if k.startswith(("cosim.", "pml."))}))
    # cosim.cost=rtl charges each request's RTL latency (logged 2 + 14, any
    # other request 1) instead of pml.log.cycles = 14 per logged entry; nothing
    # else may change.
    want = (a["cosim.logged"] * (2 + lat) + (a["cosim.requests"] - a["cosim.logged"])
            - a["cosim.logged"] * 14)
    diff = {k for k in a if a[k] != b[k]}
    check("cosim.cost=rtl charges the RTL's cycles and changes only cycle counts",
          b["walk.cycles"] - a["walk.cycles"] == want
          and diff <= {"walk.cycles", "cycles.translation", "cycles.total"},
          f"want {want}, got {b['walk.cycles'] - a['walk.cycles']}, changed {diff}")
else:
    check("slatsim --cosim pml --set cosim.cost=rtl runs", False, err)

# ---- several vCPUs, back-pressure, KVM-style drains, live waveform range
mt = os.path.join(tmp, "mt.slt")
rc, out, err = run([slatsim, "trace", "gen", "--pattern", "random", "--footprint", "32M",
                    "--count", "200K", "--vcpus", "4", "--write-ratio", "0.5", "-o", mt])
fst = os.path.join(tmp, "live.fst")
rc, out, err = run([slatsim, "run", "--cosim", "pml", "--set", "cosim.stall_pct=40",
                    "--set", "cosim.mem_latency=3", "--set", "pml.drain=kvm",
                    "--set", "dirtylog.period=20000", "--waves", fst,
                    "--waves-range", "1000:5000", "--json", os.path.join(tmp, "mt.json"), mt])
ok = rc == 0 and "RESULT: the RTL agreed" in out
if ok:
    s = stats_of(os.path.join(tmp, "mt.json"))
    ok = (s["cosim.cov.memory_backpressure"] > 0 and s["cosim.full"] == s["pml.full_exits"]
          and s["cosim.logged"] == s["pml.logged"] > 512
          and all(os.path.getsize(p) > 0 for p in
                  [fst] + [os.path.join(tmp, f"live.vcpu{v}.fst") for v in (1, 2, 3)]))
check("4 vCPUs with random back-pressure agree; live --waves-range writes one FST per vCPU",
      ok, out[-3000:] + err)

# ---- bad command lines and files
bad = [
    (["--cosim", "foo", SAMPLE], "is not a unit with RTL"),
    (["--waves", os.path.join(tmp, "x.fst"), SAMPLE], "need --cosim pml"),
    (["--cosim", "pml", "--waves", "x.fst", "--waves-range", "5:3", SAMPLE], "A <= B"),
    (["--cosim", "pml", "--waves", "x.fst", "--waves-range", "abc", SAMPLE], "expected A:B"),
    (["--cosim", "pml", "--waves-range", "1:2", SAMPLE], "needs --waves"),
    (["--cosim", "pml", "--set", "dirtylog.mode=wp", SAMPLE], "dirtylog.mode must be"),
    (["--cosim", "pml", "--vs", "pml.drain=kvm", SAMPLE], "cannot be combined"),
    (["--cosim", "pml", "--set", "sim.max_records=1000", "--waves",
      "/nonexistent/dir/w.fst", SAMPLE], "/nonexistent/dir/w.fst"),
    (["--cosim", "pml", "--waves", "/nonexistent/dir/w.fst", "--waves-range", "0:10", SAMPLE],
     "/nonexistent/dir/w.fst"),
]
for args, msg in bad:
    rc, out, err = run([slatsim, "run", "--quiet"] + args)
    check(f"refused: {' '.join(args[:-1])}", rc == 2 and msg in err and "Sanitizer" not in err,
          f"rc={rc}\n{err}")

rc, out, err = run([os.path.join(BUILD, "nortl", "slatsim"), "run", "--cosim", "pml", SAMPLE])
check("built without Verilator, --cosim pml refuses before replaying",
      rc == 2 and "built without Verilator" in err and "record" not in err, err)
rc, out, err = run([os.path.join(BUILD, "nortl", "slatsim"), "run",
                    "--set", "sim.max_records=1000", SAMPLE])
check("built without Verilator, a plain run works", rc == 0 and "records" in out, err)

print(f"cosim: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
