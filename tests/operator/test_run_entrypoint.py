"""The README's synth command, as a user types it: `./run synth` (and its early error)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("APP_ENV", "MAKEFLAGS", "MAKELEVEL")}
    return subprocess.run(["./run", *args], cwd=REPO, env={**base, **env}, capture_output=True, text=True)


def test_run_synth_writes_the_dev_platform_by_default(tmp_path):
    out = tmp_path / "cdktf.out"
    result = run("synth", env={"CDKTF_OUTDIR": str(out)})
    assert result.returncode == 0, result.stderr
    assert "end-of-life" not in result.stderr and "!!!" not in result.stderr, "jsii printed a Node banner"
    assert sorted(p.parent.name for p in out.glob("stacks/*/cdk.tf.json")) == [
        "dev-apps", "dev-data", "dev-infra", "dev-metrics"
    ]


def test_run_synth_refuses_an_unknown_env(tmp_path):
    result = run("synth", env={"CDKTF_OUTDIR": str(tmp_path / "out"), "APP_ENV": "staging"})
    assert result.returncode != 0 and "Valid values: dev, prod" in result.stderr
    assert not (tmp_path / "out").exists()
