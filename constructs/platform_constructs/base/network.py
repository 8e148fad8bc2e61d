"""The network-policy helper: default deny per namespace, then allows derived from declared
dependencies. Nothing else in the project writes a NetworkPolicy (or a CiliumNetworkPolicy) by hand.

Every namespace created by ``KubernetesStack.namespace`` gets ``default-deny`` (ingress and egress)
plus ``allow-dns``. Components then call one function per dependency:

* ``allow_from_ingress``    — the env's ingress controller pods reach an app's HTTP port;
* ``allow_to_service``      — pods reach a service in another namespace (their database, …);
* ``allow_from_namespaces`` — the serving side of the same edge (e.g. ``data`` accepts an app);
* ``allow_from_apps``       — the serving side, narrowed to named pods of one namespace;
* ``allow_internet``        — egress to public addresses only (private ranges excluded) on named ports;
* ``allow_prometheus``      — Prometheus (namespace ``metrics``) scrapes a metrics port;
* ``allow_same_namespace``  — pods of one namespace talk to each other (app + its Redis, …);
* ``allow_to_layers`` / ``allow_from_layers`` — edges to every pod of whole layers;
* peers that are not pods, named the way the env's CNI can name them (``config.network.cni``):
  ``allow_api_server`` (pods → API server), ``allow_from_api_server`` (API server → a webhook),
  ``allow_to_nodes`` (kubelet, host-network exporters), ``allow_from_edge`` (load balancer → the
  ingress controller).

Each is one rule built by ``_rule``: a plain ``networking.k8s.io/v1`` NetworkPolicy whenever the
peers are pods, namespaces or CIDRs, and a ``cilium.io/v2`` CiliumNetworkPolicy only when a peer is
a Cilium entity (which a NetworkPolicy cannot express). ``default_deny`` and
``allow_same_namespace`` are the only policies shaped differently.

Why entities on Cilium (DOKS and minikube ``--cni=cilium``): Cilium's CIDR selectors never match
the API server, nodes or pods ("CIDR rules do not apply to traffic where both sides of the
connection are either managed by Cilium or use an IP belonging to a node in the cluster";
"you must ordinarily use the kube-apiserver entity" — cilium/cilium
Documentation/security/policy/language.rst, sections "IP/CIDR based" and "Selecting nodes with
CIDR / ipBlock", https://docs.cilium.io/en/v1.19/security/policy/language/), so an ipBlock
``0.0.0.0/0`` on 443 reaches neither the DOKS control plane (cilium/cilium#33525: an ipBlock of the
public API endpoint is dropped, ``toEntities: kube-apiserver`` passes) nor a kubelet. The model the
contract test evaluates these policies with is ``tests/support/cni_model.py``; the decision record
is docs/decisions/0011-network-policies-per-cni.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from cdktf_cdktf_provider_kubernetes.network_policy_v1 import (
    NetworkPolicyV1,
    NetworkPolicyV1Metadata,
    NetworkPolicyV1Spec,
)
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.labels import LAYER_LABEL, NAME_LABEL
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.structs import build

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace (immutable), so policies can select namespaces by name."""
CILIUM_NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace"
"""How a Cilium endpoint selector names the pod's namespace (language.rst, "Namespaces")."""
METRICS_NAMESPACE = "metrics"
KUBE_SYSTEM = "kube-system"
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10")

# Who serves the env's ingress class (``infra.ingress.controller``): (namespace, pod name label).
INGRESS_CONTROLLERS: dict[str, tuple[str, str]] = {
    "traefik": ("infra", "traefik"),  # our release (infra/traefik.py): release name = pod name label
    # minikube's addon: pods labelled app.kubernetes.io/name=ingress-nginx in namespace ingress-nginx
    # (kubernetes/minikube v1.38.1, deploy/addons/ingress/ingress-deploy.yaml.tmpl).
    "minikube-addon": ("ingress-nginx", "ingress-nginx"),
}

# Cilium entities (language.rst, "Entities based").
KUBE_APISERVER = "kube-apiserver"  # the API server, in or outside the cluster (DOKS: outside)
HOST = "host"  # the local node, host-network pods included
REMOTE_NODE = "remote-node"  # every other node, host-network pods included
WORLD = "world"  # everything outside the cluster (= 0.0.0.0/0 for Cilium)

Pods = str | Mapping[str, str] | Sequence[str] | None
"""Which pods a rule is about: a name label value, a label set, several name label values, or all."""


def _selector(pods: Pods) -> dict[str, Any]:
    """A label selector (snake_case, as the provider's NetworkPolicy schema wants it)."""
    if pods is None:
        return {}
    if isinstance(pods, str):
        return {"match_labels": {NAME_LABEL: pods}}
    if isinstance(pods, Mapping):
        return {"match_labels": dict(pods)}
    return {"match_expressions": [{"key": NAME_LABEL, "operator": "In", "values": sorted(pods)}]}


def _ns(*names: str) -> dict[str, Any]:
    return {"match_expressions": [{"key": NAMESPACE_NAME_LABEL, "operator": "In", "values": sorted(names)}]}


def _ports(ports: Sequence[int], protocol: str = "TCP") -> list[dict[str, str]]:
    return [{"port": str(p), "protocol": protocol} for p in ports]


def _in_layers(layers: Sequence[str]) -> dict[str, Any]:
    return {"namespace_selector": {"match_expressions": [{"key": LAYER_LABEL, "operator": "In", "values": sorted(layers)}]}}


def _pods_in(namespace: str, pods: Pods = None) -> dict[str, Any]:
    """Peer: ``pods`` of ``namespace`` (every pod of it when None)."""
    peer: dict[str, Any] = {"namespace_selector": _ns(namespace)}
    if pods is not None:
        peer["pod_selector"] = _selector(pods)
    return peer


def _cidr(cidr: str, exclude: Sequence[str] = ()) -> dict[str, Any]:
    return {"ip_block": {"cidr": cidr, **({"except": list(exclude)} if exclude else {})}}


def _entities(*names: str) -> dict[str, Any]:
    """Peer only a CiliumNetworkPolicy can name; ``_rule`` switches to one when it meets it."""
    return {"entities": sorted(names)}


INTERNET: dict[str, Any] = _cidr("0.0.0.0/0", PRIVATE_RANGES)
ANYWHERE: dict[str, Any] = _cidr("0.0.0.0/0")


def _config(scope: Construct) -> PlatformConfig:
    return LayerStack.of(scope).config


# --- peers that are not pods, per CNI ------------------------------------------------------------


def api_server_peers(config: PlatformConfig) -> list[dict[str, Any]]:
    """The API server. Cilium: the ``kube-apiserver`` entity; calico: the configured endpoints."""
    net = config.network
    if net.cni == "cilium":
        return [_entities(KUBE_APISERVER)]
    return [_cidr(c) for c in net.api_server_cidrs]


def api_server_caller_peers(config: PlatformConfig) -> list[dict[str, Any]]:
    """Who an admission webhook sees calling: the API server itself, or the tunnel agents it uses.

    Managed control planes reach in-cluster webhooks through ``konnectivity-agent`` pods in
    kube-system, so the call arrives with a pod source address (tigera/operator#5212 for AKS/GKE;
    the issue's DOKS finding 5). Their labels differ per provider and are not published for DOKS,
    so the peer is every kube-system pod (managed by the provider), on the webhook port only.
    """
    return [*api_server_peers(config), _pods_in(KUBE_SYSTEM)]


def node_peers(config: PlatformConfig) -> list[dict[str, Any]]:
    """Node addresses (kubelet, host-network pods). Cilium: ``host`` + ``remote-node``."""
    net = config.network
    if net.cni == "cilium":
        return [_entities(HOST, REMOTE_NODE)]
    return [_cidr(c) for c in net.node_cidrs]


def edge_peers(config: PlatformConfig) -> list[dict[str, Any]]:
    """Load-balancer traffic to the ingress controller.

    Cilium: ``world``, plus ``remote-node`` because with ``externalTrafficPolicy: Cluster`` a
    connection the LB hands to a node without a Traefik pod is forwarded and arrives with the
    remote-node identity (cilium/cilium Documentation/security/policy/caveats.rst, "Security
    Identity for N/S Service Traffic"), plus ``host`` for the same hop on the pod's own node.
    Elsewhere the edge is the internet: any address.
    """
    if config.network.cni == "cilium":
        return [_entities(WORLD, REMOTE_NODE, HOST)]
    return [ANYWHERE]


# --- the one rule builder ------------------------------------------------------------------------


def _policy(scope: Construct, id_: str, *, name: str, namespace: str, spec: Mapping[str, Any]) -> NetworkPolicyV1:
    return NetworkPolicyV1(
        scope,
        id_,
        metadata=build(NetworkPolicyV1Metadata, {"name": name, "namespace": namespace}),
        spec=build(NetworkPolicyV1Spec, spec),
    )


def _camel_selector(selector: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "match_labels" in selector:
        out["matchLabels"] = dict(selector["match_labels"])
    if "match_expressions" in selector:
        out["matchExpressions"] = [dict(e) for e in selector["match_expressions"]]
    return out


def _cilium_peer(peer: Mapping[str, Any], direction: str) -> dict[str, Any]:
    """One NetworkPolicy-style peer as the L3 part of a Cilium rule."""
    side = "from" if direction == "Ingress" else "to"
    if "entities" in peer:
        return {f"{side}Entities": list(peer["entities"])}
    if "ip_block" in peer:
        block = peer["ip_block"]
        return {f"{side}CIDRSet": [{"cidr": block["cidr"], **({"except": list(block["except"])} if "except" in block else {})}]}
    selector = _camel_selector(peer.get("pod_selector", {}))
    names = peer["namespace_selector"]["match_expressions"][0]
    assert names["key"] == NAMESPACE_NAME_LABEL, f"Cilium peers select namespaces by name only, not {names['key']}"
    selector.setdefault("matchExpressions", []).append(
        {"key": CILIUM_NAMESPACE_LABEL, "operator": "In", "values": list(names["values"])}
    )
    return {f"{side}Endpoints": [selector]}


def _cilium_policy(
    scope: Construct, id_: str, *, direction: str, name: str, namespace: str, pods: Mapping[str, Any],
    peers: Sequence[Mapping[str, Any]], ports: Sequence[int] | None,
) -> Manifest:
    rules = []
    for peer in peers:
        rule = _cilium_peer(peer, direction)
        if ports is not None:
            rule["toPorts"] = [{"ports": [{"port": str(p), "protocol": "TCP"} for p in ports]}]
        rules.append(rule)
    return Manifest(
        scope,
        id_,
        manifest={
            "apiVersion": "cilium.io/v2",
            "kind": "CiliumNetworkPolicy",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"endpointSelector": _camel_selector(pods), direction.lower(): rules},
        },
    )


def _rule(
    scope: Construct, id_: str, *, direction: str, name: str, namespace: str, pods: Pods,
    peers: Sequence[Mapping[str, Any]], ports: Sequence[int] | None,
) -> NetworkPolicyV1 | Manifest | None:
    """One policy with one rule: ``direction`` is "Ingress" (from ``peers``) or "Egress" (to ``peers``).

    A NetworkPolicy unless a peer is a Cilium entity; None when the env's CNI cannot name any peer
    (cni = "none": nothing is enforced, and no address is configured for non-pod peers).
    """
    if not peers:
        return None
    selector = _selector(pods)
    if any("entities" in p for p in peers):
        return _cilium_policy(scope, id_, direction=direction, name=name, namespace=namespace, pods=selector,
                              peers=peers, ports=ports)
    rule: dict[str, Any] = {"from" if direction == "Ingress" else "to": [dict(p) for p in peers]}
    if ports is not None:
        rule["ports"] = _ports(ports)
    spec = {"pod_selector": selector, "policy_types": [direction], direction.lower(): [rule]}
    return _policy(scope, id_, name=name, namespace=namespace, spec=spec)


Policy = NetworkPolicyV1 | Manifest | None


def built(policies: Sequence[Policy]) -> list[NetworkPolicyV1 | Manifest]:
    """The policies this env has (None: the CNI cannot name that peer), e.g. for a release's depends_on."""
    return [p for p in policies if p is not None]


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
                    "to": [{"namespace_selector": _ns(KUBE_SYSTEM)}],
                    "ports": _ports([53], "UDP") + _ports([53], "TCP"),
                }
            ],
        },
    )


def allow_from_ingress(
    scope: Construct, id_: str, *, namespace: str, app: Pods, ports: Sequence[int], name: str | None = None
) -> Policy:
    """Ingress to ``app`` on ``ports`` from the env's ingress controller pods only."""
    controller_ns, controller_app = INGRESS_CONTROLLERS[_config(scope).infra.ingress.controller]
    label = app if isinstance(app, str) else "pods"
    return _rule(scope, id_, direction="Ingress", name=name or f"allow-ingress-controller-to-{label}",
                 namespace=namespace, pods=app, peers=[_pods_in(controller_ns, controller_app)], ports=ports)


def allow_to_service(
    scope: Construct, id_: str, *, namespace: str, app: Pods, target_namespace: str, target_app: Pods,
    ports: Sequence[int], name: str,
) -> Policy:
    """Egress from ``app`` (all pods when None) in ``namespace`` to ``target_app`` in ``target_namespace``."""
    return _rule(scope, id_, direction="Egress", name=name, namespace=namespace, pods=app,
                 peers=[_pods_in(target_namespace, target_app)], ports=ports)


def allow_from_namespaces(
    scope: Construct, id_: str, *, namespace: str, app: Pods, sources: Sequence[str], ports: Sequence[int], name: str,
) -> Policy:
    """Ingress to ``app`` in ``namespace`` from any pod of the ``sources`` namespaces."""
    return _rule(scope, id_, direction="Ingress", name=name, namespace=namespace, pods=app,
                 peers=[{"namespace_selector": _ns(*sources)}], ports=ports)


def allow_internet(
    scope: Construct, id_: str, *, namespace: str, app: Pods, ports: Sequence[int] = (443,), name: str | None = None
) -> Policy:
    """Egress to public addresses only (private ranges excluded) on ``ports``."""
    label = app if isinstance(app, str) else "all" if app is None else "pods"
    return _rule(scope, id_, direction="Egress", name=name or f"allow-internet-{label}", namespace=namespace,
                 pods=app, peers=[INTERNET], ports=ports)


def allow_prometheus(scope: Construct, id_: str, *, namespace: str, app: str, ports: Sequence[int]) -> Policy:
    """Ingress to ``app`` on its metrics ``ports`` from Prometheus pods (namespace ``metrics``)."""
    return _rule(scope, id_, direction="Ingress", name=f"allow-prometheus-to-{app}", namespace=namespace,
                 pods=app, peers=[_pods_in(METRICS_NAMESPACE, "prometheus")], ports=ports)


def allow_same_namespace(scope: Construct, id_: str, *, namespace: str) -> NetworkPolicyV1:
    """Pods of ``namespace`` may talk to each other (both directions)."""
    return _policy(
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


def allow_api_server(scope: Construct, id_: str, *, namespace: str, apps: Pods, name: str) -> Policy:
    """Egress from ``apps`` to the Kubernetes API server, on the env's API server ports (after DNAT)."""
    config = _config(scope)
    return _rule(scope, id_, direction="Egress", name=name, namespace=namespace, pods=apps,
                 peers=api_server_peers(config), ports=config.network.api_server_ports)


def allow_from_api_server(scope: Construct, id_: str, *, namespace: str, app: Pods, ports: Sequence[int],
                          name: str) -> Policy:
    """Ingress to an admission webhook ``app`` on ``ports`` from the API server (or its konnectivity agents)."""
    return _rule(scope, id_, direction="Ingress", name=name, namespace=namespace, pods=app,
                 peers=api_server_caller_peers(_config(scope)), ports=ports)


def allow_from_edge(scope: Construct, id_: str, *, namespace: str, app: Pods, ports: Sequence[int], name: str) -> Policy:
    """Ingress to the ingress controller ``app`` on its public ``ports`` from the load balancer."""
    return _rule(scope, id_, direction="Ingress", name=name, namespace=namespace, pods=app,
                 peers=edge_peers(_config(scope)), ports=ports)


def allow_to_nodes(scope: Construct, id_: str, *, namespace: str, app: Pods, ports: Sequence[int], name: str) -> Policy:
    """Egress from ``app`` to node addresses on ``ports`` (kubelet 10250, host-network exporters)."""
    return _rule(scope, id_, direction="Egress", name=name, namespace=namespace, pods=app,
                 peers=node_peers(_config(scope)), ports=ports)


def allow_from_apps(
    scope: Construct, id_: str, *, namespace: str, app: Pods, source_namespace: str, source_apps: Pods,
    ports: Sequence[int], name: str,
) -> Policy:
    """Ingress to ``app`` from the pods ``source_apps`` of ``source_namespace`` only."""
    return _rule(scope, id_, direction="Ingress", name=name, namespace=namespace, pods=app,
                 peers=[_pods_in(source_namespace, source_apps)], ports=ports)


def allow_to_layers(scope: Construct, id_: str, *, namespace: str, app: Pods, layers: Sequence[str], name: str) -> Policy:
    """Egress from ``app`` to every pod of the namespaces labelled with one of ``layers`` (any port).

    For the ingress controller, which proxies to whatever port each app's Service declares; the
    serving side still opens only its own pods and port (``allow_from_ingress``).
    """
    return _rule(scope, id_, direction="Egress", name=name, namespace=namespace, pods=app, peers=[_in_layers(layers)],
                 ports=None)


def allow_from_layers(
    scope: Construct, id_: str, *, namespace: str, app: Pods, layers: Sequence[str], ports: Sequence[int], name: str
) -> Policy:
    """Ingress to ``app`` on ``ports`` from every namespace labelled with one of ``layers``."""
    return _rule(scope, id_, direction="Ingress", name=name, namespace=namespace, pods=app, peers=[_in_layers(layers)],
                 ports=ports)
