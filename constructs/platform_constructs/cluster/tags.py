"""DigitalOcean tags put on every taggable resource of the cluster stack (cluster, node pools).

DO tags allow letters, digits, ':', '-' and '_' only; the VPC, Spaces buckets and the domain
take no tags (the project groups them instead).
"""

from __future__ import annotations

import re

from envs import PlatformConfig

PLATFORM_TAG = "platform"
_DO_TAG = re.compile(r"^[A-Za-z0-9:_-]{1,255}$")


def do_tags(config: PlatformConfig, *extra: str) -> list[str]:
    """``platform``, ``env:<env>``, the cluster name, then ``extra`` (e.g. ``pool:<name>``)."""
    tags = [PLATFORM_TAG, f"env:{config.env}", config.cluster_name, *extra]
    bad = [t for t in tags if not _DO_TAG.match(t)]
    if bad:
        raise ValueError(f"invalid DigitalOcean tag(s) {bad}: only letters, digits, ':', '-' and '_' are allowed")
    return tags
