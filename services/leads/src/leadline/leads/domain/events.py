"""What happened to a lead: the domain's events (translated to ``leadline.events.leads`` at the edge)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AgentRef:
    id: str
    name: str


@dataclass(frozen=True)
class ContactDetails:
    """What the agent typed in the Add lead form (``mobile`` normalised to E.164), and who the customer is on WhatsApp.

    ``mobile`` is None for a customer known only by their WhatsApp BSUID (they hide their number): such a lead is
    reached on WhatsApp, and takes the number the customer shares later (``MobileShared``).
    """

    name: str
    mobile: str | None
    phone: str | None = None
    email: str | None = None
    vehicle_of_interest: str | None = None
    notes: str | None = None
    whatsapp_user_id: str | None = None
    whatsapp_username: str | None = None


@dataclass(frozen=True)
class ConversionPoint:
    """Where a lead came from: a WhatsApp conversation and the customer's first message in it."""

    conversation_id: str
    phone_number_id: str
    display_phone_number: str
    first_message_kind: str
    first_message_text: str | None
    at: datetime


@dataclass(frozen=True)
class LeadCreated:
    details: ContactDetails
    responsible: AgentRef
    team_id: str
    conversation_id: str
    idempotency_key: str
    at: datetime


@dataclass(frozen=True)
class ConversionPointRecorded:
    point: ConversionPoint


@dataclass(frozen=True)
class ConversationAttached:
    conversation_id: str
    at: datetime


@dataclass(frozen=True)
class LeadTransferred:
    from_agent: AgentRef
    from_team_id: str
    to_agent: AgentRef
    to_team_id: str
    at: datetime


@dataclass(frozen=True)
class TemperatureChanged:
    from_temperature: str | None
    to_temperature: str
    reasons: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class MobileShared:
    """The customer shared their number on WhatsApp (request contact info): the lead without a mobile takes it."""

    mobile: str
    conversation_id: str
    whatsapp_user_id: str | None
    at: datetime


@dataclass(frozen=True)
class ConflictDetected:
    conflict_id: str
    customer_phone: str | None
    team_ids: tuple[str, ...]
    lead_ids: tuple[str, ...]
    at: datetime
    whatsapp_user_id: str | None = None


@dataclass(frozen=True)
class ConflictResolved:
    """``kept_lead_id`` None: the leads were kept apart on purpose (never decided here, but readable)."""

    conflict_id: str
    kept_lead_id: str | None
    resolved_by: AgentRef | None
    at: datetime


DomainEvent = (
    LeadCreated
    | ConversionPointRecorded
    | ConversationAttached
    | LeadTransferred
    | TemperatureChanged
    | ConflictDetected
    | ConflictResolved
    | MobileShared
)
