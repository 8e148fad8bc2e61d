"""``<env>-data``: the data layer's stack, owner of namespace ``data``.

Postgres (every app by default) and MariaDB (WordPress only), each: a StatefulSet with its PVC,
a Service with a stable name (``catalog.Engine.host``), an init Job for the databases of the
enabled apps, network policies that admit exactly those apps' namespaces, a nightly restore
drill of its dumps, and one Velero schedule whose pre-backup hooks dump both engines.
"""

from __future__ import annotations

from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.kubernetes import KubernetesStack
from platform_constructs.data.backups import data_backup_schedule
from platform_constructs.data.catalog import DATA_NAMESPACE, ENGINES, enabled_databases
from platform_constructs.data.drill import RestoreDrill
from platform_constructs.data.engines import DatabaseEngine
from platform_constructs.data.init_jobs import DatabaseInitJob

NAMESPACE = DATA_NAMESPACE


class DataStack(KubernetesStack):
    layer = "data"

    def __init__(self, scope: Construct, *, config: PlatformConfig) -> None:
        super().__init__(scope, config=config)
        self.namespace_name = self.namespace(NAMESPACE)
        self.engines: dict[str, DatabaseEngine] = {}
        self.init_jobs: dict[str, DatabaseInitJob] = {}
        for engine in ENGINES:
            component = DatabaseEngine(self, engine.name, config=config, engine=engine, namespace=self.namespace_name)
            self.engines[engine.name] = component
            RestoreDrill(self, f"{engine.name}_drill", config=config, engine=component, namespace=self.namespace_name)
            databases = enabled_databases(config, engine)
            if databases:
                self.init_jobs[engine.name] = DatabaseInitJob(
                    self, f"{engine.name}_init", engine=component, databases=databases, namespace=self.namespace_name
                )
        data_backup_schedule(
            self,
            "backup",
            config=config,
            namespace=NAMESPACE,  # literal: Velero selects by name, known at plan time
            engines=[component.spec for component in self.engines.values()],
        )
