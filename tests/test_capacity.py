"""Capacity check: requests of everything deployed vs the env's nodes (constructs/.../capacity.py)."""

from __future__ import annotations

import pytest
from support.apps2 import HEAVY_POOL, all_apps_configs, all_apps_stacks

from envs import load_config
from platform_constructs.capacity import (
    capacity_report,
    check_capacity,
    cpu_millis,
    droplet_size,
    memory_bytes,
    node_capacity,
)

__all__ = ["all_apps_configs", "all_apps_stacks"]


def test_quantities():
    assert memory_bytes("512Mi") == 512 * 2**20
    assert memory_bytes("1.5Gi") == 3 * 2**29
    assert memory_bytes("1G") == 10**9
    assert cpu_millis("250m") == 250 and cpu_millis("2") == 2000 and cpu_millis("0.5") == 500
    assert droplet_size("s-2vcpu-4gb") == (2, 4) and droplet_size("g-8vcpu-32gb-intel") == (8, 32)
    with pytest.raises(ValueError):
        memory_bytes("lots")
    with pytest.raises(ValueError):
        droplet_size("c-4")


def test_capacity_comes_from_config(configs):
    assert node_capacity(configs["dev"]).source == "apps.capacity"
    prod = node_capacity(configs["prod"])
    pool = configs["prod"].cluster.default_pool
    assert prod.memory == int(droplet_size(pool.size)[1] * 10**9 * 0.7) * pool.max_nodes


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_default_platform_fits(stacks, configs, env):
    report = capacity_report(configs[env], stacks)
    assert report.memory > 0 and report.cpu > 0
    assert not report.problems, report.summary() + "\n" + "\n".join(report.problems)


def test_counts_workloads_and_chart_values(all_apps_stacks, all_apps_configs):
    report = capacity_report(all_apps_configs["prod"], all_apps_stacks)
    where = {r.where.split(":")[-1] for r in report.requests if r.memory}
    assert {"sentry.web", "relay", "resources"} <= where, "helm values requests (sentry, nextcloud) are counted"
    assert any("kubernetes_stateful_set_v1.sentry_kafka" in r.where for r in report.requests)
    assert any("kubernetes_deployment_v1.twenty_deployment" in r.where for r in report.requests)


def test_counts_the_sentry_pods_chart_33_runs(all_apps_stacks, all_apps_configs):
    """The sized Sentry components are counted (task pods included), the removed consumers and workers are not."""
    from platform_constructs.apps.sentry.component import COMPONENT_SIZES, ERRORS_ONLY_OFF

    report = capacity_report(all_apps_configs["prod"], all_apps_stacks)
    counted = {r.where.split(":")[-1] for r in report.requests if "helm_release.sentry" in r.where and r.memory}
    running = set(COMPONENT_SIZES) - set(ERRORS_ONLY_OFF)
    assert counted == {*running, "memcached"}, counted ^ {*running, "memcached"}
    assert {"sentry.taskWorker", "sentry.taskBroker", "sentry.taskScheduler"} <= counted
    assert not {w for w in counted if "subscriptionConsumer" in w or w in ("sentry.worker", "sentry.cron")}


def test_all_apps_do_not_fit_the_laptop(all_apps_stacks, all_apps_configs, tmp_path, capsys):
    report = capacity_report(all_apps_configs["dev"], all_apps_stacks)
    assert report.problems and "memory requests" in report.problems[0], report.summary()


def test_prod_with_sentry_needs_its_pool(all_apps_stacks, all_apps_configs):
    with_pool = capacity_report(all_apps_configs["prod"], all_apps_stacks)
    assert not with_pool.problems, with_pool.summary() + "\n" + "\n".join(with_pool.problems)
    assert HEAVY_POOL["name"] in {p.name for p in all_apps_configs["prod"].cluster.extra_pools}
    sentry_on = {"apps": {"sentry": {"enabled": True, "data": "retain"}}}
    without_pool = capacity_report(load_config("prod", overrides=sentry_on), all_apps_stacks)
    assert without_pool.problems, "Sentry on the default pool alone must be reported"


def test_synth_warns_on_stderr(synthesized, configs, capsys, monkeypatch):
    import platform_constructs.capacity as capacity

    monkeypatch.setattr(capacity, "ALLOCATABLE_MEMORY_RATIO", capacity.Decimal("0.01"))
    tiny = load_config("dev", overrides={"apps": {"capacity": {"node_memory": "256Mi", "node_cpu": "1"}}})
    check_capacity([tiny, configs["prod"]], synthesized)
    err = capsys.readouterr().err
    assert "warning: capacity (dev): memory requests" in err
    assert "warning: capacity (prod)" in err
