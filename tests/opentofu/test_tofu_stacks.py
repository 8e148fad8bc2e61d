"""The real OpenTofu reads, validates, plans and applies every stack of both envs.

Variants: the committed config of each env, and the same with EVERY optional app on
(``support.apps2``); a stack identical in both variants runs once. For each:

* ``tofu init -backend=false`` + ``tofu validate``: the JSON parses as OpenTofu's JSON syntax,
  references resolve, and every resource matches its provider's schema (no error, no warning).
* ``tofu test`` with ``mock_provider`` for kubernetes, helm and digitalocean: a plan run and an
  apply run, so OpenTofu itself evaluates the expressions, variable validations, conditions and
  ``replace_triggered_by`` with each secret's catalog example value (mocked providers compose the
  computed values; the test's own clean-up destroys what it applied, so ``prevent_destroy`` is
  switched off in an override file of the test copy only).
* State encryption, on one stack per env (every stack carries the same block, checked):
  ``tofu init`` WITH a backend (a local one in the test copy: the
  stack's own is the repo's .state/ or Spaces), then ``tofu apply`` of one probe resource: the state
  file OpenTofu writes must be encrypted by the stack's ``terraform.encryption`` block, and a wrong
  passphrase must not open it. (`tofu test` keeps its state in memory: it never evaluates that block.)
* Negative: a mismatched ``app_env``, a data source result that breaks a postcondition, a reference
  to an undeclared variable and an attribute the provider does not have are each rejected by tofu.

Where the Go module proxy refuses a provider (see scripts/install-opentofu.sh), its schema comes
from a schema-only stand-in: the schema the cdktf binding was generated from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.apps2 import all_apps_configs, all_apps_stacks  # noqa: F401  (session fixtures)
from support.opentofu import (
    PROBE,
    opentofu_setup,
    output,
    parallel,
    prevent_destroy_off,
    secret_values,
    stack_env,
    tftest_hcl,
    tofu,
    tofu_env,
    write_stack,
)

ENCRYPTION_PROBES = ["dev-infra", "prod-infra"]
STACKS = ["prod-cluster", *(f"{env}-{layer}" for env in ("dev", "prod") for layer in ("infra", "data", "metrics", "apps"))]


@pytest.fixture(scope="module")
def setup() -> dict[str, Any]:
    return opentofu_setup()


@pytest.fixture(scope="module")
def variants(stacks: dict[str, Any], all_apps_stacks: dict[str, Any]) -> dict[str, dict[str, Any]]:  # noqa: F811
    """Stack JSON by test id: ``<stack>`` and ``<stack>[all-apps]`` where the all-apps JSON differs."""
    assert sorted(stacks) == sorted(STACKS), f"stacks changed: {sorted(stacks)}"
    out = dict(stacks)
    for name, stack in all_apps_stacks.items():
        if stack != stacks[name]:
            out[f"{name}[all-apps]"] = stack
    assert any(k.endswith("[all-apps]") for k in out), "the all-apps synthesis changed nothing"
    return out


@pytest.fixture(scope="module")
def checked(
    setup: dict[str, Any], variants: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, str]]:
    """init + validate + test of every variant, in parallel threads; the tests below read the outcomes."""
    root = tmp_path_factory.mktemp("tofu-stacks")

    def run(item: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, str]]:
        key, stack = item
        name = key.split("[")[0]
        work = write_stack(root / key.replace("[", "_").rstrip("]"), stack)
        result: dict[str, str] = {}
        init = tofu(setup, work, "init", "-backend=false", "-input=false")
        result["init"] = "" if init.returncode == 0 else output(init)
        if result["init"]:
            return key, result
        validate = tofu(setup, work, "validate", "-json")
        report = json.loads(validate.stdout or "{}")
        problems = report.get("diagnostics", [])  # errors, and warnings too: none is expected of our output
        result["validate"] = "" if validate.returncode == 0 and report.get("valid") and not problems else (
            json.dumps(problems, indent=1) if problems else output(validate))
        (work / "tests").mkdir()
        (work / "tests" / "main.tftest.hcl").write_text(tftest_hcl(name, stack))
        override = prevent_destroy_off(stack)
        if override:
            (work / "test_prevent_destroy_override.tf.json").write_text(json.dumps(override))
        test = tofu(setup, work, "test")
        ok = test.returncode == 0 and "Success! 2 passed, 0 failed." in test.stdout and "Error:" not in test.stdout + test.stderr
        result["test"] = "" if ok else output(test)
        return key, result

    return dict(parallel(run, sorted(variants.items())))


def _ids() -> list[str]:
    return [*STACKS, *(f"{s}[all-apps]" for s in STACKS)]


def _outcome(checked: dict[str, dict[str, str]], key: str) -> dict[str, str]:
    if key not in checked:
        pytest.skip(f"{key}: identical to the committed-config variant (already checked)")
    return checked[key]


@pytest.mark.parametrize("key", _ids())
def test_stack_initializes_and_validates(checked: dict[str, dict[str, str]], key: str) -> None:
    result = _outcome(checked, key)
    assert not result["init"], f"{key}: tofu init -backend=false failed:\n{result['init']}"
    assert not result["validate"], f"{key}: tofu validate reported errors or warnings:\n{result['validate']}"


@pytest.mark.parametrize("key", _ids())
def test_stack_plans_and_applies_against_mocked_providers(checked: dict[str, dict[str, str]], key: str) -> None:
    result = _outcome(checked, key)
    assert not result["init"], f"{key}: tofu init failed (see the validate test)"
    assert not result.get("test"), f"{key}: tofu test (mocked providers, plan + apply) failed:\n{result.get('test')}"


def test_every_stack_of_both_variants_was_run(checked: dict[str, dict[str, str]]) -> None:
    assert set(STACKS) <= set(checked), sorted(checked)
    assert len(checked) > len(STACKS), "no all-apps variant was run"


# --- state encryption ---------------------------------------------------------------------------


def _probe_copy(src_stack: dict[str, Any], dest: Path, state: Path) -> Path:
    write_stack(dest, src_stack)
    (dest / "test_backend_override.tf.json").write_text(json.dumps({"terraform": {"backend": {"local": {"path": str(state)}}}}))
    probe = {"resource": {"terraform_data": {"encryption_probe": {"input": "plaintext-probe-value"}}}}
    (dest / "test_probe.tf.json").write_text(json.dumps(probe))
    return dest


@pytest.fixture(scope="module")
def encrypted(
    setup: dict[str, Any], stacks: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    root = tmp_path_factory.mktemp("tofu-encryption")

    def run(name: str) -> tuple[str, dict[str, Any]]:
        stack = stacks[name]
        state = root / "state" / f"{name}.tfstate"
        work = _probe_copy(stack, root / name, state)
        secrets = {f"TF_VAR_{k}": v for k, v in secret_values(stack).items()} | {"TF_VAR_app_env": stack_env(name)}
        env = tofu_env(setup, **secrets)
        steps = [("init", ["init", "-input=false"]),
                 ("apply", ["apply", "-auto-approve", "-input=false", f"-target={PROBE}"]),
                 # reads the encrypted state back with the right passphrase, writes an encrypted plan
                 ("plan", ["plan", "-input=false", f"-target={PROBE}", "-out=probe.tfplan"])]
        out: dict[str, Any] = {"state": state, "plan_file": work / "probe.tfplan"}
        for step, args in steps:
            res = tofu(setup, work, *args, env=env)
            out[step] = "" if res.returncode == 0 else output(res)
            if out[step]:
                return name, out
        wrong = env | {"TF_VAR_state_passphrase": "WrongPassphrase0123456789abcdefXYZ"}  # pragma: allowlist secret
        out["wrong_key"] = output(tofu(setup, work, "state", "list", env=wrong))
        return name, out

    return dict(parallel(run, ENCRYPTION_PROBES))


def test_every_stack_carries_the_probed_encryption_block(stacks: dict[str, Any]) -> None:
    """The probe runs on one stack per env; every other stack must carry the very same block."""
    for name, stack in stacks.items():
        probed = stacks[f"{stack_env(name)}-infra"]["terraform"]["encryption"]
        assert stack["terraform"]["encryption"] == probed, f"{name}: encryption block differs from the probed one"


@pytest.mark.parametrize("name", ENCRYPTION_PROBES)
def test_state_and_plan_are_encrypted_by_the_stacks_own_block(encrypted: dict[str, dict[str, Any]], name: str) -> None:
    result = encrypted[name]
    for step in ("init", "apply", "plan"):
        assert not result[step], f"{name}: tofu {step} with a backend and the encryption block failed:\n{result[step]}"
    state_text = result["state"].read_text()
    state = json.loads(state_text)
    assert "encrypted_data" in state and "plaintext-probe-value" not in state_text, (
        f"{name}: the state OpenTofu wrote is not encrypted: {state_text[:300]}")
    assert state.get("encryption_version"), f"{name}: state has no encryption_version: {sorted(state)}"
    plan = result["plan_file"].read_bytes()
    assert not plan.startswith(b"PK") and b"plaintext-probe-value" not in plan, f"{name}: the saved plan is a plain zip"
    assert "exit 0" not in result["wrong_key"] and PROBE not in result["wrong_key"].split("\n", 1)[1], (
        f"{name}: a wrong passphrase read the state:\n{result['wrong_key']}")


# --- negative: tofu rejects what is wrong -------------------------------------------------------


@pytest.fixture(scope="module")
def negatives(setup: dict[str, Any], stacks: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("tofu-negative")
    name = "dev-infra"
    stack = stacks[name]
    namespace = sorted(stack["resource"]["kubernetes_namespace_v1"])[0]
    cases = {
        "undeclared-variable": {"resource": {"kubernetes_namespace_v1": {namespace: {
            "metadata": {"name": "${var.no_such_variable}"}}}}},
        "unknown-attribute": {"resource": {"kubernetes_namespace_v1": {namespace: {
            "metadata": {"labelz": {"a": "b"}}}}}},
    }

    def run(case: str) -> tuple[str, str]:
        target = "prod-cluster" if case == "postcondition" else name
        work = write_stack(root / case, stacks[target])
        init = tofu(setup, work, "init", "-backend=false", "-input=false")
        assert init.returncode == 0, output(init)
        if case in ("app-env-mismatch", "postcondition"):
            (work / "tests").mkdir()
            hcl = tftest_hcl(target, stacks[target])
            if case == "app-env-mismatch":
                hcl = hcl.replace('app_env = "dev"', 'app_env = "prod"')
                assert 'app_env = "prod"' in hcl
            else:  # the DOKS versions data source finds no release of the pinned minor
                hcl += 'override_data {\n  target = data.digitalocean_kubernetes_versions.doks\n'
                hcl += '  values = { latest_version = "" }\n}\n'
            (work / "tests" / "main.tftest.hcl").write_text(hcl)
            return case, output(tofu(setup, work, "test"))
        (work / f"broken_{case.replace('-', '_')}_override.tf.json").write_text(json.dumps(cases[case]))
        return case, output(tofu(setup, work, "validate"))

    return dict(parallel(run, ["app-env-mismatch", "postcondition", *cases]))


def test_tofu_rejects_a_mismatched_app_env(negatives: dict[str, str]) -> None:
    out = negatives["app-env-mismatch"]
    assert not out.startswith("exit 0"), f"tofu test accepted app_env=prod in a dev stack:\n{out}"
    assert "This stack belongs to APP_ENV=dev" in out, f"the stack's own validation message is missing:\n{out}"


def test_tofu_evaluates_the_stacks_postcondition(negatives: dict[str, str]) -> None:
    out = negatives["postcondition"]
    assert not out.startswith("exit 0"), f"tofu test accepted a DOKS version list without the pinned minor:\n{out}"
    assert "DigitalOcean offers no Kubernetes" in out, f"the postcondition's own message is missing:\n{out}"


def test_tofu_rejects_a_reference_to_an_undeclared_variable(negatives: dict[str, str]) -> None:
    out = negatives["undeclared-variable"]
    assert not out.startswith("exit 0") and "no_such_variable" in out, out
    assert "Reference to undeclared input variable" in out, out


def test_tofu_rejects_an_attribute_the_provider_schema_lacks(negatives: dict[str, str]) -> None:
    out = negatives["unknown-attribute"]
    assert not out.startswith("exit 0") and "labelz" in out, out
    assert "Unsupported argument" in out or "Extraneous JSON object property" in out, out
