"""Init Jobs: create each enabled app's database and user on its engine, idempotently.

One Job per engine runs ``scripts/<engine>-init.sh`` (see the script headers for the SQL
guarantees: create if missing, converge owner/privileges/password, never drop).

Re-creation only when inputs change, with kubernetes provider 2.38:
* A Job's pod template is immutable, so the Job is *named* by a hash of everything it runs
  (script, image, app list, Secret references): ``postgres-init-1a2b3c4d``. The same inputs give
  the same name and the same resource, byte for byte; a changed input gives a new name, which
  the provider can only satisfy by replacing the Job.
* Passwords are not part of that name (no secret material leaks into cluster object names).
  A ``terraform_data`` holds ``sha256()`` of each app password (in the encrypted state only) and
  the Job has ``lifecycle.replace_triggered_by`` on it: a password change re-runs the Job.
* ``wait_for_completion = true``: the apply waits for the Job and fails if the Job fails
  (the original setup never noticed failures).
* The TTL trap: 120 s after it finishes, Kubernetes deletes the Job. Provider 2.38 then reads
  it as gone (``resourceKubernetesJobV1Read`` clears the ID on NotFound; the 2.34.0 special case
  for TTL 0, hashicorp/terraform-provider-kubernetes#2596, was reverted in #2650), so the next
  plan proposes to create the *same* Job again. That re-run is harmless by design (the brief:
  "si recréés, n'ajoutent que le manquant"): the scripts converge and change nothing when
  nothing is missing. It is the only plan noise this layer produces; the operator sees
  ``+ kubernetes_job_v1 … (<engine>-init-<same hash>)``, never a replacement of anything else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from cdktf import DataResource, Fn, TerraformResourceLifecycle
from cdktf_cdktf_provider_kubernetes.job_v1 import JobV1
from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata
from constructs import Construct

from platform_constructs.base.addresses import address
from platform_constructs.base.labels import workload_labels
from platform_constructs.base.literals import for_tofu
from platform_constructs.base.network import allow_from_apps, allow_to_service
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.structs import build
from platform_constructs.base.workload import Container, Pod, SecretEnv, job
from platform_constructs.data.catalog import DATA_NAMESPACE, POSTGRES, AppDatabase
from platform_constructs.data.engines import DB_UID, ROOT_SECRET_KEY, DatabaseEngine
from platform_constructs.data.shell import script

INIT_TTL_SECONDS = 120
COMPONENT = "database-init"


def password_env(db: AppDatabase) -> str:
    """Job environment variable carrying ``db``'s password, e.g. ``N8N_DB_PASSWORD``."""
    return db.password_variable.upper()


def init_entries(databases: Sequence[AppDatabase]) -> str:
    """``INIT_DATABASES`` value: ``<database>:<user>:<password env var>`` per app, sorted."""
    return " ".join(f"{db.database}:{db.user}:{password_env(db)}" for db in sorted(databases, key=lambda d: d.app))


def inputs_hash(pod: Pod) -> str:
    """Short hash of everything the Job runs (the rendered pod template)."""
    rendered = json.dumps(pod.render({}), sort_keys=True, default=str)
    return hashlib.sha256(rendered.encode()).hexdigest()[:8]


class DatabaseInitJob(Construct):
    """The init Job of one engine for ``databases`` (all on that engine; at least one)."""

    def __init__(
        self, scope: Construct, id_: str, *, engine: DatabaseEngine, databases: Sequence[AppDatabase], namespace: str
    ) -> None:
        super().__init__(scope, id_)
        if not databases:
            raise ValueError(f"{id_}: an init Job needs at least one database")
        spec = engine.spec
        wrong = [db.app for db in databases if db.engine != spec.engine]
        if wrong:
            raise ValueError(f"{id_}: databases of {wrong} are not on {spec.engine.name}")
        stack = LayerStack.of(self)
        name = spec.engine.name
        databases = sorted(databases, key=lambda d: d.app)

        # App passwords, in namespace data only (each app keeps its own copy in its namespace).
        passwords = {
            db.app: stack.secret(
                db.password_variable, f"Password of the {name} user {db.user!r} of {db.app} (database {db.database!r})."
            )
            for db in databases
        }
        secret_name = f"{name}-app-passwords"
        self.secret = SecretV1(
            self,
            "app_passwords",
            metadata=build(
                SecretV1Metadata, {"name": secret_name, "namespace": namespace, "labels": workload_labels(name, COMPONENT)}
            ),
            data=dict(sorted(passwords.items())),
        )

        env = {"INIT_DATABASES": init_entries(databases)}
        secret_env = {password_env(db): SecretEnv(secret_name, db.app) for db in databases}
        if spec.engine == POSTGRES:
            env |= {"PGHOST": spec.engine.service, "PGPORT": str(spec.engine.port), "PGUSER": "postgres"}
            secret_env["PGPASSWORD"] = SecretEnv(spec.root_secret, ROOT_SECRET_KEY)
        else:
            env |= {"DB_HOST": spec.engine.service, "DB_PORT": str(spec.engine.port)}
            secret_env["MYSQL_PWD"] = SecretEnv(spec.root_secret, ROOT_SECRET_KEY)

        container = Container(
            name="init",
            image=spec.image,  # same image as the server: matching client tools
            memory_request="32Mi",
            memory_limit="128Mi",
            cpu_request="10m",
            command=["bash", "-c", for_tofu(script(f"{name}-init.sh"))],
            env=env,
            secret_env=secret_env,
            mounts={"tmp": "/tmp"},  # bash here-documents
            run_as_user=DB_UID,
        )
        pod = Pod(
            containers=[container],
            volumes=[{"name": "tmp", "empty_dir": {"size_limit": "16Mi"}}],
            run_as_user=DB_UID,
            run_as_group=DB_UID,
        )
        self.job_name = f"{name}-init-{inputs_hash(pod)}"

        # Password changes re-run the Job without putting anything secret into its name.
        self.trigger = DataResource(
            self,
            "inputs",
            input={
                "job": self.job_name,
                "passwords": {db.app: Fn.sha256(passwords[db.app]) for db in databases},
            },
        )
        self.job: JobV1 = job(
            self,
            "job",
            name=self.job_name,
            namespace=namespace,
            pod=pod,
            ttl_seconds_after_finished=INIT_TTL_SECONDS,
            backoff_limit=6,
            component=COMPONENT,
        )
        self.job.lifecycle = TerraformResourceLifecycle(replace_triggered_by=[address(self.trigger)])
        self.job.add_override("wait_for_completion", True)
        self.job.add_override("timeouts", {"create": "10m", "update": "10m"})
        self.job.depends_on = [address(r) for r in (self.secret, engine.root_secret, engine.stateful_set, engine.service)]

        # The Job (and nothing else in data) may reach its engine.
        allow_to_service(
            self,
            "netpol_egress",
            namespace=namespace,
            app=self.job_name,
            target_namespace=DATA_NAMESPACE,
            target_app=name,
            ports=[spec.engine.port],
            name=f"allow-{name}-init-to-{name}",
        )
        allow_from_apps(
            self,
            "netpol_ingress",
            namespace=namespace,
            app=name,
            source_namespace=DATA_NAMESPACE,
            source_apps=[self.job_name],
            ports=[spec.engine.port],
            name=f"allow-{name}-from-{name}-init",
        )
