"""`make bench` completes (a smoke check, as CI runs it: one run per case, no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_benchmark_runs_every_case_and_reports_ratios():
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--runs", "1", "--output", "-"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "×" in line]
    assert [row.split("|")[1].strip() for row in rows] == ["floor", "dev", "prod", "both"], result.stdout
