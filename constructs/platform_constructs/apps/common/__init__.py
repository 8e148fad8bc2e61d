"""Building blocks shared by applications (e.g. a private Valkey)."""

from platform_constructs.apps.common.valkey import Valkey

__all__ = ["Valkey"]
