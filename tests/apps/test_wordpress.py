"""WordPress (apps/wordpress.py) over the synthesized JSON of both envs."""

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
    pod_spec,
    schedule_for,
    secret_data,
    volumes,
)

from platform_constructs.versions import IMAGES

ENVS = ("dev", "prod")
AUTH_KEYS = ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT",
             "LOGGED_IN_SALT", "NONCE_SALT")


@pytest.mark.parametrize("env", ENVS)
def test_ingress_serves_the_apex_with_the_env_policy(stacks, configs, env):
    config, stack = configs[env], stacks[f"{env}-apps"]
    address, ingress = named(stack, "kubernetes_ingress_v1", "wordpress", "wordpress")
    assert backends(ingress) == {(config.root_domain, "/", "wordpress", 80)}, address
    notes = one(ingress["metadata"])["annotations"]
    if env == "prod":
        assert one(ingress["spec"])["ingress_class_name"] == "traefik", address
        assert notes["cert-manager.io/cluster-issuer"] == "letsencrypt-prod", address
        assert "infra-waf-modsecurity@kubernetescrd" in notes["traefik.ingress.kubernetes.io/router.middlewares"], address
    else:
        assert one(ingress["spec"])["ingress_class_name"] == "nginx", address
        assert "tls" not in one(ingress["spec"]), f"{address}: dev has no TLS"
        assert notes["nginx.ingress.kubernetes.io/proxy-body-size"] == f"{config.apps.wordpress.upload_max_mb}m", address


@pytest.mark.parametrize("env", ENVS)
def test_official_image_runs_non_root_on_a_hardened_pod(stacks, env):
    address, dep = named(stacks[f"{env}-apps"], "kubernetes_deployment_v1", "wordpress", "wordpress")
    assert container(dep)["image"] == IMAGES["wordpress"] and IMAGES["wordpress"].startswith("wordpress:"), address
    assert_hardened(address, dep)
    pod_sc = one(pod_spec(dep)["security_context"])
    assert str(pod_sc["run_as_user"]) == "33", f"{address}: Apache runs as www-data"
    # Port 80 without any capability, through the namespaced safe sysctl.
    assert {"name": "net.ipv4.ip_unprivileged_port_start", "value": "80"} in pod_sc["sysctl"], address
    assert one(one(dep["spec"])["strategy"])["type"] == "Recreate", f"{address}: RWO volume, single writer"


@pytest.mark.parametrize("env", ENVS)
def test_only_wp_content_is_persistent(stacks, configs, env):
    stack = stacks[f"{env}-apps"]
    address, dep = named(stack, "kubernetes_deployment_v1", "wordpress", "wordpress")
    paths, vols = mounts(container(dep)), volumes(dep)
    assert "empty_dir" in vols[paths["/var/www/html"]], f"{address}: web root must be ephemeral (core = image tag)"
    claim_name = one(vols[paths["/var/www/html/wp-content"]]["persistent_volume_claim"])["claim_name"]
    pvc_address, pvc = named(stack, "kubernetes_persistent_volume_claim_v1", claim_name, "wordpress")
    spec = one(pvc["spec"])
    assert spec["storage_class_name"] == configs[env].storage.block_class, pvc_address
    assert one(one(spec["resources"])["requests"])["storage"] == configs[env].apps.wordpress.storage, pvc_address


@pytest.mark.parametrize("env", ENVS)
def test_mariadb_wiring_and_secrets_only_through_the_secret(stacks, env):
    stack = stacks[f"{env}-apps"]
    address, dep = named(stack, "kubernetes_deployment_v1", "wordpress", "wordpress")
    ctr = container(dep)
    env_plain = env_values(ctr)
    assert env_plain["WORDPRESS_DB_HOST"] == "mariadb.data.svc.cluster.local:3306", address
    assert env_plain["WORDPRESS_DB_NAME"] == "wordpress" and env_plain["WORDPRESS_DB_USER"] == "wordpress", address
    assert not any("var." in value for value in env_plain.values()), f"{address}: a secret token in a plain env value"
    refs = env_secret_refs(ctr)
    wanted = {"WORDPRESS_DB_PASSWORD", *(f"WORDPRESS_{k}" for k in AUTH_KEYS)}
    assert wanted <= set(refs), f"{address}: missing secretKeyRefs {wanted - set(refs)}"
    data = secret_data(stack, "wordpress-secrets", "wordpress")
    assert data["WORDPRESS_DB_PASSWORD"] == "${var.wordpress_db_password}"
    for key in AUTH_KEYS:
        assert data[f"WORDPRESS_{key}"] == f"${{var.wordpress_{key.lower()}}}", f"WORDPRESS_{key}"
        assert stack["variable"][f"wordpress_{key.lower()}"]["sensitive"] is True


@pytest.mark.parametrize("env", ENVS)
def test_network_policies_and_backup(stacks, env):
    stack = stacks[f"{env}-apps"]
    assert ingress_allowed(stack, "wordpress", "wordpress", 80, controller_namespace(env)), "ingress controller → wordpress:80"
    assert egress_to(stack, "wordpress", "wordpress", "data", "mariadb", 3306), "wordpress → data/mariadb:3306"
    assert 443 in internet_ports(stack, "wordpress", "wordpress"), "wordpress → internet:443 (updates)"
    schedule = schedule_for(stack, "wordpress")
    assert schedule and schedule["metadata"]["name"] == "wordpress-daily", "Velero schedule for namespace wordpress"
    assert schedule["spec"]["template"]["defaultVolumesToFsBackup"] is True, "wp-content PVC is backed up"


def test_smtp_and_s3_offload_keep_their_secrets_out_of_the_config_blob(apps1_variant):  # noqa: F811 - fixture
    stack = apps1_variant["prod-apps"]
    address, dep = named(stack, "kubernetes_deployment_v1", "wordpress", "wordpress")
    ctr = container(dep)
    extra = env_values(ctr)["WORDPRESS_CONFIG_EXTRA"]
    assert "define('WPMS_SMTP_HOST', 'smtp.example.org');" in extra, address
    assert "getenv('WORDPRESS_SMTP_PASSWORD')" in extra and "getenv('WORDPRESS_S3_SECRET_ACCESS_KEY')" in extra, address
    assert "var." not in extra, f"{address}: WORDPRESS_CONFIG_EXTRA must hold no secret"
    assert "'bucket' => 'ffe-k8s-media'" in extra, address
    data = secret_data(stack, "wordpress-secrets", "wordpress")
    assert data["WORDPRESS_SMTP_PASSWORD"] == "${var.wordpress_smtp_password}"
    assert data["WORDPRESS_S3_ACCESS_KEY_ID"] == "${var.wordpress_s3_access_key}"
    assert data["WORDPRESS_S3_SECRET_ACCESS_KEY"] == "${var.wordpress_s3_secret_key}"
    assert {"WORDPRESS_SMTP_PASSWORD", "WORDPRESS_S3_SECRET_ACCESS_KEY"} <= set(env_secret_refs(ctr)), address
    assert 587 in internet_ports(stack, "wordpress", "wordpress"), "wordpress → SMTP relay:587"


def test_switched_off_leaves_nothing(apps1_variant):  # noqa: F811 - fixture
    stack = apps1_variant["dev-apps"]
    assert "namespace_wordpress" not in stack["resource"].get("kubernetes_namespace_v1", {})
    assert not any(name.startswith("wordpress_") for name in stack.get("variable", {})), "no WordPress secret when off"


def test_s3_offload_without_spaces_fails_early():
    from platform_constructs.runtime import configure_jsii

    configure_jsii()
    from cdktf import App

    from envs import load_config
    from platform_constructs.apps.stack import AppsStack

    config = load_config("dev", overrides={"apps": {"wordpress": {"s3_offload": True}}})
    with pytest.raises(ValueError, match="s3_offload"):
        AppsStack(App(), config=config)
