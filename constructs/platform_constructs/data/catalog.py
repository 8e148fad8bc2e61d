"""The shared database engines and the databases each application owns — as data.

Adding an application's database is one ``AppDatabase`` entry. The data stack creates the
database and user (init Jobs) and opens the network path; the apps layer imports the endpoint
and names from here, never retypes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DATA_NAMESPACE = "data"


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


@dataclass(frozen=True)
class AppDatabase:
    app: str
    """Application name; also its namespace and its ``config.apps.<app>`` switch."""
    engine: Engine
    database: str
    user: str

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
