#!/usr/bin/env bash
# Installs the database servers the data-layer tests start themselves (loopback, temp dirs):
# PostgreSQL (initdb/pg_ctl/postgres) and MariaDB (mariadb-install-db/mariadbd). OS packages,
# installed only when missing. Needs root or passwordless sudo.
set -euo pipefail
case "${1:-}" in
  -h|--help) echo "Usage: scripts/install-db-servers.sh   (installs postgresql + mariadb-server when missing)"; exit 0 ;;
  "") ;;
  *) echo "install-db-servers.sh: takes no arguments (try --help)" >&2; exit 2 ;;
esac

have_pg() { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_mariadb() { command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; }

missing=()
have_pg || missing+=(postgresql)
have_mariadb || missing+=(mariadb-server)
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-db-servers.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]} (OS packages)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packages start their services by default; the tests run their own servers on temp dirs.
$sudo systemctl disable --now mariadb >/dev/null 2>&1 || $sudo service mariadb stop >/dev/null 2>&1 || true
