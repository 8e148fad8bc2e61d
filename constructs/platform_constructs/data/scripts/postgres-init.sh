#!/bin/bash
# Postgres init Job: for each app, create its role and database when missing, make the app the
# owner of its database and of schema public (PG 15+), revoke PUBLIC access, and change the
# password only when the app cannot log in with the one it was given. Never drops anything,
# so a re-run only adds what is missing.
#
# Input (environment; libpq reads PGHOST/PGPORT/PGUSER/PGPASSWORD for the superuser):
#   INIT_DATABASES  "<database>:<user>:<name of the env var holding the password> ..."
#   <that env var>  the app user's password (from a Secret)
# The app password never reaches the server as text: psql's \password reads it from stdin (a pod
# has no terminal) and sends only the SCRAM-SHA-256 verifier it computes client-side (libpq
# PQencryptPasswordConn), so pg_stat_activity and the server log show a verifier, never the
# password. Names reach SQL only as psql variables (\getenv) quoted server-side by format(%I).
# Concurrent runs take turns on an advisory lock: they converge without "already exists" errors.
set -euo pipefail
export PGDATABASE=postgres PGCONNECT_TIMEOUT=5

attempts=0
until pg_isready -q; do
  attempts=$((attempts + 1))
  if [ "${attempts}" -ge 150 ]; then echo "postgres not ready after 5 minutes" >&2; exit 1; fi
  echo "waiting for postgres at ${PGHOST:-local socket}:${PGPORT:-5432}"
  sleep 2
done

for entry in ${INIT_DATABASES}; do
  IFS=: read -r app_db app_user password_var <<<"${entry}"
  app_password="${!password_var:?${password_var} is not set}"
  case ${app_password} in
    *$'\n'* | *$'\r'*) echo "the password in ${password_var} contains a line break: not supported" >&2; exit 1 ;;
  esac
  export APP_DB="${app_db}" APP_USER="${app_user}"
  # Login probe (SCRAM: the password itself is never sent): if the app logs in, keep its verifier.
  if PGUSER="${app_user}" PGPASSWORD="${app_password}" psql -X -w -tAc 'SELECT 1' >/dev/null 2>&1; then
    export APP_PASSWORD_OK=true
  else
    export APP_PASSWORD_OK=false
  fi
  echo "database ${app_db} / user ${app_user}"
  # stdin: the password twice, for \password (printf is a builtin: the password is in no argv).
  printf '%s\n%s\n' "${app_password}" "${app_password}" | psql -X -v ON_ERROR_STOP=1 -f /dev/fd/3 3<<'SQL'
\getenv app_db APP_DB
\getenv app_user APP_USER
\getenv pw_ok APP_PASSWORD_OK
SET password_encryption TO 'scram-sha-256';
SELECT pg_advisory_lock(hashtext('platform database init')) AS locked \gset
SELECT format('CREATE ROLE %I LOGIN', :'app_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec
SELECT format('ALTER ROLE %I LOGIN', :'app_user')
  FROM pg_roles WHERE rolname = :'app_user' AND NOT rolcanlogin \gexec
\if :pw_ok
\else
\password :"app_user"
\echo password of :app_user set (SCRAM verifier computed client-side)
\endif
SELECT format('CREATE DATABASE %I OWNER %I', :'app_db', :'app_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'app_db', :'app_user')
  FROM pg_database WHERE datname = :'app_db' AND pg_get_userbyid(datdba) <> :'app_user' \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'app_db')
  FROM pg_database WHERE datname = :'app_db' AND (datacl IS NULL OR EXISTS (
    SELECT 1 FROM aclexplode(datacl) AS acl WHERE acl.grantee = 0)) \gexec
\connect :"app_db"
SELECT pg_advisory_lock(hashtext('platform database init')) AS locked \gset
SELECT format('ALTER SCHEMA public OWNER TO %I', :'app_user')
  FROM pg_namespace WHERE nspname = 'public' AND pg_get_userbyid(nspowner) <> :'app_user' \gexec
SQL
done
echo "postgres init: done"
