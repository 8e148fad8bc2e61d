"""Scrape targets (PodMonitors in the release), alert rules and their thresholds, the receiver."""

from __future__ import annotations

import re

import pytest
from support.metrics import EMAIL, by_name, release_values, variant  # noqa: F401

from platform_constructs.metrics.scrape_targets import SCRAPE_TARGETS

ENVS = ("dev", "prod")


def test_scrape_targets_are_one_entry_each_with_a_selector_and_port():
    names = [t.name for t in SCRAPE_TARGETS]
    assert len(set(names)) == len(names)
    assert {"traefik", "velero", "cert-manager", "zot"} <= set(names)
    for target in SCRAPE_TARGETS:
        assert target.pod_labels.get("app.kubernetes.io/name"), f"{target.name}: select by app.kubernetes.io/name"
        assert target.port_name and 0 < target.port < 65536, target.name


EXPECTED_TARGETS = {
    # dev: minikube's nginx addon (no Traefik), no cert-manager, no external-dns
    "dev": {"velero", "zot", "n8n"},
    "prod": {"traefik", "velero", "cert-manager", "external-dns", "zot", "n8n"},
}


@pytest.mark.parametrize("env", ENVS)
def test_only_enabled_components_are_scraped(env, stacks):
    stack = stacks[f"{env}-metrics"]
    monitors = release_values(stack)["prometheus"]["additionalPodMonitors"]
    assert {m["name"] for m in monitors} == EXPECTED_TARGETS[env]
    policies = by_name(stack, "kubernetes_network_policy_v1")
    for monitor in monitors:
        (namespace,) = monitor["namespaceSelector"]["matchNames"]
        assert monitor["podMetricsEndpoints"][0]["port"], f"{monitor['name']}: port name"
        egress = policies[f"allow-prometheus-to-{monitor['name']}"]["spec"]["egress"][0]
        peer_namespaces = egress["to"][0]["namespace_selector"]["match_expressions"][0]["values"]
        assert peer_namespaces == [namespace], f"{monitor['name']}: Prometheus egress must reach namespace {namespace}"


def _rules(stack) -> dict[str, dict]:
    groups = release_values(stack)["additionalPrometheusRulesMap"]["platform"]["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def _threshold(expr: str, op: str) -> float:
    match = re.search(rf"{re.escape(op)}\s*([0-9.]+)\s*$", expr)
    assert match, f"no '{op} <number>' at the end of {expr!r}"
    return float(match.group(1))


@pytest.mark.parametrize("env", ENVS)
def test_alert_rules_and_thresholds(env, stacks, configs):
    rules = _rules(stacks[f"{env}-metrics"])
    backup = rules["VeleroBackupTooOld"]["expr"]
    assert "velero_backup_last_successful_timestamp" in backup and _threshold(backup, ">") == 26 * 3600
    pvc = rules["PersistentVolumeClaimAlmostFull"]["expr"]
    assert "kubelet_volume_stats_used_bytes" in pvc and "kubelet_volume_stats_capacity_bytes" in pvc
    assert _threshold(pvc, ">") == 0.80
    crash = rules["PodCrashLooping"]["expr"]
    assert "kube_pod_container_status_waiting_reason" in crash and "CrashLoopBackOff" in crash
    if configs[env].infra.cert_manager:
        cert = rules["CertificateExpiresSoon"]["expr"]
        assert "certmanager_certificate_expiration_timestamp_seconds" in cert and _threshold(cert, "<") == 14 * 86400
    else:
        assert "CertificateExpiresSoon" not in rules, f"{env}: no cert-manager, no certificate rule"
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"], name


@pytest.mark.parametrize("env", ENVS)
def test_alertmanager_is_on_and_routes_to_the_operator(env, stacks):
    values = release_values(stacks[f"{env}-metrics"])["alertmanager"]
    assert values["enabled"] is True
    assert values["config"]["route"]["receiver"] == "operator"
    assert "operator" in {r["name"] for r in values["config"]["receivers"]}


def test_prod_webhook_receiver_reads_its_url_from_a_mounted_secret(stacks):
    stack = stacks["prod-metrics"]
    values = release_values(stack)["alertmanager"]
    receiver = next(r for r in values["config"]["receivers"] if r["name"] == "operator")
    assert receiver["webhook_configs"] == [
        {"url_file": "/etc/alertmanager/secrets/alertmanager-receiver/url", "send_resolved": True}
    ]
    assert values["alertmanagerSpec"]["secrets"] == ["alertmanager-receiver"]
    secret = by_name(stack, "kubernetes_secret_v1")["alertmanager-receiver"]
    assert secret["data"] == {"url": "${var.alertmanager_webhook_url}"}
    assert stack["variable"]["alertmanager_webhook_url"]["sensitive"] is True
    assert "allow-alertmanager-to-receiver" in by_name(stack, "kubernetes_network_policy_v1")


def test_dev_receiver_none_needs_no_secret(stacks):
    stack = stacks["dev-metrics"]
    values = release_values(stack)["alertmanager"]
    receiver = next(r for r in values["config"]["receivers"] if r["name"] == "operator")
    assert receiver == {"name": "operator"}
    assert "alertmanager-receiver" not in by_name(stack, "kubernetes_secret_v1")
    assert not any(v.startswith("alertmanager_") for v in stack.get("variable", {}))


def test_email_receiver_variant(variant):  # noqa: F811
    _, stacks = variant
    stack = stacks["prod"]
    receiver = next(r for r in release_values(stack)["alertmanager"]["config"]["receivers"] if r["name"] == "operator")
    (email,) = receiver["email_configs"]
    assert (email["to"], email["smarthost"], email["auth_username"]) == (EMAIL["to"], EMAIL["smarthost"], EMAIL["username"])
    assert email["auth_password_file"] == "/etc/alertmanager/secrets/alertmanager-receiver/password"
    assert by_name(stack, "kubernetes_secret_v1")["alertmanager-receiver"]["data"] == {
        "password": "${var.alertmanager_smtp_password}"
    }
    policy = by_name(stack, "kubernetes_network_policy_v1")["allow-alertmanager-to-receiver"]
    assert policy["spec"]["egress"][0]["ports"] == [{"port": "587", "protocol": "TCP"}]


@pytest.mark.parametrize("env", ENVS)
def test_backup_dump_and_drill_alerts_use_metrics_the_exporters_really_export(env, stacks):
    """Velero v1.18.1 and kube-state-metrics metric names (cited in metrics/alerts.py): a rule on a
    name no exporter exports never fires, which is the silent failure these alerts exist for."""
    from platform_constructs.metrics.alerts import KUBE_STATE_METRICS, VELERO_METRICS

    rules = _rules(stacks[f"{env}-metrics"])
    for name in ("VeleroBackupPartiallyFailed", "VeleroBackupFailed", "DatabaseDumpHookFailed", "DatabaseDumpsTooOld",
                 "DatabaseDumpsNeverCompleted", "RestoreDrillFailed", "RestoreDrillOverdue", "RestoreDrillNeverSucceeded"):
        assert name in rules, f"{env}: alert {name} missing"
        assert rules[name]["labels"]["severity"] == "critical", name
    for name, rule in rules.items():
        used = set(re.findall(r"\b(velero_[a-z_]+|kube_[a-z_]+)\b", rule["expr"]))
        unknown = used - VELERO_METRICS - KUBE_STATE_METRICS
        assert not unknown, f"{env} {name}: {sorted(unknown)} not exported by the pinned Velero / kube-state-metrics"
    assert 'schedule="data-daily"' in rules["DatabaseDumpHookFailed"]["expr"]
    assert _threshold(rules["DatabaseDumpsTooOld"]["expr"], ">") == 25 * 3600, "dumps older than a day"
    assert _threshold(rules["RestoreDrillOverdue"]["expr"], ">") == 26 * 3600
    for name in ("RestoreDrillFailed", "RestoreDrillOverdue", "RestoreDrillNeverSucceeded"):
        assert 'cronjob=~".+-restore-drill"' in rules[name]["expr"] and 'namespace="data"' in rules[name]["expr"], name
