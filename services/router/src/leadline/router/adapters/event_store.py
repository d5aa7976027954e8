"""The conversation event store: append with an expected version, load a stream, in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.events import REGISTRY, Envelope, new_envelope
from leadline.platform.event_store import StreamConflict, append_events, load_stream

from ..domain.conversation import Conversation
from ..domain.errors import ConcurrentChange
from ..service.ports import ClaimState
from .projections import project
from .tables import conversation_view, events
from .translate import to_domain, to_payload


class SqlConversations:
    def __init__(self, session: AsyncSession, *, clock=lambda: datetime.now(UTC)) -> None:
        self._session = session
        self._clock = clock

    async def get(self, conversation_id: str) -> Conversation | None:
        stored = await load_stream(self._session, events, conversation_id)
        if not stored:
            return None
        history = [to_domain(REGISTRY.decode(envelope), envelope.occurred_at) for envelope in stored]
        return Conversation.rehydrate(conversation_id, stored[0].account_id, history)

    async def claim_state(self, conversation_id: str) -> ClaimState | None:
        try:
            UUID(conversation_id)
        except ValueError:
            return None
        view = conversation_view.c
        row = (
            await self._session.execute(
                select(
                    view.account_id,
                    view.owner_id,
                    view.owner_name,
                    view.pool_team_ids,
                    view.collaborator_ids,
                    view.was_in_pool,
                ).where(view.conversation_id == conversation_id)
            )
        ).first()
        if row is None:
            return None
        return ClaimState(
            row.account_id,
            row.owner_id,
            row.owner_name,
            frozenset(row.pool_team_ids),
            frozenset(row.collaborator_ids),
            row.was_in_pool,
        )

    async def add(self, conversation: Conversation, *, causation: Envelope | None = None) -> list[Envelope]:
        """Append pending events after the version they were decided on; a concurrent append makes this fail."""
        if not conversation.pending:
            return []
        first = conversation.version - len(conversation.pending) + 1
        now = self._clock()
        envelopes = [
            new_envelope(
                to_payload(conversation.id, event),
                account_id=conversation.account_id,
                stream_id=conversation.id,
                sequence=first + offset,
                occurred_at=now,
                correlation_id=causation.correlation_id if causation else None,
                causation_id=causation.event_id if causation else None,
            )
            for offset, event in enumerate(conversation.pending)
        ]
        try:
            await append_events(self._session, events, envelopes)
        except StreamConflict as error:
            raise ConcurrentChange("the conversation changed meanwhile") from error
        for envelope in envelopes:
            await project(self._session, envelope)
        conversation.pending.clear()
        return envelopes
