#!/bin/bash
# Velero pre-backup hook (runs inside the postgres container): a consistent logical dump of every
# database to DUMP_DIR on the data PVC, so a restore never relies on a copy of live files.
#   globals.sql      roles and their password hashes (pg_dumpall --globals-only)
#   <database>.dump  one custom-format dump per database (pg_restore -d <database> --clean)
# Each file is written to a temporary name and renamed, so a failed dump never replaces a good one.
set -euo pipefail
export PGUSER=postgres PGPASSWORD="${POSTGRES_PASSWORD}"
mkdir -p "${DUMP_DIR}"
pg_dumpall --globals-only --file "${DUMP_DIR}/globals.sql.tmp"
mv "${DUMP_DIR}/globals.sql.tmp" "${DUMP_DIR}/globals.sql"
for db in $(psql -X -d postgres -tAc "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres' ORDER BY 1"); do
  pg_dump --format=custom --file "${DUMP_DIR}/${db}.dump.tmp" "${db}"
  mv "${DUMP_DIR}/${db}.dump.tmp" "${DUMP_DIR}/${db}.dump"
done
echo "postgres dump: done in ${DUMP_DIR}"
