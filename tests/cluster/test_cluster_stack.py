"""Intent of the synthesized ``prod-cluster`` stack (issue 6), read from its JSON."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from support.synth import resources_of

from envs.sections.cluster import DOKS_MAINTENANCE_HOURS, maintenance_conflict
from platform_constructs.base.buckets import media_bucket, s3_endpoint, velero_bucket

DO_TAG = re.compile(r"^[A-Za-z0-9:_-]+$")


def only(stack: dict[str, Any], rtype: str) -> tuple[str, dict[str, Any]]:
    items = resources_of(stack, rtype)
    assert len(items) == 1, f"expected one {rtype}, found {sorted(items)}"
    return next(iter(items.items()))


def ref(rtype: str, name: str, attr: str) -> str:
    return f"${{{rtype}.{name}.{attr}}}"


def test_cluster_stack_exists_only_in_prod(stacks):
    assert "prod-cluster" in stacks
    assert not any(name.startswith("dev-") and name.endswith("-cluster") for name in stacks)


# --- 1. network and cluster ----------------------------------------------------------------------


def test_vpc_in_the_configured_region_with_the_configured_range(cluster_stack, prod_config):
    name, vpc = only(cluster_stack, "digitalocean_vpc")
    assert (vpc["region"], vpc["ip_range"]) == (prod_config.cluster.region, prod_config.cluster.vpc_ip_range), name
    _, cluster = only(cluster_stack, "digitalocean_kubernetes_cluster")
    assert cluster["vpc_uuid"] == ref("digitalocean_vpc", name, "id"), "the cluster must live in the stack's VPC"


def test_cluster_region_name_and_pinned_minor(cluster_stack, prod_config):
    _, cluster = only(cluster_stack, "digitalocean_kubernetes_cluster")
    assert (cluster["name"], cluster["region"]) == (prod_config.cluster_name, prod_config.cluster.region)
    versions = cluster_stack["data"]["digitalocean_kubernetes_versions"]
    assert len(versions) == 1, "one version lookup"
    (vname, lookup), = versions.items()
    assert lookup["version_prefix"] == prod_config.cluster.kubernetes_version_prefix
    assert re.fullmatch(r"1\.\d+\.", lookup["version_prefix"]), "the prefix pins a minor, never floats across minors"
    assert cluster["version"] == f"${{data.digitalocean_kubernetes_versions.{vname}.latest_version}}"
    postcondition = lookup["lifecycle"]["postcondition"][0]
    assert "latest_version" in postcondition["condition"] and "kubernetes_version_prefix" in postcondition["error_message"]


def test_upgrades_surge_auto_upgrade_and_ha_follow_config(cluster_stack, prod_config):
    _, cluster = only(cluster_stack, "digitalocean_kubernetes_cluster")
    assert cluster["surge_upgrade"] is True
    assert cluster["auto_upgrade"] is prod_config.cluster.auto_upgrade
    assert cluster["ha"] is prod_config.cluster.ha
    assert cluster["destroy_all_associated_resources"] is False, "volumes must survive a cluster deletion"


def test_maintenance_window_does_not_overlap_the_backups(cluster_stack, prod_config):
    _, cluster = only(cluster_stack, "digitalocean_kubernetes_cluster")
    policy = cluster["maintenance_policy"]
    maintenance = prod_config.cluster.maintenance
    assert (policy["day"], policy["start_time"]) == (maintenance.day, maintenance.start_time)
    minute, hour = prod_config.infra.backups.schedule.split()[:2]
    backup = int(hour) * 60 + int(minute)
    start_h, start_m = map(int, policy["start_time"].split(":"))
    start = start_h * 60 + start_m
    in_window = (backup - start) % 1440 < DOKS_MAINTENANCE_HOURS * 60
    assert not in_window, f"backups at {hour}:{minute} fall inside the window starting {policy['start_time']}"
    assert maintenance_conflict(maintenance, prod_config.infra.backups.schedule) is None


def test_default_pool_autoscales_within_config(cluster_stack, prod_config):
    _, cluster = only(cluster_stack, "digitalocean_kubernetes_cluster")
    pool, wanted = cluster["node_pool"], prod_config.cluster.default_pool
    assert pool["auto_scale"] is True
    assert (pool["name"], pool["size"], pool["min_nodes"], pool["max_nodes"]) == (
        wanted.name, wanted.size, wanted.min_nodes, wanted.max_nodes
    )
    assert "taint" not in pool, "system pods need an untainted default pool"
    assert "node_count" not in pool, "node_count would fight the autoscaler"


def test_extra_pool_is_declared_as_data(variant_stack, variant_config):
    pools = resources_of(variant_stack, "digitalocean_kubernetes_node_pool")
    assert sorted(pools) == ["heavy"], f"extra pools: {sorted(pools)}"
    pool = pools["heavy"]
    assert pool["cluster_id"] == ref("digitalocean_kubernetes_cluster", "cluster", "id")
    assert (pool["size"], pool["auto_scale"], pool["min_nodes"], pool["max_nodes"]) == ("s-4vcpu-8gb", True, 1, 2)
    assert pool["labels"] == {"workload": "heavy"}
    assert pool["taint"] == [{"key": "workload", "value": "heavy", "effect": "NoSchedule"}]
    cluster = resources_of(variant_stack, "digitalocean_kubernetes_cluster")["cluster"]
    assert (cluster["ha"], cluster["auto_upgrade"]) == (True, False), "ha/auto_upgrade come from config"


# --- 2. object storage ---------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["velero", "media"])
def test_buckets_are_private_versioned_and_named_by_base_buckets(cluster_stack, prod_config, which):
    expected_name = {"velero": velero_bucket, "media": media_bucket}[which](prod_config)
    buckets = {b["name"]: (n, b) for n, b in resources_of(cluster_stack, "digitalocean_spaces_bucket").items()}
    assert expected_name in buckets, f"no Spaces bucket {expected_name}; have {sorted(buckets)}"
    name, bucket = buckets[expected_name]
    assert bucket["region"] == prod_config.cluster.region, name
    assert bucket["acl"] == "private", f"{name} must be private"
    assert bucket["versioning"] == {"enabled": True}, f"{name} must be versioned"
    assert bucket.get("force_destroy") is False, f"{name}: tofu must never empty a bucket"


@pytest.mark.parametrize("which", ["velero", "media"])
def test_lifecycle_keeps_deleted_versions_for_the_retention_and_never_expires_live_objects(
    cluster_stack, prod_config, which
):
    retention_days = int(prod_config.infra.backups.ttl.removesuffix("h")) // 24
    bucket = resources_of(cluster_stack, "digitalocean_spaces_bucket")[which]
    rules = [r for r in bucket["lifecycle_rule"] if r["enabled"]]
    assert rules, f"{which}: no enabled lifecycle rule"
    for rule in rules:
        assert rule["noncurrent_version_expiration"]["days"] == retention_days, (
            f"{which}: deleted/overwritten versions must stay recoverable for the {retention_days}-day retention"
        )
        expiration = rule.get("expiration", {})
        assert "date" not in expiration
        assert expiration.get("days", retention_days) >= retention_days, (
            f"{which}: current objects would expire before Velero's TTL"
        )
        if which == "velero":
            assert "days" not in expiration, "velero: kopia's live pack files must never expire by age"


# --- 3. DNS --------------------------------------------------------------------------------------


def test_domain_and_lets_encrypt_caa(cluster_stack, prod_config):
    domain_name, domain = only(cluster_stack, "digitalocean_domain")
    assert domain["name"] == prod_config.root_domain
    assert "ip_address" not in domain, "the apex A record belongs to external-dns"
    _, caa = only(cluster_stack, "digitalocean_record")
    assert caa["domain"] == ref("digitalocean_domain", domain_name, "id")
    assert (caa["type"], caa["name"], caa["flags"], caa["tag"]) == ("CAA", "@", 0, "issue")
    assert caa["value"].rstrip(".") == "letsencrypt.org"


# --- 4. guard rails ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rtype", ["digitalocean_kubernetes_cluster", "digitalocean_spaces_bucket", "digitalocean_domain", "digitalocean_vpc"]
)
def test_prevent_destroy(cluster_stack, rtype):
    items = resources_of(cluster_stack, rtype)
    assert items, f"no {rtype}"
    for name, body in items.items():
        assert body.get("lifecycle", {}).get("prevent_destroy") is True, f"{rtype}.{name} lacks prevent_destroy"


def _taggable(rtype: str) -> bool:
    module = importlib.import_module(f"cdktf_cdktf_provider_digitalocean.{rtype.removeprefix('digitalocean_')}")
    config_class = next(v for k, v in vars(module).items() if k.endswith("Config") and isinstance(v, type))
    return "tags" in config_class.__init__.__code__.co_varnames


@pytest.mark.parametrize("fixture", ["cluster_stack", "variant_stack"])
def test_every_taggable_resource_is_tagged(request, prod_config, fixture):
    stack = request.getfixturevalue(fixture)
    wanted = {"platform", f"env:{prod_config.env}", prod_config.cluster_name}
    checked = []
    for rtype, items in stack["resource"].items():
        if not _taggable(rtype):
            continue
        for name, body in items.items():
            tags = body.get("tags") or []
            assert wanted <= set(tags), f"{rtype}.{name}: tags {tags} miss {wanted - set(tags)}"
            assert all(DO_TAG.match(t) for t in tags), f"{rtype}.{name}: invalid DO tag in {tags}"
            checked.append(f"{rtype}.{name}")
    cluster = next(iter(resources_of(stack, "digitalocean_kubernetes_cluster").values()))
    assert wanted <= set(cluster["node_pool"]["tags"]), "default node pool untagged"
    assert any(c.startswith("digitalocean_kubernetes_cluster.") for c in checked)
    if fixture == "variant_stack":
        assert "digitalocean_kubernetes_node_pool.heavy" in checked, "extra pools are taggable and must be checked"


def test_no_managed_database_and_no_kubeconfig_written_from_state(cluster_stack):
    types = set(cluster_stack["resource"])
    assert not {t for t in types if t.startswith("digitalocean_database_")}
    assert not {"local_file", "local_sensitive_file"} & types, "the kubeconfig comes from doctl, not from state"
    for name, output in cluster_stack.get("output", {}).items():
        assert "kube_config" not in str(output["value"]), f"output {name} exposes cluster credentials"


def test_provider_credentials_are_sensitive_variables(cluster_stack):
    provider = cluster_stack["provider"]["digitalocean"][0]
    for field, var in (("token", "do_token"), ("spaces_access_id", "do_spaces_access_id"),
                       ("spaces_secret_key", "do_spaces_secret_key")):
        assert provider[field] == f"${{var.{var}}}", f"provider.{field} must come from var.{var}"
        assert cluster_stack["variable"][var]["sensitive"] is True, var


# --- 6. outputs ----------------------------------------------------------------------------------


def test_outputs_for_operators_match_config_and_base_buckets(cluster_stack, prod_config):
    outputs = {name: o["value"] for name, o in cluster_stack["output"].items()}
    assert outputs["cluster_name"] == ref("digitalocean_kubernetes_cluster", "cluster", "name")
    assert outputs["velero_bucket"] == ref("digitalocean_spaces_bucket", "velero", "name")
    assert outputs["media_bucket"] == ref("digitalocean_spaces_bucket", "media", "name")
    assert outputs["s3_endpoint"] == s3_endpoint(prod_config) == f"https://{prod_config.cluster.region}.digitaloceanspaces.com"
    assert outputs["kube_context"] == prod_config.kube.context
    assert {"cluster_region", "kubernetes_version", "api_endpoint", "dns_zone"} <= set(outputs)
