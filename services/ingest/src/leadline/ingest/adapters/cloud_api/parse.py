"""A verified Cloud API webhook body turned into contract payloads: received, echoed, statuses, errors.

Pure: no I/O, no logging, no clock; the same body always gives the same result.
Shape of a delivery: ``{"object": "whatsapp_business_account", "entry": [{"id", "changes":
[{"field", "value"}]}]}``. ``field: messages`` carries ``messages[]`` (with senders in
``contacts[]``), ``statuses[]`` and value-level ``errors[]``; ``field: smb_message_echoes``
carries ``message_echoes[]`` typed on the WhatsApp Business app (``from`` the business,
``to`` the customer). Other fields are listed, not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from leadline.events.common import DisplayPhoneNumber, PhoneNumberId, WaId, Wamid
from leadline.events.ingest import (
    MessageContext,
    MessageEchoedV1,
    MessageReceivedV1,
    MessageStatusChangedV1,
    Referral,
    WhatsAppError,
)
from leadline.ingest.adapters.cloud_api.content_kinds import parse_content
from leadline.ingest.adapters.cloud_api.display_names import display_name_for, profile_names
from leadline.ingest.adapters.cloud_api.reading import (
    MalformedDelivery,
    at,
    build,
    check,
    fail,
    items,
    maybe,
    need,
    unix_time,
)
from leadline.ingest.adapters.cloud_api.statuses import parse_statuses, whatsapp_errors

__all__ = ["MalformedDelivery", "ParsedDelivery", "display_name_for", "parse_delivery"]

WABA_OBJECT = "whatsapp_business_account"
MESSAGES = "messages"
ECHOES = "smb_message_echoes"
_PHONE_PUNCTUATION = re.compile(r"[\s+().-]")


@dataclass(frozen=True)
class ParsedDelivery:
    """Everything one delivery said, each kind in the order Meta listed it across entries and changes."""

    received: tuple[MessageReceivedV1, ...]
    """Customer messages."""
    echoed: tuple[MessageEchoedV1, ...]
    """Messages the business sent from the WhatsApp Business app."""
    statuses: tuple[MessageStatusChangedV1, ...]
    webhook_errors: tuple[WhatsAppError, ...]
    """Value-level ``errors[]`` Meta reported: to be logged, not events."""
    ignored_fields: tuple[str, ...]
    """Change fields we do not handle (``account_update``) and skipped statuses (``status:deleted``), once each."""


@dataclass(frozen=True)
class _Business:
    phone_number_id: str
    display_phone_number: str | None


def parse_delivery(payload: object) -> ParsedDelivery:
    """Read a decoded webhook body; raise ``MalformedDelivery`` (and nothing else) if it is not a delivery."""
    body = check(payload, "", dict)
    if body.get("object") != WABA_OBJECT:
        fail("object", f"expected {WABA_OBJECT!r}, got {_short(body.get('object'))}")
    received: list[MessageReceivedV1] = []
    echoed: list[MessageEchoedV1] = []
    statuses: list[MessageStatusChangedV1] = []
    errors: list[WhatsAppError] = []
    ignored: list[str] = []
    for entry_path, entry in items(body, "entry", "", required=True):
        for change_path, change in items(entry, "changes", entry_path, required=True):
            field = need(change, "field", change_path)
            if field not in (MESSAGES, ECHOES):
                ignored.append(field)
                continue
            value = need(change, "value", change_path, dict)
            value_path = at(change_path, "value")
            business = _business(value, value_path)
            errors.extend(whatsapp_errors(value, value_path))
            if field == ECHOES:
                echoed.extend(_echoes(value, value_path, business))
                continue
            received.extend(_received(value, value_path, business))
            changed, skipped = parse_statuses(value, value_path, business.phone_number_id)
            statuses.extend(changed)
            ignored.extend(skipped)
    return ParsedDelivery(
        received=tuple(received),
        echoed=tuple(echoed),
        statuses=tuple(statuses),
        webhook_errors=tuple(errors),
        ignored_fields=tuple(dict.fromkeys(ignored)),
    )


def _business(value: dict[str, Any], path: str) -> _Business:
    metadata = need(value, "metadata", path, dict)
    path = at(path, "metadata")
    return _Business(
        phone_number_id=need(metadata, "phone_number_id", path, PhoneNumberId),
        display_phone_number=maybe(metadata, "display_phone_number", path, DisplayPhoneNumber),
    )


def _received(value: dict[str, Any], path: str, business: _Business) -> list[MessageReceivedV1]:
    messages = items(value, "messages", path)
    if not messages:
        return []
    if business.display_phone_number is None:  # only customer messages carry it in their payload
        fail(at(at(path, "metadata"), "display_phone_number"), "missing")
    names = profile_names(value, path)
    received = []
    for message_path, message in messages:
        wamid = need(message, "id", message_path, Wamid)
        wa_id = need(message, "from", message_path, WaId)
        profile_name = names.get(wa_id)
        received.append(
            build(
                MessageReceivedV1,
                message_path,
                phone_number_id=business.phone_number_id,
                customer_wa_id=wa_id,
                wamid=wamid,
                display_phone_number=business.display_phone_number,
                customer_profile_name=profile_name,
                customer_display_name=display_name_for(profile_name, wa_id),
                sent_at=unix_time(message, "timestamp", message_path),
                content=parse_content(message, message_path),
                context=_context(message, message_path),
                referral=_referral(message, message_path),
            )
        )
    return received


def _echoes(value: dict[str, Any], path: str, business: _Business) -> list[MessageEchoedV1]:
    echoed = []
    for echo_path, echo in items(value, "message_echoes", path):
        echoed.append(
            build(
                MessageEchoedV1,
                echo_path,
                phone_number_id=business.phone_number_id,
                wamid=need(echo, "id", echo_path, Wamid),
                customer_wa_id=_echo_recipient(echo, echo_path),
                sent_at=unix_time(echo, "timestamp", echo_path),
                content=parse_content(echo, echo_path),
            )
        )
    return echoed


def _echo_recipient(echo: dict[str, Any], path: str) -> str:
    """The customer's wa_id from ``to``, which Meta documents as the number as typed (``+16505551234``)."""
    to = need(echo, "to", path)
    return check(_PHONE_PUNCTUATION.sub("", to), at(path, "to"), WaId)


def _context(message: dict[str, Any], path: str) -> MessageContext | None:
    context = maybe(message, "context", path, dict)
    if context is None:
        return None
    path = at(path, "context")
    return MessageContext(
        replied_to_wamid=maybe(context, "id", path, Wamid),
        forwarded=maybe(context, "forwarded", path, bool, False),
        frequently_forwarded=maybe(context, "frequently_forwarded", path, bool, False),
    )


def _referral(message: dict[str, Any], path: str) -> Referral | None:
    referral = maybe(message, "referral", path, dict)
    if referral is None:
        return None
    path = at(path, "referral")
    return Referral(
        source_type=need(referral, "source_type", path),
        **{key: maybe(referral, key, path) for key in ("source_id", "source_url", "headline", "body", "ctwa_clid")},
    )


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
