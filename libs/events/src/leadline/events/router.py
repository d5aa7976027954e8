"""Payloads router produces about conversations: opening, messages, ownership, status, sends.

Stream: the conversation id. A conversation is one customer talking to one business
number; it is visible to the teams linked to that number and owned by at most one
agent at a time (claim-once). Account integration settings are in
``leadline.events.router_integration``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, Literal
from uuid import UUID

from pydantic import Field, model_validator

from leadline.events.common import (
    AgentRef,
    Direction,
    DisplayPhoneNumber,
    E164Phone,
    NonEmptyText,
    PersonName,
    PhoneNumberId,
    TeamId,
    UtcDatetime,
    WaId,
    Wamid,
    WhatsAppUser,
)
from leadline.events.content import Content, MediaRef, MimeType, OutboundContent
from leadline.events.envelope import Payload

CONVERSATION_OPENED: Final = "router.conversation.opened"
MESSAGE_APPENDED: Final = "router.conversation.message_appended"
CONVERSATION_CLAIMED: Final = "router.conversation.claimed"
CONVERSATION_RELEASED: Final = "router.conversation.released"
CONVERSATION_TRANSFERRED: Final = "router.conversation.transferred"
CONVERSATION_FINISHED: Final = "router.conversation.finished"
CONVERSATION_REOPENED: Final = "router.conversation.reopened"
CONVERSATION_STATUS_CHANGED: Final = "router.conversation.status_changed"
POOL_WAIT_EXCEEDED: Final = "router.conversation.pool_wait_exceeded"
SEND_REQUESTED: Final = "router.message.send_requested"
MESSAGE_DELIVERY_UPDATED: Final = "router.conversation.message_delivery_updated"
MESSAGE_MEDIA_UPDATED: Final = "router.conversation.message_media_updated"
MEDIA_FETCH_REQUESTED: Final = "router.message.media_fetch_requested"


class ConversationStatus(StrEnum):
    """Where a conversation stands, as the inbox shows it."""

    NEW = "new"
    """Nobody has answered yet."""
    UNANSWERED = "unanswered"
    """The customer wrote last and is waiting for the dealership."""
    NO_REPLY = "no_reply"
    """The dealership wrote last and is waiting for the customer."""
    FINISHED = "finished"
    """An agent closed it; a new customer message reopens it."""


class _ConversationEvent(Payload):
    """A fact about one conversation; the conversation is the stream."""

    conversation_id: UUID

    def stream_id(self, account_id: str) -> str:
        return str(self.conversation_id)


class ConversationOpenedV1(_ConversationEvent):
    """A conversation started: a customer wrote, or an agent reached out.

    Invariants: ``owner`` is set when an agent or a lead's owner opened it;
    ``lead_id`` is set when it was started from a lead.
    """

    EVENT_TYPE = CONVERSATION_OPENED

    phone_number_id: PhoneNumberId
    business_display_number: DisplayPhoneNumber
    customer_wa_id: WaId
    customer_phone: E164Phone
    customer_display_name: PersonName
    status: ConversationStatus
    team_ids: tuple[TeamId, ...]
    """The teams whose pool shows the conversation (those linked to the business number)."""
    owner: AgentRef | None = None
    lead_id: UUID | None = None
    opened_by: Literal["customer", "agent", "lead_owner"]

    @model_validator(mode="after")
    def _opener_is_consistent(self) -> ConversationOpenedV1:
        _check_opener(self.opened_by, self.owner, self.lead_id)
        return self


def _check_opener(opened_by: str, owner: AgentRef | None, lead_id: UUID | None) -> None:
    """Every version: an agent's or a lead owner's conversation has an owner; a lead owner's names the lead."""
    if opened_by != "customer" and owner is None:
        raise ValueError(f"a conversation opened by {opened_by} has an owner")
    if opened_by == "lead_owner" and lead_id is None:
        raise ValueError("a conversation opened by a lead's owner names the lead")


class ConversationOpenedV2(_ConversationEvent):
    """A conversation started: a customer wrote, or an agent reached out (the customer named by phone, BSUID or both).

    Invariants: ``owner`` is set when an agent or a lead's owner opened it; ``lead_id`` is set when it was
    started from a lead; ``customer_phone`` is set whenever ``customer.wa_id`` is.
    """

    EVENT_TYPE = CONVERSATION_OPENED
    SCHEMA_VERSION = 2

    phone_number_id: PhoneNumberId
    business_display_number: DisplayPhoneNumber
    customer: WhatsAppUser
    """The customer as WhatsApp named them when the conversation opened (for a start from a lead: the lead's number)."""
    customer_id: UUID | None = None
    """leadline's one id for the customer across their phone, BSUIDs and both ninth-digit forms (the router's
    README, "Customer identity"); when two customers turn out to be one, the older id lives on. None for
    conversations opened before customers had ids."""
    customer_phone: E164Phone | None = None
    """The customer's number normalised (ninth digit restored), when known; none for a customer known only by BSUID."""
    customer_display_name: PersonName
    status: ConversationStatus
    team_ids: tuple[TeamId, ...]
    """The teams whose pool shows the conversation (those linked to the business number)."""
    owner: AgentRef | None = None
    lead_id: UUID | None = None
    opened_by: Literal["customer", "agent", "lead_owner"]

    @model_validator(mode="after")
    def _opener_is_consistent(self) -> ConversationOpenedV2:
        _check_opener(self.opened_by, self.owner, self.lead_id)
        if self.customer.wa_id and not self.customer_phone:
            raise ValueError("a customer named by phone has the number normalised in customer_phone")
        return self


def upcast_conversation_opened_v1(payload: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2: the customer's phone becomes ``customer.wa_id``; no customer id was known then."""
    payload["customer"] = {"wa_id": payload.pop("customer_wa_id")}
    return payload


class MessageAppendedV1(_ConversationEvent):
    """A message joined the conversation, from the customer, an agent or the phone app.

    Invariants: inbound messages come from the customer, outbound ones from an agent
    (who is named) or the WhatsApp Business app on the phone (``phone_echo``).
    """

    EVENT_TYPE = MESSAGE_APPENDED

    message_id: UUID
    wamid: Wamid | None = None
    """WhatsApp's id; none yet for an agent's message that is still being sent."""
    direction: Direction
    origin: Literal["customer", "agent", "phone_echo"]
    sender: AgentRef | None = None
    """The agent who wrote it, for ``origin == agent``."""
    content: Content
    sent_at: UtcDatetime
    status: ConversationStatus
    """The conversation's status after this message."""

    @model_validator(mode="after")
    def _origin_matches_direction(self) -> MessageAppendedV1:
        if (self.direction == "inbound") != (self.origin == "customer"):
            raise ValueError(f"a {self.direction} message cannot have origin {self.origin}")
        if self.origin == "agent" and self.sender is None:
            raise ValueError("an agent's message names its sender")
        return self


class ConversationClaimedV1(_ConversationEvent):
    """An agent took the conversation from their team's pool; only the first claim wins."""

    EVENT_TYPE = CONVERSATION_CLAIMED

    agent: AgentRef
    team_id: TeamId
    """The team whose pool the agent claimed it from."""
    lead_id: UUID | None = None
    """The lead the conversation already belongs to, if any."""


class ConversationReleasedV1(_ConversationEvent):
    """The owner gave the conversation back to a team's pool for anyone to claim."""

    EVENT_TYPE = CONVERSATION_RELEASED
    RETIRED = (
        "never emitted: the product has no giving back to the pool; a conversation goes back to a pool only by a "
        "transfer (`router.conversation.transferred` with no `to_agent`)"
    )

    agent: AgentRef
    """The owner who released it."""
    team_id: TeamId
    reason: str | None = None


class ConversationTransferredV1(_ConversationEvent):
    """The conversation moved to another agent or to another team's pool.

    Invariant: ``to_agent``, when set, is a member of ``to_team_id``.
    """

    EVENT_TYPE = CONVERSATION_TRANSFERRED

    from_agent: AgentRef | None
    """The owner before the transfer; none if it was waiting in a pool."""
    to_agent: AgentRef | None
    """The new owner; none when it goes to the pool of ``to_team_id``."""
    to_team_id: TeamId
    transferred_by: AgentRef
    can_send: bool
    """Whether the new owner may send messages; false hands it over for reading only."""
    reason: str | None = None
    keeps_access: AgentRef | None = None
    """Process-2 accounts: the previous owner (the lead's attendant) keeps seeing and answering it."""


class ConversationFinishedV1(_ConversationEvent):
    """An agent closed the conversation."""

    EVENT_TYPE = CONVERSATION_FINISHED

    agent: AgentRef


class ConversationReopenedV1(_ConversationEvent):
    """A finished conversation came back to life: the customer wrote again or an agent reopened it."""

    EVENT_TYPE = CONVERSATION_REOPENED
    RETIRED = (
        "never emitted: a finished conversation stays finished; the customer's next message opens a new "
        "conversation (`router.conversation.opened`)"
    )

    reopened_by: Literal["customer", "agent"]
    agent: AgentRef | None = None
    """The agent who reopened it, for ``reopened_by == agent``."""

    @model_validator(mode="after")
    def _agent_named_when_agent_reopened(self) -> ConversationReopenedV1:
        if (self.reopened_by == "agent") != (self.agent is not None):
            raise ValueError("an agent is named exactly when an agent reopened it")
        return self


class ConversationStatusChangedV1(_ConversationEvent):
    """The conversation's inbox status changed."""

    EVENT_TYPE = CONVERSATION_STATUS_CHANGED

    from_status: ConversationStatus
    to_status: ConversationStatus

    @model_validator(mode="after")
    def _is_a_change(self) -> ConversationStatusChangedV1:
        if self.from_status == self.to_status:
            raise ValueError(f"status stays {self.to_status}: not a change")
        return self


class PoolWaitExceededV1(_ConversationEvent):
    """A conversation waited in a pool longer than the account's alert threshold."""

    EVENT_TYPE = POOL_WAIT_EXCEEDED

    team_ids: tuple[TeamId, ...]
    """The pools it is waiting in."""
    waited_seconds: int = Field(ge=0)
    threshold_seconds: int = Field(gt=0)


class SendRequestedV1(_ConversationEvent):
    """An agent asked to send a message; ingest sends it and answers on the outbound topic.

    Invariant: text content has a ``body``, which is the text as sent, with the
    agent-name prefix the customer sees.
    """

    EVENT_TYPE = SEND_REQUESTED

    request_id: UUID
    """Idempotency key: ingest sends each request at most once."""
    phone_number_id: PhoneNumberId
    to_wa_id: WaId
    content: OutboundContent
    agent: AgentRef
    body: str | None = None
    """The text WhatsApp shows, agent-name prefix included (``*Ana Souza:* Olá!``)."""
    reply_to_wamid: Wamid | None = None

    @model_validator(mode="after")
    def _text_has_its_body(self) -> SendRequestedV1:
        if self.content.kind == "text" and not self.body:
            raise ValueError("a text send carries the body as sent")
        return self


class SendRequestedV2(_ConversationEvent):
    """An agent asked to send a message; ingest sends it and answers on the outbound topic.

    Invariant: text content has a ``body``, which is the text as sent, with the agent-name prefix the
    customer sees. Ingest writes to ``to.wa_id`` when set (Graph API ``to``), else to the BSUID
    (Graph API ``recipient``: ``to.user_id``, else ``to.parent_user_id``).
    """

    EVENT_TYPE = SEND_REQUESTED
    SCHEMA_VERSION = 2

    request_id: UUID
    """Idempotency key: ingest sends each request at most once."""
    phone_number_id: PhoneNumberId
    to: WhatsAppUser
    """The customer as leadline knows them at the time of the send."""
    content: OutboundContent
    agent: AgentRef
    body: str | None = None
    """The text WhatsApp shows, agent-name prefix included (``*Ana Souza:* Olá!``)."""
    reply_to_wamid: Wamid | None = None

    @model_validator(mode="after")
    def _text_has_its_body(self) -> SendRequestedV2:
        if self.content.kind == "text" and not self.body:
            raise ValueError("a text send carries the body as sent")
        return self


def upcast_send_requested_v1(payload: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2: the recipient's phone becomes ``to.wa_id``."""
    payload["to"] = {"wa_id": payload.pop("to_wa_id")}
    return payload


class MessageDeliveryUpdatedV1(_ConversationEvent):
    """An agent's message moved on its way to the customer: sent (with WhatsApp's id), delivered, read or failed.

    Never moves backwards; an agent message's ``message_id`` is its send request's ``request_id``.
    """

    EVENT_TYPE = MESSAGE_DELIVERY_UPDATED

    message_id: UUID
    wamid: Wamid | None = None
    delivery: Literal["sent", "delivered", "read", "failed"]
    error: str | None = None
    """Why it failed, in words for the agent."""


class MessageMediaUpdatedV1(_ConversationEvent):
    """A message's media changed: our copy was stored, it turned out unavailable, or it is being fetched again.

    ``media`` is the message's media as it now stands: ``media.stored`` once stored, ``media.unavailable``
    when it could not be (with the reason and whether a retry may work), neither while it is being fetched.
    """

    EVENT_TYPE = MESSAGE_MEDIA_UPDATED

    message_id: UUID
    wamid: Wamid | None = None
    media: MediaRef


class MediaFetchRequestedV1(_ConversationEvent):
    """An agent asked to fetch a message's media from WhatsApp again, after a fetch that failed but may work now.

    Ingest fetches it and answers on the chat's stream with ``ingest.media.stored`` or ``ingest.media.fetch_failed``.
    """

    EVENT_TYPE = MEDIA_FETCH_REQUESTED

    message_id: UUID
    wamid: Wamid
    phone_number_id: PhoneNumberId
    customer: WhatsAppUser
    """The customer of the chat the media came in (phone, BSUID or both, as the conversation knows them)."""
    provider_media_id: NonEmptyText
    mime_type: MimeType
    agent: AgentRef
    """Who asked."""


PAYLOADS: tuple[type[Payload], ...] = (
    ConversationOpenedV1,
    ConversationOpenedV2,
    MessageAppendedV1,
    ConversationClaimedV1,
    ConversationReleasedV1,
    ConversationTransferredV1,
    ConversationFinishedV1,
    ConversationReopenedV1,
    ConversationStatusChangedV1,
    PoolWaitExceededV1,
    SendRequestedV1,
    SendRequestedV2,
    MessageDeliveryUpdatedV1,
    MessageMediaUpdatedV1,
    MediaFetchRequestedV1,
)
