"""Helpers over synthesized stacks, shared by every test package."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def resources_of(stack: Mapping[str, Any], rtype: str) -> dict[str, Any]:
    """Resources of one type in a synthesized stack, by logical name."""
    return stack.get("resource", {}).get(rtype, {})


REPO = Path(__file__).resolve().parents[2]
