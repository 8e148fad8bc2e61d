"""The operator's command line: every script's --help / bad-argument contract, and the Makefile flows.

* Every entry point under ``bin/`` and ``scripts/`` (found by listing the folders, so a new script
  is covered without editing this file) answers ``--help`` with exit 0 and a usage text, and
  refuses ``--bogus`` with its own message and a non-zero exit. Neither may have side effects:
  stand-ins for the package tools (apt-get, sudo, pip, ...) record any call, and HOME is empty.
* ``make help`` lists the operator targets; ``make destroy`` refuses prod without ``CONFIRM``
  before running anything; ``make plan`` runs tofu (a stand-in) over the four dev stacks in
  order with real age keys and sops, on a copy of the session's synthesized output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "secrets"))  # secrets_kit (tests/secrets is not a package)
from secrets_kit import FAKE_TOFU, SOPS, copy_repo, fake_values, make_key, tfsecrets  # noqa: E402

SCRIPT_DIRS = ("bin", "scripts")
DEV_ORDER = ["dev-infra", "dev-data", "dev-metrics", "dev-apps"]
OPERATOR_TARGETS = ("synth", "test", "doctor", "plan", "apply", "destroy", "bench", "docs", "checkov")
SETUP_STAMP = ".venv/.lock.sha256"
"""Prerequisite of the deploy targets; ``make -o`` keeps a test from ever re-running setup.sh."""
# Anything a --help run must never call: the OS package tools and pip (setup/install scripts).
OBSERVED_TOOLS = ("apt-get", "apt", "sudo", "systemctl", "service", "pip", "pip3", "doctl", "tofu", "kubectl")
OBSERVER = """#!/bin/sh
echo "$(basename "$0") $*" >> "$OBSERVER_LOG"
exit 0
"""


# --------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------


def _is_python(path: Path) -> bool:
    if path.suffix == ".py":
        return True
    with path.open("rb") as handle:
        return b"python" in handle.readline()


def entry_points() -> list[Path]:
    """Executable files directly under bin/ and scripts/, plus scripts/lib/*.py modules with a CLI."""
    found = [
        path
        for folder in SCRIPT_DIRS
        for path in sorted((REPO / folder).iterdir())
        if path.is_file() and os.access(path, os.X_OK)
    ]
    # scripts/lib holds sourced/imported helpers; a module there counts only if it has a CLI.
    found += [
        path
        for path in sorted((REPO / "scripts" / "lib").glob("*.py"))
        if re.search(r"^if __name__ == [\"']__main__[\"']:", path.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    return found


SCRIPTS = entry_points()


def test_discovery_finds_the_known_entry_points():
    names = {p.relative_to(REPO).as_posix() for p in SCRIPTS}
    for expected in ("bin/age-init.sh", "bin/sops-encrypt.sh", "scripts/tofu-secrets.sh", "scripts/setup.sh",
                     "scripts/install-db-servers.sh", "scripts/doctor.py", "scripts/lib/tfsecrets.py"):
        assert expected in names, f"{expected} not discovered (is it still executable?)"
    assert "scripts/lib/common.sh" not in names, "sourced helpers are not entry points"


# --------------------------------------------------------------------------------------
# --help and an unknown argument
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quiet_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment whose package tools are observers and whose HOME is empty and private."""
    root = tmp_path_factory.mktemp("cli")
    fakebin = root / "fakebin"
    fakebin.mkdir()
    for tool in OBSERVED_TOOLS:
        (fakebin / tool).write_text(OBSERVER)
        (fakebin / tool).chmod(0o755)
    (root / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS", "SOPS_", "KUBECONFIG"))}
    env |= {
        "PATH": f"{fakebin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(root / "home"),
        "XDG_CONFIG_HOME": str(root / "home" / ".config"),
        "OBSERVER_LOG": str(root / "observed.log"),
        "PYTHON": str(fakebin / "pip"),  # setup.sh's interpreter: any use of it is recorded
        "LANG": "C.UTF-8",
    }
    return env


def run_script(path: Path, arg: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(path)] if _is_python(path) else [str(path)]
    return subprocess.run([*cmd, arg], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def _names(path: Path) -> tuple[str, ...]:
    """How a script may name itself: file name, stem (argparse ``prog``), repo-relative path."""
    return (path.name, path.stem, path.relative_to(REPO).as_posix())


def _no_side_effects(env: dict[str, str]) -> None:
    log = Path(env["OBSERVER_LOG"])
    called = log.read_text() if log.exists() else ""
    log.unlink(missing_ok=True)
    assert called == "", f"must not call package/cluster tools, but called:\n{called}"
    home = Path(env["HOME"])
    created = sorted(home.rglob("*"))
    shutil.rmtree(home)
    home.mkdir()
    assert created == [], f"must not write anything under HOME, but created {created}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_help_exits_0_with_a_usage_text(script: Path, quiet_env: dict[str, str]) -> None:
    res = run_script(script, "--help", quiet_env)
    rel = script.relative_to(REPO).as_posix()
    assert res.returncode == 0, f"{rel} --help: exit {res.returncode}\n{res.stderr}"
    out = res.stdout
    assert len(out.strip().splitlines()) >= 1 and any(n in out for n in _names(script)), (
        f"{rel} --help must print a usage text on stdout naming the script, got:\n{out}"
    )
    assert re.search(r"usage", out, re.IGNORECASE) or rel in out, f"{rel} --help shows no usage/synopsis line:\n{out}"
    _no_side_effects(quiet_env)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_unknown_argument_fails_with_the_scripts_own_message(script: Path, quiet_env: dict[str, str]) -> None:
    res = run_script(script, "--bogus", quiet_env)
    rel = script.relative_to(REPO).as_posix()
    assert res.returncode != 0, f"{rel} --bogus: accepted an unknown argument (exit 0)\n{res.stdout}{res.stderr}"
    err = res.stderr
    assert "Traceback" not in err, f"{rel} --bogus: crashed instead of a usage error:\n{err}"
    first = err.strip().splitlines()[0] if err.strip() else ""
    assert any(n in err for n in _names(script)), (
        f"{rel} --bogus: the error on stderr must come from the script itself (name it), got:\n{err}"
    )
    assert "--bogus" in err or re.search(r"usage|--help|argument", err, re.IGNORECASE), (
        f"{rel} --bogus: the message must name the bad argument or point to the usage, got: {first!r}"
    )
    _no_side_effects(quiet_env)


# --------------------------------------------------------------------------------------
# The Makefile
# --------------------------------------------------------------------------------------


def make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def test_make_help_lists_the_operator_targets(quiet_env: dict[str, str]) -> None:
    res = make("help", env=quiet_env)
    assert res.returncode == 0, res.stderr
    listed = set(re.findall(r"^\s*make (\S+)", res.stdout, re.MULTILINE))
    missing = [t for t in OPERATOR_TARGETS if t not in listed]
    assert not missing, f"make help does not list {missing}:\n{res.stdout}"


def test_make_deploy_targets_wrap_the_secrets_wrapper(quiet_env: dict[str, str]) -> None:
    for target, stack in (("plan", "infra"), ("apply", "data")):
        res = make("-n", "-o", SETUP_STAMP, target, f"STACK={stack}", env={**quiet_env, "APP_ENV": "dev"})
        assert res.returncode == 0, res.stderr
        assert f"scripts/tofu-secrets.sh --stack {stack} {target}" in res.stdout, res.stdout
    res = make("-n", "-o", SETUP_STAMP, "plan", env={**quiet_env, "APP_ENV": "dev"})
    assert re.search(r"scripts/tofu-secrets.sh +plan", res.stdout), "without STACK every stack runs"


@pytest.mark.parametrize("confirm", [None, "yes"])
def test_make_destroy_refuses_prod_without_confirm(quiet_env: dict[str, str], confirm: str | None) -> None:
    env = {k: v for k, v in quiet_env.items() if k not in ("CONFIRM", "STACK")} | {"APP_ENV": "prod"}
    if confirm:
        env["CONFIRM"] = confirm
    res = make("-o", SETUP_STAMP, "destroy", env=env)
    assert res.returncode != 0, "make destroy ran against prod without CONFIRM=destroy-prod"
    assert "refusing to destroy prod" in res.stderr and "CONFIRM=destroy-prod" in res.stderr, res.stderr
    _no_side_effects(quiet_env)  # the tofu stand-in was never called: the wrapper did not start


# Each value would run a command or reach the wrapper's arguments if make handed it to a shell.
HOSTILE_MAKE_VARS = [
    ("plan", {"STACK": "infra; touch {pwned}"}, "STACK="),
    ("plan", {"STACK": "$(shell touch {pwned})"}, "STACK="),
    ("plan", {"STACK": "`touch {pwned}`"}, "STACK="),
    ("plan", {"STACK": "infra prod-infra"}, "STACK="),
    ("plan", {"STACK": "%"}, "STACK="),
    ("plan", {"STACK": "x$$(touch {pwned})"}, "STACK="),
    # the reported bypass: a dev destroy whose STACK runs a second, unguarded prod destroy
    ("destroy", {"APP_ENV": "dev", "STACK": "infra destroy; APP_ENV=prod scripts/tofu-secrets.sh"}, "STACK="),
    ("destroy", {"APP_ENV": 'prod" ] && false; [ "x'}, "APP_ENV="),
    ("destroy", {"APP_ENV": "prod", "CONFIRM": 'destroy-prod" ] || [ "'}, "CONFIRM=destroy-prod"),
    ("apply", {"APP_ENV": "$(shell touch {pwned})"}, "APP_ENV="),
    ("apply", {"APP_ENV": "dev prod"}, "APP_ENV="),
]


@pytest.mark.parametrize("target, variables, named", HOSTILE_MAKE_VARS)
@pytest.mark.parametrize("via", ["command line", "environment"])
def test_make_refuses_hostile_variables_before_any_shell(quiet_env: dict[str, str], tmp_path: Path, target: str,
                                                          variables: dict[str, str], named: str, via: str) -> None:
    pwned = tmp_path / "PWNED"
    values = {k: v.replace("{pwned}", str(pwned)) for k, v in variables.items()}
    env = {k: v for k, v in quiet_env.items() if k not in ("STACK", "CONFIRM", "APP_ENV")}
    args = ["-o", SETUP_STAMP, target]
    if via == "command line":
        args += [f"{k}={v}" for k, v in values.items()]
    else:
        env |= values
    res = make(*args, env=env)
    assert res.returncode != 0, f"make {target} accepted {values}:\n{res.stdout}{res.stderr}"
    assert named in res.stderr and "Makefile" in res.stderr, f"make must name the bad variable:\n{res.stderr}"
    assert not pwned.exists(), f"make ran a command from {values}"
    _no_side_effects(quiet_env)


def test_make_keeps_a_hostile_app_env_literal_for_every_target(quiet_env: dict[str, str], tmp_path: Path) -> None:
    """`export APP_ENV` would expand a command-line `$(shell ...)` for any target, `make help` included."""
    pwned = tmp_path / "PWNED"
    res = make("help", f"APP_ENV=$(shell touch {pwned})", env=quiet_env)
    assert res.returncode == 0 and not pwned.exists(), res.stderr


@pytest.fixture
def dev_run(tmp_path: Path, synthesized: Path, quiet_env: dict[str, str]) -> dict[str, str]:
    """Env for one real `make plan` in a copy of the repo's Makefile and scripts (stacks find the
    repo as ../../.., so the output folder must sit in it): own HOME and age key, encrypted fake
    secrets, the session's synthesized stacks, a tofu stand-in."""
    root = tmp_path / "repo"
    outdir = copy_repo(root, synthesized)
    future = time.time() + 3600  # fresher than any source someone edits meanwhile: the wrapper never re-synthesizes
    for path in [outdir / "manifest.json", *outdir.glob("stacks/*/cdk.tf.json")]:
        os.utime(path, (future, future))
    for stack_dir in (outdir / "stacks").iterdir():
        (stack_dir / ".terraform").mkdir()  # as if initialized: one tofu call per stack
    fakebin = tmp_path / "fakebin"
    fakebin.mkdir()
    (fakebin / "tofu").write_text(FAKE_TOFU.replace("{python}", sys.executable, 1))
    (fakebin / "tofu").chmod(0o755)
    home = tmp_path / "home"
    key = make_key(home / ".config" / "sops" / "age" / "keys.txt")
    env = {k: v for k, v in quiet_env.items() if k not in ("STACK", "CONFIRM", "PYTHON", "CDKTF_OUTDIR")} | {
        "PATH": f"{fakebin}:{quiet_env['PATH']}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "SOPS_AGE_KEY_FILE": str(key.path),
        "SECRETS_FILE": str(tmp_path / "secrets.tfvars.enc"),
        "FAKE_TOFU_LOG": str(tmp_path / "tofu.log"),
        "SOPS_DISABLE_VERSION_CHECK": "1",
        "APP_ENV": "dev",
        "REPO_COPY": str(root),
    }
    names = set().union(*(n for e in ("dev", "prod") for n in tfsecrets.secrets_by_stack(outdir, e).values()))
    plain = tmp_path / "secrets.tfvars"
    plain.write_text(tfsecrets.render_tfvars(fake_values(names)))
    assert SOPS.exists(), "run scripts/setup.sh: the venv carries sops"
    enc = subprocess.run(
        [str(root / "bin" / "sops-encrypt.sh"), "--no-synth", str(plain), env["SECRETS_FILE"]],
        cwd=tmp_path, env={**env, "SOPS_AGE_RECIPIENTS": key.public}, capture_output=True, text=True, timeout=60,
    )
    assert enc.returncode == 0, enc.stderr
    plain.unlink()
    return env


def test_make_plan_runs_tofu_over_the_dev_stacks_in_order(dev_run: dict[str, str]) -> None:
    res = subprocess.run(["make", "--no-print-directory", "-o", SETUP_STAMP, "plan"], cwd=dev_run["REPO_COPY"],
                         env=dev_run, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "synthesizing" not in res.stderr, "the fresh outdir copy must be used as is"
    log = Path(dev_run["FAKE_TOFU_LOG"])
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    plans = [c for c in calls if c["args"][:1] == ["plan"]]
    assert [c["stack"] for c in plans] == DEV_ORDER, "make plan runs every dev stack in apply order"
    outdir = Path(dev_run["REPO_COPY"]) / "cdktf.out"
    declared = tfsecrets.secrets_by_stack(outdir, "dev")
    for c in plans:
        assert Path(c["cwd"]) == outdir / "stacks" / c["stack"]
        assert c["app_env"] == "dev" and c["mode"] == "0o600"
        assert set(c["secrets"]) == declared[c["stack"]], "each stack gets exactly its own secrets"
    summary = res.stderr[res.stderr.index("summary:"):]
    assert [line.split()[-1] for line in summary.splitlines()[1:5]] == DEV_ORDER, summary
    assert all(line.split()[1] == "ok" for line in summary.splitlines()[1:5]), summary
    assert "done: tofu plan on 4 stack(s) of dev" in res.stderr
    assert list(outdir.rglob(".secrets.auto.tfvars*")) == [], "no decrypted file survives the run"


def test_make_plan_takes_the_provider_mirror_when_the_registry_is_unreachable(dev_run: dict[str, str], tmp_path: Path) -> None:
    """scripts/install-opentofu.sh's mirror.tfrc reaches every per-stack tofu run (tests/opentofu tests the rule)."""
    cache = tmp_path / "opentofu-cache"
    cache.mkdir()
    (cache / "mirror.tfrc").write_text("provider_installation {\n  direct {}\n}\n")
    spy = tmp_path / "spy"
    spy.mkdir()
    seen = tmp_path / "cli-config.log"
    fake = Path(dev_run["PATH"].split(":", 1)[0]) / "tofu"
    (spy / "tofu").write_text(f'#!/bin/sh\necho "$1 ${{TF_CLI_CONFIG_FILE:-none}}" >> "{seen}"\nexec "{fake}" "$@"\n')
    (spy / "tofu").chmod(0o755)
    env = dev_run | {"PATH": f"{spy}:{dev_run['PATH']}", "PLATFORM_OPENTOFU_CACHE": str(cache),
                     "PLATFORM_REGISTRY_REACHABLE": "no"}
    res = make("-o", SETUP_STAMP, "plan", "STACK=infra", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    runs = seen.read_text().splitlines()
    assert f"plan {cache / 'mirror.tfrc'}" in runs, runs
