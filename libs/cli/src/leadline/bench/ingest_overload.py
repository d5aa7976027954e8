"""Ingest alone under an open loop well above what it can take, with and without its bound on webhooks in flight.

First ingest's top rate (a closed loop), then an open loop at ``OVERLOAD`` times it, once with
``INGEST_MAX_WEBHOOKS_IN_FLIGHT=0`` (no bound) and once with the default, each on a database of its own: ingest's
peak RSS, how long it held a request (each try's answer, 503s included), how long a message took until stored
(from its scheduled send, retries after Retry-After included) and how many 503s the senders saw. Not in the default
run: ``python -m leadline.bench ingest_overload``.

Without the bound every waiting request keeps a connection: the run stops at ``UNBOUNDED_SECONDS`` so the client and
ingest stay below this machine's 20,000 open files (past it, connections fail, which is a different figure).
"""

from __future__ import annotations

import asyncio
import os

from leadline.ingest.entrypoints.settings import IngestSettings

from .infra import BenchInfra, Process, spawn
from .ingest import SECRET, SETTLE_S, webhook
from .load import LoadResult, closed_loop, open_loop, percentiles
from .processes import rss_mb
from .report import Figure

OVERLOAD = 3.0
SECONDS = 30.0
UNBOUNDED_SECONDS = 10.0
DEFAULT_BOUND = IngestSettings.model_fields["ingest_max_webhooks_in_flight"].default


async def _overloaded(server: Process, *, offset: int, rate: float, seconds: float) -> tuple[LoadResult, float]:
    """(the open loop's answers, ingest's peak RSS in MB while it ran)."""
    await closed_loop(server.url, lambda n: webhook(offset + n), total=200, concurrency=8)  # warm up
    await asyncio.sleep(SETTLE_S)
    peak = 0.0

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_mb(server.popen.pid))
            await asyncio.sleep(0.25)

    sampler = asyncio.create_task(sample())
    try:
        result = await open_loop(server.url, lambda n: webhook(offset + 1_000 + n), rate=rate, seconds=seconds)
    finally:
        sampler.cancel()
    return result, peak


async def _top_rate(server: Process) -> float:
    await closed_loop(server.url, lambda n: webhook(n), total=200, concurrency=8)
    await asyncio.sleep(SETTLE_S)
    return (await closed_loop(server.url, lambda n: webhook(1_000 + n), total=3_000, concurrency=32)).rate


def _ingest(infra: BenchInfra, name: str, bound: int) -> Process:
    database_url = asyncio.run(infra.database_for("ingest"))
    return spawn(
        "leadline.ingest",
        [],
        {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
            "WHATSAPP_APP_SECRET": SECRET,
            "INGEST_MAX_WEBHOOKS_IN_FLIGHT": str(bound),
        },
        infra.var_dir / f"{name}.log",
    )


def run(infra: BenchInfra) -> list[Figure]:
    ingest = _ingest(infra, "ingest-top", DEFAULT_BOUND)
    try:
        top = asyncio.run(_top_rate(ingest))
    finally:
        ingest.stop()
    rate = OVERLOAD * top
    figures = [Figure("ingest webhooks/s (closed loop)", top, "req/s", target=f"load average {os.getloadavg()[0]:.1f}")]
    for n, (bound, seconds) in enumerate(
        ((0, UNBOUNDED_SECONDS), (DEFAULT_BOUND, UNBOUNDED_SECONDS), (DEFAULT_BOUND, SECONDS))
    ):
        ingest = _ingest(infra, f"ingest-{bound}-{seconds:.0f}s", bound)
        try:
            result, peak = asyncio.run(_overloaded(ingest, offset=(n + 1) * 10_000_000, rate=rate, seconds=seconds))
        finally:
            ingest.stop()
        figures += _figures(result, peak, bound=bound, rate=rate, seconds=seconds)
    return figures


def _figures(result: LoadResult, peak: float, *, bound: int, rate: float, seconds: float) -> list[Figure]:
    label = f"bound {bound}" if bound else "no bound"
    at = f"at {rate:.0f}/s for {seconds:.0f} s, {label}"
    held_p99 = percentiles(result.tries_ms)[1] if result.tries_ms else float("nan")
    return [
        Figure(f"ingest RSS (peak) {at}", peak, "MB", target="< 200 MB", met=peak < 200),
        Figure(
            f"ingest answer p99 (each try) {at}",
            held_p99,
            "ms",
            target=f"{result.connections} connections opened, load average {os.getloadavg()[0]:.1f}",
        ),
        Figure(f"load generator's worst slip {at}", result.slip_ms, "ms"),
        Figure(
            f"message stored p99 (from its scheduled send) {at}",
            result.p99,
            "ms",
            target=f"{result.errors} errors, {result.shed} shed (503), {result.timeouts} timed out (both retried)",
            met=result.errors == 0,
        ),
    ]
