"""Answer quickly: conversations left in a pool past the account's threshold raise an alert event and a metric."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog
from prometheus_client import Counter, Gauge

from leadline.events import Envelope

from .inbound import Clock, UowFactory, retrying
from .ports import UnitOfWork

log = structlog.get_logger(__name__)
WAITING = Gauge("leadline_router_pool_waiting_conversations", "Conversations waiting unclaimed in a pool")
OLDEST_WAIT = Gauge("leadline_router_pool_oldest_wait_seconds", "How long the oldest unclaimed conversation has waited")
ALERTS = Counter("leadline_router_pool_wait_alerts_total", "Conversations that waited past the account's threshold")

WaitingConversations = Callable[
    [UnitOfWork, datetime], Awaitable[list[tuple[str, str, float]]]
]  # (conversation, account, waited s)


async def check_pool_waits(*, uow: UowFactory, clock: Clock, waiting: WaitingConversations) -> list[Envelope]:
    async with uow() as work:
        candidates = await waiting(work, clock())
    WAITING.set(len(candidates))
    OLDEST_WAIT.set(max((waited for _, _, waited in candidates), default=0))
    async with uow() as work:
        thresholds = {
            a: (await work.accounts.account(a)).settings.pool_wait_alert_seconds for a in {c[1] for c in candidates}
        }
    published: list[Envelope] = []
    for conversation_id, account_id, waited in candidates:
        if waited <= thresholds[account_id]:
            continue

        async def attempt(conversation_id: str = conversation_id, account_id: str = account_id) -> list[Envelope]:
            async with uow() as work:
                account = await work.accounts.account(account_id)
                conversation = await work.conversations.get(conversation_id)
                if conversation is None or not conversation.alert_if_waiting_too_long(
                    threshold_seconds=account.settings.pool_wait_alert_seconds, now=clock()
                ):
                    return []
                await work.commit()
                return work.published

        events = await retrying(attempt)
        if events:
            ALERTS.inc()
            log.warning("conversation waiting in the pool too long", conversation_id=conversation_id)
        published.extend(events)
    return published


async def watch_pool_waits(*, every_s: float, **dependencies) -> None:
    while True:
        try:
            await check_pool_waits(**dependencies)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the watch must outlive a database hiccup
            log.warning("pool wait check failed", error=str(error))
        await asyncio.sleep(every_s)
