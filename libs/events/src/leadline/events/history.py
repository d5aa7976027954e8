"""Payloads the history service produces: the lead timeline other CRM services display.

Stream: the lead id. History folds router and leads events into one ordered list of
entries per lead; each entry names the event it came from, so re-recording an entry
is recognisable and a consumer can follow it back.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final
from uuid import UUID

from pydantic import model_validator

from leadline.events.common import AgentRef, Direction, UtcDatetime
from leadline.events.content import Content
from leadline.events.envelope import Payload
from leadline.events.leads import Temperature

TIMELINE_ENTRY_RECORDED: Final = "history.timeline.entry_recorded"


class TimelineEntryKind(StrEnum):
    MESSAGE = "message"
    CONVERSION_POINT = "conversion_point"
    TEMPERATURE_CHANGE = "temperature_change"
    CLAIM = "claim"
    TRANSFER = "transfer"
    CONVERSATION_STARTED = "conversation_started"
    CONVERSATION_FINISHED = "conversation_finished"


class TimelineEntryRecordedV1(Payload):
    """An entry was added to a lead's timeline.

    Invariants: a ``message`` entry has its content and direction; a
    ``temperature_change`` entry has the new temperature.
    """

    EVENT_TYPE = TIMELINE_ENTRY_RECORDED

    entry_id: UUID
    lead_id: UUID
    kind: TimelineEntryKind
    at: UtcDatetime
    """When it happened (not when history recorded it)."""
    conversation_id: UUID | None = None
    direction: Direction | None = None
    agent: AgentRef | None = None
    """Who acted: a message's sender, the claiming or transferring agent, the one who finished."""
    content: Content | None = None
    temperature: Temperature | None = None
    """The lead's new temperature, for ``temperature_change``."""
    source_event_id: UUID
    """The ``event_id`` of the router or leads event this entry records."""

    def stream_id(self, account_id: str) -> str:
        return str(self.lead_id)

    @model_validator(mode="after")
    def _kind_has_its_details(self) -> TimelineEntryRecordedV1:
        if self.kind is TimelineEntryKind.MESSAGE and (self.content is None or self.direction is None):
            raise ValueError("a message entry has content and a direction")
        if self.kind is TimelineEntryKind.TEMPERATURE_CHANGE and self.temperature is None:
            raise ValueError("a temperature change entry has the new temperature")
        return self


PAYLOADS: tuple[type[Payload], ...] = (TimelineEntryRecordedV1,)
