"""Single-node ClickHouse for Sentry's Snuba: Altinity stable build (what getsentry/self-hosted
pins), one StatefulSet replica with its data on a block PVC, no Keeper (Snuba's ``singleNode``
mode creates non-replicated tables).

The ``default`` user's password comes from a Secret mounted as ``users.d/``, as its SHA-256 digest
only (``password_sha256_hex``, computed by OpenTofu: no plaintext and nothing to escape in the XML;
``remove`` drops the empty ``<password>`` of the image's users.xml, see "Merging configuration" in
https://clickhouse.com/docs/en/operations/configuration-files); the image's own user setup is skipped.
``config.d/`` (a ConfigMap) listens on all addresses, logs to the console,
caps memory, raises ``merge_tree.max_suspicious_broken_parts`` and removes the system log tables
like self-hosted Sentry does.
"""

from __future__ import annotations

from cdktf_cdktf_provider_kubernetes.config_map_v1 import ConfigMapV1, ConfigMapV1Metadata
from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.apps.common.service import cluster_service
from platform_constructs.base.labels import workload_labels
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.structs import build
from platform_constructs.base.workload import ConfigMapVolume, Container, EmptyDir, Pod, Probe, SecretVolume, stateful_set
from platform_constructs.secret_catalog import CLICKHOUSE_PASSWORD_HASH
from platform_constructs.versions import IMAGES

HTTP_PORT = 8123
TCP_PORT = 9000
CLICKHOUSE_UID = "101"  # the image's clickhouse user
DATA_DIR = "/var/lib/clickhouse"

SYSTEM_LOG_TABLES = (
    # What getsentry/self-hosted removes for this image (clickhouse/config.xml at 89a143f8) ...
    "query_log", "query_thread_log", "query_views_log", "part_log", "text_log", "trace_log", "metric_log",
    "asynchronous_metric_log", "session_log", "processors_profile_log", "error_log", "latency_log",
    # ... and the other logs 25.x enables by default. Removing an absent element is a no-op
    # (ClickHouse src/Common/Config/ConfigProcessor.cpp mergeRecursive: `if (!merged && !remove)`).
    "query_metric_log", "opentelemetry_span_log", "asynchronous_insert_log", "backup_log", "s3queue_log",
    "blob_storage_log", "background_schedule_pool_log",
)
"""System log tables dropped from the server config: nothing reads them and they grow on the PVC forever
(no TTL by default). ``crash_log`` stays: tiny, and what explains a crash."""

SERVER_CONFIG = (
    "<clickhouse>\n"
    "    <listen_host>0.0.0.0</listen_host>\n"
    "    <logger><console>1</console><level>warning</level></logger>\n"
    "    <max_server_memory_usage_to_ram_ratio>0.8</max_server_memory_usage_to_ram_ratio>\n"
    # A MergeTree setting: at the top level it is ignored (self-hosted keeps it in <merge_tree>).
    "    <merge_tree><max_suspicious_broken_parts>400</max_suspicious_broken_parts></merge_tree>\n"
    + "".join(f'    <{table} remove="remove"/>\n' for table in SYSTEM_LOG_TABLES)
    + "</clickhouse>\n"
)


def users_config(password_sha256_hex: str) -> str:
    return (
        "<clickhouse><users><default>"
        '<password remove="1"/>'
        f"<password_sha256_hex>{password_sha256_hex}</password_sha256_hex>"
        "<networks><ip>::/0</ip></networks>"
        "<access_management>1</access_management>"
        "</default></users></clickhouse>\n"
    )


class ClickHouse(Construct):
    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str, name: str = "clickhouse") -> None:
        super().__init__(scope, id_)
        settings = config.apps.sentry
        self.name = name
        self.host = name
        self.http_port = HTTP_PORT
        self.tcp_port = TCP_PORT
        self.secret_name = f"{name}-auth"
        self.password_key = "password"  # noqa: S105 - a key name, not a secret
        stack = LayerStack.of(self)
        password = stack.secret("sentry_clickhouse_password")
        digest = stack.secret_in("sentry_clickhouse_password", CLICKHOUSE_PASSWORD_HASH)
        labels = workload_labels(name)
        SecretV1(
            self,
            "auth",
            metadata=build(SecretV1Metadata, {"name": self.secret_name, "namespace": namespace, "labels": labels}),
            data={self.password_key: password, "users.xml": users_config(digest)},
        )
        ConfigMapV1(
            self,
            "config",
            metadata=build(ConfigMapV1Metadata, {"name": f"{name}-config", "namespace": namespace, "labels": labels}),
            data={"sentry.xml": SERVER_CONFIG},
        )
        container = Container(
            name="clickhouse",
            image=IMAGES["clickhouse"],
            memory_request=settings.clickhouse_memory_request,
            memory_limit=settings.clickhouse_memory_limit,
            cpu_request="250m",
            ports={"http": HTTP_PORT, "tcp": TCP_PORT},
            env={"CLICKHOUSE_SKIP_USER_SETUP": "1"},
            mounts={
                "data": DATA_DIR,
                "config": "/etc/clickhouse-server/config.d",
                "users": "/etc/clickhouse-server/users.d",
                "logs": "/var/log/clickhouse-server",
                "tmp": "/tmp",
            },
            readiness=Probe(port=HTTP_PORT, path="/ping", initial_delay_seconds=10),
            liveness=Probe(port=HTTP_PORT, path="/ping", initial_delay_seconds=60, period_seconds=20),
        )
        volumes = [
            ConfigMapVolume("config", f"{name}-config"),
            SecretVolume("users", self.secret_name, items={"users.xml": "sentry.xml"}),
            EmptyDir("logs", "256Mi"),
            EmptyDir("tmp", "1Gi"),
        ]
        cluster_service(
            self, "service", name=name, namespace=namespace, app=name, ports={"http": HTTP_PORT, "tcp": TCP_PORT}
        )
        self.workload = stateful_set(
            self,
            "statefulset",
            name=name,
            namespace=namespace,
            service_name=name,
            pod=Pod(containers=[container], volumes=volumes, run_as_user=CLICKHOUSE_UID),
            volume_claims={"data": (config.storage.block_class, settings.clickhouse_storage)},
        )
