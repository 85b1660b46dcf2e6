"""make bench's Python figures (issue 26): slatsim.run against the command
line's replay of the same trace (alternating runs, best and median), the
rate of Machine.access calls, and Machine.run of a numpy array of the whole
trace against the command line's replay time.

usage: PYTHONPATH=build/python/lib python3 tests/bench/bench_python.py SLATSIM TRACE [RUNS]"""
import re
import statistics
import subprocess
import sys
import time

import slatsim
from slatsim import trace as strace

cli, tr = sys.argv[1], sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5


def cli_run():
    """Wall seconds of `slatsim run` as a process, and its own replay time."""
    t = time.perf_counter()
    # (not --quiet: since issue 29 it drops the report's timing line too)
    p = subprocess.run([cli, "run", tr], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    return wall, float(re.search(r"replay ([0-9.]+) s", p.stdout).group(1))


def py_run():
    t = time.perf_counter()
    r = slatsim.run(tr)
    return time.perf_counter() - t, r.elapsed


a, b, ra, rb = [], [], [], []
for _ in range(runs):   # A B A B ...
    w, rep = cli_run()
    a.append(w)
    ra.append(rep)
    w, rep = py_run()
    b.append(w)
    rb.append(rep)
print("  slatsim run (process) %.3f s best, %.3f median; replay %.3f best" %
      (min(a), statistics.median(a), min(ra)))
print("  slatsim.run()         %.3f s best, %.3f median; replay %.3f best: %+.1f%% (replay, "
      "best) %+.1f%% (median wall)" % (min(b), statistics.median(b), min(rb),
                                       100 * (min(rb) / min(ra) - 1),
                                       100 * (statistics.median(b) / statistics.median(a) - 1)))

m = slatsim.Machine()
n = 1_000_000
va = [0x400000 + 64 * (i % 4096) for i in range(n)]   # 64 pages: TLB hits after the first touch
acc = m.access
best = None
for _ in range(3):
    t = time.perf_counter()
    for v in va:
        acc(0, 0, v)
    el = time.perf_counter() - t
    best = el if best is None or el < best else best
print("  Machine.access        %.2f M calls/s (best of 3 x %d, one vCPU, 64 pages: hits)" %
      (n / best / 1e6, n))

try:
    import numpy as np
except ImportError:
    np = None
if np is not None:
    recs = strace.read_all(tr)   # RECORD_DTYPE: Machine.run takes it without a copy
    best = None
    for _ in range(runs):
        mm = slatsim.Machine()
        t = time.perf_counter()
        mm.run(recs)
        mm.finish()
        el = time.perf_counter() - t
        best = el if best is None or el < best else best
    print("  Machine.run(numpy)    %.3f s best for %d records = %.2fx the command line's "
          "replay (%.3f s, which decodes too)" % (best, len(recs), best / min(ra), min(ra)))
else:
    print("  Machine.run(numpy)    (numpy not installed: tools/deps pysci)")
