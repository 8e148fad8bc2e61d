"""A block-storage PVC for a single-writer app (Deployment with ``recreate=True``)."""

from __future__ import annotations

from cdktf_cdktf_provider_kubernetes.persistent_volume_claim_v1 import (
    PersistentVolumeClaimV1,
    PersistentVolumeClaimV1Metadata,
    PersistentVolumeClaimV1Spec,
)
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.labels import workload_labels
from platform_constructs.base.structs import build


def block_pvc(
    scope: Construct, id_: str, *, config: PlatformConfig, name: str, namespace: str, size: str, app: str
) -> PersistentVolumeClaimV1:
    """RWO claim on the env's block class (``config.storage.block_class``).

    ``wait_until_bound`` is off: block classes bind on first consumer, which is created after.
    """
    return PersistentVolumeClaimV1(
        scope,
        id_,
        metadata=build(PersistentVolumeClaimV1Metadata, {"name": name, "namespace": namespace, "labels": workload_labels(app)}),
        spec=build(
            PersistentVolumeClaimV1Spec,
            {
                "access_modes": ["ReadWriteOnce"],
                "storage_class_name": config.storage.block_class,
                "resources": {"requests": {"storage": size}},
            },
        ),
        wait_until_bound=False,
    )
