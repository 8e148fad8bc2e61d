"""Vince analytics (apps/analytics.py) over the synthesized JSON of both envs."""

from __future__ import annotations

import pytest
from support.apps1 import (  # noqa: F401 - fixtures
    apps1_variant,
    apps1_variant_configs,
    assert_hardened,
    backends,
    container,
    controller_namespace,
    env_secret_refs,
    env_values,
    ingress_allowed,
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
def test_ingress_on_insights_host(stacks, configs, env):
    config, stack = configs[env], stacks[f"{env}-apps"]
    address, ingress = named(stack, "kubernetes_ingress_v1", "analytics", "analytics")
    assert backends(ingress) == {(f"insights.{config.root_domain}", "/", "vince", 8080)}, address
    if config.infra.ingress.tls:
        assert one(ingress["metadata"])["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt-prod", address
    else:
        assert "tls" not in one(ingress["spec"]), address


@pytest.mark.parametrize("env", ENVS)
def test_plain_deployment_with_data_on_a_pvc(stacks, configs, env):
    config, stack = configs[env], stacks[f"{env}-apps"]
    assert not resources_of(stack, "helm_release").get("analytics_release"), "no Vince chart (it cannot persist data)"
    address, dep = named(stack, "kubernetes_deployment_v1", "vince", "analytics")
    assert_hardened(address, dep)
    ctr = container(dep)
    assert ctr["image"] == IMAGES["vince"], address
    assert one(one(dep["spec"])["strategy"])["type"] == "Recreate", f"{address}: one writer on the embedded DB"
    plain = env_values(ctr)
    assert plain["VINCE_DATA"] == "/data" and plain["VINCE_URL"].endswith(f"://{config.host('analytics')}"), address
    claim = one(volumes(dep)[mounts(ctr)["/data"]]["persistent_volume_claim"])["claim_name"]
    pvc_address, pvc = named(stack, "kubernetes_persistent_volume_claim_v1", claim, "analytics")
    assert one(pvc["spec"])["storage_class_name"] == config.storage.block_class, pvc_address


@pytest.mark.parametrize("env", ENVS)
def test_admin_bootstrap_from_a_sensitive_variable(stacks, configs, env):
    stack = stacks[f"{env}-apps"]
    address, dep = named(stack, "kubernetes_deployment_v1", "vince", "analytics")
    refs = env_secret_refs(container(dep))
    assert refs["VINCE_ADMIN_PASSWORD"] == ("vince-admin", "VINCE_ADMIN_PASSWORD"), address
    assert refs["VINCE_ADMIN_NAME"] == ("vince-admin", "VINCE_ADMIN_NAME"), address
    data = secret_data(stack, "vince-admin", "analytics")
    assert data["VINCE_ADMIN_PASSWORD"] == "${var.analytics_admin_password}"
    assert data["VINCE_ADMIN_NAME"] == configs[env].apps.analytics.admin_name
    assert stack["variable"]["analytics_admin_password"]["sensitive"] is True


@pytest.mark.parametrize("env", ENVS)
def test_network_and_backup(stacks, env):
    stack = stacks[f"{env}-apps"]
    assert ingress_allowed(stack, "analytics", "vince", 8080, controller_namespace(env)), "ingress controller → vince:8080"
    schedule = schedule_for(stack, "analytics")
    assert schedule and schedule["metadata"]["name"] == "analytics-daily"


def test_switched_off_leaves_nothing(apps1_variant):  # noqa: F811 - fixture
    stack = apps1_variant["dev-apps"]
    assert "namespace_analytics" not in stack["resource"].get("kubernetes_namespace_v1", {})
    assert "analytics_admin_password" not in stack.get("variable", {})
