#!/usr/bin/env bash
# Installs the database servers the data-layer tests start themselves (loopback, temp dirs):
# PostgreSQL (initdb/pg_ctl/postgres) and MariaDB (mariadb-install-db/mariadbd), and a Valkey (or,
# where the distribution has none, e.g. Debian 12, Redis: the same config reader) for the secrets
# tests. OS packages, installed only when missing. Needs root or passwordless sudo.
set -euo pipefail
case "${1:-}" in
  -h|--help) echo "Usage: scripts/install-db-servers.sh   (installs postgresql, mariadb-server, valkey-server or redis-server when missing)"; exit 0 ;;
  "") ;;
  *) echo "install-db-servers.sh: takes no arguments (try --help)" >&2; exit 2 ;;
esac

have_pg() { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_mariadb() { command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; }
have_valkey() { command -v valkey-server >/dev/null 2>&1 || command -v redis-server >/dev/null 2>&1; }
# valkey-server from Debian 13 on; Debian 12 only packages redis-server
valkey_package() {
  if apt-cache show valkey-server >/dev/null 2>&1; then echo valkey-server; else echo redis-server; fi
}

missing=()
have_pg || missing+=(postgresql)
have_mariadb || missing+=(mariadb-server)
[ ${#missing[@]} -eq 0 ] && have_valkey && exit 0

sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-db-servers.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
have_valkey || missing+=("$(valkey_package)")
echo "setup: installing ${missing[*]} (OS packages)"
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packages start their services by default; the tests run their own servers on temp dirs.
$sudo systemctl disable --now mariadb >/dev/null 2>&1 || $sudo service mariadb stop >/dev/null 2>&1 || true
for service in valkey-server redis-server; do
  $sudo systemctl disable --now "$service" >/dev/null 2>&1 || $sudo service "$service" stop >/dev/null 2>&1 || true
done
