"""n8n at ``config.host("n8n")``, webhooks at ``config.host("n8n_webhook")``.

Plain Deployments of the official ``n8nio/n8n`` image rather than the community chart: the
packaged chart still carries Bitnami subchart tarballs (disabled, but present), its strict schema
and ``lookup``-generated encryption key fight a declarative setup, and its pods would bypass the
hardened workload helper, the ingress helper (WAF, TLS) and the NetworkPolicy helper. n8n needs no
more than environment variables, so the chart buys nothing here.

* Postgres from the data layer (database ``n8n``, its own user); the password and the encryption
  key come from sensitive variables through the Secret ``n8n-secrets``. The encryption key must
  never change: stored credentials are encrypted with it.
* regular mode (default): one main pod serves the editor and the webhooks, ``/home/node/.n8n``
  on a PVC (community nodes, settings), binary data in the database;
* queue mode (``queue_mode = true``): main + ``n8n-worker`` (N replicas) + ``n8n-webhook`` (the
  webhook host routes production webhooks to it) and a private Valkey (``apps/common/valkey.py``,
  ``noeviction``) as the Bull queue;
* S3 binary data (``s3_binary_data``) needs an n8n **Enterprise licence** (the activation key is
  the secret ``n8n_license_activation_key``); without a licence n8n ignores the S3 mode;
* its own Velero schedule (namespace: the main PVC and the Valkey AOF; the database is backed up
  by the data layer).
"""

from __future__ import annotations

from cdktf_cdktf_provider_kubernetes.deployment_v1 import DeploymentV1
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.apps.common.objects import public_url, secret, smtp_ports
from platform_constructs.apps.common.service import cluster_service
from platform_constructs.apps.common.storage import block_pvc
from platform_constructs.apps.common.valkey import Valkey
from platform_constructs.base import buckets
from platform_constructs.base.backup import backup_schedule
from platform_constructs.base.buckets import media_bucket, s3_endpoint, s3_region
from platform_constructs.base.ingress import BodyLimit, MiB, Route, public_ingress
from platform_constructs.base.network import allow_from_ingress, allow_internet, allow_prometheus, allow_to_service
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.workload import ClaimVolume, Container, EmptyDir, Pod, Probe, SecretEnv, deployment
from platform_constructs.data.access import allow_to_database
from platform_constructs.data.catalog import database_for
from platform_constructs.versions import IMAGES

NAME = "n8n"
WORKER = "n8n-worker"
WEBHOOK = "n8n-webhook"
PORT = 5678
NODE_UID = 1000  # the image's `node` user
SECRET_NAME = "n8n-secrets"  # noqa: S105 - a Secret object's name
DATA_CLAIM = "n8n-data"
USER_FOLDER = "/home/node/.n8n"
CACHE_DIR = "/home/node/.cache"
"""Every n8n process writes the editor's static assets under ``$HOME/.cache/n8n/public`` at start (image_facts)."""
# Production webhook/form paths the webhook processor answers (queue mode); the rest stays on main.
WEBHOOK_PATHS = ("/webhook/", "/webhook-waiting/", "/form/", "/form-waiting/")


class N8n(Construct):
    """n8n in namespace ``namespace`` (see the module docstring)."""

    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str) -> None:
        super().__init__(scope, id_)
        settings = config.apps.n8n
        if settings.s3_binary_data and config.infra.backups.target != "spaces":
            raise ValueError(
                "apps.n8n.s3_binary_data: the S3 binary-data mode is wired to Spaces (backups.target = 'spaces') "
                "and needs an n8n Enterprise licence; turn it off in this environment."
            )
        stack = LayerStack.of(self)
        db = database_for(NAME)

        secrets = {
            "DB_POSTGRESDB_PASSWORD": stack.secret(db.password_variable),
            "N8N_ENCRYPTION_KEY": stack.secret("n8n_encryption_key"),
        }
        env = {
            "DB_TYPE": "postgresdb",
            "DB_POSTGRESDB_HOST": db.engine.host,
            "DB_POSTGRESDB_PORT": str(db.engine.port),
            "DB_POSTGRESDB_DATABASE": db.database,
            "DB_POSTGRESDB_USER": db.user,
            "N8N_PORT": str(PORT),
            "N8N_HOST": config.host("n8n"),
            "N8N_PROTOCOL": "https" if config.infra.ingress.tls else "http",
            "N8N_EDITOR_BASE_URL": public_url(config, config.host("n8n")) + "/",
            # N8N_WEBHOOK_URL, not the deprecated WEBHOOK_URL (n8n 2.35 deprecation.service): same base URL for
            # test and production webhooks.
            "N8N_WEBHOOK_URL": public_url(config, config.host("n8n_webhook")) + "/",
            "N8N_PROXY_HOPS": "1",  # behind exactly one reverse proxy (client IPs, secure cookies)
            "N8N_SECURE_COOKIE": "true" if config.infra.ingress.tls else "false",
            "GENERIC_TIMEZONE": settings.timezone,
            "TZ": settings.timezone,
            "N8N_DIAGNOSTICS_ENABLED": "false",
            # Workflows must not read the process env (it holds the DB password and the key).
            "N8N_BLOCK_ENV_ACCESS_IN_NODE": "true",
            "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "true",
            "EXECUTIONS_DATA_PRUNE": "true",
            "EXECUTIONS_DATA_MAX_AGE": str(settings.execution_max_age_hours),
            # Without a licence binary data lives in Postgres: the only mode valid in queue mode too.
            "N8N_DEFAULT_BINARY_DATA_MODE": "database",
            "npm_config_cache": "/tmp/.npm",  # community-node installs; the root filesystem is read-only
            "N8N_METRICS": "true",  # /metrics on the main port, scraped by the metrics layer's PodMonitor
            # Body limits, explicit so the WAF can be held to them (n8n 2.35 @n8n/config endpoints.config:
            # payloadSizeMax 16, formDataFileSizeMax 200 by default, in MiB).
            "N8N_PAYLOAD_SIZE_MAX": str(settings.payload_max_mb),
            "N8N_FORMDATA_FILE_SIZE_MAX": str(settings.upload_max_mb),
        }
        secret_env = {}
        if settings.smtp is not None:
            smtp = settings.smtp
            secrets["N8N_SMTP_PASS"] = stack.secret("n8n_smtp_password")
            env |= {
                "N8N_EMAIL_MODE": "smtp",
                "N8N_SMTP_HOST": smtp.host,
                "N8N_SMTP_PORT": str(smtp.port),
                "N8N_SMTP_USER": smtp.username,
                "N8N_SMTP_SENDER": f"{smtp.from_name or 'n8n'} <{smtp.from_address}>",
                "N8N_SMTP_SSL": "true" if smtp.security == "tls" else "false",
                "N8N_SMTP_STARTTLS": "true" if smtp.security == "starttls" else "false",
            }
        if settings.s3_binary_data:
            secrets["N8N_EXTERNAL_STORAGE_S3_ACCESS_KEY"] = stack.secret("n8n_s3_access_key")
            secrets["N8N_EXTERNAL_STORAGE_S3_ACCESS_SECRET"] = stack.secret("n8n_s3_secret_key")
            secrets["N8N_LICENSE_ACTIVATION_KEY"] = stack.secret("n8n_license_activation_key")
            env |= {
                "N8N_EXTERNAL_STORAGE_S3_HOST": s3_endpoint(config).removeprefix("https://"),
                "N8N_EXTERNAL_STORAGE_S3_BUCKET_NAME": media_bucket(config),
                "N8N_EXTERNAL_STORAGE_S3_BUCKET_REGION": s3_region(config),
                "N8N_DEFAULT_BINARY_DATA_MODE": "s3",
            }

        pods = [NAME]
        valkey: Valkey | None = None
        if settings.queue_mode:
            pods += [WORKER, WEBHOOK]
            valkey = Valkey(
                self, "valkey", config=config, namespace=namespace, password_variable="n8n_valkey_password",  # noqa: S106 - a variable name
                settings=settings.valkey,
            )
            env |= {
                "EXECUTIONS_MODE": "queue",
                "QUEUE_BULL_REDIS_HOST": valkey.host,
                "QUEUE_BULL_REDIS_PORT": str(valkey.port),
                "QUEUE_BULL_REDIS_DB": "0",
                "QUEUE_HEALTH_CHECK_ACTIVE": "true",  # workers serve /healthz on N8N_PORT
                # Not deprecated when "true": n8n 2.35 warns only when it is unset or false (v3 makes it the only mode).
                "OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS": "true",
                # Production webhooks go to the webhook processor, never to main.
                "N8N_DISABLE_PRODUCTION_MAIN_PROCESS": "true",
            }
            secret_env["QUEUE_BULL_REDIS_PASSWORD"] = SecretEnv(valkey.secret_name, valkey.password_key)

        secret(self, "secret", name=SECRET_NAME, namespace=namespace, data=secrets)
        secret_env |= {key: SecretEnv(SECRET_NAME, key) for key in secrets}
        block_pvc(self, "data", config=config, name=DATA_CLAIM, namespace=namespace, size=settings.storage, app=NAME)

        def container(name: str, args: list[str] | None, mounts: dict[str, str]) -> Container:
            return Container(
                name=name,
                image=IMAGES["n8n"],
                args=args,
                memory_request=settings.memory_request,
                memory_limit=settings.memory_limit,
                cpu_request=settings.cpu_request,
                ports={"http": PORT},
                env=env,
                secret_env=secret_env,
                mounts=mounts,
                readiness=Probe(port=PORT, path="/healthz/readiness", initial_delay_seconds=20),
                liveness=Probe(port=PORT, path="/healthz", initial_delay_seconds=30, period_seconds=15),
            )

        def pod(main: Container, persistent: bool) -> Pod:
            home = ClaimVolume("home", DATA_CLAIM) if persistent else EmptyDir("home", "1Gi")
            return Pod(
                containers=[main],
                volumes=[home, EmptyDir("cache", "256Mi"), EmptyDir("tmp", "1Gi")],
                run_as_user=NODE_UID,
                fs_group=NODE_UID,
            )

        mounts = {"home": USER_FOLDER, "cache": CACHE_DIR, "tmp": "/tmp"}
        main_pod = pod(container(NAME, None, mounts), persistent=True)
        self.deployments: dict[str, DeploymentV1] = {
            NAME: deployment(self, "main", name=NAME, namespace=namespace, pod=main_pod, recreate=True)
        }
        cluster_service(self, "service", name=NAME, namespace=namespace, app=NAME, ports={"http": PORT})
        webhook_routes = [Route(host=config.host("n8n_webhook"), service=NAME, port=PORT)]
        if settings.queue_mode:
            self.deployments[WORKER] = deployment(
                self, "worker", name=WORKER, namespace=namespace, pod=pod(container(WORKER, ["worker"], mounts), False),
                replicas=settings.workers,
            )
            self.deployments[WEBHOOK] = deployment(
                self, "webhook", name=WEBHOOK, namespace=namespace, pod=pod(container(WEBHOOK, ["webhook"], mounts), False)
            )
            cluster_service(self, "webhook_service", name=WEBHOOK, namespace=namespace, app=WEBHOOK, ports={"http": PORT})
            webhook_routes += [Route(host=config.host("n8n_webhook"), service=WEBHOOK, port=PORT, path=p) for p in WEBHOOK_PATHS]

        public_ingress(
            self,
            "ingress",
            config=config,
            name=NAME,
            namespace=namespace,
            routes=[Route(host=config.host("n8n"), service=NAME, port=PORT), *webhook_routes],
            body_limit=BodyLimit(
                settings.upload_max_mb * MiB, "apps.n8n.upload_max_mb", settings.payload_max_mb * MiB, "apps.n8n.payload_max_mb"
            ),
        )

        allow_prometheus(self, "netpol_from_prometheus", namespace=namespace, app=NAME, ports=[PORT])
        for app in pods:
            key = app.replace("-", "_")
            if app != WORKER:
                allow_from_ingress(self, f"netpol_{key}_from_ingress", namespace=namespace, app=app, ports=[PORT])
            allow_to_database(self, f"netpol_{key}_to_postgres", db=db, namespace=namespace, pods=app)
            # Workflows reach the internet on the configured ports (private ranges stay closed) and mail.
            allow_internet(
                self, f"netpol_{key}_to_internet", namespace=namespace, app=app,
                ports=sorted({*settings.egress_ports, *smtp_ports(settings.smtp)}),
            )
            if NAME in buckets.minio_app_namespaces(config):  # binary data in the dev MinIO (namespace = NAME)
                allow_to_service(
                    self, f"netpol_{key}_to_minio", namespace=namespace, app=app, target_namespace=buckets.MINIO_NAMESPACE,
                    target_app=buckets.MINIO_SERVICE, ports=[buckets.MINIO_PORT], name=f"allow-{app}-to-minio",
                )
            if valkey is not None:
                valkey.allow_client(app)

        backup_schedule(self, "backup", config=config, name=f"{NAME}-daily", namespaces=[NAME], schedule=settings.backup_schedule)
