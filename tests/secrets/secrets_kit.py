"""Helpers for the secrets tooling tests: a throw-away copy of the repo's scripts around the
session's synthesized stacks, real sops, real age keys, and a stand-in `tofu` on PATH.

Nothing here touches the real HOME, the repo's cdktf.out or its git state.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pyrage import x25519

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "lib"))

import tfsecrets  # noqa: E402

SOPS = REPO / ".venv" / "bin" / "sops"

# Stand-in for tofu: records what it sees (one JSON line per call) and then behaves as told by
# FAKE_TOFU_FAIL_ON (stack name -> exit 1) or FAKE_TOFU_SLEEP_ON (stack name -> wait for a signal).
FAKE_TOFU = r'''#!{python}
import json, os, pathlib, signal, sys, time
args = sys.argv[1:]
if args[:1] == ["version"]:
    print("OpenTofu v" + os.environ.get("FAKE_TOFU_VERSION", "1.10.3"))
    sys.exit(0)
cwd = pathlib.Path.cwd()
f = cwd / ".secrets.auto.tfvars.json"
rec = {"args": args, "cwd": str(cwd), "stack": cwd.name, "app_env": os.environ.get("TF_VAR_app_env"),
       "mode": oct(f.stat().st_mode & 0o777) if f.exists() else None,
       "secrets": json.loads(f.read_text()) if f.exists() else None,
       "sops_env": sorted(k for k in os.environ if k.startswith("SOPS_AGE")),
       "env_with_age_key": sorted(k for k, v in os.environ.items() if "AGE-SECRET-KEY-1" in v)}
with open(os.environ["FAKE_TOFU_LOG"], "a") as log:
    log.write(json.dumps(rec) + "\n")
if args[:1] == ["init"]:
    (cwd / ".terraform").mkdir(exist_ok=True)
    sys.exit(0)
if os.environ.get("FAKE_TOFU_FAIL_ON") == cwd.name:
    sys.exit(1)
if os.environ.get("FAKE_TOFU_SLEEP_ON") == cwd.name:
    # Like tofu (Go re-enables SIGINT), exit on the first interrupt.
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, lambda *_: sys.exit(1))
    pathlib.Path(os.environ["FAKE_TOFU_LOG"] + ".ready").write_text("x")
    time.sleep(30)
    sys.exit(0)
'''


REPO_PARTS = ("bin", "scripts", "sops.yaml", "secrets.tfvars.example", "Makefile",
              "constructs/platform_constructs/secret_catalog.py")


def copy_repo(root: Path, synthesized: Path) -> Path:
    """The parts of the repo the secrets tooling runs from, the venv (linked) and a copy of the
    session's stacks in root/cdktf.out. Returns that outdir."""
    for rel in REPO_PARTS:
        src, dst = REPO / rel, root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst)
    (root / ".venv").symlink_to(REPO / ".venv")
    shutil.copytree(synthesized, root / "cdktf.out")
    return root / "cdktf.out"


@dataclass
class Key:
    path: Path
    public: str


def make_key(path: Path, ident: x25519.Identity | None = None) -> Key:
    ident = ident or x25519.Identity.generate()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(f"# created: 2026-11-26T00:00:00Z\n# public key: {ident.to_public()}\n{ident}\n")
    path.chmod(0o600)
    return Key(path, str(ident.to_public()))


@dataclass
class Sandbox:
    root: Path
    env: dict[str, str]
    keys: dict[str, Key] = field(default_factory=dict)

    @property
    def outdir(self) -> Path:
        return self.root / "cdktf.out"

    @property
    def tofu_log(self) -> Path:
        return Path(self.env["FAKE_TOFU_LOG"])

    def run(self, *cmd: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
        full_env = {**self.env, **(env or {})}
        full_env = {k: v for k, v in full_env.items() if v is not None}
        return subprocess.run(list(cmd), cwd=self.root, env=full_env, capture_output=True, text=True,
                              timeout=60, **kw)

    def tofu_calls(self) -> list[dict]:
        if not self.tofu_log.exists():
            return []
        return [json.loads(line) for line in self.tofu_log.read_text().splitlines()]

    def leftovers(self) -> list[Path]:
        """Every decrypted secrets file anywhere in the sandbox or its TMPDIR."""
        found = list(self.root.rglob(".secrets.auto.tfvars*"))
        found += list(Path(self.env["TMPDIR"]).iterdir())
        return found

    def declared(self, env: str) -> dict[str, set[str]]:
        return tfsecrets.secrets_by_stack(self.outdir, env)

    def all_secret_names(self) -> set[str]:
        names: set[str] = set()
        for env in ("dev", "prod"):
            for n in self.declared(env).values():
                names |= n
        return names

    def write_policy(self, *recipients: str) -> None:
        lines = "".join(f"      - {r}\n" for r in recipients)
        (self.root / "sops.yaml").write_text(
            "creation_rules:\n  - path_regex: (^|/)secrets(\\.[a-z0-9-]+)?\\.tfvars\\.enc$\n    age:\n" + lines
        )

    def encrypt_values(self, values: dict[str, str], recipients: str, name: str = "secrets.tfvars.enc"):
        (self.root / "secrets.tfvars").write_text(tfsecrets.render_tfvars(values))
        return self.run("bin/sops-encrypt.sh", "--no-synth", "secrets.tfvars", name,
                        env={"SOPS_AGE_RECIPIENTS": recipients})

    def encrypt_unchecked(self, values: dict[str, str]) -> None:
        """secrets.tfvars.enc made with sops by hand (as an older file would be): no check of ours ran."""
        proc = subprocess.run([str(SOPS), "encrypt", "--input-type", "json", "--output-type", "json", "--age",
                               self.keys["me"].public, "/dev/stdin"], input=json.dumps(values),
                              capture_output=True, text=True, env=self.env, check=True)
        (self.root / "secrets.tfvars.enc").write_text(proc.stdout)

    def fake_synthesis(self, script: str) -> Path:
        """Move cdktf.out aside and put a stand-in main.py that runs ``script`` with ``saved`` (the old
        outdir) defined; returns ``saved``."""
        saved = self.root.parent / "saved.out"
        self.outdir.rename(saved)
        (self.root / "main.py").write_text(f"saved = {str(saved)!r}\n" + script)
        return saved

    def decrypt(self, key: Key, name: str = "secrets.tfvars.enc") -> subprocess.CompletedProcess:
        return self.run(str(SOPS), "decrypt", "--input-type", "json", "--output-type", "json", name,
                        env=self.only_key(key))

    def only_key(self, key: Key) -> dict[str, str]:
        """Env where sops sees this key only (it also reads the default ~/.config/sops/age/keys.txt)."""
        return {"SOPS_AGE_KEY_FILE": str(key.path), "HOME": str(key.path.parent)}


CATALOG = tfsecrets.load_catalog(REPO)


def fake_values(names: set[str]) -> dict[str, str]:
    """Values every rule of the catalog accepts (its example values)."""
    return {n: CATALOG.lookup(n).example_value() for n in sorted(names)}
