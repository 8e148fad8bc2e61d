"""Session fixtures: jsii starts once and both environments synthesize once per test run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from envs import PlatformConfig, load_config

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def configs() -> dict[str, PlatformConfig]:
    """The committed config of each environment (no local overrides)."""
    return {env: load_config(env) for env in ("dev", "prod")}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory, configs: dict[str, PlatformConfig]) -> Path:
    """Out dir with ``stacks/<env>-<layer>/cdk.tf.json`` and ``manifest.json`` for both envs."""
    from platform_constructs.runtime import configure_jsii

    configure_jsii()
    from platform_constructs.platform import synthesize

    outdir = tmp_path_factory.mktemp("cdktf.out")
    synthesize([configs["dev"], configs["prod"]], outdir)
    return outdir


@pytest.fixture(scope="session")
def stacks(synthesized: Path) -> dict[str, dict[str, Any]]:
    """Parsed ``cdk.tf.json`` of every stack, by stack name (e.g. ``prod-infra``)."""
    return {
        path.parent.name: json.loads(path.read_text())
        for path in sorted((synthesized / "stacks").glob("*/cdk.tf.json"))
    }
