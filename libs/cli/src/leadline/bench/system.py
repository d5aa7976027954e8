"""The whole-system benchmark: every figure taken with the whole stack running as ``make run`` runs it.

``leadline.cli.stack`` starts it (ingest, router, leads, history, web, the fake Graph API, the embedded broker and
PostgreSQL; the same environment and defaults), with the benchmark's accounts file (100 sellers for the claim race).
In order: the idle stack's CPU; claims under 100-way contention; webhook → visible in the pool at 100, 300 and
1,000 msg/s (open loop, many customers), with each process's CPU per message and the services' peak memory; the raw
baselines of the same run on the same broker and database server.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from leadline.cli.stack import DEV_SECRETS, Stack
from leadline.platform.settings import KafkaSettings

from . import router
from .load import failures_said, open_loop, percentiles
from .pool_latency import Phase, PoolWatcher, measure, webhooks
from .processes import CpuWindow, idle_cpu, rss_mb
from .report import Figure
from .whole_stack import MEASURED, databases, running_stack

SERVICES = ("ingest", "router", "leads", "history", "web")
SETTLE_S = 10.0  # consumer groups joined, the directory read, start-up work done: the idle stack is idle
IDLE_TARGET = 5.0  # % of one core, every service and the broker together


@dataclass(frozen=True)
class Plan:
    idle_s: float
    rates: tuple[tuple[float, float], ...]  # (messages per second, seconds)
    drain_s: float  # how long after the last send a message may still become visible
    claim_rounds: int


FULL = Plan(idle_s=30, rates=((100, 30), (300, 30), (1_000, 60)), drain_s=180, claim_rounds=20)
QUICK = Plan(idle_s=15, rates=((100, 5), (300, 5), (1_000, 5)), drain_s=60, claim_rounds=5)


def run(var_dir: Path, *, quick: bool = False) -> list[Figure]:
    plan = QUICK if quick else FULL
    var_dir.mkdir(parents=True, exist_ok=True)
    with running_stack(var_dir, accounts=router.accounts_file(var_dir / "bench-accounts.yaml")) as stack:
        time.sleep(SETTLE_S)
        figures = idle_figures(idle_cpu(stack.pids(), plan.idle_s), plan.idle_s)
        figures += asyncio.run(_under_load(stack, plan))
    return figures


def idle_figures(shares: dict[str, float], seconds: float) -> list[Figure]:
    total = sum(shares[name] for name in MEASURED if name in shares)
    return [
        *(Figure(f"idle CPU, {name}", share, "% core") for name, share in shares.items()),
        Figure(
            f"idle CPU, services + broker ({seconds:.0f} s)", total, "% core", target="< 5 %", met=total < IDLE_TARGET
        ),
    ]


async def _under_load(stack: Stack, plan: Plan) -> list[Figure]:
    kafka = KafkaSettings(kafka_bootstrap_servers=stack.bootstrap_servers)
    secret = DEV_SECRETS["WHATSAPP_APP_SECRET"]
    ingest_url = stack.config.url("ingest")
    watcher = PoolWatcher(kafka)
    await watcher.start()
    try:
        figures = [await _first_after_idle(ingest_url, watcher, secret)]
        figures += await _claims(stack, watcher, secret, rounds=plan.claim_rounds)
        for rate, seconds in plan.rates:
            figures += await _rate(stack, watcher, ingest_url, secret, rate=rate, seconds=seconds, plan=plan)
    finally:
        await watcher.stop()
    return figures


async def _first_after_idle(ingest_url: str, watcher: PoolWatcher, secret: str) -> Figure:
    """One message to a stack idle since the idle window began: its consumers' fetches wait their longest."""
    phase = await measure(ingest_url, watcher, secret, rate=1, seconds=1, drain_s=30, label="first")
    return Figure(
        "webhook → pool, first message after idle",
        phase.p50,
        "ms",
        target=f"≤ idle fetch wait + hop ({phase.unseen} unseen)",
    )


async def _claims(stack: Stack, watcher: PoolWatcher, secret: str, *, rounds: int) -> list[Figure]:
    requests, wamids = webhooks(secret, label="claims", total=rounds)
    await open_loop(stack.config.url("ingest"), requests.__getitem__, rate=20, seconds=rounds / 20)
    await watcher.until_seen(wamids, within_s=120)
    customers = [f"55119{70_000_000 + n}" for n in range(rounds)]
    ids = await router.conversation_ids(databases(stack)["router"], customers)
    if len(ids) != rounds:
        raise RuntimeError(f"only {len(ids)} of {rounds} conversations reached the router's pool in 120 s")
    latencies = await router.claims(stack.config.url("router"), ids)
    raw = await router.raw_claims(stack.server_url, rounds)
    (p50, p99), (raw_p50, raw_p99) = percentiles(latencies), percentiles(raw)
    contenders = router.CONTENDERS
    return [
        Figure(f"claim p50, {contenders} contenders", p50, "ms", raw_p50, "asyncpg insert"),
        Figure(f"claim p99, {contenders} contenders", p99, "ms", raw_p99, "asyncpg insert", "≤ 25 ms", p99 <= 25),
    ]


async def _rate(
    stack: Stack, watcher: PoolWatcher, ingest_url: str, secret: str, *, rate: float, seconds: float, plan: Plan
) -> list[Figure]:
    pids = stack.pids()
    peak = dict.fromkeys(SERVICES, 0.0)

    async def sample_memory() -> None:
        while True:
            for name in SERVICES:
                peak[name] = max(peak[name], rss_mb(pids[name]))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample_memory())
    window = CpuWindow(pids).start()
    try:
        phase = await measure(ingest_url, watcher, secret, rate=rate, seconds=seconds, drain_s=plan.drain_s)
    finally:
        sampler.cancel()
    elapsed, cpu = window.elapsed_s, window.shares()
    raw = await router.raw_kafka_latency(
        KafkaSettings(kafka_bootstrap_servers=stack.bootstrap_servers), rate=rate, seconds=min(seconds, 10)
    )
    return rate_figures(phase, raw, cpu, elapsed, peak, top=rate == max(r for r, _ in plan.rates))


def rate_figures(
    phase: Phase, raw: list[float], cpu: dict[str, float], elapsed_s: float, peak: dict[str, float], *, top: bool
) -> list[Figure]:
    rate, seen = phase.rate, len(phase.latencies_ms)
    raw_p50, raw_p99 = percentiles(raw)
    baseline = "aiokafka produce→consume"
    per_message = 10 * elapsed_s / seen if seen else float("nan")  # % of a core over the window → ms per message
    ms_per_message = {name: share * per_message for name, share in cpu.items()}
    services_ms = sum(ms_per_message.get(name, 0.0) for name in SERVICES)
    figures = [
        Figure(f"webhook → pool p50 at {rate:.0f}/s", phase.p50, "ms", raw_p50, baseline),
        Figure(
            f"webhook → pool p99 at {rate:.0f}/s ({phase.seconds:.0f} s)",
            phase.p99,
            "ms",
            raw_p99,
            baseline,
            f"≤ 100 ms, 0 lost ({phase.unseen} unseen)",
            phase.p99 <= 100 and phase.unseen == 0,
        ),
        Figure(f"webhook answered p99 at {rate:.0f}/s", phase.answers.p99, "ms", target=failures_said(phase.answers)),
        Figure(f"CPU per message at {rate:.0f}/s, services", services_ms, "ms"),
    ]
    if top:
        figures += [Figure(f"CPU per message at {rate:.0f}/s, {name}", ms_per_message[name], "ms") for name in cpu]
        figures += [
            Figure(f"{name} RSS at {rate:.0f}/s (peak)", peak[name], "MB", target="< 200 MB", met=peak[name] < 200)
            for name in SERVICES
        ]
    return figures
