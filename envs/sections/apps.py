"""Config of the apps layer: one switch (and sizes) per application."""

from __future__ import annotations

from pydantic import Field

from envs.types import Section


class AppSwitch(Section):
    enabled: bool


class AppsConfig(Section):
    wordpress: AppSwitch
    n8n: AppSwitch
    registry: AppSwitch
    analytics: AppSwitch
    twenty: AppSwitch
    nextcloud: AppSwitch = Field(description="work in progress upstream: off by default")
    sentry: AppSwitch = Field(description="optional, heavy (see the capacity check)")
