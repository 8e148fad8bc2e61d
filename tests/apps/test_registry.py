"""Zot registry (apps/registry.py) over the synthesized JSON of both envs."""

from __future__ import annotations

import json

import pytest
from support.apps1 import (  # noqa: F401 - fixtures
    apps1_variant,
    apps1_variant_configs,
    assert_hardened,
    backends,
    container,
    controller_namespace,
    ingress_allowed,
    internet_ports,
    mounts,
    named,
    one,
    schedule_for,
    secret_data,
    volumes,
)
from support.synth import resources_of

from platform_constructs.versions import IMAGES

ENVS = ("dev", "prod")


@pytest.mark.parametrize("env", ENVS)
def test_ingress_is_waf_exempt_by_a_recorded_waiver_and_has_no_body_limit(stacks, configs, env):
    config, stack = configs[env], stacks[f"{env}-apps"]
    address, ingress = named(stack, "kubernetes_ingress_v1", "registry", "registry")
    assert backends(ingress) == {(config.host("registry"), "/", "zot", 5000)}, address
    notes = one(ingress["metadata"])["annotations"]
    assert "infra-waf-modsecurity@kubernetescrd" not in notes.get("traefik.ingress.kubernetes.io/router.middlewares", ""), address
    if config.infra.waf:
        assert "large image layer pushes" in notes["platform/waf-waiver"], f"{address}: WAF waiver recorded"
    if config.infra.ingress.class_name == "nginx":
        assert notes["nginx.ingress.kubernetes.io/proxy-body-size"] == "0", f"{address}: unlimited body for layers"
    if config.infra.ingress.tls:
        assert notes["cert-manager.io/cluster-issuer"] == "letsencrypt-prod", address


@pytest.mark.parametrize("env", ENVS)
def test_pinned_image_hardened_pod_and_block_pvc(stacks, configs, env):
    stack = stacks[f"{env}-apps"]
    address, dep = named(stack, "kubernetes_deployment_v1", "zot", "registry")
    assert_hardened(address, dep)
    ctr = container(dep)
    assert ctr["image"] == IMAGES["zot"] and not ctr["image"].endswith(":latest"), address
    assert {p["name"]: p["container_port"] for p in ctr["port"]} == {"http": 5000}, "the PodMonitor scrapes port 'http'"
    claim = one(volumes(dep)[mounts(ctr)["/var/lib/registry"]]["persistent_volume_claim"])["claim_name"]
    pvc_address, pvc = named(stack, "kubernetes_persistent_volume_claim_v1", claim, "registry")
    assert one(pvc["spec"])["storage_class_name"] == configs[env].storage.block_class, pvc_address
    assert one(one(pvc["spec"])["resources"])["requests"]["storage"] == configs[env].apps.registry.storage, pvc_address


def _zot_config(stack):
    _, config_map = named(stack, "kubernetes_config_map_v1", "zot-config", "registry")
    return json.loads(config_map["data"]["config.json"])


@pytest.mark.parametrize("env", ENVS)
def test_metrics_on_and_htpasswd_only_from_the_secret(stacks, configs, env):
    stack = stacks[f"{env}-apps"]
    zot = _zot_config(stack)
    assert zot["extensions"]["metrics"]["enable"] is True
    assert ingress_allowed(stack, "registry", "zot", 5000, "metrics"), "Prometheus → zot:5000"
    assert ingress_allowed(stack, "registry", "zot", 5000, controller_namespace(env)), "ingress controller → zot:5000"
    assert not internet_ports(stack, "registry", "zot"), "zot needs no egress"
    if configs[env].apps.registry.htpasswd:
        assert zot["http"]["auth"]["htpasswd"]["path"] == "/etc/zot-auth/htpasswd"
        assert secret_data(stack, "registry-htpasswd", "registry") == {"htpasswd": "${var.registry_htpasswd}"}
        assert stack["variable"]["registry_htpasswd"]["sensitive"] is True
    else:
        assert "auth" not in zot["http"]
    # Never the chart's demo users, never a literal credential anywhere in the namespace's Secrets.
    for body in resources_of(stack, "kubernetes_secret_v1").values():
        if "namespace_registry." in str(one(body["metadata"])["namespace"]):
            assert all(v.startswith("${var.") for v in body["data"].values()), "registry Secrets hold tokens only"


def test_prod_requires_auth(configs):
    assert configs["prod"].apps.registry.htpasswd, "a public registry must not be anonymous in prod"


@pytest.mark.parametrize("env", ENVS)
def test_backup_schedule(stacks, env):
    schedule = schedule_for(stacks[f"{env}-apps"], "registry")
    assert schedule and schedule["metadata"]["name"] == "registry-daily"


def test_switched_off_leaves_nothing(apps1_variant):  # noqa: F811 - fixture
    assert "namespace_registry" not in apps1_variant["dev-apps"]["resource"].get("kubernetes_namespace_v1", {})
