"""``prod-cluster``: everything DigitalOcean creates before Kubernetes exists."""

from __future__ import annotations

from cdktf_cdktf_provider_digitalocean.provider import DigitaloceanProvider
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.stack import LayerStack


class ClusterStack(LayerStack):
    layer = "cluster"

    def __init__(self, scope: Construct, *, config: PlatformConfig) -> None:
        super().__init__(scope, config=config)
        DigitaloceanProvider(
            self,
            "digitalocean",
            token=self.secret("do_token", "DigitalOcean API token (cluster stack only)."),
        )
