"""Lead unification on and off, and Brazilian number variants recognised as one customer."""

from __future__ import annotations

from leadline.events import CONVERSATION_ATTACHED_TO_LEAD, CONVERSION_POINT_RECORDED, LEAD_CREATED, LEAD_TRANSFERRED


async def test_with_unification_on_a_returning_customer_joins_their_lead_and_the_saver_becomes_responsible(dealer):
    first = await dealer.customer_writes("5511987650101", "Quero um Onix")
    lead_id = (await dealer.add_lead("ana", first, mobile="+5511987650101")).json()["lead_id"]
    again = await dealer.customer_writes("5511987650101", "E seminovos, vocês têm?", number=dealer.used_cars)
    async with dealer.leads("carla") as carla:
        form = (await carla.get(f"/conversations/{again}/lead-form")).json()
    assert form["saving"] == "attach" and form["conflict"] is None
    assert form["existing_lead"] == {
        "lead_id": lead_id,
        "responsible": {"id": "ana", "name": "Ana Souza"},
        "team_name": "Vendas",
        "becomes_yours": True,
    }, "said before anything is typed"

    attached = await dealer.add_lead("carla", again, mobile="+5511987650101")
    assert attached.status_code == 200, attached.text
    assert attached.json() == {**attached.json(), "lead_id": lead_id, "attached": True}
    lead = await dealer.lead(lead_id)
    assert (lead["responsible_agent"]["id"], lead["team_id"]) == ("carla", "seminovos"), (
        "the conversation's owner and the lead's responsible agent never differ"
    )
    [transfer] = await dealer.published(lead_id, LEAD_TRANSFERRED)
    assert (transfer["payload"]["from_agent"]["id"], transfer["payload"]["to_agent"]["id"]) == ("ana", "carla")
    assert {c["conversation_id"] for c in lead["conversations"]} == {first, again}
    assert [p["first_message_text"] for p in lead["conversion_points"]] == ["Quero um Onix", "E seminovos, vocês têm?"]
    assert len(await dealer.published(event_type=LEAD_CREATED)) == 1
    assert [
        e["payload"]["conversation_id"] for e in await dealer.published(lead_id, CONVERSATION_ATTACHED_TO_LEAD)
    ] == [again]
    async with dealer.router("carla") as carla:
        assert (await carla.get(f"/conversations/{again}")).json()["owner_id"] == "carla", "the saving agent claims"


async def test_with_unification_off_each_team_gets_its_own_lead_and_a_team_never_gets_two(services):
    dealer = await services.dealer(unification=False)
    sales = await dealer.customer_writes("5511987650102")
    used = await dealer.customer_writes("5511987650102", number=dealer.used_cars)
    sales_lead = await dealer.add_lead("ana", sales, mobile="+5511987650102")
    used_lead = await dealer.add_lead("carla", used, mobile="+5511987650102")
    assert sales_lead.status_code == used_lead.status_code == 201
    assert sales_lead.json()["lead_id"] != used_lead.json()["lead_id"]
    assert (await dealer.lead(used_lead.json()["lead_id"]))["team_id"] == "seminovos"

    # the same person writing from the eight-digit WhatsApp id is the same chat: their conversation, not a new lead
    sales_again = await dealer.customer_writes("551187650102")
    assert sales_again == sales
    assert len(await dealer.published(event_type=LEAD_CREATED)) == 2


async def test_numbers_with_and_without_the_ninth_digit_and_with_and_without_55_are_one_customer(dealer):
    shared = await dealer.customer_writes("5511987650201")
    used = await dealer.customer_writes("551187650201", number=dealer.used_cars)
    workshop = await dealer.customer_writes("5511987650201", number=dealer.workshop)
    lead_id = (await dealer.add_lead("ana", shared, mobile="+55 (11) 98765-0201")).json()["lead_id"]

    async with dealer.leads("carla") as carla:
        form = (await carla.get(f"/conversations/{used}/lead-form")).json()
    assert form["mobile"] == "+5511987650201", "the eight-digit WhatsApp id is prefilled with its ninth digit"
    without_55_nor_9 = await dealer.add_lead("carla", used, mobile="11 8765-0201")
    with_55_without_9 = await dealer.add_lead("elisa", workshop, mobile="+55 11 8765-0201")
    assert without_55_nor_9.json()["lead_id"] == with_55_without_9.json()["lead_id"] == lead_id
    assert len(await dealer.published(lead_id, CONVERSION_POINT_RECORDED)) == 3
    assert len(await dealer.published(event_type=LEAD_CREATED)) == 1
