"""A conversation gives its state and takes it back: restored, it decides as the fold of its events does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadline.router.domain.agents import Account, Agent, BusinessNumber, Role
from leadline.router.domain.conversation import Conversation
from leadline.router.domain.errors import AlreadyClaimed
from leadline.router.domain.identity import WhatsAppName
from leadline.router.domain.rules import ConversationStatus, Delivery

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ANA = Agent("ana", "Ana Souza", Role.SELLER, frozenset({"vendas"}))
BRUNO = Agent("bruno", "Bruno Lima", Role.SELLER, frozenset({"vendas"}))
ACCOUNT = Account("acme", {"n1": BusinessNumber("n1", "+55 11 4000-0001", "Acme", frozenset({"vendas"}))})


def a_conversation_with_history() -> Conversation:
    conversation = Conversation.open(
        "c1",
        "acme",
        phone_number_id="n1",
        business_display_number="+55 11 4000-0001",
        customer=WhatsAppName(wa_id="5511987654321"),
        customer_id="cust-1",
        customer_phone="+5511987654321",
        customer_display_name="João",
        team_ids={"vendas"},
        owner=None,
        lead_id=None,
        opened_by="customer",
        at=AT,
    )
    conversation.receive_customer_message(
        message_id="m1", wamid="w1", content={"kind": "text", "body": "Oi"}, sent_at=AT, at=AT
    )
    conversation.claim(ANA, ACCOUNT, lead_id="lead-1", at=AT)
    conversation.reply(
        ANA, ACCOUNT, content={"kind": "text", "body": "Olá!"}, request_id="r1", last_customer_message_at=AT, now=AT
    )
    conversation.record_send_result(request_id="r1", wamid="w2", failed=None, at=AT)
    conversation.record_delivery(wamid="w2", status="delivered", error=None, at=AT)
    conversation.pending.clear()
    return conversation


def restored(conversation: Conversation, about: list[str] | None = None) -> Conversation:
    return Conversation.restore(
        conversation.id, conversation.account_id, conversation.state(), conversation.message_facts(about)
    )


def test_restored_from_its_state_and_facts_it_is_the_conversation_it_was():
    conversation = a_conversation_with_history()
    again = restored(conversation)
    assert again.state() == conversation.state()
    assert again.message_facts() == conversation.message_facts()
    assert again.state().status is ConversationStatus.NO_REPLY


def test_the_facts_say_how_each_message_was_named_and_where_it_is():
    facts = {f.message_id: f for f in a_conversation_with_history().message_facts()}
    assert (facts["m1"].wamid, facts["m1"].sent_as, facts["m1"].delivery) == ("w1", None, None)
    assert (facts["r1"].wamid, facts["r1"].sent_as, facts["r1"].requested) == (None, "w2", True)
    assert facts["r1"].delivery is Delivery.DELIVERED


def test_restored_knowing_one_message_it_decides_on_that_message_as_the_whole_conversation_would():
    partial = restored(a_conversation_with_history(), about=["m1"])
    assert not partial.receive_customer_message(
        message_id="m1", wamid="w1", content={"kind": "text", "body": "Oi"}, sent_at=AT, at=AT
    ), "a redelivery stays a redelivery"
    with pytest.raises(AlreadyClaimed):
        partial.claim(BRUNO, ACCOUNT, lead_id=None, at=AT)
    assert partial.receive_customer_message(
        message_id="m3", wamid="w3", content={"kind": "text", "body": "E o preço?"}, sent_at=AT, at=AT
    )
    assert partial.pending_message_ids() == ["m3"]
    assert partial.version == a_conversation_with_history().version + 2, "the message and the status it changed"
