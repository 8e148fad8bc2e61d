"""Every secret value survives every format it is written into, checked with the real readers.

The strings come from the synthesized stacks and are evaluated as OpenTofu evaluates them
(support/tofu_expr.py: the real tofu when present, else its written model); then the result goes
through the reader the application uses:

* valkey.conf → a real valkey-server / redis-server started on it, then AUTH over RESP;
* postgres:// and redis:// URLs → Python's urllib, and Node (the venv's) with ``new URL()``,
  the legacy ``url.parse`` ioredis uses (Twenty's Redis client) and TypeORM's own parser;
* ClickHouse users.xml → Python's XML parser (expat);
* Velero's AWS credentials file → a model of aws-sdk-go-v2's INI reader (cited below);
* Snuba's X-ClickHouse-Key header → Python's http.client to a local http.server;
* the URLs a chart or an image builds itself → urllib, and the refusal rules of the catalog.
"""

from __future__ import annotations

import hashlib
import http.client
import http.server
import json
import re
import subprocess
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from support.apps2 import all_apps_configs, all_apps_stacks, named  # noqa: F401 - fixtures
from support.tofu_expr import evaluate_cases, evaluate_each
from support.valkey_server import Resp, running

from platform_constructs import secret_catalog as catalog
from platform_constructs.infra.velero import CREDENTIALS_KEY, CREDENTIALS_SECRET

REPO = Path(__file__).resolve().parents[2]
NODE = REPO / ".venv" / "bin" / "node"
ENVS = ("dev", "prod")

# What `openssl rand -base64`, password managers and people produce, plus the reported attacks.
VALKEY_HOSTILE = [
    "plainAlnum0123456789abcdefXYZ",  # pragma: allowlist secret
    "with space inside",
    "  leading and trailing spaces  ",
    'double"quote',
    "single'quote",
    "back\\slash",
    "ends with a backslash\\",
    "\\x41 is not an A",
    '\\"',
    'x\nrequirepass ""',  # the reported injection: a second requirepass turning auth off
    "carriage\rreturn",
    "tab\tinside",
    "#not-a-comment",
    "nul\x00byte",
    "pässwörd-密码-🔑",
    "${var.x} %{ y } $${z}",
    '"',
    "'",
    'a"b c"d',
]
URL_HOSTILE = [
    "a/b", "a#b", "a?b", "100%", "%41", "a@b@c", "a:b", "a+b", "a b", "a&b=c", "ü-密码",
    "rand+base64/with==", "[::1]", " ", "'\"", "\\", "~-._", "a%2Fb",
]
XML_HOSTILE = ["a&b", "<tag>", "]]>", '"quote"', "'", "ü-密码", "&amp;", "<!--", "x</password_sha256_hex>"]


def _secret_data(stack: dict, name: str, namespace: str) -> dict[str, str]:
    _, body = named(stack, "kubernetes_secret_v1", name, namespace)
    return body["data"]


# --------------------------------------------------------------------------------------------
# valkey.conf → a real server
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_valkey_conf_keeps_every_password_exactly(stacks, env, tmp_path):
    template = _secret_data(stacks[f"{env}-apps"], "valkey-auth", "twenty")["valkey.conf"]
    confs = evaluate_each(template, "twenty_valkey_password", VALKEY_HOSTILE)
    for i, (password, conf) in enumerate(zip(VALKEY_HOSTILE, confs, strict=True)):
        with running(conf, tmp_path / f"v{i}") as port:
            client = Resp(port)
            try:
                assert isinstance(client.command("PING"), RuntimeError), f"{password!r}: a server without password"
                wrong = client.command("AUTH", password.encode() + b"x")
                assert isinstance(wrong, RuntimeError), f"{password!r}: a wrong password was accepted"
                assert client.command("AUTH", password.encode()) == "OK", f"{password!r} does not authenticate:\n{conf}"
                policy = client.command("CONFIG", "GET", "maxmemory-policy")
                assert policy == [b"maxmemory-policy", b"noeviction"], f"{password!r} changed other settings: {policy}"
            finally:
                client.close()


def test_an_empty_valkey_password_is_refused_before_it_means_no_password():
    """`requirepass ""` is Valkey's spelling of "no password" (EMPTY_STRING_IS_NULL)."""
    for name in ("twenty_valkey_password", "n8n_valkey_password", "nextcloud_valkey_password", "sentry_valkey_password"):
        assert any("at least 24 characters" in p for p in catalog.lookup(name).problems("")), name


# --------------------------------------------------------------------------------------------
# URLs → urllib, Node's URL parsers, TypeORM's parser
# --------------------------------------------------------------------------------------------

# Twenty's clients: REDIS_URL goes to ioredis (twentyhq/twenty packages/twenty-server/src/engine/
# core-modules/redis-client/redis-client.service.ts: new IORedis(url)), whose parseURL (redis/ioredis
# lib/utils/index.ts, commit e4e278f) calls Node's legacy url.parse (it percent-decodes `auth`) and
# takes the password after the first ":". PG_DATABASE_URL goes to TypeORM, which splits the URL
# itself (typeorm/typeorm src/driver/DriverUtils.ts parseConnectionUrl, commit 645e707: last "@" of
# the part before the first "/", first ":" of the userinfo, decodeURIComponent). The function below
# follows that description; the other two parsers are Node's own.
NODE_PARSERS = r"""
const legacy = require('node:url');
function typeormLike(u) {
  const rest = u.slice(u.indexOf('//') + 2);
  const slash = rest.indexOf('/');
  const base = slash === -1 ? rest : rest.slice(0, slash);
  const at = base.lastIndexOf('@');
  const userinfo = base.slice(0, at), hostPort = base.slice(at + 1);
  const colon = userinfo.indexOf(':');
  return {password: colon === -1 ? '' : decodeURIComponent(userinfo.slice(colon + 1)),
          host: hostPort.split(':')[0], database: slash === -1 ? undefined : rest.slice(slash + 1)};
}
const out = JSON.parse(require('node:fs').readFileSync(0, 'utf8')).map((u) => {
  const w = new URL(u);
  const l = legacy.parse(u, true, true);
  return {whatwg: decodeURIComponent(w.password), whatwgHost: w.hostname, whatwgPath: w.pathname,
          ioredis: l.auth.slice(l.auth.indexOf(':') + 1), ioredisHost: l.hostname, typeorm: typeormLike(u)};
});
process.stdout.write(JSON.stringify(out));
"""


def _node_parse(urls: list[str]) -> list[dict]:
    assert NODE.exists(), "the venv's Node is missing: run scripts/setup.sh"
    res = subprocess.run([str(NODE), "--no-deprecation", "-e", NODE_PARSERS], input=json.dumps(urls),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("key, variable, host, path", [
    ("PG_DATABASE_URL", "twenty_db_password", "postgres.data.svc.cluster.local", "/twenty"),
    ("REDIS_URL", "twenty_valkey_password", "valkey", "/0"),
])
def test_twenty_urls_keep_every_password_exactly(stacks, env, key, variable, host, path):
    template = _secret_data(stacks[f"{env}-apps"], "twenty-env", "twenty")[key]
    urls = evaluate_each(template, variable, URL_HOSTILE)
    for password, url, node in zip(URL_HOSTILE, urls, _node_parse(urls), strict=True):
        parts = urlsplit(url)
        assert unquote(parts.password or "") == password, f"urllib: {password!r} became {parts.password!r} in {url}"
        assert (parts.hostname, parts.path) == (host, path), f"urllib: {password!r} moved the host or path: {url}"
        assert node["whatwg"] == password and (node["whatwgHost"], node["whatwgPath"]) == (host, path), (password, node)
        assert node["ioredis"] == password and node["ioredisHost"] == host, (password, node)
        assert node["typeorm"]["password"] == password and node["typeorm"]["host"] == host, (password, node)
        assert node["typeorm"]["database"] == path[1:], (password, node)


# --------------------------------------------------------------------------------------------
# ClickHouse users.xml → an XML parser
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_clickhouse_users_xml_holds_only_the_digest(all_apps_stacks, env):  # noqa: F811 - fixture
    template = _secret_data(all_apps_stacks[f"{env}-apps"], "clickhouse-auth", "sentry")["users.xml"]
    for password, text in zip(XML_HOSTILE, evaluate_each(template, "sentry_clickhouse_password", XML_HOSTILE),
                              strict=True):
        try:
            root = ET.fromstring(text)  # noqa: S314 - our own generated file
        except ET.ParseError as exc:
            pytest.fail(f"users.xml is not XML with the password {password!r} ({exc}):\n{text}")
        user = root.find("./users/default")
        assert user is not None, text
        assert password not in text, "the plaintext password must not be in users.xml"
        digest = user.findtext("password_sha256_hex")
        assert digest == hashlib.sha256(password.encode()).hexdigest(), f"{password!r}: wrong digest in {text}"
        # ClickHouse merges users.d/ into users.xml, whose default user has an empty <password>:
        # remove="1" deletes it (clickhouse.com/docs/en/operations/configuration-files, "Merging").
        plain = user.findall("password")
        assert [p.attrib for p in plain] == [{"remove": "1"}] and not (plain[0].text or "").strip(), text


# --------------------------------------------------------------------------------------------
# Velero's AWS credentials file → the AWS SDK's INI reader
# --------------------------------------------------------------------------------------------


def aws_ini_read(text: str) -> dict[str, dict[str, str]]:
    """Model of aws-sdk-go-v2 internal/ini v1.7.2 for `[section]` + `key=value` lines (the version in
    velero-plugin-for-aws's go.mod; ini.go Parse, tokenize.go, strings.go): lines split on "\\n";
    a value is cut at " #", " ;", "\\t#", "\\t;", split at the first "=" (or an earlier ":"), trimmed,
    unquoted when it starts and ends with the same quote, then \\" \\' \\n are rewritten. Checked
    against the real module (config v1.26.3 LoadSharedConfigProfile, built once with Go): same
    results on every value of these tests, and the same crash on a lone quote."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.lstrip(" \t").startswith(("#", ";")):
            continue
        profile = re.split("[#;]", line, maxsplit=1)[0].strip()
        if profile.startswith("[") and profile.endswith("]"):
            current = sections.setdefault(profile[1:-1].strip(), {})
            continue
        if line[0] in " \t" or current is None:
            continue
        for cut in (" #", " ;", "\t#", "\t;"):
            line = line.split(cut, 1)[0]
        line = line.rstrip(" \t")
        eq, colon = line.find("="), line.find(":")
        sep = ":" if eq == -1 or (colon != -1 and colon < eq) else "="
        if sep not in line:
            continue
        key, value = (part.strip() for part in line.split(sep, 1))
        if value[:1] in ("'", '"') and value.endswith(value[0]):
            if len(value) == 1:  # s[1:0] in unquote(): the plugin panics (checked with the real v1.7.2)
                raise ValueError("aws-sdk-go-v2 internal/ini panics: slice bounds out of range [1:0]")
            value = value[1:-1]
        current[key.lower()] = value.replace('\\"', '"').replace("\\'", "'").replace("\\n", "\n")
    return sections


INI_ALLOWED = "".join(chr(c) for c in range(0x21, 0x7F) if re.fullmatch(catalog.INI_VALUE.chars, chr(c)))
# Values the reader changes; the rule refuses them (and, to stay one simple class, every space,
# quote and backslash, though a lone inner space or backslash would survive).
INI_REFUSED = [" lead", "trail ", "key #comment", "a ;b", '"quoted"', "'single'", "a\\nb", 'a\\"b', '"', "'"]


@pytest.mark.parametrize("env, access, secret", [
    ("dev", "minio_root_user", "minio_root_password"),
    ("prod", "velero_s3_access_key", "velero_s3_secret_key"),
])
def test_velero_credentials_survive_the_ini_reader(stacks, env, access, secret):
    template = _secret_data(stacks[f"{env}-infra"], CREDENTIALS_SECRET, "infra")[CREDENTIALS_KEY]
    values = [INI_ALLOWED, "DO00ABCDEFGHIJKLMNOP", "q8s+Xw/9=abc==", "#hash;semi:colon=equals"]
    texts = evaluate_cases(template, [{access: value, secret: value[::-1]} for value in values])
    for value, text in zip(values, texts, strict=True):
        got = aws_ini_read(text)["default"]
        assert got == {"aws_access_key_id": value, "aws_secret_access_key": value[::-1]}, f"{value!r} changed: {text}"
        assert not catalog.lookup(access).problems(value) and not catalog.lookup(secret).problems(value[::-1])


def test_values_the_ini_reader_would_change_are_refused(stacks):
    template = _secret_data(stacks["prod-infra"], CREDENTIALS_SECRET, "infra")[CREDENTIALS_KEY]
    cases = [{"velero_s3_access_key": value, "velero_s3_secret_key": "x"} for value in INI_REFUSED]
    for value, text in zip(INI_REFUSED, evaluate_cases(template, cases), strict=True):
        try:
            got = aws_ini_read(text)
        except ValueError:  # a lone quote crashes the reader
            got = {"default": {}}
        assert got["default"].get("aws_access_key_id") != value, f"the reader keeps {value!r}: pick a value it changes"
        problems = catalog.lookup("velero_s3_access_key").problems(value)
        assert any("printable ASCII except space" in p for p in problems), f"{value!r} must be refused: {problems}"


# --------------------------------------------------------------------------------------------
# Snuba's X-ClickHouse-Key header → http.client
# --------------------------------------------------------------------------------------------


class _Echo(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[bytes]] = []

    def do_POST(self):
        _Echo.seen.append(self.headers.get("X-ClickHouse-Key", "").encode("latin-1"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def _send_header(value: str) -> bytes | Exception:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Echo)
    server.timeout = 0.5  # when http.client refuses the value, no request ever comes
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
        conn.request("POST", "/", body=b"", headers={"X-ClickHouse-Key": value})
        conn.getresponse().read()
        return _Echo.seen.pop()
    except (ValueError, UnicodeEncodeError) as exc:
        return exc
    finally:
        thread.join(timeout=5)
        server.server_close()


def test_clickhouse_password_survives_snubas_http_header():
    visible = "".join(chr(c) for c in range(0x21, 0x7F))
    assert _send_header(visible) == visible.encode(), "printable ASCII must come through unchanged"
    assert not catalog.lookup("sentry_clickhouse_password").problems(visible + "0123456789")
    # stripped by the server, refused by http.client, sent as Latin-1 (not the UTF-8 the digest hashed), unsendable
    for value in (" lead", "new\nline", "é", "密码"):
        got = _send_header(value)
        assert got != value.encode("utf-8"), f"{value!r} survives the header: pick a value it changes"
        problems = catalog.lookup("sentry_clickhouse_password").problems(value.ljust(16, "x"))
        assert problems, f"{value!r} must be refused"


# --------------------------------------------------------------------------------------------
# Strings a chart or an image builds from the value (we cannot encode there: refusal)
# --------------------------------------------------------------------------------------------

# name -> (how the value is read back, values that reader changes). The rule (letters, digits and
# - . _ ~) is one class for both; each reader would keep some other characters too.
THIRD_PARTY = {
    # sentry-kubernetes/charts sentry 25.20.0 templates/_helper.tpl: BROKER_URL = redis://:$(PASSWORD)@host:port/db
    "sentry_valkey_password": (lambda pw: unquote(urlsplit(f"redis://:{pw}@valkey:6379/0").password or ""),
                               ("a%41b", "a#b", "a/b", "a?b")),
    # nextcloud/docker docker-entrypoint.sh: session.save_path = "tcp://host:port?auth=<password>";
    # phpredis parses the query like PHP's parse_str (URL-decoding, "+" is a space).
    "nextcloud_valkey_password": (
        lambda pw: parse_qs(urlsplit(f"tcp://valkey:6379?auth={pw}").query).get("auth", [""])[0],
        ("a%41b", "a+b", "a&b", "a#b"),
    ),
}


@pytest.mark.parametrize("name", sorted(THIRD_PARTY))
def test_values_spliced_unencoded_by_a_chart_or_image_are_restricted(name):
    read, changed = THIRD_PARTY[name]
    allowed = "".join(chr(c) for c in range(0x21, 0x7F) if re.fullmatch(catalog.URL_UNRESERVED.chars, chr(c)))
    assert read(allowed) == allowed and not catalog.lookup(name).problems(allowed)
    for value in changed:
        padded = value.ljust(24, "x")
        assert read(padded) != padded, f"{value!r} survives: pick a value the reader changes"
        assert any("letters, digits and - . _ ~" in p for p in catalog.lookup(name).problems(padded)), value


def test_grafana_admin_password_without_dollar():
    """Grafana replaces ${VAR}, $__env{..} and $__file{..} in every setting (pkg/setting/expanders.go)."""
    expander = re.compile(r"\$(|__\w+){([^}]+)}")
    assert expander.search("pa55${HOME}word") and expander.search("x$__file{/etc/passwd}")
    assert catalog.lookup("grafana_admin_password").problems("pa55${HOME}word1")
    assert not catalog.lookup("grafana_admin_password").problems("pa55-{HOME}-word1")
