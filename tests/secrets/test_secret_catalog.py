"""The secrets catalog (constructs/platform_constructs/secret_catalog.py) is the one place per
secret: every declared variable comes from it (description, validation blocks), every use of a
value in a larger string goes through a format it lists, the early check and OpenTofu apply the
same rules, and docs/secrets.md and secrets.tfvars.example are generated from it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tfsecrets
from support.apps1 import PROD_FEATURES
from support.apps2 import _merge, all_apps_overrides
from support.opentofu import tofu_binary
from support.tofu_expr import model, real_tofu

from envs import load_config
from platform_constructs import secret_catalog as catalog
from platform_constructs.metrics.alerts import RECEIVER_SECRETS

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "secrets.md"
EXAMPLE = REPO / "secrets.tfvars.example"
SAMPLES = [
    "", "x", "a" * 15, "a" * 16, "a" * 24, "a" * 64, "with space and more text", "tab\tand more text here",
    "trailing newline from a heredoc\n", "dollar ${HOME} sign in it ok", "p@ss/word#with?url-chars!",
    "pässwörd-密码-🔑-long-enough-value", "\"quoted\" and \\backslash\\ text", "0123456789-._~abcdefXYZ0123",
    "https://hooks.example.org/alert", "admin:$2y$05$" + "a" * 53 + "\n", "nul\x00inside a value 0123456789",
]


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Both envs with every optional app and feature on: every secret the code can declare."""
    from platform_constructs.runtime import configure_jsii

    configure_jsii()
    from platform_constructs.platform import synthesize

    configs = [load_config(env, overrides=_merge(all_apps_overrides(env), PROD_FEATURES if env == "prod" else {}))
               for env in ("dev", "prod")]
    outdir = tmp_path_factory.mktemp("everything")
    synthesize(configs, outdir)
    return {p.parent.name: json.loads(p.read_text()) for p in sorted((outdir / "stacks").glob("*/cdk.tf.json"))}


def _secrets(stacks: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for stack_name, stack in stacks.items():
        for name, spec in (stack.get("variable") or {}).items():
            if spec.get("sensitive"):
                yield stack_name, name, spec


def test_every_declared_secret_is_its_catalog_entry(everything):
    for stack, name, spec in _secrets(everything):
        entry = catalog.lookup(name)  # KeyError names the file to add it to
        assert spec["description"] == entry.description, f"{stack}: {name} has its own description"
        expected = [{"condition": v["condition"], "error_message": v["errorMessage"]} for v in entry.validations()]
        assert spec.get("validation") == expected, f"{stack}: {name}'s validation is not the catalog's"
        assert "default" not in spec and spec.get("nullable") is False, f"{stack}: {name} must be required"


def test_one_description_per_secret_across_stacks(everything):
    """The same DB password used to carry one description in the data stack and another in apps."""
    seen: dict[str, set[str]] = {}
    for _, name, spec in _secrets(everything):
        seen.setdefault(name, set()).add(spec["description"])
    assert {n: d for n, d in seen.items() if len(d) > 1} == {}


def test_every_catalog_entry_is_declared_somewhere(everything):
    declared = {name for _, name, _ in _secrets(everything)}
    receivers = {variable for variable, _ in RECEIVER_SECRETS.values()}  # one receiver per env is configured
    stale = sorted(set(catalog.CATALOG) - declared - receivers)
    assert stale == [], f"catalog entries no stack declares (remove them or the code lost a secret): {stale}"


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}[{i}]")


def test_a_secret_is_only_ever_whole_or_written_through_a_format_its_entry_lists(everything):
    """No string splices a secret value raw, except for a format whose rules make that safe."""
    problems = []
    for stack_name, stack in everything.items():
        names = {name for _, name, _ in _secrets({stack_name: stack})}
        body = {k: v for k, v in stack.items() if k != "variable"}  # validations reference them by design
        for path, text in _strings(body):
            for name in sorted(n for n in names if re.search(rf"\bvar\.{n}\b", text)):
                if text == f"${{var.{name}}}":
                    continue  # the whole value: a Secret key, a provider argument, the state key
                entry = catalog.lookup(name)
                rest = text
                for fmt in entry.formats:
                    if fmt.template is not None:
                        rest = rest.replace(fmt.render(f"var.{name}"), "")
                    elif fmt.ours:  # spliced as is, under that format's charset rule
                        rest = rest.replace(f"${{var.{name}}}", "")
                if re.search(rf"\bvar\.{name}\b", rest):
                    problems.append(f"{stack_name}{path}: var.{name} is spliced into a string without one of its "
                                    f"formats ({[f.key for f in entry.formats]}): {text[:200]!r}")
    assert problems == [], "\n".join(problems)


def test_the_example_is_exactly_what_the_stacks_generate(synthesized):
    expected = tfsecrets.render_example([(synthesized, "dev"), (synthesized, "prod")])
    assert EXAMPLE.read_text() == expected, (
        "secrets.tfvars.example is stale: make docs (or .venv/bin/python main.py --all-envs && "
        ".venv/bin/python scripts/lib/tfsecrets.py example --outdir cdktf.out > secrets.tfvars.example)"
    )
    values = tfsecrets.parse_tfvars(EXAMPLE.read_text())
    assert list(catalog.check(values)) == [], "every example value must pass its rules"


def test_docs_state_the_rules_of_every_secret():
    text = DOCS.read_text()
    begin, end = tfsecrets.RULES_BEGIN, tfsecrets.RULES_END
    assert begin in text and end in text, f"docs/secrets.md lacks the markers {begin.strip()} / {end.strip()}"
    current = text.split(begin, 1)[1].split(end, 1)[0]
    assert current == tfsecrets.render_rules_doc(), (
        "docs/secrets.md's rules are stale: make docs (or .venv/bin/python scripts/lib/tfsecrets.py docs --write "
        "docs/secrets.md)"
    )


def test_messages_name_the_secret_and_never_the_value():
    for entry in catalog.CATALOG.values():
        for value in SAMPLES:
            for problem in entry.problems(value):
                assert problem.startswith(entry.name + " "), problem
                assert len(value) < 3 or value not in problem, f"{entry.name}: a message shows the value"


def test_values_opentofu_would_normalize_are_refused_early():
    decomposed = "cafe\u0301-password-long-enough"  # é as e + combining accent: tofu turns it into U+00E9
    assert any("Unicode normal form NFC" in p for p in catalog.lookup("twenty_db_password").problems(decomposed))
    assert catalog.lookup("twenty_db_password").problems("caf\u00e9-password-long-enough") == []


@pytest.mark.parametrize("text", ['plain', 'q"uote', "back\\slash", "nl\nand\ttab", "${x} and %{y}", "$${z}",
                                  "\x00\x1f\x7f", "é 密码"])
def test_hcl_string_literals_read_back_as_written(text):
    assert model("${" + catalog.hcl_string(text) + "}", {}) == text


# --------------------------------------------------------------------------------------------
# With the real OpenTofu of the set-up (support.opentofu.tofu_binary: these fail, never skip, when
# the set-up has none, so CI cannot lose them)
# --------------------------------------------------------------------------------------------


def test_opentofu_and_the_early_check_apply_the_same_rules(everything):
    """Every validation condition as synthesized, evaluated by tofu, against Python's check."""
    conditions: dict[str, str] = {}
    for _, name, spec in _secrets(everything):
        for i, block in enumerate(spec.get("validation") or []):
            conditions[f"{name}__{i}"] = block["condition"]
    templates, variables, expected = {}, {}, {}
    for key, condition in conditions.items():
        name, i = key.rsplit("__", 1)
        rule = catalog.lookup(name).rules()[int(i)]
        for j, value in enumerate(SAMPLES):
            if "\x00" in value:
                continue  # tfvars.json cannot carry what the early check refuses anyway
            var = f"v{j}"
            variables[var] = value
            templates[f"{key}__{j}"] = condition.replace(f"var.{name}", f"var.{var}")
            expected[f"{key}__{j}"] = rule.holds(value)
    got = real_tofu(templates, variables)
    wrong = {k: (got[k], v) for k, v in expected.items() if got[k] is not v}
    assert wrong == {}, f"tofu and the early check disagree (tofu, python): {wrong}"


def test_the_model_of_opentofu_matches_the_real_one():
    values = ["a b+c/d?e#f%g&h=i", 'x\nrequirepass ""', "back\\slash \"q\" \r\x00", "e\u0301-nfc", "密码🔑", ""]
    templates = {}
    for fmt in catalog.FORMATS:
        if fmt.template is not None:
            key = re.sub(r"\W", "_", fmt.key)
            for j in range(len(values)):
                templates[f"{key}_{j}"] = "pre $${x} " + fmt.render(f"var.v{j}") + " post"
    variables = {f"v{j}": v for j, v in enumerate(values)}
    got = real_tofu(templates, variables)
    for key, template in templates.items():
        assert got[key] == model(template, variables), f"{key}: model and tofu differ"


def test_opentofu_refuses_a_bad_value_with_the_catalogs_message(everything, tmp_path):
    """The variable blocks as synthesized (types, validations), planned by tofu with the catalog's
    example values and with one bad value each."""
    variables = {name: spec for _, name, spec in _secrets(everything)}
    root = tmp_path / "module"
    root.mkdir()
    (root / "main.tf.json").write_text(json.dumps({"variable": variables}))
    good = {name: catalog.lookup(name).example_value() for name in variables}
    env = {**os.environ, "TF_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path), "TF_IN_AUTOMATION": "1",
           "TF_CLI_CONFIG_FILE": os.devnull}  # no provider: no CLI configuration needed

    def plan(values: dict[str, str]) -> subprocess.CompletedProcess[str]:
        (root / "terraform.tfvars.json").write_text(json.dumps(values))
        return subprocess.run([tofu_binary(), "plan", "-input=false", "-no-color", "-lock=false"], cwd=root, env=env,
                              capture_output=True, text=True, timeout=120)

    assert subprocess.run([tofu_binary(), "init", "-input=false", "-no-color"], cwd=root, env=env,
                          capture_output=True, timeout=120).returncode == 0
    ok = plan(good)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for name, value, message in [
        ("state_passphrase", "", "state_passphrase must be at least 16 characters long."),
        ("sentry_valkey_password", "x" * 24 + "/#", "sentry_valkey_password may only contain letters"),
        ("twenty_db_password", "y" * 20 + "\n", "twenty_db_password must be one line"),
    ]:
        bad = plan(good | {name: value})
        text = " ".join((bad.stdout + bad.stderr).split())
        assert bad.returncode != 0 and message in text, text
