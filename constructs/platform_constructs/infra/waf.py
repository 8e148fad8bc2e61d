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
from platform_constructs.base.workload import Container, Pod, Probe, deployment
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
            # The image renders nginx/ModSecurity/CRS config from the env at start into /etc:
            # a read-only root filesystem would stop it. Everything else stays restricted.
            read_only_root_filesystem=False,
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
                run_as_user=NGINX_UID,
                run_as_group=NGINX_UID,
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
