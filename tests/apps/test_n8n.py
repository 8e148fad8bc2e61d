"""n8n (apps/n8n.py) over the synthesized JSON of both envs."""

from __future__ import annotations

import pytest
from support.apps1 import (  # noqa: F401 - fixtures
    apps1_variant,
    apps1_variant_configs,
    assert_hardened,
    backends,
    container,
    controller_namespace,
    egress_to,
    env_secret_refs,
    env_values,
    ingress_allowed,
    internet_ports,
    mounts,
    named,
    one,
    schedule_for,
    secret_data,
    volumes,
)

from platform_constructs.versions import IMAGES

ENVS = ("dev", "prod")


@pytest.mark.parametrize("env", ENVS)
def test_ingress_serves_editor_and_webhook_hosts(stacks, configs, env):
    config, stack = configs[env], stacks[f"{env}-apps"]
    address, ingress = named(stack, "kubernetes_ingress_v1", "n8n", "n8n")
    assert backends(ingress) == {(config.host("n8n"), "/", "n8n", 5678), (config.host("n8n_webhook"), "/", "n8n", 5678)}, address
    spec = one(ingress["spec"])
    if env == "prod":
        assert set(one(spec["tls"])["hosts"]) == {config.host("n8n"), config.host("n8n_webhook")}, f"{address}: cert covers both"
        assert "infra-waf-modsecurity@kubernetescrd" in one(ingress["metadata"])["annotations"][
            "traefik.ingress.kubernetes.io/router.middlewares"], address
    else:
        assert "tls" not in spec and spec["ingress_class_name"] == "nginx", address


@pytest.mark.parametrize("env", ENVS)
def test_main_pod_postgres_wiring_and_secrets(stacks, configs, env):
    config, stack = configs[env], stacks[f"{env}-apps"]
    address, dep = named(stack, "kubernetes_deployment_v1", "n8n", "n8n")
    assert_hardened(address, dep)
    ctr = container(dep)
    assert ctr["image"] == IMAGES["n8n"], address
    plain = env_values(ctr)
    assert plain["DB_TYPE"] == "postgresdb" and plain["DB_POSTGRESDB_HOST"] == "postgres.data.svc.cluster.local", address
    assert plain["DB_POSTGRESDB_DATABASE"] == "n8n" and plain["DB_POSTGRESDB_USER"] == "n8n", address
    assert "WEBHOOK_URL" not in plain and plain["N8N_WEBHOOK_URL"].endswith(f"://{config.host('n8n_webhook')}/"), address
    assert plain["N8N_BLOCK_ENV_ACCESS_IN_NODE"] == "true", f"{address}: workflows must not read the env"
    assert not any("var." in v for v in plain.values()), f"{address}: secret token in a plain env value"
    refs = env_secret_refs(ctr)
    assert refs["DB_POSTGRESDB_PASSWORD"] == ("n8n-secrets", "DB_POSTGRESDB_PASSWORD"), address
    assert refs["N8N_ENCRYPTION_KEY"] == ("n8n-secrets", "N8N_ENCRYPTION_KEY"), address
    data = secret_data(stack, "n8n-secrets", "n8n")
    assert data == {"DB_POSTGRESDB_PASSWORD": "${var.n8n_db_password}", "N8N_ENCRYPTION_KEY": "${var.n8n_encryption_key}"}
    assert stack["variable"]["n8n_encryption_key"]["sensitive"] is True


@pytest.mark.parametrize("env", ENVS)
def test_user_folder_on_a_block_pvc_and_backed_up(stacks, configs, env):
    stack = stacks[f"{env}-apps"]
    address, dep = named(stack, "kubernetes_deployment_v1", "n8n", "n8n")
    claim = one(volumes(dep)[mounts(container(dep))["/home/node/.n8n"]]["persistent_volume_claim"])["claim_name"]
    pvc_address, pvc = named(stack, "kubernetes_persistent_volume_claim_v1", claim, "n8n")
    assert one(pvc["spec"])["storage_class_name"] == configs[env].storage.block_class, pvc_address
    assert one(one(dep["spec"])["strategy"])["type"] == "Recreate", address
    schedule = schedule_for(stack, "n8n")
    assert schedule and schedule["metadata"]["name"] == "n8n-daily", "Velero schedule for namespace n8n"


@pytest.mark.parametrize("env", ENVS)
def test_network_policies(stacks, env):
    stack = stacks[f"{env}-apps"]
    assert ingress_allowed(stack, "n8n", "n8n", 5678, controller_namespace(env)), "ingress controller → n8n:5678"
    assert ingress_allowed(stack, "n8n", "n8n", 5678, "metrics"), "Prometheus → n8n /metrics"
    assert egress_to(stack, "n8n", "n8n", "data", "postgres", 5432), "n8n → data/postgres:5432"
    assert {443, 465, 587} <= internet_ports(stack, "n8n", "n8n"), "n8n → internet: HTTPS and SMTP"


def test_queue_mode_adds_workers_webhook_processor_and_private_valkey(apps1_variant, apps1_variant_configs):  # noqa: F811 - fixture
    config, stack = apps1_variant_configs["prod"], apps1_variant["prod-apps"]
    _, main = named(stack, "kubernetes_deployment_v1", "n8n", "n8n")
    assert env_values(container(main))["EXECUTIONS_MODE"] == "queue"
    worker_address, worker = named(stack, "kubernetes_deployment_v1", "n8n-worker", "n8n")
    assert_hardened(worker_address, worker)
    assert container(worker)["args"] == ["worker"] and one(worker["spec"])["replicas"] == "2", worker_address
    webhook_address, webhook = named(stack, "kubernetes_deployment_v1", "n8n-webhook", "n8n")
    assert container(webhook)["args"] == ["webhook"], webhook_address
    valkey_refs = env_secret_refs(container(worker))
    assert valkey_refs["QUEUE_BULL_REDIS_PASSWORD"] == ("valkey-auth", "password"), worker_address
    _, ingress = named(stack, "kubernetes_ingress_v1", "n8n", "n8n")
    assert (config.host("n8n_webhook"), "/webhook/", "n8n-webhook", 5678) in backends(ingress), "production webhooks"
    valkey_address, valkey = named(stack, "kubernetes_deployment_v1", "valkey", "n8n")
    assert container(valkey)["image"] == IMAGES["valkey"], f"{valkey_address}: the private Valkey (official image)"
    for app in ("n8n", "n8n-worker", "n8n-webhook"):
        assert egress_to(stack, "n8n", app, "n8n", "valkey", 6379), f"{app} → valkey:6379"
        assert egress_to(stack, "n8n", app, "data", "postgres", 5432), f"{app} → postgres:5432"


def test_s3_binary_data_needs_the_enterprise_licence_and_secrets(apps1_variant):  # noqa: F811 - fixture
    stack = apps1_variant["prod-apps"]
    address, main = named(stack, "kubernetes_deployment_v1", "n8n", "n8n")
    plain, refs = env_values(container(main)), env_secret_refs(container(main))
    assert plain["N8N_DEFAULT_BINARY_DATA_MODE"] == "s3" and plain["N8N_EXTERNAL_STORAGE_S3_BUCKET_NAME"] == "ffe-k8s-media"
    assert {"N8N_LICENSE_ACTIVATION_KEY", "N8N_EXTERNAL_STORAGE_S3_ACCESS_SECRET", "N8N_SMTP_PASS"} <= set(refs), address
    data = secret_data(stack, "n8n-secrets", "n8n")
    assert data["N8N_LICENSE_ACTIVATION_KEY"] == "${var.n8n_license_activation_key}"
    assert data["N8N_EXTERNAL_STORAGE_S3_ACCESS_KEY"] == "${var.n8n_s3_access_key}"


def test_switched_off_leaves_nothing(apps1_variant):  # noqa: F811 - fixture
    stack = apps1_variant["dev-apps"]
    assert "namespace_n8n" not in stack["resource"].get("kubernetes_namespace_v1", {})
    assert "n8n_encryption_key" not in stack.get("variable", {})
