# Kiln — the two commands of the README:
#   make run    install what is missing, build release, run the main job
#   make test   install what is missing, build, run the test suite
SWIFT ?= swift
# zlib1g-dev: ZIPFoundation's CZLib system library (the .pth reader's zip dependency).
# chromium: the browser tests load every generated page headless (Tests/KilnRecipesTests/Browser).
# cmark-gfm: its spec.txt.gz, every GFM example round-tripped through a regenerated document
# (GFMSpecRoundTripTests).
APT_PACKAGES := libopenblas-dev libcmark-gfm-dev libcmark-gfm-extensions-dev pkg-config zlib1g-dev chromium cmark-gfm
FIXTURES ?= ../shared/fixtures
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps build release run test verify bench fuzz clean

all: release

# Installs only the Debian packages that are missing (apt-get update first, as apt needs).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

# The kernel objects every compiled library links, compiled once for this CPU and compiler
# beside the executable (.build/release/kiln-kernel-objects/), so a first `kiln compile` with
# an empty cache builds only the model's own code (README "Compile time").
release: deps
	$(SWIFT) build -c release
	.build/release/kiln prebuild-kernels

# The main job: every recipe in recipes/ run and regenerated into output/ (documents with
# each block's output and time, HTML, gallery). Unchanged recipes are cached.
run: release
	.build/release/kiln run recipes/

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# What CI runs after the tests: every recipe must behave as declared, and output/ must be
# what recipes/ regenerate to (times and nondeterministic blocks aside).
verify: deps
	$(SWIFT) build
	.build/debug/kiln verify --check --junit .build/recipes-junit.xml recipes/

# Kiln against ONNX Runtime (and PyTorch when installed) on the same weights and inputs;
# needs `pip install onnx onnxruntime openvino numpy`. Prints the README's Performance table.
bench: release
	python3 bench/peers.py

# Fuzzing (README "Fuzzing"): every libFuzzer target, each for FUZZ_SECONDS, starting from the
# committed seeds (fuzz/corpus/) and regressions; new inputs go to the scratch corpus in
# $(FUZZ_BUILD)/corpus/, crashes to fuzz/crashes/; exits non-zero on a crash. Instrumentation:
# ASan, plus the coverage libFuzzer steers by (what -sanitize=fuzzer would add); linked with
# compiler-rt's libFuzzer *without* its main() (the executables' main.swift calls
# LLVMFuzzerRunDriver), because -sanitize=fuzzer's whole-archive main() clashes with
# SwiftPM's executable entry point. Release (-O): the code as shipped (preconditions still
# trap), and more executions per second. At run time: Swift's own backtracer off (libFuzzer
# reports the crash and saves the input), ASan keeps 4 frames of allocation stacks (recording
# the default 30 cost ~40% of the recipe target's speed here), and fuzz/lsan.supp names leaks
# that are not Kiln's. FUZZ_ARGS adds libFuzzer flags (e.g. -seed=N, -jobs=2).
FUZZ_SECONDS ?= 60
FUZZ_BUILD ?= .build-fuzz
FUZZ_ARGS ?=
LIBFUZZER = $(firstword $(wildcard $(dir $(realpath $(shell command -v swiftc)))../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-$(shell uname -m).a))
FUZZ_SWIFTFLAGS = -c release --scratch-path $(FUZZ_BUILD) \
	-Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,indirect-calls,trace-cmp,inline-8bit-counters,pc-table \
	-Xswiftc -DKILN_LIBFUZZER -Xlinker $(LIBFUZZER) -Xlinker -lstdc++

fuzz: deps
	@test -n "$(LIBFUZZER)" || { echo "fuzz: libclang_rt.fuzzer_no_main not found next to swiftc"; exit 1; }
	$(SWIFT) build $(FUZZ_SWIFTFLAGS) --product KilnFuzzRecipe
	$(SWIFT) build $(FUZZ_SWIFTFLAGS) --product KilnFuzzSafetensors
	$(SWIFT) build $(FUZZ_SWIFTFLAGS) --product KilnFuzzPyTorch
	$(SWIFT) build $(FUZZ_SWIFTFLAGS) --product KilnFuzzONNX
	$(SWIFT) build $(FUZZ_SWIFTFLAGS) --product KilnFuzzPT2
	@mkdir -p fuzz/crashes
	@status=0; for t in Recipe Safetensors PyTorch ONNX PT2; do \
	  d=$$(echo $$t | tr A-Z a-z); mkdir -p $(FUZZ_BUILD)/corpus/$$d fuzz/regressions/$$d; \
	  echo "fuzz: $$d for $(FUZZ_SECONDS) s"; \
	  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=malloc_context_size=4 LSAN_OPTIONS=suppressions=fuzz/lsan.supp \
	    $(FUZZ_BUILD)/release/KilnFuzz$$t $(FUZZ_BUILD)/corpus/$$d fuzz/corpus/$$d fuzz/regressions/$$d \
	    -dict=fuzz/$$d.dict -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
	    -artifact_prefix=fuzz/crashes/$$d- -print_final_stats=1 $(FUZZ_ARGS) >$(FUZZ_BUILD)/fuzz-$$d.log 2>&1; \
	  rc=$$?; grep -vE '^#[0-9]+.*(NEW|REDUCE|pulse)' $(FUZZ_BUILD)/fuzz-$$d.log | tail -n 60; \
	  if [ $$rc != 0 ]; then echo "fuzz: $$d FAILED (exit $$rc; input in fuzz/crashes/)"; status=1; fi; \
	done; exit $$status

clean:
	rm -rf .build
