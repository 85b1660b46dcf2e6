# Robust-tier cases for hardware stage-1 A/D (guest.hw_accessed,
# guest.hw_dirty) and explain's --after (issue 28 items 4 and 5). Run by
# run_robust.py in its namespace: run, write, one_line, eq, Fail, TEXT, BAD,
# SAMPLE, case.
import json


def ad_stats(trace, *sets):
    out = path("ad-%d.json" % len(os.listdir(TMP)))
    args = ["run", "--quiet", "--json", out]
    for kv in sets:
        args += ["--set", kv]
    run(*(args + [trace]), expect_rc=0)
    return json.load(open(out))["stats"]


def ad_usage(args, pattern, what):
    _, _, err = run(*args, expect_rc=2)
    first = err.strip().splitlines()[0] if err.strip() else ""
    if not re.search(pattern, first):
        raise Fail("%s: stderr %r does not start with a line matching %r" % (what, err, pattern))


@case
def ad_explain_trace_options_are_checked():
    t = write("ad-text.txt", TEXT)
    ad_usage(["explain", "--limit", "3", "7f0000001000"],
             r"--limit applies to the trace of --after TRACE", "--limit without --after")
    ad_usage(["explain", "--format", "text", "7f0000001000"],
             r"--format applies to the trace of --after TRACE", "--format without --after")
    ad_usage(["explain", "--after", t, "--after", t, "7f0000001000"], r"--after",
             "--after twice")
    ad_usage(["explain", "--after", t, "--limit", "x", "7f0000001000"], r"--limit 'x'",
             "a bad --limit")
    # a trace that is not there, and one that breaks at line 2: one line each,
    # naming the file (and the line), exit 2
    _, _, err = run("explain", "--after", path("ad-none.txt"), "7f0000001000", expect_rc=2)
    one_line(err, r"ad-none\.txt", "a missing --after trace")
    bad = write("ad-bad.txt", BAD)
    _, _, err = run("explain", "--after", bad, "7f0000001000", expect_rc=2)
    one_line(err, r"ad-bad\.txt: line 2", "a damaged --after trace")


@case
def ad_keys_are_refused_by_name():
    for key in ("guest.hw_accessed", "guest.hw_dirty"):
        _, _, err = run("run", "--set", "%s=maybe" % key, SAMPLE, expect_rc=2)
        if key not in err:
            raise Fail("%s=maybe: %r does not name the key" % (key, err))
        _, _, err = run("run", "--set", "domain.1.%s=0" % key, SAMPLE, expect_rc=2)
        if "domain" not in err:
            raise Fail("domain.1.%s on one domain: %r" % (key, err))


@case
def ad_switches_do_what_they_say():
    # TEXT: a read of 0x7f0000001000, a write of 0x7f0000002000 (same PT).
    t = write("ad-two.txt", TEXT)
    # x86, both on: A in the PML4E, PDPTE, PDE, PTE (4 writes), then A and D
    # in the second PTE (1 write): 5 writes, 5 A, 1 D.
    st = ad_stats(t, "guest.hw_accessed=1", "guest.hw_dirty=1")
    eq((st["walk.s1_ad_writes"], st["walk.s1_accessed"], st["walk.s1_dirtied"]), (5, 5, 1),
       "x86 A and D by hardware")
    # x86, A preset, D by hardware: the second PTE's D only.
    st = ad_stats(t, "guest.hw_accessed=0", "guest.hw_dirty=1")
    eq((st["walk.s1_ad_writes"], st["walk.s1_accessed"], st["walk.s1_dirtied"]), (1, 0, 1),
       "x86 D alone")
    # both off: nothing, and walk.ad_writes (both stages) is 0 without logging
    st = ad_stats(t, "guest.hw_accessed=0", "guest.hw_dirty=0")
    eq((st["walk.s1_ad_writes"], st["walk.ad_writes"]), (0, 0), "x86 preset")
    # the default is the guest that presets them (a Linux guest): the same
    eq(ad_stats(t), st, "the default presets A/D")
    # arm64: HA sets AF in the 2 leaves (no AF in table descriptors), HD
    # makes the second writable-dirty in the same write: 2 writes, 2 AF, 1.
    st = ad_stats(t, "arch=arm64", "guest.hw_accessed=1", "guest.hw_dirty=1")
    eq((st["walk.s1_ad_writes"], st["walk.s1_accessed"], st["walk.s1_dirtied"]), (2, 2, 1),
       "arm64 HA+HD")
    # TCR_EL1.HD has no effect without HA: hw_dirty=1 alone changes nothing.
    st = ad_stats(t, "arch=arm64", "guest.hw_accessed=0", "guest.hw_dirty=1")
    eq((st["walk.s1_ad_writes"], st["tlb.dirty_walks"]), (0, 0), "arm64 HD without HA")
