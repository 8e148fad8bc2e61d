"""Every secret of the platform, once: its name, ONE description, the formats its value is written
into, and the rules the value must meet.

Standard library only, and self-contained on purpose: ``scripts/lib/tfsecrets.py`` loads this file
by path (no cdktf, no jsii) so that ``bin/sops-encrypt.sh`` and ``scripts/tofu-secrets.sh`` check
the values before anything is encrypted or written, and ``LayerStack.secret()`` turns the same
entry into the variable's description and validation blocks, so OpenTofu refuses the same values
at plan time. docs/secrets.md's table of rules is generated from here (``tfsecrets.py docs``).

A value survives a format in one of two ways, recorded per ``Format``:
* **encoded** by an OpenTofu expression (``template``): quoted and escaped for valkey.conf,
  percent-encoded for a URL, or replaced by its SHA-256 digest;
* **refused** at plan time when it holds a character the format cannot carry (``charset``): used
  where a file format has no complete escaping (the AWS credentials file) or where a third party
  (a chart, an image's entrypoint, a client library) splices the value unencoded.

Every rule is one regular expression used twice: by OpenTofu, as ``can(regex("^(?:RE)$", var.x))``
(Go RE2), and by the early check, as Python's ``re.fullmatch(RE, value)``. The expressions only use
syntax that means the same in both: character classes of ASCII ranges and ``\\x`` escapes,
``[\\s\\S]``, ``{n,}``, groups and alternation. Lengths are counted in code points (the ``length()``
function of OpenTofu counts grapheme clusters, so it is not used).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Charset:
    label: str
    """What is allowed, for messages: "letters, digits and - . _ ~"."""
    chars: str
    """One regex character class (same meaning in RE2 and Python re)."""


@dataclass(frozen=True)
class Format:
    """Where a secret's value is written, and how it survives there."""

    key: str
    where: str
    handling: str
    """How the value survives there (docs, messages): what encodes it, or why other characters break."""
    charset: Charset | None = None
    """None: every value survives (encoded by ``template``); else values outside it are refused."""
    template: str | None = None
    """OpenTofu template of the encoded value, with ``{ref}`` for ``var.<name>``; None for a
    refused-unless-safe format (the value is spliced as is, or spliced by a third party)."""
    ours: bool = True
    """False when a third party (chart, image entrypoint, client) writes the value into the format."""

    def render(self, ref: str) -> str:
        if self.template is None:
            raise ValueError(f"format {self.key!r} has no encoding expression: the value is spliced as is")
        return self.template.replace("{ref}", ref)


@dataclass(frozen=True)
class Pattern:
    regex: str
    label: str


@dataclass(frozen=True)
class Rule:
    regex: str
    """Matched against the whole value (Python re.fullmatch / RE2 ^(?:…)$)."""
    message: str
    """Full sentence naming the secret and the rule; never the value."""

    def holds(self, value: str) -> bool:
        return re.fullmatch(self.regex, value) is not None


@dataclass(frozen=True)
class Secret:
    name: str
    description: str
    min_length: int = 1
    formats: tuple[Format, ...] = ()
    multiline: bool = False
    """Only registry_htpasswd: several htpasswd lines."""
    pattern: Pattern | None = None
    example: str | None = None
    """Fake value for secrets.tfvars.example when the generic one would break the rules."""

    def rules(self) -> list[Rule]:
        n = self.min_length
        rules = [Rule(
            rf"[\s\S]{{{n},}}",
            f"{self.name} must not be empty." if n == 1 else f"{self.name} must be at least {n} characters long.",
        )]
        if self.multiline:
            rules.append(Rule(r"[^\x00-\x09\x0b-\x1f\x7f]*",
                              f"{self.name} may hold newlines but no other control character."))
        else:
            rules.append(Rule(
                r"[^\x00-\x1f\x7f]*",
                f"{self.name} must be one line without control characters (a newline, a tab, the last line "
                "break of a heredoc): the value reaches its application through an environment variable or a file "
                "that keeps or cuts them silently.",
            ))
        for fmt in self.formats:
            if fmt.charset is not None:
                rules.append(Rule(f"{fmt.charset.chars}*", f"{self.name} may only contain {fmt.charset.label}, "
                                  f"because of {fmt.where}: {fmt.handling}."))
        if self.pattern is not None:
            rules.append(Rule(self.pattern.regex, f"{self.name} must be {self.pattern.label}."))
        return rules

    def problems(self, value: str) -> list[str]:
        """Messages of every rule ``value`` breaks (the early check). Never includes the value."""
        found = [rule.message for rule in self.rules() if not rule.holds(value)]
        if not unicodedata.is_normalized("NFC", value):
            found.append(
                f"{self.name} is not in Unicode normal form NFC: OpenTofu normalizes every string to NFC, so the "
                "application would receive different bytes than you wrote; retype it (or normalize it) first."
            )
        return found

    def validations(self) -> list[dict[str, str]]:
        """OpenTofu ``validation`` blocks (cdktf spelling) of the variable, one per rule."""
        return [
            {
                "condition": f"${{can(regex({hcl_string('^(?:' + rule.regex + ')$')}, var.{self.name}))}}",
                "errorMessage": rule.message.replace("${", "$${").replace("%{", "%%{"),  # a template too
            }
            for rule in self.rules()
        ]

    def example_value(self) -> str:
        if self.example is not None:
            return self.example
        base = "FAKE" + "".join(part.capitalize() for part in self.name.split("_"))
        return base + "0" * max(16, self.min_length - len(base))


def hcl_string(text: str) -> str:
    """``text`` as an HCL quoted string literal (which is a template: ``${``/``%{`` are escaped too)."""
    out = []
    for ch in text:
        if ch in '"\\':
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
    return '"' + "".join(out).replace("${", "$${").replace("%{", "%%{") + '"'


# --------------------------------------------------------------------------------------------
# Formats. Facts about each reader are cited where they are used.
# --------------------------------------------------------------------------------------------

# Valkey reads valkey.conf line by line (split on "\n", then sdstrim " \t\r\n") and each line with
# sdssplitargs: inside "double quotes" it understands \\ \" \n \r \t \b \a and \xHH, any other byte
# is kept; an unquoted token ends at a space, and `requirepass ""` means no password at all
# (requirepass is EMPTY_STRING_IS_NULL). The file is read with fgets + sdscat, so a NUL byte ends
# it: NUL is written \x00. Source: valkey-io/valkey tag 8.0.1 src/config.c loadServerConfigFromString,
# src/sds.c sdssplitargs (the same code as Redis 7.0.15, which the tests run; the image pins 9.1.1).
_VALKEY_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\x00", "\\x00"))


def _replace_chain(ref: str, pairs: tuple[tuple[str, str], ...]) -> str:
    expr = ref
    for old, new in pairs:
        expr = f"replace({expr}, {hcl_string(old)}, {hcl_string(new)})"
    return expr


VALKEY_CONF = Format(
    "valkey.conf",
    "valkey.conf (`requirepass`)",
    "written between double quotes and escaped by OpenTofu's replace(): \\ \" newline, carriage return and NUL "
    "become \\\\ \\\" \\n \\r \\x00, the escapes Valkey's config reader (sdssplitargs) understands",
    template='"${' + _replace_chain("{ref}", _VALKEY_ESCAPES) + '}"',
)

# OpenTofu's urlencode() is Go's url.QueryEscape (opentofu v1.10.10 internal/lang/funcs/encoding.go):
# every byte but A-Z a-z 0-9 - _ . ~ becomes %XX, and a space becomes "+", which a URL's userinfo
# would keep as a plus (decodeURIComponent, TypeORM, Node's url.parse): so "+" is turned into %20.
# A literal "+" is already %2B at that point.
URL_USERINFO = Format(
    "url-userinfo",
    "a URL's password (postgres://user:<password>@…, redis://:<password>@…)",
    'percent-encoded by OpenTofu, replace(urlencode(value), "+", "%20"): every byte but letters, digits and - _ . ~',
    template='${replace(urlencode({ref}), "+", "%20")}',
)

CLICKHOUSE_PASSWORD_HASH = Format(
    "clickhouse-sha256",
    "ClickHouse users.xml (`password_sha256_hex`)",
    "replaced by sha256(value), the lowercase hex digest of its UTF-8 bytes: no plaintext, nothing to escape",
    template="${sha256({ref})}",
)
INIT_JOB_TRIGGER = Format(
    "init-job-trigger",
    "the database init Job's re-run trigger",
    "replaced by sha256(value): a changed password re-runs the Job, and nothing secret is in its name",
    template="${sha256({ref})}",
)

# aws-sdk-go-v2 internal/ini v1.7.2 (the version velero-plugin-for-aws pins in go.mod, checked at
# its commit 800bcfb, Feb 2026), strings.go/tokenize.go: a value is cut at " #", " ;", "\t#", "\t;"
# (comments), trimmed of spaces, unquoted when it starts and ends with ' or ", and \" \' \n are
# rewritten; there is no escape for a backslash. Printable ASCII without space, quotes and backslash
# is the set that comes through unchanged.
INI_VALUE = Charset("printable ASCII except space, \" ' and \\", r"[!#-&(-\[\]-~]")
AWS_CREDENTIALS_INI = Format(
    "aws-credentials",
    "Velero's AWS credentials file (aws_access_key_id=… / aws_secret_access_key=…)",
    "written as is, and its reader (aws-sdk-go-v2 internal/ini v1.7.2) trims spaces, cuts \" #\" and \" ;\" "
    "comments, strips quotes and rewrites \\\" \\' \\n, with no escape for a backslash",
    charset=INI_VALUE,
)

URL_UNRESERVED = Charset("letters, digits and - . _ ~", r"[A-Za-z0-9._~-]")
SENTRY_CHART_REDIS_URL = Format(
    "sentry-chart-redis-url",
    "the Sentry chart's BROKER_URL and RELAY_REDIS_URL (redis://:$(password)@…)",
    "the chart splices it unencoded (sentry-kubernetes/charts sentry 25.20.0 templates/_helper.tpl and "
    "relay/deployment-relay.yaml, the last templates readable here; 33.4.0 is pinned)",
    charset=URL_UNRESERVED,
    ours=False,
)
NEXTCLOUD_SESSION_INI = Format(
    "nextcloud-session-ini",
    "the Nextcloud image's php.ini session.save_path = \"tcp://…?auth=<password>\"",
    "the image's entrypoint writes it unencoded (nextcloud/docker docker-entrypoint.sh); phpredis URL-decodes the "
    "query, and php.ini expands ${…} between double quotes",
    charset=URL_UNRESERVED,
    ours=False,
)
VISIBLE_ASCII = Charset("printable ASCII without space", r"[!-~]")
SNUBA_HTTP_HEADER = Format(
    "snuba-http-header",
    "Snuba's X-ClickHouse-Key HTTP header",
    "Python's http.client sends header values as Latin-1 and refuses line breaks, and servers drop surrounding "
    "spaces (getsentry/snuba snuba/clickhouse/http.py)",
    charset=VISIBLE_ASCII,
    ours=False,
)
NO_DOLLAR = Charset("characters other than $", r"[^$]")
GRAFANA_SETTING = Format(
    "grafana-setting",
    "Grafana's settings (GF_SECURITY_ADMIN_PASSWORD)",
    "Grafana replaces ${VAR}, $__env{…} and $__file{…} in every setting, environment overrides included "
    "(grafana/grafana pkg/setting/expanders.go)",
    charset=NO_DOLLAR,
    ours=False,
)

FORMATS: tuple[Format, ...] = (
    VALKEY_CONF, URL_USERINFO, CLICKHOUSE_PASSWORD_HASH, INIT_JOB_TRIGGER, AWS_CREDENTIALS_INI,
    SENTRY_CHART_REDIS_URL, NEXTCLOUD_SESSION_INI, SNUBA_HTTP_HEADER, GRAFANA_SETTING,
)

# zot checks htpasswd entries with bcrypt only (bcrypt.CompareHashAndPassword).
HTPASSWD = Pattern(r"([^:\n]+:\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}\n?)+",
                   "htpasswd lines user:$2y$… with bcrypt hashes (htpasswd -nbB user password)")
HTTP_URL = Pattern(r"https?://[!-~]+", "an http:// or https:// URL")
FAKE_BCRYPT = "$2y$05$" + "FAKE" + "0" * 49


# --------------------------------------------------------------------------------------------
# The catalog
# --------------------------------------------------------------------------------------------


def _valkey(app: str, *extra: Format) -> Secret:
    return Secret(f"{app}_valkey_password", f"Password of {app}'s private Valkey (random, 24+ characters).",
                  min_length=24, formats=(VALKEY_CONF, *extra))


def _db(app: str, engine: str, *extra: Format) -> Secret:
    return Secret(
        f"{app}_db_password",
        f"Password of the {engine} user of {app} (random, 16+ characters); the data layer creates the user and the "
        "app logs in with it.",
        min_length=16, formats=(INIT_JOB_TRIGGER, *extra),
    )


_WORDPRESS_KEYS = ("auth_key", "secure_auth_key", "logged_in_key", "nonce_key",
                   "auth_salt", "secure_auth_salt", "logged_in_salt", "nonce_salt")

_SECRETS: tuple[Secret, ...] = (
    Secret("state_passphrase",
           "Passphrase that encrypts OpenTofu state and plans at rest (32+ random characters recommended); never "
           "change it by just editing the value (docs/secrets.md).",
           # OpenTofu's pbkdf2 key provider refuses fewer than 16 bytes (v1.10.10
           # internal/encryption/keyprovider/pbkdf2/config_constants.go); 16 code points are >= 16 bytes.
           # Variable validation does not run before the encryption block is evaluated
           # (internal/configs/static_scope.go), so the wrapper's early check is what names it.
           min_length=16),
    # --- cluster (prod) ---
    Secret("do_token", "DigitalOcean API token of the cluster stack."),
    Secret("do_spaces_access_id", "Spaces access key ID the cluster stack creates and manages the buckets with."),
    Secret("do_spaces_secret_key", "Spaces secret key paired with do_spaces_access_id."),
    # --- infra ---
    Secret("external_dns_do_token", "DigitalOcean API token for external-dns (scope: domain read/write)."),
    Secret("minio_root_user", "Root user of MinIO, the dev object store; Velero uses it in dev (3+ characters).",
           min_length=3, formats=(AWS_CREDENTIALS_INI,)),  # MinIO: accessKeyMinLen = 3 (internal/auth/credentials.go)
    Secret("minio_root_password", "Root password of MinIO, the dev object store; Velero uses it in dev (8+ characters).",
           min_length=8, formats=(AWS_CREDENTIALS_INI,)),  # MinIO: secretKeyMinLen = 8
    Secret("velero_s3_access_key", "DigitalOcean Spaces access key Velero writes backups with.",
           formats=(AWS_CREDENTIALS_INI,)),
    Secret("velero_s3_secret_key", "DigitalOcean Spaces secret key Velero writes backups with.",
           formats=(AWS_CREDENTIALS_INI,)),
    Secret("velero_repository_password",
           "Password of Velero's kopia repositories (file-system backups; random, 16+ characters); never change it "
           "after the first backup.", min_length=16),
    # --- data ---
    Secret("postgres_root_password", "Superuser password of the shared Postgres server (random, 16+ characters).",
           min_length=16),
    Secret("mariadb_root_password", "Superuser password of the shared MariaDB server (random, 16+ characters).",
           min_length=16),
    _db("n8n", "Postgres"),
    _db("twenty", "Postgres", URL_USERINFO),
    _db("nextcloud", "Postgres"),
    _db("sentry", "Postgres"),
    _db("wordpress", "MariaDB"),
    # --- metrics ---
    Secret("grafana_admin_password", "Password of the Grafana admin (login: metrics.grafana.admin_user; 12+ characters).",
           min_length=12, formats=(GRAFANA_SETTING,)),
    Secret("alertmanager_webhook_url", "Webhook URL Alertmanager POSTs alerts to (as JSON).", pattern=HTTP_URL,
           example="https://FAKE.invalid/alertmanager_webhook_url"),
    Secret("alertmanager_slack_webhook_url", "Slack incoming-webhook URL Alertmanager posts alerts to.",
           pattern=HTTP_URL, example="https://FAKE.invalid/alertmanager_slack_webhook_url"),
    Secret("alertmanager_smtp_password", "Password of the SMTP account Alertmanager sends alert e-mails with."),
    # --- apps ---
    Secret("n8n_encryption_key",
           "n8n credentials encryption key (random, 32+ characters); never change it once set.", min_length=32),
    Secret("n8n_smtp_password", "Password of the SMTP user (apps.n8n.smtp.username) n8n sends mail with."),
    Secret("n8n_s3_access_key", "Spaces access key for n8n binary data (media bucket; Enterprise licence)."),
    Secret("n8n_s3_secret_key", "Spaces secret key for n8n binary data (media bucket; Enterprise licence)."),
    Secret("n8n_license_activation_key", "n8n Enterprise licence activation key (required by S3 binary data)."),
    _valkey("n8n"),
    Secret("twenty_app_secret", "Twenty APP_SECRET (random, 32+ characters, e.g. 32 bytes base64); never change it.",
           min_length=32),
    Secret("twenty_encryption_key",
           "Twenty ENCRYPTION_KEY for secrets at rest (random, 32+ characters, e.g. 32 bytes base64); never change it.",
           min_length=32),
    Secret("twenty_smtp_password", "Password of the SMTP account Twenty sends mail with."),
    _valkey("twenty", URL_USERINFO),
    Secret("nextcloud_admin_password", "Password of the first Nextcloud admin (12+ characters).", min_length=12),
    Secret("nextcloud_s3_access_key", "Access key of Nextcloud's S3 primary storage."),
    Secret("nextcloud_s3_secret_key", "Secret key of Nextcloud's S3 primary storage."),
    _valkey("nextcloud", NEXTCLOUD_SESSION_INI),
    Secret("registry_htpasswd", "Zot users: htpasswd lines with bcrypt hashes (htpasswd -nbB user password).",
           multiline=True, pattern=HTPASSWD, example=f"FAKE:{FAKE_BCRYPT}\n"),
    Secret("analytics_admin_password",
           "Password of the Vince admin (apps.analytics.admin_name; 12+ characters); applied at each restart.",
           min_length=12),
    *(Secret(f"wordpress_{key}",
             f"WordPress {key.upper()} (random, 32+ characters, 64 recommended); changing it logs every user out.",
             min_length=32) for key in _WORDPRESS_KEYS),
    Secret("wordpress_smtp_password", "Password of the SMTP user (apps.wordpress.smtp.username) WordPress sends mail with."),
    Secret("wordpress_s3_access_key", "Spaces access key for the WordPress media offload (media bucket)."),
    Secret("wordpress_s3_secret_key", "Spaces secret key for the WordPress media offload (media bucket)."),
    Secret("sentry_admin_password", "Password of the first Sentry superuser (12+ characters).", min_length=12),
    Secret("sentry_secret_key", "Sentry system.secret-key (random, 50+ characters); never change it.", min_length=50),
    Secret("sentry_clickhouse_password",
           "Password of the ClickHouse 'default' user Sentry/Snuba uses (random, 16+ characters).",
           min_length=16, formats=(CLICKHOUSE_PASSWORD_HASH, SNUBA_HTTP_HEADER)),
    _valkey("sentry", SENTRY_CHART_REDIS_URL),
)

CATALOG: dict[str, Secret] = {s.name: s for s in _SECRETS}
if len(CATALOG) != len(_SECRETS):  # pragma: no cover - a typo in the table above
    raise ValueError("secret_catalog: a secret is listed twice")


def lookup(name: str) -> Secret:
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(
            f"secret {name!r} is not in platform_constructs/secret_catalog.py: add it there (one description, "
            "its rules and the formats its value is written into)"
        ) from None


def check(values: dict[str, str]) -> Iterator[str]:
    """Every problem of the catalogued values, in name order (names not in the catalog are skipped)."""
    for name in sorted(values):
        if name in CATALOG:
            yield from CATALOG[name].problems(values[name])
