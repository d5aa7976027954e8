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
    api.conversation_of("5511955558888", "106540352242922")
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
    lead = api.add_lead(conversation_id, "Renata Campos", "+5511955557777")
    renata.locator("a").click()
    wait_for(page, ".conversation-header img.avatar", LOADED_IMAGE)
    expect(page.locator(".conversation-header")).to_contain_text("Renata Campos")
    expect(page.locator("#reply-text")).to_be_visible()
    expect(page.locator("#service-window")).to_have_count(0)
    expect(page.locator(".template-picker")).to_have_count(0)
    page.screenshot(path=str(screenshots / "profile-photo-conversation.png"))

    # and on her lead's page; a lead added a moment ago may not be in history yet: its timeline is shown empty
    ana.expected_errors.append(f"404 GET {web}/api/history/leads/{lead['lead_id']}/timeline")
    page.goto(f"/#/leads/{lead['lead_id']}")
    wait_for(page, ".lead-page h1 img.avatar", LOADED_IMAGE)
    assert ana.unexpected_errors() == [], ana.errors


def test_an_administrator_is_told_in_pt_br_which_number_needs_its_qr_code_read(stack, chromium, screenshots):
    from playwright.sync_api import expect

    fake_evolution = stack.url("fakeevolution")
    diego = Agent(chromium, stack.url("web"), "diego")  # an administrator
    ana = Agent(chromium, stack.url("web"), "ana")
    page = diego.page
    try:
        logged_out = httpx.post(
            f"{fake_evolution}/_fake/connection", json={"state": "close", "reason": 401}, timeout=15
        )
        assert logged_out.json()["webhook_status"] == 200, logged_out.text
        notice = page.locator("#number-connections")
        deadline = time.monotonic() + 20
        while not notice.is_visible():  # the notice is read with the inbox's counts: on each screen and live change
            assert time.monotonic() < deadline, "no notice for the disconnected number"
            page.reload()
            page.locator("#chat-button").wait_for()
            time.sleep(0.3)
        expect(notice).to_contain_text("Número desconectado do WhatsApp: leia o QR code no Evolution")
        expect(notice).to_contain_text("Acme Usados (+55 11 93456-7890)")
        page.screenshot(path=str(screenshots / "number-disconnected-admin.png"))
        ana.page.reload()
        ana.page.locator("#chat-button").wait_for()
        expect(ana.page.locator("#number-connections")).to_be_hidden()  # only administrators are told
    finally:
        back = httpx.post(f"{fake_evolution}/_fake/connection", json={"state": "open", "reason": 200}, timeout=15)
        assert back.json()["webhook_status"] == 200, back.text
    deadline = time.monotonic() + 20
    while notice.is_visible():
        assert time.monotonic() < deadline, "the notice stayed after the number connected again"
        page.reload()
        page.locator("#chat-button").wait_for()
        time.sleep(0.3)
    assert diego.unexpected_errors() == [] and ana.unexpected_errors() == []
