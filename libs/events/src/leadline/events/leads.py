"""Payloads the leads service produces: leads made from conversations and what happens to them.

Stream: the lead id. A lead is created from a conversation by "Add lead"; each
WhatsApp conversation that reaches it is a conversion point. With lead unification
on, a customer's later conversations attach to the same lead; when one phone number
has leads in more than one team, that is a conflict to resolve.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, Literal
from uuid import UUID

from pydantic import Field, model_validator

from leadline.events.common import (
    AgentRef,
    Bsuid,
    DisplayPhoneNumber,
    E164Phone,
    EmailAddress,
    NonEmptyText,
    PersonName,
    PhoneNumberId,
    TeamId,
    UtcDatetime,
    WhatsAppUsername,
)
from leadline.events.content import ContentKind
from leadline.events.envelope import Payload

LEAD_CREATED: Final = "leads.lead.created"
CONVERSION_POINT_RECORDED: Final = "leads.lead.conversion_point_recorded"
LEAD_TEMPERATURE_CHANGED: Final = "leads.lead.temperature_changed"
LEAD_TRANSFERRED: Final = "leads.lead.transferred"
LEAD_CONFLICT_DETECTED: Final = "leads.lead.conflict_detected"
LEAD_CONFLICT_RESOLVED: Final = "leads.lead.conflict_resolved"
CONVERSATION_ATTACHED_TO_LEAD: Final = "leads.lead.conversation_attached"
LEAD_MOBILE_SHARED: Final = "leads.lead.mobile_shared"


class Temperature(StrEnum):
    """How close a lead is to buying, as the sales team judges it."""

    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


class _LeadEvent(Payload):
    """A fact about one lead; the lead is the stream."""

    lead_id: UUID

    def stream_id(self, account_id: str) -> str:
        return str(self.lead_id)


class LeadCreatedV1(_LeadEvent):
    """An agent turned a conversation into a lead with "Add lead".

    Invariant: the lead can be reached: it has a mobile, a phone or an email.
    """

    EVENT_TYPE = LEAD_CREATED

    name: PersonName
    mobile: E164Phone | None = None
    phone: E164Phone | None = None
    email: EmailAddress | None = None
    vehicle_of_interest: str | None = None
    """Free text as the agent typed it (``Jeep Compass Longitude 2024``)."""
    notes: str | None = None
    responsible_agent: AgentRef
    team_id: TeamId
    conversation_id: UUID
    """The conversation the lead was created from."""
    idempotency_key: NonEmptyText
    """The key of the "Add lead" request; a retried click creates no second lead."""

    @model_validator(mode="after")
    def _is_reachable(self) -> LeadCreatedV1:
        if not (self.mobile or self.phone or self.email):
            raise ValueError("a lead has a mobile, a phone or an email")
        return self


class LeadCreatedV2(_LeadEvent):
    """An agent turned a conversation into a lead with "Add lead".

    Invariant: the lead can be reached: it has a mobile, a phone, an email or the customer's WhatsApp
    business-scoped user id (a customer who hides their number is still reached on WhatsApp).
    """

    EVENT_TYPE = LEAD_CREATED
    SCHEMA_VERSION = 2

    name: PersonName
    mobile: E164Phone | None = None
    phone: E164Phone | None = None
    email: EmailAddress | None = None
    whatsapp_user_id: Bsuid | None = None
    """The customer's BSUID on WhatsApp, when the conversation named one; with unification it finds the lead too."""
    whatsapp_username: WhatsAppUsername | None = None
    """The customer's WhatsApp username when they had one, for display."""
    vehicle_of_interest: str | None = None
    """Free text as the agent typed it (``Jeep Compass Longitude 2024``)."""
    notes: str | None = None
    responsible_agent: AgentRef
    team_id: TeamId
    conversation_id: UUID
    """The conversation the lead was created from."""
    idempotency_key: NonEmptyText
    """The key of the "Add lead" request; a retried click creates no second lead."""

    @model_validator(mode="after")
    def _is_reachable(self) -> LeadCreatedV2:
        if not (self.mobile or self.phone or self.email or self.whatsapp_user_id):
            raise ValueError("a lead has a mobile, a phone, an email or a WhatsApp user id")
        return self


def upcast_lead_created_v1(payload: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2: nothing to move; a v1 lead never had a WhatsApp user id."""
    return payload


class LeadMobileSharedV1(_LeadEvent):
    """The customer shared their number on WhatsApp (they tapped "request contact info"): it is the lead's mobile now.

    Only a lead without a mobile takes it: a number an agent typed is never overwritten.
    """

    EVENT_TYPE = LEAD_MOBILE_SHARED

    mobile: E164Phone
    """The shared number, normalised (ninth digit restored)."""
    conversation_id: UUID
    """The conversation the customer shared it in."""
    whatsapp_user_id: Bsuid | None = None
    """The BSUID that shared it: the number and the BSUID are the same customer from now on."""


class ConversionPointRecordedV1(_LeadEvent):
    """A WhatsApp conversation counted as a conversion point of the lead (where it came from)."""

    EVENT_TYPE = CONVERSION_POINT_RECORDED

    source: Literal["whatsapp"]
    phone_number_id: PhoneNumberId
    display_phone_number: DisplayPhoneNumber
    conversation_id: UUID
    first_message_kind: ContentKind
    first_message_text: str | None = None
    """The words of the customer's first message, if it had any."""
    at: UtcDatetime
    """When the customer's first message was sent."""


class LeadTemperatureChangedV1(_LeadEvent):
    """The lead got warmer or colder."""

    EVENT_TYPE = LEAD_TEMPERATURE_CHANGED

    from_temperature: Temperature | None
    """None the first time a lead gets a temperature."""
    to_temperature: Temperature
    reasons: tuple[str, ...] = ()
    """Why, in words for the sales team (``Pediu simulação de financiamento``)."""


class LeadTransferredV1(_LeadEvent):
    """The lead got a new responsible agent, possibly in another team."""

    EVENT_TYPE = LEAD_TRANSFERRED

    from_agent: AgentRef
    from_team_id: TeamId
    to_agent: AgentRef
    to_team_id: TeamId


class _ConflictEvent(_LeadEvent):
    conflict_id: UUID


class LeadConflictDetectedV1(_ConflictEvent):
    """The lead's customer phone already has leads in other teams.

    Invariant: ``lead_ids`` holds at least two leads, this one among them.
    """

    EVENT_TYPE = LEAD_CONFLICT_DETECTED

    customer_phone: E164Phone
    team_ids: tuple[TeamId, ...] = Field(min_length=1)
    lead_ids: tuple[UUID, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _includes_this_lead(self) -> LeadConflictDetectedV1:
        if self.lead_id not in self.lead_ids:
            raise ValueError("the conflicting leads include the lead the event is about")
        return self


class LeadConflictDetectedV2(_ConflictEvent):
    """The lead's customer already has leads in other teams; the customer named by number, WhatsApp BSUID or both.

    Invariant: ``lead_ids`` holds at least two leads, this one among them.
    """

    EVENT_TYPE = LEAD_CONFLICT_DETECTED
    SCHEMA_VERSION = 2

    customer_phone: E164Phone | None = None
    whatsapp_user_id: Bsuid | None = None
    """The customer's BSUID, for a customer who has (or shares) no number."""
    team_ids: tuple[TeamId, ...] = Field(min_length=1)
    lead_ids: tuple[UUID, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _names_the_customer_and_this_lead(self) -> LeadConflictDetectedV2:
        if not (self.customer_phone or self.whatsapp_user_id):
            raise ValueError("the customer in conflict is named by a phone or a WhatsApp user id")
        if self.lead_id not in self.lead_ids:
            raise ValueError("the conflicting leads include the lead the event is about")
        return self


def upcast_lead_conflict_detected_v1(payload: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2: nothing to move; a v1 conflict always named the customer's phone."""
    return payload


class LeadConflictResolvedV1(_ConflictEvent):
    """A lead conflict was settled: the leads were unified into one, or kept apart on purpose."""

    EVENT_TYPE = LEAD_CONFLICT_RESOLVED

    resolution: Literal["unified", "kept_separate"]
    kept_lead_id: UUID | None = None
    """The lead that survives a unification."""
    resolved_by: AgentRef | None = None
    """None when resolved automatically."""

    @model_validator(mode="after")
    def _unification_keeps_a_lead(self) -> LeadConflictResolvedV1:
        if (self.resolution == "unified") != (self.kept_lead_id is not None):
            raise ValueError("a unification names the lead it keeps, and only a unification does")
        return self


class ConversationAttachedToLeadV1(_LeadEvent):
    """A customer's new conversation was attached to their existing lead (lead unification)."""

    EVENT_TYPE = CONVERSATION_ATTACHED_TO_LEAD

    conversation_id: UUID


PAYLOADS: tuple[type[Payload], ...] = (
    LeadCreatedV1,
    LeadCreatedV2,
    LeadMobileSharedV1,
    ConversionPointRecordedV1,
    LeadTemperatureChangedV1,
    LeadTransferredV1,
    LeadConflictDetectedV1,
    LeadConflictDetectedV2,
    LeadConflictResolvedV1,
    ConversationAttachedToLeadV1,
)
