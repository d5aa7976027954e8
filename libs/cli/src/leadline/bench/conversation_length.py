"""Per-message cost by conversation length: one customer writes 1,000 messages into one conversation.

Each message is posted as a signed webhook and timed until the router shows it in the conversation
(``message_view``), one after the other, through the whole stack as ``make run`` runs it (leads and history
consume the same messages meanwhile) on the real broker and database. Messages 900–1,000 should cost what messages 1–100 cost: loading the conversation must not
grow with its history.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import asyncpg

from leadline.cli.stack import DEV_SECRETS
from leadline.fakegraph import webhooks as wh
from leadline.platform.db import _asyncpg_connect_kwargs

from . import router
from .load import Connection
from .report import Figure
from .whole_stack import databases, running_stack

MESSAGES = 1000
QUICK_MESSAGES = 200
SETTLE_S = 10.0
CUSTOMER = "5511988887777"


async def _write_one_by_one(ingest_url: str, router_db: str, count: int, secret: str) -> list[float]:
    host, port = ingest_url.removeprefix("http://").split(":")
    connection = Connection(host, int(port))
    database = await asyncpg.connect(**_asyncpg_connect_kwargs(router_db))
    shown = "SELECT 1 FROM message_view WHERE wamid = $1"
    latencies: list[float] = []
    try:
        for n in range(count):
            message = wh.text_message(CUSTOMER, f"Mensagem {n + 1}: ainda tem o Onix?")
            body, headers = wh.signed_request(wh.WebhookBuilder(router.BUSINESS).inbound(message), secret)
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


def run(var_dir: Path, *, quick: bool = False) -> list[Figure]:
    """On the whole stack as ``make run`` runs it (leads and history consume the same messages meanwhile)."""
    messages = QUICK_MESSAGES if quick else MESSAGES
    var_dir.mkdir(parents=True, exist_ok=True)
    with running_stack(var_dir, accounts=router.accounts_file(var_dir / "bench-accounts.yaml")) as stack:
        time.sleep(SETTLE_S)  # consumer groups joined, the directory read
        latencies = asyncio.run(
            _write_one_by_one(
                stack.config.url("ingest"), databases(stack)["router"], messages, DEV_SECRETS["WHATSAPP_APP_SECRET"]
            )
        )
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
