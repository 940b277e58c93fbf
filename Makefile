# Two commands for a newcomer (see README):
#   make repro   set up the environment and run the whole pipeline (dvc repro)
#   make test    set up the environment and run the tests
# Both are idempotent: set-up is skipped when .venv matches requirements.txt.
SHELL := /bin/bash
VENV ?= .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export DVC_NO_ANALYTICS := 1
# Offline: a folder or base URL with the <group>/<file> layout of the public sources.
# Default: the shared mirror beside the project when it exists, else the public URLs.
SNNTEXT_MIRROR ?= $(if $(wildcard $(CURDIR)/../shared/datasets/SHA256SUMS),$(abspath $(CURDIR)/../shared/datasets),)
export SNNTEXT_MIRROR

.PHONY: setup repro test test-fast lint
setup:
	@bash scripts/setup.sh

repro: setup
	dvc repro

# lint and format (ruff) and types (mypy, configured in pyproject.toml): part of `make test`, so CI enforces them
lint: setup
	ruff check .
	ruff format --check .
	mypy

test: lint
	python -m pytest -q

# quick loop while developing: skips the end-to-end `dvc repro` test
test-fast: lint
	python -m pytest -q -m "not slow"
