# Shared part of the dump hooks (postgres-dump.sh, mariadb-dump.sh): prepended to each hook at
# synth time (data/shell.py bundle), so the hook stays one self-contained `bash -c` text.
#
# A dump run writes one *set* into DUMP_DIR (its own PVC, never the data volume: a full dump
# volume fails the dump, not the database):
#   DUMP_DIR/<UTC stamp>.partial/   while it is written; removed on every failure (trap)
#   DUMP_DIR/<UTC stamp>/           renamed there only once every file is written and verified
#   DUMP_DIR/latest -> <UTC stamp>  the newest complete set (what restores and the drill read)
#   <set>/MANIFEST                  engine, taken_at, canary token, one line per database
# The DUMP_KEEP newest complete sets stay (default 2), older ones are deleted after a success.
# Any failure (listing, dump, verification, space) exits non-zero: Velero marks the backup
# PartiallyFailed (hook onError: Fail) and the alert fires.
# Tools: bash, coreutils (date, df, du, cut, mv, ln, rm, mkdir, tail, cat), findutils (find), grep,
# and the engine's clients: all in the pinned images (docker-library/postgres 17/bookworm/Dockerfile:
# debian:bookworm-slim + postgresql-17, PATH has /usr/lib/postgresql/17/bin; MariaDB/mariadb-docker
# 11.8/Dockerfile: ubuntu:noble + mariadb-server/-client, its entrypoint runs mariadb-install-db).

: "${DUMP_DIR:?DUMP_DIR is not set}"
DUMP_KEEP="${DUMP_KEEP:-2}"
SAFE_FILE_NAME='^[A-Za-z0-9_]+$'

fail() {
  echo "${DUMP_ENGINE} dump: ERROR: $*" >&2
  exit 1
}

# hex_to_text HEX VAR: decode a hex string into variable VAR (no command substitution, so
# trailing newlines and leading dashes in names survive).
hex_to_text() {
  local hex=$1 escaped="" i
  for ((i = 0; i < ${#hex}; i += 2)); do escaped+="\\x${hex:i:2}"; done
  printf -v "$2" '%b' "${escaped}"
}

# file_stem NAME HEX: a file name for a database: the name itself when it is plain, else x-<hex>.
file_stem() {
  if [[ $1 =~ ${SAFE_FILE_NAME} ]]; then printf '%s' "$1"; else printf 'x-%s' "$2"; fi
}

complete_sets() {
  local set
  for set in "${DUMP_DIR}"/[0-9]*T[0-9]*Z; do
    [ -d "${set}" ] && [ -f "${set}/MANIFEST" ] && printf '%s\n' "${set}"
  done
  return 0
}

# prune KEEP: delete all complete sets but the KEEP newest (names sort by time).
prune() {
  local keep=$1 sets
  mapfile -t sets < <(complete_sets)
  local count=${#sets[@]} i
  for ((i = 0; i < count - keep; i++)); do
    echo "${DUMP_ENGINE} dump: removing old set ${sets[i]##*/}"
    rm -rf -- "${sets[i]}"
  done
}

available_kib() {
  local avail
  avail=$(df --output=avail -k -- "${DUMP_DIR}" | tail -n 1)
  printf '%s' "${avail// /}"
}

# dump_begin: create the partial set directory; from here on any exit but dump_commit removes it.
dump_begin() {
  mkdir -p -- "${DUMP_DIR}"
  # Leftovers of a run killed without a chance to clean up (SIGKILL, node loss).
  find "${DUMP_DIR}" -mindepth 1 -maxdepth 1 -name '*.partial' -mmin +120 -exec rm -rf -- {} +
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  partial="${DUMP_DIR}/${stamp}.partial"
  final="${DUMP_DIR}/${stamp}"
  [ ! -e "${final}" ] && [ ! -e "${partial}" ] || fail "${final} already exists (two dumps in the same second?)"
  mkdir -- "${partial}"
  trap 'rm -rf -- "${partial}"' EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  taken_at=$(date -u +%s)
  canary_token="${stamp}-$(cat /proc/sys/kernel/random/uuid)"
  [[ ${canary_token} =~ ^[0-9TZ]+-[0-9a-f-]+$ ]] || fail "unexpected canary token ${canary_token}"
}

# ensure_space: the new set (estimated: the newest set + 25 %, at least 1 MiB) must fit next to
# the ones kept; prune down to the newest set if it does not, and fail before writing anything if
# it still does not. A dump that outgrows the estimate hits ENOSPC on its own volume: the trap
# removes the partial set and the database never notices.
ensure_space() {
  local need=1024 avail previous
  if [ -d "${DUMP_DIR}/latest/" ]; then
    previous=$(du -sk -- "${DUMP_DIR}/latest/" | cut -f1)
    need=$((previous + previous / 4 + 1024))
  fi
  avail=$(available_kib)
  if [ "${avail}" -lt "${need}" ]; then
    prune 1
    avail=$(available_kib)
  fi
  [ "${avail}" -ge "${need}" ] ||
    fail "the dump volume has ${avail} KiB free, this dump needs about ${need} KiB: grow the ${DUMP_ENGINE}-dumps PVC (data.${DUMP_ENGINE}.dumps_storage)"
}

manifest_header() {
  printf 'format 1\nengine %s\ntaken_at %s\ncanary %s\n' "${DUMP_ENGINE}" "${taken_at}" "${canary_token}"
}

# dump_commit: the set is complete and verified: publish it, point latest at it, prune.
dump_commit() {
  mv -T -- "${partial}" "${final}"
  ln -sfn -- "${stamp}" "${DUMP_DIR}/.latest.new"
  mv -T -- "${DUMP_DIR}/.latest.new" "${DUMP_DIR}/latest"
  trap - EXIT
  prune "${DUMP_KEEP}"
  echo "${DUMP_ENGINE} dump: done: ${final} ($(du -sk -- "${final}" | cut -f1) KiB, $(available_kib) KiB left)"
}
