#!/usr/bin/env python3
"""Robustness cases: slatsim never destroys a user's data, never reports
success for lost output, and computes exactly (issue "Never destroy a user's
data...").

usage: run_robust.py PATH/TO/asan/slatsim PATH/TO/slatsim

The first binary (ASan+UBSan) runs every case; the second (optimised, no
sanitizer, whose allocator honours a memory limit) runs the out-of-memory
cases under `prlimit --as`. Device-node cases make their own nodes with
mknod in a temporary directory and run only as root (skipped with a message
otherwise). Expected values are worked out in each case.
"""
import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from harness import Cases, Fail, Skip, eq, no_sanitizer_report  # noqa: E402
SLATSIM = os.path.abspath(sys.argv[1])
PLAIN = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
SAMPLE = os.path.join(ROOT, "traces/samples/xz-compress.slt")
TMP = tempfile.mkdtemp(prefix="slatsim-robust-")
ROOTUSER = os.geteuid() == 0
CASES = Cases()
case = CASES.case


def run(*args, stdin=None, stdout=subprocess.PIPE, expect_rc=None, binary=None, pre=None,
        timeout=300):
    cmd = (pre or []) + [binary or SLATSIM] + [str(a) for a in args]
    p = subprocess.run(cmd, input=stdin, stdout=stdout, stderr=subprocess.PIPE, timeout=timeout)
    err = p.stderr.decode(errors="replace")
    no_sanitizer_report(err)
    if expect_rc is not None and p.returncode != expect_rc:
        raise Fail("%s: exit %d, expected %d\nstderr: %s" %
                   (" ".join(map(str, args)), p.returncode, expect_rc, err[-2000:]))
    out = p.stdout.decode(errors="replace") if p.stdout is not None else ""
    return p.returncode, out, err


def path(name):
    return os.path.join(TMP, name)


def write(name, data, mode="w"):
    p = path(name)
    with open(p, mode) as f:
        f.write(data)
    return p


def one_line(err, pattern, what):
    lines = err.strip().splitlines()
    if len(lines) != 1 or not re.search(pattern, lines[0]):
        raise Fail("%s: stderr %r is not one line matching %r" % (what, err, pattern))


def snapshot(d):
    """Every name in D with its type and content (for 'nothing changed')."""
    out = {}
    for n in sorted(os.listdir(d)):
        st = os.lstat(os.path.join(d, n))
        if stat.S_ISREG(st.st_mode):
            with open(os.path.join(d, n), "rb") as f:
                out[n] = ("reg", f.read())
        else:
            out[n] = (stat.S_IFMT(st.st_mode), st.st_rdev)
    return out


def fresh_dir(name):
    d = path(name)
    os.makedirs(d)
    return d


def reachable_by_anyone(binary):
    """A copy of BINARY that another user can run, wherever the checkout is.

    The checkout may sit in a 0700 directory (/root, a container's usual
    place), where uid 65534 cannot reach build/. The copy goes in a fresh
    world-traversable directory under TMP (which is chmod 0755 for it); the
    binary needs nothing from the checkout (its libraries are the system's).
    Returns the copy's path, or raises Skip with the reason."""
    d = os.path.join(TMP, "anyone-bin")
    os.makedirs(d, exist_ok=True)
    copy = os.path.join(d, os.path.basename(binary))
    if not os.path.exists(copy):
        with open(binary, "rb") as src, open(copy, "wb") as dst:
            dst.write(src.read())
    os.chmod(copy, 0o755)
    os.chmod(d, 0o755)
    os.chmod(TMP, 0o755)   # mkdtemp's 0700 would stop the other user first
    # Every directory from / down to the copy must be searchable by others.
    p = d
    while p != os.path.dirname(p):
        if not os.stat(p).st_mode & stat.S_IXOTH:
            raise Skip("%s is not searchable by other users, so no copy under it can be "
                       "run as another user" % p)
        p = os.path.dirname(p)
    return copy


TEXT = "0 R 0x7f0000001000 8\n0 W 0x7f0000002000 8\n"
BAD = "0 R 0x7f0000001000 8\nnot a record\n"

# ---------------------------------------------------------------- outputs


@case
def failed_run_leaves_an_existing_json_as_it_was():
    d = fresh_dir("keep")
    res = os.path.join(d, "res.json")
    good = os.path.join(d, "good.txt")
    open(good, "w").write(TEXT)
    run("run", "--quiet", "--json", res, good, expect_rc=0)
    before = open(res, "rb").read()
    bad = os.path.join(d, "bad.txt")
    open(bad, "w").write(BAD)
    before_dir = snapshot(d)
    _, _, err = run("run", "--quiet", "--json", res, bad, expect_rc=2)
    one_line(err, r"bad\.txt: line 2:", "bad trace message")
    eq(open(res, "rb").read(), before, "results file after a failed run")
    eq(snapshot(d), before_dir, "directory after a failed run (no temporary left)")


@case
def json_is_replaced_atomically_and_keeps_its_mode_and_link():
    d = fresh_dir("atomic")
    t = os.path.join(d, "t.txt")
    open(t, "w").write(TEXT)
    real = os.path.join(d, "real.json")
    open(real, "w").write("old")
    os.chmod(real, 0o640)
    link = os.path.join(d, "link.json")
    os.symlink("real.json", link)
    run("run", "--quiet", "--json", link, t, expect_rc=0)
    eq(os.path.islink(link), True, "the symbolic link stays a link")
    eq(stat.S_IMODE(os.stat(real).st_mode), 0o640, "the replaced file keeps its mode")
    doc = json.load(open(real))
    eq(doc["stats"]["accesses"], 2, "the link's target holds the new JSON")
    eq(sorted(os.listdir(d)), ["link.json", "real.json", "t.txt"], "no temporary left")


@case
def output_that_is_an_input_is_refused_before_writing():
    d = fresh_dir("same")
    t = os.path.join(d, "t.slt")
    run("trace", "import", write("same.txt", TEXT), t, expect_rc=0)
    before = open(t, "rb").read()
    _, _, err = run("run", "--json", t, t, expect_rc=2)
    one_line(err, r"same file as the input", "run --json X X")
    _, _, err = run("trace", "import", t, t, expect_rc=2)
    one_line(err, r"same file as the input", "trace import X X")
    os.link(t, os.path.join(d, "hard.slt"))
    run("trace", "import", t, os.path.join(d, "hard.slt"), expect_rc=2)
    cfg = write("c.conf", "seed = 3\n")
    _, _, err = run("run", "--config", cfg, "--json", cfg, t, expect_rc=2)
    one_line(err, r"same file as the input", "--json onto a --config file")
    with open(t, "ab") as f:   # standard output redirected onto the input
        rc, _, err = run("trace", "import", t, "-", stdout=f, expect_rc=2)
    eq(open(t, "rb").read(), before, "the input after every refusal")


@case
def special_files_are_written_in_place_never_removed():
    if not ROOTUSER:
        raise Skip("needs root to make device nodes with mknod")
    d = fresh_dir("dev")
    null = os.path.join(d, "null")
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    t = os.path.join(d, "t.txt")
    open(t, "w").write(TEXT)
    bad = os.path.join(d, "bad.txt")
    open(bad, "w").write(BAD)
    before = snapshot(d)
    run("run", "--quiet", "--json", null, bad, expect_rc=2)
    run("run", "--quiet", "--json", null, t, expect_rc=0)
    run("trace", "import", t, null, expect_rc=0)
    run("trace", "gen", "--pattern", "seq", "--count", "10", "-o", null, expect_rc=0)
    # A FIFO output is written in place: a reader gets the JSON.
    reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE)
    run("run", "--quiet", "--json", fifo, t, expect_rc=0)
    doc = json.loads(reader.communicate(timeout=60)[0])
    eq(doc["stats"]["accesses"], 2, "JSON through a FIFO")
    # --waves needs a seekable regular file: a device is refused, untouched.
    rc, _, err = run("run", "--quiet", "--cosim", "pml", "--waves", null, t)
    if "built without Verilator" not in err:
        eq(rc, 2, "--waves onto a device: exit status")
        one_line(err, r"not a regular file", "--waves onto a device")
    eq(snapshot(d), before, "device node, FIFO and files after every run")


@case
def refused_outputs_name_the_path():
    d = fresh_dir("refuse")
    t = write("r.txt", TEXT)
    _, _, err = run("run", "--json", d, t, expect_rc=2)
    one_line(err, re.escape(d) + r": is a directory", "--json onto a directory")
    _, _, err = run("run", "--json", os.path.join(d, "no/such/x.json"), t, expect_rc=2)
    one_line(err, r"no/such/x\.json: cannot create", "--json into a missing directory")
    os.symlink("nowhere", os.path.join(d, "dangling"))
    _, _, err = run("run", "--json", os.path.join(d, "dangling"), t, expect_rc=2)
    one_line(err, r"dangling: a symbolic link to nothing", "--json onto a dangling link")
    eq(sorted(os.listdir(d)), ["dangling"], "nothing created")


# ---------------------------------------------------------------- lost output


@case
def output_lost_is_never_success():
    t = write("lost.txt", TEXT)
    full = open("/dev/full", "wb")
    for args in (["run", t], ["trace", "info", t], ["params"],
                 ["explain", "7f0000001000"], ["--help"], ["run", "--help"],
                 ["run", "--quiet", "--json", "-", t], ["trace", "import", t, "-"],
                 ["trace", "info", "--json", t], ["params", "--json"]):
        rc, _, err = run(*args, stdout=full)
        eq(rc, 1, "exit status of %s > /dev/full" % " ".join(args))
        if "-" in args:   # the report went to stderr: the error is its last line
            err = err.strip().splitlines()[-1]
        one_line(err, r"standard output: write error: No space left on device",
                 "message of %s > /dev/full" % " ".join(args))


@case
def closed_standard_output_is_an_error_not_a_redirect():
    d = fresh_dir("closed")
    t = os.path.join(d, "t.txt")
    open(t, "w").write(TEXT)
    out = os.path.join(d, "out.json")
    p = subprocess.run(["sh", "-c", 'exec "$0" run --json "$1" "$2" >&-', SLATSIM, out, t],
                       stderr=subprocess.PIPE)
    eq(p.returncode, 1, "exit status with standard output closed")
    one_line(p.stderr.decode(), r"standard output: write error: Bad file descriptor",
             "message with standard output closed")
    eq(os.path.exists(out), False, "no JSON put in place when the report was lost")
    # --json - with the report on stderr: the JSON file never gets the report.
    rc, outj, _ = run("run", "--quiet", "--json", out, t, expect_rc=0)
    json.load(open(out))


@case
def broken_pipe_exits_quietly_with_sigpipe_status():
    # 5.7 MB to standard output: far more than a pipe holds, so the writer
    # is still writing when the reader goes away.
    p = subprocess.Popen([SLATSIM, "trace", "import", SAMPLE, "-"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.read(10)
    p.stdout.close()
    err = p.stderr.read().decode()
    eq(p.wait(), 141, "exit status when the reader goes away")
    eq(err, "", "no message for a closed pipe")


# ---------------------------------------------------------------- read twice


@case
def inputs_read_twice_must_be_regular_files():
    data = open(SAMPLE, "rb").read()
    for opt in (["--vs", "seed=2"], ["--set", "sim.prefault=1"]):
        _, _, err = run("run", "--quiet", *opt, "/dev/stdin", stdin=data, expect_rc=2)
        one_line(err, r"/dev/stdin: .*reads the trace twice.*not a regular file", str(opt))
        _, _, err = run("run", "--quiet", *opt, "-", stdin=data, expect_rc=2)
        eq(err.splitlines()[1], "Try 'slatsim run --help'.", "usage hint")
        one_line(err.splitlines()[0], r"reads the trace twice: it needs a file, not '-'",
                 str(opt) + " -")


@case
def prefault_skips_invalidation_records():
    # An 'all' invalidation has gva 0: prefaulting it would map page 0 and
    # add a guest page. By hand: two pages, so pages.guest = 2 either way.
    t = write("pinv.txt", "0 R 0x7f0000001000 8\n0 I all\n0 W 0x7f0000002000 8\n")
    for pre in ("0", "1"):
        _, out, _ = run("run", "--quiet", "--set", "sim.prefault=" + pre, "--json", "-", t,
                        expect_rc=0)
        st = json.loads(out)["stats"]
        eq(st["pages.guest"], 2, "pages.guest with sim.prefault=" + pre)
        eq(st["inv.all"], 1, "the invalidation is replayed (sim.prefault=%s)" % pre)


# ---------------------------------------------------------------- signals


def interrupted(sig, args, d):
    p = subprocess.Popen([SLATSIM] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         cwd=d)
    time.sleep(0.5)
    p.send_signal(sig)
    err = p.communicate(timeout=120)[1].decode()
    if "Sanitizer" in err:
        raise Fail("sanitizer report:\n" + err)
    return p.returncode


@case
def interrupted_runs_leave_existing_files_and_no_temporaries():
    d = fresh_dir("sig")
    open(os.path.join(d, "res.json"), "w").write("old")
    open(os.path.join(d, "out.slt"), "w").write("old trace")
    before = snapshot(d)
    rc = interrupted(signal.SIGINT, ["run", "--quiet", "--json", "res.json", SAMPLE], d)
    eq(rc, 130, "SIGINT exit status")
    rc = interrupted(signal.SIGTERM, ["trace", "gen", "--pattern", "random", "--count", "200M",
                                      "-o", "out.slt"], d)
    eq(rc, 143, "SIGTERM exit status")
    rc = interrupted(signal.SIGINT, ["trace", "import", SAMPLE, "new.slt"], d)
    eq(rc, 130, "SIGINT exit status of an import")
    eq(snapshot(d), before, "files after interrupted runs")


# ---------------------------------------------------------------- out of memory


@case
def out_of_memory_is_one_line_and_exit_1():
    if not PLAIN:
        raise Skip("no optimised binary given")
    lim = ["prlimit", "--as=%d" % (400 << 20), "--"]
    # A random walk over 64 TB of 4 KB pages: page tables grow without bound.
    t = path("huge.slt")
    run("trace", "gen", "--pattern", "random", "--footprint", "64T", "--count", "6M",
        "--seed", "5", "-o", t, expect_rc=0)
    rc, _, err = run("run", "--quiet", "--set", "host.page=4k", t, binary=PLAIN, pre=lim)
    eq(rc, 1, "exit status out of memory")
    one_line(err, r"^slatsim: .*out of memory \(", "out-of-memory message")
    # The co-simulation (C++ side) under limits from tight to loose: never an
    # uncaught exception or an abort, always success or one line and exit 1.
    for mib in (16, 20, 24, 28, 32):
        rc, _, err = run("run", "--quiet", "--cosim", "pml", "--set", "sim.max_records=1000",
                         SAMPLE, binary=PLAIN, pre=["prlimit", "--as=%d" % (mib << 20), "--"])
        if "built without Verilator" in err:
            break
        if rc != 0:
            eq(rc, 1, "co-simulation under %d MiB: exit status" % mib)
            one_line(err, r"^slatsim: .*out of memory \(", "co-simulation under %d MiB" % mib)


# ---------------------------------------------------------------- exactness


@case
def cycle_totals_past_2_to_the_53_are_exact():
    # 2,200,000 records of 4,294,967,295 instructions each:
    # 9,448,928,049,000,000 instructions (> 2^53 = 9,007,199,254,740,992).
    t = path("many.slt")
    run("trace", "gen", "--pattern", "seq", "--footprint", "4K", "--count", "2200000",
        "--icount", "4294967295", "-o", t, expect_rc=0)
    n = 2200000 * 4294967295
    for cpi, want in (("1000", n * 1000), ("0.7", n * 7 // 10), ("2.5", n * 5 // 2)):
        _, out, _ = run("run", "--quiet", "--set", "core.cpi=" + cpi, "--json", "-", t,
                        expect_rc=0)
        st = json.loads(out)["stats"]
        eq(st["instructions"], n, "instructions")
        eq(st["cycles.instructions"], want, "cycles.instructions at core.cpi=" + cpi)


@case
def numbers_are_decimal_never_octal():
    t = write("oct.txt", TEXT)
    _, out, _ = run("run", "--quiet", "--set", "seed=010", "--set", "tlb.l2.latency=0x10",
                    "--json", "-", t, expect_rc=0)
    cfg = json.loads(out)["config"]
    eq(cfg["seed"], 10, "seed=010 is ten")
    eq(cfg["tlb.l2.latency"], 16, "0x10 is sixteen")
    o = path("oct.slt")
    run("trace", "gen", "--pattern", "seq", "--count", "010", "-o", o, expect_rc=0)
    _, out, _ = run("trace", "info", "--json", o, expect_rc=0)
    eq(json.loads(out)["records"], 10, "--count 010 is ten records")
    _, _, err = run("run", "--set", "seed=08x", t, expect_rc=2)
    one_line(err, r"bad value '08x' for seed", "a bad number as typed")


@case
def json_is_valid_utf8_and_the_report_escapes_control_bytes():
    src = write("u.txt", TEXT)
    o = path("u\x01name\xe9.slt".encode("latin-1").decode("utf-8", "surrogateescape"))
    desc = b"caf\xe9 \x1b[31mred\x1b[0m \xf0\x9f\x98\x80"
    p = subprocess.run([SLATSIM.encode(), b"trace", b"import", b"--desc", desc, src.encode(),
                        os.fsencode(o)], stderr=subprocess.PIPE)
    eq(p.returncode, 0, "import with odd bytes")
    p = subprocess.run([SLATSIM.encode(), b"run", b"--quiet", b"--json", b"-", os.fsencode(o)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    eq(p.returncode, 0, "run")
    doc = json.loads(p.stdout.decode("utf-8"))   # strict UTF-8, strict JSON
    eq(doc["trace"]["description"], "caf\u00e9 \u001b[31mred\u001b[0m \U0001F600",
       "description: the bad byte as \\u00e9, the control bytes escaped, UTF-8 kept")
    p = subprocess.run([SLATSIM.encode(), b"run", os.fsencode(o)],   # (-q: nothing)
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = p.stdout.split(b"\n")[:2]
    if any(c < 0x20 and c != 0x09 for line in head for c in line):
        raise Fail("text report has raw control bytes: %r" % head)
    if b"\\x1b[31mred" not in head[1] or b"u\\x01name" not in head[0]:
        raise Fail("control bytes not shown as \\xNN: %r" % head)


@case
def text_with_non_ascii_comments_is_text_everywhere():
    t = write("na.txt", "# caf\u00e9 \u2014 captured on \u00e9t\u00e9\n" + TEXT, )
    with open(t, "ab") as f:
        f.write(b"# latin-1 \xe9\xe8\n")
    _, out, _ = run("trace", "info", t, expect_rc=0)
    if "format             text" not in out:
        raise Fail("trace info took it for: %r" % out.splitlines()[1])
    o = path("na.slt")
    run("trace", "import", t, o, expect_rc=0)
    _, out, _ = run("run", "--quiet", "--json", "-", t, expect_rc=0)
    eq(json.loads(out)["trace"]["format"], "text", "run's format")


@case
def zero_byte_trace_is_an_error():
    t = write("empty.txt", "")
    for args in (["run", t], ["trace", "info", t], ["trace", "import", t, path("e.slt")]):
        _, _, err = run(*args, expect_rc=2)
        one_line(err, r"empty\.txt: empty \(0 bytes\): not a trace", " ".join(args[:2]))
    eq(os.path.exists(path("e.slt")), False, "no output from an empty input")


@case
def upper_half_addresses_translate_through_the_kernel_half():
    # x86: one user page and one kernel page (sign-extended) from two ASIDs.
    # By hand: the kernel page is mapped once (global), the user pages once
    # per ASID: pages.guest = 1 (kernel) + 2 (user 0x1000 in ASIDs 1 and 2).
    t = write("kern.txt", "0 R 0xffffffff81000000 8 1\n0 R 0x1000 8 1\n"
                          "0 R 0xffffffff81000000 8 2\n0 R 0x1000 8 2\n")
    _, out, _ = run("run", "--quiet", "--json", "-", t, expect_rc=0)
    st = json.loads(out)["stats"]
    eq(st["pages.guest"], 3, "x86 pages.guest")
    eq(st["fault.guest"], 3, "x86 guest faults")
    # The kernel translation is global: the second ASID hits the L1 DTLB.
    eq(st["tlb.l1d.hits"], 1, "x86 L1D hits: ASID 2's kernel access")
    _, out, _ = run("run", "--quiet", "--set", "arch=arm64", "--json", "-", t, expect_rc=0)
    st = json.loads(out)["stats"]
    eq(st["pages.guest"], 3, "arm64 pages.guest (TTBR1)")
    eq(st["tlb.l1d.hits"], 1, "arm64 L1D hits (nG = 0)")
    bad = write("noncanon.txt", "0 R 0x1000 8\n0 R 0x8000000000000000 8\n")
    _, _, err = run("run", bad, expect_rc=2)
    one_line(err, r"noncanon\.txt: line 2: VA 0x8000000000000000 is not canonical", "x86")
    _, _, err = run("explain", "ffff800000001000", expect_rc=0)
    _, out, _ = run("explain", "--set", "arch=arm64", "ffff000000001000", expect_rc=0)
    if "TTBR1_EL1" not in out:
        raise Fail("explain of an Arm kernel address does not walk from TTBR1_EL1")


@case
def usage_errors_are_one_line_and_a_hint():
    _, _, err = run("run", "--bogus", expect_rc=2)
    eq(err, "slatsim: unknown option '--bogus'\nTry 'slatsim run --help'.\n", "usage error")
    _, _, err = run("trace", "gen", "--count", "-5", "-o", path("x.slt"), expect_rc=2)
    eq(err.splitlines()[1], "Try 'slatsim trace gen --help'.", "hint names the subcommand")
    _, _, err = run("frobnicate", expect_rc=2)
    eq(err.splitlines()[1], "Try 'slatsim --help'.", "hint for an unknown command")


# ---------------------------------------------------------------- the hostile pass, case by case


@case
def report_into_the_input_is_refused():
    d = fresh_dir("selfout")
    t = os.path.join(d, "a.txt")
    open(t, "w").write(TEXT)
    before = open(t, "rb").read()
    for args in (["run", "--quiet", t], ["trace", "info", t], ["explain", "7f0000001000"]):
        if args[0] == "explain":
            continue
        with open(t, "ab") as f:
            rc, _, err = run(*args, stdout=f)
        eq(rc, 2, "exit status of %s >> input" % args[0])
        one_line(err, r"standard output is the input", args[0])
    eq(open(t, "rb").read(), before, "the input after '>> input'")


@case
def json_onto_standard_output_as_a_file_is_refused():
    d = fresh_dir("stdoutfile")
    t = os.path.join(d, "t.txt")
    open(t, "w").write(TEXT)
    out = os.path.join(d, "out.txt")
    with open(out, "wb") as f:
        rc, _, err = run("run", "--quiet", "--json", "/dev/stdout", t, stdout=f)
    eq(rc, 2, "--json /dev/stdout > FILE: exit status")
    one_line(err, r"/dev/stdout is standard output", "--json /dev/stdout > FILE")
    p = subprocess.run(["sh", "-c", 'exec "$0" trace gen --pattern seq --count 10 -o /dev/stdout >&-',
                        SLATSIM], stderr=subprocess.PIPE)
    eq(p.returncode, 1, "-o /dev/stdout with standard output closed")
    one_line(p.stderr.decode(), r"standard output is closed", "closed /dev/stdout")


@case
def write_protected_outputs_are_not_replaced():
    if not ROOTUSER:
        raise Skip("needs root to run as another user")
    binary = reachable_by_anyone(SLATSIM)
    d = fresh_dir("ro")
    os.chmod(d, 0o777)
    t = os.path.join(d, "t.txt")
    open(t, "w").write(TEXT)
    os.chmod(t, 0o644)
    ro = os.path.join(d, "ro.json")
    open(ro, "w").write("PROTECTED")
    os.chmod(ro, 0o444)
    p = subprocess.run([binary, "run", "--quiet", "--json", ro, t], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, preexec_fn=lambda: (os.setgid(65534),
                                                                   os.setuid(65534)))
    eq(p.returncode, 1, "a 0444 output as another user: exit status")
    one_line(p.stderr.decode(), r"ro\.json: cannot write: Permission denied", "0444 output")
    eq(open(ro).read(), "PROTECTED", "the protected file")


@case
def a_fifo_without_a_reader_can_be_interrupted():
    d = fresh_dir("fifo")
    f = os.path.join(d, "nf")
    os.mkfifo(f)
    t = os.path.join(d, "t.txt")
    open(t, "w").write(TEXT)
    p = subprocess.Popen([SLATSIM, "run", "--quiet", "--json", f, t], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    eq(p.wait(timeout=30), 143, "SIGTERM while waiting for a FIFO's reader")


@case
def signals_ignored_at_start_stay_ignored():
    d = fresh_dir("nohup")
    out = os.path.join(d, "nh.slt")
    p = subprocess.Popen([SLATSIM, "trace", "gen", "--pattern", "random", "--count", "3M",
                          "-o", out], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    time.sleep(0.3)
    p.send_signal(signal.SIGHUP)
    eq(p.wait(timeout=300), 0, "SIGHUP under nohup: the run goes on")
    eq(os.path.exists(out), True, "and writes its output")


@case
def file_size_limit_is_a_write_error():
    d = fresh_dir("fsize")
    out = os.path.join(d, "big.slt")
    p = subprocess.run(["sh", "-c", 'ulimit -f 100; exec "$0" trace gen --pattern random '
                        '--count 1M -o "$1"', SLATSIM, out], stderr=subprocess.PIPE)
    eq(p.returncode, 1, "past ulimit -f: exit status")
    one_line(p.stderr.decode(), r"big\.slt: .*File too large", "past ulimit -f")
    eq(os.listdir(d), [], "no output and no temporary")


@case
def broken_pipe_on_binary_output_is_quiet_141():
    for args in (["trace", "import", SAMPLE, "-"],
                 ["trace", "gen", "--pattern", "random", "--count", "1M", "-o", "-"]):
        p = subprocess.Popen([SLATSIM] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.read(1)
        p.stdout.close()
        err = p.stderr.read().decode()
        eq(p.wait(), 141, "exit status of %s | head -c1" % args[1])
        eq(err, "", "no message for a closed pipe (%s)" % args[1])


@case
def empty_output_names_are_usage_errors():
    t = write("en.txt", TEXT)
    for args in (["run", "--quiet", "--json", "", t], ["trace", "import", t, ""],
                 ["trace", "gen", "--pattern", "seq", "-o", ""]):
        _, _, err = run(*args, expect_rc=2)
        one_line(err.splitlines()[0], r"an empty file name", " ".join(args[:2]))


@case
def cycle_counts_saturate_and_round_once_per_domain():
    # 3 vCPUs, one instruction each, core.cpi=0.5: round(1.5) = 2, not 1+1+1.
    t = write("cpi3.txt", "0 X 1000 4\n1 X 1000 4\n2 X 1000 4\n")
    for cpi, want in (("0.5", 2), ("0.4", 1), ("-0", 0)):
        _, out, _ = run("run", "--quiet", "--set", "core.cpi=" + cpi, "--json", "-", t,
                        expect_rc=0)
        eq(json.loads(out)["stats"]["cycles.instructions"], want, "core.cpi=" + cpi)
    _, out, _ = run("run", "--quiet", "--set", "core.cpi=-0", "--json", "-", t, expect_rc=0)
    eq(json.loads(out)["config"]["core.cpi"], 0, "-0 is 0")
    # A fault cost of 2^40 cycles, 3 pages: 3 guest + 6 host faults... the
    # total must not wrap: fault.guest.cycles at its maximum on 20 M faults
    # would be 2^64 * 1.2; on 4 pages, exact.
    big = str(1 << 40)
    _, out, _ = run("run", "--quiet", "--set", "fault.guest.cycles=" + big, "--set",
                    "fault.host.cycles=" + big, "--set", "host.page=4k", "--json", "-",
                    write("f4.txt", "0 R 1000 8\n"), expect_rc=0)
    st = json.loads(out)["stats"]
    eq(st["cycles.faults"], (st["fault.guest"] + st["fault.host"]) << 40, "exact below 2^64")


@case
def a_config_from_a_pipe_counts_for_both_sides_of_vs():
    t = write("vsc.txt", TEXT + "0 X 401000 4\n")
    cfg = write("vsc.conf", "core.cpi = 5\n")
    data = open(cfg, "rb").read()
    _, out, _ = run("run", "--quiet", "--config", "/dev/stdin", "--vs", "seed=2", "--json", "-",
                    t, stdin=data, expect_rc=0)
    a, b = json.loads(out)
    eq((a["config"]["core.cpi"], b["config"]["core.cpi"]), (5, 5), "core.cpi of A and B")


@case
def control_bytes_in_a_text_comment_do_not_make_it_champsim():
    t = write("esc.txt", "# \x1b[0m colour \x01\x02\n" + TEXT)
    for args in (["trace", "info", "--json", t], ["run", "--quiet", "--json", "-", t]):
        _, out, _ = run(*args, expect_rc=0)
        doc = json.loads(out)
        eq(doc["records"] if "records" in doc else doc["stats"]["records"], 2, args[0])
    bom = write("bom.txt", "\ufeff" + TEXT)
    eq(json.loads(run("trace", "info", "--json", bom, expect_rc=0)[1])["records"], 2,
       "a UTF-8 byte order mark")


@case
def a_config_file_value_the_machine_refuses_names_its_line():
    # Parsed fine, refused when the machine is built: the file and line of
    # the key the refusal names, as for a value the parser refuses; a --set
    # value has no line to name.
    c = write("machine.cfg", "# a comment\narch = x86\n\nguest.granule = 64k\n")
    for cmd in (["run", "--quiet", SAMPLE], ["migrate", "--quiet", SAMPLE],
                ["explain", "0x1000"]):
        _, _, err = run(cmd[0], "--config", c, *cmd[1:], expect_rc=2)
        one_line(err, r"machine\.cfg:4: (domain 0: )?guest\.granule=64k: x86 paging uses 4k tables only",
                 cmd[0] + " with a config file")
    c = write("domain.cfg", "domains = 1\ndomain.1.guest.page = 2m\n")
    _, _, err = run("run", "--config", c, SAMPLE, expect_rc=2)
    one_line(err, r"domain\.cfg:2: domain\.1\.guest\.page: there is only 1 domain", "domain key")
    _, _, err = run("run", "--quiet", "--set", "guest.granule=64k", SAMPLE, expect_rc=2)
    one_line(err, r"^slatsim: guest\.granule=64k: x86 paging uses 4k tables only$", "--set")


@case
def messages_show_values_as_typed():
    _, _, err = run("trace", "gen", "--pattern", "seq", "--size", "4097", "-o",
                    path("x.slt"), expect_rc=2)
    eq(err.splitlines()[0], "slatsim: --size '4097': out of range 1..4096", "--size")
    _, _, err = run("run", "--quiet", write("ctl\x01.txt", "0 R 1000 x\n"), expect_rc=2)
    one_line(err, r"ctl\\x01\.txt: line 1: size 'x'", "a control byte in a file name")
    _, _, err = run("run", "--vs", write("vs.txt", TEXT), expect_rc=2)
    eq(err.splitlines()[0].split(": ", 1)[1].startswith("--vs '"), True, "--vs without '='")
    _, _, err = run("params", "x", expect_rc=2)
    eq(err.splitlines()[0], "slatsim: no parameter matches 'x' (a key, a dotted prefix such "
       "as 'tlb.l2', or a pattern such as '*.latency')", "params x")
    dash = write("-dash.txt", TEXT)
    os.rename(dash, os.path.join(TMP, "-dash.txt"))
    rc, _, _ = run("run", "--quiet", "--", "-dash.txt", expect_rc=None)
    if rc != 0:
        p = subprocess.run([SLATSIM, "run", "--quiet", "--", "-dash.txt"], cwd=TMP,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        eq(p.returncode, 0, "'--' ends the options: " + p.stderr.decode())


@case
def dirty_log_rounds_have_a_floor():
    _, _, err = run("run", "--set", "dirtylog.mode=wp", "--set", "dirtylog.period=1",
                    write("dp.txt", TEXT), expect_rc=2)
    one_line(err, r"dirtylog\.period=1: at least 1000 instructions", "dirtylog.period=1")


@case
def waves_on_a_full_disk_fail_and_keep_the_old_file():
    if not ROOTUSER:
        raise Skip("needs root to mount a small tmpfs")
    probe = subprocess.run([SLATSIM, "run", "--quiet", "--cosim", "pml", "--set",
                            "sim.max_records=10", SAMPLE], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    if b"built without Verilator" in probe.stderr:
        raise Skip("built without Verilator")
    d = fresh_dir("fullfs")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24k", "tmpfs", d],
                      stderr=subprocess.DEVNULL).returncode != 0:
        raise Skip("cannot mount a tmpfs here")
    try:
        w = os.path.join(d, "w.fst")
        open(w, "wb").write(b"OLD" * 1000)
        rc, _, err = run("run", "--quiet", "--cosim", "pml", "--set", "cosim.window=100000",
                         "--set", "sim.max_records=2000000", "--waves", w, SAMPLE, timeout=120)
        eq(rc, 1, "--waves on a full disk: exit status")
        if "w.fst" not in err:
            raise Fail("message does not name w.fst: %r" % err)
        eq(open(w, "rb").read(), b"OLD" * 1000, "the old waveform")
        eq(sorted(os.listdir(d)), ["w.fst"], "no temporaries left")
    finally:
        subprocess.run(["umount", d])

# ---------------------------------------------------------------- second pass: migrate, calibrate, sweep, plot


@case
def migrate_memory_beyond_the_ipa_space_is_refused():
    # Guest RAM starts at 1 GB: with a 32-bit IPA, 3 GB fit and 4 GB do not.
    # (Before: the GPAs above 4 GB aliased the ones below, 3 GB were sent.)
    t = write("mig.txt", TEXT)
    _, _, err = run("migrate", "--quiet", "--set", "arch=arm64", "--set", "host.ipa_bits=32",
                    "--set", "migrate.memory=4G", t, expect_rc=2)
    one_line(err, r"migrate\.memory=4G: .* 32 bits .*at most 3221225472 bytes", "migrate.memory")


@case
def a_drmemtrace_directory_may_be_read_twice():
    # A capture directory reads again: --vs, sim.prefault and sweep take it.
    d = os.path.join(ROOT, "tests/data/drmemtrace/echo-gzip")
    run("run", "--quiet", "--vs", "seed=2", d, expect_rc=0)
    run("run", "--quiet", "--set", "sim.prefault=1", d, expect_rc=0)
    run("sweep", "--quiet", "--grid", "seed=1,2", "--out", path("drsweep"), d, expect_rc=0)


@case
def sweep_refuses_a_trace_that_reads_once():
    # With --decode thread each thread opens the trace: a FIFO split between
    # them gave each a part. Refused before DIR is made.
    d = fresh_dir("swfifo")
    f = os.path.join(d, "t.fifo")
    os.mkfifo(f)
    out = os.path.join(d, "out")
    _, _, err = run("sweep", "--quiet", "--grid", "seed=1,2", "-j", "2", "--decode", "thread",
                    "--out", out, f, expect_rc=2)
    one_line(err, r"t\.fifo: sweep .*not a regular file", "sweep on a FIFO")
    eq(os.path.exists(out), False, "no sweep directory made")


@case
def vs_given_twice_applies_both_in_order():
    # (issue 29: --vs is repeatable; the same key twice: the later wins)
    t = write("vs2.txt", TEXT)
    for cmd in ("run", "migrate"):
        j = path("vs2-%s.json" % cmd)
        run(cmd, "--quiet", "--vs", "seed=2", "--vs", "seed=3", "--json", j, t, expect_rc=0)
        eq([d["config"]["seed"] for d in json.load(open(j))], [1, 3], cmd + " --vs twice")


@case
def calibrate_measured_directory_is_bad_input_without_a_leak():
    d = fresh_dir("caldir")
    for _ in range(4):   # (the leak LSan saw depended on the stack: try a few)
        _, _, err = run("calibrate", "--quiet", "--measured", d, expect_rc=2)
        one_line(err, r"--measured .*caldir: read error: Is a directory", "--measured DIR")


@case
def plot_reach_needs_counts_and_a_curve():
    # A trace of invalidations has no lookups: reach writes curves of 0
    # lookups, and gnuplot was handed an empty plot (exit 1, its script error).
    t = write("inv-only.txt", "0 I all\n")
    rj = path("inv-only.json")
    run("reach", "--json", rj, t, expect_rc=0)
    _, _, err = run("plot", "reach", rj, "-o", path("inv.png"), expect_rc=2)
    one_line(err, r"inv-only\.json: no curve to draw", "reach without lookups")
    for name, doc, pat in (
            ("neg", {"reach": {"d": {"4k": {"lookups": 10, "misses": [1, -1]}}}},
             r"reach\.d\.4k\.misses\[1\]: not a count"),
            ("inf", {"reach": {"d": {"4k": {"lookups": 10, "misses": [1e400]}}}},
             r"reach\.d\.4k\.misses\[0\]: not a count"),
            ("nolookups", {"reach": {"d": {"4k": {"misses": [1]}}}},
             r"reach\.d\.4k\.lookups: not a count")):
        j = write("reach-%s.json" % name, json.dumps(doc).replace("Infinity", "1e400"))
        _, _, err = run("plot", "reach", j, "-o", path("r.png"), expect_rc=2)
        one_line(err, pat, "plot reach " + name)
    eq(os.path.exists(path("r.png")) or os.path.exists(path("inv.png")), False, "no chart left")


@case
def sweep_names_a_bad_trace_once_for_all_its_points():
    # One decode feeds every point: its error was printed once per point.
    d = fresh_dir("swbad")
    t = os.path.join(d, "bad.txt")
    open(t, "w").write(BAD)
    _, _, err = run("sweep", "--quiet", "--grid", "seed=1,2,3", "--out",
                    os.path.join(d, "out"), t, expect_rc=2)
    one_line(err, r"^slatsim: points 0\.\.2: .*bad\.txt: line 2:", "sweep on a bad trace")


# More robust-tier cases live beside this file as robust_*.py, one file per
# class of defect (so that work on one class does not edit another's cases).
# Each is run in this module's namespace, after the cases above, in name
# order: it uses run(), path(), fresh_dir(), one_line(), TEXT, ... and
# registers its cases with @case.
for _extra in sorted(f for f in os.listdir(HERE) if f.startswith("robust_") and f.endswith(".py")):
    with open(os.path.join(HERE, _extra)) as _f:
        exec(compile(_f.read(), os.path.join(HERE, _extra), "exec"), globals())


def main():
    return CASES.main("robust")


if __name__ == "__main__":
    sys.exit(main())
