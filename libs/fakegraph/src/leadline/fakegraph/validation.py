"""Checks a ``POST /{phone_number_id}/messages`` body the way Cloud API does before accepting it.

Pure: a body goes in, an ``AcceptedSend`` or a ``Rejection`` (code, details, optional
Graph message) comes out. We check what Cloud API rejects synchronously; what it
only reports later in a ``failed`` status (an unknown media id, a closed 24-hour
window) is accepted here and left to failure injection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from leadline.fakegraph.ids import digits_of

MESSAGE_TYPES = (
    "text", "image", "audio", "video", "document", "sticker",
    "template", "interactive", "reaction", "location", "contacts",
)  # fmt: skip
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
INTERACTIVE_TYPES = (
    "button", "list", "cta_url", "flow", "product", "product_list",
    "catalog_message", "location_request_message", "call_permission_request",
)  # fmt: skip
TEXT_BODY_LIMIT = 4096
BSUID = re.compile(r"^[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128}$")
"""A business-scoped user id (``BR.1502576394655843``) or a parent one (``BR.ENT.118…``), as Meta documents them."""


@dataclass(frozen=True)
class AcceptedSend:
    """What the fake needs from a valid body: a message to ``to`` (a phone) or ``user_id`` (a BSUID), or a read receipt."""

    kind: str  # "message" or "mark_read"
    to: str | None = None
    wa_id: str | None = None
    type: str | None = None
    user_id: str | None = None
    """The BSUID (or parent BSUID) of ``recipient``, for a send to a customer known only by one."""


@dataclass(frozen=True)
class Rejection:
    """Why Cloud API would answer 400, as the error code plus its ``error_data.details``."""

    code: int
    details: str
    message: str | None = None


def _missing(param: str) -> Rejection:
    return Rejection(131008, f"Parameter '{param}' is required.")


def _invalid(details: str) -> Rejection:
    return Rejection(131009, details)


def validate_send(body: Any) -> AcceptedSend | Rejection:
    if not isinstance(body, dict):
        return Rejection(100, "The request body must be a JSON object.", "(#100) Invalid parameter")
    product = body.get("messaging_product")
    if product is None:
        return Rejection(100, "messaging_product is required.", "(#100) The parameter messaging_product is required.")
    if product != "whatsapp":
        message = f'(#100) Param messaging_product must be one of {{WHATSAPP}} - got "{product}".'
        return Rejection(100, "messaging_product must be whatsapp.", message)
    if body.get("status") == "read":
        if not isinstance(body.get("message_id"), str) or not body["message_id"]:
            return _missing("message_id")
        return AcceptedSend(kind="mark_read")
    if body.get("recipient_type", "individual") not in ("individual", "group"):
        return _invalid("Parameter 'recipient_type' must be 'individual' or 'group'.")
    to, recipient = body.get("to"), body.get("recipient")
    if recipient is not None and not (isinstance(recipient, str) and BSUID.match(recipient)):
        return _invalid("Parameter 'recipient' is not a valid business-scoped user ID.")
    if (to is None or to == "") and recipient:  # Meta: to takes precedence when both are given
        to = None
    elif not isinstance(to, str) or not to.strip():
        return Rejection(100, "to is required.", "(#100) The parameter to is required.")
    elif not digits_of(to):
        return _invalid("Parameter 'to' is not a valid phone number.")
    kind = body.get("type", "text")  # Cloud API defaults an absent type to text
    if kind not in MESSAGE_TYPES:
        allowed = ", ".join(t.upper() for t in MESSAGE_TYPES)
        message = f'(#100) Param type must be one of {{{allowed}}} - got "{kind}".'
        return Rejection(100, f"Unsupported message type '{kind}'.", message)
    context = body.get("context")
    if context is not None and not (isinstance(context, dict) and isinstance(context.get("message_id"), str)):
        return _invalid("Parameter 'context' must be an object with a string 'message_id'.")
    content = body.get(kind)
    problem = _check_contacts(content) if kind == "contacts" else _check_object(kind, content)
    if problem is not None:
        return problem
    if to is None:
        return AcceptedSend(kind="message", to=recipient, wa_id=None, type=kind, user_id=recipient)
    return AcceptedSend(kind="message", to=to, wa_id=digits_of(to), type=kind)


def _check_object(kind: str, content: Any) -> Rejection | None:
    if not isinstance(content, dict):
        return _missing(kind)
    if kind == "text":
        text = content.get("body")
        if not isinstance(text, str) or not text:
            return _missing("text.body")
        if len(text) > TEXT_BODY_LIMIT:
            return _invalid(f"Parameter 'text.body' is longer than {TEXT_BODY_LIMIT} characters.")
    elif kind in MEDIA_TYPES:
        has_id, has_link = bool(content.get("id")), bool(content.get("link"))
        if not (has_id or has_link):
            return _missing(f"{kind}.id' or '{kind}.link")
        if has_id and has_link:
            return _invalid(f"Parameter '{kind}' must have either 'id' or 'link', not both.")
    elif kind == "template":
        if not content.get("name"):
            return _missing("template.name")
        language = content.get("language")
        if not (isinstance(language, dict) and language.get("code")):
            return _missing("template.language.code")
    elif kind == "interactive":
        return _check_interactive(content)
    elif kind == "reaction":
        if not content.get("message_id"):
            return _missing("reaction.message_id")
        if not isinstance(content.get("emoji"), str):  # "" is valid: it removes a reaction
            return _missing("reaction.emoji")
    elif kind == "location":
        for axis in ("latitude", "longitude"):
            if not _is_number(content.get(axis)):
                return _missing(f"location.{axis}")
    return None


def _check_interactive(content: dict[str, Any]) -> Rejection | None:
    subtype = content.get("type")
    if subtype is None:
        return _missing("interactive.type")
    if subtype not in INTERACTIVE_TYPES:
        return _invalid(f"Parameter 'interactive.type' has unsupported value '{subtype}'.")
    if not isinstance(content.get("action"), dict):
        return _missing("interactive.action")
    if subtype in ("button", "list") and not (content.get("body") or {}).get("text"):
        return _missing("interactive.body.text")
    return None


def _check_contacts(content: Any) -> Rejection | None:
    if not isinstance(content, list) or not content:
        return _missing("contacts")
    for index, card in enumerate(content):
        name = card.get("name") if isinstance(card, dict) else None
        if not (isinstance(name, dict) and name.get("formatted_name")):
            return _missing(f"contacts[{index}].name.formatted_name")
    return None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
