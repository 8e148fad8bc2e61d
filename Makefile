# Layers are visible here as targets; every target runs inside .venv, created on demand.
# The README's two commands:  make synth   (dev, the default env)   and   make test
SHELL := /bin/bash
.DEFAULT_GOAL := help
APP_ENV ?= dev
export APP_ENV
PY := .venv/bin/python
SETUP_STAMP := .venv/.lock.sha256

.PHONY: help setup synth synth-all test lint bench clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(SETUP_STAMP): requirements.lock scripts/setup.sh
	@scripts/setup.sh

setup: ## create/refresh .venv (Python deps, Node for jsii, sops, age tooling)
	@scripts/setup.sh --with-db-servers

synth: $(SETUP_STAMP) ## synthesize APP_ENV (default dev) into cdktf.out/stacks/
	@$(PY) -O main.py

synth-all: $(SETUP_STAMP) ## synthesize dev and prod in one process
	@$(PY) -O main.py --all-envs

test: ## set up everything (incl. DB servers) and run the whole test suite
	@scripts/setup.sh --with-db-servers
	@.venv/bin/ruff check .
	@$(PY) -m pytest

lint: $(SETUP_STAMP) ## ruff
	@.venv/bin/ruff check .

clean: ## remove synthesized output (never state: .state/ is kept)
	rm -rf cdktf.out

bench: $(SETUP_STAMP) ## time synthesis against the framework floor (writes docs/benchmarks.md)
	@$(PY) bench/run.py
