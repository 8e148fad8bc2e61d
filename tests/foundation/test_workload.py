"""The hardened workload helper: typed volumes, mount names checked early, sysctls."""

from __future__ import annotations

import pytest

from platform_constructs.base.native import native_pod_spec
from platform_constructs.base.workload import (
    ClaimVolume,
    ConfigMapVolume,
    Container,
    EmptyDir,
    Pod,
    SecretVolume,
    deployment,
    stateful_set,
)


def app(**mounts: str) -> Container:
    return Container(name="app", image="example/app:1.0", memory_request="64Mi", memory_limit="128Mi", mounts=mounts)


def test_typed_volumes_render_the_provider_blocks():
    pod = Pod(
        containers=[app(tmp="/tmp", shm="/dev/shm", data="/data", conf="/etc/app", auth="/etc/auth")],
        volumes=[
            EmptyDir("tmp", "64Mi"),
            EmptyDir("shm", "256Mi", medium="Memory"),
            ClaimVolume("data", "app-data"),
            ConfigMapVolume("conf", "app-config"),
            SecretVolume("auth", "app-auth", items={"users.xml": "app.xml"}, default_mode="0440"),
        ],
    )
    assert pod.render({})["spec"]["volume"] == [
        {"name": "tmp", "empty_dir": {"size_limit": "64Mi"}},
        {"name": "shm", "empty_dir": {"medium": "Memory", "size_limit": "256Mi"}},
        {"name": "data", "persistent_volume_claim": {"claim_name": "app-data"}},
        {"name": "conf", "config_map": {"name": "app-config"}},
        {
            "name": "auth",
            "secret": {
                "secret_name": "app-auth",  # pragma: allowlist secret
                "items": [{"key": "users.xml", "path": "app.xml"}],
                "default_mode": "0440",
            },
        },
    ]


@pytest.mark.parametrize("build", [
    lambda pod: deployment(None, "d", name="web", namespace="ns", pod=pod),
    lambda pod: native_pod_spec(pod, {}, what="Job 'web'"),  # pod specs our own charts template (init hooks)
    lambda pod: stateful_set(None, "s", name="web", namespace="ns", pod=pod, service_name="web", volume_claims={}),
])
def test_a_mount_without_its_volume_is_an_early_error_naming_container_and_volume(build):
    pod = Pod(containers=[app(tmp="/tmp", cache="/home/node/.cache")], volumes=[EmptyDir("tmp", "64Mi")])
    with pytest.raises(ValueError, match=r"'web': container 'app' mounts \['cache'\] but the pod has no such volume"):
        build(pod)


def test_init_container_mounts_are_checked_too():
    pod = Pod(containers=[app()], init_containers=[app(seed="/seed")])
    with pytest.raises(ValueError, match=r"mounts \['seed'\]"):
        pod.check_mounts("Deployment 'web'")


def test_statefulset_claims_count_as_volumes_and_duplicates_are_refused():
    Pod(containers=[app(data="/data")]).check_mounts("StatefulSet 'db'", claims=["data"])
    with pytest.raises(ValueError, match=r"\['tmp'\] declared more than once"):
        Pod(containers=[app()], volumes=[EmptyDir("tmp", "1Mi"), EmptyDir("tmp", "2Mi")]).check_mounts("x")


def test_sysctls_render_in_the_pod_security_context():
    spec = Pod(containers=[app()], sysctls={"net.ipv4.ip_unprivileged_port_start": "80"}).render({})["spec"]
    assert spec["security_context"]["sysctl"] == [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "80"}]
    assert "sysctl" not in Pod(containers=[app()]).render({})["spec"]["security_context"]

