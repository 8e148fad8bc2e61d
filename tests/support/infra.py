"""Helpers of the infra tests: read releases, values and resources out of synthesized stacks."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any


def resources_of(stack: Mapping[str, Any], rtype: str) -> dict[str, Any]:
    return stack.get("resource", {}).get(rtype, {})


def release(stack: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The helm_release whose release ``name`` is ``name``."""
    found = [r for r in resources_of(stack, "helm_release").values() if r["name"] == name]
    assert len(found) == 1, f"expected one helm_release named {name!r}, found {len(found)}"
    return found[0]


def values(stack: Mapping[str, Any], name: str) -> dict[str, Any]:
    docs = release(stack, name)["values"]
    assert len(docs) == 1, f"release {name}: expected one values document"
    return json.loads(docs[0])


def by_k8s_name(stack: Mapping[str, Any], rtype: str, name: str) -> dict[str, Any]:
    found = [r for r in resources_of(stack, rtype).values() if r["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {rtype} named {name!r}, found {len(found)}"
    return found[0]


def one(block: Any) -> Any:
    """Nested blocks synthesize as one-element lists or as objects; return the object."""
    if isinstance(block, list):
        assert len(block) == 1, f"expected one block, got {len(block)}"
        return block[0]
    return block


def containers(workload: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    pod = one(one(one(workload["spec"])["template"])["spec"])
    return {c["name"]: c for c in pod["container"]}


def env_of(container: Mapping[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def walk(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every mapping in a parsed JSON tree."""
    if isinstance(node, Mapping):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)
