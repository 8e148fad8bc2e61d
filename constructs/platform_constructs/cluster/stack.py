"""``prod-cluster``: everything DigitalOcean creates before Kubernetes exists.

VPC → DOKS cluster (+ extra pools) → Spaces buckets → DNS zone, grouped in one DO project.
Applied first; later stacks reach the cluster through the kubeconfig written by
``bin/refresh-kubeconfig.sh`` and take bucket names/endpoints from ``base/buckets.py``, so the
outputs below are for operators and nothing is retyped.

Resources carry short fixed logical names (``digitalocean_kubernetes_cluster.cluster``,
``digitalocean_spaces_bucket.velero``, …) so state addresses survive a refactor of the Python:
a moved construct must never read as destroy + create for prevent_destroy resources.

Spaces access keys are created by the operator, not here (see README "Prod bootstrap"): the state
backend needs one before any stack runs, and a key made by this stack would have to travel to the
infra/apps stacks through state or outputs. The provider manages buckets with the operator's key
(``do_spaces_access_id`` / ``do_spaces_secret_key``); Velero and the apps get bucket-scoped keys
through their own secrets.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from cdktf_cdktf_provider_digitalocean.project import Project
from cdktf_cdktf_provider_digitalocean.provider import DigitaloceanProvider
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.buckets import s3_endpoint, s3_region
from platform_constructs.base.stack import LayerStack
from platform_constructs.cluster.dns import DnsZone
from platform_constructs.cluster.doks import DoksCluster
from platform_constructs.cluster.network import ClusterNetwork
from platform_constructs.cluster.spaces import ObjectStorage


class ClusterStack(LayerStack):
    layer = "cluster"

    def __init__(self, scope: Construct, *, config: PlatformConfig) -> None:
        super().__init__(scope, config=config)
        if config.cluster is None:
            raise ValueError(f"{config.env} has no [cluster] section: the cluster stack is prod only")
        DigitaloceanProvider(
            self,
            "digitalocean",
            token=self.secret("do_token"),
            spaces_access_id=self.secret("do_spaces_access_id"),
            spaces_secret_key=self.secret("do_spaces_secret_key"),
        )
        self.network = ClusterNetwork(self, "network", config=config)
        self.doks = DoksCluster(self, "doks", config=config, vpc_id=self.network.vpc.id)
        self.storage = ObjectStorage(self, "storage", config=config)
        self.dns = DnsZone(self, "dns", config=config)
        # Groups the resources in the DO console (the replaced system had one too); not taggable.
        Project(
            self,
            "project",
            name=config.cluster_name,
            description=f"Self-hosted platform {config.root_domain} (managed by OpenTofu, stack {self.node.id})",
            environment="Production",
            purpose="Web Application",
            resources=[
                self.doks.cluster.urn,
                self.storage.velero.urn,
                self.storage.media.urn,
                self.dns.domain.urn,
            ],
        )
        self._outputs(config)

    def _outputs(self, config: PlatformConfig) -> None:
        cluster = self.doks.cluster
        outputs = {
            "cluster_name": (cluster.name, "DOKS cluster name (doctl kubernetes cluster kubeconfig save <name>)"),
            "cluster_id": (cluster.id, "DOKS cluster ID"),
            "cluster_region": (cluster.region, "DigitalOcean region of the cluster and buckets"),
            "kubernetes_version": (cluster.version, "DOKS version slug in use"),
            "kube_context": (self.doks.kube_context, "kubeconfig context the later stacks use (kube.context)"),
            "api_endpoint": (cluster.endpoint, "Kubernetes API server URL"),
            "vpc_id": (self.network.vpc.id, "VPC of the cluster"),
            "velero_bucket": (self.storage.velero.name, "Spaces bucket of the Velero backups"),
            "media_bucket": (self.storage.media.name, "Spaces bucket of the app media"),
            "s3_endpoint": (s3_endpoint(config), "S3 API endpoint of the buckets"),
            "s3_region": (s3_region(config), "S3 region of the buckets"),
            "dns_zone": (self.dns.domain.name, "DigitalOcean DNS zone (delegate the registrar's NS to DigitalOcean)"),
        }
        for name, (value, description) in outputs.items():
            TerraformOutput(self, name, value=value, description=description)
