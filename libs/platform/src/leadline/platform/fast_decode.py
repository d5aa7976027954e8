"""Decoding a record's envelope and payload at replay speed, with the contract's models as the judge.

A replay reads hundreds of thousands of events, and building a pydantic ``Envelope`` for each (its payload as a
dict, then the payload model from that dict) costs more than everything else it does. Here msgspec reads the
envelope (validated: the same types and bounds as ``leadline.events.Envelope``) and keeps the payload's JSON
text, which the payload's own pydantic model then validates directly. So the payload is still exactly the
contract's model; only the envelope is read by other code, and it is never the judge of a doubtful record: one
msgspec refuses, or of an older schema version (upcast first), goes the ordinary way (``Envelope.from_bytes`` and
``REGISTRY.decode``), which decides (and raises) as the live consumers do.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import msgspec

from leadline.events import REGISTRY, Envelope
from leadline.events.envelope import Payload
from leadline.events.registry import UnknownEventType


class WireEnvelope(msgspec.Struct):
    """The fields of ``leadline.events.Envelope`` a projection reads (unknown fields ignored, as there)."""

    event_id: uuid.UUID
    type: Annotated[str, msgspec.Meta(pattern=r"^[a-z_]+(\.[a-z_]+)+$")]
    schema_version: Annotated[int, msgspec.Meta(ge=1)]
    occurred_at: Annotated[datetime, msgspec.Meta(tz=True)]
    account_id: str
    stream_id: str
    sequence: Annotated[int, msgspec.Meta(ge=1)]
    correlation_id: uuid.UUID
    payload: msgspec.Raw
    causation_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is not UTC:
            self.occurred_at = self.occurred_at.astimezone(UTC)  # as Envelope's validator does


_read_envelope = msgspec.json.Decoder(WireEnvelope).decode


def decode(raw: bytes) -> tuple[WireEnvelope | Envelope, Payload]:
    """The record's envelope and its payload as the newest model of its type.

    Raises what the ordinary path raises: ``pydantic.ValidationError`` for a malformed envelope,
    ``UnknownEventType`` / ``UndecodableEvent`` for a payload this consumer cannot read.
    """
    try:
        envelope = _read_envelope(raw)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return _the_ordinary_way(raw)
    try:
        model = REGISTRY.newest(envelope.type)
    except KeyError:
        raise UnknownEventType(envelope, "no model for this event type") from None  # type: ignore[arg-type]
    if envelope.schema_version != model.SCHEMA_VERSION:
        return _the_ordinary_way(raw)  # an upcast (or a version too new to read): the registry decides
    try:
        return envelope, model.model_validate_json(bytes(envelope.payload))
    except ValueError:
        return _the_ordinary_way(raw)


def _the_ordinary_way(raw: bytes) -> tuple[Envelope, Payload]:
    envelope = Envelope.from_bytes(raw)
    return envelope, REGISTRY.decode(envelope)
