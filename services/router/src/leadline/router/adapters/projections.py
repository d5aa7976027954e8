"""Query projections of conversations: one function folds an event into the views, live or on rebuild.

Live, it runs in the same transaction as the append, so a query right after a command sees it.
``view_replay`` refolds the event store through the same function (``leadline replay router``): the same answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, func, literal, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import UpdateBase

from leadline.events import REGISTRY, Envelope

from ..domain import events as ev
from .tables import conversation_view, message_view
from .translate import to_domain


def preview(content: dict[str, Any]) -> str:
    kind = content.get("kind", "unsupported")
    text = content.get("body") or content.get("caption") or content.get("title") or content.get("text")
    return (text or f"[{kind}]")[:200]


def searchable_words(content: dict[str, Any]) -> str | None:
    """What a search in the conversation looks through: a text, a caption, a template as the customer read it."""
    if content.get("kind") == "template":
        return content.get("text")
    return preview(content) if content.get("kind") == "text" or content.get("caption") else None


async def project(session: AsyncSession, envelope: Envelope) -> None:
    """Fold one stored event into the views (decoded from the envelope, exactly as a rebuild sees it)."""
    for write in view_writes(envelope):
        await session.execute(write)


def view_writes(envelope: Envelope) -> list[UpdateBase]:
    """The writes that fold one stored event into the views, each to a table of its own (one statement may take
    them all, as CTEs).

    Decoded from the envelope, exactly as a rebuild sees it."""
    event = to_domain(REGISTRY.decode(envelope), envelope.occurred_at)
    cid = envelope.stream_id
    view = conversation_view.c
    where = view.conversation_id == cid
    at = envelope.occurred_at
    writes: list[UpdateBase] = []
    match event:
        case ev.ConversationOpened():
            return [
                pg_insert(conversation_view)
                .values(
                    conversation_id=cid,
                    account_id=envelope.account_id,
                    status=event.status,
                    phone_number_id=event.phone_number_id,
                    business_display_number=event.business_display_number,
                    customer_wa_id=event.customer.wa_id,
                    customer_phone=event.customer_phone,
                    customer_user_id=event.customer.user_id or event.customer.parent_user_id,
                    customer_username=event.customer.username,
                    customer_id=event.customer_id,
                    customer_name=event.customer_display_name,
                    pool_team_ids=list(event.team_ids),
                    owner_id=event.owner.id if event.owner else None,
                    owner_name=event.owner.name if event.owner else None,
                    lead_id=event.lead_id,
                    opened_at=at,
                    last_activity_at=at,
                    version=envelope.sequence,
                    was_in_pool=event.owner is None,
                )
                .on_conflict_do_nothing()
            ]
        case ev.MessageAppended():
            writes = [
                pg_insert(message_view)
                .values(
                    message_id=event.message_id,
                    conversation_id=cid,
                    seq=envelope.sequence,  # the stream's order: no count of the messages before it
                    wamid=event.wamid,
                    direction=event.direction,
                    origin=event.origin,
                    sender_id=event.sender.id if event.sender else None,
                    sender_name=event.sender.name if event.sender else None,
                    kind=event.content.get("kind", "unsupported"),
                    content=event.content,
                    text=searchable_words(event.content),
                    sent_at=event.sent_at,
                    delivery="pending" if event.origin == "agent" else None,
                )
                .on_conflict_do_nothing()
            ]
            values = {
                "status": event.status,
                "last_activity_at": at,
                "last_message_preview": preview(event.content),
                "last_direction": event.direction,
            }
        case ev.ConversationClaimed():
            values = {
                "owner_id": event.agent.id,
                "owner_name": event.agent.name,
                "owner_team_id": event.team_id,
                "lead_id": event.lead_id or view.lead_id,
                "last_activity_at": at,
            }
        case ev.ConversationTransferred():
            values = {
                "owner_id": event.to_agent.id if event.to_agent else None,
                "owner_name": event.to_agent.name if event.to_agent else None,
                "owner_team_id": event.to_team_id,
                "owner_can_send": event.can_send,
                "transfer_note": event.reason,
                "last_activity_at": at,
            }
            if event.to_agent is None:
                values["was_in_pool"] = True
            if event.keeps_access is not None:
                values["collaborator_ids"] = func.array_append(view.collaborator_ids, event.keeps_access.id)
        case ev.StatusChanged():
            values = {"status": event.to_status, "last_activity_at": at}
        case ev.PoolWaitExceeded():
            values = {"pool_wait_alerted": True}
        case ev.MessageMediaUpdated():
            content = message_view.c.content
            writes = [
                update(message_view)
                .where(message_view.c.message_id == event.message_id)
                .values(
                    content=func.jsonb_set(content, literal(["media"], ARRAY(Text)), cast(event.media, JSONB)),
                )
            ]
            values = {}
        case ev.MessageDeliveryUpdated():
            writes = [
                update(message_view)
                .where(message_view.c.message_id == event.message_id)
                .values(
                    delivery=event.delivery,
                    delivery_error=event.error,
                    wamid=func.coalesce(event.wamid, message_view.c.wamid),
                )
            ]
            values = {}
        case _:
            values = {}
    return [*writes, update(conversation_view).where(where).values(version=envelope.sequence, **values)]
