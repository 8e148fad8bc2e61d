"""kube-prometheus-stack release: pinned, in `metrics`, sized and stored per env, selectors open."""

from __future__ import annotations

import re

import pytest
from support.metrics import by_name, release_values, the_release, variant  # noqa: F401
from support.synth import resources_of

from platform_constructs.versions import CHARTS, IMAGES

ENVS = ("dev", "prod")


@pytest.mark.parametrize("env", ENVS)
def test_release_is_pinned_and_lives_in_metrics(env, stacks):
    stack = stacks[f"{env}-metrics"]
    release = the_release(stack)
    chart = CHARTS["kube-prometheus-stack"]
    assert (release["repository"], release["chart"], release["version"]) == (chart.repository, chart.chart, chart.version)
    assert release["namespace"] == "${kubernetes_namespace_v1.namespace_metrics.metadata[0].name}", (
        f"{env}: kube-prometheus-stack must go in the namespace this stack creates (metrics)"
    )
    names = {body["metadata"]["name"] for body in resources_of(stack, "kubernetes_namespace_v1").values()}
    assert names == {"metrics"}, f"{env}-metrics owns exactly namespace metrics, got {names}"


@pytest.mark.parametrize("env", ENVS)
def test_retention_and_volumes_follow_config(env, stacks, configs):
    config = configs[env]
    values = release_values(stacks[f"{env}-metrics"])
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["retention"] == config.metrics.retention
    assert spec.get("retentionSize", "") == config.metrics.retention_size
    claims = {
        "prometheus": (spec["storageSpec"]["volumeClaimTemplate"]["spec"], config.metrics.storage),
        "alertmanager": (
            values["alertmanager"]["alertmanagerSpec"]["storage"]["volumeClaimTemplate"]["spec"],
            config.metrics.alertmanager_storage,
        ),
    }
    for component, (claim, size) in claims.items():
        assert claim["storageClassName"] == config.storage.block_class, f"{env}: {component} PVC class"
        assert claim["resources"]["requests"]["storage"] == size, f"{env}: {component} PVC size"
    grafana = values["grafana"]["persistence"]
    assert grafana["enabled"] is True, f"{env}: Grafana must persist (users, UI dashboards)"
    assert (grafana["storageClassName"], grafana["size"]) == (config.storage.block_class, config.metrics.grafana.storage)
    assert values["grafana"]["deploymentStrategy"] == {"type": "Recreate"}, "RWO volume: Recreate, not RollingUpdate"


def test_prod_keeps_more_than_dev(configs):
    def hours(duration: str) -> int:
        return int(re.match(r"(\d+)h", duration).group(1))

    assert hours(configs["prod"].metrics.retention) > hours(configs["dev"].metrics.retention)


RESOURCE_PATHS = {
    "prometheus": ("prometheus", "prometheusSpec", "resources"),
    "alertmanager": ("alertmanager", "alertmanagerSpec", "resources"),
    "grafana": ("grafana", "resources"),
    "grafana sidecars": ("grafana", "sidecar", "resources"),
    "operator": ("prometheusOperator", "resources"),
    "config reloaders": ("prometheusOperator", "prometheusConfigReloader", "resources"),
    "admission webhook jobs": ("prometheusOperator", "admissionWebhooks", "patch", "resources"),
    "CRD upgrade job": ("crds", "upgradeJob", "resources"),
    "kube-state-metrics": ("kube-state-metrics", "resources"),
    "node-exporter": ("prometheus-node-exporter", "resources"),
}


@pytest.mark.parametrize("env", ENVS)
def test_every_component_has_memory_requests_and_limits(env, stacks):
    values = release_values(stacks[f"{env}-metrics"])
    for component, path in RESOURCE_PATHS.items():
        node = values
        for key in path:
            assert key in node, f"{env}: {component}: missing {'.'.join(path)}"
            node = node[key]
        assert node["requests"]["memory"] and node["limits"]["memory"], f"{env}: {component} needs memory request+limit"


@pytest.mark.parametrize("env", ENVS)
def test_prometheus_selects_monitors_and_rules_of_every_release(env, stacks):
    spec = release_values(stacks[f"{env}-metrics"])["prometheus"]["prometheusSpec"]
    for kind in ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"):
        assert spec[f"{kind}SelectorNilUsesHelmValues"] is False, f"{env}: {kind} selector limited to this release"


@pytest.mark.parametrize("env", ENVS)
def test_values_have_no_unescaped_template_sequences(env, stacks):
    (raw,) = the_release(stacks[f"{env}-metrics"])["values"]
    assert not re.search(r"(?<!\$)\$\{|(?<!%)%\{", raw), f"{env}: helm values contain a literal ${{ or %{{ for OpenTofu"


@pytest.mark.parametrize("env", ENVS)
def test_no_privileged_init_container_and_no_floating_image(env, stacks):
    values = release_values(stacks[f"{env}-metrics"])
    assert values["grafana"]["initChownData"]["enabled"] is False, "root chown init container must stay off"
    busybox = values["crds"]["upgradeJob"]["image"]["busybox"]
    assert busybox["tag"] not in ("", "latest"), "the CRD upgrade job's busybox must be pinned"
    # The chart's default kubectl tag is the cluster's version (prometheus-community/helm-charts@
    # kube-prometheus-stack-88.5.3 charts/kube-prometheus-stack/charts/crds/templates/upgrade/job.yaml).
    kubectl = values["crds"]["upgradeJob"]["image"]["kubectl"]
    assert f"{kubectl['registry']}/{kubectl['repository']}:{kubectl['tag']}" == IMAGES["kubectl"]


@pytest.mark.parametrize("env", ENVS)
def test_default_rules_of_disabled_components_are_left_to_the_chart(env, stacks):
    """Each default rule group of an off component is already gated by that component's ``enabled`` (88.5.3
    templates/prometheus/rules-1.14/{etcd,kube-scheduler.rules,kubernetes-system-*,windows.*}.yaml)."""
    values = release_values(stacks[f"{env}-metrics"])
    for component in ("kubeEtcd", "kubeControllerManager", "kubeScheduler", "kubeProxy", "windowsMonitoring"):
        assert values[component]["enabled"] is False, f"{env}: {component} stays off"
    assert "defaultRules" not in values, f"{env}: rule switches for components already off are noise"


def test_metrics_switched_off_installs_nothing(variant):  # noqa: F811
    configs, stacks = variant
    stack = stacks["dev"]
    assert configs["dev"].metrics.enabled is False
    assert resources_of(stack, "helm_release") == {}, "metrics.enabled = false must not install kube-prometheus-stack"
    assert resources_of(stack, "kubernetes_ingress_v1") == {}
    assert set(by_name(stack, "kubernetes_namespace_v1")) == {"metrics"}, "the namespace stays (apps' policies name it)"
