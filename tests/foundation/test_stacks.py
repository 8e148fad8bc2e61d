"""Stacks, providers, backends and namespaces of both environments."""

from __future__ import annotations

import itertools
import json

import pytest
from support.synth import resources_of

from platform_constructs.versions import PROVIDERS

EXPECTED = {
    "dev": ["infra", "data", "metrics", "apps"],
    "prod": ["cluster", "infra", "data", "metrics", "apps"],
}


def test_each_env_has_exactly_its_stacks(stacks):
    assert sorted(stacks) == sorted(f"{env}-{layer}" for env, layers in EXPECTED.items() for layer in layers)


def test_manifest_records_apply_order(synthesized):
    manifest = json.loads((synthesized / "manifest.json").read_text())["stacks"]
    for env, layers in EXPECTED.items():
        for previous, layer in itertools.pairwise(layers):
            deps = manifest[f"{env}-{layer}"]["dependencies"]
            assert deps == [f"{env}-{previous}"], f"{env}-{layer} must depend on {env}-{previous}, got {deps}"


def test_required_providers_are_exact_and_match_the_bindings(stacks):
    for name, stack in stacks.items():
        for provider, spec in stack["terraform"]["required_providers"].items():
            assert spec["version"] == PROVIDERS[provider], f"{name}: {provider} pinned to {spec['version']}"


def test_digitalocean_provider_only_in_the_cluster_stack(stacks):
    for name, stack in stacks.items():
        providers = set(stack.get("provider", {}))
        if name == "prod-cluster":
            assert providers == {"digitalocean"}
            token = stack["provider"]["digitalocean"][0]["token"]
            assert token == "${var.do_token}"
            assert stack["variable"]["do_token"]["sensitive"] is True
        else:
            assert providers == {"kubernetes", "helm"}, f"{name}: providers {providers}"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_kubernetes_providers_use_the_env_kubeconfig_and_context(stacks, configs, env):
    kube = configs[env].kube
    for layer in EXPECTED[env]:
        stack = stacks[f"{env}-{layer}"]
        if layer == "cluster":
            continue
        k8s = stack["provider"]["kubernetes"][0]
        helm = stack["provider"]["helm"][0]["kubernetes"]
        for where, block in (("kubernetes", k8s), ("helm", helm)):
            assert (block["config_path"], block["config_context"]) == (kube.config_path, kube.context), (
                f"{env}-{layer}: {where} provider does not use the env kubeconfig/context"
            )


def test_every_stack_sets_its_backend(stacks):
    for name, stack in stacks.items():
        backend = stack["terraform"]["backend"]
        if name.startswith("dev-"):
            assert backend == {"local": {"path": f"../../../.state/{name}.tfstate"}}, name
        else:
            s3 = backend["s3"]
            assert s3["key"] == f"{name}.tfstate" and s3["use_lockfile"] is True, name
            assert s3["endpoints"]["s3"].startswith("https://") and "digitaloceanspaces.com" in s3["endpoints"]["s3"]


def test_dev_state_lives_outside_cdktf_out(stacks):
    for name, stack in stacks.items():
        if name.startswith("dev-"):
            path = stack["terraform"]["backend"]["local"]["path"]
            # tofu runs in cdktf.out/stacks/<name>/: three levels up is the repo root.
            assert path.startswith("../../../.state/"), f"{name}: state at {path} would be lost on re-synth"


def test_no_absolute_path_of_this_machine_in_the_output(synthesized):
    import os
    from pathlib import Path

    markers = {str(Path(__file__).resolve().parents[2]), os.path.expanduser("~") + "/", str(synthesized)}
    for path in synthesized.glob("stacks/*/cdk.tf.json"):
        text = path.read_text()
        for marker in markers:
            assert marker not in text, f"{path.parent.name}: contains the machine path {marker}"


def test_state_and_plans_are_encrypted_and_enforced(stacks):
    for name, stack in stacks.items():
        enc = stack["terraform"]["encryption"]
        assert enc["state"]["enforced"] is True and enc["plan"]["enforced"] is True, name
        assert enc["key_provider"]["pbkdf2"]["default"]["passphrase"] == "${var.state_passphrase}", name
        assert "default" in enc["remote_state_data_sources"], f"{name}: cannot decrypt other stacks' state"
        assert stack["variable"]["state_passphrase"]["sensitive"] is True


def test_app_env_variable_guards_the_environment(stacks):
    for name, stack in stacks.items():
        env = name.split("-", 1)[0]
        variable = stack["variable"]["app_env"]
        assert variable["default"] == env
        assert f'var.app_env == \\"{env}\\"' in json.dumps(variable["validation"]), name


def test_secret_variables_are_sensitive_without_default(stacks):
    for name, stack in stacks.items():
        for var_name, variable in stack.get("variable", {}).items():
            if variable.get("sensitive"):
                assert "default" not in variable, f"{name}: secret {var_name} has a default"
                assert variable.get("type") == "string", f"{name}: secret {var_name} must be a string"


@pytest.mark.parametrize("layer", ["infra", "data", "metrics"])
def test_layer_namespaces_are_owned_and_labelled(stacks, layer):
    for env in ("dev", "prod"):
        namespaces = resources_of(stacks[f"{env}-{layer}"], "kubernetes_namespace_v1")
        by_name = {ns["metadata"]["name"]: ns for ns in namespaces.values()}
        assert layer in by_name, f"{env}-{layer} must own namespace {layer}"
        assert by_name[layer]["metadata"]["labels"]["platform/layer"] == layer


def test_each_enabled_app_gets_its_own_namespace_in_the_apps_stack(stacks, configs):
    from platform_constructs.apps.stack import APP_NAMESPACES

    for env, config in configs.items():
        namespaces = {
            ns["metadata"]["name"]: ns for ns in resources_of(stacks[f"{env}-apps"], "kubernetes_namespace_v1").values()
        }
        expected = {ns for app, ns in APP_NAMESPACES.items() if getattr(config.apps, app).enabled}
        assert set(namespaces) == expected, f"{env}-apps namespaces"
        for ns in namespaces.values():
            assert ns["metadata"]["labels"]["platform/layer"] == "apps"


def test_no_namespace_is_created_twice(stacks):
    for env in ("dev", "prod"):
        seen: dict[str, str] = {}
        for name, stack in stacks.items():
            if not name.startswith(f"{env}-"):
                continue
            for ns in resources_of(stack, "kubernetes_namespace_v1").values():
                ns_name = ns["metadata"]["name"]
                assert ns_name not in seen, f"namespace {ns_name} in both {seen.get(ns_name)} and {name}"
                seen[ns_name] = name
