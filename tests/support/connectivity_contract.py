"""The connectivity contract: every flow the running platform needs, and flows that must stay blocked.

Data, per env and per config (optional apps, queue mode, receivers…), evaluated against the
synthesized policies by ``tests/security/test_connectivity.py`` with the CNI model of
``tests/support/cni_model.py``. The pods are what the cluster will run:

* our own workloads are read from the synthesized Deployments/StatefulSets/Jobs/CronJobs (labels, named
  ports), and from the values of our own charts, which carry pods too (the database init hooks of
  charts/database-init: ``job.podSpec``, see base/native.py);
* chart pods are written below from the chart templates at the pinned versions (source next to
  each), with the labels we add through chart values read back from the synthesized values;
* the cluster's non-pod peers (API server, nodes, load balancer, internet) come from ``CLUSTERS``:
  facts about DOKS and minikube, independent of our config (so a wrong config port fails here).

Flow classes (``why`` starts with one): api-server, webhook, scrape, edge, hairpin, dns, database,
ingress, internet, object-store, data-mover, hook, in-namespace.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from envs import PlatformConfig
from platform_constructs.posture import chart_workloads
from platform_constructs.rules import helm_values
from support.cni_model import Flow, Outside, Pod

NAME = "app.kubernetes.io/name"
COMPONENT = "app.kubernetes.io/component"
INTERNET = Outside("an internet host", "93.184.215.14", frozenset({"world"}))
METADATA_SERVICE = Outside("the cloud metadata service", "169.254.169.254", frozenset({"world"}))


@dataclass(frozen=True)
class Cluster:
    """Facts about a cluster kind: its non-pod peers as policies see them (after Service DNAT)."""

    name: str
    api_server: Outside
    api_port: int
    nodes: tuple[Outside, ...]  # the node a pod runs on (host) and, multi-node, another one
    lb_sources: tuple[Outside, ...]  # how load-balancer connections reach the Traefik pods
    kube_system: tuple[Pod, ...]


COREDNS = Pod("coredns", "kube-system", {"k8s-app": "kube-dns"}, {"dns": 53, "dns-tcp": 53, "metrics": 9153})
"""kubeadm's CoreDNS (minikube) and DOKS' both label it k8s-app=kube-dns (kubernetes/kubernetes
cmd/kubeadm/app/phases/addons/dns/manifests.go)."""

CLUSTERS: dict[str, Cluster] = {
    # DOKS: a managed control plane outside the cluster, reached on 443 (the `kubernetes` Service's
    # endpoint; DigitalOcean docs "Kubernetes Limits": a NetworkPolicy cannot select it, use a
    # CiliumNetworkPolicy); Cilium gives that address the kube-apiserver identity. Webhook calls come
    # from konnectivity-agent pods in kube-system (issue 15, finding 5; tigera/operator#5212 for the
    # same design on AKS/GKE). The DO load balancer forwards to node ports; with
    # externalTrafficPolicy Cluster the Traefik pod sees world, or remote-node after a hop
    # (cilium/cilium Documentation/security/policy/caveats.rst).
    "doks": Cluster(
        name="DOKS",
        api_server=Outside("the DOKS control plane", "203.0.113.10", frozenset({"kube-apiserver"})),
        api_port=443,
        nodes=(Outside("the pod's node", "10.110.0.4", frozenset({"host"})),
               Outside("another node", "10.110.0.5", frozenset({"remote-node"}))),
        lb_sources=(Outside("the DO load balancer", "10.110.0.9", frozenset({"world"})),
                    Outside("a node forwarding LB traffic", "10.110.0.5", frozenset({"remote-node"}))),
        kube_system=(COREDNS, Pod("konnectivity-agent", "kube-system", {"k8s-app": "konnectivity-agent"})),
    ),
    # minikube (docker driver): one node 192.168.49.2; the API server runs in the host network on
    # 8443 (kubernetes/minikube v1.38.1 pkg/minikube/constants/constants.go APIServerPort), so Cilium
    # sees it as host + kube-apiserver. `minikube tunnel` hands LB traffic to the node.
    "minikube": Cluster(
        name="minikube",
        api_server=Outside("minikube's API server (host network)", "192.168.49.2", frozenset({"kube-apiserver", "host"})),
        api_port=8443,
        nodes=(Outside("the minikube node", "192.168.49.2", frozenset({"host"})),),
        lb_sources=(Outside("a client through minikube tunnel", "192.168.49.1", frozenset({"world"})),),
        kube_system=(COREDNS,),
    ),
}


def cluster_for(config: PlatformConfig) -> Cluster:
    return CLUSTERS["doks" if config.is_prod else "minikube"]


# --- the pods ------------------------------------------------------------------------------------


def _one(node: Any) -> Any:
    return node[0] if isinstance(node, list) and len(node) == 1 else node


def _namespace(stacks: Mapping[str, Any], token: str) -> str:
    for stack in stacks.values():
        for rid, ns in stack.get("resource", {}).get("kubernetes_namespace_v1", {}).items():
            if token == f"${{kubernetes_namespace_v1.{rid}.metadata[0].name}}":
                return _one(ns["metadata"])["name"]
    return token


def our_workloads(stacks: Mapping[str, Any]) -> Iterator[Pod]:
    """Pods of the workloads we synthesize, as their templates describe them: the Deployments, StatefulSets,
    Jobs, DaemonSets and CronJobs, and the pods our own charts take as values."""
    for stack in stacks.values():
        resources = stack.get("resource", {})
        for rtype in ("kubernetes_deployment_v1", "kubernetes_stateful_set_v1", "kubernetes_job_v1",
                      "kubernetes_daemon_set_v1", "kubernetes_cron_job_v1"):
            for body in resources.get(rtype, {}).values():
                meta = _one(body["metadata"])
                spec = _one(body["spec"])
                if rtype == "kubernetes_cron_job_v1":
                    spec = _one(_one(spec["job_template"])["spec"])
                template = _one(spec["template"])
                pod = _one(template["spec"])
                ports = {p["name"]: int(p["container_port"]) for c in pod["container"] for p in c.get("port", [])
                         if p.get("name")}
                yield Pod(meta["name"], _namespace(stacks, meta["namespace"]), dict(_one(template["metadata"])["labels"]), ports)
        for body in resources.get("helm_release", {}).values():
            if body.get("repository"):
                continue  # an upstream chart: its pods are written in chart_pods below
            for doc in helm_values(body):
                for values, pod in chart_workloads(doc):
                    ports = {p["name"]: int(p["containerPort"]) for c in pod["spec"]["containers"] for p in c.get("ports", [])
                             if p.get("name")}
                    yield Pod(values["name"], _namespace(stacks, body["namespace"]), dict(pod["metadata"]["labels"]), ports)


def _values(stacks: Mapping[str, Any], release: str) -> dict[str, Any]:
    for stack in stacks.values():
        for body in stack.get("resource", {}).get("helm_release", {}).values():
            if body["name"] == release:
                return json.loads(body["values"][0].replace("$${", "${").replace("%%{", "%{"))
    return {}


def chart_pods(config: PlatformConfig, stacks: Mapping[str, Any]) -> Iterator[Pod]:
    """Pods the charts create, with the labels their templates give them at the pinned versions."""
    infra = config.infra
    if infra.ingress.controller == "traefik":
        # traefik-helm-chart v41.3.0 templates/_helpers.tpl traefik.labelselector; ports from our values.
        yield Pod("traefik", "infra", {NAME: "traefik", "app.kubernetes.io/instance": "traefik-infra"},
                  {"web": 8000, "websecure": 8443, "metrics": 9100})
    else:
        # kubernetes/minikube v1.38.1 deploy/addons/ingress/ingress-deploy.yaml.tmpl
        yield Pod("ingress-nginx-controller", "ingress-nginx",
                  {NAME: "ingress-nginx", COMPONENT: "controller", "app.kubernetes.io/instance": "ingress-nginx"},
                  {"http": 80, "https": 443})
    if infra.cert_manager:
        # cert-manager v1.21.1 deploy/charts/cert-manager/templates/{deployment,webhook-deployment,
        # cainjector-deployment,startupapicheck-job}.yaml: app.kubernetes.io/name + component.
        for name, component, ports in (("cert-manager", "controller", {"http-metrics": 9402}),
                                       ("webhook", "webhook", {"https": 10250}),
                                       ("cainjector", "cainjector", {}),
                                       ("startupapicheck", "startupapicheck", {})):
            yield Pod(f"cert-manager-{component}", "infra", {NAME: name, COMPONENT: component,
                                                               "app.kubernetes.io/instance": "cert-manager"}, ports)
    if infra.external_dns:
        # external-dns chart 1.21.1: app.kubernetes.io/name external-dns; /metrics on "http" 7979.
        yield Pod("external-dns", "infra", {NAME: "external-dns", "app.kubernetes.io/instance": "external-dns"},
                  {"http": 7979, "http-webhook": 8888})
    # velero-12.1.0: the server (templates/deployment.yaml: name label + `name: velero`), the node
    # agent (node-agent-daemonset.yaml: `name: node-agent`), and the pods created at run time.
    velero = _values(stacks, "velero")
    yield Pod("velero", "infra", {NAME: "velero", "name": "velero"}, {"http-monitoring": 8085})
    yield Pod("velero-node-agent", "infra", {NAME: "velero", "name": "node-agent", "role": "node-agent"})
    yield Pod("velero-upgrade-crds", "infra",
              {**velero.get("kubectl", {}).get("labels", {}), "batch.kubernetes.io/job-name": "velero-upgrade-crds"})
    mover = json.loads(next(iter(velero.get("configMaps", {}).get("node-agent", {}).get("data", {}).values()), "{}"))
    for label in ("velero.io/pod-volume-backup", "velero.io/pod-volume-restore"):
        yield Pod(f"velero-data-mover-{label.rsplit('-', 1)[1]}", "infra", {label: "daily-x", **mover.get("podLabels", {})})
    maintenance = velero.get("configuration", {}).get("repositoryMaintenanceJob", {}).get("repositoryConfigData", {})
    yield Pod("velero-repo-maintenance", "infra",
              {"velero.io/repo-name": "wordpress-default-kopia", **maintenance.get("global", {}).get("podLabels", {})})
    if config.metrics.enabled:
        kps = _values(stacks, "kube-prometheus-stack")
        operator = "kube-prometheus-stack-prometheus-operator"
        # kube-prometheus-stack-88.5.3: operator deployment and admission Jobs share the name label
        # (templates/prometheus-operator/admission-webhooks/_prometheus-operator-webhook.tpl); the CRD
        # upgrade Job's pod carries only crds.upgradeJob.podLabels (charts/crds/templates/upgrade/job.yaml).
        yield Pod("prometheus-operator", "metrics", {NAME: operator, COMPONENT: "prometheus-operator"}, {"https": 10250})
        yield Pod("kps-admission-create", "metrics", {NAME: operator, COMPONENT: "prometheus-operator-webhook",
                                                      "app": "kube-prometheus-stack-admission-create"})
        yield Pod("kps-crds-upgrade", "metrics", dict(kps.get("crds", {}).get("upgradeJob", {}).get("podLabels", {})))
        # Operator-created pods (prometheus-operator test/e2e: app.kubernetes.io/name=prometheus).
        yield Pod("prometheus", "metrics", {NAME: "prometheus", "app.kubernetes.io/instance": "kube-prometheus-stack-prometheus"},
                  {"http-web": 9090})
        yield Pod("alertmanager", "metrics", {NAME: "alertmanager"}, {"http-web": 9093})
        yield Pod("kube-state-metrics", "metrics", {NAME: "kube-state-metrics"}, {"http": 8080})
        yield Pod("grafana", "metrics", {NAME: "grafana", "app.kubernetes.io/instance": "kube-prometheus-stack"},
                  {"grafana": 3000})
    if config.apps.nextcloud.enabled:
        yield Pod("nextcloud", "nextcloud", {NAME: "nextcloud", "app.kubernetes.io/instance": "nextcloud"}, {"http": 80})
    if config.apps.sentry.enabled:
        # sentry chart: `app: sentry, release: sentry, role: <component>` on every pod, hooks `app: sentry`
        # (templates/sentry/web/deployment-sentry-web.yaml, relay/, snuba/, hooks/ at sentry-v25.9.0).
        for role, ports in (("web", {"http": 9000}), ("relay", {"http": 3000}), ("worker", {}), ("snuba-api", {"http": 1218})):
            yield Pod(f"sentry-{role}", "sentry", {"app": "sentry", "release": "sentry", "role": role}, ports)
        yield Pod("sentry-db-init", "sentry", {"app": "sentry", "release": "sentry"})
    if infra.ingress.tls:
        # cert-manager starts an HTTP-01 solver pod next to each Ingress it certifies; our issuers chart
        # names it (base/ingress.py ACME_SOLVER_APP).
        for namespace in sorted(ingress_namespaces(stacks)):
            yield Pod("acme-solver", namespace, {NAME: "acme-http01-solver"}, {"http": 8089})


def ingress_namespaces(stacks: Mapping[str, Any]) -> set[str]:
    return {_namespace(stacks, _one(body["metadata"])["namespace"])
            for stack in stacks.values() for body in stack.get("resource", {}).get("kubernetes_ingress_v1", {}).values()}


def inventory(config: PlatformConfig, stacks: Mapping[str, Any]) -> dict[str, Pod]:
    """Every pod by ``<namespace>/<name>`` (an address per pod, for CIDR models)."""
    pods = [*our_workloads(stacks), *chart_pods(config, stacks), *cluster_for(config).kube_system]
    pods.append(Pod("intruder", "analytics", {NAME: "intruder"}))  # a pod no policy names
    return {f"{p.namespace}/{p.name}": replace(p, ip=f"10.244.{i // 200}.{i % 200 + 10}") for i, p in enumerate(pods)}


# --- the flows -------------------------------------------------------------------------------------


def _prefix(pods: Mapping[str, Pod], prefix: str) -> list[Pod]:
    return [p for key, p in sorted(pods.items()) if key.startswith(prefix)]


def init_pod(pods: Mapping[str, Pod], engine: str) -> Pod:
    """The pod of ``engine``'s init Job (``data/<engine>-init-<hash>``, a hook of charts/database-init)."""
    found = _prefix(pods, f"data/{engine}-init-")
    assert len(found) == 1, (
        f"{engine} has app databases but the inventory holds {len(found)} init Job pods (data/{engine}-init-*): "
        "our charts' pods are not read"
    )
    return found[0]


def needed(config: PlatformConfig, pods: Mapping[str, Pod]) -> Iterator[Flow]:
    cluster = cluster_for(config)
    infra, apps = config.infra, config.apps
    traefik = infra.ingress.controller == "traefik"
    api = cluster.api_server

    # DNS: every pod resolves names through CoreDNS (both protocols).
    for pod in pods.values():
        if pod.namespace != "kube-system":
            yield Flow(pod, pods["kube-system/coredns"], 53, "dns: resolve names", "UDP")
    yield Flow(pods["infra/velero"], pods["kube-system/coredns"], 53, "dns: over TCP")

    # API server: every controller, operator and hook that talks to Kubernetes.
    api_clients = ["infra/velero", "infra/velero-node-agent", "infra/velero-upgrade-crds",
                   "infra/velero-data-mover-backup", "infra/velero-data-mover-restore", "infra/velero-repo-maintenance"]
    if traefik:
        api_clients.append("infra/traefik")
    if infra.cert_manager:
        api_clients += [f"infra/cert-manager-{c}" for c in ("controller", "webhook", "cainjector", "startupapicheck")]
    if infra.external_dns:
        api_clients.append("infra/external-dns")
    if config.metrics.enabled:
        api_clients += [f"metrics/{p}" for p in ("prometheus-operator", "kps-admission-create", "kps-crds-upgrade",
                                                 "prometheus", "kube-state-metrics", "grafana")]
    for key in api_clients:
        yield Flow(pods[key], api, cluster.api_port, f"api-server: {key} watches/writes the API")

    # Admission webhooks the API server calls (directly, or through konnectivity agents).
    callers = [api, *(p for p in cluster.kube_system if p.name == "konnectivity-agent")]
    webhooks = [("infra/cert-manager-webhook", 10250)] if infra.cert_manager else []
    if config.metrics.enabled:
        webhooks.append(("metrics/prometheus-operator", 10250))
    for key, port in webhooks:
        for caller in callers:
            yield Flow(caller, pods[key], port, f"webhook: admission call to {key}")

    # Scrapes.
    if config.metrics.enabled:
        prometheus = pods["metrics/prometheus"]
        for node in cluster.nodes:
            yield Flow(prometheus, node, 10250, "scrape: kubelet/cAdvisor")
            yield Flow(prometheus, node, 9100, "scrape: node-exporter (host network)")
        yield Flow(prometheus, pods["kube-system/coredns"], 9153, "scrape: CoreDNS")
        yield Flow(prometheus, pods["metrics/kube-state-metrics"], 8080, "scrape: kube-state-metrics")
        yield Flow(prometheus, pods["metrics/alertmanager"], 9093, "in-namespace: Prometheus → Alertmanager")
        yield Flow(pods["metrics/grafana"], prometheus, 9090, "in-namespace: Grafana → Prometheus")
        targets = [("infra/velero", 8085)]
        if traefik:
            targets.append(("infra/traefik", 9100))
        if infra.cert_manager:
            targets.append(("infra/cert-manager-controller", 9402))
        if infra.external_dns:
            targets.append(("infra/external-dns", 7979))
        if apps.registry.enabled:
            targets.append(("registry/zot", 5000))
        if apps.n8n.enabled:
            targets.append(("n8n/n8n", 5678))
        for key, port in targets:
            yield Flow(prometheus, pods[key], port, f"scrape: {key}")

    # Edge and ingress.
    controller = pods["infra/traefik"] if traefik else pods["ingress-nginx/ingress-nginx-controller"]
    if traefik:
        for source in cluster.lb_sources:
            for port in (8000, 8443):
                yield Flow(source, controller, port, "edge: load balancer → Traefik")
        if infra.waf:
            yield Flow(controller, pods["infra/waf-modsecurity"], 8080, "ingress: Traefik → WAF")
    routes = (
        (apps.wordpress.enabled, "wordpress/wordpress", 80),
        (apps.n8n.enabled, "n8n/n8n", 5678),
        (apps.n8n.enabled and apps.n8n.queue_mode, "n8n/n8n-webhook", 5678),
        (apps.registry.enabled, "registry/zot", 5000),
        (apps.analytics.enabled, "analytics/vince", 8080),
        (apps.twenty.enabled, "twenty/twenty", 3000),
        (apps.nextcloud.enabled, "nextcloud/nextcloud", 80),
        (apps.sentry.enabled, "sentry/sentry-web", 9000),
        (apps.sentry.enabled, "sentry/sentry-relay", 3000),
        (config.metrics.enabled, "metrics/grafana", 3000),
    )
    backends = [(key, port) for enabled, key, port in routes if enabled]
    backends += [(key, 8089) for key in pods if key.endswith("/acme-solver")]
    for key, port in backends:
        yield Flow(controller, pods[key], port, f"ingress: controller → {key}")

    # Hairpin: platform pods calling our own public hostnames, short-circuited to Traefik's pods.
    if traefik:
        hairpin = [("infra/cert-manager-controller", 8000, "HTTP-01 self-check")] if infra.cert_manager else []
        if apps.wordpress.enabled:
            hairpin.append(("wordpress/wordpress", 8443, "WordPress loopback / wp-cron"))
        if config.metrics.enabled and config.metrics.alerting.receiver == "webhook":
            hairpin.append(("metrics/alertmanager", 8443, "alert receiver on webhook.<root>"))
        for key, port, what in hairpin:
            yield Flow(pods[key], controller, port, f"hairpin: {what}")
            yield Flow(pods[key], INTERNET, {8000: 80, 8443: 443}[port], f"hairpin: {what} via the LB address")

    # Databases (and the init Jobs).
    db_clients = []
    if apps.wordpress.enabled:
        db_clients.append(("wordpress/wordpress", "data/mariadb", 3306))
    if apps.n8n.enabled:
        db_clients += [(f"n8n/{p}", "data/postgres", 5432) for p in ("n8n", "n8n-worker", "n8n-webhook") if f"n8n/{p}" in pods]
    if apps.twenty.enabled:
        db_clients.append(("twenty/twenty", "data/postgres", 5432))  # server + worker containers, one pod
    if apps.nextcloud.enabled:
        db_clients.append(("nextcloud/nextcloud", "data/postgres", 5432))
    if apps.sentry.enabled:
        db_clients += [("sentry/sentry-web", "data/postgres", 5432), ("sentry/sentry-worker", "data/postgres", 5432),
                       ("sentry/sentry-db-init", "data/postgres", 5432)]
    for src, dst, port in db_clients:
        yield Flow(pods[src], pods[dst], port, f"database: {src} → {dst}")
    # The init Job of an engine with app databases creates them before any app connects.
    for engine, port in (("postgres", 5432), ("mariadb", 3306)):
        if any(dst == f"data/{engine}" for _, dst, _ in db_clients):
            yield Flow(init_pod(pods, engine), pods[f"data/{engine}"], port, f"database: init Job → {engine}")

    # Private Valkeys and Sentry's in-namespace services.
    valkey_clients = []
    if apps.twenty.enabled:
        valkey_clients.append(("twenty/twenty", "twenty/valkey"))
    if apps.n8n.enabled and apps.n8n.queue_mode:
        valkey_clients += [(f"n8n/{p}", "n8n/valkey") for p in ("n8n", "n8n-worker", "n8n-webhook")]
    if apps.nextcloud.enabled:
        valkey_clients.append(("nextcloud/nextcloud", "nextcloud/valkey"))
    if apps.sentry.enabled:
        valkey_clients.append(("sentry/sentry-worker", "sentry/valkey"))
    for src, dst in valkey_clients:
        yield Flow(pods[src], pods[dst], 6379, f"in-namespace: {src} → {dst}")
    if apps.sentry.enabled:
        yield Flow(pods["sentry/sentry-worker"], pods["sentry/kafka"], 9092, "in-namespace: Sentry → Kafka")
        yield Flow(pods["sentry/sentry-snuba-api"], pods["sentry/clickhouse"], 9000, "in-namespace: Snuba → ClickHouse")
        yield Flow(pods["sentry/sentry-relay"], pods["sentry/sentry-web"], 9000, "in-namespace: Relay → web")

    # Internet egress where a component needs it.
    internet = []
    if infra.cert_manager:
        internet.append(("infra/cert-manager-controller", 443, "ACME API"))
    if infra.external_dns:
        internet.append(("infra/external-dns", 443, "DigitalOcean API"))
    if infra.waf:
        internet.append(("infra/traefik", 443, "WAF plugin download"))
    if apps.wordpress.enabled:
        internet.append(("wordpress/wordpress", 443, "updates, remote APIs"))
    if apps.n8n.enabled:
        internet += [(f"n8n/{pod}", port, f"workflow egress port {port}") for port in apps.n8n.egress_ports
                     for pod in ("n8n", "n8n-worker", "n8n-webhook") if f"n8n/{pod}" in pods]
    if apps.twenty.enabled:
        internet.append(("twenty/twenty", 443, "integrations"))
    if apps.nextcloud.enabled:
        internet.append(("nextcloud/nextcloud", 443, "apps store, federation"))
    if apps.sentry.enabled:
        internet += [("sentry/sentry-web", 443, "integrations"), ("sentry/sentry-worker", 587, "mail")]
    if config.metrics.enabled and config.metrics.alerting.receiver != "none":
        internet.append(("metrics/alertmanager", 443, "alert receiver"))
    for key, port, what in internet:
        yield Flow(pods[key], INTERNET, port, f"internet: {key} → {what}")

    # Object store: Velero and its data movers / maintenance Jobs, apps with media in MinIO.
    writers = ["infra/velero", "infra/velero-node-agent", "infra/velero-data-mover-backup",
               "infra/velero-data-mover-restore", "infra/velero-repo-maintenance"]
    for key in writers:
        if infra.backups.target == "minio":
            yield Flow(pods[key], pods["infra/minio"], 9000, f"data-mover: {key} → MinIO")
        else:
            yield Flow(pods[key], INTERNET, 443, f"object-store: {key} → Spaces")
    if infra.backups.target == "minio" and apps.n8n.enabled and apps.n8n.s3_binary_data:
        yield Flow(pods["n8n/n8n"], pods["infra/minio"], 9000, "object-store: n8n binary data → MinIO")


def forbidden(config: PlatformConfig, pods: Mapping[str, Pod]) -> Iterator[Flow]:
    cluster = cluster_for(config)
    infra, apps = config.infra, config.apps
    api = cluster.api_server
    intruder = pods["analytics/intruder"]
    # Workloads that must not talk to the API server, the internet or the metadata service.
    for key in [k for k in ("wordpress/wordpress", "registry/zot", "analytics/vince", "twenty/twenty", "data/postgres",
                            "metrics/alertmanager") if k in pods]:
        yield Flow(pods[key], api, cluster.api_port, f"api-server: {key} has no business with the API")
    for key in [k for k in ("data/postgres", "data/mariadb", "registry/zot", "analytics/vince", "infra/minio",
                            "infra/waf-modsecurity", "metrics/prometheus", "metrics/kube-state-metrics") if k in pods]:
        yield Flow(pods[key], INTERNET, 443, f"internet: {key} needs no internet")
    if config.metrics.enabled:
        yield Flow(pods["metrics/grafana"], INTERNET, 443, "internet: Grafana is internet-facing and needs no egress")
        yield Flow(pods["metrics/kube-state-metrics"], INTERNET, 443, "internet: kube-state-metrics")
    if apps.wordpress.enabled:
        yield Flow(pods["wordpress/wordpress"], METADATA_SERVICE, 80, "internet: the metadata service is private")
    if apps.n8n.enabled:
        yield Flow(pods["n8n/n8n"], INTERNET, 22 if 22 not in apps.n8n.egress_ports else 23, "internet: port not in egress_ports")
    if infra.backups.target == "minio":
        yield Flow(pods["infra/velero"], INTERNET, 443, "internet: dev backups stay in MinIO")
        for key in ("wordpress/wordpress", "analytics/vince"):
            if key in pods:
                yield Flow(pods[key], pods["infra/minio"], 9000, f"object-store: {key} does not use MinIO")
    if infra.cert_manager:
        yield Flow(INTERNET, pods["infra/cert-manager-webhook"], 10250, "webhook: the internet never reaches a webhook")
        yield Flow(intruder, pods["infra/cert-manager-webhook"], 10250, "webhook: app pods never call webhooks")
    if config.metrics.enabled:
        yield Flow(INTERNET, pods["metrics/prometheus-operator"], 10250, "webhook: operator webhook is not public")
    # Lateral movement.
    yield Flow(intruder, pods["data/postgres"], 5432, "database: a namespace without a database")
    for engine, port in (("postgres", 5432), ("mariadb", 3306)):
        # The restore drill restores into a scratch server in its own pod (a socket, no network).
        drill = pods[f"data/{engine}-restore-drill"]
        yield Flow(drill, pods[f"data/{engine}"], port, f"database: the {engine} restore drill never reaches the live server")
        yield Flow(drill, INTERNET, 443, f"internet: the {engine} restore drill needs no network")
        yield Flow(drill, api, cluster.api_port, f"api-server: the {engine} restore drill has no business with the API")
    if "infra/traefik" in pods:
        yield Flow(pods["infra/traefik"], pods["data/postgres"], 5432, "database: the ingress controller never reaches data")
    if config.metrics.enabled:
        yield Flow(pods["metrics/grafana"], pods["data/postgres"], 5432, "database: Grafana has no database here")
    if apps.wordpress.enabled:
        yield Flow(pods["wordpress/wordpress"], pods["data/postgres"], 5432, "database: WordPress uses MariaDB only")
    if apps.n8n.enabled:
        yield Flow(intruder, pods["n8n/n8n"], 5678, "ingress: another app's pod → n8n")
    if apps.wordpress.enabled:
        yield Flow(pods["infra/velero"], pods["wordpress/wordpress"], 80, "ingress: only the ingress controller → apps")
        # The non-existent `ingress-nginx` namespace of prod (or any other) must not be trusted.
        if infra.ingress.controller == "traefik":
            fake = Pod("ingress-nginx-controller", "ingress-nginx", {NAME: "ingress-nginx"})
            yield Flow(fake, pods["wordpress/wordpress"], 80, "ingress: no ingress-nginx in this env")
    if apps.sentry.enabled:
        controller = pods.get("infra/traefik") or pods["ingress-nginx/ingress-nginx-controller"]
        yield Flow(controller, pods["sentry/clickhouse"], 9000, "ingress: Traefik never reaches ClickHouse' native port")
        yield Flow(controller, pods["sentry/kafka"], 9092, "ingress: Traefik never reaches Kafka")
        for key in ("sentry/kafka", "sentry/clickhouse", "sentry/valkey"):
            yield Flow(pods[key], INTERNET, 443, f"internet: {key} needs no internet")
            yield Flow(pods[key], pods["data/postgres"], 5432, f"database: {key} needs no Postgres")
    if config.metrics.enabled:
        for node in cluster.nodes:
            yield Flow(intruder, node, 10250, "scrape: only Prometheus reaches kubelets")
        yield Flow(intruder, pods["infra/velero"], 8085, "scrape: only Prometheus scrapes")
