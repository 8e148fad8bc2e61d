"""``make drill`` / scripts/drill.py: runs each engine's drill as a Job from its CronJob, on the
env's own kubeconfig and context (checked with --dry-run: no cluster here)."""

from __future__ import annotations

import subprocess
import sys

from support.synth import REPO


def drill(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "scripts" / "drill.py"), *args],
                          capture_output=True, text=True, check=False, cwd=REPO)


def test_drill_creates_a_job_from_each_cronjob_on_the_envs_context():
    result = drill("--env", "prod", "--dry-run")
    assert result.returncode == 0, result.stderr
    creates = [line for line in result.stdout.splitlines() if " create job " in line]
    assert len(creates) == 2, result.stdout
    for engine, line in zip(("postgres", "mariadb"), creates, strict=True):
        assert "--context=do-fra1-ffe-k8s" in line and " -n data " in line, line
        assert f"--from=cronjob/{engine}-restore-drill {engine}-restore-drill-manual-" in line, line


def test_drill_one_engine_and_bad_env():
    result = drill("--env", "dev", "--engine", "mariadb", "--dry-run")
    assert result.returncode == 0 and "postgres" not in result.stdout and "--context=minikube" in result.stdout
    bad = drill("--env", "staging", "--dry-run")
    assert bad.returncode == 2 and "staging" in bad.stderr


def test_make_drill_is_a_listed_target():
    makefile = (REPO / "Makefile").read_text()
    assert "\ndrill: " in makefile and "scripts/drill.py" in makefile
