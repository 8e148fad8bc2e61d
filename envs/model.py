"""The root configuration model. Layer-specific sections live in ``envs/sections/``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from envs.sections.apps import AppsConfig
from envs.sections.cluster import ClusterConfig
from envs.sections.data import DataConfig
from envs.sections.infra import InfraConfig
from envs.sections.metrics import MetricsConfig
from envs.sections.network import NetworkConfig
from envs.types import DnsLabel, DomainName, Email, Section

EnvName = Literal["dev", "prod"]

# Every public FQDN is derived from root_domain with these prefixes (the brief's list).
# An empty prefix means the apex itself. Nothing else in the code builds a hostname.
HOST_PREFIXES: dict[str, str] = {
    "wordpress": "",
    "n8n": "n8n",
    "n8n_webhook": "webhook",
    "nextcloud": "cloud",
    "analytics": "insights",
    "sentry": "sentry",
    "registry": "registry",
    "twenty": "twenty",
    "grafana": "grafana",
}


class KubeConfig(Section):
    """How the kubernetes and helm providers reach the cluster."""

    config_path: str = Field(description="kubeconfig path as the providers read it (relative to the stack dir or ~)")
    context: str = Field(min_length=1, description="kubeconfig context to use (never the file's current-context)")


class StorageConfig(Section):
    block_class: DnsLabel = Field(description="StorageClass of every PVC (block storage)")


class StateConfig(Section):
    """Where OpenTofu keeps each stack's state (always encrypted, see docs/secrets.md)."""

    backend: Literal["local", "spaces"]
    bucket: DnsLabel | None = Field(default=None, description="Spaces bucket for state (backend=spaces)")
    region: DnsLabel = Field(default="fra1", description="Spaces region (backend=spaces)")

    @model_validator(mode="after")
    def _bucket_for_spaces(self) -> StateConfig:
        if self.backend == "spaces" and not self.bucket:
            raise ValueError("state.bucket is required when state.backend = 'spaces'")
        return self


class PlatformConfig(Section):
    """Everything that differs between environments, as data."""

    env: EnvName
    root_domain: DomainName = Field(description="the only domain knob; every FQDN derives from it")
    cluster_name: DnsLabel = Field(description="cluster name; also names buckets and the MinIO data folder")
    acme_email: Email = Field(description="Let's Encrypt account e-mail (prod)")
    kube: KubeConfig
    storage: StorageConfig
    state: StateConfig
    network: NetworkConfig = Field(description="CNI that enforces the NetworkPolicies and how they name non-pod peers")
    cluster: ClusterConfig | None = Field(default=None, description="DigitalOcean cluster stack (prod only)")
    infra: InfraConfig
    data: DataConfig
    metrics: MetricsConfig
    apps: AppsConfig

    @model_validator(mode="after")
    def _cluster_only_in_prod(self) -> PlatformConfig:
        if self.env == "prod" and self.cluster is None:
            raise ValueError("prod needs a [cluster] section (DigitalOcean cluster stack)")
        if self.env == "dev" and self.cluster is not None:
            raise ValueError("dev has no cluster stack: remove the [cluster] section")
        return self

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    def host(self, name: str) -> str:
        """FQDN of a public endpoint, derived from ``root_domain`` (see ``HOST_PREFIXES``)."""
        prefix = HOST_PREFIXES[name]
        return f"{prefix}.{self.root_domain}" if prefix else self.root_domain

    @property
    def layers(self) -> tuple[str, ...]:
        """Stacks of this environment, in apply order."""
        base = ("infra", "data", "metrics", "apps")
        return ("cluster", *base) if self.cluster is not None else base
