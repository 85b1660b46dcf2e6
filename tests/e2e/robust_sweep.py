# Robust-tier cases of `slatsim sweep` (issue 21, "Nothing lost, nothing
# mixed, nothing run that the user did not write"): the emitted Slurm and
# GNU parallel scripts with hostile names, what a resume and --collect take
# from a sweep directory, and memory that follows the batch, not the grid.
# Run by run_robust.py in its namespace (run, path, fresh_dir, one_line, eq,
# Fail, Skip, TEXT, SLATSIM, PLAIN, TMP, ROOT); names here start sweep_.
import ctypes
import glob
import shutil

# ---------------------------------------------------------------- helpers


def sweep_call(args, cwd, binary=None, pre=None, expect_rc=None, env=None):
    """slatsim ARGS (str, bytes or os.fsdecode'd names) in CWD: (rc, out, err)."""
    cmd = (pre or []) + [binary or SLATSIM] + list(args)
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=600, env=env)
    err = p.stderr.decode(errors="replace")
    no_sanitizer_report(err)
    if expect_rc is not None and p.returncode != expect_rc:
        raise Fail("%r: exit %d, expected %d\nstderr: %s" % (args, p.returncode, expect_rc,
                                                            err[-2000:]))
    return p.returncode, p.stdout.decode(errors="replace"), err


def sweep_canaries(*dirs):
    """Files a command hidden in a name would have made (canary-*), anywhere below DIRS."""
    found = []
    for d in dirs:
        for root, _, files in os.walk(d):
            found += [os.path.join(root, f) for f in files if f.startswith("canary")]
    return found


def sweep_xxh64(data):
    """XXH64 of DATA, seed 0, by the system's libxxhash (the reference
    implementation), or None when it is not installed."""
    try:
        lib = ctypes.CDLL("libxxhash.so.0")
    except OSError:
        return None
    lib.XXH64.restype = ctypes.c_uint64
    lib.XXH64.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]
    return "%016x" % lib.XXH64(data, len(data), 0)


def sweep_isspace(c):
    return c in b" \t\n\v\f\r"


def sweep_sbatch_args(line, old):
    """The arguments sbatch takes from the rest of an #SBATCH line (bytes),
    by src/sbatch/opt.c _get_argument: OLD the version that quotes with '"'
    only and ends the line at any '#' outside an escape; else the one that
    quotes with '"' or '\\'' (a '#' inside quotes is literal). A backslash
    makes the next byte literal in both."""
    out, i, n = [], 0, len(line)
    while True:
        while i < n and sweep_isspace(line[i:i + 1]):
            i += 1
        if i >= n:
            return out
        arg, esc, q = b"", False, None
        while i < n and (q is not None or not sweep_isspace(line[i:i + 1])) and \
                line[i:i + 1] != b"\n":
            c = line[i:i + 1]
            if esc:
                esc = False
            elif c == b"\\":
                esc = True
                i += 1
                continue
            elif old and c == b'"':
                q = None if q else c
                i += 1
                continue
            elif not old and q is not None:
                if c == q:
                    q = None
                    i += 1
                    continue
            elif not old and c in (b'"', b"'"):
                q = c
                i += 1
                continue
            elif c == b"#":
                return out + ([arg] if arg else [])
            arg += c
            i += 1
        if q is not None:
            raise Fail("sbatch would stop at an unmatched quote in %r" % line)
        if not arg:
            return out
        out.append(arg)


# Names a shell would run if they were not quoted: a command substitution in
# both quote styles, backquotes, separators, redirections, globs, a comment,
# a backslash, a tab and bytes that are not UTF-8. No '/', NUL or line break
# (a name cannot hold the first two; the third is refused, below).
SWEEP_HOSTILE = (b"t '$(touch canary-a)' \"$(touch canary-b)\" `touch canary-c` ;touch canary-d;"
                 b" |touch canary-e& >canary-f <x *?[a] ~{b,c} !# \\ \t\xff\xfe\xc3\xa9")
# The --out directory of a Slurm sweep: its log path cannot hold '%', '\' or
# the words hetjob/packjob, so the hostile part is the rest.
SWEEP_HOSTILE_OUT = (b"o '$(touch canary-g)' \"`touch canary-h`\" ;touch canary-i;# *"
                     b" \t\xff\xc3\xa9")


def sweep_hostile_setup(name):
    """A directory with a text trace and a config file of hostile names:
    (dir, trace, config) - the last two relative to dir, as os.fsdecode'd str."""
    d = fresh_dir(name)
    t = os.fsdecode(SWEEP_HOSTILE + b".txt")
    c = os.fsdecode(SWEEP_HOSTILE + b".conf")
    with open(os.path.join(d, t), "w") as f:
        f.write(TEXT + "0 R 0x7f0000003000 8\n1 W 0x7f0000001000 8\n")
    with open(os.path.join(d, c), "w") as f:
        f.write("seed = 7\n")
    return d, t, c


SWEEP_GRID = ["--grid", "tlb.l1d.entries:tlb.l1d.ways=16:4,32:8", "--grid", "guest.page=4k,2m"]

# ---------------------------------------------------------------- emitted scripts


@case
def sweep_slurm_script_runs_hostile_names_as_data():
    # Every path is quoted in the batch script: its shell part single-quoted,
    # the #SBATCH --output path double-quoted with \ escapes for sbatch's
    # parser. The script's body is run here as Slurm would (each array task,
    # SLURM_ARRAY_TASK_ID set) by sh and by bash; no command hidden in a name
    # runs, every point is made, and --collect gives a local sweep's table.
    # The 4 points are one task by default (issue 25: tasks of a local
    # batch), two with --per-task 3 (points 0-2 and 3).
    d, t, c = sweep_hostile_setup("sw-slurm")
    out = os.fsdecode(SWEEP_HOSTILE_OUT)
    args = ["sweep", "--quiet", "--config", c, "--set", "tlb.l2.entries=768"] + SWEEP_GRID
    for per, tasks in ((None, 1), ("3", 2)):
        sweep_slurm_hostile_run(d, t, out, args, per, tasks)
    sweep_call(["sweep", "--collect", out], d, expect_rc=0)
    sweep_call(args + ["--out", "local", t], d, expect_rc=0)
    for f in ("results.csv", "results.json"):
        eq(open(os.path.join(d, out, f), "rb").read(),
           open(os.path.join(d, "local", f), "rb").read(), "collected %s vs a local sweep" % f)


def sweep_slurm_hostile_run(d, t, out, args, per, tasks):
    extra = ["--per-task", per] if per else []
    shutil.rmtree(os.path.join(d, out), ignore_errors=True)
    sweep_call(args + extra + ["--emit", "slurm", "--out", out, t], d, expect_rc=0)
    script = open(os.path.join(d, out, "sweep.sbatch"), "rb").read()
    lines = script.split(b"\n")
    sb = [ln for ln in lines if ln.startswith(b"#SBATCH")]
    want_log = os.fsencode(os.path.join(d, out)) + b"/slurm-%A_%a.out"
    outs = [ln for ln in sb if b"--output" in ln]
    eq(len(outs), 1, "#SBATCH --output lines")
    for old in (False, True):
        eq(sweep_sbatch_args(outs[0][len(b"#SBATCH"):], old), [b"--output=" + want_log],
           "the --output argument as sbatch (%s parser) reads it" % ("old" if old else "new"))
    for ln in sb:
        if b"hetjob" in ln.lower() or b"packjob" in ln.lower():
            raise Fail("an #SBATCH line sbatch would take as a heterogeneous job: %r" % ln)
    # sbatch stops reading directives at the first command: every line
    # before it is a comment, and nothing of a name starts a line.
    first_cmd = next(i for i, ln in enumerate(lines) if ln and not ln.startswith(b"#"))
    eq(lines[first_cmd].startswith(b"cd '"), True, "the first command is the cd")
    eq(b"\r" in script, False, "a carriage return in the script")
    eq(b"#SBATCH --array=0-%d" % (tasks - 1) in sb, True, "%d tasks (--per-task %s)" % (tasks, per))
    elsewhere = fresh_dir("sw-slurm-cwd-%s" % (per or "default"))
    for shell in ("sh", "bash"):
        shutil.rmtree(os.path.join(d, out, "points"))
        os.makedirs(os.path.join(d, out, "points"))
        for task in range(tasks):
            env = dict(os.environ, SLURM_ARRAY_TASK_ID=str(task))
            p = subprocess.run([shell, os.path.join(d, out, "sweep.sbatch")], cwd=elsewhere,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=600)
            no_sanitizer_report(p.stderr.decode(errors="replace"))
            eq(p.returncode, 0, "%s: task %d's exit status (%r)" % (shell, task, p.stderr[-500:]))
        eq(sweep_canaries(d, elsewhere, TMP), [], "files made by a command hidden in a name")
        eq(sorted(os.listdir(os.path.join(d, out, "points"))),
           ["%d.json" % i for i in range(4)], "%s: the points made (--per-task %s)" % (shell, per))


@case
def sweep_parallel_job_lines_run_hostile_names_as_data():
    # jobs.txt: one line per point, each a command for a POSIX shell with
    # every path single-quoted. GNU parallel runs each line in a shell; here
    # sh and bash run them. A '%' or '\' is nothing special there: kept.
    if shutil.which("parallel"):
        note = "GNU parallel installed"
    else:
        note = "no GNU parallel: the lines are run by sh and bash"
    # A line per task: 4 with --per-task 1 (a point each). parallel.sh runs
    # GNU parallel with the --parallel options, each quoted: run here by sh
    # with a stand-in 'parallel' that writes its arguments and input.
    d, t, c = sweep_hostile_setup("sw-par")
    out = os.fsdecode(SWEEP_HOSTILE + b" 100% \\n")
    args = ["sweep", "--quiet", "--config", c] + SWEEP_GRID
    hosts = os.fsdecode(SWEEP_HOSTILE + b".hosts")
    sweep_call(args + ["--emit", "gnu-parallel", "--per-task", "1", "--sshloginfile", hosts,
                       "--parallel", "-j 2", "--out", out, t], d, expect_rc=0)
    jobs = open(os.path.join(d, out, "jobs.txt"), "rb").read()
    eq(jobs.endswith(b"\n"), True, "jobs.txt ends its last line")
    jobs = jobs[:-1].split(b"\n")
    eq(len(jobs), 4, "a job line per point")
    fake = fresh_dir("sw-par-bin")
    with open(os.path.join(fake, "parallel"), "w") as f:
        f.write("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$SW_ARGS\"\n"
                "cat > \"$SW_IN\"\n")
    os.chmod(os.path.join(fake, "parallel"), 0o755)
    env = dict(os.environ, PATH=fake + os.pathsep + os.environ["PATH"],
               SW_ARGS=os.path.join(fake, "args"), SW_IN=os.path.join(fake, "in"))
    p = subprocess.run(["sh", os.path.join(d, out, "parallel.sh")], cwd=fresh_dir("sw-par-x"),
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    eq(p.returncode, 0, "sh parallel.sh (%r)" % p.stderr[-500:])
    eq(open(os.path.join(fake, "args"), "rb").read(),
       b"--sshloginfile\n" + SWEEP_HOSTILE + b".hosts\n-j\n2\n", "parallel's arguments")
    eq(open(os.path.join(fake, "in"), "rb").read().split(b"\n")[:-1], jobs,
       "parallel's input: jobs.txt")
    elsewhere = fresh_dir("sw-par-cwd")
    for shell in ("sh", "bash"):
        shutil.rmtree(os.path.join(d, out, "points"))
        os.makedirs(os.path.join(d, out, "points"))
        for line in jobs:
            p = subprocess.run([shell, "-c", line], cwd=elsewhere, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=600)
            no_sanitizer_report(p.stderr.decode(errors="replace"))
            eq(p.returncode, 0, "%s -c job: exit status (%r)" % (shell, p.stderr[-500:]))
        eq(sweep_canaries(d, elsewhere, TMP), [], "files made by a command hidden in a name")
        eq(sorted(os.listdir(os.path.join(d, out, "points"))),
           ["%d.json" % i for i in range(4)], "%s: the points made (%s)" % (shell, note))
    sweep_call(["sweep", "--collect", out], d, expect_rc=0)
    sweep_call(args + ["--out", "local", t], d, expect_rc=0)
    eq(open(os.path.join(d, out, "results.csv"), "rb").read(),
       open(os.path.join(d, "local", "results.csv"), "rb").read(), "collected vs local")


@case
def sweep_emit_refuses_what_a_script_cannot_hold():
    # Refused before anything is written, exit 2, one line naming the path
    # (its control bytes shown as \xNN) and the byte.
    d = fresh_dir("sw-refuse")
    open(os.path.join(d, "t.txt"), "w").write(TEXT)
    open(os.path.join(d, "nl\n;touch canary-n.txt"), "w").write(TEXT)
    open(os.path.join(d, "cr\r.txt"), "w").write(TEXT)
    open(os.path.join(d, "c\nx.conf"), "w").write("seed = 3\n")
    g = ["--grid", "seed=1,2"]
    plan = [
        # (kind, extra args, trace, pattern)
        ("slurm", ["--out", "o\nut"], "t.txt",
         r"--emit slurm: the --out directory 'o\\x0aut' holds a line feed \(byte 0x0a\)"),
        ("gnu-parallel", ["--out", "o\nut"], "t.txt",
         r"--emit gnu-parallel: the --out directory 'o\\x0aut' holds a line feed .*a job "
         r"line of jobs\.txt"),
        ("gnu-parallel", ["--out", "o1"], "nl\n;touch canary-n.txt",
         r"the trace 'nl\\x0a;touch canary-n\.txt' holds a line feed \(byte 0x0a\)"),
        ("slurm", ["--out", "o2"], "cr\r.txt",
         r"the trace 'cr\\x0d\.txt' holds a carriage return \(byte 0x0d\)"),
        ("slurm", ["--out", "o3", "--config", "c\nx.conf"], "t.txt",
         r"the --config file 'c\\x0ax\.conf' holds a line feed"),
        ("slurm", ["--out", "o%j"], "t.txt",
         r"the --out directory 'o%j' holds '%' \(byte 0x25\), which Slurm expands"),
        ("slurm", ["--out", "o\\x"], "t.txt",
         r"the --out directory 'o\\x' holds '\\' \(byte 0x5c\)"),
        ("slurm", ["--out", "my-HetJob-dir"], "t.txt",
         r"the --out directory 'my-HetJob-dir' holds 'HetJob', which sbatch takes .* "
         r"heterogeneous job"),
        ("slurm", ["--out", "packjob"], "t.txt", r"holds 'packjob'"),
    ]
    for kind, extra, trace, pat in plan:
        before = sorted(os.listdir(d))
        _, _, err = sweep_call(["sweep"] + g + extra + ["--emit", kind, trace], d, expect_rc=2)
        one_line(err, pat, "--emit %s %r %r" % (kind, extra, trace))
        eq(sorted(os.listdir(d)), before, "nothing written for --emit %s %r" % (kind, extra))
    eq(sweep_canaries(d), [], "files made by a hidden command")
    # The Slurm log path of a relative --out is under the working directory:
    # a '%' there is refused by that name; jobs.txt takes it.
    w = fresh_dir("sw-refuse/w%x")
    open(os.path.join(w, "t.txt"), "w").write(TEXT)
    _, _, err = sweep_call(["sweep"] + g + ["--emit", "slurm", "--out", "o", "t.txt"], w,
                           expect_rc=2)
    one_line(err, r"the working directory '.*/w%x' holds '%'", "a '%' in the working directory")
    sweep_call(["sweep"] + g + ["--emit", "gnu-parallel", "--out", "o", "t.txt"], w, expect_rc=0)
    # An absolute --out does not go through the working directory.
    sweep_call(["sweep"] + g + ["--emit", "slurm", "--out", os.path.join(d, "abs"), "t.txt"], w,
               expect_rc=0)


# ---------------------------------------------------------------- what a resume takes


def sweep_dr_copy(name):
    """A copy of the shipped drmemtrace capture directory (times kept)."""
    d = os.path.join(fresh_dir(name), "cap")
    shutil.copytree(os.path.join(ROOT, "tests/data/drmemtrace/echo-gzip"), d)
    return d


def sweep_refused(args, cwd, pattern, what):
    _, _, err = sweep_call(args, cwd, expect_rc=2)
    one_line(err, pattern, what)


@case
def sweep_resume_sees_what_changed_in_a_capture_directory():
    # The fingerprint is every file the reader reads (DIR/trace/*), each with
    # its size, time and content hash: a thread file added, removed, or edited
    # with its size and time kept (cp -p, rsync -t) is seen on resume.
    cap = sweep_dr_copy("sw-cap")
    top = os.path.dirname(cap)
    args = ["sweep", "--quiet", "--grid", "seed=1,2", "--set", "sim.max_records=20000",
            "--out", "o", "cap"]
    sweep_call(args, top, expect_rc=0)
    points = {n: open(os.path.join(top, "o/points", n), "rb").read()
              for n in ("0.json", "1.json")}
    man = json.load(open(os.path.join(top, "o/sweep.json")))
    files = man["trace_files"][0].get("files")
    if not files:
        raise Fail("sweep.json records no files of the capture: %r" % man["trace_files"])
    eq([f["file"] for f in files], sorted("trace/" + n for n in os.listdir(cap + "/trace")),
       "the files fingerprinted: every file of cap/trace")
    for f in files:
        data = open(os.path.join(cap, f["file"]), "rb").read()
        eq(f["bytes"], len(data), f["file"] + ": bytes")
        h = sweep_xxh64(data)
        if h is not None:
            eq(f["xxh64"], h, f["file"] + ": XXH64 (libxxhash's)")
    thread = os.path.join(cap, "trace/drmemtrace.echo.13363.2590.trace.gz")
    # A second thread file, as a capture of two threads would have.
    extra = os.path.join(cap, "trace/drmemtrace.echo.13363.2591.trace.gz")
    shutil.copy2(thread, extra)
    sweep_refused(args, top, r"o/sweep\.json: holds a different sweep: cap/trace/drmemtrace\."
                  r"echo\.13363\.2591\.trace\.gz: appeared since the sweep began", "added thread")
    os.unlink(extra)
    _, out, _ = sweep_call([a for a in args if a != "--quiet"], top, expect_rc=0)
    if "0 points run, 2 finished before" not in out:
        raise Fail("the unchanged resume: %r" % out)
    # One byte of the thread file changed, its size and time put back.
    st = os.stat(thread)
    data = bytearray(open(thread, "rb").read())
    data[len(data) // 2] ^= 0x01
    open(thread, "wb").write(data)
    os.utime(thread, ns=(st.st_atime_ns, st.st_mtime_ns))
    sweep_refused(args, top, r"holds a different sweep: cap/trace/drmemtrace\.echo\.13363\.2590"
                  r"\.trace\.gz: changed since the sweep began \(its content \(same size and "
                  r"time\)\)", "an edit with size and time kept")
    data[len(data) // 2] ^= 0x01
    open(thread, "wb").write(data)
    os.utime(thread, ns=(st.st_atime_ns, st.st_mtime_ns))
    sweep_call(args, top, expect_rc=0)
    os.unlink(os.path.join(cap, "trace/serial_schedule.bin.gz"))
    sweep_refused(args, top, r"cap/trace/serial_schedule\.bin\.gz: vanished since the sweep "
                  r"began", "a removed file")
    for n, b in points.items():
        eq(open(os.path.join(top, "o/points", n), "rb").read(), b, "point " + n)


@case
def sweep_resume_sees_a_trace_file_rewritten_with_size_and_time_kept():
    d = fresh_dir("sw-cpp")
    a, b = os.path.join(d, "a.txt"), os.path.join(d, "t.txt")
    open(a, "w").write(TEXT.replace("0x7f0000002000", "0x7f0000005000"))
    open(b, "w").write(TEXT)
    args = ["sweep", "--quiet", "--grid", "seed=1,2", "--out", "o", "t.txt"]
    sweep_call(args, d, expect_rc=0)
    st = os.stat(b)
    shutil.copyfile(a, b)      # same length: cp -p of another capture
    os.utime(b, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.unlink(os.path.join(d, "o/points/1.json"))
    sweep_refused(args, d, r"t\.txt: changed since the sweep began \(its content",
                  "a trace replaced with size and time kept")
    eq(os.path.exists(os.path.join(d, "o/points/1.json")), False, "no point made from it")


@case
def sweep_refuses_to_resume_a_manifest_without_content_hashes():
    # sweep.json as slatsim wrote it before the fingerprint (size and time
    # of each trace only) cannot tell an edit with both kept: refused.
    d = fresh_dir("sw-oldman")
    open(os.path.join(d, "t.txt"), "w").write(TEXT)
    args = ["sweep", "--quiet", "--grid", "seed=1,2", "--out", "o", "t.txt"]
    sweep_call(args, d, expect_rc=0)
    mp = os.path.join(d, "o/sweep.json")
    man = json.load(open(mp))
    st = os.stat(os.path.join(d, "t.txt"))
    man["trace_files"] = [{"path": "t.txt", "bytes": st.st_size,
                           "mtime_ns": st.st_mtime_ns}]
    open(mp, "w").write(json.dumps(man, indent=2) + "\n")
    sweep_refused(args, d, r"o/sweep\.json: begun by a slatsim that recorded each trace's size "
                  r"and time only.*cannot be resumed safely", "an old manifest")


@case
def sweep_refuses_a_point_file_of_another_sweep():
    # A point file is taken - by a resume and by --collect - only if it names
    # the point's trace and configuration, with every statistic a number.
    d = fresh_dir("sw-foreign")
    open(os.path.join(d, "a.txt"), "w").write(TEXT)
    open(os.path.join(d, "b.txt"), "w").write(TEXT + "0 R 0x7f0000009000 8\n")
    g = ["--grid", "tlb.l2.entries=768,1536"]
    sweep_call(["sweep", "--quiet"] + g + ["--out", "A", "a.txt"], d, expect_rc=0)
    sweep_call(["sweep", "--quiet"] + g + ["--out", "B", "b.txt"], d, expect_rc=0)
    pa = os.path.join(d, "A/points/1.json")
    good = open(pa, "rb").read()
    cases = [
        (open(os.path.join(d, "B/points/1.json"), "rb").read(),
         r"A/points/1\.json: not point 1 of this sweep: its trace is 'b\.txt', the point's is "
         r"'a\.txt'"),
        (open(os.path.join(d, "A/points/0.json"), "rb").read(),
         r"A/points/1\.json: not point 1 of this sweep: its tlb\.l2\.entries is 768, the "
         r"point's is 1536"),
        (good.replace(b'"guest.page": "base"', b'"guest.page": "2m"'),
         r"its guest\.page is \"2m\", the point's is \"base\""),
        (good.replace(b'"slatsim": "', b'"slatsim": "9.', 1),
         r"not point 1 of this sweep: written by slatsim 9\."),
        (good.replace(b'"accesses": 2,', b'"accesses": "2",'),
         r"A/points/1\.json: statistic \"accesses\" is not a number \(\"2\"\)"),
        (good.replace(b'"accesses": 2,', b'"accesses": null,'),
         r"statistic \"accesses\" is not a number \(null\)"),
        (good.replace(b'"reads": 1,', b'"reads": true,'),
         r"statistic \"reads\" is not a number \(true\)"),
        (b'{"stats": {}}', r"A/points/1\.json: not a point of a sweep"),
    ]
    for data, pat in cases:
        if data == good:
            raise Fail("the edit for %r changed nothing" % pat)
        open(pa, "wb").write(data)
        sweep_refused(["sweep", "--collect", "A"], d, pat, "--collect with %r" % pat)
        _, _, err = sweep_call(["sweep", "--quiet"] + g + ["--out", "A", "a.txt"], d,
                               expect_rc=2)
        one_line(err, pat + ".*; remove it to run the point again", "resume with %r" % pat)
    eq(sorted(os.listdir(os.path.join(d, "A"))), ["points", "results.csv", "results.json",
                                                   "sweep.json"], "files of A")
    open(pa, "wb").write(good)
    sweep_call(["sweep", "--collect", "A"], d, expect_rc=0)


# ---------------------------------------------------------------- memory


# A process's peak RSS counts its parent's at the fork (Linux keeps the
# larger of the old and new address spaces' high-water marks across exec):
# this runner's Python, 60 MB after the cases before it, hid slatsim's own.
# A small Python forks slatsim (standard output to /dev/null) and prints
# its wait4 status and peak instead.
SWEEP_PEAK_HELPER = """
import os, sys
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, ru = os.wait4(pid, 0)
print(status, ru.ru_maxrss)
"""


def sweep_peak_kb(args, cwd):
    """Peak resident set (KB) of slatsim ARGS (the optimised binary), by wait4."""
    import sys as sweep_sys
    p = subprocess.Popen([sweep_sys.executable, "-S", "-c", SWEEP_PEAK_HELPER, PLAIN] + args,
                         cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    got = out.decode().split()
    status, kb = (int(got[0]), int(got[1])) if p.returncode == 0 and len(got) == 2 else (-1, 0)
    if status != 0:
        raise Fail("%r: status %d: %s" % (args, status, err.decode(errors="replace")))
    return kb


@case
def sweep_memory_follows_the_batch_not_the_grid():
    # Machines are built a batch at a time (16 by default) and destroyed
    # after it: 16 points and 400 points peak alike (before, every point's
    # machine was built up front, about 2.7 MB each: 400 points took ~1.1 GB).
    if not PLAIN:
        raise Skip("no optimised binary given")
    d = fresh_dir("sw-mem")
    open(os.path.join(d, "t.txt"), "w").write(TEXT)
    g16 = ["--grid", "seed=" + ",".join(str(i) for i in range(1, 17))]
    g400 = g16[:1] + ["seed=" + ",".join(str(i) for i in range(1, 41)),
                      "--grid", "tlb.l1d.latency=" + ",".join(str(i) for i in range(10))]
    k16 = sweep_peak_kb(["sweep", "--quiet"] + g16 + ["--out", "a", "t.txt"], d)
    k400 = sweep_peak_kb(["sweep", "--quiet"] + g400 + ["--out", "b", "t.txt"], d)
    eq(len(os.listdir(os.path.join(d, "b/points"))), 400, "points of the 400-point sweep")
    if k400 > k16 * 1.15 + 4096:
        raise Fail("peak RSS: 16 points %d KB, 400 points %d KB" % (k16, k400))
    k1 = sweep_peak_kb(["sweep", "--quiet", "--batch", "1"] + g400 + ["--out", "c", "t.txt"], d)
    if k1 >= k16:
        raise Fail("peak RSS with --batch 1 (%d KB) not below the default batch's (%d KB)"
                   % (k1, k16))


@case
def sweep_out_of_memory_is_one_line():
    # Under a limit the machines of a batch run out of memory together: one
    # line and exit 1, never a line per point (963 of them before); the
    # points that finished stay. Machines that cannot be built are one line too.
    if not PLAIN:
        raise Skip("no optimised binary given")
    d = fresh_dir("sw-oom")
    t = os.path.join(d, "huge.slt")
    run("trace", "gen", "--pattern", "random", "--footprint", "64T", "--count", "300K",
        "--seed", "5", "-o", t, expect_rc=0)
    lim = ["prlimit", "--as=%d" % (400 << 20), "--"]
    g = ["--grid", "seed=" + ",".join(str(i) for i in range(1, 61)), "--set", "host.page=4k"]
    for extra in ([], ["--batch", "60"], ["-j", "2", "--batch", "30"]):
        rc, _, err = sweep_call(["sweep", "--quiet"] + g + extra + ["--out", "o", t], d,
                                binary=PLAIN, pre=lim)
        eq(rc, 1, "exit status out of memory %r" % extra)
        one_line(err, r"^slatsim: points? [\d.]+: .*out of memory", "sweep out of memory %r" % extra)
    text = os.path.join(d, "t.txt")
    open(text, "w").write(TEXT)
    g = ["--grid", "seed=" + ",".join(str(i) for i in range(1, 201)),
         "--grid", "tlb.l1d.latency=0,1,2,3,4"]
    rc, _, err = sweep_call(["sweep", "--quiet", "--batch", "1000"] + g + ["--out", "p", text],
                            d, binary=PLAIN, pre=lim)
    eq(rc, 1, "exit status: 1000 machines at once under 400 MB")
    one_line(err, r"^slatsim: point \d+: .*out of memory", "1000 machines under 400 MB")


@case
def sweep_stops_when_its_trace_changes_while_it_runs():
    # The fingerprint is taken again after each batch, before its points are
    # written: a trace edited (here only its time) while the sweep reads it
    # stops the sweep, naming the file, and no point of the batch is written.
    d = fresh_dir("sw-live")
    t = os.path.join(d, "t.slt")
    shutil.copy(SAMPLE, t)
    # Points of the whole capture (0.2 s each at 87 M records/s, more under
    # ASan): the trace is touched once point 0 is written (during point 1's
    # replay, whatever the machine's speed), so a later batch sees it.
    p = subprocess.Popen([SLATSIM, "sweep", "--quiet", "--batch", "1", "--grid", "seed=1,2,3",
                          "--out", "o", "t.slt"], cwd=d,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = os.path.join(d, "o", "points", "0.json")
    deadline = time.time() + 300
    while not os.path.exists(first) and p.poll() is None and time.time() < deadline:
        time.sleep(0.002)
    st = os.stat(t)
    os.utime(t, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))
    _, err = p.communicate(timeout=600)
    err = err.decode(errors="replace")
    no_sanitizer_report(err)
    eq(p.returncode, 2, "exit status (%s)" % err)
    # The batch after point 0 sees the change: when it fingerprints the trace
    # again after its replay, or while it hashes it (the change fell during
    # the hash). Whichever it names, its point is not written, only those
    # before it.
    one_line(err, r"^slatsim: t\.slt: (changed since the sweep began \(its modification time\)|"
             r"changed while it was being read) "
             r"\(read for points (\d)\.\.\2, which were not written", "a trace changed mid-sweep")
    n = int(re.search(r"read for points (\d)\.\.", err).group(1))
    eq(sorted(os.listdir(os.path.join(d, "o/points"))), ["%d.json" % k for k in range(n)],
       "points written before the batch that saw the change")
