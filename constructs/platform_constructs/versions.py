"""Every pinned version in one table: charts, container images, providers, OpenTofu.

Bumping a pin is a one-line change here; the rules in ``rules.py`` refuse anything unpinned.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_OPENTOFU_VERSION = "1.10.0"
"""Native state encryption (1.7), S3 ``use_lockfile`` (1.10)."""

# Provider versions the prebuilt bindings target (cdktf-cdktf-provider-* wheels in requirements.lock).
PROVIDERS: dict[str, str] = {
    "kubernetes": "2.38.0",
    "helm": "3.1.1",
    "digitalocean": "2.71.0",
}

OPENTOFU_BUILD = "1.12.6"
"""OpenTofu that scripts/install-opentofu.sh builds from the Go module proxy (module
github.com/opentofu/opentofu, tag v1.12.6) when no tofu >= MIN_OPENTOFU_VERSION is on PATH."""


@dataclass(frozen=True)
class ProviderSource:
    """Where a provider of ``PROVIDERS`` comes from: registry address and the Go module it is built from."""

    address: str  # namespace/type in the registry (our stacks' required_providers resolve to it)
    module: str  # Go module path; it has no /v2 or /v3 suffix, so the tag is not a valid module version
    tag: str
    commit: str  # the tag's commit: what the module proxy is asked for (it turns it into a pseudo-version)
    binding: str  # the cdktf binding generated from this provider's schema (requirements.lock)


PROVIDER_SOURCES: dict[str, ProviderSource] = {
    # Commits: `git rev-parse <tag>^{commit}` in each provider's repository (git hashes, not secrets).
    "kubernetes": ProviderSource(
        "hashicorp/kubernetes", "github.com/hashicorp/terraform-provider-kubernetes", "v2.38.0",
        "be88f44271050f69d52f410bca388834afedfe71",  # pragma: allowlist secret
        "cdktf_cdktf_provider_kubernetes",
    ),
    "helm": ProviderSource(
        "hashicorp/helm", "github.com/hashicorp/terraform-provider-helm", "v3.1.1",
        "1cbf08f6a306ab3cdff6079b87a61c7641b64f3b",  # pragma: allowlist secret
        "cdktf_cdktf_provider_helm",
    ),
    "digitalocean": ProviderSource(
        "digitalocean/digitalocean", "github.com/digitalocean/terraform-provider-digitalocean", "v2.71.0",
        "2b56f1915857f4fe2e41a234b4809210a2da381f",  # pragma: allowlist secret
        "cdktf_cdktf_provider_digitalocean",
    ),
}


@dataclass(frozen=True)
class Chart:
    repository: str
    chart: str
    version: str


CHARTS: dict[str, Chart] = {
    # --- infra layer ---
    "traefik": Chart("https://traefik.github.io/charts", "traefik", "41.3.0"),  # Traefik v3.7.11
    "cert-manager": Chart("https://charts.jetstack.io", "cert-manager", "v1.21.1"),  # CRDs templated: helm upgrades them
    # 1.21.x: the in-tree DigitalOcean provider is gone, DNS goes through the DO webhook sidecar below.
    "external-dns": Chart("https://kubernetes-sigs.github.io/external-dns/", "external-dns", "1.21.1"),
    # 12.x: the CRD-upgrade hook runs the velero image (11.x pulled a Bitnami kubectl image).
    "velero": Chart("https://vmware-tanzu.github.io/helm-charts", "velero", "12.1.0"),
    # --- metrics layer ---
    "kube-prometheus-stack": Chart(
        "https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "88.5.3"
    ),  # operator v0.93.1; bundles grafana 12.11.1, kube-state-metrics 8.4.0, node-exporter 4.56.1
    # --- apps layer ---
    "nextcloud": Chart("https://nextcloud.github.io/helm/", "nextcloud", "9.2.4"),  # appVersion 34.0.1
    # Sentry 26.8.0; >= 29 has no bundled ClickHouse, >= 31 provisions topics on an external Kafka.
    "sentry": Chart("https://sentry-kubernetes.github.io/charts", "sentry", "33.4.0"),
}
"""Helm charts by logical name."""

IMAGES: dict[str, str] = {
    # --- infra layer ---
    "traefik": "docker.io/traefik:v3.7.11",  # = appVersion of chart 41.3.0
    # CRS 4.28.0 on ModSecurity 3.0.16 / nginx; the timestamped tag is one immutable build.
    "modsecurity-crs": "docker.io/owasp/modsecurity-crs:4.28.0-nginx-202607160307",
    "waf-backend": "docker.io/traefik/whoami:v1.11.0",  # answers 200 on every path/method: the CRS container's BACKEND
    "cert-manager-controller": "quay.io/jetstack/cert-manager-controller:v1.21.1",
    "cert-manager-webhook": "quay.io/jetstack/cert-manager-webhook:v1.21.1",
    "cert-manager-cainjector": "quay.io/jetstack/cert-manager-cainjector:v1.21.1",
    "cert-manager-acmesolver": "quay.io/jetstack/cert-manager-acmesolver:v1.21.1",
    "cert-manager-startupapicheck": "quay.io/jetstack/cert-manager-startupapicheck:v1.21.1",
    "external-dns": "registry.k8s.io/external-dns/external-dns:v0.21.0",
    "external-dns-do-webhook": "ghcr.io/amoniacou/external-dns-digitalocean-webhook:0.1.2",  # Apache-2.0, distroless
    "velero": "docker.io/velero/velero:v1.18.1",
    "velero-plugin-for-aws": "docker.io/velero/velero-plugin-for-aws:v1.14.3",  # >= 1.14.3: checksum fixes for non-AWS S3
    # MinIO is archived upstream (Feb 2026) and gone from Docker Hub; quay still serves it. Last multi-arch release:
    "minio": "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z",
    "minio-mc": "quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z",  # bucket bootstrap sidecar (last tag the chart shipped)
    # --- data layer ---
    "postgres": "docker.io/library/postgres:17.10-bookworm",  # official; PGDATA layout of <= 17 (18 moved it)
    "mariadb": "docker.io/library/mariadb:11.8.9",  # official, 11.8 LTS; ships mariadb* binaries only (no mysql*)
    # --- metrics layer ---
    "kps-crd-upgrade-busybox": "docker.io/library/busybox:1.37.0",  # kps CRD upgrade job (chart default: latest)
    "kubectl": "registry.k8s.io/kubectl:v1.35.0",  # kps CRD upgrade job (chart default: the cluster's version); = DOKS minor
    # --- apps layer ---
    "valkey": "valkey/valkey:9.1.1-alpine",  # apps/common/valkey.py (official image, BSD-3)
    "twenty": "twentycrm/twenty:v2.45.6",  # server and worker (same image); the server migrates at boot
    "nextcloud": "library/nextcloud:34.0.1-apache",  # chart image (registry docker.io set by the chart)
    "kafka": "apache/kafka:4.1.1",  # Sentry's broker: ASF image, KRaft single node
    "clickhouse": "altinity/clickhouse-server:25.8.28.10001.altinitystable",  # what getsentry/self-hosted pins
    "busybox": "busybox:1.37.0",  # Sentry chart's dbCheck hook (nc); its default image is unpinned
    "wordpress": "wordpress:7.0.2-apache",  # official image; core version = this tag (wp-content on a PVC)
    "n8n": "n8nio/n8n:2.35.7",  # plain Deployment (no chart: the community chart packs Bitnami subcharts)
    "zot": "ghcr.io/project-zot/zot:v2.1.18",  # full multi-arch image (metrics, search, UI extensions)
    "vince": "ghcr.io/vinceanalytics/vince:v1.11.8",  # FROM scratch, static binary
}
"""Container images by logical name, always ``repository:tag`` (never ``latest``)."""
