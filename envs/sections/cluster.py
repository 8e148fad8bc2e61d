"""Config of the prod cluster stack (DigitalOcean): region, DOKS version, node pools."""

from __future__ import annotations

from pydantic import Field

from envs.types import DnsLabel, Section


class NodePoolConfig(Section):
    name: DnsLabel
    size: str = Field(min_length=1, description="droplet size slug, e.g. s-2vcpu-4gb")
    min_nodes: int = Field(ge=1)
    max_nodes: int = Field(ge=1)


class ClusterConfig(Section):
    region: DnsLabel = Field(default="fra1")
    kubernetes_version_prefix: str = Field(pattern=r"^1\.[0-9]+\.$", description="DOKS version prefix, e.g. 1.33.")
    default_pool: NodePoolConfig
