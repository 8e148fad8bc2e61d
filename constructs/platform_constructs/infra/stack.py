"""``<env>-infra``: the infra layer's stack, owner of namespace ``infra``.

What runs here depends on config only (``config.infra``):

=====================  ==========================================  =====================
component              switch                                      prod / dev (default)
=====================  ==========================================  =====================
Traefik (+ its PDB)    ``ingress.controller == "traefik"``         on / off (minikube addon)
WAF (ModSecurity/CRS)  ``waf``                                     on / off
cert-manager+issuers   ``cert_manager``                            on / off
external-dns           ``external_dns``                            on / off
MinIO                  ``backups.target == "minio"``               off / on
Velero                 always (daily backups)                      Spaces / MinIO
=====================  ==========================================  =====================

Every CRD this stack's Helm releases install (traefik.io, cert-manager.io, acme.cert-manager.io,
velero.io) is only ever used by CRs shipped inside a release (extraObjects, the issuers chart,
Velero's schedules values) or by later stacks, so a fresh cluster converges in one apply.
"""

from __future__ import annotations

from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.kubernetes import KubernetesStack
from platform_constructs.infra.cert_manager import CertManager
from platform_constructs.infra.external_dns import ExternalDns
from platform_constructs.infra.minio import Minio
from platform_constructs.infra.traefik import TRAEFIK_APP, Traefik
from platform_constructs.infra.velero import Velero
from platform_constructs.infra.waf import ModSecurityWaf

NAMESPACE = "infra"


class InfraStack(KubernetesStack):
    layer = "infra"

    def __init__(self, scope: Construct, *, config: PlatformConfig) -> None:
        super().__init__(scope, config=config)
        self.namespace_name = self.namespace(NAMESPACE)
        infra = config.infra
        namespace = self.namespace_name

        self.waf = ModSecurityWaf(self, "waf", config=config, namespace=namespace, traefik_app=TRAEFIK_APP) if infra.waf else None
        self.traefik = None
        if infra.ingress.controller == "traefik":
            # The WAF answers before Traefik routes anything through it.
            waf_ready = [self.waf.deployment, self.waf.service] if self.waf else []
            self.traefik = Traefik(self, "traefik", config=config, namespace=namespace, depends_on=waf_ready)
        self.cert_manager = (
            CertManager(self, "cert_manager", config=config, namespace=namespace)
            if infra.cert_manager
            else None
        )
        self.external_dns = (
            ExternalDns(
                self, "external_dns", config=config, namespace=namespace,
                depends_on=[self.traefik.release] if self.traefik else None,
            )
            if infra.external_dns
            else None
        )
        self.minio = Minio(self, "minio", config=config, namespace=namespace) if infra.backups.target == "minio" else None
        self.velero = Velero(
            self, "velero", config=config, namespace=namespace,
            depends_on=[self.minio.service] if self.minio else None,
        )
