"""Traefik: the ingress controller of prod (and of dev when ``ingress.controller = "traefik"``).

* IngressClass ``traefik`` (default class), Ingress + CRD providers;
* with TLS: HTTP→HTTPS redirect on the ``web`` entrypoint at priority 1 plus ``allowACMEByPass``,
  so cert-manager's HTTP-01 solver route still answers on port 80 (app Ingresses pin themselves
  to ``websecure`` through the ingress helper);
* ``replicas`` pods; two or more get a PodDisruptionBudget;
* JSON access log on stdout (every request through the front door and the WAF path);
* Prometheus metrics on the ``metrics`` entrypoint (:9100) with a dedicated metrics Service. No
  ServiceMonitor: its CRD arrives later with the metrics stack (the metrics layer scrapes it);
* the WAF plugin and its Middleware (``extraObjects``: the Middleware CRD comes with this chart,
  so it can never be planned before its CRD exists).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base import network
from platform_constructs.base.helm import chart_release, image_ref, resources
from platform_constructs.infra import waf

NAMESPACE, TRAEFIK_APP = network.INGRESS_CONTROLLERS["traefik"]
"""Release name = ``app.kubernetes.io/name`` of its pods (what NetworkPolicies and scrapers select)."""
WEB_PORT = 8000
WEBSECURE_PORT = 8443
METRICS_PORT = 9100
PUBLIC_PORTS = (WEB_PORT, WEBSECURE_PORT)
METRICS_SERVICE = "traefik-metrics"
"""The chart names the metrics Service ``<fullname>-metrics``."""


def traefik_values(config: PlatformConfig) -> dict[str, Any]:
    ingress = config.infra.ingress
    registry_repo, tag = image_ref("traefik")
    registry, repository = registry_repo.split("/", 1)
    # Traefik v3 closes a request after 60 s of reading by default: too short for image pushes and uploads.
    transport = {"respondingTimeouts": {"readTimeout": ingress.read_timeout}}
    values: dict[str, Any] = {
        "image": {"registry": registry, "repository": repository, "tag": tag},
        "deployment": {"replicas": ingress.replicas},
        "podDisruptionBudget": {"enabled": ingress.replicas >= 2, **({"maxUnavailable": 1} if ingress.replicas >= 2 else {})},
        "ingressClass": {"enabled": True, "isDefaultClass": True, "name": ingress.class_name},
        "providers": {
            "kubernetesCRD": {"enabled": True, "allowCrossNamespace": False},
            # publishedService: Ingress status carries the LB address, which external-dns publishes.
            "kubernetesIngress": {"enabled": True, "publishedService": {"enabled": True}},
        },
        "global": {"checkNewVersion": False, "sendAnonymousUsage": False},
        "ports": {
            "web": {"port": WEB_PORT, "transport": transport},
            "websecure": {"port": WEBSECURE_PORT, "http": {"tls": {"enabled": True}}, "transport": transport},
            "metrics": {"port": METRICS_PORT, "expose": {"default": False}},
        },
        "metrics": {
            "prometheus": {
                "entryPoint": "metrics",
                "service": {"enabled": True},
                "serviceMonitor": {"enabled": False},
            }
        },
        "service": {"spec": {"type": ingress.service_type}},
        "resources": resources(ingress.memory_request, ingress.memory_limit, cpu_request="100m"),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "log": {"level": "INFO"},
        # Chart 41.3.0 renders --accesslog only when accessLog.enabled (default false); to stdout, headers dropped.
        "accessLog": {"enabled": True, "format": "json"},
    }
    if ingress.tls:
        values["ports"]["web"].update(
            {
                "allowACMEByPass": True,
                "http": {
                    "redirections": {
                        "entryPoint": {"to": "websecure", "scheme": "https", "permanent": True, "priority": 1}
                    }
                },
            }
        )
    if config.is_prod:
        # A stable, recognisable name for the DigitalOcean load balancer the Service creates.
        values["service"]["annotations"] = {"service.beta.kubernetes.io/do-loadbalancer-name": f"{config.cluster_name}-traefik"}
    if config.infra.waf:
        # A plugin that fails to load must not take the routes that do not use it down with it:
        # WAF-protected routers then error (fail closed) while waived ones keep serving.
        values["experimental"] = {"abortOnPluginFailure": False, **waf.plugin_values()}
        values["extraObjects"] = [waf.middleware_object(config)]
    return values


class Traefik(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str,
        depends_on: list[ITerraformDependable] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        ns = namespace
        policies = [
            # Traefik's Kubernetes providers watch Ingresses, Services, EndpointSlices and its CRDs.
            network.allow_api_server(self, "netpol_api", namespace=ns, apps=TRAEFIK_APP, name="allow-traefik-to-api-server"),
            # Edge: the load balancer's connections to web/websecure (container ports, after the Service DNAT).
            network.allow_from_edge(self, "netpol_from_edge", namespace=ns, app=TRAEFIK_APP, ports=PUBLIC_PORTS,
                                    name="allow-edge-to-traefik"),
            # Hairpin: a platform pod calling one of our public hostnames is short-circuited to these pods
            # by the Service load balancing; the public ports admit nothing the internet does not already
            # reach, and each client's own egress policy decides who may do it (``allow_public_hostnames``).
            network.allow_from_layers(self, "netpol_hairpin", namespace=ns, app=TRAEFIK_APP,
                                      layers=["infra", "metrics", "apps"], ports=PUBLIC_PORTS,
                                      name="allow-platform-to-traefik"),
            # Upstreams: app and metrics (Grafana) namespaces; each app admits only its own pods and port.
            network.allow_to_layers(self, "netpol_to_apps", namespace=ns, app=TRAEFIK_APP, layers=["apps", "metrics"],
                                    name="allow-traefik-to-apps"),
            network.allow_prometheus(self, "netpol_prometheus", namespace=ns, app=TRAEFIK_APP, ports=[METRICS_PORT]),
        ]
        if config.infra.waf:
            policies += [
                network.allow_to_service(self, "netpol_to_waf", namespace=ns, app=TRAEFIK_APP, target_namespace=ns,
                                         target_app=waf.WAF_APP, ports=[waf.WAF_PORT], name="allow-traefik-to-waf"),
                # Remote plugin: downloaded from plugins.traefik.io / GitHub at every pod start.
                network.allow_internet(self, "netpol_plugin_download", namespace=ns, app=TRAEFIK_APP, ports=[443]),
            ]
        # The release waits for ready pods: their policies exist first.
        self.release: Release = chart_release(
            self, "release", chart="traefik", name=TRAEFIK_APP, namespace=namespace,
            values=traefik_values(config), depends_on=[*(depends_on or ()), *network.built(policies)],
        )


def allow_public_hostnames(scope: Construct, id_: str, *, config: PlatformConfig, namespace: str, app: str,
                           ports: Sequence[int]) -> None:
    """Egress from ``app`` to the platform's own public hostnames (``ports``: 80 and/or 443).

    The name resolves to the load balancer's public address. Traffic to a LoadBalancer address is
    load-balanced inside the cluster straight to a Traefik pod (policies see the pod and its
    container port, after the Service DNAT), or, where it leaves, reaches the LB as internet
    traffic: both are opened. No-op when Traefik is not the env's ingress controller.
    """
    if config.infra.ingress.controller != "traefik":
        return
    key = id_.replace("-", "_")
    container_ports = [{80: WEB_PORT, 443: WEBSECURE_PORT}[p] for p in ports]
    network.allow_to_service(scope, f"{key}_traefik", namespace=namespace, app=app, target_namespace=NAMESPACE,
                             target_app=TRAEFIK_APP, ports=container_ports, name=f"allow-{app}-to-own-hostnames")
    network.allow_internet(scope, f"{key}_lb", namespace=namespace, app=app, ports=ports,
                           name=f"allow-{app}-to-own-hostnames-lb")
