"""Customers' WhatsApp profile photos where a salesperson looks, in pt-BR: the inbox row and the conversation header,
for a customer writing to the dealer's WhatsApp Web (Evolution) number; a Cloud API customer keeps their initials;
and on that number no 24-hour window notice and no template picker."""

from __future__ import annotations

import time

import httpx
import pytest

from leadline.cli.stack import DEV_EVOLUTION
from tests.browser.conftest import Api, Customer
from tests.browser.test_inbox import Agent
from tests.browser.test_media import LOADED_IMAGE, wait_for

pytestmark = pytest.mark.browser

EVOLUTION_NUMBER = DEV_EVOLUTION["number"]  # Acme Usados, team vendas (deploy/dev/accounts.yaml)


def evolution_customer_says(fake_evolution: str, number: str, name: str, text: str, timeout_s: float = 20) -> None:
    """A customer writes to the Evolution number (the fake posts Evolution's ``messages.upsert`` to ingest). Until
    ingest has heard of the number from the router's account configuration it answers 404 and stores nothing: the
    stack has just started, so the first message is said again until it is taken."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = httpx.post(
            f"{fake_evolution}/_fake/customers/{number}/say",
            json={"kind": "text", "text": text, "name": name},
            timeout=15,
        )
        answer.raise_for_status()
        if answer.json()["webhook_status"] != 404 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert answer.json()["webhook_status"] == 200, answer.text


def photo_known(api: Api, conversation_id: str, timeout_s: float = 20) -> str:
    """Until the router has the customer's photo (ingest's photo worker looks every second in this stack)."""
    deadline = time.monotonic() + timeout_s
    while not (photo := api.ok("GET", f"/api/router/conversations/{conversation_id}")["customer_photo"]):
        assert time.monotonic() < deadline, "no profile photo reached the router"
        time.sleep(0.2)
    return photo


def test_the_customers_whatsapp_photo_shows_in_the_inbox_row_and_the_conversation_header(stack, chromium, screenshots):
    from playwright.sync_api import expect

    web, fake_evolution = stack.url("web"), stack.url("fakeevolution")
    evolution_customer_says(fake_evolution, "5511955557777", "Renata Campos", "Oi! O HR-V 2023 ainda está disponível?")
    Customer(stack.url("fakegraph"), "5511955558888", "Marcos Teixeira").says("Bom dia, vocês abrem no sábado?")
    api = Api(web, "ana")
    conversation_id = api.conversation_of("5511955557777", EVOLUTION_NUMBER)
    photo_known(api, conversation_id)

    ana = Agent(chromium, web, "ana")
    page = ana.page
    renata = ana.row("Renata Campos")
    wait_for(page, f'#conversation-list li[data-conversation="{conversation_id}"] img.avatar', LOADED_IMAGE)
    assert f"/conversations/{conversation_id}/customer-photo" in renata.locator("img.avatar").get_attribute("src")
    expect(ana.row("Marcos Teixeira").locator(".avatar")).to_have_text("MT")  # the Cloud API reads no photos
    expect(page.locator("#tab-new")).to_contain_text("Novas")  # pt-BR
    page.screenshot(path=str(screenshots / "profile-photo-inbox.png"))

    # she takes the conversation: the header shows the photo; on WhatsApp Web there is no 24-hour window nor templates
    api.add_lead(conversation_id, "Renata Campos", "+5511955557777")
    renata.locator("a").click()
    wait_for(page, ".conversation-header img.avatar", LOADED_IMAGE)
    expect(page.locator(".conversation-header")).to_contain_text("Renata Campos")
    expect(page.locator("#reply-text")).to_be_visible()
    expect(page.locator("#service-window")).to_have_count(0)
    expect(page.locator(".template-picker")).to_have_count(0)
    page.screenshot(path=str(screenshots / "profile-photo-conversation.png"))
    assert ana.unexpected_errors() == []
