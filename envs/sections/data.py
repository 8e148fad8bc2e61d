"""Config of the data layer (namespace ``data``): the shared Postgres and MariaDB engines."""

from __future__ import annotations

from pydantic import Field

from envs.types import Quantity, Section


class EngineConfig(Section):
    storage: Quantity = Field(description="PVC size")
    memory_request: Quantity
    memory_limit: Quantity
    cpu_request: Quantity


class DataConfig(Section):
    postgres: EngineConfig
    mariadb: EngineConfig
