"""A verified Cloud API webhook body turned into contract payloads: received, echoed, statuses, errors.

Pure: no I/O, no logging, no clock; the same body always gives the same result.
Shape of a delivery: ``{"object": "whatsapp_business_account", "entry": [{"id", "changes":
[{"field", "value"}]}]}``. ``field: messages`` carries ``messages[]`` (with senders in
``contacts[]``), ``statuses[]`` and value-level ``errors[]``; ``field: smb_message_echoes``
carries ``message_echoes[]`` typed on the WhatsApp Business app (``from`` the business,
``to`` the customer). Customers are named by phone, BSUID or both (``whatsapp_users.py``): a
message without a phone is read like any other. Other fields are listed, not read. A part that cannot be read is set
aside with its path (``unreadable.py``); only a body that is no delivery at all is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadline.events.common import DisplayPhoneNumber, PhoneNumberId, Wamid
from leadline.events.ingest import (
    MessageContext,
    MessageEchoedV2,
    MessageReceivedV2,
    MessageStatusChangedV2,
    Referral,
    WhatsAppError,
)
from leadline.ingest.adapters.cloud_api.content_kinds import parse_content
from leadline.ingest.adapters.cloud_api.content_kinds import unreadable as unreadable_content
from leadline.ingest.adapters.cloud_api.display_names import display_name_for
from leadline.ingest.adapters.cloud_api.reading import (
    MalformedDelivery,
    at,
    build,
    check,
    fail,
    maybe,
    need,
    unix_time,
)
from leadline.ingest.adapters.cloud_api.statuses import parse_statuses, whatsapp_errors
from leadline.ingest.adapters.cloud_api.unreadable import Unreadable, UnreadablePart
from leadline.ingest.adapters.cloud_api.whatsapp_users import Contact, contacts_of, echo_recipient, sender

__all__ = ["MalformedDelivery", "ParsedDelivery", "UnreadablePart", "display_name_for", "parse_delivery"]

WABA_OBJECT = "whatsapp_business_account"
MESSAGES = "messages"
ECHOES = "smb_message_echoes"


@dataclass(frozen=True)
class ParsedDelivery:
    """Everything one delivery said, each kind in the order Meta listed it across entries and changes."""

    received: tuple[MessageReceivedV2, ...]
    """Customer messages (a message whose content cannot be read is among them as ``unsupported``)."""
    echoed: tuple[MessageEchoedV2, ...]
    """Messages the business sent from the WhatsApp Business app."""
    statuses: tuple[MessageStatusChangedV2, ...]
    webhook_errors: tuple[WhatsAppError, ...]
    """Value-level ``errors[]`` Meta reported: to be logged, not events."""
    ignored_fields: tuple[str, ...]
    """Change fields we do not handle (``account_update``) and skipped statuses (``status:deleted``), once each."""
    unreadable: tuple[UnreadablePart, ...] = ()
    """Parts that could not be read, to be quarantined with their paths; the rest of the delivery is read."""


@dataclass(frozen=True)
class _Business:
    phone_number_id: str
    display_phone_number: str | None


def parse_delivery(payload: object) -> ParsedDelivery:
    """Read a decoded webhook body; raise ``MalformedDelivery`` only if it is no WhatsApp delivery at all.

    That is a body that is not an object, whose ``object`` is not a WhatsApp Business Account, or
    that has no ``entry`` list. Anything below that which cannot be read is set aside in
    ``unreadable`` and the rest of the delivery is read as usual (see ``unreadable.py``).
    """
    body = check(payload, "", dict)
    if body.get("object") != WABA_OBJECT:
        fail("object", f"expected {WABA_OBJECT!r}, got {_short(body.get('object'))}")
    need(body, "entry", "", list)
    received: list[MessageReceivedV2] = []
    echoed: list[MessageEchoedV2] = []
    statuses: list[MessageStatusChangedV2] = []
    errors: list[WhatsAppError] = []
    ignored: list[str] = []
    unreadable = Unreadable()
    for entry_path, entry in unreadable.objects(body, "entry", ""):
        try:
            need(entry, "changes", entry_path, list)
        except MalformedDelivery as problem:
            unreadable.set_aside(entry_path, entry, problem)
            continue
        for change_path, change in unreadable.objects(entry, "changes", entry_path):
            try:
                field = need(change, "field", change_path)
                if field not in (MESSAGES, ECHOES):
                    ignored.append(field)
                    continue
                value = need(change, "value", change_path, dict)
                value_path = at(change_path, "value")
                business = _business(value, value_path)
            except MalformedDelivery as problem:  # no number to file anything under
                unreadable.set_aside(change_path, change, problem)
                continue
            meta_errors = _meta_errors(value, value_path, unreadable)
            errors.extend(meta_errors)
            if field == ECHOES:
                echoed.extend(_echoes(value, value_path, business, meta_errors, unreadable))
                continue
            received.extend(_received(value, value_path, business, meta_errors, unreadable))
            changed, skipped = parse_statuses(value, value_path, business.phone_number_id, unreadable)
            statuses.extend(changed)
            ignored.extend(skipped)
    return ParsedDelivery(
        received=tuple(received),
        echoed=tuple(echoed),
        statuses=tuple(statuses),
        webhook_errors=tuple(errors),
        ignored_fields=tuple(dict.fromkeys(ignored)),
        unreadable=tuple(unreadable.parts),
    )


def _business(value: dict[str, Any], path: str) -> _Business:
    metadata = need(value, "metadata", path, dict)
    path = at(path, "metadata")
    return _Business(
        phone_number_id=need(metadata, "phone_number_id", path, PhoneNumberId),
        display_phone_number=maybe(metadata, "display_phone_number", path, DisplayPhoneNumber),
    )


def _meta_errors(value: dict[str, Any], path: str, unreadable: Unreadable) -> tuple[WhatsAppError, ...]:
    """``value.errors[]``: how Meta reports a problem with the change (and a message it could not render)."""
    try:
        return whatsapp_errors(value, path)
    except MalformedDelivery as problem:
        unreadable.set_aside(at(path, "errors"), value.get("errors"), problem)
        return ()


def _received(
    value: dict[str, Any],
    path: str,
    business: _Business,
    meta_errors: tuple[WhatsAppError, ...],
    unreadable: Unreadable,
) -> list[MessageReceivedV2]:
    messages = list(unreadable.objects(value, "messages", path))
    if not messages:
        return []
    if business.display_phone_number is None:  # only customer messages carry it in their payload
        missing = MalformedDelivery(f"{at(at(path, 'metadata'), 'display_phone_number')}: missing")
        unreadable.set_aside(at(path, "messages"), value["messages"], missing)
        return []
    try:
        contacts = contacts_of(value, path)
    except MalformedDelivery as problem:  # the messages are still read; the customers are shown by their numbers
        unreadable.set_aside(at(path, "contacts"), value.get("contacts"), problem)
        contacts = []
    received = []
    for message_path, message in messages:
        try:
            received.append(_received_one(message, message_path, business, contacts, meta_errors, unreadable))
        except MalformedDelivery as problem:  # no readable id, sender or time: nothing to show anyone
            unreadable.set_aside(message_path, message, problem)
    return received


def _received_one(
    message: dict[str, Any],
    path: str,
    business: _Business,
    contacts: list[Contact],
    meta_errors: tuple[WhatsAppError, ...],
    unreadable: Unreadable,
) -> MessageReceivedV2:
    wamid = need(message, "id", path, Wamid)
    customer, contact = sender(message, path, contacts)
    profile_name = contact.name if contact else None
    fields = dict(
        phone_number_id=business.phone_number_id,
        customer=customer,
        wamid=wamid,
        display_phone_number=business.display_phone_number,
        customer_profile_name=profile_name,
        customer_display_name=display_name_for(
            profile_name,
            customer.wa_id,
            username=customer.username,
            user_id=customer.user_id or customer.parent_user_id,
        ),
        sent_at=unix_time(message, "timestamp", path),
    )
    try:
        return build(
            MessageReceivedV2,
            path,
            content=parse_content(message, path),
            context=_context(message, path),
            referral=_referral(message, path),
            **fields,
        )
    except MalformedDelivery as problem:
        kept = build(MessageReceivedV2, path, content=unreadable_content(message, meta_errors), **fields)
        unreadable.set_aside(path, message, problem)
        return kept


def _echoes(
    value: dict[str, Any],
    path: str,
    business: _Business,
    meta_errors: tuple[WhatsAppError, ...],
    unreadable: Unreadable,
) -> list[MessageEchoedV2]:
    echoed = []
    for echo_path, echo in unreadable.objects(value, "message_echoes", path):
        try:
            fields = dict(
                phone_number_id=business.phone_number_id,
                wamid=need(echo, "id", echo_path, Wamid),
                customer=echo_recipient(echo, echo_path),
                sent_at=unix_time(echo, "timestamp", echo_path),
            )
        except MalformedDelivery as problem:
            unreadable.set_aside(echo_path, echo, problem)
            continue
        try:
            echoed.append(build(MessageEchoedV2, echo_path, content=parse_content(echo, echo_path), **fields))
        except MalformedDelivery as problem:
            echoed.append(build(MessageEchoedV2, echo_path, content=unreadable_content(echo, meta_errors), **fields))
            unreadable.set_aside(echo_path, echo, problem)
    return echoed


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
