"""Evaluate a string of the synthesized JSON the way OpenTofu does: with the real ``tofu`` of the
set-up (``support.opentofu.tofu_binary``: what ``make test`` installs, found the way tests/opentofu
finds it), else with a small written model of the few things our secret encodings use. Both are
behind ``evaluate(templates, variables)``; ``test_secret_catalog.py`` checks that the model and the
real tool agree (it fails, never skips, when the set-up has no tofu).

The model, fact by fact (OpenTofu v1.10.10 unless said otherwise):
* A JSON string is a template (HCL JSON syntax, hashicorp/hcl json/spec.md "Template
  Expressions"): literal text, ``${ expr }`` interpolations, ``$${`` and ``%%{`` escapes; ``%{``
  directives are not modelled (our secret strings have none).
* Quoted string literals inside an expression are templates too, with the escapes ``\\n \\r \\t
  \\" \\\\ \\uNNNN \\UNNNNNNNN`` (hcl hclsyntax/spec.md "Template Expressions").
* Every string value is normalized to Unicode NFC (go-cty v1.16.3 cty/value_init.go StringVal →
  cty/ctystrings/normalize.go).
* ``replace(str, substr, repl)``: a literal substring (not ``/regex/``) is replaced everywhere,
  left to right (internal/lang/funcs/string.go ReplaceFunc → strings.Replace(str, substr, repl, -1)).
* ``urlencode(str)``: Go's url.QueryEscape (internal/lang/funcs/encoding.go URLEncodeFunc): the
  UTF-8 bytes A-Z a-z 0-9 - _ . ~ are kept, a space becomes "+", every other byte %XX (uppercase)
  (Go net/url url.go shouldEscape / escape, mode encodeQueryComponent).
* ``sha256(str)``: lowercase hex SHA-256 of the UTF-8 bytes (internal/lang/funcs/crypto.go
  Sha256Func = makeStringHashFunction(sha256.New, hex.EncodeToString)).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path

from support.opentofu import tofu_binary, tofu_installed


class ModelLimit(NotImplementedError):
    """The template uses something the model does not implement (use the real tofu)."""


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _urlencode(text: str) -> str:
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch.isascii() and (ch.isalnum() or ch in "-_.~"):
            out.append(ch)
        elif ch == " ":
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def _replace(text: str, substr: str, repl: str) -> str:
    if len(substr) > 1 and substr.startswith("/") and substr.endswith("/"):
        raise ModelLimit("replace() with a /regex/ substring")
    return text.replace(substr, repl)


FUNCTIONS: dict[str, Callable[..., str]] = {
    "replace": _replace,
    "urlencode": _urlencode,
    "sha256": lambda text: hashlib.sha256(text.encode("utf-8")).hexdigest(),
}

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


class _Evaluator:
    def __init__(self, source: str, variables: Mapping[str, str]) -> None:
        self.s = source
        self.pos = 0
        self.vars = {k: nfc(v) for k, v in variables.items()}

    def fail(self, msg: str) -> ModelLimit:
        return ModelLimit(f"{msg} at {self.pos} in {self.s!r}")

    # template: until end (top level) or until the closing quote (quoted=True)
    def template(self, quoted: bool) -> str:
        out: list[str] = []
        s = self.s
        while True:
            if self.pos >= len(s):
                if quoted:
                    raise self.fail("unterminated string")
                return nfc("".join(out))
            c = s[self.pos]
            if quoted and c == '"':
                self.pos += 1
                return nfc("".join(out))
            if s.startswith("$${", self.pos) or s.startswith("%%{", self.pos):
                out.append(c + "{")
                self.pos += 3
            elif s.startswith("${", self.pos):
                self.pos += 2
                out.append(self.expr())
                self.skip()
                if not s.startswith("}", self.pos):
                    raise self.fail("expected }")
                self.pos += 1
            elif s.startswith("%{", self.pos):
                raise self.fail("template directives")
            elif quoted and c == "\\":
                esc = s[self.pos + 1 : self.pos + 2]
                if esc in _ESCAPES:
                    out.append(_ESCAPES[esc])
                    self.pos += 2
                elif esc in ("u", "U"):
                    width = 4 if esc == "u" else 8
                    out.append(chr(int(s[self.pos + 2 : self.pos + 2 + width], 16)))
                    self.pos += 2 + width
                else:
                    raise self.fail(f"escape \\{esc}")
            else:
                out.append(c)
                self.pos += 1

    def skip(self) -> None:
        while self.pos < len(self.s) and self.s[self.pos] in " \t\n":
            self.pos += 1

    def ident(self) -> str:
        start = self.pos
        while self.pos < len(self.s) and (self.s[self.pos].isalnum() or self.s[self.pos] in "_-"):
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected a name")
        return self.s[start : self.pos]

    def expr(self) -> str:
        self.skip()
        if self.s.startswith('"', self.pos):
            self.pos += 1
            return self.template(quoted=True)
        name = self.ident()
        if name == "var" and self.s.startswith(".", self.pos):
            self.pos += 1
            var = self.ident()
            if var not in self.vars:
                raise KeyError(f"no value given for var.{var}")
            return self.vars[var]
        self.skip()
        if not self.s.startswith("(", self.pos):
            raise self.fail(f"unsupported expression {name!r}")
        if name not in FUNCTIONS:
            raise self.fail(f"function {name}()")
        self.pos += 1
        args: list[str] = []
        while True:
            self.skip()
            if self.s.startswith(")", self.pos):
                self.pos += 1
                break
            args.append(self.expr())
            self.skip()
            if self.s.startswith(",", self.pos):
                self.pos += 1
        return nfc(FUNCTIONS[name](*args))


def model(template: str, variables: Mapping[str, str]) -> str:
    """OpenTofu's value of the JSON string ``template`` (a string result), by the written model."""
    return _Evaluator(template, variables).template(quoted=False)


# --------------------------------------------------------------------------------------------
# The real tool
# --------------------------------------------------------------------------------------------


def _quiet_env(home: Path) -> dict[str, str]:
    """A provider-less scratch module needs no CLI configuration: an empty one, so a user's
    TF_CLI_CONFIG_FILE (a provider mirror, or a missing file) cannot add warnings or lookups."""
    config = home / "empty.tfrc"
    config.write_text("")
    return {**os.environ, "TF_IN_AUTOMATION": "1", "TF_DATA_DIR": str(home / ".tf"), "HOME": str(home),
            "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": str(config)}


def real_tofu(templates: Mapping[str, str], variables: Mapping[str, str]) -> dict[str, object]:
    """Values of ``templates`` (output name → JSON string) computed by ``tofu apply`` in a scratch
    root module with no provider; the variables are plain (not sensitive) strings."""
    tofu = tofu_binary()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "main.tf.json").write_text(json.dumps({
            "variable": {name: {"type": "string"} for name in variables},
            "output": {name: {"value": template} for name, template in templates.items()},
        }))
        (root / "terraform.tfvars.json").write_text(json.dumps(dict(variables)))
        env = _quiet_env(root)
        for args in (["init", "-input=false", "-no-color"],
                     ["apply", "-auto-approve", "-input=false", "-no-color", "-lock=false"]):
            res = subprocess.run([tofu, *args], cwd=root, env=env, capture_output=True, text=True, timeout=120)
            assert res.returncode == 0, f"tofu {args[0]} failed:\n{res.stdout}\n{res.stderr}"
        res = subprocess.run([tofu, "output", "-json", "-no-color"], cwd=root, env=env, capture_output=True,
                             text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        return {name: value["value"] for name, value in json.loads(res.stdout).items()}


def evaluate(templates: Mapping[str, str], variables: Mapping[str, str]) -> dict[str, str]:
    """Real tofu when available, else the model (same answers: see test_secret_catalog.py)."""
    if tofu_installed():
        return {k: str(v) for k, v in real_tofu(templates, variables).items()}
    return {name: model(template, variables) for name, template in templates.items()}


def evaluate_cases(template: str, cases: list[Mapping[str, str]]) -> list[str]:
    """``template`` evaluated once per case (variable name → value), all in one tofu run."""
    templates: dict[str, str] = {}
    variables: dict[str, str] = {}
    for i, case in enumerate(cases):
        text = template
        for name, value in case.items():
            alias = f"case{i}_{name}"
            text = re.sub(rf"\bvar\.{re.escape(name)}\b", f"var.{alias}", text)
            variables[alias] = value
        templates[f"case{i}"] = text
    results = evaluate(templates, variables)
    return [results[f"case{i}"] for i in range(len(cases))]


def evaluate_each(template: str, name: str, values: list[str]) -> list[str]:
    """``template`` evaluated once per value of ``var.<name>`` (one tofu run for all of them)."""
    return evaluate_cases(template, [{name: value} for value in values])
