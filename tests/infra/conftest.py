"""Fixtures of the infra tests: the session-wide synthesized stacks, plus a dev variant that runs Traefik.

``INFRA_TESTS_ONLY_INFRA=1`` synthesizes only the infra stacks (handy while another layer is
half-finished); the cross-stack ordering test is then skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from envs import load_config

ONLY_INFRA = os.environ.get("INFRA_TESTS_ONLY_INFRA") == "1"


def _read(outdir: Path) -> dict[str, dict[str, Any]]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted((outdir / "stacks").glob("*/cdk.tf.json"))}


@pytest.fixture(scope="session")
def all_stacks(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every stack of both envs (the shared session synthesis), or only the infra stacks with ONLY_INFRA."""
    if not ONLY_INFRA:
        return request.getfixturevalue("stacks")
    from platform_constructs.runtime import configure_jsii

    configure_jsii()
    from cdktf import App

    from platform_constructs.infra import InfraStack

    outdir = tmp_path_factory.mktemp("infra-only")
    app = App(outdir=str(outdir))
    for env in ("dev", "prod"):
        InfraStack(app, config=load_config(env))
    app.synth()
    return _read(outdir)


@pytest.fixture(scope="session")
def dev_traefik_infra(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``dev-infra`` with ``ingress.controller = "traefik"`` (the switch off the retired nginx addon)."""
    from platform_constructs.runtime import configure_jsii

    configure_jsii()
    from cdktf import App

    from platform_constructs.infra import InfraStack

    config = load_config("dev", overrides={"infra": {"ingress": {"controller": "traefik", "class_name": "traefik"}}})
    outdir = tmp_path_factory.mktemp("dev-traefik")
    app = App(outdir=str(outdir))
    InfraStack(app, config=config)
    app.synth()
    return _read(outdir)["dev-infra"]
