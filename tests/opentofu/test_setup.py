"""The OpenTofu set-up: pins, what the installer found or built, and the schema read from the bindings."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from support.opentofu import opentofu_setup
from support.synth import REPO

from platform_constructs.versions import MIN_OPENTOFU_VERSION, OPENTOFU_BUILD, PROVIDER_SOURCES, PROVIDERS

sys.path.insert(0, str(REPO / "scripts" / "lib"))
import provider_schema

REGISTRY = "registry.opentofu.org"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def test_every_provider_pin_has_a_source_at_its_tag() -> None:
    assert set(PROVIDER_SOURCES) == set(PROVIDERS), "PROVIDERS and PROVIDER_SOURCES must name the same providers"
    for name, source in PROVIDER_SOURCES.items():
        assert source.tag == f"v{PROVIDERS[name]}", f"{name}: tag {source.tag} is not the pinned {PROVIDERS[name]}"
        assert source.address.endswith(f"/{name}"), f"{name}: registry address {source.address}"
        assert len(source.commit) == 40 and all(c in "0123456789abcdef" for c in source.commit), name
    assert _version(OPENTOFU_BUILD) >= _version(MIN_OPENTOFU_VERSION)


def test_stacks_require_the_providers_at_the_addresses_the_mirror_serves(stacks: dict[str, Any]) -> None:
    for stack_name, stack in stacks.items():
        for name, req in stack["terraform"]["required_providers"].items():
            source = req["source"] if "/" in req["source"] else f"hashicorp/{req['source']}"  # OpenTofu's default namespace
            assert source == PROVIDER_SOURCES[name].address, f"{stack_name}: {name} resolves to {source}"
            assert req["version"] == PROVIDERS[name], f"{stack_name}: {name} {req['version']}"


@pytest.fixture(scope="module")
def setup() -> dict[str, Any]:
    return opentofu_setup()


def test_installer_found_a_fitting_tofu_and_every_provider(setup: dict[str, Any]) -> None:
    assert Path(setup["tofu"]).is_file(), setup["tofu"]
    assert _version(setup["tofu_version"]) >= _version(MIN_OPENTOFU_VERSION), setup["tofu_version"]
    assert setup["tofu_from"] in ("PATH", "built")
    if setup["tofu_from"] == "built":
        assert setup["tofu_version"] == OPENTOFU_BUILD
    assert set(setup["providers"]) == set(PROVIDERS)
    mirror = Path(setup["test_cli_config"]).with_suffix("")
    for name, entry in setup["providers"].items():
        address, version = PROVIDER_SOURCES[name].address, PROVIDERS[name]
        assert (entry["address"], entry["version"]) == (address, version), name
        assert entry["kind"] in ("built", "stand-in"), entry
        binaries = list((mirror / REGISTRY / address / version).glob(f"*/terraform-provider-{name}_v{version}"))
        assert len(binaries) == 1, f"{name}: the tests' mirror lacks {REGISTRY}/{address}/{version}/<os_arch>/"
        if entry["kind"] == "stand-in":
            # The finding is kept with what the proxy answered, for the closing note and the set-up log.
            assert PROVIDER_SOURCES[name].commit in entry["refused"], entry["refused"]
            assert (binaries[0].parent / "schema.json").is_file()


def test_schema_is_read_from_the_binding_generated_for_the_pinned_version() -> None:
    schema = provider_schema.provider_schema("cdktf_cdktf_provider_helm", "helm", PROVIDERS["helm"])
    release = schema["resource_schemas"]["helm_release"]["block"]
    assert release["attributes"]["chart"]["required"] is True
    assert release["attributes"]["set"]["nested_type"]["nesting_mode"] == "list", "helm 3: set is a nested attribute"
    assert release["attributes"]["metadata"]["computed"] is True
    k8s = provider_schema.provider_schema("cdktf_cdktf_provider_kubernetes", "kubernetes", PROVIDERS["kubernetes"])
    metadata = k8s["resource_schemas"]["kubernetes_namespace_v1"]["block"]["block_types"]["metadata"]
    assert (metadata["nesting_mode"], metadata["min_items"], metadata["max_items"]) == ("list", 1, 1)
    assert metadata["block"]["attributes"]["uid"] == {"type": "string", "computed": True}
    manifest = k8s["resource_schemas"]["kubernetes_manifest"]["block"]["attributes"]
    assert manifest["manifest"]["type"] == "dynamic" and manifest["object"]["computed"] is True


def test_schema_reader_refuses_a_binding_of_another_provider_version() -> None:
    with pytest.raises(provider_schema.SchemaError, match=r"generated for helm 3\.1\.1, we pin 9\.9\.9"):
        provider_schema.provider_schema("cdktf_cdktf_provider_helm", "helm", "9.9.9")


def test_schema_file_round_trips_as_json(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert provider_schema.main(["--package", "cdktf_cdktf_provider_helm", "--provider", "helm",
                                 "--version", PROVIDERS["helm"], "--out", str(out)]) == 0
    assert "helm_release" in json.loads(out.read_text())["resource_schemas"]
