"""The Postgres init and dump scripts, exactly as synthesized, against a real PostgreSQL server."""

from __future__ import annotations

# ruff: noqa: S608  (SQL built from the tests' own constant names, never from input)
import subprocess

import pytest
from support.data import dump_script, entries, init_plain_env, init_script, latest_set, run_ok

pytestmark = pytest.mark.engines

PUBLIC_SCHEMA = "SELECT nspowner::regrole::text, nspacl::text FROM pg_namespace WHERE nspname = 'public'"
HOSTILE = [
    "'; DROP DATABASE canary; --",
    "quote ' double \" back \\ slash \\\\ dollar $HOME ${PATH} $(id) `id`",
    "  spaces  and tabs\tand ünïcødé ☃ 密码  ",
    ":'pw' :\"pw\" \\gexec %{x} %s %I %L",
]


@pytest.fixture(scope="module")
def script(stacks):
    return init_script(stacks["dev-data"], "postgres")


def snapshot(pg, databases) -> str:
    """Everything the script may touch: roles (with password hashes), databases, schema public."""
    parts = [
        pg.sql("SELECT rolname, rolcanlogin, rolpassword FROM pg_authid WHERE rolname NOT LIKE 'pg\\_%' ORDER BY 1"),
        pg.sql("SELECT datname, pg_get_userbyid(datdba), datacl::text FROM pg_database ORDER BY 1"),
    ]
    for db in databases:
        parts.append(pg.sql(PUBLIC_SCHEMA, database=db))
    return "\n".join(parts)


def app_state(pg, name: str) -> str:
    return "\n".join(
        (
            pg.sql(f"SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = '{name}'"),
            pg.sql(f"SELECT pg_get_userbyid(datdba), datacl::text FROM pg_database WHERE datname = '{name}'"),
            pg.sql(PUBLIC_SCHEMA, database=name),
        )
    )


def test_synthesized_job_creates_every_enabled_database(pg_server, script, stacks):
    env = init_plain_env(stacks["dev-data"], "postgres")
    passwords = {}
    for entry in env["INIT_DATABASES"].split():
        database, user, variable = entry.split(":")
        passwords[variable] = f"pw of {user} '$x"
    run_ok(pg_server, script, {"INIT_DATABASES": env["INIT_DATABASES"], **passwords})
    for entry in env["INIT_DATABASES"].split():
        database, user, variable = entry.split(":")
        assert pg_server.can_login(user, passwords[variable], database), f"{user} cannot log in to {database}"
        owner = pg_server.sql(f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{database}'")
        assert owner == user, f"database {database} is owned by {owner}, expected {user}"
        pg_server.sql(
            "CREATE TABLE probe (id int); DROP TABLE probe;", database=database, user=user, password=passwords[variable]
        )


def test_second_run_changes_nothing(pg_server, script):
    init, names = entries("a", "b", prefix="rerun")
    env = {"INIT_DATABASES": init, **{var: f"secret-{name}" for name, var in names.items()}}
    run_ok(pg_server, script, env)
    before = snapshot(pg_server, names)
    second = run_ok(pg_server, script, env)
    assert snapshot(pg_server, names) == before, "a re-run with the same inputs changed the server"
    for verb in ("CREATE", "ALTER", "REVOKE"):
        assert verb not in second.stdout, f"re-run executed {verb}:\n{second.stdout}"


def test_adding_an_app_creates_only_that_one(pg_server, script):
    init_one, _ = entries("first", prefix="add")
    init_two, names_two = entries("first", "second", prefix="add")
    passwords = {var: f"secret-{name}" for name, var in names_two.items()}
    run_ok(pg_server, script, {"INIT_DATABASES": init_one, **passwords})
    first_before = app_state(pg_server, "add_first")
    result = run_ok(pg_server, script, {"INIT_DATABASES": init_two, **passwords})
    assert result.stdout.count("CREATE ROLE") == 1 and result.stdout.count("CREATE DATABASE") == 1, result.stdout
    assert app_state(pg_server, "add_first") == first_before, "the existing app was touched"
    assert pg_server.can_login("add_second", "secret-add_second", "add_second")


def test_changed_password_works_and_old_one_fails(pg_server, script):
    init, names = entries("rotate", prefix="pw")
    (var,) = names.values()
    run_ok(pg_server, script, {"INIT_DATABASES": init, var: "old password"})
    assert pg_server.can_login("pw_rotate", "old password", "pw_rotate")
    result = run_ok(pg_server, script, {"INIT_DATABASES": init, var: "new password"})
    assert "password of pw_rotate set" in result.stdout
    assert pg_server.can_login("pw_rotate", "new password", "pw_rotate"), "new password refused"
    assert not pg_server.can_login("pw_rotate", "old password", "pw_rotate"), "old password still accepted"


def test_hostile_passwords_work_and_inject_nothing(pg_server, script):
    pg_server.sql("CREATE DATABASE canary")
    init, names = entries(*(f"h{i}" for i in range(len(HOSTILE))), prefix="hostile")
    passwords = dict(zip(names.values(), HOSTILE, strict=True))
    run_ok(pg_server, script, {"INIT_DATABASES": init, **passwords})
    run_ok(pg_server, script, {"INIT_DATABASES": init, **passwords})  # and idempotent with them
    for (name, var), password in zip(names.items(), HOSTILE, strict=True):
        assert pg_server.can_login(name, passwords[var], name), f"hostile password {password!r} does not work"
    assert pg_server.sql("SELECT count(*) FROM pg_database WHERE datname = 'canary'") == "1", "injected SQL ran"
    roles = pg_server.sql("SELECT string_agg(rolname, ' ') FROM pg_roles WHERE rolname LIKE 'hostile%'")
    assert sorted(roles.split()) == sorted(names), f"unexpected roles: {roles}"


def test_apps_cannot_reach_each_others_database(pg_server, script):
    init, names = entries("x", "y", prefix="iso")
    run_ok(pg_server, script, {"INIT_DATABASES": init, **{var: "pw" for var in names.values()}})
    assert not pg_server.can_login("iso_x", "pw", "iso_y"), "PUBLIC CONNECT must be revoked on app databases"


def test_dump_hook_writes_restorable_dumps(pg_server, script, stacks, tmp_path):
    init, _ = entries("dumped", prefix="bk")
    run_ok(pg_server, script, {"INIT_DATABASES": init, "BK_DUMPED_DB_PASSWORD": "pw"})
    pg_server.sql(
        "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept');", database="bk_dumped", user="bk_dumped", password="pw"
    )
    dumps = tmp_path / "dumps"
    result = pg_server.run_script(
        dump_script(stacks["dev-data"], "postgres"),
        {"DUMP_DIR": str(dumps), "POSTGRES_PASSWORD": pg_server.client_env["PGPASSWORD"]},
    )
    assert result.returncode == 0, result.stderr
    dump_set = latest_set(dumps)
    assert (dump_set / "globals.sql").exists() and (dump_set / "bk_dumped.dump").exists(), sorted(dump_set.iterdir())
    # Runbook: restore one app's database from its dump.
    pg_server.sql("CREATE DATABASE bk_restored OWNER bk_dumped")
    restore = subprocess.run(
        ["pg_restore", "--no-owner", "--role=bk_dumped", "-d", "bk_restored", str(latest_set(dumps) / "bk_dumped.dump")],
        env={**pg_server.client_env}, capture_output=True, text=True, check=False,
    )
    assert restore.returncode == 0, restore.stderr
    assert pg_server.sql("SELECT v FROM t", database="bk_restored") == "kept"
