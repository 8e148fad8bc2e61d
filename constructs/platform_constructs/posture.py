"""Workload posture as rules (Pod Security "restricted" and kube-score style checks).

Checked on every synthesis, over every workload the project defines directly and over the
security-relevant values it sets in Helm charts. A finding is accepted only through a waiver
(rule, stack, resource, reason) in ``waivers.py``; a waiver that matches nothing is reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from envs import PlatformConfig
from platform_constructs.base.native import provider_pod_spec
from platform_constructs.rules import Finding, Stack, helm_values, resources

# resource type → (path to the pod spec, long-running?)
WORKLOADS: dict[str, tuple[tuple[str, ...], bool]] = {
    "kubernetes_deployment_v1": (("spec", "template", "spec"), True),
    "kubernetes_stateful_set_v1": (("spec", "template", "spec"), True),
    "kubernetes_daemon_set_v1": (("spec", "template", "spec"), True),
    "kubernetes_daemonset": (("spec", "template", "spec"), True),
    "kubernetes_job_v1": (("spec", "template", "spec"), False),
    "kubernetes_cron_job_v1": (("spec", "job_template", "spec", "template", "spec"), False),
}


def _one(node: Any) -> Any:
    """Blocks may synthesize as an object or a one-element list."""
    return node[0] if isinstance(node, list) and len(node) == 1 else node


def _get(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        node = _one(node)
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return _one(node)


def _pod_findings(name: str, address: str, pod: Mapping[str, Any], long_running: bool) -> Iterator[Finding]:
    pod_sc = _one(pod.get("security_context")) or {}
    if pod.get("automount_service_account_token") is not False and not pod.get("service_account_name"):
        yield Finding("posture-sa-token", name, address, "automount_service_account_token must be false (no API access)")
    if pod.get("host_network") or pod.get("host_pid") or pod.get("host_ipc"):
        yield Finding("posture-host-namespaces", name, address, "uses host network/PID/IPC")
    for kind in ("init_container", "container"):
        for container in pod.get(kind) or []:
            cname = f"{kind} {container.get('name')}"
            sc = _one(container.get("security_context")) or {}
            non_root = sc.get("run_as_non_root", pod_sc.get("run_as_non_root"))
            if non_root is not True or sc.get("run_as_user", pod_sc.get("run_as_user")) == 0:
                yield Finding("posture-non-root", name, address, f"{cname}: must run as non-root")
            if sc.get("allow_privilege_escalation") is not False:
                yield Finding("posture-privilege-escalation", name, address, f"{cname}: allow_privilege_escalation must be false")
            if sc.get("read_only_root_filesystem") is not True:
                yield Finding("posture-read-only-root", name, address, f"{cname}: root filesystem must be read-only")
            if sc.get("privileged"):
                yield Finding("posture-privileged", name, address, f"{cname}: privileged")
            caps = _one(sc.get("capabilities")) or {}
            if "ALL" not in (caps.get("drop") or []):
                yield Finding("posture-capabilities", name, address, f"{cname}: must drop ALL capabilities")
            if caps.get("add"):
                yield Finding("posture-capabilities-add", name, address, f"{cname}: adds {caps['add']}")
            seccomp = _one(sc.get("seccomp_profile")) or _one(pod_sc.get("seccomp_profile")) or {}
            if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
                yield Finding("posture-seccomp", name, address, f"{cname}: seccomp profile must be RuntimeDefault")
            res = _one(container.get("resources")) or {}
            if not (_one(res.get("requests")) or {}).get("memory") or not (_one(res.get("limits")) or {}).get("memory"):
                yield Finding("posture-resources", name, address, f"{cname}: memory request and limit required")
            if long_running and kind == "container" and not (
                container.get("readiness_probe") and container.get("liveness_probe")
            ):
                yield Finding("posture-probes", name, address, f"{cname}: readiness and liveness probes required")


def workload_posture(config: PlatformConfig, name: str, stack: Stack) -> Iterator[Finding]:
    for rtype, address, body in resources(stack):
        if rtype not in WORKLOADS:
            continue
        path, long_running = WORKLOADS[rtype]
        pod = _get(body, path)
        if isinstance(pod, Mapping):
            yield from _pod_findings(name, address, pod, long_running)


def chart_workloads(node: Any) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(workload values, their ``podSpec``) for every workload a chart of ours takes as values: ``podSpec``
    is ``{metadata, spec}`` in the API's shape (base/native.py), e.g. ``job`` of charts/database-init."""
    if isinstance(node, Mapping):
        pod = node.get("podSpec")
        if isinstance(pod, Mapping) and isinstance(pod.get("spec"), Mapping):
            yield node, pod
        for value in node.values():
            yield from chart_workloads(value)
    elif isinstance(node, list):
        for item in node:
            yield from chart_workloads(item)


def chart_pod_posture(config: PlatformConfig, name: str, stack: Stack) -> Iterator[Finding]:
    """Pod specs shipped in our own charts' values (e.g. the database init hook) get the workload checks."""
    for rtype, address, body in resources(stack):
        if rtype == "helm_release":
            for doc in helm_values(body):
                for _, pod in chart_workloads(doc):
                    yield from _pod_findings(name, address, provider_pod_spec(pod["spec"]), long_running=False)


RISKY_VALUES: dict[str, Any] = {
    "privileged": True,
    "allowPrivilegeEscalation": True,
    "runAsNonRoot": False,
    "runAsUser": 0,
    "hostNetwork": True,
    "hostPID": True,
    "hostIPC": True,
}


def _risky(node: Any, path: str = "") -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = f"{path}.{key}" if path else key
            if key in RISKY_VALUES and value == RISKY_VALUES[key] and type(value) is type(RISKY_VALUES[key]):
                yield f"{here}={value!r}"
            else:
                yield from _risky(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _risky(item, f"{path}[{index}]")


def chart_values_posture(config: PlatformConfig, name: str, stack: Stack) -> Iterator[Finding]:
    """Security-relevant values the project itself sets in charts (not the charts' own defaults)."""
    for rtype, address, body in resources(stack):
        if rtype != "helm_release":
            continue
        risky = [hit for doc in helm_values(body) for hit in _risky(doc)]
        if risky:
            yield Finding("posture-chart-values", name, address, "sets " + ", ".join(sorted(risky)))


def rbac_least_privilege(config: PlatformConfig, name: str, stack: Stack) -> Iterator[Finding]:
    """No wildcard ClusterRoles; service accounts only where a workload uses them."""
    used_accounts = set()
    for rtype, _, body in resources(stack):
        if rtype in WORKLOADS:
            pod = _get(body, WORKLOADS[rtype][0])
            if isinstance(pod, Mapping) and pod.get("service_account_name"):
                used_accounts.add(pod["service_account_name"])
    for rtype, address, body in resources(stack):
        if rtype in ("kubernetes_cluster_role_v1", "kubernetes_role_v1"):
            for rule in body.get("rule") or []:
                for field in ("verbs", "resources", "api_groups"):
                    if "*" in (rule.get(field) or []):
                        yield Finding("rbac-wildcard", name, address, f"rule with '*' in {field}")
        if rtype == "kubernetes_service_account_v1":
            account = (_one(body.get("metadata")) or {}).get("name")
            if account not in used_accounts:
                yield Finding("rbac-unused-service-account", name, address, f"service account {account!r} used by no workload")


POSTURE_RULES = (workload_posture, chart_pod_posture, chart_values_posture, rbac_least_privilege)
