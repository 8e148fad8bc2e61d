"""Every workload runs with what its pinned image needs (``platform_constructs.image_facts``).

Both envs as committed, and both envs with every optional app and feature on (the Apps II
synthesis): each container's uid, read-only root and volumes, ports, the tools its commands,
probes, scripts and backup hooks call, and its env are held to the record of its image.
"""

from __future__ import annotations

import copy

import pytest
from support.apps2 import all_apps_configs, all_apps_stacks
from support.image_checks import called_commands, command_tools, image_findings, workloads

from platform_constructs.image_facts import IMAGE_FACTS
from platform_constructs.versions import IMAGES

__all__ = ["all_apps_configs", "all_apps_stacks"]


def test_every_workload_matches_its_image_facts(stacks, all_apps_stacks):
    findings, checked = [], set()
    for variant, synthesized in (("default", stacks), ("all apps on", all_apps_stacks)):
        for name, stack in synthesized.items():
            for _, _, pod in workloads(stack):
                checked |= {c["image"] for kind in ("init_container", "container") for c in pod.get(kind) or []}
            findings += [f"[{variant}] {f}" for f in image_findings(name, stack)]
    assert not findings, "\n".join(findings)
    keys = {key for key, ref in IMAGES.items() if ref in checked}
    assert keys == set(IMAGE_FACTS), f"records without a workload: {sorted(set(IMAGE_FACTS) - keys)}"


def test_every_record_cites_its_sources_and_where_the_pin_was_confirmed():
    for key, facts in IMAGE_FACTS.items():
        assert key in IMAGES, f"{key}: no such image in versions.IMAGES"
        assert len(facts.pin_confirmed) > 20, f"{key}: say where the pinned tag was confirmed"
        for source in (facts.uid_source, facts.tools_source, *(w.source for w in facts.writes)):
            assert source.repo and source.path and source.ref, f"{key}: incomplete source {source}"


# --- the checker itself ----------------------------------------------------------------------------


def _stack(image: str, **container) -> dict:
    pod = {
        "security_context": {"run_as_user": "1000", "run_as_non_root": True},
        "volume": [
            {"name": "home", "empty_dir": {"size_limit": "1Gi"}},
            {"name": "tmp", "empty_dir": {"size_limit": "1Gi"}},
            {"name": "cache", "empty_dir": {"size_limit": "1Gi"}},
        ],
        "container": [
            {
                "name": "app",
                "image": image,
                "security_context": {"read_only_root_filesystem": True},
                "port": [{"name": "http", "container_port": 5678}],
                "env": [{"name": "N8N_PORT", "value": "5678"}],
                "volume_mount": [
                    {"name": "home", "mount_path": "/home/node/.n8n"},
                    {"name": "tmp", "mount_path": "/tmp"},
                    {"name": "cache", "mount_path": "/home/node/.cache"},
                ],
                **container,
            }
        ],
    }
    return {"resource": {"kubernetes_deployment_v1": {"n8n": {"spec": {"template": {"spec": pod}}}}}}


def test_a_clean_workload_has_no_finding():
    assert image_findings("dev-apps", _stack(IMAGES["n8n"])) == []


def test_an_image_without_a_record_is_named():
    assert image_findings("dev-apps", _stack("example/new:1.0")) == [
        "dev-apps: kubernetes_deployment_v1.n8n container app: image 'example/new:1.0' is not in versions.IMAGES"
    ]
    facts = dict(IMAGE_FACTS)
    del facts["n8n"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("support.image_checks.IMAGE_FACTS", facts)
        (finding,) = image_findings("dev-apps", _stack(IMAGES["n8n"]))
    assert "no image facts for IMAGES['n8n']" in finding


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s["volume_mount"].pop(2), "writes /home/node/.cache/n8n/public"),
        (lambda s: s["security_context"].update(run_as_user="1001"), "runs as uid 1001, the image's user is 1000"),
        (lambda s: s["security_context"].update(read_only_root_filesystem=False), "writable root, but n8n runs on a read-only"),
        (lambda s: s["port"].append({"name": "x", "container_port": 8080}), "port 8080 is not one n8n listens on"),
        (lambda s: s["env"].append({"name": "WEBHOOK_URL", "value": "https://x/"}), "sets deprecated ['WEBHOOK_URL']"),
        (lambda s: s.update(command=["bash", "-c", "curl -s localhost"]), "command calls ['bash', 'curl'], not in the image"),
        (lambda s: s.update(readiness_probe={"exec": {"command": ["wget", "-q", "x"]}}), "readiness_probe calls ['wget']"),
    ],
)
def test_each_broken_fact_is_a_finding(change, expected):
    stack = _stack(IMAGES["n8n"])
    change(stack["resource"]["kubernetes_deployment_v1"]["n8n"]["spec"]["template"]["spec"]["container"][0])
    findings = image_findings("dev-apps", stack)
    assert any(expected in f for f in findings), findings


def test_block_volume_roots_and_memory_volumes_are_checked():
    stack = {
        "resource": {
            "kubernetes_stateful_set_v1": {
                "kafka": {
                    "spec": {
                        "volume_claim_template": [{"metadata": {"name": "data"}}],
                        "template": {
                            "spec": {
                                "security_context": {"run_as_user": "1000"},
                                "container": [
                                    {
                                        "name": "kafka",
                                        "image": IMAGES["kafka"],
                                        "security_context": {"read_only_root_filesystem": False},
                                        "env": [{"name": "KAFKA_LOG_DIRS", "value": "/var/lib/kafka/data"}],
                                        "volume_mount": [{"name": "data", "mount_path": "/var/lib/kafka/data"}],
                                    }
                                ],
                            }
                        },
                    }
                }
            }
        }
    }
    assert any("is the root of a block volume" in f for f in image_findings("dev-apps", stack))
    pg = copy.deepcopy(stack)
    body = pg["resource"]["kubernetes_stateful_set_v1"].pop("kafka")
    container = body["spec"]["template"]["spec"]["container"][0]
    container.update(image=IMAGES["postgres"], env=[{"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"}])
    body["spec"]["template"]["spec"]["security_context"]["run_as_user"] = "999"
    pg["resource"]["kubernetes_stateful_set_v1"]["postgres"] = body
    assert any("/dev/shm needs a memory-backed volume of at least 256Mi" in f for f in image_findings("dev-data", pg))


def test_called_commands_reads_scripts_like_bash():
    script = """#!/bin/bash
set -euo pipefail
client() { mariadb --protocol=TCP "$@"; }
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \\n'; }
until pg_isready -q; do sleep 2; done
for entry in ${LIST}; do
  IFS=: read -r a b <<<"${entry}"
  if MYSQL_PWD="x" client -u "${a}" -e 'SELECT 1' >/dev/null 2>&1; then ok=1; else ok=0; fi
  printf "%s" "$(hex "${a}")"
  cat <<'SQL' | client -u root
SELECT notacommand FROM t;
SQL
done
for db in $(psql -X -tAc "SELECT 1"); do pg_dump "${db}" && mv a b; done
n=$(client -N -e "SELECT COUNT(*) FROM t
  WHERE a = 'it''s'") # a comment's apostrophe
exec sleep infinity
"""
    assert called_commands(script) == {"mariadb", "od", "tr", "pg_isready", "sleep", "cat", "psql", "pg_dump", "mv"}
    assert command_tools(["sh", "-c", "mc mb x; touch /tmp/ready"]) == {"sh", "mc", "touch"}
    assert command_tools(["valkey-server", "/etc/valkey/valkey.conf"]) == {"valkey-server"}
