"""Each service runs the way the issue asks: probed, bounded, unprivileged, autoscaled, protected from drains."""

from __future__ import annotations

import pytest

from leadline.events.topics import TOPICS
from leadline.platform.http import READINESS_TIMEOUT_S
from tests.deploy.kustomize import split_image
from tests.deploy.manifests import (
    NAME_LABEL,
    OVERLAYS,
    WORKLOADS,
    named,
    of_kind,
    pod_labels,
    pod_spec,
    rendered,
    selects,
)

MAX_SENDS_PER_NUMBER = 80.0  # Meta's default per business number
CONSUMING_SERVICES = ("router", "leads", "history")  # their work comes from topics, not HTTP


def every_container(workload: dict) -> list[dict]:
    pod = pod_spec(workload)
    return pod.get("initContainers", []) + pod["containers"]


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", WORKLOADS)
def test_the_server_is_probed_on_readyz_and_healthz(overlay: str, service: str) -> None:
    """Readiness on /readyz (can it do its job: its database answers, or for web its page is there; the broker never
    gates); liveness and start-up on /healthz (the process answers: a dependency's outage is no reason to restart)."""
    container = pod_spec(named(rendered(overlay), "Deployment", service))["containers"][0]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["ports"] == [
        {"name": "http", "containerPort": 8000, "protocol": "TCP"},
        {"name": "metrics", "containerPort": 9100, "protocol": "TCP"},
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", WORKLOADS)
def test_readyz_answers_a_slow_dependency_before_the_probe_gives_up(overlay: str, service: str) -> None:
    """/readyz waits READINESS_TIMEOUT_S at most for a dependency: the kubelet must wait longer, or a slow broker (only
    reported) would time the probe out and take the pod out of its Service all the same."""
    probe = pod_spec(named(rendered(overlay), "Deployment", service))["containers"][0]["readinessProbe"]
    assert probe.get("timeoutSeconds", 1) > READINESS_TIMEOUT_S


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_and_limits_and_runs_unprivileged(overlay: str) -> None:
    for workload in of_kind(rendered(overlay), "Deployment") + of_kind(rendered(overlay), "Job"):
        pod = pod_spec(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        for container in every_container(workload):
            where = f"{workload['kind']}/{workload['metadata']['name']}/{container['name']}"
            assert set(container["resources"]["requests"]) == {"cpu", "memory"}, where
            assert set(container["resources"]["limits"]) == {"cpu", "memory"}, where
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, where
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, where
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], where


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", WORKLOADS)
def test_each_deployment_has_an_autoscaler_starting_at_its_replicas_and_a_disruption_budget(
    overlay: str, service: str
) -> None:
    resources = rendered(overlay)
    deployment = named(resources, "Deployment", service)
    autoscalers = [
        h
        for h in of_kind(resources, "HorizontalPodAutoscaler")
        if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": service}
    ]
    assert len(autoscalers) == 1
    assert (
        autoscalers[0]["spec"]["minReplicas"] == deployment["spec"]["replicas"] <= autoscalers[0]["spec"]["maxReplicas"]
    )
    budgets = [
        b for b in of_kind(resources, "PodDisruptionBudget") if selects(b["spec"]["selector"], pod_labels(deployment))
    ]
    assert len(budgets) == 1


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", CONSUMING_SERVICES)
def test_a_consumer_never_scales_past_the_partitions_it_could_own(overlay: str, service: str) -> None:
    widest_input = max(spec.partitions for spec in TOPICS.values() if service in spec.consumers)
    autoscaler = named(rendered(overlay), "HorizontalPodAutoscaler", service)
    assert autoscaler["spec"]["maxReplicas"] <= widest_input


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingest_replicas_together_never_exceed_metas_send_rate_per_number(overlay: str) -> None:
    resources = rendered(overlay)
    per_replica = float(named(resources, "ConfigMap", "leadline-ingest")["data"]["SEND_RATE_PER_NUMBER"])
    assert (
        per_replica * named(resources, "HorizontalPodAutoscaler", "ingest")["spec"]["maxReplicas"]
        <= MAX_SENDS_PER_NUMBER
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_route_to_servers_only_never_to_migration_pods(overlay: str) -> None:
    resources = rendered(overlay)
    for service in of_kind(resources, "Service"):
        chosen = [
            w["metadata"]["name"]
            for w in of_kind(resources, "Deployment") + of_kind(resources, "Job")
            if selects({"matchLabels": service["spec"]["selector"]}, pod_labels(w))
        ]
        assert chosen == [service["metadata"]["name"]]


def test_production_images_are_pinned_and_every_container_of_a_service_runs_its_image() -> None:
    for workload in of_kind(rendered("prod"), "Deployment") + of_kind(rendered("prod"), "Job"):
        service = pod_labels(workload)[NAME_LABEL]
        for container in every_container(workload):
            name, tag, digest = split_image(container["image"])
            assert name.endswith(f"/leadline-{service}")
            assert (tag or digest) and tag != "latest", container["image"]
