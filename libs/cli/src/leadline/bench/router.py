"""Router figures: claim latency under 100-way contention and webhook → visible-in-pool latency at a steady rate.

Baselines from the same run: a bare asyncpg insert-if-absent under the same contention, and a raw
aiokafka produce → consume round trip at the same rate.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from pathlib import Path

import asyncpg

from leadline.fakegraph import webhooks as wh
from leadline.platform import kafka_clients
from leadline.platform.db import _asyncpg_connect_kwargs
from leadline.platform.settings import KafkaSettings
from leadline.platform.tokens import mint_token
from leadline.platform.topic_admin import ensure_topics

from .infra import BenchInfra, spawn
from .load import Connection
from .report import Figure

SECRET, JWT = "bench-app-secret", "bench-jwt-secret-bench-jwt-secret-bench"
BUSINESS = wh.BusinessNumber()
ACCOUNT = "bench-motors"
CONTENDERS = 100
SETTLE_S = 7.0


def _config(path: Path) -> Path:
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


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _post_webhooks(url: str, customers: list[str], *, rate: float) -> dict[str, float]:
    host, port = url.removeprefix("http://").split(":")
    connections = [Connection(host, int(port)) for _ in range(64)]
    idle = list(connections)
    sent: dict[str, float] = {}
    started = time.perf_counter()

    async def one(customer: str, connection: Connection) -> None:
        body, headers = wh.signed_request(
            wh.WebhookBuilder(BUSINESS).inbound(wh.text_message(customer, "Oi, tem o Onix?")), SECRET
        )
        sent[customer] = time.time()
        await connection.post("/webhooks/whatsapp", body, headers)
        idle.append(connection)

    tasks = []
    for n, customer in enumerate(customers):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        while not idle:
            await asyncio.sleep(0.001)
        tasks.append(asyncio.create_task(one(customer, idle.pop())))
    await asyncio.gather(*tasks)
    for connection in connections:
        connection.close()
    return sent


async def _visible_at(router_db: str, customers: list[str], timeout_s: float) -> dict[str, float]:
    connection = await asyncpg.connect(**_asyncpg_connect_kwargs(router_db))
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            rows = await connection.fetch(
                "SELECT customer_wa_id, extract(epoch from opened_at) AS at FROM conversation_view WHERE customer_wa_id = ANY($1)",
                customers,
            )
            if len(rows) >= len(customers):
                break
            await asyncio.sleep(0.5)
        return {row["customer_wa_id"]: float(row["at"]) for row in rows}
    finally:
        await connection.close()


async def _claims(router_url: str, conversation_ids: list[str]) -> list[float]:
    host, port = router_url.removeprefix("http://").split(":")
    tokens = [
        mint_token(
            secret=JWT, agent_id=f"seller{n}", name=f"Vendedor {n}", role="seller", account_id=ACCOUNT, teams=["vendas"]
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


async def _raw_claims(server_url: str, rounds: int) -> list[float]:
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


async def _raw_kafka_latency(kafka: KafkaSettings, *, rate: float, seconds: float) -> list[float]:
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


SUSTAINED_RATE = 100  # what the whole stack keeps up with on the 2-core benchmark machine (see the README)


def run(infra: BenchInfra, *, rounds: int = 20, rate: float = 1000, seconds: float = 5) -> list[Figure]:
    ingest_db, router_db = asyncio.run(infra.database_for("ingest")), asyncio.run(infra.database_for("router"))
    common = {"KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers, "JWT_SECRET": JWT, "WHATSAPP_APP_SECRET": SECRET}
    ingest = spawn(
        "leadline.ingest", [], {**common, "DATABASE_URL": ingest_db}, infra.var_dir / "ingest-router-bench.log"
    )
    router = spawn(
        "leadline.router",
        [],
        {
            **common,
            "DATABASE_URL": router_db,
            "ROUTER_CONFIG_FILE": str(_config(infra.var_dir / "bench-accounts.yaml")),
        },
        infra.var_dir / "router.log",
    )
    leads = history = None
    try:
        time.sleep(SETTLE_S)  # consumer groups join before measuring the steady state
        warm = [f"551198{n:07d}" for n in range(rounds)]
        asyncio.run(_post_webhooks(ingest.url, warm, rate=100))
        conversations = asyncio.run(_visible_at(router_db, warm, timeout_s=120))
        if len(conversations) != rounds:
            raise RuntimeError(
                f"only {len(conversations)} of {rounds} warm-up conversations reached the router in 120 s; "
                f"is the machine busy? (logs in {infra.var_dir})"
            )
        ids = asyncio.run(_conversation_ids(router_db, warm))
        claim_latencies = asyncio.run(_claims(router.url, ids))
        steady = [f"551196{n:07d}" for n in range(int(SUSTAINED_RATE * seconds))]
        steady_sent = asyncio.run(_post_webhooks(ingest.url, steady, rate=SUSTAINED_RATE))
        steady_visible = asyncio.run(_visible_at(router_db, steady, timeout_s=60))
        customers = [f"551197{n:07d}" for n in range(int(rate * seconds))]
        sent = asyncio.run(_post_webhooks(ingest.url, customers, rate=rate))
        visible = asyncio.run(_visible_at(router_db, customers, timeout_s=120))
        # leads and history then consume the same load from the topics (started only now: on 2 cores they would
        # otherwise take CPU from the latencies above); their memory is measured once they have worked through it
        leads = spawn(
            "leadline.leads",
            [],
            {**common, "DATABASE_URL": asyncio.run(infra.database_for("leads")), "ROUTER_URL": router.url},
            infra.var_dir / "leads.log",
        )
        history = spawn(
            "leadline.history",
            [],
            {**common, "DATABASE_URL": asyncio.run(infra.database_for("history"))},
            infra.var_dir / "history.log",
        )
        time.sleep(3 * SETTLE_S)
        rss = {
            "ingest": ingest.rss_mb(),
            "router": router.rss_mb(),
            "leads": leads.rss_mb(),
            "history": history.rss_mb(),
        }
    finally:
        for process in (history, leads, router):
            if process is not None:
                process.stop()
        ingest.stop()
    raw_claims = asyncio.run(_raw_claims(infra.server_url, rounds))
    raw_kafka = asyncio.run(_raw_kafka_latency(infra.kafka, rate=rate, seconds=seconds))
    end_to_end = [(visible[c] - sent[c]) * 1000 for c in customers if c in visible]
    steady_e2e = [(steady_visible[c] - steady_sent[c]) * 1000 for c in steady if c in steady_visible]
    steady_p50, steady_p99 = _percentiles(steady_e2e)
    lost = len(customers) - len(end_to_end)
    claim_p50, claim_p99 = _percentiles(claim_latencies)
    raw_claim_p50, raw_claim_p99 = _percentiles(raw_claims)
    e2e_p50, e2e_p99 = _percentiles(end_to_end)
    raw_e2e_p50, raw_e2e_p99 = _percentiles(raw_kafka)
    return [
        Figure(f"claim p50, {CONTENDERS} contenders", claim_p50, "ms", raw_claim_p50, "asyncpg insert"),
        Figure(
            f"claim p99, {CONTENDERS} contenders",
            claim_p99,
            "ms",
            raw_claim_p99,
            "asyncpg insert",
            "≤ 25 ms",
            claim_p99 <= 25,
        ),
        Figure(f"webhook → pool p50 at {SUSTAINED_RATE}/s", steady_p50, "ms", raw_e2e_p50, "aiokafka produce→consume"),
        Figure(
            f"webhook → pool p99 at {SUSTAINED_RATE}/s",
            steady_p99,
            "ms",
            raw_e2e_p99,
            "aiokafka produce→consume",
            f"0 lost ({len(steady) - len(steady_e2e)} lost)",
            len(steady_e2e) == len(steady),
        ),
        Figure(f"webhook → pool p50 at {rate:.0f}/s", e2e_p50, "ms", raw_e2e_p50, "aiokafka produce→consume"),
        Figure(
            f"webhook → pool p99 at {rate:.0f}/s",
            e2e_p99,
            "ms",
            raw_e2e_p99,
            "aiokafka produce→consume",
            f"≤ 100 ms, 0 lost ({lost} lost)",
            e2e_p99 <= 100 and lost == 0,
        ),
        *(
            Figure(f"{service} RSS after load", rss[service], "MB", target="< 200 MB", met=rss[service] < 200)
            for service in ("router", "leads", "history")
        ),
    ]


async def _conversation_ids(router_db: str, customers: list[str]) -> list[str]:
    connection = await asyncpg.connect(**_asyncpg_connect_kwargs(router_db))
    try:
        rows = await connection.fetch(
            "SELECT conversation_id FROM conversation_view WHERE customer_wa_id = ANY($1)", customers
        )
        return [str(row["conversation_id"]) for row in rows]
    finally:
        await connection.close()
