"""Real-shaped Cloud API webhook deliveries: envelopes, statuses, business-app echoes, batching and signing.

A delivery is ``{"object": "whatsapp_business_account", "entry": [...]}``; each entry
is one WhatsApp Business Account with ``changes``; each change has a ``field``
(``messages`` or ``smb_message_echoes``) and a ``value`` whose ``metadata`` names the
business number. Inbound messages travel in ``value.messages`` with the senders in
``value.contacts``; statuses of our own sends in ``value.statuses``; messages the
business typed in the WhatsApp Business app (coexistence) in ``value.message_echoes``
with ``from`` = business number and ``to`` = customer.

Everything here is a pure function of its arguments (plus fresh ids and the clock
when not given) returning plain dicts. The message builders live in
``leadline.fakegraph.inbound_messages`` and are re-exported here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from leadline.fakegraph import ids
from leadline.fakegraph.errors import webhook_error
from leadline.fakegraph.inbound_messages import (  # noqa: F401  (re-exported builders)
    Message,
    audio_message,
    button_reply_message,
    contact_card,
    contacts_message,
    document_message,
    forwarded_context,
    gif_message,
    image_message,
    list_reply_message,
    location_message,
    media_sha256,
    reaction_message,
    reply_context,
    sticker_message,
    system_message,
    template_button_message,
    text_message,
    unrendered_message,
    unsupported_message,
    video_message,
    voice_message,
)

DEFAULT_PROFILE_NAME = "Test Customer"
STATUSES = ("sent", "delivered", "read", "failed")


@dataclass(frozen=True)
class BusinessNumber:
    """The business side of a delivery: which number (and account) a change is about."""

    phone_number_id: str = "106540352242922"
    display_phone_number: str = "15550783881"
    waba_id: str = "102290129340398"

    def metadata(self) -> dict[str, str]:
        return {"display_phone_number": self.display_phone_number, "phone_number_id": self.phone_number_id}


def contact(wa_id: str, profile_name: str | None = DEFAULT_PROFILE_NAME) -> dict[str, Any]:
    """A ``contacts[]`` element; ``profile_name=None`` omits ``profile`` (a customer with no name set)."""
    if profile_name is None:
        return {"wa_id": wa_id}
    return {"profile": {"name": profile_name}, "wa_id": wa_id}


def messages_change(
    business: BusinessNumber, messages: Iterable[Message], contacts: Iterable[dict[str, Any]]
) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": business.metadata(),
        "contacts": list(contacts),
        "messages": list(messages),
    }
    return {"value": value, "field": "messages"}


def statuses_change(
    business: BusinessNumber, statuses: Iterable[dict[str, Any]], contacts: Iterable[dict[str, Any]] = ()
) -> dict[str, Any]:
    """Statuses of our sends; since BSUIDs, ``contacts[]`` (the recipient) rides along all but ``failed`` ones."""
    value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": business.metadata()}
    if contacts := list(contacts):
        value["contacts"] = contacts
    value["statuses"] = list(statuses)
    return {"value": value, "field": "messages"}


def echoes_change(business: BusinessNumber, echoes: Iterable[Message]) -> dict[str, Any]:
    value = {"messaging_product": "whatsapp", "metadata": business.metadata(), "message_echoes": list(echoes)}
    return {"value": value, "field": "smb_message_echoes"}


def errors_change(
    business: BusinessNumber,
    errors: Iterable[dict[str, Any]],
    messages: Iterable[Message] = (),
    contacts: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A ``messages`` change carrying value-level ``errors[]``, alone or beside the messages they are about."""
    value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": business.metadata()}
    if contacts := list(contacts):
        value["contacts"] = contacts
    if messages := list(messages):
        value["messages"] = messages
    value["errors"] = list(errors)
    return {"value": value, "field": "messages"}


UNSUPPORTED_WEBHOOK_PAYLOAD = "Unsupported webhook payload"
"""``error_data.details`` of the 131000 error Meta sends beside a message it could not render."""


def unrendered_errors_change(
    business: BusinessNumber, *messages: Message, contacts: Iterable[dict[str, Any]] = ()
) -> dict[str, Any]:
    """Meta's delivery of messages it could not render (``unrendered_message``): 131000 at the value level."""
    error = webhook_error(131000, details=UNSUPPORTED_WEBHOOK_PAYLOAD)
    return errors_change(business, [error], messages, contacts)


def entry(waba_id: str, changes: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"id": waba_id, "changes": list(changes)}


def delivery(entries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The whole POST body; several entries model Meta batching accounts into one delivery."""
    return {"object": "whatsapp_business_account", "entry": list(entries)}


def status(
    wamid: str,
    state: str,
    recipient_id: str | None,
    *,
    timestamp: str | int | None = None,
    category: str = "service",
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``statuses[]`` element. ``sent``/``delivered`` carry conversation and pricing, ``read`` does not."""
    if state not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {state!r}")
    item: dict[str, Any] = {
        "id": wamid,
        "status": state,
        "timestamp": str(timestamp) if timestamp is not None else ids.unix_now(),
    }
    if recipient_id is not None:  # None: a send to a BSUID (see ``users.py`` for its recipient fields)
        item["recipient_id"] = recipient_id
    if state in ("sent", "delivered"):
        item["conversation"] = {"id": secrets.token_hex(16), "origin": {"type": category}}
        item["pricing"] = {
            "billable": category != "service",
            "pricing_model": "PMP",
            "type": "free_customer_service" if category == "service" else "regular",
            "category": category,
        }
    if errors:
        item["errors"] = errors
    return item


def failed_status(
    wamid: str,
    recipient_id: str | None,
    code: int = 131026,
    *,
    details: str | None = None,
    timestamp: str | int | None = None,
) -> dict[str, Any]:
    """A ``failed`` status carrying Meta's ``errors[{code, title, message, error_data.details, href}]``."""
    return status(wamid, "failed", recipient_id, timestamp=timestamp, errors=[webhook_error(code, details=details)])


def echo_of(message: Message, business: BusinessNumber, to: str, *, wamid: str | None = None) -> Message:
    """Turn a message built for a customer into the echo of the business sending it from the app.

    The echo keeps the message's type and content but is addressed ``from`` the business
    display number ``to`` the customer, with an outbound-shaped wamid unless one is given.
    """
    echo: Message = {"from": business.display_phone_number, "to": to}
    echo.update({k: v for k, v in message.items() if k not in ("from", "context", "errors")})
    echo["id"] = wamid or ids.wamid(to, outbound=True)
    return echo


class WebhookBuilder:
    """Builds complete deliveries for one business number; the common case in one call."""

    def __init__(self, business: BusinessNumber | None = None) -> None:
        self.business = business or BusinessNumber()

    def inbound(self, *messages: Message, profile_name: str | None = DEFAULT_PROFILE_NAME) -> dict[str, Any]:
        """One delivery of customer messages; each distinct sender gets a ``contacts[]`` entry."""
        senders = list(dict.fromkeys(m["from"] for m in messages))
        change = messages_change(self.business, messages, [contact(s, profile_name) for s in senders])
        return delivery([entry(self.business.waba_id, [change])])

    def inbound_from(self, user: Any, *messages: Message) -> dict[str, Any]:
        """One delivery of ``user``'s messages named as Meta names them since BSUIDs (``users.WhatsAppUser``)."""
        change = messages_change(self.business, [user.sending(m) for m in messages], [user.contact()])
        return delivery([entry(self.business.waba_id, [change])])

    def statuses(self, *statuses: dict[str, Any], contacts: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
        return delivery([entry(self.business.waba_id, [statuses_change(self.business, statuses, contacts)])])

    def echoes(self, *echoes: Message) -> dict[str, Any]:
        return delivery([entry(self.business.waba_id, [echoes_change(self.business, echoes)])])

    def batch(self, *changes: dict[str, Any]) -> dict[str, Any]:
        """One entry holding several changes (e.g. a messages change and a statuses change)."""
        return delivery([entry(self.business.waba_id, changes)])


def encode(payload: dict[str, Any]) -> bytes:
    """Serialise a delivery the way Meta does: compact JSON with non-ASCII escaped (``é`` becomes ``\\u00e9``).

    The escaping matters: the signature covers these exact bytes, and a receiver that
    re-serialises (or un-escapes) before verifying computes a different HMAC.
    """
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()


def sign(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` header value for ``body``: ``sha256=`` + hex HMAC-SHA256."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signed_request(payload: dict[str, Any], app_secret: str) -> tuple[bytes, dict[str, str]]:
    """Body bytes and headers of the POST Meta would make for ``payload``."""
    body = encode(payload)
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, app_secret)}
