"""Nextcloud: off by default; with it on, the chart is Bitnami-free and fully wired."""

from __future__ import annotations

import pytest
from support.apps2 import all_apps_configs, all_apps_stacks, in_namespace, ingress_routes, named, policies, release, schedules
from support.synth import resources_of

from platform_constructs.versions import IMAGES

ENVS = ("dev", "prod")
__all__ = ["all_apps_configs", "all_apps_stacks"]


@pytest.mark.parametrize("env", ENVS)
def test_off_by_default(stacks, configs, env):
    assert configs[env].apps.nextcloud.enabled is False, "the brief marks Nextcloud work in progress"
    stack = stacks[f"{env}-apps"]
    assert "namespace_nextcloud" not in resources_of(stack, "kubernetes_namespace_v1")
    assert not in_namespace(stack, "nextcloud")
    assert not [b for b in resources_of(stack, "helm_release").values() if b.get("name") == "nextcloud"]


@pytest.mark.parametrize("env", ENVS)
def test_chart_pinned_with_external_postgres_and_valkey(all_apps_stacks, all_apps_configs, env):
    body, values = release(all_apps_stacks[f"{env}-apps"], "nextcloud")
    assert body["repository"] == "https://nextcloud.github.io/helm/" and body["chart"] == "nextcloud"
    assert body["version"].count(".") == 2
    assert values["internalDatabase"] == {"enabled": False}, "the chart's default is SQLite"
    db = values["externalDatabase"]
    assert db["enabled"] is True and db["type"] == "postgresql"
    assert db["host"] == "postgres.data.svc.cluster.local:5432" and db["database"] == "nextcloud"
    assert db["existingSecret"]["secretName"] == "nextcloud-db"
    redis = values["externalRedis"]
    assert redis["enabled"] is True and redis["host"] == "valkey"
    assert redis["existingSecret"] == {"enabled": True, "secretName": "valkey-auth", "passwordKey": "password"}
    host = f"cloud.{all_apps_configs[env].root_domain}"
    assert values["nextcloud"]["host"] == host and values["nextcloud"]["trustedDomains"] == [host]
    assert values["nextcloud"]["existingSecret"]["secretName"] == "nextcloud-admin"
    # With a tag set, the image is registry/repository:tag; `flavor` only names the default tag
    # (nextcloud/helm@nextcloud-9.2.4 charts/nextcloud/templates/_helpers.tpl, "nextcloud.image").
    assert values["image"] == dict(zip(("repository", "tag"), IMAGES["nextcloud"].rsplit(":", 1), strict=True))


@pytest.mark.parametrize("env", ENVS)
def test_data_on_block_pvcs(all_apps_stacks, all_apps_configs, env):
    _, values = release(all_apps_stacks[f"{env}-apps"], "nextcloud")
    block = all_apps_configs[env].storage.block_class
    persistence = values["persistence"]
    assert persistence["enabled"] is True and persistence["storageClass"] == block
    assert persistence["nextcloudData"]["storageClass"] == block


def test_s3_primary_storage_from_secrets(all_apps_stacks):
    stack = all_apps_stacks["prod-apps"]
    _, values = release(stack, "nextcloud")
    s3 = values["nextcloud"]["objectStore"]["s3"]
    assert s3["enabled"] is True and s3["existingSecret"] == "nextcloud-s3"
    assert values["persistence"]["nextcloudData"]["enabled"] is False, "no data PVC with S3 primary storage"
    _, secret = named(stack, "kubernetes_secret_v1", "nextcloud-s3", "nextcloud")
    assert secret["data"] == {"access-key": "${var.nextcloud_s3_access_key}", "secret-key": "${var.nextcloud_s3_secret_key}"}


@pytest.mark.parametrize("env", ENVS)
def test_background_jobs_non_root(all_apps_stacks, env):
    _, values = release(all_apps_stacks[f"{env}-apps"], "nextcloud")
    cron = values["cronjob"]
    assert cron["enabled"] is True and cron["type"] == "cronjob", "the cron sidecar needs root"
    assert cron["cronjob"]["securityContext"]["runAsNonRoot"] is True
    assert cron["cronjob"]["affinity"]["podAffinity"], "RWO volumes: run next to the app pod"
    pod = values["nextcloud"]["podSecurityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] == 33
    assert values["nextcloud"]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert values["resources"]["limits"]["memory"], "memory limit required"


@pytest.mark.parametrize("env", ENVS)
def test_ingress_network_backup(all_apps_stacks, all_apps_configs, env):
    stack = all_apps_stacks[f"{env}-apps"]
    _, values = release(stack, "nextcloud")
    assert values["ingress"] == {"enabled": False}, "the ingress helper builds it"
    _, routes = ingress_routes(stack, "nextcloud")
    assert routes == [(f"cloud.{all_apps_configs[env].root_domain}", "/", "nextcloud", 8080)]
    pols = policies(stack, "nextcloud")
    assert {"allow-nextcloud-to-postgres", "allow-nextcloud-to-valkey", "allow-ingress-controller-to-nextcloud"} <= set(pols)
    assert schedules(stack)["nextcloud-daily"]["spec"]["template"]["includedNamespaces"] == ["nextcloud"]
