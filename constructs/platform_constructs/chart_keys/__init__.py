"""What each pinned chart reads: one record per chart (``<chart>.json`` here) of the values key paths
its ``values.yaml``/``values.schema.json`` declare and its templates read, with the chart version and
the source commit it was read from. ``scripts/chart_keys.py`` writes the records from the chart at
its pinned version (by hand: charts are not downloaded by the tests). Our own charts (``charts/``
folders of this repo) have no record: the tests read their templates (``scripts/chart_keys.py``
``read_by_templates``) in the chart folder each release ships.

Helm ignores a key no template reads, so a misspelt or removed key silently does nothing;
``release_problems`` names every key a ``helm_release`` sets that its chart's record does not have.

Key paths: keys joined by ``.``, ``[]`` for a list item, ``*`` for any one key or item, ``**`` for
anything below (a subtree the chart hands over whole, e.g. through ``toYaml``); a key holding ``.``,
``*``, ``[``, ``"`` or a space is JSON-quoted (``grafana."grafana.ini".**``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

Key = tuple[str, ...]
ANY, SUBTREE, ITEM = "*", "**", "[]"
RECORDS_DIR = Path(__file__).resolve().parent
_SEGMENT = re.compile(r'"(?:[^"\\]|\\.)*"|[^."]+')


def parse_key(text: str) -> Key:
    """``'a.b[].c'`` → ``('a', 'b', '[]', 'c')``; quoted segments keep their dots."""
    segments: list[str] = []
    position = 0
    while position < len(text):
        match = _SEGMENT.match(text, position)
        if not match:
            raise ValueError(f"bad key path {text!r} at {position}")
        token = match.group(0)
        position = match.end()
        if token.startswith('"'):
            segments.append(json.loads(token))
            while text.startswith(ITEM, position):
                segments.append(ITEM)
                position += len(ITEM)
        else:
            name, *items = token.split(ITEM)
            if name:
                segments.append(name)
            segments.extend(ITEM for _ in items)
        if position < len(text):
            if text[position] != ".":
                raise ValueError(f"bad key path {text!r} at {position}")
            position += 1
    return tuple(segments)


def set_name_key(name: str) -> Key:
    """The key path of a helm_release ``set``/``set_sensitive``/``set_list`` name, as Helm parses it: a
    key ends at ``.`` or ``[``, a backslash takes the next character literally, ``[N]`` is a list
    item (helm/helm pkg/strvals/parser.go ``key``, ``keyIndex``, ``runesUntil``, read at 020e4d2b).
    The helm provider v3 hands each entry to it as ``name=value`` (terraform-provider-helm
    helm/resource_helm_release.go ``getValue``: ``strvals.ParseInto(fmt.Sprintf("%s=%s", name, value))``)."""
    segments: list[str] = []
    current: list[str] = []
    chars = iter(name)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char == ".":
            if current:
                segments.append("".join(current))
            current = []
        elif char == "[":
            if current:
                segments.append("".join(current))
            current = []
            index = ""
            for digit in chars:
                if digit == "]":
                    break
                index += digit
            if not index.isdigit():
                raise ValueError(f"set name {name!r}: list index {index!r} is not a number")
            segments.append(ITEM)
        elif char in "=,":
            raise ValueError(f"set name {name!r}: {char!r} ends a key in Helm's parser; escape it with a backslash")
        else:
            current.append(char)
    if current:
        segments.append("".join(current))
    if not segments:
        raise ValueError(f"set name {name!r} names no key")
    return tuple(segments)


def set_keys(body: Mapping[str, Any]) -> list[Key]:
    """The key paths a helm_release sets outside ``values``: ``set``, ``set_sensitive``, ``set_list``."""
    return [set_name_key(entry["name"]) for block in ("set", "set_sensitive", "set_list")
            for entry in body.get(block) or ()]


def render_key(key: Key) -> str:
    """Inverse of ``parse_key``."""
    parts: list[str] = []
    for segment in key:
        if segment == ITEM and parts:
            parts[-1] += ITEM
        elif segment in (ANY, SUBTREE) or (segment and not re.search(r'[.*\[\]" ]', segment)):
            parts.append(segment)
        else:
            parts.append(json.dumps(segment))
    return ".".join(parts)


def value_paths(values: Any, prefix: Key = ()) -> Iterator[Key]:
    """The key path of every leaf of a values tree (an empty map or list is a leaf)."""
    if isinstance(values, Mapping) and values:
        for key, value in values.items():
            yield from value_paths(value, (*prefix, str(key)))
    elif isinstance(values, list) and values:
        for item in values:
            yield from value_paths(item, (*prefix, ITEM))
    elif prefix:
        yield prefix


@dataclass(frozen=True)
class Record:
    chart: str
    version: str
    source: Mapping[str, Any]
    keys: frozenset[Key]
    complete: bool = True
    """False when the record could not be generated from the chart at its tag (see ``source``)."""
    _trie: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for key in self.keys:
            node = self._trie
            for segment in key:
                node = node.setdefault(segment, {})

    def reads(self, path: Key) -> bool:
        """Whether the chart reads ``path`` (a leaf of the values we set)."""
        return _match(self._trie, path, 0)


def _match(node: Mapping[str, Any], path: Key, index: int) -> bool:
    if SUBTREE in node or index == len(path):
        return True
    return any(
        child is not None and _match(child, path, index + 1) for child in (node.get(path[index]), node.get(ANY))
    )


def load_record(path: Path) -> Record:
    data = json.loads(path.read_text())
    return Record(
        chart=data["chart"],
        version=data["version"],
        source=data["source"],
        keys=frozenset(parse_key(k) for k in data["keys"]),
        complete=data.get("complete", True),
    )


@cache
def records() -> dict[str, Record]:
    """Every committed record, by chart name."""
    found = {}
    for path in sorted(RECORDS_DIR.glob("*.json")):
        record = load_record(path)
        if record.chart != path.stem:
            raise ValueError(f"{path.name} records chart {record.chart!r}; name the file {record.chart}.json")
        found[record.chart] = record
    return found


def release_chart(body: Mapping[str, Any]) -> str:
    """Chart name of a synthesized ``helm_release``: ``chart`` for a repository chart, the release name
    for a chart folder of this repo (its asset path is a hash)."""
    return str(body["chart"]) if body.get("repository") else str(body["name"])


def release_problems(address: str, body: Mapping[str, Any], values: list[Any], known: Mapping[str, Record]) -> list[str]:
    """Why ``values`` of the helm_release at ``address`` may not take effect: no record for its chart, a
    record of another version, or keys the chart does not read (each named)."""
    chart, version = release_chart(body), str(body.get("version"))
    record = known.get(chart)
    if record is None:
        return [f"{address}: chart {chart!r} has no key record; write one with scripts/chart_keys.py"]
    if record.version != version:
        return [
            f"{address}: chart {chart} is pinned at {version} but its key record was read from {record.version}; "
            "regenerate it with scripts/chart_keys.py"
        ]
    paths = {path for document in values for path in value_paths(document)} | set(set_keys(body))
    return [f"{address}: {record.chart} {version} reads no key {render_key(path)}"
            for path in sorted(paths) if not record.reads(path)]


def content_digest(chart: Path) -> str:
    """sha256 over the chart files keys are read from (Chart.yaml, values, schema, templates, files)."""
    digest = hashlib.sha256()
    names = [chart / name for name in ("Chart.yaml", "values.yaml", "values.schema.json")]
    for path in [p for p in names if p.is_file()] + list(chart_files(chart)):
        digest.update(path.relative_to(chart).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def chart_files(chart: Path) -> Iterator[Path]:
    """Template and file sources of a chart (not its vendored subcharts)."""
    for folder in ("templates", "files"):
        for path in sorted((chart / folder).rglob("*")):
            if path.is_file():
                yield path
