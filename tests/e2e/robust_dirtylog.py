# Robust-tier cases for dirty logging with large stage-2 pages and ranges
# (issue 28). Run by run_robust.py in its namespace (run, path, write,
# one_line, eq, Fail, SAMPLE, SLATSIM, PLAIN...).
#
# What they hold the commands to, on the shipped capture and a small
# generated trace:
#   - no safe configuration misses a written page (dirtylog.missed_pages 0)
#     with 1 GB host pages mapped before logging, in every mode (before the
#     fix: pml 271, wp 270 missed);
#   - a dirtylog.range that ends inside a large stage-2 page runs to the end
#     in every mode and large-page policy (before: "internal: unresolved
#     stage-2 fault (kind 2)", exit 1), missing nothing where safe;
#   - slatsim migrate with 1 GB host pages misses nothing (before: 365 on
#     the trace below);
#   - dirtylog.policy and its finer keys are refused by name when bad.
# The expected values are the invariant (0 missed) and exit statuses. The
# whole-capture runs are the reproducers and a few variants, with
# the optimised binary (PLAIN: sim.prefault alone takes ~8 s of it on the
# capture); the Check suite dirtylog sweeps every combination under ASan.


def dl_stats(*sets):
    out = path("dl.json")
    args = ["run", "--quiet", "--json", out]
    for s in sets:
        args += ["--set", s]
    run(*(args + [SAMPLE]), expect_rc=0, binary=PLAIN)
    with open(out) as f:
        return json.load(f)["stats"]


@case
def dl_capture_on_1g_pages_misses_nothing():
    for arch, mode, policy in (("x86", "pml", "xen"), ("x86", "wp", "kvm"),
                               ("arm64", "hdbss", "kvm")):
        st = dl_stats("arch=" + arch, "dirtylog.mode=" + mode, "host.page=1g",
                      "sim.prefault=1", "dirtylog.policy=" + policy)
        what = "%s %s %s, 1 GB host pages" % (arch, mode, policy)
        eq(st["dirtylog.missed_pages"], 0, what + ": missed pages")
        if st["dirtylog.true_pages"] == 0 or st["dirtylog.splits"] == 0:
            raise Fail("%s: %d pages written, %d splits: the case tests nothing" %
                       (what, st["dirtylog.true_pages"], st["dirtylog.splits"]))


@case
def dl_range_ending_inside_a_large_page_runs():
    for arch, mode, huge in (("x86", "wp", "split"), ("arm64", "dbm", "split"),
                             ("x86", "pml", "wp")):
        st = dl_stats("arch=" + arch, "dirtylog.mode=" + mode, "dirtylog.range=1M",
                      "sim.prefault=1", "dirtylog.huge=" + huge)
        eq(st["dirtylog.missed_pages"], 0,
           "%s %s huge=%s range=1M: missed pages" % (arch, mode, huge))


@case
def dl_migrate_on_1g_pages_misses_nothing():
    t = path("dl-mig.slt")
    run("trace", "gen", "--pattern", "random", "--footprint", "8M", "--count", "50K",
        "--write-ratio", "0.05", "--seed", "7", "-o", t, expect_rc=0)
    out = path("dl-mig.json")
    # 1 TB/s and no sender cost of its own (migrate.send.cycles, issue 24):
    # round 0 sends the whole 1 GB host page in about a millisecond.
    run("migrate", "--quiet", "--set", "host.page=1g", "--set", "migrate.bandwidth=1T",
        "--set", "migrate.send.cycles=0", "--set", "migrate.max_rounds=4", "--json", out, t,
        expect_rc=0, binary=PLAIN)
    with open(out) as f:
        st = json.load(f)["stats"]
    eq(st["dirtylog.rounds"], 4, "rounds")
    eq(st["dirtylog.missed_pages"], 0, "missed pages")
    eq(st["migrate.lost_pages"], 0, "lost pages")


@case
def dl_policy_keys_refused_by_name():
    for key, allowed in (("dirtylog.policy", "xen|kvm"),
                         ("dirtylog.first_write", "policy|armed|dirty"),
                         ("dirtylog.dbm", "policy|start|fault"),
                         ("pml.drain", "policy|xen|kvm")):
        _, _, err = run("run", "--set", key + "=hyperv", SAMPLE, expect_rc=2)
        one_line(err, re.escape(key) + r".*" + re.escape(allowed), key)
