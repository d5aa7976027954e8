"""The lead aggregate: what each command records, and what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadline.leads.domain import events as ev
from leadline.leads.domain.errors import LeadMerged
from leadline.leads.domain.lead import MERGED, Lead
from leadline.leads.domain.temperature import Assessment, Temperature

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ANA, CARLA = ev.AgentRef("ana", "Ana Souza"), ev.AgentRef("carla", "Carla Dias")
POINT = ev.ConversionPoint("conv-1", "1065", "+55 11 4000-0001", "text", "Oi", T0)


def new_lead(lead_id: str = "lead-1") -> Lead:
    lead = Lead.create(
        lead_id,
        "acme",
        details=ev.ContactDetails("João", "+5511987654321"),
        responsible=ANA,
        team_id="vendas",
        conversation_id="conv-1",
        idempotency_key="k",
        point=POINT,
        at=T0,
    )
    return Lead.rehydrate(lead_id, "acme", lead.pending)


def test_adding_a_lead_records_its_creation_and_its_conversion_point():
    lead = Lead.create(
        "lead-1",
        "acme",
        details=ev.ContactDetails("João", "+5511987654321"),
        responsible=ANA,
        team_id="vendas",
        conversation_id="conv-1",
        idempotency_key="k",
        point=POINT,
        at=T0,
    )
    assert [type(e) for e in lead.pending] == [ev.LeadCreated, ev.ConversionPointRecorded]
    assert lead.version == 2 and lead.owner == ANA and lead.customer_phone == "+5511987654321"


def test_a_conversation_is_attached_and_counted_once():
    lead = new_lead()
    second = ev.ConversionPoint("conv-2", "1066", "+55 11 4000-0002", "image", None, T0)
    assert lead.attach_conversation("conv-2", second, at=T0) is True
    assert lead.attach_conversation("conv-2", second, at=T0) is False
    assert lead.attach_conversation("conv-1", POINT, at=T0) is False
    assert [type(e) for e in lead.pending] == [ev.ConversationAttached, ev.ConversionPointRecorded]


def test_a_transfer_names_both_owners_and_teams_and_a_transfer_to_the_owner_is_no_news():
    lead = new_lead()
    assert lead.transfer(ANA, "vendas", at=T0) is False
    assert lead.transfer(CARLA, "seminovos", at=T0) is True
    assert lead.pending == [ev.LeadTransferred(ANA, "vendas", CARLA, "seminovos", T0)]


def test_only_a_different_temperature_is_news():
    lead = new_lead()
    warm = Assessment(Temperature.WARM, ("Cliente escreveu há 1 min",), None)
    assert lead.assess_temperature(warm, at=T0) is True
    assert lead.assess_temperature(Assessment(Temperature.WARM, ("outra razão",), None), at=T0) is False
    assert lead.pending == [ev.TemperatureChanged(None, "warm", ("Cliente escreveu há 1 min",), T0)]


def test_a_lead_merged_by_a_conflict_resolution_takes_no_conversations_and_no_transfers():
    lead = new_lead("lead-2")
    lead.note_conflict("c1", team_ids=("seminovos", "vendas"), lead_ids=("lead-1", "lead-2"), at=T0)
    lead.settle_conflict("c1", kept_lead_id="lead-1", by=ev.AgentRef("diego", "Diego"), at=T0)
    assert lead.status == MERGED and lead.merged_into == "lead-1" and not lead.open_conflicts
    with pytest.raises(LeadMerged):
        lead.attach_conversation("conv-9", None, at=T0)
    with pytest.raises(LeadMerged):
        lead.transfer(CARLA, "seminovos", at=T0)
    assert lead.assess_temperature(Assessment(Temperature.HOT, (), None), at=T0) is False


def test_a_lead_restored_from_its_state_is_the_lead_its_events_fold_to():
    lead = Lead.create(
        "lead-1",
        "acme",
        details=ev.ContactDetails("João", "+5511987654321"),
        responsible=ANA,
        team_id="vendas",
        conversation_id="conv-1",
        idempotency_key="k",
        point=POINT,
        at=T0,
    )
    lead.transfer(CARLA, "seminovos", at=T0)
    lead.assess_temperature(Assessment(Temperature.WARM, ("respondeu rápido",), None), at=T0)
    lead.attach_conversation(
        "conv-2", ev.ConversionPoint("conv-2", "1065", "+55 11 4000-0001", "text", None, T0), at=T0
    )
    lead.note_conflict("conflict-1", team_ids=("vendas", "seminovos"), lead_ids=("lead-1", "lead-2"), at=T0)
    lead.settle_conflict("conflict-1", kept_lead_id="lead-2", by=ANA, at=T0)
    folded = Lead.rehydrate(lead.id, lead.account_id, lead.pending)
    again = Lead.restore(lead.id, lead.account_id, folded.state())
    assert again.state() == folded.state()
    assert again.status == MERGED and again.merged_into == "lead-2"
    assert [p.conversation_id for p in again.state().conversion_points] == ["conv-1", "conv-2"]
    with pytest.raises(LeadMerged):
        again.transfer(ANA, "vendas", at=T0)
