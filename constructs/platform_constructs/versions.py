"""Every pinned version in one table: charts, container images, providers, OpenTofu.

Bumping a pin is a one-line change here; the rules in ``rules.py`` refuse anything unpinned.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_OPENTOFU_VERSION = "1.10.0"
"""Native state encryption (1.7), S3 ``use_lockfile`` (1.10)."""

# Provider versions the prebuilt bindings target (cdktf-cdktf-provider-* wheels in requirements.lock).
PROVIDERS: dict[str, str] = {
    "kubernetes": "2.38.0",
    "helm": "3.1.1",
    "digitalocean": "2.71.0",
}


@dataclass(frozen=True)
class Chart:
    repository: str
    chart: str
    version: str


CHARTS: dict[str, Chart] = {
    # --- infra layer ---
    # --- metrics layer ---
    # --- apps layer ---
}
"""Helm charts by logical name."""

IMAGES: dict[str, str] = {
    # --- infra layer ---
    # --- data layer ---
    # --- metrics layer ---
    # --- apps layer ---
}
"""Container images by logical name, always ``repository:tag`` (never ``latest``)."""
