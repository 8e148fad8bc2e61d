"""``<env>-data``: the data layer's stack, owner of namespace ``data``."""

from __future__ import annotations

from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.kubernetes import KubernetesStack

NAMESPACE = "data"


class DataStack(KubernetesStack):
    layer = "data"

    def __init__(self, scope: Construct, *, config: PlatformConfig) -> None:
        super().__init__(scope, config=config)
        self.namespace_name = self.namespace(NAMESPACE)
