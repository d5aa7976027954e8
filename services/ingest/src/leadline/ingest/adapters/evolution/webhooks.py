"""An authenticated Evolution API (v2) webhook body turned into contract payloads: received, echoed, statuses,
the instance's connection state.

Pure: no I/O, no logging, no clock (the time of receipt is passed in). Shape, as Evolution's ``WebhookController``
posts it: ``{"event", "instance", "data", "date_time", "sender", "server_url", "apikey"}``.

- ``messages.upsert``: ``data`` is one message (``key``, ``pushName``, ``message``, ``messageType``,
  ``messageTimestamp``); ``key.fromMe`` marks what the phone or WhatsApp Web sent: an echo. With the instance's
  ``webhook_base64`` on, a media message carries its bytes as ``message.base64``.
- ``messages.update``: ``data`` is ``{keyId, remoteJid, fromMe, status}``; statuses of what the business sent map onto
  the same forward-only statuses as the Cloud API's.
- ``connection.update``: ``data`` is ``{state: open|connecting|close|refused, statusReason}``.
- ``contacts.update`` / ``contacts.upsert`` and every other event are accepted and ignored (names and photos arrive
  with messages and through the profile-photo refresh).

Chats that are no customer (groups ``@g.us``, broadcast lists, status updates, channels) are ignored and counted. A
part that cannot be read is set aside with its path; a message whose id, chat and time can be read but whose content
cannot is also kept as ``unsupported``. Only a body that is no Evolution webhook at all is ``MalformedDelivery``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadline.events.common import PersonName, WaId, WhatsAppUser
from leadline.events.ingest import (
    DeliveryStatus,
    MessageContext,
    MessageEchoedV2,
    MessageReceivedV2,
    MessageStatusChangedV2,
)
from leadline.ingest.adapters.cloud_api.display_names import display_name_for
from leadline.ingest.adapters.cloud_api.reading import MalformedDelivery, at, build, check, fail, maybe, need
from leadline.ingest.adapters.cloud_api.unreadable import Unreadable, UnreadablePart
from leadline.ingest.adapters.evolution.contents import MEDIA_KINDS, kind_of, parse_content, unreadable
from leadline.ingest.domain.evolution_instances import evolution_wamid
from leadline.ingest.service.ports import ConnectionChange, InlineMedia

MESSAGES_UPSERT = "messages.upsert"
MESSAGES_UPDATE = "messages.update"
CONNECTION_UPDATE = "connection.update"
# Evolution's statuses (``renderStatus.ts``); PENDING, DELETED and a read of what the customer sent move nothing
STATUSES = {
    "SERVER_ACK": DeliveryStatus.SENT,
    "DELIVERY_ACK": DeliveryStatus.DELIVERED,
    "READ": DeliveryStatus.READ,
    "PLAYED": DeliveryStatus.READ,
    "ERROR": DeliveryStatus.FAILED,
}
CONNECTION_STATES = ("open", "connecting", "close", "refused")


def event_name(raw: str) -> str:
    """``messages.upsert`` however it is spelt (``MESSAGES_UPSERT`` in global webhooks, ``messages-upsert`` in URLs)."""
    return raw.strip().lower().replace("_", ".").replace("-", ".")


@dataclass(frozen=True)
class EvolutionDelivery:
    event: str
    received: tuple[MessageReceivedV2, ...] = ()
    echoed: tuple[MessageEchoedV2, ...] = ()
    statuses: tuple[MessageStatusChangedV2, ...] = ()
    inline_media: tuple[InlineMedia, ...] = ()
    connection: ConnectionChange | None = None
    ignored: tuple[str, ...] = ()
    """Why parts were not read: ``group``, ``broadcast``, ``status``, ``newsletter``, ``event`` (not one we read),
    ``status_update`` (a status that moves nothing)."""
    unreadable: tuple[UnreadablePart, ...] = ()


@dataclass
class _Reading:
    phone_number_id: str
    display_number: str
    received_at: datetime
    unreadable: Unreadable = field(default_factory=Unreadable)
    ignored: list[str] = field(default_factory=list)


def parse_webhook(
    payload: object, *, phone_number_id: str, display_number: str, received_at: datetime
) -> EvolutionDelivery:
    """Read an authenticated webhook body of the number's instance; raises ``MalformedDelivery`` only for a body that
    is not an object or names no event."""
    body = check(payload, "", dict)
    event = event_name(need(body, "event", ""))
    reading = _Reading(phone_number_id, display_number, received_at)
    delivery = EvolutionDelivery(event)
    if event == MESSAGES_UPSERT:
        delivery = _upserts(body, reading)
    elif event == MESSAGES_UPDATE:
        delivery = EvolutionDelivery(event, statuses=tuple(_statuses(body, reading)))
    elif event == CONNECTION_UPDATE:
        delivery = EvolutionDelivery(event, connection=_connection(body, reading))
    else:
        reading.ignored.append("event")
    return EvolutionDelivery(
        **{**delivery.__dict__, "ignored": tuple(reading.ignored), "unreadable": tuple(reading.unreadable.parts)}
    )


def _each(body: dict[str, Any], reading: _Reading) -> list[tuple[str, dict[str, Any]]]:
    """``data`` as a list of objects with their paths (Evolution sends one object; a list is read too)."""
    data = body.get("data")
    if isinstance(data, dict):
        return [("data", data)]
    if isinstance(data, list):
        return list(reading.unreadable.objects(body, "data", ""))
    reading.unreadable.set_aside(
        "data", data, MalformedDelivery(f"data: expected an object, got {type(data).__name__}")
    )
    return []


def _customer(jid: str, alternative: object, path: str, reading: _Reading) -> WhatsAppUser | None:
    """The customer a chat JID names; None (counted) for chats that are no customer."""
    if jid.endswith("@lid") and isinstance(alternative, str):  # a privacy id: the phone's JID rides beside it
        jid = alternative
    server = jid.partition("@")[2]
    if server == "g.us":
        reading.ignored.append("group")
        return None
    if jid == "status@broadcast":
        reading.ignored.append("status")
        return None
    if server in ("broadcast", "newsletter"):
        reading.ignored.append(server)
        return None
    if server not in ("s.whatsapp.net", "c.us"):
        fail(path, f"not a customer's WhatsApp id: {jid[:80]!r}")
    user = jid.partition("@")[0].partition(":")[0]  # ``5511987654321:12@s.whatsapp.net`` names a device
    return WhatsAppUser(wa_id=check(user, path, WaId))


def _sent_at(data: dict[str, Any], path: str) -> datetime:
    raw = data.get("messageTimestamp")
    if isinstance(raw, dict):  # a protobuf Long: {low, high, unsigned}
        high, low = raw.get("high", 0), raw.get("low")
        parts_are_ints = all(isinstance(p, int) and not isinstance(p, bool) for p in (high, low))
        raw = high * 2**32 + low % 2**32 if parts_are_ints else None
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 < raw < 10**11:
        fail(at(path, "messageTimestamp"), "not a unix time")
    return datetime.fromtimestamp(raw, UTC)


def _upserts(body: dict[str, Any], reading: _Reading) -> EvolutionDelivery:
    received: list[MessageReceivedV2] = []
    echoed: list[MessageEchoedV2] = []
    media: list[InlineMedia] = []
    for path, data in _each(body, reading):
        try:
            key = need(data, "key", path, dict)
            key_path = at(path, "key")
            customer = _customer(
                need(key, "remoteJid", key_path), key.get("remoteJidAlt"), at(key_path, "remoteJid"), reading
            )
            if customer is None:
                continue
            key_id = need(key, "id", key_path)
            wamid = evolution_wamid(reading.phone_number_id, key_id)
            from_me = maybe(key, "fromMe", key_path, bool, False)
            fields: dict[str, Any] = dict(
                phone_number_id=reading.phone_number_id, customer=customer, wamid=wamid, sent_at=_sent_at(data, path)
            )
        except MalformedDelivery as problem:  # no readable id, chat or time: nothing to show anyone
            reading.unreadable.set_aside(path, data, problem)
            continue
        message = data.get("message")
        message_path = at(path, "message")
        try:
            content = parse_content(check(message, message_path, dict), message_path, reading.phone_number_id, key_id)
        except MalformedDelivery as problem:
            content = unreadable(message)
            reading.unreadable.set_aside(message_path, message, problem)
        if isinstance(message, dict) and (inline := _inline_media(message, wamid, content, reading, message_path)):
            media.append(inline)
        try:
            if from_me:
                echoed.append(build(MessageEchoedV2, path, content=content, **fields))
                continue
            received.append(
                build(
                    MessageReceivedV2,
                    path,
                    content=content,
                    display_phone_number=reading.display_number,
                    customer_profile_name=(profile := _profile_name(data, path, reading)),
                    customer_display_name=display_name_for(profile, customer.wa_id),
                    context=_context(data, message, reading.phone_number_id),
                    **fields,
                )
            )
        except MalformedDelivery as problem:  # an id that is no WhatsApp id: nothing to key the message by
            reading.unreadable.set_aside(path, data, problem)
    return EvolutionDelivery(MESSAGES_UPSERT, received=tuple(received), echoed=tuple(echoed), inline_media=tuple(media))


def _profile_name(data: dict[str, Any], path: str, reading: _Reading) -> str | None:
    name = data.get("pushName")
    if not isinstance(name, str) or not name.strip():
        return None
    try:
        return check(name.strip(), at(path, "pushName"), PersonName)
    except MalformedDelivery as problem:  # a name that cannot travel: the customer is shown by their number
        reading.unreadable.set_aside(at(path, "pushName"), name, problem)
        return None


def _inline_media(
    message: dict[str, Any], wamid: str, content: Any, reading: _Reading, path: str
) -> InlineMedia | None:
    encoded = message.get("base64")
    media = getattr(content, "media", None)
    if (
        not isinstance(encoded, str)
        or media is None
        or kind_of(message) not in MEDIA_KINDS | {"documentWithCaptionMessage"}
    ):
        return None
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):  # the media is still fetched from Evolution's endpoint
        reading.unreadable.set_aside(
            at(path, "base64"), encoded[:200], MalformedDelivery(f"{at(path, 'base64')}: not base64")
        )
        return None
    return InlineMedia(wamid, data, media.mime_type) if data else None


def _context(data: dict[str, Any], message: object, phone_number_id: str) -> MessageContext | None:
    """The quoted message and forwarding marks (``contextInfo``, beside the message or inside its part)."""
    info = data.get("contextInfo")
    if not isinstance(info, dict) and isinstance(message, dict):
        kind = kind_of(message)
        part = message.get(kind) if kind else None
        info = part.get("contextInfo") if isinstance(part, dict) else None
    if not isinstance(info, dict):
        return None
    quoted = info.get("stanzaId")
    forwarded = info.get("isForwarded") is True
    score = info.get("forwardingScore")
    if not (isinstance(quoted, str) and quoted) and not forwarded:
        return None
    try:
        return build(
            MessageContext,
            "contextInfo",
            replied_to_wamid=evolution_wamid(phone_number_id, quoted) if isinstance(quoted, str) and quoted else None,
            forwarded=forwarded,
            frequently_forwarded=isinstance(score, int) and score > 4,  # WhatsApp marks five forwards and more
        )
    except MalformedDelivery:  # a quote we cannot name: the message itself still counts
        return None


def _statuses(body: dict[str, Any], reading: _Reading) -> list[MessageStatusChangedV2]:
    statuses = []
    for path, data in _each(body, reading):
        try:
            status = STATUSES.get(need(data, "status", path))
            if status is None or not maybe(data, "fromMe", path, bool, False):
                reading.ignored.append("status_update")
                continue
            customer = _customer(
                need(data, "remoteJid", path), data.get("remoteJidAlt"), at(path, "remoteJid"), reading
            )
            if customer is None:
                continue
            key_id = need(data, "keyId", path)
            statuses.append(
                build(
                    MessageStatusChangedV2,
                    path,
                    phone_number_id=reading.phone_number_id,
                    customer=customer,
                    wamid=evolution_wamid(reading.phone_number_id, key_id),
                    status=status,
                    at=_date_time(body, reading),
                )
            )
        except MalformedDelivery as problem:
            reading.unreadable.set_aside(path, data, problem)
    return statuses


def _date_time(body: dict[str, Any], reading: _Reading) -> datetime:
    """When Evolution saw the update (``date_time``, its local time with offset); else when we received it."""
    raw = body.get("date_time")
    try:
        moment = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        moment = None
    return moment.astimezone(UTC) if moment and moment.tzinfo else reading.received_at


def _connection(body: dict[str, Any], reading: _Reading) -> ConnectionChange | None:
    [(path, data), *_] = _each(body, reading) or [("data", {})]
    try:
        state = need(data, "state", path)
        if state not in CONNECTION_STATES:
            fail(at(path, "state"), f"not one of {', '.join(CONNECTION_STATES)}")
        reason = data.get("statusReason")
        return ConnectionChange(state, reason if isinstance(reason, int) and not isinstance(reason, bool) else None)
    except MalformedDelivery as problem:
        reading.unreadable.set_aside(path, data, problem)
        return None
