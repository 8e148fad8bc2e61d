#!/usr/bin/env bash
# Write the prod cluster's kubeconfig to the repo's .kube/config with doctl, where the prod stacks
# read it (kube.config_path in envs/prod.toml), under the context they use (kube.context).
#   - cluster name and expected context come from the prod config (envs/prod.toml, then
#     envs/prod.local.toml and CLUSTER_NAME), never retyped here;
#   - .kube/ is created 0700 and the file left 0600 (it grants cluster-admin); .kube/ is git-ignored
#     and the script refuses to run if that ever stops being true;
#   - doctl writes an exec-credential entry: no long-lived token lands in the file, but every
#     kubectl/tofu run needs doctl on PATH and an authenticated doctl context.
set -euo pipefail

PROG=refresh-kubeconfig
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KUBE_DIR="$ROOT/.kube"
KUBE_FILE="$KUBE_DIR/config"

usage() {
  cat <<'USAGE'
Usage: bin/refresh-kubeconfig.sh [--help]

Saves the kubeconfig of the prod DOKS cluster into <repo>/.kube/config (folder 0700, file 0600)
with `doctl kubernetes cluster kubeconfig save <cluster_name>`, then checks that the context the
prod stacks use (kube.context in envs/prod.toml, do-<region>-<cluster_name>) is in it.

Run it after `APP_ENV=prod ./scripts/tofu-secrets.sh apply --stack cluster`, and again whenever
the cluster is re-created or its credentials change. Needs doctl, authenticated:
  doctl auth init            # or: export DIGITALOCEAN_ACCESS_TOKEN=...
Use the result for ad-hoc debugging with:
  export KUBECONFIG="$PWD/.kube/config"

Environment:
  CLUSTER_NAME   overrides cluster_name, as for synthesis (then set kube.context in envs/prod.local.toml)
USAGE
}

die() { echo "$PROG: error: $*" >&2; exit 1; }
info() { echo "$PROG: $*" >&2; }

python_bin() {
  if [ -x "$ROOT/.venv/bin/python" ]; then echo "$ROOT/.venv/bin/python"; else command -v python3 || true; fi
}

# Prints "<cluster_name> <kube.context>" from the validated prod config (same loader as main.py).
read_prod_config() {
  local py; py=$(python_bin)
  [ -n "$py" ] || die "python3 not found: run scripts/setup.sh to create the project venv"
  (cd "$ROOT" && "$py" - <<'PY'
import sys

from envs import ConfigError, load_config
from envs.sections.cluster import doks_context

try:
    config = load_config("prod", use_local_files=True)
except ConfigError as exc:
    sys.exit(f"{exc}")
expected = doks_context(config.cluster.region, config.cluster_name)
if config.kube.context != expected:
    sys.exit(
        f"kube.context = {config.kube.context!r} but doctl will name the context {expected!r}; "
        f"set kube.context = {expected!r} in envs/prod.toml (or envs/prod.local.toml)"
    )
print(config.cluster_name, config.kube.context)
PY
  )
}

# Context names listed under the kubeconfig's top-level `contexts:` key.
contexts_in() {
  awk '
    /^[^[:space:]#-]/ { in_contexts = ($0 ~ /^contexts:/) ; next }
    in_contexts && /^[[:space:]]*-?[[:space:]]*name:[[:space:]]*/ {
      sub(/^[[:space:]]*-?[[:space:]]*name:[[:space:]]*/, ""); gsub(/["'\'' ]/, ""); print
    }' "$1"
}

check_not_tracked() {
  command -v git >/dev/null 2>&1 || return 0
  git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 0
  git -C "$ROOT" check-ignore -q "$KUBE_FILE" \
    || die ".kube/config is not git-ignored: restore the '.kube/' line in .gitignore before writing credentials"
  if git -C "$ROOT" ls-files --error-unmatch "$KUBE_FILE" >/dev/null 2>&1; then
    die ".kube/config is tracked by git: run 'git rm --cached .kube/config' and rotate the cluster credentials"
  fi
}

main() {
  while [ $# -gt 0 ]; do
    case "$1" in
      -h|--help) usage; exit 0 ;;
      *) echo "$PROG: error: unknown argument '$1' (this script takes no arguments; try --help)" >&2; exit 2 ;;
    esac
  done

  command -v doctl >/dev/null 2>&1 || die "doctl not found on PATH.
  Install it (https://docs.digitalocean.com/reference/doctl/how-to/install/), then authenticate: doctl auth init"

  local config cluster context
  config=$(read_prod_config) || die "cannot read the prod cluster settings (see above)"
  read -r cluster context <<<"$config"
  [ -n "$cluster" ] && [ -n "$context" ] || die "the prod config gave no cluster name/context"

  local auth_err
  if ! auth_err=$(doctl account get 2>&1 >/dev/null); then
    die "doctl is not authenticated (doctl account get failed${auth_err:+: ${auth_err##*$'\n'}}).
  Run: doctl auth init    (or export DIGITALOCEAN_ACCESS_TOKEN with a token that can read Kubernetes clusters)"
  fi

  check_not_tracked
  umask 077  # anything doctl creates is private from the first byte
  mkdir -p "$KUBE_DIR" || die "cannot create $KUBE_DIR"
  chmod 700 "$KUBE_DIR"
  [ ! -e "$KUBE_FILE" ] || chmod 600 "$KUBE_FILE"

  info "saving the kubeconfig of cluster '$cluster' into .kube/config"
  KUBECONFIG="$KUBE_FILE" doctl kubernetes cluster kubeconfig save "$cluster" >&2 \
    || die "doctl could not save the kubeconfig of '$cluster'. Does the cluster exist in this account?
  Check: doctl kubernetes cluster list    (create it: APP_ENV=prod ./scripts/tofu-secrets.sh apply --stack cluster)"
  [ -f "$KUBE_FILE" ] || die "doctl reported success but wrote no $KUBE_FILE"
  chmod 600 "$KUBE_FILE"

  if ! contexts_in "$KUBE_FILE" | grep -qxF -- "$context"; then
    die "context '$context' (kube.context) is not in .kube/config; found: $(contexts_in "$KUBE_FILE" | paste -sd, -).
  The cluster's region or name differs from envs/prod.toml: fix cluster.region / cluster_name there."
  fi
  info "ok: .kube/config (mode 0600) has context '$context'; the prod stacks can run now."
  info "for kubectl: export KUBECONFIG=\"$KUBE_FILE\" && kubectl --context $context get nodes"
}

main "$@"
