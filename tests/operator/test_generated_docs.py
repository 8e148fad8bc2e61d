"""Docs derived from code are current: the config reference and the architecture diagram."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
gen_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_docs)


def test_config_reference_is_current():
    assert (REPO / "docs" / "config-reference.md").read_text() == gen_docs.config_reference(), (
        "docs/config-reference.md is out of date: run `make docs`"
    )


def test_config_reference_lists_every_field(configs):
    text = (REPO / "docs" / "config-reference.md").read_text()
    for field in ("root_domain", "infra.ingress.class_name", "data.postgres.storage", "metrics.retention",
                  "apps.nextcloud.enabled", "cluster.default_pool"):
        assert f"`{field}`" in text, f"{field} missing from the config reference"


def test_architecture_diagram_is_current(synthesized):
    assert (REPO / "docs" / "architecture.md").read_text() == gen_docs.architecture(synthesized), (
        "docs/architecture.md is out of date: run `make docs`"
    )


def test_architecture_diagram_shows_each_env_and_its_hosts(synthesized, configs):
    text = gen_docs.architecture(synthesized)
    for env, config in configs.items():
        assert f"## {env}" in text
        assert f"https {config.host('n8n')}" in text, f"{env}: n8n host missing from the diagram"
    assert "stack prod-cluster" in text and "stack dev-cluster" not in text


def test_waivers_doc_is_current(synthesized):
    assert (REPO / "docs" / "waivers.md").read_text() == gen_docs.waivers(synthesized), (
        "docs/waivers.md is out of date: run `make docs`"
    )
