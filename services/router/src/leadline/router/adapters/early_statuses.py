"""Delivery statuses that came before their message's send result, kept in SQL until it comes.

Both sides take the wamid's transaction lock first, so of a status and a send result decided at the same time one
sees the other's commit: the status finds the message, or the send result finds the kept status.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.events import MessageStatusChangedV2

from .tables import early_delivery_statuses

E = early_delivery_statuses.c
# WhatsApp reports a status within seconds of the send: one kept a day names a message leadline never sent
KEPT_FOR = timedelta(days=1)


class SqlEarlyStatuses:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self, wamid: str) -> None:
        await self._session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(wamid, 0))))

    async def keep(self, status: MessageStatusChangedV2) -> None:
        await self._session.execute(delete(early_delivery_statuses).where(E.kept_at < func.now() - KEPT_FOR))
        await self._session.execute(
            pg_insert(early_delivery_statuses)
            .values(wamid=status.wamid, status=status.status.value, payload=status.model_dump(mode="json"))
            .on_conflict_do_nothing()
        )

    async def take(self, wamid: str) -> list[MessageStatusChangedV2]:
        rows = await self._session.scalars(delete(early_delivery_statuses).where(E.wamid == wamid).returning(E.payload))
        return [MessageStatusChangedV2.model_validate(row) for row in rows]
