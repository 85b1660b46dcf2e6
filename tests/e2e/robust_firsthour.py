# Robust-tier cases for the first hour with slatsim (issue 29): params
# filtered and grouped by room, help for one command, a suggestion for a
# mistyped option. Run by run_robust.py in its namespace (run, eq, Fail...).
# Expected names and messages are written out by hand from the registry's
# table (sim/machine/params.c) and the wording, not copied from the tool.
import json as fh_json

FH_TLB = ["tlb.%s.%s" % (lvl, k) for lvl in ("l1i", "l1d", "l2")
          for k in ("entries", "ways", "latency", "policy")] + ["tlb.l2.index"]
FH_WAYS = ["tlb.l1i.ways", "tlb.l1d.ways", "tlb.l2.ways", "walkcache.s1.ways",
           "walkcache.s2.ways", "ntlb.ways", "cache.l1i.ways", "cache.l1d.ways",
           "cache.l2.ways", "cache.llc.ways"]


def fh_names(text):
    """The key lines (not the help lines, not the room lines) of params' text."""
    return [l.split()[0] for l in text.splitlines()
            if l and not l.startswith(" ") and not l.startswith("[")]


@case
def fh_params_filter_by_prefix_and_pattern():
    _, out, _ = run("params", "tlb", expect_rc=0)
    eq(out.splitlines()[0], "[tlb]", "params tlb: its room first")
    eq([l for l in out.splitlines() if l.startswith("[")], ["[tlb]"], "params tlb: one room")
    eq(fh_names(out), FH_TLB, "params tlb: the thirteen tlb.* keys (not ntlb)")
    _, out, _ = run("params", "tlb.l2", expect_rc=0)
    eq(fh_names(out), FH_TLB[8:], "params tlb.l2")
    _, out, _ = run("params", "tlb.l2.ways", expect_rc=0)
    eq(fh_names(out), ["tlb.l2.ways"], "params tlb.l2.ways: one key")
    _, out, _ = run("params", "--json", "*.ways", expect_rc=0)
    eq([d["name"] for d in fh_json.loads(out)], FH_WAYS, "params --json '*.ways'")
    # Two patterns: a key either names, once, in the registry's order.
    _, out, _ = run("params", "--json", "ntlb", "tlb.l1d.ways", "ntlb.ways", expect_rc=0)
    eq([d["name"] for d in fh_json.loads(out)],
       ["tlb.l1d.ways", "ntlb.entries", "ntlb.ways", "ntlb.latency"], "two patterns")
    # A filtered --json is the full list's entries, unchanged.
    _, full, _ = run("params", "--json", expect_rc=0)
    whole = [d for d in fh_json.loads(full) if d["name"] in FH_WAYS]
    _, out, _ = run("params", "--json", "*.ways", expect_rc=0)
    eq(fh_json.loads(out), whole, "filtered entries differ from the full list's")
    # "tlb.l" is neither a key nor a dotted prefix: refused, naming it.
    _, _, err = run("params", "tlb.l", expect_rc=2)
    eq(err, "slatsim: no parameter matches 'tlb.l' (a key, a dotted prefix such as "
       "'tlb.l2', or a pattern such as '*.latency')\nTry 'slatsim params --help'.\n",
       "params tlb.l")
    _, _, err = run("params", "tlb", "nosuch.*", expect_rc=2)
    eq(err.splitlines()[0].startswith("slatsim: no parameter matches 'nosuch.*'"), True,
       "one pattern of two matching nothing: %r" % err)


@case
def fh_params_rooms():
    _, out, _ = run("params", expect_rc=0)
    rooms = [l for l in out.splitlines() if l.startswith("[")]
    eq(len(rooms), len(set(rooms)), "a room listed twice: %r" % rooms)
    eq(rooms[0], "[general]", "seed, arch, virt come first, under general")
    for r in ("[tlb]", "[cache]", "[walkcache]", "[dirtylog]", "[domains]"):
        eq(r in rooms, True, "room %s missing from %r" % (r, rooms))
    # Every key once, each under its room (the name's first part).
    _, js, _ = run("params", "--json", expect_rc=0)
    want = sorted(d["name"] for d in fh_json.loads(js))
    eq(sorted(fh_names(out)), want, "params lists every key once")
    room = None
    for l in out.splitlines():
        if l.startswith("["):
            room = l[1:-1]
        elif l and not l.startswith(" "):
            name = l.split()[0]
            if room == "general":
                eq("." in name, False, "%s under general" % name)
            else:
                eq(name.split(".")[0], room, "%s under [%s]" % (name, room))
    # With --set, a pattern keeps the effective value column.
    _, out, _ = run("params", "--set", "tlb.l2.ways=6", "tlb.l2.ways", expect_rc=0)
    eq(out.splitlines()[1].split()[:3], ["tlb.l2.ways", "int", "6"], "value after --set")
    eq("    (default 12)" in out.splitlines(), True, "default shown after --set")


@case
def fh_help_for_one_command():
    _, want, _ = run("run", "--help", expect_rc=0)
    _, got, _ = run("help", "run", expect_rc=0)
    eq(got, want, "help run is run --help")
    eq(got.startswith("usage: slatsim run "), True, "run's own usage")
    _, got, _ = run("trace", "--help", expect_rc=0)
    eq(got.splitlines()[0], "usage: slatsim trace info|import|gen [ARGS]", "trace --help")
    _, got2, _ = run("help", "trace", expect_rc=0)
    eq(got2, got, "help trace is trace --help")
    _, want, _ = run("trace", "gen", "--help", expect_rc=0)
    _, got, _ = run("help", "trace", "gen", expect_rc=0)
    eq(got, want, "help trace gen is trace gen --help")
    _, _, err = run("help", "rnu", expect_rc=2)
    eq(err, "slatsim: unknown command 'rnu' (did you mean 'run'?)\nTry 'slatsim --help'.\n",
       "help rnu")
    _, _, err = run("help", "run", "x", expect_rc=2)
    eq(err.splitlines()[0], "slatsim: help takes one command ('run' has no subcommands)",
       "help run x")
    _, top, _ = run("--help", expect_rc=0)
    _, got, _ = run("help", expect_rc=0)
    eq(got, top, "help alone is --help")


@case
def fh_mistyped_option_gets_a_suggestion():
    _, _, err = run("run", "--sett", "tlb.l2.ways=6", "x.txt", expect_rc=2)
    eq(err, "slatsim: unknown option '--sett' (did you mean '--set'?)\n"
       "Try 'slatsim run --help'.\n", "run --sett")
    _, _, err = run("calibrate", "--prest=x.conf", expect_rc=2)
    eq(err.splitlines()[0], "slatsim: unknown option '--prest=x.conf' (did you mean "
       "'--preset'?)", "calibrate --prest=")
    _, _, err = run("run", "--bogus", "x.txt", expect_rc=2)
    eq(err, "slatsim: unknown option '--bogus'\nTry 'slatsim run --help'.\n",
       "no suggestion when nothing is near")
    _, _, err = run("sweep", "-x", expect_rc=2)
    eq(err.splitlines()[0], "slatsim: unknown option '-x'", "no suggestion for a short one")
