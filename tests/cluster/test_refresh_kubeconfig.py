"""bin/refresh-kubeconfig.sh against a stand-in doctl on PATH (no network, no cluster).

Each test runs a copy of the script in a scratch "repo" whose envs/ and .venv/ link to the real
ones, so the script reads the real prod config but writes only the scratch .kube/config.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "bin" / "refresh-kubeconfig.sh"

FAKE_DOCTL = textwrap.dedent(
    """\
    #!/usr/bin/env bash
    # Stand-in doctl: logs its arguments; behaviour set by FAKE_* variables.
    echo "$* KUBECONFIG=${KUBECONFIG:-}" >> "$FAKE_DOCTL_LOG"
    case "$*" in
      "account get")
        if [ "${FAKE_AUTH:-ok}" != ok ]; then
          echo "Error: Unable to initialize DigitalOcean API client: access token is required." >&2; exit 1
        fi
        echo "user@example.org  active" ;;
      "kubernetes cluster kubeconfig save "*)
        [ "${FAKE_SAVE:-ok}" = ok ] || { echo "Error: cluster not found" >&2; exit 1; }
        name=${*: -1}; ctx="do-${FAKE_REGION:-fra1}-$name"
        cat > "$KUBECONFIG" <<YAML
    apiVersion: v1
    clusters:
    - cluster:
        server: https://example.k8s.ondigitalocean.com
      name: $ctx
    contexts:
    - context:
        cluster: $ctx
        user: $ctx-admin
      name: $ctx
    current-context: $ctx
    kind: Config
    users:
    - name: $ctx-admin
      user:
        exec:
          command: doctl
    YAML
        chmod 644 "$KUBECONFIG"   # a careless writer: the script must tighten it
        echo "Notice: Adding cluster credentials to kubeconfig file found in \\"$KUBECONFIG\\"" >&2 ;;
      *) echo "fake doctl: unexpected arguments: $*" >&2; exit 99 ;;
    esac
    """
)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "bin").mkdir(parents=True)
    shutil.copy2(SCRIPT, root / "bin" / SCRIPT.name)
    (root / "envs").symlink_to(REPO / "envs")
    (root / ".venv").symlink_to(REPO / ".venv")
    fakebin = tmp_path / "fakebin"
    fakebin.mkdir()
    doctl = fakebin / "doctl"
    doctl.write_text(FAKE_DOCTL)
    doctl.chmod(0o755)
    return root


def run(root: Path, *args: str, with_doctl: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    path = [str(root.parent / "fakebin")] if with_doctl else []
    environ = {
        "PATH": os.pathsep.join([*path, "/usr/bin", "/bin"]),
        "HOME": str(root.parent),
        "FAKE_DOCTL_LOG": str(root.parent / "doctl.log"),
        **env,
    }
    return subprocess.run(
        [str(root / "bin" / SCRIPT.name), *args], capture_output=True, text=True, env=environ, timeout=60, check=False
    )


def doctl_calls(root: Path) -> list[str]:
    log = root.parent / "doctl.log"
    return log.read_text().splitlines() if log.exists() else []


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_success_writes_the_repo_kubeconfig_private_with_the_prod_context(scratch, configs):
    prod = configs["prod"]
    result = run(scratch)
    assert result.returncode == 0, result.stderr
    kubeconfig = scratch / ".kube" / "config"
    assert mode(kubeconfig) == 0o600, f"{kubeconfig} is {oct(mode(kubeconfig))}"
    assert mode(kubeconfig.parent) == 0o700, f".kube is {oct(mode(kubeconfig.parent))}"
    assert f"name: {prod.kube.context}" in kubeconfig.read_text()
    assert doctl_calls(scratch) == [
        "account get KUBECONFIG=",
        f"kubernetes cluster kubeconfig save {prod.cluster_name} KUBECONFIG={kubeconfig}",
    ]
    assert prod.kube.context in result.stderr


def test_existing_loose_permissions_are_tightened(scratch):
    kube = scratch / ".kube"
    kube.mkdir(mode=0o755)
    kube.chmod(0o755)
    (kube / "config").write_text("apiVersion: v1\nkind: Config\n")
    (kube / "config").chmod(0o644)
    assert run(scratch).returncode == 0
    assert (mode(kube), mode(kube / "config")) == (0o700, 0o600)


def test_missing_doctl_is_a_clear_error(scratch):
    result = run(scratch, with_doctl=False)
    assert result.returncode == 1
    assert "doctl not found on PATH" in result.stderr and "install" in result.stderr.lower()
    assert not (scratch / ".kube").exists()


def test_unauthenticated_doctl_is_a_clear_error_and_writes_nothing(scratch):
    result = run(scratch, FAKE_AUTH="no")
    assert result.returncode == 1
    assert "not authenticated" in result.stderr and "doctl auth init" in result.stderr
    assert "access token is required" in result.stderr, "doctl's own reason is shown"
    assert not (scratch / ".kube").exists()
    assert [c.split(" KUBECONFIG")[0] for c in doctl_calls(scratch)] == ["account get"]


def test_failing_save_is_a_clear_error(scratch):
    result = run(scratch, FAKE_SAVE="no")
    assert result.returncode == 1
    assert "could not save the kubeconfig" in result.stderr and "doctl kubernetes cluster list" in result.stderr


def test_context_from_another_region_is_refused(scratch, configs):
    result = run(scratch, FAKE_REGION="ams3")
    assert result.returncode == 1
    assert f"context '{configs['prod'].kube.context}'" in result.stderr and "do-ams3-" in result.stderr


def test_cluster_name_override_without_matching_context_is_refused(scratch):
    result = run(scratch, CLUSTER_NAME="other")
    assert result.returncode == 1
    assert "do-fra1-other" in result.stderr
    assert not any("save" in c for c in doctl_calls(scratch))


def test_help_and_bad_arguments(scratch):
    help_ = run(scratch, "--help")
    assert help_.returncode == 0 and "Usage: bin/refresh-kubeconfig.sh" in help_.stdout
    bad = run(scratch, "--cluster")
    assert bad.returncode == 2 and "unknown argument '--cluster'" in bad.stderr
    assert doctl_calls(scratch) == []


def test_repo_kubeconfig_is_git_ignored():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "-C", str(REPO), "check-ignore", "-q", ".kube/config"], capture_output=True, check=False
    )
    assert result.returncode == 0, ".kube/ must be git-ignored (it holds cluster-admin credentials)"
