"""The shared database engines and the databases each application owns — as data.

Adding an application's database is one ``AppDatabase`` entry. The data stack creates the
database and user (init Jobs) and opens the network path; the apps layer imports the endpoint
and names from here, never retypes them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from envs import PlatformConfig

DATA_NAMESPACE = "data"
DATA_BACKUP_SCHEDULE = f"{DATA_NAMESPACE}-daily"
"""Velero schedule of namespace data; its pre-backup hooks write the database dumps."""
RESTORE_DRILL_SUFFIX = "restore-drill"
"""The restore drill CronJobs are ``<engine>-restore-drill`` in namespace data (``data/drill.py``)."""

# Database and user names: plain lowercase SQL identifiers. The init scripts quote them anyway
# (format('%I') / backticks); this keeps them readable and valid on both engines.
_SQL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Engine:
    name: Literal["postgres", "mariadb"]
    port: int

    @property
    def service(self) -> str:
        return self.name

    @property
    def host(self) -> str:
        """Stable in-cluster DNS name, e.g. ``postgres.data.svc.cluster.local``."""
        return f"{self.service}.{DATA_NAMESPACE}.svc.cluster.local"


POSTGRES = Engine("postgres", 5432)
MARIADB = Engine("mariadb", 3306)
ENGINES: tuple[Engine, ...] = (POSTGRES, MARIADB)


@dataclass(frozen=True)
class AppDatabase:
    app: str
    """Application name; also its namespace and its ``config.apps.<app>`` switch."""
    engine: Engine
    database: str
    user: str

    def __post_init__(self) -> None:
        for field, value in (("database", self.database), ("user", self.user)):
            if not _SQL_NAME.match(value):
                raise ValueError(
                    f"AppDatabase({self.app!r}).{field} = {value!r}: use a lowercase SQL name "
                    "(a-z first, then a-z, 0-9, '_'; at most 32 characters)"
                )

    @property
    def password_variable(self) -> str:
        """Sensitive variable holding the app user's password (declared by data and apps stacks)."""
        return f"{self.app}_db_password"

    @property
    def namespace(self) -> str:
        return self.app


APP_DATABASES: tuple[AppDatabase, ...] = (
    AppDatabase("n8n", POSTGRES, database="n8n", user="n8n"),
    AppDatabase("twenty", POSTGRES, database="twenty", user="twenty"),
    AppDatabase("nextcloud", POSTGRES, database="nextcloud", user="nextcloud"),
    AppDatabase("sentry", POSTGRES, database="sentry", user="sentry"),
    AppDatabase("wordpress", MARIADB, database="wordpress", user="wordpress"),
)


def database_for(app: str) -> AppDatabase:
    for db in APP_DATABASES:
        if db.app == app:
            return db
    raise KeyError(f"no database declared for {app!r} in platform_constructs.data.catalog.APP_DATABASES")


def enabled_databases(config: PlatformConfig, engine: Engine | None = None) -> Sequence[AppDatabase]:
    """Databases of the apps switched on in ``config`` (``config.apps.<app>.enabled``), optionally of one engine.

    Only these get a database, an init-Job entry, a password variable and a network path: a
    switched-off app needs no secret. Switching an app off later drops nothing.
    """
    return tuple(
        db
        for db in APP_DATABASES
        if getattr(config.apps, db.app).enabled and (engine is None or db.engine == engine)
    )
