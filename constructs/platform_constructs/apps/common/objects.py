"""Small Kubernetes objects and URL helpers shared by the app components."""

from __future__ import annotations

from collections.abc import Mapping

from cdktf_cdktf_provider_kubernetes.config_map_v1 import ConfigMapV1, ConfigMapV1Metadata
from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata
from constructs import Construct

from envs import PlatformConfig
from envs.sections.apps import SmtpConfig
from platform_constructs.base.labels import workload_labels
from platform_constructs.base.structs import build


def secret(scope: Construct, id_: str, *, name: str, namespace: str, data: Mapping[str, str]) -> None:
    """An Opaque Secret; ``data`` values are tokens of sensitive variables (never literals)."""
    SecretV1(
        scope,
        id_,
        metadata=build(SecretV1Metadata, {"name": name, "namespace": namespace, "labels": workload_labels(name)}),
        data=dict(sorted(data.items())),
    )


def config_map(scope: Construct, id_: str, *, name: str, namespace: str, data: Mapping[str, str]) -> None:
    ConfigMapV1(
        scope,
        id_,
        metadata=build(ConfigMapV1Metadata, {"name": name, "namespace": namespace, "labels": workload_labels(name)}),
        data=dict(sorted(data.items())),
    )


def public_url(config: PlatformConfig, host: str) -> str:
    """``https://host`` when the env terminates TLS at the ingress, else ``http://host``."""
    return f"{'https' if config.infra.ingress.tls else 'http'}://{host}"


def smtp_ports(smtp: SmtpConfig | None) -> list[int]:
    return [smtp.port] if smtp else []
