"""`python main.py`: env selection and early errors, without paying for jsii."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_main(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True
    )


def test_unknown_app_env_fails_fast_with_the_valid_values(tmp_path):
    started = time.monotonic()
    result = run_main("--outdir", str(tmp_path / "out"), env={"APP_ENV": "staging"})
    elapsed = time.monotonic() - started
    assert result.returncode == 2
    assert "APP_ENV='staging'" in result.stderr and "Valid values: dev, prod" in result.stderr
    assert not (tmp_path / "out").exists(), "nothing may be written for an invalid APP_ENV"
    # No jsii start-up happened (it costs seconds); generous bound, not a benchmark.
    assert elapsed < 3, f"main.py took {elapsed:.1f}s to reject APP_ENV: jsii was started"


def test_bad_local_override_fails_before_synth(tmp_path):
    result = run_main("--outdir", str(tmp_path / "out"), env={"APP_ENV": "dev", "ROOT_DOMAIN": "nope"})
    assert result.returncode == 2
    assert "root_domain" in result.stderr


def test_cdktf_json_app_command_writes_the_stacks(tmp_path):
    """`cdktf synth` runs cdktf.json's "app" from the repo root with CDKTF_OUTDIR set: do exactly that."""
    import json
    import shlex

    app = json.loads((REPO / "cdktf.json").read_text())["app"]
    outdir = tmp_path / "cdktf.out"
    result = subprocess.run(
        shlex.split(app), cwd=REPO, env={**os.environ, "CDKTF_OUTDIR": str(outdir), "APP_ENV": "prod"},
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "end-of-life" not in result.stderr and "!!!" not in result.stderr, "jsii printed a Node banner"
    stacks = sorted(p.parent.name for p in outdir.glob("stacks/*/cdk.tf.json"))
    assert stacks == sorted(f"prod-{layer}" for layer in ("cluster", "infra", "data", "metrics", "apps"))
