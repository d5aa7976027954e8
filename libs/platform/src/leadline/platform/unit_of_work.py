"""The SQL unit of work every service uses: one session, one transaction, repositories bound to it.

A service subclasses ``SessionUnitOfWork`` and attaches its repositories in ``bind``; leaving the ``async
with`` block without ``commit`` rolls back. ``SessionOutbox`` is the outbox port over the same session.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events import Envelope

from .outbox import stage_events


class SessionOutbox:
    """Stages events in the unit of work's transaction: they leave only if it commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def stage(self, envelopes: Sequence[Envelope]) -> None:
        await stage_events(self._session, envelopes)


class SessionUnitOfWork(ABC):
    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @abstractmethod
    def bind(self, session: AsyncSession) -> None:
        """Attach the repositories to the transaction's session (each service's unit of work says which)."""

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self.bind(self.session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session.in_transaction():
            await self.session.rollback()
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()
