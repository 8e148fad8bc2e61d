#!/bin/bash
# MariaDB init Job: for each app, create its database (utf8mb4) and user when missing, grant the
# user all privileges on its database, and change the password only when the app cannot log in
# with the one it was given. Never drops anything, so a re-run only adds what is missing.
#
# Input (environment):
#   DB_HOST, DB_PORT  the server; MYSQL_PWD  the root password (read by the client, never in argv)
#   INIT_DATABASES    "<database>:<user>:<name of the env var holding the password> ..."
#   <that env var>    the app user's password (from a Secret)
# Values reach SQL only hex-encoded (digits and a-f, nothing to inject) into user variables;
# statements are built server-side with QUOTE() and run as prepared statements.
set -euo pipefail

client() { mariadb --protocol=TCP -h "${DB_HOST}" -P "${DB_PORT}" --default-character-set=utf8mb4 "$@"; }
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

attempts=0
until client -u root -e 'SELECT 1' >/dev/null 2>&1; do
  attempts=$((attempts + 1))
  if [ "${attempts}" -ge 150 ]; then echo "mariadb not reachable as root after 5 minutes" >&2; exit 1; fi
  echo "waiting for mariadb at ${DB_HOST}:${DB_PORT}"
  sleep 2
done

for entry in ${INIT_DATABASES}; do
  IFS=: read -r app_db app_user password_var <<<"${entry}"
  app_password="${!password_var:?${password_var} is not set}"
  # Login probe: if the app already logs in with this password, leave the account alone.
  if MYSQL_PWD="${app_password}" client -u "${app_user}" -e 'SELECT 1' >/dev/null 2>&1; then
    password_ok=1
  else
    password_ok=0
  fi
  echo "database ${app_db} / user ${app_user}"
  {
    printf "SET @db = CONVERT(UNHEX('%s') USING utf8mb4), @user = CONVERT(UNHEX('%s') USING utf8mb4),\n" \
      "$(hex "${app_db}")" "$(hex "${app_user}")"
    printf "    @pw = CONVERT(UNHEX('%s') USING utf8mb4), @pw_ok = %d;\n" "$(hex "${app_password}")" "${password_ok}"
    cat <<'SQL'
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';
SET @db_id = CONCAT('`', REPLACE(@db, '`', '``'), '`');
SET @account = CONCAT(QUOTE(@user), '@''%''');

SET @stmt = CONCAT('CREATE DATABASE IF NOT EXISTS ', @db_id, ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
PREPARE s FROM @stmt; EXECUTE s; DEALLOCATE PREPARE s;

SET @exists = (SELECT COUNT(*) FROM mysql.user WHERE User = @user AND Host = '%');
SET @stmt = IF(@exists > 0 AND @pw_ok = 0, CONCAT('ALTER USER ', @account, ' IDENTIFIED BY ', QUOTE(@pw)), 'DO 0');
PREPARE s FROM @stmt; EXECUTE s; DEALLOCATE PREPARE s;

SET @stmt = IF(@exists = 0, CONCAT('CREATE USER ', @account, ' IDENTIFIED BY ', QUOTE(@pw)), 'DO 0');
PREPARE s FROM @stmt; EXECUTE s; DEALLOCATE PREPARE s;

SET @stmt = CONCAT('GRANT ALL PRIVILEGES ON ', @db_id, '.* TO ', @account);
PREPARE s FROM @stmt; EXECUTE s; DEALLOCATE PREPARE s;
SQL
  } | client -u root
done
echo "mariadb init: done"
