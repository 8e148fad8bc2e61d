"""The infra layer (namespace ``infra``)."""

from platform_constructs.infra.stack import InfraStack

__all__ = ["InfraStack"]
