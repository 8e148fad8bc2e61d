"""Config of the metrics layer (namespace ``metrics``): kube-prometheus-stack and Grafana."""

from __future__ import annotations

from pydantic import Field

from envs.types import Duration, Quantity, Section


class MetricsConfig(Section):
    enabled: bool = Field(description="install kube-prometheus-stack")
    retention: Duration = Field(description="Prometheus retention")
    storage: Quantity = Field(description="Prometheus PVC size")
