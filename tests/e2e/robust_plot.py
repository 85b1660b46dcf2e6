# Robust-tier cases for charts (issue 21, the second hostile pass): `slatsim
# plot` and `reach --plot`. Run by run_robust.py in its namespace (run,
# path, fresh_dir, one_line, eq, Fail, Skip, TEXT, SLATSIM, TMP...).
#
# What they hold every chart to:
#   - gnuplot never sees the user's name: a name with a control byte, a
#     quote, a backslash, a backquote, a leading dash or bytes that are not
#     UTF-8 gives a real PNG/SVG at exactly that name, and nothing else in
#     the directory (no hidden temporary);
#   - a failure (bad input, nothing to draw, gnuplot failing or writing
#     something that is not a complete chart, an output that cannot be
#     replaced) leaves the user's existing chart byte for byte and the
#     directory as it was, and its one-line message names the user's path,
#     never a temporary;
#   - an input is known by its content, not its name; bars and lines are
#     labelled by what differs between them (A/B of a --vs pair with its
#     key=value).
import shutil as plot_shutil
import xml.etree.ElementTree as plot_ET

PLOT_PNG_SIG = b"\x89PNG\r\n\x1a\n"
PLOT_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# Output names gnuplot could misread, or that a script could be broken by.
PLOT_NAMES = ["a\tb", "a\nb", "a\x01b", "a\x1fb", "a\x7fb", "it's", 'say "hi"', "back\\slash",
              "-dash", "semi;colon `touch PWNED` $(touch PWNED2) @GPVAL_TERM",
              os.fsdecode(b"not-utf8-\xff\xfe")]
PLOT_STATE = {}


def plot_need_gnuplot():
    if not plot_shutil.which("gnuplot"):
        raise Skip("gnuplot is not installed (apt-get install gnuplot-nox; make check does)")


def plot_run(cwd, *args, expect_rc=None, env=None):
    """Run slatsim in CWD (names relative to it stay exactly as given)."""
    p = subprocess.run([SLATSIM] + list(args), cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=300)
    err = p.stderr.decode(errors="replace")
    no_sanitizer_report(err)
    if expect_rc is not None and p.returncode != expect_rc:
        raise Fail("%r: exit %d, expected %d\nstderr: %s" %
                   (args, p.returncode, expect_rc, err[-2000:]))
    return p.returncode, p.stdout.decode(errors="replace"), err


def plot_listing(d):
    """Every name in D (hidden ones too) with its bytes or link target."""
    out = {}
    for n in sorted(os.listdir(d)):
        p = os.path.join(d, n)
        if os.path.islink(p):
            out[n] = ("link", os.readlink(p))
        elif os.path.isdir(p):
            out[n] = ("dir",)
        else:
            with open(p, "rb") as f:
                out[n] = ("file", f.read())
    return out


def plot_check_chart(file, svg, what):
    with open(file, "rb") as f:
        data = f.read()
    if svg:
        try:
            root = plot_ET.fromstring(data)
        except plot_ET.ParseError as ex:
            raise Fail("%s: not well-formed SVG: %s" % (what, ex))
        if not root.tag.endswith("svg"):
            raise Fail("%s: the document is <%s>, not <svg>" % (what, root.tag))
        return data
    if data[:8] != PLOT_PNG_SIG or data[-12:] != PLOT_PNG_IEND:
        raise Fail("%s: not a complete PNG (%d bytes, starts %r)" % (what, len(data), data[:8]))
    return data


def plot_svg_texts(file):
    """The text of every <text> element of an SVG chart."""
    root = plot_ET.parse(file).getroot()
    return ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("text")]


def plot_inputs():
    """The documents the charts read, made once: a trace, its reach --json,
    a run with dirty logging, a --vs pair, a sweep directory."""
    if PLOT_STATE:
        return PLOT_STATE
    d = fresh_dir("plot-inputs")
    s = PLOT_STATE
    s["trace"] = os.path.join(d, "t.txt")
    with open(s["trace"], "w") as f:
        f.write(TEXT)
    s["reach"] = os.path.join(d, "reach.json")
    run("reach", "--entries", "64", "--json", s["reach"], s["trace"],
        expect_rc=0)
    s["run"] = os.path.join(d, "run.json")
    run("run", "--quiet", "--json", s["run"], "--set", "dirtylog.mode=pml", s["trace"],
        expect_rc=0)
    s["vs"] = os.path.join(d, "vs.json")
    run("run", "--quiet", "--json", s["vs"], "--set", "dirtylog.mode=pml", "--vs",
        "dirtylog.mode=wp", s["trace"], expect_rc=0)
    s["sweep"] = os.path.join(d, "sw")
    run("sweep", "--quiet", "--grid", "tlb.l2.entries=768,1536", "--out", s["sweep"],
        s["trace"], expect_rc=0)
    return s


def plot_charts():
    """Each chart as a function of its output name: (what, arguments)."""
    s = plot_inputs()
    return [("plot reach", lambda o: ["plot", "reach", s["reach"], "-o", o]),
            ("plot sweep", lambda o: ["plot", "sweep", s["sweep"], "-o", o]),
            ("plot cycles", lambda o: ["plot", "cycles", s["run"], s["vs"], s["sweep"], "-o", o]),
            ("plot rounds", lambda o: ["plot", "rounds", s["vs"], "-o", o]),
            ("reach --plot", lambda o: ["reach", "--entries", "64", "--plot", o, s["trace"]])]


def plot_fake_gnuplot(d, body):
    """A directory holding a 'gnuplot' that answers --version and then runs
    BODY (sh); the environment that finds it first."""
    bindir = os.path.join(d, "fakebin")
    os.makedirs(bindir, exist_ok=True)
    g = os.path.join(bindir, "gnuplot")
    with open(g, "w") as f:
        f.write("#!/bin/sh\ncase \"$1\" in --version) echo 'gnuplot 5.4'; exit 0;; esac\n" +
                body + "\n")
    os.chmod(g, 0o755)
    env = dict(os.environ)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    return env


# ---------------------------------------------------------------- output names


@case
def plot_output_names_gnuplot_could_misread():
    # A control byte in OUT: gnuplot was told another name (the byte made a
    # space), the empty temporary was renamed over the user's chart and the
    # chart was left as a hidden temporary, exit 0. Now gnuplot writes to
    # its standard output and never sees a name.
    plot_need_gnuplot()
    for ci, (what, args) in enumerate(plot_charts()):
        for ni, base in enumerate(PLOT_NAMES):
            svg = (ci + ni) % 2 == 1
            name = base + (".svg" if svg else ".png")
            d = fresh_dir("plot-name-%d-%d" % (ci, ni))
            with open(os.path.join(d, name), "wb") as f:
                f.write(b"the user's old chart\n")
            plot_run(d, *args(name), expect_rc=0)
            got = plot_listing(d)
            eq(sorted(got), [name], "%s -o %r: the directory afterwards" % (what, name))
            plot_check_chart(os.path.join(d, name), svg, "%s -o %r" % (what, name))
            for marker in ("PWNED", "PWNED2"):
                if os.path.exists(os.path.join(d, marker)) or os.path.exists(marker):
                    raise Fail("%s -o %r: gnuplot ran a command from the name" % (what, name))


@case
def plot_output_that_cannot_be_replaced_is_refused_untouched():
    # A dangling symlink, a directory, a missing directory: refused (exit 2)
    # naming what the user gave, with nothing created or removed.
    plot_need_gnuplot()
    for ci, (what, args) in enumerate(plot_charts()):
        d = fresh_dir("plot-refuse-%d" % ci)
        os.symlink("nowhere/chart.png", os.path.join(d, "dangling.png"))
        os.mkdir(os.path.join(d, "adir.svg"))
        for out, pat in (("dangling.png", r"dangling\.png: a symbolic link to nothing"),
                         ("adir.svg", r"adir\.svg: is a directory"),
                         ("nodir/x.png", r"nodir/x\.png: cannot create: no such directory")):
            before = plot_listing(d)
            _, _, err = plot_run(d, *args(out), expect_rc=2)
            one_line(err, pat, "%s -o %s" % (what, out))
            eq(plot_listing(d), before, "%s -o %s: the directory afterwards" % (what, out))


# ---------------------------------------------------------------- failures


@case
def plot_failing_gnuplot_leaves_the_chart_as_it_was():
    # What gnuplot gives back is checked before the rename: nothing, not a
    # chart, a chart cut short, or a failure - the user's chart stays, no
    # temporary remains, exit 1 naming the user's path (never a temporary).
    plot_need_gnuplot()
    real = plot_shutil.which("gnuplot")
    fakes = [("writes nothing", "cat >/dev/null; exit 0", r"gnuplot wrote nothing"),
             ("writes text", "cat >/dev/null; echo 'not a chart'; exit 0",
              r"what gnuplot wrote \(12 bytes\) is not a complete (PNG|SVG); not put in place"),
             ("is cut short", "'%s' \"$@\" | head -c 300; exit 0" % real,
              r"what gnuplot wrote \(300 bytes\) is not a complete (PNG|SVG); not put in "
              r"place"),
             ("fails", "cat >/dev/null; echo '         line 7: no such terminal' >&2; exit 1",
              r"gnuplot failed \(exit status 1\): line 7: no such terminal"),
             ("is killed", "kill -9 $$", r"gnuplot failed \(signal 9\)")]
    for fi, (how, body, pat) in enumerate(fakes):
        d = fresh_dir("plot-fake-%d" % fi)
        env = plot_fake_gnuplot(os.path.join(TMP, "plot-fakebin-%d" % fi), body)
        for ci, (what, args) in enumerate(plot_charts()):
            svg = (ci + fi) % 2 == 1
            name = "chart%d.%s" % (ci, "svg" if svg else "png")
            with open(os.path.join(d, name), "wb") as f:
                f.write(b"the user's chart %d\n" % ci)
            before = plot_listing(d)
            _, _, err = plot_run(d, *args(name), expect_rc=1, env=env)
            one_line(err, re.escape(name) + ": " + pat, "%s when gnuplot %s" % (what, how))
            if "slatsim-" in err:
                raise Fail("%s when gnuplot %s: the message names a temporary: %r" %
                           (what, how, err))
            eq(plot_listing(d), before, "%s when gnuplot %s: the directory" % (what, how))


@case
def plot_bad_input_leaves_the_chart_as_it_was():
    # Bad input is exit 2 naming the input; the chart and directory stay.
    plot_need_gnuplot()
    s = plot_inputs()
    d = fresh_dir("plot-badin")
    nj = os.path.join(d, "bad.json")
    with open(nj, "w") as f:
        f.write('{"stats": {"cycles.total": 1,}}')
    zero = os.path.join(d, "zero.json")   # lookups but no miss: nothing on a log scale
    with open(zero, "w") as f:
        json.dump({"reach": {"d": {"4k": {"lookups": 10, "misses": [0, 0, 0]}}}}, f)
    nocount = os.path.join(d, "nocount.json")
    doc = json.load(open(s["run"]))
    del doc["stats"]["cycles.faults"]
    with open(nocount, "w") as f:
        json.dump(doc, f)
    chart = os.path.join(d, "chart.png")
    with open(chart, "wb") as f:
        f.write(b"the user's chart\n")
    for args, pat in ((["plot", "cycles", nj], r"bad\.json: not JSON: offset \d+"),
                      (["plot", "reach", zero], r"chart\.png: nothing to draw \(no point with a "
                       r"finite value, positive on the log scale\)"),
                      (["plot", "cycles", s["run"], nocount],
                       r"nocount\.json: stats\.cycles\.faults: not a count"),
                      (["plot", "rounds", os.path.join(d, "absent.json")],
                       r"absent\.json: No such file or directory")):
        before = plot_listing(d)
        _, _, err = plot_run(d, *(args + ["-o", "chart.png"]), expect_rc=2)
        one_line(err, pat, " ".join(args[:2]) + " " + os.path.basename(args[-1]))
        eq(plot_listing(d), before, "%s: the directory afterwards" % args[:3])


@case
def plot_reach_with_nothing_to_draw_still_writes_its_json():
    # A trace without lookups: --plot exited 1 ("internal") naming the
    # temporary, and --json was never written. Now: exit 2 naming the
    # user's --plot path, --json written, the old chart as it was.
    plot_need_gnuplot()
    d = fresh_dir("plot-reach-empty")
    t = os.path.join(d, "inv.txt")
    with open(t, "w") as f:
        f.write("0 I all\n")
    for name in ("keep.png", "ke\tep.svg"):
        with open(os.path.join(d, name), "wb") as f:
            f.write(b"old chart\n")
        with open(os.path.join(d, "r.json"), "wb") as f:
            f.write(b"old json\n")
        _, _, err = plot_run(d, "reach", "--json", "r.json", "--plot", name, t, expect_rc=2)
        shown = name.replace("\t", "\\x09")
        one_line(err, r"^slatsim: --plot %s: nothing to draw: .*inv\.txt has no lookups" %
                 re.escape(shown), "reach --plot " + shown)
        eq(open(os.path.join(d, name), "rb").read(), b"old chart\n", "the chart " + shown)
        doc = json.load(open(os.path.join(d, "r.json")))
        eq(doc["reach"]["d"]["4k"]["lookups"], 0, "--json written, with 0 lookups")
        eq(sorted(os.listdir(d)), sorted(["inv.txt", "r.json", "keep.png"] +
                                         (["ke\tep.svg"] if name != "keep.png" else [])),
           "no temporary left")


# ---------------------------------------------------------------- inputs


@case
def plot_inputs_are_known_by_content_not_name():
    plot_need_gnuplot()
    s = plot_inputs()
    d = fresh_dir("plot-content")
    runfile = os.path.join(d, "runfile")          # a run JSON without .json
    plot_shutil.copy(s["run"], runfile)
    dash = os.path.join(d, "-run")                # a name that looks like an option
    plot_shutil.copy(s["run"], dash)
    swjson = os.path.join(d, "sweep.out.json")    # a sweep directory named *.json
    plot_shutil.copytree(s["sweep"], swjson)
    ok = [["plot", "cycles", "runfile"], ["plot", "rounds", "runfile"],
          ["plot", "cycles", "sweep.out.json"], ["plot", "sweep", "sweep.out.json"],
          ["plot", "sweep", os.path.join(s["sweep"], "results.json")],
          ["plot", "cycles", os.path.join(s["sweep"], "points", "1.json")],
          ["plot", "cycles", "-o", "c.png", "--", "-run"]]
    for i, args in enumerate(ok):
        out = "ok%d.png" % i
        if "-o" not in args:
            args = args + ["-o", out]
        else:
            out = args[args.index("-o") + 1]
        plot_run(d, *args, expect_rc=0)
        plot_check_chart(os.path.join(d, out), False, " ".join(args))
        os.unlink(os.path.join(d, out))
    empty = os.path.join(d, "emptydir")
    os.mkdir(empty)
    other = os.path.join(d, "other.json")
    with open(other, "w") as f:
        f.write('{"a": 1}')
    bad = [(["plot", "sweep", s["run"]],
            r"run\.json: a 'run --json' document, not a sweep's directory"),
           (["plot", "sweep", "runfile"], r"runfile: a 'run --json' document, not a sweep's"),
           (["plot", "reach", s["vs"]], r"vs\.json: a 'run --vs' pair \(A and B\), not a "
            r"'reach --json' document"),
           (["plot", "rounds", s["sweep"]], r"sw/results\.json: a sweep's results, not a "
            r"'run --json' document or a 'run --vs' pair \(what plot rounds reads\)"),
           (["plot", "cycles", s["reach"]], r"reach\.json: a 'reach --json' document, not"),
           (["plot", "cycles", s["run"], other], r"other\.json: not a document slatsim writes"),
           (["plot", "reach", "emptydir"], r"emptydir: a directory without results\.json"),
           (["plot", "cycles", os.path.join(s["sweep"], "sweep.json")],
            r"sweep\.json: a sweep's manifest")]
    for args, pat in bad:
        before = plot_listing(d)
        _, _, err = plot_run(d, *(args + ["-o", "bad.png"]), expect_rc=2)
        one_line(err, pat, " ".join(args))
        eq(plot_listing(d), before, "%s: the directory afterwards" % " ".join(args[:2]))


@case
def plot_bars_are_labelled_by_what_differs():
    # Both bars of a --vs file had the same label (the file's name); two runs
    # in files of the same name too. Expected labels: the settings that
    # differ, A/B for a --vs pair.
    plot_need_gnuplot()
    s = plot_inputs()
    d = fresh_dir("plot-labels")
    plot_run(d, "plot", "cycles", s["vs"], "-o", "vs.svg", expect_rc=0)
    texts = plot_svg_texts(os.path.join(d, "vs.svg"))
    for want in ("A: dirtylog.mode=pml", "B: dirtylog.mode=wp"):
        if want not in texts:
            raise Fail("plot cycles of a --vs pair: no label %r in %r" % (want, texts))
    for sub, seed in (("one", 1), ("two", 2)):
        os.mkdir(os.path.join(d, sub))
        run("run", "--quiet", "--set", "seed=%d" % seed, "--json",
            os.path.join(d, sub, "run.json"), s["trace"], expect_rc=0)
    plot_run(d, "plot", "cycles", "one/run.json", "two/run.json", "-o", "seeds.svg",
             expect_rc=0)
    texts = plot_svg_texts(os.path.join(d, "seeds.svg"))
    for want in ("seed=1", "seed=2"):
        if want not in texts:
            raise Fail("two runs differing in seed: no label %r in %r" % (want, texts))
    # The same file twice: nothing differs, not even the name: its place.
    plot_run(d, "plot", "cycles", "one/run.json", "one/run.json", "-o", "twice.svg",
             expect_rc=0)
    texts = plot_svg_texts(os.path.join(d, "twice.svg"))
    for want in ("one/run.json #1", "one/run.json #2"):
        if want not in texts:
            raise Fail("the same run twice: no label %r in %r" % (want, texts))


@case
def plot_rounds_of_a_vs_pair_draws_both_runs():
    # plot rounds of a --vs file said the run had no dirty logging.
    plot_need_gnuplot()
    s = plot_inputs()
    d = fresh_dir("plot-rounds")
    plot_run(d, "plot", "rounds", s["vs"], "-o", "vs.svg", expect_rc=0)
    texts = plot_svg_texts(os.path.join(d, "vs.svg"))
    for want in ("A: dirtylog.mode=pml", "B: dirtylog.mode=wp"):
        if want not in texts:
            raise Fail("plot rounds of a --vs pair: no line %r in %r" % (want, texts))
    # A without dirty logging, B with: B's line, and the title says why A has none.
    half = os.path.join(d, "half.json")
    run("run", "--quiet", "--json", half, "--vs", "dirtylog.mode=pml", s["trace"], expect_rc=0)
    plot_run(d, "plot", "rounds", half, "-o", "half.svg", expect_rc=0)
    texts = plot_svg_texts(os.path.join(d, "half.svg"))
    if "B: dirtylog.mode=pml" not in texts or not any(
            "(A has no round: the run had no dirty logging, dirtylog.mode=off)" in t
            for t in texts):
        raise Fail("plot rounds, A off and B pml: %r" % texts)
    # Neither: refused, saying so for each.
    off = os.path.join(d, "off.json")
    run("run", "--quiet", "--json", off, "--vs", "seed=2", s["trace"], expect_rc=0)
    _, _, err = plot_run(d, "plot", "rounds", off, "-o", "off.png", expect_rc=2)
    one_line(err, r"off\.json: no dirty-logging rounds: A: the run had no dirty logging, "
             r"dirtylog\.mode=off; B: the run had no dirty logging", "rounds of A and B off")
    eq(os.path.exists(os.path.join(d, "off.png")), False, "no chart")
    # Two domains: a line each (their rounds were one zig-zag line).
    t2 = os.path.join(d, "t2.txt")
    with open(t2, "w") as f:
        f.write("0 R 0x7f0000001000 8\n1 W 0x7f0000002000 8\n0 W 0x7f0000003000 8\n")
    dom = os.path.join(d, "dom.json")
    run("run", "--quiet", "--json", dom, "--set", "dirtylog.mode=pml", "--set", "domains=2",
        "--set", "vcpu.domain=0,1", t2, expect_rc=0)
    plot_run(d, "plot", "rounds", dom, "-o", "dom.svg", expect_rc=0)
    texts = plot_svg_texts(os.path.join(d, "dom.svg"))
    for want in ("domain 0", "domain 1"):
        if want not in texts:
            raise Fail("plot rounds of two domains: no line %r in %r" % (want, texts))


@case
def plot_text_from_file_names_cannot_break_the_script():
    # Titles and labels come from file names (the input's, the traces'):
    # quotes, backslashes, backquotes, semicolons, newlines and bytes that
    # are not UTF-8 are text on the chart, never gnuplot syntax or a command.
    plot_need_gnuplot()
    s = plot_inputs()
    d = fresh_dir("plot-text")
    nasty = os.fsdecode(b"it's \"q\" \\ ;`touch PWNED3`@GPVAL_TERM\n\x01\xff")
    runjson = os.path.join(d, nasty + ".json")
    plot_shutil.copy(s["run"], runjson)
    t2 = os.path.join(d, nasty + ".txt")
    plot_shutil.copy(s["trace"], t2)
    run("sweep", "--quiet", "--grid", "seed=1", "--out", os.path.join(d, "sw2"), s["trace"], t2,
        expect_rc=0)
    # (a bar's label stands at most 45% of the figure's height and keeps its
    # end: the cycles chart is tall enough for the file's name)
    for i, args in enumerate((["plot", "rounds", runjson],
                              ["plot", "cycles", runjson, s["run"], "--size", "960x1400"],
                              ["plot", "sweep", "sw2", "--x", "seed"], ["plot", "cycles", "sw2"])):
        out = "text%d.svg" % i
        plot_run(d, *(args + ["-o", out]), expect_rc=0)
        plot_check_chart(os.path.join(d, out), True, " ".join(args[:2]))
        texts = " ".join(plot_svg_texts(os.path.join(d, out)))
        # (a control byte or a byte that is not UTF-8 is a '?' on the chart;
        # a sweep's results.json holds the trace's name as its writer made it.
        # The rounds chart's title is the trace's, short: the input's path is
        # in the metadata, <desc>, where a line break stays one.)
        shown = "it's \"q\" \\ ;`touch PWNED3`@GPVAL_TERM" + ("???" if i == 1 else "")
        if i == 0:
            desc = plot_ET.parse(os.path.join(d, out)).getroot().find(
                "{http://www.w3.org/2000/svg}desc")
            texts = desc.text if desc is not None else ""
            shown += "\n??"
        if shown not in texts:
            raise Fail("%s: the name is not on the chart as text: %r" % (args[:2], texts))
        if os.path.exists(os.path.join(d, "PWNED3")) or os.path.exists("PWNED3"):
            raise Fail("%s: gnuplot ran a command from a file name" % args[:2])


@case
def plot_interrupted_while_gnuplot_draws_leaves_the_chart():
    # SIGTERM or SIGINT while gnuplot draws: 128 + the signal, the old chart
    # as it was, no temporary (gnuplot writes into the temporary, which the
    # signal watcher removes; gnuplot itself sees its input end).
    plot_need_gnuplot()
    for si, sig in enumerate((signal.SIGTERM, signal.SIGINT)):
        d = fresh_dir("plot-sig-%d" % si)
        started = os.path.join(d, "..", "plot-sig-%d.started" % si)
        env = plot_fake_gnuplot(os.path.join(TMP, "plot-fakebin-sig-%d" % si),
                                "touch '%s'; cat >/dev/null; sleep 3" % started)
        for ci, (what, args) in enumerate(plot_charts()):
            if os.path.exists(started):
                os.unlink(started)
            name = "chart%d.png" % ci
            with open(os.path.join(d, name), "wb") as f:
                f.write(b"the user's chart\n")
            before = plot_listing(d)
            p = subprocess.Popen([SLATSIM] + args(name), cwd=d, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for _ in range(600):
                if os.path.exists(started) or p.poll() is not None:
                    break
                time.sleep(0.05)
            if not os.path.exists(started):
                p.kill()
                p.communicate()
                raise Fail("%s: the fake gnuplot never started" % what)
            p.send_signal(sig)
            _, err = p.communicate(timeout=60)
            no_sanitizer_report(err.decode(errors="replace"))
            eq(p.returncode, 128 + sig, "%s interrupted by %s: exit status" % (what, sig.name))
            eq(plot_listing(d), before, "%s interrupted by %s: the directory" % (what, sig.name))
