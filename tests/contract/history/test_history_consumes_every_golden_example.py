"""Every golden example of the topics history reads goes through its handlers, and what it records is publishable."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from leadline.events import REGISTRY
from leadline.events.golden import golden_examples
from leadline.events.history import TimelineEntryRecordedV1
from leadline.events.topics import LEADS_LEADS, ROUTER_CONVERSATIONS, TOPICS, WHATSAPP_INBOUND
from leadline.history.adapters.translate import entry_row, recorded_event
from leadline.history.domain.rules import keep_policy
from leadline.history.service.projection import TimelineProjection

EXAMPLES = [
    example
    for topic in (ROUTER_CONVERSATIONS, LEADS_LEADS, WHATSAPP_INBOUND)
    for event_type in TOPICS[topic].event_types
    for example in golden_examples(event_type)
]


class RecordingStore:
    """The unit-tier fake of ``TimelineStore``: remembers what the handlers asked for."""

    def __init__(self) -> None:
        self.entries, self.staged, self.calls = [], [], []

    async def lock_conversation(self, conversation_id):
        return uuid.UUID(int=1)

    async def map_to_lead(self, conversation_id, lead_id):
        self.calls.append(("map", conversation_id, lead_id))

    async def stage(self, message, account_id):
        self.staged.append(message)

    async def set_staged_wamid(self, message_id, wamid):
        self.calls.append(("wamid", message_id, wamid))

    async def take_staged(self, conversation_id):
        return list(self.staged)

    async def stored_media_by_wamid(self, wamids):
        return {}

    async def remember_media(self, wamid, stored):
        self.calls.append(("media", wamid, stored))

    async def update_message_media(self, message_id, media):
        self.calls.append(("message media", message_id, media))

    async def record(self, entries):
        self.entries.extend(entries)
        return len(entries)


def test_there_are_examples_to_check():
    assert len(EXAMPLES) > 10


@pytest.mark.parametrize(("case", "envelope"), EXAMPLES, ids=[case for case, _ in EXAMPLES])
async def test_each_example_is_handled_and_its_entries_are_valid_timeline_events(case, envelope):
    store = RecordingStore()
    projection = TimelineProjection(keep_policy())
    await projection.handle(store, envelope, REGISTRY.decode(envelope))
    for entry in store.entries:
        row = SimpleNamespace(**entry_row(entry) | {"lead_id": entry.lead_id or uuid.uuid4()})
        recorded = recorded_event(row, sequence=1, occurred_at=envelope.occurred_at, cause=envelope)
        assert isinstance(REGISTRY.decode(recorded), TimelineEntryRecordedV1)
