"""Capacity check: do the requests of everything the project deploys fit the env's nodes?

Reads the synthesized JSON (not the config), so it counts exactly what would be applied:
* raw workloads (Deployment, StatefulSet): container + init container requests × replicas;
* Helm releases: every ``resources.requests`` block found in the values (× a sibling
  ``replicas``/``replicaCount`` when present), which is how charts take sizes.

CronJobs and Jobs are left out: they run briefly and the scheduler finds room between them.
The result is compared with the env's node capacity (prod: the DOKS pools at their maximum size,
dev: ``apps.capacity`` — the laptop cluster). ``platform.synthesize`` prints a warning on stderr
when it does not fit; ``tests/test_capacity.py`` fails.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envs import PlatformConfig
from platform_constructs.rules import helm_values

_MEMORY_UNITS = {
    "": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)$")


def memory_bytes(quantity: str | int | float) -> int:
    """``"512Mi"`` → 536870912. Raises ``ValueError`` on anything else than a memory quantity."""
    match = _QUANTITY.match(str(quantity).strip())
    if not match or match.group(2) not in _MEMORY_UNITS:
        raise ValueError(f"not a memory quantity: {quantity!r}")
    return int(Decimal(match.group(1)) * _MEMORY_UNITS[match.group(2)])


def cpu_millis(quantity: str | int | float) -> int:
    """``"250m"`` → 250, ``"1.5"`` → 1500."""
    match = _QUANTITY.match(str(quantity).strip())
    if not match or match.group(2) not in ("", "m"):
        raise ValueError(f"not a CPU quantity: {quantity!r}")
    value = Decimal(match.group(1))
    return int(value if match.group(2) == "m" else value * 1000)


# --- node capacity ---------------------------------------------------------------------------------

ALLOCATABLE_MEMORY_RATIO = Decimal("0.7")
"""Share of a DOKS droplet's memory left to pods (kubelet/system reservations, Cilium, CSI, agents)."""
ALLOCATABLE_CPU_RATIO = Decimal("0.9")
_SIZE_SLUG = re.compile(r"(\d+)vcpu-(\d+)gb")


@dataclass(frozen=True)
class Capacity:
    memory: int
    """allocatable bytes, all nodes at their maximum count"""
    cpu: int
    """allocatable millicores"""
    node_memory: int
    """the largest single node's allocatable memory (a pod must fit one node)"""
    source: str


def droplet_size(slug: str) -> tuple[int, int]:
    """(vCPU, GB) of a droplet size slug such as ``s-2vcpu-4gb`` or ``g-4vcpu-16gb-intel``."""
    match = _SIZE_SLUG.search(slug)
    if not match:
        raise ValueError(f"cannot read vCPU/memory from droplet size {slug!r} (expected like 's-2vcpu-4gb')")
    return int(match.group(1)), int(match.group(2))


def node_capacity(config: PlatformConfig) -> Capacity | None:
    """Allocatable capacity of the env: prod DOKS pools (at max_nodes), dev ``apps.capacity``."""
    if config.cluster is not None:
        memory = cpu = largest = 0
        for pool in (config.cluster.default_pool, *config.cluster.extra_pools):
            vcpu, gb = droplet_size(pool.size)
            node_memory = int(gb * 10**9 * ALLOCATABLE_MEMORY_RATIO)
            memory += node_memory * pool.max_nodes
            cpu += int(vcpu * 1000 * ALLOCATABLE_CPU_RATIO) * pool.max_nodes
            largest = max(largest, node_memory)
        return Capacity(memory, cpu, largest, "cluster node pools at max_nodes")
    local = config.apps.capacity
    if local is None:
        return None
    node_memory = memory_bytes(local.node_memory)
    return Capacity(node_memory * local.nodes, cpu_millis(local.node_cpu) * local.nodes, node_memory, "apps.capacity")


# --- requests in the synthesized JSON -----------------------------------------------------------------

WORKLOAD_TYPES = ("kubernetes_deployment_v1", "kubernetes_stateful_set_v1")


@dataclass(frozen=True)
class Request:
    where: str
    memory: int
    cpu: int
    pod_memory: int
    """one replica's memory (must fit a node)"""


def _one(node: Any) -> Any:
    return node[0] if isinstance(node, list) and len(node) == 1 else node


def _requests(resources: Any) -> tuple[int, int]:
    requests = _one((_one(resources) or {}).get("requests")) or {}
    memory = requests.get("memory")
    cpu = requests.get("cpu")
    def parse(value: Any, parser: Any) -> int:
        return parser(value) if isinstance(value, (str, int, float)) and "${" not in str(value) else 0

    return parse(memory, memory_bytes), parse(cpu, cpu_millis)


def _int(value: Any, default: int = 1) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def workload_requests(stack: Mapping[str, Any]) -> Iterator[Request]:
    for rtype in WORKLOAD_TYPES:
        for name, body in sorted(stack.get("resource", {}).get(rtype, {}).items()):
            spec = _one(body.get("spec")) or {}
            replicas = _int(spec.get("replicas"), 1)
            pod = _one((_one(spec.get("template")) or {}).get("spec")) or {}
            memory = cpu = 0
            for container in pod.get("container") or []:
                m, c = _requests(container.get("resources"))
                memory, cpu = memory + m, cpu + c
            yield Request(f"{rtype}.{name}", memory * replicas, cpu * replicas, memory)


def _values_requests(node: Any, path: str) -> Iterator[tuple[str, int, int, int]]:
    if isinstance(node, Mapping):
        if node.get("enabled") is False:
            return
        replicas = _int(node.get("replicas", node.get("replicaCount", 1)), 1)
        resources = node.get("resources")
        if isinstance(resources, Mapping) and "requests" in resources:
            m, c = _requests(resources)
            yield path or "resources", m * replicas, c * replicas, m
        for key, value in node.items():
            if key != "resources":
                yield from _values_requests(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _values_requests(item, f"{path}[{index}]")


def helm_requests(stack: Mapping[str, Any]) -> Iterator[Request]:
    for name, body in sorted(stack.get("resource", {}).get("helm_release", {}).items()):
        for values in helm_values(body):
            for where, memory, cpu, pod_memory in _values_requests(values, ""):
                yield Request(f"helm_release.{name}:{where}", memory, cpu, pod_memory)


def stack_requests(stack: Mapping[str, Any]) -> list[Request]:
    return [*workload_requests(stack), *helm_requests(stack)]


@dataclass(frozen=True)
class Report:
    env: str
    memory: int
    cpu: int
    capacity: Capacity | None
    requests: tuple[Request, ...]

    @property
    def problems(self) -> list[str]:
        if self.capacity is None:
            return []
        problems = []
        if self.memory > self.capacity.memory:
            problems.append(
                f"memory requests {_gib(self.memory)} exceed the allocatable {_gib(self.capacity.memory)} "
                f"({self.capacity.source})"
            )
        if self.cpu > self.capacity.cpu:
            problems.append(f"CPU requests {self.cpu}m exceed the allocatable {self.capacity.cpu}m ({self.capacity.source})")
        for request in self.requests:
            if request.pod_memory > self.capacity.node_memory:
                problems.append(
                    f"{request.where}: one pod requests {_gib(request.pod_memory)}, more than a node has "
                    f"({_gib(self.capacity.node_memory)})"
                )
        return problems

    def summary(self) -> str:
        if self.capacity is None:
            return f"{self.env}: requests {_gib(self.memory)} / {self.cpu}m, no capacity declared"
        return (
            f"{self.env}: requests {_gib(self.memory)} of {_gib(self.capacity.memory)}, "
            f"{self.cpu}m of {self.capacity.cpu}m CPU ({self.capacity.source})"
        )


def _gib(value: int) -> str:
    return f"{value / 2**30:.1f}Gi"


def capacity_report(config: PlatformConfig, stacks: Mapping[str, Mapping[str, Any]]) -> Report:
    """Sum the requests of every stack of ``config.env`` in ``stacks`` (stack name → JSON)."""
    requests = tuple(
        r for name, stack in sorted(stacks.items()) if name.startswith(f"{config.env}-") for r in stack_requests(stack)
    )
    return Report(
        env=config.env,
        memory=sum(r.memory for r in requests),
        cpu=sum(r.cpu for r in requests),
        capacity=node_capacity(config),
        requests=requests,
    )


def check_capacity(configs: Sequence[PlatformConfig], outdir: str | Path) -> list[Report]:
    """Read the synthesized stacks of ``configs`` under ``outdir``; warn on stderr when they do not fit."""
    reports = []
    for config in configs:
        stacks = {
            f"{config.env}-{layer}": json.loads((Path(outdir) / "stacks" / f"{config.env}-{layer}" / "cdk.tf.json").read_text())
            for layer in config.layers
        }
        report = capacity_report(config, stacks)
        reports.append(report)
        for problem in report.problems:
            print(f"warning: capacity ({config.env}): {problem}", file=sys.stderr)
    return reports
