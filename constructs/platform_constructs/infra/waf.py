"""Global WAF (prod): ModSecurity v3 + OWASP CRS behind a Traefik plugin.

How a request flows: the Traefik middleware ``infra-waf-modsecurity@kubernetescrd`` (put on every
Ingress by ``base/ingress.py``) replays the request -- method, URI, headers, body up to
``body_limit_bytes`` -- against the ``waf-modsecurity`` Service. The CRS container (nginx) scores
it; above the anomaly threshold it answers 403 and the plugin returns that to the client.
Otherwise nginx proxies the request to its ``BACKEND`` -- a tiny ``whoami`` sidecar in the same pod
that answers 200 on every path and method -- and the plugin lets the request through to the app.
The replaced system's CRS container pointed at a backend answering 404/405 (and at the wrong
port), so every request was blocked; here the backend is in the pod, on localhost, and probed.

Choices (README "WAF"):
* fail-closed: the plugin answers 502 when the WAF does not answer (it has no fail-open mode). We
  accept that for security and make an outage unlikely instead: ``replicas`` pods (default 2), a
  PodDisruptionBudget, readiness/liveness probes on both containers.
* plugin source: the remote plugin, pinned by version, downloaded by Traefik at pod start (its
  pods get HTTPS egress for it). ``localPlugins`` would mean vendoring the plugin's Go source in
  this repo; we do not copy upstream code. To remove the start-up download later, bake the plugin
  into a Traefik image pushed to our own registry (Zot) and switch to ``localPlugins``.
"""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_kubernetes.pod_disruption_budget_v1 import PodDisruptionBudgetV1
from cdktf_cdktf_provider_kubernetes.service_v1 import ServiceV1, ServiceV1Spec
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base import network
from platform_constructs.base.ingress import WAF_MIDDLEWARE_NAME, WAF_NAMESPACE
from platform_constructs.base.labels import NAME_LABEL, workload_labels
from platform_constructs.base.structs import build
from platform_constructs.base.workload import Container, EmptyDir, Pod, Probe, deployment
from platform_constructs.versions import IMAGES

WAF_APP = "waf-modsecurity"
WAF_PORT = 8080
BACKEND_PORT = 8081
WAF_URL = f"http://{WAF_APP}.{WAF_NAMESPACE}.svc.cluster.local:{WAF_PORT}"

PLUGIN_KEY = "modsecurity"
"""Key under Traefik's ``experimental.plugins``; the Middleware's ``spec.plugin`` uses the same key."""
PLUGIN_MODULE = "github.com/acouvreur/traefik-modsecurity-plugin"
PLUGIN_VERSION = "v1.3.0"
"""acouvreur v1.3.0 (Apache-2.0): bounded body buffer (``maxBodySize``), 502 when the WAF is down."""

NGINX_UID = "101"
"""The CRS nginx image runs as the unprivileged ``nginx`` user (uid/gid 101); a string: the provider types ids as strings."""

# The directories the CRS image writes at start (image_facts "modsecurity-crs"): its entrypoint renders
# nginx/ModSecurity/CRS configuration into them from the environment. Upstream's read-only variant
# (READ_ONLY_FS in nginx/Dockerfile: move them aside at build, copy them into tmpfs at start) is not
# published at our release (docker-bake.hcl: the "read-only" entry is commented out), so an init
# container does that copy into emptyDirs and the CRS container keeps a read-only root.
CONFIG_DIRS = {"nginx-etc": "/etc/nginx", "modsecurity-etc": "/etc/modsecurity.d", "crs": "/opt/owasp-crs"}
BOOTSTRAP = "/bootstrap"
MODSECURITY_TMP_DIRS = ("data", "upload", "tmp")
"""MODSEC_DATA_DIR / MODSEC_UPLOAD_DIR / MODSEC_TMP_DIR of the image, all under /tmp/modsecurity."""


def bootstrap_script() -> str:
    """Copy the image's configuration trees into the emptyDirs (``cp -R`` keeps the owasp-crs symlink)."""
    lines = ["set -eu"]
    lines += [f"cp -R {path}/. {BOOTSTRAP}/{volume}/" for volume, path in CONFIG_DIRS.items()]
    lines.append("mkdir -p " + " ".join(f"{BOOTSTRAP}/tmp/modsecurity/{d}" for d in MODSECURITY_TMP_DIRS))
    return "\n".join(lines) + "\n"


def spool_size(config: PlatformConfig) -> str:
    """emptyDir size for request bodies nginx and ModSecurity spool to disk: four at the body limit, >= 256Mi."""
    return f"{max(256, 4 * -(-config.infra.modsecurity.body_limit_bytes // 2**20))}Mi"


def plugin_values() -> dict[str, Any]:
    """Traefik chart ``experimental`` values that load the pinned plugin."""
    return {"plugins": {PLUGIN_KEY: {"moduleName": PLUGIN_MODULE, "version": PLUGIN_VERSION}}}


def middleware_object(config: PlatformConfig) -> dict[str, Any]:
    """The Middleware CR, shipped in the Traefik release's ``extraObjects`` (its CRD comes with that chart)."""
    waf = config.infra.modsecurity
    return {
        "apiVersion": "traefik.io/v1alpha1",
        "kind": "Middleware",
        "metadata": {"name": WAF_MIDDLEWARE_NAME, "namespace": WAF_NAMESPACE, "labels": workload_labels(WAF_APP, "waf")},
        "spec": {
            "plugin": {
                PLUGIN_KEY: {
                    "modSecurityUrl": WAF_URL,
                    "timeoutMillis": waf.timeout_ms,
                    "maxBodySize": waf.body_limit_bytes,
                }
            }
        },
    }


def crs_env(config: PlatformConfig) -> dict[str, str]:
    """Environment of the CRS nginx container (the image's documented variables)."""
    waf = config.infra.modsecurity
    return {
        "BACKEND": f"http://127.0.0.1:{BACKEND_PORT}",
        "PORT": str(WAF_PORT),
        "MODSEC_RULE_ENGINE": waf.rule_engine,
        "BLOCKING_PARANOIA": str(waf.paranoia_level),
        "DETECTION_PARANOIA": str(waf.paranoia_level),
        "ANOMALY_INBOUND": str(waf.anomaly_inbound),
        "ANOMALY_OUTBOUND": str(waf.anomaly_outbound),
        # Same limit as the plugin's maxBodySize: one number decides what is too big.
        "MODSEC_REQ_BODY_LIMIT": str(waf.body_limit_bytes),
        "MODSEC_REQ_BODY_NOFILES_LIMIT": str(waf.body_limit_no_files_bytes),
        "MODSEC_REQ_BODY_LIMIT_ACTION": "Reject",
        # Only requests are inspected: the response comes from the dummy backend.
        "MODSEC_RESP_BODY_ACCESS": "Off",
        "MODSEC_AUDIT_LOG_FORMAT": "JSON",
        "MODSEC_AUDIT_LOG": "/dev/stdout",
        "REAL_IP_HEADER": "X-Forwarded-For",
        "SET_REAL_IP_FROM": "10.0.0.0/8",
    }


class ModSecurityWaf(Construct):
    """The CRS Deployment (+ its always-200 backend), Service, PodDisruptionBudget and NetworkPolicies."""

    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str, traefik_app: str) -> None:
        super().__init__(scope, id_)
        waf = config.infra.modsecurity
        crs = Container(
            name="modsecurity-crs",
            image=IMAGES["modsecurity-crs"],
            memory_request=waf.memory_request,
            memory_limit=waf.memory_limit,
            cpu_request="50m",
            ports={"http": WAF_PORT},
            env=crs_env(config),
            readiness=Probe(port=WAF_PORT, path="/healthz", initial_delay_seconds=5),
            liveness=Probe(port=WAF_PORT, path="/healthz", initial_delay_seconds=15),
            # Read-only root: the rendered configuration goes to the copied trees, pid file and ModSecurity
            # temp dirs to /tmp, nginx's client-body/proxy temp files to /var/cache/nginx.
            mounts={**{volume: path for volume, path in CONFIG_DIRS.items()}, "tmp": "/tmp", "nginx-cache": "/var/cache/nginx"},
        )
        bootstrap = Container(
            name="bootstrap",
            image=IMAGES["modsecurity-crs"],
            memory_request="16Mi",
            memory_limit="64Mi",
            cpu_request="10m",
            command=["sh", "-c", bootstrap_script()],
            mounts={**{volume: f"{BOOTSTRAP}/{volume}" for volume in CONFIG_DIRS}, "tmp": f"{BOOTSTRAP}/tmp"},
        )
        backend = Container(
            name="backend",
            image=IMAGES["waf-backend"],
            memory_request="16Mi",
            memory_limit="64Mi",
            cpu_request="10m",
            args=["--port", str(BACKEND_PORT)],
            ports={"backend": BACKEND_PORT},
            readiness=Probe(port=BACKEND_PORT, path="/health", initial_delay_seconds=2),
            liveness=Probe(port=BACKEND_PORT, path="/health", initial_delay_seconds=5),
        )
        self.deployment = deployment(
            self,
            "deployment",
            name=WAF_APP,
            namespace=namespace,
            component="waf",
            replicas=waf.replicas,
            pod=Pod(
                containers=[crs, backend],
                init_containers=[bootstrap],
                run_as_user=NGINX_UID,
                run_as_group=NGINX_UID,
                volumes=[
                    *(EmptyDir(volume, "64Mi") for volume in CONFIG_DIRS),
                    EmptyDir("tmp", spool_size(config)),
                    EmptyDir("nginx-cache", spool_size(config)),
                ],
            ),
        )
        selector = {NAME_LABEL: WAF_APP}
        self.service = ServiceV1(
            self,
            "service",
            metadata={"name": WAF_APP, "namespace": namespace, "labels": workload_labels(WAF_APP, "waf")},
            spec=build(ServiceV1Spec, {
                "selector": selector,
                "port": [{"name": "http", "port": WAF_PORT, "target_port": "http", "protocol": "TCP"}],
            }),
        )
        if waf.replicas >= 2:
            PodDisruptionBudgetV1(
                self,
                "pdb",
                metadata={"name": WAF_APP, "namespace": namespace, "labels": workload_labels(WAF_APP, "waf")},
                spec={"max_unavailable": "1", "selector": {"match_labels": selector}},
            )
        # Only Traefik talks to the WAF; the WAF itself needs no egress (its backend is localhost).
        network.allow_from_apps(
            self,
            "netpol_from_traefik",
            namespace=namespace,
            app=WAF_APP,
            source_namespace=WAF_NAMESPACE,
            source_apps=[traefik_app],
            ports=[WAF_PORT],
            name=f"allow-{traefik_app}-to-{WAF_APP}",
        )
