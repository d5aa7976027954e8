"""Domain → wire and rows: timeline entries into published events and table rows; staged messages into rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from leadline.events import Envelope, new_envelope
from leadline.events.history import TimelineEntryKind, TimelineEntryRecordedV1

from ..domain.timeline import Entry, StagedMessage

ENTRY_COLUMNS = [
    "entry_id",
    "source_key",
    "lead_id",
    "account_id",
    "conversation_id",
    "kind",
    "at",
    "direction",
    "origin",
    "agent",
    "content",
    "temperature",
    "details",
    "wamid",
    "media_key",
    "text",
    "source_event_id",
]
"""The columns ``entry_row`` fills (all but the computed ``search``)."""


def staged_row(message: StagedMessage, account_id: str) -> dict[str, Any]:
    """A staged message's row in ``staged_messages`` (inserted live one by one, copied in bulk by a rebuild)."""
    return {
        "message_id": message.message_id,
        "conversation_id": message.conversation_id,
        "account_id": account_id,
        "kind": message.kind,
        "direction": message.direction,
        "origin": message.origin,
        "sender": dict(message.sender) if message.sender else None,
        "wamid": message.wamid,
        "content": dict(message.content),
        "text": message.text,
        "sent_at": message.sent_at,
        "source_event_id": message.source_event_id,
    }


def entry_row(entry: Entry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "source_key": entry.source_key,
        "lead_id": entry.lead_id,
        "account_id": entry.account_id,
        "conversation_id": entry.conversation_id,
        "kind": str(entry.kind),
        "at": entry.at,
        "direction": entry.direction,
        "origin": entry.origin,
        "agent": dict(entry.agent) if entry.agent else None,
        "content": dict(entry.content) if entry.content else None,
        "temperature": entry.temperature,
        "details": dict(entry.details),
        "wamid": entry.wamid,
        "media_key": entry.media_key,
        "text": entry.text,
        "source_event_id": entry.source_event_id,
    }


def recorded_event(row: Any, *, sequence: int, occurred_at: datetime, cause: Envelope | None) -> Envelope:
    """``row``: a ``timeline_entries`` row (with its lead)."""
    payload = TimelineEntryRecordedV1(
        entry_id=row.entry_id,
        lead_id=row.lead_id,
        kind=TimelineEntryKind(row.kind),
        at=row.at,
        conversation_id=row.conversation_id,
        direction=row.direction,
        agent=row.agent,
        content=row.content,
        temperature=row.temperature,
        source_event_id=row.source_event_id,
    )
    return new_envelope(
        payload,
        account_id=row.account_id,
        stream_id=str(row.lead_id),
        sequence=sequence,
        occurred_at=occurred_at,
        correlation_id=cause.correlation_id if cause else None,
        causation_id=cause.event_id if cause else None,
        event_id=uuid.uuid5(row.entry_id, "recorded"),
    )
