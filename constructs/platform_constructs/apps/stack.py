"""``<env>-apps``: every application, each in its own namespace (see README, "Namespaces")."""

from __future__ import annotations

from constructs import Construct
from envs import PlatformConfig
from platform_constructs.base.kubernetes import KubernetesStack

# Namespace of each app: the app's own name. Switched-off apps get no namespace.
APP_NAMESPACES: dict[str, str] = {
    "wordpress": "wordpress",
    "n8n": "n8n",
    "registry": "registry",
    "analytics": "analytics",
    "twenty": "twenty",
    "nextcloud": "nextcloud",
    "sentry": "sentry",
}


class AppsStack(KubernetesStack):
    layer = "apps"

    def __init__(self, scope: Construct, *, config: PlatformConfig) -> None:
        super().__init__(scope, config=config)
        for app, namespace in APP_NAMESPACES.items():
            if getattr(config.apps, app).enabled:
                self.namespace(namespace)
