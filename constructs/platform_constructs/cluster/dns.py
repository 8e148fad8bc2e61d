"""The DigitalOcean DNS zone of ``root_domain`` (external-dns writes the records) and its CAA."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_digitalocean.domain import Domain
from cdktf_cdktf_provider_digitalocean.record import Record
from constructs import Construct

from envs import PlatformConfig

# Only Let's Encrypt (cert-manager's ClusterIssuer) may issue certificates for the domain.
CAA_ISSUER = "letsencrypt.org"


class DnsZone(Construct):
    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig) -> None:
        super().__init__(scope, id_)
        # No ip_address: the apex A record belongs to external-dns (it follows the load balancer).
        self.domain = Domain(
            self, "domain", name=config.root_domain, lifecycle=TerraformResourceLifecycle(prevent_destroy=True)
        )
        self.domain.override_logical_id("domain")
        self.caa = Record(
            self,
            "caa-letsencrypt",
            domain=self.domain.id,
            type="CAA",
            name="@",
            flags=0,
            tag="issue",
            value=f"{CAA_ISSUER}.",  # DigitalOcean's API wants the issuer as an FQDN (trailing dot)
            ttl=3600,
        )
        self.caa.override_logical_id("caa_letsencrypt")
