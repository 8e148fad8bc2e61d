"""The connectivity contract holds on the synthesized policies, under each env's CNI.

Both envs with the committed config and with every optional app on (Sentry, Nextcloud, n8n queue
mode), plus a dev variant on Calico (addresses instead of Cilium entities) and a ``cni = "none"``
variant (nothing enforced; it must plan without the Cilium CRDs). A needed flow that is blocked, or
a forbidden one that is allowed, fails naming both ends and the policies involved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.apps2 import all_apps_configs, all_apps_overrides, all_apps_stacks  # noqa: F401 - fixtures
from support.cni_model import Cilium, Cni, Flow, NoEnforcement, Outside, Pod, model_for, parse_policies
from support.connectivity_contract import forbidden, inventory, needed
from support.synth import resources_of

from envs import PlatformConfig, load_config

CALICO = {"network": {"cni": "calico", "api_server_cidrs": ["192.168.49.2/32"], "node_cidrs": ["192.168.49.0/24"]}}
NONE = {"network": {"cni": "none"}}
OTHER_NAMESPACES = ("kube-system", "ingress-nginx")


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@pytest.fixture(scope="session")
def cni_variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[PlatformConfig, dict[str, Any]]]:
    """dev on Calico with every app on, and prod with a CNI that enforces nothing (one synthesis)."""
    from platform_constructs.runtime import configure_jsii

    configure_jsii()
    from platform_constructs.platform import synthesize

    dev = load_config("dev", overrides=_merge(all_apps_overrides("dev"), CALICO))
    prod = load_config("prod", overrides=NONE)
    outdir: Path = tmp_path_factory.mktemp("cni-variants")
    synthesize([dev, prod], outdir)
    stacks = {p.parent.name: json.loads(p.read_text()) for p in sorted((outdir / "stacks").glob("*/cdk.tf.json"))}
    return {"dev-calico-all-apps": (dev, _env(stacks, "dev")), "prod-none": (prod, _env(stacks, "prod"))}


def _env(stacks: dict[str, Any], env: str) -> dict[str, Any]:
    return {name: stack for name, stack in stacks.items() if name.startswith(f"{env}-")}


CASES = ["dev", "prod", "dev-all-apps", "prod-all-apps", "dev-calico-all-apps", "prod-none"]


@pytest.fixture(params=CASES)
def case(request, configs, stacks, all_apps_configs, all_apps_stacks):  # noqa: F811 - fixtures
    name = request.param
    if name in ("dev", "prod"):
        return name, configs[name], _env(stacks, name)
    if name.endswith("-all-apps") and "calico" not in name:
        env = name.removesuffix("-all-apps")
        return name, all_apps_configs[env], _env(all_apps_stacks, env)
    config, env_stacks = request.getfixturevalue("cni_variants")[name]
    return name, config, env_stacks


def violations(model: Cni, flows_needed: list[Flow], flows_forbidden: list[Flow]) -> list[str]:
    found = []
    for flow in flows_needed:
        verdict = model.evaluate(flow)
        if not verdict.allowed:
            found.append(f"NEEDED but blocked under {model.name}: {flow}\n    {verdict.describe()}")
    if model.enforces:
        for flow in flows_forbidden:
            verdict = model.evaluate(flow)
            if verdict.allowed:
                found.append(f"FORBIDDEN but allowed under {model.name}: {flow}\n    {verdict.describe()}")
    return found


def test_connectivity_contract(case):
    name, config, env_stacks = case
    model = model_for(config.network.cni, env_stacks, OTHER_NAMESPACES)
    pods = inventory(config, env_stacks)
    flows_needed, flows_forbidden = list(needed(config, pods)), list(forbidden(config, pods))
    assert len(flows_needed) > 40 and len(flows_forbidden) > 10, f"{name}: the contract lost its flows"
    problems = violations(model, flows_needed, flows_forbidden)
    assert not problems, f"{name}: {len(problems)} contract violation(s):\n" + "\n".join(problems)


def test_every_policy_of_the_env_selects_a_pod(case):
    """A policy whose selector matches no pod of the inventory protects nothing: a label is wrong."""
    name, config, env_stacks = case
    pods = list(inventory(config, env_stacks).values())
    for policy in parse_policies(env_stacks):
        if policy.selector.labels or policy.selector.expressions:
            assert any(p.namespace == policy.namespace and policy.selector.matches(p.labels) for p in pods), (
                f"{name}: {policy} selects no pod the platform runs"
            )


def test_non_pod_peers_follow_the_cni(case):
    """Cilium CRs only where the CNI is Cilium (a missing CRD fails the plan); no 0.0.0.0/0 but the edge."""
    name, config, env_stacks = case
    cnps = [(s, k) for s, stack in env_stacks.items() for k, body in resources_of(stack, "kubernetes_manifest").items()
            if body["manifest"]["apiVersion"].startswith("cilium.io/")]
    if config.network.cni == "cilium":
        assert cnps, f"{name}: Cilium env without CiliumNetworkPolicies: the API server is unreachable"
    else:
        assert not cnps, f"{name}: cni = {config.network.cni!r} but {cnps} need the Cilium CRDs"
    for policy in parse_policies(env_stacks):
        for direction, rules in policy.rules.items():
            for rule in rules:
                for peer in rule.peers or ():
                    if peer.kind == "cidr" and peer.cidr == "0.0.0.0/0" and "10.0.0.0/8" not in peer.excepts:
                        assert direction == "Ingress" and policy.name == "allow-edge-to-traefik", (
                            f"{name}: {policy} opens {direction.lower()} to 0.0.0.0/0 (an in-cluster peer needs its "
                            "own selector or entity)"
                        )


# --- negative tests of the model itself ----------------------------------------------------------


def _np(name, namespace, selector, *, egress=None, ingress=None, types=None):
    spec = {"pod_selector": selector, "policy_types": types or [*(["Ingress"] if ingress is not None else []),
                                                                *(["Egress"] if egress is not None else [])]}
    if egress is not None:
        spec["egress"] = egress
    if ingress is not None:
        spec["ingress"] = ingress
    return {"metadata": {"name": name, "namespace": namespace}, "spec": spec}


def _cnp(name, namespace, selector, **sections):
    return {"manifest": {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                         "metadata": {"name": name, "namespace": namespace},
                         "spec": {"endpointSelector": selector, **sections}}}


def _stacks(*policies, manifests=()):
    namespaces = {f"ns_{n}": {"metadata": {"name": n, "labels": {"platform/layer": "apps"}}} for n in ("a", "b")}
    return {"t-apps": {"resource": {
        "kubernetes_namespace_v1": namespaces,
        "kubernetes_network_policy_v1": {p["metadata"]["name"]: p for p in policies},
        "kubernetes_manifest": {m["manifest"]["metadata"]["name"]: m for m in manifests},
    }}}


WEB = Pod("web", "a", {"app.kubernetes.io/name": "web"})
API = Pod("api", "b", {"app.kubernetes.io/name": "api"}, {"http": 8080})
APISERVER = Outside("an external API server", "203.0.113.10", frozenset({"kube-apiserver"}))
DENY = [_np("deny-a", "a", {}, types=["Ingress", "Egress"]), _np("deny-b", "b", {}, types=["Ingress", "Egress"])]
TO_API = {"to": [{"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "b"}},
                  "pod_selector": {"match_labels": {"app.kubernetes.io/name": "api"}}}], "ports": [{"port": "http"}]}


def _model(cls, *policies, manifests=()):
    stacks = _stacks(*policies, manifests=manifests)
    return cls(parse_policies(stacks), {"a": {"kubernetes.io/metadata.name": "a"}, "b": {"kubernetes.io/metadata.name": "b"}})


def test_model_blocks_when_only_one_side_allows_and_names_the_isolating_policy():
    model = _model(Cilium, *DENY, _np("web-out", "a", {"match_labels": {"app.kubernetes.io/name": "web"}}, egress=[TO_API]))
    flow = Flow(WEB, API, 8080, "test")
    verdict = model.evaluate(flow)
    assert not verdict.allowed and "deny-b" in verdict.reason, verdict.describe()
    problems = violations(model, [flow], [])
    assert problems and "NEEDED but blocked" in problems[0] and "pod a/web" in problems[0] and "pod b/api" in problems[0]


def test_model_allows_with_both_sides_and_resolves_named_ports_against_the_destination():
    ingress = [{"from": [{"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "a"}}}]}]
    model = _model(Cilium, *DENY, _np("web-out", "a", {"match_labels": {"app.kubernetes.io/name": "web"}}, egress=[TO_API]),
                   _np("api-in", "b", {"match_labels": {"app.kubernetes.io/name": "api"}}, ingress=ingress))
    allowed = model.evaluate(Flow(WEB, API, 8080, "named port http = 8080"))
    assert allowed.allowed and [p.name for p in allowed.egress] == ["web-out"] and [p.name for p in allowed.ingress] == ["api-in"]
    assert not model.evaluate(Flow(WEB, API, 9090, "not the named port")).allowed


def test_model_rejects_a_contract_the_old_api_server_rule_cannot_meet():
    """The pre-fix rule (ipBlock 0.0.0.0/0 on 443) passes on Calico but never on Cilium."""
    anywhere = _np("api-anywhere", "a", {}, egress=[{"to": [{"ip_block": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": "443"}]}])
    flow = Flow(WEB, APISERVER, 443, "api-server")
    assert violations(_model(Cilium, *DENY, anywhere), [flow], []), "Cilium: a CIDR must not match kube-apiserver"
    from support.cni_model import Calico

    assert not violations(_model(Calico, *DENY, anywhere), [flow], []), "Calico: ipBlock matches any address"
    entity = _cnp("api", "a", {}, egress=[{"toEntities": ["kube-apiserver"], "toPorts": [{"ports": [{"port": "443"}]}]}])
    assert not violations(_model(Cilium, *DENY, manifests=[entity]), [flow], [])


def test_model_reports_a_forbidden_flow_that_is_allowed_with_the_allowing_policy():
    open_all = _np("allow-all", "a", {}, egress=[{}])
    flow = Flow(WEB, Outside("an internet host", "93.184.215.14", frozenset({"world"})), 443, "must stay blocked")
    problems = violations(_model(Cilium, *DENY, open_all), [], [flow])
    assert problems and "FORBIDDEN but allowed" in problems[0] and "allow-all" in problems[0]


def test_model_cilium_semantics_deny_wins_and_cidr_never_matches_pods_or_nodes():
    allow = _cnp("allow", "a", {}, egress=[{"toEntities": ["all"]}])
    deny = _cnp("deny", "a", {}, egressDeny=[{"toEntities": ["world"]}])
    internet = Outside("an internet host", "93.184.215.14", frozenset({"world"}))
    model = _model(Cilium, *DENY, manifests=[allow, deny])
    assert not model.evaluate(Flow(WEB, internet, 443, "denied")).allowed
    cidr = _np("cidr", "a", {}, egress=[{"to": [{"ip_block": {"cidr": "0.0.0.0/0"}}]}])
    model = _model(Cilium, *DENY, cidr)
    node = Outside("a node", "10.0.0.5", frozenset({"remote-node"}))
    assert not model.evaluate(Flow(WEB, node, 10250, "kubelet")).allowed
    assert not model.evaluate(Flow(WEB, API, 8080, "pod")).allowed
    assert model.evaluate(Flow(WEB, internet, 443, "world")).allowed


def test_model_refuses_entities_outside_cilium_and_knows_none_enforces_nothing():
    entity = _cnp("api", "a", {}, egress=[{"toEntities": ["kube-apiserver"]}])
    from support.cni_model import Calico

    with pytest.raises(AssertionError, match="Cilium entity"):
        _model(Calico, *DENY, manifests=[entity]).evaluate(Flow(WEB, APISERVER, 443, "x"))
    none = _model(NoEnforcement, *DENY)
    assert none.evaluate(Flow(WEB, API, 1, "anything")).allowed
    assert not violations(none, [], [Flow(WEB, API, 1, "unenforceable")]), "forbidden flows are not checked on none"
