"""What an app switched off keeps (``[apps.<name>] data``, default ``"retain"``).

``enabled = false`` removes an app's workloads, Secrets, Ingresses and policies from the config;
its namespace and its PVCs stay when ``data = "retain"``: the apps stack declares them again
here, at the **same construct paths** as the app's own component (``<app>/data``,
``<app>/valkey/data``…), so their addresses, and so the volumes, do not change. Switching the app
back on finds its data. Every app PVC has ``prevent_destroy`` (``base/storage.py``): a plan that
would delete one fails, unless the operator removed it from the config on purpose with
``data = "delete"`` (README, "Switching an app off").

Volumes that are not ours survive with the namespace: StatefulSet claims (Sentry's Kafka and
ClickHouse) are never deleted with their StatefulSet (``Retain`` claim policy, base/workload.py),
and the Nextcloud chart annotates its PVCs ``helm.sh/resource-policy: keep`` (nextcloud/helm,
charts/nextcloud/templates/nextcloud-pvc.yaml and nextcloud-data-pvc.yaml at nextcloud-9.2.4), so
``helm uninstall`` leaves them.

``tests/apps/test_retention.py`` proves, for both envs, that the retained claims are exactly the
claims of the enabled apps, address and body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from constructs import Construct

from envs import PlatformConfig
from envs.sections.apps import ValkeyConfig
from platform_constructs.apps import analytics, n8n, registry, twenty, wordpress
from platform_constructs.base.storage import block_pvc

VALKEY_NAME = "valkey"  # apps/common/valkey.py default name: claim "valkey-data" at <app>/valkey/data


@dataclass(frozen=True)
class RetainedVolume:
    path: tuple[str, ...]
    """Construct ids under the app's component, e.g. ("data",) or ("valkey", "data")."""
    name: str
    size: str
    app: str
    """``app.kubernetes.io/name`` label the component puts on the claim."""


def _valkey(settings: ValkeyConfig) -> list[RetainedVolume]:
    if settings.storage is None:
        return []
    return [RetainedVolume(("valkey", "data"), f"{VALKEY_NAME}-data", settings.storage, VALKEY_NAME)]


RETAINED: dict[str, Callable[[PlatformConfig], list[RetainedVolume]]] = {
    "wordpress": lambda c: [RetainedVolume(("content",), "wordpress-content", c.apps.wordpress.storage, wordpress.NAME)],
    "n8n": lambda c: [RetainedVolume(("data",), n8n.DATA_CLAIM, c.apps.n8n.storage, n8n.NAME)]
    + (_valkey(c.apps.n8n.valkey) if c.apps.n8n.queue_mode else []),
    "registry": lambda c: [RetainedVolume(("data",), registry.DATA_CLAIM, c.apps.registry.storage, registry.NAME)],
    "analytics": lambda c: [RetainedVolume(("data",), analytics.DATA_CLAIM, c.apps.analytics.storage, analytics.NAME)],
    "twenty": lambda c: (
        [RetainedVolume(("local_storage",), twenty.STORAGE_CLAIM, c.apps.twenty.storage, twenty.APP)]
        if c.apps.twenty.storage is not None
        else []
    )
    + _valkey(c.apps.twenty.valkey),
    "nextcloud": lambda c: _valkey(c.apps.nextcloud.valkey),
    "sentry": lambda c: _valkey(c.apps.sentry.valkey),
}
"""app → the block PVCs its component creates (and the component's construct id is the app name)."""


def retain_volumes(scope: Construct, app: str, *, config: PlatformConfig, namespace: str) -> None:
    """The claims of switched-off ``app`` at the construct paths its component uses."""
    root = Construct(scope, app)
    for volume in RETAINED[app](config):
        parent = root
        for part in volume.path[:-1]:
            parent = parent.node.try_find_child(part) or Construct(parent, part)
        block_pvc(parent, volume.path[-1], config=config, name=volume.name, namespace=namespace, size=volume.size,
                  app=volume.app)
