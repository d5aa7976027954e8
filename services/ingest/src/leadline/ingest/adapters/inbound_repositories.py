"""Set-based SQL for storing webhook deliveries: a few statements per batch, whatever its size.

Rows are always written in key order so that two replicas storing overlapping batches
lock the same rows in the same order (no deadlocks).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Text, any_, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.delivery_statuses import status_moves_forward
from ..domain.evolution_instances import EvolutionInstance, EvolutionNumber
from ..service.ports import MediaToFetch, NewMessage, Quarantined
from .tables import (
    business_numbers,
    chat_sequences,
    inbound_messages,
    media_jobs,
    message_statuses,
    quarantined_deliveries,
    webhook_deliveries,
)

# Statements built once: executed with a list of parameter sets they hit SQLAlchemy's compiled
# cache, whatever the batch size (a multi-row VALUES would be compiled anew for every size).
_RECORD_MESSAGE = pg_insert(inbound_messages).on_conflict_do_nothing().returning(inbound_messages.c.wamid)
_STATUS_PLACEHOLDER = pg_insert(message_statuses).on_conflict_do_nothing()
_reserve = pg_insert(chat_sequences)
_RESERVE_SEQUENCES = _reserve.on_conflict_do_update(
    index_elements=[chat_sequences.c.stream_id],
    set_={"last_sequence": chat_sequences.c.last_sequence + _reserve.excluded.last_sequence},
).returning(chat_sequences.c.stream_id, chat_sequences.c.last_sequence)
_LOCK_STATUSES = (
    select(message_statuses.c.wamid, message_statuses.c.status)
    .where(message_statuses.c.wamid == any_(bindparam("wamids", type_=ARRAY(Text))))
    .order_by(message_statuses.c.wamid)
    .with_for_update()
)
_ACCOUNTS_OF_NUMBERS = select(business_numbers.c.phone_number_id, business_numbers.c.account_id).where(
    business_numbers.c.phone_number_id == any_(bindparam("ids", type_=ARRAY(Text)))
)
"""Statements every webhook runs, built once: an ``IN`` list is rendered anew for each call and its length, an
array parameter is one cached statement."""


class SqlInboundMessages:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record_new(self, messages: Sequence[NewMessage]) -> set[str]:
        if not messages:
            return set()
        rows = [vars(m) for m in sorted(messages, key=lambda m: m.wamid)]
        inserted = await self._session.scalars(_RECORD_MESSAGE, rows)  # executemany: one cached statement
        return set(inserted)


class SqlDeliveryStatuses:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def advance_many(self, updates: Sequence[tuple[str, str]]) -> list[bool]:
        if not updates:
            return []
        wamids = sorted({wamid for wamid, _ in updates})
        await self._session.execute(_STATUS_PLACEHOLDER, [{"wamid": w, "status": "none"} for w in wamids])
        rows = await self._session.execute(_LOCK_STATUSES, {"wamids": wamids})
        current = {wamid: (None if status == "none" else status) for wamid, status in rows}
        moved = []
        for wamid, status in updates:
            forward = status_moves_forward(current[wamid], status)
            if forward:
                current[wamid] = status
            moved.append(forward)
        changed = [{"w": w, "s": current[w]} for w in wamids if current[w] is not None]
        if changed:
            await self._session.execute(
                update(message_statuses)
                .where(message_statuses.c.wamid == bindparam("w"))
                .values(status=bindparam("s")),
                changed,
            )
        return moved


class SqlStreamSequences:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def reserve(self, counts: Mapping[str, int]) -> dict[str, int]:
        if not counts:
            return {}
        rows = await self._session.execute(
            _RESERVE_SEQUENCES, [{"stream_id": stream, "last_sequence": counts[stream]} for stream in sorted(counts)]
        )
        return {stream: last - counts[stream] + 1 for stream, last in rows}

    async def next(self, stream_id: str) -> int:
        return (await self.reserve({stream_id: 1}))[stream_id]


class SqlDeliveryArchive:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def archive_many(self, deliveries: Sequence[tuple[bytes, int]]) -> None:
        if deliveries:
            await self._session.execute(
                insert(webhook_deliveries), [{"raw_body": raw, "events_emitted": n} for raw, n in deliveries]
            )

    async def quarantine(self, items: Sequence[Quarantined]) -> None:
        if items:
            rows = [{"raw_body": item.raw, "reason": item.reason[:4000], "part_path": item.part_path} for item in items]
            await self._session.execute(insert(quarantined_deliveries), rows)


class SqlMediaJobs:
    """``made_due``: told when a job becomes due now (the unit of work wakes the media worker after commit)."""

    def __init__(self, session: AsyncSession, made_due: Callable[[], None] = lambda: None) -> None:
        self._session = session
        self._made_due = made_due

    async def schedule(self, media: Sequence[MediaToFetch]) -> None:
        if media:
            rows = sorted((vars(item) for item in media), key=lambda row: (row["wamid"], row["provider_media_id"]))
            await self._session.execute(pg_insert(media_jobs).on_conflict_do_nothing(), rows)
            self._made_due()


class SqlBusinessNumbers:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def accounts_for(self, phone_number_ids: Collection[str]) -> dict[str, str]:
        rows = await self._session.execute(_ACCOUNTS_OF_NUMBERS, {"ids": list(phone_number_ids)})
        return {phone_number_id: account_id for phone_number_id, account_id in rows}

    async def register(
        self,
        phone_number_id: str,
        account_id: str,
        waba_id: str | None = None,
        evolution: EvolutionInstance | None = None,
    ) -> None:
        values = {
            "account_id": account_id,
            "waba_id": waba_id,
            "provider": "evolution" if evolution else "cloud_api",
            "evolution_base_url": evolution.base_url if evolution else None,
            "evolution_instance": evolution.instance if evolution else None,
            "evolution_api_key_secret": evolution.api_key_secret if evolution else None,
        }
        statement = pg_insert(business_numbers).values(phone_number_id=phone_number_id, **values)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=[business_numbers.c.phone_number_id], set_=values)
        )

    async def evolution_number(self, phone_number_id: str) -> EvolutionNumber | None:
        row = (
            await self._session.execute(
                select(business_numbers).where(
                    business_numbers.c.phone_number_id == phone_number_id, business_numbers.c.provider == "evolution"
                )
            )
        ).one_or_none()
        return None if row is None else _evolution_number(row)

    async def evolution_numbers(self) -> list[EvolutionNumber]:
        rows = await self._session.execute(
            select(business_numbers)
            .where(business_numbers.c.provider == "evolution")
            .order_by(business_numbers.c.phone_number_id)
        )
        return [_evolution_number(row) for row in rows]

    async def waba_of(self, phone_number_id: str) -> str | None:
        return await self._session.scalar(
            select(business_numbers.c.waba_id).where(business_numbers.c.phone_number_id == phone_number_id)
        )

    async def wabas(self) -> list[str]:
        rows = await self._session.execute(
            select(business_numbers.c.waba_id).where(business_numbers.c.waba_id.is_not(None)).distinct()
        )
        return sorted(rows.scalars())


def _evolution_number(row: Any) -> EvolutionNumber:
    instance = EvolutionInstance(row.evolution_base_url, row.evolution_instance, row.evolution_api_key_secret)
    return EvolutionNumber(row.phone_number_id, row.account_id, instance)
