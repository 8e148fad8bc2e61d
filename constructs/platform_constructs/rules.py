"""Rules as code, checked on every synthesis over the synthesized JSON of each stack.

Each rule yields ``Finding``s that name the stack and the resource. A finding is accepted only
when a ``Waiver`` (rule, stack, resource, reason) in ``waivers.py`` matches it; a waiver that no
longer matches anything is itself reported, so the list never rots.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from envs import PlatformConfig


@dataclass(frozen=True, order=True)
class Finding:
    rule: str
    stack: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.stack}: {self.resource}: {self.message}"


@dataclass(frozen=True)
class Waiver:
    rule: str
    stack: str
    """Stack name, e.g. ``dev-infra``, or ``*-infra`` for both environments."""
    resource: str
    reason: str
    when: str | tuple[str, ...] | None = None
    """Dotted config switch (e.g. ``apps.sentry.enabled``) that must be true for the waiver to apply
    (a tuple: any of them): waivers of optional components are not stale while they are off."""

    def _stack_matches(self, stack: str) -> bool:
        return self.stack == stack or (self.stack.startswith("*-") and stack.endswith(self.stack[1:]))

    def matches(self, finding: Finding) -> bool:
        return self.rule == finding.rule and self._stack_matches(finding.stack) and self.resource == finding.resource

    def applies_to(self, config: PlatformConfig, stacks: Sequence[str]) -> bool:
        if not any(self._stack_matches(stack) for stack in stacks):
            return False
        if self.when is None:
            return True
        return any(self._switch(config, when) for when in ((self.when,) if isinstance(self.when, str) else self.when))

    @staticmethod
    def _switch(config: PlatformConfig, when: str) -> bool:
        node: Any = config
        for part in when.split("."):
            node = getattr(node, part)
        return bool(node)


class RulesViolation(Exception):
    def __init__(self, findings: Sequence[Finding]):
        self.findings = list(findings)
        lines = "\n".join(f"  - {f}" for f in self.findings)
        super().__init__(
            f"{len(self.findings)} rule violation(s) in the synthesized stacks:\n{lines}\n"
            "Fix the resource, or record a waiver with its reason in constructs/platform_constructs/waivers.py."
        )


Stack = Mapping[str, Any]


def resources(stack: Stack) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(type, address, body) of every resource and data source."""
    for kind, prefix in (("resource", ""), ("data", "data.")):
        for rtype, items in sorted(stack.get(kind, {}).items()):
            for name, body in sorted(items.items()):
                yield rtype, f"{prefix}{rtype}.{name}", body


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            if key != "//":
                yield str(key)
                yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def helm_values(body: Mapping[str, Any]) -> list[Any]:
    """Parsed ``values`` documents of a helm_release (JSON strings, as the components write them)."""
    docs = []
    for doc in body.get("values", []) or []:
        try:
            docs.append(json.loads(doc))
        except (TypeError, ValueError):
            docs.append(doc)
    return docs


# --- the rules -----------------------------------------------------------------------------------


def no_bitnami(config: PlatformConfig, name: str, stack: Stack) -> Iterator[Finding]:
    for _, address, body in resources(stack):
        for text in _strings(body):
            if "bitnami" in text.lower():
                yield Finding("no-bitnami", name, address, f"mentions Bitnami: {text[:120]!r}")
                break


MANAGED_DB_TYPES = re.compile(r"^digitalocean_database_")


def no_managed_database(config: PlatformConfig, name: str, stack: Stack) -> Iterator[Finding]:
    for rtype, address, _ in resources(stack):
        if MANAGED_DB_TYPES.match(rtype):
            yield Finding("no-managed-database", name, address, "managed databases are not allowed (self-host it)")


EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


def helm_pinned(config: PlatformConfig, name: str, stack: Stack) -> Iterator[Finding]:
    for rtype, address, body in resources(stack):
        if rtype != "helm_release":
            continue
        version = body.get("version")
        if not isinstance(version, str) or not EXACT_VERSION.match(version):
            yield Finding("helm-pinned", name, address, f"chart version must be exact, got {version!r}")
        repo = body.get("repository")
        if not isinstance(repo, str) or not repo.startswith(("https://", "oci://")):
            yield Finding("helm-pinned", name, address, f"repository must be https:// or oci://, got {repo!r}")


def image_problem(image: str) -> str | None:
    """Why ``image`` is not pinned, or None: a tag other than ``latest``, or a digest."""
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag"
    if last.rsplit(":", 1)[1] in ("", "latest"):
        return "uses the 'latest' tag"
    return None


def _images(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, image reference) for every image the node sets, in k8s specs and chart values."""
    if isinstance(node, Mapping):
        image = node.get("image")
        if isinstance(image, str) and "${" not in image:
            yield f"{path}.image", image
        repo, tag = node.get("repository"), node.get("tag")
        if isinstance(repo, str) and "tag" in node and "/" in repo:
            yield f"{path}.repository", f"{repo}:{tag}" if tag else repo
        for key, value in node.items():
            if key != "//":
                yield from _images(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _images(item, f"{path}[{index}]")


def images_pinned(config: PlatformConfig, name: str, stack: Stack) -> Iterator[Finding]:
    for rtype, address, body in resources(stack):
        targets = helm_values(body) if rtype == "helm_release" else [body]
        for target in targets:
            for where, image in _images(target):
                problem = image_problem(image)
                if problem:
                    yield Finding("image-pinned", name, address, f"image {image!r} at {where} {problem}")


def _storage_classes(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = f"{path}.{key}" if path else key
            if key in ("storage_class_name", "storageClassName", "storageClass") and not isinstance(value, Mapping):
                yield here, value
            elif key != "//":
                yield from _storage_classes(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _storage_classes(item, f"{path}[{index}]")


def block_storage_only(config: PlatformConfig, name: str, stack: Stack) -> Iterator[Finding]:
    wanted = config.storage.block_class
    for rtype, address, body in resources(stack):
        if rtype == "kubernetes_storage_class_v1":
            continue
        targets = helm_values(body) if rtype == "helm_release" else [body]
        for target in targets:
            for where, value in _storage_classes(target):
                if value != wanted:
                    yield Finding(
                        "block-storage", name, address, f"{where} = {value!r}, expected the env's class {wanted!r}"
                    )
        if rtype == "kubernetes_persistent_volume_claim_v1":
            spec = (body.get("spec") or [{}])
            spec = spec[0] if isinstance(spec, list) else spec
            if "storage_class_name" not in spec:
                yield Finding("block-storage", name, address, "PVC without storage_class_name (would use the default)")


def waf_body_limits(config: PlatformConfig, name: str, stack: Stack) -> Iterator[Finding]:
    """Every Ingress behind the WAF declares app body limits the WAF accepts (no 413 at the WAF for a valid upload)."""
    from platform_constructs.base.ingress import (
        BODY_LIMIT_ANNOTATION,
        PAYLOAD_LIMIT_ANNOTATION,
        TRAEFIK_MIDDLEWARES,
        WAF_MIDDLEWARE_REF,
    )

    waf = config.infra.modsecurity
    limits = {BODY_LIMIT_ANNOTATION: waf.body_limit_bytes, PAYLOAD_LIMIT_ANNOTATION: waf.body_limit_no_files_bytes}
    for rtype, address, body in resources(stack):
        if rtype != "kubernetes_ingress_v1":
            continue
        metadata = body.get("metadata") or {}
        notes = (metadata[0] if isinstance(metadata, list) else metadata).get("annotations") or {}
        if WAF_MIDDLEWARE_REF not in str(notes.get(TRAEFIK_MIDDLEWARES, "")):
            continue
        for annotation, waf_limit in limits.items():
            if annotation in notes and int(notes[annotation]) > waf_limit:
                yield Finding(
                    "waf-body-limit", name, address,
                    f"{annotation} = {notes[annotation]} but the WAF rejects bodies above {waf_limit} (infra.modsecurity)",
                )


def _static_references(stack: Stack) -> Iterator[tuple[str, str, Any]]:
    """(where, field, value) of every meta-argument OpenTofu reads as a bare static reference.

    ``depends_on`` (internal/configs/depends_on.go) and each encryption target's ``method`` (with its
    fallbacks; internal/encryption/targets.go) go through ``hcl.AbsTraversalForExpr``;
    ``lifecycle.replace_triggered_by`` is parsed as a native expression, where ``$`` is invalid
    (internal/configs/resource.go ``decodeReplaceTriggeredBy``), all at opentofu/opentofu v1.12.6.
    """
    for _, address, body in resources(stack):
        yield address, "depends_on", body.get("depends_on")
        lifecycle = body.get("lifecycle") or {}
        if isinstance(lifecycle, Mapping):
            yield address, "lifecycle.replace_triggered_by", lifecycle.get("replace_triggered_by")
    for kind in ("output", "module"):
        for name, body in sorted((stack.get(kind) or {}).items()):
            yield f"{kind}.{name}", "depends_on", body.get("depends_on")
    encryption = (stack.get("terraform") or {}).get("encryption") or {}
    remote = encryption.get("remote_state_data_sources") or {}
    targets = [(f"terraform.encryption.{t}", encryption.get(t)) for t in ("state", "plan")]
    targets.append(("terraform.encryption.remote_state_data_sources.default", remote.get("default")))
    named = remote.get("remote_state_data_source") or {}
    targets += [(f"terraform.encryption.remote_state_data_sources.{n}", t) for n, t in sorted(named.items())]
    while targets:
        where, target = targets.pop(0)
        if isinstance(target, Mapping):
            yield where, "method", target.get("method")
            targets.append((f"{where}.fallback", target.get("fallback")))


def static_references(config: PlatformConfig, name: str, stack: Stack) -> Iterator[Finding]:
    """depends_on, replace_triggered_by and encryption methods hold bare addresses, never "${...}"."""
    for where, field, value in _static_references(stack):
        for text in _strings(value):
            if "${" in text:
                yield Finding(
                    "static-reference", name, where,
                    f"{field} holds {text!r}: OpenTofu wants a bare address there (\"A single static variable "
                    "reference is required\"); write base.addresses.address(resource), not resource.fqn",
                )


Rule = Callable[[PlatformConfig, str, Stack], Iterator[Finding]]
RULES: tuple[Rule, ...] = (
    no_bitnami, no_managed_database, helm_pinned, images_pinned, block_storage_only, waf_body_limits,
    static_references,
)


def check_stack(config: PlatformConfig, name: str, stack: Stack, rules: Sequence[Rule] = RULES) -> list[Finding]:
    return sorted(f for rule in rules for f in rule(config, name, stack))


def unwaived(findings: Sequence[Finding], waivers: Sequence[Waiver]) -> tuple[list[Finding], list[Waiver]]:
    """Findings no waiver covers, and waivers that cover no finding (stale)."""
    open_findings = [f for f in findings if not any(w.matches(f) for w in waivers)]
    stale = [w for w in waivers if not any(w.matches(f) for f in findings)]
    return open_findings, stale
