"""Assemble the stacks of one or more environments into a cdktf ``App`` and synthesize them.

``synthesize(["dev", "prod"], outdir)`` builds both environments in one process (one jsii
start-up), which is what the tests and the benchmark use.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from cdktf import App, TerraformStack

from envs import PlatformConfig, load_config
from platform_constructs.apps import AppsStack
from platform_constructs.base.stack import stack_name
from platform_constructs.cluster import ClusterStack
from platform_constructs.data import DataStack
from platform_constructs.infra import InfraStack
from platform_constructs.metrics import MetricsStack
from platform_constructs.posture import POSTURE_RULES
from platform_constructs.rules import RULES, RulesViolation, Waiver, check_stack, unwaived
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
    """Run the rules over the synthesized stacks; raise ``RulesViolation`` naming each offender."""
    findings = []
    checked: list[str] = []
    for config in configs:
        for layer in config.layers:
            name = stack_name(config, layer)
            checked.append(name)
            stack = json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())
            findings += check_stack(config, name, stack, ALL_RULES)
    relevant = [
        w for w in waivers if any(w.stack == s or (w.stack.startswith("*-") and s.endswith(w.stack[1:])) for s in checked)
    ]
    open_findings, stale = unwaived(findings, relevant)
    problems = list(open_findings) + [
        _stale_finding(w) for w in stale if w.stack in checked or _pattern_all_envs_checked(w, configs)
    ]
    if problems:
        raise RulesViolation(problems)


def _pattern_all_envs_checked(waiver: Waiver, configs: Sequence[PlatformConfig]) -> bool:
    return waiver.stack.startswith("*-") and len({c.env for c in configs}) == 2


def _stale_finding(waiver: Waiver):
    from platform_constructs.rules import Finding

    return Finding(waiver.rule, waiver.stack, waiver.resource, f"stale waiver (matches nothing): {waiver.reason}")


def synthesize(configs: Iterable[PlatformConfig | str], outdir: str | Path = "cdktf.out") -> list[PlatformConfig]:
    """Synthesize every stack of the given environments into ``outdir`` and check the rules.

    On a rule violation the offending output is removed, so ``tofu`` can never run it.
    """
    outdir = Path(outdir)
    resolved = [c if isinstance(c, PlatformConfig) else load_config(c) for c in configs]
    app = App(outdir=str(outdir))
    for config in resolved:
        for layer in config.layers:
            shutil.rmtree(outdir / "stacks" / stack_name(config, layer), ignore_errors=True)
        build_env(app, config)
    app.synth()
    try:
        check_rules(resolved, outdir)
    except RulesViolation:
        for config in resolved:
            for layer in config.layers:
                shutil.rmtree(outdir / "stacks" / stack_name(config, layer), ignore_errors=True)
        raise
    return resolved
