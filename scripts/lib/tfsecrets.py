"""Helpers for the SOPS/age secrets tooling (bin/sops-encrypt.sh, scripts/tofu-secrets.sh).

Standard library only on purpose: the shell scripts call it on every run, so it must not
import cdktf/jsii (slow, and synthesis is a separate step). pyrage is used when present.

Plaintext secrets only ever pass through pipes and this process's memory; the single
file this module writes is a per-stack ``.secrets.auto.tfvars.json`` (mode 0600) that
the wrapper deletes after tofu has run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

ENVS = ("dev", "prod")
SECRETS_FILE_NAME = ".secrets.auto.tfvars.json"
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class SecretsError(Exception):
    """A problem the user can fix; the message names it and the fix."""


# --------------------------------------------------------------------------------------
# tfvars (HCL native syntax, the subset a secrets file needs: name = "string")
# --------------------------------------------------------------------------------------

_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0

    # -- helpers ------------------------------------------------------------------------
    def _line(self, pos: int | None = None) -> int:
        return self.text.count("\n", 0, self.pos if pos is None else pos) + 1

    def _fail(self, msg: str, pos: int | None = None) -> SecretsError:
        return SecretsError(f"{self.source}:{self._line(pos)}: {msg}")

    def _skip_blank(self, newlines: bool) -> None:
        """Skip spaces, comments and (when newlines) line breaks."""
        t = self.text
        while self.pos < len(t):
            c = t[self.pos]
            if c in " \t\r" or (newlines and c == "\n"):
                self.pos += 1
            elif c == "#" or t.startswith("//", self.pos):
                end = t.find("\n", self.pos)
                self.pos = len(t) if end < 0 else end
            elif t.startswith("/*", self.pos):
                end = t.find("*/", self.pos + 2)
                if end < 0:
                    raise self._fail("unterminated /* comment")
                self.pos = end + 2
            else:
                return

    # -- grammar ------------------------------------------------------------------------
    def parse(self) -> dict[str, str]:
        values: dict[str, str] = {}
        while True:
            self._skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return values
            start = self.pos
            m = NAME_RE.match(self.text, self.pos)
            if not m:
                raise self._fail(f"expected a variable name, found {self.text[self.pos]!r}")
            name = m.group(0)
            self.pos = m.end()
            self._skip_blank(newlines=False)
            if not self.text.startswith("=", self.pos):
                raise self._fail(f"expected '=' after {name!r}")
            self.pos += 1
            self._skip_blank(newlines=False)
            value = self._value(name)
            self._skip_blank(newlines=False)
            if self.pos < len(self.text) and self.text[self.pos] != "\n":
                raise self._fail(f"unexpected text after the value of {name!r}")
            if name in values:
                raise self._fail(f"{name!r} is set twice", start)
            values[name] = value

    def _value(self, name: str) -> str:
        t = self.text
        if t.startswith('"', self.pos):
            return self._quoted(name)
        if t.startswith("<<", self.pos):
            return self._heredoc(name)
        m = re.compile(r"(true|false|-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)\b").match(t, self.pos)
        if m:  # tofu converts these to strings for a string variable; so do we
            self.pos = m.end()
            return m.group(0)
        raise self._fail(
            f"the value of {name!r} must be a quoted string or a heredoc "
            "(secret variables are strings; lists, maps and expressions are not supported)"
        )

    def _template_char(self, name: str, out: list[str]) -> bool:
        """Handle $${ / %%{ escapes and reject live interpolation. True if consumed."""
        t = self.text
        if t.startswith("$${", self.pos) or t.startswith("%%{", self.pos):
            out.append(t[self.pos] + "{")
            self.pos += 3
            return True
        if t.startswith("${", self.pos) or t.startswith("%{", self.pos):
            seq = t[self.pos : self.pos + 2]
            raise self._fail(
                f"{name!r} contains {seq}…, which tofu would treat as a template "
                f"(and reject in a tfvars file); write {seq[0]}{seq} for a literal {seq}"
            )
        return False

    def _quoted(self, name: str) -> str:
        t = self.text
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= len(t) or t[self.pos] == "\n":
                raise self._fail(
                    f"unterminated string for {name!r} (use \\n or a <<EOT heredoc for newlines)"
                )
            c = t[self.pos]
            if c == '"':
                self.pos += 1
                return "".join(out)
            if c == "\\":
                esc = t[self.pos + 1 : self.pos + 2]
                if esc in _SIMPLE_ESCAPES:
                    out.append(_SIMPLE_ESCAPES[esc])
                    self.pos += 2
                elif esc in ("u", "U"):
                    width = 4 if esc == "u" else 8
                    digits = t[self.pos + 2 : self.pos + 2 + width]
                    if len(digits) != width or not all(ch in "0123456789abcdefABCDEF" for ch in digits):
                        raise self._fail(f"bad \\{esc} escape in {name!r}")
                    out.append(chr(int(digits, 16)))
                    self.pos += 2 + width
                else:
                    raise self._fail(f"unknown escape \\{esc} in {name!r} (write \\\\ for a backslash)")
                continue
            if self._template_char(name, out):
                continue
            out.append(c)
            self.pos += 1

    def _heredoc(self, name: str) -> str:
        t = self.text
        m = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n").match(t, self.pos)
        if not m:
            raise self._fail(f"bad heredoc start for {name!r} (expected <<EOT or <<-EOT then a newline)")
        indent, marker = m.group(1) == "-", m.group(2)
        self.pos = m.end()
        lines: list[str] = []
        while True:
            if self.pos >= len(t):
                raise self._fail(f"heredoc for {name!r} is not closed by a line '{marker}'")
            end = t.find("\n", self.pos)
            end = len(t) if end < 0 else end
            line = t[self.pos : end]
            if line.strip() == marker:
                self.pos = end
                break
            lines.append(line + "\n")
            self.pos = end + 1
        if indent:
            widths = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
            cut = min(widths, default=0)
            lines = [ln[cut:] if ln.strip() else ln.lstrip(" \t") for ln in lines]
        body = "".join(lines)
        # Heredocs are templates too (no backslash escapes): apply the same $${ rules.
        sub = _Parser(body, self.source)
        out: list[str] = []
        while sub.pos < len(body):
            try:
                if sub._template_char(name, out):
                    continue
            except SecretsError as exc:
                raise self._fail(str(exc).split(": ", 1)[1]) from None
            out.append(body[sub.pos])
            sub.pos += 1
        return "".join(out)


def parse_tfvars(text: str, source: str = "<tfvars>") -> dict[str, str]:
    """Parse a secrets tfvars file into {name: string value}."""
    return _Parser(text, source).parse()


def render_tfvars(values: dict[str, str]) -> str:
    """Inverse of parse_tfvars: HCL quoted strings with every special character escaped."""
    lines = []
    for name in sorted(values):
        v = values[name]
        out = []
        for ch in v:
            if ch in ('"', "\\"):
                out.append("\\" + ch)
            elif ch == "\n":
                out.append("\\n")
            elif ch == "\r":
                out.append("\\r")
            elif ch == "\t":
                out.append("\\t")
            elif ord(ch) < 0x20 or ord(ch) == 0x7F:
                out.append(f"\\u{ord(ch):04x}")
            else:
                out.append(ch)
        s = "".join(out).replace("${", "$${").replace("%{", "%%{")
        lines.append(f'{name} = "{s}"\n')
    return "".join(lines)


# --------------------------------------------------------------------------------------
# Synthesized stacks (cdktf.out/manifest.json + stacks/<name>/cdk.tf.json)
# --------------------------------------------------------------------------------------


def load_manifest(outdir: Path) -> dict:
    path = outdir / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SecretsError(f"{path} not found: synthesize first (.venv/bin/python main.py)") from None
    except json.JSONDecodeError as exc:
        raise SecretsError(f"{path} is not valid JSON ({exc}); re-synthesize") from None


def env_stacks(manifest: dict, env: str) -> list[dict]:
    """The env's stacks in apply order: topological over `dependencies`, ties in manifest order."""
    stacks = manifest.get("stacks") or {}
    mine = [s for name, s in stacks.items() if name.startswith(f"{env}-")]
    names = [s["name"] for s in mine]
    by_name = {s["name"]: s for s in mine}
    deps = {n: [d for d in (by_name[n].get("dependencies") or []) if d in by_name] for n in names}
    ordered: list[str] = []
    done: set[str] = set()
    while len(ordered) < len(names):
        ready = [n for n in names if n not in done and all(d in done for d in deps[n])]
        if not ready:
            left = sorted(set(names) - done)
            raise SecretsError(f"dependency cycle between stacks {left} in manifest.json")
        ordered.append(ready[0])
        done.add(ready[0])
    return [by_name[n] for n in ordered]


def select_stacks(outdir: Path, env: str, stack: str | None = None) -> list[dict]:
    stacks = env_stacks(load_manifest(outdir), env)
    if not stacks:
        raise SecretsError(f"no '{env}-*' stacks in {outdir / 'manifest.json'}: synthesize with APP_ENV={env}")
    if stack:
        wanted = {stack, f"{env}-{stack}"}
        chosen = [s for s in stacks if s["name"] in wanted]
        if not chosen:
            valid = ", ".join(s["name"].removeprefix(f"{env}-") for s in stacks)
            raise SecretsError(f"unknown stack '{stack}' for APP_ENV={env}; valid: {valid}")
        return chosen
    return stacks


def stack_dir(outdir: Path, stack: dict) -> Path:
    return outdir / stack.get("workingDirectory", f"stacks/{stack['name']}")


def declared_variables(outdir: Path, stack: dict) -> dict[str, dict]:
    path = stack_dir(outdir, stack) / "cdk.tf.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SecretsError(f"{path} not found: re-synthesize") from None
    return doc.get("variable") or {}


def declared_secrets(outdir: Path, stack: dict) -> set[str]:
    """A secret variable is exactly a variable declared with "sensitive": true."""
    return {n for n, spec in declared_variables(outdir, stack).items() if (spec or {}).get("sensitive") is True}


def secrets_by_stack(outdir: Path, env: str, stack: str | None = None) -> dict[str, set[str]]:
    return {s["name"]: declared_secrets(outdir, s) for s in select_stacks(outdir, env, stack)}


SOURCE_GLOBS = ("main.py", "cdktf.json", "pyproject.toml", "constructs/**/*.py", "envs/**/*")


def needs_synth(root: Path, outdir: Path, env: str) -> str | None:
    """Why the env must be (re-)synthesized, or None when the output is fresh."""
    manifest_path = outdir / "manifest.json"
    if not manifest_path.is_file():
        return f"{manifest_path} is missing"
    try:
        stacks = env_stacks(load_manifest(outdir), env)
    except SecretsError as exc:
        return str(exc)
    if not stacks:
        return f"{manifest_path} has no {env} stacks"
    for s in stacks:
        if not (stack_dir(outdir, s) / "cdk.tf.json").is_file():
            return f"{s['name']}/cdk.tf.json is missing"
    stamp = min((stack_dir(outdir, s) / "cdk.tf.json").stat().st_mtime for s in stacks)
    stamp = min(stamp, manifest_path.stat().st_mtime)
    for pattern in SOURCE_GLOBS:
        for src in root.glob(pattern):
            if src.is_file() and "__pycache__" not in src.parts and src.stat().st_mtime > stamp:
                return f"{src.relative_to(root)} changed after the last synthesis"
    return None


EXAMPLE_HEADER = """\
# Secret variables of the stacks: every variable declared "sensitive": true, in dev and prod.
# Generated by: .venv/bin/python scripts/lib/tfsecrets.py example --outdir cdktf.out
#   (after .venv/bin/python main.py --all-envs); tests/secrets checks it stays in sync.
# Flow: cp secrets.tfvars.example secrets.tfvars; replace EVERY value (all are fake);
#       bin/sops-encrypt.sh secrets.tfvars secrets.tfvars.enc      (docs/secrets.md)
# Values are HCL strings: escape " and \\ as \\" and \\\\, write a literal ${ as $${,
# or use a heredoc (<<EOT ... EOT) for multi-line values.
"""


def fake_value(name: str) -> str:
    """Obviously fake, alphanumeric (some secrets end up in URLs), long enough for length rules."""
    if name.endswith("_url"):
        return f"https://FAKE.invalid/{name}"
    return "FAKE" + "".join(part.capitalize() for part in name.split("_")) + "0000000000000000"


def render_example(outdirs_envs: list[tuple[Path, str]]) -> str:
    specs: dict[str, dict] = {}
    users: dict[str, list[str]] = {}
    for outdir, env in outdirs_envs:
        for stack in select_stacks(outdir, env):
            for name, spec in declared_variables(outdir, stack).items():
                if (spec or {}).get("sensitive") is True:
                    specs.setdefault(name, spec)
                    users.setdefault(name, []).append(stack["name"])
    out = [EXAMPLE_HEADER]
    for name in sorted(specs):
        desc = " ".join(str(specs[name].get("description", "")).split())
        out.append(f"\n# {desc}\n# used by: {', '.join(users[name])}\n" if desc else f"\n# used by: {', '.join(users[name])}\n")
        out.append(render_tfvars({name: fake_value(name)}))
    return "".join(out)


# --------------------------------------------------------------------------------------
# Secrets checks and the per-stack file
# --------------------------------------------------------------------------------------


def load_secrets_json(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SecretsError(f"decrypted secrets are not a JSON object ({exc.msg})") from None
    if not isinstance(data, dict):
        raise SecretsError("decrypted secrets are not a JSON object of name -> value")
    data.pop("sops", None)
    bad = sorted(k for k, v in data.items() if not isinstance(v, str))
    if bad:
        raise SecretsError(f"secret values must be strings; not strings: {', '.join(bad)}")
    return data


def compare_names(present: set[str], declared: set[str]) -> tuple[list[str], list[str]]:
    return sorted(declared - present), sorted(present - declared)


def write_stack_secrets(dest: Path, values: dict[str, str], names: set[str]) -> int:
    """Write only `names` to dest, 0600, refusing to follow a symlink. Returns the count."""
    subset = {n: values[n] for n in sorted(names) if n in values}
    data = (json.dumps(subset, indent=2) + "\n").encode()
    try:
        dest.unlink()  # a leftover of a killed run: replace it, never append or follow a link
    except FileNotFoundError:
        pass
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return len(subset)


# --------------------------------------------------------------------------------------
# age keys
# --------------------------------------------------------------------------------------

AGE_SECRET_RE = re.compile(r"^AGE-SECRET-KEY-1[0-9A-Z]+$")


def generate_key_text() -> str:
    """A new identity in age-keygen's file format (same three lines)."""
    try:
        from pyrage import x25519  # type: ignore[import-not-found]
    except ImportError:
        raise SecretsError("neither age-keygen nor the pyrage module is available: run scripts/setup.sh") from None
    import datetime as _dt

    ident = x25519.Identity.generate()
    created = _dt.datetime.now().astimezone().replace(microsecond=0).isoformat()
    return f"# created: {created}\n# public key: {ident.to_public()}\n{ident}\n"


def public_keys(key_text: str) -> list[str]:
    """Public keys of every identity in an age key file (pyrage, else age-keygen -y, else comments)."""
    secrets = [ln.strip() for ln in key_text.splitlines() if AGE_SECRET_RE.match(ln.strip())]
    try:
        from pyrage import x25519  # type: ignore[import-not-found]
    except ImportError:
        x25519 = None
    if x25519 is not None:
        try:
            return [str(x25519.Identity.from_str(s).to_public()) for s in secrets]
        except Exception as exc:  # pyrage raises its own error types
            raise SecretsError(f"the age key file holds an invalid key ({exc})") from None
    import shutil
    import subprocess

    if shutil.which("age-keygen"):
        out = subprocess.run(["age-keygen", "-y"], input=key_text, capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.split()
    return re.findall(r"^# public key: (age1[0-9a-z]+)$", key_text, flags=re.M)


def sops_recipients(enc_text: str) -> list[str]:
    """age recipients listed in a sops JSON document's metadata (readable without a key)."""
    try:
        meta = json.loads(enc_text)["sops"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise SecretsError("not a sops-encrypted JSON file (no 'sops' metadata)") from None
    return [a["recipient"] for a in meta.get("age") or []]


def parse_version(text: str) -> tuple[int, int, int] | None:
    m = re.search(r"v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.]+)?", text)
    if not m:
        return None
    ver = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m.group(4):  # a pre-release sorts before its release
        ver = (ver[0], ver[1], ver[2] - 1) if ver[2] else (ver[0], ver[1] - 1, 9999)
    return ver


# --------------------------------------------------------------------------------------
# CLI used by the shell scripts
# --------------------------------------------------------------------------------------


def _read_stdin() -> str:
    return sys.stdin.read()


def _cmd_tfvars_to_json(a: argparse.Namespace) -> int:
    path = Path(a.file)
    values = parse_tfvars(path.read_text(encoding="utf-8"), str(path))
    sys.stdout.write(json.dumps(values, ensure_ascii=False, indent=2) + "\n")
    return 0


def _cmd_json_to_tfvars(a: argparse.Namespace) -> int:
    sys.stdout.write(render_tfvars(load_secrets_json(_read_stdin())))
    return 0


def _cmd_check_names(a: argparse.Namespace) -> int:
    present = set(load_secrets_json(_read_stdin()))
    declared: set[str] = set()
    for outdir, env in zip(a.outdir, a.env, strict=True):
        for names in secrets_by_stack(Path(outdir), env).values():
            declared |= names
    missing, unknown = compare_names(present, declared)
    if missing:
        print(f"missing (declared by the stacks, absent from {a.label}): {', '.join(missing)}", file=sys.stderr)
    if unknown:
        print(f"unknown (in {a.label}, declared by no stack): {', '.join(unknown)}", file=sys.stderr)
    return 1 if missing or unknown else 0


def _cmd_plan(a: argparse.Namespace) -> int:
    outdir = Path(a.outdir)
    for s in select_stacks(outdir, a.env, a.stack):
        print(f"{s['name']}\t{stack_dir(outdir, s).resolve()}")
    return 0


def _cmd_check_secrets(a: argparse.Namespace) -> int:
    values = load_secrets_json(_read_stdin())
    problems = []
    for name, names in secrets_by_stack(Path(a.outdir), a.env, a.stack).items():
        missing = sorted(names - set(values))
        if missing:
            problems.append(f"  {name}: {', '.join(missing)}")
    if problems:
        print(f"{a.label} lacks secrets that the stacks declare:", *problems, sep="\n", file=sys.stderr)
        return 1
    return 0


def _cmd_write(a: argparse.Namespace) -> int:
    outdir = Path(a.outdir)
    stack = select_stacks(outdir, a.env, a.stack)[0]
    values = load_secrets_json(_read_stdin())
    write_stack_secrets(Path(a.dest), values, declared_secrets(outdir, stack))
    return 0


def _cmd_needs_synth(a: argparse.Namespace) -> int:
    reason = needs_synth(Path(a.root), Path(a.outdir), a.env)
    if reason:
        print(reason)
        return 0
    return 1


def _cmd_example(a: argparse.Namespace) -> int:
    sys.stdout.write(render_example([(Path(a.outdir), env) for env in ENVS]))
    return 0


def _cmd_gen_key(a: argparse.Namespace) -> int:
    sys.stdout.write(generate_key_text())
    return 0


def _cmd_pubkeys(a: argparse.Namespace) -> int:
    keys = public_keys(Path(a.keyfile).read_text(encoding="utf-8"))
    if not keys:
        raise SecretsError(f"{a.keyfile} holds no AGE-SECRET-KEY-1… line: it is not an age key file")
    print("\n".join(keys))
    return 0


def default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "sops" / "age" / "keys.txt"


def available_public_keys() -> dict[str, list[str]]:
    """Public keys of the identities sops would try: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and the default file."""
    found: dict[str, list[str]] = {}
    if os.environ.get("SOPS_AGE_KEY"):
        found["SOPS_AGE_KEY"] = public_keys(os.environ["SOPS_AGE_KEY"])
    for path in {Path(p) for p in (os.environ.get("SOPS_AGE_KEY_FILE"), default_key_file()) if p}:
        if path.is_file():
            found[str(path)] = public_keys(path.read_text(encoding="utf-8"))
    return found


def _cmd_key_matches(a: argparse.Namespace) -> int:
    recipients = set(sops_recipients(Path(a.enc).read_text(encoding="utf-8")))
    found = available_public_keys()
    mine = {k for keys in found.values() for k in keys}
    if mine & recipients:
        return 0
    print(
        f"none of your age keys can open {a.enc}: "
        f"yours: {', '.join(sorted(mine)) or 'none'} (from {', '.join(found) or 'nowhere'}); "
        f"its recipients: {', '.join(sorted(recipients)) or 'none'}",
        file=sys.stderr,
    )
    return 1


def _cmd_recipients(a: argparse.Namespace) -> int:
    print("\n".join(sops_recipients(_read_stdin())))
    return 0


def _cmd_version_ge(a: argparse.Namespace) -> int:
    have, want = parse_version(a.have), parse_version(a.want)
    if have is None or want is None:
        return 2
    return 0 if have >= want else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tfsecrets", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def add(name, func, help_):
        sp = sub.add_parser(name, help=help_)
        sp.set_defaults(func=func)
        return sp

    sp = add("tfvars-to-json", _cmd_tfvars_to_json, "parse a secrets tfvars file, print JSON")
    sp.add_argument("file")
    add("json-to-tfvars", _cmd_json_to_tfvars, "JSON on stdin -> tfvars on stdout")
    sp = add("check-names", _cmd_check_names, "JSON on stdin vs the union of declared secrets")
    sp.add_argument("--outdir", action="append", required=True)
    sp.add_argument("--env", action="append", required=True, choices=ENVS)
    sp.add_argument("--label", default="the secrets file")
    for name, func, help_ in (
        ("plan", _cmd_plan, "print '<stack>\\t<dir>' in apply order"),
        ("check-secrets", _cmd_check_secrets, "JSON on stdin holds every secret the stacks need"),
        ("write", _cmd_write, "JSON on stdin -> one stack's secrets file (0600)"),
    ):
        sp = add(name, func, help_)
        sp.add_argument("--outdir", required=True)
        sp.add_argument("--env", required=True, choices=ENVS)
        sp.add_argument("--stack")
        sp.add_argument("--label", default="the secrets file")
        if name == "write":
            sp.add_argument("--dest", required=True)
    sp = add("needs-synth", _cmd_needs_synth, "exit 0 and print why if the env must be synthesized")
    sp.add_argument("--root", required=True)
    sp.add_argument("--outdir", required=True)
    sp.add_argument("--env", required=True, choices=ENVS)
    sp = add("example", _cmd_example, "print secrets.tfvars.example for the synthesized stacks (both envs)")
    sp.add_argument("--outdir", required=True)
    add("gen-key", _cmd_gen_key, "print a new age identity in age-keygen format")
    sp = add("pubkeys", _cmd_pubkeys, "public keys of an age key file")
    sp.add_argument("keyfile")
    sp = add("key-matches", _cmd_key_matches, "exit 0 if one of our keys is a recipient of ENC")
    sp.add_argument("enc")
    add("recipients", _cmd_recipients, "age recipients of a sops JSON document on stdin")
    sp = add("version-ge", _cmd_version_ge, "exit 0 if HAVE >= WANT")
    sp.add_argument("have")
    sp.add_argument("want")

    a = p.parse_args(argv)
    try:
        return a.func(a)
    except SecretsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
