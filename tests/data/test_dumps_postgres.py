"""The Postgres dump hook, exactly as synthesized, against a real PostgreSQL server: it fails
loudly, never leaves a partial file, survives hostile database names and a full dump volume."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.data import dump_script, latest_set, leftovers, manifest

pytestmark = pytest.mark.engines

ODD_NAMES = ["with space", "-leading-dash", "a=b host=nowhere", "quote'd \"db\"", "trailing newline\n"]


@pytest.fixture(scope="module")
def hook(stacks):
    return dump_script(stacks["dev-data"], "postgres")


def run_hook(pg, hook, dumps: Path, **env):
    return pg.run_script(hook, {"DUMP_DIR": str(dumps), "POSTGRES_PASSWORD": pg.client_env["PGPASSWORD"], **env})


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def test_odd_database_names_are_all_dumped_and_restorable(pg_server, hook, tmp_path):
    """Finding 1: names with a space or a leading '-' broke every later dump."""
    for name in ODD_NAMES:
        pg_server.sql(f"CREATE DATABASE {quoted(name)}")
        pg_server.sql("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('row');", database=name)
    dumps = tmp_path / "dumps"
    result = run_hook(pg_server, hook, dumps)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    listed = manifest(latest_set(dumps))["databases"]
    for name in ODD_NAMES:
        assert name in listed, f"{name!r} missing from the dump set: {sorted(listed)}"
        file, tables = listed[name]
        assert tables == 1, f"{name!r}: {tables} tables recorded"
        restored = f"restored_{abs(hash(name))}"
        pg_server.sql(f"CREATE DATABASE {restored}")
        restore = subprocess.run(
            ["pg_restore", "--exit-on-error", "-d", restored, str(latest_set(dumps) / file)],
            env=pg_server.client_env, capture_output=True, text=True, check=False,
        )
        assert restore.returncode == 0, f"{name!r}: {restore.stderr}"
        assert pg_server.sql("SELECT v FROM kept", database=restored) == "row"


def test_full_dump_volume_fails_cleanly_and_keeps_the_previous_set(pg_server, hook, tmp_path):
    """Finding 2: a dump that ran out of space left a partial .tmp that filled the volume."""
    if subprocess.run(["id", "-u"], capture_output=True, text=True, check=False).stdout.strip() != "0":
        pytest.skip("needs root to mount a small tmpfs as the dump volume (CI runs as root)")
    pg_server.sql("CREATE DATABASE bulky")
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(dumps)], check=True)
    try:
        first = run_hook(pg_server, hook, dumps)
        assert first.returncode == 0, first.stderr
        good = {p: p.read_bytes() for p in dumps.rglob("*") if p.is_file()}
        # Incompressible rows: the next dump needs more than the volume has.
        pg_server.sql("CREATE TABLE blob AS SELECT md5(random()::text) || md5(random()::text) AS v "
                      "FROM generate_series(1, 100000)", database="bulky")
        result = run_hook(pg_server, hook, dumps, DUMP_KEEP="5")
        assert result.returncode != 0, "a dump that does not fit must fail the hook"
        assert not leftovers(dumps), f"partial files left on a full volume: {leftovers(dumps)}"
        assert {p: p.read_bytes() for p in dumps.rglob("*") if p.is_file()} == good, "the last good set must survive"
        assert manifest(latest_set(dumps))["databases"], "latest must still point at the good set"
        assert pg_server.sql("SELECT count(*) FROM blob", database="bulky") == "100000", "the server must be unharmed"
    finally:
        subprocess.run(["umount", str(dumps)], check=False)
        pg_server.sql("DROP DATABASE bulky")


def test_generations_are_kept_and_pruned(pg_server, hook, tmp_path):
    dumps = tmp_path / "dumps"
    sets, tokens = [], []
    for _ in range(2):
        result = run_hook(pg_server, hook, dumps, DUMP_KEEP="1")
        assert result.returncode == 0, result.stderr
        sets.append(latest_set(dumps))
        tokens.append(manifest(sets[-1])["canary"])
        subprocess.run(["sleep", "1.1"], check=True)  # one set per second (names are UTC stamps)
    kept = sorted(p for p in dumps.iterdir() if p.is_dir() and not p.is_symlink())
    assert kept == sets[1:], f"expected only the newest set, found {[p.name for p in kept]}"
    assert len(set(tokens)) == 2, "each run stamps a new canary token"
    assert pg_server.sql("SELECT token FROM canary", database="platform_canary") == tokens[-1]
