# slatsim - one entry point.
#   make          build build/slatsim (-O2, warnings on)
#   make run      build and replay the shipped real trace, print the report
#   make check    build everything with ASan+UBSan, run every Check suite and
#                 every end-to-end case; fails on any sanitizer report
#   make bench    speed and memory figures (not part of check)
#   make fuzz     libFuzzer targets for every reader and the config parser
#   make clean
# Missing Debian packages are installed by tools/deps (as root) or named.

BUILD   := build
CC      ?= cc
CSTD    := -std=c11 -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
INC     := -Ilib -Itraces -Isim -Imodel/mmu -Imodel/tlb -Imodel/pml
OPT     := -O2 -g
LIBS    := -lz -llzma -lm
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
DEPFLAGS = -MMD -MP

CORE_SRC := $(wildcard lib/*.c) $(wildcard traces/*.c) $(wildcard model/*/*.c) \
            $(filter-out sim/main.c,$(wildcard sim/*.c))
MAIN_SRC := sim/main.c
TEST_SRC := $(wildcard tests/check_*.c)

OBJ      := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
ASAN_OBJ := $(CORE_SRC:%.c=$(BUILD)/asan/%.o)

SAMPLE   := traces/samples/xz-compress.slt

.PHONY: all run check bench fuzz lint clean deps-core deps-check deps-fuzz unit e2e

all: $(BUILD)/slatsim

deps-core:
	@tools/deps core
deps-check:
	@tools/deps core check
deps-fuzz:
	@tools/deps core fuzz

$(BUILD)/obj/%.o: %.c | deps-core
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CSTD) $(OPT) $(WARN) $(INC) $(DEPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c | deps-core
	@mkdir -p $(dir $@)
	@echo "  CC/SAN  $<"
	@$(CC) $(CSTD) -O1 -g $(SAN) $(WARN) $(INC) $(DEPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/slatsim: $(OBJ) $(BUILD)/obj/sim/main.o
	$(CC) $(OPT) $(LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/asan/slatsim: $(ASAN_OBJ) $(BUILD)/asan/sim/main.o
	$(CC) $(SAN) $(LDFLAGS) $^ $(LIBS) -o $@

# Check suites: one runner holding every module's suite.
$(BUILD)/asan/check_all: $(ASAN_OBJ) $(TEST_SRC:%.c=$(BUILD)/asan/%.o) | deps-check
	$(CC) $(SAN) $(LDFLAGS) $(filter %.o,$^) $(LIBS) $$(pkg-config --libs check) -o $@

$(BUILD)/asan/tests/%.o: tests/%.c | deps-check
	@mkdir -p $(dir $@)
	@echo "  CC/SAN  $<"
	@$(CC) $(CSTD) -O1 -g $(SAN) $(WARN) -Wno-missing-prototypes $(INC) $(DEPFLAGS) \
		$$(pkg-config --cflags check) -c $< -o $@

run: $(BUILD)/slatsim
	$(BUILD)/slatsim run $(SAMPLE)

export ASAN_OPTIONS := detect_leaks=1:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1:exitcode=86

unit: $(BUILD)/asan/check_all
	CK_DEFAULT_TIMEOUT=120 $(BUILD)/asan/check_all

e2e: $(BUILD)/asan/slatsim | deps-check
	python3 tests/e2e/run_e2e.py $(BUILD)/asan/slatsim

check: deps-check
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory e2e

$(BUILD)/bench_decode: tests/bench/bench_decode.c $(OBJ)
	$(CC) $(CSTD) $(OPT) $(WARN) -Wno-missing-prototypes $(INC) $^ $(LIBS) -o $@

bench: $(BUILD)/slatsim $(BUILD)/bench_decode | deps-check
	tests/bench/bench.sh $(BUILD)

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60


$(BUILD)/fuzz/%: tests/fuzz/%.c $(CORE_SRC) | deps-fuzz
	@mkdir -p $(dir $@)
	clang $(CSTD) -O1 -g -fsanitize=fuzzer,address,undefined $(INC) $< $(CORE_SRC) \
		$(LIBS) -o $@

fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus-$$t; \
		echo "== $$t ($(FUZZ_SECONDS) s)"; \
		$(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			-artifact_prefix=$(BUILD)/fuzz/$$t- \
			$(BUILD)/fuzz/corpus-$$t tests/fuzz/seeds || exit 1; \
	done

clean:
	rm -rf $(BUILD)

-include $(OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(BUILD)/obj/sim/main.d $(BUILD)/asan/sim/main.d \
	$(TEST_SRC:%.c=$(BUILD)/asan/%.d)
