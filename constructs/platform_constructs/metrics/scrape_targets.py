"""What Prometheus scrapes outside the kube-prometheus-stack's own components: one entry per target.

The monitors are rendered into the kube-prometheus-stack release itself
(``prometheus.additionalPodMonitors``), because the ServiceMonitor/PodMonitor CRDs arrive with that
very release: a ``kubernetes_manifest`` in this stack could not be planned on a fresh cluster, and
the infra charts (Traefik, Velero, cert-manager) are installed before the CRDs exist. PodMonitors
rather than ServiceMonitors because several charts do not put their metrics port on a Service
(Traefik's ``metrics`` port is not exposed by default), while every one names it on the container.

Selectors use the standard ``app.kubernetes.io/name`` label each chart / the workload helper sets.
The serving side must admit Prometheus: the owner of each namespace calls
``base.network.allow_prometheus(namespace=..., app=<pod name label>, ports=[<port>])``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from envs import PlatformConfig
from platform_constructs.base.labels import NAME_LABEL


@dataclass(frozen=True)
class ScrapeTarget:
    name: str
    namespace: str
    pod_labels: dict[str, str]
    port_name: str
    """Name of the container port serving metrics (what the PodMonitor refers to)."""
    port: int
    """Its number, for the NetworkPolicy (policies cannot use another namespace's port names)."""
    enabled: Callable[[PlatformConfig], bool]
    path: str = "/metrics"
    interval: str = "30s"
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def pod_monitor(self) -> dict[str, Any]:
        """The ``additionalPodMonitors`` entry (prometheus-operator PodMonitor spec, camelCase)."""
        return {
            "name": self.name,
            "namespaceSelector": {"matchNames": [self.namespace]},
            "selector": {"matchLabels": dict(self.pod_labels)},
            "podMetricsEndpoints": [
                {"port": self.port_name, "path": self.path, "interval": self.interval, **self.extra}
            ],
        }


SCRAPE_TARGETS: tuple[ScrapeTarget, ...] = (
    ScrapeTarget(
        name="traefik",
        namespace="infra",
        pod_labels={NAME_LABEL: "traefik"},
        port_name="metrics",
        port=9100,
        enabled=lambda c: c.infra.ingress.controller == "traefik",
        note="Traefik chart: entrypoint 'metrics' (9100), on the pod only (not exposed on the Service by default)",
    ),
    ScrapeTarget(
        name="velero",
        namespace="infra",
        pod_labels={NAME_LABEL: "velero", "name": "velero"},  # server pod only, not the node-agent
        port_name="http-monitoring",
        port=8085,
        enabled=lambda c: True,  # Velero runs in every env (brief: daily backups)
        note="Velero chart, metrics.enabled (default): velero_backup_last_successful_timestamp",
    ),
    ScrapeTarget(
        name="cert-manager",
        namespace="infra",
        pod_labels={NAME_LABEL: "cert-manager", "app.kubernetes.io/component": "controller"},
        port_name="http-metrics",
        port=9402,
        enabled=lambda c: c.infra.cert_manager,
        note="cert-manager controller: certmanager_certificate_expiration_timestamp_seconds",
    ),
    ScrapeTarget(
        name="external-dns",
        namespace="infra",
        pod_labels={NAME_LABEL: "external-dns"},
        port_name="http",
        port=7979,
        enabled=lambda c: c.infra.external_dns,
        note="external-dns chart: /metrics on its http port (DNS sync errors, records managed)",
    ),
    ScrapeTarget(
        name="zot",
        namespace="registry",
        pod_labels={NAME_LABEL: "zot"},
        port_name="http",
        port=5000,
        enabled=lambda c: c.apps.registry.enabled,
        note="Zot with the metrics extension on; /metrics on the registry port",
    ),
    ScrapeTarget(
        name="n8n",
        namespace="n8n",
        pod_labels={NAME_LABEL: "n8n"},
        port_name="http",
        port=5678,
        enabled=lambda c: c.apps.n8n.enabled,
        note="n8n serves /metrics when N8N_METRICS=true",
    ),
)


def enabled_targets(config: PlatformConfig) -> list[ScrapeTarget]:
    """The targets whose component the env's config switches on."""
    return [t for t in SCRAPE_TARGETS if t.enabled(config)]
