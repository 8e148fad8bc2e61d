"""Typed env config: defaults, derived hosts, and a clear error for every kind of bad input."""

from __future__ import annotations

import pytest

from envs import ConfigError, load_config, resolve_env


def test_default_env_is_dev():
    assert resolve_env(None) == "dev"
    assert resolve_env("") == "dev"


@pytest.mark.parametrize("bad", ["staging", "Dev", "prod ", "all"])
def test_unknown_env_lists_valid_values(bad):
    with pytest.raises(ConfigError, match=r"Valid values: dev, prod"):
        resolve_env(bad)


@pytest.mark.parametrize(
    ("env", "domain"), [("dev", "fullfrontend.kube"), ("prod", "fullfrontend.be")]
)
def test_root_domain_defaults(env, domain):
    assert load_config(env).root_domain == domain


def test_every_fqdn_derives_from_root_domain():
    config = load_config("prod", overrides={"root_domain": "example.org"})
    assert {name: config.host(name) for name in ("wordpress", "n8n", "n8n_webhook", "nextcloud", "analytics",
                                                 "sentry", "registry", "twenty")} == {
        "wordpress": "example.org",
        "n8n": "n8n.example.org",
        "n8n_webhook": "webhook.example.org",
        "nextcloud": "cloud.example.org",
        "analytics": "insights.example.org",
        "sentry": "sentry.example.org",
        "registry": "registry.example.org",
        "twenty": "twenty.example.org",
    }


def test_env_differences_are_data():
    dev, prod = load_config("dev"), load_config("prod")
    assert (dev.infra.ingress.class_name, prod.infra.ingress.class_name) == ("nginx", "traefik")
    assert (dev.infra.cert_manager, prod.infra.cert_manager) == (False, True)
    assert (dev.infra.external_dns, prod.infra.external_dns) == (False, True)
    assert (dev.infra.waf, prod.infra.waf) == (False, True)
    assert (dev.infra.backups.target, prod.infra.backups.target) == ("minio", "spaces")
    assert dev.kube.config_path == "~/.kube/config"
    assert prod.kube.config_path.endswith(".kube/config") and not prod.kube.config_path.startswith("/")
    assert dev.kube.context in ("minikube", "docker-desktop")
    assert not dev.apps.nextcloud.enabled and not prod.apps.nextcloud.enabled


@pytest.mark.parametrize(
    "domain", ["fullfrontend", "Full.be", "-bad.be", "bad-.be", "a..b", "has space.be", "trailing.dot.", "x" * 64 + ".be"]
)
def test_malformed_domain_names_the_field(domain):
    with pytest.raises(ConfigError, match=r"root_domain"):
        load_config("dev", overrides={"root_domain": domain})


def test_unknown_key_names_the_field():
    with pytest.raises(ConfigError, match=r"infra\.ingress\.clas_name: unknown key"):
        load_config("dev", overrides={"infra": {"ingress": {"clas_name": "nginx"}}})


def test_wrong_type_names_the_field():
    with pytest.raises(ConfigError, match=r"infra\.waf"):
        load_config("prod", overrides={"infra": {"waf": "yes"}})


def test_bad_cluster_name_names_the_field():
    with pytest.raises(ConfigError, match=r"cluster_name"):
        load_config("dev", overrides={"cluster_name": "My_Cluster"})


def test_prod_requires_a_cluster_section_and_dev_refuses_one():
    prod = load_config("prod")
    with pytest.raises(ConfigError, match=r"dev has no cluster stack"):
        load_config("dev", overrides={"cluster": prod.cluster.model_dump()})


def test_config_is_frozen():
    config = load_config("dev")
    with pytest.raises(Exception, match="frozen"):
        config.root_domain = "other.org"  # type: ignore[misc]


def test_env_vars_and_local_file_override_without_python(tmp_path, monkeypatch):
    config = load_config(
        "dev", use_local_files=True, environ={"ROOT_DOMAIN": "example.test", "CLUSTER_NAME": "laptop"}
    )
    assert (config.root_domain, config.cluster_name) == ("example.test", "laptop")
    assert config.host("registry") == "registry.example.test"


def test_override_by_env_var_is_validated_too():
    with pytest.raises(ConfigError, match=r"root_domain"):
        load_config("dev", use_local_files=True, environ={"ROOT_DOMAIN": "not a domain"})
