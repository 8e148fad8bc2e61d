"""Config of the prod cluster stack (DigitalOcean): region, VPC, DOKS version and upgrades, node pools.

Times are UTC, like DigitalOcean's maintenance window and Velero's cron schedules.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from envs.types import DnsLabel, Section

Weekday = Literal["any", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
"""``HH:MM``, 24-hour clock, UTC."""

# A Kubernetes label/taint key: optional DNS-subdomain prefix, then a name of at most 63 characters.
LabelKey = Annotated[
    str, StringConstraints(pattern=r"^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
]
LabelValue = Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$")]

# DOKS default overlay networks (pods, services): the VPC range must not overlap them.
DOKS_DEFAULT_SUBNETS = (ipaddress.ip_network("10.244.0.0/16"), ipaddress.ip_network("10.245.0.0/16"))


class TaintConfig(Section):
    key: LabelKey
    value: LabelValue
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"


class NodePoolConfig(Section):
    """An autoscaled DOKS node pool. Extra pools are data: add a ``[[cluster.extra_pools]]`` table."""

    name: DnsLabel
    size: str = Field(min_length=1, description="droplet size slug, e.g. s-2vcpu-4gb (doctl kubernetes options sizes)")
    min_nodes: int = Field(ge=1, description="autoscaler floor (DOKS needs >= 1 node per pool)")
    max_nodes: int = Field(ge=1, description="autoscaler ceiling")
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict, description="Kubernetes labels of the nodes")
    taints: tuple[TaintConfig, ...] = Field(
        default=(), strict=False, description="taints, e.g. keep a heavy-app pool for pods that tolerate it"
    )

    @model_validator(mode="after")
    def _min_le_max(self) -> NodePoolConfig:
        if self.min_nodes > self.max_nodes:
            raise ValueError(f"node pool {self.name!r}: min_nodes ({self.min_nodes}) > max_nodes ({self.max_nodes})")
        return self


class MaintenanceConfig(Section):
    """DOKS maintenance window (4 hours from ``start_time``), kept clear of the daily backups."""

    day: Weekday = Field(default="saturday", description="weekday of the window, or 'any'")
    start_time: ClockTime = Field(default="22:00", description="start of the 4-hour window, HH:MM UTC")
    backup_clearance_hours: int = Field(
        default=2, ge=1, le=12, description="how long the daily backups may run; the window must not overlap them"
    )


class ClusterConfig(Section):
    region: DnsLabel = Field(default="fra1", description="DigitalOcean region of the VPC, cluster and Spaces buckets")
    kubernetes_version_prefix: str = Field(
        pattern=r"^1\.[0-9]+\.$",
        description="DOKS minor, e.g. '1.35.': the newest patch of that minor is used; a minor upgrade is a config change",
    )
    auto_upgrade: bool = Field(
        default=True, description="let DigitalOcean apply patch releases of the pinned minor in the maintenance window"
    )
    ha: bool = Field(default=False, description="highly available control plane (cannot be turned off once on)")
    vpc_ip_range: str = Field(default="10.110.0.0/20", description="private IPv4 range of the cluster's VPC")
    maintenance: MaintenanceConfig = Field(default_factory=MaintenanceConfig)
    default_pool: NodePoolConfig = Field(description="pool for system pods and ordinary workloads (no taints)")
    extra_pools: tuple[NodePoolConfig, ...] = Field(default=(), strict=False, description="additional pools")

    @field_validator("vpc_ip_range")
    @classmethod
    def _private_range(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value)
        except ValueError as exc:
            raise ValueError(f"not an IPv4 network in CIDR form like 10.110.0.0/20 ({exc})") from None
        if not network.is_private:
            raise ValueError("must be a private (RFC 1918) range")
        if not 16 <= network.prefixlen <= 24:
            raise ValueError("DigitalOcean VPC ranges are /16 to /24")
        clash = [str(n) for n in DOKS_DEFAULT_SUBNETS if network.overlaps(n)]
        if clash:
            raise ValueError(f"overlaps the DOKS pod/service network {', '.join(clash)}")
        return value

    @model_validator(mode="after")
    def _pools(self) -> ClusterConfig:
        if self.default_pool.taints:
            raise ValueError("default_pool must have no taints: system pods (CoreDNS, CNI, CSI) need an untainted pool")
        names = [self.default_pool.name, *(p.name for p in self.extra_pools)]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"node pool names must be unique, repeated: {', '.join(duplicates)}")
        return self


DOKS_MAINTENANCE_HOURS = 4
"""Length of a DOKS maintenance window (the API reports ``duration`` "4h0m0s")."""


def _daily_time(cron: str) -> int:
    """Minute of the day a five-field cron fires at; only a fixed minute and hour can be checked."""
    minute, hour, *_ = cron.split()
    if not (minute.isdigit() and hour.isdigit()) or int(minute) > 59 or int(hour) > 23:
        raise ValueError(
            f"backup schedule {cron!r}: the maintenance check needs a fixed minute and hour (e.g. '0 3 * * *')"
        )
    return int(hour) * 60 + int(minute)


def _overlap(start_a: int, length_a: int, start_b: int, length_b: int) -> bool:
    """Do two intervals on the 24-hour clock (minutes, wrapping at midnight) intersect?"""
    day = 24 * 60
    return ((start_b - start_a) % day) < length_a or ((start_a - start_b) % day) < length_b


def maintenance_conflict(maintenance: MaintenanceConfig, backup_schedule: str) -> str | None:
    """Why the maintenance window collides with the backups, or None.

    Backups are treated as daily whatever the cron's day fields say (conservative), so only the
    time of day matters, and the window of ``day = 'any'`` is checked the same way.
    """
    hours, minutes = (int(part) for part in maintenance.start_time.split(":"))
    window_start = hours * 60 + minutes
    backup_start = _daily_time(backup_schedule)
    if not _overlap(window_start, DOKS_MAINTENANCE_HOURS * 60, backup_start, maintenance.backup_clearance_hours * 60):
        return None
    end = (window_start + DOKS_MAINTENANCE_HOURS * 60) % (24 * 60)
    return (
        f"cluster.maintenance: the DOKS window {maintenance.start_time}-{end // 60:02d}:{end % 60:02d} UTC "
        f"overlaps the backups ({backup_schedule!r}, allowed {maintenance.backup_clearance_hours} h to run). "
        "Move cluster.maintenance.start_time in envs/prod.toml (e.g. '22:00') or change infra.backups.schedule."
    )


def doks_context(region: str, cluster_name: str) -> str:
    """kubeconfig context ``doctl kubernetes cluster kubeconfig save`` writes: ``do-<region>-<cluster>``."""
    return f"do-{region}-{cluster_name}"
