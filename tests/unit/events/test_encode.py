"""Producers wrap payloads with ``encode``: the stream comes from the payload, the lineage from the cause."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from leadline.events import (
    REGISTRY,
    AccountSettingsChangedV1,
    AgentRef,
    ConversationClaimedV1,
    Envelope,
    LeadTemperatureChangedV1,
    MessageReceivedV2,
    MessageSentV1,
    TextContent,
    TimelineEntryRecordedV1,
    encode,
)
from leadline.events.common import WhatsAppUser
from leadline.events.envelope import Payload

AT = datetime(2025, 3, 14, 13, 2, 11, tzinfo=UTC)
CONVERSATION = uuid.UUID("3f2b6c1e-8a4d-4f7e-9b1a-2c5d7e9f0a13")
LEAD = uuid.UUID("9d1e4b7a-2c3f-4e5d-8a6b-7c8d9e0f1a2b")
RAFAEL = AgentRef(id="1042", name="Rafael Pereira")

RECEIVED = MessageReceivedV2(
    phone_number_id="106540352242922", customer=WhatsAppUser(wa_id="5511987654321", user_id="BR.1502576394655843"),
    wamid="wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNFQjA=", display_phone_number="+55 11 3456-7890",
    customer_profile_name="Ana Souza", customer_display_name="Ana Souza", sent_at=AT,
    content=TextContent(body="Olá! O Compass ainda está disponível?"),
)  # fmt: skip


@pytest.mark.parametrize(
    "payload,stream_id",
    [
        (RECEIVED, "wa:106540352242922:5511987654321"),
        (
            MessageSentV1(request_id=uuid.uuid4(), conversation_id=CONVERSATION, wamid="wamid.X", sent_at=AT),
            str(CONVERSATION),
        ),
        (ConversationClaimedV1(conversation_id=CONVERSATION, agent=RAFAEL, team_id="novos-jeep"), str(CONVERSATION)),
        (
            AccountSettingsChangedV1(process_type=1, lead_unification=True, pool_wait_alert_seconds=600),
            "account:autoprime-sp",
        ),
        (LeadTemperatureChangedV1(lead_id=LEAD, from_temperature=None, to_temperature="warm"), str(LEAD)),
        (
            TimelineEntryRecordedV1(
                entry_id=uuid.uuid4(), lead_id=LEAD, kind="claim", at=AT, source_event_id=uuid.uuid4()
            ),
            str(LEAD),
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Payload) else "",
)
def test_an_event_is_keyed_by_the_stream_its_payload_names(payload: Payload, stream_id: str):
    envelope = encode(payload, account_id="autoprime-sp", sequence=1, occurred_at=AT)

    assert (envelope.stream_id, envelope.key) == (stream_id, stream_id.encode())


def test_an_encoded_event_carries_its_type_and_version_and_round_trips_through_bytes():
    envelope = encode(RECEIVED, account_id="autoprime-sp", sequence=7, occurred_at=AT)

    arrived = Envelope.from_bytes(envelope.to_bytes())

    assert (arrived.type, arrived.schema_version, arrived.sequence) == ("ingest.message.received", 2, 7)
    assert REGISTRY.decode(arrived) == RECEIVED


def test_a_new_event_starts_its_own_correlation():
    envelope = encode(RECEIVED, account_id="autoprime-sp", sequence=1, occurred_at=AT)

    assert (envelope.correlation_id, envelope.causation_id) == (envelope.event_id, None)


def test_an_event_caused_by_another_joins_its_correlation_and_names_it_as_the_cause():
    cause = encode(RECEIVED, account_id="autoprime-sp", sequence=1, occurred_at=AT)

    effect = encode(
        ConversationClaimedV1(conversation_id=CONVERSATION, agent=RAFAEL, team_id="novos-jeep"),
        account_id="autoprime-sp", sequence=2, occurred_at=AT, caused_by=cause,
    )  # fmt: skip

    assert (effect.correlation_id, effect.causation_id) == (cause.correlation_id, cause.event_id)


def test_an_unregistered_payload_cannot_be_encoded():
    class Stray(Payload):
        EVENT_TYPE = "router.conversation.stray"

        def stream_id(self, account_id: str) -> str:
            return "x"

    with pytest.raises(ValueError, match="Stray is not registered"):
        encode(Stray(), account_id="autoprime-sp", sequence=1, occurred_at=AT)


def test_occurred_at_is_stored_in_utc():
    sao_paulo = timezone(timedelta(hours=-3))
    envelope = encode(RECEIVED, account_id="autoprime-sp", sequence=1, occurred_at=AT.astimezone(sao_paulo))

    assert envelope.occurred_at.utcoffset() == timedelta(0)
    assert envelope.occurred_at == AT
