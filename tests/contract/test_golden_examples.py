"""Every golden example is a valid envelope that decodes, and every event version has examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadline.events import REGISTRY, Content, InboundContent, golden_examples
from leadline.events.content import kinds_of
from leadline.events.envelope import Envelope
from leadline.events.ingest import MESSAGE_RECEIVED
from leadline.events.router import MESSAGE_APPENDED

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "libs" / "events" / "examples"
EXAMPLES = golden_examples(directory=EXAMPLES_DIR)
CASES = [pytest.param(envelope, id=name) for name, envelope in EXAMPLES]


def test_the_examples_are_found():
    assert len(EXAMPLES) >= len(REGISTRY.models())


@pytest.mark.parametrize("envelope", CASES)
def test_an_example_is_a_full_envelope_that_decodes_through_the_registry(envelope: Envelope):
    payload = REGISTRY.decode(envelope)

    assert type(payload) is REGISTRY.newest(envelope.type)


@pytest.mark.parametrize("name,envelope", EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_an_example_lives_under_its_own_type_and_version(name: str, envelope: Envelope):
    event_type, version, _ = name.split("/")

    assert (envelope.type, f"v{envelope.schema_version}") == (event_type, version)


@pytest.mark.parametrize("envelope", CASES)
def test_an_example_is_keyed_by_the_stream_its_payload_names(envelope: Envelope):
    payload = REGISTRY.decode(envelope)

    assert envelope.stream_id == payload.stream_id(envelope.account_id)


@pytest.mark.parametrize("envelope", CASES)
def test_an_example_of_the_newest_version_has_no_field_its_model_would_drop(envelope: Envelope):
    if envelope.schema_version != REGISTRY.newest(envelope.type).SCHEMA_VERSION:
        pytest.skip("older versions are upcast, so their fields legitimately differ")

    assert REGISTRY.decode(envelope).model_dump(mode="json") == envelope.payload


@pytest.mark.parametrize("model", REGISTRY.models(), ids=lambda model: f"{model.EVENT_TYPE}/v{model.SCHEMA_VERSION}")
def test_every_registered_event_version_has_a_golden_example(model):
    versions = {(envelope.type, envelope.schema_version) for _, envelope in EXAMPLES}

    assert (model.EVENT_TYPE, model.SCHEMA_VERSION) in versions


@pytest.mark.parametrize("event_type,union", [(MESSAGE_RECEIVED, InboundContent), (MESSAGE_APPENDED, Content)])
def test_message_examples_cover_every_content_kind_the_event_can_carry(event_type, union):
    kinds = {envelope.payload["content"]["kind"] for _, envelope in golden_examples(event_type, EXAMPLES_DIR)}

    assert kinds == set(kinds_of(union))


def test_no_two_examples_share_an_event_id():
    event_ids = [envelope.event_id for _, envelope in EXAMPLES]

    assert len(event_ids) == len(set(event_ids))
