"""Account configuration on the real router database: directory reads, idempotent changes, their events, the admin API."""

from __future__ import annotations

import asyncio

import pytest

from leadline.router.domain.agents import (
    Account,
    AccountSettings,
    Agent,
    BusinessNumber,
    EvolutionInstance,
    Provider,
    Role,
)
from leadline.router.entrypoints.config_file import (
    ConfigurationFileError,
    apply_configuration_file,
    parse_configuration,
)
from leadline.router.service.configuration import (
    AccountConfiguration,
    AgentRecord,
    NumberOfAnotherAccount,
    Team,
    UnknownTeam,
    apply_configuration,
    change_account_settings,
    register_business_number,
    upsert_agent,
    upsert_team,
)
from tests.integration.router.account_fixtures import DEV_ACCOUNTS, dev_file_text

SHARED, USED_CARS, ON_EVOLUTION = "106540352242922", "106540352242923", "5511934567890"
WABA = "102290129340398"  # the fake Graph API's business account, named for both numbers in deploy/dev/accounts.yaml
DEV_EVENTS = 1 + 2 + 3 + 4  # settings, teams, numbers, agents of deploy/dev/accounts.yaml


async def load_dev_file(db) -> list:
    return await apply_configuration_file(DEV_ACCOUNTS, uow=db.uow, clock=db.clock)


async def test_the_dev_file_gives_the_directory_its_account_numbers_and_agents(db):
    await load_dev_file(db)

    account = await db.read("account", "acme-motors")
    assert account == Account(
        id="acme-motors",
        numbers={
            SHARED: BusinessNumber(
                SHARED, "15550783881", "Acme Motors", frozenset({"vendas", "seminovos"}), waba_id=WABA
            ),
            USED_CARS: BusinessNumber(
                USED_CARS, "15550783882", "Acme Seminovos", frozenset({"seminovos"}), waba_id=WABA
            ),
            ON_EVOLUTION: BusinessNumber(
                ON_EVOLUTION,
                "+55 11 93456-7890",
                "Acme Usados",
                frozenset({"vendas"}),
                provider=Provider.EVOLUTION,
                evolution=EvolutionInstance("http://127.0.0.1:8011", "acme-usados", "acme-usados"),
            ),
        },
        settings=AccountSettings(process_type=1, lead_unification=True, pool_wait_alert_seconds=300),
    )
    carla = Agent("carla", "Carla Dias", Role.ATTENDANT, frozenset({"seminovos"}))
    assert await db.read("agent", "acme-motors", "carla") == carla
    assert (await db.read("agent", "acme-motors", "diego")).team_ids == {"vendas", "seminovos"}
    assert await db.read("account_of_number", USED_CARS) == "acme-motors"


async def test_an_account_never_configured_has_the_default_settings_and_no_numbers(db):
    assert await db.read("account", "nobody-motors") == Account("nobody-motors")
    assert await db.read("account_of_number", "999") is None


async def test_an_unknown_agent_and_one_who_left_are_nobody(db):
    await load_dev_file(db)
    bruno = await db.read("agent", "acme-motors", "bruno")

    await upsert_agent("acme-motors", bruno, active=False, uow=db.uow, clock=db.clock)

    assert await db.read("agent", "acme-motors", "bruno") is None
    assert await db.read("agent", "acme-motors", "zeca") is None
    assert await db.read("agent", "other-motors", "ana") is None


async def test_applying_the_same_file_twice_emits_nothing_the_second_time(db):
    first = await load_dev_file(db)
    second = await load_dev_file(db)

    events = await db.events()
    assert len(first) == DEV_EVENTS and second == []
    assert [event["sequence"] for event in events] == list(range(1, DEV_EVENTS + 1))
    assert [event["type"] for event in events][:3] == [
        "router.integration.account_settings_changed",
        "router.integration.team_upserted",
        "router.integration.team_upserted",
    ]
    configuration, version = await db.read("configuration", "acme-motors")
    assert version == DEV_EVENTS and len(configuration.agents) == 4


async def test_each_change_emits_exactly_its_event_with_the_next_sequence(db):
    await load_dev_file(db)
    bruno = Agent("bruno", "Bruno Lima", Role.SELLER, frozenset({"vendas", "seminovos"}))
    changes = [
        (upsert_agent("acme-motors", bruno, uow=db.uow, clock=db.clock), "agent_upserted", {"agent_id": "bruno"}),
        (
            upsert_team("acme-motors", Team("oficina", "Oficina"), uow=db.uow, clock=db.clock),
            "team_upserted",
            {"team_id": "oficina"},
        ),
        (
            register_business_number(
                "acme-motors",
                BusinessNumber(USED_CARS, "15550783882", "Acme Seminovos", frozenset({"seminovos", "oficina"})),
                uow=db.uow,
                clock=db.clock,
            ),
            "business_number_registered",
            {"team_ids": ["oficina", "seminovos"]},
        ),
        (
            change_account_settings("acme-motors", AccountSettings(process_type=2), uow=db.uow, clock=db.clock),
            "account_settings_changed",
            {"process_type": 2},
        ),
    ]

    for sequence, (change, kind, fields) in enumerate(changes, start=DEV_EVENTS + 1):
        emitted = await change
        staged = (await db.events())[-1]
        assert [envelope.sequence for envelope in emitted] == [sequence]
        assert staged["type"] == f"router.integration.{kind}" and staged["sequence"] == sequence
        assert staged["stream_id"] == "account:acme-motors" and staged["account_id"] == "acme-motors"
        assert fields.items() <= staged["payload"].items()
    assert len(await db.events()) == DEV_EVENTS + len(changes)


async def test_a_number_of_another_account_is_refused_and_stays_where_it_was(db):
    await load_dev_file(db)
    await upsert_team("other-motors", Team("vendas", "Vendas"), uow=db.uow, clock=db.clock)
    before = await db.events("other-motors")
    taken = BusinessNumber(SHARED, "15550783881", "Other Motors", frozenset({"vendas"}))

    with pytest.raises(NumberOfAnotherAccount, match=SHARED):
        await register_business_number("other-motors", taken, uow=db.uow, clock=db.clock)

    assert await db.read("account_of_number", SHARED) == "acme-motors"
    assert await db.events("other-motors") == before


async def test_a_new_account_stream_opens_with_its_settings_even_the_defaults(db):
    await upsert_team("other-motors", Team("vendas", "Vendas"), uow=db.uow, clock=db.clock)

    events = await db.events("other-motors")
    assert [(event["sequence"], event["type"]) for event in events] == [
        (1, "router.integration.account_settings_changed"),
        (2, "router.integration.team_upserted"),
    ]
    assert events[0]["payload"] == {"process_type": 1, "lead_unification": True, "pool_wait_alert_seconds": 300}


async def test_an_agent_in_a_team_the_account_lacks_is_refused_naming_both(db):
    await load_dev_file(db)
    elisa = Agent("elisa", "Elisa Rocha", Role.SELLER, frozenset({"oficina"}))

    with pytest.raises(UnknownTeam, match="agent 'elisa' names team.*'oficina'"):
        await upsert_agent("acme-motors", elisa, uow=db.uow, clock=db.clock)

    assert await db.read("agent", "acme-motors", "elisa") is None
    assert len(await db.events()) == DEV_EVENTS


async def test_the_same_change_sent_twice_at_once_is_stored_and_emitted_once(db):
    await load_dev_file(db)
    ana = Agent("ana", "Ana Souza", Role.ADMIN, frozenset({"vendas"}))

    results = await asyncio.gather(*(upsert_agent("acme-motors", ana, uow=db.uow, clock=db.clock) for _ in range(2)))

    assert sorted(len(emitted) for emitted in results) == [0, 1]
    assert [event["sequence"] for event in await db.events()][-1] == DEV_EVENTS + 1


async def test_concurrent_changes_to_one_account_get_consecutive_sequences(db):
    await load_dev_file(db)
    newcomers = [Agent(f"seller{n}", f"Vendedor {n}", Role.SELLER, frozenset({"vendas"})) for n in range(6)]

    await asyncio.gather(*(upsert_agent("acme-motors", agent, uow=db.uow, clock=db.clock) for agent in newcomers))

    assert [event["sequence"] for event in await db.events()] == list(range(1, DEV_EVENTS + 7))


async def test_a_malformed_entry_is_named_and_nothing_is_applied(db, tmp_path):
    broken = tmp_path / "accounts.yaml"
    broken.write_text(dev_file_text().replace("role: attendant", "role: boss"), encoding="utf-8")

    with pytest.raises(ConfigurationFileError, match=r"accounts\.acme-motors\.agents\.carla\.role"):
        await apply_configuration_file(broken, uow=db.uow, clock=db.clock)

    assert await db.events() == []
    assert parse_configuration(dev_file_text())[0].account_id == "acme-motors"


async def test_a_request_without_a_token_is_unauthenticated(admin_api):
    response = await admin_api(token="").get("/admin/configuration")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("agent_id", ["ana", "carla"], ids=["seller", "attendant"])
async def test_an_agent_the_directory_does_not_hold_as_admin_is_refused_whatever_the_token_claims(admin_api, agent_id):
    client = admin_api(agent_id=agent_id, role="admin")

    responses = [
        await client.get("/admin/configuration"),
        await client.put("/admin/teams/vendas", json={"name": "Vendas Novos"}),
    ]

    assert [r.status_code for r in responses] == [403, 403]
    assert {r.json()["error"]["code"] for r in responses} == {"admin_only"}


async def test_an_admin_the_directory_does_not_know_is_unauthenticated(admin_api):
    response = await admin_api(agent_id="zeca").get("/admin/configuration")

    assert (response.status_code, response.json()["error"]["code"]) == (401, "agent_not_in_directory")


async def test_an_admin_who_left_is_refused_from_the_change_on(admin_api):
    admin = admin_api()
    assert (
        await admin.put("/admin/agents/bruno", json={"name": "Bruno Lima", "role": "admin", "teams": ["vendas"]})
    ).status_code == 200
    bruno = admin_api(agent_id="bruno", role="seller")
    assert (await bruno.get("/admin/configuration")).status_code == 200, "the directory's role, not the token's"

    await admin.put(
        "/admin/agents/bruno", json={"name": "Bruno Lima", "role": "admin", "teams": ["vendas"], "active": False}
    )

    response = await bruno.get("/admin/configuration")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "agent_inactive")


async def test_an_admin_of_another_account_cannot_touch_this_one_and_its_numbers_answer_404(admin_api, db):
    await apply_configuration(
        AccountConfiguration("other-motors", agents=(AgentRecord(Agent("olga", "Olga", Role.ADMIN)),)),
        uow=db.uow,
        clock=db.clock,
    )
    other_admin = admin_api(agent_id="olga", account_id="other-motors")
    await other_admin.put("/admin/teams/vendas", json={"name": "Vendas"})

    taking_number = await other_admin.put(
        f"/admin/business-numbers/{SHARED}",
        json={"display_number": "15550783881", "name": "Other", "teams": ["vendas"]},
    )
    in_a_document = await other_admin.post(
        "/admin/configuration",
        json={
            "teams": {"vendas": {"name": "Vendas"}},
            "numbers": {SHARED: {"display_number": "15550783881", "name": "Other", "teams": ["vendas"]}},
        },
    )
    naming_account = await other_admin.post("/admin/configuration", json={"account_id": "acme-motors", "settings": {}})

    assert (taking_number.status_code, taking_number.json()["error"]["code"]) == (404, "not_found")
    assert (in_a_document.status_code, in_a_document.json()) == (taking_number.status_code, taking_number.json())
    assert "acme" not in taking_number.text
    assert (naming_account.status_code, naming_account.json()["error"]["code"]) == (403, "admin_only")
    assert await db.read("account_of_number", SHARED) == "acme-motors"
    assert (await other_admin.get("/admin/configuration")).json()["configuration"]["numbers"] == {}


async def test_an_admin_puts_an_agent_and_sees_it_in_the_configuration(admin_api):
    admin = admin_api()

    put = await admin.put("/admin/agents/elisa", json={"name": "Elisa Rocha", "role": "seller", "teams": ["seminovos"]})
    again = await admin.put(
        "/admin/agents/elisa", json={"name": "Elisa Rocha", "role": "seller", "teams": ["seminovos"]}
    )
    view = (await admin.get("/admin/configuration")).json()

    assert put.status_code == 200 and put.json()["changed"] is True
    assert put.json()["events"][0]["type"] == "router.integration.agent_upserted"
    assert again.json() == {"changed": False, "events": []}
    assert view["config_version"] == DEV_EVENTS + 1
    assert view["configuration"]["agents"]["elisa"] == {
        "name": "Elisa Rocha",
        "role": "seller",
        "teams": ["seminovos"],
        "active": True,
    }


async def test_an_admin_moves_a_number_to_evolution_and_its_event_names_the_secret_never_a_key(admin_api, db):
    admin = admin_api()
    evolution = {"base_url": "https://evo.example.com", "instance": "usados", "api_key_secret": "usados-key"}
    body = {"display_number": "15550783882", "name": "Acme Seminovos", "teams": ["seminovos"]}

    moved = await admin.put(
        f"/admin/business-numbers/{USED_CARS}", json=body | {"provider": "evolution", "evolution": evolution}
    )
    half = await admin.put(f"/admin/business-numbers/{USED_CARS}", json=body | {"provider": "evolution"})
    view = (await admin.get("/admin/configuration")).json()

    assert moved.status_code == 200 and moved.json()["changed"] is True
    event = (await db.events())[-1]
    assert event["event_id"] == moved.json()["events"][0]["event_id"]
    assert event["payload"]["provider"] == "evolution" and event["payload"]["evolution"] == evolution
    assert half.status_code == 422 and "evolution" in half.text
    assert view["configuration"]["numbers"][USED_CARS]["provider"] == "evolution"
    assert view["configuration"]["numbers"][USED_CARS]["evolution"] == evolution
    assert view["configuration"]["numbers"][SHARED]["provider"] == "cloud_api"


async def test_posting_back_the_configuration_read_changes_nothing(admin_api):
    admin = admin_api()
    view = (await admin.get("/admin/configuration")).json()

    posted = await admin.post("/admin/configuration", json=view["configuration"])

    assert posted.status_code == 200 and posted.json() == {"changed": False, "events": []}


async def test_a_yaml_document_changes_settings_and_teams_in_one_transaction(admin_api):
    document = "settings: {process_type: 2, pool_wait_alert_seconds: 120}\nteams: {oficina: {name: Oficina}}\n"

    response = await admin_api().post(
        "/admin/configuration", content=document, headers={"Content-Type": "application/yaml"}
    )

    assert response.status_code == 200
    assert [(e["type"], e["sequence"]) for e in response.json()["events"]] == [
        ("router.integration.account_settings_changed", DEV_EVENTS + 1),
        ("router.integration.team_upserted", DEV_EVENTS + 2),
    ]


async def test_a_malformed_document_is_refused_naming_the_entry(admin_api):
    response = await admin_api().post(
        "/admin/configuration", json={"agents": {"zeca": {"name": "Zeca", "role": "boss"}}}
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_configuration"
    assert any(p.startswith("agents.zeca.role:") for p in response.json()["error"]["details"]["problems"])


async def test_an_agent_in_an_unknown_team_is_refused_over_http(admin_api):
    response = await admin_api().put(
        "/admin/agents/elisa", json={"name": "Elisa", "role": "seller", "teams": ["oficina"]}
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_team"
    assert "oficina" in response.json()["error"]["message"]
