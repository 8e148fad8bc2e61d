"""Hold every workload of a synthesized stack to the facts of its image (``platform_constructs.image_facts``).

``image_findings(name, stack)`` returns one message per broken fact, naming the stack, the
workload (a pod in our own charts' values included), the container and the fact; an empty list
means every workload runs with what its image needs. ``called_commands(script)``
(``support/bash_reader.py``) lists the executables a bash script runs (its own functions, builtins
and reserved words excluded), so the tools our scripts use are checked too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from platform_constructs.base.literals import from_tofu
from platform_constructs.base.native import provider_pod_spec
from platform_constructs.capacity import memory_bytes
from platform_constructs.image_facts import IMAGE_FACTS, ImageFacts
from platform_constructs.posture import WORKLOADS, chart_workloads
from platform_constructs.rules import helm_values
from platform_constructs.versions import IMAGES
from support.bash_reader import SHELLS, called_commands


def command_tools(argv: list[str]) -> set[str]:
    """Executables an exec argv calls: the shell and what its ``-c`` script calls, or argv[0]."""
    if argv and argv[0] in SHELLS and len(argv) >= 3 and argv[1] == "-c":
        return {argv[0]} | called_commands(from_tofu(argv[2]))
    return {argv[0]} if argv else set()


# --- walking the synthesized JSON -----------------------------------------------------------------


def _one(node: Any) -> Any:
    return node[0] if isinstance(node, list) and len(node) == 1 else node


def _pod(body: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any] | None:
    node: Any = body
    for key in path:
        node = _one(node)
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    node = _one(node)
    return node if isinstance(node, Mapping) else None


def workloads(stack: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """(address, workload body, pod spec) of every workload the stack defines directly."""
    for rtype, (path, _) in WORKLOADS.items():
        for name, body in sorted(stack.get("resource", {}).get(rtype, {}).items()):
            pod = _pod(body, path)
            if pod is not None:
                yield f"{rtype}.{name}", body, pod


def _env(container: Mapping[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env") or [] if "value" in e}


def _resolve(spec: str, facts: ImageFacts, env: Mapping[str, str], args: list[str]) -> str | None:
    if spec.startswith("arg:"):
        flag = spec[4:]
        if flag in args and args.index(flag) + 1 < len(args):
            return args[args.index(flag) + 1]
        return facts.env_defaults.get(spec)
    if spec.startswith("$"):
        var, _, rest = spec[1:].partition("/")
        base = env.get(var, facts.env_defaults.get(var))
        return None if base is None else (base.rstrip("/") + "/" + rest if rest else base)
    return spec


def _covering_mount(path: str, mounts: Mapping[str, str]) -> tuple[str, str] | None:
    """(mount path, volume name) of the deepest mount containing ``path``."""
    best = None
    for volume, mount_path in mounts.items():
        if path == mount_path or path.startswith(mount_path.rstrip("/") + "/"):
            if best is None or len(mount_path) > len(best[0]):
                best = (mount_path, volume)
    return best


def _probe_ports(container: Mapping[str, Any]) -> set[str]:
    ports = set()
    for key in ("readiness_probe", "liveness_probe", "startup_probe"):
        probe = _one(container.get(key)) or {}
        for kind in ("http_get", "tcp_socket"):
            if probe.get(kind):
                ports.add(str(_one(probe[kind])["port"]))
    return ports


def _exec_commands(container: Mapping[str, Any]) -> Iterator[tuple[str, list[str]]]:
    if container.get("command"):
        yield "command", list(container["command"])
    for key in ("readiness_probe", "liveness_probe", "startup_probe"):
        probe = _one(container.get(key)) or {}
        if probe.get("exec"):
            yield key, list(_one(probe["exec"])["command"])


def _missing_tools(argv: list[str], facts: ImageFacts) -> set[str]:
    return {t for t in command_tools(argv) if t not in facts.all_tools and os.path.basename(t) not in facts.all_tools}


def container_findings(where: str, pod: Mapping[str, Any], container: Mapping[str, Any], claims: set[str]) -> list[str]:
    image = container.get("image", "")
    keys = [key for key, ref in IMAGES.items() if ref == image]
    if not keys:
        return [f"{where}: image {image!r} is not in versions.IMAGES"]
    if keys[0] not in IMAGE_FACTS:
        return [f"{where}: no image facts for IMAGES[{keys[0]!r}] = {image!r}: add a record to image_facts.py"]
    facts, key, problems = IMAGE_FACTS[keys[0]], keys[0], []
    pod_sc, sc = _one(pod.get("security_context")) or {}, _one(container.get("security_context")) or {}
    env, args = _env(container), list(container.get("args") or [])
    uid = int(sc.get("run_as_user", pod_sc.get("run_as_user", -1)))
    if facts.uid is not None and uid != facts.uid:
        problems.append(f"runs as uid {uid}, the image's user is {facts.uid} ({facts.uid_source.repo} {facts.uid_source.path})")
    volumes = {v["name"]: v for v in pod.get("volume") or []}
    mounts = {m["name"]: m["mount_path"] for m in container.get("volume_mount") or []}
    read_only = sc.get("read_only_root_filesystem") is True
    if read_only and not facts.read_only_root:
        problems.append(f"read-only root, but {key} cannot start on one")
    if not read_only and facts.read_only_root:
        problems.append(f"writable root, but {key} runs on a read-only root once its writes are volumes: set it")
    writes = facts.command_writes if container.get("command") and facts.command_writes is not None else facts.writes
    for write in writes:
        path = _resolve(write.path, facts, env, args)
        if path is None and write.only_if_set:
            continue  # a command that does not set the variable does not write there
        if path is None:
            problems.append(f"cannot resolve {write.path!r}: set it in the env or in env_defaults")
            continue
        covering = _covering_mount(path, mounts)
        if read_only and covering is None:
            problems.append(f"writes {path} ({write.why}) but no volume is mounted there")
        if covering is None:
            if write.memory_at_least:
                problems.append(f"{path} needs a memory-backed volume of at least {write.memory_at_least} ({write.why})")
            continue
        mount_path, volume_name = covering
        volume = volumes.get(volume_name, {})
        persistent = volume_name in claims or "persistent_volume_claim" in volume
        if write.sub_directory and persistent and path.rstrip("/") == mount_path.rstrip("/"):
            problems.append(f"{path} is the root of a block volume ({write.why}): use a sub-directory")
        if write.memory_at_least:
            empty = _one(volume.get("empty_dir")) or {}
            size = empty.get("size_limit")
            if empty.get("medium") != "Memory" or not size or memory_bytes(size) < memory_bytes(write.memory_at_least):
                problems.append(f"{path} must be an emptyDir medium=Memory of at least {write.memory_at_least} ({write.why})")
    listening = {_resolve(str(p), facts, env, args) for p in facts.ports}
    declared = {str(p["container_port"]) for p in container.get("port") or []}
    for port in sorted((declared | _probe_ports(container)) - {p for p in listening if p}):
        problems.append(f"port {port} is not one {key} listens on (facts: {sorted(str(p) for p in listening)})")
    if facts.privileged_port_sysctl and uid != 0:
        low = min(int(p) for p in listening if p and int(p) < 1024)
        sysctls = {s["name"]: int(s["value"]) for s in pod_sc.get("sysctl") or []}
        if sysctls.get("net.ipv4.ip_unprivileged_port_start", 1024) > low:
            problems.append(f"listens on {low} as non-root: the pod needs net.ipv4.ip_unprivileged_port_start <= {low}")
    for what, argv in _exec_commands(container):
        missing = _missing_tools(argv, facts)
        if missing:
            problems.append(f"{what} calls {sorted(missing)}, not in the image (tools: {sorted(facts.all_tools)})")
    deprecated = sorted({e["name"] for e in container.get("env") or []} & facts.deprecated_env)
    if deprecated:
        problems.append(f"sets deprecated {deprecated} ({facts.deprecated_source.path if facts.deprecated_source else ''})")
    return [f"{where}: {p}" for p in problems]


def _hooks(stack: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, str], str, list[str]]]:
    """(schedule, label selector, container, command) of every Velero pre-backup exec hook."""
    for name, body in sorted(stack.get("resource", {}).get("kubernetes_manifest", {}).items()):
        manifest = body.get("manifest", {})
        if manifest.get("kind") != "Schedule":
            continue
        for resource in manifest.get("spec", {}).get("template", {}).get("hooks", {}).get("resources", []):
            for hook in resource.get("pre", []):
                if "exec" in hook:
                    selector = resource.get("labelSelector", {}).get("matchLabels", {})
                    yield f"kubernetes_manifest.{name}", selector, hook["exec"]["container"], list(hook["exec"]["command"])


def pods(stack: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any], set[str]]]:
    """(address, pod labels, pod spec, claim-template names) of every pod the stack runs: its workloads, and
    the workloads shipped in the values of our own charts (the init hooks), in the provider's shape."""
    for address, body, pod in workloads(stack):
        claims = {_one(t["metadata"])["name"] for t in (_one(body.get("spec")) or {}).get("volume_claim_template") or []}
        labels = (_one((_one((_one(body.get("spec")) or {}).get("template")) or {}).get("metadata")) or {}).get("labels") or {}
        if not labels:  # CronJob: job_template.spec.template
            template = _one(
                (_one((_one((_one(body.get("spec")) or {}).get("job_template")) or {}).get("spec")) or {}).get("template")
            )
            labels = (_one((template or {}).get("metadata")) or {}).get("labels") or {}
        yield address, labels, pod, claims
    for name, body in sorted(stack.get("resource", {}).get("helm_release", {}).items()):
        if body.get("repository"):
            continue  # an upstream chart: its pods are the chart's, not in our values
        for doc in helm_values(body):
            for values, pod in chart_workloads(doc):
                yield (f"helm_release.{name} {values.get('name')}", (pod.get("metadata") or {}).get("labels") or {},
                       provider_pod_spec(pod["spec"]), set())


def image_findings(name: str, stack: Mapping[str, Any]) -> list[str]:
    findings = []
    for address, _, pod, claims in pods(stack):
        for kind in ("init_container", "container"):
            for container in pod.get(kind) or []:
                findings += container_findings(f"{name}: {address} {kind} {container.get('name')}", pod, container, claims)
    for schedule, selector, container_name, command in _hooks(stack):
        targets = [
            (address, c)
            for address, labels, pod, _ in pods(stack)
            if selector and all(labels.get(k) == v for k, v in selector.items())
            for c in pod.get("container") or []
            if c.get("name") == container_name
        ]
        if not targets:
            findings.append(f"{name}: {schedule}: hook container {container_name!r} matches no workload ({selector})")
        for address, container in targets:
            keys = [key for key, ref in IMAGES.items() if ref == container.get("image")]
            facts = IMAGE_FACTS.get(keys[0]) if keys else None
            if facts is None:
                continue  # reported on the workload itself
            missing = _missing_tools(command, facts)
            if missing:
                findings.append(
                    f"{name}: {schedule}: hook in {address} {container_name} calls {sorted(missing)}, not in the image"
                )
    return findings
