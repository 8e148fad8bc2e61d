"""Fixtures for the secrets tooling tests (helpers live in secrets_kit.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pyrage import x25519

sys.path.insert(0, str(Path(__file__).parent))  # secrets_kit, without making tests/secrets a package
from secrets_kit import FAKE_TOFU, Sandbox, copy_repo, fake_values, make_key


def _build(root_parent: Path, synthesized: Path, ident: x25519.Identity) -> Sandbox:
    root = root_parent / "repo"
    root.mkdir()
    for stack_dir in (copy_repo(root, synthesized) / "stacks").iterdir():
        (stack_dir / ".terraform").mkdir()  # as if initialized: halves the tofu calls per run

    fakebin = root_parent / "fakebin"
    fakebin.mkdir()
    # the venv's interpreter starts fast (a pyenv shim would add ~150 ms per tofu call)
    (fakebin / "tofu").write_text(FAKE_TOFU.replace("{python}", sys.executable, 1))
    (fakebin / "tofu").chmod(0o755)
    home = root_parent / "home"
    home.mkdir()
    tmpdir = root_parent / "tmpdir"
    tmpdir.mkdir()
    env = {
        "PATH": f"{fakebin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(tmpdir),
        "LANG": "C.UTF-8",
        "SOPS_AGE_KEY_FILE": str(home / ".config/sops/age/keys.txt"),
        "FAKE_TOFU_LOG": str(root_parent / "tofu.log"),
        "SOPS_DISABLE_VERSION_CHECK": "1",
    }
    box = Sandbox(root, env)
    box.keys["me"] = make_key(Path(env["SOPS_AGE_KEY_FILE"]), ident)
    return box


@pytest.fixture(scope="session")
def my_identity() -> x25519.Identity:
    return x25519.Identity.generate()


@pytest.fixture(scope="session")
def session_ciphertext(tmp_path_factory: pytest.TempPathFactory, synthesized: Path,
                       my_identity: x25519.Identity) -> str:
    """secrets.tfvars.enc for fake values of every declared secret, made once by bin/sops-encrypt.sh."""
    box = _build(tmp_path_factory.mktemp("enc"), synthesized, my_identity)
    res = box.encrypt_values(fake_values(box.all_secret_names()), box.keys["me"].public)
    assert res.returncode == 0, res.stderr
    return (box.root / "secrets.tfvars.enc").read_text()


@pytest.fixture
def sandbox(tmp_path: Path, synthesized: Path, my_identity: x25519.Identity) -> Sandbox:
    """A throw-away repo copy (scripts, policy, synthesized stacks) with its own HOME, TMPDIR and tofu."""
    return _build(tmp_path, synthesized, my_identity)


@pytest.fixture
def encrypted(sandbox: Sandbox, session_ciphertext: str) -> Sandbox:
    """The sandbox with secrets.tfvars.enc holding fake values for every declared secret."""
    (sandbox.root / "secrets.tfvars.enc").write_text(session_ciphertext)
    return sandbox
