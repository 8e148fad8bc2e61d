"""The restore drill as code: one CronJob per engine, ``<engine>-restore-drill`` in namespace data.

Each night after the backups (``data.drill.schedule``) it runs ``scripts/<engine>-drill.sh`` in
the engine's own image: the newest dump set (the dumps PVC, mounted read-only) is restored into
a scratch server started in the pod on an emptyDir, and the drill checks freshness, accounts,
every database and the canary (see ``scripts/drill-common.sh``). ``make drill`` runs the same
Job on demand (``kubectl create job --from=cronjob/...``).

How the result is seen: the Job fails or succeeds, and kube-state-metrics (scraped by
kube-prometheus-stack) exports the CronJob's ``status.lastSuccessfulTime`` and
``status.lastScheduleTime`` as ``kube_cronjob_status_last_successful_time`` /
``kube_cronjob_status_last_schedule_time`` (kubernetes/kube-state-metrics
internal/store/cronjob.go, present since v2.5.0). ``metrics/alerts.py`` alerts when a scheduled
drill did not succeed, when the last success is older than a day, and when none ever did.

The dumps PVC is ReadWriteOnce and mounted by the engine pod: the drill pod must run on the same
node (RWO is per node), hence a required pod affinity to the engine's pod.
"""

from __future__ import annotations

from cdktf_cdktf_provider_kubernetes.cron_job_v1 import CronJobV1
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base.labels import COMPONENT_LABEL, NAME_LABEL
from platform_constructs.base.literals import for_tofu
from platform_constructs.base.workload import ClaimVolume, Container, EmptyDir, Pod, cron_job
from platform_constructs.data.catalog import RESTORE_DRILL_SUFFIX
from platform_constructs.data.engines import COMPONENT as ENGINE_COMPONENT
from platform_constructs.data.engines import DB_UID, DatabaseEngine
from platform_constructs.data.shell import bundle

COMPONENT = RESTORE_DRILL_SUFFIX
SCRATCH_DIR = "/scratch"
DRILL_DEADLINE_SECONDS = 1800


def drill_name(engine: str) -> str:
    return f"{engine}-{COMPONENT}"


def drill_command(engine: str) -> list[str]:
    """The drill as one ``bash -c`` text: shared dump helpers, drill checks, engine part."""
    return ["bash", "-c", for_tofu(bundle("dump-common.sh", "drill-common.sh", f"{engine}-drill.sh"))]


class RestoreDrill(Construct):
    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, engine: DatabaseEngine, namespace: str) -> None:
        super().__init__(scope, id_)
        spec = engine.spec
        name = spec.engine.name
        drill = config.data.drill
        container = Container(
            name="drill",
            image=spec.image,  # the engine's own server and clients: a restore exactly as recovery would run it
            memory_request=drill.memory_request,
            memory_limit=drill.memory_limit,
            cpu_request=drill.cpu_request,
            command=drill_command(name),
            env={
                "DUMP_DIR": spec.dump_dir,
                "SCRATCH_DIR": SCRATCH_DIR,
                "DRILL_MAX_AGE_HOURS": str(drill.max_age_hours),
            },
            mounts={"dumps": spec.dump_dir, "scratch": SCRATCH_DIR, "tmp": "/tmp"},
            run_as_user=DB_UID,
        )
        pod = Pod(
            containers=[container],
            volumes=[
                # Read-only: the drill can never damage the dumps it proves.
                ClaimVolume("dumps", spec.dumps_claim, read_only=True),
                EmptyDir("scratch", drill.scratch_size_limit),
                EmptyDir("tmp", "64Mi"),
            ],
            run_as_user=DB_UID,
            run_as_group=DB_UID,
        )
        self.cron_job: CronJobV1 = cron_job(
            self, "cron_job", name=drill_name(name), namespace=namespace, pod=pod, schedule=drill.schedule, component=COMPONENT
        )
        job_spec = "spec.job_template.spec"
        self.cron_job.add_override(f"{job_spec}.active_deadline_seconds", DRILL_DEADLINE_SECONDS)
        self.cron_job.add_override(
            f"{job_spec}.template.spec.affinity",
            {
                "pod_affinity": {
                    "required_during_scheduling_ignored_during_execution": [
                        {
                            "label_selector": {"match_labels": {NAME_LABEL: name, COMPONENT_LABEL: ENGINE_COMPONENT}},
                            "topology_key": "kubernetes.io/hostname",
                        }
                    ]
                }
            },
        )
