"""A ClusterIP Service in front of one app's pods (selected by ``app.kubernetes.io/name``)."""

from __future__ import annotations

from collections.abc import Mapping

from cdktf_cdktf_provider_kubernetes.service_v1 import ServiceV1, ServiceV1Metadata, ServiceV1Spec
from constructs import Construct

from platform_constructs.base.labels import COMPONENT_LABEL, NAME_LABEL, workload_labels
from platform_constructs.base.structs import build


def cluster_service(
    scope: Construct,
    id_: str,
    *,
    name: str,
    namespace: str,
    app: str,
    ports: Mapping[str, int],
    component: str | None = None,
    headless: bool = False,
) -> ServiceV1:
    """Service ``name`` exposing ``ports`` (port name → port, same number on the container)."""
    selector = {NAME_LABEL: app, **({COMPONENT_LABEL: component} if component else {})}
    spec: dict = {
        "selector": selector,
        "port": [{"name": n, "port": p, "target_port": n} for n, p in sorted(ports.items())],
    }
    if headless:
        spec["cluster_ip"] = "None"
    return ServiceV1(
        scope,
        id_,
        metadata=build(ServiceV1Metadata, {"name": name, "namespace": namespace, "labels": workload_labels(app, component)}),
        spec=build(ServiceV1Spec, spec),
    )
