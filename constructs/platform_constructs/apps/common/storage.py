"""A block-storage PVC for a single-writer app (Deployment with ``recreate=True``): ``base.storage``."""

from __future__ import annotations

from platform_constructs.base.storage import block_pvc

__all__ = ["block_pvc"]
