"""Assemble the stacks of one or more environments into a cdktf ``App`` and synthesize them.

``synthesize(["dev", "prod"], outdir)`` builds both environments in one process (one jsii
start-up), which is what the tests and the benchmark use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from cdktf import App, TerraformStack

from envs import PlatformConfig, load_config
from platform_constructs.apps import AppsStack
from platform_constructs.base.stack import stack_name
from platform_constructs.capacity import check_capacity
from platform_constructs.cluster import ClusterStack
from platform_constructs.data import DataStack
from platform_constructs.infra import InfraStack
from platform_constructs.metrics import MetricsStack
from platform_constructs.posture import POSTURE_RULES
from platform_constructs.rules import RULES, Finding, RulesViolation, Waiver, check_stack, unwaived
from platform_constructs.waivers import WAIVERS

ALL_RULES = (*RULES, *POSTURE_RULES)

STACK_CLASSES = {
    "cluster": ClusterStack,
    "infra": InfraStack,
    "data": DataStack,
    "metrics": MetricsStack,
    "apps": AppsStack,
}


def build_env(app: App, config: PlatformConfig) -> list[TerraformStack]:
    """Create the stacks of ``config.env`` in apply order, each depending on the previous one."""
    stacks: list[TerraformStack] = []
    for layer in config.layers:
        stack = STACK_CLASSES[layer](app, config=config)
        if stacks:
            stack.add_dependency(stacks[-1])
        stacks.append(stack)
    return stacks


def check_rules(configs: Sequence[PlatformConfig], outdir: Path, waivers: Sequence[Waiver] = WAIVERS) -> None:
    """Run the rules over each env's synthesized stacks; raise ``RulesViolation`` naming each offender.

    Per environment, a finding needs a waiver that applies to it, and a waiver that applies to the
    environment (its stack exists, its ``when`` switch is on) but matches nothing is reported as stale.
    """
    problems: list[Finding] = []
    for config in configs:
        names = [stack_name(config, layer) for layer in config.layers]
        findings = [
            finding
            for name in names
            for finding in check_stack(config, name, _load_stack(outdir, name), ALL_RULES)
        ]
        open_findings, stale = unwaived(findings, [w for w in waivers if w.applies_to(config, names)])
        problems += open_findings
        problems += [
            Finding(w.rule, w.stack, w.resource, f"stale waiver for {config.env} (matches nothing): {w.reason}") for w in stale
        ]
    if problems:
        raise RulesViolation(problems)


def _load_stack(outdir: Path, name: str) -> dict:
    return json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())


def _remove_outputs(outdir: Path, config: PlatformConfig) -> None:
    """Delete the synthesized JSON of ``config``'s stacks, keeping each stack's ``.terraform/`` and
    ``.terraform.lock.hcl`` (tofu init results) so a re-synth does not force a re-init."""
    for layer in config.layers:
        (outdir / "stacks" / stack_name(config, layer) / "cdk.tf.json").unlink(missing_ok=True)


def synthesize(configs: Iterable[PlatformConfig | str], outdir: str | Path = "cdktf.out") -> list[PlatformConfig]:
    """Synthesize every stack of the given environments into ``outdir`` and check the rules.

    On a rule violation the offending output is removed, so ``tofu`` can never run it.
    """
    outdir = Path(outdir)
    resolved = [c if isinstance(c, PlatformConfig) else load_config(c) for c in configs]
    app = App(outdir=str(outdir))
    for config in resolved:
        _remove_outputs(outdir, config)
        build_env(app, config)
    app.synth()
    try:
        check_rules(resolved, outdir)
    except RulesViolation:
        for config in resolved:
            _remove_outputs(outdir, config)
        raise
    check_capacity(resolved, outdir)  # warns on stderr when the requests do not fit the nodes
    return resolved
