"""Config of the cluster stack: validation with clear messages, before any jsii work."""

from __future__ import annotations

import pytest

from envs import ConfigError, load_config
from envs.sections.cluster import MaintenanceConfig, doks_context, maintenance_conflict

BACKUPS = "0 3 * * *"


@pytest.mark.parametrize(
    ("start", "clearance", "conflict"),
    [
        ("22:00", 2, False),  # 22:00-02:00, the committed choice
        ("05:00", 2, False),  # starts right after the backups' 2 hours
        ("23:00", 2, False),  # ends at 03:00 sharp: half-open windows touch, not overlap
        ("23:01", 2, True),
        ("02:00", 2, True),
        ("03:00", 2, True),   # the replaced system's choice
        ("04:30", 2, True),   # inside the backups' run time
        ("04:30", 1, False),
    ],
)
def test_maintenance_window_against_daily_backups(start, clearance, conflict):
    maintenance = MaintenanceConfig(day="sunday", start_time=start, backup_clearance_hours=clearance)
    assert (maintenance_conflict(maintenance, BACKUPS) is not None) is conflict, start


def test_overlap_wraps_around_midnight():
    maintenance = MaintenanceConfig(day="any", start_time="22:00")
    message = maintenance_conflict(maintenance, "30 23 * * *")
    assert message is not None and "22:00-02:00" in message and "start_time" in message


def test_backup_schedule_without_fixed_time_is_refused():
    with pytest.raises(ValueError, match="fixed minute and hour"):
        maintenance_conflict(MaintenanceConfig(), "0 */6 * * *")


def test_committed_prod_config_is_coherent(configs):
    prod = configs["prod"]
    assert maintenance_conflict(prod.cluster.maintenance, prod.infra.backups.schedule) is None
    assert prod.kube.context == doks_context(prod.cluster.region, prod.cluster_name)
    assert prod.cluster.region == "fra1", "the brief's default region"


def _prod(**cluster):
    return load_config("prod", overrides={"cluster": cluster})


@pytest.mark.parametrize(
    ("cluster", "message"),
    [
        ({"default_pool": {"min_nodes": 5, "max_nodes": 2}}, r"min_nodes \(5\) > max_nodes \(2\)"),
        ({"default_pool": {"taints": [{"key": "x", "value": "y"}]}}, r"default_pool must have no taints"),
        ({"extra_pools": [{"name": "default", "size": "s-1vcpu-2gb", "min_nodes": 1, "max_nodes": 1}]}, r"unique"),
        ({"vpc_ip_range": "10.244.0.0/20"}, r"overlaps the DOKS pod/service network"),
        ({"vpc_ip_range": "8.8.0.0/20"}, r"private"),
        ({"vpc_ip_range": "10.0.0.0/8"}, r"/16 to /24"),
        ({"maintenance": {"start_time": "25:00"}}, r"cluster.maintenance.start_time"),
        ({"maintenance": {"day": "someday"}}, r"cluster.maintenance.day"),
        ({"kubernetes_version_prefix": "1.35"}, r"kubernetes_version_prefix"),
        ({"extra_pools": [{"name": "h", "size": "s", "min_nodes": 1, "max_nodes": 1,
                           "taints": [{"key": "k", "value": "v", "effect": "Sometimes"}]}]}, r"effect"),
    ],
)
def test_bad_cluster_config_names_the_problem(cluster, message):
    with pytest.raises(ConfigError, match=message):
        _prod(**cluster)


def test_extra_pool_from_toml_shaped_data():
    pool = {"name": "heavy", "size": "s-4vcpu-8gb", "min_nodes": 1, "max_nodes": 2,
            "labels": {"workload": "heavy"}, "taints": [{"key": "workload", "value": "heavy"}]}
    config = _prod(extra_pools=[pool])
    (heavy,) = config.cluster.extra_pools
    assert heavy.taints[0].effect == "NoSchedule", "documented default effect"


def test_synth_refuses_maintenance_over_backups_and_a_wrong_context():
    from platform_constructs.cluster.doks import check_cluster_config

    with pytest.raises(ConfigError, match=r"overlaps the backups"):
        check_cluster_config(_prod(maintenance={"start_time": "02:00"}))
    config = load_config("prod", overrides={"cluster_name": "other"})
    with pytest.raises(ConfigError, match=r"do-fra1-other"):
        check_cluster_config(config)
