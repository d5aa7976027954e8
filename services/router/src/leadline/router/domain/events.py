"""What happened to a conversation: the domain's events (translated to ``leadline.events`` at the edge).

Message content is carried as the contract's JSON shape (a dict with a ``kind``): the
domain decides on who, when and whether, never on what a message says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .identity import WhatsAppName
from .rules import ConversationStatus, Delivery, Direction, OpenedBy, Origin


@dataclass(frozen=True)
class AgentRef:
    id: str
    name: str


@dataclass(frozen=True)
class ConversationOpened:
    phone_number_id: str
    business_display_number: str
    customer: WhatsAppName
    customer_id: str | None  # leadline's customer (None for conversations opened before customers had ids)
    customer_phone: str | None  # E.164; None for a customer known only by BSUID
    customer_display_name: str
    status: ConversationStatus
    team_ids: tuple[str, ...]
    owner: AgentRef | None
    lead_id: str | None
    opened_by: OpenedBy
    at: datetime


@dataclass(frozen=True)
class MessageAppended:
    message_id: str
    wamid: str | None
    direction: Direction
    origin: Origin
    sender: AgentRef | None
    content: dict[str, Any]
    sent_at: datetime
    status: ConversationStatus  # the conversation's status after this message


@dataclass(frozen=True)
class ConversationClaimed:
    agent: AgentRef
    team_id: str
    lead_id: str | None
    at: datetime


@dataclass(frozen=True)
class ConversationTransferred:
    from_agent: AgentRef | None
    to_agent: AgentRef | None
    to_team_id: str
    transferred_by: AgentRef
    can_send: bool
    reason: str | None
    keeps_access: AgentRef | None  # process 2: the previous owner (attendant) keeps seeing and answering
    at: datetime


@dataclass(frozen=True)
class ConversationFinished:
    agent: AgentRef
    at: datetime


@dataclass(frozen=True)
class StatusChanged:
    from_status: ConversationStatus
    to_status: ConversationStatus
    at: datetime


@dataclass(frozen=True)
class SendRequested:
    request_id: str  # also the agent message's id
    phone_number_id: str
    to: WhatsAppName
    content: dict[str, Any]
    agent: AgentRef
    body: str | None
    at: datetime


@dataclass(frozen=True)
class PoolWaitExceeded:
    team_ids: tuple[str, ...]
    waited_seconds: int
    threshold_seconds: int
    at: datetime


@dataclass(frozen=True)
class MessageDeliveryUpdated:
    """An outbound message's delivery moved (sent, delivered, read, failed) or learned its wamid."""

    message_id: str
    wamid: str | None
    delivery: Delivery
    error: str | None
    at: datetime


@dataclass(frozen=True)
class MessageMediaUpdated:
    """A message's media changed state; ``media`` is the content's ``media`` as it now stands."""

    message_id: str
    wamid: str | None
    media: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class MediaFetchRequested:
    """An agent asked ingest to fetch a message's media from WhatsApp again."""

    message_id: str
    wamid: str
    phone_number_id: str
    customer: WhatsAppName
    provider_media_id: str
    mime_type: str
    agent: AgentRef
    at: datetime


DomainEvent = (
    ConversationOpened
    | MessageAppended
    | ConversationClaimed
    | ConversationTransferred
    | ConversationFinished
    | StatusChanged
    | SendRequested
    | PoolWaitExceeded
    | MessageDeliveryUpdated
    | MessageMediaUpdated
    | MediaFetchRequested
)
