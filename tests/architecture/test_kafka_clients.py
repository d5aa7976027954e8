"""Every Kafka client production code creates comes from ``leadline.platform.kafka_clients``, so each one reads the
security settings: a client built anywhere else would connect in plaintext to a cluster that wants TLS or SASL."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

CLIENTS = {
    "AIOKafkaProducer",
    "AIOKafkaConsumer",
    "AIOKafkaAdminClient",
    "AIOKafkaClient",
    "KafkaBroker",
    "KafkaRouter",
}
FACTORY = REPO / "libs" / "platform" / "src" / "leadline" / "platform" / "kafka_clients.py"


def client_constructions(source: str) -> list[tuple[int, str]]:
    """(line, class) of every call that builds a Kafka client, by its name or the alias it was imported under."""
    tree = ast.parse(source)
    aliases = {
        alias.asname or alias.name: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name in CLIENTS
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if (name := aliases.get(called, called)) in CLIENTS:
                found.append((node.lineno, name))
    return found


def production_modules() -> list[Path]:
    return sorted(path for root in ("services", "libs") for path in (REPO / root).glob("*/src/**/*.py"))


def test_no_production_module_builds_a_kafka_client_outside_the_factory():
    built_elsewhere = [
        f"{path.relative_to(REPO)}:{line} {name}"
        for path in production_modules()
        if path != FACTORY
        for line, name in client_constructions(path.read_text())
    ]
    assert built_elsewhere == []


def test_the_factory_builds_every_kind_of_client_the_services_use():
    assert {name for _, name in client_constructions(FACTORY.read_text())} == {
        "AIOKafkaProducer",
        "AIOKafkaConsumer",
        "AIOKafkaAdminClient",
        "KafkaBroker",
    }
    assert len(production_modules()) > 100  # the scan reads the services and libraries, not an empty glob


def test_a_client_built_under_another_name_is_found():
    source = (
        "import aiokafka\nfrom aiokafka import AIOKafkaConsumer as Reader\nfrom faststream.kafka import KafkaBroker\n"
        "reader = Reader(bootstrap_servers='kafka:9093')\nproducer = aiokafka.AIOKafkaProducer()\n"
        "broker = KafkaBroker('kafka:9093')\n"
    )
    assert client_constructions(source) == [(4, "AIOKafkaConsumer"), (5, "AIOKafkaProducer"), (6, "KafkaBroker")]
