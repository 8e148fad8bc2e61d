"""external-dns (prod): DigitalOcean DNS records for the Ingresses under ``root_domain`` only.

external-dns 0.21 removed its in-tree DigitalOcean provider, so this runs chart 1.21.1 (current
external-dns) with the DigitalOcean **webhook provider** as a sidecar
(``amoniacou/external-dns-digitalocean-webhook``, listed by the external-dns README). The
alternative -- chart 1.20.0, the last with the built-in provider -- freezes external-dns at a
release that gets no more fixes.

The DO token reaches the sidecar only through the Secret ``external-dns-digitalocean`` (from the
sensitive variable ``external_dns_do_token``); it never appears in Helm values.
"""

from __future__ import annotations

from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base import network
from platform_constructs.base.helm import RESTRICTED_CONTAINER, chart_release, image_values, resources
from platform_constructs.base.labels import workload_labels
from platform_constructs.base.stack import LayerStack

EXTERNAL_DNS_APP = "external-dns"
TOKEN_SECRET = "external-dns-digitalocean"  # noqa: S105 - a Secret object name, not a secret
TOKEN_KEY = "token"  # noqa: S105 - key name
WEBHOOK_PORT = 8888
"""The webhook serves its API, /healthz and /metrics on one port, the one external-dns calls."""
METRICS_PORT = 7979


def txt_owner_id(config: PlatformConfig) -> str:
    """Stable (never random) and unique per cluster, so a lost state never orphans records."""
    return config.infra.dns.txt_owner_id or f"{config.cluster_name}-{config.env}"


def external_dns_values(config: PlatformConfig) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/healthz", "port": WEBHOOK_PORT}}
    return {
        "image": image_values("external-dns"),
        "provider": {
            "name": "webhook",
            "webhook": {
                "image": image_values("external-dns-do-webhook"),
                "env": [
                    {"name": "DO_TOKEN", "valueFrom": {"secretKeyRef": {"name": TOKEN_SECRET, "key": TOKEN_KEY}}},
                    # Belt and braces with domainFilters: the provider itself only sees this zone.
                    {"name": "DO_DOMAIN_FILTER", "value": config.root_domain},
                ],
                # The chart probes its named port (8080) by default; the webhook answers on 8888.
                "livenessProbe": probe,
                "readinessProbe": probe,
                "resources": resources("32Mi", "128Mi"),
                "securityContext": RESTRICTED_CONTAINER,
            },
        },
        "sources": ["ingress", "service"],
        "domainFilters": [config.root_domain],
        "policy": config.infra.dns.policy,
        "registry": "txt",
        "txtOwnerId": txt_owner_id(config),
        # %{record_type} is external-dns' own placeholder; %% keeps OpenTofu from reading it as a template.
        "txtPrefix": "_extdns-%%{record_type}.",
        "interval": "1m",
        "resources": resources("48Mi", "128Mi"),
        "securityContext": {**RESTRICTED_CONTAINER, "privileged": False, "runAsUser": 65532, "runAsGroup": 65532},
        "podSecurityContext": {"runAsNonRoot": True, "fsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
        "serviceMonitor": {"enabled": False},
    }


class ExternalDns(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str,
        depends_on: list[ITerraformDependable] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        token = LayerStack.of(self).secret("external_dns_do_token")
        self.secret = SecretV1(
            self,
            "token",
            metadata={"name": TOKEN_SECRET, "namespace": namespace, "labels": workload_labels(EXTERNAL_DNS_APP)},
            data={TOKEN_KEY: token},
        )
        policies = [
            network.allow_api_server(self, "netpol_api", namespace=namespace, apps=EXTERNAL_DNS_APP,
                                     name="allow-external-dns-to-api-server"),
            network.allow_internet(self, "netpol_do_api", namespace=namespace, app=EXTERNAL_DNS_APP, ports=[443]),
            network.allow_prometheus(self, "netpol_prometheus", namespace=namespace, app=EXTERNAL_DNS_APP,
                                     ports=[METRICS_PORT, WEBHOOK_PORT]),
        ]
        self.release = chart_release(
            self, "release", chart="external-dns", namespace=namespace, values=external_dns_values(config),
            depends_on=[self.secret, *(depends_on or []), *network.built(policies)],
        )
