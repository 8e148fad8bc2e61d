"""Velero: daily backups of every namespace to Spaces (prod) or MinIO (dev).

* chart 12.x: its CRD-upgrade hook runs the velero image itself (``velero install --crds-only``; 11.x pulled a
  Bitnami kubectl), sized by ``upgradeJobResources``, secured by the top-level ``containerSecurityContext``;
* AWS object-store plugin v1.14.3: the first 1.14 that works with non-AWS S3 (checksum fixes);
* backup location ``default``: bucket from ``base/buckets.py``, ``s3Url`` from ``buckets.s3_endpoint``,
  ``s3ForcePathStyle`` (required by MinIO, harmless on Spaces);
* credentials: Secret ``velero-s3`` (AWS ini file) built from sensitive variables -- Spaces keys in
  prod, MinIO's root credentials in dev; never in Helm values;
* PVC contents: file-system backup by the node agent with kopia (``defaultVolumesToFsBackup``);
  the kopia repository password is ours (Secret ``velero-repo-credentials``, created before Velero,
  which never overwrites it), not Velero's built-in default;
* the default schedule (config ``infra.backups``: ``0 3 * * *``, TTL 720h) goes through the chart's
  ``schedules``, so no Schedule CR is planned before its CRD exists. Apps add their own through
  ``base/backup.py`` from later stacks.
"""

from __future__ import annotations

import json
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.base import buckets, network
from platform_constructs.base.helm import RESTRICTED_CONTAINER, chart_release, image_values, resources
from platform_constructs.base.labels import COMPONENT_LABEL, NAME_LABEL, workload_labels
from platform_constructs.base.stack import LayerStack
from platform_constructs.infra.minio import ROOT_PASSWORD_VARIABLE, ROOT_USER_VARIABLE
from platform_constructs.secret_catalog import AWS_CREDENTIALS_INI
from platform_constructs.versions import IMAGES

VELERO_APP = buckets.VELERO_PODS
"""``app.kubernetes.io/name`` of the server, the node agent and the chart's jobs."""
CREDENTIALS_SECRET = "velero-s3"  # noqa: S105 - a Secret object name
CREDENTIALS_KEY = "cloud"
REPO_SECRET = "velero-repo-credentials"  # noqa: S105 - name Velero looks up
REPO_KEY = "repository-password"
METRICS_PORT = 8085
# Pods Velero creates besides its server and node agent, and what labels them (Velero v1.18.1 and
# chart velero-12.1.0). Without these labels no policy selects them, so default-deny cuts them off.
UPGRADE_CRDS_LABELS = {COMPONENT_LABEL: "velero-upgrade-crds"}
"""The chart's pre-install/pre-upgrade ``upgrade-crds`` Job: its pod template carries only
``kubectl.labels`` (charts/velero/templates/upgrade-crds/upgrade-crds.yaml). Not the name label: the
same map is added to the Job's own labels, which already hold ``app.kubernetes.io/name``."""
DATA_MOVER_LABELS = {NAME_LABEL: VELERO_APP, COMPONENT_LABEL: "data-mover"}
"""Since 1.17 file-system backups/restores run in pods the node agent creates in this namespace,
labelled only ``velero.io/pod-volume-backup|restore`` unless the node-agent ConfigMap sets
``podLabels`` (pkg/controller/pod_volume_backup_controller.go, pkg/types/node_agent.go)."""
MAINTENANCE_LABELS = {NAME_LABEL: VELERO_APP, COMPONENT_LABEL: "repo-maintenance"}
"""kopia repository-maintenance Jobs: labelled ``velero.io/repo-name`` unless the maintenance
ConfigMap's ``global.podLabels`` says more (pkg/repository/maintenance/maintenance.go, pkg/types/repo_maintenance.go)."""
NODE_AGENT_CONFIG = "node-agent"
"""``configMaps`` key: the chart names the ConfigMap ``<fullname>-<key>`` = ``velero-node-agent``
(charts/velero/templates/configmaps.yaml); the node agent reads it with ``--node-agent-configmap``."""
DEFAULT_SCHEDULE = "daily"
"""Rendered by the chart as Schedule ``velero-daily``."""
STORAGE_LOCATION = "default"


def backup_storage_location(config: PlatformConfig) -> dict[str, Any]:
    return {
        "name": STORAGE_LOCATION,
        "provider": "aws",
        "bucket": buckets.velero_bucket(config),
        "default": True,
        "config": {
            "region": buckets.s3_region(config),
            "s3Url": buckets.s3_endpoint(config),
            "s3ForcePathStyle": "true",
        },
    }


def velero_values(config: PlatformConfig) -> dict[str, Any]:
    backups = config.infra.backups
    return {
        "image": image_values("velero"),
        "initContainers": [
            {
                "name": "velero-plugin-for-aws",
                "image": IMAGES["velero-plugin-for-aws"],
                "imagePullPolicy": "IfNotPresent",
                "volumeMounts": [{"mountPath": "/target", "name": "plugins"}],
                "resources": resources("32Mi", "128Mi"),
                "securityContext": RESTRICTED_CONTAINER,
            }
        ],
        "credentials": {"useSecret": True, "existingSecret": CREDENTIALS_SECRET},
        "configuration": {
            "backupStorageLocation": [backup_storage_location(config)],
            "volumeSnapshotLocation": [],
            "uploaderType": "kopia",
            "defaultVolumesToFsBackup": True,
            "defaultBackupTTL": backups.ttl,
            # Merged with the chart's default global (keepLatestMaintenanceJobs); Velero reads podLabels there.
            "repositoryMaintenanceJob": {"repositoryConfigData": {"global": {"podLabels": MAINTENANCE_LABELS}}},
        },
        "configMaps": {
            NODE_AGENT_CONFIG: {"labels": {}, "data": {"node-agent.json": json.dumps({"podLabels": DATA_MOVER_LABELS})}},
        },
        "snapshotsEnabled": False,
        "deployNodeAgent": True,
        "upgradeCRDs": True,
        # The upgrade-crds hook's container (vmware-tanzu/helm-charts@velero-12.1.0 templates/upgrade-crds/).
        "upgradeJobResources": resources("64Mi", "256Mi"),
        "kubectl": {"labels": UPGRADE_CRDS_LABELS},
        "resources": resources(backups.memory_request, backups.memory_limit, cpu_request="50m"),
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "fsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": RESTRICTED_CONTAINER,
        # The node agent reads every pod's volumes from the host: it keeps the chart's root user
        # (required by file-system backup) but nothing else.
        "nodeAgent": {
            "resources": resources(backups.node_agent_memory_request, backups.node_agent_memory_limit, cpu_request="50m"),
            "containerSecurityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            "extraArgs": [f"--node-agent-configmap={VELERO_APP}-{NODE_AGENT_CONFIG}"],
        },
        "metrics": {
            "enabled": True,
            "serviceMonitor": {"enabled": False},
            "nodeAgentPodMonitor": {"enabled": False},
            "prometheusRule": {"enabled": False},
        },
        "schedules": {
            DEFAULT_SCHEDULE: {
                "disabled": False,
                "schedule": backups.schedule,
                "useOwnerReferencesInBackup": False,
                "template": {
                    "ttl": backups.ttl,
                    "storageLocation": STORAGE_LOCATION,
                    "includedNamespaces": ["*"],
                    "defaultVolumesToFsBackup": True,
                },
            }
        },
    }


def credentials_file(access_key: str, secret_key: str) -> str:
    """The AWS shared-credentials file the plugin reads (tokens are resolved by OpenTofu)."""
    return f"[default]\naws_access_key_id={access_key}\naws_secret_access_key={secret_key}\n"


class Velero(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str,
        depends_on: list[ITerraformDependable] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        stack = LayerStack.of(self)
        if config.infra.backups.target == "spaces":
            access_name, secret_name = "velero_s3_access_key", "velero_s3_secret_key"
        else:
            # Dev: the in-cluster MinIO's root credentials (declared once per stack by the MinIO component).
            access_name, secret_name = ROOT_USER_VARIABLE, ROOT_PASSWORD_VARIABLE
        # Spliced as is into the INI file: the catalog's rules refuse what the AWS SDK's reader would change.
        access = stack.secret_in(access_name, AWS_CREDENTIALS_INI)
        secret = stack.secret_in(secret_name, AWS_CREDENTIALS_INI)
        labels = workload_labels(VELERO_APP, "backup")
        self.credentials = SecretV1(
            self,
            "credentials",
            metadata={"name": CREDENTIALS_SECRET, "namespace": namespace, "labels": labels},
            data={CREDENTIALS_KEY: credentials_file(access, secret)},
        )
        self.repository_password = SecretV1(
            self,
            "repository_password",
            metadata={"name": REPO_SECRET, "namespace": namespace, "labels": labels},
            data={
                REPO_KEY: stack.secret("velero_repository_password"),
            },
        )
        # Server, node agent, data movers and maintenance Jobs (name label velero) and the CRD hook.
        policies = [
            network.allow_api_server(self, "netpol_api", namespace=namespace, apps=VELERO_APP,
                                     name="allow-velero-to-api-server"),
            network.allow_api_server(self, "netpol_api_upgrade_crds", namespace=namespace, apps=UPGRADE_CRDS_LABELS,
                                     name="allow-velero-upgrade-crds-to-api-server"),
            network.allow_prometheus(self, "netpol_prometheus", namespace=namespace, app=VELERO_APP, ports=[METRICS_PORT]),
        ]
        if config.infra.backups.target == "spaces":
            policies.append(network.allow_internet(self, "netpol_spaces", namespace=namespace, app=VELERO_APP, ports=[443]))
        else:
            policies.append(network.allow_to_service(
                self, "netpol_minio", namespace=namespace, app=VELERO_APP, target_namespace=buckets.MINIO_NAMESPACE,
                target_app=buckets.MINIO_SERVICE, ports=[buckets.MINIO_PORT], name="allow-velero-to-minio",
            ))
        # Policies first: the upgrade-crds hook runs before anything else of the release.
        self.release = chart_release(
            self, "release", chart="velero", namespace=namespace, values=velero_values(config),
            depends_on=[self.credentials, self.repository_password, *(depends_on or []), *network.built(policies)],
        )
