"""Webhook → visible in the pool, on the running stack: what a customer's message costs until an agent can see it.

Signed webhooks from many customers are posted to ingest on an open-loop schedule (``load.open_loop``: a slow
answer never delays the next send), each message with a wamid of its own. It is visible once the router's
``message_appended`` event for that wamid is on the router's topic (the router commits its pool view in the
same transaction as the event, and the page's live feed reads that topic). Latency is from the moment the schedule
said to send, so a saturated stack cannot hide its queue (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from aiokafka import TopicPartition

from leadline.events.router import MESSAGE_APPENDED
from leadline.events.topics import ROUTER_CONVERSATIONS
from leadline.fakegraph import webhooks as wh
from leadline.platform import kafka_clients
from leadline.platform.settings import KafkaSettings

from .load import LoadResult, Request, open_loop, percentiles

CUSTOMERS = 1_000  # many customers, each writing again and again: conversations grow during the run


@dataclass(frozen=True)
class Phase:
    """One rate's figures: visibility latencies of the messages seen, those never seen, ingest's answers."""

    rate: float
    seconds: float
    latencies_ms: tuple[float, ...]
    unseen: int
    answers: LoadResult

    @property
    def p50(self) -> float:
        return percentiles(self.latencies_ms)[0] if self.latencies_ms else float("nan")

    @property
    def p99(self) -> float:
        return percentiles(self.latencies_ms)[1] if self.latencies_ms else float("nan")


def webhooks(secret: str, *, label: str, total: int) -> tuple[list[Request], list[str]]:
    """``total`` signed deliveries, customer ``n % CUSTOMERS`` writing message ``n``; and their wamids."""
    builder = wh.WebhookBuilder(wh.BusinessNumber())
    requests, wamids = [], []
    for n in range(total):
        wamid = f"wamid.bench{label}{n:08d}"
        customer = f"55119{70_000_000 + n % CUSTOMERS}"
        body, headers = wh.signed_request(
            builder.inbound(wh.text_message(customer, f"Oi, mensagem {n}", wamid=wamid)), secret
        )
        requests.append(("/webhooks/whatsapp", body, headers))
        wamids.append(wamid)
    return requests, wamids


class PoolWatcher:
    """When each wamid's ``message_appended`` reached the router's topic (read from its end, no consumer group)."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self._consumer = kafka_clients.consumer(
            kafka, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=10, client_id="leadline-bench-pool"
        )
        self.seen: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        partitions = [
            TopicPartition(ROUTER_CONVERSATIONS, p)
            for p in self._consumer.partitions_for_topic(ROUTER_CONVERSATIONS) or ()
        ]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for partition in partitions:
            await self._consumer.position(partition)
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=200)
            now = time.time()
            for records in batch.values():
                for record in records:
                    envelope = json.loads(record.value)
                    if envelope.get("type") == MESSAGE_APPENDED and (wamid := envelope["payload"].get("wamid")):
                        self.seen.setdefault(wamid, now)

    async def until_seen(self, wamids: list[str], *, within_s: float, stalled_s: float = 30.0) -> None:
        """Until every wamid is seen, nothing new came for ``stalled_s``, or ``within_s`` passed."""
        deadline, last_progress, count = time.monotonic() + within_s, time.monotonic(), -1
        while time.monotonic() < deadline and time.monotonic() - last_progress < stalled_s:
            seen = sum(wamid in self.seen for wamid in wamids)
            if seen == len(wamids):
                return
            if seen != count:
                count, last_progress = seen, time.monotonic()
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()


async def measure(
    ingest_url: str,
    watcher: PoolWatcher,
    secret: str,
    *,
    rate: float,
    seconds: float,
    drain_s: float,
    label: str | None = None,
) -> Phase:
    """Post at ``rate`` for ``seconds``, then wait up to ``drain_s`` for the stack to show every message."""
    requests, wamids = webhooks(secret, label=label or f"{rate:.0f}x", total=int(rate * seconds))
    answers = await open_loop(ingest_url, requests.__getitem__, rate=rate, seconds=seconds)
    await watcher.until_seen(wamids, within_s=drain_s)
    latencies = tuple(
        (watcher.seen[wamid] - (answers.started_at + n / rate)) * 1000
        for n, wamid in enumerate(wamids)
        if wamid in watcher.seen
    )
    return Phase(rate, seconds, latencies, len(wamids) - len(latencies), answers)
