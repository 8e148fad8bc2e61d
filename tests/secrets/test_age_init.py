"""bin/age-init.sh: key creation with pyrage (no age-keygen here) and with age-keygen when present."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

from pyrage import x25519
from secrets_kit import REPO, Sandbox

AGE_INIT = str(REPO / "bin/age-init.sh")

# Stand-in age-keygen: same output format as the real one, and leaves a trace that it ran.
FAKE_AGE_KEYGEN = """#!{python}
import pathlib, sys
from pyrage import x25519
i = x25519.Identity.generate()
pathlib.Path(sys.argv[0]).with_name("age-keygen.ran").write_text("x")
print("# created: 2026-11-26T10:00:00+01:00"); print(f"# public key: {i.to_public()}"); print(i)
print(f"Public key: {i.to_public()}", file=sys.stderr)
"""


def _check_key(box: Sandbox, res) -> str:
    assert res.returncode == 0, res.stderr
    key_file = Path(box.env["HOME"]) / "fresh/age/keys.txt"
    lines = key_file.read_text().splitlines()
    assert lines[0].startswith("# created: ") and lines[1].startswith("# public key: age1"), lines
    assert lines[2].startswith("AGE-SECRET-KEY-1"), "age-keygen's three-line format"
    public = lines[1].removeprefix("# public key: ")
    assert str(x25519.Identity.from_str(lines[2]).to_public()) == public, "the comment matches the key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert res.stdout == f"export SOPS_AGE_KEY_FILE={key_file}\nexport SOPS_AGE_RECIPIENTS={public}\n", \
        "stdout is exactly the two export lines (eval-able)"
    return key_file.read_text()


def test_creates_key_without_age_keygen_and_never_overwrites(sandbox: Sandbox) -> None:
    env = {"SOPS_AGE_KEY_FILE": str(Path(sandbox.env["HOME"]) / "fresh/age/keys.txt")}
    first = _check_key(sandbox, sandbox.run(AGE_INIT, env=env))
    again = sandbox.run(AGE_INIT, env=env)
    assert _check_key(sandbox, again) == first, "an existing key is kept as is"
    assert "not overwriting" in again.stderr


def test_default_location_is_under_home(sandbox: Sandbox) -> None:
    res = sandbox.run(AGE_INIT, env={"SOPS_AGE_KEY_FILE": None})
    assert res.returncode == 0, res.stderr
    assert f"export SOPS_AGE_KEY_FILE={sandbox.env['HOME']}/.config/sops/age/keys.txt" in res.stdout


def test_uses_age_keygen_when_present(sandbox: Sandbox) -> None:
    fakebin = Path(sandbox.env["PATH"].split(":")[0])
    (fakebin / "age-keygen").write_text(FAKE_AGE_KEYGEN.replace("{python}", sys.executable, 1))
    (fakebin / "age-keygen").chmod(0o755)
    env = {"SOPS_AGE_KEY_FILE": str(Path(sandbox.env["HOME"]) / "fresh/age/keys.txt")}
    _check_key(sandbox, sandbox.run(AGE_INIT, env=env))
    assert (fakebin / "age-keygen.ran").exists(), "age-keygen is preferred when installed"


def test_help_and_bad_argument(sandbox: Sandbox) -> None:
    assert "SOPS_AGE_KEY_FILE" in sandbox.run(AGE_INIT, "--help").stdout
    res = sandbox.run(AGE_INIT, "--nope")
    assert res.returncode == 2 and "--help" in res.stderr
