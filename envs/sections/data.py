"""Config of the data layer (namespace ``data``): the shared Postgres and MariaDB engines."""

from __future__ import annotations

from pydantic import Field

from envs.types import Quantity, Section


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


class DataConfig(Section):
    postgres: EngineConfig
    mariadb: EngineConfig
