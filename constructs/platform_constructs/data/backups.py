"""Consistent backups of namespace ``data``: a Velero Schedule whose pre-backup hooks dump each
engine to ``dumps/`` on its own PVC (``scripts/<engine>-dump.sh``), so the backup always holds a
logical dump taken by the engine itself; a restore never depends on the live data files that the
file-system backup copies alongside.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.backup import backup_schedule
from platform_constructs.base.labels import NAME_LABEL
from platform_constructs.base.literals import for_tofu
from platform_constructs.data.catalog import DATA_BACKUP_SCHEDULE, DATA_NAMESPACE
from platform_constructs.data.engines import EngineSpec
from platform_constructs.data.shell import bundle

DUMP_TIMEOUT = "30m"


def dump_hook(spec: EngineSpec) -> dict[str, Any]:
    """Velero ``hooks.resources`` entry: run the engine's dump script in its own container first."""
    name = spec.engine.name
    return {
        "name": f"{name}-dump",
        "includedNamespaces": [DATA_NAMESPACE],
        "labelSelector": {"matchLabels": {NAME_LABEL: name}},
        "pre": [
            {
                "exec": {
                    "container": name,
                    "command": ["bash", "-c", for_tofu(bundle("dump-common.sh", f"{name}-dump.sh"))],
                    # A failed dump fails the backup: better a visible failure than a silent stale dump.
                    "onError": "Fail",
                    "timeout": DUMP_TIMEOUT,
                }
            }
        ],
    }


def data_backup_schedule(
    scope: Construct, id_: str, *, config: PlatformConfig, namespace: str, engines: Sequence[EngineSpec]
) -> Manifest:
    return backup_schedule(
        scope,
        id_,
        config=config,
        name=DATA_BACKUP_SCHEDULE if namespace == DATA_NAMESPACE else f"{namespace}-daily",
        namespaces=[namespace],
        hooks=[dump_hook(spec) for spec in engines],
    )
