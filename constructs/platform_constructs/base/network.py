"""The network-policy helper: default deny per namespace, then allows derived from declared
dependencies. Nothing else in the project writes a NetworkPolicy by hand.

Every namespace created by ``KubernetesStack.namespace`` gets ``default-deny`` (ingress and egress)
plus ``allow-dns``. Components then call one function per dependency:

* ``allow_from_ingress``   — the ingress controller reaches an app's HTTP port;
* ``allow_to_service``      — an app reaches a service in another namespace (its database, …);
* ``allow_from_namespaces`` — the serving side of the same edge (e.g. ``data`` accepts an app);
* ``allow_internet``        — egress to the public internet (HTTPS/HTTP/SMTP ports) only;
* ``allow_prometheus``      — Prometheus (namespace ``metrics``) scrapes a metrics port;
* ``allow_same_namespace``  — pods of one namespace talk to each other (app + its Redis, …);
* ``allow_from_apps`` / ``allow_from_layers`` / ``allow_to_layers`` — edges to named pods or whole layers;
* ``allow_api_server`` / ``allow_to_nodes`` / ``allow_from_anywhere`` — cluster endpoints and edge traffic
  whose addresses are not pods (any address, on named ports only).

Each is one rule built by ``_rule``; only ``default_deny`` and ``allow_same_namespace`` are shaped differently.

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

from platform_constructs.base.labels import LAYER_LABEL, NAME_LABEL
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


def _pods_in(apps: Sequence[str] | None) -> dict[str, Any]:
    if not apps:
        return {}
    return {"match_expressions": [{"key": NAME_LABEL, "operator": "In", "values": sorted(apps)}]}


def _in_layers(layers: Sequence[str]) -> dict[str, Any]:
    return {"namespace_selector": {"match_expressions": [{"key": LAYER_LABEL, "operator": "In", "values": sorted(layers)}]}}


ANYWHERE: dict[str, Any] = {"ip_block": {"cidr": "0.0.0.0/0"}}
INTERNET: dict[str, Any] = {"ip_block": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}


def _rule(
    scope: Construct, id_: str, *, direction: str, name: str, namespace: str, pods: Mapping[str, Any],
    peers: Sequence[Mapping[str, Any]], ports: Sequence[int] | None,
) -> NetworkPolicyV1:
    """One policy with one rule: ``direction`` is "Ingress" (from ``peers``) or "Egress" (to ``peers``)."""
    rule: dict[str, Any] = {"from" if direction == "Ingress" else "to": [dict(p) for p in peers]}
    if ports is not None:
        rule["ports"] = _ports(ports)
    spec = {"pod_selector": dict(pods), "policy_types": [direction], direction.lower(): [rule]}
    return _policy(scope, id_, name=name, namespace=namespace, spec=spec)


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


def allow_from_ingress(
    scope: Construct, id_: str, *, namespace: str, app: str, ports: Sequence[int], name: str | None = None
) -> None:
    """Ingress to ``app`` on ``ports`` from the ingress controller's namespace."""
    _rule(scope, id_, direction="Ingress", name=name or f"allow-ingress-controller-to-{app}", namespace=namespace,
          pods=_pods(app), peers=[{"namespace_selector": _ns(*INGRESS_CONTROLLER_NAMESPACES)}], ports=ports)


def allow_to_service(
    scope: Construct, id_: str, *, namespace: str, app: str | None, target_namespace: str, target_app: str | None,
    ports: Sequence[int], name: str,
) -> None:
    """Egress from ``app`` (all pods when None) in ``namespace`` to ``target_app`` in ``target_namespace``."""
    peer: dict[str, Any] = {"namespace_selector": _ns(target_namespace)}
    if target_app:
        peer["pod_selector"] = _pods(target_app)
    _rule(scope, id_, direction="Egress", name=name, namespace=namespace, pods=_pods(app), peers=[peer], ports=ports)


def allow_from_namespaces(
    scope: Construct, id_: str, *, namespace: str, app: str | None, sources: Sequence[str], ports: Sequence[int],
    name: str,
) -> None:
    """Ingress to ``app`` in ``namespace`` from any pod of the ``sources`` namespaces."""
    _rule(scope, id_, direction="Ingress", name=name, namespace=namespace, pods=_pods(app),
          peers=[{"namespace_selector": _ns(*sorted(sources))}], ports=ports)


def allow_internet(
    scope: Construct, id_: str, *, namespace: str, app: str | None, ports: Sequence[int] = (443,), name: str | None = None
) -> None:
    """Egress to public addresses only (private ranges excluded) on ``ports``."""
    _rule(scope, id_, direction="Egress", name=name or f"allow-internet-{app or 'all'}", namespace=namespace,
          pods=_pods(app), peers=[INTERNET], ports=ports)


def allow_prometheus(scope: Construct, id_: str, *, namespace: str, app: str | None, ports: Sequence[int]) -> None:
    """Ingress to ``app`` on its metrics ``ports`` from Prometheus (namespace ``metrics``)."""
    _rule(scope, id_, direction="Ingress", name=f"allow-prometheus-to-{app or 'all'}", namespace=namespace,
          pods=_pods(app), peers=[{"namespace_selector": _ns(METRICS_NAMESPACE)}], ports=ports)


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


def allow_api_server(
    scope: Construct, id_: str, *, namespace: str, apps: Sequence[str] | None, name: str = "allow-api-server"
) -> None:
    """Egress from ``apps`` (all pods when None) to the Kubernetes API server: TCP 443 and 6443 to any address.

    The API server's address is not a pod and differs per cluster (DOKS: a public control-plane
    address; minikube: a node IP), so a narrower peer would break one of them.
    """
    _rule(scope, id_, direction="Egress", name=name, namespace=namespace, pods=_pods_in(apps), peers=[ANYWHERE],
          ports=[443, 6443])


def allow_from_anywhere(scope: Construct, id_: str, *, namespace: str, app: str, ports: Sequence[int], name: str) -> None:
    """Ingress to ``app`` from any address on ``ports`` (the edge proxy, or a webhook the API server calls)."""
    _rule(scope, id_, direction="Ingress", name=name, namespace=namespace, pods=_pods(app), peers=[ANYWHERE], ports=ports)


def allow_from_apps(
    scope: Construct, id_: str, *, namespace: str, app: str, source_namespace: str, source_apps: Sequence[str],
    ports: Sequence[int], name: str,
) -> None:
    """Ingress to ``app`` from the pods named ``source_apps`` of ``source_namespace`` only."""
    peer = {"namespace_selector": _ns(source_namespace), "pod_selector": _pods_in(source_apps)}
    _rule(scope, id_, direction="Ingress", name=name, namespace=namespace, pods=_pods(app), peers=[peer], ports=ports)


def allow_to_layers(scope: Construct, id_: str, *, namespace: str, app: str, layers: Sequence[str], name: str) -> None:
    """Egress from ``app`` to every pod of the namespaces labelled with one of ``layers`` (any port).

    For the ingress controller, which proxies to whatever port each app's Service declares; the
    serving side still opens only its own port (``allow_from_ingress``).
    """
    _rule(scope, id_, direction="Egress", name=name, namespace=namespace, pods=_pods(app), peers=[_in_layers(layers)],
          ports=None)


def allow_to_nodes(scope: Construct, id_: str, *, namespace: str, app: str, ports: Sequence[int], name: str) -> None:
    """Egress from ``app`` to node addresses on ``ports`` (kubelet 10250, host-network exporters).

    Node IPs are not pods and are only known at run time, so the peer is any address.
    """
    _rule(scope, id_, direction="Egress", name=name, namespace=namespace, pods=_pods(app), peers=[ANYWHERE], ports=ports)


def allow_from_layers(
    scope: Construct, id_: str, *, namespace: str, app: str, layers: Sequence[str], ports: Sequence[int], name: str
) -> None:
    """Ingress to ``app`` on ``ports`` from every namespace labelled with one of ``layers`` (e.g. all apps)."""
    _rule(scope, id_, direction="Ingress", name=name, namespace=namespace, pods=_pods(app), peers=[_in_layers(layers)],
          ports=ports)
