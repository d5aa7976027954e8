"""Each service reaches Kafka as its own Strimzi KafkaUser, allowed exactly the topics the catalogue says it produces
and consumes and the consumer groups its subscribers join, with the certificates Strimzi issues mounted where its
settings look for them."""

from __future__ import annotations

import importlib
from functools import cache

import pytest
from pydantic_settings import BaseSettings

from leadline.events.topics import TOPICS
from tests.deploy.env_coverage import settings_from
from tests.deploy.manifests import OVERLAYS, SERVICES, named, of_kind, pod_spec, rendered
from tests.deploy.manifests import kafka_resources as generator

CLUSTER_CA_SECRET = "leadline-cluster-ca-cert"  # Strimzi's <cluster>-cluster-ca-cert


def acl_names(user: dict, kind: str, operation: str) -> set[str]:
    return {
        acl["resource"]["name"]
        for acl in user["spec"]["authorization"]["acls"]
        if acl["resource"]["type"] == kind and operation in acl["operations"]
    }


def container_and_settings(overlay: str, service: str) -> tuple[dict, BaseSettings]:
    resources = rendered(overlay)
    container = pod_spec(named(resources, "Deployment", service))["containers"][0]
    return container, settings_from(service, container, resources)


@cache
def subscriptions(service: str) -> frozenset[tuple[str, frozenset[str]]]:
    """(consumer group, topics) of every subscriber the service registers, built with its production settings."""
    _, settings = container_and_settings("prod", service)
    offline = settings.model_copy(
        update={
            "database_url": "postgresql+asyncpg://leadline@localhost/leadline",
            "kafka_security_protocol": "PLAINTEXT",
        }
    )  # no certificate files here
    app = importlib.import_module(f"leadline.{service}.bootstrap").build(offline)
    return frozenset((s.group_id, frozenset(t.name for t in s.topics)) for s in app.state.runtime.broker.subscribers)


def test_the_committed_users_file_is_what_the_generator_writes() -> None:
    module = generator()
    assert module.USERS_MANIFEST.read_text() == module.render_users(), (
        "run: .venv/bin/python deploy/k8s/kafka_resources.py"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_may_write_what_the_catalogue_says_it_produces_and_read_what_it_consumes(service: str) -> None:
    user = named(rendered("prod"), "KafkaUser", f"leadline-{service}")
    produced = {name for name, spec in TOPICS.items() if service in spec.producers}
    consumed = {name for name, spec in TOPICS.items() if service in spec.consumers}
    read_by_the_live_feed = set(generator().READS_WITHOUT_GROUP.get(service, ()))
    assert acl_names(user, "topic", "Write") == produced
    assert acl_names(user, "topic", "Read") == consumed | read_by_the_live_feed
    assert produced >= {f"{topic}.dlq" for topic in consumed}  # it dead-letters what it cannot handle


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_consumes_in_exactly_the_groups_it_may_read_the_topics_the_catalogue_names(service: str) -> None:
    user = named(rendered("prod"), "KafkaUser", f"leadline-{service}")
    subscribed = subscriptions(service)
    assert acl_names(user, "group", "Read") == {group for group, _ in subscribed}
    assert set().union(*(topics for _, topics in subscribed)) == {
        name for name, spec in TOPICS.items() if service in spec.consumers
    }


def test_the_router_live_feed_and_the_directory_folds_read_what_the_catalogue_says_they_follow() -> None:
    """What the code reads without a group (the live feed's and the directory fold's topics) is what the catalogue's
    ``followers`` publish in docs/events.md and the AsyncAPI document, and what the Kafka users may read."""
    reads = generator().READS_WITHOUT_GROUP
    followed: dict[str, set[str]] = {}
    for name, spec in TOPICS.items():
        for service in spec.followers:
            followed.setdefault(service, set()).add(name)
    assert {service: set(topics) for service, topics in reads.items()} == followed
    assert followed["leads"] == followed["history"] == {"leadline.router.integration"}


def test_operators_may_read_every_topic_write_where_redrives_and_decisions_go_and_see_every_group() -> None:
    ops = named(rendered("prod"), "KafkaUser", "leadline-ops")
    assert acl_names(ops, "topic", "Read") == acl_names(ops, "topic", "Write") == set(TOPICS)
    assert acl_names(ops, "group", "Describe") == {group for service in SERVICES for group, _ in subscriptions(service)}
    assert acl_names(ops, "group", "Read") == set()  # it reads offsets, it never joins a service's group


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_user_authenticates_with_a_certificate_in_every_overlay(overlay: str) -> None:
    users = of_kind(rendered(overlay), "KafkaUser")
    assert {u["metadata"]["name"] for u in users} == {f"leadline-{s}" for s in (*SERVICES, "ops")}
    assert {u["spec"]["authentication"]["type"] for u in users} == {"tls"}
    assert {u["metadata"]["labels"]["strimzi.io/cluster"] for u in users} == {"leadline"}


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_the_certificate_files_the_settings_name_are_mounted_from_strimzis_secrets(overlay: str, service: str) -> None:
    container, settings = container_and_settings(overlay, service)
    volumes = {v["name"]: v for v in pod_spec(named(rendered(overlay), "Deployment", service))["volumes"]}

    def mounted_from(path) -> tuple[str, str]:
        """(Secret, key) whose content appears at ``path`` in the container."""
        [(mount, item)] = [
            (m, i)
            for m in container["volumeMounts"]
            if "secret" in volumes[m["name"]]
            for i in volumes[m["name"]]["secret"].get("items", [])  # without items: every key, none of these
            if f"{m['mountPath']}/{i['path']}" == str(path)
        ]
        assert mount["readOnly"]
        return volumes[mount["name"]]["secret"]["secretName"], item["key"]

    assert settings.kafka_security_protocol == "SSL"
    assert settings.kafka_bootstrap_servers.endswith(":9093")
    assert mounted_from(settings.kafka_ssl_cert_file) == (f"leadline-{service}", "user.crt")
    assert mounted_from(settings.kafka_ssl_key_file) == (f"leadline-{service}", "user.key")
    assert mounted_from(settings.kafka_ssl_ca_file) == (CLUSTER_CA_SECRET, "ca.crt")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nothing_that_builds_no_kafka_client_mounts_a_kafka_credential(overlay: str) -> None:
    resources = rendered(overlay)
    without_kafka = [named(resources, "Deployment", "web"), *of_kind(resources, "Job")]
    for workload in without_kafka:
        secrets = {v["secret"]["secretName"] for v in pod_spec(workload).get("volumes", []) if "secret" in v}
        assert not secrets & {CLUSTER_CA_SECRET, *(f"leadline-{s}" for s in (*SERVICES, "ops"))}, workload["metadata"][
            "name"
        ]
