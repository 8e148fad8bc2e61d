"""The MariaDB dump hook, exactly as synthesized, against real MariaDB servers: it fails loudly,
never leaves a partial file, survives hostile database names, and its users.sql replays on a
fresh server."""

from __future__ import annotations

# ruff: noqa: S608  (SQL built from the tests' own constant names, never from input)
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.data import ROOT_PASSWORD, MariaDBServer, dump_script, latest_set, manifest

pytestmark = pytest.mark.engines

ODD_NAMES = ["with space", "-leading-dash", "back`tick", "dots.and-dashes"]


@pytest.fixture(scope="module")
def hook(stacks):
    return dump_script(stacks["dev-data"], "mariadb")


@pytest.fixture(scope="module")
def fresh_server() -> Iterator[MariaDBServer]:
    """A second, empty server: where a disaster recovery replays the dumps."""
    server = MariaDBServer.start()
    yield server
    server.stop()


def run_hook(db, hook, dumps: Path, **env):
    return db.run_script(hook, {"DUMP_DIR": str(dumps), "MARIADB_ROOT_PASSWORD": ROOT_PASSWORD, **env})


def load(server: MariaDBServer, path: Path) -> subprocess.CompletedProcess[str]:
    with path.open() as sql:
        return subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={server.socket_path}", "-u", "root"],
            stdin=sql, env={**os.environ, "MYSQL_PWD": ROOT_PASSWORD}, capture_output=True, text=True, check=False,
        )


def ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def test_odd_database_names_are_all_dumped_and_restorable(mariadb_server, fresh_server, hook, tmp_path):
    """Finding 1: names with a space or a leading '-' broke every later dump."""
    for name in ODD_NAMES:
        mariadb_server.sql(f"CREATE DATABASE {ident(name)}; CREATE TABLE {ident(name)}.kept (v text); "
                           f"INSERT INTO {ident(name)}.kept VALUES ('row');")
    dumps = tmp_path / "dumps"
    result = run_hook(mariadb_server, hook, dumps)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    listed = manifest(latest_set(dumps))["databases"]
    for name in ODD_NAMES:
        assert name in listed, f"{name!r} missing from the dump set: {sorted(listed)}"
        file, tables = listed[name]
        assert tables == 1, f"{name!r}: {tables} tables recorded"
        restore = load(fresh_server, latest_set(dumps) / file)
        assert restore.returncode == 0, f"{name!r}: {restore.stderr}"
        assert fresh_server.sql(f"SELECT v FROM {ident(name)}.kept") == "row"


def test_users_sql_replays_on_a_fresh_server(mariadb_server, fresh_server, hook, tmp_path):
    """Finding 4: users.sql stopped at CREATE USER of accounts every fresh server already has."""
    mariadb_server.sql("CREATE USER IF NOT EXISTS replayed@'%' IDENTIFIED BY 'replayed pw'; "
                       "CREATE DATABASE IF NOT EXISTS replayed; GRANT ALL ON replayed.* TO replayed@'%'")
    dumps = tmp_path / "dumps"
    result = run_hook(mariadb_server, hook, dumps)
    assert result.returncode == 0, result.stderr
    replay = load(fresh_server, latest_set(dumps) / "users.sql")
    assert replay.returncode == 0, f"users.sql does not replay on a fresh server:\n{replay.stderr}"
    assert load(fresh_server, latest_set(dumps) / "replayed.sql").returncode == 0
    assert fresh_server.can_login("replayed", "replayed pw", "replayed"), "the account came back without its password"
    assert fresh_server.can_login("root", ROOT_PASSWORD), "root must still log in after the replay"
    # And again: a second replay (drill, repeated recovery) changes nothing and does not fail.
    assert load(fresh_server, latest_set(dumps) / "users.sql").returncode == 0


def test_canary_is_stamped_and_recorded(mariadb_server, hook, tmp_path):
    dumps = tmp_path / "dumps"
    assert run_hook(mariadb_server, hook, dumps).returncode == 0
    recorded = manifest(latest_set(dumps))
    assert mariadb_server.sql("SELECT token FROM platform_canary.canary") == recorded["canary"]
    assert "platform_canary" in recorded["databases"]
