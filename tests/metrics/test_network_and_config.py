"""NetworkPolicies of namespace `metrics`, and the metrics config section's validation."""

from __future__ import annotations

import pytest
from support.metrics import EMAIL, by_name
from support.synth import cilium_policies

from envs import ConfigError, load_config

ENVS = ("dev", "prod")


@pytest.mark.parametrize("env", ENVS)
def test_metrics_namespace_opens_only_what_the_stack_needs(env, stacks):
    stack = stacks[f"{env}-metrics"]
    policies = by_name(stack, "kubernetes_network_policy_v1")
    for name in ("default-deny", "allow-dns", "allow-same-namespace", "allow-ingress-controller-to-grafana"):
        assert name in policies, f"{env}-metrics: NetworkPolicy {name} missing"
    grafana = policies["allow-ingress-controller-to-grafana"]["spec"]
    assert grafana["pod_selector"]["match_labels"] == {"app.kubernetes.io/name": "grafana"}
    assert grafana["ingress"][0]["ports"] == [{"port": "3000", "protocol": "TCP"}]
    # API server, webhook callers and nodes are Cilium entities in both envs (config network.cni).
    cilium = cilium_policies(stack)
    for name in ("allow-metrics-to-api-server", "allow-prometheus-to-nodes", "allow-api-server-to-operator-webhook"):
        assert name in cilium, f"{env}-metrics: CiliumNetworkPolicy {name} missing"
    api = cilium["allow-metrics-to-api-server"]["spec"]
    clients = set(api["endpointSelector"]["matchExpressions"][0]["values"])
    assert "alertmanager" not in clients and {"prometheus", "grafana", "kube-state-metrics"} <= clients, clients
    nodes = cilium["allow-prometheus-to-nodes"]["spec"]
    assert nodes["endpointSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus"}
    assert nodes["egress"][0]["toEntities"] == ["host", "remote-node"]
    assert {p["port"] for p in nodes["egress"][0]["toPorts"][0]["ports"]} == {"10250", "9100"}


def test_alertmanager_reaches_the_internet_only_with_a_receiver(stacks):
    assert "allow-alertmanager-to-receiver" in by_name(stacks["prod-metrics"], "kubernetes_network_policy_v1")
    assert "allow-alertmanager-to-receiver" not in by_name(stacks["dev-metrics"], "kubernetes_network_policy_v1")


def test_metrics_defaults_on_in_both_envs(configs):
    assert configs["prod"].metrics.enabled and configs["dev"].metrics.enabled


def test_email_receiver_requires_its_settings():
    with pytest.raises(ConfigError, match="alerting"):
        load_config("prod", overrides={"metrics": {"alerting": {"receiver": "email"}}})
    with pytest.raises(ConfigError, match="alerting"):
        load_config("prod", overrides={"metrics": {"alerting": {"receiver": "webhook", "email": EMAIL}}})


def test_unknown_receiver_is_rejected():
    with pytest.raises(ConfigError, match="receiver"):
        load_config("dev", overrides={"metrics": {"alerting": {"receiver": "pager"}}})
