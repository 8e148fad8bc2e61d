"""Workload posture rules catch each weakness, and the hardened helper produces none."""

from __future__ import annotations

import copy
import json

import pytest

from platform_constructs.posture import chart_values_posture, rbac_least_privilege, workload_posture


def hardened_pod():
    return {
        "automount_service_account_token": False,
        "security_context": {"run_as_non_root": True, "run_as_user": 1000, "seccomp_profile": {"type": "RuntimeDefault"}},
        "container": [
            {
                "name": "app",
                "image": "example/app:1.0",
                "security_context": {
                    "allow_privilege_escalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "read_only_root_filesystem": True,
                },
                "resources": {"requests": {"memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                "readiness_probe": {"http_get": {"path": "/", "port": "8080"}},
                "liveness_probe": {"http_get": {"path": "/", "port": "8080"}},
            }
        ],
    }


def deployment(pod):
    return {"resource": {"kubernetes_deployment_v1": {"web": {"spec": {"template": {"spec": pod}}}}}}


def rules_hit(config, pod):
    return sorted({f.rule for f in workload_posture(config, "dev-apps", deployment(pod))})


def test_hardened_pod_has_no_finding(configs):
    assert rules_hit(configs["dev"], hardened_pod()) == []


BREAKAGES = {
    "posture-sa-token": lambda pod: pod.pop("automount_service_account_token"),
    "posture-non-root": lambda pod: pod["security_context"].update(run_as_non_root=False),
    "posture-privilege-escalation": lambda pod: pod["container"][0]["security_context"].pop("allow_privilege_escalation"),
    "posture-privileged": lambda pod: pod["container"][0]["security_context"].update(privileged=True),
    "posture-capabilities": lambda pod: pod["container"][0]["security_context"]["capabilities"].update(drop=["NET_RAW"]),
    "posture-capabilities-add": lambda pod: pod["container"][0]["security_context"]["capabilities"].update(add=["NET_ADMIN"]),
    "posture-seccomp": lambda pod: pod["security_context"].pop("seccomp_profile"),
    "posture-resources": lambda pod: pod["container"][0]["resources"].pop("limits"),
    "posture-probes": lambda pod: pod["container"][0].pop("liveness_probe"),
    "posture-host-namespaces": lambda pod: pod.update(host_network=True),
    "posture-read-only-root": lambda pod: pod["container"][0]["security_context"].pop("read_only_root_filesystem"),
}


@pytest.mark.parametrize("rule", sorted(BREAKAGES))
def test_each_weakness_is_a_finding(configs, rule):
    pod = copy.deepcopy(hardened_pod())
    BREAKAGES[rule](pod)
    assert rule in rules_hit(configs["dev"], pod)


def test_run_as_user_zero_is_root(configs):
    pod = hardened_pod()
    pod["container"][0]["security_context"]["run_as_user"] = 0
    assert "posture-non-root" in rules_hit(configs["dev"], pod)


def test_probes_not_required_for_jobs(configs):
    pod = hardened_pod()
    del pod["container"][0]["readiness_probe"], pod["container"][0]["liveness_probe"]
    stack = {"resource": {"kubernetes_job_v1": {"init": {"spec": {"template": {"spec": pod}}}}}}
    assert list(workload_posture(configs["dev"], "dev-data", stack)) == []


def test_risky_chart_values_are_findings(configs):
    values = {"controller": {"securityContext": {"privileged": True}}, "podSecurityContext": {"runAsUser": 0}}
    stack = {"resource": {"helm_release": {"x": {"values": [json.dumps(values)]}}}}
    [finding] = chart_values_posture(configs["dev"], "dev-infra", stack)
    assert "controller.securityContext.privileged=True" in finding.message and "runAsUser=0" in finding.message


def test_rbac_wildcards_and_unused_service_accounts(configs):
    stack = {
        "resource": {
            "kubernetes_cluster_role_v1": {"god": {"rule": [{"api_groups": ["*"], "resources": ["*"], "verbs": ["*"]}]}},
            "kubernetes_service_account_v1": {"idle": {"metadata": {"name": "idle"}}},
        }
    }
    rules = sorted({f.rule for f in rbac_least_privilege(configs["dev"], "dev-infra", stack)})
    assert rules == ["rbac-unused-service-account", "rbac-wildcard"]


def test_namespaces_enforce_restricted_unless_waived(stacks):
    from platform_constructs.waivers import POD_SECURITY_WAIVERS

    for name, stack in stacks.items():
        for ns in stack.get("resource", {}).get("kubernetes_namespace_v1", {}).values():
            labels, ns_name = ns["metadata"]["labels"], ns["metadata"]["name"]
            expected = POD_SECURITY_WAIVERS[ns_name].level if ns_name in POD_SECURITY_WAIVERS else "restricted"
            assert labels["pod-security.kubernetes.io/enforce"] == expected, f"{name}: namespace {ns_name}"
            assert labels["pod-security.kubernetes.io/warn"] == "restricted", f"{name}: namespace {ns_name}"
            assert labels["pod-security.kubernetes.io/audit"] == "restricted", f"{name}: namespace {ns_name}"


def test_pod_security_waivers_have_reasons_and_match_a_namespace(stacks):
    """Each waiver names a namespace the project can create (apps switched off included)."""
    from platform_constructs.apps.stack import APP_NAMESPACES
    from platform_constructs.waivers import POD_SECURITY_WAIVERS

    names = {"infra", "data", "metrics", *APP_NAMESPACES.values()}
    for namespace, waiver in POD_SECURITY_WAIVERS.items():
        assert namespace in names, f"stale Pod Security waiver for {namespace}"
        assert len(waiver.reason) > 20, f"waiver for {namespace} needs a real reason"
