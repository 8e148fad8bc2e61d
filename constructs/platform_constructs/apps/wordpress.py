"""WordPress at ``config.host("wordpress")`` (the apex ``<root_domain>``).

* official ``wordpress:<tag>-apache`` image as a plain Deployment (every popular chart is
  Bitnami's); one replica, ``Recreate``, because ``wp-content`` is a ReadWriteOnce PVC;
* only ``wp-content`` (plugins, themes, uploads) is persistent: the web root is an ``emptyDir``
  the image's entrypoint fills from ``/usr/src/wordpress`` on every start, so the core version
  always equals the image tag (core auto-updates are off for that reason);
* non-root: Apache runs as uid 33 (www-data) with no capability at all. It still listens on
  port 80, allowed by the namespaced safe sysctl ``net.ipv4.ip_unprivileged_port_start=80`` (PSA
  "restricted" permits it); no upstream config file is shadowed, so image upgrades keep theirs;
* MariaDB from the data layer (``data/catalog.py``); the DB password and the 8 auth keys/salts come
  from sensitive variables through the Secret ``wordpress-secrets`` (stable keys: a restart no
  longer logs everybody out);
* optional SMTP (WP Mail SMTP plugin constants) and S3 media offload (WP Offload Media
  constants) in ``WORDPRESS_CONFIG_EXTRA``; their secrets are read with ``getenv()`` from the
  Secret, never written into that plain env value;
* its own Velero schedule (namespace incl. the ``wp-content`` volume; the database is backed up by
  the data layer).

Secrets, ConfigMaps, Services and PVCs come from the shared helpers in ``apps/common``.
"""

from __future__ import annotations

from constructs import Construct

from envs import PlatformConfig
from platform_constructs.apps.common.objects import config_map, public_url, secret, smtp_ports
from platform_constructs.apps.common.service import cluster_service
from platform_constructs.apps.common.storage import block_pvc
from platform_constructs.base.backup import backup_schedule
from platform_constructs.base.buckets import media_bucket, s3_region
from platform_constructs.base.ingress import BodyLimit, MiB, Route, public_ingress
from platform_constructs.base.network import allow_from_ingress, allow_internet
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.workload import (
    ClaimVolume,
    ConfigMapVolume,
    Container,
    EmptyDir,
    Pod,
    Probe,
    SecretEnv,
    deployment,
)
from platform_constructs.data.access import allow_to_database
from platform_constructs.data.catalog import database_for
from platform_constructs.infra.traefik import allow_public_hostnames
from platform_constructs.versions import IMAGES


def php_string(value: str) -> str:
    """A single-quoted PHP literal (config values are typed, but never trust interpolation)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# --- WordPress ------------------------------------------------------------------------------------

NAME = "wordpress"
HTTP_PORT = 80
WWW_DATA = 33  # uid/gid of www-data in the official image
SECRET_NAME = "wordpress-secrets"  # noqa: S105 - a Secret object's name
PHP_CONF_DIR = "/etc/php-platform"
AUTH_KEYS = (
    "AUTH_KEY",
    "SECURE_AUTH_KEY",
    "LOGGED_IN_KEY",
    "NONCE_KEY",
    "AUTH_SALT",
    "SECURE_AUTH_SALT",
    "LOGGED_IN_SALT",
    "NONCE_SALT",
)


def config_extra(config: PlatformConfig) -> str:
    """PHP for ``WORDPRESS_CONFIG_EXTRA`` (eval'd by the image's wp-config.php): no secret inside."""
    settings = config.apps.wordpress
    url = public_url(config, config.host(NAME))
    lines = [
        f"define('WP_HOME', {php_string(url)});",
        f"define('WP_SITEURL', {php_string(url)});",
        # Core comes from the image tag; an in-place core update would vanish at the next restart.
        "define('WP_AUTO_UPDATE_CORE', false);",
    ]
    if config.infra.ingress.tls:
        lines.append("define('FORCE_SSL_ADMIN', true);")
    smtp = settings.smtp
    if smtp is not None:
        lines += [
            "define('WPMS_ON', true);",
            "define('WPMS_MAILER', 'smtp');",
            f"define('WPMS_SMTP_HOST', {php_string(smtp.host)});",
            f"define('WPMS_SMTP_PORT', {smtp.port});",
            f"define('WPMS_SSL', {php_string({'starttls': 'tls', 'tls': 'ssl', 'none': ''}[smtp.security])});",
            f"define('WPMS_SMTP_AUTOTLS', {'true' if smtp.security != 'none' else 'false'});",
            "define('WPMS_SMTP_AUTH', true);",
            f"define('WPMS_SMTP_USER', {php_string(smtp.username)});",
            "define('WPMS_SMTP_PASS', getenv('WORDPRESS_SMTP_PASSWORD'));",
            f"define('WPMS_MAIL_FROM', {php_string(smtp.from_address)});",
            "define('WPMS_MAIL_FROM_FORCE', true);",
            f"define('WPMS_MAIL_FROM_NAME', {php_string(smtp.from_name or config.root_domain)});",
        ]
    if settings.s3_offload:
        lines.append(
            "define('AS3CF_SETTINGS', serialize(array("
            "'provider' => 'do', "
            "'access-key-id' => getenv('WORDPRESS_S3_ACCESS_KEY_ID'), "
            "'secret-access-key' => getenv('WORDPRESS_S3_SECRET_ACCESS_KEY'), "
            f"'bucket' => {php_string(media_bucket(config))}, "
            f"'region' => {php_string(s3_region(config))}, "
            "'copy-to-s3' => true, 'serve-from-s3' => true, "
            f"'enable-object-prefix' => true, 'object-prefix' => {php_string(NAME + '/')})));"
        )
    return "\n".join(lines) + "\n"


def php_ini(config: PlatformConfig) -> str:
    size = config.apps.wordpress.upload_max_mb
    return f"upload_max_filesize = {size}M\npost_max_size = {size}M\nmax_execution_time = 120\nexpose_php = Off\n"


class Wordpress(Construct):
    """WordPress in namespace ``namespace`` (see the module docstring)."""

    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str) -> None:
        super().__init__(scope, id_)
        settings = config.apps.wordpress
        if settings.s3_offload and config.infra.backups.target != "spaces":
            raise ValueError(
                "apps.wordpress.s3_offload: media offload serves files from a public bucket URL, which only "
                "Spaces provides (backups.target = 'spaces'); the in-cluster MinIO is not reachable by browsers. "
                "Turn s3_offload off in this environment."
            )
        stack = LayerStack.of(self)
        db = database_for(NAME)

        secrets: dict[str, str] = {
            "WORDPRESS_DB_PASSWORD": stack.secret(db.password_variable),
        }
        for key in AUTH_KEYS:
            secrets[f"WORDPRESS_{key}"] = stack.secret(f"wordpress_{key.lower()}")
        if settings.smtp is not None:
            secrets["WORDPRESS_SMTP_PASSWORD"] = stack.secret("wordpress_smtp_password")
        if settings.s3_offload:
            secrets["WORDPRESS_S3_ACCESS_KEY_ID"] = stack.secret("wordpress_s3_access_key")
            secrets["WORDPRESS_S3_SECRET_ACCESS_KEY"] = stack.secret("wordpress_s3_secret_key")
        secret(self, "secret", name=SECRET_NAME, namespace=namespace, data=secrets)
        config_map(self, "php_config", name="wordpress-php", namespace=namespace, data={"platform.ini": php_ini(config)})
        block_pvc(self, "content", config=config, name="wordpress-content", namespace=namespace, size=settings.storage, app=NAME)

        container = Container(
            name=NAME,
            image=IMAGES["wordpress"],
            memory_request=settings.memory_request,
            memory_limit=settings.memory_limit,
            cpu_request=settings.cpu_request,
            ports={"http": HTTP_PORT},
            env={
                "WORDPRESS_DB_HOST": f"{db.engine.host}:{db.engine.port}",
                "WORDPRESS_DB_NAME": db.database,
                "WORDPRESS_DB_USER": db.user,
                "WORDPRESS_TABLE_PREFIX": "wp_",
                "WORDPRESS_CONFIG_EXTRA": config_extra(config),
                # A leading ':' keeps the image's conf.d (extensions, opcache) and adds ours.
                "PHP_INI_SCAN_DIR": f":{PHP_CONF_DIR}",
            },
            secret_env={name: SecretEnv(SECRET_NAME, name) for name in sorted(secrets)},
            mounts={
                "html": "/var/www/html",
                "content": "/var/www/html/wp-content",
                "apache-run": "/var/run/apache2",
                "apache-lock": "/var/lock/apache2",
                "tmp": "/tmp",
                "php-config": PHP_CONF_DIR,
            },
            # Static file: Apache alive, no database round-trip.
            liveness=Probe(port=HTTP_PORT, path="/wp-includes/images/blank.gif", initial_delay_seconds=30),
            # PHP + database: 500 while MariaDB is unreachable (a redirect to the installer counts as ready).
            readiness=Probe(port=HTTP_PORT, path="/wp-login.php", initial_delay_seconds=15, timeout_seconds=10),
        )
        pod = Pod(
            containers=[container],
            volumes=[
                EmptyDir("html", "512Mi"),
                ClaimVolume("content", "wordpress-content"),
                EmptyDir("apache-run", "16Mi", medium="Memory"),
                EmptyDir("apache-lock", "16Mi", medium="Memory"),
                EmptyDir("tmp", f"{max(256, 2 * settings.upload_max_mb)}Mi"),
                ConfigMapVolume("php-config", "wordpress-php"),
            ],
            run_as_user=WWW_DATA,
            fs_group=WWW_DATA,
            # Non-root Apache binds :80 through this namespaced, PSA-allowed sysctl (no capability needed).
            sysctls={"net.ipv4.ip_unprivileged_port_start": str(HTTP_PORT)},
        )
        deployment(self, "deployment", name=NAME, namespace=namespace, pod=pod, recreate=True)
        cluster_service(self, "service", name=NAME, namespace=namespace, app=NAME, ports={"http": HTTP_PORT})

        public_ingress(
            self,
            "ingress",
            config=config,
            name=NAME,
            namespace=namespace,
            routes=[Route(host=config.host(NAME), service=NAME, port=HTTP_PORT)],
            # PHP's upload_max_filesize = post_max_size bound every body (php_ini above).
            body_limit=BodyLimit(settings.upload_max_mb * MiB, "apps.wordpress.upload_max_mb"),
        )

        allow_from_ingress(self, "netpol_from_ingress", namespace=namespace, app=NAME, ports=[HTTP_PORT])
        allow_to_database(self, "netpol_to_mariadb", db=db, namespace=namespace, pods=NAME)
        # Plugin/theme updates and remote APIs (443), the SMTP relay, Spaces for the offload (443).
        allow_internet(self, "netpol_to_internet", namespace=namespace, app=NAME, ports=[443, *smtp_ports(settings.smtp)])
        # Loopback requests (wp-cron, Site Health, the REST API) go to https://<root_domain> itself.
        allow_public_hostnames(self, "netpol_loopback", config=config, namespace=namespace, app=NAME, ports=[443])

        backup_schedule(
            self,
            "backup",
            config=config,
            name=f"{NAME}-daily",
            namespaces=[NAME],
            schedule=settings.backup_schedule,
        )
