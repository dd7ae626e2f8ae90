# Kiln — the two commands of the README:
#   make run    install what is missing, build release, run the main job
#   make test   install what is missing, build, run the test suite
SWIFT ?= swift
APT_PACKAGES := libopenblas-dev libcmark-gfm-dev libcmark-gfm-extensions-dev pkg-config
FIXTURES ?= ../shared/fixtures
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps build release run test clean

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

release: deps
	$(SWIFT) build -c release

# The main job: eager ResNet-18 on the PyTorch fixture (seeded weights when it is absent).
run: release
	@mkdir -p output
	@if [ -f $(FIXTURES)/resnet18.safetensors ]; then \
	  .build/release/kiln infer --model resnet18 --weights $(FIXTURES)/resnet18.safetensors \
	    --input $(FIXTURES)/resnet18_cases.safetensors:input_b3 --output output/resnet18_logits.safetensors; \
	else \
	  echo "note: $(FIXTURES) not found; running with seeded weights"; \
	  .build/release/kiln infer --model resnet18 --batch 3 --output output/resnet18_logits.safetensors; \
	fi

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

clean:
	rm -rf .build
