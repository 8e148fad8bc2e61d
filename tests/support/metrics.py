"""Helpers and the variant fixture of the metrics tests (imported by tests/metrics/test_*.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from envs import PlatformConfig, load_config
from support.synth import resources_of

EMAIL = {"to": "ops@example.org", "sender": "alerts@example.org", "smarthost": "smtp.example.org:587", "username": "alerts"}


def unescape_tofu(text: str) -> str:
    """Undo the OpenTofu template escaping (``$${`` → ``${``, ``%%{`` → ``%{``)."""
    return text.replace("$${", "${").replace("%%{", "%{")


def the_release(stack: Mapping[str, Any]) -> dict[str, Any]:
    releases = resources_of(stack, "helm_release")
    matching = [body for body in releases.values() if body["name"] == "kube-prometheus-stack"]
    assert len(matching) == 1, f"expected one kube-prometheus-stack helm_release, got {sorted(releases)}"
    return matching[0]


def release_values(stack: Mapping[str, Any]) -> dict[str, Any]:
    """The release's values document, parsed back (as OpenTofu hands it to Helm)."""
    (doc,) = the_release(stack)["values"]
    return json.loads(unescape_tofu(doc))


def by_name(stack: Mapping[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    """Resources of ``rtype`` keyed by their Kubernetes metadata.name."""
    return {body["metadata"]["name"]: body for body in resources_of(stack, rtype).values()}


@pytest.fixture(scope="session")
def variant(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, PlatformConfig], dict[str, dict[str, Any]]]:
    """Metrics stacks only, built once: dev with metrics off, prod with an e-mail receiver."""
    from platform_constructs.runtime import configure_jsii

    configure_jsii()
    from cdktf import App

    from platform_constructs.metrics import MetricsStack
    from platform_constructs.rules import check_stack

    configs = {
        "dev": load_config("dev", overrides={"metrics": {"enabled": False}}),
        "prod": load_config("prod", overrides={"metrics": {"alerting": {"receiver": "email", "email": EMAIL}}}),
    }
    outdir = tmp_path_factory.mktemp("metrics-variant")
    app = App(outdir=str(outdir))
    for config in configs.values():
        MetricsStack(app, config=config)
    app.synth()
    stacks = {
        env: json.loads((Path(outdir) / "stacks" / f"{env}-metrics" / "cdk.tf.json").read_text()) for env in configs
    }
    for env, stack in stacks.items():
        assert check_stack(configs[env], f"{env}-metrics", stack) == [], f"variant {env}-metrics breaks the rules"
    return configs, stacks
