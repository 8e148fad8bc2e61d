"""The hardened workload helper: every Deployment, StatefulSet and CronJob the project defines
directly gets its pod spec from here, and so do the one-shot Jobs our own charts run as hooks
(rendered in the API's shape by ``base/native.py``).

Secure defaults (Pod Security Standards "restricted"): non-root, no privilege escalation, all
capabilities dropped, seccomp RuntimeDefault, read-only root filesystem, no service-account
token, memory requests and limits on every container, probes on long-running containers.
A component loosens one of these only by passing an explicit argument, and a loosening that
the posture checks see must be recorded as a waiver (see ``platform_constructs.rules``).

Volumes are typed (``EmptyDir``, ``ClaimVolume``, ``ConfigMapVolume``, ``SecretVolume``) and every
container mount must name a volume of its pod (or a StatefulSet claim): a typo is an error at
synthesis that names the container and the missing volume, not a pod stuck in ``CreateContainerConfigError``.
What each image writes, and so which mounts it needs, is recorded in ``platform_constructs.image_facts``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cdktf_cdktf_provider_kubernetes.cron_job_v1 import CronJobV1, CronJobV1Metadata, CronJobV1Spec
from cdktf_cdktf_provider_kubernetes.deployment_v1 import DeploymentV1, DeploymentV1Metadata, DeploymentV1Spec
from cdktf_cdktf_provider_kubernetes.stateful_set_v1 import (
    StatefulSetV1,
    StatefulSetV1Metadata,
    StatefulSetV1Spec,
)
from constructs import Construct

from platform_constructs.base.labels import workload_labels
from platform_constructs.base.structs import build


@dataclass(frozen=True)
class SecretEnv:
    """An environment variable read from a key of a Kubernetes Secret."""

    secret: str
    key: str


@dataclass(frozen=True)
class Probe:
    """HTTP GET (``path``), TCP (``path=None``) or exec (``command``) probe on ``port``."""

    port: int | None = None
    path: str | None = None
    command: Sequence[str] | None = None
    initial_delay_seconds: int = 10
    period_seconds: int = 10
    timeout_seconds: int = 5
    failure_threshold: int = 6

    def render(self) -> dict[str, Any]:
        probe: dict[str, Any] = {
            "initial_delay_seconds": self.initial_delay_seconds,
            "period_seconds": self.period_seconds,
            "timeout_seconds": self.timeout_seconds,
            "failure_threshold": self.failure_threshold,
        }
        if self.command:
            probe["exec"] = {"command": list(self.command)}
        elif self.path is not None:
            probe["http_get"] = {"path": self.path, "port": str(self.port)}
        else:
            probe["tcp_socket"] = {"port": str(self.port)}
        return probe


@dataclass(frozen=True)
class EmptyDir:
    """Scratch space for the pod's lifetime; ``medium="Memory"`` is a tmpfs counted in the memory limit."""

    name: str
    size_limit: str
    medium: str | None = None

    def render(self) -> dict[str, Any]:
        empty_dir: dict[str, Any] = {"size_limit": self.size_limit}
        if self.medium:
            empty_dir = {"medium": self.medium, **empty_dir}
        return {"name": self.name, "empty_dir": empty_dir}


@dataclass(frozen=True)
class ClaimVolume:
    """An existing PersistentVolumeClaim (``read_only``: mounted read-only by every container)."""

    name: str
    claim: str
    read_only: bool = False

    def render(self) -> dict[str, Any]:
        claim: dict[str, Any] = {"claim_name": self.claim}
        if self.read_only:
            claim["read_only"] = True
        return {"name": self.name, "persistent_volume_claim": claim}


@dataclass(frozen=True)
class ConfigMapVolume:
    name: str
    config_map: str

    def render(self) -> dict[str, Any]:
        return {"name": self.name, "config_map": {"name": self.config_map}}


@dataclass(frozen=True)
class SecretVolume:
    """Keys of a Secret as files; ``items`` (key → file name) selects some, ``default_mode`` an octal string."""

    name: str
    secret: str
    items: Mapping[str, str] = field(default_factory=dict)
    default_mode: str | None = None

    def render(self) -> dict[str, Any]:
        secret: dict[str, Any] = {"secret_name": self.secret}
        if self.items:
            secret["items"] = [{"key": key, "path": path} for key, path in self.items.items()]
        if self.default_mode:
            secret["default_mode"] = self.default_mode
        return {"name": self.name, "secret": secret}


Volume = EmptyDir | ClaimVolume | ConfigMapVolume | SecretVolume


@dataclass(frozen=True)
class Container:
    """One container with secure defaults; sizes are required, never implicit."""

    name: str
    image: str
    memory_request: str
    memory_limit: str
    cpu_request: str = "50m"
    ports: Mapping[str, int] = field(default_factory=dict)
    command: Sequence[str] | None = None
    args: Sequence[str] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, SecretEnv] = field(default_factory=dict)
    env_from_secrets: Sequence[str] = ()
    mounts: Mapping[str, str] = field(default_factory=dict)
    """volume name → mount path."""
    readiness: Probe | None = None
    liveness: Probe | None = None
    read_only_root_filesystem: bool = True
    run_as_user: int | None = None
    add_capabilities: Sequence[str] = ()

    def render(self) -> dict[str, Any]:
        container: dict[str, Any] = {
            "name": self.name,
            "image": self.image,
            "image_pull_policy": "IfNotPresent",
            "resources": {
                "requests": {"memory": self.memory_request, "cpu": self.cpu_request},
                "limits": {"memory": self.memory_limit},
            },
            "security_context": {
                "allow_privilege_escalation": False,
                "privileged": False,
                "read_only_root_filesystem": self.read_only_root_filesystem,
                "run_as_non_root": True,
                "capabilities": {"drop": ["ALL"], **({"add": list(self.add_capabilities)} if self.add_capabilities else {})},
                "seccomp_profile": {"type": "RuntimeDefault"},
                **({"run_as_user": self.run_as_user} if self.run_as_user is not None else {}),
            },
        }
        if self.command is not None:
            container["command"] = list(self.command)
        if self.args is not None:
            container["args"] = list(self.args)
        if self.ports:
            container["port"] = [{"name": n, "container_port": p} for n, p in sorted(self.ports.items())]
        env = [{"name": k, "value": v} for k, v in sorted(self.env.items())]
        env += [
            {"name": k, "value_from": {"secret_key_ref": {"name": ref.secret, "key": ref.key}}}
            for k, ref in sorted(self.secret_env.items())
        ]
        if env:
            container["env"] = env
        if self.env_from_secrets:
            container["env_from"] = [{"secret_ref": {"name": s}} for s in self.env_from_secrets]
        if self.mounts:
            container["volume_mount"] = [{"name": n, "mount_path": p} for n, p in sorted(self.mounts.items())]
        if self.readiness:
            container["readiness_probe"] = self.readiness.render()
        if self.liveness:
            container["liveness_probe"] = self.liveness.render()
        return container


@dataclass(frozen=True)
class Pod:
    """A hardened pod template: containers, volumes and pod-level security."""

    containers: Sequence[Container]
    init_containers: Sequence[Container] = ()
    volumes: Sequence[Volume] = ()
    run_as_user: int = 65532
    run_as_group: int | None = None
    fs_group: int | None = None
    service_account: str | None = None
    """Set only for workloads that call the Kubernetes API; others get no token at all."""
    restart_policy: str | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    sysctls: Mapping[str, str] = field(default_factory=dict)
    """Namespaced, PSA-"restricted"-safe sysctls, e.g. ``net.ipv4.ip_unprivileged_port_start``."""

    def check_mounts(self, workload: str, claims: Sequence[str] = ()) -> None:
        """Every mount names a volume of this pod (or one of the StatefulSet's ``claims``)."""
        names = [v.name for v in self.volumes]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"{workload}: volume name(s) {duplicates} declared more than once")
        known = {*names, *claims}
        for container in (*self.init_containers, *self.containers):
            missing = sorted(set(container.mounts) - known)
            if missing:
                raise ValueError(
                    f"{workload}: container {container.name!r} mounts {missing} but the pod has no such volume "
                    f"(volumes: {sorted(known)}); add the volume or fix the mount name"
                )

    def render(self, labels: Mapping[str, str], annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
        group = self.run_as_group if self.run_as_group is not None else self.run_as_user
        spec: dict[str, Any] = {
            "automount_service_account_token": self.service_account is not None,
            "enable_service_links": False,
            "security_context": {
                "run_as_non_root": True,
                "run_as_user": self.run_as_user,
                "run_as_group": group,
                "fs_group": self.fs_group if self.fs_group is not None else group,
                "seccomp_profile": {"type": "RuntimeDefault"},
                **({"sysctl": [{"name": k, "value": v} for k, v in sorted(self.sysctls.items())]} if self.sysctls else {}),
            },
            "container": [c.render() for c in self.containers],
        }
        if self.init_containers:
            spec["init_container"] = [c.render() for c in self.init_containers]
        if self.volumes:
            spec["volume"] = [v.render() for v in self.volumes]
        if self.service_account:
            spec["service_account_name"] = self.service_account
        if self.restart_policy:
            spec["restart_policy"] = self.restart_policy
        if self.node_selector:
            spec["node_selector"] = dict(self.node_selector)
        metadata: dict[str, Any] = {"labels": dict(labels)}
        if annotations:
            metadata["annotations"] = dict(annotations)
        return {"metadata": metadata, "spec": spec}


def _metadata(name: str, namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(labels)}


def deployment(
    scope: Construct,
    id_: str,
    *,
    name: str,
    namespace: str,
    pod: Pod,
    replicas: int = 1,
    recreate: bool = False,
    component: str | None = None,
    pod_annotations: Mapping[str, str] | None = None,
) -> DeploymentV1:
    """A Deployment; ``recreate`` for single-writer apps on a ReadWriteOnce PVC."""
    pod.check_mounts(f"Deployment {name!r}")
    labels = workload_labels(name, component)
    selector = {k: labels[k] for k in sorted(labels) if k.endswith(("/name", "/component"))}
    spec = {
        "replicas": str(replicas),
        "selector": {"match_labels": selector},
        "strategy": {"type": "Recreate"} if recreate else {"type": "RollingUpdate"},
        "template": pod.render(labels, pod_annotations),
    }
    return DeploymentV1(
        scope,
        id_,
        metadata=build(DeploymentV1Metadata, _metadata(name, namespace, labels)),
        spec=build(DeploymentV1Spec, spec),
        wait_for_rollout=False,
    )


def stateful_set(
    scope: Construct,
    id_: str,
    *,
    name: str,
    namespace: str,
    pod: Pod,
    service_name: str,
    volume_claims: Mapping[str, tuple[str, str]],  # claim name → (storage class, size)
    component: str | None = None,
    pod_annotations: Mapping[str, str] | None = None,
) -> StatefulSetV1:
    pod.check_mounts(f"StatefulSet {name!r}", claims=list(volume_claims))
    labels = workload_labels(name, component)
    selector = {k: labels[k] for k in sorted(labels) if k.endswith(("/name", "/component"))}
    spec = {
        "replicas": "1",
        "service_name": service_name,
        "selector": {"match_labels": selector},
        "template": pod.render(labels, pod_annotations),
        "volume_claim_template": [
            {
                "metadata": {"name": claim, "labels": dict(labels)},
                "spec": {
                    "access_modes": ["ReadWriteOnce"],
                    "storage_class_name": storage_class,
                    "resources": {"requests": {"storage": size}},
                },
            }
            for claim, (storage_class, size) in sorted(volume_claims.items())
        ],
        "persistent_volume_claim_retention_policy": {"when_deleted": "Retain", "when_scaled": "Retain"},
    }
    return StatefulSetV1(
        scope,
        id_,
        metadata=build(StatefulSetV1Metadata, _metadata(name, namespace, labels)),
        spec=build(StatefulSetV1Spec, spec),
        wait_for_rollout=False,
    )


def cron_job(
    scope: Construct,
    id_: str,
    *,
    name: str,
    namespace: str,
    pod: Pod,
    schedule: str,
    component: str | None = None,
) -> CronJobV1:
    pod.check_mounts(f"CronJob {name!r}")
    labels = workload_labels(name, component)
    spec = {
        "schedule": schedule,
        "concurrency_policy": "Forbid",
        "successful_jobs_history_limit": 1,
        "failed_jobs_history_limit": 3,
        "job_template": {
            "metadata": {"labels": dict(labels)},
            "spec": {
                "backoff_limit": 2,
                "ttl_seconds_after_finished": 3600,
                "template": replace(pod, restart_policy="OnFailure").render(labels),
            },
        },
    }
    return CronJobV1(
        scope,
        id_,
        metadata=build(CronJobV1Metadata, _metadata(name, namespace, labels)),
        spec=build(CronJobV1Spec, spec),
    )
