"""Fixtures shared by the Apps II tests (Valkey, Twenty, Nextcloud, Sentry, no-Bitnami, capacity).

``all_apps_stacks`` is the ONE extra synthesis of these tests: both envs with EVERY optional app
and feature on (Nextcloud with S3 primary storage, Sentry, n8n queue mode, SMTP and a storage PVC for
Twenty), prod
with a dedicated tainted pool for Sentry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from envs import PlatformConfig, load_config
from support.synth import resources_of

SMTP = {"host": "smtp.example.org", "port": 587, "username": "mailer", "from_address": "noreply@example.org"}
HEAVY_POOL = {
    "name": "heavy",
    "size": "s-8vcpu-16gb",
    "min_nodes": 1,
    "max_nodes": 2,
    "labels": {"workload": "heavy"},
    "taints": [{"key": "workload", "value": "heavy", "effect": "NoSchedule"}],
}
ALL_APPS_ON: dict[str, Any] = {
    "apps": {
        "nextcloud": {
            "enabled": True, "data": "retain", "s3": {"host": "fra1.digitaloceanspaces.com", "bucket": "ffe-nextcloud"},
        },
        "sentry": {"enabled": True, "data": "retain"},
        "twenty": {"smtp": SMTP, "storage": "5Gi"},
        "n8n": {"queue_mode": True},
    }
}
PROD_EXTRA: dict[str, Any] = {"cluster": {"extra_pools": [HEAVY_POOL]}, "apps": {"sentry": {"node_pool": "heavy"}}}


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) else value
    return out


def all_apps_overrides(env: str) -> dict[str, Any]:
    return _merge(ALL_APPS_ON, PROD_EXTRA) if env == "prod" else ALL_APPS_ON


# Each test module imports these fixtures, which makes one fixture definition per module; the
# cache keeps it to ONE synthesis per test session anyway.
_CACHE: dict[str, Any] = {}


@pytest.fixture(scope="session")
def all_apps_configs() -> dict[str, PlatformConfig]:
    if "configs" not in _CACHE:
        _CACHE["configs"] = {env: load_config(env, overrides=all_apps_overrides(env)) for env in ("dev", "prod")}
    return _CACHE["configs"]


@pytest.fixture(scope="session")
def all_apps_stacks(tmp_path_factory: pytest.TempPathFactory, all_apps_configs: dict[str, PlatformConfig]) -> dict[str, Any]:
    """Parsed stacks (name → JSON) of both envs with every optional app on."""
    if "stacks" not in _CACHE:
        from platform_constructs.runtime import configure_jsii

        configure_jsii()
        from platform_constructs.platform import synthesize

        outdir: Path = tmp_path_factory.mktemp("apps2-all-on")
        synthesize([all_apps_configs["dev"], all_apps_configs["prod"]], outdir)
        _CACHE["outdir"] = outdir
        _CACHE["stacks"] = {p.parent.name: json.loads(p.read_text()) for p in sorted((outdir / "stacks").glob("*/cdk.tf.json"))}
    return _CACHE["stacks"]


@pytest.fixture(scope="session")
def all_apps_synthesized(all_apps_stacks: dict[str, Any]) -> Path:
    """Out dir of the every-app-on synthesis (``stacks/<stack>/cdk.tf.json`` and the assets, e.g. our charts)."""
    return _CACHE["outdir"]


# --- lookups ------------------------------------------------------------------------------------------


def one(node: Any) -> Any:
    return node[0] if isinstance(node, list) and len(node) == 1 else node


def named(stack: Mapping[str, Any], rtype: str, name: str, namespace: str | None = None) -> tuple[str, dict[str, Any]]:
    """(logical id, body) of the resource of ``rtype`` whose metadata.name is ``name``."""
    found = [
        (key, body)
        for key, body in resources_of(stack, rtype).items()
        if one(body.get("metadata", {})).get("name") == name
        and (namespace is None or namespace in str(one(body["metadata"]).get("namespace")))
    ]
    assert len(found) == 1, f"expected one {rtype} named {name!r}, found {[k for k, _ in found]}"
    return found[0]


def release(stack: Mapping[str, Any], name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(body, parsed values) of the helm_release ``name``."""
    _, body = named_release(stack, name)
    return body, json.loads(body["values"][0])


def named_release(stack: Mapping[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    found = [(k, b) for k, b in resources_of(stack, "helm_release").items() if b.get("name") == name]
    assert len(found) == 1, f"expected one helm_release named {name!r}, found {[k for k, _ in found]}"
    return found[0]


def containers(body: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    pod = one(one(one(body["spec"])["template"])["spec"])
    return {c["name"]: c for c in pod["container"]}


def pod_spec(body: Mapping[str, Any]) -> dict[str, Any]:
    return one(one(one(body["spec"])["template"])["spec"])


def env_of(container: Mapping[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("value_from")) for e in container.get("env", [])}


def in_namespace(stack: Mapping[str, Any], namespace: str) -> list[str]:
    """Addresses of every resource placed in ``namespace`` (by name or namespace token)."""
    hits = []
    for rtype, items in stack.get("resource", {}).items():
        for key, body in items.items():
            meta = one(body.get("metadata", {})) if isinstance(body, Mapping) else {}
            ns = str(meta.get("namespace", "")) if isinstance(meta, Mapping) else ""
            if ns == namespace or f"namespace_{namespace}." in ns or body.get("namespace") == namespace:
                hits.append(f"{rtype}.{key}")
    return hits


def policies(stack: Mapping[str, Any], namespace: str) -> dict[str, dict[str, Any]]:
    """NetworkPolicies of ``namespace`` by metadata.name."""
    out = {}
    for body in resources_of(stack, "kubernetes_network_policy_v1").values():
        meta = one(body["metadata"])
        if f"namespace_{namespace}." in str(meta["namespace"]) or meta["namespace"] == namespace:
            out[meta["name"]] = one(body["spec"])
    return out


def ingress_routes(stack: Mapping[str, Any], name: str) -> tuple[dict[str, Any], list[tuple[str, str, str, int]]]:
    """(metadata, [(host, path, service, port)]) of the Ingress ``name``."""
    _, body = named(stack, "kubernetes_ingress_v1", name)
    routes = []
    for rule in one(body["spec"])["rule"]:
        for path in one(rule["http"])["path"]:
            service = one(one(path["backend"])["service"])
            routes.append((rule["host"], path["path"], service["name"], one(service["port"])["number"]))
    return one(body["metadata"]), routes


def schedules(stack: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Velero Schedules by name."""
    out = {}
    for body in resources_of(stack, "kubernetes_manifest").values():
        manifest = body["manifest"]
        if manifest.get("kind") == "Schedule":
            out[manifest["metadata"]["name"]] = manifest
    return out
