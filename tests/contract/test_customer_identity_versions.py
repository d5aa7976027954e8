"""The v2 chat, opening, send and lead events name customers by phone, BSUID or both; every v1 example still reads.

v1 consumers meet v2 events as the contract's tolerance rules say: a newer major version is dead-lettered
(to be redriven once they upgrade), never misread.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from leadline.events import REGISTRY, Registry, UnsupportedSchemaVersion, golden_examples
from leadline.events.common import WhatsAppUser
from leadline.events.ingest import CHAT_EVENTS, MESSAGE_RECEIVED, MESSAGE_STATUS_CHANGED
from leadline.events.leads import LEAD_CONFLICT_DETECTED, LEAD_CREATED
from leadline.events.router import CONVERSATION_OPENED, SEND_REQUESTED

UPCAST = (*CHAT_EVENTS, CONVERSATION_OPENED, SEND_REQUESTED, LEAD_CREATED, LEAD_CONFLICT_DETECTED)
V1_EXAMPLES = [
    (name, envelope)
    for event_type in UPCAST
    for name, envelope in golden_examples(event_type)
    if envelope.schema_version == 1
]
V2_EXAMPLES = [
    (name, envelope)
    for event_type in UPCAST
    for name, envelope in golden_examples(event_type)
    if envelope.schema_version == 2
]


def test_every_upcast_type_has_examples_of_both_versions():
    assert {e.type for _, e in V1_EXAMPLES} == {e.type for _, e in V2_EXAMPLES} == set(UPCAST)


@pytest.mark.parametrize(
    ("name", "envelope"),
    [e for e in V1_EXAMPLES if e[1].type in CHAT_EVENTS],
    ids=[n for n, e in V1_EXAMPLES if e.type in CHAT_EVENTS],
)
def test_a_v1_chat_fact_reads_as_v2_with_its_phone_as_the_customer_and_the_same_stream(name, envelope):
    payload = REGISTRY.decode(envelope)

    assert payload.SCHEMA_VERSION == 2
    assert payload.customer == WhatsAppUser(wa_id=envelope.payload["customer_wa_id"])
    assert payload.stream_id(envelope.account_id) == envelope.stream_id


@pytest.mark.parametrize("name", [n for n, e in V1_EXAMPLES if e.type == CONVERSATION_OPENED])
def test_a_v1_opening_reads_as_v2_naming_the_customer_by_phone_and_no_customer_id(name):
    envelope = dict(golden_examples(CONVERSATION_OPENED))[name]
    opened = REGISTRY.decode(envelope)

    assert opened.customer.wa_id == envelope.payload["customer_wa_id"]
    assert str(opened.customer_phone) == envelope.payload["customer_phone"]
    assert opened.customer_id is None


@pytest.mark.parametrize("name", [n for n, e in V1_EXAMPLES if e.type == SEND_REQUESTED])
def test_a_v1_send_request_reads_as_v2_sent_to_the_same_phone(name):
    envelope = dict(golden_examples(SEND_REQUESTED))[name]

    assert REGISTRY.decode(envelope).to == WhatsAppUser(wa_id=envelope.payload["to_wa_id"])


def test_a_v1_lead_reads_as_v2_with_no_whatsapp_user_id():
    for _, envelope in [e for e in V1_EXAMPLES if e[1].type == LEAD_CREATED]:
        lead = REGISTRY.decode(envelope)
        assert lead.whatsapp_user_id is None and str(lead.mobile) == envelope.payload["mobile"]


def _v1_only() -> Registry:
    registry = Registry()
    for model in REGISTRY.models():
        if model.SCHEMA_VERSION == 1:
            registry.register(model)
    return registry


@pytest.mark.parametrize(("name", "envelope"), V2_EXAMPLES, ids=[n for n, _ in V2_EXAMPLES])
def test_a_consumer_that_knows_only_v1_dead_letters_a_v2_event_instead_of_misreading_it(name, envelope):
    with pytest.raises(UnsupportedSchemaVersion) as refused:
        _v1_only().decode(envelope)

    assert refused.value.action == "dead_letter"


def test_a_message_from_a_username_without_a_phone_is_keyed_by_its_bsuid():
    _, envelope = next(e for e in V2_EXAMPLES if e[0].endswith("text_from_a_username_without_phone"))
    received = REGISTRY.decode(envelope)

    assert received.customer.wa_id is None and received.customer.username == "joana.carros"
    assert envelope.stream_id == f"wa:{received.phone_number_id}:BR.1502576394655843"


def test_a_status_of_a_send_to_a_bsuid_needs_no_phone():
    statuses = [REGISTRY.decode(e) for n, e in V2_EXAMPLES if e.type == MESSAGE_STATUS_CHANGED]

    assert any(status.customer.wa_id is None for status in statuses)


def test_a_chat_fact_must_name_the_customer_somehow():
    with pytest.raises(ValidationError, match="named by a phone"):
        WhatsAppUser(username="joana.carros")


@pytest.mark.parametrize("bsuid", ["BR.1502576394655843", "US.ENT.11815799212886844830", "IN.abcDEF123"])
def test_bsuids_and_parent_bsuids_as_meta_documents_them_are_accepted(bsuid):
    assert WhatsAppUser(user_id=bsuid).chat_key == bsuid


@pytest.mark.parametrize("not_a_bsuid", ["1502576394655843", "br.150257", "BR.", "BR.15025-76", "BRA.150257"])
def test_anything_else_is_not_a_bsuid(not_a_bsuid):
    with pytest.raises(ValidationError):
        WhatsAppUser(user_id=not_a_bsuid)


def test_a_chat_is_keyed_by_the_phone_when_whatsapp_shares_it_so_existing_chats_keep_their_stream():
    assert WhatsAppUser(wa_id="5511987651234", user_id="BR.1502576394655843").chat_key == "5511987651234"


def test_the_newest_received_model_is_v2():
    assert REGISTRY.newest(MESSAGE_RECEIVED).SCHEMA_VERSION == 2
