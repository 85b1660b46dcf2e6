# slatsim - one entry point.
#   make          build build/slatsim (-O2, warnings on)
#   make run      build and replay the shipped real trace, print the report
#   make check    build everything with ASan+UBSan, run every Check suite and
#                 every end-to-end case (the SystemC platform's too); fails on
#                 any sanitizer report
#   make bench    speed and memory figures (not part of check)
#   make fuzz     libFuzzer targets for every reader and the config parser
#   make lint     verilator --lint-only -Wall on the RTL PML unit (and its
#                 bug-injection builds): zero warnings
#   make cosim    RTL PML unit against the C model: directed, constrained-
#                 random, bug-injection and real-trace co-simulation
#   make docs     rewrite every figure README.md and docs/*.md quote from
#                 the tool (tools/docs: marked blocks, each made by a
#                 command) and the charts (tools/readme-charts); make
#                 docs-check compares the blocks (minutes); make check
#                 compares the fast ones
#   make check-cluster  optional tier: a sweep as a Slurm array job on a
#                 single-node Slurm started and torn down by the test
#   make systemc  build/slatsim-sc: `slatsim run` on a SystemC TLM-2.0
#                 platform (sim/systemc; needs libsystemc-dev)
#   make python   the Python package slatsim (sim/python, setup.py) into
#                 build/python/lib; pip install . installs it (README)
#   make man     build/slatsim.1 (from the help text) and build/slatsim.bash
#   make install PREFIX=/usr/local DESTDIR=  slatsim, chase (libexec), the man
#                 page, the bash completion and the shipped configurations
#   make clean
# Missing Debian packages are installed by tools/deps (as root) or named.

BUILD   := build
CC      ?= cc
CSTD    := -std=c11 -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Werror=implicit-function-declaration -Werror=int-conversion -Werror=incompatible-pointer-types
INC     := -I$(BUILD)/gen -Ilib -Itraces -Isim/machine -Isim/study -Isim/output -Isim/cli -Imodel/mmu -Imodel/tlb -Imodel/pml -Imodel/pml/rtl -Imodel/grant -Imodel/xenmm
OPT     := -O2 -g
LIBS    := -lz -ldeflate -llzma -lzip -lm -pthread
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
DEPFLAGS = -MMD -MP

CORE_SRC := $(wildcard lib/*.c) $(wildcard traces/*.c) $(wildcard model/*/*.c) \
            $(wildcard sim/machine/*.c sim/study/*.c sim/output/*.c)
CLI_SRC  := $(wildcard sim/cli/*.c)
TEST_SRC := $(wildcard tests/check_*.c)

OBJ      := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
ASAN_OBJ := $(CORE_SRC:%.c=$(BUILD)/asan/%.o)
CLI_OBJ      := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
CLI_ASAN_OBJ := $(CLI_SRC:%.c=$(BUILD)/asan/%.o)

SAMPLE   := traces/samples/xz-compress.slt

# ---------------------------------------------------------------- SystemC (sim/systemc)
# build/slatsim-sc: the C core and the command line's helpers (not its
# main), the TLM-2.0 component and platform in C++17, libsystemc. Only
# `make systemc`, `make check` and `make bench` need it.
SC_SRC      := $(wildcard sim/systemc/*.cpp)
SC_CLI_OBJ  := $(filter-out %/main.o,$(CLI_OBJ))
SC_CXXFLAGS := -std=c++17 -Wall -Wextra -Wshadow -Wno-missing-field-initializers $(INC) -Isim/systemc
SC_LIBS      = $$(pkg-config --libs systemc)

$(BUILD)/obj/sim/systemc/%.o: sim/systemc/%.cpp | deps-systemc
	@mkdir -p $(dir $@)
	@echo "  CXX     $<"
	@$(CXX) $(SC_CXXFLAGS) $(OPT) $(DEPFLAGS) $$(pkg-config --cflags systemc) -c $< -o $@

$(BUILD)/asan/sim/systemc/%.o: sim/systemc/%.cpp | deps-systemc
	@mkdir -p $(dir $@)
	@echo "  CXX/SAN $<"
	@$(CXX) $(SC_CXXFLAGS) -O1 -g $(SAN) $(DEPFLAGS) $$(pkg-config --cflags systemc) -c $< -o $@

# For someone else's platform: the model and the component (not the trace
# player or the command line) in one archive.
$(BUILD)/libslatsim-sc.a: $(OBJ) $(BUILD)/obj/sim/systemc/slatsim_mmu.o \
		$(BUILD)/obj/sim/systemc/slatsim_memory.o $(BUILD)/obj/model/pml/rtl/pml_rtl_absent.o
	@rm -f $@
	ar rcs $@ $^

systemc: $(BUILD)/slatsim-sc $(BUILD)/libslatsim-sc.a

# Two instances in one simulation, the walker's traffic, AT, hypervisor
# verbs (tests/systemc/check_sc.cpp); slatsim-sc against slatsim run on the
# shipped trace (tests/systemc/run_sc.py).
$(BUILD)/asan/tests/systemc/check_sc.o: tests/systemc/check_sc.cpp | deps-systemc
	@mkdir -p $(dir $@)
	@echo "  CXX/SAN $<"
	@$(CXX) $(SC_CXXFLAGS) -O1 -g $(SAN) $(DEPFLAGS) $$(pkg-config --cflags systemc) -c $< -o $@

$(BUILD)/asan/check_sc: $(BUILD)/asan/tests/systemc/check_sc.o $(ASAN_OBJ) \
		$(filter-out %/main.o,$(SC_SRC:%.cpp=$(BUILD)/asan/%.o)) \
		$(BUILD)/asan/model/pml/rtl/pml_rtl_absent.o
	$(CXX) -pthread $(SAN) $(LDFLAGS) $^ $(LIBS) $(SC_LIBS) -o $@

$(BUILD)/asan/example_vp: tests/systemc/example_vp.cpp $(ASAN_OBJ) \
		$(BUILD)/asan/sim/systemc/slatsim_mmu.o $(BUILD)/asan/sim/systemc/slatsim_memory.o \
		$(BUILD)/asan/model/pml/rtl/pml_rtl_absent.o | deps-systemc
	$(CXX) $(SC_CXXFLAGS) -O1 -g $(SAN) $$(pkg-config --cflags systemc) $^ $(LIBS) $(SC_LIBS) -o $@

sc-tests: $(BUILD)/asan/check_sc $(BUILD)/asan/example_vp $(BUILD)/asan/slatsim-sc \
		$(BUILD)/asan/slatsim $(BUILD)/slatsim $(BUILD)/slatsim-sc | deps-check
	SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 tests/lsan_retry.sh $(BUILD)/asan/check_sc
	SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 tests/lsan_retry.sh $(BUILD)/asan/example_vp
	python3 tests/systemc/run_sc.py $(BUILD)/asan/slatsim $(BUILD)/asan/slatsim-sc \
		$(BUILD)/slatsim $(BUILD)/slatsim-sc

# ---------------------------------------------------------------- RTL (Verilator)
# With Verilator (and a C++ compiler) installed, slatsim links the Verilated PML unit (`run --cosim
# pml`); without it, model/pml/rtl/pml_rtl_absent.c makes --cosim refuse with
# a message. The C++ is only model/pml/rtl/pml_rtl.cpp and Verilator's output.
CXX      ?= g++
VERILATOR := $(if $(shell command -v $(CXX) 2>/dev/null),$(shell command -v verilator 2>/dev/null))
VL_ROOT  := $(if $(VERILATOR),$(shell verilator --getenv VERILATOR_ROOT 2>/dev/null))
VL_INC   := $(VL_ROOT)/include
RTL_SV   := model/pml/rtl/pml_unit.sv
RTL_PKG  := $(BUILD)/rtl/pml_hw_pkg.sv
RTL_BUGS := increment late_full unaligned valid_drop
VFLAGS   := --cc --trace-fst --assert -Wall -O3 --prefix Vpml_unit --top-module pml_unit
VL_CXX   := -std=c++17 -I$(VL_INC) -I$(VL_INC)/vltstd -DVM_TRACE=1 -DVM_TRACE_FST=1 \
            -DVM_COVERAGE=0 -DVM_SC=0 -Ilib -Imodel/mmu -Imodel/pml -Imodel/pml/rtl -Imodel/grant -Imodel/xenmm
FLAVOR_opt  := -O2 -g
FLAVOR_asan := -O1 -g $(SAN)
# The define that selects variant V (none, or a bug switch of pml_unit.sv).
bug_def  = $(if $(filter none,$(1)),,-DPML_BUG_$(shell echo $(1) | tr a-z A-Z))
# The RTL objects a binary links for variant V and flavor F.
rtl_glue = $(BUILD)/rtl/$(1)/$(2).a $(BUILD)/rtl/vlrt-$(2).a
ifdef VERILATOR
GLUE_opt  := $(call rtl_glue,none,opt)
GLUE_asan := $(call rtl_glue,none,asan)
LINK      := $(CXX) -pthread
else
GLUE_opt  := $(BUILD)/obj/model/pml/rtl/pml_rtl_absent.o
GLUE_asan := $(BUILD)/asan/model/pml/rtl/pml_rtl_absent.o
LINK      := $(CC)
endif

# (after GLUE_*: slatsim-sc links the Verilated PML unit as slatsim does, for
# its --cosim pml)
$(BUILD)/slatsim-sc: $(OBJ) $(SC_CLI_OBJ) $(SC_SRC:%.cpp=$(BUILD)/obj/%.o) $(GLUE_opt)
	$(CXX) -pthread $(OPT) $(LDFLAGS) $^ $(LIBS) $(SC_LIBS) -o $@

$(BUILD)/asan/slatsim-sc: $(ASAN_OBJ) $(filter-out %/main.o,$(CLI_ASAN_OBJ)) \
		$(SC_SRC:%.cpp=$(BUILD)/asan/%.o) $(GLUE_asan)
	$(CXX) -pthread $(SAN) $(LDFLAGS) $^ $(LIBS) $(SC_LIBS) -o $@

.PHONY: FORCE all run check bench man install uninstall links fuzz lint cosim cosim-tests clean deps-core deps-check deps-fuzz deps-rtl unit e2e \
	chase-smoke check-cluster calibrate-e2e systemc deps-systemc sc-tests docs docs-check check-build \
	docs-check-fast python python-asan python-tests deps-python layers

all: $(BUILD)/slatsim $(BUILD)/chase

deps-core:
	@tools/deps core
deps-check:
	@tools/deps core check
deps-fuzz:
	@tools/deps core fuzz
deps-rtl:
	@tools/deps core check rtl
deps-systemc:
	@tools/deps core systemc

$(BUILD)/obj/%.o: %.c | deps-core
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CSTD) $(OPT) $(WARN) $(INC) $(DEPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c | deps-core
	@mkdir -p $(dir $@)
	@echo "  CC/SAN  $<"
	@$(CC) $(CSTD) -O1 -g $(SAN) $(WARN) $(INC) $(DEPFLAGS) $(CFLAGS) -c $< -o $@

# chase comes with slatsim (order-only): 'slatsim calibrate' runs the one
# beside it, built with the project's flags by whatever built slatsim.
$(BUILD)/slatsim: $(OBJ) $(CLI_OBJ) $(GLUE_opt) | $(BUILD)/chase
	$(LINK) $(OPT) $(LDFLAGS) $^ $(LIBS) -o $@

# The host pointer-chase benchmark behind `slatsim calibrate` (standalone).
$(BUILD)/chase: tools/chase.c sim/study/chase_points.h | deps-core
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CSTD) $(OPT) $(WARN) $(CFLAGS) $< $(LDFLAGS) -o $@

$(BUILD)/asan/chase: tools/chase.c sim/study/chase_points.h | deps-core
	@mkdir -p $(dir $@)
	@echo "  CC/SAN  $<"
	@$(CC) $(CSTD) -O1 -g $(SAN) $(WARN) $(CFLAGS) $< $(LDFLAGS) -o $@

$(BUILD)/asan/slatsim: $(ASAN_OBJ) $(CLI_ASAN_OBJ) $(GLUE_asan) | $(BUILD)/asan/chase
	$(LINK) $(SAN) $(LDFLAGS) $^ $(LIBS) -o $@

# Check suites: one runner holding every module's suite.
$(BUILD)/asan/check_all: $(ASAN_OBJ) $(TEST_SRC:%.c=$(BUILD)/asan/%.o) $(GLUE_asan) | deps-check
	$(LINK) $(SAN) $(LDFLAGS) $(filter %.o %.a,$^) $(LIBS) $$(pkg-config --libs check) -o $@

# ---- RTL: generated package, Verilated variants, runtime, test bench
$(RTL_PKG): tools/gen_pml_pkg.c model/pml/pml_hw.h lib/bits.h | deps-core
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(INC) $< -o $(BUILD)/rtl/gen_pml_pkg
	$(BUILD)/rtl/gen_pml_pkg > $@

# build/rtl/V/Vpml_unit.h: verilate variant V (none, or a bug switch).
$(BUILD)/rtl/%/Vpml_unit.h: $(RTL_SV) $(RTL_PKG)
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	verilator $(VFLAGS) -Mdir $(dir $@) $(call bug_def,$*) $(RTL_PKG) $(RTL_SV)

# build/rtl/V/F.a: variant V's model and the harness, compiled with flavor F.
# (Kept: they are made through pattern rules, which would delete them.)
.PRECIOUS: $(BUILD)/rtl/%.a $(BUILD)/rtl/%/Vpml_unit.h $(BUILD)/asan/tests/cosim/pml_tb.o
.SECONDEXPANSION:
$(BUILD)/rtl/%.a: $(BUILD)/rtl/$$(dir $$*)Vpml_unit.h model/pml/rtl/pml_rtl.cpp model/pml/rtl/pml_rtl.h \
		model/pml/pml_event.h
	@set -e; d=$(BUILD)/rtl/$(dir $*); f=$(notdir $*); o=$$d$$f.obj; \
	rm -rf $$o; mkdir -p $$o; \
	for c in $$d*.cpp model/pml/rtl/pml_rtl.cpp; do \
		echo "  CXX     $$c ($$f)"; \
		$(CXX) $(FLAVOR_$(notdir $*)) $(VLRT_$(notdir $*)) $(VL_CXX) -I$$d -w \
			-DPML_RTL_VARIANT='"$(patsubst %/,%,$(dir $*))"' -c $$c \
			-o $$o/$$(basename $$c .cpp).o; \
	done; rm -f $@; ar rcs $@ $$o/*.o

# build/rtl/vlrt-F.a: Verilator's runtime (with FST writing), flavor F.
# Verilator's code is not ours to fix: the FST writer it bundles (GTKWave's
# fstapi.c) has undefined behaviour by design (misaligned stores, shifts of
# negative values), and its trace code (verilated_trace.h, inlined into the
# generated model) loads misaligned words. So its runtime is built with ASan
# but without UBSan, and the generated model without UBSan's alignment check.
VLRT_asan  := -fno-sanitize=alignment
VLRTL_asan := -fno-sanitize=undefined
$(BUILD)/rtl/vlrt-%.a:
	@set -e; o=$(BUILD)/rtl/vlrt-$*.obj; rm -rf $$o; mkdir -p $$o; \
	for c in verilated verilated_fst_c verilated_threads; do \
		echo "  CXX     $$c.cpp ($*)"; \
		$(CXX) $(FLAVOR_$*) $(VLRTL_$*) $(VL_CXX) -w -c $(VL_INC)/$$c.cpp -o $$o/$$c.o; \
	done; rm -f $@; ar rcs $@ $$o/*.o

# The test bench (tests/cosim/pml_tb.c) and slatsim for each bug variant.
$(BUILD)/asan/pml_tb-%: $(BUILD)/asan/tests/cosim/pml_tb.o $(ASAN_OBJ) $$(call rtl_glue,%,asan)
	$(CXX) -pthread $(SAN) $(LDFLAGS) $^ $(LIBS) -o $@
$(BUILD)/asan/slatsim-%: $(ASAN_OBJ) $(CLI_ASAN_OBJ) $$(call rtl_glue,%,asan)
	$(CXX) -pthread $(SAN) $(LDFLAGS) $^ $(LIBS) -o $@
# slatsim as built without Verilator (its --cosim must refuse clearly).
$(BUILD)/asan/nortl/slatsim: $(ASAN_OBJ) $(CLI_ASAN_OBJ) \
		$(BUILD)/asan/model/pml/rtl/pml_rtl_absent.o
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/asan/tests/%.o: tests/%.c | deps-check
	@mkdir -p $(dir $@)
	@echo "  CC/SAN  $<"
	@$(CC) $(CSTD) -O1 -g $(SAN) $(WARN) -Wno-missing-prototypes $(INC) $(DEPFLAGS) \
		$$(pkg-config --cflags check) -c $< -o $@

# The build's git describe for the JSON's provenance (sim/cli/common.c),
# rewritten only when it changes ("unknown" outside a git checkout).
$(BUILD)/gen/build-id.h: FORCE
	@mkdir -p $(dir $@)
	@d=$$(git describe --always --dirty --tags 2>/dev/null || echo unknown); \
	printf '#define SLATSIM_BUILD "%s"\n' "$$d" > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/obj/sim/cli/common.o $(BUILD)/asan/sim/cli/common.o: $(BUILD)/gen/build-id.h
FORCE:

# The manual page and the bash completion: from the binary's own help text
# (tools/gen-man) and lists (slatsim completion bash), so neither can drift.
$(BUILD)/slatsim.1: $(BUILD)/slatsim tools/gen-man
	python3 tools/gen-man $(BUILD)/slatsim > $@.tmp && mv $@.tmp $@
$(BUILD)/slatsim.bash: $(BUILD)/slatsim
	$(BUILD)/slatsim completion bash > $@.tmp && mv $@.tmp $@
man: $(BUILD)/slatsim.1 $(BUILD)/slatsim.bash

PREFIX ?= /usr/local
INSTALL_DIRS = bin libexec/slatsim share/man/man1 share/bash-completion/completions \
	       share/slatsim/configs
install: $(BUILD)/slatsim $(BUILD)/chase $(BUILD)/slatsim.1 $(BUILD)/slatsim.bash
	for d in $(INSTALL_DIRS); do install -d "$(DESTDIR)$(PREFIX)/$$d"; done
	install -m 755 $(BUILD)/slatsim "$(DESTDIR)$(PREFIX)/bin/slatsim"
	install -m 755 $(BUILD)/chase "$(DESTDIR)$(PREFIX)/libexec/slatsim/chase"
	install -m 644 $(BUILD)/slatsim.1 "$(DESTDIR)$(PREFIX)/share/man/man1/slatsim.1"
	install -m 644 $(BUILD)/slatsim.bash \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions/slatsim"
	install -m 644 sim/configs/*.conf "$(DESTDIR)$(PREFIX)/share/slatsim/configs/"
uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/slatsim" "$(DESTDIR)$(PREFIX)/libexec/slatsim/chase" \
		"$(DESTDIR)$(PREFIX)/share/man/man1/slatsim.1" \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions/slatsim"
	rm -rf "$(DESTDIR)$(PREFIX)/share/slatsim"
	-rmdir "$(DESTDIR)$(PREFIX)/libexec/slatsim"

run: $(BUILD)/slatsim
	$(BUILD)/slatsim run $(SAMPLE)

# ---------------------------------------------------------------- Python (sim/python)
# The package slatsim: setup.py compiles the core's sources with the module
# (sim/python/_slatsim.c, the CPython C API) - -fPIC, so not build/obj's.
# Debian's python3 (the one python3-pytest and python3-numpy install into).
PYTHON ?= $(if $(wildcard /usr/bin/python3),/usr/bin/python3,python3)
deps-python:
	@tools/deps core python
python: deps-python
	@$(PYTHON) setup.py -q build --build-lib $(BUILD)/python/lib
# The same with -fsanitize=address,undefined, for make check's asan tier.
python-asan: deps-python
	@SLATSIM_SANITIZE=1 $(PYTHON) setup.py -q build --build-lib $(BUILD)/python-asan/lib
# The package against the command line (tests/python; pysci's packages are
# used when installed, and the cases whose paths differ without them run once
# more with numpy and pandas hidden), then once under ASan and UBSan (LD_PRELOAD: an extension module
# cannot bring the sanitizers' runtimes into a python3 built without them;
# PYTHONMALLOC=malloc so that LeakSanitizer sees every block the
# interpreter holds, and its check is made before the interpreter exits,
# tests/python/conftest.py - at exit Python frees nothing by design).
python-tests: python python-asan $(BUILD)/slatsim | deps-check
	SLATSIM=$(BUILD)/slatsim PYTHONPATH=$(BUILD)/python/lib $(PYTHON) -m pytest -q tests/python
	SLATSIM=$(BUILD)/slatsim SLATSIM_HIDE=numpy,pandas PYTHONPATH=$(BUILD)/python/lib \
		$(PYTHON) -m pytest -q -k "reach or sweep_equals or machine_run or trace_info or numpy" \
		tests/python
	SLATSIM=$(BUILD)/slatsim PYTHONPATH=$(BUILD)/python-asan/lib PYTHONMALLOC=malloc \
		LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
		ASAN_OPTIONS=detect_leaks=1:leak_check_at_exit=0:abort_on_error=0:exitcode=86 \
		$(PYTHON) -m pytest -q -p no:cacheprovider tests/python

export ASAN_OPTIONS := detect_leaks=1:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1:exitcode=86

# sim/'s rooms include only downward: no cycle in its include graph (a .c
# with its .h one node), and the check itself fails on an upward include.
layers:
	python3 tools/include-graph sim
	python3 tools/include-graph --self-test

unit: $(BUILD)/asan/check_all
	CK_DEFAULT_TIMEOUT=120 $(BUILD)/asan/check_all

e2e: $(BUILD)/asan/slatsim $(BUILD)/slatsim | deps-check
	python3 tests/e2e/run_e2e.py $(BUILD)/asan/slatsim
	python3 tests/e2e/run_robust.py $(BUILD)/asan/slatsim $(BUILD)/slatsim
	python3 tests/e2e/run_dse.py $(BUILD)/asan/slatsim
	python3 tests/e2e/run_migrate.py $(BUILD)/asan/slatsim

chase-smoke: $(BUILD)/asan/chase $(BUILD)/asan/slatsim
	tests/chase_smoke.sh $(BUILD)/asan

# slatsim calibrate end to end (tiny live points, synthetic curves, --fit, refusals).
calibrate-e2e: $(BUILD)/asan/chase $(BUILD)/asan/slatsim $(BUILD)/chase $(BUILD)/slatsim \
		| deps-check
	python3 tests/e2e/run_calibrate.py $(BUILD)/asan $(BUILD)

# make check builds what its tiers run first, with a job a CPU (CI has two;
# serial, the builds were most of its 15 minutes), then runs the tiers one
# after another as before. CHECK_JOBS=1 builds one thing at a time.
# (check-build's list is below COSIM_BINS, which it needs defined.)
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
check: deps-check deps-rtl deps-systemc
	$(MAKE) --no-print-directory -j$(CHECK_JOBS) check-build
	$(MAKE) --no-print-directory layers
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory e2e
	$(MAKE) --no-print-directory chase-smoke
	$(MAKE) --no-print-directory calibrate-e2e
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory cosim-tests
	$(MAKE) --no-print-directory sc-tests
	$(MAKE) --no-print-directory python-tests
	$(MAKE) --no-print-directory $(BUILD)/bench_decode   # make bench's own program builds
	$(MAKE) --no-print-directory docs-check-fast
	$(MAKE) --no-print-directory links

# The figures README.md and docs/*.md quote from the tool: blocks between
# <!-- docs: NAME --> and <!-- /docs -->, each made by tools/docs's NAME.
docs: $(BUILD)/slatsim
	python3 tools/docs
	tools/readme-charts $(BUILD)
docs-check: $(BUILD)/slatsim
	python3 tools/docs --check
docs-check-fast: $(BUILD)/slatsim
	python3 tools/docs --check --fast
# Every link of README.md and docs/**/*.md resolves inside the repository.
links:
	python3 tools/check-links

lint: deps-rtl $(RTL_PKG)
	@$(foreach v,none $(RTL_BUGS),echo "  LINT    $(RTL_SV) ($(v))" && \
		verilator --lint-only -Wall --assert $(call bug_def,$(v)) --top-module pml_unit \
			$(RTL_PKG) $(RTL_SV) &&) true
	@echo "  LINT    $(RTL_SV) (ENTRIES=64: the parameter)"
	@verilator --lint-only -Wall -GENTRIES=64 --top-module pml_unit $(RTL_PKG) $(RTL_SV)
	@if verilator --lint-only -Wall -GENTRIES=65536 --top-module pml_unit $(RTL_PKG) \
		$(RTL_SV) >/dev/null 2>&1; then \
		echo "lint: ENTRIES=65536 was accepted; the range check is broken" >&2; exit 1; fi

COSIM_BINS := $(BUILD)/asan/slatsim $(foreach v,none $(RTL_BUGS),$(BUILD)/asan/pml_tb-$(v)) \
              $(foreach v,$(RTL_BUGS),$(BUILD)/asan/slatsim-$(v)) $(BUILD)/asan/nortl/slatsim
cosim-tests: $(COSIM_BINS)
	python3 tests/cosim/run_cosim.py $(BUILD)/asan

check-build: $(BUILD)/asan/check_all $(BUILD)/asan/slatsim $(BUILD)/slatsim $(BUILD)/asan/chase \
		$(BUILD)/chase \
		$(RTL_PKG) $(COSIM_BINS) $(BUILD)/asan/check_sc $(BUILD)/asan/example_vp \
		$(BUILD)/asan/slatsim-sc $(BUILD)/slatsim-sc $(BUILD)/bench_decode

check-cluster: $(BUILD)/slatsim
	@tools/deps core check cluster
	tests/cluster/run_slurm.sh $(BUILD)/slatsim

cosim: deps-rtl
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory cosim-tests

$(BUILD)/bench_decode: tests/bench/bench_decode.c $(OBJ) $(GLUE_opt)
	$(CC) $(CSTD) $(OPT) $(WARN) -Wno-missing-prototypes $(INC) -c $< -o $@.o
	$(LINK) $(OPT) $@.o $(filter %.o %.a,$(filter-out $<,$^)) $(LIBS) -o $@

bench: $(BUILD)/slatsim $(BUILD)/bench_decode $(BUILD)/slatsim-sc python | deps-check deps-systemc
	tests/bench/bench.sh $(BUILD)

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60
# FUZZ_RUNS=N runs each target for N executions instead (a campaign:
# make fuzz FUZZ_RUNS=10000000); the line printed says the time it took.
FUZZ_RUNS ?=
FUZZ_LIMIT = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))
# The core is compiled once for every target (coverage, ASan, UBSan); each
# target links it. Each run ends with the target's executions and rate
# (libFuzzer's final stats); the corpus of target T is $(BUILD)/fuzz/corpus-T,
# seeded from tests/fuzz/seeds and tests/fuzz/seeds-T if there is one.
# Inputs of the line-oriented formats stop at 8 KB (twice TRACE_MAX_LINE, so
# a line over the limit is still tried): a text corpus grown to 64 KB inputs
# ran at 2,049 executions/s against 32,000 for small ones, with nothing more
# to cover; the binary formats keep 64 KB (a chunked .slt's chunk, a zip),
# but fuzz_slt_chunked, whose every input is read three times through and
# whose corpus grew toward inputs that inflate to the most records (1,500
# executions/s at 34 KB), stops at 16 KB: several members and the index.
# One target: make fuzz FUZZ_TARGETS=fuzz_text.
FUZZ_OBJ := $(CORE_SRC:%.c=$(BUILD)/fuzzobj/%.o) $(BUILD)/fuzzobj/model/pml/rtl/pml_rtl_absent.o
.SECONDARY: $(FUZZ_OBJ)   # (kept: every target links them)

$(BUILD)/fuzzobj/%.o: %.c | deps-fuzz
	@mkdir -p $(dir $@)
	@echo "  CC/FUZZ $<"
	@clang $(CSTD) -O1 -g -fsanitize=fuzzer-no-link,address,undefined $(DEPFLAGS) $(INC) \
		-c $< -o $@

# (an archive: a target links only the objects it calls, so libFuzzer scans
# only their coverage counters after each input - a reader target's are the
# readers', not the whole machine's)
$(BUILD)/fuzz/libcore.a: $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_common.h $(BUILD)/fuzz/libcore.a | deps-fuzz
	@mkdir -p $(dir $@)
	clang $(CSTD) -O1 -g -fsanitize=fuzzer,address,undefined $(INC) $< \
		$(BUILD)/fuzz/libcore.a $(LIBS) -o $@

fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus-$$t; \
		seeds=tests/fuzz/seeds; [ -d tests/fuzz/seeds-$$t ] && seeds="$$seeds tests/fuzz/seeds-$$t"; \
		case $$t in fuzz_text|fuzz_lackey|fuzz_config|fuzz_params|fuzz_json_point) ml=8192;; \
		fuzz_slt_chunked) ml=16384;; \
		*) ml=65536;; esac; \
		start=$$(date +%s); \
		$(BUILD)/fuzz/$$t $(FUZZ_LIMIT) -max_len=$$ml -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/$$t- \
			$(BUILD)/fuzz/corpus-$$t $$seeds > $(BUILD)/fuzz/$$t.log 2>&1 \
			|| { tail -n 60 $(BUILD)/fuzz/$$t.log; echo "fuzz: $$t failed (log: $(BUILD)/fuzz/$$t.log)"; exit 1; }; \
		awk -v t=$$t -v s=$$(( $$(date +%s) - start )) '/^stat::number_of_executed_units:/ { n = $$2 } \
			/^stat::average_exec_per_sec:/ { r = $$2 } \
			END { printf "%-24s %12d executions in %5d s  %8d exec/s\n", t, n, s, r }' \
			$(BUILD)/fuzz/$$t.log; \
	done

clean:
	rm -rf $(BUILD)

-include $(OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(CLI_ASAN_OBJ:.o=.d) \
	$(TEST_SRC:%.c=$(BUILD)/asan/%.d) $(BUILD)/asan/tests/cosim/pml_tb.d \
	$(SC_SRC:%.cpp=$(BUILD)/obj/%.d) $(SC_SRC:%.cpp=$(BUILD)/asan/%.d) \
	$(BUILD)/asan/tests/systemc/check_sc.d \
	$(FUZZ_OBJ:.o=.d)
