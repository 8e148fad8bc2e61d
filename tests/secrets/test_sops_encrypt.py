"""bin/sops-encrypt.sh and the sops.yaml policy, with real sops and real age keys."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from secrets_kit import SOPS, Sandbox, fake_values, make_key, tfsecrets

ENCRYPT = "bin/sops-encrypt.sh"


def recipients(box: Sandbox, name: str = "secrets.tfvars.enc") -> set[str]:
    return {a["recipient"] for a in json.loads((box.root / name).read_text())["sops"]["age"]}


def test_policy_recipients_plus_env_addition(sandbox: Sandbox, tmp_path: Path) -> None:
    """sops.yaml really applies (team + break-glass), and SOPS_AGE_RECIPIENTS adds to it."""
    box = sandbox
    team = make_key(tmp_path / "team.txt")
    glass = make_key(tmp_path / "break-glass.txt")
    box.write_policy(team.public, glass.public)
    values = fake_values(box.all_secret_names())
    res = box.encrypt_values(values, box.keys["me"].public)
    assert res.returncode == 0, res.stderr
    assert recipients(box) == {team.public, glass.public, box.keys["me"].public}
    for key in (team, glass, box.keys["me"]):
        dec = box.decrypt(key)
        assert dec.returncode == 0, dec.stderr
        assert json.loads(dec.stdout) == values, "every recipient decrypts the same values"
    doc = json.loads((box.root / "secrets.tfvars.enc").read_text())
    assert all(doc[n].startswith("ENC[AES256_GCM,") for n in values), "each value encrypted, names readable"


def test_policy_alone_is_enough(sandbox: Sandbox, tmp_path: Path) -> None:
    team = make_key(tmp_path / "team.txt")
    sandbox.write_policy(team.public)
    res = sandbox.encrypt_values(fake_values(sandbox.all_secret_names()), "")
    assert res.returncode == 0, res.stderr
    assert recipients(sandbox) == {team.public}, "without SOPS_AGE_RECIPIENTS, exactly the sops.yaml list"


def test_updatekeys_after_adding_and_removing_a_recipient(sandbox: Sandbox, tmp_path: Path) -> None:
    """The re-keying command documented in docs/secrets.md and sops.yaml."""
    box = sandbox
    me, newcomer = box.keys["me"], make_key(tmp_path / "newcomer.txt")
    box.write_policy(me.public)
    values = fake_values(box.all_secret_names())
    assert box.encrypt_values(values, "").returncode == 0
    assert box.decrypt(newcomer).returncode != 0, "not a recipient yet"

    box.write_policy(me.public, newcomer.public)
    cmd = [str(SOPS), "--config", "sops.yaml", "updatekeys", "--input-type", "json", "-y", "secrets.tfvars.enc"]
    res = box.run(*cmd, env=box.only_key(me))
    assert res.returncode == 0, res.stderr
    assert recipients(box) == {me.public, newcomer.public}
    assert json.loads(box.decrypt(newcomer).stdout) == values, "the newcomer decrypts after updatekeys"

    box.write_policy(newcomer.public)
    assert box.run(*cmd, env=box.only_key(newcomer)).returncode == 0
    assert recipients(box) == {newcomer.public}
    assert box.decrypt(me).returncode != 0, "a removed recipient can no longer decrypt the file"


def _assert_refused(box: Sandbox, res: subprocess.CompletedProcess, *needles: str) -> None:
    assert res.returncode != 0, res.stderr
    for needle in needles:
        assert needle in res.stderr, f"expected {needle!r} in: {res.stderr}"
    assert not (box.root / "secrets.tfvars.enc").exists(), "no output on refusal"
    assert [p.name for p in box.root.iterdir() if p.name.startswith(".secrets.tfvars.enc")] == []
    assert list(Path(box.env["TMPDIR"]).iterdir()) == [], "no temporary copies"


def test_no_recipient(sandbox: Sandbox) -> None:
    res = sandbox.encrypt_values(fake_values(sandbox.all_secret_names()), "")
    _assert_refused(sandbox, res, "no recipient", "bin/age-init.sh")


def test_missing_input(sandbox: Sandbox) -> None:
    res = sandbox.run(ENCRYPT, "--no-synth", "secrets.tfvars", "secrets.tfvars.enc")
    _assert_refused(sandbox, res, "'secrets.tfvars' not found", "cp secrets.tfvars.example secrets.tfvars")


def test_input_tracked_by_git(sandbox: Sandbox) -> None:
    box = sandbox
    (box.root / "secrets.tfvars").write_text('state_passphrase = "x"\n')
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "-f", "secrets.tfvars"]):  # a throw-away repo in tmp
        subprocess.run(git + args, cwd=box.root, check=True, capture_output=True)
    res = box.run(ENCRYPT, "--no-synth", "secrets.tfvars", "secrets.tfvars.enc",
                  env={"SOPS_AGE_RECIPIENTS": box.keys["me"].public})
    _assert_refused(box, res, "tracked by git", "git rm --cached")


def test_missing_and_unknown_names_are_listed(sandbox: Sandbox) -> None:
    names = sorted(sandbox.all_secret_names())
    values = fake_values(set(names[1:]))
    values["not_a_stack_variable"] = "x"
    res = sandbox.encrypt_values(values, sandbox.keys["me"].public)
    _assert_refused(sandbox, res, f"missing (declared by the stacks, absent from 'secrets.tfvars'): {names[0]}",
                    "declared by no stack): not_a_stack_variable")


def test_output_name_outside_the_policy(sandbox: Sandbox) -> None:
    res = sandbox.encrypt_values(fake_values(sandbox.all_secret_names()), sandbox.keys["me"].public, "other.enc")
    assert res.returncode != 0 and "no creation rule for 'other.enc'" in res.stderr, res.stderr


def test_syntax_error_names_the_line(sandbox: Sandbox) -> None:
    (sandbox.root / "secrets.tfvars").write_text('# c\nstate_passphrase = "unterminated\n')
    res = sandbox.run(ENCRYPT, "--no-synth", "secrets.tfvars", "secrets.tfvars.enc",
                      env={"SOPS_AGE_RECIPIENTS": sandbox.keys["me"].public})
    _assert_refused(sandbox, res, "secrets.tfvars:2: unterminated string")


def test_synthesizes_when_output_is_missing(sandbox: Sandbox) -> None:
    """No cdktf.out: the script runs main.py --all-envs (here a stand-in that restores the stacks)."""
    box = sandbox
    saved = box.fake_synthesis(
        "import shutil, sys\n"
        "assert sys.argv[1:3] == ['--all-envs', '--outdir'], sys.argv\n"
        "shutil.copytree(saved, sys.argv[3])\n"
        "print('fake synth')\n"
    )
    (box.root / "secrets.tfvars").write_text(tfsecrets.render_tfvars(fake_values(tfsecrets_names(saved))))
    res = box.run(ENCRYPT, "secrets.tfvars", "secrets.tfvars.enc", env={"SOPS_AGE_RECIPIENTS": box.keys["me"].public})
    assert res.returncode == 0, res.stderr
    assert "synthesizing" in res.stderr and "fake synth" in res.stderr


def tfsecrets_names(outdir: Path) -> set[str]:
    return {n for env in ("dev", "prod") for s in tfsecrets.secrets_by_stack(outdir, env).values() for n in s}


@pytest.mark.parametrize("args", [[], ["a"], ["a", "b", "c"], ["--bogus", "a", "b"]])
def test_bad_arguments(sandbox: Sandbox, args: list[str]) -> None:
    res = sandbox.run(ENCRYPT, *args)
    assert res.returncode == 2 and "--help" in res.stderr, res.stderr


def test_help(sandbox: Sandbox) -> None:
    res = sandbox.run(ENCRYPT, "--help")
    assert res.returncode == 0 and "SOPS_AGE_RECIPIENTS" in res.stdout and "sops.yaml" in res.stdout
