"""Sentry: optional, official chart without Bitnami, own Kafka/ClickHouse/Valkey, Traefik-safe routing."""

from __future__ import annotations

import pytest
from support.apps2 import (
    all_apps_configs,
    all_apps_stacks,
    containers,
    env_of,
    in_namespace,
    ingress_routes,
    named,
    one,
    release,
    schedules,
)
from support.synth import resources_of

from platform_constructs.apps.sentry.component import COMPONENT_SIZES, ERRORS_ONLY_OFF
from platform_constructs.base.ingress import WAF_MIDDLEWARE_REF, WAF_WAIVER_ANNOTATION
from platform_constructs.capacity import memory_bytes

ENVS = ("dev", "prod")
__all__ = ["all_apps_configs", "all_apps_stacks"]


@pytest.mark.parametrize("env", ENVS)
def test_off_by_default(stacks, configs, env):
    assert configs[env].apps.sentry.enabled is False
    assert not in_namespace(stacks[f"{env}-apps"], "sentry")
    assert "namespace_sentry" not in resources_of(stacks[f"{env}-apps"], "kubernetes_namespace_v1")


@pytest.mark.parametrize("env", ENVS)
def test_official_chart_wired_to_our_services(all_apps_stacks, all_apps_configs, env):
    body, values = release(all_apps_stacks[f"{env}-apps"], "sentry")
    assert (body["repository"], body["chart"]) == ("https://sentry-kubernetes.github.io/charts", "sentry")
    assert body["atomic"] is False and body["timeout"] >= 1800, "first install runs long hooks"
    pg = values["externalPostgresql"]
    assert (pg["host"], pg["database"], pg["username"]) == ("postgres.data.svc.cluster.local", "sentry", "sentry")
    assert pg["existingSecret"] == "sentry-db" and pg["existingSecretKeys"] == {"password": "password"}
    assert values["externalRedis"]["host"] == "valkey" and values["externalRedis"]["existingSecret"] == "valkey-auth"
    assert values["externalKafka"]["cluster"][0]["host"].startswith("kafka.")
    assert values["externalKafka"]["provisioning"]["enabled"] is True
    ch = values["externalClickhouse"]
    assert ch["host"] == "clickhouse" and ch["singleNode"] is True and ch["existingSecret"] == "clickhouse-auth"
    assert values["system"]["url"] == f"{'https' if env == 'prod' else 'http'}://sentry.{all_apps_configs[env].root_domain}"
    assert values["user"]["create"] is True and values["user"]["existingSecret"] == "sentry-admin"
    assert values["sentry"]["existingSecret"] == "sentry-secret-key"
    assert values["ingress"] == {"enabled": False}
    assert values["sentry"]["web"]["resources"]["requests"]["memory"], "web is sized (capacity check)"


@pytest.mark.parametrize("env", ENVS)
def test_admin_and_secret_key_from_secret_variables(all_apps_stacks, env):
    stack = all_apps_stacks[f"{env}-apps"]
    assert named(stack, "kubernetes_secret_v1", "sentry-admin")[1]["data"] == {"admin-password": "${var.sentry_admin_password}"}
    assert named(stack, "kubernetes_secret_v1", "sentry-secret-key")[1]["data"] == {"key": "${var.sentry_secret_key}"}
    for variable in ("sentry_admin_password", "sentry_secret_key", "sentry_db_password", "sentry_valkey_password",
                     "sentry_clickhouse_password"):
        assert stack["variable"][variable]["sensitive"] is True, variable


@pytest.mark.parametrize("env", ENVS)
def test_kafka_kraft_single_node(all_apps_stacks, all_apps_configs, env):
    _, body = named(all_apps_stacks[f"{env}-apps"], "kubernetes_stateful_set_v1", "kafka", "sentry")
    kafka = containers(body)["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env_vars = env_of(kafka)
    assert env_vars["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env_vars["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data/logs", "below the volume root: lost+found is no topic"
    assert len(env_vars["CLUSTER_ID"]) == 22
    assert {m["name"]: m["mount_path"] for m in kafka["volume_mount"]} == {"data": "/var/lib/kafka/data"}
    assert env_vars["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    claim = one(body["spec"])["volume_claim_template"][0]
    assert one(claim["spec"])["storage_class_name"] == all_apps_configs[env].storage.block_class
    assert kafka.get("readiness_probe") and kafka.get("liveness_probe")


@pytest.mark.parametrize("env", ENVS)
def test_clickhouse_not_bitnami_password_from_secret(all_apps_stacks, env):
    stack = all_apps_stacks[f"{env}-apps"]
    _, body = named(stack, "kubernetes_stateful_set_v1", "clickhouse", "sentry")
    clickhouse = containers(body)["clickhouse"]
    assert clickhouse["image"].startswith(("altinity/clickhouse-server:", "clickhouse/clickhouse-server:"))
    assert env_of(clickhouse)["CLICKHOUSE_SKIP_USER_SETUP"] == "1"
    _, secret = named(stack, "kubernetes_secret_v1", "clickhouse-auth", "sentry")
    users = secret["data"]["users.xml"]
    assert "<password_sha256_hex>${sha256(var.sentry_clickhouse_password)}</password_sha256_hex>" in users, users
    assert "var.sentry_clickhouse_password}" not in users.replace("sha256(var.sentry_clickhouse_password)", ""), (
        "only the digest of the password may be in users.xml (tests/secrets/test_secret_formats.py parses it)"
    )


@pytest.mark.parametrize("env", ENVS)
def test_valkey_for_sentry_may_evict_volatile(all_apps_stacks, env):
    _, secret = named(all_apps_stacks[f"{env}-apps"], "kubernetes_secret_v1", "valkey-auth", "sentry")
    assert "maxmemory-policy volatile-lru" in secret["data"]["valkey.conf"]


@pytest.mark.parametrize("env", ENVS)
def test_routing_works_on_traefik_and_nginx(all_apps_stacks, all_apps_configs, env):
    """Prefix paths only; the longest prefix wins on both controllers (no regex)."""
    stack = all_apps_stacks[f"{env}-apps"]
    host = f"sentry.{all_apps_configs[env].root_domain}"
    web_meta, web = ingress_routes(stack, "sentry")
    relay_meta, relay = ingress_routes(stack, "sentry-relay")
    table = {path: (service, port) for _, path, service, port in web + relay}
    assert {h for h, *_ in web + relay} == {host}
    assert table == {
        "/": ("sentry-web", 9000),
        "/api/0/": ("sentry-web", 9000),
        "/api/": ("sentry-relay", 3000),
        "/api/0/relays/": ("sentry-relay", 3000),
    }

    def route(path: str) -> str:
        return table[max((p for p in table if path.startswith(p)), key=len)][0]

    assert route("/api/42/envelope/") == "sentry-relay"
    assert route("/api/42/store/") == "sentry-relay"
    assert route("/api/store/") == "sentry-relay"
    assert route("/api/0/relays/register/challenge/") == "sentry-relay"
    assert route("/api/0/organizations/") == "sentry-web"
    assert route("/organizations/acme/issues/") == "sentry-web"
    if all_apps_configs[env].infra.waf:
        assert WAF_MIDDLEWARE_REF in web_meta["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"]
        assert WAF_WAIVER_ANNOTATION in relay_meta["annotations"], "event ingestion bypasses the WAF, with a reason"


def test_prod_runs_on_its_declared_pool(all_apps_stacks):
    """Every chart template falls back to global.nodeSelector/tolerations (chart 26.1.0/26.3.0; e.g.
    templates/sentry/taskworker/deployment-taskworker.yaml); memcached is a subchart with its own keys."""
    _, values = release(all_apps_stacks["prod-apps"], "sentry")
    heavy = {
        "nodeSelector": {"doks.digitalocean.com/node-pool": "heavy"},
        "tolerations": [{"key": "workload", "operator": "Equal", "value": "heavy", "effect": "NoSchedule"}],
    }
    assert values["global"] == heavy
    assert {k: values["memcached"][k] for k in heavy} == heavy
    for dotted in COMPONENT_SIZES:
        node = values
        for key in dotted.split("."):
            node = node[key]
        assert not {"nodeSelector", "tolerations"} & set(node), f"{dotted}: one placement (global), not one per component"
    _, dev = release(all_apps_stacks["dev-apps"], "sentry")
    assert "global" not in dev and "nodeSelector" not in dev["memcached"], "dev has no pools"


@pytest.mark.parametrize("env", ENVS)
def test_background_work_runs_on_sized_task_pods(all_apps_stacks, env):
    """Chart 33.0.0 removed the subscription consumers (work on TaskBroker raw topics); Sentry >= 25.10 has
    no `run worker`/`run cron`: the TaskBroker, TaskWorker and TaskScheduler pods carry it, and are sized."""
    _, values = release(all_apps_stacks[f"{env}-apps"], "sentry")
    sentry = values["sentry"]
    for part in ("taskBroker", "taskWorker", "taskScheduler"):
        assert sentry[part]["resources"]["requests"]["memory"] and sentry[part]["resources"]["limits"]["memory"], part
    gone = [k for k in sentry if k.startswith("subscriptionConsumer") or k in ("worker", "cron", "ingestProfiles")]
    assert not gone, f"{env}: keys chart 33.x no longer reads: {gone}"
    assert "sourcemaps" not in values and "cache" not in values and "zookeeper" not in values and "rabbitmq" not in values


@pytest.mark.parametrize("env", ENVS)
def test_memcached_cache_fits_its_container(all_apps_stacks, env):
    """The chart always runs memcached now and raises its cache to 2048 MB; a cache above the memory limit
    would be OOM-killed as it fills."""
    _, values = release(all_apps_stacks[f"{env}-apps"], "sentry")
    memcached = values["memcached"]
    cache_bytes = memcached["config"]["memoryLimit"] * 2**20
    assert cache_bytes < memory_bytes(memcached["resources"]["limits"]["memory"])
    assert cache_bytes <= memory_bytes(memcached["resources"]["requests"]["memory"])


def test_errors_only_switches_off_launchpad_and_unused_consumers(all_apps_stacks):
    _, values = release(all_apps_stacks["prod-apps"], "sentry")
    for dotted in ERRORS_ONLY_OFF:
        node = values
        for key in dotted.split("."):
            node = node[key]
        assert node["enabled"] is False, dotted
    assert values["launchpadTaskWorker"]["enabled"] is False, "mobile build analysis: feature-complete only"
    assert values["profiles"] == ["errors-only"], "the chart's own profile switch (apps.sentry.errors_only)"


@pytest.mark.parametrize("env", ENVS)
def test_namespace_backup_and_pod_security(all_apps_stacks, env):
    stack = all_apps_stacks[f"{env}-apps"]
    assert schedules(stack)["sentry-daily"]["spec"]["template"]["includedNamespaces"] == ["sentry"]
    labels = one(resources_of(stack, "kubernetes_namespace_v1")["namespace_sentry"]["metadata"])["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline", "recorded waiver (chart pods)"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"


def test_unknown_pool_fails_early(all_apps_configs):
    from envs import load_config
    from platform_constructs.apps.sentry.component import placement

    config = load_config("prod", overrides={"apps": {"sentry": {"enabled": True, "data": "retain", "node_pool": "nope"}}})
    with pytest.raises(ValueError, match="no such"):
        placement(config)


def test_clickhouse_config_puts_merge_tree_settings_in_place_and_drops_system_logs(all_apps_stacks):
    import xml.etree.ElementTree as ET

    from platform_constructs.apps.sentry.clickhouse import SYSTEM_LOG_TABLES

    _, config_map = named(all_apps_stacks["prod-apps"], "kubernetes_config_map_v1", "clickhouse-config", "sentry")
    root = ET.fromstring(config_map["data"]["sentry.xml"])  # noqa: S314 - our own synthesized config
    assert root.tag == "clickhouse"
    assert root.find("max_suspicious_broken_parts") is None, "a MergeTree setting has no effect at the top level"
    assert root.findtext("merge_tree/max_suspicious_broken_parts") == "400"
    removed = {child.tag for child in root if child.get("remove") == "remove"}
    assert {"query_log", "trace_log", "metric_log", "asynchronous_metric_log", "part_log"} <= removed == set(SYSTEM_LOG_TABLES)
    assert "crash_log" not in removed
