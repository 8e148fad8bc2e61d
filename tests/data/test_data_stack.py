"""The data layer as synthesized: engines, init Jobs, secrets, network paths, backups."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from support.data import dump_script, init_job, init_plain_env, job_container
from support.synth import resources_of

from platform_constructs.data.catalog import APP_DATABASES, ENGINES, MARIADB, POSTGRES, enabled_databases
from platform_constructs.data.init_jobs import inputs_hash
from platform_constructs.versions import IMAGES

ENVS = ("dev", "prod")


def _one(node):
    return node[0] if isinstance(node, list) and len(node) == 1 else node


def _by_name(stack, rtype):
    return {_one(body["metadata"])["name"]: body for body in resources_of(stack, rtype).values()}


def _pod(body):
    return _one(_one(_one(body["spec"])["template"])["spec"])


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
def test_engine_statefulset_is_hardened_sized_and_protected(stacks, configs, env, engine):
    config, stack = configs[env], stacks[f"{env}-data"]
    settings = getattr(config.data, engine.name)
    sts = _by_name(stack, "kubernetes_stateful_set_v1").get(engine.name)
    assert sts is not None, f"{env}-data: no StatefulSet {engine.name!r}"
    where = f"{env}-data StatefulSet {engine.name}"
    assert sts["lifecycle"]["prevent_destroy"] is True, f"{where}: prevent_destroy missing"
    spec = _one(sts["spec"])
    assert str(spec["replicas"]) == "1", f"{where}: replicas"
    claims = spec["volume_claim_template"]
    assert len(claims) == 1, f"{where}: one PVC per engine"
    claim = _one(claims[0]["spec"])
    assert claim["storage_class_name"] == config.storage.block_class, f"{where}: PVC storage class"
    assert _one(_one(claim["resources"])["requests"])["storage"] == settings.storage, f"{where}: PVC size"
    assert _one(spec["persistent_volume_claim_retention_policy"])["when_deleted"] == "Retain"

    pod = _pod(sts)
    pod_sc = _one(pod["security_context"])
    assert (pod_sc["run_as_user"], pod_sc["run_as_group"], pod_sc["fs_group"]) == ("999", "999", "999"), where
    container = _one(pod["container"])
    assert container["image"] == IMAGES[engine.name], f"{where}: image"
    sc = _one(container["security_context"])
    assert sc["read_only_root_filesystem"] is True and sc["allow_privilege_escalation"] is False, where
    assert _one(sc["capabilities"])["drop"] == ["ALL"] and _one(sc["seccomp_profile"])["type"] == "RuntimeDefault"
    resources = _one(container["resources"])
    assert _one(resources["requests"])["memory"] == settings.memory_request, f"{where}: memory request"
    assert _one(resources["limits"])["memory"] == settings.memory_limit, f"{where}: memory limit"
    assert container.get("readiness_probe") and container.get("liveness_probe"), f"{where}: probes"
    # Writable paths: the PVC and emptyDirs only.
    empty_dirs = {v["name"] for v in pod["volume"] if "empty_dir" in v}
    mounts = {m["name"]: m["mount_path"] for m in container["volume_mount"]}
    assert set(mounts) == {"data"} | empty_dirs, f"{where}: mounts {mounts}"
    assert "/tmp" in mounts.values(), f"{where}: /tmp must be an emptyDir"
    env_vars = {e["name"]: e for e in container["env"]}
    root_env = "POSTGRES_PASSWORD" if engine == POSTGRES else "MARIADB_ROOT_PASSWORD"
    ref = _one(_one(env_vars[root_env]["value_from"])["secret_key_ref"])
    assert ref["name"] == f"{engine.name}-root", f"{where}: root password must come from its Secret"
    assert env_vars["DUMP_DIR"]["value"].startswith(mounts["data"] + "/"), f"{where}: dumps live on the data PVC"


@pytest.mark.parametrize("env", ENVS)
def test_root_passwords_come_from_sensitive_variables(stacks, env):
    stack = stacks[f"{env}-data"]
    secrets = _by_name(stack, "kubernetes_secret_v1")
    for engine in ENGINES:
        variable = f"{engine.name}_root_password"
        assert stack["variable"][variable]["sensitive"] is True, f"{env}-data: {variable} must be sensitive"
        data = secrets[f"{engine.name}-root"]["data"]
        assert data == {"password": f"${{var.{variable}}}"}, f"{env}-data Secret {engine.name}-root: {data}"


@pytest.mark.parametrize("env", ENVS)
def test_services_have_the_stable_catalog_names(stacks, env):
    services = _by_name(stacks[f"{env}-data"], "kubernetes_service_v1")
    for engine in ENGINES:
        assert engine.host == f"{engine.name}.data.svc.cluster.local"
        service = services.get(engine.service)
        assert service is not None, f"{env}-data: no Service {engine.service!r}"
        ports = [int(p["port"]) for p in _one(service["spec"])["port"]]
        assert ports == [engine.port], f"{env}-data Service {engine.service}: ports {ports}"


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
def test_init_job_creates_exactly_the_enabled_apps_databases(stacks, configs, env, engine):
    stack, config = stacks[f"{env}-data"], configs[env]
    expected = enabled_databases(config, engine)
    job = init_job(stack, engine.name)
    where = f"{env}-data init Job {_one(job['metadata'])['name']}"
    assert re.fullmatch(rf"{engine.name}-init-[0-9a-f]{{8}}", _one(job["metadata"])["name"]), where
    spec = _one(job["spec"])
    assert str(spec["ttl_seconds_after_finished"]) == "120", f"{where}: TTL"
    assert job["wait_for_completion"] is True, f"{where}: apply must wait and report failures"
    entries = init_plain_env(stack, engine.name)["INIT_DATABASES"].split()
    assert entries == [f"{db.database}:{db.user}:{db.password_variable.upper()}" for db in expected], where
    secret_refs = {
        e["name"]: _one(_one(e["value_from"])["secret_key_ref"])["name"]
        for e in job_container(job)["env"]
        if "value_from" in e
    }
    for db in expected:
        assert secret_refs[db.password_variable.upper()] == f"{engine.name}-app-passwords", where
        assert stack["variable"][db.password_variable]["sensitive"] is True


@pytest.mark.parametrize("env", ENVS)
def test_switched_off_apps_need_no_password(stacks, configs, env):
    variables = stacks[f"{env}-data"]["variable"]
    for db in APP_DATABASES:
        enabled = getattr(configs[env].apps, db.app).enabled
        assert (db.password_variable in variables) == enabled, (
            f"{env}-data: {db.password_variable} declared={db.password_variable in variables}, app enabled={enabled}"
        )


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
def test_password_change_replaces_the_job(stacks, configs, env, engine):
    stack = stacks[f"{env}-data"]
    job = init_job(stack, engine.name)
    triggers = job["lifecycle"]["replace_triggered_by"]
    # a bare address: OpenTofu's JSON syntax rejects "${...}" here (tests/opentofu)
    assert len(triggers) == 1 and triggers[0].startswith("terraform_data."), f"{env}: {triggers}"
    trigger = resources_of(stack, "terraform_data")[triggers[0][len("terraform_data.") :]]
    expected = {db.app: f"${{sha256(var.{db.password_variable})}}" for db in enabled_databases(configs[env], engine)}
    assert trigger["input"]["passwords"] == expected, f"{env}: every app password must re-trigger the Job"
    assert trigger["input"]["job"] == _one(job["metadata"])["name"]


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
def test_scripts_are_escaped_for_opentofu(stacks, env, engine):
    stack = stacks[f"{env}-data"]
    raw = [job_container(init_job(stack, engine.name))["command"][2]]
    raw += [
        hook["pre"][0]["exec"]["command"][2]
        for body in resources_of(stack, "kubernetes_manifest").values()
        for hook in body["manifest"]["spec"]["template"].get("hooks", {}).get("resources", [])
        if hook["name"] == f"{engine.name}-dump"
    ]
    for text in raw:
        assert "$${" in text, "the scripts use ${...}: they must reach OpenTofu escaped"
        assert not re.search(r"(?<!\$)\$\{", text), f"{env}-data {engine.name}: unescaped ${{ in a script"
        assert not re.search(r"(?<!%)%\{", text), f"{env}-data {engine.name}: unescaped %{{ in a script"


def test_same_inputs_give_an_identical_data_stack(stacks, resynthesized):
    assert json.dumps(resynthesized["same"], sort_keys=True) == json.dumps(stacks["dev-data"], sort_keys=True), (
        "dev-data changed between two syntheses with the same inputs"
    )


def test_changed_inputs_give_a_new_job_only_where_they_changed(stacks, resynthesized):
    before, after = stacks["dev-data"], resynthesized["variant"]
    pg_before, pg_after = init_job(before, "postgres"), init_job(after, "postgres")
    assert _one(pg_before["metadata"])["name"] != _one(pg_after["metadata"])["name"], (
        "switching Twenty off changes the Postgres init Job's inputs: it needs a new name"
    )
    assert "twenty" not in init_plain_env(after, "postgres")["INIT_DATABASES"]
    assert "twenty_db_password" not in after["variable"]
    assert init_job(before, "mariadb") == init_job(after, "mariadb"), "MariaDB's inputs did not change"
    # Never drop: the engines and their data are untouched by an app switch.
    for rtype in ("kubernetes_stateful_set_v1", "kubernetes_service_v1"):
        assert resources_of(before, rtype) == resources_of(after, rtype), f"{rtype} changed with an app switch"


def test_job_name_hash_follows_every_pod_input():
    from platform_constructs.base.workload import Container, Pod

    pod = Pod(containers=[Container(name="init", image="img:1", memory_request="1Mi", memory_limit="2Mi", command=["a"])])
    changed_script = replace(pod, containers=[replace(pod.containers[0], command=["b"])])
    changed_image = replace(pod, containers=[replace(pod.containers[0], image="img:2")])
    assert inputs_hash(pod) == inputs_hash(replace(pod))
    assert len({inputs_hash(pod), inputs_hash(changed_script), inputs_hash(changed_image)}) == 3


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
def test_only_enabled_apps_with_that_engine_reach_it(stacks, configs, env, engine):
    policies = _by_name(stacks[f"{env}-data"], "kubernetes_network_policy_v1")
    policy = policies.get(f"allow-apps-to-{engine.name}")
    expected = sorted(db.namespace for db in enabled_databases(configs[env], engine))
    assert policy is not None, f"{env}-data: no allow-apps-to-{engine.name}"
    spec = _one(policy["spec"])
    assert _one(spec["pod_selector"])["match_labels"] == {"app.kubernetes.io/name": engine.name}
    rule = _one(spec["ingress"])
    sources = _one(_one(rule["from"])["namespace_selector"])["match_expressions"][0]["values"]
    assert sources == expected, f"{env}-data: {engine.name} admits {sources}, expected {expected}"
    assert [int(p["port"]) for p in rule["ports"]] == [engine.port]
    # The init Job: egress to the engine, and the engine admits that Job's pods only.
    job_name = _one(init_job(stacks[f"{env}-data"], engine.name)["metadata"])["name"]
    egress = _one(policies[f"allow-{engine.name}-init-to-{engine.name}"]["spec"])
    assert _one(egress["pod_selector"])["match_labels"] == {"app.kubernetes.io/name": job_name}
    ingress = _one(policies[f"allow-{engine.name}-from-{engine.name}-init"]["spec"])
    peer = _one(_one(_one(ingress["ingress"])["from"]))
    assert _one(peer["pod_selector"])["match_expressions"][0]["values"] == [job_name]


@pytest.mark.parametrize("env", ENVS)
def test_velero_schedule_dumps_both_engines_before_backup(stacks, configs, env):
    stack = stacks[f"{env}-data"]
    manifests = [body["manifest"] for body in resources_of(stack, "kubernetes_manifest").values()]
    schedules = [m for m in manifests if m["kind"] == "Schedule"]
    assert len(schedules) == 1, f"{env}-data: one Velero Schedule expected"
    schedule = schedules[0]
    assert schedule["spec"]["schedule"] == configs[env].infra.backups.schedule
    template = schedule["spec"]["template"]
    assert template["includedNamespaces"] == ["data"] and template["defaultVolumesToFsBackup"] is True
    hooks = {h["name"]: h for h in template["hooks"]["resources"]}
    assert set(hooks) == {"postgres-dump", "mariadb-dump"}
    for engine, tool in ((POSTGRES, "pg_dumpall"), (MARIADB, "mariadb-dump")):
        hook = hooks[f"{engine.name}-dump"]
        assert hook["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": engine.name}
        exec_ = hook["pre"][0]["exec"]
        assert exec_["container"] == engine.name and exec_["onError"] == "Fail", f"{env}: {engine.name} hook"
        assert tool in dump_script(stack, engine.name)
