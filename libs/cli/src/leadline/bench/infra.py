"""A fresh broker and database for a benchmark run, and service processes to measure."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from leadline.platform.db import ensure_database, with_database
from leadline.platform.embedded import EmbeddedKafka, EmbeddedPostgres, _die_with_parent, free_port
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.settings import KafkaSettings
from leadline.platform.topic_admin import ensure_topics


@dataclass(frozen=True)
class Record:
    """What a consumer's batch delivery reads of an aiokafka ``ConsumerRecord``: records made up in process."""

    topic: str
    key: bytes
    value: bytes
    partition: int
    offset: int
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass
class BenchInfra:
    bootstrap_servers: str
    server_url: str
    var_dir: Path

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(kafka_bootstrap_servers=self.bootstrap_servers)

    async def database_for(self, service: str) -> str:
        return await migrated_database(self.server_url, service)


async def migrated_database(server_url: str, service: str) -> str:
    """A new database on ``server_url`` at ``service``'s newest migration; its URL."""
    name = f"bench_{service}_{uuid.uuid4().hex[:8]}"
    await ensure_database(server_url, name)
    url = with_database(server_url, name)
    await asyncio.to_thread(upgrade_to_head, f"leadline.{service}:adapters/migrations", url)
    return url


@contextmanager
def bench_infra(var_dir: Path) -> Iterator[BenchInfra]:
    var_dir.mkdir(parents=True, exist_ok=True)
    kafka = EmbeddedKafka(log_path=var_dir / "kafka.log").start()
    postgres = EmbeddedPostgres(var_dir / "postgres").start()
    try:
        infra = BenchInfra(kafka.bootstrap_servers, postgres.url, var_dir)
        asyncio.run(ensure_topics(infra.kafka))
        yield infra
    finally:
        kafka.stop()
        postgres.stop()


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        return psutil.Process(self.popen.pid).memory_info().rss / 2**20

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(15)
        except subprocess.TimeoutExpired:
            self.popen.kill()


def spawn(module: str, args: list[str], env: dict[str, str], log: Path, *, health: str = "/healthz") -> Process:
    port = free_port()
    full_env = dict(os.environ, HTTP_PORT=str(port), LOG_LEVEL="WARNING", **env)
    popen = subprocess.Popen(
        [sys.executable, "-m", module, *[a.replace("{port}", str(port)) for a in args]],
        env=full_env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )
    process = Process(popen, port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"{module} exited with {popen.returncode}; see {log}")
        try:
            if httpx.get(f"{process.url}{health}", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.stop()
    raise TimeoutError(f"{module} did not become healthy; see {log}")
