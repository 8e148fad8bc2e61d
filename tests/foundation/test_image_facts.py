"""Every workload runs with what its pinned image needs (``platform_constructs.image_facts``).

Both envs as committed, and both envs with every optional app and feature on (the Apps II
synthesis): each container's uid, read-only root and volumes, ports, the tools its commands,
probes, scripts and backup hooks call, and its env are held to the record of its image. The pods
our own charts carry in their values (the database init hooks) are workloads like the others.
"""

from __future__ import annotations

import copy
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from support.apps2 import all_apps_configs, all_apps_stacks
from support.bash_reader import BUILTINS, RESERVED_WORDS
from support.image_checks import called_commands, command_tools, image_findings, pods

from platform_constructs.image_facts import IMAGE_FACTS
from platform_constructs.versions import IMAGES

__all__ = ["all_apps_configs", "all_apps_stacks"]


def test_every_workload_matches_its_image_facts(stacks, all_apps_stacks):
    findings, checked = [], set()
    for variant, synthesized in (("default", stacks), ("all apps on", all_apps_stacks)):
        for name, stack in synthesized.items():
            for _, _, pod, _ in pods(stack):
                checked |= {c["image"] for kind in ("init_container", "container") for c in pod.get(kind) or []}
            findings += [f"[{variant}] {f}" for f in image_findings(name, stack)]
    assert not findings, "\n".join(findings)
    keys = {key for key, ref in IMAGES.items() if ref in checked}
    assert keys == set(IMAGE_FACTS), f"records without a workload: {sorted(set(IMAGE_FACTS) - keys)}"


def test_every_record_cites_its_sources_and_where_the_pin_was_confirmed():
    for key, facts in IMAGE_FACTS.items():
        assert key in IMAGES, f"{key}: no such image in versions.IMAGES"
        assert len(facts.pin_confirmed) > 20, f"{key}: say where the pinned tag was confirmed"
        writes = (*facts.writes, *(facts.command_writes or ()))
        for source in (facts.uid_source, facts.tools_source, *(t.source for t in facts.more_tools), *(w.source for w in writes)):
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


def _hook_release(env: dict[str, str], mounts: dict[str, str], script: str) -> dict:
    """A helm_release of a chart of ours whose values carry a Job pod (API shape, as base/native.py writes it)."""
    container = {
        "name": "drill", "image": IMAGES["postgres"], "command": ["bash", "-c", script],
        "securityContext": {"readOnlyRootFilesystem": True, "runAsUser": 999},
        "env": [{"name": k, "value": v} for k, v in env.items()],
        "volumeMounts": [{"name": n, "mountPath": m} for n, m in mounts.items()],
    }
    pod = {"metadata": {"labels": {"app.kubernetes.io/name": "drill"}},
           "spec": {"securityContext": {"runAsUser": 999}, "containers": [container],
                    "volumes": [{"name": n, "emptyDir": {"sizeLimit": "1Gi"}} for n in mounts]}}
    values = {"job": {"name": "drill-1", "podSpec": pod}}
    return {"resource": {"helm_release": {"drill": {"name": "drill", "chart": "assets/x", "values": [json.dumps(values)]}}}}


def test_pods_in_our_charts_values_and_the_drill_writes_are_checked():
    """The init hooks ship as chart values (podSpec), not as kubernetes_job_v1: they are held to the facts too,
    and a command that sets SCRATCH_DIR (the restore drill) writes its scratch server there."""
    clean = _hook_release({"SCRATCH_DIR": "/scratch"}, {"scratch": "/scratch", "tmp": "/tmp"}, "initdb; pg_ctl start")
    assert image_findings("dev-data", clean) == []
    (unmounted,) = image_findings("dev-data", _hook_release({"SCRATCH_DIR": "/scratch"}, {"tmp": "/tmp"}, "initdb"))
    assert "helm_release.drill drill-1 container drill: writes /scratch (restore drill" in unmounted, unmounted
    assert image_findings("dev-data", _hook_release({}, {"tmp": "/tmp"}, "psql -c 'SELECT 1'")) == [], (
        "a command that does not set SCRATCH_DIR (the init Job) writes nothing there"
    )
    (missing,) = image_findings("dev-data", _hook_release({}, {"tmp": "/tmp"}, "psql; curl -s x"))
    assert "command calls ['curl'], not in the image" in missing, missing


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
    # Each construct of our dump/drill scripts, and what bash runs from it (bash 5.2 manual, §3.2-§3.6).
    # Every command of these snippets runs when bash runs them, so bash itself confirms each expectation.
    constructs = {
        # arithmetic: a command and a for header compute, they run nothing ...
        "for ((i = 0; i < ${#hex}; i += 2)); do x+=1; done; (( i++ ))": set(),
        # ... but a substitution inside arithmetic runs
        "age=$(($(date -u +%s) - taken_at))": {"date"},
        # builtins (bash's own, never looked up on PATH)
        "complete_sets() { :; }; mapfile -t sets < <(complete_sets); for s in x; do break; done; readarray -t y <f": set(),
        # a process substitution runs its command
        "mapfile -t sets < <(ls -1 /dumps)": {"ls"},
        # array assignments hold values, not commands (alone, before a command, after local)
        'db_hex+=("${a}") db_file+=("${b}"); list=() other=(x y); f() { local arr=(p q) n=1; }; f': set(),
        # a [[ ]] test is evaluated by bash, && inside it does not start a command
        'fail() { :; }; [[ ${a} =~ ^[0-9a-f]+$ && ${b} =~ ^[a-z]+$ ]] || fail "bad"': set(),
        # read targets are variable names
        'while read -r key a b c; do :; done <"${set_dir}/MANIFEST"': set(),
        # case patterns are patterns; the bodies after ) run
        "case ${key} in\n  engine) engine=${a} ;;\n  taken_at | canary) t=${a} ;;\n"
        "  database)\n    db_hex+=(\"${a}\")\n    ;;\n  *) logger x ;;\nesac": {"logger"},
        # a trap action runs later, but it runs
        "trap - INT; trap 'pg_ctl --mode=immediate stop >/dev/null 2>&1 || true' EXIT": {"pg_ctl"},
        # an unquoted here-document expands $( ), a quoted one does not; <<< is a here-string
        "cat <<EOF\n$(hostname) '${x}'\nEOF\ncat <<'EOF'\n$(whoami)\nEOF\nread -r a <<<word\nuname": {"cat", "hostname", "uname"},
        # file descriptors, ANSI-C quotes, comments, command -v (a look-up only)
        "x 2>&1; [ -n $'a\\'b' ] # $(not) it's\ncommand -v psql >/dev/null || y": {"x", "y"},
        # functions, with or without the keyword, called from a function defined earlier
        "e() { a; }; function a { b; }; c() { d; }; e; c": {"b", "d"},
    }
    for text, expected in constructs.items():
        assert called_commands(text) == expected, text
        assert _looked_up_by_bash(text) == expected, f"bash itself runs something else: {text}"
    # What runs through another command (bash cannot show it here: the outer command is not found).
    assert called_commands("find /d -mmin +120 -exec rm -rf -- {} +; find . -execdir chmod 0 {} \\;") == {"find", "rm", "chmod"}
    assert called_commands("exec pg_ctl start") == {"pg_ctl"}
    with pytest.raises(ValueError, match="xargs runs its operands"):
        called_commands("ls | xargs rm")
    with pytest.raises(ValueError, match="never closed"):
        called_commands("cat <<EOF\nno end")


def _looked_up_by_bash(snippet: str) -> set[str]:
    """The commands real bash looks up on PATH when it runs ``snippet``: with an empty PATH each look-up
    reaches ``command_not_found_handle``, which logs the name (builtins and functions never do)."""
    with tempfile.TemporaryDirectory() as empty:
        log = Path(empty) / "looked-up"
        handler = 'command_not_found_handle() { printf "%s\\n" "$1" >>"$LOOKUP_LOG"; return 127; }\n'
        subprocess.run(["/bin/bash", "-c", handler + snippet], env={"PATH": empty, "LOOKUP_LOG": str(log)}, cwd=empty,
                       capture_output=True, timeout=20, check=False)
        return set(log.read_text().split()) if log.exists() else set()


def test_the_bash_reader_knows_the_builtins_and_reserved_words_of_bash():
    """What the reader skips as bash's own is bash's own (this machine's bash, Debian bookworm's: the postgres base)."""
    listed = subprocess.run(["bash", "-c", "compgen -b; echo --; compgen -k"], check=True, capture_output=True, text=True)
    builtins, keywords = listed.stdout.split("--\n")
    assert BUILTINS == set(builtins.split()), "support/bash_reader.py BUILTINS differ from this bash's compgen -b"
    assert RESERVED_WORDS == set(keywords.split()), "support/bash_reader.py RESERVED_WORDS differ from compgen -k"
