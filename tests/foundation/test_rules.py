"""Rules as code: each rule catches its violation (negative tests) and the real output is clean."""

from __future__ import annotations

import copy
import json

import pytest

from platform_constructs.rules import (
    Finding,
    RulesViolation,
    Waiver,
    block_storage_only,
    check_stack,
    helm_pinned,
    image_problem,
    images_pinned,
    no_bitnami,
    no_managed_database,
    static_references,
    unwaived,
)


def _release(**overrides):
    body = {
        "name": "demo",
        "chart": "demo",
        "repository": "https://charts.example.org",
        "version": "1.2.3",
        "namespace": "apps",
        "values": [json.dumps({"image": {"repository": "ghcr.io/example/demo", "tag": "1.0.0"}})],
    }
    body.update(overrides)
    return body


def _stack(resources):
    return {"resource": resources}


def _deployment(image):
    return {
        "spec": [{"template": [{"spec": [{"container": [{"name": "c", "image": image}]}]}]}],
    }


@pytest.fixture()
def dev(configs):
    return configs["dev"]


def test_the_synthesized_stacks_pass_every_rule(stacks, configs):
    from platform_constructs.platform import ALL_RULES
    from platform_constructs.waivers import WAIVERS

    for name, stack in stacks.items():
        findings = check_stack(configs[name.split("-")[0]], name, stack, ALL_RULES)
        open_findings, _ = unwaived(findings, WAIVERS)
        assert not open_findings, "\n".join(map(str, open_findings))


@pytest.mark.parametrize(
    "resource",
    [
        {"helm_release": {"r": _release(repository="https://charts.bitnami.com/bitnami")}},
        {"helm_release": {"r": _release(chart="oci://registry-1.docker.io/bitnamicharts/redis")}},
        {"helm_release": {"r": _release(values=[json.dumps({"postgresql": {"image": {"registry": "docker.io", "repository": "bitnami/postgresql", "tag": "16"}}})])}},  # noqa: E501
        {"kubernetes_deployment_v1": {"d": _deployment("docker.io/bitnamilegacy/kubectl:1.33")}},
    ],
)
def test_no_bitnami_anywhere(dev, resource):
    findings = list(no_bitnami(dev, "dev-apps", _stack(resource)))
    assert findings and findings[0].rule == "no-bitnami"
    assert findings[0].resource.split(".")[0] in resource, "the finding names the resource"


def test_no_managed_database(dev):
    findings = list(no_managed_database(dev, "prod-cluster", _stack({"digitalocean_database_cluster": {"pg": {}}})))
    assert [f.resource for f in findings] == ["digitalocean_database_cluster.pg"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"version": None}, "exact"),
        ({"version": "~> 1.2"}, "exact"),
        ({"version": ">=1.0.0"}, "exact"),
        ({"version": "1.2"}, "exact"),
        ({"repository": "http://charts.example.org"}, "https:// or oci://"),
        ({"repository": None}, "https:// or oci://"),
    ],
)
def test_helm_releases_are_pinned(dev, overrides, message):
    findings = list(helm_pinned(dev, "dev-infra", _stack({"helm_release": {"demo": _release(**overrides)}})))
    assert findings and message in findings[0].message and findings[0].resource == "helm_release.demo"


@pytest.mark.parametrize(
    ("image", "ok"),
    [
        ("postgres:17.10-bookworm", True),
        ("ghcr.io/org/app:v1.2.3", True),
        ("registry:5000/org/app:1.0", True),
        ("nginx@sha256:" + "a" * 64, True),
        ("nginx", False),
        ("nginx:latest", False),
        ("registry:5000/org/app", False),
    ],
)
def test_image_problem(image, ok):
    assert (image_problem(image) is None) is ok


def test_images_pinned_in_workloads_and_chart_values(dev):
    stack = _stack(
        {
            "kubernetes_deployment_v1": {"web": _deployment("nginx:latest")},
            "helm_release": {"chart": _release(values=[json.dumps({"image": {"repository": "ghcr.io/x/y", "tag": "latest"}})])},
        }
    )
    resources = sorted(f.resource for f in images_pinned(dev, "dev-apps", stack))
    assert resources == ["helm_release.chart", "kubernetes_deployment_v1.web"]


def test_pvcs_only_on_the_env_block_class(dev):
    good = {"spec": [{"storage_class_name": dev.storage.block_class}]}
    bad = {"spec": [{"storage_class_name": "gp2"}]}
    missing = {"spec": [{}]}
    stack = _stack({"kubernetes_persistent_volume_claim_v1": {"good": good, "bad": bad, "missing": missing}})
    resources = sorted(f.resource for f in block_storage_only(dev, "dev-data", stack))
    assert resources == ["kubernetes_persistent_volume_claim_v1.bad", "kubernetes_persistent_volume_claim_v1.missing"]
    values = _release(values=[json.dumps({"persistence": {"storageClass": "fast-ssd"}})])
    assert [f.resource for f in block_storage_only(dev, "dev-data", _stack({"helm_release": {"r": values}}))] == [
        "helm_release.r"
    ]


def test_static_references_refuse_interpolations_naming_the_resource(dev):
    """depends_on / replace_triggered_by / encryption methods with "${...}" are refused at synth time
    (tofu init rejects them: "A single static variable reference is required"); bare addresses pass."""
    pvc = "kubernetes_persistent_volume_claim_v1.dumps"
    bare = {"depends_on": [pvc], "lifecycle": {"replace_triggered_by": ["terraform_data.inputs"]}}
    method = "method.aes_gcm.default"
    good = {
        "resource": {"kubernetes_stateful_set_v1": {"db": bare}},
        "data": {"kubernetes_secret_v1": {"s": {"depends_on": [pvc]}}},
        "output": {"o": {"value": "${var.x}", "depends_on": [pvc]}},
        "terraform": {"encryption": {"state": {"method": method, "fallback": {"method": method}}, "plan": {"method": method}}},
    }
    assert list(static_references(dev, "dev-data", good)) == []

    bad = copy.deepcopy(good)
    bad["resource"]["kubernetes_stateful_set_v1"]["db"]["depends_on"] = [f"${{{pvc}}}"]
    bad["resource"]["kubernetes_stateful_set_v1"]["db"]["lifecycle"]["replace_triggered_by"] = ["${terraform_data.i}"]
    bad["data"]["kubernetes_secret_v1"]["s"]["depends_on"] = [f"${{{pvc}}}"]
    bad["output"]["o"]["depends_on"] = [f"${{{pvc}}}"]
    encryption = bad["terraform"]["encryption"]
    encryption["state"]["fallback"]["method"] = f"${{{method}}}"
    encryption["plan"]["method"] = f"${{{method}}}"
    encryption["remote_state_data_sources"] = {"remote_state_data_source": {"other": {"method": f"${{{method}}}"}}}
    found = {(f.resource, f.message.split(" holds ")[0]) for f in static_references(dev, "dev-data", bad)}
    assert found == {
        ("kubernetes_stateful_set_v1.db", "depends_on"),
        ("kubernetes_stateful_set_v1.db", "lifecycle.replace_triggered_by"),
        ("data.kubernetes_secret_v1.s", "depends_on"),
        ("output.o", "depends_on"),
        ("terraform.encryption.state.fallback", "method"),
        ("terraform.encryption.plan", "method"),
        ("terraform.encryption.remote_state_data_sources.other", "method"),
    }
    assert all("base.addresses.address" in f.message for f in static_references(dev, "dev-data", bad))


def test_waivers_cover_findings_and_stale_waivers_are_reported():
    finding = Finding("image-pinned", "dev-apps", "kubernetes_deployment_v1.web", "…")
    waiver = Waiver("image-pinned", "*-apps", "kubernetes_deployment_v1.web", "vendor publishes no tags")
    stale = Waiver("no-bitnami", "dev-apps", "helm_release.gone", "was needed once")
    open_findings, stale_waivers = unwaived([finding], [waiver, stale])
    assert open_findings == [] and stale_waivers == [stale]


def test_violation_message_lists_every_offender():
    findings = [
        Finding("no-bitnami", "dev-apps", "helm_release.a", "x"),
        Finding("helm-pinned", "prod-infra", "helm_release.b", "y"),
    ]
    text = str(RulesViolation(findings))
    assert "dev-apps: helm_release.a" in text and "prod-infra: helm_release.b" in text and "waivers.py" in text


def test_check_rules_raises_naming_the_broken_resource(configs, synthesized, tmp_path):
    """check_rules over a copy of the real output with one broken resource raises and names it."""
    import shutil

    from platform_constructs.platform import check_rules

    out = tmp_path / "out"
    shutil.copytree(synthesized, out)
    path = out / "stacks" / "dev-data" / "cdk.tf.json"
    stack = json.loads(path.read_text())
    broken = copy.deepcopy(stack)
    broken.setdefault("resource", {})["helm_release"] = {"sneaky": _release(version="*")}
    path.write_text(json.dumps(broken))
    with pytest.raises(RulesViolation, match=r"dev-data: helm_release.sneaky"):
        check_rules([configs["dev"]], out)
