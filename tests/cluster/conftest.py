"""Fixtures of the cluster-stack tests: the committed prod stack, and one variant synthesized once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from envs import PlatformConfig, load_config

# One variant exercises what the committed prod config leaves off: an extra tainted pool, HA.
HEAVY_POOL = {
    "name": "heavy",
    "size": "s-4vcpu-8gb",
    "min_nodes": 1,
    "max_nodes": 2,
    "labels": {"workload": "heavy"},
    "taints": [{"key": "workload", "value": "heavy", "effect": "NoSchedule"}],
}
VARIANT_OVERRIDES = {"cluster": {"ha": True, "auto_upgrade": False, "extra_pools": [HEAVY_POOL]}}


@pytest.fixture(scope="session")
def prod_config(configs: dict[str, PlatformConfig]) -> PlatformConfig:
    return configs["prod"]


@pytest.fixture(scope="session")
def cluster_stack(stacks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return stacks["prod-cluster"]


@pytest.fixture(scope="session")
def variant_config() -> PlatformConfig:
    return load_config("prod", overrides=VARIANT_OVERRIDES)


@pytest.fixture(scope="session")
def variant_stack(tmp_path_factory: pytest.TempPathFactory, variant_config: PlatformConfig) -> dict[str, Any]:
    """``prod-cluster`` synthesized once from the variant config (the rules run too)."""
    from platform_constructs.runtime import configure_jsii

    configure_jsii()
    from platform_constructs.platform import synthesize

    outdir: Path = tmp_path_factory.mktemp("cluster-variant")
    synthesize([variant_config], outdir)
    return json.loads((outdir / "stacks" / "prod-cluster" / "cdk.tf.json").read_text())
