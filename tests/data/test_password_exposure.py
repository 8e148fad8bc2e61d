"""Finding 5 on the real engines: the init scripts as synthesized never send an app password as
text (pg_stat_activity, the PostgreSQL log with log_statement=all, the MariaDB process list and
general log see a SCRAM verifier / a native hash only), and concurrent runs converge without
errors. Each check first proves it sees the statements the script sends (the hash is there)."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator

import pytest
from support.data import ROOT_PASSWORD, entries, init_script

pytestmark = pytest.mark.engines

SECRET = "Exposure canary 7f3a91 'q' pw"


MARK = "7f3a91"
"""The distinctive part of SECRET: found however the password is quoted or escaped in SQL."""


def forms(password: str) -> list[str]:
    """The ways a script could leak the password: as text (any quoting), or hex-encoded (UNHEX('…'))."""
    assert MARK in password
    return [MARK, MARK.encode().hex(), MARK.encode().hex().upper()]


class Sampler:
    """Runs ``command`` with ``query`` fed again and again on stdin until stopped; keeps the output."""

    def __init__(self, command: list[str], env: dict[str, str], query: str) -> None:
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        self.stop = threading.Event()
        self.output: list[str] = []
        self.reader = threading.Thread(target=lambda: self.output.extend(self.process.stdout), daemon=True)
        self.writer = threading.Thread(target=self._feed, args=(query,), daemon=True)
        self.reader.start()
        self.writer.start()

    def _feed(self, query: str) -> None:
        try:
            while not self.stop.is_set():
                self.process.stdin.write(query * 50)
                self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def close(self) -> str:
        self.stop.set()
        self.writer.join(timeout=10)
        self.process.stdin.close()
        self.reader.join(timeout=30)
        self.process.wait(timeout=30)
        return "".join(self.output)


@pytest.fixture
def pg_statement_log(pg_server) -> Iterator[None]:
    pg_server.sql("ALTER SYSTEM SET log_statement = 'all'")
    pg_server.sql("SELECT pg_reload_conf()")
    yield
    pg_server.sql("ALTER SYSTEM RESET log_statement")
    pg_server.sql("SELECT pg_reload_conf()")


def test_postgres_never_sees_the_password(pg_server, stacks, pg_statement_log):
    init, names = entries("exposed", prefix="leak_pg")
    (app,) = names
    log = pg_server.base / "server.log"
    offset = log.stat().st_size
    sampler = Sampler(["psql", "-X", "-At", "-d", "postgres"], {**pg_server.client_env},
                      "SELECT query FROM pg_stat_activity WHERE pid <> pg_backend_pid();\n")
    try:
        for password in (SECRET, SECRET + " rotated"):  # create, then rotate (ALTER)
            result = pg_server.run_script(init_script(stacks["dev-data"], "postgres"),
                                          {"INIT_DATABASES": init, names[app]: password})
            assert result.returncode == 0, result.stderr
    finally:
        activity = sampler.close()
    logged = log.read_text(errors="replace")[offset:]
    for where, text in (("server log", logged), ("pg_stat_activity", activity)):
        for leaked in forms(SECRET):
            assert leaked not in text, f"the app password reached PostgreSQL as text ({where}): {leaked!r}"
    assert "SCRAM-SHA-256$" in logged, "the statement log must show what was sent (else this test proves nothing)"
    assert pg_server.can_login(app, SECRET + " rotated", app)


def test_mariadb_never_sees_the_password(mariadb_server, stacks):
    init, names = entries("exposed", prefix="leak_my")
    (app,) = names
    general = mariadb_server.base / "general.log"
    mariadb_server.sql(f"SET GLOBAL log_output = 'FILE'; SET GLOBAL general_log_file = '{general}'; SET GLOBAL general_log = 1")
    sampler = Sampler(
        ["mariadb", "--no-defaults", f"--socket={mariadb_server.socket_path}", "-u", "root", "-N", "-B"],
        {"MYSQL_PWD": ROOT_PASSWORD, "PATH": "/usr/bin:/bin"},
        "SELECT INFO FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID();\n",
    )
    try:
        for password in (SECRET, SECRET + " rotated"):
            result = mariadb_server.run_script(init_script(stacks["dev-data"], "mariadb"),
                                               {"INIT_DATABASES": init, names[app]: password})
            assert result.returncode == 0, result.stderr
    finally:
        processlist = sampler.close()
        mariadb_server.sql("SET GLOBAL general_log = 0")
    logged = general.read_text(errors="replace")
    expected_hash = mariadb_server.sql(f"SELECT PASSWORD(CONVERT(UNHEX('{(SECRET + ' rotated').encode().hex()}') USING utf8mb4))")
    for where, text in (("general log", logged), ("process list", processlist)):
        for leaked in forms(SECRET):
            assert leaked not in text, f"the app password reached MariaDB as text ({where}): {leaked!r}"
    assert expected_hash in logged, "the general log must show what was sent (else this test proves nothing)"
    assert mariadb_server.can_login(app, SECRET + " rotated", app)


@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_concurrent_runs_converge_without_errors(engine, pg_server, mariadb_server, stacks):
    server = pg_server if engine == "postgres" else mariadb_server
    init, names = entries("raced_a", "raced_b", prefix=f"race_{engine[:2]}")
    env = {"INIT_DATABASES": init, **{var: f"pw of {name}" for name, var in names.items()}}
    log = server.base / "server.log"
    offset = log.stat().st_size if log.exists() else 0
    script = init_script(stacks["dev-data"], engine)
    results: list = [None] * 4
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, server.run_script(script, env))) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        assert result.returncode == 0, f"{engine}: a concurrent run failed:\n{result.stdout}\n{result.stderr}"
    for name, var in names.items():
        assert server.can_login(name, env[var], name), f"{engine}: {name} cannot log in after concurrent runs"
    if engine == "postgres":
        errors = [line for line in log.read_text(errors="replace")[offset:].splitlines() if "ERROR" in line]
        assert not errors, f"concurrent runs logged errors: {errors}"
