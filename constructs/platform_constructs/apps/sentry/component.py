"""Sentry at ``config.host("sentry")`` (optional, off by default: it is the heaviest app).

* official chart ``sentry-kubernetes/charts`` (pinned, 33.x) with its Bitnami postgresql, redis and
  kafka subcharts, its nginx and pgbouncer off — replaced by services this project runs: shared
  Postgres (own database), a private Valkey, Kafka (``kafka.py``) and ClickHouse (``clickhouse.py``,
  the chart bundles none since 29.0.0) in the same namespace; only the chart's CloudPirates memcached
  (non-Bitnami, always on) stays, sized here;
* background work on the chart's TaskBroker/TaskWorker/TaskScheduler pods (Celery workers, cron and
  the subscription consumers are gone), each sized here; in prod every pod on ``node_pool``;
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
from platform_constructs.base.network import allow_from_ingress, allow_internet, allow_same_namespace, built
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
CHART_PODS = {"app": RELEASE}
"""Label of every pod of the chart, hooks included (``app: {{ sentry.fullname }}`` = the release name)."""

# Chart dependencies switched off (Chart.yaml `condition`s), and what replaces each. Chart 33.x has no
# ZooKeeper (removed, charts#2200), RabbitMQ (removed in 28.0.0) or sourcemaps/cache switch (charts#2219:
# memcached is always on, see MEMCACHED); its bundled ClickHouse is gone (29.0.0) but the Snuba settings
# still read `clickhouse.enabled` for single-node mode, so it stays explicitly false.
DISABLED_SUBCHARTS: dict[str, str] = {
    "postgresql": "Bitnami PostgreSQL → shared Postgres in `data`, database `sentry` (externalPostgresql)",
    "redis": "Bitnami Redis → private Valkey `valkey` in the namespace (externalRedis)",
    "kafka": "Bitnami Kafka → `apache/kafka` KRaft StatefulSet `kafka` (externalKafka)",
    "clickhouse": "chart ClickHouse (gone since 29.0.0) → Altinity ClickHouse StatefulSet (externalClickhouse)",
    "nginx": "CloudPirates nginx → the platform ingress routes web/relay itself",
    "pgbouncer": "pgbouncer (bitnamilegacy image) → direct Postgres connections",
}

# Chart components sized here (requests drive the capacity check; limits stop a leak taking a node).
# (memory request, memory limit, cpu request). Chart 33.x runs Celery's successors: the TaskBroker
# StatefulSets, TaskWorker Deployments (`sentry run worker`/`cron` are gone since Sentry 25.10) and the
# TaskScheduler; each broker of `sentry.taskBroker.brokers` and each worker of `sentry.taskWorker.workers`
# (chart defaults) gets the `resources` of its section merged in (templates/sentry/taskbroker/
# statefulset-taskbroker.yaml, taskworker/deployment-taskworker.yaml: mergeOverwrite).
COMPONENT_SIZES: dict[str, tuple[str, str, str]] = {
    "sentry.web": ("1Gi", "2Gi", "200m"),
    "sentry.taskWorker": ("768Mi", "1536Mi", "200m"),
    "sentry.taskBroker": ("256Mi", "512Mi", "50m"),
    "sentry.taskScheduler": ("256Mi", "512Mi", "20m"),
    "sentry.ingestConsumerEvents": ("384Mi", "1Gi", "50m"),
    "sentry.ingestConsumerAttachments": ("256Mi", "768Mi", "20m"),
    "sentry.ingestConsumerTransactions": ("256Mi", "768Mi", "20m"),
    "sentry.postProcessForwardErrors": ("384Mi", "1Gi", "50m"),
    "relay": ("256Mi", "1Gi", "100m"),
    "snuba.api": ("256Mi", "512Mi", "50m"),
    "snuba.consumer": ("256Mi", "512Mi", "50m"),
    "snuba.outcomesConsumer": ("192Mi", "512Mi", "20m"),
    "snuba.replacer": ("192Mi", "512Mi", "20m"),
    "launchpadTaskWorker": ("512Mi", "2Gi", "50m"),
}
# Memcached (CloudPirates chart, always on since charts#2219; the Sentry chart raises its cache to
# 2048 MB): a cache sized to the container, which a limit below the cache size would OOM-kill.
MEMCACHED_CACHE_MB = 256
MEMCACHED_SIZE = ("320Mi", "384Mi", "20m")
# Consumers of features an errors-only install does not use (transactions, replays, metrics), and
# Launchpad (mobile build analysis; self-hosted runs it in the feature-complete profile only). Sentry
# 33.0.0 removed the sentry.subscriptionConsumer* Deployments (work moved to TaskBroker raw topics).
ERRORS_ONLY_OFF = (
    "sentry.ingestReplayRecordings",
    "sentry.billingMetricsConsumer",
    "sentry.genericMetricsConsumer",
    "sentry.metricsConsumer",
    "sentry.postProcessForwardTransactions",
    "launchpadTaskWorker",
    "snuba.metricsConsumer",
    "snuba.genericMetricsCountersConsumer",
    "snuba.genericMetricsDistributionConsumer",
    "snuba.genericMetricsSetsConsumer",
    "snuba.subscriptionConsumerMetrics",
    "snuba.subscriptionConsumerTransactions",
    "snuba.replaysConsumer",
    "snuba.transactionsConsumer",
)


def _resources(memory_request: str, memory_limit: str, cpu_request: str) -> dict[str, Any]:
    return {"requests": {"memory": memory_request, "cpu": cpu_request}, "limits": {"memory": memory_limit}}


def _set(tree: dict[str, Any], dotted: str, value: dict[str, Any]) -> None:
    node = tree
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node.setdefault(leaf, {}).update(value)


def placement(config: PlatformConfig) -> dict[str, Any]:
    """nodeSelector + tolerations for ``apps.sentry.node_pool`` (a ``[[cluster.extra_pools]]`` entry).

    Set as the chart's ``global.nodeSelector``/``global.tolerations``, which every Sentry, Snuba and Relay
    template falls back to (chart 26.1.0/26.3.0), so pods we do not size land there too; memcached is a
    subchart and gets them under its own keys.
    """
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
        "memcached": {"config": {"memoryLimit": MEMCACHED_CACHE_MB}, "resources": _resources(*MEMCACHED_SIZE)},
    }
    # web and the filestore share an RWO volume: never two web pods during a rollout.
    _set(values, "sentry.web", {"strategyType": "Recreate"})
    place = placement(config)
    if place:
        values["global"] = place
        values["memcached"].update(place)
    for component, size in COMPONENT_SIZES.items():
        _set(values, component, {"resources": _resources(*size)})
    if settings.errors_only:
        # The chart's profile (sentry.conf.py gets SENTRY_SELF_HOSTED_ERRORS_ONLY; Launchpad needs
        # "feature-complete": templates/_helper.tpl "launchpad.enabled"), plus the pods it does not gate.
        values["profiles"] = ["errors-only"]
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
        # The chart's pods carry `app: sentry` + `role: <component>`, not app.kubernetes.io/name
        # (templates/sentry/web/deployment-sentry-web.yaml, relay/deployment-relay.yaml, hooks/*.job.yaml;
        # read at sentry-v25.9.0 and the newest stored web template, 03c34d9). The ingress controller
        # reaches web and relay only, never Kafka/ClickHouse/Valkey (ClickHouse's native port is also 9000).
        policies = [
            allow_from_ingress(self, f"allow_ingress_{role}", namespace=namespace, app={**CHART_PODS, "role": role},
                               ports=[port], name=f"allow-ingress-controller-to-sentry-{role}")
            for role, port in (("web", WEB_PORT), ("relay", RELAY_PORT))
        ]
        policies += [
            allow_same_namespace(self, "allow_same_namespace", namespace=namespace),
            # Postgres and the internet (mail, integrations) for the chart's pods and hooks, not our services.
            allow_to_database(self, "allow_postgres", db=db, namespace=namespace, pods=CHART_PODS),
            allow_internet(self, "allow_internet", namespace=namespace, app=CHART_PODS, ports=[443, 465, 587],
                           name="allow-internet-sentry"),
        ]
        # Policies first: the install hooks (db-init, migrations) need Postgres, Kafka and ClickHouse.
        self.release = chart_release(
            self,
            "release",
            chart="sentry",
            name=RELEASE,
            namespace=namespace,
            values=sentry_values(config, valkey=valkey, kafka=kafka, clickhouse=clickhouse),
            timeout=1800,  # migrations and snuba bootstrap run as hooks on the first install
            depends_on=[valkey.workload, kafka.workload, clickhouse.workload, *secrets, *built(policies)],
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

        backup_schedule(
            self, "backup", config=config, name="sentry-daily", namespaces=[APP], schedule=settings.backup_schedule
        )
