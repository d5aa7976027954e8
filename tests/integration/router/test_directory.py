"""The account's teams and agents by name, for the page's filters and pickers: as far as each agent works with them."""

from __future__ import annotations

from leadline.router.service.configuration import upsert_agent


async def directory_of(dealer, agent_id: str) -> dict:
    async with dealer.client(agent_id) as client:
        answer = await client.get("/directory")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_an_administrator_sees_every_team_and_agent_a_seller_their_teams_and_who_shares_them(router):
    dealer = await router.dealer()
    admin = await directory_of(dealer, "diego")
    assert admin["teams"] == [
        {"id": "oficina", "name": "Oficina", "member": False},
        {"id": "seminovos", "name": "Seminovos", "member": True},
        {"id": "vendas", "name": "Vendas", "member": True},
    ], "by name"
    assert [a["name"] for a in admin["agents"]] == [
        "Ana Souza",
        "Bruno Lima",
        "Carla Dias",
        "Diego Alves",
        "Elisa Rocha",
    ]
    assert {"id": "carla", "name": "Carla Dias", "role": "attendant", "team_ids": ["seminovos"]} in admin["agents"]

    seller = await directory_of(dealer, "ana")
    assert [(team["name"], team["member"]) for team in seller["teams"]] == [
        ("Oficina", False),
        ("Seminovos", False),
        ("Vendas", True),
    ], "every team's name, to show pools by name"
    assert seller["agents"] == [
        {"id": "ana", "name": "Ana Souza", "role": "seller", "team_ids": ["vendas"]},
        {"id": "bruno", "name": "Bruno Lima", "role": "seller", "team_ids": ["vendas"]},
        {"id": "diego", "name": "Diego Alves", "role": "admin", "team_ids": ["seminovos", "vendas"]},
    ], "nobody who shares no team with her"


async def test_an_agent_who_left_is_no_longer_listed(router):
    dealer = await router.dealer()
    await upsert_agent(
        dealer.account_id, dealer.agents["bruno"], active=False, uow=router.config_uow, clock=router.clock
    )
    assert "bruno" not in [a["id"] for a in (await directory_of(dealer, "ana"))["agents"]]
    assert "bruno" not in [a["id"] for a in (await directory_of(dealer, "diego"))["agents"]]
