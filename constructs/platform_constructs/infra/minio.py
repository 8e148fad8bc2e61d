"""MinIO, the dev object store (``backups.target = "minio"``): Velero's bucket and the apps' media bucket.

* Image: MinIO is archived upstream (Feb 2026) and its Docker Hub repositories are gone; quay.io
  still serves the archived tags. We pin the last multi-arch (amd64 + arm64) release,
  ``RELEASE.2025-09-07T16-13-09Z``, so Apple-silicon docker-desktop works. Dev only, in-cluster only.
* Data: a hostPath PersistentVolume on the repo's ``./data/<cluster_name>`` folder, so backups
  survive a cluster reset. The absolute path is computed by OpenTofu at apply time
  (``abspath("${path.root}/../../../data/<cluster>")``, path.root = cdktf.out/stacks/<stack>), so
  the synthesized JSON never holds a path of the synthesizing machine. The PV and its claim are
  pre-bound to each other (``claim_ref`` / ``volume_name``) and carry the env's block class only
  so both sides match; no provisioner is involved.
* Buckets: a sidecar (``mc``) creates them idempotently at every pod start, then idles; the pod is
  Ready only once they exist.
"""

from __future__ import annotations

from cdktf_cdktf_provider_kubernetes.persistent_volume_claim_v1 import PersistentVolumeClaimV1
from cdktf_cdktf_provider_kubernetes.persistent_volume_v1 import PersistentVolumeV1, PersistentVolumeV1Spec
from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1
from cdktf_cdktf_provider_kubernetes.service_v1 import ServiceV1, ServiceV1Spec
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base import buckets, network
from platform_constructs.base.addresses import address
from platform_constructs.base.labels import NAME_LABEL, workload_labels
from platform_constructs.base.stack import STACK_DIR_TO_REPO, LayerStack
from platform_constructs.base.structs import build
from platform_constructs.base.workload import ClaimVolume, Container, EmptyDir, Pod, Probe, SecretEnv, deployment
from platform_constructs.versions import IMAGES

MINIO_APP = buckets.MINIO_SERVICE
API_PORT = buckets.MINIO_PORT
CONSOLE_PORT = 9001
ROOT_SECRET = "minio-root"  # noqa: S105 - a Secret object name
DATA_VOLUME = "minio-data"
READY_MARKER = "/tmp/buckets-ready"
MINIO_UID = "65532"
"""Non-root uid/gid of the MinIO pod (a string: the provider types ids as strings). The data folder must be writable by it."""
ROOT_USER_VARIABLE = "minio_root_user"
ROOT_PASSWORD_VARIABLE = "minio_root_password"  # noqa: S105 - a variable name
"""Sensitive variables (described in secret_catalog.py); Velero reads the same ones in dev."""


def host_data_path(config: PlatformConfig) -> str:
    """OpenTofu expression of the node path: ``<repo>/data/<cluster_name>``, made absolute at apply time."""
    return f'${{abspath("${{path.root}}/{STACK_DIR_TO_REPO}/data/{config.cluster_name}")}}'


def bucket_names(config: PlatformConfig) -> list[str]:
    return sorted({buckets.velero_bucket(config), buckets.media_bucket(config)})


def bucket_script(config: PlatformConfig) -> str:
    """Shell run by the ``buckets`` sidecar. Plain ``$VAR`` only: ``${`` would be an OpenTofu template."""
    names = " ".join(bucket_names(config))
    return (
        "set -eu\n"
        f'until mc alias set local http://127.0.0.1:{API_PORT} "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; '
        "do sleep 2; done\n"
        f"for bucket in {names}; do mc mb --ignore-existing local/$bucket; done\n"
        f"touch {READY_MARKER}\n"
        "exec sleep infinity\n"
    )


class Minio(Construct):
    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str) -> None:
        super().__init__(scope, id_)
        stack = LayerStack.of(self)
        minio = config.infra.minio
        labels = workload_labels(MINIO_APP, "object-storage")
        self.secret = SecretV1(
            self,
            "root",
            metadata={"name": ROOT_SECRET, "namespace": namespace, "labels": labels},
            data={
                "rootUser": stack.secret(ROOT_USER_VARIABLE),
                "rootPassword": stack.secret(ROOT_PASSWORD_VARIABLE),
            },
        )
        block_class = config.storage.block_class
        self.volume = PersistentVolumeV1(
            self,
            "volume",
            metadata={"name": f"{namespace}-{DATA_VOLUME}", "labels": labels},
            spec=[build(PersistentVolumeV1Spec, {
                "capacity": {"storage": minio.capacity},
                "access_modes": ["ReadWriteOnce"],
                "persistent_volume_reclaim_policy": "Retain",
                "storage_class_name": block_class,
                "claim_ref": {"name": DATA_VOLUME, "namespace": namespace},
                "persistent_volume_source": {"host_path": {"path": host_data_path(config), "type": "DirectoryOrCreate"}},
            })],
        )
        self.claim = PersistentVolumeClaimV1(
            self,
            "claim",
            metadata={"name": DATA_VOLUME, "namespace": namespace, "labels": labels},
            spec={
                "access_modes": ["ReadWriteOnce"],
                "storage_class_name": block_class,
                "volume_name": self.volume.metadata.name,
                "resources": {"requests": {"storage": minio.capacity}},
            },
            wait_until_bound=False,
        )
        root_env = {
            "MINIO_ROOT_USER": SecretEnv(ROOT_SECRET, "rootUser"),
            "MINIO_ROOT_PASSWORD": SecretEnv(ROOT_SECRET, "rootPassword"),
        }
        server = Container(
            name="minio",
            image=IMAGES["minio"],
            memory_request=minio.memory_request,
            memory_limit=minio.memory_limit,
            args=["server", "/data", "--console-address", f":{CONSOLE_PORT}", "--certs-dir", "/tmp/certs"],
            ports={"api": API_PORT, "console": CONSOLE_PORT},
            env={"MINIO_BROWSER_REDIRECT": "off", "MINIO_UPDATE": "off"},
            secret_env=root_env,
            mounts={"data": "/data", "tmp": "/tmp"},
            readiness=Probe(port=API_PORT, path="/minio/health/ready", initial_delay_seconds=5),
            liveness=Probe(port=API_PORT, path="/minio/health/live", initial_delay_seconds=15),
        )
        bootstrap = Container(
            name="buckets",
            image=IMAGES["minio-mc"],
            memory_request="32Mi",
            memory_limit="128Mi",
            cpu_request="10m",
            command=["/bin/sh", "-c", bucket_script(config)],
            env={"MC_CONFIG_DIR": "/tmp/mc", "HOME": "/tmp"},
            secret_env=root_env,
            mounts={"tmp": "/tmp"},
            readiness=Probe(command=["test", "-f", READY_MARKER], initial_delay_seconds=5, period_seconds=5),
            # Restart the sidecar if the buckets still do not exist after ~3 minutes.
            liveness=Probe(command=["test", "-f", READY_MARKER], initial_delay_seconds=60, period_seconds=10,
                           failure_threshold=12),
        )
        self.deployment = deployment(
            self,
            "deployment",
            name=MINIO_APP,
            namespace=namespace,
            component="object-storage",
            recreate=True,  # single writer on a ReadWriteOnce volume
            pod=Pod(
                containers=[server, bootstrap],
                run_as_user=MINIO_UID,
                volumes=[ClaimVolume("data", DATA_VOLUME), EmptyDir("tmp", "64Mi")],
            ),
        )
        self.deployment.depends_on = [address(self.claim), address(self.secret)]
        self.service = ServiceV1(
            self,
            "service",
            metadata={"name": MINIO_APP, "namespace": namespace, "labels": labels},
            spec=build(ServiceV1Spec, {
                "selector": {NAME_LABEL: MINIO_APP},
                "port": [
                    {"name": "api", "port": API_PORT, "target_port": "api", "protocol": "TCP"},
                    {"name": "console", "port": CONSOLE_PORT, "target_port": "console", "protocol": "TCP"},
                ],
            }),
        )
        # Velero (server, node agent, data movers, maintenance Jobs) writes backups; apps using media.
        network.allow_from_apps(self, "netpol_from_velero", namespace=namespace, app=MINIO_APP, source_namespace=namespace,
                                source_apps=buckets.VELERO_PODS, ports=[API_PORT], name="allow-minio-from-velero")
        clients = buckets.minio_app_namespaces(config)
        if clients:
            network.allow_from_namespaces(self, "netpol_from_apps", namespace=namespace, app=MINIO_APP, sources=clients,
                                          ports=[API_PORT], name="allow-apps-to-minio")
