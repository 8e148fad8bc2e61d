#!/usr/bin/env python3
"""``make drill``: run the restore drill of each engine now and wait for its verdict.

    APP_ENV=prod make drill                 (or: .venv/bin/python scripts/drill.py --env prod --engine postgres)

Each drill is a Job created from its CronJob (``data/<engine>-restore-drill``, see
``constructs/platform_constructs/data/drill.py``), so it runs exactly what the nightly drill runs;
its result also updates the metrics the alerts read. Prints the drill's last log lines; the exit
status is 1 when a drill fails or does not finish in time. ``--dry-run`` prints the kubectl
commands instead of running them.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "constructs"), str(REPO / "scripts")]

from doctor import _kubeconfig as kubeconfig_path  # noqa: E402  (the same resolution tofu uses)

from envs import ConfigError, load_config, resolve_env  # noqa: E402
from platform_constructs.data.catalog import DATA_NAMESPACE, ENGINES, RESTORE_DRILL_SUFFIX  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default=None, help="dev or prod (default: APP_ENV, else dev)")
    parser.add_argument("--engine", choices=["all", *(e.name for e in ENGINES)], default="all")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds to wait for each drill")
    parser.add_argument("--dry-run", action="store_true", help="print the kubectl commands only")
    args = parser.parse_args(argv)
    try:
        config = load_config(resolve_env(args.env))
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    kubectl = ["kubectl", f"--kubeconfig={kubeconfig_path(config)}", f"--context={config.kube.context}", "-n", DATA_NAMESPACE]
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    failed = []
    for engine in ENGINES:
        if args.engine not in ("all", engine.name):
            continue
        cron = f"{engine.name}-{RESTORE_DRILL_SUFFIX}"
        job = f"{cron}-manual-{stamp}"
        create = [*kubectl, "create", "job", f"--from=cronjob/{cron}", job]
        if args.dry_run:
            print(shlex.join(create))
            print(shlex.join([*kubectl, "get", "job", job, "-o", "jsonpath={.status.conditions}"]))
            continue
        subprocess.run(create, check=True)
        verdict = wait(kubectl, job, args.timeout)
        subprocess.run([*kubectl, "logs", f"job/{job}", "--tail=20"], check=False)
        print(f"drill {cron}: {verdict}")
        if verdict != "Complete":
            failed.append(cron)
    if failed:
        print(f"FAILED: {', '.join(failed)} (docs/runbooks/restore.md, section 4)", file=sys.stderr)
        return 1
    return 0


def wait(kubectl: list[str], job: str, timeout: int) -> str:
    """``Complete``, ``Failed`` or ``timed out``: the Job's terminal condition."""
    deadline = time.monotonic() + timeout
    query = [*kubectl, "get", "job", job, "-o", "jsonpath={range .status.conditions[*]}{.type}={.status} {end}"]
    while time.monotonic() < deadline:
        conditions = subprocess.run(query, capture_output=True, text=True, check=False).stdout.split()
        for terminal in ("Complete", "Failed"):
            if f"{terminal}=True" in conditions:
                return terminal
        time.sleep(5)
    return "timed out"


if __name__ == "__main__":
    sys.exit(main())
