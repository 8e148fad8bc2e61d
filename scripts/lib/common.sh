# shellcheck shell=bash
# Shared by bin/sops-encrypt.sh and scripts/tofu-secrets.sh (sourced, not executed).
# Callers set PROG (message prefix) and ROOT (repository root) before sourcing.

# sops 3.11 only checks for updates on --version, but keep every run offline and quiet.
export SOPS_DISABLE_VERSION_CHECK=1

die() { echo "$PROG: error: $*" >&2; exit 1; }
usage_error() { echo "$PROG: $* (try --help)" >&2; exit 2; }
note() { echo "$PROG: $*" >&2; }

# The project venv first (it carries sops, pyrage and the pinned Python), then PATH.
PY=$ROOT/.venv/bin/python
[ -x "$PY" ] || PY=$(command -v python3 || true)
SOPS=$ROOT/.venv/bin/sops
[ -x "$SOPS" ] || SOPS=$(command -v sops || true)
SOPS_POLICY=$ROOT/sops.yaml
OUTDIR=${CDKTF_OUTDIR:-cdktf.out}
case "$OUTDIR" in /*) ;; *) OUTDIR=$ROOT/$OUTDIR ;; esac

# Imported (not run as a script) so that its bytecode is cached between the many calls.
tfsecrets() {
  "$PY" -c 'import sys; sys.path.insert(0, sys.argv.pop(1)); import tfsecrets; sys.exit(tfsecrets.main(sys.argv[1:]))' \
    "$ROOT/scripts/lib" "$@"
}

require_tools() {
  [ -n "$PY" ] || die "python3 not found: run scripts/setup.sh"
  [ -n "$SOPS" ] || die "sops not found: run scripts/setup.sh (it installs sops into .venv)"
  [ -f "$SOPS_POLICY" ] || die "$SOPS_POLICY is missing: restore it from git"
}

# Synthesize with main.py when the output is missing or older than the sources.
#   ensure_synth <no_synth 0|1> <env>...   (several envs -> main.py --all-envs)
ensure_synth() {
  local no_synth=$1; shift
  local env reason=""
  for env in "$@"; do
    reason=$(tfsecrets needs-synth --root "$ROOT" --outdir "$OUTDIR" --env "$env") && break
    reason=""
  done
  [ -n "$reason" ] || return 0
  if [ "$no_synth" = 1 ]; then
    note "warning: synthesized output looks stale ($reason); using it as is (--no-synth)"
    return 0
  fi
  [ -f "$ROOT/main.py" ] || die "cannot synthesize: $ROOT/main.py not found"
  note "synthesizing ($reason)"
  if [ $# -gt 1 ]; then
    (cd "$ROOT" && "$PY" -O main.py --all-envs --outdir "$OUTDIR") >&2 || die "synthesis failed (see above)"
  else
    (cd "$ROOT" && APP_ENV=$1 "$PY" -O main.py --outdir "$OUTDIR") >&2 || die "synthesis failed (see above)"
  fi
}
