"""Typed, validated configuration of each environment.

The data lives in ``envs/<env>.toml`` (one file per environment, committed) and may be
overridden without touching Python:

* ``envs/<env>.local.toml`` (git-ignored), deep-merged over the committed file;
* ``ROOT_DOMAIN`` / ``CLUSTER_NAME`` environment variables for the two knobs people change most.

Everything is validated up front (unknown keys, wrong types, malformed domains) before any
jsii work starts, so a typo fails in milliseconds with the field named.
"""

from envs.loader import VALID_ENVS, ConfigError, load_config, resolve_env
from envs.model import PlatformConfig

__all__ = ["VALID_ENVS", "ConfigError", "PlatformConfig", "load_config", "resolve_env"]
