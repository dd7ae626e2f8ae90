# Kiln — the two commands of the README:
#   make run    install what is missing, build release, run the main job
#   make test   install what is missing, build, run the test suite
SWIFT ?= swift
APT_PACKAGES := libopenblas-dev libcmark-gfm-dev libcmark-gfm-extensions-dev pkg-config
FIXTURES ?= ../shared/fixtures
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps build release run test verify clean

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

clean:
	rm -rf .build
