"""The data layer (namespace ``data``)."""

from platform_constructs.data.stack import DataStack

__all__ = ["DataStack"]
