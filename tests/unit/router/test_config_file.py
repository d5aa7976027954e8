"""The account configuration file: what a valid one becomes, and how a bad entry is named."""

from __future__ import annotations

import textwrap

import pytest

from leadline.router.domain.agents import (
    AccountSettings,
    Agent,
    BusinessNumber,
    EvolutionInstance,
    Provider,
    Role,
)
from leadline.router.entrypoints.config_file import (
    AccountDocument,
    ConfigurationFileError,
    load_configuration_file,
    parse_configuration,
    read_document,
)
from leadline.router.service.configuration import AgentRecord, Team
from tests.conftest import REPO

DEV_FILE = REPO / "deploy" / "dev" / "accounts.yaml"

MINIMAL = """
accounts:
  acme-motors:
    teams:
      vendas: {name: Vendas}
    numbers:
      "106540352242922": {display_number: "15550783881", name: Acme Motors, teams: [vendas]}
    agents:
      ana: {name: Ana Souza, role: seller, teams: [vendas]}
"""


def problems_in(text: str) -> list[str]:
    with pytest.raises(ConfigurationFileError) as refused:
        parse_configuration(textwrap.dedent(text), source="accounts.yaml")
    assert str(refused.value).startswith("accounts.yaml is not a valid account configuration")
    return refused.value.problems


def test_the_dev_file_describes_acme_motors_with_two_teams_three_numbers_and_four_agents():
    [acme] = load_configuration_file(DEV_FILE)

    assert acme.account_id == "acme-motors"
    assert acme.settings == AccountSettings(process_type=1, lead_unification=True, pool_wait_alert_seconds=300)
    assert acme.teams == (Team("vendas", "Vendas"), Team("seminovos", "Seminovos"))
    assert acme.numbers == (
        BusinessNumber(
            "106540352242922",
            "15550783881",
            "Acme Motors",
            frozenset({"vendas", "seminovos"}),
            waba_id="102290129340398",
        ),
        BusinessNumber(
            "106540352242923", "15550783882", "Acme Seminovos", frozenset({"seminovos"}), waba_id="102290129340398"
        ),
        BusinessNumber(
            "5511934567890",
            "+55 11 93456-7890",
            "Acme Usados",
            frozenset({"vendas"}),
            provider=Provider.EVOLUTION,
            evolution=EvolutionInstance("http://127.0.0.1:8011", "acme-usados", "acme-usados"),
        ),
    )
    assert [number.has_templates_and_service_window for number in acme.numbers] == [True, True, False]
    assert {record.agent.id: record.agent.role for record in acme.agents} == {
        "ana": Role.SELLER,
        "bruno": Role.SELLER,
        "carla": Role.ATTENDANT,
        "diego": Role.ADMIN,
    }
    assert AgentRecord(Agent("diego", "Diego Alves", Role.ADMIN, frozenset({"vendas", "seminovos"}))) in acme.agents


def test_settings_left_out_leave_the_stored_ones_alone():
    [acme] = parse_configuration(MINIMAL)

    assert acme.settings is None


def test_ids_and_display_numbers_written_bare_are_read_as_text():
    bare = MINIMAL.replace('"106540352242922"', "106540352242922").replace('"15550783881"', "15550783881")

    [acme] = parse_configuration(bare)

    assert acme.numbers[0].phone_number_id == "106540352242922"
    assert acme.numbers[0].display_number == "15550783881"


def test_an_unknown_role_is_named_by_its_entry():
    [problem] = problems_in(MINIMAL.replace("role: seller", "role: boss"))

    assert problem.startswith("accounts.acme-motors.agents.ana.role:")
    assert "'attendant', 'seller' or 'admin'" in problem


def test_a_team_that_is_not_defined_is_named_with_who_uses_it():
    [problem] = problems_in(MINIMAL.replace("role: seller, teams: [vendas]", "role: seller, teams: [vnedas]"))

    assert problem.startswith("accounts.acme-motors:")
    assert "agents.ana.teams names 'vnedas', which is not among this account's teams (vendas)" in problem


def test_a_misspelt_field_is_named_rather_than_ignored():
    problems = problems_in(MINIMAL.replace("teams: [vendas]}\n    agents", "team: [vendas]}\n    agents"))

    assert "accounts.acme-motors.numbers.106540352242922.team: Extra inputs are not permitted" in problems
    assert "accounts.acme-motors.numbers.106540352242922.teams: Field required" in problems


def test_an_agent_written_twice_is_refused_with_its_line():
    [problem] = problems_in(MINIMAL + "      ana: {name: Ana Lima, role: seller}\n")

    assert "key 'ana' appears twice" in problem and "line 10" in problem


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ("{process_type: 3}", "process_type"),
        ("{pool_wait_alert_seconds: 0}", "pool_wait_alert_seconds"),
        ("{lead_unification: maybe}", "lead_unification"),
    ],
)
def test_impossible_settings_are_named(settings, field):
    [problem] = problems_in(MINIMAL + f"    settings: {settings}\n")

    assert problem.startswith(f"accounts.acme-motors.settings.{field}:")


def test_a_number_linked_to_no_team_is_refused():
    [problem] = problems_in(MINIMAL.replace("name: Acme Motors, teams: [vendas]", "name: Acme Motors, teams: []"))

    assert problem.startswith("accounts.acme-motors.numbers.106540352242922.teams:")


EVOLUTION_NUMBER = """
      "5511934567890":
        display_number: "+55 11 93456-7890"
        name: Acme Usados
        teams: [vendas]
"""


def test_a_number_is_on_the_cloud_api_unless_it_says_otherwise():
    [acme] = parse_configuration(MINIMAL)

    assert acme.numbers[0].provider is Provider.CLOUD_API
    assert acme.numbers[0].evolution is None


def test_an_evolution_number_names_its_instance_and_the_secret_of_its_key():
    text = MINIMAL.replace("    agents:\n", EVOLUTION_NUMBER + EVOLUTION_INSTANCE + "    agents:\n")

    [acme] = parse_configuration(textwrap.dedent(text))

    number = {n.phone_number_id: n for n in acme.numbers}["5511934567890"]
    assert number.provider is Provider.EVOLUTION
    assert number.evolution == EvolutionInstance("https://evo.example.com", "acme-usados", "acme-usados-key")


EVOLUTION_INSTANCE = """        provider: evolution
        evolution: {base_url: "https://evo.example.com", instance: acme-usados, api_key_secret: acme-usados-key}
"""


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("        provider: evolution\n", "provider 'evolution' needs `evolution:`"),
        (
            "        evolution: {base_url: 'https://e.example.com', instance: a, api_key_secret: a}\n",
            "`evolution:` is only for provider 'evolution'",
        ),
        ("        provider: twilio\n", "provider:"),
        (EVOLUTION_INSTANCE.replace("acme-usados-key", "../etc/passwd"), "api_key_secret:"),
        (EVOLUTION_INSTANCE.replace("https://evo.example.com", "evo.example.com"), "base_url:"),
        (EVOLUTION_INSTANCE.replace("api_key_secret: acme-usados-key", "api_key: s3cr3t"), "api_key:"),
    ],
)
def test_a_provider_without_its_instance_or_an_instance_without_its_provider_is_named(entry, problem):
    text = MINIMAL.replace("    agents:\n", EVOLUTION_NUMBER + entry + "    agents:\n")

    problems = problems_in(text)

    assert any(p.startswith("accounts.acme-motors.numbers.5511934567890") and problem in p for p in problems), problems


def test_an_account_id_inside_an_entry_must_match_its_key():
    [problem] = problems_in(MINIMAL + "    account_id: other-motors\n")

    assert "accounts.acme-motors.account_id is 'other-motors'" in problem


def test_every_problem_is_reported_at_once():
    broken = MINIMAL.replace("role: seller", "role: boss").replace("name: Vendas", "name: ''")

    assert len(problems_in(broken)) == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("accounts: [", "not valid YAML"),
        ("", "the document is empty"),
        ("- a list", "the document:"),
        ("accounts: {}", "accounts:"),
    ],
)
def test_a_file_that_is_not_a_configuration_says_why(text, reason):
    assert any(reason in problem for problem in problems_in(text))


def test_a_document_read_back_from_a_configuration_is_the_same_configuration():
    [acme] = load_configuration_file(DEV_FILE)

    document = AccountDocument.from_configuration(acme)

    assert document.to_configuration("acme-motors") == acme
    assert AccountDocument.model_validate_json(document.model_dump_json()) == document


def test_a_json_document_is_read_as_json():
    data = read_document(b'{"teams": {"vendas": {"name": "Vendas"}}}', source="body", media_type="application/json")

    assert AccountDocument.model_validate(data).teams["vendas"].name == "Vendas"
