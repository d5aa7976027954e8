"""The SQL unit of work every service uses: one session, one transaction, repositories bound to it.

A service subclasses ``SessionUnitOfWork`` and attaches its repositories in ``bind``; leaving the ``async
with`` block without ``commit`` rolls back. On ``commit`` the unit of work appends the new events of the
aggregates it loaded or added (``collect_new_events``, each service says which) and stages them in the
outbox: handlers never stage by hand. ``joining(session)`` makes it a savepoint in a transaction someone else
commits: a consumer's batch (group commit), where one record's failure rolls back that record alone.
``joining(session, lane=...)`` makes it part of a lane decided all or nothing: no savepoint (a failure rolls the
whole lane back, and its owner decides the records again one savepoint each), its events staged with the lane's.
``SessionOutbox`` is the outbox port over the same session, for events that belong to no aggregate.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction, async_sessionmaker

from leadline.events import Envelope

from .outbox import insert_outbox_rows, outbox_rows, stage_events


class LaneOutbox:
    """The outbox rows of a lane's records, written with one statement at the lane's commit (``write``)."""

    def __init__(self) -> None:
        self._rows: list[dict[str, Any]] = []

    def stage(self, envelopes: Sequence[Envelope]) -> None:
        self._rows.extend(outbox_rows(envelopes))  # the trace context of the record being decided

    async def write(self, session: AsyncSession) -> None:
        await insert_outbox_rows(session, self._rows)
        self._rows = []


class SessionOutbox:
    """Stages events in the unit of work's transaction: they leave only if it commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def stage(self, envelopes: Sequence[Envelope]) -> None:
        await stage_events(self._session, envelopes)


class SessionUnitOfWork(ABC):
    session: AsyncSession
    causation: Envelope | None = None
    """The event being handled, when a consumer handles one: the new events' causation and correlation."""
    published: list[Envelope]
    """The events the last ``commit`` appended and staged."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._batch: AsyncSession | None = None
        self._savepoint: AsyncSessionTransaction | None = None
        self._lane: LaneOutbox | None = None
        self.published = []

    def joining(
        self, session: AsyncSession, *, causation: Envelope | None = None, lane: LaneOutbox | None = None
    ) -> Self:
        """This unit of work as a savepoint of ``session``'s open transaction, which its owner commits.

        With ``lane``: no savepoint, the events staged in ``lane``; the owner rolls everything back if this fails.
        """
        self._batch = session
        self.causation = causation
        self._lane = lane
        return self

    @abstractmethod
    def bind(self, session: AsyncSession) -> None:
        """Attach the repositories to the transaction's session (each service's unit of work says which)."""

    async def collect_new_events(self) -> list[Envelope]:
        """Append the pending events of the aggregates this unit of work tracks; the appended envelopes.

        None by default: a service whose repositories track aggregates says how it saves them.
        """
        return []

    @property
    def in_batch(self) -> bool:
        return self._batch is not None

    async def __aenter__(self) -> Self:
        if self._batch is not None:
            self.session = self._batch
            self._savepoint = await self.session.begin_nested() if self._lane is None else None
        else:
            self.session = self._sessions()
            await self.session.begin()
        self.published = []
        self.bind(self.session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._batch is not None:  # the batch's owner ends its transaction; a savepoint left open is undone
            if self._savepoint is not None and self._savepoint.is_active:
                await self._savepoint.rollback()
            self._savepoint = None
            return
        if self.session.in_transaction():
            await self.session.rollback()
        await self.session.close()

    async def commit(self) -> None:
        published = await self.collect_new_events()
        if self._lane is not None:
            self._lane.stage(published)
        else:
            await stage_events(self.session, published)
        if self._savepoint is not None:
            await self._savepoint.commit()
            self._savepoint = None
        elif self._batch is None:  # a lane's owner commits it
            await self.session.commit()
        self.published = published
