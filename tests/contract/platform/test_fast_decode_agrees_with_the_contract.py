"""The replay's fast decoder reads every golden example exactly as the contract's own models do, and refuses what
they refuse."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from leadline.events import REGISTRY, Envelope
from leadline.events.golden import golden_examples
from leadline.events.registry import InvalidPayload, UnknownEventType
from leadline.platform import fast_decode

EXAMPLES = [example for event_type in REGISTRY.event_types() for example in golden_examples(event_type)]
ENVELOPE_FIELDS = ("event_id", "type", "schema_version", "occurred_at", "account_id", "stream_id", "sequence")


def test_there_are_examples_to_check():
    assert len(EXAMPLES) > 20


@pytest.mark.parametrize(("case", "envelope"), EXAMPLES, ids=[case for case, _ in EXAMPLES])
def test_each_golden_example_decodes_to_the_registry_payload(case, envelope):
    raw = envelope.to_bytes()
    read, payload = fast_decode.decode(raw)
    ordinary = Envelope.from_bytes(raw)
    assert payload == REGISTRY.decode(ordinary)
    assert type(payload) is REGISTRY.newest(envelope.type)
    assert all(getattr(read, name) == getattr(ordinary, name) for name in ENVELOPE_FIELDS)
    assert read.correlation_id == ordinary.correlation_id and read.causation_id == ordinary.causation_id


def _wire(**changes) -> bytes:
    _, envelope = EXAMPLES[0]
    data = json.loads(envelope.to_bytes()) | changes
    return json.dumps(data).encode()


def test_an_occurrence_in_another_time_zone_is_read_in_utc_as_the_envelope_does():
    read, _ = fast_decode.decode(_wire(occurred_at="2026-11-29T09:00:00-03:00"))
    assert read.occurred_at == Envelope.from_bytes(_wire(occurred_at="2026-11-29T09:00:00-03:00")).occurred_at
    assert read.occurred_at.utcoffset().total_seconds() == 0 and read.occurred_at.hour == 12


@pytest.mark.parametrize(
    "changes",
    [{"occurred_at": "2026-11-29T09:00:00"}, {"sequence": 0}, {"type": "Not A Type"}, {"event_id": "nope"}],
    ids=["naive time", "sequence zero", "bad type", "bad id"],
)
def test_a_malformed_envelope_is_refused_as_the_contract_refuses_it(changes):
    with pytest.raises(ValidationError):
        fast_decode.decode(_wire(**changes))


def test_a_payload_that_breaks_its_model_is_invalid_and_an_unknown_type_is_skipped():
    with pytest.raises(InvalidPayload):
        fast_decode.decode(_wire(payload={"conversation_id": "not a uuid"}))
    with pytest.raises(UnknownEventType):
        fast_decode.decode(_wire(type="somebody.else.happened"))
