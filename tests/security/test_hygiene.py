"""Secret hygiene: the pre-commit checks, run in CI over the repository, and proven to bite."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECK = REPO / "scripts" / "check-secret-files.sh"
TOOLS = REPO / ".venv-tools" / "bin"


def tracked_files() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()


def test_pre_commit_config_runs_the_checks_this_test_mirrors():
    config = (REPO / ".pre-commit-config.yaml").read_text()
    for hook in ("ruff", "scripts/check-secret-files.sh", "detect-secrets-hook --baseline .secrets.baseline"):
        assert hook in config, f"pre-commit no longer runs {hook}"


def test_no_plaintext_secret_file_is_tracked():
    result = subprocess.run([str(CHECK), "--all"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_detect_secrets_finds_nothing_beyond_the_baseline(tmp_path):
    """Same check as the pre-commit hook, on a copy of the baseline (the hook rewrites line numbers)."""
    baseline = tmp_path / "baseline.json"
    baseline.write_text((REPO / ".secrets.baseline").read_text())
    files = [
        f for f in tracked_files()
        if not f.startswith("tests/__snapshots__/") and not f.endswith(".lock") and f != ".secrets.baseline"
    ]
    result = subprocess.run(
        [str(TOOLS / "detect-secrets-hook"), "--baseline", str(baseline), *files],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    # 0: clean; 3: only the copy's line numbers were refreshed; 1: a secret the baseline does not know.
    assert result.returncode in (0, 3) and "Potential secrets" not in result.stdout, (
        f"detect-secrets found new secrets:\n{result.stdout}{result.stderr}"
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("secrets.tfvars", 'do_token = "dop_v1_real"\n'),
        ("stacks/x/.secrets.auto.tfvars.json", "{}"),
        ("terraform.tfstate", "{}"),
        ("secrets.tfvars.enc", 'do_token = "not encrypted at all"\n'),
        ("notes.txt", "AGE-SECRET-KEY-1" + "Q" * 58 + "\n"),
        (".kube/config", "apiVersion: v1\n"),
    ],
)
def test_the_hook_refuses_each_kind_of_plaintext_secret(tmp_path, name, content):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    result = subprocess.run([str(CHECK), name], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1 and f"refused: {name}" in result.stderr


# Copies editors make of the plaintext next to it (vim swap, backup and undo files, emacs backup,
# auto-save and lock files, nano, merge tools), and other names plaintext ends up under.
EDITOR_COPIES = [
    "secrets.tfvars~", ".secrets.tfvars.swp", ".secrets.tfvars.swo", ".secrets.tfvars.un~", "#secrets.tfvars#",
    ".#secrets.tfvars", "secrets.tfvars.bak", "secrets.tfvars.orig", "secrets.tfvars.save", "secrets.tfvars.tmp",
    "secrets.tfvars.old", "secrets.tfvars.dec", "secrets.tfvars.json", "prod.tfvars", "secrets.tfvars.example~",
    "envs/secrets.tfvars", "cdktf.out/stacks/dev-data/.secrets.auto.tfvars.json", ".tofu-secrets.lock",
]


@pytest.mark.parametrize("name", EDITOR_COPIES)
def test_editor_copies_of_the_plaintext_are_git_ignored(name):
    result = subprocess.run(["git", "check-ignore", "--no-index", "-q", "--", name], cwd=REPO)
    assert result.returncode == 0, f"{name} is not git-ignored: `git add .` would stage plaintext secrets"


@pytest.mark.parametrize("name", ["secrets.tfvars.example", "secrets.tfvars.enc", "secrets.prod.tfvars.enc"])
def test_the_committed_secret_files_are_not_ignored(name):
    result = subprocess.run(["git", "check-ignore", "--no-index", "-q", "--", name], cwd=REPO)
    assert result.returncode == 1, f"{name} must stay committable"


@pytest.mark.parametrize("name", [n for n in EDITOR_COPIES if n != ".tofu-secrets.lock"])
def test_the_hook_refuses_editor_copies_of_the_plaintext(tmp_path, name):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('state_passphrase = "a real passphrase!"\n')
    result = subprocess.run([str(CHECK), name], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1 and f"refused: {name}" in result.stderr, result.stderr


def test_the_hook_accepts_the_example_and_test_files(tmp_path):
    for name in ("secrets.tfvars.example", "tests/secrets/test_tfvars_and_stacks.py"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
        result = subprocess.run([str(CHECK), name], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_the_hook_accepts_a_sops_encrypted_file(tmp_path):
    (tmp_path / "secrets.tfvars.enc").write_text(
        '{"do_token": "ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]", "sops": {"version": "3.11.0"}}'
    )
    result = subprocess.run([str(CHECK), "secrets.tfvars.enc"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
