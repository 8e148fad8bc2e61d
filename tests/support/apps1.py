"""Fixtures and lookups shared by the Apps I tests (WordPress, n8n, Zot registry, Vince analytics).

``apps1_variant`` is the ONE extra synthesis of these tests: dev with the four apps switched off
(the rest must still synthesize) and prod with every optional feature on (SMTP, S3 offload,
n8n queue mode and S3 binary data), both in one ``synthesize`` call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from envs import PlatformConfig, load_config
from support.synth import resources_of

APPS1 = ("wordpress", "n8n", "registry", "analytics")
SMTP = {"host": "smtp.example.org", "port": 587, "username": "mailer", "from_address": "noreply@example.org"}
PROD_FEATURES: dict[str, Any] = {
    "apps": {
        "wordpress": {"smtp": SMTP, "s3_offload": True},
        "n8n": {"smtp": SMTP, "queue_mode": True, "workers": 2, "s3_binary_data": True},
        "registry": {"htpasswd": True},
    }
}


@pytest.fixture(scope="session")
def apps1_variant_configs() -> dict[str, PlatformConfig]:
    return {
        # data = "delete": switched off AND its data dropped, so nothing of the app is left
        # (the default, "retain", keeps namespace and volumes: tests/apps/test_retention.py).
        "dev": load_config("dev", overrides={"apps": {app: {"enabled": False, "data": "delete"} for app in APPS1}}),
        "prod": load_config("prod", overrides=PROD_FEATURES),
    }


@pytest.fixture(scope="session")
def apps1_variant(tmp_path_factory: pytest.TempPathFactory, apps1_variant_configs) -> dict[str, dict[str, Any]]:
    """Parsed stacks of the variant synthesis, by stack name (``dev-apps`` = four apps off)."""
    from platform_constructs.runtime import configure_jsii

    configure_jsii()
    from platform_constructs.platform import synthesize

    outdir: Path = tmp_path_factory.mktemp("apps1-variant")
    synthesize([apps1_variant_configs["dev"], apps1_variant_configs["prod"]], outdir)
    return {p.parent.name: json.loads(p.read_text()) for p in sorted((outdir / "stacks").glob("*/cdk.tf.json"))}


# --- lookups over synthesized JSON -----------------------------------------------------------------


def one(node: Any) -> Any:
    """Blocks synthesize as an object or a one-element list."""
    return node[0] if isinstance(node, list) and len(node) == 1 else node


def named(stack: Mapping[str, Any], rtype: str, name: str, namespace: str | None = None) -> tuple[str, dict[str, Any]]:
    """(address, body) of the resource of ``rtype`` whose metadata.name is ``name`` (in ``namespace``)."""
    hits = [
        (f"{rtype}.{key}", body)
        for key, body in resources_of(stack, rtype).items()
        if one(body.get("metadata", {})).get("name") == name
        and (namespace is None or f"namespace_{namespace}." in str(one(body["metadata"]).get("namespace")))
    ]
    assert len(hits) == 1, f"expected one {rtype} named {name!r}, found {[h[0] for h in hits]}"
    return hits[0]


def pod_spec(deployment: Mapping[str, Any]) -> dict[str, Any]:
    return one(one(one(deployment["spec"])["template"])["spec"])


def container(deployment: Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
    containers = pod_spec(deployment)["container"]
    return containers[0] if name is None else next(c for c in containers if c["name"] == name)


def env_values(ctr: Mapping[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in ctr.get("env", []) if "value" in e}


def env_secret_refs(ctr: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    refs = {}
    for e in ctr.get("env", []):
        if "value_from" in e:
            ref = one(one(e["value_from"])["secret_key_ref"])
            refs[e["name"]] = (ref["name"], ref["key"])
    return refs


def mounts(ctr: Mapping[str, Any]) -> dict[str, str]:
    """mount path → volume name."""
    return {m["mount_path"]: m["name"] for m in ctr.get("volume_mount", [])}


def volumes(deployment: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in pod_spec(deployment).get("volume", [])}


def ingress_hosts(ingress: Mapping[str, Any]) -> set[str]:
    return {rule["host"] for rule in one(ingress["spec"])["rule"]}


def backends(ingress: Mapping[str, Any]) -> set[tuple[str, str, str, int]]:
    """(host, path, service, port) of every route."""
    return {
        (rule["host"], path["path"], one(one(path["backend"])["service"])["name"],
         one(one(one(path["backend"])["service"])["port"])["number"])
        for rule in one(ingress["spec"])["rule"]
        for path in one(rule["http"])["path"]
    }


def policies(stack: Mapping[str, Any], namespace: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for key, body in resources_of(stack, "kubernetes_network_policy_v1").items():
        if f"namespace_{namespace}." in str(one(body["metadata"])["namespace"]):
            yield key, one(body["spec"])


def egress_to(stack: Mapping[str, Any], namespace: str, app: str, target_namespace: str, target_app: str, port: int) -> bool:
    for _, spec in policies(stack, namespace):
        if one(spec.get("pod_selector", {})).get("match_labels", {}).get("app.kubernetes.io/name") != app:
            continue
        for rule in spec.get("egress", []):
            peers = rule.get("to", [])
            ports = {int(p["port"]) for p in rule.get("ports", [])}
            for peer in peers:
                ns = json.dumps(peer.get("namespace_selector", {}))
                pods = json.dumps(peer.get("pod_selector", {}))
                if target_namespace in ns and target_app in pods and port in ports:
                    return True
    return False


def ingress_allowed(stack: Mapping[str, Any], namespace: str, app: str, port: int, source_namespace: str) -> bool:
    for _, spec in policies(stack, namespace):
        if one(spec.get("pod_selector", {})).get("match_labels", {}).get("app.kubernetes.io/name") != app:
            continue
        for rule in spec.get("ingress", []):
            ports = {int(p["port"]) for p in rule.get("ports", [])}
            if port in ports and source_namespace in json.dumps(rule.get("from", [])):
                return True
    return False


def internet_ports(stack: Mapping[str, Any], namespace: str, app: str) -> set[int]:
    found: set[int] = set()
    for _, spec in policies(stack, namespace):
        if one(spec.get("pod_selector", {})).get("match_labels", {}).get("app.kubernetes.io/name") != app:
            continue
        for rule in spec.get("egress", []):
            if any("ip_block" in peer for peer in rule.get("to", [])):
                found |= {int(p["port"]) for p in rule.get("ports", [])}
    return found


def schedule_for(stack: Mapping[str, Any], namespace: str) -> dict[str, Any] | None:
    for body in resources_of(stack, "kubernetes_manifest").values():
        manifest = body["manifest"]
        if manifest.get("kind") == "Schedule" and namespace in manifest["spec"]["template"]["includedNamespaces"]:
            return manifest
    return None


def secret_data(stack: Mapping[str, Any], name: str, namespace: str) -> dict[str, str]:
    return named(stack, "kubernetes_secret_v1", name, namespace)[1]["data"]


def assert_hardened(address: str, deployment: Mapping[str, Any]) -> None:
    """Restricted pod security, memory requests/limits and both probes on every container."""
    spec = pod_spec(deployment)
    pod_sc = one(spec["security_context"])
    assert pod_sc["run_as_non_root"] is True, f"{address}: pod must run as non-root"
    assert str(pod_sc["run_as_user"]) != "0", f"{address}: uid 0"
    assert spec["automount_service_account_token"] is False, f"{address}: no API token"
    for ctr in spec["container"]:
        sc = one(ctr["security_context"])
        where = f"{address} container {ctr['name']}"
        assert sc["allow_privilege_escalation"] is False, where
        assert sc["read_only_root_filesystem"] is True, where
        assert one(sc["capabilities"])["drop"] == ["ALL"] and "add" not in one(sc["capabilities"]), where
        resources = one(ctr["resources"])
        assert one(resources["requests"])["memory"] and one(resources["limits"])["memory"], f"{where}: memory sizes"
        assert "readiness_probe" in ctr and "liveness_probe" in ctr, f"{where}: probes"
        assert "bitnami" not in ctr["image"].lower(), where


def controller_namespace(env: str) -> str:
    """Namespace of the env's ingress controller pods (Traefik in infra, or minikube's addon)."""
    from platform_constructs.base.network import INGRESS_CONTROLLERS

    return INGRESS_CONTROLLERS[load_config(env).infra.ingress.controller][0]
