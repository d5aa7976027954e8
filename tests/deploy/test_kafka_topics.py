"""The committed KafkaTopic manifests are the topic catalogue, topic for topic."""

from __future__ import annotations

import dataclasses
import importlib.util

import yaml

from leadline.events.topics import TOPICS
from tests.deploy.manifests import K8S, of_kind, rendered


def generator():
    spec = importlib.util.spec_from_file_location("kafka_topics", K8S / "kafka_topics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_topics_file_is_what_the_generator_writes() -> None:
    module = generator()
    assert module.MANIFEST.read_text() == module.render(), "run: .venv/bin/python deploy/k8s/kafka_topics.py"


def test_every_catalogue_topic_and_its_dead_letters_has_its_partitions_and_retention() -> None:
    committed = {doc["spec"]["topicName"]: doc for doc in yaml.safe_load_all((K8S / "base/kafka/topics.yaml").read_text())}
    assert set(committed) == set(TOPICS)
    assert any(name.endswith(".dlq") for name in committed)
    for name, spec in TOPICS.items():
        assert committed[name]["spec"]["partitions"] == spec.partitions, name
        assert committed[name]["spec"]["config"]["retention.ms"] == spec.retention_ms, name


def test_a_changed_catalogue_makes_the_committed_file_stale() -> None:
    module = generator()
    first = next(iter(TOPICS.values()))
    changed = {**TOPICS, first.name: dataclasses.replace(first, partitions=first.partitions + 1)}
    assert module.MANIFEST.read_text() != module.render(changed)


def test_dev_topics_have_one_replica_and_prod_topics_three() -> None:
    assert {t["spec"]["replicas"] for t in of_kind(rendered("dev"), "KafkaTopic")} == {1}
    assert {t["spec"]["replicas"] for t in of_kind(rendered("prod"), "KafkaTopic")} == {3}
    assert {t["spec"]["config"]["min.insync.replicas"] for t in of_kind(rendered("prod"), "KafkaTopic")} == {2}
