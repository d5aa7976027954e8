"""Turning what WhatsApp (or an agent) said about a customer into the one customer it is, with their chats joined.

Every handler that meets a customer goes through ``identify_customer``: customer messages, phone echoes, delivery
statuses of our sends, and starts from a lead. The rule itself is ``domain.identity.who_is_writing``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog

from leadline.events.common import WhatsAppUser

from ..domain.events import ConversationOpened
from ..domain.identity import CustomerKeys, WhatsAppName
from .ports import Customer, UnitOfWork

log = structlog.get_logger(__name__)
Normalize = Callable[[str], str]


def whatsapp_name(user: WhatsAppUser) -> WhatsAppName:
    """The contract's WhatsApp user as the domain names it."""
    return WhatsAppName(
        wa_id=user.wa_id, user_id=user.user_id, parent_user_id=user.parent_user_id, username=user.username
    )


def customer_phone_of(wa_id: str, normalize: Normalize) -> str:
    """One person, one contact: the normalised number; a WhatsApp id the numbering plans do not know is still
    a real WhatsApp account, kept as its digits rather than refused (refusing would lose the message)."""
    try:
        return normalize(wa_id)
    except ValueError:
        log.warning("customer number kept as WhatsApp gave it", wa_id=wa_id)
        return f"+{wa_id}"


def shared_on_request(content: dict[str, Any]) -> tuple[str | None, str | None]:
    """(number, wa_id) of the card a customer sent by tapping "request contact info": their own; else (None, None)."""
    if content.get("kind") != "contacts":
        return None, None
    for card in content.get("contacts", ()):
        if card.get("origin") == "contact_request" and card.get("phones"):
            phone = card["phones"][0]
            return phone.get("wa_id") or phone.get("phone"), phone.get("wa_id")
    return None, None


async def identify_customer(
    work: UnitOfWork,
    account_id: str,
    name: WhatsAppName,
    *,
    normalize: Normalize,
    at: datetime,
    phone: str | None = None,
) -> Customer:
    """The customer ``name`` (and ``phone``, a number learned another way) belongs to; merges join their chats.

    Keys are linked only by what WhatsApp says (a webhook, a status, a contact shared on request): a start from a
    lead names one key, never two. A number that is not a phone is the caller's to refuse before coming here.
    """
    number = (
        customer_phone_of(name.wa_id, normalize)
        if name.wa_id
        else (customer_phone_of(phone, normalize) if phone else None)
    )
    keys = CustomerKeys(number, name.user_id, name.parent_user_id)
    found = await work.customers.identify(account_id, keys, wa_id=name.wa_id, username=name.username, at=at)
    decision = found.decision
    for merged in decision.merged:
        detached = await work.chats.merge_customer(account_id, merged, into=decision.customer_id)
        log.info("customers found to be one", customer_id=decision.customer_id, merged=merged, detached=detached)
    if decision.losing_keys:
        log.info(
            "a key changed hands: the BSUID wins", customer_id=decision.customer_id, from_customers=decision.losing_keys
        )
    return found.customer


async def customer_of(
    work: UnitOfWork, account_id: str, opened: ConversationOpened, *, normalize: Normalize, at: datetime
) -> Customer:
    """The customer a conversation is with now (their keys may have grown since it opened)."""
    if opened.customer_id and (customer := await work.customers.current(account_id, opened.customer_id)):
        return customer
    # opened before customers had ids: its number (or BSUID) finds them
    return await identify_customer(
        work, account_id, opened.customer, normalize=normalize, at=at, phone=opened.customer_phone
    )
