"""Twenty CRM: server + worker, own database, private Valkey, secrets, ephemeral storage, backup."""

from __future__ import annotations

import pytest
from support.apps2 import (
    all_apps_configs,
    all_apps_stacks,
    containers,
    env_of,
    ingress_routes,
    named,
    one,
    pod_spec,
    policies,
    schedules,
)

ENVS = ("dev", "prod")
__all__ = ["all_apps_configs", "all_apps_stacks"]


def _deployment(stacks, env):
    return named(stacks[f"{env}-apps"], "kubernetes_deployment_v1", "twenty", "twenty")[1]


@pytest.mark.parametrize("env", ENVS)
def test_ingress_on_twenty_host(stacks, configs, env):
    meta, routes = ingress_routes(stacks[f"{env}-apps"], "twenty")
    assert routes == [(f"twenty.{configs[env].root_domain}", "/", "twenty", 3000)]
    if configs[env].infra.ingress.tls:
        assert meta["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"


@pytest.mark.parametrize("env", ENVS)
def test_server_and_worker_pinned_sized_probed(stacks, env):
    pods = containers(_deployment(stacks, env))
    assert set(pods) == {"server", "worker"}
    for name, container in pods.items():
        assert container["image"].startswith("twentycrm/twenty:v"), f"{name}: {container['image']}"
        assert container.get("readiness_probe") and container.get("liveness_probe"), f"{name} needs probes"
        assert one(one(container["resources"])["limits"])["memory"], f"{name} needs a memory limit"
        assert one(container["security_context"])["run_as_non_root"] is True
    assert pods["worker"]["command"] == ["yarn", "worker:prod"]
    worker_env = env_of(pods["worker"])
    assert worker_env["DISABLE_DB_MIGRATIONS"] == "true" and worker_env["DISABLE_CRON_JOBS_REGISTRATION"] == "true"
    assert one(one(_deployment(stacks, env)["spec"])["strategy"])["type"] == "Recreate", "the server migrates at boot"


@pytest.mark.parametrize("env", ENVS)
def test_local_storage_is_ephemeral_and_shared(stacks, env):
    body = _deployment(stacks, env)
    volumes = {v["name"]: v for v in pod_spec(body)["volume"]}
    assert "empty_dir" in volumes["local-storage"], "brief: local ephemeral storage (S3 not wired)"
    for container in containers(body).values():
        env_vars = env_of(container)
        assert env_vars["STORAGE_TYPE"] == "local"
        mounts = {m["name"]: m["mount_path"] for m in container["volume_mount"]}
        assert mounts["local-storage"] == env_vars["STORAGE_LOCAL_PATH"]


@pytest.mark.parametrize("env", ENVS)
def test_secrets_database_and_valkey(stacks, env):
    stack = stacks[f"{env}-apps"]
    _, secret = named(stack, "kubernetes_secret_v1", "twenty-env", "twenty")
    data = secret["data"]
    # passwords percent-encoded by OpenTofu (tests/secrets/test_secret_formats.py parses the URLs)
    assert data["PG_DATABASE_URL"] == (
        'postgres://twenty:${replace(urlencode(var.twenty_db_password), "+", "%20")}'
        "@postgres.data.svc.cluster.local:5432/twenty"
    )
    assert data["REDIS_URL"] == 'redis://:${replace(urlencode(var.twenty_valkey_password), "+", "%20")}@valkey:6379/0'
    assert data["APP_SECRET"] == "${var.twenty_app_secret}"
    assert data["ENCRYPTION_KEY"] == "${var.twenty_encryption_key}"
    for variable in ("twenty_db_password", "twenty_app_secret", "twenty_encryption_key", "twenty_valkey_password"):
        assert stack["variable"][variable]["sensitive"] is True, variable
    for container in containers(_deployment(stacks, env)).values():
        assert container["env_from"] == [{"secret_ref": {"name": "twenty-env"}}]


@pytest.mark.parametrize("env", ENVS)
def test_network_and_backup(stacks, configs, env):
    stack = stacks[f"{env}-apps"]
    pols = policies(stack, "twenty")
    postgres = pols["allow-twenty-to-postgres"]
    (rule,) = postgres["egress"]
    assert one(rule["to"][0]["pod_selector"])["match_labels"] == {"app.kubernetes.io/name": "postgres"}
    assert [p["port"] for p in rule["ports"]] == ["5432"]
    assert "allow-ingress-controller-to-twenty" in pols
    schedule = schedules(stack)["twenty-daily"]
    assert schedule["spec"]["template"]["includedNamespaces"] == ["twenty"]
    assert schedule["spec"]["schedule"] == configs[env].infra.backups.schedule


def test_smtp_when_configured(all_apps_stacks):
    for env in ENVS:
        server = containers(named(all_apps_stacks[f"{env}-apps"], "kubernetes_deployment_v1", "twenty", "twenty")[1])["server"]
        assert env_of(server)["EMAIL_DRIVER"] == "smtp"
        _, secret = named(all_apps_stacks[f"{env}-apps"], "kubernetes_secret_v1", "twenty-env", "twenty")
        assert secret["data"]["EMAIL_SMTP_PASSWORD"] == "${var.twenty_smtp_password}"


def test_persistent_local_storage_option_is_one_pvc_shared_by_server_and_worker(all_apps_stacks, all_apps_configs):
    for env in ENVS:
        stack = all_apps_stacks[f"{env}-apps"]
        body = named(stack, "kubernetes_deployment_v1", "twenty", "twenty")[1]
        volume = {v["name"]: v for v in pod_spec(body)["volume"]}["local-storage"]
        claim = one(volume["persistent_volume_claim"])["claim_name"]
        _, pvc = named(stack, "kubernetes_persistent_volume_claim_v1", claim, "twenty")
        spec = one(pvc["spec"])
        assert spec["access_modes"] == ["ReadWriteOnce"]
        assert spec["storage_class_name"] == all_apps_configs[env].storage.block_class
        for name, container in containers(body).items():
            mounts = {m["name"]: m["mount_path"] for m in container["volume_mount"]}
            assert mounts["local-storage"] == env_of(container)["STORAGE_LOCAL_PATH"], f"{name} sees the same files"
        assert one(one(body["spec"])["strategy"])["type"] == "Recreate", "one pod at a time on the RWO volume"


@pytest.mark.parametrize("env", ENVS)
def test_only_the_server_gates_readiness(stacks, env):
    pods = containers(_deployment(stacks, env))
    assert one(pods["server"]["readiness_probe"])["http_get"]["path"] == "/healthz"
    worker_ready = one(pods["worker"]["readiness_probe"])
    assert one(worker_ready["exec"])["command"] == ["true"], "a Valkey blip must not mark the pod (and the UI) unready"
    worker_live = one(pods["worker"]["liveness_probe"])
    assert worker_live["failure_threshold"] * worker_live["period_seconds"] >= 300, "restart the worker only after minutes"
