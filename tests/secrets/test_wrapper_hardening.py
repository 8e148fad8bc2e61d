"""scripts/tofu-secrets.sh under attack and accident: concurrent runs, SIGKILL, a permissive umask,
an age key in the environment, empty or rule-breaking values, a moved output folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from secrets_kit import Sandbox, fake_values

WRAPPER = "scripts/tofu-secrets.sh"
PLAINTEXT = ".secrets.auto.tfvars.json"


def _start(box: Sandbox, *args: str, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    full = {**box.env, **(env or {})}
    return subprocess.Popen([WRAPPER, *args], cwd=box.root, env=full, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _wait_ready(box: Sandbox, proc: subprocess.Popen) -> None:
    ready = Path(box.env["FAKE_TOFU_LOG"] + ".ready")
    deadline = time.monotonic() + 20
    while not ready.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "stand-in tofu never started"
        time.sleep(0.02)
    ready.unlink()


def _plans(box: Sandbox) -> list[str]:
    return [c["stack"] for c in box.tofu_calls() if c["args"][:1] == ["plan"]]


# --------------------------------------------------------------------------------------------
# 2. one run per checkout
# --------------------------------------------------------------------------------------------


def test_a_second_run_is_refused_and_names_the_first(encrypted: Sandbox) -> None:
    box = encrypted
    first = _start(box, "plan", env={"FAKE_TOFU_SLEEP_ON": "dev-data"})
    _wait_ready(box, first)
    live = box.outdir / "stacks" / "dev-data" / PLAINTEXT
    assert live.exists()
    second = box.run(WRAPPER, "--stack", "data", "plan", env={"APP_ENV": "dev"})
    assert second.returncode != 0, second.stderr
    assert "another scripts/tofu-secrets.sh run is active in this checkout" in second.stderr, second.stderr
    assert f"pid {first.pid}" in second.stderr and "APP_ENV=dev tofu plan" in second.stderr, second.stderr
    assert live.exists(), "the refused run must not delete the first run's decrypted file"
    assert _plans(box) == ["dev-infra", "dev-data"], "the refused run must not run tofu"
    os.killpg(first.pid, signal.SIGINT)
    first.communicate(timeout=20)
    assert box.leftovers() == []
    after = box.run(WRAPPER, "--stack", "data", "plan")
    assert after.returncode == 0, f"the lock must be free once the first run is over:\n{after.stderr}"


def test_two_simultaneous_runs_never_interleave(encrypted: Sandbox) -> None:
    """Started together: exactly one runs its stacks, the other stops before decrypting."""
    box = encrypted
    runs = [_start(box, "plan") for _ in range(2)]
    results = [(p.wait(timeout=60), p.communicate()[1]) for p in runs]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0 and codes[1] != 0, results
    loser = next(err for code, err in results if code != 0)
    assert "another scripts/tofu-secrets.sh run is active" in loser, loser
    assert _plans(box) == ["dev-infra", "dev-data", "dev-metrics", "dev-apps"], "one full run, nothing of the other"
    assert box.leftovers() == []


# --------------------------------------------------------------------------------------------
# 3. plaintext left by SIGKILL
# --------------------------------------------------------------------------------------------


def _kill_during(box: Sandbox, stack: str, env: dict[str, str] | None = None) -> tuple[Path, str]:
    """Run until tofu works on `stack`, then SIGKILL the wrapper and its tofu: nothing can clean up.
    Returns the file left behind and what the run printed before it died."""
    proc = _start(box, "plan", env={"FAKE_TOFU_SLEEP_ON": stack, **(env or {})})
    _wait_ready(box, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=20)
    left = box.outdir / "stacks" / stack / PLAINTEXT
    assert left.exists(), "SIGKILL leaves the decrypted file behind (that is the point of this test)"
    return left, err


SPACES = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}


def test_any_later_run_removes_what_a_killed_run_left_everywhere(encrypted: Sandbox) -> None:
    box = encrypted
    dev_left, _ = _kill_during(box, "dev-data")
    # the next run, in the other env, sweeps the dev leftover first (and is killed in turn)
    prod_left, prod_err = _kill_during(box, "prod-metrics", env={"APP_ENV": "prod", **SPACES})
    assert not dev_left.exists(), f"{dev_left} survived a prod run"
    assert f"removed {dev_left}" in prod_err and "interrupted run" in prod_err, prod_err
    # then a dev run of another stack, with another command, sweeps the prod leftover
    res = box.run(WRAPPER, "--stack", "infra", "validate", env={"APP_ENV": "dev"})
    assert res.returncode == 0, res.stderr
    assert not prod_left.exists() and f"removed {prod_left}" in res.stderr, res.stderr
    assert box.leftovers() == []


def test_an_orphaned_tofu_keeps_the_lock_and_its_file(encrypted: Sandbox) -> None:
    """SIGKILL to the wrapper alone: its tofu still runs with the decrypted file, so no other run
    may start (and sweep the file away under it) until that tofu exits."""
    box = encrypted
    proc = _start(box, "plan", env={"FAKE_TOFU_SLEEP_ON": "dev-infra"})
    _wait_ready(box, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=20)  # (its pipes stay open in the orphaned tofu)
    live = box.outdir / "stacks" / "dev-infra" / PLAINTEXT
    res = box.run(WRAPPER, "plan")
    assert res.returncode != 0 and f"pid {proc.pid}, now gone" in res.stderr, res.stderr
    assert live.exists(), "the orphaned tofu's file must stay while it runs"
    os.killpg(proc.pid, signal.SIGTERM)  # the stand-in tofu exits on it
    proc.communicate(timeout=20)
    deadline = time.monotonic() + 20
    while True:
        res = box.run(WRAPPER, "--stack", "infra", "plan")
        if res.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert res.returncode == 0, res.stderr
    assert f"removed {live}" in res.stderr, res.stderr


# --------------------------------------------------------------------------------------------
# 6. umask: what tofu runs is private from the first byte
# --------------------------------------------------------------------------------------------


def test_synthesis_under_umask_000_is_not_writable_by_others(encrypted: Sandbox) -> None:
    box = encrypted
    # A stand-in main.py that writes files the way any program does (modes from the umask).
    box.fake_synthesis(
        "import os, sys\n"
        "src, dst = saved, sys.argv[2]\n"
        "for d, _, files in os.walk(src):\n"
        "    os.makedirs(os.path.join(dst, os.path.relpath(d, src)), exist_ok=True)\n"
        "    for f in files:\n"
        "        with open(os.path.join(d, f), 'rb') as i, open(os.path.join(dst, os.path.relpath(d, src), f), 'wb') as o:\n"
        "            o.write(i.read())\n"
    )
    res = subprocess.run(["bash", "-c", f"umask 000; exec {WRAPPER} --stack infra plan"], cwd=box.root,
                         env=box.env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "synthesizing" in res.stderr
    loose = [p for p in [box.outdir, *box.outdir.rglob("*")] if p.stat().st_mode & 0o022]
    assert loose == [], f"synthesized under the wrapper but writable by others: {loose[:5]}"


def test_a_stack_writable_by_others_is_refused(encrypted: Sandbox) -> None:
    box = encrypted
    target = box.outdir / "stacks" / "dev-infra" / "cdk.tf.json"
    target.chmod(0o666)
    res = box.run(WRAPPER, "plan")
    assert res.returncode != 0 and "is writable by group or others (mode 0666)" in res.stderr, res.stderr
    assert "chmod -R go-w" in res.stderr
    assert box.tofu_calls() == [] or all(c["args"][:1] == ["version"] for c in box.tofu_calls())
    assert box.leftovers() == []


# --------------------------------------------------------------------------------------------
# 7. the age key never reaches tofu
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE"])
def test_the_age_key_is_not_in_tofus_environment(encrypted: Sandbox, how: str) -> None:
    box = encrypted
    key_file = box.keys["me"].path
    env = {"SOPS_AGE_KEY_FILE": str(key_file)}
    if how == "SOPS_AGE_KEY":  # the identity itself, and no file sops could fall back on
        env = {"SOPS_AGE_KEY": key_file.read_text(), "SOPS_AGE_KEY_FILE": str(box.root / "absent.txt"),
               "HOME": str(box.root / "nohome")}
    seen = box.root / "synthesis-env.json"
    box.fake_synthesis(  # synthesis runs project code too: it gets no key either
        "import json, os, shutil, sys\n"
        "shutil.copytree(saved, sys.argv[2])\n"
        f"open({str(seen)!r}, 'w').write(json.dumps(sorted(k for k, v in os.environ.items()\n"
        "    if k.startswith('SOPS_AGE') or 'AGE-SECRET-KEY-1' in v)))\n"
    )
    res = box.run(WRAPPER, "--stack", "data", "plan", env=env)
    assert res.returncode == 0, res.stderr
    calls = box.tofu_calls()
    assert calls and all(c["sops_env"] == [] for c in calls), [c["sops_env"] for c in calls]
    assert all(c["env_with_age_key"] == [] for c in calls), [c["env_with_age_key"] for c in calls]
    assert json.loads(seen.read_text()) == [], "synthesis saw the age key"


# --------------------------------------------------------------------------------------------
# 8. empty and rule-breaking values: refused early, naming the secret and the rule
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, value, rule", [
    ("state_passphrase", "", "state_passphrase must be at least 16 characters long."),
    ("state_passphrase", "short", "state_passphrase must be at least 16 characters long."),
    ("twenty_db_password", "", "twenty_db_password must be at least 16 characters long."),
    ("twenty_valkey_password", "x" * 30 + "\n", "twenty_valkey_password must be one line"),
    ("minio_root_password", "has a space ok", "minio_root_password may only contain printable ASCII except space"),
])
def test_the_wrapper_refuses_bad_values_before_writing_anything(sandbox: Sandbox, name, value, rule) -> None:
    box = sandbox
    values = fake_values(box.all_secret_names()) | {name: value}
    box.encrypt_unchecked(values)  # the wrapper must check it itself
    res = box.run(WRAPPER, "plan")
    assert res.returncode != 0 and rule in res.stderr, res.stderr
    assert value == "" or value not in res.stderr, "a message must never print the value"
    assert [c for c in box.tofu_calls() if c["args"][:1] != ["version"]] == [], "tofu must not run"
    assert box.leftovers() == []


@pytest.mark.parametrize("name, value, rule", [
    ("state_passphrase", "", "state_passphrase must be at least 16 characters long."),
    ("sentry_valkey_password", "p@ss/word#with?url-chars", "sentry_valkey_password may only contain letters"),
    ("registry_htpasswd", "admin:plaintext\n", "registry_htpasswd must be htpasswd lines"),
    ("grafana_admin_password", "has-${HOME}-inside", "grafana_admin_password may only contain characters other than $"),
])
def test_sops_encrypt_refuses_bad_values(sandbox: Sandbox, name, value, rule) -> None:
    box = sandbox
    res = box.encrypt_values(fake_values(box.all_secret_names()) | {name: value}, box.keys["me"].public)
    assert res.returncode != 0 and rule in res.stderr, res.stderr
    assert not (box.root / "secrets.tfvars.enc").exists(), "nothing may be encrypted"


# --------------------------------------------------------------------------------------------
# 9. CDKTF_OUTDIR must not move the state
# --------------------------------------------------------------------------------------------


def test_an_output_folder_outside_the_repo_is_refused(encrypted: Sandbox, tmp_path: Path) -> None:
    box = encrypted
    elsewhere = tmp_path / "elsewhere" / "cdktf.out"
    elsewhere.parent.mkdir()
    box.outdir.rename(elsewhere)
    res = box.run(WRAPPER, "plan", env={"CDKTF_OUTDIR": str(elsewhere)})
    assert res.returncode != 0, res.stderr
    assert "is not a folder directly in the repository" in res.stderr, res.stderr
    assert str(elsewhere.parent / ".state") in res.stderr and str(box.root.resolve() / ".state") in res.stderr
    assert box.tofu_calls() == []


def test_another_folder_directly_in_the_repo_is_fine(encrypted: Sandbox) -> None:
    box = encrypted
    other = box.root / "out2"
    box.outdir.rename(other)
    res = box.run(WRAPPER, "--stack", "infra", "plan", env={"CDKTF_OUTDIR": "out2"})
    assert res.returncode == 0, res.stderr
    assert [c["cwd"] for c in box.tofu_calls() if c["args"][:1] == ["plan"]] == [str(other / "stacks" / "dev-infra")]
