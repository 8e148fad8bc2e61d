# Layers are visible here as targets; every target runs inside .venv, created on demand.
# The README's two commands:  make synth   (dev, the default env)   and   make test
SHELL := /bin/bash
.DEFAULT_GOAL := help
APP_ENV ?= dev
export APP_ENV
PY := .venv/bin/python
SETUP_STAMP := .venv/.lock.sha256

.PHONY: help setup synth synth-all test checkov docs lint bench clean

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

test: ## set up everything (venvs, DB servers, OpenTofu) and run the whole test suite
	@scripts/setup.sh --with-db-servers --with-tools --with-opentofu
	@.venv/bin/ruff check .
	@$(PY) -m pytest -n auto --dist loadfile  # one worker per core; each file stays on one worker

checkov: synth-all ## checkov (offline) over every synthesized stack
	@scripts/setup.sh --with-tools
	@$(PY) scripts/checkov_scan.py cdktf.out

docs: synth-all ## regenerate docs/config-reference.md and docs/architecture.md from the code
	@$(PY) scripts/gen_docs.py --outdir cdktf.out

lint: $(SETUP_STAMP) ## ruff
	@.venv/bin/ruff check .

clean: ## remove synthesized output (never state: .state/ is kept)
	rm -rf cdktf.out

bench: $(SETUP_STAMP) ## time synthesis against the framework floor (writes docs/benchmarks.md)
	@$(PY) bench/run.py

# --- deploy flows (wrap scripts/tofu-secrets.sh: decrypt per stack, run in apply order, clean up) ---
# STACK=<layer> limits a flow to one stack, e.g. `APP_ENV=prod make plan STACK=infra`.
STACK_ARG = $(if $(STACK),--stack $(STACK))

.PHONY: doctor plan apply destroy

doctor: $(SETUP_STAMP) ## check the tools, keys, kubeconfig and cluster add-ons APP_ENV needs
	@$(PY) scripts/doctor.py

plan: $(SETUP_STAMP) ## tofu plan, every stack of APP_ENV in order (or STACK=<layer>)
	@scripts/tofu-secrets.sh $(STACK_ARG) plan

apply: $(SETUP_STAMP) ## tofu apply, every stack of APP_ENV in order (or STACK=<layer>)
	@scripts/tofu-secrets.sh $(STACK_ARG) apply

destroy: $(SETUP_STAMP) ## tofu destroy (dev; prod only with CONFIRM=destroy-prod)
	@if [ "$(APP_ENV)" = prod ] && [ "$(CONFIRM)" != destroy-prod ]; then \
	  echo "refusing to destroy prod: re-run with CONFIRM=destroy-prod (the cluster, buckets, DNS and data PVCs have prevent_destroy anyway)" >&2; \
	  exit 1; fi
	@scripts/tofu-secrets.sh $(STACK_ARG) destroy
