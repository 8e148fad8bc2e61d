#!/bin/bash
# Velero pre-backup hook (runs inside the mariadb container): a consistent logical dump of every
# database into a new set on the dumps PVC (layout, generations and failure handling: see the
# shared part above, dump-common.sh), so a restore never relies on a copy of live files.
#   users.sql        accounts and grants (--system=users); --insert-ignore writes
#                    CREATE USER IF NOT EXISTS, so it replays on a fresh server, whose root and
#                    mariadb.sys accounts already exist (a plain CREATE USER stops there)
#   <database>.sql   one dump per database, single transaction (x-<hex name>.sql for unusual names)
#   MANIFEST         "database <hex name> <file> <tables>" per database, plus the canary token
# A dump counts only when mariadb-dump wrote its closing "-- Dump completed" line.
set -euo pipefail
DUMP_ENGINE=mariadb
export MYSQL_PWD="${MARIADB_ROOT_PASSWORD}"
socket="${DB_SOCKET:-/run/mysqld/mysqld.sock}" # the server's own socket (emptyDir /run/mysqld)
client() { mariadb --socket="${socket}" -u root --default-character-set=utf8mb4 "$@"; }
dump() { mariadb-dump --socket="${socket}" -u root --default-character-set=utf8mb4 "$@"; }
completed() { [ -s "$1" ] && [[ "$(tail -n 1 -- "$1")" == "-- Dump completed"* ]]; }

dump_begin

# The token is checked by dump_begin (digits, T, Z, hex, dashes): nothing to escape.
client <<SQL
CREATE DATABASE IF NOT EXISTS platform_canary CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE IF NOT EXISTS platform_canary.canary (
  id INT PRIMARY KEY CHECK (id = 1), token VARCHAR(96) NOT NULL, taken_at DATETIME NOT NULL) ENGINE=InnoDB;
REPLACE INTO platform_canary.canary VALUES (1, '${canary_token}', UTC_TIMESTAMP());
SQL

# Names travel hex-encoded; a listing failure stops the hook here (set -e), never an empty loop.
client -N -B -e "SELECT HEX(schema_name) FROM information_schema.schemata
  WHERE schema_name NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1" >"${partial}/.databases"
mapfile -t databases <"${partial}/.databases"
[ "${#databases[@]}" -gt 0 ] || fail "no database listed (platform_canary at least must exist)"
ensure_space

dump --system=users --insert-ignore --result-file="${partial}/users.sql"
completed "${partial}/users.sql" || fail "users.sql is incomplete"
manifest_header >"${partial}/.MANIFEST"

for hex in "${databases[@]}"; do
  hex="${hex,,}"
  [[ ${hex} =~ ^[0-9a-f]+$ ]] || fail "unexpected database list entry ${hex@Q}"
  hex_to_text "${hex}" name
  file="$(file_stem "${name}" "${hex}").sql"
  # "--" ends the options: a name with a leading "-" is a name.
  dump --single-transaction --routines --triggers --events --result-file="${partial}/${file}" --databases -- "${name}"
  completed "${partial}/${file}" || fail "${file} is incomplete"
  tables=$(grep -c '^CREATE TABLE ' -- "${partial}/${file}" || true)
  printf 'database %s %s %s\n' "${hex}" "${file}" "${tables}" >>"${partial}/.MANIFEST"
  echo "mariadb dump: ${name@Q} -> ${file} (${tables} tables)"
done
rm -f -- "${partial}/.databases"
mv -- "${partial}/.MANIFEST" "${partial}/MANIFEST"
dump_commit
