"""``<env>-metrics``: the metrics layer's stack, owner of namespace ``metrics``.

With ``metrics.enabled = false`` the stack keeps only its namespace (so the apps' ``allow_prometheus``
policies still name an existing source) and installs nothing.
"""

from __future__ import annotations

from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.kubernetes import KubernetesStack
from platform_constructs.metrics.kube_prometheus_stack import KubePrometheusStack

NAMESPACE = "metrics"


class MetricsStack(KubernetesStack):
    layer = "metrics"

    def __init__(self, scope: Construct, *, config: PlatformConfig) -> None:
        super().__init__(scope, config=config)
        self.namespace_name = self.namespace(NAMESPACE)
        if config.metrics.enabled:
            self.kube_prometheus_stack = KubePrometheusStack(
                self, "kube_prometheus_stack", config=config, namespace=self.namespace_name
            )
