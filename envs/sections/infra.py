"""Config of the infra layer (namespace ``infra``): ingress, TLS, DNS, WAF, object storage, backups."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from envs.types import Cron, Duration, Section


class IngressConfig(Section):
    class_name: Literal["traefik", "nginx"] = Field(description="IngressClass every app Ingress uses")
    controller: Literal["traefik", "minikube-addon"] = Field(
        description="who serves that class: our Traefik release, or minikube's ingress addon (dev)"
    )
    tls: bool = Field(description="TLS on app Ingresses (cert-manager certificates)")


class BackupConfig(Section):
    target: Literal["spaces", "minio"] = Field(description="Velero object store: DO Spaces or in-cluster MinIO")
    schedule: Cron = Field(default="0 3 * * *", description="default Velero schedule (cluster-wide)")
    ttl: Duration = Field(default="720h", description="how long a backup is kept (30 days)")


class InfraConfig(Section):
    ingress: IngressConfig
    cert_manager: bool = Field(description="install cert-manager and the Let's Encrypt ClusterIssuers")
    external_dns: bool = Field(description="install external-dns for DigitalOcean DNS")
    waf: bool = Field(description="global ModSecurity + OWASP CRS WAF on every public route")
    backups: BackupConfig
