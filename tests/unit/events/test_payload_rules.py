"""The rules payloads enforce themselves, so no producer can publish a contradiction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from leadline.events import (
    REGISTRY,
    AgentRef,
    ConversationOpenedV1,
    ConversationReopenedV1,
    ConversationStatusChangedV1,
    LeadConflictDetectedV1,
    LeadConflictResolvedV1,
    LeadCreatedV1,
    MessageAppendedV1,
    MessageSentV1,
    SendRequestedV1,
    TemplateContent,
    TextContent,
    TimelineEntryRecordedV1,
)

AT = datetime(2025, 3, 14, 13, 2, 11, tzinfo=UTC)
CONVERSATION, LEAD, OTHER_LEAD = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
RAFAEL = AgentRef(id="1042", name="Rafael Pereira")
OPENED = dict(
    conversation_id=CONVERSATION, phone_number_id="106540352242922", business_display_number="+55 11 3456-7890",
    customer_wa_id="5511987654321", customer_phone="+5511987654321", customer_display_name="Ana Souza",
    status="new", team_ids=("seminovos",),
)  # fmt: skip
APPENDED = dict(
    conversation_id=CONVERSATION,
    message_id=uuid.uuid4(),
    content=TextContent(body="Olá"),
    sent_at=AT,
    status="unanswered",
)
LEAD_FIELDS = dict(lead_id=LEAD, name="Ana Souza", responsible_agent=RAFAEL, team_id="novos-jeep",
                   conversation_id=CONVERSATION, idempotency_key="add-lead-1")  # fmt: skip


@pytest.mark.parametrize("model", REGISTRY.models(), ids=lambda model: model.__name__)
def test_every_payload_is_frozen_versioned_and_explains_itself(model: type[BaseModel]):
    assert model.model_config["frozen"] and model.model_config["extra"] == "ignore"
    assert model.__name__.endswith(f"V{model.SCHEMA_VERSION}")
    assert model.EVENT_TYPE.split(".")[0] == model.__module__.rsplit(".", 1)[-1].split("_")[0]
    assert model.__doc__ and model.__doc__.strip().splitlines()[0].endswith(".")


def test_a_conversation_an_agent_opened_has_an_owner():
    with pytest.raises(ValidationError, match="opened by agent has an owner"):
        ConversationOpenedV1(**OPENED, opened_by="agent")


def test_a_conversation_a_leads_owner_opened_names_the_lead():
    with pytest.raises(ValidationError, match="names the lead"):
        ConversationOpenedV1(**OPENED, opened_by="lead_owner", owner=RAFAEL)
    assert ConversationOpenedV1(**OPENED, opened_by="lead_owner", owner=RAFAEL, lead_id=LEAD).lead_id == LEAD


def test_an_inbound_message_comes_from_the_customer():
    with pytest.raises(ValidationError, match="inbound message cannot have origin agent"):
        MessageAppendedV1(**APPENDED, direction="inbound", origin="agent", sender=RAFAEL)


def test_an_agents_message_names_its_sender_and_a_phone_echo_needs_none():
    with pytest.raises(ValidationError, match="names its sender"):
        MessageAppendedV1(**APPENDED, direction="outbound", origin="agent")
    assert MessageAppendedV1(**APPENDED, direction="outbound", origin="phone_echo").sender is None


def test_a_status_change_changes_the_status():
    with pytest.raises(ValidationError, match="not a change"):
        ConversationStatusChangedV1(conversation_id=CONVERSATION, from_status="new", to_status="new")


def test_a_reopening_names_the_agent_exactly_when_an_agent_reopened():
    with pytest.raises(ValidationError):
        ConversationReopenedV1(conversation_id=CONVERSATION, reopened_by="agent")
    with pytest.raises(ValidationError):
        ConversationReopenedV1(conversation_id=CONVERSATION, reopened_by="customer", agent=RAFAEL)


def test_a_text_send_carries_the_body_as_sent_and_a_template_needs_none():
    send = dict(
        conversation_id=CONVERSATION,
        request_id=uuid.uuid4(),
        phone_number_id="1",
        to_wa_id="5511987654321",
        agent=RAFAEL,
    )

    with pytest.raises(ValidationError, match="body as sent"):
        SendRequestedV1(**send, content=TextContent(body="Olá"))
    assert SendRequestedV1(**send, content=TemplateContent(name="retomada", language="pt_BR")).body is None


def test_a_lead_can_be_reached_by_mobile_phone_or_email():
    with pytest.raises(ValidationError, match="mobile, a phone or an email"):
        LeadCreatedV1(**LEAD_FIELDS)
    assert LeadCreatedV1(**LEAD_FIELDS, email="ana.souza@gmail.com").email == "ana.souza@gmail.com"


def test_a_lead_phone_is_e164():
    with pytest.raises(ValidationError):
        LeadCreatedV1(**LEAD_FIELDS, mobile="(11) 98765-4321")


def test_a_conflict_is_between_at_least_two_leads_including_this_one():
    conflict = dict(
        lead_id=LEAD, conflict_id=uuid.uuid4(), customer_phone="+5511987654321", team_ids=("seminovos", "novos")
    )

    with pytest.raises(ValidationError):
        LeadConflictDetectedV1(**conflict, lead_ids=(LEAD,))
    with pytest.raises(ValidationError, match="include the lead the event is about"):
        LeadConflictDetectedV1(**conflict, lead_ids=(OTHER_LEAD, uuid.uuid4()))


def test_only_a_unification_names_the_lead_it_keeps():
    resolved = dict(lead_id=LEAD, conflict_id=uuid.uuid4())

    with pytest.raises(ValidationError):
        LeadConflictResolvedV1(**resolved, resolution="unified")
    with pytest.raises(ValidationError):
        LeadConflictResolvedV1(**resolved, resolution="kept_separate", kept_lead_id=LEAD)


def test_a_timeline_message_has_its_content_and_a_temperature_change_its_temperature():
    entry = dict(entry_id=uuid.uuid4(), lead_id=LEAD, at=AT, source_event_id=uuid.uuid4())

    with pytest.raises(ValidationError, match="content and a direction"):
        TimelineEntryRecordedV1(**entry, kind="message", content=TextContent(body="Olá"))
    with pytest.raises(ValidationError, match="new temperature"):
        TimelineEntryRecordedV1(**entry, kind="temperature_change")


def test_payload_times_are_normalised_to_utc_and_must_carry_a_timezone():
    sao_paulo = timezone(timedelta(hours=-3))
    sent = dict(request_id=uuid.uuid4(), conversation_id=CONVERSATION, wamid="wamid.HBgN")

    assert MessageSentV1(**sent, sent_at=AT.astimezone(sao_paulo)).sent_at.tzinfo == UTC
    with pytest.raises(ValidationError, match="timezone"):
        MessageSentV1(**sent, sent_at=datetime(2025, 3, 14, 10, 2, 11))


@pytest.mark.parametrize("wa_id", ["+5511987654321", "55 11 98765-4321", "011987654321"])
def test_a_whatsapp_id_is_bare_digits_with_country_code(wa_id):
    with pytest.raises(ValidationError):
        ConversationOpenedV1(**{**OPENED, "customer_wa_id": wa_id}, opened_by="customer")
