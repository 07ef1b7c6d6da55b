# shellgen: `make demo` sets everything up and builds a shell; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Debian packages that the Python wheels need at run time (open3d loads libusb;
# scikit-sparse builds on SuiteSparse's CHOLMOD, which factorises 3x faster on OpenBLAS).
SYSTEM_LIBS := libusb-1.0-0 libgomp1 libsuitesparse-dev libopenblas0-pthread
# The real slicer the tests slice exported shells with; poppler renders design sheets;
# the studio's browser test drives Debian's chromium.
TEST_TOOLS := prusa-slicer poppler-utils chromium
DEMO_SCAN := scans/myfeet_left_foot_m.stl

.PHONY: demo test lint typecheck pytest bench sysdeps testtools clean

demo: $(STAMP)
	$(BIN)/shellgen analyze $(DEMO_SCAN) --plot output/$(notdir $(basename $(DEMO_SCAN))).analysis.png
	$(BIN)/shellgen build $(DEMO_SCAN) --profile standard --order DEMO1 -o output
	@echo "demo outputs are in output/"

test: $(STAMP) lint typecheck pytest

testtools:
	@$(MAKE) --no-print-directory sysdeps SYSTEM_LIBS="$(TEST_TOOLS)"

lint: $(STAMP)
	$(BIN)/ruff check shellgen tests benchmarks
	$(BIN)/ruff format --check shellgen tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) testtools
	$(BIN)/pytest -n 2 -q

# Speed and memory (benchmarks/results.md, .json), then the studio's change-to-view latency.
bench: $(STAMP) testtools
	$(BIN)/python -m benchmarks $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.studio_latency --json benchmarks/studio_latency.json

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory sysdeps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev,cad]'
	touch $@

sysdeps:
	@missing=""; for p in $(SYSTEM_LIBS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf $(VENV) output/*.stl output/*.3mf output/*.json output/*.png
