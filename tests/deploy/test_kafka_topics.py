"""The committed KafkaTopic manifests are the topic catalogue, topic for topic."""

from __future__ import annotations

import dataclasses

import yaml

from leadline.events.topics import REPLICATION, TOPICS
from tests.deploy.manifests import K8S, of_kind, rendered
from tests.deploy.manifests import kafka_resources as generator


def test_the_committed_topic_files_are_what_the_generator_writes() -> None:
    module = generator()
    assert module.TOPICS_MANIFEST.read_text() == module.render_topics(), (
        "run: .venv/bin/python deploy/k8s/kafka_resources.py"
    )
    assert module.DEV_TOPICS_PATCH.read_text() == module.render_dev_topics_patch()


def test_every_catalogue_topic_and_its_dead_letters_has_its_partitions_and_retention() -> None:
    committed = {
        doc["spec"]["topicName"]: doc for doc in yaml.safe_load_all((K8S / "base/kafka/topics.yaml").read_text())
    }
    assert set(committed) == set(TOPICS)
    assert any(name.endswith(".dlq") for name in committed)
    for name, spec in TOPICS.items():
        assert committed[name]["spec"]["partitions"] == spec.partitions, name
        assert committed[name]["spec"]["config"]["retention.ms"] == spec.retention_ms, name


def test_a_changed_catalogue_makes_the_committed_file_stale() -> None:
    module = generator()
    first = next(iter(TOPICS.values()))
    changed = {**TOPICS, first.name: dataclasses.replace(first, partitions=first.partitions + 1)}
    assert module.TOPICS_MANIFEST.read_text() != module.render_topics(changed)


def test_dev_topics_have_the_single_broker_replication_and_prod_topics_the_production_one() -> None:
    for overlay, replication in (("dev", REPLICATION["single-broker"]), ("prod", REPLICATION["production"])):
        topics = of_kind(rendered(overlay), "KafkaTopic")
        assert {t["spec"]["replicas"] for t in topics} == {replication.factor}, overlay
        assert {t["spec"]["config"]["min.insync.replicas"] for t in topics} == {replication.min_insync_replicas}, (
            overlay
        )
    assert (REPLICATION["production"].factor, REPLICATION["production"].min_insync_replicas) == (3, 2)
