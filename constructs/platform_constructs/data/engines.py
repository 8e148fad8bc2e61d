"""The two shared database engines: one StatefulSet, one PVC, one Service and one root Secret each.

Official images (``postgres``, ``mariadb``) run as their built-in uid 999 with a read-only root
filesystem: only the data PVC, the dumps PVC and two emptyDirs (socket/pid directory, ``/tmp``) are
writable, plus Postgres' memory-backed ``/dev/shm`` (sized: parallel query needs more than the
runtime's 64 MiB). The data directory lives in a sub-folder of the PVC (a fresh block volume has
``lost+found`` at its root). The Velero pre-backup dumps (``backups.py``) go to a second PVC,
``<engine>-dumps``, mounted at ``/dumps``: a dump that runs out of space fails on its own volume and
never fills the one the server writes to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata
from cdktf_cdktf_provider_kubernetes.service_v1 import ServiceV1, ServiceV1Metadata, ServiceV1Spec
from cdktf_cdktf_provider_kubernetes.stateful_set_v1 import StatefulSetV1
from constructs import Construct

from envs import PlatformConfig
from envs.sections.data import EngineConfig
from platform_constructs.base.addresses import address
from platform_constructs.base.labels import COMPONENT_LABEL, NAME_LABEL, workload_labels
from platform_constructs.base.network import allow_from_namespaces
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.storage import block_pvc
from platform_constructs.base.structs import build
from platform_constructs.base.workload import ClaimVolume, Container, EmptyDir, Pod, Probe, SecretEnv, stateful_set
from platform_constructs.data.catalog import MARIADB, POSTGRES, Engine, enabled_databases
from platform_constructs.versions import IMAGES

# uid/gid of the postgres and mysql users in the official images. A string: the provider bindings
# type pod/container security-context ids as strings and reject an int (see the report to the lead).
DB_UID = "999"
COMPONENT = "database"
DATA_VOLUME = "data"
DUMPS_VOLUME = "dumps"
DUMP_DIR = "/dumps"
ROOT_SECRET_KEY = "password"  # noqa: S105 (a key name, not a value)
POSTGRES_SHM_SIZE = "256Mi"


@dataclass(frozen=True)
class EngineSpec:
    """What differs between the two engines, as data."""

    engine: Engine
    image: str
    mount_path: str
    """Where the PVC is mounted; the data directory is a sub-folder of it."""
    root_password_env: str
    """Variable the image's entrypoint reads the superuser password from."""
    root_password_variable: str
    env: Mapping[str, str]
    writable: Mapping[str, str]
    """emptyDir name → path the server writes to (the root filesystem is read-only)."""
    memory: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """memory-backed emptyDir name → (path, size), e.g. a sized ``/dev/shm``."""
    args: Sequence[str] = ()
    probe_command: Sequence[str] = field(default_factory=tuple)

    @property
    def root_secret(self) -> str:
        return f"{self.engine.name}-root"

    @property
    def dump_dir(self) -> str:
        return DUMP_DIR

    @property
    def dumps_claim(self) -> str:
        return f"{self.engine.name}-dumps"


def engine_spec(engine: Engine, settings: EngineConfig) -> EngineSpec:
    if engine == POSTGRES:
        return EngineSpec(
            engine=POSTGRES,
            image=IMAGES["postgres"],
            mount_path="/var/lib/postgresql/data",
            root_password_env="POSTGRES_PASSWORD",  # noqa: S106 (names, not values)
            root_password_variable="postgres_root_password",  # noqa: S106
            # PG <= 17 image layout; PGDATA one level down avoids lost+found in the data directory.
            env={"PGDATA": "/var/lib/postgresql/data/pgdata"},
            writable={"run": "/var/run/postgresql", "tmp": "/tmp"},
            # Parallel query allocates dynamic shared memory in /dev/shm; the runtime's default is 64 MiB
            # ("could not resize shared memory segment"). Counted in the memory limit while used.
            memory={"shm": ("/dev/shm", POSTGRES_SHM_SIZE)},
            args=("-c", f"max_connections={settings.max_connections}"),
            # TCP on 127.0.0.1: the entrypoint's first-boot server listens on the socket only,
            # so the pod is ready only once the real server runs. pg_isready needs no password.
            probe_command=("pg_isready", "-h", "127.0.0.1", "-p", str(POSTGRES.port), "-U", "postgres", "-d", "postgres"),
        )
    if engine == MARIADB:
        return EngineSpec(
            engine=MARIADB,
            image=IMAGES["mariadb"],
            mount_path="/var/lib/mysql",
            root_password_env="MARIADB_ROOT_PASSWORD",  # noqa: S106 (names, not values)
            root_password_variable="mariadb_root_password",  # noqa: S106
            # Runs mariadb-upgrade after an image bump (it keeps a backup of the system tables).
            env={"MARIADB_AUTO_UPGRADE": "1"},
            writable={"run": "/run/mysqld", "tmp": "/tmp"},
            args=("--datadir=/var/lib/mysql/data", f"--max-connections={settings.max_connections}"),
            # TCP as root (the first-boot server skips networking); the password never enters argv.
            probe_command=(
                "bash",
                "-c",
                'MYSQL_PWD="$MARIADB_ROOT_PASSWORD" mariadb-admin --protocol=TCP -h 127.0.0.1 -u root ping',
            ),
        )
    raise ValueError(f"no engine spec for {engine.name!r}")


class DatabaseEngine(Construct):
    """One engine in namespace ``namespace``: root Secret, Service, StatefulSet (+PVC), ingress policy.

    ``stateful_set`` carries ``prevent_destroy`` (its volume claim template is the data PVC, which
    also survives a StatefulSet deletion through the ``Retain`` claim retention policy).
    """

    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, engine: Engine, namespace: str) -> None:
        super().__init__(scope, id_)
        settings: EngineConfig = getattr(config.data, engine.name)
        spec = engine_spec(engine, settings)
        self.spec = spec
        stack = LayerStack.of(self)
        name = engine.name

        root_password = stack.secret(spec.root_password_variable)
        self.root_secret = SecretV1(
            self,
            "root_secret",
            metadata=build(
                SecretV1Metadata, {"name": spec.root_secret, "namespace": namespace, "labels": workload_labels(name, COMPONENT)}
            ),
            data={ROOT_SECRET_KEY: root_password},
        )

        labels = workload_labels(name, COMPONENT)
        self.service = ServiceV1(
            self,
            "service",
            metadata=build(ServiceV1Metadata, {"name": engine.service, "namespace": namespace, "labels": labels}),
            spec=build(
                ServiceV1Spec,
                {
                    "selector": {NAME_LABEL: name, COMPONENT_LABEL: COMPONENT},
                    "port": [{"name": name, "port": engine.port, "target_port": name}],
                },
            ),
        )

        probe = Probe(command=spec.probe_command, initial_delay_seconds=10, period_seconds=10, failure_threshold=3)
        container = Container(
            name=name,
            image=spec.image,
            memory_request=settings.memory_request,
            memory_limit=settings.memory_limit,
            cpu_request=settings.cpu_request,
            ports={name: engine.port},
            args=list(spec.args) or None,
            # DUMP_DIR / DUMP_KEEP: read by the dump hook, which Velero runs in this container.
            env={**spec.env, "DUMP_DIR": spec.dump_dir, "DUMP_KEEP": str(settings.dump_generations)},
            secret_env={spec.root_password_env: SecretEnv(spec.root_secret, ROOT_SECRET_KEY)},
            mounts={
                DATA_VOLUME: spec.mount_path, DUMPS_VOLUME: spec.dump_dir, **spec.writable,
                **{vol: path for vol, (path, _) in spec.memory.items()},
            },
            readiness=probe,
            # First boot (initdb, or mariadb-upgrade after a bump) can take minutes: be patient.
            liveness=Probe(command=spec.probe_command, initial_delay_seconds=60, period_seconds=20, failure_threshold=6),
            run_as_user=DB_UID,
        )
        self.dumps_pvc = block_pvc(
            self, "dumps", config=config, name=spec.dumps_claim, namespace=namespace,
            size=settings.dumps_storage or settings.storage, app=name,
        )
        pod = Pod(
            containers=[container],
            volumes=[ClaimVolume(DUMPS_VOLUME, spec.dumps_claim)]
            + [EmptyDir(vol, "256Mi") for vol in sorted(spec.writable)]
            + [EmptyDir(vol, size, medium="Memory") for vol, (_, size) in sorted(spec.memory.items())],
            run_as_user=DB_UID,
            run_as_group=DB_UID,
            fs_group=DB_UID,
        )
        self.stateful_set: StatefulSetV1 = stateful_set(
            self,
            "stateful_set",
            name=name,
            namespace=namespace,
            pod=pod,
            service_name=engine.service,
            volume_claims={DATA_VOLUME: (config.storage.block_class, settings.storage)},
            component=COMPONENT,
        )
        # The data itself: OpenTofu must never plan its destruction (remove this line on purpose first).
        self.stateful_set.add_override("lifecycle.prevent_destroy", True)
        self.stateful_set.depends_on = [address(self.dumps_pvc)]

        # Only namespaces of enabled apps that declared a database on this engine may connect.
        app_namespaces = sorted({db.namespace for db in enabled_databases(config, engine)})
        if app_namespaces:
            allow_from_namespaces(
                self,
                "netpol_from_apps",
                namespace=namespace,
                app=name,
                sources=app_namespaces,
                ports=[engine.port],
                name=f"allow-apps-to-{name}",
            )
