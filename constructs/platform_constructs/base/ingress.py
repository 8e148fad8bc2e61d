"""The ingress helper: every public route of every app is built here, so class, TLS, host and
WAF are decided once.

* class: ``config.infra.ingress.class_name`` (prod ``traefik``, dev ``nginx`` or ``traefik``);
* TLS (prod): cert-manager certificate from the ``letsencrypt-prod`` ClusterIssuer;
* host: always a ``config.host(...)`` FQDN, derived from ``root_domain``;
* WAF (when ``config.infra.waf``): the ModSecurity/CRS Traefik middleware sits on every route,
  unless the caller passes a ``WafWaiver`` with a reason, which is written on the Ingress as
  the annotation ``platform/waf-waiver`` so reviews and tests see it;
* body size: an app that takes uploads passes its ``BodyLimit`` (the limits it is configured
  with). Behind the WAF they must fit the WAF's (``infra.modsecurity``), or synthesis stops with
  the fields to change: an upload the app accepts never dies with a 413 at the WAF. The limits are
  written on the Ingress (``platform/body-limit-bytes``, checked again by the ``waf-body-limit``
  rule) and, on the nginx class, become ``proxy-body-size`` (nginx's own default is 1 MiB).
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
BODY_LIMIT_ANNOTATION = "platform/body-limit-bytes"
PAYLOAD_LIMIT_ANNOTATION = "platform/payload-limit-bytes"
NGINX_BODY_SIZE = "nginx.ingress.kubernetes.io/proxy-body-size"
MiB = 1024 * 1024


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


@dataclass(frozen=True)
class BodyLimit:
    """The largest request bodies the app behind an Ingress is configured to accept.

    ``upload_bytes``: any body, uploads included (ModSecurity's body limit, the plugin's maxBodySize);
    ``payload_bytes``: bodies without files (JSON, forms: ModSecurity's no-files limit), when the app
    bounds them separately. ``*_field`` names the config field that sets each, for the error.
    """

    upload_bytes: int
    upload_field: str
    payload_bytes: int | None = None
    payload_field: str | None = None


def check_body_limit(config: PlatformConfig, name: str, limit: BodyLimit) -> None:
    """Refuse an app limit the WAF would cut with a 413 (only meaningful when the WAF filters the route)."""
    waf = config.infra.modsecurity
    problems = []
    if limit.upload_bytes > waf.body_limit_bytes:
        problems.append(
            f"{limit.upload_field} lets the app accept bodies of {limit.upload_bytes / MiB:g} MiB but the WAF rejects "
            f"above {waf.body_limit_bytes / MiB:g} MiB (infra.modsecurity.body_limit_bytes)"
        )
    if limit.payload_bytes is not None and limit.payload_bytes > waf.body_limit_no_files_bytes:
        problems.append(
            f"{limit.payload_field} lets the app accept non-file bodies of {limit.payload_bytes / MiB:g} MiB but the WAF "
            f"rejects above {waf.body_limit_no_files_bytes / MiB:g} MiB (infra.modsecurity.body_limit_no_files_bytes)"
        )
    if problems:
        raise ValueError(
            f"Ingress {name!r}: " + "; ".join(problems) + ". Raise the WAF limit, lower the app's, or exempt the "
            "Ingress with a WafWaiver."
        )


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
    body_limit: BodyLimit | None = None,
) -> IngressV1:
    """An Ingress for ``routes`` with the environment's class, TLS, WAF and body-size policy."""
    ingress_cfg = config.infra.ingress
    notes: dict[str, str] = dict(annotations or {})
    traefik = ingress_cfg.class_name == "traefik"
    chain = list(middlewares)
    if config.infra.waf:
        if waf_waiver is None:
            chain.insert(0, WAF_MIDDLEWARE_REF)
            if body_limit is not None:
                check_body_limit(config, name, body_limit)
        else:
            notes[WAF_WAIVER_ANNOTATION] = waf_waiver.reason
    if body_limit is not None:
        notes[BODY_LIMIT_ANNOTATION] = str(body_limit.upload_bytes)
        if body_limit.payload_bytes is not None:
            notes[PAYLOAD_LIMIT_ANNOTATION] = str(body_limit.payload_bytes)
        if not traefik:
            notes.setdefault(NGINX_BODY_SIZE, f"{-(-body_limit.upload_bytes // MiB)}m")
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
