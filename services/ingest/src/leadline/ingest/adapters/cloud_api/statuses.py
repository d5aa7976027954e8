"""``statuses[]`` of our own sends and Meta's ``errors[]`` objects, read into contract payloads."""

from __future__ import annotations

from typing import Any

from leadline.events.common import Wamid
from leadline.events.ingest import (
    BillingConversation,
    DeliveryStatus,
    MessageStatusChangedV2,
    Pricing,
    WhatsAppError,
)
from leadline.ingest.adapters.cloud_api.reading import MalformedDelivery, at, build, items, maybe, need, unix_time
from leadline.ingest.adapters.cloud_api.unreadable import Unreadable
from leadline.ingest.adapters.cloud_api.whatsapp_users import Contact, contacts_of, recipient

_KNOWN_STATUSES = frozenset(status.value for status in DeliveryStatus)


def whatsapp_errors(parent: dict[str, Any], path: str) -> tuple[WhatsAppError, ...]:
    """``parent.errors[]``: ``{code, title, message, error_data: {details}, href}``; ``href`` is dropped."""
    errors = []
    for error_path, error in items(parent, "errors", path):
        error_data = maybe(error, "error_data", error_path, dict, {})
        errors.append(
            build(
                WhatsAppError,
                error_path,
                code=need(error, "code", error_path, int),
                title=need(error, "title", error_path),
                message=maybe(error, "message", error_path),
                details=maybe(error_data, "details", at(error_path, "error_data")),
            )
        )
    return tuple(errors)


def parse_statuses(
    value: dict[str, Any], path: str, phone_number_id: str, unreadable: Unreadable
) -> tuple[list[MessageStatusChangedV2], list[str]]:
    """``value.statuses[]`` in the order Meta listed them, plus ``status:<value>`` for each status we skip.

    Statuses are not sorted: they arrive out of order by nature and the consumer never moves
    a status backwards. A status value outside the contract (``deleted``, ``warning``...) is
    skipped rather than failing the delivery, so one new Meta status cannot block the others;
    a status that cannot be read is set aside in ``unreadable`` for the same reason.
    """
    changed: list[MessageStatusChangedV2] = []
    skipped: list[str] = []
    try:
        contacts = contacts_of(value, path) if value.get("statuses") else []
    except MalformedDelivery as problem:  # the statuses are still read from their own recipient fields
        unreadable.set_aside(at(path, "contacts"), value.get("contacts"), problem)
        contacts = []
    for status_path, status in unreadable.objects(value, "statuses", path):
        try:
            state = need(status, "status", status_path)
            if state not in _KNOWN_STATUSES:
                skipped.append(f"status:{state}")
                continue
            changed.append(_status_changed(status, status_path, DeliveryStatus(state), phone_number_id, contacts))
        except MalformedDelivery as problem:
            unreadable.set_aside(status_path, status, problem)
    return changed, skipped


def _status_changed(
    status: dict[str, Any], path: str, state: DeliveryStatus, phone_number_id: str, contacts: list[Contact]
) -> MessageStatusChangedV2:
    return build(
        MessageStatusChangedV2,
        path,
        phone_number_id=phone_number_id,
        wamid=need(status, "id", path, Wamid),
        status=state,
        customer=recipient(status, path, contacts),
        at=unix_time(status, "timestamp", path),
        errors=whatsapp_errors(status, path),
        conversation=_conversation(status, path),
        pricing=_pricing(status, path),
    )


def _conversation(status: dict[str, Any], path: str) -> BillingConversation | None:
    """``conversation``: Meta sends it with ``sent`` and one of ``delivered``/``read`` (not at all on v24+)."""
    conversation = maybe(status, "conversation", path, dict)
    if conversation is None:
        return None
    path = at(path, "conversation")
    origin = need(conversation, "origin", path, dict)
    return build(
        BillingConversation,
        path,
        id=need(conversation, "id", path),
        category=need(origin, "type", at(path, "origin")),
        expires_at=unix_time(conversation, "expiration_timestamp", path, required=False),
    )


def _pricing(status: dict[str, Any], path: str) -> Pricing | None:
    pricing = maybe(status, "pricing", path, dict)
    if pricing is None:
        return None
    path = at(path, "pricing")
    return build(
        Pricing,
        path,
        billable=need(pricing, "billable", path, bool),
        pricing_model=need(pricing, "pricing_model", path),
        category=need(pricing, "category", path),
    )
