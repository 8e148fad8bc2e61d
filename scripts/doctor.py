#!/usr/bin/env python3
"""``make doctor``: check every tool and file the chosen environment needs, one line per check.

    APP_ENV=dev  make doctor        (or: .venv/bin/python scripts/doctor.py --env prod)

Each failing line says how to fix it; the exit status is 1 when any check fails. No secret is
decrypted: the age key is only matched against the recipients listed in ``secrets.tfvars.enc``.
The one thing it changes: a decrypted secrets file that a killed ``scripts/tofu-secrets.sh`` run
left in a stack directory is removed (under the checkout's lock, so never a live run's file).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "scripts" / "lib")]

import tfsecrets  # noqa: E402

from envs import ConfigError, PlatformConfig, load_config, resolve_env  # noqa: E402

MIN_TOFU = (1, 10, 0)


@dataclass
class Result:
    ok: bool
    name: str
    detail: str
    fix: str = ""
    warning: bool = False
    """Passes, but the operator should know (printed as WARN with its fix)."""

    def line(self) -> str:
        status = "FAIL" if not self.ok else "WARN" if self.warning else "ok  "
        text = f"{status}  {self.name}: {self.detail}"
        return f"{text}\n        fix: {self.fix}" if self.fix and (not self.ok or self.warning) else text


def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str] | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None


def check_tofu(config: PlatformConfig) -> Result:
    proc = run("tofu", "version")
    if proc is None:
        return Result(False, "OpenTofu", "tofu not found", "install OpenTofu >= 1.10 (https://opentofu.org/docs/intro/install/)")
    version = tfsecrets.parse_version(proc.stdout)
    if version is None or version < MIN_TOFU:
        return Result(False, "OpenTofu", f"got {proc.stdout.splitlines()[0] if proc.stdout else '?'}", "upgrade to >= 1.10.0")
    return Result(True, "OpenTofu", ".".join(map(str, version)))


def check_kubectl(config: PlatformConfig) -> Result:
    proc = run("kubectl", "version", "--client", "-o", "json")
    if proc is None or proc.returncode != 0:
        return Result(False, "kubectl", "not found", "install kubectl (https://kubernetes.io/docs/tasks/tools/)")
    version = json.loads(proc.stdout or "{}").get("clientVersion", {}).get("gitVersion", "?")
    return Result(True, "kubectl", version)


def check_sops(config: PlatformConfig) -> Result:
    sops = REPO / ".venv" / "bin" / "sops"
    if not sops.exists():
        return Result(False, "sops", "not in .venv", "run scripts/setup.sh")
    return Result(True, "sops", str(sops.relative_to(REPO)))


def _key_file() -> Path:
    configured = os.environ.get("SOPS_AGE_KEY_FILE")
    return Path(configured).expanduser() if configured else tfsecrets.default_key_file()


def check_age_key(config: PlatformConfig) -> Result:
    key = _key_file()
    if not key.exists():
        return Result(False, "age key", f"{key} missing", "run bin/age-init.sh (or export SOPS_AGE_KEY_FILE=<your key>)")
    mode = stat.S_IMODE(key.stat().st_mode)
    if mode & 0o077:
        return Result(False, "age key", f"{key} is mode {mode:o}", f"chmod 600 {key}")
    return Result(True, "age key", f"{key} (0600)")


def check_secrets_file(config: PlatformConfig) -> Result:
    enc = Path(os.environ.get("SECRETS_FILE") or REPO / "secrets.tfvars.enc")
    if not enc.exists():
        return Result(False, "secrets", f"{enc} missing",
                      "cp secrets.tfvars.example secrets.tfvars; fill it; bin/sops-encrypt.sh secrets.tfvars secrets.tfvars.enc")
    key = _key_file()
    if key.exists():
        try:
            mine = set(tfsecrets.public_keys(tfsecrets.read_text(key)))
            recipients = set(tfsecrets.sops_recipients(tfsecrets.read_text(enc)))
        except tfsecrets.SecretsError as exc:
            return Result(False, "secrets", str(exc), "restore the file (git checkout, or your key's backup)")
        if not mine & recipients:
            return Result(False, "secrets", f"your age key is not a recipient of {enc.name}",
                          "ask a teammate to add your public key to sops.yaml and run sops updatekeys (docs/secrets.md)")
    return Result(True, "secrets", f"{enc.name} readable with your key")


def _outdir() -> Path:
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    return outdir if outdir.is_absolute() else REPO / outdir


def _kubeconfig(config: PlatformConfig) -> Path:
    path = config.kube.config_path
    if path.startswith("~"):
        return Path(path).expanduser()
    return (_outdir() / "stacks" / "x" / path).resolve()  # tofu reads it relative to a stack dir


def check_outdir(config: PlatformConfig) -> Result:
    try:
        tfsecrets.check_outdir(REPO, _outdir())
    except tfsecrets.SecretsError as exc:
        return Result(False, "output folder", str(exc), "unset CDKTF_OUTDIR (docs/secrets.md)")
    return Result(True, "output folder", f"{_outdir()} (state and kubeconfig paths reach this checkout)")


def check_stale_plaintext(config: PlatformConfig) -> Result:
    name = "leftover plaintext"
    fd, holder = tfsecrets.lock_checkout(REPO, "make doctor")
    if fd is None:
        return Result(True, name, f"not checked: a tofu-secrets run is active ({holder})",
                      "run make doctor again once it has finished", warning=True)
    try:
        notes = tfsecrets.sweep_plaintext(REPO, _outdir())
    finally:
        os.close(fd)
    if notes:
        return Result(True, name, "; ".join(notes),
                      "nothing more to do; rotate those secrets if the machine is shared", warning=True)
    return Result(True, name, "no decrypted secrets file in any stack directory")


def check_kubeconfig(config: PlatformConfig) -> Result:
    path = _kubeconfig(config)
    fix = "bin/refresh-kubeconfig.sh" if config.is_prod else "start your cluster (minikube start / docker-desktop)"
    if not path.exists():
        return Result(False, "kubeconfig", f"{path} missing", fix)
    proc = run("kubectl", "config", "get-contexts", "-o", "name", env={**os.environ, "KUBECONFIG": str(path)})
    contexts = proc.stdout.split() if proc and proc.returncode == 0 else []
    if config.kube.context not in contexts:
        return Result(False, "kubeconfig", f"context {config.kube.context!r} not in {path}", fix)
    return Result(True, "kubeconfig", f"{path} has context {config.kube.context}")


def check_doctl(config: PlatformConfig) -> Result:
    proc = run("doctl", "account", "get")
    if proc is None:
        return Result(False, "doctl", "not found", "install doctl (https://docs.digitalocean.com/reference/doctl/how-to/install/)")
    if proc.returncode != 0:
        return Result(False, "doctl", "not authenticated", "doctl auth init")
    return Result(True, "doctl", "authenticated")


def check_spaces_credentials(config: PlatformConfig) -> Result:
    missing = [v for v in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if not os.environ.get(v)]
    if missing:
        return Result(False, "state backend", f"{', '.join(missing)} not set",
                      "export the Spaces key of the state bucket (docs/secrets.md)")
    return Result(True, "state backend", f"Spaces bucket {config.state.bucket}")


def check_minikube_addon(config: PlatformConfig) -> Result:
    if config.infra.ingress.controller != "minikube-addon":
        return Result(True, "ingress", "Traefik from the infra stack (no addon needed)")
    if config.kube.context != "minikube":
        return Result(False, "ingress", f"controller 'minikube-addon' but context {config.kube.context!r} has no such addon",
                      'set [infra.ingress] controller = "traefik" and class_name = "traefik" in envs/dev.local.toml')
    proc = run("minikube", "addons", "list", "-o", "json")
    if proc is None:
        return Result(False, "ingress", "minikube not found", "install minikube (https://minikube.sigs.k8s.io/docs/start/)")
    status = json.loads(proc.stdout or "{}").get("ingress", {}).get("Status")
    if status != "enabled":
        return Result(False, "ingress", "minikube ingress addon is off", "minikube addons enable ingress")
    return Result(True, "ingress", "minikube ingress addon enabled")


# DaemonSet names that tell which CNI enforces NetworkPolicies (any namespace):
# cilium (DOKS, minikube --cni=cilium), calico-node (minikube --cni=calico, operator installs).
CNI_DAEMONSETS = {"cilium": "cilium", "calico-node": "calico"}


def _kubectl(config: PlatformConfig, *args: str) -> subprocess.CompletedProcess[str] | None:
    env = {**os.environ, "KUBECONFIG": str(_kubeconfig(config))}
    return run("kubectl", "--context", config.kube.context, *args, env=env)


def detect_cni(config: PlatformConfig) -> str | None:
    """"cilium", "calico", "none" (no policy-enforcing CNI found), or None when the cluster cannot be read."""
    proc = _kubectl(config, "get", "daemonsets", "--all-namespaces", "-o", "name")
    if proc is None or proc.returncode != 0:
        return None
    names = {line.rsplit("/", 1)[-1] for line in proc.stdout.split()}
    found = [cni for ds, cni in CNI_DAEMONSETS.items() if ds in names]
    return found[0] if found else "none"


def _api_endpoint(config: PlatformConfig) -> tuple[set[str], set[int]] | None:
    proc = _kubectl(config, "get", "endpoints", "kubernetes", "--namespace", "default", "-o", "json")
    if proc is None or proc.returncode != 0:
        return None
    subsets = json.loads(proc.stdout or "{}").get("subsets", [])
    ips = {a["ip"] for s in subsets for a in s.get("addresses", [])}
    ports = {p["port"] for s in subsets for p in s.get("ports", [])}
    return ips, ports


def check_cni(config: PlatformConfig) -> Result:
    """The cluster's CNI is the one ``[network] cni`` expects, and the API server is where policies say."""
    expected = config.network.cni
    local = f"envs/{config.env}.local.toml"
    detected = detect_cni(config)
    if detected is None:
        return Result(False, "CNI", "cannot list the cluster's DaemonSets", "check the kubeconfig line above")
    if detected != expected:
        if expected == "cilium" and not config.is_prod:
            fix = f'minikube delete && minikube start --cni=cilium (or set [network] cni = "{detected}" in {local})'
        else:
            fix = f'set [network] cni = "{detected}" in {local}' + (
                " (cni = 'none' would leave the API server and nodes unreachable under default-deny)"
                if expected == "none" else "")
        return Result(False, "CNI", f"config expects {expected!r}, the cluster runs {detected!r}", fix)
    if expected == "cilium":
        crd = _kubectl(config, "get", "crd", "ciliumnetworkpolicies.cilium.io", "-o", "name")
        if crd is None or crd.returncode != 0:
            return Result(False, "CNI", "Cilium without the CiliumNetworkPolicy CRD: plans would fail",
                          "install Cilium with its CRDs (minikube start --cni=cilium)")
    endpoint = _api_endpoint(config)
    if endpoint is None:
        return Result(False, "CNI", "cannot read the kubernetes endpoints", "check the kubeconfig line above")
    ips, ports = endpoint
    if not ports & set(config.network.api_server_ports):
        opened = list(config.network.api_server_ports)
        return Result(False, "CNI", f"the API server listens on {sorted(ports)}, policies open {opened}",
                      f"set [network] api_server_ports = {sorted(ports)} in {local}")
    if expected == "calico":
        nets = [ipaddress.ip_network(c) for c in config.network.api_server_cidrs]
        outside = sorted(ip for ip in ips if not any(ipaddress.ip_address(ip) in n for n in nets))
        if outside:
            return Result(False, "CNI", f"API server endpoints {outside} are outside network.api_server_cidrs",
                          f"set [network] api_server_cidrs = {[f'{ip}/32' for ip in sorted(ips)]} in {local}")
    if expected == "none":
        return Result(True, "CNI", "no policy-enforcing CNI: NetworkPolicies are not enforced here (as configured)",
                      "minikube start --cni=cilium tests them as prod enforces them", warning=True)
    return Result(True, "CNI", f"{expected} enforces the policies; API server on {sorted(ports)}")


COMMON: list[Callable[[PlatformConfig], Result]] = [
    check_tofu, check_kubectl, check_sops, check_age_key, check_secrets_file, check_kubeconfig, check_cni,
    check_outdir, check_stale_plaintext,
]
PROD: list[Callable[[PlatformConfig], Result]] = [check_doctl, check_spaces_credentials]
DEV: list[Callable[[PlatformConfig], Result]] = [check_minikube_addon]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default=None, help="dev or prod (default: $APP_ENV, else dev)")
    args = parser.parse_args(argv)
    try:
        config = load_config(resolve_env(args.env or os.environ.get("APP_ENV")), use_local_files=True)
    except ConfigError as exc:
        print(f"FAIL  config: {exc}", file=sys.stderr)
        return 1
    checks = COMMON + (PROD if config.is_prod else DEV)
    results = [check(config) for check in checks]
    print(f"doctor: APP_ENV={config.env}")
    for result in results:
        print(result.line())
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} ok, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
