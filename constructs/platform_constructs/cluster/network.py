"""The cluster's private network: one VPC in the configured region."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_digitalocean.vpc import Vpc
from constructs import Construct

from envs import PlatformConfig


def vpc_name(config: PlatformConfig) -> str:
    return f"{config.cluster_name}-{config.cluster.region}"


class ClusterNetwork(Construct):
    """``digitalocean_vpc`` with a fixed range from config (a new range would replace the cluster)."""

    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig) -> None:
        super().__init__(scope, id_)
        cluster = config.cluster
        self.vpc = Vpc(
            self,
            "vpc",
            name=vpc_name(config),
            region=cluster.region,
            ip_range=cluster.vpc_ip_range,
            description=f"Private network of the {config.cluster_name} DOKS cluster (managed by OpenTofu)",
            # Replacing the VPC replaces the cluster inside it: refuse it like the cluster itself.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        self.vpc.override_logical_id("vpc")
