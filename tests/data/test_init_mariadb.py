"""The MariaDB init and dump scripts, exactly as synthesized, against a real MariaDB server."""

from __future__ import annotations

# ruff: noqa: S608  (SQL built from the tests' own constant names, never from input)
import os
import subprocess

import pytest
from support.data import ROOT_PASSWORD, dump_script, entries, init_plain_env, init_script, latest_set, run_ok

pytestmark = pytest.mark.engines

HOSTILE = [
    "'; DROP DATABASE canary; --",
    "quote ' double \" back \\ slash \\\\ dollar $HOME ${PATH} $(id) `id`",
    "  spaces  and tabs\tand ünïcødé ☃ 密码  ",
    "\\'; SELECT 1; -- %{x} %s ?",
]


@pytest.fixture(scope="module")
def script(stacks):
    return init_script(stacks["dev-data"], "mariadb")


def app_state(db, name: str) -> str:
    return "\n".join(
        (
            db.sql(f"SELECT Priv FROM mysql.global_priv WHERE User = '{name}' AND Host = '%'"),
            db.sql(f"SHOW GRANTS FOR '{name}'@'%'"),
            db.sql(f"SELECT default_character_set_name FROM information_schema.schemata WHERE schema_name = '{name}'"),
        )
    )


def snapshot(db) -> str:
    return "\n".join(
        (
            db.sql("SELECT User, Host, Priv FROM mysql.global_priv ORDER BY 1, 2"),
            db.sql("SELECT Host, Db, User FROM mysql.db ORDER BY 1, 2, 3"),
            db.sql("SELECT schema_name, default_character_set_name FROM information_schema.schemata ORDER BY 1"),
        )
    )


def test_synthesized_job_creates_every_enabled_database(mariadb_server, script, stacks):
    env = init_plain_env(stacks["dev-data"], "mariadb")
    passwords = {}
    for entry in env["INIT_DATABASES"].split():
        database, user, variable = entry.split(":")
        passwords[variable] = f"pw of {user} '$x"
    run_ok(mariadb_server, script, {"INIT_DATABASES": env["INIT_DATABASES"], **passwords})
    for entry in env["INIT_DATABASES"].split():
        database, user, variable = entry.split(":")
        assert mariadb_server.can_login(user, passwords[variable], database), f"{user} cannot log in to {database}"
        charset = mariadb_server.sql(
            f"SELECT default_character_set_name FROM information_schema.schemata WHERE schema_name = '{database}'"
        )
        assert charset == "utf8mb4", f"{database}: charset {charset}"
        mariadb_server.sql(
            "CREATE TABLE probe (id int); DROP TABLE probe;", database=database, user=user, password=passwords[variable]
        )


def test_second_run_changes_nothing(mariadb_server, script):
    init, names = entries("a", "b", prefix="rerun")
    env = {"INIT_DATABASES": init, **{var: f"secret-{name}" for name, var in names.items()}}
    run_ok(mariadb_server, script, env)
    before = snapshot(mariadb_server)
    run_ok(mariadb_server, script, env)
    assert snapshot(mariadb_server) == before, "a re-run with the same inputs changed the server"


def test_adding_an_app_creates_only_that_one(mariadb_server, script):
    init_one, _ = entries("first", prefix="add")
    init_two, names_two = entries("first", "second", prefix="add")
    passwords = {var: f"secret-{name}" for name, var in names_two.items()}
    run_ok(mariadb_server, script, {"INIT_DATABASES": init_one, **passwords})
    first_before, all_before = app_state(mariadb_server, "add_first"), snapshot(mariadb_server)
    run_ok(mariadb_server, script, {"INIT_DATABASES": init_two, **passwords})
    assert app_state(mariadb_server, "add_first") == first_before, "the existing app was touched"
    added = set(snapshot(mariadb_server).splitlines()) - set(all_before.splitlines())
    assert added and all("add_second" in line for line in added), f"unexpected changes: {added}"
    assert mariadb_server.can_login("add_second", "secret-add_second", "add_second")


def test_changed_password_works_and_old_one_fails(mariadb_server, script):
    init, names = entries("rotate", prefix="pw")
    (var,) = names.values()
    run_ok(mariadb_server, script, {"INIT_DATABASES": init, var: "old password"})
    assert mariadb_server.can_login("pw_rotate", "old password", "pw_rotate")
    run_ok(mariadb_server, script, {"INIT_DATABASES": init, var: "new password"})
    assert mariadb_server.can_login("pw_rotate", "new password", "pw_rotate"), "new password refused"
    assert not mariadb_server.can_login("pw_rotate", "old password", "pw_rotate"), "old password still accepted"


def test_hostile_passwords_work_and_inject_nothing(mariadb_server, script):
    mariadb_server.sql("CREATE DATABASE canary")
    init, names = entries(*(f"h{i}" for i in range(len(HOSTILE))), prefix="hostile")
    passwords = dict(zip(names.values(), HOSTILE, strict=True))
    run_ok(mariadb_server, script, {"INIT_DATABASES": init, **passwords})
    before = snapshot(mariadb_server)
    run_ok(mariadb_server, script, {"INIT_DATABASES": init, **passwords})
    assert snapshot(mariadb_server) == before, "re-run with hostile passwords changed the server"
    for name, var in names.items():
        assert mariadb_server.can_login(name, passwords[var], name), f"hostile password {passwords[var]!r} does not work"
    assert mariadb_server.sql("SHOW DATABASES LIKE 'canary'") == "canary", "injected SQL ran"
    users = mariadb_server.sql("SELECT User FROM mysql.global_priv WHERE User LIKE 'hostile%' ORDER BY 1").split()
    assert users == sorted(names), f"unexpected users: {users}"


def test_apps_cannot_reach_each_others_database(mariadb_server, script):
    init, names = entries("x", "y", prefix="iso")
    run_ok(mariadb_server, script, {"INIT_DATABASES": init, **{var: "pw" for var in names.values()}})
    assert not mariadb_server.can_login("iso_x", "pw", "iso_y"), "grants must be limited to the app's own database"


def test_dump_hook_writes_restorable_dumps(mariadb_server, script, stacks, tmp_path):
    init, _ = entries("dumped", prefix="bk")
    run_ok(mariadb_server, script, {"INIT_DATABASES": init, "BK_DUMPED_DB_PASSWORD": "pw"})
    mariadb_server.sql(
        "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept');", database="bk_dumped", user="bk_dumped", password="pw"
    )
    dumps = tmp_path / "dumps"
    result = mariadb_server.run_script(
        dump_script(stacks["dev-data"], "mariadb"),
        {"DUMP_DIR": str(dumps), "MARIADB_ROOT_PASSWORD": ROOT_PASSWORD},
    )
    assert result.returncode == 0, result.stderr
    dump_set = latest_set(dumps)
    assert (dump_set / "users.sql").exists() and (dump_set / "bk_dumped.sql").exists(), sorted(p.name for p in dump_set.iterdir())
    # Runbook: restore one app's database from its dump (the dump recreates the database itself).
    mariadb_server.sql("DROP DATABASE bk_dumped")
    restore = subprocess.run(
        ["mariadb", "--no-defaults", f"--socket={mariadb_server.socket_path}", "-u", "root"],
        stdin=(latest_set(dumps) / "bk_dumped.sql").open(), env={**os.environ, "MYSQL_PWD": ROOT_PASSWORD},
        capture_output=True, text=True, check=False,
    )
    assert restore.returncode == 0, restore.stderr
    assert mariadb_server.sql("SELECT v FROM t", database="bk_dumped", user="bk_dumped", password="pw") == "kept"
