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


def test_no_open_egress_stands_in_for_an_in_cluster_peer(stacks):
    """0.0.0.0/0 egress only with the private ranges excluded: the API server, nodes and pods have their
    own peers (Cilium entities, or the configured addresses on Calico), never "any address"."""
    for name, stack in stacks.items():
        for policy in resources_of(stack, "kubernetes_network_policy_v1").values():
            for rule in policy["spec"].get("egress", []) or []:
                for peer in rule.get("to", []) or []:
                    block = peer.get("ip_block")
                    if block and block.get("cidr") == "0.0.0.0/0":
                        assert "10.0.0.0/8" in block.get("except", []), (
                            f"{name}: {policy['metadata']['name']} opens egress to 0.0.0.0/0 including private ranges"
                        )


def test_policy_names_are_unique_per_namespace(stacks):
    """Two policies of one kind with one name in one namespace would overwrite each other on apply."""
    for name, stack in stacks.items():
        seen: dict[tuple[str, str, str], str] = {}
        kinds = [("NetworkPolicy", key, body["metadata"]) for key, body in
                 resources_of(stack, "kubernetes_network_policy_v1").items()]
        kinds += [(body["manifest"]["kind"], key, body["manifest"]["metadata"]) for key, body in
                  resources_of(stack, "kubernetes_manifest").items()]
        for kind, key, meta in kinds:
            ident = (kind, meta["namespace"], meta["name"])
            assert ident not in seen, f"{name}: {kind} {meta['name']} declared by {seen.get(ident)} and {key}"
            seen[ident] = key


# Releases whose hooks or pods talk to the API server (or a database) during the install itself.
RELEASES_WITH_INSTALL_TRAFFIC = ("cert-manager", "external-dns", "traefik", "velero", "kube-prometheus-stack")


def test_releases_wait_for_their_policies(stacks):
    """A pre-install hook started before its allow exists is dropped; atomic releases then roll back."""
    for name, stack in stacks.items():
        for body in resources_of(stack, "helm_release").values():
            if body["name"] not in RELEASES_WITH_INSTALL_TRAFFIC:
                continue
            kinds = ("kubernetes_manifest.", "kubernetes_network_policy_v1.")
            policies = [d for d in body.get("depends_on", []) if d.startswith(kinds)]
            assert any("netpol_api" in d for d in policies), (
                f"{name}: helm_release {body['name']} does not depend on its API-server policy: {body.get('depends_on')}"
            )
