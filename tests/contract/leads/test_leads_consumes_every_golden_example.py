"""Every golden example of an event the leads service reads goes through its translation without surprise."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import pytest

from leadline.events import REGISTRY, MessageAppendedV1
from leadline.events.golden import golden_examples
from leadline.events.leads import PAYLOADS as LEAD_PAYLOADS
from leadline.events.router import PAYLOADS as CONVERSATION_PAYLOADS
from leadline.events.router_integration import PAYLOADS as ACCOUNT_PAYLOADS
from leadline.leads.adapters.translate import to_domain, to_payload
from leadline.leads.domain.activity import ConversationActivity
from leadline.leads.service.ports import ConversationRecord
from leadline.leads.service.router_events import FOLLOWED, fold_conversation


def examples_of(payloads) -> list:
    return [example for model in payloads for example in golden_examples(model.EVENT_TYPE)]


CONVERSATIONS, ACCOUNTS, LEADS = (
    examples_of(CONVERSATION_PAYLOADS),
    examples_of(ACCOUNT_PAYLOADS),
    examples_of(LEAD_PAYLOADS),
)


def ids(examples) -> list[str]:
    return [case for case, _ in examples]


def test_there_are_examples_to_check():
    assert CONVERSATIONS and ACCOUNTS and LEADS


@pytest.mark.parametrize(("case", "envelope"), CONVERSATIONS, ids=ids(CONVERSATIONS))
def test_each_conversation_example_folds_into_what_the_leads_service_keeps(case, envelope):
    payload = REGISTRY.decode(envelope)
    before = ConversationRecord(
        envelope.stream_id, envelope.account_id, activity=ConversationActivity(envelope.stream_id)
    )
    after = fold_conversation(before, payload, envelope.occurred_at)
    assert after.conversation_id == envelope.stream_id
    if isinstance(payload, MessageAppendedV1):
        inbound = payload.direction == "inbound"
        assert after.activity.customer_messages == (1 if inbound else 0)
        assert (after.first_message_kind == payload.content.kind) is inbound
    # folding is deterministic: the same event on the same state gives the same state
    assert fold_conversation(replace(before), payload, envelope.occurred_at) == after
    # the consumer passes over the types it does not follow without decoding them: they must change nothing
    if envelope.type not in FOLLOWED:
        of_a_lead = replace(before, lead_id=str(uuid4()), first_message_at=envelope.occurred_at)
        assert after == before
        assert fold_conversation(of_a_lead, payload, envelope.occurred_at) == of_a_lead


def test_the_followed_conversation_events_are_the_router_s():
    assert FOLLOWED <= {model.EVENT_TYPE for model in CONVERSATION_PAYLOADS}


@pytest.mark.parametrize(("case", "envelope"), ACCOUNTS, ids=ids(ACCOUNTS))
def test_each_account_example_is_a_kind_the_directory_learns(case, envelope):
    assert type(REGISTRY.decode(envelope)) in ACCOUNT_PAYLOADS


@pytest.mark.parametrize(("case", "envelope"), LEADS, ids=ids(LEADS))
def test_the_lead_event_store_reads_back_every_lead_example_as_published(case, envelope):
    payload = REGISTRY.decode(envelope)
    assert to_payload(envelope.stream_id, to_domain(payload, envelope.occurred_at)) == payload
