"""The real broker and database the suite runs against, chosen once per session.

- ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` set: use them (a server URL; each test
  database is created on it).
- ``LEADLINE_TEST_INFRA=containers``: Apache Kafka and PostgreSQL via testcontainers
  (needs Docker, which these machines do not have).
- otherwise: the embedded tansu broker and embedded PostgreSQL (what CI uses).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from leadline.platform.db import connect_raw, ensure_database, with_database
from leadline.platform.embedded import EmbeddedKafka, EmbeddedPostgres
from leadline.platform.settings import KafkaSettings
from leadline.platform.topic_admin import ensure_topics

# The embedded broker waits half a consumer's session timeout for a group's members before it starts consuming:
# 3 s instead of 5 s for every service the suite starts, at the smallest timeout Apache Kafka accepts by default.
SUITE_SESSION_TIMEOUT_MS = "6000"
# What the suite sets for itself, left out where a test runs the system exactly as `make run` runs it.
SUITE_ONLY_ENVIRONMENT = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "LEADLINE_TEST_INFRA", "KAFKA_SESSION_TIMEOUT_MS")


def as_make_run_runs(environment: dict[str, str]) -> dict[str, str]:
    """``environment`` without the suite's own settings: the embedded defaults `make run` starts with."""
    return {key: value for key, value in environment.items() if key not in SUITE_ONLY_ENVIRONMENT}


@dataclass
class Infrastructure:
    bootstrap_servers: str
    server_url: str
    kafka: EmbeddedKafka | None = None
    _databases: list[str] = field(default_factory=list)

    @property
    def kafka_settings(self) -> KafkaSettings:
        """How the suite's clients reach its broker."""
        return KafkaSettings(kafka_bootstrap_servers=self.bootstrap_servers)

    async def new_database(self, prefix: str = "test") -> str:
        """A fresh, empty database on the session's server; returns its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        await ensure_database(self.server_url, name)
        self._databases.append(name)
        return with_database(self.server_url, name)

    async def copy_of_database(self, url: str, prefix: str = "copy") -> str:
        """A new database holding what the database at ``url`` holds (nothing may be connected to it); returns its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        admin = await connect_raw(with_database(self.server_url, "postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"')
        finally:
            await admin.close()
        self._databases.append(name)
        return with_database(self.server_url, name)


@contextlib.contextmanager
def _containers() -> Iterator[tuple[str, str]]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with KafkaContainer("apache/kafka:3.9.0") as kafka, PostgresContainer("postgres:16-alpine", driver="asyncpg") as pg:
        yield kafka.get_bootstrap_server(), pg.get_connection_url()


@contextlib.contextmanager
def start_infrastructure(var_dir: Path) -> Iterator[Infrastructure]:
    mode = os.environ.get("LEADLINE_TEST_INFRA", "embedded")
    if mode == "containers":
        with _containers() as (bootstrap, server_url):
            infra = Infrastructure(bootstrap, server_url)
            asyncio.run(ensure_topics(KafkaSettings(kafka_bootstrap_servers=bootstrap)))
            yield infra
        return
    kafka: EmbeddedKafka | None = None
    postgres: EmbeddedPostgres | None = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    server_url = os.environ.get("DATABASE_URL")
    var_dir.mkdir(parents=True, exist_ok=True)
    try:
        if not bootstrap:
            kafka = EmbeddedKafka(log_path=var_dir / "kafka.log").start()
            bootstrap = kafka.bootstrap_servers
            os.environ.setdefault(
                "KAFKA_SESSION_TIMEOUT_MS", SUITE_SESSION_TIMEOUT_MS
            )  # in-process and spawned services
        if not server_url:
            shutil.rmtree(var_dir / "postgres", ignore_errors=True)
            postgres = EmbeddedPostgres(var_dir / "postgres").start()
            server_url = postgres.url
        asyncio.run(ensure_topics(KafkaSettings(kafka_bootstrap_servers=bootstrap)))
        yield Infrastructure(bootstrap, server_url, kafka=kafka)
    finally:
        if kafka:
            kafka.stop()
        if postgres:
            postgres.stop()
            shutil.rmtree(var_dir / "postgres", ignore_errors=True)  # ~1 GB a worker: a run must not fill the disk
