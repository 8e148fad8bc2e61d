"""Helpers for the SOPS/age secrets tooling (bin/sops-encrypt.sh, scripts/tofu-secrets.sh).

Standard library only on purpose: the shell scripts call it on every run, so it must not
import cdktf/jsii (slow, and synthesis is a separate step). pyrage is used when present.

Plaintext secrets only ever pass through pipes and this process's memory; the single
file this module writes is a per-stack ``.secrets.auto.tfvars.json`` (mode 0600) that
the wrapper deletes after tofu has run. One lock per checkout (``.tofu-secrets.lock``)
serializes wrapper runs; under it, decrypted files left by a killed run are swept.

The rules each secret's value must meet come from ``constructs/platform_constructs/
secret_catalog.py`` (loaded by path: it is standard library only, like this module).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import os
import re
import stat
import sys
from pathlib import Path
from types import ModuleType

ENVS = ("dev", "prod")
SECRETS_FILE_NAME = ".secrets.auto.tfvars.json"
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
REPO = Path(__file__).resolve().parents[2]
CATALOG_FILE = Path("constructs/platform_constructs/secret_catalog.py")
LOCK_NAME = ".tofu-secrets.lock"


class SecretsError(Exception):
    """A problem the user can fix; the message names it and the fix."""


def load_catalog(root: Path = REPO) -> ModuleType:
    """The secrets catalog module, imported from its file (no package import, no cdktf)."""
    path = root / CATALOG_FILE
    if not path.is_file():
        raise SecretsError(f"{path} not found: restore it from git (it lists every secret and its rules)")
    spec = importlib.util.spec_from_file_location("platform_secret_catalog", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def read_text(path: Path) -> str:
    """A text file that must be UTF-8; a bad byte is reported with its line and column."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SecretsError(
            f"{path}:{line}:{column}: not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None


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
        err = SecretsError(f"{self.source}:{self._line(pos)}: {msg}")
        err.detail = msg  # type: ignore[attr-defined]
        return err

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
        opened = self.pos
        self.pos = m.end()
        body_line = self._line()  # line number of the body's first line
        lines: list[str] = []
        while True:
            if self.pos >= len(t):
                raise self._fail(f"heredoc for {name!r} opened here is not closed by a line '{marker}'", opened)
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
            except SecretsError as exc:  # report the line inside the heredoc, not the closing marker's
                line = body_line + body.count("\n", 0, sub.pos)
                raise SecretsError(f"{self.source}:{line}: {exc.detail}") from None  # type: ignore[attr-defined]
            out.append(body[sub.pos])
            sub.pos += 1
        return "".join(out)


def parse_tfvars(text: str, source: str = "<tfvars>") -> dict[str, str]:
    """Parse a secrets tfvars file into {name: string value}."""
    return _Parser(text, source).parse()


def render_tfvars(values: dict[str, str]) -> str:
    """Inverse of parse_tfvars: HCL quoted strings with every special character escaped (the
    catalog's hcl_string, which also writes the stacks' validation expressions)."""
    hcl_string = load_catalog().hcl_string
    return "".join(f"{name} = {hcl_string(values[name])}\n" for name in sorted(values))


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
#   (after .venv/bin/python main.py --all-envs); tests/secrets checks it stays exact.
# Flow: cp secrets.tfvars.example secrets.tfvars; replace EVERY value (all are fake);
#       bin/sops-encrypt.sh secrets.tfvars secrets.tfvars.enc      (docs/secrets.md)
# Values are HCL strings: escape " and \\ as \\" and \\\\, write a literal ${ as $${.
# Each value must meet its rules (docs/secrets.md, "Rules per secret"); sops-encrypt.sh, the
# wrapper and tofu plan refuse one that does not, naming the secret and the rule.
"""


def rule_summary(entry) -> str:
    """One comment line of the rules of a catalog entry (secrets.tfvars.example, docs)."""
    parts = [f"{entry.min_length}+ characters" if entry.min_length > 1 else "not empty"]
    parts.append("newlines allowed" if entry.multiline else "one line")
    parts += [f"only {fmt.charset.label}" for fmt in entry.formats if fmt.charset is not None]
    if entry.pattern is not None:
        parts.append(entry.pattern.label)
    return "; ".join(parts)


def render_example(outdirs_envs: list[tuple[Path, str]], catalog: ModuleType | None = None) -> str:
    catalog = catalog or load_catalog()
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
        entry = catalog.CATALOG.get(name)
        lines = [" ".join(str(specs[name].get("description", "")).split())]
        if entry is not None:
            lines.append(f"rules: {rule_summary(entry)}")
        lines.append(f"used by: {', '.join(users[name])}")
        out.append("\n" + "".join(f"# {line}\n" for line in lines if line))
        out.append(render_tfvars({name: entry.example_value() if entry else f"FAKE{name}"}))
    return "".join(out)


def _md(text: str) -> str:
    """Plain text for a Markdown table cell (code spans in it hold no backslash or angle bracket)."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_rules_doc(catalog: ModuleType | None = None) -> str:
    """The Markdown of docs/secrets.md between the RULES markers (a test keeps it current)."""
    catalog = catalog or load_catalog()
    def how(fmt, first: bool = False) -> str:
        text = "encoded" if fmt.charset is None else "refused unless " + fmt.charset.label
        return text[0].upper() + text[1:] if first else text

    out = [
        "| Format | How a value survives it |",
        "|---|---|",
        *(f"| {_md(fmt.where)} | **{_md(how(fmt, first=True))}**: {_md(fmt.handling)} |" for fmt in catalog.FORMATS),
        "",
        "| Secret | Rules | Also written into (besides its Kubernetes Secret or provider setting, as is) |",
        "|---|---|---|",
    ]
    for name in sorted(catalog.CATALOG):
        entry = catalog.CATALOG[name]
        where = "; ".join(f"{fmt.where}: {how(fmt)}" for fmt in entry.formats) or "—"
        out.append(f"| `{name}` | {_md(rule_summary(entry))} | {_md(where)} |")
    return "\n".join(out) + "\n"


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


def value_problems(values: dict[str, str], names: set[str] | None = None, catalog: ModuleType | None = None) -> list[str]:
    """Catalog rules broken by ``values`` (only ``names`` when given); messages never hold a value."""
    catalog = catalog or load_catalog()
    chosen = {n: v for n, v in values.items() if names is None or n in names}
    return list(catalog.check(chosen))


# --------------------------------------------------------------------------------------
# One run at a time per checkout, and the leftovers of a killed run
# --------------------------------------------------------------------------------------


def try_lock(fd: int, holder: dict[str, object]) -> str | None:
    """flock(fd) without waiting; on success record ``holder`` in the file and return None, else
    return a description of the current holder. The lock belongs to the open file description,
    so it stays held by the caller (and its children: tofu keeps it while it runs) after we exit."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return describe_holder(os.pread(fd, 4096, 0))
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
    return None


def describe_holder(raw: bytes) -> str:
    try:
        info = json.loads(raw.decode() or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        info = {}
    pid = info.get("pid")
    text = ", ".join(str(info[k]) for k in ("command", "started") if info.get(k)) or "unknown run"
    if isinstance(pid, int):
        try:
            os.kill(pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        except PermissionError:
            alive = True
        text = f"pid {pid} ({text})" if alive else f"pid {pid}, now gone ({text}); a tofu it started still runs"
    return text


def lock_checkout(root: Path, command: str) -> tuple[int | None, str]:
    """For Python callers (doctor, main.py): (fd, "") when locked, (None, holder) when held."""
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    held_by = try_lock(fd, {"pid": os.getpid(), "command": command, "started": _now()})
    if held_by is None:
        return fd, ""
    os.close(fd)
    return None, held_by


def _now() -> str:
    return _dt.datetime.now().astimezone().replace(microsecond=0).isoformat()


def stale_plaintext(root: Path, outdir: Path | None = None) -> list[Path]:
    """Every decrypted secrets file in a stack directory of this checkout: any output folder
    directly in the repository (cdktf.out and the like), and ``outdir``."""
    found = set(root.glob(f"*/stacks/*/{SECRETS_FILE_NAME}"))
    if outdir is not None:
        found |= set(outdir.glob(f"stacks/*/{SECRETS_FILE_NAME}"))
    # a planted symlink is listed too (and removed, never followed)
    return sorted(p for p in found if os.path.lexists(p))


def sweep_plaintext(root: Path, outdir: Path | None = None) -> list[str]:
    """Remove the decrypted files a killed run left (call only under the checkout lock)."""
    notes = []
    for path in stale_plaintext(root, outdir):
        when = _dt.datetime.fromtimestamp(path.lstat().st_mtime).astimezone().replace(microsecond=0).isoformat()
        path.unlink()
        notes.append(f"removed {path} (decrypted secrets left by an interrupted run, written {when})")
    return notes


def check_outdir(root: Path, outdir: Path) -> None:
    """The stacks reach the repository as ../../.. from <outdir>/stacks/<stack>: the dev state
    (.state/), the prod kubeconfig (.kube/) and MinIO's data (data/) only land in this checkout
    when the output folder sits directly in it."""
    real_root, real_out = root.resolve(), outdir.resolve()
    if real_out.parent != real_root:
        raise SecretsError(
            f"CDKTF_OUTDIR={outdir} is not a folder directly in the repository {real_root}: the stacks find the "
            "repository as ../../.. from <outdir>/stacks/<stack>, so dev state would be read and written in "
            f"{real_out.parent / '.state'} instead of {real_root / '.state'} (and the prod kubeconfig looked up in "
            f"{real_out.parent / '.kube'}). Unset CDKTF_OUTDIR, or use a folder directly in {real_root}."
        )


def check_not_writable_by_others(paths: list[Path]) -> None:
    for path in paths:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o022:
            raise SecretsError(
                f"{path} is writable by group or others (mode {mode:04o}): anyone could change what tofu runs with "
                f"your secrets. Fix: chmod -R go-w {path.parent if path.is_file() else path} and synthesize again "
                "(the wrapper synthesizes under umask 077)"
            )


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
    values = parse_tfvars(read_text(path), str(path))
    sys.stdout.write(json.dumps(values, ensure_ascii=False, indent=2) + "\n")
    return 0


def _cmd_json_to_tfvars(a: argparse.Namespace) -> int:
    sys.stdout.write(render_tfvars(load_secrets_json(_read_stdin())))
    return 0


def _cmd_check_names(a: argparse.Namespace) -> int:
    values = load_secrets_json(_read_stdin())
    present = set(values)
    declared: set[str] = set()
    for outdir, env in zip(a.outdir, a.env, strict=True):
        for names in secrets_by_stack(Path(outdir), env).values():
            declared |= names
    missing, unknown = compare_names(present, declared)
    if missing:
        print(f"missing (declared by the stacks, absent from {a.label}): {', '.join(missing)}", file=sys.stderr)
    if unknown:
        print(f"unknown (in {a.label}, declared by no stack): {', '.join(unknown)}", file=sys.stderr)
    problems = value_problems(values)
    if problems:
        _print_value_problems(a.label, problems)
    return 1 if missing or unknown or problems else 0


def _print_value_problems(label: str, problems: list[str]) -> None:
    print(f"{label} holds values the stacks refuse (tofu plan checks the same rules):",
          *(f"  {p}" for p in problems), sep="\n", file=sys.stderr)


def _cmd_plan(a: argparse.Namespace) -> int:
    outdir = Path(a.outdir)
    chosen = select_stacks(outdir, a.env, a.stack)
    dirs = [stack_dir(outdir, s) for s in chosen]
    check_not_writable_by_others([outdir, outdir / "stacks", *dirs, *(d / "cdk.tf.json" for d in dirs)])
    for s, d in zip(chosen, dirs, strict=True):
        print(f"{s['name']}\t{d.resolve()}")
    return 0


def _cmd_check_secrets(a: argparse.Namespace) -> int:
    values = load_secrets_json(_read_stdin())
    problems = []
    declared: set[str] = set()
    for name, names in secrets_by_stack(Path(a.outdir), a.env, a.stack).items():
        declared |= names
        missing = sorted(names - set(values))
        if missing:
            problems.append(f"  {name}: {', '.join(missing)}")
    if problems:
        print(f"{a.label} lacks secrets that the stacks declare:", *problems, sep="\n", file=sys.stderr)
        return 1
    bad = value_problems(values, declared)
    if bad:
        _print_value_problems(a.label, bad)
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


RULES_BEGIN, RULES_END = "<!-- rules: generated by tfsecrets.py docs -->\n", "<!-- end of rules -->\n"


def _cmd_docs(a: argparse.Namespace) -> int:
    if not a.write:
        sys.stdout.write(render_rules_doc())
        return 0
    path = Path(a.write)
    text = read_text(path)
    if RULES_BEGIN not in text or RULES_END not in text:
        raise SecretsError(f"{path} lacks the lines {RULES_BEGIN.strip()} and {RULES_END.strip()}")
    head, rest = text.split(RULES_BEGIN, 1)
    path.write_text(head + RULES_BEGIN + render_rules_doc() + RULES_END + rest.split(RULES_END, 1)[1])
    return 0


def _cmd_lock(a: argparse.Namespace) -> int:
    held_by = try_lock(a.fd, {"pid": a.pid, "command": a.command, "started": _now()})
    if held_by is None:
        return 0
    print(held_by)
    return 1


def _cmd_sweep(a: argparse.Namespace) -> int:
    for note in sweep_plaintext(Path(a.root), Path(a.outdir)):
        print(note)
    return 0


def _cmd_check_outdir(a: argparse.Namespace) -> int:
    check_outdir(Path(a.root), Path(a.outdir))
    return 0


def _cmd_gen_key(a: argparse.Namespace) -> int:
    sys.stdout.write(generate_key_text())
    return 0


def _cmd_pubkeys(a: argparse.Namespace) -> int:
    keys = public_keys(read_text(Path(a.keyfile)))
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
            found[str(path)] = public_keys(read_text(path))
    return found


def _cmd_key_matches(a: argparse.Namespace) -> int:
    recipients = set(sops_recipients(read_text(Path(a.enc))))
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
    sp = add("docs", _cmd_docs, "print the rules tables of docs/secrets.md (from the secrets catalog)")
    sp.add_argument("--write", metavar="FILE", help="replace the generated block of FILE instead")
    sp = add("lock", _cmd_lock, "take the checkout lock on an inherited fd (exit 1 and name the holder if held)")
    sp.add_argument("--fd", type=int, required=True)
    sp.add_argument("--pid", type=int, required=True)
    sp.add_argument("--command", default="")
    sp = add("sweep", _cmd_sweep, "remove decrypted files left by a killed run (under the lock)")
    sp.add_argument("--root", required=True)
    sp.add_argument("--outdir", required=True)
    sp = add("check-outdir", _cmd_check_outdir, "fail unless the output folder sits directly in the repository")
    sp.add_argument("--root", required=True)
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
