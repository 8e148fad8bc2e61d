"""Object storage names and endpoints, derived from config in one place.

Prod: DigitalOcean Spaces buckets created by the cluster stack; dev: the same bucket names in
the in-cluster MinIO (infra stack). Every stack that needs a bucket asks here, never retypes.
"""

from __future__ import annotations

from envs import PlatformConfig

MINIO_SERVICE = "minio"
MINIO_NAMESPACE = "infra"
MINIO_PORT = 9000


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
