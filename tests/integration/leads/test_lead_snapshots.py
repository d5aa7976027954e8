"""A lead loads from its kept state; the lead's events stay the truth that state is checked against."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, text, update

from leadline.leads.adapters.lead_store import SqlLeads
from leadline.leads.adapters.snapshots import FORMAT
from leadline.leads.adapters.tables import lead_snapshots
from tests.integration.leads.test_lead_api import new_lead

K = lead_snapshots.c


def store(session) -> SqlLeads:
    return SqlLeads(session, clock=lambda: datetime.now(UTC))


async def test_every_kept_lead_is_the_lead_its_events_fold_to(services, dealer):
    lead_id, _, _ = await new_lead(dealer)
    async with dealer.leads("ana") as owner:
        moved = await owner.post(f"/leads/{lead_id}/transfer", json={"to_agent_id": "carla", "to_team_id": "seminovos"})
    assert moved.status_code == 200, moved.text
    async with services.leads_app.state.runtime.sessions() as session, session.begin():
        # one transaction that holds off appends: other tests of the package may still be writing
        await session.execute(text("LOCK TABLE lead_events IN EXCLUSIVE MODE"))
        kept_ids = [str(lead) for lead in (await session.scalars(select(K.lead_id))).all()]
        for kept_id in kept_ids:
            kept, folded = await store(session).get(kept_id), await store(session).fold(kept_id)
            assert kept.state() == folded.state(), kept_id
            assert kept.account_id == folded.account_id
    assert lead_id in kept_ids
    assert folded.state().version >= 1


async def spoil(services, lead_id: str, **values) -> None:
    async with services.leads_app.state.runtime.sessions() as session, session.begin():
        await session.execute(update(lead_snapshots).where(K.lead_id == uuid.UUID(lead_id)).values(values))


async def kept_row(services, lead_id: str):
    async with services.leads_app.state.runtime.sessions() as session:
        return (await session.execute(select(lead_snapshots).where(K.lead_id == uuid.UUID(lead_id)))).one()


async def test_a_lead_snapshot_of_another_format_unreadable_or_behind_its_stream_is_ignored_and_written_anew(
    services, dealer
):
    lead_id, _, _ = await new_lead(dealer)
    good = await kept_row(services, lead_id)
    spoiled = [
        {"format": "0:before-an-upcaster", "state": {**good.state, "owner": {"id": "nobody", "name": "Ninguém"}}},
        {"state": {"no": "such shape"}},
        {"version": good.version - 1},
    ]
    owners = ["carla", "ana", "carla"]
    for values, to_agent in zip(spoiled, owners, strict=True):
        await spoil(services, lead_id, **values)
        async with services.leads_app.state.runtime.sessions() as session:
            loaded, folded = await store(session).get(lead_id), await store(session).fold(lead_id)
        assert loaded.state() == folded.state(), values
        assert loaded.owner.id != "nobody", "the events' owner, not the spoiled snapshot's"
        team = {"carla": "seminovos", "ana": "vendas"}[to_agent]
        async with dealer.leads("diego") as admin:
            moved = await admin.post(f"/leads/{lead_id}/transfer", json={"to_agent_id": to_agent, "to_team_id": team})
        assert moved.status_code == 200, moved.text
        again = await kept_row(services, lead_id)
        assert again.format == FORMAT and again.version > good.version and again.state["owner"]["id"] == to_agent
        good = again
