"""Reads for the API: a lead's timeline page and full-text search in a conversation's recorded messages."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from .tables import SEARCH_CONFIGURATION
from .tables import timeline_entries as t

_SHOWN = (
    t.c.entry_id,
    t.c.kind,
    t.c.at,
    t.c.conversation_id,
    t.c.direction,
    t.c.origin,
    t.c.agent,
    t.c.content,
    t.c.temperature,
    t.c.details,
    t.c.media_key,
    t.c.text,
    t.c.source_event_id,
    t.c.source_key,
)
MESSAGE_SOURCE = "message:"


def _entry(row: Any) -> dict[str, Any]:
    return {
        "entry_id": row.entry_id,
        "kind": row.kind,
        "at": row.at,
        "conversation_id": row.conversation_id,
        "direction": row.direction,
        "origin": row.origin,
        "agent": row.agent,
        "content": row.content,
        "temperature": row.temperature,
        "details": row.details,
        "media_key": row.media_key,
        "text": row.text,
        "source_event_id": row.source_event_id,
        # the router's message id: its file is read through the conversation (authorized like it)
        "message_id": row.source_key.removeprefix(MESSAGE_SOURCE)
        if row.source_key.startswith(MESSAGE_SOURCE)
        else None,
    }


async def lead_timeline(
    session: AsyncSession,
    *,
    account_id: str,
    lead_id: uuid.UUID,
    order: Literal["newest", "oldest"],
    kinds: list[str] | None,
    limit: int,
    offset: int,
) -> tuple[bool, list[dict[str, Any]]]:
    """(lead known to the account, one page). A lead of another account is as unknown as a missing one."""
    known = await session.scalar(
        select(literal_column("1")).where(t.c.lead_id == lead_id, t.c.account_id == account_id).limit(1)
    )
    if not known:
        return False, []
    newest = order == "newest"
    statement = (
        select(*_SHOWN)
        .where(t.c.lead_id == lead_id, t.c.account_id == account_id)
        .order_by(t.c.at.desc() if newest else t.c.at, t.c.entry_id.desc() if newest else t.c.entry_id)
        .limit(limit)
        .offset(offset)
    )
    if kinds:
        statement = statement.where(t.c.kind.in_(kinds))
    return True, [_entry(row) for row in await session.execute(statement)]


async def search_messages(
    session: AsyncSession, *, account_id: str, conversation_id: uuid.UUID, q: str, limit: int
) -> tuple[bool, list[dict[str, Any]]]:
    """Portuguese, accent-insensitive: "nao" finds "não", "financiamentos" finds "financiamento"."""
    known = await session.scalar(
        select(literal_column("1")).where(t.c.conversation_id == conversation_id, t.c.account_id == account_id).limit(1)
    )
    if not known:
        return False, []
    query = func.websearch_to_tsquery(literal_column(f"'{SEARCH_CONFIGURATION}'::regconfig"), q)
    statement = (
        select(*_SHOWN, func.ts_rank(t.c.search, query).label("rank"))
        .where(
            and_(
                t.c.conversation_id == conversation_id,
                t.c.account_id == account_id,
                t.c.kind == "message",
                t.c.search.op("@@")(query),
            )
        )
        .order_by(literal_column("rank").desc(), t.c.at)
        .limit(limit)
    )
    return True, [_entry(row) for row in await session.execute(statement)]
