"""No Bitnami anywhere, proven with EVERY optional app on (both envs), plus the default output.

The Chart.yaml dependencies of the two charts with Bitnami subcharts are listed here as facts
(their `condition` keys at the pinned versions); each must be present in our values and false.
"""

from __future__ import annotations

import pytest
from support.apps2 import all_apps_configs, all_apps_stacks, release
from support.synth import resources_of

from platform_constructs.rules import helm_values, images_pinned, no_bitnami

__all__ = ["all_apps_configs", "all_apps_stacks"]

# chart → dependency conditions (Chart.yaml) that pull Bitnami (or unwanted) subcharts.
CHART_DEPENDENCY_SWITCHES = {
    "nextcloud": ("postgresql", "mariadb", "redis", "collabora"),
    # 33.x: Bitnami postgresql/redis/kafka and CloudPirates nginx; no zookeeper/rabbitmq/clickhouse subchart any more,
    # memcached (CloudPirates) has no condition (sentry-kubernetes/charts#2219, #2200, 29.0.0 notes).
    "sentry": ("postgresql", "redis", "kafka", "nginx"),
}


def test_every_optional_app_is_on(all_apps_configs):
    for config in all_apps_configs.values():
        assert all(getattr(config.apps, app).enabled for app in ("wordpress", "n8n", "registry", "analytics", "twenty",
                                                                  "nextcloud", "sentry"))


@pytest.mark.parametrize("variant", ["default", "all_apps_on"])
def test_no_bitnami_string_and_every_image_pinned(variant, stacks, all_apps_configs, all_apps_stacks):
    chosen = stacks if variant == "default" else all_apps_stacks
    assert {name.split("-")[0] for name in chosen} == {"dev", "prod"}
    for name, stack in chosen.items():
        config = all_apps_configs[name.split("-")[0]]
        bitnami = list(no_bitnami(config, name, stack))
        assert not bitnami, "\n".join(map(str, bitnami))
        unpinned = list(images_pinned(config, name, stack))
        assert not unpinned, "\n".join(map(str, unpinned))
        for address, body in resources_of(stack, "helm_release").items():
            for doc in helm_values(body):
                assert "bitnami" not in str(doc).lower(), f"{name}: {address} values mention Bitnami"


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize("chart", sorted(CHART_DEPENDENCY_SWITCHES))
def test_each_bundled_subchart_is_present_and_false(all_apps_stacks, env, chart):
    _, values = release(all_apps_stacks[f"{env}-apps"], chart)
    for switch in CHART_DEPENDENCY_SWITCHES[chart]:
        assert switch in values, f"{env} {chart}: values must set {switch}.enabled explicitly"
        assert values[switch].get("enabled") is False, f"{env} {chart}: {switch}.enabled must be false"


def test_component_tables_cover_the_chart_switches():
    from platform_constructs.apps.nextcloud import DISABLED_SUBCHARTS as NEXTCLOUD
    from platform_constructs.apps.sentry import DISABLED_SUBCHARTS as SENTRY

    assert set(CHART_DEPENDENCY_SWITCHES["nextcloud"]) <= set(NEXTCLOUD)
    assert set(CHART_DEPENDENCY_SWITCHES["sentry"]) <= set(SENTRY)
    assert all("→" in what for what in (*NEXTCLOUD.values(), *SENTRY.values())), "each says what replaces it"
