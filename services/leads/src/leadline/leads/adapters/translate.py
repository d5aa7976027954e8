"""Domain events <-> the public contract's payloads: the lead event store keeps exactly what is published."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from leadline.events import (
    ConversationAttachedToLeadV1,
    ConversionPointRecordedV1,
    LeadConflictDetectedV2,
    LeadConflictResolvedV1,
    LeadCreatedV2,
    LeadMobileSharedV1,
    LeadTemperatureChangedV1,
    LeadTransferredV1,
    Temperature,
)
from leadline.events.common import AgentRef as WireAgent
from leadline.events.envelope import Payload

from ..domain import events as ev


def _wire(agent: ev.AgentRef) -> WireAgent:
    return WireAgent(id=agent.id, name=agent.name)


def _agent(wire: WireAgent) -> ev.AgentRef:
    return ev.AgentRef(wire.id, wire.name)


def to_payload(lead_id: str, event: ev.DomainEvent) -> Payload:
    lid = UUID(lead_id)
    match event:
        case ev.LeadCreated(details=d):
            return LeadCreatedV2(
                lead_id=lid,
                name=d.name,
                mobile=d.mobile,
                phone=d.phone,
                email=d.email,
                whatsapp_user_id=d.whatsapp_user_id,
                whatsapp_username=d.whatsapp_username,
                vehicle_of_interest=d.vehicle_of_interest,
                notes=d.notes,
                responsible_agent=_wire(event.responsible),
                team_id=event.team_id,
                conversation_id=UUID(event.conversation_id),
                idempotency_key=event.idempotency_key,
            )
        case ev.ConversionPointRecorded(point=p):
            return ConversionPointRecordedV1(
                lead_id=lid,
                source="whatsapp",
                phone_number_id=p.phone_number_id,
                display_phone_number=p.display_phone_number,
                conversation_id=UUID(p.conversation_id),
                first_message_kind=p.first_message_kind,
                first_message_text=p.first_message_text,
                at=p.at,
            )
        case ev.ConversationAttached():
            return ConversationAttachedToLeadV1(lead_id=lid, conversation_id=UUID(event.conversation_id))
        case ev.LeadTransferred():
            return LeadTransferredV1(
                lead_id=lid,
                from_agent=_wire(event.from_agent),
                from_team_id=event.from_team_id,
                to_agent=_wire(event.to_agent),
                to_team_id=event.to_team_id,
            )
        case ev.TemperatureChanged():
            return LeadTemperatureChangedV1(
                lead_id=lid,
                from_temperature=Temperature(event.from_temperature) if event.from_temperature else None,
                to_temperature=Temperature(event.to_temperature),
                reasons=event.reasons,
            )
        case ev.MobileShared():
            return LeadMobileSharedV1(
                lead_id=lid,
                mobile=event.mobile,
                conversation_id=UUID(event.conversation_id),
                whatsapp_user_id=event.whatsapp_user_id,
            )
        case ev.ConflictDetected():
            return LeadConflictDetectedV2(
                lead_id=lid,
                conflict_id=UUID(event.conflict_id),
                customer_phone=event.customer_phone,
                whatsapp_user_id=event.whatsapp_user_id,
                team_ids=event.team_ids,
                lead_ids=tuple(UUID(x) for x in event.lead_ids),
            )
        case ev.ConflictResolved():
            return LeadConflictResolvedV1(
                lead_id=lid,
                conflict_id=UUID(event.conflict_id),
                resolution="unified" if event.kept_lead_id else "kept_separate",
                kept_lead_id=UUID(event.kept_lead_id) if event.kept_lead_id else None,
                resolved_by=_wire(event.resolved_by) if event.resolved_by else None,
            )
    raise TypeError(f"no wire form for {type(event).__name__}")


def to_domain(payload: Payload, at: datetime) -> ev.DomainEvent:
    match payload:
        case LeadCreatedV2():
            details = ev.ContactDetails(
                name=payload.name,
                mobile=payload.mobile,
                phone=payload.phone,
                email=payload.email,
                vehicle_of_interest=payload.vehicle_of_interest,
                notes=payload.notes,
                whatsapp_user_id=payload.whatsapp_user_id,
                whatsapp_username=payload.whatsapp_username,
            )
            return ev.LeadCreated(
                details=details,
                responsible=_agent(payload.responsible_agent),
                team_id=payload.team_id,
                conversation_id=str(payload.conversation_id),
                idempotency_key=payload.idempotency_key,
                at=at,
            )
        case ConversionPointRecordedV1():
            return ev.ConversionPointRecorded(
                ev.ConversionPoint(
                    conversation_id=str(payload.conversation_id),
                    phone_number_id=payload.phone_number_id,
                    display_phone_number=payload.display_phone_number,
                    first_message_kind=payload.first_message_kind,
                    first_message_text=payload.first_message_text,
                    at=payload.at,
                )
            )
        case ConversationAttachedToLeadV1():
            return ev.ConversationAttached(str(payload.conversation_id), at)
        case LeadTransferredV1():
            return ev.LeadTransferred(
                _agent(payload.from_agent), payload.from_team_id, _agent(payload.to_agent), payload.to_team_id, at
            )
        case LeadTemperatureChangedV1():
            return ev.TemperatureChanged(
                str(payload.from_temperature) if payload.from_temperature else None,
                str(payload.to_temperature),
                tuple(payload.reasons),
                at,
            )
        case LeadMobileSharedV1():
            return ev.MobileShared(payload.mobile, str(payload.conversation_id), payload.whatsapp_user_id, at)
        case LeadConflictDetectedV2():
            return ev.ConflictDetected(
                str(payload.conflict_id),
                payload.customer_phone,
                tuple(payload.team_ids),
                tuple(str(x) for x in payload.lead_ids),
                at,
                payload.whatsapp_user_id,
            )
        case LeadConflictResolvedV1():
            return ev.ConflictResolved(
                str(payload.conflict_id),
                str(payload.kept_lead_id) if payload.kept_lead_id else None,
                _agent(payload.resolved_by) if payload.resolved_by else None,
                at,
            )
    raise TypeError(f"no domain form for {type(payload).__name__}")
