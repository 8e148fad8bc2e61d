"""``KubePrometheusStack``: Prometheus, Alertmanager, Grafana, the operator and exporters in ``metrics``.

One Helm release carries everything that needs the prometheus-operator CRDs (PodMonitors for
the platform's targets, the platform's PrometheusRules), so a fresh cluster converges in one
apply of this stack. Around it, in this stack: the Grafana admin Secret, the Alertmanager
receiver Secret, one ConfigMap per dashboard in ``dashboards/``, Grafana's Ingress (shared
helper) and the namespace's NetworkPolicies.

Pod security: every component runs with the charts' restricted-compatible security contexts
(Grafana's root ``initChownData`` is turned off; fsGroup already owns the volume), except
node-exporter, a DaemonSet that needs hostNetwork, hostPID and a read-only hostPath of ``/``
to report node metrics: the namespace needs the ``privileged`` Pod Security level for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cdktf_cdktf_provider_kubernetes.config_map_v1 import ConfigMapV1
from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1
from constructs import Construct

from envs import PlatformConfig
from envs.sections.metrics import Resources
from platform_constructs.base import network
from platform_constructs.base.helm import chart_release, resources
from platform_constructs.base.ingress import Route, public_ingress
from platform_constructs.base.labels import NAME_LABEL, workload_labels
from platform_constructs.base.literals import for_tofu
from platform_constructs.base.stack import LayerStack
from platform_constructs.infra.traefik import allow_public_hostnames
from platform_constructs.metrics import alerts
from platform_constructs.metrics.scrape_targets import enabled_targets
from platform_constructs.versions import IMAGES

RELEASE_NAME = "kube-prometheus-stack"
DASHBOARDS_DIR = Path(__file__).resolve().parent / "dashboards"
DASHBOARD_LABEL = "grafana_dashboard"
DASHBOARD_FOLDER_ANNOTATION = "grafana_folder"
DASHBOARD_FOLDER = "Platform"

GRAFANA_NAME = "grafana"  # fullnameOverride: Service and Deployment are called "grafana"
GRAFANA_SERVICE_PORT = 80
GRAFANA_POD_PORT = 3000
GRAFANA_ADMIN_SECRET = "grafana-admin"  # noqa: S105 - a Secret object name, not a value

# Pod name labels (app.kubernetes.io/name) the chart and operator set.
PROMETHEUS_APP = "prometheus"
ALERTMANAGER_APP = "alertmanager"
OPERATOR_APP = f"{RELEASE_NAME}-prometheus-operator"
OPERATOR_WEBHOOK_PORT = 10250  # the operator serves its admission webhook (HTTPS) here
KUBE_STATE_METRICS_APP = "kube-state-metrics"
OPERATOR_HOOK_LABELS = {NAME_LABEL: OPERATOR_APP, "app.kubernetes.io/component": "crds-upgrade"}
"""The CRD-upgrade hook's pod carries only ``crds.upgradeJob.podLabels`` (kube-prometheus-stack-88.5.3,
charts/crds/templates/upgrade/job.yaml): given the operator's name label, its API egress applies. The
admission create/patch Jobs already carry it (templates/prometheus-operator/admission-webhooks/
_prometheus-operator-webhook.tpl: ``<name>-prometheus-operator``, component prometheus-operator-webhook)."""
API_CLIENTS = (OPERATOR_APP, KUBE_STATE_METRICS_APP, PROMETHEUS_APP, GRAFANA_NAME)

KUBELET_PORT = 10250
NODE_EXPORTER_PORT = 9100
COREDNS_METRICS_PORT = 9153

# Managed control plane (DOKS) or loopback-bound components (minikube): nothing to scrape. Their default
# rule groups are gated by the same switches (88.5.3 templates/prometheus/rules-1.14/etcd.yaml,
# kube-scheduler.rules.yaml, kubernetes-system-{controller-manager,kube-proxy,scheduler}.yaml; windows.*.yaml
# by windowsMonitoring.enabled), so they go too, with no TargetDown noise.
DISABLED_CONTROL_PLANE = ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy")


def dashboard_files() -> list[Path]:
    return sorted(DASHBOARDS_DIR.glob("*.json"))


def _resources(res: Resources) -> dict[str, Any]:
    return resources(res.memory_request, res.memory_limit, res.cpu_request)


def _pvc(storage_class: str, size: str) -> dict[str, Any]:
    return {"spec": {"storageClassName": storage_class, "accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": size}}}}


def _image(ref: str) -> dict[str, str]:
    """Split ``registry/repo:tag`` into the chart's {registry, repository, tag} keys."""
    name, tag = ref.rsplit(":", 1)
    registry, repository = name.split("/", 1)
    return {"registry": registry, "repository": repository, "tag": tag}


def chart_values(config: PlatformConfig) -> dict[str, Any]:
    """The release's values, as plain data (tests parse them back from the synthesized JSON)."""
    m = config.metrics
    res = m.resources
    block = config.storage.block_class
    scheme = "https" if config.infra.ingress.tls else "http"
    receiver = alerts.receiver_secret(config)
    alertmanager_spec: dict[str, Any] = {
        "resources": _resources(res.alertmanager),
        "storage": {"volumeClaimTemplate": _pvc(block, m.alertmanager_storage)},
    }
    if receiver is not None:
        alertmanager_spec["secrets"] = [alerts.RECEIVER_SECRET]
    prometheus_spec: dict[str, Any] = {
        "retention": m.retention,
        "resources": _resources(res.prometheus),
        "storageSpec": {"volumeClaimTemplate": _pvc(block, m.storage)},
        # Select every ServiceMonitor/PodMonitor/rule in the cluster, not only this release's.
        **{f"{kind}SelectorNilUsesHelmValues": False
           for kind in ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig")},
    }
    if m.retention_size:
        prometheus_spec["retentionSize"] = m.retention_size
    return {
        "fullnameOverride": RELEASE_NAME,
        "crds": {
            "enabled": True,
            # Helm never upgrades crds/; this pre-upgrade hook server-side-applies them on chart bumps. Both its
            # images are pinned here: the chart's defaults are busybox:latest and kubectl at the cluster's version.
            "upgradeJob": {
                "enabled": True,
                "image": {"busybox": _image(IMAGES["kps-crd-upgrade-busybox"]), "kubectl": _image(IMAGES["kubectl"])},
                "resources": _resources(res.hook_jobs),
                "podLabels": OPERATOR_HOOK_LABELS,
            },
        },
        "windowsMonitoring": {"enabled": False},
        **{component: {"enabled": False} for component in DISABLED_CONTROL_PLANE},
        "additionalPrometheusRulesMap": alerts.platform_rules(config),
        "alertmanager": {
            "enabled": True,
            "config": alerts.alertmanager_config(config),
            "alertmanagerSpec": alertmanager_spec,
        },
        "prometheus": {
            "prometheusSpec": prometheus_spec,
            "additionalPodMonitors": [t.pod_monitor() for t in enabled_targets(config)],
        },
        "prometheusOperator": {
            "resources": _resources(res.operator),
            "admissionWebhooks": {"patch": {"resources": _resources(res.hook_jobs)}},
            "prometheusConfigReloader": {"resources": _resources(res.config_reloader)},
        },
        "kube-state-metrics": {"resources": _resources(res.kube_state_metrics)},
        "prometheus-node-exporter": {"resources": _resources(res.node_exporter)},
        "grafana": {
            "enabled": True,
            "fullnameOverride": GRAFANA_NAME,
            "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
            "persistence": {"enabled": True, "type": "pvc", "storageClassName": block, "size": m.grafana.storage,
                            "accessModes": ["ReadWriteOnce"]},
            # RWO volume: a rolling update would wait forever on the Multi-Attach of the old pod's volume.
            "deploymentStrategy": {"type": "Recreate"},
            "initChownData": {"enabled": False},  # runs as root; fsGroup already owns the volume
            "testFramework": {"enabled": False},
            "resources": _resources(res.grafana),
            "ingress": {"enabled": False},  # built by the shared ingress helper instead
            "grafana.ini": {
                "server": {"root_url": f"{scheme}://{config.host('grafana')}"},
                "analytics": {"check_for_updates": False, "check_for_plugin_updates": False, "reporting_enabled": False},
            },
            "sidecar": {
                "resources": _resources(res.grafana_sidecar),
                "dashboards": {
                    "enabled": True,
                    "label": DASHBOARD_LABEL,
                    "labelValue": "1",
                    "searchNamespace": "ALL",
                    "folderAnnotation": DASHBOARD_FOLDER_ANNOTATION,
                    "provider": {"foldersFromFilesStructure": True},
                },
            },
        },
    }


class KubePrometheusStack(Construct):
    """The metrics layer's release and everything around it (see the module docstring)."""

    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str) -> None:
        super().__init__(scope, id_)
        if not config.metrics.enabled:
            raise ValueError("KubePrometheusStack built with metrics.enabled = false; the stack must skip it")
        stack = LayerStack.of(self)
        self.config = config
        self.namespace = namespace

        grafana_admin = SecretV1(
            self,
            "grafana_admin",
            metadata={"name": GRAFANA_ADMIN_SECRET, "namespace": namespace, "labels": workload_labels(GRAFANA_NAME)},
            data={
                "admin-user": config.metrics.grafana.admin_user,
                "admin-password": stack.secret("grafana_admin_password"),
            },
        )
        depends: list[Any] = [grafana_admin]
        receiver = alerts.receiver_secret(config)
        if receiver is not None:
            variable, key = receiver
            depends.append(
                SecretV1(
                    self,
                    "alertmanager_receiver",
                    metadata={"name": alerts.RECEIVER_SECRET, "namespace": namespace,
                              "labels": workload_labels(ALERTMANAGER_APP)},
                    data={key: stack.secret(variable)},
                )
            )
        for path in dashboard_files():
            ConfigMapV1(
                self,
                f"dashboard_{path.stem.replace('-', '_')}",
                metadata={
                    "name": f"dashboard-{path.stem}",
                    "namespace": namespace,
                    "labels": {**workload_labels(GRAFANA_NAME, "dashboard"), DASHBOARD_LABEL: "1"},
                    "annotations": {DASHBOARD_FOLDER_ANNOTATION: DASHBOARD_FOLDER},
                },
                data={path.name: for_tofu(path.read_text())},
            )

        self.release = chart_release(
            self,
            "release",
            chart="kube-prometheus-stack",
            name=RELEASE_NAME,
            namespace=namespace,
            values=chart_values(config),
            literal_values=True,  # alert and receiver templates hold {{ }} and no token
            timeout=900,
            depends_on=[*depends, *self._network_policies()],
            atomic=True,
            cleanup_on_fail=True,
        )

        public_ingress(
            self,
            "grafana_ingress",
            config=config,
            name=GRAFANA_NAME,
            namespace=namespace,
            routes=[Route(host=config.host("grafana"), service=GRAFANA_NAME, port=GRAFANA_SERVICE_PORT)],
        )

    def _network_policies(self) -> list[Any]:
        ns, config = self.namespace, self.config
        policies = [
            # Prometheus ↔ Alertmanager ↔ Grafana ↔ operator ↔ kube-state-metrics all live here.
            network.allow_same_namespace(self, "netpol_same_namespace", namespace=ns),
            # The API clients only: the operator (and its admission/CRD hook Jobs, same name label),
            # kube-state-metrics, Prometheus (service discovery, apiserver job), Grafana (its sidecars
            # share the pod). Alertmanager and Grafana's own process get no API and no internet.
            network.allow_api_server(self, "netpol_api_server", namespace=ns, apps=API_CLIENTS,
                                     name="allow-metrics-to-api-server"),
            network.allow_from_api_server(
                self, "netpol_operator_webhook", namespace=ns, app=OPERATOR_APP, ports=[OPERATOR_WEBHOOK_PORT],
                name="allow-api-server-to-operator-webhook",
            ),
            # kubelet/cAdvisor and the host-network node-exporter on every node.
            network.allow_to_nodes(
                self, "netpol_prometheus_nodes", namespace=ns, app=PROMETHEUS_APP,
                ports=[KUBELET_PORT, NODE_EXPORTER_PORT], name="allow-prometheus-to-nodes",
            ),
            network.allow_to_service(
                self, "netpol_prometheus_coredns", namespace=ns, app=PROMETHEUS_APP, target_namespace="kube-system",
                target_app={"k8s-app": "kube-dns"}, ports=[COREDNS_METRICS_PORT], name="allow-prometheus-to-coredns",
            ),
            network.allow_from_ingress(self, "netpol_grafana_ingress", namespace=ns, app=GRAFANA_NAME,
                                       ports=[GRAFANA_POD_PORT]),
        ]
        for target in enabled_targets(config):
            policies.append(network.allow_to_service(
                self, f"netpol_prometheus_{target.name.replace('-', '_')}", namespace=ns, app=PROMETHEUS_APP,
                target_namespace=target.namespace, target_app=target.pod_labels[NAME_LABEL],
                ports=[target.port], name=f"allow-prometheus-to-{target.name}",
            ))
        receiver = config.metrics.alerting.receiver
        if receiver != "none":
            email = config.metrics.alerting.email
            ports = [int(email.smarthost.rsplit(":", 1)[1])] if email is not None else [443]
            policies.append(network.allow_internet(
                self, "netpol_alertmanager_internet", namespace=ns, app=ALERTMANAGER_APP, ports=ports,
                name="allow-alertmanager-to-receiver",
            ))
            if receiver == "webhook":
                # A receiver on one of our own hostnames (e.g. an n8n workflow on webhook.<root>).
                allow_public_hostnames(self, "netpol_alertmanager_hairpin", config=config, namespace=ns,
                                       app=ALERTMANAGER_APP, ports=[443])
        return network.built(policies)
