"""Config of the data layer (namespace ``data``): the shared Postgres and MariaDB engines."""

from __future__ import annotations

from pydantic import Field

from envs.types import Cron, Quantity, Section


class EngineConfig(Section):
    storage: Quantity = Field(description="PVC size")
    memory_request: Quantity
    memory_limit: Quantity
    cpu_request: Quantity
    dumps_storage: Quantity | None = Field(
        default=None,
        description="PVC of the pre-backup dumps (its own volume, never the data one); unset = same as storage",
    )
    dump_generations: int = Field(
        default=2, ge=1, le=30, description="complete dump sets kept on the dumps PVC (older ones live in Velero)"
    )
    max_connections: int = Field(
        default=200, ge=20, le=5000, description="server max_connections (Sentry alone opens many; raise with memory)"
    )


class DrillConfig(Section):
    """The nightly restore drill (``data/drill.py``): newest dumps → scratch server → checks."""

    schedule: Cron = Field(default="0 5 * * *", description="after the 03:00 backups and their dump hooks")
    max_age_hours: int = Field(default=26, ge=1, le=24 * 30, description="a dump set older than this fails the drill")
    memory_request: Quantity = "256Mi"
    memory_limit: Quantity = "1Gi"
    cpu_request: Quantity = "100m"
    scratch_size_limit: Quantity = Field(
        default="4Gi", description="emptyDir of the scratch server: room for every restored database"
    )


class DataConfig(Section):
    postgres: EngineConfig
    mariadb: EngineConfig
    drill: DrillConfig = Field(default_factory=DrillConfig)
