"""``[network]``: the CNI is data, and its peers are validated up front (negative tests)."""

from __future__ import annotations

import pytest

from envs import ConfigError, load_config


def test_both_envs_run_on_cilium_like_doks(configs):
    assert configs["prod"].network.cni == "cilium" and configs["prod"].network.api_server_ports == (443,)
    assert configs["dev"].network.cni == "cilium" and configs["dev"].network.api_server_ports == (8443,)


@pytest.mark.parametrize(
    ("network", "message"),
    [
        ({"cni": "weave"}, "network.cni"),
        ({"cni": "calico"}, "needs network.api_server_cidrs and network.node_cidrs"),
        ({"cni": "calico", "api_server_cidrs": ["192.168.49.2/32"]}, "needs network.node_cidrs"),
        ({"cni": "cilium", "api_server_cidrs": ["192.168.49.2/32"]}, "only apply to cni = 'calico'"),
        ({"cni": "calico", "api_server_cidrs": ["0.0.0.0/0"], "node_cidrs": ["10.0.0.0/24"]}, "wider than a /8"),
        ({"cni": "calico", "api_server_cidrs": ["192.168.49.2/24"], "node_cidrs": ["10.0.0.0/24"]}, "not a CIDR"),
        ({"api_server_ports": []}, "api_server_ports"),
        ({"api_server_ports": [0]}, "are not TCP ports"),
        ({"api_server_ports": [443, 443]}, "lists a port twice"),
    ],
)
def test_bad_network_config_is_named(network, message):
    with pytest.raises(ConfigError, match=message):
        load_config("dev", overrides={"network": network})


def test_calico_needs_addresses_and_takes_them():
    config = load_config("dev", overrides={"network": {"cni": "calico", "api_server_cidrs": ["192.168.49.2/32"],
                                                       "node_cidrs": ["192.168.49.0/24"]}})
    assert config.network.api_server_cidrs == ("192.168.49.2/32",)


def test_n8n_egress_ports_are_config_with_a_validated_default():
    assert load_config("dev").apps.n8n.egress_ports == (80, 443, 465, 587, 993)
    assert load_config("dev", overrides={"apps": {"n8n": {"egress_ports": [22, 443]}}}).apps.n8n.egress_ports == (22, 443)
    for bad, message in (([70000], "are not TCP ports"), ([443, 443], "lists a port twice")):
        with pytest.raises(ConfigError, match=message):
            load_config("dev", overrides={"apps": {"n8n": {"egress_ports": bad}}})
