"""The router unit of work over SQLAlchemy: one session, one transaction, every repository.

It keeps the conversations it loaded or added (an identity map) and, on commit, appends their pending
events with their expected versions and stages them in the outbox: handlers only decide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events import Envelope
from leadline.platform.unit_of_work import SessionUnitOfWork

from ..domain.conversation import Conversation
from .account_cache import AccountCache, CachedAccountDirectory
from .account_directory import SqlAccountDirectory
from .chats import SqlChats, SqlLeadOwners
from .claim_gate import take_claim_turn
from .customers import SqlCustomers
from .early_statuses import SqlEarlyStatuses
from .event_store import SqlConversations
from .number_connections import SqlNumberConnections


class TrackedConversations:
    """The conversations of one unit of work: each loaded once, and every one with news saved on commit."""

    def __init__(self, store: SqlConversations) -> None:
        self._store = store
        self._seen: dict[str, Conversation] = {}

    async def get(self, conversation_id: str, *, about_messages: Iterable[str] | None = None) -> Conversation | None:
        """Loaded once per unit of work: a second ``get`` returns the same object, with the facts of the messages
        the first one asked about (a handler asks once, about the messages its decision is about)."""
        if conversation_id in self._seen:
            return self._seen[conversation_id]
        conversation = await self._store.get(conversation_id, about_messages=about_messages)
        if conversation is not None:
            self._seen[conversation_id] = conversation
        return conversation

    def add(self, conversation: Conversation) -> None:
        self._seen[conversation.id] = conversation

    async def append_pending(self, causation: Envelope | None) -> list[Envelope]:
        """Append what each conversation decided since it was loaded; ``ConcurrentChange`` if another writer won."""
        published: list[Envelope] = []
        for conversation in self._seen.values():
            if conversation.pending:
                published.extend(await self._store.add(conversation, causation=causation))
        return published


class SqlUnitOfWork(SessionUnitOfWork):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        account_cache: AccountCache | None = None,
    ) -> None:
        super().__init__(sessions)
        self._clock = clock
        self._account_cache = account_cache

    def bind(self, session: AsyncSession) -> None:
        self.conversations = TrackedConversations(SqlConversations(session, clock=self._clock))
        self.customers = SqlCustomers(session)
        self.chats = SqlChats(session)
        self.lead_owners = SqlLeadOwners(session)
        self.number_connections = SqlNumberConnections(session)
        self.early_statuses = SqlEarlyStatuses(session)
        directory = SqlAccountDirectory(session)
        self.accounts = (
            CachedAccountDirectory(directory, self._account_cache, session) if self._account_cache else directory
        )

    async def take_claim_turn(self, conversation_id: str) -> bool:
        return await take_claim_turn(self.session, conversation_id)

    async def collect_new_events(self) -> list[Envelope]:
        return await self.conversations.append_pending(self.causation)
