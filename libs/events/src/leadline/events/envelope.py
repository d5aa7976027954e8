"""The one envelope every leadline event travels in, and its JSON wire form.

Invariants:
- ``event_id`` is unique per event; consumers deduplicate on it.
- ``stream_id`` is the aggregate the event belongs to and is also the Kafka key,
  so one aggregate's events stay in one partition, in order.
- ``sequence`` counts the stream's events from 1 without gaps; projections use it
  to skip what they already applied and to report gaps.
- ``schema_version`` is the payload's major version; compatible additions (a new
  optional field) keep it, anything else bumps it and ships an upcaster.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class Payload(BaseModel):
    """Base of every event payload: frozen, and tolerant of fields it does not know.

    Attribute docstrings become field descriptions in the exported JSON Schemas.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", use_attribute_docstrings=True)

    EVENT_TYPE: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[int] = 1
    RETIRED: ClassVar[str] = ""
    """Why no producer emits this type any more (see "Retiring an event type" in docs/events.md); empty while in use."""

    def stream_id(self, account_id: str) -> str:
        """The stream (and Kafka key) this payload belongs to, derived from its own ids.

        Every concrete payload overrides this, so producers cannot key an event
        onto the wrong aggregate; ``account_id`` is only needed by account-wide streams.
        """
        raise TypeError(f"{type(self).__name__} must override stream_id: every payload names the stream it belongs to")


class Envelope(BaseModel):
    """An event on the wire: metadata plus the payload as a plain JSON object.

    The payload stays a dict here so an envelope can be read, routed, logged and
    dead-lettered without knowing its type; ``leadline.events.registry`` turns it
    into the typed, upcast model.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID
    type: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)+$")
    schema_version: int = Field(ge=1)
    occurred_at: AwareDatetime
    account_id: str
    stream_id: str
    sequence: int = Field(ge=1)
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @property
    def key(self) -> bytes:
        """The Kafka key: the stream id, so a stream keeps its order."""
        return self.stream_id.encode()

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes | str) -> Envelope:
        return cls.model_validate_json(raw)


def new_envelope(
    payload: Payload,
    *,
    account_id: str,
    stream_id: str,
    sequence: int,
    occurred_at: datetime,
    correlation_id: uuid.UUID | None = None,
    causation_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
) -> Envelope:
    """Wrap a typed payload; a new correlation starts at the event itself."""
    event_id = event_id or uuid.uuid4()
    return Envelope(
        event_id=event_id,
        type=payload.EVENT_TYPE,
        schema_version=payload.SCHEMA_VERSION,
        occurred_at=occurred_at,
        account_id=account_id,
        stream_id=stream_id,
        sequence=sequence,
        correlation_id=correlation_id or event_id,
        causation_id=causation_id,
        payload=payload.model_dump(mode="json"),
    )
