#!/bin/bash
# MariaDB init Job: for each app, create its database (utf8mb4) and user when missing, grant the
# user all privileges on its database, and change the password only when the stored one differs.
# Never drops anything, so a re-run only adds what is missing.
#
# Input (environment):
#   DB_HOST, DB_PORT  the server; MYSQL_PWD  the root password (read by the client, never in argv)
#   INIT_DATABASES    "<database>:<user>:<name of the env var holding the password> ..."
#   <that env var>    the app user's password (from a Secret)
# The app password never reaches the server: the script computes its mysql_native_password hash
# ("*" + SHA1(SHA1(password)), what PHP's mysqlnd - WordPress - authenticates with) using
# sha1sum, and sends IDENTIFIED BY PASSWORD '<hash>': the process list and the general log show
# the hash only. The hash is unsalted, so comparing it with the stored one tells whether anything
# must change; CREATE USER IF NOT EXISTS and an ALTER to the same hash make concurrent runs
# converge without errors. Names reach SQL hex-encoded and are quoted server-side (QUOTE()).
set -euo pipefail

client() { mariadb --protocol=TCP -h "${DB_HOST}" -P "${DB_PORT}" --default-character-set=utf8mb4 "$@"; }
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# native_hash PASSWORD: "*" + upper(hex(sha1(sha1(password)))); printf is a builtin (no argv).
native_hash() {
  local first second escaped="" i
  first=$(printf '%s' "$1" | sha1sum)
  for ((i = 0; i < 40; i += 2)); do escaped+="\\x${first:i:2}"; done
  second=$(printf '%b' "${escaped}" | sha1sum)
  printf '*%s' "${second:0:40}" | tr 'a-f' 'A-F'
}

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
  password_hash=$(native_hash "${app_password}")
  [[ ${password_hash} =~ ^\*[0-9A-F]{40}$ ]] || { echo "could not hash the password of ${app_user}" >&2; exit 1; }
  echo "database ${app_db} / user ${app_user}"
  {
    printf "SET @db = CONVERT(UNHEX('%s') USING utf8mb4), @user = CONVERT(UNHEX('%s') USING utf8mb4),\n" \
      "$(hex "${app_db}")" "$(hex "${app_user}")"
    printf "    @hash = '%s';\n" "${password_hash}"
    cat <<'SQL'
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';
SET @db_id = CONCAT('`', REPLACE(@db, '`', '``'), '`');
SET @account = CONCAT(QUOTE(@user), '@''%''');

SET @stmt = CONCAT('CREATE DATABASE IF NOT EXISTS ', @db_id, ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
PREPARE s FROM @stmt; EXECUTE s; DEALLOCATE PREPARE s;

SET @stmt = CONCAT('CREATE USER IF NOT EXISTS ', @account, ' IDENTIFIED BY PASSWORD ', QUOTE(@hash));
PREPARE s FROM @stmt; EXECUTE s; DEALLOCATE PREPARE s;

SET @current = (SELECT CONCAT(JSON_VALUE(Priv, '$.plugin'), ' ', JSON_VALUE(Priv, '$.authentication_string'))
                  FROM mysql.global_priv WHERE User = @user AND Host = '%');
SET @stmt = IF(@current <=> CONCAT('mysql_native_password ', @hash), 'DO 0',
               CONCAT('ALTER USER ', @account, ' IDENTIFIED BY PASSWORD ', QUOTE(@hash)));
PREPARE s FROM @stmt; EXECUTE s; DEALLOCATE PREPARE s;

SET @stmt = CONCAT('GRANT ALL PRIVILEGES ON ', @db_id, '.* TO ', @account);
PREPARE s FROM @stmt; EXECUTE s; DEALLOCATE PREPARE s;
SQL
  } | client -u root
done
echo "mariadb init: done"
