"""Real PostgreSQL and MariaDB servers for the data-layer tests, and the scripts as synthesized.

Each server is started once per session (see ``tests/data/conftest.py``) on 127.0.0.1 with a
free port, in its own temp dir. PostgreSQL refuses to run as root, so under root it runs as
``nobody`` (``runuser``); mariadbd runs with ``--user`` set to the current user. If a server
cannot start, the fixture fails with the server's log: the engine tests never skip silently
(``scripts/install-db-servers.sh`` installs the packages).
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from platform_constructs.base.literals import from_tofu

ROOT_PASSWORD = "r00t pa$$ 'with' \"quotes\" \\ ${HOME}"  # the superuser password is hostile too
UNPRIVILEGED = "nobody"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", UNPRIVILEGED, "--"]
    user = pwd.getpwnam(UNPRIVILEGED)
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--"]


def _run(cmd: Sequence[str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(cmd), capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{what} failed ({result.returncode}): {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    return result


def _fail_with_log(what: str, log: Path) -> None:
    text = log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"
    pytest.fail(f"{what}\n--- server log ---\n{text}\nInstall the servers with scripts/install-db-servers.sh")


@dataclass
class ScriptRun:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Server:
    base: Path
    port: int
    client_env: dict[str, str] = field(default_factory=dict)
    """Environment that points clients (and the scripts) at this server as superuser."""

    def run_script(self, script: str, env: Mapping[str, str]) -> ScriptRun:
        full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.base), **self.client_env, **env}
        # A new session has no controlling terminal, like a pod: prompts (psql's \password) read stdin.
        result = subprocess.run(
            ["bash", "-c", script], env=full, capture_output=True, text=True, timeout=120, check=False,
            start_new_session=True, stdin=subprocess.DEVNULL,
        )
        return ScriptRun(result.returncode, result.stdout, result.stderr)


class PostgresServer(Server):
    bin_dir: Path

    @classmethod
    def start(cls) -> PostgresServer:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        initdb = Path(found[-1]) if found else (Path(shutil.which("initdb")) if shutil.which("initdb") else None)
        if initdb is None:
            pytest.fail("PostgreSQL server binaries not found (initdb). Run scripts/install-db-servers.sh")
        base = Path(tempfile.mkdtemp(prefix="data-pg-"))
        base.chmod(0o755)
        data, sock, log, pwfile = base / "data", base / "sock", base / "server.log", base / "pw"
        sock.mkdir()
        pwfile.write_text(ROOT_PASSWORD + "\n")
        if os.geteuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED)
            for path in (base, sock, pwfile):
                os.chown(path, user.pw_uid, user.pw_gid)
        prefix = _as_unprivileged()
        bin_dir = initdb.parent
        _run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", f"--pwfile={pwfile}",
             "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-instructions"],
            "initdb",
            cwd=base,
        )
        port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off -c max_connections=50"
        result = subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start"],
            capture_output=True, text=True, check=False, cwd=base,
        )
        if result.returncode != 0:
            _fail_with_log(f"PostgreSQL did not start: {result.stdout}{result.stderr}", log)
        server = cls(base=base, port=port)
        server.bin_dir = bin_dir
        server.client_env = {
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PGHOST": "127.0.0.1",
            "PGPORT": str(port),
            "PGUSER": "postgres",
            "PGPASSWORD": ROOT_PASSWORD,
        }
        return server

    def stop(self) -> None:
        subprocess.run(
            [*_as_unprivileged(), str(self.bin_dir / "pg_ctl"), "-D", str(self.base / "data"), "-m", "immediate", "stop"],
            capture_output=True, check=False, cwd=self.base,
        )
        shutil.rmtree(self.base, ignore_errors=True)

    def sql(self, query: str, *, database: str = "postgres", user: str | None = None, password: str | None = None) -> str:
        """Run ``query`` with psql (unaligned, tuples only); raise on error."""
        env = {**os.environ, **self.client_env, "PGDATABASE": database}
        if user is not None:
            env |= {"PGUSER": user, "PGPASSWORD": password or ""}
        result = subprocess.run(
            ["psql", "-X", "-w", "-v", "ON_ERROR_STOP=1", "-tA", "-c", query],
            env=env, capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(result.stderr.strip())
        return result.stdout.strip()

    def can_login(self, user: str, password: str, database: str = "postgres") -> bool:
        try:
            return self.sql("SELECT 1", database=database, user=user, password=password) == "1"
        except RuntimeError:
            return False


class MariaDBServer(Server):
    process: subprocess.Popen[bytes]
    socket_path: Path

    @classmethod
    def start(cls) -> MariaDBServer:
        mariadbd = shutil.which("mariadbd") or ("/usr/sbin/mariadbd" if Path("/usr/sbin/mariadbd").exists() else None)
        install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
        if mariadbd is None or install is None:
            pytest.fail("MariaDB server not found (mariadbd, mariadb-install-db). Run scripts/install-db-servers.sh")
        base = Path(tempfile.mkdtemp(prefix="data-mariadb-"))
        data, sock, log = base / "data", base / "mysqld.sock", base / "server.log"
        user = pwd.getpwuid(os.geteuid()).pw_name
        _run(
            [install, "--no-defaults", f"--datadir={data}", f"--user={user}", "--auth-root-authentication-method=normal",
             "--skip-test-db"],
            "mariadb-install-db",
        )
        port = free_port()
        process = subprocess.Popen(
            [mariadbd, "--no-defaults", f"--datadir={data}", f"--socket={sock}", f"--port={port}",
             "--bind-address=127.0.0.1", f"--pid-file={base / 'mariadbd.pid'}", f"--log-error={log}", f"--user={user}",
             "--skip-name-resolve", "--innodb-flush-log-at-trx-commit=0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not sock.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                _fail_with_log("MariaDB did not start", log)
            time.sleep(0.2)
        server = cls(base=base, port=port)
        server.process = process
        server.socket_path = sock
        # Like the official image: root@localhost and root@'%' with MARIADB_ROOT_PASSWORD.
        setup = subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={sock}", "-u", "root"],
            input=(
                "SET @pw = ?;".replace("?", _sql_literal(ROOT_PASSWORD))  # noqa: S608 (hex literal)
                + "SET @s = CONCAT('ALTER USER root@localhost IDENTIFIED BY ', QUOTE(@pw)); PREPARE p FROM @s; EXECUTE p;"
                + "SET @s = CONCAT('CREATE USER root@''%'' IDENTIFIED BY ', QUOTE(@pw)); PREPARE p FROM @s; EXECUTE p;"
                + "GRANT ALL ON *.* TO root@'%' WITH GRANT OPTION;"
                # Debian's install-db adds password-less root@127.0.0.1/::1/<hostname>; the image has none.
                + "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host NOT IN ('localhost', '%'); FLUSH PRIVILEGES;"
            ),
            capture_output=True, text=True, check=False,
        )
        if setup.returncode != 0:
            process.kill()
            _fail_with_log(f"MariaDB root setup failed: {setup.stderr}", log)
        server.client_env = {
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(port),
            "MYSQL_PWD": ROOT_PASSWORD,
            "DB_SOCKET": str(sock),
        }
        return server

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.base, ignore_errors=True)

    def sql(self, query: str, *, database: str | None = None, user: str = "root", password: str | None = None) -> str:
        env = {**os.environ, "MYSQL_PWD": ROOT_PASSWORD if password is None else password}
        cmd = ["mariadb", "--no-defaults", "--protocol=TCP", "-h", "127.0.0.1", "-P", str(self.port),
               "--default-character-set=utf8mb4", "-u", user, "-N", "-B", "-e", query]
        if database:
            cmd.append(database)
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(result.stderr.strip())
        return result.stdout.strip()

    def can_login(self, user: str, password: str, database: str | None = None) -> bool:
        try:
            return self.sql("SELECT 1", user=user, password=password, database=database) == "1"
        except RuntimeError:
            return False


def _sql_literal(value: str) -> str:
    """A MariaDB string literal for test set-up only (hex: nothing to escape)."""
    return f"CONVERT(UNHEX('{value.encode().hex()}') USING utf8mb4)"


# --- the synthesized scripts ----------------------------------------------------------------------


def _one(node: Any) -> Any:
    return node[0] if isinstance(node, list) and len(node) == 1 else node


def init_release(stack: Mapping[str, Any], engine: str) -> Mapping[str, Any]:
    """The ``helm_release`` of ``engine``'s init Job (a hook of charts/database-init)."""
    releases = [body for body in stack.get("resource", {}).get("helm_release", {}).values() if body["name"] == f"{engine}-init"]
    assert len(releases) == 1, f"expected one {engine}-init release, found {len(releases)}"
    return releases[0]


def init_job(stack: Mapping[str, Any], engine: str) -> Mapping[str, Any]:
    """The init Job of ``engine`` as the chart receives it: ``values.job`` (name, TTL, podSpec…)."""
    return json.loads(init_release(stack, engine)["values"][0])["job"]


def job_container(job: Mapping[str, Any]) -> Mapping[str, Any]:
    """The single container of an init Job's pod spec (API shape: camelCase)."""
    (container,) = job["podSpec"]["spec"]["containers"]
    return container


def init_script(stack: Mapping[str, Any], engine: str) -> str:
    """The init script exactly as the Job's container receives it (OpenTofu escapes undone)."""
    command = job_container(init_job(stack, engine))["command"]
    assert command[:2] == ["bash", "-c"], f"{engine} init Job: unexpected command {command[:2]}"
    return from_tofu(command[2])


def init_plain_env(stack: Mapping[str, Any], engine: str) -> dict[str, str]:
    """The Job's literal (non-secret) environment, e.g. ``INIT_DATABASES``."""
    return {e["name"]: e["value"] for e in job_container(init_job(stack, engine)).get("env", []) if "value" in e}


def dump_script(stack: Mapping[str, Any], engine: str) -> str:
    """The Velero pre-backup dump command of ``engine`` from the data Schedule."""
    for body in stack.get("resource", {}).get("kubernetes_manifest", {}).values():
        manifest = body["manifest"]
        if manifest.get("kind") != "Schedule":
            continue
        for hook in manifest["spec"]["template"].get("hooks", {}).get("resources", []):
            if hook["name"] == f"{engine}-dump":
                command = hook["pre"][0]["exec"]["command"]
                assert command[:2] == ["bash", "-c"]
                return from_tofu(command[2])
    raise AssertionError(f"no {engine}-dump hook in the data stack's Velero Schedule")


def entries(*apps: str, prefix: str) -> tuple[str, dict[str, str]]:
    """INIT_DATABASES for test-local apps (distinct names keep tests independent on one server)."""
    names = [f"{prefix}_{app}" for app in apps]
    return " ".join(f"{n}:{n}:{n.upper()}_DB_PASSWORD" for n in names), {n: f"{n.upper()}_DB_PASSWORD" for n in names}


def run_ok(server, script: str, env: Mapping[str, str]):
    """Run an init/dump script against ``server`` (Postgres or MariaDB fixture); fail with its output."""
    result = server.run_script(script, env)
    assert result.returncode == 0, f"init script failed:\n{result.stdout}\n{result.stderr}"
    return result


# --- dump sets (layout: data/scripts/dump-common.sh) ----------------------------------------------


def latest_set(dumps: Path) -> Path:
    """The newest complete dump set: what ``DUMP_DIR/latest`` points at."""
    latest = dumps / "latest"
    assert latest.is_symlink(), f"no 'latest' link in {dumps}: {sorted(p.name for p in dumps.iterdir())}"
    target = latest.resolve()
    assert target.parent == dumps.resolve() and (target / "MANIFEST").is_file(), f"latest -> {target}"
    return target


def manifest(set_dir: Path) -> dict[str, Any]:
    """MANIFEST of a dump set: header fields, and ``databases`` = {name: (file, tables)}."""
    fields: dict[str, Any] = {"databases": {}}
    for line in (set_dir / "MANIFEST").read_text().splitlines():
        key, *values = line.split(" ")
        if key == "database":
            hexname, file, tables = values
            fields["databases"][bytes.fromhex(hexname).decode()] = (file, int(tables))
        else:
            fields[key] = " ".join(values)
    return fields


def leftovers(dumps: Path) -> list[str]:
    """Partial files or sets a failed dump left behind (there must be none)."""
    return sorted(str(p.relative_to(dumps)) for p in dumps.rglob("*") if p.name.endswith((".tmp", ".partial")))


def shim(server: Server, directory: Path, tool: str, body: str) -> dict[str, str]:
    """A fake ``tool`` first on PATH (fault injection); returns the PATH to run the script with."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / tool
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(0o755)
    base = server.client_env.get("PATH", os.environ.get("PATH", "/usr/bin:/bin"))
    return {"PATH": f"{directory}:{base}"}


def drill_script(stack: Mapping[str, Any], engine: str) -> str:
    """The restore drill of ``engine`` exactly as its CronJob runs it (OpenTofu escapes undone)."""
    for body in stack.get("resource", {}).get("kubernetes_cron_job_v1", {}).values():
        if _one(body["metadata"])["name"] == f"{engine}-restore-drill":
            pod = _one(_one(_one(_one(_one(body["spec"])["job_template"])["spec"])["template"])["spec"])
            command = _one(pod["container"])["command"]
            assert command[:2] == ["bash", "-c"], f"{engine} drill: unexpected command {command[:2]}"
            return from_tofu(command[2])
    raise AssertionError(f"no {engine}-restore-drill CronJob in the data stack")
