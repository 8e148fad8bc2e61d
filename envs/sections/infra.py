"""Config of the infra layer (namespace ``infra``): ingress, TLS, DNS, WAF, object storage, backups."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from envs.types import Cron, DnsLabel, Duration, Quantity, Section

MiB = 1024 * 1024


class IngressConfig(Section):
    class_name: Literal["traefik", "nginx"] = Field(description="IngressClass every app Ingress uses")
    controller: Literal["traefik", "minikube-addon"] = Field(
        description="who serves that class: our Traefik release, or minikube's ingress addon (dev)"
    )
    tls: bool = Field(description="TLS on app Ingresses (cert-manager certificates)")
    replicas: int = Field(default=2, ge=1, le=10, description="Traefik pods (>= 2 gets a PodDisruptionBudget)")
    service_type: Literal["LoadBalancer", "NodePort"] = Field(
        default="LoadBalancer",
        description="Traefik Service type: DO load balancer in prod; docker-desktop publishes a LoadBalancer on "
        "localhost, minikube needs `minikube tunnel` (or NodePort)",
    )
    memory_request: Quantity = "128Mi"
    memory_limit: Quantity = "512Mi"
    read_timeout: Duration = Field(
        default="10m",
        description="Traefik entrypoint read timeout (v3 defaults to 60s, which cuts registry pushes and large uploads)",
    )

    @model_validator(mode="after")
    def _class_matches_controller(self) -> IngressConfig:
        expected = "traefik" if self.controller == "traefik" else "nginx"
        if self.class_name != expected:
            raise ValueError(
                f"ingress.controller = {self.controller!r} serves class {expected!r}, not {self.class_name!r}: "
                f"set ingress.class_name = {expected!r}"
            )
        return self


class WafConfig(Section):
    """ModSecurity + OWASP CRS behind the Traefik plugin (used when ``infra.waf`` is on)."""

    rule_engine: Literal["On", "DetectionOnly"] = Field(
        default="On", description="On blocks; DetectionOnly only logs (use it while tuning exclusions)"
    )
    paranoia_level: int = Field(default=1, ge=1, le=4, description="CRS blocking paranoia level (1 = fewest false positives)")
    anomaly_inbound: int = Field(default=5, ge=1, le=100, description="CRS inbound anomaly score that blocks a request")
    anomaly_outbound: int = Field(default=4, ge=1, le=100, description="CRS outbound anomaly threshold")
    body_limit_bytes: int = Field(
        default=64 * MiB, ge=MiB, le=1024 * MiB,
        description="largest request body inspected and accepted (plugin maxBodySize = ModSecurity body limit); "
        "Traefik and ModSecurity hold bodies up to this size in memory; every app limit behind the WAF must fit",
    )
    body_limit_no_files_bytes: int = Field(
        default=16 * MiB, ge=64 * 1024,
        description="largest non-upload body (JSON, forms) ModSecurity accepts; n8n's payload limit must fit",
    )
    timeout_ms: int = Field(default=2000, ge=100, le=60000, description="plugin time-out for the WAF sub-request")
    replicas: int = Field(default=2, ge=1, le=10, description="WAF pods; the WAF fails closed, so keep >= 2")
    memory_request: Quantity = "128Mi"
    memory_limit: Quantity = "512Mi"


class DnsConfig(Section):
    """external-dns (used when ``infra.external_dns`` is on)."""

    policy: Literal["upsert-only", "sync", "create-only"] = Field(
        default="upsert-only", description="sync also deletes the records it owns when their Ingress goes away"
    )
    txt_owner_id: DnsLabel | None = Field(
        default=None, description="TXT registry owner id; default <cluster_name>-<env> (unique per cluster)"
    )


class MinioConfig(Section):
    """The dev object store (``backups.target = "minio"``): one MinIO pod on a hostPath of the repo."""

    capacity: Quantity = Field(default="20Gi", description="size declared on the hostPath PersistentVolume")
    memory_request: Quantity = "256Mi"
    memory_limit: Quantity = "1Gi"


class BackupConfig(Section):
    target: Literal["spaces", "minio"] = Field(description="Velero object store: DO Spaces or in-cluster MinIO")
    schedule: Cron = Field(default="0 3 * * *", description="default Velero schedule (cluster-wide)")
    ttl: Duration = Field(default="720h", description="how long a backup is kept (30 days)")
    memory_request: Quantity = Field(default="256Mi", description="Velero server")
    memory_limit: Quantity = "1Gi"
    node_agent_memory_request: Quantity = Field(default="256Mi", description="node agent (kopia file-system backup)")
    node_agent_memory_limit: Quantity = "1Gi"


class InfraConfig(Section):
    ingress: IngressConfig
    cert_manager: bool = Field(description="install cert-manager and the Let's Encrypt ClusterIssuers")
    external_dns: bool = Field(description="install external-dns for DigitalOcean DNS")
    waf: bool = Field(description="global ModSecurity + OWASP CRS WAF on every public route")
    modsecurity: WafConfig = Field(default_factory=WafConfig, description="WAF tuning (when waf = true)")
    dns: DnsConfig = Field(default_factory=DnsConfig)
    minio: MinioConfig = Field(default_factory=MinioConfig)
    backups: BackupConfig

    @model_validator(mode="after")
    def _waf_needs_traefik(self) -> InfraConfig:
        if self.waf and self.ingress.controller != "traefik":
            raise ValueError("waf = true needs ingress.controller = 'traefik' (the WAF is a Traefik middleware)")
        if self.ingress.tls and not self.cert_manager:
            raise ValueError("ingress.tls = true needs cert_manager = true (certificates come from its ClusterIssuer)")
        return self
