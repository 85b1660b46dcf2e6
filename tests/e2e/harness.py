"""What the end-to-end scripts share: the case registry and its runner,
failures and skips, exact comparison, and the sanitizer check of every run."""

import os
import re
import signal

# A harness started with SIGINT ignored - a background job of a
# non-interactive shell (`cmd &`, nohup) - hands that to every slatsim it
# runs, and slatsim keeps an ignored SIGINT ignored, as a background job
# should: the cases that interrupt a run would see it finish (exit 0). With
# a handler here the children start with SIGINT at its default.
signal.signal(signal.SIGINT, signal.default_int_handler)

class Fail(Exception):
    pass


class Skip(Exception):
    pass


def eq(got, want, what):
    if got != want:
        raise Fail("%s: got %r, want %r" % (what, got, want))


def no_sanitizer_report(err):
    """A run under ASan/UBSan fails when it printed a report, whatever it exited."""
    if "Sanitizer" in err or "runtime error" in err:
        raise Fail("sanitizer report:\n" + err[-3000:])


def exit_as_expected(args, rc, expect_rc, err, prog="slatsim"):
    if expect_rc is not None and rc != expect_rc:
        raise Fail("%s %s: exit %d, expected %d\nstderr: %s" %
                   (prog, " ".join(map(str, args)), rc, expect_rc, err[-2000:]))


class Cases:
    """@cases.case registers a function; cases.main("name") runs them in
    order and prints 'ok', 'skip' or 'FAIL' for each, then the totals."""

    def __init__(self):
        self.fns = []

    def case(self, fn):
        self.fns.append(fn)
        return fn

    def main(self, name):
        passed = failed = skipped = 0
        # SLATSIM_CASES=REGEX runs only the cases whose name it matches (a
        # developer's loop over one class; make check runs them all).
        only = os.environ.get("SLATSIM_CASES")
        for fn in self.fns:
            if only and not re.search(only, fn.__name__):
                continue
            try:
                fn()
                passed += 1
                print("ok   %s" % fn.__name__)
            except Skip as ex:
                skipped += 1
                print("skip %s: %s" % (fn.__name__, ex))
            except Fail as ex:
                failed += 1
                print("FAIL %s: %s" % (fn.__name__, ex))
        tail = ", %d skipped" % skipped if skipped else ""
        print("%s: %d passed, %d failed%s" % (name, passed, failed, tail))
        return 1 if failed else 0
