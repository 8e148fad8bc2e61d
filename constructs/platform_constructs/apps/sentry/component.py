"""Sentry at ``config.host("sentry")`` (optional, off by default: it is the heaviest app).

* official chart ``sentry-kubernetes/charts`` (pinned) with every bundled subchart off — the
  Bitnami postgresql, redis, kafka, zookeeper, rabbitmq, memcached and nginx, and the chart's own
  ClickHouse (it needs the Bitnami ZooKeeper) — replaced by services this project runs:
  shared Postgres (own database), a private Valkey, Kafka (``kafka.py``) and ClickHouse
  (``clickhouse.py``) in the same namespace;
* ingress with the ingress helper, not the chart's (its regex paths only work on ingress-nginx).
  Longest-prefix routing expresses the relay split with plain ``Prefix`` paths, which Traefik and
  nginx both honour: ``/api/0/relays/`` and ``/api/`` (every ``/api/<n>/envelope|store/``, the
  legacy ``/api/store/``) → relay:3000; ``/api/0/`` (the web API) and ``/`` → web:9000. The relay
  routes are a separate Ingress with a WAF waiver (SDK envelopes are compressed/binary and up to
  ~100 MB; Relay validates them itself); the UI keeps the WAF;
* admin bootstrap (``user.create``) and the Sentry secret key from secret variables via Secrets;
* its own Velero schedule for the namespace (brief), PVCs included.
"""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.apps.common.valkey import Valkey
from platform_constructs.apps.sentry.clickhouse import ClickHouse
from platform_constructs.apps.sentry.kafka import MESSAGE_MAX_BYTES, Kafka
from platform_constructs.base.backup import backup_schedule
from platform_constructs.base.helm import chart_release
from platform_constructs.base.ingress import Route, WafWaiver, public_ingress
from platform_constructs.base.labels import workload_labels
from platform_constructs.base.network import allow_from_ingress, allow_internet, allow_same_namespace
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.structs import build
from platform_constructs.data.access import allow_to_database
from platform_constructs.data.catalog import database_for
from platform_constructs.versions import IMAGES

APP = "sentry"
RELEASE = "sentry"
WEB_SERVICE, WEB_PORT = f"{RELEASE}-web", 9000
RELAY_SERVICE, RELAY_PORT = f"{RELEASE}-relay", 3000
NODE_POOL_LABEL = "doks.digitalocean.com/node-pool"

# Chart dependencies switched off (Chart.yaml `condition`s), and what replaces each.
DISABLED_SUBCHARTS: dict[str, str] = {
    "postgresql": "Bitnami PostgreSQL → shared Postgres in `data`, database `sentry` (externalPostgresql)",
    "redis": "Bitnami Redis → private Valkey `valkey` in the namespace (externalRedis)",
    "kafka": "Bitnami Kafka → `apache/kafka` KRaft StatefulSet `kafka` (externalKafka)",
    "zookeeper": "Bitnami ZooKeeper → not needed (single-node ClickHouse, KRaft Kafka)",
    "clickhouse": "chart ClickHouse (needs Bitnami ZooKeeper) → Altinity ClickHouse StatefulSet (externalClickhouse)",
    "rabbitmq": "Bitnami RabbitMQ → not needed (Valkey broker / Kafka taskbroker)",
    "nginx": "Bitnami nginx → the platform ingress routes web/relay itself",
    "sourcemaps": "Bitnami memcached (charts < 31) → no memcached",
    "cache": "memcached (charts >= 31) → no memcached",
    "pgbouncer": "pgbouncer (bitnamilegacy image) → direct Postgres connections",
}

# Chart components sized here (requests drive the capacity check; limits stop a leak taking a node).
# (memory request, memory limit, cpu request)
COMPONENT_SIZES: dict[str, tuple[str, str, str]] = {
    "sentry.web": ("1Gi", "2Gi", "200m"),
    "sentry.worker": ("768Mi", "1536Mi", "200m"),
    "sentry.cron": ("256Mi", "512Mi", "20m"),
    "sentry.ingestConsumerEvents": ("384Mi", "1Gi", "50m"),
    "sentry.ingestConsumerAttachments": ("256Mi", "768Mi", "20m"),
    "sentry.ingestConsumerTransactions": ("256Mi", "768Mi", "20m"),
    "sentry.postProcessForwardErrors": ("384Mi", "1Gi", "50m"),
    "sentry.subscriptionConsumerEvents": ("256Mi", "512Mi", "20m"),
    "relay": ("256Mi", "1Gi", "100m"),
    "snuba.api": ("256Mi", "512Mi", "50m"),
    "snuba.consumer": ("256Mi", "512Mi", "50m"),
    "snuba.outcomesConsumer": ("192Mi", "512Mi", "20m"),
    "snuba.replacer": ("192Mi", "512Mi", "20m"),
}
# Consumers of features an errors-only install does not use (transactions, replays, metrics, spans).
ERRORS_ONLY_OFF = (
    "sentry.ingestReplayRecordings",
    "sentry.billingMetricsConsumer",
    "sentry.genericMetricsConsumer",
    "sentry.metricsConsumer",
    "sentry.subscriptionConsumerTransactions",
    "sentry.postProcessForwardTransactions",
    "sentry.subscriptionConsumerGenericMetrics",
    "sentry.subscriptionConsumerMetrics",
    "snuba.metricsConsumer",
    "snuba.genericMetricsCountersConsumer",
    "snuba.genericMetricsDistributionConsumer",
    "snuba.genericMetricsSetsConsumer",
    "snuba.subscriptionConsumerMetrics",
    "snuba.subscriptionConsumerTransactions",
    "snuba.replaysConsumer",
    "snuba.transactionsConsumer",
    "snuba.spansConsumer",
)


def _set(tree: dict[str, Any], dotted: str, value: dict[str, Any]) -> None:
    node = tree
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node.setdefault(leaf, {}).update(value)


def placement(config: PlatformConfig) -> dict[str, Any]:
    """nodeSelector + tolerations for ``apps.sentry.node_pool`` (a ``[[cluster.extra_pools]]`` entry)."""
    pool_name = config.apps.sentry.node_pool
    if pool_name is None:
        return {}
    pools = {p.name: p for p in (config.cluster.extra_pools if config.cluster else ())}
    if pool_name not in pools:
        raise ValueError(
            f"apps.sentry.node_pool = {pool_name!r} but the env declares no such [[cluster.extra_pools]] entry "
            f"(declared: {', '.join(sorted(pools)) or 'none'})"
        )
    pool = pools[pool_name]
    return {
        "nodeSelector": {NODE_POOL_LABEL: pool_name},
        "tolerations": [
            {"key": t.key, "operator": "Equal", "value": t.value, "effect": t.effect} for t in pool.taints
        ],
    }


def sentry_values(config: PlatformConfig, *, valkey: Valkey, kafka: Kafka, clickhouse: ClickHouse) -> dict[str, Any]:
    """Chart values; secrets only as Secret names/keys."""
    settings = config.apps.sentry
    db = database_for(APP)
    scheme = "https" if config.infra.ingress.tls else "http"
    admin_email = settings.admin_email or f"admin@{config.root_domain}"
    busybox_repo, busybox_tag = IMAGES["busybox"].rsplit(":", 1)
    values: dict[str, Any] = {
        "asHook": True,  # first install: consumers start after the migrations hook
        "user": {
            "create": True,
            "email": admin_email,
            "existingSecret": "sentry-admin",
            "existingSecretKey": "admin-password",
        },
        "system": {"url": f"{scheme}://{config.host(APP)}", "adminEmail": admin_email, "public": False},
        "sentry": {"existingSecret": "sentry-secret-key", "existingSecretKey": "key", "singleOrganization": True},
        **{name: {"enabled": False} for name in DISABLED_SUBCHARTS},
        "externalPostgresql": {
            "host": db.engine.host,
            "port": db.engine.port,
            "username": db.user,
            "database": db.database,
            "existingSecret": "sentry-db",
            "existingSecretKeys": {"password": "password"},  # required with existingSecret
            "connMaxAge": 0,
        },
        "externalRedis": {
            "host": valkey.host,
            "port": valkey.port,
            "db": 0,
            "existingSecret": valkey.secret_name,
            "existingSecretKey": valkey.password_key,
        },
        "externalKafka": {
            "cluster": [{"host": kafka.host, "port": kafka.port}],
            "security": {"protocol": "plaintext"},
            "message": {"max": {"bytes": MESSAGE_MAX_BYTES}},
            "provisioning": {"enabled": True, "replicationFactor": 1, "numPartitions": 1},
        },
        "externalClickhouse": {
            "host": clickhouse.host,
            "tcpPort": clickhouse.tcp_port,
            "httpPort": clickhouse.http_port,
            "username": "default",
            "database": "default",
            "singleNode": True,
            "existingSecret": clickhouse.secret_name,
            "existingSecretKey": clickhouse.password_key,
        },
        "ingress": {"enabled": False},  # built with the ingress helper (see module doc)
        "hooks": {
            "snubaInit": {"kafka": {"enabled": True}},
            # The default dbCheck image is an unpinned netcat image.
            "dbCheck": {"image": {"repository": busybox_repo, "tag": busybox_tag}},
        },
        "filestore": {
            "backend": "filesystem",
            "filesystem": {
                "persistence": {
                    "enabled": True,
                    "storageClass": config.storage.block_class,
                    "accessMode": "ReadWriteOnce",
                    "size": settings.filestore_storage,
                    "persistentWorkers": False,
                }
            },
        },
        "metrics": {"enabled": False},
    }
    # web and the filestore share an RWO volume: never two web pods during a rollout.
    _set(values, "sentry.web", {"strategyType": "Recreate"})
    place = placement(config)
    for component, (memory_request, memory_limit, cpu_request) in COMPONENT_SIZES.items():
        _set(
            values,
            component,
            {
                "resources": {
                    "requests": {"memory": memory_request, "cpu": cpu_request},
                    "limits": {"memory": memory_limit},
                },
                **place,
            },
        )
    if settings.errors_only:
        for component in ERRORS_ONLY_OFF:
            _set(values, component, {"enabled": False})
    return values


class Sentry(Construct):
    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str) -> None:
        super().__init__(scope, id_)
        settings = config.apps.sentry
        stack = LayerStack.of(self)
        db = database_for(APP)
        placement(config)  # fail early on an unknown node pool

        valkey = Valkey(
            self, "valkey", config=config, namespace=namespace, password_variable="sentry_valkey_password",  # noqa: S106 - a variable name
            settings=settings.valkey,
        )
        kafka = Kafka(self, "kafka", config=config, namespace=namespace)
        clickhouse = ClickHouse(self, "clickhouse", config=config, namespace=namespace)

        def secret(id_: str, name: str, data: dict[str, str]) -> SecretV1:
            return SecretV1(
                self,
                id_,
                metadata=build(SecretV1Metadata, {"name": name, "namespace": namespace, "labels": workload_labels(APP)}),
                data=data,
            )

        admin_password = stack.secret("sentry_admin_password")
        secret_key = stack.secret("sentry_secret_key")
        db_password = stack.secret(db.password_variable)
        secrets = [
            secret("admin", "sentry-admin", {"admin-password": admin_password}),
            secret("key", "sentry-secret-key", {"key": secret_key}),
            secret("db", "sentry-db", {"password": db_password}),
        ]
        self.release = chart_release(
            self,
            "release",
            chart="sentry",
            name=RELEASE,
            namespace=namespace,
            values=sentry_values(config, valkey=valkey, kafka=kafka, clickhouse=clickhouse),
            timeout=1800,  # migrations and snuba bootstrap run as hooks on the first install
            depends_on=[valkey.workload, kafka.workload, clickhouse.workload, *secrets],
            wait_for_jobs=True,
            atomic=False,  # a timed-out first install must not uninstall what the hooks created
        )

        host = config.host(APP)
        public_ingress(
            self, "ingress", config=config, name=APP, namespace=namespace,
            routes=[Route(host, WEB_SERVICE, WEB_PORT, "/"), Route(host, WEB_SERVICE, WEB_PORT, "/api/0/")],
        )
        public_ingress(
            self, "ingress_relay", config=config, name=f"{APP}-relay", namespace=namespace,
            routes=[Route(host, RELAY_SERVICE, RELAY_PORT, "/api/"), Route(host, RELAY_SERVICE, RELAY_PORT, "/api/0/relays/")],
            waf_waiver=WafWaiver(
                "SDK event ingestion: compressed/binary envelopes and minidumps up to ~100 MB that the CRS body "
                "limits and rules would reject; Relay authenticates (DSN key) and validates every envelope itself."
            ),
        )

        # The chart's pods carry `app: sentry` / `role: …`, not app.kubernetes.io/name: open by namespace.
        allow_from_ingress(
            self, "allow_ingress", namespace=namespace, app=None, ports=[WEB_PORT, RELAY_PORT],  # type: ignore[arg-type]
            name="allow-ingress-controller-to-sentry",
        )
        allow_same_namespace(self, "allow_same_namespace", namespace=namespace)
        allow_to_database(self, "allow_postgres", db=db, namespace=namespace, pods=None)
        allow_internet(self, "allow_internet", namespace=namespace, app=None, ports=[443, 465, 587])
        backup_schedule(
            self, "backup", config=config, name="sentry-daily", namespaces=[APP], schedule=settings.backup_schedule
        )
