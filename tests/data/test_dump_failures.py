"""Both dump hooks, exactly as synthesized, fail loudly (finding 1) and never leave a partial
file on the dump volume (finding 2), whatever step fails. Faults are injected with a fake tool
first on PATH; the rest runs against the real servers."""

from __future__ import annotations

import pytest
from support.data import ROOT_PASSWORD, dump_script, leftovers, shim

pytestmark = pytest.mark.engines

# engine → (client used for the listing, dump tool, how the dump tool names its output file)
TOOLS = {"postgres": ("psql", "pg_dump", "--file="), "mariadb": ("mariadb", "mariadb-dump", "--result-file=")}


@pytest.fixture(params=sorted(TOOLS))
def engine(request, pg_server, mariadb_server):
    server = pg_server if request.param == "postgres" else mariadb_server
    password = {"POSTGRES_PASSWORD": pg_server.client_env["PGPASSWORD"], "MARIADB_ROOT_PASSWORD": ROOT_PASSWORD}
    return request.param, server, password


def run_hook(stacks, engine, dumps, env):
    name, server, password = engine
    if name == "mariadb":
        server.sql("CREATE DATABASE IF NOT EXISTS has_data")
    return server.run_script(dump_script(stacks["dev-data"], name), {"DUMP_DIR": str(dumps), **password, **env})


def test_a_failing_database_listing_fails_the_hook(stacks, engine, tmp_path):
    """`for db in $(psql …)` hid a failed listing: the hook printed "done" and exited 0."""
    client = TOOLS[engine[0]][0]
    env = shim(engine[1], tmp_path / "bin", client, 'echo "cannot connect" >&2; exit 2')
    result = run_hook(stacks, engine, tmp_path / "dumps", env)
    assert result.returncode != 0, f"{engine[0]}: the hook reported success without listing a database:\n{result.stdout}"
    assert not leftovers(tmp_path / "dumps"), leftovers(tmp_path / "dumps")


def test_a_failing_dump_fails_the_hook_and_leaves_nothing(stacks, engine, tmp_path):
    _, tool, file_option = TOOLS[engine[0]]
    body = f'for a; do case $a in {file_option}*) printf partial >"${{a#{file_option}}}";; esac; done; exit 1'
    env = shim(engine[1], tmp_path / "bin", tool, body)
    dumps = tmp_path / "dumps"
    result = run_hook(stacks, engine, dumps, env)
    assert result.returncode != 0, f"{engine[0]}: {result.stdout}"
    assert not leftovers(dumps), f"{engine[0]}: partial files left on the dump volume: {leftovers(dumps)}"
    assert not (dumps / "latest").exists(), f"{engine[0]}: a failed run must never publish a set"
