"""Ingest webhooks/s, latency and CPU per webhook beside a bare uvicorn endpoint producing the body to Kafka (same run).

CPU per webhook is the server process's own CPU time (user + system, read from outside) over the closed loop and
the moment after it in which the outbox relay publishes what it stored: on a machine others load too, it moves far
less than the rates do."""

from __future__ import annotations

import asyncio

from leadline.fakegraph import webhooks as wh

from .infra import BenchInfra, Process, spawn
from .load import LoadResult, closed_loop, open_loop
from .processes import cpu_seconds
from .report import Figure

SECRET = "bench-app-secret"
BUSINESS = wh.BusinessNumber()


def webhook(n: int) -> tuple[str, bytes, dict[str, str]]:
    customer = f"55119{n % 90_000_000 + 10_000_000}"
    body, headers = wh.signed_request(
        wh.WebhookBuilder(BUSINESS).inbound(wh.text_message(customer, f"mensagem {n}")), SECRET
    )
    return "/webhooks/whatsapp", body, headers


SETTLE_S = 7.0  # consumer groups join (~5 s on the embedded broker): measure the steady state, not start-up
RELAY_S = 1.0  # after the closed loop: the relay publishes the last stored events (counted in the CPU per webhook)


async def measure(
    server: Process, *, offset: int, total: int, concurrency: int, paced_rate: float, paced_seconds: float
) -> tuple[LoadResult, LoadResult, float]:
    """(closed loop, open loop, server CPU ms per webhook of the closed loop)."""
    url = server.url
    await closed_loop(url, lambda n: webhook(offset + n), total=200, concurrency=8)  # warm up
    await asyncio.sleep(SETTLE_S)
    cpu_before = cpu_seconds(server.popen.pid)
    top = await closed_loop(url, lambda n: webhook(offset + 1_000 + n), total=total, concurrency=concurrency)
    await asyncio.sleep(RELAY_S)
    cpu_ms = 1000 * (cpu_seconds(server.popen.pid) - cpu_before) / total
    paced = await open_loop(url, lambda n: webhook(offset + 1_000 + total + n), rate=paced_rate, seconds=paced_seconds)
    return top, paced, cpu_ms


def run(
    infra: BenchInfra, *, total: int = 4000, concurrency: int = 32, paced_rate: float = 500, paced_seconds: float = 10
) -> list[Figure]:
    logs = infra.var_dir
    baseline = spawn(
        "leadline.bench.baseline_server",
        ["--port", "{port}", "--bootstrap", infra.bootstrap_servers, "--topic", "bench.baseline"],
        {},
        logs / "baseline.log",
    )
    try:
        raw_top, raw_paced, raw_cpu_ms = asyncio.run(
            measure(
                baseline,
                offset=0,
                total=total,
                concurrency=concurrency,
                paced_rate=paced_rate,
                paced_seconds=paced_seconds,
            )
        )
    finally:
        baseline.stop()
    database_url = asyncio.run(infra.database_for("ingest"))
    ingest = spawn(
        "leadline.ingest",
        [],
        {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
            "WHATSAPP_APP_SECRET": SECRET,
        },
        logs / "ingest.log",
    )
    try:
        top, paced, cpu_ms = asyncio.run(
            measure(
                ingest,
                offset=10_000_000,
                total=total,
                concurrency=concurrency,
                paced_rate=paced_rate,
                paced_seconds=paced_seconds,
            )
        )
        rss = ingest.rss_mb()
    finally:
        ingest.stop()
    errors = top.errors + paced.errors
    return [
        Figure(
            "ingest webhooks/s (1 worker)",
            top.rate,
            "req/s",
            raw_top.rate,
            "uvicorn+aiokafka",
            "≥ 50 % of baseline",
            top.rate >= 0.5 * raw_top.rate and errors == 0,
        ),
        Figure("ingest CPU per webhook", cpu_ms, "ms", raw_cpu_ms, "uvicorn+aiokafka"),
        Figure(f"ingest p50 at {paced_rate:.0f} req/s", paced.p50, "ms", raw_paced.p50, "uvicorn+aiokafka"),
        Figure(
            f"ingest p99 at {paced_rate:.0f} req/s",
            paced.p99,
            "ms",
            raw_paced.p99,
            "uvicorn+aiokafka",
            "≤ 25 ms",
            paced.p99 <= 25,
        ),
        Figure("ingest RSS after load", rss, "MB", target="< 200 MB", met=rss < 200),
    ]
