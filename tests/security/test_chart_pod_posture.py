"""Pod specs shipped in our own charts' values (API shape, ``base/native.py``) get the same
posture checks as a ``kubernetes_job_v1``: the init hook cannot be weakened unseen."""

from __future__ import annotations

import copy
import json

from platform_constructs.base.native import native_pod_spec, provider_pod_spec
from platform_constructs.base.workload import Container, EmptyDir, Pod, Probe, SecretEnv, SecretVolume
from platform_constructs.posture import chart_pod_posture

POD = Pod(
    containers=[Container(name="init", image="img:1", memory_request="8Mi", memory_limit="16Mi", command=["bash", "-c", "x"],
                          env={"A": "1"}, secret_env={"PW": SecretEnv("s", "k")}, mounts={"tmp": "/tmp"}, run_as_user="999",
                          readiness=Probe(port=8080, path="/"))],
    volumes=[EmptyDir("tmp", "16Mi"), SecretVolume("c", "x", default_mode="0440")],
    run_as_user="999",
)


def release(pod_spec):
    return {"resource": {"helm_release": {"r": {"values": [json.dumps({"job": {"podSpec": pod_spec}})]}}}}


def test_native_shape_is_what_the_api_takes():
    native = native_pod_spec(POD, {"app": "x"})
    spec = native["spec"]
    container = spec["containers"][0]
    assert spec["securityContext"]["runAsUser"] == 999 and container["securityContext"]["runAsUser"] == 999
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}} in container["env"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/", "port": 8080}
    assert spec["volumes"][1]["secret"]["defaultMode"] == 0o440
    assert native["metadata"] == {"labels": {"app": "x"}}
    assert provider_pod_spec(spec)["container"][0]["security_context"]["read_only_root_filesystem"] is True


def test_hardened_chart_pod_has_no_finding(configs):
    assert list(chart_pod_posture(configs["dev"], "dev-data", release(native_pod_spec(POD, {})))) == []


def test_weakened_chart_pod_is_a_finding(configs):
    for path, value, rule in (
        (("containers", 0, "securityContext", "readOnlyRootFilesystem"), False, "posture-read-only-root"),
        (("containers", 0, "securityContext", "allowPrivilegeEscalation"), True, "posture-privilege-escalation"),
        (("automountServiceAccountToken",), True, "posture-sa-token"),
        (("securityContext", "runAsNonRoot"), False, "posture-non-root"),
    ):
        native = native_pod_spec(POD, {})
        node = native["spec"]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        if rule == "posture-non-root":
            del native["spec"]["containers"][0]["securityContext"]["runAsNonRoot"]
        found = {f.rule for f in chart_pod_posture(configs["dev"], "dev-data", release(copy.deepcopy(native)))}
        assert rule in found, f"{path}={value!r} not reported: {found}"
