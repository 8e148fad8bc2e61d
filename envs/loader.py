"""Load ``envs/<env>.toml`` (+ optional local overrides) into a frozen ``PlatformConfig``."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from envs.model import PlatformConfig

ENVS_DIR = Path(__file__).resolve().parent
VALID_ENVS: tuple[str, ...] = ("dev", "prod")
DEFAULT_ENV = "dev"

# Environment variables that override one config field each (documented in the README).
ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "ROOT_DOMAIN": ("root_domain",),
    "CLUSTER_NAME": ("cluster_name",),
}


class ConfigError(Exception):
    """Invalid environment name or configuration; the message names the field and the fix."""


def resolve_env(value: str | None) -> str:
    """Return the environment named by ``APP_ENV`` (default ``dev``) or raise ``ConfigError``."""
    env = DEFAULT_ENV if value is None or value == "" else value
    if env not in VALID_ENVS:
        raise ConfigError(
            f"APP_ENV={value!r} is not a known environment. Valid values: {', '.join(VALID_ENVS)} "
            f"(default {DEFAULT_ENV}). Example: export APP_ENV=dev"
        )
    return env


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML ({exc}). Fix the syntax and re-run.") from exc


def _format_validation_error(env: str, exc: ValidationError) -> str:
    lines = [f"envs/{env}.toml: invalid configuration ({exc.error_count()} problem(s)):"]
    for err in exc.errors():
        field = ".".join(str(part) for part in err["loc"]) or "<root>"
        if err["type"] == "extra_forbidden":
            lines.append(f"  - {field}: unknown key (remove it or check its spelling)")
        else:
            lines.append(f"  - {field}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


def load_config(
    env: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    use_local_files: bool = False,
    environ: Mapping[str, str] | None = None,
) -> PlatformConfig:
    """Build the validated config of ``env``.

    ``overrides`` is deep-merged last (tests use it). ``use_local_files`` reads
    ``envs/<env>.local.toml`` and the ``ROOT_DOMAIN``/``CLUSTER_NAME`` variables from
    ``environ`` (``os.environ`` by default); ``main.py`` turns it on, tests leave it off so
    their output never depends on the machine.
    """
    env = resolve_env(env)
    data = _read_toml(ENVS_DIR / f"{env}.toml")
    if use_local_files:
        local = ENVS_DIR / f"{env}.local.toml"
        if local.exists():
            data = _deep_merge(data, _read_toml(local))
        environ = os.environ if environ is None else environ
        for var, path in ENV_OVERRIDES.items():
            if environ.get(var):
                patch: dict[str, Any] = {path[-1]: environ[var]}
                for key in reversed(path[:-1]):
                    patch = {key: patch}
                data = _deep_merge(data, patch)
    if overrides:
        data = _deep_merge(data, overrides)
    if data.get("env", env) != env:
        raise ConfigError(f"envs/{env}.toml: env = {data['env']!r} but the file is for {env!r}.")
    data["env"] = env
    try:
        return PlatformConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(env, exc)) from None
