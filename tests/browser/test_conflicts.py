"""A customer with leads in two teams, in real Chromium against the stack ``make run`` starts: the seller is told before
typing anything and is not offered Save; an administrator resolves it in the conflicts screen; then the conversation
can be added (and the form says the lead is already the seller's). Search finds the customer without her accents."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import WAIT_MS, Api, Customer, account_settings
from tests.browser.test_inbox import Agent

pytestmark = pytest.mark.browser
WORKSHOP = "106540352242924"  # a third number, connected here by the administrator to Seminovos (Vendas keeps one)


@pytest.fixture
def workshop_number(stack):
    """A third number linked to Seminovos for this test; afterwards moved to a team of its own, so the tests after this
    one find Vendas and Seminovos with the numbers ``deploy/dev/accounts.yaml`` gives them."""
    admin = Api(stack.url("web"), "diego")
    admin.ok(
        "PUT",
        f"/api/router/admin/business-numbers/{WORKSHOP}",
        json={"display_number": "15550783883", "name": "Acme Oficina", "teams": ["seminovos"]},
    )
    yield WORKSHOP
    admin.ok("PUT", "/api/router/admin/teams/oficina", json={"name": "Oficina"})
    admin.ok(
        "PUT",
        f"/api/router/admin/business-numbers/{WORKSHOP}",
        json={"display_number": "15550783883", "name": "Acme Oficina", "teams": ["oficina"]},
    )


def test_a_customer_in_two_teams_is_said_before_typing_an_admin_resolves_it_in_the_page_and_the_seller_adds_her(
    stack, chromium, screenshots, workshop_number
):
    from playwright.sync_api import expect

    web, fake = stack.url("web"), stack.url("fakegraph")
    number = "5511955550777"
    diego, ana, carla = Api(web, "diego"), Api(web, "ana"), Api(web, "carla")
    customer = {
        phone_number_id: Customer(fake, number, "Júlia Araújo", phone_number_id)
        for phone_number_id in ("106540352242922", "106540352242923", WORKSHOP)
    }

    # while unification was off, she became a lead of Ana (Vendas) and of Carla (Seminovos)
    customer["106540352242922"].says("Oi, quero ver o Onix")
    sales_lead = ana.add_lead(ana.conversation_of(number, "106540352242922"), "Júlia Araújo", f"+{number}")["lead_id"]
    with account_settings(web, lead_unification=False):
        customer["106540352242923"].says("E seminovos?")
        used = carla.conversation_of(number, "106540352242923")
        carla.form_says(used, "new_lead")
        carla.add_lead(used, "Júlia Araújo", f"+{number}")

    # she writes to the workshop's number: Carla finds her in the pool without typing her accents, and is told
    # before typing anything that she cannot add her
    customer[WORKSHOP].says("Preciso agendar uma revisão")
    carla.form_says(carla.conversation_of(number, WORKSHOP), "conflict")
    seller = Agent(chromium, web, "carla")
    page = seller.page
    page.fill("#search", "julia araujo")
    expect(seller.row("Júlia Araújo")).to_have_count(1)  # the New tab: the pool's conversation, not her own
    page.fill("#search", "(11) 5555-0777")  # her number without the ninth digit
    expect(seller.row("Júlia Araújo")).to_have_count(1)
    seller.row("Júlia Araújo").locator("a").click()
    expect(page.locator("#messages")).to_contain_text("revisão")
    page.locator("#add-lead").click()
    expect(page.locator("#lead-conflict")).to_have_text(
        "Este cliente está cadastrado nas equipes Seminovos e Vendas. "
        "Um administrador precisa escolher o lead e o responsável."
    )
    expect(page.locator("#save-lead")).to_have_count(0)
    expect(page.locator("#lead-name")).to_have_count(0)
    expect(page.locator("#open-conflicts")).to_have_count(0)  # only an administrator resolves it
    page.screenshot(path=screenshots / "add-lead-conflict.png")
    page.locator("#close-conflict").click()

    # Diego resolves it in the conflicts screen: Ana's lead stays, Carla is responsible
    admin = Agent(chromium, web, "diego")
    admin.page.locator("#conflicts-link").click()
    card = admin.page.locator("form.conflict", has_text="Júlia Araújo")
    expect(card).to_contain_text("Vendas")
    expect(card).to_contain_text("Seminovos")
    card.locator(f"input[name=lead_id][value='{sales_lead}']").check()
    card.locator("select[name=agent_id]").select_option("carla")
    admin.page.screenshot(path=screenshots / "lead-conflicts.png")
    card.locator("button[type=submit]").click()
    expect(admin.page.locator("#notice")).to_contain_text("Conflito resolvido: o lead está com Carla Dias.")
    expect(admin.page.locator("#no-conflicts")).to_be_visible()

    # Carla adds the conversation: the form says the lead is hers already; saving makes the conversation hers
    page.locator("#add-lead").click()
    expect(page.locator("#lead-existing")).to_have_text("Este cliente já é seu lead: ao salvar, a conversa entra nele.")
    page.locator("#save-lead").click()
    expect(page.locator("#finish")).to_be_visible()
    assert not seller.unexpected_errors() and not admin.unexpected_errors(), seller.errors + admin.errors
    seller.close()
    admin.close()
    # the lead is Carla's now: the router hands her every open conversation of it (Ana's first one too) once the
    # transfer reaches it from leads, a moment after the resolution
    deadline = time.monotonic() + WAIT_MS / 1000
    while owners_of_open_conversations(web, number, diego) != {"carla"} and time.monotonic() < deadline:
        time.sleep(0.1)
    assert owners_of_open_conversations(web, number, diego) == {"carla"}
    finish_every_open_conversation_of(web, number, diego)  # the browser tests share one stack: leave the tabs as found


def owners_of_open_conversations(web: str, number: str, admin: Api) -> set[str]:
    listed = admin.ok("GET", "/api/router/conversations", params={"q": number, "limit": 50})["items"]
    return {conversation["owner_id"] for conversation in listed if conversation["status"] != "finished"}


def finish_every_open_conversation_of(web: str, number: str, admin: Api) -> None:
    for conversation in admin.ok("GET", "/api/router/conversations", params={"q": number, "limit": 50})["items"]:
        if conversation["status"] != "finished":
            Api(web, conversation["owner_id"]).ok(
                "POST", f"/api/router/conversations/{conversation['conversation_id']}/finish"
            )
