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


def test_cdktf_json_runs_main_py_with_the_venv_python():
    """`cdktf synth` runs cdktf.json's "app" from the repo root with CDKTF_OUTDIR set to "output";
    main.py writes there (tests/operator/test_run_entrypoint.py synthesizes through CDKTF_OUTDIR)."""
    import json

    config = json.loads((REPO / "cdktf.json").read_text())
    assert config["app"] == ".venv/bin/python main.py", "the CLI must use the venv (pinned deps, Node 24)"
    assert config["output"] == "cdktf.out" and config["language"] == "python"
    assert not config["terraformProviders"], "prebuilt bindings only: provider entries would trigger `cdktf get`"


def _main_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("main_under_test", REPO / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthesis_removes_plaintext_a_killed_wrapper_run_left(tmp_path, capsys):
    """Re-synthesizing is a run too: it sweeps every stack directory of the checkout, under the
    wrapper's lock (so never while a wrapper run, whose files are live, holds it)."""
    main = _main_module()
    sys.path.insert(0, str(REPO / "scripts" / "lib"))
    import tfsecrets

    left = [tmp_path / out / "stacks" / "dev-data" / ".secrets.auto.tfvars.json" for out in ("cdktf.out", "old.out")]
    for path in left:
        path.parent.mkdir(parents=True)
        path.write_text("{}")
    fd, _ = tfsecrets.lock_checkout(tmp_path, "a wrapper run")
    main.sweep_stale_plaintext(tmp_path, tmp_path / "cdktf.out")
    assert all(p.exists() for p in left), "a live wrapper run's files must stay"
    os.close(fd)
    main.sweep_stale_plaintext(tmp_path, tmp_path / "cdktf.out")
    err = capsys.readouterr().err
    assert not any(p.exists() for p in left)
    assert all(f"main.py: removed {p}" in err for p in left), err
