#!/usr/bin/env python3
"""Write the record of the values keys a Helm chart reads (run by hand, never by the tests).

    .venv-tools/bin/python scripts/chart_keys.py CHART_DIR \\
        --source REPOSITORY PATH REF COMMIT \\
        [--subchart ALIAS DIR REPOSITORY PATH REF COMMIT ...] \\
        [--out constructs/platform_constructs/chart_keys/<chart>.json]

CHART_DIR is the chart at the pinned version: a ``git archive`` of the chart's folder at its release
tag, or ``helm pull <chart> --version <pin> --untar`` (subcharts vendored under ``charts/`` are read
too; a git checkout lacks them, so name each enabled dependency with ``--subchart``). The record
lists, as key paths, what the chart's ``values.yaml`` and ``values.schema.json`` declare, what its
templates read (``.Values.a.b``, through ``with``/``range`` scopes and variables), the
dependency ``condition``s Helm itself reads, and each subchart's keys under its alias. A key the
templates hand over whole (``toYaml``, ``tpl``, ``include``, ``merge``, ``dict``...) is recorded as a
subtree: ``a.b.**``. Paths: ``.`` between keys, ``[]`` for a list item, ``*`` for any one key or
item, ``**`` for anything below; a key holding ``.``, ``*``, ``[``, ``"`` or a space is JSON-quoted.

Only key names are written (facts about the chart), never upstream text. Tests read the records
(``tests/foundation/test_chart_keys.py``): each key a ``helm_release`` sets must be in its chart's
record, and each record's version must equal the pin in ``versions.py``. Our own charts (the
``charts/`` folders of this repo) need no record: the test reads what their templates read
(``read_by_templates``) from the chart folder the release ships.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "constructs"))
from platform_constructs.chart_keys import ANY, ITEM, SUBTREE, Key, chart_files, content_digest, render_key

# Functions that hand a value over whole: everything below it may be read.
SUBTREE_FUNCTIONS = frozenset(
    "toYaml toJson toPrettyJson toRawJson tpl include template merge mergeOverwrite deepCopy pick omit "
    "dict list fromYaml concat append prepend keys values dig get set unset toString".split()
)
_SERIALISERS = re.compile(r"\b(?:toYaml|toJson|toPrettyJson|toRawJson)\b")
_ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')
_PATH = r"((?:\.[A-Za-z0-9_][\w-]*)*)"
_VALUES = re.compile(r"\.Values" + _PATH + r"(?![\w-])")
_PAREN_VALUES = re.compile(r"\(\s*[$\w.]*\.Values" + _PATH + r"\s*\)" + _PATH)
_KEYED = re.compile(r"\b(index|hasKey|get)\s+[$\w.]*\.Values" + _PATH + r'((?:\s+"[^"]*")+)')
_VARIABLE = re.compile(r"\$([A-Za-z_]\w*)" + _PATH)
_DOT = re.compile(r"(?<![\w)\]$\"\.])\.([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)")
_BARE_DOT = re.compile(r"(?<![\w)\]$\"\.])\.(?![\w.])")
_ASSIGN = re.compile(r"^\s*\$(\w+)\s*(?:,\s*\$(\w+)\s*)?:?=")
_WORD = re.compile(r"[A-Za-z_]\w*")
_BUILTIN_ROOTS = {"Values", "Release", "Chart", "Capabilities", "Template", "Files"}


def _load_yaml(path: Path) -> Any:
    try:
        import yaml
    except ModuleNotFoundError:
        raise SystemExit("chart_keys.py needs PyYAML: run it with .venv-tools/bin/python") from None
    return yaml.safe_load(path.read_text())


def _blank(text: str) -> str:
    """``text`` with string literals emptied (same length, so positions still line up)."""
    return _STRING.sub(lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1], text)


def _segments(path: str) -> Key:
    return tuple(part for part in path.split(".") if part)


# --- values.yaml and values.schema.json -----------------------------------------------------------


def declared_keys(node: Any, prefix: Key = ()) -> Iterator[tuple[Key, bool]]:
    """(path, is_subtree) of every key ``values.yaml`` declares; empty maps and lists are open."""
    if isinstance(node, dict):
        if not node and prefix:
            yield prefix, True
        for key, value in node.items():
            path = (*prefix, str(key))
            yield path, False
            yield from declared_keys(value, path)
    elif isinstance(node, list):
        if not node:
            yield prefix, True
        for item in node:
            yield (*prefix, ITEM), False
            yield from declared_keys(item, (*prefix, ITEM))


def schema_keys(schema: dict[str, Any], node: Any = None, prefix: Key = (), depth: int = 0) -> Iterator[tuple[Key, bool]]:
    """(path, is_subtree) of the keys a JSON schema declares (local ``$ref``s followed)."""
    node = schema if node is None else node
    if not isinstance(node, dict) or depth > 40:
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        yield from schema_keys(schema, target, prefix, depth + 1)
    for combinator in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(combinator, []) or []:
            yield from schema_keys(schema, sub, prefix, depth + 1)
    for key, sub in (node.get("properties") or {}).items():
        yield (*prefix, key), False
        yield from schema_keys(schema, sub, (*prefix, key), depth + 1)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        yield (*prefix, ANY), False
        yield from schema_keys(schema, extra, (*prefix, ANY), depth + 1)
    types = node.get("type")
    types = types if isinstance(types, list) else [types]
    if "object" in types and not node.get("properties") and not isinstance(extra, dict) and "$ref" not in node and prefix:
        yield prefix, True
    if "items" in node:
        yield (*prefix, ITEM), False
        yield from schema_keys(schema, node["items"], (*prefix, ITEM), depth + 1)


# --- templates -------------------------------------------------------------------------------------


class _Frame:
    def __init__(self, context: Key | None, outer: Key | None) -> None:
        self.context = context
        self.outer = outer
        self.variables: dict[str, Key | None] = {}


def template_keys(text: str) -> Iterator[tuple[Key, bool]]:
    """(path, is_subtree) of every values key one template file reads.

    Tracks the dot through ``with``/``range`` over values and the variables bound to values paths; a
    value handed to a function that takes it whole (``SUBTREE_FUNCTIONS``) counts as its whole subtree.
    """
    stack = [_Frame(None, None)]

    def lookup(name: str) -> Key | None:
        for frame in reversed(stack):
            if name in frame.variables:
                return frame.variables[name]
        return None

    def refs(body: str, context: Key | None) -> Iterator[tuple[Key, bool]]:
        whole = any(word in SUBTREE_FUNCTIONS for word in _WORD.findall(_blank(body)))
        for path, subtree in _action_refs(body, context, lookup):
            yield path, subtree or whole

    for match in _ACTION.finditer(text):
        action = match.group(1).strip()
        if not action or action.startswith("/*"):
            continue
        keyword, _, rest = action.partition(" ")
        keyword, rest = keyword.strip(), rest.strip()
        if keyword == "end":
            if len(stack) > 1:
                stack.pop()
        elif keyword == "else":
            frame = stack[-1]
            frame.context = frame.outer
            branch, _, body = rest.partition(" ")
            if branch in ("if", "with"):
                yield from refs(body, frame.outer)
                if branch == "with":
                    frame.context = _first_ref(body, frame.outer, lookup)
        elif keyword in ("define", "block"):
            yield from refs(rest, None)
            stack.append(_Frame(None, None))
        elif keyword in ("if", "with", "range"):
            context = stack[-1].context
            yield from refs(rest, context)
            target = _first_ref(rest, context, lookup)
            frame = _Frame(context, context)
            stack.append(frame)
            assigned = _ASSIGN.match(rest)
            if keyword == "with":
                frame.context = target
                if assigned:
                    frame.variables[assigned.group(1)] = target
            elif keyword == "range":
                element = (*target, ANY) if target is not None else None
                frame.context = element
                if assigned:
                    names = [name for name in assigned.groups() if name]
                    for name in names[:-1]:
                        frame.variables[name] = None  # the key or index, not a values path
                    frame.variables[names[-1]] = element
        else:
            context = stack[-1].context
            yield from refs(action, context)
            assigned = _ASSIGN.match(action)
            if assigned:
                stack[-1].variables[assigned.group(1)] = _first_ref(action, context, lookup)


def _action_refs(body: str, context: Key | None, lookup: Any) -> Iterator[tuple[Key, bool]]:
    keyed = []
    for match in _KEYED.finditer(body):
        names = re.findall(r'"([^"]*)"', match.group(3))
        keyed.append(match.span())
        yield (*_segments(match.group(2)), *(names if match.group(1) == "index" else names[:1])), False
    for match in _PAREN_VALUES.finditer(body):
        yield (*_segments(match.group(1)), *_segments(match.group(2))), False
    plain = _blank(body)
    for match in _VALUES.finditer(plain):
        path = _segments(match.group(1))
        if path:
            yield path, False
        elif not any(start <= match.start() < end for start, end in keyed) and _SERIALISERS.search(plain):
            yield (), True  # `.Values` itself serialised: everything (a helper given `.Values` is read on its own)
    for match in _VARIABLE.finditer(plain):
        bound = lookup(match.group(1))
        if bound is not None:
            yield (*bound, *_segments(match.group(2))), False
    if context is not None:
        for match in _DOT.finditer(plain):
            path = _segments(match.group(1))
            if path[0] not in _BUILTIN_ROOTS:
                yield (*context, *path), False
        if _BARE_DOT.search(plain):
            yield context, True


def _first_ref(body: str, context: Key | None, lookup: Any) -> Key | None:
    """The values path a ``with``/``range``/assignment is about (its first values reference)."""
    raw = body.split(":=", 1)[1] if ":=" in body else body
    plain = _blank(raw)
    candidates: list[tuple[int, Key]] = []
    for match in _KEYED.finditer(raw):
        names = re.findall(r'"([^"]*)"', match.group(3))
        candidates.append((match.start(), (*_segments(match.group(2)), *(names if match.group(1) == "index" else names[:1]))))
    for match in _PAREN_VALUES.finditer(plain):
        candidates.append((match.start(), (*_segments(match.group(1)), *_segments(match.group(2)))))
    for match in _VALUES.finditer(plain):
        if match.group(1):
            candidates.append((match.start(), _segments(match.group(1))))
    for match in _VARIABLE.finditer(plain):
        bound = lookup(match.group(1))
        if bound is not None:
            candidates.append((match.start(), (*bound, *_segments(match.group(2)))))
    if context is not None:
        for match in _DOT.finditer(plain):
            path = _segments(match.group(1))
            if path[0] not in _BUILTIN_ROOTS:
                candidates.append((match.start(), (*context, *path)))
        for match in _BARE_DOT.finditer(plain):
            candidates.append((match.start(), context))
    return min(candidates)[1] if candidates else None


# --- a chart ---------------------------------------------------------------------------------------


def chart_keys(chart: Path, subcharts: dict[str, Path] | None = None) -> set[Key]:
    """Every key path ``chart`` reads, as tuples (``**`` marks a subtree)."""
    found: set[tuple[Key, bool]] = set()
    meta = _load_yaml(chart / "Chart.yaml") or {}
    values_file = chart / "values.yaml"
    if values_file.is_file():
        found.update(declared_keys(_load_yaml(values_file) or {}))
    schema_file = chart / "values.schema.json"
    if schema_file.is_file():
        found.update(schema_keys(json.loads(schema_file.read_text())))
    found.update(_templates_read(chart))
    for dependency in meta.get("dependencies") or []:
        for condition in str(dependency.get("condition") or "").split(","):
            if condition.strip():
                found.add((_segments(condition.strip()), False))
        for tag in dependency.get("tags") or []:
            found.add((("tags", str(tag)), False))
    keys = {(*path, SUBTREE) if whole else path for path, whole in found if path or whole}
    for alias, sub in sorted(_vendored(chart, meta).items()) + sorted((subcharts or {}).items()):
        for key in chart_keys(sub):
            keys.add(key if key[:1] == ("global",) else (alias, *key))
    return _compact(keys)


def _templates_read(chart: Path) -> set[tuple[Key, bool]]:
    found: set[tuple[Key, bool]] = set()
    for path in chart_files(chart):
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        found.update(template_keys(text))
    return found


def read_by_templates(chart: Path) -> set[Key]:
    """What the templates and files of ``chart`` read, without what its values.yaml/schema declare: the
    tests hold our own charts (folders of this repo, no record) to this, straight from their templates."""
    return _compact({(*path, SUBTREE) if whole else path for path, whole in _templates_read(chart) if path or whole})


def _vendored(chart: Path, meta: dict[str, Any]) -> dict[str, Path]:
    """Subcharts under ``charts/`` (folders, or tarballs unpacked to a temporary folder), by alias."""
    aliases = {d.get("name"): d.get("alias") or d.get("name") for d in meta.get("dependencies") or []}
    found: dict[str, Path] = {}
    for entry in sorted((chart / "charts").glob("*")) if (chart / "charts").is_dir() else []:
        if entry.is_dir() and (entry / "Chart.yaml").is_file():
            sub = entry
        elif entry.name.endswith(".tgz"):
            target = Path(tempfile.mkdtemp(prefix="chart-keys-"))
            with tarfile.open(entry) as archive:
                archive.extractall(target, filter="data")
            sub = next(p.parent for p in target.glob("*/Chart.yaml"))
        else:
            continue
        name = (_load_yaml(sub / "Chart.yaml") or {}).get("name", sub.name)
        found[aliases.get(name, name)] = sub
    return found


def _compact(keys: set[Key]) -> set[Key]:
    """Drop what a recorded subtree (``a.**``) or a longer key already covers (a key's prefixes match)."""
    subtrees = {key[:-1] for key in keys if key[-1:] == (SUBTREE,)}
    kept = {key for key in keys if not any(key[:end] in subtrees for end in range(len(key)) if key[end:] != (SUBTREE,))}
    longer = {key[:end] for key in kept for end in range(1, len(key))}
    return {key for key in kept if key not in longer}


def _source(repository: str, path: str, ref: str, commit: str) -> dict[str, str]:
    # `*_id` field names: detect-secrets (pre-commit) treats the hex after them as ids, not secrets.
    return {"repository": repository, "path": path, "ref": ref, "commit_id": commit}


def build_record(chart: Path, source: dict[str, str], subcharts: Iterable[tuple[str, Path, dict[str, str]]]) -> dict[str, Any]:
    meta = _load_yaml(chart / "Chart.yaml") or {}
    subs = list(subcharts)
    keys = chart_keys(chart, {alias: path for alias, path, _ in subs})
    return {
        "chart": meta["name"],
        "version": str(meta["version"]),
        "source": {**source, "content_id": content_digest(chart)},
        "subcharts": {
            alias: {
                "chart": _load_yaml(path / "Chart.yaml")["name"],
                "version": str(_load_yaml(path / "Chart.yaml")["version"]),
                "source": {**sub_source, "content_id": content_digest(path)},
            }
            for alias, path, sub_source in subs
        },
        "generated_by": "scripts/chart_keys.py",
        "keys": sorted(render_key(key) for key in keys),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chart", type=Path, help="the chart folder at the pinned version")
    parser.add_argument("--source", nargs=4, metavar=("REPOSITORY", "PATH", "REF", "COMMIT"), required=True)
    parser.add_argument("--subchart", nargs=6, action="append", default=[],
                        metavar=("ALIAS", "DIR", "REPOSITORY", "PATH", "REF", "COMMIT"))
    parser.add_argument("--version", help="Chart.yaml version when the checkout holds a placeholder")
    parser.add_argument("--out", type=Path, help="record file (default: stdout)")
    args = parser.parse_args(argv)
    subs = [(alias, Path(folder), _source(*rest)) for alias, folder, *rest in args.subchart]
    record = build_record(args.chart, _source(*args.source), subs)
    if args.version:
        record["version"] = args.version
    text = json.dumps(record, indent=1) + "\n"
    if args.out:
        args.out.write_text(text)
        print(f"{args.out}: {record['chart']} {record['version']}, {len(record['keys'])} keys", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
