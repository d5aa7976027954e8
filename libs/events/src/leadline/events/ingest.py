"""Payloads ingest produces: what WhatsApp told us (webhooks) and how our sends went.

Streams: webhook facts belong to the WhatsApp chat ``wa:{phone_number_id}:{customer key}`` (the
customer's ``wa_id``, or their BSUID when WhatsApp shared no phone) so one chat's messages and
statuses stay in order; send results belong to the router conversation that asked for the send.

Versions: every chat fact is ``V2`` since WhatsApp names customers by business-scoped user id
(``customer: WhatsAppUser``, the phone optional); ``V1`` (``customer_wa_id``, a phone always) is
still read and upcast (``upcast_chat_event_v1``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final
from uuid import UUID

from pydantic import Field

from leadline.events.common import (
    DisplayPhoneNumber,
    NonEmptyText,
    PersonName,
    PhoneNumberId,
    UtcDatetime,
    Value,
    WaId,
    Wamid,
    WhatsAppUser,
    chat_stream_id,
    number_stream_id,
)
from leadline.events.content import Content, InboundContent, MimeType, StoredMedia
from leadline.events.envelope import Payload

MESSAGE_RECEIVED: Final = "ingest.message.received"
MESSAGE_ECHOED: Final = "ingest.message.echoed"
MESSAGE_STATUS_CHANGED: Final = "ingest.message.status_changed"
MEDIA_STORED: Final = "ingest.media.stored"
MEDIA_FETCH_FAILED: Final = "ingest.media.fetch_failed"
MESSAGE_SENT: Final = "ingest.message.sent"
MESSAGE_SEND_FAILED: Final = "ingest.message.send_failed"
CONTACT_PROFILE_PHOTO_CHANGED: Final = "ingest.contact.profile_photo_changed"
NUMBER_CONNECTION_CHANGED: Final = "ingest.number.connection_changed"


class DeliveryStatus(StrEnum):
    """How far WhatsApp got delivering a message the business sent."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class WhatsAppError(Value):
    """An error object exactly as the WhatsApp Cloud API reports it."""

    code: int
    title: str
    message: str | None = None
    details: str | None = None


class MessageContext(Value):
    """How an inbound message relates to earlier ones."""

    replied_to_wamid: Wamid | None = None
    """The message the customer swiped to reply to."""
    forwarded: bool = False
    frequently_forwarded: bool = False


class Referral(Value):
    """The ad or post a customer clicked to start the chat (click-to-WhatsApp)."""

    source_type: str
    """Meta's vocabulary (``ad``, ``post``), passed through so a new value cannot drop a lead."""
    source_id: str | None = None
    source_url: str | None = None
    headline: str | None = None
    body: str | None = None
    ctwa_clid: str | None = None
    """Meta's click id, for attributing the conversation to the ad."""


class BillingConversation(Value):
    """The WhatsApp billing conversation a status belongs to."""

    id: str
    category: str
    """Meta's category (``service``, ``marketing``, ``utility``...)."""
    expires_at: UtcDatetime | None = None


class Pricing(Value):
    billable: bool
    pricing_model: str
    category: str


class _ChatEvent(Payload):
    """A fact about one WhatsApp chat (v1: the customer named by phone); the chat is the stream."""

    phone_number_id: PhoneNumberId
    """The business number (Meta's id) the chat is on."""
    customer_wa_id: WaId
    """The customer in the chat: sender of inbound messages, recipient of outbound ones."""

    def stream_id(self, account_id: str) -> str:
        return chat_stream_id(self.phone_number_id, self.customer_wa_id)


class _ChatEventV2(Payload):
    """A fact about one WhatsApp chat (v2: the customer named by phone, BSUID or both); the chat is the stream."""

    SCHEMA_VERSION = 2

    phone_number_id: PhoneNumberId
    """The business number (Meta's id) the chat is on."""
    customer: WhatsAppUser
    """The customer in the chat as WhatsApp named them: sender of inbound messages, recipient of outbound ones."""

    def stream_id(self, account_id: str) -> str:
        return chat_stream_id(self.phone_number_id, self.customer.chat_key)


def upcast_chat_event_v1(payload: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2 of every chat fact: the customer's phone becomes ``customer.wa_id``."""
    payload["customer"] = {"wa_id": payload.pop("customer_wa_id")}
    return payload


class _Received(Payload):
    wamid: Wamid
    display_phone_number: DisplayPhoneNumber
    customer_profile_name: str | None = None
    """The name on the customer's WhatsApp profile, when WhatsApp shares it."""
    customer_display_name: PersonName
    """What to call the customer: the profile name, else their @username, else their formatted number (or BSUID)."""
    sent_at: UtcDatetime
    """WhatsApp's timestamp for the message (when the customer sent it)."""
    content: InboundContent
    context: MessageContext | None = None
    referral: Referral | None = None


class MessageReceivedV1(_Received, _ChatEvent):
    """A customer sent a WhatsApp message to one of the dealership's numbers."""

    EVENT_TYPE = MESSAGE_RECEIVED


class MessageReceivedV2(_Received, _ChatEventV2):
    """A customer sent a WhatsApp message to one of the dealership's numbers (named by phone, BSUID or both)."""

    EVENT_TYPE = MESSAGE_RECEIVED


class _Echoed(Payload):
    wamid: Wamid
    sent_at: UtcDatetime
    content: Content


class MessageEchoedV1(_Echoed, _ChatEvent):
    """Someone at the dealership sent a message from the WhatsApp Business app on the phone.

    Coexistence echo: the number is shared between the app and the Cloud API, so
    messages typed on the phone reach leadline only as echoes.
    """

    EVENT_TYPE = MESSAGE_ECHOED


class MessageEchoedV2(_Echoed, _ChatEventV2):
    """Someone at the dealership sent a message from the WhatsApp Business app on the phone (coexistence echo)."""

    EVENT_TYPE = MESSAGE_ECHOED


class _StatusChanged(Payload):
    wamid: Wamid
    status: DeliveryStatus
    at: UtcDatetime
    errors: tuple[WhatsAppError, ...] = ()
    """Why delivery failed; only with ``status == failed``."""
    conversation: BillingConversation | None = None
    pricing: Pricing | None = None


class MessageStatusChangedV1(_StatusChanged, _ChatEvent):
    """WhatsApp reported a message the business sent as sent, delivered, read or failed.

    Statuses can arrive out of order and before ``ingest.message.sent``; match on ``wamid``
    and never move a status backwards.
    """

    EVENT_TYPE = MESSAGE_STATUS_CHANGED


class MessageStatusChangedV2(_StatusChanged, _ChatEventV2):
    """WhatsApp reported a message the business sent as sent, delivered, read or failed.

    ``customer`` is the recipient as the status named it: the phone, the BSUID or both (a status of a send
    to a BSUID may have no phone; a ``failed`` one has no contact at all). Match on ``wamid`` and never move
    a status backwards.
    """

    EVENT_TYPE = MESSAGE_STATUS_CHANGED


class _Media(Payload):
    """The outcome of fetching an inbound or echoed message's media from WhatsApp."""

    wamid: Wamid
    """The message the media belongs to."""
    provider_media_id: NonEmptyText


class _Stored(_Media):
    stored: StoredMedia
    mime_type: MimeType


class _FetchFailed(_Media):
    reason: NonEmptyText
    error_code: int | None = None
    """WhatsApp's error code, when WhatsApp answered with one."""
    attempts: int = Field(ge=1)
    retryable: bool


class MediaStoredV1(_Stored, _ChatEvent):
    """We downloaded a message's media from WhatsApp and stored our own copy."""

    EVENT_TYPE = MEDIA_STORED


class MediaStoredV2(_Stored, _ChatEventV2):
    """We downloaded a message's media from WhatsApp and stored our own copy."""

    EVENT_TYPE = MEDIA_STORED


class MediaFetchFailedV1(_FetchFailed, _ChatEvent):
    """We could not download a message's media; it may be gone for good once WhatsApp expires it."""

    EVENT_TYPE = MEDIA_FETCH_FAILED


class MediaFetchFailedV2(_FetchFailed, _ChatEventV2):
    """We could not download a message's media; it may be gone for good once WhatsApp expires it."""

    EVENT_TYPE = MEDIA_FETCH_FAILED


class _SendResult(Payload):
    """The outcome of a ``router.message.send_requested``; the conversation is the stream."""

    request_id: UUID
    """The send request's idempotency key."""
    conversation_id: UUID

    def stream_id(self, account_id: str) -> str:
        return str(self.conversation_id)


class MessageSentV1(_SendResult):
    """WhatsApp accepted a message we sent for an agent."""

    EVENT_TYPE = MESSAGE_SENT

    wamid: Wamid
    sent_at: UtcDatetime


class MessageSendFailedV1(_SendResult):
    """A message we tried to send for an agent was refused or could not be sent."""

    EVENT_TYPE = MESSAGE_SEND_FAILED

    error_code: int | None = None
    """Meta's error code (``131047`` = more than 24 hours since the customer wrote); none if we never reached Meta."""
    error_title: NonEmptyText
    explanation: NonEmptyText
    """What happened and what the agent can do, in words for the agent."""
    retryable: bool
    """Whether sending the same request again may succeed (rate limits, outages)."""


class _PhotoChanged(Payload):
    photo: StoredMedia | None
    """Our copy of the new photo; none when the customer removed it or hid it from us."""


class ContactProfilePhotoChangedV1(_PhotoChanged, _ChatEvent):
    """The customer's WhatsApp profile photo changed, as far as we can see."""

    EVENT_TYPE = CONTACT_PROFILE_PHOTO_CHANGED


class ContactProfilePhotoChangedV2(_PhotoChanged, _ChatEventV2):
    """The customer's WhatsApp profile photo changed, as far as we can see."""

    EVENT_TYPE = CONTACT_PROFILE_PHOTO_CHANGED


class NumberConnection(StrEnum):
    """Whether a number connected through Evolution API (a WhatsApp Web session) can send and receive."""

    CONNECTED = "connected"
    CONNECTING = "connecting"
    """Reconnecting, or waiting for its QR code to be scanned."""
    DISCONNECTED = "disconnected"
    """The session closed: nothing is sent or received until it reconnects (or a new QR code is scanned)."""
    REFUSED = "refused"
    """WhatsApp refused the session (the QR code limit was reached): an administrator must connect it again."""


class NumberConnectionChangedV1(Payload):
    """A business number's WhatsApp Web session (an Evolution API instance) connected, dropped or needs a QR code.

    The latest per number is its state; Cloud API numbers have no session and never emit this.
    """

    EVENT_TYPE = NUMBER_CONNECTION_CHANGED

    phone_number_id: PhoneNumberId
    connection: NumberConnection
    needs_qr_code: bool
    """Only an administrator scanning a new QR code in Evolution brings it back (logged out, refused)."""
    reason_code: int | None = None
    """The reason WhatsApp Web gave (Baileys' ``DisconnectReason``: 401 logged out, 428 connection closed...)."""
    at: UtcDatetime
    """When ingest was told."""

    def stream_id(self, account_id: str) -> str:
        return number_stream_id(self.phone_number_id)


PAYLOADS: tuple[type[Payload], ...] = (
    MessageReceivedV1,
    MessageReceivedV2,
    MessageEchoedV1,
    MessageEchoedV2,
    MessageStatusChangedV1,
    MessageStatusChangedV2,
    MediaStoredV1,
    MediaStoredV2,
    MediaFetchFailedV1,
    MediaFetchFailedV2,
    MessageSentV1,
    MessageSendFailedV1,
    ContactProfilePhotoChangedV1,
    ContactProfilePhotoChangedV2,
    NumberConnectionChangedV1,
)

CHAT_EVENTS: tuple[str, ...] = (
    MESSAGE_RECEIVED,
    MESSAGE_ECHOED,
    MESSAGE_STATUS_CHANGED,
    MEDIA_STORED,
    MEDIA_FETCH_FAILED,
    CONTACT_PROFILE_PHOTO_CHANGED,
)
"""The chat facts: v1 named the customer by ``customer_wa_id``, v2 by ``customer`` (``upcast_chat_event_v1``)."""
