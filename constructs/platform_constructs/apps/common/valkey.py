"""A private Valkey for one application, in the application's own namespace.

Official ``valkey/valkey`` image (not Bitnami), one replica (Deployment, Recreate, RWO PVC: the
shape of the official chart's standalone mode), started directly
with ``valkey-server`` (no root entrypoint) as uid 999 on a read-only root filesystem. Its whole
configuration, ``requirepass`` included, is a Secret mounted as ``valkey.conf``, so the password
never appears in the pod spec or in ``ps``; OpenTofu writes it there as a quoted, escaped string
(``secret_catalog.VALKEY_CONF``), so any value survives. Defaults (``ValkeyConfig``): ``noeviction``, which
queues (BullMQ, Celery) require; AOF persistence on a block PVC; ``maxmemory`` = 75% of the
memory limit, so a full Valkey refuses writes instead of being OOM-killed.

Network: only pods of its own namespace may connect (port 6379). Clients still need an egress
allow from their side: call ``allow_client(app)`` once per client.

Usage::

    valkey = Valkey(self, "valkey", config=config, namespace=namespace,
                    password_variable="twenty_valkey_password", settings=config.apps.twenty.valkey)
    valkey.allow_client("twenty")
    env = {"REDIS_URL": valkey.url(db=0)}     # contains the password token: put it in a Secret
"""

from __future__ import annotations

from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata
from constructs import Construct

from envs import PlatformConfig
from envs.sections.apps import ValkeyConfig
from platform_constructs.apps.common.service import cluster_service
from platform_constructs.apps.common.storage import block_pvc
from platform_constructs.base.labels import workload_labels
from platform_constructs.base.network import allow_from_namespaces, allow_to_service
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.structs import build
from platform_constructs.base.workload import (
    ClaimVolume,
    Container,
    EmptyDir,
    Pod,
    Probe,
    SecretEnv,
    SecretVolume,
    Volume,
    deployment,
)
from platform_constructs.capacity import memory_bytes
from platform_constructs.secret_catalog import URL_USERINFO, VALKEY_CONF
from platform_constructs.versions import IMAGES

VALKEY_PORT = 6379
VALKEY_UID = "999"  # the image's `valkey` user (a string: the provider types ids as strings)
DATA_DIR = "/data"
CONFIG_DIR = "/etc/valkey"


def valkey_conf(*, password: str, maxmemory_bytes: int, policy: str, persistent: bool) -> str:
    """The server configuration; ``password`` is the ``requirepass`` argument as valkey.conf reads it
    (``LayerStack.secret_in(name, VALKEY_CONF)``: a double-quoted string, escaped by OpenTofu)."""
    lines = [
        "bind * -::*",
        f"port {VALKEY_PORT}",
        f"dir {DATA_DIR}",
        f"maxmemory {maxmemory_bytes}",
        f"maxmemory-policy {policy}",
        # AOF when there is a disk to keep it on; otherwise no persistence at all.
        f"appendonly {'yes' if persistent else 'no'}",
        *([] if persistent else ['save ""']),
        f"requirepass {password}",
    ]
    return "\n".join(lines) + "\n"


class Valkey(Construct):
    """One Valkey server reachable as ``<name>:6379`` from its namespace."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: PlatformConfig,
        namespace: str,
        password_variable: str,
        settings: ValkeyConfig | None = None,
        name: str = "valkey",
    ) -> None:
        super().__init__(scope, id_)
        settings = settings or ValkeyConfig()
        if not password_variable.endswith("_password"):
            raise ValueError(f"{name}: password_variable {password_variable!r} should end with '_password'")
        self.name = name
        self.namespace = namespace
        self.settings = settings
        self.port = VALKEY_PORT
        self.secret_name = f"{name}-auth"
        self.password_key = "password"  # noqa: S105 - a key name, not a secret
        stack = LayerStack.of(self)
        self.password_variable = password_variable
        self.password = stack.secret(password_variable)
        persistent = settings.storage is not None
        limit = memory_bytes(settings.memory_limit)

        SecretV1(
            self,
            "auth",
            metadata=build(SecretV1Metadata, {"name": self.secret_name, "namespace": namespace, "labels": self.labels}),
            data={
                self.password_key: self.password,
                "valkey.conf": valkey_conf(
                    password=stack.secret_in(password_variable, VALKEY_CONF),
                    maxmemory_bytes=limit * 3 // 4,
                    policy=settings.maxmemory_policy,
                    persistent=persistent,
                ),
            },
        )
        cluster_service(self, "service", name=name, namespace=namespace, app=name, ports={"valkey": VALKEY_PORT})
        ping = Probe(
            command=["sh", "-c", 'valkey-cli --no-auth-warning -a "$VALKEY_PASSWORD" ping | grep -q PONG'],
            initial_delay_seconds=5,
        )
        container = Container(
            name="valkey",
            image=IMAGES["valkey"],
            command=["valkey-server", f"{CONFIG_DIR}/valkey.conf"],
            memory_request=settings.memory_request,
            memory_limit=settings.memory_limit,
            cpu_request=settings.cpu_request,
            ports={"valkey": VALKEY_PORT},
            secret_env={"VALKEY_PASSWORD": SecretEnv(self.secret_name, self.password_key)},
            mounts={"config": CONFIG_DIR, "data": DATA_DIR},
            readiness=ping,
            # exec, not tcp: a loading AOF answers TCP but not PING; liveness is the patient one.
            liveness=Probe(command=ping.command, initial_delay_seconds=30, period_seconds=20, failure_threshold=6),
        )
        volumes: list[Volume] = [
            SecretVolume("config", self.secret_name, items={"valkey.conf": "valkey.conf"}, default_mode="0440")
        ]
        if persistent:
            block_pvc(self, "data", config=config, name=f"{name}-data", namespace=namespace, size=settings.storage, app=name)
            volumes.append(ClaimVolume("data", f"{name}-data"))
        else:
            volumes.append(EmptyDir("data", settings.memory_limit))
        self.workload = deployment(
            self,
            "deployment",
            name=name,
            namespace=namespace,
            pod=Pod(containers=[container], volumes=volumes, run_as_user=VALKEY_UID),
            recreate=True,  # one writer on an RWO volume
        )
        # Only its own namespace may connect.
        allow_from_namespaces(
            self,
            "allow_namespace",
            namespace=namespace,
            app=name,
            sources=[namespace],
            ports=[VALKEY_PORT],
            name=f"allow-namespace-to-{name}",
        )

    @property
    def labels(self) -> dict[str, str]:
        return workload_labels(self.name)

    @property
    def host(self) -> str:
        """Service DNS name, valid from any pod of the namespace."""
        return self.name

    def url(self, db: int = 0) -> str:
        """``redis://:<password>@<name>:6379/<db>`` — a secret value; the password is percent-encoded."""
        password = LayerStack.of(self).secret_in(self.password_variable, URL_USERINFO)
        return f"redis://:{password}@{self.host}:{VALKEY_PORT}/{db}"

    def allow_client(self, app: str | None) -> None:
        """Egress from pods named ``app`` (all pods of the namespace when None) to this Valkey."""
        allow_to_service(
            self,
            f"allow_client_{(app or 'all').replace('-', '_')}",
            namespace=self.namespace,
            app=app,
            target_namespace=self.namespace,
            target_app=self.name,
            ports=[VALKEY_PORT],
            name=f"allow-{app or 'all'}-to-{self.name}",
        )
