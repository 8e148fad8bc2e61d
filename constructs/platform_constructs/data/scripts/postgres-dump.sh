#!/bin/bash
# Velero pre-backup hook (runs inside the postgres container): a consistent logical dump of every
# database into a new set on the dumps PVC (layout, generations and failure handling: see the
# shared part above, dump-common.sh), so a restore never relies on a copy of live files.
#   globals.sql       roles and their password hashes (pg_dumpall --globals-only)
#   <database>.dump   one custom-format dump per database (x-<hex name>.dump for unusual names)
#   MANIFEST          "database <hex name> <file> <tables>" per database, plus the canary token
# Before dumping, the canary row (database platform_canary) is stamped with a fresh token that
# the MANIFEST records: the restore drill proves the dump holds what the server had at dump time.
# Every dump is read back in full (pg_restore to /dev/null) before the set is published.
set -euo pipefail
DUMP_ENGINE=postgres
export PGUSER=postgres PGPASSWORD="${POSTGRES_PASSWORD}" PGDATABASE=postgres PGCONNECT_TIMEOUT=10
psql_q() { psql -X -w -v ON_ERROR_STOP=1 -qAt "$@"; }

dump_begin

psql_q -v token="${canary_token}" <<'SQL'
SET client_min_messages = warning;
SELECT 'CREATE DATABASE platform_canary'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'platform_canary') \gexec
REVOKE ALL ON DATABASE platform_canary FROM PUBLIC;
\connect platform_canary
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS canary (
  id int PRIMARY KEY CHECK (id = 1), token text NOT NULL, taken_at timestamptz NOT NULL);
INSERT INTO canary VALUES (1, :'token', now())
  ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, taken_at = EXCLUDED.taken_at;
SQL

# Names travel hex-encoded (one per line, nothing the shell could split or read as an option);
# a listing failure stops the hook here (set -e), never an empty loop.
psql_q -c "SELECT encode(convert_to(datname, 'UTF8'), 'hex') FROM pg_database
  WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres' ORDER BY datname" >"${partial}/.databases"
mapfile -t databases <"${partial}/.databases"
[ "${#databases[@]}" -gt 0 ] || fail "no database listed (platform_canary at least must exist)"
ensure_space

pg_dumpall --globals-only --file="${partial}/globals.sql"
grep -q '^CREATE ROLE ' "${partial}/globals.sql" || fail "globals.sql holds no role"
manifest_header >"${partial}/.MANIFEST"

for hex in "${databases[@]}"; do
  [[ ${hex} =~ ^[0-9a-f]+$ ]] || fail "unexpected database list entry ${hex@Q}"
  hex_to_text "${hex}" name
  file="$(file_stem "${name}" "${hex}").dump"
  # PGDATABASE: libpq takes it as a plain name (a -d argument could be read as an option or a
  # connection string).
  PGDATABASE="${name}" pg_dump --format=custom --file="${partial}/${file}"
  [ -s "${partial}/${file}" ] || fail "${file} is empty"
  pg_restore --list "${partial}/${file}" >"${partial}/.toc" || fail "${file}: unreadable table of contents"
  pg_restore --file=/dev/null "${partial}/${file}" || fail "${file}: cannot be read back in full"
  tables=$(grep -E '^[0-9]+; [0-9]+ [0-9]+ TABLE ' "${partial}/.toc" | grep -cvE '^[0-9]+; [0-9]+ [0-9]+ TABLE DATA ' || true)
  printf 'database %s %s %s\n' "${hex}" "${file}" "${tables}" >>"${partial}/.MANIFEST"
  echo "postgres dump: ${name@Q} -> ${file} (${tables} tables)"
done
rm -f -- "${partial}/.databases" "${partial}/.toc"
mv -- "${partial}/.MANIFEST" "${partial}/MANIFEST"
dump_commit
