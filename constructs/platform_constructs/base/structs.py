"""Build jsii struct objects from plain nested dicts.

The Python bindings turn a dict argument into its struct class, but not a dict *inside a list*
(aws/jsii#973): ``containers=[{"container_port": 80}]`` reaches Node as a raw map and fails.
``build(Cls, data)`` walks the struct's type hints and constructs every nested struct, lists
included, so components can describe pod specs as plain data, once, for every workload kind.
"""

from __future__ import annotations

import functools
import sys
import typing
from collections.abc import Mapping, Sequence
from typing import Any


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    module = sys.modules[cls.__module__]
    return typing.get_type_hints(cls.__init__, vars(module))


def _struct_in(annotation: Any) -> tuple[type | None, bool]:
    """Return (struct class, is_list) found in a binding's field annotation."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (list, Sequence, typing.Sequence) or (
        origin is not None and isinstance(origin, type) and issubclass(origin, Sequence) and origin is not str
    ):
        inner, _ = _struct_in(args[0]) if args else (None, False)
        return inner, True
    if args:  # Optional / Union
        for arg in args:
            found, is_list = _struct_in(arg)
            if found is not None:
                return found, is_list
        return None, False
    if isinstance(annotation, type) and hasattr(annotation, "__jsii_struct_bases__") and annotation.__module__.startswith(
        ("cdktf_cdktf_provider", "cdktf")
    ):
        return annotation, False
    return None, False


def build(cls: type, data: Mapping[str, Any]) -> Any:
    """Instantiate struct ``cls`` from ``data``, converting nested dicts and lists of dicts."""
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in hints and f"{key}_" in hints:  # Python keywords: from → from_
            key = f"{key}_"
        if key not in hints:
            raise TypeError(f"{cls.__name__} has no field {key!r}")
        struct, is_list = _struct_in(hints[key])
        if struct is not None and isinstance(value, Mapping):
            # Some single blocks are typed as lists in the bindings: wrap them.
            value = [build(struct, value)] if is_list else build(struct, value)
        elif struct is not None and isinstance(value, (list, tuple)):
            value = [build(struct, item) if isinstance(item, Mapping) else item for item in value]
        elif isinstance(value, int) and not isinstance(value, bool) and _wants_str_not_number(hints[key]):
            # The provider schema types many integers as strings (run_as_user, replicas, …).
            value = str(value)
        kwargs[key] = value
    return cls(**kwargs)


def _wants_str_not_number(annotation: Any) -> bool:
    args = set(typing.get_args(annotation)) or {annotation}
    return str in args and not args & {int, float}
