"""The restore drill end to end on real engines: the dump hook as synthesized writes a set, the
drill as synthesized restores it into a fresh scratch server it starts itself, and checks
freshness, accounts, every database and the canary. A drill that cannot fail is no drill: each
check is also shown to fail on a set that breaks it."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.data import ROOT_PASSWORD, drill_script, dump_script, entries, init_script, latest_set, manifest, run_ok

pytestmark = pytest.mark.engines


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory the unprivileged drill user can read (pytest's tmp root is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="drill-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(params=["postgres", "mariadb"])
def engine(request, pg_server, mariadb_server, stacks):
    """(name, server, hook env) with an app created by the init script and a row written by it."""
    name = request.param
    server = pg_server if name == "postgres" else mariadb_server
    init, names = entries("drilled", prefix=f"drill_{name[:2]}")
    (app,) = names
    app_pw = "app pw"  # pragma: allowlist secret (a test value)
    run_ok(server, init_script(stacks["dev-data"], name), {"INIT_DATABASES": init, names[app]: app_pw})
    server.sql("CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, item text)", database=app, user=app, password=app_pw)
    server.sql("DELETE FROM orders; INSERT INTO orders VALUES (1, 'kept')", database=app, user=app, password=app_pw)
    password = {"POSTGRES_PASSWORD": pg_server.client_env["PGPASSWORD"]} if name == "postgres" else {
        "MARIADB_ROOT_PASSWORD": ROOT_PASSWORD}
    return name, server, password, app


def dump(stacks, engine, dumps: Path) -> Path:
    name, server, password, _ = engine
    result = server.run_script(dump_script(stacks["dev-data"], name), {"DUMP_DIR": str(dumps), **password})
    assert result.returncode == 0, f"{name} dump hook failed:\n{result.stderr}"
    for path in [dumps, *dumps.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return latest_set(dumps)


def run_drill(stacks, engine, dumps: Path, scratch: Path, *, read_only_tmp: bool = False,
              **env) -> subprocess.CompletedProcess[str]:
    """The drill as its CronJob runs it: an unprivileged user, no server credentials at all.

    ``read_only_tmp``: in a mount namespace of its own, /tmp is read-only but for the drill's
    directory (``scratch``'s parent), so any write the drill or its scratch server makes to /tmp fails.
    """
    name, server, _, _ = engine
    scratch.mkdir()
    prefix: list[str] = []
    if read_only_tmp:
        if os.geteuid() != 0:
            # A user namespace would make the drill run as a mapped root, which initdb refuses.
            pytest.skip("needs root for a mount namespace with a read-only /tmp (CI runs as root)")
        assert shutil.which("unshare"), "read_only_tmp needs unshare (util-linux)"
        prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                  'mount -o bind,ro /tmp /tmp && mount --bind "$0" "$0" && mount -o remount,bind,rw "$0" && exec "$@"',
                  str(scratch.parent)]
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(scratch, nobody.pw_uid, nobody.pw_gid)
        prefix = [*prefix, "runuser", "-u", "nobody", "--"]
    path = server.client_env.get("PATH", os.environ["PATH"])
    full = {"PATH": f"{path}:/usr/sbin:/sbin", "HOME": str(scratch), "DUMP_DIR": str(dumps), "SCRATCH_DIR": str(scratch),
            "LANG": "C.UTF-8", **env}
    return subprocess.run([*prefix, "env", "-i", *(f"{k}={v}" for k, v in full.items()), "bash", "-c",
                           drill_script(stacks["dev-data"], name)],
                          capture_output=True, text=True, timeout=300, check=False, start_new_session=True)


def test_drill_restores_the_newest_dumps_into_a_fresh_server(stacks, engine, shared_dir):
    name, _, _, app = engine
    set_dir = dump(stacks, engine, shared_dir / "dumps")
    result = run_drill(stacks, engine, shared_dir / "dumps", shared_dir / "scratch")
    assert result.returncode == 0, f"{name} drill failed:\n{result.stdout}\n{result.stderr}"
    recorded = manifest(set_dir)
    assert f"restore drill: OK: set {set_dir.name}" in result.stdout, result.stdout
    assert recorded["canary"] in result.stdout and app in recorded["databases"], result.stdout


def test_drill_keeps_temporary_files_on_its_scratch_volume(stacks, engine, shared_dir):
    """The pod's /tmp is a 64Mi emptyDir (data/drill.py): the scratch server's temporary tables and
    index sorts of a large restore must go to the scratch volume, sized for the restore. MariaDB's
    tmpdir defaults to /tmp (mariadbd --help: tmpdir), so the drill sets it for the server and for
    mariadb-install-db's bootstrap server."""
    name, _, _, _ = engine
    dump(stacks, engine, shared_dir / "dumps")
    result = run_drill(stacks, engine, shared_dir / "dumps", shared_dir / "scratch", read_only_tmp=True)
    assert result.returncode == 0, f"{name} drill wrote outside its scratch volume:\n{result.stdout}\n{result.stderr}"
    assert "restore drill: OK" in result.stdout, result.stdout


def _broken_copy(set_dir: Path, dumps: Path, edit) -> None:
    """A copy of ``set_dir`` as the new latest, with ``edit(copy)`` applied."""
    copy = dumps / "29990101T000000Z"
    shutil.copytree(set_dir, copy)
    edit(copy)
    (dumps / "latest").unlink()
    (dumps / "latest").symlink_to(copy.name)
    for path in [copy, *copy.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _set_manifest(copy: Path, key: str, value: str) -> None:
    lines = [f"{key} {value}" if line.startswith(f"{key} ") else line for line in (copy / "MANIFEST").read_text().splitlines()]
    (copy / "MANIFEST").write_text("\n".join(lines) + "\n")


def _truncate_app_dump(app: str):
    def edit(copy: Path) -> None:
        file, _ = manifest(copy)["databases"][app]
        data = (copy / file).read_bytes()
        (copy / file).write_bytes(data[: len(data) // 2])
    return edit


def _claim_one_more_table(app: str):
    """The MANIFEST says the app's dump holds one table more than it restores (a lost table)."""
    def edit(copy: Path) -> None:
        prefix = f"database {app.encode().hex()} "
        lines = []
        for line in (copy / "MANIFEST").read_text().splitlines():
            if line.startswith(prefix):
                *head, tables = line.split(" ")
                line = " ".join([*head, str(int(tables) + 1)])
            lines.append(line)
        (copy / "MANIFEST").write_text("\n".join(lines) + "\n")
    return edit


BREAKAGES = {
    "stale set": (lambda app: lambda copy: _set_manifest(copy, "taken_at", "946684800"), "old"),
    "canary mismatch": (lambda app: lambda copy: _set_manifest(copy, "canary", "19990101T000000Z-not-the-token"), "canary"),
    "truncated dump": (_truncate_app_dump, "does not restore"),
    "missing table": (lambda app: _claim_one_more_table(app), "tables restored"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_drill_fails_on_a_set_that_would_not_recover(stacks, engine, shared_dir, breakage):
    name, _, _, app = engine
    dumps = shared_dir / "dumps"
    set_dir = dump(stacks, engine, dumps)
    make_edit, reason = BREAKAGES[breakage]
    _broken_copy(set_dir, dumps, make_edit(app))
    result = run_drill(stacks, engine, dumps, shared_dir / "scratch")
    assert result.returncode != 0, f"{name}: the drill passed a set with a {breakage}:\n{result.stdout}"
    assert "restore drill: FAILED" in result.stderr and reason in result.stderr, result.stderr


def test_drill_fails_without_any_dump(stacks, engine, shared_dir):
    (shared_dir / "dumps").mkdir()
    result = run_drill(stacks, engine, shared_dir / "dumps", shared_dir / "scratch")
    assert result.returncode != 0 and "no dump set" in result.stderr, result.stderr
