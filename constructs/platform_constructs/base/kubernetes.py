"""``KubernetesStack``: a ``LayerStack`` with the kubernetes and helm providers, and namespaces."""

from __future__ import annotations

from cdktf_cdktf_provider_helm.provider import HelmProvider
from cdktf_cdktf_provider_kubernetes.namespace_v1 import NamespaceV1
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.labels import LAYER_LABEL, PART_OF_LABEL, PLATFORM
from platform_constructs.base.network import default_deny
from platform_constructs.base.stack import LayerStack
from platform_constructs.waivers import POD_SECURITY_WAIVERS

PSA_PREFIX = "pod-security.kubernetes.io"


def pod_security_labels(namespace: str) -> dict[str, str]:
    """Pod Security Admission labels: ``restricted`` unless ``POD_SECURITY_WAIVERS`` says why not."""
    waiver = POD_SECURITY_WAIVERS.get(namespace)
    labels = {f"{PSA_PREFIX}/{mode}": "restricted" for mode in ("enforce", "warn", "audit")}
    labels[f"{PSA_PREFIX}/enforce"] = waiver.level if waiver else "restricted"
    labels.update({f"{PSA_PREFIX}/{mode}-version": "latest" for mode in ("enforce", "warn", "audit")})
    return labels


class KubernetesStack(LayerStack):
    """Stacks that talk to the cluster API (infra, data, metrics, apps)."""

    def __init__(self, scope: Construct, *, config: PlatformConfig) -> None:
        super().__init__(scope, config=config)
        kube = config.kube
        # Explicit context: never whatever current-context the file happens to have.
        KubernetesProvider(self, "kubernetes", config_path=kube.config_path, config_context=kube.context)
        HelmProvider(
            self,
            "helm",
            kubernetes={"config_path": kube.config_path, "config_context": kube.context},
        )
        self.namespaces: dict[str, NamespaceV1] = {}

    def namespace(self, name: str, *, labels: dict[str, str] | None = None) -> str:
        """Create namespace ``name``, owned by this stack and labelled with its layer.

        Returns the name as a token, so resources that use it depend on the namespace. The
        namespace starts with a default-deny NetworkPolicy (DNS allowed).
        """
        if name in self.namespaces:
            raise ValueError(f"{self.node.id}: namespace {name!r} declared twice")
        ns = NamespaceV1(
            self,
            f"namespace_{name}",
            metadata={
                "name": name,
                "labels": {
                    LAYER_LABEL: self.layer,
                    PART_OF_LABEL: PLATFORM,
                    **pod_security_labels(name),
                    **(labels or {}),
                },
            },
        )
        self.namespaces[name] = ns
        # Every namespace starts closed; components open what they declare (base/network.py).
        default_deny(self, ns.metadata.name, ns_key=name.replace("-", "_"))
        return ns.metadata.name
