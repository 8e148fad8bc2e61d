"""Pod specs in Kubernetes' own (camelCase) shape, for workloads that ship in a chart of ours.

``base/workload.py`` renders pod templates for the kubernetes provider (snake_case blocks,
singular list names, ids as strings). A Job shipped as a Helm hook needs the same hardened pod
spec in the API's shape: ``native_pod_spec`` converts what ``Pod.render`` returns, so the
hardening stays in one place, and ``provider_pod_spec`` converts back so the posture rules
(``posture.py``) check a chart's pod spec exactly like a ``kubernetes_job_v1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platform_constructs.base.workload import Pod

# provider block name (a repeated block) -> API list field
LIST_FIELDS = {
    "container": "containers",
    "init_container": "initContainers",
    "volume": "volumes",
    "volume_mount": "volumeMounts",
    "port": "ports",
    "env_from": "envFrom",
    "toleration": "tolerations",
    "sysctl": "sysctls",
    "image_pull_secrets": "imagePullSecrets",  # pragma: allowlist secret (field names)
    "topology_spread_constraint": "topologySpreadConstraints",
}
INTEGER_FIELDS = frozenset({"run_as_user", "run_as_group", "fs_group", "container_port"})
"""Fields the provider bindings type as strings (see engines.DB_UID) and the API as integers."""
PORT_FIELDS = frozenset({"port"})
"""IntOrString in probes: a number is an integer, a name stays a string."""
OCTAL_FIELDS = frozenset({"default_mode", "mode"})


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _to_native(node: Any) -> Any:
    if isinstance(node, Mapping):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in INTEGER_FIELDS:
                value = int(value)
            elif key in PORT_FIELDS and isinstance(value, str) and value.isdigit():
                value = int(value)
            elif key in OCTAL_FIELDS and isinstance(value, str):
                value = int(value, 8)
            listed = LIST_FIELDS.get(key) if isinstance(value, list) else None  # "port" is also a probe field
            out[listed or _camel(key)] = _to_native(value)
        return out
    if isinstance(node, list):
        return [_to_native(item) for item in node]
    return node


def native_pod_spec(pod: Pod, labels: Mapping[str, str], *, what: str = "chart pod") -> dict[str, Any]:
    """``{"metadata": …, "spec": …}`` of ``pod`` in the API's shape (what a chart template takes).

    Mounts are checked as for every other workload: ``what`` names the pod in the error."""
    pod.check_mounts(what)
    return _to_native(pod.render(labels))


_PROVIDER_NAMES = {native: provider for provider, native in LIST_FIELDS.items()}


def provider_pod_spec(node: Any) -> Any:
    """The inverse of ``native_pod_spec`` for a pod ``spec``: provider-shaped keys (values as they are)."""
    if isinstance(node, Mapping):
        return {_PROVIDER_NAMES.get(key) or _snake(key): provider_pod_spec(value) for key, value in node.items()}
    if isinstance(node, list):
        return [provider_pod_spec(item) for item in node]
    return node
