# Robust-tier cases of the JSON slatsim reads back (issue 22: sim/output/jsonr.c
# stays, and refuses what a library's strict mode refuses): a member name
# given twice in one object - RFC 8259 §4 leaves it to the reader, and
# readers differ (jsonr took the first, Python's json the last), so
# `sweep --collect` could have tabled another value than the one a script
# reading the point file sees. Run by run_robust.py in its namespace (run,
# path, fresh_dir, write, eq, TEXT); names here start json_.


def json_second(text, name):
    """The byte offset of the second "NAME" in TEXT (ASCII): where the
    reader must stop."""
    key = '"%s"' % name
    return text.index(key, text.index(key) + 1)


def json_dir_with_trace(name):
    """A fresh directory NAME holding t.txt (TEXT): (the directory, the trace)."""
    d = fresh_dir(name)
    return d, write(os.path.join(name, "t.txt"), TEXT)


@case
def json_collect_refuses_a_statistic_named_twice():
    d, t = json_dir_with_trace("json-dup")
    out = os.path.join(d, "sw")
    run("sweep", "--quiet", "--grid", "seed=1,2", "--out", out, t, expect_rc=0)
    pp = os.path.join(out, "points", "1.json")
    text = open(pp).read()
    # A "records" of 0 before the real one: the reader that takes the first
    # would table 0 records, the one that takes the last 2.
    text = text.replace('"stats": {', '"stats": {"records": 0, ', 1)
    open(pp, "w").write(text)
    for f in ("results.csv", "results.json"):
        os.unlink(os.path.join(out, f))
    _, _, err = run("sweep", "--collect", out, expect_rc=2)
    eq(err, "slatsim: %s: not JSON: offset %d: a member name given twice in one object\n"
       % (pp, json_second(text, "records")), "--collect, records twice")
    eq(sorted(os.listdir(out)), ["points", "sweep.json"], "nothing written")
    # A resume reads the point file too: the same refusal, nothing run.
    _, _, err = run("sweep", "--quiet", "--grid", "seed=1,2", "--out", out, t, expect_rc=2)
    eq(err, "slatsim: %s: not JSON: offset %d: a member name given twice in one object\n"
       % (pp, json_second(text, "records")), "resume, records twice")


@case
def json_plot_refuses_a_run_with_two_stats_objects():
    d, t = json_dir_with_trace("json-dup-plot")
    j = os.path.join(d, "r.json")
    run("run", "--quiet", "--json", j, t, expect_rc=0)
    text = open(j).read().rstrip()
    eq(text[-1], "}", "run --json ends its object")
    text = text[:-1] + ', "stats": {"cycles.total": 1}}\n'
    open(j, "w").write(text)
    chart = os.path.join(d, "c.svg")
    _, _, err = run("plot", "cycles", j, "-o", chart, expect_rc=2)
    eq(err, "slatsim: %s: not JSON: offset %d: a member name given twice in one object\n"
       % (j, json_second(text, "stats")), "plot cycles, stats twice")
    eq(os.path.exists(chart), False, "no chart")
