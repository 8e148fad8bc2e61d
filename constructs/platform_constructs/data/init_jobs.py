"""Init Jobs: create each enabled app's database and user on its engine, idempotently.

One Job per engine runs ``scripts/<engine>-init.sh`` (see the script headers for the SQL
guarantees: create if missing, converge owner/privileges/password, never drop).

Plan noise (finding 6 of issue 17) and how this design removes it: a ``kubernetes_job_v1`` is
state that Kubernetes deletes 120 s after the Job ends (TTL, the brief), so every later plan
proposed to create it again and ``tofu plan -detailed-exitcode`` never reported "no changes".
The Job now ships as a **Helm hook** of a small chart of ours (``charts/database-init``), one
``helm_release`` ``<engine>-init`` per engine; the state tracks the release, not the Job:

* hashicorp/terraform-provider-helm v3.1.1, ``helm/resource_helm_release.go``: ``Read`` rebuilds
  the state from the release record (``getRelease`` → ``setReleaseAttributes``) and looks at live
  objects only with the ``manifest`` experiment, which we never enable; ``ModifyPlan`` plans an
  upgrade only when chart, repository, version, values, set, set_sensitive or set_list differ
  (``recomputeMetadata``), or when the release status is not ``deployed``. A TTL-deleted hook Job
  is none of these: the second plan after an apply is empty.
* Helm v3.18.4 (what that provider embeds, go.mod), ``pkg/action/hooks.go`` ``execHook``: a
  post-install/post-upgrade hook is created after the release's resources and **waited for**
  (``WatchUntilReady`` → ``pkg/kube/client.go`` ``waitForJob``: ``JobFailed`` is an error), whatever
  ``wait_for_jobs`` says; a failed hook fails the install/upgrade (status ``failed``), so the apply
  fails, and the next plan proposes the upgrade again (status ``failed`` → ``deployed``).
  ``before-hook-creation`` deletes a previous Job of the same name first. Hooks are not part of
  the release manifest, so nothing keeps track of the Job after its TTL.
* Re-run only on change: the release upgrades when its values change. They hold the whole Job
  (the hardened pod spec: script, image, app list, Secret references; its name
  ``<engine>-init-<hash of that pod>``) and, as ``set_sensitive``, a digest of the app passwords:
  a password change re-runs the Job, and neither the passwords nor their digest appear in plan
  output or in object names. A change of the chart's own files changes its asset path (a content
  hash), which changes ``chart``.
* The pod spec comes from the hardened workload helper (``base/workload.py``), converted to the
  API's shape by ``base/native.py``; ``posture.py`` checks it in the chart values like any Job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from cdktf import AssetType, Fn, TerraformAsset
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata
from constructs import Construct

from platform_constructs.base.labels import workload_labels
from platform_constructs.base.literals import for_tofu
from platform_constructs.base.native import native_pod_spec
from platform_constructs.base.network import allow_from_apps, allow_to_service
from platform_constructs.base.stack import LayerStack
from platform_constructs.base.structs import build
from platform_constructs.base.workload import Container, EmptyDir, Pod, SecretEnv
from platform_constructs.data.catalog import DATA_NAMESPACE, POSTGRES, AppDatabase
from platform_constructs.data.engines import DB_UID, ROOT_SECRET_KEY, DatabaseEngine
from platform_constructs.data.shell import script

INIT_TTL_SECONDS = 120
INIT_BACKOFF_LIMIT = 6
INIT_DEADLINE_SECONDS = 540
RELEASE_TIMEOUT_SECONDS = 600
"""Helm waits this long for the hook; the Job's own deadline is shorter, so it fails first, clearly."""
COMPONENT = "database-init"
CHART_DIR = Path(__file__).resolve().parent / "charts" / "database-init"
CHART_VERSION = "0.1.0"
"""Must equal ``version`` in the chart's Chart.yaml (a test checks it)."""


def password_env(db: AppDatabase) -> str:
    """Job environment variable carrying ``db``'s password, e.g. ``N8N_DB_PASSWORD``."""
    return db.password_variable.upper()


def init_entries(databases: Sequence[AppDatabase]) -> str:
    """``INIT_DATABASES`` value: ``<database>:<user>:<password env var>`` per app, sorted."""
    return " ".join(f"{db.database}:{db.user}:{password_env(db)}" for db in sorted(databases, key=lambda d: d.app))


def password_digests(passwords: dict[str, str], databases: Sequence[AppDatabase]) -> list[dict[str, str]]:
    """``set_sensitive`` entries ``passwordsDigest.<app>`` = sha256 of each app's password (the catalog's
    init-job-trigger format, resolved by OpenTofu): a changed password changes the release."""
    return [
        {"name": f"passwordsDigest.{db.app}", "value": Fn.sha256(passwords[db.app])}
        for db in sorted(databases, key=lambda d: d.app)
    ]


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
            db.app: stack.secret(db.password_variable)
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
            volumes=[EmptyDir("tmp", "16Mi")],
            run_as_user=DB_UID,
            run_as_group=DB_UID,
        )
        self.job_name = f"{name}-init-{inputs_hash(pod)}"
        labels = workload_labels(self.job_name, COMPONENT)
        job_values: dict[str, Any] = {
            "name": self.job_name,
            "labels": labels,
            "backoffLimit": INIT_BACKOFF_LIMIT,
            "activeDeadlineSeconds": INIT_DEADLINE_SECONDS,
            "ttlSecondsAfterFinished": INIT_TTL_SECONDS,
            "podSpec": native_pod_spec(replace(pod, restart_policy="OnFailure"), labels, what=f"Job {self.job_name!r}"),
        }
        chart = TerraformAsset(self, "chart", path=str(CHART_DIR), type=AssetType.DIRECTORY)
        self.release = Release(
            self,
            "release",
            name=f"{name}-init",
            chart=chart.path,
            version=CHART_VERSION,
            namespace=namespace,
            values=[json.dumps({"job": job_values}, sort_keys=True)],
            # A password change re-runs the hook; the digest stays out of plan output and names.
            set_sensitive=password_digests(passwords, databases),
            wait=True,
            timeout=RELEASE_TIMEOUT_SECONDS,
            max_history=5,
            depends_on=[self.secret, engine.root_secret, engine.stateful_set, engine.service],
        )
        # A readable, stable address: the waiver in waivers.py names it.
        self.release.override_logical_id(f"{name}_init")

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
