"""The timeline projection applied live: a transaction's events applied together, each exactly once, in order.

``apply_all`` records the events' ids in the inbox and moves their streams' positions with one statement each
(skipping redeliveries and replays, reporting gaps), then lets the projection's handler change the timeline through
``SqlTimelineStore`` for the events that are new, so a redelivery changes nothing. The consumer hands each record
to ``apply_before_commit``, which decodes it at once and applies the lane's records together when the lane's
transaction commits: per event, the bookkeeping is a share of two statements instead of three of its own.
A rebuild does the same bookkeeping per batch instead (``replay_ledger``, ``batch_store``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadline.events import REGISTRY, Envelope
from leadline.events.registry import UnknownEventType
from leadline.platform.at_commit import held_until_commit
from leadline.platform.inbox import advance_streams, first_deliveries

from ..service.ports import TimelineStore
from ..service.projection import CONSUMER, HANDLED, TimelineProjection
from .store import SqlTimelineStore

Decoded = tuple[Envelope, Any]
"""An event and its payload (None: a type the projection does not handle, left undecoded)."""

_PENDING = "history.timeline.pending"  # in ``Session.info``: the transaction's events not applied yet


class LiveTimeline:
    """``projection`` applied to the events of a transaction; ``publish``: the entries recorded are published too
    (the live service)."""

    def __init__(self, projection: TimelineProjection, *, publish: bool = True) -> None:
        self.projection = projection
        self.publish = publish

    async def apply(self, session: AsyncSession, envelope: Envelope) -> bool:
        """One event now; False when it was already applied (a redelivery or a replay)."""
        return bool(await self.apply_all(session, [self.decoded(envelope)]))

    def apply_before_commit(self, session: AsyncSession, envelope: Envelope) -> None:
        """The event decoded now (an unknown type raises before anything is recorded: the platform skips it) and
        applied with the rest of the session's events when its transaction commits.

        The commit, not the record's savepoint, applies them: a record that fails fails the whole transaction,
        whose records the consumer then handles one by one (``leadline.platform.batches``). A record whose
        savepoint is rolled back after this call is applied with the others and handled alone again: the inbox
        makes that second time a no-op."""
        pending = held_until_commit(session, _PENDING, dict, _apply_pending)
        pending.setdefault(self, []).append(self.decoded(envelope))

    def decoded(self, envelope: Envelope) -> Decoded:
        if envelope.type in HANDLED:
            return envelope, REGISTRY.decode(envelope)
        try:
            REGISTRY.newest(envelope.type)
        except KeyError:
            raise UnknownEventType(envelope, "no model for this event type") from None
        return envelope, None

    async def apply_all(self, session: AsyncSession, events: Sequence[Decoded]) -> list[Envelope]:
        """The events (in their streams' order) in ``session``'s transaction; those that were new, applied."""
        recorded = await first_deliveries(session, [(CONSUMER, envelope.event_id) for envelope, _ in events])
        fresh = [(envelope, payload) for envelope, payload in events if (CONSUMER, envelope.event_id) in recorded]
        in_order = await advance_streams(session, CONSUMER, [envelope for envelope, _ in fresh])
        applied = [decoded for decoded, new in zip(fresh, in_order, strict=True) if new]
        for envelope, payload in applied:
            if payload is not None:
                await self.handle(SqlTimelineStore(session, publish=self.publish, cause=envelope), envelope, payload)
        return [envelope for envelope, _ in applied]

    async def handle(self, store: TimelineStore, envelope: Envelope, payload: object) -> None:
        await self.projection.handle(store, envelope, payload)


async def _apply_pending(session: AsyncSession, pending: dict[LiveTimeline, list[Decoded]]) -> None:
    for timeline, events in pending.items():
        await timeline.apply_all(session, events)
