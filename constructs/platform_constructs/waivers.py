"""Recorded exceptions to the rules in ``rules.py``: each says which rule, where, and why."""

from __future__ import annotations

from platform_constructs.rules import Waiver

WAIVERS: tuple[Waiver, ...] = ()
