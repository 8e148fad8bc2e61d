"""A written model of how each CNI enforces the synthesized policies, for the connectivity contract.

The model reads the policies out of ``cdk.tf.json`` (``kubernetes_network_policy_v1`` resources and
``kubernetes_manifest`` CiliumNetworkPolicies) and answers one question: is this flow (source,
destination, port) allowed, and by which policies? Every external fact it relies on is written next
to the code that uses it, with its upstream source.

Kubernetes NetworkPolicy (https://kubernetes.io/docs/concepts/services-networking/network-policies/):
* a pod is isolated for egress (ingress) when any NetworkPolicy of its namespace selects it and lists
  Egress (Ingress) in ``policyTypes``; an isolated pod's traffic in that direction is allowed only if
  some selecting policy allows it; policies are additive (a union, never a deny);
* a connection needs both the source's egress and the destination's ingress allowed;
* peers: ``podSelector`` alone = pods of the policy's namespace; ``namespaceSelector`` alone = every
  pod of matching namespaces; both = matching pods of matching namespaces; ``ipBlock`` = addresses
  in ``cidr`` outside ``except``; an empty ``to``/``from`` list = every peer;
* ports: a number, or a name resolved against the destination pod's container ports (``endPort``
  closes a range); no ``ports`` = every port. Traffic to a Service is evaluated after its DNAT, i.e.
  at the pod's container port ("Layer 4 policies apply to ports after service port mapping has
  been applied", cilium/cilium Documentation/security/policy/language.rst, "Layer 4 Examples").

Cilium (cilium/cilium Documentation/security/policy/language.rst at v1.19, stored commit 012a3bf;
https://docs.cilium.io/en/v1.19/security/policy/language/):
* NetworkPolicies and CiliumNetworkPolicies are both turned into Cilium rules: an endpoint is in
  default deny for a direction once any rule selecting it has that section ("Ingress/Egress Default
  Deny"), and any rule that allows a flow allows it (union); deny rules (``ingressDeny``/
  ``egressDeny``) win over allows;
* entities: ``world`` = outside the cluster; ``host`` = the local node, host-network pods included;
  ``remote-node`` = every other node; ``kube-apiserver`` = the API server, in or outside the cluster;
  ``cluster`` = every endpoint of the cluster (pods, host, remote nodes); ``all`` = everything;
* CIDR rules (ipBlock, toCIDRSet) "do not apply to traffic where both sides of the connection are
  either managed by Cilium or use an IP belonging to a node in the cluster (including host
  networking pods)"; "by default, CIDR-based selectors do not match in-cluster entities (pods or
  nodes)" and the API server needs the ``kube-apiserver`` entity ("Selecting nodes with CIDR /
  ipBlock"); cilium/cilium#33525: an ipBlock of an external control-plane address is dropped while
  ``toEntities: kube-apiserver`` passes. So a CIDR peer matches only ``world`` addresses;
* traffic from the local host to its own endpoints is always allowed ("Kubernetes will automatically
  allow all communication from the local host of all local endpoints", "Access to/from local host");
* a CiliumNetworkPolicy endpoint selector without a namespace key is limited to the policy's
  namespace (pkg/k8s/apis/cilium.io/utils/utils.go, getEndpointSelector; the key is
  ``k8s:io.kubernetes.pod.namespace``, matchExpressions included: pkg/policy/api/selector.go HasKey).

Calico (``cni = "calico"``): the Kubernetes semantics above, with ipBlock matching any address,
node and API-server addresses included (https://docs.tigera.io/calico/latest/network-policy/get-started/kubernetes-policy/kubernetes-network-policy;
Calico has no entity concept, so the config names those addresses).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
CILIUM_NAMESPACE_KEY = "io.kubernetes.pod.namespace"
NODE_IDENTITIES = frozenset({"host", "remote-node"})


# --- what flows between -------------------------------------------------------------------------


@dataclass(frozen=True)
class Pod:
    """A pod as the cluster runs it: namespace, labels, named container ports, an address."""

    name: str
    namespace: str
    labels: Mapping[str, str]
    ports: Mapping[str, int] = field(default_factory=dict)
    ip: str = "10.244.0.10"

    def __str__(self) -> str:
        return f"pod {self.namespace}/{self.name}"


@dataclass(frozen=True)
class Outside:
    """A peer that is not a pod: the API server, a node, the internet. ``identities``: Cilium's view."""

    name: str
    ip: str
    identities: frozenset[str]

    def __str__(self) -> str:
        return f"{self.name} ({self.ip})"


Endpoint = Pod | Outside


@dataclass(frozen=True)
class Flow:
    src: Endpoint
    dst: Endpoint
    port: int
    why: str
    protocol: str = "TCP"

    def __str__(self) -> str:
        return f"{self.src} → {self.dst} :{self.port}/{self.protocol} ({self.why})"


# --- policies, parsed -------------------------------------------------------------------------


def _one(node: Any) -> Any:
    return node[0] if isinstance(node, list) and len(node) == 1 else node


def _list(node: Any) -> list[Any]:
    if node is None:
        return []
    return node if isinstance(node, list) else [node]


@dataclass(frozen=True)
class Selector:
    """A label selector: matchLabels ∧ matchExpressions (In, NotIn, Exists, DoesNotExist)."""

    labels: Mapping[str, str]
    expressions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @classmethod
    def parse(cls, raw: Any, *, camel: bool = False) -> Selector:
        raw = _one(raw) or {}
        labels = raw.get("matchLabels" if camel else "match_labels") or {}
        exprs = tuple(
            (e["key"], e["operator"], tuple(e.get("values") or ()))
            for e in _list(raw.get("matchExpressions" if camel else "match_expressions"))
        )
        return cls(dict(labels), exprs)

    def matches(self, labels: Mapping[str, str]) -> bool:
        if any(labels.get(k) != v for k, v in self.labels.items()):
            return False
        for key, op, values in self.expressions:
            present = key in labels
            if op == "In" and not (present and labels[key] in values):
                return False
            if op == "NotIn" and present and labels[key] in values:
                return False
            if op == "Exists" and not present:
                return False
            if op == "DoesNotExist" and present:
                return False
        return True


@dataclass(frozen=True)
class PortSpec:
    port: int | str | None  # None: every port of the protocol
    protocol: str = "TCP"
    end_port: int | None = None

    def matches(self, flow: Flow) -> bool:
        if self.protocol not in ("", "ANY") and self.protocol != flow.protocol:
            return False
        if self.port is None:
            return True
        if isinstance(self.port, str) and not self.port.isdigit():
            # Named port: the destination pod's container port of that name (NetworkPolicyPort docs).
            number = flow.dst.ports.get(self.port) if isinstance(flow.dst, Pod) else None
            return number == flow.port
        low = int(self.port)
        return low <= flow.port <= (self.end_port or low)


@dataclass(frozen=True)
class Peer:
    """One peer of a rule. kind: pods (NetworkPolicy), endpoints (Cilium), cidr, entity."""

    kind: str
    namespaces: Selector | None = None  # pods: namespaceSelector (None = the policy's namespace)
    pods: Selector | None = None
    cidr: str = ""
    excepts: tuple[str, ...] = ()
    entity: str = ""


@dataclass(frozen=True)
class Rule:
    peers: tuple[Peer, ...] | None  # None: any peer
    ports: tuple[PortSpec, ...] | None  # None: any port


@dataclass
class Policy:
    address: str
    kind: str  # NetworkPolicy | CiliumNetworkPolicy
    name: str
    namespace: str
    selector: Selector
    isolates: frozenset[str]
    rules: dict[str, list[Rule]]  # Ingress/Egress → allow rules
    denies: dict[str, list[Rule]] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name} ({self.address})"


def _np_ports(raw: Any) -> tuple[PortSpec, ...] | None:
    items = _list(raw)
    if not items:
        return None
    return tuple(
        PortSpec(p.get("port"), p.get("protocol") or "TCP", int(p["end_port"]) if p.get("end_port") else None)
        for p in items
    )


def _np_peer(raw: Mapping[str, Any]) -> Peer:
    if "ip_block" in raw:
        block = _one(raw["ip_block"])
        return Peer("cidr", cidr=block["cidr"], excepts=tuple(block.get("except") or ()))
    ns = Selector.parse(raw["namespace_selector"]) if "namespace_selector" in raw else None
    pods = Selector.parse(raw["pod_selector"]) if "pod_selector" in raw else None
    return Peer("pods", namespaces=ns, pods=pods)


def _network_policy(address: str, body: Mapping[str, Any], namespace: str) -> Policy:
    meta, spec = _one(body["metadata"]), _one(body["spec"])
    rules: dict[str, list[Rule]] = {"Ingress": [], "Egress": []}
    for direction, key, side in (("Ingress", "ingress", "from"), ("Egress", "egress", "to")):
        for raw in _list(spec.get(key)):
            peers = _list(raw.get(side))
            rules[direction].append(Rule(tuple(_np_peer(p) for p in peers) if peers else None, _np_ports(raw.get("ports"))))
    return Policy(address, "NetworkPolicy", meta["name"], namespace, Selector.parse(spec.get("pod_selector")),
                  frozenset(spec.get("policy_types") or ()), rules)


def _cilium_rules(raw_rules: Any, direction: str, namespace: str) -> list[Rule]:
    side = "from" if direction == "Ingress" else "to"
    out: list[Rule] = []
    for raw in _list(raw_rules):
        peers: list[Peer] = []
        for entity in raw.get(f"{side}Entities") or ():
            peers.append(Peer("entity", entity=entity))
        for block in raw.get(f"{side}CIDRSet") or ():
            peers.append(Peer("cidr", cidr=block["cidr"], excepts=tuple(block.get("except") or ())))
        for cidr in raw.get(f"{side}CIDR") or ():
            peers.append(Peer("cidr", cidr=cidr))
        for sel in raw.get(f"{side}Endpoints") or ():
            peers.append(Peer("endpoints", pods=_cilium_selector(sel, namespace)))
        ports = [
            PortSpec(p.get("port"), (p.get("protocol") or "ANY").upper(), p.get("endPort"))
            for to_port in raw.get("toPorts") or () for p in to_port.get("ports") or ()
        ]
        has_l3 = any(f"{side}{k}" in raw for k in ("Entities", "CIDRSet", "CIDR", "Endpoints"))
        out.append(Rule(tuple(peers) if has_l3 else None, tuple(ports) or None))
    return out


def _cilium_selector(raw: Mapping[str, Any], namespace: str) -> Selector:
    """Labels without a source prefix; a selector naming no namespace gets the policy's (utils.go)."""
    def bare(key: str) -> str:
        return key.split(":", 1)[1] if key.startswith(("k8s:", "any:")) else key

    sel = Selector.parse(raw, camel=True)
    labels = {bare(k): v for k, v in sel.labels.items()}
    exprs = tuple((bare(k), op, vals) for k, op, vals in sel.expressions)
    if CILIUM_NAMESPACE_KEY not in labels and all(k != CILIUM_NAMESPACE_KEY for k, _, _ in exprs):
        labels[CILIUM_NAMESPACE_KEY] = namespace
    return Selector(labels, exprs)


def _cilium_policy(address: str, manifest: Mapping[str, Any], namespace: str) -> Policy:
    spec = manifest["spec"]
    rules = {d: _cilium_rules(spec.get(d.lower()), d, namespace) for d in ("Ingress", "Egress")}
    denies = {d: _cilium_rules(spec.get(f"{d.lower()}Deny"), d, namespace) for d in ("Ingress", "Egress")}
    isolates = frozenset(d for d in ("Ingress", "Egress") if d.lower() in spec or f"{d.lower()}Deny" in spec)
    return Policy(address, "CiliumNetworkPolicy", manifest["metadata"]["name"], namespace,
                  Selector.parse(spec.get("endpointSelector"), camel=True), isolates, rules, denies)


def namespace_tokens(stacks: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    tokens = {}
    for stack in stacks.values():
        for rid, ns in stack.get("resource", {}).get("kubernetes_namespace_v1", {}).items():
            tokens[f"${{kubernetes_namespace_v1.{rid}.metadata[0].name}}"] = _one(ns["metadata"])["name"]
    return tokens


def namespace_labels(stacks: Mapping[str, Mapping[str, Any]], extra: Iterable[str] = ()) -> dict[str, dict[str, str]]:
    """Labels of every namespace: ours from the JSON; others (kube-system…) carry only their name label."""
    out = {name: {NAMESPACE_NAME_LABEL: name} for name in extra}
    for stack in stacks.values():
        for ns in stack.get("resource", {}).get("kubernetes_namespace_v1", {}).values():
            meta = _one(ns["metadata"])
            # The API server sets kubernetes.io/metadata.name on every namespace (immutable).
            out[meta["name"]] = {**(meta.get("labels") or {}), NAMESPACE_NAME_LABEL: meta["name"]}
    return out


def _resolve(node: Any, tokens: Mapping[str, str]) -> Any:
    """Namespace-name tokens as OpenTofu resolves them (the namespace's configured name)."""
    if isinstance(node, str):
        return tokens.get(node, node)
    if isinstance(node, list):
        return [_resolve(item, tokens) for item in node]
    if isinstance(node, Mapping):
        return {key: _resolve(value, tokens) for key, value in node.items()}
    return node


def parse_policies(stacks: Mapping[str, Mapping[str, Any]]) -> list[Policy]:
    tokens = namespace_tokens(stacks)
    found: list[Policy] = []
    for stack_name, stack in stacks.items():
        resources = _resolve(stack.get("resource", {}), tokens)
        for key, body in resources.get("kubernetes_network_policy_v1", {}).items():
            ns = _one(body["metadata"])["namespace"]
            found.append(_network_policy(f"{stack_name}:kubernetes_network_policy_v1.{key}", body, ns))
        for key, body in resources.get("kubernetes_manifest", {}).items():
            manifest = body["manifest"]
            if manifest.get("kind") == "CiliumNetworkPolicy":
                ns = manifest["metadata"]["namespace"]
                found.append(_cilium_policy(f"{stack_name}:kubernetes_manifest.{key}", manifest, ns))
    return found


# --- the CNIs -------------------------------------------------------------------------------------


@dataclass
class Verdict:
    allowed: bool
    egress: list[Policy]  # policies that allowed the source's egress (empty: not isolated, or denied)
    ingress: list[Policy]
    reason: str

    def describe(self) -> str:
        names = lambda ps: ", ".join(str(p) for p in ps) or "none"  # noqa: E731
        return f"{self.reason}; egress allowed by: {names(self.egress)}; ingress allowed by: {names(self.ingress)}"


class Cni:
    """Kubernetes NetworkPolicy semantics; subclasses change how non-pod peers match."""

    name = "kubernetes"
    enforces = True

    def __init__(self, policies: Sequence[Policy], namespaces: Mapping[str, Mapping[str, str]]) -> None:
        self.policies = list(policies)
        self.namespaces = namespaces
        unknown = {p.namespace for p in self.policies} - set(namespaces)
        assert not unknown, f"policies in namespaces the model does not know: {sorted(unknown)}"

    # peers
    def cidr_matches(self, peer: Peer, other: Endpoint) -> bool:
        address = ipaddress.ip_address(other.ip)
        if address not in ipaddress.ip_network(peer.cidr):
            return False
        return not any(address in ipaddress.ip_network(e) for e in peer.excepts)

    def entity_matches(self, peer: Peer, other: Endpoint) -> bool:
        raise AssertionError(f"{self.name}: a policy names the Cilium entity {peer.entity!r}, which this CNI ignores")

    def pod_labels(self, pod: Pod) -> dict[str, str]:
        return {**pod.labels, CILIUM_NAMESPACE_KEY: pod.namespace}

    def peer_matches(self, policy: Policy, peer: Peer, other: Endpoint) -> bool:
        if peer.kind == "cidr":
            return self.cidr_matches(peer, other)
        if peer.kind == "entity":
            return self.entity_matches(peer, other)
        if not isinstance(other, Pod):
            return False
        if peer.kind == "endpoints":
            return peer.pods is not None and peer.pods.matches(self.pod_labels(other))
        if peer.namespaces is None:
            in_ns = other.namespace == policy.namespace
        else:
            in_ns = peer.namespaces.matches(self.namespaces.get(other.namespace, {}))
        return in_ns and (peer.pods is None or peer.pods.matches(other.labels))

    def rule_matches(self, policy: Policy, rule: Rule, other: Endpoint, flow: Flow) -> bool:
        if rule.ports is not None and not any(p.matches(flow) for p in rule.ports):
            return False
        return rule.peers is None or any(self.peer_matches(policy, peer, other) for peer in rule.peers)

    # one side of a connection
    def selecting(self, pod: Pod, direction: str) -> list[Policy]:
        return [p for p in self.policies if p.namespace == pod.namespace and direction in p.isolates
                and p.selector.matches(pod.labels)]

    def side(self, pod: Pod, direction: str, other: Endpoint, flow: Flow) -> tuple[bool, list[Policy], str]:
        """(allowed, policies that allow it, why not) for one end of the connection."""
        selecting = self.selecting(pod, direction)
        if not selecting:
            return True, [], ""  # not isolated in that direction
        for policy in selecting:
            if any(self.rule_matches(policy, r, other, flow) for r in policy.denies.get(direction, [])):
                return False, [], f"{pod}: {direction.lower()} denied by {policy}"
        allowing = [p for p in selecting if any(self.rule_matches(p, r, other, flow) for r in p.rules.get(direction, []))]
        if allowing:
            return True, allowing, ""
        isolating = ", ".join(p.name for p in selecting)
        return False, [], f"{pod}: {direction.lower()} isolated by [{isolating}] and no rule allows it"

    def host_always_allowed(self, flow: Flow) -> bool:
        return False

    def evaluate(self, flow: Flow) -> Verdict:
        egress_ok, egress_by, why_egress = True, [], ""
        if isinstance(flow.src, Pod):
            egress_ok, egress_by, why_egress = self.side(flow.src, "Egress", flow.dst, flow)
        ingress_ok, ingress_by, why_ingress = True, [], ""
        if isinstance(flow.dst, Pod) and not self.host_always_allowed(flow):
            ingress_ok, ingress_by, why_ingress = self.side(flow.dst, "Ingress", flow.src, flow)
        reason = "; ".join(r for r in (why_egress, why_ingress) if r) or "allowed"
        return Verdict(egress_ok and ingress_ok, egress_by, ingress_by, reason)


class Calico(Cni):
    """ipBlock matches every address: pods (their IPs are private, so the internet rule's excepts drop
    them), nodes and the API server by their configured addresses."""

    name = "calico"


class Cilium(Cni):
    name = "cilium"

    def cidr_matches(self, peer: Peer, other: Endpoint) -> bool:
        # CIDR selectors match only addresses outside the cluster (language.rst, "IP/CIDR based"):
        # never a pod, a node (host/remote-node, host-network pods) or the kube-apiserver identity.
        if isinstance(other, Pod) or other.identities != frozenset({"world"}):
            return False
        return super().cidr_matches(peer, other)

    def entity_matches(self, peer: Peer, other: Endpoint) -> bool:
        entity = peer.entity
        if entity == "all":
            return True
        if entity == "cluster":  # pods, host, remote nodes (language.rst, "Entities based")
            return isinstance(other, Pod) or bool(other.identities & NODE_IDENTITIES)
        if isinstance(other, Pod):
            return False
        return entity in other.identities

    def host_always_allowed(self, flow: Flow) -> bool:
        # "Kubernetes will automatically allow all communication from the local host of all local endpoints."
        return isinstance(flow.src, Outside) and "host" in flow.src.identities


class NoEnforcement(Cni):
    """cni = "none": the CNI ignores NetworkPolicies (docker-desktop, kindnet, flannel): all flows pass."""

    name = "none"
    enforces = False

    def evaluate(self, flow: Flow) -> Verdict:
        return Verdict(True, [], [], "this CNI does not enforce NetworkPolicies")


CNIS: dict[str, type[Cni]] = {"cilium": Cilium, "calico": Calico, "none": NoEnforcement}


def model_for(cni: str, stacks: Mapping[str, Mapping[str, Any]], extra_namespaces: Iterable[str]) -> Cni:
    return CNIS[cni](parse_policies(stacks), namespace_labels(stacks, extra_namespaces))

