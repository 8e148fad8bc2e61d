"""Nextcloud at ``config.host("nextcloud")`` (``cloud.<root_domain>``); work in progress per the
brief, so off by default, but complete when switched on.

* official chart ``nextcloud/helm`` (pinned), apache flavour of the official image;
* every bundled dependency off — the Bitnami ``postgresql``, ``mariadb`` and ``redis`` subcharts
  (and ``collabora``, not Bitnami but not wanted) — and the SQLite ``internalDatabase`` off;
  replaced by the shared Postgres (own database) and a private Valkey (``allkeys-lru``: file
  locking and cache may evict);
* data on block PVCs (``/var/www/html`` and a separate data PVC), or S3 primary storage from
  config + secrets (``apps.nextcloud.s3``; decide before the first install);
* non-root (uid 33) with a restricted pod: Apache binds port 80 through the namespaced safe sysctl
  ``net.ipv4.ip_unprivileged_port_start``; background jobs run as a Kubernetes CronJob every
  5 minutes (the chart's cron *sidecar* needs root), pinned next to the app pod because the
  volumes are ReadWriteOnce;
* credentials only through Kubernetes Secrets built from secret variables (chart
  ``existingSecret`` knobs), so no password is in the Helm values;
* the Ingress comes from the ingress helper (class, TLS, WAF), not from the chart;
* its own Velero schedule (namespace + PVC contents; the database is dumped by the data layer).
"""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.apps.common.valkey import Valkey
from platform_constructs.base.backup import backup_schedule
from platform_constructs.base.helm import chart_release
from platform_constructs.base.ingress import Route, public_ingress
from platform_constructs.base.labels import workload_labels
from platform_constructs.base.network import PRIVATE_RANGES, allow_from_ingress, allow_internet, built
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.structs import build
from platform_constructs.data.access import allow_to_database
from platform_constructs.data.catalog import database_for
from platform_constructs.versions import IMAGES

APP = "nextcloud"
HTTP_PORT = 80  # container port (the chart's Service listens on 8080)
SERVICE_PORT = 8080
WWW_DATA = 33

# Chart dependencies (Chart.yaml) switched off, and what replaces each (README, "No Bitnami").
DISABLED_SUBCHARTS: dict[str, str] = {
    "postgresql": "Bitnami PostgreSQL → shared Postgres in `data` (externalDatabase)",
    "mariadb": "Bitnami MariaDB → not used (Postgres)",
    "redis": "Bitnami Redis → private Valkey in the namespace (externalRedis)",
    "collabora": "Collabora Online (not Bitnami) → not deployed",
}

RESTRICTED_CONTAINER: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": WWW_DATA,
    "runAsGroup": WWW_DATA,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
    # The entrypoint copies the release into /var/www/html (a PVC) and PHP writes temp files.
    "readOnlyRootFilesystem": False,
}


def _secret(scope: Construct, id_: str, *, name: str, namespace: str, data: dict[str, str]) -> SecretV1:
    return SecretV1(
        scope,
        id_,
        metadata=build(SecretV1Metadata, {"name": name, "namespace": namespace, "labels": workload_labels(APP)}),
        data=data,
    )


def nextcloud_values(config: PlatformConfig, *, valkey: Valkey) -> dict[str, Any]:
    """Chart values (no secret in them: only Secret names and keys)."""
    settings = config.apps.nextcloud
    db = database_for(APP)
    host = config.host(APP)
    tls = config.infra.ingress.tls
    block = config.storage.block_class
    repository, tag = IMAGES["nextcloud"].rsplit(":", 1)
    proxy_config = (
        "<?php $CONFIG = array("
        f"'trusted_proxies' => array({', '.join(repr(r) for r in PRIVATE_RANGES)}), "
        f"'overwrite.cli.url' => '{'https' if tls else 'http'}://{host}', "
        f"'overwriteprotocol' => '{'https' if tls else 'http'}');"
    )
    nextcloud: dict[str, Any] = {
        "host": host,
        "trustedDomains": [host],
        "existingSecret": {
            "enabled": True,
            "secretName": "nextcloud-admin",
            "usernameKey": "nextcloud-username",
            "passwordKey": "nextcloud-password",
        },
        "configs": {"proxy.config.php": proxy_config},
        "securityContext": RESTRICTED_CONTAINER,
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": WWW_DATA,
            "runAsGroup": WWW_DATA,
            "fsGroup": WWW_DATA,
            "seccompProfile": {"type": "RuntimeDefault"},
            # Apache as www-data on port 80; a namespaced sysctl that PSA "restricted" allows.
            "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": str(HTTP_PORT)}],
        },
        "objectStore": {"s3": {"enabled": False}},
    }
    if settings.s3 is not None:
        s3 = settings.s3
        nextcloud["objectStore"]["s3"] = {
            "enabled": True,
            "host": s3.host,
            "port": str(s3.port),
            "ssl": s3.ssl,
            "region": s3.region,
            "bucket": s3.bucket,
            "usePathStyle": s3.path_style,
            "existingSecret": "nextcloud-s3",
            "secretKeys": {"accessKey": "access-key", "secretKey": "secret-key"},
        }
    resources = {
        "requests": {"memory": settings.memory_request, "cpu": settings.cpu_request},
        "limits": {"memory": settings.memory_limit},
    }
    return {
        "image": {"repository": repository, "tag": tag},  # the tag names the flavour (`flavor` only builds a default tag)
        "nextcloud": nextcloud,
        "internalDatabase": {"enabled": False},  # the default would be SQLite
        "externalDatabase": {
            "enabled": True,
            "type": "postgresql",
            "host": f"{db.engine.host}:{db.engine.port}",
            "database": db.database,
            "existingSecret": {
                "enabled": True,
                "secretName": "nextcloud-db",
                "usernameKey": "db-username",
                "passwordKey": "db-password",
            },
        },
        **{name: {"enabled": False} for name in DISABLED_SUBCHARTS},
        "externalRedis": {
            "enabled": True,
            "host": valkey.host,
            "port": str(valkey.port),
            "existingSecret": {"enabled": True, "secretName": valkey.secret_name, "passwordKey": valkey.password_key},
        },
        "phpClientHttpsFix": {"enabled": tls, "protocol": "https"},
        "ingress": {"enabled": False},  # built with the ingress helper (class, TLS, WAF)
        "persistence": {
            "enabled": True,
            "storageClass": block,
            "size": settings.html_storage,
            "nextcloudData": {"enabled": settings.s3 is None, "storageClass": block, "size": settings.data_storage},
        },
        "resources": resources,
        "startupProbe": {"enabled": True, "failureThreshold": 60},  # first install and upgrades are slow
        "livenessProbe": {"enabled": True},
        "readinessProbe": {"enabled": True},
        "cronjob": {
            "enabled": True,
            "type": "cronjob",  # the sidecar runs crond, which needs root
            "cronjob": {
                "schedule": "*/5 * * * *",
                "securityContext": RESTRICTED_CONTAINER,
                "resources": {"requests": {"memory": "128Mi", "cpu": "50m"}, "limits": {"memory": settings.memory_limit}},
                # RWO volumes: the job must run on the node that has them mounted.
                "affinity": {
                    "podAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": [
                            {
                                "labelSelector": {
                                    "matchExpressions": [
                                        {"key": "app.kubernetes.io/name", "operator": "In", "values": [APP]},
                                        {"key": "app.kubernetes.io/component", "operator": "In", "values": ["app"]},
                                    ]
                                },
                                "topologyKey": "kubernetes.io/hostname",
                            }
                        ]
                    }
                },
            },
        },
        "metrics": {"enabled": False},
        "hpa": {"enabled": False},
        "imaginary": {"enabled": False},
        "nginx": {"enabled": False},
    }


class Nextcloud(Construct):
    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str) -> None:
        super().__init__(scope, id_)
        settings = config.apps.nextcloud
        stack = LayerStack.of(self)
        db = database_for(APP)

        valkey = Valkey(
            self, "valkey", config=config, namespace=namespace, password_variable="nextcloud_valkey_password",  # noqa: S106 - a variable name
            settings=settings.valkey,
        )
        valkey.allow_client(APP)
        secrets = [
            _secret(
                self, "admin", name="nextcloud-admin", namespace=namespace,
                data={
                    "nextcloud-username": settings.admin_user,
                    "nextcloud-password": stack.secret("nextcloud_admin_password"),
                },
            ),
            _secret(
                self, "db", name="nextcloud-db", namespace=namespace,
                data={
                    "db-username": db.user,
                    "db-password": stack.secret(db.password_variable),
                },
            ),
        ]
        if settings.s3 is not None:
            secrets.append(
                _secret(
                    self, "s3", name="nextcloud-s3", namespace=namespace,
                    data={
                        "access-key": stack.secret("nextcloud_s3_access_key"),
                        "secret-key": stack.secret("nextcloud_s3_secret_key"),
                    },
                )
            )
        # Policies first: the first start installs the schema in Postgres.
        policies = [
            allow_from_ingress(self, "allow_ingress", namespace=namespace, app=APP, ports=[HTTP_PORT]),
            allow_to_database(self, "allow_postgres", db=db, namespace=namespace, pods=APP),
            # App store, federation, S3 (Spaces), mail.
            allow_internet(self, "allow_internet", namespace=namespace, app=APP, ports=[443, 465, 587]),
        ]
        self.release = chart_release(
            self,
            "release",
            chart="nextcloud",
            name=APP,
            namespace=namespace,
            values=nextcloud_values(config, valkey=valkey),
            timeout=900,  # first start copies the release and installs the schema
            depends_on=[valkey.workload, *secrets, *built(policies)],
        )
        public_ingress(
            self, "ingress", config=config, name=APP, namespace=namespace,
            routes=[Route(host=config.host(APP), service=APP, port=SERVICE_PORT)],
        )
        backup_schedule(
            self, "backup", config=config, name="nextcloud-daily", namespaces=[APP], schedule=settings.backup_schedule
        )
