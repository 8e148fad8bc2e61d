"""``<env>-metrics``: the metrics layer's stack, owner of namespace ``metrics``."""

from __future__ import annotations

from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.kubernetes import KubernetesStack

NAMESPACE = "metrics"


class MetricsStack(KubernetesStack):
    layer = "metrics"

    def __init__(self, scope: Construct, *, config: PlatformConfig) -> None:
        super().__init__(scope, config=config)
        self.namespace_name = self.namespace(NAMESPACE)
