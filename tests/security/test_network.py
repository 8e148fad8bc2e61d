"""Default-deny networking: every namespace the project owns starts closed, DNS open."""

from __future__ import annotations

from support.synth import resources_of


def _policies(stack):
    by_ns: dict[str, dict[str, dict]] = {}
    for policy in resources_of(stack, "kubernetes_network_policy_v1").values():
        meta = policy["metadata"]
        by_ns.setdefault(meta["namespace"], {})[meta["name"]] = policy
    return by_ns


def _namespace_tokens(stack):
    return {
        f"${{kubernetes_namespace_v1.{rid}.metadata[0].name}}": ns["metadata"]["name"]
        for rid, ns in resources_of(stack, "kubernetes_namespace_v1").items()
    }


def test_every_namespace_has_default_deny_and_dns(stacks):
    for name, stack in stacks.items():
        tokens = _namespace_tokens(stack)
        policies = {tokens.get(ns, ns): items for ns, items in _policies(stack).items()}
        for namespace in tokens.values():
            deny = policies.get(namespace, {}).get("default-deny")
            assert deny, f"{name}: namespace {namespace} has no default-deny NetworkPolicy"
            spec = deny["spec"]
            assert spec["pod_selector"] in ({}, [{}]) and sorted(spec["policy_types"]) == ["Egress", "Ingress"], (
                f"{name}: default-deny of {namespace} must select every pod for ingress and egress"
            )
            dns = policies[namespace].get("allow-dns")
            assert dns, f"{name}: namespace {namespace} cannot resolve names (no allow-dns)"


# Egress to "any address" without excluding private ranges is only for the API server and kubelets,
# whose addresses differ per cluster (DOKS control plane, minikube node IP): base/network.py explains why.
CLUSTER_ENDPOINT_PORTS = {"443", "6443", "10250", "9100"}


def test_open_egress_is_internet_only_or_cluster_endpoints(stacks):
    for name, stack in stacks.items():
        for policy in resources_of(stack, "kubernetes_network_policy_v1").values():
            policy_name = policy["metadata"]["name"]
            for rule in policy["spec"].get("egress", []) or []:
                for peer in rule.get("to", []) or []:
                    block = peer.get("ip_block")
                    if not block or block.get("cidr") != "0.0.0.0/0":
                        continue
                    ports = {p["port"] for p in rule.get("ports", [])}
                    if "10.0.0.0/8" in block.get("except", []):
                        continue  # internet egress: private ranges excluded
                    assert ports and ports <= CLUSTER_ENDPOINT_PORTS and "internet" not in policy_name, (
                        f"{name}: {policy_name} opens 0.0.0.0/0 on {sorted(ports)} without excluding private ranges"
                    )
