"""The backup-schedule helper: any layer adds its own Velero ``Schedule`` (the brief allows it).

Velero and its CRDs come from the infra stack, which is applied before data/metrics/apps, so a
``kubernetes_manifest`` here always finds its CRD at plan time. The infra stack itself never
uses this helper (its default schedule goes through the Velero chart's values).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.labels import workload_labels

VELERO_NAMESPACE = "infra"


def backup_schedule(
    scope: Construct,
    id_: str,
    *,
    config: PlatformConfig,
    name: str,
    namespaces: Sequence[str],
    schedule: str | None = None,
    ttl: str | None = None,
    hooks: Sequence[Mapping[str, Any]] = (),
    fs_backup: bool = True,
) -> Manifest:
    """A Velero Schedule backing up ``namespaces`` (defaults: the env's schedule and TTL).

    ``fs_backup`` backs PVC contents up with the node agent (kopia); ``hooks`` are Velero
    ``spec.template.hooks.resources`` entries, e.g. a pre-backup database dump.
    """
    backups = config.infra.backups
    template: dict[str, Any] = {
        "includedNamespaces": list(namespaces),
        "ttl": ttl or backups.ttl,
        "defaultVolumesToFsBackup": fs_backup,
        "storageLocation": "default",
    }
    if hooks:
        template["hooks"] = {"resources": [dict(h) for h in hooks]}
    return Manifest(
        scope,
        id_,
        manifest={
            "apiVersion": "velero.io/v1",
            "kind": "Schedule",
            "metadata": {"name": name, "namespace": VELERO_NAMESPACE, "labels": workload_labels(name, "backup")},
            "spec": {"schedule": schedule or backups.schedule, "useOwnerReferencesInBackup": False, "template": template},
        },
    )
