"""Zot OCI registry at ``config.host("registry")``.

A plain Deployment of the full ``ghcr.io/project-zot/zot`` image (multi-arch; metrics, search
and UI extensions) rather than the zot chart: the chart ships demo users (``admin:admin``,
``user:user``) in its default secret, has no values schema, and its own Ingress and pod spec
would bypass the ingress helper (WAF waiver, TLS) and the hardened workload helper. The whole
configuration is one JSON file we generate; the chart would only template it.

* storage: a ReadWriteOnce block PVC at ``/var/lib/registry`` (dedupe + GC, local BoltDB cache),
  one replica with ``Recreate``;
* auth (``htpasswd = true``, on in prod): bcrypt lines from the secret ``registry_htpasswd``,
  mounted read-only from the Secret ``registry-htpasswd``; every authenticated user may push,
  anonymous users get nothing. Off = anonymous push/pull (dev laptops only);
* metrics: ``/metrics`` on the registry port; the metrics layer's ``zot`` PodMonitor scrapes pods
  labelled ``app.kubernetes.io/name=zot`` (this Deployment) on port ``http``;
* no WAF: image layers are hundreds of MB and binary, so the WAF's body limits and CRS rules would
  break pushes (recorded as a ``WafWaiver`` on the Ingress); on the nginx class the body size is
  unlimited and request buffering is off;
* its own Velero schedule (the PVC, i.e. every stored image).
"""

from __future__ import annotations

import json
from typing import Any

from constructs import Construct

from envs import PlatformConfig
from platform_constructs.apps.common.objects import config_map, secret
from platform_constructs.apps.common.service import cluster_service
from platform_constructs.apps.common.storage import block_pvc
from platform_constructs.base.backup import backup_schedule
from platform_constructs.base.ingress import Route, WafWaiver, public_ingress
from platform_constructs.base.network import allow_from_ingress, allow_prometheus
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.workload import (
    ClaimVolume,
    ConfigMapVolume,
    Container,
    EmptyDir,
    Pod,
    Probe,
    SecretVolume,
    Volume,
    deployment,
)
from platform_constructs.versions import IMAGES

NAMESPACE_NAME = "registry"
NAME = "zot"  # pod name label the metrics layer's PodMonitor selects
PORT = 5000
DATA_DIR = "/var/lib/registry"
CONFIG_DIR = "/etc/zot"
AUTH_DIR = "/etc/zot-auth"
HTPASSWD_SECRET = "registry-htpasswd"  # noqa: S105 - a Secret object's name
DATA_CLAIM = "registry-data"
WAF_WAIVER = WafWaiver(
    "OCI registry: large image layer pushes (hundreds of MB of binary blobs) exceed the WAF body limits "
    "and trip CRS rules; access is controlled by htpasswd auth instead."
)


def zot_config(*, htpasswd: bool) -> dict[str, Any]:
    """The ``config.json`` (no secret inside: the htpasswd file is a separate Secret mount)."""
    http: dict[str, Any] = {"address": "0.0.0.0", "port": str(PORT)}  # noqa: S104 - pod IP; NetworkPolicies gate it
    if htpasswd:
        http["auth"] = {"htpasswd": {"path": f"{AUTH_DIR}/htpasswd"}, "failDelay": 1}
    return {
        "distSpecVersion": "1.1.1",
        "storage": {"rootDirectory": DATA_DIR, "dedupe": True, "gc": True},
        "http": http,
        "log": {"level": "info"},
        "extensions": {
            "metrics": {"enable": True, "prometheus": {"path": "/metrics"}},
            "search": {"enable": True},
            "ui": {"enable": True},
        },
    }


class Registry(Construct):
    """Zot in namespace ``namespace`` (see the module docstring)."""

    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str) -> None:
        super().__init__(scope, id_)
        settings = config.apps.registry

        config_map(
            self,
            "config",
            name="zot-config",
            namespace=namespace,
            data={"config.json": json.dumps(zot_config(htpasswd=settings.htpasswd), indent=2, sort_keys=True)},
        )
        block_pvc(self, "data", config=config, name=DATA_CLAIM, namespace=namespace, size=settings.storage, app=NAME)

        mounts = {"config": CONFIG_DIR, "data": DATA_DIR, "tmp": "/tmp"}
        volumes: list[Volume] = [ConfigMapVolume("config", "zot-config"), ClaimVolume("data", DATA_CLAIM), EmptyDir("tmp", "1Gi")]
        if settings.htpasswd:
            htpasswd = LayerStack.of(self).secret("registry_htpasswd")
            secret(self, "htpasswd", name=HTPASSWD_SECRET, namespace=namespace, data={"htpasswd": htpasswd})
            mounts["htpasswd"] = AUTH_DIR
            volumes.append(SecretVolume("htpasswd", HTPASSWD_SECRET, default_mode="0440"))

        container = Container(
            name=NAME,
            image=IMAGES["zot"],
            args=["serve", f"{CONFIG_DIR}/config.json"],
            memory_request=settings.memory_request,
            memory_limit=settings.memory_limit,
            cpu_request=settings.cpu_request,
            ports={"http": PORT},
            mounts=mounts,
            readiness=Probe(port=PORT, path="/readyz", initial_delay_seconds=5),
            liveness=Probe(port=PORT, path="/livez", initial_delay_seconds=15),
        )
        pod = Pod(containers=[container], volumes=volumes)
        deployment(self, "deployment", name=NAME, namespace=namespace, pod=pod, recreate=True)
        cluster_service(self, "service", name=NAME, namespace=namespace, app=NAME, ports={"http": PORT})

        annotations = {}
        if config.infra.ingress.class_name == "nginx":
            annotations = {
                "nginx.ingress.kubernetes.io/proxy-body-size": "0",  # no limit: layers are large
                "nginx.ingress.kubernetes.io/proxy-request-buffering": "off",
                "nginx.ingress.kubernetes.io/proxy-read-timeout": "600",
                "nginx.ingress.kubernetes.io/proxy-send-timeout": "600",
            }
        public_ingress(
            self,
            "ingress",
            config=config,
            name=NAMESPACE_NAME,
            namespace=namespace,
            routes=[Route(host=config.host("registry"), service=NAME, port=PORT)],
            waf_waiver=WAF_WAIVER,
            annotations=annotations,
        )

        allow_from_ingress(self, "netpol_from_ingress", namespace=namespace, app=NAME, ports=[PORT])
        allow_prometheus(self, "netpol_from_prometheus", namespace=namespace, app=NAME, ports=[PORT])

        backup_schedule(
            self, "backup", config=config, name=f"{NAMESPACE_NAME}-daily", namespaces=[NAMESPACE_NAME],
            schedule=settings.backup_schedule,
        )
