"""Where a customer's conversation goes: a new lead, their lead, or a conflict for an administrator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadline.leads.domain.errors import ConflictAlreadyResolved, LeadNotInConflict
from leadline.leads.domain.unification import (
    AttachToLead,
    Conflict,
    KnownLead,
    LeadConflict,
    NewLead,
    where_the_customer_goes,
)

T0 = datetime(2026, 3, 2, tzinfo=UTC)
SALES = KnownLead("lead-sales", "vendas", T0)
USED = KnownLead("lead-used", "seminovos", T0 + timedelta(days=1))


def test_a_new_customer_gets_a_new_lead_whatever_the_setting():
    for unification in (True, False):
        assert where_the_customer_goes([], team_id="vendas", unification=unification) == NewLead()


def test_with_unification_on_a_known_customer_joins_their_lead_from_any_team():
    assert where_the_customer_goes([SALES], team_id="oficina", unification=True) == AttachToLead("lead-sales")


def test_with_unification_on_a_customer_in_two_teams_is_a_conflict_oldest_lead_first():
    decision = where_the_customer_goes([USED, SALES], team_id="oficina", unification=True)
    assert decision == Conflict(("lead-sales", "lead-used"), ("seminovos", "vendas"))


def test_with_unification_off_each_team_has_its_own_lead():
    assert where_the_customer_goes([SALES], team_id="seminovos", unification=False) == NewLead()
    assert where_the_customer_goes([SALES, USED], team_id="seminovos", unification=False) == AttachToLead("lead-used")


def test_a_conflict_is_resolved_once_keeping_one_of_its_own_leads():
    conflict = LeadConflict("c1", "acme", "+5511987654321", ("lead-sales", "lead-used"), ("seminovos", "vendas"))
    with pytest.raises(LeadNotInConflict):
        conflict.resolve(keep="lead-other", by="diego")
    assert conflict.resolve(keep="lead-sales", by="diego") is True
    assert conflict.merged_lead_ids == ("lead-used",)
    assert conflict.resolve(keep="lead-sales", by="diego") is False, "the same decision again changes nothing"
    with pytest.raises(ConflictAlreadyResolved):
        conflict.resolve(keep="lead-used", by="diego")
