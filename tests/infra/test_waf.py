"""The global WAF really filters: it sits on every prod route and its CRS container has a backend that answers."""

from __future__ import annotations

import json

from support.infra import by_k8s_name, containers, env_of, one, resources_of, values, walk

from platform_constructs.base.ingress import TRAEFIK_MIDDLEWARES, WAF_MIDDLEWARE_REF, WAF_WAIVER_ANNOTATION
from platform_constructs.infra import waf
from platform_constructs.rules import image_problem


def _check_annotations(where: str, annotations: dict) -> None:
    middlewares = [m.strip() for m in (annotations.get(TRAEFIK_MIDDLEWARES) or "").split(",") if m.strip()]
    waiver = (annotations.get(WAF_WAIVER_ANNOTATION) or "").strip()
    assert WAF_MIDDLEWARE_REF in middlewares or len(waiver) >= 10, (
        f"{where}: neither the WAF middleware {WAF_MIDDLEWARE_REF} nor a {WAF_WAIVER_ANNOTATION} reason"
    )


def test_every_prod_ingress_carries_the_waf_or_a_reasoned_waiver(all_stacks):
    checked = 0
    for name, stack in all_stacks.items():
        if not name.startswith("prod-"):
            continue
        for address, ingress in resources_of(stack, "kubernetes_ingress_v1").items():
            _check_annotations(f"{name}: kubernetes_ingress_v1.{address}", one(ingress["metadata"]).get("annotations", {}))
            checked += 1
        # Ingresses rendered by charts (e.g. Grafana in kube-prometheus-stack values) obey the same rule.
        for address, rel in resources_of(stack, "helm_release").items():
            for doc in rel.get("values") or []:
                for node in walk(json.loads(doc)):
                    ingress = node.get("ingress")
                    if isinstance(ingress, dict) and ingress.get("enabled") is True:
                        _check_annotations(f"{name}: helm_release.{address} ingress values", ingress.get("annotations", {}))
                        checked += 1
    assert checked >= 6, f"only {checked} prod ingress(es) found: the check would pass vacuously"


def test_middleware_ships_with_traefik_and_points_at_the_waf_service(all_stacks, configs):
    stack = all_stacks["prod-infra"]
    traefik = values(stack, "traefik")
    plugin = traefik["experimental"]["plugins"][waf.PLUGIN_KEY]
    assert plugin == {"moduleName": waf.PLUGIN_MODULE, "version": waf.PLUGIN_VERSION}, "plugin must be pinned by version"
    middlewares = [o for o in traefik["extraObjects"] if o["kind"] == "Middleware"]
    assert len(middlewares) == 1, "the WAF Middleware must ship in the Traefik release (its CRD comes with that chart)"
    mw = middlewares[0]
    assert (mw["metadata"]["namespace"], mw["metadata"]["name"]) == ("infra", "waf-modsecurity")
    settings = mw["spec"]["plugin"][waf.PLUGIN_KEY]
    tuning = configs["prod"].infra.modsecurity
    assert settings["timeoutMillis"] == tuning.timeout_ms and settings["maxBodySize"] == tuning.body_limit_bytes
    assert settings["modSecurityUrl"] == "http://waf-modsecurity.infra.svc.cluster.local:8080"
    service = by_k8s_name(stack, "kubernetes_service_v1", "waf-modsecurity")
    port = one(service["spec"])["port"][0]
    assert (port["port"], port["target_port"]) == (8080, "http"), "WAF Service must reach the CRS container port"


def test_crs_backend_is_an_answering_container_in_the_same_pod(all_stacks, configs):
    stack = all_stacks["prod-infra"]
    deployment = by_k8s_name(stack, "kubernetes_deployment_v1", "waf-modsecurity")
    pods = containers(deployment)
    crs, backend = pods["modsecurity-crs"], pods["backend"]
    env = env_of(crs)
    assert env["BACKEND"] == f"http://127.0.0.1:{waf.BACKEND_PORT}", "BACKEND must be the in-pod always-200 backend"
    assert env["PORT"] == "8080" and {p["container_port"] for p in crs["port"]} == {8080}
    assert {p["container_port"] for p in backend["port"]} == {waf.BACKEND_PORT}
    assert backend["args"] == ["--port", str(waf.BACKEND_PORT)], "whoami must listen where BACKEND points"
    assert one(backend["readiness_probe"])["http_get"]["port"] == str(waf.BACKEND_PORT), "backend must be probed"
    assert one(crs["readiness_probe"])["http_get"]["path"] == "/healthz"
    tuning = configs["prod"].infra.modsecurity
    assert env["BLOCKING_PARANOIA"] == str(tuning.paranoia_level)
    assert env["ANOMALY_INBOUND"] == str(tuning.anomaly_inbound)
    assert env["MODSEC_REQ_BODY_LIMIT"] == str(tuning.body_limit_bytes), "ModSecurity and plugin limits must agree"
    assert env["MODSEC_RULE_ENGINE"] == tuning.rule_engine
    for container in (crs, backend):
        assert image_problem(container["image"]) is None and "bitnami" not in container["image"]
        sc = one(container["security_context"])
        assert sc["run_as_non_root"] is True and sc["allow_privilege_escalation"] is False
        assert one(sc["capabilities"])["drop"] == ["ALL"]
        assert one(container["resources"])["limits"]["memory"], f"{container['name']}: memory limit"
    assert one(deployment["spec"])["replicas"] == str(tuning.replicas)
    pdb = by_k8s_name(stack, "kubernetes_pod_disruption_budget_v1", "waf-modsecurity")
    assert one(pdb["spec"])["max_unavailable"] == "1"


def test_dev_has_no_waf(all_stacks):
    stack = all_stacks["dev-infra"]
    assert not [d for d in resources_of(stack, "kubernetes_deployment_v1").values() if d["metadata"]["name"] == "waf-modsecurity"]
