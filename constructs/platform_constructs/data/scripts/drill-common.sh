# Shared part of the restore drills (postgres-drill.sh, mariadb-drill.sh): prepended at synth time
# (data/shell.py bundle, after dump-common.sh, whose hex_to_text it uses). A drill takes the
# newest complete dump set (DUMP_DIR/latest, mounted read-only), restores every database of it
# into a scratch server started in this pod on an emptyDir (SCRATCH_DIR, no network: a socket
# only), and proves
#   * the set is fresh: its MANIFEST taken_at is at most DRILL_MAX_AGE_HOURS old;
#   * the accounts file replays on a fresh server (roles / users first, as a recovery would);
#   * every database restores without an error, with as many tables as the dump holds;
#   * the canary token the dump hook wrote into platform_canary just before dumping comes back.
# Any failure exits non-zero: the Job fails, kube-state-metrics reports it, the alert fires.
# Tools: bash, coreutils (date, readlink, cat, mkdir, id, seq), grep; the engine's own server and clients.

: "${DUMP_DIR:?DUMP_DIR is not set}" "${SCRATCH_DIR:?SCRATCH_DIR is not set}"
DRILL_MAX_AGE_HOURS="${DRILL_MAX_AGE_HOURS:-26}"

fail() {
  echo "${DRILL_ENGINE} restore drill: FAILED: $*" >&2
  exit 1
}

# read_manifest: sets set_dir, set_name, taken_at, canary and the arrays db_hex, db_file, db_tables.
read_manifest() {
  set_dir=$(readlink -e -- "${DUMP_DIR}/latest") || fail "no dump set: ${DUMP_DIR}/latest is missing (has the dump hook ever succeeded?)"
  set_name=${set_dir##*/}
  [ -f "${set_dir}/MANIFEST" ] || fail "${set_name}: no MANIFEST (not a complete set)"
  local key a b c engine=""
  taken_at="" canary="" db_hex=() db_file=() db_tables=()
  while read -r key a b c; do
    case ${key} in
      engine) engine=${a} ;;
      taken_at) taken_at=${a} ;;
      canary) canary=${a} ;;
      database)
        [[ ${a} =~ ^[0-9a-f]+$ && ${b} =~ ^[A-Za-z0-9_.-]+$ && ${c} =~ ^[0-9]+$ ]] || fail "${set_name}: bad MANIFEST line: ${key} ${a} ${b} ${c}"
        db_hex+=("${a}") db_file+=("${b}") db_tables+=("${c}")
        ;;
    esac
  done <"${set_dir}/MANIFEST"
  [ "${engine}" = "${DRILL_ENGINE}" ] || fail "${set_name}: MANIFEST is for engine '${engine}'"
  [[ ${taken_at} =~ ^[0-9]+$ ]] && [ -n "${canary}" ] && [ "${#db_hex[@]}" -gt 0 ] || fail "${set_name}: incomplete MANIFEST"
  local age=$(($(date -u +%s) - taken_at))
  age_hours=$((age / 3600))
  [ "${age}" -le $((DRILL_MAX_AGE_HOURS * 3600)) ] ||
    fail "the newest dump set ${set_name} is ${age_hours}h old (more than ${DRILL_MAX_AGE_HOURS}h): the nightly dump is not running"
}

check_tables() { # NAME EXPECTED GOT
  [ "$3" = "$2" ] || fail "database ${1@Q}: ${3} tables restored, the dump holds ${2}"
}

drill_passed() {
  echo "${DRILL_ENGINE} restore drill: OK: set ${set_name} (${age_hours}h old), ${#db_hex[@]} databases restored, canary ${canary} found"
}
