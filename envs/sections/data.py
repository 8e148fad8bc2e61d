"""Config of the data layer (namespace ``data``): the shared Postgres and MariaDB engines."""

from __future__ import annotations

from pydantic import Field

from envs.types import Quantity, Section


class EngineConfig(Section):
    storage: Quantity = Field(description="PVC size")
    memory_request: Quantity
    memory_limit: Quantity
    cpu_request: Quantity
    max_connections: int = Field(
        default=200, ge=20, le=5000, description="server max_connections (Sentry alone opens many; raise with memory)"
    )


class DataConfig(Section):
    postgres: EngineConfig
    mariadb: EngineConfig
