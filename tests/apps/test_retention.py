"""Finding 3 (issue 17): switching an app off must never delete its data unless the operator asks.

Both envs, on the synthesized JSON: with every app switched off (``data = "retain"``, the
default) the apps stack still holds each app's namespace and exactly the PVCs the enabled apps
have (same address, same body: nothing is destroyed or replaced); with ``data = "delete"`` they
go; every app PVC has ``prevent_destroy``; ``data = "none"`` on an enabled app is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.apps2 import ALL_APPS_ON, PROD_EXTRA, _merge, all_apps_configs, all_apps_stacks
from support.synth import resources_of

from envs import ConfigError, load_config
from platform_constructs.apps.stack import APP_COMPONENTS

__all__ = ["all_apps_configs", "all_apps_stacks"]
ENVS = ("dev", "prod")
PVC = "kubernetes_persistent_volume_claim_v1"


def switched_off(env: str, data: str) -> dict[str, Any]:
    """Every app as in the all-apps-on variant (same sizes and features), but switched off."""
    base = _merge(ALL_APPS_ON, PROD_EXTRA) if env == "prod" else ALL_APPS_ON
    return _merge(base, {"apps": {app: {"enabled": False, "data": data} for app in APP_COMPONENTS}})


@pytest.fixture(scope="module")
def off_stacks(tmp_path_factory: pytest.TempPathFactory, all_apps_stacks) -> dict[str, dict[str, Any]]:
    """``<data>-<env>-apps`` for data in retain/delete (one synthesis of both envs each)."""
    from platform_constructs.platform import synthesize  # jsii is configured by all_apps_stacks

    out = {}
    for data in ("retain", "delete"):
        outdir: Path = tmp_path_factory.mktemp(f"apps-off-{data}")
        synthesize([load_config(env, overrides=switched_off(env, data)) for env in ENVS], outdir)
        for env in ENVS:
            out[f"{data}-{env}"] = json.loads((outdir / "stacks" / f"{env}-apps" / "cdk.tf.json").read_text())
    return out


def namespaces(stack: dict[str, Any]) -> set[str]:
    return {body["metadata"]["name"] for body in resources_of(stack, "kubernetes_namespace_v1").values()}


@pytest.mark.parametrize("env", ENVS)
def test_switched_off_apps_keep_their_namespace_and_exactly_their_volumes(env, all_apps_stacks, off_stacks):
    on, off = all_apps_stacks[f"{env}-apps"], off_stacks[f"retain-{env}"]
    on_claims, off_claims = resources_of(on, PVC), resources_of(off, PVC)
    assert on_claims, f"{env}: the all-apps variant has no PVC?"
    assert set(off_claims) == set(on_claims), (
        f"{env}: switching the apps off would destroy {sorted(set(on_claims) - set(off_claims))} "
        f"and create {sorted(set(off_claims) - set(on_claims))}"
    )
    for address, body in on_claims.items():
        assert off_claims[address] == body, f"{env}: {address} changes when its app is switched off (replacement?)"
    assert namespaces(off) >= set(APP_COMPONENTS), f"{env}: namespaces deleted: {set(APP_COMPONENTS) - namespaces(off)}"
    ns_on, ns_off = resources_of(on, "kubernetes_namespace_v1"), resources_of(off, "kubernetes_namespace_v1")
    for address in ns_on:
        assert ns_off.get(address) == ns_on[address], f"{env}: namespace {address} changes when its app is switched off"
    assert not resources_of(off, "kubernetes_deployment_v1") and not resources_of(off, "helm_release"), (
        f"{env}: a switched-off app keeps its data, not its workloads"
    )
    assert not off.get("variable", {}).keys() - {"app_env", "state_passphrase"}, (
        f"{env}: a switched-off app needs no secret: {sorted(off.get('variable', {}))}"
    )


@pytest.mark.parametrize("env", ENVS)
def test_every_app_volume_refuses_to_be_destroyed_by_a_plan(env, all_apps_stacks):
    for address, body in resources_of(all_apps_stacks[f"{env}-apps"], PVC).items():
        assert body.get("lifecycle", {}).get("prevent_destroy") is True, f"{env}: {address} lacks prevent_destroy"


@pytest.mark.parametrize("env", ENVS)
def test_data_delete_is_the_explicit_way_to_drop_an_apps_data(env, off_stacks):
    off = off_stacks[f"delete-{env}"]
    assert not resources_of(off, PVC), f"{env}: data = 'delete' must remove the volumes from the config"
    assert not namespaces(off) & set(APP_COMPONENTS), f"{env}: data = 'delete' must remove the namespaces"


@pytest.mark.parametrize("env", ENVS)
def test_committed_config_creates_nothing_for_apps_that_never_ran(env, configs, stacks):
    """Nextcloud and Sentry are off and say data = "none": no namespace, no (billed) volume."""
    for app in ("nextcloud", "sentry"):
        settings = getattr(configs[env].apps, app)
        assert not settings.enabled and settings.data == "none", f"{env}: {app}"
        assert app not in namespaces(stacks[f"{env}-apps"]), f"{env}: {app} never ran, it needs no namespace"


def test_data_none_on_an_enabled_app_is_refused():
    with pytest.raises(ConfigError, match='data = "none" says this app never ran'):
        load_config("dev", overrides={"apps": {"sentry": {"enabled": True}}})
