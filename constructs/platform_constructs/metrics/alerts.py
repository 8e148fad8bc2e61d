"""Alerting: the platform's own Prometheus rules, and where Alertmanager sends them.

The rules cover what would otherwise fail silently (kube-prometheus-stack's default rules stay on
for the rest). They go into the same release (``additionalPrometheusRulesMap``) so the
PrometheusRule CRD exists when they are created. Templates here use ``{{ }}`` (Prometheus/
Alertmanager syntax, untouched by Helm since values are not templated); none contains ``${``.
"""

from __future__ import annotations

from typing import Any

from envs import PlatformConfig
from platform_constructs.data.catalog import DATA_BACKUP_SCHEDULE, DATA_NAMESPACE, RESTORE_DRILL_SUFFIX

BACKUP_MAX_AGE_HOURS = 26
"""Daily schedule + 2 h of slack: a backup older than this means last night's run failed."""
PVC_FULL_RATIO = 0.80
DUMP_MAX_AGE_HOURS = 25
"""The database dumps are written by the pre-backup hooks of the daily data schedule: a dump set
older than a day and an hour means last night's dump did not happen (or did not complete)."""
DRILL_MAX_AGE_HOURS = 26
"""The restore drill runs daily: no success for this long means it fails or no longer runs."""
CERT_MIN_DAYS = 14
"""cert-manager renews at 2/3 of a 90-day lifetime (30 days left): under 14 days, renewal is stuck."""

# Metric names the rules rely on, as the pinned exporters define them (a test checks every name
# used in an expression is listed here):
# * Velero v1.18.1, pkg/metrics/metrics.go: counters backup_partial_failure_total and
#   backup_failure_total (label schedule; incremented by pkg/controller/backup_finalizer_controller.go
#   and backup_controller.go when a backup ends PartiallyFailed / Failed), gauges backup_items_errors
#   (errors of the schedule's last backup) and backup_last_status (1 success, 0 failure),
#   backup_last_successful_timestamp; namespace "velero". A pre-hook with onError: Fail that fails
#   logs an error (internal/hook/item_hook_handler.go), so its backup ends PartiallyFailed with errors > 0:
#   Velero has no hook metric of its own.
# * kube-state-metrics internal/store/cronjob.go (v2.5.0 and later): kube_cronjob_info,
#   kube_cronjob_status_last_schedule_time, kube_cronjob_status_last_successful_time (labels
#   namespace, cronjob).
VELERO_METRICS = frozenset({
    "velero_backup_partial_failure_total",
    "velero_backup_failure_total",
    "velero_backup_items_errors",
    "velero_backup_last_status",
    "velero_backup_last_successful_timestamp",
})
KUBE_STATE_METRICS = frozenset({
    "kube_cronjob_info",
    "kube_cronjob_status_last_schedule_time",
    "kube_cronjob_status_last_successful_time",
    "kube_pod_container_status_waiting_reason",
})

# Secrets Alertmanager reads as files: Secret RECEIVER_SECRET mounted at /etc/alertmanager/secrets/<name>/.
RECEIVER_SECRET = "alertmanager-receiver"  # noqa: S105 - a Secret object name, not a value
RECEIVER_SECRET_DIR = f"/etc/alertmanager/secrets/{RECEIVER_SECRET}"
RECEIVER_NAME = "operator"

# receiver kind -> (secret variable, key in the Secret); descriptions and rules: secret_catalog.py
RECEIVER_SECRETS: dict[str, tuple[str, str]] = {
    "webhook": ("alertmanager_webhook_url", "url"),
    "slack": ("alertmanager_slack_webhook_url", "url"),
    "email": ("alertmanager_smtp_password", "password"),
}


def _rule(alert: str, expr: str, for_: str, severity: str, summary: str, description: str) -> dict[str, Any]:
    return {
        "alert": alert,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "description": description},
    }


def platform_rules(config: PlatformConfig) -> dict[str, Any]:
    """``additionalPrometheusRulesMap`` value: one PrometheusRule named ``platform``."""
    backup_seconds = BACKUP_MAX_AGE_HOURS * 3600
    drill = f'{{namespace="{DATA_NAMESPACE}", cronjob=~".+-{RESTORE_DRILL_SUFFIX}"}}'
    cert_seconds = CERT_MIN_DAYS * 86400
    groups: list[dict[str, Any]] = [
        {
            "name": "platform.backups",
            "rules": [
                _rule(
                    "VeleroBackupTooOld",
                    f"time() - max by (schedule) (velero_backup_last_successful_timestamp{{schedule!=\"\"}}) > {backup_seconds}",
                    "15m",
                    "critical",
                    "Velero schedule {{ $labels.schedule }}: no successful backup for more than "
                    f"{BACKUP_MAX_AGE_HOURS}h",
                    "Last success {{ $value | humanizeDuration }} ago. Check: velero backup get; "
                    "velero backup logs <name>.",
                ),
                _rule(
                    "VeleroBackupPartiallyFailed",
                    f"increase(velero_backup_partial_failure_total{{schedule!=\"\"}}[{BACKUP_MAX_AGE_HOURS}h]) > 0 "
                    "and on (schedule) velero_backup_last_status{schedule!=\"\"} == 0",
                    "5m",
                    "critical",
                    "Velero schedule {{ $labels.schedule }}: the last backup is PartiallyFailed",
                    "Some items (volumes, hooks) were not backed up. Check: velero backup describe <name> --details "
                    "(Errors, HooksFailed); velero backup logs <name> | grep error.",
                ),
                _rule(
                    "VeleroBackupFailed",
                    f"increase(velero_backup_failure_total{{schedule!=\"\"}}[{BACKUP_MAX_AGE_HOURS}h]) > 0 "
                    "and on (schedule) velero_backup_last_status{schedule!=\"\"} == 0",
                    "5m",
                    "critical",
                    "Velero schedule {{ $labels.schedule }}: the last backup Failed",
                    "Nothing of it is usable. Check: velero backup describe <name>; velero backup-location get.",
                ),
                _rule(
                    "VeleroBackupMetricsMissing",
                    "absent(velero_backup_last_successful_timestamp)",
                    f"{BACKUP_MAX_AGE_HOURS}h",
                    "critical",
                    "No Velero backup has ever succeeded, or Velero is not scraped",
                    "velero_backup_last_successful_timestamp is absent. Check the velero pod in namespace infra "
                    "and the Prometheus target 'podMonitor/metrics/velero'.",
                ),
            ],
        },
        {
            "name": "platform.databases",
            "rules": [
                _rule(
                    "DatabaseDumpHookFailed",
                    f'velero_backup_items_errors{{schedule="{DATA_BACKUP_SCHEDULE}"}} > 0',
                    "5m",
                    "critical",
                    f"The last {DATA_BACKUP_SCHEDULE} backup logged {{{{ $value }}}} errors: a database dump hook failed",
                    f"The dump hooks exit non-zero on any failure (listing, dump, read-back, space). Check: velero backup "
                    f"describe <last {DATA_BACKUP_SCHEDULE}-...> --details (HooksFailed), then the hook output in "
                    "velero backup logs <name> | grep -i dump.",
                ),
                _rule(
                    "DatabaseDumpsTooOld",
                    f'time() - max(velero_backup_last_successful_timestamp{{schedule="{DATA_BACKUP_SCHEDULE}"}}) '
                    f"> {DUMP_MAX_AGE_HOURS * 3600}",
                    "15m",
                    "critical",
                    f"The newest complete database dumps are older than {DUMP_MAX_AGE_HOURS}h",
                    f"A {DATA_BACKUP_SCHEDULE} backup completes only when both dump hooks succeeded. "
                    "Check: velero -n infra backup get; kubectl -n data exec postgres-0 -- ls -l /dumps.",
                ),
                _rule(
                    "DatabaseDumpsNeverCompleted",
                    f'absent(velero_backup_last_successful_timestamp{{schedule="{DATA_BACKUP_SCHEDULE}"}})',
                    f"{BACKUP_MAX_AGE_HOURS}h",
                    "critical",
                    f"No {DATA_BACKUP_SCHEDULE} backup has ever completed: there is no database dump",
                    "Check the Schedule in namespace infra and the dump hooks (docs/runbooks/restore.md).",
                ),
                _rule(
                    "RestoreDrillFailed",
                    f"kube_cronjob_status_last_schedule_time{drill} > kube_cronjob_status_last_successful_time{drill}",
                    "1h",
                    "critical",
                    "Restore drill {{ $labels.cronjob }}: the last scheduled drill did not succeed",
                    "The newest dumps did not restore into a scratch server, or failed a check (freshness, accounts, "
                    "tables, canary). Check: kubectl -n data logs job/<last {{ $labels.cronjob }}-...>; "
                    "docs/runbooks/restore.md, section 4.",
                ),
                _rule(
                    "RestoreDrillOverdue",
                    f"time() - kube_cronjob_status_last_successful_time{drill} > {DRILL_MAX_AGE_HOURS * 3600}",
                    "15m",
                    "critical",
                    f"Restore drill {{{{ $labels.cronjob }}}}: no successful drill for more than {DRILL_MAX_AGE_HOURS}h",
                    "The drill fails, is suspended or no longer scheduled. Run it now: make drill.",
                ),
                _rule(
                    "RestoreDrillNeverSucceeded",
                    f"kube_cronjob_info{drill} unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{drill}",
                    f"{DRILL_MAX_AGE_HOURS}h",
                    "critical",
                    "Restore drill {{ $labels.cronjob }} has never succeeded",
                    "No backup of this engine has been proven restorable yet. Run it now: make drill.",
                ),
            ],
        },
        {
            "name": "platform.storage",
            "rules": [
                _rule(
                    "PersistentVolumeClaimAlmostFull",
                    "kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes > "
                    f"{PVC_FULL_RATIO}",
                    "10m",
                    "warning",
                    "PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is above "
                    f"{int(PVC_FULL_RATIO * 100)}% full",
                    "{{ $value | humanizePercentage }} used. Grow the PVC (DO block storage expands online) "
                    "or clean up.",
                ),
            ],
        },
        {
            "name": "platform.workloads",
            "rules": [
                _rule(
                    "PodCrashLooping",
                    'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1',
                    "15m",
                    "warning",
                    "Pod {{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is crash-looping",
                    "Check: kubectl -n {{ $labels.namespace }} logs {{ $labels.pod }} -c {{ $labels.container }} --previous",
                ),
            ],
        },
    ]
    if config.infra.cert_manager:
        groups.append(
            {
                "name": "platform.certificates",
                "rules": [
                    _rule(
                        "CertificateExpiresSoon",
                        f"certmanager_certificate_expiration_timestamp_seconds - time() < {cert_seconds}",
                        "1h",
                        "warning",
                        "Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in less than "
                        f"{CERT_MIN_DAYS} days",
                        "Renewal is stuck. Check: kubectl -n {{ $labels.namespace }} describe certificate "
                        "{{ $labels.name }}; cert-manager logs in namespace infra.",
                    ),
                ],
            }
        )
    return {"platform": {"groups": groups}}


def _receiver(config: PlatformConfig) -> dict[str, Any]:
    alerting = config.metrics.alerting
    kind = alerting.receiver
    receiver: dict[str, Any] = {"name": RECEIVER_NAME}
    if kind == "none":
        return receiver
    key = RECEIVER_SECRETS[kind][1]
    secret_file = f"{RECEIVER_SECRET_DIR}/{key}"
    if kind == "webhook":
        receiver["webhook_configs"] = [{"url_file": secret_file, "send_resolved": True}]
    elif kind == "slack":
        receiver["slack_configs"] = [{"api_url_file": secret_file, "send_resolved": True}]
    elif kind == "email":
        email = alerting.email
        assert email is not None  # guaranteed by AlertingConfig's validator
        receiver["email_configs"] = [
            {
                "to": email.to,
                "from": email.sender,
                "smarthost": email.smarthost,
                "auth_username": email.username,
                "auth_password_file": secret_file,
                "require_tls": True,
                "send_resolved": True,
            }
        ]
    return receiver


def alertmanager_config(config: PlatformConfig) -> dict[str, Any]:
    """``alertmanager.config`` overrides: route everything to the operator receiver.

    Watchdog (always firing, a dead-man's switch) and InfoInhibitor go to ``null``; the chart's
    inhibit rules are kept (Helm merges maps; lists given here replace the chart's).
    """
    return {
        "route": {
            "receiver": RECEIVER_NAME,
            "group_by": ["alertname", "namespace"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "12h",
            "routes": [
                {"receiver": "null", "matchers": ['alertname = "Watchdog"']},
                {"receiver": "null", "matchers": ['alertname = "InfoInhibitor"']},
            ],
        },
        "receivers": [{"name": "null"}, _receiver(config)],
    }


def receiver_secret(config: PlatformConfig) -> tuple[str, str] | None:
    """(variable name, Secret key) of the receiver's secret, or None (receiver ``none``)."""
    return RECEIVER_SECRETS.get(config.metrics.alerting.receiver)
