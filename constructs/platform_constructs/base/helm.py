"""One way to install a pinned chart, for every layer: version and repository from ``versions.CHARTS``,
values as sorted JSON (deterministic plans), ``wait`` so what comes next finds a working release;
plus the small value builders charts share (image, resources, restricted security contexts)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct

from platform_constructs.base.literals import for_tofu
from platform_constructs.versions import CHARTS, IMAGES


def chart_release(
    scope: Construct,
    id_: str,
    *,
    chart: str,
    namespace: str,
    values: Mapping[str, Any],
    name: str | None = None,
    depends_on: Sequence[ITerraformDependable] = (),
    timeout: int = 600,
    literal_values: bool = False,
    **options: Any,
) -> Release:
    """A ``helm_release`` of ``versions.CHARTS[chart]`` (release name = ``chart`` unless given).

    ``literal_values``: the values hold no cdktf token, so template-like text in them (Prometheus or
    Alertmanager templates…) is escaped for OpenTofu. ``options`` go to ``Release`` as they are
    (``atomic``, ``wait_for_jobs``, …).
    """
    pin = CHARTS[chart]
    document = json.dumps(values, sort_keys=True)
    return Release(
        scope,
        id_,
        name=name or chart,
        repository=pin.repository,
        chart=pin.chart,
        version=pin.version,
        namespace=namespace,
        values=[for_tofu(document) if literal_values else document],
        wait=True,
        timeout=timeout,
        max_history=5,
        depends_on=list(depends_on) or None,
        **options,
    )


def image_ref(name: str) -> tuple[str, str]:
    """``("registry/repository", "tag")`` of ``versions.IMAGES[name]``, for charts that split them."""
    repository, tag = IMAGES[name].rsplit(":", 1)
    return repository, tag


def image_values(name: str) -> dict[str, str]:
    """``{"repository": ..., "tag": ...}`` of ``versions.IMAGES[name]`` (the common chart layout)."""
    repository, tag = image_ref(name)
    return {"repository": repository, "tag": tag}


def resources(memory_request: str, memory_limit: str, cpu_request: str = "10m") -> dict[str, Any]:
    """Container resources as charts take them: memory request and limit always, no CPU limit."""
    return {"requests": {"cpu": cpu_request, "memory": memory_request}, "limits": {"memory": memory_limit}}


RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""Container securityContext of the restricted Pod Security Standard, for chart values that take one."""

RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
