"""Spaces buckets for Velero backups and app media: private, versioned, with lifecycle rules.

Names come from ``base/buckets.py`` (the infra and apps stacks read the same functions).

Retention: backups live ``infra.backups.ttl`` (30 days); Velero deletes them itself, so current
objects never expire by age here (kopia's repository keeps long-lived pack files that an age-based
expiry would corrupt). Versioning turns every delete or overwrite into a noncurrent version, kept
as long as a backup is (ttl rounded up to days), so a mistaken or malicious delete can be undone
within the retention period; then it expires for good.
"""

from __future__ import annotations

import math
import re

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_digitalocean.spaces_bucket import (
    SpacesBucket,
    SpacesBucketLifecycleRule,
    SpacesBucketVersioning,
)
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.buckets import media_bucket, s3_region, velero_bucket

ABORT_MULTIPART_DAYS = 1
"""Unfinished multipart uploads (an interrupted backup) are dropped after a day."""


def retention_days(config: PlatformConfig) -> int:
    """``infra.backups.ttl`` (a Go duration such as ``720h``) in whole days, rounded up."""
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", config.infra.backups.ttl)
    hours, minutes, seconds = (int(g or 0) for g in match.groups()) if match else (0, 0, 0)
    return max(1, math.ceil((hours * 3600 + minutes * 60 + seconds) / 86400))


class ObjectStorage(Construct):
    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig) -> None:
        super().__init__(scope, id_)
        keep_days = retention_days(config)
        self.velero = self._bucket("velero", velero_bucket(config), config, keep_days)
        self.media = self._bucket("media", media_bucket(config), config, keep_days)

    def _bucket(self, id_: str, name: str, config: PlatformConfig, keep_days: int) -> SpacesBucket:
        bucket = SpacesBucket(
            self,
            id_,
            name=name,
            region=s3_region(config),
            acl="private",
            versioning=SpacesBucketVersioning(enabled=True),
            lifecycle_rule=[
                SpacesBucketLifecycleRule(
                    id="expire-deleted-after-retention",
                    enabled=True,
                    abort_incomplete_multipart_upload_days=ABORT_MULTIPART_DAYS,
                    noncurrent_version_expiration={"days": keep_days},
                    # Drop delete markers left alone once their noncurrent versions are gone.
                    expiration={"expired_object_delete_marker": True},
                )
            ],
            force_destroy=False,  # a bucket with objects is never deleted by tofu
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        bucket.override_logical_id(id_)
        return bucket
