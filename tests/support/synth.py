"""Helpers over synthesized stacks, shared by every test package."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def resources_of(stack: Mapping[str, Any], rtype: str) -> dict[str, Any]:
    """Resources of one type in a synthesized stack, by logical name."""
    return stack.get("resource", {}).get(rtype, {})


REPO = Path(__file__).resolve().parents[2]


def cilium_policies(stack: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """CiliumNetworkPolicy manifests of a stack by metadata.name (how non-pod peers are named on Cilium)."""
    return {
        body["manifest"]["metadata"]["name"]: body["manifest"]
        for body in resources_of(stack, "kubernetes_manifest").values()
        if body["manifest"].get("kind") == "CiliumNetworkPolicy"
    }
