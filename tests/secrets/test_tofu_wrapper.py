"""scripts/tofu-secrets.sh with real sops, real age keys and a stand-in tofu."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from secrets_kit import Sandbox, make_key
from support.opentofu import opentofu_setup

WRAPPER = "scripts/tofu-secrets.sh"
ORDER = {
    "dev": ["dev-infra", "dev-data", "dev-metrics", "dev-apps"],
    "prod": ["prod-cluster", "prod-infra", "prod-data", "prod-metrics", "prod-apps"],
}
SPACES = {"AWS_ACCESS_KEY_ID": "fake-id", "AWS_SECRET_ACCESS_KEY": "fake-secret"}


def commands(box: Sandbox, sub: str = "plan") -> list[dict]:
    return [c for c in box.tofu_calls() if c["args"][:1] == [sub]]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_runs_every_stack_in_apply_order_with_only_its_secrets(encrypted: Sandbox, env: str) -> None:
    box = encrypted
    res = box.run(WRAPPER, "plan", "-no-color", env={"APP_ENV": env, **SPACES})
    assert res.returncode == 0, res.stderr
    calls = commands(box)
    assert [c["stack"] for c in calls] == ORDER[env], "stacks must run in the manifest's dependency order"
    declared = box.declared(env)
    for c in calls:
        assert c["args"] == ["plan", "-no-color"], "tofu arguments are passed through unchanged"
        assert Path(c["cwd"]) == box.outdir / "stacks" / c["stack"], "tofu runs inside the stack directory"
        assert c["app_env"] == env, "TF_VAR_app_env is exported"
        assert c["mode"] == "0o600", "the decrypted file is private to the user"
        assert set(c["secrets"]) == declared[c["stack"]], "a stack sees exactly the secrets it declares"
        assert "state_passphrase" in c["secrets"], "state encryption needs the passphrase in every stack"
    assert f"[1/{len(ORDER[env])}] {ORDER[env][0]}" in res.stderr, "progress names the stack"
    assert box.leftovers() == [], "no decrypted file survives, and nothing is written to TMPDIR"


@pytest.mark.parametrize("args", [["destroy"], ["plan", "-destroy"], ["apply", "-destroy", "-auto-approve"]])
def test_destroy_runs_in_reverse_apply_order(encrypted: Sandbox, args: list[str]) -> None:
    """Apps go before the data, metrics and infra they depend on."""
    box = encrypted
    res = box.run(WRAPPER, *args, env={"APP_ENV": "prod", **SPACES})
    assert res.returncode == 0, res.stderr
    assert [c["stack"] for c in commands(box, args[0])] == list(reversed(ORDER["prod"]))
    assert box.leftovers() == []


def test_init_runs_once_when_dot_terraform_is_missing(encrypted: Sandbox) -> None:
    box = encrypted
    for name in ("dev-infra", "dev-data"):
        (box.outdir / "stacks" / name / ".terraform").rmdir()
    assert box.run(WRAPPER, "plan").returncode == 0
    assert [c["stack"] for c in commands(box, "init")] == ["dev-infra", "dev-data"], "fresh stack dirs get init"
    assert all(c["args"] == ["init", "-input=false"] for c in commands(box, "init"))
    assert all("state_passphrase" in c["secrets"] for c in commands(box, "init")), "init already needs the passphrase"
    assert box.run(WRAPPER, "--stack", "infra", "plan").returncode == 0
    assert len(commands(box, "init")) == 2, "no second init once .terraform exists"
    assert box.run(WRAPPER, "--stack", "infra", "init", "-upgrade").returncode == 0
    assert commands(box, "init")[-1]["args"] == ["init", "-upgrade"], "an explicit init is not doubled"
    assert len(commands(box, "init")) == 3


def test_a_fresh_stack_initializes_with_the_real_opentofu(encrypted: Sandbox, tmp_path: Path) -> None:
    """The real tofu of the set-up: `tofu init` evaluates the encryption block statically, so it
    needs var.state_passphrase (opentofu v1.12.6 internal/command/meta_config.go rootModuleCall →
    collectVariableValues reads *.auto.tfvars.json); the wrapper writes the stack's secrets file
    before its own init. Control: the same init without that file is refused."""
    setup = opentofu_setup()
    realbin = tmp_path / "realbin"
    realbin.mkdir()
    (realbin / "tofu").symlink_to(setup["tofu"])
    box = encrypted
    stack = box.outdir / "stacks" / "dev-infra"
    (stack / ".terraform").rmdir()
    env = {"PATH": f"{realbin}:{box.env['PATH']}", "TF_CLI_CONFIG_FILE": setup["test_cli_config"]}
    res = box.run(WRAPPER, "--stack", "infra", "validate", "-no-color", env=env)
    assert res.returncode == 0 and "The configuration is valid" in res.stdout, res.stdout + res.stderr
    assert "dev-infra has no .terraform: running tofu init" in res.stderr
    assert box.leftovers() == []

    bare = tmp_path / "bare" / "dev-infra"
    shutil.copytree(stack, bare, ignore=shutil.ignore_patterns(".terraform*"))
    refused = subprocess.run([setup["tofu"], "init", "-input=false", "-no-color"], cwd=bare, capture_output=True,
                             text=True, timeout=120, env={**box.env, **env})
    assert refused.returncode != 0 and "var.state_passphrase" in refused.stdout + refused.stderr, refused.stderr


@pytest.mark.parametrize("flag", [["--stack", "infra"], ["--stack=infra"], ["--stack", "prod-infra"]])
def test_stack_targeting(encrypted: Sandbox, flag: list[str]) -> None:
    box = encrypted
    res = box.run(WRAPPER, *flag, "apply", "-auto-approve", env={"APP_ENV": "prod", **SPACES})
    assert res.returncode == 0, res.stderr
    assert [(c["stack"], c["args"]) for c in commands(box, "apply")] == [("prod-infra", ["apply", "-auto-approve"])]


def test_unknown_stack_lists_the_valid_ones(encrypted: Sandbox) -> None:
    res = encrypted.run(WRAPPER, "--stack", "nope", "plan")
    assert res.returncode != 0
    assert "unknown stack 'nope'" in res.stderr and "infra, data, metrics, apps" in res.stderr, res.stderr
    assert encrypted.tofu_calls() == [] and encrypted.leftovers() == []


def test_stops_at_first_failure_and_cleans_up(encrypted: Sandbox) -> None:
    box = encrypted
    res = box.run(WRAPPER, "plan", env={"FAKE_TOFU_FAIL_ON": "dev-data"})
    assert res.returncode == 1
    assert [c["stack"] for c in commands(box)] == ["dev-infra", "dev-data"], "later stacks must not run"
    assert "tofu failed in dev-data" in res.stderr
    assert box.leftovers() == []


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_cleans_up_and_stops(encrypted: Sandbox, sig: signal.Signals, code: int) -> None:
    """Like Ctrl-C in a terminal: the signal goes to the whole foreground process group."""
    box = encrypted
    env = {**box.env, "FAKE_TOFU_SLEEP_ON": "dev-data"}
    proc = subprocess.Popen([WRAPPER, "plan"], cwd=box.root, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = Path(env["FAKE_TOFU_LOG"] + ".ready")
    deadline = time.monotonic() + 20
    while not ready.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "stand-in tofu never started"
        time.sleep(0.02)
    assert (box.outdir / "stacks/dev-data/.secrets.auto.tfvars.json").exists(), "file present while tofu runs"
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == code, err
    assert "interrupted" in err
    assert [c["stack"] for c in commands(box)] == ["dev-infra", "dev-data"], "no stack runs after the signal"
    assert box.leftovers() == []


def test_sigterm_to_the_wrapper_alone_cleans_up_after_tofu_returns(encrypted: Sandbox) -> None:
    box = encrypted
    env = {**box.env, "FAKE_TOFU_SLEEP_ON": "dev-infra"}
    proc = subprocess.Popen([WRAPPER, "plan"], cwd=box.root, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = Path(env["FAKE_TOFU_LOG"] + ".ready")
    while not ready.exists():
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    # the wrapper waits for the running tofu (never kills it mid-apply); end tofu as a user would
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode in (130, 143), err
    assert [c["stack"] for c in commands(box)] == ["dev-infra"]
    assert box.leftovers() == []


def _assert_refused(box: Sandbox, res: subprocess.CompletedProcess, *needles: str) -> None:
    assert res.returncode != 0, res.stderr
    for needle in needles:
        assert needle in res.stderr, f"expected {needle!r} in: {res.stderr}"
    assert [c for c in box.tofu_calls() if c["args"][:1] != ["version"]] == [], "tofu must not run"
    assert box.leftovers() == [], "nothing may be written"


def test_invalid_app_env(encrypted: Sandbox) -> None:
    res = encrypted.run(WRAPPER, "plan", env={"APP_ENV": "staging"})
    _assert_refused(encrypted, res, "APP_ENV='staging' is invalid", "dev, prod")


def test_missing_encrypted_file(sandbox: Sandbox) -> None:
    res = sandbox.run(WRAPPER, "plan")
    _assert_refused(sandbox, res, "secrets.tfvars.enc' not found", "bin/sops-encrypt.sh secrets.tfvars secrets.tfvars.enc")


def test_missing_key_file(encrypted: Sandbox) -> None:
    res = encrypted.run(WRAPPER, "plan", env={"SOPS_AGE_KEY_FILE": str(encrypted.root / "nokey.txt")})
    _assert_refused(encrypted, res, "nokey.txt' not found", "bin/age-init.sh")


def test_wrong_key(encrypted: Sandbox, tmp_path: Path) -> None:
    other = make_key(tmp_path / "other" / "keys.txt")
    res = encrypted.run(WRAPPER, "plan", env=encrypted.only_key(other))
    _assert_refused(encrypted, res, "is not a recipient", other.public, "updatekeys")


def test_tofu_missing(encrypted: Sandbox) -> None:
    (Path(encrypted.env["PATH"].split(":")[0]) / "tofu").unlink()
    res = encrypted.run(WRAPPER, "plan", env={"PATH": "/usr/bin:/bin"})
    _assert_refused(encrypted, res, "tofu not found", "1.10.0")


@pytest.mark.parametrize("version", ["1.9.1", "1.10.0-beta1"])
def test_tofu_too_old(encrypted: Sandbox, version: str) -> None:
    res = encrypted.run(WRAPPER, "plan", env={"FAKE_TOFU_VERSION": version})
    _assert_refused(encrypted, res, ">= 1.10.0", version)


def test_prod_requires_spaces_credentials(encrypted: Sandbox) -> None:
    res = encrypted.run(WRAPPER, "plan", env={"APP_ENV": "prod", "AWS_SECRET_ACCESS_KEY": "x"})
    _assert_refused(encrypted, res, "AWS_ACCESS_KEY_ID", "Spaces")


def test_missing_secret_for_a_stack_is_named(sandbox: Sandbox) -> None:
    names = sandbox.all_secret_names() - {"state_passphrase"}
    sandbox.encrypt_unchecked({n: "x" for n in names})  # as an older secrets file would be
    res = sandbox.run(WRAPPER, "plan")
    _assert_refused(sandbox, res, "lacks secrets", "dev-infra: state_passphrase")


@pytest.mark.parametrize("args, needle", [([], "no tofu command"), (["--bogus", "plan"], "unknown option '--bogus'"),
                                          (["--stack"], "--stack needs a stack name")])
def test_bad_arguments(encrypted: Sandbox, args: list[str], needle: str) -> None:
    res = encrypted.run(WRAPPER, *args)
    assert res.returncode == 2 and needle in res.stderr and "--help" in res.stderr, res.stderr


def test_help(encrypted: Sandbox) -> None:
    res = encrypted.run(WRAPPER, "--help")
    assert res.returncode == 0 and "--stack" in res.stdout and "APP_ENV" in res.stdout


def test_synthesizes_the_env_when_output_is_missing(encrypted: Sandbox) -> None:
    """No cdktf.out: `APP_ENV=<env> main.py --outdir ...` runs first (a stand-in restoring the stacks)."""
    box = encrypted
    box.fake_synthesis(
        "import os, shutil, sys\n"
        "assert os.environ['APP_ENV'] == 'prod' and sys.argv[1] == '--outdir', sys.argv\n"
        "shutil.copytree(saved, sys.argv[2])\n"
        "print('fake synth prod')\n"
    )
    res = box.run(WRAPPER, "--stack", "cluster", "plan", env={"APP_ENV": "prod", **SPACES})
    assert res.returncode == 0, res.stderr
    assert "synthesizing" in res.stderr and "fake synth prod" in res.stderr
    assert [c["stack"] for c in commands(box)] == ["prod-cluster"]
