#!/usr/bin/env bash
# Encrypt the plaintext secrets tfvars into the committed SOPS file, under the sops.yaml policy.
#   - refuses a missing input, an input tracked by git, a file whose variable names do not
#     match the secret variables the stacks declare (union of dev and prod), and a value that
#     breaks its secret's rules (constructs/platform_constructs/secret_catalog.py);
#   - the plaintext is parsed to JSON in memory and piped to sops: no temporary plaintext file;
#   - the output is a sops JSON document (one encrypted value per variable, names readable).
set -euo pipefail

PROG=sops-encrypt
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../scripts/lib/common.sh
. "$ROOT/scripts/lib/common.sh"

usage() {
  cat <<'USAGE'
Usage: bin/sops-encrypt.sh [--no-synth] <secrets.tfvars> <secrets.tfvars.enc>

Encrypts a plaintext tfvars file (name = "value" lines, heredocs allowed) with sops + age.

Recipients: the age keys listed in sops.yaml for the output path, plus any in
$SOPS_AGE_RECIPIENTS (comma-separated), e.g. your own key before it is in sops.yaml.

Checks first that the file sets exactly the secret variables ("sensitive": true) that the
synthesized stacks of both envs declare, each value meeting its rules (length, characters:
docs/secrets.md); synthesizes (main.py --all-envs) when cdktf.out is missing or older than
the sources.

Options:
  --no-synth   use cdktf.out as it is, even if it looks stale
  -h, --help   this help
USAGE
}

tmp_out=""
cleanup() { [ -z "$tmp_out" ] || rm -f -- "$tmp_out"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

check_input() {
  local input=$1 output=$2
  [ -e "$input" ] || die "input '$input' not found; create it with: cp secrets.tfvars.example secrets.tfvars (then fill it in)"
  [ -f "$input" ] && [ -r "$input" ] || die "input '$input' is not a readable file"
  [ "$(realpath -m -- "$input")" != "$(realpath -m -- "$output")" ] || die "input and output are the same file"
  local dir base; dir=$(dirname -- "$input"); base=$(basename -- "$input")
  if git -C "$dir" rev-parse --is-inside-work-tree >/dev/null 2>&1 \
     && git -C "$dir" ls-files --error-unmatch -- "$base" >/dev/null 2>&1; then
    die "'$input' is tracked by git, so its plaintext secrets are (or will be) in history.
  Fix: git rm --cached '$input' (it is in .gitignore), commit, and rotate every secret it held."
  fi
  if git -C "$dir" rev-parse --is-inside-work-tree >/dev/null 2>&1 \
     && ! git -C "$dir" check-ignore -q -- "$base"; then
    note "warning: '$input' is not git-ignored; keep plaintext secrets in secrets.tfvars (ignored) or outside the repo"
  fi
}

# Age recipients sops.yaml gives to the output path. Asking sops itself (probe encryption of a
# dummy document) keeps its own rule matching; we never parse the YAML ourselves.
policy_recipients() {
  local output=$1 out
  # stderr is merged so that a failure's text can be matched; on success sops prints only JSON.
  if out=$(printf '{"probe":"x"}' | "$SOPS" --config "$SOPS_POLICY" encrypt \
             --filename-override "$output" --input-type json --output-type json 2>&1); then
    printf '%s' "$out" | tfsecrets recipients
    return 0
  fi
  case "$out" in
    *"empty key group"*) return 0 ;;  # the rule exists but lists no key yet
    *"no matching creation rules"*)
      die "sops.yaml has no creation rule for '$output'; name the encrypted file secrets[.<name>].tfvars.enc" ;;
    *) die "sops could not apply the policy $SOPS_POLICY: $out" ;;
  esac
}

main() {
  local no_synth=0 args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      -h|--help) usage; exit 0 ;;
      --no-synth) no_synth=1 ;;
      --) shift; args+=("$@"); break ;;
      -*) usage_error "unknown option '$1'" ;;
      *) args+=("$1") ;;
    esac
    shift
  done
  [ ${#args[@]} -eq 2 ] || usage_error "expected 2 arguments <secrets.tfvars> <secrets.tfvars.enc>, got ${#args[@]}"
  local input=${args[0]} output=${args[1]}

  check_input "$input" "$output"
  require_tools
  # Read once, then unset: sops treats SOPS_AGE_RECIPIENTS as --age, which would silently
  # replace (not extend) the sops.yaml recipients.
  local extra=${SOPS_AGE_RECIPIENTS:-}
  unset SOPS_AGE_RECIPIENTS

  umask 077
  local plain
  plain=$(tfsecrets tfvars-to-json "$input") || die "fix '$input' (see above)"

  ensure_synth "$no_synth" dev prod
  printf '%s' "$plain" | tfsecrets check-names --outdir "$OUTDIR" --env dev --outdir "$OUTDIR" --env prod \
      --label "'$input'" \
    || die "'$input' does not match the stacks' secret variables or breaks their rules (see above);
  secrets.tfvars.example lists them with their rules (docs/secrets.md, 'Rules per secret')"

  local recipients=() r policy
  policy=$(policy_recipients "$output") || exit 1
  for r in $policy; do recipients+=("$r"); done
  local n_policy=${#recipients[@]}
  for r in ${extra//,/ }; do
    case "$r" in age1*) ;; *) die "SOPS_AGE_RECIPIENTS holds '$r', which is not an age public key (age1...)" ;; esac
    [[ " ${recipients[*]} " == *" $r "* ]] || recipients+=("$r")
  done
  [ ${#recipients[@]} -gt 0 ] || die "no recipient: sops.yaml lists no age key for '$output' and SOPS_AGE_RECIPIENTS is empty.
  Fix: run bin/age-init.sh and export the SOPS_AGE_RECIPIENTS line it prints (and add the key to sops.yaml)."

  local joined; joined=$(IFS=,; echo "${recipients[*]}")
  tmp_out=$(mktemp "$(dirname -- "$output")/.$(basename -- "$output").XXXXXX") # ciphertext only
  printf '%s' "$plain" | "$SOPS" --config "$SOPS_POLICY" encrypt --filename-override "$output" \
      --input-type json --output-type json --age "$joined" > "$tmp_out" \
    || die "sops encryption failed (see above)"
  chmod 644 "$tmp_out"  # ciphertext is meant to be committed
  mv -f -- "$tmp_out" "$output"
  tmp_out=""
  note "encrypted $(printf '%s' "$plain" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))') secrets into $output for ${#recipients[@]} recipient(s) ($n_policy from sops.yaml)"
  note "the plaintext '$input' is git-ignored; delete it when you no longer need it"
}

main "$@"
