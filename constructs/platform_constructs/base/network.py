"""The network-policy helper: default deny per namespace, then allows derived from declared
dependencies. Nothing else in the project writes a NetworkPolicy by hand.

Every namespace created by ``KubernetesStack.namespace`` gets ``default-deny`` (ingress and egress)
plus ``allow-dns``. Components then call one function per dependency:

* ``allow_from_ingress``   — the ingress controller reaches an app's HTTP port;
* ``allow_to_service``      — an app reaches a service in another namespace (its database, …);
* ``allow_from_namespaces`` — the serving side of the same edge (e.g. ``data`` accepts an app);
* ``allow_internet``        — egress to the public internet (HTTPS/HTTP/SMTP ports) only;
* ``allow_prometheus``      — Prometheus (namespace ``metrics``) scrapes a metrics port;
* ``allow_same_namespace``  — pods of one namespace talk to each other (app + its Redis, …).

Dev note: minikube enforces NetworkPolicies only with a CNI that implements them
(``minikube start --cni=calico``); see the README.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cdktf_cdktf_provider_kubernetes.network_policy_v1 import (
    NetworkPolicyV1,
    NetworkPolicyV1Metadata,
    NetworkPolicyV1Spec,
)
from constructs import Construct

from platform_constructs.base.labels import NAME_LABEL
from platform_constructs.base.structs import build

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
METRICS_NAMESPACE = "metrics"
# Namespaces where the ingress controller runs: our Traefik (infra) or minikube's addon.
INGRESS_CONTROLLER_NAMESPACES = ("infra", "ingress-nginx")
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10")


def _policy(scope: Construct, id_: str, *, name: str, namespace: str, spec: Mapping[str, Any]) -> NetworkPolicyV1:
    return NetworkPolicyV1(
        scope,
        id_,
        metadata=build(NetworkPolicyV1Metadata, {"name": name, "namespace": namespace}),
        spec=build(NetworkPolicyV1Spec, spec),
    )


def _pods(app: str | None) -> dict[str, Any]:
    return {"match_labels": {NAME_LABEL: app}} if app else {}


def _ns(*names: str) -> dict[str, Any]:
    return {"match_expressions": [{"key": NAMESPACE_NAME_LABEL, "operator": "In", "values": list(names)}]}


def _ports(ports: Sequence[int], protocol: str = "TCP") -> list[dict[str, str]]:
    return [{"port": str(p), "protocol": protocol} for p in ports]


def default_deny(scope: Construct, namespace: str, *, ns_key: str) -> None:
    """Deny all ingress and egress in ``namespace`` except DNS to kube-system."""
    _policy(
        scope,
        f"netpol_{ns_key}_default_deny",
        name="default-deny",
        namespace=namespace,
        spec={"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
    )
    _policy(
        scope,
        f"netpol_{ns_key}_allow_dns",
        name="allow-dns",
        namespace=namespace,
        spec={
            "pod_selector": {},
            "policy_types": ["Egress"],
            "egress": [
                {
                    "to": [{"namespace_selector": _ns("kube-system")}],
                    "ports": _ports([53], "UDP") + _ports([53], "TCP"),
                }
            ],
        },
    )


def allow_from_ingress(scope: Construct, id_: str, *, namespace: str, app: str, ports: Sequence[int]) -> None:
    _policy(
        scope,
        id_,
        name=f"allow-ingress-controller-to-{app}",
        namespace=namespace,
        spec={
            "pod_selector": _pods(app),
            "policy_types": ["Ingress"],
            "ingress": [{"from": [{"namespace_selector": _ns(*INGRESS_CONTROLLER_NAMESPACES)}], "ports": _ports(ports)}],
        },
    )


def allow_to_service(
    scope: Construct, id_: str, *, namespace: str, app: str | None, target_namespace: str, target_app: str | None,
    ports: Sequence[int], name: str,
) -> None:
    """Egress from ``app`` (all pods when None) in ``namespace`` to ``target_app`` in ``target_namespace``."""
    peer: dict[str, Any] = {"namespace_selector": _ns(target_namespace)}
    if target_app:
        peer["pod_selector"] = _pods(target_app)
    _policy(
        scope,
        id_,
        name=name,
        namespace=namespace,
        spec={"pod_selector": _pods(app), "policy_types": ["Egress"], "egress": [{"to": [peer], "ports": _ports(ports)}]},
    )


def allow_from_namespaces(
    scope: Construct, id_: str, *, namespace: str, app: str | None, sources: Sequence[str], ports: Sequence[int],
    name: str,
) -> None:
    """Ingress to ``app`` in ``namespace`` from any pod of the ``sources`` namespaces."""
    _policy(
        scope,
        id_,
        name=name,
        namespace=namespace,
        spec={
            "pod_selector": _pods(app),
            "policy_types": ["Ingress"],
            "ingress": [{"from": [{"namespace_selector": _ns(*sorted(sources))}], "ports": _ports(ports)}],
        },
    )


def allow_internet(
    scope: Construct, id_: str, *, namespace: str, app: str | None, ports: Sequence[int] = (443,), name: str | None = None
) -> None:
    """Egress to public addresses only (private ranges excluded) on ``ports``."""
    _policy(
        scope,
        id_,
        name=name or f"allow-internet-{app or 'all'}",
        namespace=namespace,
        spec={
            "pod_selector": _pods(app),
            "policy_types": ["Egress"],
            "egress": [
                {"to": [{"ip_block": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}], "ports": _ports(ports)}
            ],
        },
    )


def allow_prometheus(scope: Construct, id_: str, *, namespace: str, app: str | None, ports: Sequence[int]) -> None:
    _policy(
        scope,
        id_,
        name=f"allow-prometheus-to-{app or 'all'}",
        namespace=namespace,
        spec={
            "pod_selector": _pods(app),
            "policy_types": ["Ingress"],
            "ingress": [{"from": [{"namespace_selector": _ns(METRICS_NAMESPACE)}], "ports": _ports(ports)}],
        },
    )


def allow_same_namespace(scope: Construct, id_: str, *, namespace: str) -> None:
    """Pods of ``namespace`` may talk to each other (both directions)."""
    _policy(
        scope,
        id_,
        name="allow-same-namespace",
        namespace=namespace,
        spec={
            "pod_selector": {},
            "policy_types": ["Ingress", "Egress"],
            "ingress": [{"from": [{"pod_selector": {}}]}],
            "egress": [{"to": [{"pod_selector": {}}]}],
        },
    )
