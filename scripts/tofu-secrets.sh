#!/usr/bin/env bash
# Run tofu over the synthesized stacks of one env, in apply order, with the SOPS secrets.
#
# Secrets handling: sops decrypts to stdout into this shell's memory; for the stack being run,
# tfsecrets.py writes <stack dir>/.secrets.auto.tfvars.json (umask 077 + mode 0600) with only
# the variables that stack declares, and the file is removed as soon as that stack is done.
# JSON rather than HCL: tfvars.json values are literal strings, so quotes, backslashes,
# newlines and ${...} need no escaping. Clean-up also runs on failure, SIGINT and SIGTERM.
# Every check happens before anything is decrypted or written. One run at a time per checkout
# (flock on .tofu-secrets.lock); under the lock, decrypted files that a killed run left in any
# stack directory are removed first. The age key never reaches tofu's environment.
set -euo pipefail
umask 077  # from the first file on, synthesis included: nothing tofu runs is writable by others

PROG=tofu-secrets
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=lib/provider_mirror.sh
. "$ROOT/scripts/lib/provider_mirror.sh"

VALID_ENVS="dev prod"
MIN_TOFU=1.10.0
SECRETS_NAME=.secrets.auto.tfvars.json

usage() {
  cat <<'USAGE'
Usage: APP_ENV=dev|prod scripts/tofu-secrets.sh [--stack NAME] [--no-synth] [--] <tofu args...>

Runs `tofu <args>` in every stack of $APP_ENV (default dev), in apply order
(prod: cluster, infra, data, metrics, apps; dev: infra, data, metrics, apps),
stopping at the first failure. Examples:
  APP_ENV=dev  scripts/tofu-secrets.sh plan
  APP_ENV=prod scripts/tofu-secrets.sh apply
  APP_ENV=prod scripts/tofu-secrets.sh --stack infra plan
  APP_ENV=dev  scripts/tofu-secrets.sh -- state list     # `--` ends the wrapper's options

Options:
  --stack NAME  run only that stack (NAME = layer, e.g. infra, or the full name dev-infra)
  --no-synth    do not re-synthesize, even when cdktf.out looks stale
  -h, --help    this help

Environment:
  APP_ENV              dev (default) or prod; exported to tofu as TF_VAR_app_env
  SECRETS_FILE         encrypted secrets (default: secrets.tfvars.enc at the repo root)
  SOPS_AGE_KEY_FILE    your age key (default: ~/.config/sops/age/keys.txt), or SOPS_AGE_KEY
                       (both are removed from tofu's environment)
  CDKTF_OUTDIR         synthesized output (default: cdktf.out); a folder directly in the repository
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   Spaces keys for the prod state backend (prod only)

Synthesis: when cdktf.out is missing, lacks the env's stacks, or is older than main.py,
cdktf.json, pyproject.toml, constructs/ or envs/, the wrapper runs `APP_ENV=<env> main.py`
first. A stack directory without .terraform gets `tofu init -input=false` first.
Only one run per checkout at a time: a second one stops and names the first.
USAGE
}

LOCK_FILE=$ROOT/.tofu-secrets.lock
# Variables that carry (or lead to) the age identity: sops needs them, tofu and its providers never.
AGE_KEY_VARS=(SOPS_AGE_KEY SOPS_AGE_KEY_FILE SOPS_AGE_KEY_CMD SOPS_AGE_SSH_PRIVATE_KEY_FILE)

STACK_DIRS=()
cleanup() {
  local d
  for d in "${STACK_DIRS[@]}"; do rm -f -- "$d/$SECRETS_NAME"; done
}
on_signal() {
  trap - EXIT
  cleanup
  note "interrupted by SIG$1: decrypted files removed; later stacks not run"
  case $1 in INT) exit 130 ;; *) exit 143 ;; esac
}
trap cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

check_env() {
  local env=$1
  [[ " $VALID_ENVS " == *" $env "* ]] || die "APP_ENV='$env' is invalid; valid values: ${VALID_ENVS// /, }"
}

check_tofu() {
  command -v tofu >/dev/null 2>&1 \
    || die "tofu not found on PATH: install OpenTofu >= $MIN_TOFU (https://opentofu.org/docs/intro/install/)"
  local out ok=0
  out=$(tofu version 2>/dev/null | head -n1) || true
  # x.y.z >= 1.10.0; a pre-release (1.10.0-rc1) counts as older than its release
  if [[ $out =~ ([0-9]+)\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.]+)? ]]; then
    local -a have=("${BASH_REMATCH[@]:1:3}") want
    IFS=. read -r -a want <<<"$MIN_TOFU"
    local i
    for i in 0 1 2; do
      if (( 10#${have[i]} != 10#${want[i]} )); then (( 10#${have[i]} > 10#${want[i]} )) && ok=1; break; fi
      [ "$i" -lt 2 ] || { [ -n "${BASH_REMATCH[4]}" ] || ok=1; }
    done
  fi
  [ "$ok" = 1 ] || die "OpenTofu >= $MIN_TOFU is required (state encryption, external key providers); found: '${out:-no version}'"
}

check_prod_credentials() {
  local missing=() v
  for v in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do [ -n "${!v:-}" ] || missing+=("$v"); done
  [ ${#missing[@]} -eq 0 ] || die "prod state lives in DigitalOcean Spaces: export ${missing[*]}
  (a Spaces access key: DO control panel > API > Spaces Keys; see docs/secrets.md)"
}

# One run per checkout: fd 9 stays open (and locked) in this shell and every child, tofu included,
# so a tofu left running by a killed wrapper still holds it. The holder is recorded in the file.
acquire_lock() {
  local env=$1; shift
  exec 9<>"$LOCK_FILE" || die "cannot open the lock file $LOCK_FILE"
  local holder
  if ! holder=$(tfsecrets lock --fd 9 --pid $$ --command "APP_ENV=$env tofu $*"); then
    [ -n "$holder" ] || exit 1
    die "another scripts/tofu-secrets.sh run is active in this checkout: $holder.
  Wait for it to finish; two runs would delete or overwrite each other's decrypted secrets."
  fi
}

# Decrypted files left by a run that could not clean up (SIGKILL, power loss), in any stack directory.
sweep_stale() {
  local line
  while IFS= read -r line; do [ -z "$line" ] || note "$line"; done < <(tfsecrets sweep --root "$ROOT" --outdir "$OUTDIR")
}

check_secrets_file() {
  [ -f "$SECRETS_FILE" ] || die "encrypted secrets '$SECRETS_FILE' not found. Create it:
  cp secrets.tfvars.example secrets.tfvars   # then fill in real values
  bin/sops-encrypt.sh secrets.tfvars secrets.tfvars.enc"
}

# Fails early, before any decryption, when no key sops would use can open the file.
check_key() {
  if [ -z "${SOPS_AGE_KEY:-}" ] && [ -z "${SOPS_AGE_KEY_CMD:-}" ]; then
    local key_file=${SOPS_AGE_KEY_FILE:-${XDG_CONFIG_HOME:-$HOME/.config}/sops/age/keys.txt}
    [ -f "$key_file" ] || die "age key file '$key_file' not found: run bin/age-init.sh or set SOPS_AGE_KEY_FILE"
  fi
  [ -z "${SOPS_AGE_KEY_CMD:-}" ] || return 0  # the key is produced on demand; sops reports a mismatch
  tfsecrets key-matches "$SECRETS_FILE" || die "your age key is not a recipient of '$SECRETS_FILE'.
  Fix: send your public key (bin/age-init.sh prints it) to a maintainer, who adds it to sops.yaml and runs
  .venv/bin/sops --config sops.yaml updatekeys --input-type json -y secrets.tfvars.enc"
}

main() {
  local stack="" no_synth=0
  while [ $# -gt 0 ]; do
    case "$1" in
      -h|--help) usage; exit 0 ;;
      --stack) [ $# -ge 2 ] && [ -n "$2" ] || usage_error "--stack needs a stack name"; stack=$2; shift ;;
      --stack=*) stack=${1#--stack=}; [ -n "$stack" ] || usage_error "--stack needs a stack name" ;;
      --no-synth) no_synth=1 ;;
      --) shift; break ;;
      --*) usage_error "unknown option '$1' (tofu options go after the subcommand, e.g. plan -out=x)" ;;
      *) break ;;
    esac
    shift
  done
  [ $# -gt 0 ] || usage_error "no tofu command given (e.g. plan or apply)"

  local env=${APP_ENV:-dev}
  check_env "$env"
  SECRETS_FILE=${SECRETS_FILE:-$ROOT/secrets.tfvars.enc}
  require_tools
  tfsecrets check-outdir --root "$ROOT" --outdir "$OUTDIR" || exit 1
  acquire_lock "$env" "$@"
  sweep_stale
  check_tofu
  use_provider_mirror
  [ "$env" != prod ] || check_prod_credentials
  check_secrets_file
  check_key
  # From here on only sops gets the age key: not synthesis, not tofu, not a provider or hook.
  local age_env=() v
  for v in "${AGE_KEY_VARS[@]}"; do [ -z "${!v+x}" ] || age_env+=("$v=${!v}"); done
  export -n "${AGE_KEY_VARS[@]}"
  ensure_synth "$no_synth" "$env"

  local plan names=() name dir
  plan=$(tfsecrets plan --outdir "$OUTDIR" --env "$env" ${stack:+--stack "$stack"}) || exit 1
  while IFS=$'\t' read -r name dir; do names+=("$name"); STACK_DIRS+=("$dir"); done <<<"$plan"
  if is_destroy "$@"; then  # tear down in reverse apply order: apps before the data they use
    reverse names; reverse STACK_DIRS
    note "destroy: stacks run in reverse apply order (${names[*]})"
  fi

  local secrets
  secrets=$(env "${age_env[@]}" "$SOPS" --config "$SOPS_POLICY" decrypt --input-type json --output-type json \
      "$SECRETS_FILE") || die "sops could not decrypt '$SECRETS_FILE' (see above)"
  unset "${AGE_KEY_VARS[@]}" age_env
  printf '%s' "$secrets" | tfsecrets check-secrets --outdir "$OUTDIR" --env "$env" ${stack:+--stack "$stack"} \
      --label "'$SECRETS_FILE'" \
    || die "fix the values: decrypt, edit and re-encrypt (docs/secrets.md, 'Change a secret')"

  export TF_VAR_app_env=$env
  local i n=${#names[@]} rc
  for ((i = 0; i < n; i++)); do
    name=${names[i]} dir=${STACK_DIRS[i]}
    note "==> [$((i + 1))/$n] $name: tofu $*"
    printf '%s' "$secrets" | tfsecrets write --outdir "$OUTDIR" --env "$env" --stack "$name" --dest "$dir/$SECRETS_NAME" \
      || die "could not write the secrets of $name"
    cd "$dir"
    rc=0
    if [ "$1" != init ] && [ ! -d .terraform ]; then
      note "$name has no .terraform: running tofu init -input=false"
      tofu init -input=false || rc=$?
    fi
    [ "$rc" -ne 0 ] || tofu "$@" || rc=$?
    cd "$ROOT"
    rm -f -- "$dir/$SECRETS_NAME"
    if [ "$rc" -ne 0 ]; then
      note "error: tofu failed in $name (exit $rc); stopped before the remaining stacks"
      summary "$i" "$rc" "${names[@]}"
      exit "$rc"
    fi
  done
  summary "$n" 0 "${names[@]}"
  note "done: tofu $1 on ${n} stack(s) of $env"
}

# is_destroy <tofu args...>: true for `destroy`, or `plan`/`apply` with -destroy.
is_destroy() {
  [ "${1:-}" = destroy ] && return 0
  local arg
  for arg in "$@"; do [ "$arg" = -destroy ] && return 0; done
  return 1
}

# reverse <array name>: reverse a bash array in place.
reverse() {
  local -n ref=$1
  local -a out=()
  local i
  for ((i = ${#ref[@]} - 1; i >= 0; i--)); do out+=("${ref[i]}"); done
  ref=("${out[@]}")
}

# summary <index reached> <rc> <stack names...>: one line per stack (ok / FAILED / not run).
summary() {
  local reached=$1 rc=$2 j=0 name; shift 2
  note "summary:"
  for name in "$@"; do
    if [ "$j" -lt "$reached" ]; then note "  ok       $name"
    elif [ "$j" -eq "$reached" ] && [ "$rc" -ne 0 ]; then note "  FAILED   $name (exit $rc)"
    else note "  not run  $name"
    fi
    j=$((j + 1))
  done
}

main "$@"
