"""The metrics layer (namespace ``metrics``)."""

from platform_constructs.metrics.stack import MetricsStack

__all__ = ["MetricsStack"]
