"""Snapshot of every stack of both environments (syrupy, one JSON file per stack).

Normalized: cdktf's ``"//"`` metadata (construct paths, cdktf version) is dropped; the output holds
no absolute path or timestamp by construction (tests/foundation/test_stacks.py checks it).
Review a diff with ``git diff tests/__snapshots__``; accept it with
``.venv/bin/python -m pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

STACK_NAMES = [
    *(f"dev-{layer}" for layer in ("infra", "data", "metrics", "apps")),
    *(f"prod-{layer}" for layer in ("cluster", "infra", "data", "metrics", "apps")),
]


def normalize(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: normalize(value) for key, value in node.items() if key != "//"}
    if isinstance(node, list):
        return [normalize(item) for item in node]
    return node


@pytest.fixture()
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("name", STACK_NAMES)
def test_stack_snapshot(stacks, snapshot_json, name):
    assert normalize(stacks[name]) == snapshot_json
