#!/usr/bin/env bash
# Create the operator's age key for SOPS, once, and print the two export lines.
#   - the key goes to $SOPS_AGE_KEY_FILE (default ~/.config/sops/age/keys.txt), mode 0600,
#     in a folder created 0700; an existing key is never overwritten.
#   - uses age-keygen when installed, otherwise pyrage from the project venv (same file format).
#   - stdout carries only the export lines, so `eval "$(bin/age-init.sh)"` works; the rest is on stderr.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
  cat <<'USAGE'
Usage: bin/age-init.sh [--help]

Creates an age key for SOPS at $SOPS_AGE_KEY_FILE (default: ~/.config/sops/age/keys.txt,
or $XDG_CONFIG_HOME/sops/age/keys.txt)
unless one already exists, then prints:
  export SOPS_AGE_KEY_FILE=...
  export SOPS_AGE_RECIPIENTS=age1...
Add those lines to your shell profile (or run: eval "$(bin/age-init.sh)"), then ask a
maintainer to add your public key (age1...) to sops.yaml and re-key (docs/secrets.md).

A break-glass key is made the same way on an offline medium:
  SOPS_AGE_KEY_FILE=/media/usb/break-glass.txt bin/age-init.sh
USAGE
}

die() { echo "age-init: $*" >&2; exit 1; }
info() { echo "age-init: $*" >&2; }

python_bin() {
  if [ -x "$ROOT/.venv/bin/python" ]; then echo "$ROOT/.venv/bin/python"; else command -v python3 || true; fi
}

# Prints a new identity in age-keygen's format on stdout.
generate_key() {
  if command -v age-keygen >/dev/null 2>&1; then
    age-keygen 2>/dev/null
  else
    local py; py=$(python_bin)
    [ -n "$py" ] || die "neither age-keygen nor python3 found: install age (apt-get install age) or run scripts/setup.sh"
    "$py" "$ROOT/scripts/lib/tfsecrets.py" gen-key
  fi
}

public_key_of() {
  local py; py=$(python_bin)
  if [ -n "$py" ] && "$py" "$ROOT/scripts/lib/tfsecrets.py" pubkeys "$1" 2>/dev/null | head -n1; then
    return 0
  fi
  command -v age-keygen >/dev/null 2>&1 && age-keygen -y "$1" | head -n1
}

main() {
  case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) echo "age-init: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac

  [ -n "${HOME:-}" ] || [ -n "${SOPS_AGE_KEY_FILE:-}" ] || die "HOME is not set: set SOPS_AGE_KEY_FILE to the key path"
  # same default as sops: $XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/...
  local key_file=${SOPS_AGE_KEY_FILE:-${XDG_CONFIG_HOME:-$HOME/.config}/sops/age/keys.txt}
  case "$key_file" in /*) ;; *) key_file="$PWD/$key_file" ;; esac
  local dir; dir=$(dirname "$key_file")

  umask 077  # everything created below is private from the first byte
  if [ ! -d "$dir" ]; then
    mkdir -p -m 700 "$dir" || die "cannot create $dir"
  elif [ -n "$(find "$dir" -maxdepth 0 -perm /077 2>/dev/null)" ]; then
    info "warning: $dir is readable by others; fix with: chmod 700 '$dir'"
  fi

  if [ -e "$key_file" ]; then
    info "key already exists at $key_file: not overwriting it"
    [ -z "$(find "$key_file" -maxdepth 0 -perm /077 2>/dev/null)" ] \
      || info "warning: $key_file is readable by others; fix with: chmod 600 '$key_file'"
  else
    # noclobber makes the redirection fail if the file appears meanwhile (O_EXCL): never overwrite.
    local key; key=$(generate_key) || die "key generation failed"
    case "$key" in *AGE-SECRET-KEY-1*) ;; *) die "key generation produced no AGE-SECRET-KEY line" ;; esac
    ( set -C; printf '%s\n' "$key" > "$key_file" ) 2>/dev/null || die "$key_file appeared meanwhile: not overwriting it"
    chmod 600 "$key_file"
    info "created $key_file (mode 0600)"
  fi

  local pub; pub=$(public_key_of "$key_file") || true
  [ -n "$pub" ] || die "$key_file holds no valid age key; move it away and run again"
  info "public key: $pub  (share it; add it to sops.yaml to be a permanent recipient)"
  printf 'export SOPS_AGE_KEY_FILE=%q\n' "$key_file"
  printf 'export SOPS_AGE_RECIPIENTS=%s\n' "$pub"
}

main "$@"
