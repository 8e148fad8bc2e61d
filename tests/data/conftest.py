"""Fixtures of the data-layer tests: real database servers (once per session) and one extra
synthesis pair for the re-creation tests. Helpers live in ``tests/support/data.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.data import MariaDBServer, PostgresServer

from envs import load_config


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDBServer]:
    server = MariaDBServer.start()
    yield server
    server.stop()


# Twenty switched off: the Postgres init Job's inputs change, MariaDB's do not.
VARIANT = {"apps": {"twenty": {"enabled": False}}}


@pytest.fixture(scope="session")
def resynthesized(tmp_path_factory: pytest.TempPathFactory, synthesized: Path) -> dict[str, dict[str, Any]]:
    """``same``: dev-data synthesized again from the same inputs; ``variant``: with ``VARIANT``."""
    from platform_constructs.platform import synthesize  # jsii is configured by ``synthesized``

    out = {}
    for label, overrides in (("same", None), ("variant", VARIANT)):
        outdir = tmp_path_factory.mktemp(f"data-{label}")
        synthesize([load_config("dev", overrides=overrides)], outdir)
        out[label] = json.loads((outdir / "stacks" / "dev-data" / "cdk.tf.json").read_text())
    return out
