# Layers are visible here as targets; every target runs inside .venv, created on demand.
# The README's two commands:  make synth   (dev, the default env)   and   make test
SHELL := /bin/bash
.DEFAULT_GOAL := help
APP_ENV ?= dev
# Values from the command line or the environment are taken literally ($(value)), never expanded:
# `make plan STACK='$(shell ...)'` must not run anything. Deploy targets then check them below.
override APP_ENV := $(value APP_ENV)
override STACK := $(value STACK)
override CONFIRM := $(value CONFIRM)
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
	@$(PY) scripts/lib/tfsecrets.py docs --write docs/secrets.md
	@$(PY) scripts/lib/tfsecrets.py example --outdir cdktf.out > secrets.tfvars.example

lint: $(SETUP_STAMP) ## ruff
	@.venv/bin/ruff check .

clean: ## remove synthesized output (never state: .state/ is kept)
	rm -rf cdktf.out

bench: $(SETUP_STAMP) ## time synthesis against the framework floor (writes docs/benchmarks.md)
	@$(PY) bench/run.py

# --- deploy flows (wrap scripts/tofu-secrets.sh: decrypt per stack, run in apply order, clean up) ---
# STACK=<layer> limits a flow to one stack, e.g. `APP_ENV=prod make plan STACK=infra`.
# APP_ENV and STACK are checked here, by make, before any shell sees them: only known words reach
# a recipe, so they cannot inject commands or slip past the prod destroy guard (CONFIRM is only
# compared, by make, and never reaches a shell).
ENVS := dev prod
LAYERS := cluster infra data metrics apps
STACKS := $(LAYERS) $(foreach e,$(ENVS),$(addprefix $(e)-,$(LAYERS)))
# one_of <value>,<words>: non-empty when <value> is exactly one of <words>
one_of = $(and $(filter 1,$(words $(1))),$(filter $(2),$(1)),$(if $(findstring $$,$(1)),,ok))
DEPLOY_GOALS := $(filter plan apply destroy,$(MAKECMDGOALS))
ifneq ($(DEPLOY_GOALS),)
  ifeq ($(call one_of,$(APP_ENV),$(ENVS)),)
    $(error APP_ENV='$(APP_ENV)' is not valid for make $(DEPLOY_GOALS): use one of $(ENVS))
  endif
  ifneq ($(STACK),)
    ifeq ($(call one_of,$(STACK),$(STACKS)),)
      $(error STACK='$(STACK)' is not a stack: use a layer ($(LAYERS)) or a full name such as $(APP_ENV)-infra)
    endif
  endif
endif
# The prod destroy guard: a string comparison in make, so no value of APP_ENV or CONFIRM can skip it.
ifneq ($(filter destroy,$(MAKECMDGOALS)),)
  ifeq ($(APP_ENV),prod)
    ifneq ($(CONFIRM),destroy-prod)
      $(error refusing to destroy prod: re-run with CONFIRM=destroy-prod (the cluster, buckets, DNS and data PVCs have prevent_destroy anyway))
    endif
  endif
endif
STACK_ARG = $(if $(STACK),--stack $(STACK))

.PHONY: doctor plan apply destroy drill

doctor: $(SETUP_STAMP) ## check the tools, keys, kubeconfig and cluster add-ons APP_ENV needs
	@$(PY) scripts/doctor.py

drill: $(SETUP_STAMP) ## restore drill now: newest dumps -> scratch server -> checks (ENGINE=postgres|mariadb)
	@$(PY) scripts/drill.py $(if $(ENGINE),--engine $(ENGINE))

plan: $(SETUP_STAMP) ## tofu plan, every stack of APP_ENV in order (or STACK=<layer>)
	@scripts/tofu-secrets.sh $(STACK_ARG) plan

apply: $(SETUP_STAMP) ## tofu apply, every stack of APP_ENV in order (or STACK=<layer>)
	@scripts/tofu-secrets.sh $(STACK_ARG) apply

destroy: $(SETUP_STAMP) ## tofu destroy (dev; prod only with CONFIRM=destroy-prod)
	@scripts/tofu-secrets.sh $(STACK_ARG) destroy
