"""Every values key a helm_release sets is one its chart reads (records in platform_constructs/chart_keys).

Helm ignores unknown keys: a misspelt, renamed or removed key does nothing and says nothing. The
records (written by ``scripts/chart_keys.py`` from each chart at its pinned tag) hold what the
chart's values.yaml/schema declare and its templates read. Our own charts (``charts/`` folders of
this repo) have no record: the chart folder each release ships is read directly, templates only, so
a key that only our values.yaml mentions is named too. These tests hold the synthesized releases of
both envs, default and with every optional app on, to them.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from support.apps2 import all_apps_configs, all_apps_stacks, all_apps_synthesized
from support.synth import REPO, resources_of

from platform_constructs.chart_keys import (
    RECORDS_DIR,
    Record,
    content_digest,
    load_record,
    parse_key,
    records,
    release_chart,
    release_problems,
    render_key,
    set_name_key,
    value_paths,
)
from platform_constructs.data.init_jobs import CHART_DIR as INIT_CHART_DIR
from platform_constructs.infra.cert_manager import ISSUERS_CHART_DIR, ISSUERS_RELEASE
from platform_constructs.rules import helm_values
from platform_constructs.versions import CHARTS

__all__ = ["all_apps_configs", "all_apps_stacks", "all_apps_synthesized"]

_spec = importlib.util.spec_from_file_location("chart_keys_script", REPO / "scripts" / "chart_keys.py")
assert _spec and _spec.loader
chart_keys_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chart_keys_script)
_CHART_FIELD = re.compile(r"""^(name|version):\s*['"]?([^'"\s#]+)""", re.MULTILINE)


def local_record(chart: Path) -> Record:
    """The record of a chart of ours, from its folder: name and version from Chart.yaml, the keys its templates read."""
    assert (chart / "Chart.yaml").is_file(), f"{chart}: not a chart folder"
    fields = dict(_CHART_FIELD.findall((chart / "Chart.yaml").read_text()))
    return Record(fields["name"], fields["version"], {"repository": "this-repository", "path": str(chart)},
                  frozenset(chart_keys_script.read_by_templates(chart)))


def _local_releases(stacks: dict, outdir: Path) -> dict[str, tuple[str, dict, Path]]:
    """Releases of our own charts by name: (stack, body, the chart folder the release ships)."""
    return {body["name"]: (stack_name, body, outdir / "stacks" / stack_name / body["chart"])
            for stack_name, stack in stacks.items() for body in resources_of(stack, "helm_release").values()
            if not body.get("repository")}


def _problems(stacks: dict, outdir: Path) -> list[str]:
    problems = []
    for stack_name, stack in sorted(stacks.items()):
        for logical_id, body in sorted(resources_of(stack, "helm_release").items()):
            address = f"{stack_name}: helm_release.{logical_id} ({body['name']})"
            known = records() if body.get("repository") else {
                release_chart(body): local_record(outdir / "stacks" / stack_name / body["chart"])}
            problems += release_problems(address, body, helm_values(body), known)
    return problems


def _releases(stacks: dict) -> set[str]:
    return {body["name"] for stack in stacks.values() for body in resources_of(stack, "helm_release").values()}


def test_default_platform_sets_only_keys_its_charts_read(stacks, synthesized):
    problems = _problems(stacks, synthesized)
    assert not problems, "values keys no template of the pinned chart reads:\n" + "\n".join(problems)


def test_every_optional_app_on_sets_only_keys_its_charts_read(all_apps_stacks, all_apps_synthesized, stacks):
    assert _releases(all_apps_stacks) > _releases(stacks), "the all-apps synthesis adds releases (Sentry, Nextcloud)"
    problems = _problems(all_apps_stacks, all_apps_synthesized)
    assert not problems, "values keys no template of the pinned chart reads:\n" + "\n".join(problems)


def test_every_chart_release_has_a_record_of_its_pinned_version(all_apps_stacks):
    charts = {body["chart"] for stack in all_apps_stacks.values() for body in resources_of(stack, "helm_release").values()
              if body.get("repository")}
    assert charts == {pin.chart for pin in CHARTS.values()}, "every pinned chart is installed with every app on"
    for name, pin in CHARTS.items():
        record = records().get(pin.chart)
        assert record is not None, f"versions.CHARTS[{name!r}] has no key record (scripts/chart_keys.py)"
        assert record.version == pin.version, f"{pin.chart}: record read from {record.version}, pinned {pin.version}"


def test_records_name_their_source():
    for record in records().values():
        assert record.source.get("repository") and record.source.get("content_id"), record.chart
        if record.complete:
            assert len(record.source.get("commit_id", "")) == 40, f"{record.chart}: a generated record names its commit"
        else:
            assert record.source.get("note"), f"{record.chart}: a partial record says why and from what"


def test_our_charts_are_read_from_the_folder_each_release_ships(stacks, synthesized):
    """Each release of a chart of ours ships that chart's folder of this repo, and is held to its templates."""
    local = _local_releases(stacks, synthesized)
    sources = {ISSUERS_RELEASE: ISSUERS_CHART_DIR, "postgres-init": INIT_CHART_DIR, "mariadb-init": INIT_CHART_DIR}
    assert set(local) == set(sources), f"releases of our own charts: {sorted(local)}"
    for name, (stack_name, _, shipped) in sorted(local.items()):
        assert content_digest(shipped) == content_digest(sources[name]), f"{stack_name}: {name} ships another chart"
        assert not (set(records()) & {name, local_record(shipped).chart}), f"{name}: our chart needs no committed record"
    init, issuers = local_record(INIT_CHART_DIR), local_record(ISSUERS_CHART_DIR)
    assert (init.chart, issuers.chart) == ("database-init", ISSUERS_RELEASE)
    assert init.reads(parse_key("job.podSpec.spec.containers[].command[]")) and init.reads(parse_key("job.labels.x"))
    assert not init.reads(parse_key("job.podspec.spec")), "keys are case-sensitive, as in Helm"
    assert issuers.reads(parse_key("issuers[].server")) and not issuers.reads(parse_key("issuers[].email"))


def test_a_key_only_our_values_yaml_declares_is_named(tmp_path):
    """Our charts are held to their templates: a values.yaml default documents, it reads nothing."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 1.0.0\n")
    (tmp_path / "values.yaml").write_text("used: 1\nunused: 2\n")
    (tmp_path / "templates" / "cm.yaml").write_text("data:\n  x: {{ .Values.used | quote }}\n")
    body = {"name": "demo", "chart": "assets/demo_chart/ABC", "version": "1.0.0"}
    record = local_record(tmp_path)
    assert release_problems("s: helm_release.demo", body, [{"used": 1, "unused": 2}], {"demo": record}) == [
        "s: helm_release.demo: demo 1.0.0 reads no key unused"
    ]
    other = release_problems("s: helm_release.demo", {**body, "version": "1.0.1"}, [{"used": 1}], {"demo": record})
    assert len(other) == 1 and "pinned at 1.0.1" in other[0], other


# --- the check itself ------------------------------------------------------------------------------


def _record(version: str = "1.0.0", *keys: str) -> Record:
    return Record("demo", version, {"repository": "x"}, frozenset(parse_key(k) for k in keys))


BODY = {"name": "demo", "chart": "demo", "repository": "https://charts.example", "version": "1.0.0"}


def test_key_paths_round_trip():
    for text in ("a.b", "a[].b", "a.*.b", "a.**", '"grafana.ini".server', 'x."a b"[].c', "ports.web.port"):
        assert render_key(parse_key(text)) == text, text
    assert parse_key('g."grafana.ini".**') == ("g", "grafana.ini", "**")
    assert list(value_paths({"a": {"b": 1, "c": []}, "d": [{"e": 1}]})) == [("a", "b"), ("a", "c"), ("d", "[]", "e")]


def test_a_key_the_chart_does_not_read_is_named():
    record = _record("1.0.0", "image.tag", "ports.*.port", "resources.**", "extraObjects[].**")
    values = {"image": {"tag": "1", "flavour": "apache"}, "ports": {"web": {"port": 80, "expose": True}},
              "resources": {"requests": {"memory": "1Gi"}}, "extraObjects": [{"kind": "X"}]}
    problems = release_problems("stack: helm_release.demo", BODY, [values], {"demo": record})
    assert problems == [
        "stack: helm_release.demo: demo 1.0.0 reads no key image.flavour",
        "stack: helm_release.demo: demo 1.0.0 reads no key ports.web.expose",
    ]


def test_set_names_are_held_to_the_record_like_values_keys():
    """set/set_sensitive/set_list bypass ``values``: their names are keys the chart must read too."""
    record = _record("1.0.0", "image.tag", "passwordsDigest.**", "hosts[].name", '"a.b".c')
    body = {**BODY, "set": [{"name": "image.tag", "value": "1"}, {"name": "image.flavour", "value": "x"}],
            "set_sensitive": [{"name": "passwordsDigest.n8n", "value": "${sha256(var.p)}"}],
            "set_list": [{"name": "hosts[0].name", "value": ["a"]}, {"name": "a\\.b.c", "value": ["v"]}]}
    assert release_problems("s: helm_release.demo", body, [], {"demo": record}) == [
        "s: helm_release.demo: demo 1.0.0 reads no key image.flavour"
    ]


def test_set_names_parse_as_helm_does():
    assert set_name_key("a.b[2].c") == ("a", "b", "[]", "c")
    assert set_name_key("ingress.annotations.nginx\\.ingress\\.kubernetes\\.io/proxy-body-size") == (
        "ingress", "annotations", "nginx.ingress.kubernetes.io/proxy-body-size")
    for bad, message in (("a=b", "escape it"), ("a[x]", "not a number"), ("", "names no key")):
        with pytest.raises(ValueError, match=message):
            set_name_key(bad)


def test_a_record_of_another_version_fails():
    problems = release_problems("s: helm_release.demo", BODY, [{"image": {"tag": "1"}}], {"demo": _record("0.9.0", "image.tag")})
    assert len(problems) == 1 and "pinned at 1.0.0" in problems[0] and "read from 0.9.0" in problems[0]


def test_a_chart_without_record_fails():
    problems = release_problems("s: helm_release.demo", BODY, [{"a": 1}], {})
    assert problems == ["s: helm_release.demo: chart 'demo' has no key record; write one with scripts/chart_keys.py"]


def test_a_local_chart_is_looked_up_by_release_name():
    local = {"name": "demo", "chart": "assets/demo_chart/ABC", "version": "1.0.0"}
    assert release_problems("s", local, [{"a": 1}], {"demo": _record("1.0.0", "a")}) == []


def test_the_recorded_keys_catch_the_removed_sentry_consumers():
    """Sentry 33.0.0 removed the subscription consumers (CHANGELOG, 'Removed Sentry consumers')."""
    sentry = records()["sentry"]
    assert not sentry.reads(("sentry", "subscriptionConsumerEvents", "resources", "requests", "memory"))
    assert sentry.reads(("sentry", "taskWorker", "resources", "requests", "memory"))


def test_record_files_are_sorted_json():
    for path in sorted(RECORDS_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        assert data["keys"] == sorted(set(data["keys"])), f"{path.name}: keys sorted, no duplicates"
        assert load_record(path).chart == path.stem


@pytest.mark.parametrize("chart", ["traefik", "velero", "kube-prometheus-stack"])
def test_records_know_the_keys_the_findings_were_about(chart):
    """The keys issue 20 moved to: each one is read by its chart (a record that lost them is wrong)."""
    expected = {
        "traefik": ["accessLog.enabled", "accessLog.format"],
        "velero": ["upgradeJobResources.requests.memory", "containerSecurityContext.readOnlyRootFilesystem"],
        "kube-prometheus-stack": ["crds.upgradeJob.image.kubectl.tag", "crds.upgradeJob.image.kubectl.registry"],
    }[chart]
    for key in expected:
        assert records()[chart].reads(parse_key(key)), f"{chart} record lacks {key}"
