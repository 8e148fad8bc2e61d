"""The DOKS cluster: pinned minor, maintenance window clear of the backups, autoscaled pools.

Version: ``digitalocean_kubernetes_versions`` with the configured ``version_prefix`` (e.g. ``1.35.``)
resolves to the newest patch of that minor. A minor upgrade is therefore a reviewed config change;
patches follow DigitalOcean (``auto_upgrade``, in the maintenance window) and the data source
follows them, so a plan never tries to move the version back (which would replace the cluster).
"""

from __future__ import annotations

from typing import Any

from cdktf import Postcondition, TerraformResourceLifecycle
from cdktf_cdktf_provider_digitalocean.data_digitalocean_kubernetes_versions import DataDigitaloceanKubernetesVersions
from cdktf_cdktf_provider_digitalocean.kubernetes_cluster import (
    KubernetesCluster,
    KubernetesClusterMaintenancePolicy,
    KubernetesClusterNodePool,
)
from cdktf_cdktf_provider_digitalocean.kubernetes_node_pool import KubernetesNodePool, KubernetesNodePoolTaint
from constructs import Construct

from envs import ConfigError, PlatformConfig
from envs.sections.cluster import NodePoolConfig, doks_context, maintenance_conflict
from platform_constructs.base.structs import build
from platform_constructs.cluster.tags import do_tags


def kube_context(config: PlatformConfig) -> str:
    """Context name ``doctl kubernetes cluster kubeconfig save`` writes for this cluster."""
    return doks_context(config.cluster.region, config.cluster_name)


def check_cluster_config(config: PlatformConfig) -> None:
    """Cross-section checks the cluster stack relies on; raise ``ConfigError`` with the fix."""
    conflict = maintenance_conflict(config.cluster.maintenance, config.infra.backups.schedule)
    if conflict:
        raise ConfigError(conflict)
    expected = kube_context(config)
    if config.kube.context != expected:
        raise ConfigError(
            f"kube.context = {config.kube.context!r} but doctl names this cluster's context {expected!r} "
            f"(do-<region>-<cluster_name>); set kube.context = {expected!r} in envs/prod.toml "
            "(or envs/prod.local.toml when CLUSTER_NAME is overridden)."
        )


def _pool_fields(config: PlatformConfig, pool: NodePoolConfig) -> dict[str, Any]:
    return {
        "name": pool.name,
        "size": pool.size,
        "auto_scale": True,
        "min_nodes": pool.min_nodes,
        "max_nodes": pool.max_nodes,
        "labels": dict(pool.labels) or None,
        "tags": do_tags(config, f"pool:{pool.name}"),
        "taint": [t.model_dump() for t in pool.taints] or None,
    }


class DoksCluster(Construct):
    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, vpc_id: str) -> None:
        super().__init__(scope, id_)
        check_cluster_config(config)
        cluster = config.cluster
        self.kube_context = kube_context(config)

        self.versions = DataDigitaloceanKubernetesVersions(
            self,
            "versions",
            version_prefix=cluster.kubernetes_version_prefix,
            lifecycle=TerraformResourceLifecycle(
                postcondition=[
                    Postcondition(
                        condition='${self.latest_version != ""}',
                        error_message=(
                            f"DigitalOcean offers no Kubernetes {cluster.kubernetes_version_prefix}x any more: "
                            "pick a supported minor (doctl kubernetes options versions) and set "
                            "cluster.kubernetes_version_prefix in envs/prod.toml."
                        ),
                    )
                ]
            ),
        )
        self.versions.override_logical_id("doks")

        default_pool = {k: v for k, v in _pool_fields(config, cluster.default_pool).items() if v is not None}
        self.cluster = KubernetesCluster(
            self,
            "cluster",
            name=config.cluster_name,
            region=cluster.region,
            version=self.versions.latest_version,
            vpc_uuid=vpc_id,
            ha=cluster.ha,
            auto_upgrade=cluster.auto_upgrade,
            surge_upgrade=True,  # new nodes come up before old ones drain: upgrades without capacity loss
            maintenance_policy=KubernetesClusterMaintenancePolicy(
                day=cluster.maintenance.day, start_time=cluster.maintenance.start_time
            ),
            node_pool=build(KubernetesClusterNodePool, default_pool),
            tags=do_tags(config),
            # Volumes (PVC data) and load balancers must outlive an accidental cluster deletion.
            destroy_all_associated_resources=False,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        self.cluster.override_logical_id("cluster")

        self.extra_pools: dict[str, KubernetesNodePool] = {}
        for pool in cluster.extra_pools:
            fields = _pool_fields(config, pool)
            taints = [build(KubernetesNodePoolTaint, t) for t in fields.pop("taint") or []]
            self.extra_pools[pool.name] = KubernetesNodePool(
                self,
                f"pool-{pool.name}",
                cluster_id=self.cluster.id,
                taint=taints or None,
                **{k: v for k, v in fields.items() if v is not None},
            )
            self.extra_pools[pool.name].override_logical_id(pool.name.replace("-", "_"))
