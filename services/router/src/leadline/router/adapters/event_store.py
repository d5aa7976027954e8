"""The conversation event store: append with an expected version, load a conversation, in the caller's transaction.

A conversation loads from its kept state (``snapshots.py``) with one statement, whatever the length of its stream:
the snapshot, the facts of the messages the decision is about, and the stream's last version to check the snapshot
against. The snapshot is written by the append that makes it current, in the same transaction; a conversation
without one, of another format, or unreadable is folded from its events (the truth) instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Select, Table, Text, bindparam, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB, Insert, aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import CTE

from leadline.events import REGISTRY, Envelope, new_envelope
from leadline.platform.event_store import event_rows, load_stream

from ..domain.conversation import Conversation
from ..domain.errors import ConcurrentChange
from .projections import project, view_writes
from .snapshots import FORMAT, UnreadableSnapshot, facts_from_json, facts_to_row, state_from_json, state_to_json
from .tables import conversation_messages, conversation_snapshots, events
from .translate import to_domain, to_payload

log = structlog.get_logger(__name__)
S, M = conversation_snapshots.c, conversation_messages.c
FACTS = ("message_id", "wamid", "sent_as", "delivery", "requested", "media")  # the columns of ``MessageFacts``
FACTS_IN_ONE_STATEMENT = 4  # an append's usual one or two messages; after a fold, every message's facts: more


def _kept_state(*, about_some: bool) -> Select[Any]:
    """The snapshot, its stream's last version and the facts of the messages asked ``about`` (or of all): one
    statement built once (its compiled form and cache key are kept), ``conversation_id`` and ``about`` bound."""
    facts = select(
        func.coalesce(
            func.jsonb_agg(
                aggregate_order_by(
                    func.jsonb_build_object(*(part for name in FACTS for part in (literal(name), M[name]))),
                    M.arrived,
                )
            ),
            literal([], JSONB),
        )
    ).where(M.conversation_id == S.conversation_id)
    if about_some:
        about = bindparam("about", type_=Text, expanding=True)
        facts = facts.where(or_(M.message_id.in_(about), M.wamid.in_(about), M.sent_as.in_(about)))
    last = select(func.max(events.c.version)).where(events.c.stream_id == S.conversation_id)
    return select(
        S.account_id,
        S.version,
        S.format,
        S.state,
        last.scalar_subquery().label("stream_version"),
        facts.scalar_subquery().label("messages"),
    ).where(S.conversation_id == bindparam("conversation_id", type_=Text))


_KEPT_OF_ALL, _KEPT_ABOUT = _kept_state(about_some=False), _kept_state(about_some=True)


class SqlConversations:
    def __init__(self, session: AsyncSession, *, clock=lambda: datetime.now(UTC)) -> None:
        self._session = session
        self._clock = clock
        self._folded: set[str] = set()  # loaded by folding: their next append keeps every message's facts

    async def get(self, conversation_id: str, *, about_messages: Iterable[str] | None = None) -> Conversation | None:
        """The conversation, knowing the facts of ``about_messages`` (message ids or WhatsApp ids; None: of all)."""
        kept = await self._kept(conversation_id, None if about_messages is None else list(about_messages))
        return kept if kept is not None else await self.fold(conversation_id)

    async def _kept(self, conversation_id: str, about: list[str] | None) -> Conversation | None:
        statement, parameters = (_KEPT_OF_ALL, {}) if about is None else (_KEPT_ABOUT, {"about": about})
        row = (await self._session.execute(statement, {"conversation_id": conversation_id, **parameters})).first()
        if row is None or row.format != FORMAT or row.stream_version != row.version:
            return None
        try:
            state = state_from_json(row.version, row.state)
            messages = [facts_from_json(m) for m in row.messages]
        except UnreadableSnapshot as error:
            log.warning(
                "unreadable conversation snapshot: folding its events",
                conversation_id=conversation_id,
                error=str(error),
            )
            return None
        return Conversation.restore(conversation_id, row.account_id, state, messages)

    async def fold(self, conversation_id: str) -> Conversation | None:
        """The conversation folded from every event of its stream: the truth a snapshot is checked against."""
        stored = await load_stream(self._session, events, conversation_id)
        if not stored:
            return None
        history = [to_domain(REGISTRY.decode(envelope), envelope.occurred_at) for envelope in stored]
        self._folded.add(conversation_id)
        return Conversation.rehydrate(conversation_id, stored[0].account_id, history)

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
                occurred_at=getattr(event, "at", now),  # when decided: the fold reads `at` back from here
                correlation_id=causation.correlation_id if causation else None,
                causation_id=causation.event_id if causation else None,
            )
            for offset, event in enumerate(conversation.pending)
        ]
        # one event (a customer's message, most often): one statement appends it, keeps the state it leads to and
        # folds it into the views (CTEs, each writing a table of its own). Several: inserted in order by a statement
        # of their own (CTEs run in no set order: the positions would not follow the versions), their views after.
        rows = event_rows(events, envelopes)
        one = len(envelopes) == 1
        appended = [events.insert().values(rows[0]).cte("appended")] if one else []
        viewed = [write.cte(f"view_{n}") for n, write in enumerate(view_writes(envelopes[0]))] if one else []
        kept, parameters, more_facts = self._keep(conversation)
        try:
            if not one:
                await self._session.execute(events.insert(), rows)
            await self._session.execute(select(literal(1)).add_cte(*appended, *kept, *viewed), parameters)
        except IntegrityError as error:  # the stream's version taken: someone appended first
            raise ConcurrentChange("the conversation changed meanwhile") from error
        if more_facts:
            await self._session.execute(_upsert_facts(pg_insert(conversation_messages)), more_facts)
        self._folded.discard(conversation.id)
        if not one:
            for envelope in envelopes:
                await project(self._session, envelope)
        conversation.pending.clear()
        return envelopes

    def _keep(self, conversation: Conversation) -> tuple[list[CTE], dict[str, Any], list[dict[str, Any]]]:
        """Writing the snapshot at the version just appended, and the facts of the messages the append changed (as
        CTEs built once, and their parameters); the facts too many for one statement, if any."""
        parameters = {
            "kept_conversation_id": conversation.id,
            "kept_account_id": conversation.account_id,
            "kept_version": conversation.version,
            "kept_format": FORMAT,
            "kept_state": state_to_json(conversation.state()),
        }
        changed = None if conversation.id in self._folded else conversation.pending_message_ids()
        rows = [facts_to_row(conversation.id, facts) for facts in conversation.message_facts(changed)]
        if len(rows) > FACTS_IN_ONE_STATEMENT:  # every message's, after a fold: a statement of their own
            return [_KEEP_SNAPSHOT], parameters, rows
        for n, row in enumerate(rows):
            parameters.update({f"facts_{n}_{name}": value for name, value in row.items()})
        return [_KEEP_SNAPSHOT, *_KEEP_FACTS[: len(rows)]], parameters, []


def _upsert_facts(insert: Insert) -> Insert:
    return insert.on_conflict_do_update(
        constraint="conversation_messages_pkey", set_={name: insert.excluded[name] for name in FACTS[1:]}
    )


def _bound_row(table: Table, prefix: str, names: Iterable[str]) -> dict[str, Any]:
    return {name: bindparam(f"{prefix}_{name}", type_=table.c[name].type) for name in names}


def _keep_snapshot() -> CTE:
    upsert = pg_insert(conversation_snapshots).values(
        _bound_row(conversation_snapshots, "kept", ("conversation_id", "account_id", "version", "format", "state"))
    )
    kept = upsert.on_conflict_do_update(
        index_elements=[S.conversation_id],
        set_={name: upsert.excluded[name] for name in ("version", "format", "state")},
    )
    return kept.cte("kept")


# built once with bound parameters: building an upsert and its cache key per message cost more than running it
_KEEP_SNAPSHOT = _keep_snapshot()
_KEEP_FACTS = [
    _upsert_facts(
        pg_insert(conversation_messages).values(
            _bound_row(conversation_messages, f"facts_{n}", ("conversation_id", *FACTS))
        )
    ).cte(f"facts_{n}")
    for n in range(FACTS_IN_ONE_STATEMENT)
]
