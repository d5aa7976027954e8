"""A customer who hides their number behind a WhatsApp username, in real Chromium against the stack ``make run`` starts:
shown as @username, added as a lead without a mobile, asked for their number with the request-contact-info template,
and the number they share filling the lead."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.browser.test_inbox import Agent, hovered_tip

pytestmark = pytest.mark.browser
NUMBER = "106540352242922"
JOANA = "BR.1502576394655843"


def sent_to(fake: str, to: str, until, what: str, timeout_s: float = 20.0) -> list[dict]:
    """What the fake Graph API received for ``to`` (a BSUID or a number), once ``until`` holds for it."""
    deadline = time.monotonic() + timeout_s
    while not until(sent := httpx.get(f"{fake}/_fake/sent", params={"to": to}, timeout=5).json()["data"]):
        assert time.monotonic() < deadline, f"{what} never reached the Graph API"
        time.sleep(0.2)
    return sent


def lead_of(web: str, page, lead_id: str) -> dict:
    token = page.evaluate("sessionStorage.getItem('leadline.token')")
    return httpx.get(f"{web}/api/leads/leads/{lead_id}", headers={"Authorization": f"Bearer {token}"}, timeout=5).json()


def test_a_customer_known_by_username_is_shown_as_such_asked_for_their_number_and_the_shared_number_fills_the_lead(
    stack, chromium, screenshots
):
    from playwright.sync_api import expect

    web, fake = stack.url("web"), stack.url("fakegraph")
    said = httpx.post(
        f"{fake}/_fake/users/{JOANA}/say",
        timeout=15,
        json={
            "phone_number_id": NUMBER,
            "text": "Oi! O Compass 2024 ainda está à venda?",
            "profile_name": "Joana Ribeiro",
            "username": "joana.carros",
            "wa_id": "5511987651234",
            "shows_phone": False,
        },
    )
    assert said.json()["webhook_status"] == 200, said.text
    ana = Agent(chromium, web, "ana")
    page = ana.page

    # in the pool: the name, and @username where the number would show on hover
    row = ana.row("Joana Ribeiro")
    expect(row).to_be_visible()
    assert row.locator(".name").get_attribute("title") == "@joana.carros"
    row.locator("a").click()
    expect(page.locator("#messages")).to_contain_text("Compass 2024")
    assert hovered_tip(page, "#customer-name") == '"@joana.carros"'
    page.screenshot(path=screenshots / "username-on-hover.png")

    # Add lead: the name prefilled, the mobile empty and explained
    page.locator("#add-lead").click()
    expect(page.locator("#lead-name")).to_have_value("Joana Ribeiro")
    expect(page.locator("#lead-mobile")).to_have_value("")
    expect(page.locator("#lead-no-number")).to_contain_text("@joana.carros")
    expect(page.locator("#lead-no-number")).to_contain_text("Pedir número")
    page.screenshot(path=screenshots / "add-lead-without-number.png")
    page.locator("#save-lead").click()

    # hers now: ask for the number with the approved template; it goes to her BSUID
    page.locator("#request-contact").click()
    expect(page.locator("#messages li.out[data-kind=template]")).to_be_visible()
    sent = sent_to(fake, JOANA, bool, "the request-contact-info template")
    assert sent[0]["body"]["recipient"] == JOANA and sent[0]["body"]["template"]["name"] == "pedir_contato"
    page.screenshot(path=screenshots / "request-contact-info.png")

    # she taps "Share contact info": the number shows in the conversation and where the number belongs
    shared = httpx.post(f"{fake}/_fake/users/{JOANA}/share_contact", json={"phone_number_id": NUMBER}, timeout=15)
    assert shared.json()["webhook_status"] == 200, shared.text
    expect(page.locator("#messages .shared-number")).to_contain_text("+55 11 98765-1234")
    expect(page.locator("#request-contact")).to_have_count(0)
    assert "+55 11 98765-1234" in hovered_tip(page, "#customer-name")
    page.screenshot(path=screenshots / "number-shared.png")

    # the lead takes the shared number (and keeps her username)
    lead_id = page.locator("#open-lead").get_attribute("href").rsplit("/", 1)[1]
    deadline = time.monotonic() + 20
    while lead_of(web, page, lead_id)["mobile"] != "+5511987651234":
        assert time.monotonic() < deadline, "the shared number never reached the lead"
        time.sleep(0.3)
    page.locator("#open-lead").click()
    expect(page.locator("#lead-mobile")).to_have_text("+55 11 98765-1234")
    expect(page.locator("#lead-username")).to_have_text("@joana.carros")
    page.screenshot(path=screenshots / "lead-with-shared-number.png", full_page=True)

    # an answer now goes to the number she shared
    page.locator("a", has_text="Voltar à conversa").click()
    page.fill("#reply-text", "Obrigada, Joana! Posso te ligar?")
    page.locator("#send").click()
    answers = sent_to(
        fake,
        "5511987651234",
        lambda data: any((s["body"].get("text") or {}).get("body", "").endswith("Posso te ligar?") for s in data),
        "the answer",
    )
    assert [s["body"].get("to") for s in answers if s["body"].get("type") == "text"] == ["5511987651234"]
    assert ana.unexpected_errors() == [], ana.errors
    ana.close()
