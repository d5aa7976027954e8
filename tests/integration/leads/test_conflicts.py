"""A customer with leads in two teams: saving is refused until an administrator assigns the lead to one agent."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from leadline.events import LEAD_CONFLICT_DETECTED, LEAD_CONFLICT_RESOLVED, LEAD_CREATED, LEAD_TRANSFERRED
from leadline.leads.adapters.tables import add_lead_sagas

CUSTOMER = "5511987650301"


async def customer_in_two_teams(services):
    """Leads in Vendas and Seminovos (made while unification was off), then unification switched on."""
    dealer = await services.dealer(unification=False)
    sales = (await dealer.add_lead("ana", await dealer.customer_writes(CUSTOMER), mobile=CUSTOMER)).json()["lead_id"]
    used = (
        await dealer.add_lead("carla", await dealer.customer_writes(CUSTOMER, number=dealer.used_cars), mobile=CUSTOMER)
    ).json()["lead_id"]
    await dealer.configure(unification=True)
    return dealer, sales, used


async def test_saving_a_customer_who_is_in_two_teams_is_refused_naming_the_teams_and_nothing_changes(services):
    dealer, sales, used = await customer_in_two_teams(services)
    conversation_id = await dealer.customer_writes(CUSTOMER, number=dealer.workshop)

    refused = await dealer.add_lead("elisa", conversation_id, mobile=CUSTOMER, key="elisa-1")
    again = await dealer.add_lead("elisa", conversation_id, mobile=CUSTOMER, key="elisa-2")
    assert refused.status_code == again.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "lead_conflict"
    assert error["message"] == (
        "this customer is registered in teams Seminovos and Vendas; an administrator must assign the lead to one agent"
    )
    assert set(error["details"]["lead_ids"]) == {sales, used}
    assert error["details"]["team_names"] == ["Seminovos", "Vendas"], "the page says it in its own language"
    assert again.json()["error"]["details"]["conflict_id"] == error["details"]["conflict_id"]

    async with dealer.router("diego") as admin:
        assert (await admin.get(f"/conversations/{conversation_id}")).json()["owner_id"] is None, "nobody claimed it"
    async with services.leads_app.state.runtime.sessions() as session:
        assert (
            await session.scalar(
                select(func.count())
                .select_from(add_lead_sagas)
                .where(add_lead_sagas.c.agent_id == "elisa", add_lead_sagas.c.account_id == dealer.account_id)
            )
            == 0
        )
    [detected] = await dealer.published(event_type=LEAD_CONFLICT_DETECTED)
    assert detected["stream_id"] == sales, "announced once, on the customer's oldest lead"
    assert detected["payload"]["customer_phone"] == "+" + CUSTOMER
    assert len(await dealer.published(event_type=LEAD_CREATED)) == 2


async def test_the_form_says_so_before_anything_is_typed_and_the_administrators_see_the_conflict_at_once(services):
    dealer, sales, used = await customer_in_two_teams(services)
    conversation_id = await dealer.customer_writes(CUSTOMER, number=dealer.workshop)
    async with dealer.leads("elisa") as elisa:
        form = (await elisa.get(f"/conversations/{conversation_id}/lead-form")).json()
        again = (await elisa.get(f"/conversations/{conversation_id}/lead-form")).json()
    assert form["saving"] == "conflict" and form["existing_lead"] is None
    assert form["conflict"]["team_names"] == ["Seminovos", "Vendas"]
    assert again["conflict"]["conflict_id"] == form["conflict"]["conflict_id"], "recorded once"
    async with dealer.leads("diego") as admin:
        listed = (await admin.get("/admin/conflicts")).json()
    assert [c["conflict_id"] for c in listed] == [form["conflict"]["conflict_id"]], "before anyone tried to save"
    assert len(await dealer.published(event_type=LEAD_CONFLICT_DETECTED)) == 1


async def test_an_administrator_assigns_the_lead_to_one_agent_and_then_adding_works(services):
    dealer, sales, used = await customer_in_two_teams(services)
    conversation_id = await dealer.customer_writes(CUSTOMER, number=dealer.workshop)
    conflict_id = (await dealer.add_lead("elisa", conversation_id, mobile=CUSTOMER, key="elisa")).json()["error"][
        "details"
    ]["conflict_id"]

    async with dealer.leads("diego") as admin:
        listed = (await admin.get("/admin/conflicts")).json()
        resolved = await admin.post(
            f"/admin/conflicts/{conflict_id}/resolve", json={"lead_id": sales, "agent_id": "elisa"}
        )
        repeated = await admin.post(
            f"/admin/conflicts/{conflict_id}/resolve", json={"lead_id": sales, "agent_id": "elisa"}
        )
        contradicted = await admin.post(
            f"/admin/conflicts/{conflict_id}/resolve", json={"lead_id": used, "agent_id": "ana"}
        )
    assert [c["conflict_id"] for c in listed] == [conflict_id]
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["responsible_agent"] == {"id": "elisa", "name": "Elisa Rocha"}
    assert resolved.json()["team_id"] == "oficina"
    assert repeated.status_code == 200
    assert contradicted.status_code == 409 and contradicted.json()["error"]["code"] == "conflict_already_resolved"

    [transfer] = await dealer.published(sales, LEAD_TRANSFERRED)
    assert transfer["payload"]["from_agent"]["id"] == "ana" and transfer["payload"]["to_agent"]["id"] == "elisa"
    resolutions = await dealer.published(event_type=LEAD_CONFLICT_RESOLVED)
    assert {e["stream_id"] for e in resolutions} == {sales, used}
    assert {e["payload"]["kept_lead_id"] for e in resolutions} == {sales}
    merged = await dealer.lead(used)
    assert merged["status"] == "merged" and merged["merged_into"] == sales

    added = await dealer.add_lead("elisa", conversation_id, mobile=CUSTOMER, key="elisa")
    assert added.status_code == 200 and added.json() == {**added.json(), "lead_id": sales, "attached": True}


async def test_only_an_administrator_of_the_account_resolves_a_conflict(services):
    dealer, sales, _ = await customer_in_two_teams(services)
    conflict_id = (
        await dealer.add_lead("elisa", await dealer.customer_writes(CUSTOMER, number=dealer.workshop), mobile=CUSTOMER)
    ).json()["error"]["details"]["conflict_id"]
    body = {"lead_id": sales, "agent_id": "elisa"}
    another_dealer = await services.dealer()
    async with dealer.leads("ana") as seller, another_dealer.leads("diego") as other_admin:
        assert (await seller.post(f"/admin/conflicts/{conflict_id}/resolve", json=body)).status_code == 403
        assert (await other_admin.post(f"/admin/conflicts/{conflict_id}/resolve", json=body)).status_code == 404
        assert (await other_admin.post(f"/admin/conflicts/{uuid.uuid4()}/resolve", json=body)).status_code == 404
