"""Vince analytics at ``config.host("analytics")`` (``insights.<root_domain>``).

Plain resources, not the Vince chart: the chart (1.11.8) has no PVC, no Ingress and no update
strategy, so its data would live in the container (lost on every restart) and a RollingUpdate
would start a second writer on the embedded Pebble database. Here: one Deployment with
``Recreate``, its data on a block PVC at ``/data``.

The brief's "admin bootstrap via Helm values" is kept in spirit: the same two settings the chart
reads from its ``existingSecret`` (``VINCE_ADMIN_NAME``, ``VINCE_ADMIN_PASSWORD``) come from the
Secret ``vince-admin``, built from config (name) and the sensitive variable
``analytics_admin_password``. Vince rewrites the admin record at every start, so rotating the
variable and restarting the pod resets the password.

Sites listed in ``apps.analytics.domains`` (default: the root domain) are created at start.
Backed up by its own Velero schedule (the PVC).
"""

from __future__ import annotations

from constructs import Construct

from envs import PlatformConfig
from platform_constructs.apps.common.objects import public_url, secret
from platform_constructs.apps.common.service import cluster_service
from platform_constructs.apps.common.storage import block_pvc
from platform_constructs.base.backup import backup_schedule
from platform_constructs.base.ingress import Route, public_ingress
from platform_constructs.base.network import allow_from_ingress
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.workload import ClaimVolume, Container, EmptyDir, Pod, Probe, SecretEnv, deployment
from platform_constructs.versions import IMAGES

NAMESPACE_NAME = "analytics"
NAME = "vince"
PORT = 8080
DATA_DIR = "/data"
SECRET_NAME = "vince-admin"  # noqa: S105 - a Secret object's name
DATA_CLAIM = "analytics-data"


class Analytics(Construct):
    """Vince in namespace ``namespace`` (see the module docstring)."""

    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str) -> None:
        super().__init__(scope, id_)
        settings = config.apps.analytics
        password = LayerStack.of(self).secret("analytics_admin_password")
        secret(
            self,
            "admin",
            name=SECRET_NAME,
            namespace=namespace,
            data={"VINCE_ADMIN_NAME": settings.admin_name, "VINCE_ADMIN_PASSWORD": password},
        )
        block_pvc(self, "data", config=config, name=DATA_CLAIM, namespace=namespace, size=settings.storage, app=NAME)

        container = Container(
            name=NAME,
            image=IMAGES["vince"],
            args=["serve"],
            memory_request=settings.memory_request,
            memory_limit=settings.memory_limit,
            cpu_request=settings.cpu_request,
            ports={"http": PORT},
            env={
                "VINCE_LISTEN": f":{PORT}",
                "VINCE_DATA": DATA_DIR,
                "VINCE_URL": public_url(config, config.host("analytics")),
                "VINCE_DOMAINS": ",".join(settings.domains or [config.root_domain]),
            },
            secret_env={key: SecretEnv(SECRET_NAME, key) for key in ("VINCE_ADMIN_NAME", "VINCE_ADMIN_PASSWORD")},
            mounts={"data": DATA_DIR, "tmp": "/tmp"},
            # FROM scratch: no shell, so HTTP probes only.
            readiness=Probe(port=PORT, path="/", initial_delay_seconds=5),
            liveness=Probe(port=PORT, path="/", initial_delay_seconds=15),
        )
        pod = Pod(
            containers=[container],
            volumes=[ClaimVolume("data", DATA_CLAIM), EmptyDir("tmp", "256Mi")],
        )
        deployment(self, "deployment", name=NAME, namespace=namespace, pod=pod, recreate=True)
        cluster_service(self, "service", name=NAME, namespace=namespace, app=NAME, ports={"http": PORT})
        public_ingress(
            self,
            "ingress",
            config=config,
            name=NAMESPACE_NAME,
            namespace=namespace,
            routes=[Route(host=config.host("analytics"), service=NAME, port=PORT)],
        )
        allow_from_ingress(self, "netpol_from_ingress", namespace=namespace, app=NAME, ports=[PORT])

        backup_schedule(
            self, "backup", config=config, name=f"{NAMESPACE_NAME}-daily", namespaces=[NAMESPACE_NAME],
            schedule=settings.backup_schedule,
        )
