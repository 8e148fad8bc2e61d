"""The data layer's shell scripts (package data in ``scripts/``) and how they enter the JSON.

The scripts are plain bash files so they can be read, linted and run as they are; OpenTofu would
read ``${…}`` and ``%{…}`` in a string as template syntax, so ``base.literals.for_tofu`` escapes
them on the way into the synthesized JSON. Tests undo exactly that with ``from_tofu`` and run the
script that the cluster would run.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"


@cache
def script(name: str) -> str:
    """Text of ``scripts/<name>`` (e.g. ``postgres-init.sh``)."""
    return (SCRIPTS_DIR / name).read_text(encoding="utf-8")


def bundle(*names: str) -> str:
    """One self-contained script: ``scripts/<names>`` in order (shared functions first).

    A Velero exec hook or a container command is a single ``bash -c`` text, with no file to
    ``source``; each part is still a plain file that can be read and linted on its own.
    """
    return "\n".join(script(name) for name in names)
