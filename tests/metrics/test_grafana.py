"""Grafana: admin from a Secret, Ingress at grafana.<root_domain>, dashboards provisioned from the repo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.metrics import by_name, release_values, unescape_tofu
from support.synth import REPO, resources_of

DASHBOARDS = sorted((REPO / "constructs/platform_constructs/metrics/dashboards").glob("*.json"))
ENVS = ("dev", "prod")


@pytest.mark.parametrize("env", ENVS)
def test_admin_credentials_come_from_an_existing_secret(env, stacks, configs):
    stack = stacks[f"{env}-metrics"]
    admin = release_values(stack)["grafana"]["admin"]
    assert admin == {"existingSecret": "grafana-admin", "userKey": "admin-user", "passwordKey": "admin-password"}
    secret = by_name(stack, "kubernetes_secret_v1")["grafana-admin"]
    assert secret["data"]["admin-user"] == configs[env].metrics.grafana.admin_user
    assert secret["data"]["admin-password"] == "${var.grafana_admin_password}", "password must be the sensitive variable"
    variable = stack["variable"]["grafana_admin_password"]
    assert variable["sensitive"] is True and "default" not in variable
    assert "kubernetes_secret_v1." in " ".join(
        resources_of(stack, "helm_release")[next(iter(resources_of(stack, "helm_release")))]["depends_on"]
    ), "the release must wait for its Secrets"


@pytest.mark.parametrize("env", ENVS)
def test_ingress_at_grafana_host_through_the_shared_helper(env, stacks, configs):
    config = configs[env]
    ingress = by_name(stacks[f"{env}-metrics"], "kubernetes_ingress_v1")["grafana"]
    (rule,) = ingress["spec"]["rule"]
    assert rule["host"] == config.host("grafana") == f"grafana.{config.root_domain}"
    backend = rule["http"]["path"][0]["backend"]["service"]
    assert (backend["name"], backend["port"]["number"]) == ("grafana", 80)
    assert ingress["spec"]["ingress_class_name"] == config.infra.ingress.class_name
    if config.infra.ingress.tls:
        assert ingress["spec"]["tls"] == [{"hosts": [config.host("grafana")], "secret_name": "grafana-tls"}]
        assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    else:
        assert "tls" not in ingress["spec"], f"{env}: no TLS without cert-manager"
    values = release_values(stacks[f"{env}-metrics"])["grafana"]
    assert values["ingress"]["enabled"] is False, "the chart's own Ingress would bypass the shared helper"
    scheme = "https" if config.infra.ingress.tls else "http"
    assert values["grafana.ini"]["server"]["root_url"] == f"{scheme}://{config.host('grafana')}"


def test_dashboard_files_are_valid_and_unique():
    assert len(DASHBOARDS) >= 3, "platform overview, backups and PVC usage dashboards expected"
    uids = [json.loads(path.read_text())["uid"] for path in DASHBOARDS]
    assert len(set(uids)) == len(uids), f"dashboard uids must be unique: {uids}"


@pytest.mark.parametrize("env", ENVS)
def test_each_dashboard_is_a_configmap_holding_exactly_the_file(env, stacks):
    maps = {name: body for name, body in by_name(stacks[f"{env}-metrics"], "kubernetes_config_map_v1").items()
            if body["metadata"].get("labels", {}).get("grafana_dashboard") == "1"}
    assert sorted(maps) == [f"dashboard-{p.stem}" for p in DASHBOARDS]
    for path in DASHBOARDS:
        body = maps[f"dashboard-{path.stem}"]
        (key,) = body["data"]
        raw = body["data"][key]
        assert key == path.name
        assert unescape_tofu(raw) == path.read_text(), f"{body['metadata']['name']} differs from {path.name}"
        if "${" in path.read_text():
            assert "$${" in raw, f"{path.name}: ${{...}} must reach OpenTofu escaped"


@pytest.mark.parametrize("env", ENVS)
def test_sidecar_picks_up_the_labelled_configmaps(env, stacks):
    sidecar = release_values(stacks[f"{env}-metrics"])["grafana"]["sidecar"]["dashboards"]
    assert (sidecar["enabled"], sidecar["label"], sidecar["labelValue"]) == (True, "grafana_dashboard", "1")


def test_dashboards_use_the_datasource_variable():
    for path in DASHBOARDS:
        dashboard = json.loads(Path(path).read_text())
        names = [v["name"] for v in dashboard["templating"]["list"]]
        assert "datasource" in names, f"{path.name}: panels should follow the datasource variable"
        for panel in dashboard["panels"]:
            assert panel["targets"], f"{path.name}: panel {panel['title']!r} has no query"
