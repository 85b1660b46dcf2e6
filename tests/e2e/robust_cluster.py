# Robust-tier cases of `slatsim sweep --emit` at cluster scale (issue 25):
# tasks that run groups of points, Slurm's array limit, the --sbatch and
# --parallel options and what they refuse. Run by run_robust.py in its
# namespace (run, path, fresh_dir, one_line, eq, Fail, TEXT, SLATSIM, TMP);
# names here start cluster_.
import shutil


def cluster_call(args, cwd, expect_rc=None, env=None):
    """slatsim ARGS in CWD: (rc, out, err) - robust_sweep.py's sweep_call
    (every robust_*.py is loaded before a case runs)."""
    return sweep_call(args, cwd, expect_rc=expect_rc, env=env)


def cluster_array_size(script):
    """The number of tasks of an sbatch script's --array=0-N line."""
    m = re.search(r"^#SBATCH --array=0-(\d+)$", open(script).read(), re.M)
    if not m:
        raise Fail("%s: no #SBATCH --array=0-N line" % script)
    return int(m.group(1)) + 1


def cluster_run_array(script, cwd):
    """Every task of SCRIPT, as Slurm would run them."""
    for task in range(cluster_array_size(script)):
        p = subprocess.run(["sh", script], cwd=cwd, env=dict(os.environ,
                           SLURM_ARRAY_TASK_ID=str(task)), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=600)
        no_sanitizer_report(p.stderr.decode(errors="replace"))
        eq(p.returncode, 0, "%s task %d (%r)" % (script, task, p.stderr[-500:]))


@case
def cluster_arrays_never_exceed_the_limit():
    # 200 points (seed=1..200). By hand: the default is ceil(200/16) = 13
    # tasks of ceil(200/13) = 16 points (the last 8); with
    # --max-array-size 10 the 13 tasks do not fit, so the grouping grows to
    # ceil(200/10) = 20 points: 10 tasks, one array of 0-9. --per-task 20
    # with --max-array-size 4 keeps 20 (10 tasks) and splits them: arrays
    # of 4, 4 and 2 (sweep-0..2.sbatch, submit.sh); run array by array,
    # task by task, they make every point, and --collect gives the local
    # table.
    d = fresh_dir("cl-arrays")
    open(os.path.join(d, "t.txt"), "w").write(TEXT)
    g = ["--grid", "seed=1..200"]
    _, out, _ = cluster_call(["sweep"] + g + ["--emit", "slurm", "--out", "a", "t.txt"], d,
                             expect_rc=0)
    if "200 points in 13 tasks of 16 points" not in out:
        raise Fail("default grouping: %r" % out)
    eq(cluster_array_size(os.path.join(d, "a", "sweep.sbatch")), 13, "default tasks")
    _, out, _ = cluster_call(["sweep"] + g + ["--emit", "slurm", "--max-array-size", "10",
                                              "--out", "b", "t.txt"], d, expect_rc=0)
    if "200 points in 10 tasks of 20 points" not in out:
        raise Fail("grouped to fit: %r" % out)
    eq(cluster_array_size(os.path.join(d, "b", "sweep.sbatch")), 10, "tasks that fit")
    _, out, _ = cluster_call(["sweep"] + g + ["--emit", "slurm", "--max-array-size", "4",
                                              "--per-task", "20", "--out", "c", "t.txt"], d,
                             expect_rc=0)
    if "200 points in 10 tasks of 20 points (3 arrays of at most 4 tasks)" not in out or \
            "submit: sh " not in out:
        raise Fail("split: %r" % out)
    c = os.path.join(d, "c")
    eq(sorted(f for f in os.listdir(c) if f.endswith((".sbatch", ".sh"))),
       ["submit.sh", "sweep-0.sbatch", "sweep-1.sbatch", "sweep-2.sbatch"], "the scripts")
    eq([cluster_array_size(os.path.join(c, "sweep-%d.sbatch" % k)) for k in range(3)],
       [4, 4, 2], "the arrays' tasks")
    sub = open(os.path.join(c, "submit.sh")).read()
    eq(re.findall(r"^sbatch \"\$@\" '.*/(sweep-\d\.sbatch)'$", sub, re.M),
       ["sweep-0.sbatch", "sweep-1.sbatch", "sweep-2.sbatch"], "submit.sh's sbatch lines")
    elsewhere = fresh_dir("cl-arrays-cwd")
    for k in range(3):
        cluster_run_array(os.path.join(c, "sweep-%d.sbatch" % k), elsewhere)
    eq(len(os.listdir(os.path.join(c, "points"))), 200, "points made by the three arrays")
    cluster_call(["sweep", "--collect", "c"], d, expect_rc=0)
    cluster_call(["sweep", "--quiet"] + g + ["--out", "local", "t.txt"], d, expect_rc=0)
    eq(open(os.path.join(c, "results.csv"), "rb").read(),
       open(os.path.join(d, "local", "results.csv"), "rb").read(), "collected vs local")


@case
def cluster_sbatch_lines_are_the_users_and_checked():
    # Each --sbatch OPTION is an #SBATCH line, after slatsim's own and
    # before the first command; -j N is each task's -j and its
    # --cpus-per-task. What an #SBATCH line cannot hold, or what would undo
    # the script (its array, its task logs), is refused by name before
    # anything is written.
    d = fresh_dir("cl-sbatch")
    open(os.path.join(d, "t.txt"), "w").write(TEXT)
    g = ["--grid", "seed=1,2,3"]
    cluster_call(["sweep"] + g + ["--emit", "slurm", "-j", "2", "--sbatch", "--time=0:30:00",
                                  "--sbatch", "--partition=short", "--sbatch", "-A proj",
                                  "--out", "o", "t.txt"], d, expect_rc=0)
    lines = open(os.path.join(d, "o", "sweep.sbatch")).read().splitlines()
    sb = [ln for ln in lines if ln.startswith("#SBATCH")]
    eq(sb[-3:], ["#SBATCH --time=0:30:00", "#SBATCH --partition=short", "#SBATCH -A proj"],
       "the user's lines, last")
    eq("#SBATCH --cpus-per-task=2" in sb, True, "-j 2: 2 CPUs a task")
    first_cmd = next(i for i, ln in enumerate(lines) if ln and not ln.startswith("#"))
    eq(lines.index(sb[-1]) < first_cmd, True, "#SBATCH lines before the first command")
    eq(" -j 2 " in lines[-1], True, "each task's -j")
    for opt, pat in (("time=1", r"--sbatch 'time=1' is not an option"),
                     ("--array=0-3", r"--sbatch '--array=0-3' sets the array"),
                     ("--arr=0-3", r"sets the array"),
                     ("-a0-3", r"sets the array"),
                     ("--output=x.log", r"sets the task log path"),
                     ("-o x.log", r"sets the task log path"),
                     ("--comment=a#b", r"holds '#'"),
                     ("--partition=x-PackJob", r"holds hetjob or packjob"),
                     ("--time=1\n#SBATCH --array=0-9", r"--sbatch '--time=1\\x0a#SBATCH "
                      r"--array=0-9' holds a line feed")):
        shutil.rmtree(os.path.join(d, "bad"), ignore_errors=True)
        _, _, err = cluster_call(["sweep"] + g + ["--emit", "slurm", "--sbatch", opt,
                                                  "--out", "bad", "t.txt"], d, expect_rc=2)
        one_line(err, pat, "--sbatch %r" % opt)
        eq(os.path.exists(os.path.join(d, "bad")), False, "a directory after --sbatch %r" % opt)
    for args, pat in ((["--emit", "gnu-parallel", "--sbatch", "--time=1"],
                       r"--sbatch is for --emit slurm"),
                      (["--emit", "slurm", "--parallel", "-j 2"], r"--parallel is for --emit gnu"),
                      (["--emit", "gnu-parallel", "--parallel", "j 2"],
                       r"--parallel 'j 2' is not an option of GNU parallel"),
                      (["--emit", "gnu-parallel", "--max-array-size", "5"],
                       r"--max-array-size is for --emit slurm"),
                      (["--per-task", "2"], r"--per-task is for --emit"),
                      (["--emit", "slurm", "--per-task", "0"], r"--per-task"),
                      (["--emit", "slurm", "--max-array-size", "0"], r"--max-array-size")):
        _, _, err = cluster_call(["sweep"] + g + args + ["--out", "bad", "t.txt"], d,
                                 expect_rc=2)
        if not re.search(pat, err.strip().splitlines()[0]):
            raise Fail("%r: %r does not match %r" % (args, err, pat))
        eq(os.path.exists(os.path.join(d, "bad")), False, "a directory after %r" % args)
