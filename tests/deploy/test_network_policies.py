"""Each pod may reach only what it needs; DNS is reachable from every pod."""

from __future__ import annotations

import pytest

from tests.deploy.manifests import OVERLAYS, WORKLOADS, of_kind, pod_labels, rendered, selects

DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def policies_for(resources: list[dict], workload: dict) -> list[dict]:
    return [p for p in of_kind(resources, "NetworkPolicy") if selects(p["spec"]["podSelector"], pod_labels(workload))]


def egress_ports(policies: list[dict]) -> set[int]:
    return {port["port"] for policy in policies for rule in policy["spec"].get("egress", []) for port in rule["ports"]}


def admits(policies: list[dict], caller_labels: dict) -> bool:
    return any(
        "podSelector" in peer and "namespaceSelector" not in peer and selects(peer["podSelector"], caller_labels)
        for policy in policies
        for rule in policy["spec"].get("ingress", [])
        for peer in rule.get("from", [])
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_is_denied_unless_a_policy_allows_it(overlay: str) -> None:
    deny = [p for p in of_kind(rendered(overlay), "NetworkPolicy") if p["spec"]["podSelector"] == {}]
    assert len(deny) == 1
    assert deny[0]["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny[0]["spec"] and "egress" not in deny[0]["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_has_its_own_policy_that_allows_dns(overlay: str) -> None:
    resources = rendered(overlay)
    for workload in of_kind(resources, "Deployment") + of_kind(resources, "Job"):
        own = [p for p in policies_for(resources, workload) if p["spec"]["podSelector"] != {}]
        assert own, f"no NetworkPolicy for {workload['metadata']['name']}"
        dns_rules = [r for p in own for r in p["spec"].get("egress", []) if r["ports"] == DNS_PORTS]
        assert dns_rules, f"{workload['metadata']['name']} cannot resolve names"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_reaches_only_the_ports_it_needs(overlay: str) -> None:
    resources = rendered(overlay)
    expected = {
        "ingest": {53, 9093, 5432, 443, 4318},
        "router": {53, 9093, 5432, 8000, 4318},
        "leads": {53, 9093, 5432, 8000, 4318},
        "history": {53, 9093, 5432, 4318},
        "web": {53, 8000, 4318},
    }  # 9093: Kafka's TLS listener, never plaintext 9092; 4318: the OTLP collector
    deployments = {d["metadata"]["name"]: d for d in of_kind(resources, "Deployment")}
    assert {name: egress_ports(policies_for(resources, deployments[name])) for name in WORKLOADS} == expected
    for job in of_kind(resources, "Job"):
        assert egress_ports(policies_for(resources, job)) == {53, 5432}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_agent_apis_admit_the_web_gateway_the_router_also_admits_leads_and_ingest_the_router(overlay: str) -> None:
    resources = rendered(overlay)
    deployments = {d["metadata"]["name"]: d for d in of_kind(resources, "Deployment")}
    callers = {
        name: {
            caller
            for caller in WORKLOADS
            if admits(policies_for(resources, deployments[name]), pod_labels(deployments[caller]))
        }
        for name in WORKLOADS
    }
    assert callers == {
        "ingest": {"router"},
        "router": {"web", "leads"},
        "leads": {"web"},
        "history": {"web"},
        "web": set(),
    }


def test_only_ingest_reaches_outside_the_cluster_over_https() -> None:
    resources = rendered("prod")
    for deployment in of_kind(resources, "Deployment"):
        https = [
            r
            for p in policies_for(resources, deployment)
            for r in p["spec"].get("egress", [])
            if {"protocol": "TCP", "port": 443} in r["ports"]
        ]
        if deployment["metadata"]["name"] == "ingest":
            assert https[0]["to"][0]["ipBlock"]["except"] == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        else:
            assert https == []
