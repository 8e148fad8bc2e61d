"""The speed-ups keep the synthesized output byte-identical."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from platform_constructs.runtime import PROVIDER_PACKAGES

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("package", PROVIDER_PACKAGES)
def test_binding_submodules_import_only_jsii_and_cdktf(package):
    """The light import is safe only while each submodule needs nothing but ``.._jsii`` and cdktf."""
    import importlib.util

    root = Path(importlib.util.find_spec(package).submodule_search_locations[0])
    offenders = []
    for init in sorted(root.glob("*/__init__.py")):
        if init.parent.name == "_jsii":
            continue
        for line in init.read_text().splitlines():
            # Relative imports other than the package's own assembly would need the eager __init__.
            if line.startswith("from .") and line != "from .._jsii import *":
                offenders.append(f"{init.parent.name}: {line}")
    assert not offenders, "submodules import sibling modules; light_bindings() may break:\n" + "\n".join(offenders[:20])


def test_light_bindings_output_is_byte_identical(synthesized, tmp_path):
    """Synthesize both envs again with eager imports and ``python -O`` (the bench/deploy mode): same bytes."""
    out = tmp_path / "eager"
    env = {**os.environ, "PLATFORM_EAGER_BINDINGS": "1"}
    subprocess.run(
        [sys.executable, "-O", "main.py", "--all-envs", "--outdir", str(out)], cwd=REPO, env=env, check=True, capture_output=True
    )
    ours = sorted(p.relative_to(synthesized) for p in synthesized.rglob("*.json"))
    theirs = sorted(p.relative_to(out) for p in out.rglob("*.json"))
    assert ours == theirs
    different = [str(p) for p in ours if (synthesized / p).read_bytes() != (out / p).read_bytes()]
    assert not different, f"light bindings changed the output of: {different}"
