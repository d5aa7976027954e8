"""The router's parts of the whole-system benchmark (``system``): claims under 100-way contention, and the raw
baselines of the same run — a bare asyncpg insert-if-absent under the same contention, and a raw aiokafka
produce → consume round trip at the webhooks' rate.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import asyncpg

from leadline.fakegraph import webhooks as wh
from leadline.platform import kafka_clients
from leadline.platform.db import _asyncpg_connect_kwargs
from leadline.platform.settings import KafkaSettings, ServiceSettings
from leadline.platform.tokens import mint_token
from leadline.platform.topic_admin import ensure_topics

from .load import Connection

BUSINESS = wh.BusinessNumber()
ACCOUNT = "bench-motors"
CONTENDERS = 100


def accounts_file(path: Path) -> Path:
    agents = "\n".join(
        f"      seller{n}: {{name: Vendedor {n}, role: seller, teams: [vendas]}}" for n in range(CONTENDERS)
    )
    path.write_text(f"""accounts:
  {ACCOUNT}:
    settings: {{process_type: 1, lead_unification: true, pool_wait_alert_seconds: 300}}
    teams:
      vendas: {{name: Vendas}}
    numbers:
      "{BUSINESS.phone_number_id}": {{display_number: "{BUSINESS.display_phone_number}", name: Bench Motors, teams: [vendas]}}
    agents:
{agents}
""")
    return path


async def claims(router_url: str, conversation_ids: list[str]) -> list[float]:
    host, port = router_url.removeprefix("http://").split(":")
    tokens = [
        mint_token(
            secret=ServiceSettings().jwt_secret.get_secret_value(),
            agent_id=f"seller{n}",
            name=f"Vendedor {n}",
            role="seller",
            account_id=ACCOUNT,
            teams=["vendas"],
        )
        for n in range(CONTENDERS)
    ]
    connections = [Connection(host, int(port)) for _ in range(CONTENDERS)]
    latencies: list[float] = []
    winners = 0

    async def claim(n: int, conversation_id: str) -> None:
        nonlocal winners
        started = time.perf_counter()
        status = await connections[n].post(
            f"/conversations/{conversation_id}/claim",
            b"{}",
            {"Authorization": f"Bearer {tokens[n]}", "Content-Type": "application/json"},
        )
        latencies.append((time.perf_counter() - started) * 1000)
        winners += status == 200

    for conversation_id in conversation_ids:
        await asyncio.gather(*(claim(n, conversation_id) for n in range(CONTENDERS)))
    for connection in connections:
        connection.close()
    if winners != len(conversation_ids):
        raise AssertionError(
            f"claim-once broken in the benchmark: {winners} winners for {len(conversation_ids)} conversations"
        )
    return latencies


async def raw_claims(server_url: str, rounds: int) -> list[float]:
    """Baseline: the same contention on a bare asyncpg insert-if-absent (the cheapest durable claim there is)."""
    database = f"bench_raw_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(**_asyncpg_connect_kwargs(server_url))
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    kwargs = _asyncpg_connect_kwargs(server_url) | {"database": database}
    pool = await asyncpg.create_pool(min_size=20, max_size=20, **kwargs)
    await pool.execute("CREATE TABLE claims (conversation_id uuid PRIMARY KEY, agent text NOT NULL)")
    latencies: list[float] = []

    async def claim(conversation_id: uuid.UUID, n: int) -> None:
        started = time.perf_counter()
        await pool.execute("INSERT INTO claims VALUES ($1, $2) ON CONFLICT DO NOTHING", conversation_id, f"seller{n}")
        latencies.append((time.perf_counter() - started) * 1000)

    for _ in range(rounds):
        conversation_id = uuid.uuid4()
        await asyncio.gather(*(claim(conversation_id, n) for n in range(CONTENDERS)))
    await pool.close()
    return latencies


async def raw_kafka_latency(kafka: KafkaSettings, *, rate: float, seconds: float) -> list[float]:
    """Baseline: produce → consume on a fresh topic at the same rate (fetch wait as the services use)."""
    topic = f"bench.raw.{uuid.uuid4().hex[:6]}"
    await ensure_topics(kafka, [(topic, 12)])
    consumer = kafka_clients.consumer(kafka, topic, group_id=None, auto_offset_reset="earliest", fetch_max_wait_ms=10)
    producer = kafka_clients.producer(kafka, acks="all", linger_ms=1)
    await consumer.start()
    await producer.start()
    total, latencies = int(rate * seconds), []

    async def consume() -> None:
        while len(latencies) < total:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                now = time.time()
                latencies.extend((now - float(r.value)) * 1000 for r in records)

    reader = asyncio.create_task(consume())
    started = time.perf_counter()
    for n in range(total):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await producer.send(topic, str(time.time()).encode(), key=str(n % 1000).encode())
    await asyncio.wait_for(reader, 60)
    await producer.stop()
    await consumer.stop()
    return latencies


async def conversation_ids(router_db: str, customers: list[str]) -> list[str]:
    connection = await asyncpg.connect(**_asyncpg_connect_kwargs(router_db))
    try:
        rows = await connection.fetch(
            "SELECT conversation_id FROM conversation_view WHERE customer_wa_id = ANY($1)", customers
        )
        return [str(row["conversation_id"]) for row in rows]
    finally:
        await connection.close()
