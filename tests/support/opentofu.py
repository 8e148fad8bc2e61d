"""Running the real OpenTofu over synthesized stacks (tests/opentofu).

``scripts/install-opentofu.sh`` (run by ``make test`` through ``scripts/setup.sh --with-opentofu``)
finds or builds tofu and lays out a provider mirror; ``--print`` tells where. Every tofu run here
uses that mirror's CLI config, so nothing goes to the network.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from platform_constructs import secret_catalog as catalog
from support.synth import REPO

INSTALLER = REPO / "scripts" / "install-opentofu.sh"
PROBE = "terraform_data.encryption_probe"


@functools.cache
def _installed() -> str:
    res = subprocess.run([str(INSTALLER), "--print"], cwd=REPO, capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise AssertionError(f"OpenTofu is not set up: {res.stderr.strip()}\n"
                             "run scripts/setup.sh --with-opentofu (make test does)")
    return res.stdout


def opentofu_setup() -> dict[str, Any]:
    """What the installer found or built for the current pins; fails with the fix when it never ran.

    The one way every test finds OpenTofu (tests/opentofu, and tofu_expr for tests/secrets): the
    tofu of the set-up `make test` runs, never a second lookup on PATH that CI could miss.
    """
    return json.loads(_installed())


def tofu_binary() -> str:
    """The set-up's tofu; fails (never skips) with the fix when the set-up did not run."""
    return opentofu_setup()["tofu"]


@functools.cache
def tofu_installed() -> bool:
    try:
        _installed()
    except AssertionError:
        return False
    return True


def tofu_env(setup: dict[str, Any], **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "TOFU_"))}
    return keep | {
        "TF_CLI_CONFIG_FILE": setup["test_cli_config"],
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        **extra,
    }


def tofu(setup: dict[str, Any], cwd: Path, *args: str, env: dict[str, str] | None = None,
         timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([setup["tofu"], *args, "-no-color"], cwd=cwd, env=env or tofu_env(setup),
                          capture_output=True, text=True, timeout=timeout)


def output(res: subprocess.CompletedProcess[str]) -> str:
    return f"exit {res.returncode}\n{res.stdout}\n{res.stderr}"


def parallel(func: Any, items: list[Any]) -> list[Any]:
    """tofu is mostly waiting on its plugins: two threads per core keep both cores busy."""
    with ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 1)) as pool:
        return list(pool.map(func, items))


def secret_values(stack: dict[str, Any]) -> dict[str, str]:
    """Every variable of the stack without a default (the secrets the wrapper would provide), with
    its catalog entry's example value: the one value per secret that meets its rules (an
    uncatalogued variable is a KeyError naming the fix)."""
    return {name: catalog.lookup(name).example_value()
            for name, var in stack.get("variable", {}).items() if "default" not in var}


def stack_env(stack_name: str) -> str:
    return stack_name.split("-", 1)[0]


def provider_types(stack: dict[str, Any]) -> list[str]:
    return sorted(stack["terraform"].get("required_providers", {}))


def tftest_hcl(stack_name: str, stack: dict[str, Any]) -> str:
    """A plan run and an apply run with every provider mocked and the test secrets set."""
    lines = [f'mock_provider "{p}" {{}}' for p in provider_types(stack)]
    values = {"app_env": stack_env(stack_name), **secret_values(stack)}
    lines.append("variables {")
    lines += [f"  {name} = {catalog.hcl_string(value)}" for name, value in sorted(values.items())]
    lines.append("}")
    lines += ['run "plan" {', "  command = plan", "}", 'run "apply" {', "  command = apply", "}"]
    return "\n".join(lines) + "\n"


def prevent_destroy_off(stack: dict[str, Any]) -> dict[str, Any] | None:
    """Override that lets `tofu test` destroy what it applied: prevent_destroy would fail its clean-up."""
    guarded = {
        rtype: {name: {"lifecycle": {"prevent_destroy": False}} for name, r in resources.items()
                if r.get("lifecycle", {}).get("prevent_destroy")}
        for rtype, resources in stack.get("resource", {}).items()
    }
    guarded = {k: v for k, v in guarded.items() if v}
    return {"resource": guarded} if guarded else None


def write_stack(dest: Path, stack: dict[str, Any]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "cdk.tf.json").write_text(json.dumps(stack, indent=2))
    return dest


def copy_stack(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "tests"))
    return dest
