"""Literal text inside OpenTofu JSON.

OpenTofu reads ``${…}`` and ``%{…}`` in any JSON string as template syntax, so literal text that
may contain them (shell scripts, dashboards, Prometheus/Alertmanager templates, chart values
without tokens) is escaped on the way in. Never escape a string holding a cdktf token: tokens
render as ``${…}`` on purpose.
"""

from __future__ import annotations


def for_tofu(text: str) -> str:
    """Escape OpenTofu template sequences in a literal string (``${`` → ``$${``, ``%{`` → ``%%{``)."""
    return text.replace("${", "$${").replace("%{", "%%{")


def from_tofu(text: str) -> str:
    """Inverse of ``for_tofu``: the string the cluster receives after OpenTofu renders it."""
    return text.replace("$${", "${").replace("%%{", "%{")
