"""`make doctor`: one line per check, a fix for each failure, non-zero exit on any failure.

Runs scripts/doctor.py with stand-in tofu/kubectl/minikube/doctl on PATH and a temp HOME.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest

REPO = Path(__file__).resolve().parents[2]
DOCTOR = REPO / "scripts" / "doctor.py"


def stand_in(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/usr/bin/env bash\n{script}\n")
    path.chmod(0o755)


ENDPOINTS = {"subsets": [{"addresses": [{"ip": "192.168.49.2"}], "ports": [{"name": "https", "port": 8443}]}]}


def kubectl(bin_dir: Path, *, daemonsets: str = "daemonset.apps/cilium", crd: bool = True,
            endpoints: dict | None = None) -> None:
    """Stand-in kubectl: a minikube cluster on Cilium (by default) with its API server on 8443."""
    stand_in(
        bin_dir,
        "kubectl",
        'case "$*" in\n'
        '  *"version --client"*) echo \'{"clientVersion": {"gitVersion": "v1.34.1"}}\' ;;\n'
        '  *get-contexts*) echo minikube ;;\n'
        f'  *daemonsets*) printf "%s\\n" {daemonsets} daemonset.apps/kube-proxy ;;\n'
        f'  *"get crd"*) {"echo customresourcedefinition/x" if crd else "exit 1"} ;;\n'
        f"  *endpoints*) echo '{json.dumps(endpoints or ENDPOINTS)}' ;;\n"
        "esac",
    )


@pytest.fixture()
def machine(tmp_path):
    """A temp HOME with an age key (0600), a kubeconfig, encrypted-secrets metadata and stand-in tools."""
    home, bin_dir = tmp_path / "home", tmp_path / "bin"
    bin_dir.mkdir()
    identity = pyrage.x25519.Identity.generate()
    key = home / ".config" / "sops" / "age" / "keys.txt"
    key.parent.mkdir(parents=True)
    key.write_text(f"# public key: {identity.to_public()}\n{identity}\n")
    key.chmod(0o600)
    (home / ".kube").mkdir()
    (home / ".kube" / "config").write_text("apiVersion: v1\nkind: Config\n")
    secrets = tmp_path / "secrets.tfvars.enc"
    secrets.write_text(json.dumps({"x": "ENC[AES256_GCM,data:…]", "sops": {"age": [{"recipient": str(identity.to_public())}]}}))
    stand_in(bin_dir, "tofu", 'echo "OpenTofu v1.10.3"')
    kubectl(bin_dir)
    stand_in(bin_dir, "minikube", 'echo \'{"ingress": {"Status": "enabled"}}\'')
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(home),
        "SECRETS_FILE": str(secrets),
        "APP_ENV": "dev",
    }
    return {"env": env, "bin": bin_dir, "key": key, "home": home}


def doctor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    machine_specific = ("SOPS_", "AWS_", "XDG_", "CDKTF_", "ROOT_DOMAIN", "CLUSTER_NAME")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(machine_specific)}
    return subprocess.run([sys.executable, str(DOCTOR), *args], env={**clean, **env}, capture_output=True, text=True)


def test_everything_in_place_for_dev(machine):
    result = doctor(machine["env"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout
    for name in ("OpenTofu: 1.10.3", "kubectl: v1.34.1", "age key", "secrets", "kubeconfig", "ingress", "CNI"):
        assert f"ok    {name}" in result.stdout, f"missing ok line for {name}:\n{result.stdout}"


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda m: (m["bin"] / "tofu").unlink(), "FAIL  OpenTofu: tofu not found"),
        (lambda m: stand_in(m["bin"], "tofu", 'echo "OpenTofu v1.8.2"'), "fix: upgrade to >= 1.10.0"),
        (lambda m: m["key"].unlink(), "fix: run bin/age-init.sh"),
        (lambda m: m["key"].chmod(0o644), "fix: chmod 600"),
        (lambda m: stand_in(m["bin"], "minikube", 'echo \'{"ingress": {"Status": "disabled"}}\''),
         "minikube addons enable ingress"),
        (lambda m: kubectl(m["bin"], daemonsets="daemonset.apps/kindnet"),
         "FAIL  CNI: config expects 'cilium', the cluster runs 'none'"),
        (lambda m: kubectl(m["bin"], daemonsets="daemonset.apps/calico-node"), "minikube start --cni=cilium"),
        (lambda m: kubectl(m["bin"], crd=False), "Cilium without the CiliumNetworkPolicy CRD"),
        (lambda m: kubectl(m["bin"], endpoints={"subsets": [{"addresses": [{"ip": "192.168.65.3"}], "ports": [{"port": 6443}]}]}),
         "fix: set [network] api_server_ports = [6443]"),
        (lambda m: (m["home"] / ".kube" / "config").unlink(), "FAIL  kubeconfig"),
    ],
)
def test_each_failure_names_its_fix_and_fails(machine, breakage, expected):
    breakage(machine)
    result = doctor(machine["env"])
    assert result.returncode == 1, result.stdout
    assert expected in result.stdout, result.stdout


def _local_config(machine, text: str) -> dict[str, str]:
    """A copy of the repo's envs/ with a dev.local.toml, so the real one is never touched."""
    import shutil

    repo = machine["home"].parent / "repo"
    shutil.copytree(REPO, repo, ignore=shutil.ignore_patterns(".venv*", ".git", "cdktf.out", ".state", "node_modules",
                                                              "__pycache__", "tests", "docs", "data"))
    (repo / ".venv").symlink_to(REPO / ".venv")  # the sops check looks there
    (repo / "envs" / "dev.local.toml").write_text(text)
    return {"DOCTOR": str(repo / "scripts" / "doctor.py")}


@pytest.mark.parametrize(
    ("local", "daemonsets", "expected", "code"),
    [
        ('[network]\ncni = "none"\n', "daemonset.apps/cilium",
         "fix: set [network] cni = \"cilium\" in envs/dev.local.toml (cni = 'none' would leave", 1),
        ('[network]\ncni = "none"\n', "daemonset.apps/kindnet", "WARN  CNI: no policy-enforcing CNI", 0),
        ('[network]\ncni = "calico"\napi_server_cidrs = ["10.0.0.1/32"]\nnode_cidrs = ["10.0.0.0/24"]\n',
         "daemonset.apps/calico-node", "API server endpoints ['192.168.49.2'] are outside network.api_server_cidrs", 1),
        ('[network]\ncni = "calico"\napi_server_cidrs = ["192.168.49.2/32"]\nnode_cidrs = ["192.168.49.0/24"]\n',
         "daemonset.apps/calico-node", "ok    CNI: calico enforces the policies", 0),
    ],
)
def test_cni_check_compares_the_cluster_with_the_config(machine, local, daemonsets, expected, code):
    kubectl(machine["bin"], daemonsets=daemonsets)
    doctor_path = _local_config(machine, local)["DOCTOR"]
    result = subprocess.run([sys.executable, doctor_path], env={**os.environ, **machine["env"]}, capture_output=True, text=True)
    assert expected in result.stdout, result.stdout + result.stderr
    assert result.returncode == code, result.stdout


def test_wrong_key_is_reported(machine):
    other = pyrage.x25519.Identity.generate()
    machine["key"].write_text(f"{other}\n")
    machine["key"].chmod(stat.S_IRUSR | stat.S_IWUSR)
    result = doctor(machine["env"])
    assert result.returncode == 1 and "your age key is not a recipient" in result.stdout


def test_prod_needs_doctl_and_state_credentials(machine):
    result = doctor({**machine["env"], "APP_ENV": "prod"})
    assert result.returncode == 1
    assert "FAIL  doctl: not found" in result.stdout
    assert "FAIL  state backend: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY not set" in result.stdout
    stand_in(machine["bin"], "doctl", "exit 1")
    assert "fix: doctl auth init" in doctor({**machine["env"], "APP_ENV": "prod"}).stdout


def test_invalid_app_env_fails_with_the_valid_values(machine):
    result = doctor({**machine["env"], "APP_ENV": "qa"})
    assert result.returncode == 1 and "Valid values: dev, prod" in result.stderr


def test_doctor_removes_plaintext_a_killed_run_left_and_says_so(machine, tmp_path):
    outdir = tmp_path / "cdktf.out"
    left = [outdir / "stacks" / name / ".secrets.auto.tfvars.json" for name in ("dev-data", "prod-cluster")]
    for path in left:
        path.parent.mkdir(parents=True)
        path.write_text('{"state_passphrase": "x"}')
    result = doctor({**machine["env"], "CDKTF_OUTDIR": str(outdir)})
    assert not any(p.exists() for p in left), "doctor must remove what an interrupted run left"
    line = next(ln for ln in result.stdout.splitlines() if "leftover plaintext" in ln)
    assert line.startswith("WARN") and all(f"removed {p}" in line for p in left), result.stdout
    again = doctor({**machine["env"], "CDKTF_OUTDIR": str(outdir)})
    assert "ok    leftover plaintext: no decrypted secrets file" in again.stdout, again.stdout


def test_doctor_fails_an_output_folder_that_moves_the_state(machine, tmp_path):
    result = doctor({**machine["env"], "CDKTF_OUTDIR": str(tmp_path / "elsewhere")})
    assert result.returncode == 1
    assert "FAIL  output folder" in result.stdout and "dev state would be read and written in" in result.stdout


def test_a_key_file_that_is_not_utf8_is_a_failing_line_not_a_traceback(machine):
    machine["key"].write_bytes(b"# created\n\xff\xfeAGE-SECRET-KEY-1\n")
    result = doctor(machine["env"])
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "FAIL  secrets" in result.stdout and "not valid UTF-8" in result.stdout, result.stdout
