"""A fresh cluster converges with one apply per stack, in order: no custom resource is planned
before the stack that installs its CRD has been applied."""

from __future__ import annotations

import os

import pytest
from support.infra import resources_of

from envs import load_config

# CRD API group → layer whose Helm release installs it.
CRD_OWNERS = {
    "traefik.io": "infra",
    "cert-manager.io": "infra",
    "acme.cert-manager.io": "infra",
    "velero.io": "infra",
    "monitoring.coreos.com": "metrics",
}
CNI_GROUP = "cilium.io"
"""CiliumNetworkPolicy CRDs come with the cluster's CNI (DOKS, minikube --cni=cilium), before every stack."""
BUILT_IN = {"", "v1", "apps", "batch", "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io"}


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


@pytest.mark.skipif(os.environ.get("INFRA_TESTS_ONLY_INFRA") == "1", reason="needs every stack")
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_custom_resource_comes_from_an_earlier_stack(all_stacks, env):
    layers = load_config(env).layers
    for position, layer in enumerate(layers):
        stack = all_stacks[f"{env}-{layer}"]
        for address, body in resources_of(stack, "kubernetes_manifest").items():
            api_version = body["manifest"]["apiVersion"]
            group = _group(api_version)
            if group in BUILT_IN or group.endswith(".k8s.io"):
                continue
            if group == CNI_GROUP:
                assert load_config(env).network.cni == "cilium", (
                    f"{env}-{layer}: kubernetes_manifest.{address} needs the Cilium CRDs but network.cni is not cilium"
                )
                continue
            assert group in CRD_OWNERS, f"{env}-{layer}: kubernetes_manifest.{address} uses unknown API group {group!r}"
            owner = CRD_OWNERS[group]
            assert owner in layers[:position], (
                f"{env}-{layer}: kubernetes_manifest.{address} ({api_version}) needs the CRD from {env}-{owner}, "
                "which is not applied before it: ship it through a Helm release or a later stack"
            )


def test_infra_stack_plans_no_custom_resource_at_all(all_stacks):
    """Except the CNI's policies, whose CRDs the cluster brings before any stack."""
    for env in ("dev", "prod"):
        for address, body in resources_of(all_stacks[f"{env}-infra"], "kubernetes_manifest").items():
            assert _group(body["manifest"]["apiVersion"]) == CNI_GROUP, (
                f"{env}-infra installs the CRDs: its own CRs go through Helm (extraObjects, issuers chart, values), "
                f"not kubernetes_manifest.{address}"
            )


def test_infra_never_enables_a_prometheus_operator_object(all_stacks):
    """ServiceMonitors/PodMonitors need CRDs from the later metrics stack."""
    import json

    from support.infra import walk

    for env in ("dev", "prod"):
        for address, rel in resources_of(all_stacks[f"{env}-infra"], "helm_release").items():
            for doc in rel["values"]:
                for node in walk(json.loads(doc)):
                    for key in ("serviceMonitor", "servicemonitor", "podMonitor", "nodeAgentPodMonitor", "prometheusRule"):
                        if isinstance(node.get(key), dict):
                            assert node[key].get("enabled") is not True, f"{env}-infra {address}: {key} enabled"
