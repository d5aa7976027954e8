"""The saga's decisions: whose claim a refusal is, what recovery does, who may retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadline.leads.domain.errors import IdempotencyKeyReused
from leadline.leads.domain.events import AgentRef, ContactDetails
from leadline.leads.domain.lead import Agent, may_see_lead, may_transfer_lead
from leadline.leads.domain.saga import (
    AbandonReason,
    AddLeadSaga,
    SagaState,
    claim_is_ours,
    recovery_verdict,
    team_for_lead,
)

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SAGA = AddLeadSaga(
    "acme",
    "key-1",
    "lead-1",
    False,
    "conv-1",
    AgentRef("ana", "Ana"),
    "vendas",
    ContactDetails("João", "+5511987654321"),
    T0,
)


def test_a_refusal_naming_our_own_agent_and_lead_is_our_earlier_claim():
    assert claim_is_ours(SAGA, owner_id="ana", conversation_lead_id="lead-1")
    assert not claim_is_ours(SAGA, owner_id="ana", conversation_lead_id="lead-other")
    assert not claim_is_ours(SAGA, owner_id="bruno", conversation_lead_id="lead-1")


def test_recovery_completes_our_claim_and_abandons_anything_else_saying_why():
    assert recovery_verdict(SAGA, owner_id="ana", conversation_lead_id="lead-1") is None
    assert recovery_verdict(SAGA, owner_id="bruno", conversation_lead_id=None) is AbandonReason.LOST
    assert recovery_verdict(SAGA, owner_id=None, conversation_lead_id=None) is AbandonReason.UNCLAIMED


def test_a_saga_is_stale_once_pending_longer_than_a_request_takes():
    assert not SAGA.is_stale(T0 + timedelta(seconds=9), after=timedelta(seconds=10))
    assert SAGA.is_stale(T0 + timedelta(seconds=10), after=timedelta(seconds=10))
    assert not SAGA.completed().is_stale(T0 + timedelta(hours=1), after=timedelta(seconds=10))


def test_only_an_abandonment_for_want_of_an_answer_may_be_taken_up_again():
    assert SAGA.may_resume
    assert SAGA.abandoned(AbandonReason.UNCLAIMED).may_resume
    assert not SAGA.abandoned(AbandonReason.LOST, {"owner_id": "bruno"}).may_resume
    resumed = SAGA.abandoned(AbandonReason.UNCLAIMED).resumed(T0 + timedelta(minutes=1))
    assert resumed.state is SagaState.PENDING and resumed.started_at == T0 + timedelta(minutes=1)


def test_an_idempotency_key_belongs_to_one_agent_and_one_conversation():
    SAGA.check_same_request(agent_id="ana", conversation_id="conv-1")
    with pytest.raises(IdempotencyKeyReused):
        SAGA.check_same_request(agent_id="bruno", conversation_id="conv-1")
    with pytest.raises(IdempotencyKeyReused):
        SAGA.check_same_request(agent_id="ana", conversation_id="conv-2")


def test_a_lead_is_seen_by_its_owner_its_team_and_admins_of_its_account_only():
    seller = Agent("bruno", "Bruno", "seller", "acme", frozenset({"vendas"}))
    admin = Agent("diego", "Diego", "admin", "acme")
    stranger = Agent("ana", "Ana", "admin", "another", frozenset({"vendas"}))
    assert may_see_lead(seller, account_id="acme", owner_id="ana", team_id="vendas")
    assert not may_see_lead(seller, account_id="acme", owner_id="ana", team_id="seminovos")
    assert may_see_lead(admin, account_id="acme", owner_id="ana", team_id="seminovos")
    assert not may_see_lead(stranger, account_id="acme", owner_id="ana", team_id="vendas")
    assert may_transfer_lead(admin, owner_id="ana") and not may_transfer_lead(seller, owner_id="ana")


def test_the_leads_team_is_the_agents_team_whose_pool_held_the_conversation():
    both = Agent("diego", "Diego", "seller", "acme", frozenset({"vendas", "seminovos"}))
    assert team_for_lead(both, frozenset({"seminovos"})) == "seminovos"
    assert team_for_lead(both, frozenset()) == "seminovos"  # unseen conversation: their first team
    assert team_for_lead(Agent("x", "X", "admin", "acme"), frozenset({"oficina", "vendas"})) == "oficina"
    assert team_for_lead(Agent("y", "Y", "seller", "acme"), frozenset({"vendas"})) is None
