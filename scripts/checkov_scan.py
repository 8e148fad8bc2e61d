#!/usr/bin/env python3
"""Run checkov (offline) over synthesized stacks: ``scripts/checkov_scan.py [OUTDIR]`` (default cdktf.out).

checkov's terraform_json parser rejects two things cdktf writes, so each stack is copied, in a
temp dir, without cdktf's ``"//"`` metadata and without ``terraform.required_version`` (a string
where it expects a block). Nothing else is changed. Exit status: 0 when no check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHECKOV = REPO / ".venv-tools" / "bin" / "checkov"


def strip_metadata(node):
    if isinstance(node, dict):
        return {key: strip_metadata(value) for key, value in node.items() if key != "//"}
    if isinstance(node, list):
        return [strip_metadata(item) for item in node]
    return node


def prepare(outdir: Path, target: Path) -> list[str]:
    names = []
    for path in sorted((outdir / "stacks").glob("*/cdk.tf.json")):
        stack = strip_metadata(json.loads(path.read_text()))
        stack.get("terraform", {}).pop("required_version", None)
        (target / path.parent.name).mkdir()
        (target / path.parent.name / "main.tf.json").write_text(json.dumps(stack))
        names.append(path.parent.name)
    return names


def scan(outdir: Path) -> dict:
    if not CHECKOV.exists():
        raise SystemExit("checkov_scan: .venv-tools is missing; run `scripts/setup.sh --with-tools`")
    with tempfile.TemporaryDirectory() as tmp:
        names = prepare(outdir, Path(tmp))
        if not names:
            raise SystemExit(f"checkov_scan: no stacks under {outdir}/stacks (synthesize first)")
        proc = subprocess.run(
            [str(CHECKOV), "--config-file", str(REPO / ".checkov.yaml"), "-d", tmp, "-o", "json"],
            capture_output=True,
            text=True,
            env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        )
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise SystemExit(f"checkov_scan: checkov failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}") from None
    reports = report if isinstance(report, list) else [report]
    summary = {"stacks": names, "passed": 0, "failed": [], "skipped": 0, "parsing_errors": []}
    for item in reports:
        results = item.get("results", {})
        summary["passed"] += len(results.get("passed_checks", []))
        summary["skipped"] += len(results.get("skipped_checks", []))
        summary["parsing_errors"] += results.get("parsing_errors", [])
        summary["failed"] += [
            f"{f['check_id']} {f['check_name']}: {Path(f['file_path']).parent.name} {f['resource']}"
            for f in results.get("failed_checks", [])
        ]
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", nargs="?", default=str(REPO / "cdktf.out"))
    summary = scan(Path(parser.parse_args().outdir))
    print(
        f"checkov: {len(summary['stacks'])} stacks, {summary['passed']} passed, {len(summary['failed'])} failed, "
        f"{summary['skipped']} skipped, {len(summary['parsing_errors'])} parsing errors"
    )
    for line in summary["failed"] + [f"parsing error: {p}" for p in summary["parsing_errors"]]:
        print(f"  - {line}")
    return 1 if summary["failed"] or summary["parsing_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
