"""Recorded exceptions to the rules in ``rules.py``: each says which rule, where, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from platform_constructs.data.catalog import APP_DATABASES
from platform_constructs.rules import Waiver

WAIVERS: tuple[Waiver, ...] = (
    # --- apps layer ---
    Waiver(
        "posture-read-only-root",
        "*-apps",
        "kubernetes_stateful_set_v1.sentry_kafka_statefulset_DD0B5C07",
        "The official apache/kafka image renders server.properties from KAFKA_* variables into its own config "
        "directory at start; non-root (uid 1000), all capabilities dropped, data on the PVC.",
        when="apps.sentry.enabled",
    ),
    # --- data layer ---
    *(
        Waiver(
            "helm-pinned",
            "*-data",
            f"helm_release.{engine}_init",
            "Local chart shipped from this repo (constructs/platform_constructs/data/charts/database-init, version "
            "0.1.0): versioned with the code, no repository to pin. It carries the init Job as a Helm hook, so the "
            "state tracks the release and not a Job that its TTL deletes (no plan noise).",
            when=tuple(f"apps.{db.app}.enabled" for db in APP_DATABASES if db.engine.name == engine),
        )
        for engine in ("postgres", "mariadb")
    ),
    # --- infra layer ---
    Waiver(
        "helm-pinned",
        "prod-infra",
        "helm_release.letsencrypt_issuers",
        "Local chart shipped from this repo (constructs/platform_constructs/infra/charts/letsencrypt-issuers, "
        "version 0.1.0): versioned with the code, no repository to pin. It carries the ClusterIssuers so they "
        "install after cert-manager in the same apply.",
    ),
)


@dataclass(frozen=True)
class PodSecurityWaiver:
    """A namespace whose Pod Security Admission ``enforce`` level is below ``restricted``."""

    level: Literal["baseline", "privileged"]
    reason: str


# namespace → waiver. Every other namespace enforces ``restricted``; all warn/audit at ``restricted``.
POD_SECURITY_WAIVERS: dict[str, PodSecurityWaiver] = {
    "metrics": PodSecurityWaiver(
        "privileged",
        "node-exporter (DaemonSet of kube-prometheus-stack) needs hostNetwork, hostPID and a read-only hostPath "
        "of / to report node metrics. Prometheus, Grafana, Alertmanager and the operator use restricted contexts.",
    ),
    "infra": PodSecurityWaiver(
        "privileged",
        "Velero's node agent (DaemonSet) reads every pod's volumes through hostPath mounts of "
        "/var/lib/kubelet as root: that is how file-system backup of PVCs works. Everything else in "
        "infra sets restricted security contexts itself.",
    ),
    "sentry": PodSecurityWaiver(
        "baseline",
        "The Sentry chart runs ~30 workloads and hook jobs from getsentry images whose users and "
        "security contexts the chart does not set to restricted everywhere (no global knob). The "
        "namespace enforces baseline and warns/audits at restricted; the Kafka, ClickHouse and Valkey "
        "this project adds there use the restricted helper anyway.",
    ),
}
