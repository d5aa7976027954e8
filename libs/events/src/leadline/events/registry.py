"""Which model reads which (event type, schema version), and how old versions are upcast.

Consumer tolerance, in the order ``decode`` applies it:

1. An event type the registry does not know raises ``UnknownEventType``: it belongs
   to someone else's consumer, so callers skip it.
2. A ``schema_version`` newer than the newest model raises ``UnsupportedSchemaVersion``
   (versions are majors, so a newer one is by definition incompatible): callers
   dead-letter it and redrive it after upgrading. So does an older version with no
   upcaster path.
3. Older versions are upcast one step at a time to the newest model.
4. Fields the model does not know are ignored: that is how compatible additions travel.
5. A payload that still does not validate raises ``InvalidPayload``: dead-letter it.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import ValidationError

from leadline.events import history, ingest, leads, router, router_integration
from leadline.events.envelope import Envelope, Payload, new_envelope

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns a payload of version N (as a dict) into a payload of version N + 1."""


class UndecodableEvent(Exception):
    """An envelope whose payload this consumer cannot turn into a model.

    ``action`` tells the subscriber what to do: ``skip`` (ack and move on) or
    ``dead_letter`` (publish to ``<topic>.dlq`` with the error, then ack).
    """

    action: ClassVar[Literal["skip", "dead_letter"]] = "dead_letter"

    def __init__(self, envelope: Envelope, reason: str) -> None:
        super().__init__(f"{envelope.type} v{envelope.schema_version} ({envelope.event_id}): {reason}")
        self.envelope = envelope


class UnknownEventType(UndecodableEvent):
    """No model for this event type: not ours to read."""

    action = "skip"


class UnsupportedSchemaVersion(UndecodableEvent):
    """A version this consumer cannot reach: newer than it knows, or with no upcaster path."""


class InvalidPayload(UndecodableEvent):
    """The payload (after upcasting) breaks its model's rules."""


class Registry:
    """Payload models by (event type, schema version), plus the upcasters between versions.

    Invariant: each (type, version) has exactly one model and each (type, from_version)
    at most one upcaster; ``problems()`` reports versions that cannot reach the newest.
    """

    def __init__(self, models: Iterable[type[Payload]] = ()) -> None:
        self._models: dict[tuple[str, int], type[Payload]] = {}
        self._newest: dict[str, type[Payload]] = {}  # decode's hot path: one dict lookup per event
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        for model in models:
            self.register(model)

    def register(self, model: type[Payload]) -> type[Payload]:
        """Add a payload model; usable as a class decorator."""
        key = (model.EVENT_TYPE, model.SCHEMA_VERSION)
        if not model.EVENT_TYPE or model.SCHEMA_VERSION < 1:
            raise ValueError(f"{model.__name__} needs an EVENT_TYPE and a SCHEMA_VERSION >= 1")
        if key in self._models:
            raise ValueError(f"{key} is already read by {self._models[key].__name__}")
        self._models[key] = model
        newest = self._newest.get(model.EVENT_TYPE)
        if newest is None or newest.SCHEMA_VERSION < model.SCHEMA_VERSION:
            self._newest[model.EVENT_TYPE] = model
        return model

    def register_upcaster(self, event_type: str, from_version: int, upcaster: Upcaster) -> None:
        """Add the step from ``from_version`` to ``from_version + 1`` of ``event_type``."""
        key = (event_type, from_version)
        if key in self._upcasters:
            raise ValueError(f"{event_type} already has an upcaster from v{from_version}")
        self._upcasters[key] = upcaster

    def models(self) -> list[type[Payload]]:
        """Every registered model, ordered by event type then version."""
        return [self._models[key] for key in sorted(self._models)]

    def event_types(self) -> list[str]:
        return sorted({event_type for event_type, _ in self._models})

    def versions(self, event_type: str) -> list[int]:
        return sorted(version for known, version in self._models if known == event_type)

    def newest(self, event_type: str) -> type[Payload]:
        """The model ``decode`` returns for this event type."""
        return self._newest[event_type]

    def model(self, event_type: str, version: int) -> type[Payload]:
        return self._models[(event_type, version)]

    def upcasters(self) -> dict[tuple[str, int], Upcaster]:
        return dict(self._upcasters)

    def problems(self) -> list[str]:
        """Versions below the newest that ``decode`` could not upcast; empty when sound."""
        return [
            f"{event_type}: no upcaster from v{version} to v{version + 1}"
            for event_type in self.event_types()
            for version in range(1, self.newest(event_type).SCHEMA_VERSION)
            if (event_type, version) not in self._upcasters
        ]

    def decode(self, envelope: Envelope) -> Payload:
        """The envelope's payload as the newest model of its type; see the module docstring."""
        model = self._newest.get(envelope.type)
        if model is None:
            raise UnknownEventType(envelope, "no model for this event type")
        if envelope.schema_version > model.SCHEMA_VERSION:
            raise UnsupportedSchemaVersion(
                envelope, f"newer than v{model.SCHEMA_VERSION}, the newest this consumer knows"
            )
        data = self._upcast(envelope, model.SCHEMA_VERSION)
        try:
            return model.model_validate(data)
        except ValidationError as error:
            raise InvalidPayload(envelope, str(error)) from error

    def _upcast(self, envelope: Envelope, to_version: int) -> dict[str, Any]:
        if envelope.schema_version == to_version:
            return envelope.payload  # nothing to upcast: validation reads the payload, it never edits it
        data = copy.deepcopy(envelope.payload)  # upcasters may edit in place; the envelope stays intact
        for version in range(envelope.schema_version, to_version):
            upcaster = self._upcasters.get((envelope.type, version))
            if upcaster is None:
                raise UnsupportedSchemaVersion(envelope, f"no upcaster from v{version}")
            try:
                data = upcaster(data)
            except (KeyError, TypeError, ValueError) as error:
                raise InvalidPayload(envelope, f"upcaster from v{version} failed: {error!r}") from error
        return data

    def encode(
        self,
        payload: Payload,
        *,
        account_id: str,
        sequence: int,
        occurred_at: datetime,
        caused_by: Envelope | None = None,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Envelope:
        """Wrap a registered payload in an envelope, on the stream the payload names.

        The stream id is always the payload's own (``Payload.stream_id``), so an event
        cannot be keyed onto another aggregate's partition by mistake.

        ``caused_by`` is the event being reacted to: the new event joins its correlation
        and names it as the cause.
        """
        if self._models.get((payload.EVENT_TYPE, payload.SCHEMA_VERSION)) is not type(payload):
            raise ValueError(f"{type(payload).__name__} is not registered")
        if caused_by is not None:
            correlation_id = correlation_id or caused_by.correlation_id
            causation_id = causation_id or caused_by.event_id
        return new_envelope(
            payload,
            account_id=account_id,
            stream_id=payload.stream_id(account_id),
            sequence=sequence,
            occurred_at=occurred_at,
            correlation_id=correlation_id,
            causation_id=causation_id,
            event_id=event_id,
        )


def default_registry() -> Registry:
    """A fresh registry holding every payload model this package defines."""
    registry = Registry()
    for module in (ingest, router, router_integration, leads, history):
        for model in module.PAYLOADS:
            registry.register(model)
    # Upcasters are registered here; each is a plain function beside its models.
    for event_type in ingest.CHAT_EVENTS:
        registry.register_upcaster(event_type, 1, ingest.upcast_chat_event_v1)
    registry.register_upcaster(router.CONVERSATION_OPENED, 1, router.upcast_conversation_opened_v1)
    registry.register_upcaster(router.SEND_REQUESTED, 1, router.upcast_send_requested_v1)
    registry.register_upcaster(leads.LEAD_CREATED, 1, leads.upcast_lead_created_v1)
    registry.register_upcaster(leads.LEAD_CONFLICT_DETECTED, 1, leads.upcast_lead_conflict_detected_v1)
    return registry


REGISTRY = default_registry()
decode = REGISTRY.decode
encode = REGISTRY.encode
