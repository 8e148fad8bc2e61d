"""The operator flow end to end, the example file's sync with the stacks, and the canary."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import tfsecrets
from secrets_kit import CATALOG, REPO, Sandbox

EXAMPLE = REPO / "secrets.tfvars.example"
CANARY = "CANARY-7f3a9c-never-in-cdktf-out"
# Hard to carry from an HCL file through sops and JSON to tofu; each secret gets the first of these
# that its rules accept (a secret with a narrow charset gets the last, made of it).
TRICKY = [
    'quote " and \'single\'',
    "back\\slash \\n literal",
    "${var.not_interpolated} %{ if x } $${double}",
    "non-ASCII: é ß 密码 🔑",
    "sp ace#hash;semi:colon=eq&amp%25plus+slash/",
]


def declared_union(outdir: Path) -> set[str]:
    return {n for env in ("dev", "prod") for names in tfsecrets.secrets_by_stack(outdir, env).values() for n in names}


def test_example_lists_exactly_the_declared_secrets(synthesized: Path) -> None:
    example = tfsecrets.parse_tfvars(EXAMPLE.read_text(), str(EXAMPLE))
    declared = declared_union(synthesized)
    missing, unknown = tfsecrets.compare_names(set(example), declared)
    regen = ("regenerate: .venv/bin/python main.py --all-envs && "
             ".venv/bin/python scripts/lib/tfsecrets.py example --outdir cdktf.out > secrets.tfvars.example")
    assert not missing, f"secrets.tfvars.example lacks secret variables the stacks declare: {missing}; {regen}"
    assert not unknown, f"secrets.tfvars.example has variables no stack declares: {unknown}; {regen}"
    fake = [n for n, v in example.items() if "FAKE" not in v]
    assert not fake, f"example values must be obviously fake (contain FAKE): {fake}"


def test_every_stack_declares_the_contract_variables(synthesized: Path) -> None:
    for env in ("dev", "prod"):
        for stack in tfsecrets.select_stacks(synthesized, env):
            variables = tfsecrets.declared_variables(synthesized, stack)
            assert variables.get("state_passphrase", {}).get("sensitive") is True, stack["name"]
            assert not variables.get("app_env", {}).get("sensitive"), f"{stack['name']}: app_env is not a secret"
            for name, spec in variables.items():
                if spec.get("sensitive"):
                    assert "default" not in spec, f"{stack['name']}: secret {name} must have no default"


def test_new_user_flow_with_the_example(sandbox: Sandbox) -> None:
    """age-init -> cp example -> sops-encrypt -> wrapper, exactly as docs/secrets.md tells a new user."""
    box = sandbox
    (Path(box.env["SOPS_AGE_KEY_FILE"])).unlink()  # start without a key
    res = box.run("bin/age-init.sh")
    assert res.returncode == 0, res.stderr
    exports = dict(line.removeprefix("export ").split("=", 1) for line in res.stdout.splitlines())
    env = {k: shlex.split(v)[0] for k, v in exports.items()}
    (box.root / "secrets.tfvars").write_text((box.root / "secrets.tfvars.example").read_text())
    res = box.run("bin/sops-encrypt.sh", "--no-synth", "secrets.tfvars", "secrets.tfvars.enc", env=env)
    assert res.returncode == 0, res.stderr
    res = box.run("scripts/tofu-secrets.sh", "plan", env={**env, "APP_ENV": "dev"})
    assert res.returncode == 0, res.stderr
    example = tfsecrets.parse_tfvars(EXAMPLE.read_text())
    for call in box.tofu_calls():
        assert call["secrets"] == {n: example[n] for n in box.declared("dev")[call["stack"]]}
    assert box.leftovers() == []


def _tricky_value(name: str, start: int) -> str:
    entry = CATALOG.lookup(name)
    for candidate in [*TRICKY[start % 2 :], *TRICKY]:
        value = f"{candidate}|{CANARY}".ljust(entry.min_length, "~")
        if not entry.problems(value):
            return value
    if entry.example is not None:  # a whole-value format (htpasswd, URL): the canary cannot ride along
        return entry.example_value()
    return (CANARY + "-._~").ljust(entry.min_length, "~")


def test_tricky_values_round_trip_and_canary(sandbox: Sandbox) -> None:
    """Quotes, backslashes, newlines, ${...} and non-ASCII reach tofu unchanged; the canary never
    lands under cdktf.out/ (nor in TMPDIR) once the run is over."""
    box = sandbox
    names = sorted(box.all_secret_names())
    values = {n: _tricky_value(n, i) for i, n in enumerate(names)}
    assert sum(v.startswith(TRICKY[0]) for v in values.values()) > 10, "most secrets take any printable value"
    res = box.encrypt_values(values, box.keys["me"].public)
    assert res.returncode == 0, res.stderr
    (box.root / "secrets.tfvars").unlink()
    assert CANARY not in (box.root / "secrets.tfvars.enc").read_text(), "the encrypted file hides the values"
    for env in ("dev", "prod"):
        res = box.run("scripts/tofu-secrets.sh", "apply", env={"APP_ENV": env, "AWS_ACCESS_KEY_ID": "x",
                                                                "AWS_SECRET_ACCESS_KEY": "y"})
        assert res.returncode == 0, res.stderr
    calls = [c for c in box.tofu_calls() if c["args"] == ["apply"]]
    assert len(calls) == 9
    for call in calls:
        for name, got in call["secrets"].items():
            assert got == values[name], f"{name} changed on the way to tofu in {call['stack']}"
    for path in [*box.outdir.rglob("*"), *Path(box.env["TMPDIR"]).rglob("*")]:
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), f"secret value leaked into {path}"
    assert CANARY not in json.dumps(sorted(p.name for p in box.root.rglob("*")))
