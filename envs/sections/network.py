"""Config of the network model: which CNI enforces the policies, and the peers that are not pods.

Pod-to-pod flows are plain Kubernetes NetworkPolicies on every CNI. What differs per CNI is how a
policy names a peer that is not a pod (the API server, the nodes, the load balancer):

* ``cilium`` (DOKS; minikube ``--cni=cilium``): CiliumNetworkPolicy entities (``kube-apiserver``,
  ``host``, ``remote-node``, ``world``). Cilium's CIDR rules never match those peers, so no address
  is configured here;
* ``calico`` (or any CNI whose ``ipBlock`` matches node and API-server addresses): ipBlocks of
  ``api_server_cidrs`` / ``node_cidrs``;
* ``none``: the cluster does not enforce NetworkPolicies (docker-desktop, kindnet, flannel). The
  same policies are applied (they are inert) and nothing needs a Cilium CRD.

Decision record: docs/decisions/0011-network-policies-per-cni.md.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from envs.types import Section

Cni = Literal["cilium", "calico", "none"]
PORT_DESCRIPTION = (
    "API server port as policies see it, after the kubernetes Service DNAT: DOKS 443, minikube 8443, "
    "docker-desktop/kind 6443"
)


def check_ports(ports: tuple[int, ...], what: str) -> tuple[int, ...]:
    """TCP ports: 1-65535, no duplicates (shared by every port-list field)."""
    bad = [p for p in ports if not 1 <= p <= 65535]
    if bad:
        raise ValueError(f"{what}: {bad} are not TCP ports (1-65535)")
    if len(set(ports)) != len(ports):
        raise ValueError(f"{what}: {list(ports)} lists a port twice")
    return ports


class NetworkConfig(Section):
    cni: Cni = Field(description="CNI that enforces the policies: cilium (DOKS, minikube --cni=cilium), calico, none")
    api_server_ports: tuple[int, ...] = Field(min_length=1, strict=False, description=PORT_DESCRIPTION)
    api_server_cidrs: tuple[str, ...] = Field(
        default=(), strict=False,
        description="calico only: addresses of the API server endpoints (kubectl get endpoints kubernetes)",
    )
    node_cidrs: tuple[str, ...] = Field(
        default=(), strict=False, description="calico only: node addresses (kubelet 10250, node-exporter 9100)"
    )

    @field_validator("api_server_ports")
    @classmethod
    def _ports(cls, ports: tuple[int, ...]) -> tuple[int, ...]:
        return check_ports(ports, "network.api_server_ports")

    @field_validator("api_server_cidrs", "node_cidrs")
    @classmethod
    def _cidrs(cls, cidrs: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in cidrs:
            try:
                net = ipaddress.ip_network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(f"{cidr!r} is not a CIDR such as 192.168.49.2/32 ({exc})") from exc
            if net.prefixlen < 8:
                raise ValueError(f"{cidr!r} is wider than a /8: name the API server or node addresses, not the internet")
        return cidrs

    @model_validator(mode="after")
    def _addresses_only_for_calico(self) -> NetworkConfig:
        has = [name for name in ("api_server_cidrs", "node_cidrs") if getattr(self, name)]
        if self.cni == "calico":
            missing = [name for name in ("api_server_cidrs", "node_cidrs") if not getattr(self, name)]
            if missing:
                raise ValueError(
                    f"cni = 'calico' needs network.{' and network.'.join(missing)}: policies name non-pod peers by "
                    "address there (kubectl get endpoints kubernetes; kubectl get nodes -o wide)"
                )
        elif has:
            raise ValueError(
                f"network.{', network.'.join(has)} only apply to cni = 'calico' (Cilium names these peers by entity; "
                "'none' enforces nothing): remove them"
            )
        return self
