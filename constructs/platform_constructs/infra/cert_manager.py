"""cert-manager (prod) and the Let's Encrypt ClusterIssuers ``letsencrypt-staging`` / ``letsencrypt-prod``.

* CRDs come from the chart (``crds.enabled``; templated, so ``helm upgrade`` upgrades them;
  ``crds.keep`` so an uninstall never cascades to every Certificate).
* The ClusterIssuers are CRs of cert-manager: they cannot be ``kubernetes_manifest`` in this stack
  (the CRD does not exist at plan time on a fresh cluster), and the chart's own ``extraObjects``
  would race its webhook. They ship as a second Helm release of a tiny chart that lives in this
  repo (``charts/letsencrypt-issuers``), installed after cert-manager is ready (``wait`` +
  the chart's startupapicheck). Nothing re-applies on a second plan: no triggers, no kubectl.
* HTTP-01 through the ingress class; the solver route sits on the ``web`` entrypoint, which
  Traefik lets through next to its HTTPS redirect (``allowACMEByPass``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cdktf import AssetType, ITerraformDependable, TerraformAsset
from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base import network
from platform_constructs.base.helm import RESTRICTED_CONTAINER, RESTRICTED_POD, chart_release, image_values, resources
from platform_constructs.base.ingress import ACME_SOLVER_APP, CLUSTER_ISSUER
from platform_constructs.infra.traefik import allow_public_hostnames

ISSUERS_CHART_DIR = Path(__file__).resolve().parent / "charts" / "letsencrypt-issuers"
ISSUERS_CHART_VERSION = "0.1.0"
"""Must equal ``version`` in the chart's Chart.yaml (a test checks it)."""
ISSUERS_RELEASE = "letsencrypt-issuers"
ISSUERS_LOGICAL_ID = "letsencrypt_issuers"
STAGING_ISSUER = "letsencrypt-staging"
ACME_SERVERS = {
    STAGING_ISSUER: "https://acme-staging-v02.api.letsencrypt.org/directory",
    CLUSTER_ISSUER: "https://acme-v02.api.letsencrypt.org/directory",
}
CONTROLLER_APP = "cert-manager"
WEBHOOK_APP = "webhook"
CAINJECTOR_APP = "cainjector"
STARTUPAPICHECK_APP = "startupapicheck"
CERT_MANAGER_APPS = (CONTROLLER_APP, WEBHOOK_APP, CAINJECTOR_APP, STARTUPAPICHECK_APP)
"""``app.kubernetes.io/name`` of the chart's pods (release ``cert-manager``)."""
METRICS_PORT = 9402
WEBHOOK_PORT = 10250


def cert_manager_values(config: PlatformConfig, namespace: str) -> dict[str, Any]:
    def component(image: str, memory_request: str, memory_limit: str) -> dict[str, Any]:
        return {
            "image": image_values(image),
            "resources": resources(memory_request, memory_limit),
            "securityContext": RESTRICTED_POD,
            "containerSecurityContext": RESTRICTED_CONTAINER,
        }

    return {
        "crds": {"enabled": True, "keep": True},
        # Leader-election leases in our namespace: no RBAC in kube-system.
        "global": {"leaderElection": {"namespace": namespace}},
        "replicaCount": 1,
        **component("cert-manager-controller", "64Mi", "256Mi"),
        "webhook": component("cert-manager-webhook", "32Mi", "128Mi"),
        "cainjector": component("cert-manager-cainjector", "64Mi", "256Mi"),
        "startupapicheck": component("cert-manager-startupapicheck", "32Mi", "64Mi"),
        "acmesolver": {"image": image_values("cert-manager-acmesolver")},
        # Metrics on :9402; the ServiceMonitor CRD only exists after the metrics stack.
        "prometheus": {"enabled": True, "servicemonitor": {"enabled": False}},
        "enableServiceLinks": False,
    }


def issuers_values(config: PlatformConfig) -> dict[str, Any]:
    return {
        "email": config.acme_email,
        "ingressClassName": config.infra.ingress.class_name,
        "solverEntrypoint": "web",
        "solverPodName": ACME_SOLVER_APP,
        "issuers": [{"name": name, "server": server} for name, server in sorted(ACME_SERVERS.items())],
    }


class CertManager(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str,
        depends_on: list[ITerraformDependable] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        ns = namespace
        policies = [
            network.allow_api_server(self, "netpol_api", namespace=ns, apps=CERT_MANAGER_APPS,
                                     name="allow-cert-manager-to-api-server"),
            # ACME API (443).
            network.allow_internet(self, "netpol_acme", namespace=ns, app=CONTROLLER_APP, ports=[443],
                                   name="allow-internet-cert-manager"),
            # The API server calls the admission webhook (failurePolicy Fail: no Issuer/Certificate without it).
            network.allow_from_api_server(self, "netpol_webhook", namespace=ns, app=WEBHOOK_APP, ports=[WEBHOOK_PORT],
                                          name="allow-api-server-to-cert-manager-webhook"),
            network.allow_prometheus(self, "netpol_prometheus", namespace=ns, app=CONTROLLER_APP, ports=[METRICS_PORT]),
        ]
        # The HTTP-01 self-check GETs http://<host>/.well-known/acme-challenge/… through the load balancer.
        allow_public_hostnames(self, "netpol_selfcheck", config=config, namespace=ns, app=CONTROLLER_APP, ports=[80])
        # Policies first: startupapicheck (a post-install hook the release waits for) calls the API.
        self.release = chart_release(
            self, "release", chart="cert-manager", namespace=namespace, values=cert_manager_values(config, namespace),
            depends_on=[*(depends_on or ()), *network.built(policies)],
        )
        chart = TerraformAsset(self, "issuers_chart", path=str(ISSUERS_CHART_DIR), type=AssetType.DIRECTORY)
        self.issuers = Release(
            self,
            "issuers",
            name=ISSUERS_RELEASE,
            chart=chart.path,
            version=ISSUERS_CHART_VERSION,
            namespace=namespace,
            values=[json.dumps(issuers_values(config), sort_keys=True)],
            wait=True,
            timeout=300,
            max_history=5,
            depends_on=[self.release],
        )
        # A readable, stable address: the waiver in waivers.py names it.
        self.issuers.override_logical_id(ISSUERS_LOGICAL_ID)
