#!/bin/bash
# Restore drill of the Postgres dumps (what it proves: drill-common.sh above). Runs in a CronJob
# pod (postgres image, uid 999, read-only root) or by `make drill`; the scratch server trusts
# local socket connections only, in SCRATCH_DIR, which nothing else can reach.
set -euo pipefail
DRILL_ENGINE=postgres
read_manifest

unset PGPASSWORD PGSERVICE
export PGDATA="${SCRATCH_DIR}/pgdata" PGHOST="${SCRATCH_DIR}" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
mkdir -p -- "${SCRATCH_DIR}"
initdb --username=postgres --auth=trust --encoding=UTF8 --pgdata="${PGDATA}" >"${SCRATCH_DIR}/initdb.log" ||
  fail "initdb of the scratch server: $(cat "${SCRATCH_DIR}/initdb.log")"
trap 'pg_ctl --pgdata="${PGDATA}" --mode=immediate stop >/dev/null 2>&1 || true' EXIT
pg_ctl --pgdata="${PGDATA}" --wait --timeout=120 --log="${SCRATCH_DIR}/server.log" \
  --options="-c listen_addresses='' -c unix_socket_directories='${SCRATCH_DIR}' -c fsync=off -c full_page_writes=off" \
  start >/dev/null || fail "scratch server did not start: $(cat "${SCRATCH_DIR}/server.log")"
psql_q() { psql -X -w -v ON_ERROR_STOP=1 -qAt "$@"; }

# Roles first, as a recovery does; the scratch server already has its bootstrap superuser.
grep -vxF 'CREATE ROLE postgres;' -- "${set_dir}/globals.sql" | psql_q >/dev/null ||
  fail "globals.sql does not replay on a fresh server"

for i in "${!db_hex[@]}"; do
  hex_to_text "${db_hex[i]}" name
  pg_restore --create --exit-on-error --dbname=postgres -- "${set_dir}/${db_file[i]}" ||
    fail "database ${name@Q} (${db_file[i]}) does not restore"
  tables=$(PGDATABASE="${name}" psql_q -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')")
  check_tables "${name}" "${db_tables[i]}" "${tables}"
done

found=$(PGDATABASE=platform_canary psql_q -c "SELECT token FROM canary WHERE id = 1") || fail "no canary table in the restored platform_canary"
[ "${found}" = "${canary}" ] || fail "canary mismatch: the dump holds '${found}', its MANIFEST says '${canary}'"
drill_passed
