"""Rules of the product a salesperson meets every day, in real Chromium against the stack ``make run`` starts: the pool
alert ("answer quickly"), the lead's temperature live in the rows and the header, the integration's name with its
number on hover, and a Processo 2 attendant answering the lead she passed to a seller."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Api, Customer, account_settings
from tests.browser.test_inbox import Agent

pytestmark = pytest.mark.browser
SHARED = "106540352242922"  # Acme Motors: Vendas and Seminovos


def digits(text: str | None) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def test_a_customer_left_waiting_stands_out_in_the_pool_and_the_title_tells_an_agent_elsewhere(
    stack, chromium, screenshots
):
    from playwright.sync_api import expect

    web, fake = stack.url("web"), stack.url("fakegraph")
    bruno = Agent(chromium, web, "bruno")
    bruno.page.goto("/#/conflicts")  # elsewhere in the page (a seller gets no conflicts, only the header)
    with account_settings(web, pool_wait_alert_seconds=2):
        Customer(fake, "5511955551001", "Rafael Gonçalves").says("Alguém pode me atender?")
        expect(bruno.page).to_have_title("(1) Cliente aguardando · leadline")
        expect(bruno.page.locator("#chat-button")).to_have_class("chat-button late")
        bruno.page.locator("#chat-button").click()
        row = bruno.row("Rafael Gonçalves")
        expect(row).to_have_class("late")
        expect(row.locator(".late-note")).to_contain_text("responda rápido")
        bruno.page.screenshot(path=screenshots / "pool-wait-alert.png")
        row.locator("a").click()
        bruno.page.locator("#add-lead").click()
        bruno.page.locator("#save-lead").click()  # taken: the alert is over
        expect(bruno.page).to_have_title("leadline")
    assert bruno.unexpected_errors() == [], bruno.errors
    bruno.close()


def test_the_temperature_changes_live_in_the_row_and_the_header_and_the_integration_shows_its_number(
    stack, chromium, screenshots
):
    from playwright.sync_api import expect

    web, fake = stack.url("web"), stack.url("fakegraph")
    customer = Customer(fake, "5511955551002", "Sofia Lima")
    ana = Agent(chromium, web, "ana")
    page = ana.page
    customer.says("Oi, o Tracker 2024 está disponível?")
    row = ana.row("Sofia Lima")
    business = row.locator(".business")
    expect(business).to_have_text("Acme Motors")
    assert digits(business.get_attribute("title")).endswith("15550783881"), "the number shows on hover"
    row.locator("a").click()
    page.locator("#add-lead").click()
    page.locator("#save-lead").click()
    expect(page.locator("#business-number")).to_have_text("Acme Motors")
    assert digits(page.locator("#business-number").get_attribute("title")).endswith("15550783881")
    header = page.locator(".conversation-header .temperature")
    expect(header).to_have_text("Morno")
    ana.tab("unanswered")
    expect(ana.row("Sofia Lima").locator(".temperature")).to_have_text("Morno")

    # the turn passes back and forth quickly: hot, live, without a reload
    for customer_says, ana_says in (("Quero sim", "Ótimo! Posso te ligar?"), ("Pode ligar agora", "Ligando!")):
        page.fill("#reply-text", ana_says)
        page.locator("#send").click()
        expect(page.locator("#messages")).to_contain_text(ana_says)
        customer.says(customer_says)
        expect(page.locator("#messages")).to_contain_text(customer_says)
    expect(header).to_have_text("Quente")
    expect(ana.row("Sofia Lima").locator(".temperature")).to_have_text("Quente")
    page.screenshot(path=screenshots / "temperature-live.png")

    # FollowChat opened from the lead: its conversation pinned first, and open
    page.locator("#open-lead").click()
    expect(page.locator(".lead-page h1")).to_contain_text("Sofia Lima")
    page.locator("#chat-button").click()
    first = page.locator("#conversation-list li").first
    expect(first).to_have_class(re.compile(r"\bpinned\b"))
    expect(first).to_contain_text("Sofia Lima")
    expect(page.locator("#messages")).to_contain_text("Ligando!")
    page.screenshot(path=screenshots / "followchat-from-lead.png")
    page.locator("#finish").click()
    assert ana.unexpected_errors() == [], ana.errors
    ana.close()


def test_in_processo_2_the_attendant_who_passed_the_lead_to_a_seller_still_answers_in_the_page(
    stack, chromium, screenshots
):
    from playwright.sync_api import expect

    web, fake = stack.url("web"), stack.url("fakegraph")
    customer = Customer(fake, "5511955551003", "Otávio Nunes", SHARED)
    with account_settings(web, process_type=2):
        customer.says("Bom dia, queria um orçamento")
        carla_api = Api(web, "carla")
        conversation_id = carla_api.conversation_of("5511955551003", SHARED)
        lead_id = carla_api.add_lead(conversation_id, "Otávio Nunes", "+5511955551003")["lead_id"]
        carla_api.ok(
            "POST", f"/api/leads/leads/{lead_id}/transfer", json={"to_agent_id": "ana", "to_team_id": "vendas"}
        )

        carla = Agent(chromium, web, "carla")
        page = carla.page
        page.goto(f"/#/conversations/{conversation_id}")
        expect(page.locator(".conversation-header")).to_contain_text("com Ana Souza")
        page.fill("#reply-text", "Olá Otávio, a Ana vai te passar o orçamento.")
        page.locator("#send").click()
        sent = customer.wait_for(lambda data: any("Carla Dias" in str(m["body"]) for m in data))
        assert any(
            m["body"].get("text", {}).get("body") == "*Carla Dias:*\nOlá Otávio, a Ana vai te passar o orçamento."
            for m in sent
        ), sent
        page.screenshot(path=screenshots / "processo-2-attendant-answers.png")
        Api(web, "ana").ok("POST", f"/api/router/conversations/{conversation_id}/finish")
    assert carla.unexpected_errors() == [], carla.errors
    carla.close()
