"""``<env>-apps``: every application, each in its own namespace (see README, "Namespaces").

An application is one component class ``App(scope, id, *, config, namespace)`` registered in
``APP_COMPONENTS``; its switch is ``config.apps.<name>.enabled``. A switched-off app keeps only
its namespace and volumes (``data = "retain"``, the default: ``apps/retention.py``), or nothing
(``data = "delete"`` / ``"none"``), and the rest still synthesizes.
"""

from __future__ import annotations

from collections.abc import Callable

from constructs import Construct

from envs import PlatformConfig
from platform_constructs.apps.analytics import Analytics
from platform_constructs.apps.n8n import N8n
from platform_constructs.apps.nextcloud import Nextcloud
from platform_constructs.apps.registry import Registry
from platform_constructs.apps.retention import retain_volumes
from platform_constructs.apps.sentry import Sentry
from platform_constructs.apps.twenty import Twenty
from platform_constructs.apps.wordpress import Wordpress
from platform_constructs.base.kubernetes import KubernetesStack

AppComponent = Callable[..., Construct]

# app name (= namespace, = config.apps.<name>) → component class. Order is construction order.
APP_COMPONENTS: dict[str, AppComponent | None] = {
    "wordpress": Wordpress,
    "n8n": N8n,
    "registry": Registry,
    "analytics": Analytics,
    "twenty": Twenty,
    "nextcloud": Nextcloud,
    "sentry": Sentry,
}
APP_NAMESPACES: dict[str, str] = {app: app for app in APP_COMPONENTS}


class AppsStack(KubernetesStack):
    layer = "apps"

    def __init__(self, scope: Construct, *, config: PlatformConfig) -> None:
        super().__init__(scope, config=config)
        for app, component in APP_COMPONENTS.items():
            settings = getattr(config.apps, app)
            if settings.enabled:
                namespace = self.namespace(APP_NAMESPACES[app])
                if component is not None:
                    component(self, app, config=config, namespace=namespace)
            elif settings.data == "retain":
                retain_volumes(self, app, config=config, namespace=self.namespace(APP_NAMESPACES[app]))
