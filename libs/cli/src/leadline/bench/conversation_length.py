"""Per-message cost by conversation length: one customer writes 1,000 messages into one conversation.

Each message is posted as a signed webhook and timed until the router shows it in the conversation
(``message_view``), one after the other, through the running ingest and router on the real broker and
database. Messages 900–1,000 should cost what messages 1–100 cost: loading the conversation must not
grow with its history.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import asyncpg

from leadline.fakegraph import webhooks as wh
from leadline.platform.db import _asyncpg_connect_kwargs

from .infra import BenchInfra, spawn
from .load import Connection
from .report import Figure
from .router import BUSINESS, JWT, SECRET, SETTLE_S, _config

MESSAGES = 1000
CUSTOMER = "5511988887777"


async def _write_one_by_one(ingest_url: str, router_db: str, count: int) -> list[float]:
    host, port = ingest_url.removeprefix("http://").split(":")
    connection = Connection(host, int(port))
    database = await asyncpg.connect(**_asyncpg_connect_kwargs(router_db))
    shown = "SELECT 1 FROM message_view WHERE wamid = $1"
    latencies: list[float] = []
    try:
        for n in range(count):
            message = wh.text_message(CUSTOMER, f"Mensagem {n + 1}: ainda tem o Onix?")
            body, headers = wh.signed_request(wh.WebhookBuilder(BUSINESS).inbound(message), SECRET)
            started = time.perf_counter()
            await connection.post("/webhooks/whatsapp", body, headers)
            deadline = started + 30
            while await database.fetchval(shown, message["id"]) is None:
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"message {n + 1} did not reach the conversation in 30 s")
                await asyncio.sleep(0.001)
            latencies.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
        await database.close()
    return latencies


def run(infra: BenchInfra, *, messages: int = MESSAGES) -> list[Figure]:
    ingest_db, router_db = asyncio.run(infra.database_for("ingest")), asyncio.run(infra.database_for("router"))
    common = {"KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers, "JWT_SECRET": JWT, "WHATSAPP_APP_SECRET": SECRET}
    ingest = spawn("leadline.ingest", [], {**common, "DATABASE_URL": ingest_db}, infra.var_dir / "ingest.log")
    router = spawn(
        "leadline.router",
        [],
        {**common, "DATABASE_URL": router_db, "ROUTER_CONFIG_FILE": str(_config(infra.var_dir / "accounts.yaml"))},
        infra.var_dir / "router.log",
    )
    try:
        time.sleep(SETTLE_S)  # consumer groups join before measuring
        latencies = asyncio.run(_write_one_by_one(ingest.url, router_db, messages))
    finally:
        router.stop()
        ingest.stop()
    tenth = max(1, messages // 10)
    first, last = statistics.median(latencies[:tenth]), statistics.median(latencies[-tenth:])
    return [
        Figure(f"per message, messages 1–{tenth} of one conversation (median)", first, "ms"),
        Figure(
            f"per message, messages {messages - tenth + 1}–{messages} of one conversation (median)",
            last,
            "ms",
            first,
            f"messages 1–{tenth}",
            "within 10 %",
            last <= first * 1.10,
        ),
    ]
