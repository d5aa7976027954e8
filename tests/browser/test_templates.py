"""Reaching customers outside WhatsApp's 24-hour window, in real Chromium against the stack ``make run`` starts: a
customer who wrote 48 hours ago gets an approved template chosen and filled in the conversation; a lead is contacted
from its page on the second of its team's numbers ("Próximo"), with a template since she never wrote to that one."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import Api, Customer
from tests.browser.test_inbox import Agent

pytestmark = pytest.mark.browser
SHARED, USED_CARS = "106540352242922", "106540352242923"
TWO_DAYS_AGO = str(int(time.time()) - 48 * 3600)


def template_sends(customer: Customer) -> list[dict]:
    return [
        m["body"]["template"]
        for m in customer.wait_for(lambda sent: any(m["body"].get("template") for m in sent))
        if m["body"].get("template")
    ]


def test_a_customer_who_wrote_48_hours_ago_gets_an_approved_template_filled_in_the_page(stack, chromium, screenshots):
    from playwright.sync_api import expect

    web, fake = stack.url("web"), stack.url("fakegraph")
    customer = Customer(fake, "5511955552001", "Helena Prado", SHARED)
    customer.sends("text", body="Oi, ainda tem o Corolla 2022?", timestamp=TWO_DAYS_AGO)
    ana = Agent(chromium, web, "ana")
    page = ana.page
    ana.row("Helena Prado").locator("a").click()
    page.locator("#add-lead").click()
    page.locator("#save-lead").click()

    expect(page.locator("#service-window")).to_contain_text("A janela de 24 h fechou")
    expect(page.locator("#reply-text")).to_be_hidden()  # free text would be refused by WhatsApp
    page.select_option("#template-name", label="retomar_atendimento · utilidade · pt_BR")
    expect(page.locator("#template-p1")).to_have_value("Helena")  # {{1}}: her first name
    page.fill("#template-p2", "Ana")
    page.fill("#template-p3", "Corolla 2022")
    expect(page.locator("#template-preview")).to_contain_text(
        "Olá, Helena! Aqui é Ana, da Acme Motors. Ainda tem interesse no Corolla 2022?"
    )
    page.screenshot(path=screenshots / "template-picker.png")
    page.locator("#template-send").click()

    [sent] = template_sends(customer)
    assert (sent["name"], sent["language"]["code"]) == ("retomar_atendimento", "pt_BR")
    assert [p["text"] for p in sent["components"][0]["parameters"]] == ["Helena", "Ana", "Corolla 2022"]
    bubble = page.locator("#messages li.out[data-kind=template]")
    expect(bubble).to_contain_text("Ainda tem interesse no Corolla 2022?")  # what she reads, not the template's name
    page.screenshot(path=screenshots / "template-sent.png")
    page.locator("#finish").click()
    assert ana.unexpected_errors() == [], ana.errors
    ana.close()


def test_a_lead_is_contacted_from_its_page_on_the_number_chosen_with_next_and_a_template(stack, chromium, screenshots):
    from playwright.sync_api import expect

    web, fake = stack.url("web"), stack.url("fakegraph")
    customer = Customer(fake, "5511955552002", "Renata Alves", USED_CARS)
    customer.says("Oi! Quero vender meu carro.")
    carla_api = Api(web, "carla")
    conversation_id = carla_api.conversation_of("5511955552002", USED_CARS)
    lead_id = carla_api.add_lead(conversation_id, "Renata Alves", "+5511955552002")["lead_id"]
    carla_api.ok("POST", f"/api/router/conversations/{conversation_id}/finish")

    carla = Agent(chromium, web, "carla")
    page = carla.page
    page.goto(f"/#/leads/{lead_id}")
    expect(page.locator("#start-number option")).to_have_count(2)  # Seminovos writes from two numbers
    page.select_option("#start-number", SHARED)
    page.locator("#start-next").click()
    expect(page.locator("#start-chosen")).to_contain_text("Acme Motors")
    expect(page.locator("#service-window")).to_contain_text("ainda não escreveu para este número")
    page.select_option("#start-template-name", label="confirmar_visita · utilidade · pt_BR")
    expect(page.locator("#start-template-p1")).to_have_value("Renata")
    page.fill("#start-template-p2", "sábado, às 10h")
    page.screenshot(path=screenshots / "start-from-lead-template.png")
    page.locator("#start-conversation").click()

    expect(page.locator("#messages")).to_contain_text("Sua visita à Acme Motors está confirmada para sábado, às 10h.")
    [sent] = template_sends(customer)
    assert sent["name"] == "confirmar_visita"
    assert [p["text"] for p in sent["components"][0]["parameters"]] == ["Renata", "sábado, às 10h"]
    page.locator("#finish").click()
    assert carla.unexpected_errors() == [], carla.errors
    carla.close()
