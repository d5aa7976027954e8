"""Answer quickly: conversations left in a pool past the account's threshold raise an alert event and a metric."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

import structlog

from leadline.events import Envelope

from .inbound import Clock, UowFactory, retrying
from .ports import UnitOfWork

log = structlog.get_logger(__name__)

WaitingConversations = Callable[
    [UnitOfWork, datetime], Awaitable[list[tuple[str, str, float]]]
]  # (conversation, account, waited s)


class PoolWaitMetrics(Protocol):
    """Where the pool's waits are shown (``adapters.pool_wait_metrics``: Prometheus)."""

    def waiting(self, conversations: int, oldest_s: float) -> None: ...
    def alerted(self) -> None: ...


class _Unmeasured:
    def waiting(self, conversations: int, oldest_s: float) -> None:
        pass

    def alerted(self) -> None:
        pass


UNMEASURED = _Unmeasured()


async def check_pool_waits(
    *, uow: UowFactory, clock: Clock, waiting: WaitingConversations, metrics: PoolWaitMetrics = UNMEASURED
) -> list[Envelope]:
    async with uow() as work:
        candidates = await waiting(work, clock())
    metrics.waiting(len(candidates), max((waited for _, _, waited in candidates), default=0))
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
            metrics.alerted()
            log.warning("conversation waiting in the pool too long", conversation_id=conversation_id)
        published.extend(events)
    return published
