"""Config of the metrics layer (namespace ``metrics``): kube-prometheus-stack, Grafana, alerting.

Defaults are the small (dev) sizes; ``envs/prod.toml`` raises what prod needs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from envs.types import Duration, Email, Quantity, Section


class Resources(Section):
    """Requests/limits of one container. Memory always has a limit; CPU only a request (no throttling)."""

    memory_request: Quantity
    memory_limit: Quantity
    cpu_request: Quantity = "10m"


class MetricsResources(Section):
    """One entry per component of the kube-prometheus-stack release (small-cluster defaults)."""

    prometheus: Resources = Resources(memory_request="512Mi", memory_limit="1Gi", cpu_request="100m")
    alertmanager: Resources = Resources(memory_request="32Mi", memory_limit="128Mi")
    grafana: Resources = Resources(memory_request="128Mi", memory_limit="384Mi", cpu_request="50m")
    grafana_sidecar: Resources = Resources(memory_request="64Mi", memory_limit="128Mi")
    operator: Resources = Resources(memory_request="64Mi", memory_limit="256Mi", cpu_request="20m")
    config_reloader: Resources = Resources(memory_request="16Mi", memory_limit="64Mi")
    kube_state_metrics: Resources = Resources(memory_request="64Mi", memory_limit="256Mi")
    node_exporter: Resources = Resources(memory_request="32Mi", memory_limit="64Mi")
    hook_jobs: Resources = Field(
        default=Resources(memory_request="32Mi", memory_limit="128Mi"),
        description="admission-webhook certificate jobs and the CRD upgrade job",
    )


class GrafanaConfig(Section):
    admin_user: str = Field(default="admin", min_length=1, description="login name (not secret)")
    storage: Quantity = Field(default="1Gi", description="Grafana PVC size (SQLite: users, prefs, UI-made dashboards)")


class EmailReceiver(Section):
    to: Email
    sender: Email = Field(description="From: address")
    smarthost: str = Field(pattern=r"^[a-z0-9.-]+:[0-9]+$", description="SMTP relay host:port, e.g. smtp.example.org:587")
    username: str = Field(min_length=1, description="SMTP login; the password is the secret alertmanager_smtp_password")


class AlertingConfig(Section):
    """Where Alertmanager sends alerts. The endpoint's secret part is a sensitive variable."""

    receiver: Literal["none", "webhook", "slack", "email"] = Field(
        default="none",
        description="none: alerts only visible in Alertmanager/Grafana; webhook: POST to alertmanager_webhook_url; "
        "slack: incoming webhook alertmanager_slack_webhook_url; email: SMTP (see [metrics.alerting.email])",
    )
    email: EmailReceiver | None = None

    @model_validator(mode="after")
    def _email_settings(self) -> AlertingConfig:
        if self.receiver == "email" and self.email is None:
            raise ValueError("metrics.alerting.receiver = 'email' needs a [metrics.alerting.email] table")
        if self.receiver != "email" and self.email is not None:
            raise ValueError("[metrics.alerting.email] is set but metrics.alerting.receiver is not 'email'")
        return self


class MetricsConfig(Section):
    enabled: bool = Field(description="install kube-prometheus-stack")
    retention: Duration = Field(description="Prometheus retention")
    storage: Quantity = Field(description="Prometheus PVC size")
    retention_size: str = Field(
        default="", pattern=r"^([0-9]+(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB))?$",
        description="cap on TSDB size (Prometheus units, e.g. 8GiB); keep it below the PVC size. Empty: none",
    )
    alertmanager_storage: Quantity = Field(default="512Mi", description="Alertmanager PVC size (silences, notification log)")
    grafana: GrafanaConfig = GrafanaConfig()
    alerting: AlertingConfig = AlertingConfig()
    resources: MetricsResources = MetricsResources()
