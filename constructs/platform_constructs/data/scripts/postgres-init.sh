#!/bin/bash
# Postgres init Job: for each app, create its role and database when missing, make the app the
# owner of its database and of schema public (PG 15+), revoke PUBLIC access, and change the
# password only when the app cannot log in with the one it was given. Never drops anything,
# so a re-run only adds what is missing.
#
# Input (environment; libpq reads PGHOST/PGPORT/PGUSER/PGPASSWORD for the superuser):
#   INIT_DATABASES  "<database>:<user>:<name of the env var holding the password> ..."
#   <that env var>  the app user's password (from a Secret)
# Values reach SQL only as psql variables (\getenv) quoted server-side by format(%I, %L):
# nothing is ever spliced into SQL text by the shell.
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
  export APP_DB="${app_db}" APP_USER="${app_user}" APP_PASSWORD="${!password_var:?${password_var} is not set}"
  # Login probe: if the app already logs in with this password, leave its stored hash alone.
  if PGUSER="${app_user}" PGPASSWORD="${APP_PASSWORD}" psql -X -w -tAc 'SELECT 1' >/dev/null 2>&1; then
    export APP_PASSWORD_OK=true
  else
    export APP_PASSWORD_OK=false
  fi
  echo "database ${app_db} / user ${app_user}"
  psql -X -v ON_ERROR_STOP=1 <<'SQL'
\getenv app_db APP_DB
\getenv app_user APP_USER
\getenv app_pw APP_PASSWORD
\getenv pw_ok APP_PASSWORD_OK
\if :pw_ok
\else
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'app_user', :'app_pw')
 WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec
\endif
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app_user', :'app_pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'app_db', :'app_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'app_db', :'app_user')
  FROM pg_database WHERE datname = :'app_db' AND pg_get_userbyid(datdba) <> :'app_user' \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'app_db')
  FROM pg_database WHERE datname = :'app_db' AND (datacl IS NULL OR EXISTS (
    SELECT 1 FROM aclexplode(datacl) AS acl WHERE acl.grantee = 0)) \gexec
\connect :"app_db"
SELECT format('ALTER SCHEMA public OWNER TO %I', :'app_user')
  FROM pg_namespace WHERE nspname = 'public' AND pg_get_userbyid(nspowner) <> :'app_user' \gexec
SQL
done
echo "postgres init: done"
