"""setup.py - builds the Python package slatsim (sim/python) with the core C
library compiled into its extension module (sim/python/_slatsim.c): the
sources the Makefile's CORE_SRC names, the command line's helpers (not its
main: the JSON writers of reach, migrate and trace info are shared) and the
PML RTL's absent stub (no co-simulation from Python).

Environment: SLATSIM_SANITIZE=1 builds with -fsanitize=address,undefined
(make python-asan); SLATSIM_JOBS=N compiles on N processes (default 2: the
machine this project runs on has two cores)."""
import glob
import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
os.chdir(HERE)   # every path below is the checkout's
INC = ["lib", "traces", "sim/machine", "sim/study", "sim/output", "sim/cli", "model/mmu",
       "model/tlb", "model/pml", "model/pml/rtl", "model/grant", "model/xenmm"]


def sources():
    pats = ["lib/*.c", "traces/*.c", "model/*/*.c", "sim/machine/*.c", "sim/study/*.c",
            "sim/output/*.c", "sim/cli/*.c"]
    out = []
    for p in pats:
        out += sorted(glob.glob(p))
    out = [s for s in out if s != "sim/cli/main.c"]
    return out + ["model/pml/rtl/pml_rtl_absent.c", "sim/python/_slatsim.c"]


SAN = os.environ.get("SLATSIM_SANITIZE") == "1"
cflags = ["-std=c11", "-D_DEFAULT_SOURCE", "-O2", "-Wno-missing-field-initializers"]
ldflags = []
if SAN:
    cflags = ["-std=c11", "-D_DEFAULT_SOURCE", "-O1", "-g", "-fsanitize=address,undefined",
              "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
    ldflags = ["-fsanitize=address,undefined"]


class BuildExt(build_ext):
    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            self.parallel = int(os.environ.get("SLATSIM_JOBS", "2"))


setup(
    package_dir={"": "sim/python"},
    packages=["slatsim"],
    ext_modules=[Extension(
        "slatsim._slatsim", sources=sources(), include_dirs=INC,
        depends=sorted(glob.glob("*/*.h") + glob.glob("*/*/*.h") + glob.glob("*/*/*/*.h")),
        libraries=["z", "deflate", "lzma", "zip", "m"], extra_compile_args=cflags,
        extra_link_args=ldflags + ["-pthread"])],
    cmdclass={"build_ext": BuildExt},
    options={"build": {"build_base": "build/python-asan" if SAN else "build/python"}},
)
