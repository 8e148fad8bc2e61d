#!/usr/bin/env bash
# Refuses committing secrets in plaintext: used by pre-commit and mirrored by tests/security/test_hygiene.py.
#   scripts/check-secret-files.sh FILE...      (pre-commit passes the staged files)
#   scripts/check-secret-files.sh --all        (every file git tracks)
# Fails when a file is a plaintext secrets file (any tfvars but secrets.tfvars.example and *.tfvars.enc,
# editor copies such as secrets.tfvars~ .secrets.tfvars.swp #secrets.tfvars#, age keys, kubeconfigs,
# state) or when a *.enc file is not SOPS-encrypted.
set -euo pipefail

usage() {
  echo "Usage: scripts/check-secret-files.sh FILE... | --all"
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") echo "check-secret-files.sh: give files, or --all (try --help)" >&2; exit 2 ;;
  --all) mapfile -t files < <(git ls-files) ;;
  -*) echo "check-secret-files.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  *) files=("$@") ;;
esac

status=0
refuse() { echo "refused: $1: $2" >&2; status=1; }

for file in "${files[@]}"; do
  base=$(basename -- "$file")
  case "$base" in
    secrets.tfvars.example|*.tfvars.enc) ;;  # fake values / ciphertext (checked below)
    *.tfvars|*.tfvars[.~#]*|*.tfstate|*.tfstate.*|*.tfplan)
      refuse "$file" "plaintext secrets/state (or an editor's copy of them) must never be committed (git-ignored; use bin/sops-encrypt.sh)" ;;
    keys.txt) refuse "$file" "looks like an age private key file" ;;
  esac
  case "$file" in
    .kube/*|*/.kube/*) refuse "$file" "kubeconfigs hold cluster credentials (.kube/ is git-ignored)" ;;
  esac
  [ -f "$file" ] || continue
  if grep -qE "AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}" "$file" 2>/dev/null; then
    refuse "$file" "contains an age private key"
  fi
  case "$base" in
    *.enc)
      if ! grep -q 'ENC\[AES256_GCM,' "$file" || ! grep -qE '"sops"|^sops:|sops_version' "$file"; then
        refuse "$file" "a *.enc file must be SOPS-encrypted (bin/sops-encrypt.sh)"
      fi ;;
  esac
done
exit $status
