#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine with Python 3.11+ and git:
#   - .venv with the exact pins of requirements.lock (cdktf, bindings, Node 24 for jsii, sops, pyrage, ...)
#   - precompiled bytecode for the bindings (PYTHONDONTWRITEBYTECODE is common on CI images)
#   - with --with-db-servers: the PostgreSQL and MariaDB server binaries the data-layer tests run against
#     (OS packages, installed only when missing; needs root or sudo).
# Re-running is cheap: a stamp keyed on the lock file skips pip when nothing changed.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/setup.sh [--with-db-servers]

Creates or refreshes .venv from requirements.lock. With --with-db-servers, also installs
PostgreSQL and MariaDB server packages when they are missing (the test suite needs them).
USAGE
}

with_db=0
for arg in "$@"; do
  case "$arg" in
    --with-db-servers) with_db=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
python=${PYTHON:-python3}

"$python" - <<'PY' || { echo "setup.sh: Python 3.11+ is required (found $("$python" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2; exit 1; }
import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$python" -m venv .venv
fi

stamp=.venv/.requirements.lock.sha256
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing requirements.lock into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  # Bytecode for the large generated bindings: pays once here instead of on every run.
  .venv/bin/python -m compileall -q -j 0 .venv/lib/python3*/site-packages >/dev/null 2>&1 || true
  .venv/bin/python -O -m compileall -q -j 0 .venv/lib/python3*/site-packages/{cdktf,cdktf_cdktf_provider_*,constructs,jsii,typeguard,cattrs,attr,attrs} >/dev/null 2>&1 || true
  echo "$want" > "$stamp"
fi

if [ "$with_db" = 1 ]; then
  "$root/scripts/install-db-servers.sh"
fi
