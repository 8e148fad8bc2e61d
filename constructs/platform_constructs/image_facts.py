"""What each image we run without a chart needs at its pinned tag (``versions.IMAGES``), as data.

One ``ImageFacts`` per image: the user it runs as, every path it writes (at start and while it
runs), the ports it listens on, the executables our commands, probes and scripts call, the
variables it deprecates, and where the pinned tag was confirmed to exist. Each fact carries the
upstream source it was read from (repository or package, path, tag or commit). A ``ref`` that is
not the pinned tag says so: the fact was read at that revision and the pinned tag changes none
of it (same template / same file), or it comes from the package published for the tag.

``tests/foundation/test_image_facts.py`` holds every workload of the synthesized JSON to these
records: with a read-only root each written path is a mounted volume (a sub-directory where the
image refuses a volume root), the effective uid is the image's, every tool our commands call is
in the image, no deprecated variable is set, and an image without a record fails, naming it.

Paths may start with ``$VAR``: the container's plain env value, else ``env_defaults``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Source:
    """Where a fact was read: ``repo`` (GitHub ``owner/name``, or ``npm:<package>`` / ``maven:<artifact>``)."""

    repo: str
    path: str
    ref: str


@dataclass(frozen=True)
class Write:
    """A path the image writes; ``when``: at start (entrypoint, first boot) or while it runs."""

    path: str
    why: str
    source: Source
    when: Literal["start", "run"] = "start"
    sub_directory: bool = False
    """The image refuses the root of a fresh block volume (``lost+found``): the path must sit below its mount."""
    memory_at_least: str | None = None
    """Must be a memory-backed volume of at least this size, even on a writable root (e.g. ``/dev/shm``)."""
    only_if_set: bool = False
    """A ``$VAR`` path written only by the commands that set VAR (they refuse to start without it, e.g. the
    restore drill's ``$SCRATCH_DIR``): checked where the container sets VAR, skipped where it does not."""


@dataclass(frozen=True)
class Tools:
    """Executables of the image our commands call, with the source that shows they are in it."""

    names: frozenset[str]
    source: Source


@dataclass(frozen=True)
class ImageFacts:
    uid: int | None
    """The image's user; ``None``: the image sets none (FROM scratch / distroless), any non-root uid works."""
    uid_source: Source
    writes: tuple[Write, ...]
    ports: tuple[int | str, ...]
    """Listening ports: a number, ``$VAR`` (env, else ``env_defaults``) or ``arg:--flag`` (value after the flag)."""
    tools: frozenset[str]
    """Executables present in the image that our commands, probes and scripts call."""
    tools_source: Source
    pin_confirmed: str
    """Where the pinned tag was confirmed to exist (upstream release data or public pulls of it)."""
    env_defaults: dict[str, str] = field(default_factory=dict)
    read_only_root: bool = True
    """False: the image cannot start on a read-only root (a posture waiver in ``waivers.py`` says why)."""
    deprecated_env: frozenset[str] = frozenset()
    deprecated_source: Source | None = None
    command_writes: tuple[Write, ...] | None = None
    """What it writes when our ``command`` replaces its entrypoint with a client script (init Jobs); None: ``writes``."""
    privileged_port_sysctl: bool = False
    """Listens below 1024 as non-root: the pod needs ``net.ipv4.ip_unprivileged_port_start`` at most that port."""
    more_tools: tuple[Tools, ...] = ()
    """Further executables, each group with its own source (base-image packages, the image's entrypoint)."""

    @property
    def all_tools(self) -> frozenset[str]:
        return self.tools.union(*(group.names for group in self.more_tools))


# --- sources read -------------------------------------------------------------------------------

_N8N_NPM = "npm:n8n"  # the package the n8nio/n8n image installs, at the image's version
_N8N = "2.35.7"
_CRS = Source("coreruleset/modsecurity-crs-docker", "nginx/Dockerfile", "release/20260716")
_CRS_SCRIPTS = "coreruleset/modsecurity-crs-docker"
_PG = Source("docker-library/postgres", "17/bookworm/Dockerfile", "6edb0a8c (17.9; 17.10 only bumps PG_VERSION)")
_PG_ENTRY = Source("docker-library/postgres", "17/bookworm/docker-entrypoint.sh", "6edb0a8c")
_MARIADB_DOCKER = "MariaDB/mariadb-docker"  # the source of the official mariadb image (docker-library/mariadb stops at 10.7)
_MARIADB_REF = "stored copy 1b6429b (11.8.8; 11.8.9 bumps MARIADB_VERSION only)"
_MARIADB = Source(
    _MARIADB_DOCKER,
    "11.8/Dockerfile (groupadd -r mysql, useradd -r: the first system ids of ubuntu:noble, 999 in the published "
    "image's layer history, repo-info)",
    _MARIADB_REF,
)
# The restore drill (data/scripts/*-drill.sh) starts a scratch server in the pod: every path it and the
# server write is below SCRATCH_DIR (data dir, socket and lock file, pid file, logs; MariaDB's tmpdir for
# temporary tables and index sorts too, not the pod's small /tmp), plus /dev/shm (PostgreSQL dynamic
# shared memory, the runtime's tmpfs). Observed with strace -f over tests/data/test_restore_drill.py
# (the drill as synthesized, on Debian's PostgreSQL 15.18 and MariaDB 10.11.19, HOME unwritable).
_DRILL_PG = Source(
    "postgres/postgres",
    "initdb --pgdata, pg_ctl --log, unix_socket_directories (the socket and its .s.PGSQL.<port>.lock: "
    "doc/src/sgml/config.sgml); paths set by data/scripts/postgres-drill.sh",
    "documented since REL9_0; observed on 15.18 (strace, above)",
)
_DRILL_MARIADB = Source(
    "MariaDB/server",
    "mariadb-install-db --datadir, mariadbd --datadir --socket --tmpdir --pid-file --log-error; "
    "paths set by data/scripts/mariadb-drill.sh",
    "observed on 10.11.19 (strace, above)",
)
# Base-image packages. Debian marks coreutils, findutils and grep "Essential: yes" (always installed,
# debian:bookworm-slim too; checked on Debian 12 with dpkg-query -W -f='${Essential}' and dpkg -S for each
# tool: coreutils 9.1-1, findutils 4.9.0-4, grep 3.8-5); Ubuntu keeps Debian's Essential set
# (documentation.ubuntu.com/security/common-mistakes/unnecessary-packages), and both images' own build
# steps and entrypoints run these tools (cited below).
_COREUTILS_PG = Tools(
    frozenset({"cat", "cut", "date", "df", "du", "ln", "mkdir", "mv", "readlink", "rm", "sleep", "tail"}),
    Source("deb:coreutils", "Essential: yes, in debian:bookworm-slim (FROM of 17/bookworm/Dockerfile)", "bookworm 9.1-1"),
)
_FIND_GREP_PG = Tools(
    frozenset({"find", "grep"}),
    Source("docker-library/postgres", "17/bookworm/Dockerfile (its RUN steps call find and grep; findutils, grep: "
           "Essential packages of Debian)", "6edb0a8c"),
)
_COREUTILS_MARIADB = Tools(
    frozenset({"cat", "cut", "date", "df", "du", "id", "ln", "mkdir", "mv", "od", "readlink", "rm", "seq", "sha1sum",
               "sleep", "tail", "tr"}),
    Source("deb:coreutils", "Essential: yes in ubuntu:noble, FROM of 11.8/Dockerfile; its docker-entrypoint.sh "
           "calls date, id and rm from it", "noble"),
)
_FIND_GREP_MARIADB = Tools(
    frozenset({"find", "grep"}),
    Source(_MARIADB_DOCKER, "11.8/Dockerfile (its RUN step pipes find into grep; findutils, grep: Essential)", _MARIADB_REF),
)
_KAFKA_IMAGE = Source("apache/kafka", "docker/jvm/Dockerfile", "stored copy 120d52df (4.x docker/ layout)")
_KAFKA_SCRIPTS = Source("apache/kafka", "docker/resources/common-scripts/configure", "stored copy 07030568")
_TWENTY = Source(
    "twentyhq/twenty", "packages/twenty-docker/twenty/Dockerfile", "stored copy 00c31a5b (USER 1000, node:24-alpine)"
)
_VALKEY = Source("valkey-io/valkey-container", "Dockerfile.template", "stored copy (alpine: adduser -u 999 valkey)")

IMAGE_FACTS: dict[str, ImageFacts] = {
    "n8n": ImageFacts(
        uid=1000,
        uid_source=Source("n8n-io/n8n", "docker/images/n8n/Dockerfile (USER node of node:alpine)", f"n8n@{_N8N}"),
        env_defaults={"HOME": "/home/node"},
        writes=(
            Write(
                "$HOME/.n8n",
                "user folder: settings file (config), crash journal, community nodes",
                Source("npm:@n8n/config", "dist/utils/utils.js getN8nFolder", "2.33.4"),
            ),
            Write(
                "$HOME/.cache/n8n/public",
                "main process: generateStaticAssets() writes the editor's index.html/js/css, "
                "no error handling (worker and webhook read the same instance settings)",
                Source(
                    _N8N_NPM,
                    "dist/commands/start.js generateStaticAssets; n8n-core dist/instance-settings/"
                    "instance-settings.js:34 staticCacheDir = userHome/.cache/n8n/public",
                    _N8N,
                ),
            ),
            Write(
                "/tmp",
                "npm cache of community-node installs (npm_config_cache), temp files",
                Source(_N8N_NPM, "dist/", _N8N),
                when="run",
            ),
        ),
        ports=("$N8N_PORT",),
        tools=frozenset({"node", "n8n", "sh"}),
        tools_source=Source("n8n-io/n8n", "docker/images/n8n/Dockerfile", f"n8n@{_N8N}"),
        pin_confirmed="npm registry: n8n@2.35.7 published (the image's release); public pulls of "
        "docker.n8n.io/n8nio/n8n:2.35.7 with digest sha256:166d7e3c…",
        deprecated_env=frozenset(
            {
                "WEBHOOK_URL",
                "N8N_AVAILABLE_BINARY_DATA_MODES",
                "N8N_BINARY_DATA_STORAGE_PATH",
                "N8N_BINARY_DATA_TTL",
                "N8N_PERSISTED_BINARY_DATA_TTL",
                "EXECUTIONS_DATA_PRUNE_TIMEOUT",
                "N8N_CONFIG_FILES",
                "N8N_RUNNERS_ENABLED",
                "N8N_SKIP_WEBHOOK_DEREGISTRATION_SHUTDOWN",
                "N8N_EXPRESSION_EVALUATOR",
                "N8N_EXPRESSION_REPORT_DIFFERENCE",
                "EXECUTIONS_PROCESS",
            }
        ),
        deprecated_source=Source(
            _N8N_NPM,
            "dist/deprecation/deprecation.service.js (OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS warns only when NOT 'true')",
            _N8N,
        ),
    ),
    "twenty": ImageFacts(
        uid=1000,
        uid_source=_TWENTY,
        env_defaults={"HOME": "/home/node", "STORAGE_LOCAL_PATH": "/app/packages/twenty-server/.local-storage"},
        writes=(
            Write("$STORAGE_LOCAL_PATH", "local file storage: attachments, avatars, workspace logos", _TWENTY, when="run"),
            Write("$HOME", "yarn and node caches of `yarn worker:prod` / the entrypoint's yarn commands", _TWENTY),
            Write("/tmp", "temp files (uploads being processed)", _TWENTY, when="run"),
        ),
        ports=("$NODE_PORT",),
        tools=frozenset({"node", "yarn", "sh", "true"}),
        tools_source=_TWENTY,
        pin_confirmed="public deployments of twentycrm/twenty:v2.45.6 with digest sha256:dca6d829… (image pulled and run)",
    ),
    "valkey": ImageFacts(
        uid=999,
        uid_source=_VALKEY,
        writes=(Write("/data", "working directory: AOF / RDB files", _VALKEY, when="run"),),
        ports=(6379,),
        tools=frozenset({"valkey-server", "valkey-cli", "sh", "grep"}),
        tools_source=_VALKEY,
        pin_confirmed="public pulls of valkey/valkey:9.1.1-alpine by digest (sha256:ee91f7a1…, sha256:de319108…)",
    ),
    "kafka": ImageFacts(
        uid=1000,
        uid_source=Source("apache/kafka", "docker/jvm/Dockerfile (adduser appuser, first alpine uid)", _KAFKA_IMAGE.ref),
        writes=(
            Write("/opt/kafka/config", "configure renders server.properties and copies log4j files", _KAFKA_SCRIPTS),
            Write(
                "$KAFKA_LOG_DIRS",
                "the log directory: LogManager.loadLogs parses every sub-directory as "
                "<topic>-<partition> and throws on lost+found",
                Source(
                    "maven:org.apache.kafka:kafka_2.13 + kafka-storage sources",
                    "kafka/log/LogManager.scala loadLogs; storage/internals/log/LocalLog.java parseTopicPartitionName",
                    "4.1.1",
                ),
                when="run",
                sub_directory=True,
            ),
        ),
        ports=(9092, 9093),
        tools=frozenset({"bash"}),
        tools_source=_KAFKA_IMAGE,
        read_only_root=False,
        pin_confirmed="Maven Central org.apache.kafka:kafka_2.13:4.1.1 (the release); Apache Kafka quickstart docs "
        "`docker pull apache/kafka:4.1.1`",
    ),
    "clickhouse": ImageFacts(
        uid=101,
        uid_source=Source(
            "ClickHouse/ClickHouse", "docker/server/Dockerfile.ubuntu (clickhouse uid/gid 101)", "stored copy 503a9f31"
        ),
        writes=(
            Write(
                "/var/lib/clickhouse",
                "path, tmp_path, user_files, format_schemas, preprocessed_configs",
                Source("ClickHouse/ClickHouse", "docker/server/entrypoint.sh (mkdir of every configured dir)", "stored 00b7432b"),
            ),
            Write(
                "/var/log/clickhouse-server",
                "logger.log directory, created by the entrypoint even with console logging",
                Source("ClickHouse/ClickHouse", "docker/server/entrypoint.sh LOG_DIR", "stored 00b7432b"),
            ),
            Write(
                "/tmp",
                "temp files",
                Source("ClickHouse/ClickHouse", "docker/server/entrypoint.sh", "stored 00b7432b"),
                when="run",
            ),
        ),
        ports=(8123, 9000),
        tools=frozenset(),
        tools_source=Source("ClickHouse/ClickHouse", "docker/server/Dockerfile.ubuntu", "stored copy 503a9f31"),
        pin_confirmed="getsentry/self-hosted docker-compose.yml and install/upgrade-clickhouse.sh at 89a143f8 (2026-08-21) "
        "pin altinity/clickhouse-server:25.8.28.10001.altinitystable",
    ),
    "postgres": ImageFacts(
        uid=999,
        uid_source=_PG,
        env_defaults={"PGDATA": "/var/lib/postgresql/data"},
        writes=(
            Write(
                "$PGDATA",
                "data directory; initdb refuses a non-empty directory (lost+found of a block volume)",
                _PG_ENTRY,
                sub_directory=True,
            ),
            Write("/var/run/postgresql", "unix socket and lock file", _PG),
            Write("/tmp", "bash here-documents of our init script, psql temp files", _PG_ENTRY, when="run"),
            Write(
                "/dev/shm",
                "dynamic shared memory (parallel query, dynamic_shared_memory_type=posix); the runtime default is 64 MiB",
                Source("postgres/postgres", "src/backend/utils/misc/postgresql.conf.sample", "REL_17_10"),
                when="run",
                memory_at_least="256Mi",
            ),
        ),
        ports=(5432,),
        command_writes=(
            Write("/tmp", "bash here-documents of our init script", _PG_ENTRY, when="run"),
            Write("$SCRATCH_DIR", "restore drill: the scratch server's data directory, socket and lock file, logs", _DRILL_PG,
                  when="run", only_if_set=True),
        ),
        tools=frozenset({"bash", "postgres", "pg_isready", "psql", "pg_dump", "pg_dumpall"}),
        tools_source=_PG,
        more_tools=(
            # PATH has /usr/lib/postgresql/17/bin (Dockerfile ENV PATH); the entrypoint runs initdb and pg_ctl
            # from it (docker_init_database_dir, docker_temp_server_start).
            Tools(frozenset({"initdb", "pg_ctl"}), _PG_ENTRY),
            # postgresql-client-17 (a dependency of postgresql-17) ships pg_restore beside pg_dump and psql in
            # /usr/lib/postgresql/17/bin (same layout as Debian's postgresql-client-15 here: dpkg -L).
            Tools(frozenset({"pg_restore"}), Source("deb:postgresql-client-17", "/usr/lib/postgresql/17/bin/pg_restore",
                                                   "apt.postgresql.org bookworm-pgdg 17.10-1.pgdg12+1")),
            _COREUTILS_PG,
            _FIND_GREP_PG,
        ),
        pin_confirmed="public pulls of postgres:17.10-bookworm by digest (sha256:9b18b783…, sha256:17b6c778…; "
        "server reports 17.10 (Debian 17.10-1.pgdg12+1))",
    ),
    "mariadb": ImageFacts(
        uid=999,
        uid_source=_MARIADB,
        writes=(
            Write(
                "/var/lib/mysql/data",
                "datadir (--datadir): a sub-directory, the PVC root keeps dumps/ and lost+found",
                _MARIADB,
                sub_directory=True,
            ),
            Write("/run/mysqld", "socket and pid file", _MARIADB),
            Write("/tmp", "server tmpdir: internal temporary tables, filesort (observed with strace, see the drill)",
                  _DRILL_MARIADB, when="run"),
        ),
        ports=(3306,),
        command_writes=(
            Write("/tmp", "bash here-documents of our init script", _MARIADB,
                  when="run"),
            Write("$SCRATCH_DIR", "restore drill: the scratch server's datadir, tmpdir, socket, pid file and logs",
                  _DRILL_MARIADB, when="run", only_if_set=True),
        ),
        tools=frozenset({"bash", "mariadbd", "mariadb", "mariadb-dump", "mariadb-admin"}),
        tools_source=Source(_MARIADB_DOCKER, "11.8/Dockerfile (11.x ships mariadb* binaries, no mysql* names)", _MARIADB_REF),
        more_tools=(
            # mariadb-server (installed by the Dockerfile); the entrypoint runs it (docker_init_database_dir).
            Tools(frozenset({"mariadb-install-db"}), Source(_MARIADB_DOCKER, "11.8/docker-entrypoint.sh", _MARIADB_REF)),
            _COREUTILS_MARIADB,
            _FIND_GREP_MARIADB,
        ),
        pin_confirmed="public pulls of docker.io/library/mariadb:11.8.9 by digest (sha256:de4cf325…); "
        "11.8.9-noble/-ubi9 variants",
    ),
    "wordpress": ImageFacts(
        uid=33,
        uid_source=Source(
            "docker-library/wordpress", "latest/php8.3/apache/Dockerfile (www-data)", "90eed6a6 (Update latest to 7.0.2)"
        ),
        writes=(
            Write(
                "/var/www/html",
                "the entrypoint copies /usr/src/wordpress into the web root at every start",
                Source("docker-library/wordpress", "docker-entrypoint.sh", "90eed6a6"),
            ),
            Write("/var/run/apache2", "APACHE_RUN_DIR: pid file", Source("docker-library/php", "apache Dockerfile", "php 8.3")),
            Write("/var/lock/apache2", "APACHE_LOCK_DIR", Source("docker-library/php", "apache Dockerfile", "php 8.3")),
            Write("/tmp", "PHP uploads and sessions", Source("docker-library/php", "php.ini defaults", "php 8.3"), when="run"),
        ),
        ports=(80,),
        privileged_port_sysctl=True,
        tools=frozenset({"bash", "apache2-foreground"}),
        tools_source=Source("docker-library/wordpress", "latest/php8.3/apache/Dockerfile", "90eed6a6"),
        pin_confirmed="docker-library/wordpress versions.json commit 90eed6a6 (2026-07-17, 'Update latest to 7.0.2')",
    ),
    "zot": ImageFacts(
        uid=None,
        uid_source=Source("project-zot/zot", "build/Dockerfile (distroless base, no USER)", "v2.1.18"),
        writes=(
            Write(
                "/var/lib/registry",
                "storage.rootDirectory (blobs, uploads, BoltDB cache)",
                Source("project-zot/zot", "build/Dockerfile default config.json", "v2.1.18"),
                when="run",
            ),
            Write("/tmp", "temp files", Source("project-zot/zot", "build/Dockerfile", "v2.1.18"), when="run"),
        ),
        ports=(5000,),
        tools=frozenset({"zot"}),
        tools_source=Source("project-zot/zot", "build/Dockerfile", "v2.1.18"),
        pin_confirmed="project-zot/zot tag v2.1.18 (7bb211bc, 2026-06-24)",
    ),
    "vince": ImageFacts(
        uid=None,
        uid_source=Source("vinceanalytics/vince", "vince.Dockerfile (FROM scratch)", "v1.11.8"),
        env_defaults={"VINCE_DATA": "/vince-data"},
        writes=(
            Write(
                "$VINCE_DATA",
                "embedded Pebble database",
                Source("vinceanalytics/vince", "internal/cmd/run.go", "v1.11.8"),
                when="run",
            ),
        ),
        ports=(8080,),
        tools=frozenset({"vince"}),
        tools_source=Source("vinceanalytics/vince", "vince.Dockerfile", "v1.11.8"),
        pin_confirmed="vinceanalytics/vince tag v1.11.8 (fc06f7a2, 2025-09-01); its .goreleaser.yaml publishes "
        "ghcr.io/vinceanalytics/vince:{{.Tag}}",
    ),
    "minio": ImageFacts(
        uid=None,
        uid_source=Source("minio/minio", "Dockerfile.release (no USER)", "stored copy 0031b120"),
        writes=(
            Write(
                "/data",
                "the export directory (server argument)",
                Source("minio/minio", "Dockerfile.release VOLUME", "0031b120"),
                when="run",
            ),
            Write(
                "/tmp",
                "--certs-dir /tmp/certs (default $HOME/.minio/certs) and temp files",
                Source("minio/minio", "cmd/common-main.go certs dir", "0031b120"),
            ),
        ),
        ports=(9000, 9001),
        tools=frozenset({"minio"}),
        tools_source=Source("minio/minio", "Dockerfile.release", "0031b120"),
        pin_confirmed="public pulls of quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z (last multi-arch release; "
        "the docker.io repository is deleted)",
    ),
    "minio-mc": ImageFacts(
        uid=None,
        uid_source=Source("minio/mc", "Dockerfile.release (no USER)", "stored copy 1ad95163"),
        writes=(
            Write("$MC_CONFIG_DIR", "aliases (default ~/.mc)", Source("minio/mc", "cmd/config.go", "1ad95163")),
            Write("/tmp", "our ready marker", Source("minio/mc", "Dockerfile.release", "1ad95163"), when="run"),
        ),
        env_defaults={"MC_CONFIG_DIR": "/root/.mc"},
        ports=(),
        tools=frozenset({"sh", "mc", "sleep", "touch", "test"}),
        tools_source=Source("minio/mc", "Dockerfile.release (a shell base image: sh and coreutils)", "1ad95163"),
        pin_confirmed="quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z: the minio chart 5.4.0 default mcImage; public pulls of it",
    ),
    "modsecurity-crs": ImageFacts(
        uid=101,
        uid_source=Source("nginxinc/docker-nginx-unprivileged", "Dockerfile (nginx uid/gid 101)", "1.30.4"),
        writes=(
            Write(
                "/etc/nginx",
                "20-envsubst-on-templates renders nginx.conf, conf.d/, includes/, modsecurity.d/ into "
                "NGINX_ENVSUBST_OUTPUT_DIR=/etc/nginx; 91/92/93-*.sh edit them with sed -i; 10-generate-certificate "
                "writes conf/server.{key,crt}",
                _CRS,
            ),
            Write(
                "/etc/modsecurity.d",
                "90-copy-modsecurity-config copies the rendered conf; 94-activate-plugins sed -i setup.conf",
                Source(_CRS_SCRIPTS, "nginx/docker-entrypoint.d/90-copy-modsecurity-config.sh", _CRS.ref),
            ),
            Write(
                "/opt/owasp-crs",
                "95-configure-rules edits crs-setup.conf with ed",
                Source(_CRS_SCRIPTS, "src/opt/modsecurity/configure-rules.sh", _CRS.ref),
            ),
            Write(
                "/tmp",
                "nginx.pid; MODSEC_TMP_DIR/MODSEC_UPLOAD_DIR/MODSEC_DATA_DIR under /tmp/modsecurity",
                Source(_CRS_SCRIPTS, "nginx/templates/nginx.conf.template; nginx/Dockerfile ENV", _CRS.ref),
            ),
            Write(
                "/var/cache/nginx",
                "client_body / proxy temp files (compiled-in paths: the rendered nginx.conf sets none); "
                "nginx creates them at start",
                Source(_CRS_SCRIPTS, "nginx/templates/nginx.conf.template", _CRS.ref),
            ),
        ),
        ports=("$PORT",),
        command_writes=(),  # our bootstrap init container only writes into the emptyDirs it mounts
        tools=frozenset({"sh", "cp", "mkdir", "/docker-entrypoint.sh"}),
        tools_source=_CRS,
        pin_confirmed="public pulls of owasp/modsecurity-crs:4.28.0-nginx-202607160307 (real-image runs recording its "
        "RepoDigest); "
        "release/20260716 of coreruleset/modsecurity-crs-docker carries CRS 4.28.0 / nginx 1.30.4",
    ),
    "waf-backend": ImageFacts(
        uid=None,
        uid_source=Source("traefik/whoami", "Dockerfile (FROM scratch)", "v1.11.0"),
        writes=(),
        ports=("arg:--port",),
        env_defaults={"arg:--port": "80"},
        tools=frozenset({"/whoami"}),
        tools_source=Source("traefik/whoami", "Dockerfile", "v1.11.0"),
        pin_confirmed="traefik/whoami tag v1.11.0 (7e571907, 2025-02-17)",
    ),
}
"""Facts by ``versions.IMAGES`` key, for every image a workload runs without a chart."""
