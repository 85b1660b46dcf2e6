# Robust-tier cases for charts that go into a paper (issue 25): every chart
# kind renders from a fixture (slatsim's exit 0 is gnuplot's exit 0 and a
# checked chart: a PNG of the size asked for, an SVG that parses), and what
# is on its face is what a figure needs - units on every axis, thousands
# separators and never 3e+07, every stream and page size of reach with the
# configuration's sizes marked, series and panels chosen by --series,
# --facet and --where, cycles per instruction at 96 points arranged in
# panels and groups named by their keys, rounds from zero with the partial
# last round said, a short title and the paths in the file's metadata.
# Run by run_robust.py in its namespace (run, path, fresh_dir, one_line, eq,
# Fail, Skip, SLATSIM, PLAIN, TMP...).
#
# The fixtures are made by the plain binary (fast) from a trace written
# here; the charts by the binary under test. Expected values are worked out
# here from the fixtures' numbers, never read from a chart.
import math as charts_math
import shutil as charts_shutil
import struct as charts_struct
import xml.etree.ElementTree as charts_ET
import zlib as charts_zlib

CHARTS = {}
CHARTS_SUP = {"\u2070": "0", "\u00b9": "1", "\u00b2": "2", "\u00b3": "3", "\u2074": "4",
              "\u2075": "5", "\u2076": "6", "\u2077": "7", "\u2078": "8", "\u2079": "9",
              "\u207b": "-"}


def charts_need_gnuplot():
    if not charts_shutil.which("gnuplot"):
        raise Skip("gnuplot is not installed (apt-get install gnuplot-nox; make check does)")


def charts_trace():
    """Code fetches over 24 pages, reads and writes over 300 data pages in a
    skewed pattern: every stream has lookups, and small TLBs miss."""
    lines = []
    x = 12345
    for i in range(6000):
        x = (x * 1103515245 + 12345) & 0x7fffffff
        code = 0x400000 + (x % 24) * 0x1000 + (i % 64) * 4
        lines.append("0 X %x 4" % code)
        page = (x >> 8) % 300 if (x >> 4) % 4 else (x >> 8) % 12
        kind = "W" if (x >> 12) % 5 == 0 else "R"
        lines.append("0 %s %x 8" % (kind, 0x7f0000000000 + page * 0x1000 + (x % 500) * 8))
    return "\n".join(lines) + "\n"


def charts_fixtures():
    """A trace; its reach --json; a run with dirty logging in rounds of
    1,000 instructions; a --vs pair; a 12-point sweep (3 keys) and a
    96-point one (4 keys). Made once, by the plain binary when there is one."""
    if CHARTS:
        return CHARTS
    mk = PLAIN or SLATSIM
    d = fresh_dir("charts-fixtures")
    s = CHARTS
    s["dir"] = d
    s["trace"] = os.path.join(d, "loop.txt")
    with open(s["trace"], "w") as f:
        f.write(charts_trace())
    s["reach"] = os.path.join(d, "reach.json")
    run("reach", "--entries", "2048", "--json", s["reach"], s["trace"], expect_rc=0, binary=mk)
    s["run"] = os.path.join(d, "run.json")
    run("run", "--quiet", "--json", s["run"], "--set", "dirtylog.mode=pml",
        "--set", "dirtylog.period=1100", s["trace"], expect_rc=0, binary=mk)
    s["vs"] = os.path.join(d, "vs.json")
    run("run", "--quiet", "--json", s["vs"], "--set", "dirtylog.mode=pml",
        "--set", "dirtylog.period=1100", "--vs", "dirtylog.mode=wp", s["trace"], expect_rc=0,
        binary=mk)
    s["sweep"] = os.path.join(d, "sw")
    run("sweep", "--quiet", "--grid", "tlb.l2.entries=384,768,1536",
        "--grid", "tlb.l2.policy=lru,plru", "--grid", "guest.page=4k,thp",
        "--out", s["sweep"], s["trace"], expect_rc=0, binary=mk)
    s["big"] = os.path.join(d, "big")
    run("sweep", "--quiet", "--grid", "tlb.l2.entries=256,512,1024,2048",
        "--grid", "tlb.l2.ways=4,8,16", "--grid", "tlb.l2.policy=lru,plru",
        "--grid", "guest.page=4k,thp", "--out", s["big"], s["trace"], expect_rc=0, binary=mk)
    return s


def charts_png(file):
    """(width, height, {keyword: text}) of a complete PNG whose chunks' CRCs
    hold; fails otherwise."""
    with open(file, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[-12:] != b"\x00\x00\x00\x00IEND\xaeB`\x82":
        raise Fail("%s: not a complete PNG (%d bytes)" % (file, len(data)))
    i, meta, size = 8, {}, None
    while i < len(data):
        n, = charts_struct.unpack(">I", data[i:i + 4])
        kind, body = data[i + 4:i + 8], data[i + 8:i + 8 + n]
        crc, = charts_struct.unpack(">I", data[i + 8 + n:i + 12 + n])
        if charts_zlib.crc32(kind + body) & 0xffffffff != crc:
            raise Fail("%s: chunk %r at %d: bad CRC" % (file, kind, i))
        if kind == b"IHDR":
            size = charts_struct.unpack(">II", body[:8])
        if kind == b"iTXt":
            key, rest = body.split(b"\0", 1)
            # compression flag and method, then language tag and translated keyword
            if rest[:2] != b"\0\0":
                raise Fail("%s: iTXt %r is compressed" % (file, key))
            text = rest[2:].split(b"\0", 2)[2]
            meta[key.decode()] = text.decode("utf-8")
        i += 12 + n
    if not size or len(data) < 1000:
        raise Fail("%s: no IHDR, or an image of %d bytes" % (file, len(data)))
    return size[0], size[1], meta


def charts_svg(file):
    """(width, height, [texts on the face], title, desc) of an SVG chart."""
    root = charts_ET.parse(file).getroot()
    if not root.tag.endswith("svg"):
        raise Fail("%s: <%s>, not <svg>" % (file, root.tag))
    ns = root.tag[:-3]
    title = root.find(ns + "title")
    desc = root.find(ns + "desc")
    texts = ["".join(e.itertext()) for e in root.iter() if e.tag == ns + "text"]
    return (int(root.get("width")), int(root.get("height")), texts,
            title.text if title is not None else None, desc.text if desc is not None else None)


def charts_no_exponent(texts, what):
    for t in texts:
        if re.search(r"\d[eE][+-]?\d", t):
            raise Fail("%s: %r is in exponent notation" % (what, t))


def charts_number(t):
    """A tic's text as a number: '1,536', '0.001', '10⁻⁵', '1'."""
    if t.startswith("10") and len(t) > 2 and t[2] in CHARTS_SUP:
        return 10.0 ** int("".join(CHARTS_SUP[c] for c in t[2:]))
    return float(t.replace(",", ""))


def charts_err(err, pattern, what):
    """A refusal: its first line (a usage error's hint follows) matches."""
    first = err.strip().splitlines()[0] if err.strip() else ""
    if not re.search(pattern, first) or len(err.strip().splitlines()) > 2:
        raise Fail("%s: stderr %r does not say %r" % (what, err, pattern))


def charts_has(texts, want, what):
    if want not in texts:
        raise Fail("%s: no text %r on the chart; it has %r" % (what, want, texts))


# ---------------------------------------------------------------- every kind


@case
def charts_each_kind_renders_at_the_size_asked():
    # Each chart kind from its fixture, as PNG at a size given and at the
    # default (960 x 600 for one row of panels), and as SVG: slatsim exits 0
    # only when gnuplot did and the chart checked out; the image is what
    # was asked, with the title and description in its metadata.
    charts_need_gnuplot()
    s = charts_fixtures()
    d = fresh_dir("charts-kinds")
    kinds = [("reach", ["plot", "reach", s["reach"]]),
             ("reach --plot", ["reach", "--entries", "2048", s["trace"], "--plot"]),
             ("sweep", ["plot", "sweep", s["sweep"], "--stat", "walk.count"]),
             ("cycles", ["plot", "cycles", s["sweep"]]),
             ("cycles of runs", ["plot", "cycles", s["run"], s["vs"]]),
             ("rounds", ["plot", "rounds", s["run"]])]
    for i, (what, args) in enumerate(kinds):
        for size, want in (("800x500", (800, 500)), (None, None)):
            out = os.path.join(d, "k%d-%s.png" % (i, size or "default"))
            extra = ["--size", size] if size and args[0] == "plot" else []
            if args[-1] == "--plot":
                if size:
                    continue   # (reach --plot has the default size only)
                run(*(args + [out]), expect_rc=0)
            else:
                run(*(args + extra + ["-o", out]), expect_rc=0)
            w, h, meta = charts_png(out)
            if want:
                eq((w, h), want, "%s --size %s: the PNG's size" % (what, size))
            else:   # (reach and rounds: one row of two panels)
                eq((w, h), (960, 600), "%s: the default size" % what)
            for key in ("Title", "Description", "Software"):
                if not meta.get(key):
                    raise Fail("%s: no %s in the PNG's metadata: %r" % (what, key, meta))
        svg = os.path.join(d, "k%d.svg" % i)
        if args[-1] == "--plot":
            run(*(args + [svg]), expect_rc=0)
        else:
            run(*(args + ["--size", "700x450", "-o", svg]), expect_rc=0)
        w, h, texts, title, desc = charts_svg(svg)
        if args[-1] != "--plot":
            eq((w, h), (700, 450), "%s: the SVG's size" % what)
        if not title or not desc or title not in texts:
            raise Fail("%s: SVG title %r (on the face: %r) and desc %r" % (what, title,
                                                                            title in texts, desc))
        charts_no_exponent(texts, what)


@case
def charts_size_is_checked():
    charts_need_gnuplot()
    s = charts_fixtures()
    d = fresh_dir("charts-size")
    for bad in ("10x10", "800", "800x", "x600", "9000x600", "-800x600", "800x600x2", "8e2x600"):
        _, _, err = run("plot", "reach", s["reach"], "--size", bad, "-o",
                        os.path.join(d, "x.png"), expect_rc=2)
        charts_err(err, r"--size '%s': WIDTHxHEIGHT in pixels, each 200\.\.8192" % re.escape(bad),
                 "--size " + bad)
    # 96 points in 16 panels on 200 x 200 pixels: refused, saying why
    _, _, err = run("plot", "sweep", s["big"], "--facet", "tlb.l2.ways", "--size", "200x200",
                    "-o", os.path.join(d, "x.png"), expect_rc=2)
    one_line(err, r"x\.png: a 200x200 figure leaves .* for each of its 3 panels",
             "a figure too small")
    eq(os.listdir(d), [], "nothing written")


# ---------------------------------------------------------------- reach


@case
def charts_reach_draws_every_stream_and_size_with_the_configuration_marked():
    charts_need_gnuplot()
    s = charts_fixtures()
    d = fresh_dir("charts-reach")
    out = os.path.join(d, "r.svg")
    run("plot", "reach", s["reach"], "-o", out, expect_rc=0)
    _, _, texts, title, desc = charts_svg(out)
    for want in ("data stream (L1D: reads and writes)", "instruction stream (L1I: fetches)",
                 "4 KB pages = the configuration's entries", "16 KB pages", "64 KB pages",
                 "2 MB pages", "TLB entries (fully associative, LRU)",
                 "miss ratio (misses per lookup)", "L1D 64", "L1I 128", "L2 1,536"):
        charts_has(texts, want, "plot reach")
    charts_no_exponent(texts, "plot reach")
    # A short title (the trace has no description: its file's name), the
    # full path in the metadata only.
    eq(title, "loop.txt: TLB miss ratio against entries, per page size", "the title")
    if not any(s["trace"] in t for t in [desc]) or any(s["trace"] in t for t in texts):
        raise Fail("the trace's path: in the desc %r, on the face %r" % (desc, texts))
    # The log y reaches a decade below the smallest miss ratio drawn: no
    # curve lies on the axis.
    doc = json.load(open(s["reach"]))
    least = min(m / c["lookups"] for st in doc["reach"].values() for c in st.values()
                if c["lookups"] for m in c["misses"] if m)
    ticks = [charts_number(t) for t in texts if re.fullmatch(r"10[\u207b\u2070-\u2079\u00b9"
                                                              r"\u00b2\u00b3]+|[0-9.,]+", t)]
    bottom = min(t for t in ticks if t <= 1)
    if not bottom < least:
        raise Fail("the lowest y tic %g is not below the smallest miss ratio %g" %
                   (bottom, least))
    # The combined size when it varies (thp): its own line; a size of the
    # configuration marked where it is (96 L1D entries).
    rj = os.path.join(d, "thp.json")
    run("reach", "--entries", "256", "--set", "guest.page=thp", "--set", "tlb.l1d.entries=96",
        "--set", "tlb.l1d.ways=6", "--json", rj, s["trace"], expect_rc=0, binary=PLAIN or SLATSIM)
    run("plot", "reach", rj, "--mpki", "-o", out, expect_rc=0)
    _, _, texts, title, _ = charts_svg(out)
    for want in ("the configuration's entries (mixed sizes)", "4 KB pages", "L1D 96",
                 "MPKI (misses per 1,000 instructions)"):
        charts_has(texts, want, "plot reach --mpki of a thp configuration")
    if "L2 1,536" in texts:
        raise Fail("L2 1,536 marked on a chart of 256 entries")
    eq(title, "loop.txt: TLB MPKI against entries, per page size", "the --mpki title")


@case
def charts_reach_plot_and_plot_reach_draw_the_same_face():
    # One function draws both: the same texts, in the same order; only the
    # metadata says where plot reach read its numbers.
    charts_need_gnuplot()
    s = charts_fixtures()
    d = fresh_dir("charts-same")
    a, b = os.path.join(d, "a.svg"), os.path.join(d, "b.svg")
    j = os.path.join(d, "r.json")
    run("reach", "--entries", "2048", "--json", j, "--plot", a, s["trace"], expect_rc=0)
    run("plot", "reach", j, "-o", b, expect_rc=0)
    _, _, ta, tia, da = charts_svg(a)
    _, _, tb, tib, db = charts_svg(b)
    eq(ta, tb, "the texts of reach --plot and plot reach")
    eq(tia, tib, "their titles")
    if "Read from" in da or os.path.realpath(j) not in db:
        raise Fail("metadata: reach --plot %r, plot reach %r" % (da, db))
    _, _, err = run("reach", "--mpki", "--json", os.path.join(d, "x.json"), s["trace"],
                    expect_rc=2)
    charts_err(err, r"--mpki is what --plot draws: give --plot FILE too", "reach --mpki")
    _, _, err = run("plot", "sweep", s["sweep"], "--mpki", "-o", b, expect_rc=2)
    charts_err(err, r"--mpki is an option of plot reach", "plot sweep --mpki")


# ---------------------------------------------------------------- sweep


@case
def charts_sweep_series_facets_and_where():
    charts_need_gnuplot()
    s = charts_fixtures()
    d = fresh_dir("charts-sweep")
    out = os.path.join(d, "s.svg")
    rows = json.load(open(os.path.join(s["sweep"], "results.json")))
    # default: x the first key, a line per the next, a panel per the rest
    run("plot", "sweep", s["sweep"], "--stat", "tlb.l2.misses", "-o", out, expect_rc=0)
    _, _, texts, title, _ = charts_svg(out)
    for want in ("guest.page=4k", "guest.page=thp", "tlb.l2.policy=lru", "tlb.l2.policy=plru",
                 "tlb.l2.entries (entries)", "tlb.l2.misses (misses)", "384", "768", "1,536"):
        charts_has(texts, want, "plot sweep")
    eq(title, "loop.txt: tlb.l2.misses against tlb.l2.entries, by tlb.l2.policy, a panel per "
       "guest.page", "the title")
    # Lines drawn over one another are said (lru and plru alike on a panel).
    for gp in ("4k", "thp"):
        by = {}
        for r in rows:
            if r["params"]["guest.page"] == gp:
                by.setdefault(r["params"]["tlb.l2.policy"], []).append(
                    r["stats"]["tlb.l2.misses"])
        same = by["lru"] == by["plru"]
        note = "identical: tlb.l2.policy=lru, plru"
        if same != (note in texts):
            raise Fail("guest.page=%s: lru %r, plru %r, the note %s" %
                       (gp, by["lru"], by["plru"], "missing" if same else "wrong"))
    # --series and --facet swap the roles; --where keeps a value (said under
    # the title); walk.count's unit.
    run("plot", "sweep", s["sweep"], "--stat", "walk.count", "--series", "guest.page",
        "--facet", "tlb.l2.policy", "-o", out, expect_rc=0)
    _, _, texts, _, _ = charts_svg(out)
    for want in ("tlb.l2.policy=lru", "tlb.l2.policy=plru", "guest.page=4k", "walk.count (walks)"):
        charts_has(texts, want, "--series guest.page --facet tlb.l2.policy")
    run("plot", "sweep", s["sweep"], "--where", "guest.page=thp", "--where",
        "tlb.l2.policy=lru", "-o", out, expect_rc=0)
    _, _, texts, _, _ = charts_svg(out)
    charts_has(texts, "with tlb.l2.policy=lru, guest.page=thp", "--where")
    if "guest.page=4k" in texts:
        raise Fail("--where guest.page=thp drew 4k")
    # a numeric x spanning 4x is log2 at the measured values; --xscale linear
    for bad, pat in ((["--where", "nokey=1"], r"--where nokey: not a swept key of .*results\.json "
                      r"\(swept: tlb\.l2\.entries, tlb\.l2\.policy, guest\.page\)"),
                     (["--where", "guest.page=1g"], r"--where guest\.page=1g: no point has "
                      r"guest\.page=1g \(its values: 4k, thp\)"),
                     (["--where", "guest.page"], r"--where 'guest\.page': KEY=VALUE"),
                     (["--series", "tlb.l2.entries"], r"--series tlb\.l2\.entries: the x axis' "
                      r"key too"),
                     (["--series", "guest.page", "--facet", "guest.page"],
                      r"--facet guest\.page: the series's key too"),
                     (["--facet", "seed"], r"--facet seed: not a swept key"),
                     (["--xscale", "log", "--x", "guest.page"], r"--xscale log: guest\.page's "
                      r"values are not numbers"),
                     (["--yscale", "sideways"], r"--yscale 'sideways': log, linear or auto"),
                     (["--stat", "no.such"], r"--stat no\.such: not a statistic")):
        _, _, err = run(*(["plot", "sweep", s["sweep"]] + bad + ["-o", out]), expect_rc=2)
        charts_err(err, pat, " ".join(bad))
    # mpki.l2 from tlb.l2.misses and instructions when the results lack it
    run("plot", "sweep", s["sweep"], "--stat", "mpki.l2", "--where", "guest.page=4k", "-o", out,
        expect_rc=0)
    _, _, texts, _, _ = charts_svg(out)
    charts_has(texts, "mpki.l2 (misses per 1,000 instructions)", "--stat mpki.l2")


@case
def charts_sweep_of_96_points_is_small_multiples():
    # 4 x 3 x 2 x 2 points: x entries, a line per ways, a panel per policy and
    # page - 4 panels of 3 lines, each named by its keys.
    charts_need_gnuplot()
    s = charts_fixtures()
    d = fresh_dir("charts-96")
    out = os.path.join(d, "s.svg")
    run("plot", "sweep", s["big"], "--stat", "walk.count", "-o", out, expect_rc=0)
    _, _, texts, _, _ = charts_svg(out)
    for pol in ("lru", "plru"):
        for gp in ("4k", "thp"):
            charts_has(texts, "tlb.l2.policy=%s, guest.page=%s" % (pol, gp), "96 points")
    for w in (4, 8, 16):
        charts_has(texts, "tlb.l2.ways=%d" % w, "96 points")
    charts_has(texts, "2,048", "96 points, x tics")
    # cycles: a bar per entries, a group per ways, a panel per policy and page
    run("plot", "cycles", s["big"], "-o", out, expect_rc=0)
    _, _, texts, title, _ = charts_svg(out)
    eq(title, "loop.txt: cycles per instruction by category", "the title")
    charts_has(texts, "a bar per tlb.l2.entries, a group per tlb.l2.ways, a panel per "
               "tlb.l2.policy, guest.page", "the arrangement, under the title")
    for want in ("cycles per instruction (cycles)", "tlb.l2.entries (entries)",
                 "instructions (core.cpi)", "translation", "memory (data beyond an L1 hit)",
                 "faults", "dirty logging (the faults it caused too)",
                 "tlb.l2.policy=plru, guest.page=thp"):
        charts_has(texts, want, "plot cycles of 96 points")
    eq(texts.count("tlb.l2.ways=8"), 4, "a group label per panel")
    eq(texts.count("2,048"), 12, "a bar label per ways and panel")
    # --facet guest.page: 2 panels, the other keys make the groups
    run("plot", "cycles", s["big"], "--facet", "guest.page", "--size", "1600x700", "-o", out,
        expect_rc=0)
    _, _, texts, _, _ = charts_svg(out)
    eq(texts.count("tlb.l2.ways=16, tlb.l2.policy=plru"), 2, "groups of ways and policy")
    charts_has(texts, "guest.page=thp", "--facet guest.page")


# ---------------------------------------------------------------- rounds


@case
def charts_rounds_from_zero_with_the_partial_round_said():
    charts_need_gnuplot()
    s = charts_fixtures()
    d = fresh_dir("charts-rounds")
    out = os.path.join(d, "r.svg")
    run("plot", "rounds", s["run"], "-o", out, expect_rc=0)
    _, _, texts, title, _ = charts_svg(out)
    doc = json.load(open(s["run"]))
    rounds = doc["rounds"]
    n = len(rounds)
    last = rounds[-1]["instructions"] - (rounds[-2]["instructions"] if n > 1 else 0)
    if last >= 1100:
        raise Fail("the fixture's last round is whole (%d instructions): no partial round to "
                   "draw" % last)
    charts_has(texts, "open marks: round %d, the last, is partial (%d of 1,100 instructions)"
               % (n, last), "plot rounds")
    for want in ("dirty-logging cycles", "written (true)", "reported", "reported extra",
                 "dirty-logging cycles per round (cycles)", "4 KB pages per round (pages)",
                 "round (a harvest every 1,100 instructions)"):
        charts_has(texts, want, "plot rounds")
    eq(title, "loop.txt: dirty logging per round (pml)", "the title")
    # Both y axes from zero: each "0" tic is the lowest of its axis.
    eq(texts.count("0"), 2, "a 0 tic on each y axis")
    # A --vs pair: a row per run, named A and B with what differs.
    run("plot", "rounds", s["vs"], "-o", out, expect_rc=0)
    _, _, texts, _, _ = charts_svg(out)
    for want in ("A: dirtylog.mode=pml", "B: dirtylog.mode=wp"):
        eq(texts.count(want), 2, "panels of %s" % want)
