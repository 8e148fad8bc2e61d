"""The reusable Valkey (apps/common/valkey.py), seen through Twenty's instance (on in both envs)."""

from __future__ import annotations

import pytest
from support.apps2 import containers, named, one, pod_spec, policies
from support.synth import resources_of

from platform_constructs.apps.common.valkey import valkey_conf

ENVS = ("dev", "prod")


def _secret(stacks, env):
    _, body = named(stacks[f"{env}-apps"], "kubernetes_secret_v1", "valkey-auth", "twenty")
    return body


@pytest.mark.parametrize("env", ENVS)
def test_official_pinned_image_non_root_with_probes_and_sizes(stacks, configs, env):
    _, body = named(stacks[f"{env}-apps"], "kubernetes_deployment_v1", "valkey", "twenty")
    valkey = containers(body)["valkey"]
    assert valkey["image"].startswith("valkey/valkey:") and not valkey["image"].endswith(":latest"), valkey["image"]
    assert valkey["command"] == ["valkey-server", "/etc/valkey/valkey.conf"], "valkey must start without the root entrypoint"
    sc = one(valkey["security_context"])
    assert sc["run_as_non_root"] is True and sc["read_only_root_filesystem"] is True, "valkey container not hardened"
    assert valkey.get("readiness_probe") and valkey.get("liveness_probe"), "valkey needs both probes"
    resources = one(valkey["resources"])
    assert one(resources["requests"])["memory"] == configs[env].apps.twenty.valkey.memory_request
    assert one(resources["limits"])["memory"] == configs[env].apps.twenty.valkey.memory_limit
    assert one(one(body["spec"])["strategy"])["type"] == "Recreate", "one writer on an RWO volume"


@pytest.mark.parametrize("env", ENVS)
def test_noeviction_and_password_from_secret_variable(stacks, env):
    conf = _secret(stacks, env)["data"]["valkey.conf"]
    assert "maxmemory-policy noeviction" in conf, "twenty's queue needs noeviction"
    # the secret variable, quoted and escaped (tests/secrets/test_secret_formats.py starts a server on it)
    assert 'requirepass "${replace(replace(replace(replace(replace(var.twenty_valkey_password, ' in conf, conf
    assert "twenty_valkey_password" in stacks[f"{env}-apps"]["variable"]
    assert stacks[f"{env}-apps"]["variable"]["twenty_valkey_password"]["sensitive"] is True


@pytest.mark.parametrize("env", ENVS)
def test_data_on_block_pvc(stacks, configs, env):
    _, pvc = named(stacks[f"{env}-apps"], "kubernetes_persistent_volume_claim_v1", "valkey-data", "twenty")
    assert one(pvc["spec"])["storage_class_name"] == configs[env].storage.block_class
    _, body = named(stacks[f"{env}-apps"], "kubernetes_deployment_v1", "valkey", "twenty")
    claims = [one(v["persistent_volume_claim"])["claim_name"] for v in pod_spec(body)["volume"] if "persistent_volume_claim" in v]
    assert claims == ["valkey-data"]


@pytest.mark.parametrize("env", ENVS)
def test_only_its_own_namespace_may_connect(stacks, env):
    spec = policies(stacks[f"{env}-apps"], "twenty")["allow-namespace-to-valkey"]
    assert one(spec["pod_selector"])["match_labels"] == {"app.kubernetes.io/name": "valkey"}
    (rule,) = spec["ingress"]
    (peer,) = rule["from"]
    (expr,) = one(peer["namespace_selector"])["match_expressions"]
    assert expr["values"] == ["${kubernetes_namespace_v1.namespace_twenty.metadata[0].name}"], "only namespace twenty"
    assert [p["port"] for p in rule["ports"]] == ["6379"]
    client = policies(stacks[f"{env}-apps"], "twenty")["allow-twenty-to-valkey"]
    assert client["policy_types"] == ["Egress"]


def test_conf_without_storage_has_no_persistence():
    conf = valkey_conf(password="x", maxmemory_bytes=100, policy="allkeys-lru", persistent=False)
    assert "appendonly no" in conf and 'save ""' in conf and "maxmemory 100" in conf


def test_no_other_kind_of_valkey_workload(stacks):
    for env in ENVS:
        for body in resources_of(stacks[f"{env}-apps"], "kubernetes_stateful_set_v1").values():
            assert "valkey" not in one(body["metadata"])["name"], "valkey is a Deployment + PVC"
