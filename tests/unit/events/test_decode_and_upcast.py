"""How a consumer turns an envelope into a typed payload, upcasts old versions, and refuses the rest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from leadline.events import (
    REGISTRY,
    AgentRef,
    ConversationClaimedV1,
    Envelope,
    InvalidPayload,
    Registry,
    UndecodableEvent,
    UnknownEventType,
    UnsupportedSchemaVersion,
    default_registry,
)
from leadline.events.common import AgentId, PersonName
from leadline.events.envelope import Payload
from leadline.events.router import CONVERSATION_CLAIMED

AT = datetime(2025, 3, 14, 13, 2, 11, tzinfo=UTC)
CONVERSATION = uuid.UUID("3f2b6c1e-8a4d-4f7e-9b1a-2c5d7e9f0a13")
RAFAEL = AgentRef(id="1042", name="Rafael Pereira")


def claimed_v1() -> ConversationClaimedV1:
    return ConversationClaimedV1(conversation_id=CONVERSATION, agent=RAFAEL, team_id="novos-jeep")


def envelope(event_type: str, version: int, payload: dict[str, Any]) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(), type=event_type, schema_version=version, occurred_at=AT,
        account_id="autoprime-sp", stream_id=str(CONVERSATION), sequence=1,
        correlation_id=uuid.uuid4(), payload=payload,
    )  # fmt: skip


class ConversationClaimedV2(Payload):
    """A test-only V2: the claiming agent split into flat fields, the team renamed to pool."""

    EVENT_TYPE = CONVERSATION_CLAIMED
    SCHEMA_VERSION = 2

    conversation_id: uuid.UUID
    agent_id: AgentId
    agent_name: PersonName
    pool_team_id: str


def claimed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    agent = data.pop("agent")
    return {**data, "agent_id": agent["id"], "agent_name": agent["name"], "pool_team_id": data["team_id"]}


def registry_with_v2() -> Registry:
    registry = default_registry()
    registry.register(ConversationClaimedV2)
    registry.register_upcaster(CONVERSATION_CLAIMED, 1, claimed_v1_to_v2)
    return registry


def test_a_payload_decodes_to_its_typed_model():
    sent = claimed_v1()

    assert REGISTRY.decode(envelope(CONVERSATION_CLAIMED, 1, sent.model_dump(mode="json"))) == sent


def test_an_unknown_event_type_is_refused_as_something_to_skip():
    with pytest.raises(UnknownEventType) as refused:
        REGISTRY.decode(envelope("billing.invoice.issued", 1, {}))

    assert isinstance(refused.value, UndecodableEvent)
    assert refused.value.action == "skip"


def test_a_newer_major_version_is_refused_so_it_can_be_redriven_after_upgrade():
    with pytest.raises(UnsupportedSchemaVersion) as refused:
        REGISTRY.decode(envelope(CONVERSATION_CLAIMED, 2, {}))

    assert isinstance(refused.value, UndecodableEvent)
    assert refused.value.action == "dead_letter"
    assert "newer than v1" in str(refused.value)


def test_payload_fields_the_model_does_not_know_are_ignored():
    data = {**claimed_v1().model_dump(mode="json"), "claimed_via": "mobile_app"}

    assert REGISTRY.decode(envelope(CONVERSATION_CLAIMED, 1, data)) == claimed_v1()


def test_a_payload_that_breaks_its_model_is_refused_for_the_dead_letter_queue():
    data = {**claimed_v1().model_dump(mode="json"), "conversation_id": "not-a-uuid"}

    with pytest.raises(InvalidPayload) as refused:
        REGISTRY.decode(envelope(CONVERSATION_CLAIMED, 1, data))

    assert refused.value.action == "dead_letter"
    assert "conversation_id" in str(refused.value)


def test_a_v1_payload_is_upcast_to_the_newest_version_the_registry_knows():
    old = envelope(CONVERSATION_CLAIMED, 1, claimed_v1().model_dump(mode="json"))

    decoded = registry_with_v2().decode(old)

    assert decoded == ConversationClaimedV2(
        conversation_id=CONVERSATION, agent_id="1042", agent_name="Rafael Pereira", pool_team_id="novos-jeep"
    )


def test_a_v2_payload_decodes_without_upcasting():
    current = ConversationClaimedV2(
        conversation_id=CONVERSATION, agent_id="1042", agent_name="Rafael", pool_team_id="x"
    )

    assert registry_with_v2().decode(envelope(CONVERSATION_CLAIMED, 2, current.model_dump(mode="json"))) == current


def test_upcasting_applies_every_step_in_order():
    class ConversationClaimedV3(ConversationClaimedV2):
        SCHEMA_VERSION = 3
        shout: str

    registry = registry_with_v2()
    registry.register(ConversationClaimedV3)
    registry.register_upcaster(CONVERSATION_CLAIMED, 2, lambda data: {**data, "shout": data["agent_name"].upper()})

    decoded = registry.decode(envelope(CONVERSATION_CLAIMED, 1, claimed_v1().model_dump(mode="json")))

    assert isinstance(decoded, ConversationClaimedV3)
    assert decoded.shout == "RAFAEL PEREIRA"


def test_upcasting_leaves_the_envelope_as_it_arrived_so_it_can_be_dead_lettered_unchanged():
    old = envelope(CONVERSATION_CLAIMED, 1, claimed_v1().model_dump(mode="json"))
    before = old.model_dump(mode="json")

    registry_with_v2().decode(old)

    assert old.model_dump(mode="json") == before


def test_an_old_version_with_no_upcaster_is_refused_and_reported_as_a_registry_problem():
    registry = default_registry()
    registry.register(ConversationClaimedV2)

    with pytest.raises(UnsupportedSchemaVersion, match="no upcaster from v1"):
        registry.decode(envelope(CONVERSATION_CLAIMED, 1, claimed_v1().model_dump(mode="json")))
    assert registry.problems() == [f"{CONVERSATION_CLAIMED}: no upcaster from v1 to v2"]


def test_an_upcaster_failing_on_a_malformed_old_payload_is_an_invalid_payload():
    with pytest.raises(InvalidPayload, match="upcaster from v1 failed"):
        registry_with_v2().decode(envelope(CONVERSATION_CLAIMED, 1, {"conversation_id": str(CONVERSATION)}))


def test_a_version_cannot_be_read_by_two_models():
    with pytest.raises(ValueError, match="already read by ConversationClaimedV1"):
        default_registry().register(ConversationClaimedV1)


def test_a_step_cannot_have_two_upcasters():
    registry = registry_with_v2()

    with pytest.raises(ValueError, match="already has an upcaster from v1"):
        registry.register_upcaster(CONVERSATION_CLAIMED, 1, claimed_v1_to_v2)


def test_a_model_without_an_event_type_cannot_be_registered():
    class Nameless(Payload):
        pass

    with pytest.raises(ValueError, match="needs an EVENT_TYPE"):
        Registry([Nameless])


def test_the_default_registry_reaches_the_newest_version_of_every_event_type():
    assert REGISTRY.problems() == []
