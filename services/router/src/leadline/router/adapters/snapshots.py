"""A conversation's kept state as JSON, and the format that says whether a kept state may still be read.

``FORMAT`` names both this JSON shape and the versions of the router's events it was folded from: a new
event version (and its upcaster) or a new shape here changes it, and every snapshot of another format is
ignored and its stream folded again (then written anew on the conversation's next append).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadline.platform.event_store import UnreadableSnapshot, snapshot_format

from ..domain.events import AgentRef, ConversationOpened
from ..domain.identity import WhatsAppName
from ..domain.rules import ConversationStatus, Delivery, OpenedBy
from ..domain.state import ConversationState, MessageFacts

SHAPE = 1  # raise on any change to ``state_to_json`` / ``state_from_json``


FORMAT = snapshot_format(SHAPE, "router.")


def _agent(data: dict[str, str] | None) -> AgentRef | None:
    return AgentRef(data["id"], data["name"]) if data else None


def _agent_json(agent: AgentRef | None) -> dict[str, str] | None:
    return {"id": agent.id, "name": agent.name} if agent else None


def _opened_json(opened: ConversationOpened) -> dict[str, Any]:
    customer = opened.customer
    return {
        "phone_number_id": opened.phone_number_id,
        "business_display_number": opened.business_display_number,
        "customer": {
            "wa_id": customer.wa_id,
            "user_id": customer.user_id,
            "parent_user_id": customer.parent_user_id,
            "username": customer.username,
        },
        "customer_id": opened.customer_id,
        "customer_phone": opened.customer_phone,
        "customer_display_name": opened.customer_display_name,
        "status": opened.status,
        "team_ids": list(opened.team_ids),
        "owner": _agent_json(opened.owner),
        "lead_id": opened.lead_id,
        "opened_by": opened.opened_by,
        "at": opened.at.isoformat(),
    }


def _opened(data: dict[str, Any]) -> ConversationOpened:
    return ConversationOpened(
        phone_number_id=data["phone_number_id"],
        business_display_number=data["business_display_number"],
        customer=WhatsAppName(**data["customer"]),
        customer_id=data["customer_id"],
        customer_phone=data["customer_phone"],
        customer_display_name=data["customer_display_name"],
        status=ConversationStatus(data["status"]),
        team_ids=tuple(data["team_ids"]),
        owner=_agent(data["owner"]),
        lead_id=data["lead_id"],
        opened_by=OpenedBy(data["opened_by"]),
        at=datetime.fromisoformat(data["at"]),
    )


def state_to_json(state: ConversationState) -> dict[str, Any]:
    return {
        "opened": _opened_json(state.opened) if state.opened else None,
        "status": state.status,
        "owner": _agent_json(state.owner),
        "owner_team_id": state.owner_team_id,
        "owner_can_send": state.owner_can_send,
        "pool_team_ids": sorted(state.pool_team_ids),
        "collaborator_ids": sorted(state.collaborator_ids),
        "lead_id": state.lead_id,
        "pool_wait_alerted": state.pool_wait_alerted,
        "was_in_pool": state.was_in_pool,
    }


def state_from_json(version: int, data: dict[str, Any]) -> ConversationState:
    try:
        return ConversationState(
            version=version,
            opened=_opened(data["opened"]) if data["opened"] else None,
            status=ConversationStatus(data["status"]),
            owner=_agent(data["owner"]),
            owner_team_id=data["owner_team_id"],
            owner_can_send=data["owner_can_send"],
            pool_team_ids=frozenset(data["pool_team_ids"]),
            collaborator_ids=frozenset(data["collaborator_ids"]),
            lead_id=data["lead_id"],
            pool_wait_alerted=data["pool_wait_alerted"],
            was_in_pool=data["was_in_pool"],
        )
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableSnapshot(str(error)) from error


def facts_to_row(conversation_id: str, facts: MessageFacts) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "message_id": facts.message_id,
        "wamid": facts.wamid,
        "sent_as": facts.sent_as,
        "delivery": facts.delivery,
        "requested": facts.requested,
        "media": facts.media,
    }


def facts_from_json(data: dict[str, Any]) -> MessageFacts:
    try:
        return MessageFacts(
            message_id=data["message_id"],
            wamid=data["wamid"],
            sent_as=data["sent_as"],
            delivery=Delivery(data["delivery"]) if data["delivery"] else None,
            requested=data["requested"],
            media=data["media"],
        )
    except (KeyError, TypeError) as error:
        raise UnreadableSnapshot(str(error)) from error
