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


def test_app_upload_limits_fit_the_waf_on_every_prod_route(all_stacks, configs):
    """Per route: the app's declared body limits (annotations) never exceed what the WAF accepts."""
    from platform_constructs.base.ingress import BODY_LIMIT_ANNOTATION, PAYLOAD_LIMIT_ANNOTATION

    tuning, declared = configs["prod"].infra.modsecurity, {}
    for address, ingress in resources_of(all_stacks["prod-apps"], "kubernetes_ingress_v1").items():
        notes = one(ingress["metadata"]).get("annotations", {})
        if WAF_MIDDLEWARE_REF in notes.get(TRAEFIK_MIDDLEWARES, "") and BODY_LIMIT_ANNOTATION in notes:
            declared[one(ingress["metadata"])["name"]] = notes
            assert int(notes[BODY_LIMIT_ANNOTATION]) <= tuning.body_limit_bytes, address
            assert int(notes.get(PAYLOAD_LIMIT_ANNOTATION, 0)) <= tuning.body_limit_no_files_bytes, address
    assert {"wordpress", "n8n"} <= set(declared), f"apps taking uploads declare their limits: {sorted(declared)}"
    assert int(declared["wordpress"][BODY_LIMIT_ANNOTATION]) == configs["prod"].apps.wordpress.upload_max_mb * 2**20


def test_an_app_limit_above_the_waf_stops_synthesis_naming_both_fields(configs):
    import pytest

    from envs import load_config
    from platform_constructs.base.ingress import BodyLimit, MiB, check_body_limit

    config = configs["prod"]
    check_body_limit(config, "wordpress", BodyLimit(config.apps.wordpress.upload_max_mb * MiB, "apps.wordpress.upload_max_mb"))
    small_waf = load_config("prod", overrides={"infra": {"modsecurity": {"body_limit_bytes": 16 * MiB}}})
    with pytest.raises(ValueError, match=r"'wordpress': apps.wordpress.upload_max_mb .* 64 MiB .* above 16 MiB "
                                         r"\(infra.modsecurity.body_limit_bytes\)"):
        check_body_limit(small_waf, "wordpress", BodyLimit(64 * MiB, "apps.wordpress.upload_max_mb"))
    with pytest.raises(ValueError, match=r"apps.n8n.payload_max_mb .* \(infra.modsecurity.body_limit_no_files_bytes\)"):
        check_body_limit(config, "n8n", BodyLimit(MiB, "apps.n8n.upload_max_mb", 32 * MiB, "apps.n8n.payload_max_mb"))


def test_the_waf_body_limit_rule_flags_an_annotation_above_the_waf(configs):
    from platform_constructs.base.ingress import BODY_LIMIT_ANNOTATION
    from platform_constructs.rules import waf_body_limits

    def stack(limit: int) -> dict:
        notes = {TRAEFIK_MIDDLEWARES: WAF_MIDDLEWARE_REF, BODY_LIMIT_ANNOTATION: str(limit)}
        return {"resource": {"kubernetes_ingress_v1": {"web": {"metadata": {"name": "web", "annotations": notes}}}}}

    tuning = configs["prod"].infra.modsecurity
    assert list(waf_body_limits(configs["prod"], "prod-apps", stack(tuning.body_limit_bytes))) == []
    (finding,) = waf_body_limits(configs["prod"], "prod-apps", stack(tuning.body_limit_bytes + 1))
    assert finding.rule == "waf-body-limit" and finding.resource == "kubernetes_ingress_v1.web"
