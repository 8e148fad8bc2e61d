"""``<env>-infra``: the infra layer's stack, owner of namespace ``infra``."""

from __future__ import annotations

from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.kubernetes import KubernetesStack

NAMESPACE = "infra"


class InfraStack(KubernetesStack):
    layer = "infra"

    def __init__(self, scope: Construct, *, config: PlatformConfig) -> None:
        super().__init__(scope, config=config)
        self.namespace_name = self.namespace(NAMESPACE)
