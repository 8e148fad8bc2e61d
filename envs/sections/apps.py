"""Config of the apps layer: one switch (and sizes) per application."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from envs.sections.network import check_ports
from envs.types import Cron, DomainName, Email, Quantity, Section


class AppSwitch(Section):
    enabled: bool


class AppSection(Section):
    """What every app has: its switch, and what becomes of its data when it is switched off."""

    enabled: bool
    data: Literal["retain", "delete", "none"] = Field(
        default="retain",
        description=(
            "when the app is off: retain = keep its namespace and volumes (default); delete = delete them on the "
            "next apply; none = it never ran, nothing to keep (only while enabled = false)"
        ),
    )

    @model_validator(mode="after")
    def _a_running_app_has_data(self) -> AppSection:
        if self.enabled and self.data == "none":
            raise ValueError(
                'data = "none" says this app never ran, but it is enabled: remove the line (the default "retain" '
                "keeps its data if it is switched off again)"
            )
        return self


class ValkeyConfig(Section):
    """An app's private Valkey (``apps/common/valkey.py``); defaults fit a queue of a small app."""

    memory_request: Quantity = "64Mi"
    memory_limit: Quantity = Field(default="128Mi", description="maxmemory is set to 75% of it")
    cpu_request: Quantity = "25m"
    storage: Quantity | None = Field(default="1Gi", description="PVC on the block class; unset = emptyDir (lost on restart)")
    maxmemory_policy: Literal["noeviction", "allkeys-lru", "volatile-lru"] = Field(
        default="noeviction", description="queues (BullMQ, Celery) need noeviction; pure caches may evict"
    )


class SmtpConfig(Section):
    """An outgoing mail relay; its password is the secret ``<app>_smtp_password``."""

    host: DomainName
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = Field(default="starttls", description="tls = implicit TLS (465)")
    username: str = Field(min_length=1)
    from_address: Email
    from_name: str = ""


class WordpressConfig(AppSection):
    """WordPress (official image, one replica: ``wp-content`` is a ReadWriteOnce PVC)."""

    storage: Quantity = Field(default="5Gi", description="PVC for wp-content (plugins, themes, uploads)")
    memory_request: Quantity = "512Mi"
    memory_limit: Quantity = "1Gi"
    cpu_request: Quantity = "100m"
    upload_max_mb: int = Field(default=64, ge=1, le=2048, description="PHP upload/post limit and ingress body size")
    s3_offload: bool = Field(default=False, description="media offload to the media bucket (WP Offload Media plugin)")
    smtp: SmtpConfig | None = Field(default=None, description="WP Mail SMTP plugin constants; unset = PHP mail()")
    backup_schedule: Cron | None = Field(default=None, description="Velero schedule; unset = the env's schedule")


class N8nConfig(AppSection):
    """n8n (plain Deployments of the official image; state in Postgres)."""

    storage: Quantity = Field(default="2Gi", description="PVC for /home/node/.n8n of the main pod")
    memory_request: Quantity = "512Mi"
    memory_limit: Quantity = "1Gi"
    cpu_request: Quantity = "100m"
    timezone: str = Field(default="Europe/Brussels", min_length=1)
    queue_mode: bool = Field(default=False, description="main + workers + webhook processor, with a private Valkey")
    workers: int = Field(default=1, ge=1, le=10, description="worker replicas (queue mode)")
    valkey: ValkeyConfig = Field(default_factory=ValkeyConfig, description="the queue's Valkey (queue mode)")
    s3_binary_data: bool = Field(default=False, description="binary data in the media bucket: needs an Enterprise licence")
    smtp: SmtpConfig | None = Field(default=None, description="user invites and password resets")
    egress_ports: tuple[int, ...] = Field(
        default=(80, 443, 465, 587, 993), strict=False,
        description="internet ports workflows may reach (private ranges stay closed); add e.g. 22 for SFTP, 21 for FTP",
    )
    execution_max_age_hours: int = Field(default=336, ge=1, description="executions older than this are pruned")
    payload_max_mb: int = Field(
        default=16, ge=1, le=1024, description="N8N_PAYLOAD_SIZE_MAX: largest JSON/form body (editor, webhooks)"
    )
    upload_max_mb: int = Field(
        default=64, ge=1, le=2048,
        description="N8N_FORMDATA_FILE_SIZE_MAX: largest file a webhook/form takes (upstream 200); must fit the WAF body limit",
    )
    backup_schedule: Cron | None = Field(default=None, description="Velero schedule; unset = the env's schedule")

    @field_validator("egress_ports")
    @classmethod
    def _egress_ports(cls, ports: tuple[int, ...]) -> tuple[int, ...]:
        return check_ports(ports, "apps.n8n.egress_ports")


class RegistryConfig(AppSection):
    """Zot OCI registry (local storage on a block PVC)."""

    storage: Quantity = Field(default="20Gi", description="PVC for /var/lib/registry")
    memory_request: Quantity = "128Mi"
    memory_limit: Quantity = "512Mi"
    cpu_request: Quantity = "50m"
    htpasswd: bool = Field(default=False, description="basic auth from the secret registry_htpasswd; off = anonymous access")
    backup_schedule: Cron | None = Field(default=None, description="Velero schedule; unset = the env's schedule")


class AnalyticsConfig(AppSection):
    """Vince analytics (embedded database on a PVC)."""

    storage: Quantity = Field(default="5Gi", description="PVC for /data")
    memory_request: Quantity = "128Mi"
    memory_limit: Quantity = "512Mi"
    cpu_request: Quantity = "50m"
    admin_name: str = Field(default="admin", min_length=1, description="admin login; its password is analytics_admin_password")
    domains: list[DomainName] = Field(default_factory=list, description="sites created at start; empty = [root_domain]")
    backup_schedule: Cron | None = Field(default=None, description="Velero schedule; unset = the env's schedule")


# --- Apps II: Twenty, Nextcloud, Sentry, dev capacity -----------------------------------------------


class TwentyConfig(AppSection):
    """Twenty CRM: server and worker in one pod, sharing the ephemeral local file storage."""

    server_memory_request: Quantity = "512Mi"
    server_memory_limit: Quantity = Field(default="1536Mi", description="Node heap is set to 75% of it")
    server_cpu_request: Quantity = "200m"
    worker_memory_request: Quantity = "256Mi"
    worker_memory_limit: Quantity = "1Gi"
    worker_cpu_request: Quantity = "100m"
    local_storage_limit: Quantity = Field(
        default="2Gi", description="emptyDir size of the local file storage: ephemeral, as the brief says (S3 not wired)"
    )
    storage: Quantity | None = Field(
        default=None,
        description="block PVC for the local file storage (attachments, avatars, logos), shared by server and worker; "
        "unset = the emptyDir above, emptied at every rollout, pod restart or eviction",
    )
    valkey: ValkeyConfig = Field(default_factory=ValkeyConfig, description="queue/cache (BullMQ: noeviction)")
    smtp: SmtpConfig | None = Field(default=None, description="invitations and notifications; password twenty_smtp_password")
    backup_schedule: Cron | None = Field(default=None, description="Velero schedule; unset = the env's schedule")


class NextcloudS3Config(Section):
    """S3 primary storage (choose before the first install; switching later needs a migration)."""

    host: DomainName = Field(description="S3 endpoint host without scheme, e.g. fra1.digitaloceanspaces.com")
    bucket: str = Field(min_length=3, description="bucket name (keys: secrets nextcloud_s3_access_key/_secret_key)")
    region: str = Field(default="us-east-1", min_length=1)
    port: int = Field(default=443, ge=1, le=65535)
    ssl: bool = True
    path_style: bool = Field(default=True, description="MinIO needs path-style; Spaces accepts both")


class NextcloudConfig(AppSection):
    """Nextcloud (official chart, apache flavour): data on a block PVC, optional S3 primary storage."""

    data_storage: Quantity = Field(default="20Gi", description="PVC of the data directory (unused with S3 primary storage)")
    html_storage: Quantity = Field(default="5Gi", description="PVC of /var/www/html (code, config, apps)")
    memory_request: Quantity = "512Mi"
    memory_limit: Quantity = "1Gi"
    cpu_request: Quantity = "200m"
    admin_user: str = Field(default="admin", min_length=1, description="its password is the secret nextcloud_admin_password")
    s3: NextcloudS3Config | None = Field(default=None, description="S3 primary storage; unset = the data PVC")
    valkey: ValkeyConfig = Field(
        default_factory=lambda: ValkeyConfig(storage=None, maxmemory_policy="allkeys-lru"),
        description="file locking and cache: may evict, no persistence needed",
    )
    backup_schedule: Cron | None = Field(default=None, description="Velero schedule; unset = the env's schedule")


class SentryConfig(AppSection):
    """Sentry (official chart, every Bitnami subchart off) with its own Kafka, ClickHouse and Valkey."""

    admin_email: Email | None = Field(default=None, description="first superuser; unset = admin@<root_domain>")
    errors_only: bool = Field(default=True, description="chart profile errors-only (about half the footprint)")
    kafka_storage: Quantity = "10Gi"
    kafka_memory_request: Quantity = "1Gi"
    kafka_memory_limit: Quantity = "1536Mi"
    clickhouse_storage: Quantity = "20Gi"
    clickhouse_memory_request: Quantity = "1Gi"
    clickhouse_memory_limit: Quantity = "3Gi"
    filestore_storage: Quantity = Field(default="10Gi", description="PVC of the filesystem filestore (attachments, files)")
    valkey: ValkeyConfig = Field(
        default_factory=lambda: ValkeyConfig(memory_request="128Mi", memory_limit="512Mi", maxmemory_policy="volatile-lru"),
        description="cache + Celery broker (self-hosted Sentry uses volatile-lru)",
    )
    node_pool: str | None = Field(
        default=None, description="prod: name of a [[cluster.extra_pools]] entry to run on (its taints are tolerated)"
    )
    backup_schedule: Cron | None = Field(default=None, description="Velero schedule; unset = the env's schedule")


class LocalClusterCapacity(Section):
    """Allocatable size of the dev (laptop) cluster, for the capacity check."""

    nodes: int = Field(default=1, ge=1)
    node_memory: Quantity = Field(description="allocatable memory per node, e.g. 8Gi (minikube start --memory 8g)")
    node_cpu: Quantity = Field(description="allocatable CPU per node, e.g. '4' (minikube start --cpus 4)")


class AppsConfig(Section):
    wordpress: WordpressConfig
    n8n: N8nConfig
    registry: RegistryConfig
    analytics: AnalyticsConfig
    twenty: TwentyConfig
    nextcloud: NextcloudConfig = Field(description="work in progress upstream: off by default")
    sentry: SentryConfig = Field(description="optional, heavy (see the capacity check)")
    capacity: LocalClusterCapacity | None = Field(
        default=None, description="dev only: size of the laptop cluster (prod reads the [cluster] node pools)"
    )
