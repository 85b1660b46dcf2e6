"""tests/python: the package against the command line (issue 26).

SLATSIM_HIDE=numpy,pandas hides those modules (an import of them fails), so
one run of the suite takes the paths of a machine without them. Under
LD_PRELOAD of libasan (make python-tests' third run), the session ends with
LeakSanitizer's check of what is unreachable while the interpreter still
lives (its own blocks are reachable then; at exit they are not, so the exit
check is left off)."""
import ctypes
import importlib.abc
import os
import sys

import pytest

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


@pytest.fixture(scope="session", autouse=True)
def leak_check():
    yield
    check = _lsan()
    if check is not None and "libasan" in os.environ.get("LD_PRELOAD", ""):
        import gc
        gc.collect()
        assert check() == 0, "LeakSanitizer found leaks (above)"
