"""A lead's timeline: entries, where each comes from, and what a finished conversation adds.

Invariants:
- every entry has one source key (a message id, or the id of the event it records), and its
  ``entry_id`` is derived from that key: recording the same source twice is recognisable, and a
  rebuild gives every entry the id it had.
- messages join the timeline only when their conversation is finished, and only kinds the
  ``KeepPolicy`` keeps; media is referenced by our stored copy, never by WhatsApp's address.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .rules import KeepPolicy

ENTRY_NAMESPACE = uuid.UUID("6f1c1d38-2a43-4d59-9c61-4f5a0a6c7e21")


class EntryKind(enum.StrEnum):
    MESSAGE = "message"
    CONVERSION_POINT = "conversion_point"
    TEMPERATURE_CHANGE = "temperature_change"
    CLAIM = "claim"
    TRANSFER = "transfer"
    CONVERSATION_STARTED = "conversation_started"
    CONVERSATION_FINISHED = "conversation_finished"


def message_source(message_id: uuid.UUID) -> str:
    return f"message:{message_id}"


def event_source(event_id: uuid.UUID) -> str:
    return f"event:{event_id}"


def entry_id_for(source_key: str) -> uuid.UUID:
    """Deterministic: the same source always makes the same entry id (live or rebuilt)."""
    return uuid.uuid5(ENTRY_NAMESPACE, source_key)


@dataclass(frozen=True)
class StagedMessage:
    """A message of a conversation not finished yet, waiting in the staging buffer."""

    message_id: uuid.UUID
    conversation_id: uuid.UUID
    kind: str
    direction: str
    origin: str
    sent_at: datetime
    content: Mapping[str, Any]
    """The content as the contract spells it (a plain mapping: the domain knows no wire models)."""
    source_event_id: uuid.UUID
    sender: Mapping[str, str] | None = None
    wamid: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Entry:
    """One line of a lead's timeline. ``lead_id`` is None until the conversation's lead is known."""

    source_key: str
    kind: EntryKind
    at: datetime
    account_id: str
    source_event_id: uuid.UUID
    lead_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None
    direction: str | None = None
    origin: str | None = None
    agent: Mapping[str, str] | None = None
    content: Mapping[str, Any] | None = None
    temperature: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    wamid: str | None = None
    media_key: str | None = None
    text: str | None = None

    @property
    def entry_id(self) -> uuid.UUID:
        return entry_id_for(self.source_key)


def stored_media_of(content: Mapping[str, Any]) -> Mapping[str, Any] | None:
    media = content.get("media")
    return media.get("stored") if isinstance(media, Mapping) else None


def with_stored_media(content: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The content pointing at our stored copy; the one way both live and rebuilt entries get it."""
    media = dict(content.get("media") or {})
    media["stored"] = dict(stored)
    media["unavailable"] = None  # a copy we hold is available, whatever a fetch said before
    return {**content, "media": media}


def with_media(content: Mapping[str, Any], media: Mapping[str, Any]) -> dict[str, Any]:
    """The content with its media as it now stands (stored, not available and why, or being fetched again)."""
    return {**content, "media": dict(media)}


def media_key_of(media: Mapping[str, Any]) -> str | None:
    stored = media.get("stored")
    return stored.get("key") if isinstance(stored, Mapping) else None


def message_entry(
    message: StagedMessage,
    *,
    account_id: str,
    lead_id: uuid.UUID | None,
    stored_by_wamid: Mapping[str, Mapping[str, Any]],
) -> Entry:
    content: Mapping[str, Any] = message.content
    if (
        "media" in content
        and stored_media_of(content) is None
        and message.wamid is not None
        and message.wamid in stored_by_wamid
    ):
        content = with_stored_media(content, stored_by_wamid[message.wamid])
    stored = stored_media_of(content)
    return Entry(
        source_key=message_source(message.message_id),
        kind=EntryKind.MESSAGE,
        at=message.sent_at,
        account_id=account_id,
        source_event_id=message.source_event_id,
        lead_id=lead_id,
        conversation_id=message.conversation_id,
        direction=message.direction,
        origin=message.origin,
        agent=message.sender if message.origin == "agent" else None,
        content=content,
        wamid=message.wamid,
        media_key=stored.get("key") if stored else None,
        text=message.text,
    )


def entries_of_finished_conversation(
    staged: Iterable[StagedMessage],
    policy: KeepPolicy,
    *,
    account_id: str,
    lead_id: uuid.UUID | None,
    stored_by_wamid: Mapping[str, Mapping[str, Any]],
) -> list[Entry]:
    """What a finish adds: the kept messages among those staged since the last finish, oldest first."""
    kept = [message for message in staged if policy.keeps(message.kind)]
    kept.sort(key=lambda message: (message.sent_at, str(message.message_id)))
    return [message_entry(m, account_id=account_id, lead_id=lead_id, stored_by_wamid=stored_by_wamid) for m in kept]
