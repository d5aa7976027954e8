"""The query API: a lead's timeline and search in a conversation's recorded messages (bearer JWT).

The caller must be an active agent of the account directory (``Access``); anything outside the agent's account
answers 404 exactly like something that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events.history import TimelineEntryKind
from leadline.platform.access import Access
from leadline.platform.auth import AgentIdentity
from leadline.platform.http import ApiError

from ..adapters import queries

MAX_OFFSET = 2**31 - 1  # PostgreSQL takes no OFFSET past int64 (a 500 before this bound); no timeline is this long


class NotFound(ApiError):
    def __init__(self, what: str) -> None:
        super().__init__(404, "not_found", f"{what} not found")


def history_api(*, sessions: async_sessionmaker[AsyncSession], access: Access) -> APIRouter:
    api = APIRouter(tags=["timeline"])

    @api.get("/leads/{lead_id}/timeline", summary="A lead's timeline, a page at a time")
    async def lead_timeline(
        lead_id: UUID,
        order: Literal["newest", "oldest"] = "newest",
        kind: Annotated[list[TimelineEntryKind] | None, Query(description="Only these kinds (repeatable).")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        agent: AgentIdentity = Depends(access),
    ) -> dict:
        async with sessions() as session:
            known, entries = await queries.lead_timeline(
                session,
                account_id=agent.account_id,
                lead_id=lead_id,
                order=order,
                kinds=[str(k) for k in kind] if kind else None,
                limit=limit + 1,
                offset=offset,
            )
        if not known:
            raise NotFound("lead")
        more = len(entries) > limit
        return {"lead_id": lead_id, "entries": entries[:limit], "next_offset": offset + limit if more else None}

    @api.get(
        "/conversations/{conversation_id}/messages/search",
        summary="Full-text search (Portuguese, accent-insensitive) in a conversation's recorded messages",
    )
    async def search(
        conversation_id: UUID,
        q: Annotated[str, Query(min_length=1, max_length=200)],
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        agent: AgentIdentity = Depends(access),
    ) -> dict:
        async with sessions() as session:
            known, entries = await queries.search_messages(
                session, account_id=agent.account_id, conversation_id=conversation_id, q=q, limit=limit
            )
        if not known:
            raise NotFound("conversation")
        return {"conversation_id": conversation_id, "q": q, "messages": entries}

    return api
