"""Object storage names and endpoints, derived from config in one place.

Prod: DigitalOcean Spaces buckets created by the cluster stack; dev: the same bucket names in
the in-cluster MinIO (infra stack). Every stack that needs a bucket asks here, never retypes.
"""

from __future__ import annotations

from envs import PlatformConfig

MINIO_SERVICE = "minio"
MINIO_NAMESPACE = "infra"
MINIO_PORT = 9000
VELERO_PODS = "velero"
"""``app.kubernetes.io/name`` of every Velero pod that writes the velero bucket (infra/velero.py)."""


def velero_bucket(config: PlatformConfig) -> str:
    return f"{config.cluster_name}-velero"


def media_bucket(config: PlatformConfig) -> str:
    """Bucket for app media (WordPress offload, Nextcloud external storage, …)."""
    return f"{config.cluster_name}-media"


def s3_region(config: PlatformConfig) -> str:
    return config.cluster.region if config.cluster is not None else "us-east-1"


def s3_endpoint(config: PlatformConfig) -> str:
    """S3 API endpoint the workloads use: Spaces in prod, MinIO's in-cluster service in dev."""
    if config.infra.backups.target == "spaces":
        return f"https://{s3_region(config)}.digitaloceanspaces.com"
    return f"http://{MINIO_SERVICE}.{MINIO_NAMESPACE}.svc.cluster.local:{MINIO_PORT}"


def minio_app_namespaces(config: PlatformConfig) -> list[str]:
    """Namespaces of the apps whose objects live in this env's in-cluster MinIO (none with Spaces).

    n8n binary data is the only app store that follows ``s3_endpoint``; WordPress offload is
    refused outside Spaces and Nextcloud names its own S3 host. MinIO admits exactly these.
    """
    if config.infra.backups.target != "minio":
        return []
    n8n = config.apps.n8n
    return ["n8n"] if n8n.enabled and n8n.s3_binary_data else []
