# Robust-tier cases: the trace readers lose nothing, mix nothing and read
# nothing the user did not write (issue 21, the second hostile pass):
# drmemtrace zip members lost or mixed, NUL bytes in text traces, special
# files in a capture directory, trace import naming the input, trace info
# --json holding what the text output holds, a zip on a pipe, and bad keys
# echoed raw. Run by run_robust.py in its namespace (run, path, fresh_dir,
# one_line, eq, Fail, Skip, TEXT, ROOT, ROOTUSER, ...). Expected values are
# worked out in each case.
import gzip as _tr_gzip
import socket as _tr_socket
import struct as _tr_struct
import threading as _tr_threading
import zipfile as _tr_zipfile
import zlib as _tr_zlib

TR_DR = os.path.join(ROOT, "tests/data/drmemtrace")
TR_ECHO_GZ = os.path.join(TR_DR, "echo-gzip/trace/drmemtrace.echo.13363.2590.trace.gz")
TR_ECHO_ZIP = os.path.join(TR_DR, "echo-zip/trace/drmemtrace.echo.13363.2590.trace.zip")
TR_CHAMPSIM = os.path.join(ROOT, "tests/fuzz/seeds/champsim.bin")
# DynamoRIO trace_entry.h: TRACE_TYPE_MARKER, TRACE_MARKER_TYPE_CHUNK_FOOTER
TR_MARKER, TR_CHUNK_FOOTER = 28, 21


def tr_record(rtype, size, addr):
    """One 12-byte trace_entry_t: {u16 type, u16 size, u64 addr}."""
    return _tr_struct.pack("<HHQ", rtype, size, addr)


def tr_echo_records():
    """The echo capture's records (the gzip container's bytes)."""
    return _tr_gzip.decompress(open(TR_ECHO_GZ, "rb").read())


def tr_members(raw, cuts):
    """The members raw2trace writes for RAW cut at record numbers CUTS: each
    but the last ends with a CHUNK_FOOTER marker holding its own number."""
    bounds = [0] + [12 * c for c in cuts] + [len(raw)]
    out = []
    for i in range(len(bounds) - 1):
        body = raw[bounds[i]:bounds[i + 1]]
        if i < len(bounds) - 2:
            body += tr_record(TR_MARKER, TR_CHUNK_FOOTER, i)
        out.append(body)
    return out


def tr_zip(name, members):
    """A zip archive of (member name, bytes) pairs, in that order."""
    p = path(name)
    with _tr_zipfile.ZipFile(p, "w", _tr_zipfile.ZIP_DEFLATED) as z:
        for n, body in members:
            z.writestr(n, body)
    return p


def tr_info(p, *extra):
    _, out, _ = run("trace", "info", "--json", *extra, p, expect_rc=0)
    return json.loads(out)


def tr_counts(doc):
    """The counts of trace info --json (not the description)."""
    keys = ("records", "reads", "writes", "ifetches", "instructions", "pages_4k")
    return tuple(doc[k] for k in keys)


def tr_refused(args, pattern, what, timeout=120):
    """ARGS exit 2 with one line on stderr matching PATTERN, within TIMEOUT."""
    try:
        _, _, err = run(*args, expect_rc=2, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Fail("%s: no answer in %d s (hangs)" % (what, timeout))
    one_line(err, pattern, what)


# ---------------------------------------------------------------- drmemtrace zip members


@case
def tr_drmemtrace_zip_members_lost_renamed_or_mixed_are_refused_by_name():
    raw = tr_echo_records()
    n = len(raw) // 12
    cut = [n // 3, 2 * n // 3]
    m = tr_members(raw, cut)
    names = ["chunk.%08d" % i for i in range(3)]
    whole = tr_zip("tr-whole.trace.zip", list(zip(names, m)))
    # the archive as raw2trace would write it reads as the one-member capture
    want = tr_counts(tr_info(TR_ECHO_ZIP))
    eq(tr_counts(tr_info(whole)), want, "three members, footers in place")
    other = tr_members(raw, [n // 4, n // 2])   # another cut: another capture's members
    footer5 = m[1][:-8] + _tr_struct.pack("<Q", 5)
    cases = [
        ("tr-gap.trace.zip", [(names[0], m[0]), (names[2], m[2])],
         r"tr-gap\.trace\.zip: member chunk\.00000001 is missing"),
        ("tr-only1.trace.zip", [(names[1], m[1])],
         r"tr-only1\.trace\.zip: member chunk\.00000000 is missing"),
        ("tr-lasts.trace.zip", [(names[0], m[0]), (names[1], m[1])],
         r"tr-lasts\.trace\.zip: member chunk\.00000001: record \d+ \(byte \d+\): the "
         r"archive's last member ends with a CHUNK_FOOTER marker.*chunk\.00000002 and on "
         r"are missing"),
        ("tr-swap.trace.zip", [(names[0], m[0]), (names[1], m[2]), (names[2], m[1])],
         r"tr-swap\.trace\.zip: member chunk\.00000001: record \d+ \(byte \d+\): the member "
         r"ends without its CHUNK_FOOTER marker"),
        # another capture's first member (its header) as this one's second
        ("tr-mixed.trace.zip", [(names[0], m[0]), (names[1], other[0]), (names[2], m[2])],
         r"tr-mixed\.trace\.zip: member chunk\.00000001: record 0 \(byte 0\): a second "
         r"header record"),
        # another capture's last member in the middle
        ("tr-mixed2.trace.zip", [(names[0], m[0]), (names[1], other[2]), (names[2], m[2])],
         r"tr-mixed2\.trace\.zip: member chunk\.00000001: record \d+ \(byte \d+\): the "
         r"member ends without its CHUNK_FOOTER marker"),
        ("tr-footer.trace.zip", [(names[0], m[0]), (names[1], footer5), (names[2], m[2])],
         r"tr-footer\.trace\.zip: member chunk\.00000001: record %d \(byte %d\): "
         r"CHUNK_FOOTER marker of chunk 5 in member chunk\.00000001"
         % (cut[1] - cut[0], 12 * (cut[1] - cut[0]))),
        ("tr-nofooter.trace.zip", [(names[0], m[0][:-12]), (names[1], m[1]), (names[2], m[2])],
         r"tr-nofooter\.trace\.zip: member chunk\.00000000: record %d \(byte %d\): the "
         r"member ends without its CHUNK_FOOTER marker" % (cut[0], 12 * cut[0])),
        ("tr-twice.trace.zip", [(names[0], m[0]), (names[1], m[1]), ("chunk.1", m[1]),
                                (names[2], m[2])],
         r"tr-twice\.trace\.zip: zip archive holds chunk\.00000001 twice"),
        ("tr-gap0.trace.zip", [(names[1], m[1]), (names[2], m[2])],
         r"tr-gap0\.trace\.zip: member chunk\.00000000 is missing"),
    ]
    for name, members, pattern in cases:
        p = tr_zip(name, members)
        tr_refused(["trace", "info", p], pattern, name + ": trace info")
        tr_refused(["run", "--quiet", p], pattern, name + ": run")
        # the same archive inside a capture directory
        d = fresh_dir("tr-dir-" + name)
        os.makedirs(os.path.join(d, "trace"))
        os.link(p, os.path.join(d, "trace", "drmemtrace.echo.1.0000.trace.zip"))
        tr_refused(["trace", "info", d], r"drmemtrace\.echo\.1\.0000\.trace\.zip: (zip "
                   r"archive|member chunk\.0000000\d)", name + ": in a directory")


# ---------------------------------------------------------------- NUL bytes in text


@case
def tr_text_with_nul_bytes_is_refused_at_the_first_nul_never_read_as_champsim():
    lines = "0 R 1000 8\n0 W 2000 8\n"   # 22 bytes
    cases = [
        # one NUL in a 27-byte file: byte 22, line 3
        ("tr-nul27.txt", lines.encode() + b"\0" + b"0 R\n", 22, 3),
        ("tr-nul0.txt", b"\0" + lines.encode(), 0, 1),
        ("tr-nulmid.txt", b"0 R 1000 8\n0 W 20\x0000 8\n", 17, 2),
        # a crash's zero-filled tail (a page of zeros after the last line)
        ("tr-tail.txt", lines.encode() + bytes(4096), 22, 3),
        # a longer trace, zeros after 70,004 bytes: past detection's 64 KB
        ("tr-far.txt", ("0 R 1000 8\n" * 6364).encode() + bytes(100), 70004, 6365),
    ]
    for name, data, off, line in cases:
        p = write(name, data, "wb")
        pattern = r"%s: line %d \(byte %d\): a NUL byte" % (re.escape(name), line, off)
        for args in (["trace", "info", p], ["run", "--quiet", p],
                     ["trace", "import", p, path(name + ".slt")]):
            tr_refused(args, pattern, "%s: %s" % (name, args[0] + " " + args[1]))
        eq(os.path.exists(path(name + ".slt")), False, name + ": no import output left")
        # a gzip of it is the same text
        gz = write(name + ".gz", _tr_gzip.compress(data), "wb")
        tr_refused(["trace", "info", gz], pattern.replace(re.escape(name),
                                                          re.escape(name + ".gz")),
                   name + ".gz")
    # forced as text or lackey: the same refusal
    p = path("tr-nul27.txt")
    tr_refused(["trace", "info", "--format", "text", p], r"line 3 \(byte 22\): a NUL", "text")
    tr_refused(["trace", "info", "--format", "lackey", p], r"line 3 \(byte 22\): a NUL",
               "lackey")
    # binary content that is not ChampSim's records: refused at its first NUL
    junk = bytes((37 * i + 11) & 0xff for i in range(192))   # first NUL: byte 145
    tr_refused(["trace", "info", write("tr-junk.bin", junk, "wb")],
               r"tr-junk\.bin: line \d+ \(byte 145\): a NUL byte", "binary junk")
    # a real ChampSim file is still ChampSim, and --format champsim reads junk
    doc = tr_info(TR_CHAMPSIM)
    eq(doc["format"], "champsim", "the shipped ChampSim seed's format")
    eq(doc["records"] > 0, True, "ChampSim records")
    size = os.path.getsize(TR_CHAMPSIM)
    eq(doc["ifetches"], size // 64, "one fetch per 64-byte ChampSim record")
    eq(tr_info(path("tr-junk.bin"), "--format", "champsim")["ifetches"], 3,
       "192 bytes forced as ChampSim: 3 instructions")


# ---------------------------------------------------------------- special files


@case
def tr_special_files_in_a_capture_directory_are_refused_by_name_not_waited_on():
    good = _tr_gzip.compress(tr_echo_records())

    def capture(name):
        d = fresh_dir(name)
        os.makedirs(os.path.join(d, "trace"))
        open(os.path.join(d, "trace", "drmemtrace.echo.1.0000.trace.gz"), "wb").write(good)
        return d, os.path.join(d, "trace")

    d, t = capture("tr-fifo")
    os.mkfifo(os.path.join(t, "drmemtrace.echo.2.0000.trace"))
    pat = r"drmemtrace\.echo\.2\.0000\.trace: a FIFO \(named pipe\), not a regular file"
    tr_refused(["trace", "info", d], pat, "a FIFO in the capture", timeout=60)
    tr_refused(["run", "--quiet", d], pat, "run: a FIFO in the capture", timeout=60)
    # a writer waiting on the FIFO changes nothing: it is never opened for data
    d, t = capture("tr-link")
    fifo = os.path.join(TMP, "tr-elsewhere.fifo")
    os.mkfifo(fifo)
    os.symlink(fifo, os.path.join(t, "drmemtrace.echo.2.0000.trace.zip"))
    tr_refused(["trace", "info", d], r"drmemtrace\.echo\.2\.0000\.trace\.zip: a FIFO",
               "a link to a FIFO", timeout=60)
    d, t = capture("tr-sock")
    s = _tr_socket.socket(_tr_socket.AF_UNIX, _tr_socket.SOCK_STREAM)
    s.bind(os.path.join(t, "drmemtrace.echo.2.0000.trace.gz"))
    try:
        tr_refused(["trace", "info", d], r"drmemtrace\.echo\.2\.0000\.trace\.gz: a socket, "
                   r"not a regular file", "a socket", timeout=60)
    finally:
        s.close()
    d, t = capture("tr-subdir")
    os.makedirs(os.path.join(t, "drmemtrace.echo.2.0000.trace"))
    tr_refused(["trace", "info", d], r"drmemtrace\.echo\.2\.0000\.trace: a directory, not a "
               r"regular file", "a directory", timeout=60)
    if ROOTUSER:
        # /dev/zero's numbers: endless zeros would be read for ever
        d, t = capture("tr-dev")
        os.mknod(os.path.join(t, "drmemtrace.echo.2.0000.trace"), 0o666 | stat.S_IFCHR,
                 os.makedev(1, 5))
        tr_refused(["trace", "info", d], r"drmemtrace\.echo\.2\.0000\.trace: a character "
                   r"device, not a regular file", "a character device", timeout=60)
    # a link to a regular file is a file: read
    d, t = capture("tr-reglink")
    os.symlink(os.path.join(t, "drmemtrace.echo.1.0000.trace.gz"),
               os.path.join(t, "drmemtrace.echo.2.0000.trace.gz"))
    eq(tr_info(d)["vcpus"], 2, "a link to a regular thread file is read")


# ---------------------------------------------------------------- a zip on a pipe


@case
def tr_a_zip_on_a_pipe_is_refused_saying_so_and_zlib_on_a_pipe_reads():
    data = open(TR_ECHO_ZIP, "rb").read()
    pat = (r"<stdin>: a zip archive \(drmemtrace's default container\) cannot be read from a "
           r"pipe or standard input")
    for args in (["trace", "info", "-"], ["trace", "info", "--format", "drmemtrace", "-"],
                 ["run", "--quiet", "-"]):
        try:
            _, _, err = run(*args, stdin=data, expect_rc=2, timeout=120)
        except subprocess.TimeoutExpired:
            raise Fail("%s: hangs" % args)
        one_line(err, pat, " ".join(args))
    # a FIFO named on the command line: the same (its bytes are not read twice)
    fifo = os.path.join(TMP, "tr-zip.fifo")
    os.mkfifo(fifo)

    def feed():
        try:
            with open(fifo, "wb") as f:
                f.write(data)
        except BrokenPipeError:
            pass
    w = _tr_threading.Thread(target=feed)
    w.start()
    try:
        _, _, err = run("trace", "info", fifo, expect_rc=2, timeout=120)
    finally:
        w.join(timeout=60)
    one_line(err, r"tr-zip\.fifo: a zip archive .*cannot be read from a pipe", "a FIFO path")
    # zlib and gzip from a pipe read as the file does - on standard input, and
    # from a FIFO named on the command line (opened once: never twice)
    raw = tr_echo_records()
    want = tr_counts(tr_info(TR_ECHO_ZIP))
    for what, blob in (("zlib", _tr_zlib.compress(raw)), ("gzip", _tr_gzip.compress(raw))):
        _, out, _ = run("trace", "info", "--json", "-", stdin=blob, expect_rc=0)
        eq(tr_counts(json.loads(out)), want, what + " on standard input")
        f2 = os.path.join(TMP, "tr-%s.fifo" % what)
        os.mkfifo(f2)
        w = _tr_threading.Thread(target=lambda: open(f2, "wb").write(blob))
        w.start()
        try:
            _, out, _ = run("trace", "info", "--json", f2, expect_rc=0, timeout=120)
        finally:
            w.join(timeout=60)
        eq(tr_counts(json.loads(out)), want, what + " from a FIFO")


# ---------------------------------------------------------------- trace import


@case
def tr_import_names_the_input_and_its_line_and_refuses_a_description_it_would_cut():
    src = write("tr-imp.txt", "0 R 1000 8\n1 W 2000 8\n\n# a comment\n2 R 3000 8\n")
    out = path("tr-imp.slt")
    tr_refused(["trace", "import", "--vcpus", "2", src, out],
               r"tr-imp\.txt: line 5: vcpu 2 beyond the trace's vCPU count 2 \(--vcpus\)",
               "import --vcpus 2 of a text trace with vCPU 2")
    eq(os.path.exists(out), False, "no output after the refusal")
    # a binary input names the record (counted from 0)
    four = path("tr-four.slt")
    run("trace", "import", "--vcpus", "4", src, four, expect_rc=0)
    tr_refused(["trace", "import", "--vcpus", "2", four, out],
               r"tr-four\.slt: record 2: vcpu 2 beyond the trace's vCPU count 2 \(--vcpus\)",
               "import --vcpus 2 of a 4-vCPU .slt")
    # from standard input: <stdin> and the line
    _, _, err = run("trace", "import", "--vcpus", "2", "-", out,
                    stdin=open(src, "rb").read(), expect_rc=2)
    one_line(err, r"<stdin>: line 5: vcpu 2 beyond", "import from standard input")
    # --desc: 4,095 bytes are kept whole, 4,096 refused (never cut)
    d = "\u00e9" * 2047 + "x"   # 4,095 bytes of UTF-8
    run("trace", "import", "--desc", d, src, out, expect_rc=0)
    eq(tr_info(out)["description"], d, "a 4,095-byte description, whole")
    _, _, err = run("trace", "import", "--desc", d + "y", src, path("tr-d.slt"), expect_rc=2)
    eq(err.splitlines()[0], "slatsim: --desc: 4096 bytes, more than the 4095 a trace's header "
       "holds", "a 4,096-byte --desc")
    eq(os.path.exists(path("tr-d.slt")), False, "no output after --desc refused")
    # the default description names the input only when it fits whole
    # (a path of 4,070..4,094 bytes: under PATH_MAX, over what the header
    # holds after "plain text trace, imported from ")
    deep = fresh_dir("tr-deep")
    while len(deep) < 4070 - 250:
        deep = os.path.join(deep, "e" * 240)
    deep = os.path.join(deep, "f" * (4070 - len(deep)))
    os.makedirs(deep)
    deepsrc = os.path.join(deep, "t.txt")
    open(deepsrc, "w").write("0 R 1000 8\n")
    run("trace", "import", deepsrc, out, expect_rc=0)
    eq(tr_info(out)["description"], "plain text trace", "a path too long to fit is left out")
    run("trace", "import", src, out, expect_rc=0)
    eq(tr_info(out)["description"], "plain text trace, imported from " + src,
       "a path that fits is named whole")


# ---------------------------------------------------------------- trace info --json


@case
def tr_info_json_holds_what_the_text_output_holds():
    # by hand: vCPU 0: R (icount 0), X (default icount 1), W with icount 5;
    # vCPU 3: X with icount 2, an invalidation; instructions 1 + 5 + 2 = 8
    t = write("tr-info.txt", "0 R 1000 8\n0 X 2000 4\n0 W 3000 8 0 5\n3 X 4000 4 0 2\n"
              "3 I all\n")
    doc = tr_info(t)
    eq((doc["records"], doc["invalidations"], doc["instructions"]), (5, 1, 8),
       "records, invalidations, instructions")
    eq((doc["format"], doc["vcpus_declared"], doc["description"]),
       ("text", 0, "plain text trace"), "format, declared vCPUs, description")
    eq("format_version" in doc or "nonfetched_instructions" in doc, False,
       "no .slt version, no non-fetched count for text")
    eq(doc["per_vcpu"], [
        dict(vcpu=0, records=3, reads=1, writes=1, ifetches=1, instructions=6),
        dict(vcpu=3, records=2, reads=0, writes=0, ifetches=1, instructions=2)],
       "per-vCPU counts")
    # the text output says the same
    _, out, _ = run("trace", "info", t, expect_rc=0)
    eq(re.search(r"^instructions +(\d+)$", out, re.M).group(1), "8", "text instructions")
    eq(re.search(r"^vcpu 3 +records 2, reads 0, writes 0, ifetches 1, instructions 2$", out,
                 re.M) is not None, True, "text per-vCPU line")
    # .slt: version, declared vCPUs, description as written
    s = path("tr-info.slt")
    run("trace", "import", "--vcpus", "4", "--desc", "d\u00e9sc \"q\"", t, s, expect_rc=0)
    doc = tr_info(s)
    eq((doc["format"], doc["format_version"], doc["vcpus_declared"], doc["description"]),
       ("slt", 1, 4, "d\u00e9sc \"q\""), ".slt header in the JSON")
    # drmemtrace: the non-fetched instructions drcachesim counts (the samples'
    # README: 285,051 fetched, 795 non-fetched), and instructions = the sum
    doc = tr_info(TR_ECHO_ZIP)
    eq((doc["ifetches"], doc["nonfetched_instructions"], doc["instructions"]),
       (285051, 795, 285051 + 795), "echo: fetched, non-fetched, instructions")
    eq(doc["format"], "drmemtrace", "drmemtrace format")
    eq([v["records"] for v in doc["per_vcpu"]], [doc["records"]], "one thread, every record")


# ---------------------------------------------------------------- bad keys echoed


@case
def tr_bad_keys_and_fields_are_echoed_escaped_never_raw():
    t = write("tr-key.txt", TEXT)
    key = b"\x1b[31mtlb.\xff\xfeentries\x07"
    shown = r"\x1b[31mtlb.\xff\xfeentries\x07"
    bad = os.fsdecode(key + b"=4")
    cfg = write("tr-key.conf", key + b" = 4\n", "wb")
    # a trace's bad field (text) and bad line (lackey) are echoed the same way
    tf = write("tr-field.txt", b"0 R 1000 8\n0 \xffR\x1b 2000 8\n", "wb")
    lf = write("tr-field.lackey", b"==1== x\nI  1000,4\n Q \xff\x1b,8\n", "wb")
    attempts = [
        (["trace", "info", tf], "a text trace's field"),
        (["trace", "info", "--format", "lackey", lf], "a lackey line"),
        (["run", "--quiet", "--set", bad, t], "--set"),
        (["run", "--quiet", "--config", cfg, t], "config file"),
        (["explain", "--set", bad, "7f0000001234"], "explain --set"),
        (["run", "--quiet", "--set", os.fsdecode(b"\xff\x1b"), t], "--set without ="),
    ]
    for args, what in attempts:
        p = subprocess.run([SLATSIM] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        no_sanitizer_report(p.stderr.decode(errors="replace"))
        eq(p.returncode, 2, what + ": exit status")
        raw = [b for b in p.stderr if b >= 0x80 or (b < 0x20 and b != 0x0a)]
        eq(raw, [], what + ": raw control bytes or bytes >= 0x80 on stderr")
        if what == "a text trace's field":
            eq(r"line 2: kind '\xffR\x1b'" in p.stderr.decode(), True, what + ": escaped")
        elif what == "a lackey line":
            eq(r"line 3: " in p.stderr.decode() and r"\xff\x1b,8'" in p.stderr.decode(), True,
               what + ": escaped")
        elif what != "--set without =":
            eq(shown in p.stderr.decode(), True, what + ": the key shown escaped")
