"""Unit tests of scripts/lib/tfsecrets.py: tfvars parsing, stack order, versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tfsecrets
from tfsecrets import SecretsError, parse_tfvars, render_tfvars

TRICKY = {
    "quotes": 'he said "hi" and \'bye\'',
    "backslashes": r"C:\path\to\n-not-a-newline\\",
    "newlines": "line 1\nline 2\r\n\ttabbed\n",
    "template": "${var.x} and %{ if true } and $${already}",
    "unicode": "pässwörd-密码-🔑",
    "hcl_like": 'a = "b" # not a comment // nor this /* nor */',
    "empty": "",
}


def test_render_then_parse_is_identity() -> None:
    assert parse_tfvars(render_tfvars(TRICKY)) == TRICKY


def test_hcl_escapes_heredocs_and_comments() -> None:
    text = (
        "# comment\n// another\n/* block\ncomment */\n"
        'a = "x\\"y\\\\z\\n\\u00e9"   # trailing comment\n'
        'b = <<EOT\n  raw $${literal} "quotes" \\n stays\nEOT\n'
        "c = <<-EOT\n    indented\n      more\n    EOT\n"
        "d = 42\ne = true\n"
    )
    assert parse_tfvars(text) == {
        "a": 'x"y\\z\né',
        "b": '  raw ${literal} "quotes" \\n stays\n',
        "c": "indented\n  more\n",
        "d": "42",
        "e": "true",
    }


@pytest.mark.parametrize(
    "text, message",
    [
        ('a = "${var.x}"\n', "write $${ for a literal ${"),
        ('a = "x"\na = "y"\n', "'a' is set twice"),
        ('a = "x\n', "unterminated string"),
        ("a = [1]\n", "must be a quoted string or a heredoc"),
        ('a = "\\q"\n', "unknown escape \\q"),
        ("a = <<EOT\nnever closed\n", "is not closed"),
        ('a "x"\n', "expected '='"),
    ],
)
def test_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(SecretsError) as exc:
        parse_tfvars(text, "f.tfvars")
    assert message in str(exc.value) and str(exc.value).startswith("f.tfvars:"), str(exc.value)


@pytest.mark.parametrize(
    "text, line, message",
    [
        # the error is on the line holding ${, not on the closing marker's
        ('# c\nb = "x"\na = <<EOT\nline one\nhas ${x} here\nlast\nEOT\n', 5, "write $${ for a literal ${"),
        ("x = 1\nc = <<-EOT\n    fine\n    %{ if x }\n    EOT\n", 4, "write %%{ for a literal %{"),
        # an unclosed heredoc is reported where it opens, not at the end of the file
        ('x = "1"\na = <<EOT\nnever closed\n\n\n', 2, "opened here is not closed by a line 'EOT'"),
    ],
)
def test_heredoc_errors_name_the_right_line(text: str, line: int, message: str) -> None:
    with pytest.raises(SecretsError) as exc:
        parse_tfvars(text, "f.tfvars")
    assert str(exc.value).startswith(f"f.tfvars:{line}: ") and message in str(exc.value), str(exc.value)


def test_invalid_utf8_is_a_message_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "secrets.tfvars"
    bad.write_bytes(b'a = "ok"\nb = "caf\xe9"\n')  # Latin-1, as an old editor would save it
    assert tfsecrets.main(["tfvars-to-json", str(bad)]) == 3
    err = capsys.readouterr().err
    assert f"{bad}:2:9: not valid UTF-8 (byte 0xe9)" in err and "save the file as UTF-8" in err, err
    assert "Traceback" not in err


def _manifest(tmp_path: Path, stacks: dict[str, list[str]]) -> Path:
    entries = {}
    for name, deps in stacks.items():
        entries[name] = {"name": name, "dependencies": deps, "workingDirectory": f"stacks/{name}"}
        d = tmp_path / "stacks" / name
        d.mkdir(parents=True)
        (d / "cdk.tf.json").write_text(json.dumps({"variable": {
            "app_env": {"type": "string"},
            "state_passphrase": {"type": "string", "sensitive": True},
            f"{name.replace('-', '_')}_token": {"type": "string", "sensitive": True},
            "not_secret": {"type": "string", "sensitive": False},
        }}))
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "x", "stacks": entries}))
    return tmp_path


def test_apply_order_follows_dependencies_not_manifest_order(tmp_path: Path) -> None:
    out = _manifest(tmp_path, {"dev-apps": ["dev-data"], "dev-data": ["dev-infra"], "dev-infra": [],
                               "prod-infra": []})
    assert [s["name"] for s in tfsecrets.select_stacks(out, "dev")] == ["dev-infra", "dev-data", "dev-apps"]
    assert tfsecrets.secrets_by_stack(out, "dev", "data") == {"dev-data": {"state_passphrase", "dev_data_token"}}


def test_dependency_cycle_is_reported(tmp_path: Path) -> None:
    out = _manifest(tmp_path, {"dev-a": ["dev-b"], "dev-b": ["dev-a"]})
    with pytest.raises(SecretsError, match="cycle"):
        tfsecrets.select_stacks(out, "dev")


def test_real_stacks_apply_order(synthesized: Path) -> None:
    order = {env: [s["name"].split("-", 1)[1] for s in tfsecrets.select_stacks(synthesized, env)]
             for env in ("dev", "prod")}
    assert order == {"dev": ["infra", "data", "metrics", "apps"],
                     "prod": ["cluster", "infra", "data", "metrics", "apps"]}


def test_written_file_is_private_and_holds_only_the_stack_names(tmp_path: Path) -> None:
    dest = tmp_path / ".secrets.auto.tfvars.json"
    dest.symlink_to(tmp_path / "elsewhere")  # a planted link must not be followed
    tfsecrets.write_stack_secrets(dest, {"a": "1", "b": "2"}, {"a", "zzz"})
    assert not dest.is_symlink() and not (tmp_path / "elsewhere").exists()
    assert json.loads(dest.read_text()) == {"a": "1"}
    assert dest.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("have, ok", [("OpenTofu v1.10.0", True), ("OpenTofu v1.11.2\non linux_amd64", True),
                                      ("OpenTofu v1.9.9", False), ("OpenTofu v1.10.0-rc1", False),
                                      ("OpenTofu v2.0.0", True)])
def test_version_gate(have: str, ok: bool) -> None:
    assert (tfsecrets.main(["version-ge", have, "1.10.0"]) == 0) is ok
