#!/bin/bash
# Restore drill of the MariaDB dumps (what it proves: drill-common.sh above). Runs in a CronJob
# pod (mariadb image, uid 999, read-only root) or by `make drill`; the scratch server has no
# network (socket in SCRATCH_DIR) and is administered through the unix_socket account of the
# user running the drill, which users.sql never touches.
set -euo pipefail
DRILL_ENGINE=mariadb
read_manifest

me=$(id -un)
datadir="${SCRATCH_DIR}/data" socket="${SCRATCH_DIR}/mysqld.sock" tmpdir="${SCRATCH_DIR}/tmp"
# tmpdir on the scratch volume: a restore sorts index keys and builds temporary tables there
# (innodb_tmpdir defaults to tmpdir), which the pod's small /tmp could not hold for a large dump.
mkdir -p -- "${SCRATCH_DIR}" "${tmpdir}"
mariadb-install-db --no-defaults --datadir="${datadir}" --tmpdir="${tmpdir}" --user="${me}" --skip-test-db \
  --auth-root-authentication-method=socket >"${SCRATCH_DIR}/install.log" 2>&1 ||
  fail "mariadb-install-db of the scratch server: $(cat "${SCRATCH_DIR}/install.log")"
mariadbd --no-defaults --datadir="${datadir}" --socket="${socket}" --skip-networking --user="${me}" \
  --tmpdir="${tmpdir}" --pid-file="${SCRATCH_DIR}/mariadbd.pid" --log-error="${SCRATCH_DIR}/server.log" \
  --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 &
server=$!
trap 'kill "${server}" 2>/dev/null || true; wait "${server}" 2>/dev/null || true' EXIT
unset MYSQL_PWD
client() { mariadb --no-defaults --socket="${socket}" -u "${me}" --default-character-set=utf8mb4 "$@"; }
for _ in $(seq 1 120); do
  client -e 'SELECT 1' >/dev/null 2>&1 && break
  kill -0 "${server}" 2>/dev/null || fail "scratch server died: $(cat "${SCRATCH_DIR}/server.log")"
  sleep 0.5
done
client -e 'SELECT 1' >/dev/null || fail "scratch server not reachable: $(cat "${SCRATCH_DIR}/server.log")"

# Accounts first, as a recovery does (finding 4: they must replay on a fresh server).
client <"${set_dir}/users.sql" || fail "users.sql does not replay on a fresh server"

for i in "${!db_hex[@]}"; do
  hex_to_text "${db_hex[i]}" name
  client <"${set_dir}/${db_file[i]}" || fail "database ${name@Q} (${db_file[i]}) does not restore"
  tables=$(client -N -B -e "SELECT COUNT(*) FROM information_schema.tables
    WHERE table_schema = CONVERT(UNHEX('${db_hex[i]}') USING utf8mb4) AND table_type = 'BASE TABLE'")
  check_tables "${name}" "${db_tables[i]}" "${tables}"
done

found=$(client -N -B -e "SELECT token FROM platform_canary.canary WHERE id = 1") || fail "no canary table in the restored platform_canary"
[ "${found}" = "${canary}" ] || fail "canary mismatch: the dump holds '${found}', its MANIFEST says '${canary}'"
drill_passed
