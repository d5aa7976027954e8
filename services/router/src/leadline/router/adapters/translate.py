"""Domain events <-> the public contract's payloads: the event store keeps exactly what is published."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from leadline.events import (
    ConversationClaimedV1,
    ConversationFinishedV1,
    ConversationOpenedV2,
    ConversationStatusChangedV1,
    ConversationTransferredV1,
    MediaFetchRequestedV1,
    MessageAppendedV1,
    MessageDeliveryUpdatedV1,
    MessageMediaUpdatedV1,
    PoolWaitExceededV1,
    SendRequestedV2,
)
from leadline.events.common import AgentRef as WireAgent
from leadline.events.common import WhatsAppUser
from leadline.events.content import Content, MediaRef
from leadline.events.envelope import Payload

from ..domain import events as ev
from ..domain.identity import WhatsAppName
from ..domain.rules import ConversationStatus, Delivery, Direction, OpenedBy, Origin
from ..service.identity import whatsapp_name

_CONTENT = TypeAdapter(Content)


def _wire_agent(agent: ev.AgentRef | None) -> WireAgent | None:
    return WireAgent(id=agent.id, name=agent.name) if agent else None


def _agent(wire: WireAgent | None) -> ev.AgentRef | None:
    return ev.AgentRef(wire.id, wire.name) if wire else None


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


def _str(value: UUID | None) -> str | None:
    return str(value) if value else None


def wire_user(name: WhatsAppName) -> WhatsAppUser:
    return WhatsAppUser(
        wa_id=name.wa_id, user_id=name.user_id, parent_user_id=name.parent_user_id, username=name.username
    )


def content_model(content: dict[str, Any]) -> Any:
    return _CONTENT.validate_python(content)


def to_payload(conversation_id: str, event: ev.DomainEvent) -> Payload:
    cid = UUID(conversation_id)
    match event:
        case ev.ConversationOpened():
            return ConversationOpenedV2(
                conversation_id=cid,
                phone_number_id=event.phone_number_id,
                business_display_number=event.business_display_number,
                customer=wire_user(event.customer),
                customer_id=_uuid(event.customer_id),
                customer_phone=event.customer_phone,
                customer_display_name=event.customer_display_name,
                status=event.status,
                team_ids=event.team_ids,
                owner=_wire_agent(event.owner),
                lead_id=_uuid(event.lead_id),
                opened_by=event.opened_by,
            )
        case ev.MessageAppended():
            return MessageAppendedV1(
                conversation_id=cid,
                message_id=UUID(event.message_id),
                wamid=event.wamid,
                direction=event.direction,
                origin=event.origin,
                sender=_wire_agent(event.sender),
                content=content_model(event.content),
                sent_at=event.sent_at,
                status=event.status,
            )
        case ev.ConversationClaimed():
            return ConversationClaimedV1(
                conversation_id=cid, agent=_wire_agent(event.agent), team_id=event.team_id, lead_id=_uuid(event.lead_id)
            )
        case ev.ConversationTransferred():
            return ConversationTransferredV1(
                conversation_id=cid,
                from_agent=_wire_agent(event.from_agent),
                to_agent=_wire_agent(event.to_agent),
                to_team_id=event.to_team_id,
                transferred_by=_wire_agent(event.transferred_by),
                can_send=event.can_send,
                reason=event.reason,
                keeps_access=_wire_agent(event.keeps_access),
            )
        case ev.ConversationFinished():
            return ConversationFinishedV1(conversation_id=cid, agent=_wire_agent(event.agent))
        case ev.StatusChanged():
            return ConversationStatusChangedV1(
                conversation_id=cid, from_status=event.from_status, to_status=event.to_status
            )
        case ev.SendRequested():
            return SendRequestedV2(
                conversation_id=cid,
                request_id=UUID(event.request_id),
                phone_number_id=event.phone_number_id,
                to=wire_user(event.to),
                content=content_model(event.content),
                agent=_wire_agent(event.agent),
                body=event.body,
            )
        case ev.PoolWaitExceeded():
            return PoolWaitExceededV1(
                conversation_id=cid,
                team_ids=event.team_ids,
                waited_seconds=event.waited_seconds,
                threshold_seconds=event.threshold_seconds,
            )
        case ev.MessageDeliveryUpdated():
            return MessageDeliveryUpdatedV1(
                conversation_id=cid,
                message_id=UUID(event.message_id),
                wamid=event.wamid,
                delivery=event.delivery,
                error=event.error,
            )
        case ev.MessageMediaUpdated():
            return MessageMediaUpdatedV1(
                conversation_id=cid,
                message_id=UUID(event.message_id),
                wamid=event.wamid,
                media=MediaRef.model_validate(event.media),
            )
        case ev.MediaFetchRequested():
            return MediaFetchRequestedV1(
                conversation_id=cid,
                message_id=UUID(event.message_id),
                wamid=event.wamid,
                phone_number_id=event.phone_number_id,
                customer=wire_user(event.customer),
                provider_media_id=event.provider_media_id,
                mime_type=event.mime_type,
                agent=_wire_agent(event.agent),
            )
    raise TypeError(f"no wire form for {type(event).__name__}")


def to_domain(payload: Payload, at: datetime) -> ev.DomainEvent:
    match payload:
        case ConversationOpenedV2():
            return ev.ConversationOpened(
                phone_number_id=payload.phone_number_id,
                business_display_number=payload.business_display_number,
                customer=whatsapp_name(payload.customer),
                customer_id=_str(payload.customer_id),
                customer_phone=payload.customer_phone,
                customer_display_name=payload.customer_display_name,
                status=ConversationStatus(payload.status),
                team_ids=tuple(payload.team_ids),
                owner=_agent(payload.owner),
                lead_id=_str(payload.lead_id),
                opened_by=OpenedBy(payload.opened_by),
                at=at,
            )
        case MessageAppendedV1():
            return ev.MessageAppended(
                message_id=str(payload.message_id),
                wamid=payload.wamid,
                direction=Direction(payload.direction),
                origin=Origin(payload.origin),
                sender=_agent(payload.sender),
                content=payload.content.model_dump(mode="json"),
                sent_at=payload.sent_at,
                status=ConversationStatus(payload.status),
            )
        case ConversationClaimedV1():
            return ev.ConversationClaimed(
                agent=_agent(payload.agent), team_id=payload.team_id, lead_id=_str(payload.lead_id), at=at
            )
        case ConversationTransferredV1():
            return ev.ConversationTransferred(
                from_agent=_agent(payload.from_agent),
                to_agent=_agent(payload.to_agent),
                to_team_id=payload.to_team_id,
                transferred_by=_agent(payload.transferred_by),
                can_send=payload.can_send,
                reason=payload.reason,
                keeps_access=_agent(payload.keeps_access),
                at=at,
            )
        case ConversationFinishedV1():
            return ev.ConversationFinished(agent=_agent(payload.agent), at=at)
        case ConversationStatusChangedV1():
            return ev.StatusChanged(ConversationStatus(payload.from_status), ConversationStatus(payload.to_status), at)
        case SendRequestedV2():
            return ev.SendRequested(
                request_id=str(payload.request_id),
                phone_number_id=payload.phone_number_id,
                to=whatsapp_name(payload.to),
                content=payload.content.model_dump(mode="json"),
                agent=_agent(payload.agent),
                body=payload.body,
                at=at,
            )
        case PoolWaitExceededV1():
            return ev.PoolWaitExceeded(tuple(payload.team_ids), payload.waited_seconds, payload.threshold_seconds, at)
        case MessageDeliveryUpdatedV1():
            return ev.MessageDeliveryUpdated(
                message_id=str(payload.message_id),
                wamid=payload.wamid,
                delivery=Delivery(payload.delivery),
                error=payload.error,
                at=at,
            )
        case MessageMediaUpdatedV1():
            return ev.MessageMediaUpdated(
                message_id=str(payload.message_id),
                wamid=payload.wamid,
                media=payload.media.model_dump(mode="json"),
                at=at,
            )
        case MediaFetchRequestedV1():
            return ev.MediaFetchRequested(
                message_id=str(payload.message_id),
                wamid=payload.wamid,
                phone_number_id=payload.phone_number_id,
                customer=whatsapp_name(payload.customer),
                provider_media_id=payload.provider_media_id,
                mime_type=payload.mime_type,
                agent=_agent(payload.agent),
                at=at,
            )
    raise TypeError(f"no domain form for {type(payload).__name__}")
