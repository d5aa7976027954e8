"""Retired event types (docs/events.md, "Retiring an event type"): still decoded, never produced."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadline.events import REGISTRY
from leadline.events.golden import golden_examples
from leadline.events.topics import TOPICS

REPO = Path(__file__).resolve().parents[2]
RETIRED = sorted(t for t in REGISTRY.event_types() if REGISTRY.newest(t).RETIRED)


def test_the_events_no_product_moment_emits_are_retired_with_their_reason():
    assert RETIRED == ["router.conversation.released", "router.conversation.reopened"]
    assert all(REGISTRY.newest(t).RETIRED.startswith("never emitted") for t in RETIRED)


@pytest.mark.parametrize("event_type", RETIRED)
def test_a_retired_type_still_decodes_what_may_be_stored_of_it(event_type):
    golden = golden_examples(event_type)
    assert golden, f"{event_type} keeps its golden examples"
    for _, envelope in golden:
        assert REGISTRY.decode(envelope).EVENT_TYPE == event_type


@pytest.mark.parametrize("event_type", RETIRED)
def test_no_producer_of_its_topic_emits_a_retired_type(event_type):
    [topic] = [spec for spec in TOPICS.values() if event_type in spec.event_types and spec.dead_letter_of is None]
    model_names = {model.__name__ for model in REGISTRY.models() if model.EVENT_TYPE == event_type}
    for producer in topic.producers:
        for source in (REPO / "services" / producer / "src").rglob("*.py"):
            text = source.read_text()
            named = sorted(name for name in model_names if name in text)
            assert not named, f"{source.relative_to(REPO)} names retired {named}"
