"""What a rebuild has handled: the consumer's inbox and stream positions, kept in memory, written once per batch.

The same rules as ``leadline.platform.inbox`` (an event id handled once, a stream's sequence only moves forward,
gaps reported), without a read per event: during a rebuild nothing else writes these rows. Written to the tables
so the live consumer, restarted after the rebuild, still recognises redeliveries of what was replayed.
"""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.events import Envelope
from leadline.platform.bulk import copy_rows
from leadline.platform.inbox import STREAM_GAPS
from leadline.platform.messaging_tables import INBOX, STREAM_POSITIONS

log = structlog.get_logger(__name__)


class ReplayLedger:
    def __init__(self, consumer: str) -> None:
        self.consumer = consumer
        self.positions: dict[str, int] = {}
        self.new_ids: list[uuid.UUID] = []
        self.moved: set[str] = set()

    async def preload(self, session: AsyncSession, stream_ids: set[str]) -> None:
        """Positions of streams not seen yet, from the table: a replay on top of existing rows (catch-up, --from)."""
        wanted = stream_ids - self.positions.keys()
        if wanted:
            rows = await session.execute(
                select(STREAM_POSITIONS.c.stream_id, STREAM_POSITIONS.c.last_sequence).where(
                    STREAM_POSITIONS.c.consumer == self.consumer, STREAM_POSITIONS.c.stream_id.in_(wanted)
                )
            )
            self.positions.update({row.stream_id: row.last_sequence for row in rows})

    def first_time(self, envelope: Envelope) -> bool:
        """Records the event; False for one already handled (a duplicate in the topic or an older sequence).

        A duplicate event id always repeats its stream and sequence, so positions alone recognise it."""
        self.new_ids.append(envelope.event_id)
        last = self.positions.get(envelope.stream_id, 0)
        if envelope.sequence <= last:
            return False
        if envelope.sequence != last + 1:
            STREAM_GAPS.labels(self.consumer).inc()
            log.warning(
                "gap in stream",
                consumer=self.consumer,
                stream_id=envelope.stream_id,
                expected=last + 1,
                got=envelope.sequence,
            )
        self.positions[envelope.stream_id] = envelope.sequence
        self.moved.add(envelope.stream_id)
        return True

    async def flush(self, session: AsyncSession) -> None:
        await copy_rows(
            session,
            INBOX,
            [{"consumer": self.consumer, "event_id": event_id} for event_id in dict.fromkeys(self.new_ids)],
            columns=["consumer", "event_id"],
        )
        await copy_rows(
            session,
            STREAM_POSITIONS,
            [{"consumer": self.consumer, "stream_id": s, "last_sequence": self.positions[s]} for s in self.moved],
            columns=["consumer", "stream_id", "last_sequence"],
            on_conflict="(consumer, stream_id) DO UPDATE SET last_sequence = EXCLUDED.last_sequence",
        )
        self.new_ids, self.moved = [], set()
