"""tests/python: the package against the command line (issue 26).

SLATSIM_HIDE=numpy,pandas hides those modules (an import of them fails), so
one run of the suite takes the paths of a machine without them. Under
LD_PRELOAD of libasan (make python-tests' third run), the session ends with
LeakSanitizer's check of what is unreachable while the interpreter still
lives (at exit the interpreter frees nothing by design, so the exit check
is left off), and fails on every leak allocated through the module."""
import ctypes
import importlib.abc
import os
import signal
import sys

import pytest

# Started with SIGINT ignored (a background job of a non-interactive shell),
# the interpreter installs no KeyboardInterrupt handler, and the cases that
# interrupt a replay with a real SIGINT would see nothing: install it.
signal.signal(signal.SIGINT, signal.default_int_handler)

HIDE = [m for m in os.environ.get("SLATSIM_HIDE", "").split(",") if m]


class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDE:
            raise ImportError("hidden by SLATSIM_HIDE: " + name)
        return None


if HIDE:
    sys.meta_path.insert(0, _Hide())
    for m in list(sys.modules):
        if m.split(".")[0] in HIDE:
            del sys.modules[m]


def _lsan():
    try:
        lib = ctypes.CDLL(None)
        return lib.__lsan_do_recoverable_leak_check
    except (OSError, AttributeError):
        return None


def _ours(report):
    """The leaks of REPORT (LeakSanitizer's text) allocated through the
    package's module: a stack with a frame in _slatsim (its C, or Python's
    allocator called from it). The interpreter's own blocks that LSan cannot
    prove reachable (code objects, type caches: every frame in python3) are
    not the package's."""
    blocks = report.split("\n\n")
    leaks = [b for b in blocks if "leak of" in b]
    return [b for b in leaks if "_slatsim" in b], len(leaks)


@pytest.fixture(scope="session", autouse=True)
def leak_check():
    yield
    check = _lsan()
    if check is None or "libasan" not in os.environ.get("LD_PRELOAD", ""):
        return
    import gc
    import tempfile
    gc.collect()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as out:
        os.dup2(out.fileno(), 2)
        try:
            check()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        report = out.read().decode("utf-8", "replace")
    ours, n = _ours(report)
    print("\nLeakSanitizer: %d leak record(s), %d through slatsim's module" % (n, len(ours)))
    assert not ours, "LeakSanitizer: leaks through slatsim's module:\n\n" + "\n\n".join(ours)
