"""The ingress helper: every public route of every app is built here, so class, TLS, host and
WAF are decided once.

* class: ``config.infra.ingress.class_name`` (prod ``traefik``, dev ``nginx`` or ``traefik``);
* TLS (prod): cert-manager certificate from the ``letsencrypt-prod`` ClusterIssuer;
* host: always a ``config.host(...)`` FQDN, derived from ``root_domain``;
* WAF (when ``config.infra.waf``): the ModSecurity/CRS Traefik middleware sits on every route,
  unless the caller passes a ``WafWaiver`` with a reason, which is written on the Ingress as
  the annotation ``platform/waf-waiver`` so reviews and tests see it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_kubernetes.ingress_v1 import IngressV1, IngressV1Metadata, IngressV1Spec
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.labels import workload_labels
from platform_constructs.base.network import allow_from_ingress
from platform_constructs.base.structs import build

CLUSTER_ISSUER = "letsencrypt-prod"
WAF_NAMESPACE = "infra"
WAF_MIDDLEWARE_NAME = "waf-modsecurity"
WAF_MIDDLEWARE_REF = f"{WAF_NAMESPACE}-{WAF_MIDDLEWARE_NAME}@kubernetescrd"
"""How a Traefik router names a Middleware CR: ``<namespace>-<name>@kubernetescrd``."""
WAF_WAIVER_ANNOTATION = "platform/waf-waiver"
ACME_SOLVER_APP = "acme-http01-solver"
"""``app.kubernetes.io/name`` the ClusterIssuers give cert-manager's HTTP-01 solver pods."""
ACME_SOLVER_PORT = 8089

TRAEFIK_MIDDLEWARES = "traefik.ingress.kubernetes.io/router.middlewares"


@dataclass(frozen=True)
class Route:
    host: str
    service: str
    port: int
    path: str = "/"


@dataclass(frozen=True)
class WafWaiver:
    """Exempts an Ingress from the WAF; ``reason`` must say why (kept on the object)."""

    reason: str

    def __post_init__(self) -> None:
        if len(self.reason.strip()) < 10:
            raise ValueError("a WAF waiver needs a real reason (at least a sentence)")


def public_ingress(
    scope: Construct,
    id_: str,
    *,
    config: PlatformConfig,
    name: str,
    namespace: str,
    routes: Sequence[Route],
    waf_waiver: WafWaiver | None = None,
    middlewares: Sequence[str] = (),
    annotations: Mapping[str, str] | None = None,
) -> IngressV1:
    """An Ingress for ``routes`` with the environment's class, TLS and WAF policy."""
    ingress_cfg = config.infra.ingress
    notes: dict[str, str] = dict(annotations or {})
    traefik = ingress_cfg.class_name == "traefik"
    chain = list(middlewares)
    if config.infra.waf:
        if waf_waiver is None:
            chain.insert(0, WAF_MIDDLEWARE_REF)
        else:
            notes[WAF_WAIVER_ANNOTATION] = waf_waiver.reason
    if traefik:
        notes["traefik.ingress.kubernetes.io/router.entrypoints"] = "websecure" if ingress_cfg.tls else "web"
        if ingress_cfg.tls:
            notes["traefik.ingress.kubernetes.io/router.tls"] = "true"
        if chain:
            notes[TRAEFIK_MIDDLEWARES] = ",".join(chain)
    elif chain:
        raise ValueError(f"{name}: Traefik middlewares requested but the ingress class is {ingress_cfg.class_name!r}")
    hosts = sorted({r.host for r in routes})
    spec: dict[str, Any] = {
        "ingress_class_name": ingress_cfg.class_name,
        "rule": [
            {
                "host": host,
                "http": {
                    "path": [
                        {
                            "path": r.path,
                            "path_type": "Prefix",
                            "backend": {"service": {"name": r.service, "port": {"number": r.port}}},
                        }
                        for r in routes
                        if r.host == host
                    ]
                },
            }
            for host in hosts
        ],
    }
    if ingress_cfg.tls:
        notes["cert-manager.io/cluster-issuer"] = CLUSTER_ISSUER
        spec["tls"] = [{"hosts": hosts, "secret_name": f"{name}-tls"}]
        # cert-manager starts its HTTP-01 solver pod in this (default-deny) namespace: let the
        # ingress controller reach it, or no certificate is ever issued.
        allow_from_ingress(
            scope, f"{id_}_acme_solver", namespace=namespace, app=ACME_SOLVER_APP, ports=[ACME_SOLVER_PORT],
            name=f"allow-acme-solver-{name}",
        )
    metadata = {"name": name, "namespace": namespace, "labels": workload_labels(name), "annotations": notes}
    return IngressV1(scope, id_, metadata=build(IngressV1Metadata, metadata), spec=build(IngressV1Spec, spec))
