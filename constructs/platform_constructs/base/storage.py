"""Block-storage PVCs: the one way any layer asks for a volume of the env's block class."""

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
    """RWO claim on the env's block class (``config.storage.block_class``), with ``prevent_destroy``.

    ``prevent_destroy``: a plan that would delete or replace the claim (and so its volume: the
    block classes reclaim with Delete) fails instead; deleting one is a deliberate act (see the
    README, "Switching an app off"). ``wait_until_bound`` is off: the claim binds when its first
    consumer, created after it, starts.
    """
    claim = PersistentVolumeClaimV1(
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
    claim.add_override("lifecycle.prevent_destroy", True)
    return claim
