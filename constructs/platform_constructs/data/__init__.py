"""The data layer (namespace ``data``).

``DataStack`` is imported lazily so that ``catalog`` and ``shell`` (plain data and scripts, used
by the apps layer and by the real-engine tests) load without starting jsii.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from platform_constructs.data.stack import DataStack

__all__ = ["DataStack"]


def __getattr__(name: str) -> Any:
    if name == "DataStack":
        from platform_constructs.data.stack import DataStack

        return DataStack
    raise AttributeError(name)
