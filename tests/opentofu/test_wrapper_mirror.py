"""The wrapper's provider mirror (scripts/lib/provider_mirror.sh): used only offline and never over the user's config."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from support.synth import REPO

LIB = REPO / "scripts" / "lib" / "provider_mirror.sh"


def cli_config_after(cache: Path, **env: str) -> tuple[str, str]:
    """TF_CLI_CONFIG_FILE once use_provider_mirror ran, and what it printed."""
    script = f'note() {{ echo "tofu-secrets: $*" >&2; }}; . "{LIB}"; use_provider_mirror; printf %s "${{TF_CLI_CONFIG_FILE:-}}"'
    base = {k: v for k, v in os.environ.items() if k not in ("TF_CLI_CONFIG_FILE", "PLATFORM_REGISTRY_REACHABLE")}
    res = subprocess.run(["bash", "-c", script], env=base | {"PLATFORM_OPENTOFU_CACHE": str(cache), **env},
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    return res.stdout, res.stderr


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    (tmp_path / "mirror.tfrc").write_text('provider_installation {\n  direct {}\n}\n')
    return tmp_path


def test_offline_runs_use_the_mirror_config(cache: Path) -> None:
    config, said = cli_config_after(cache, PLATFORM_REGISTRY_REACHABLE="no")
    assert config == str(cache / "mirror.tfrc")
    assert "registry is unreachable" in said and str(cache / "mirror.tfrc") in said


def test_online_runs_keep_the_registry(cache: Path) -> None:
    assert cli_config_after(cache, PLATFORM_REGISTRY_REACHABLE="yes") == ("", "")


def test_the_users_own_cli_config_wins(cache: Path, tmp_path: Path) -> None:
    own = tmp_path / "mine.tfrc"
    own.write_text("plugin_cache_dir = \"/tmp\"\n")
    assert cli_config_after(cache, PLATFORM_REGISTRY_REACHABLE="no", TF_CLI_CONFIG_FILE=str(own))[0] == str(own)


def test_a_cli_config_path_that_does_not_exist_is_not_a_choice(cache: Path, tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such.tfrc")  # e.g. TF_CLI_CONFIG_FILE=~/.terraformrc on a machine without one
    assert cli_config_after(cache, PLATFORM_REGISTRY_REACHABLE="no", TF_CLI_CONFIG_FILE=missing)[0] == str(
        cache / "mirror.tfrc")


def test_no_mirror_built_means_no_change(tmp_path: Path) -> None:
    assert cli_config_after(tmp_path, PLATFORM_REGISTRY_REACHABLE="no") == ("", "")
