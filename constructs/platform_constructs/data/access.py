"""The app side of the edge to a shared database: egress from the app's pods to its engine.

The data stack opens the serving side (``data/engines.py``); apps call ``allow_to_database`` so the
policy name, peer and port always come from the catalog.
"""

from __future__ import annotations

from constructs import Construct

from platform_constructs.base.network import Pods, Policy, allow_to_service
from platform_constructs.data.catalog import DATA_NAMESPACE, AppDatabase


def allow_to_database(scope: Construct, id_: str, *, db: AppDatabase, namespace: str, pods: Pods) -> Policy:
    """Egress from ``pods`` (every pod of the namespace when None) to ``db``'s engine in ``data``."""
    return allow_to_service(
        scope,
        id_,
        namespace=namespace,
        app=pods,
        target_namespace=DATA_NAMESPACE,
        target_app=db.engine.service,
        ports=[db.engine.port],
        name=f"allow-{pods if isinstance(pods, str) else db.app}-to-{db.engine.name}",
    )
