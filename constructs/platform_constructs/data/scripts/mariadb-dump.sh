#!/bin/bash
# Velero pre-backup hook (runs inside the mariadb container): a consistent logical dump of every
# database to DUMP_DIR on the data PVC, so a restore never relies on a copy of live files.
#   users.sql       accounts and grants (mariadb-dump --system=users)
#   <database>.sql  one dump per database (single transaction: consistent for InnoDB)
# Each file is written to a temporary name and renamed, so a failed dump never replaces a good one.
set -euo pipefail
export MYSQL_PWD="${MARIADB_ROOT_PASSWORD}"
socket="${DB_SOCKET:-/run/mysqld/mysqld.sock}"  # the server's own socket (emptyDir /run/mysqld)
mkdir -p "${DUMP_DIR}"
mariadb-dump --socket="${socket}" -u root --system=users --result-file="${DUMP_DIR}/users.sql.tmp"
mv "${DUMP_DIR}/users.sql.tmp" "${DUMP_DIR}/users.sql"
for db in $(mariadb --socket="${socket}" -u root -N -B -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1"); do
  mariadb-dump --socket="${socket}" -u root --single-transaction --routines --triggers --events --databases "${db}" \
    --result-file="${DUMP_DIR}/${db}.sql.tmp"
  mv "${DUMP_DIR}/${db}.sql.tmp" "${DUMP_DIR}/${db}.sql"
done
echo "mariadb dump: done in ${DUMP_DIR}"
