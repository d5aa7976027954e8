"""The timeline projection applied live: one event in the caller's transaction, applied once.

``apply`` records the event id in the inbox, moves the stream's position (skipping replays, reporting gaps) and
then lets the projection's handler change the timeline through ``SqlTimelineStore``, so a redelivery changes nothing.
A rebuild does the same bookkeeping per batch instead (``replay_ledger``, ``batch_store``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from leadline.events import REGISTRY, Envelope
from leadline.platform.inbox import StreamPosition, advance_stream, first_delivery

from ..service.ports import TimelineStore
from ..service.projection import CONSUMER, TimelineProjection
from .store import SqlTimelineStore


class LiveTimeline:
    """``projection`` applied event by event; ``publish``: the entries recorded are published too (the live service)."""

    def __init__(self, projection: TimelineProjection, *, publish: bool = True) -> None:
        self.projection = projection
        self.publish = publish

    async def apply(self, session: AsyncSession, envelope: Envelope) -> bool:
        """False when the event was already applied (a redelivery or a replay)."""
        payload = REGISTRY.decode(envelope)  # unknown types raise before anything is recorded: the platform skips them
        if not await first_delivery(session, CONSUMER, envelope.event_id):
            return False
        if (
            await advance_stream(session, CONSUMER, envelope.stream_id, envelope.sequence)
            is StreamPosition.ALREADY_APPLIED
        ):
            return False
        await self.handle(SqlTimelineStore(session, publish=self.publish, cause=envelope), envelope, payload)
        return True

    async def handle(self, store: TimelineStore, envelope: Envelope, payload: object) -> None:
        await self.projection.handle(store, envelope, payload)
