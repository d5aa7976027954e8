"""The leads unit of work over SQLAlchemy: one session, one transaction, every repository.

It keeps the leads it loaded or added (an identity map) and, on commit, appends their pending events with their
expected versions and stages them in the outbox: handlers only decide.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events import Envelope
from leadline.platform.unit_of_work import SessionUnitOfWork

from ..domain.lead import Lead
from ..domain.unification import CustomerKeys
from .lead_store import SqlLeads
from .projections import SqlConversations, SqlDirectory
from .sagas import SqlConflicts, SqlSagas


class TrackedLeads:
    """The leads of one unit of work: each loaded once, and every one with news saved on commit."""

    def __init__(self, store: SqlLeads) -> None:
        self._store = store
        self._seen: dict[str, Lead] = {}
        self._reviews: dict[str, datetime | None] = {}

    async def get(self, lead_id: str) -> Lead | None:
        if lead_id in self._seen:
            return self._seen[lead_id]
        lead = await self._store.get(lead_id)
        if lead is not None:
            self._seen[lead_id] = lead
        return lead

    def add(self, lead: Lead) -> None:
        self._seen[lead.id] = lead

    def review_temperature(self, lead: Lead, at: datetime | None) -> None:
        self._seen[lead.id] = lead
        self._reviews[lead.id] = at

    async def active_for_customer(self, account_id: str, customer: CustomerKeys) -> list[tuple[str, str, datetime]]:
        return await self._store.active_for_customer(account_id, customer)

    async def due_for_review(self, now: datetime, *, limit: int = 500) -> list[str]:
        return await self._store.due_for_review(now, limit=limit)

    async def append_pending(self, causation: Envelope | None) -> list[Envelope]:
        """Append what each lead decided since it was loaded; ``ConcurrentChange`` if another writer won."""
        published: list[Envelope] = []
        for lead in self._seen.values():
            if lead.pending or lead.id in self._reviews:
                published.extend(
                    await self._store.add(
                        lead,
                        caused_by=causation,
                        review_temperature_at=self._reviews.get(lead.id),
                        review=lead.id in self._reviews,
                    )
                )
        return published


class SqlUnitOfWork(SessionUnitOfWork):
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        super().__init__(sessions)
        self._clock = clock

    def bind(self, session: AsyncSession) -> None:
        self.leads = TrackedLeads(SqlLeads(session, clock=self._clock))
        self.sagas = SqlSagas(session)
        self.conflicts = SqlConflicts(session)
        self.conversations = SqlConversations(session, in_lane=self.in_batch)
        self.directory = SqlDirectory(session)

    async def collect_new_events(self) -> list[Envelope]:
        return await self.leads.append_pending(self.causation)

    async def commit(self) -> None:
        await super().commit()
        if self.in_batch:  # what this savepoint decided is now the lane's, written when the lane commits
            self.conversations.committed()
