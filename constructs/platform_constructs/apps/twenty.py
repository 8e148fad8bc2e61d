"""Twenty CRM at ``config.host("twenty")``.

* plain Deployment of the official ``twentycrm/twenty`` image (upstream's chart is unpublished and
  stale): one pod, ``Recreate`` (the server migrates the database at boot, so never two servers),
  with two containers — ``server`` (HTTP 3000) and ``worker`` (BullMQ jobs, no migrations, no cron
  registration) — so both see the same files on the same node: a ReadWriteOnce volume needs no
  pod affinity, and a rollout never leaves two pods fighting over it;
* only the server gates readiness (the Service, i.e. the UI): the worker's readiness probe always
  passes once it runs, its liveness restarts it after five minutes without its queue, so a Valkey
  blip never takes the UI away;
* files in local storage: by default an ``emptyDir``, ephemeral as the brief asks — attachments,
  avatars and workspace logos vanish at every rollout, pod restart or eviction while the database
  rows still point at them. ``apps.twenty.storage`` puts them on a block PVC (kept across restarts,
  backed up with the namespace). S3 storage (``STORAGE_TYPE=s3``) is possible upstream but
  deliberately not wired;
* its own Postgres database (``data/catalog.py``) and a private Valkey with ``noeviction``;
* ``APP_SECRET`` and ``ENCRYPTION_KEY`` from secrets, composed with the database and Valkey URLs
  into the Secret ``twenty-env`` (no value ever in the pod spec);
* network: ingress controller → 3000, egress to Postgres, its Valkey, and the internet (HTTPS and
  SMTP submission: calendar/mail sync, webhooks, mail);
* its own Velero schedule (namespace; the database is dumped by the data layer).
"""

from __future__ import annotations

from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.apps.common.objects import public_url
from platform_constructs.apps.common.service import cluster_service
from platform_constructs.apps.common.storage import block_pvc
from platform_constructs.apps.common.valkey import Valkey
from platform_constructs.base.backup import backup_schedule
from platform_constructs.base.ingress import Route, public_ingress
from platform_constructs.base.labels import workload_labels
from platform_constructs.base.network import allow_from_ingress, allow_internet
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.structs import build
from platform_constructs.base.workload import ClaimVolume, Container, EmptyDir, Pod, Probe, deployment
from platform_constructs.capacity import memory_bytes
from platform_constructs.data.access import allow_to_database
from platform_constructs.data.catalog import database_for
from platform_constructs.secret_catalog import URL_USERINFO
from platform_constructs.versions import IMAGES

APP = "twenty"
PORT = 3000
NODE_UID = "1000"  # the image's `node` user (string: the provider types ids as strings)
LOCAL_STORAGE = "/app/packages/twenty-server/.local-storage"
ENV_SECRET = "twenty-env"  # noqa: S105 - a Secret's name
STORAGE_CLAIM = "twenty-local-storage"


class Twenty(Construct):
    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str) -> None:
        super().__init__(scope, id_)
        settings = config.apps.twenty
        stack = LayerStack.of(self)
        db = database_for(APP)
        host = config.host(APP)

        valkey = Valkey(
            self, "valkey", config=config, namespace=namespace, password_variable="twenty_valkey_password",  # noqa: S106 - a variable name
            settings=settings.valkey,
        )
        valkey.allow_client(APP)

        db_password = stack.secret_in(db.password_variable, URL_USERINFO)  # percent-encoded: any value survives
        secret_env = {
            "PG_DATABASE_URL": f"postgres://{db.user}:{db_password}@{db.engine.host}:{db.engine.port}/{db.database}",
            "REDIS_URL": valkey.url(db=0),
            "APP_SECRET": stack.secret("twenty_app_secret"),
            "ENCRYPTION_KEY": stack.secret("twenty_encryption_key"),
        }
        env = {
            "NODE_PORT": str(PORT),
            "SERVER_URL": public_url(config, host),
            "STORAGE_TYPE": "local",
            "STORAGE_LOCAL_PATH": LOCAL_STORAGE,
            "IS_CONFIG_VARIABLES_IN_DB_ENABLED": "false",  # configuration stays declarative (here)
            "HOME": "/tmp",  # yarn and node write caches under $HOME; the root filesystem is read-only
        }
        if settings.smtp is not None:
            smtp = settings.smtp
            env |= {
                "EMAIL_DRIVER": "smtp",
                "EMAIL_SMTP_HOST": smtp.host,
                "EMAIL_SMTP_PORT": str(smtp.port),
                "EMAIL_SMTP_USER": smtp.username,
                "EMAIL_FROM_ADDRESS": smtp.from_address,
                "EMAIL_FROM_NAME": smtp.from_name or "Twenty",
                "EMAIL_SYSTEM_ADDRESS": smtp.from_address,
                "EMAIL_SMTP_NO_TLS": "true" if smtp.security == "none" else "false",
            }
            secret_env["EMAIL_SMTP_PASSWORD"] = stack.secret("twenty_smtp_password")
        SecretV1(
            self,
            "env",
            metadata=build(SecretV1Metadata, {"name": ENV_SECRET, "namespace": namespace, "labels": workload_labels(APP)}),
            data=secret_env,
        )

        def heap(limit: str) -> str:
            return f"--max-old-space-size={memory_bytes(limit) * 3 // 4 // 2**20}"

        mounts = {"local-storage": LOCAL_STORAGE, "tmp": "/tmp"}
        server = Container(
            name="server",
            image=IMAGES["twenty"],
            memory_request=settings.server_memory_request,
            memory_limit=settings.server_memory_limit,
            cpu_request=settings.server_cpu_request,
            ports={"http": PORT},
            env=env | {"NODE_OPTIONS": heap(settings.server_memory_limit)},
            env_from_secrets=[ENV_SECRET],
            mounts=mounts,
            # The first boot and every upgrade run migrations: liveness waits long before judging.
            readiness=Probe(port=PORT, path="/healthz", initial_delay_seconds=30, period_seconds=10, failure_threshold=6),
            liveness=Probe(port=PORT, path="/healthz", initial_delay_seconds=300, period_seconds=15, failure_threshold=6),
        )
        # The worker has no HTTP endpoint. It shares the pod with the server, and a pod is Ready only when
        # every container is: its readiness must not depend on Valkey, or a blip would take the UI away.
        # Liveness restarts the worker alone after ~5 minutes without its queue (a wedged BullMQ client).
        always_ready = Probe(command=["true"], initial_delay_seconds=5, period_seconds=30)
        queue_check = Probe(
            command=[
                "node",
                "-e",
                f"require('net').connect({valkey.port}, '{valkey.host}')"
                ".on('connect', () => process.exit(0)).on('error', () => process.exit(1))",
            ],
            initial_delay_seconds=60,
            period_seconds=30,
            failure_threshold=10,
        )
        worker = Container(
            name="worker",
            image=IMAGES["twenty"],
            command=["yarn", "worker:prod"],
            memory_request=settings.worker_memory_request,
            memory_limit=settings.worker_memory_limit,
            cpu_request=settings.worker_cpu_request,
            env=env
            | {
                "NODE_OPTIONS": heap(settings.worker_memory_limit),
                "DISABLE_DB_MIGRATIONS": "true",  # the server owns migrations
                "DISABLE_CRON_JOBS_REGISTRATION": "true",
            },
            env_from_secrets=[ENV_SECRET],
            mounts=mounts,
            readiness=always_ready,
            liveness=queue_check,
        )
        if settings.storage is not None:
            block_pvc(
                self, "local_storage", config=config, name=STORAGE_CLAIM, namespace=namespace, size=settings.storage, app=APP
            )
            local_storage: ClaimVolume | EmptyDir = ClaimVolume("local-storage", STORAGE_CLAIM)
        else:
            local_storage = EmptyDir("local-storage", settings.local_storage_limit)
        self.deployment = deployment(
            self,
            "deployment",
            name=APP,
            namespace=namespace,
            recreate=True,
            pod=Pod(
                containers=[server, worker],
                run_as_user=NODE_UID,
                volumes=[local_storage, EmptyDir("tmp", "512Mi")],
            ),
        )
        cluster_service(self, "service", name=APP, namespace=namespace, app=APP, ports={"http": PORT})
        public_ingress(
            self, "ingress", config=config, name=APP, namespace=namespace, routes=[Route(host=host, service=APP, port=PORT)]
        )

        allow_from_ingress(self, "allow_ingress", namespace=namespace, app=APP, ports=[PORT])
        allow_to_database(self, "allow_postgres", db=db, namespace=namespace, pods=APP)
        allow_internet(self, "allow_internet", namespace=namespace, app=APP, ports=[443, 465, 587])

        backup_schedule(
            self, "backup", config=config, name="twenty-daily", namespaces=[APP], schedule=settings.backup_schedule
        )
