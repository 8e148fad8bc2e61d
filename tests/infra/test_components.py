"""Intent of each infra component in the synthesized JSON (both envs)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from support.infra import by_k8s_name, one, release, resources_of, values
from support.synth import cilium_policies

from platform_constructs.base import buckets
from platform_constructs.infra import cert_manager, minio, velero
from platform_constructs.versions import CHARTS, IMAGES


def _releases(stack):
    return {r["name"] for r in resources_of(stack, "helm_release").values()}


def test_components_per_env(all_stacks):
    assert _releases(all_stacks["prod-infra"]) == {"traefik", "cert-manager", "letsencrypt-issuers", "external-dns", "velero"}
    # dev: minikube's ingress addon serves class nginx; no TLS, DNS or WAF; MinIO instead of Spaces.
    assert _releases(all_stacks["dev-infra"]) == {"velero"}
    assert by_k8s_name(all_stacks["dev-infra"], "kubernetes_deployment_v1", "minio")


def test_charts_are_the_pinned_ones(all_stacks):
    for env in ("dev", "prod"):
        for rel in resources_of(all_stacks[f"{env}-infra"], "helm_release").values():
            if rel["name"] in CHARTS:
                pin = CHARTS[rel["name"]]
                assert (rel["repository"], rel["chart"], rel["version"]) == (pin.repository, pin.chart, pin.version)
    assert CHARTS["velero"].version.startswith("12."), "Velero < 12 pulls a Bitnami kubectl image"


def test_traefik_prod(all_stacks):
    v = values(all_stacks["prod-infra"], "traefik")
    assert v["deployment"]["replicas"] == 2 and v["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
    assert v["ingressClass"] == {"enabled": True, "isDefaultClass": True, "name": "traefik"}
    web = v["ports"]["web"]
    assert web["allowACMEByPass"] is True, "HTTP-01 must get through the redirect"
    assert web["http"]["redirections"]["entryPoint"] == {"to": "websecure", "scheme": "https", "permanent": True, "priority": 1}
    assert v["service"]["spec"]["type"] == "LoadBalancer"
    assert "do-loadbalancer-name" in json.dumps(v["service"]["annotations"])
    prom = v["metrics"]["prometheus"]
    assert prom["service"]["enabled"] is True and prom["serviceMonitor"]["enabled"] is False
    assert v["resources"]["limits"]["memory"] and v["resources"]["requests"]["memory"]
    assert f"{v['image']['registry']}/{v['image']['repository']}:{v['image']['tag']}" == IMAGES["traefik"]
    for port in ("web", "websecure"):
        timeouts = v["ports"][port]["transport"]["respondingTimeouts"]
        assert timeouts == {"readTimeout": "10m"}, f"{port}: Traefik's 60 s default read timeout cuts image pushes"


def test_traefik_writes_a_json_access_log(all_stacks, dev_traefik_infra):
    """Chart 41.3.0 renders --accesslog only under ``accessLog.enabled`` (default false), --accesslog.format
    within it (traefik/traefik-helm-chart@v41.3.0 traefik/templates/_podtemplate.tpl, `with .Values.accessLog`)."""
    for stack in (all_stacks["prod-infra"], dev_traefik_infra):
        assert values(stack, "traefik")["accessLog"] == {"enabled": True, "format": "json"}


def test_traefik_in_dev_behind_the_switch(dev_traefik_infra):
    v = values(dev_traefik_infra, "traefik")
    assert v["ingressClass"]["name"] == "traefik" and v["deployment"]["replicas"] == 1
    assert "redirections" not in json.dumps(v["ports"]["web"]), "dev has no TLS: no HTTPS redirect"
    assert "experimental" not in v and "extraObjects" not in v, "no WAF in dev"
    assert "do-loadbalancer-name" not in json.dumps(v)


def test_cert_manager_and_issuers(all_stacks, configs):
    stack = all_stacks["prod-infra"]
    v = values(stack, "cert-manager")
    assert v["crds"] == {"enabled": True, "keep": True} and "installCRDs" not in v
    issuers = release(stack, "letsencrypt-issuers")
    assert issuers["chart"].startswith("assets/"), "local chart shipped as a relative cdktf asset"
    assert issuers["version"] == cert_manager.ISSUERS_CHART_VERSION
    cm_address = next(k for k, r in resources_of(stack, "helm_release").items() if r["name"] == "cert-manager")
    assert f"helm_release.{cm_address}" in issuers["depends_on"], "issuers install after cert-manager"
    iv = json.loads(issuers["values"][0])
    assert iv["email"] == configs["prod"].acme_email and iv["ingressClassName"] == "traefik"
    assert {i["name"] for i in iv["issuers"]} == {"letsencrypt-staging", "letsencrypt-prod"}
    assert "staging" in dict((i["name"], i["server"]) for i in iv["issuers"])["letsencrypt-staging"]
    for rtype in ("null_resource", "terraform_data"):
        assert not resources_of(stack, rtype), f"{rtype} would re-run on every plan"
    assert "timestamp()" not in json.dumps(stack)


def test_issuers_chart_version_matches_its_chart_yaml():
    chart_yaml = (cert_manager.ISSUERS_CHART_DIR / "Chart.yaml").read_text()
    assert re.search(rf"^version: {re.escape(cert_manager.ISSUERS_CHART_VERSION)}$", chart_yaml, re.M)
    template = (cert_manager.ISSUERS_CHART_DIR / "templates" / "clusterissuers.yaml").read_text()
    assert "kind: ClusterIssuer" in template and "http01" in template


def test_external_dns(all_stacks, configs):
    stack = all_stacks["prod-infra"]
    v = values(stack, "external-dns")
    config = configs["prod"]
    assert v["domainFilters"] == [config.root_domain] and v["txtOwnerId"]
    assert v["provider"]["name"] == "webhook"
    env = {e["name"]: e for e in v["provider"]["webhook"]["env"]}
    assert env["DO_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "external-dns-digitalocean"
    secret = by_k8s_name(stack, "kubernetes_secret_v1", "external-dns-digitalocean")
    assert secret["data"]["token"] == "${var.external_dns_do_token}"
    assert stack["variable"]["external_dns_do_token"]["sensitive"] is True
    # external-dns' own %{record_type} placeholder must reach it unexpanded by OpenTofu.
    assert v["txtPrefix"] == "_extdns-%%{record_type}."


def test_minio_dev(all_stacks, configs):
    stack = all_stacks["dev-infra"]
    config = configs["dev"]
    pv = one(next(iter(resources_of(stack, "kubernetes_persistent_volume_v1").values()))["spec"])
    path = one(pv["persistent_volume_source"])["host_path"]
    path = one(path)["path"]
    assert path == f'${{abspath("${{path.root}}/../../../data/{config.cluster_name}")}}', path
    assert not Path(path).is_absolute(), "no absolute path of the synthesizing machine"
    deployment = by_k8s_name(stack, "kubernetes_deployment_v1", "minio")
    pod = one(one(one(deployment["spec"])["template"])["spec"])
    script = next(c for c in pod["container"] if c["name"] == "buckets")["command"][-1]
    for bucket in (buckets.velero_bucket(config), buckets.media_bucket(config)):
        assert bucket in script, f"bucket {bucket} must be created at start"
    assert "${" not in script, "a literal ${ would be read by OpenTofu as a template"
    images = {c["image"] for c in pod["container"]}
    assert images == {IMAGES["minio"], IMAGES["minio-mc"]}
    secret = by_k8s_name(stack, "kubernetes_secret_v1", minio.ROOT_SECRET)
    assert secret["data"] == {"rootUser": "${var.minio_root_user}", "rootPassword": "${var.minio_root_password}"}
    assert not resources_of(all_stacks["prod-infra"], "kubernetes_persistent_volume_v1"), "no MinIO in prod"


def test_velero(all_stacks, configs):
    for env in ("dev", "prod"):
        stack, config = all_stacks[f"{env}-infra"], configs[env]
        v = values(stack, "velero")
        bsl = v["configuration"]["backupStorageLocation"][0]
        assert bsl["bucket"] == buckets.velero_bucket(config) and bsl["provider"] == "aws"
        assert bsl["config"] == {
            "region": buckets.s3_region(config), "s3Url": buckets.s3_endpoint(config), "s3ForcePathStyle": "true"
        }
        plugin = v["initContainers"][0]["image"]
        assert plugin == IMAGES["velero-plugin-for-aws"]
        assert tuple(int(x) for x in plugin.rsplit(":v", 1)[1].split(".")) >= (1, 14, 3)
        assert v["deployNodeAgent"] is True and v["configuration"]["uploaderType"] == "kopia"
        assert v["credentials"] == {"useSecret": True, "existingSecret": velero.CREDENTIALS_SECRET}
        daily = v["schedules"][velero.DEFAULT_SCHEDULE]
        assert daily["schedule"] == config.infra.backups.schedule == "0 3 * * *"
        assert daily["template"]["ttl"] == config.infra.backups.ttl == "720h"
        assert daily["template"]["defaultVolumesToFsBackup"] is True
        repo = by_k8s_name(stack, "kubernetes_secret_v1", velero.REPO_SECRET)
        assert repo["data"][velero.REPO_KEY] == "${var.velero_repository_password}"
        creds = by_k8s_name(stack, "kubernetes_secret_v1", velero.CREDENTIALS_SECRET)["data"][velero.CREDENTIALS_KEY]
        expected = (
            ("velero_s3_access_key", "velero_s3_secret_key") if env == "prod" else ("minio_root_user", "minio_root_password")
        )
        for variable in expected:
            assert f"${{var.{variable}}}" in creds and stack["variable"][variable]["sensitive"] is True
        assert "bitnami" not in json.dumps(v).lower()
        # Chart 12.1.0: the CRD-upgrade hook runs the velero image with `upgradeJobResources` and the top-level
        # containerSecurityContext; kubectl.image/resources/containerSecurityContext only reach the cleanup-CRDs and
        # label-namespace jobs, both off (vmware-tanzu/helm-charts@velero-12.1.0 charts/velero/templates/upgrade-crds/).
        assert v["upgradeJobResources"]["requests"]["memory"] and v["upgradeJobResources"]["limits"]["memory"]
        assert not {"image", "resources", "containerSecurityContext"} & set(v.get("kubectl", {})), "read by no job we run"
        assert not v.get("cleanUpCRDs") and not v.get("namespace", {}).get("labels")


def test_every_infra_pod_namespace_policy_exists(all_stacks):
    stack = all_stacks["prod-infra"]
    names = {p["metadata"]["name"] for p in resources_of(stack, "kubernetes_network_policy_v1").values()}
    for expected in (
        "default-deny", "allow-traefik-to-apps", "allow-traefik-to-waf", "allow-traefik-to-waf-modsecurity",
        "allow-platform-to-traefik", "allow-prometheus-to-traefik", "allow-prometheus-to-velero",
        "allow-prometheus-to-cert-manager",
    ):
        assert expected in names, f"prod-infra: NetworkPolicy {expected} missing"
    cilium = set(cilium_policies(stack))
    for expected in (
        "allow-edge-to-traefik", "allow-traefik-to-api-server", "allow-cert-manager-to-api-server",
        "allow-api-server-to-cert-manager-webhook", "allow-external-dns-to-api-server", "allow-velero-to-api-server",
        "allow-velero-upgrade-crds-to-api-server",
    ):
        assert expected in cilium, f"prod-infra: CiliumNetworkPolicy {expected} missing"
    dev = {p["metadata"]["name"] for p in resources_of(all_stacks["dev-infra"], "kubernetes_network_policy_v1").values()}
    assert {"allow-velero-to-minio", "allow-minio-from-velero"} <= dev
    assert "allow-apps-to-minio" not in dev, "no app of the default dev config keeps media in MinIO"


def test_kubectl_image_matches_the_cluster_minor(configs):
    """kubectl supports one minor of skew: kube-prometheus-stack's CRD-upgrade job runs this kubectl."""
    prefix = configs["prod"].cluster.kubernetes_version_prefix  # e.g. "1.35."
    tag = IMAGES["kubectl"].rsplit(":", 1)[1]
    assert tag.startswith(f"v{prefix}"), f"kubectl {tag} vs DOKS {prefix}x: bump versions.IMAGES['kubectl']"


def test_velero_pods_created_at_run_time_carry_the_labels_policies_select(all_stacks):
    """upgrade-crds hook (kubectl.labels), data movers (node-agent ConfigMap podLabels, read through
    --node-agent-configmap) and kopia maintenance Jobs (repositoryMaintenanceJob global.podLabels)."""
    for env in ("dev", "prod"):
        vals = values(all_stacks[f"{env}-infra"], "velero")
        assert vals["kubectl"]["labels"] == velero.UPGRADE_CRDS_LABELS, f"{env}: upgrade-crds hook unlabelled"
        config_map = vals["configMaps"][velero.NODE_AGENT_CONFIG]
        (document,) = config_map["data"].values()  # Velero refuses a ConfigMap with more than one key
        assert json.loads(document)["podLabels"] == velero.DATA_MOVER_LABELS
        # The chart names it <fullname>-<key>; fullname is the release name "velero".
        assert vals["nodeAgent"]["extraArgs"] == [f"--node-agent-configmap=velero-{velero.NODE_AGENT_CONFIG}"]
        global_config = vals["configuration"]["repositoryMaintenanceJob"]["repositoryConfigData"]["global"]
        assert global_config["podLabels"] == velero.MAINTENANCE_LABELS
        for labels in (velero.DATA_MOVER_LABELS, velero.MAINTENANCE_LABELS):
            assert labels["app.kubernetes.io/name"] == velero.VELERO_APP, "selected by the Velero policies"
